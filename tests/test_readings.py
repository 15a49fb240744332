"""Sentences chapters 1-6 write from their results (mgr_utils.readings), by hand."""

import pytest

from mgr_utils import readings
from mgr_utils.comparison import mcnemar

GENRES3 = ["blues", "disco", "jazz"]


def test_most_confused_orders_by_count_then_genre_and_skips_the_diagonal():
    C = [
        [5, 0, 2],  # blues: 2 taken for jazz
        [3, 9, 1],  # disco: 3 for blues, 1 for jazz
        [0, 2, 7],
    ]  # jazz: 2 for disco
    assert readings.most_confused(C, GENRES3, k=3) == [
        ("disco", "blues", 3),
        ("blues", "jazz", 2),
        ("jazz", "disco", 2),
    ]
    assert readings.most_confused(C, GENRES3, k=1) == [("disco", "blues", 3)]


def test_most_confused_never_names_an_empty_cell():
    C = [[4, 1, 0], [0, 4, 0], [0, 0, 4]]
    assert readings.most_confused(C, GENRES3, k=3) == [("blues", "disco", 1)]
    assert readings.confusion_sentence(C, GENRES3) == (
        "The most frequent confusions on these test clips: blues taken for disco "
        "(1 clip)."
    )
    diagonal = [[4, 0, 0], [0, 4, 0], [0, 0, 4]]
    assert readings.confusion_sentence(diagonal, GENRES3).startswith("No test")


def test_most_confused_checks_the_shape():
    with pytest.raises(ValueError):
        readings.most_confused([[1, 2], [3, 4]], GENRES3)


def test_interval_text_and_half_width():
    # 29 of 40 right: Wilson 95 % interval 0.5719-0.8389 (scipy; by the formula
    # (p + z^2/2n +- z sqrt(p(1-p)/n + z^2/4n^2)) / (1 + z^2/n), z = 1.96)
    text = readings.interval_text(29 / 40, 40)
    assert text == "72.5 % (95 % Wilson interval 57-84 %, n = 40)"
    assert readings.half_width_points(29 / 40, 40) == pytest.approx(13.35, abs=0.05)


def test_validation_sentence_names_validation_clips():
    c = mcnemar([0] * 8, [0] * 8, [1] * 6 + [0] * 2, "fusion", "zone")
    s = readings.validation_sentence(c, "the fusion", "the best zone")
    assert "n = 8 validation clips" in s and "test clips" not in s
    assert s == (
        "**the fusion** (100.0 %) ahead of the best zone (25.0 %; 6 vs 0 discordant "
        "clips, exact McNemar p = 0.031, n = 8 validation clips)."
    )


def test_cnn_vs_baseline_without_a_record_says_what_to_run():
    assert "03_texture_features" in readings.cnn_vs_baseline(None, "the CNN", None)
    c = mcnemar([0] * 10, [0] * 10, [0] * 9 + [1], "cnn", "svm")
    assert "cannot tell apart" in readings.cnn_vs_baseline(c, "the CNN", "the SVM")
    c = mcnemar([0] * 10, [0] * 10, [1] * 10, "costa_cnn", "lbp_zone_svm")
    assert readings.cnn_vs_baseline(c, "the CNN").startswith(
        "**The CNN** (100.0 %) ahead of chapter 3's LBP-zone SVM (0.0 %; 10 vs 0"
    )


def test_lbp_zone_svm_chooses_its_rule_on_validation_and_keeps_it():
    import numpy as np

    from mgr_utils.classical import LBPZoneSVM

    # One validation clip of class 0, four zones: by hand, sum 1.71 vs 2.29 (wrong),
    # product
    # 0.002376 vs 0.004116 (wrong), max 0.99 vs 0.98 (right), min 0.02 vs 0.01 (right).
    zones = [
        np.array([[0.99, 0.01]]),
        np.array([[0.02, 0.98]]),
        np.array([[0.3, 0.7]]),
        np.array([[0.4, 0.6]]),
    ]
    clf = LBPZoneSVM(rule="product")
    clf.classes_ = np.array([0, 1])
    clf.zone_proba = lambda X: zones
    X = np.zeros((1, 4, 3))
    scores = clf.choose_rule(X, [0])
    assert scores == {"sum": 0.0, "product": 0.0, "max": 1.0, "min": 1.0}
    # max and min tie: the first in RULES order after the preference
    assert clf.rule == "max"
    assert clf.predict(X).tolist() == [0]
    assert clf.choose_rule(X, [0], preference=("min",)) and clf.rule == "min"


def test_fresh_test_note_counts_the_clips_not_in_the_set():
    from types import SimpleNamespace as C

    clips = [C(clip_id=f"a.{i}") for i in range(5)]
    test = [clips[3], clips[4], C(clip_id="a.7"), C(clip_id="a.8")]
    assert readings.fresh_test_note(clips, test, "the epochs") == (
        "the epochs were fixed during the book's development; the 2 fresh test clips "
        "(of 4) were never seen then"
    )
    assert "in view" in readings.fresh_test_note(clips, test[:2])


def _run(epochs_run, best_epoch, max_epochs, early_stopping=True):
    from mgr_utils.training import TrainResult

    return TrainResult(
        history={"loss": [1.0] * epochs_run},
        seconds=1.0,
        segments_per_second=1.0,
        epochs_run=epochs_run,
        best_epoch=best_epoch,
        n_train=10,
        epoch_cap=max_epochs,
        patience=3 if early_stopping else None,
    )


def test_stopping_sentence_for_each_way_a_training_ends():
    s = readings.stopping_sentence(_run(9, 5, 20))
    assert "**early stopping** after 9 of at most 20" in s
    assert "for 4 epochs" in s and "epoch 5" in s and "verdict" not in s
    s = readings.stopping_sentence(_run(6, 6, 6))
    assert "**epoch cap** (6 epochs)" in s and "not chosen on the validation clips" in s
    assert "**still learning at the cap: no verdict**" in s
    s = readings.stopping_sentence(_run(6, 4, 6))
    assert "**epoch cap**" in s and "epoch 4, whose weights are kept" in s
    assert "**still learning at the cap: no verdict**" in s
    fixed = readings.stopping_sentence(_run(3, 3, 3, early_stopping=False))
    assert "fixed 3 epochs" in fixed and "**no verdict**" in fixed


def test_paired_test_floor_by_hand():
    # 5 clips to none: p = 2 / 2**5 = 0.0625; 6 to none: 0.03125 < 0.05
    f = readings.paired_test_floor(150)
    assert f["min_clips"] == 6 and f["p_below"] == pytest.approx(0.0625)
    assert f["min_points"] == pytest.approx(4.0)
    assert readings.paired_test_floor(5)["min_clips"] is None


def test_capitalised_skips_markdown_marks_only():
    s = readings.capitalised("**the fusion** (80.0 %) ahead of x")
    assert s == "**The fusion** (80.0 %) ahead of x"
    assert readings.capitalised("the vote") == "The vote"
    assert readings.capitalised("**`max` ahead**") == "**`max` ahead**"
    assert readings.capitalised("(a) b") == "(a) b"
