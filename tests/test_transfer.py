"""Chapter 11's transfer helpers: zero-shot names and normalisation, the descriptor SVM
chosen on validation, the page's tables and figures (no network needed)."""

from __future__ import annotations

from types import SimpleNamespace

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from mgr_utils import transfer  # noqa: E402
from mgr_utils.models.musicnn import MSD_TAGS  # noqa: E402

FOLDER = ["Bossa Nova", "Drum & Bass", "Tango", "k-pop"]


@pytest.mark.parametrize(
    "name, normal",
    [("Hip-Hop", "hiphop"), ("hip hop", "hiphop"), ("Drum & Bass", "drumandbass")],
)
def test_names_are_matched_without_case_spaces_or_punctuation(name, normal):
    assert transfer.normalise_name(name) == normal


def test_classes_find_their_tags_case_insensitively_and_through_synonyms():
    classes = ["Hip Hop", "ROCK", "r&b", "rap", "Tango"]
    mapping, missing = transfer.genre_tags(classes, MSD_TAGS)
    assert mapping == {
        "Hip Hop": "Hip-Hop",
        "ROCK": "rock",
        "r&b": "rnb",
        "rap": "Hip-Hop",
    }
    assert missing == ["Tango"]
    assert transfer.genre_tags(FOLDER, MSD_TAGS) == ({}, FOLDER)
    # a class of a tag's own name never takes a synonym's tag
    own, _ = transfer.genre_tags(["rnb"], ["R&B", "rnb"])
    assert own == {"rnb": "rnb"}


def test_tag_sentence_names_the_classes_with_and_without_a_tag():
    text = transfer.tag_sentence({"jazz": "jazz", "hiphop": "Hip-Hop"}, ["disco"], "M")
    assert text == (
        "2 of the 3 classes have a tag of M: jazz (`jazz`), hiphop (`Hip-Hop`); "
        "disco has none and is left out"
    )
    assert transfer.tag_sentence({}, FOLDER, "M").startswith("none of the 4 classes")


def test_the_normalisation_divides_each_tag_by_its_mean_on_the_training_clips():
    tags = ["jazz", "rock", "House"]
    classes = ["jazz", "rock"]
    train = np.array([[0.6, 0.1, 0.5], [0.4, 0.1, 0.5]])  # jazz fires on everything
    prior = transfer.tag_prior(train)
    np.testing.assert_allclose(prior, [0.5, 0.1, 0.5])
    test = np.array([[0.5, 0.2, 0.0], [0.7, 0.05, 0.0]])
    raw, names = transfer.zero_shot(test, tags, classes)
    assert raw.tolist() == [0, 0] and names == classes  # raw: all jazz
    normalised, _ = transfer.zero_shot(test, tags, classes, prior=prior)
    assert normalised.tolist() == [1, 0]  # rock at twice its usual level wins
    # several tags: a class takes the best of them
    several, _ = transfer.zero_shot(
        test, tags, classes, mapping={"jazz": "jazz", "rock": ("rock", "House")}
    )
    assert several.tolist() == [0, 0]
    with pytest.raises(ValueError, match="two classes"):
        transfer.zero_shot(test, tags, ["jazz", "Tango"])
    with pytest.raises(ValueError, match="n_clips"):
        transfer.tag_prior(np.zeros(3))


def test_zero_shot_spread_says_where_the_predictions_go():
    classes = ["blues", "jazz", "rock"]
    truth = [0, 0, 1, 2]
    text = transfer.zero_shot_spread(
        truth, {"raw": [1, 1, 1, 1], "normalised": [0, 1, 1, 2]}, classes, classes
    )
    rows = text.split("\n\n")[0].splitlines()
    assert rows[0] == "| class | test clips | predicted, raw | predicted, normalised |"
    assert rows[2:] == [
        "| blues | 2 | 0 | 1 |",
        "| jazz | 1 | 4 | 2 |",
        "| rock | 1 | 0 | 1 |",
    ]
    assert "raw: 4 of 4 clips to *jazz*; normalised: 2 of 4 clips to *jazz*." in text
    assert transfer.most_predicted([2, 2, 0], classes) == "2 of 3 clips to *rock*"


def test_the_descriptor_svm_chooses_C_and_gamma_on_validation():
    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(3), 20)
    X = np.eye(3, 6)[y] * 4 + rng.standard_normal((60, 6))
    svm = transfer.fit_rbf_svm(
        X[::2], y[::2], X[1::2], y[1::2], C_grid=(10.0, 1.0), gamma_grid=("scale", 0.1)
    )
    assert set(svm.valid_scores) == {
        (1.0, "scale"),
        (1.0, 0.1),
        (10.0, "scale"),
        (10.0, 0.1),
    }
    best = max(svm.valid_scores.values())
    first = next(k for k, s in svm.valid_scores.items() if s == best)
    assert svm.C == first and list(svm.valid_scores)[0] == (1.0, "scale")
    assert np.mean(svm.predict(X[1::2]) == y[1::2]) == best > 0.8
    assert svm.model[-1].C == svm.C[0] and svm.model[-1].gamma == svm.C[1]


def _curve():
    comparison = {
        "a": "musicnn_probe",
        "b": "descriptor_svm",
        "test": "exact McNemar",
        "p": 0.052,
        "a_only": 9,
        "b_only": 2,
        "verdict": "cannot tell apart",
    }
    ahead = dict(comparison, p=0.0001, verdict="musicnn_probe ahead", a_only=30)
    return [
        {
            "n_train_clips": 20,
            "musicnn_probe": 0.84,
            "descriptor_svm": 0.31,
            "n_test": 150,
            "comparison": ahead,
        },
        {
            "n_train_clips": 120,
            "musicnn_probe": 0.93,
            "descriptor_svm": 0.88,
            "n_test": 150,
            "comparison": comparison,
        },
    ]


def test_fraction_rows_are_labelled_by_their_clips():
    assert transfer.clips_label(20, 120) == "20 (17 %)"
    table = transfer.fraction_table(_curve(), 120, 40)
    rows = table.splitlines()
    assert rows[0].startswith("| labelled training clips (share) |")
    assert rows[2].startswith("| 20 (17 %) | 84.0% [77%, 89%] | 31.0% [24%, 38%] |")
    assert rows[2].endswith("| musicnn ahead (p < 0.001; 30 vs 2 discordant clips) |")
    assert rows[3].endswith(
        "| **cannot tell apart** (p = 0.052; 9 vs 2 discordant clips) |"
    )
    assert "on the same 40 validation clips; 150 test clips" in table
    behind = _curve()[:1]
    behind[0]["comparison"] = dict(
        behind[0]["comparison"], verdict="descriptor_svm ahead", a_only=2, b_only=30
    )
    row = transfer.fraction_table(behind, 120, 40).splitlines()[2]
    assert row.endswith("| descriptors ahead (p < 0.001; 30 vs 2 discordant clips) |")


def test_the_label_curve_counts_clips_on_its_axis():
    ax = transfer.plot_label_curve(_curve(), 120, 10, cnn=("Dieleman's raw net", 0.87))
    assert ax.get_xlabel() == "labelled training clips (share of the 120)"
    assert ax.get_ylabel() == "test clip accuracy"
    ticks = [t.get_text() for t in ax.get_xticklabels()]
    assert ticks == ["20\n(17 %)", "120\n(100 %)"]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == [
        "MSD_musicnn embedding + linear SVM",
        "descriptors + RBF SVM",
        "best from-scratch CNN: Dieleman's raw net",
        "chance (1/10)",
    ]
    plt.close("all")


def test_the_taggram_has_labelled_axes_and_two_colour_bars():
    rng = np.random.default_rng(1)
    S, taggram = rng.random((400, 96)), rng.random((7, 50))
    axes = transfer.plot_taggram(S, taggram, MSD_TAGS, [3, 0, 9], 31, title="jazz.1")
    fig = axes[0].figure
    bars = [a.get_ylabel() for a in fig.axes if a not in axes]
    assert bars == ["log10(1 + 10000 · mel power)", "tag probability"]
    assert axes[0].get_ylabel() == "mel band" and axes[0].get_xlabel() == "time (s)"
    assert axes[1].get_xlabel() == "start of the 3 s patch (s)"
    assert [t.get_text() for t in axes[1].get_yticklabels()] == [
        "indie",
        "rock",
        "jazz",
    ]
    plt.close("all")


def test_the_embedding_maps_label_their_components_and_classes():
    rng = np.random.default_rng(2)
    y = np.repeat(np.arange(4), 5)
    X = rng.standard_normal((20, 6)) + y[:, None]
    axes = transfer.plot_embedding_maps([(X, "a"), (X[:, :3], "b")], y, FOLDER)
    assert axes[0].get_xlabel().startswith("PC 1 (") and "of the variance" in (
        axes[0].get_xlabel()
    )
    assert axes[1].get_ylabel().startswith("PC 2 (")
    assert [t.get_text() for t in axes[1].get_legend().get_texts()] == FOLDER
    plt.close("all")


def test_probe_and_checkpoint_tables():
    probe = SimpleNamespace(C=0.1, valid_scores={0.1: 0.9, 1.0: 0.85})
    table = transfer.probe_table({"a": probe, "b": probe}, {"a": 400, "b": 100}, "b")
    assert table.splitlines()[3] == "| b (chosen) | 100 | 0.1 | 90.0% |"
    layer = SimpleNamespace(get_weights=lambda: [np.zeros((7, 38, 1, 4)), np.zeros(4)])
    model = SimpleNamespace(get_layer=lambda name: layer)
    rows = transfer.checkpoint_table(model, {"timbral_74": "conv2d"}).splitlines()
    assert rows[2] == "| `timbral_74` | `conv2d` | 7×38×1×4 + 4 |"


def test_label_subsets_measure_each_distinct_subset_once():
    labels = np.repeat(np.arange(4), 5)  # 5 clips per class: 10 % and 25 % keep 2 each
    subsets = transfer.label_subsets(labels, [1.0, 0.25, 0.1], seed=0)
    assert list(subsets) == [0.1, 1.0]
    assert len(subsets[0.1]) == 8 and len(subsets[1.0]) == 20
    assert set(subsets[0.1]) <= set(subsets[1.0])
