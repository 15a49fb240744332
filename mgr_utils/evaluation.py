"""Clip-level evaluation: metrics, aggregation of segment predictions, late fusion.

Notebook: ``03_texture_features.ipynb`` (metrics); ``04_costa_cnn.ipynb`` (aggregation, fusion).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from sklearn.metrics import accuracy_score, confusion_matrix, recall_score

from mgr_utils import GENRES


def clip_metrics(
    y_true: Sequence[int],
    y_pred: Sequence[int],
    genres: Sequence[str] = GENRES,
    clip_ids: Sequence[str] | None = None,
) -> dict:
    """Accuracy, per-class recall and confusion matrix of clip-level predictions.

    With ``clip_ids``, the per-clip labels and predictions are kept too, so that a later
    chapter can compare another system with this one on the same clips
    (:func:`mgr_utils.comparison.compare_results`).

    Notebook: ``03_texture_features.ipynb``.

    Args:
        y_true: True labels (indices into ``genres``).
        y_pred: Predicted labels.
        genres: Class names, in label order: the clips' ``classes``
            (:attr:`mgr_utils.datasets.ClipSet.classes`); the default,
            :data:`mgr_utils.GENRES`, fits the synthetic set and GTZAN only.
        clip_ids: The clips' ids, in the order of ``y_true``.

    Returns:
        ``{"accuracy", "per_class_recall": {genre: recall}, "confusion": list of lists
        (rows: true, columns: predicted), "n_clips", "genres"}``, plus ``"clip_ids"``,
        ``"y_true"`` and ``"y_pred"`` when ``clip_ids`` is given.

    Raises:
        ValueError: ``y_true`` and ``y_pred`` differ in length or are empty, or hold a
            label that is not an index into ``genres``.
    """
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape or y_true.size == 0:
        raise ValueError(
            f"y_true and y_pred must be non-empty and of equal length, got {y_true.size} and {y_pred.size}"
        )
    outside = sorted(
        {int(v) for v in np.concatenate([y_true, y_pred]) if not 0 <= v < len(genres)}
    )
    if outside:
        raise ValueError(
            f"label(s) {outside[:5]} are not indices into the {len(genres)} classes "
            f"{list(genres)[:10]}: pass genres=clips.classes"
        )
    labels = np.arange(len(genres))
    recall = recall_score(y_true, y_pred, labels=labels, average=None, zero_division=0)
    metrics = {
        "accuracy": float(accuracy_score(y_true, y_pred)),
        "per_class_recall": {g: float(r) for g, r in zip(genres, recall)},
        "confusion": confusion_matrix(y_true, y_pred, labels=labels).tolist(),
        "n_clips": int(y_true.size),
        "genres": list(genres),
    }
    if clip_ids is not None:
        if len(clip_ids) != y_true.size:
            raise ValueError(f"{len(clip_ids)} clip ids for {y_true.size} clips")
        metrics |= {
            "clip_ids": [str(c) for c in clip_ids],
            "y_true": y_true.tolist(),
            "y_pred": y_pred.tolist(),
        }
    return metrics


RULES = ("sum", "product", "max", "min")


def combine_probabilities(
    probs: Sequence[np.ndarray], rule: str = "product", eps: float = 1e-12
) -> np.ndarray:
    """Combine several classifiers' class probabilities with one of Kittler's fixed rules.

    Each input has shape ``(n_items, n_classes)``; the output has the same shape, rows summing to 1.
    The product rule is computed as a sum of logs (``eps`` keeps a zero from vetoing a class
    outright), which is the same decision without underflow.

    Notebook: ``03_texture_features.ipynb`` (LBP zones); ``04_costa_cnn.ipynb`` (CNN + LBP-SVM).

    Args:
        probs: Probability matrices of the classifiers, all of one shape.
        rule: ``"sum"``, ``"product"``, ``"max"`` or ``"min"``.
        eps: Floor applied before the log of the product rule.

    Raises:
        ValueError: An unknown rule, no inputs, or inputs of different shapes.
    """
    if rule not in RULES:
        raise ValueError(f"unknown rule {rule!r}; choose one of {RULES}")
    if len(probs) == 0:
        raise ValueError("need at least one probability matrix to combine")
    P = np.stack(
        [np.asarray(p, dtype=np.float64) for p in probs]
    )  # (n_classifiers, n, k)
    if P.ndim != 3:
        raise ValueError(
            f"each probability matrix must be 2-D (items x classes), got shape {P.shape[1:]}"
        )
    if rule == "product":
        logp = np.log(np.clip(P, eps, None)).sum(axis=0)
        S = np.exp(logp - logp.max(axis=1, keepdims=True))
    else:
        S = {"sum": P.sum, "max": P.max, "min": P.min}[rule](axis=0)
    return S / np.clip(S.sum(axis=1, keepdims=True), 1e-300, None)


def aggregate_segments(
    segment_probs: np.ndarray, clip_index: Sequence[int], rule: str = "sum"
) -> tuple[np.ndarray, np.ndarray]:
    """Turn segment-level predictions into clip-level ones.

    Notebook: ``04_costa_cnn.ipynb``.

    Args:
        segment_probs: Class probabilities per segment, shape ``(n_segments, n_classes)``.
        clip_index: For each segment, the index of the clip it came from.
        rule: ``"vote"`` (majority vote of the segments' argmax; ties go to the class with the
            larger summed probability), or ``"sum"``, ``"product"``, ``"max"``, ``"min"``
            (Kittler's rules over the clip's segments).

    Returns:
        ``(clips, clip_probs)``: the sorted unique clip indices and, for each, a row of class scores
        summing to 1 (for ``"vote"``: the vote shares).

    Raises:
        ValueError: An unknown rule or lengths that differ.
    """
    segment_probs = np.asarray(segment_probs, dtype=np.float64)
    clip_index = np.asarray(clip_index)
    if segment_probs.shape[0] != clip_index.shape[0]:
        raise ValueError(
            f"{segment_probs.shape[0]} segment predictions but {clip_index.shape[0]} clip indices"
        )
    if rule not in RULES + ("vote",):
        raise ValueError(f"unknown rule {rule!r}; choose 'vote' or one of {RULES}")
    clips = np.unique(clip_index)
    n_classes = segment_probs.shape[1]
    out = np.zeros((len(clips), n_classes))
    for row, c in enumerate(clips):
        P = segment_probs[clip_index == c]
        if rule == "vote":
            votes = np.bincount(P.argmax(axis=1), minlength=n_classes).astype(
                np.float64
            )
            # Break ties by the summed probability, scaled below one vote.
            tiebreak = P.sum(axis=0) / (P.sum() + 1.0) * 1e-3
            out[row] = (votes + tiebreak) / (votes + tiebreak).sum()
        else:
            out[row] = combine_probabilities(list(P[:, None, :]), rule)[0]
    return clips, out


def clip_labels(
    y_segments: Sequence[int], clip_index: Sequence[int]
) -> tuple[np.ndarray, np.ndarray]:
    """Each clip's label from its segments' labels, in the order of :func:`aggregate_segments`.

    Notebook: ``04_costa_cnn.ipynb``.

    Returns:
        ``(clips, labels)``: the sorted unique clip indices and the label of each.

    Raises:
        ValueError: Lengths that differ, or a clip whose segments carry different labels.
    """
    y_segments, clip_index = np.asarray(y_segments), np.asarray(clip_index)
    if y_segments.shape[0] != clip_index.shape[0]:
        raise ValueError(
            f"{y_segments.shape[0]} segment labels but {clip_index.shape[0]} clip indices"
        )
    clips, first = np.unique(clip_index, return_index=True)
    labels = y_segments[first]
    per_segment = labels[np.searchsorted(clips, clip_index)]
    if np.any(per_segment != y_segments):
        bad = np.unique(clip_index[per_segment != y_segments])
        raise ValueError(
            f"clip(s) {bad[:5].tolist()} have segments with different labels"
        )
    return clips, labels


def fuse(
    probs_a: np.ndarray,
    probs_b: np.ndarray,
    rule: str = "product",
    clips_a: Sequence[int] | None = None,
    clips_b: Sequence[int] | None = None,
) -> np.ndarray:
    """Late fusion of two systems' clip probabilities with one of Kittler's rules.

    Costa et al. fuse their CNN with the RLBP-SVM at clip level; the **product rule** gave their
    best LMD result (92.0 %, Costa et al. 2017, Table 5). This is :func:`combine_probabilities` on the
    two matrices, after putting ``probs_b``'s rows in ``probs_a``'s clip order when both clip
    lists are given (e.g. the CNN's clips from :func:`aggregate_segments` and the SVM's test
    clips).

    Notebook: ``04_costa_cnn.ipynb``.

    Args:
        probs_a, probs_b: ``(n_clips, n_classes)`` class probabilities of the two systems.
        rule: ``"product"`` (default), ``"sum"``, ``"max"`` or ``"min"``.
        clips_a, clips_b: Clip identifiers of the rows of each (both or neither).

    Returns:
        ``(n_clips, n_classes)`` fused probabilities, rows in ``probs_a``'s order, summing to 1.

    Raises:
        ValueError: Shapes that differ, only one clip list, or a clip of ``a`` missing from ``b``.
    """
    probs_a, probs_b = (
        np.asarray(probs_a, dtype=np.float64),
        np.asarray(probs_b, dtype=np.float64),
    )
    if (clips_a is None) != (clips_b is None):
        raise ValueError("give both clip lists or neither")
    if clips_a is not None:
        where = {c: i for i, c in enumerate(np.asarray(clips_b).tolist())}
        missing = [c for c in np.asarray(clips_a).tolist() if c not in where]
        if missing:
            raise ValueError(
                f"{len(missing)} clip(s) of the first system missing from the second, e.g. {missing[:5]}"
            )
        probs_b = probs_b[[where[c] for c in np.asarray(clips_a).tolist()]]
    if probs_a.shape != probs_b.shape:
        raise ValueError(
            f"probability matrices differ in shape: {probs_a.shape} vs {probs_b.shape}"
        )
    return combine_probabilities([probs_a, probs_b], rule=rule)


def select_on_validation(
    valid_scores: Mapping[str, float], preference: Sequence[str] | None = None
) -> str:
    """The candidate with the best validation score: how every choice in this book is made.

    The test clips never pick anything: a rule, a variant or a baseline is chosen here, on the
    validation clips, and only the chosen one is then scored on the test clips.

    Notebook: ``04_costa_cnn.ipynb`` (the aggregation rule; also chapters 5-9).

    Args:
        valid_scores: ``{candidate: validation accuracy}``.
        preference: Tie-break order (default: the order of ``valid_scores``), e.g. the paper's
            choice first.

    Raises:
        ValueError: No candidate.
    """
    if not valid_scores:
        raise ValueError("no candidate to choose from")
    order = list(preference or []) + [
        c for c in valid_scores if c not in (preference or [])
    ]
    order = [c for c in order if c in valid_scores]
    best = max(valid_scores[c] for c in order)
    return next(c for c in order if valid_scores[c] == best)


def wilson_interval(
    accuracy: float, n: int, confidence: float = 0.95
) -> tuple[float, float]:
    """Wilson score interval of an accuracy measured on ``n`` clips (scipy's ``binomtest``).

    Notebook: ``01_datasets.ipynb`` (also ``10_results.ipynb``).

    Returns:
        ``(low, high)``, both in [0, 1].
    """
    from scipy.stats import binomtest

    k = int(round(accuracy * n))
    ci = binomtest(k, n).proportion_ci(confidence_level=confidence, method="wilson")
    return float(ci.low), float(ci.high)


def recorded_baseline(
    results_dir,
    chapter: str = "03_texture_features",
    *,
    dataset: str,
    params: dict | None = None,
) -> tuple[str, dict] | None:
    """Another chapter's best system **on its validation clips**, if measured on the same clips.

    A later chapter compares its networks with the classical baseline of chapter 3 by reading
    that chapter's results record (:func:`mgr_utils.results.read_record`), for ``dataset``,
    and only if its run completed. The comparison is fair only when both ran on the same
    dataset and test clips, so every key of ``params`` that the record's own ``params`` also
    hold (e.g. ``SPLIT``, ``SEED``, ``N_PER_GENRE``, ``DURATION``) must agree. The
    "best" system is the one with the highest ``valid_accuracy`` (:func:`select_on_validation`):
    picking it by test accuracy would flatter the baseline with a choice made on the test clips.

    Notebook: ``04_costa_cnn.ipynb`` (also ``05_nakashika_glcm_cnn.ipynb``, ``06_zhang_cnn.ipynb``).

    Args:
        results_dir: Folder of the results records (``None``: the default).
        chapter: The chapter whose record to read.
        dataset: The dataset whose record to read; only its systems are kept.
        params: Parameters that must match the recorded ones where both have them.

    Returns:
        ``(system, result)`` of the chosen system, or ``None`` when the record is absent, its
        run did not complete, or no system in it matches and has a validation score.
    """
    from mgr_utils.results import read_record

    record = read_record(chapter, dataset, results_dir)
    if record is None:
        return None
    systems = record.get("systems", {})

    def matches(result: dict) -> bool:
        if result.get("dataset") != dataset:
            return False
        if result.get("valid_accuracy") is None:
            return False
        recorded = result.get("params") or {}
        return all(recorded[k] == v for k, v in (params or {}).items() if k in recorded)

    candidates = {name: r for name, r in systems.items() if matches(r)}
    if not candidates:
        return None
    name = select_on_validation({n: r["valid_accuracy"] for n, r in candidates.items()})
    return name, candidates[name]
