"""The on-disk feature cache, and parallel feature extraction over a set of clips.

A feature of a clip is stored once, in one file, under a key that is the SHA-256 of everything
that determines it: the clip's :attr:`~mgr_utils.datasets.Clip.key` (which changes when the audio
changes), the feature's name, every parameter, and a code version string. Change any of them and
the key changes, so a stale entry is never read; nothing ever needs invalidating by hand.

Writes are atomic: the value goes to a temporary file in the entry's own directory and is then
renamed over the final name with :func:`os.replace`, so a reader sees either no entry or a whole
one, even if the writer is killed mid-write. An entry that cannot be read anyway (a disk fault, a
truncated copy) is treated as a miss: it is deleted, recomputed and rewritten.

Layout: ``<cache_dir>/<feature name>/<key[:2]>/<key>.npy`` (one array) or ``.npz`` (a dict of
arrays, e.g. the whole texture feature set of a clip, stored uncompressed so loading is fast).

Notebook: ``02_spectrograms.ipynb``.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from mgr_utils import __version__
from mgr_utils.atomic import atomic_write
from mgr_utils.features import FEATURES_VERSION

CODE_VERSION = f"mgr_utils-{__version__}/features-{FEATURES_VERSION}"
"""Default code version in every key: the package version and :data:`mgr_utils.features.FEATURES_VERSION`."""


def default_cache_dir() -> Path:
    """``$MGR_CACHE_DIR`` if set, else the user cache folder ``pooch.os_cache("mgr_utils") / "features"``
    (``~/.cache/mgr_utils/features`` on Linux).

    Notebook: ``02_spectrograms.ipynb``.
    """
    env = os.environ.get("MGR_CACHE_DIR")
    if env:
        return Path(env).expanduser()
    import pooch

    return Path(pooch.os_cache("mgr_utils")) / "features"


def cache_location(cache_dir: str | Path | None = None) -> str:
    """Where the cache is, in words a page can show: the folder given, or where the default points.

    Inside the book build the folder is a build folder set through ``$MGR_CACHE_DIR``: that is what the
    page says, rather than a path of the machine that built it.

    Notebook: ``02_spectrograms.ipynb``.
    """
    if cache_dir is not None:
        return str(cache_dir)
    if os.environ.get("MGR_CACHE_DIR"):
        return "$MGR_CACHE_DIR (the book build's cache folder)"
    folder = default_cache_dir()
    try:
        return "~/" + folder.relative_to(Path.home()).as_posix()
    except ValueError:
        return str(folder)


def _canonical(obj: Any) -> Any:
    """A JSON-able, order-independent form of a parameter value (for hashing)."""
    if isinstance(obj, Mapping):
        return {
            str(k): _canonical(v)
            for k, v in sorted(obj.items(), key=lambda kv: str(kv[0]))
        }
    if isinstance(obj, (list, tuple)):
        return [_canonical(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return {"__ndarray__": obj.tolist(), "dtype": str(obj.dtype)}
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, float):
        return repr(obj)  # exact, and 1 vs 1.0 stay distinct from ints
    if obj is None or isinstance(obj, (bool, int, str)):
        return obj
    if callable(obj):
        return f"{getattr(obj, '__module__', '?')}.{getattr(obj, '__qualname__', repr(obj))}"
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"cannot use a {type(obj).__name__} as a cache parameter: {obj!r}")


def cache_key(
    clip_key: str, name: str, params: Mapping[str, Any], version: str = CODE_VERSION
) -> str:
    """SHA-256 (hex) of the clip key, feature name, parameters (canonical JSON, sorted) and code version.

    Notebook: ``02_spectrograms.ipynb``.
    """
    blob = json.dumps(
        {
            "clip": clip_key,
            "feature": name,
            "params": _canonical(dict(params)),
            "version": version,
        },
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


class FeatureCache:
    """A directory of cached features, one file per clip and feature, written atomically.

    The counters :attr:`hits`, :attr:`misses` and :attr:`corrupt` count the lookups made through
    this object (tests and the benchmark read them).

    Notebook: ``02_spectrograms.ipynb``.

    Args:
        cache_dir: Root folder (created on first write); ``None``: :func:`default_cache_dir`.
        version: Code version string included in every key.
        fsync: Also ``fsync`` each entry before the rename (survives a power cut, costs time;
            atomicity against crashes and kills holds without it).
    """

    def __init__(
        self,
        cache_dir: str | Path | None = None,
        version: str = CODE_VERSION,
        fsync: bool = False,
    ):
        self.cache_dir = (
            Path(cache_dir).expanduser()
            if cache_dir is not None
            else default_cache_dir()
        )
        self.version = version
        self.fsync = fsync
        self.hits = 0
        self.misses = 0
        self.corrupt = 0

    def __repr__(self) -> str:
        return (
            f"FeatureCache({str(self.cache_dir)!r}, hits={self.hits}, misses={self.misses}, "
            f"corrupt={self.corrupt})"
        )

    def key(self, clip_key: str, name: str, params: Mapping[str, Any]) -> str:
        """The entry key: see :func:`cache_key`."""
        return cache_key(clip_key, name, params, self.version)

    def _paths(self, key: str, name: str) -> tuple[Path, Path]:
        d = self.cache_dir / _safe(name) / key[:2]
        return d / f"{key}.npy", d / f"{key}.npz"

    def get(self, clip_key: str, name: str, params: Mapping[str, Any]):
        """The cached value (array or dict of arrays), or ``None`` on a miss.

        An entry that exists but cannot be read is deleted and reported as a miss (``corrupt``
        counts it).
        """
        key = self.key(clip_key, name, params)
        for path in self._paths(key, name):
            try:
                value = _read(path)
            except FileNotFoundError:
                continue
            except Exception:  # truncated, corrupt, wrong format: recompute
                self.corrupt += 1
                path.unlink(missing_ok=True)
                continue
            self.hits += 1
            return value
        self.misses += 1
        return None

    def locate(
        self, clip_key: str, name: str, params: Mapping[str, Any]
    ) -> tuple[Path, tuple[int, ...]] | None:
        """The path and shape of a cached single-array entry, without reading its values.

        Only the file's header is read (a memory map, closed at once); an entry whose header
        or length is wrong is deleted and reported as a miss, as :meth:`get` does. Returns
        ``None`` on a miss (or when the entry is a dict of arrays, ``.npz``).
        """
        npy, _ = self._paths(self.key(clip_key, name, params), name)
        try:
            view = np.load(npy, mmap_mode="r", allow_pickle=False)
            shape = tuple(view.shape)
            del view
        except FileNotFoundError:
            self.misses += 1
            return None
        except Exception:  # truncated, corrupt, wrong format: recompute
            self.corrupt += 1
            npy.unlink(missing_ok=True)
            self.misses += 1
            return None
        self.hits += 1
        return npy, shape

    def put(self, clip_key: str, name: str, params: Mapping[str, Any], value) -> Path:
        """Store ``value`` (an array, or a dict of arrays) atomically; return the entry's path."""
        key = self.key(clip_key, name, params)
        npy, npz = self._paths(key, name)
        path = npz if isinstance(value, Mapping) else npy
        with atomic_write(path, "wb", fsync=self.fsync) as f:
            if isinstance(value, Mapping):
                np.savez(f, **{str(k): np.asarray(v) for k, v in value.items()})
            else:
                np.save(f, np.asarray(value), allow_pickle=False)
        return path

    def get_or_compute(self, clip, name: str, params: Mapping[str, Any], fn: Callable):
        """``get``, or load the clip's audio, compute ``fn(y, clip.sr, **params)``, ``put`` it and return it."""
        value = self.get(clip.key, name, params)
        if value is None:
            value = fn(clip.load(), clip.sr, **params)
            self.put(clip.key, name, params, value)
        return value

    def entries(self, name: str | None = None) -> list[Path]:
        """Paths of the complete entries (of one feature, or all)."""
        root = self.cache_dir / _safe(name) if name else self.cache_dir
        if not root.exists():
            return []
        return sorted(
            p
            for p in root.rglob("*")
            if p.suffix in (".npy", ".npz") and not p.name.startswith(".")
        )

    def clear(self, name: str | None = None) -> int:
        """Delete the entries (of one feature, or all) and any temporary leftovers; return how many files."""
        root = self.cache_dir / _safe(name) if name else self.cache_dir
        n = 0
        if root.exists():
            for p in root.rglob("*"):
                if p.is_file() and (
                    p.suffix in (".npy", ".npz") or p.name.endswith(".tmp")
                ):
                    p.unlink(missing_ok=True)
                    n += 1
        return n


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "._-" else "_" for c in name)


def _read(path: Path):
    """Load a whole entry (raises on any defect; FileNotFoundError when absent)."""
    if path.suffix == ".npz":
        with np.load(path, allow_pickle=False) as z:
            return {k: z[k] for k in z.files}
    return np.load(path, allow_pickle=False)


# --------------------------------------------------------------------------------------------
# Parallel extraction
# --------------------------------------------------------------------------------------------


@dataclass
class ExtractResult:
    """What :func:`extract` returns; unpacks as ``features, kept = extract(...)``.

    Attributes:
        features: One value per kept clip (an array, or a dict of arrays), in clip order.
        kept: Indices (into the ``clips`` passed) of the clips in ``features``.
        skipped: ``(clip_id, reason)`` of each clip whose audio could not be loaded.
        hits: Values read from the cache.
        misses: Values computed (and written to the cache unless caching was off).
        seconds: Wall-clock time of the call.
    """

    features: list
    kept: np.ndarray
    skipped: list[tuple[str, str]] = field(default_factory=list)
    hits: int = 0
    misses: int = 0
    seconds: float = 0.0

    def __iter__(self):
        return iter((self.features, self.kept))


def side_arrays(
    result: ExtractResult,
    clips: Sequence,
    part: Sequence,
    X: np.ndarray | list | None = None,
) -> tuple[np.ndarray | list, np.ndarray, list[str]]:
    """The feature rows, labels and ids of one side of a split, from an :func:`extract` result.

    ``result = extract(clips, ...)`` holds one value per clip of ``clips`` that could be
    read (``result.kept``); a split's side (``train``, ``valid``, ``test``) is a subset of
    ``clips``. This picks that side's rows, in the side's order, leaving out its clips
    that were skipped.

    Notebook: ``01_datasets.ipynb`` (also ``02_spectrograms.ipynb`` and
    ``03_texture_features.ipynb``).

    Args:
        result: What :func:`extract` returned for ``clips``.
        clips: The :class:`~mgr_utils.datasets.ClipSet` passed to :func:`extract`.
        part: One side of the split (its clips are clips of ``clips``).
        X: One row per kept clip (default: ``np.stack(result.features)``), e.g. one key
            of dict-valued features; or a list of one item per kept clip (arrays of
            different shapes, such as spectrograms of clips of different lengths).

    Returns:
        ``(X_part, y_part, ids_part)``: rows of ``X`` (a list when ``X`` is one),
        integer labels, clip ids.

    Raises:
        ValueError: ``X`` does not have one row per kept clip.
        KeyError: ``part`` holds a clip that is not in ``clips``.
    """
    X = np.stack(result.features) if X is None else X
    if not isinstance(X, list):
        X = np.asarray(X)
    if len(X) != len(result.kept):
        raise ValueError(
            f"X has {len(X)} rows for the {len(result.kept)} clips extract kept"
        )
    row_of = {clips[i].clip_id: r for r, i in enumerate(result.kept)}
    known = {c.clip_id for c in clips}
    strangers = [c.clip_id for c in part if c.clip_id not in known]
    if strangers:
        raise KeyError(
            f"{len(strangers)} clip(s) of this side were not passed to extract, "
            f"e.g. {strangers[:3]}"
        )
    ids = [c.clip_id for c in part if c.clip_id in row_of]
    rows = np.array([row_of[i] for i in ids], dtype=np.int64)
    labels = np.asarray(clips.labels)[result.kept[rows]]
    if isinstance(X, list):
        return [X[r] for r in rows], labels, ids
    return X[rows], labels, ids


def _compute_one(clip, fn, params, cache_dir, name, version, use_cache, load=True):
    """Worker: load one clip's audio, compute, write the cache entry. Runs in a worker process.

    With ``load=False`` it sends back the entry's path and shape instead of the value (no copy
    of a large array through the pipe to the parent process).
    """
    from mgr_utils.audio import AudioLoadError

    try:
        y = clip.load()
    except AudioLoadError as err:
        return "skip", str(err)
    value = fn(y, clip.sr, **params)
    if use_cache:
        path = FeatureCache(cache_dir, version=version).put(
            clip.key, name, params, value
        )
        if not load:
            return "ok", (path, tuple(np.shape(value)))
    return "ok", value


def extract(
    clips: Sequence,
    fn: Callable,
    params: Mapping[str, Any] | None = None,
    cache_dir: str | Path | None = None,
    n_jobs: int = -1,
    progress: bool = True,
    name: str | None = None,
    *,
    use_cache: bool = True,
    backend: str = "loky",
    version: str = CODE_VERSION,
    load: bool = True,
) -> ExtractResult:
    """Compute ``fn(y, sr, **params)`` for every clip, in parallel, through the feature cache.

    Cached values are read in this process (fast: one small file each); the misses go to
    ``n_jobs`` joblib workers, **each of which loads its clip's audio itself** and writes its
    entry, so at most one clip's audio per worker is ever in memory (1 000 × 30 s never is).
    A clip whose audio cannot be loaded (:class:`~mgr_utils.audio.AudioLoadError`, e.g. GTZAN's
    ``jazz.00054``) is skipped with a warning naming it; ``kept`` says which clips made it.
    A second call with the same parameters reads everything from the cache (``hits``).

    ``backend="loky"`` (processes) is the default: measured on 2 cores it beats threads, because
    rendering/decoding audio and part of the feature code hold the GIL (see
    ``benchmarks/bench_features.py``).

    Notebook: ``02_spectrograms.ipynb``.

    Args:
        clips: :class:`~mgr_utils.datasets.Clip` objects (a ``ClipSet`` works).
        fn: ``fn(y, sr, **params)`` returning an array or a dict of arrays; a module-level
            function (it is sent to worker processes).
        params: Keyword parameters of ``fn``; all of them go into the cache key.
        cache_dir: Cache folder (``None``: :func:`default_cache_dir`).
        n_jobs: Worker count (joblib convention; -1: all cores).
        progress: Show a tqdm progress bar.
        name: Feature name in the cache (default: ``fn``'s module and qualified name).
        use_cache: ``False``: compute everything, read and write nothing.
        backend: joblib backend, ``"loky"`` or ``"threading"``.
        version: Code version string of the keys.
        load: ``False``: do not read the values; ``features`` holds each clip's
            ``(path, shape)`` in the cache instead (single-array features only), for
            :class:`mgr_utils.training.CachedRows`, which reads rows when they are needed.

    Returns:
        An :class:`ExtractResult`.

    Raises:
        ValueError: ``load=False`` without the cache.
    """
    from joblib import Parallel, delayed

    with warnings.catch_warnings():  # tqdm.auto warns once when ipywidgets is missing
        warnings.simplefilter("ignore")
        from tqdm.auto import tqdm

    if not load and not use_cache:
        raise ValueError(
            "extract(load=False) locates values in the cache: use_cache=True"
        )
    t0 = time.perf_counter()
    params = dict(params or {})
    name = name or f"{fn.__module__}.{fn.__qualname__}"
    cache = FeatureCache(cache_dir, version=version)
    values: list = [None] * len(clips)
    status = ["miss"] * len(clips)
    bar = tqdm(
        total=len(clips),
        desc=f"features {name.rsplit('.', 1)[-1]}",
        disable=not progress,
    )
    todo = []
    for i, clip in enumerate(clips):
        try:
            if not use_cache:
                v = None
            elif load:
                v = cache.get(clip.key, name, params)
            else:
                v = cache.locate(clip.key, name, params)
        except OSError:  # a missing file has no key: let the worker report it
            v = None
        if v is None:
            todo.append(i)
        else:
            values[i], status[i] = v, "hit"
            bar.update(1)
    skipped: list[tuple[str, str]] = []
    if todo:
        n_workers = min(len(todo), _n_workers(n_jobs))
        jobs = (
            delayed(_compute_one)(
                clips[i], fn, params, cache.cache_dir, name, version, use_cache, load
            )
            for i in todo
        )
        if n_workers <= 1:
            results = (job[0](*job[1], **job[2]) for job in jobs)
        else:
            results = Parallel(
                n_jobs=n_workers, backend=backend, return_as="generator"
            )(jobs)
        for i, (kind, v) in zip(todo, results):
            if kind == "skip":
                status[i] = "skip"
                skipped.append((clips[i].clip_id, v))
                warnings.warn(f"skipping clip {clips[i].clip_id}: {v}", stacklevel=2)
            else:
                values[i] = v
            bar.update(1)
    bar.close()
    kept = np.array([i for i, s in enumerate(status) if s != "skip"], dtype=np.int64)
    return ExtractResult(
        features=[values[i] for i in kept],
        kept=kept,
        skipped=skipped,
        hits=status.count("hit"),
        misses=status.count("miss"),
        seconds=time.perf_counter() - t0,
    )


def _n_workers(n_jobs: int) -> int:
    from joblib import cpu_count

    n = cpu_count()
    if n_jobs is None:
        return 1
    if n_jobs < 0:
        return max(1, n + 1 + n_jobs)
    return max(1, int(n_jobs))


# --------------------------------------------------------------------------------------------
# Rendered synthetic audio
# --------------------------------------------------------------------------------------------

AUDIO_FEATURE = "synthetic_audio"
"""The cache's name for rendered synthetic clips (keyed by :attr:`~mgr_utils.datasets.Clip.key`,
which holds the generator's version)."""


def cached_synthetic_audio(clip, cache_dir: str | Path | None = None) -> np.ndarray:
    """A synthetic clip's samples: read from the cache, or rendered and stored (atomically).

    Rendering a 10 s clip costs about a fifth of a second; reading it back, a millisecond. Set
    ``MGR_AUDIO_CACHE=0`` to render every time.

    Notebook: ``02_spectrograms.ipynb``.
    """
    from mgr_utils.synthetic import render

    if os.environ.get("MGR_AUDIO_CACHE", "1") == "0":
        return render(clip.genre, seed=clip.seed, duration=clip.duration, sr=clip.sr)
    cache = FeatureCache(cache_dir, version="audio")
    y = cache.get(clip.key, AUDIO_FEATURE, {})
    if y is None:
        y = render(clip.genre, seed=clip.seed, duration=clip.duration, sr=clip.sr)
        try:
            cache.put(clip.key, AUDIO_FEATURE, {}, y)
        except OSError as err:  # a read-only or full disk: the audio is still good
            warnings.warn(
                f"could not cache the audio of {clip.clip_id}: {err}", stacklevel=2
            )
    return y
