"""Chapter 9: deconvolution with switches, auralisation, Choi's input and network, model signals.

Known answers only: unpooling against NumPy's argmax, the transposed convolution against
TensorFlow's gradient, a one-layer deconvolution computed by hand, exact STFT inversion, the
invariance study's correlations on outputs built to have known correlations, a sine chord's pitches.
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import pytest

from mgr_utils import auralisation as au
from mgr_utils.features import linear_stft
from mgr_utils.synthetic import CHORD_INSTRUMENTS, CHORD_KEYS, CHORD_TYPES, render_chord

tf = pytest.importorskip("tensorflow")


# ------------------------------------------------------------------------------- switches, unpooling


def test_unpool_puts_each_value_at_its_argmax_and_zero_elsewhere():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 5, 7, 3)).astype(
        np.float32
    )  # odd sizes: last row/column dropped
    pooled, switches = au.max_pool_with_switches(x)
    assert pooled.shape == (2, 2, 3, 3)
    values = rng.standard_normal(pooled.shape).astype(
        np.float32
    )  # any values go back, not only the maxima
    u = np.asarray(au.unpool(values, switches, x.shape[1:]))
    expected = np.zeros_like(x)
    for b in range(2):
        for i in range(2):
            for j in range(3):
                for c in range(3):
                    block = x[b, 2 * i : 2 * i + 2, 2 * j : 2 * j + 2, c]
                    r, s = np.unravel_index(np.argmax(block), (2, 2))
                    assert pooled[b, i, j, c] == block.max()
                    expected[b, 2 * i + r, 2 * j + s, c] = values[b, i, j, c]
    np.testing.assert_array_equal(u, expected)
    assert np.count_nonzero(u) == values.size


def test_unpool_of_the_pooled_map_restores_the_maxima():
    x = np.arange(16, dtype=np.float32).reshape(1, 4, 4, 1)
    pooled, switches = au.max_pool_with_switches(x)
    u = np.asarray(au.unpool(pooled, switches, (4, 4, 1)))[0, :, :, 0]
    expected = np.zeros((4, 4), np.float32)
    expected[1, 1], expected[1, 3], expected[3, 1], expected[3, 3] = 5, 7, 13, 15
    np.testing.assert_array_equal(u, expected)


# ------------------------------------------------------------------------- the transposed convolution


def test_transposed_conv_is_the_gradient_of_the_convolution():
    rng = np.random.default_rng(1)
    x = tf.constant(rng.standard_normal((2, 9, 7, 3)).astype(np.float32))
    W = rng.standard_normal((3, 3, 3, 5)).astype(np.float32)
    g = rng.standard_normal((2, 9, 7, 5)).astype(np.float32)
    with tf.GradientTape() as tape:
        tape.watch(x)
        loss = tf.reduce_sum(tf.nn.conv2d(x, W, strides=1, padding="SAME") * g)
    grad = tape.gradient(loss, x)
    np.testing.assert_allclose(
        np.asarray(au.transposed_conv(g, W)), np.asarray(grad), rtol=1e-4, atol=1e-4
    )


def test_transposed_conv_is_not_the_convolution_itself():
    """Without the flip the answer differs for an asymmetric kernel (the flip matters)."""
    W = np.zeros((3, 3, 1, 1), np.float32)
    W[1, 2, 0, 0] = 1.0  # the forward layer reads the right neighbour
    y = np.zeros((1, 3, 3, 1), np.float32)
    y[0, 1, 1, 0] = 1.0
    back = np.asarray(au.transposed_conv(y, W))[0, :, :, 0]
    assert (
        back[1, 2] == 1.0 and back.sum() == 1.0
    )  # spread back to the right: where it was read from
    same = np.asarray(tf.nn.conv2d(y, W, strides=1, padding="SAME"))[0, :, :, 0]
    assert same[1, 0] == 1.0 and same[1, 2] == 0.0


# ----------------------------------------------------------------- a one-layer network, by hand


def _one_layer():
    x = (np.arange(16, dtype=np.float32) + 1).reshape(1, 4, 4, 1)
    W = np.zeros((3, 3, 1, 2), np.float32)
    W[1, 2, 0, 0] = 2.0  # map 0: twice the right neighbour
    W[1, 1, 0, 1] = 1.0  # map 1: the identity
    return x, W


def test_deconvolution_of_a_one_layer_network_by_hand():
    x, W = _one_layer()
    fw = au.forward_with_switches(x, [W], [np.zeros(2, np.float32)])
    # Map 0 before pooling: 2 * x[i, j + 1] (0 in the last column) = [[4,6,8,0],[12,14,16,0],[20,22,24,0],[28,30,32,0]]
    np.testing.assert_array_equal(
        np.asarray(fw.maps[0])[0, :, :, 0], [[14, 16], [30, 32]]
    )
    D = au.deconvolve_maps(fw, [W], depth=1, maps=[0])[0, 0]
    # Unpooled: 14 at (1,1), 16 at (1,2), 30 at (3,1), 32 at (3,2); spread back one column to the
    # right and doubled by the transposed kernel. Map 1 was zeroed and adds nothing.
    expected = np.zeros((4, 4), np.float32)
    expected[1, 2], expected[1, 3], expected[3, 2], expected[3, 3] = 28, 32, 60, 64
    np.testing.assert_array_equal(D, expected)


def test_deconvolution_uses_no_bias_and_no_final_relu():
    x, W = _one_layer()
    W = -W  # negative kernels: the projection is negative
    b = np.array(
        [100.0, 0.0], np.float32
    )  # a bias keeps map 0 active in the forward pass
    fw = au.forward_with_switches(x, [W], [b])
    D = au.deconvolve_maps(fw, [W], depth=1, maps=[0])[0, 0]
    # Map 0 before pooling: 100 - 2 x[i, j+1]; its maxima sit where x is smallest.
    pre = 100 - 2 * np.concatenate([x[0, :, 1:, 0], np.zeros((4, 1))], axis=1)
    expected = np.zeros((4, 4))
    for i in range(2):
        for j in range(2):
            block = pre[2 * i : 2 * i + 2, 2 * j : 2 * j + 2]
            r, s = np.unravel_index(np.argmax(block), (2, 2))
            if 2 * j + s + 1 < 4:
                expected[2 * i + r, 2 * j + s + 1] = -2 * block.max()
    np.testing.assert_allclose(D, expected)
    assert D.min() < 0


def test_deconvolution_of_a_two_layer_network_by_hand():
    """Depth 2, one map per layer: the ReLU between layers; how a tie of zeros unpools.

    Layer 1 doubles its input (centre tap 2); layer 2 adds a value, its right neighbour
    and minus the one below (taps (1,1) = 1, (1,2) = 1, (2,1) = -1). The input's
    top-right block is all negative.
    """
    x = np.array(
        [
            [1, 0.5, -1, -2],
            [0.25, 2, -3, -4],
            [0, 0.5, 0.25, 0.125],
            [0.25, 0.125, 0, 0.0625],
        ],
        np.float32,
    ).reshape(1, 4, 4, 1)
    W1 = np.zeros((3, 3, 1, 1), np.float32)
    W1[1, 1] = 2.0
    W2 = np.zeros((3, 3, 1, 1), np.float32)
    W2[1, 1], W2[1, 2], W2[2, 1] = 1.0, 1.0, -1.0
    fw = au.forward_with_switches(x, [W1, W2])
    # Layer 1: relu(2x), pooled 2 x 2: [[4, 0], [1, 0.5]]. The top-right block is all
    # zero after the ReLU: a tie, which max-pooling resolves to the block's first
    # position in row-major order, (0, 2). The other maxima: (1, 1), (2, 1), (2, 2).
    # Exact comparisons: every value here is a sum of a few powers of 2.
    np.testing.assert_array_equal(fw.maps[0][0, :, :, 0], [[4, 0], [1, 0.5]])
    switches = [[1 * 4 + 1, 0 * 4 + 2], [2 * 4 + 1, 2 * 4 + 2]]
    np.testing.assert_array_equal(fw.switches[0][0, :, :, 0], switches)
    # Layer 2 before pooling: p[i,j] + p[i,j+1] - p[i+1,j]
    # = [[4 + 0 - 1, 0 - 0.5], [1 + 0.5, 0.5]]; after the ReLU and pooling: 3 at (0, 0).
    np.testing.assert_array_equal(fw.maps[1][0, :, :, 0], [[3]])
    # Down: 3 at (0, 0); the transposed layer 2 sends 3 to (0, 0), 3 to (0, 1) and -3 to
    # (1, 0). Unpooled with layer 1's switches: 3 at (1, 1), 3 at the tie's (0, 2), and
    # -3 at (2, 1), which the ReLU between the layers removes. The transposed layer 1
    # doubles: 6 at (1, 1) and at (0, 2), nothing else.
    D = au.deconvolve_maps(fw, [W1, W2], depth=2, maps=[0])[0, 0]
    expected = np.zeros((4, 4), np.float32)
    expected[1, 1] = expected[0, 2] = 6.0
    np.testing.assert_array_equal(D, expected)


def test_forward_with_switches_matches_the_keras_model():
    from mgr_utils.models.choi import choi_cnn

    model = choi_cnn(
        input_shape=(40, 36, 1), n_classes=3, filters=4, dense_units=8, seed=0
    )
    x = np.random.default_rng(2).random((2, 40, 36, 1)).astype(np.float32)
    kernels, biases = au.conv_kernels(model)
    fw = au.forward_with_switches(x, kernels, biases)
    import keras

    probe = keras.Model(
        model.input, [model.get_layer(f"pool{i}").output for i in range(1, 6)]
    )
    for ours, theirs in zip(fw.maps, probe(x, training=False)):
        np.testing.assert_allclose(
            np.asarray(ours), np.asarray(theirs), rtol=1e-5, atol=1e-6
        )
    assert [s[:2] for s in fw.shapes] == [(40, 36), (20, 18), (10, 9), (5, 4), (2, 2)]


def _pre_pool_maps(x, kernels):
    """Each block's maps after the ReLU, before pooling (no biases), by plain TF ops."""
    out, h = [], tf.constant(x)
    for W in kernels:
        h = tf.nn.relu(tf.nn.conv2d(h, W, strides=1, padding="SAME"))
        out.append(h.numpy())
        h = tf.nn.max_pool2d(h, 2, 2, "VALID")
    return out


def test_deconvolve_maps_batches_like_one_at_a_time():
    rng = np.random.default_rng(3)
    kernels = [
        rng.standard_normal((3, 3, 1, 4)).astype(np.float32),
        rng.standard_normal((3, 3, 4, 4)).astype(np.float32),
    ]
    x = rng.random((3, 16, 12, 1)).astype(np.float32)
    fw = au.forward_with_switches(x, kernels)
    D = au.deconvolve_maps(fw, kernels, depth=2, maps=[1, 3], batch_size=4)
    assert D.shape == (3, 2, 16, 12)
    one = au.deconvolve_maps(
        au.forward_with_switches(x[2:3], kernels), kernels, depth=2, maps=[3]
    )
    # Batches of 4 and of 1 go through different float32 kernels (oneDNN picks them by
    # batch size and CPU): the values agree to float32 rounding of sums of a few hundred
    # products, about 1e-6 of the largest value; an atol scaled to that largest value
    # also covers values near 0 left by cancellation.
    scale = np.abs(one).max()
    np.testing.assert_allclose(D[2, 1], one[0, 0], rtol=1e-5, atol=1e-5 * scale)
    batched = au.forward_in_batches(x, kernels, batch_size=2)
    pre = _pre_pool_maps(x, kernels)
    for d in range(2):
        # Maps of batches of 2 and of 3 (values up to about 5): float32 sums of 9 x 4
        # products, rounded differently by batch size (up to 4.8e-7 apart on an AMD
        # EPYC; float32 rounding of such sums can reach about 1e-6). 1e-5 leaves a
        # margin; a wrong map would be off by a sizeable part of its values.
        np.testing.assert_allclose(batched.maps[d], fw.maps[d], rtol=1e-5, atol=1e-5)
        # The switches are integers, but argmaxes of those floats: they agree wherever a
        # block's maximum is not a near-tie; where they differ, both positions hold the
        # same value.
        differ = np.argwhere(batched.switches[d] != fw.switches[d])
        assert len(differ) <= 0.01 * fw.switches[d].size, (d, len(differ))
        flat = pre[d].reshape(len(x), -1)
        for b, i, j, c in differ:
            a = flat[b, batched.switches[d][b, i, j, c]]
            f = flat[b, fw.switches[d][b, i, j, c]]
            assert abs(a - f) <= 1e-5 * max(1.0, abs(f)), (d, b, i, j, c)
    with pytest.raises(ValueError, match="depth"):
        au.deconvolve_maps(fw, kernels, depth=3, maps=[0])
    with pytest.raises(ValueError, match="maps"):
        au.deconvolve_maps(fw, kernels, depth=1, maps=[4])


def test_most_active_maps_are_sorted_most_active_first():
    maps = np.zeros((2, 2, 2, 4), np.float32)
    maps[0, ..., :] = [1.0, 4.0, 2.0, 0.0]  # example 0: map 1, then 2, then 0
    maps[1, ..., :] = [9.0, 0.0, 0.0, 3.0]  # example 1: map 0, then 3
    fw = au.Forward([maps], [np.zeros(maps.shape, np.int32)], [(4, 4, 4)])
    assert au.most_active_maps(fw, 1, k=3, example=0).tolist() == [1, 2, 0]
    assert au.most_active_maps(fw, 1, k=2, example=1).tolist() == [0, 3]
    # Over both examples the means are 5, 2, 1, 1.5: map 0, 1, 3, then 2.
    assert au.most_active_maps(fw, 1, k=4).tolist() == [0, 1, 3, 2]


# ----------------------------------------------------------------------------------- auralisation


def _excerpt():
    t = np.arange(44100) / 11025
    rng = np.random.default_rng(4)
    return (
        0.5 * np.sin(2 * np.pi * 440 * t) + 0.1 * rng.standard_normal(t.size)
    ).astype(np.float32)


def test_inverse_stft_of_an_all_ones_mask_returns_the_excerpt():
    x = _excerpt()
    S = linear_stft.stft_excerpt(x)
    assert S.shape == linear_stft.CHOI_SHAPE == (257, 173)
    np.testing.assert_allclose(
        au.auralise_mask(S, np.ones(S.shape), len(x)), x, atol=1e-5
    )
    np.testing.assert_allclose(
        au.auralise_mask(S, -np.ones(S.shape), len(x)), -x, atol=1e-5
    )
    np.testing.assert_allclose(
        au.auralise_magnitude(S, np.abs(S), len(x)), x, atol=1e-5
    )
    # The deconvolved values themselves are the magnitudes, sign included: a negative D
    # flips the sound.
    flipped = au.auralise_magnitude(S, -np.abs(S), len(x))
    np.testing.assert_allclose(flipped, -x, atol=1e-5)
    halved = au.auralise_magnitude(S, 0.5 * np.abs(S), len(x))
    np.testing.assert_allclose(halved, 0.5 * x, atol=1e-5)
    with pytest.raises(ValueError, match="same shape"):
        au.auralise_mask(S, np.ones((257, 172)), len(x))


# ------------------------------------------------------------------------------ invariance study


def test_pair_correlations_known_answer():
    # 2 instruments x 2 chords x 2 keys; output = pattern of the instrument + pattern of the chord,
    # key ignored. The patterns are orthogonal, zero-mean and of equal norm (rows of a Hadamard
    # matrix), so a pair differing in key correlates 1, in instrument 1/2 (the shared chord
    # pattern is half of each output's energy), in chord 0 ((i + h) . (i - h) = |i|^2 - |h|^2 = 0).
    H = np.array([[1, 1, 1, 1], [1, -1, 1, -1], [1, 1, -1, -1], [1, -1, -1, 1]], float)
    H = np.kron(H, np.ones(3))  # 12 values per output
    inst = {0: H[1], 1: H[2]}
    chord = {0: H[3], 1: -H[3]}  # opposite patterns: i + h and i - h are orthogonal
    factors, Z = [], []
    for i in (0, 1):
        for c in (0, 1):
            for k in (0, 1):
                factors.append((i, c, k))
                Z.append(
                    np.stack([inst[i] + chord[c], 2 * (inst[i] + chord[c])])
                )  # two maps
    r = au.pair_correlations(
        np.array(Z), np.array(factors), ["instrument", "chord", "key"]
    )
    assert r["key"]["mean"] == pytest.approx(1.0)
    assert r["instrument"]["mean"] == pytest.approx(0.5)
    assert r["chord"]["mean"] == pytest.approx(0.0, abs=1e-12)
    assert (
        r["key"]["n_pairs"] == 4
        and r["instrument"]["n_pairs"] == 4
        and r["chord"]["n_pairs"] == 4
    )
    with pytest.raises(ValueError, match="factors"):
        au.pair_correlations(
            np.array(Z), np.array(factors)[:, :2], ["instrument", "chord", "key"]
        )


def test_pair_correlations_skips_silent_maps():
    Z = np.zeros((2, 2, 5))
    Z[0, 0] = [1, 2, 3, 4, 5]
    Z[1, 0] = [5, 4, 3, 2, 1]  # map 0: correlation -1; map 1 silent: undefined
    r = au.pair_correlations(Z, np.array([[0], [1]]), ["key"])
    assert r["key"]["mean"] == pytest.approx(-1.0) and r["key"]["n_undefined"] == 1


# --------------------------------------------------------------------------- Choi's input, network


def test_choi_stft_excerpts_shape_and_scale():
    sr = 22050
    t = np.arange(10 * sr) / sr
    y = (0.5 * np.sin(2 * np.pi * 1000.0 * t)).astype(np.float32)
    X = linear_stft.choi_stft_excerpts(y, sr)
    assert X.shape == (2, 257, 173, 1)  # two whole 4 s excerpts in 10 s, no overlap
    k = round(1000 / (11025 / 512))  # the bin nearest 1 kHz
    assert abs(X[0, :, 86, 0].argmax() - k) <= 1
    assert X[0, :, 86, 0].max() == pytest.approx(
        0.5, rel=0.15
    )  # a sinusoid of amplitude a peaks near a
    assert linear_stft.choi_stft_excerpts(y, sr, hop_seconds=2.0).shape[0] == 4
    with pytest.raises(ValueError, match="hop_seconds"):
        linear_stft.choi_stft_excerpts(y, sr, hop_seconds=0)


def test_excerpt_audio_pads_a_short_clip():
    X = linear_stft.excerpt_audio(np.ones(11025, np.float32), 11025)
    assert X.shape == (1, 44100) and X[0, :11025].min() == 1 and X[0, 11025:].max() == 0


def test_choi_cnn_paper_shape_and_errors():
    from mgr_utils.models.choi import choi_cnn

    m = choi_cnn(n_classes=3, filters=8, dense_units=16, seed=0)
    assert m.input_shape == (None, 257, 173, 1) and m.output_shape == (None, 3)
    assert m.get_layer("pool5").output.shape[1:] == (
        8,
        5,
        8,
    )  # 257x173 -> ... -> 8x5, as the paper
    with pytest.raises(ValueError, match="filters"):
        choi_cnn(filters=0)
    with pytest.raises(ValueError, match="conv_dropout"):
        choi_cnn(conv_dropout=1.0)


# --------------------------------------------------------------------------------- model signals


def test_render_chord_sine_has_the_chords_pitches():
    sr = 11025
    y = render_chord("sine", "A3", "major", duration=2.0, sr=sr, strikes=1)
    assert y.shape == (2 * sr,) and y.dtype == np.float32
    spectrum = np.abs(np.fft.rfft(y[:sr]))
    freqs = np.fft.rfftfreq(sr, 1 / sr)
    peaks = sorted(freqs[np.argsort(spectrum)[-3:]])
    expected = [
        440 * 2 ** ((CHORD_KEYS["A3"] + i - 69) / 12) for i in CHORD_TYPES["major"]
    ]
    np.testing.assert_allclose(peaks, expected, atol=1.5)
    np.testing.assert_array_equal(
        y, render_chord("sine", 57, (0, 4, 7), duration=2.0, sr=sr, strikes=1)
    )


def test_render_chord_instruments_and_errors():
    for name in CHORD_INSTRUMENTS:
        y = render_chord(name, "Eb2", "dom7", duration=1.0, sr=11025)
        assert np.max(np.abs(y)) == pytest.approx(0.9, rel=1e-4)
    with pytest.raises(ValueError, match="instrument"):
        render_chord("kazoo", "A3", "major")
    with pytest.raises(ValueError, match="key"):
        render_chord("sine", "H3", "major")
    with pytest.raises(ValueError, match="chord"):
        render_chord("sine", "A3", "power")


def test_invariance_correlations_one_map_at_a_time_equals_all_at_once():
    rng = np.random.default_rng(5)
    kernels = [
        rng.standard_normal((3, 3, 1, 3)).astype(np.float32),
        rng.standard_normal((3, 3, 3, 3)).astype(np.float32),
    ]
    factors = np.array([(i, k) for i in range(2) for k in range(3)])
    fw = au.forward_with_switches(
        rng.random((6, 16, 12, 1)).astype(np.float32), kernels
    )
    together = au.pair_correlations(
        au.deconvolve_maps(fw, kernels, 2, [0, 2]), factors, ["instrument", "key"]
    )
    one_by_one = au.invariance_correlations(
        fw, kernels, 2, [0, 2], factors, ["instrument", "key"], batch_size=4
    )
    for name in ("instrument", "key"):
        # Deconvolved in batches of 4 and of 12 (different float32 kernels), then
        # correlated in float32 over 192 values: a correlation in [-1, 1] agrees to a
        # few 1e-6; 1e-4 still catches a wrong pairing.
        expected = together[name]["mean"]
        assert one_by_one[name]["mean"] == pytest.approx(expected, abs=1e-4)
        assert (
            one_by_one[name]["n_pairs"]
            == together[name]["n_pairs"]
            == (6 if name == "key" else 3)
        )


def test_picture_measures_known_answers():
    horizontal = np.zeros((257, 173))
    horizontal[100, 20:150] = 1.0  # one sustained partial
    vertical = np.zeros((257, 173))
    vertical[30:200, 80] = 1.0  # one broadband onset
    h = au.picture_measures(horizontal)
    v = au.picture_measures(3 * vertical)
    assert h["centroid_hz"] == pytest.approx(100 * 11025 / 512)
    assert h["edge_ratio"] == pytest.approx(
        2 / 260
    )  # 2 steps in time, 2 * 130 in frequency
    assert v["edge_ratio"] == pytest.approx(2 * 170 / 2)
    assert h["fill"] == pytest.approx(130 / (257 * 173)) and v["fill"] == pytest.approx(
        170 / (257 * 173)
    )
    quiet = horizontal.copy()
    quiet[0, 0] = 10 ** (-29 / 20)  # 29 dB down: counted; 31 dB: not
    quiet[0, 1] = 10 ** (-31 / 20)
    assert au.picture_measures(quiet)["fill"] == pytest.approx(131 / (257 * 173))
    assert np.isnan(au.picture_measures(np.zeros((257, 173)))["centroid_hz"])


def test_model_signals_grid_and_errors():
    m = au.model_signals(2, 2, 3, seconds=0.5)
    assert m.audio.shape == (12, 5512) and m.factors.shape == (12, 3)
    assert sorted(map(tuple, m.factors)) == [
        (i, c, k) for i in range(2) for c in range(2) for k in range(3)
    ]
    assert m.label(0) == "sine fifth Eb2"
    with pytest.raises(ValueError, match="INV_KEYS"):
        au.model_signals(2, 2, 5)
    with pytest.raises(ValueError, match="INV_INSTRUMENTS"):
        au.model_signals(1, 2, 2)
