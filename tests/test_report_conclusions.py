"""Chapter 10's conclusions: the direction each names, what it omits, missing chapters.

Written against behaviour any wording keeps: the pretraining sentence says "ahead" when
the pretrained networks lead by more than the spread and "behind" when they trail, never
the other way; Li's MFCC network (scored apart, on its own input) never enters the
spectrogram-or-raw-audio comparison; chapters that recorded nothing give no conclusion,
and nothing at all gives the "no chapter" sentence. The comparison sentences of chapters
3-7 are tested in test_report.py.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

from mgr_utils import report  # noqa: E402


def _system(acc, n=40, family="spectrogram CNN", dataset="synthetic"):
    k = round(acc * n)
    return {
        "accuracy": acc,
        "n_clips": n,
        "confusion": [[k, 0], [n - k, 0]],
        "dataset": dataset,
        "split": "stratified",
        "protocol": "p",
        "selected_on": "validation",
        "choices": {"rule": "sum"},
        "family": family,
        "reported": None,
    }


def _pretraining(random_mean, pretrained_mean, jitter=0.01):
    """Chapter 8's extra with three seeds per arm and the paired test the chapter records."""
    from mgr_utils.comparison import paired_seeds

    rnd = [random_mean - jitter, random_mean + 2 * jitter, random_mean - jitter]
    pre = [pretrained_mean + jitter, pretrained_mean, pretrained_mean - jitter]
    c = paired_seeds(
        pre, rnd, "pretrained_crbm_10pct_labels", "random_init_10pct_labels"
    ) | {
        "fraction": 0.1,
        "n_labelled": 12,
    }
    return {
        "08_pretraining": {
            "systems": {},
            "extras": {
                "fractions": {
                    "labelled": [0.1],
                    "labels": ["10 %"],
                    "seeds": 3,
                    "random": {"mean": [random_mean], "std": [jitter]},
                    "pretrained": {"mean": [pretrained_mean], "std": [jitter]},
                    "comparisons": [c],
                }
            },
        }
    }


def _paragraph(text, needle):
    hits = [p for p in text.split("\n\n") if needle in p]
    assert len(hits) == 1, f"one paragraph should mention {needle!r}:\n{text}"
    return hits[0]


def test_pretraining_ahead_when_the_paired_test_says_the_pretrained_networks_lead():
    text = _paragraph(
        report.conclusions(_pretraining(random_mean=0.40, pretrained_mean=0.70)),
        "Pretraining",
    )
    assert "**the network pretrained with CD-1 RBMs** (mean 70.0 %) ahead of" in text
    assert "**the network from random" not in text and "cannot tell apart" not in text


def test_pretraining_behind_when_the_paired_test_says_the_random_start_leads():
    text = _paragraph(
        report.conclusions(_pretraining(random_mean=0.70, pretrained_mean=0.40)),
        "Pretraining",
    )
    assert "**the network from random weights** (mean 70.0 %) ahead of" in text
    assert "**the network pretrained" not in text and "cannot tell apart" not in text


def test_pretraining_neither_ahead_nor_behind_within_the_noise():
    text = _paragraph(
        report.conclusions(
            _pretraining(random_mean=0.50, pretrained_mean=0.51, jitter=0.05)
        ),
        "Pretraining",
    )
    assert "cannot tell apart" in text and " ahead of " not in text


def test_li_net_is_left_out_of_the_spectrogram_or_raw_audio_comparison():
    records = {
        "07_raw_audio": {
            "systems": {
                "dieleman2014_mel": _system(0.6),
                "dieleman2014_raw": _system(0.4, family="raw audio"),
                "lee2017_sample_cnn": _system(0.45, family="raw audio"),
                "li2010_mfcc_cnn": _system(0.3, family="raw audio"),
            }
        }
    }
    text = report.conclusions(records)
    comparison = _paragraph(text, "Dieleman's raw-waveform network")
    assert "Lee's sample-level network" in comparison, (
        "every raw-audio network of chapter 7 is compared"
    )
    assert "Li's" not in comparison, "Li's MFCC network is not a raw-audio front end"
    assert "30.0%" in _paragraph(text, "Li et al."), (
        "Li's net has a sentence of its own"
    )


def _scored(right, n=20, family="spectrogram CNN", **extra):
    ids = [f"c{i}" for i in range(n)]
    y_pred = [0 if i in set(right) else 1 for i in range(n)]
    return dict(
        _system(len(set(right)) / n, n, family=family),
        genres=[f"g{i}" for i in range(10)],
        clip_ids=ids,
        y_true=[0] * n,
        y_pred=y_pred,
        **({"train_accuracy": 0.9, "stopped_by": "early stopping"} | extra),
    )


def test_raw_audio_is_compared_with_the_mel_front_end_whatever_the_order(monkeypatch):
    # a second spectrogram network recorded before the mel front end: the raw front
    # end is still compared with the mel one (the same back end), not the first found
    from mgr_utils import comparison

    monkeypatch.setitem(comparison.DISPLAY_NAMES, "stft_cnn", "an STFT network")
    records = {
        "07_raw_audio": {
            "systems": {
                "stft_cnn": _scored(range(2)),
                "dieleman2014_mel": _scored(range(10)),
                "dieleman2014_raw": _scored(range(17), family="raw audio"),
            }
        }
    }
    text = _paragraph(report.conclusions(records), "Spectrograms or raw audio")
    assert (
        "**Dieleman's raw-waveform network** (85.0 %) ahead of Dieleman's "
        "mel-spectrogram network (50.0 %; 7 vs 0 discordant clips"
    ) in text
    assert "STFT" not in text


def test_a_network_still_learning_at_the_cap_gets_no_verdict_in_row_and_conclusion():
    records = {
        "03_texture_features": {
            "systems": {
                "lbp_zone_svm": dict(
                    _scored(range(10), family="classical", valid_accuracy=0.7),
                    train_accuracy=None,
                    stopped_by=None,
                )
            }
        },
        "06_zhang_cnn": {
            "systems": {
                "zhang_cnn_max": _scored(
                    range(18),
                    stopped_by="epoch cap",
                    max_epochs=6,
                    epochs_run=6,
                    chosen_variant=True,
                )
            }
        },
    }
    text = report.conclusions(records)
    assert (
        "Zhang's network with max pooling (chapter 6, kept on validation) and the "
        "classical LBP-zone SVM are not compared: Zhang's network with max pooling was "
        "still learning at the cap: no verdict (the epoch cap of 6 epochs, not early "
        "stopping, ended its training)."
    ) in text
    assert " ahead of " not in text
    rows = report.collect(records)
    table = report.table_markdown(rows)
    assert (
        "| Zhang's network with max pooling (6) | 90.0% [70%, 97%] **still learning at "
        "the cap: no verdict** (the epoch cap of 6 epochs, not early stopping, ended "
        "its training) |"
    ) in table
    assert [r.no_verdict is None for r in rows] == [True, False]
    ax = report.plot_reported_vs_reproduced(rows)
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "ours: no verdict (not ended by early stopping)" in legend


def test_missing_chapters_give_no_conclusion_and_none_give_the_no_chapter_sentence():
    assert report.conclusions({}).startswith("No chapter")
    only_classical = {
        "03_texture_features": {
            "systems": {
                "lbp_zone_svm": dict(
                    _system(0.5, family="classical"), valid_accuracy=0.6
                )
            }
        }
    }
    assert report.conclusions(only_classical).startswith("No chapter"), (
        "a baseline alone concludes nothing"
    )
    text = report.conclusions(_pretraining(0.4, 0.7))
    assert "chapter 8" in text
    for absent in ("chapter 7", "chapter 9", "classical", "raw front end", "auralised"):
        assert absent not in text, f"{absent!r} has no record in this build"


def test_the_invariance_reading_names_the_most_correlated_change_per_depth():
    # the change whose outputs stay MOST correlated is the one a layer cares least about
    inv = {
        "layers": [1, 2, 3],
        "key": [0.9, 0.2, 0.5],
        "chord": [0.3, 0.8, 0.4],
        "instrument": [0.1, 0.1, 0.7],
    }
    text = _paragraph(
        report.conclusions(
            {"09_auralisation": {"systems": {}, "extras": {"invariance": inv}}}
        ),
        "What the auralised layers keep",
    )
    assert "layer 1: key, layer 2: chord, layer 3: instrument." in text
    assert "A key change matters least at 1 of 3 depths here" in text


def test_a_stored_comparison_is_turned_round_with_its_numbers():
    paired = {
        "a": "random_init_10pct_labels",
        "b": "pretrained_crbm_10pct_labels",
        "test": "paired t-test across seeds",
        "n": 3,
        "mean_a": 0.4,
        "mean_b": 0.6,
        "mean_difference": -0.2,
        "p": 0.01,
        "alpha": 0.05,
        "verdict": "pretrained_crbm_10pct_labels ahead",
    }
    records = {"08_pretraining": {"systems": {}, "comparisons": [paired]}}
    same = report.stored_comparison(
        records, ["08_pretraining"], paired["a"], paired["b"]
    )
    assert same == paired
    turned = report.stored_comparison(
        records, ["08_pretraining"], paired["b"], paired["a"]
    )
    assert (turned["a"], turned["b"]) == (paired["b"], paired["a"])
    assert (turned["mean_a"], turned["mean_b"]) == (0.6, 0.4)
    assert turned["mean_difference"] == 0.2  # mean_a - mean_b, of the new order
    assert turned["verdict"] == paired["verdict"] and turned["p"] == paired["p"]
    assert paired["mean_difference"] == -0.2, "the record itself is left alone"
    mcnemar_c = {
        "a": "costa_cnn",
        "b": "lbp_zone_svm",
        "test": "exact McNemar",
        "n": 40,
        "a_only": 2,
        "b_only": 9,
        "accuracy_a": 0.5,
        "accuracy_b": 0.675,
        "p": 0.065,
        "alpha": 0.05,
        "verdict": "cannot tell apart",
    }
    records = {"04_costa_cnn": {"systems": {}, "comparisons": [mcnemar_c]}}
    turned = report.stored_comparison(
        records, ["04_costa_cnn"], "lbp_zone_svm", "costa_cnn"
    )
    assert (turned["a_only"], turned["b_only"]) == (9, 2)
    assert (turned["accuracy_a"], turned["accuracy_b"]) == (0.675, 0.5)
    assert "mean_difference" not in turned
