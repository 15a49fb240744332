"""Sentences chapters 1-6 write from their results (confusions, intervals, verdicts).

A sentence a page prints about its numbers is computed from those numbers here, and
tested, so that the text cannot drift from the output it describes.

Notebook: ``01_datasets.ipynb`` (also ``02_spectrograms.ipynb`` to
``06_zhang_cnn.ipynb``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from mgr_utils.comparison import STILL_LEARNING, display_name, sentence
from mgr_utils.evaluation import wilson_interval


def most_confused(
    confusion: Sequence[Sequence[int]], genres: Sequence[str], k: int = 3
) -> list[tuple[str, str, int]]:
    """The ``k`` largest off-diagonal cells of a confusion matrix, largest first.

    Ties are broken by the order of the genres (true genre first, then predicted), so
    the answer does not depend on how NumPy sorts.

    Notebook: ``01_datasets.ipynb``.

    Args:
        confusion: Rows: true genre; columns: predicted genre (clip counts).
        genres: Names of the genres, in label order.
        k: How many confusions to return at most (never a cell with zero clips).

    Returns:
        ``[(true genre, predicted genre, clips), ...]``.
    """
    C = np.asarray(confusion, dtype=int)
    n = len(genres)
    if C.ndim != 2 or C.shape != (n, n):
        raise ValueError(f"confusion must be {n} x {n}, got {C.shape}")
    cells = [
        (int(C[i, j]), i, j)
        for i in range(n)
        for j in range(n)
        if i != j and C[i, j] > 0
    ]
    cells.sort(key=lambda t: (-t[0], t[1], t[2]))
    return [(genres[i], genres[j], c) for c, i, j in cells[:k]]


def confusion_sentence(
    confusion: Sequence[Sequence[int]], genres: Sequence[str], k: int = 3
) -> str:
    """One sentence naming the most frequent confusions of a confusion matrix.

    Notebook: ``01_datasets.ipynb``.

    Example: ``"The most frequent confusions on these test clips: disco taken for rock
    (3 clips), blues taken for metal (2 clips)."``
    """
    pairs = most_confused(confusion, genres, k)
    if not pairs:
        return "No test clip was taken for another genre."
    parts = [
        f"{t} taken for {p} ({c} clip{'s' if c != 1 else ''})" for t, p, c in pairs
    ]
    head = "The most frequent confusions on these test clips: "
    return head + ", ".join(parts) + "."


def interval_text(accuracy: float, n: int, confidence: float = 0.95) -> str:
    """An accuracy with its Wilson interval.

    Example: ``"72.5 % (95 % Wilson interval 57-84 %, n = 40)"``.

    Notebook: ``01_datasets.ipynb``.
    """
    low, high = wilson_interval(accuracy, n, confidence)
    return (
        f"{100 * accuracy:.1f} % ({100 * confidence:.0f} % Wilson interval "
        f"{100 * low:.0f}-{100 * high:.0f} %, n = {n})"
    )


def half_width_points(accuracy: float, n: int, confidence: float = 0.95) -> float:
    """Half the width of the Wilson interval of an accuracy on ``n`` clips, in points.

    Notebook: ``03_texture_features.ipynb``.
    """
    low, high = wilson_interval(accuracy, n, confidence)
    return 100 * (high - low) / 2


def validation_sentence(c: Mapping[str, Any], a_label: str, b_label: str) -> str:
    """:func:`mgr_utils.comparison.sentence` for a comparison on **validation** clips.

    A diagnostic made on the validation clips (e.g. one zone against the fused zones)
    is tested the same way as a test-clip verdict; only the clips it names differ.

    Notebook: ``03_texture_features.ipynb``.
    """
    return sentence(c, a_label, b_label, clips="validation clips")


def capitalised(text: str) -> str:
    """``text`` with its first letter upper-case (after any Markdown ``*`` or ``_``).

    A verdict sentence starts with a system's label, which reads lower-case inside a
    sentence. Code (a name in backticks) is never changed.

    Notebook: ``02_spectrograms.ipynb``.
    """
    for k, ch in enumerate(text):
        if ch.isalpha():
            return text[:k] + ch.upper() + text[k + 1 :]
        if ch not in "*_ ":
            return text
    return text


def cnn_vs_baseline(
    comparison: Mapping[str, Any] | None,
    cnn_label: str,
    baseline_label: str | None = None,
) -> str:
    """The verdict of a chapter's network against chapter 3's baseline, or why none.

    Notebook: ``04_costa_cnn.ipynb`` (also ``05_nakashika_glcm_cnn.ipynb`` and
    ``06_zhang_cnn.ipynb``).

    Args:
        comparison: :func:`mgr_utils.comparison.compare_results` of the network (``a``)
            and the baseline (``b``), or ``None`` when chapter 3 has no complete record
            for these clips (absent, or its run stopped before its last cell).
        cnn_label: How to name the network.
        baseline_label: How to name the baseline (default: "chapter 3's" and its
            display name, e.g. "chapter 3's LBP-zone SVM").
    """
    if comparison is None:
        return (
            "Chapter 3's record for these clips is not in the results folder, or its "
            "run stopped before its last cell: run `03_texture_features` to the end "
            "with the same parameters to compare."
        )
    baseline_label = baseline_label or f"chapter 3's {display_name(comparison['b'])}"
    return capitalised(sentence(comparison, cnn_label, baseline_label))


def fresh_test_note(
    clips: Sequence[Any], test: Sequence[Any], what: str = "the settings"
) -> str:
    """What a record says about its test clips: how many were never seen in development.

    The fast build's settings (epochs, learning rates, widths) were fixed while the
    book was written, with the scores of the split's own test clips in view. The fresh
    synthetic test clips (:func:`mgr_utils.splits.fresh_test_clips`) were never
    rendered then.

    Notebook: ``01_datasets.ipynb`` (every chapter's records).

    Args:
        clips: The dataset the split was drawn from.
        test: The test side (the split's test clips, then any fresh ones).
        what: What was fixed during development, e.g. ``"the fast hyper-parameters"``.
    """
    own = {c.clip_id for c in clips}
    fresh = sum(c.clip_id not in own for c in test)
    if not fresh:
        return (
            f"{what} were fixed during the book's development, with these test "
            "clips' scores in view"
        )
    return (
        f"{what} were fixed during the book's development; the {fresh} fresh test "
        f"clips (of {len(test)}) were never seen then"
    )


def stopping_sentence(run: Any, what: str = "The training") -> str:
    """What ended a network's training, which epoch's weights it keeps, and its verdict.

    Only a network that early stopping ended gets a verdict: one that the epoch cap
    ended was "still learning at the cap: no verdict", and so is one that ran a fixed
    number of epochs (:func:`mgr_utils.comparison.no_verdict_reason`).

    Notebook: ``04_costa_cnn.ipynb`` (also ``05_nakashika_glcm_cnn.ipynb`` and
    ``06_zhang_cnn.ipynb``).

    Args:
        run: A :class:`mgr_utils.training.TrainResult`.
        what: The sentence's subject.
    """
    best, ran, cap = run.best_epoch, run.epochs_run, run.epoch_cap
    if run.stopped_by == "fixed epochs":
        return (
            f"{what} ran a fixed {ran} epochs, with no early stopping: the network "
            "gets **no verdict** (only a network that early stopping ended is "
            "compared)."
        )
    if run.stopped_by == "early stopping":
        return (
            f"{what} was ended by **early stopping** after {ran} of at most "
            f"{cap} epochs: the validation loss had not improved for {ran - best} "
            f"epochs, and the weights of epoch {best}, the best on the validation "
            "clips, are kept."
        )
    no_verdict = (
        f"Early stopping did not end it, so the network was **{STILL_LEARNING}** "
        "(only a network that early stopping ended is compared)."
    )
    if best == ran:
        return (
            f"{what} was ended by the **epoch cap** ({cap} epochs) with the "
            "validation loss still at its lowest in the last epoch: more epochs "
            "might have helped, and the number of epochs was set by the cap, not "
            f"chosen on the validation clips. {no_verdict}"
        )
    return (
        f"{what} was ended by the **epoch cap** ({cap} epochs); the best epoch on "
        f"the validation clips was epoch {best}, whose weights are kept. {no_verdict}"
    )


def paired_test_floor(n: int) -> dict[str, Any]:
    """The smallest difference ``n`` test clips can show (exact McNemar), in numbers.

    Notebook: ``04_costa_cnn.ipynb``.

    Returns:
        ``{"n", "min_clips", "p_below", "min_points"}``: the fewest clips all one way
        that give p < 0.05
        (:func:`mgr_utils.comparison.smallest_significant_difference`), the p of one
        clip fewer, and ``min_clips`` in points of accuracy on ``n`` clips
        (``None`` values when even ``n`` clips are not enough).
    """
    from mgr_utils.comparison import mcnemar, smallest_significant_difference

    k = smallest_significant_difference(n)
    if k is None:
        return {"n": n, "min_clips": None, "p_below": None, "min_points": None}
    below = k - 1
    p_below = mcnemar([0] * below, [0] * below, [1] * below)["p"] if below else 1.0
    return {"n": n, "min_clips": k, "p_below": p_below, "min_points": 100 * k / n}
