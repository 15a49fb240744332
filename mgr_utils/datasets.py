"""Clips and datasets: the embedded synthetic genre set and GTZAN behind one interface.

A :class:`Clip` names one excerpt (its id, genre and where its audio comes from) and can load
its audio; a :class:`ClipSet` is an ordered list of clips with labels. Both datasets produce the
same kind of object, so every chapter switches between them with the ``DATASET`` parameter alone.

Notebook: ``01_datasets.ipynb``.
"""

from __future__ import annotations

import os
import re
import warnings
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

        A synthetic clip is rendered once and then read from the audio cache (the feature cache's
        folder, :func:`mgr_utils.cache.default_cache_dir`), so the chapters that each need every
        clip do not render it again; the cached samples are exactly the rendered ones.

        Raises:
            mgr_utils.audio.AudioLoadError: The file is missing or cannot be decoded.
        """
        if self.path is None:
            from mgr_utils.cache import cached_synthetic_audio

            return cached_synthetic_audio(self)
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

    def __init__(
        self, clips: Sequence[Clip], name: str, skipped: Sequence[tuple[str, str]] = ()
    ):
        self.clips = list(clips)
        self.name = name
        self.skipped = list(skipped)

    def __len__(self) -> int:
        return len(self.clips)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return ClipSet(self.clips[i], self.name, self.skipped)
        return self.clips[i]

    def __add__(self, other: ClipSet) -> ClipSet:
        """The clips of both sets, ``self``'s first (e.g. ``train + valid``)."""
        return ClipSet(
            self.clips + other.clips, self.name, self.skipped + other.skipped
        )

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

    def durations(self) -> np.ndarray:
        """Length in seconds of each clip (file headers only: no decoding), shape ``(len(self),)``.

        An unreadable file gets ``nan``.
        """
        import soundfile as sf

        out = np.full(len(self), np.nan)
        for i, c in enumerate(self.clips):
            if c.path is None:
                out[i] = c.duration
                continue
            try:
                info = sf.info(str(c.path))
            except Exception:  # unreadable: left as nan, reported when loaded
                continue
            out[i] = (
                info.duration if c.duration is None else min(info.duration, c.duration)
            )
        return out

    def iter_audio(self, progress: bool = False) -> Iterator[tuple[Clip, np.ndarray]]:
        """Yield ``(clip, y)`` for every clip that loads; warn about (and skip) any that does not."""
        import warnings

        from tqdm import tqdm

        from mgr_utils.audio import AudioLoadError

        for clip in tqdm(self.clips, desc=f"loading {self.name}", disable=not progress):
            try:
                yield clip, clip.load()
            except AudioLoadError as err:
                warnings.warn(f"skipping {clip.clip_id}: {err}", stacklevel=2)
                self.skipped.append((str(clip.path), str(err)))


def check_duration(duration, allow_none: bool) -> None:
    """Raise a ValueError naming ``duration`` (the notebooks' ``DURATION``) unless it is a positive number.

    Notebook: ``01_datasets.ipynb``.

    Args:
        duration: The value to check.
        allow_none: ``None`` (the whole clip) is accepted (GTZAN), or not (the synthetic set).
    """
    ok = isinstance(duration, (int, float, np.integer, np.floating)) and not isinstance(
        duration, bool
    )
    if duration is None and allow_none:
        return
    if not ok or not np.isfinite(duration) or duration <= 0:
        accepted = "a positive number of seconds" + (
            " or None (the whole clip)" if allow_none else ""
        )
        raise ValueError(
            f"duration (the DURATION parameter) takes {accepted}, got {duration!r} "
            f"({type(duration).__name__}); on a command line write None, not 'None'"
        )


def clip_id(genre: str, index: int) -> str:
    """GTZAN's id for the ``index``-th clip of ``genre``: ``"blues.00042"``."""
    return f"{genre}.{index:05d}"


def load_synthetic(
    n_per_genre: int = 10,
    duration: float = 10.0,
    seed: int = 0,
    genres: Sequence[str] = GENRES,
    sr: int = SR,
    start: int = 0,
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
        start: Index of each genre's first clip (clips ``start`` to ``start + n_per_genre - 1``):
            a later ``start`` gives fresh clips, e.g. extra test clips.

    Raises:
        ValueError: A count or duration that is not positive, or an unknown genre.
    """
    if (
        isinstance(n_per_genre, bool)
        or not isinstance(n_per_genre, (int, np.integer))
        or n_per_genre < 1
    ):
        raise ValueError(
            f"n_per_genre (N_PER_GENRE) must be a whole number of at least 1, got {n_per_genre!r}"
        )
    check_duration(duration, allow_none=False)
    unknown = [g for g in genres if g not in GENRES]
    if unknown:
        raise ValueError(f"unknown genre(s) {unknown}; choose from {list(GENRES)}")
    clips = []
    for g in genres:
        for i in range(int(start), int(start) + int(n_per_genre)):
            clip_seed = int(
                np.random.SeedSequence([seed, GENRES.index(g), i]).generate_state(1)[0]
            )
            clips.append(
                Clip(clip_id(g, i), g, seed=clip_seed, duration=float(duration), sr=sr)
            )
    return ClipSet(clips, "synthetic")


GTZAN_MANUAL_STEPS = """\
To get GTZAN by hand (about 1.2 GB):
  1. Download one copy:
     - Kaggle: https://www.kaggle.com/datasets/andradaolteanu/gtzan-dataset-music-genre-classification
       (free account; unzip it and keep the folder Data/genres_original, which holds blues/ ... rock/)
     - Hugging Face: https://huggingface.co/datasets/marsyas/gtzan/blob/main/data/genres.tar.gz
       (then `tar -xzf genres.tar.gz`, which gives the folder genres/ holding blues/ ... rock/)
  2. Put that folder anywhere, e.g. ~/data/gtzan/genres_original or ~/data/gtzan/genres.
  3. In a notebook's parameters cell set DATASET = "gtzan" and DATA_DIR = "~/data/gtzan"
     (or run: papermill NOTEBOOK.ipynb OUT.ipynb -p DATASET gtzan -p DATA_DIR ~/data/gtzan).
     Any folder down to three levels above the genre folders works as DATA_DIR.
The Kaggle copy's jazz/jazz.00054.wav is not valid audio: it is skipped with a warning."""
"""How to get GTZAN by hand, printed wherever it is missing (the loader, the downloader, the book build)."""


class GTZANNotFoundError(FileNotFoundError):
    """GTZAN is not where ``DATA_DIR`` points; the message says how to get it."""


_GTZAN_FILE = re.compile(
    r"^(?P<genre>[a-z]+)\.(?P<number>\d{5})\.(?:wav|au)$", re.IGNORECASE
)


def _gtzan_files(genre_dir: Path) -> list[Path]:
    """The files of a genre folder named like GTZAN's: ``<genre>.NNNNN.wav`` or ``.au``, sorted."""
    genre = genre_dir.name
    return sorted(
        p
        for p in genre_dir.iterdir()
        if p.is_file()
        and (m := _GTZAN_FILE.match(p.name))
        and m["genre"].lower() == genre.lower()
    )


def _is_gtzan_root(folder: Path) -> bool:
    return any((folder / g).is_dir() and _gtzan_files(folder / g) for g in GENRES)


def _subfolders(folder: Path) -> list[Path]:
    try:
        return sorted(
            p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")
        )
    except OSError:  # unreadable folder: nothing to find there
        return []


def find_gtzan_root(data_dir: str | Path, max_depth: int = 3) -> Path | None:
    """The folder that holds GTZAN's genre folders, at ``data_dir`` or up to ``max_depth`` below it.

    A folder qualifies when at least one of its subfolders is named after a genre and holds files
    named like GTZAN's (``blues/blues.00000.wav`` or ``.au``). This accepts the original archive
    (``genres/``), the Kaggle copy (``Data/genres_original/``) and the genre folders themselves.
    The shallowest match wins (the first in alphabetical order on a tie).

    Notebook: ``01_datasets.ipynb``.

    Args:
        data_dir: Where to start looking.
        max_depth: How many folder levels below ``data_dir`` to search.

    Returns:
        The folder, or ``None`` if there is none.
    """
    level = [Path(data_dir).expanduser()]
    for _ in range(max_depth + 1):
        for folder in level:
            if _is_gtzan_root(folder):
                return folder
        level = [sub for folder in level for sub in _subfolders(folder)]
    return None


def _how_to_get_gtzan() -> str:
    return (
        "To download it: `python -m mgr_utils.download gtzan` (it prints the DATA_DIR to use).\n"
        + GTZAN_MANUAL_STEPS
    )


def load_gtzan(data_dir: str | Path | None, duration: float | None = None) -> ClipSet:
    """GTZAN (Tzanetakis & Cook 2002): 1000 excerpts of 30 s, 100 in each of 10 genres.

    Accepts the layouts in circulation: ``genres/<g>/<g>.NNNNN.au`` (the original archive),
    ``genres_original/<g>/<g>.NNNNN.wav`` (the Kaggle copy), the genre folders directly in
    ``data_dir``, or any of these up to three folders below it (see :func:`find_gtzan_root`).
    Each file is probed from its header only; a file that is not readable audio (in the common
    copies, ``jazz/jazz.00054.wav``) is skipped with a warning and listed in
    :attr:`ClipSet.skipped`. Clips shorter than 30 s (many copies hold some) are kept as they are.

    Notebook: ``01_datasets.ipynb``.

    Args:
        data_dir: The folder holding GTZAN (a notebook's ``DATA_DIR``); ``~`` is expanded.
        duration: Read at most this many seconds of each clip (``None``: the whole clip).

    Returns:
        The clips, genre by genre in :data:`mgr_utils.GENRES` order, ids ``"<genre>.NNNNN"``.

    Raises:
        GTZANNotFoundError: ``data_dir`` is ``None``, missing, or holds no GTZAN layout; the
            message says how to get the data.
        ValueError: A genre folder holds no readable clip (the message names it), or a
            ``duration`` that is not positive.
    """
    import soundfile as sf

    check_duration(duration, allow_none=True)
    if data_dir is None:
        raise GTZANNotFoundError(
            'DATA_DIR is not set: point it at the folder holding GTZAN (with DATASET = "gtzan").\n'
            + _how_to_get_gtzan()
        )
    data_dir = Path(data_dir).expanduser()
    if not data_dir.is_dir():
        raise GTZANNotFoundError(
            f"{data_dir}: no such folder (DATA_DIR).\n" + _how_to_get_gtzan()
        )
    root = find_gtzan_root(data_dir)
    if root is None:
        raise GTZANNotFoundError(
            f"{data_dir}: no GTZAN found in this folder or three levels below it (looked for "
            "genre folders such as genres/blues/blues.00000.au or "
            "Data/genres_original/blues/blues.00000.wav).\n" + _how_to_get_gtzan()
        )
    absent = [g for g in GENRES if not (root / g).is_dir()]
    if absent:
        warnings.warn(
            f"{root} has no folder for genre(s) {absent}; loading the others.",
            stacklevel=2,
        )
    clips, skipped = [], []
    for g in GENRES:
        if g in absent:
            continue
        seen = set()
        for path in _gtzan_files(root / g):
            try:
                info = sf.info(str(path))
                if info.frames <= 0:
                    raise RuntimeError("the file holds no audio samples")
            except (RuntimeError, OSError, ValueError) as err:
                reason = f"not readable audio ({err})"
                warnings.warn(
                    f"skipping {path}: {reason}. Replace it from another copy of GTZAN "
                    "(see `python -m mgr_utils.download`) or delete it to silence this warning.",
                    stacklevel=2,
                )
                skipped.append((str(path), reason))
                continue
            clip_id_ = path.name.rsplit(".", 1)[0].lower()
            if (
                clip_id_ not in seen
            ):  # both an .au and a .wav of one clip: keep the first
                seen.add(clip_id_)
                clips.append(Clip(clip_id_, g, path=path, duration=duration))
        if not seen:
            raise ValueError(
                f"GTZAN genre folder {root / g} holds no readable clip ({g}.NNNNN.wav or .au). "
                "Restore its files from another copy of GTZAN, or remove the folder to leave "
                f"the genre {g!r} out."
            )
    return ClipSet(clips, "gtzan", skipped)


def load_dataset(
    dataset: str = "synthetic", data_dir: str | Path | None = None, **kwargs
) -> ClipSet:
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
        return load_gtzan(
            data_dir, **{k: v for k, v in kwargs.items() if k == "duration"}
        )
    raise ValueError(f"unknown dataset {dataset!r}; DATASET must be one of {DATASETS}")


# --------------------------------------------------------------------------------------------
# A GTZAN-shaped folder of synthetic clips: a dress rehearsal of the full run without GTZAN
# --------------------------------------------------------------------------------------------

GTZAN_UNREADABLE = ("jazz.00054",)
"""The clip the common copies of GTZAN hold as a file that is not audio."""


def _write_clip_wav(clip: Clip, path: Path) -> str:
    """Render one synthetic clip and write it as 16-bit PCM WAV, atomically; return its id."""
    import soundfile as sf

    from mgr_utils.atomic import atomic_write
    from mgr_utils.synthetic import render

    y = render(
        clip.genre, seed=clip.seed, duration=clip.duration, sr=clip.sr
    )  # not cached: the WAV is the copy
    with atomic_write(path, "wb") as f:
        sf.write(f, y, clip.sr, format="WAV", subtype="PCM_16")
    return clip.clip_id


def write_gtzan_like(
    dest: str | Path,
    n_per_genre: int = 100,
    duration: float = 30.0,
    seed: int = 0,
    unreadable: Sequence[str] = GTZAN_UNREADABLE,
    n_jobs: int = -1,
    progress: bool = True,
    layout: str = "genres",
) -> Path:
    """Write synthetic clips in GTZAN's layout and names: ``dest/genres/<g>/<g>.NNNNN.wav``.

    With ``layout="genres_original"``: ``dest/genres_original/...`` (the Kaggle copy).

    A dress rehearsal of the full run: with GTZAN's 10 × 100 clips of 30 s at 22,050 Hz and GTZAN's
    file names, the fault-filtered split applies to it, and the clips of ``unreadable`` are written
    as files that are not audio, as ``jazz.00054.wav`` is in the common copies. Clips already
    written are kept (an interrupted run resumes), and each file appears only once complete.

    A smaller folder (a class sample, e.g. 10 clips per genre of 10 s) still gets its
    unreadable files: an id beyond ``n_per_genre`` (``jazz.00054`` in a folder of 10
    per genre) is written as one more file, so the loader meets GTZAN's fault.

    Notebook: ``10_results.ipynb`` (the README's dress rehearsal of the full run).

    Args:
        dest: The folder to write; use it as ``DATA_DIR``.
        n_per_genre: Clips per genre (GTZAN: 100).
        duration: Seconds per clip (GTZAN: 30).
        seed: Seed of the synthetic set (clip ``i`` of genre ``g`` is that of :func:`load_synthetic`).
        unreadable: Clip ids written as non-audio files.
        n_jobs: Worker processes (joblib convention).
        progress: Show a progress bar.
        layout: The folder above the genre folders: ``"genres"`` (the original
            archive) or ``"genres_original"`` (the Kaggle copy).

    Returns:
        ``dest``.

    Raises:
        ValueError: An unknown ``layout``, or an unreadable id that is not
            ``<genre>.NNNNN``.
    """
    from joblib import Parallel, delayed
    from tqdm.auto import tqdm

    if layout not in ("genres", "genres_original"):
        raise ValueError(
            f"layout must be 'genres' or 'genres_original', got {layout!r}"
        )
    for clip_id in unreadable:
        genre, _, number = str(clip_id).partition(".")
        if genre not in GENRES or len(number) != 5 or not number.isdigit():
            raise ValueError(
                "unreadable ids must be GTZAN names such as 'jazz.00054', "
                f"got {clip_id!r}"
            )
    dest = Path(dest).expanduser()
    clips = load_synthetic(n_per_genre=n_per_genre, duration=duration, seed=seed)
    todo = []
    for clip in clips:
        path = dest / layout / clip.genre / f"{clip.clip_id}.wav"
        if path.exists() or clip.clip_id in unreadable:
            continue
        todo.append((clip, path))
    for clip_id in unreadable:  # in range or not: the loader must meet it
        path = dest / layout / clip_id.split(".")[0] / f"{clip_id}.wav"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(
                b"This is not a WAV file: like jazz.00054 in the common copies of GTZAN.\n"
            )
    jobs = (delayed(_write_clip_wav)(clip, path) for clip, path in todo)
    for _ in tqdm(
        Parallel(n_jobs=n_jobs, return_as="generator")(jobs),
        total=len(todo),
        disable=not progress,
        desc="writing clips",
    ):
        pass
    return dest


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m mgr_utils.datasets gtzan-like DEST``: write the dress-rehearsal folder.

    Notebook: ``10_results.ipynb``.
    """
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m mgr_utils.datasets",
        description="Write a GTZAN-shaped folder of synthetic clips.",
    )
    parser.add_argument("command", choices=("gtzan-like",))
    parser.add_argument("dest", help="the folder to write (then DATA_DIR=dest)")
    parser.add_argument("--n-per-genre", type=int, default=100)
    parser.add_argument("--duration", type=float, default=30.0)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    folder = write_gtzan_like(
        args.dest, n_per_genre=args.n_per_genre, duration=args.duration, seed=args.seed
    )
    print(f"GTZAN-shaped synthetic clips in {folder}; use DATA_DIR={folder}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
