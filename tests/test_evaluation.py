"""Clip-level evaluation: metrics, segment aggregation rules, late fusion (answers computed by hand)."""

from __future__ import annotations

import numpy as np
import pytest

from mgr_utils.evaluation import (
    aggregate_segments,
    clip_labels,
    clip_metrics,
    combine_probabilities,
    fuse,
)

# One clip of two segments, three classes, where the rules disagree:
#   segment 1: [0.8, 0.2, 0.0]   segment 2: [0.0, 0.3, 0.7]
#   sum:     [0.8, 0.5, 0.7] -> class 0
#   product: [0, 0.06, 0]    -> class 1 (a zero vetoes a class)
#   vote:    argmaxes 0 and 2 tie; the summed probability breaks it -> class 0 (0.8 > 0.7)
DISAGREE = np.array([[0.8, 0.2, 0.0], [0.0, 0.3, 0.7]])


def test_sum_rule_by_hand():
    clips, P = aggregate_segments(DISAGREE, [0, 0], rule="sum")
    assert clips.tolist() == [0]
    np.testing.assert_allclose(P[0], [0.4, 0.25, 0.35])
    assert P[0].argmax() == 0


def test_product_rule_by_hand_disagrees_with_sum():
    _, P = aggregate_segments(DISAGREE, [0, 0], rule="product")
    assert P[0].argmax() == 1
    np.testing.assert_allclose(P[0].sum(), 1.0)
    # Zeros are floored at eps = 1e-12 before the logs: class 0 scores 0.8e-12, class 1 0.06.
    np.testing.assert_allclose(
        P[0], np.array([0.8e-12, 0.06, 0.7e-12]) / (0.06 + 1.5e-12), rtol=1e-6
    )


def test_vote_tie_broken_by_summed_probability():
    _, P = aggregate_segments(DISAGREE, [0, 0], rule="vote")
    assert P[0].argmax() == 0
    np.testing.assert_allclose(P[0], [0.5, 0.0, 0.5], atol=1e-3)  # vote shares
    # Here the tie goes the other way: votes 1-1 for classes 0 and 1, sums 0.6 vs 1.4.
    _, P = aggregate_segments(
        np.array([[0.55, 0.45, 0.0], [0.05, 0.95, 0.0]]), [4, 4], rule="vote"
    )
    assert P[0].argmax() == 1


def test_vote_majority_beats_confidence():
    # Two lukewarm votes for class 1 outweigh one confident vote for class 0; the sum rule disagrees.
    S = np.array([[0.98, 0.02], [0.4, 0.6], [0.45, 0.55]])
    assert aggregate_segments(S, [0, 0, 0], rule="vote")[1][0].argmax() == 1
    np.testing.assert_allclose(
        aggregate_segments(S, [0, 0, 0], rule="vote")[1][0], [1 / 3, 2 / 3], atol=1e-3
    )
    assert (
        aggregate_segments(S, [0, 0, 0], rule="sum")[1][0].argmax() == 0
    )  # 1.83 vs 1.17


def test_aggregation_groups_by_clip_in_sorted_order():
    S = np.array([[0.9, 0.1], [0.2, 0.8], [0.7, 0.3], [0.4, 0.6]])
    clips, P = aggregate_segments(S, [5, 2, 5, 2], rule="sum")
    assert clips.tolist() == [2, 5]
    np.testing.assert_allclose(P, [[0.3, 0.7], [0.8, 0.2]])


def test_aggregation_rejects_bad_input():
    with pytest.raises(ValueError):
        aggregate_segments(DISAGREE, [0], rule="sum")
    with pytest.raises(ValueError):
        aggregate_segments(DISAGREE, [0, 0], rule="median")


def test_fuse_product_and_sum_by_hand():
    a = np.array([[0.6, 0.4], [0.3, 0.7]])
    b = np.array([[0.2, 0.8], [0.4, 0.6]])
    # product: clip 0 -> 0.12 vs 0.32; clip 1 -> 0.12 vs 0.42
    np.testing.assert_allclose(
        fuse(a, b), [[0.12 / 0.44, 0.32 / 0.44], [0.12 / 0.54, 0.42 / 0.54]]
    )
    np.testing.assert_allclose(fuse(a, b, rule="sum"), [[0.4, 0.6], [0.35, 0.65]])
    np.testing.assert_allclose(fuse(a, b), combine_probabilities([a, b], "product"))


def test_max_and_min_rules_by_hand():
    a = np.array([[0.6, 0.4], [0.3, 0.7]])
    b = np.array([[0.2, 0.8], [0.4, 0.6]])
    # max: [[0.6, 0.8], [0.4, 0.7]] -> rows / 1.4 and / 1.1;
    # min: [[0.2, 0.4], [0.3, 0.6]] -> rows / 0.6 and / 0.9.
    by_max = [[0.6 / 1.4, 0.8 / 1.4], [0.4 / 1.1, 0.7 / 1.1]]
    np.testing.assert_allclose(fuse(a, b, rule="max"), by_max)
    np.testing.assert_allclose(fuse(a, b, rule="min"), [[1 / 3, 2 / 3], [1 / 3, 2 / 3]])
    # Over a clip's segments: DISAGREE's max is [0.8, 0.3, 0.7] (class 0), its min
    # [0, 0.2, 0] (class 1).
    _, P = aggregate_segments(DISAGREE, [0, 0], rule="max")
    np.testing.assert_allclose(P[0], np.array([0.8, 0.3, 0.7]) / 1.8)
    _, P = aggregate_segments(DISAGREE, [0, 0], rule="min")
    np.testing.assert_allclose(P[0], [0.0, 1.0, 0.0])


def test_fuse_aligns_clips_and_checks_shapes():
    a = np.array([[0.6, 0.4], [0.3, 0.7]])
    b = np.array([[0.2, 0.8], [0.4, 0.6]])
    np.testing.assert_allclose(
        fuse(a, b[::-1], clips_a=[3, 7], clips_b=[7, 3]), fuse(a, b)
    )
    with pytest.raises(ValueError, match="missing"):
        fuse(a, b, clips_a=[3, 7], clips_b=[3, 8])
    with pytest.raises(ValueError):
        fuse(a, b, clips_a=[3, 7])
    with pytest.raises(ValueError, match="shape"):
        fuse(a, b[:1])


def test_fusion_rescues_a_clip():
    # The CNN hesitates on clip 0, the SVM is sure; the product follows the confident system.
    cnn = np.array([[0.45, 0.55]])
    svm = np.array([[0.9, 0.1]])
    assert fuse(cnn, svm).argmax() == 0


def test_clip_metrics_on_a_hand_made_confusion():
    y_true = [0, 0, 1, 1, 2]
    y_pred = [0, 1, 1, 1, 0]
    m = clip_metrics(y_true, y_pred, genres=("a", "b", "c"))
    assert m["accuracy"] == pytest.approx(3 / 5)
    assert m["per_class_recall"] == {"a": 0.5, "b": 1.0, "c": 0.0}
    assert m["confusion"] == [[1, 1, 0], [0, 2, 0], [1, 0, 0]]
    assert m["n_clips"] == 5
    with pytest.raises(ValueError):
        clip_metrics([0, 1], [0])


def test_clip_labels():
    clips, labels = clip_labels([3, 3, 1, 1, 1], [9, 9, 2, 2, 2])
    assert clips.tolist() == [2, 9] and labels.tolist() == [1, 3]
    with pytest.raises(ValueError, match="different labels"):
        clip_labels([3, 1], [0, 0])


def _metrics(acc, valid=None, n=10):
    k = round(acc * n)
    m = {"accuracy": k / n, "n_clips": n, "confusion": [[k, 0], [n - k, 0]]}
    if valid is not None:
        m["valid_accuracy"] = valid
    return m


def test_recorded_baseline_is_chosen_on_validation_not_test(tmp_path):
    from mgr_utils.evaluation import recorded_baseline
    from mgr_utils.results import record_result, record_run, start_run

    start_run()
    assert recorded_baseline(tmp_path, dataset="synthetic") is None
    common = dict(
        results_dir=tmp_path,
        dataset="synthetic",
        split="s",
        protocol="test",
        selected_on="validation",
        choices={"C": "cross-validation"},
    )
    # "b" is best on validation, "a" is best on test: the baseline is "b", with b's test accuracy.
    record_result(
        "03_texture_features",
        "a",
        _metrics(0.9, valid=0.6),
        params={"SEED": 0, "SPLIT": "s"},
        **common,
    )
    record_result(
        "03_texture_features",
        "b",
        _metrics(0.7, valid=0.8),
        params={"SEED": 0, "SPLIT": "s"},
        **common,
    )
    record_result(
        "03_texture_features",
        "c",
        _metrics(1.0, valid=0.9),
        params={"SEED": 1, "SPLIT": "s"},
        **common,
    )
    record_result(
        "03_texture_features",
        "d",
        _metrics(1.0),
        params={"SEED": 0, "SPLIT": "s"},
        **common,
    )
    record_run("03_texture_features", {}, results_dir=tmp_path, dataset="synthetic")
    start_run()  # chapter 4 reads chapter 3's complete record
    name, r = recorded_baseline(
        tmp_path, dataset="synthetic", params={"SEED": 0, "SPLIT": "s", "EPOCHS": 3}
    )
    assert name == "b" and r["accuracy"] == 0.7, "chosen on validation, never on test"
    assert recorded_baseline(tmp_path, dataset="gtzan") is None
    assert recorded_baseline(tmp_path, dataset="synthetic")[0] == "c", (
        "without params, every seed matches"
    )


def test_select_on_validation_breaks_ties_by_preference():
    from mgr_utils.evaluation import select_on_validation

    scores = {"vote": 0.8, "sum": 0.9, "product": 0.9}
    assert select_on_validation(scores) == "sum"
    assert select_on_validation(scores, preference=("product", "sum")) == "product"
    assert select_on_validation({"x": 0.1}) == "x"
    with pytest.raises(ValueError):
        select_on_validation({})


def test_wilson_interval_known_values():
    from mgr_utils.evaluation import wilson_interval

    # Wilson (1927) for 8 of 10 at 95 %: centre (8 + 1.92) / 13.84, half-width 1.96 sqrt(1.6 + 0.96) / 13.84.
    lo, hi = wilson_interval(0.8, 10)
    assert lo == pytest.approx(0.4902, abs=1e-3) and hi == pytest.approx(
        0.9433, abs=1e-3
    )
    lo, hi = wilson_interval(0.0, 40)
    assert lo == 0.0 and hi == pytest.approx(0.0876, abs=1e-3)
    lo, hi = wilson_interval(1.0, 40)
    assert hi == pytest.approx(1.0) and lo == pytest.approx(0.9124, abs=1e-3)
