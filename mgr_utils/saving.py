"""Saved systems: a trained classifier, the path from audio to its input, and a JSON card.

A chapter that trains a system saves the one it selected (on the validation clips) with
:func:`save_system`; :func:`load_system` rebuilds the whole path from an audio file to class
probabilities, which :mod:`mgr_utils.predict` (and the console script ``mgr-predict``) runs
on any song. One system is three or four files in ``<models_dir>/<DATASET>/``::

    <system_id>.keras    a Keras network, in Keras 3's own format (custom layers registered)
    <system_id>.joblib   or a scikit-learn system (chapter 3's SVMs, chapter 11's probe)
    <system_id>.npz      the standardiser's statistics (mean and std), when there is one
    <system_id>.json     the card

``models_dir`` is the explicit argument, else ``$MGR_MODELS_DIR`` (the book build sets it to
``<build>/models``), else ``models`` in the working folder.

**The card** says everything needed to use the model on new audio, and what it scored::

    {"format_version": 1, "mgr_utils_version": "0.1.0", "features_version": "2",
     "chapter": "04_costa_cnn", "system_id": "costa_cnn", "display_name": null,
     "kind": "keras",
     "files": {"model": {"name": "costa_cnn.keras", "sha256": "..."},
               "statistics": {"name": "costa_cnn.npz", "sha256": "..."}},
     "classes": ["blues", ...],                    # label i is classes[i]
     "pipeline": {"sample_rate": 22050, "mono": true,
                  "feature": "mgr_utils.features.inputs.costa_patches",
                  "params": {}, "key": null,        # key: the entry of a dict-returning feature
                  "level": "segment",               # or "clip": one input per clip
                  "segment_seconds": 1.2, "hop_seconds": 1.2,
                  "window_seconds": null,           # clip level: the timeline's windows
                  "standardized": true, "feature_axes": [0],
                  "input_shape": [256, 16, 1]},
     "clip_rule": "sum",                           # segments -> clip (null at clip level)
     "scores": "probabilities",                    # or "softmax of decision values"
     "dataset": "synthetic", "split": "stratified",
     "test": {"accuracy": 0.727, "n_clips": 150, "valid_accuracy": 0.775},
     "saved_with": {"python": "3.11.9", "keras": "3.15.1", ...}}

The path from a file: decode it (:func:`mgr_utils.audio.load_audio`: any format, mixed to
mono, resampled to ``sample_rate``), run the feature function with its parameters (the
validation and test side's, as the selected system was scored), take ``key``, standardise
with the training side's statistics, run the model on every segment, and pool the segments
with ``clip_rule`` (:func:`mgr_utils.evaluation.aggregate_segments`). A clip-level system
(one feature vector per clip: the descriptor SVM, the LBP-zone SVMs, the musicnn probe) reads
the whole file at once; its timeline runs it on consecutive windows of ``window_seconds``.

**Writes are atomic and checked.** Every file is written to a temporary name beside its final
one and renamed into place (:mod:`mgr_utils.atomic`); the card, which holds the SHA-256 of
each of the other files, is renamed into place first, then the statistics and the model.
An interrupted save therefore never leaves a model without its card, nor a card with a
half-written model: at worst a card whose model is missing or still the previous one, which
:func:`load_system` detects by the checksums and reports as an unfinished save.

**Only load systems you trust.** A ``.joblib`` file is a pickle, and unpickling runs code;
``.keras`` files are loaded in Keras's safe mode. The feature function named in a card must be
a function of :mod:`mgr_utils.features`.

Notebook: ``03_texture_features.ipynb`` (the first chapter that saves its systems; every chapter
that trains one does the same; ``mgr-predict`` and the page "Classify your own music" read them).
"""

from __future__ import annotations

import hashlib
import importlib
import inspect
import json
import logging
import os
import platform
import re
import secrets
import sys
import weakref
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from mgr_utils import SR, __version__
from mgr_utils.atomic import atomic_write, write_json_atomic

FORMAT_VERSION = 1
"""Version of the card's format; bumped when a card's meaning changes."""

MODELS_DIR_ENV = "MGR_MODELS_DIR"
"""Environment variable naming the models folder (the book build sets ``<build>/models``)."""

MODEL_SUFFIXES = {"keras": ".keras", "sklearn": ".joblib"}
"""The model file's suffix for each kind of system."""

CARD_SUFFIX = ".json"
STATS_SUFFIX = ".npz"

FEATURE_PACKAGE = "mgr_utils.features"
"""A card's feature function must live in this package (nothing else is imported from a card)."""

SEGMENT_RULES = ("vote", "sum", "product", "max", "min")
"""The segment-to-clip rules a card may name (:func:`mgr_utils.evaluation.aggregate_segments`)."""

CLIP_WINDOW_SECONDS = 10.0
"""Default window of a clip-level system's timeline (ours: the fast build's clip length)."""

BUILD_COMMAND = "make book"
"""The command that trains and saves every chapter's systems (into ``_build/models``)."""

READ_LOG: list[Path] = []
"""Cards (and dataset folders listed) read in this process; the book build's reuse key reads it,
so that a chapter re-executes when a saved system it used changed."""

WRITE_LOG: list[Path] = []
"""Cards written in this process."""

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.+-]*")


# --------------------------------------------------------------------------------------------
# Errors: each says what happened and what to do
# --------------------------------------------------------------------------------------------


class SavedSystemError(RuntimeError):
    """A saved system cannot be used; the message says why and what to do."""


class NoSavedSystemsError(SavedSystemError):
    """The models folder holds no saved system."""


class UnknownSystemError(SavedSystemError):
    """No saved system has the requested id (the message lists the ones that exist)."""


class CardMissingError(SavedSystemError):
    """A model file has no card beside it."""


class VersionMismatchError(SavedSystemError):
    """A card from another card format, ``mgr_utils`` version or feature version."""


class DamagedSystemError(SavedSystemError):
    """A card whose files are missing, or differ from the ones it was saved with."""


class TooShortError(ValueError):
    """The audio is shorter than one of the system's inputs."""


# --------------------------------------------------------------------------------------------
# Where systems live
# --------------------------------------------------------------------------------------------


def default_models_dir() -> Path:
    """``$MGR_MODELS_DIR`` if set (the book build sets it), else ``models`` in the working folder.

    Notebook: ``03_texture_features.ipynb``.
    """
    return Path(os.environ.get(MODELS_DIR_ENV) or "models")


def resolve_models_dir(models_dir: str | Path | None = None) -> Path:
    """``models_dir`` if given, else :func:`default_models_dir`.

    Notebook: ``03_texture_features.ipynb``.
    """
    return Path(models_dir) if models_dir is not None else default_models_dir()


def _check_name(what: str, value: str) -> str:
    if not isinstance(value, str) or not _NAME.fullmatch(value):
        raise ValueError(
            f"{what} must be a file name of letters, digits, '_', '.', '+' or '-' "
            f"(not starting with '.' or '-'), got {value!r}"
        )
    return value


def system_paths(
    system_id: str, dataset: str, models_dir: str | Path | None = None
) -> dict[str, Path]:
    """The files of one system: ``{"card", "keras", "sklearn", "statistics"}``.

    Notebook: ``03_texture_features.ipynb``.
    """
    folder = resolve_models_dir(models_dir) / _check_name("dataset", dataset)
    system_id = _check_name("system_id", system_id)
    return {
        "card": folder / (system_id + CARD_SUFFIX),
        "keras": folder / (system_id + MODEL_SUFFIXES["keras"]),
        "sklearn": folder / (system_id + MODEL_SUFFIXES["sklearn"]),
        "statistics": folder / (system_id + STATS_SUFFIX),
    }


# --------------------------------------------------------------------------------------------
# The input pipeline: from audio to the model's input
# --------------------------------------------------------------------------------------------


def _plain(value: Any, where: str = "params") -> Any:
    """``value`` as plain JSON data (tuples become lists, NumPy scalars numbers)."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value)
    if isinstance(value, (list, tuple, np.ndarray)):
        return [_plain(v, where) for v in list(value)]
    if isinstance(value, Mapping):
        return {str(k): _plain(v, f"{where}[{k!r}]") for k, v in value.items()}
    raise ValueError(
        f"{where}: {value!r} ({type(value).__name__}) cannot be written to a card; "
        "use numbers, strings, booleans, None, lists and dicts"
    )


def _dotted(fn: Callable | str) -> str:
    """The dotted path of a feature function of :mod:`mgr_utils.features`, checked."""
    name = fn if isinstance(fn, str) else f"{fn.__module__}.{fn.__qualname__}"
    if not (name.startswith(FEATURE_PACKAGE + ".") or name == FEATURE_PACKAGE):
        raise ValueError(
            f"the feature function must be one of {FEATURE_PACKAGE} (a card names it "
            f"and nothing else is imported from a card), got {name}"
        )
    if resolve_feature(name) is None:
        raise ValueError(f"{name} is not a function")
    return name


def resolve_feature(name: str) -> Callable:
    """The function a card names, e.g. ``"mgr_utils.features.inputs.costa_patches"``.

    Notebook: ``03_texture_features.ipynb``.

    Raises:
        ValueError: A name outside :mod:`mgr_utils.features`, or one that does not exist in
            this version of the package.
    """
    if not name.startswith(FEATURE_PACKAGE + "."):
        raise ValueError(
            f"a card may only name a function of {FEATURE_PACKAGE}, got {name!r}"
        )
    module, _, attr = name.rpartition(".")
    try:
        fn = getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError) as err:
        raise ValueError(
            f"the feature function {name} does not exist in this mgr_utils ({err})"
        ) from None
    return fn if callable(fn) else None


def _bound(fn: Callable, sr: int, params: Mapping[str, Any]) -> dict[str, Any]:
    """Every argument ``fn(y, sr, **params)`` runs with, its defaults included."""
    sig = inspect.signature(fn)
    try:
        bound = sig.bind(None, sr, **params)
    except TypeError as err:
        raise ValueError(f"parameters {dict(params)} do not fit {fn.__name__}: {err}")
    bound.apply_defaults()
    return dict(bound.arguments)


def _frames_geometry(frames, hop, hop_length, sr):
    return frames * hop_length / sr, hop * hop_length / sr


def _geometry_costa(p):
    column = p["hop_length"] / p["scale"]  # samples per column after the downscale
    return p["width"] * column / p["sr"], p["hop"] * column / p["sr"]


def _geometry_stft_segments(p):
    seg = max(1, round(p["seconds"] * p["sr"] / p["hop_length"]))
    step = max(1, round(seg * (1.0 - p["overlap"])))
    return _frames_geometry(seg, step, p["hop_length"], p["sr"])


def _geometry_glcm(seconds, overlap, frame_seconds, sr):
    frame = round(frame_seconds * sr)
    seg = max(1, round(seconds / frame_seconds))
    step = max(1, round(seg * (1.0 - overlap)))
    return _frames_geometry(seg, step, frame, sr)


def _geometry_texture(p, key):
    if key != "glcm":
        return None  # the log-mel image and the LBP histograms describe the whole clip
    return _geometry_glcm(
        p["glcm_seconds"], p["glcm_overlap"], p["glcm_frame_seconds"], p["sr"]
    )


def _geometry_samples(p):
    hop = p["hop"] if p.get("hop") is not None else p["n_samples"]
    return p["n_samples"] / p["sr"], hop / p["sr"]


def _geometry_choi(p):
    hop = p["hop_seconds"] if p["hop_seconds"] is not None else p["seconds"]
    return float(p["seconds"]), float(hop)


def _geometry_musicnn(p):
    from mgr_utils.features.musicnn_input import (
        MUSICNN_FRAMES,
        MUSICNN_HOP_LENGTH,
        MUSICNN_SR,
    )

    hop = p["hop"] or MUSICNN_FRAMES
    return _frames_geometry(MUSICNN_FRAMES, hop, MUSICNN_HOP_LENGTH, MUSICNN_SR)


_CLIP_LEVEL = object()

_GEOMETRY: dict[str, Callable] = {
    "mgr_utils.features.inputs.costa_patches": lambda p, k: _geometry_costa(p),
    "mgr_utils.features.inputs.costa_mel_patches": lambda p, k: _frames_geometry(
        p["width"], p["hop"], p["hop_length"], p["sr"]
    ),
    "mgr_utils.features.inputs.stft_segments": lambda p, k: _geometry_stft_segments(p),
    "mgr_utils.features.texture.texture_features": _geometry_texture,
    "mgr_utils.features.texture.glcm_maps_per_segment": lambda p, k: _geometry_glcm(
        p["seconds"], p["overlap"], p["frame_seconds"], p["sr"]
    ),
    "mgr_utils.features.raw_audio.li_mfcc_excerpts": lambda p, k: _frames_geometry(
        p["frames"], p["hop"], p["hop_length"], p["sr"]
    ),
    "mgr_utils.features.raw_audio.waveform_segments": lambda p, k: _geometry_samples(p),
    "mgr_utils.features.raw_audio.mel_frames": lambda p, k: _geometry_samples(p),
    "mgr_utils.features.echonest.echonest_windows": lambda p, k: _frames_geometry(
        p["frames"], p["hop"], p["hop_length"], p["sr"]
    ),
    "mgr_utils.features.linear_stft.choi_stft_excerpts": lambda p, k: _geometry_choi(p),
    "mgr_utils.features.musicnn_input.musicnn_input": lambda p, k: _geometry_musicnn(p),
    "mgr_utils.features.descriptors.descriptors": lambda p, k: None,
    "mgr_utils.features.musicnn_input.musicnn_embedding": lambda p, k: None,
}
"""Feature function -> ``(segment seconds, hop seconds)`` of its segments, or ``None`` for a
function that describes a whole clip."""


def segment_geometry(
    fn: Callable | str,
    params: Mapping[str, Any] | None = None,
    sr: int = SR,
    key: str | None = None,
) -> tuple[float, float] | None:
    """Length and hop, in seconds, of the segments a feature function cuts a clip into.

    ``None`` for a function that describes a whole clip (one input per clip). Segment ``k``
    starts at ``k`` hops: the times of a prediction's timeline (to within one STFT frame, and
    one spectrogram column for Costa's downscaled image).

    Notebook: ``03_texture_features.ipynb``.

    Raises:
        ValueError: A function whose segments this module does not know (pass
            ``segment_seconds`` and ``hop_seconds`` to :func:`pipeline`).
    """
    name = _dotted(fn)
    if name not in _GEOMETRY:
        raise ValueError(
            f"the segments of {name} are not known here: pass segment_seconds and "
            "hop_seconds (or level='clip') to saving.pipeline"
        )
    p = _bound(resolve_feature(name), sr, params or {})
    return _GEOMETRY[name](p, key)


def _as_standardizer(scaler):
    """A :class:`~mgr_utils.training.Standardizer`, from one, from a number (divide by it), or None."""
    from mgr_utils.training import Standardizer

    if scaler is None or isinstance(scaler, Standardizer):
        if scaler is not None and scaler.mean_ is None:
            raise ValueError("the standardiser has not been fitted")
        return scaler
    if isinstance(scaler, (int, float, np.floating, np.integer)):
        if not float(scaler) > 0:
            raise ValueError(f"a scale must be positive, got {scaler}")
        s = Standardizer(None)
        s.mean_ = np.zeros((), np.float32)
        s.std_ = np.asarray(scaler, np.float32)
        return s
    raise ValueError(
        f"scaler must be a fitted Standardizer, a positive number or None, got {scaler!r}"
    )


@dataclass
class Pipeline:
    """From a clip's audio to a model's input: feature function, parameters, standardisation.

    Make one with :func:`pipeline`; a card stores it (:meth:`to_card`, :meth:`from_card`).

    Attributes:
        feature: Dotted path of the per-clip function ``fn(y, sr, **params)`` in
            :mod:`mgr_utils.features`.
        params: Its keyword parameters (those of the validation and test clips).
        sample_rate: The rate the audio is resampled to before ``fn``.
        key: The entry of a dict-returning ``fn`` (``None``: ``fn`` returns the array).
        level: ``"segment"`` (``fn`` returns ``(n_segments, ...)``) or ``"clip"`` (one input
            per clip).
        segment_seconds, hop_seconds: The segments' length and hop (segment level).
        window_seconds: The timeline's window (clip level).
        standardizer: The training side's :class:`~mgr_utils.training.Standardizer`, or
            ``None``.

    Notebook: ``03_texture_features.ipynb``.
    """

    feature: str
    params: dict[str, Any] = field(default_factory=dict)
    sample_rate: int = SR
    key: str | None = None
    level: str = "segment"
    segment_seconds: float | None = None
    hop_seconds: float | None = None
    window_seconds: float | None = None
    standardizer: Any = None

    def function(self) -> Callable:
        """The feature function."""
        return resolve_feature(self.feature)

    def features(self, y: np.ndarray) -> np.ndarray:
        """The model's input for mono audio ``y`` at :attr:`sample_rate`: ``(n_inputs, ...)``.

        Raises:
            TooShortError: ``y`` gives no segment (shorter than one).
        """
        try:
            out = self.function()(y, self.sample_rate, **self.params)
        except ValueError as err:
            if "shorter than" in str(err):
                raise TooShortError(str(err)) from None
            raise
        if self.key is not None:
            out = out[self.key]
        X = np.asarray(out)
        if X.dtype.kind != "f":
            X = X.astype(np.float32)
        if self.level == "clip":
            X = X[None]
        if len(X) == 0:
            need = (
                f" (one segment is {self.segment_seconds:.2f} s)"
                if self.segment_seconds
                else ""
            )
            raise TooShortError(
                f"{len(y) / self.sample_rate:.2f} s of audio gives no input{need}"
            )
        if self.standardizer is not None:
            X = self.standardizer.transform(X)
        return X

    def to_card(self) -> dict[str, Any]:
        """The card's ``"pipeline"`` entry (the statistics go to their own file)."""
        s = self.standardizer
        return {
            "sample_rate": int(self.sample_rate),
            "mono": True,
            "feature": self.feature,
            "params": _plain(self.params),
            "key": self.key,
            "level": self.level,
            "segment_seconds": self.segment_seconds,
            "hop_seconds": self.hop_seconds,
            "window_seconds": self.window_seconds,
            "standardized": s is not None,
            "feature_axes": None
            if s is None or s.feature_axes is None
            else list(s.feature_axes),
        }

    @classmethod
    def from_card(
        cls, entry: Mapping[str, Any], statistics: Mapping[str, np.ndarray] | None
    ) -> Pipeline:
        """The pipeline a card describes, with the statistics read from its ``.npz``."""
        from mgr_utils.training import Standardizer

        scaler = None
        if entry.get("standardized"):
            if statistics is None:
                raise DamagedSystemError(
                    "the card says the inputs are standardised but names no statistics"
                )
            axes = entry.get("feature_axes")
            scaler = Standardizer(None if axes is None else tuple(axes))
            scaler.mean_ = np.asarray(statistics["mean"], np.float32)
            scaler.std_ = np.asarray(statistics["std"], np.float32)
        return cls(
            feature=entry["feature"],
            params=dict(entry.get("params") or {}),
            sample_rate=int(entry["sample_rate"]),
            key=entry.get("key"),
            level=entry.get("level", "segment"),
            segment_seconds=entry.get("segment_seconds"),
            hop_seconds=entry.get("hop_seconds"),
            window_seconds=entry.get("window_seconds"),
            standardizer=scaler,
        )


def pipeline(
    fn: Callable | str,
    params: Mapping[str, Any] | None = None,
    *,
    scaler=None,
    key: str | None = None,
    sr: int = SR,
    level: str | None = None,
    segment_seconds: float | None = None,
    hop_seconds: float | None = None,
    window_seconds: float | None = None,
) -> Pipeline:
    """Describe how a system's inputs are made, as a chapter made them for its test clips.

    The same arguments a chapter gave :func:`mgr_utils.training.segments_dataset` (the
    function, the parameters of the validation and test sides, ``key``) and what it returned
    (the standardiser). The segments' length and hop are derived from the function and its
    parameters (:func:`segment_geometry`).

    Notebook: ``03_texture_features.ipynb`` (every chapter that saves a system).

    Args:
        fn: A function of :mod:`mgr_utils.features` (or its dotted path), e.g.
            ``features.costa_patches``.
        params: Its keyword parameters for the test clips (not the training side's
            ``side_params``); the card keeps every parameter, its defaults included.
        scaler: The fitted :class:`~mgr_utils.training.Standardizer` of ``segments_dataset``;
            a number to divide every input by (chapter 9's scale); or ``None``.
        key: The entry of a dict-returning ``fn`` (``"glcm"``, ``"lbp"`` of
            :func:`~mgr_utils.features.texture_features`).
        sr: The sample rate of the clips the system was trained on.
        level: ``"segment"`` or ``"clip"`` (default: from the function and ``key``).
        segment_seconds, hop_seconds: For a function whose segments are not known here.
        window_seconds: A clip-level system's timeline window (default
            :data:`CLIP_WINDOW_SECONDS`).

    Returns:
        A :class:`Pipeline`.

    Raises:
        ValueError: A function outside :mod:`mgr_utils.features`, parameters that do not fit
            it or cannot be written to JSON, or an unknown ``level``.
    """
    name = _dotted(fn)
    given = _plain(dict(params or {}))
    bound = _bound(resolve_feature(name), sr, given)  # the parameters fit the function
    # every parameter with its value, defaults included: the card says all of them
    first_two = list(inspect.signature(resolve_feature(name)).parameters)[:2]
    params = _plain({k: v for k, v in bound.items() if k not in first_two})
    if level not in (None, "segment", "clip"):
        raise ValueError(f"level must be 'segment' or 'clip', got {level!r}")
    if level == "clip":
        geometry = None
    elif segment_seconds is not None:
        hop = segment_seconds if hop_seconds is None else hop_seconds
        geometry = (segment_seconds, hop)
    else:
        geometry = segment_geometry(name, params, sr, key)  # raises for unknown ones
        if geometry is None and level == "segment":
            raise ValueError(
                f"{name} (key {key!r}) describes a whole clip: use level='clip'"
            )
    level = "clip" if geometry is None else "segment"
    segment_seconds, hop_seconds = geometry or (None, None)
    if level == "clip":
        window_seconds = float(window_seconds or CLIP_WINDOW_SECONDS)
    else:
        window_seconds = None
    return Pipeline(
        feature=name,
        params=params,
        sample_rate=int(sr),
        key=key,
        level=level,
        segment_seconds=None if segment_seconds is None else round(segment_seconds, 6),
        hop_seconds=None if hop_seconds is None else round(hop_seconds, 6),
        window_seconds=window_seconds,
        standardizer=_as_standardizer(scaler),
    )


# --------------------------------------------------------------------------------------------
# Scores of one model on inputs
# --------------------------------------------------------------------------------------------


def _is_keras(model) -> bool:
    """Whether ``model`` is a Keras model, without importing Keras for a scikit-learn one.

    A Keras model can only exist once Keras is imported; importing it here for an SVM
    (chapter 3 saves two) would start TensorFlow and print its start-up lines on the page.
    """
    keras = sys.modules.get("keras")
    return keras is not None and isinstance(model, keras.Model)


def _softmax(D: np.ndarray) -> np.ndarray:
    D = D - D.max(axis=1, keepdims=True)
    E = np.exp(D)
    return E / E.sum(axis=1, keepdims=True)


_FORWARD: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
"""Each loaded network's compiled forward pass (``tf.function``), made once."""


class _OneTracePerNetwork(logging.Filter):
    """Drops TensorFlow's "N out of the last N calls ... triggered tf.function retracing".

    Each loaded network has its own forward pass, traced once; TensorFlow counts the
    traces of every pass made from the same code together, so running five saved
    networks one after the other (``mgr-predict``, the page "Classify your own music")
    looked like retracing to it and printed that warning on the page.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        return "triggered tf.function retracing" not in record.getMessage()


_ONE_TRACE_PER_NETWORK = _OneTracePerNetwork()


def _keras_predict(model, X: np.ndarray, batch_size: int) -> np.ndarray:
    """The network's outputs in inference mode, batch by batch, through one compiled pass.

    The signature leaves the batch axis open: files of any length (batches of any size) reuse
    one trace, where ``model.predict`` would trace again for each new last-batch size.
    """
    import tensorflow as tf

    forward = _FORWARD.get(model)
    if forward is None:
        tf.get_logger().addFilter(_ONE_TRACE_PER_NETWORK)  # once: a set of filters
        # one trace for every batch size: the batch axis is left open in the signature
        spec = tf.TensorSpec((None, *model.input_shape[1:]), tf.float32)
        forward = tf.function(
            lambda x: model(x, training=False), input_signature=[spec]
        )
        _FORWARD[model] = forward
    X = np.asarray(X, dtype=np.float32)
    parts = [
        np.asarray(forward(X[i : i + batch_size]), dtype=np.float64)
        for i in range(0, len(X), batch_size)
    ]
    return np.concatenate(parts)


def class_scores(model, X: np.ndarray, n_classes: int, batch_size: int = 64):
    """Scores of every input over the ``n_classes`` classes, rows summing to 1.

    Keras networks and scikit-learn systems with ``predict_proba`` give probabilities; a
    linear SVM without them (chapter 11's probe) gives the softmax of its decision values,
    which rank the classes as the SVM does but are **not** calibrated probabilities.

    Notebook: ``03_texture_features.ipynb``.

    Returns:
        ``(scores (n_inputs, n_classes), kind)``, ``kind`` ``"probabilities"`` or
        ``"softmax of decision values"``.
    """
    if _is_keras(model):
        P = _keras_predict(model, X, batch_size)
        if P.shape[1] != n_classes:
            raise DamagedSystemError(
                f"the model has {P.shape[1]} outputs, the card {n_classes} classes"
            )
        return P, "probabilities"
    X = np.asarray(X, dtype=np.float64)
    if hasattr(model, "predict_proba"):
        S, kind = np.asarray(model.predict_proba(X), np.float64), "probabilities"
    elif hasattr(model, "decision_function"):
        D = np.asarray(model.decision_function(X), np.float64)
        if D.ndim == 1:  # two classes: one signed distance to the positive class
            D = np.stack([-D, D], axis=1) / 2
        S, kind = _softmax(D), "softmax of decision values"
    else:
        raise DamagedSystemError(
            f"{type(model).__name__} has neither predict_proba nor decision_function"
        )
    labels = np.asarray(model.classes_).astype(int)
    if labels.min() < 0 or labels.max() >= n_classes:
        raise DamagedSystemError(
            f"the model's labels {labels.tolist()} do not index the card's "
            f"{n_classes} classes"
        )
    full = np.zeros((len(S), n_classes))
    full[:, labels] = S
    return full, kind


# --------------------------------------------------------------------------------------------
# Saving
# --------------------------------------------------------------------------------------------


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _fsync(path: Path) -> None:
    with open(path, "rb") as f:
        os.fsync(f.fileno())


def _library_versions() -> dict[str, str]:
    from importlib import metadata

    out = {"python": platform.python_version(), "mgr_utils": __version__}
    for name in ("numpy", "scikit-learn", "keras", "tensorflow", "tensorflow-cpu"):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    return out


def _display_name(system_id: str) -> str | None:
    """The readers' name of a system, from :mod:`mgr_utils.comparison`'s registry if it has one."""
    try:
        from mgr_utils import comparison

        name = getattr(comparison, "display_name", None)
        found = name(system_id) if callable(name) else None
    except (LookupError, ValueError, TypeError):  # not in the registry: no name
        return None
    return found if isinstance(found, str) and found != system_id else None


def _test_numbers(metrics: Mapping[str, Any]) -> dict[str, Any]:
    acc, n = metrics.get("accuracy"), metrics.get("n_clips")
    if acc is None or not 0.0 <= float(acc) <= 1.0 or not isinstance(n, int) or n < 1:
        raise ValueError(
            "metrics must hold the test clips' 'accuracy' (0-1) and 'n_clips', as "
            f"clip_metrics or evaluate_selected's 'test' give them; got accuracy={acc!r}, "
            f"n_clips={n!r}"
        )
    out = {"accuracy": float(acc), "n_clips": int(n)}
    if metrics.get("valid_accuracy") is not None:
        out["valid_accuracy"] = float(metrics["valid_accuracy"])
    return out


def _check_inputs(model, kind: str, pipe: Pipeline, n_classes: int) -> None:
    """Run the pipeline on a few seconds of noise: its inputs must fit the model."""
    seconds = max(3.0, 2.0 * (pipe.segment_seconds or 0.0))
    seconds = min(max(seconds, 1.2 * (pipe.window_seconds or 0.0)), 12.0)
    rng = np.random.default_rng(0)
    y = (0.1 * rng.standard_normal(int(seconds * pipe.sample_rate))).astype(np.float32)
    X = pipe.features(y)
    if kind == "keras":
        want, got = tuple(model.input_shape[1:]), tuple(X.shape[1:])
        if len(want) != len(got) or any(
            w is not None and w != g for w, g in zip(want, got)
        ):
            raise ValueError(
                f"the pipeline gives inputs of shape {got}, the network reads {want}: "
                "pass the feature parameters of the test clips (as segments_dataset "
                "had them)"
            )
        if int(model.output_shape[-1]) != n_classes:
            raise ValueError(
                f"the network has {model.output_shape[-1]} outputs for {n_classes} "
                "classes"
            )
        return
    try:
        class_scores(model, X[:1], n_classes)
    except DamagedSystemError as err:
        raise ValueError(str(err)) from None
    except ValueError as err:
        raise ValueError(
            f"the pipeline's inputs (shape {X.shape[1:]}) do not fit the model: {err}"
        ) from None


def _save_model_file(model, kind: str, path: Path) -> None:
    if kind == "keras":
        import keras

        # A fresh copy from the model's config: the same layers and weights, no optimizer
        # state (a third of the file for Adam), and proof that every layer serialises.
        copy = keras.models.clone_model(model)
        copy.set_weights(model.get_weights())
        copy.save(path)
    else:
        import joblib

        joblib.dump(model, path)
    _fsync(path)


def save_system(
    model,
    chapter: str,
    system_id: str,
    pipeline: Pipeline,
    *,
    classes: Sequence[str],
    dataset: str,
    metrics: Mapping[str, Any],
    rule: str | None = None,
    split: str | None = None,
    display_name: str | None = None,
    models_dir: str | Path | None = None,
    check: bool = True,
) -> Path:
    """Save a chapter's selected system, its input pipeline and its card; return the card's path.

    Keras networks go to ``<system_id>.keras`` (Keras 3's format; the optimizer's state is
    left out), anything else (a fitted scikit-learn estimator, chapter 11's
    :class:`~mgr_utils.transfer.LinearProbe`) to ``<system_id>.joblib``; the standardiser's
    statistics to ``<system_id>.npz``; the card to ``<system_id>.json`` (format in the module
    docstring). A system saved again replaces the old one. See the module docstring for why an
    interrupted save cannot leave a usable-looking half.

    Notebook: ``03_texture_features.ipynb`` (every chapter that trains a system).

    Args:
        model: The trained system: a ``keras.Model`` or an object with ``predict_proba`` or
            ``decision_function`` and ``classes_`` (labels indexing ``classes``).
        chapter: The notebook's stem, e.g. ``"04_costa_cnn"``.
        system_id: The system's id, as in the results record, e.g. ``"costa_cnn"``.
        pipeline: How its inputs are made (:func:`pipeline`).
        classes: Class names in label order (``clips.classes``).
        dataset: The ``DATASET`` it was trained on (the folder it is saved in).
        metrics: Its test metrics (``accuracy``, ``n_clips``, optionally
            ``valid_accuracy``), or the whole result of
            :func:`~mgr_utils.training.evaluate_selected` (its ``"rule"`` and ``"test"`` are
            used).
        rule: The segment-to-clip rule (segment-level systems; taken from ``metrics`` when it
            is ``evaluate_selected``'s result).
        split: The split's name.
        display_name: The readers' name (default: the comparison registry's, if any).
        models_dir: The models folder (``None``: :func:`default_models_dir`).
        check: Run the pipeline on a few seconds of noise and check that its inputs fit the
            model (shape, number of classes).

    Returns:
        The card's path.

    Raises:
        ValueError: An id or dataset that is not a plain file name, no classes, metrics
            without the test accuracy and clip count, a missing or unknown rule for a
            segment-level system, or inputs that do not fit the network.
    """
    if "test" in metrics and isinstance(metrics["test"], Mapping):
        rule = rule or metrics.get("rule")
        metrics = metrics["test"]
    test = _test_numbers(metrics)
    classes = [str(c) for c in classes]
    if len(classes) < 2:
        raise ValueError(f"a classifier needs at least two classes, got {classes}")
    if pipeline.level == "segment":
        if rule not in SEGMENT_RULES:
            raise ValueError(
                f"a segment-level system needs its segment-to-clip rule, one of "
                f"{SEGMENT_RULES} (evaluate_selected's 'rule'); got {rule!r}"
            )
    else:
        rule = None
    kind = "keras" if _is_keras(model) else "sklearn"
    if kind == "sklearn" and not (
        hasattr(model, "predict_proba") or hasattr(model, "decision_function")
    ):
        raise ValueError(
            f"{type(model).__name__} is neither a Keras model nor a fitted classifier "
            "with predict_proba or decision_function"
        )
    if check:
        _check_inputs(model, kind, pipeline, len(classes))
    paths = system_paths(system_id, dataset, models_dir)
    folder = paths["card"].parent
    folder.mkdir(parents=True, exist_ok=True)
    _remove_temporaries(folder, system_id)
    token = secrets.token_hex(4)

    def temporary(final: Path) -> Path:
        # keeps the final suffix (Keras insists on ".keras"); a leading dot hides it
        return final.with_name(f".{system_id}.{token}.tmp{final.suffix}")

    model_path = paths[kind]
    tmp_model = temporary(model_path)
    tmp_stats = temporary(paths["statistics"])
    try:
        _save_model_file(model, kind, tmp_model)
        files = {"model": {"name": model_path.name, "sha256": _sha256(tmp_model)}}
        s = pipeline.standardizer
        if s is not None:
            with atomic_write(tmp_stats, "wb", fsync=True) as f:
                np.savez(f, mean=s.mean_, std=s.std_)
            files["statistics"] = {
                "name": paths["statistics"].name,
                "sha256": _sha256(tmp_stats),
            }
        card = {
            "format_version": FORMAT_VERSION,
            "mgr_utils_version": __version__,
            "features_version": _features_version(),
            "chapter": chapter,
            "system_id": system_id,
            "display_name": display_name or _display_name(system_id),
            "kind": kind,
            "files": files,
            "classes": classes,
            "pipeline": {
                **pipeline.to_card(),
                "input_shape": list(model.input_shape[1:]) if kind == "keras" else None,
            },
            "clip_rule": rule,
            "scores": _score_kind(model, kind),
            "dataset": dataset,
            "split": split,
            "test": test,
            "saved_with": _library_versions(),
        }
        # The card first: from now on the old files do not match it (checked on loading);
        # then each file is renamed into place in one step.
        write_json_atomic(paths["card"], card)
        if s is not None:
            os.replace(tmp_stats, paths["statistics"])
        else:
            paths["statistics"].unlink(missing_ok=True)
        os.replace(tmp_model, model_path)
        other = paths["sklearn" if kind == "keras" else "keras"]
        other.unlink(missing_ok=True)
    finally:
        tmp_model.unlink(missing_ok=True)
        tmp_stats.unlink(missing_ok=True)
    WRITE_LOG.append(paths["card"].resolve())
    return paths["card"]


def _score_kind(model, kind: str) -> str:
    if kind == "keras" or hasattr(model, "predict_proba"):
        return "probabilities"
    return "softmax of decision values"


def _features_version() -> str:
    from mgr_utils.features import FEATURES_VERSION

    return FEATURES_VERSION


def _remove_temporaries(folder: Path, system_id: str) -> None:
    """Leftovers of an interrupted save of this system (hidden files with a random token)."""
    for p in folder.glob(f".{system_id}.*.tmp*"):
        p.unlink(missing_ok=True)


# --------------------------------------------------------------------------------------------
# Finding and loading
# --------------------------------------------------------------------------------------------


@dataclass
class Listing:
    """What a models folder holds.

    Attributes:
        folder: The models folder.
        cards: ``{(dataset, system_id): card path}`` of every card found.
        orphans: Model files without a card, ``(dataset, system_id, model path)``.
    """

    folder: Path
    cards: dict[tuple[str, str], Path]
    orphans: list[tuple[str, str, Path]]

    def ids(self) -> list[str]:
        """``"dataset/system_id"`` of every card, sorted."""
        return [f"{d}/{s}" for d, s in sorted(self.cards)]


def list_systems(
    models_dir: str | Path | None = None, dataset: str | None = None
) -> Listing:
    """The saved systems of a models folder (one dataset's, or every dataset's).

    Hidden files (an interrupted save's leftovers) are ignored; a model file without a card
    is listed in :attr:`Listing.orphans`. The folders listed go to :data:`READ_LOG`, so that
    a chapter that runs "every saved system" re-executes when one is added.

    Notebook: ``12_validity.ipynb`` (and ``mgr-predict``).
    """
    root = resolve_models_dir(models_dir)
    folders = []
    if dataset is not None:
        folders = [root / _check_name("dataset", dataset)]
    elif root.is_dir():
        folders = sorted(
            p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")
        )
    cards, orphans = {}, []
    for folder in folders:
        READ_LOG.append(folder.resolve())
        if not folder.is_dir():
            continue
        stems = {}
        for p in folder.iterdir():
            if p.name.startswith(".") or not p.is_file():
                continue
            if p.suffix == CARD_SUFFIX:
                cards[(folder.name, p.stem)] = p
            elif p.suffix in MODEL_SUFFIXES.values():
                stems[p.stem] = p
        orphans += [
            (folder.name, stem, p)
            for stem, p in sorted(stems.items())
            if (folder.name, stem) not in cards
        ]
    return Listing(root, cards, orphans)


def no_systems_message(models_dir: Path, dataset: str | None = None) -> str:
    """What to say, and what to do, when a models folder holds no saved system.

    Notebook: ``12_validity.ipynb``.
    """
    where = f"{models_dir}" + (f" for the dataset {dataset!r}" if dataset else "")
    hint = ""
    built = Path("_build") / "models"
    if Path(models_dir) != built and built.is_dir() and any(built.iterdir()):
        hint = f" The book's build saved some in {built}: pass --models-dir {built}."
    return (
        f"No saved systems in {where}. The book's chapters train and save them: run "
        f"`{BUILD_COMMAND}` (they go to _build/models) or a chapter's notebook (they go "
        f"to ${MODELS_DIR_ENV}, else ./models), then point --models-dir (or "
        f"${MODELS_DIR_ENV}) at that folder.{hint}"
    )


def find_card(
    system_id: str, dataset: str | None = None, models_dir: str | Path | None = None
) -> Path:
    """The card of a system given as ``"system_id"`` or ``"dataset/system_id"``.

    Notebook: ``12_validity.ipynb``.

    Raises:
        NoSavedSystemsError: The folder holds nothing.
        CardMissingError: The model exists without its card.
        UnknownSystemError: No such system (the message lists the ones that exist), or the
            id exists for several datasets and none was named.
    """
    if "/" in system_id:
        dataset, system_id = system_id.split("/", 1)
    listing = list_systems(models_dir, dataset)
    matches = [p for (d, s), p in listing.cards.items() if s == system_id]
    if len(matches) == 1:
        return matches[0]
    orphan = [p for d, s, p in listing.orphans if s == system_id]
    if orphan and not matches:
        raise CardMissingError(orphan_message(orphan[0]))
    if not listing.cards:
        others = list_systems(models_dir).ids() if dataset is not None else []
        if others:
            raise UnknownSystemError(
                f"no saved system for the dataset {dataset!r} in {listing.folder}; "
                "saved systems: " + ", ".join(others)
            )
        raise NoSavedSystemsError(no_systems_message(listing.folder, dataset))
    if len(matches) > 1:
        found = ", ".join(f"{p.parent.name}/{system_id}" for p in sorted(matches))
        raise UnknownSystemError(
            f"{system_id!r} is saved for several datasets ({found}): name one, e.g. "
            f"--dataset {min(matches).parent.name} or {found.split(', ')[0]}"
        )
    raise UnknownSystemError(
        f"no saved system {system_id!r} in {listing.folder}"
        + (f" for the dataset {dataset!r}" if dataset else "")
        + ". Saved systems: "
        + ", ".join(listing.ids())
    )


def orphan_message(model_path: Path) -> str:
    return (
        f"{model_path} has no card ({model_path.with_suffix(CARD_SUFFIX).name}): it was "
        "not saved by mgr_utils.saving, or its card was deleted. Save it again: re-run "
        f"the chapter that trains it (`{BUILD_COMMAND}` re-runs every chapter whose "
        "saved system is missing), or delete the file."
    )


def read_card(path: str | Path) -> dict[str, Any]:
    """A card, checked against this package's versions.

    Notebook: ``12_validity.ipynb``.

    Raises:
        CardMissingError: No card at ``path``.
        DamagedSystemError: Not a card (unreadable JSON, missing fields).
        VersionMismatchError: Another card format, ``mgr_utils`` version or feature version.
    """
    path = Path(path)
    if not path.is_file():
        raise CardMissingError(
            f"no card {path}: the system is not saved there. Re-run the chapter that "
            f"trains it (`{BUILD_COMMAND}`)."
        )
    try:
        card = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise DamagedSystemError(
            f"{path} is not a readable card ({err}); save the system again by re-running "
            "its chapter"
        ) from None
    missing = [
        k
        for k in ("format_version", "system_id", "classes", "pipeline", "files")
        if k not in card
    ]
    if not isinstance(card, dict) or missing:
        raise DamagedSystemError(f"{path} is not a saved system's card (no {missing})")
    redo = (
        f"Save it again with this version: re-run its chapter ({card.get('chapter')}) "
        f"or `{BUILD_COMMAND}`"
    )
    if card["format_version"] != FORMAT_VERSION:
        raise VersionMismatchError(
            f"{path}: card format {card['format_version']}, this mgr_utils reads format "
            f"{FORMAT_VERSION}. {redo}."
        )
    if card.get("mgr_utils_version") != __version__:
        raise VersionMismatchError(
            f"{path} was saved by mgr_utils {card.get('mgr_utils_version')}, this is "
            f"{__version__}. {redo}, or install mgr_utils "
            f"{card.get('mgr_utils_version')} to use it."
        )
    if card.get("features_version") != _features_version():
        raise VersionMismatchError(
            f"{path} was saved with features version {card.get('features_version')}, "
            f"this mgr_utils computes version {_features_version()} (its inputs would "
            f"differ). {redo}."
        )
    return card


@dataclass
class SavedSystem:
    """A loaded system: its card, its model and its input pipeline.

    Notebook: ``12_validity.ipynb`` (and :mod:`mgr_utils.predict`).
    """

    card: dict[str, Any]
    model: Any
    pipeline: Pipeline
    card_path: Path

    @property
    def system_id(self) -> str:
        return self.card["system_id"]

    @property
    def dataset(self) -> str:
        return self.card.get("dataset") or self.card_path.parent.name

    @property
    def name(self) -> str:
        """The readers' name if the card has one, else the id."""
        return self.card.get("display_name") or self.system_id

    @property
    def classes(self) -> list[str]:
        return list(self.card["classes"])

    @property
    def rule(self) -> str | None:
        return self.card.get("clip_rule")

    def scores(self, X: np.ndarray) -> np.ndarray:
        """Class scores of inputs made by :attr:`pipeline`, ``(n_inputs, n_classes)``."""
        return class_scores(self.model, X, len(self.classes))[0]

    def classify(self, y: np.ndarray) -> dict[str, Any]:
        """Classify mono audio at the pipeline's rate: the clip's scores and the timeline.

        Returns:
            ``{"scores": (n_classes,), "segment_scores": (n, n_classes), "starts": (n,),
            "ends": (n,)}`` in seconds; for a clip-level system the "segments" are the
            timeline's windows, and ``"scores"`` is the system on the whole signal.

        Raises:
            TooShortError: ``y`` is shorter than one input.
        """
        from mgr_utils.evaluation import aggregate_segments

        pipe, sr = self.pipeline, self.pipeline.sample_rate
        duration = len(y) / sr
        if pipe.level == "clip":
            clip = self.scores(pipe.features(y))[0]
            w = round(pipe.window_seconds * sr)
            starts = np.arange(0, max(1, len(y) - w + 1), w) if len(y) > w else [0]
            rows = [self.scores(pipe.features(y[s : s + w]))[0] for s in starts]
            starts = np.asarray(starts, dtype=np.float64) / sr
            ends = np.minimum(starts + pipe.window_seconds, duration)
            return {
                "scores": clip,
                "segment_scores": np.stack(rows),
                "starts": starts,
                "ends": ends,
            }
        P = self.scores(pipe.features(y))
        _, S = aggregate_segments(P, np.zeros(len(P), dtype=int), rule=self.rule)
        k = np.arange(len(P))
        starts = k * (pipe.hop_seconds or 0.0)
        ends = np.minimum(starts + (pipe.segment_seconds or 0.0), max(duration, 0.0))
        return {"scores": S[0], "segment_scores": P, "starts": starts, "ends": ends}

    def classify_many(
        self, ys: Sequence[np.ndarray], n_jobs: int = 1, batch_size: int = 1024
    ) -> np.ndarray:
        """The clip scores of many clips at once: ``(n_clips, n_classes)``, no timelines.

        The same numbers as ``classify(y)["scores"]`` for each clip, with the inputs of all
        clips in one model call (batches of ``batch_size``) instead of one call per clip: a
        network's per-call overhead is most of a short clip's prediction time. ``n_jobs``
        workers (joblib, processes) compute the inputs when the feature function runs no
        network itself (:data:`NETWORK_FEATURES` always run in this process).

        Notebook: ``12_validity.ipynb``.

        Args:
            ys: Mono clips at the pipeline's rate.
            n_jobs: Workers for the inputs (joblib convention; 1: in this process).
            batch_size: Inputs per forward pass of a network.

        Raises:
            TooShortError: A clip shorter than one input (the message names it).
        """
        from mgr_utils.evaluation import aggregate_segments

        ys = list(ys)
        if not ys:
            return np.zeros((0, len(self.classes)))
        pipe = self.pipeline
        workers = 1 if pipe.feature in NETWORK_FEATURES else _workers(n_jobs, len(ys))
        if workers > 1:
            from joblib import Parallel, delayed

            Xs = Parallel(n_jobs=workers, backend="loky")(
                delayed(_clip_inputs)(pipe, y, i) for i, y in enumerate(ys)
            )
        else:
            Xs = [_clip_inputs(pipe, y, i) for i, y in enumerate(ys)]
        P = class_scores(
            self.model, np.concatenate(Xs), len(self.classes), batch_size=batch_size
        )[0]
        if pipe.level == "clip":
            return P
        index = np.repeat(np.arange(len(ys)), [len(X) for X in Xs])
        return aggregate_segments(P, index, rule=self.rule)[1]


NETWORK_FEATURES = frozenset({"mgr_utils.features.musicnn_input.musicnn_embedding"})
"""Feature functions that run a network themselves: never sent to worker processes (each
would load TensorFlow and the network again)."""


def _workers(n_jobs: int | None, n_items: int) -> int:
    if n_jobs is None or n_jobs == 1 or n_items < 2:
        return 1
    n = os.cpu_count() or 1
    return max(1, min(n_items, n + 1 + n_jobs if n_jobs < 0 else n_jobs))


def _clip_inputs(pipe: Pipeline, y: np.ndarray, i: int) -> np.ndarray:
    """One clip's model inputs; a clip too short says which it is."""
    try:
        return pipe.features(np.asarray(y, dtype=np.float32))
    except TooShortError as err:
        raise TooShortError(f"clip {i}: {err}") from None


def _check_file(card_path: Path, entry: Mapping[str, Any] | None, what: str) -> Path:
    if not entry:
        raise DamagedSystemError(f"{card_path} names no {what} file")
    path = card_path.with_name(entry["name"])
    unfinished = (
        "the save was interrupted, or the file was replaced by hand. Save the system "
        f"again: re-run its chapter or `{BUILD_COMMAND}`."
    )
    if not path.is_file():
        raise DamagedSystemError(
            f"{card_path}: its {what} {path.name} is missing: {unfinished}"
        )
    if _sha256(path) != entry.get("sha256"):
        raise DamagedSystemError(
            f"{card_path}: its {what} {path.name} is not the one it was saved with: "
            + unfinished
        )
    return path


def load_system(
    system_id: str,
    dataset: str | None = None,
    models_dir: str | Path | None = None,
) -> SavedSystem:
    """Load a saved system: read and check its card, load its model and its statistics.

    The card goes to :data:`READ_LOG` (the book build re-executes a chapter when a system it
    read changed).

    Notebook: ``12_validity.ipynb`` (and :mod:`mgr_utils.predict`).

    Args:
        system_id: ``"system_id"`` or ``"dataset/system_id"``, or the path of a card.
        dataset: The dataset folder (``None``: any, when the id is unique).
        models_dir: The models folder (``None``: :func:`default_models_dir`).

    Raises:
        SavedSystemError: No such system, a card missing, from another version, or whose
            files are missing or differ from the ones it was saved with.
    """
    card_path = (
        Path(system_id)
        if str(system_id).endswith(CARD_SUFFIX)
        else find_card(system_id, dataset, models_dir)
    )
    card = read_card(card_path)
    READ_LOG.append(card_path.resolve())
    files = card["files"]
    model_path = _check_file(card_path, files.get("model"), "model")
    stats = None
    if files.get("statistics"):
        with np.load(_check_file(card_path, files["statistics"], "statistics")) as z:
            stats = {k: z[k] for k in z.files}
    pipe = Pipeline.from_card(card["pipeline"], stats)
    resolve_feature(pipe.feature)
    if card["kind"] == "keras":
        from mgr_utils.training import configure_tensorflow

        configure_tensorflow()
        import keras

        import mgr_utils.models  # noqa: F401  (registers the custom layers)

        model = keras.saving.load_model(model_path, compile=False)
    elif card["kind"] == "sklearn":
        import joblib

        model = joblib.load(model_path)
    else:
        raise DamagedSystemError(f"{card_path}: unknown kind {card['kind']!r}")
    return SavedSystem(card=card, model=model, pipeline=pipe, card_path=card_path)


def verify_saved_system(
    card: str | Path, model, side: Any, rule: str, atol: float = 1e-4
) -> float:
    """Check that a saved system classifies a clip exactly as the chapter's own network did.

    A chapter saves the system it chose on the validation clips; this reloads it from its
    card and runs the saved pipeline (feature function, parameters, standardiser, clip
    rule) on the first clip of ``side``, read from its audio file, and compares the clip's
    scores with the chapter's: ``model`` on that clip's segments as the chapter built them
    (through the feature cache), aggregated with ``rule``. A saved system that answers
    otherwise than the system the chapter reports is an error, not a warning.

    Notebook: ``04_costa_cnn.ipynb`` (also ``05_nakashika_glcm_cnn.ipynb`` and
    ``06_zhang_cnn.ipynb``).

    Args:
        card: The card's path (what :func:`save_system` returns).
        model: The chapter's trained network.
        side: The chapter's :class:`~mgr_utils.training.Segments` of one side (its
            ``clips`` hold the audio files).
        rule: The segment-to-clip rule the chapter chose.
        atol: The largest difference of a class score allowed.

    Returns:
        The largest difference of a class score.

    Raises:
        SavedSystemError: The reloaded system's scores differ from the chapter's.
        ValueError: The clip's sample rate is not the pipeline's.
    """
    from mgr_utils.training import predict_clips

    loaded = load_system(str(card))
    k = int(np.min(side.clip_index))
    mask = np.asarray(side.clip_index) == k
    _, own = predict_clips(model, side.X[mask], np.zeros(int(mask.sum())), rule=rule)
    clip = side.clips[k]
    y = clip.load()
    if clip.sr != loaded.pipeline.sample_rate:
        raise ValueError(
            f"clip {clip.clip_id} is at {clip.sr} Hz, the saved pipeline reads "
            f"{loaded.pipeline.sample_rate} Hz"
        )
    got = np.asarray(loaded.classify(y)["scores"], dtype=np.float64)
    diff = float(np.max(np.abs(got - own[0]))) if got.shape == own[0].shape else np.inf
    if not diff <= atol:
        raise SavedSystemError(
            f"the saved system {loaded.system_id} gives clip {clip.clip_id} scores "
            f"{np.round(got, 4).tolist()}, the chapter's network "
            f"{np.round(own[0], 4).tolist()} (largest difference {diff:.2g}): its "
            "pipeline (feature parameters, standardiser or rule) is not the one the "
            "chapter used"
        )
    return diff
