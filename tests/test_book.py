"""The book's execution and rendering spine (bookbuild) and the real book's build.

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

import bookbuild as book
from conftest import calls_save_system
from mgr_utils.results import record_path

PARAMS_CELL = (
    'N = 10\nSEED = 0\nLABEL = "default"\nRESULTS_DIR = None\nCACHE_DIR = None'
)
RECORD_CELL = (
    "import json, os\n"
    "results = RESULTS_DIR or os.environ['MGR_RESULTS_DIR']\n"
    "os.makedirs(results, exist_ok=True)\n"
    "with open(os.path.join(results, 'params.json'), 'w') as f:\n"
    "    json.dump({'N': N, 'SEED': SEED, 'LABEL': LABEL, 'RESULTS_DIR': RESULTS_DIR, 'results': results,\n"
    "               'cache': os.environ['MGR_CACHE_DIR'], 'tqdm': os.environ.get('TQDM_DISABLE'),\n"
    "               'models': os.environ['MGR_MODELS_DIR'],\n"
    "               'cwd': os.getcwd()}, f)"
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
                    {
                        "caption": "A",
                        "chapters": [
                            {
                                "file": "notebooks/01_a",
                                "sections": [{"file": "book/a1"}],
                            }
                        ],
                    },
                    {
                        "caption": "B",
                        "chapters": [{"file": "notebooks/02_b"}, {"file": "book/refs"}],
                    },
                ],
            }
        )
    )
    assert book.toc_entries(tmp_path) == [
        "book/intro",
        "notebooks/01_a",
        "book/a1",
        "notebooks/02_b",
        "book/refs",
    ]


def test_chapters_are_the_notebooks_of_numbered_parts(tmp_path):
    for name in ("01_a", "02_b", "own"):
        (tmp_path / "notebooks").mkdir(exist_ok=True)
        (tmp_path / "notebooks" / f"{name}.ipynb").write_text("{}")
    toc = {
        "format": "jb-book",
        "root": "book/intro",
        "parts": [
            {"caption": "A", "numbered": 1, "chapters": [{"file": "notebooks/01_a"}]},
            {"caption": "B", "numbered": 1, "chapters": [{"file": "notebooks/02_b"}]},
            {"caption": "Back", "chapters": [{"file": "notebooks/own"}]},
        ],
    }
    (tmp_path / "_toc.yml").write_text(yaml.safe_dump(toc))
    assert [p.stem for p in book.chapter_notebooks(tmp_path)] == ["01_a", "02_b"]
    assert [p.stem for p in book.toc_notebooks(tmp_path)] == ["01_a", "02_b", "own"]
    for part in toc["parts"]:
        part.pop("numbered", None)
    (tmp_path / "_toc.yml").write_text(yaml.safe_dump(toc))
    assert [p.stem for p in book.chapter_notebooks(tmp_path)] == ["01_a", "02_b", "own"]
    real = [p.stem for p in book.chapter_notebooks()]
    assert "classify_your_music" not in real and "10_results" in real


def test_real_toc_lists_existing_kinds_of_files():
    entries = book.toc_entries()
    assert entries[0] == "book/intro"
    assert "notebooks/01_datasets" in entries and entries[-1] == "book/references"
    assert all(not e.endswith((".ipynb", ".md")) for e in entries)


def test_parameter_files():
    fast = book.load_params(book.REPO_ROOT / book.FAST_PARAMS)
    assert fast["DATASET"] == "synthetic" and "chapters" not in fast
    full = book.load_params(book.REPO_ROOT / book.FULL_PARAMS)
    assert (
        full["DATASET"] == "gtzan"
        and full["SPLIT"] == "filtered"
        and full["DURATION"] is None
    )
    assert set(full["chapters"]) <= {nb.stem for nb in book.toc_notebooks()}, (
        "chapters: keys name notebooks"
    )
    for params in (fast, full):
        assert not {"RESULTS_DIR", "CACHE_DIR", "MODELS_DIR"} & set(params), (
            "the runner sets the build folders itself"
        )
    assert (
        book.params_for(full, "04_costa_cnn")["EPOCHS"]
        == full["chapters"]["04_costa_cnn"]["EPOCHS"]
    )


def test_parameter_file_errors(tmp_path):
    bad = tmp_path / "p.yaml"
    bad.write_text("EPOCHS: 2\nchapters:\n  04_x: 3\n")
    with pytest.raises(book.BookError, match="chapters"):
        book.load_params(bad)
    bad.write_text("2EPOCHS: 2\n")
    with pytest.raises(book.BookError, match="not a valid parameter name"):
        book.load_params(bad)


def test_parse_overrides_reads_yaml_values_and_every_spelling_of_none():
    assert book.parse_overrides(
        ["EPOCHS=2", "DATASET=gtzan", "RATE=0.5", "FLAG=true"]
    ) == {
        "EPOCHS": 2,
        "DATASET": "gtzan",
        "RATE": 0.5,
        "FLAG": True,
    }
    for spelling in ("None", "none", "null", "~", ""):
        assert book.parse_overrides([f"DURATION={spelling}"]) == {"DURATION": None}
    with pytest.raises(book.BookError):
        book.parse_overrides(["EPOCHS"])
    assert book.parse_overrides(["07_raw_audio.SAMPLE_EPOCHS=1"]) == {
        "07_raw_audio.SAMPLE_EPOCHS": 1
    }
    with pytest.raises(book.BookError, match="NOTEBOOK.KEY"):
        book.parse_overrides(["07 raw.EPOCHS=1"])


def test_command_line_wins_over_a_chapters_own_value():
    full = book.load_params(book.REPO_ROOT / book.FULL_PARAMS)
    params = book.apply_overrides(
        full, book.parse_overrides(["EPOCHS=2", "07_raw_audio.SAMPLE_EPOCHS=1"])
    )
    assert book.params_for(params, "04_costa_cnn")["EPOCHS"] == 2, (
        "-p EPOCHS=2 reaches a chapter with its own EPOCHS"
    )
    assert book.params_for(params, "06_zhang_cnn")["EPOCHS"] == 2
    assert book.params_for(params, "07_raw_audio")["SAMPLE_EPOCHS"] == 1
    assert book.params_for(params, "09_auralisation").get("SAMPLE_EPOCHS") is None, (
        "a chapter's override stays there"
    )
    assert book.params_for(full, "04_costa_cnn")["EPOCHS"] == 80, (
        "the file's values are not changed in place"
    )


def test_full_run_cells_have_no_time_limit_and_fast_build_cells_do():
    from bookbuild.cli import cell_timeout

    root = book.REPO_ROOT
    assert cell_timeout(None, None, root) == book.CELL_TIMEOUT
    assert cell_timeout(None, root / book.FAST_PARAMS, root) == book.CELL_TIMEOUT
    assert cell_timeout(None, root / book.FULL_PARAMS, root) is None, (
        "a paper-size training cell runs for hours"
    )
    assert (
        cell_timeout(0, None, root) is None
        and cell_timeout(60, root / book.FULL_PARAMS, root) == 60
    )


def test_override_of_an_unknown_notebook_stops_before_anything_runs(tmp_path):
    with pytest.raises(book.BookError, match="not in the book: 99_nope"):
        book.execute_book(
            book.REPO_ROOT, tmp_path / "b", overrides={"99_nope.EPOCHS": 1}
        )


def test_declared_parameters_and_their_types(tmp_path, tiny_book):
    cell = (
        'DATASET = "synthetic"\nDATA_DIR: str | None = None\nDURATION: float | None = 10.0\n'
        "EPOCHS = 6  # maximum\nRATE = 1e-3\nFILTERS = (8, 8)\nFLAG = False"
    )
    root = tiny_book(tmp_path / "bk", {"01_p": [("parameters", cell)]})
    declared = book.declared_parameters(root / "notebooks" / "01_p.ipynb")
    assert list(declared) == [
        "DATASET",
        "DATA_DIR",
        "DURATION",
        "EPOCHS",
        "RATE",
        "FILTERS",
        "FLAG",
    ]
    assert (
        declared["DURATION"].default == 10.0
        and declared["DURATION"].annotation == "float | None"
    )
    ok = {
        "DATASET": "gtzan",
        "DATA_DIR": "/data",
        "DURATION": None,
        "EPOCHS": 2,
        "RATE": 1,
        "FILTERS": [4, 4],
        "FLAG": True,
        "UNDECLARED": object(),
    }
    assert book.select_parameters(declared, ok, "01_p") == {
        k: v for k, v in ok.items() if k != "UNDECLARED"
    }
    for name, value, words in [
        ("DURATION", "None", "a number or None"),
        ("EPOCHS", 2.5, "an integer"),
        ("EPOCHS", "abc", "an integer"),
        ("RATE", "fast", "a number"),
        ("DATASET", 3, "a string"),
        ("FLAG", 1, "true or false"),
    ]:
        with pytest.raises(
            book.BookError, match=f"parameter {name} of 01_p takes {words}"
        ):
            book.select_parameters(declared, {name: value}, "01_p")


def test_the_real_notebooks_take_none_for_duration_and_refuse_a_string():
    notebooks = book.toc_notebooks()
    plan = book.execute.plan_parameters(
        book.REPO_ROOT, notebooks, book.parse_overrides(["DURATION=None"])
    )
    assert any(p.get("DURATION", "absent") is None for p in plan.values())
    with pytest.raises(
        book.BookError,
        match=r"parameter DURATION of notebooks/0\d_\w+\.ipynb takes a number or None",
    ):
        book.execute.plan_parameters(book.REPO_ROOT, notebooks, {"DURATION": "thirty"})


def test_max_epochs_caps_the_params_file_and_the_notebooks_own_epoch_defaults():
    notebooks = [nb for nb in book.toc_notebooks() if nb.stem == "08_pretraining"]
    declared = book.declared_parameters(notebooks[0])
    assert declared["PRETRAIN_EPOCHS"].default > 1 and declared["EPOCHS"].default > 1
    plan = book.execute.plan_parameters(
        book.REPO_ROOT, notebooks, {"EPOCHS": 40, "SEED": 3}, max_epochs=1
    )
    chosen = plan[notebooks[0]]
    assert (
        chosen["EPOCHS"] == 1 and chosen["PRETRAIN_EPOCHS"] == 1
    )  # given, and left at its default
    assert (
        chosen["SEED"] == 3 and "N_SEEDS" not in chosen
    )  # other defaults are not passed
    uncapped = book.execute.plan_parameters(book.REPO_ROOT, notebooks, {"EPOCHS": 40})[
        notebooks[0]
    ]
    assert uncapped == {"EPOCHS": 40}


def test_prune_toc_drops_entries_without_files_and_emptied_parts():
    toc = {
        "format": "jb-book",
        "root": "book/intro",
        "parts": [
            {
                "caption": "A",
                "chapters": [
                    {"file": "notebooks/01_a", "sections": [{"file": "book/gone"}]}
                ],
            },
            {"caption": "B", "chapters": [{"file": "notebooks/02_gone"}]},
        ],
    }
    pruned = book.prune_toc(toc, {"book/intro", "notebooks/01_a"})
    assert pruned == {
        "format": "jb-book",
        "root": "book/intro",
        "parts": [{"caption": "A", "chapters": [{"file": "notebooks/01_a"}]}],
    }


# ------------------------------------------------------------------------------ execution


def test_execute_passes_only_declared_parameters_and_labels_them(tmp_path, tiny_book):
    root = tiny_book(
        tmp_path / "bk",
        {
            "01_one": [
                ("markdown", "# One"),
                ("parameters", PARAMS_CELL),
                ("code", RECORD_CELL),
            ]
        },
        params={"N": 3, "SEED": 7, "UNDECLARED": 1},
    )
    build = tmp_path / "build"
    lines = []
    runs = book.execute_book(
        root, build, overrides={"LABEL": "override"}, log=lines.append
    )

    assert [(r.name, r.reused) for r in runs] == [("01_one.ipynb", False)]
    assert lines[0] == "executing 01_one.ipynb: no earlier execution on record"
    assert re.fullmatch(r"executed 01_one\.ipynb in \d+\.\d s", lines[1])
    record = json.loads((build / "results" / "params.json").read_text())
    assert record["N"] == 3 and record["SEED"] == 7 and record["LABEL"] == "override"
    assert record["RESULTS_DIR"] is None, "no build path is injected into the page"
    assert record["results"] == str((build / "results").resolve())
    assert record["cache"] == str((build / "cache").resolve())
    assert record["models"] == str((build / "models").resolve())
    assert record["tqdm"] == "1", "no progress bars in a page"
    assert Path(record["cwd"]) == (root / "notebooks").resolve()

    executed = _nb(build / "executed" / "notebooks" / "01_one.ipynb")
    injected = [
        i
        for i, c in enumerate(executed.cells)
        if "injected-parameters" in c.metadata.get("tags", [])
    ]
    assert len(injected) == 1
    cell = executed.cells[injected[0]]
    assert "UNDECLARED" not in cell.source and "RESULTS_DIR" not in cell.source
    assert "hide-cell" in cell.metadata["tags"], "folded on the page"
    label = executed.cells[injected[0] - 1]
    assert label.cell_type == "markdown" and label.source.startswith(
        "**Parameters of this build** (from "
    )
    assert "`N = 3`" in label.source and "`LABEL = 'override'`" in label.source
    assert not [
        c for c in executed.cells if "bookbuild-deps" in c.metadata.get("tags", [])
    ], "deps cell removed"
    assert book.read_manifest(build)["notebooks/01_one.ipynb"]["parameters"]["N"] == 3
    assert not _nb(root / "notebooks" / "01_one.ipynb").cells[2].outputs, (
        "the source stays clean"
    )


FAKE_PACKAGE = {
    "__init__.py": "",
    "helper.py": "VALUE = 1\n",
    "results.py": (
        "import json, os\nfrom pathlib import Path\nREAD_LOG, WRITE_LOG = [], []\n"
        "def write(name, obj):\n"
        "    path = Path(os.environ['MGR_RESULTS_DIR']) / 'synthetic' / f'{name}.json'\n"
        "    path.parent.mkdir(parents=True, exist_ok=True)\n"
        "    path.write_text(json.dumps(obj))\n"
        "    WRITE_LOG.append(path.resolve())\n"
        "def read(name):\n"
        "    path = Path(os.environ['MGR_RESULTS_DIR']) / 'synthetic' / f'{name}.json'\n"
        "    READ_LOG.append(path.resolve())\n"
        "    return json.loads(path.read_text())\n"
    ),
}


def test_rebuild_reexecutes_exactly_what_changed(tmp_path, tiny_book):
    """The reuse key: notebook, parameters, package modules it imported, data, records it read."""
    data = tmp_path / "data"
    data.mkdir()
    (data / "a.wav").write_bytes(b"x")
    root = tiny_book(
        tmp_path / "bk",
        {
            "01_helper": [
                ("parameters", "N = 1"),
                (
                    "code",
                    "from mgr_utils import helper, results\nresults.write('01_helper', {'v': helper.VALUE * N})\n"
                    "assert results.read('01_helper')['v'] == helper.VALUE * N  # its own record: no input",
                ),
            ],
            "02_plain": [("parameters", "M = 1"), ("code", "x = M + 1")],
            "03_reader": [
                ("parameters", "K = 1"),
                (
                    "code",
                    "from mgr_utils import results\nv = results.read('01_helper')['v']",
                ),
            ],
            "04_data": [
                ("parameters", "DATA_DIR = None"),
                ("code", "import os\nn = len(os.listdir(DATA_DIR))"),
            ],
        },
        params={"N": 2, "DATA_DIR": str(data)},
    )
    (root / "mgr_utils").mkdir()
    for name, text in FAKE_PACKAGE.items():
        (root / "mgr_utils" / name).write_text(text)
    build = tmp_path / "build"

    def run(**kwargs):
        lines = []
        runs = book.execute_book(root, build, log=lines.append, **kwargs)
        return {r.name[:2]: r for r in runs}, lines

    first, _ = run()
    assert not any(r.reused for r in first.values())
    deps = book.read_manifest(build)["notebooks/01_helper.ipynb"]["deps"]
    assert set(deps["modules"]) == {
        "mgr_utils",
        "mgr_utils.helper",
        "mgr_utils.results",
    }

    second, lines = run()
    assert all(r.reused for r in second.values()), lines
    assert lines[0].startswith("reused 01_helper.ipynb (unchanged")

    (root / "mgr_utils" / "helper.py").write_text("VALUE = 2\n")
    third, lines = run()
    assert {k for k, r in third.items() if not r.reused} == {"01", "03"}
    assert third["01"].reason == "package source changed: mgr_utils/helper.py"
    assert third["03"].reason == "results records it read changed: 01_helper"

    nb = _nb(root / "notebooks" / "02_plain.ipynb")
    nb.cells.append(nbformat.v4.new_code_cell("y = 3"))
    nbformat.write(nb, str(root / "notebooks" / "02_plain.ipynb"))
    fourth, _ = run()
    assert {k for k, r in fourth.items() if not r.reused} == {"02"} and fourth[
        "02"
    ].reason == "the notebook changed"

    fifth, _ = run(overrides={"N": 3})
    assert {k for k, r in fifth.items() if not r.reused} == {"01", "03"}
    assert fifth["01"].reason == "its parameters changed"

    (data / "b.wav").write_bytes(b"y")
    sixth, _ = run(overrides={"N": 3})
    assert {k for k, r in sixth.items() if not r.reused} == {"04"} and sixth[
        "04"
    ].reason == "the data changed"

    (build / "results" / "synthetic" / "01_helper.json").unlink()
    seventh, _ = run(overrides={"N": 3})
    assert seventh["01"].reason == "its results record 01_helper.json is missing"

    forced, _ = run(overrides={"N": 3}, force=True)
    assert not any(r.reused for r in forced.values())


def test_a_reader_reexecutes_when_a_record_it_read_changes(tmp_path, tiny_book):
    """The reuse key holds the content of every record a chapter read."""
    produce = "from mgr_utils import results\nresults.write('01_producer', {'v': N})"
    read = (
        "from mgr_utils import results\nv = results.read('01_producer')['v']\n"
        "results.write('02_reader', {'seen': v})"
    )
    root = tiny_book(
        tmp_path / "bk",
        {
            "01_producer": [("parameters", "N = 1"), ("code", produce)],
            "02_reader": [("parameters", "K = 1"), ("code", read)],
        },
    )
    (root / "mgr_utils").mkdir()
    for name, text in FAKE_PACKAGE.items():
        (root / "mgr_utils" / name).write_text(text)
    build = tmp_path / "build"
    records = build / "results" / "synthetic"  # <results>/<DATASET>/<chapter>.json

    def run(**kwargs):
        runs = book.execute_book(root, build, log=lambda line: None, **kwargs)
        seen = json.loads((records / "02_reader.json").read_text())["seen"]
        return {r.name[:2]: r for r in runs}, seen

    first, seen = run()
    assert seen == 1 and not any(r.reused for r in first.values())
    again, _ = run()
    assert all(r.reused for r in again.values())

    # A record rewritten outside the build (by hand, by another build): the producer's
    # key is unchanged.
    (records / "01_producer.json").write_text(json.dumps({"v": 5}))
    stale, seen = run()
    assert stale["01"].reused, "the producer's own inputs did not change"
    assert not stale["02"].reused
    assert stale["02"].reason == "results records it read changed: 01_producer"
    assert seen == 5, "the reader shows what the record now holds"

    # A producer re-executed with an unchanged key (--force) and a different record.
    (root / "notebooks" / "fast_params.yaml").write_text("N: 1\n")
    (records / "01_producer.json").write_text(json.dumps({"v": 7}))
    run(only=["02_reader"])  # the reader catches up with v = 7
    forced, seen = run(only=["01_producer"], force=True)  # v = 1 again, the same key
    after, seen = run()
    assert after["01"].reused and not after["02"].reused and seen == 1

    # A run outside the build (the notebook by hand, this RESULTS_DIR) stopped half-way
    # over the producer's record: the producer runs again, to its last cell.
    (records / "01_producer.json").write_text(json.dumps({"v": 1, "complete": False}))
    redo, seen = run()
    assert redo["01"].reason == (
        "its results record 01_producer.json is from a run that stopped before its "
        "last cell"
    )
    assert redo["02"].reused and seen == 1


FAKE_SAVING = (
    "import os\nfrom pathlib import Path\nREAD_LOG, WRITE_LOG = [], []\n"
    "def folder():\n"
    "    return Path(os.environ['MGR_MODELS_DIR']) / 'synthetic'\n"
    "def save(name, text):\n"
    "    path = folder() / f'{name}.json'\n"
    "    path.parent.mkdir(parents=True, exist_ok=True)\n"
    "    path.write_text(text)\n"
    "    WRITE_LOG.append(path.resolve())\n"
    "def load(name):\n"
    "    path = folder() / f'{name}.json'\n"
    "    READ_LOG.append(path.resolve())\n"
    "    return path.read_text()\n"
    "def listing():\n"
    "    READ_LOG.append(folder().resolve())\n"
    "    return sorted(p.stem for p in folder().glob('*.json'))\n"
)
"""A stand-in for mgr_utils.saving with its two logs: cards (and folders listed) read,
cards written."""


def test_a_reader_reexecutes_when_a_saved_system_it_read_changes(tmp_path, tiny_book):
    """The reuse key holds every saved system's card a chapter read and the folders it listed."""
    root = tiny_book(
        tmp_path / "bk",
        {
            "01_trainer": [
                ("parameters", "N = 1"),
                (
                    "code",
                    "from mgr_utils import saving\nsaving.save('net', f'weights {N}')\n"
                    "assert saving.load('net')  # its own system: not an input",
                ),
            ],
            "02_user": [
                ("parameters", "K = 1"),
                ("code", "from mgr_utils import saving\nw = saving.load('net')"),
            ],
            "03_lister": [
                ("parameters", "K = 1"),
                ("code", "from mgr_utils import saving\nnames = saving.listing()"),
            ],
        },
    )
    (root / "mgr_utils").mkdir()
    for name, text in {**FAKE_PACKAGE, "saving.py": FAKE_SAVING}.items():
        (root / "mgr_utils" / name).write_text(text)
    build = tmp_path / "build"
    models = build / "models" / "synthetic"

    def run(**kwargs):
        runs = book.execute_book(root, build, log=lambda line: None, **kwargs)
        return {r.name[:2]: r for r in runs}

    assert not any(r.reused for r in run().values())
    deps = book.read_manifest(build)["notebooks/01_trainer.ipynb"]["deps"]
    assert deps["systems_written"] == [str((models / "net.json").resolve())]
    assert all(r.reused for r in run().values())

    (models / "net.json").write_text("weights retrained elsewhere")
    again = run()
    assert again["01"].reused and again["03"].reused
    assert again["02"].reason == "saved systems it read changed: synthetic/net"

    (models / "other.json").write_text("a system another chapter saved")
    again = run()
    assert again["01"].reused and again["02"].reused
    assert again["03"].reason == "saved systems it read changed: synthetic/"

    (models / "net.json").unlink()
    again = run()
    assert again["01"].reason == "its saved system synthetic/net is missing"
    assert again["02"].reason == "saved systems it read changed: synthetic/net"


def test_full_run_without_data_stops_before_executing(tmp_path, tiny_book):
    cells = [
        ("parameters", 'DATASET = "synthetic"\nDATA_DIR = None\nSPLIT = "stratified"'),
        ("code", "x = 1"),
    ]
    records = [("parameters", 'DATASET = "synthetic"'), ("code", "x = 1")]
    root = tiny_book(
        tmp_path / "bk", {"01_a": cells, "02_b": cells, "10_records": records}
    )
    full = root / "notebooks" / "full.yaml"
    full.write_text("DATASET: gtzan\nDATA_DIR: null\nSPLIT: filtered\n")
    build = tmp_path / "build"
    with pytest.raises(book.BookError) as info:
        book.execute_book(root, build, params_file=full, log=lambda line: None)
    text = str(info.value)
    assert (
        "nothing was executed" in text
        and "DATA_DIR is not set for notebooks/01_a.ipynb, notebooks/02_b.ipynb" in text
    )
    assert "10_records" not in text, "a reader of records only reads no data"
    assert (
        "python -m mgr_utils.download gtzan" in text
        and "make book-full DATA_DIR=" in text
    )
    assert "Kaggle" in text, "the manual steps"
    assert not (build / "executed").exists()
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(
        book.BookError, match=f"DATA_DIR {empty} holds no GTZAN genre folders"
    ):
        book.execute_book(
            root,
            build,
            params_file=full,
            overrides={"DATA_DIR": str(empty)},
            log=lambda line: None,
        )
    with pytest.raises(book.BookError, match="is not a folder"):
        book.execute_book(
            root,
            build,
            params_file=full,
            overrides={"DATA_DIR": str(tmp_path / "nope")},
            log=lambda line: None,
        )


def test_the_real_full_run_fails_fast_without_data(tmp_path, capsys):
    code = book.main(
        [
            "build",
            "--params",
            str(book.REPO_ROOT / book.FULL_PARAMS),
            "--build-dir",
            str(tmp_path),
        ]
    )
    assert code == 1
    err = capsys.readouterr().err
    assert (
        "cannot start the run on GTZAN, nothing was executed" in err
        and "DATA_DIR is not set" in err
    )
    assert not (tmp_path / "executed").exists()


def test_execute_stops_at_first_error_naming_notebook_and_cell(
    tmp_path, tiny_book, capsys
):
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
    assert err.cell_index == 3, (
        "index in the source notebook, not in papermill's parameterised copy"
    )
    assert err.ename == "ZeroDivisionError"
    text = str(err)
    assert "notebooks/02_broken.ipynb" in text and "cell 3" in text
    assert "z = N / 0" in text and "ZeroDivisionError" in text

    manifest = book.read_manifest(build)
    assert "notebooks/01_ok.ipynb" in manifest
    assert "notebooks/02_broken.ipynb" not in manifest, (
        "a failed notebook is never marked executed"
    )
    assert not (build / "executed" / "notebooks" / "03_after.ipynb").exists(), (
        "stops at the first error"
    )

    code = book.main(["execute", "--root", str(root), "--build-dir", str(build)])
    assert code != 0
    assert "FAILED: notebooks/02_broken.ipynb, cell 3" in capsys.readouterr().err


def test_execute_timeout_names_the_running_cell(tmp_path, tiny_book):
    root = tiny_book(
        tmp_path / "bk",
        {
            "01_slow": [
                ("parameters", "N = 1"),
                ("code", "x = 1"),
                ("code", "import time\ntime.sleep(60)"),
            ]
        },
    )
    with pytest.raises(book.NotebookError) as info:
        book.execute_book(root, tmp_path / "build", timeout=3, log=lambda line: None)
    err = info.value
    assert err.notebook == "notebooks/01_slow.ipynb" and err.cell_index == 2
    assert "Timeout" in err.ename and "time.sleep(60)" in str(err)


def test_execute_only_filter_and_missing_toc_entry(tmp_path, tiny_book):
    root = tiny_book(
        tmp_path / "bk",
        {"01_a": [("parameters", "N = 1")], "02_b": [("parameters", "N = 1")]},
    )
    build = tmp_path / "build"
    runs = book.execute_book(root, build, only=["02"], log=lambda line: None)
    assert [n for n, _ in runs] == ["02_b.ipynb"]
    (root / "notebooks" / "01_a.ipynb").unlink()
    with pytest.raises(book.BookError, match="notebooks/01_a"):
        book.execute_book(root, build, log=lambda line: None)


def test_build_only_one_chapter_renders_a_preview_of_it(tmp_path, tiny_book, capsys):
    root = tiny_book(
        tmp_path / "bk",
        {
            "01_a": [("markdown", "# A"), ("parameters", "N = 1")],
            "02_b": [("markdown", "# B"), ("parameters", "N = 1")],
        },
        # the intro links every chapter, as the book's does: dead links in a preview
        intro="# A tiny book\n\n{doc}`../notebooks/01_a` and {doc}`../notebooks/02_b`\n",
    )
    build = tmp_path / "build"
    args = ["build", "--root", str(root), "--build-dir", str(build), "--only", "02_b"]
    assert book.main(args) == 0, capsys.readouterr().err
    assert "preview: 1 links to pages left out" in capsys.readouterr().out
    assert not (build / "executed" / "notebooks" / "01_a.ipynb").exists()
    html = build / "html" / "notebooks"
    assert (html / "02_b.html").exists() and not (html / "01_a.html").exists()
    # any other warning still fails a preview
    nb = _nb(root / "notebooks" / "02_b.ipynb")
    nb.cells.append(nbformat.v4.new_markdown_cell("See {cite}`nobody1999`."))
    nbformat.write(nb, str(root / "notebooks" / "02_b.ipynb"))
    assert book.main(args) == 1
    assert "nobody1999" in capsys.readouterr().err


def test_render_refuses_unexecuted_or_stale_notebooks(tmp_path, tiny_book):
    root = tiny_book(
        tmp_path / "bk",
        {"01_a": [("parameters", "N = 1")], "02_b": [("parameters", "N = 1")]},
    )
    build = tmp_path / "build"
    book.execute_book(root, build, only=["01_a"], log=lambda line: None)
    with pytest.raises(book.BookError, match=r"notebooks/02_b\.ipynb: not executed"):
        book.render_book(root, build)
    book.execute_book(root, build, only=["02_b"], log=lambda line: None)
    nb = _nb(root / "notebooks" / "01_a.ipynb")
    nb.cells.append(nbformat.v4.new_code_cell("N = 2"))
    nbformat.write(nb, str(root / "notebooks" / "01_a.ipynb"))
    with pytest.raises(
        book.BookError, match=r"notebooks/01_a\.ipynb: changed since it was executed"
    ):
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
    with pytest.raises(
        book.BookError,
        match="notebooks/02_not_written_yet: listed in _toc.yml but no such file",
    ):
        book.render_book(root, build)
    index = book.render_book(root, build, partial=True, log=lambda line: None)
    assert not (build / "html" / "notebooks" / "02_not_written_yet.html").exists()
    assert index == (build / "html" / "index.html").resolve()
    page = (build / "html" / "notebooks" / "01_plot.html").read_text(encoding="utf-8")
    assert len(_output_images(page)) == 1
    assert "Tzanetakis" in page

    (root / "book" / "intro.md").write_text(
        "# Intro\n\nSee {cite:p}`no_such_key_1999`.\n"
    )
    with pytest.raises(book.BookError, match="warnings are errors"):
        book.render_book(root, build, partial=True, log=lambda line: None)


# ------------------------------------------------------------------------------ sync and check

INSTALL = (
    "# Colab only: install the book's package, keeping Colab's own TensorFlow and Keras.\n"
    "import sys\n"
    "\n"
    'if "google.colab" in sys.modules:\n'
    '    repository = "git+https://github.com/someone/fork@dev"\n'
    '    %pip install --quiet "mgr-cnn-book @ {repository}"'
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
    assert [c.cell_type for c in nb.cells] == [
        "markdown",
        "markdown",
        "code",
        "code",
        "code",
    ]
    assert nb.cells[1].source == BADGE and nb.cells[1].metadata["tags"] == [
        "colab-badge"
    ]
    assert nb.cells[2].source == INSTALL and nb.cells[2].metadata["tags"] == [
        "colab-install"
    ]
    assert nb.cells[4].outputs == [] and nb.cells[4].execution_count is None
    assert book.check_notebooks(root) == []
    assert book.sync_notebooks(root, log=lambda line: None) == [], "sync is idempotent"


def test_check_detects_drift_outputs_and_parameter_cells(tmp_path, tiny_book, capsys):
    root = tiny_book(
        tmp_path / "bk", {"01_x": [("markdown", "# X"), ("parameters", "N = 1")]}
    )
    book.sync_notebooks(root, log=lambda line: None)
    assert book.main(["check", "--root", str(root)]) == 0

    config = yaml.safe_load((root / "_config.yml").read_text())
    config["repository"]["url"] = "https://github.com/elsewhere/moved"
    (root / "_config.yml").write_text(yaml.safe_dump(config))
    path = root / "notebooks" / "01_x.ipynb"
    nb = _nb(path)
    nb.cells.append(
        nbformat.v4.new_code_cell("M = 2", metadata={"tags": ["parameters"]})
    )
    nb.cells[-1].outputs = [
        nbformat.v4.new_output(
            "execute_result", data={"text/plain": "2"}, execution_count=1
        )
    ]
    nbformat.write(nb, str(path))

    problems = "\n".join(book.check_notebooks(root))
    assert "colab-badge" in problems and "colab-install" in problems
    assert "2 cells tagged 'parameters'" in problems
    assert "outputs stored" in problems
    assert book.main(["check", "--root", str(root)]) == 1
    assert "notebooks/01_x.ipynb" in capsys.readouterr().err

    book.sync_notebooks(root, log=lambda line: None)
    badge = _nb(path).cells[1].source
    assert (
        "colab.research.google.com/github/elsewhere/moved/blob/main/notebooks/01_x.ipynb"
        in badge
    )
    assert "git+https://github.com/elsewhere/moved@main" in _nb(path).cells[2].source
    assert book.check_notebooks(root) == [
        "notebooks/01_x.ipynb: 2 cells tagged 'parameters' (need exactly one)"
    ]


def test_install_cell_never_pins_tensorflow():
    repo = book.read_repository()
    source = book.install_source(repo)
    assert (
        "tensorflow" not in source.lower().split("\n", 1)[1]
        and "keras" not in source.lower().split("\n", 1)[1]
    )
    assert f"git+{repo.url}@{repo.branch}" in source
    pyproject = (book.REPO_ROOT / "pyproject.toml").read_text()
    assert f'name = "{book.PACKAGE_NAME}"' in pyproject


def test_repository_notebooks_in_sync():
    if not book.source_notebooks():
        pytest.skip("no notebooks/*.ipynb yet")
    problems = book.check_notebooks()
    assert not problems, "run `python -m bookbuild sync`:\n" + "\n".join(problems)


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
        if tag in (
            "br",
            "hr",
            "meta",
            "link",
            "input",
            "source",
            "col",
            "area",
            "base",
            "wbr",
            "embed",
            "track",
        ):
            return
        self.stack.append(attrs.get("class") or "")

    def handle_endtag(self, tag):
        if (
            tag not in ("img", "br", "hr", "meta", "link", "input", "source")
            and self.stack
        ):
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
    assert not built_book.missing, (
        f"toc entries without a file yet (left out of the site): {built_book.missing}"
    )
    absent = [
        e for e in book.toc_entries(built_book.root) if not built_book.page(e).exists()
    ]
    assert not absent, f"toc pages missing from the HTML: {absent}"


@pytest.mark.book
def test_no_notebook_page_is_empty(built_book):
    empty = []
    for nb in book.toc_notebooks(built_book.root):
        entry = book.relpath(built_book.root, nb)[: -len(".ipynb")]
        page = built_book.page(entry)
        srcs = _output_images(page.read_text(encoding="utf-8"))
        broken = [
            s
            for s in srcs
            if not s.startswith("data:") and not (page.parent / s).exists()
        ]
        assert not broken, f"{entry}: images missing from the site: {broken}"
        if not srcs:
            empty.append(entry)
    assert not empty, f"notebook pages without a single output image: {empty}"


@pytest.mark.book
def test_executed_notebooks_hold_no_errors(built_book):
    for nb in book.toc_notebooks(built_book.root):
        executed = _nb(book.executed_path(built_book.root, built_book.build_dir, nb))
        errors = [
            o
            for c in executed.cells
            if c.cell_type == "code"
            for o in c.outputs
            if o.output_type == "error"
        ]
        assert not errors, nb.name


@pytest.mark.book
def test_every_notebook_writes_an_honest_results_record(built_book):
    """Each system: test accuracy consistent with its confusion matrix, its choices not made on test."""
    missing = []
    for nb in book.toc_notebooks(built_book.root):
        if "RESULTS_DIR" not in book.declared_parameters(nb):
            continue
        record = record_path(nb.stem, "synthetic", built_book.results)
        if not record.exists():
            missing.append(record.name)
            continue
        content = json.loads(record.read_text(encoding="utf-8"))
        assert content["complete"] is True, f"{record.name}: its run did not finish"
        assert (
            content["run"]["seconds"] > 0
            and content["run"]["peak_memory_mb"]["total"] > 0
        ), record.name
        for name, r in content["systems"].items():
            where = (record.name, name)
            assert r["dataset"] == "synthetic" and r["split"] and r["protocol"], where
            assert r["selected_on"] in ("validation", "fixed"), where
            if r["selected_on"] == "validation":
                assert r["choices"], (
                    f"{where}: say which choices were made on validation"
                )
            C = r["confusion"]
            assert sum(map(sum, C)) == r["n_clips"], where
            assert sum(C[i][i] for i in range(len(C))) / r["n_clips"] == pytest.approx(
                r["accuracy"]
            ), where
            if r["reported"]:
                assert r["reported"]["sureness"] in (
                    "paper",
                    "code",
                    "secondary",
                    "reproduction",
                    "unverified",
                )
                assert "papers.md" not in json.dumps(r["reported"]), (
                    f"{where}: cite the paper, not our notes"
                )
    assert not missing, f"results records missing from {built_book.results}: {missing}"


def _chapter_pages(built_book):
    for nb in book.toc_notebooks(built_book.root):
        entry = book.relpath(built_book.root, nb)[: -len(".ipynb")]
        yield entry, built_book.page(entry).read_text(encoding="utf-8")


def saved_systems_problems(build_dir: Path, notebooks, audio: Path) -> list[str]:
    """What is wrong with the systems a build saved (an empty list: nothing).

    Every chapter whose code calls ``save_system`` saved at least one system (chapter 12
    and the page "Classify your own music" declare ``MODELS_DIR`` only to read it); every
    model has
    its card; each card's test accuracy and clip count are its chapter's results record's
    for the same system id; and each system classifies ``audio``.
    """
    from mgr_utils import predict, saving

    listing = saving.list_systems(Path(build_dir) / "models")
    problems = [f"{d}/{s}: {p.name} has no card" for d, s, p in listing.orphans]
    cards = {key: json.loads(p.read_text()) for key, p in listing.cards.items()}
    chapters = {c["chapter"] for c in cards.values()}
    for nb in notebooks:
        if calls_save_system(nb) and nb.stem not in chapters:
            problems.append(f"{nb.stem} calls save_system but saved no system")
    results = Path(build_dir) / "results"
    for (dataset, system), card in sorted(cards.items()):
        where = f"{dataset}/{system}"
        paths = [results / dataset / f"{card['chapter']}.json"]
        paths.append(results / f"{card['chapter']}.json")
        record = next((json.loads(p.read_text()) for p in paths if p.exists()), {})
        result = record.get("systems", {}).get(system)
        if result is None:
            problems.append(f"{where}: not in {card['chapter']}'s results record")
        elif (result["accuracy"], result["n_clips"]) != (
            card["test"]["accuracy"],
            card["test"]["n_clips"],
        ):
            problems.append(
                f"{where}: the card says {card['test']}, the record "
                f"{result['accuracy']} on {result['n_clips']} clips"
            )
        try:
            system_ = saving.load_system(str(listing.cards[(dataset, system)]))
            answer = predict.predict_file(audio, systems=[system_])["systems"][0]
        except Exception as err:  # any failure is a finding, named
            problems.append(f"{where}: {type(err).__name__}: {err}")
            continue
        if "error" in answer or abs(sum(answer["probabilities"].values()) - 1) > 1e-6:
            problems.append(f"{where}: {answer.get('error', 'scores do not sum to 1')}")
    return problems


def test_saved_systems_problems_finds_each_problem(tmp_path, tiny_book):
    import numpy as np
    import soundfile as sf

    from mgr_utils import features, saving
    from mgr_utils.classical import SVMClassifier

    root = tiny_book(
        tmp_path / "bk",
        {
            "03_texture": [
                ("parameters", "MODELS_DIR = None"),
                ("code", "saving.save_system(svm, MODELS_DIR)"),
            ],
            "12_validity": [
                ("parameters", "MODELS_DIR = None"),
                ("code", "systems = load_systems(MODELS_DIR)"),
            ],
        },
    )
    notebooks = book.toc_notebooks(root)
    build = tmp_path / "build"
    audio = tmp_path / "a.wav"
    rng = np.random.default_rng(0)
    sf.write(audio, 0.1 * rng.standard_normal(22050 * 3), 22050)
    assert saved_systems_problems(build, notebooks, audio) == [
        "03_texture calls save_system but saved no system"
    ]
    X, y = rng.random((8, 61)), np.repeat([0, 1], 4)
    svm = SVMClassifier(C_grid=(1.0,), gamma_grid=("scale",), cv=2).fit(X, y)
    saving.save_system(
        svm,
        "03_texture",
        "descriptor_svm",
        saving.pipeline(features.descriptors, {}),
        classes=("a", "b"),
        dataset="synthetic",
        metrics={"accuracy": 0.75, "n_clips": 8},
        models_dir=build / "models",
    )
    assert saved_systems_problems(build, notebooks, audio) == [
        "synthetic/descriptor_svm: not in 03_texture's results record"
    ]
    record = {"systems": {"descriptor_svm": {"accuracy": 0.5, "n_clips": 8}}}
    (build / "results").mkdir()
    (build / "results" / "03_texture.json").write_text(json.dumps(record))
    (problem,) = saved_systems_problems(build, notebooks, audio)
    assert problem.startswith("synthetic/descriptor_svm: the card says")
    record["systems"]["descriptor_svm"]["accuracy"] = 0.75
    (build / "results" / "03_texture.json").write_text(json.dumps(record))
    assert saved_systems_problems(build, notebooks, audio) == []
    (build / "models" / "synthetic" / "descriptor_svm.json").unlink()
    assert "has no card" in saved_systems_problems(build, notebooks, audio)[0]


@pytest.mark.book
def test_every_saved_system_matches_its_record_and_classifies_a_song(
    built_book, tmp_path
):
    """The systems the chapters saved load, agree with their records and run on a file."""
    import numpy as np
    import soundfile as sf

    t = np.arange(22050 * 12) / 22050
    y = 0.3 * np.sin(2 * np.pi * 220 * t) * (1 + np.sin(2 * np.pi * 2 * t))
    audio = tmp_path / "song.wav"
    sf.write(audio, np.stack([y, y], axis=1), 22050)  # stereo, as a song
    problems = saved_systems_problems(
        built_book.build_dir, book.toc_notebooks(built_book.root), audio
    )
    assert not problems, "\n".join(problems)


@pytest.mark.book
def test_pages_show_no_machine_paths_and_no_warnings(built_book):
    machine = [
        str(built_book.root),
        str(built_book.build_dir),
        "site-packages",
        "/tmp/",
        "/home/",
        "/root/",
    ]
    for entry, html in _chapter_pages(built_book):
        leaks = [m for m in machine if m in html]
        assert not leaks, f"{entry} shows machine paths: {leaks}"
        for warning in ("Warning:", "TqdmWarning", "IProgress not found"):
            assert warning not in html, f"{entry} shows a warning on stderr: {warning}"
        if "injected-parameters" in html:
            assert "Parameters of this build" in html, entry


KERAS_EPOCH_LINE = re.compile(r"^Epoch \d+/\d+|\d+/\d+ - \d+s - .*loss:", re.M)
RAW_RUN_DICT = re.compile(r"\{'seconds': [\d.]+,\s+'peak_memory_mb'")
MAX_PAGE_MB = {"notebooks/09_auralisation": 1.5}
"""Pages with many players or figures, and the most HTML each may weigh (MB)."""


def page_noise(executed) -> list[str]:
    """What an executed notebook shows that a reader should not see: Keras's per-epoch lines,
    the raw dict of a run, audio embedded as WAV (players embed MP3, five times lighter)."""
    found = []
    for i, cell in enumerate(executed.cells):
        if cell.cell_type != "code":
            continue
        for out in cell.outputs:
            text = out.get("text", "") if out.output_type == "stream" else ""
            data = (
                out.get("data", {})
                if out.output_type in ("execute_result", "display_data")
                else {}
            )
            if KERAS_EPOCH_LINE.search(text):
                found.append(f"cell {i}: a Keras line per epoch")
            if RAW_RUN_DICT.search(text) or RAW_RUN_DICT.search(
                str(data.get("text/plain", ""))
            ):
                found.append(f"cell {i}: the run printed as a dict")
            if "data:audio/wav" in str(data.get("text/html", "")):
                found.append(f"cell {i}: audio embedded as WAV")
    return found


RAW_OBJECT_MAX_LINES = 4
"""A printed dict or list may fill this many lines at most (a short list of sizes is fine)."""


def _shown_text(out) -> str:
    """The text a reader sees of one output: a stream, or a result's plain text when it
    has no richer form (HTML, Markdown, an image) that the page shows instead."""
    if out.output_type == "stream":
        return out.get("text", "")
    if out.output_type not in ("execute_result", "display_data"):
        return ""
    data = out.get("data", {})
    if set(data) - {"text/plain"}:
        return ""
    text = data.get("text/plain", "")
    return "".join(text) if isinstance(text, list) else text


def raw_objects(executed) -> list[str]:
    """The outputs that show a raw Python object: the repr of a dict or a list (a
    printed record, a returned entry) longer than :data:`RAW_OBJECT_MAX_LINES` lines or
    80 characters a line on average."""
    found = []
    for i, cell in enumerate(executed.cells):
        if cell.cell_type != "code":
            continue
        for out in cell.outputs:
            text = _shown_text(out).strip()
            if not text or text[0] not in "{[" or text[-1] not in "}]":
                continue
            lines = text.count("\n") + 1
            if lines > RAW_OBJECT_MAX_LINES or len(text) > 80 * RAW_OBJECT_MAX_LINES:
                kind = "dict" if text[0] == "{" else "list"
                found.append(f"cell {i}: a raw {kind} of {lines} lines ({text[:60]!r})")
    return found


def test_raw_objects_are_found_and_short_ones_and_tables_are_not():
    cell = nbformat.v4.new_code_cell("rec.system(...)")
    entry = {"accuracy": 0.5, "confusion": [[1, 0]] * 10, "clip_ids": ["a"] * 30}
    import pprint

    cell.outputs = [
        nbformat.v4.new_output(
            "execute_result", {"text/plain": pprint.pformat(entry)}, execution_count=1
        ),
        nbformat.v4.new_output("stream", text="train: Segments(10 segments)\n"),
        nbformat.v4.new_output(
            "display_data", {"text/plain": "[3, 12]"}
        ),  # short: fine
        nbformat.v4.new_output(
            "display_data",
            {"text/plain": str(entry), "text/markdown": "a table"},
        ),  # the page shows the Markdown
        nbformat.v4.new_output("stream", text=str(list(range(200))) + "\n"),
    ]
    nb = nbformat.v4.new_notebook(cells=[cell])
    found = raw_objects(nb)
    assert len(found) == 2, found
    assert found[0].startswith("cell 0: a raw dict of") and "a raw list" in found[1]


@pytest.mark.book
def test_no_output_shows_a_raw_python_object(built_book):
    for nb in book.toc_notebooks(built_book.root):
        executed = _nb(book.executed_path(built_book.root, built_book.build_dir, nb))
        found = raw_objects(executed)
        assert not found, f"{nb.name}: " + "; ".join(found)


@pytest.mark.book
def test_pages_show_compact_logs_light_audio_and_stay_light(built_book):
    for nb in book.toc_notebooks(built_book.root):
        executed = _nb(book.executed_path(built_book.root, built_book.build_dir, nb))
        noise = page_noise(executed)
        assert not noise, f"{nb.name}: " + "; ".join(noise)
    for entry, limit in MAX_PAGE_MB.items():
        page = built_book.page(entry)
        if page.exists():
            size = page.stat().st_size / 1e6
            assert size <= limit, f"{entry}: {size:.2f} MB of HTML (at most {limit} MB)"


@pytest.mark.book
def test_every_chapter_links_the_appendix_and_shows_its_measured_runtime(built_book):
    appendix = built_book.page("book/papers")
    assert appendix.exists(), "the appendix 'What each paper did' is rendered"
    chapters = {
        book.relpath(built_book.root, nb)[: -len(".ipynb")]
        for nb in book.chapter_notebooks(built_book.root)
    }
    for entry, html in _chapter_pages(built_book):
        if entry not in chapters:  # a page of the back matter
            continue
        assert 'href="../book/papers.html#papers-' in html, (
            f"{entry} does not link its paper in the appendix"
        )
        assert "{glue" not in html, f"{entry} has an unresolved glue reference"
        assert re.search(r"\d+ s on a \d+-core CPU", html), (
            f"{entry} does not show its measured runtime"
        )


@pytest.mark.book
def test_reuse_key_on_the_real_book(built_book):
    """Editing a module a chapter imported re-executes that chapter and no chapter that did not import it."""
    manifest = book.read_manifest(built_book.build_dir)
    nbs = {nb.stem: nb for nb in book.toc_notebooks(built_book.root)}
    importers = {
        stem
        for stem in nbs
        if "mgr_utils.training"
        in manifest[f"notebooks/{stem}.ipynb"]["deps"]["modules"]
    }
    assert "04_costa_cnn" in importers and "01_datasets" not in importers
    for stem, nb in nbs.items():
        chosen = manifest[f"notebooks/{stem}.ipynb"]["parameters"]
        assert (
            book.why_execute(
                built_book.root, built_book.build_dir, nb, chosen, manifest
            )
            is None
        ), stem
    edited = json.loads(json.dumps(manifest))
    for entry in edited.values():
        if "mgr_utils/training.py" in entry["key_parts"]["modules"]:
            entry["key_parts"]["modules"]["mgr_utils/training.py"] = "an older version"
    for stem, nb in nbs.items():
        chosen = manifest[f"notebooks/{stem}.ipynb"]["parameters"]
        reason = book.why_execute(
            built_book.root, built_book.build_dir, nb, chosen, edited
        )
        assert (reason == "package source changed: mgr_utils/training.py") == (
            stem in importers
        ), (stem, reason)


def test_the_chapter_that_reads_every_record_runs_last(tmp_path):
    from bookbuild.layout import execution_order

    names = ["01_a", "10_results", "11_more"]
    paths = []
    for name in names:
        p = tmp_path / f"{name}.ipynb"
        reads = (
            "records = load_results(RESULTS_DIR)" if name == "10_results" else "x = 1"
        )
        p.write_text(json.dumps({"cells": [{"source": reads}]}))
        paths.append(p)
    assert [p.stem for p in execution_order(paths)] == ["01_a", "11_more", "10_results"]
    user = (
        tmp_path / "09_classify.ipynb"
    )  # runs the saved systems: after their chapters
    user.write_text(json.dumps({"cells": [{"source": "r = predict_file(path)"}]}))
    order = execution_order([paths[0], user, paths[1], paths[2]])
    assert [p.stem for p in order] == ["01_a", "11_more", "09_classify", "10_results"]
    real = [p.stem for p in execution_order(book.select_notebooks(book.REPO_ROOT))]
    assert real[-1] == "10_results"
    if "12_validity" in real:  # it runs the systems chapters 3, 4, 7 and 11 saved
        for saver in ("03_texture_features", "04_costa_cnn", "07_raw_audio"):
            assert real.index(saver) < real.index("12_validity")
        assert real.index("11_transfer_learning") < real.index("12_validity")
