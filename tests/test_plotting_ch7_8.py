"""The figures and tables of chapters 7 and 8, drawn from small made-up data."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from mgr_utils import front_ends, pretraining  # noqa: E402

RNG = np.random.default_rng(0)


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def _eval(acc, rule="sum", n=4):
    confusion = np.eye(n, dtype=int) * 3
    return {
        "rule": rule,
        "test": {
            "accuracy": acc,
            "valid_accuracy": acc - 0.1,
            "segment_accuracy": acc - 0.05,
            "confusion": confusion,
        },
    }


def test_plot_mfcc_excerpt_draws_one_image_of_the_excerpt():
    ax = front_ends.plot_mfcc_excerpt(RNG.standard_normal((190, 13)), 4.4, "t")
    (image,) = ax.get_images()
    assert image.get_array().shape == (13, 190)
    assert image.get_extent() == [0, 4.4, -0.5, 12.5]
    assert ax.get_title() == "t"
    with pytest.raises(ValueError, match="frames, n_mfcc"):
        front_ends.plot_mfcc_excerpt(np.zeros(13), 1.0, "t")


def test_plot_segment_views_draws_the_wave_its_frame_marks_and_the_mel():
    wave, mel = RNG.standard_normal(2048), RNG.standard_normal((8, 16))
    axes = front_ends.plot_segment_views(wave, mel, sr=8000, stride=256)
    assert len(axes[0].get_lines()) == 1 + 5  # the waveform and five frame marks
    assert axes[1].get_images()[0].get_array().shape == (16, 8)
    assert "16-band log-mel" in axes[1].get_title()
    with pytest.raises(ValueError):
        front_ends.plot_segment_views(wave[None], mel, sr=8000, stride=256)


def test_li_table_puts_training_and_test_side_by_side():
    train = {"n_clips": 60, "accuracy": 0.9, "segment_accuracy": 0.8}
    test = {"n_clips": 30, "accuracy": 0.4, "segment_accuracy": 0.35}
    rows = front_ends.li_table(train, test).splitlines()
    assert len(rows) == 5
    assert "60 **training**" in rows[0] and "30 held-out" in rows[0]
    assert rows[2] == "| per excerpt (before the vote) | 80.0% | 35.0% |"
    assert rows[3] == "| per clip (after the vote) | 90.0% | 40.0% |"


def test_front_ends_table_has_one_row_per_front_end():
    evals = {"mel": _eval(0.7), "raw": _eval(0.6, "vote")}
    reported = {"mel": {"value": 0.8815}, "raw": {"value": 0.8487}}
    rows = front_ends.front_ends_table(evals, reported).splitlines()
    assert len(rows) == 4
    assert rows[2].startswith("| mel | sum | 60.0% | **70.0%** | 65.0% | 0.8815")
    assert rows[3].startswith("| raw | vote |")


def test_plot_front_end_confusions_draws_one_matrix_per_front_end():
    evals = {"mel": _eval(0.7), "raw": _eval(0.6, "vote")}
    axes = front_ends.plot_front_end_confusions(evals, ["a", "b", "c", "d"])
    assert len(axes) == 2
    assert all(len(ax.get_images()) == 1 for ax in axes)
    assert axes[1].get_title() == "raw front end, vote rule (60%)"
    with pytest.raises(ValueError):
        front_ends.plot_front_end_confusions({}, ["a"])


def test_plot_filter_spectra_draws_two_images_and_three_lines():
    n, bins = 8, 65
    spectra, spectra0 = RNG.random((n, bins)), RNG.random((n, bins))
    hz = np.sort(RNG.random(n) * 4000)
    axes = front_ends.plot_filter_spectra(spectra, spectra0, hz, hz, hz, sr=8000)
    assert [len(ax.get_images()) for ax in axes] == [1, 1, 0]
    assert len(axes[2].get_lines()) == 3
    assert axes[0].get_images()[0].get_extent() == [0.5, n + 0.5, 0, 4.0]
    with pytest.raises(ValueError, match="one per filter"):
        front_ends.plot_filter_spectra(spectra, spectra0, hz[:3], hz, hz, sr=8000)


def test_plot_scaling_draws_a_mean_line_and_seed_points_per_front_end():
    sizes = [2, 4, 8]
    extra = {
        "accuracy": {"mel": [0.3, 0.5, 0.7], "raw": [0.2, 0.4, 0.6]},
        "per_seed": {fe: [[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]] for fe in ("mel", "raw")},
    }
    ax = front_ends.plot_scaling(sizes, extra, "scaling")
    assert len(ax.get_lines()) == 2 * (1 + len(sizes))
    assert ax.get_xscale() == "log"
    with pytest.raises(ValueError, match="one accuracy per size"):
        front_ends.plot_scaling(sizes[:2], extra, "scaling")


def test_plot_echonest_features_draws_two_images_per_clip():
    features = {f"clip.{i}": RNG.standard_normal((50, 24)) for i in range(2)}
    axes = pretraining.plot_echonest_features(features, frame_seconds=0.05)
    assert axes.shape == (2, 2)
    assert all(len(ax.get_images()) == 1 for ax in axes.ravel())
    assert axes[0, 1].get_title() == "clip.1: chroma (12 pitch classes)"
    with pytest.raises(ValueError):
        pretraining.plot_echonest_features({"x": np.zeros((5, 12))}, 0.05)


class _Layer:
    def __init__(self, errors):
        self.errors = errors


def test_plot_reconstruction_errors_draws_one_line_per_method_and_layer():
    stacks = {
        "CD-1 RBMs": {0: [_Layer([3, 2, 1]), _Layer([2, 1, 1])]},
        "autoencoders": {0: [_Layer([3, 1, 1]), _Layer([2, 2, 1])]},
    }
    axes = pretraining.plot_reconstruction_errors(stacks, seed=0)
    assert len(axes) == 2
    assert all(len(ax.get_lines()) == 2 for ax in axes)
    assert "binary" in axes[1].get_title()
    with pytest.raises(ValueError):
        pretraining.plot_reconstruction_errors({}, seed=0)


def test_plot_reconstruction_draws_both_on_one_scale():
    window = RNG.standard_normal((64, 24))
    axes = pretraining.plot_reconstruction(window, 0.5 * window)
    images = [ax.get_images()[0] for ax in axes]
    assert [im.get_clim() for im in images] == [(-3, 3), (-3, 3)]
    assert len(axes[0].figure.axes) == 3  # two panels and the colour bar
    with pytest.raises(ValueError):
        pretraining.plot_reconstruction(window, window[:10])


def _runs():
    runs = []
    for init in ("random", "CD-1 RBMs"):
        for fraction, n in ((0.25, 10), (1.0, 40)):
            for seed in (0, 1, 2):
                acc = 0.3 + 0.3 * fraction + 0.05 * seed + (init != "random") * 0.1
                runs.append(
                    {
                        "init": init,
                        "fraction": fraction,
                        "seed": seed,
                        "n_labelled": n,
                        "test": {"accuracy": acc},
                    }
                )
    return runs


def test_plot_fraction_curves_draws_a_mean_and_the_seeds_per_start():
    ax = pretraining.plot_fraction_curves(_runs(), "t", "accuracy")
    assert len(ax.containers) == 2  # one error bar per start
    assert len(ax.collections) >= 2 * 2  # the seeds' dots, one set per point
    means = np.asarray(ax.containers[0].lines[0].get_ydata(), dtype=float)
    np.testing.assert_allclose(means, [0.425, 0.65])
    assert [t.get_text() for t in ax.get_xticklabels()] == ["10\n(25%)", "40\n(100%)"]
    with pytest.raises(ValueError):
        pretraining.plot_fraction_curves([], "t", "accuracy")


def test_plot_filter_pairs_draws_the_heaviest_filters_twice():
    W = RNG.standard_normal((8, 24, 12))
    W[:, :, 5] *= 10  # the heaviest
    axes = pretraining.plot_filter_pairs(W, W + 0.1, frame_seconds=0.05, n=4)
    assert axes.shape == (2, 4)
    assert all(len(ax.get_images()) == 1 for ax in axes.ravel())
    assert axes[0, 0].get_title() == "filter 5"
    with pytest.raises(ValueError):
        pretraining.plot_filter_pairs(W, W[:4], frame_seconds=0.05)


def test_all_labels_table_reads_the_full_fraction_per_start():
    rows = pretraining.all_labels_table(_runs(), "synthetic", "stratified").splitlines()
    assert len(rows) == 4
    assert rows[2].startswith("| random start, all labels | 65.0% ± 5.0% over 3 seeds")
    assert "not known here" in rows[2] and "about 30 %" in rows[3]


# ------------------------------------------------- labels, units and colour bars (§5)


def _colorbars(fig):
    """The colour bars of a figure: the axes whose label says what the colour means."""
    return [ax for ax in fig.axes if getattr(ax, "_colorbar", None) is not None]


def _labels(ax):
    return ax.get_xlabel(), ax.get_ylabel()


def test_mfcc_excerpt_has_units_and_a_colour_bar():
    ax = front_ends.plot_mfcc_excerpt(RNG.standard_normal((190, 13)), 4.4, "t")
    assert _labels(ax) == ("time (s)", "MFCC index")
    (cbar,) = _colorbars(ax.figure)
    assert cbar.get_ylabel() == "value (standardised per row)"


def test_segment_views_label_the_waveform_and_give_the_mel_level_in_db():
    axes = front_ends.plot_segment_views(
        RNG.standard_normal(2048), RNG.standard_normal((8, 16)), 8000, 256, 2
    )
    assert _labels(axes[0]) == ("time (s)", "amplitude (full scale = 1)")
    assert _labels(axes[1]) == ("time (s)", "mel band")
    (cbar,) = _colorbars(axes[0].figure)
    assert "dB" in cbar.get_ylabel()
    assert axes[1].get_title().startswith("segment 2:")


def test_filter_spectra_have_a_colour_bar_per_image():
    n, bins = 8, 65
    hz = np.sort(RNG.random(n) * 4000)
    axes = front_ends.plot_filter_spectra(
        RNG.random((n, bins)), RNG.random((n, bins)), hz, hz, hz, sr=8000
    )
    bars = _colorbars(axes[0].figure)
    assert len(bars) == 2
    assert all(b.get_ylabel() == "magnitude (each filter's peak = 1)" for b in bars)
    for ax in axes:
        assert ax.get_xlabel() and ax.get_ylabel() == "frequency (kHz)"
    assert axes[0].get_images()[0].get_clim() == (0, 1)


def test_filter_responses_are_in_db_with_a_legend():
    freqs = np.linspace(0, 11025, 513)
    spectra = RNG.random((3, 513)) + 0.01
    ax = front_ends.plot_filter_responses(spectra, freqs, ["low", "mid", "high"])
    assert _labels(ax) == ("frequency (kHz)", "magnitude (dB, peak = 0)")
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["low", "mid", "high"]
    for line in ax.get_lines():  # each normalised to its own peak
        assert np.max(line.get_ydata()) == pytest.approx(0.0, abs=1e-3)
    with pytest.raises(ValueError, match="one label per spectrum"):
        front_ends.plot_filter_responses(spectra, freqs, ["low"])


def test_echonest_features_have_axis_labels_and_a_colour_bar_per_row():
    features = {f"clip.{i}": RNG.standard_normal((50, 24)) for i in range(2)}
    axes = pretraining.plot_echonest_features(features, frame_seconds=0.05)
    assert axes[0, 0].get_ylabel() == "pitch class"
    assert _labels(axes[1, 0]) == ("time (s)", "MFCC")
    bars = _colorbars(axes[0, 0].figure)
    assert [b.get_ylabel() for b in bars] == [
        "chroma (frame's largest = 1)",
        "MFCC value",
    ]
    # one colour scale per row, so that one colour bar reads every panel
    clims = [ax.get_images()[0].get_clim() for ax in axes[1]]
    assert clims[0] == clims[1] and clims[0][0] == -clims[0][1]
    assert axes[0, 1].get_images()[0].get_clim() == (0, 1)


def test_reconstruction_time_axis_in_seconds_and_a_labelled_colour_bar():
    window = RNG.standard_normal((64, 24))
    axes = pretraining.plot_reconstruction(window, window, frame_seconds=0.05)
    assert axes[0].get_xlabel() == "time (s)"
    assert axes[0].get_images()[0].get_extent()[1] == pytest.approx(3.2)
    (cbar,) = _colorbars(axes[0].figure)
    assert cbar.get_ylabel() == "standardised value"
    assert pretraining.plot_reconstruction(window, window)[0].get_xlabel() == "frame"


def test_filter_pairs_show_every_filter_heaviest_first_with_one_colour_bar():
    W = RNG.standard_normal((8, 24, 12))
    W[:, :, 5] *= 10  # the heaviest
    W[:, :, 2] *= 5  # the next
    axes = pretraining.plot_filter_pairs(W, W + 0.1, frame_seconds=0.05, columns=8)
    assert axes.shape == (4, 8)  # 12 filters: two rows of pairs, 4 places unused
    titles = [ax.get_title() for ax in axes[0::2].ravel()]
    assert titles[:2] == ["filter 5", "filter 2"]
    shown = sorted(int(t.split()[1]) for t in titles if t)
    assert shown == list(range(12))
    assert [ax.get_ylabel() for ax in axes[:, 0]] == ["pretrained", "fine-tuned"] * 2
    assert not axes[3, 7].axison  # an empty place
    (cbar,) = _colorbars(axes[0, 0].figure)
    assert "largest |weight|" in cbar.get_ylabel()
    assert axes[1, 0].get_images()[0].get_clim() == (-1, 1)
    assert "time (s)" in axes[0, 0].figure.get_supxlabel()
    np.testing.assert_array_equal(pretraining.filter_order(W)[:2], [5, 2])


def test_filter_pairs_draw_without_a_layout_warning_in_the_book_style():
    import warnings

    import matplotlib
    import matplotlib.pyplot as plt

    W = RNG.standard_normal((8, 24, 6))
    with matplotlib.rc_context({"figure.autolayout": True}), warnings.catch_warnings():
        warnings.simplefilter("error")  # chapter 8's page showed tight_layout's warning
        axes = pretraining.plot_filter_pairs(W, W + 0.1, frame_seconds=0.05)
        axes[0, 0].figure.canvas.draw()
    plt.close("all")
