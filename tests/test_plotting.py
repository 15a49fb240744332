"""The book's figures: palette PNGs that look the same and weigh far less."""

from __future__ import annotations

import base64
import io

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from PIL import Image  # noqa: E402

from mgr_utils.plotting import figure_png, set_style, use_palette_png  # noqa: E402


def _spectrogram_figure():
    set_style()
    rng = np.random.default_rng(0)
    fig, axes = plt.subplots(1, 2, figsize=(10, 3))
    axes[0].imshow(rng.standard_normal((128, 400)), aspect="auto", origin="lower")
    axes[1].plot(np.cumsum(rng.standard_normal(500)), label="a walk")
    axes[1].legend()
    return fig


def test_palette_png_looks_the_same_and_is_lighter():
    from IPython.core.pylabtools import print_figure

    fig = _spectrogram_figure()
    full = Image.open(io.BytesIO(print_figure(fig, fmt="png"))).convert("RGBA")
    raw = base64.b64decode(figure_png(fig))
    light = Image.open(io.BytesIO(raw))
    plt.close(fig)
    assert light.mode == "P" and light.size == full.size
    a = np.asarray(full, dtype=float)
    b = np.asarray(light.convert("RGBA"), dtype=float)
    # Same picture: on average within 3 of 255 levels per channel, nowhere a stray colour.
    assert np.abs(a - b).mean() < 3.0
    assert np.percentile(np.abs(a - b), 99.9) < 40
    full_bytes = io.BytesIO()
    full.save(full_bytes, format="PNG")
    assert len(raw) < len(full_bytes.getvalue()) / 2


def test_an_empty_figure_gives_nothing():
    fig = plt.figure()
    assert figure_png(fig) is None
    plt.close(fig)


def test_the_formatter_is_registered_in_an_ipython_shell():
    pytest.importorskip("IPython")
    from IPython.core.interactiveshell import InteractiveShell
    from matplotlib.figure import Figure

    shell = InteractiveShell.instance()
    assert use_palette_png(shell)
    png = shell.display_formatter.formatters["image/png"]
    assert png.lookup_by_type(Figure) is figure_png
    fig = _spectrogram_figure()
    data, _ = shell.display_formatter.format(fig)
    plt.close(fig)
    image = Image.open(io.BytesIO(base64.b64decode(data["image/png"])))
    assert image.mode == "P"


def test_outside_ipython_nothing_is_registered(monkeypatch):
    import IPython

    monkeypatch.setattr(IPython, "get_ipython", lambda: None)
    assert use_palette_png() is False
