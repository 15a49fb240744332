"""Dieleman & Schrauwen (2014): one back end, fed by a mel spectrogram or by a strided convolution on raw audio.

Notebook: ``07_raw_audio.ipynb``.
"""

from __future__ import annotations

from collections.abc import Sequence

import keras
import numpy as np
from keras import layers, ops

from mgr_utils.models.common import seed_weights

FRONT_ENDS = ("raw", "mel")
"""The two front ends of :func:`dieleman_cnn`."""

_MTAT = (
    "MagnaTagATune, 50 tags (the paper's folder split: training 1-12 / "
    "validation 13 / test 14-16)"
)
_SOURCE = (
    "Dieleman & Schrauwen 2014, as listed in keunwoochoi/magnatagatune-list "
    "(README, section 2014)"
)

REPORTED = {
    fe: {
        "value": auc,
        "metric": "tag ROC-AUC (not comparable with clip accuracy)",
        "dataset": _MTAT,
        "protocol": "filter length = stride = 256 samples",
        "source": _SOURCE,
        "sureness": "secondary",
    }
    for fe, auc in (("mel", 0.8815), ("raw", 0.8487))
}
"""The paper's tag ROC-AUCs at filter length = stride = 256, per front end, as
results-record ``reported`` entries ([S]: the full text was not read; at 1,024 the AUCs
are 0.8690 and 0.8366, the spectrogram ahead again).

Notebook: ``07_raw_audio.ipynb``."""


@keras.saving.register_keras_serializable(package="mgr_utils")
class LogCompression(layers.Layer):
    """``log(1 + C |x|)``: the raw front end's compressive nonlinearity (ours), a learned-filter "log magnitude".

    Registered for serialisation, so a saved ``.keras`` model that holds it loads without
    ``custom_objects`` (:mod:`mgr_utils.saving`).

    Notebook: ``07_raw_audio.ipynb``.
    """

    def __init__(self, C: float = 100.0, **kwargs):
        super().__init__(**kwargs)
        self.C = float(C)

    def call(self, x):
        return ops.log1p(self.C * ops.abs(x))

    def get_config(self):
        return {**super().get_config(), "C": self.C}


@keras.saving.register_keras_serializable(package="mgr_utils")
class L2FeaturePool(layers.Layer):
    """L2 pooling over groups of ``pool`` neighbouring filters: ``sqrt(sum of squares + eps)`` per group.

    Dieleman & Schrauwen's feature-pooling variant ("L2 pooling with pools of 4 filters", [S]):
    two filters of one pool that differ only in phase give a pooled output that does not
    depend on the phase, like a magnitude. ``(time, n_filters)`` → ``(time, n_filters // pool)``.
    Registered for serialisation, as :class:`LogCompression`.

    Notebook: ``07_raw_audio.ipynb``.
    """

    def __init__(self, pool: int = 4, eps: float = 1e-6, **kwargs):
        super().__init__(**kwargs)
        self.pool = int(pool)
        self.eps = float(eps)

    def call(self, x):
        t, f = x.shape[1], x.shape[2]
        g = ops.reshape(x, (-1, t, f // self.pool, self.pool))
        return ops.sqrt(ops.sum(g * g, axis=-1) + self.eps)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[1], input_shape[2] // self.pool)

    def get_config(self):
        return {**super().get_config(), "pool": self.pool, "eps": self.eps}


def strided_front_end(
    x,
    n_filters: int = 32,
    filter_length: int = 256,
    stride: int = 256,
    C: float = 100.0,
    feature_pool: int | None = None,
    bn_momentum: float = 0.9,
):
    """The raw front end: a strided 1-D convolution (filter length = stride), compression, normalisation.

    One output frame per ``stride`` samples: ``n_samples // stride`` frames when the filter length
    equals the stride, ``(n_samples - filter_length) // stride + 1`` in general. The layer
    ``frontend_conv`` holds the learned filters: its kernel is ``(filter_length, 1, n_filters)``.

    Notebook: ``07_raw_audio.ipynb``.
    """
    x = layers.Conv1D(
        n_filters,
        filter_length,
        strides=stride,
        padding="valid",
        use_bias=False,
        name="frontend_conv",
    )(x)
    if feature_pool:
        x = L2FeaturePool(feature_pool, name="frontend_l2pool")(x)
    x = LogCompression(C, name="frontend_log")(x)
    return layers.BatchNormalization(momentum=bn_momentum, name="frontend_bn")(x)


def back_end(
    x,
    n_classes: int = 10,
    filters: Sequence[int] = (32, 32),
    kernel_size: int = 8,
    pool_size: int = 4,
    dense_units: int = 100,
    dropout: float = 0.0,
):
    """The shared back end: (conv over time, ReLU, max-pool) per entry of ``filters``, dense, softmax.

    Notebook: ``07_raw_audio.ipynb``.
    """
    for i, f in enumerate(filters, start=1):
        x = layers.Conv1D(
            f, kernel_size, padding="valid", activation="relu", name=f"conv{i}"
        )(x)
        x = layers.MaxPooling1D(pool_size, name=f"pool{i}")(x)
    x = layers.Flatten(name="flatten")(x)
    if dropout:
        x = layers.Dropout(dropout, name="dropout")(x)
    x = layers.Dense(dense_units, activation="relu", name="fc")(x)
    return layers.Dense(n_classes, activation="softmax", name="softmax")(x)


def back_end_min_frames(
    n_layers: int = 2, kernel_size: int = 8, pool_size: int = 4
) -> int:
    """The fewest frames the back end can take: each of its ``n_layers`` blocks (a
    "valid" convolution of ``kernel_size`` frames, then a max-pooling by ``pool_size``)
    must leave at least one frame.

    With the default back end (2 blocks of 8 and 4) that is 51 frames: 1 frame after
    the last pooling needs 4 before it, 4 + 7 = 11 before the last convolution, 44 before
    the first pooling and 51 before the first convolution.

    Notebook: ``07_raw_audio.ipynb``.
    """
    need = 1
    for _ in range(int(n_layers)):
        need = need * int(pool_size) + int(kernel_size) - 1
    return need


def dieleman_cnn(
    input_shape: tuple[int, int],
    front_end: str = "raw",
    n_classes: int = 10,
    n_filters: int = 32,
    filter_length: int = 256,
    stride: int = 256,
    C: float = 100.0,
    feature_pool: int | None = None,
    bn_momentum: float = 0.9,
    filters: Sequence[int] = (32, 32),
    kernel_size: int = 8,
    pool_size: int = 4,
    dense_units: int = 100,
    dropout: float = 0.0,
    seed: int | None = None,
) -> keras.Model:
    """Dieleman & Schrauwen (2014): the same back end on a mel spectrogram or on raw audio.

    **The paper's full text was not read.** What is known ([S]: the abstract, the author's page,
    citing papers and replications; see the appendix *What each paper did*): the raw front end
    is a **strided 1-D convolution with filter length = stride** (256 and 1024 among the settings),
    the spectrogram front end a **mel spectrogram with the same window and hop**, both followed by
    one back end "1d conv - MP - 1d conv - MP - fc layers"; a variant pools groups of 4 filters
    (L2 feature pooling). The widths below are [U] (recalled, and replications disagree) or ours.

    ===  ==================================================================  =====================
    #    layer                                                               source
    ===  ==================================================================  =====================
    in   raw: ``n_samples`` × 1;  mel: ``n_frames`` × ``n_mels`` (log-mel,     [S]
         window = hop = ``stride``, standardised per band)
    fe   raw only: conv1d, ``n_filters`` filters of ``filter_length``,        [S] length = stride;
         stride ``stride``, no bias                                          32 filters [U]
    fe'  raw only, optional: L2 pooling over groups of ``feature_pool``       [S]
    fe'' raw only: ``log(1 + C |x|)``, batch normalisation                   ours
    1    conv1d over time, 32 maps of 8, ReLU                                [U]
    2    max-pool 4                                                          [U]
    3    conv1d over time, 32 maps of 8, ReLU                                [U]
    4    max-pool 4                                                          [U]
    5    dense 100, ReLU                                                     [U]
    out  dense softmax over ``n_classes`` (the paper: 50 sigmoid tag outputs)  ours (genres)
    ===  ==================================================================  =====================

    *Ours*: the compression ``log(1 + C |x|)`` with ``C = 100`` (a learned counterpart of the mel
    side's log) and the batch normalisation after it (a learned counterpart of the mel side's
    standardisation per band), ``"valid"`` padding, the flatten before the dense layer, the
    softmax over genres instead of tag sigmoids.

    Notebook: ``07_raw_audio.ipynb``.

    Args:
        input_shape: raw: ``(n_samples, 1)``; mel: ``(n_frames, n_mels)``.
        front_end: ``"raw"`` or ``"mel"``.
        n_classes: Number of genres.
        n_filters: Filters of the raw front end.
        filter_length, stride: The raw front end's filter length and stride (paper: equal).
        C: Compression constant of ``log(1 + C |x|)``.
        feature_pool: L2-pool groups of this many filters (``None``: no feature pooling); must
            divide ``n_filters``.
        filters, kernel_size, pool_size, dense_units, dropout: The back end.
        seed: Seed for the initial weights (``None``: leave the global seed alone).

    Returns:
        An uncompiled model mapping ``(batch, *input_shape)`` to ``(batch, n_classes)``.

    Raises:
        ValueError: An unknown ``front_end``, an input shape that does not fit it, a
            ``feature_pool`` that does not divide ``n_filters``, or segments with too
            few frames for the back end (:func:`back_end_min_frames`; the message says
            how many are needed).
    """
    if front_end not in FRONT_ENDS:
        raise ValueError(f"unknown front_end {front_end!r}; choose one of {FRONT_ENDS}")
    if len(input_shape) != 2:
        raise ValueError(
            f"input_shape must be (time, channels), got {tuple(input_shape)}"
        )
    if front_end == "raw":
        if input_shape[1] != 1:
            raise ValueError(
                f"the raw front end takes mono audio, input_shape (n_samples, 1); got {tuple(input_shape)}"
            )
        if input_shape[0] < filter_length:
            raise ValueError(
                f"input_shape: {input_shape[0]} samples are fewer than one filter ({filter_length})"
            )
        if feature_pool and n_filters % feature_pool:
            raise ValueError(
                f"feature_pool={feature_pool} must divide n_filters={n_filters}"
            )
    frames = (
        (int(input_shape[0]) - filter_length) // stride + 1
        if front_end == "raw"
        else int(input_shape[0])
    )
    need = back_end_min_frames(len(filters), kernel_size, pool_size)
    if frames < need:
        samples = f" ({need * stride:,} samples at a stride of {stride})"
        raise ValueError(
            f"input_shape {tuple(input_shape)} gives the back end {frames} frames, too"
            f" few for {len(filters)} convolutions of {kernel_size} frames each followed"
            f" by a max-pooling by {pool_size}: it needs at least {need} frames"
            f"{samples}. Lengthen the segments (SEGMENT_SECONDS) or shorten the stride."
        )
    seed_weights(seed)
    x_in = keras.Input(
        shape=tuple(input_shape), name="waveform" if front_end == "raw" else "log_mel"
    )
    x = x_in
    if front_end == "raw":
        x = strided_front_end(
            x, n_filters, filter_length, stride, C, feature_pool, bn_momentum
        )
    y = back_end(x, n_classes, filters, kernel_size, pool_size, dense_units, dropout)
    return keras.Model(x_in, y, name=f"dieleman2014_{front_end}")


def frontend_filters(model: keras.Model) -> np.ndarray:
    """The raw front end's learned filters, ``(filter_length, n_filters)`` (a NumPy copy).

    Notebook: ``07_raw_audio.ipynb``.

    Raises:
        ValueError: The model has no layer ``frontend_conv`` (a mel model).
    """
    try:
        layer = model.get_layer("frontend_conv")
    except ValueError:
        raise ValueError(
            f"model {model.name!r} has no raw front end (no layer 'frontend_conv')"
        ) from None
    return np.asarray(layer.get_weights()[0])[:, 0, :]
