"""Clip-level evaluation: metrics, aggregation of segment predictions, late fusion.

Notebook: ``03_texture_features.ipynb`` (metrics); ``04_costa_cnn.ipynb`` (aggregation, fusion).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.metrics import accuracy_score, confusion_matrix, recall_score

from mgr_utils import GENRES


def clip_metrics(
    y_true: Sequence[int], y_pred: Sequence[int], genres: Sequence[str] = GENRES
) -> dict:
    """Accuracy, per-class recall and confusion matrix of clip-level predictions.

    Notebook: ``03_texture_features.ipynb``.

    Args:
        y_true: True labels (indices into ``genres``).
        y_pred: Predicted labels.
        genres: Class names, in label order.

    Returns:
        ``{"accuracy", "per_class_recall": {genre: recall}, "confusion": list of lists
        (rows: true, columns: predicted), "n_clips", "genres"}``.

    Raises:
        ValueError: ``y_true`` and ``y_pred`` differ in length or are empty.
    """
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape or y_true.size == 0:
        raise ValueError(
            f"y_true and y_pred must be non-empty and of equal length, got {y_true.size} and {y_pred.size}"
        )
    labels = np.arange(len(genres))
    recall = recall_score(y_true, y_pred, labels=labels, average=None, zero_division=0)
    return {
        "accuracy": float(accuracy_score(y_true, y_pred)),
        "per_class_recall": {g: float(r) for g, r in zip(genres, recall)},
        "confusion": confusion_matrix(y_true, y_pred, labels=labels).tolist(),
        "n_clips": int(y_true.size),
        "genres": list(genres),
    }
