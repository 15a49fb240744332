"""The machine-readable results record that every chapter writes and the results chapter reads.

One JSON file per chapter, ``<results_dir>/<chapter>.json``::

    {"chapter": "03_texture_features",
     "systems": {"mfcc_svm": {"accuracy": 0.71, "per_class_recall": {...}, "confusion": [[...]],
                               "dataset": "synthetic", "protocol": "...", "params": {...},
                               "reported": {"value": 0.83, "dataset": "LMD", "protocol": "..."}}}}

Files are replaced atomically, so an interrupted run never leaves a half-written record.

Notebook: ``01_datasets.ipynb`` (first used in ``03_texture_features.ipynb``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mgr_utils.atomic import atomic_write


def record_result(
    chapter: str,
    system: str,
    metrics: dict[str, Any],
    *,
    results_dir: str | Path = "results",
    dataset: str,
    protocol: str,
    params: dict[str, Any] | None = None,
    reported: dict[str, Any] | None = None,
) -> Path:
    """Add (or replace) one system's result in the chapter's record.

    Notebook: ``03_texture_features.ipynb``.

    Args:
        chapter: The notebook's stem, e.g. ``"03_texture_features"``.
        system: A short name for the system, e.g. ``"lbp_zone_svm"``.
        metrics: What was measured: at least ``accuracy`` (clip level, 0-1); typically the output of
            :func:`mgr_utils.evaluation.clip_metrics` plus timings.
        results_dir: Folder of the records (the book's runner points it at the build).
        dataset: ``"synthetic"`` or ``"gtzan"``.
        protocol: How it was measured, in words (split, sizes, aggregation).
        params: The notebook parameters the run used.
        reported: The paper's own number beside ours: ``{"value", "dataset", "protocol", "source"}``.

    Returns:
        The path of the chapter's record.

    Raises:
        ValueError: ``metrics`` has no ``accuracy`` in [0, 1].
    """
    acc = metrics.get("accuracy")
    if acc is None or not 0.0 <= float(acc) <= 1.0:
        raise ValueError(f"metrics must hold an 'accuracy' between 0 and 1, got {acc!r}")
    path = Path(results_dir) / f"{chapter}.json"
    record = load_record(path) if path.exists() else {"chapter": chapter, "systems": {}}
    record["systems"][system] = {
        **_jsonable(metrics),
        "dataset": dataset,
        "protocol": protocol,
        "params": _jsonable(params or {}),
        "reported": _jsonable(reported) if reported else None,
    }
    write_json_atomic(path, record)
    return path


def load_record(path: str | Path) -> dict[str, Any]:
    """Read one chapter's record."""
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def load_results(results_dir: str | Path = "results") -> dict[str, dict[str, Any]]:
    """All chapters' records in ``results_dir``, keyed by chapter, in chapter order.

    Notebook: ``10_results.ipynb``.
    """
    return {p.stem: load_record(p) for p in sorted(Path(results_dir).glob("*.json"))}


def write_json_atomic(path: str | Path, obj: Any) -> None:
    """Write ``obj`` as JSON to ``path`` via a temporary file and an atomic rename."""
    with atomic_write(path, "w", fsync=True, encoding="utf-8") as f:
        json.dump(obj, f, indent=1, sort_keys=False)


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
