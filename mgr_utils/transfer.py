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

EMBEDDING_LAYERS = ("tags", "penultimate", "mean_pool", "max_pool")
"""What is kept per patch: the 50 tag probabilities, the 200-unit penultimate layer, and the back
end's mean and max over time of the 753 front- and mid-end features."""

EMBEDDINGS_VERSION = "1"
"""Part of the cache key of the embeddings: bumped when :func:`musicnn_embeddings` changes output."""

GENRE_TAGS: dict[str, tuple[str, ...]] = {
    "hiphop": ("hip-hop", "hip hop", "Hip-Hop", "HipHop", "rap"),
    "rnb": ("r&b", "R'n'B", "rhythm and blues"),
}
"""Synonyms of a class name for zero-shot, fixed in advance (chapter 11).

A class reads the tag of the same name, compared after :func:`normalise_name` (case,
spaces and punctuation ignored: ``hip-hop``, ``hiphop`` and ``Hip-Hop`` are one name);
only when no tag has its name does it try the names of its synonym group here (the key
and its values). Nothing else is matched: a class with no such tag is left out of
zero-shot, and the chapter says which."""


def normalise_name(name: str) -> str:
    """A class or tag name for matching: lower case, "&" read "and", only letters and digits.

    ``"Hip-Hop"``, ``"hip hop"`` and ``"hiphop"`` all give ``"hiphop"``; ``"Drum & Bass"``
    gives ``"drumandbass"``.

    Notebook: ``11_transfer_learning.ipynb``.
    """
    import re

    return re.sub(r"[^0-9a-z]", "", str(name).lower().replace("&", "and"))


def genre_tags(
    classes: Sequence[str],
    tags: Sequence[str],
    synonyms: Mapping[str, Sequence[str]] = GENRE_TAGS,
) -> tuple[dict[str, str], list[str]]:
    """Which tag of a tagger each class reads in zero-shot, and which classes have none.

    Case-insensitive, by :func:`normalise_name`: first the tag of the class's own name,
    then (only if there is none) a tag named by one of the class's synonyms in
    ``synonyms`` (:data:`GENRE_TAGS`), in sorted order. The rule is fixed in advance; it
    never looks at audio or labels.

    Notebook: ``11_transfer_learning.ipynb``.

    Args:
        classes: The data's classes (``clips.classes``).
        tags: The model's tag names, in output order.
        synonyms: Groups of names that mean one class: key -> other names.

    Returns:
        ``({class: tag}, [classes with no tag])``, both in class order.
    """
    by_name: dict[str, str] = {}
    for t in tags:
        by_name.setdefault(normalise_name(t), t)
    groups = [{normalise_name(k), *map(normalise_name, v)} for k, v in synonyms.items()]
    mapping, missing = {}, []
    for c in classes:
        n = normalise_name(c)
        others = sorted({x for g in groups if n in g for x in g} - {n})
        tag = next((by_name[x] for x in [n, *others] if x in by_name), None)
        if tag is None:
            missing.append(c)
        else:
            mapping[c] = tag
    return mapping, missing


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


def label_subsets(
    labels: Sequence[int], fractions: Sequence[float], seed: int = 0
) -> dict[float, np.ndarray]:
    """:func:`label_subset` for each fraction, in increasing order, one per distinct subset.

    On a small collection two fractions can give the same clips (each class keeps at
    least two): only the smallest of them is kept, so that no row is measured twice.

    Notebook: ``11_transfer_learning.ipynb``.

    Returns:
        ``{fraction: indices}``.
    """
    out: dict[float, np.ndarray] = {}
    for fraction in sorted(fractions):
        rows = label_subset(labels, fraction, seed=seed)
        if not any(np.array_equal(rows, kept) for kept in out.values()):
            out[fraction] = rows
    return out


def tag_sentence(mapping: Mapping[str, str], no_tag: Sequence[str], model: str) -> str:
    """Which classes have a tag of the model, and which have none (Markdown, for the page).

    Notebook: ``11_transfer_learning.ipynb``.

    Args:
        mapping, no_tag: What :func:`genre_tags` returns.
        model: The model's name.
    """
    n = len(mapping) + len(no_tag)
    if not mapping:
        return f"none of the {n} classes ({', '.join(no_tag)}) has a tag of {model}"
    have = ", ".join(f"{c} (`{t}`)" for c, t in mapping.items())
    text = f"{len(mapping)} of the {n} classes have a tag of {model}: {have}"
    if no_tag:
        verb = "has" if len(no_tag) == 1 else "have"
        text += f"; {', '.join(no_tag)} {verb} none and {'is' if len(no_tag) == 1 else 'are'} left out"
    return text


def tag_prior(tag_probs: np.ndarray) -> np.ndarray:
    """Each tag's mean probability over clips: the zero-shot normalisation's divisor.

    Computed on the **training** clips' audio (their labels are not read), so that
    nothing about it is fitted on the test clips.

    Notebook: ``11_transfer_learning.ipynb``.

    Args:
        tag_probs: ``(n_clips, n_tags)``, each clip's mean over its patches.

    Returns:
        ``(n_tags,)``, floored at 1e-6.
    """
    tag_probs = np.asarray(tag_probs, dtype=np.float64)
    if tag_probs.ndim != 2 or not len(tag_probs):
        raise ValueError(f"tag_probs must be (n_clips, n_tags), got {tag_probs.shape}")
    return np.maximum(tag_probs.mean(axis=0), 1e-6)


def zero_shot(
    tag_probs: np.ndarray,
    tags: Sequence[str],
    classes: Sequence[str],
    mapping: Mapping[str, str | Sequence[str]] | None = None,
    prior: np.ndarray | None = None,
) -> tuple[np.ndarray, list[str]]:
    """Predict a class with no training: the class whose tag the network finds most likely.

    A tagger's tags differ in how often they fire at all (a common tag is likely on
    most clips), so each tag's probability can be divided by its ``prior``, its mean on
    the training clips (:func:`tag_prior`): the class is then the one whose tag is most
    above its usual level. A class with several tags takes the largest of their scores.
    Only the classes of ``mapping`` can be predicted, so score it on clips of those
    classes.

    Notebook: ``11_transfer_learning.ipynb``.

    Args:
        tag_probs: ``(n_clips, n_tags)`` tag probabilities (the mean over each clip's
            patches).
        tags: The model's tag names, in output order.
        classes: The label order (predictions are indices into it).
        mapping: Class -> tag, or tags (``None``: :func:`genre_tags`).
        prior: ``(n_tags,)`` divisors (``None``: the raw probabilities).

    Returns:
        ``(predicted label per clip, the classes that can be predicted)``.

    Raises:
        ValueError: Fewer than two classes have a tag.
    """
    classes = list(classes)
    if mapping is None:
        mapping = genre_tags(classes, tags)[0]
    names = [c for c in classes if c in mapping]
    if len(names) < 2:
        raise ValueError(
            f"zero-shot needs two classes with a tag, got {names or 'none'} of {classes}"
        )
    P = np.asarray(tag_probs, dtype=np.float64)
    if prior is not None:
        P = P / np.asarray(prior, dtype=np.float64)
    tag_list = list(tags)
    scores = np.stack(
        [
            np.max(P[:, [tag_list.index(t) for t in _as_tuple(mapping[c])]], axis=1)
            for c in names
        ],
        axis=1,
    )
    best = scores.argmax(axis=1)
    return np.array([classes.index(names[b]) for b in best], dtype=int), names


def _as_tuple(tags: str | Sequence[str]) -> tuple[str, ...]:
    return (tags,) if isinstance(tags, str) else tuple(tags)


def zero_shot_spread(
    y_true: Sequence[int],
    predictions: Mapping[str, Sequence[int]],
    classes: Sequence[str],
    names: Sequence[str],
) -> str:
    """Where the zero-shot predictions go: per class, its test clips and how many each rule
    predicts it, as a Markdown table with a closing sentence on the most predicted class.

    Notebook: ``11_transfer_learning.ipynb``.

    Args:
        y_true: The clips' labels (indices into ``classes``).
        predictions: Rule name -> predicted labels (indices into ``classes``).
        classes: The label order.
        names: The classes that can be predicted, in table order.
    """
    from collections import Counter

    y_true = np.asarray(y_true)
    counts = {rule: Counter(np.asarray(p).tolist()) for rule, p in predictions.items()}
    head = " | ".join(f"predicted, {rule}" for rule in predictions)
    rows = [f"| class | test clips | {head} |", "|---" * (2 + len(predictions)) + "|"]
    for c in names:
        k = list(classes).index(c)
        cells = " | ".join(str(counts[r][k]) for r in predictions)
        rows.append(f"| {c} | {int(np.sum(y_true == k))} | {cells} |")
    parts = [f"{rule}: {most_predicted(p, classes)}" for rule, p in predictions.items()]
    return "\n".join(rows) + "\n\nThe most predicted class, " + "; ".join(parts) + "."


def most_predicted(pred: Sequence[int], classes: Sequence[str]) -> str:
    """``"72 of 105 clips to *jazz*"``: how many clips go to the most predicted class.

    Notebook: ``11_transfer_learning.ipynb``.
    """
    from collections import Counter

    k, top = Counter(np.asarray(pred).tolist()).most_common(1)[0]
    return f"{top} of {len(pred)} clips to *{classes[k]}*"


def fit_rbf_svm(
    X_train,
    y_train,
    X_valid,
    y_valid,
    C_grid: Sequence[float] | None = None,
    gamma_grid: Sequence | None = None,
) -> LinearProbe:
    """Chapter 3's descriptor SVM (standardised, RBF) with ``C`` and ``gamma`` chosen on the
    validation clips, as :func:`fit_linear_probe` chooses the probe's ``C``.

    Chapter 11's label-fraction comparison gives both systems the same labelled data to
    choose their settings on: the labelled training clips fit, the validation clips
    choose. Ties go to the earlier point of the grid (``C`` ascending, then ``gamma`` in
    the grid's order). No probability calibration: the prediction is the SVM's own.

    Notebook: ``11_transfer_learning.ipynb``.

    Args:
        X_train, y_train, X_valid, y_valid: Descriptor vectors and labels.
        C_grid, gamma_grid: The grid (``None``: :data:`mgr_utils.classical.C_GRID` and
            :data:`~mgr_utils.classical.GAMMA_GRID`, chapter 3's).

    Returns:
        A :class:`LinearProbe`-like result: ``model``, ``C`` (the chosen ``(C, gamma)``)
        and ``valid_scores`` per grid point.
    """
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC

    from mgr_utils import classical

    C_grid = classical.C_GRID if C_grid is None else C_grid
    gamma_grid = classical.GAMMA_GRID if gamma_grid is None else gamma_grid
    X_train = np.asarray(X_train, dtype=np.float64)
    X_valid = np.asarray(X_valid, dtype=np.float64)
    best, scores = None, {}
    for C in sorted(C_grid):
        for gamma in gamma_grid:
            model = make_pipeline(StandardScaler(), SVC(C=C, gamma=gamma))
            model.fit(X_train, y_train)
            score = float(np.mean(model.predict(X_valid) == np.asarray(y_valid)))
            scores[(C, gamma)] = score
            if best is None or score > scores[best[0]]:
                best = ((C, gamma), model)
    return LinearProbe(model=best[1], C=best[0], valid_scores=scores)


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


# ------------------------------------------------------------------------------------
# The page's tables and figures (chapter 11)
# ------------------------------------------------------------------------------------


def checkpoint_table(model, names: Mapping[str, str] | None = None) -> str:
    """Which checkpoint scope filled each Keras layer, with the weights' shapes (Markdown).

    Notebook: ``11_transfer_learning.ipynb``.

    Args:
        model: The pre-trained Keras musicnn (:func:`mgr_utils.models.pretrained_musicnn`).
        names: Keras layer -> checkpoint scope (``None``:
            :data:`mgr_utils.models.musicnn.CHECKPOINT_NAMES`).
    """
    if names is None:
        from mgr_utils.models.musicnn import CHECKPOINT_NAMES as names
    rows = ["| Keras layer | checkpoint scope | weights |", "|---|---|---|"]
    for layer_name, scope in names.items():
        weights = model.get_layer(layer_name).get_weights()
        shapes = " + ".join("×".join(map(str, w.shape)) for w in weights)
        rows.append(f"| `{layer_name}` | `{scope}` | {shapes} |")
    return "\n".join(rows)


def probe_table(
    probes: Mapping[str, LinearProbe], dims: Mapping[str, int], chosen: str
) -> str:
    """The embeddings tried, each with its best ``C`` and validation accuracy (Markdown).

    Notebook: ``11_transfer_learning.ipynb``.

    Args:
        probes: Embedding name -> its probe (:func:`fit_linear_probe`).
        dims: Embedding name -> its length.
        chosen: The embedding kept (marked).
    """
    rows = [
        "| embedding | dimensions | best C on validation | validation clip accuracy |",
        "|---|---|---|---|",
    ]
    for name, p in probes.items():
        mark = " (chosen)" if name == chosen else ""
        rows.append(
            f"| {name}{mark} | {dims[name]} | {p.C:g} | {p.valid_scores[p.C]:.1%} |"
        )
    return "\n".join(rows)


def clips_label(n: int, n_total: int) -> str:
    """``"20 (17 %)"``: a number of labelled training clips and its share of all of them.

    Notebook: ``11_transfer_learning.ipynb``.
    """
    return f"{n} ({n / n_total:.0%})".replace("%)", " %)")


def _verdict_cell(c: Mapping, labels: Mapping[str, str]) -> str:
    from mgr_utils.comparison import CANNOT_TELL, format_p

    if c.get("test") == "not compared":
        return f"not compared: {c['reason']}"
    verdict = c["verdict"]
    for system, label in labels.items():
        verdict = verdict.replace(f"{system} ahead", f"{label} ahead")
    if verdict == CANNOT_TELL:
        verdict = f"**{CANNOT_TELL}**"
    counts = (c["a_only"], c["b_only"])
    if c["verdict"] == f"{c['b']} ahead":  # the winner's clips first
        counts = counts[::-1]
    only = f"{counts[0]} vs {counts[1]} discordant clips"
    return f"{verdict} ({format_p(c['p'])}; {only})"


def fraction_table(curve: Sequence[Mapping], n_train: int, n_valid: int) -> str:
    """Chapter 11's label-fraction rows as Markdown: each row labelled by its clip count.

    Both systems fit on the same labelled training clips and choose their settings on
    the same validation clips; each row's verdict is the exact McNemar test on the same
    test clips.

    Notebook: ``11_transfer_learning.ipynb``.

    Args:
        curve: One entry per row: ``"n_train_clips"``, ``"musicnn_probe"`` and
            ``"descriptor_svm"`` (test accuracies), ``"n_test"``, ``"comparison"``
            (:func:`mgr_utils.comparison.compare_results` of ``musicnn_probe`` and
            ``descriptor_svm``).
        n_train: The training clips in all (the rows' shares are of these).
        n_valid: The validation clips both systems chose their settings on.
    """
    from mgr_utils.evaluation import wilson_interval

    rows = [
        "| labelled training clips (share) | musicnn + linear SVM "
        "| descriptors + RBF SVM | exact McNemar, same test clips |",
        "|---|---|---|---|",
    ]
    labels = {"musicnn_probe": "musicnn", "descriptor_svm": "descriptors"}
    for r in curve:
        n_test = r["n_test"]
        cells = []
        for system in ("musicnn_probe", "descriptor_svm"):
            lo, hi = wilson_interval(r[system], n_test)
            cells.append(f"{r[system]:.1%} [{lo:.0%}, {hi:.0%}]")
        rows.append(
            f"| {clips_label(r['n_train_clips'], n_train)} | {cells[0]} | {cells[1]} "
            f"| {_verdict_cell(r['comparison'], labels)} |"
        )
    n_test = curve[0]["n_test"] if curve else 0
    return "\n".join(rows) + (
        f"\n\nEach row: both systems fit on the same labelled training clips and "
        f"choose their settings (the probe's `C`; the SVM's `C` and `γ`) on the same "
        f"{n_valid} validation clips; {n_test} test clips, scored once; in brackets, "
        "the 95 % Wilson interval."
    )


def plot_label_curve(
    curve: Sequence[Mapping],
    n_train: int,
    n_classes: int,
    model_name: str = "MSD_musicnn",
    cnn: tuple[str, float] | None = None,
    ax=None,
):
    """Test accuracy against the labelled training clips, both systems and chance.

    The x axis counts **clips** (its tick labels add each count's share of the
    ``n_train`` training clips: the smallest share keeps two clips per class, so it is
    more than asked).

    Notebook: ``11_transfer_learning.ipynb``.

    Args:
        curve: As for :func:`fraction_table`.
        n_train: The training clips in all.
        n_classes: The number of classes (chance = 1 / n_classes).
        model_name: The pre-trained model, for the legend.
        cnn: ``(display name, test accuracy)`` of the best from-scratch CNN, drawn at
            all the labels (``None``: not drawn).

    Returns:
        The axes.
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4))
    n = [r["n_train_clips"] for r in curve]
    ax.plot(
        n,
        [r["musicnn_probe"] for r in curve],
        "o-",
        label=f"{model_name} embedding + linear SVM",
    )
    ax.plot(
        n, [r["descriptor_svm"] for r in curve], "s--", label="descriptors + RBF SVM"
    )
    if cnn is not None:
        ax.plot(
            [n_train], [cnn[1]], "k^", ms=9, label=f"best from-scratch CNN: {cnn[0]}"
        )
    ax.axhline(
        1 / n_classes, color="grey", lw=0.8, ls=":", label=f"chance (1/{n_classes})"
    )
    ax.set_xticks(n, [clips_label(k, n_train).replace(" (", "\n(") for k in n])
    ax.set(
        xlabel=f"labelled training clips (share of the {n_train})",
        ylabel="test clip accuracy",
        ylim=(0, 1.02),
        title="Accuracy against the number of labelled clips",
    )
    ax.legend(fontsize=8)
    return ax


def plot_taggram(
    S: np.ndarray,
    taggram: np.ndarray,
    tags: Sequence[str],
    top: Sequence[int],
    hop_frames: int,
    title: str = "",
    model_name: str = "MSD_musicnn",
    frame_seconds: float = 256 / 16000,
):
    """musicnn's input and its taggram over one clip, each with its colour bar.

    Notebook: ``11_transfer_learning.ipynb``.

    Args:
        S: The clip's log-mel spectrogram ``(frames, 96)``
            (:func:`mgr_utils.features.musicnn_logmel`).
        taggram: ``(patches, n_tags)`` tag probabilities, one row per patch.
        tags: The tag names.
        top: The tags drawn, in order (rows from the top).
        hop_frames: Frames between two patches' starts.
        title: The clip, for the titles.
        model_name: The model, for the title.
        frame_seconds: Seconds per frame (16 ms).

    Returns:
        The two axes.
    """
    import matplotlib.pyplot as plt

    top = list(top)
    fig, axes = plt.subplots(
        2, 1, figsize=(11, 6.5), gridspec_kw={"height_ratios": [1, 1.2]}
    )
    im = axes[0].imshow(
        np.asarray(S).T,
        origin="lower",
        aspect="auto",
        cmap="magma",
        extent=(0, len(S) * frame_seconds, 0, np.shape(S)[1]),
    )
    axes[0].set(
        title=f"{title}: musicnn's input, log10(1 + 10000 mel), 16 kHz",
        ylabel="mel band",
        xlabel="time (s)",
    )
    fig.colorbar(im, ax=axes[0], label="log10(1 + 10000 · mel power)", fraction=0.03)
    im = axes[1].imshow(
        np.asarray(taggram)[:, top].T,
        aspect="auto",
        cmap="viridis",
        vmin=0,
        vmax=1,
        extent=(0, len(taggram) * hop_frames * frame_seconds, len(top) - 0.5, -0.5),
    )
    axes[1].set_yticks(range(len(top)), [tags[i] for i in top])
    axes[1].set(
        title=f"taggram of {model_name}: its {len(top)} most likely tags over the clip",
        xlabel="start of the 3 s patch (s)",
        ylabel="tag",
    )
    fig.colorbar(im, ax=axes[1], label="tag probability", fraction=0.03)
    fig.tight_layout()
    return axes


def plot_embedding_maps(
    maps: Sequence[tuple[np.ndarray, str]],
    y: np.ndarray,
    classes: Sequence[str],
    seed: int = 0,
):
    """Each clip's vectors on their first two principal components, one colour per class.

    Notebook: ``11_transfer_learning.ipynb``.

    Args:
        maps: ``(X, title)`` per panel: ``X`` is ``(n_clips, dim)``, standardised here.
        y: The clips' labels (indices into ``classes``).
        classes: The class names (the legend).
        seed: The PCA's seed.

    Returns:
        The row of axes.
    """
    import matplotlib.pyplot as plt
    from sklearn.decomposition import PCA
    from sklearn.preprocessing import StandardScaler

    y = np.asarray(y)
    fig, axes = plt.subplots(1, len(maps), figsize=(6 * len(maps), 5), squeeze=False)
    cmap = plt.get_cmap("tab10" if len(classes) <= 10 else "tab20")
    for ax, (X, title) in zip(axes[0], maps):
        pca = PCA(n_components=2, random_state=seed)
        Z = pca.fit_transform(StandardScaler().fit_transform(X))
        for g in np.unique(y):
            ax.scatter(*Z[y == g].T, s=12, color=cmap(int(g)), label=classes[g])
        share = pca.explained_variance_ratio_
        ax.set(
            title=title,
            xlabel=f"PC 1 ({share[0]:.0%} of the variance; no unit)",
            ylabel=f"PC 2 ({share[1]:.0%})",
            xticks=[],
            yticks=[],
        )
    axes[0, -1].legend(fontsize=8, loc="center left", bbox_to_anchor=(1, 0.5))
    fig.tight_layout()
    return axes[0]
