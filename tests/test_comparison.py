"""Paired comparisons: exact McNemar on the same clips, paired t-test across seeds, verdicts."""

from __future__ import annotations

import numpy as np
import pytest

from mgr_utils.comparison import (
    CANNOT_TELL,
    compare_results,
    learned,
    mcnemar,
    paired_seeds,
    sentence,
    smallest_significant_difference,
)
from mgr_utils.evaluation import clip_metrics
from mgr_utils.results import Recorder, load_record


def _systems(a_only: int, b_only: int, both: int = 10, neither: int = 4):
    """Labels and two systems' predictions with the given discordant counts."""
    n = a_only + b_only + both + neither
    y = np.zeros(n, dtype=int)
    pa, pb = np.ones(n, dtype=int), np.ones(n, dtype=int)
    pa[:a_only] = 0
    pb[a_only : a_only + b_only] = 0
    pa[a_only + b_only : a_only + b_only + both] = 0
    pb[a_only + b_only : a_only + b_only + both] = 0
    return y, pa, pb


def test_mcnemar_five_to_nothing_is_not_significant_six_is():
    y, pa, pb = _systems(5, 0)
    c = mcnemar(y, pa, pb, "cnn", "svm")
    assert (c["a_only"], c["b_only"], c["n"]) == (5, 0, 19)
    assert c["p"] == pytest.approx(0.0625, abs=1e-12)
    assert c["verdict"] == CANNOT_TELL
    y, pa, pb = _systems(0, 6)
    c = mcnemar(y, pa, pb, "cnn", "svm")
    assert c["p"] == pytest.approx(0.03125, abs=1e-12)
    assert c["verdict"] == "svm ahead"


def test_mcnemar_hand_case_with_discordance_both_ways():
    # 9 vs 1 discordant: p = 2 * sum_{k<=1} C(10,k) / 2**10 = 2 * 11 / 1024
    y, pa, pb = _systems(9, 1)
    c = mcnemar(y, pa, pb, "a", "b")
    assert c["p"] == pytest.approx(22 / 1024, abs=1e-12)
    assert c["verdict"] == "a ahead"
    assert c["accuracy_a"] == pytest.approx(19 / 24) and c[
        "accuracy_b"
    ] == pytest.approx(11 / 24)


def test_mcnemar_identical_systems_and_bad_input():
    y, pa, _ = _systems(3, 2)
    c = mcnemar(y, pa, pa)
    assert c["p"] == 1.0 and c["verdict"] == CANNOT_TELL
    with pytest.raises(ValueError, match="same non-empty"):
        mcnemar([0, 1], [0, 1], [0])


def test_two_systems_that_differ_only_by_noise_cannot_be_told_apart():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 10, 150)
    # both right on a random 70 % of the clips, independently: the same system twice, noise apart
    pa = np.where(rng.random(150) < 0.7, y, (y + 1) % 10)
    pb = np.where(rng.random(150) < 0.7, y, (y + 1) % 10)
    c = mcnemar(y, pa, pb, "a", "b")
    assert c["p"] >= 0.05 and c["verdict"] == CANNOT_TELL


def test_paired_seeds_hand_case():
    # differences 0.1, 0.2, 0.3: mean 0.2, sd 0.1, t = 0.2 / (0.1 / sqrt 3) = 3.4641, df 2
    a, b = [0.6, 0.7, 0.8], [0.5, 0.5, 0.5]
    c = paired_seeds(a, b, "pretrained", "random")
    from scipy.stats import t as student

    assert c["mean_difference"] == pytest.approx(0.2)
    assert c["p"] == pytest.approx(
        2 * student.sf(0.2 / (0.1 / np.sqrt(3)), 2), rel=1e-9
    )
    assert c["p"] == pytest.approx(0.0742, abs=1e-3) and c["verdict"] == CANNOT_TELL
    c = paired_seeds(
        [0.6, 0.7, 0.8, 0.75, 0.72], [0.5, 0.52, 0.55, 0.5, 0.51], "p", "r"
    )
    assert c["p"] < 0.05 and c["verdict"] == "p ahead"


def test_paired_seeds_too_few_seeds_and_constant_differences():
    c = paired_seeds([0.9, 0.8], [0.1, 0.2], "a", "b")
    assert c["p"] is None and c["verdict"] == CANNOT_TELL
    assert "too few seeds" in sentence(c)
    assert paired_seeds([0.5] * 3, [0.5] * 3)["p"] == 1.0
    same = paired_seeds([0.6] * 3, [0.5] * 3, "a", "b")
    assert same["p"] is None and same["verdict"] == CANNOT_TELL
    assert "no spread" in sentence(same)
    with pytest.raises(ValueError, match="one score per seed"):
        paired_seeds([0.5], [])


def test_smallest_significant_difference():
    assert smallest_significant_difference(40) == 6
    assert smallest_significant_difference(150) == 6
    assert smallest_significant_difference(5) is None
    assert smallest_significant_difference(40, alpha=0.01) == 8


def test_a_network_at_chance_is_not_learned_and_not_compared():
    assert not learned(0.12, 10) and learned(0.2, 10) and learned(None, 10)
    y = [0, 1, 2, 3] * 5
    ids = [f"c{i}" for i in range(20)]
    net = clip_metrics(y, [0] * 20, clip_ids=ids) | {"train_accuracy": 0.11}
    svm = clip_metrics(y, y, clip_ids=ids)
    c = compare_results("net", net, "svm", svm)
    assert c["test"] == "not compared" and c["verdict"] == CANNOT_TELL
    assert "did not learn" in c["reason"] and "did not learn" in sentence(c)


def test_compare_results_matches_clips_by_id_and_refuses_other_clips():
    y = [0, 1, 2, 3, 4, 5, 6, 7]
    ids = [f"c{i}" for i in range(8)]
    a = clip_metrics(y, y, clip_ids=ids)
    # the same clips in another order: the same comparison
    order = [7, 6, 5, 4, 3, 2, 1, 0]
    b = clip_metrics([y[i] for i in order], [0] * 8, clip_ids=[ids[i] for i in order])
    c = compare_results("a", a, "b", b)
    assert (c["a_only"], c["b_only"], c["n"]) == (7, 0, 8)
    other = clip_metrics(y, y, clip_ids=[f"d{i}" for i in range(8)])
    assert compare_results("a", a, "o", other)["test"] == "not compared"
    assert compare_results("a", a, "n", clip_metrics(y, y))["test"] == "not compared"


def test_sentence_names_the_winner_and_shows_p_and_n():
    y, pa, pb = _systems(0, 7)
    s = sentence(mcnemar(y, pa, pb, "cnn", "svm"))
    assert "**`svm` ahead** of `cnn`" in s and "n = 21" in s and "p = 0.016" in s
    y, pa, pb = _systems(3, 1)
    s = sentence(mcnemar(y, pa, pb, "cnn", "svm"), "the CNN", "the SVM")
    assert "the CNN and the SVM: **cannot tell apart**" in s and "p = 0.62" in s


def test_recorder_writes_systems_and_comparisons(tmp_path):
    y = [0, 1, 2, 3] * 5
    ids = [f"c{i}" for i in range(20)]
    rec = Recorder(
        "04_x",
        dataset="synthetic",
        split="stratified",
        params={"SEED": 0},
        results_dir=tmp_path,
    )

    class Run:
        def summary(self):
            return {"train_accuracy": 0.9, "stopped_by": "early stopping"}

    rec.system(
        "net",
        clip_metrics(y, y, clip_ids=ids),
        run=Run(),
        protocol="p",
        selected_on="validation",
        family="spectrogram CNN",
    )
    rec.system(
        "svm",
        clip_metrics(y, [0] * 20, clip_ids=ids),
        protocol="p",
        selected_on="validation",
        family="classical",
    )
    c = rec.compare("net", "svm")
    assert c["verdict"] == "net ahead" and c["a_only"] == 15
    rec.compare("net", "svm")  # the same comparison again replaces the first
    record = load_record(tmp_path / "synthetic" / "04_x.json")
    assert record["systems"]["net"]["stopped_by"] == "early stopping"
    assert record["systems"]["net"]["train_accuracy"] == 0.9
    assert len(record["comparisons"]) == 1 and record["comparisons"][0]["p"] == c["p"]
