"""Splits: the fault-filtered lists, stratified and k-fold splits, clear errors."""

from __future__ import annotations

from collections import Counter

import pytest

from mgr_utils import GENRES
from mgr_utils.datasets import Clip, ClipSet, clip_id, load_synthetic
from mgr_utils.splits import (
    filtered_split,
    kfold_splits,
    read_split_list,
    split_dataset,
    stratified_split,
)


def fake_set(genres=GENRES, n=100, drop=()) -> ClipSet:
    """A GTZAN-like ClipSet (ids only, no audio): ``n`` clips of each genre, minus ``drop``."""
    clips = [
        Clip(clip_id(g, i), g)
        for g in genres
        for i in range(n)
        if clip_id(g, i) not in drop
    ]
    return ClipSet(clips, "gtzan")


@pytest.fixture
def lists_dir(shared_data):
    return shared_data / "gtzan_splits"


def test_filtered_split_matches_the_lists(lists_dir):
    train, valid, test = filtered_split(fake_set(), lists_dir=lists_dir)
    assert (len(train), len(valid), len(test)) == (443, 197, 290)
    assert not set(train.ids) & set(valid.ids) and not set(train.ids) & set(test.ids)
    assert not set(valid.ids) & set(test.ids)
    for side, part in zip(("train", "valid", "test"), (train, valid, test)):
        listed = (lists_dir / f"{side}_filtered.txt").read_text().split()
        assert part.ids == [line.split("/")[1].removesuffix(".wav") for line in listed]
        assert part.counts() == dict(Counter(line.split("/")[0] for line in listed))
    # Counted by hand from the lists (cut -d/ -f1 | uniq -c).
    assert (
        train.counts()["blues"] == 46
        and valid.counts()["pop"] == 13
        and test.counts()["rock"] == 32
    )
    assert test.counts()["reggae"] == 26 and train.counts()["classical"] == 48
    total = Counter(train.counts()) + Counter(valid.counts()) + Counter(test.counts())
    assert sum(total.values()) == 930 and total["blues"] == 100 and total["pop"] == 84


def test_read_split_list(lists_dir):
    ids = read_split_list(lists_dir / "test_filtered.txt")
    assert ids[:2] == ["blues.00012", "blues.00013"] and len(ids) == 290


def test_filtered_split_leaves_out_skipped_clips_with_a_warning(lists_dir):
    clips = fake_set(drop={"jazz.00054"})  # unreadable in the common copies
    with pytest.warns(UserWarning, match=r"1 clip\(s\).*jazz\.00054"):
        train, valid, test = filtered_split(clips, lists_dir=lists_dir)
    assert (len(train), len(valid), len(test)) == (442, 197, 290)


def test_filtered_split_of_a_few_genres(lists_dir):
    clips = fake_set(genres=("blues", "metal"))
    with pytest.warns(UserWarning, match="not in this gtzan set"):
        train, valid, test = filtered_split(clips, lists_dir=lists_dir)
    assert train.genres == valid.genres == test.genres == ("blues", "metal")


def test_filtered_split_of_too_few_clips_names_side_and_genre(lists_dir):
    clips = fake_set(
        n=10
    )  # clips 0-9 of every genre: blues.00000-00009 are all in 'valid'
    with (
        pytest.warns(UserWarning),
        pytest.raises(ValueError, match=r"train side.*'blues'.*stratified"),
    ):
        filtered_split(clips, lists_dir=lists_dir)


def test_split_dataset_dispatch(lists_dir):
    train, _, _ = split_dataset(fake_set(), "filtered", lists_dir=lists_dir)
    assert len(train) == 443
    train, valid, test = split_dataset(fake_set(), "stratified", seed=1)
    assert (len(train), len(valid), len(test)) == (600, 200, 200)
    with pytest.raises(ValueError, match="SPLIT must be one of"):
        split_dataset(fake_set(), "random")


def test_stratified_split_on_a_small_subset():
    clips = fake_set(genres=("blues", "jazz", "rock"), n=5)
    train, valid, test = stratified_split(clips, seed=0)
    assert (len(train), len(valid), len(test)) == (9, 3, 3)
    assert train.counts() == {"blues": 3, "jazz": 3, "rock": 3}
    assert valid.genres == test.genres == ("blues", "jazz", "rock")
    assert sorted(train.ids + valid.ids + test.ids) == sorted(clips.ids)
    assert stratified_split(clips, seed=0)[2].ids == test.ids  # seeded
    assert train.ids == sorted(train.ids, key=clips.ids.index)  # dataset order kept


def test_stratified_split_is_stratified_on_gtzan():
    train, valid, test = stratified_split(fake_set(), fractions=(0.5, 0.25, 0.25))
    assert set(train.counts().values()) == {50} and set(test.counts().values()) == {25}


def test_stratified_split_by_sizes():
    clips = load_synthetic(n_per_genre=5, genres=("blues", "jazz", "rock"))
    train, valid, test = stratified_split(clips, fractions=(6, 3, 3), seed=2)
    assert (len(train), len(valid), len(test)) == (6, 3, 3)
    assert train.name == "synthetic" and not set(train.ids) & set(test.ids)


@pytest.mark.parametrize(
    "clips, fractions, match",
    [
        (
            fake_set(("blues", "jazz"), n=2),
            (0.6, 0.2, 0.2),
            r"genre 'blues' has 2 clip.*n_per_genre",
        ),
        (
            fake_set(n=3),
            (0.8, 0.1, 0.1),
            r"genre 'blues' has 3 clip\(s\).*\(0.8, 0.1, 0.1\) needs at least 10 "
            "per genre",
        ),
        (
            fake_set(n=5),
            (40, 5, 5),
            r"the valid side would hold 5 clip\(s\).*10 genres",
        ),
        (fake_set(n=5), (0.6, 0.3, 0.3), "add up to 1"),
        (fake_set(n=5), (30, 10, 20), "more than the 50 clips"),
        (fake_set(n=5), (0.8, 0.2), "three positive"),
    ],
)
def test_stratified_split_errors_are_clear(clips, fractions, match):
    with pytest.raises(ValueError, match=match):
        stratified_split(clips, fractions=fractions)


def test_kfold_covers_every_clip_once():
    clips = fake_set(genres=("blues", "jazz", "rock"), n=5)
    folds = list(kfold_splits(clips, k=5, seed=0))
    assert len(folds) == 5
    tested = [i for _, test in folds for i in test.ids]
    assert sorted(tested) == sorted(clips.ids)  # each clip in exactly one test fold
    for train, test in folds:
        assert not set(train.ids) & set(test.ids) and len(train) + len(test) == len(
            clips
        )
        assert test.counts() == {"blues": 1, "jazz": 1, "rock": 1}


def test_kfold_errors_at_the_call():
    clips = fake_set(genres=("blues", "jazz"), n=3)
    with pytest.raises(
        ValueError, match=r"genre 'blues' has 3 clip\(s\), fewer than the k=5"
    ):
        kfold_splits(clips, k=5)
    with pytest.raises(ValueError, match="k >= 2"):
        kfold_splits(clips, k=1)


def test_fresh_test_clips_top_up_the_synthetic_test_side():
    from mgr_utils.datasets import load_synthetic
    from mgr_utils.splits import split_dataset

    clips = load_synthetic(5, duration=1.0, seed=3, genres=("rock", "jazz", "metal"))
    train, valid, test = split_dataset(clips, seed=3, test_per_genre=4)
    assert test.counts() == {"jazz": 4, "metal": 4, "rock": 4}
    fresh = [c for c in test if c.clip_id not in set(clips.ids)]
    assert len(fresh) == 9 and {c.clip_id.rsplit(".", 1)[1] for c in fresh} == {
        "00005",
        "00006",
        "00007",
    }
    # fresh clips are the clips a larger set would have held: same id, same seed
    bigger = {
        c.clip_id: c.seed
        for c in load_synthetic(8, duration=1.0, seed=3, genres=("rock",))
    }
    assert all(bigger[c.clip_id] == c.seed for c in fresh if c.genre == "rock")
    assert not set(test.ids) & (set(train.ids) | set(valid.ids))
    # already large enough: unchanged; without the option: the plain split
    assert (
        split_dataset(clips, seed=3, test_per_genre=1)[2].ids
        == split_dataset(clips, seed=3)[2].ids
    )


def test_fresh_test_clips_refuse_gtzan():
    from mgr_utils.datasets import ClipSet
    from mgr_utils.splits import fresh_test_clips

    with pytest.raises(ValueError, match="only for the synthetic set"):
        fresh_test_clips(ClipSet([], "gtzan"), ClipSet([], "gtzan"), 5)
