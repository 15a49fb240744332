"""Code style: everything is as ``ruff format`` leaves it, and no notebook line is cut off.

The rendered book shows code cells in a column about 88 characters wide; a longer line hides
behind a horizontal scroll bar. ``ruff format`` (configured in pyproject.toml, line length 88)
formats the Python files and the notebooks; it does not split long strings or comments, so the
second test checks every notebook code line itself.

Fix a failure with ``.venv/bin/ruff format mgr_utils bookbuild tests benchmarks notebooks``.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FORMATTED = ("mgr_utils", "bookbuild", "tests", "benchmarks", "notebooks")
MAX_LINE = 88


def _ruff() -> list[str]:
    if importlib.util.find_spec("ruff") is None:
        pytest.fail(
            "ruff is not installed: it is in the dev extra (pip install -e '.[dev]')"
        )
    return [sys.executable, "-m", "ruff"]


def test_code_is_formatted_by_ruff():
    folders = [f for f in FORMATTED if (ROOT / f).exists()]
    proc = subprocess.run(
        [*_ruff(), "format", "--check", *folders],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, (
        "run `ruff format " + " ".join(folders) + "`:\n" + proc.stdout + proc.stderr
    )


def long_notebook_lines(notebook: Path, limit: int = MAX_LINE) -> list[str]:
    """``"file: cell N, line M (L characters)"`` for every code line longer than ``limit``."""
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    out = []
    for i, cell in enumerate(nb.get("cells", [])):
        if cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else source
        for j, line in enumerate(source.splitlines(), start=1):
            if len(line) > limit:
                out.append(
                    f"{notebook.name}: cell {i}, line {j} ({len(line)} characters)"
                )
    return out


def test_long_notebook_lines_are_found(tmp_path):
    nb = {
        "cells": [
            {"cell_type": "markdown", "source": "x" * 200, "metadata": {}},
            {"cell_type": "code", "source": ["a = 1\n", "b = '" + "y" * 90 + "'\n"]},
        ]
    }
    path = tmp_path / "01_x.ipynb"
    path.write_text(json.dumps(nb))
    assert long_notebook_lines(path) == ["01_x.ipynb: cell 1, line 2 (96 characters)"]


def test_no_notebook_code_line_is_longer_than_88_characters():
    notebooks = sorted((ROOT / "notebooks").glob("*.ipynb"))
    if not notebooks:
        pytest.skip("no notebooks/*.ipynb yet")
    long = [line for nb in notebooks for line in long_notebook_lines(nb)]
    assert not long, (
        f"{len(long)} code lines over {MAX_LINE} characters:\n" + "\n".join(long[:40])
    )
