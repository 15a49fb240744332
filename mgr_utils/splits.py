"""Train/validation/test splits: GTZAN's fault-filtered split, stratified random splits, k-fold.

Random splits of GTZAN put excerpts of one artist (35 of the 100 reggae excerpts are Bob
Marley) on both sides and inflate accuracy (Sturm 2013); the fault-filtered split of
Kereliuk, Sturm & Larsen (2015) leaves out 70 faulty excerpts and keeps every artist on
one side. A notebook picks one with its ``SPLIT`` parameter through
:func:`split_dataset`. A folder collection whose table names each clip's group (artist,
album) is split so that every group stays on one side (:func:`group_split`), as the
fault-filtered split keeps GTZAN's artists apart.

Notebook: ``01_datasets.ipynb``.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

from mgr_utils.datasets import ClipSet

SPLITS = ("stratified", "filtered")
"""The values a notebook's ``SPLIT`` parameter takes."""

_SIDES = ("train", "valid", "test")


DEFAULT_FRACTIONS = (0.6, 0.2, 0.2)
"""The ``(train, valid, test)`` shares of :func:`stratified_split` by default."""


def min_clips_per_class(fractions: Sequence[float] = DEFAULT_FRACTIONS) -> int:
    """The fewest clips of a class that a stratified split surely puts on every side.

    A class of ``n`` clips puts about ``f * n`` of them on a side of share ``f``, so it
    needs ``n >= 1 / f`` for the smallest share: 5 at 60/20/20, 10 at 80/10/10. With
    clip counts instead of shares, 3 (one per side). With groups (:func:`group_split`)
    the same number counts a class's groups.

    Notebook: ``01_datasets.ipynb``.

    Args:
        fractions: ``(train, valid, test)`` shares, or three clip counts.
    """
    if all(
        isinstance(f, (int, np.integer)) and not isinstance(f, bool) for f in fractions
    ):
        return 3
    return max(3, math.ceil(1 / min(fractions) - 1e-9))


def _kind(clips: ClipSet) -> str:
    """``"class"`` for a folder collection, ``"genre"`` for GTZAN and synthetic sets."""
    return "class" if clips.name == "folder" else "genre"


def _more_clips(clips: ClipSet) -> str:
    """What to change when a class has too few clips, in the dataset's own terms."""
    if clips.name == "folder":
        return (
            "add clips to that class (or move it out of DATA_DIR), or use other "
            "fractions"
        )
    return "use more clips per genre (e.g. n_per_genre) or other fractions"


def _check_genres(clips: ClipSet, sides: dict[str, ClipSet], hint: str) -> None:
    """Raise a ValueError naming the first genre of ``clips`` that a side has no clip of."""
    for side, part in sides.items():
        missing = [g for g in clips.genres if g not in part.genres]
        if missing:
            raise ValueError(
                f"the {side} side of the split has no clip of {_kind(clips)}(s) "
                f"{missing}: {hint}"
            )


def read_split_list(path: str | Path) -> list[str]:
    """Clip ids from a split list, one ``blues/blues.00012.wav`` per line -> ``"blues.00012"``.

    Notebook: ``01_datasets.ipynb``.
    """
    lines = Path(path).read_text().splitlines()
    return [Path(line.strip()).name.rsplit(".", 1)[0] for line in lines if line.strip()]


def filtered_split(
    clips: ClipSet, lists_dir: str | Path | None = None
) -> tuple[ClipSet, ClipSet, ClipSet]:
    """The fault-filtered GTZAN split of Kereliuk, Sturm & Larsen (2015): 443/197/290 excerpts.

    Clips listed but absent from ``clips`` (e.g. the unreadable ``jazz.00054`` of the common
    copies, skipped by :func:`mgr_utils.datasets.load_gtzan`) are left out with one warning.

    Notebook: ``01_datasets.ipynb``.

    Args:
        clips: GTZAN (or part of it), ids ``"<genre>.NNNNN"``.
        lists_dir: Folder holding ``{train,valid,test}_filtered.txt``; ``None`` fetches them
            (checksums verified, cached) with :func:`mgr_utils.download.fetch_split_lists`.

    Returns:
        ``(train, valid, test)``, each in the lists' order.

    Raises:
        ValueError: A side would have no clip of a genre present in ``clips``.
    """
    if lists_dir is None:
        from mgr_utils.download import fetch_split_lists

        lists_dir = fetch_split_lists()
    present = set(clips.ids)
    sides, n_missing, examples = {}, 0, []
    for side in _SIDES:
        ids = read_split_list(Path(lists_dir).expanduser() / f"{side}_filtered.txt")
        kept = [i for i in ids if i in present]
        n_missing += len(ids) - len(kept)
        examples += [i for i in ids if i not in present][:3]
        sides[side] = clips.by_ids(kept)
    if n_missing:
        warnings.warn(
            f"{n_missing} clip(s) of the fault-filtered split are not in this {clips.name} set "
            f"(e.g. {examples[:3]}) and are left out: "
            + ", ".join(f"{s} {len(sides[s])}" for s in _SIDES),
            stacklevel=2,
        )
    _check_genres(
        clips,
        sides,
        "the fault-filtered split needs GTZAN itself; for other data use SPLIT = 'stratified'.",
    )
    return sides["train"], sides["valid"], sides["test"]


def _side_sizes(n: int, fractions: Sequence[float]) -> tuple[int, int, int]:
    """``(n_train, n_valid, n_test)`` from three fractions summing to 1, or three clip counts."""
    if len(fractions) != 3 or any(f <= 0 for f in fractions):
        raise ValueError(
            f"give three positive fractions or sizes (train, valid, test), not {fractions}"
        )
    if all(
        isinstance(f, (int, np.integer)) and not isinstance(f, bool) for f in fractions
    ):
        if sum(fractions) > n:
            raise ValueError(
                f"sizes {tuple(fractions)} add up to more than the {n} clips"
            )
        return tuple(int(f) for f in fractions)
    if abs(sum(fractions) - 1) > 1e-6:
        raise ValueError(
            f"fractions must add up to 1, got {tuple(fractions)} (sum {sum(fractions)})"
        )
    n_valid, n_test = round(fractions[1] * n), round(fractions[2] * n)
    return n - n_valid - n_test, n_valid, n_test


def stratified_split(
    clips: ClipSet, fractions: Sequence[float] = DEFAULT_FRACTIONS, seed: int = 0
) -> tuple[ClipSet, ClipSet, ClipSet]:
    """A seeded random split with each class in the same proportion on every side.

    Works on any set with :func:`min_clips_per_class` clips per class (5 at 60/20/20).
    On GTZAN it lets artists cross sides; prefer :func:`filtered_split` for numbers to
    report. Clips that carry groups (a folder collection's table with a ``group``
    column) are split by :func:`group_split` instead, so that no group crosses sides.

    Notebook: ``01_datasets.ipynb``.

    Args:
        clips: The clips to split.
        fractions: ``(train, valid, test)`` fractions adding up to 1, or integer clip counts.
        seed: Random seed.

    Returns:
        ``(train, valid, test)``, each in the order of ``clips``.

    Raises:
        ValueError: Too few clips for every class to reach every side; the message names
            the class or side and what to change.
    """
    from sklearn.model_selection import train_test_split

    if clips.groups is not None:
        return group_split(clips, fractions=fractions, seed=seed)
    n_train, n_valid, n_test = _side_sizes(len(clips), fractions)
    hint = _more_clips(clips)
    need = min_clips_per_class(fractions)
    for g, n in clips.counts().items():
        if n < need:
            raise ValueError(
                f"{_kind(clips)} {g!r} has {n} clip(s), too few to reach train, valid "
                f"and test: a split of {tuple(fractions)} needs at least {need} per "
                f"{_kind(clips)}: {hint}"
            )
    for side, n in zip(_SIDES, (n_train, n_valid, n_test)):
        if n < len(clips.genres):
            raise ValueError(
                f"the {side} side would hold {n} clip(s), fewer than the "
                f"{len(clips.genres)} {_kind(clips)}s: {hint}"
            )
    index, y = np.arange(len(clips)), clips.labels
    try:
        rest, test = train_test_split(
            index,
            train_size=n_train + n_valid,
            test_size=n_test,
            stratify=y,
            random_state=seed,
        )
        train, valid = train_test_split(
            rest,
            train_size=n_train,
            test_size=n_valid,
            stratify=y[rest],
            random_state=seed,
        )
    except ValueError as err:
        sizes = (n_train, n_valid, n_test)
        raise ValueError(
            f"cannot stratify {clips!r} into sizes {sizes}: {hint}"
        ) from err
    sides = {s: clips.subset(sorted(i)) for s, i in zip(_SIDES, (train, valid, test))}
    _check_genres(clips, sides, hint)
    return sides["train"], sides["valid"], sides["test"]


def _group_fold(
    index: np.ndarray,
    y: np.ndarray,
    groups: np.ndarray,
    n_splits: int,
    seed: int,
) -> tuple[np.ndarray, np.ndarray] | None:
    """``(rest, held)``: the first of ``n_splits`` stratified group folds in which both
    hold every class of ``y[index]``, or ``None``."""
    from sklearn.model_selection import StratifiedGroupKFold

    folds = StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    every = set(y[index].tolist())
    with (
        warnings.catch_warnings()
    ):  # "least populated class": coverage is checked below
        warnings.simplefilter("ignore", UserWarning)
        for rest, held in folds.split(index, y[index], groups[index]):
            if set(y[index[rest]].tolist()) == every == set(y[index[held]].tolist()):
                return index[rest], index[held]
    return None


def group_split(
    clips: ClipSet, fractions: Sequence[float] = DEFAULT_FRACTIONS, seed: int = 0
) -> tuple[ClipSet, ClipSet, ClipSet]:
    """A seeded split that keeps each group (artist, album) on one side, stratified.

    scikit-learn's ``StratifiedGroupKFold`` cuts the groups into ``round(1 / test
    share)`` folds with each class in about the same proportion; the test side is the
    first fold (in the seeded order) that holds every class and leaves every class to
    the rest. The rest is cut the same way into training and validation (``round((train
    + valid) / valid)`` folds). Whole groups move, so the shares are met only roughly
    (60/20/20 gives 5 and then 4 folds: exactly 20 % and 20 % when the groups are of one
    size).

    Notebook: ``01_datasets.ipynb``.

    Args:
        clips: Clips with groups (:attr:`mgr_utils.datasets.ClipSet.groups`).
        fractions: ``(train, valid, test)`` fractions adding up to 1.
        seed: Random seed.

    Returns:
        ``(train, valid, test)``, each in the order of ``clips``; no group on two sides.

    Raises:
        ValueError: Clips without groups, clip counts instead of fractions, a class of
            fewer groups than :func:`min_clips_per_class`, or no fold that gives every
            side every class; the message says what to change.
    """
    groups = clips.groups
    if groups is None:
        raise ValueError("group_split needs clips with groups (a table's group column)")
    if any(
        isinstance(f, (int, np.integer)) and not isinstance(f, bool) for f in fractions
    ):
        raise ValueError(
            "a split that keeps groups together takes fractions, not clip counts: "
            f"{tuple(fractions)}"
        )
    _side_sizes(len(clips), fractions)  # three positive fractions adding up to 1
    f_train, f_valid, f_test = (float(f) for f in fractions)
    groups = np.asarray(groups, dtype=object)
    y = clips.labels
    need = min_clips_per_class(fractions)
    hint = (
        "add clips of more groups (artists, albums) to that class, or drop the table's "
        "group column to split clip by clip"
    )
    for g in clips.genres:
        n = len(set(groups[y == clips.classes.index(g)].tolist()))
        if n < need:
            raise ValueError(
                f"{_kind(clips)} {g!r} has clips of {n} group(s); a split of "
                f"{tuple(fractions)} that keeps groups apart needs at least {need} per "
                f"{_kind(clips)}: {hint}"
            )
    index = np.arange(len(clips))
    first = _group_fold(index, y, groups, max(2, round(1 / f_test)), seed)
    second = (
        None
        if first is None
        else _group_fold(
            first[0], y, groups, max(2, round((f_train + f_valid) / f_valid)), seed
        )
    )
    if second is None:
        raise ValueError(
            f"no split of {clips!r} into groups puts every {_kind(clips)} on every "
            f"side (groups of several {_kind(clips)}es are kept whole): {hint}"
        )
    train, valid = second
    test = first[1]
    sides = {s: clips.subset(sorted(i)) for s, i in zip(_SIDES, (train, valid, test))}
    _check_genres(clips, sides, hint)
    return sides["train"], sides["valid"], sides["test"]


def kfold_splits(
    clips: ClipSet, k: int = 5, seed: int = 0
) -> Iterator[tuple[ClipSet, ClipSet]]:
    """Stratified k-fold cross-validation: every clip is in the test side of exactly one fold.

    Clips that carry groups (:attr:`mgr_utils.datasets.ClipSet.groups`) are folded with
    scikit-learn's ``StratifiedGroupKFold``: each group in one fold only.

    Notebook: ``01_datasets.ipynb``.

    Args:
        clips: The clips to split.
        k: Number of folds (at least 2).
        seed: Random seed of the shuffle before folding.

    Yields:
        ``(train, test)`` for each of the ``k`` folds, each in the order of ``clips``.

    Raises:
        ValueError: ``k < 2``, or a class with fewer than ``k`` clips (or groups)
            (raised at the call).
    """
    from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold

    if int(k) < 2:
        raise ValueError(f"k-fold needs k >= 2 folds, got {k}")
    groups = clips.groups
    what = "clip(s)" if groups is None else "group(s)"
    per_class = (
        clips.counts()
        if groups is None
        else {
            g: len({grp for grp, c in zip(groups, clips) if c.genre == g})
            for g in clips.genres
        }
    )
    for g, n in per_class.items():
        if n < k:
            raise ValueError(
                f"{_kind(clips)} {g!r} has {n} {what}, fewer than the k={k} folds, so "
                f"some test fold would have none of it: {_more_clips(clips)} or a "
                "smaller k"
            )
    if groups is None:
        folds = StratifiedKFold(n_splits=int(k), shuffle=True, random_state=seed)
        split = list(folds.split(np.zeros(len(clips)), clips.labels))
    else:
        folds = StratifiedGroupKFold(n_splits=int(k), shuffle=True, random_state=seed)
        split = list(folds.split(np.zeros(len(clips)), clips.labels, groups))
    return ((clips.subset(sorted(tr)), clips.subset(sorted(te))) for tr, te in split)


def fresh_test_clips(
    clips: ClipSet, test: ClipSet, test_per_genre: int, seed: int = 0
) -> ClipSet:
    """The synthetic test side topped up to ``test_per_genre`` clips per genre with fresh clips.

    Synthetic clips cost nothing but rendering, and two systems can only be told apart on
    enough test clips (:mod:`mgr_utils.comparison`: about 150 for a 10-point difference). The
    fresh clips come after every clip of ``clips`` (:func:`mgr_utils.datasets.load_synthetic`
    with a later ``start``), so they were never heard while the book's settings were chosen.

    Notebook: ``01_datasets.ipynb``.

    Args:
        clips: The whole synthetic set (its clips' ids, duration and sample rate are used).
        test: Its test side.
        test_per_genre: Clips per genre the test side should hold.
        seed: Seed of the set (the ``seed`` it was loaded with).

    Returns:
        ``test`` followed by the fresh clips (``test`` itself when it is large enough).

    Raises:
        ValueError: ``clips`` is not the synthetic set.
    """
    from mgr_utils.datasets import load_synthetic

    if clips.name != "synthetic":
        raise ValueError(
            "fresh test clips exist only for the synthetic set; on GTZAN and a folder "
            "collection the split decides the test clips (leave TEST_PER_GENRE at None)"
        )
    counts = test.counts()
    missing = int(test_per_genre) - min(counts.values())
    if missing <= 0:
        return test
    start = 1 + max(int(c.clip_id.rsplit(".", 1)[1]) for c in clips)
    first = clips[0]
    fresh = load_synthetic(
        missing,
        duration=first.duration,
        seed=seed,
        genres=clips.genres,
        sr=first.sr,
        start=start,
    )
    # the set's own class list (a subset of the genres keeps its labels 0..k-1)
    return test + ClipSet(fresh.clips, fresh.name, classes=test.classes)


def split_dataset(
    clips: ClipSet,
    method: str = "stratified",
    seed: int = 0,
    lists_dir: str | Path | None = None,
    fractions: Sequence[float] = DEFAULT_FRACTIONS,
    test_per_genre: int | None = None,
) -> tuple[ClipSet, ClipSet, ClipSet]:
    """Split by the name a notebook's ``SPLIT`` parameter holds.

    Notebook: ``01_datasets.ipynb``.

    Args:
        clips: The clips to split.
        method: ``"stratified"`` (:func:`stratified_split`, any dataset; clips with
            groups, from a folder collection's table, go to :func:`group_split`) or
            ``"filtered"`` (:func:`filtered_split`, GTZAN only).
        seed: Random seed (stratified only).
        lists_dir: Folder of the split lists (filtered only; ``None`` fetches them).
        fractions: ``(train, valid, test)`` fractions or sizes (stratified only;
            fractions only when the clips have groups).
        test_per_genre: Synthetic set only: top the test side up to this many clips per
            genre with fresh clips (:func:`fresh_test_clips`); ignored on GTZAN and on a
            folder collection, whose split decides.

    Returns:
        ``(train, valid, test)``.

    Raises:
        ValueError: An unknown method, ``"filtered"`` on a folder collection, or a split
            that leaves a class out of a side.
    """
    if method == "filtered" and clips.name == "folder":
        raise ValueError(
            "SPLIT = 'filtered' is GTZAN's fault-filtered split; a folder collection "
            "takes SPLIT = 'stratified' (with a group column in its table, groups stay "
            "on one side)"
        )
    if method == "stratified":
        train, valid, test = stratified_split(clips, fractions=fractions, seed=seed)
    elif method == "filtered":
        train, valid, test = filtered_split(clips, lists_dir=lists_dir)
    else:
        raise ValueError(
            f"unknown split method {method!r}; SPLIT must be one of {SPLITS}"
        )
    if test_per_genre and clips.name == "synthetic":
        test = fresh_test_clips(clips, test, test_per_genre, seed=seed)
    return train, valid, test
