"""Chapter 10's report: rows, missing chapters, paired verdicts, data notes."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402

from mgr_utils import report  # noqa: E402


def _system(
    acc,
    n,
    dataset="synthetic",
    split="stratified",
    reported=None,
    family="spectrogram CNN",
):
    k = round(acc * n)
    return {
        "accuracy": acc,
        "n_clips": n,
        "confusion": [[k, 0], [n - k, 0]],
        "dataset": dataset,
        "split": split,
        "protocol": "p",
        "selected_on": "validation",
        "choices": {"rule": "sum"},
        "family": family,
        "reported": reported,
    }


RECORDS = {
    "03_texture_features": {
        "systems": {"lbp_zone_svm": _system(0.8, 40, family="classical")}
    },
    "04_costa_cnn": {
        "systems": {
            "costa_cnn": _system(
                0.5,
                40,
                reported={
                    "value": 0.83,
                    "metric": "accuracy",
                    "dataset": "LMD",
                    "protocol": "3-fold CV",
                    "source": "Costa",
                    "sureness": "paper",
                },
            )
        }
    },
    "07_raw_audio": {
        "systems": {
            "li2010_mfcc_cnn": _system(0.3, 40, family="raw audio"),
            "li2010_mfcc_cnn_on_training_clips": dict(
                _system(0.9, 120, family="raw audio"),
                scored_on="training clips (not held out)",
            ),
            "dieleman2014_raw": _system(
                0.4,
                40,
                family="raw audio",
                reported={
                    "value": 0.8487,
                    "metric": "tag ROC-AUC",
                    "dataset": "MTAT",
                    "protocol": "folders",
                    "source": "S",
                    "sureness": "secondary",
                },
            ),
        }
    },
}


def test_rows_carry_both_sides_and_a_wilson_interval():
    rows = report.collect(RECORDS)
    assert [r.system for r in rows] == [
        "lbp_zone_svm",
        "costa_cnn",
        "li2010_mfcc_cnn",
        "li2010_mfcc_cnn_on_training_clips",
        "dieleman2014_raw",
    ]
    costa = rows[1]
    assert costa.low == pytest.approx(0.3520, abs=1e-3) and costa.high == pytest.approx(
        0.6480, abs=1e-3
    )
    assert (
        costa.anchor == "papers-costa"
        and rows[2].anchor == "papers-li"
        and rows[4].anchor == "papers-dieleman2014"
    )
    table = report.table_markdown(rows)
    assert (
        "| Costa's CNN (4) | 50.0% [35%, 65%] | 40 | synthetic, stratified "
        "| validation |" in table
    )
    assert (
        "| 90.0% [83%, 94%] **on training clips (not held out)** | 120 (training "
        "clips) |" in table
    ), "a training score says so, with its n"
    papers = report.reported_markdown(rows)
    assert (
        "| Costa's CNN (4) | 83.0% accuracy (read in the paper, "
        "{ref}`appendix <papers-costa>`) | LMD | "
        "10% (10 classes) | 3-fold CV |"
    ) in papers, "LMD's 10 genres from the default mapping"
    assert "0.8487 tag ROC-AUC (secondary source" in papers, (
        "other metrics are shown as they are, not as percentages"
    )
    assert "| — (not an accuracy) |" in papers
    assert "LBP-zone SVM" not in papers, "only rows with a paper's number"
    assert "_" not in table + papers, "readers see display names, never code ids"
    protocols = report.protocols_markdown(rows)
    assert "| Costa's CNN (4) | p | rule: sum |" in protocols


def test_missing_chapters_are_named_with_how_to_run_them():
    missing = report.missing_chapters(RECORDS)
    assert missing == [
        "05_nakashika_glcm_cnn",
        "06_zhang_cnn",
        "08_pretraining",
        "09_auralisation",
        "11_transfer_learning",
    ]
    text = report.missing_message(missing)
    assert "5. Nakashika et al. (`05_nakashika_glcm_cnn`)" in text
    assert (
        "python -m bookbuild build --only 05_nakashika_glcm_cnn --only 06_zhang_cnn"
        in text
    )
    assert report.missing_message([]) == ""
    assert report.collect({}) == [] and report.missing_chapters({}) == list(
        report.SYSTEM_CHAPTERS
    )


def test_datasets_are_always_labelled():
    rows = report.collect(RECORDS)
    assert (
        report.datasets_note(rows)
        == "Every number of ours below was measured on **synthetic**, stratified split."
    )
    mixed = dict(
        RECORDS,
        **{
            "05_nakashika_glcm_cnn": {
                "systems": {
                    "nakashika_glcm_cnn": _system(0.5, 290, "gtzan", "filtered")
                }
            }
        },
    )
    note = report.datasets_note(report.collect(mixed))
    assert "different datasets or splits" in note and "gtzan, filtered split" in note
    assert "| 290 | gtzan, filtered |" in report.table_markdown(report.collect(mixed))


def test_figure_groups_families_and_draws_every_system():
    ax = report.plot_reported_vs_reproduced(report.collect(RECORDS))
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == [
        "Dieleman's raw-waveform network (07)",
        "Li's MFCC network (07)",
        "Costa's CNN (04)",
        "LBP-zone SVM (03)",
    ], "no training score"
    texts = [t.get_text() for t in ax.texts]
    assert {"classical", "spectrogram CNN", "MFCC input", "raw audio"} <= set(texts)
    assert "tag ROC-AUC 0.8487" in texts


# --- Paired verdicts, families, chance levels, data notes (hand-made records) ------

GENRES10 = [f"g{i}" for i in range(10)]
IDS = [f"synth.{i:05d}" for i in range(40)]


def _scored(
    right,
    family="spectrogram CNN",
    ids=IDS,
    train_accuracy=0.9,
    dataset="synthetic",
    **extra,
):
    """A system that got the clips ``right`` (indices) right and the others wrong."""
    right = set(right)
    y_pred = [0 if i in right else 1 for i in range(len(ids))]
    acc = len(right) / len(ids)
    return dict(
        _system(acc, len(ids), dataset=dataset, family=family),
        genres=GENRES10,
        clip_ids=list(ids),
        y_true=[0] * len(ids),
        y_pred=y_pred,
        train_accuracy=train_accuracy,
        **extra,
    )


def _baseline(right, **kw):
    return dict(
        _scored(right, family="classical", train_accuracy=None, **kw),
        valid_accuracy=0.7,
    )


def test_a_cnn_ahead_of_the_baseline_is_named_with_its_paired_test():
    records = {
        "03_texture_features": {"systems": {"lbp_zone_svm": _baseline(range(20))}},
        "04_costa_cnn": {"systems": {"costa_cnn": _scored(range(28))}},
        "06_zhang_cnn": {
            "systems": {
                "zhang_cnn_max_avg": dict(_scored(range(40)), chosen_variant=False),
                "zhang_cnn_max": dict(_scored(range(21)), chosen_variant=True),
            }
        },
    }
    text = report.conclusions(records)
    # 8 clips right for the CNN only, none for the SVM: exact McNemar p = 2 / 2**8
    assert (
        "**Costa's CNN (chapter 4)** (70.0 %) ahead of the classical LBP-zone SVM "
        "(50.0 %; 8 vs 0 discordant clips, exact McNemar p = 0.008, n = 40)."
    ) in text
    assert (
        "Zhang's network with max pooling (chapter 6, kept on validation) (52.5 %) and "
        "the classical LBP-zone SVM (50.0 %): **cannot tell apart**"
    ) in text and "max+avg" not in text, "the variant kept, not the best on test"


def test_the_baseline_ahead_of_a_cnn_is_named_the_other_way_round():
    records = {
        "03_texture_features": {"systems": {"lbp_zone_svm": _baseline(range(30))}},
        "05_nakashika_glcm_cnn": {
            "systems": {"nakashika_glcm_cnn": _scored(range(20))}
        },
    }
    text = report.conclusions(records)
    assert (
        "**The classical LBP-zone SVM** (75.0 %) ahead of Nakashika's GLCM network "
        "(chapter 5) (50.0 %; 10 vs 0 discordant clips"
    ) in text
    assert "ahead of the classical" not in text


def test_a_small_difference_cannot_be_told_apart():
    # 5 clips one way, none the other: p = 0.0625, no verdict
    records = {
        "03_texture_features": {"systems": {"lbp_zone_svm": _baseline(range(20))}},
        "04_costa_cnn": {"systems": {"costa_cnn": _scored(range(25))}},
    }
    text = report.conclusions(records)
    assert (
        "**cannot tell apart**" in text
        and "p = 0.062" in text
        and "ahead**" not in text
    )


def test_a_network_that_did_not_learn_gets_no_verdict():
    records = {
        "03_texture_features": {"systems": {"lbp_zone_svm": _baseline(range(30))}},
        "04_costa_cnn": {
            "systems": {"costa_cnn": _scored(range(4), train_accuracy=0.15)}
        },
    }
    text = report.conclusions(records)
    assert "did not learn in this build (training accuracy 15%, chance 10%)" in text
    assert "ahead**" not in text and "McNemar" not in text
    rows = report.collect(records)
    assert [r.learned for r in rows] == [True, False]
    assert "**did not learn in this build**" in report.table_markdown(rows)


def test_old_records_without_predictions_are_not_compared_and_do_not_crash():
    records = {
        "03_texture_features": {
            "systems": {
                "lbp_zone_svm": dict(
                    _system(0.8, 40, family="classical"), valid_accuracy=0.7
                )
            }
        },
        "04_costa_cnn": {"systems": {"costa_cnn": _system(0.5, 40)}},
        "07_raw_audio": {
            "systems": {
                "dieleman2014_mel": _system(0.6, 40),
                "dieleman2014_raw": _system(0.4, 40, family="raw audio"),
            }
        },
    }
    text = report.conclusions(records)
    assert (
        "Costa's CNN (chapter 4) and the classical LBP-zone SVM are not compared: no "
        "per-clip predictions in their records."
    ) in text
    assert (
        "Dieleman's raw-waveform network and Dieleman's mel-spectrogram network are not "
        "compared: no per-clip predictions" in text
    )
    assert "ahead**" not in text
    assert report.test_clips_note(records).startswith(
        "The records of chapters 3, 4, 7 hold no clip ids"
    )


def test_a_stored_comparison_is_used_when_the_records_hold_no_predictions():
    stored = {
        "a": "lbp_zone_svm",
        "b": "costa_cnn",
        "test": "exact McNemar",
        "n": 150,
        "a_only": 1,
        "b_only": 12,
        "accuracy_a": 0.5,
        "accuracy_b": 0.57,
        "p": 0.0034,
        "alpha": 0.05,
        "verdict": "costa_cnn ahead",
    }
    records = {
        "03_texture_features": {
            "systems": {
                "lbp_zone_svm": dict(
                    _system(0.5, 150, family="classical"), valid_accuracy=0.7
                )
            }
        },
        "04_costa_cnn": {
            "systems": {"costa_cnn": _system(0.57, 150)},
            "comparisons": [stored],
        },
    }
    text = report.conclusions(records)
    assert (
        "**Costa's CNN (chapter 4)** (57.0 %) ahead of the classical LBP-zone SVM "
        "(50.0 %; 12 vs 1 discordant clips, exact McNemar p = 0.003, n = 150)."
    ) in text


def test_systems_scored_on_different_clips_are_not_compared():
    other = [f"fresh.{i:05d}" for i in range(40)]
    records = {
        "03_texture_features": {"systems": {"lbp_zone_svm": _baseline(range(10))}},
        "04_costa_cnn": {"systems": {"costa_cnn": _scored(range(38), ids=other)}},
    }
    text = report.conclusions(records)
    assert (
        "not compared: they were scored on different test clips (40 and 40, 0 in "
        "common)" in text
    )
    note = report.test_clips_note(records)
    assert note == (
        "The systems scored 2 different sets of test clips: chapter 3 on 40 test "
        "clips; chapter 4 on 40 test clips; systems are compared only within a set."
    )
    same = {
        "03_texture_features": {"systems": {"lbp_zone_svm": _baseline(range(10))}},
        "04_costa_cnn": {"systems": {"costa_cnn": _scored(range(38))}},
    }
    assert report.test_clips_note(same) == (
        "All systems with per-clip records (chapters 3, 4 on "
        "40 test clips) scored the same test clips."
    )


def test_li_is_not_in_the_raw_audio_comparison_and_is_drawn_as_mfcc_input():
    li_rep = {
        "value": 0.30,
        "metric": 'accuracy on held-out songs, an upper bound ("below 30 %")',
        "dataset": "GTZAN, 10 genres",
        "protocol": "p",
        "source": "Li",
        "sureness": "paper",
    }
    records = {
        "07_raw_audio": {
            "systems": {
                "li2010_mfcc_cnn": _scored(
                    range(39), family="raw audio", reported=li_rep
                ),
                "dieleman2014_mel": _scored(range(30)),
                "dieleman2014_raw": _scored(range(20), family="raw audio"),
            }
        }
    }
    text = report.conclusions(records)
    raw_paragraph = next(
        p for p in text.split("\n\n") if "Spectrograms or raw audio" in p
    )
    assert "li2010" not in raw_paragraph
    assert (
        "**Dieleman's mel-spectrogram network** (75.0 %) ahead of Dieleman's "
        "raw-waveform network (50.0 %; 10 vs 0 discordant clips"
    ) in raw_paragraph
    assert "**Li et al.'s MFCC network**" in text
    rows = report.collect(records)
    assert rows[0].family == "MFCC input"
    assert report.is_upper_bound(li_rep) and not report.is_upper_bound(
        {"metric": "accuracy"}
    )
    papers = report.reported_markdown(rows)
    assert (
        '| 30.0% accuracy on held-out songs, an upper bound ("below 30 %") (' in papers
    )
    bound = dict(li_rep, metric="accuracy", bound="upper")
    assert report.is_upper_bound(bound)
    li_only = report.collect(
        {"07_raw_audio": {"systems": {"li2010_mfcc_cnn": _scored([], reported=bound)}}}
    )
    assert "| below 30.0% accuracy (read in the paper" in report.reported_markdown(
        li_only
    )
    ax = report.plot_reported_vs_reproduced(rows)
    texts = [t.get_text() for t in ax.texts]
    assert "MFCC input" in texts and "raw audio" in texts
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "the paper's upper bound (below ...)" in legend
    assert "the paper's accuracy (its own dataset)" not in legend, (
        "a bound is not a point"
    )


def test_each_paper_has_its_chance_level():
    assert (
        report.paper_classes(
            {"value": 0.72, "metric": "accuracy", "dataset": "GTZAN (10 genres)"}
        )
        == 10
    )
    assert (
        report.paper_classes(
            {
                "value": 0.75,
                "metric": "accuracy",
                "dataset": "in-house Naver Music set, 3 genres (ballad, dance)",
            }
        )
        == 3
    )
    assert (
        report.paper_classes(
            {
                "value": 0.83,
                "metric": "accuracy",
                "dataset": "LMD, artist-filtered subset (900 tracks, 10 Latin genres)",
            }
        )
        == 10
    )
    assert (
        report.paper_classes(
            {"value": 0.86, "metric": "accuracy", "dataset": "ISMIR 2004 Genre"}
        )
        == 6
    ), "from the default mapping"
    assert (
        report.paper_classes(
            {"value": 0.5, "metric": "accuracy", "dataset": "GTZAN", "n_classes": 4}
        )
        == 4
    ), "the record's own count first"
    assert (
        report.paper_classes(
            {
                "value": 0.88,
                "metric": "tag ROC-AUC",
                "dataset": "MagnaTagATune, 50 tags",
            }
        )
        is None
    )
    assert (
        report.paper_classes(
            {"value": 0.3, "metric": "accuracy", "dataset": "Million Song Dataset"}
        )
        is None
    )
    msd = {
        "value": 0.3,
        "metric": "accuracy",
        "dataset": "Million Song Dataset",
        "protocol": "p",
        "source": "S",
        "sureness": "unverified",
    }
    msd_rows = report.collect(
        {
            "08_pretraining": {
                "systems": {
                    "pretrained_crbm_100pct_labels": _scored(
                        range(20), family="pretraining", reported=msd
                    )
                }
            }
        }
    )
    assert "| not known | p |" in report.reported_markdown(msd_rows)
    choi = {
        "value": 0.75,
        "metric": "accuracy",
        "dataset": "Naver, 3 genres",
        "protocol": "p",
        "source": "C",
        "sureness": "paper",
    }
    rows = report.collect(
        {
            "09_auralisation": {
                "systems": {
                    "choi_cnn": _scored(
                        range(30), family="auralisation net", reported=choi
                    )
                }
            }
        }
    )
    assert "| 33% (3 classes) |" in report.reported_markdown(rows)
    ax = report.plot_reported_vs_reproduced(rows)
    assert "3 classes" in [t.get_text() for t in ax.texts]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "the paper's chance level (1 / its classes)" in legend
    assert "our chance level (1/10: 10 classes)" in legend


def test_pretraining_uses_the_paired_seeds_comparisons_in_both_directions():
    systems = {
        "pretrained_crbm_10pct_labels": dict(
            _system(0.5, 150, family="pretraining"),
            n_labelled_clips=12,
            labelled_fraction=0.1,
        ),
        "random_init_10pct_labels": dict(
            _system(0.4, 150, family="pretraining"),
            n_labelled_clips=12,
            labelled_fraction=0.1,
        ),
        "pretrained_crbm_100pct_labels": dict(
            _system(0.6, 150, family="pretraining"),
            n_labelled_clips=120,
            labelled_fraction=1.0,
        ),
        "random_init_100pct_labels": dict(
            _system(0.7, 150, family="pretraining"),
            n_labelled_clips=120,
            labelled_fraction=1.0,
        ),
    }
    comparisons = [
        {
            "a": "pretrained_crbm_10pct_labels",
            "b": "random_init_10pct_labels",
            "test": "paired t-test across seeds",
            "n": 5,
            "mean_a": 0.5,
            "mean_b": 0.4,
            "mean_difference": 0.1,
            "p": 0.01,
            "alpha": 0.05,
            "verdict": "pretrained_crbm_10pct_labels ahead",
        },
        {
            "a": "pretrained_crbm_100pct_labels",
            "b": "random_init_100pct_labels",
            "test": "paired t-test across seeds",
            "n": 5,
            "mean_a": 0.6,
            "mean_b": 0.7,
            "mean_difference": -0.1,
            "p": 0.02,
            "alpha": 0.05,
            "verdict": "random_init_100pct_labels ahead",
        },
    ]
    text = report.conclusions(
        {"08_pretraining": {"systems": systems, "comparisons": comparisons}}
    )
    assert (
        "With 12 labelled clips (10%): **the network pretrained with CD-1 RBMs** "
        "(mean 50.0 %) ahead of the network from random weights (mean 40.0 %; paired "
        "t-test across seeds, p = 0.010, n = 5 seeds)."
    ) in text
    assert (
        "With 120 labelled clips (100%): **the network from random weights** (mean "
        "70.0 %) ahead of the network pretrained with CD-1 RBMs (mean 60.0 %; paired "
        "t-test across seeds, p = 0.020, n = 5 seeds)."
    ) in text

    fractions = {
        "labelled": [12, 120],
        "labels": ["12 labelled clips (10%)", "120 (100%)"],
        "seeds": 3,
        "random": {"mean": [0.4, 0.7], "std": [0.1, 0.1]},
        "pretrained": {"mean": [0.5, 0.6], "std": [0.1, 0.1]},
    }
    old = report.conclusions(
        {"08_pretraining": {"systems": systems, "extras": {"fractions": fractions}}}
    )
    assert "12 labelled clips (10%): pretrained 50% vs random 40%" in old
    assert "No paired test recorded" in old and "ahead**" not in old


def test_the_scaling_sentence_uses_the_extras_paired_tests_or_says_there_are_none():
    scaling = {
        "clips_per_genre": [2, 18],
        "seeds": 3,
        "accuracy": {
            "mel": [[0.3, 0.2, 0.25], [0.5, 0.5, 0.5]],
            "raw": [[0.4, 0.4, 0.4], [0.5, 0.6, 0.55]],
        },
        "comparisons": [
            {
                "a": "raw",
                "b": "mel",
                "test": "paired t-test across seeds",
                "n": 3,
                "mean_a": 0.4,
                "mean_b": 0.25,
                "mean_difference": 0.15,
                "p": 0.03,
                "alpha": 0.05,
                "verdict": "raw ahead",
                "clips_per_genre": 2,
            },
            {
                "a": "raw",
                "b": "mel",
                "test": "paired t-test across seeds",
                "n": 3,
                "mean_a": 0.55,
                "mean_b": 0.5,
                "mean_difference": 0.05,
                "p": 0.2,
                "alpha": 0.05,
                "verdict": "cannot tell apart",
                "clips_per_genre": 18,
            },
        ],
    }
    text = report.conclusions(
        {"07_raw_audio": {"systems": {}, "extras": {"scaling": scaling}}}
    )
    assert (
        "mean over 3 seeds; mel: 25% at 2, 50% at 18; raw: 40% at 2, 55% at 18" in text
    )
    assert (
        "At 2 clips per genre: **the raw front end** (mean 40.0 %) ahead of the mel "
        "front end (mean 25.0 %; paired t-test across seeds, p = 0.030, n = 3 seeds)."
    ) in text
    assert (
        "At 18 clips per genre: the raw front end (mean 55.0 %) and the mel front end "
        "(mean 50.0 %): **cannot tell apart**"
    ) in text
    del scaling["comparisons"]
    text = report.conclusions(
        {"07_raw_audio": {"systems": {}, "extras": {"scaling": scaling}}}
    )
    assert "No paired test recorded" in text and "ahead**" not in text


def test_the_synthetic_caveat_appears_only_on_synthetic_data():
    synthetic = {"04_costa_cnn": {"systems": {"costa_cnn": _scored(range(20))}}}
    assert "What the synthetic set can and cannot tell" in report.data_note(synthetic)
    assert "synthetic data they are a demonstration" in report.scope_sentence(synthetic)
    ids = [f"blues.{i:05d}" for i in range(15)] + [f"rock.{i:05d}" for i in range(25)]
    gtzan_system = dict(
        _scored(range(20), dataset="gtzan", ids=ids),
        split="filtered",
        params={"DATA_DIR": "~/gtzan", "N_PER_GENRE": None, "DURATION": None},
    )
    gtzan = {
        "04_costa_cnn": {"systems": {"costa_cnn": gtzan_system}},
        "05_nakashika_glcm_cnn": {"systems": {"nakashika_glcm_cnn": gtzan_system}},
    }
    note = report.data_note(gtzan)
    assert "synthetic" not in note
    assert (
        "- chapters 4, 5: GTZAN, the clips in `~/gtzan`, each whole; the "
        "fault-filtered split of Kereliuk, Sturm and Larsen"
    ) in note
    assert "; 40 test clips (blues 15, rock 25)." in note
    assert "synthetic" not in report.scope_sentence(gtzan)
    assert report.data_note({}) == ""


def test_a_count_of_labelled_clips_is_restated_from_the_numbers():
    wrong = dict(
        _system(0.5, 150, family="pretraining"),
        n_labelled_clips=120,
        labelled_fraction=1.0,
        params={"SEED": 0},
        choices={"labelled clips": "120 drawn at random per genre (seed 0)"},
    )
    row = report.collect(
        {"08_pretraining": {"systems": {"pretrained_crbm_100pct_labels": wrong}}}
    )[0]
    assert row.choices["labelled clips"] == (
        "120 in all, 100% of each genre's training clips, drawn at random (seed 0)"
    )
    assert "per genre" not in report.protocols_markdown([row])


def test_the_run_table_lists_each_chapter_that_ran():
    records = {
        "04_costa_cnn": {
            "systems": {},
            "run": {
                "seconds": 52.4,
                "peak_memory_mb": {"total": 2048},
                "machine": "2-core CPU",
            },
        }
    }
    assert report.runs_markdown(records).splitlines()[-1] == (
        "| 4. Costa et al. | 52 s | 2.0 GB | 2-core CPU |"
    )


def test_pretraining_comparisons_of_the_same_two_arms_at_two_fractions_both_appear():
    def seeded(fraction, verdict, p):
        return {
            "a": f"pretrained_crbm_{round(fraction * 100)}pct_labels",
            "b": f"random_init_{round(fraction * 100)}pct_labels",
            "test": "paired t-test across seeds",
            "n": 3,
            "mean_a": 0.5,
            "mean_b": 0.4,
            "mean_difference": 0.1,
            "p": p,
            "alpha": 0.05,
            "verdict": verdict,
            "fraction": fraction,
        }

    record = {
        "systems": {},
        "comparisons": [
            seeded(0.1, "cannot tell apart", 0.3),
            seeded(1.0, "pretrained_crbm_100pct_labels ahead", 0.01),
        ],
    }
    text = report.conclusions({"08_pretraining": record})
    assert (
        "With 10% of the labels: the network pretrained with CD-1 RBMs (mean 50.0 %) "
        "and the network from random weights (mean 40.0 %): **cannot tell apart**"
    ) in text
    assert (
        "With 100% of the labels: **the network pretrained with CD-1 RBMs** (mean "
        "50.0 %) ahead of the network from random weights" in text
    )


def test_a_pretraining_arm_that_did_not_learn_is_said_so():
    record = {
        "systems": {},
        "comparisons": [
            {
                "a": "pretrained_crbm_10pct_labels",
                "b": "random_init_10pct_labels",
                "test": "not compared",
                "n": 0,
                "p": None,
                "verdict": "cannot tell apart",
                "fraction": 0.1,
                "reason": "the random start, seed 0, did not learn in this build "
                "(training accuracy 12%, chance 10%)",
            }
        ],
    }
    text = report.conclusions({"08_pretraining": record})
    assert (
        "With 10% of the labels: the network pretrained with CD-1 RBMs and the network "
        "from random weights are not compared: the random start, seed 0, did not "
        "learn in this build"
    ) in text
    assert "ahead**" not in text


def test_li_below_twice_chance_is_said_not_to_have_learned():
    records = {
        "07_raw_audio": {
            "systems": {
                "li2010_mfcc_cnn": _scored(
                    range(5), family="raw audio", train_accuracy=0.18
                )
            }
        }
    }
    text = report.conclusions(records)
    assert (
        "12.5% on test clips (did not learn in this build; training accuracy 18%, "
        "chance 10%)"
    ) in text


def test_every_paper_link_goes_to_its_own_section_of_the_appendix():
    import re
    from pathlib import Path

    papers = (Path(__file__).resolve().parents[1] / "book" / "papers.md").read_text()
    labels = set(re.findall(r"^\(([\w-]+)\)=$", papers, flags=re.M))
    cases = {
        ("03_texture_features", "lbp_zone_svm"): "papers-costa",
        ("03_texture_features", "glcm_svm"): "papers-nakashika",
        ("04_costa_cnn", "costa_cnn_x_lbp_product"): "papers-costa",
        ("05_nakashika_glcm_cnn", "nakashika_glcm_cnn"): "papers-nakashika",
        ("06_zhang_cnn", "zhang_cnn_max_avg"): "papers-zhang",
        ("07_raw_audio", "li2010_mfcc_cnn"): "papers-li",
        ("07_raw_audio", "dieleman2014_mel"): "papers-dieleman2014",
        ("07_raw_audio", "sample_cnn"): "papers-lee",
        ("08_pretraining", "pretrained_cnn"): "papers-dieleman2011",
        ("09_auralisation", "choi_cnn"): "papers-choi",
    }
    for (chapter, system), anchor in cases.items():
        assert report.anchor_of(chapter, system) == anchor, (chapter, system)
    assert {a for a in map(lambda c: report.anchor_of(*c), cases)} <= labels
    every = set(report._ANCHORS.values()) | {
        a for pairs in report._SYSTEM_ANCHORS.values() for _, a in pairs
    }
    assert every <= labels, (
        f"labels missing from book/papers.md: {sorted(every - labels)}"
    )


def test_verdicts_start_sentences_with_a_capital_and_seed_lists_are_counted():
    records = {
        "03_texture_features": {"systems": {"lbp_zone_svm": _baseline(range(30))}},
        "05_nakashika_glcm_cnn": {
            "systems": {"nakashika_glcm_cnn": _scored(range(20))}
        },
    }
    text = report.conclusions(records)
    assert "**The classical LBP-zone SVM** (75.0 %) ahead of Nakashika's" in text
    scaling = {
        "clips_per_genre": [3, 12],
        "seeds": [0, 1, 2],
        "accuracy": {"mel": [0.4, 0.7], "raw": [0.5, 0.8]},
    }
    text = report.conclusions(
        {"07_raw_audio": {"systems": {}, "extras": {"scaling": scaling}}}
    )
    assert "mean over 3 seeds" in text and "[0, 1, 2]" not in text


def test_chapter_11_verdicts_are_reported_from_its_stored_comparisons():
    from mgr_utils.comparison import mcnemar

    y = [0] * 20
    c = mcnemar(
        y,
        [0] * 15 + [1] * 5,
        [0] * 5 + [1] * 15,
        "musicnn_msd_linear_svm",
        "descriptor_svm",
    )
    text = report.conclusions(
        {"11_transfer_learning": {"systems": {}, "comparisons": [c]}}
    )
    assert "**Transfer from the Million Song Dataset**" in text
    assert (
        "**musicnn embeddings with a linear SVM** (75.0 %) ahead of descriptor SVM "
        "(25.0 %; 10 vs 0 discordant clips, exact McNemar p = 0.002, n = 20)."
    ) in text
    assert report.conclusions({"11_transfer_learning": {"systems": {}}}).startswith(
        "No chapter"
    )
