"""Chapter 8: the convolutional RBM and CD-1, greedy stacking, the Keras network, the Echo Nest stand-in."""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import pytest

from mgr_utils import pretraining as pt
from mgr_utils.features import echonest


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + np.exp(-x))


# ---------------------------------------------------------------------------------- the RBM by hand


def test_hidden_probabilities_of_one_filter_match_a_hand_computed_sigmoid():
    # One filter of 2 frames over 2 features; one sequence of 3 frames -> 2 positions.
    W = np.array([[[1.0], [-1.0]], [[0.5], [2.0]]])  # (width 2, D 2, K 1)
    rbm = pt.ConvRBM(
        W=W.astype(np.float32),
        b=np.array([-0.5], np.float32),
        c=np.zeros(2, np.float32),
    )
    V = np.array([[[1.0, 2.0], [0.0, 1.0], [3.0, -1.0]]])
    H = pt.hidden_probabilities(rbm, V)
    assert H.shape == (1, 2, 1)
    # position 0: 1*1 - 1*2 + 0.5*0 + 2*1 - 0.5 = 0.5; position 1: 0 - 1 + 1.5 - 2 - 0.5 = -2
    np.testing.assert_allclose(H[0, :, 0], [_sigmoid(0.5), _sigmoid(-2.0)], rtol=1e-6)


def test_visible_means_add_each_filter_back_over_the_frames_it_saw():
    W = np.array([[[1.0], [2.0]], [[3.0], [4.0]]], np.float32)  # (2, 2, 1)
    c = np.array([0.5, -0.5], np.float32)
    H = np.array([[[1.0], [0.0], [2.0]]], np.float32)  # 3 positions -> 4 frames
    gaussian = pt.ConvRBM(W=W, b=np.zeros(1, np.float32), c=c)
    expected = np.array(
        [
            [0.5 + 1, -0.5 + 2],  # frame 0: h0 * W[0]
            [0.5 + 3, -0.5 + 4],  # frame 1: h0 * W[1] + h1 * W[0]
            [0.5 + 2, -0.5 + 4],  # frame 2: h1 * W[1] + h2 * W[0]
            [0.5 + 6, -0.5 + 8],
        ]
    )  # frame 3: h2 * W[1]
    np.testing.assert_allclose(pt.visible_means(gaussian, H)[0], expected)
    binary = pt.ConvRBM(W=W, b=np.zeros(1, np.float32), c=c, visible="binary")
    np.testing.assert_allclose(
        pt.visible_means(binary, H)[0], _sigmoid(expected), rtol=1e-6
    )


def test_one_cd1_step_from_zero_weights_gives_the_hand_computed_update_and_lowers_the_error():
    # With W = 0 and c = 0 the reconstruction is 0 whatever the hidden sample, and every hidden
    # probability is sigmoid(0) = 1/2, so one step is known by hand:
    # dW[tau] = 1/2 * mean of the windows' frame tau = 1/2, db = 1/2 - 1/2 = 0, dc = mean(V) - 0 = 1.
    rbm = pt.ConvRBM(
        W=np.zeros((2, 1, 1), np.float32),
        b=np.zeros(1, np.float32),
        c=np.zeros(1, np.float32),
    )
    V = np.ones((1, 3, 1))
    before = pt.reconstruction_error(rbm, V)
    returned = pt.cd1_step(rbm, V, lr=0.1, rng=np.random.default_rng(0))
    assert before == pytest.approx(1.0) and returned == pytest.approx(1.0)
    np.testing.assert_allclose(rbm.W.ravel(), [0.05, 0.05])
    np.testing.assert_allclose(rbm.b, [0.0])
    np.testing.assert_allclose(rbm.c, [0.1])
    h = _sigmoid(0.1)  # both positions see 0.05 + 0.05
    recon = np.array([0.1 + 0.05 * h, 0.1 + 0.1 * h, 0.1 + 0.05 * h])
    after = pt.reconstruction_error(rbm, V)
    assert after == pytest.approx(np.mean((1 - recon) ** 2), rel=1e-5)
    assert after < before


def test_sparsity_pulls_the_hidden_bias_towards_the_target():
    rbm = pt.ConvRBM(
        W=np.zeros((2, 1, 1), np.float32),
        b=np.zeros(1, np.float32),
        c=np.zeros(1, np.float32),
    )
    pt.cd1_step(
        rbm, np.ones((1, 3, 1)), lr=0.1, rng=np.random.default_rng(0), sparsity=0.1
    )
    # db = (1/2 - 1/2) + (0.1 - 1/2) = -0.4
    np.testing.assert_allclose(rbm.b, [-0.04], rtol=1e-6)


class _FixedUniforms:
    """A stand-in for ``np.random.Generator``: ``random`` returns the given draws."""

    def __init__(self, u):
        self.u = np.asarray(u, dtype=np.float32)

    def random(self, shape, dtype=np.float64):
        assert tuple(shape) == self.u.shape, (shape, self.u.shape)
        return self.u.astype(dtype)


# One filter of 2 frames over 1 feature, non-zero weights and biases, one sequence of
# 3 frames: every term of CD-1 is non-zero; the data and reconstruction phases differ.
_W, _B, _C = [0.5, -0.25], 0.1, 0.2
_V0 = [1.0, 2.0, -1.0]
_U = [0.3, 0.9]  # the uniform draws of the two hidden units


def _rbm():
    W = np.array(_W, np.float32).reshape(2, 1, 1)
    return pt.ConvRBM(W=W, b=np.array([_B], np.float32), c=np.array([_C], np.float32))


def _draws(u):
    return _FixedUniforms(np.reshape(u, (1, 2, 1)))


def _cd1_by_hand(W, b, c, v0, u):
    """CD-1's gradient for one filter of 2 frames over 1 feature, term by term."""
    H0 = [_sigmoid(b + W[0] * v0[t] + W[1] * v0[t + 1]) for t in range(2)]
    h0 = [1.0 if u[t] < H0[t] else 0.0 for t in range(2)]
    v1 = [c + W[0] * h0[0], c + W[1] * h0[0] + W[0] * h0[1], c + W[1] * h0[1]]
    H1 = [_sigmoid(b + W[0] * v1[t] + W[1] * v1[t + 1]) for t in range(2)]
    dW = [
        sum(v0[t + tau] * H0[t] - v1[t + tau] * H1[t] for t in range(2)) / 2
        for tau in range(2)
    ]
    db = (H0[0] + H0[1]) / 2 - (H1[0] + H1[1]) / 2
    dc = sum(v0) / 3 - sum(v1) / 3
    return dW, db, dc, H0, v1


def test_one_cd1_step_from_non_zero_weights_gives_the_hand_computed_update():
    # Up: H0 = sigmoid(0.1 + 0.5 v[t] - 0.25 v[t+1]) = sigmoid(0.1), sigmoid(1.35)
    # = 0.525, 0.794; the draws 0.3 and 0.9 give h0 = (1, 0).
    # Down: v1 = (0.2 + 0.5, 0.2 - 0.25, 0.2) = (0.7, -0.05, 0.2).
    # Up again: H1 = sigmoid(0.1 + 0.35 + 0.0125), sigmoid(0.1 - 0.025 - 0.05)
    # = sigmoid(0.4625), sigmoid(0.025).
    H0 = [_sigmoid(0.1), _sigmoid(1.35)]
    H1 = [_sigmoid(0.4625), _sigmoid(0.025)]
    v1 = [0.7, -0.05, 0.2]
    dW = [
        (1.0 * H0[0] + 2.0 * H0[1] - 0.7 * H1[0] + 0.05 * H1[1]) / 2,
        (2.0 * H0[0] - 1.0 * H0[1] + 0.05 * H1[0] - 0.2 * H1[1]) / 2,
    ]
    db = (H0[0] + H0[1] - H1[0] - H1[1]) / 2
    dc = (1.0 + 2.0 - 1.0) / 3 - sum(v1) / 3
    hW, hb, hc = _cd1_by_hand(_W, _B, _C, _V0, _U)[:3]  # the helper, checked once
    assert [*dW, db, dc] == pytest.approx([*hW, hb, hc], rel=1e-12)
    assert min(abs(db), abs(dc), *map(abs, dW)) > 0.05, "every term matters here"

    rbm = _rbm()
    error = pt.cd1_step(rbm, np.array(_V0).reshape(1, 3, 1), lr=0.1, rng=_draws(_U))
    # float32 arithmetic against float64 by hand: rtol 1e-5 is about 100 float32
    # roundings, far below the size of any step.
    np.testing.assert_allclose(rbm.W.ravel(), _W + 0.1 * np.array(dW), rtol=1e-5)
    np.testing.assert_allclose(rbm.b, [_B + 0.1 * db], rtol=1e-5)
    np.testing.assert_allclose(rbm.c, [_C + 0.1 * dc], rtol=1e-5)
    expected_error = np.mean((np.array(_V0) - np.array(v1)) ** 2)
    assert error == pytest.approx(expected_error, rel=1e-5)


def test_sparsity_adds_its_pull_to_the_cd1_bias_update():
    dW, db, dc, H0, _ = _cd1_by_hand(_W, _B, _C, _V0, _U)
    rbm = _rbm()
    V = np.array(_V0).reshape(1, 3, 1)
    pt.cd1_step(rbm, V, lr=0.1, rng=_draws(_U), sparsity=0.05)
    # db = (<h>_data - <h>_recon) + (p - <h>_data): the pull is added to CD-1's own
    # bias step (float32 against float64: rtol 1e-5); W and c are untouched by it.
    pull = 0.05 - (H0[0] + H0[1]) / 2
    np.testing.assert_allclose(rbm.b, [_B + 0.1 * (db + pull)], rtol=1e-5)
    np.testing.assert_allclose(rbm.W.ravel(), _W + 0.1 * np.array(dW), rtol=1e-5)
    np.testing.assert_allclose(rbm.c, [_C + 0.1 * dc], rtol=1e-5)


def test_a_second_cd1_step_adds_momentum_times_the_first():
    lr, momentum, u2 = 0.1, 0.5, [0.6, 0.2]
    dW1, db1, dc1, _, _ = _cd1_by_hand(_W, _B, _C, _V0, _U)
    step1 = (lr * np.array(dW1), lr * db1, lr * dc1)
    W1, b1, c1 = np.array(_W) + step1[0], _B + step1[1], _C + step1[2]
    dW2, db2, dc2, _, _ = _cd1_by_hand(W1, b1, c1, _V0, u2)
    rbm = _rbm()
    V = np.array(_V0).reshape(1, 3, 1)
    pt.cd1_step(rbm, V, lr=lr, rng=_draws(_U), momentum=momentum)
    pt.cd1_step(rbm, V, lr=lr, rng=_draws(u2), momentum=momentum)
    # u2 = momentum * u1 + lr * d2, on top of step 1 (float32 vs float64: rtol 1e-5).
    step2 = (
        momentum * step1[0] + lr * np.array(dW2),
        momentum * step1[1] + lr * db2,
        momentum * step1[2] + lr * dc2,
    )
    np.testing.assert_allclose(rbm.W.ravel(), W1 + step2[0], rtol=1e-5)
    np.testing.assert_allclose(rbm.b, [b1 + step2[1]], rtol=1e-5)
    np.testing.assert_allclose(rbm.c, [c1 + step2[2]], rtol=1e-5)
    np.testing.assert_allclose(rbm.velocity["b"], [step2[1]], rtol=1e-5)


def test_cd1_training_lowers_the_reconstruction_error_of_a_repeated_pattern():
    rng = np.random.default_rng(0)
    pattern = rng.standard_normal((8, 3))
    V = np.stack(
        [np.roll(pattern, s, axis=0) for s in range(16)]
    ) + 0.1 * rng.standard_normal((16, 8, 3))
    rbm = pt.init_rbm(3, 4, 2, seed=0)
    before = pt.reconstruction_error(rbm, V)
    pt.train_rbm(rbm, V, epochs=30, lr=0.1, batch_size=4, momentum=0.5)
    assert len(rbm.errors) == 30
    assert pt.reconstruction_error(rbm, V) < 0.5 * before


def test_max_pool_keeps_the_largest_of_each_block_and_drops_the_rest():
    H = np.arange(10, dtype=float).reshape(1, 5, 2)  # frames 0..4, 2 maps
    np.testing.assert_array_equal(pt.max_pool(H, 2)[0], [[2, 3], [6, 7]])


def test_pretrain_stack_feeds_each_layer_the_pooled_output_of_the_one_below():
    V = np.random.default_rng(1).standard_normal((6, 20, 3))
    stack = pt.pretrain_stack(
        V,
        filters=(4, 5),
        widths=(3, 2),
        pool=2,
        epochs=2,
        lr=(0.01, 0.05),
        batch_size=3,
    )
    assert [r.visible for r in stack] == ["gaussian", "binary"]
    assert stack[0].W.shape == (3, 3, 4) and stack[1].W.shape == (2, 4, 5)
    assert all(len(r.errors) == 2 for r in stack)
    # Layer 2 learned from layer 1's max-pooled hidden **probabilities** (not binary
    # samples of them): the same layer trained here on exactly that input is the same
    # layer. The same NumPy calls on the same arrays in one process agree to the last
    # bit; rtol 1e-6 leaves room for a BLAS that splits a product differently, while
    # binary inputs would move W by far more.
    below = pt.max_pool(pt.hidden_probabilities(stack[0], V), 2)
    assert 0 < below.min() and below.max() < 1 and len(np.unique(below)) > 2
    layer2 = pt.init_rbm(4, 5, 2, visible="binary", seed=1)
    again = pt.train_rbm(layer2, below, epochs=2, lr=0.05, batch_size=3, seed=1)
    np.testing.assert_allclose(stack[1].W, again.W, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(stack[1].c, again.c, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"filters": (4,), "widths": (3, 2)}, "one length"),
        ({"filters": (4, 4), "widths": (3, 2), "lr": (0.1,)}, "one per layer"),
        ({"filters": (4, 4), "widths": (3, 9)}, "fewer than"),
        ({"filters": (4, 4), "widths": (3, 2), "method": "pca"}, "method"),
    ],
)
def test_pretrain_stack_rejects_bad_parameters(kwargs, message):
    with pytest.raises(ValueError, match=message):
        pt.pretrain_stack(np.zeros((2, 20, 3)), **kwargs)


def test_train_rbm_rejects_bad_parameters():
    rbm = pt.init_rbm(3, 2, 2)
    with pytest.raises(ValueError, match="momentum"):
        pt.train_rbm(rbm, np.zeros((2, 5, 3)), momentum=1.0)
    with pytest.raises(ValueError, match="sparsity"):
        pt.train_rbm(rbm, np.zeros((2, 5, 3)), sparsity=0.0)
    with pytest.raises(ValueError, match="examples, frames, 3"):
        pt.train_rbm(rbm, np.zeros((2, 5, 4)))
    with pytest.raises(ValueError, match="visible"):
        pt.init_rbm(3, 2, 2, visible="poisson")


# ---------------------------------------------------------------------------------- labels and the pool


def test_draw_labelled_keeps_a_share_of_each_genre_and_at_least_one():
    labels = np.repeat(np.arange(10), 12)
    quarter = pt.draw_labelled(labels, 0.25, seed=3)
    assert np.bincount(labels[quarter], minlength=10).tolist() == [3] * 10
    assert (
        np.bincount(
            labels[pt.draw_labelled(labels, 0.01, seed=3)], minlength=10
        ).tolist()
        == [1] * 10
    )
    assert len(pt.draw_labelled(labels, 1.0)) == 120
    np.testing.assert_array_equal(quarter, pt.draw_labelled(labels, 0.25, seed=3))
    assert not np.array_equal(quarter, pt.draw_labelled(labels, 0.25, seed=4))
    for bad in (0, 1.5, True):
        with pytest.raises(ValueError, match="fraction"):
            pt.draw_labelled(labels, bad)


def test_unlabelled_pool_adds_new_synthetic_clips_and_none_of_the_labelled_set():
    from mgr_utils.datasets import load_synthetic
    from mgr_utils.splits import split_dataset

    clips = load_synthetic(n_per_genre=5, duration=1.0, seed=0)
    train, _, _ = split_dataset(clips, method="stratified", seed=0)
    pool = pt.unlabelled_pool(train, "synthetic", 2, 5, 1.0, seed=0)
    assert len(pool) == len(train) + 20
    assert pool.ids[: len(train)] == train.ids
    labelled_seeds = {c.seed for c in clips}
    assert not {c.seed for c in pool.clips[len(train) :]} & labelled_seeds
    assert pt.unlabelled_pool(train, "gtzan", 0, 5, None) is train
    with pytest.raises(ValueError, match="N_UNLABELLED_PER_GENRE"):
        pt.unlabelled_pool(train, "gtzan", 2, 5, None)


# ---------------------------------------------------------------------------------- the stand-in features


def test_echonest_features_have_the_documented_shape_per_clip():
    sr = 22050
    t = np.arange(sr) / sr
    y = (0.5 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)  # 1 s of A4
    F = echonest.echonest_features(y, sr)
    assert (
        F.shape
        == (1 + sr // echonest.ECHONEST_HOP_LENGTH, echonest.N_FEATURES)
        == (22, 24)
    )
    assert F.dtype == np.float32
    np.testing.assert_allclose(
        F[:, :12].max(axis=1), 1.0, rtol=1e-5
    )  # chroma: largest bin is 1
    assert np.all(F[5:-5, :12].argmax(axis=1) == 9)  # A is pitch class 9
    assert len(echonest.FEATURE_NAMES) == 24 and echonest.FEATURE_NAMES[9] == "chroma A"
    W = echonest.echonest_windows(y, sr, frames=8, hop=4)
    assert W.shape == (1 + (22 - 8) // 4, 8, 24)
    np.testing.assert_array_equal(W[1], F[4:12])
    assert echonest.echonest_windows(y, sr, frames=64, hop=64).shape == (
        1,
        64,
        24,
    )  # padded
    with pytest.raises(ValueError, match="hop"):
        echonest.echonest_windows(y, sr, hop=0)
    with pytest.raises(ValueError, match="n_mels"):
        echonest.echonest_features(y, sr, n_mels=0)


# ---------------------------------------------------------------------------------- the Keras side

keras = pytest.importorskip("keras")


def _tiny_stack(seed=0):
    V = np.random.default_rng(seed).standard_normal((8, 24, 24)).astype(np.float32)
    return V, pt.pretrain_stack(
        V,
        filters=(3, 4),
        widths=(3, 2),
        pool=4,
        epochs=1,
        lr=(0.01, 0.05),
        batch_size=4,
    )


def test_network_shapes_and_errors():
    from mgr_utils.models.dieleman2011 import dieleman_cnn

    m = dieleman_cnn(seed=0)
    assert m.input_shape == (None, 64, 24) and m.output_shape == (None, 10)
    # 64 -> conv 8 -> 57 -> pool 4 -> 14 -> conv 4 -> 11 -> pool 4 -> 2
    assert m.get_layer("pool2").output.shape[1:] == (2, 32)
    with pytest.raises(ValueError, match="too short"):
        dieleman_cnn(input_shape=(10, 24))
    with pytest.raises(ValueError, match="one length"):
        dieleman_cnn(filters=(4,), widths=(3, 2))


def test_pretrained_weights_are_the_ones_fine_tuning_starts_from():
    from mgr_utils.models.dieleman2011 import dieleman_cnn
    from mgr_utils.training import train

    V, stack = _tiny_stack()
    arch = {
        "input_shape": (24, 24),
        "filters": (3, 4),
        "widths": (3, 2),
        "dense_units": 5,
        "n_classes": 3,
    }
    net = dieleman_cnn(**arch, seed=0)
    pt.compile_for_finetuning(net, lr=1e-2, steps_per_execution=2)
    net.fit(
        V, np.zeros(8, int), epochs=1, verbose=0
    )  # leave some optimiser state behind
    fresh = dieleman_cnn(**arch, seed=7).get_weights()
    pt.reset_for_finetuning(net, fresh, stack)

    seen = {}

    class Spy(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            seen["conv1"] = [
                w.copy() for w in self.model.get_layer("conv1").get_weights()
            ]
            seen["conv2"] = [
                w.copy() for w in self.model.get_layer("conv2").get_weights()
            ]
            seen["mlp"] = [
                w.copy() for w in self.model.get_layer("mlp_hidden").get_weights()
            ]
            seen["iterations"] = int(self.model.optimizer.iterations.numpy())

    y = np.array([0, 1, 2, 0, 1, 2, 0, 1])
    train(
        net, V, y, epochs=1, batch_size=4, verbose=0, compile=False, callbacks=[Spy()]
    )
    for name, rbm in zip(("conv1", "conv2"), stack):
        np.testing.assert_array_equal(seen[name][0], rbm.W)
        np.testing.assert_array_equal(seen[name][1], rbm.b)
    mlp_fresh = dieleman_cnn(**arch, seed=7).get_layer("mlp_hidden").get_weights()
    for a, b in zip(seen["mlp"], mlp_fresh):
        np.testing.assert_array_equal(a, b)  # the MLP starts as the fresh network's
    assert seen["iterations"] == 0  # and the optimiser starts afresh
    assert not np.array_equal(
        net.get_layer("conv1").get_weights()[0], stack[0].W
    )  # then it trains


def test_the_network_computes_the_rbm_up_pass_with_pretrained_weights():
    from mgr_utils.models.dieleman2011 import dieleman_cnn

    V, stack = _tiny_stack(seed=1)
    net = dieleman_cnn(
        input_shape=(24, 24), filters=(3, 4), widths=(3, 2), dense_units=5, seed=0
    )
    pt.to_keras(net, stack)
    conv1 = keras.Model(net.input, net.get_layer("conv1").output)
    conv2 = keras.Model(net.input, net.get_layer("conv2").output)
    H1 = pt.hidden_probabilities(stack[0], V)
    np.testing.assert_allclose(conv1(V).numpy(), H1, atol=1e-5)
    H2 = pt.hidden_probabilities(stack[1], pt.max_pool(H1, 4))
    np.testing.assert_allclose(conv2(V).numpy(), H2, atol=1e-5)
    wrong = dieleman_cnn(input_shape=(24, 24), filters=(2, 4), widths=(3, 2), seed=0)
    with pytest.raises(ValueError, match="kernels"):
        pt.to_keras(wrong, stack)


def test_autoencoder_training_lowers_the_reconstruction_error():
    rng = np.random.default_rng(0)
    pattern = rng.standard_normal((8, 3))
    V = np.stack([np.roll(pattern, s, axis=0) for s in range(16)]).astype(np.float32)
    rbm = pt.init_rbm(3, 4, 2, seed=0)
    before = pt.reconstruction_error(rbm, V)
    pt.train_autoencoder(rbm, V, epochs=30, lr=0.01, batch_size=8)
    assert len(rbm.errors) == 30
    assert pt.reconstruction_error(rbm, V) < 0.8 * before


def test_beat_synchronous_features_have_one_frame_per_inter_beat_interval():
    import librosa

    sr = 22050
    y = librosa.clicks(
        times=np.arange(0.25, 6.0, 0.5), sr=sr, length=6 * sr
    )  # 120 BPM for 6 s
    _, beats = librosa.beat.beat_track(
        y=y, sr=sr, hop_length=echonest.ECHONEST_HOP_LENGTH
    )
    B = echonest.echonest_features(y, sr, beat_sync=True)
    assert len(beats) >= 5
    assert B.shape == (len(beats) + 1, 24)  # librosa.util.sync pads both ends


class _PlainSGD:
    """Stands in for Adam: ``v -= lr * g``, so one step shows the gradient itself."""

    def __init__(self, learning_rate):
        self.learning_rate = float(learning_rate)

    def apply_gradients(self, pairs):
        for g, v in pairs:
            v.assign_sub(self.learning_rate * g)


def _autoencoder_loss(W, b, c, V, sparsity):
    """The documented loss, from the NumPy up and down passes: ``mean((V - V1)^2)`` plus,
    with a target ``p``, ``sum_k (p - <h_k>)^2`` (``<h_k>``: map k's mean activity)."""
    rbm = pt.ConvRBM(W=W, b=b, c=c)
    H = pt.hidden_probabilities(rbm, V)
    error = np.mean((V - pt.visible_means(rbm, H)) ** 2)
    if sparsity is None:
        return error
    return error + np.sum((sparsity - H.mean(axis=(0, 1))) ** 2)


@pytest.mark.parametrize("sparsity", [None, 0.05, 0.6])
def test_an_autoencoder_step_follows_the_gradient_of_its_documented_loss(
    monkeypatch, sparsity
):
    import keras

    monkeypatch.setattr(keras.optimizers, "Adam", _PlainSGD)
    rng = np.random.default_rng(1)
    V = rng.standard_normal((6, 7, 3)).astype(np.float32)
    rbm = pt.init_rbm(3, 4, 2, scale=0.3, seed=0)
    rbm.b[:] = rng.normal(0.0, 1.0, 4)  # maps of unequal activity
    before = {k: np.array(getattr(rbm, k), np.float64) for k in ("W", "b", "c")}
    pt.train_autoencoder(rbm, V, epochs=1, lr=1.0, batch_size=len(V), sparsity=sparsity)
    step = {k: before[k] - getattr(rbm, k) for k in before}  # one step: the gradient
    eps = 1e-5
    for name, x in before.items():
        numeric = np.zeros_like(x)
        for idx in np.ndindex(x.shape):
            up = {k: v.copy() for k, v in before.items()}
            down = {k: v.copy() for k, v in before.items()}
            up[name][idx] += eps
            down[name][idx] -= eps
            numeric[idx] = (
                _autoencoder_loss(**up, V=V, sparsity=sparsity)
                - _autoencoder_loss(**down, V=V, sparsity=sparsity)
            ) / (2 * eps)
        np.testing.assert_allclose(
            step[name], numeric, rtol=2e-3, atol=2e-6, err_msg=name
        )
