"""Costa, Oliveira & Silla Jr. (2017): a CNN on 256 x 16 spectrogram patches.

Notebook: ``04_costa_cnn.ipynb``.
"""

from __future__ import annotations

import keras
from keras import layers

from mgr_utils.models.common import seed_weights


LMD = "LMD, artist-filtered subset (900 tracks, 10 Latin genres)"

REPORTED = {
    "costa_cnn": {
        "value": 0.830,
        "metric": "accuracy",
        "sureness": "paper",
        "dataset": LMD,
        "protocol": "3-fold CV with artist filter, sum rule",
        "source": "Costa et al. 2017, Table 3",
    },
    "costa_cnn_x_lbp_product": {
        "value": 0.920,
        "metric": "accuracy",
        "sureness": "paper",
        "dataset": LMD,
        "protocol": "3-fold CV with artist filter, CNN + robust LBP, product rule",
        "source": "Costa et al. 2017, Table 5",
    },
}
"""The paper's numbers beside the book's systems (the records' ``reported``), by name.

The LBP-zone SVMs' number is :data:`mgr_utils.classical.REPORTED` (chapter 3 imports
no Keras).

Notebook: ``04_costa_cnn.ipynb``.
"""


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

    The network follows Hafemann et al. (2014)'s forest-texture CNN. Tags as in the book's appendix
    *What each paper did*: [P] read in the paper, **ours** where the paper is silent.

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
    252 × 12 → 126 × 6 → 122 × 2 → 61 × 1 × 64), the first dense layer's width (256) and **two**
    dropout layers of 0.5, one before each fully connected layer. The paper's training (SGD, momentum 0.9, weight decay 5e-4, lr 1e-3, batch
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
    seed_weights(seed)
    x_in = keras.Input(shape=tuple(input_shape), name="patch")
    x = x_in
    for i in (1, 2):
        x = layers.Conv2D(
            filters,
            kernel_size,
            padding="valid",
            activation=activation,
            name=f"conv{i}",
        )(x)
        x = layers.MaxPooling2D(2, strides=2, name=f"pool{i}")(x)
    x = layers.Flatten(name="flatten")(x)
    if dropout:
        x = layers.Dropout(dropout, name="dropout1")(x)
    x = layers.Dense(dense_units, activation=activation, name="fc1")(x)
    if dropout:
        x = layers.Dropout(dropout, name="dropout2")(x)
    y = layers.Dense(n_classes, activation="softmax", name="fc2_softmax")(x)
    return keras.Model(x_in, y, name="costa_cnn")
