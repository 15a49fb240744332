"""Transfer learning with a pre-trained tagger: embeddings, linear probes, label fractions, zero-shot.

A network trained to tag a large collection (musicnn on the Million Song Dataset, Pons & Serra
2019) is used as a fixed feature extractor: each clip is cut into musicnn's 3 s patches, every
patch goes through the network once, and a clip is summarised by statistics (mean, max) over its
patches of one or more layers: its **embedding**. A linear classifier on the embeddings, with its
``C`` chosen on the validation clips, then learns the genres from few labels.

Embeddings are computed once per clip and kept in the feature cache
(:class:`mgr_utils.cache.FeatureCache`): a rebuild reads them back. Patches of many clips go
through the network together (a batch), which is much faster than clip by clip.

Notebook: ``11_transfer_learning.ipynb``.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from mgr_utils import GENRES

EMBEDDING_LAYERS = ("tags", "penultimate", "mean_pool", "max_pool")
"""What is kept per patch: the 50 tag probabilities, the 200-unit penultimate layer, and the back
end's mean and max over time of the 753 front- and mid-end features."""

EMBEDDINGS_VERSION = "1"
"""Part of the cache key of the embeddings: bumped when :func:`musicnn_embeddings` changes output."""

GENRE_TAGS = {
    "blues": "blues",
    "country": "country",
    "hiphop": "Hip-Hop",
    "jazz": "jazz",
    "metal": "metal",
    "pop": "pop",
    "rock": "rock",
}
"""GTZAN genre -> the ``MSD_musicnn`` tag of the same name (zero-shot). Fixed in advance: the seven
genres whose name is one of the 50 MSD tags; classical, disco and reggae have none."""


@functools.lru_cache(maxsize=2)
def _model(name: str):
    """The pre-trained model and a compiled (``tf.function``) forward pass, loaded once."""
    import tensorflow as tf

    from mgr_utils.models.musicnn import pretrained_musicnn

    model = pretrained_musicnn(name)
    return model, tf.function(lambda x: model(x, training=False), reduce_retracing=True)


@dataclass
class Embeddings:
    """Per-patch outputs of a pre-trained musicnn for a list of clips.

    Attributes:
        patches: One dict per clip, layer name -> ``(n_patches, width)`` float32.
        kept: Indices of the clips that were embedded (a clip whose audio cannot be read, or
            shorter than one patch, is left out).
        hits, misses: Clips read from the cache / computed.
        seconds: Wall time.
        patches_per_second: Network throughput on the computed clips (``nan`` if none).
    """

    patches: list[dict[str, np.ndarray]]
    kept: np.ndarray
    hits: int = 0
    misses: int = 0
    seconds: float = 0.0
    patches_per_second: float = float("nan")
    skipped: list[tuple[str, str]] = field(default_factory=list)


def musicnn_embeddings(
    clips: Sequence,
    model: str = "MSD_musicnn",
    cache_dir=None,
    batch_size: int = 64,
    use_cache: bool = True,
) -> Embeddings:
    """Run a pre-trained musicnn on every clip's 3 s patches, through the feature cache.

    Notebook: ``11_transfer_learning.ipynb``.

    Args:
        clips: :class:`~mgr_utils.datasets.Clip` objects (a ``ClipSet`` works).
        model: ``"MSD_musicnn"`` or ``"MTT_musicnn"``.
        cache_dir: Feature cache folder (``None``: the default).
        batch_size: Patches per forward pass.
        use_cache: ``False``: compute everything, read and write nothing.

    Returns:
        :class:`Embeddings`, one entry per kept clip, with the layers of :data:`EMBEDDING_LAYERS`.
    """
    from mgr_utils.audio import AudioLoadError
    from mgr_utils.cache import FeatureCache
    from mgr_utils.features.musicnn_input import musicnn_input

    t0 = time.perf_counter()
    cache = FeatureCache(cache_dir)
    name = "mgr_utils.transfer.musicnn_embeddings"
    params = {"model": model, "version": EMBEDDINGS_VERSION}
    values: list = [None] * len(clips)
    todo, skipped = [], []
    for i, clip in enumerate(clips):
        v = cache.get(clip.key, name, params) if use_cache else None
        if v is None:
            todo.append(i)
        else:
            values[i] = v
    hits = len(clips) - len(todo)
    n_patches, net_seconds = 0, 0.0
    # compute the misses a few clips at a time: patches of several clips per forward pass
    chunk = max(1, batch_size // 2)
    for start in range(0, len(todo), chunk):
        group, inputs = [], []
        for i in todo[start : start + chunk]:
            try:
                P = musicnn_input(clips[i].load(), clips[i].sr)
            except AudioLoadError as err:
                skipped.append((clips[i].clip_id, str(err)))
                continue
            if len(P) == 0:
                skipped.append((clips[i].clip_id, "shorter than one 3 s patch"))
                continue
            group.append(i)
            inputs.append(P)
        if not group:
            continue
        X = np.concatenate(inputs)
        t1 = time.perf_counter()
        out = embed_patches(X, model, batch_size)
        net_seconds += time.perf_counter() - t1
        n_patches += len(X)
        bounds = np.cumsum([0] + [len(P) for P in inputs])
        for j, i in enumerate(group):
            v = {k: out[k][bounds[j] : bounds[j + 1]] for k in EMBEDDING_LAYERS}
            if use_cache:
                cache.put(clips[i].key, name, params, v)
            values[i] = v
    kept = np.array([i for i, v in enumerate(values) if v is not None], dtype=int)
    return Embeddings(
        patches=[values[i] for i in kept],
        kept=kept,
        hits=hits,
        misses=len(todo),
        seconds=time.perf_counter() - t0,
        patches_per_second=n_patches / net_seconds if net_seconds else float("nan"),
        skipped=skipped,
    )


def embed_patches(
    X: np.ndarray, model: str = "MSD_musicnn", batch_size: int = 64
) -> dict[str, np.ndarray]:
    """Patches through a pre-trained musicnn (loaded once per process): layer -> outputs.

    Notebook: ``11_transfer_learning.ipynb``.

    Args:
        X: Patches ``(n_patches, 187, 96)`` (:func:`mgr_utils.features.musicnn_input`).
        model: ``"MSD_musicnn"`` or ``"MTT_musicnn"``.
        batch_size: Patches per forward pass.

    Returns:
        ``{layer: (n_patches, width) float32}`` for the layers of :data:`EMBEDDING_LAYERS`.
    """
    return _predict(_model(model), X, batch_size)


def _predict(model, X: np.ndarray, batch_size: int) -> dict[str, np.ndarray]:
    forward = model[1]
    outs = []
    for s in range(0, len(X), batch_size):
        o = forward(X[s : s + batch_size])
        outs.append({k: np.asarray(o[k], dtype=np.float32) for k in EMBEDDING_LAYERS})
    return {k: np.concatenate([o[k] for o in outs]) for k in EMBEDDING_LAYERS}


def network_throughput(
    model: str = "MSD_musicnn", n_patches: int = 64, batch_size: int = 32, seed: int = 0
) -> float:
    """Patches per second through the pre-trained network alone (random input, after a warm-up).

    Measured on every run, also when the embeddings come from the cache, so that a page can
    estimate the time of a larger run from this machine's speed.

    Notebook: ``11_transfer_learning.ipynb``.
    """
    from mgr_utils.features.musicnn_input import MUSICNN_FRAMES, MUSICNN_N_MELS

    rng = np.random.default_rng(seed)
    X = rng.uniform(0, 4, (n_patches, MUSICNN_FRAMES, MUSICNN_N_MELS)).astype(
        np.float32
    )
    net = _model(model)
    _predict(net, X[:batch_size], batch_size)  # trace and warm up
    t0 = time.perf_counter()
    _predict(net, X, batch_size)
    return n_patches / (time.perf_counter() - t0)


def clip_embedding(
    patches: Mapping[str, np.ndarray],
    layers: Sequence[str] = ("penultimate",),
    stats: Sequence[str] = ("mean", "max"),
) -> np.ndarray:
    """One clip's embedding: each statistic over the patches of each layer, concatenated.

    Notebook: ``11_transfer_learning.ipynb``.

    Args:
        patches: Layer name -> ``(n_patches, width)`` (an entry of :attr:`Embeddings.patches`).
        layers: Which layers (of :data:`EMBEDDING_LAYERS`).
        stats: ``"mean"``, ``"max"`` and/or ``"std"`` over the patches.

    Returns:
        float32 vector of length ``len(layers) * len(stats) * width``.
    """
    funcs = {"mean": np.mean, "max": np.max, "std": np.std}
    parts = []
    for layer in layers:
        for s in stats:
            if s not in funcs:
                raise ValueError(f"unknown statistic {s!r}; use one of {sorted(funcs)}")
            parts.append(funcs[s](patches[layer], axis=0))
    return np.concatenate(parts).astype(np.float32)


def embedding_matrix(
    emb: Embeddings, layers=("penultimate",), stats=("mean", "max")
) -> np.ndarray:
    """:func:`clip_embedding` of every kept clip, stacked: ``(n_kept, dim)``.

    Notebook: ``11_transfer_learning.ipynb``.
    """
    return np.stack([clip_embedding(p, layers, stats) for p in emb.patches])


C_GRID = (0.001, 0.01, 0.1, 1.0, 10.0)
"""The linear probe's ``C`` values, tried on the validation clips."""


@dataclass
class LinearProbe:
    """A standardised linear SVM on embeddings, ``C`` chosen on the validation clips.

    Attributes:
        model: The fitted scikit-learn pipeline (standard scaling, ``LinearSVC``).
        C: The chosen ``C``.
        valid_scores: ``C`` -> validation accuracy, for every ``C`` tried.
    """

    model: object
    C: float
    valid_scores: dict

    def predict(self, X) -> np.ndarray:
        return self.model.predict(np.asarray(X, dtype=np.float64))

    def decision_function(self, X) -> np.ndarray:
        """The linear SVM's signed distances, ``(n, n_classes)`` (``(n,)`` for two classes)."""
        return self.model.decision_function(np.asarray(X, dtype=np.float64))

    @property
    def classes_(self) -> np.ndarray:
        """The labels seen in training, in the columns' order of :meth:`decision_function`."""
        return self.model.classes_


def _linear_svm(C: float, seed: int):
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import LinearSVC

    return make_pipeline(
        StandardScaler(), LinearSVC(C=C, max_iter=20000, random_state=seed)
    )


def fit_linear_probe(
    X_train, y_train, X_valid, y_valid, C_grid: Sequence[float] = C_GRID, seed: int = 0
) -> LinearProbe:
    """Fit a linear SVM for each ``C`` on the training clips; keep the best on the validation clips.

    Ties go to the smaller ``C`` (the stronger regularisation). The kept model is the one fitted on
    the training clips only: the validation clips choose, they do not train.

    Notebook: ``11_transfer_learning.ipynb``.
    """
    X_train = np.asarray(X_train, dtype=np.float64)
    X_valid = np.asarray(X_valid, dtype=np.float64)
    best, scores = None, {}
    for C in sorted(C_grid):
        model = _linear_svm(C, seed).fit(X_train, y_train)
        scores[C] = float(np.mean(model.predict(X_valid) == np.asarray(y_valid)))
        if best is None or scores[C] > scores[best[0]]:
            best = (C, model)
    return LinearProbe(model=best[1], C=best[0], valid_scores=scores)


def label_subset(
    labels: Sequence[int], fraction: float, seed: int = 0, min_per_class: int = 2
) -> np.ndarray:
    """Indices of a class-stratified random ``fraction`` of the training clips.

    Each class keeps ``round(fraction * its count)`` clips, at least ``min_per_class`` (the
    descriptor SVM's probability calibration needs two per class) and at most all of them.
    Nested: with one ``seed``, a smaller fraction's clips are among a larger one's.

    Notebook: ``11_transfer_learning.ipynb``.
    """
    if not 0 < fraction <= 1:
        raise ValueError(f"fraction must be in (0, 1], got {fraction}")
    labels = np.asarray(labels)
    rng = np.random.default_rng(seed)
    keep = []
    for c in np.unique(labels):
        idx = np.flatnonzero(labels == c)
        order = idx[rng.permutation(len(idx))]
        n = min(len(idx), max(min_per_class, int(round(fraction * len(idx)))))
        keep.extend(order[:n].tolist())
    return np.array(sorted(keep), dtype=int)


def zero_shot(
    tag_probs: np.ndarray,
    tags: Sequence[str],
    genre_tags: Mapping[str, str] = GENRE_TAGS,
    genres: Sequence[str] = GENRES,
) -> tuple[np.ndarray, list[str]]:
    """Predict a genre with no training: the genre whose MSD tag the network finds most likely.

    Only the genres of ``genre_tags`` can be predicted, so score it on clips of those genres.

    Notebook: ``11_transfer_learning.ipynb``.

    Args:
        tag_probs: ``(n_clips, n_tags)`` tag probabilities (the mean over each clip's patches).
        tags: The model's tag names, in output order.
        genre_tags: Genre -> tag.
        genres: The label order (predictions are indices into it).

    Returns:
        ``(predicted label per clip, the genres that can be predicted)``.
    """
    names = [g for g in genres if g in genre_tags]
    cols = [list(tags).index(genre_tags[g]) for g in names]
    best = np.asarray(tag_probs)[:, cols].argmax(axis=1)
    return np.array([genres.index(names[b]) for b in best], dtype=int), names


FROM_SCRATCH = ("04_costa_cnn", "05_nakashika_glcm_cnn", "06_zhang_cnn", "07_raw_audio")
"""The chapters whose networks are trained from scratch on the book's clips (chapters 4-7)."""


def best_from_scratch(
    results_dir=None,
    *,
    dataset: str,
    params: Mapping | None = None,
    chapters: Sequence[str] = FROM_SCRATCH,
    families: Sequence[str] = ("spectrogram CNN", "raw audio"),
) -> tuple[str, str, dict] | None:
    """The from-scratch CNN of chapters 4-7 with the best **validation** accuracy, from their records.

    Only the records of ``dataset`` whose run completed are read
    (:func:`mgr_utils.results.read_record`). Only systems of ``families`` measured on
    ``dataset`` whose recorded parameters agree with ``params`` (where both hold a key) are
    candidates, as in :func:`mgr_utils.evaluation.recorded_baseline`; choosing by test
    accuracy would flatter it. A network fused with another classifier (chapter 4's
    ``costa_cnn_x_lbp_product``: a name with ``_x_``, or a protocol that says "fused") is not
    a CNN alone and is left out. Ties go to the earlier chapter.

    Notebook: ``11_transfer_learning.ipynb``.

    Returns:
        ``(chapter, system, result)``, or ``None`` when no complete record holds a candidate.
    """
    from mgr_utils.results import read_record

    best = None
    for chapter in chapters:
        record = read_record(chapter, dataset, results_dir)
        if record is None:
            continue
        for name, r in record.get("systems", {}).items():
            if r.get("family") not in families or r.get("valid_accuracy") is None:
                continue
            if "_x_" in name or "fused" in str(r.get("protocol", "")):
                continue
            if r.get("dataset") != dataset:
                continue
            recorded = r.get("params") or {}
            if any(
                recorded[k] != v for k, v in (params or {}).items() if k in recorded
            ):
                continue
            if best is None or r["valid_accuracy"] > best[2]["valid_accuracy"]:
                best = (chapter, name, r)
    return best
