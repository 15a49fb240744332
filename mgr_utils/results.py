"""The machine-readable results record that every chapter writes and chapter 10 reads.

One JSON file per chapter, ``<results_dir>/<chapter>.json``::

    {"chapter": "04_costa_cnn",
     "systems": {"costa_cnn": {
         "accuracy": 0.71, "n_clips": 40, "per_class_recall": {...}, "confusion": [[...]],
         "valid_accuracy": 0.74,
         "dataset": "synthetic", "split": "stratified", "protocol": "...",
         "selected_on": "validation", "choices": {"rule": "sum (chosen on the validation clips)"},
         "family": "spectrogram CNN", "params": {...},
         "reported": {"value": 0.83, "metric": "accuracy", "dataset": "LMD ...", "protocol": "...",
                      "source": "Costa et al. 2017, Table 3", "sureness": "paper"}}},
     "run": {"seconds": 52.1, "peak_memory_mb": 812, ...}}

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
    """Add (or replace) one system's result in the chapter's record.

    Notebook: ``03_texture_features.ipynb``.

    Args:
        chapter: The notebook's stem, e.g. ``"03_texture_features"``.
        system: A short name for the system, e.g. ``"lbp_zone_svm"``.
        metrics: What was measured on the test clips, once: at least ``accuracy`` (clip level, 0-1)
            and ``n_clips``, typically :func:`mgr_utils.evaluation.clip_metrics` plus timings and
            ``valid_accuracy``.
        dataset: ``"synthetic"`` or ``"gtzan"``.
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
        ValueError: Missing or inconsistent metrics, an unknown ``selected_on``, ``family`` or
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
    path = (
        Path(results_dir if results_dir is not None else default_results_dir())
        / f"{chapter}.json"
    )
    record = _read_or_new(path, chapter)
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
    write_json_atomic(path, record)
    WRITE_LOG.append(path.resolve())
    return path


def record_comparison(
    chapter: str, comparison: dict[str, Any], results_dir: str | Path | None = None
) -> Path:
    """Store a paired comparison of two systems in the chapter's record (``"comparisons"``).

    A comparison of the same two systems by the same test replaces the earlier one.

    Notebook: ``04_costa_cnn.ipynb`` (made by :mod:`mgr_utils.comparison`).

    Raises:
        ValueError: ``comparison`` lacks the systems, the test, n, p or the verdict.
    """
    missing = {"a", "b", "test", "n", "p", "verdict"} - set(comparison)
    if missing:
        raise ValueError(f"a comparison needs {sorted(missing)} too")
    path = (
        Path(results_dir if results_dir is not None else default_results_dir())
        / f"{chapter}.json"
    )
    record = _read_or_new(path, chapter)
    same = (comparison["a"], comparison["b"], comparison["test"])
    kept = [
        c for c in record.get("comparisons", []) if (c["a"], c["b"], c["test"]) != same
    ]
    record["comparisons"] = kept + [_jsonable(comparison)]
    write_json_atomic(path, record)
    WRITE_LOG.append(path.resolve())
    return path


class Recorder:
    """One chapter's results, written one short call per system.

    The fields every system of a chapter shares (dataset, split, parameters, folder) are given
    once; :meth:`system` adds a system from what the chapter already has (its test metrics and,
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
        self.chapter = chapter
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
        record_comparison(self.chapter, c, self.results_dir)
        self.comparisons.append(c)
        return c


def record_run(
    chapter: str, run: dict[str, Any], results_dir: str | Path | None = None
) -> Path:
    """Store how the chapter's run went (``seconds``, ``peak_memory_mb``, machine) in its record.

    Notebook: ``01_datasets.ipynb`` (every chapter's last cell, through
    :func:`mgr_utils.notebook.report_run`).
    """
    path = (
        Path(results_dir if results_dir is not None else default_results_dir())
        / f"{chapter}.json"
    )
    record = _read_or_new(path, chapter)
    record["run"] = _jsonable(run)
    write_json_atomic(path, record)
    WRITE_LOG.append(path.resolve())
    return path


def record_extra(
    chapter: str, name: str, value: Any, results_dir: str | Path | None = None
) -> Path:
    """Store an experiment's measurements that are not one system's score (a curve, a table).

    Chapter 10 reads them for its conclusions: chapter 7's accuracy against the number of training
    clips, chapter 8's against the labelled fraction, chapter 9's correlations per layer.

    Notebook: ``07_raw_audio.ipynb`` (read in ``10_results.ipynb``).
    """
    path = (
        Path(results_dir if results_dir is not None else default_results_dir())
        / f"{chapter}.json"
    )
    record = _read_or_new(path, chapter)
    record.setdefault("extras", {})[name] = _jsonable(value)
    write_json_atomic(path, record)
    WRITE_LOG.append(path.resolve())
    return path


def _read_or_new(path: Path, chapter: str) -> dict[str, Any]:
    """The chapter's record, or a new one: every record has ``systems`` and ``comparisons``."""
    record = _read(path) if path.exists() else {"chapter": chapter, "systems": {}}
    record.setdefault("comparisons", [])
    return record


def _read(path: Path) -> dict[str, Any]:
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def load_record(path: str | Path) -> dict[str, Any]:
    """Read one chapter's record (and note it in :data:`READ_LOG`).

    Notebook: ``04_costa_cnn.ipynb``.
    """
    record = _read(Path(path))
    READ_LOG.append(Path(path).resolve())
    return record


def load_results(results_dir: str | Path | None = None) -> dict[str, dict[str, Any]]:
    """All chapters' records in ``results_dir``, keyed by chapter, in chapter order.

    Notebook: ``10_results.ipynb``.
    """
    folder = Path(results_dir if results_dir is not None else default_results_dir())
    return {p.stem: load_record(p) for p in sorted(folder.glob("*.json"))}


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
