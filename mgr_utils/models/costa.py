"""Costa, Oliveira & Silla Jr. (2017): a CNN on 256 x 16 spectrogram patches.

Notebook: ``04_costa_cnn.ipynb``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import keras
import numpy as np
from keras import layers

from mgr_utils import SR
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


PAPER_LMD = {
    "costa_cnn": "83.0 ± 2.2 %",
    "lbp_zone_svm": "87.4 ± 1.1 % (robust LBP)",
    "costa_cnn_x_lbp_product": "92.0 ± 1.6 %",
}
"""Costa et al.'s LMD numbers (mean ± standard deviation over the 3 folds, Tables 3 and 5),
as chapter 4's table prints them beside the book's systems.

Notebook: ``04_costa_cnn.ipynb``.
"""


def costa_cnn(
    input_shape: tuple[int, int, int] = (256, 16, 1),
    n_classes: int = 10,
    filters: int = 64,
    kernel_size: int | tuple[int, int] = 5,
    dense_units: int = 256,
    dropout: float = 0.5,
    activation: str = "relu",
    seed: int | None = None,
    padding: str = "valid",
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
        kernel_size: Side of the square conv kernels (paper: 5), or ``(rows, columns)``
            (frequency, time).
        dense_units: Width of the first fully connected layer (ours).
        dropout: Dropout rate before each dense layer (ours; 0 disables).
        activation: Activation of the hidden layers (ours).
        seed: Seed for the initial weights (``None``: leave the global seed alone).
        padding: ``"valid"`` (Caffe's default, ours) or ``"same"``. With ``"valid"``, a
            kernel more than 5 columns wide leaves no column of a 16-column patch after
            the second convolution; ``"same"`` keeps 16 → 8 → 4 columns.

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
            padding=padding,
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


# --------------------------------------------------------------------------------------
# Late fusion with the LBP-zone SVMs (the "2nd-level fusion")
# --------------------------------------------------------------------------------------


def lbp_inputs(tex, side) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """The LBP-zone histograms of one side's clips, their labels and clip ids.

    Notebook: ``04_costa_cnn.ipynb``.

    Args:
        tex: :func:`mgr_utils.cache.extract`'s result of
            :func:`mgr_utils.features.texture_features` on ``side``.
        side: The side's clips (a :class:`~mgr_utils.datasets.ClipSet`).

    Returns:
        ``(X, y, clip_ids)`` of the clips whose features were extracted.
    """
    X = np.stack([f["lbp"] for f in tex.features])
    kept = np.asarray(tex.kept, dtype=int)
    return X, np.asarray(side.labels)[kept], [side[int(k)].clip_id for k in kept]


def late_fusion(
    model,
    data: Mapping[str, Any],
    sides: Mapping[str, Any],
    tex: Mapping[str, Any],
    lbp_svm,
    cnn_rule: str = "sum",
    rule: str = "product",
) -> dict[str, dict]:
    """Costa's 2nd-level fusion on every side: the CNN's clip probabilities times the SVMs'.

    On each side, the CNN's patch probabilities are pooled per clip with ``cnn_rule`` (the
    paper's sum), the LBP-zone SVMs give theirs, and :func:`mgr_utils.evaluation.fuse`
    combines the two by ``rule`` (the paper's product), clip by clip.

    Notebook: ``04_costa_cnn.ipynb``.

    Args:
        model: The trained CNN.
        data: Side name -> its :class:`~mgr_utils.training.Segments` (patches).
        sides: Side name -> its clips (``"train"``, ``"valid"``, ``"test"``).
        tex: Side name -> :func:`mgr_utils.cache.extract`'s texture features.
        lbp_svm: The fitted :class:`~mgr_utils.classical.LBPZoneSVM` (its rule chosen).
        cnn_rule: How the CNN's patches become clip probabilities.
        rule: The fusion rule.

    Returns:
        ``{"lbp": test metrics, "fused": test metrics}`` (clip level, each with its
        ``valid_accuracy``; the fusion's with its ``train_accuracy`` too).
    """
    from mgr_utils.evaluation import clip_metrics, fuse
    from mgr_utils.training import classes_of, predict_clips

    scores = {}
    for name in ("train", "valid", "test"):
        clips = sides[name]
        classes = classes_of(clips)
        X_lbp, y_lbp, lbp_ids = lbp_inputs(tex[name], clips)
        P_lbp = lbp_svm.predict_proba(X_lbp)
        seg = data[name]
        kept, P_cnn = predict_clips(model, seg.X, seg.clip_index, rule=cnn_rule)
        P = fuse(P_cnn, P_lbp, rule, clips_a=kept, clips_b=tex[name].kept)
        scores[name] = {
            "lbp": clip_metrics(y_lbp, P_lbp.argmax(axis=1), classes, lbp_ids),
            "fused": clip_metrics(
                np.asarray(clips.labels)[kept],
                P.argmax(axis=1),
                classes,
                [clips[int(k)].clip_id for k in kept],
            ),
        }
    out = scores["test"]
    for system in ("lbp", "fused"):
        out[system]["valid_accuracy"] = scores["valid"][system]["accuracy"]
    out["fused"]["train_accuracy"] = scores["train"]["fused"]["accuracy"]
    return out


FULL_RUN = {"train_clips": 443, "clip_seconds": 30.0, "train_hop": 8, "epochs": 80}
"""The full run's training work: the fault-filtered GTZAN split's 443 training clips of 30 s
(Kereliuk et al. 2015), patches 8 columns apart (``full_params.yaml``), the paper's 80 epochs.

Notebook: ``04_costa_cnn.ipynb``.
"""


def full_run_estimate(
    segments_per_second: float,
    sr: int = SR,
    train_clips: int = FULL_RUN["train_clips"],
    clip_seconds: float = FULL_RUN["clip_seconds"],
    train_hop: int = FULL_RUN["train_hop"],
    epochs: int = FULL_RUN["epochs"],
) -> dict[str, Any]:
    """How long the full run's training would take at a measured throughput: an estimate.

    The training patches of one epoch are counted by cutting a clip of ``clip_seconds``
    with :func:`mgr_utils.features.costa_patches` (hop ``train_hop``); the time is
    ``epochs`` times that many patches divided by ``segments_per_second`` (training
    steps only: the validation passes and early stopping, which usually ends the run
    sooner, are left out).

    Notebook: ``04_costa_cnn.ipynb``.

    Args:
        segments_per_second: Patches per second through a training step of the
            paper-size network (:func:`mgr_utils.training.measure_throughput`).
        sr: Sample rate in Hz.
        train_clips, clip_seconds, train_hop, epochs: The full run's work
            (:data:`FULL_RUN`).

    Returns:
        ``{"patches_per_epoch", "seconds", "epoch_seconds", "text"}``, the text e.g.
        ``"3.1 h (80 epochs of 2.3 min)"``.

    Raises:
        ValueError: A throughput that is not positive.
    """
    from mgr_utils.features import costa_patches
    from mgr_utils.readings import duration_text

    if not segments_per_second > 0:
        raise ValueError(f"a throughput must be positive, got {segments_per_second}")
    noise = np.random.default_rng(0).standard_normal(int(round(clip_seconds * sr)))
    per_clip = len(costa_patches(noise.astype(np.float32), sr, hop=train_hop))
    n = per_clip * int(train_clips)
    epoch = n / float(segments_per_second)
    return {
        "patches_per_epoch": n,
        "seconds": epochs * epoch,
        "epoch_seconds": epoch,
        "text": f"{duration_text(epochs * epoch)} ({epochs} epochs of "
        f"{duration_text(epoch)})",
    }


def multiply_adds(model) -> int:
    """Multiply-adds of one forward pass of one input through ``model``'s conv and dense layers.

    A 2-D convolution costs (output positions) × (kernel rows × columns) × (input channels)
    × (filters); a dense layer (inputs × units). Pooling, activations and biases are left
    out: on a CPU the convolutions and the dense layers take nearly all the time, so the
    ratio of two networks' counts estimates the ratio of their training times per input.

    Notebook: ``04_costa_cnn.ipynb``.

    Raises:
        ValueError: A model with no convolution or dense layer.
    """
    total = 0
    for layer in model.layers:
        if isinstance(layer, layers.Conv2D):
            out = int(np.prod(layer.output.shape[1:-1]))
            k = int(np.prod(layer.kernel_size))
            total += out * k * int(layer.input.shape[-1]) * int(layer.filters)
        elif isinstance(layer, layers.Dense):
            total += int(layer.input.shape[-1]) * int(layer.units)
    if total == 0:
        raise ValueError(f"{model.name} has no Conv2D or Dense layer to count")
    return total
