"""Chapter 10's additions of issues 25-27: seed labels, unverified papers' marks, the
collection's classes, chapter 12's robustness table and run."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from mgr_utils import report  # noqa: E402
from mgr_utils import validity as v  # noqa: E402

FOLDER = ["Bossa Nova", "Drum & Bass", "Tango", "k-pop"]


def _system(acc, n=40, genres=FOLDER, **extra):
    return {
        "accuracy": acc,
        "n_clips": n,
        "dataset": extra.pop("dataset", "folder"),
        "split": "stratified",
        "protocol": "p",
        "selected_on": "validation",
        "choices": {},
        "family": extra.pop("family", "spectrogram CNN"),
        "reported": extra.pop("reported", None),
        "genres": genres,
        **extra,
    }


def test_chapter_8_rows_say_which_seed_they_show():
    seeded = _system(
        0.25,
        150,
        family="pretraining",
        accuracy_seeds=[0.25, 0.19, 0.29],
        params={"SEED": 0},
    )
    rows = report.collect(
        {"08_pretraining": {"systems": {"random_init_10pct_labels": seeded}}}
    )
    table = report.table_markdown(rows)
    assert (
        "25.0% [19%, 33%] (seed 0 of 3; the verdicts below compare the 3-seed means)"
        in table
    )
    one = report.collect({"04_costa_cnn": {"systems": {"costa_cnn": _system(0.5)}}})
    assert "seed" not in report.table_markdown(one)


def test_an_unverified_papers_number_is_drawn_hollow_and_grey_with_its_legend():
    unverified = {
        "value": 0.874,
        "metric": "accuracy",
        "dataset": "GTZAN (10 genres)",
        "protocol": "p",
        "source": "S",
        "sureness": "unverified",
    }
    read = dict(unverified, sureness="paper", value=0.83)
    rows = report.collect(
        {
            "04_costa_cnn": {"systems": {"costa_cnn": _system(0.5, reported=read)}},
            "06_zhang_cnn": {
                "systems": {"zhang_cnn_max": _system(0.4, reported=unverified)}
            },
        }
    )
    ax = report.plot_reported_vs_reproduced(rows)
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "a paper's accuracy we could not verify (hollow)" in legend
    assert "the paper's accuracy (its own dataset)" in legend
    assert "our chance level (1/4: 4 classes)" in legend
    diamonds = {
        round(float(line.get_xdata()[0]), 3): line
        for line in ax.lines
        if line.get_marker() == "D"
    }
    assert diamonds[0.874].get_markerfacecolor() == "white"
    assert diamonds[0.83].get_markerfacecolor() != "white"
    assert ax.get_xlabel() == "clip accuracy (share of the test clips)"


def test_the_collection_and_its_classes_are_named():
    system = _system(0.5, params={"DATA_DIR": "/data/mine"})
    records = {
        "03_texture_features": {"systems": {"lbp_zone_svm": system}},
        "04_costa_cnn": {"systems": {"costa_cnn": system}},
    }
    assert report.collection_note(records) == (
        "**The collection.** A folder collection (`/data/mine`), 4 classes: "
        "Bossa Nova, Drum & Bass, Tango, k-pop."
    )
    note = report.data_note(records)
    assert "A folder collection (`/data/mine`), 4 classes" in note
    assert "- chapters 3, 4: a folder collection, the clips in `/data/mine`" in note
    assert "synthetic" not in note and "per genre" not in note
    synthetic = {
        "04_costa_cnn": {
            "systems": {
                "costa_cnn": _system(
                    0.5, dataset="synthetic", genres=["blues", "classical"]
                )
            }
        }
    }
    note = report.data_note(synthetic)
    assert "What the synthetic set can and cannot tell" in note
    assert "**The collection.** The synthetic set, 2 classes: blues, classical." in note


def _validity_record():
    def effect(before, after, p):
        return {
            "n": 10,
            "accuracy_before": before,
            "accuracy_after": after,
            "change": after - before,
            "changed": 2,
            "changed_share": 0.2,
            "right_only_before": 3,
            "right_only_after": 0,
            "test": "exact McNemar",
            "p": p,
            "alpha": 0.05,
            "verdict": "cannot tell apart" if p >= 0.05 else "lower after",
        }

    measured = {
        "n": 10,
        "transformations": [
            {"name": "highpass20", "label": "20 Hz high-pass"},
            {"name": "stretch", "label": "tempo +6 %"},
        ],
        "effects": {
            "lbp_zone_svm": {
                "highpass20": effect(0.8, 0.7, 0.5),
                "stretch": effect(0.8, 0.5, 0.03),
            },
            "dieleman2014_mel": {
                "highpass20": effect(0.6, 0.6, 1.0),
                "stretch": effect(0.6, 0.5, 0.5),
            },
        },
    }
    horse = {"lbp_zone_svm": v.horse_range([0, 1], np.array([[0, 1], [1, 0]]), [0, 1])}
    return v.validity_record(measured, horse, settings={"clips": 10})


def test_the_robustness_table_reads_chapter_12s_record_with_display_names():
    records = {
        "12_validity": {"systems": {}, "extras": {"validity": _validity_record()}}
    }
    text = report.robustness_markdown(records)
    assert "| LBP-zone SVM | -30.0 points (tempo +6 %; p = 0.030, n = 10) |" in text
    assert "| Dieleman's mel-spectrogram network | -10.0 points" in text
    assert "0.0 % to 100.0 % (n = 2)" in text and "not attacked" in text
    assert "From chapter 12's record on 10 test clips." in text
    assert "lbp_zone_svm" not in text, "readers see display names"
    absent = report.robustness_markdown({"04_costa_cnn": {"systems": {}}})
    assert absent.startswith("Chapter 12 (`12_validity`) has no complete record")
    assert "--only 12_validity" in absent


def test_chapter_12_is_in_the_run_table_and_not_a_missing_system_chapter():
    run = {"seconds": 61.2, "peak_memory_mb": {"total": 1024}, "machine": "2-core CPU"}
    records = {"12_validity": {"systems": {}, "run": run}}
    assert report.runs_markdown(records).splitlines()[-1] == (
        "| 12. Is it listening to the genre? | 61 s | 1.0 GB | 2-core CPU |"
    )
    assert "12_validity" not in report.missing_chapters(records)
    assert "12_validity" not in report.SYSTEM_CHAPTERS


def test_conclusions_say_the_two_versions_of_pons_differ():
    scaling = {
        "clips_per_genre": [3, 12],
        "accuracy": {"mel": [0.4, 0.8], "raw": [0.5, 0.85]},
        "seeds": 3,
    }
    text = report.conclusions(
        {"07_raw_audio": {"systems": {}, "extras": {"scaling": scaling}}}
    )
    assert "the two versions of Pons et al. differ" in text
    assert "{cite}`pons2017arxiv`" in text and "{cite}`pons2018`" in text


@pytest.mark.parametrize("chapter", ["09_auralisation", "10_results", "11_transfer"])
def test_no_page_of_these_chapters_says_ten_genres(chapter):
    """The classes come from the data: only a paper's ten genres may be named."""
    import json
    from pathlib import Path

    path = next(Path("notebooks").glob(f"{chapter}*.ipynb"))
    text = " ".join(
        "".join(c["source"]) for c in json.loads(path.read_text())["cells"]
    ).replace("\n", " ")
    assert "ten genres" not in text.lower()
    assert text.count("10 genres") == text.count("75 % on 10 genres")
    assert "GENRES" not in text.replace("LISTEN_GENRES", "")
