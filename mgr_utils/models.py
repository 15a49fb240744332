"""The CNN builders of chapters 4-6, one per paper, as Keras 3 functional models.

Each builder returns an *uncompiled* :class:`keras.Model` (compile and train it with
:func:`mgr_utils.training.train`). Each docstring carries the paper's layer table as
``papers.md`` records it, with a tag per fact (the book's convention):

* **[P]** read in the paper's full text; **[R]** taken from a third-party reproduction;
* **[U]** not verified (memory or inference);
* **ours**: the paper is silent and the book chose.

Every builder takes ``seed``: when given, :func:`keras.utils.set_random_seed` is called before any
layer is made, so the initial weights are reproducible.

Notebook: ``04_costa_cnn.ipynb``, ``05_nakashika_glcm_cnn.ipynb``, ``06_zhang_cnn.ipynb``.
"""

from __future__ import annotations

from collections.abc import Sequence

import keras
from keras import layers

POOLINGS = ("max", "max+avg")
"""The pooling modes of :func:`zhang_cnn`."""


def _seed(seed: int | None) -> None:
    if seed is not None:
        keras.utils.set_random_seed(int(seed))


def costa_cnn(
    input_shape: tuple[int, int, int] = (256, 16, 1),
    n_classes: int = 10,
    filters: int = 64,
    kernel_size: int = 5,
    dense_units: int = 256,
    dropout: float = 0.5,
    activation: str = "relu",
    seed: int | None = None,
) -> keras.Model:
    """Costa, Oliveira & Silla (2017): a CNN on 256 × 16 spectrogram patches.

    The network follows Hafemann et al. (2014)'s forest-texture CNN (``papers.md`` §1):

    ===  ====================================================  ==========================
    #    layer                                                 source
    ===  ====================================================  ==========================
    in   256 × 16 patch (frequency × time), 1 channel          [P]
    1    conv 5×5, stride 1, **64 maps**                       [P]; ``"valid"`` padding ours
    2    max-pool 2×2, stride 2                                [P]
    3    conv 5×5, stride 1, 64 maps                           [P]; ``"valid"`` padding ours
    4    max-pool 2×2, stride 2                                [P]
    5    fully connected, ``dense_units`` wide                 [P]; width **ours** (not given)
    6    fully connected, softmax over ``n_classes``           [P]
    ===  ====================================================  ==========================

    *Ours* where the paper is silent: the activation (ReLU), ``"valid"`` padding (Caffe's default,
    the framework Costa et al. used; it also keeps the narrow 16-column patch cheap: 256 × 16 →
    252 × 12 → 126 × 6 → 122 × 2 → 61 × 1 × 64), the first dense layer's width (256) and a dropout
    of 0.5 before it. The paper's training (SGD, momentum 0.9, weight decay 5e-4, lr 1e-3, batch
    128, 80 epochs, early stopping on a 30 % validation split [P]) is set in the notebook, not here.

    Notebook: ``04_costa_cnn.ipynb``.

    Args:
        input_shape: ``(rows, columns, channels)`` of a patch.
        n_classes: Number of genres.
        filters: Maps per conv layer (paper: 64).
        kernel_size: Side of the square conv kernels (paper: 5).
        dense_units: Width of the first fully connected layer (ours).
        dropout: Dropout rate before each dense layer (ours; 0 disables).
        activation: Activation of the hidden layers (ours).
        seed: Seed for the initial weights (``None``: leave the global seed alone).

    Returns:
        An uncompiled model mapping ``(batch, *input_shape)`` to ``(batch, n_classes)`` probabilities.
    """
    _seed(seed)
    x_in = keras.Input(shape=tuple(input_shape), name="patch")
    x = x_in
    for i in (1, 2):
        x = layers.Conv2D(filters, kernel_size, padding="valid", activation=activation, name=f"conv{i}")(x)
        x = layers.MaxPooling2D(2, strides=2, name=f"pool{i}")(x)
    x = layers.Flatten(name="flatten")(x)
    if dropout:
        x = layers.Dropout(dropout, name="dropout1")(x)
    x = layers.Dense(dense_units, activation=activation, name="fc1")(x)
    if dropout:
        x = layers.Dropout(dropout, name="dropout2")(x)
    y = layers.Dense(n_classes, activation="softmax", name="fc2_softmax")(x)
    return keras.Model(x_in, y, name="costa_cnn")


@keras.saving.register_keras_serializable(package="mgr_utils")
class ScalarAffine(layers.Layer):
    """``y = a x + b`` with one trainable scalar ``a`` and one ``b`` for the whole input.

    LeNet's "subsampling" layers multiply the pooled map by a trainable coefficient and add a
    trainable bias; the Nakashika reproduction ([R], ``papers.md`` §2) keeps that step after its
    average pooling.

    Notebook: ``05_nakashika_glcm_cnn.ipynb``.
    """

    def build(self, input_shape):
        self.a = self.add_weight(shape=(), initializer="ones", name="a")
        self.b = self.add_weight(shape=(), initializer="zeros", name="b")

    def call(self, x):
        return self.a * x + self.b


def nakashika_cnn(
    input_shape: tuple[int, int, int] = (16, 16, 4),
    n_classes: int = 10,
    filters: Sequence[int] = (12, 6),
    kernel_sizes: Sequence[int] = (6, 3),
    activation: str = "tanh",
    seed: int | None = None,
) -> keras.Model:
    """Nakashika, Garcia & Takiguchi (2012): a ConvNet on stacked GLCM maps.

    The input is one segment's grey-level co-occurrence matrices (16 grey levels → 16 × 16 maps),
    **one channel per offset** (distance 1 at 0°, 45°, 90°, 135°), computed from a quantised
    short-term **mel** map: the "integration" of local feature maps the title names ([S]: the
    abstract). The primary PDF was not read, so the layers below are those of the public
    reproduction (Dziri & Stiegler, ``models/GLCM_model.py``), a LeNet-like net ([R],
    ``papers.md`` §2):

    ===  ==========================================================  =====================
    #    layer                                                       source
    ===  ==========================================================  =====================
    in   16 × 16 GLCM maps × ``n_maps`` offsets                      [R] (their code: 15 × 15)
    1    conv 6×6, 12 maps, tanh                                     [R]
    2    average pooling 2×2                                         [R]
    3    trainable affine scalar (LeNet "subsampling" coefficient)   [R]
    4    conv 3×3, 6 maps, tanh                                      [R]
    5    global average pooling                                      [R]
    6    dense softmax over ``n_classes``                            [R]
    ===  ==========================================================  =====================

    *Ours*: ``"valid"`` padding (16 → 11 → 5 → 3 per side) and the 16 × 16 input (the reproduction
    feeds 15 × 15, whose match with the paper is [U]). The network is deliberately tiny: six
    numbers reach the softmax, one reason the reproduction stayed at 42-52 % on GTZAN [R] against
    the paper's ~72 % [S].

    Notebook: ``05_nakashika_glcm_cnn.ipynb``.

    Args:
        input_shape: ``(levels, levels, n_maps)``.
        n_classes: Number of genres.
        filters: Maps of the two conv layers ([R]: 12, 6).
        kernel_sizes: Kernel sides of the two conv layers ([R]: 6, 3).
        activation: Activation of the conv layers ([R]: tanh).
        seed: Seed for the initial weights (``None``: leave the global seed alone).

    Returns:
        An uncompiled model mapping ``(batch, *input_shape)`` to ``(batch, n_classes)`` probabilities.
    """
    _seed(seed)
    x_in = keras.Input(shape=tuple(input_shape), name="glcm_maps")
    x = layers.Conv2D(filters[0], kernel_sizes[0], activation=activation, name="conv1")(x_in)
    x = layers.AveragePooling2D(2, name="avgpool")(x)
    x = ScalarAffine(name="subsampling_affine")(x)
    x = layers.Conv2D(filters[1], kernel_sizes[1], activation=activation, name="conv2")(x)
    x = layers.GlobalAveragePooling2D(name="global_avgpool")(x)
    y = layers.Dense(n_classes, activation="softmax", name="softmax")(x)
    return keras.Model(x_in, y, name="nakashika_cnn")


def _pool(x, mode: str, size: int, name: str):
    """Max-pool, or max-pool and average-pool side by side (channels concatenated)."""
    m = layers.MaxPooling1D(size, name=f"{name}_max")(x)
    if mode == "max":
        return m
    a = layers.AveragePooling1D(size, name=f"{name}_avg")(x)
    return layers.Concatenate(name=f"{name}_max_avg")([m, a])


def _global_pool(x, mode: str):
    m = layers.GlobalMaxPooling1D(name="global_max")(x)
    if mode == "max":
        return m
    a = layers.GlobalAveragePooling1D(name="global_avg")(x)
    return layers.Concatenate(name="global_max_avg")([m, a])


def zhang_cnn(
    input_shape: tuple[int, int] = (130, 513),
    n_classes: int = 10,
    pooling: str = "max+avg",
    shortcuts: bool = True,
    filters: Sequence[int] = (128, 128, 128),
    kernel_size: int = 4,
    pool_size: int = 4,
    dense_units: Sequence[int] = (256, 256),
    dropout: float = 0.5,
    batch_norm: bool = True,
    seed: int | None = None,
) -> keras.Model:
    """Zhang, Lei, Xu & Xing (2016): a CNN on STFT frames with max + average pooling and shortcuts.

    **This layer list is a reconstruction.** What is verified is the abstract ([S], ``papers.md``
    §3): the input is "simply the short time Fourier transforms" (linear magnitudes, not mel); two
    ideas are proposed, (1) **combining max- and average-pooling** "to provide more statistical
    information to higher level neural networks" and (2) **shortcut connections** that skip one or
    more layers (residual learning); the CNN's output feeds **another DNN** that classifies; both
    ideas help on GTZAN, the shortcuts most. The exact layers, STFT size, segment length and
    protocol are [U] until the ISCA PDF is read. The survey's "8 layers + input + softmax, conv
    alternating with max-pooling, the final 3 layers dense" is the survey's word only.

    Our reconstruction (every row **ours** unless tagged):

    ===  ========================================================================  ===========
    #    layer                                                                     source
    ===  ========================================================================  ===========
    in   ``n_frames`` STFT frames × ``n_bins`` linear-frequency bins (channels)    [S] STFT
    1    conv1d over time, ``filters[0]`` maps, kernel 4, ReLU (+ batch norm)      ours [U]
    2    pool ×4 over time: max, or max ‖ avg concatenated                         [S] idea 1
    3    conv1d, ``filters[1]`` maps (+ shortcut from its input: Add)              [S] idea 2
    4    pool ×4 (max or max ‖ avg)                                                [S] idea 1
    5    conv1d, ``filters[2]`` maps (+ shortcut)                                  [S] idea 2
    6    global pooling over time: max, or max ‖ avg                               [S] idea 1
    7-8  "another DNN": dense ``dense_units`` (ReLU, dropout)                       [S]; widths ours
    out  dense softmax over ``n_classes``                                          [S]
    ===  ========================================================================  ===========

    Reading the spectrogram as ``n_bins`` channels and convolving over time only is the
    "Dieleman/Spotify" pattern that papers.md recalls for this paper ([U]); it makes each first-
    layer filter span the whole spectrum, which is cheap on a CPU. The shortcut of a block adds the
    block's input to its conv output before the activation (``h = relu(conv(x) + x)``), through a
    1 × 1 convolution when the channel counts differ (after a max ‖ avg pooling the input has twice
    the channels); the first block has none (its input is the raw spectrum).

    The two ideas are the switches of the chapter's ablation: ``pooling="max"``,
    ``shortcuts=False`` is the plain CNN; ``pooling="max+avg"`` adds one ``AveragePooling1D`` (and
    a ``Concatenate``) per pooling step; ``shortcuts=True`` adds one ``Add`` per block after the
    first.

    Notebook: ``06_zhang_cnn.ipynb``.

    Args:
        input_shape: ``(n_frames, n_bins)`` of one segment's STFT magnitude (time first).
        n_classes: Number of genres.
        pooling: ``"max"`` or ``"max+avg"`` (idea 1).
        shortcuts: Add the shortcut connections (idea 2).
        filters: Maps of the conv blocks (their number sets the depth).
        kernel_size: Conv kernel length in frames.
        pool_size: Pooling factor over time between blocks.
        dense_units: Widths of the hidden dense layers of "another DNN".
        dropout: Dropout before each dense layer (0 disables).
        batch_norm: Batch normalisation after each conv (ours; helps the plain CNN train fast).
        seed: Seed for the initial weights (``None``: leave the global seed alone).

    Returns:
        An uncompiled model mapping ``(batch, n_frames, n_bins)`` to ``(batch, n_classes)``.

    Raises:
        ValueError: An unknown ``pooling``, or no conv block.
    """
    if pooling not in POOLINGS:
        raise ValueError(f"unknown pooling {pooling!r}; choose one of {POOLINGS}")
    if len(filters) < 1:
        raise ValueError("zhang_cnn needs at least one conv block")
    _seed(seed)
    x_in = keras.Input(shape=tuple(input_shape), name="stft_frames")
    x = x_in
    for i, f in enumerate(filters, start=1):
        h = layers.Conv1D(f, kernel_size, padding="same", use_bias=not batch_norm, name=f"conv{i}")(x)
        if batch_norm:
            h = layers.BatchNormalization(name=f"bn{i}")(h)
        if shortcuts and i > 1:
            s = x
            if x.shape[-1] != f:
                s = layers.Conv1D(f, 1, use_bias=False, name=f"shortcut{i}_proj")(x)
            h = layers.Add(name=f"shortcut{i}")([h, s])
        x = layers.Activation("relu", name=f"relu{i}")(h)
        if i < len(filters):
            x = _pool(x, pooling, pool_size, name=f"pool{i}")
    x = _global_pool(x, pooling)
    for j, units in enumerate(dense_units, start=1):
        if dropout:
            x = layers.Dropout(dropout, name=f"dnn_dropout{j}")(x)
        x = layers.Dense(units, activation="relu", name=f"dnn{j}")(x)
    y = layers.Dense(n_classes, activation="softmax", name="softmax")(x)
    suffix = pooling.replace("+", "_") + ("_shortcuts" if shortcuts else "")
    return keras.Model(x_in, y, name=f"zhang_cnn_{suffix}")


def count_layers(model: keras.Model, kind: type | str) -> int:
    """How many layers of a class (or class name) the model holds, e.g. ``"Add"``.

    Notebook: ``06_zhang_cnn.ipynb`` (the ablation's graphs).
    """
    name = kind if isinstance(kind, str) else kind.__name__
    return sum(type(layer).__name__ == name for layer in model.layers)
