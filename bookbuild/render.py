"""Render the executed notebooks and the prose pages into a site with Jupyter Book 1.x.

``render_book`` stages the executed copies beside ``_config.yml``, ``_toc.yml`` and ``book/`` (the
same relative paths as the repository, so toc entries and launch buttons are unchanged) and runs
``jupyter-book build --warningiserror``; it refuses to publish a notebook that has not been
executed from its current source. When the staged inputs are byte for byte those of the last
render and the site is still there, the render is skipped.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import yaml

from bookbuild.execute import unexecuted_notebooks
from bookbuild.layout import (
    BookError,
    default_build_dir,
    executed_path,
    load_yaml,
    missing_toc_entries,
    prune_toc,
    relpath,
    resolve_doc,
    select_notebooks,
    toc_entries,
    toc_notebooks,
)

ASSET_SUFFIXES = {
    ".png",
    ".jpg",
    ".jpeg",
    ".gif",
    ".svg",
    ".webp",
    ".wav",
    ".mp3",
    ".ogg",
    ".csv",
}
"""Files beside the notebooks that are staged with them (figures or sounds linked from markdown)."""

RENDER_STAMP = ".bookbuild-render.json"
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")

Log = Callable[[str], None]


def stage_site(
    root: Path, build_dir: Path, *, partial: bool = False, keep: set[str] | None = None
) -> Path:
    """Copy the book into ``<build>/site_src`` with the executed notebooks in place of the sources.

    With ``partial``, the staged ``_toc.yml`` leaves out the entries that have no file yet; with
    ``keep``, it holds only those toc entries (a one-chapter preview).
    """
    root, build_dir = Path(root).resolve(), Path(build_dir).resolve()
    site = build_dir / "site_src"
    if site.exists():
        shutil.rmtree(site)
    site.mkdir(parents=True)
    ignore = shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__", "_build")
    shutil.copy2(root / "_config.yml", site / "_config.yml")
    if partial or keep is not None:
        existing = {e for e in toc_entries(root) if resolve_doc(root, e) is not None}
        keep = existing if keep is None else existing & keep
        toc = prune_toc(load_yaml(root / "_toc.yml"), keep)
        (site / "_toc.yml").write_text(
            yaml.safe_dump(toc, sort_keys=False), encoding="utf-8"
        )
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
        if doc is None or (keep is not None and entry not in keep):
            continue
        rel = relpath(root, doc)
        if doc.suffix == ".ipynb":
            _copy_into(executed_path(root, build_dir, doc), site / rel)
            _copy_assets(doc.parent, site / Path(rel).parent)
        elif not (site / rel).exists():
            _copy_into(doc, site / rel)
    return site


def _copy_into(src: Path, dst: Path) -> None:
    if src.is_file():
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dst)


def _copy_assets(src_dir: Path, dst_dir: Path) -> None:
    """Copy figure and sound files found under a notebook folder (not data, results or caches)."""
    skip = {
        "data",
        "results",
        "cache",
        ".cache",
        ".ipynb_checkpoints",
        "__pycache__",
        "_build",
    }
    for path in src_dir.rglob("*"):
        parts = path.relative_to(src_dir).parts
        if (
            path.is_file()
            and path.suffix.lower() in ASSET_SUFFIXES
            and not skip.intersection(parts)
        ):
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


def tree_sha256(folder: Path) -> str:
    """SHA-256 over every file of a folder (relative paths and bytes)."""
    h = hashlib.sha256()
    for path in sorted(p for p in Path(folder).rglob("*") if p.is_file()):
        h.update(path.relative_to(folder).as_posix().encode() + b"\0")
        h.update(hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()


_LINK_TO_LEFT_OUT = re.compile(
    r"unknown document|undefined label|unknown target|failed to create a cross reference"
)
"""The Sphinx warnings of a reference whose target a preview left out (``render --only``)."""


def render_book(
    root: Path,
    build_dir: Path | None = None,
    *,
    partial: bool = False,
    quiet: bool = True,
    force: bool = False,
    only=None,
    log: Log = print,
) -> Path:
    """Render the executed notebooks and the prose into ``<build>/html``; return ``index.html``.

    Runs ``jupyter-book build --warningiserror --keep-going --all`` on the staged copy, so any Sphinx
    warning (a broken reference, an unknown citation, an unreadable output) fails the build. A
    preview (``only``) renders the prose pages and the chosen notebooks; there a reference to a
    page left out is dead and only counted (:data:`_LINK_TO_LEFT_OUT`), any other warning fails. Skipped
    (with a log line) when nothing staged changed since the last render and ``force`` is not set.

    Raises:
        BookError: A toc notebook has no executed copy of its current source, a toc entry has no
            file (unless ``partial``), the build failed, or a toc page is missing from the HTML.
    """
    root = Path(root).resolve()
    build_dir = Path(build_dir).resolve() if build_dir else default_build_dir(root)
    missing = missing_toc_entries(root)
    keep = None
    notebooks = toc_notebooks(root)
    if only:  # a preview of some chapters: the prose pages and the selected notebooks
        notebooks = select_notebooks(root, only, partial=True)
        chosen = {relpath(root, nb)[: -len(".ipynb")] for nb in notebooks}
        keep = {
            e
            for e in toc_entries(root)
            if e in chosen or (resolve_doc(root, e) or Path()).suffix != ".ipynb"
        }
        partial = True
    problems = (
        []
        if partial
        else [f"{e}: listed in _toc.yml but no such file" for e in missing]
    )
    problems += unexecuted_notebooks(root, build_dir, notebooks)
    if problems:
        raise BookError("cannot render:\n  " + "\n  ".join(problems))
    if missing or keep is not None:
        log(
            "partial site, without: "
            + ", ".join(
                e for e in toc_entries(root) if e in missing or (keep and e not in keep)
            )
        )
    site = stage_site(root, build_dir, partial=partial, keep=keep)
    html = build_dir / "html"
    digest = tree_sha256(site)
    stamp = html / RENDER_STAMP
    if not force and (html / "index.html").exists() and stamp.exists():
        if json.loads(stamp.read_text(encoding="utf-8")).get("site_src") == digest:
            log("render: nothing changed since the last render, site kept")
            return html / "index.html"
    cmd = [
        sys.executable,
        "-c",
        "import sys; from jupyter_book.cli.main import main; sys.exit(main())",
        "build",
        str(site),
        "--builder",
        "html",
        "--all",
        "--keep-going",
    ]
    preview = keep is not None
    if not preview:
        cmd.append("--warningiserror")
    if quiet:
        cmd.append("--quiet")
    result = subprocess.run(cmd, cwd=site, capture_output=True, text=True)
    html_src = site / "_build" / "html"
    lines = _ANSI.sub("", result.stdout + result.stderr).splitlines()
    warnings = [
        line
        for line in lines
        if "WARNING" in line or "ERROR" in line or "Error" in line
    ]
    dead_links = []
    if (
        preview
    ):  # a link to a chapter left out of the preview is dead there, not an error
        dead_links = [w for w in warnings if _LINK_TO_LEFT_OUT.search(w)]
        warnings = [w for w in warnings if w not in dead_links]
    failed = (
        result.returncode != 0
        or not (html_src / "index.html").exists()
        or (preview and bool(warnings))
    )
    if failed or not quiet:
        log(result.stdout + result.stderr)
    if dead_links and not failed:
        log(
            f"preview: {len(dead_links)} links to pages left out of it are dead here "
            "(the whole book's render checks them)"
        )
    if failed:
        raise BookError(
            f"jupyter-book build failed (exit {result.returncode}; Sphinx warnings are errors):\n  "
            + "\n  ".join(warnings or ["see the log above"])
        )
    if html.exists():
        shutil.rmtree(html)
    shutil.move(str(html_src), str(html))
    _copy_staged_assets(root, site, html)
    absent = [
        e
        for e in toc_entries(root)
        if e not in missing
        and (keep is None or e in keep)
        and not (html / f"{e}.html").exists()
    ]
    if absent:
        raise BookError("pages missing from the HTML: " + ", ".join(absent))
    (html / RENDER_STAMP).write_text(json.dumps({"site_src": digest}), encoding="utf-8")
    return html / "index.html"
