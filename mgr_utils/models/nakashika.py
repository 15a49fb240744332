"""Nakashika, Garcia & Takiguchi (2012): a ConvNet on stacked GLCM maps.

Notebook: ``05_nakashika_glcm_cnn.ipynb``.
"""

from __future__ import annotations

from collections.abc import Sequence

import keras
from keras import layers

from mgr_utils.models.common import seed_weights


REPORTED = {
    "nakashika_glcm_cnn": {
        "value": 0.72,
        "metric": "accuracy",
        "dataset": "GTZAN (10 genres)",
        "sureness": "secondary",
        "protocol": "split not known; a public reproduction reached 0.41-0.52 at track "
        "level",
        "source": "Nakashika et al. 2012, as quoted by Costa et al. 2017",
    },
}
"""The paper's number beside the book's system (the record's ``reported``).

Notebook: ``05_nakashika_glcm_cnn.ipynb``.
"""


REPRODUCTION = {"0°": 0.52, "45°": 0.42, "90°": 0.41, "135°": 0.46, "stacked": 0.50}
"""The public reproduction's track-level GTZAN accuracies, by input: one angle's mel GLCM, or
the four stacked (Dziri & Stiegler, ``glcm_track_level_results.json``; [R]).

Notebook: ``05_nakashika_glcm_cnn.ipynb``.
"""


@keras.saving.register_keras_serializable(package="mgr_utils")
class Subsampling(layers.Layer):
    """LeNet's subsampling after a pooling: ``y = f(a_k x + b_k)`` for each map ``k``.

    In LeNet-5 every pooled map has its own trainable coefficient ``a_k`` and bias
    ``b_k``, followed by a squashing function ``f`` (LeCun et al. 1998, section II-B).
    Both parts matter: a single coefficient and bias shared by all maps, with nothing
    after them, would be absorbed by the next convolution (a linear layer of a linear
    layer) and change nothing the network can express. Here ``f`` is tanh
    (``activation``), the squashing of the reproduction's conv layers.

    Notebook: ``05_nakashika_glcm_cnn.ipynb``.

    Args:
        activation: The squashing function (a Keras activation name).
    """

    def __init__(self, activation: str = "tanh", **kwargs):
        super().__init__(**kwargs)
        self.activation_name = activation
        self.activation = keras.activations.get(activation)

    def build(self, input_shape):
        channels = int(input_shape[-1])
        self.a = self.add_weight(shape=(channels,), initializer="ones", name="a")
        self.b = self.add_weight(shape=(channels,), initializer="zeros", name="b")

    def call(self, x):
        return self.activation(self.a * x + self.b)

    def get_config(self):
        return {**super().get_config(), "activation": self.activation_name}


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
    reproduction (Dziri & Stiegler, ``models/GLCM_model.py``), a LeNet-like net ([R]: a
    third-party reproduction; [S]: a secondary source; [U]: not verified):

    ===  ==========================================================  =====================
    #    layer                                                       source
    ===  ==========================================================  =====================
    in   16 × 16 GLCM maps × ``n_maps`` offsets                      [R] (their code: 15 × 15)
    1    conv 6×6, 12 maps, tanh                                     [R]
    2    average pooling 2×2                                         [R]
    3    subsampling: coefficient and bias per map, then tanh        [R]; LeNet's form
    4    conv 3×3, 6 maps, tanh                                      [R]
    5    global average pooling                                      [R]
    6    dense softmax over ``n_classes``                            [R]
    ===  ==========================================================  =====================

    *Ours*: ``"valid"`` padding (16 → 11 → 5 → 3 per side) and the 16 × 16 input (the reproduction
    feeds 15 × 15, whose match with the paper is [U]); the subsampling step in LeNet's
    own form (:class:`Subsampling`: one coefficient and bias per map, then the squashing),
    where a single scalar pair with nothing after it would be absorbed by the next
    convolution. The network is tiny (a few thousand weights; six numbers reach the softmax),
    but tiny is not unable to over-fit: chapter 5 sets its training clip accuracy beside its
    test accuracy. Why the reproduction stayed at 41-52 % on GTZAN [R] against the paper's
    ~72 % [S] is not known.

    Notebook: ``05_nakashika_glcm_cnn.ipynb``.

    Args:
        input_shape: ``(levels, levels, n_maps)``.
        n_classes: Number of genres.
        filters: Maps of the two conv layers ([R]: 12, 6).
        kernel_sizes: Kernel sides of the two conv layers ([R]: 6, 3).
        activation: Activation of the conv layers and of the subsampling ([R]: tanh).
        seed: Seed for the initial weights (``None``: leave the global seed alone).

    Returns:
        An uncompiled model mapping ``(batch, *input_shape)`` to ``(batch, n_classes)`` probabilities.
    """
    seed_weights(seed)
    x_in = keras.Input(shape=tuple(input_shape), name="glcm_maps")
    x = layers.Conv2D(filters[0], kernel_sizes[0], activation=activation, name="conv1")(
        x_in
    )
    x = layers.AveragePooling2D(2, name="avgpool")(x)
    x = Subsampling(activation, name="subsampling")(x)
    x = layers.Conv2D(filters[1], kernel_sizes[1], activation=activation, name="conv2")(
        x
    )
    x = layers.GlobalAveragePooling2D(name="global_avgpool")(x)
    y = layers.Dense(n_classes, activation="softmax", name="softmax")(x)
    return keras.Model(x_in, y, name="nakashika_cnn")
