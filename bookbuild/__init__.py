"""bookbuild: the tooling that executes the book's notebooks and renders its site.

It lives apart from :mod:`mgr_utils`, the package the notebooks import (as ``d2lbook`` lives apart
from ``d2l``): readers never import it, and ``mgr_utils`` imports neither papermill nor Jupyter Book.

Command line, from the repository root (``make book`` runs ``build``)::

    python -m bookbuild build   [--only NAME] [--params FILE] [-p KEY=VALUE]... [--force] [--max-epochs N]
    python -m bookbuild execute [same options]       # papermill only
    python -m bookbuild render  [--force]            # Jupyter Book only
    python -m bookbuild sync                          # rewrite each notebook's Colab cells, strip outputs
    python -m bookbuild check                         # verify the same without writing

Modules: :mod:`~bookbuild.layout` (book root, toc, build folder), :mod:`~bookbuild.params`
(parameter files, overrides, type checks), :mod:`~bookbuild.execute` (papermill, reuse keys),
:mod:`~bookbuild.render` (staging, Jupyter Book), :mod:`~bookbuild.colab` (badge and install cell),
:mod:`~bookbuild.data` (data fingerprint, the GTZAN check before a full run).
"""

from bookbuild.colab import (  # noqa: F401
    BADGE_TAG,
    INSTALL_TAG,
    PACKAGE_NAME,
    Repository,
    badge_source,
    check_notebooks,
    install_source,
    notebook_problems,
    read_repository,
    sync_notebook,
    sync_notebooks,
)
from bookbuild.cli import main  # noqa: F401
from bookbuild.data import (  # noqa: F401
    check_data,
    check_folder,
    check_gtzan,
    data_fingerprint,
)
from bookbuild.execute import (  # noqa: F401
    CELL_TIMEOUT,
    INJECTED_TAG,
    KERNEL_NAME,
    KERNELSPEC,
    LABEL_TAG,
    NotebookError,
    Run,
    execute_book,
    execute_notebook,
    file_sha256,
    read_manifest,
    unexecuted_notebooks,
    why_execute,
)
from bookbuild.layout import (  # noqa: F401
    BUILD_DIR_ENV,
    BUILD_SUBFOLDERS,
    FAST_PARAMS,
    FULL_PARAMS,
    REPO_ROOT,
    BookError,
    chapter_notebooks,
    default_build_dir,
    executed_path,
    execution_order,
    missing_toc_entries,
    prune_toc,
    relpath,
    resolve_doc,
    select_notebooks,
    source_notebooks,
    toc_entries,
    toc_notebooks,
)
from bookbuild.params import (  # noqa: F401
    PARAMETERS_TAG,
    Declared,
    declared_parameters,
    load_params,
    params_for,
    parse_overrides,
    apply_overrides,
    select_parameters,
)
from bookbuild.render import render_book, stage_site  # noqa: F401
