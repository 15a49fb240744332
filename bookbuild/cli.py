"""Command line of the book tooling: ``python -m bookbuild {build,execute,render,sync,check}``."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from bookbuild.colab import check_notebooks, sync_notebooks
from bookbuild.execute import CELL_TIMEOUT, execute_book
from bookbuild.layout import (
    BUILD_DIR_ENV,
    FAST_PARAMS,
    REPO_ROOT,
    BookError,
    default_build_dir,
    select_notebooks,
)
from bookbuild.params import apply_overrides, load_params, parse_overrides
from bookbuild.render import render_book


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bookbuild",
        description="Execute the book's notebooks and render its site.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    commands = {
        "build": "execute (reusing unchanged notebooks) then render, with a timing summary",
        "execute": "run the toc's notebooks with papermill into the build folder",
        "render": "render the executed notebooks into <build>/html",
        "sync": "regenerate Colab cells and strip outputs of notebooks/*.ipynb",
        "check": "verify notebooks are synced, output-free, with one parameters cell",
    }
    for name, help_text in commands.items():
        p = sub.add_parser(name, help=help_text)
        p.add_argument(
            "--root",
            type=Path,
            default=REPO_ROOT,
            help="book root (default: this repository)",
        )
        if name in ("build", "execute", "render"):
            p.add_argument(
                "--build-dir",
                type=Path,
                help=f"build folder (default: ${BUILD_DIR_ENV} or <root>/_build)",
            )
            p.add_argument(
                "--partial",
                action="store_true",
                help="leave out toc entries that have no file yet (a preview; the site is incomplete)",
            )
            p.add_argument(
                "--force",
                action="store_true",
                help="execute every selected notebook / render again, even when nothing changed",
            )
        if name in ("build", "execute", "render"):
            p.add_argument(
                "--only",
                action="append",
                metavar="NAME",
                help="only the notebooks whose path contains NAME (render: a preview of those chapters)",
            )
        if name in ("build", "execute"):
            p.add_argument(
                "--params", type=Path, help=f"parameter file (default: {FAST_PARAMS})"
            )
            p.add_argument(
                "-p",
                dest="overrides",
                action="append",
                default=[],
                metavar="KEY=VALUE",
                help="replace one parameter for every notebook, or NOTEBOOK.KEY=VALUE for one "
                "(YAML value; None means None)",
            )
            p.add_argument(
                "--timeout",
                type=int,
                metavar="SECONDS",
                help=f"seconds one cell may run, 0 for no limit (default: {CELL_TIMEOUT} for the fast "
                "parameters, no limit for another parameter file such as the full run's)",
            )
            p.add_argument(
                "--max-epochs",
                type=int,
                metavar="N",
                help="cap every EPOCHS and *_EPOCHS parameter at N, the notebooks' own defaults included "
                "(a dress rehearsal of the full run)",
            )
        if name in ("build", "render"):
            p.add_argument(
                "--verbose", action="store_true", help="show Sphinx's progress output"
            )
    return parser


def cell_timeout(
    timeout: int | None, params_file: Path | None, root: Path
) -> int | None:
    """Seconds a cell may run: as given, else the fast build's limit, or none for another parameter file.

    A full-run cell trains a paper-size network for hours; a fast-build cell that runs 20 minutes
    is a bug worth stopping.
    """
    if timeout is not None:
        return timeout if timeout > 0 else None
    fast = (
        params_file is None
        or Path(params_file).resolve() == (root / FAST_PARAMS).resolve()
    )
    return CELL_TIMEOUT if fast else None


def build(args: argparse.Namespace, root: Path, build_dir: Path) -> None:
    """``execute`` then ``render``, printing the set-up, what was reused and the time of every phase."""
    import jupyter_book
    import papermill

    params_file = args.params or root / FAST_PARAMS
    overrides = parse_overrides(args.overrides)
    params = apply_overrides(
        load_params(params_file) if params_file.exists() else {}, overrides
    )
    print("== set-up")
    print(
        f"  python {sys.version.split()[0]}, papermill {papermill.__version__}, jupyter-book {jupyter_book.__version__}"
    )
    print(f"  book root: {root}")
    print(f"  build folder: {build_dir}")
    print(
        f"  parameters ({Path(params_file).name}{' + command line' if overrides else ''}): {params}"
    )
    timeout = cell_timeout(args.timeout, params_file, root)
    print(f"  time limit per cell: {f'{timeout} s' if timeout else 'none'}")
    notebooks = select_notebooks(root, args.only, partial=args.partial)
    print(f"  notebooks: {', '.join(nb.name for nb in notebooks)}")
    start = time.perf_counter()
    print("== execute")
    runs = execute_book(
        root,
        build_dir,
        only=args.only,
        params_file=params_file,
        overrides=overrides,
        timeout=timeout,
        partial=args.partial,
        force=args.force,
        max_epochs=args.max_epochs,
    )
    t_exec = time.perf_counter() - start
    print("== render")
    t0 = time.perf_counter()
    index = render_book(
        root,
        build_dir,
        partial=args.partial,
        quiet=not args.verbose,
        force=args.force,
        only=args.only,  # a preview of the chapters just executed, not the whole book
    )
    t_render = time.perf_counter() - t0
    print("== timing summary")
    for run in runs:
        how = (
            f"reused (executed earlier in {run.seconds:.1f} s)"
            if run.reused
            else f"executed in {run.seconds:.1f} s"
        )
        print(f"{run.name}: {how}")
    n_run = sum(not r.reused for r in runs)
    print(f"execute: {t_exec:.1f} s ({n_run} executed, {len(runs) - n_run} reused)")
    print(f"render: {t_render:.1f} s")
    print(f"total: {time.perf_counter() - start:.1f} s")
    print(f"HTML: {index}")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m bookbuild``; returns the exit status."""
    args = _parser().parse_args(argv)
    root = args.root.resolve()
    try:
        if args.command == "check":
            problems = check_notebooks(root)
            for p in problems:
                print(p, file=sys.stderr)
            print(
                f"check: {len(problems)} problems",
                file=sys.stderr if problems else sys.stdout,
            )
            return 1 if problems else 0
        if args.command == "sync":
            changed = sync_notebooks(root)
            print(f"sync: {len(changed)} notebooks rewritten")
            return 0
        build_dir = (
            args.build_dir.resolve() if args.build_dir else default_build_dir(root)
        )
        if args.command == "execute":
            start = time.perf_counter()
            runs = execute_book(
                root,
                build_dir,
                only=args.only,
                params_file=args.params,
                overrides=parse_overrides(args.overrides),
                timeout=cell_timeout(args.timeout, args.params, root),
                partial=args.partial,
                force=args.force,
                max_epochs=args.max_epochs,
            )
            n_run = sum(not r.reused for r in runs)
            print(
                f"execute: {time.perf_counter() - start:.1f} s ({n_run} executed, {len(runs) - n_run} reused)"
            )
            return 0
        if args.command == "render":
            start = time.perf_counter()
            index = render_book(
                root,
                build_dir,
                partial=args.partial,
                quiet=not args.verbose,
                force=args.force,
                only=args.only,
            )
            print(f"render: {time.perf_counter() - start:.1f} s")
            print(f"HTML: {index}")
            return 0
        build(args, root, build_dir)
        return 0
    except BookError as err:
        print(str(err), file=sys.stderr)
        return 1
