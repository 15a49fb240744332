"""The helpers chapters 1-3 print from their results: by hand, on tiny made-up inputs."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from mgr_utils import readings
from mgr_utils.cache import ExtractResult, side_arrays
from mgr_utils.datasets import load_dataset

GENRES4 = ["blues", "disco", "jazz", "rock"]


# -------------------------------------------------------------------- confusions, ties named


def test_confusion_sentence_names_a_tie_as_a_tie_and_never_cuts_it():
    C = np.diag([5, 5, 5, 5])
    C[0, 1] = 5  # blues taken for disco: the most frequent
    C[1, 2] = C[2, 3] = C[3, 0] = 2  # three pairs tied at 2
    C[0, 2] = 1
    assert readings.confusion_sentence(C, GENRES4) == (
        "The most frequent confusions on these test clips: blues taken for disco "
        "(5 clips); then a tie at 2 clips each: disco taken for jazz, jazz taken for "
        "rock and rock taken for blues."
    )
    # k = 2: the tie at 2 is still named whole, not cut after its first pair
    assert "rock taken for blues" in readings.confusion_sentence(C, GENRES4, k=2)
    # k = 1: one confusion is enough, the tie below it is not reached
    assert readings.confusion_sentence(C, GENRES4, k=1).endswith("(5 clips).")


def test_confusion_sentence_counts_a_long_tie_instead_of_listing_it():
    C = np.ones((4, 4), dtype=int)  # 12 pairs tied at one clip each
    text = readings.confusion_sentence(C, GENRES4)
    assert text == (
        "The most frequent confusions on these test clips: a tie of 12 pairs at "
        "1 clip each."
    )


# -------------------------------------------------------------------------------- tables


def test_markdown_table_escapes_bars_and_checks_the_widths():
    assert readings.markdown_table(["a", "b"], [[1, "x|y"], ["", 2.5]]) == (
        "| a | b |\n|---|---|\n| 1 | x\\|y |\n|  | 2.5 |"
    )
    with pytest.raises(ValueError, match="2 headers"):
        readings.markdown_table(["a", "b"], [[1]])


def test_split_table_counts_each_class_on_each_side():
    clips = load_dataset("synthetic", n_per_genre=2, duration=1.0)
    train, test = (
        clips[:3],
        clips[3:5],
    )  # blues 2 + classical 1; classical 1 + country 1
    table = readings.split_table(clips.classes[:3], {"train": train, "test": test})
    lines = table.splitlines()
    assert lines[0] == "| side | blues | classical | country | total |"
    assert lines[2] == "| train | 2 | 1 | 0 | 3 |"
    assert lines[3] == "| test | 0 | 1 | 1 | 2 |"


# ------------------------------------------------------------------- the fresh test clips


def test_fresh_test_sentence_says_which_test_clips_existed_during_development():
    own = [SimpleNamespace(clip_id=f"a.{i}") for i in range(5)]

    class Clips(list):
        name = "synthetic"

    clips = Clips(own)
    test = [own[3], own[4], SimpleNamespace(clip_id="a.7")]
    text = readings.fresh_test_sentence(clips, test)
    assert text.startswith("Of the 3 test clips, 2 are the split's own: they existed")
    assert "The other 1 are fresh" in text
    mine = readings.fresh_test_sentence(clips, test[:2])
    assert "All 2 test clips are the split's own" in mine and "TEST_PER_GENRE" in mine

    class Folder(list):
        name = "folder"

    folder = readings.fresh_test_sentence(Folder(own), test[:2])
    assert "in view" not in folder and "validation clips" in folder


# ----------------------------------------------------------------- the fused zones' reading


def test_fusion_reading_says_a_one_clip_margin_and_an_identical_zone():
    y_pred_zone0 = np.array([0, 1, 1, 2])
    text = readings.fusion_reading(
        {"sum": 0.5, "product": 0.5, "max": 0.75, "min": 0.25},
        "max",
        4,
        fused_pred=y_pred_zone0,
        zone_preds=[y_pred_zone0, np.array([0, 0, 0, 0])],
        zone_names=["26-232", "258-464"],
    )
    assert text.startswith(
        "The max rule is right on 3 of the 4 validation clips, 1 clip more than the "
        "sum and product rules (2): a margin of one clip"
    )
    assert "those of the zone 26-232 Hz alone" in text
    assert "fusing the 2 zones changed no decision" in text


def test_fusion_reading_names_a_tie_and_the_closest_zone():
    text = readings.fusion_reading(
        {"sum": 0.5, "product": 0.5},
        "product",
        4,
        fused_pred=[0, 1, 2, 3],
        zone_preds=[[0, 1, 0, 0], [0, 1, 2, 0]],
        zone_names=["a", "b"],
    )
    assert "as many as the sum rule: the tie goes to the product rule" in text
    assert "the closest, b Hz, agrees with it on 3 of the 4 clips" in text
    wide = readings.fusion_reading(
        {"sum": 0.9, "max": 0.5}, "sum", 10, [0], [[0]], ["z"]
    )
    assert "4 clips more than the max rule (5)." in wide


# ------------------------------------------------------------------------ the collection


def test_collection_note_names_the_left_out_files_inside_the_collection(tmp_path):
    from mgr_utils.datasets import write_folder_collection

    root = write_folder_collection(
        tmp_path / "music", n_per_class=5, duration=1.0, n_jobs=1, progress=False
    )
    clips = load_dataset("folder", data_dir=root)
    text = readings.collection_note(clips)
    assert text.startswith("**A folder collection**: 4 classes (")
    assert "chance is 1/4 here" in text
    assert "Skipped as unreadable: `Drum & Bass/neuro/broken mix.wav`" in text
    assert "`Tango/.DS_Store` (hidden)" in text
    assert str(tmp_path) not in text  # paths inside the collection, never the machine's
    synthetic = readings.collection_note(load_dataset("synthetic", n_per_genre=1))
    assert synthetic.startswith("**The embedded synthetic genre set**: 10 classes")
    assert "Skipped" not in synthetic


# -------------------------------------------------------------------------- the floor


def test_paired_test_floor_text_from_the_exact_test():
    text = readings.paired_test_floor_text(150)
    assert "5 clips to none gives *p* = 0.062" in text
    assert "fewer than **6 clips** (4.0 points of accuracy on these 150 clips)" in text
    assert "too few for any verdict" in readings.paired_test_floor_text(4)


# ------------------------------------------------------------- a side of the split's rows


def test_side_arrays_picks_a_sides_rows_labels_and_ids_skipping_unread_clips():
    clips = load_dataset("synthetic", n_per_genre=2, duration=1.0)  # 20 clips
    kept = np.array([i for i in range(len(clips)) if i != 3])  # clip 3 unreadable
    result = ExtractResult(features=[np.full(2, i) for i in kept], kept=kept)
    part = clips.subset([5, 3, 0])
    X, y, ids = side_arrays(result, clips, part)
    assert ids == [clips[5].clip_id, clips[0].clip_id]
    np.testing.assert_array_equal(X, [[5, 5], [0, 0]])
    np.testing.assert_array_equal(y, [clips.labels[5], clips.labels[0]])
    ragged = [np.zeros(i + 1) for i in range(len(kept))]
    L, _, _ = side_arrays(result, clips, part, ragged)
    assert isinstance(L, list) and [len(a) for a in L] == [5, 1]
    with pytest.raises(ValueError, match="rows for the 19 clips"):
        side_arrays(result, clips, part, np.zeros((3, 2)))
    other = load_dataset("synthetic", n_per_genre=3, duration=1.0)
    with pytest.raises(KeyError, match="not passed to extract"):
        side_arrays(result, clips, other.subset([2]))
