"""The data a build reads: a fingerprint for the reuse key, and checks before a run.

A full run on GTZAN must not fail an hour in for want of data: :func:`check_gtzan` runs
before the first notebook and says what is missing and how to get it. A run on a folder
collection (``DATASET = "folder"``) is checked the same way by :func:`check_folder`;
:func:`check_data` runs both.
"""

from __future__ import annotations

import hashlib
import os
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from bookbuild.layout import BookError


def data_fingerprint(
    data_dir: str | os.PathLike | None, labels: str | os.PathLike | None = None
) -> str:
    """SHA-256 of the file list of ``data_dir`` (relative path, size, modification time), or ``"none"``.

    Cheap (one ``stat`` per file, no reading): enough to notice a replaced, added or
    deleted clip. With ``labels`` (a folder collection's ``LABELS`` table, relative
    paths taken in ``data_dir``), the file list of the table's folder is added, which
    holds the table and (usually) the files it names.
    """
    if labels is None:
        return _tree_fingerprint(data_dir)
    table = Path(labels).expanduser()
    if not table.is_absolute() and data_dir is not None:
        table = Path(data_dir).expanduser() / table
    both = f"{_tree_fingerprint(data_dir)}\0{_tree_fingerprint(table.parent)}"
    return hashlib.sha256(both.encode()).hexdigest()


def _tree_fingerprint(data_dir: str | os.PathLike | None) -> str:
    if data_dir is None:
        return "none"
    root = Path(data_dir).expanduser()
    if not root.is_dir():
        return f"missing:{root}"
    h = hashlib.sha256()
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(filenames):
            path = Path(dirpath) / name
            try:
                st = path.stat()
            except OSError:
                continue
            h.update(
                f"{path.relative_to(root).as_posix()}\0{st.st_size}\0{st.st_mtime_ns}\n".encode()
            )
    return h.hexdigest()


def check_data(
    params_by_notebook: Mapping[str, Mapping[str, Any]], lists_dir: str | None = None
) -> list[str]:
    """Check every notebook's data before anything executes: GTZAN, then folders.

    Returns:
        Lines describing what was checked (for the build's log).

    Raises:
        BookError: What is missing or wrong, for which notebooks, and what to do.
    """
    return check_gtzan(params_by_notebook, lists_dir) + check_folder(params_by_notebook)


def check_folder(params_by_notebook: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """Check, before anything executes, that each folder-collection run can load it.

    For each notebook whose ``DATASET`` is ``"folder"``, its ``DATA_DIR`` (with its
    ``CLASSES`` and ``LABELS``, when it takes them) is loaded as the notebook will load
    it (:func:`mgr_utils.datasets.load_folder`: the folder or table, the classes, each
    file's header, the clips per class the split needs), and its ``SPLIT`` must not be
    GTZAN's ``"filtered"``. Each distinct collection is loaded once.

    Returns:
        One line per collection: its folder and
            :func:`mgr_utils.datasets.describe_collection`.

    Raises:
        BookError: The collection's problems, for which notebooks, and what to do.
    """
    from mgr_utils.datasets import describe_collection, load_folder

    runs: dict[str, tuple[dict, list[str]]] = {}
    for nb, p in params_by_notebook.items():
        if p.get("DATASET") != "folder":
            continue
        args = {
            "data_dir": p.get("DATA_DIR"),
            "classes": p.get("CLASSES"),
            "labels": p.get("LABELS"),
        }
        runs.setdefault(repr(sorted(args.items())), (args, []))[1].append(nb)
    problems, notes = [], []
    filtered = sorted(
        nb
        for nb, p in params_by_notebook.items()
        if p.get("DATASET") == "folder" and p.get("SPLIT") == "filtered"
    )
    if filtered:
        problems.append(
            f"{', '.join(filtered)}: SPLIT = 'filtered' is GTZAN's split; a folder "
            "collection takes SPLIT = 'stratified' (groups of its table stay apart)"
        )
    for args, names in runs.values():
        try:
            with warnings.catch_warnings():  # unreadable files: counted in the note
                warnings.simplefilter("ignore")
                clips = load_folder(**args)
        except (OSError, ValueError) as err:
            problems.append(f"{', '.join(sorted(names))}: {err}")
            continue
        notes.append(f"folder collection in {clips.root}: {describe_collection(clips)}")
    if problems:
        raise BookError(
            "cannot start the run on the folder collection, nothing was executed:\n  "
            + "\n  ".join(problems)
        )
    return notes


def check_gtzan(
    params_by_notebook: Mapping[str, Mapping[str, Any]], lists_dir: str | None = None
) -> list[str]:
    """Check, before anything executes, that every notebook run on GTZAN can find its data.

    For each notebook whose ``DATASET`` is ``"gtzan"``: ``DATA_DIR`` must be set and hold GTZAN
    (any layout :func:`mgr_utils.datasets.load_gtzan` accepts); with ``SPLIT = "filtered"`` the
    split lists must be obtainable (cached, or downloadable with their checksums).

    Returns:
        Lines describing what was checked (for the build's log).

    Raises:
        BookError: What is missing, for which notebooks, and how to get it.
    """
    from mgr_utils.datasets import GTZAN_MANUAL_STEPS, find_gtzan_root

    gtzan = {
        nb: p for nb, p in params_by_notebook.items() if p.get("DATASET") == "gtzan"
    }
    if not gtzan:
        return []
    how = (
        "Fetch it with `python -m mgr_utils.download gtzan` (it prints the DATA_DIR to use), then run\n"
        "  make book-full DATA_DIR=/path/to/gtzan\n" + GTZAN_MANUAL_STEPS
    )
    problems, notes = [], []
    for data_dir in sorted({str(p.get("DATA_DIR")) for p in gtzan.values()}):
        names = sorted(
            nb for nb, p in gtzan.items() if str(p.get("DATA_DIR")) == data_dir
        )
        if data_dir == "None":
            problems.append(
                f"DATA_DIR is not set for {', '.join(names)}: the full run needs GTZAN."
            )
            continue
        folder = Path(data_dir).expanduser()
        if not folder.is_dir():
            problems.append(
                f"DATA_DIR {folder} is not a folder ({len(names)} notebooks use it)."
            )
            continue
        root = find_gtzan_root(folder)
        if root is None:
            problems.append(
                f"DATA_DIR {folder} holds no GTZAN genre folders (blues/blues.00000.wav, ...)."
            )
            continue
        n = sum(1 for g in root.iterdir() if g.is_dir() for _ in g.glob("*.*"))
        notes.append(f"GTZAN found in {root} ({n} files)")
    if not problems and any(p.get("SPLIT") == "filtered" for p in gtzan.values()):
        from mgr_utils.download import DownloadError, fetch_split_lists

        try:
            folder = fetch_split_lists(lists_dir)
            notes.append(f"fault-filtered split lists in {folder}")
        except DownloadError as err:
            problems.append(f"the fault-filtered split lists are not available: {err}")
    if problems:
        raise BookError(
            "cannot start the run on GTZAN, nothing was executed:\n  "
            + "\n  ".join(problems)
            + "\n\n"
            + how
        )
    return notes
