"""Colab cells: every notebook's badge and install cell derived from ``_config.yml``; outputs stripped.

``sync`` rewrites ``notebooks/*.ipynb`` in place (badge, install cell, no outputs, python3 kernel);
``check`` reports the same problems without writing (a test runs it on the repository).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bookbuild.execute import INJECTED_TAG, KERNEL_NAME, KERNELSPEC
from bookbuild.layout import REPO_ROOT, BookError, load_yaml, relpath, source_notebooks
from bookbuild.params import PARAMETERS_TAG

PACKAGE_NAME = "mgr-cnn-book"
"""The distribution name the Colab install cell installs (``[project].name`` of pyproject.toml)."""

NO_DEPS = {
    "11_transfer_learning": ("musicnn==0.1.0",),
    "12_validity": ("musicnn==0.1.0",),  # it runs chapter 11's saved probe
}
"""Packages a notebook needs on Colab that must be installed WITHOUT their declared dependencies.

``musicnn`` ships the pre-trained weights of chapter 11 (whose probe chapter 12 runs) but declares TensorFlow 1 and
``numpy<1.17``: installed with ``--no-deps`` it brings only its checkpoint files, and Colab's
TensorFlow, Keras and NumPy stay as they are."""

BADGE_TAG = "colab-badge"
INSTALL_TAG = "colab-install"

_STRIPPED_CELL_METADATA = ("execution", "ExecuteTime", "papermill")
_STRIPPED_NOTEBOOK_METADATA = ("papermill", "widgets")

Log = Callable[[str], None]


@dataclass(frozen=True)
class Repository:
    """Where the book lives: parsed from ``repository`` and ``launch_buttons`` of ``_config.yml``."""

    url: str
    owner: str
    name: str
    branch: str
    path_to_book: str = ""
    colab_url: str = "https://colab.research.google.com"

    def colab_link(self, notebook_relpath: str) -> str:
        """The Colab URL that opens ``notebook_relpath`` (relative to the book root) from GitHub."""
        path = "/".join(
            p for p in (self.path_to_book.strip("/"), notebook_relpath) if p
        )
        return f"{self.colab_url}/github/{self.owner}/{self.name}/blob/{self.branch}/{path}"


def read_repository(root: Path = REPO_ROOT) -> Repository:
    """Parse the repository of ``_config.yml`` (the one place its public URL is written).

    Raises:
        BookError: No ``repository.url``, or not a GitHub URL (Colab opens GitHub files only).
    """
    config = load_yaml(Path(root) / "_config.yml")
    repo = config.get("repository") or {}
    url = str(repo.get("url") or "").rstrip("/")
    m = re.fullmatch(r"https://github\.com/([^/]+)/([^/]+?)(?:\.git)?", url)
    if not m:
        raise BookError(
            f"_config.yml: repository.url must be https://github.com/<owner>/<repo>, got {url!r}"
        )
    colab = str(
        (config.get("launch_buttons") or {}).get("colab_url") or Repository.colab_url
    ).rstrip("/")
    return Repository(
        url=f"https://github.com/{m[1]}/{m[2]}",
        owner=m[1],
        name=m[2],
        branch=str(repo.get("branch") or "main"),
        path_to_book=str(repo.get("path_to_book") or ""),
        colab_url=colab,
    )


def badge_source(repo: Repository, notebook_relpath: str) -> str:
    """Markdown of the "Open in Colab" badge of one notebook."""
    return f"[![Open In Colab]({repo.colab_url}/assets/colab-badge.svg)]({repo.colab_link(notebook_relpath)})"


def install_source(repo: Repository, no_deps: tuple[str, ...] = ()) -> str:
    """Source of the Colab-only install cell (leaves Colab's TensorFlow and Keras alone).

    Every line fits in 88 characters and the cell is as ``ruff format`` leaves it, so formatting
    the notebooks never makes them drift from what ``sync`` writes. ``no_deps``: further
    packages installed with ``--no-deps`` (see :data:`NO_DEPS`).
    """
    extra = "".join(f'\n    %pip install --quiet --no-deps "{p}"' for p in no_deps)
    return (
        "# Colab only: install the book's package, keeping Colab's own TensorFlow and Keras.\n"
        "import sys\n"
        "\n"
        'if "google.colab" in sys.modules:\n'
        f'    repository = "git+{repo.url}@{repo.branch}"\n'
        f'    %pip install --quiet "{PACKAGE_NAME} @ {{repository}}"' + extra
    )


def _no_deps(notebook_relpath: str) -> tuple[str, ...]:
    return NO_DEPS.get(Path(notebook_relpath).stem, ())


def _tagged(nb: Any, tag: str) -> list[int]:
    return [
        i
        for i, c in enumerate(nb.cells)
        if tag in c.get("metadata", {}).get("tags", [])
    ]


def _new_cell(nb: Any, kind: str, source: str, tag: str) -> Any:
    import nbformat

    make = (
        nbformat.v4.new_markdown_cell
        if kind == "markdown"
        else nbformat.v4.new_code_cell
    )
    cell = make(source=source, metadata={"tags": [tag]})
    if nb.get("nbformat_minor", 5) < 5:
        cell.pop("id", None)
    return cell


def sync_notebook(nb: Any, repo: Repository, notebook_relpath: str) -> Any:
    """Make one notebook canonical, in place: Colab cells from ``repo``, no outputs; return it.

    The cell tagged ``colab-badge`` becomes exactly the badge, the one tagged ``colab-install``
    exactly the install cell; a missing one is inserted after the title cell (badge, then install).
    Outputs, execution counts and execution metadata are removed and the kernelspec set to python3.
    """
    for tag, kind, source in (
        (BADGE_TAG, "markdown", badge_source(repo, notebook_relpath)),
        (INSTALL_TAG, "code", install_source(repo, _no_deps(notebook_relpath))),
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
            at = (
                after[0] + 1
                if after
                else (1 if nb.cells and nb.cells[0].cell_type == "markdown" else 0)
            )
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
    """What ``sync`` would change in one notebook, plus a wrong number of ``parameters`` cells."""
    problems = []
    for tag, kind, source in (
        (BADGE_TAG, "markdown", badge_source(repo, notebook_relpath)),
        (INSTALL_TAG, "code", install_source(repo, _no_deps(notebook_relpath))),
    ):
        hits = _tagged(nb, tag)
        if not hits:
            problems.append(f"no cell tagged {tag!r}")
        elif len(hits) > 1:
            problems.append(f"{len(hits)} cells tagged {tag!r} (need one)")
        elif nb.cells[hits[0]].cell_type != kind or nb.cells[hits[0]].source != source:
            problems.append(
                f"cell {hits[0]} ({tag}) differs from the one derived from _config.yml"
            )
    n_params = len(_tagged(nb, PARAMETERS_TAG))
    if n_params != 1:
        problems.append(f"{n_params} cells tagged 'parameters' (need exactly one)")
    if _tagged(nb, INJECTED_TAG):
        problems.append(
            "holds papermill's 'injected-parameters' cell (an executed copy?)"
        )
    with_outputs = [
        i for i, c in enumerate(nb.cells) if c.cell_type == "code" and c.get("outputs")
    ]
    if with_outputs:
        problems.append(f"outputs stored in cells {with_outputs}")
    counted = [
        i
        for i, c in enumerate(nb.cells)
        if c.cell_type == "code" and c.get("execution_count") is not None
    ]
    if counted:
        problems.append(f"execution counts stored in cells {counted}")
    stale = [
        i
        for i, c in enumerate(nb.cells)
        if any(k in c.metadata for k in _STRIPPED_CELL_METADATA)
    ]
    if stale or any(k in nb.metadata for k in _STRIPPED_NOTEBOOK_METADATA):
        problems.append("execution metadata stored (papermill/timing)")
    if nb.metadata.get("kernelspec", {}).get("name") != KERNEL_NAME:
        problems.append(f"kernelspec is not {KERNEL_NAME!r}")
    return problems


def sync_notebooks(root: Path = REPO_ROOT, log: Log = print) -> list[Path]:
    """Apply :func:`sync_notebook` to every source notebook; return the files rewritten."""
    import nbformat

    root = Path(root).resolve()
    repo = read_repository(root)
    changed = []
    for path in source_notebooks(root):
        before = path.read_text(encoding="utf-8")
        nb = sync_notebook(
            nbformat.reads(before, as_version=4), repo, relpath(root, path)
        )
        after = nbformat.writes(nb) + "\n"
        if after != before:
            path.write_text(after, encoding="utf-8")
            changed.append(path)
            log(f"synced {relpath(root, path)}")
    return changed


def check_notebooks(root: Path = REPO_ROOT) -> list[str]:
    """Problems of every source notebook (``"notebooks/x.ipynb: ..."``); empty when all is well."""
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
