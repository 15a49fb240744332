"""The book's execution and rendering spine (mgr_utils.book) and the real book's build.

Unit tests run the runner on throwaway books in ``tmp_path`` (offline, a few seconds per notebook).
Tests marked ``book`` share ONE execution + rendering of the real book (the ``built_book`` fixture).
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest
import yaml

from mgr_utils import book

PARAMS_CELL = 'N = 10\nSEED = 0\nLABEL = "default"\nRESULTS_DIR = "results"\nCACHE_DIR = "cache"'
RECORD_CELL = (
    "import json, os\n"
    "os.makedirs(RESULTS_DIR, exist_ok=True)\n"
    "with open(os.path.join(RESULTS_DIR, 'params.json'), 'w') as f:\n"
    "    json.dump({'N': N, 'SEED': SEED, 'LABEL': LABEL, 'RESULTS_DIR': RESULTS_DIR,\n"
    "               'CACHE_DIR': CACHE_DIR, 'cwd': os.getcwd()}, f)"
)


def _nb(path: Path):
    return nbformat.read(str(path), as_version=4)


# ------------------------------------------------------------------------------ toc and parameters


def test_toc_entries_in_reading_order(tmp_path):
    (tmp_path / "_toc.yml").write_text(
        yaml.safe_dump(
            {
                "format": "jb-book",
                "root": "book/intro",
                "parts": [
                    {"caption": "A", "chapters": [{"file": "notebooks/01_a", "sections": [{"file": "book/a1"}]}]},
                    {"caption": "B", "chapters": [{"file": "notebooks/02_b"}, {"file": "book/refs"}]},
                ],
            }
        )
    )
    assert book.toc_entries(tmp_path) == ["book/intro", "notebooks/01_a", "book/a1", "notebooks/02_b", "book/refs"]


def test_real_toc_lists_existing_kinds_of_files():
    entries = book.toc_entries()
    assert entries[0] == "book/intro"
    assert "notebooks/01_datasets" in entries and entries[-1] == "book/references"
    assert all(not e.endswith((".ipynb", ".md")) for e in entries)


def test_fast_params_file_is_flat():
    params = book.load_params(book.REPO_ROOT / book.FAST_PARAMS)
    assert params["DATASET"] == "synthetic"
    assert not set(params) & set(book.BUILD_MANAGED_PARAMETERS), "the runner sets these itself"


def test_select_parameters_keeps_only_declared(tmp_path):
    chosen = book.select_parameters(["N", "SEED", "RESULTS_DIR"], {"N": 3, "EPOCHS": 2, "SEED": 1}, tmp_path)
    assert chosen == {"N": 3, "SEED": 1, "RESULTS_DIR": str((tmp_path / "results").resolve())}


def test_parse_overrides_reads_yaml_values():
    assert book.parse_overrides(["EPOCHS=2", "DATASET=gtzan", "RATE=0.5", "FLAG=true"]) == {
        "EPOCHS": 2,
        "DATASET": "gtzan",
        "RATE": 0.5,
        "FLAG": True,
    }
    with pytest.raises(book.BookError):
        book.parse_overrides(["EPOCHS"])


def test_prune_toc_drops_entries_without_files_and_emptied_parts():
    toc = {
        "format": "jb-book",
        "root": "book/intro",
        "parts": [
            {"caption": "A", "chapters": [{"file": "notebooks/01_a", "sections": [{"file": "book/gone"}]}]},
            {"caption": "B", "chapters": [{"file": "notebooks/02_gone"}]},
        ],
    }
    pruned = book._prune_toc(toc, {"book/intro", "notebooks/01_a"})
    assert pruned == {
        "format": "jb-book",
        "root": "book/intro",
        "parts": [{"caption": "A", "chapters": [{"file": "notebooks/01_a"}]}],
    }


# ------------------------------------------------------------------------------ execution


def test_execute_passes_only_declared_parameters(tmp_path, tiny_book):
    root = tiny_book(
        tmp_path / "bk",
        {"01_one": [("markdown", "# One"), ("parameters", PARAMS_CELL), ("code", RECORD_CELL)]},
        params={"N": 3, "SEED": 7, "UNDECLARED": 1},
    )
    build = tmp_path / "build"
    lines = []
    timings = book.execute_book(root, build, overrides={"LABEL": "override"}, log=lines.append)

    assert [name for name, _ in timings] == ["01_one.ipynb"]
    assert re.fullmatch(r"executed 01_one\.ipynb in \d+\.\d s", lines[0])
    record = json.loads((build / "results" / "params.json").read_text())
    assert record["N"] == 3 and record["SEED"] == 7 and record["LABEL"] == "override"
    assert record["RESULTS_DIR"] == str((build / "results").resolve())
    assert record["CACHE_DIR"] == str((build / "cache").resolve())
    assert Path(record["cwd"]) == (root / "notebooks").resolve()

    executed = _nb(build / "executed" / "notebooks" / "01_one.ipynb")
    injected = [c for c in executed.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(injected) == 1 and "UNDECLARED" not in injected[0].source
    assert book.read_manifest(build)["notebooks/01_one.ipynb"]["parameters"]["N"] == 3
    assert not _nb(root / "notebooks" / "01_one.ipynb").cells[2].outputs, "the source stays clean"


def test_execute_stops_at_first_error_naming_notebook_and_cell(tmp_path, tiny_book, capsys):
    root = tiny_book(
        tmp_path / "bk",
        {
            "01_ok": [("parameters", "N = 1"), ("code", "x = N + 1")],
            "02_broken": [
                ("markdown", "# Broken"),
                ("parameters", "N = 1"),
                ("code", "y = 2"),
                ("code", "# dividing by zero on purpose\nz = N / 0\nprint(z)"),
                ("code", "print('never reached')"),
            ],
            "03_after": [("parameters", "N = 1"), ("code", "w = 3")],
        },
        params={"N": 5},
    )
    build = tmp_path / "build"
    with pytest.raises(book.NotebookError) as info:
        book.execute_book(root, build, log=lambda line: None)
    err = info.value
    assert err.notebook == "notebooks/02_broken.ipynb"
    assert err.cell_index == 3, "index in the source notebook, not in papermill's parameterised copy"
    assert err.ename == "ZeroDivisionError"
    text = str(err)
    assert "notebooks/02_broken.ipynb" in text and "cell 3" in text
    assert "z = N / 0" in text and "ZeroDivisionError" in text

    manifest = book.read_manifest(build)
    assert "notebooks/01_ok.ipynb" in manifest
    assert "notebooks/02_broken.ipynb" not in manifest, "a failed notebook is never marked executed"
    assert not (build / "executed" / "notebooks" / "03_after.ipynb").exists(), "stops at the first error"

    code = book.main(["execute", "--root", str(root), "--build-dir", str(build)])
    assert code != 0
    assert "FAILED: notebooks/02_broken.ipynb, cell 3" in capsys.readouterr().err


def test_execute_timeout_names_the_running_cell(tmp_path, tiny_book):
    root = tiny_book(
        tmp_path / "bk",
        {"01_slow": [("parameters", "N = 1"), ("code", "x = 1"), ("code", "import time\ntime.sleep(60)")]},
    )
    with pytest.raises(book.NotebookError) as info:
        book.execute_book(root, tmp_path / "build", timeout=3, log=lambda line: None)
    err = info.value
    assert err.notebook == "notebooks/01_slow.ipynb" and err.cell_index == 2
    assert "Timeout" in err.ename and "time.sleep(60)" in str(err)


def test_execute_only_filter_and_missing_toc_entry(tmp_path, tiny_book):
    root = tiny_book(tmp_path / "bk", {"01_a": [("parameters", "N = 1")], "02_b": [("parameters", "N = 1")]})
    build = tmp_path / "build"
    timings = book.execute_book(root, build, only=["02"], log=lambda line: None)
    assert [n for n, _ in timings] == ["02_b.ipynb"]
    (root / "notebooks" / "01_a.ipynb").unlink()
    with pytest.raises(book.BookError, match="notebooks/01_a"):
        book.execute_book(root, build, log=lambda line: None)


def test_render_refuses_unexecuted_or_stale_notebooks(tmp_path, tiny_book):
    root = tiny_book(tmp_path / "bk", {"01_a": [("parameters", "N = 1")], "02_b": [("parameters", "N = 1")]})
    build = tmp_path / "build"
    book.execute_book(root, build, only=["01_a"], log=lambda line: None)
    with pytest.raises(book.BookError, match=r"notebooks/02_b\.ipynb: not executed"):
        book.render_book(root, build)
    book.execute_book(root, build, only=["02_b"], log=lambda line: None)
    nb = _nb(root / "notebooks" / "01_a.ipynb")
    nb.cells.append(nbformat.v4.new_code_cell("N = 2"))
    nbformat.write(nb, str(root / "notebooks" / "01_a.ipynb"))
    with pytest.raises(book.BookError, match=r"notebooks/01_a\.ipynb: changed since it was executed"):
        book.render_book(root, build)
    assert not (build / "html").exists()


def test_render_builds_site_and_fails_on_sphinx_warning(tmp_path, tiny_book):
    cells = [
        ("markdown", "# Plot"),
        ("parameters", "N = 1"),
        ("code", "import matplotlib.pyplot as plt\nplt.plot([0, N])\nplt.show()"),
        ("markdown", "As {cite:t}`tzanetakis2002` showed."),
    ]
    root = tiny_book(tmp_path / "bk", {"01_plot": cells})
    toc = yaml.safe_load((root / "_toc.yml").read_text())
    toc["chapters"].insert(1, {"file": "notebooks/02_not_written_yet"})
    (root / "_toc.yml").write_text(yaml.safe_dump(toc, sort_keys=False))
    build = tmp_path / "build"
    with pytest.raises(book.BookError, match="notebooks/02_not_written_yet"):
        book.execute_book(root, build, log=lambda line: None)
    book.execute_book(root, build, partial=True, log=lambda line: None)
    with pytest.raises(book.BookError, match="notebooks/02_not_written_yet: listed in _toc.yml but no such file"):
        book.render_book(root, build)
    index = book.render_book(root, build, partial=True, log=lambda line: None)
    assert not (build / "html" / "notebooks" / "02_not_written_yet.html").exists()
    assert index == (build / "html" / "index.html").resolve()
    page = (build / "html" / "notebooks" / "01_plot.html").read_text(encoding="utf-8")
    assert len(_output_images(page)) == 1
    assert "Tzanetakis" in page

    (root / "book" / "intro.md").write_text("# Intro\n\nSee {cite:p}`no_such_key_1999`.\n")
    with pytest.raises(book.BookError, match="warnings are errors"):
        book.render_book(root, build, partial=True, log=lambda line: None)


# ------------------------------------------------------------------------------ sync and check

INSTALL = (
    "# Colab only: install the book's package from its repository. TensorFlow and Keras are left as Colab ships them.\n"
    "import sys\n"
    'if "google.colab" in sys.modules:\n'
    '    %pip install --quiet "mgr-cnn-book @ git+https://github.com/someone/fork@dev"'
)
BADGE = (
    "[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]"
    "(https://colab.research.google.com/github/someone/fork/blob/dev/notebooks/01_x.ipynb)"
)


def test_sync_derives_colab_cells_from_config(tmp_path, tiny_book):
    root = tiny_book(
        tmp_path / "bk",
        {"01_x": [("markdown", "# X"), ("parameters", "N = 1"), ("code", "print(N)")]},
        repo_url="https://github.com/someone/fork",
        branch="dev",
    )
    path = root / "notebooks" / "01_x.ipynb"
    nb = _nb(path)
    nb.cells[2].outputs = [nbformat.v4.new_output("stream", text="1\n")]
    nb.cells[2].execution_count = 4
    nbformat.write(nb, str(path))
    assert book.check_notebooks(root), "outputs and missing Colab cells are problems"

    assert book.sync_notebooks(root, log=lambda line: None) == [path]
    nb = _nb(path)
    assert [c.cell_type for c in nb.cells] == ["markdown", "markdown", "code", "code", "code"]
    assert nb.cells[1].source == BADGE and nb.cells[1].metadata["tags"] == ["colab-badge"]
    assert nb.cells[2].source == INSTALL and nb.cells[2].metadata["tags"] == ["colab-install"]
    assert nb.cells[4].outputs == [] and nb.cells[4].execution_count is None
    assert book.check_notebooks(root) == []
    assert book.sync_notebooks(root, log=lambda line: None) == [], "sync is idempotent"


def test_check_detects_drift_outputs_and_parameter_cells(tmp_path, tiny_book, capsys):
    root = tiny_book(tmp_path / "bk", {"01_x": [("markdown", "# X"), ("parameters", "N = 1")]})
    book.sync_notebooks(root, log=lambda line: None)
    assert book.main(["check", "--root", str(root)]) == 0

    config = yaml.safe_load((root / "_config.yml").read_text())
    config["repository"]["url"] = "https://github.com/elsewhere/moved"
    (root / "_config.yml").write_text(yaml.safe_dump(config))
    path = root / "notebooks" / "01_x.ipynb"
    nb = _nb(path)
    nb.cells.append(nbformat.v4.new_code_cell("M = 2", metadata={"tags": ["parameters"]}))
    nb.cells[-1].outputs = [nbformat.v4.new_output("execute_result", data={"text/plain": "2"}, execution_count=1)]
    nbformat.write(nb, str(path))

    problems = "\n".join(book.check_notebooks(root))
    assert "colab-badge" in problems and "colab-install" in problems
    assert "2 cells tagged 'parameters'" in problems
    assert "outputs stored" in problems
    assert book.main(["check", "--root", str(root)]) == 1
    assert "notebooks/01_x.ipynb" in capsys.readouterr().err

    book.sync_notebooks(root, log=lambda line: None)
    badge = _nb(path).cells[1].source
    assert "colab.research.google.com/github/elsewhere/moved/blob/main/notebooks/01_x.ipynb" in badge
    assert "git+https://github.com/elsewhere/moved@main" in _nb(path).cells[2].source
    assert book.check_notebooks(root) == ["notebooks/01_x.ipynb: 2 cells tagged 'parameters' (need exactly one)"]


def test_install_cell_never_pins_tensorflow():
    repo = book.read_repository()
    source = book.install_source(repo)
    assert "tensorflow" not in source.lower().split("\n", 1)[1] and "keras" not in source.lower().split("\n", 1)[1]
    assert f"git+{repo.url}@{repo.branch}" in source
    pyproject = (book.REPO_ROOT / "pyproject.toml").read_text()
    assert f'name = "{book.PACKAGE_NAME}"' in pyproject


def test_repository_notebooks_in_sync():
    if not book.source_notebooks():
        pytest.skip("no notebooks/*.ipynb yet")
    problems = book.check_notebooks()
    assert not problems, "run `python -m mgr_utils.book sync`:\n" + "\n".join(problems)


# ------------------------------------------------------------------------------ the real book


class _Images(HTMLParser):
    """Collect the ``src`` of every ``<img>`` inside a cell's output area (myst-nb's ``cell_output``)."""

    def __init__(self):
        super().__init__()
        self.stack, self.srcs = [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "img":
            if any("cell_output" in cls for cls in self.stack):
                self.srcs.append(attrs.get("src", ""))
            return
        if tag in ("br", "hr", "meta", "link", "input", "source", "col", "area", "base", "wbr", "embed", "track"):
            return
        self.stack.append(attrs.get("class") or "")

    def handle_endtag(self, tag):
        if tag not in ("img", "br", "hr", "meta", "link", "input", "source") and self.stack:
            self.stack.pop()


def _output_images(html: str) -> list[str]:
    parser = _Images()
    parser.feed(html)
    return parser.srcs


@pytest.mark.book
def test_every_toc_page_is_rendered(built_book):
    for name, seconds in built_book.timings:
        print(f"executed {name} in {seconds:.1f} s")
    if built_book.render_seconds is not None:
        print(f"render: {built_book.render_seconds:.1f} s")
    assert (built_book.html / "index.html").exists()
    assert not built_book.missing, f"toc entries without a file yet (left out of the site): {built_book.missing}"
    absent = [e for e in book.toc_entries(built_book.root) if not built_book.page(e).exists()]
    assert not absent, f"toc pages missing from the HTML: {absent}"


@pytest.mark.book
def test_no_notebook_page_is_empty(built_book):
    empty = []
    for nb in book.toc_notebooks(built_book.root):
        entry = book.relpath(built_book.root, nb)[: -len(".ipynb")]
        page = built_book.page(entry)
        srcs = _output_images(page.read_text(encoding="utf-8"))
        broken = [s for s in srcs if not s.startswith("data:") and not (page.parent / s).exists()]
        assert not broken, f"{entry}: images missing from the site: {broken}"
        if not srcs:
            empty.append(entry)
    assert not empty, f"notebook pages without a single output image: {empty}"


@pytest.mark.book
def test_executed_notebooks_hold_no_errors(built_book):
    for nb in book.toc_notebooks(built_book.root):
        executed = _nb(book.executed_path(built_book.root, built_book.build_dir, nb))
        errors = [o for c in executed.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
        assert not errors, nb.name


@pytest.mark.book
def test_every_notebook_writes_its_results_record(built_book):
    """A notebook that declares RESULTS_DIR records each system it measured, at clip level."""
    import papermill

    missing = []
    for nb in book.toc_notebooks(built_book.root):
        if "RESULTS_DIR" not in papermill.inspect_notebook(str(nb)):
            continue
        record = built_book.results / f"{nb.stem}.json"
        if not record.exists():
            missing.append(record.name)
            continue
        systems = json.loads(record.read_text(encoding="utf-8"))["systems"]
        assert systems, f"{record.name} records no system"
        for name, result in systems.items():
            assert 0.0 <= result["accuracy"] <= 1.0, (record.name, name)
            assert result["dataset"] == "synthetic" and result["protocol"], (record.name, name)
    assert not missing, f"results records missing from {built_book.results}: {missing}"
