"""The results record: what a system's number may claim, written atomically, read with a log.

A record belongs to one run of its chapter (issue 29): the first write of a run starts it
afresh, later writes of the run add to it, ``report_run`` marks it complete, and the readers
(chapter 10, a chapter reading another's record) take only complete ones.
"""

from __future__ import annotations

import json

import pytest

from mgr_utils import results
from mgr_utils.evaluation import clip_metrics

METRICS = clip_metrics([0, 0, 1, 1], [0, 1, 1, 1], genres=("a", "b"))  # 3 of 4 right
COMMON = dict(
    dataset="synthetic",
    split="stratified",
    protocol="4 test clips",
    selected_on="fixed",
    choices={"rule": "sum (the paper's)"},
)
REPORTED = {
    "value": 0.83,
    "metric": "accuracy",
    "dataset": "LMD",
    "protocol": "3-fold CV",
    "source": "Costa et al. 2017, Table 3",
    "sureness": "paper",
}


def test_record_and_read_back(tmp_path):
    path = results.record_result(
        "04_x",
        "cnn",
        {**METRICS, "valid_accuracy": 0.5},
        results_dir=tmp_path,
        reported=REPORTED,
        family="spectrogram CNN",
        params={"SEED": 0},
        **COMMON,
    )
    results.record_run(
        "04_x", {"seconds": 12.5}, results_dir=tmp_path, dataset="synthetic"
    )
    assert path == tmp_path / "synthetic" / "04_x.json"
    record = json.loads(path.read_text())
    system = record["systems"]["cnn"]
    assert (
        system["accuracy"] == 0.75
        and system["n_clips"] == 4
        and system["valid_accuracy"] == 0.5
    )
    assert system["selected_on"] == "fixed" and system["choices"] == {
        "rule": "sum (the paper's)"
    }
    assert system["split"] == "stratified" and system["family"] == "spectrogram CNN"
    assert (
        system["reported"]["sureness"] == "paper" and record["run"]["seconds"] == 12.5
    )
    assert record["complete"] is True and record["run_id"] == results.current_run()
    assert record["dataset"] == "synthetic" and record["chapter"] == "04_x"
    results.READ_LOG.clear()
    loaded = results.load_results(tmp_path, dataset="synthetic")
    assert loaded["04_x"]["systems"]["cnn"]["accuracy"] == 0.75
    assert results.READ_LOG == [path.resolve()], (
        "reads are logged for the build's reuse key"
    )
    assert path.resolve() in results.WRITE_LOG


def test_default_folder_follows_the_build(tmp_path, monkeypatch):
    monkeypatch.setenv("MGR_RESULTS_DIR", str(tmp_path))
    path = results.record_result("01_x", "svm", METRICS, **COMMON)
    assert path == tmp_path / "synthetic" / "01_x.json"
    assert path == results.record_path("01_x", "synthetic")
    monkeypatch.delenv("MGR_RESULTS_DIR")
    assert results.default_results_dir().as_posix() == "results"


@pytest.mark.parametrize(
    "change, match",
    [
        ({"selected_on": "test"}, "never the test clips"),
        ({"family": "magic"}, "family must be one of"),
        (
            {"reported": {**REPORTED, "sureness": "pretty sure"}},
            "sureness must be one of",
        ),
        ({"reported": {"value": 0.9}}, "reported lacks"),
    ],
)
def test_claims_a_record_refuses(tmp_path, change, match):
    with pytest.raises(ValueError, match=match):
        results.record_result(
            "04_x", "cnn", METRICS, results_dir=tmp_path, **{**COMMON, **change}
        )


@pytest.mark.parametrize(
    "metrics, match",
    [
        ({**METRICS, "accuracy": 1.2}, "between 0 and 1"),
        ({k: v for k, v in METRICS.items() if k != "n_clips"}, "n_clips"),
        ({**METRICS, "accuracy": 1.0}, "disagrees with accuracy"),
        ({**METRICS, "n_clips": 5}, "disagrees with accuracy"),
    ],
)
def test_inconsistent_metrics_are_refused(tmp_path, metrics, match):
    with pytest.raises(ValueError, match=match):
        results.record_result("04_x", "cnn", metrics, results_dir=tmp_path, **COMMON)
    assert not list(tmp_path.rglob("*.json")), "nothing half-written"


# --------------------------------------------------------------------------- one run, one record


def _system(chapter, name, *, valid=0.5, dataset="synthetic", folder, right=3):
    """Record a system that got ``right`` of 4 clips, with its per-clip predictions."""
    y_true = [0, 0, 1, 1]
    y_pred = [y if i < right else 1 - y for i, y in enumerate(y_true)]
    metrics = clip_metrics(
        y_true, y_pred, genres=("a", "b"), clip_ids=["c0", "c1", "c2", "c3"]
    )
    return results.record_result(
        chapter,
        name,
        {**metrics, "valid_accuracy": valid, "train_accuracy": 1.0},
        results_dir=folder,
        family="spectrogram CNN",
        params={"SEED": 0},
        **{**COMMON, "dataset": dataset},
    )


def _finish(chapter, folder, dataset="synthetic"):
    """A run's last cell (``report_run``'s record, without its timing)."""
    return results.record_run(
        chapter, {"seconds": 1.0}, results_dir=folder, dataset=dataset
    )


def _chapter_11(folder):
    """One run of a chapter-11-like notebook: compare with the best CNN of chapter 7."""
    from mgr_utils.transfer import best_from_scratch

    results.start_run()  # its setup() cell
    chapter, name, best = best_from_scratch(
        folder, dataset="synthetic", chapters=("07_raw_audio",)
    )
    rec = results.Recorder(
        "11_transfer_learning", dataset="synthetic", split="s", results_dir=folder
    )
    metrics = clip_metrics(
        [0, 0, 1, 1], [0, 0, 1, 1], genres=("a", "b"), clip_ids=["c0", "c1", "c2", "c3"]
    )
    rec.system(
        "musicnn_msd_linear_svm",
        {**metrics, "train_accuracy": 1.0},
        protocol="p",
        selected_on="validation",
        family="transfer",
    )
    rec.compare("musicnn_msd_linear_svm", name, result_b=best)
    _finish("11_transfer_learning", folder)
    return name


def test_the_issue_29_reproduction_leaves_only_the_last_runs_comparisons(tmp_path):
    """Chapter 7's record changes the best CNN; chapter 11 run twice keeps only run 2's."""
    results.start_run()
    _system("07_raw_audio", "dieleman2014_mel", valid=0.99, folder=tmp_path)
    _system("07_raw_audio", "dieleman2014_raw", valid=0.6, folder=tmp_path)
    _finish("07_raw_audio", tmp_path)
    assert _chapter_11(tmp_path) == "dieleman2014_mel"

    results.start_run()  # chapter 7 again, its number restored
    _system("07_raw_audio", "dieleman2014_mel", valid=0.4, folder=tmp_path)
    _system("07_raw_audio", "dieleman2014_raw", valid=0.6, folder=tmp_path)
    _finish("07_raw_audio", tmp_path)
    assert _chapter_11(tmp_path) == "dieleman2014_raw"

    records = results.load_results(tmp_path, dataset="synthetic")
    pairs = [(c["a"], c["b"]) for c in records["11_transfer_learning"]["comparisons"]]
    assert pairs == [("musicnn_msd_linear_svm", "dieleman2014_raw")], pairs
    from mgr_utils import report

    assert (
        report.stored_comparison(
            records,
            ["11_transfer_learning"],
            "musicnn_msd_linear_svm",
            "dieleman2014_mel",
        )
        is None
    ), "chapter 10 finds no verdict of the run before"


def test_a_system_dropped_between_two_runs_is_gone(tmp_path):
    results.start_run()
    _system("06_x", "kept", folder=tmp_path)
    path = _system("06_x", "dropped", folder=tmp_path)
    results.record_extra("06_x", "curve", [1, 2], tmp_path, dataset="synthetic")
    _finish("06_x", tmp_path)
    first = json.loads(path.read_text())
    assert set(first["systems"]) == {"kept", "dropped"} and first["extras"]

    results.start_run()
    _system("06_x", "kept", folder=tmp_path, right=2)
    _finish("06_x", tmp_path)
    second = json.loads(path.read_text())
    assert set(second["systems"]) == {"kept"}
    assert second["systems"]["kept"]["accuracy"] == 0.5
    assert second["extras"] == {} and second["comparisons"] == []
    assert second["run_id"] != first["run_id"]


def test_later_writes_of_a_run_add_to_its_record(tmp_path):
    results.start_run()
    _system("04_x", "net", folder=tmp_path)
    rec = results.Recorder("04_x", dataset="synthetic", split="s", results_dir=tmp_path)
    rec.systems["net"] = results.load_record(
        results.record_path("04_x", "synthetic", tmp_path)
    )["systems"]["net"]
    _system("04_x", "svm", folder=tmp_path, right=2)
    rec.systems["svm"] = results.load_record(
        results.record_path("04_x", "synthetic", tmp_path)
    )["systems"]["svm"]
    rec.compare("net", "svm")
    results.record_extra("04_x", "curve", [0.5, 0.75], tmp_path, dataset="synthetic")
    path = _finish("04_x", tmp_path)
    record = json.loads(path.read_text())
    assert set(record["systems"]) == {"net", "svm"}
    assert [(c["a"], c["b"]) for c in record["comparisons"]] == [("net", "svm")]
    assert record["extras"] == {"curve": [0.5, 0.75]} and record["complete"] is True


def test_two_datasets_keep_two_records(tmp_path):
    results.start_run()
    synthetic = _system("04_x", "cnn", folder=tmp_path, dataset="synthetic")
    _finish("04_x", tmp_path, "synthetic")
    results.start_run()
    gtzan = _system("04_x", "cnn", folder=tmp_path, dataset="gtzan", right=2)
    _finish("04_x", tmp_path, "gtzan")
    assert synthetic != gtzan and synthetic.exists() and gtzan.exists()
    assert gtzan == tmp_path / "gtzan" / "04_x.json"
    for dataset, accuracy in (("synthetic", 0.75), ("gtzan", 0.5)):
        records = results.load_results(tmp_path, dataset=dataset)
        assert records["04_x"]["systems"]["cnn"]["accuracy"] == accuracy
        assert records["04_x"]["systems"]["cnn"]["dataset"] == dataset


def test_an_interrupted_run_never_mixes_two_runs_nor_reads_as_complete(tmp_path):
    from mgr_utils import report
    from mgr_utils.evaluation import recorded_baseline

    results.start_run()
    _system("03_texture_features", "a", valid=0.9, folder=tmp_path)
    path = _system("03_texture_features", "b", valid=0.8, folder=tmp_path)
    _finish("03_texture_features", tmp_path)
    assert recorded_baseline(tmp_path, dataset="synthetic")[0] == "a"

    results.start_run()  # run 2 stops after its first system: no report_run
    _system("03_texture_features", "b", valid=0.7, folder=tmp_path, right=2)
    record = json.loads(path.read_text())
    assert set(record["systems"]) == {"b"}, "nothing of run 1 is left"
    assert record["systems"]["b"]["accuracy"] == 0.5 and record["complete"] is False
    assert results.read_record("03_texture_features", "synthetic", tmp_path), (
        "the run reads back its own record"
    )

    results.start_run()  # another notebook (chapter 4, chapter 10) reads it
    assert results.read_record("03_texture_features", "synthetic", tmp_path) is None
    assert recorded_baseline(tmp_path, dataset="synthetic") is None
    assert results.load_results(tmp_path, dataset="synthetic") == {}
    incomplete = results.incomplete_records(tmp_path, dataset="synthetic")
    assert incomplete == ["03_texture_features"]
    text = report.missing_message(report.missing_chapters({}), incomplete)
    assert "**Stopped before the end:** 3. Texture features" in text
    assert "--only 03_texture_features" in text
    assert "`03_texture_features`" not in text.split("**Missing from this build:**")[1]


def test_a_record_from_before_runs_or_unreadable_is_not_complete(tmp_path):
    folder = tmp_path / "synthetic"
    folder.mkdir()
    (folder / "04_x.json").write_text(json.dumps({"chapter": "04_x", "systems": {}}))
    (folder / "05_x.json").write_text('{"chapter": "05_x", "syst')
    with pytest.warns(UserWarning, match="05_x.json cannot be read"):
        assert results.load_results(tmp_path, dataset="synthetic") == {}
    with pytest.warns(UserWarning):
        assert results.incomplete_records(tmp_path, dataset="synthetic") == [
            "04_x",
            "05_x",
        ]
    results.start_run()
    path = _system("05_x", "cnn", folder=tmp_path)  # a new run replaces it
    assert json.loads(path.read_text())["systems"]["cnn"]["accuracy"] == 0.75


def test_a_failed_write_leaves_the_record_as_it_was(tmp_path):
    results.start_run()
    path = _system("04_x", "cnn", folder=tmp_path)
    before = path.read_bytes()
    with pytest.raises(TypeError):  # not JSON: the dump fails half-way
        results.record_extra(
            "04_x", "curve", {"a": 1, "b": object()}, tmp_path, dataset="synthetic"
        )
    assert path.read_bytes() == before
    assert [p.name for p in path.parent.iterdir()] == ["04_x.json"], "no temp file"


def test_setup_and_recorder_start_runs(tmp_path, monkeypatch):
    from mgr_utils.notebook import setup

    setup(0)
    first = results.current_run()
    setup(0)
    assert results.current_run() != first, "a notebook run again from the top"
    monkeypatch.setattr(results, "_RUN_ID", None)
    results.Recorder("04_x", dataset="synthetic", split="s", results_dir=tmp_path)
    assert results._RUN_ID is not None


@pytest.mark.parametrize(
    "chapter, dataset", [("04_x", "../x"), ("04_x", ""), ("a/b", "gtzan")]
)
def test_record_path_takes_plain_names(tmp_path, chapter, dataset):
    with pytest.raises(ValueError, match="plain name"):
        results.record_path(chapter, dataset, tmp_path)
