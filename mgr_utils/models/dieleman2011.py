"""Dieleman, Brakel & Schrauwen (2011): convolutions over time on 24-dimensional frames, then an MLP.

Notebook: ``08_pretraining.ipynb``.
"""

from __future__ import annotations

from collections.abc import Sequence

import keras
from keras import layers

from mgr_utils.models.common import seed_weights

REPORTED = {
    "value": 0.30,
    "metric": "accuracy",
    "dataset": "Million Song Dataset, genre classes derived from tags",
    "protocol": "unknown; not comparable with GTZAN",
    "sureness": "unverified",
    "source": "the survey's §4.2 ('about 30 %', and that pretraining made genre "
    "recognition worse); no text of Dieleman et al. 2011 was found, so "
    "neither the number nor any gain or loss from pretraining on genres is "
    "verified",
}
"""The paper's genre accuracy as recorded beside ours (chapter 8), and how unsure it is.

Notebook: ``08_pretraining.ipynb``.
"""


def dieleman_cnn(
    input_shape: tuple[int, int] = (64, 24),
    n_classes: int = 10,
    filters: Sequence[int] = (16, 32),
    widths: Sequence[int] = (8, 4),
    pool: int = 4,
    dense_units: int = 64,
    dropout: float = 0.0,
    activation: str = "sigmoid",
    seed: int | None = None,
) -> keras.Model:
    """A reading of Dieleman, Brakel & Schrauwen (2011): sigmoid convolutions over time, max-pool 4, an MLP.

    The input is a window of frames of 24 values (12 chroma + 12 timbre; chapter 8's stand-in for
    the Echo Nest features). Each convolution slides **along time only**; a filter spans
    ``width`` frames and all input features, so the layer is a stack of 1-D convolutions, as the
    convolutional RBMs of :mod:`mgr_utils.pretraining` that can initialise it. Tags: [S] from a
    secondary source, [U] not verified (the paper's text was not read), **ours** where nothing is
    known.

    ===  ======================================================  ================================
    #    layer                                                   source
    ===  ======================================================  ================================
    in   ``frames`` × 24 (chroma + timbre per frame)             [U] (Echo Nest features); window ours
    1    conv over time, ``filters[0]`` maps of ``widths[0]``    [U] (convolutional RBM layer);
         frames, sigmoid                                         sizes ours
    2    max-pool 4 over time                                    [U]
    3    conv over time, ``filters[1]`` maps, sigmoid            [U]; sizes ours
    4    max-pool 4 over time                                    [U]
    5    fully connected, ``dense_units``, sigmoid               [S] ("CNN & MLP"); width ours
    6    fully connected, softmax over ``n_classes``             [S] ("CNN & MLP")
    ===  ======================================================  ================================

    The sigmoid units are what makes the pretrained weights usable as they are: each convolution
    computes :func:`mgr_utils.pretraining.hidden_probabilities` of its RBM ("valid" padding,
    kernel ``(width, D, K)``). The dropout before the first dense layer (0 by default) is ours.

    Notebook: ``08_pretraining.ipynb``.

    Args:
        input_shape: ``(frames, features)`` of a window.
        n_classes: Number of genres.
        filters: Maps of each convolution (as many as ``widths``).
        widths: Frames per filter of each convolution.
        pool: Max-pooling size after each convolution (the paper's reported 4).
        dense_units: Width of the MLP's hidden layer (ours).
        dropout: Dropout rate before the MLP (ours; 0 disables).
        activation: The hidden units' activation, convolutions and MLP alike
            (``"sigmoid"``: the RBMs' units, which pretrained weights need; ``"relu"``:
            a modern random start, chapter 8's exercise 5).
        seed: Seed for the initial weights (``None``: leave the global seed alone).

    Returns:
        An uncompiled model mapping ``(batch, frames, features)`` to ``(batch, n_classes)``
        probabilities; its convolutions are named ``conv1``, ``conv2``, ...

    Raises:
        ValueError: ``filters`` and ``widths`` of different lengths, or a window too short for
            the stack.
    """
    if len(filters) != len(widths) or not filters:
        raise ValueError(
            f"filters and widths must be non-empty and of one length, got {filters!r} and {widths!r}"
        )
    frames = int(input_shape[0])
    for w in widths:
        frames = (frames - int(w) + 1) // int(pool)
        if frames < 1:
            raise ValueError(
                f"input_shape {tuple(input_shape)} is too short for widths {tuple(widths)} "
                f"with pooling {pool}: nothing is left after the last pooling"
            )
    seed_weights(seed)
    x_in = keras.Input(shape=tuple(input_shape), name="frames")
    x = x_in
    for i, (k, w) in enumerate(zip(filters, widths), start=1):
        x = layers.Conv1D(
            int(k), int(w), padding="valid", activation=activation, name=f"conv{i}"
        )(x)
        x = layers.MaxPooling1D(int(pool), name=f"pool{i}")(x)
    x = layers.Flatten(name="flatten")(x)
    if dropout:
        x = layers.Dropout(dropout, name="dropout")(x)
    x = layers.Dense(int(dense_units), activation=activation, name="mlp_hidden")(x)
    y = layers.Dense(n_classes, activation="softmax", name="softmax")(x)
    return keras.Model(x_in, y, name="dieleman2011_cnn")
