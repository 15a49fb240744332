"""Clips and datasets: the embedded synthetic genre set and GTZAN behind one interface.

A :class:`Clip` names one excerpt (its id, genre and where its audio comes from) and can load
its audio; a :class:`ClipSet` is an ordered list of clips with labels. Both datasets produce the
same kind of object, so every chapter switches between them with the ``DATASET`` parameter alone.

Notebook: ``01_datasets.ipynb``.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mgr_utils import GENRES, SR

DATASETS = ("synthetic", "gtzan")


@dataclass(frozen=True)
class Clip:
    """One labelled excerpt.

    Notebook: ``01_datasets.ipynb``.

    Attributes:
        clip_id: GTZAN-style id ``"<genre>.NNNNN"`` (the synthetic set uses the same form).
        genre: One of :data:`mgr_utils.GENRES`.
        path: The audio file (GTZAN), or ``None`` for a synthetic clip.
        seed: The generator seed of a synthetic clip, else ``None``.
        duration: Length in seconds of a synthetic clip; for a file, the most to read
            (``None``: the whole file).
        sr: Sample rate the audio is delivered at, in Hz.
    """

    clip_id: str
    genre: str
    path: Path | None = None
    seed: int | None = None
    duration: float | None = None
    sr: int = SR

    @property
    def label(self) -> int:
        """Index of :attr:`genre` in :data:`mgr_utils.GENRES`."""
        return GENRES.index(self.genre)

    @property
    def key(self) -> str:
        """A string that identifies this clip's audio exactly, for caches.

        Synthetic clips: generator version, genre, seed, duration and sr. Files: resolved path, size
        and modification time, so a replaced file gets a new key.
        """
        if self.path is None:
            from mgr_utils.synthetic import GENERATOR_VERSION

            return f"synthetic-v{GENERATOR_VERSION}/{self.genre}/{self.seed}/{self.duration}/{self.sr}"
        st = os.stat(self.path)
        return f"file/{Path(self.path).resolve()}/{st.st_size}/{st.st_mtime_ns}/{self.duration}/{self.sr}"

    def load(self) -> np.ndarray:
        """Return the clip's audio ``y`` (mono float32 at :attr:`sr`).

        Raises:
            mgr_utils.audio.AudioLoadError: The file is missing or cannot be decoded.
        """
        if self.path is None:
            from mgr_utils.synthetic import render

            return render(self.genre, seed=self.seed, duration=self.duration, sr=self.sr)
        from mgr_utils.audio import load_audio

        return load_audio(self.path, sr=self.sr, duration=self.duration)


class ClipSet(Sequence):
    """An ordered, labelled list of clips: a dataset or one side of a split.

    Notebook: ``01_datasets.ipynb``.

    Args:
        clips: The clips, in order.
        name: ``"synthetic"`` or ``"gtzan"`` (kept through subsets).
        skipped: ``(file, reason)`` for each file left out because it could not be read.
    """

    def __init__(self, clips: Sequence[Clip], name: str, skipped: Sequence[tuple[str, str]] = ()):
        self.clips = list(clips)
        self.name = name
        self.skipped = list(skipped)

    def __len__(self) -> int:
        return len(self.clips)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return ClipSet(self.clips[i], self.name, self.skipped)
        return self.clips[i]

    def __repr__(self) -> str:
        return f"ClipSet({self.name!r}, {len(self)} clips, {len(self.genres)} genres)"

    @property
    def ids(self) -> list[str]:
        """Clip ids, in order."""
        return [c.clip_id for c in self.clips]

    @property
    def labels(self) -> np.ndarray:
        """Integer labels (indices into :data:`mgr_utils.GENRES`), shape ``(len(self),)``."""
        return np.array([c.label for c in self.clips], dtype=np.int64)

    @property
    def genres(self) -> tuple[str, ...]:
        """The genres present, in :data:`mgr_utils.GENRES` order."""
        present = {c.genre for c in self.clips}
        return tuple(g for g in GENRES if g in present)

    def counts(self) -> dict[str, int]:
        """Number of clips per genre, in :data:`mgr_utils.GENRES` order."""
        n = Counter(c.genre for c in self.clips)
        return {g: n[g] for g in GENRES if n[g]}

    def subset(self, indices: Sequence[int]) -> ClipSet:
        """The clips at ``indices``, as a new :class:`ClipSet`."""
        return ClipSet([self.clips[i] for i in indices], self.name, self.skipped)

    def by_ids(self, clip_ids: Sequence[str]) -> ClipSet:
        """The clips with these ids, in the order given.

        Raises:
            KeyError: An id is not in this set; the message lists up to five missing ids.
        """
        index = {c.clip_id: c for c in self.clips}
        missing = [i for i in clip_ids if i not in index]
        if missing:
            raise KeyError(
                f"{len(missing)} clip id(s) not in this {self.name} set, e.g. {missing[:5]}"
            )
        return ClipSet([index[i] for i in clip_ids], self.name, self.skipped)

    def iter_audio(self, progress: bool = False) -> Iterator[tuple[Clip, np.ndarray]]:
        """Yield ``(clip, y)`` for every clip that loads; warn about (and skip) any that does not."""
        import warnings

        from tqdm.auto import tqdm

        from mgr_utils.audio import AudioLoadError

        for clip in tqdm(self.clips, desc=f"loading {self.name}", disable=not progress):
            try:
                yield clip, clip.load()
            except AudioLoadError as err:
                warnings.warn(f"skipping {clip.clip_id}: {err}", stacklevel=2)
                self.skipped.append((str(clip.path), str(err)))


def clip_id(genre: str, index: int) -> str:
    """GTZAN's id for the ``index``-th clip of ``genre``: ``"blues.00042"``."""
    return f"{genre}.{index:05d}"


def load_synthetic(
    n_per_genre: int = 10,
    duration: float = 10.0,
    seed: int = 0,
    genres: Sequence[str] = GENRES,
    sr: int = SR,
) -> ClipSet:
    """The embedded synthetic genre set: ``n_per_genre`` clips of each genre, no download.

    Clip ``i`` of genre ``g`` gets its own generator seed, drawn from ``(seed, g, i)``, so the set
    is deterministic per ``seed`` and a clip does not change when ``n_per_genre`` grows. The audio
    is rendered on :meth:`Clip.load`; see :mod:`mgr_utils.synthetic` for what each genre sounds like.

    Notebook: ``01_datasets.ipynb``.

    Args:
        n_per_genre: Clips per genre (any positive number).
        duration: Length of each clip in seconds (any positive number).
        seed: Seed of the whole set.
        genres: Which genres (default all ten of GTZAN).
        sr: Sample rate in Hz.

    Raises:
        ValueError: A count or duration that is not positive, or an unknown genre.
    """
    if int(n_per_genre) < 1:
        raise ValueError(f"n_per_genre must be at least 1, got {n_per_genre}")
    if not duration or duration <= 0:
        raise ValueError(f"duration must be a positive number of seconds, got {duration}")
    unknown = [g for g in genres if g not in GENRES]
    if unknown:
        raise ValueError(f"unknown genre(s) {unknown}; choose from {list(GENRES)}")
    clips = []
    for g in genres:
        for i in range(int(n_per_genre)):
            clip_seed = int(np.random.SeedSequence([seed, GENRES.index(g), i]).generate_state(1)[0])
            clips.append(Clip(clip_id(g, i), g, seed=clip_seed, duration=float(duration), sr=sr))
    return ClipSet(clips, "synthetic")


def load_dataset(dataset: str = "synthetic", data_dir: str | Path | None = None, **kwargs) -> ClipSet:
    """Load a dataset by the name a notebook's ``DATASET`` parameter holds.

    Notebook: ``01_datasets.ipynb``.

    Args:
        dataset: ``"synthetic"`` (embedded, default) or ``"gtzan"``.
        data_dir: For GTZAN: the folder holding it (see :func:`load_gtzan`).
        **kwargs: Passed on: ``n_per_genre``, ``duration``, ``seed`` for the synthetic set;
            ``duration`` (seconds to read at most) for GTZAN.

    Raises:
        ValueError: An unknown dataset name.
    """
    if dataset == "synthetic":
        return load_synthetic(**kwargs)
    if dataset == "gtzan":
        return load_gtzan(data_dir, **{k: v for k, v in kwargs.items() if k == "duration"})
    raise ValueError(f"unknown dataset {dataset!r}; DATASET must be one of {DATASETS}")
