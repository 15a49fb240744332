"""Every {term} a page uses has a glossary entry (Sphinx warns otherwise, and warnings fail the build).

Checked on the sources, in a second, rather than found by a whole book build.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TERM = re.compile(r"\{term\}`([^`]*)`")


def glossary_terms(text: str) -> set[str]:
    """The terms a MyST ``{glossary}`` block defines, lower-case (Sphinx matches them so)."""
    block = text.split("```{glossary}", 1)[1].split("\n```", 1)[0]
    return {
        line.strip().lower()
        for line in block.splitlines()
        if line.strip() and not line.startswith((" ", "\t", ":"))
    }


def terms_used(text: str) -> set[str]:
    """The targets of the ``{term}`` roles of a text: ``{term}`label <target>``` or the text."""
    found = set()
    for m in TERM.finditer(text):
        role = " ".join(m.group(1).split())
        target = re.fullmatch(r".*<(.+)>", role)
        found.add((target.group(1) if target else role).strip().lower())
    return found


def _pages() -> dict[str, str]:
    pages = {}
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        nb = json.loads(path.read_text())
        pages[path.name] = "\n".join(
            "".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown"
        )
    for path in sorted((ROOT / "notebooks").glob("*.md")) + sorted(
        (ROOT / "book").glob("*.md")
    ):
        pages[path.name] = path.read_text()
    return pages


def test_the_parsers_read_labels_targets_and_entries():
    text = "{term}`SVMs <SVM>`, {term}`epoch`, {term}`test clip\n  <test clips>`"
    assert terms_used(text) == {"svm", "epoch", "test clips"}
    glossary = (
        "```{glossary}\n:sorted:\n\nSVM\n  A classifier.\n\nepoch\n  A pass.\n```"
    )
    assert glossary_terms(glossary) == {"svm", "epoch"}


def test_every_term_a_page_uses_has_an_entry():
    defined = glossary_terms((ROOT / "book" / "glossary.md").read_text())
    missing = {
        f"{name}: {term}"
        for name, text in _pages().items()
        for term in terms_used(text)
        if term not in defined
    }
    assert not missing, f"add these to book/glossary.md: {sorted(missing)}"


def test_the_entries_chapters_1_to_3_and_12_need_are_there():
    defined = glossary_terms((ROOT / "book" / "glossary.md").read_text())
    for term in (
        "RLBP",
        "Platt scaling",
        "Griffin-Lim",
        "nearest centroid",
        "Kittler's rules",
        "adversarial example",
        "horse",
        "irrelevant transformation",
        "SNR",
        "projected gradient",
    ):
        assert term.lower() in defined
