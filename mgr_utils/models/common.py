"""What every model module shares: the seed of the initial weights, and counting layers.

Notebook: ``04_costa_cnn.ipynb``.
"""

from __future__ import annotations

import keras


def seed_weights(seed: int | None) -> None:
    """Seed Keras (and NumPy, TensorFlow, Python) before any layer is made, unless ``seed`` is ``None``.

    Notebook: ``04_costa_cnn.ipynb``.
    """
    if seed is not None:
        keras.utils.set_random_seed(int(seed))


def count_layers(model: keras.Model, kind: type | str) -> int:
    """How many layers of a class (or class name) the model holds, e.g. ``"Add"``.

    Notebook: ``06_zhang_cnn.ipynb`` (the ablation's graphs).
    """
    name = kind if isinstance(kind, str) else kind.__name__
    return sum(type(layer).__name__ == name for layer in model.layers)
