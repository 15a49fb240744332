"""Training and clip-level evaluation of the book's networks, shared from chapter 4 on.

The path of every CNN chapter is the same:

1. :func:`segments_dataset` turns each side of a split (a :class:`~mgr_utils.datasets.ClipSet`)
   and a per-clip input function (one per paper, in :mod:`mgr_utils.features`, e.g.
   :func:`~mgr_utils.features.costa_patches`) into arrays ``(X, y, clip_index)``, one row per
   segment or patch, standardised with statistics of the **training side only**;
2. :func:`train` fits a Keras model on them (seeded, early stopping on the validation side with
   the best weights restored, a ``tf.data`` pipeline) and measures the time and the throughput;
3. :func:`evaluate_selected` predicts every segment, chooses the segment-to-clip rule
   (majority vote, sum rule, product rule: :func:`mgr_utils.evaluation.aggregate_segments`) on the
   **validation** clips, then scores the test clips **once**, with that rule.

TensorFlow and Keras are imported only inside the functions that need them, so the feature
cache's worker processes never load them.

Notebook: ``04_costa_cnn.ipynb`` (reused in every chapter that trains a network).
"""

from __future__ import annotations

import functools
import itertools
import os
import time
import weakref
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from mgr_utils import GENRES
from mgr_utils.evaluation import (
    aggregate_segments,
    clip_labels,
    clip_metrics,
    select_on_validation,
)

DEFAULT_RULES = ("vote", "sum", "product")
"""The segment-to-clip rules :func:`evaluate_clips` reports by default."""


# --------------------------------------------------------------------------------------------
# Segment arrays from clips, standardised on the training side
# --------------------------------------------------------------------------------------------


@dataclass
class Standardizer:
    """Zero mean, unit variance per feature, with statistics from the training side only.

    ``feature_axes`` are the axes of **one sample** (0 = the first axis after the batch) along which
    features differ; mean and standard deviation are taken over the batch and every other axis.
    ``None`` (default) means every sample axis: one statistic per element (per GLCM cell, per
    time-frequency cell). For a patch ``(rows, columns, 1)`` use ``(0,)``: one per frequency row.

    Notebook: ``04_costa_cnn.ipynb``.
    """

    feature_axes: tuple[int, ...] | None = None
    mean_: np.ndarray | None = field(default=None, repr=False)
    std_: np.ndarray | None = field(default=None, repr=False)

    def _reduce_axes(self, ndim: int) -> tuple[int, ...]:
        if self.feature_axes is None:
            return (0,)
        keep = {a % (ndim - 1) + 1 for a in self.feature_axes}
        return tuple(a for a in range(ndim) if a not in keep)

    def fit(self, X: np.ndarray, chunk_mb: float = 64) -> Standardizer:
        """Learn the statistics of ``X`` (``(n_samples, ...)``); a constant feature gets std 1.

        Sums and sums of squares are accumulated in float64 over chunks of about ``chunk_mb`` MB,
        so a large float32 array (whole GTZAN clips) is never copied whole in float64: chapter 6's
        4 GB of training segments once needed 4 GB more for two chunks of 4,096 segments.
        """
        if not isinstance(X, CachedRows):
            X = np.asarray(X)
        axes = self._reduce_axes(X.ndim)
        total = total_sq = None
        count = 0
        per_sample = max(1, int(np.prod(X.shape[1:], dtype=np.int64)) * 8)
        chunk = max(1, int(chunk_mb * 2**20) // per_sample)
        for start in range(0, X.shape[0], chunk):
            part = np.asarray(X[start : start + chunk], dtype=np.float64)
            s1 = part.sum(axis=axes, keepdims=True)
            s2 = np.square(part).sum(axis=axes, keepdims=True)
            total = s1 if total is None else total + s1
            total_sq = s2 if total_sq is None else total_sq + s2
            count += part.size // s1.size
        mean = total / count
        std = np.sqrt(np.maximum(total_sq / count - mean**2, 0.0))
        self.mean_ = mean[0].astype(np.float32)
        self.std_ = np.where(std[0] > 1e-8, std[0], 1.0).astype(np.float32)
        return self

    def transform(self, X: np.ndarray, inplace: bool = False) -> np.ndarray:
        """``(X - mean) / std`` as float32 (``inplace``: overwrite ``X`` when it is float32, no copy).

        :class:`CachedRows` come back as cached rows standardised when they are read.
        """
        if self.mean_ is None:
            raise RuntimeError("Standardizer.transform before fit")
        if isinstance(X, CachedRows):  # standardised as its rows are read
            return X.standardized(self)
        if inplace and isinstance(X, np.ndarray) and X.dtype == np.float32:
            X -= self.mean_
            X /= self.std_
            return X
        return ((np.asarray(X, dtype=np.float32) - self.mean_) / self.std_).astype(
            np.float32
        )


class CachedRows:
    """The segments of a side, left in the feature cache's files and read when needed.

    It looks like the array :func:`segments_dataset` would have stacked (``shape``,
    ``dtype``, ``len``, indexing by an integer, a slice or an array of row numbers), but only
    the rows asked for are read, each from its clip's ``.npy`` file through a memory map
    closed right after, and standardised on the way out when a scaler is attached. The same
    rows in the same order give the same values as the stacked array, to the bit.

    Notebook: ``07_raw_audio.ipynb``.

    Args:
        paths: One cache file per clip, in order.
        lengths: Rows (segments) of each file.
        row_shape: Shape of one row.
        rows: Which of the files' rows this object holds, in order (``None``: all).
        scaler: A fitted :class:`Standardizer` applied to every row read.
    """

    dtype = np.dtype(np.float32)

    def __init__(
        self,
        paths: Sequence[str | Path],
        lengths: Sequence[int],
        row_shape: Sequence[int],
        rows: np.ndarray | None = None,
        scaler: Standardizer | None = None,
    ):
        self.paths = [Path(p) for p in paths]
        self.lengths = np.asarray(lengths, dtype=np.int64)
        if len(self.paths) != len(self.lengths):
            raise ValueError(f"{len(self.paths)} files for {len(self.lengths)} lengths")
        self.offsets = np.concatenate([[0], np.cumsum(self.lengths)]).astype(np.int64)
        self.row_shape = tuple(int(d) for d in row_shape)
        self.rows = None if rows is None else np.asarray(rows, dtype=np.int64)
        self.scaler = scaler

    @property
    def shape(self) -> tuple[int, ...]:
        n = int(self.offsets[-1]) if self.rows is None else len(self.rows)
        return (n, *self.row_shape)

    @property
    def ndim(self) -> int:
        return 1 + len(self.row_shape)

    @property
    def nbytes(self) -> int:
        """What the rows would take in memory (none of it is held)."""
        return int(np.prod(self.shape, dtype=np.int64)) * self.dtype.itemsize

    def __len__(self) -> int:
        return self.shape[0]

    def __repr__(self) -> str:
        return (
            f"CachedRows({self.shape[0]} rows of {self.row_shape} in "
            f"{len(self.paths)} cache files, {self.nbytes / 2**20:.0f} MB if loaded)"
        )

    def __array__(self, dtype=None, copy=None):
        raise TypeError(
            "CachedRows are read batch by batch: index them (rows[i:j]) instead of "
            "loading them whole"
        )

    def __getitem__(self, index) -> np.ndarray:
        if isinstance(index, (int, np.integer)):
            return self[np.array([index])][0]
        if isinstance(index, slice):
            index = np.arange(*index.indices(len(self)))
        index = np.asarray(index)
        if index.dtype == bool:  # a mask of rows
            if index.shape != (len(self),):
                raise IndexError(f"a mask of {index.shape} for {len(self)} rows")
            index = np.flatnonzero(index)
        index = index.astype(np.int64).reshape(-1)
        n = len(self)
        if index.size and (index.min() < -n or index.max() >= n):
            raise IndexError(f"row index out of range for {n} rows")
        index = np.where(index < 0, index + n, index)
        file_rows = index if self.rows is None else self.rows[index]
        which = np.searchsorted(self.offsets, file_rows, side="right") - 1
        out = np.empty((len(index), *self.row_shape), dtype=np.float32)
        for f in np.unique(which):
            at = np.flatnonzero(which == f)
            view = np.load(self.paths[f], mmap_mode="r", allow_pickle=False)
            out[at] = view[file_rows[at] - self.offsets[f]]
            del view  # the map is closed: the rows read leave no resident pages behind
        if self.scaler is not None:
            out = self.scaler.transform(out, inplace=True)
        return out

    def subset(self, rows: Sequence[int]) -> CachedRows:
        """The rows ``rows`` of this object (no value is read), e.g. some clips' segments."""
        rows = np.asarray(rows, dtype=np.int64).reshape(-1)
        mapped = rows if self.rows is None else self.rows[rows]
        return CachedRows(self.paths, self.lengths, self.row_shape, mapped, self.scaler)

    def standardized(self, scaler: Standardizer) -> CachedRows:
        """The same rows, standardised by ``scaler`` as they are read."""
        if self.scaler is not None:
            raise ValueError("these rows are standardised already")
        return CachedRows(self.paths, self.lengths, self.row_shape, self.rows, scaler)


@dataclass
class Segments:
    """One side of a split, cut into segments: the arrays a network trains or is tested on.

    Attributes:
        X: Inputs, ``(n_segments, ...)`` float32: an array, or :class:`CachedRows` for a
            side too large to hold (read batch by batch from the feature cache).
        y: Label of each segment (its clip's genre index), ``(n_segments,)``.
        clip_index: For each segment, the index of its clip in :attr:`clips`.
        clips: The side's clips, as passed (a clip whose audio failed to load has no segment).

    Notebook: ``04_costa_cnn.ipynb``.
    """

    X: np.ndarray
    y: np.ndarray
    clip_index: np.ndarray
    clips: Any

    def __len__(self) -> int:
        return int(self.X.shape[0])

    @property
    def n_clips(self) -> int:
        """Number of clips with at least one segment."""
        return int(np.unique(self.clip_index).size)

    def __repr__(self) -> str:
        return f"Segments({len(self)} segments of shape {self.X.shape[1:]} from {self.n_clips} clips)"

    def of_clips(self, positions: Sequence[int]) -> Segments:
        """The segments of the clips at ``positions`` of :attr:`clips`, in that order.

        The arrays are those :func:`segments_dataset` (unstandardised) gives for
        ``clips.subset(positions)``; ``clip_index`` counts positions in the new set. All
        of the clips in their order returns this object itself, with no copy.

        Notebook: ``07_raw_audio.ipynb`` (each data-scaling run takes its training clips
        from segments cut once).

        Raises:
            ValueError: A position outside the clips, or segments not grouped by clip
                (``clip_index`` must not decrease, as :func:`segments_dataset` makes it).
        """
        positions = np.asarray(positions, dtype=np.int64).reshape(-1)
        n = len(self.clips)
        bad = positions[(positions < 0) | (positions >= n)]
        if bad.size:
            raise ValueError(f"clip positions {bad[:5].tolist()} outside 0..{n - 1}")
        if np.any(np.diff(self.clip_index) < 0):
            raise ValueError("segments are not grouped by clip (clip_index decreases)")
        if np.array_equal(positions, np.arange(n)):
            return self
        start = np.searchsorted(self.clip_index, positions, side="left")
        stop = np.searchsorted(self.clip_index, positions, side="right")
        rows = np.concatenate(
            [np.arange(a, b) for a, b in zip(start, stop)] + [np.zeros(0, np.int64)]
        )
        clips = (
            self.clips.subset(positions)
            if hasattr(self.clips, "subset")
            else [self.clips[i] for i in positions]
        )
        X = self.X.subset(rows) if isinstance(self.X, CachedRows) else self.X[rows]
        return Segments(
            X=X,
            y=self.y[rows],
            clip_index=np.repeat(np.arange(len(positions)), stop - start),
            clips=clips,
        )


def segments_dataset(
    sides: Mapping[str, Any],
    fn: Callable,
    params: Mapping[str, Any] | None = None,
    *,
    side_params: Mapping[str, Mapping[str, Any]] | None = None,
    fit_on: str = "train",
    standardize: bool = True,
    feature_axes: tuple[int, ...] | None = None,
    cache_dir: str | Path | None = None,
    n_jobs: int = -1,
    progress: bool = True,
    name: str | None = None,
    key: str | None = None,
    max_memory_mb: float | None = None,
) -> tuple[dict[str, Segments], Standardizer | None]:
    """Cut each side of a split into segments with a per-clip input function; standardise.

    ``fn(y, sr, **params)`` returns one clip's segments, ``(n_segments, ...)``; it runs through the
    feature cache (:func:`mgr_utils.cache.extract`: in parallel, computed once per clip and
    parameter set). The segments of all clips of a side are stacked; each keeps its clip's label
    and index. A :class:`Standardizer` is fitted on the ``fit_on`` side and applied to all sides,
    so nothing about the validation or test clips leaks into the inputs.

    Notebook: ``04_costa_cnn.ipynb``.

    Args:
        sides: ``{"train": ClipSet, "valid": ClipSet, "test": ClipSet}`` (any names).
        fn: Module-level per-clip function, e.g. :func:`mgr_utils.features.costa_patches`.
        params: Keyword parameters of ``fn`` for every side.
        side_params: Overrides per side, e.g. ``{"train": {"hop": 8}}`` for overlapping training
            patches and non-overlapping test patches (Costa).
        fit_on: The side whose statistics standardise every side.
        standardize: ``False``: return the raw values (and ``None`` for the standardiser).
        feature_axes: See :class:`Standardizer`.
        cache_dir: Feature cache folder (``None``: the default cache).
        n_jobs: Worker processes for the extraction (-1: all cores).
        progress: Show progress bars.
        name: Feature name in the cache (default: ``fn``'s module and name).
        key: When ``fn`` returns a dict of arrays, the entry holding the segments (e.g.
            ``"glcm"`` of :func:`mgr_utils.features.texture_features`, which chapter 3 has cached).
        max_memory_mb: A side whose segments take more than this (MB, float32) stays in
            the cache's files as :class:`CachedRows`, read batch by batch (``None``: every
            side in memory). The values are the same either way. Chapter 7 sets it: GTZAN's
            whole clips as raw waveforms take gigabytes per side.

    Returns:
        ``({side: Segments}, standardizer)``.

    Raises:
        ValueError: ``fit_on`` is not a side, or a side yields no segment.
    """
    from mgr_utils.cache import extract

    if standardize and fit_on not in sides:
        raise ValueError(f"fit_on={fit_on!r} is not one of the sides {list(sides)}")
    limit = float("inf") if max_memory_mb is None else float(max_memory_mb)
    out = {}
    for side, clips in sides.items():
        p = {**(params or {}), **((side_params or {}).get(side, {}))}
        res = extract(
            clips,
            fn,
            p,
            cache_dir=cache_dir,
            n_jobs=n_jobs,
            progress=progress,
            name=name,
            load=key is not None,  # single arrays: located first, read if they fit
        )
        if key is None:
            paths = [path for path, _ in res.features]
            lengths = [shape[0] for _, shape in res.features]
        else:
            lengths = [len(f[key]) for f in res.features]
        if sum(lengths) == 0:
            raise ValueError(f"side {side!r}: no segment from {len(clips)} clips")
        if key is None:
            row_shape = res.features[0][1][1:]
            rows = CachedRows(paths, lengths, row_shape)
            X = rows if rows.nbytes > limit * 2**20 else _read_rows(paths, rows)
        else:
            X = _stack_releasing(res.features, lengths, key)
        labels = clips.labels[res.kept]
        out[side] = Segments(
            X=X,
            y=np.repeat(labels, lengths).astype(np.int64),
            clip_index=np.repeat(res.kept, lengths).astype(np.int64),
            clips=clips,
        )
    scaler = None
    if standardize:
        scaler = Standardizer(feature_axes).fit(out[fit_on].X)
        for s in out.values():
            s.X = scaler.transform(s.X, inplace=True)
    return out, scaler


def _read_rows(paths: Sequence[Path], rows: CachedRows) -> np.ndarray:
    """Every row of ``rows`` in one float32 array, read file by file into its place."""
    X = np.empty(rows.shape, dtype=np.float32)
    for path, a, b in zip(paths, rows.offsets[:-1], rows.offsets[1:]):
        X[a:b] = np.load(path, allow_pickle=False)
    _return_freed_memory()
    return X


def _stack_releasing(features: list, lengths: list[int], key: str | None) -> np.ndarray:
    """Concatenate per-clip arrays into one float32 array, dropping each clip's array once copied.

    ``np.concatenate`` would hold every clip's array and the result at once (twice the side's size
    at the peak); filling a preallocated array keeps the peak near one copy, which matters for whole
    GTZAN clips as raw audio.
    """
    first = np.asarray(features[0] if key is None else features[0][key])
    X = np.empty((sum(lengths), *first.shape[1:]), dtype=np.float32)
    at, freed = 0, 0
    for i, n in enumerate(lengths):
        X[at : at + n] = features[i] if key is None else features[i][key]
        freed += X[at : at + n].nbytes
        features[i] = None
        at += n
        if freed > 256 * 2**20:
            _return_freed_memory()
            freed = 0
    _return_freed_memory()
    return X


def _return_freed_memory() -> None:
    """Give freed heap memory back to the system (glibc's ``malloc_trim``; elsewhere nothing).

    Arrays received from worker processes are small enough for glibc to place them in the heap,
    where memory freed in the middle is kept by the process: without this, stacking a side of
    freshly computed GTZAN features held the per-clip arrays and the stacked copy at once (8.2 GB
    for chapter 6's 4 GB of training segments, measured).
    """
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@functools.lru_cache(maxsize=1)
def _malloc_trim():
    import ctypes
    import ctypes.util

    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
    except (OSError, AttributeError):  # not glibc (macOS, Windows)
        return None


# --------------------------------------------------------------------------------------------
# TensorFlow set-up and the input pipeline
# --------------------------------------------------------------------------------------------


def _quiet_import_tensorflow() -> None:
    """Import TensorFlow and Keras once with file descriptor 2 pointed at ``os.devnull``."""
    import sys

    if "tensorflow" in sys.modules and "keras" in sys.modules:
        return
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no usable descriptor 2: import as usual
        import keras  # noqa: F401
        import tensorflow  # noqa: F401

        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        import keras  # noqa: F401
        import tensorflow  # noqa: F401
    finally:
        os.dup2(saved, 2)
        os.close(devnull)
        os.close(saved)


def configure_tensorflow(threads: int | None = None) -> dict[str, int]:
    """Use ``threads`` cores inside each op (default: all) and one op at a time; quiet logs.

    On a small CPU the networks of chapters 4-6 have no independent branches worth running side
    by side, so one inter-op thread and all cores for intra-op parallelism is the sensible split.
    TensorFlow accepts this only before it has run anything; later calls keep what is set.

    Notebook: ``04_costa_cnn.ipynb``.

    The first call also imports TensorFlow and Keras with the process's standard error (file
    descriptor 2) silenced: their C++ start-up lines (oneDNN, CPU features) ignore
    ``TF_CPP_MIN_LOG_LEVEL`` and would otherwise fill an executed notebook's first cell. Python
    errors are not affected. Call it before importing :mod:`mgr_utils.models` to keep them out.

    Without ``threads``, the environment variable ``MGR_TF_THREADS`` gives the count
    when set (the test suite's one-thread pass sets it to 1), else every core is used.

    Returns:
        ``{"intra_op": n, "inter_op": n}`` in effect (0: TensorFlow's default).
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    _quiet_import_tensorflow()
    import tensorflow as tf

    n = int(threads or os.environ.get("MGR_TF_THREADS") or os.cpu_count() or 1)
    try:
        tf.config.threading.set_intra_op_parallelism_threads(n)
        tf.config.threading.set_inter_op_parallelism_threads(1)
    except RuntimeError:  # the runtime is already initialised: keep its settings
        pass
    return {
        "intra_op": tf.config.threading.get_intra_op_parallelism_threads(),
        "inter_op": tf.config.threading.get_inter_op_parallelism_threads(),
    }


COPY_TO_TENSORFLOW_MAX_MB = 256
"""Arrays up to this size are copied into TensorFlow (fastest gathers); larger ones stay in NumPy."""

_LARGE_ARRAYS: dict[int, np.ndarray] = {}
"""The NumPy arrays that live pipelines of :func:`make_dataset` gather from, by key.

TensorFlow keeps every function given to ``tf.numpy_function`` inside a ``tf.data`` pipeline for
the life of the process (``script_ops`` appends it to the global graph's list of Python
functions), so a function that closed over the array would keep the array, gigabytes on whole
GTZAN clips, long after the pipeline is gone (chapter 7's rehearsal: 13.5 GB). The function
below holds only a key; the array is dropped from here when the pipeline object is collected.
"""
_next_array_key = itertools.count()


def _gather_rows(key, index):
    """Rows ``index`` of the registered array ``key`` (runs inside ``tf.numpy_function``)."""
    return _LARGE_ARRAYS[int(key)][index]


def make_dataset(
    X: np.ndarray,
    y: np.ndarray | None,
    batch_size: int,
    shuffle: bool = False,
    seed: int = 0,
):
    """A ``tf.data`` pipeline over in-memory arrays: shuffled indices, batched gathers, prefetch.

    Each epoch draws a fresh permutation of the *indices* (cheap, whatever the segment size) and
    gathers a whole batch at a time, so there is no per-segment Python and no shuffle buffer.
    Small arrays (up to :data:`COPY_TO_TENSORFLOW_MAX_MB`) are copied into TensorFlow once, where
    gathers are fastest; larger ones stay NumPy arrays and each batch is gathered from them when
    it is needed, so they are never copied (:class:`CachedRows` too, read from the feature
    cache batch by batch): on GTZAN's whole clips (chapter 6: 2.2 GB of training
    segments) one copy per call (training, validation, prediction, for every variant) added up to
    more than 20 GB. Both ways give the same batches, and a large array is released with the last
    pipeline or iterator that uses it (see :data:`_LARGE_ARRAYS`).

    Notebook: ``04_costa_cnn.ipynb``.

    Args:
        X: Segments, any shape ``(n, ...)`` (converted to float32 once if they are not), or
            :class:`CachedRows`.
        y: Integer labels, or ``None`` for a dataset of inputs only (prediction).
        batch_size: Segments per batch (the last batch may be smaller).
        shuffle: A fresh permutation every epoch (reproducible from ``seed``).
        seed: Seed of the permutation.
    """
    import tensorflow as tf

    if not isinstance(X, CachedRows):
        X = np.asarray(X, dtype=np.float32)
    y = None if y is None else np.asarray(y, dtype=np.int32)
    ds = tf.data.Dataset.range(len(X))
    if shuffle:
        ds = ds.shuffle(len(X), seed=seed, reshuffle_each_iteration=True)
    ds = ds.batch(batch_size)
    large = isinstance(X, CachedRows) or X.nbytes > COPY_TO_TENSORFLOW_MAX_MB * 2**20
    if not large:
        X_t = tf.convert_to_tensor(X)

        def take_x(i):
            return tf.gather(X_t, i)
    else:
        key = next(_next_array_key)
        _LARGE_ARRAYS[key] = X
        key_t = tf.constant(key, tf.int64)
        shape = (None, *X.shape[1:])

        def take_x(i):
            batch = tf.numpy_function(
                _gather_rows, [key_t, i], tf.float32, stateful=False
            )
            batch.set_shape(shape)
            return batch

    if y is None:
        ds = ds.map(take_x, num_parallel_calls=tf.data.AUTOTUNE)
    else:
        y_t = tf.convert_to_tensor(y)
        ds = ds.map(
            lambda i: (take_x(i), tf.gather(y_t, i)),
            num_parallel_calls=tf.data.AUTOTUNE,
        )
    ds = ds.prefetch(tf.data.AUTOTUNE)
    if large:
        weakref.finalize(
            ds, _LARGE_ARRAYS.pop, key, None
        )  # the array goes with the pipeline
    return ds


def _optimizer(name: str, lr: float, momentum: float, weight_decay: float | None):
    import keras

    if name == "adam":
        return keras.optimizers.Adam(learning_rate=lr, weight_decay=weight_decay)
    if name == "sgd":
        return keras.optimizers.SGD(
            learning_rate=lr, momentum=momentum, weight_decay=weight_decay
        )
    raise ValueError(f"unknown optimizer {name!r}; use 'adam' or 'sgd'")


STEPS_PER_EXECUTION = 8
"""Training steps Keras runs inside one compiled call (:func:`compile_model`).

The updates are the same as one step per call (same batches, same order, the same
weights to the bit: ``tests/test_training.py``); only Python's share of the work
shrinks, which on a CPU is a fifth of the epoch time of chapter 7's small networks.
Callbacks see one batch end per call; early stopping works per epoch, as before.
"""


def compile_model(
    model,
    lr: float = 1e-3,
    optimizer: str = "adam",
    momentum: float = 0.9,
    weight_decay: float | None = None,
    steps_per_execution: int = STEPS_PER_EXECUTION,
):
    """Compile for integer genre labels: sparse categorical cross-entropy, accuracy.

    Notebook: ``04_costa_cnn.ipynb``.

    Args:
        model: A Keras model.
        lr: Learning rate.
        optimizer: ``"adam"`` or ``"sgd"`` (with ``momentum``).
        momentum: SGD momentum.
        weight_decay: Decoupled weight decay (``None``: none).
        steps_per_execution: Training steps per compiled call
            (:data:`STEPS_PER_EXECUTION`).

    Raises:
        ValueError: ``steps_per_execution`` is not a positive whole number.
    """
    if (
        isinstance(steps_per_execution, bool)
        or not isinstance(steps_per_execution, (int, np.integer))
        or steps_per_execution < 1
    ):
        raise ValueError(
            "steps_per_execution must be a whole number of at least 1, "
            f"got {steps_per_execution!r}"
        )
    model.compile(
        optimizer=_optimizer(optimizer, lr, momentum, weight_decay),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
        steps_per_execution=int(steps_per_execution),
    )
    return model


# --------------------------------------------------------------------------------------------
# Training
# --------------------------------------------------------------------------------------------


@dataclass
class TrainResult:
    """What :func:`train` returns.

    Attributes:
        history: Keras' history: ``{"loss": [...], "accuracy": [...], "val_loss": [...], ...}``.
        seconds: Wall-clock time of the whole fit (tracing, training and validation passes).
        segments_per_second: Training throughput: segments through a training step per second,
            timed over the training batches only (validation excluded) of every epoch after the
            first (which also traces the graph); the first epoch's when there is only one.
        epochs_run: Epochs actually run (fewer than asked when early stopping triggered).
        best_epoch: The epoch (1-based) whose weights the model holds at the end.
        n_train: Number of training segments.
        epoch_cap: The most epochs the training was allowed (``epochs`` of :func:`train`).
        epoch_seconds: Wall-clock seconds of each epoch (training and validation passes).
        monitor: The validation quantity early stopping watched.
        patience: Epochs without improvement that stop the training (``None``: never early).

    Notebook: ``04_costa_cnn.ipynb``.
    """

    history: dict[str, list[float]]
    seconds: float
    segments_per_second: float
    epochs_run: int
    best_epoch: int
    n_train: int
    epoch_cap: int | None = None
    epoch_seconds: list[float] = field(default_factory=list)
    monitor: str = "val_loss"
    patience: int | None = None

    @property
    def stopped_by(self) -> str:
        """What ended the training: ``"early stopping"``, ``"epoch cap"`` or ``"fixed epochs"``.

        A network stopped by the cap may still have been improving: the page must say so.
        """
        if self.patience is None:
            return "fixed epochs"
        return "early stopping" if self.stopped_early else "epoch cap"

    @property
    def running_train_accuracy(self) -> float | None:
        """Keras' running mean of the training accuracy over the best epoch's batches.

        Measured on segments while the weights changed, with dropout on: not the
        network's training accuracy. Records take the clip-level one, in inference mode
        (:func:`evaluate_selected` with ``train=``).
        """
        acc = self.history.get("accuracy")
        if not acc:
            return None
        return float(acc[min(self.best_epoch, len(acc)) - 1])

    @property
    def stopped_early(self) -> bool:
        """Whether early stopping ended the training before the epoch cap."""
        return self.epoch_cap is not None and self.epochs_run < self.epoch_cap

    def ending(self) -> str:
        """One sentence: how the training ended and which epoch's weights the model holds."""
        if self.stopped_early:
            text = (
                f"Stopped early after epoch {self.epochs_run} of at most {self.epoch_cap}: "
                f"{self.monitor} had not improved for {self.patience} epochs."
            )
        else:
            cap = self.epoch_cap if self.epoch_cap is not None else self.epochs_run
            text = f"Ran to the epoch cap, {cap} epochs."
        if self.best_epoch != self.epochs_run:
            text += f" The model keeps the weights of epoch {self.best_epoch}, its best {self.monitor}."
        return text + f" {self.seconds:.1f} s in all."

    def log(self) -> str:
        """The training as one small table, one row per epoch, and :meth:`ending` below it.

        Columns: epoch, loss, accuracy, val_loss, val_accuracy (those recorded) and seconds; the
        row of the epoch whose weights the model keeps is marked with ``*``.
        """
        keys = [
            k
            for k in ("loss", "accuracy", "val_loss", "val_accuracy")
            if k in self.history
        ]
        head = ["epoch", *keys, "seconds"]
        widths = [max(5, len(h)) for h in head]
        lines = ["  ".join(h.rjust(w) for h, w in zip(head, widths))]
        for i in range(self.epochs_run):
            secs = (
                self.epoch_seconds[i] if i < len(self.epoch_seconds) else float("nan")
            )
            cells = [
                str(i + 1),
                *(f"{self.history[k][i]:.3f}" for k in keys),
                f"{secs:.1f}",
            ]
            row = "  ".join(c.rjust(w) for c, w in zip(cells, widths))
            lines.append(row + (" *" if i + 1 == self.best_epoch else ""))
        return "\n".join(lines) + "\n" + self.ending()

    def summary(self) -> dict[str, float]:
        """The numbers worth recording: time, throughput, epochs, what stopped it.

        The training accuracy of a record is not here: it is clip level, in inference
        mode (:func:`evaluate_selected` with ``train=``). Keras' running mean over the
        best epoch's batches is kept as ``running_train_accuracy``.
        """
        return {
            "train_seconds": round(self.seconds, 2),
            "segments_per_second": round(self.segments_per_second, 1),
            "epochs_run": self.epochs_run,
            "best_epoch": self.best_epoch,
            "max_epochs": self.epoch_cap,
            "stopped_by": self.stopped_by,
            "running_train_accuracy": self.running_train_accuracy,
        }


def _timer_callback():
    import keras

    class _TrainTimer(keras.callbacks.Callback):
        """Per epoch: seconds to the last training call, call count, and the epoch's seconds."""

        def __init__(self):
            super().__init__()
            self.epochs: list[tuple[float, int]] = []

            self.totals: list[float] = []

        def on_epoch_begin(self, epoch, logs=None):
            self._t0 = time.perf_counter()
            self._t_last, self._n = self._t0, 0

        def on_train_batch_end(self, batch, logs=None):
            self._t_last = time.perf_counter()
            self._n += 1

        def on_epoch_end(self, epoch, logs=None):
            self.epochs.append((self._t_last - self._t0, self._n))
            self.totals.append(time.perf_counter() - self._t0)

    return _TrainTimer()


def train(
    model,
    X_train: np.ndarray,
    y_train: np.ndarray,
    X_valid: np.ndarray | None = None,
    y_valid: np.ndarray | None = None,
    *,
    epochs: int = 10,
    batch_size: int = 64,
    seed: int = 0,
    lr: float = 1e-3,
    optimizer: str = "adam",
    momentum: float = 0.9,
    weight_decay: float | None = None,
    patience: int | None = None,
    monitor: str = "val_loss",
    restore_best: bool = True,
    verbose: int = 2,
    callbacks: Sequence = (),
    compile: bool = True,
    valid_batch_size: int | None = None,
) -> TrainResult:
    """Fit ``model`` on segments; early-stop on the validation side and keep its best weights.

    * **Seeds**: :func:`keras.utils.set_random_seed` (Python, NumPy, TensorFlow, Keras) with
      ``seed`` before anything random happens here (shuffling, dropout). The initial weights are
      drawn when the model is *built*: pass ``seed`` to the builder (:mod:`mgr_utils.models`) too.
      With both, two runs on the same machine give the same weights.
    * **Early stopping** (with validation data): training stops after ``patience`` epochs without
      improvement of ``monitor``, and the weights of the best epoch are restored at the end even
      when it ran all ``epochs`` (``patience=None``: never stop early, still restore the best).
    * **Input pipeline**: :func:`make_dataset` (float32, shuffled indices, batched gathers from
      the NumPy arrays, no copy into TensorFlow, prefetch).
    * **Log**: Keras itself is silent; at the end one small table is printed, one row per epoch
      (loss, accuracy, validation loss and accuracy, seconds; :meth:`TrainResult.log`), with a
      sentence saying how the training ended: early stopping at epoch k, or the epoch cap.
      One output block per training, instead of one line (one box on the page) per epoch.

    Notebook: ``04_costa_cnn.ipynb``.

    Args:
        model: A Keras model (uncompiled, or compiled when ``compile=False``).
        X_train, y_train: Training segments and integer labels.
        X_valid, y_valid: Validation segments and labels (optional).
        epochs: Maximum number of epochs.
        batch_size: Mini-batch size.
        seed: Seed of shuffling and dropout.
        lr: Learning rate.
        optimizer: ``"adam"`` (the book's fast default) or ``"sgd"`` (with ``momentum``: Costa's).
        momentum: SGD momentum.
        weight_decay: Decoupled weight decay (``None``: none).
        patience: Epochs without improvement before stopping (``None``: run all ``epochs``).
        monitor: The validation quantity to watch (``"val_loss"`` or ``"val_accuracy"``).
        restore_best: Restore the best epoch's weights at the end (needs validation data).
        verbose: 2: print the epoch table and how the training ended; 1: only how it ended;
            0: print nothing.
        callbacks: Further Keras callbacks.
        compile: Compile ``model`` here (sparse categorical cross-entropy, accuracy).
        valid_batch_size: Segments per validation batch (``None``: ``batch_size`` or 256,
            the larger). A large network on long segments (chapter 7's paper-size
            sample-level CNN) needs its training batch size here: 256 of its segments
            take gigabytes of activations.

    Returns:
        A :class:`TrainResult`.
    """
    import keras

    configure_tensorflow()
    keras.utils.set_random_seed(int(seed))
    if compile:
        compile_model(
            model,
            lr=lr,
            optimizer=optimizer,
            momentum=momentum,
            weight_decay=weight_decay,
        )
    before = set(_LARGE_ARRAYS)
    ds_train = make_dataset(X_train, y_train, batch_size, shuffle=True, seed=seed)
    ds_valid = None
    cbs = list(callbacks)
    timer = _timer_callback()
    cbs.append(timer)
    stopper = None
    if X_valid is not None and y_valid is not None:
        ds_valid = make_dataset(
            X_valid, y_valid, valid_batch_size or max(batch_size, 256)
        )
        if patience is not None or restore_best:
            stopper = keras.callbacks.EarlyStopping(
                monitor=monitor,
                patience=int(patience) if patience is not None else int(epochs) + 1,
                restore_best_weights=restore_best,
                verbose=0,
            )
            cbs.append(stopper)
    t0 = time.perf_counter()
    try:
        hist = model.fit(
            ds_train,
            validation_data=ds_valid,
            epochs=int(epochs),
            callbacks=cbs,
            verbose=0,
            shuffle=False,
        )
    finally:
        # the pipelines' arrays are released now, whoever still holds a pipeline
        for key in set(_LARGE_ARRAYS) - before:
            _LARGE_ARRAYS.pop(key, None)
        _return_freed_memory()  # the batches' buffers, freed in tf.data's threads' heaps
    seconds = time.perf_counter() - t0
    history = {k: [float(v) for v in vals] for k, vals in hist.history.items()}
    epochs_run = len(next(iter(history.values()), []))
    n_train = int(len(X_train))
    timed = timer.epochs[1:] if len(timer.epochs) > 1 else timer.epochs
    t_train = sum(t for t, _ in timed)
    segs = sum(n_train for _ in timed)
    best_epoch = epochs_run
    if stopper is not None and restore_best and stopper.best_weights is not None:
        best_epoch = int(stopper.best_epoch) + 1
    result = TrainResult(
        history=history,
        seconds=seconds,
        segments_per_second=segs / t_train if t_train > 0 else float("nan"),
        epochs_run=epochs_run,
        best_epoch=best_epoch,
        n_train=n_train,
        epoch_cap=int(epochs),
        epoch_seconds=[round(t, 2) for t in timer.totals],
        monitor=monitor,
        patience=int(patience)
        if patience is not None and stopper is not None
        else None,
    )
    if verbose >= 2:
        print(result.log())
    elif verbose == 1:
        print(result.ending())
    return result


def measure_throughput(
    model,
    X: np.ndarray,
    batch_size: int = 64,
    steps: int = 30,
    warmup: int = 3,
    lr: float = 1e-3,
) -> float:
    """Segments per second through a training step (forward, backward, update) of ``model``'s graph.

    A fresh copy of the architecture (:func:`keras.models.clone_model`; ``model``'s weights are not
    touched) is compiled with Adam and fitted on one batch of ``X`` repeated: ``warmup`` steps to
    trace the graph, then ``steps`` timed steps. The labels are random: only the time counts.

    Notebook: ``04_costa_cnn.ipynb``.

    Args:
        model: A Keras model.
        X: Inputs; the first ``batch_size`` rows are used (repeated if fewer).
        batch_size: Mini-batch size.
        steps: Timed training steps.
        warmup: Untimed steps first.
        lr: Learning rate of the copy's optimizer.

    Returns:
        Segments per second.
    """
    import keras
    import tensorflow as tf

    configure_tensorflow()
    clone = keras.models.clone_model(model)
    compile_model(clone, lr=lr)
    Xb = np.asarray(X[:batch_size], dtype=np.float32)
    if len(Xb) < batch_size:
        Xb = np.resize(Xb, (batch_size, *Xb.shape[1:]))
    n_classes = int(model.output_shape[-1])
    yb = (
        np.random.default_rng(0)
        .integers(0, n_classes, size=batch_size)
        .astype(np.int32)
    )
    ds = tf.data.Dataset.from_tensors((Xb, yb)).repeat()
    clone.fit(ds, steps_per_epoch=max(1, warmup), epochs=1, verbose=0, shuffle=False)
    t0 = time.perf_counter()
    clone.fit(ds, steps_per_epoch=steps, epochs=1, verbose=0, shuffle=False)
    return steps * batch_size / (time.perf_counter() - t0)


# --------------------------------------------------------------------------------------------
# Prediction and clip-level evaluation
# --------------------------------------------------------------------------------------------


def predict_segments(model, X: np.ndarray, batch_size: int = 256) -> np.ndarray:
    """Class probabilities of every segment, ``(n_segments, n_classes)``.

    Notebook: ``04_costa_cnn.ipynb``.
    """
    return np.asarray(
        model.predict(make_dataset(X, None, batch_size), verbose=0), dtype=np.float64
    )


def predict_clips(
    model,
    X_segments: np.ndarray,
    clip_index: Sequence[int],
    rule: str = "sum",
    batch_size: int = 256,
    segment_probs: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Clip-level class scores: predict every segment, aggregate each clip's segments with ``rule``.

    Rules (:func:`mgr_utils.evaluation.aggregate_segments`): ``"vote"`` (majority vote of the
    segments' argmax; Li et al.), ``"sum"`` (Costa's choice: "1st-level fusion"), ``"product"``,
    ``"max"``, ``"min"``.

    Notebook: ``04_costa_cnn.ipynb``.

    Args:
        model: A trained Keras model (ignored when ``segment_probs`` is given).
        X_segments: Segments.
        clip_index: Clip of each segment.
        rule: Aggregation rule.
        batch_size: Prediction batch size.
        segment_probs: Already computed segment probabilities (skips the prediction).

    Returns:
        ``(clips, clip_probs)``: sorted clip indices and one row of class scores each.
    """
    P = (
        predict_segments(model, X_segments, batch_size)
        if segment_probs is None
        else segment_probs
    )
    return aggregate_segments(P, clip_index, rule=rule)


def classes_of(clips: Any) -> tuple[str, ...]:
    """The class names of ``clips`` in label order: its ``classes`` (a
    :class:`~mgr_utils.datasets.ClipSet`), else :data:`mgr_utils.GENRES` (a plain list
    of synthetic or GTZAN clips, or none).

    Notebook: ``04_costa_cnn.ipynb``.
    """
    classes = getattr(clips, "classes", None)
    if classes is None and clips is not None and len(clips):
        classes = getattr(clips[0], "classes", None)
    return tuple(GENRES if classes is None else classes)


def evaluate_clips(
    model,
    X_segments: np.ndarray,
    clip_index: Sequence[int],
    y_segments: Sequence[int],
    rules: Sequence[str] = DEFAULT_RULES,
    genres: Sequence[str] | None = None,
    batch_size: int = 256,
    segment_probs: np.ndarray | None = None,
    clips: Sequence | None = None,
) -> dict[str, dict]:
    """Clip-level metrics for each aggregation rule (the segments are predicted once).

    Notebook: ``04_costa_cnn.ipynb``.

    Args:
        model: A trained Keras model (ignored when ``segment_probs`` is given).
        X_segments, clip_index, y_segments: The side's segments, their clips and labels
            (e.g. the fields of a :class:`Segments`).
        rules: Aggregation rules to score.
        genres: Class names, in label order; ``None``: ``clips.classes``
            (:data:`mgr_utils.GENRES` without clips).
        batch_size: Prediction batch size.
        segment_probs: Already computed segment probabilities.
        clips: The side's clips (``clip_index`` indexes them): their ids are kept with the
            predictions, for paired comparisons (:mod:`mgr_utils.comparison`).

    Returns:
        ``{rule: clip_metrics + {"segment_accuracy", "rule"}}``; ``"accuracy"`` is clip-level.
    """
    P = (
        predict_segments(model, X_segments, batch_size)
        if segment_probs is None
        else segment_probs
    )
    y_segments = np.asarray(y_segments)
    seg_acc = float(np.mean(P.argmax(axis=1) == y_segments))
    kept, y_clip = clip_labels(y_segments, clip_index)
    ids = None if clips is None else [clips[int(i)].clip_id for i in kept]
    genres = classes_of(clips) if genres is None else genres
    out = {}
    for rule in rules:
        c, S = aggregate_segments(P, clip_index, rule=rule)
        assert np.array_equal(c, kept)
        out[rule] = {
            **clip_metrics(y_clip, S.argmax(axis=1), genres, clip_ids=ids),
            "segment_accuracy": seg_acc,
            "rule": rule,
        }
    return out


def evaluate_selected(
    model,
    valid: Segments,
    test: Segments,
    rules: Sequence[str] = DEFAULT_RULES,
    preference: Sequence[str] | None = None,
    genres: Sequence[str] | None = None,
    batch_size: int = 256,
    valid_probs: np.ndarray | None = None,
    test_probs: np.ndarray | None = None,
    train: Segments | None = None,
    train_probs: np.ndarray | None = None,
) -> dict:
    """Choose the segment-to-clip rule on the validation clips, then score the test clips once.

    Every rule of ``rules`` is scored on the **validation** clips; the best one
    (:func:`mgr_utils.evaluation.select_on_validation`, ties to the first of ``preference``) is the
    system's rule, and only that rule is applied to the test clips. Reporting the best rule *on
    the test clips* would choose on the very clips the number claims to be unbiased on.

    With ``train``, the training clips are scored the same way (clip level, the chosen rule,
    inference mode: no dropout), and the test metrics carry that ``train_accuracy``: the
    training accuracy a record keeps, measured like the test accuracy (Keras' running mean
    over an epoch's batches is measured with dropout on, while the weights change).

    Notebook: ``04_costa_cnn.ipynb`` (reused in chapters 5-9).

    Args:
        model: A trained Keras model (ignored when every ``*_probs`` needed is given).
        valid, test: The validation and test :class:`Segments`.
        rules: Candidate rules; one rule means a fixed choice.
        preference: Tie-break order, e.g. the paper's rule first.
        genres: Class names, in label order; ``None``: the classes of the test clips
            (``test.clips.classes``).
        batch_size: Prediction batch size.
        valid_probs, test_probs: Segment probabilities already computed.
        train: The training :class:`Segments` (the clips the network was trained on).
        train_probs: Their segment probabilities already computed.

    Returns:
        ``{"rule", "selected_on", "valid": {rule: metrics}, "test": metrics of the chosen rule,
        with "valid_accuracy" and "rule" added}``; ``selected_on`` is ``"validation"`` when there
        was more than one rule to choose from, else ``"fixed"``. With ``train``, also
        ``"train"``: the training clips' metrics with the chosen rule, and
        ``"train_accuracy"`` in the test metrics.
    """
    genres = classes_of(test.clips) if genres is None else genres
    P_valid = (
        predict_segments(model, valid.X, batch_size)
        if valid_probs is None
        else valid_probs
    )
    on_valid = evaluate_clips(
        None,
        None,
        valid.clip_index,
        valid.y,
        rules=rules,
        genres=genres,
        segment_probs=P_valid,
        clips=valid.clips,
    )
    rule = select_on_validation(
        {r: m["accuracy"] for r, m in on_valid.items()}, preference
    )
    scored = _score_side(model, test, rule, genres, batch_size, test_probs)
    scored["valid_accuracy"] = on_valid[rule]["accuracy"]
    out = {
        "rule": rule,
        "selected_on": "validation" if len(rules) > 1 else "fixed",
        "valid": on_valid,
        "test": scored,
    }
    if train is not None:
        out["train"] = _score_side(model, train, rule, genres, batch_size, train_probs)
        scored["train_accuracy"] = out["train"]["accuracy"]
    return out


def _score_side(
    model,
    side: Segments,
    rule: str,
    genres: Sequence[str],
    batch_size: int,
    probs: np.ndarray | None = None,
) -> dict:
    """Clip-level metrics of one side with one rule (its segments predicted once)."""
    P = predict_segments(model, side.X, batch_size) if probs is None else probs
    return evaluate_clips(
        None,
        None,
        side.clip_index,
        side.y,
        rules=(rule,),
        genres=genres,
        segment_probs=P,
        clips=side.clips,
    )[rule]
