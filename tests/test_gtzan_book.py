"""The whole book on a small GTZAN-shaped folder, changing DATASET, DATA_DIR, DURATION.

A class sample of GTZAN (10 clips of 10 s per genre, GTZAN's file names, the Kaggle
layout, one unreadable ``jazz.00054.wav``) is written by
:func:`mgr_utils.datasets.write_gtzan_like`; every chapter is then executed with the
fast parameters, except ``DATASET = "gtzan"``, that folder as ``DATA_DIR`` and
``DURATION = None`` (whole clips), with every epoch count capped at 2, and chapters 6 and 7's
``IN_MEMORY_MB = 1`` (their sides read from the feature cache, as in the full run). A default that
fits the synthetic set only (a number of clips, an unlabelled pool) fails here, not for
an instructor with a GTZAN sample.

Marked ``book`` (it runs in ``make test`` with the other notebook tests, never in the
unit passes) and ``gtzan_book`` (``pytest -m gtzan_book`` runs it alone). It builds
into its own folder (``--gtzan-build-dir``, else a temporary one), never into the fast
build's. For development, ``--gtzan-only 01_ --gtzan-only 02_`` restricts it to some
chapters; it then fails at the end with a reminder that only the whole book counts. The
restricted site is a preview (``bookbuild render --only``): its links to chapters left
out of it are dead there and only counted, so check the whole book before committing.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

import bookbuild as book
from conftest import assert_executed_on
from mgr_utils.results import record_path

pytestmark = [pytest.mark.book, pytest.mark.gtzan_book]

N_PER_GENRE = 10
SECONDS = 10.0
MAX_EPOCHS = 2


def test_every_chapter_executes_and_renders_on_a_small_gtzan_shaped_folder(
    request, tmp_path_factory, book_root
):
    from mgr_utils.datasets import write_gtzan_like

    only = request.config.getoption("--gtzan-only")
    option = request.config.getoption("--gtzan-build-dir")
    build_dir = (
        Path(option).resolve() if option else tmp_path_factory.mktemp("gtzan-book")
    )
    data = build_dir / "gtzan-small"
    start = time.perf_counter()
    write_gtzan_like(
        data,
        n_per_genre=N_PER_GENRE,
        duration=SECONDS,
        layout="genres_original",
        n_jobs=-1,
        progress=False,
    )
    print(f"wrote {data} in {time.perf_counter() - start:.1f} s")

    overrides = {
        "DATASET": "gtzan",
        "DATA_DIR": str(data),
        "DURATION": None,
        # every side of chapters 6 and 7 read from the feature cache batch by batch, as
        # GTZAN's 30 s clips are in the full run (a few MB here, gigabytes there)
        "06_zhang_cnn.IN_MEMORY_MB": 1,
        "07_raw_audio.IN_MEMORY_MB": 1,
    }
    try:
        runs = book.execute_book(
            book_root, build_dir, only=only, overrides=overrides, max_epochs=MAX_EPOCHS
        )
        start = time.perf_counter()
        book.render_book(book_root, build_dir, only=only)
        render_seconds = time.perf_counter() - start
    except book.BookError as err:
        pytest.fail(
            f"the book on {N_PER_GENRE} GTZAN-shaped clips per genre failed "
            f"(build in {build_dir}):\n{err}",
            pytrace=False,
        )
    for run in runs:
        print(
            f"{run.name}: {'reused' if run.reused else 'executed'} "
            f"in {run.seconds:.1f} s"
        )
    print(f"render: {render_seconds:.1f} s")

    notebooks = (
        book.select_notebooks(book_root, only)
        if only
        else book.toc_notebooks(book_root)
    )
    assert [r.name for r in runs] == [
        nb.name for nb in book.execution_order(notebooks)
    ], "every chapter ran, in toc order except chapter 10 (it reads every record) last"
    html = build_dir / "html"
    for nb in notebooks:
        assert_executed_on(book_root, build_dir, nb, "gtzan")
        page = html / f"{book.relpath(book_root, nb)[: -len('.ipynb')]}.html"
        assert page.exists(), f"{nb.name} was not rendered"
    records = build_dir / "results"
    for nb in notebooks:
        record = record_path(nb.stem, "gtzan", records)
        if "RESULTS_DIR" in book.declared_parameters(nb):
            assert record.exists(), f"{nb.stem} left no record in {record.parent}"
        if record.exists():
            content = json.loads(record.read_text(encoding="utf-8"))
            assert content["complete"] is True, f"{nb.stem}: its run did not finish"
            systems = content.get("systems", {})
            wrong = {
                name: s["dataset"]
                for name, s in systems.items()
                if s.get("dataset") != "gtzan"
            }
            assert not wrong, (
                f"{nb.stem} recorded systems measured on another dataset: {wrong}"
            )
    assert not (records / "synthetic").exists(), "a GTZAN build wrote synthetic records"
    assert not only, (
        f"only {', '.join(only)} were built (--gtzan-only): "
        "the whole book must run to pass"
    )
