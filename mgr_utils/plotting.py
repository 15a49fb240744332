"""Figures shared by the chapters.

Notebook: ``01_datasets.ipynb`` (style, spectrograms); ``03_texture_features.ipynb`` (confusion).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def set_style() -> None:
    """The book's matplotlib style: readable sizes, tight layout, no top/right spines.

    Notebook: ``01_datasets.ipynb``.
    """
    import matplotlib.pyplot as plt

    plt.rcParams.update(
        {
            "figure.figsize": (8, 3.2),
            "figure.dpi": 100,
            "figure.autolayout": True,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.titlesize": 11,
            "axes.labelsize": 10,
            "image.cmap": "magma",
        }
    )


def show_logmel(ax, y: np.ndarray, sr: int, n_mels: int = 96, hop_length: int = 512, title: str = ""):
    """Draw the log-mel spectrogram of ``y`` on ``ax``; return the image.

    Notebook: ``01_datasets.ipynb``.
    """
    import librosa
    import librosa.display

    S = librosa.feature.melspectrogram(y=y, sr=sr, n_fft=2048, hop_length=hop_length, n_mels=n_mels)
    S_db = librosa.power_to_db(S, ref=np.max)
    img = librosa.display.specshow(
        S_db, sr=sr, hop_length=hop_length, x_axis="time", y_axis="mel", ax=ax, cmap="magma"
    )
    ax.set_title(title)
    return img


def plot_confusion(confusion: Sequence[Sequence[int]], genres: Sequence[str], ax=None, title: str = ""):
    """Draw a confusion matrix (rows: true genre, columns: predicted) with counts in the cells.

    Notebook: ``03_texture_features.ipynb``.
    """
    import matplotlib.pyplot as plt

    C = np.asarray(confusion)
    if ax is None:
        _, ax = plt.subplots(figsize=(5.2, 4.6))
    ax.imshow(C, cmap="Blues")
    ax.set_xticks(range(len(genres)), genres, rotation=60, ha="right")
    ax.set_yticks(range(len(genres)), genres)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    for i, j in np.ndindex(C.shape):
        if C[i, j]:
            ax.text(j, i, int(C[i, j]), ha="center", va="center",
                    color="white" if C[i, j] > C.max() / 2 else "black", fontsize=8)
    ax.set_title(title)
    return ax


def plot_history(history: dict[str, Sequence[float]], ax=None, title: str = ""):
    """Training curves: every ``loss``/``accuracy`` series of a Keras history dict.

    Notebook: ``04_costa_cnn.ipynb``.
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(1, 2, figsize=(9, 3))
    for name, values in history.items():
        target = ax[0] if "loss" in name else ax[1]
        target.plot(np.arange(1, len(values) + 1), values, label=name)
    ax[0].set(xlabel="epoch", ylabel="loss", title=title)
    ax[1].set(xlabel="epoch", ylabel="accuracy")
    for a in ax:
        a.legend(fontsize=8)
    return ax


def plot_histories(histories: dict[str, dict[str, Sequence[float]]], metrics: Sequence[str] = ("val_loss", "val_accuracy"),
                   title: str = ""):
    """Compare several runs' training curves: one panel per metric, one line per run.

    Notebook: ``06_zhang_cnn.ipynb`` (the ablation).
    """
    import matplotlib.pyplot as plt

    _, axes = plt.subplots(1, len(metrics), figsize=(4.6 * len(metrics), 3.2), squeeze=False)
    for ax, metric in zip(axes[0], metrics):
        for name, h in histories.items():
            if metric in h:
                ax.plot(np.arange(1, len(h[metric]) + 1), h[metric], label=name)
        ax.set(xlabel="epoch", ylabel=metric)
        ax.legend(fontsize=8)
    axes[0][0].set_title(title)
    return axes[0]
