"""Execute the book's notebooks with papermill, in toc order, re-executing only what changed.

Each notebook runs in its own folder (relative paths work as they do for a reader) with the book
root first on ``PYTHONPATH`` (the repository's own ``mgr_utils`` is imported) and these variables
set for its kernel: ``MGR_RESULTS_DIR``, ``MGR_CACHE_DIR`` and ``MGR_MODELS_DIR`` (build
sub-folders), ``TQDM_DISABLE`` (no progress bars in a page). The first failing cell stops the
run and is reported with its notebook, index, source and exception.

**Reuse.** A notebook is executed again only when something it depends on changed. Its key is
made of: the notebook's bytes; the parameters it receives; the source of every ``mgr_utils``
module its last run imported; the data folder it read (``DATA_DIR``: file names, sizes, times);
the content (SHA-256) of every other chapter's results record it read, so that a
record rewritten by a forced re-run, by hand or by another build re-executes its
readers; likewise the content of every saved system's card it read (a card holds the
SHA-256 of its model, so a retrained model changes it) and the cards in every models
folder it listed (a system added or removed); and the versions of Python and of the main
libraries. The list of modules, records and systems comes from the run itself: a cell
appended to the executed copy records ``sys.modules``, :data:`mgr_utils.results.READ_LOG`
and :data:`mgr_utils.saving.READ_LOG`, and is removed from the page afterwards. A notebook
without such a record, whose executed copy, results record or saved system is missing, whose
results record says its run stopped early (``"complete": false``), or any part of whose key
differs, is executed; the build says which and why.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from bookbuild.data import check_data, data_fingerprint
from bookbuild.layout import (
    BUILD_SUBFOLDERS,
    FAST_PARAMS,
    BookError,
    default_build_dir,
    executed_path,
    execution_order,
    relpath,
    select_notebooks,
)
from bookbuild.params import (
    apply_overrides,
    cap_epochs,
    declared_parameters,
    load_params,
    params_for,
    select_parameters,
)

KERNEL_NAME = "python3"
KERNELSPEC = {
    "display_name": "Python 3 (ipykernel)",
    "language": "python",
    "name": KERNEL_NAME,
}
CELL_TIMEOUT = 1200
"""Seconds one cell of the fast build may run before the build fails (Jupyter Book's default is 30 s).

The full run has no limit (a cell that trains a paper-size network runs for hours): see
:func:`bookbuild.cli.cell_timeout`."""

INJECTED_TAG = "injected-parameters"
LABEL_TAG = "build-parameters-label"
DEPS_TAG = "bookbuild-deps"
DEPS_ENV = "BOOKBUILD_DEPS"

ENVIRONMENT_PACKAGES = (
    "numpy",
    "scipy",
    "librosa",
    "soundfile",
    "scikit-learn",
    "scikit-image",
    "matplotlib",
    "tensorflow",
    "tensorflow-cpu",
    "keras",
    "papermill",
    "ipykernel",
    "myst-nb",
)

DEPS_CELL = """\
# bookbuild: what this run depended on (removed from the page after execution)
import json as _bb_json, os as _bb_os, sys as _bb_sys
_bb_results = _bb_sys.modules.get("mgr_utils.results")
_bb_saving = _bb_sys.modules.get("mgr_utils.saving")
with open(_bb_os.environ["BOOKBUILD_DEPS"], "w", encoding="utf-8") as _bb_f:
    _bb_json.dump({
        "modules": {m: getattr(_bb_sys.modules[m], "__file__", None) for m in sorted(_bb_sys.modules)
                    if m == "mgr_utils" or m.startswith("mgr_utils.")},
        "records_read": sorted({str(p) for p in getattr(_bb_results, "READ_LOG", [])}),
        "records_written": sorted({str(p) for p in getattr(_bb_results, "WRITE_LOG", [])}),
        "systems_read": sorted({str(p) for p in getattr(_bb_saving, "READ_LOG", [])}),
        "systems_written": sorted({str(p) for p in getattr(_bb_saving, "WRITE_LOG", [])}),
    }, _bb_f)
"""

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")

Log = Callable[[str], None]


@dataclass
class NotebookError(BookError):
    """A notebook failed to execute: which one, which cell, and why.

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
        where = (
            f"cell {self.cell_index} (0-based)"
            if self.cell_index is not None
            else "unknown cell"
        )
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


@dataclass
class Run:
    """What happened to one notebook in :func:`execute_book`.

    Attributes:
        name: The notebook's file name.
        seconds: Wall time of this execution, or of the reused one.
        reused: ``True`` when the executed copy of an earlier build was kept.
        reason: Why it was executed, or why it could be reused.
    """

    name: str
    seconds: float
    reused: bool
    reason: str

    def __iter__(
        self,
    ):  # unpacks as (name, seconds), like the plain timings of earlier versions
        return iter((self.name, self.seconds))


# --------------------------------------------------------------------------- manifest and keys


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def manifest_path(build_dir: Path) -> Path:
    return Path(build_dir) / "executed" / "manifest.json"


def read_manifest(build_dir: Path) -> dict[str, Any]:
    """The record of finished executions, keyed by notebook path relative to the book root."""
    path = manifest_path(build_dir)
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def write_manifest(build_dir: Path, manifest: dict[str, Any]) -> None:
    from mgr_utils.atomic import write_json_atomic

    write_json_atomic(manifest_path(build_dir), manifest)


_ENVIRONMENT: str | None = None


def environment_fingerprint() -> str:
    """Python's version and the versions of the libraries the chapters run on."""
    global _ENVIRONMENT
    if _ENVIRONMENT is None:
        versions = [f"python {sys.version.split()[0]}"]
        for name in ENVIRONMENT_PACKAGES:
            try:
                versions.append(f"{name} {metadata.version(name)}")
            except metadata.PackageNotFoundError:
                pass
        _ENVIRONMENT = "; ".join(versions)
    return _ENVIRONMENT


def _canonical_json(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), default=str)


def _module_hashes(root: Path, modules: Mapping[str, str | None]) -> dict[str, str]:
    """``{relative path: sha256}`` of the module files (a missing file hashes as ``"missing"``)."""
    out = {}
    for file in sorted({f for f in modules.values() if f}):
        path = Path(file)
        try:
            name = relpath(root, path)
        except ValueError:  # installed elsewhere (not this repository's mgr_utils)
            name = str(path)
        out[name] = file_sha256(path) if path.exists() else "missing"
    return out


def _stopped_early(record: Path) -> bool:
    """Whether a results record says its run did not finish (``"complete": false``).

    The build's own runs always finish (a failure stops the build); such a record was
    written over the build's by a run outside it (a notebook run by hand with this
    ``RESULTS_DIR``, then interrupted), so its notebook runs again.
    """
    try:
        return json.loads(record.read_text(encoding="utf-8")).get("complete") is False
    except (OSError, ValueError, AttributeError):
        return False


def _system_key(path: Path) -> tuple[str, str]:
    """A saved system's card (``dataset/id``, its SHA-256), or a listed models folder
    (``dataset/``, the SHA-256 of its sorted card names)."""
    if path.is_dir():
        cards = sorted(
            p.name
            for p in path.iterdir()
            if p.suffix == ".json" and not p.name.startswith(".")
        )
        return f"{path.name}/", hashlib.sha256("\n".join(cards).encode()).hexdigest()
    name = f"{path.parent.name}/{path.stem}"
    return name, file_sha256(path) if path.is_file() else "absent"


def key_parts(
    root: Path,
    notebook: Path,
    chosen: Mapping[str, Any],
    deps: Mapping[str, Any] | None,
    manifest: Mapping[str, Any],
) -> dict[str, Any]:
    """The inputs a notebook's execution depends on (see the module docstring).

    ``manifest`` is no longer read (records are keyed by their content); it stays
    for callers.
    """
    deps = deps or {}
    records = {}
    for path in deps.get("records_read", []):
        stem = Path(path).stem
        if (
            stem == Path(notebook).stem
        ):  # its own record (read back, or left by an earlier run): not an input
            continue
        # The content of what it read, not its producer's key: a producer re-run with
        # an unchanged key (--force, a lost executed copy) or a record written
        # outside the build changes it.
        records[stem] = file_sha256(Path(path)) if Path(path).is_file() else "absent"
    written = set(deps.get("systems_written", []))
    systems = dict(
        _system_key(Path(p)) for p in deps.get("systems_read", []) if p not in written
    )
    return {
        "source": file_sha256(notebook),
        "parameters": _canonical_json(chosen),
        "modules": _module_hashes(root, deps.get("modules", {})),
        "data": data_fingerprint(chosen.get("DATA_DIR"), chosen.get("LABELS")),
        "records_read": records,
        "systems_read": systems,
        "environment": environment_fingerprint(),
    }


def key_of(parts: Mapping[str, Any]) -> str:
    return hashlib.sha256(_canonical_json(parts).encode()).hexdigest()


def why_execute(
    root: Path,
    build_dir: Path,
    notebook: Path,
    chosen: Mapping[str, Any],
    manifest: Mapping[str, Any],
) -> str | None:
    """Why a notebook must be executed again, or ``None`` when its last execution can be reused."""
    name = relpath(root, notebook)
    prev = manifest.get(name)
    if not prev or "key_parts" not in prev or "deps" not in prev:
        return "no earlier execution on record"
    if not executed_path(root, build_dir, notebook).exists():
        return "its executed copy is missing"
    for record in prev["deps"].get("records_written", []):
        if not Path(record).exists():
            return f"its results record {Path(record).name} is missing"
        if _stopped_early(Path(record)):
            return (
                f"its results record {Path(record).name} is from a run that stopped "
                "before its last cell"
            )
    for card in prev["deps"].get("systems_written", []):
        if not Path(card).exists():
            return f"its saved system {_system_key(Path(card))[0]} is missing"
    now = key_parts(root, notebook, chosen, prev["deps"], manifest)
    old = prev["key_parts"]
    if now["source"] != old.get("source"):
        return "the notebook changed"
    if now["parameters"] != old.get("parameters"):
        return "its parameters changed"
    changed = sorted(
        m
        for m in set(now["modules"]) | set(old.get("modules", {}))
        if now["modules"].get(m) != old.get("modules", {}).get(m)
    )
    if changed:
        return "package source changed: " + ", ".join(changed)
    if now["data"] != old.get("data"):
        return "the data changed"
    stale = sorted(
        s
        for s, k in now["records_read"].items()
        if k != old.get("records_read", {}).get(s)
    )
    if stale:
        return "results records it read changed: " + ", ".join(stale)
    old_systems = old.get("systems_read", {})
    changed = sorted(
        s
        for s in set(now["systems_read"]) | set(old_systems)
        if now["systems_read"].get(s) != old_systems.get(s)
    )
    if changed:
        return "saved systems it read changed: " + ", ".join(changed)
    if now["environment"] != old.get("environment"):
        return "library versions changed"
    return None


# --------------------------------------------------------------------------- running one notebook


@contextmanager
def kernel_environment(root: Path, build_dir: Path, deps_file: Path):
    """Set the variables the kernels inherit (restored afterwards)."""
    values = {
        name: str((Path(build_dir) / sub).resolve())
        for name, sub in BUILD_SUBFOLDERS.items()
    }
    values["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(root), os.environ.get("PYTHONPATH")) if p
    )
    values["TQDM_DISABLE"] = "1"
    values[DEPS_ENV] = str(deps_file)
    old = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def execute_notebook(
    root: Path,
    notebook: Path,
    build_dir: Path,
    params: Mapping[str, Any],
    *,
    timeout: int = CELL_TIMEOUT,
    label: str = "",
    manifest: Mapping[str, Any] | None = None,
) -> float:
    """Execute one notebook with papermill into the build folder; return its wall time in seconds.

    Args:
        root: The book root.
        notebook: The source notebook.
        build_dir: The build folder.
        params: Parameters (already selected and checked for this notebook).
        timeout: Seconds per cell.
        label: Where the parameters come from, for the page's "Parameters of this build" line.
        manifest: The current manifest (for the keys of chapters whose records it reads).

    Raises:
        NotebookError: A cell raised, timed out, or the kernel died.
    """
    import nbformat
    import papermill
    from papermill.exceptions import PapermillExecutionError

    root, notebook, build_dir = (
        Path(root).resolve(),
        Path(notebook).resolve(),
        Path(build_dir).resolve(),
    )
    name = relpath(root, notebook)
    out = executed_path(root, build_dir, notebook)
    out.parent.mkdir(parents=True, exist_ok=True)
    for sub in BUILD_SUBFOLDERS.values():
        (build_dir / sub).mkdir(parents=True, exist_ok=True)
    deps_file = out.with_suffix(".deps.json")
    deps_file.unlink(missing_ok=True)

    manifest = dict(manifest if manifest is not None else read_manifest(build_dir))
    manifest.pop(name, None)
    write_manifest(build_dir, manifest)

    # The parameters were checked against the notebook already (bookbuild.params, which also reads
    # annotations such as `DURATION: float | None`); papermill's own inspection would only warn.
    logging.getLogger("papermill").setLevel(logging.ERROR)
    nb = nbformat.read(str(notebook), as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(DEPS_CELL, metadata={"tags": [DEPS_TAG]}))
    if nb.get("nbformat_minor", 5) < 5:
        nb.cells[-1].pop("id", None)
    start = time.perf_counter()
    try:
        with kernel_environment(root, build_dir, deps_file):
            papermill.execute_notebook(
                nb,
                str(out),
                parameters=dict(params),
                kernel_name=KERNEL_NAME,
                cwd=str(notebook.parent),
                progress_bar=False,
                log_output=False,
                execution_timeout=timeout or None,
                start_timeout=120,
            )
    except PapermillExecutionError as err:
        raise _error_from_papermill(name, notebook, err, out) from None
    except Exception as err:  # timeouts, dead kernels, a missing kernel
        raise _error_from_other(name, notebook, err, out) from None
    seconds = time.perf_counter() - start

    _finish_executed_copy(out, params, label)
    deps = (
        json.loads(deps_file.read_text(encoding="utf-8")) if deps_file.exists() else {}
    )
    parts = key_parts(root, notebook, params, deps, manifest)
    manifest[name] = {
        "sha256": parts["source"],
        "seconds": round(seconds, 2),
        "parameters": dict(params),
        "key": key_of(parts),
        "key_parts": parts,
        "deps": deps,
    }
    write_manifest(build_dir, manifest)
    return seconds


def _finish_executed_copy(out: Path, params: Mapping[str, Any], label: str) -> None:
    """Drop the deps cell; label and collapse papermill's injected parameters cell."""
    import nbformat

    nb = nbformat.read(str(out), as_version=4)
    nb.cells = [
        c for c in nb.cells if DEPS_TAG not in c.get("metadata", {}).get("tags", [])
    ]
    for i, cell in enumerate(nb.cells):
        tags = cell.get("metadata", {}).get("tags", [])
        if INJECTED_TAG in tags:
            cell.source = cell.source.replace(
                "# Parameters",
                "# Parameters of this build (they replace the defaults above)",
                1,
            )
            cell.metadata["tags"] = list(dict.fromkeys([*tags, "hide-cell"]))
            values = ", ".join(f"`{k} = {v!r}`" for k, v in params.items()) or "none"
            text = (
                f"**Parameters of this build**{' (' + label + ')' if label else ''}: {values}. "
                "They replace the defaults of the cell above; the cell that sets them is folded below."
            )
            md = nbformat.v4.new_markdown_cell(text, metadata={"tags": [LABEL_TAG]})
            if nb.get("nbformat_minor", 5) < 5:
                md.pop("id", None)
            nb.cells.insert(i, md)
            break
    nbformat.write(nb, str(out))


def _source_cell_index(notebook: Path, source: str, approx: int | None) -> int | None:
    """Index in the source notebook of the code cell whose source is ``source`` (nearest ``approx``)."""
    import nbformat

    nb = nbformat.read(str(notebook), as_version=4)
    hits = [
        i
        for i, c in enumerate(nb.cells)
        if c.cell_type == "code" and c.source == source
    ]
    if not hits:
        return approx
    return min(hits, key=lambda i: abs(i - (approx or 0)))


def _error_from_papermill(
    name: str, notebook: Path, err: Any, out: Path
) -> NotebookError:
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


def _error_from_other(
    name: str, notebook: Path, err: Exception, out: Path
) -> NotebookError:
    """A timeout or a dead kernel: find the culprit cell in the copy papermill saved, if any.

    On a timeout nbclient interrupts the kernel, so the cell holds a ``KeyboardInterrupt`` error; a
    dead kernel leaves the cell marked ``running``.
    """
    import nbformat

    index, source, count = None, "", None
    if out.exists():
        try:
            nb = nbformat.read(str(out), as_version=4)
            culprit, last_started = None, None
            for cell in nb.cells:
                if cell.cell_type != "code":
                    continue
                meta = cell.get("metadata", {}).get("papermill", {})
                if meta.get("start_time"):
                    last_started = cell
                errored = any(
                    o.get("output_type") == "error" for o in cell.get("outputs", [])
                )
                if errored or meta.get("status") in ("running", "failed"):
                    culprit = cell
                    break
            # after a timeout papermill may mark every cell "completed": the culprit is the last one started
            culprit = culprit or last_started
            if culprit is not None:
                source, count = culprit.source, culprit.get("execution_count")
                index = _source_cell_index(notebook, source, None)
        except Exception:
            pass
    return NotebookError(
        notebook=name,
        cell_index=index,
        execution_count=count,
        source=source,
        ename=type(err).__name__,
        evalue=_ANSI.sub("", str(err)).strip().splitlines()[0]
        if str(err).strip()
        else "",
        traceback=[],
        output=out if out.exists() else None,
    )


# --------------------------------------------------------------------------- the whole book


def plan_parameters(
    root: Path,
    notebooks: Sequence[Path],
    params: Mapping[str, Any],
    max_epochs: int | None = None,
) -> dict[Path, dict[str, Any]]:
    """Each notebook's checked parameters, before anything runs.

    Raises:
        BookError: A value of the wrong type for some notebook (all are listed).
    """
    out, problems = {}, []
    for nb in notebooks:
        declared = declared_parameters(nb)
        defaults = {name: d.default for name, d in declared.items()}
        mine = cap_epochs(params_for(params, nb.stem), max_epochs, defaults)
        try:
            out[nb] = select_parameters(declared, mine, relpath(root, nb))
        except BookError as err:
            problems.append(str(err))
    if problems:
        raise BookError(
            "wrong parameter values, nothing was executed:\n  " + "\n  ".join(problems)
        )
    return out


def execute_book(
    root: Path,
    build_dir: Path | None = None,
    *,
    only: Sequence[str] | None = None,
    params_file: Path | None = None,
    overrides: Mapping[str, Any] | None = None,
    timeout: int | None = CELL_TIMEOUT,
    partial: bool = False,
    force: bool = False,
    max_epochs: int | None = None,
    log: Log = print,
) -> list[Run]:
    """Execute the toc's notebooks in order, reusing unchanged ones; stop at the first failure.

    Args:
        root: The book root (holds ``_toc.yml`` and ``notebooks/fast_params.yaml``).
        build_dir: Build folder (default :func:`~bookbuild.layout.default_build_dir`).
        only: Substrings; run only the notebooks whose path contains one of them.
        params_file: The parameter file (default ``<root>/notebooks/fast_params.yaml``).
        overrides: Values that replace the file's, at every level (``stem.NAME``: one notebook's).
        timeout: Seconds per cell (``None`` or 0: no limit).
        partial: Skip toc entries that have no file yet (a preview while chapters are written).
        force: Execute every selected notebook, even unchanged ones.
        max_epochs: Cap every epoch count (a dress rehearsal of the full run).
        log: Where progress lines go.

    Returns:
        One :class:`Run` per selected notebook.

    Raises:
        BookError: A parameter of the wrong type, a GTZAN run without its data, or a run
            on a folder collection that cannot be loaded (nothing runs).
        NotebookError: The first failing notebook (the ones before it stay executed).
    """
    root = Path(root).resolve()
    build_dir = Path(build_dir).resolve() if build_dir else default_build_dir(root)
    params_file = Path(params_file) if params_file else root / FAST_PARAMS
    params = apply_overrides(
        load_params(params_file) if params_file.exists() else {}, overrides or {}
    )
    notebooks = execution_order(select_notebooks(root, only, partial=partial))
    unknown = set(params.get("chapters") or {}) - {
        nb.stem for nb in select_notebooks(root, None, partial=True)
    }
    if unknown:
        raise BookError(
            f"parameters for notebooks that are not in the book: {', '.join(sorted(unknown))} "
            "(a chapter's values are keyed by its file name without .ipynb, e.g. 07_raw_audio)"
        )
    plan = plan_parameters(root, notebooks, params, max_epochs)
    readers = {  # chapter 10 takes DATASET only to choose whose records it reads
        relpath(root, nb): p
        for nb, p in plan.items()
        if "DATA_DIR" in declared_parameters(nb)
    }
    for line in check_data(readers):
        log(f"data: {line}")
    try:
        label = f"from `{relpath(root, params_file)}`" + (
            " and the command line" if overrides else ""
        )
    except ValueError:
        label = f"from `{params_file.name}`"
    runs = []
    for nb in notebooks:
        manifest = read_manifest(build_dir)
        reason = (
            "forced (--force)"
            if force
            else why_execute(root, build_dir, nb, plan[nb], manifest)
        )
        if reason is None:
            seconds = float(manifest[relpath(root, nb)].get("seconds", 0.0))
            runs.append(
                Run(
                    nb.name,
                    seconds,
                    True,
                    "unchanged: notebook, parameters, package modules, data",
                )
            )
            log(
                f"reused {nb.name} (unchanged: notebook, parameters, package modules, data, libraries)"
            )
            continue
        log(f"executing {nb.name}: {reason}")
        seconds = execute_notebook(
            root,
            nb,
            build_dir,
            plan[nb],
            timeout=timeout,
            label=label,
            manifest=manifest,
        )
        log(f"executed {nb.name} in {seconds:.1f} s")
        runs.append(Run(nb.name, seconds, False, reason))
    return runs


def unexecuted_notebooks(
    root: Path, build_dir: Path, notebooks: Sequence[Path]
) -> list[str]:
    """Notebooks without a finished executed copy of their current source, with the reason."""
    root, build_dir = Path(root).resolve(), Path(build_dir).resolve()
    manifest = read_manifest(build_dir)
    problems = []
    for nb in notebooks:
        name = relpath(root, nb)
        entry = manifest.get(name)
        if entry is None or not executed_path(root, build_dir, nb).exists():
            problems.append(f"{name}: not executed (run `python -m bookbuild execute`)")
        elif entry["sha256"] != file_sha256(nb):
            problems.append(f"{name}: changed since it was executed (execute it again)")
    return problems
