"""Deconvolution with switches and auralisation: listening to what a CNN's feature maps select.

Choi, Fazekas & Sandler (2016) follow Zeiler & Fergus (2014): a feature map at depth *d* is
projected back to the input spectrogram by running the network **backwards**, and the result is
made audible with the original STFT's phase. What this module does, in the order of the chapter:

1. :func:`forward_with_switches`: the forward pass through the conv blocks, recording at each
   2 × 2 max-pooling **where each maximum came from** (the *switches*).
2. For one feature map at depth *d*: keep it, zero the others, then for each block from *d* down to
   1: :func:`unpool` with that block's switches, ReLU, :func:`transposed_conv` with the block's
   own kernels (flipped, input and output channels swapped), no biases, and no ReLU after the last
   one (:func:`deconvolve`). This is what ``get_deconve_mask`` of ``keunwoochoi/Auralisation``
   does in NumPy ([C]); here the convolutions are TensorFlow's, the unpooling NumPy's, and whole
   batches of maps go down at once.
3. :func:`auralise_mask` (the released code: the deconvolved map multiplies the original complex
   STFT) or :func:`auralise_magnitude` (the paper's listing: the deconvolved map as a magnitude,
   with the original phase), then :func:`inverse_stft`.
4. :func:`picture_measures`: three crude numbers (centroid, edge ratio, fill) behind the chapter's
   automatic reading of what a map seems to select.
5. The invariance study: :func:`model_signals` (instruments × chord types × keys),
   :func:`pair_correlations` and :func:`invariance_correlations`, the average correlation between
   the deconvolved outputs of signals that differ in one factor only (key, chord or instrument).

Tensors are channels-last, as Keras: a batch of spectrograms is ``(batch, frequency, time, 1)``,
a conv kernel ``(3, 3, channels in, channels out)``.

Notebook: ``09_auralisation.ipynb``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations

import numpy as np

# --------------------------------------------------------------------------------------------
# The network's kernels and the forward pass with switches
# --------------------------------------------------------------------------------------------


def conv_kernels(
    model, depth: int | None = None
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """The kernels and biases of a model's layers ``conv1``, ``conv2``, ... (``depth`` of them).

    Notebook: ``09_auralisation.ipynb``.

    Args:
        model: A Keras model with conv layers named ``conv1`` ... (:func:`mgr_utils.models.choi.choi_cnn`).
        depth: How many (``None``: all that exist).

    Returns:
        ``(kernels, biases)``: lists of ``(3, 3, c_in, c_out)`` and ``(c_out,)`` arrays, bottom first.

    Raises:
        ValueError: The model has fewer than ``depth`` such layers.
    """
    names = [layer.name for layer in model.layers]
    n = 0
    while f"conv{n + 1}" in names:
        n += 1
    depth = n if depth is None else depth
    if depth < 1 or depth > n:
        raise ValueError(
            f"depth must be between 1 and {n} (the model's conv layers conv1..conv{n}), got {depth}"
        )
    kernels, biases = [], []
    for i in range(1, depth + 1):
        W, b = model.get_layer(f"conv{i}").get_weights()
        kernels.append(np.asarray(W, dtype=np.float32))
        biases.append(np.asarray(b, dtype=np.float32))
    return kernels, biases


def max_pool_with_switches(x):
    """2 × 2 max-pooling with stride 2 that also returns the **switches**: where each maximum was.

    A switch is the position of the maximum in the map before pooling, flattened per example:
    ``(row * width + column) * channels + channel`` (TensorFlow's ``max_pool_with_argmax``).
    Choi's code stores the same thing as a 0/1 matrix of the map's size. A trailing odd row or
    column is dropped, as in Choi's code (257 rows → 128).

    Notebook: ``09_auralisation.ipynb``.

    Args:
        x: ``(batch, height, width, channels)``.

    Returns:
        ``(pooled, switches)``, both ``(batch, height // 2, width // 2, channels)``.
    """
    import tensorflow as tf

    return tf.nn.max_pool_with_argmax(x, ksize=2, strides=2, padding="VALID")


@dataclass
class Forward:
    """What :func:`forward_with_switches` records, one entry per block (bottom first).

    Attributes:
        maps: The pooled feature maps of each block, NumPy ``(batch, h, w, channels)``: depth
            *d*'s maps are ``maps[d - 1]``.
        switches: Each pooling's switches (NumPy integers), shaped as its output.
        shapes: Each block's map shape **before** pooling, ``(height, width, channels)``.

    Notebook: ``09_auralisation.ipynb``.
    """

    maps: list
    switches: list
    shapes: list


def forward_with_switches(
    x, kernels: Sequence, biases: Sequence | None = None
) -> Forward:
    """The forward pass through the conv blocks (conv 3×3 "same", ReLU, max-pool 2×2), with switches.

    ``len(kernels)`` blocks are run; the dense layers are not needed. With the model's ``biases``
    the pooled maps are exactly those of the trained network at inference (no dropout); Choi's
    NumPy re-implementation leaves the biases out of this pass too ([C]): pass ``biases=None``
    to do the same.

    Notebook: ``09_auralisation.ipynb``.

    Args:
        x: Input spectrograms, ``(batch, frequency, time, 1)``.
        kernels: One ``(3, 3, c_in, c_out)`` kernel per block, bottom first (:func:`conv_kernels`).
        biases: One bias vector per block, or ``None``.

    Returns:
        A :class:`Forward`.
    """
    import tensorflow as tf

    x = tf.convert_to_tensor(np.asarray(x, dtype=np.float32))
    out = Forward([], [], [])
    for i, W in enumerate(kernels):
        x = tf.nn.conv2d(x, W, strides=1, padding="SAME")
        if biases is not None:
            x = x + biases[i]
        x = tf.nn.relu(x)
        out.shapes.append(tuple(int(s) for s in x.shape[1:]))
        x, s = max_pool_with_switches(x)
        out.maps.append(np.asarray(x))
        out.switches.append(
            np.asarray(s, dtype=np.int32)
        )  # positions within one example fit in 32 bits
    return out


def forward_in_batches(
    x, kernels: Sequence, biases: Sequence | None = None, batch_size: int = 32
) -> Forward:
    """:func:`forward_with_switches` over ``batch_size`` examples at a time, joined: the same record.

    The first block's maps before pooling are the largest tensor of the pass (all 257 × 173
    positions of every map); batches keep them small when many signals go through a wide network.

    Notebook: ``09_auralisation.ipynb``.
    """
    x = np.asarray(x, dtype=np.float32)
    step = max(1, int(batch_size))
    parts = [
        forward_with_switches(x[i : i + step], kernels, biases)
        for i in range(0, len(x), step)
    ]
    return Forward(
        [np.concatenate([p.maps[d] for p in parts]) for d in range(len(kernels))],
        [np.concatenate([p.switches[d] for p in parts]) for d in range(len(kernels))],
        parts[0].shapes,
    )


# --------------------------------------------------------------------------------------------
# Going back down: unpooling and the transposed convolution
# --------------------------------------------------------------------------------------------


def unpool(y: np.ndarray, switches: np.ndarray, shape: Sequence[int]) -> np.ndarray:
    """Undo a max-pooling with its switches: each value goes back where its maximum came from.

    The output has the map's shape before pooling; every position that was not a maximum (and
    the row or column the pooling dropped) is zero. Choi's code does the same with a 0/1 switch
    matrix: upsample each value to its 2 × 2 window, multiply by the matrix.

    Notebook: ``09_auralisation.ipynb``.

    Args:
        y: ``(batch, h, w, channels)``: values to put back (the pooled map, or a signal going down).
        switches: The switches of that pooling (:func:`max_pool_with_switches`), shaped as ``y``.
        shape: ``(height, width, channels)`` before pooling.

    Returns:
        float32 ``(batch, height, width, channels)``.
    """
    y = np.asarray(y, dtype=np.float32)
    batch = y.shape[0]
    out = np.zeros((batch, int(np.prod(shape))), dtype=np.float32)
    positions = np.asarray(switches, dtype=np.int64).reshape(
        batch, -1
    )  # where, within one example
    np.put_along_axis(out, positions, y.reshape(batch, -1), axis=1)
    return out.reshape(batch, *shape)


def transposed_conv(y, W):
    """The transposed convolution of a 3 × 3 "same" conv layer: back from its output to its input.

    The forward layer correlates its input with ``W`` (``(3, 3, c_in, c_out)``). Its transpose
    correlates with the **same kernels flipped** in both axes, with **input and output channels
    swapped** (``(3, 3, c_out, c_in)``): each output value is spread back over the 3 × 3 input
    positions it was computed from, weighted by the same numbers. It is the gradient of the
    convolution with respect to its input (the test suite checks this). No bias is added.

    Notebook: ``09_auralisation.ipynb``.

    Args:
        y: ``(batch, height, width, c_out)``.
        W: The forward layer's kernel, ``(k, k, c_in, c_out)`` with ``k`` odd.

    Returns:
        ``(batch, height, width, c_in)``.
    """
    import tensorflow as tf

    W_flipped = np.asarray(W)[::-1, ::-1]  # flip rows and columns
    W_swapped = np.transpose(W_flipped, (0, 1, 3, 2))  # c_in <-> c_out
    return tf.nn.conv2d(y, np.ascontiguousarray(W_swapped), strides=1, padding="SAME")


def deconvolve(top: np.ndarray, forward: Forward, kernels: Sequence) -> np.ndarray:
    """Project maps at depth ``len(kernels)`` back to the input: unpool, ReLU, transposed conv, down to 1.

    ``top`` holds, for each example, the depth-*d* pooled maps to project, usually all zero but
    one (:func:`deconvolve_maps` builds it). At each block from *d* down to 1: :func:`unpool`
    with the block's switches, ReLU, :func:`transposed_conv` with the block's kernels. No biases,
    and no ReLU after the last step: the result can be negative (Choi's ``get_deconve_mask``).

    Notebook: ``09_auralisation.ipynb``.

    Args:
        top: ``(batch, h, w, channels)`` at depth ``d = len(kernels)``.
        forward: The forward pass that recorded the switches; its batch must match ``top``'s.
        kernels: The kernels of blocks 1 to *d*, bottom first.

    Returns:
        float32 ``(batch, frequency, time)``: the deconvolved spectrograms.
    """
    x = np.asarray(top, dtype=np.float32)
    for i in reversed(range(len(kernels))):
        x = unpool(x, forward.switches[i], forward.shapes[i])
        x = np.maximum(x, 0.0)  # ReLU
        x = np.asarray(transposed_conv(x, kernels[i]))
    return x[..., 0]


def _select_maps(
    forward: Forward, depth: int, example: Sequence[int], maps: Sequence[int]
) -> Forward:
    """The forward record of the listed examples (repeats allowed), with all maps but one zeroed at ``depth``."""
    example = np.asarray(example, dtype=np.int64)
    fw = Forward(
        [m[example] for m in forward.maps[:depth]],
        [s[example] for s in forward.switches[:depth]],
        forward.shapes[:depth],
    )
    top = fw.maps[depth - 1]
    keep = np.zeros((len(example), top.shape[-1]), dtype=top.dtype)
    keep[np.arange(len(example)), np.asarray(maps, dtype=np.int64)] = 1.0
    fw.maps[depth - 1] = top * keep[:, None, None, :]  # keep one map, zero the others
    return fw


def deconvolve_maps(
    forward: Forward,
    kernels: Sequence,
    depth: int,
    maps: Sequence[int],
    batch_size: int = 32,
) -> np.ndarray:
    """Deconvolve feature maps ``maps`` of depth ``depth`` for every example of a forward pass.

    Notebook: ``09_auralisation.ipynb``.

    Args:
        forward: :func:`forward_with_switches` on a batch of ``n`` spectrograms.
        kernels: The kernels of blocks 1 to at least ``depth``.
        depth: The block (1 = the first) whose pooled maps are projected.
        maps: Which maps of that block.
        batch_size: Examples × maps projected at once (memory: each holds the block-1 maps).

    Returns:
        float32 ``(n, len(maps), frequency, time)``.

    Raises:
        ValueError: ``depth`` outside the forward pass, or a map index outside the block.
    """
    if not 1 <= depth <= len(forward.maps):
        raise ValueError(
            f"depth must be between 1 and {len(forward.maps)}, got {depth}"
        )
    n_maps = int(forward.maps[depth - 1].shape[-1])
    maps = [int(m) for m in maps]
    if not maps or min(maps) < 0 or max(maps) >= n_maps:
        raise ValueError(
            f"maps must be indices between 0 and {n_maps - 1} (depth {depth}), got {maps}"
        )
    n = int(forward.maps[0].shape[0])
    pairs = [(e, m) for e in range(n) for m in maps]
    out = []
    for start in range(0, len(pairs), max(1, int(batch_size))):
        chunk = pairs[start : start + batch_size]
        fw = _select_maps(forward, depth, [e for e, _ in chunk], [m for _, m in chunk])
        out.append(deconvolve(fw.maps[depth - 1], fw, kernels[:depth]))
    D = np.concatenate(out)
    return D.reshape(n, len(maps), *D.shape[1:])


def most_active_maps(
    forward: Forward, depth: int, k: int = 1, example: int | None = None
) -> np.ndarray:
    """The ``k`` maps of block ``depth`` with the largest mean activation, most active first.

    The mean is over the pooled map's positions, of one ``example`` or (``None``) of all examples.

    Notebook: ``09_auralisation.ipynb``.
    """
    A = np.asarray(forward.maps[depth - 1])
    A = A if example is None else A[example : example + 1]
    return np.argsort(-A.mean(axis=(0, 1, 2)), kind="stable")[: int(k)]


# --------------------------------------------------------------------------------------------
# From a deconvolved spectrogram to sound
# --------------------------------------------------------------------------------------------


def inverse_stft(
    S: np.ndarray, length: int, n_fft: int = 512, hop_length: int = 256
) -> np.ndarray:
    """The signal of a complex STFT (librosa's overlap-add with the Hann window), ``length`` samples.

    Notebook: ``09_auralisation.ipynb``.
    """
    import librosa

    return librosa.istft(
        stft_matrix=S, n_fft=n_fft, hop_length=hop_length, length=int(length)
    ).astype(np.float32)


def auralise_mask(
    S: np.ndarray, D: np.ndarray, length: int, n_fft: int = 512, hop_length: int = 256
) -> np.ndarray:
    """Hear a deconvolved spectrogram as a **mask** on the original complex STFT (Choi's released code).

    ``istft(S · D)``: each time-frequency cell of the original keeps its phase and is weighted by
    the deconvolved value; a negative value flips the cell's phase by π. What sounds is the
    original's content where the map's projection is large.

    Notebook: ``09_auralisation.ipynb``.

    Args:
        S: The excerpt's complex STFT, ``(frequency, time)``.
        D: The deconvolved spectrogram, real, of the same shape.
        length: Samples of the excerpt.
        n_fft, hop_length: The STFT's size and hop.
    """
    if np.shape(S) != np.shape(D):
        raise ValueError(
            f"S and D must have the same shape, got {np.shape(S)} and {np.shape(D)}"
        )
    return inverse_stft(S * D, length, n_fft=n_fft, hop_length=hop_length)


def auralise_magnitude(
    S: np.ndarray, D: np.ndarray, length: int, n_fft: int = 512, hop_length: int = 256
) -> np.ndarray:
    """Hear a deconvolved spectrogram as a **magnitude** with the original phase (the paper's listing).

    ``istft(D · exp(i ∠S))``: the deconvolved values themselves are the magnitudes; only the phase
    comes from the original. Unlike :func:`auralise_mask`, energy the projection puts where the
    original had little is heard at full strength.

    Notebook: ``09_auralisation.ipynb``.
    """
    if np.shape(S) != np.shape(D):
        raise ValueError(
            f"S and D must have the same shape, got {np.shape(S)} and {np.shape(D)}"
        )
    return inverse_stft(
        D * np.exp(1j * np.angle(S)), length, n_fft=n_fft, hop_length=hop_length
    )


def hear_layers(
    X: np.ndarray,
    S: np.ndarray,
    n_samples: int,
    kernels: Sequence,
    biases: Sequence | None = None,
    k: int = 2,
) -> tuple[Forward, dict[int, list[tuple]]]:
    """Every layer's ``k`` most active maps on one excerpt: deconvolved, made audible, measured.

    For each block from 1 to ``len(kernels)``: the maps with the largest mean activation
    on the excerpt (:func:`most_active_maps`) are deconvolved (:func:`deconvolve_maps`),
    each projection masks the excerpt's complex STFT and is inverted to sound
    (:func:`auralise_mask`), and the STFT magnitude of that sound is kept, so that a reading
    is measured on what the player plays.

    Notebook: ``09_auralisation.ipynb``.

    Args:
        X: The network's input for the excerpt, ``(1, frequency, time, 1)``.
        S: The excerpt's complex STFT (the same framing as ``X``).
        n_samples: The excerpt's length in samples.
        kernels, biases: The conv blocks' weights (:func:`conv_kernels`): a trained
            network's, or an untrained one's for a control.
        k: Maps per layer.

    Returns:
        ``(forward, layers)``: the forward pass with switches, and per depth ``(map, D,
        heard, A)`` of each map: its deconvolved spectrogram, the sound, and the sound's
        magnitude STFT.
    """
    from mgr_utils.features.linear_stft import stft_excerpt

    fw = forward_with_switches(X, kernels, biases)
    layers = {}
    for depth in range(1, len(kernels) + 1):
        maps = most_active_maps(fw, depth, k=k)
        D = deconvolve_maps(fw, kernels, depth, maps)[0]
        layers[depth] = []
        for j, m in enumerate(maps):
            heard = auralise_mask(S, D[j], n_samples)  # what is played
            A = np.abs(stft_excerpt(heard))  # ... and measured
            layers[depth].append((int(m), D[j], heard, A))
    return fw, layers


# --------------------------------------------------------------------------------------------
# The invariance study
# --------------------------------------------------------------------------------------------


def _standardised_rows(Z: np.ndarray) -> np.ndarray:
    """Each row minus its mean, divided by its norm (float32); a constant row becomes NaN."""
    Z = np.asarray(Z, dtype=np.float32)
    Z = Z - Z.mean(axis=-1, keepdims=True)
    norm = np.linalg.norm(Z, axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(norm > 1e-12, Z / norm, np.nan).astype(np.float32)


def _pairs(factors: np.ndarray, f: int) -> list[tuple[int, int]]:
    """Pairs of signals that differ in factor ``f`` and agree in every other factor."""
    others = [g for g in range(factors.shape[1]) if g != f]
    return [
        (i, j)
        for i, j in combinations(range(len(factors)), 2)
        if factors[i, f] != factors[j, f]
        and np.array_equal(factors[i, others], factors[j, others])
    ]


def _pair_r(Z: np.ndarray, pairs: list[tuple[int, int]], chunk: int = 128):
    """Pearson correlation of each pair's outputs, per map: ``(n_pairs, n_maps)``.

    NaN marks a constant output.

    The pairs are taken ``chunk`` at a time, so that memory does not grow with their
    number (the baseline of 224 signals has 14,112 pairs).
    """
    U = _standardised_rows(Z.reshape(Z.shape[0], Z.shape[1], -1))
    i, j = np.array(pairs).T
    parts = [
        np.einsum("pmk,pmk->pm", U[i[s : s + chunk]], U[j[s : s + chunk]])
        for s in range(0, len(i), chunk)
    ]
    return np.concatenate(parts)


def _summarise(r: np.ndarray, pairs: Sequence[tuple[int, int]], n_signals: int) -> dict:
    """Mean and spread over pairs of each pair's mean over its maps; how many were undefined.

    Each defined pair's value and its two signals are kept (``"per_pair"``, ``"pairs"``,
    ``"n_signals"``) for :func:`gap_interval`'s bootstrap over signals.
    """
    defined = ~np.all(np.isnan(r), axis=1)
    per_pair = np.nanmean(r[defined], axis=1) if defined.any() else np.array([np.nan])
    return {
        "mean": float(np.mean(per_pair)),
        "std": float(np.std(per_pair)),
        "n_pairs": int(defined.sum()),
        "n_undefined": int(np.isnan(r).sum()),
        "per_pair": per_pair if defined.any() else np.array([]),
        "pairs": np.asarray(pairs, dtype=np.int64).reshape(-1, 2)[defined],
        "n_signals": int(n_signals),
    }


def _pairs_all_differ(factors: np.ndarray) -> list[tuple[int, int]]:
    """Pairs of signals that differ in every factor (the invariance baseline)."""
    return [
        (i, j)
        for i, j in combinations(range(len(factors)), 2)
        if np.all(factors[i] != factors[j])
    ]


def _check_factors(
    n_signals: int, factors: np.ndarray, names: Sequence[str]
) -> list[list[tuple[int, int]]]:
    if factors.ndim != 2 or factors.shape != (n_signals, len(names)):
        raise ValueError(
            f"factors must be (n_signals, n_factors) = ({n_signals}, {len(names)}), got {factors.shape}"
        )
    pairs = [_pairs(factors, f) for f in range(len(names))]
    for name, p in zip(names, pairs):
        if not p:
            raise ValueError(f"no pair of signals differs in {name!r} alone")
    return pairs


def pair_correlations(
    Z: np.ndarray,
    factors: np.ndarray,
    names: Sequence[str],
    baseline: str | None = None,
) -> dict[str, dict]:
    """Average correlation between outputs of signal pairs that differ in exactly one factor.

    For each factor (e.g. ``"instrument", "chord", "key"``), every pair of signals that differ in
    that factor and agree in all others is taken; for each pair and each feature map, the Pearson
    correlation of the two outputs (flattened) is computed; the result is the mean over maps and
    pairs. A map whose output is constant for a signal (an inactive map) gives no correlation for
    its pairs, and is counted in ``n_undefined``. Choi et al. report this average per layer without
    naming the correlation measure: Pearson's is our reading.

    Notebook: ``09_auralisation.ipynb``.

    Args:
        Z: ``(n_signals, n_maps, ...)``: each signal's outputs, one per map (any trailing shape).
        factors: ``(n_signals, n_factors)`` integer level of each factor for each signal.
        names: The factors' names, in column order.
        baseline: If given, the name of one more entry: the same average over the pairs
            that differ in **every** factor, what a change of everything at once does
            (the baseline a one-factor change is read against).

    Returns:
        ``{name: {"mean", "std" (over pairs, of each pair's mean over maps), "n_pairs",
        "n_undefined"}}``, and ``baseline``'s entry when asked.

    Raises:
        ValueError: Shapes that disagree, or a factor with no pair that differs in it alone.
    """
    Z, factors = np.asarray(Z), np.asarray(factors)
    if Z.ndim < 2:
        raise ValueError(f"Z must be (n_signals, n_maps, ...), got {Z.shape}")
    pairs = _check_factors(Z.shape[0], factors, names)
    if baseline is not None:
        names, pairs = [*names, baseline], [*pairs, _pairs_all_differ(factors)]
    n = Z.shape[0]
    return {name: _summarise(_pair_r(Z, p), p, n) for name, p in zip(names, pairs)}


def invariance_correlations(
    forward: Forward,
    kernels: Sequence,
    depth: int,
    maps: Sequence[int],
    factors: np.ndarray,
    names: Sequence[str],
    batch_size: int = 32,
    baseline: str | None = None,
) -> dict[str, dict]:
    """:func:`pair_correlations` of the deconvolved maps ``maps`` of block ``depth``, one map at a time.

    Same result as deconvolving every map first, in the memory of one map's outputs.

    Notebook: ``09_auralisation.ipynb``.

    Args:
        forward: :func:`forward_with_switches` on the model signals.
        kernels: The kernels of blocks 1 to at least ``depth``.
        depth: The block whose maps are deconvolved.
        maps: Which maps.
        factors, names: As for :func:`pair_correlations`.
        batch_size: As for :func:`deconvolve_maps`.
        baseline: As for :func:`pair_correlations`.
    """
    factors = np.asarray(factors)
    n = int(forward.maps[0].shape[0])
    pairs = _check_factors(n, factors, names)
    if baseline is not None:
        names, pairs = [*names, baseline], [*pairs, _pairs_all_differ(factors)]
    r = {name: [] for name in names}
    for m in maps:
        Z = deconvolve_maps(forward, kernels, depth, [m], batch_size=batch_size)
        for name, p in zip(names, pairs):
            r[name].append(_pair_r(Z, p))
    return {
        name: _summarise(np.concatenate(r[name], axis=1), p, n)
        for name, p in zip(names, pairs)
    }


def gap_interval(
    a: dict,
    b: dict,
    n_boot: int = 1000,
    level: float = 0.95,
    seed: int = 0,
    chunk: int = 100,
) -> dict[str, float]:
    """How far one kind of pair correlates above another, with a bootstrap over the signals.

    The gap is the mean correlation of ``a``'s pairs minus that of ``b``'s (e.g. the pairs
    that differ only in key against the baseline's, that differ in everything). Pairs that
    share a signal are not independent, so the interval resamples **signals**, not pairs:
    each replicate draws the signals with replacement, a pair counts as often as the
    product of its two signals' draws, and the gap is recomputed with those weights. The
    interval is the replicates' central ``level`` range (percentile bootstrap).

    Notebook: ``09_auralisation.ipynb``.

    Args:
        a, b: Entries of :func:`pair_correlations` or :func:`invariance_correlations` (their
            ``"per_pair"``, ``"pairs"`` and ``"n_signals"`` are read), from the same signals.
        n_boot: Replicates.
        level: The interval's coverage.
        seed: The resampling's seed (fixed: the interval is the same on every run).
        chunk: Replicates drawn at once (memory: ``chunk`` × pairs).

    Returns:
        ``{"gap", "low", "high", "n_signals", "n_boot"}``; ``low > 0`` means the gap's interval
        lies above zero.

    Raises:
        ValueError: Entries without per-pair values, or from different signal sets.
    """
    if not all(k in e for e in (a, b) for k in ("per_pair", "pairs", "n_signals")):
        raise ValueError(
            "gap_interval needs the per-pair values of pair_correlations or "
            "invariance_correlations (a record's summary does not keep them)"
        )
    if a["n_signals"] != b["n_signals"]:
        raise ValueError(
            f"a and b come from {a['n_signals']} and {b['n_signals']} signals"
        )
    n = int(a["n_signals"])
    va, vb = np.asarray(a["per_pair"], float), np.asarray(b["per_pair"], float)
    pa, pb = np.asarray(a["pairs"]), np.asarray(b["pairs"])
    if not len(va) or not len(vb):
        raise ValueError("a pair set without a defined correlation has no gap")
    rng = np.random.default_rng(seed)
    gaps = []
    for start in range(0, n_boot, chunk):
        m = min(chunk, n_boot - start)
        W = rng.multinomial(n, np.full(n, 1 / n), size=m).astype(np.float64)
        wa = W[:, pa[:, 0]] * W[:, pa[:, 1]]
        wb = W[:, pb[:, 0]] * W[:, pb[:, 1]]
        sa, sb = wa.sum(axis=1), wb.sum(axis=1)
        ok = (sa > 0) & (sb > 0)
        gaps.append((wa[ok] @ va) / sa[ok] - (wb[ok] @ vb) / sb[ok])
    gaps = np.concatenate(gaps)
    low, high = np.quantile(gaps, [(1 - level) / 2, (1 + level) / 2])
    return {
        "gap": float(va.mean() - vb.mean()),
        "low": float(low),
        "high": float(high),
        "n_signals": n,
        "n_boot": int(len(gaps)),
    }


@dataclass
class ModelSignals:
    """The invariance study's model signals: every instrument × chord type × key, and their labels.

    Attributes:
        audio: ``(n_signals, n_samples)`` float32.
        sr: Sample rate in Hz.
        factors: ``(n_signals, 3)``: the index of each signal's instrument, chord type and key.
        names: ``("instrument", "chord", "key")``, the factors' names in column order.
        levels: The levels of each factor, e.g. ``{"key": ["Eb2", "Bb2", ...]}``.

    Notebook: ``09_auralisation.ipynb``.
    """

    audio: np.ndarray
    sr: int
    factors: np.ndarray
    names: tuple[str, ...]
    levels: dict[str, list[str]]

    def label(self, i: int) -> str:
        """``"piano major A3"``: the levels of signal ``i``."""
        return " ".join(self.levels[n][k] for n, k in zip(self.names, self.factors[i]))


def model_signals(
    n_instruments: int = 7,
    n_chords: int = 8,
    n_keys: int = 4,
    seconds: float = 4.0,
    sr: int = 11025,
) -> ModelSignals:
    """Render the first ``n_instruments`` × ``n_chords`` × ``n_keys`` model signals (Choi: 7 × 8 × 4 = 224).

    Instruments, chord types and keys are taken in the order of
    :data:`mgr_utils.synthetic.CHORD_INSTRUMENTS`, :data:`~mgr_utils.synthetic.CHORD_TYPES` and
    :data:`~mgr_utils.synthetic.CHORD_KEYS`; each signal is one chord struck twice
    (:func:`mgr_utils.synthetic.render_chord`).

    Notebook: ``09_auralisation.ipynb``.

    Raises:
        ValueError: A count outside what the lists hold, named as the notebook's parameter
            (``INV_INSTRUMENTS``, ``INV_CHORDS``, ``INV_KEYS``); each needs at least 2 for pairs.
    """
    from mgr_utils import synthetic

    lists = {
        "instrument": list(synthetic.CHORD_INSTRUMENTS),
        "chord": list(synthetic.CHORD_TYPES),
        "key": list(synthetic.CHORD_KEYS),
    }
    counts = {"instrument": n_instruments, "chord": n_chords, "key": n_keys}
    params = {"instrument": "INV_INSTRUMENTS", "chord": "INV_CHORDS", "key": "INV_KEYS"}
    for name, n in counts.items():
        if (
            isinstance(n, bool)
            or not isinstance(n, (int, np.integer))
            or not 2 <= n <= len(lists[name])
        ):
            raise ValueError(
                f"{params[name]} (n_{name}s) must be a whole number from 2 to {len(lists[name])}, got {n!r}"
            )
    levels = {name: lists[name][: counts[name]] for name in lists}
    factors, audio = [], []
    for i, instrument in enumerate(levels["instrument"]):
        for c, chord in enumerate(levels["chord"]):
            for k, key in enumerate(levels["key"]):
                factors.append((i, c, k))
                audio.append(
                    synthetic.render_chord(
                        instrument, key, chord, duration=seconds, sr=sr
                    )
                )
    return ModelSignals(
        np.stack(audio), sr, np.array(factors), ("instrument", "chord", "key"), levels
    )


def picture_measures(
    A: np.ndarray, sr: int = 11025, n_fft: int = 512, top_db: float = 30.0
) -> dict[str, float]:
    """Three crude numbers that describe a magnitude picture (a spectrogram, a deconvolved one), for reading it.

    * ``centroid_hz``: the frequency centroid of the energy ``A²``, in Hz (low: bass notes);
    * ``edge_ratio``: the summed absolute change of ``A`` along time divided by that along
      frequency. Vertical lines in a spectrogram (onsets, drum hits) change along time; horizontal
      lines (sustained partials) change along frequency;
    * ``fill``: the share of cells within ``top_db`` of the picture's peak (large: a smeared,
      texture-like picture; small: a few lines or points).

    All three are unchanged when ``A`` is scaled. Compared with the original excerpt's, they support a
    reading of what a deconvolved map *seems* to select; the reading stays an interpretation.

    Notebook: ``09_auralisation.ipynb``.

    Args:
        A: ``(frequency, time)``, zero or positive (e.g. ``np.abs(D)``).
        sr, n_fft: The STFT's rate and size (row ``k`` is ``k * sr / n_fft`` Hz).

    Returns:
        ``{"centroid_hz", "edge_ratio", "fill"}`` (NaN for an all-zero ``A``).
    """
    A = np.abs(np.asarray(A, dtype=np.float64))
    E = A**2
    if not np.any(E > 0):
        return {
            "centroid_hz": float("nan"),
            "edge_ratio": float("nan"),
            "fill": float("nan"),
        }
    f = np.arange(A.shape[0]) * sr / n_fft
    centroid = float((f[:, None] * E).sum() / E.sum())
    along_time = np.abs(np.diff(A, axis=1)).sum()
    along_frequency = np.abs(np.diff(A, axis=0)).sum()
    fill = float(np.mean(A >= A.max() * 10 ** (-top_db / 20)))
    return {
        "centroid_hz": centroid,
        "edge_ratio": float(along_time / max(along_frequency, 1e-30)),
        "fill": fill,
    }


# --------------------------------------------------------------------------------------
# Readings: what a heard map seems to select, and what the invariance curves show
# --------------------------------------------------------------------------------------


def map_reading(m: dict[str, float], ref: dict[str, float]) -> str:
    """A phrase from a heard map's :func:`picture_measures`, against the original's.

    Ratios to the original's (``ref``): edge ratio above 1.25 reads "onsets, vertical
    lines", below 0.8 "sustained partials, horizontal lines"; centroid below 0.6 "low
    register", above 1.6 "high register"; fill above 2 "smeared, texture-like", below
    0.5 "sparse". The thresholds are the book's. Measure both on the same kind of signal
    (chapter 9: the spectrogram of what is played).

    Notebook: ``09_auralisation.ipynb``.
    """
    if np.isnan(m["centroid_hz"]):
        return "silent"
    c, e = m["centroid_hz"] / ref["centroid_hz"], m["edge_ratio"] / ref["edge_ratio"]
    f = m["fill"] / ref["fill"]
    parts = (
        ["onsets, vertical lines"]
        if e > 1.25
        else ["sustained partials, horizontal lines"]
        if e < 0.8
        else []
    )
    parts += ["low register"] if c < 0.6 else ["high register"] if c > 1.6 else []
    parts += ["smeared, texture-like"] if f > 2 else ["sparse"] if f < 0.5 else []
    return ", ".join(parts) or "close to the original's balance"


CONTROL_WORDS = (
    "more onset-like",
    "more partial-like",
    "lower register",
    "higher register",
    "more smeared",
    "sparser",
)
"""The words of :func:`control_reading`, in the order of :data:`READING_WORDS`."""

LIKE_UNTRAINED = "like the untrained network's"
""":func:`control_reading`'s phrase for a map the thresholds cannot tell from the control's."""


def control_reading(m: dict[str, float], ref: dict[str, float]) -> str:
    """A heard map's :func:`picture_measures` against the untrained network's maps.

    The control is the same network before training, its most active maps heard on the
    same excerpt and measured the same way; ``ref`` is their median
    (:func:`median_measures`). The thresholds are :func:`map_reading`'s, on the ratios to
    the control instead of the original: edge ratio above 1.25 "more onset-like", below
    0.8 "more partial-like"; centroid below 0.6 "lower register", above 1.6 "higher
    register"; fill above 2 "more smeared", below 0.5 "sparser". What the untrained maps
    show as well comes from the architecture and the excerpt, not from training.

    Notebook: ``09_auralisation.ipynb``.
    """
    if np.isnan(m["centroid_hz"]):
        return "silent"
    if np.isnan(ref["centroid_hz"]):
        return "no untrained map to compare"
    c, e = m["centroid_hz"] / ref["centroid_hz"], m["edge_ratio"] / ref["edge_ratio"]
    f = m["fill"] / ref["fill"]
    words = CONTROL_WORDS
    parts = [words[0]] if e > 1.25 else [words[1]] if e < 0.8 else []
    parts += [words[2]] if c < 0.6 else [words[3]] if c > 1.6 else []
    parts += [words[4]] if f > 2 else [words[5]] if f < 0.5 else []
    return ", ".join(parts) or LIKE_UNTRAINED


def median_measures(maps: Sequence[tuple]) -> dict[str, float]:
    """The median of :func:`picture_measures` over heard maps (silent ones left out).

    Notebook: ``09_auralisation.ipynb``.

    Args:
        maps: ``(map, D, heard, A)`` of each map (one depth of :func:`hear_layers`).

    Returns:
        ``{"centroid_hz", "edge_ratio", "fill"}``, NaN when every map is silent.
    """
    measured = [picture_measures(A) for _, _, _, A in maps]
    measured = [m for m in measured if not np.isnan(m["centroid_hz"])]
    keys = ("centroid_hz", "edge_ratio", "fill")
    if not measured:
        return {k: float("nan") for k in keys}
    return {k: float(np.median([m[k] for m in measured])) for k in keys}


def invariance_record(
    invariance: dict, names: Sequence[str], baseline: str = "all three"
) -> dict:
    """The ``"invariance"`` extra of chapter 9's record, which chapter 10 reads.

    Notebook: ``09_auralisation.ipynb``.

    Args:
        invariance: ``{depth: pair_correlations(...)}``, depth 0 the input spectrograms.
        names: The factors.
        baseline: The baseline's entry name (pairs that differ in every factor).

    Returns:
        ``{"layers": [1, ...], <factor>: [mean per layer],
        "input": {factor: mean} | None, "std": {factor: [sd over pairs per layer]},
        "n_pairs": {factor: n}, "baseline": [mean per layer] | None,
        "baseline_std": [...] | None, "baseline_input": mean | None,
        "baseline_pairs": n | None}``.
    """
    layers = [d for d in sorted(invariance) if d > 0]
    first = invariance[layers[0]]
    has_base = baseline in first

    def per_layer(name, key):
        return [round(invariance[d][name][key], 4) for d in layers]

    out = {"layers": layers, **{n: per_layer(n, "mean") for n in names}}
    out["input"] = (
        {n: round(invariance[0][n]["mean"], 4) for n in names}
        if 0 in invariance
        else None
    )
    out["std"] = {n: per_layer(n, "std") for n in names}
    out["n_pairs"] = {n: first[n]["n_pairs"] for n in names}
    out["baseline"] = per_layer(baseline, "mean") if has_base else None
    out["baseline_std"] = per_layer(baseline, "std") if has_base else None
    out["baseline_input"] = (
        round(invariance[0][baseline]["mean"], 4)
        if has_base and 0 in invariance
        else None
    )
    out["baseline_pairs"] = first[baseline]["n_pairs"] if has_base else None
    return out


def _key_clause(layers, key_least, key_most) -> str:
    n = len(layers)
    if len(key_least) == n:
        return (
            "A change of key changes the deconvolved outputs least at every layer, "
            "as in the paper. "
        )
    if key_least:
        listed = ", ".join(map(str, key_least))
        return (
            "A change of key changes the deconvolved outputs least at "
            f"{len(key_least)} of the {n} layers (layer {listed}); the paper found "
            "it so at every depth. "
        )
    return (
        "At no layer does a change of key change the deconvolved outputs least "
        f"(the paper: at every depth); it changes them most at {len(key_most)} of "
        f"the {n} layers. "
    )


def _depth_clause(mean, names, first, last) -> str:
    spread = {d: max(mean[d].values()) - min(mean[d].values()) for d in (first, last)}
    text = (
        f"The spread between the one-factor curves is {spread[first]:.3f} at layer "
        f"{first} and {spread[last]:.3f} at layer {last} "
        + (
            "(they draw together with depth, as in the paper). "
            if spread[last] < spread[first]
            else "(they do not draw together with depth, unlike the paper). "
        )
    )
    rise = {
        f: mean[last][f] > mean[first][f] for f in ("chord", "instrument") if f in names
    }
    if all(rise.values()):
        return text + (
            "Chord and instrument changes matter less at layer "
            f"{last} than at layer {first} (their correlations rise), as "
            "the paper found. "
        )
    if not any(rise.values()):
        return text + (
            "Chord and instrument changes matter more at layer "
            f"{last} than at layer {first} (their correlations fall), "
            "unlike the paper, where they mattered less with depth. "
        )
    up = [f for f, r in rise.items() if r][0]
    down = [f for f, r in rise.items() if not r][0]
    return text + (
        f"With depth, {up} changes matter less and {down} changes more; the "
        "paper found both mattering less. "
    )


def _layer_list(layers: Sequence[int]) -> str:
    """``"layer 2"``, ``"layers 2 and 4"``, ``"layers 1, 2 and 5"``."""
    if len(layers) == 1:
        return f"layer {layers[0]}"
    return "layers " + ", ".join(map(str, layers[:-1])) + f" and {layers[-1]}"


def _tested_clause(invariance, f, layers, baseline) -> str:
    """The bootstrap over signals of factor ``f``'s gap to the baseline, per layer."""
    try:
        gaps = {
            d: gap_interval(invariance[d][f], invariance[d][baseline]) for d in layers
        }
    except (KeyError, ValueError):
        return "; descriptive: no interval"
    n_signals = gaps[layers[0]]["n_signals"]
    above = [d for d in layers if gaps[d]["low"] > 0]
    head = f"its gap's 95 % bootstrap interval over the {n_signals} signals lies above zero"
    if len(above) == len(layers):
        return f"; {head} at every layer"
    if not above:
        return f"; {head} at no layer, so the gap is within what resampling the signals moves"
    return (
        f"; {head} at {len(above)} of {len(layers)} layers, {_layer_list(above)}; "
        "at the others the gap is within what resampling the signals moves"
    )


def _baseline_clause(mean, names, layers, base, invariance=None, baseline=None) -> str:
    first, last, n = layers[0], layers[-1], len(layers)
    parts = []
    for f in names:
        above = [d for d in layers if mean[d][f] > base[d]]
        if not above:
            parts.append(
                f"the {f} curve lies at or below it at every layer, so a {f} "
                "change alone alters the outputs as much as a change of "
                "everything"
            )
            continue
        gap = [mean[d][f] - base[d] for d in above]
        where = "every layer" if len(above) == n else f"{len(above)} of {n} layers"
        tested = (
            _tested_clause(invariance, f, layers, baseline)
            if invariance is not None
            else "; descriptive: no interval"
        )
        parts.append(
            f"the {f} curve lies above it at {where} (by {min(gap):.3f} to "
            f"{max(gap):.3f}{tested})"
        )
    return (
        "Against the baseline, pairs that differ in all three factors (correlation "
        f"{base[first]:.3f} at layer {first}, {base[last]:.3f} at layer {last}): "
        + "; ".join(parts)
        + ". "
    )


def invariance_sentence(
    invariance: dict,
    names: Sequence[str],
    chord_notes: Sequence[set] | None = None,
    baseline: str = "all three",
) -> str:
    """What the invariance curves show, beside Choi et al.'s findings (Markdown).

    The paper found a key change to alter the deconvolved outputs least at every
    depth, chord and instrument changes to matter less with depth, and the three to draw
    together at layer 5. The sentence checks each on ``invariance`` (``{depth: {factor:
    {"mean", ...}}}``, depth 0 the input), and reads each one-factor curve against the
    baseline of pairs that differ in every factor, when it was measured: a factor whose
    pairs correlate no more than the baseline's changes the outputs as much as a change
    of everything. A curve said to lie above the baseline gets the 95 % interval of its
    gap, by a bootstrap over the signals (:func:`gap_interval`), when the entries keep
    their per-pair values; without them the clause says it is descriptive.

    Notebook: ``09_auralisation.ipynb``.

    Args:
        invariance: As above (a ``baseline`` entry per depth is optional).
        names: The factors, e.g. ``("instrument", "chord", "key")``; must include "key".
        chord_notes: The pitch classes of each chord type used, for the closing remark
            on how alike they are (``None``: no remark).
        baseline: The baseline's entry name.
    """
    layers = [d for d in sorted(invariance) if d > 0]
    mean = {d: {n: invariance[d][n]["mean"] for n in names} for d in invariance}
    most_invariant = {d: max(names, key=lambda n: mean[d][n]) for d in invariance}
    key_least = [d for d in layers if most_invariant[d] == "key"]
    key_most = [d for d in layers if min(names, key=lambda n: mean[d][n]) == "key"]
    text = _key_clause(layers, key_least, key_most)
    text += _depth_clause(mean, names, layers[0], layers[-1])
    if all(baseline in invariance[d] for d in layers):
        base = {d: invariance[d][baseline]["mean"] for d in layers}
        text += _baseline_clause(mean, names, layers, base, invariance, baseline)
    if 0 in invariance:
        text += (
            "On the input spectrograms themselves the least change comes from the "
            f"{most_invariant[0]}"
        )
        text += (
            ": a change of key moves every partial of a linear-frequency "
            "spectrogram, which a correlation of pictures punishes."
            if most_invariant[0] != "key"
            else " as well."
        )
    if chord_notes:
        notes = [set(c) for c in chord_notes]
        shared = np.mean([len(a & b) for a, b in combinations(notes, 2)])
        size = np.mean([len(c) for c in notes])
        text += (
            " Our chord types differ little from one another: two of them share "
            f"{shared:.1f} notes on average (of {size:.1f})."
        )
    return "**What ours shows.** " + text.strip()


READING_WORDS = ("onsets", "partials", "low", "high", "texture", "sparse")
"""The words :func:`layer_readings` counts in the readings of :func:`map_reading`."""

_WORD_NAMES = (
    "onset-like",
    "partial-like",
    "low register",
    "high register",
    "texture-like",
    "sparse",
)


def _count(readings, net, depths, word, key="reading") -> int:
    return sum(
        word in r[key] for r in readings if r["net"] == net and r["depth"] in depths
    )


def _heard(readings, net, depths) -> int:
    return sum(r["net"] == net and r["depth"] in depths for r in readings)


def _shared_words(readings) -> tuple[list[str], list[str]]:
    """Words the untrained maps earn about as often as the trained ones, and the others.

    "About as often": counts within a tenth of the maps heard (at least one map).
    """
    n = _heard(readings, "trained", range(100))
    slack = max(1, int(np.ceil(n / 10)))
    shared, differ = [], []
    for word, name in zip(READING_WORDS, _WORD_NAMES):
        t = _count(readings, "trained", range(100), word)
        u = _count(readings, "untrained", range(100), word)
        if t == u == 0:
            continue
        text = f"{name} ({t} trained, {u} untrained)"
        (shared if abs(t - u) <= slack else differ).append(text)
    return shared, differ


def layer_readings(
    readings: Sequence[dict],
    active: dict[int, float],
    control_active: dict[int, float] | None = None,
) -> tuple[str, str]:
    """The heard maps' readings per layer, the trained network's against the untrained one's.

    A reading of a trained map says something about training only where the untrained
    network (the same architecture and initial weights, the same excerpts, the same
    measures) reads differently. The table counts each word of :func:`map_reading` for the
    trained maps and the untrained ones, and how many trained maps :func:`control_reading`
    sets apart from the untrained maps of their layer; the bullets put Choi et al.'s
    readings beside these counts.

    Notebook: ``09_auralisation.ipynb``.

    Args:
        readings: One dict per heard map: ``"net"`` (``"trained"`` or ``"untrained"``),
            ``"depth"``, ``"map"``, ``"reading"`` (:func:`map_reading`, against the
            excerpt) and, for a trained map, ``"versus"`` (:func:`control_reading`).
        active: Per depth (1, 2, ...), the share of positions where the trained maps are
            active.
        control_active: The same for the untrained network (``None``: not measured).

    Returns:
        ``(table, summary)`` in Markdown.
    """
    depths = sorted(active)
    control = any(r["net"] == "untrained" for r in readings)

    def pair(depth_list, word):
        t = _count(readings, "trained", depth_list, word)
        if not control:
            return str(t)
        return f"{t} / {_count(readings, 'untrained', depth_list, word)}"

    def unlike(depth_list):
        return sum(
            r["net"] == "trained"
            and r["depth"] in depth_list
            and r.get("versus") not in (None, LIKE_UNTRAINED, "silent")
            for r in readings
        )

    head = " | ".join(_WORD_NAMES)
    rows = [
        f"| layer | maps heard | {head} | trained maps unlike the untrained "
        "ones | active positions |",
        "|---" * 10 + "|",
    ]
    for d in depths:
        counts = " | ".join(pair([d], w) for w in READING_WORDS)
        share = f"{active[d]:.0%}"
        if control_active is not None:
            share += f" / {control_active[d]:.0%}"
        n = _heard(readings, "trained", [d])
        unlike_d = f"{unlike([d])} of {n}" if control else "—"
        rows.append(f"| {d} | {n} | {counts} | {unlike_d} | {share} |")
    if control:
        rows.append(
            "\nEach count: the trained network's maps / the untrained network's maps."
        )

    def versus(depth_list, words):
        if not control:
            return ""
        parts = [
            f"{_count(readings, 'trained', depth_list, w, 'versus')} {w}" for w in words
        ]
        return "; against the untrained network's maps, " + ", ".join(parts)

    def untrained(depth_list, words):
        if not control:
            return ""
        parts = [f"{_count(readings, 'untrained', depth_list, w)}" for w in words]
        return " (untrained: " + ", ".join(parts) + ")"

    onset, partial, low, _, texture, _ = READING_WORDS
    c_onset, c_partial, c_low, _, c_smeared, c_sparser = CONTROL_WORDS
    bullets = [
        "- **Layer 1** (the paper: onset detectors and suppressors): "
        f"{_count(readings, 'trained', [1], onset)} of {_heard(readings, 'trained', [1])} "
        "trained maps read as onset-like, "
        f"{_count(readings, 'trained', [1], partial)} as sustained partials"
        + untrained([1], (onset, partial))
        + versus([1], (c_onset, c_partial))
        + ".",
        "- **Layers 2-3** (the paper: onsets, bass notes, harmonic components, the "
        f"melody, a kick-drum extractor): of {_heard(readings, 'trained', [2, 3])} "
        f"trained maps, {_count(readings, 'trained', [2, 3], onset)} onset-like, "
        f"{_count(readings, 'trained', [2, 3], low)} low register, "
        f"{_count(readings, 'trained', [2, 3], partial)} sustained partials"
        + untrained([2, 3], (onset, low, partial))
        + versus([2, 3], (c_onset, c_low, c_partial))
        + ".",
        "- **Layer 4** (the paper: lowest notes, line erasers, sparser activations): "
        f"{_count(readings, 'trained', [4], low)} of {_heard(readings, 'trained', [4])} "
        "low register"
        + untrained([4], (low,))
        + versus([4], (c_low, c_sparser))
        + f"; {active.get(4, float('nan')):.0%} of positions active, against "
        f"{active[depths[0]]:.0%} in layer {depths[0]}.",
        f"- **Layer 5** (the paper: textures): {_count(readings, 'trained', [5], texture)} "
        f"of {_heard(readings, 'trained', [5])} trained maps read as smeared, "
        "texture-like" + untrained([5], (texture,)) + versus([5], (c_smeared,)) + ".",
    ]
    if control:
        shared, differ = _shared_words(readings)
        n = _heard(readings, "trained", depths)
        text = (
            f"- **Against the control**: {unlike(depths)} of {n} trained maps read "
            "differently from the untrained network's maps of their layer on the same "
            "excerpt."
        )
        if shared:
            text += (
                " The untrained maps earn these words about as often (within a tenth "
                "of the maps heard): " + "; ".join(shared) + ". They describe the "
                "excerpts and the deconvolution, not what training taught."
            )
        if differ:
            text += (
                " Training changed how often these are earned: "
                + "; ".join(differ)
                + "."
            )
        bullets.append(text)

    def falls(share):
        return all(share[b] <= share[a] for a, b in zip(depths, depths[1:]))

    paper = "the paper saw activations grow sparser in the deep layers"
    if control_active is None:
        sparsity = (
            f"the share of active positions falls at every layer, as {paper}"
            if falls(active)
            else f"the share of active positions does not fall at every layer; {paper}"
        )
    elif falls(active) and falls(control_active):
        sparsity = (
            "the share of active positions falls at every layer, as "
            f"{paper}, but so does the untrained network's: the architecture makes it"
        )
    elif falls(active):
        sparsity = (
            "the share of active positions falls at every layer, as "
            f"{paper}, and the untrained network's does not"
        )
    elif falls(control_active):
        sparsity = (
            "the share of active positions does not fall at every layer, though the "
            f"untrained network's does; {paper}"
        )
    else:
        sparsity = (
            "the share of active positions does not fall at every layer, nor does "
            f"the untrained network's; {paper}"
        )
    bullets.append("- **Sparsity**: " + sparsity + ".")
    return "\n".join(rows), "\n".join(bullets)


# --------------------------------------------------------------------------------------
# The page's plumbing: parameter checks, players, tables and sentences of chapter 9
# --------------------------------------------------------------------------------------


DEFAULT_LISTEN = ("hiphop", "classical", "metal")
"""The classes chapter 9 listens to when the data has them (GTZAN's and the synthetic set's
names): three that differ in register, rhythm and texture."""


def listen_classes(
    listen: Sequence[str] | None, classes: Sequence[str], n: int = 3
) -> list[str]:
    """The classes whose excerpts chapter 9 listens to: ``listen``, or a default from the data.

    ``None`` picks :data:`DEFAULT_LISTEN` when the data has all three; otherwise ``n``
    classes spread evenly over ``classes`` (all of them when there are ``n`` or fewer),
    in class order.

    Notebook: ``09_auralisation.ipynb``.

    Args:
        listen: The ``LISTEN_GENRES`` parameter, or ``None``.
        classes: The data's classes (``clips.classes``).
        n: How many classes the default takes.
    """
    classes = list(classes)
    if listen is not None:
        return list(listen)
    if all(c in classes for c in DEFAULT_LISTEN):
        return list(DEFAULT_LISTEN)
    if len(classes) <= n:
        return classes
    picks = np.linspace(0, len(classes) - 1, n).round().astype(int)
    return [classes[i] for i in sorted(set(picks.tolist()))]


def check_listening(
    maps_per_layer: int,
    filters: int,
    listen_genres: Sequence[str],
    classes: Sequence[str] | None = None,
) -> None:
    """Check the listening parameters of chapter 9 before anything runs.

    Notebook: ``09_auralisation.ipynb``.

    Args:
        maps_per_layer: Maps heard per layer and excerpt, 1 to ``filters``.
        filters: Maps per convolution layer of the network.
        listen_genres: Classes to listen to, a non-empty list of ``classes``.
        classes: The dataset's classes (``clips.classes``); ``None``:
            :data:`mgr_utils.GENRES`.

    Raises:
        ValueError: If ``maps_per_layer`` is not a whole number from 1 to ``filters``,
            or ``listen_genres`` is empty or names a class the dataset does not have.
    """
    from mgr_utils import GENRES

    classes = GENRES if classes is None else tuple(classes)
    value = maps_per_layer
    if (
        isinstance(value, bool)
        or not isinstance(value, int)
        or not 1 <= value <= filters
    ):
        raise ValueError(
            f"MAPS_PER_LAYER must be a whole number from 1 to FILTERS ({filters}), "
            f"got {value!r}"
        )
    unknown = [g for g in listen_genres if g not in classes]
    if not listen_genres or unknown:
        raise ValueError(
            f"LISTEN_GENRES must list classes of {list(classes)}, got {listen_genres!r}"
        )


def linear_view_sentence(A: np.ndarray, bin_hz: float) -> str:
    """What a linear-magnitude STFT looks like, in numbers: energy below 1 kHz, peak.

    Notebook: ``09_auralisation.ipynb``.

    Args:
        A: ``(frequency, time)`` magnitudes, row ``k`` at ``k * bin_hz`` Hz.
        bin_hz: The spacing of the rows in Hz.

    Returns:
        A Markdown sentence ending with an invitation to listen.
    """
    A = np.asarray(A, dtype=np.float64)
    energy = A**2
    low = energy[: int(1000 / bin_hz)].sum() / energy.sum()
    return (
        f"Shape {A.shape} (bins × frames). On the linear scale most of the picture "
        f"is dark: {low:.0%} of this excerpt's energy lies below 1 kHz, and its "
        f"loudest cell is {A.max() / np.median(A):,.0f} times the median cell. "
        "**Listen** to the excerpt:"
    )


def accuracy_table(
    cnn: dict, dataset: str, split: str, genres: Sequence[str]
) -> tuple[str, str]:
    """The network's test accuracy beside Choi et al.'s, and a note on the numbers.

    Notebook: ``09_auralisation.ipynb``.

    Args:
        cnn: What :func:`mgr_utils.training.evaluate_selected` returns (its ``"rule"``
            and ``"test"`` entries are read; the test's ``train_accuracy`` when
            there).
        dataset, split: The data's names, for the column heading.
        genres: The classes (their number gives the chance level).

    Returns:
        ``(table, note)`` in Markdown.
    """
    test, n = cnn["test"], len(genres)
    rows = [
        f"| | ours ({dataset}, {split}, {n} genres) "
        "| Choi et al. 2016 (in-house, 3 genres) |",
        "|---|---|---|",
        f"| 4 s excerpts, test | {test['segment_accuracy']:.1%} "
        '| 75 % "at the end of training" (split not stated) |',
        f"| clips ({cnn['rule']} rule, chosen on validation), test "
        f"| {test['accuracy']:.1%} | (not done) |",
        f"| chance | {1 / n:.0%} | 33 % |",
    ]
    n_test = test["n_clips"]
    trained = (
        f" On the training clips (the same rule, no dropout): "
        f"{test['train_accuracy']:.1%}."
        if test.get("train_accuracy") is not None
        else ""
    )
    note = (
        "Validation clip accuracy of the chosen rule: "
        f"{test['valid_accuracy']:.1%}.{trained} {n_test} test clips: one clip is "
        f"{1 / n_test:.1%}. The numbers are on the **{dataset}** set."
    )
    return "\n".join(rows), note


def kernel_lean_sentence(along_time: np.ndarray, along_freq: np.ndarray) -> str:
    """How many first-layer kernels change more along time than along frequency.

    Notebook: ``09_auralisation.ipynb``.

    Args:
        along_time, along_freq: Per kernel, its summed absolute change along time and
            along frequency.

    Returns:
        A Markdown sentence, compared with the paper's lean to time.
    """
    along_time, along_freq = np.asarray(along_time), np.asarray(along_freq)
    if along_time.shape != along_freq.shape:
        raise ValueError(
            f"along_time {along_time.shape} and along_freq {along_freq.shape} differ"
        )
    n, n_time = len(along_time), int(np.sum(along_time > along_freq))
    if n_time > n / 2:
        verdict = "As in the paper, most lean to time (onset-like)."
    elif n_time < n / 2:
        verdict = "Unlike the paper's, most of ours do not lean to time."
    else:
        verdict = "An even split: the paper's lean to time is not visible here."
    return (
        f"**{n_time} of {n}** kernels change more along time than along "
        f"frequency (t/f above 1), {n - n_time} the other way. " + verdict
    )


def player_html(y: np.ndarray, sr: int = 11025) -> str:
    """An embedded MP3 player as HTML; a silent signal gets a note instead.

    Notebook: ``09_auralisation.ipynb``.
    """
    if not np.any(np.abs(y) > 0):
        return "<i>silent: the map is inactive here</i>"
    from mgr_utils.notebook import audio_player

    return audio_player(y, sr)._repr_html_()


def html_table(rows: Sequence[Sequence[str]]) -> str:
    """An HTML table from rows of cells' HTML (the page's rows of players).

    Notebook: ``09_auralisation.ipynb``.
    """
    return (
        "<table>"
        + "".join(
            "<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows
        )
        + "</table>"
    )


def excerpt_heading(genre: str, item: dict, genres: Sequence[str]) -> str:
    """The heading over one listened excerpt: its clip, and what the network says.

    Notebook: ``09_auralisation.ipynb``.

    Args:
        genre: The genre listened to.
        item: ``{"clip", "p_genre", "correct"}``: the clip (its ``clip_id`` is read),
            the network's probabilities for the excerpt, and whether both the clip
            and the excerpt are classified correctly.
        genres: The classes, in the order of ``p_genre``.
    """
    p = item["p_genre"]
    top = genres[int(np.argmax(p))]
    said = (
        "its top genre."
        if item["correct"]
        else f"but *{top}* more: no {genre} validation clip and excerpt is "
        "classified correctly in this build, so we listen to a misclassified one."
    )
    return (
        f"### {genre}: `{item['clip'].clip_id}`, 0-4 s\n\nThe network gives this "
        f"excerpt {p[list(genres).index(genre)]:.0%} for *{genre}*, {said}"
    )


def heard_maps_table(
    S: np.ndarray,
    layers: dict[int, Sequence[tuple]],
    control: dict[int, Sequence[tuple]] | None = None,
) -> tuple[str, list[dict]]:
    """The automatic reading of every heard map, against the excerpt and the control.

    Each trained map is read against the original excerpt (:func:`map_reading`) and,
    when ``control`` is given, against the untrained network's maps of the same layer on
    the same excerpt (:func:`control_reading` of their :func:`median_measures`, shown as
    one row per layer).

    Notebook: ``09_auralisation.ipynb``.

    Args:
        S: The excerpt's complex STFT.
        layers: Per depth, ``(map, D, heard, A)`` of each heard map of the trained
            network; ``A`` is the magnitude STFT of what is played (:func:`hear_layers`).
        control: The same for the untrained network (``None``: no control).

    Returns:
        ``(table, readings)``: a Markdown table of the measures and readings, and one
        dict per heard map (trained and untrained) for :func:`layer_readings`.
    """
    ref = picture_measures(np.abs(S))
    last = " | against the untrained network |" if control is not None else " |"
    rows = [
        "| layer | map | centroid (Hz) | edge ratio vs original | fill "
        "| against the excerpt" + last,
        "|---" * (7 if control is not None else 6) + "|",
        f"| original | | {ref['centroid_hz']:.0f} | 1.00 | {ref['fill']:.1%} | |"
        + (" |" if control is not None else ""),
    ]

    def row(depth, name, meas, said, versus=None):
        if np.isnan(meas["centroid_hz"]):
            cells = "— | — | —"
        else:
            edges = meas["edge_ratio"] / ref["edge_ratio"]
            cells = f"{meas['centroid_hz']:.0f} | {edges:.2f} | {meas['fill']:.1%}"
        tail = f" | {versus} |" if control is not None else " |"
        return f"| {depth} | {name} | {cells} | {said}" + tail

    readings = []
    for depth, maps in layers.items():
        base = median_measures(control[depth]) if control is not None else None
        for m, _, _, A in maps:
            meas = picture_measures(A)
            said = map_reading(meas, ref)
            versus = control_reading(meas, base) if base is not None else None
            rows.append(row(depth, m, meas, said, versus or ""))
            readings.append(
                {"net": "trained", "depth": depth, "map": int(m), "reading": said}
                | ({"versus": versus} if versus is not None else {})
            )
        if control is None:
            continue
        for m, _, _, A in control[depth]:
            readings.append(
                {
                    "net": "untrained",
                    "depth": depth,
                    "map": int(m),
                    "reading": map_reading(picture_measures(A), ref),
                }
            )
        ids = ", ".join(str(m) for m, *_ in control[depth])
        rows.append(
            row(
                depth,
                f"untrained, median of maps {ids}",
                base,
                map_reading(base, ref),
                "(the control)",
            )
        )
    return "\n".join(rows), readings


def invariance_table(
    invariance: dict[int, dict], names: Sequence[str], baseline: str = "all three"
) -> str:
    """The invariance correlations per depth as a Markdown table, with pair counts.

    Notebook: ``09_auralisation.ipynb``.

    Args:
        invariance: Per depth (0: the input), per factor name and ``baseline``,
            ``{"mean", "std", "n_pairs"}`` (:func:`invariance_correlations`).
        names: The factors' names.
        baseline: The key of the pairs that differ in every factor.

    Returns:
        The table, then a line giving the pairs per column.
    """
    cols = [*names, baseline]
    head = [f"only {n} differs" if n != baseline else "all three differ" for n in cols]
    rows = [
        "| depth | " + " | ".join(head) + " | least change from |",
        "|---" * (len(cols) + 2) + "|",
    ]
    for d in invariance:
        r = {n: invariance[d][n]["mean"] for n in names}
        cells = [
            f"{invariance[d][n]['mean']:.3f} ± {invariance[d][n]['std']:.3f}"
            for n in cols
        ]
        depth = "input" if d == 0 else d
        rows.append(f"| {depth} | " + " | ".join(cells) + f" | {max(r, key=r.get)} |")
    first = invariance[min(d for d in invariance if d > 0)]
    pairs = ", ".join(f"{first[n]['n_pairs']} ({n})" for n in cols)
    return (
        "\n".join(rows) + "\n\nMean ± standard deviation over pairs; pairs per "
        f"column: {pairs}."
    )
