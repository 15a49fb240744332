"""Is one system really ahead of another? Paired tests and the verdicts every chapter writes.

Two systems scored on the **same** test clips are compared clip by clip: only the clips that one
gets right and the other wrong (the *discordant* clips) say anything about which is better. The
exact McNemar test asks whether the discordant clips split more unevenly than a fair coin would
split them (a two-sided binomial test with p = 1/2). Across seeds, the per-seed differences of two
systems trained on the same data are tested with a paired t-test.

A verdict is ``"<A> ahead"``, ``"<B> ahead"`` or ``"cannot tell apart"`` at α = 0.05, and every
sentence that compares two systems puts each number beside its own system, the winner first, and
shows the test, n and p (:func:`sentence`). A network enters a comparison only if early stopping on
the validation clips ended its training (a network stopped by the epoch cap was still learning:
no verdict) and it learned: its training accuracy must reach twice the chance level
(:func:`learned`, :func:`no_verdict_reason`). Readers see systems by their display names
(:func:`display_name`), never by the code ids the records keep.

Notebook: ``02_spectrograms.ipynb`` (the exact McNemar test, explained there; used in every
later chapter and in ``10_results.ipynb``); ``04_costa_cnn.ipynb`` (verdicts on networks).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

ALPHA = 0.05
"""Significance level of every verdict in the book."""

CANNOT_TELL = "cannot tell apart"

STILL_LEARNING = "still learning at the cap: no verdict"
"""Why a network that the epoch cap stopped (not early stopping) enters no comparison."""

# --------------------------------------------------------------------------------------
# Display names: how a reader sees a recorded system
# --------------------------------------------------------------------------------------

DISPLAY_NAMES: dict[str, str] = {
    "descriptor_svm": "descriptor SVM",
    "ltas_centroid_clip": "nearest centroid on the whole clip's long-term spectrum",
    "ltas_centroid_segments_vote": "vote of the segments' nearest centroids",
    "lbp_zone_svm": "LBP-zone SVM",
    "costa_cnn": "Costa's CNN",
    "costa_cnn_x_lbp_product": "Costa's CNN fused with the LBP-zone SVM (product rule)",
    "nakashika_glcm_cnn": "Nakashika's GLCM network",
    "zhang_cnn_max": "Zhang's network with max pooling",
    "zhang_cnn_max_avg": "Zhang's network with max+avg pooling",
    "zhang_cnn_max_shortcuts": "Zhang's network with max pooling and shortcuts",
    "zhang_cnn_max_avg_shortcuts": (
        "Zhang's network with max+avg pooling and shortcuts"
    ),
    "li2010_mfcc_cnn": "Li's MFCC network",
    "li2010_mfcc_cnn_on_training_clips": "Li's MFCC network on its training clips",
    "dieleman2014_mel": "Dieleman's mel-spectrogram network",
    "dieleman2014_raw": "Dieleman's raw-waveform network",
    "lee2017_sample_cnn": "Lee's sample-level network",
    "choi_cnn": "Choi's network",
    "musicnn_msd_linear_svm": "musicnn embeddings with a linear SVM",
    "musicnn_probe": "musicnn embeddings with a linear SVM",
}
"""The display name of every system id a chapter records (records keep the ids)."""

PRETRAINING_STARTS = {
    "random_init": "from random weights",
    "pretrained_crbm": "pretrained with CD-1 RBMs",
    "pretrained_autoencoder": "pretrained with autoencoders",
}
"""Chapter 8's starting points, by the prefix of their record names (``<prefix>_<percent>pct_labels``)."""


def _pattern_name(system_id: str) -> str | None:
    """The display name of an id built by a chapter from a pattern, or ``None``."""
    m = re.fullmatch(r"nakashika_glcm_cnn_(\d+)deg_only", system_id)
    if m:
        return f"Nakashika's GLCM network on the {m.group(1)}° map alone"
    m = re.fullmatch(r"([a-z_]+?)_(\d+)pct_labels", system_id)
    if m and m.group(1) in PRETRAINING_STARTS:
        start = PRETRAINING_STARTS[m.group(1)]
        return f"Dieleman's 2011 network {start}, {m.group(2)} % of the labels"
    m = re.fullmatch(r"(\S+) \((.+)\)", system_id)
    if m and (m.group(1) in DISPLAY_NAMES or _pattern_name(m.group(1))):
        return f"{display_name(m.group(1))} ({m.group(2)})"
    return None


def display_name(system_id: str) -> str:
    """How a reader sees a recorded system: ``lbp_zone_svm`` -> ``"LBP-zone SVM"``.

    The registry is :data:`DISPLAY_NAMES`, plus the ids chapters build from a pattern:
    ``nakashika_glcm_cnn_<angle>deg_only``, chapter 8's ``<start>_<percent>pct_labels``
    and ``"<id> (<note>)"`` (the note is kept).

    Notebook: ``04_costa_cnn.ipynb`` (also ``10_results.ipynb``).

    Raises:
        ValueError: An id with no display name (add it to :data:`DISPLAY_NAMES`).
    """
    name = DISPLAY_NAMES.get(system_id) or _pattern_name(str(system_id))
    if name is None:
        raise ValueError(
            f"no display name for the system id {system_id!r}: add one to "
            "mgr_utils.comparison.DISPLAY_NAMES (readers never see code ids)"
        )
    return name


def _binomial_two_sided(k: int, n: int) -> float:
    """Exact two-sided p of ``k`` successes in ``n`` fair-coin trials (scipy's ``binomtest``)."""
    if n == 0:
        return 1.0
    from scipy.stats import binomtest

    return float(binomtest(int(k), int(n), 0.5, alternative="two-sided").pvalue)


def _verdict(a: str, b: str, a_better: bool, p: float, alpha: float) -> str:
    if p < alpha:
        return f"{a} ahead" if a_better else f"{b} ahead"
    return CANNOT_TELL


def mcnemar(
    y_true: Sequence[int],
    pred_a: Sequence[int],
    pred_b: Sequence[int],
    a: str = "A",
    b: str = "B",
    alpha: float = ALPHA,
) -> dict[str, Any]:
    """Exact McNemar test of two systems' predictions on the same clips.

    Notebook: ``02_spectrograms.ipynb`` (explained there; every later chapter).

    Args:
        y_true: True label of each clip.
        pred_a, pred_b: Each system's predicted label of the same clips, in the same order.
        a, b: The systems' names (used in the verdict).
        alpha: Significance level.

    Returns:
        ``{"a", "b", "test": "exact McNemar", "n", "a_only", "b_only", "accuracy_a",
        "accuracy_b", "p", "alpha", "verdict"}``: ``a_only`` clips right for ``a`` only,
        ``b_only`` right for ``b`` only; ``verdict`` is ``"<a> ahead"``, ``"<b> ahead"`` or
        ``"cannot tell apart"``.

    Raises:
        ValueError: The three sequences differ in length or are empty.
    """
    y_true, pred_a, pred_b = (np.asarray(v) for v in (y_true, pred_a, pred_b))
    if not (y_true.shape == pred_a.shape == pred_b.shape) or y_true.size == 0:
        raise ValueError(
            "McNemar needs both systems' predictions of the same non-empty list of clips: "
            f"got {y_true.size} labels, {pred_a.size} and {pred_b.size} predictions"
        )
    right_a, right_b = pred_a == y_true, pred_b == y_true
    a_only = int(np.sum(right_a & ~right_b))
    b_only = int(np.sum(right_b & ~right_a))
    p = _binomial_two_sided(min(a_only, b_only), a_only + b_only)
    return {
        "a": a,
        "b": b,
        "test": "exact McNemar",
        "n": int(y_true.size),
        "a_only": a_only,
        "b_only": b_only,
        "accuracy_a": float(right_a.mean()),
        "accuracy_b": float(right_b.mean()),
        "p": p,
        "alpha": alpha,
        "verdict": _verdict(a, b, a_only > b_only, p, alpha),
    }


def paired_seeds(
    scores_a: Sequence[float],
    scores_b: Sequence[float],
    a: str = "A",
    b: str = "B",
    alpha: float = ALPHA,
    min_seeds: int = 3,
) -> dict[str, Any]:
    """Paired t-test of two systems' scores across seeds (seed ``i`` of both on the same data).

    With fewer than ``min_seeds`` seeds there is no test and the verdict is "cannot tell apart".
    Identical differences on every seed (zero spread, common with a few seeds and accuracies on
    a few clips) leave the t statistic undefined: p = 1 when they are all zero, else no test
    (``p`` None, ``reason`` says why) and "cannot tell apart" rather than a p of 0.

    Notebook: ``08_pretraining.ipynb``.

    Args:
        scores_a, scores_b: One score (e.g. test accuracy) per seed, seeds in the same order.
        a, b: The systems' names.
        alpha: Significance level.
        min_seeds: Fewest seeds for a test.

    Returns:
        ``{"a", "b", "test": "paired t-test across seeds", "n", "mean_a", "mean_b",
        "mean_difference", "p", "alpha", "verdict"}`` (``p`` is ``None`` without a test).

    Raises:
        ValueError: The two lists differ in length or are empty.
    """
    sa, sb = np.asarray(scores_a, dtype=float), np.asarray(scores_b, dtype=float)
    if sa.shape != sb.shape or sa.size == 0:
        raise ValueError(
            f"a paired test needs one score per seed for both systems: got {sa.size} and {sb.size}"
        )
    d = sa - sb
    p: float | None
    reason = None
    if sa.size < min_seeds:
        p, reason = None, "too few seeds for a test"
    elif np.allclose(d, d[0]):
        if np.isclose(d[0], 0.0):
            p = 1.0
        else:
            p, reason = None, "the same difference on every seed: no spread, no t-test"
    else:
        from scipy.stats import ttest_rel

        p = float(ttest_rel(sa, sb).pvalue)
    mean_d = float(d.mean())
    return {
        "a": a,
        "b": b,
        "test": "paired t-test across seeds",
        "n": int(sa.size),
        "mean_a": float(sa.mean()),
        "mean_b": float(sb.mean()),
        "mean_difference": mean_d,
        "p": p,
        "alpha": alpha,
        "verdict": CANNOT_TELL if p is None else _verdict(a, b, mean_d > 0, p, alpha),
        **({"reason": reason} if reason else {}),
    }


def smallest_significant_difference(n: int, alpha: float = ALPHA) -> int | None:
    """The fewest discordant clips, all one way, that the exact McNemar test calls a difference.

    ``k`` clips right for one system only and none for the other give p = 2 / 2**k: at α = 0.05
    that is 6 clips (5 give p = 0.0625), however many test clips there are. Two systems that
    differ by fewer net clips can never be told apart; with a mix of discordant clips both ways,
    the net difference needed grows.

    Notebook: ``04_costa_cnn.ipynb``.

    Returns:
        ``k``, or ``None`` when even ``n`` clips all one way are not enough.
    """
    for k in range(1, int(n) + 1):
        if _binomial_two_sided(0, k) < alpha:
            return k
    return None


def learned(train_accuracy: float | None, n_classes: int, factor: float = 2.0) -> bool:
    """Did a network learn? Its training accuracy reaches ``factor`` times the chance level.

    A network that stays near chance on the clips it was trained on has not been trained; its
    test score says nothing about its architecture, and it enters no comparison.

    Notebook: ``04_costa_cnn.ipynb``.

    Args:
        train_accuracy: Accuracy on the training segments (``None``: not a trained network,
            e.g. an SVM, which counts as learned).
        n_classes: Number of classes (chance is ``1 / n_classes``).
        factor: Multiple of chance required.
    """
    if train_accuracy is None:
        return True
    return float(train_accuracy) >= factor / int(n_classes)


def no_verdict_reason(result: Mapping[str, Any], n_classes: int) -> str | None:
    """Why a recorded system gets no verdict (a phrase with no subject), or ``None``.

    A network (a result with ``stopped_by``) enters a comparison only if early stopping
    on the validation clips ended its training: one that the epoch cap stopped was still
    learning, one that ran a fixed number of epochs was never stopped by validation.
    Any system whose ``train_accuracy`` stays below twice chance did not learn
    (:func:`learned`). Systems without ``stopped_by`` (SVMs, probes) are only checked
    for learning.

    Notebook: ``04_costa_cnn.ipynb``.

    Args:
        result: A system's entry of a results record (or a run's summary with
            ``train_accuracy`` and ``stopped_by``).
        n_classes: Number of classes (chance is ``1 / n_classes``).

    Returns:
        E.g. ``"was still learning at the cap: no verdict (the epoch cap of 6 epochs,
        not early stopping, ended its training)"``, or ``None`` when it may be compared.
    """
    acc = result.get("train_accuracy")
    if not learned(acc, n_classes):
        return (
            f"did not learn in this build (training accuracy {acc:.0%}, "
            f"chance {1 / n_classes:.0%})"
        )
    stopped = result.get("stopped_by")
    if stopped is None or stopped == "early stopping":
        return None
    epochs = result.get("max_epochs") or result.get("epochs_run")
    if stopped == "fixed epochs":
        ran = f"a fixed {epochs} epochs" if epochs else "a fixed number of epochs"
        return f"ran {ran} with no early stopping: no verdict"
    cap = f"the epoch cap of {epochs} epochs" if epochs else "the epoch cap"
    return f"was {STILL_LEARNING} ({cap}, not early stopping, ended its training)"


def format_p(p: float | None) -> str:
    """A p-value as the pages write it: ``"p = 0.033"``, ``"p = 0.25"``, ``"p < 0.001"``, or
    ``"no test"`` when there was none.

    Notebook: ``02_spectrograms.ipynb`` (every sentence with a paired test).
    """
    if p is None:
        return "no test"
    if p < 0.001:
        return "p < 0.001"
    return f"p = {p:.3f}" if p < 0.1 else f"p = {p:.2f}"


def _percent(x: float) -> str:
    return f"{100 * float(x):.1f} %"


def sentence(
    c: Mapping[str, Any],
    a_label: str | None = None,
    b_label: str | None = None,
    clips: str | None = None,
) -> str:
    """One Markdown sentence for a comparison: winner first, each number beside its system.

    For example "**Chapter 3's LBP-zone SVM** (86.7 %) ahead of the CNN (72.7 %; 30 vs 9
    discordant clips, exact McNemar p = 0.001, n = 150)": the winner in bold with its
    accuracy, then the other system with its own, then the discordant clips (the
    winner's first), the test, p and n. "Cannot tell apart" keeps the order ``a``, ``b``,
    each with its accuracy; across seeds each system shows its mean. A network that was
    not compared says why.

    Notebook: ``04_costa_cnn.ipynb``.

    Args:
        c: A comparison from :func:`mcnemar`, :func:`paired_seeds` or :func:`not_compared`.
        a_label, b_label: How to name the systems in prose (default: their display
            names, :func:`display_name`).
        clips: What the n clips are, e.g. ``"validation clips"`` (``None``: just n).
    """
    names = (a_label or display_name(c["a"]), b_label or display_name(c["b"]))
    if c["test"] == "not compared":
        return f"{names[0]} and {names[1]} are not compared: {c['reason']}."
    b_wins = c["verdict"] == f"{c['b']} ahead"
    a_wins = not b_wins and c["verdict"] == f"{c['a']} ahead"
    if c["test"] == "exact McNemar":
        scores = (_percent(c["accuracy_a"]), _percent(c["accuracy_b"]))
        only = (c["a_only"], c["b_only"])
        n = f"n = {c['n']}" + (f" {clips}" if clips else "")
        i, j = (1, 0) if b_wins else (0, 1)
        detail = (
            f"{only[i]} vs {only[j]} discordant clips, exact McNemar "
            f"{format_p(c['p'])}, {n}"
        )
    else:
        scores = (f"mean {_percent(c['mean_a'])}", f"mean {_percent(c['mean_b'])}")
        seeds = f"n = {c['n']} seed{'s' if c['n'] != 1 else ''}"
        if c["p"] is None:
            why = c.get("reason", "too few seeds for a test")
            detail = f"no paired t-test: {why}, {seeds}"
        else:
            detail = f"paired t-test across seeds, {format_p(c['p'])}, {seeds}"
    if a_wins or b_wins:
        win, lose = (1, 0) if b_wins else (0, 1)
        return (
            f"**{names[win]}** ({scores[win]}) ahead of {names[lose]} "
            f"({scores[lose]}; {detail})."
        )
    return (
        f"{names[0]} ({scores[0]}) and {names[1]} ({scores[1]}): "
        f"**{CANNOT_TELL}** ({detail})."
    )


def _reader_name(system_id: str) -> str:
    """The display name of a system, or its id in code font when it has none."""
    try:
        return display_name(system_id)
    except ValueError:
        return f"`{system_id}`"


def not_compared(a: str, b: str, reason: str) -> dict[str, Any]:
    """A comparison that was not made, and why (e.g. a network that did not learn).

    Notebook: ``04_costa_cnn.ipynb``.
    """
    return {
        "a": a,
        "b": b,
        "test": "not compared",
        "n": 0,
        "p": None,
        "verdict": CANNOT_TELL,
        "reason": reason,
    }


def compare_results(
    a: str,
    result_a: Mapping[str, Any],
    b: str,
    result_b: Mapping[str, Any],
    n_classes: int | None = None,
    alpha: float = ALPHA,
) -> dict[str, Any]:
    """Compare two recorded systems on the test clips both scored (exact McNemar).

    Each result is a system's entry of a results record (or :func:`mgr_utils.evaluation.
    clip_metrics` output), which holds ``clip_ids``, ``y_true`` and ``y_pred``. The clips are
    matched by id. A network that early stopping did not end (``stopped_by`` "epoch cap":
    "still learning at the cap: no verdict"; or "fixed epochs"), and a system whose
    ``train_accuracy`` stays below twice chance, is not compared (:func:`no_verdict_reason`).

    Notebook: ``04_costa_cnn.ipynb`` (also ``10_results.ipynb``).

    Args:
        a, result_a, b, result_b: The systems' names and results.
        n_classes: Number of classes (default: the length of ``result_a["genres"]``).
        alpha: Significance level.

    Returns:
        A comparison (:func:`mcnemar`), or :func:`not_compared` with the reason.
    """
    n_classes = (
        n_classes or len(result_a.get("genres") or result_b.get("genres") or []) or 10
    )
    for name, r in ((a, result_a), (b, result_b)):
        why = no_verdict_reason(r, n_classes)
        if why is not None:
            return not_compared(a, b, f"{_reader_name(name)} {why}")
        if not r.get("y_pred") or not r.get("clip_ids"):
            return not_compared(
                a, b, f"{_reader_name(name)} has no per-clip predictions in its record"
            )
    pred_a = dict(zip(result_a["clip_ids"], result_a["y_pred"]))
    pred_b = dict(zip(result_b["clip_ids"], result_b["y_pred"]))
    truth = dict(zip(result_a["clip_ids"], result_a["y_true"]))
    common = [c for c in result_a["clip_ids"] if c in pred_b]
    if len(common) < max(len(pred_a), len(pred_b)):
        return not_compared(
            a,
            b,
            f"they were scored on different test clips ({len(pred_a)} and {len(pred_b)}, "
            f"{len(common)} in common)",
        )
    y = [truth[c] for c in common]
    return mcnemar(
        y, [pred_a[c] for c in common], [pred_b[c] for c in common], a, b, alpha
    )
