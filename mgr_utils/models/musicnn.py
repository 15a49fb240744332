"""musicnn (Pons & Serra 2019) in Keras 3, with the pre-trained weights of the ``musicnn`` package.

The ``musicnn`` package (version 0.1.0, ISC licence) ships four TensorFlow 1 checkpoints of music
taggers; two are musicnn networks: ``MSD_musicnn`` (trained on the Million Song Dataset's
Last.fm tags, 50 tags) and ``MTT_musicnn`` (MagnaTagATune, 50 tags). Its own code needs TensorFlow
1's ``tf.compat.v1.layers``, which Keras 3 no longer has; this module rebuilds the same network with
Keras layers and copies each variable of the checkpoint into the matching layer **by name**
(:data:`CHECKPOINT_NAMES`), read with TensorFlow's checkpoint reader. No TensorFlow 1 graph is
needed.

Install the weights with ``pip install --no-deps musicnn==0.1.0``: the package declares TensorFlow
1 and ``numpy<1.17`` as dependencies, which cannot be installed beside the book's; only its
checkpoint files are used here.

The layer table, read in the package's ``models.py`` (``build_musicnn``, ``frontend``,
``midend``, ``backend``) [C]. Shapes are for one 3 s patch (187 frames × 96 mel bands):

====  ======================================================================  =============
#     layer                                                                   output
====  ======================================================================  =============
in    log-mel patch, time × frequency                                         187 × 96
0     batch normalisation of the input (one mean and scale)                   187 × 96 × 1
**front end** (musically motivated: filters shaped like timbre and rhythm)
1a    timbral: conv 7 × 38 (7 frames × 40 % of the bands), 204 filters,       187 × 204
      ReLU, BN, max over frequency
1b    timbral: conv 7 × 67 (70 % of the bands), 204 filters, ReLU, BN,        187 × 204
      max over frequency
1c    temporal: conv 128 × 1 (2 s of one band), 51 filters, ReLU, BN,         187 × 51
      max over frequency
1d    temporal: conv 64 × 1 (1 s), 51 filters, same                           187 × 51
1e    temporal: conv 32 × 1 (0.5 s), 51 filters, same                         187 × 51
1     concatenation of 1a-1e                                                  187 × 561
**mid end** (dense connections)
2     conv 7 × 561 (1-D over time), 64 filters, ReLU, BN                      187 × 64
3     conv 7 × 64, 64 filters, ReLU, BN, **plus** layer 2 (residual)          187 × 64
4     conv 7 × 64, 64 filters, ReLU, BN, plus layer 3 (residual)              187 × 64
5     concatenation of 1, 2, 3, 4                                             187 × 753
**back end** (temporal pooling)
6     max and mean over time (``max_pool``, ``mean_pool``), interleaved       1,506
7     BN, dropout 0.5, dense 200, ReLU, BN: the **penultimate** layer         200
8     dropout 0.5, dense 50, sigmoid: one probability per tag                 50
====  ======================================================================  =============

Every convolution and dense layer has a bias; every batch normalisation is TensorFlow 1's
``tf.layers.batch_normalization`` with its defaults (``epsilon`` 0.001, moving averages used at
inference) [C]. The timbral convolutions pad the time axis with 3 zero frames on each side;
the temporal ones use ``"same"`` padding [C]. Filter counts are ``int(1.6 * 128) = 204`` and
``int(1.6 * 32) = 51`` [C]. The network reads any number of frames (the pooling is global over
time), though it was trained on 187.

Notebook: ``11_transfer_learning.ipynb``.
"""

from __future__ import annotations

import os
from pathlib import Path

import keras
import numpy as np
from keras import layers

MSD_TAGS = (
    "rock", "pop", "alternative", "indie", "electronic", "female vocalists", "dance", "00s",
    "alternative rock", "jazz", "beautiful", "metal", "chillout", "male vocalists", "classic rock",
    "soul", "indie rock", "Mellow", "electronica", "80s", "folk", "90s", "chill", "instrumental",
    "punk", "oldies", "blues", "hard rock", "ambient", "acoustic", "experimental",
    "female vocalist", "guitar", "Hip-Hop", "70s", "party", "country", "easy listening", "sexy",
    "catchy", "funk", "electro", "heavy metal", "Progressive rock", "60s", "rnb", "indie pop",
    "sad", "House", "happy",
)  # fmt: skip
"""The 50 tags of ``MSD_musicnn``, in output order (``musicnn/configuration.py``, [C])."""

MTT_TAGS = (
    "guitar", "classical", "slow", "techno", "strings", "drums", "electronic", "rock", "fast",
    "piano", "ambient", "beat", "violin", "vocal", "synth", "female", "indian", "opera", "male",
    "singing", "vocals", "no vocals", "harpsichord", "loud", "quiet", "flute", "woman",
    "male vocal", "no vocal", "pop", "soft", "sitar", "solo", "man", "classic", "choir", "voice",
    "new age", "dance", "male voice", "female vocal", "beats", "harp", "cello", "no voice",
    "weird", "country", "metal", "female voice", "choral",
)  # fmt: skip
"""The 50 tags of ``MTT_musicnn``, in output order (``musicnn/configuration.py``, [C])."""

TAGS = {"MSD_musicnn": MSD_TAGS, "MTT_musicnn": MTT_TAGS}
"""The tag list of each pre-trained musicnn model."""

CHECKPOINT_NAMES = {
    "input_bn": "batch_normalization",
    "timbral_74": "conv2d",
    "timbral_74_bn": "batch_normalization_1",
    "timbral_77": "conv2d_1",
    "timbral_77_bn": "batch_normalization_2",
    "temporal_128": "conv2d_2",
    "temporal_128_bn": "batch_normalization_3",
    "temporal_64": "conv2d_3",
    "temporal_64_bn": "batch_normalization_4",
    "temporal_32": "conv2d_4",
    "temporal_32_bn": "batch_normalization_5",
    "midend_1": "conv2d_5",
    "midend_1_bn": "batch_normalization_6",
    "midend_2": "conv2d_6",
    "midend_2_bn": "batch_normalization_7",
    "midend_3": "conv2d_7",
    "midend_3_bn": "batch_normalization_8",
    "pool_bn": "batch_normalization_9",
    "penultimate": "dense",
    "penultimate_bn": "batch_normalization_10",
    "tags_logits": "dense_1",
}
"""Keras layer name -> TensorFlow 1 variable scope in the checkpoint.

TensorFlow 1 named layers by creation order (``conv2d``, ``conv2d_1``, ...), and ``models.py``
creates them in the order of the layer table, so the order fixes the mapping [C]; the shapes of
every variable are checked when they are loaded."""

OUTPUTS = ("tags", "penultimate", "mean_pool", "max_pool", "timbral", "temporal")
"""What the Keras model returns, as a dict: the tag probabilities, the 200-unit penultimate layer
(after its batch normalisation, as the package's ``extractor`` returns it), the back end's mean and
max over time (753 each), and the front end's timbral (408) and temporal (153) maps over time."""

BN_EPSILON = 0.001
"""``tf.layers.batch_normalization``'s default epsilon, which musicnn keeps [C]."""


def _freq_max(x, name: str):
    """Max over the frequency axis of ``(batch, time, frequency, channels)``: ``(batch, time, channels)``."""
    return layers.Lambda(lambda t: keras.ops.max(t, axis=2), name=name)(x)


def _bn(name: str):
    return layers.BatchNormalization(epsilon=BN_EPSILON, momentum=0.99, name=name)


def musicnn_model(
    n_tags: int = 50,
    n_mels: int = 96,
    n_frames: int | None = 187,
    filters_midend: int = 64,
    units_backend: int = 200,
    filters_frontend: float = 1.6,
    dropout: float = 0.5,
) -> keras.Model:
    """The musicnn network of Pons & Serra (2019) as a Keras functional model (weights random).

    ``models.build_musicnn`` of the ``musicnn`` package with its ``'7774timbraltemporal'`` front
    end, layer for layer (table in this module's docstring). Load the pre-trained weights with
    :func:`load_musicnn_weights`, or build and load in one call with :func:`pretrained_musicnn`.

    Notebook: ``11_transfer_learning.ipynb``.

    Args:
        n_tags: Output tags (50 for both pre-trained models).
        n_mels: Mel bands of the input (96).
        n_frames: Frames per patch (187 = 3 s); ``None`` accepts any length.
        filters_midend: Filters of each mid-end convolution (64; 512 for ``MSD_musicnn_big``).
        units_backend: Width of the penultimate dense layer (200; 500 for the big model).
        filters_frontend: Multiplier of the front end's 128 timbral and 32 temporal filters (1.6).
        dropout: Dropout before each dense layer (training only).

    Returns:
        An uncompiled model mapping ``(batch, n_frames, n_mels)`` to a dict with the keys of
        :data:`OUTPUTS`.
    """
    n_timbral = int(filters_frontend * 128)
    n_temporal = int(filters_frontend * 32)
    x_in = keras.Input(shape=(n_frames, n_mels), name="logmel")
    x = layers.Reshape((-1, n_mels, 1), name="expand")(x_in)
    x = _bn("input_bn")(x)

    # front end: timbral filters (7 frames × a fraction of the bands), max over frequency
    padded = layers.ZeroPadding2D(((3, 3), (0, 0)), name="timbral_pad")(x)
    front = []
    for tag, fraction in (("74", 0.4), ("77", 0.7)):
        h = layers.Conv2D(
            n_timbral,
            (7, int(fraction * n_mels)),
            padding="valid",
            activation="relu",
            name=f"timbral_{tag}",
        )(padded)
        h = _bn(f"timbral_{tag}_bn")(h)
        front.append(_freq_max(h, f"timbral_{tag}_max"))
    # front end: temporal filters (one band, 2 s / 1 s / 0.5 s), max over frequency
    for length in (128, 64, 32):
        h = layers.Conv2D(
            n_temporal,
            (length, 1),
            padding="same",
            activation="relu",
            name=f"temporal_{length}",
        )(x)
        h = _bn(f"temporal_{length}_bn")(h)
        front.append(_freq_max(h, f"temporal_{length}_max"))
    timbral = layers.Concatenate(axis=-1, name="timbral")(front[:2])
    temporal = layers.Concatenate(axis=-1, name="temporal")(front[2:])
    frontend = layers.Concatenate(axis=-1, name="frontend")(front)

    # mid end: three 1-D convolutions over time, the last two residual; dense connections
    h = layers.ZeroPadding1D(3, name="midend_1_pad")(frontend)
    h = layers.Conv1D(filters_midend, 7, activation="relu", name="midend_1")(h)
    mid = [_bn("midend_1_bn")(h)]
    for i in (2, 3):
        h = layers.ZeroPadding1D(3, name=f"midend_{i}_pad")(mid[-1])
        h = layers.Conv1D(filters_midend, 7, activation="relu", name=f"midend_{i}")(h)
        h = _bn(f"midend_{i}_bn")(h)
        mid.append(layers.Add(name=f"midend_{i}_residual")([h, mid[-1]]))
    features = layers.Concatenate(axis=-1, name="midend")([frontend, *mid])

    # back end: max and mean over time, interleaved as TensorFlow 1 flattened them
    max_pool = layers.GlobalMaxPooling1D(name="max_pool")(features)
    mean_pool = layers.GlobalAveragePooling1D(name="mean_pool")(features)
    pooled = layers.Lambda(lambda ts: keras.ops.stack(ts, axis=-1), name="pool_stack")(
        [max_pool, mean_pool]
    )
    pooled = layers.Flatten(name="pool_flat")(pooled)
    h = _bn("pool_bn")(pooled)
    h = layers.Dropout(dropout, name="pool_dropout")(h)
    h = layers.Dense(units_backend, activation="relu", name="penultimate")(h)
    penultimate = _bn("penultimate_bn")(h)
    h = layers.Dropout(dropout, name="penultimate_dropout")(penultimate)
    logits = layers.Dense(n_tags, name="tags_logits")(h)
    tags = layers.Activation("sigmoid", name="tags")(logits)
    outputs = {
        "tags": tags,
        "penultimate": penultimate,
        "mean_pool": mean_pool,
        "max_pool": max_pool,
        "timbral": timbral,
        "temporal": temporal,
    }
    return keras.Model(x_in, outputs, name="musicnn")


def musicnn_checkpoint(name: str = "MSD_musicnn") -> Path:
    """The folder of a pre-trained checkpoint installed by the ``musicnn`` package.

    Its files are ``.index``, ``.data-00000-of-00001`` and ``.meta`` (names that start with a
    dot: the checkpoint prefix is the folder itself). Found without importing ``musicnn``, whose
    modules need TensorFlow 1.

    Notebook: ``11_transfer_learning.ipynb``.

    Raises:
        FileNotFoundError: The package is not installed (with the command that installs it).
    """
    import importlib.util

    spec = importlib.util.find_spec("musicnn")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            "the musicnn package is not installed: `pip install --no-deps musicnn==0.1.0` "
            "(--no-deps: its declared TensorFlow 1 cannot be installed beside TensorFlow 2)"
        )
    folder = Path(list(spec.submodule_search_locations)[0]) / name
    if not (folder / ".index").exists():
        raise FileNotFoundError(f"no checkpoint {name!r} in {folder.parent}")
    return folder


def checkpoint_variables(folder: str | Path) -> dict[str, np.ndarray]:
    """Every variable of a TensorFlow 1 checkpoint folder, by name (the Adam slots left out).

    Notebook: ``11_transfer_learning.ipynb``.
    """
    import tensorflow as tf

    # The prefix is the folder itself ("<folder>/" + ".index"). tf.train.load_checkpoint would
    # take a folder for a directory of checkpoints and follow its `checkpoint` file, which names
    # the authors' machine; the reader opens the prefix directly.
    reader = tf.compat.v1.train.NewCheckpointReader(os.path.join(str(folder), ""))
    names = reader.get_variable_to_shape_map()
    return {
        n: reader.get_tensor(n)
        for n in sorted(names)
        if "Adam" not in n and "power" not in n
    }


def load_musicnn_weights(model: keras.Model, folder: str | Path) -> keras.Model:
    """Copy a musicnn checkpoint's variables into a :func:`musicnn_model` model, layer by layer, by name.

    Convolutions are ``kernel``/``bias`` (the mid end's ``7 × C × 1 × 64`` 2-D kernels become
    ``7 × C × 64`` 1-D ones: the same numbers), dense layers ``kernel``/``bias``, batch
    normalisations ``gamma``/``beta``/``moving_mean``/``moving_variance``.

    Notebook: ``11_transfer_learning.ipynb``.

    Raises:
        ValueError: A variable missing from the checkpoint, or of the wrong shape.
    """
    values = checkpoint_variables(folder)
    used = set()
    for layer_name, scope in CHECKPOINT_NAMES.items():
        layer = model.get_layer(layer_name)
        if isinstance(layer, layers.BatchNormalization):
            keys = ("gamma", "beta", "moving_mean", "moving_variance")
        else:
            keys = ("kernel", "bias")
        weights = []
        for key, target in zip(keys, layer.get_weights()):
            name = f"{scope}/{key}"
            if name not in values:
                raise ValueError(f"checkpoint {folder} has no variable {name}")
            w = values[name]
            if w.shape != target.shape:
                if w.size != target.size:
                    raise ValueError(
                        f"{name}: checkpoint shape {w.shape}, layer {layer_name} "
                        f"expects {target.shape}"
                    )
                w = w.reshape(target.shape)
            weights.append(w)
            used.add(name)
        layer.set_weights(weights)
    unused = sorted(set(values) - used)
    if unused:
        raise ValueError(f"checkpoint variables with no layer: {unused}")
    return model


def pretrained_musicnn(
    name: str = "MSD_musicnn", n_frames: int | None = 187
) -> keras.Model:
    """``MSD_musicnn`` or ``MTT_musicnn`` with the package's pre-trained weights.

    Notebook: ``11_transfer_learning.ipynb``.
    """
    if name not in TAGS:
        raise ValueError(f"unknown musicnn model {name!r}; use one of {sorted(TAGS)}")
    model = musicnn_model(n_tags=len(TAGS[name]), n_frames=n_frames)
    return load_musicnn_weights(model, musicnn_checkpoint(name))
