"""Choi, Fazekas & Sandler (2016): the five-block CNN whose feature maps chapter 9 listens to.

Notebook: ``09_auralisation.ipynb``.
"""

from __future__ import annotations

import keras
from keras import layers

from mgr_utils.models.common import seed_weights

N_BLOCKS = 5
"""Conv + max-pool blocks of Choi's network ([P])."""

REPORTED = {
    "value": 0.75,
    "metric": "accuracy",
    "dataset": "in-house Naver Music set, 3 genres (ballad, dance, hip-hop), "
    "8,000 songs",
    "protocol": "4 s excerpts; 6,600/700/700 songs; 'at the end of training', split "
    "not stated",
    "source": "Choi, Fazekas & Sandler 2016 (arXiv:1607.02444)",
    "sureness": "paper",
}
"""The paper's number as chapter 9 records it beside ours (not comparable with ours).

Notebook: ``09_auralisation.ipynb``.
"""


def _check_arguments(input_shape, filters, dense_units, dropout, conv_dropout) -> None:
    """Raise a ValueError naming the first argument of :func:`choi_cnn` that cannot work."""
    for name, value in (("filters", filters), ("dense_units", dense_units)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(
                f"{name} must be a whole number of at least 1, got {value!r}"
            )
    for name, value in (("dropout", dropout), ("conv_dropout", conv_dropout)):
        if not 0.0 <= float(value) < 1.0:
            raise ValueError(f"{name} must be in [0, 1), got {value!r}")
    if min(input_shape[:2]) < 2**N_BLOCKS:
        raise ValueError(
            f"input_shape {input_shape} is too small for {N_BLOCKS} 2x2 poolings "
            f"(need at least {2**N_BLOCKS} x {2**N_BLOCKS})"
        )


def choi_cnn(
    input_shape: tuple[int, int, int] = (257, 173, 1),
    n_classes: int = 10,
    filters: int = 64,
    dense_units: int = 1024,
    dropout: float = 0.5,
    conv_dropout: float = 0.5,
    seed: int | None = None,
) -> keras.Model:
    """Choi, Fazekas & Sandler (2016): five blocks of conv 3 × 3 and max-pool 2 × 2, two dense layers.

    Tags as in the book's appendix *What each paper did*: [P] read in the paper, [C] read in the
    authors' public code (``keunwoochoi/Auralisation``), **ours** where both are silent.

    ===  ==========================================================  ============================
    #    layer                                                       source
    ===  ==========================================================  ============================
    in   linear-magnitude STFT, 257 × 173 (4 s at 11,025 Hz), 1 ch   [P], linear magnitude [C]
    1-5  block *i*: conv 3×3, ``filters`` maps, ``"same"``, ReLU;    [P] (64 maps); ``"same"`` [C]
         max-pool 2×2, stride 2 (257×173 → 128×86 → 64×43 →         [P] (sizes), floor [C]
         32×21 → 16×10 → 8×5); dropout ``conv_dropout``              [P] (0.5)
    6    fully connected, ``dense_units``, ReLU; dropout ``dropout``  [P] (1024, 0.5); ReLU ours
    7    fully connected, ``dense_units``, ReLU; dropout ``dropout``  [P] (1024, 0.5); ReLU ours
    8    softmax over ``n_classes``                                  [P] (3 genres); 10 here
    ===  ==========================================================  ============================

    The paper places dropout of 0.5 on "all conv and FC layers" ([P]); where exactly in a block is
    not said: here after each pooling (**ours**). The layers are named ``conv1`` ... ``conv5`` and
    ``pool1`` ... ``pool5``: :mod:`mgr_utils.auralisation` reads the convolutions' weights by
    these names. Each conv layer has a bias (the deconvolution leaves the biases out, as
    Choi's code does). The paper's training (optimiser, epochs) is not known to us; the notebook
    sets it.

    Notebook: ``09_auralisation.ipynb``.

    Args:
        input_shape: ``(frequency bins, frames, 1)``.
        n_classes: Number of genres (the paper: 3).
        filters: Maps per conv layer (the paper: 64).
        dense_units: Width of both fully connected layers (the paper: 1024).
        dropout: Dropout rate after each dense layer (0 disables).
        conv_dropout: Dropout rate after each pooling (0 disables).
        seed: Seed for the initial weights (``None``: leave the global seed alone).

    Returns:
        An uncompiled model mapping ``(batch, *input_shape)`` to ``(batch, n_classes)`` probabilities.

    Raises:
        ValueError: ``filters`` or ``dense_units`` not a positive whole number, a dropout rate
            outside ``[0, 1)``, or an input too small for five poolings.
    """
    _check_arguments(input_shape, filters, dense_units, dropout, conv_dropout)
    seed_weights(seed)
    x_in = keras.Input(shape=tuple(input_shape), name="stft")
    x = x_in
    for i in range(1, N_BLOCKS + 1):
        x = layers.Conv2D(
            filters, 3, padding="same", activation="relu", name=f"conv{i}"
        )(x)
        x = layers.MaxPooling2D(2, strides=2, name=f"pool{i}")(x)
        if conv_dropout:
            x = layers.Dropout(conv_dropout, name=f"dropout_conv{i}")(x)
    x = layers.Flatten(name="flatten")(x)
    for i in (1, 2):
        x = layers.Dense(dense_units, activation="relu", name=f"fc{i}")(x)
        if dropout:
            x = layers.Dropout(dropout, name=f"dropout_fc{i}")(x)
    y = layers.Dense(n_classes, activation="softmax", name="softmax")(x)
    return keras.Model(x_in, y, name="choi_cnn")
