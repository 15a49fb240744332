"""Chapter 10's table: rows from the records, Wilson intervals, missing chapters, dataset labels."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402

from mgr_utils import report  # noqa: E402


def _system(acc, n, dataset="synthetic", split="stratified", reported=None, family="spectrogram CNN"):
    k = round(acc * n)
    return {"accuracy": acc, "n_clips": n, "confusion": [[k, 0], [n - k, 0]], "dataset": dataset, "split": split,
            "protocol": "p", "selected_on": "validation", "choices": {"rule": "sum"}, "family": family,
            "reported": reported}


RECORDS = {
    "03_texture_features": {"systems": {"lbp_zone_svm": _system(0.8, 40, family="classical")}},
    "04_costa_cnn": {"systems": {"costa_cnn": _system(0.5, 40, reported={
        "value": 0.83, "metric": "accuracy", "dataset": "LMD", "protocol": "3-fold CV", "source": "Costa", "sureness": "paper"})}},
    "07_raw_audio": {"systems": {"li_cnn": _system(0.3, 40, family="raw audio"),
                                 "li_cnn_on_training_clips": dict(_system(0.9, 120, family="raw audio"),
                                                                  scored_on="training clips (not held out)"),
                                 "dieleman_raw": _system(0.4, 40, family="raw audio", reported={
                                     "value": 0.8487, "metric": "tag ROC-AUC", "dataset": "MTAT", "protocol": "folders",
                                     "source": "S", "sureness": "secondary"})}},
}


def test_rows_carry_both_sides_and_a_wilson_interval():
    rows = report.collect(RECORDS)
    assert [r.system for r in rows] == ["lbp_zone_svm", "costa_cnn", "li_cnn", "li_cnn_on_training_clips", "dieleman_raw"]
    costa = rows[1]
    assert costa.low == pytest.approx(0.3520, abs=1e-3) and costa.high == pytest.approx(0.6480, abs=1e-3)
    assert costa.anchor == "papers-costa" and rows[2].anchor == "papers-li" and rows[4].anchor == "papers-dieleman2014"
    table = report.table_markdown(rows)
    assert "| `costa_cnn` (4) | 83.0% accuracy (read in the paper, {ref}`appendix <papers-costa>`) | LMD | 50.0% [35%, 65%] | 40 | synthetic, stratified | validation |" in table
    assert "0.8487 tag ROC-AUC (secondary source" in table, "other metrics are shown as they are, not as percentages"
    assert "| 90.0% [83%, 94%] **on training clips (not held out)** | — |" in table, "a training score says so"
    protocols = report.protocols_markdown(rows)
    assert "| `costa_cnn` (4) | 3-fold CV | p | rule: sum |" in protocols


def test_missing_chapters_are_named_with_how_to_run_them():
    missing = report.missing_chapters(RECORDS)
    assert missing == ["05_nakashika_glcm_cnn", "06_zhang_cnn", "08_pretraining", "09_auralisation"]
    text = report.missing_message(missing)
    assert "5. Nakashika et al. (`05_nakashika_glcm_cnn`)" in text
    assert "python -m bookbuild build --only 05_nakashika_glcm_cnn --only 06_zhang_cnn" in text
    assert report.missing_message([]) == ""
    assert report.collect({}) == [] and report.missing_chapters({}) == list(report.SYSTEM_CHAPTERS)


def test_datasets_are_always_labelled():
    rows = report.collect(RECORDS)
    assert report.datasets_note(rows) == "Every number of ours below was measured on **synthetic**, stratified split."
    mixed = dict(RECORDS, **{"05_nakashika_glcm_cnn": {"systems": {"n": _system(0.5, 290, "gtzan", "filtered")}}})
    note = report.datasets_note(report.collect(mixed))
    assert "different datasets or splits" in note and "gtzan, filtered split" in note
    assert "| 290 | gtzan, filtered |" in report.table_markdown(report.collect(mixed))


def test_figure_groups_families_and_draws_every_system():
    ax = report.plot_reported_vs_reproduced(report.collect(RECORDS))
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == ["dieleman_raw (07)", "li_cnn (07)", "costa_cnn (04)", "lbp_zone_svm (03)"], "no training score"
    texts = [t.get_text() for t in ax.texts]
    assert {"classical", "spectrogram CNN", "raw audio"} <= set(texts) and "tag ROC-AUC 0.8487" in texts


def test_conclusions_are_written_from_the_numbers():
    records = {
        "03_texture_features": {"systems": {"a": dict(_system(0.8, 40, family="classical"), valid_accuracy=0.6),
                                            "b": dict(_system(0.5, 40, family="classical"), valid_accuracy=0.9)}},
        "04_costa_cnn": {"systems": {"costa_cnn": _system(0.55, 40)}},
        "07_raw_audio": {"systems": {"dieleman_mel": _system(0.6, 40), "dieleman_raw": _system(0.4, 40, family="raw audio")},
                         "extras": {"scaling": {"clips_per_genre": [5, 10, 20], "n_test": 40,
                                                "accuracy": {"mel": [0.4, 0.5, 0.6], "raw": [0.2, 0.35, 0.5]}}}},
        "09_auralisation": {"systems": {}, "extras": {"invariance": {
            "layers": [1, 2], "key": [0.9, 0.5], "chord": [0.5, 0.7], "instrument": [0.3, 0.4]}}},
    }
    text = report.conclusions(records)
    # the baseline is b (best on validation), not a (best on test)
    assert "`costa_cnn` (55.0%) and the classical `b` (50.0%) are level (2 of 40 test clips apart)" in text
    assert "`dieleman_raw` (40.0%) is behind `dieleman_mel` (60.0%) by 8 of 40 test clips" in text
    assert ("At 5 clips per genre, the raw front end (20.0%) is behind the mel front end (40.0%) by 8 of 40 "
            "test clips; at 20, the raw front end (50.0%) is behind the mel front end (60.0%) by 4 of 40 test "
            "clips.") in text
    assert "layer 1: key, layer 2: chord" in text and "at 1 of 2 depths" in text
    assert report.conclusions({}).startswith("No chapter")


def test_the_scaling_sentence_says_when_the_raw_front_end_leads_and_when_the_two_are_level():
    records = {"07_raw_audio": {"systems": {}, "extras": {"scaling": {
        "clips_per_genre": [2, 18], "n_test": 40, "accuracy": {"mel": [0.275, 0.5], "raw": [0.375, 0.525]}}}}}
    text = report.conclusions(records)
    assert ("At 2 clips per genre, the raw front end (37.5%) is ahead of the mel front end (27.5%) by 4 of 40 "
            "test clips; at 18, the raw front end (52.5%) and the mel front end (50.0%) are level (1 of 40 test "
            "clips apart).") in text


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
        ("07_raw_audio", "li_cnn"): "papers-li",
        ("07_raw_audio", "dieleman_mel"): "papers-dieleman2014",
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
    assert every <= labels, f"labels missing from book/papers.md: {sorted(every - labels)}"
