"""The page "Classify your own music": this build's saved systems on one audio file.

:func:`mgr_utils.predict.predict_file` returns plain data; this module turns it into what
the page shows: a table of the systems' answers (:func:`answers_table`), a sentence on how
far they agree (:func:`answers_sentence`), a note on what the systems learned from
(:func:`trained_on_note`) and the segment-by-segment timeline (:func:`plot_timelines`).
When no system is saved yet, :func:`no_systems_note` says which command builds them.

Notebook: ``classify_your_music.ipynb``.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from mgr_utils import predict, saving

TOP = predict.TOP
"""Classes listed per system."""


def clip_file(clip, folder: str | Path) -> Path:
    """The audio file of a dataset's clip, for :func:`mgr_utils.predict.predict_file`.

    A clip read from a file (GTZAN, a folder collection) is that file; a synthetic clip has
    none, so its samples are written to ``folder`` as a 32-bit float WAV (the very samples
    the chapters scored, at the clip's rate).

    Notebook: ``classify_your_music.ipynb``.

    Args:
        clip: A :class:`mgr_utils.datasets.Clip`.
        folder: Where a synthetic clip's WAV goes (created if missing).

    Returns:
        The file's path.
    """
    import soundfile as sf

    if clip.path is not None:
        return Path(clip.path)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / (re.sub(r"[^A-Za-z0-9_.-]+", "_", clip.clip_id) + ".wav")
    sf.write(path, clip.load(), clip.sr, subtype="FLOAT")
    return path


def build_command(dataset: str | None) -> tuple[str, str]:
    """The command that trains and saves every chapter's systems on ``dataset``, and the
    models folder it saves them in (both relative to the repository).

    Notebook: ``classify_your_music.ipynb``.
    """
    if dataset == "gtzan":
        return "make book-full DATA_DIR=/path/to/gtzan", "_build/gtzan/models"
    if dataset == "folder":
        return (
            "python -m bookbuild build --build-dir _build/mine -p DATASET=folder "
            "-p DATA_DIR=/path/to/my-music -p DURATION=None",
            "_build/mine/models",
        )
    return saving.BUILD_COMMAND, "_build/models"


def no_systems_note(
    models_dir: str | Path | None,
    dataset: str | None,
    error: Exception | None = None,
) -> str:
    """What the page says, in Markdown, when its models folder holds no usable system.

    It names the command that builds them (:func:`build_command`). ``error``: the
    :class:`mgr_utils.saving.SavedSystemError` that :func:`mgr_utils.predict.predict_file`
    raised; when systems exist but cannot be used (damaged, or saved by another version),
    its message, which says what to do, is shown instead.

    Notebook: ``classify_your_music.ipynb``.
    """
    command, folder = build_command(dataset)
    where = "`MODELS_DIR`" if models_dir is not None else f"`${saving.MODELS_DIR_ENV}`"
    whose = f" trained on `{dataset}`" if dataset else ""
    unusable = error is not None and not isinstance(
        error, (saving.NoSavedSystemsError, saving.UnknownSystemError)
    )
    if unusable:
        return (
            f"**The saved systems{whose} cannot be used.** {error}\n\n"
            f"To build them all again: `{command}`, or re-run their chapters."
        )
    return (
        f"**No saved system{whose} yet** in the models folder ({where}, else `models` "
        "beside this notebook). Each chapter that trains a system saves the one it "
        f"selected when it runs. Build them all with `{command}` (from the "
        f"repository's folder; they go to `{folder}`: then set `MODELS_DIR = \"../"
        f'{folder}"` here), or run a chapter that trains one with the same '
        "`DATASET`, then run this page again."
    )


def chapter_number(chapter: str | None) -> str:
    """``"04_costa_cnn"`` -> ``"4"``; a name without a number is returned as it is.

    Notebook: ``classify_your_music.ipynb``.
    """
    m = re.match(r"(\d+)_", chapter or "")
    return str(int(m.group(1))) if m else str(chapter or "")


def _cell(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    return str(text).replace("|", "\\|")


def _score(answer: dict[str, Any], t: dict[str, Any]) -> str:
    mark = "" if answer["scores"] == "probabilities" else "*"
    return f"{_cell(t['class'])} {100 * t['probability']:.0f} %{mark}"


def answers_table(result: dict[str, Any]) -> str:
    """The systems' answers as a Markdown table: one row per system, its top classes.

    Columns: the system (its readers' name), the chapter that trained it, its test accuracy
    (on how many test clips), then its first, second, ... class with its probability. A
    system the file is too short for says so; the systems that could not be loaded are
    listed under the table; a score that is not a calibrated probability (chapter 11's
    linear SVM) is starred and explained.

    Notebook: ``classify_your_music.ipynb``.
    """
    answers = sorted(
        result["systems"],
        key=lambda a: (chapter_number(a["chapter"]).zfill(3), a["name"]),
    )
    k = max((len(a.get("top", [])) for a in answers), default=0)
    ordinals = ["1st", "2nd", "3rd"] + [f"{i}th" for i in range(4, k + 1)]
    lines = [
        "| system | chapter | test accuracy | " + " | ".join(ordinals[:k]) + " |",
        "|---|---|---|" + "---|" * k,
    ]
    for a in answers:
        accuracy = (
            f"{100 * a['test_accuracy']:.1f} % ({a['n_test']} clips)"
            if a.get("test_accuracy") is not None
            else "not recorded"
        )
        head = f"| {_cell(a['name'])} | {chapter_number(a['chapter'])} | {accuracy} | "
        if "error" in a:
            cells = [_cell(a["error"])] + [""] * (k - 1)
        else:
            cells = [_score(a, t) for t in a["top"]]
            cells += [""] * (k - len(cells))
        lines.append(head + " | ".join(cells) + " |")
    notes = []
    if any(a["scores"] != "probabilities" for a in answers if "error" not in a):
        notes.append(
            "\\* the softmax of a linear SVM's decision values: a ranking, not a "
            "calibrated probability."
        )
    for s in result.get("skipped", []):
        notes.append(f"Not run: {_cell(s['system'])}: {s['error']}")
    return "\n".join(lines) + ("\n\n" + "\n\n".join(notes) if notes else "")


def _and(items: Sequence[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def answers_sentence(result: dict[str, Any], truth: str | None = None) -> str:
    """How far the systems agree on the file, in one or two sentences.

    "Of the 9 systems, 5 put **blues** first, 3 **jazz** and 1 **rock**." With ``truth``
    (a test clip's label): "The clip is labelled **blues**: 5 of the 9 put it
    first." One clip says nothing about which system is better: the chapters' test
    accuracies do.

    Notebook: ``classify_your_music.ipynb``.

    Args:
        result: :func:`mgr_utils.predict.predict_file`'s result.
        truth: The file's class, when it is known.
    """
    answered = [a for a in result["systems"] if "top" in a]
    if not answered:
        return "No system could classify this file (see the table)."
    firsts = Counter(a["top"][0]["class"] for a in answered)
    ranked = sorted(firsts.items(), key=lambda kv: (-kv[1], kv[0]))
    n = len(answered)
    if n == 1:
        a = answered[0]
        text = (
            f"The one system puts **{a['top'][0]['class']}** first "
            f"({100 * a['top'][0]['probability']:.0f} %)."
        )
    elif len(ranked) == 1:
        text = f"All {n} systems put **{ranked[0][0]}** first."
    else:
        (c0, k0), rest = ranked[0], ranked[1:]
        others = _and([f"{k} **{c}**" for c, k in rest])
        text = f"Of the {n} systems, {k0} put **{c0}** first, {others}."
    if truth is not None:
        right = firsts.get(truth, 0)
        if not any(truth in a["classes"] for a in answered):
            text += f" The file is labelled **{truth}**, a class no system learned."
        elif n == 1:
            verdict = "puts it first" if right else "does not put it first"
            text += f" The clip is labelled **{truth}**: the system {verdict}."
        else:
            text += (
                f" The clip is labelled **{truth}**: {right} of the {n} put it first."
            )
    return text


def trained_on_note(result: dict[str, Any]) -> str:
    """What the systems learned from, when it limits what their answers mean; else ``""``.

    Systems trained on the synthetic set learned its rendered genres, not recordings: on a
    real song their answers say little. On any other dataset the note names it and its
    classes.

    Notebook: ``classify_your_music.ipynb``.
    """
    answered = [a for a in result["systems"] if "classes" in a]
    if not answered:
        return ""
    datasets = sorted({a["dataset"] for a in answered})
    classes = list(dict.fromkeys(c for a in answered for c in a["classes"]))
    if "synthetic" in datasets:
        n = len(next(a["classes"] for a in answered if a["dataset"] == "synthetic"))
        return (
            f"These systems learned the book's synthetic set: {n} genres rendered by its "
            "generator, not recordings. On a real song their answers say little; build "
            'the book on GTZAN or on a collection of your own (`DATASET = "folder"`) '
            "for systems that have heard music."
        )
    which = " and ".join(f"`{d}`" for d in datasets)
    return (
        f"These systems learned the dataset {which}; they know only its "
        f"{len(classes)} classes ({', '.join(classes)}), so any file gets one of them."
    )


def _span_ends(starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Where each segment's bar ends: its own end, or the next segment's start if sooner
    (overlapping segments are drawn side by side, each until the next one begins)."""
    nxt = np.append(starts[1:], np.inf)
    return np.where(nxt > starts, np.minimum(ends, nxt), ends)


def plot_timelines(result: dict[str, Any], ax=None, title: str | None = None):
    """Each system's answer along the file: one row per system, one bar per segment.

    A bar spans its segment (overlapping segments until the next one starts; a system
    whose segments leave gaps leaves them blank), its colour is the segment's top class
    (legend) and its height that class's probability (a full row is 1). Time in seconds
    on the x axis; the first system (in chapter order) on top.

    Notebook: ``classify_your_music.ipynb``.

    Args:
        result: :func:`mgr_utils.predict.predict_file`'s result.
        ax: Axes to draw on (``None``: a new figure sized to the number of systems).
        title: The axes' title (default: the file's name).

    Returns:
        The axes.
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    answers = sorted(
        [a for a in result["systems"] if a.get("timeline")],
        key=lambda a: (chapter_number(a["chapter"]).zfill(3), a["name"]),
    )
    classes = list(dict.fromkeys(c for a in answers for c in a["classes"]))
    cmap = plt.get_cmap("tab10" if len(classes) <= 10 else "tab20")
    colour = {c: cmap(i % cmap.N) for i, c in enumerate(classes)}
    if ax is None:
        _, ax = plt.subplots(figsize=(9, 1.2 + 0.45 * max(len(answers), 1)))
    n = len(answers)
    for row, a in enumerate(answers):
        y = (
            n - 1 - row
        )  # the first system on top; each bar grows up from its row's base
        t = a["timeline"]
        starts = np.array([s["start"] for s in t], dtype=float)
        ends = _span_ends(starts, np.array([s["end"] for s in t], dtype=float))
        for s, x0, x1 in zip(t, starts, ends):
            ax.bar(
                x0,
                0.8 * s["probability"],
                width=x1 - x0,
                bottom=y - 0.4,
                align="edge",
                color=colour[s["class"]],
                edgecolor="white",
                linewidth=0.5,
            )
    ax.set_yticks(range(n), [a["name"] for a in answers][::-1])
    ax.set_ylim(-0.5, n - 0.5)
    ax.set_xlim(0, max(float(result.get("duration_seconds") or 0), 1e-3))
    ax.set_xlabel("time (s)")
    ax.set_ylabel("system (bar height: probability)")
    ax.set_title(Path(result["file"]).name if title is None else title)
    ax.legend(
        handles=[Patch(color=colour[c], label=c) for c in classes],
        title="top class",
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        fontsize=8,
        title_fontsize=8,
        frameon=False,
    )
    return ax
