"""The one set-up call each notebook makes, and small display helpers.

Notebook: ``01_datasets.ipynb``.
"""

from __future__ import annotations

import os
import platform
import random
from importlib import metadata

import numpy as np

_REPORTED = ("numpy", "librosa", "scikit-learn", "scikit-image", "matplotlib", "tensorflow", "keras")


def setup(seed: int = 0, tensorflow: bool = False) -> None:
    """Seed every random generator, set the plotting style, print the versions in use.

    Notebook: ``01_datasets.ipynb``.

    Args:
        seed: Seed for ``random``, NumPy and (if ``tensorflow``) Keras/TensorFlow.
        tensorflow: Also import TensorFlow/Keras, seed them and make their ops deterministic.

    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    random.seed(seed)
    np.random.seed(seed)
    if tensorflow:
        import keras

        keras.utils.set_random_seed(seed)
    from mgr_utils.plotting import set_style

    set_style()
    versions = {"python": platform.python_version()}
    for name in _REPORTED:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            if name == "tensorflow":
                try:
                    versions[name] = metadata.version("tensorflow-cpu")
                except metadata.PackageNotFoundError:
                    pass
    print(" | ".join(f"{k} {v}" for k, v in versions.items()))


def audio_player(y: np.ndarray, sr: int, normalize: bool = True):
    """An HTML5 audio player for ``y`` (embedded as WAV, so it plays in the rendered book).

    Notebook: ``01_datasets.ipynb``.
    """
    from IPython.display import Audio

    return Audio(data=np.asarray(y, dtype=np.float32), rate=sr, normalize=normalize)
