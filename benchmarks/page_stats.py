"""How much code each chapter of a built book shows, and how heavy its page is.

For each chapter of a built book (the executed notebooks in ``<build>/executed/notebooks`` and the pages in
``<build>/html/notebooks``) this prints:

* ``code chars``: characters of the code shown, i.e. the sources of the code cells that are not
  tagged ``remove-input``, ``remove-cell``, ``hide-input``, ``hide-cell`` nor
  ``injected-parameters`` (papermill's parameters cell, which ``bookbuild`` folds away);
* ``lines > 88``: lines of that code longer than 88 characters (cut off behind a horizontal scroll
  in the rendered page);
* ``HTML``: the size of the chapter's page, ``<build>/html/notebooks/NN_*.html`` (images and audio
  are embedded in it);

and, at the end, the size of the whole site (``<build>/html``), with and without ``_static``
(the theme's files, the same for any book).

Usage::

    python benchmarks/page_stats.py              # the fast build, _build
    python benchmarks/page_stats.py _build/gtzan # another build folder
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

HIDDEN_TAGS = {
    "remove-input",
    "remove-cell",
    "hide-input",
    "hide-cell",
    "injected-parameters",
}
MAX_LINE = 88


def shown_code(notebook: Path) -> list[str]:
    """The sources of the code cells a reader sees (not removed, not folded) in ``notebook``."""
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    out = []
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        if HIDDEN_TAGS & set(cell.get("metadata", {}).get("tags", [])):
            continue
        source = cell.get("source", "")
        out.append("".join(source) if isinstance(source, list) else source)
    return out


def tree_size(folder: Path, skip: str | None = None) -> int:
    """Bytes of every file under ``folder`` (leaving out the sub-folder ``skip``)."""
    total = 0
    for path in folder.rglob("*"):
        if skip and skip in path.relative_to(folder).parts[:1]:
            continue
        if path.is_file():
            total += path.stat().st_size
    return total


def chapter_stats(build: Path) -> list[dict]:
    """One row per executed chapter: name, code characters, long lines, HTML bytes."""
    rows = []
    for notebook in sorted((build / "executed").rglob("[0-9][0-9]_*.ipynb")):
        sources = shown_code(notebook)
        lines = [line for src in sources for line in src.splitlines()]
        page = build / "html" / "notebooks" / f"{notebook.stem}.html"
        rows.append(
            {
                "chapter": notebook.stem,
                "cells": len(sources),
                "code_chars": sum(len(s) for s in sources),
                "long_lines": sum(len(line) > MAX_LINE for line in lines),
                "html_bytes": page.stat().st_size if page.exists() else None,
            }
        )
    return rows


def _mb(n: int | None) -> str:
    return "-" if n is None else f"{n / 1e6:.2f} MB"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "build", nargs="?", default="_build", help="build folder (_build)"
    )
    args = parser.parse_args(argv)
    build = Path(args.build)
    rows = chapter_stats(build)
    if not rows:
        raise SystemExit(f"no executed chapter in {build / 'executed'}")
    print("| chapter | code cells shown | code chars shown | lines > 88 | HTML |")
    print("|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['chapter']} | {r['cells']} | {r['code_chars']:,} | {r['long_lines']} "
            f"| {_mb(r['html_bytes'])} |"
        )
    chars = sum(r["code_chars"] for r in rows)
    long_lines = sum(r["long_lines"] for r in rows)
    pages = sum(r["html_bytes"] or 0 for r in rows)
    cells = sum(r["cells"] for r in rows)
    print(f"| total | {cells} | {chars:,} | {long_lines} | {_mb(pages)} |")
    html = build / "html"
    if html.is_dir():
        print(
            f"\nsite {html}: {_mb(tree_size(html))} in all, "
            f"{_mb(tree_size(html, skip='_static'))} without _static"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
