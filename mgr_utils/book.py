"""Execute the book's notebooks with papermill and render the site with Jupyter Book 1.x.

Notebook: all (book tooling).

Command line, from the repository root::

    python -m mgr_utils.book build   [--build-dir DIR] [--only NAME] [--params FILE] [-p KEY=VALUE]...
    python -m mgr_utils.book execute [--build-dir DIR] [--only NAME] [--params FILE] [-p KEY=VALUE]...
    python -m mgr_utils.book render  [--build-dir DIR]
    (build/execute/render --partial: leave out toc entries that have no file yet, for a preview)
    python -m mgr_utils.book sync    # rewrite each notebook's Colab cells, strip outputs
    python -m mgr_utils.book check   # verify the same without writing; exit 1 listing problems

``execute`` runs every notebook of ``_toc.yml``, in toc order, with papermill. Each notebook gets
only those fast parameters (``notebooks/fast_params.yaml``) that its ``parameters`` cell declares,
and ``RESULTS_DIR`` / ``CACHE_DIR`` point into the build folder. The first failing cell stops the
run and is reported with its notebook, index, source and exception. ``render`` stages the executed
copies beside ``_config.yml``, ``_toc.yml`` and ``book/`` and runs ``jupyter-book build`` with
warnings as errors; it refuses to publish a notebook that has not been executed from its current
source. ``build`` is ``execute`` then ``render``, with a timing summary.

The build folder (``_build`` under the book root, or ``$MGR_BUILD_DIR``, or ``--build-dir``)::

    executed/notebooks/NN_name.ipynb  papermill's executed copies
    executed/manifest.json            which copies finished, from which source (sha256), how fast
    results/NN_name.json              the results records (each notebook's RESULTS_DIR)
    cache/                            feature caches (each notebook's CACHE_DIR)
    site_src/                         the staged book that Jupyter Book renders
    html/index.html                   the site

Every function takes the book's ``root`` (default: this repository), so the tests run the same code
on small throwaway books.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parents[1]
"""The repository root, which is also the book root."""

BUILD_DIR_ENV = "MGR_BUILD_DIR"
"""Environment variable naming the build folder (default ``<root>/_build``)."""

FAST_PARAMS = Path("notebooks") / "fast_params.yaml"
"""The one file of fast parameters, relative to the book root."""

KERNEL_NAME = "python3"
CELL_TIMEOUT = 1200
"""Seconds one cell may run before the build fails (Jupyter Book's own default is 30 s)."""

BUILD_MANAGED_PARAMETERS = {"RESULTS_DIR": "results", "CACHE_DIR": "cache"}
"""Notebook parameters the runner sets itself, to these sub-folders of the build folder."""

PACKAGE_NAME = "mgr-cnn-book"
"""The distribution name the Colab install cell installs (``[project].name`` of pyproject.toml)."""

BADGE_TAG = "colab-badge"
INSTALL_TAG = "colab-install"
PARAMETERS_TAG = "parameters"
INJECTED_TAG = "injected-parameters"

KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": KERNEL_NAME}

ASSET_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp", ".wav", ".mp3", ".ogg", ".csv"}
"""Files beside the notebooks that are staged with them (figures or sounds linked from markdown)."""

_STRIPPED_CELL_METADATA = ("execution", "ExecuteTime", "papermill")
_STRIPPED_NOTEBOOK_METADATA = ("papermill", "widgets")
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")

Log = Callable[[str], None]


class BookError(Exception):
    """A problem that stops a book command (printed without a Python traceback).

    Notebook: all (book tooling).
    """


@dataclass
class NotebookError(BookError):
    """A notebook failed to execute: which one, which cell, and why.

    Notebook: all (book tooling).

    Attributes:
        notebook: The notebook's path relative to the book root.
        cell_index: Index (0-based) of the failing cell in the *source* notebook, or ``None``.
        execution_count: The cell's ``In [n]`` number in the executed copy, or ``None``.
        source: The failing cell's source.
        ename: Exception class name, e.g. ``"ValueError"``.
        evalue: Exception message.
        traceback: Traceback lines (ANSI colours removed).
        output: The partially executed copy, kept for inspection.
    """

    notebook: str
    cell_index: int | None
    execution_count: int | None
    source: str
    ename: str
    evalue: str
    traceback: list[str]
    output: Path | None = None

    def __str__(self) -> str:
        where = f"cell {self.cell_index} (0-based)" if self.cell_index is not None else "unknown cell"
        if self.execution_count is not None:
            where += f", In [{self.execution_count}]"
        lines = [f"FAILED: {self.notebook}, {where}"]
        if self.source:
            src = self.source.splitlines()
            lines.append("  cell source:")
            lines += [f"    {line}" for line in src[:8]]
            if len(src) > 8:
                lines.append(f"    ... ({len(src) - 8} more lines)")
        lines.append(f"  exception: {self.ename}: {self.evalue}")
        tail = [t for tb in self.traceback for t in tb.splitlines()][-12:]
        if tail:
            lines.append("  traceback (last lines):")
            lines += [f"    {line}" for line in tail]
        if self.output is not None:
            lines.append(f"  partially executed copy: {self.output}")
        return "\n".join(lines)


# --------------------------------------------------------------------------- book layout


def default_build_dir(root: Path = REPO_ROOT) -> Path:
    """The build folder: ``$MGR_BUILD_DIR`` if set, else ``<root>/_build``.

    Notebook: all (book tooling).
    """
    env = os.environ.get(BUILD_DIR_ENV)
    return Path(env).resolve() if env else Path(root).resolve() / "_build"


def load_yaml(path: Path) -> Any:
    """Read a YAML file (an empty file reads as ``{}``).

    Notebook: all (book tooling).
    """
    with open(path, encoding="utf-8") as f:
        return yaml.safe_load(f) or {}


def toc_entries(root: Path = REPO_ROOT) -> list[str]:
    """The documents of ``_toc.yml`` in reading order, as written there (no suffix).

    Notebook: all (book tooling).
    """
    toc = load_yaml(Path(root) / "_toc.yml")
    entries = [toc["root"]] if "root" in toc else []
    entries += list(_walk_toc(toc))
    return [str(e).strip("/") for e in entries]


def _walk_toc(node: Any) -> Iterator[str]:
    """Yield the ``file`` entries below ``node`` depth first (parts, chapters, sections)."""
    if isinstance(node, dict):
        if "file" in node:
            yield node["file"]
        for key in ("parts", "chapters", "sections", "subtrees", "entries"):
            yield from _walk_toc(node.get(key))
    elif isinstance(node, list):
        for item in node:
            yield from _walk_toc(item)


def resolve_doc(root: Path, entry: str) -> Path | None:
    """The file a toc entry names (``.ipynb``, ``.md`` or ``.rst``), or ``None`` if none exists.

    Notebook: all (book tooling).
    """
    base = Path(root) / entry
    if base.suffix in (".ipynb", ".md", ".rst") and base.is_file():
        return base
    for suffix in (".ipynb", ".md", ".rst"):
        candidate = base.with_name(base.name + suffix)
        if candidate.is_file():
            return candidate
    return None


def missing_toc_entries(root: Path = REPO_ROOT) -> list[str]:
    """Toc entries with no file behind them.

    Notebook: all (book tooling).
    """
    return [e for e in toc_entries(root) if resolve_doc(root, e) is None]


def toc_notebooks(root: Path = REPO_ROOT) -> list[Path]:
    """The notebooks of the toc, in reading order (entries without a file are left out).

    Notebook: all (book tooling).
    """
    docs = (resolve_doc(root, e) for e in toc_entries(root))
    return [d for d in docs if d is not None and d.suffix == ".ipynb"]


def relpath(root: Path, path: Path) -> str:
    """``path`` relative to ``root``, with forward slashes."""
    return Path(path).resolve().relative_to(Path(root).resolve()).as_posix()


def executed_path(root: Path, build_dir: Path, notebook: Path) -> Path:
    """Where the executed copy of a source notebook goes: ``<build>/executed/<same relative path>``.

    Notebook: all (book tooling).
    """
    return Path(build_dir) / "executed" / relpath(root, notebook)


# --------------------------------------------------------------------------- parameters


def load_params(path: Path) -> dict[str, Any]:
    """Read the flat ``NAME: value`` mapping of fast parameters.

    Notebook: all (book tooling).

    Raises:
        BookError: The file is not a flat mapping of names to plain values.
    """
    params = load_yaml(path)
    if not isinstance(params, dict):
        raise BookError(f"{path}: expected a mapping NAME: value, got {type(params).__name__}")
    for key, value in params.items():
        if not isinstance(key, str) or not key.isidentifier():
            raise BookError(f"{path}: {key!r} is not a valid parameter name")
        if isinstance(value, dict):
            raise BookError(f"{path}: {key} must be a plain value (the file is flat), got a mapping")
    return params


def parse_overrides(pairs: Iterable[str]) -> dict[str, Any]:
    """Turn ``["EPOCHS=2", "DATASET=gtzan"]`` into ``{"EPOCHS": 2, "DATASET": "gtzan"}`` (YAML values).

    Notebook: all (book tooling).
    """
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip().isidentifier():
            raise BookError(f"-p expects KEY=VALUE, got {pair!r}")
        out[key.strip()] = yaml.safe_load(value) if value.strip() else ""
    return out


def declared_parameters(notebook: Path) -> list[str]:
    """The names a notebook's ``parameters`` cell declares (papermill's inspection).

    Notebook: all (book tooling).
    """
    import papermill

    try:
        return list(papermill.inspect_notebook(str(notebook)))
    except Exception as err:  # papermill raises bare ValueErrors, e.g. for a missing kernelspec
        raise BookError(f"{notebook.name}: cannot read its parameters cell: {err}") from err


def select_parameters(declared: Sequence[str], params: dict[str, Any], build_dir: Path) -> dict[str, Any]:
    """The parameters one notebook receives: the declared subset of ``params`` and the build folders.

    Notebook: all (book tooling).

    Args:
        declared: Names of the notebook's ``parameters`` cell.
        params: Fast parameters and overrides.
        build_dir: Build folder; ``RESULTS_DIR``/``CACHE_DIR`` become absolute folders inside it.
    """
    chosen = {k: v for k, v in params.items() if k in declared}
    for name, sub in BUILD_MANAGED_PARAMETERS.items():
        if name in declared:
            chosen[name] = str((Path(build_dir) / sub).resolve())
    return chosen


# --------------------------------------------------------------------------- execution


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def read_manifest(build_dir: Path) -> dict[str, Any]:
    """The record of finished executions: ``{relpath: {"sha256", "seconds", "parameters"}}``.

    Notebook: all (book tooling).
    """
    path = Path(build_dir) / "executed" / "manifest.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def _write_manifest(build_dir: Path, manifest: dict[str, Any]) -> None:
    from mgr_utils.results import write_json_atomic

    write_json_atomic(Path(build_dir) / "executed" / "manifest.json", manifest)


def execute_notebook(
    root: Path,
    notebook: Path,
    build_dir: Path,
    params: dict[str, Any],
    timeout: int = CELL_TIMEOUT,
) -> float:
    """Execute one notebook with papermill into the build folder; return its wall time in seconds.

    Notebook: all (book tooling).

    The kernel runs in the source notebook's folder (so relative paths work as they do for a reader),
    with the book root on ``PYTHONPATH`` (so the repository's own ``mgr_utils`` is imported).

    Raises:
        NotebookError: A cell raised, timed out, or the kernel died.
    """
    import papermill
    from papermill.exceptions import PapermillExecutionError

    root, notebook, build_dir = Path(root).resolve(), Path(notebook).resolve(), Path(build_dir).resolve()
    name = relpath(root, notebook)
    out = executed_path(root, build_dir, notebook)
    out.parent.mkdir(parents=True, exist_ok=True)
    chosen = select_parameters(declared_parameters(notebook), params, build_dir)
    for sub in BUILD_MANAGED_PARAMETERS.values():
        (build_dir / sub).mkdir(parents=True, exist_ok=True)

    manifest = read_manifest(build_dir)
    manifest.pop(name, None)
    _write_manifest(build_dir, manifest)

    sha = file_sha256(notebook)
    start = time.perf_counter()
    try:
        with _pythonpath(root):
            papermill.execute_notebook(
                str(notebook),
                str(out),
                parameters=chosen,
                kernel_name=KERNEL_NAME,
                cwd=str(notebook.parent),
                progress_bar=False,
                log_output=False,
                execution_timeout=timeout,
                start_timeout=120,
            )
    except PapermillExecutionError as err:
        raise _error_from_papermill(name, notebook, err, out) from None
    except Exception as err:  # timeouts, dead kernels, a missing kernel
        raise _error_from_other(name, notebook, err, out) from None
    seconds = time.perf_counter() - start

    manifest = read_manifest(build_dir)
    manifest[name] = {"sha256": sha, "seconds": round(seconds, 2), "parameters": chosen}
    _write_manifest(build_dir, manifest)
    return seconds


class _pythonpath:
    """Context manager: put ``root`` first on ``PYTHONPATH`` for the kernels started inside it."""

    def __init__(self, root: Path):
        self.root = str(root)

    def __enter__(self):
        self.old = os.environ.get("PYTHONPATH")
        os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (self.root, self.old) if p)

    def __exit__(self, *exc):
        if self.old is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = self.old


def _source_cell_index(notebook: Path, source: str, approx: int | None) -> int | None:
    """Index in the source notebook of the code cell whose source is ``source`` (nearest ``approx``)."""
    import nbformat

    nb = nbformat.read(str(notebook), as_version=4)
    hits = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and c.source == source]
    if not hits:
        return approx
    return min(hits, key=lambda i: abs(i - (approx or 0)))


def _error_from_papermill(name: str, notebook: Path, err: Any, out: Path) -> NotebookError:
    """Turn papermill's execution error into a :class:`NotebookError` with the source's cell index."""
    return NotebookError(
        notebook=name,
        cell_index=_source_cell_index(notebook, err.source, err.cell_index),
        execution_count=err.exec_count,
        source=err.source,
        ename=err.ename,
        evalue=_ANSI.sub("", str(err.evalue)),
        traceback=[_ANSI.sub("", t) for t in (err.traceback or [])],
        output=out if out.exists() else None,
    )


def _error_from_other(name: str, notebook: Path, err: Exception, out: Path) -> NotebookError:
    """A timeout or a dead kernel: find the culprit cell in the copy papermill saved, if any.

    On a timeout nbclient interrupts the kernel, so the cell holds a ``KeyboardInterrupt`` error; a
    dead kernel leaves the cell marked ``running``.
    """
    import nbformat

    index, source, count = None, "", None
    if out.exists():
        try:
            nb = nbformat.read(str(out), as_version=4)
            for cell in nb.cells:
                status = cell.get("metadata", {}).get("papermill", {}).get("status")
                errored = any(o.get("output_type") == "error" for o in cell.get("outputs", []))
                if cell.cell_type == "code" and (errored or status in ("running", "failed")):
                    source, count = cell.source, cell.get("execution_count")
                    index = _source_cell_index(notebook, source, None)
                    break
        except Exception:
            pass
    return NotebookError(
        notebook=name,
        cell_index=index,
        execution_count=count,
        source=source,
        ename=type(err).__name__,
        evalue=_ANSI.sub("", str(err)).strip().splitlines()[0] if str(err).strip() else "",
        traceback=[],
        output=out if out.exists() else None,
    )


def select_notebooks(root: Path, only: Sequence[str] | None = None, *, partial: bool = False) -> list[Path]:
    """The toc's notebooks whose relative path contains one of the ``only`` substrings (all if none).

    Notebook: all (book tooling).

    Args:
        root: The book root.
        only: Substrings of toc entries to keep.
        partial: Skip toc entries that have no file yet instead of failing.

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
    entries = [e for e in entries if e not in missing]
    docs = [resolve_doc(root, e) for e in entries]
    return [d for d in docs if d.suffix == ".ipynb"]


def execute_book(
    root: Path = REPO_ROOT,
    build_dir: Path | None = None,
    *,
    only: Sequence[str] | None = None,
    params_file: Path | None = None,
    overrides: dict[str, Any] | None = None,
    timeout: int = CELL_TIMEOUT,
    partial: bool = False,
    log: Log = print,
) -> list[tuple[str, float]]:
    """Execute the toc's notebooks in order; stop at the first failure.

    Notebook: all (book tooling).

    Args:
        root: The book root (holds ``_toc.yml`` and ``notebooks/fast_params.yaml``).
        build_dir: Build folder (default :func:`default_build_dir`).
        only: Substrings; run only the notebooks whose path contains one of them.
        params_file: The fast parameters (default ``<root>/notebooks/fast_params.yaml``).
        overrides: Values that replace or add to the file's.
        timeout: Seconds per cell.
        partial: Skip toc entries that have no file yet (a preview while chapters are written).
        log: Where progress lines go.

    Returns:
        ``(notebook file name, seconds)`` per executed notebook.

    Raises:
        NotebookError: The first failing notebook (the ones before it stay executed).
    """
    root = Path(root).resolve()
    build_dir = Path(build_dir).resolve() if build_dir else default_build_dir(root)
    params_file = Path(params_file) if params_file else root / FAST_PARAMS
    params = load_params(params_file) if params_file.exists() else {}
    params.update(overrides or {})
    timings = []
    for nb in select_notebooks(root, only, partial=partial):
        seconds = execute_notebook(root, nb, build_dir, params, timeout)
        log(f"executed {nb.name} in {seconds:.1f} s")
        timings.append((nb.name, seconds))
    return timings


# --------------------------------------------------------------------------- rendering


def unexecuted_notebooks(root: Path, build_dir: Path) -> list[str]:
    """Toc notebooks without a finished executed copy of their current source, with the reason.

    Notebook: all (book tooling).
    """
    root, build_dir = Path(root).resolve(), Path(build_dir).resolve()
    manifest = read_manifest(build_dir)
    problems = []
    for nb in toc_notebooks(root):
        name = relpath(root, nb)
        entry = manifest.get(name)
        if entry is None or not executed_path(root, build_dir, nb).exists():
            problems.append(f"{name}: not executed (run `python -m mgr_utils.book execute`)")
        elif entry["sha256"] != file_sha256(nb):
            problems.append(f"{name}: changed since it was executed (execute it again)")
    return problems


def stage_site(root: Path, build_dir: Path, *, partial: bool = False) -> Path:
    """Copy the book into ``<build>/site_src`` with the executed notebooks in place of the sources.

    Notebook: all (book tooling).

    The staged tree has the same relative paths as the repository (``_config.yml``, ``_toc.yml``,
    ``book/``, ``notebooks/NN_name.ipynb``), so toc entries and launch buttons are unchanged.
    With ``partial``, the staged ``_toc.yml`` leaves out the entries that have no file yet.
    """
    root, build_dir = Path(root).resolve(), Path(build_dir).resolve()
    site = build_dir / "site_src"
    if site.exists():
        shutil.rmtree(site)
    site.mkdir(parents=True)
    ignore = shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__", "_build")
    shutil.copy2(root / "_config.yml", site / "_config.yml")
    if partial:
        keep = {e for e in toc_entries(root) if resolve_doc(root, e) is not None}
        toc = _prune_toc(load_yaml(root / "_toc.yml"), keep)
        (site / "_toc.yml").write_text(yaml.safe_dump(toc, sort_keys=False), encoding="utf-8")
    else:
        shutil.copy2(root / "_toc.yml", site / "_toc.yml")
    if (root / "book").is_dir():
        shutil.copytree(root / "book", site / "book", ignore=ignore)
    config = load_yaml(root / "_config.yml")
    extra = list(config.get("bibtex_bibfiles") or []) + [config.get("logo") or ""]
    extra.append((config.get("html") or {}).get("favicon") or "")
    for rel in filter(None, extra):
        _copy_into(root / rel, site / rel)
    for entry in toc_entries(root):
        doc = resolve_doc(root, entry)
        if doc is None:
            continue
        rel = relpath(root, doc)
        if doc.suffix == ".ipynb":
            _copy_into(executed_path(root, build_dir, doc), site / rel)
            _copy_assets(doc.parent, site / Path(rel).parent)
        elif not (site / rel).exists():
            _copy_into(doc, site / rel)
    return site


def _prune_toc(node: Any, keep: set[str]) -> Any:
    """The toc without the ``file`` entries outside ``keep`` (their sections go too), nor emptied lists."""
    if isinstance(node, list):
        items = [_prune_toc(item, keep) for item in node]
        return [item for item in items if item is not None]
    if isinstance(node, dict):
        if "file" in node and str(node["file"]).strip("/") not in keep:
            return None
        out = {}
        for key, value in node.items():
            if key in ("parts", "chapters", "sections", "subtrees", "entries"):
                value = _prune_toc(value, keep)
                if not value:
                    continue
            out[key] = value
        if "file" not in node and "root" not in node and not any(
            k in out for k in ("parts", "chapters", "sections", "subtrees", "entries")
        ):
            return None
        return out
    return node


def _copy_into(src: Path, dst: Path) -> None:
    if src.is_file():
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dst)


def _copy_assets(src_dir: Path, dst_dir: Path) -> None:
    """Copy figure and sound files found under a notebook folder (not data, results or caches)."""
    skip = {"data", "results", "cache", ".cache", ".ipynb_checkpoints", "__pycache__", "_build"}
    for path in src_dir.rglob("*"):
        parts = path.relative_to(src_dir).parts
        if path.is_file() and path.suffix.lower() in ASSET_SUFFIXES and not skip.intersection(parts):
            target = dst_dir / path.relative_to(src_dir)
            if not target.exists():
                _copy_into(path, target)


def _copy_staged_assets(root: Path, site: Path, html: Path) -> None:
    """Copy the sound and image files staged beside the notebooks into the site, at the same paths.

    Sphinx copies only the files it knows about; a raw HTML output such as ``<audio src="x.wav">``
    would otherwise point at nothing on the published site.
    """
    for folder in {relpath(root, nb.parent) for nb in toc_notebooks(root)}:
        staged = site / folder
        for path in staged.rglob("*") if staged.is_dir() else ():
            if path.is_file() and path.suffix.lower() in ASSET_SUFFIXES:
                target = html / folder / path.relative_to(staged)
                if not target.exists():
                    _copy_into(path, target)


def render_book(
    root: Path = REPO_ROOT,
    build_dir: Path | None = None,
    *,
    partial: bool = False,
    quiet: bool = True,
    log: Log = print,
) -> Path:
    """Render the executed notebooks and the prose into ``<build>/html``; return ``index.html``.

    Notebook: all (book tooling).

    Runs ``jupyter-book build --warningiserror --keep-going --all`` on the staged copy, so any Sphinx
    warning (a broken reference, an unknown citation, an unreadable output) fails the build.

    With ``partial``, toc entries that have no file yet are left out of the site (a preview while
    chapters are being written); a notebook that exists must still be executed.

    Raises:
        BookError: A toc notebook has no executed copy of its current source, a toc entry has no
            file (unless ``partial``), the build failed, or a toc page is missing from the HTML.
    """
    root = Path(root).resolve()
    build_dir = Path(build_dir).resolve() if build_dir else default_build_dir(root)
    missing = missing_toc_entries(root)
    problems = [] if partial else [f"{e}: listed in _toc.yml but no such file" for e in missing]
    problems += unexecuted_notebooks(root, build_dir)
    if problems:
        raise BookError("cannot render:\n  " + "\n  ".join(problems))
    if missing:
        log("partial site, without: " + ", ".join(missing))
    site = stage_site(root, build_dir, partial=partial)
    cmd = [
        sys.executable,
        "-c",
        "import sys; from jupyter_book.cli.main import main; sys.exit(main())",
        "build",
        str(site),
        "--builder",
        "html",
        "--all",
        "--warningiserror",
        "--keep-going",
    ]
    if quiet:
        cmd.append("--quiet")
    # Jupyter Book's own banner names the staging folder, not <build>/html: show its log only when
    # asked for or when the build fails.
    result = subprocess.run(cmd, cwd=site, capture_output=True, text=True)
    html_src = site / "_build" / "html"
    failed = result.returncode != 0 or not (html_src / "index.html").exists()
    if failed or not quiet:
        log(result.stdout + result.stderr)
    if failed:
        log_lines = _ANSI.sub("", result.stdout + result.stderr).splitlines()
        warnings = [line for line in log_lines if "WARNING" in line or "ERROR" in line or "Error" in line]
        raise BookError(
            f"jupyter-book build failed (exit {result.returncode}; Sphinx warnings are errors):\n  "
            + "\n  ".join(warnings or ["see the log above"])
        )
    html = build_dir / "html"
    if html.exists():
        shutil.rmtree(html)
    shutil.move(str(html_src), str(html))
    _copy_staged_assets(root, site, html)
    absent = [e for e in toc_entries(root) if e not in missing and not (html / f"{e}.html").exists()]
    if absent:
        raise BookError("pages missing from the HTML: " + ", ".join(absent))
    return html / "index.html"


def build_book(
    root: Path = REPO_ROOT,
    build_dir: Path | None = None,
    *,
    only: Sequence[str] | None = None,
    params_file: Path | None = None,
    overrides: dict[str, Any] | None = None,
    timeout: int = CELL_TIMEOUT,
    partial: bool = False,
    quiet: bool = True,
    log: Log = print,
) -> Path:
    """Execute, then render, printing the set-up and the wall time of every phase.

    Notebook: all (book tooling).

    Returns:
        The site's ``index.html``.
    """
    import jupyter_book
    import papermill

    root = Path(root).resolve()
    build_dir = Path(build_dir).resolve() if build_dir else default_build_dir(root)
    params_file = Path(params_file) if params_file else root / FAST_PARAMS
    params = {**(load_params(params_file) if params_file.exists() else {}), **(overrides or {})}
    log("== set-up")
    versions = f"papermill {papermill.__version__}, jupyter-book {jupyter_book.__version__}"
    log(f"  python {sys.version.split()[0]}, {versions}")
    log(f"  book root: {root}")
    log(f"  build folder: {build_dir}")
    log(f"  parameters ({params_file.name}{' + overrides' if overrides else ''}): {params}")
    log(f"  notebooks: {', '.join(nb.name for nb in select_notebooks(root, only, partial=partial))}")
    start = time.perf_counter()
    log("== execute")
    timings = execute_book(
        root,
        build_dir,
        only=only,
        params_file=params_file,
        overrides=overrides,
        timeout=timeout,
        partial=partial,
        log=log,
    )
    t_exec = time.perf_counter() - start
    log("== render")
    t0 = time.perf_counter()
    index = render_book(root, build_dir, partial=partial, quiet=quiet, log=log)
    t_render = time.perf_counter() - t0
    log("== timing summary")
    for name, seconds in timings:
        log(f"executed {name} in {seconds:.1f} s")
    log(f"execute: {t_exec:.1f} s ({len(timings)} notebooks)")
    log(f"render: {t_render:.1f} s")
    log(f"total: {time.perf_counter() - start:.1f} s")
    log(f"HTML: {index}")
    return index


# --------------------------------------------------------------------------- Colab cells (sync/check)


@dataclass(frozen=True)
class Repository:
    """Where the book lives: parsed from ``repository`` and ``launch_buttons`` of ``_config.yml``.

    Notebook: all (book tooling).
    """

    url: str
    owner: str
    name: str
    branch: str
    path_to_book: str = ""
    colab_url: str = "https://colab.research.google.com"

    def colab_link(self, notebook_relpath: str) -> str:
        """The Colab URL that opens ``notebook_relpath`` (relative to the book root) from GitHub."""
        path = "/".join(p for p in (self.path_to_book.strip("/"), notebook_relpath) if p)
        return f"{self.colab_url}/github/{self.owner}/{self.name}/blob/{self.branch}/{path}"


def read_repository(root: Path = REPO_ROOT) -> Repository:
    """Parse the repository of ``_config.yml`` (the one place its public URL is written).

    Notebook: all (book tooling).

    Raises:
        BookError: No ``repository.url``, or not a GitHub URL (Colab opens GitHub files only).
    """
    config = load_yaml(Path(root) / "_config.yml")
    repo = config.get("repository") or {}
    url = str(repo.get("url") or "").rstrip("/")
    m = re.fullmatch(r"https://github\.com/([^/]+)/([^/]+?)(?:\.git)?", url)
    if not m:
        raise BookError(f"_config.yml: repository.url must be https://github.com/<owner>/<repo>, got {url!r}")
    colab = str((config.get("launch_buttons") or {}).get("colab_url") or Repository.colab_url).rstrip("/")
    return Repository(
        url=f"https://github.com/{m[1]}/{m[2]}",
        owner=m[1],
        name=m[2],
        branch=str(repo.get("branch") or "main"),
        path_to_book=str(repo.get("path_to_book") or ""),
        colab_url=colab,
    )


def badge_source(repo: Repository, notebook_relpath: str) -> str:
    """Markdown of the "Open in Colab" badge of one notebook.

    Notebook: all (book tooling).
    """
    return f"[![Open In Colab]({repo.colab_url}/assets/colab-badge.svg)]({repo.colab_link(notebook_relpath)})"


def install_source(repo: Repository) -> str:
    """Source of the Colab-only install cell (leaves Colab's TensorFlow and Keras alone).

    Notebook: all (book tooling).
    """
    return (
        "# Colab only: install the book's package from its repository. "
        "TensorFlow and Keras are left as Colab ships them.\n"
        "import sys\n"
        'if "google.colab" in sys.modules:\n'
        f'    %pip install --quiet "{PACKAGE_NAME} @ git+{repo.url}@{repo.branch}"'
    )


def _tagged(nb: Any, tag: str) -> list[int]:
    return [i for i, c in enumerate(nb.cells) if tag in c.get("metadata", {}).get("tags", [])]


def _new_cell(nb: Any, kind: str, source: str, tag: str) -> Any:
    import nbformat

    make = nbformat.v4.new_markdown_cell if kind == "markdown" else nbformat.v4.new_code_cell
    cell = make(source=source, metadata={"tags": [tag]})
    if nb.get("nbformat_minor", 5) < 5:
        cell.pop("id", None)
    return cell


def sync_notebook(nb: Any, repo: Repository, notebook_relpath: str) -> Any:
    """Make one notebook canonical, in place: Colab cells from ``repo``, no outputs; return it.

    Notebook: all (book tooling).

    The cell tagged ``colab-badge`` becomes exactly the badge, the one tagged ``colab-install``
    exactly the install cell; a missing one is inserted after the title cell (badge, then install).
    Outputs, execution counts and execution metadata are removed and the kernelspec set to python3.
    """
    for tag, kind, source in (
        (BADGE_TAG, "markdown", badge_source(repo, notebook_relpath)),
        (INSTALL_TAG, "code", install_source(repo)),
    ):
        hits = _tagged(nb, tag)
        for i in reversed(hits[1:]):
            del nb.cells[i]
        if hits:
            cell = nb.cells[hits[0]]
            if cell.cell_type != kind:
                nb.cells[hits[0]] = cell = _new_cell(nb, kind, source, tag)
            cell.source = source
        else:
            after = _tagged(nb, BADGE_TAG)
            at = after[0] + 1 if after else (1 if nb.cells and nb.cells[0].cell_type == "markdown" else 0)
            nb.cells.insert(at, _new_cell(nb, kind, source, tag))
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        for key in _STRIPPED_CELL_METADATA:
            cell.metadata.pop(key, None)
    for key in _STRIPPED_NOTEBOOK_METADATA:
        nb.metadata.pop(key, None)
    if nb.metadata.get("kernelspec", {}).get("name") != KERNEL_NAME:
        nb.metadata["kernelspec"] = dict(KERNELSPEC)
    return nb


def notebook_problems(nb: Any, repo: Repository, notebook_relpath: str) -> list[str]:
    """What ``sync`` would change in one notebook, plus a wrong number of ``parameters`` cells.

    Notebook: all (book tooling).
    """
    problems = []
    for tag, kind, source in (
        (BADGE_TAG, "markdown", badge_source(repo, notebook_relpath)),
        (INSTALL_TAG, "code", install_source(repo)),
    ):
        hits = _tagged(nb, tag)
        if not hits:
            problems.append(f"no cell tagged {tag!r}")
        elif len(hits) > 1:
            problems.append(f"{len(hits)} cells tagged {tag!r} (need one)")
        elif nb.cells[hits[0]].cell_type != kind or nb.cells[hits[0]].source != source:
            problems.append(f"cell {hits[0]} ({tag}) differs from the one derived from _config.yml")
    n_params = len(_tagged(nb, PARAMETERS_TAG))
    if n_params != 1:
        problems.append(f"{n_params} cells tagged 'parameters' (need exactly one)")
    if _tagged(nb, INJECTED_TAG):
        problems.append("holds papermill's 'injected-parameters' cell (an executed copy?)")
    with_outputs = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and c.get("outputs")]
    if with_outputs:
        problems.append(f"outputs stored in cells {with_outputs}")
    counted = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and c.get("execution_count") is not None]
    if counted:
        problems.append(f"execution counts stored in cells {counted}")
    stale = [i for i, c in enumerate(nb.cells) if any(k in c.metadata for k in _STRIPPED_CELL_METADATA)]
    if stale or any(k in nb.metadata for k in _STRIPPED_NOTEBOOK_METADATA):
        problems.append("execution metadata stored (papermill/timing)")
    if nb.metadata.get("kernelspec", {}).get("name") != KERNEL_NAME:
        problems.append(f"kernelspec is not {KERNEL_NAME!r}")
    return problems


def source_notebooks(root: Path = REPO_ROOT) -> list[Path]:
    """Every ``notebooks/*.ipynb`` of the book, sorted.

    Notebook: all (book tooling).
    """
    return sorted((Path(root) / "notebooks").glob("*.ipynb"))


def sync_notebooks(root: Path = REPO_ROOT, log: Log = print) -> list[Path]:
    """Apply :func:`sync_notebook` to every source notebook; return the files rewritten.

    Notebook: all (book tooling).
    """
    import nbformat

    root = Path(root).resolve()
    repo = read_repository(root)
    changed = []
    for path in source_notebooks(root):
        before = path.read_text(encoding="utf-8")
        nb = sync_notebook(nbformat.reads(before, as_version=4), repo, relpath(root, path))
        after = nbformat.writes(nb) + "\n"
        if after != before:
            path.write_text(after, encoding="utf-8")
            changed.append(path)
            log(f"synced {relpath(root, path)}")
    return changed


def check_notebooks(root: Path = REPO_ROOT) -> list[str]:
    """Problems of every source notebook (``"notebooks/x.ipynb: ..."``); empty when all is well.

    Notebook: all (book tooling).
    """
    import nbformat

    root = Path(root).resolve()
    repo = read_repository(root)
    problems = []
    for path in source_notebooks(root):
        rel = relpath(root, path)
        try:
            nb = nbformat.read(str(path), as_version=4)
        except Exception as err:
            problems.append(f"{rel}: unreadable notebook: {err}")
            continue
        problems += [f"{rel}: {p}" for p in notebook_problems(nb, repo, rel)]
    return problems


# --------------------------------------------------------------------------- command line


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m mgr_utils.book", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    commands = {
        "build": "execute then render, with a timing summary",
        "execute": "run the toc's notebooks with papermill into the build folder",
        "render": "render the executed notebooks into <build>/html",
        "sync": "regenerate Colab cells and strip outputs of notebooks/*.ipynb",
        "check": "verify notebooks are synced, output-free, with one parameters cell",
    }
    for name, help_text in commands.items():
        p = sub.add_parser(name, help=help_text)
        p.add_argument("--root", type=Path, default=REPO_ROOT, help="book root (default: this repository)")
        if name in ("build", "execute", "render"):
            p.add_argument("--build-dir", type=Path, help=f"build folder (default: ${BUILD_DIR_ENV} or <root>/_build)")
        if name in ("build", "execute"):
            p.add_argument("--only", action="append", metavar="NAME", help="run notebooks whose path contains NAME")
            p.add_argument("--params", type=Path, help="fast parameters file (default: notebooks/fast_params.yaml)")
            p.add_argument("-p", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
            p.add_argument("--timeout", type=int, default=CELL_TIMEOUT, help="seconds per cell")
        if name in ("build", "execute", "render"):
            p.add_argument(
                "--partial",
                action="store_true",
                help="leave out toc entries that have no file yet (a preview; the site is incomplete)",
            )
        if name in ("build", "render"):
            p.add_argument("--verbose", action="store_true", help="show Sphinx's progress output")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m mgr_utils.book``; returns the exit status.

    Notebook: all (book tooling).
    """
    args = _parser().parse_args(argv)
    root = args.root.resolve()
    try:
        if args.command == "check":
            problems = check_notebooks(root)
            for p in problems:
                print(p, file=sys.stderr)
            n = len(source_notebooks(root))
            print(f"check: {n} notebooks, {len(problems)} problems", file=sys.stderr if problems else sys.stdout)
            return 1 if problems else 0
        if args.command == "sync":
            changed = sync_notebooks(root)
            print(f"sync: {len(changed)} of {len(source_notebooks(root))} notebooks rewritten")
            return 0
        build_dir = args.build_dir.resolve() if args.build_dir else default_build_dir(root)
        if args.command == "execute":
            start = time.perf_counter()
            timings = execute_book(
                root,
                build_dir,
                only=args.only,
                params_file=args.params,
                overrides=parse_overrides(args.overrides),
                timeout=args.timeout,
                partial=args.partial,
            )
            print(f"execute: {time.perf_counter() - start:.1f} s ({len(timings)} notebooks)")
            return 0
        if args.command == "render":
            start = time.perf_counter()
            index = render_book(root, build_dir, partial=args.partial, quiet=not args.verbose)
            print(f"render: {time.perf_counter() - start:.1f} s")
            print(f"HTML: {index}")
            return 0
        build_book(
            root,
            build_dir,
            only=args.only,
            params_file=args.params,
            overrides=parse_overrides(args.overrides),
            timeout=args.timeout,
            partial=args.partial,
            quiet=not args.verbose,
        )
        return 0
    except BookError as err:
        print(str(err), file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
