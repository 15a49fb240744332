"""Chapter 10's view of the results records: one row per system, beside the paper's number.

Everything here reads the records the chapters wrote (:mod:`mgr_utils.results`) and trains nothing.
A row carries the paper's dataset, protocol, metric and number with how sure that number is, and
ours: dataset, split, the number of test clips, the accuracy with its 95 % Wilson interval, and what
the system's choices were made on.

Notebook: ``10_results.ipynb``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from mgr_utils.evaluation import wilson_interval

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
}
"""Every chapter that writes a results record, in reading order."""

SYSTEM_CHAPTERS = tuple(c for c in CHAPTERS if c >= "03")
"""The chapters whose systems the results table lists (1 and 2 only measure floors)."""

FAMILY_ORDER = ("classical", "spectrogram CNN", "raw audio", "pretraining", "auralisation net", "transfer")
"""How the figure groups systems, from the classical baseline to the auralisation network."""

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
_SYSTEM_ANCHORS = (("li", "papers-li"), ("sample", "papers-lee"), ("lee", "papers-lee"), ("dieleman", "papers-dieleman2014"))

SURENESS_WORDS = {"paper": "read in the paper", "code": "read in public code", "secondary": "secondary source",
                  "reproduction": "a reproduction's", "unverified": "not verified"}


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


def anchor_of(chapter: str, system: str) -> str:
    """The label of the appendix section that holds a system's paper.

    Notebook: ``10_results.ipynb``.
    """
    if chapter == "07_raw_audio":
        for prefix, anchor in _SYSTEM_ANCHORS:
            if system.startswith(prefix):
                return anchor
    return _ANCHORS.get(chapter, "papers")


def collect(records: Mapping[str, Mapping[str, Any]], chapters: Sequence[str] = SYSTEM_CHAPTERS) -> list[Row]:
    """One :class:`Row` per recorded system of ``chapters``, in chapter order.

    Notebook: ``10_results.ipynb``.
    """
    rows = []
    for chapter in chapters:
        for system, r in (records.get(chapter) or {}).get("systems", {}).items():
            low, high = wilson_interval(r["accuracy"], r["n_clips"])
            rows.append(Row(chapter, system, r.get("family", "baseline"), r["accuracy"], r["n_clips"], low, high,
                            r["dataset"], r.get("split", "?"), r.get("selected_on", "?"), r.get("choices") or {},
                            r.get("protocol", ""), r.get("reported"), anchor_of(chapter, system),
                            r.get("scored_on", "test clips")))
    return rows


def missing_chapters(records: Mapping[str, Any], chapters: Sequence[str] = SYSTEM_CHAPTERS) -> list[str]:
    """The chapters of ``chapters`` that left no results record (a partial build).

    Notebook: ``10_results.ipynb``.
    """
    return [c for c in chapters if not (records.get(c) or {}).get("systems")]


def missing_message(missing: Sequence[str]) -> str:
    """What to tell the reader when some chapters' records are absent, and how to produce them.

    Notebook: ``10_results.ipynb``.
    """
    if not missing:
        return ""
    names = ", ".join(f"{CHAPTERS.get(c, c)} (`{c}`)" for c in missing)
    only = " ".join(f"--only {c}" for c in missing)
    return (f"**Missing from this build:** {names}. Their systems are not in the table below. Run them with "
            f"`python -m bookbuild build {only}` (or `make book` for the whole book), then this page again; or "
            "run their notebooks yourself with the same `RESULTS_DIR`.")


def datasets_note(rows: Sequence[Row]) -> str:
    """Which dataset and split our numbers were measured on; a warning when they are mixed.

    Notebook: ``10_results.ipynb``.
    """
    kinds = sorted({(r.dataset, r.split) for r in rows})
    if not kinds:
        return "No system has been recorded yet."
    if len(kinds) == 1:
        dataset, split = kinds[0]
        return f"Every number of ours below was measured on **{dataset}**, {split} split."
    listed = "; ".join(f"{d}, {s} split" for d, s in kinds)
    return (f"**Our numbers come from different datasets or splits** ({listed}): each row says which, and "
            "numbers of different rows are not comparable.")


def _reported(r: Row) -> tuple[str, str]:
    """``(number with its metric and certainty, dataset)`` of the paper's side of a row."""
    rep = r.reported
    if not rep:
        return "—", "—"
    value = rep["value"]
    metric = str(rep.get("metric", "accuracy"))
    number = f"{value:.1%}" if metric.startswith("accuracy") and value <= 1 else f"{value}"
    sure = SURENESS_WORDS.get(rep.get("sureness"), rep.get("sureness", ""))
    return f"{number} {metric} ({sure}, {{ref}}`appendix <{r.anchor}>`)", rep["dataset"]


def table_markdown(rows: Sequence[Row]) -> str:
    """The table of every system's numbers: the paper's and ours, as Markdown (MyST roles for the links).

    Notebook: ``10_results.ipynb``.
    """
    lines = ["| system (chapter) | the paper's number | its dataset | ours: accuracy [95 % CI] | test clips | "
             "our dataset, split | choices made on |", "|---|---|---|---|---|---|---|"]
    for r in rows:
        number, dataset = _reported(r)
        held_out = r.scored_on == "test clips"
        accuracy = f"{r.accuracy:.1%} [{r.low:.0%}, {r.high:.0%}]" + ("" if held_out else f" **on {r.scored_on}**")
        lines.append(f"| `{r.system}` ({r.chapter[:2].lstrip('0')}) | {number} | {dataset} | {accuracy} | "
                     f"{r.n_clips if held_out else '—'} | {r.dataset}, {r.split} | {r.selected_on} |")
    return "\n".join(lines)


def protocols_markdown(rows: Sequence[Row]) -> str:
    """The protocols behind each row of :func:`table_markdown`: the paper's and ours, and our choices.

    Notebook: ``10_results.ipynb``.
    """
    lines = ["| system (chapter) | the paper's protocol | our protocol | our choices |", "|---|---|---|---|"]
    for r in rows:
        paper = r.reported["protocol"] if r.reported else "—"
        choices = "; ".join(f"{k}: {v}" for k, v in r.choices.items()) or "—"
        lines.append(f"| `{r.system}` ({r.chapter[:2].lstrip('0')}) | {paper} | {r.protocol} | {choices} |")
    return "\n".join(lines)


def plot_reported_vs_reproduced(rows: Sequence[Row], ax=None):
    """Reported vs reproduced, one line per system, grouped by family.

    Our accuracy is a dot with its 95 % Wilson interval; the paper's accuracy a diamond. A paper's
    number in another metric (ROC-AUC) is written beside the line instead, since it is not on the
    same scale. Families run top to bottom in :data:`FAMILY_ORDER`.

    Notebook: ``10_results.ipynb``.
    """
    import matplotlib.pyplot as plt

    order = {f: i for i, f in enumerate(FAMILY_ORDER)}
    rows = sorted([r for r in rows if r.family in order and r.scored_on == "test clips"],
                  key=lambda r: (order[r.family], r.chapter))
    if ax is None:
        _, ax = plt.subplots(figsize=(9, 0.32 * len(rows) + 1.4))
    labels, paper_labelled = [], False
    for i, r in enumerate(rows):
        y = len(rows) - 1 - i
        ax.errorbar(r.accuracy, y, xerr=[[r.accuracy - r.low], [r.high - r.accuracy]], fmt="o", color="C0",
                    ms=5, capsize=2, label="ours (95 % interval)" if i == 0 else None)
        rep = r.reported
        if rep and str(rep.get("metric", "accuracy")).startswith("accuracy") and rep["value"] <= 1:
            ax.plot(rep["value"], y, "D", color="C3", ms=6,
                    label=None if paper_labelled else "the paper's accuracy (its own dataset)")
            paper_labelled = True
        elif rep:
            metric = str(rep.get("metric", "")).split("(")[0].strip()
            ax.text(1.01, y, f"{metric} {rep['value']}", va="center", fontsize=7, color="C3",
                    transform=ax.get_yaxis_transform())
        labels.append(f"{r.system} ({r.chapter[:2]})")
    ax.set_yticks(range(len(rows)), labels[::-1], fontsize=7)
    previous = None
    for i, r in enumerate(rows):
        if r.family != previous:
            y = len(rows) - 1 - i
            ax.axhline(y + 0.5, color="gray", lw=0.5)
            ax.text(0.005, y + 0.25, r.family, fontsize=8, color="gray", transform=ax.get_yaxis_transform())
            previous = r.family
    ax.set(xlim=(0, 1), xlabel="clip accuracy", title="reported vs reproduced, by family")
    ax.legend(fontsize=7, loc="lower center", bbox_to_anchor=(0.5, 1.04), ncol=2, frameon=False)
    return ax


def _compare(a_name: str, a: float, b_name: str, b: float, n: int) -> str:
    """'A (x %) is ahead of / level with / behind B (y %)', level when fewer than 3 of n clips apart."""
    diff = round((a - b) * n)
    if abs(diff) < 3:
        return f"{a_name} ({a:.1%}) and {b_name} ({b:.1%}) are level ({abs(diff)} of {n} test clips apart)"
    word = "ahead of" if diff > 0 else "behind"
    return f"{a_name} ({a:.1%}) is {word} {b_name} ({b:.1%}) by {abs(diff)} of {n} test clips"


def _systems(records, chapter):
    return (records.get(chapter) or {}).get("systems", {})


def _cnns_vs_classical(records) -> list[str]:
    classical = {n: r for n, r in _systems(records, "03_texture_features").items() if r.get("valid_accuracy") is not None}
    if not classical:
        return []
    from mgr_utils.evaluation import select_on_validation

    name = select_on_validation({n: r["valid_accuracy"] for n, r in classical.items()})
    base = classical[name]
    main = {"04_costa_cnn": "costa_cnn", "05_nakashika_glcm_cnn": "nakashika_glcm_cnn"}
    found = []
    for chapter, system in main.items():
        if system in _systems(records, chapter):
            found.append((f"`{system}`", _systems(records, chapter)[system]))
    kept = [(n, r) for n, r in _systems(records, "06_zhang_cnn").items() if r.get("chosen_variant")]
    if kept:
        found.append((f"`{kept[0][0]}` (kept on validation)", kept[0][1]))
    if not found:
        return []
    parts = [_compare(label, r["accuracy"], f"the classical `{name}`", base["accuracy"], r["n_clips"]) for label, r in found]
    return ["**Spectrogram CNNs against the classical baseline** (chapters 3-6; the baseline chosen on "
            "validation): " + "; ".join(parts) + "."]


def _spectrogram_vs_raw(records) -> list[str]:
    systems = _systems(records, "07_raw_audio")
    mel = {n: r for n, r in systems.items() if r.get("family") == "spectrogram CNN"}
    raw = {n: r for n, r in systems.items() if r.get("family") == "raw audio" and not n.startswith("li")}
    out = []
    if mel and raw:
        m_name = next((n for n in mel if "mel" in n), next(iter(mel)))
        m = mel[m_name]
        parts = [_compare(f"`{n}`", r["accuracy"], f"`{m_name}`", m["accuracy"], r["n_clips"]) for n, r in raw.items()]
        out.append("**Spectrograms or raw audio, at this book's scale** (chapter 7, the same back end, clips, "
                   "split and epochs): " + "; ".join(parts) + ". Dieleman and Schrauwen found the mel front end "
                   "ahead on MagnaTagATune's tags {cite}`dieleman2014`.")
    scaling = ((records.get("07_raw_audio") or {}).get("extras") or {}).get("scaling")
    if scaling:
        sizes = scaling["clips_per_genre"]
        curves = scaling["accuracy"]
        n = scaling.get("n_test")
        lines = []
        for front, values in curves.items():
            lines.append(f"{front}: " + ", ".join(f"{v:.0%} at {s}" for s, v in zip(sizes, values)))
        trend = ""
        if n and "mel" in curves and "raw" in curves:
            first, last = (_compare("the raw front end", curves["raw"][i], "the mel front end", curves["mel"][i], n)
                           for i in (0, -1))
            trend = f" At {sizes[0]} clips per genre, {first}; at {sizes[-1]}, {last}."
        out.append("**With more training clips** (accuracy by training clips per genre; " + "; ".join(lines) + ")."
                   + trend + " Pons et al. found waveform models ahead only at a scale of 1.2 million tracks "
                   "{cite}`pons2018`; this book's largest size is far from that.")
    li = {n: r for n, r in systems.items() if n.startswith("li")}
    if li:
        parts = ", ".join(f"{r['accuracy']:.1%} on {r.get('scored_on', 'test clips')}" for n, r in li.items())
        out.append(f"**Li et al.'s MFCC network**: {parts}; the paper's held-out figure was below 30 % and its "
                   "84 % was on the training songs {cite}`li2010`.")
    return out


def _pretraining(records) -> list[str]:
    fr = ((records.get("08_pretraining") or {}).get("extras") or {}).get("fractions")
    if not fr:
        return []
    labels = fr.get("labels") or [str(x) for x in fr["labelled"]]
    parts = []
    for i, label in enumerate(labels):
        rnd, pre = fr["random"]["mean"][i], fr["pretrained"]["mean"][i]
        spread = max(fr["random"]["std"][i], fr["pretrained"]["std"][i])
        verdict = ("ahead" if pre - rnd > spread else "behind" if rnd - pre > spread else "within the spread")
        parts.append(f"{label}: pretrained {pre:.0%} vs random {rnd:.0%} ({verdict}, spread ±{spread:.0%})")
    return [f"**Pretraining without labels** (chapter 8, mean test accuracy over {fr.get('seeds', '?')} seeds by "
            "labelled share of the training clips): " + "; ".join(parts) + ". The paper's gain is not verified "
            "{cite}`dieleman2011`."]


def _invariance(records) -> list[str]:
    inv = ((records.get("09_auralisation") or {}).get("extras") or {}).get("invariance")
    if not inv:
        return []
    layers = inv["layers"]
    factors = [f for f in ("key", "chord", "instrument") if f in inv]
    most = []
    for i, layer in enumerate(layers):
        best = max(factors, key=lambda f: inv[f][i])
        most.append(f"layer {layer}: {best}")
    key_least = sum(max(factors, key=lambda f: inv[f][i]) == "key" for i in range(len(layers)))
    return ["**What the auralised layers keep** (chapter 9): the change whose deconvolved outputs stay most "
            "correlated (the one the layer cares least about) is, by depth, " + ", ".join(most)
            + f". A key change matters least at {key_least} of {len(layers)} depths here; Choi et al. found it "
            "mattered least at every depth {cite}`choi2016explaining`."]


def conclusions(records: Mapping[str, Mapping[str, Any]]) -> str:
    """The chapter's conclusions, written from the records (Markdown, MyST citations).

    Notebook: ``10_results.ipynb``.
    """
    paragraphs = _cnns_vs_classical(records) + _spectrogram_vs_raw(records) + _pretraining(records) + _invariance(records)
    if not paragraphs:
        return "No chapter of this build has recorded the measurements these conclusions are drawn from."
    dataset = sorted({r["dataset"] for c in records.values() for r in c.get("systems", {}).values()})
    return (f"*Measured on {', '.join(dataset)}.*\n\n" + "\n\n".join(f"- {p}" for p in paragraphs))
