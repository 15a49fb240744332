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
    """One sentence naming the most frequent confusions of a confusion matrix, ties as ties.

    Confusions are taken by count, largest first, until at least ``k`` are named; a count
    shared by several pairs is named as a tie and never cut in two (which pair of a tie
    came "first" would only be the order of the genres). A tie of more than ``k + 2``
    pairs is counted, not listed.

    Notebook: ``01_datasets.ipynb``.

    Example: ``"The most frequent confusions on these test clips: reggae taken for
    hiphop (5 clips), then a tie at 2 clips each: disco taken for hiphop and rock taken
    for metal."``
    """
    pairs = most_confused(confusion, genres, k=len(genres) ** 2)
    if not pairs:
        return "No test clip was taken for another genre."
    groups: list[tuple[int, list[str]]] = []
    for t, p, c in pairs:
        if groups and groups[-1][0] == c:
            groups[-1][1].append(f"{t} taken for {p}")
        else:
            if sum(len(names) for _, names in groups) >= k:
                break
            groups.append((c, [f"{t} taken for {p}"]))
    parts = []
    for c, names in groups:
        clips = f"{c} clip{'s' if c != 1 else ''}"
        if len(names) == 1:
            parts.append(f"{names[0]} ({clips})")
        elif len(names) <= k + 2:
            each = f"{c} clip{'s' if c != 1 else ''} each"
            parts.append(f"a tie at {each}: " + _and(names))
        else:
            parts.append(f"a tie of {len(names)} pairs at {clips} each")
    head = "The most frequent confusions on these test clips: "
    return head + "; then ".join(parts) + "."


def _and(items: Sequence[str]) -> str:
    """``"a"``, ``"a and b"``, ``"a, b and c"``."""
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A Markdown table: one header row, then one row per item of ``rows``.

    Cells are written with ``str``; a ``|`` inside a cell is escaped.

    Notebook: ``01_datasets.ipynb`` (every table of chapters 1-6).

    Raises:
        ValueError: A row with another number of cells than ``header``.
    """

    def cell(v: Any) -> str:
        return str(v).replace("|", "\\|")

    lines = [
        "| " + " | ".join(cell(h) for h in header) + " |",
        "|" + "---|" * len(header),
    ]
    for row in rows:
        if len(row) != len(header):
            raise ValueError(f"a row of {len(row)} cells under {len(header)} headers")
        lines.append("| " + " | ".join(cell(v) for v in row) + " |")
    return "\n".join(lines)


def split_table(classes: Sequence[str], sides: Mapping[str, Any]) -> str:
    """Clips per class on each side of a split, as a Markdown table (a total column).

    Notebook: ``01_datasets.ipynb``.

    Args:
        classes: The class names, in label order (``clips.classes``).
        sides: ``{"train": train, "valid": valid, "test": test}`` (ClipSets).
    """
    rows = []
    for name, part in sides.items():
        counts = part.counts()
        rows.append([name, *(counts.get(g, 0) for g in classes), len(part)])
    return markdown_table(["side", *classes, "total"], rows)


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


# --------------------------------------------------------------------------------------
# Chapters 4-6: the tables their pages show
# --------------------------------------------------------------------------------------


def percent(x: float | None) -> str:
    """An accuracy as the book prints it: ``0.867`` -> ``"86.7 %"`` (``None``: empty).

    Notebook: ``04_costa_cnn.ipynb``.
    """
    return "" if x is None else f"{100 * float(x):.1f} %"


def duration_text(seconds: float) -> str:
    """A duration as a reader takes it in: ``"45 s"``, ``"2.3 min"``, ``"3.1 h"``, ``"2.5 days"``.

    Notebook: ``04_costa_cnn.ipynb``.

    Raises:
        ValueError: A negative or not finite duration.
    """
    seconds = float(seconds)
    if not np.isfinite(seconds) or seconds < 0:
        raise ValueError(
            f"a duration must be a finite number of seconds >= 0, got {seconds}"
        )
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.1f} min"
    if seconds < 48 * 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


def rule_table(selected: Mapping[str, Any]) -> str:
    """The segment-to-clip rules' validation accuracies, the chosen one marked.

    Notebook: ``04_costa_cnn.ipynb`` (also ``05_nakashika_glcm_cnn.ipynb``).

    Args:
        selected: :func:`mgr_utils.training.evaluate_selected`'s result.
    """
    rows = [
        [f"{r} (chosen)" if r == selected["rule"] else r, percent(m["accuracy"])]
        for r, m in selected["valid"].items()
    ]
    return markdown_table(["rule", "validation clip accuracy"], rows)


def scored_once_sentence(
    selected: Mapping[str, Any], n_valid: int, level: str = "segment"
) -> str:
    """Which rule the validation clips chose, and the test clips' score with it.

    Example: "Chosen on the 40 validation clips: the **sum** rule. On the 150 test
    clips, scored once with it: **60.0 %** (patch level: 55.7 %). On the training
    clips, the same way (no dropout): 100.0 %."

    Notebook: ``04_costa_cnn.ipynb`` (also ``05_nakashika_glcm_cnn.ipynb``).

    Args:
        selected: :func:`mgr_utils.training.evaluate_selected`'s result (with
            ``train`` when the training clips were scored).
        n_valid: Number of validation clips.
        level: What one input of the network is (``"patch"``, ``"segment"``).
    """
    test = selected["test"]
    text = (
        f"Chosen on the {n_valid} validation clips: the **{selected['rule']}** rule. "
        f"On the {test['n_clips']} test clips, scored once with it: "
        f"**{percent(test['accuracy'])}** ({level} level: "
        f"{percent(test['segment_accuracy'])})."
    )
    if "train" in selected:
        text += (
            " On the training clips, the same way (no dropout): "
            f"{percent(selected['train']['accuracy'])}."
        )
    return text


def costa_table(
    cnn: Mapping[str, Any],
    lbp: Mapping[str, Any],
    fusion: Mapping[str, Any],
    *,
    cnn_rule: str,
    lbp_rule: str,
    dataset: str,
    split: str,
    paper: Mapping[str, str],
) -> str:
    """Chapter 4's three systems on the test clips beside Costa et al.'s numbers.

    Notebook: ``04_costa_cnn.ipynb``.

    Args:
        cnn, lbp, fusion: Test metrics of the CNN, the LBP-zone SVMs, their fusion.
        cnn_rule, lbp_rule: The CNN's patch rule and the SVMs' zone rule.
        dataset, split: Where the numbers come from.
        paper: The paper's number (text) by system id
            (:data:`mgr_utils.models.costa.PAPER_LMD`).
    """
    rows = [
        [
            f"{display_name('costa_cnn')} ({cnn_rule} rule over patches)",
            percent(cnn["accuracy"]),
            paper["costa_cnn"],
        ],
        [
            f"{display_name('lbp_zone_svm')} ({lbp_rule} rule over zones)",
            percent(lbp["accuracy"]),
            paper["lbp_zone_svm"],
        ],
        [
            display_name("costa_cnn_x_lbp_product"),
            percent(fusion["accuracy"]),
            paper["costa_cnn_x_lbp_product"],
        ],
    ]
    header = [
        "system",
        f"our test clip accuracy ({dataset}, {split})",
        "Costa et al. 2017 (LMD, artist filter, 3-fold CV)",
    ]
    return markdown_table(header, rows)


def nakashika_integration_table(
    stacked: Mapping[str, Any],
    single: Mapping[str, Mapping[str, Any]],
    weights: Mapping[str, int],
    reproduction: Mapping[str, float],
) -> str:
    """Chapter 5's integration: each single-angle network and the stacked one.

    Each row gives the network's weights (the stacked network has more: its first
    convolution reads every map), its rule, its training and test clip accuracies and
    the reproduction's track-level accuracy on GTZAN.

    Notebook: ``05_nakashika_glcm_cnn.ipynb``.

    Args:
        stacked: ``evaluate_selected`` result of the network on all maps.
        single: Angle name (``"0°"``) -> ``evaluate_selected`` result on that map.
        weights: Angle name (and ``"stacked"``) -> the network's weight count.
        reproduction: Angle name (and ``"stacked"``) -> the reproduction's accuracy.
    """
    n_maps = len(reproduction) - 1
    rows = []
    for name, res in [*single.items(), ("stacked", stacked)]:
        label = (
            f"all {n_maps} maps stacked" if name == "stacked" else f"{name} map only"
        )
        train = res.get("train", {}).get("accuracy")
        rep = reproduction.get(name)
        rows.append(
            [
                label,
                f"{weights[name]:,}",
                res["rule"],
                percent(train),
                percent(res["test"]["accuracy"]),
                "" if rep is None else f"{100 * rep:.0f} %",
            ]
        )
    header = [
        "input",
        "weights",
        "rule (chosen on validation)",
        "training clip accuracy",
        "test clip accuracy",
        "reproduction on GTZAN (track level)",
    ]
    return markdown_table(header, rows)


def baseline_row_label(baseline_id: str) -> str:
    """How chapters 5 and 6 name chapter 3's system chosen on validation.

    Notebook: ``05_nakashika_glcm_cnn.ipynb`` (also ``06_zhang_cnn.ipynb``).
    """
    return f"chapter 3's best on validation: {display_name(baseline_id)}"


def nakashika_results_table(
    glcm: Mapping[str, Any],
    n_maps: int,
    dataset: str,
    split: str,
    baseline: tuple[str, Mapping[str, Any]] | None,
    paper: str,
) -> str:
    """Chapter 5's network beside the paper, its reproduction and chapter 3's baseline.

    Notebook: ``05_nakashika_glcm_cnn.ipynb``.

    Args:
        glcm: ``evaluate_selected`` result of the stacked network.
        n_maps: Number of stacked maps.
        dataset, split: Where the numbers come from.
        baseline: ``(system id, record entry)`` of chapter 3's system chosen on
            validation, or ``None``.
        paper: What the paper and its reproduction report (text).
    """
    rows = [
        [
            f"{display_name('nakashika_glcm_cnn')}, {n_maps} maps, {glcm['rule']} rule",
            percent(glcm["test"]["accuracy"]),
            f"{dataset}, {split}",
            paper,
        ]
    ]
    if baseline is not None:
        rows.append(
            [
                baseline_row_label(baseline[0]),
                percent(baseline[1]["accuracy"]),
                f"{dataset}, {split}",
                "",
            ]
        )
    header = ["system", "our test clip accuracy", "dataset, split", "paper reports"]
    return markdown_table(header, rows)


def zhang_variant_label(system_id: str) -> str:
    """A Zhang variant as the chapter names it: its display name without "Zhang's network with".

    ``"zhang_cnn_max_avg_shortcuts"`` -> ``"max+avg pooling and shortcuts"``.

    Notebook: ``06_zhang_cnn.ipynb``.
    """
    return display_name(system_id).removeprefix("Zhang's network with ")


def zhang_ablation_table(
    results: Mapping[str, Mapping[str, Any]],
    runs: Mapping[str, Any],
    weights: Mapping[str, int],
    chosen: str,
) -> str:
    """Chapter 6's ablation: one row per variant, the one kept on validation marked.

    Notebook: ``06_zhang_cnn.ipynb``.

    Args:
        results: System id -> ``evaluate_selected`` result (with ``train``).
        runs: System id -> its :class:`mgr_utils.training.TrainResult`.
        weights: System id -> weight count.
        chosen: The id of the variant kept.
    """
    rows = []
    for sid, r in results.items():
        t, run = r["test"], runs[sid]
        rows.append(
            [
                zhang_variant_label(sid) + (" **(kept)**" if sid == chosen else ""),
                f"{weights[sid]:,}",
                r["rule"],
                percent(t["valid_accuracy"]),
                percent(t["accuracy"]),
                percent(t["segment_accuracy"]),
                percent(t.get("train_accuracy")),
                f"{run.best_epoch} of {run.epochs_run}",
                run.stopped_by,
            ]
        )
    header = [
        "variant",
        "weights",
        "rule (on validation)",
        "validation clip accuracy",
        "test clip accuracy",
        "segment accuracy",
        "training clip accuracy",
        "best epoch",
        "stopped by",
    ]
    return markdown_table(header, rows)


def networks_table(
    records: Mapping[str, Mapping[str, Any] | None],
    same: Mapping[str, Any],
    dataset: str,
    split: str,
    baseline: tuple[str, Mapping[str, Any]] | None = None,
    paper_rows: Sequence[Sequence[str]] = (),
) -> str:
    """Every network the chapters' records hold for these clips, beside chapter 3's baseline.

    A system enters when its record is of ``dataset`` and its parameters agree with
    ``same`` (the split, seed and clip counts). Systems are named by chapter and display
    name, e.g. "chapter 4: Costa's CNN".

    Notebook: ``06_zhang_cnn.ipynb``.

    Args:
        records: Chapter (``"04_costa_cnn"``) -> its record (``None``: absent), in order.
        same: Parameters every row must share.
        dataset, split: The clips' dataset and split.
        baseline: ``(system id, record entry)`` of chapter 3's system chosen on
            validation, or ``None``.
        paper_rows: Extra rows (four cells each), e.g. a paper's number in italics.
    """
    rows = []
    for chapter, record in records.items():
        number = int(chapter.split("_", 1)[0])
        for system, res in ((record or {}).get("systems") or {}).items():
            params = res.get("params") or {}
            if res.get("dataset") == dataset and all(
                params.get(k) == v for k, v in same.items()
            ):
                rows.append(
                    [
                        f"chapter {number}: {display_name(system)}",
                        percent(res.get("valid_accuracy")),
                        percent(res["accuracy"]),
                        f"{dataset}, {split}",
                    ]
                )
    if baseline is not None:
        rows.append(
            [
                f"**{baseline_row_label(baseline[0])}**",
                percent(baseline[1].get("valid_accuracy")),
                f"**{percent(baseline[1]['accuracy'])}**",
                f"{dataset}, {split}",
            ]
        )
    rows += [list(r) for r in paper_rows]
    header = ["chapter: system", "validation", "test (scored once)", "dataset, split"]
    return markdown_table(header, rows)


def fit_sentence(
    what: str,
    train_accuracy: float,
    test_accuracy: float,
    gap: float = 0.1,
    fitted: float = 0.9,
) -> str:
    """Does a network over-fit? Its training clip accuracy beside its test clip accuracy.

    A network that fits its training clips (``fitted`` or more) and them much better than
    the test clips (by ``gap`` or more) over-fits: its capacity is not what holds it
    back. One that does not fit its training clips may be too small, or not trained
    enough; the sentence says which case the numbers show.

    Notebook: ``05_nakashika_glcm_cnn.ipynb``.

    Args:
        what: The sentence's subject, e.g. "The stacked network".
        train_accuracy, test_accuracy: Clip-level accuracies (training clips measured
            like the test clips: no dropout, the chosen rule).
        gap: The smallest difference called over-fitting.
        fitted: The training accuracy from which the training clips count as fitted.
    """
    both = (
        f"{what} reaches {percent(train_accuracy)} on its training clips and "
        f"{percent(test_accuracy)} on the test clips"
    )
    if train_accuracy < fitted:
        return (
            f"{both}: it does not fit even the clips it was trained on, so its size, "
            "or its training, may be what holds it back."
        )
    if train_accuracy - test_accuracy >= gap:
        return (
            f"{both}: it **over-fits**, learning its training clips far better than "
            "music it has not heard, so its small size is not what holds it back."
        )
    return f"{both}: it fits both about as well, with no sign of over-fitting."


def paired_floor_texts(floor: Mapping[str, Any]) -> dict[str, str]:
    """The glue texts of :func:`paired_test_floor`, also when no difference can pass.

    Notebook: ``04_costa_cnn.ipynb``.

    Returns:
        ``{"n_test", "min_clips", "below_clips", "p_below", "min_points"}``; with too
        few test clips for any difference to pass the test, ``min_clips`` reads "more
        than n" and the others say that every clip going one way is not enough.
    """
    n = floor["n"]
    if floor["min_clips"] is None:
        p_all = 2.0 / 2**n if n else 1.0
        return {
            "n_test": f"{n}",
            "min_clips": f"more than {n}",
            "below_clips": f"all {n}",
            "p_below": f"{min(p_all, 1.0):.4g}",
            "min_points": "more than 100",
        }
    return {
        "n_test": f"{n}",
        "min_clips": f"{floor['min_clips']}",
        "below_clips": f"{floor['min_clips'] - 1}",
        "p_below": f"{floor['p_below']:.4g}",
        "min_points": f"{floor['min_points']:.1f}",
    }


def integration_reading(
    comparisons: Mapping[str, Mapping[str, Any]], stacked: str = "the stacked maps"
) -> str:
    """What chapter 5's paired tests say about stacking the maps against single maps.

    Notebook: ``05_nakashika_glcm_cnn.ipynb``.

    Args:
        comparisons: Angle name (``"0°"``) -> the comparison of the stacked network
            (``a``) with that single-angle network (``b``),
            :func:`mgr_utils.comparison.compare_results`.
        stacked: How to name the stacked network.

    Returns:
        E.g. "Here the stacked maps are ahead of the 0° map alone and cannot be told
        apart from the 90° map alone (paired tests on the same test clips)."
    """
    groups: dict[str, list[str]] = {"ahead": [], "behind": [], "tie": [], "none": []}
    for angle, c in comparisons.items():
        if c["test"] == "not compared":
            groups["none"].append(angle)
        elif c["verdict"] == f"{c['a']} ahead":
            groups["ahead"].append(angle)
        elif c["verdict"] == f"{c['b']} ahead":
            groups["behind"].append(angle)
        else:
            groups["tie"].append(angle)

    def maps(angles: list[str]) -> str:
        names = [f"the {a} map alone" for a in angles]
        return (
            names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
        )

    parts = []
    if groups["ahead"]:
        parts.append(f"are ahead of {maps(groups['ahead'])}")
    if groups["behind"]:
        parts.append(f"are behind {maps(groups['behind'])}")
    if groups["tie"]:
        parts.append(f"cannot be told apart from {maps(groups['tie'])}")
    if groups["none"]:
        parts.append(f"are not compared with {maps(groups['none'])} (see why below)")
    if not parts:
        return "No single-map network was trained to compare with."
    body = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    return f"Here {stacked} {body} (paired tests on the same test clips)."


def stopping_summary(runs: Mapping[str, Any], label=lambda name: name) -> str:
    """What ended each of several trainings, in one sentence.

    Notebook: ``06_zhang_cnn.ipynb``.

    Args:
        runs: Name -> :class:`mgr_utils.training.TrainResult`.
        label: How to name a run in prose.

    Returns:
        E.g. "Early stopping ended all 4 trainings, after 8 to 11 epochs: each network
        keeps the weights of its best epoch on the validation clips." or, when the cap
        ended some, which ones and that they get no verdict.
    """
    early = {k: r for k, r in runs.items() if r.stopped_by == "early stopping"}
    epochs = sorted(r.epochs_run for r in early.values())
    span = (
        f"after {epochs[0]} epochs"
        if epochs and epochs[0] == epochs[-1]
        else f"after {epochs[0]} to {epochs[-1]} epochs"
        if epochs
        else ""
    )
    if len(early) == len(runs):
        return (
            f"Early stopping ended all {len(runs)} trainings, {span}: each network "
            "keeps the weights of its best epoch on the validation clips."
        )
    others = [k for k in runs if k not in early]
    names = ", ".join(label(k) for k in others)
    how = "; ".join(sorted({runs[k].stopped_by for k in others}))
    return (
        f"Early stopping did not end {len(others)} of the {len(runs)} trainings "
        f"({names}: {how}): those networks get **no verdict** (only a network that "
        "early stopping ended is compared)"
        + (f"; early stopping ended the other {len(early)}, {span}." if early else ".")
    )


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


def fresh_test_sentence(clips: Sequence[Any], test: Sequence[Any]) -> str:
    """What a page says about its test clips: which existed while the settings were chosen.

    The fast build's settings (epochs, learning rates, widths, grids) were fixed while the
    book was written, with the scores of the split's own test clips in view; the fresh
    synthetic test clips (:func:`mgr_utils.splits.fresh_test_clips`) were rendered after
    every clip of the set and never seen then. :func:`fresh_test_note` says the same in a
    record.

    Notebook: ``01_datasets.ipynb``.

    Args:
        clips: The dataset the split was drawn from (its ``name`` says which).
        test: The test side (the split's own test clips, then any fresh ones).
    """
    own_ids = {c.clip_id for c in clips}
    own = sum(c.clip_id in own_ids for c in test)
    fresh = len(test) - own
    name = getattr(clips, "name", "")
    if fresh:
        return (
            f"Of the {len(test)} test clips, {own} are the split's own: they existed, "
            "and their scores were in view, while the book's settings were chosen "
            f"during its writing. The other {fresh} are fresh, rendered after every "
            "clip of the set and never heard nor scored then; only they are untouched "
            "by those choices."
        )
    if name == "synthetic":
        return (
            f"All {len(test)} test clips are the split's own: they existed, and their "
            "scores were in view, while the book's settings were chosen during its "
            "writing (set `TEST_PER_GENRE` to add fresh ones)."
        )
    return (
        f"All {len(test)} test clips are the split's own. The settings a chapter "
        "fixes in advance were set while the book was written; every choice this run "
        "makes is made on the validation clips, never on these."
    )


def fusion_reading(
    valid_by_rule: Mapping[str, float],
    rule: str,
    n_valid: int,
    fused_pred: Sequence[int],
    zone_preds: Sequence[Sequence[int]],
    zone_names: Sequence[str],
) -> str:
    """What the validation clips say about the rule that fuses the zones, from the run.

    How many clips the chosen rule wins by (one clip chooses a rule but shows no real
    difference), and whether the fusion decides any clip differently from a single zone
    (on the validation clips, the fused decisions may be one zone's, clip for clip).

    Notebook: ``03_texture_features.ipynb``.

    Args:
        valid_by_rule: ``{rule: validation accuracy}``
            (:meth:`mgr_utils.classical.LBPZoneSVM.choose_rule`).
        rule: The chosen rule.
        n_valid: Number of validation clips.
        fused_pred: The chosen rule's decision on each validation clip.
        zone_preds: Each zone's decision on the same clips.
        zone_names: Each zone's name, e.g. ``"26-232"`` (Hz).
    """
    right = {r: int(round(a * n_valid)) for r, a in valid_by_rule.items()}
    best = right[rule]
    others = {r: k for r, k in right.items() if r != rule}
    head = f"The {rule} rule is right on {best} of the {n_valid} validation clips"
    if not others:
        first = head + "."
    else:
        runner = max(others.values())
        level = [r for r, k in others.items() if k == runner]
        rules = _and(level) + (" rules" if len(level) > 1 else " rule")
        if runner == best:
            first = (
                f"{head}, as many as the {rules}: the tie goes to the {rule} rule by "
                "the fixed order product, sum, max, min, not by the clips."
            )
        else:
            margin = best - runner
            first = (
                f"{head}, {margin} clip{'s' if margin != 1 else ''} more than the "
                f"{rules} ({runner})"
            )
            first += (
                ": a margin of one clip chooses a rule, but it shows no real "
                "difference between the rules."
                if margin == 1
                else "."
            )
    fused = np.asarray(fused_pred)
    same = [n for n, p in zip(zone_names, zone_preds) if np.array_equal(p, fused)]
    if same:
        zones = _and(same) + " Hz"
        second = (
            f" On these clips its decisions are, clip for clip, those of the zone "
            f"{zones} alone: fusing the {len(zone_names)} zones changed no decision "
            "of that zone."
        )
    else:
        scores = [int(np.sum(np.asarray(p) == fused)) for p in zone_preds]
        k = int(np.argmax(scores))
        second = (
            f" No single zone decides every clip as it does; the closest, "
            f"{zone_names[k]} Hz, agrees with it on {scores[k]} of the {n_valid} clips."
        )
    return first + second


def _short(reason: str, path: str) -> str:
    """The head of a loader's reason for leaving a file out, without a machine path."""
    head = str(reason).split(" (")[0].split(": ")[0].strip()
    return head.replace(str(path), "the file") or "unreadable"


def collection_note(clips: Any, shown: int = 5) -> str:
    """A paragraph on the collection a run loaded: what it is, its classes, what was left out.

    For a folder collection it also names (up to ``shown`` of) the files it skipped as
    unreadable and the files it ignored (hidden, not audio), by their paths inside the
    collection (never a machine path).

    Notebook: ``01_datasets.ipynb``.

    Args:
        clips: The loaded :class:`~mgr_utils.datasets.ClipSet`.
        shown: How many skipped or ignored files to name at most.
    """
    from pathlib import Path

    from mgr_utils.datasets import describe_collection

    what = {
        "synthetic": "The embedded synthetic genre set",
        "gtzan": "GTZAN",
        "folder": "A folder collection",
    }.get(clips.name, f"The {clips.name} set")
    text = f"**{what}**: {describe_collection(clips)}"
    if clips.name == "folder":
        text += (
            " Its classes are its sub-folders' names (or the labels of its table), "
            "sorted unless `CLASSES` fixes their order; every chapter takes them "
            f"from the data, so chance is 1/{len(clips.classes)} here."
        )

    def inside(path: str) -> str:
        p = Path(path)
        if not p.is_absolute():  # already a path inside the collection
            return p.as_posix()
        if clips.root is not None:
            try:
                return p.relative_to(clips.root).as_posix()
            except ValueError:
                pass
        return p.name

    for label, files in (("Skipped", clips.skipped), ("Ignored", clips.ignored)):
        if not files:
            continue
        names = [f"`{inside(f)}` ({_short(reason, f)})" for f, reason in files[:shown]]
        more = f" and {len(files) - shown} more" if len(files) > shown else ""
        why = " as unreadable" if label == "Skipped" else ""
        text += f" {label}{why}: " + ", ".join(names) + more + "."
    return text


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


def paired_test_floor_text(n: int) -> str:
    """The floor of the exact McNemar test on ``n`` clips, as the paragraph chapter 2 prints.

    Notebook: ``02_spectrograms.ipynb``.
    """
    floor = paired_test_floor(n)
    k = floor["min_clips"]
    if k is None:
        return (
            "The test has a floor. With *k* discordant clips all going one way, "
            f"*p* = 2 / 2ᵏ; on {n} clips even all {n} going one way give "
            f"*p* = {min(1.0, 2 / 2**n):.3f}, not below 0.05: these clips are too few "
            "for any verdict."
        )
    return (
        "The test has a floor. With *k* discordant clips all going one way, "
        f"*p* = 2 / 2ᵏ: {k - 1} clips to none gives *p* = {floor['p_below']:.3f}, "
        f"not below 0.05. So a net difference of fewer than **{k} clips** "
        f"({floor['min_points']:.1f} points of accuracy on these {n} clips) can never "
        "be called a difference at α = 0.05; when the discordant clips fall both "
        "ways, the net difference needed grows."
    )
