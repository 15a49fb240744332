"""Paired comparisons: exact McNemar on the same clips, paired t-test across seeds, verdicts."""

from __future__ import annotations

import re

import numpy as np
import pytest

from mgr_utils.comparison import (
    CANNOT_TELL,
    STILL_LEARNING,
    compare_results,
    display_name,
    learned,
    mcnemar,
    no_verdict_reason,
    paired_seeds,
    sentence,
    smallest_significant_difference,
)
from mgr_utils.evaluation import clip_metrics
from mgr_utils.results import Recorder, load_record


RECORDED_IDS = (
    # 01, 02, 03
    "descriptor_svm",
    "ltas_centroid_clip",
    "ltas_centroid_segments_vote",
    "lbp_zone_svm",
    # 04, 05, 06
    "costa_cnn",
    "costa_cnn_x_lbp_product",
    "nakashika_glcm_cnn",
    "nakashika_glcm_cnn_0deg_only",
    "nakashika_glcm_cnn_45deg_only",
    "nakashika_glcm_cnn_90deg_only",
    "nakashika_glcm_cnn_135deg_only",
    "zhang_cnn_max",
    "zhang_cnn_max_avg",
    "zhang_cnn_max_shortcuts",
    "zhang_cnn_max_avg_shortcuts",
    # 07
    "li2010_mfcc_cnn",
    "li2010_mfcc_cnn_on_training_clips",
    "dieleman2014_mel",
    "dieleman2014_raw",
    "lee2017_sample_cnn",
    # 08 (fast and full fractions, both pretrained starts)
    *(
        f"{start}_{pct}pct_labels"
        for start in ("random_init", "pretrained_crbm", "pretrained_autoencoder")
        for pct in (5, 10, 25, 50, 100)
    ),
    # 09, 11
    "choi_cnn",
    "musicnn_msd_linear_svm",
    "musicnn_probe",
    "descriptor_svm (refitted in chapter 11)",
)
"""Every system id the chapters record or compare (those built in f-strings included)."""


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
    assert "too few seeds" in sentence(c, "A", "B")
    assert paired_seeds([0.5] * 3, [0.5] * 3)["p"] == 1.0
    same = paired_seeds([0.6] * 3, [0.5] * 3, "a", "b")
    assert same["p"] is None and same["verdict"] == CANNOT_TELL
    assert "no spread" in sentence(same, "A", "B")
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
    assert "did not learn" in c["reason"] and "did not learn" in sentence(c, "N", "S")


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


def test_compare_results_pairs_each_clip_with_its_own_prediction():
    # a lists its clips shuffled, b in sorted order; both predict varied labels, so
    # pairing b's predictions with a's order (or a's with sorted ids) changes the counts
    ids = ["k", "c", "h", "a", "f", "b", "j", "d", "g", "e", "i"]
    truth = {i: n % 3 for n, i in enumerate(sorted(ids))}
    pred_a = {"a": 0, "b": 1, "c": 1, "d": 0, "e": 2, "f": 2, "g": 0, "h": 0}
    pred_a |= {"i": 1, "j": 0, "k": 2}
    pred_b = {"a": 0, "b": 2, "c": 2, "d": 1, "e": 1, "f": 2, "g": 1, "h": 1}
    pred_b |= {"i": 0, "j": 0, "k": 1}
    right_a = {i for i in ids if pred_a[i] == truth[i]}
    right_b = {i for i in ids if pred_b[i] == truth[i]}
    a_only, b_only = len(right_a - right_b), len(right_b - right_a)
    # by hand: b, d, g right for a only; c, e, h, k for b only
    assert (a_only, b_only) == (3, 4)
    ra = clip_metrics(
        [truth[i] for i in ids], [pred_a[i] for i in ids], clip_ids=ids, genres="xyz"
    )
    sb = sorted(ids)
    rb = clip_metrics(
        [truth[i] for i in sb], [pred_b[i] for i in sb], clip_ids=sb, genres="xyz"
    )
    c = compare_results("a", ra, "b", rb)
    assert (c["a_only"], c["b_only"], c["n"]) == (a_only, b_only, len(ids))
    assert c["accuracy_a"] == pytest.approx(len(right_a) / len(ids))
    assert c["accuracy_b"] == pytest.approx(len(right_b) / len(ids))
    swapped = compare_results("b", rb, "a", ra)
    assert (swapped["a_only"], swapped["b_only"]) == (b_only, a_only)


def _net(stopped_by: str, train_accuracy: float = 0.9, **extra):
    y = [0, 1, 2, 3] * 5
    ids = [f"c{i}" for i in range(20)]
    return clip_metrics(y, y, clip_ids=ids) | {
        "train_accuracy": train_accuracy,
        "stopped_by": stopped_by,
        **extra,
    }


def test_only_a_network_that_early_stopping_ended_gets_a_verdict():
    y = [0, 1, 2, 3] * 5
    svm = clip_metrics(y, [0] * 20, clip_ids=[f"c{i}" for i in range(20)])
    ok = compare_results("costa_cnn", _net("early stopping"), "lbp_zone_svm", svm)
    assert ok["test"] == "exact McNemar" and ok["verdict"] == "costa_cnn ahead"
    capped = _net("epoch cap", max_epochs=6, epochs_run=6)
    for a, ra, b, rb in (
        ("zhang_cnn_max", capped, "lbp_zone_svm", svm),
        ("lbp_zone_svm", svm, "zhang_cnn_max", capped),
    ):
        c = compare_results(a, ra, b, rb)
        assert c["test"] == "not compared" and c["verdict"] == CANNOT_TELL
        assert STILL_LEARNING == "still learning at the cap: no verdict"
        assert c["reason"] == (
            "Zhang's network with max pooling was still learning at the cap: no "
            "verdict (the epoch cap of 6 epochs, not early stopping, ended its training)"
        )
        assert "still learning at the cap: no verdict" in sentence(c)
        assert "ahead" not in sentence(c)
    fixed = compare_results(
        "costa_cnn", _net("fixed epochs", max_epochs=4), "lbp_zone_svm", svm
    )
    assert fixed["test"] == "not compared"
    assert (
        "Costa's CNN ran a fixed 4 epochs with no early stopping: no verdict"
        == (fixed["reason"])
    )
    # a network that did not learn is said so, whatever stopped it
    idle = _net("epoch cap", train_accuracy=0.15)
    assert "did not learn" in compare_results("a", idle, "b", svm)["reason"]


def test_no_verdict_reason_leaves_systems_without_a_training_run_alone():
    assert no_verdict_reason({"accuracy": 0.5}, 10) is None
    assert no_verdict_reason({"train_accuracy": 0.9}, 10) is None
    assert no_verdict_reason({"stopped_by": "early stopping"}, 10) is None
    assert "at the cap" in no_verdict_reason({"stopped_by": "epoch cap"}, 10)
    assert "did not learn" in no_verdict_reason({"train_accuracy": 0.19}, 10)
    assert no_verdict_reason({"train_accuracy": 0.2}, 10) is None


def test_sentence_puts_each_number_beside_its_system_winner_first():
    y, pa, pb = _systems(9, 30, both=100, neither=11)
    c = mcnemar(y, pa, pb, "costa_cnn", "lbp_zone_svm")
    # 9 vs 30: p = 2 * P(X <= 9), X ~ Binomial(39, 1/2) = 0.001065
    assert c["p"] == pytest.approx(0.001065, abs=1e-6)
    s = sentence(c, "the CNN", "chapter 3's LBP-zone SVM")
    assert s == (
        "**chapter 3's LBP-zone SVM** (86.7 %) ahead of the CNN (72.7 %; 30 vs 9 "
        "discordant clips, exact McNemar p = 0.001, n = 150)."
    )
    assert sentence(c).startswith("**LBP-zone SVM** (86.7 %) ahead of Costa's CNN")
    y, pa, pb = _systems(7, 0)
    s = sentence(mcnemar(y, pa, pb, "costa_cnn", "lbp_zone_svm"))
    assert s.startswith(
        "**Costa's CNN** (81.0 %) ahead of LBP-zone SVM (47.6 %; 7 vs 0"
    )
    assert "p = 0.016, n = 21)" in s
    y, pa, pb = _systems(3, 1)
    s = sentence(mcnemar(y, pa, pb, "cnn", "svm"), "the CNN", "the SVM", "test clips")
    assert s == (
        "the CNN (72.2 %) and the SVM (61.1 %): **cannot tell apart** (3 vs 1 "
        "discordant clips, exact McNemar p = 0.62, n = 18 test clips)."
    )


def test_sentence_across_seeds_puts_each_mean_beside_its_system():
    c = paired_seeds(
        [0.5, 0.52, 0.55, 0.5, 0.51],
        [0.6, 0.7, 0.8, 0.75, 0.72],
        "random_init_10pct_labels",
        "pretrained_crbm_10pct_labels",
    )
    assert c["verdict"] == "pretrained_crbm_10pct_labels ahead"
    s = sentence(c, "the random start", "the pretrained start")
    assert s.startswith(
        "**the pretrained start** (mean 71.4 %) ahead of the random start "
        "(mean 51.6 %; paired t-test across seeds, p = 0.00"
    )
    assert s.endswith(", n = 5 seeds).")
    tie = paired_seeds([0.6, 0.4, 0.5], [0.5, 0.5, 0.5], "a", "b")
    assert sentence(tie, "A", "B") == (
        "A (mean 50.0 %) and B (mean 50.0 %): **cannot tell apart** (paired t-test "
        "across seeds, p = 1.00, n = 3 seeds)."
    )


HOOK = re.compile(r"ahead of [^(]{0,80}\((\d+(?:\.\d)?) ?% vs (\d+(?:\.\d)?) ?%")
"""The project's check on every page: a loser's number printed first after "ahead of"."""


def test_sentence_never_shows_the_losers_number_first():
    rng = np.random.default_rng(1)
    for _ in range(200):
        n = int(rng.integers(10, 200))
        y = rng.integers(0, 4, n)
        pa = np.where(rng.random(n) < rng.random(), y, (y + 1) % 4)
        pb = np.where(rng.random(n) < rng.random(), y, (y + 1) % 4)
        c = mcnemar(y, pa, pb, "costa_cnn", "lbp_zone_svm")
        s = sentence(c)
        assert not HOOK.search(s), s
        if c["verdict"] != CANNOT_TELL:
            winner = max(c["accuracy_a"], c["accuracy_b"])
            assert s.startswith("**") and f"** ({100 * winner:.1f} %) ahead of" in s


def test_display_names_cover_every_id_the_chapters_record():
    for system_id in RECORDED_IDS:
        name = display_name(system_id)
        assert name and "_" not in name, (system_id, name)
    assert display_name("lbp_zone_svm") == "LBP-zone SVM"
    assert display_name("zhang_cnn_max_avg_shortcuts") == (
        "Zhang's network with max+avg pooling and shortcuts"
    )
    assert display_name("dieleman2014_raw") == "Dieleman's raw-waveform network"
    assert display_name("descriptor_svm (refitted in chapter 11)") == (
        "descriptor SVM (refitted in chapter 11)"
    )
    for unknown in ("lbp_zone", "costa_cnn_k7", "foo_10pct_labels", "x (note)"):
        with pytest.raises(ValueError, match="no display name .*DISPLAY_NAMES"):
            display_name(unknown)


def test_the_notebooks_record_no_literal_id_without_a_display_name():
    """Every literal first argument of ``rec.system``/``record_result``/``compare_results``
    in the notebooks has a name; ids built in f-strings are in RECORDED_IDS."""
    import json
    from pathlib import Path

    call = re.compile(
        r"(?:rec\.system|rec\.compare|record_result|compare_results)\(\s*"
        r"(?:\"0\d_[a-z_]+\",\s*)?\"([^\"{}]+)\""
    )
    found = set()
    for path in sorted(Path(__file__).parents[1].glob("notebooks/*.ipynb")):
        nb = json.loads(path.read_text(encoding="utf-8"))
        for cell in nb["cells"]:
            if cell["cell_type"] == "code":
                found |= set(call.findall("".join(cell["source"])))
    assert {"lbp_zone_svm", "costa_cnn", "musicnn_msd_linear_svm"} <= found
    assert found <= set(RECORDED_IDS), found - set(RECORDED_IDS)


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
            return {"stopped_by": "early stopping", "running_train_accuracy": 0.7}

    with pytest.raises(ValueError, match="training accuracy, clip level"):
        rec.system(
            "net",
            clip_metrics(y, y, clip_ids=ids),
            run=Run(),
            protocol="p",
            selected_on="validation",
            family="spectrogram CNN",
        )
    rec.system(
        "net",
        clip_metrics(y, y, clip_ids=ids) | {"train_accuracy": 0.9},
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
