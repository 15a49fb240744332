"""Figures shared by the chapters.

Notebook: ``01_datasets.ipynb`` (style, spectrograms); ``03_texture_features.ipynb`` (confusion).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


FIGURE_COLORS = 256
"""Colours of the palette PNGs the notebooks show (:func:`figure_png`)."""


def set_style(shell=None) -> None:
    """The book's matplotlib style: readable sizes, tight layout, no top/right spines.

    In a notebook (an IPython kernel, or ``shell``) it also makes the figures shown on the page
    palette PNGs of :data:`FIGURE_COLORS` colours (:func:`figure_png`): five times lighter than
    matplotlib's true-colour PNGs for the book's spectrogram images, and indistinguishable at
    100 dpi (a colormap such as magma has 256 colours itself).

    Notebook: ``01_datasets.ipynb``.
    """
    import matplotlib
    import matplotlib.pyplot as plt

    # Load the backend now: IPython's inline backend sets its own rc values and figure formatters
    # when it loads, which pyplot otherwise defers to the first figure (after this call).
    plt.switch_backend(matplotlib.get_backend())
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
    use_palette_png(shell)


def figure_png(fig, colors: int = FIGURE_COLORS) -> str | None:
    """``fig`` as a base64 palette PNG of at most ``colors`` colours (IPython's ``image/png``).

    The figure is drawn as the inline backend draws it (tight bounding box, the figure's dpi),
    then reduced to an adaptive palette. ``None`` for an empty figure, as IPython does.

    Notebook: ``01_datasets.ipynb``.
    """
    import base64
    import io

    from IPython.core.pylabtools import print_figure
    from PIL import Image

    data = print_figure(fig, fmt="png", bbox_inches="tight")
    if data is None:
        return None
    image = Image.open(io.BytesIO(data)).convert("RGBA")
    image = image.quantize(colors, method=Image.Quantize.FASTOCTREE)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return base64.b64encode(out.getvalue()).decode("ascii")


def use_palette_png(shell=None) -> bool:
    """Show matplotlib figures in a notebook as palette PNGs (:func:`figure_png`).

    Registers :func:`figure_png` as the ``image/png`` formatter of matplotlib figures in
    ``shell`` (default: the running IPython kernel). Returns ``False``, changing nothing, outside
    IPython.

    Notebook: ``01_datasets.ipynb``.
    """
    if shell is None:
        try:
            from IPython import get_ipython
        except ImportError:
            return False
        shell = get_ipython()
    if shell is None:
        return False
    from matplotlib.figure import Figure

    shell.display_formatter.formatters["image/png"].for_type(Figure, figure_png)
    return True


def show_logmel(
    ax, y: np.ndarray, sr: int, n_mels: int = 96, hop_length: int = 512, title: str = ""
):
    """Draw the log-mel spectrogram of ``y`` on ``ax``; return the image.

    Notebook: ``01_datasets.ipynb``.
    """
    import librosa
    import librosa.display

    S = librosa.feature.melspectrogram(
        y=y, sr=sr, n_fft=2048, hop_length=hop_length, n_mels=n_mels
    )
    S_db = librosa.power_to_db(S, ref=np.max)
    img = librosa.display.specshow(
        S_db,
        sr=sr,
        hop_length=hop_length,
        x_axis="time",
        y_axis="mel",
        ax=ax,
        cmap="magma",
    )
    ax.set_title(title)
    return img


def plot_confusion(
    confusion: Sequence[Sequence[int]], genres: Sequence[str], ax=None, title: str = ""
):
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
            ax.text(
                j,
                i,
                int(C[i, j]),
                ha="center",
                va="center",
                color="white" if C[i, j] > C.max() / 2 else "black",
                fontsize=8,
            )
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


def plot_histories(
    histories: dict[str, dict[str, Sequence[float]]],
    metrics: Sequence[str] = ("val_loss", "val_accuracy"),
    title: str = "",
):
    """Compare several runs' training curves: one panel per metric, one line per run.

    Notebook: ``06_zhang_cnn.ipynb`` (the ablation).
    """
    import matplotlib.pyplot as plt

    _, axes = plt.subplots(
        1, len(metrics), figsize=(4.6 * len(metrics), 3.2), squeeze=False
    )
    for ax, metric in zip(axes[0], metrics):
        for name, h in histories.items():
            if metric in h:
                ax.plot(np.arange(1, len(h[metric]) + 1), h[metric], label=name)
        ax.set(xlabel="epoch", ylabel=metric)
        ax.legend(fontsize=8)
    axes[0][0].set_title(title)
    return axes[0]
