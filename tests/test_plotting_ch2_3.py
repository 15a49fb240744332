"""The figures of chapters 1 to 3: each draws what it names from small made-up data.

Every figure a chapter shows must be readable: axes labelled with their units, a colour
bar (with its label) wherever colour encodes a value.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from mgr_utils import GENRES, plotting  # noqa: E402

SR = 8000
HOP = 256


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _images(fig) -> int:
    return sum(
        len(ax.images) + len(ax.collections) for ax in fig.axes if not _is_bar(ax)
    )


def _is_bar(ax) -> bool:
    return getattr(ax, "_colorbar", None) is not None


def _colour_bars(fig) -> list[str]:
    """The labels of the figure's colour bars."""
    return [ax.get_ylabel() or ax.get_xlabel() for ax in fig.axes if _is_bar(ax)]


def _panels(fig) -> list:
    """The axes that draw something (not colour bars, not switched-off panels)."""
    return [ax for ax in fig.axes if not _is_bar(ax) and ax.axison]


def _assert_labelled(fig, x_unit: str | None = None, y_unit: str | None = None):
    """Every drawn panel has both axis labels (on the outer panels of a shared grid)."""
    panels = _panels(fig)
    assert panels
    xs = [ax.get_xlabel() for ax in panels if ax.get_xlabel()]
    ys = [ax.get_ylabel() for ax in panels if ax.get_ylabel()]
    assert xs and ys, (xs, ys)
    if x_unit:
        assert all(x_unit in x for x in xs), xs
    if y_unit:
        assert any(y_unit in y for y in ys), ys


def test_clip_spectrograms_one_panel_per_clip_one_db_colour_bar():
    rng = np.random.default_rng(0)
    examples = {g: rng.standard_normal(SR) * 0.1 for g in ("a", "b", "c")}
    fig = plotting.plot_clip_spectrograms(examples, SR, "three clips")
    panels = _panels(fig)
    assert [ax.get_title() for ax in panels] == ["a", "b", "c"]
    assert _colour_bars(fig) == ["dB below each excerpt's peak"]
    _assert_labelled(fig, "(s)", "Hz")
    one = plotting.plot_clip_spectrograms({"a": examples["a"]}, SR, "one")
    assert len(_panels(one)) == 1
    with pytest.raises(ValueError, match="no clip"):
        plotting.plot_clip_spectrograms({}, SR, "none")


def test_class_balance_labels_both_panels():
    fig = plotting.plot_class_balance(
        {"Tango": 3, "k-pop": 2}, np.array([4.0, np.nan, 5.0]), "class"
    )
    assert [p.get_height() for p in fig.axes[0].patches] == [3, 2]
    assert fig.axes[0].get_xlabel() == "class" and fig.axes[0].get_ylabel() == "clips"
    assert fig.axes[1].get_xlabel() == "duration (s)"
    assert sum(p.get_height() for p in fig.axes[1].patches) == 2  # the nan left out


def test_waveform_zoom_draws_the_clip_and_a_zoom():
    y = np.sin(np.arange(2 * SR) * 0.05).astype(np.float32)
    fig = plotting.plot_waveform_zoom(y, SR, "a sine", start=1.0, seconds=0.03)
    assert len(fig.axes) == 2
    zoom = fig.axes[1].lines[0]
    assert len(zoom.get_xdata()) == int(0.03 * SR)
    assert fig.axes[1].get_title() == "30 ms of it"
    assert fig.axes[0].get_xlabel() == "time (s)"
    assert fig.axes[1].get_xlabel() == "time (ms)"
    assert {ax.get_ylabel() for ax in fig.axes} == {"amplitude"}
    # the zoom's time axis starts where the zoom does (1 s = 1000 ms)
    assert zoom.get_xdata()[0] == pytest.approx(1000.0)
    with pytest.raises(ValueError, match="after the end"):
        plotting.plot_waveform_zoom(y, SR, "a sine", start=5.0)


def test_stft_scales_draws_two_images_with_colour_bars():
    S = np.abs(np.random.default_rng(0).standard_normal((129, 40)))
    fig = plotting.plot_stft_scales(S, SR, HOP)
    assert len(fig.axes) == 4  # two panels and two colour bars
    assert len(fig.axes[0].collections) == 1 and len(fig.axes[1].collections) == 1
    assert _colour_bars(fig) == ["|X| (linear)", "dB below the peak"]
    _assert_labelled(fig, "time (s)", "frequency (Hz)")


def test_mel_filterbank_draws_every_nth_filter():
    rng = np.random.default_rng(1)
    M_fb = np.abs(rng.standard_normal((16, 129)))
    freqs = np.linspace(0, SR / 2, 129)
    M = np.abs(rng.standard_normal((16, 30)))
    fig = plotting.plot_mel_filterbank(M_fb, freqs, M, SR, HOP, every=4)
    assert len(fig.axes[0].lines) == 5  # filters 0, 4, 8, 12 and the last, 15
    np.testing.assert_array_equal(fig.axes[0].lines[-1].get_ydata(), M_fb[15])
    assert "16 bands" in fig.axes[1].get_title()
    # the whole range the filterbank covers, up to the Nyquist frequency
    assert fig.axes[0].get_xlim() == (0, SR / 2)
    assert _colour_bars(fig) == ["dB below the peak"]
    _assert_labelled(fig)
    assert fig.axes[0].get_xlabel() == "frequency (Hz)"
    with pytest.raises(ValueError, match="filterbank columns"):
        plotting.plot_mel_filterbank(M_fb, freqs[:-1], M, SR, HOP)


def test_log_compression_draws_two_histograms_and_the_log_mel():
    rng = np.random.default_rng(2)
    M = np.abs(rng.standard_normal((16, 30))) + 1e-3
    L = 10 * np.log10(M / M.max())
    fig = plotting.plot_log_compression(M, L, SR, HOP)
    assert len(fig.axes[0].patches) == 60 and len(fig.axes[1].patches) == 60
    assert len(fig.axes[2].collections) == 1
    assert [ax.get_yscale() for ax in fig.axes[:2]] == ["log", "log"]
    assert all("log scale" in ax.get_ylabel() for ax in fig.axes[:2])
    assert _colour_bars(fig) == ["dB below the peak"]
    _assert_labelled(fig)


def test_segments_draws_one_numbered_bar_per_segment():
    L = np.zeros((16, int(10 * SR / HOP)))
    fig = plotting.plot_segments(L, SR, HOP, n_segments=5, seconds=3.0, overlap=0.5)
    ax = fig.axes[0]
    assert len(ax.lines) == 5 and [t.get_text() for t in ax.texts] == list("01234")
    # 50 % overlap: bar k starts 1.5 s after bar k - 1
    starts = [line.get_xdata()[0] for line in ax.lines]
    np.testing.assert_allclose(np.diff(starts), 1.5, atol=1e-3)
    assert _colour_bars(fig) == ["dB below the peak"]
    _assert_labelled(fig, "time (s)", "Hz")
    with pytest.raises(ValueError, match="overlap"):
        plotting.plot_segments(L, SR, HOP, 5, 3.0, overlap=1.0)


def test_patches_draws_the_image_and_n_patches():
    image = np.random.default_rng(3).standard_normal((32, 64))
    patches = np.stack([image[:, i : i + 16] for i in range(0, 64, 16)])
    fig = plotting.plot_patches(image, patches, n_shown=4)
    assert len(_panels(fig)) == 5
    assert len(fig.axes[0].lines) == 5  # a boundary every 16 columns, ends included
    assert all(len(ax.images) == 1 for ax in _panels(fig))
    assert _colour_bars(fig) == ["dB below the peak"]
    assert "time" in fig.axes[0].get_xlabel()
    assert "frequency" in fig.axes[0].get_ylabel()
    # the patches share the image's colour scale
    clims = {ax.images[0].get_clim() for ax in _panels(fig)}
    assert len(clims) == 1
    with pytest.raises(ValueError, match="at least 8"):
        plotting.plot_patches(image, patches, n_shown=8)


def _specs(genres):
    rng = np.random.default_rng(4)
    return [rng.uniform(-80, 0, (16, 60)) for _ in genres]


def test_genre_segments_draws_one_panel_per_genre_present():
    genre_of = ["blues", "blues", "metal"]
    fig = plotting.plot_genre_segments(
        _specs(genre_of), genre_of, GENRES, SR, HOP, 10, "t"
    )
    assert len(_panels(fig)) == 10
    assert _images(fig) == 2
    assert _colour_bars(fig) == ["dB below the peak"]
    _assert_labelled(fig, "time (s)", "Hz")
    # any number of classes: three classes, three panels
    three = plotting.plot_genre_segments(
        _specs(genre_of), genre_of, ("blues", "metal", "Tango"), SR, HOP, 10, "t"
    )
    assert [ax.get_title() for ax in _panels(three)] == ["blues", "metal", "Tango"]
    with pytest.raises(ValueError, match="spectrograms for"):
        plotting.plot_genre_segments(_specs([1]), genre_of, GENRES, SR, HOP, 10, "t")


def test_genre_spectra_draws_one_line_per_genre_present():
    genre_of = ["blues", "jazz", "jazz", "rock"]
    specs = _specs(genre_of)
    fig = plotting.plot_genre_spectra(
        specs, genre_of, GENRES, np.geomspace(50, 4000, 16)
    )
    lines = fig.axes[0].lines
    assert [line.get_label() for line in lines] == ["blues", "jazz", "rock"]
    assert fig.axes[0].get_legend() is not None
    assert fig.axes[0].get_xscale() == "log"
    assert "Hz" in fig.axes[0].get_xlabel() and "log scale" in fig.axes[0].get_xlabel()
    assert "dB" in fig.axes[0].get_ylabel()
    np.testing.assert_allclose(
        lines[1].get_ydata(), (specs[1].mean(axis=1) + specs[2].mean(axis=1)) / 2
    )


def test_lbp_codes_draws_two_images_and_a_histogram():
    Q = np.random.default_rng(5).integers(0, 256, (20, 50))
    codes = Q[2:-2, 2:-2] % 59
    hist = np.bincount(codes.ravel(), minlength=59) / codes.size
    fig = plotting.plot_lbp_codes(Q, codes, hist, P=8, R=2, n_cols=30)
    assert len(fig.axes[0].images) == 1 and len(fig.axes[1].images) == 1
    assert len(fig.axes[2].patches) == 59
    assert fig.axes[1].images[0].get_array().shape == (16, 30)
    assert _colour_bars(fig) == ["grey level", "LBP code"]
    _assert_labelled(fig)
    timed = plotting.plot_lbp_codes(Q, codes, hist, 8, 2, n_cols=30, frame_seconds=0.1)
    assert timed.axes[0].get_xlabel() == "time (s)"
    assert timed.axes[0].images[0].get_extent()[1] == pytest.approx(3.0)
    with pytest.raises(ValueError, match="border"):
        plotting.plot_lbp_codes(Q, codes, hist, P=8, R=1)


def test_zone_histograms_draws_the_zones_and_each_clip():
    rng = np.random.default_rng(6)
    edges = [0, 4, 8, 16]
    H = {"a": rng.random((3, 59)), "b": rng.random((3, 59))}
    fig = plotting.plot_zone_histograms(rng.random((16, 40)), edges, H, "zones")
    assert len(_panels(fig)) == 3
    assert len(fig.axes[0].lines) == 2  # the inner zone edges
    assert _images(fig) == 3
    assert _colour_bars(fig) == ["dB below the peak", "share of the zone's codes"]
    _assert_labelled(fig)


def test_glcm_maps_draws_a_row_per_clip_and_a_map_per_angle():
    rng = np.random.default_rng(7)
    maps = {k: (rng.integers(0, 4, (8, 32)), rng.random((2, 4, 4, 4))) for k in "ab"}
    fig = plotting.plot_glcm_maps(maps)
    assert len(_panels(fig)) == 10 and _images(fig) == 10
    assert "4 levels" in fig.axes[0].get_title()
    assert "4 s" in fig.axes[0].get_title()  # 32 frames of 0.125 s
    assert _colour_bars(fig) == ["grey level", "log10 share of the pairs"]
    _assert_labelled(fig)
    assert fig.axes[0].get_xlabel() == "time (s)"
    bad = {"a": (maps["a"][0], rng.random((2, 4, 4, 3)))}
    with pytest.raises(ValueError, match="offsets"):
        plotting.plot_glcm_maps(bad)


def test_zone_labels_name_each_zone_by_its_bands():
    centres = np.array([100.0, 200.0, 300.0, 400.0, 500.0])
    assert plotting.zone_labels([0, 2, 5], centres) == ["100-200", "300-500"]


def test_zone_accuracies_draws_a_bar_per_zone_and_two_lines():
    fig = plotting.plot_zone_accuracies(
        [0.2, 0.5, 0.3], ["a", "b", "c"], fused=0.6, rule="sum", chance=0.1
    )
    ax = fig.axes[0]
    assert len(ax.patches) == 3 and len(ax.lines) == 2
    assert len(ax.get_legend().get_texts()) == 3
    assert "Hz" in ax.get_xlabel() and ax.get_ylabel() == "validation accuracy"
    with pytest.raises(ValueError, match="zones"):
        plotting.plot_zone_accuracies([0.2], ["a", "b"], 0.6, "sum", 0.1)


def test_genre_glcms_draws_the_mean_map_of_each_genre_present():
    rng = np.random.default_rng(8)
    genre_of = ["disco", "disco", "pop"]
    glcms = [rng.random((3, 16, 16, 4)) / 256 for _ in genre_of]
    fig = plotting.plot_genre_glcms(glcms, genre_of, GENRES)
    assert len(_panels(fig)) == 10 and _images(fig) == 2
    assert "16 grey levels" in fig._suptitle.get_text()
    assert _colour_bars(fig) == ["log10 mean share of the pairs"]
    _assert_labelled(fig, "level j", "level i")
    four = plotting.plot_genre_glcms(glcms, genre_of, ("disco", "pop", "Tango", "x"))
    assert [ax.get_title() for ax in _panels(four)] == ["disco", "pop", "Tango", "x"]
    with pytest.raises(ValueError, match="GLCM stacks"):
        plotting.plot_genre_glcms(glcms[:1], genre_of, GENRES)
