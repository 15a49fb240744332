"""Chapter 10's view of the results records: one row per system, beside the paper's number.

Everything here reads the records the chapters wrote (:mod:`mgr_utils.results`) and trains nothing.
A row carries the paper's dataset, protocol, metric and number with how sure that number is, and
ours: dataset, split, the number of test clips, the accuracy with its 95 % Wilson interval, and what
the system's choices were made on.

Notebook: ``10_results.ipynb``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from mgr_utils.comparison import (
    STILL_LEARNING,
    compare_results,
    display_name,
    learned,
    no_verdict_reason,
    not_compared,
    sentence,
)
from mgr_utils.evaluation import wilson_interval
from mgr_utils.readings import capitalised

CHAPTERS = {
    "01_datasets": "1. Datasets",
    "02_spectrograms": "2. Spectrograms",
    "03_texture_features": "3. Texture features",
    "04_costa_cnn": "4. Costa et al.",
    "05_nakashika_glcm_cnn": "5. Nakashika et al.",
    "06_zhang_cnn": "6. Zhang et al.",
    "07_raw_audio": "7. Raw audio",
    "08_pretraining": "8. Pretraining",
    "09_auralisation": "9. Auralisation",
    "11_transfer_learning": "11. Transfer learning",
    "12_validity": "12. Is it listening to the genre?",
}
"""Every chapter that writes a results record, in reading order."""

VALIDITY_CHAPTER = "12_validity"
"""Chapter 12: it measures the other chapters' systems, it records none of its own."""

SYSTEM_CHAPTERS = tuple(c for c in CHAPTERS if c >= "03" and c != VALIDITY_CHAPTER)
"""The chapters whose systems the results table lists (1 and 2 only measure floors; 12
measures the others' systems)."""

FAMILY_ORDER = (
    "classical",
    "spectrogram CNN",
    "MFCC input",
    "raw audio",
    "pretraining",
    "auralisation net",
    "transfer",
)
"""How the figure groups systems, from the classical baseline to the auralisation net, then the
pre-trained network of chapter 11.

Li et al.'s network is filed under raw audio by the survey, but it reads MFCCs: the
figure puts it in a family of its own, "MFCC input" (:func:`family_of`).
"""

_ANCHORS = {
    "03_texture_features": "papers-costa",
    "04_costa_cnn": "papers-costa",
    "05_nakashika_glcm_cnn": "papers-nakashika",
    "06_zhang_cnn": "papers-zhang",
    "07_raw_audio": "papers-dieleman2014",
    "08_pretraining": "papers-dieleman2011",
    "09_auralisation": "papers-choi",
    "11_transfer_learning": "papers-musicnn",
}
_SYSTEM_ANCHORS = {
    "03_texture_features": (("glcm", "papers-nakashika"), ("lbp", "papers-costa")),
    "07_raw_audio": (
        ("li", "papers-li"),
        ("sample", "papers-lee"),
        ("lee", "papers-lee"),
        ("dieleman", "papers-dieleman2014"),
    ),
}
"""Chapters with systems from several papers: the system's name prefix picks the section."""

SURENESS_WORDS = {
    "paper": "read in the paper",
    "code": "read in public code",
    "secondary": "secondary source",
    "reproduction": "a reproduction's",
    "unverified": "not verified",
}


@dataclass
class Row:
    """One system: the paper's number and ours.

    Notebook: ``10_results.ipynb``.
    """

    chapter: str
    system: str
    family: str
    accuracy: float
    n_clips: int
    low: float
    high: float
    dataset: str
    split: str
    selected_on: str
    choices: dict
    protocol: str
    reported: dict | None
    anchor: str
    scored_on: str = "test clips"
    train_accuracy: float | None = None
    n_classes: int = 10
    stopped_by: str | None = None
    max_epochs: int | None = None
    seed: int | None = None
    n_seeds: int | None = None

    @property
    def learned(self) -> bool:
        """Whether the network learned (training accuracy at least twice chance)."""
        return learned(self.train_accuracy, self.n_classes)

    @property
    def name(self) -> str:
        """The system's display name (:func:`mgr_utils.comparison.display_name`)."""
        return display_name(self.system)

    @property
    def no_verdict(self) -> str | None:
        """Why the system gets no verdict (did not learn, still learning at the cap), or
        ``None`` (:func:`mgr_utils.comparison.no_verdict_reason`)."""
        return no_verdict_reason(
            {
                "train_accuracy": self.train_accuracy,
                "stopped_by": self.stopped_by,
                "max_epochs": self.max_epochs,
            },
            self.n_classes,
        )


def anchor_of(chapter: str, system: str) -> str:
    """The label of the appendix section that holds a system's paper (``papers-costa``, ...).

    Chapter 10 links every paper's number to its own section of the appendix, not to the top of
    the appendix: ``"papers"`` is returned only for a chapter that has no paper's section.

    Notebook: ``10_results.ipynb``.
    """
    for prefix, anchor in _SYSTEM_ANCHORS.get(chapter, ()):
        if system.startswith(prefix):
            return anchor
    return _ANCHORS.get(chapter, "papers")


def family_of(chapter: str, system: str, result: Mapping[str, Any]) -> str:
    """The family a system is drawn in: its record's; Li et al.'s net, "MFCC input".

    The survey files Li et al. 2010 under raw audio, but the network reads 13 MFCCs, not
    the waveform; it is compared with neither front end of chapter 7.

    Notebook: ``10_results.ipynb``.
    """
    family = result.get("family", "baseline")
    li = chapter == "07_raw_audio" and system.startswith("li")
    if family == "MFCC input" or li:
        return "MFCC input"
    return family


def _choices(result: Mapping[str, Any]) -> dict:
    """The record's choices; a count of labelled clips restated from the numbers."""
    choices = dict(result.get("choices") or {})
    n = result.get("n_labelled_clips")
    if n is not None and "labelled clips" in choices:
        fraction = result.get("labelled_fraction")
        share = f", {fraction:.0%} of each genre's training clips" if fraction else ""
        seed = (result.get("params") or {}).get("SEED")
        seed_text = f" (seed {seed})" if seed is not None else ""
        choices["labelled clips"] = f"{n} in all{share}, drawn at random{seed_text}"
    return choices


def collect(
    records: Mapping[str, Mapping[str, Any]], chapters: Sequence[str] = SYSTEM_CHAPTERS
) -> list[Row]:
    """One :class:`Row` per recorded system of ``chapters``, in chapter order.

    Notebook: ``10_results.ipynb``.
    """
    rows = []
    for chapter in chapters:
        for system, r in (records.get(chapter) or {}).get("systems", {}).items():
            low, high = wilson_interval(r["accuracy"], r["n_clips"])
            rows.append(
                Row(
                    chapter,
                    system,
                    family_of(chapter, system, r),
                    r["accuracy"],
                    r["n_clips"],
                    low,
                    high,
                    r["dataset"],
                    r.get("split", "?"),
                    r.get("selected_on", "?"),
                    _choices(r),
                    r.get("protocol", ""),
                    r.get("reported"),
                    anchor_of(chapter, system),
                    r.get("scored_on", "test clips"),
                    r.get("train_accuracy"),
                    len(r.get("genres") or ()) or 10,
                    r.get("stopped_by"),
                    r.get("max_epochs"),
                    (r.get("params") or {}).get("SEED"),
                    len(r["accuracy_seeds"]) if r.get("accuracy_seeds") else None,
                )
            )
    return rows


def missing_chapters(
    records: Mapping[str, Any], chapters: Sequence[str] = SYSTEM_CHAPTERS
) -> list[str]:
    """The chapters of ``chapters`` that left no results record (a partial build).

    Notebook: ``10_results.ipynb``.
    """
    return [c for c in chapters if not (records.get(c) or {}).get("systems")]


def missing_message(missing: Sequence[str], incomplete: Sequence[str] = ()) -> str:
    """What to tell the reader when some chapters' records are absent or incomplete, and what to do.

    Args:
        missing: Chapters without a usable record (:func:`missing_chapters`).
        incomplete: Chapters whose record is from a run that stopped before its last cell
            (:func:`mgr_utils.results.incomplete_records`): named apart, since their
            record is there but is not read.

    Notebook: ``10_results.ipynb``.
    """
    parts = []
    if incomplete:
        names = ", ".join(f"{CHAPTERS.get(c, c)} (`{c}`)" for c in incomplete)
        only = " ".join(f"--only {c}" for c in incomplete)
        parts.append(
            f"**Stopped before the end:** {names}. The last run of "
            f"{'this chapter' if len(incomplete) == 1 else 'these chapters'} did not "
            "reach its last cell (an error, or an interrupted kernel), so its record holds "
            "only part of a run and is not read here. Run "
            f"{'it' if len(incomplete) == 1 else 'them'} again to the end with "
            f"`python -m bookbuild build {only}`, or run the whole notebook yourself with "
            "the same `RESULTS_DIR` and `DATASET`, then this page again."
        )
    absent = [c for c in missing if c not in incomplete]
    if absent:
        names = ", ".join(f"{CHAPTERS.get(c, c)} (`{c}`)" for c in absent)
        only = " ".join(f"--only {c}" for c in absent)
        parts.append(
            f"**Missing from this build:** {names}. Their systems are not in the table "
            f"below. Run them with `python -m bookbuild build {only}` (or `make book` for "
            "the whole book), then this page again; or run their notebooks yourself with "
            "the same `RESULTS_DIR` and `DATASET`."
        )
    return "\n\n".join(parts)


def datasets_note(rows: Sequence[Row]) -> str:
    """Which dataset and split our numbers were measured on; a warning when they are mixed.

    Notebook: ``10_results.ipynb``.
    """
    kinds = sorted({(r.dataset, r.split) for r in rows})
    if not kinds:
        return "No system has been recorded yet."
    if len(kinds) == 1:
        dataset, split = kinds[0]
        return (
            f"Every number of ours below was measured on **{dataset}**, {split} split."
        )
    listed = "; ".join(f"{d}, {s} split" for d, s in kinds)
    return (
        f"**Our numbers come from different datasets or splits** ({listed}): each row says which, and "
        "numbers of different rows are not comparable."
    )


DATASET_CLASSES = (
    ("GTZAN", 10),
    ("Latin Music Database", 10),
    ("LMD", 10),
    ("ISMIR 2004", 6),
    ("Naver", 3),
)
"""Number of classes of a paper's dataset, by a name its ``dataset`` text contains.

Used when a record's ``reported`` has no ``n_classes`` and its dataset text does not say
"N genres" or "N classes". Tag datasets (MagnaTagATune) and the Million Song Dataset's
tag-derived genres (whose count was not verified) have none: their chance level is not
drawn.
"""


def paper_classes(reported: Mapping[str, Any] | None) -> int | None:
    """How many classes the paper's number is over: ``n_classes``, or from its dataset.

    ``"GTZAN (10 genres)"`` → 10, ``"in-house Naver Music set, 3 genres ..."`` → 3; a
    tag-ROC number (no classes) or an unknown dataset → ``None``.

    Notebook: ``10_results.ipynb``.
    """
    import re

    if not reported:
        return None
    if reported.get("n_classes"):
        return int(reported["n_classes"])
    if not str(reported.get("metric", "accuracy")).startswith("accuracy"):
        return None
    dataset = str(reported.get("dataset", ""))
    found = re.search(r"(\d+)\s+(?:[A-Za-z-]+\s+)?(?:genres|classes)\b", dataset)
    if found:
        return int(found.group(1))
    for name, n in DATASET_CLASSES:
        if name.lower() in dataset.lower():
            return n
    return None


def is_upper_bound(reported: Mapping[str, Any] | None) -> bool:
    """Whether the paper gave its number as a bound ("below 30 %"), not a measurement.

    Notebook: ``10_results.ipynb``.
    """
    if not reported:
        return False
    if reported.get("bound") == "upper":
        return True
    metric = str(reported.get("metric", "")).lower()
    return "upper bound" in metric or "below" in metric


def _is_accuracy(rep: Mapping[str, Any]) -> bool:
    metric = str(rep.get("metric", "accuracy"))
    return metric.startswith("accuracy") and rep["value"] <= 1


def _label(r: Row) -> str:
    return f"{r.name} ({r.chapter[:2].lstrip('0')})"


def _reported(r: Row) -> tuple[str, str]:
    """``(number with metric and certainty, dataset)``: the paper's side of a row."""
    rep = r.reported
    if not rep:
        return "—", "—"
    value = rep["value"]
    metric = str(rep.get("metric", "accuracy"))
    number = f"{value:.1%}" if _is_accuracy(rep) else f"{value}"
    if is_upper_bound(rep) and "below" not in metric.lower():
        number = "below " + number
    sure = SURENESS_WORDS.get(rep.get("sureness"), rep.get("sureness", ""))
    return f"{number} {metric} ({sure}, {{ref}}`appendix <{r.anchor}>`)", rep["dataset"]


def _no_verdict_note(r: Row) -> str:
    """`` **did not learn in this build** (...)``, `` **still learning at the cap: no
    verdict** (...)``, or ``""``."""
    why = r.no_verdict
    if why is None:
        return ""
    for phrase in ("did not learn in this build", STILL_LEARNING):
        if phrase in why:
            return " " + why.replace(phrase, f"**{phrase}**").removeprefix("was ")
    return f" **{why}**"


def table_markdown(rows: Sequence[Row]) -> str:
    """Our side of every system (Markdown): accuracy, test clips, data, choices made on.

    The paper's side is :func:`reported_markdown` (two narrower tables fit the page).

    Notebook: ``10_results.ipynb``.
    """
    lines = [
        "| system (chapter) | ours: accuracy [95 % CI] | clips scored "
        "| our dataset, split | choices made on |",
        "|---|---|---|---|---|",
    ]
    for r in rows:
        held_out = r.scored_on == "test clips"
        accuracy = f"{r.accuracy:.1%} [{r.low:.0%}, {r.high:.0%}]"
        if not held_out:
            accuracy += f" **on {r.scored_on}**"
        accuracy += _seed_note(r) + _no_verdict_note(r)
        scored = (
            r.n_clips if held_out else f"{r.n_clips} ({r.scored_on.split(' (')[0]})"
        )
        lines.append(
            f"| {_label(r)} | {accuracy} | {scored} | "
            f"{r.dataset}, {r.split} | {r.selected_on} |"
        )
    return "\n".join(lines)


def _seed_note(r: Row) -> str:
    """`` (seed 0 of 3; the verdicts use the 3-seed means)`` for a system run over seeds."""
    if not r.n_seeds or r.n_seeds < 2:
        return ""
    seed = f"seed {r.seed}" if r.seed is not None else "one seed"
    return (
        f" ({seed} of {r.n_seeds}; the verdicts below compare the {r.n_seeds}-seed "
        "means)"
    )


def reported_markdown(rows: Sequence[Row]) -> str:
    """The paper's side of each system that has one: number, dataset, chance, protocol.

    The chance level is one over the paper's number of classes (:func:`paper_classes`):
    75 % on 3 genres is 2.3 times chance, 75 % on 10 genres 7.5 times.

    Notebook: ``10_results.ipynb``.
    """
    lines = [
        "| system (chapter) | the paper's number | its dataset | its chance level "
        "| its protocol |",
        "|---|---|---|---|---|",
    ]
    for r in rows:
        if not r.reported:
            continue
        number, dataset = _reported(r)
        k = paper_classes(r.reported)
        if k:
            chance = f"{1 / k:.0%} ({k} classes)"
        else:
            chance = "not known" if _is_accuracy(r.reported) else "— (not an accuracy)"
        lines.append(
            f"| {_label(r)} | {number} | {dataset} | {chance} | "
            f"{r.reported.get('protocol', '—')} |"
        )
    return "\n".join(lines)


def protocols_markdown(rows: Sequence[Row]) -> str:
    """Our protocol behind each row of :func:`table_markdown`, and our choices.

    Notebook: ``10_results.ipynb``.
    """
    lines = ["| system (chapter) | our protocol | our choices |", "|---|---|---|"]
    for r in rows:
        choices = "; ".join(f"{k}: {v}" for k, v in r.choices.items()) or "—"
        lines.append(f"| {_label(r)} | {r.protocol} | {choices} |")
    return "\n".join(lines)


def _legend_of_ours(r: Row) -> str:
    """The legend entry of our dot: a verdict, or why there is none."""
    if not r.learned:
        return "ours: did not learn in this build"
    if r.no_verdict is not None:
        return "ours: no verdict (not ended by early stopping)"
    return "ours (95 % interval)"


def plot_reported_vs_reproduced(rows: Sequence[Row], ax=None):
    """Reported vs reproduced, one line per system, grouped by family.

    Our accuracy is a dot with its 95 % Wilson interval (hollow when the network gets no
    verdict: it did not learn, or it was still learning at the epoch cap); the paper's
    accuracy a diamond (hollow and grey when we could not verify it: sureness
    ``"unverified"``, such as Zhang's 87.4 % and the survey's 30 % for Dieleman 2011), or
    a bar ending in ``<`` when the paper gave only an upper bound ("below 30 %"). On each line a short grey tick marks the
    **paper's** chance level (one over its number of classes) and the dashed line ours.
    A paper's number in another metric (ROC-AUC) is written at the right instead, since
    it is not on the same scale. Families run top to bottom in :data:`FAMILY_ORDER`; the
    training-clip score of Li's net is left out.

    Notebook: ``10_results.ipynb``.
    """
    import matplotlib.pyplot as plt

    order = {f: i for i, f in enumerate(FAMILY_ORDER)}
    rows = [r for r in rows if r.family in order and r.scored_on == "test clips"]
    rows = sorted(rows, key=lambda r: (order[r.family], r.chapter))
    if ax is None:
        _, ax = plt.subplots(figsize=(11, 0.34 * len(rows) + 1.6))
    labels, seen = [], set()

    def once(name: str) -> str | None:
        if name in seen:
            return None
        seen.add(name)
        return name

    for i, r in enumerate(rows):
        y = len(rows) - 1 - i
        ax.errorbar(
            r.accuracy,
            y,
            xerr=[[r.accuracy - r.low], [r.high - r.accuracy]],
            fmt="o",
            color="C0",
            ms=5,
            capsize=2,
            mfc="C0" if r.no_verdict is None else "white",
            label=once(_legend_of_ours(r)),
        )
        rep = r.reported
        if rep and _is_accuracy(rep):
            if is_upper_bound(rep):
                ax.plot([0, rep["value"]], [y, y], color="C3", lw=1.5, alpha=0.6)
                ax.plot(
                    rep["value"],
                    y,
                    "<",
                    color="C3",
                    ms=7,
                    label=once("the paper's upper bound (below ...)"),
                )
            elif rep.get("sureness") == "unverified":
                ax.plot(
                    rep["value"],
                    y,
                    "D",
                    color="0.55",
                    mfc="white",
                    ms=6,
                    label=once("a paper's accuracy we could not verify (hollow)"),
                )
            else:
                ax.plot(
                    rep["value"],
                    y,
                    "D",
                    color="C3",
                    ms=6,
                    label=once("the paper's accuracy (its own dataset)"),
                )
            k = paper_classes(rep)
            if k:
                ax.plot(
                    [1 / k] * 2,
                    [y - 0.3, y + 0.3],
                    color="0.3",
                    lw=2,
                    label=once("the paper's chance level (1 / its classes)"),
                )
            ax.text(
                1.01,
                y,
                f"{k} classes" if k else "classes not known",
                va="center",
                fontsize=8,
                color="0.3",
                transform=ax.get_yaxis_transform(),
            )
        elif rep:
            metric = str(rep.get("metric", "")).split("(")[0].strip()
            ax.text(
                1.01,
                y,
                f"{metric} {rep['value']}",
                va="center",
                fontsize=8,
                color="C3",
                transform=ax.get_yaxis_transform(),
            )
        labels.append(f"{r.name} ({r.chapter[:2]})")
    ax.set_yticks(range(len(rows)), labels[::-1], fontsize=9)
    previous = None
    for i, r in enumerate(rows):
        if r.family != previous:
            y = len(rows) - 1 - i
            ax.axhline(y + 0.5, color="gray", lw=0.5)
            ax.text(
                0.005,
                y + 0.22,
                r.family,
                fontsize=9,
                color="0.35",
                style="italic",
                transform=ax.get_yaxis_transform(),
                zorder=5,
                bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.5},
            )
            previous = r.family
    if rows:
        ours = 1 / rows[0].n_classes
        ax.axvline(
            ours,
            color="C0",
            lw=0.8,
            ls="--",
            label=f"our chance level (1/{rows[0].n_classes}: {rows[0].n_classes} classes)",
        )
    ax.set_ylim(-0.6, len(rows) - 0.4)
    ax.set(
        xlim=(0, 1),
        xlabel="clip accuracy (share of the test clips)",
        title="reported vs reproduced, by family",
    )
    ax.legend(
        fontsize=8,
        loc="lower center",
        bbox_to_anchor=(0.5, 1.06),
        ncol=2,
        frameon=False,
    )
    return ax


# --- Conclusions: every comparison is a paired test on the records' clips ---------


def _systems(records, chapter):
    return (records.get(chapter) or {}).get("systems", {})


def _oriented(c: Mapping[str, Any], a: str, b: str) -> dict[str, Any]:
    """A stored comparison of ``a`` and ``b``, ``a`` first (swapped if stored b, a)."""
    c = dict(c)
    if c["a"] == a:
        return c
    swap = (
        ("a", "b"),
        ("a_only", "b_only"),
        ("accuracy_a", "accuracy_b"),
        ("mean_a", "mean_b"),
    )
    for x, y in swap:
        if x in c or y in c:
            c[x], c[y] = c.get(y), c.get(x)
    if c.get("mean_difference") is not None:
        c["mean_difference"] = -c["mean_difference"]
    return c


def stored_comparison(
    records: Mapping[str, Mapping[str, Any]], chapters: Sequence[str], a: str, b: str
) -> dict[str, Any] | None:
    """A comparison of ``a`` and ``b`` that one of ``chapters`` stored, if any.

    Notebook: ``10_results.ipynb``.
    """
    for chapter in chapters:
        for c in (records.get(chapter) or {}).get("comparisons") or []:
            if {c.get("a"), c.get("b")} == {a, b} and c.get("test") != "not compared":
                return _oriented(c, a, b)
    return None


def compare_systems(
    records: Mapping[str, Mapping[str, Any]],
    a: tuple[str, str],
    b: tuple[str, str],
) -> dict[str, Any] | None:
    """Compare two recorded systems, ``(chapter, name)`` each, by exact McNemar test.

    The clips are matched by id (:func:`mgr_utils.comparison.compare_results`), so two
    chapters' systems are compared only when they scored the same test clips. A network
    whose training accuracy stayed below twice chance is "not compared" (it did not
    learn), and so is one that the epoch cap stopped ("still learning at the cap: no
    verdict"; :func:`mgr_utils.comparison.no_verdict_reason`); so is a system whose
    record holds no per-clip predictions (an older record), unless one of the two
    chapters stored a comparison of the pair.

    Notebook: ``10_results.ipynb``.

    Returns:
        The comparison, or ``None`` when either system is not in the records.
    """
    ra, rb = _systems(records, a[0]).get(a[1]), _systems(records, b[0]).get(b[1])
    if ra is None or rb is None:
        return None
    n_classes = len(ra.get("genres") or rb.get("genres") or ()) or 10
    for name, r in ((a[1], ra), (b[1], rb)):
        why = no_verdict_reason(r, n_classes)
        if why is not None:
            return not_compared(a[1], b[1], f"{display_name(name)} {why}")
    has_clips = all(r.get("y_pred") and r.get("clip_ids") for r in (ra, rb))
    if not has_clips:
        stored = stored_comparison(records, (a[0], b[0]), a[1], b[1])
        if stored is not None:
            return stored
        if not (ra.get("y_pred") or rb.get("y_pred")):
            where = "their records"
        else:
            where = f"{display_name(a[1] if not ra.get('y_pred') else b[1])}'s record"
        return not_compared(a[1], b[1], f"no per-clip predictions in {where}")
    return compare_results(a[1], ra, b[1], rb, n_classes=n_classes)


def _chapter_label(chapter: str) -> str:
    return f"chapter {chapter[:2].lstrip('0')}"


def _cnns_vs_classical(records) -> list[str]:
    classical = {
        n: r
        for n, r in _systems(records, "03_texture_features").items()
        if r.get("valid_accuracy") is not None
    }
    if not classical:
        return []
    from mgr_utils.evaluation import select_on_validation

    name = select_on_validation({n: r["valid_accuracy"] for n, r in classical.items()})
    main = {"04_costa_cnn": "costa_cnn", "05_nakashika_glcm_cnn": "nakashika_glcm_cnn"}
    found = [(c, s, "") for c, s in main.items() if s in _systems(records, c)]
    zhang = _systems(records, "06_zhang_cnn")
    kept = [n for n, r in zhang.items() if r.get("chosen_variant")]
    if kept:
        found.append(("06_zhang_cnn", kept[0], ", kept on validation"))
    if not found:
        return []
    parts = []
    for chapter, system, note in found:
        c = compare_systems(records, (chapter, system), ("03_texture_features", name))
        parts.append(
            sentence(
                c,
                f"{display_name(system)} ({_chapter_label(chapter)}{note})",
                f"the classical {display_name(name)}",
            )
        )
    return [
        "**Spectrogram CNNs against the classical baseline** (chapters 3-6; the "
        "baseline chosen on validation; each pair on the test clips both scored): "
        + " ".join(map(capitalised, parts))
    ]


def _mean(v) -> float:
    """A value, or the mean of per-seed values."""
    if isinstance(v, Mapping):
        return float(v["mean"])
    if isinstance(v, (list, tuple)):
        return sum(map(float, v)) / len(v)
    return float(v)


def _scaling(scaling: Mapping[str, Any]) -> str:
    sizes = scaling["clips_per_genre"]
    curves = scaling["accuracy"]
    seeds = scaling.get("seeds")
    lines = []
    for front, curve in curves.items():
        points = (f"{_mean(v):.0%} at {n}" for n, v in zip(sizes, curve))
        lines.append(f"{front}: " + ", ".join(points))
    if isinstance(seeds, (list, tuple)):
        seeds = len(seeds)
    over = f", mean over {seeds} seeds" if seeds else ""
    text = (
        f"**With more training clips** (accuracy by training clips per "
        f"genre{over}; " + "; ".join(lines) + ")."
    )
    comparisons = scaling.get("comparisons")
    if comparisons:
        parts = []
        for i, c in enumerate(comparisons):
            size = c.get("clips_per_genre", c.get("size"))
            if size is None and len(comparisons) == len(sizes):
                size = sizes[i]
            head = f"At {size} clips per genre: " if size is not None else ""
            parts.append(head + sentence(c, "the raw front end", "the mel front end"))
        text += " " + " ".join(parts)
    else:
        text += " No paired test recorded for these sizes, so no verdict is drawn."
    return (
        text + " On tagging, the two versions of Pons et al. differ: the first found "
        "the spectrogram models ahead with a gap that shrank as the data grew "
        "{cite}`pons2017arxiv`, the ISMIR version waveform models ahead at a million "
        "tracks {cite}`pons2018`; this book's largest size is far from either."
    )


def _no_verdict_text(r: Mapping[str, Any]) -> str:
    """`` (did not learn in this build: ...)`` or `` (still learning at the cap: no
    verdict; ...)`` when the system gets no verdict, else ``""``."""
    n_classes = len(r.get("genres") or ()) or 10
    why = no_verdict_reason(r, n_classes)
    if why is None:
        return ""
    why = why.removeprefix("was ")
    if why.endswith(")"):  # no parentheses inside parentheses
        why = why[:-1].replace(" (", "; ", 1)
    return f" ({why})"


def _spectrogram_vs_raw(records) -> list[str]:
    chapter = "07_raw_audio"
    systems = _systems(records, chapter)
    family = {n: family_of(chapter, n, r) for n, r in systems.items()}
    mel = [n for n in systems if family[n] == "spectrogram CNN"]
    raw = [
        n
        for n, r in systems.items()
        if family[n] == "raw audio" and r.get("scored_on", "test clips") == "test clips"
    ]
    out = []
    if mel and raw:
        m = next((n for n in mel if "mel" in n), mel[0])
        parts = [
            sentence(compare_systems(records, (chapter, n), (chapter, m))) for n in raw
        ]
        out.append(
            "**Spectrograms or raw audio, at this book's scale** (chapter 7, "
            "the same back end, clips and split): "
            + " ".join(map(capitalised, parts))
            + " Dieleman and Schrauwen found the mel front end ahead on "
            "MagnaTagATune's tags {cite}`dieleman2014`."
        )
    scaling = ((records.get(chapter) or {}).get("extras") or {}).get("scaling")
    if scaling:
        out.append(_scaling(scaling))
    li = {n: r for n, r in systems.items() if family[n] == "MFCC input"}
    if li:
        parts = ", ".join(
            f"{r['accuracy']:.1%} on {r.get('scored_on', 'test clips')}"
            + _no_verdict_text(r)
            for r in li.values()
        )
        out.append(
            f"**Li et al.'s MFCC network** (its input is MFCCs, so it is "
            f"compared with neither front end): {parts}; the paper's held-out "
            "figure was below 30 % and its 84 % was on the training songs "
            "{cite}`li2010`."
        )
    return out


def _seed_label(record: Mapping[str, Any], c: Mapping[str, Any]) -> str:
    """How a chapter-8 comparison is named: its labelled clips.

    A ``label`` in the comparison is used as it is; else the labelled clips and
    fraction, from the comparison (``n_labelled_clips`` or ``labelled``,
    ``labelled_fraction`` or ``fraction``) or from system ``a``'s record.
    """
    if c.get("label") is not None:
        return str(c["label"])
    r = (record.get("systems") or {}).get(c["a"]) or {}
    n, fraction = None, None
    for source in (c, r):
        if n is None:
            n = source.get("n_labelled_clips", source.get("labelled"))
        if fraction is None:
            fraction = source.get("labelled_fraction", source.get("fraction"))
    if n is not None:
        share = f" ({fraction:.0%})" if fraction is not None else ""
        return f"{n} labelled clips{share}"
    return f"{fraction:.0%} of the labels" if fraction is not None else ""


def _start_label(system_id: str) -> str:
    """Chapter 8's arm as "the network pretrained with CD-1 RBMs" (the labelled share is
    said once, before the verdict), else the system's display name."""
    import re

    from mgr_utils.comparison import PRETRAINING_STARTS

    m = re.fullmatch(r"([a-z_]+?)_\d+pct_labels", str(system_id))
    if m and m.group(1) in PRETRAINING_STARTS:
        return f"the network {PRETRAINING_STARTS[m.group(1)]}"
    return display_name(system_id)


def _pretraining(records) -> list[str]:
    record = records.get("08_pretraining") or {}
    fr = (record.get("extras") or {}).get("fractions") or {}
    stored = list(record.get("comparisons") or []) + list(fr.get("comparisons") or [])
    seeded = [
        c
        for c in stored
        if c.get("test") in ("paired t-test across seeds", "not compared")
    ]
    unique = {json.dumps(c, sort_keys=True, default=str): c for c in seeded}
    head = "**Pretraining without labels** (chapter 8"
    if unique:
        parts = []
        for c in unique.values():
            label = _seed_label(record, c)
            names = (_start_label(c["a"]), _start_label(c["b"]))
            parts.append((f"With {label}: " if label else "") + sentence(c, *names))
        return [
            head + ", the same seeds paired, by labelled share of the training "
            "clips): "
            + " ".join(parts)
            + " The paper's gain is not verified {cite}`dieleman2011`."
        ]
    if not fr:
        return []
    labels = fr.get("labels") or [str(x) for x in fr["labelled"]]
    parts = [
        f"{label}: pretrained {_mean(fr['pretrained']['mean'][i]):.0%} vs random "
        f"{_mean(fr['random']['mean'][i]):.0%}"
        for i, label in enumerate(labels)
    ]
    return [
        head
        + f", mean test accuracy over {fr.get('seeds', '?')} seeds): "
        + "; ".join(parts)
        + ". No paired test recorded, so no verdict is drawn. "
        "The paper's gain is not verified {cite}`dieleman2011`."
    ]


def _invariance(records) -> list[str]:
    inv = ((records.get("09_auralisation") or {}).get("extras") or {}).get("invariance")
    if not inv:
        return []
    layers = inv["layers"]
    factors = [f for f in ("key", "chord", "instrument") if f in inv]
    if not factors:
        return []
    best = [max(factors, key=lambda f: _mean(inv[f][i])) for i in range(len(layers))]
    most = [f"layer {layer}: {b}" for layer, b in zip(layers, best)]
    key_least = sum(b == "key" for b in best)
    return [
        "**What the auralised layers keep** (chapter 9): the change whose "
        "deconvolved outputs stay most correlated (the one the layer cares least "
        "about) is, by depth, " + ", ".join(most) + ". A key change matters least "
        f"at {key_least} of {len(layers)} depths here; Choi et al. found it "
        "mattered least at every depth {cite}`choi2016explaining`."
    ]


def _transfer(records) -> list[str]:
    """Chapter 11's verdicts: the pre-trained embeddings against the systems trained here."""
    record = records.get("11_transfer_learning") or {}
    stored = [c for c in record.get("comparisons") or [] if c.get("test")]
    if not stored:
        return []
    parts = " ".join(sentence(c) for c in stored)  # "musicnn" stays lower case
    return [
        "**Transfer from the Million Song Dataset** (chapter 11, a network pre-trained "
        "for tagging, its embeddings into a linear SVM, on the same test clips): "
        + parts
        + " The network never heard these clips; it was trained on about 200,000 songs "
        "of the Million Song Dataset {cite}`pons2019musicnn`."
    ]


def conclusions(records: Mapping[str, Mapping[str, Any]]) -> str:
    """The chapter's conclusions, written from the records (Markdown, MyST citations).

    Every sentence that compares two systems is a paired test with its n and p
    (:func:`mgr_utils.comparison.sentence`): the exact McNemar test on the test clips
    both systems scored, or the paired t-test across seeds a chapter stored.

    Notebook: ``10_results.ipynb``.
    """
    paragraphs = (
        _cnns_vs_classical(records)
        + _spectrogram_vs_raw(records)
        + _pretraining(records)
        + _invariance(records)
        + _transfer(records)
    )
    if not paragraphs:
        return (
            "No chapter of this build has recorded the measurements these "
            "conclusions are drawn from."
        )
    dataset = sorted(
        {r["dataset"] for c in records.values() for r in c.get("systems", {}).values()}
    )
    return f"*Measured on {', '.join(dataset)}.*\n\n" + "\n\n".join(
        f"- {p}" for p in paragraphs
    )


# --- What the data can tell; which clips; how long --------------------------------


def _datasets(records) -> list[str]:
    return sorted(
        {
            r["dataset"]
            for c in records.values()
            for r in (c.get("systems") or {}).values()
            if r.get("dataset")
        }
    )


SYNTHETIC_CAVEAT = """```{admonition} What the synthetic set can and cannot tell
:class: caution
The synthetic genres are rule-based caricatures: a few drum patterns, bass lines and
chord voicings per genre, with random production. They make every chapter run in
minutes, render any clip again from its seed, render as much data as an experiment needs
(chapters 7 and 8), and synthesise the controlled signals of chapter 9. They cannot say
how a system does on real music: the caricatures are separable by global statistics
that real genres do not share so neatly, and they have no artists to leak. The test of
every claim here is the full run on GTZAN's fault-filtered split
(`make book-full DATA_DIR=...`), after which this page shows those numbers instead,
labelled as such.
```"""
"""The caveat chapter 10 shows when (some of) its numbers are synthetic."""

_SPLIT_WORDS = {
    "filtered": "the fault-filtered split of Kereliuk, Sturm and Larsen (no artist on "
    "two sides; on the whole of GTZAN 443 training, 197 validation and 290 "
    "test excerpts)",
    "stratified": "a stratified random split (the same share of each class on each "
    "side; an artist may be on two sides)",
}


_DATASET_NAMES = {
    "gtzan": "GTZAN",
    "synthetic": "the synthetic set",
    "folder": "a folder collection",
}


def _chapters_label(chapters: Sequence[str]) -> str:
    """``"chapter 4"`` or ``"chapters 3, 4, 7"``."""
    numbers = ", ".join(c[:2].lstrip("0") for c in chapters)
    return f"chapter{'s' if len(chapters) > 1 else ''} {numbers}"


def _per_genre(result: Mapping[str, Any]) -> str:
    """``"blues 29, classical 30, ..."``: a result's test clips per class.

    From GTZAN-style ids ``"<genre>.NNNNN"``; other ids (a folder collection's paths)
    from the result's labels and class names (``y_true``, ``genres``).
    """
    import re
    from collections import Counter

    clip_ids, y_true, genres = (
        result.get("clip_ids"),
        result.get("y_true"),
        result.get("genres"),
    )
    if not clip_ids:
        return ""
    if all(re.fullmatch(r"[^/]+\.\d{5}", str(c)) for c in clip_ids):
        counts = Counter(str(c).rsplit(".", 1)[0] for c in clip_ids)
        return ", ".join(f"{g} {k}" for g, k in sorted(counts.items()))
    if y_true is None or not genres:
        return ""
    counts = Counter(genres[int(y)] for y in y_true)
    return ", ".join(f"{g} {counts[g]}" for g in genres if counts[g])


def collection_note(records: Mapping[str, Mapping[str, Any]]) -> str:
    """Which collection the records measured, and its classes (Markdown).

    One line per collection (dataset, data folder and class list), from the systems'
    records: "**The collection.** a folder collection (`/data/mine`), 4 classes: Bossa
    Nova, Drum & Bass, Tango, k-pop."

    Notebook: ``10_results.ipynb``.
    """
    seen: dict[tuple, list[str]] = {}
    for chapter, record in records.items():
        for r in (record.get("systems") or {}).values():
            if not r.get("dataset"):
                continue
            key = (
                r["dataset"],
                (r.get("params") or {}).get("DATA_DIR"),
                tuple(r.get("genres") or ()),
            )
            if chapter not in seen.setdefault(key, []):
                seen[key].append(chapter)
    lines = []
    for (dataset, folder, classes), chapters in seen.items():
        name = _DATASET_NAMES.get(dataset, dataset)
        where = f" (`{folder}`)" if folder else ""
        listed = (
            f", {len(classes)} classes: {', '.join(classes)}"
            if classes
            else ", classes not recorded"
        )
        scope = f" ({_chapters_label(chapters)})" if len(seen) > 1 else ""
        lines.append(f"{name}{where}{listed}{scope}")
    if not lines:
        return ""
    head = "**The collection.** " if len(lines) == 1 else "**The collections.** "
    return head + capitalised("; ".join(lines)) + "."


def data_note(records: Mapping[str, Mapping[str, Any]]) -> str:
    """What the data behind this page can tell: the synthetic caveat, or which clips.

    On the synthetic set, :data:`SYNTHETIC_CAVEAT`. Then the collection and its classes
    (:func:`collection_note`). On real recordings (GTZAN, a folder collection), which
    clips (the folder and clips per class each chapter loaded) and which split, with the
    test clips each chapter scored.

    Notebook: ``10_results.ipynb``.
    """
    datasets = _datasets(records)
    if not datasets:
        return ""
    parts = [SYNTHETIC_CAVEAT] if "synthetic" in datasets else []
    parts.append(collection_note(records))
    real = [d for d in datasets if d != "synthetic"]
    if not real:
        return "\n\n".join(parts)
    seen: dict[tuple, list[str]] = {}
    for chapter, record in records.items():
        for r in (record.get("systems") or {}).values():
            held_out = r.get("scored_on", "test clips") == "test clips"
            if r.get("dataset") in real and held_out:
                params = r.get("params") or {}
                key = (
                    r["dataset"],
                    params.get("DATA_DIR"),
                    params.get("N_PER_GENRE"),
                    params.get("DURATION"),
                    r.get("split", "?"),
                    r["n_clips"],
                    _per_genre(r),
                )
                if chapter not in seen.setdefault(key, []):
                    seen[key].append(chapter)
    lines = []
    for (dataset, folder, _, duration, split, n, counts), chapters in sorted(
        seen.items(), key=lambda kv: kv[1]
    ):
        clips = f"the clips in `{folder}`" if folder else "the clips of its data folder"
        clips += f", {duration:g} s of each" if duration else ", each whole"
        names = _chapters_label(chapters)
        tested = f"{n} test clips" + (f" ({counts})" if counts else "")
        split_words = _SPLIT_WORDS.get(split, split + " split")
        name = _DATASET_NAMES.get(dataset, dataset)
        lines.append(f"- {names}: {name}, {clips}; {split_words}; {tested}.")
    title = "**What these numbers measured.** Real recordings"
    parts.append(
        title + ", so the conclusions speak of this music, within the limits "
        "of its clips and split:\n\n" + "\n".join(lines)
    )
    return "\n\n".join(parts)


def test_clips_note(
    records: Mapping[str, Mapping[str, Any]], chapters: Sequence[str] = SYSTEM_CHAPTERS
) -> str:
    """Which chapters' systems scored the same test clips, from the records' clip ids.

    Notebook: ``10_results.ipynb``.
    """
    groups: dict[tuple, list[str]] = {}
    unknown = []
    for chapter in chapters:
        record = records.get(chapter) or {}
        for r in (record.get("systems") or {}).values():
            if r.get("scored_on", "test clips") != "test clips":
                continue
            if not r.get("clip_ids"):
                if chapter not in unknown:
                    unknown.append(chapter)
                continue
            key = tuple(sorted(r["clip_ids"]))
            if chapter not in groups.setdefault(key, []):
                groups[key].append(chapter)
    sets = []
    for ids, chapters in groups.items():
        names = ", ".join(c[:2].lstrip("0") for c in chapters)
        word = "chapter" if len(chapters) == 1 else "chapters"
        sets.append(f"{word} {names} on {len(ids)} test clips")
    if len(sets) == 1:
        text = (
            f"All systems with per-clip records ({sets[0]}) scored the same test clips"
        )
    elif sets:
        text = (
            f"The systems scored {len(sets)} different sets of test clips: "
            + "; ".join(sets)
            + "; systems are compared only within a set"
        )
    else:
        text = ""
    if unknown:
        names = ", ".join(c[:2].lstrip("0") for c in unknown)
        plural = "s" if len(unknown) > 1 else ""
        tail = (
            f"the records of chapter{plural} {names} hold no clip ids, so whether "
            "their test clips are the same cannot be checked"
        )
        text = f"{text}; {tail}" if text else tail[0].upper() + tail[1:]
    return text + "." if text else ""


def _reader_name(system_id: str) -> str:
    """A system's display name; an id the registry does not know is shown as code."""
    try:
        return display_name(system_id)
    except ValueError:
        return f"`{system_id}`"


def validity_record(records: Mapping[str, Mapping[str, Any]]) -> dict | None:
    """Chapter 12's measurements from its record (its ``"validity"`` extra), or ``None``.

    Notebook: ``10_results.ipynb``.
    """
    record = records.get(VALIDITY_CHAPTER) or {}
    extras = record.get("extras") or {}
    if extras.get("validity"):
        return extras["validity"]
    if any(k in record for k in ("transformations", "horse", "adversarial")):
        return dict(record)
    return None


def robustness_markdown(
    records: Mapping[str, Mapping[str, Any]], snr: str = "30 dB"
) -> str:
    """Chapter 12's robustness table for this page, or why there is none (Markdown).

    Per system (display names): its largest accuracy change under a transformation no
    listener would call a change of genre, with the exact McNemar test of before against
    after; its horse range; the share of its test clips that an adversary flipped at
    ``snr`` (:func:`mgr_utils.validity.robustness_table`).

    Notebook: ``10_results.ipynb``.
    """
    from mgr_utils.validity import robustness_rows, robustness_table

    measured = validity_record(records)
    if measured is None:
        return (
            "Chapter 12 (`12_validity`) has no complete record in this build, so its "
            "robustness measurements are not shown. Run it with `python -m bookbuild "
            "build --only 12_validity`, then this page again."
        )
    rows = robustness_rows(measured, snr)
    if not rows:
        return "Chapter 12's record holds no robustness measurement."
    names = {r["system"]: _reader_name(r["system"]) for r in rows}
    n = (measured.get("transformations") or {}).get("n")
    clips = f" on {n} test clips" if n else ""
    return (
        robustness_table(measured, names=names, snr=snr)
        + f"\n\nFrom chapter 12's record{clips}. *Largest change*: the transformation "
        "that moved the system's accuracy most, in percentage points, with the exact "
        "McNemar test of before against after on the same clips. *Horse range*: the "
        "lowest and highest accuracy that choosing, clip by clip, among gentle "
        "filters fixed in advance reaches (it uses the test clips on purpose: it "
        f"measures the figure, not a system). *Flipped at {snr}*: test clips whose "
        "answer an adversarial perturbation at that signal-to-noise ratio changed, "
        "counted after resynthesis."
    )


def runs_markdown(records: Mapping[str, Mapping[str, Any]]) -> str:
    """How long each chapter took and its peak memory, as a Markdown table.

    Notebook: ``10_results.ipynb``.
    """
    lines = ["| chapter | time | peak memory | machine |", "|---|---|---|---|"]
    for chapter, title in CHAPTERS.items():
        run = (records.get(chapter) or {}).get("run")
        if run:
            memory = (run.get("peak_memory_mb") or {}).get("total")
            gb = f"{memory / 1024:.1f} GB" if memory is not None else "—"
            lines.append(
                f"| {title} | {run['seconds']:.0f} s | {gb} | "
                f"{run.get('machine', '—')} |"
            )
    return "\n".join(lines)


def scope_sentence(records: Mapping[str, Mapping[str, Any]]) -> str:
    """What the conclusions can claim, from the records' datasets (for the summary).

    Notebook: ``10_results.ipynb``.
    """
    datasets = _datasets(records)
    if not datasets:
        return "No chapter has recorded a result yet, so there is nothing to conclude."
    if datasets == ["synthetic"]:
        return (
            "On this book's small, synthetic data they are a demonstration of the "
            "method; the full run on GTZAN is the test."
        )
    real = ", ".join(d for d in datasets if d != "synthetic")
    mixed = (
        " Rows measured on the synthetic set are a demonstration only."
        if "synthetic" in datasets
        else ""
    )
    return (
        f"They were measured on {real}: they speak of those clips and that split "
        f"(listed above), and of no other collection.{mixed}"
    )
