"""Clips and datasets: the synthetic set, GTZAN and any labelled folder, one interface.

A :class:`Clip` names one excerpt (its id, class and where its audio comes from) and can
load its audio; a :class:`ClipSet` is an ordered list of clips with labels and the names
of its classes. Every dataset produces the same kind of object, so every chapter
switches between them with the ``DATASET`` parameter alone: ``"synthetic"`` (embedded),
``"gtzan"`` (GTZAN's ten genres) or ``"folder"`` (any labelled collection,
:func:`load_folder`: the classes are its sub-folders, or the labels of a CSV table).

Notebook: ``01_datasets.ipynb``.
"""

from __future__ import annotations

import os
import re
import warnings
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from mgr_utils import GENRES, SR

DATASETS = ("synthetic", "gtzan", "folder")
"""The values a notebook's ``DATASET`` parameter takes."""


@dataclass(frozen=True)
class Clip:
    """One labelled excerpt.

    Notebook: ``01_datasets.ipynb``.

    Attributes:
        clip_id: A unique, stable id: GTZAN's ``"<genre>.NNNNN"`` (the synthetic set
            uses the same form); for a folder collection the file's path relative to the
            collection (``"Tango/live/take 2.flac"``, see :func:`load_folder`).
        genre: The class name, one of :attr:`classes`.
        path: The audio file, or ``None`` for a synthetic clip.
        seed: The generator seed of a synthetic clip, else ``None``.
        duration: Length in seconds of a synthetic clip; for a file, the most to read
            (``None``: the whole file).
        sr: Sample rate the audio is delivered at, in Hz.
        group: What must stay on one side of a split (an artist, an album), or ``None``.
        classes: The class names of the clip's dataset, in label order (synthetic set
            and GTZAN: :data:`mgr_utils.GENRES`).
    """

    clip_id: str
    genre: str
    path: Path | None = None
    seed: int | None = None
    duration: float | None = None
    sr: int = SR
    group: str | None = None
    classes: tuple[str, ...] = field(default=GENRES, repr=False)

    @property
    def label(self) -> int:
        """Index of :attr:`genre` in :attr:`classes`."""
        return self.classes.index(self.genre)

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
        name: The dataset, ``"synthetic"``, ``"gtzan"`` or ``"folder"`` (kept through
            subsets).
        skipped: ``(file, reason)`` for each file left out because it could not be read.
        classes: Class names in label order (label ``i`` is ``classes[i]``); ``None``:
            the clips' own (:data:`mgr_utils.GENRES` for synthetic and GTZAN clips).
            Clips that carry another class list are given this one.
        ignored: ``(file, reason)`` for each file of the collection that is not a clip
            (a hidden file, a file that is not audio); see :attr:`ignored_counts`.
        root: The collection's folder (GTZAN's genre folders, a folder collection's
            ``DATA_DIR``), or ``None``.

    Raises:
        ValueError: A clip whose class is not in ``classes``, or clips of different
            class lists with no ``classes`` given.
    """

    def __init__(
        self,
        clips: Sequence[Clip],
        name: str,
        skipped: Sequence[tuple[str, str]] = (),
        classes: Sequence[str] | None = None,
        ignored: Sequence[tuple[str, str]] = (),
        root: str | Path | None = None,
    ):
        clips = list(clips)
        if classes is None:
            lists = {c.classes for c in clips}
            if len(lists) > 1:
                raise ValueError(
                    "these clips come from datasets with different classes: "
                    "pass classes="
                )
            classes = lists.pop() if lists else GENRES
        self.classes = tuple(str(g) for g in classes)
        unknown = sorted({c.genre for c in clips} - set(self.classes))
        if unknown:
            raise ValueError(
                f"clip class(es) {unknown} are not among the classes "
                f"{list(self.classes)}"
            )
        self.clips = [
            c if c.classes == self.classes else replace(c, classes=self.classes)
            for c in clips
        ]
        self.name = name
        self.skipped = list(skipped)
        self.ignored = list(ignored)
        self.root = None if root is None else Path(root)

    def _like(self, clips: Sequence[Clip]) -> ClipSet:
        """A new set of ``clips`` with this set's name, classes and left-out files."""
        return ClipSet(
            clips, self.name, self.skipped, self.classes, self.ignored, self.root
        )

    def __len__(self) -> int:
        return len(self.clips)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return self._like(self.clips[i])
        return self.clips[i]

    def __add__(self, other: ClipSet) -> ClipSet:
        """The clips of both sets, ``self``'s first (e.g. ``train + valid``).

        Raises:
            ValueError: The sets have different classes (or class orders).
        """
        if tuple(other.classes) != self.classes:
            raise ValueError(
                f"cannot join a set of classes {list(other.classes)} to one of "
                f"{list(self.classes)}: the labels would mean different classes"
            )
        return ClipSet(
            self.clips + other.clips,
            self.name,
            _unique(self.skipped + other.skipped),
            self.classes,
            _unique(self.ignored + other.ignored),
            self.root,
        )

    def __repr__(self) -> str:
        kind = "classes" if self.name == "folder" else "genres"
        return f"ClipSet({self.name!r}, {len(self)} clips, {len(self.genres)} {kind})"

    @property
    def ids(self) -> list[str]:
        """Clip ids, in order."""
        return [c.clip_id for c in self.clips]

    @property
    def labels(self) -> np.ndarray:
        """Integer labels (indices into :attr:`classes`), shape ``(len(self),)``."""
        index = {g: i for i, g in enumerate(self.classes)}
        return np.array([index[c.genre] for c in self.clips], dtype=np.int64)

    @property
    def genres(self) -> tuple[str, ...]:
        """The classes present, in :attr:`classes` order."""
        present = {c.genre for c in self.clips}
        return tuple(g for g in self.classes if g in present)

    @property
    def groups(self) -> list[str] | None:
        """Each clip's group (artist, album), or ``None`` when no clip has one.

        A clip without a group in a set where others have one is a group of its own (its
        id).
        """
        if all(c.group is None for c in self.clips):
            return None
        return [c.clip_id if c.group is None else c.group for c in self.clips]

    @property
    def ignored_counts(self) -> dict[str, int]:
        """Files of the collection that are not clips, by reason (``{"hidden": 1}``)."""
        return dict(Counter(reason for _, reason in self.ignored))

    def counts(self) -> dict[str, int]:
        """Number of clips per class, in :attr:`classes` order (classes with clips)."""
        n = Counter(c.genre for c in self.clips)
        return {g: n[g] for g in self.classes if n[g]}

    def subset(self, indices: Sequence[int]) -> ClipSet:
        """The clips at ``indices``, as a new :class:`ClipSet`."""
        return self._like([self.clips[i] for i in indices])

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
        return self._like([index[i] for i in clip_ids])

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


def _unique(pairs: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    """``pairs`` without repeats, in order (a split's sides share skipped files)."""
    return list(dict.fromkeys(tuple(p) for p in pairs))


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
    return ClipSet(clips, "gtzan", skipped, root=root)


# --------------------------------------------------------------------------------------
# Any labelled collection (DATASET = "folder"): class folders, or a CSV table of labels
# --------------------------------------------------------------------------------------

AUDIO_SUFFIXES = frozenset(
    {
        ".wav",
        ".wave",
        ".flac",
        ".ogg",
        ".oga",
        ".opus",
        ".mp3",
        ".au",
        ".snd",
        ".aif",
        ".aiff",
        ".aifc",
        ".caf",
        ".w64",
        ".rf64",
        ".m4a",
        ".aac",
        ".wma",
    }
)
"""File endings a folder collection takes as audio (any case): what soundfile reads (MP3
included) and what librosa reads through ffmpeg when it is installed (``.m4a``,
``.aac``, ``.wma``). Any other file is ignored and counted as ``"not audio"``."""

LABELS_FILE = "labels.csv"
"""The table of labels a folder collection may hold in its ``DATA_DIR``."""

HIDDEN_NAMES = frozenset({"__MACOSX", "Thumbs.db", "desktop.ini"})
"""Names ignored as hidden besides those starting with a dot (the folder macOS adds to a
zip archive, Windows' thumbnail and folder files)."""

FOLDER_LAYOUT = """\
A folder collection (DATASET = "folder") is laid out in one of two ways:
  1. One sub-folder per class: DATA_DIR/<class>/.../<file>. The classes are the
     sub-folder names, sorted (or in the order of a CLASSES list naming every one of
     them); files may sit in nested folders and have any name.
  2. A table: DATA_DIR/labels.csv (or LABELS = "<path to a CSV>"), with a header row
     and the columns path,label and, optionally, group (an artist or an album: each
     group stays on one side of the split). Paths are relative to the CSV's folder.
Audio files: wav, flac, ogg, mp3, au, aiff (any sample rate, mono or stereo). Hidden
files and files that are not audio are ignored; an unreadable audio file is skipped
with a warning. At least two classes, each with at least {min_per_class} clips for the
default 60/20/20 split (and clips of {min_per_class} groups, with a group column)."""
"""What a folder collection must look like: printed with every error about one."""


class FolderError(ValueError):
    """A folder collection cannot be used as it is; the message says what to change."""


class FolderNotFoundError(FileNotFoundError):
    """A folder collection's ``DATA_DIR`` (or ``LABELS``) is unset or does not exist."""


def _layout_help(min_per_class: int | None = None) -> str:
    from mgr_utils.splits import min_clips_per_class

    n = min_clips_per_class() if min_per_class is None else min_per_class
    return FOLDER_LAYOUT.format(min_per_class=n)


def _hidden(name: str) -> bool:
    return name.startswith(".") or name in HIDDEN_NAMES


def _nfc(text: str) -> str:
    """Unicode NFC: macOS stores names decomposed, Linux as typed; ids must agree."""
    import unicodedata

    return unicodedata.normalize("NFC", text)


@dataclass
class _Entry:
    """One audio file of a folder collection before it is probed."""

    path: Path
    clip_id: str
    genre: str
    group: str | None = None


def _scan_class_folders(
    root: Path, ignored: list[tuple[str, str]]
) -> tuple[list[_Entry], set[str]]:
    """The audio files under ``root/<class>/`` and the class names.

    Hidden files and files that are not audio go to ``ignored``.
    """
    entries, found = [], set()
    for top in sorted(root.iterdir()):
        rel = _nfc(top.name)
        if _hidden(top.name):
            ignored.append((rel + ("/" if top.is_dir() else ""), "hidden"))
            continue
        if not top.is_dir():
            ignored.append((rel, "outside the class folders"))
            continue
        found.add(rel)
        for dirpath, dirnames, filenames in os.walk(top):
            here = Path(dirpath)
            for name in sorted(dirnames):
                if _hidden(name):
                    ignored.append(
                        (
                            _nfc((here / name).relative_to(root).as_posix()) + "/",
                            "hidden",
                        )
                    )
            dirnames[:] = sorted(d for d in dirnames if not _hidden(d))
            for name in sorted(filenames):
                path = here / name
                clip_id_ = _nfc(path.relative_to(root).as_posix())
                if _hidden(name):
                    ignored.append((clip_id_, "hidden"))
                elif path.suffix.lower() not in AUDIO_SUFFIXES:
                    ignored.append((clip_id_, "not audio"))
                else:
                    entries.append(_Entry(path, clip_id_, rel))
    return entries, found


def _read_labels_table(
    csv_path: Path, ignored: list[tuple[str, str]]
) -> tuple[list[_Entry], set[str]]:
    """The rows of a ``path,label[,group]`` table, checked, and the class names.

    Rows naming hidden files or files that are not audio go to ``ignored``.
    """
    import csv

    how = f"Fix {csv_path} and run again.\n" + _layout_help()
    try:
        text = csv_path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as err:
        raise FolderError(
            f"{csv_path} is not UTF-8 text ({err}): save it as CSV UTF-8.\n" + how
        ) from err
    lines = text.splitlines()
    try:
        dialect = csv.Sniffer().sniff(lines[0] if lines else "", delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(lines, dialect)
    header = [h.strip().lower() for h in next(reader, [])]
    missing = [c for c in ("path", "label") if c not in header]
    if missing:
        raise FolderError(
            f"{csv_path} lacks the column(s) {missing}: its header row is {header}, "
            "and it must hold path,label (and optionally group).\n" + how
        )
    col = {
        name: header.index(name)
        for name in ("path", "label", "group")
        if name in header
    }
    entries, found, bad, absent, seen = [], set(), [], [], {}
    for line_no, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue
        cell = {k: (row[i].strip() if i < len(row) else "") for k, i in col.items()}
        if not cell["path"] or not cell["label"]:
            bad.append(line_no)
            continue
        written = cell["path"].replace("\\", "/")
        path = Path(written).expanduser()
        path = path if path.is_absolute() else csv_path.parent / path
        clip_id_ = _nfc(os.path.normpath(written).replace("\\", "/"))
        if clip_id_ in seen:
            raise FolderError(
                f"{csv_path}: {written!r} is listed twice (lines {seen[clip_id_]} and "
                f"{line_no}); each file takes one label.\n" + how
            )
        seen[clip_id_] = line_no
        if _hidden(path.name):
            ignored.append((clip_id_, "hidden"))
            continue
        if path.suffix.lower() not in AUDIO_SUFFIXES:
            ignored.append((clip_id_, "not audio"))
            continue
        if not path.is_file():
            absent.append(f"line {line_no}: {written}")
            continue
        genre = _nfc(cell["label"])
        group = _nfc(cell["group"]) if cell.get("group") else None
        if "group" in col and group is None:
            group = clip_id_  # no group given: a group of its own
        entries.append(_Entry(path, clip_id_, genre, group))
        found.add(genre)
    if bad:
        raise FolderError(
            f"{csv_path}: line(s) {bad[:10]} have no path or no label.\n" + how
        )
    if absent:
        raise FolderError(
            f"{csv_path} names {len(absent)} file(s) that do not exist, e.g. "
            f"{'; '.join(absent[:5])}. Paths are relative to the CSV's folder "
            f"({csv_path.parent}): correct them, or delete those rows.\n" + how
        )
    return entries, found


def _class_order(
    found: set[str], classes: Sequence[str] | None, where: str
) -> tuple[str, ...]:
    """The classes in label order: sorted, or ``classes`` (naming each class found)."""
    if classes is None:
        return tuple(sorted(found))
    if isinstance(classes, str) or not all(isinstance(c, str) for c in classes):
        raise FolderError(
            f"CLASSES takes a list of class names, e.g. {sorted(found)}, "
            f"got {classes!r}"
        )
    order = tuple(_nfc(c) for c in classes)
    twice = sorted({c for c in order if order.count(c) > 1})
    not_found = [c for c in order if c not in found]
    not_listed = sorted(found - set(order))
    if twice or not_found or not_listed:
        problems = []
        if twice:
            problems.append(f"it names {twice} twice")
        if not_found:
            problems.append(f"{where} holds no class {not_found}")
        if not_listed:
            problems.append(
                f"it leaves out the class(es) {not_listed} that {where} holds"
            )
        raise FolderError(
            f"CLASSES = {list(classes)} does not match the collection: "
            + "; ".join(problems)
            + f". CLASSES fixes the order of the classes and must name each of "
            f"{sorted(found)} once (or leave CLASSES = None for sorted order); to "
            "leave a class out, move its files out of the collection."
        )
    return order


def _check_class_sizes(
    entries: Sequence[_Entry],
    classes: Sequence[str],
    min_per_class: int,
    where: str,
    readable: str = "",
) -> None:
    """A FolderError naming the first class with fewer clips (groups) than needed."""
    per_class = Counter(e.genre for e in entries)
    has_groups = any(e.group is not None for e in entries)
    groups = {g: len({e.group for e in entries if e.genre == g}) for g in classes}
    for g in classes:
        n = per_class[g]
        if n < min_per_class:
            raise FolderError(
                f"class {g!r} has {n} {readable}clip(s) in {where}; the split needs "
                f"at least {min_per_class} per class (one on each of train, valid and "
                "test at 60/20/20). Add clips to it, or move it out of the "
                "collection.\n" + _layout_help(min_per_class)
            )
        if has_groups and groups[g] < min_per_class:
            raise FolderError(
                f"class {g!r} has clips of {groups[g]} group(s) in {where}; a split "
                "that keeps each group on one side needs at least "
                f"{min_per_class} groups per class. Add clips of more groups (artists, "
                "albums) to it, or drop the group column to split clip by clip.\n"
                + _layout_help(min_per_class)
            )


def load_folder(
    data_dir: str | Path | None,
    classes: Sequence[str] | None = None,
    labels: str | Path | None = None,
    duration: float | None = None,
    min_per_class: int | None = None,
) -> ClipSet:
    """Any labelled collection of audio files: a sub-folder per class, or a CSV table.

    Two layouts, as the ecosystem has them (Keras' ``audio_dataset_from_directory``,
    torchvision's ``ImageFolder``):

    1. **Class folders**: ``data_dir/<class>/.../<file>``. The class names are the
       sub-folder names, sorted (Python's order: capitals first), unless ``classes``
       fixes their order; files may sit in nested folders and have any name. Files
       directly in ``data_dir`` are ignored (counted as outside the class folders).
    2. **A table**: ``data_dir/labels.csv``, or the CSV at ``labels``, with a header row
       and the columns ``path,label`` and optionally ``group`` (an artist or album: the
       split then keeps each group on one side, :func:`mgr_utils.splits.split_dataset`;
       a row with an empty group is a group of its own). Paths are relative to the CSV's
       folder. A table in ``data_dir`` wins over its sub-folders.

    ``classes``, when given, must name every class of the collection exactly once (as
    Keras' ``class_names`` must): a name it lacks or a class it does not have is an
    error, not a silent selection.

    Audio is any file whose ending is in :data:`AUDIO_SUFFIXES` (wav, flac, ogg, mp3,
    au, aiff, ...); :meth:`Clip.load` decodes it at :data:`mgr_utils.SR`, mixed to mono,
    as GTZAN's files are. Hidden files (a name starting with a dot,
    :data:`HIDDEN_NAMES`) and other files are ignored and counted
    (:attr:`ClipSet.ignored`, :attr:`ClipSet.ignored_counts`). Each audio file's header
    is read now, as GTZAN's are (:func:`load_gtzan`): a file no decoder reads is skipped
    with a warning naming it and listed in :attr:`ClipSet.skipped`; a file that breaks
    later is skipped when its features are extracted (:func:`mgr_utils.cache.extract`).

    Clip ids are the files' paths relative to the collection (``data_dir`` or the CSV's
    folder), with ``/`` separators and Unicode in NFC form, e.g.
    ``"Bossa Nova/live/Faixa 01.flac"``: unique, the same on every machine and after the
    folder moves, and plain strings for records. Caches key clips by :attr:`Clip.key`
    (path, size, modification time), so an edited file is read afresh.

    Notebook: ``01_datasets.ipynb``.

    Args:
        data_dir: The collection's folder (a notebook's ``DATA_DIR``); ``~`` is
            expanded. May be ``None`` when ``labels`` names the table.
        classes: The class names in label order (a notebook's ``CLASSES``), or ``None``:
            sorted.
        labels: The CSV table (a notebook's ``LABELS``); a relative path is taken in
            ``data_dir``. ``None``: ``data_dir/labels.csv`` if it exists, else class
            folders.
        duration: Read at most this many seconds of each file (``None``: whole files).
        min_per_class: Fewest clips (and groups, with a group column) a class may have;
            ``None``: what the default split needs
            (:func:`mgr_utils.splits.min_clips_per_class`, 5).

    Returns:
        The clips, class by class in label order, each class's in id order; ``name``
        ``"folder"``, ``classes`` in label order, ``root`` the collection's folder.

    Raises:
        FolderNotFoundError: ``data_dir`` (or ``labels``) is not set or does not exist.
        FolderError: No audio files, a single class, a class with fewer clips (or
            groups) than ``min_per_class`` (before or after skipping unreadable files),
            a ``classes`` list that does not name the collection's classes, or a table
            without the columns, with a row lacking a path or label, naming a file twice
            or naming missing files. Each message says what to change.
        ValueError: A ``duration`` that is not positive.
    """
    from mgr_utils.audio import AudioLoadError, probe_audio
    from mgr_utils.splits import min_clips_per_class

    check_duration(duration, allow_none=True)
    need = min_clips_per_class() if min_per_class is None else int(min_per_class)
    if data_dir is None and labels is None:
        raise FolderNotFoundError(
            "DATA_DIR is not set: point it at the folder of your collection "
            '(with DATASET = "folder").\n' + _layout_help(need)
        )
    root = None if data_dir is None else Path(data_dir).expanduser()
    if root is not None and not root.is_dir():
        raise FolderNotFoundError(
            f"{root}: no such folder (DATA_DIR). Check the path.\n" + _layout_help(need)
        )
    table = None
    if labels is not None:
        table = Path(labels).expanduser()
        if not table.is_absolute() and root is not None:
            table = root / table
        # "data/../labels.csv" becomes "labels.csv": the root is named plainly
        table = Path(os.path.abspath(table))
        if not table.is_file():
            raise FolderNotFoundError(
                f"{table}: no such file (LABELS). Check the path (a relative one is "
                "taken in DATA_DIR).\n" + _layout_help(need)
            )
    elif (root / LABELS_FILE).is_file():
        table = root / LABELS_FILE
    ignored: list[tuple[str, str]] = []
    if table is not None:
        entries, found = _read_labels_table(table, ignored)
        root, where = table.parent, str(table)
    else:
        entries, found = _scan_class_folders(root, ignored)
        where = str(root)
    if not entries:
        raise FolderError(
            f"{where} holds no audio files"
            + (" in class sub-folders" if table is None else "")
            + f" (ignored: {dict(Counter(r for _, r in ignored)) or 'nothing'}).\n"
            + _layout_help(need)
        )
    order = _class_order(found, classes, where)
    if len(order) < 2:
        raise FolderError(
            f"{where} holds one class only ({order[0]!r}): recognising a genre needs "
            "two classes at least. Add a folder (or labels) for another class.\n"
            + _layout_help(need)
        )
    ids = Counter(e.clip_id for e in entries)
    twice = [i for i, n in ids.items() if n > 1]
    if twice:
        raise FolderError(
            f"{where}: files {twice[:5]} differ only in their Unicode form; rename "
            "one of each."
        )
    _check_class_sizes(entries, order, need, where)
    rank = {g: i for i, g in enumerate(order)}
    entries = sorted(entries, key=lambda e: (rank[e.genre], e.clip_id))
    kept, skipped = [], []
    for e in entries:
        try:
            probe_audio(e.path)
        except AudioLoadError as err:
            reason = (
                str(err).removeprefix(f"{e.path}: ").replace(str(e.path), e.clip_id)
            )
            warnings.warn(
                f"skipping {e.clip_id} (a file of the collection): {reason} Replace "
                "the file, or delete it to silence this warning.",
                stacklevel=2,
            )
            skipped.append((str(e.path), reason))
            continue
        kept.append(e)
    _check_class_sizes(kept, order, need, where, readable="readable ")
    clips = [
        Clip(
            e.clip_id,
            e.genre,
            path=e.path,
            duration=duration,
            group=e.group,
            classes=order,
        )
        for e in kept
    ]
    return ClipSet(clips, "folder", skipped, order, ignored, root)


def describe_collection(clips: ClipSet) -> str:
    """One sentence on a loaded collection: its classes, clips, and the files left out.

    For example ``"4 classes (Bossa Nova 9, Drum & Bass 9, Tango 9, k-pop 9): 36 clips;
    1 unreadable file skipped; 2 files ignored (1 hidden, 1 not audio)."``

    Notebook: ``01_datasets.ipynb``.
    """
    counts = clips.counts()
    text = (
        f"{len(clips.classes)} classes ("
        + ", ".join(f"{g} {counts.get(g, 0)}" for g in clips.classes)
        + f"): {len(clips)} clips"
    )
    groups = clips.groups
    if groups is not None:
        text += f" of {len(set(groups))} groups"
    if clips.skipped:
        n = len(clips.skipped)
        text += f"; {n} unreadable file{'s' if n > 1 else ''} skipped"
    if clips.ignored:
        n = len(clips.ignored)
        parts = ", ".join(f"{k} {r}" for r, k in clips.ignored_counts.items())
        text += f"; {n} file{'s' if n > 1 else ''} ignored ({parts})"
    return text + "."


def load_dataset(
    dataset: str = "synthetic", data_dir: str | Path | None = None, **kwargs
) -> ClipSet:
    """Load a dataset by the name a notebook's ``DATASET`` parameter holds.

    Notebook: ``01_datasets.ipynb``.

    Args:
        dataset: ``"synthetic"`` (embedded, default), ``"gtzan"`` or ``"folder"`` (any
            labelled collection, :func:`load_folder`).
        data_dir: For GTZAN and a folder collection: its folder (``DATA_DIR``).
        **kwargs: Passed on: ``n_per_genre``, ``duration``, ``seed`` for the synthetic
            set; ``duration`` (seconds to read at most) for GTZAN; ``duration``,
            ``classes`` (``CLASSES``) and ``labels`` (``LABELS``) for a folder
            collection. The others are ignored (a notebook passes all of them whatever
            its ``DATASET``).

    Raises:
        ValueError: An unknown dataset name, or ``classes`` or ``labels`` set for a
            dataset other than ``"folder"``.
    """
    folder_only = {k: kwargs.pop(k, None) for k in ("classes", "labels")}
    if dataset == "folder":
        return load_folder(data_dir, duration=kwargs.get("duration"), **folder_only)
    if dataset not in DATASETS:
        raise ValueError(
            f"unknown dataset {dataset!r}; DATASET must be one of {DATASETS}"
        )
    given = [k.upper() for k, v in folder_only.items() if v is not None]
    if given:
        raise ValueError(
            f"{' and '.join(given)} apply to DATASET = 'folder' only, not {dataset!r}: "
            "leave them at None"
        )
    if dataset == "synthetic":
        return load_synthetic(**kwargs)
    return load_gtzan(data_dir, **{k: v for k, v in kwargs.items() if k == "duration"})


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


# --------------------------------------------------------------------------------------
# A folder collection that is not GTZAN-shaped: the proof on data no one tuned for
# --------------------------------------------------------------------------------------

FOLDER_CLASSES = {
    "Bossa Nova": "jazz",
    "k-pop": "pop",
    "Tango": "classical",
    "Drum & Bass": "metal",
}
"""The classes of :func:`write_folder_collection` and the synthetic genre each is
rendered from: jazz's swung comping for bossa nova, pop for k-pop, classical's drumless
strings for tango, metal's 140-210 BPM double kick for drum & bass (160-180 BPM)."""

_FOLDER_PLACES = {
    "Bossa Nova": (
        ("João Gilberto", "Chega de Saudade"),
        ("ao vivo no café",),
        (),
    ),
    "k-pop": (("2019 singles",), ("앨범", "디럭스 에디션"), ()),
    "Tango": (("Piazzolla & co",), ("milongas", "1950s"), ()),
    "Drum & Bass": (("liquid",), ("neuro", "rollers, vol. 2"), ()),
}
_FOLDER_NAMES = {
    "Bossa Nova": "Faixa {n:02d} – garota de ipanema (take {n})",
    "k-pop": "곡 {n} (remix)",
    "Tango": "Libertango {n}, ensayo",
    "Drum & Bass": "track #{n} [174 bpm]",
}
FOLDER_FORMATS = (
    ("wav", "WAV", "PCM_16"),
    ("flac", "FLAC", "PCM_16"),
    ("ogg", "OGG", "VORBIS"),
    ("mp3", "MP3", "MPEG_LAYER_III"),
)
"""``(ending, soundfile format, subtype)`` of the files of
:func:`write_folder_collection`, in turn."""

FOLDER_RATES = (16000, 22050, 44100)
"""Sample rates of :func:`write_folder_collection`'s files, in turn (Hz)."""


def _folder_file(
    genre_class: str, i: int
) -> tuple[str, tuple[str, str, str], int, int]:
    """Where clip ``i`` of a class goes (relative path); its format, rate, channels."""
    fmt = FOLDER_FORMATS[i % len(FOLDER_FORMATS)]
    rate = FOLDER_RATES[(i + len(genre_class)) % len(FOLDER_RATES)]
    channels = 1 + (i // 2) % 2
    places = _FOLDER_PLACES[genre_class]
    name = _FOLDER_NAMES[genre_class].format(n=i + 1) + f".{fmt[0]}"
    return "/".join((genre_class, *places[i % len(places)], name)), fmt, rate, channels


def _write_folder_clip(clip: Clip, path: Path, fmt, rate: int, channels: int) -> str:
    """Render a synthetic clip, resample it, make it stereo if asked; write it."""
    import librosa
    import soundfile as sf

    from mgr_utils.atomic import atomic_write
    from mgr_utils.synthetic import render

    y = render(clip.genre, seed=clip.seed, duration=clip.duration, sr=clip.sr)
    if rate != clip.sr:
        y = librosa.resample(y, orig_sr=clip.sr, target_sr=rate, res_type="soxr_hq")
    if channels == 2:  # a little wider: the right channel quieter and 1 ms late
        late = np.concatenate(
            [np.zeros(rate // 1000, y.dtype), y[: y.size - rate // 1000]]
        )
        y = np.stack([y, 0.8 * late], axis=1)
    y = np.clip(y, -1.0, 1.0)
    with atomic_write(path, "wb") as f:
        sf.write(f, y, rate, format=fmt[1], subtype=fmt[2])
    return str(path)


def write_folder_collection(
    dest: str | Path,
    n_per_class: int = 9,
    duration: float = 10.0,
    seed: int = 0,
    table: bool = False,
    groups_per_class: int | None = None,
    n_jobs: int = -1,
    progress: bool = True,
) -> Path:
    """Write a small labelled collection unlike GTZAN, for ``DATASET = "folder"``.

    Four classes, ``Bossa Nova``, ``k-pop``, ``Tango`` and ``Drum & Bass``, rendered
    from the synthetic genres of :data:`FOLDER_CLASSES`; files in nested sub-folders
    with free names (spaces, accents, Hangul, ``&``, ``#``, brackets), in turn WAV,
    FLAC, Ogg Vorbis and MP3, at 16, 22.05 and 44.1 kHz, mono and stereo. Beside them
    the faults of a real collection: a hidden file (``Tango/.DS_Store``), a text file
    (``Bossa Nova/.../liner notes.txt``) and a broken audio file (``Drum &
    Bass/neuro/broken mix.wav``, text), which the loader ignores, ignores and skips
    (:func:`load_folder`).

    With ``table=True`` the files go under ``dest/audio/<group>/`` instead, and
    ``dest/labels.csv`` (``path,label,group``) labels them, each class's clips spread
    over ``groups_per_class`` groups (artists) named after the class; the hidden, text
    and broken files are in ``dest/audio/`` and have rows too (a listing made with
    ``find`` holds them).

    Clips already written are kept (an interrupted run resumes); each file appears only
    once complete.

    Notebook: ``01_datasets.ipynb`` (the README's "Run the book on your own music").

    Args:
        dest: The folder to write; use it as ``DATA_DIR``.
        n_per_class: Readable clips per class (at least the split's minimum,
            :func:`mgr_utils.splits.min_clips_per_class`, for the book to run).
        duration: Seconds per clip.
        seed: Seed of the synthetic clips (clip ``i`` of a class is clip ``i`` of its
            genre in :func:`load_synthetic`).
        table: Write the CSV layout instead of class folders.
        groups_per_class: Groups per class in the table (at most ``n_per_class``;
            ``None``: 5, or ``n_per_class`` when fewer).
        n_jobs: Worker processes (joblib convention).
        progress: Show a progress bar.

    Returns:
        ``dest``.

    Raises:
        ValueError: ``n_per_class`` or ``groups_per_class`` below 1, or more groups than
            clips.
    """
    import csv
    import io

    from joblib import Parallel, delayed
    from tqdm.auto import tqdm

    from mgr_utils.atomic import atomic_write

    if groups_per_class is None:
        groups_per_class = min(5, int(n_per_class))
    if int(n_per_class) < 1 or not 1 <= int(groups_per_class) <= int(n_per_class):
        raise ValueError(
            f"need n_per_class >= 1 and 1 <= groups_per_class <= n_per_class, got "
            f"{n_per_class} and {groups_per_class}"
        )
    dest = Path(dest).expanduser()
    clips = load_synthetic(
        n_per_genre=int(n_per_class),
        duration=duration,
        seed=seed,
        genres=tuple(FOLDER_CLASSES.values()),
    )
    by_genre = {g: [c for c in clips if c.genre == g] for g in FOLDER_CLASSES.values()}
    todo, rows = [], []
    for name, genre in FOLDER_CLASSES.items():
        for i, clip in enumerate(by_genre[genre]):
            rel, fmt, rate, channels = _folder_file(name, i)
            if table:
                group = f"{name} artist {i % int(groups_per_class) + 1}"
                rel = f"audio/{group}/{rel.rsplit('/', 1)[-1]}"
                rows.append((rel, name, group))
            path = dest / rel
            if not path.exists():
                todo.append((clip, path, fmt, rate, channels))
    hidden, text_file, broken = (
        "Tango/.DS_Store",
        "Bossa Nova/João Gilberto/liner notes.txt",
        "Drum & Bass/neuro/broken mix.wav",
    )
    if table:
        hidden, text_file = "audio/.DS_Store", "audio/liner notes.txt"
        broken = "audio/Drum & Bass artist 1/broken mix.wav"
        rows += [
            (hidden, "Tango", "Tango artist 1"),
            (text_file, "Bossa Nova", "Bossa Nova artist 1"),
            (broken, "Drum & Bass", "Drum & Bass artist 1"),
        ]
    extras = {
        hidden: b"\x00\x00\x00\x01Bud1 (a Finder file, not audio)",
        text_file: "Notas: gravado em 1959.\n".encode(),
        broken: b"RIFF: this is not a WAV file, but it is named like one.\n",
    }
    for rel, data in extras.items():
        path = dest / rel
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
    if table:
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows(
            [("path", "label", "group"), *rows]
        )
        with atomic_write(dest / LABELS_FILE, "w", encoding="utf-8") as f:
            f.write(out.getvalue())
    jobs = (delayed(_write_folder_clip)(*job) for job in todo)
    for _ in tqdm(
        Parallel(n_jobs=n_jobs, return_as="generator")(jobs),
        total=len(todo),
        disable=not progress,
        desc="writing clips",
    ):
        pass
    return dest


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m mgr_utils.datasets gtzan-like|folder-like DEST``: a test collection.

    ``gtzan-like``: the dress-rehearsal folder (:func:`write_gtzan_like`);
    ``folder-like``: a small collection that is not GTZAN-shaped
    (:func:`write_folder_collection`).

    Notebook: ``10_results.ipynb``.
    """
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m mgr_utils.datasets",
        description="Write a GTZAN-shaped folder of synthetic clips (gtzan-like), or a "
        "small collection of four other classes in free formats (folder-like).",
    )
    parser.add_argument("command", choices=("gtzan-like", "folder-like"))
    parser.add_argument("dest", help="the folder to write (then DATA_DIR=dest)")
    parser.add_argument(
        "--n-per-genre", type=int, default=None, help="clips per genre or class"
    )
    parser.add_argument("--duration", type=float, default=None)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--table", action="store_true", help="folder-like: labels.csv layout"
    )
    args = parser.parse_args(argv)
    if args.command == "gtzan-like":
        folder = write_gtzan_like(
            args.dest,
            n_per_genre=args.n_per_genre or 100,
            duration=args.duration or 30.0,
            seed=args.seed,
        )
        print(f"GTZAN-shaped synthetic clips in {folder}; use DATA_DIR={folder}")
        return 0
    folder = write_folder_collection(
        args.dest,
        n_per_class=args.n_per_genre or 9,
        duration=args.duration or 10.0,
        seed=args.seed,
        table=args.table,
    )
    print(
        f"a folder collection in {folder}; use DATASET=folder DATA_DIR={folder} "
        "DURATION=None"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
