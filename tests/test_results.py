"""The results record: what a system's number may claim, written atomically, read with a log."""

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
    results.record_run("04_x", {"seconds": 12.5}, results_dir=tmp_path)
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
    results.READ_LOG.clear()
    assert results.load_results(tmp_path)["04_x"]["systems"]["cnn"]["accuracy"] == 0.75
    assert results.READ_LOG == [path.resolve()], (
        "reads are logged for the build's reuse key"
    )
    assert path.resolve() in results.WRITE_LOG


def test_default_folder_follows_the_build(tmp_path, monkeypatch):
    monkeypatch.setenv("MGR_RESULTS_DIR", str(tmp_path))
    path = results.record_result("01_x", "svm", METRICS, **COMMON)
    assert path == tmp_path / "01_x.json"
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
    assert not (tmp_path / "04_x.json").exists(), "nothing half-written"
