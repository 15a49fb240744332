"""Lee, Park, Kim & Nam (2017): a sample-level CNN on raw waveforms.

Notebook: ``07_raw_audio.ipynb``.
"""

from __future__ import annotations

from collections.abc import Sequence

import keras
from keras import layers

from mgr_utils.models.common import seed_weights

LEE_CHANNELS = (128, 128, 256, 256, 256, 256, 256, 256, 512)
"""Channels of the nine blocks of Lee et al.'s 3^9 model ([C]: the authors' code)."""

REPORTED = {
    "value": 0.9055,
    "metric": "tag ROC-AUC (not comparable with clip accuracy)",
    "dataset": (
        "MagnaTagATune, 50 tags, Dieleman's folder split (15,244 / 1,529 / "
        "4,332 clips with a top-50 tag)"
    ),
    "protocol": (
        "3^9 model on 59,049-sample segments, 10 segments averaged per clip; "
        "the authors' mel-spectrogram model scored 0.9059 in the same table"
    ),
    "source": (
        "Lee et al. 2017 (the authors' SMC 2017 slides; the split in "
        "jongpillee/sampleCNN)"
    ),
    "sureness": "secondary",
}
"""Lee et al.'s MagnaTagATune AUC as a results-record ``reported`` entry ([S]: the
authors' slides; [C]: the split, in their code).

Notebook: ``07_raw_audio.ipynb``."""


def sample_cnn(
    n_samples: int = 59049,
    n_classes: int = 10,
    first_filters: int = 128,
    channels: Sequence[int] = LEE_CHANNELS,
    last_filters: int = 512,
    dropout: float = 0.5,
    bn_momentum: float = 0.9,
    seed: int | None = None,
) -> keras.Model:
    """Lee et al. (2017): a strided conv of length 3, then blocks of (conv 3, BN, ReLU, max-pool 3).

    Every block divides the time axis by 3, so ``n_samples = 3^(len(channels) + 1)`` ends at one
    frame: the paper's best model reads 59,049 = 3^10 samples (2.7 s at 22,050 Hz) through nine
    blocks. Tags as in the book's appendix *What each paper did*: [C] read in the authors'
    public code, **ours** where we depart.

    ===  ===========================================================  ======================
    #    layer                                                        source
    ===  ===========================================================  ======================
    in   59,049 samples × 1                                           [C]
    1    conv1d, 128 filters of length 3, stride 3, BN, ReLU          [C]
    2-10 nine blocks: conv1d kernel 3 ("same"), BN, ReLU, max-pool 3;  [C]
         channels 128, 128, 256, 256, 256, 256, 256, 256, 512
    11   conv1d 1 × 1, 512 filters, BN, ReLU                          [C]; BN and ReLU [U]
    12   dropout 0.5                                                  [C]
    out  dense softmax over ``n_classes`` (the paper: 50 tag sigmoids)  ours (genres)
    ===  ===========================================================  ======================

    The fast build passes fewer blocks and channels (and so fewer samples); the full run the
    paper's. The clip's decision averages its segments' predictions in the paper (the sum rule).

    Notebook: ``07_raw_audio.ipynb``.

    Args:
        n_samples: Input length; must be at least ``3^(len(channels) + 1)``.
        n_classes: Number of genres.
        first_filters: Filters of the strided first convolution (paper: 128).
        channels: Channels of each block; their number sets the depth (paper: nine blocks).
        last_filters: Filters of the final 1 × 1 convolution (paper: 512).
        dropout: Dropout before the output (paper: 0.5; 0 disables).
        seed: Seed for the initial weights (``None``: leave the global seed alone).

    Returns:
        An uncompiled model mapping ``(batch, n_samples, 1)`` to ``(batch, n_classes)``.

    Raises:
        ValueError: No block, or ``n_samples`` shorter than ``3^(len(channels) + 1)``.
    """
    if len(channels) < 1:
        raise ValueError("channels must list at least one block, e.g. (16, 16, 32)")
    need = 3 ** (len(channels) + 1)
    if n_samples < need:
        raise ValueError(
            f"n_samples={n_samples} is too short for {len(channels)} blocks: "
            f"it needs at least 3^{len(channels) + 1} = {need} samples"
        )
    seed_weights(seed)
    x_in = keras.Input(shape=(int(n_samples), 1), name="waveform")
    x = layers.Conv1D(
        first_filters,
        3,
        strides=3,
        padding="valid",
        use_bias=False,
        name="strided_conv",
    )(x_in)
    x = layers.BatchNormalization(momentum=bn_momentum, name="strided_bn")(x)
    x = layers.ReLU(name="strided_relu")(x)
    for i, c in enumerate(channels, start=1):
        x = layers.Conv1D(c, 3, padding="same", use_bias=False, name=f"block{i}_conv")(
            x
        )
        x = layers.BatchNormalization(momentum=bn_momentum, name=f"block{i}_bn")(x)
        x = layers.ReLU(name=f"block{i}_relu")(x)
        x = layers.MaxPooling1D(3, name=f"block{i}_pool")(x)
    x = layers.Conv1D(last_filters, 1, use_bias=False, name="conv1x1")(x)
    x = layers.BatchNormalization(momentum=bn_momentum, name="conv1x1_bn")(x)
    x = layers.ReLU(name="conv1x1_relu")(x)
    x = layers.Flatten(name="flatten")(x)
    if dropout:
        x = layers.Dropout(dropout, name="dropout")(x)
    y = layers.Dense(n_classes, activation="softmax", name="softmax")(x)
    return keras.Model(x_in, y, name="sample_cnn")
