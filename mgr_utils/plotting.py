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
    """Draw the log-mel spectrogram of ``y`` on ``ax`` (dB below its peak); return the image.

    Time in seconds on x, frequency in Hz on a mel axis on y, the colour in dB
    (-80 to 0 dB, so that panels share one colour bar: :func:`plot_clip_spectrograms`).

    Notebook: ``01_datasets.ipynb``.
    """
    import librosa
    import librosa.display

    S = librosa.feature.melspectrogram(
        y=y, sr=sr, n_fft=2048, hop_length=hop_length, n_mels=n_mels
    )
    S_db = librosa.power_to_db(S, ref=np.max, top_db=80.0)
    img = librosa.display.specshow(
        S_db,
        sr=sr,
        hop_length=hop_length,
        x_axis="time",
        y_axis="mel",
        ax=ax,
        cmap="magma",
        vmin=-80,
        vmax=0,
    )
    ax.set(title=title, xlabel="time (s)", ylabel="frequency (Hz, mel scale)")
    return img


def plot_clip_spectrograms(
    examples: dict[str, np.ndarray], sr: int, title: str, n_cols: int = 2
):
    """One log-mel panel per clip (:func:`show_logmel`), two to a row, one dB colour bar.

    Notebook: ``01_datasets.ipynb``.

    Args:
        examples: ``{panel title: audio}`` (e.g. one excerpt per class).
        sr: Sample rate in Hz.
        title: The figure's title.
        n_cols: Panels per row (fewer when there are fewer clips).

    Raises:
        ValueError: No clip to draw.
    """
    import matplotlib.pyplot as plt

    if not examples:
        raise ValueError("no clip to draw")
    n_cols = max(1, min(n_cols, len(examples)))
    n_rows = -(-len(examples) // n_cols)
    fig, axes = plt.subplots(
        n_rows,
        n_cols,
        figsize=(11, 1.2 + 2.1 * n_rows),
        sharex=True,
        sharey=True,
        squeeze=False,
        layout="constrained",
    )
    img = None
    for ax, (name, y) in zip(axes.flat, examples.items()):
        img = show_logmel(ax, y, sr, title=name)
        ax.label_outer()
    for ax in axes.flat[len(examples) :]:
        ax.axis("off")
    fig.colorbar(
        img,
        ax=axes.ravel().tolist(),
        format="%+2.0f dB",
        label="dB below each excerpt's peak",
    )
    fig.suptitle(title)
    return fig


def plot_class_balance(counts: dict[str, int], durations: np.ndarray, what: str):
    """Clips per class (bars) beside the histogram of clip durations.

    Notebook: ``01_datasets.ipynb``.

    Args:
        counts: ``{class: clips}`` in label order (:meth:`ClipSet.counts`).
        durations: Each clip's length in seconds (``nan`` for an unreadable file, left
            out).
        what: What a class is called on the page ("genre", "class").
    """
    import matplotlib.pyplot as plt

    fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(11, 3))
    ax0.bar(list(counts), list(counts.values()), color="tab:blue")
    ax0.set(title=f"clips per {what}", xlabel=what, ylabel="clips")
    ax0.tick_params(axis="x", rotation=60)
    d = np.asarray(durations, dtype=float)
    ax1.hist(d[np.isfinite(d)], bins=20, color="tab:orange")
    ax1.set(title="clip durations", xlabel="duration (s)", ylabel="clips")
    return fig


def plot_confusion(
    confusion: Sequence[Sequence[int]], genres: Sequence[str], ax=None, title: str = ""
):
    """Draw a confusion matrix (rows: true genre, columns: predicted) with counts in the cells.

    The colour bar gives the number of clips a colour stands for.

    Notebook: ``03_texture_features.ipynb``.
    """
    import matplotlib.pyplot as plt

    C = np.asarray(confusion)
    if ax is None:
        _, ax = plt.subplots(figsize=(5.6, 4.6))
    img = ax.imshow(C, cmap="Blues")
    ax.figure.colorbar(img, ax=ax, fraction=0.046, pad=0.04, label="clips")
    ax.set_xticks(range(len(genres)), genres, rotation=60, ha="right")
    ax.set_yticks(range(len(genres)), genres)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
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


HISTORY_LABELS = {
    "loss": "training (running mean, dropout on)",
    "accuracy": "training (running mean, dropout on)",
    "val_loss": "validation",
    "val_accuracy": "validation",
}
"""Legend entries of the Keras history keys (:func:`plot_history`).

Keras's training numbers are the running mean over an epoch's batches, measured with
dropout on while the weights change; the validation numbers are measured after the
epoch, in inference mode.
"""


def _history_axis_label(metric: str, level: str | None) -> str:
    """``"loss"`` -> ``"loss (cross-entropy)"``, with the level in front when given."""
    base = "loss (cross-entropy)" if "loss" in metric else "accuracy (fraction)"
    if metric.startswith("val_"):
        base = f"validation {base}"
    return f"{level}-level {base}" if level else base


def plot_history(
    history: dict[str, Sequence[float]],
    ax=None,
    title: str = "",
    level: str | None = None,
):
    """Training curves: every ``loss``/``accuracy`` series of a Keras history dict.

    One panel for the losses, one for the accuracies, one line per series with a legend
    (:data:`HISTORY_LABELS`). ``level`` says what the numbers are measured on, e.g.
    ``"patch"`` when a network classifies patches and the chapter's tables give clip-level
    accuracies: the axes and the title then say so.

    Notebook: ``04_costa_cnn.ipynb``.

    Args:
        history: ``{"loss": [...], "val_loss": [...], ...}`` (Keras's ``History.history``).
        ax: Two axes to draw on (``None``: a new figure).
        title: The figure's title.
        level: What one training example is (``"patch"``, ``"segment"``), or ``None``.
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(1, 2, figsize=(9, 3))
    for name, values in history.items():
        target = ax[0] if "loss" in name else ax[1]
        target.plot(
            np.arange(1, len(values) + 1),
            values,
            label=HISTORY_LABELS.get(name, name),
        )
    if level:
        title = f"{title}: {level} level" if title else f"{level} level"
    ax[0].set(xlabel="epoch", ylabel=_history_axis_label("loss", level), title=title)
    ax[1].set(xlabel="epoch", ylabel=_history_axis_label("accuracy", level))
    for a in ax:
        a.legend(fontsize=8)
    return ax


def plot_histories(
    histories: dict[str, dict[str, Sequence[float]]],
    metrics: Sequence[str] = ("val_loss", "val_accuracy"),
    title: str = "",
    level: str | None = None,
):
    """Compare several runs' training curves: one panel per metric, one line per run.

    Notebook: ``06_zhang_cnn.ipynb`` (the ablation).

    Args:
        histories: ``{run name: Keras history dict}``.
        metrics: The history keys to draw, one panel each.
        title: The first panel's title.
        level: What one training example is (``"segment"``), or ``None``
            (:func:`plot_history`).
    """
    import matplotlib.pyplot as plt

    _, axes = plt.subplots(
        1, len(metrics), figsize=(4.6 * len(metrics), 3.2), squeeze=False
    )
    for ax, metric in zip(axes[0], metrics):
        for name, h in histories.items():
            if metric in h:
                ax.plot(np.arange(1, len(h[metric]) + 1), h[metric], label=name)
        ax.set(xlabel="epoch", ylabel=_history_axis_label(metric, level))
        ax.legend(fontsize=8)
    axes[0][0].set_title(title)
    return axes[0]


DB_BELOW_MAX = "dB below the clip's maximum"
"""The colour bar label of the chapters' dB images (``ref`` = the clip's maximum)."""


def plot_costa_patches(
    P: np.ndarray,
    sr: int,
    hop_length: int,
    scale: float = 0.5,
    shown: int = 2,
    title: str = "",
):
    """One clip's Costa patches side by side (white lines: their borders) beside one patch.

    ``P`` is :func:`mgr_utils.features.costa_patches`' output, ``(n_patches, rows, width,
    1)`` in dB, cut without overlap. A column of the downscaled image lasts
    ``hop_length / scale / sr`` seconds; its rows span 0 Hz to the Nyquist frequency on a
    linear axis. Colour bars give the dB.

    Notebook: ``04_costa_cnn.ipynb``.

    Args:
        P: The clip's patches, in dB.
        sr: Sample rate in Hz.
        hop_length: STFT hop before the downscale (samples).
        scale: The image's downscale factor (Costa's 0.5).
        shown: Which patch (0-based) the right panel shows.
        title: The left panel's title.

    Returns:
        The figure.

    Raises:
        ValueError: ``P`` is not 4-D or has no patch ``shown``.
    """
    import matplotlib.pyplot as plt

    P = np.asarray(P)
    if P.ndim != 4 or not 0 <= shown < len(P):
        raise ValueError(
            f"need (n_patches, rows, width, 1) patches with a patch {shown}, got "
            f"shape {P.shape}"
        )
    n, rows, width = P.shape[:3]
    column = hop_length / scale / sr  # seconds per column of the downscaled image
    khz = sr / 2000
    S = np.concatenate(list(P[..., 0]), axis=1)
    fig, axes = plt.subplots(
        1, 2, figsize=(12, 3.4), gridspec_kw={"width_ratios": [3, 1]}
    )
    img = axes[0].imshow(
        S,
        origin="lower",
        aspect="auto",
        cmap="magma",
        extent=[0, n * width * column, 0, khz],
    )
    for k in range(1, n):
        axes[0].axvline(k * width * column, color="white", lw=0.6)
    axes[0].set(title=title, xlabel="time (s)", ylabel="frequency (kHz, linear)")
    fig.colorbar(img, ax=axes[0], label=DB_BELOW_MAX)
    img = axes[1].imshow(
        P[shown, :, :, 0],
        origin="lower",
        aspect="auto",
        cmap="magma",
        extent=[0, width * column, 0, khz],
    )
    axes[1].set(
        title=f"patch {shown + 1}: {rows} x {width}",
        xlabel="time in the patch (s)",
        ylabel="frequency (kHz, linear)",
    )
    fig.colorbar(img, ax=axes[1], label=DB_BELOW_MAX)
    return fig


def plot_glcm_inputs(
    X: np.ndarray,
    labels: Sequence[int],
    classes: Sequence[str],
    shown: Sequence[str],
    angles: Sequence[str] = ("0°", "45°", "90°", "135°"),
    limit: float = 3.0,
):
    """The standardised GLCM maps of one training segment per class in ``shown``.

    ``X`` holds the segments' maps as the network sees them, ``(n, levels, levels,
    offsets)``, each cell standardised over the training segments; entry ``[i, j]`` of a
    map counted how often grey level ``i`` had grey level ``j`` as its neighbour at that
    angle. One row per class (its first segment), one column per angle, one shared
    colour bar: how many standard deviations a cell's count lies above or below its mean
    over the training segments.

    Notebook: ``05_nakashika_glcm_cnn.ipynb``.

    Args:
        X: Standardised maps.
        labels: The label of each segment (indexes ``classes``).
        classes: Class names in label order.
        shown: The classes to draw, one row each.
        angles: The name of each offset (one per channel of ``X``).
        limit: The colour scale runs from ``-limit`` to ``limit``.

    Returns:
        The figure.

    Raises:
        ValueError: An offset count that differs from ``angles``, or a class of
            ``shown`` that is unknown or has no segment.
    """
    import matplotlib.pyplot as plt

    X, labels = np.asarray(X), np.asarray(labels)
    if X.ndim != 4 or X.shape[-1] != len(angles):
        raise ValueError(f"{X.shape} maps for {len(angles)} angles {tuple(angles)}")
    fig, axes = plt.subplots(
        len(shown),
        len(angles),
        figsize=(2.7 * len(angles) + 1, 2.5 * len(shown)),
        squeeze=False,
        layout="constrained",
    )
    for row, name in enumerate(shown):
        if name not in classes:
            raise ValueError(f"{name!r} is not one of the classes {tuple(classes)}")
        found = np.flatnonzero(labels == list(classes).index(name))
        if found.size == 0:
            raise ValueError(f"no segment of class {name!r} to draw")
        for a, angle in enumerate(angles):
            img = axes[row, a].imshow(
                X[found[0], :, :, a],
                origin="lower",
                cmap="coolwarm",
                vmin=-limit,
                vmax=limit,
            )
            axes[row, a].set(
                title=f"{name}, {angle}",
                xlabel="grey level j (neighbour)",
                ylabel="grey level i",
            )
    fig.colorbar(
        img,
        ax=axes,
        shrink=0.8,
        label="count, standardised (SDs from its training mean)",
    )
    fig.suptitle(
        "standardised GLCM maps of one training segment (what the network sees)"
    )
    return fig


def plot_stft_segment(X: np.ndarray, sr: int, hop_length: int, title: str = ""):
    """One segment of linear STFT frames, ``(frames, bins)`` in dB, time across.

    Notebook: ``06_zhang_cnn.ipynb``.

    Args:
        X: The segment (:func:`mgr_utils.features.stft_segments` gives ``(n_segments,
            frames, bins)``; pass one).
        sr: Sample rate in Hz.
        hop_length: STFT hop (samples).
        title: The title.

    Returns:
        The figure.

    Raises:
        ValueError: ``X`` is not 2-D.
    """
    import matplotlib.pyplot as plt

    X = np.asarray(X)
    if X.ndim != 2:
        raise ValueError(f"one segment is (frames, bins), got shape {X.shape}")
    fig, ax = plt.subplots(figsize=(8, 3.2))
    img = ax.imshow(
        X.T,
        origin="lower",
        aspect="auto",
        cmap="magma",
        extent=[0, X.shape[0] * hop_length / sr, 0, sr / 2000],
    )
    ax.set(title=title, xlabel="time (s)", ylabel="frequency (kHz, linear)")
    fig.colorbar(img, ax=ax, label=DB_BELOW_MAX)
    return fig


def _specshow(ax, data, sr: int, hop_length: int, y_axis: str, **kwargs):
    """``librosa.display.specshow`` with time on x (the chapters' usual call)."""
    import librosa.display

    return librosa.display.specshow(
        data=data,
        sr=sr,
        hop_length=hop_length,
        x_axis="time",
        y_axis=y_axis,
        ax=ax,
        **kwargs,
    )


def plot_waveform_zoom(
    y: np.ndarray, sr: int, title: str, start: float = 1.0, seconds: float = 0.03
):
    """The whole waveform of ``y`` beside a zoom on ``seconds`` from ``start`` seconds.

    Notebook: ``02_spectrograms.ipynb``.
    """
    import librosa.display
    import matplotlib.pyplot as plt

    fig, (ax0, ax1) = plt.subplots(
        1, 2, figsize=(11, 2.8), gridspec_kw={"width_ratios": [3, 1]}
    )
    librosa.display.waveshow(y=y, sr=sr, ax=ax0, color="C0")
    ax0.set(title=title, xlabel="time (s)", ylabel="amplitude")
    t0 = int(start * sr)
    zoom = y[t0 : t0 + int(seconds * sr)]
    if zoom.size == 0:
        raise ValueError(f"the zoom at {start} s lies after the end of y")
    ax1.plot(1000 * (start + np.arange(zoom.size) / sr), zoom, lw=0.8)
    ax1.set(
        title=f"{1000 * seconds:.0f} ms of it",
        xlabel="time (ms)",
        ylabel="amplitude",
    )
    return fig


def plot_stft_scales(S: np.ndarray, sr: int, hop_length: int):
    """An STFT magnitude ``S`` on a linear colour scale and in dB, side by side.

    Notebook: ``02_spectrograms.ipynb``.
    """
    import librosa
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 3.2), sharey=True)
    img = _specshow(axes[0], S, sr, hop_length, "linear")
    axes[0].set(
        title="magnitude |X|, linear scale",
        xlabel="time (s)",
        ylabel="frequency (Hz)",
    )
    fig.colorbar(img, ax=axes[0], label="|X| (linear)")
    S_db = librosa.amplitude_to_db(S=S, ref=np.max)
    img = _specshow(axes[1], S_db, sr, hop_length, "linear")
    axes[1].set(title="the same in dB (step 4 explains why)", xlabel="time (s)")
    fig.colorbar(img, ax=axes[1], format="%+2.0f dB", label="dB below the peak")
    return fig


def plot_mel_filterbank(
    M_fb: np.ndarray,
    freqs: np.ndarray,
    M: np.ndarray,
    sr: int,
    hop_length: int,
    every: int = 8,
):
    """Every ``every``-th mel filter of ``M_fb`` (up to ``sr / 2``) beside the mel power ``M`` in dB.

    The filters are drawn over the whole range the filterbank covers, 0 Hz to ``sr / 2``
    (the top filters reach the Nyquist frequency), and the last filter is always drawn.

    Notebook: ``02_spectrograms.ipynb``.
    """
    import librosa
    import matplotlib.pyplot as plt

    if M_fb.shape[1] != len(freqs):
        raise ValueError(f"{M_fb.shape[1]} filterbank columns for {len(freqs)} freqs")
    fig, axes = plt.subplots(
        1, 2, figsize=(11, 3.2), gridspec_kw={"width_ratios": [1, 1.6]}
    )
    shown = sorted(set(range(0, M_fb.shape[0], every)) | {M_fb.shape[0] - 1})
    for i in shown:
        axes[0].plot(freqs, M_fb[i], lw=0.9)
    axes[0].set(
        xlabel="frequency (Hz)",
        ylabel="weight",
        title=f"every {every}th mel filter, and the last",
        xlim=(0, sr / 2),
    )
    M_db = librosa.power_to_db(S=M, ref=np.max)
    img = _specshow(axes[1], M_db, sr, hop_length, "mel")
    axes[1].set(
        title=f"mel spectrogram, {M.shape[0]} bands (shown in dB)",
        xlabel="time (s)",
        ylabel="frequency (Hz, mel scale)",
    )
    fig.colorbar(img, ax=axes[1], format="%+2.0f dB", label="dB below the peak")
    return fig


def plot_log_compression(M: np.ndarray, L: np.ndarray, sr: int, hop_length: int):
    """Histograms of the mel power ``M`` (linear) and of the log-mel ``L`` (dB).

    ``L`` itself is drawn beside them. The histograms count cells on a log scale.

    Notebook: ``02_spectrograms.ipynb``.
    """
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(
        1, 3, figsize=(12, 3), gridspec_kw={"width_ratios": [1, 1, 2]}
    )
    axes[0].hist(M.ravel() / M.max(), bins=60, color="C1")
    axes[0].set(
        title="mel power / max (linear)",
        yscale="log",
        xlabel="power / max",
        ylabel="cells (log scale)",
    )
    axes[1].hist(L.ravel(), bins=60, color="C2")
    axes[1].set(
        title="log-mel (dB)",
        yscale="log",
        xlabel="dB below the peak",
        ylabel="cells (log scale)",
    )
    img = _specshow(axes[2], L, sr, hop_length, "mel")
    axes[2].set(
        title="log-mel spectrogram",
        xlabel="time (s)",
        ylabel="frequency (Hz, mel scale)",
    )
    fig.colorbar(img, ax=axes[2], format="%+2.0f dB", label="dB below the peak")
    return fig


def plot_segments(
    L: np.ndarray,
    sr: int,
    hop_length: int,
    n_segments: int,
    seconds: float,
    overlap: float,
):
    """The log-mel ``L`` with a numbered bar over each of ``n_segments`` segments.

    The segments last ``seconds`` and start ``seconds * (1 - overlap)`` apart; the bars
    alternate between two heights so that overlapping ones stay apart.

    Notebook: ``02_spectrograms.ipynb``.
    """
    import matplotlib.pyplot as plt

    if not 0 <= overlap < 1:
        raise ValueError(f"overlap must be in [0, 1), not {overlap}")
    fig, ax = plt.subplots(figsize=(11, 3.4))
    img = _specshow(ax, L, sr, hop_length, "mel")
    hop = round(round(seconds * sr) * (1 - overlap))
    top = sr / 2
    for k in range(n_segments):
        start = k * hop / sr
        level = 0.4 * top if k % 2 == 0 else 0.29 * top
        ax.plot(
            [start + 0.05, start + seconds - 0.05],
            [level, level],
            lw=4,
            color="white" if k % 2 == 0 else "cyan",
            solid_capstyle="butt",
        )
        ax.text(start + 0.1, level * 1.1, str(k), color="white", fontsize=8)
    ax.set(
        title=f"{n_segments} segments of {seconds:g} s with {overlap:.0%} overlap",
        xlabel="time (s)",
        ylabel="frequency (Hz, mel scale)",
    )
    fig.colorbar(img, ax=ax, format="%+2.0f dB", label="dB below the peak")
    return fig


def plot_patches(image: np.ndarray, patches: np.ndarray, n_shown: int = 8):
    """A spectrogram image cut into patches (white lines) above its first ``n_shown``.

    The image is a picture of a spectrogram in dB (Costa's: downscaled, so a column is
    two STFT frames and a row two frequency bins); the patches share its colour scale.

    Notebook: ``02_spectrograms.ipynb``.
    """
    import matplotlib.pyplot as plt

    if patches.ndim != 3 or len(patches) < n_shown:
        raise ValueError(f"need at least {n_shown} patches, got {patches.shape}")
    width = patches.shape[2]
    vmin, vmax = float(np.min(image)), float(np.max(image))
    fig = plt.figure(figsize=(11, 4.4), layout="constrained")
    grid = fig.add_gridspec(2, n_shown, height_ratios=[2, 1])
    ax = fig.add_subplot(grid[0, :])
    img = ax.imshow(
        image, origin="lower", aspect="auto", cmap="magma", vmin=vmin, vmax=vmax
    )
    for j in range(0, image.shape[1] + 1, width):
        ax.axvline(j - 0.5, color="white", lw=0.5)
    ax.set(
        title="Costa-style image (dB, downscaled 50 %) "
        f"cut into {width}-column patches",
        xlabel="column (time: two STFT frames each)",
        ylabel="row (frequency: two bins each)",
    )
    fig.colorbar(img, ax=ax, format="%+2.0f dB", label="dB below the peak")
    for i in range(n_shown):
        a = fig.add_subplot(grid[1, i])
        a.imshow(
            patches[i],
            origin="lower",
            aspect="auto",
            cmap="magma",
            vmin=vmin,
            vmax=vmax,
        )
        a.set_xticks([])
        a.set_yticks([])
        a.set_title(f"patch {i}", fontsize=8)
        a.set_xlabel(f"{width} columns", fontsize=7)
    return fig


def plot_genre_segments(
    specs: Sequence[np.ndarray],
    genre_of: Sequence[str],
    genres: Sequence[str],
    sr: int,
    hop_length: int,
    n_frames: int,
    title: str,
):
    """An ``n_frames``-frame excerpt (from a third in) of each class's first log-mel.

    ``specs[k]`` is the log-mel spectrogram (dB) of a clip of class ``genre_of[k]``; one
    panel per class of ``genres`` (five to a row at most), one dB colour bar.

    Notebook: ``02_spectrograms.ipynb``.
    """
    import matplotlib.pyplot as plt

    if len(specs) != len(genre_of):
        raise ValueError(f"{len(specs)} spectrograms for {len(genre_of)} genres")
    first = {}
    for f, genre in zip(specs, genre_of):
        first.setdefault(genre, f)
    n_cols = min(5, max(1, len(genres)))
    n_rows = -(-len(genres) // n_cols)
    fig, axes = plt.subplots(
        n_rows,
        n_cols,
        figsize=(11, 0.8 + 1.9 * n_rows),
        sharex=True,
        sharey=True,
        squeeze=False,
        layout="constrained",
    )
    img = None
    for ax, genre in zip(axes.flat, genres):
        if genre in first:
            start = first[genre].shape[1] // 3
            excerpt = first[genre][:, start : start + n_frames]
            img = _specshow(ax, excerpt, sr, hop_length, "mel", vmin=-80, vmax=0)
        ax.set(title=genre, xlabel="time (s)", ylabel="frequency (Hz, mel)")
        ax.label_outer()
    for ax in axes.flat[len(genres) :]:
        ax.axis("off")
    if img is not None:
        fig.colorbar(
            img, ax=axes.ravel().tolist(), format="%+2.0f dB", label="dB below the peak"
        )
    fig.suptitle(title)
    return fig


def plot_genre_spectra(
    specs: Sequence[np.ndarray],
    genre_of: Sequence[str],
    genres: Sequence[str],
    freqs: np.ndarray,
):
    """Each class's long-term average spectrum: ``specs`` averaged over time and clips.

    ``specs[k]`` is the log-mel spectrogram (dB) of a clip of class ``genre_of[k]``;
    ``freqs`` are the centres of its bands in Hz
    (:func:`mgr_utils.features.mel_band_centres`). One line per class, on a log
    frequency axis; the line style changes after every ten classes.

    Notebook: ``02_spectrograms.ipynb``.
    """
    import matplotlib.pyplot as plt

    if len(specs) != len(genre_of):
        raise ValueError(f"{len(specs)} spectrograms for {len(genre_of)} genres")
    fig, ax = plt.subplots(figsize=(9, 3.6))
    styles = ("-", "--", ":", "-.")
    for g_idx, genre in enumerate(genres):
        rows = [f.mean(axis=1) for f, g in zip(specs, genre_of) if g == genre]
        if rows:
            ax.plot(
                freqs,
                np.mean(rows, axis=0),
                label=genre,
                lw=1.2,
                color=f"C{g_idx % 10}",
                ls=styles[(g_idx // 10) % len(styles)],
            )
    ax.set(
        xscale="log",
        xlabel="frequency (Hz, band centre; log scale)",
        ylabel="mean level (dB below each clip's peak)",
        title="long-term average log-mel spectrum per class",
    )
    ax.legend(ncol=2, fontsize=8)
    return fig


def plot_lbp_codes(
    Q: np.ndarray,
    codes: np.ndarray,
    hist: np.ndarray,
    P: int,
    R: float,
    n_cols=300,
    frame_seconds: float | None = None,
):
    """A quantised spectrogram ``Q``, its LBP ``codes`` and their histogram ``hist``.

    ``codes`` leaves out the outer ``ceil(R)`` rows and columns of ``Q``; the first
    ``n_cols`` columns of both are shown. Colour bars: the grey level, the code.

    Notebook: ``03_texture_features.ipynb``.

    Args:
        Q, codes, hist: The image, its codes, the codes' histogram (shares).
        P, R: The LBP's neighbours and radius (titles).
        n_cols: Frames shown.
        frame_seconds: Time between frames, for the time axis (``None``: frames).
    """
    import matplotlib.pyplot as plt

    r = int(np.ceil(R))
    if codes.shape != (Q.shape[0] - 2 * r, Q.shape[1] - 2 * r):
        raise ValueError(f"codes {codes.shape} are not Q {Q.shape} less a border {r}")
    fig, axes = plt.subplots(
        1, 3, figsize=(13, 3.2), gridspec_kw={"width_ratios": [1.3, 1.3, 1]}
    )
    shown = min(n_cols, codes.shape[1])
    extent = None
    xlabel = "frame"
    if frame_seconds:
        extent = (0.0, shown * frame_seconds, -0.5, codes.shape[0] - 0.5)
        xlabel = "time (s)"
    img = axes[0].imshow(
        Q[r:-r, r : shown + r],
        origin="lower",
        aspect="auto",
        cmap="magma",
        extent=extent,
        interpolation="nearest",
    )
    axes[0].set(title="log-mel, 256 grey levels", xlabel=xlabel, ylabel="mel band")
    fig.colorbar(img, ax=axes[0], label="grey level")
    img = axes[1].imshow(
        codes[:, :shown],
        origin="lower",
        aspect="auto",
        cmap="tab20b",
        interpolation="nearest",
        extent=extent,
    )
    axes[1].set(
        title=f"LBP codes (P={P}, R={R}, border left out)",
        xlabel=xlabel,
        ylabel="mel band",
    )
    fig.colorbar(img, ax=axes[1], label="LBP code")
    axes[2].bar(np.arange(len(hist)), hist, width=1.0, color="C0")
    axes[2].set(
        title=f"histogram of the {len(hist)} codes",
        xlabel="LBP code",
        ylabel="share of the pixels",
    )
    return fig


def plot_zone_histograms(
    L: np.ndarray, edges: Sequence[int], histograms: dict[str, np.ndarray], title: str
):
    """A log-mel ``L`` cut into mel zones at ``edges``, beside zone LBP histograms.

    ``histograms`` maps a clip's name to its (zones, bins) histograms; they share one
    colour scale (the share of the zone's codes), with one colour bar.

    Notebook: ``03_texture_features.ipynb``.
    """
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(
        1,
        1 + len(histograms),
        figsize=(13, 3.4),
        gridspec_kw={"width_ratios": [1.3] + [1] * len(histograms)},
        layout="constrained",
    )
    img = axes[0].imshow(L, origin="lower", aspect="auto", cmap="magma")
    for e in edges[1:-1]:
        axes[0].axhline(e - 0.5, color="white", lw=0.7)
    axes[0].set(title=title, xlabel="frame", ylabel="mel band")
    fig.colorbar(img, ax=axes[0], format="%+2.0f dB", label="dB below the peak")
    vmax = max(H.max() for H in histograms.values())
    for ax, (name, H) in zip(axes[1:], histograms.items()):
        img = ax.imshow(H, origin="lower", aspect="auto", cmap="viridis", vmax=vmax)
        ax.set(
            title=f"{name}: zone histograms",
            xlabel=f"LBP code ({H.shape[1]} bins)",
            ylabel="zone (low to high)",
        )
    fig.colorbar(img, ax=list(axes[1:]), label="share of the zone's codes")
    return fig


def plot_glcm_maps(
    maps: dict[str, tuple[np.ndarray, np.ndarray]],
    angles: Sequence[str] = ("0°", "45°", "90°", "135°"),
    frame_seconds: float = 0.125,
):
    """Per clip, a quantised segment and the GLCMs of its first segment at each angle.

    ``maps`` maps a clip's name to ``(q, G)``: ``q`` the quantised mel segment (bands,
    frames), ``G`` the GLCMs (segments, levels, levels, angles), shown as log10 shares
    of the segment's neighbour pairs. Colour bars: the grey level; the log10 share.

    Notebook: ``03_texture_features.ipynb``.
    """
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(
        len(maps),
        1 + len(angles),
        figsize=(13, 2.8 * len(maps)),
        squeeze=False,
        layout="constrained",
        gridspec_kw={"width_ratios": [1.4] + [1] * len(angles)},
    )
    img_q = img_g = None
    for row, (name, (q, G)) in enumerate(maps.items()):
        if G.shape[-1] != len(angles):
            raise ValueError(f"{G.shape[-1]} GLCM offsets for {len(angles)} angles")
        levels = G.shape[1]
        img_q = axes[row, 0].imshow(
            q,
            origin="lower",
            aspect="auto",
            cmap="gray",
            interpolation="nearest",
            extent=(0, q.shape[1] * frame_seconds, -0.5, q.shape[0] - 0.5),
            vmin=0,
            vmax=levels - 1,
        )
        axes[row, 0].set(
            title=f"{name}\n{q.shape[1] * frame_seconds:g} s, {levels} levels",
            xlabel="time (s)",
            ylabel="mel band",
        )
        for a, angle in enumerate(angles):
            img_g = axes[row, a + 1].imshow(
                np.log10(G[0, :, :, a] + 1e-4),
                origin="lower",
                cmap="viridis",
                vmin=-4,
                vmax=0,
            )
            axes[row, a + 1].set(
                title=f"GLCM {angle}",
                xlabel="level j (neighbour)",
                ylabel="level i (cell)",
            )
    fig.colorbar(img_q, ax=list(axes[:, 0]), label="grey level")
    fig.colorbar(img_g, ax=list(axes[:, 1:].ravel()), label="log10 share of the pairs")
    return fig


def zone_labels(edges: Sequence[int], centres: np.ndarray) -> list[str]:
    """``"low-high"`` (Hz) for each mel zone between consecutive ``edges`` (mel rows).

    ``centres`` are the bands' centre frequencies (Hz).

    Notebook: ``03_texture_features.ipynb``.
    """
    import itertools

    return [
        f"{centres[a]:.0f}-{centres[b - 1]:.0f}" for a, b in itertools.pairwise(edges)
    ]


def plot_zone_accuracies(
    zone_accuracy: Sequence[float],
    labels: Sequence[str],
    fused: float,
    rule: str,
    chance: float,
):
    """A bar per zone's validation accuracy; the fused accuracy and chance as lines.

    ``labels`` name each zone by the centre frequencies of its first and last mel bands
    (:func:`zone_labels`).

    Notebook: ``03_texture_features.ipynb``.
    """
    import matplotlib.pyplot as plt

    if len(zone_accuracy) != len(labels):
        raise ValueError(f"{len(zone_accuracy)} accuracies for {len(labels)} zones")
    fig, ax = plt.subplots(figsize=(10, 3))
    ax.bar(range(len(labels)), zone_accuracy, color="C0", label="one zone alone")
    ax.axhline(fused, color="C3", ls="--", label=f"all zones, {rule} rule")
    ax.axhline(chance, color="gray", lw=0.8, label="chance")
    ax.set_xticks(range(len(labels)), labels, rotation=45, ha="right", fontsize=8)
    ax.set(
        xlabel="zone (Hz: centres of its first and last mel bands)",
        ylabel="validation accuracy",
        title="one SVM per mel zone, and fused",
        ylim=(0, 1),
    )
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return fig


def plot_genre_glcms(
    glcms: Sequence[np.ndarray], genre_of: Sequence[str], genres: Sequence[str]
):
    """Each class's mean GLCM at the first offset (0°) over its clips' segments.

    ``glcms[k]`` holds the GLCMs (segments, levels, levels, offsets) of a clip of class
    ``genre_of[k]``, each map the shares of its segment's neighbour pairs. The colour is
    the log10 of the mean share: how often, in a segment, a cell at grey level i has the
    next frame at level j. One panel per class (five to a row at most), one colour bar.

    Notebook: ``03_texture_features.ipynb``.
    """
    import matplotlib.pyplot as plt

    if len(glcms) != len(genre_of):
        raise ValueError(f"{len(glcms)} GLCM stacks for {len(genre_of)} genres")
    n_cols = min(5, max(1, len(genres)))
    n_rows = -(-len(genres) // n_cols)
    fig, axes = plt.subplots(
        n_rows,
        n_cols,
        figsize=(11, 0.9 + 2.2 * n_rows),
        sharex=True,
        sharey=True,
        squeeze=False,
        layout="constrained",
    )
    levels = img = None
    for ax, genre in zip(axes.flat, genres):
        maps = [G[..., 0].mean(axis=0) for G, g in zip(glcms, genre_of) if g == genre]
        if maps:
            levels = maps[0].shape[0]
            img = ax.imshow(
                np.log10(np.mean(maps, axis=0) + 1e-4),
                origin="lower",
                cmap="viridis",
                vmin=-4,
                vmax=-0.5,
            )
        ax.set(
            title=genre,
            xlabel="level j (next frame)",
            ylabel="level i (cell)",
        )
        ax.label_outer()
    for ax in axes.flat[len(genres) :]:
        ax.axis("off")
    if img is not None:
        fig.colorbar(
            img,
            ax=axes.ravel().tolist(),
            label="log10 mean share of the pairs",
        )
    fig.suptitle(f"mean GLCM at 0° per class ({levels} grey levels)")
    return fig


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
    fig, axes = plt.subplots(1, len(pictures), figsize=figsize, squeeze=False)
    for ax, A, title, in_db in zip(axes[0], pictures, titles, db):
        style = {"origin": "lower", "aspect": "auto", "cmap": "magma", "extent": extent}
        if in_db:
            im = ax.imshow(_db(A), vmin=vmin, **style)
            label = "dB below the peak"
        else:
            im = ax.imshow(np.abs(A), **style)
            label = "magnitude (linear)"
        fig.colorbar(im, ax=ax, label=label, fraction=0.046, pad=0.02)
        ax.set(title=title, xlabel="time (s)")
    axes[0, 0].set_ylabel("frequency (kHz)")
    return axes[0]


def plot_kernels(
    W: np.ndarray,
    along_time: np.ndarray,
    along_freq: np.ndarray,
    bin_hz: float | None = None,
    frame_ms: float | None = None,
) -> np.ndarray:
    """A first layer's kernels, one panel each, with their time/frequency change ratio.

    Every panel shares one colour scale, symmetric about zero, with its colour bar, so
    that the kernels' weights can be compared; the axes are offsets from the kernel's
    centre, in STFT frames (time) and bins (frequency).

    Notebook: ``09_auralisation.ipynb``.

    Args:
        W: ``(frequency, time, map)`` kernels of a one-channel input.
        along_time, along_freq: Per map, the kernel's summed absolute change along
            time and along frequency.
        bin_hz, frame_ms: The spacing of the bins in Hz and of the frames in ms, said in
            the axis labels (``None``: not said).

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
    n, (h, w) = W.shape[2], W.shape[:2]
    fig, axes = plt.subplots(
        1, n, figsize=(1.5 * n + 1, 2.9), squeeze=False, layout="constrained"
    )
    v = float(np.abs(W).max()) or 1.0
    extent = (-(w // 2) - 0.5, w - w // 2 - 0.5, -(h // 2) - 0.5, h - h // 2 - 0.5)
    for k, ax in enumerate(axes[0]):
        im = ax.imshow(
            W[:, :, k], origin="lower", cmap="RdBu_r", vmin=-v, vmax=v, extent=extent
        )
        ratio = along_time[k] / along_freq[k]
        ax.set_title(f"map {k}\nt/f {ratio:.2f}")
        ax.set_xticks(range(-(w // 2), w - w // 2))
        ax.set_yticks(range(-(h // 2), h - h // 2) if k == 0 else [])
    frames = f" of {frame_ms:.1f} ms" if frame_ms else ""
    bins = f" of {bin_hz:.1f} Hz" if bin_hz else ""
    axes[0, 0].set_xlabel(f"time offset\n(frames{frames})")
    axes[0, 0].set_ylabel(f"frequency offset\n(bins{bins})")
    fig.colorbar(im, ax=list(axes[0]), label="kernel weight", fraction=0.02)
    fig.suptitle(
        "Layer 1 kernels (one colour scale; t/f: change along time / along frequency)"
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
    fig, axes = plt.subplots(
        n_rows,
        len(layers) + 1,
        figsize=(15, 2.3 * n_rows),
        squeeze=False,
        layout="constrained",
    )
    style = {"origin": "lower", "aspect": "auto", "cmap": "magma", "vmin": -60}
    im = axes[0, 0].imshow(_db(S), extent=extent, **style)
    axes[0, 0].set(title="original", ylabel="frequency (kHz)")
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
    fig.colorbar(
        im,
        ax=list(axes.flat),
        label="dB below each picture's peak",
        fraction=0.015,
    )
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
