"""Shared test fixtures, and the one rule for comparing numbers in this suite.

**Floats that were computed differently are compared with a stated tolerance.** When
the two sides of a comparison come from TensorFlow or NumPy run in different batch
sizes, thread counts, chunk sizes, processes or summation orders (a batched and a
one-at-a-time pass, a model and a hand-written formula, float32 sums of many terms), use
``np.testing.assert_allclose`` (or ``pytest.approx``) with an explicit ``rtol``/``atol``
and a comment saying why that size: about how many float32 roundings separate the two
sides. TensorFlow's oneDNN kernels are chosen by batch size and CPU, so such results
differ in their last bits from one machine to the next; a test that passes on one CPU
only is a false alarm waiting for a student's laptop.

Exact equality (``==``, ``assert_array_equal``) is for integers, indices, counts and
labels; for values that are exact in any order (small integers or powers of 2 held as
floats, a maximum, a copy, a slice); and for a computation repeated identically (the
same function, inputs, shapes and process). Switches and argmaxes are integers taken
from floats: compare them exactly only where no near-tie exists.

``.ci/run`` runs the unit tests a second time with one thread (``OMP_NUM_THREADS=1``,
``MGR_TF_THREADS=1``: one intra- and one inter-op thread in TensorFlow), so a test that
depends on the machine's kernels fails in CI rather than on a reader's machine.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
"""The test data shared beside the repository (``../shared/data``); never copied into it."""


def need_shared_data() -> Path:
    """``../shared/data``: skipped when absent on a developer's machine, a failure under ``CI=true``.

    CI always has it, so a missing folder there means the tests that need it would silently never
    run: that must fail, not pass as skipped.
    """
    if not SHARED_DATA.is_dir():
        message = f"shared test data not found at {SHARED_DATA} (the split lists and a real recording)"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(message + "; CI must provide ../shared/data", pytrace=False)
        pytest.skip(message)
    return SHARED_DATA


@pytest.fixture
def shared_data() -> Path:
    """``../shared/data`` (split lists, a real recording); see :func:`need_shared_data`."""
    return need_shared_data()


@pytest.fixture(scope="session", autouse=True)
def _tensorflow_threads():
    """With ``MGR_TF_THREADS`` set (the one-thread pass), set TensorFlow's threads now.

    TensorFlow takes its thread counts only before it runs its first op, and many tests
    run ops without :func:`mgr_utils.training.configure_tensorflow`: so the session sets
    them up front.
    """
    wanted = os.environ.get("MGR_TF_THREADS")
    if wanted:
        from mgr_utils.training import configure_tensorflow

        got = configure_tensorflow()
        expected = {"intra_op": int(wanted), "inter_op": 1}
        assert got == expected, f"MGR_TF_THREADS={wanted} not in effect: {got}"
    yield


@pytest.fixture(scope="session", autouse=True)
def _private_cache(tmp_path_factory):
    """Point the feature and audio caches at a folder of this test session, not the user's cache."""
    old = os.environ.get("MGR_CACHE_DIR")
    os.environ["MGR_CACHE_DIR"] = str(tmp_path_factory.mktemp("mgr-cache"))
    yield
    if old is None:
        os.environ.pop("MGR_CACHE_DIR", None)
    else:
        os.environ["MGR_CACHE_DIR"] = old


def write_gtzan(
    root: Path, genres, n_per_genre: int = 2, ext: str = "wav", seconds: float = 0.05
) -> Path:
    """Write a tiny GTZAN ``root/<g>/<g>.NNNNN.<ext>`` (quiet noise at 22050 Hz); return ``root``."""
    rng = np.random.default_rng(0)
    fmt = {"wav": "WAV", "au": "AU"}[ext]
    for g in genres:
        (root / g).mkdir(parents=True, exist_ok=True)
        for i in range(n_per_genre):
            y = 0.1 * rng.standard_normal(int(seconds * 22050))
            sf.write(
                root / g / f"{g}.{i:05d}.{ext}", y, 22050, format=fmt, subtype="PCM_16"
            )
    return root


@pytest.fixture(scope="session")
def make_gtzan():
    """The function :func:`write_gtzan`, for tests that build GTZAN folders in ``tmp_path``."""
    return write_gtzan


# ============================================================================ book build fixtures
# (bookbuild: execution with papermill and rendering with Jupyter Book)
#
# pytest reads ONE `pytest_addoption` per conftest: add further command-line options to this one.

import os as _os
from dataclasses import dataclass as _dataclass


def pytest_addoption(parser):
    """Options of the book tests: where the one shared build goes, and whether to reuse it."""
    group = parser.getgroup(
        "book", "building the book once for the book and browser tests"
    )
    group.addoption(
        "--build-dir",
        default=None,
        help="build folder of the real book for the `book`/`browser` tests "
        "(default: $MGR_BUILD_DIR, else a fresh temporary folder)",
    )
    group.addoption(
        "--reuse-build",
        action="store_true",
        default=False,
        help="use the build already in --build-dir when it is complete and every executed notebook "
        "matches its source, instead of executing and rendering again",
    )
    group.addoption(
        "--gtzan-build-dir",
        default=None,
        help="build folder of the small-GTZAN book test (`gtzan_book`; default: a "
        "fresh temporary folder); a second run there reuses what is unchanged",
    )
    group.addoption(
        "--gtzan-only",
        action="append",
        default=None,
        metavar="NAME",
        help="development only: run the small-GTZAN book test on the chapters whose "
        "path contains NAME (repeatable, as `bookbuild build --only`); the test then "
        "fails with a reminder, because only the whole book proves the defaults",
    )
    group.addoption(
        "--folder-build-dir",
        default=None,
        help="build folder of the folder-collection book test (`folder_book`; default: "
        "a fresh temporary folder); a second run there reuses what is unchanged",
    )
    group.addoption(
        "--folder-only",
        action="append",
        default=None,
        metavar="NAME",
        help="development only: run the folder-collection book test on the chapters "
        "whose path contains NAME (repeatable, as `bookbuild build --only`); the test "
        "then fails with a reminder, because only the whole book proves the defaults",
    )


@_dataclass
class BuiltBook:
    """The real book, executed and rendered once per test session."""

    root: Path
    build_dir: Path
    html: Path
    results: Path
    timings: list  # (notebook file name, seconds); empty when a build was reused
    render_seconds: float | None
    missing: list  # toc entries that have no file yet, left out of this (partial) build

    def page(self, entry: str) -> Path:
        """The HTML page of a toc entry such as ``notebooks/01_datasets``."""
        return self.html / f"{entry}.html"


@pytest.fixture(scope="session")
def book_root() -> Path:
    """The book the `book`/`browser` tests build: this repository, or ``$MGR_BOOK_ROOT`` (a copy)."""
    import bookbuild as book

    return Path(_os.environ.get("MGR_BOOK_ROOT") or book.REPO_ROOT).resolve()


@pytest.fixture(scope="session")
def built_book(request, tmp_path_factory, book_root) -> BuiltBook:
    """Execute and render the real book ONCE (session scope); every book/browser test shares it.

    The build goes to ``--build-dir``, else ``$MGR_BUILD_DIR``, else a temporary folder. With
    ``--reuse-build`` an existing complete, up-to-date build there is used as is. Skipped when no
    notebook of ``_toc.yml`` exists yet; a failing notebook or Sphinx warning fails every test that
    uses the fixture (pytest caches the failure, so the build is not retried per test).

    While chapters are still being written, toc entries without a file are left out of the build
    (``partial``) and listed in ``missing``; ``test_every_toc_page_is_rendered`` fails on them, the
    other tests check the chapters that exist.
    """
    import time

    import bookbuild as book

    root = book_root
    if not book.toc_notebooks(root):
        pytest.skip("no notebook listed in _toc.yml exists yet")
    option = request.config.getoption("--build-dir") or _os.environ.get(
        book.BUILD_DIR_ENV
    )
    build_dir = (
        Path(option).resolve() if option else tmp_path_factory.mktemp("book-build")
    )
    index = build_dir / "html" / "index.html"
    missing = book.missing_toc_entries(root)
    reusable = index.exists() and not book.unexecuted_notebooks(
        root, build_dir, book.toc_notebooks(root)
    )
    timings, render_seconds = [], None
    if not (request.config.getoption("--reuse-build") and reusable):
        try:
            timings = book.execute_book(root, build_dir, partial=True)
            start = time.perf_counter()
            book.render_book(root, build_dir, partial=True)
            render_seconds = time.perf_counter() - start
        except book.BookError as err:
            pytest.fail(
                f"building the book in {build_dir} failed:\n{err}", pytrace=False
            )
    return BuiltBook(
        root,
        build_dir,
        build_dir / "html",
        build_dir / "results",
        timings,
        render_seconds,
        missing,
    )


def assert_executed_on(book_root: Path, build_dir: Path, notebook: Path, dataset: str):
    """A book test's check of one executed notebook: no error output, and, when the
    notebook declares ``DATASET``, the build's injected parameters set it to ``dataset``.

    Returns the executed notebook.
    """
    import nbformat

    import bookbuild as book

    executed = nbformat.read(
        str(book.executed_path(book_root, build_dir, notebook)), as_version=4
    )
    errors = [
        o
        for c in executed.cells
        if c.cell_type == "code"
        for o in c.outputs
        if o.output_type == "error"
    ]
    assert not errors, f"{notebook.name} holds an error output"
    injected = [
        c.source
        for c in executed.cells
        if book.INJECTED_TAG in c.metadata.get("tags", [])
    ]
    if "DATASET" in book.declared_parameters(notebook):  # chapter 10 too: whose records
        assert injected and re.search(
            rf"DATASET = [\"']{re.escape(dataset)}[\"']", injected[0]
        ), f"{notebook.name} ran on another dataset"
    return executed


def save_small_svm(models_dir: Path, classes) -> Path:
    """Save a small fitted clip-level SVM (chapter 3's ``descriptor_svm``, three classes, the
    folder dataset) in ``models_dir``; return the card's path. For the tests of
    :mod:`mgr_utils.predict` and :mod:`mgr_utils.own_music`.
    """
    from mgr_utils import features, saving
    from mgr_utils.classical import SVMClassifier

    rng = np.random.default_rng(0)
    X = rng.random((12, 61)) + np.repeat(np.arange(3), 4)[:, None] * 0.1
    svm = SVMClassifier(C_grid=(1.0,), gamma_grid=("scale",), cv=2)
    return saving.save_system(
        svm.fit(X, np.repeat(np.arange(3), 4)),
        "03_texture_features",
        "descriptor_svm",
        saving.pipeline(features.descriptors, {}, window_seconds=2.0),
        classes=classes,
        dataset="folder",
        metrics={"accuracy": 0.5, "n_clips": 12},
        models_dir=models_dir,
    )


def calls_save_system(notebook: Path) -> bool:
    """Whether a notebook's code cells call ``save_system``: it trains and keeps a system.

    Chapter 12 and the page "Classify your own music" declare ``MODELS_DIR`` only to read
    the systems the chapters saved; the chapters that save call this function.
    """
    import nbformat

    nb = nbformat.read(str(notebook), as_version=4)
    return any(
        re.search(r"\bsave_system\(", c.source)
        for c in nb.cells
        if c.cell_type == "code"
    )


def write_tiny_book(
    root: Path,
    notebooks: dict,
    *,
    params: dict | None = None,
    repo_url: str | None = None,
    branch: str | None = None,
    intro: str = "# A tiny book\n\nFor testing the book tooling.\n",
) -> Path:
    """Write a throwaway book in ``root``: the real config and references page, a toc, notebooks.

    Args:
        root: Empty folder to write into.
        notebooks: ``{"01_demo": [cell, ...]}`` in reading order. A cell is ``("markdown", src)``,
            ``("code", src)`` or ``("parameters", src)`` (a code cell tagged ``parameters``).
        params: Content of ``notebooks/fast_params.yaml`` (default: none written).
        repo_url, branch: Replace ``repository.url`` / ``branch`` of the real config.
        intro: Text of ``book/intro.md``, the toc's root.
    """
    import nbformat
    import yaml

    import bookbuild as book

    real = book.REPO_ROOT
    root.mkdir(parents=True, exist_ok=True)
    config = yaml.safe_load((real / "_config.yml").read_text(encoding="utf-8"))
    if repo_url:
        config["repository"]["url"] = repo_url
    if branch:
        config["repository"]["branch"] = branch
    (root / "_config.yml").write_text(
        yaml.safe_dump(config, sort_keys=False), encoding="utf-8"
    )
    chapters = [{"file": f"notebooks/{name}"} for name in notebooks] + [
        {"file": "book/references"}
    ]
    toc = {"format": "jb-book", "root": "book/intro", "chapters": chapters}
    (root / "_toc.yml").write_text(
        yaml.safe_dump(toc, sort_keys=False), encoding="utf-8"
    )
    (root / "book").mkdir(exist_ok=True)
    (root / "book" / "intro.md").write_text(intro, encoding="utf-8")
    (root / "book" / "references.md").write_bytes(
        (real / "book" / "references.md").read_bytes()
    )
    for bib in config.get("bibtex_bibfiles") or []:
        (root / bib).parent.mkdir(parents=True, exist_ok=True)
        (root / bib).write_bytes((real / bib).read_bytes())
    for static in (
        config.get("sphinx", {}).get("config", {}).get("html_static_path") or []
    ):
        shutil.copytree(real / static, root / static, dirs_exist_ok=True)
    (root / "notebooks").mkdir(exist_ok=True)
    if params is not None:
        (root / "notebooks" / "fast_params.yaml").write_text(
            yaml.safe_dump(params), encoding="utf-8"
        )
    for name, cells in notebooks.items():
        nb = nbformat.v4.new_notebook()
        nb.metadata["kernelspec"] = dict(book.KERNELSPEC)
        for kind, src in cells:
            if kind == "markdown":
                nb.cells.append(nbformat.v4.new_markdown_cell(src))
            else:
                tags = ["parameters"] if kind == "parameters" else []
                nb.cells.append(nbformat.v4.new_code_cell(src, metadata={"tags": tags}))
        nbformat.write(nb, str(root / "notebooks" / f"{name}.ipynb"))
    return root


@pytest.fixture(scope="session")
def tiny_book():
    """The function :func:`write_tiny_book`, to build throwaway books in ``tmp_path``."""
    return write_tiny_book
