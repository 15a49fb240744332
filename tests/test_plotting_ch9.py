"""Chapter 9's figures and page helpers: drawn on an Agg figure from small made-up data."""

from __future__ import annotations

from types import SimpleNamespace

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from mgr_utils import GENRES  # noqa: E402
from mgr_utils import auralisation as au  # noqa: E402
from mgr_utils.plotting import (  # noqa: E402
    plot_heard_maps,
    plot_invariance,
    plot_kernels,
    plot_magnitude_panels,
)

EXTENT = [0, 4, 0, 5.5]
NAMES = ("instrument", "chord", "key")


def _layers(n_depths=5, n_maps=2, silent=()):
    rng = np.random.default_rng(0)
    layers = {}
    for d in range(1, n_depths + 1):
        maps = []
        for m in range(n_maps):
            A = np.abs(rng.standard_normal((17, 9)))
            if (d, m) in silent:
                A = np.zeros_like(A)
            maps.append((m, rng.standard_normal((17, 9)), rng.standard_normal(100), A))
        layers[d] = maps
    return layers


def _invariance(depths=range(6)):
    out = {}
    for d in depths:
        out[d] = {
            n: {"mean": 0.1 * d + 0.01 * k, "std": 0.05, "n_pairs": 4 + k}
            for k, n in enumerate([*NAMES, "all three"])
        }
    return out


def _colour_bars(fig, axes) -> list[str]:
    """The labels of the figure's colour bars (every axes not among ``axes``)."""
    drawn = set(np.asarray(axes, dtype=object).ravel().tolist())
    return [a.get_ylabel() for a in fig.axes if a not in drawn]


def test_magnitude_panels_draw_one_image_per_picture_linear_or_db():
    A = np.abs(np.random.default_rng(1).standard_normal((17, 9))) + 0.1
    axes = plot_magnitude_panels([A, A], ["linear", "dB"], EXTENT, db=[False, True])
    assert [len(ax.images) for ax in axes] == [1, 1]
    assert np.allclose(axes[0].images[0].get_array(), A)
    db = axes[1].images[0].get_array()
    assert db.max() == pytest.approx(0, abs=1e-4) and db.min() < 0
    assert axes[1].images[0].get_clim()[0] == -80
    assert axes[0].get_title() == "linear"
    assert axes[0].get_ylabel() == "frequency (kHz)"
    assert all(ax.get_xlabel() == "time (s)" for ax in axes)
    assert _colour_bars(axes[0].figure, axes) == [
        "magnitude (linear)",
        "dB below the peak",
    ]
    plt.close("all")
    with pytest.raises(ValueError, match="one title"):
        plot_magnitude_panels([A, A], ["only one"], EXTENT)


def test_kernels_draw_one_panel_per_map_with_its_ratio():
    W = np.random.default_rng(2).standard_normal((3, 3, 4))
    t, f = np.array([1.0, 2, 3, 4]), np.array([2.0, 2, 2, 2])
    axes = plot_kernels(W, t, f, bin_hz=21.5, frame_ms=23.2)
    assert len(axes) == 4 and all(len(ax.images) == 1 for ax in axes)
    assert axes[3].get_title() == "map 3\nt/f 2.00"
    v = np.abs(W).max()  # one colour scale for every kernel, symmetric about zero
    assert all(ax.images[0].get_clim() == pytest.approx((-v, v)) for ax in axes)
    assert _colour_bars(axes[0].figure, axes) == ["kernel weight"]
    assert axes[0].get_xlabel() == "time offset\n(frames of 23.2 ms)"
    assert axes[0].get_ylabel() == "frequency offset\n(bins of 21.5 Hz)"
    assert [t.get_text() for t in axes[0].get_xticklabels()] == ["−1", "0", "1"]
    plt.close("all")
    with pytest.raises(ValueError, match="one ratio per map"):
        plot_kernels(W, t[:3], f)


def test_heard_maps_grid_skips_silent_maps_and_blanks_the_first_column():
    rng = np.random.default_rng(3)
    S = rng.standard_normal((17, 9)) + 1j * rng.standard_normal((17, 9))
    axes = plot_heard_maps(S, _layers(silent={(2, 1)}), EXTENT)
    assert axes.shape == (2, 6)
    images = [[len(ax.images) for ax in row] for row in axes]
    assert images == [[1, 1, 1, 1, 1, 1], [0, 1, 0, 1, 1, 1]]
    assert not axes[1, 0].axison
    original = axes[0, 0].images[0].get_array()  # dB of |S|, not of its real part
    assert np.allclose(original, 20 * np.log10(np.abs(S) / np.abs(S).max() + 1e-6))
    assert axes[0, 3].get_title() == "layer 3, map 0: heard"
    assert axes[0, 0].get_ylabel() == "frequency (kHz)"
    assert all(ax.get_xlabel() == "time (s)" for ax in axes[-1])
    assert _colour_bars(axes[0, 0].figure, axes) == ["dB below each picture's peak"]
    plt.close("all")
    uneven = _layers()
    uneven[5] = uneven[5][:1]
    with pytest.raises(ValueError, match="same number of maps"):
        plot_heard_maps(S, uneven, EXTENT)


def test_invariance_draws_three_factors_and_the_baseline():
    ax = plot_invariance(_invariance(), NAMES, title="t")
    assert len(ax.containers) == 4  # one errorbar per column
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels[-1] == "baseline: all three differ" and len(labels) == 4
    ticks = [t.get_text() for t in ax.get_xticklabels()]
    assert ticks[0] == "input" and ticks[-1] == "layer 5"
    assert ax.get_ylabel() == "mean correlation (± sd over pairs)"
    plt.close("all")
    with pytest.raises(ValueError, match="at most three"):
        plot_invariance(_invariance(), ("a", "b", "c", "d"))


def test_listen_classes_default_from_the_data():
    assert au.listen_classes(None, GENRES) == ["hiphop", "classical", "metal"]
    folder = ["Bossa Nova", "Drum & Bass", "Tango", "k-pop"]
    assert au.listen_classes(None, folder) == ["Bossa Nova", "Tango", "k-pop"]
    assert au.listen_classes(None, folder[:2]) == folder[:2]
    assert au.listen_classes(["Tango"], folder) == ["Tango"]
    au.check_listening(2, 8, au.listen_classes(None, folder), folder)
    with pytest.raises(ValueError, match="LISTEN_GENRES"):
        au.check_listening(2, 8, ["metal"], folder)


def test_check_listening_rejects_bad_parameters():
    au.check_listening(2, 8, ["metal"])
    for maps in (0, 9, True, 1.5):
        with pytest.raises(ValueError, match="MAPS_PER_LAYER"):
            au.check_listening(maps, 8, ["metal"])
    for genres in ([], ["polka"]):
        with pytest.raises(ValueError, match="LISTEN_GENRES"):
            au.check_listening(2, 8, genres)


def test_linear_view_sentence_counts_the_energy_below_1_khz():
    A = np.ones((10, 4))
    A[:2] = 3.0  # rows 0-1 below 1 kHz at 500 Hz per bin: 2 * 9 of 2 * 9 + 8 * 1
    text = au.linear_view_sentence(A, 500.0)
    assert "Shape (10, 4)" in text and "69% of this excerpt's energy" in text
    assert "3 times the median" in text and text.endswith("**Listen** to the excerpt:")


def test_accuracy_table_and_note():
    cnn = {
        "rule": "sum",
        "test": {
            "segment_accuracy": 0.5,
            "accuracy": 0.6,
            "valid_accuracy": 0.7,
            "n_clips": 40,
        },
    }
    table, note = au.accuracy_table(cnn, "synthetic", "stratified", GENRES)
    rows = table.splitlines()
    assert len(rows) == 5 and "| 50.0% |" in rows[2] and "| 60.0% |" in rows[3]
    assert f"| {1 / len(GENRES):.0%} | 33 % |" in rows[4]
    assert "70.0%" in note and "one clip is 2.5%" in note
    assert "training clips" not in note
    cnn["test"]["train_accuracy"] = 0.925
    _, note = au.accuracy_table(cnn, "synthetic", "stratified", GENRES)
    assert "On the training clips (the same rule, no dropout): 92.5%." in note


def test_kernel_lean_sentence_three_verdicts():
    assert au.kernel_lean_sentence([2, 2, 0], [1, 1, 1]).startswith("**2 of 3**")
    assert "As in the paper" in au.kernel_lean_sentence([2, 2, 0], [1, 1, 1])
    assert "Unlike" in au.kernel_lean_sentence([0, 0, 2], [1, 1, 1])
    assert "even split" in au.kernel_lean_sentence([2, 0], [1, 1])
    with pytest.raises(ValueError):
        au.kernel_lean_sentence([1, 2], [1])


def test_html_table_and_silent_player():
    assert au.html_table([["a", "b"], ["c"]]) == (
        "<table><tr><td>a</td><td>b</td></tr><tr><td>c</td></tr></table>"
    )
    assert "silent" in au.player_html(np.zeros(100))


def test_excerpt_heading_says_when_the_excerpt_is_misclassified():
    p = np.zeros(len(GENRES))
    p[GENRES.index("metal")], p[GENRES.index("rock")] = 0.3, 0.7
    item = {"clip": SimpleNamespace(clip_id="metal.001"), "p_genre": p}
    wrong = au.excerpt_heading("metal", {**item, "correct": False}, GENRES)
    assert wrong.startswith("### metal: `metal.001`, 0-4 s")
    assert "30% for *metal*, but *rock* more" in wrong
    right = au.excerpt_heading("metal", {**item, "correct": True}, GENRES)
    assert right.endswith("its top genre.")


def test_heard_maps_table_reads_every_map():
    S = np.random.default_rng(4).standard_normal((17, 9)) + 0j
    layers = _layers(n_depths=2, silent={(2, 1)})
    table, readings = au.heard_maps_table(S, layers)
    assert len(table.splitlines()) == 3 + 4
    assert [(r["depth"], r["map"]) for r in readings] == [
        (1, 0),
        (1, 1),
        (2, 0),
        (2, 1),
    ]
    assert readings[-1]["reading"] == "silent" and "versus" not in readings[0]
    assert "| 2 | 1 | — | — | — | silent |" in table


def test_heard_maps_table_reads_each_trained_map_against_the_untrained_ones():
    S = np.random.default_rng(4).standard_normal((17, 9)) + 0j
    trained = _layers(n_depths=2)
    control = _layers(n_depths=2)
    # the trained map 0 of layer 1 keeps one cell of the untrained map 0: far sparser
    A = np.zeros_like(control[1][0][3])
    A[3, 4] = 1.0
    trained[1][0] = (*trained[1][0][:3], A)
    table, readings = au.heard_maps_table(S, trained, control=control)
    rows = table.splitlines()
    assert rows[0].endswith("| against the excerpt | against the untrained network |")
    assert len(rows) == 3 + 2 * (2 + 1)  # per layer: 2 maps and the control's median
    assert rows[5].startswith("| 1 | untrained, median of maps 0, 1 |")
    assert rows[5].endswith("| (the control) |")
    trained_1 = [r for r in readings if r["net"] == "trained" and r["depth"] == 1]
    assert "sparser" in trained_1[0]["versus"]
    assert [r["net"] for r in readings].count("untrained") == 4
    ref = au.median_measures(control[1])
    assert au.control_reading(au.picture_measures(A), ref) == trained_1[0]["versus"]


def test_invariance_table_one_row_per_depth_and_the_pair_counts():
    text = au.invariance_table(_invariance(range(3)), NAMES)
    table, note = text.split("\n\n")
    rows = table.splitlines()
    assert len(rows) == 2 + 3 and rows[2].startswith("| input |")
    assert rows[3].startswith("| 1 | 0.100 ± 0.050")
    assert rows[3].endswith("| key |")  # the largest mean of the three factors
    assert note.endswith("4 (instrument), 5 (chord), 6 (key), 7 (all three).")
