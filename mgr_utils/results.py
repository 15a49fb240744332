"""The machine-readable results record that every chapter writes and chapter 10 reads.

One JSON file per chapter and dataset, ``<results_dir>/<dataset>/<chapter>.json``
(:func:`record_path`), so a GTZAN run never erases the synthetic one::

    {"chapter": "04_costa_cnn", "dataset": "synthetic",
     "run_id": "20261203T101502-3f9a2c1b", "complete": true,
     "systems": {"costa_cnn": {
         "accuracy": 0.71, "n_clips": 40, "per_class_recall": {...}, "confusion": [[...]],
         "valid_accuracy": 0.74,
         "dataset": "synthetic", "split": "stratified", "protocol": "...",
         "selected_on": "validation", "choices": {"rule": "sum (chosen on the validation clips)"},
         "family": "spectrogram CNN", "params": {...},
         "reported": {"value": 0.83, "metric": "accuracy", "dataset": "LMD ...", "protocol": "...",
                      "source": "Costa et al. 2017, Table 3", "sureness": "paper"}}},
     "comparisons": [...], "extras": {...},
     "run": {"seconds": 52.1, "peak_memory_mb": 812, ...}}

**A record belongs to one run.** A run is one execution of a notebook, top to bottom:
:func:`mgr_utils.notebook.setup` (its first code cell) starts a new one (:func:`start_run`), and a
write made when no run was started starts one. The first write of a run (:func:`record_result`,
:func:`record_comparison`, :func:`record_extra`, :func:`record_run`) starts the chapter's record
afresh; later writes of the same run add to it. A re-execution, an exercise or another parameter
therefore replaces the record, never merges into what an earlier run left. The record is
``"complete": false`` until the run's last cell (:func:`mgr_utils.notebook.report_run`) marks it
complete: the readers (:func:`read_record`, :func:`load_results`) take another chapter's record
only when its run completed, so an interrupted run is named, never read as a result.

**Choose on validation, report test once.** Every system says what its choices (aggregation rule,
variant, epochs, hyper-parameters) were made on: ``"validation"`` (the validation clips, or
cross-validation inside the training clips) or ``"fixed"`` (set before the run, e.g. the paper's
rule). Its ``accuracy`` is the test clips' score of that one choice, measured once.

Files are replaced atomically, so an interrupted run never leaves a half-written record.

Notebook: ``01_datasets.ipynb`` (first used in ``03_texture_features.ipynb``; read in ``10_results.ipynb``).
"""

from __future__ import annotations

import json
import os
import re
import uuid
import warnings
from datetime import datetime
from pathlib import Path
from typing import Any

from mgr_utils.atomic import write_json_atomic

SELECTED_ON = ("validation", "fixed")
"""What a system's choices may be made on: never the test clips."""

SURENESS = {
    "paper": "read in the paper",
    "code": "read in the authors' public code",
    "secondary": "from a secondary source (abstract, citing paper, author's page)",
    "reproduction": "from a third-party reproduction",
    "unverified": "not verified (the primary source was not read)",
}
"""How sure a reported number is; the appendix "What each paper did" explains each level."""

FAMILIES = (
    "baseline",
    "classical",
    "spectrogram CNN",
    "MFCC input",
    "raw audio",
    "pretraining",
    "auralisation net",
    "transfer",
)
"""The groups chapter 10 sorts systems into."""

READ_LOG: list[Path] = []
"""Records read by :func:`load_record` in this process (the book tooling's reuse key reads it)."""

WRITE_LOG: list[Path] = []
"""Records written in this process."""


def default_results_dir() -> Path:
    """``$MGR_RESULTS_DIR`` if set (the book build sets it), else ``results`` in the working folder.

    Notebook: ``01_datasets.ipynb``.
    """
    return Path(os.environ.get("MGR_RESULTS_DIR") or "results")


_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


def record_path(
    chapter: str, dataset: str, results_dir: str | Path | None = None
) -> Path:
    """Where a chapter's record for a dataset lives: ``<results_dir>/<dataset>/<chapter>.json``.

    The one place a record's path is made: every writer and reader calls it.

    Notebook: ``01_datasets.ipynb``.

    Args:
        chapter: The notebook's stem, e.g. ``"04_costa_cnn"``.
        dataset: The notebook's ``DATASET`` (``"synthetic"``, ``"gtzan"``, ``"folder"``).
        results_dir: Folder of the records (``None``: :func:`default_results_dir`).

    Raises:
        ValueError: ``chapter`` or ``dataset`` is not a plain name (empty, or holds a
            slash or starts with a dot), which would put the record elsewhere.
    """
    return _dataset_folder(dataset, results_dir) / f"{_plain('chapter', chapter)}.json"


def _plain(what: str, name: str) -> str:
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise ValueError(
            f"{what} must be a plain name such as 'synthetic' or '04_costa_cnn' "
            f"(letters, digits, '_', '-', '.'), got {name!r}"
        )
    return name


def _dataset_folder(dataset: str, results_dir: str | Path | None) -> Path:
    folder = Path(results_dir if results_dir is not None else default_results_dir())
    return folder / _plain("dataset", dataset)


_RUN_ID: str | None = None


def start_run() -> str:
    """Start a new run: the next write to each record starts that record afresh.

    :func:`mgr_utils.notebook.setup`, every notebook's first code cell, calls it, so
    running a notebook again from the top, in the same kernel or a new one, is a new run.

    Notebook: ``01_datasets.ipynb`` (through :func:`mgr_utils.notebook.setup`).

    Returns:
        The run's id: the start time and a random suffix, e.g.
        ``"20261203T101502-3f9a2c1b"``.
    """
    global _RUN_ID
    _RUN_ID = f"{datetime.now():%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"
    return _RUN_ID


def current_run() -> str:
    """The id of the run under way; one is started if none was (:func:`start_run`).

    Notebook: ``01_datasets.ipynb``.
    """
    return _RUN_ID if _RUN_ID is not None else start_run()


def is_complete(record: dict[str, Any]) -> bool:
    """Whether a record's run reached its last cell (``report_run``) and marked it complete.

    A record without the mark (an interrupted run, or one written before records had
    runs) is not complete.

    Notebook: ``10_results.ipynb``.
    """
    return record.get("complete") is True


def _check_metrics(metrics: dict[str, Any]) -> None:
    acc = metrics.get("accuracy")
    if acc is None or not 0.0 <= float(acc) <= 1.0:
        raise ValueError(
            f"metrics must hold an 'accuracy' between 0 and 1, got {acc!r}"
        )
    n = metrics.get("n_clips")
    if not isinstance(n, int) or n < 1:
        raise ValueError(
            f"metrics must hold 'n_clips', the number of test clips scored, got {n!r}"
        )
    confusion = metrics.get("confusion")
    if confusion is not None:
        total = sum(map(sum, confusion))
        correct = sum(row[i] for i, row in enumerate(confusion))
        if total != n or abs(correct / total - float(acc)) > 1e-9:
            raise ValueError(
                f"confusion matrix ({correct} of {total} right) disagrees with "
                f"accuracy {acc} on {n} clips"
            )


def record_result(
    chapter: str,
    system: str,
    metrics: dict[str, Any],
    *,
    dataset: str,
    split: str,
    protocol: str,
    selected_on: str,
    choices: dict[str, Any] | None = None,
    family: str = "baseline",
    params: dict[str, Any] | None = None,
    reported: dict[str, Any] | None = None,
    results_dir: str | Path | None = None,
) -> Path:
    """Add (or replace) one system's result in the chapter's record of this run.

    The first write of a run starts the record afresh (see the module's docstring).

    Notebook: ``03_texture_features.ipynb``.

    Args:
        chapter: The notebook's stem, e.g. ``"03_texture_features"``.
        system: A short name for the system, e.g. ``"lbp_zone_svm"``.
        metrics: What was measured on the test clips, once: at least ``accuracy`` (clip level, 0-1)
            and ``n_clips``, typically :func:`mgr_utils.evaluation.clip_metrics` plus timings and
            ``valid_accuracy``.
        dataset: The notebook's ``DATASET`` (``"synthetic"``, ``"gtzan"``, ...): the
            record's folder (:func:`record_path`).
        split: The split's name (``"stratified"``, ``"filtered"``).
        protocol: How it was measured, in words (sizes, aggregation).
        selected_on: ``"validation"`` or ``"fixed"``: what every choice of this system was made on.
        choices: Each choice and how it was made, e.g. ``{"rule": "sum (fixed: the paper's)"}``.
        family: One of :data:`FAMILIES` (chapter 10 groups by it).
        params: The notebook parameters the run used.
        reported: The paper's own number beside ours: ``{"value", "metric", "dataset", "protocol",
            "source", "sureness"}``, ``sureness`` one of :data:`SURENESS`.
        results_dir: Folder of the records (``None``: :func:`default_results_dir`).

    Returns:
        The path of the chapter's record.

    Raises:
        ValueError: Missing or inconsistent metrics, a dataset that is not a plain name, an unknown ``selected_on``, ``family`` or
            ``sureness``, or a ``reported`` without its keys.
    """
    _check_metrics(metrics)
    if selected_on not in SELECTED_ON:
        raise ValueError(
            f"selected_on must be one of {SELECTED_ON} (never the test clips), got {selected_on!r}"
        )
    if family not in FAMILIES:
        raise ValueError(f"family must be one of {FAMILIES}, got {family!r}")
    if reported is not None:
        missing = {
            "value",
            "metric",
            "dataset",
            "protocol",
            "source",
            "sureness",
        } - set(reported)
        if missing:
            raise ValueError(f"reported lacks {sorted(missing)}")
        if reported["sureness"] not in SURENESS:
            raise ValueError(
                f"reported sureness must be one of {list(SURENESS)}, got {reported['sureness']!r}"
            )
    path, record = _open(chapter, dataset, results_dir)
    record["systems"][system] = {
        **_jsonable(metrics),
        "dataset": dataset,
        "split": split,
        "protocol": protocol,
        "selected_on": selected_on,
        "choices": _jsonable(choices or {}),
        "family": family,
        "params": _jsonable(params or {}),
        "reported": _jsonable(reported) if reported else None,
    }
    return _write(path, record)


def record_comparison(
    chapter: str,
    comparison: dict[str, Any],
    results_dir: str | Path | None = None,
    *,
    dataset: str,
) -> Path:
    """Store a paired comparison of two systems in the chapter's record (``"comparisons"``).

    A comparison of the same two systems by the same test, in the same run, replaces the
    earlier one; the first write of a run starts the record afresh.

    Notebook: ``04_costa_cnn.ipynb`` (made by :mod:`mgr_utils.comparison`).

    Raises:
        ValueError: ``comparison`` lacks the systems, the test, n, p or the verdict.
    """
    missing = {"a", "b", "test", "n", "p", "verdict"} - set(comparison)
    if missing:
        raise ValueError(f"a comparison needs {sorted(missing)} too")
    path, record = _open(chapter, dataset, results_dir)
    same = (comparison["a"], comparison["b"], comparison["test"])
    kept = [c for c in record["comparisons"] if (c["a"], c["b"], c["test"]) != same]
    record["comparisons"] = kept + [_jsonable(comparison)]
    return _write(path, record)


class Recorder:
    """One chapter's results, written one short call per system.

    The fields every system of a chapter shares (dataset, split, parameters, folder) are given
    once (a Recorder made when no run was started starts one: :func:`current_run`);
    :meth:`system` adds a system from what the chapter already has (its test metrics and,
    for a network, its :class:`mgr_utils.training.TrainResult`), and :meth:`compare` compares two
    recorded systems on their test clips with the exact McNemar test and stores the verdict.

    Notebook: ``04_costa_cnn.ipynb``.

    Example::

        rec = Recorder("04_costa_cnn", dataset=DATASET, split=SPLIT, params=params)
        rec.system("costa_cnn", test_cnn, run=run, family="spectrogram CNN", ...)
        rec.compare("costa_cnn", "descriptor_svm", other=baseline_result)
    """

    def __init__(
        self,
        chapter: str,
        *,
        dataset: str,
        split: str,
        params: dict[str, Any] | None = None,
        results_dir: str | Path | None = None,
    ):
        current_run()  # a Recorder made outside a notebook starts a run
        self.chapter = chapter
        self.dataset = dataset
        self.common = {
            "dataset": dataset,
            "split": split,
            "params": params or {},
            "results_dir": results_dir,
        }
        self.results_dir = results_dir
        self.systems: dict[str, dict[str, Any]] = {}
        self.comparisons: list[dict[str, Any]] = []

    def system(
        self,
        name: str,
        metrics: dict[str, Any],
        *,
        protocol: str,
        selected_on: str,
        family: str,
        run: Any = None,
        choices: dict[str, Any] | None = None,
        reported: dict[str, Any] | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        """Record one system (see :func:`record_result`); ``run``'s summary is merged in.

        Returns:
            The system's entry as stored (metrics, the run's ``stopped_by``, epochs
            and timings, and ``extra``).

        Raises:
            ValueError: A network (``run`` given) without its clip-level
                ``train_accuracy`` (:func:`mgr_utils.training.evaluate_selected` with
                ``train=``).
        """
        entry = {**metrics, **(run.summary() if run is not None else {}), **extra}
        if run is not None and entry.get("train_accuracy") is None:
            raise ValueError(
                f"{name!r}: a network's record needs its training accuracy, clip level "
                "and in inference mode: score it with evaluate_selected(..., "
                "train=<training Segments>), or pass train_accuracy="
            )
        record_result(
            self.chapter,
            name,
            entry,
            protocol=protocol,
            selected_on=selected_on,
            choices=choices,
            family=family,
            reported=reported,
            **self.common,
        )
        self.systems[name] = entry
        return entry

    def compare(
        self,
        a: str,
        b: str,
        *,
        result_a: dict[str, Any] | None = None,
        result_b: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Compare systems ``a`` and ``b`` on the test clips both scored, and store the verdict.

        Args:
            a, b: Names of systems recorded here, or of other systems given as results.
            result_a, result_b: A result of a system not recorded by this chapter (e.g. the
                baseline of chapter 3, from its record).

        Returns:
            The comparison (:func:`mgr_utils.comparison.compare_results`).
        """
        from mgr_utils.comparison import compare_results

        c = compare_results(
            a, result_a or self.systems[a], b, result_b or self.systems[b]
        )
        record_comparison(self.chapter, c, self.results_dir, dataset=self.dataset)
        self.comparisons.append(c)
        return c


def record_run(
    chapter: str,
    run: dict[str, Any],
    results_dir: str | Path | None = None,
    *,
    dataset: str,
) -> Path:
    """Store how the chapter's run went (``seconds``, ``peak_memory_mb``, machine); mark it complete.

    Called by the run's last cell: from here on, chapter 10 and the other chapters read the
    record (:func:`is_complete`).

    Notebook: ``01_datasets.ipynb`` (every chapter's last cell, through
    :func:`mgr_utils.notebook.report_run`).
    """
    path, record = _open(chapter, dataset, results_dir)
    record["run"] = _jsonable(run)
    record["complete"] = True
    return _write(path, record)


def record_extra(
    chapter: str,
    name: str,
    value: Any,
    results_dir: str | Path | None = None,
    *,
    dataset: str,
) -> Path:
    """Store an experiment's measurements that are not one system's score (a curve, a table).

    Chapter 10 reads them for its conclusions: chapter 7's accuracy against the number of training
    clips, chapter 8's against the labelled fraction, chapter 9's correlations per layer.

    Notebook: ``07_raw_audio.ipynb`` (read in ``10_results.ipynb``).
    """
    path, record = _open(chapter, dataset, results_dir)
    record["extras"][name] = _jsonable(value)
    return _write(path, record)


def _open(
    chapter: str, dataset: str, results_dir: str | Path | None
) -> tuple[Path, dict[str, Any]]:
    """The record this run is writing: the one on disk if this run wrote it, else a new one.

    A record left by another run (an earlier execution, another kernel), or one that cannot be
    read, is not amended: the run's first write replaces it.
    """
    path = record_path(chapter, dataset, results_dir)
    run = current_run()
    record = None
    if path.exists():
        try:
            record = _read(path)
        except (OSError, ValueError):  # unreadable: replaced by this run's record
            record = None
    if not isinstance(record, dict) or record.get("run_id") != run:
        record = {
            "chapter": chapter,
            "dataset": dataset,
            "run_id": run,
            "complete": False,
        }
    for key, empty in (("systems", {}), ("comparisons", []), ("extras", {})):
        record.setdefault(key, empty)
    return path, record


def _write(path: Path, record: dict[str, Any]) -> Path:
    write_json_atomic(path, record)
    WRITE_LOG.append(path.resolve())
    return path


def _read(path: Path) -> dict[str, Any]:
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def load_record(path: str | Path) -> dict[str, Any]:
    """Read one record file, whatever its run (and note it in :data:`READ_LOG`).

    Notebook: ``04_costa_cnn.ipynb``.
    """
    READ_LOG.append(Path(path).resolve())
    return _read(Path(path))


def read_record(
    chapter: str, dataset: str, results_dir: str | Path | None = None
) -> dict[str, Any] | None:
    """A chapter's record for ``dataset``, if its run completed (or it is this run's own).

    A chapter that builds on another's results (chapter 3's baseline in chapters 4-6,
    chapters 4-7's networks in chapter 11) reads them here: a record whose run stopped before
    its last cell holds only part of that run, so it is not used. The record this very run is
    writing (a chapter reading back its own systems) is used.

    Notebook: ``04_costa_cnn.ipynb`` (through :func:`mgr_utils.evaluation.recorded_baseline`).

    Returns:
        The record, or ``None`` when it is absent, unreadable or incomplete.
    """
    path = record_path(chapter, dataset, results_dir)
    if not path.exists():
        return None
    try:
        record = load_record(path)
    except (OSError, ValueError) as err:
        warnings.warn(f"results record {path} cannot be read ({err}): not used")
        return None
    if is_complete(record) or record.get("run_id") == _RUN_ID:
        return record
    return None


def _records(folder: Path) -> dict[str, dict[str, Any] | None]:
    """Every record file of a dataset's folder, by chapter; ``None`` for an unreadable one."""
    out: dict[str, dict[str, Any] | None] = {}
    for p in sorted(folder.glob("*.json")):
        try:
            out[p.stem] = load_record(p)
        except (OSError, ValueError) as err:
            warnings.warn(f"results record {p} cannot be read ({err}): skipped")
            out[p.stem] = None
    return out


def load_results(
    results_dir: str | Path | None = None, *, dataset: str
) -> dict[str, dict[str, Any]]:
    """The complete records of ``dataset`` in ``results_dir``, keyed by chapter, in chapter order.

    A record whose run did not reach its last cell is left out (:func:`incomplete_records`
    names it); so is one that cannot be read (with a warning).

    Notebook: ``10_results.ipynb``.
    """
    folder = _dataset_folder(dataset, results_dir)
    return {c: r for c, r in _records(folder).items() if r and is_complete(r)}


def incomplete_records(
    results_dir: str | Path | None = None, *, dataset: str
) -> list[str]:
    """The chapters of ``dataset`` whose record is there but not complete, or unreadable.

    Such a record comes from a run that stopped before its last cell (an error, an
    interrupted kernel): :func:`load_results` leaves it out, and chapter 10 names it.

    Notebook: ``10_results.ipynb``.
    """
    folder = _dataset_folder(dataset, results_dir)
    return [c for c, r in _records(folder).items() if not (r and is_complete(r))]


def _jsonable(obj: Any) -> Any:
    """Turn numpy scalars and arrays (and tuples, Paths) into plain JSON types."""
    import numpy as np

    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, Path):
        return str(obj)
    return obj
