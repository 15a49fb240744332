"""Where things are: the book root, its table of contents, the build folder and its sub-folders.

The book root is the repository root (``_config.yml``, ``_toc.yml``, ``book/``, ``notebooks/``);
every function takes it as ``root`` so the tests run the same code on small throwaway books.

Build folder (``<root>/_build``, ``$MGR_BUILD_DIR`` or ``--build-dir``)::

    executed/notebooks/NN_name.ipynb  papermill's executed copies
    executed/manifest.json            what ran, from which inputs (the reuse key), how fast
    results/DATASET/NN_name.json      the results records ($MGR_RESULTS_DIR of the kernels)
    cache/                            feature and audio caches ($MGR_CACHE_DIR of the kernels)
    models/<DATASET>/<system>.json    the saved systems and their cards ($MGR_MODELS_DIR)
    site_src/                         the staged book that Jupyter Book renders
    html/index.html                   the site
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parents[1]
"""The repository root, which is also the book root."""

BUILD_DIR_ENV = "MGR_BUILD_DIR"
"""Environment variable naming the build folder (default ``<root>/_build``)."""

FAST_PARAMS = Path("notebooks") / "fast_params.yaml"
"""The fast parameters of the default build, relative to the book root."""

FULL_PARAMS = Path("notebooks") / "full_params.yaml"
"""The full run's parameters (real GTZAN, the papers' sizes), relative to the book root."""

BUILD_SUBFOLDERS = {
    "MGR_RESULTS_DIR": "results",
    "MGR_CACHE_DIR": "cache",
    "MGR_MODELS_DIR": "models",
}
"""Environment variables the runner sets for every kernel, and the build sub-folder each names.

Notebooks default ``RESULTS_DIR = None``, ``CACHE_DIR = None`` and ``MODELS_DIR = None``, which
mean these variables (or ``results/``, the user cache and ``models/`` when they are unset), so
no machine path is ever injected into a page.
"""

_TOC_KEYS = ("parts", "chapters", "sections", "subtrees", "entries")


class BookError(Exception):
    """A problem that stops a book command (printed without a Python traceback)."""


def default_build_dir(root: Path = REPO_ROOT) -> Path:
    """The build folder: ``$MGR_BUILD_DIR`` if set, else ``<root>/_build``."""
    env = os.environ.get(BUILD_DIR_ENV)
    return Path(env).resolve() if env else Path(root).resolve() / "_build"


def load_yaml(path: Path) -> Any:
    """Read a YAML file (an empty file reads as ``{}``)."""
    with open(path, encoding="utf-8") as f:
        return yaml.safe_load(f) or {}


def toc_entries(root: Path = REPO_ROOT) -> list[str]:
    """The documents of ``_toc.yml`` in reading order, as written there (no suffix)."""
    toc = load_yaml(Path(root) / "_toc.yml")
    entries = [toc["root"]] if "root" in toc else []
    entries += list(_walk_toc(toc))
    return [str(e).strip("/") for e in entries]


def _walk_toc(node: Any) -> Iterator[str]:
    """Yield the ``file`` entries below ``node`` depth first (parts, chapters, sections)."""
    if isinstance(node, dict):
        if "file" in node:
            yield node["file"]
        for key in _TOC_KEYS:
            yield from _walk_toc(node.get(key))
    elif isinstance(node, list):
        for item in node:
            yield from _walk_toc(item)


def prune_toc(node: Any, keep: set[str]) -> Any:
    """The toc without the ``file`` entries outside ``keep`` (their sections go too), nor emptied lists."""
    if isinstance(node, list):
        items = [prune_toc(item, keep) for item in node]
        return [item for item in items if item is not None]
    if isinstance(node, dict):
        if "file" in node and str(node["file"]).strip("/") not in keep:
            return None
        out = {}
        for key, value in node.items():
            if key in _TOC_KEYS:
                value = prune_toc(value, keep)
                if not value:
                    continue
            out[key] = value
        if (
            "file" not in node
            and "root" not in node
            and not any(k in out for k in _TOC_KEYS)
        ):
            return None
        return out
    return node


def resolve_doc(root: Path, entry: str) -> Path | None:
    """The file a toc entry names (``.ipynb``, ``.md`` or ``.rst``), or ``None`` if none exists."""
    base = Path(root) / entry
    if base.suffix in (".ipynb", ".md", ".rst") and base.is_file():
        return base
    for suffix in (".ipynb", ".md", ".rst"):
        candidate = base.with_name(base.name + suffix)
        if candidate.is_file():
            return candidate
    return None


def missing_toc_entries(root: Path = REPO_ROOT) -> list[str]:
    """Toc entries with no file behind them."""
    return [e for e in toc_entries(root) if resolve_doc(root, e) is None]


def toc_notebooks(root: Path = REPO_ROOT) -> list[Path]:
    """The notebooks of the toc, in reading order (entries without a file are left out)."""
    docs = (resolve_doc(root, e) for e in toc_entries(root))
    return [d for d in docs if d is not None and d.suffix == ".ipynb"]


def chapter_notebooks(root: Path = REPO_ROOT) -> list[Path]:
    """The toc's numbered chapters, in reading order: the notebooks of its parts marked
    ``numbered`` (every notebook when no part is). The notebooks of an unnumbered part,
    such as the back matter's page "Classify your own music", are pages, not chapters:
    no number, no paper of their own, no results record."""
    toc = load_yaml(Path(root) / "_toc.yml")
    parts = toc.get("parts") or []
    if not any(p.get("numbered") for p in parts):
        return toc_notebooks(root)
    entries = [e for p in parts if p.get("numbered") for e in _walk_toc(p)]
    docs = (resolve_doc(root, str(e).strip("/")) for e in entries)
    return [d for d in docs if d is not None and d.suffix == ".ipynb"]


def select_notebooks(root: Path, only=None, *, partial: bool = False) -> list[Path]:
    """The toc's notebooks whose relative path contains one of the ``only`` substrings (all if none).

    Raises:
        BookError: A selected toc entry has no file (unless ``partial``), or nothing matches ``only``.
    """
    entries = toc_entries(root)
    if only:
        entries = [e for e in entries if any(o in e for o in only)]
        if not entries:
            raise BookError(f"no toc entry matches {list(only)}")
    missing = [e for e in entries if resolve_doc(root, e) is None]
    if missing and not partial:
        raise BookError("toc entries without a file: " + ", ".join(missing))
    docs = [resolve_doc(root, e) for e in entries if e not in missing]
    return [d for d in docs if d.suffix == ".ipynb"]


READS_ALL_RECORDS = ("load_results(",)
"""Calls that read every chapter's results record (chapter 10)."""

READS_SAVED_SYSTEMS = (
    "predict_file(",
    "load_systems(",
    "list_systems(",
    "load_system(",
    "load_systems_under_test(",
)
"""Calls that read the systems other chapters saved (chapter 12, "Classify your own music")."""


def execution_order(notebooks: list[Path]) -> list[Path]:
    """Toc order, except that the chapters which read other chapters' output run after them.

    Chapter 10 (results) comes before chapter 11 in the toc but reads its record: a notebook
    whose code calls ``load_results(`` runs last, so a fresh build never reports a later chapter
    as missing. A notebook that runs saved systems (:data:`READS_SAVED_SYSTEMS`) runs after
    every chapter that may save one, and before chapter 10 (it may write a record too).
    """

    def rank(nb: Path) -> int:
        text = Path(nb).read_text(encoding="utf-8")
        if any(call in text for call in READS_ALL_RECORDS):
            return 2
        return 1 if any(call in text for call in READS_SAVED_SYSTEMS) else 0

    return sorted(notebooks, key=rank)


def relpath(root: Path, path: Path) -> str:
    """``path`` relative to ``root``, with forward slashes."""
    return Path(path).resolve().relative_to(Path(root).resolve()).as_posix()


def executed_path(root: Path, build_dir: Path, notebook: Path) -> Path:
    """Where the executed copy of a source notebook goes: ``<build>/executed/<same relative path>``."""
    return Path(build_dir) / "executed" / relpath(root, notebook)


def source_notebooks(root: Path = REPO_ROOT) -> list[Path]:
    """Every ``notebooks/*.ipynb`` of the book, sorted."""
    return sorted((Path(root) / "notebooks").glob("*.ipynb"))
