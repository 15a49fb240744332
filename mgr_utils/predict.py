"""What genre is this song? The book's saved systems on any audio file.

:func:`predict_file` decodes a file (any format soundfile or librosa reads, any rate and
channel count: :func:`mgr_utils.audio.load_audio` mixes it to mono and resamples it to each
system's rate), runs the chosen saved systems (:mod:`mgr_utils.saving`; default: every one
saved) and returns plain data: for each system the classes ranked by probability, and its
timeline, one row per segment (start and end in seconds, the top class, its probability).
The console script does the same from a terminal::

    mgr-predict song.mp3 other.wav [--model ID]... [--models-dir DIR] [--dataset NAME] [--json]

The systems come from ``--models-dir``, else ``$MGR_MODELS_DIR``, else ``./models``; the
book's build saves them in ``_build/models`` (``make book``).

Notebook: ``12_validity.ipynb`` (and the page "Classify your own music").
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from mgr_utils import saving
from mgr_utils.audio import AudioLoadError, load_audio
from mgr_utils.saving import SavedSystem, SavedSystemError

TOP = 3
"""Classes listed per system."""


def load_systems(
    systems: Sequence[str | SavedSystem] | None = None,
    models_dir: str | Path | None = None,
    dataset: str | None = None,
) -> tuple[list[SavedSystem], list[dict[str, str]]]:
    """Load the systems to run: the ones named, or every saved one.

    With ``systems=None`` a system that cannot be used (its card missing, from another
    version, its files damaged) is skipped and reported, and the others run; a system named
    explicitly must load.

    Notebook: ``12_validity.ipynb``.

    Args:
        systems: Ids (``"system_id"`` or ``"dataset/system_id"``) or loaded systems;
            ``None``: every saved system (of ``dataset``, if given).
        models_dir: The models folder (``None``: :func:`mgr_utils.saving.default_models_dir`).
        dataset: Only the systems trained on this dataset.

    Returns:
        ``(systems, skipped)``, ``skipped`` as ``[{"system", "error"}]``.

    Raises:
        SavedSystemError: No saved system at all, none usable, or a named one that does
            not exist or cannot be used (the message says what to do).
    """
    if systems is not None:
        return [
            s
            if isinstance(s, SavedSystem)
            else saving.load_system(s, dataset, models_dir)
            for s in systems
        ], []
    listing = saving.list_systems(models_dir, dataset)
    if not listing.cards and not listing.orphans:
        others = saving.list_systems(models_dir).ids() if dataset else []
        if others:
            raise saving.UnknownSystemError(
                f"no saved system for the dataset {dataset!r} in {listing.folder}; "
                "saved systems: " + ", ".join(others)
            )
        raise saving.NoSavedSystemsError(
            saving.no_systems_message(listing.folder, dataset)
        )
    loaded, skipped = [], []
    for (d, s), card in sorted(listing.cards.items()):
        try:
            loaded.append(saving.load_system(str(card)))
        except SavedSystemError as err:
            skipped.append({"system": f"{d}/{s}", "error": str(err)})
    for d, s, path in listing.orphans:
        skipped.append({"system": f"{d}/{s}", "error": saving.orphan_message(path)})
    if not loaded:
        raise SavedSystemError(
            "none of the saved systems can be used:\n"
            + "\n".join(f"- {p['system']}: {p['error']}" for p in skipped)
        )
    return loaded, skipped


def system_answer(system: SavedSystem, y: np.ndarray, top: int = TOP) -> dict[str, Any]:
    """One system's answer for mono audio at its pipeline's rate, as plain data.

    Notebook: ``12_validity.ipynb``.

    Returns:
        ``{"system_id", "dataset", "chapter", "name", "classes", "scores", "rule",
        "level", "test_accuracy", "n_test", "top": [{"class", "probability"}],
        "probabilities": {class: p}, "timeline": [{"start", "end", "class",
        "probability"}], "segment_seconds", "hop_seconds", "window_seconds"}``, or the
        same identification with ``"error"`` when the audio is shorter than one input.
        ``"scores"`` says whether the numbers are probabilities or the softmax of a linear
        SVM's decision values (chapter 11's probe).
    """
    card, pipe = system.card, system.pipeline
    test = card.get("test") or {}
    out: dict[str, Any] = {
        "system_id": system.system_id,
        "dataset": system.dataset,
        "chapter": card.get("chapter"),
        "name": system.name,
        "classes": system.classes,
        "scores": card.get("scores", "probabilities"),
        "rule": system.rule,
        "level": pipe.level,
        "test_accuracy": test.get("accuracy"),
        "n_test": test.get("n_clips"),
        "segment_seconds": pipe.segment_seconds,
        "hop_seconds": pipe.hop_seconds,
        "window_seconds": pipe.window_seconds,
    }
    try:
        r = system.classify(y)
    except saving.TooShortError as err:
        return {**out, "error": f"too short for this system: {err}"}
    classes = system.classes
    order = np.argsort(-r["scores"], kind="stable")
    out["top"] = [
        {"class": classes[i], "probability": float(r["scores"][i])} for i in order[:top]
    ]
    out["probabilities"] = {c: float(p) for c, p in zip(classes, r["scores"])}
    out["timeline"] = [
        {
            "start": round(float(a), 3),
            "end": round(float(b), 3),
            "class": classes[int(np.argmax(p))],
            "probability": float(np.max(p)),
        }
        for a, b, p in zip(r["starts"], r["ends"], r["segment_scores"])
    ]
    return out


def predict_file(
    path: str | Path,
    systems: Sequence[str | SavedSystem] | None = None,
    models_dir: str | Path | None = None,
    dataset: str | None = None,
    top: int = TOP,
) -> dict[str, Any]:
    """Run saved systems on one audio file; plain data, ready for JSON.

    Notebook: ``12_validity.ipynb`` (and the page "Classify your own music").

    Args:
        path: Any audio file soundfile or librosa can decode.
        systems: Ids or loaded systems (:func:`load_systems`); ``None``: every saved one.
        models_dir: The models folder (``None``: ``$MGR_MODELS_DIR``, else ``models``).
        dataset: Only the systems trained on this dataset.
        top: Classes listed per system.

    Returns:
        ``{"file", "duration_seconds", "systems": [one :func:`system_answer` each],
        "skipped": [{"system", "error"}]}``.

    Raises:
        AudioLoadError: The file cannot be read (the message names it).
        SavedSystemError: No saved system, or a named one that cannot be used.
    """
    loaded, skipped = load_systems(systems, models_dir, dataset)
    audio: dict[int, np.ndarray] = {}
    answers = []
    for system in loaded:
        sr = system.pipeline.sample_rate
        if sr not in audio:
            audio[sr] = load_audio(path, sr=sr)
        answers.append(system_answer(system, audio[sr], top))
    sr, y = next(iter(audio.items()))
    return {
        "file": str(path),
        "duration_seconds": round(len(y) / sr, 3),
        "systems": answers,
        "skipped": skipped,
    }


# --------------------------------------------------------------------------------------------
# The console script
# --------------------------------------------------------------------------------------------


def _percent(p: float) -> str:
    return f"{100 * p:5.1f} %"


def format_answer(answer: dict[str, Any]) -> str:
    """One system's answer as text: its top classes, then its timeline.

    Notebook: ``12_validity.ipynb``.
    """
    head = f"  {answer['name']} ({answer['chapter']}, {answer['dataset']}/"
    head += f"{answer['system_id']}"
    if answer.get("test_accuracy") is not None:
        head += (
            f"; test accuracy {100 * answer['test_accuracy']:.1f} % on "
            f"{answer['n_test']} clips"
        )
    lines = [head + ")"]
    if "error" in answer:
        return "\n".join([*lines, f"    {answer['error']}"])
    kind = "probability" if answer["scores"] == "probabilities" else "score"
    width = max(len(c) for c in answer["classes"])
    for i, t in enumerate(answer["top"], start=1):
        lines.append(f"    {i}. {t['class']:<{width}}  {_percent(t['probability'])}")
    if answer["scores"] != "probabilities":
        lines.append(
            "    (scores: softmax of the linear SVM's decision values, not calibrated "
            "probabilities)"
        )
    n = len(answer["timeline"])
    if answer["level"] == "clip":
        how = (
            f"the system on each {answer['window_seconds']:g} s window; the answer "
            "above is the system on the whole file"
        )
    else:
        how = (
            f"{n} segments of {answer['segment_seconds']:.2f} s, "
            f"{answer['hop_seconds']:.2f} s apart; the {answer['rule']} rule gives "
            "the answer above"
        )
    lines.append(f"    timeline ({how}):")
    lines.append(f"      {'start':>7} {'end':>7}  {'class':<{width}}  {kind}")
    for t in answer["timeline"]:
        lines.append(
            f"      {t['start']:7.2f} {t['end']:7.2f}  {t['class']:<{width}}  "
            f"{t['probability']:.2f}"
        )
    return "\n".join(lines)


def format_result(result: dict[str, Any]) -> str:
    """A file's answers as text.

    Notebook: ``12_validity.ipynb``.
    """
    lines = [f"{result['file']} ({result['duration_seconds']:.1f} s)"]
    lines += [format_answer(a) for a in result["systems"]]
    return "\n".join(lines)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mgr-predict",
        description=(
            "What genre is this song? Runs the book's saved systems on audio files "
            "(any format soundfile or librosa reads) and prints, for each system, the "
            "top classes and the segment-by-segment timeline."
        ),
    )
    parser.add_argument("files", nargs="+", metavar="FILE", help="audio files")
    parser.add_argument(
        "--model",
        action="append",
        dest="models",
        metavar="ID",
        help="a saved system's id (SYSTEM or DATASET/SYSTEM; repeat for several; "
        "default: every saved system)",
    )
    parser.add_argument(
        "--models-dir",
        metavar="DIR",
        help=f"folder of the saved systems (default: ${saving.MODELS_DIR_ENV}, else "
        "./models; the book's build saves them in _build/models)",
    )
    parser.add_argument(
        "--dataset", metavar="NAME", help="only the systems trained on this dataset"
    )
    parser.add_argument(
        "--top",
        type=int,
        default=TOP,
        metavar="K",
        help=f"classes listed (default {TOP})",
    )
    parser.add_argument(
        "--json", action="store_true", help="print one JSON document for machines"
    )
    return parser


def _quiet_tensorflow() -> None:
    """Keep TensorFlow's start-up lines out of the output (it is imported only if needed)."""
    import os

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: ``mgr-predict FILE... [--model ID]... [--models-dir DIR] [--dataset NAME]
    [--json]``.

    Exit status 0 when every file was classified, 1 when a file could not be read (the
    others are still classified), 2 when no system can run (none saved, an unknown id, a
    card missing or from another version: the message says what to do).

    Notebook: ``12_validity.ipynb``.
    """
    args = _parser().parse_args(argv)
    _quiet_tensorflow()
    try:
        systems, skipped = load_systems(args.models, args.models_dir, args.dataset)
    except SavedSystemError as err:
        print(f"mgr-predict: {err}", file=sys.stderr)
        if args.json:
            print(json.dumps({"error": str(err)}))
        return 2
    for s in skipped:
        print(f"mgr-predict: skipped {s['system']}: {s['error']}", file=sys.stderr)
    results, errors = [], []
    for path in args.files:
        try:
            result = predict_file(path, systems, top=args.top)
        except AudioLoadError as err:
            errors.append({"file": str(path), "error": str(err)})
            print(f"mgr-predict: skipped {path}: {err}", file=sys.stderr)
            continue
        result["skipped"] = skipped
        results.append(result)
        if not args.json:
            print(format_result(result), flush=True)
    if args.json:
        print(json.dumps({"files": results, "errors": errors, "skipped": skipped}))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
