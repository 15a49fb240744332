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


def _db(A: np.ndarray) -> np.ndarray:
    """Magnitudes in dB below their peak (the floor at -120 dB)."""
    A = np.abs(np.asarray(A)).astype(np.float64)  # complex: its magnitude
    return 20 * np.log10(A / A.max() + 1e-6)


def plot_magnitude_panels(
    pictures: Sequence[np.ndarray],
    titles: Sequence[str],
    extent: Sequence[float],
    db: Sequence[bool] | None = None,
    vmin: float = -80,
    figsize: tuple[float, float] = (12, 3.4),
):
    """Magnitude spectrograms side by side, each on a linear or a dB scale.

    Notebook: ``09_auralisation.ipynb``.

    Args:
        pictures: ``(frequency, time)`` magnitudes, one per panel.
        titles: One title per panel.
        extent: ``[t0, t1, f0, f1]`` of every picture (seconds, kHz).
        db: Per panel, ``True`` for dB below the picture's peak (floor ``vmin``);
            default: all in dB.
        figsize: The figure's size.

    Returns:
        The axes.
    """
    import matplotlib.pyplot as plt

    db = [True] * len(pictures) if db is None else list(db)
    if not (len(pictures) == len(titles) == len(db)) or not pictures:
        raise ValueError(
            f"one title and one scale per picture: {len(pictures)} pictures, "
            f"{len(titles)} titles, {len(db)} scales"
        )
    _, axes = plt.subplots(1, len(pictures), figsize=figsize, squeeze=False)
    for ax, A, title, in_db in zip(axes[0], pictures, titles, db):
        style = {"origin": "lower", "aspect": "auto", "cmap": "magma", "extent": extent}
        if in_db:
            ax.imshow(_db(A), vmin=vmin, **style)
        else:
            ax.imshow(np.abs(A), **style)
        ax.set(title=title, xlabel="time (s)")
    axes[0, 0].set_ylabel("kHz")
    return axes[0]


def plot_kernels(
    W: np.ndarray, along_time: np.ndarray, along_freq: np.ndarray
) -> np.ndarray:
    """A first layer's kernels, one panel each, with their time/frequency change ratio.

    Notebook: ``09_auralisation.ipynb``.

    Args:
        W: ``(frequency, time, map)`` kernels of a one-channel input.
        along_time, along_freq: Per map, the kernel's summed absolute change along
            time and along frequency.

    Returns:
        The row of axes.
    """
    import matplotlib.pyplot as plt

    W = np.asarray(W)
    if W.ndim != 3 or len(along_time) != W.shape[2] or len(along_freq) != W.shape[2]:
        raise ValueError(
            "W must be (frequency, time, map) with one ratio per map, got "
            f"{W.shape}, {len(along_time)} and {len(along_freq)}"
        )
    n = W.shape[2]
    fig, axes = plt.subplots(1, n, figsize=(1.5 * n, 1.9), squeeze=False)
    for k, ax in enumerate(axes[0]):
        v = np.abs(W[:, :, k]).max()
        ax.imshow(W[:, :, k], origin="lower", cmap="RdBu_r", vmin=-v, vmax=v)
        ratio = along_time[k] / along_freq[k]
        ax.set(title=f"map {k}\nt/f {ratio:.2f}", xticks=[], yticks=[])
    fig.suptitle(
        "Layer 1 kernels (rows: frequency, columns: time; "
        "t/f: change along time / along frequency)",
        y=1.12,
    )
    return axes[0]


def plot_heard_maps(
    S: np.ndarray, layers: dict[int, Sequence[tuple]], extent: Sequence[float]
) -> np.ndarray:
    """The original excerpt and what each heard map plays, in dB: a layer per column.

    Notebook: ``09_auralisation.ipynb``.

    Args:
        S: The excerpt's (complex) STFT.
        layers: Per depth (1, 2, ...), ``(map, D, heard, A)`` of each heard map, where
            ``A`` is the magnitude STFT of what is played; every depth the same count.
        extent: ``[t0, t1, f0, f1]`` of the pictures (seconds, kHz).

    Returns:
        The grid of axes: a row per heard map, the original in the first column.
    """
    import matplotlib.pyplot as plt

    counts = {len(maps) for maps in layers.values()}
    if len(counts) != 1 or 0 in counts:
        raise ValueError(f"every depth must hold the same number of maps, got {counts}")
    n_rows = counts.pop()
    _, axes = plt.subplots(
        n_rows, len(layers) + 1, figsize=(15, 2.3 * n_rows), squeeze=False
    )
    style = {"origin": "lower", "aspect": "auto", "cmap": "magma", "vmin": -60}
    axes[0, 0].imshow(_db(S), extent=extent, **style)
    axes[0, 0].set(title="original", ylabel="kHz")
    for r in range(1, n_rows):
        axes[r, 0].axis("off")
    for col, (depth, maps) in enumerate(layers.items(), start=1):
        for r, (m, _, _, A) in enumerate(maps):
            ax = axes[r, col]
            if np.max(A) > 0:
                ax.imshow(_db(A), extent=extent, **style)
            ax.set(title=f"layer {depth}, map {m}: heard", yticks=[])
    for ax in axes[-1]:
        ax.set_xlabel("time (s)")
    return axes


def plot_invariance(
    invariance: dict[int, dict],
    names: Sequence[str],
    baseline: str = "all three",
    title: str = "",
):
    """Mean correlation per depth, with the spread over pairs, one line per factor.

    Notebook: ``09_auralisation.ipynb``.

    Args:
        invariance: Per depth (0: the input), per factor name and ``baseline``,
            ``{"mean", "std"}``.
        names: The factors' names (at most three), drawn beside the ``baseline``.
        baseline: The key of the pairs that differ in every factor (grey, dashed).
        title: The figure's title.

    Returns:
        The axes.
    """
    import matplotlib.pyplot as plt

    cols = [*names, baseline]
    if len(cols) > 4:
        raise ValueError(f"at most three factors and the baseline, got {cols}")
    depths = list(invariance)
    _, ax = plt.subplots(figsize=(7, 3.8))
    for k, (name, marker) in enumerate(zip(cols, "osdx")):
        shift = 0.06 * (k - 1.5)  # side by side: the bars do not overlap
        label = (
            f"only the {name} differs"
            if name != baseline
            else "baseline: all three differ"
        )
        ax.errorbar(
            np.array(depths) + shift,
            [invariance[d][name]["mean"] for d in depths],
            yerr=[invariance[d][name]["std"] for d in depths],
            marker=marker,
            capsize=3,
            label=label,
            **({"color": "grey", "ls": "--"} if name == baseline else {}),
        )
    ax.set(
        xticks=depths,
        xticklabels=["input" if d == 0 else f"layer {d}" for d in depths],
        ylabel="mean correlation (± sd over pairs)",
        title=title,
    )
    ax.legend(fontsize=8)
    return ax
