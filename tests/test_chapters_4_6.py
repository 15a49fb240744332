"""Chapters 4-6's figures and tables (mgr_utils.plotting, mgr_utils.readings), by hand."""

from __future__ import annotations

from types import SimpleNamespace

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from mgr_utils import plotting, readings  # noqa: E402
from mgr_utils.models import costa, nakashika  # noqa: E402

SR = 22050


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _colour_bars(fig) -> list[str]:
    """The labels of a figure's colour bars."""
    return [ax.get_ylabel() for ax in fig.axes if hasattr(ax, "_colorbar")]


def _panels(fig):
    return [ax for ax in fig.axes if not hasattr(ax, "_colorbar")]


# --------------------------------------------------------------------------- figures


def test_costa_patches_figure_has_time_frequency_axes_and_db_colour_bars():
    P = np.random.default_rng(0).uniform(-80, 0, (5, 256, 16, 1)).astype(np.float32)
    fig = plotting.plot_costa_patches(P, SR, 827, title="a clip")
    left, right = _panels(fig)
    assert _colour_bars(fig) == [plotting.DB_BELOW_MAX] * 2
    assert left.get_xlabel() == "time (s)" and "kHz" in left.get_ylabel()
    assert right.get_xlabel() == "time in the patch (s)" and "kHz" in right.get_ylabel()
    # 5 patches of 16 columns of 2 x 827 samples: the time axis ends at their length.
    assert left.images[0].get_extent()[1] == pytest.approx(5 * 16 * 2 * 827 / SR)
    assert left.images[0].get_extent()[3] == pytest.approx(SR / 2000)
    assert len(left.lines) == 4  # a border between each two patches
    assert right.get_title() == "patch 3: 256 x 16"
    with pytest.raises(ValueError, match="patch 7"):
        plotting.plot_costa_patches(P, SR, 827, shown=7)


def test_glcm_inputs_figure_names_the_grey_levels_and_what_the_colour_counts():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((6, 16, 16, 4))
    labels = np.array([0, 1, 2, 0, 1, 2])
    classes = ("Bossa Nova", "Tango", "k-pop")
    fig = plotting.plot_glcm_inputs(X, labels, classes, ("Tango", "k-pop"))
    panels = _panels(fig)
    assert len(panels) == 8
    assert [p.get_title() for p in panels[:4]] == [
        "Tango, 0°",
        "Tango, 45°",
        "Tango, 90°",
        "Tango, 135°",
    ]
    assert all(p.get_xlabel() == "grey level j (neighbour)" for p in panels)
    assert all(p.get_ylabel() == "grey level i" for p in panels)
    (bar,) = _colour_bars(fig)
    assert "standardised" in bar and "count" in bar
    # The first k-pop segment (index 2), 90° map, is what its panel shows.
    np.testing.assert_array_equal(panels[6].images[0].get_array(), X[2, :, :, 2])
    with pytest.raises(ValueError, match="not one of the classes"):
        plotting.plot_glcm_inputs(X, labels, classes, ("metal",))
    with pytest.raises(ValueError, match="no segment"):
        plotting.plot_glcm_inputs(X, np.zeros(6, int), classes, ("Tango",))
    with pytest.raises(ValueError, match="angles"):
        plotting.plot_glcm_inputs(X[..., :2], labels, classes, ("Tango",))


def test_stft_segment_figure_has_time_frequency_axes_and_a_db_colour_bar():
    X = np.random.default_rng(0).uniform(-80, 0, (65, 513))
    fig = plotting.plot_stft_segment(X, SR, 512, title="segment 1")
    (ax,) = _panels(fig)
    assert ax.get_xlabel() == "time (s)" and "kHz" in ax.get_ylabel()
    assert _colour_bars(fig) == [plotting.DB_BELOW_MAX]
    assert ax.images[0].get_extent()[1] == pytest.approx(65 * 512 / SR)
    with pytest.raises(ValueError, match="frames, bins"):
        plotting.plot_stft_segment(X[None], SR, 512)


def test_confusion_has_a_colour_bar_of_clips_and_class_axes():
    ax = plotting.plot_confusion([[3, 1], [0, 4]], ["Tango", "k-pop"], title="t")
    assert _colour_bars(ax.figure) == ["clips"]
    assert ax.get_xlabel() == "predicted class" and ax.get_ylabel() == "true class"


def test_history_says_the_level_and_names_each_series():
    history = {
        "loss": [2.0, 1.5],
        "accuracy": [0.2, 0.4],
        "val_loss": [2.1, 1.7],
        "val_accuracy": [0.2, 0.3],
    }
    ax = plotting.plot_history(history, title="Costa CNN", level="patch")
    assert ax[0].get_title() == "Costa CNN: patch level"
    assert ax[0].get_ylabel() == "patch-level loss (cross-entropy)"
    assert ax[1].get_ylabel() == "patch-level accuracy (fraction)"
    assert ax[0].get_xlabel() == ax[1].get_xlabel() == "epoch"
    legend = [t.get_text() for t in ax[1].get_legend().get_texts()]
    assert legend == ["training (running mean, dropout on)", "validation"]
    plain = plotting.plot_history(history)
    assert plain[0].get_ylabel() == "loss (cross-entropy)"


def test_histories_label_each_panel_by_its_metric_and_level():
    runs = {"max pooling": {"val_loss": [2, 1]}, "max+avg pooling": {"val_loss": [3]}}
    axes = plotting.plot_histories(runs, metrics=("val_loss",), level="segment")
    assert axes[0].get_ylabel() == "segment-level validation loss (cross-entropy)"
    assert [t.get_text() for t in axes[0].get_legend().get_texts()] == list(runs)


# --------------------------------------------------------------------------- tables


def _metrics(acc, seg=None, valid=None, train=None, n=150):
    m = {"accuracy": acc, "n_clips": n, "segment_accuracy": seg or acc}
    if valid is not None:
        m["valid_accuracy"] = valid
    if train is not None:
        m["train_accuracy"] = train
    return m


def _selected(rule, valid_accs, test, train=None):
    out = {
        "rule": rule,
        "valid": {r: {"accuracy": a} for r, a in valid_accs.items()},
        "test": test,
    }
    if train is not None:
        out["train"] = {"accuracy": train}
    return out


def test_rule_table_marks_the_rule_chosen_on_validation():
    sel = _selected("sum", {"vote": 0.6, "sum": 0.65, "product": 0.625}, _metrics(0.5))
    assert readings.rule_table(sel).splitlines() == [
        "| rule | validation clip accuracy |",
        "|---|---|",
        "| vote | 60.0 % |",
        "| sum (chosen) | 65.0 % |",
        "| product | 62.5 % |",
    ]


def test_scored_once_sentence_gives_the_rule_the_test_and_the_training_clips():
    sel = _selected("product", {"product": 0.7}, _metrics(0.6, seg=0.55), train=1.0)
    text = readings.scored_once_sentence(sel, 40, level="patch")
    assert text == (
        "Chosen on the 40 validation clips: the **product** rule. On the 150 test "
        "clips, scored once with it: **60.0 %** (patch level: 55.0 %). On the "
        "training clips, the same way (no dropout): 100.0 %."
    )
    del sel["train"]
    assert "training clips" not in readings.scored_once_sentence(sel, 40)


def test_costa_table_names_systems_for_readers_beside_the_paper():
    t = readings.costa_table(
        _metrics(0.6),
        _metrics(0.867),
        _metrics(0.84),
        cnn_rule="sum",
        lbp_rule="max",
        dataset="folder",
        split="stratified",
        paper=costa.PAPER_LMD,
    )
    lines = t.splitlines()
    assert lines[0].startswith("| system | our test clip accuracy (folder, stratified)")
    assert lines[2] == "| Costa's CNN (sum rule over patches) | 60.0 % | 83.0 ± 2.2 % |"
    assert lines[3].startswith("| LBP-zone SVM (max rule over zones) | 86.7 % |")
    assert lines[4].startswith(
        "| Costa's CNN fused with the LBP-zone SVM (product rule) | 84.0 % | 92.0"
    )
    assert "costa_cnn" not in t and "lbp_zone_svm" not in t


def test_nakashika_integration_table_shows_weights_and_training_accuracy():
    stacked = _selected("sum", {"sum": 0.7}, _metrics(0.693), train=1.0)
    single = {
        "0°": _selected("vote", {"vote": 0.6}, _metrics(0.547), train=0.9),
        "90°": _selected("sum", {"sum": 0.5}, _metrics(0.48), train=0.8),
    }
    weights = {"0°": 1192, "90°": 1192, "stacked": 2488}
    t = readings.nakashika_integration_table(
        stacked, single, weights, nakashika.REPRODUCTION
    )
    lines = t.splitlines()
    assert lines[2] == "| 0° map only | 1,192 | vote | 90.0 % | 54.7 % | 52 % |"
    assert lines[3] == "| 90° map only | 1,192 | sum | 80.0 % | 48.0 % | 41 % |"
    assert lines[4] == "| all 4 maps stacked | 2,488 | sum | 100.0 % | 69.3 % | 50 % |"


def test_results_tables_name_chapter_3s_baseline_by_its_display_name():
    glcm = _selected("sum", {"sum": 0.7}, _metrics(0.693))
    base = ("lbp_zone_svm", _metrics(0.867, valid=0.9))
    t = readings.nakashika_results_table(
        glcm, 4, "synthetic", "stratified", base, "~72 %"
    )
    assert "| chapter 3's best on validation: LBP-zone SVM | 86.7 % |" in t
    assert "Nakashika's GLCM network, 4 maps, sum rule | 69.3 % |" in t
    no_base = readings.nakashika_results_table(
        glcm, 4, "synthetic", "stratified", None, "~72 %"
    )
    assert "chapter 3" not in no_base


def _run(best, ran, stopped="early stopping"):
    return SimpleNamespace(best_epoch=best, epochs_run=ran, stopped_by=stopped)


def test_zhang_ablation_table_uses_readers_names_and_marks_the_kept_variant():
    ids = ["zhang_cnn_max", "zhang_cnn_max_avg_shortcuts"]
    results = {
        ids[0]: _selected("sum", {}, _metrics(0.6, seg=0.55, valid=0.62, train=0.8)),
        ids[1]: _selected("vote", {}, _metrics(0.7, seg=0.66, valid=0.7, train=0.98)),
    }
    runs = {ids[0]: _run(5, 8), ids[1]: _run(30, 30, "epoch cap")}
    t = readings.zhang_ablation_table(
        results, runs, {ids[0]: 10, ids[1]: 12345}, ids[1]
    )
    lines = t.splitlines()
    assert lines[2] == (
        "| max pooling | 10 | sum | 62.0 % | 60.0 % | 55.0 % | 80.0 % | 5 of 8 | "
        "early stopping |"
    )
    assert lines[3].startswith(
        "| max+avg pooling and shortcuts **(kept)** | 12,345 | vote | 70.0 % |"
    )
    assert lines[3].endswith("| 30 of 30 | epoch cap |")
    assert "zhang_cnn" not in t


def test_networks_table_keeps_only_these_clips_and_names_systems_by_chapter():
    same = {"SPLIT": "stratified", "SEED": 0}
    entry = {"dataset": "synthetic", "params": dict(same), "accuracy": 0.6}
    records = {
        "04_costa_cnn": {"systems": {"costa_cnn": entry | {"valid_accuracy": 0.55}}},
        "05_nakashika_glcm_cnn": None,
        "06_zhang_cnn": {
            "systems": {
                "zhang_cnn_max": entry,
                # another seed: not these clips
                "zhang_cnn_max_avg": entry | {"params": {**same, "SEED": 1}},
            }
        },
    }
    base = ("descriptor_svm", _metrics(0.8, valid=0.85))
    paper = [["*paper*", "", "*87.4 %*", "*GTZAN*"]]
    t = readings.networks_table(records, same, "synthetic", "stratified", base, paper)
    lines = t.splitlines()
    assert (
        lines[2]
        == "| chapter 4: Costa's CNN | 55.0 % | 60.0 % | synthetic, stratified |"
    )
    assert lines[3] == (
        "| chapter 6: Zhang's network with max pooling |  | 60.0 % | "
        "synthetic, stratified |"
    )
    assert lines[4] == (
        "| **chapter 3's best on validation: descriptor SVM** | 85.0 % | **80.0 %** | "
        "synthetic, stratified |"
    )
    assert lines[5] == "| *paper* |  | *87.4 %* | *GTZAN* |"
    assert len(lines) == 6
