"""Zhang, Lei, Xu & Xing (2016): max + average pooling and shortcut connections (a reconstruction).

Notebook: ``06_zhang_cnn.ipynb``.
"""

from __future__ import annotations

from collections.abc import Sequence

import keras
from keras import layers

from mgr_utils.models.common import seed_weights

REPORTED = {
    "zhang_cnn_max_avg_shortcuts": {
        "value": 0.874,
        "metric": "accuracy",
        "dataset": "GTZAN (10 genres)",
        "sureness": "unverified",
        "protocol": "split not known; best of two topologies",
        "source": "the survey, quoting Zhang et al. 2016",
    },
}
"""The number the survey quotes beside the book's full network (``reported``).

Notebook: ``06_zhang_cnn.ipynb``.
"""

POOLINGS = ("max", "max+avg")
"""The pooling modes of :func:`zhang_cnn`."""


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

    **This layer list is a reconstruction.** What is verified is the abstract ([S], see the
    appendix *What each paper did*): the input is "simply the short time Fourier transforms" (linear magnitudes, not mel); two
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
    "Dieleman/Spotify" pattern recalled for this paper without the PDF ([U]); it makes each first-
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
    seed_weights(seed)
    x_in = keras.Input(shape=tuple(input_shape), name="stft_frames")
    x = x_in
    for i, f in enumerate(filters, start=1):
        h = layers.Conv1D(
            f, kernel_size, padding="same", use_bias=not batch_norm, name=f"conv{i}"
        )(x)
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
