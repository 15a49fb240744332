"""Chapter 7: Li's MFCC net, Dieleman's two front ends, the sample-level CNN, their inputs and the filter spectra."""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import pytest

from mgr_utils.features import raw_audio as ra

SR = 22050


# ------------------------------------------------------------------------------------------- inputs


def test_li_excerpts_are_190_by_13_and_count_by_hand():
    # 5 s at 22,050 Hz = 110,250 samples; centred frames with hop 256: 1 + 110250 // 256 = 431 frames.
    # Excerpts of 190 frames without overlap: starts 0 and 190 (380 + 190 > 431): 2 excerpts.
    y = np.random.default_rng(0).standard_normal(5 * SR).astype(np.float32) * 0.1
    E = ra.li_mfcc_excerpts(y, SR)
    assert E.shape == (2, 190, 13) and E.dtype == np.float32
    # With a hop of 60 frames: starts 0, 60, ..., 240 (240 + 190 = 430 <= 431): 5 excerpts.
    assert ra.li_mfcc_excerpts(y, SR, hop=60).shape == (5, 190, 13)
    # The second excerpt starts 190 frames after the first: it equals the overlapping cut at hop 10.
    np.testing.assert_allclose(
        E[1], ra.li_mfcc_excerpts(y, SR, hop=10)[19], rtol=1e-5, atol=1e-4
    )


def test_li_excerpts_are_the_mfccs_of_the_mel_bands_asked_for():
    import librosa

    y = np.random.default_rng(2).standard_normal(3 * SR).astype(np.float32) * 0.1
    for n_mels in (20, 64):
        E = ra.li_mfcc_excerpts(y, SR, n_mels=n_mels, frames=100)
        M = librosa.feature.mfcc(
            y=y, sr=SR, n_mfcc=13, n_fft=512, hop_length=256, n_mels=n_mels
        ).T
        # The same librosa call on the same samples: rtol 1e-5 covers float32 rounding.
        np.testing.assert_allclose(E[0], M[:100], rtol=1e-5, atol=1e-4)
    E20, E64 = (ra.li_mfcc_excerpts(y, SR, n_mels=n) for n in (20, 64))
    assert np.abs(E20 - E64).max() > 1.0


def test_li_excerpts_by_default_are_mfccs_of_40_mel_bands():
    # the documented default under the DCT: 40 mel bands (librosa's own default is 128)
    import librosa

    y = np.random.default_rng(3).standard_normal(3 * SR).astype(np.float32) * 0.1
    E = ra.li_mfcc_excerpts(y, SR, frames=100)
    for n_mels, same in ((40, True), (128, False), (64, False)):
        M = librosa.feature.mfcc(
            y=y, sr=SR, n_mfcc=13, n_fft=512, hop_length=256, n_mels=n_mels
        ).T[:100]
        assert np.allclose(E[0], M, rtol=1e-5, atol=1e-4) == same, n_mels


def test_li_excerpts_short_clip_and_bad_sizes():
    assert ra.li_mfcc_excerpts(np.zeros(SR, np.float32), SR).shape == (
        0,
        190,
        13,
    )  # 87 frames < 190
    with pytest.raises(ValueError, match="frames"):
        ra.li_mfcc_excerpts(np.zeros(SR, np.float32), SR, frames=0)


def test_waveform_segments_by_hand():
    y = np.arange(10, dtype=np.float32)
    S = ra.waveform_segments(y, SR, n_samples=4, hop=3)  # starts 0, 3, 6 (6 + 4 = 10)
    assert S.shape == (3, 4, 1)
    np.testing.assert_array_equal(
        S[:, :, 0], [[0, 1, 2, 3], [3, 4, 5, 6], [6, 7, 8, 9]]
    )
    assert ra.waveform_segments(y, SR, n_samples=4).shape == (
        2,
        4,
        1,
    )  # no overlap: starts 0, 4
    assert ra.waveform_segments(y, SR, n_samples=11).shape == (0, 11, 1)
    with pytest.raises(ValueError, match="hop"):
        ra.waveform_segments(y, SR, n_samples=4, hop=0)


def test_mel_frames_match_the_raw_segments():
    y = (
        np.random.default_rng(1).standard_normal(3 * SR).astype(np.float32)
    )  # 66,150 samples
    n_samples, hop = 86 * 256, 43 * 256
    R = ra.waveform_segments(y, SR, n_samples=n_samples, hop=hop)
    M = ra.mel_frames(y, SR, n_samples=n_samples, hop=hop, stride=256, n_mels=32)
    # starts 0, 11008, ..., 44032 (44032 + 22016 = 66048 <= 66150; 55040 + 22016 > 66150): 5 segments;
    # the mel side counts in frames: 66150 // 256 = 258 frames, starts 0, 43, ..., 172 (172 + 86 = 258)
    assert R.shape == (5, n_samples, 1) and M.shape == (5, 86, 32)
    # Frame t of segment k reads samples [k*hop + 256 t, k*hop + 256 (t + 1)): the second segment's
    # first frame is the first segment's 43rd.
    np.testing.assert_allclose(M[1, 0], M[0, 43], atol=1e-4)
    with pytest.raises(ValueError, match="multiples of stride"):
        ra.mel_frames(y, SR, n_samples=1000, stride=256)


def test_mel_frame_t_reads_exactly_the_samples_of_raw_frame_t():
    # Silence but a burst in samples [512, 768): raw frame 2 of a 256-sample stride.
    # Uncentred mel frames of 256 samples see it in frame 2 only; a centred frame 3
    # ([640, 896)) would see it too.
    y = np.zeros(8 * 256, np.float32)
    y[512:768] = np.sin(2 * np.pi * 2000 * np.arange(256) / SR)
    M = ra.mel_frames(y, SR, n_samples=8 * 256, stride=256, n_mels=16, top_db=80.0)[0]
    assert M.shape == (8, 16)
    assert M[2].max() == pytest.approx(0.0, abs=1e-4)  # the loudest frame: 0 dB
    np.testing.assert_allclose(np.delete(M, 2, axis=0), -80.0)  # the others: the floor


# ------------------------------------------------------------------------------ the filter spectra


def _sine_filters(freqs_hz, length=256):
    t = np.arange(length) / SR
    return np.stack(
        [np.sin(2 * np.pi * f * t) * np.hanning(length) for f in freqs_hz], axis=1
    )


def test_sort_by_dominant_frequency_on_known_filters():
    # Bin centres of a 256-point FFT are multiples of 22050 / 256 = 86.13 Hz; put each sine on one.
    bins = [40, 3, 100, 12]
    W = _sine_filters([k * SR / 256 for k in bins])
    order, hz, spectra = ra.sort_by_dominant_frequency(W, SR)
    assert order.tolist() == [1, 3, 0, 2]
    np.testing.assert_allclose(hz, np.array([3, 12, 40, 100]) * SR / 256)
    assert spectra.shape == (4, 129)
    np.testing.assert_allclose(spectra.max(axis=1), 1.0)
    assert spectra.argmax(axis=1).tolist() == [3, 12, 40, 100]


def test_sort_by_dominant_frequency_zero_padding_and_errors():
    W = _sine_filters([1000.0, 250.0])
    order, hz, _ = ra.sort_by_dominant_frequency(W, SR, n_fft=4096)  # bins of 5.38 Hz
    assert order.tolist() == [1, 0]
    np.testing.assert_allclose(hz, [250.0, 1000.0], atol=SR / 4096)
    with pytest.raises(ValueError, match="n_fft"):
        ra.sort_by_dominant_frequency(W, SR, n_fft=128)
    with pytest.raises(ValueError, match="filter_length, n_filters"):
        ra.sort_by_dominant_frequency(W[:, 0], SR)


def test_filter_through_correlates_as_conv1d_does():
    # z[t] = sum_k w[k] y[t + k - 1] ("same": centred on the filter's middle tap). An
    # impulse at 5 read by w = (1, 2, 3) gives z[4] = w[2] = 3, z[5] = w[1] = 2,
    # z[6] = w[0] = 1; then scaled to y's peak (1).
    y = np.zeros(11)
    y[5] = 1.0
    z = ra.filter_through(y, np.array([1.0, 2.0, 3.0]))
    expected = np.zeros(11)
    expected[4:7] = [1.0, 2 / 3, 1 / 3]
    np.testing.assert_allclose(z, expected, atol=1e-6)  # float32 result of an FFT


def test_filter_through_is_a_band_pass():
    t = np.arange(SR) / SR
    low, high = np.sin(2 * np.pi * 200 * t), np.sin(2 * np.pi * 5000 * t)
    w = _sine_filters([200.0], length=512)[:, 0]
    z = ra.filter_through(low + high, w)
    assert z.shape == (SR,) and z.dtype == np.float32
    Z = np.abs(np.fft.rfft(z))  # 1 Hz bins
    assert Z[200] > 100 * Z[5000]


# ------------------------------------------------------------------------------ models (Keras)

keras = pytest.importorskip("keras")

from mgr_utils.evaluation import aggregate_segments
from mgr_utils.models import dieleman2014, lee, li
from mgr_utils.training import evaluate_clips


def _one_step(model, n=4):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((n, *model.input_shape[1:])).astype("float32") * 0.1
    y = rng.integers(0, model.output_shape[-1], n)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    before = [w.copy() for w in model.get_weights()]
    assert np.isfinite(model.train_on_batch(X, y))
    assert any(not np.array_equal(a, b) for a, b in zip(before, model.get_weights()))
    P = model.predict(X, verbose=0)
    np.testing.assert_allclose(P.sum(axis=1), 1.0, rtol=1e-5)


def test_li_layer_shapes_46_10_1():
    m = li.li_cnn(seed=0)
    assert m.input_shape == (None, 190, 13) and m.output_shape == (None, 10)
    # (n - 10) // 4 + 1: 190 -> 46 -> 10 -> 1, with 3, 15 and 65 maps
    assert m.get_layer("conv1").output.shape[1:] == (46, 3)
    assert m.get_layer("conv2").output.shape[1:] == (10, 15)
    assert m.get_layer("conv3").output.shape[1:] == (1, 65)
    # weights: 10*13*3+3 + 10*3*15+15 + 10*15*65+65 + 65*10+10
    assert m.count_params() == 393 + 465 + 9815 + 660
    _one_step(m)


def test_li_rejects_too_short_input():
    with pytest.raises(ValueError, match="too few"):
        li.li_cnn(input_shape=(60, 13))


def test_dieleman_strided_front_end_output_length():
    # filter length = stride = 256: 22,016 samples -> 86 frames; 22,100 -> still 86 (the tail is dropped)
    for n_samples in (22016, 22100):
        m = dieleman2014.dieleman_cnn(
            (n_samples, 1), "raw", n_filters=8, filters=(4, 4), dense_units=8, seed=0
        )
        assert m.get_layer("frontend_conv").output.shape[1:] == (86, 8)
    # length 1024, stride 512: (22016 - 1024) // 512 + 1 = 42 frames
    m = dieleman2014.dieleman_cnn(
        (22016, 1),
        "raw",
        n_filters=8,
        filter_length=1024,
        stride=512,
        filters=(4,),
        dense_units=8,
        seed=0,
    )
    assert m.get_layer("frontend_conv").output.shape[1:] == (42, 8)
    assert dieleman2014.frontend_filters(m).shape == (1024, 8)


def test_dieleman_raw_and_mel_share_the_back_end_and_train():
    raw = dieleman2014.dieleman_cnn(
        (22016, 1), "raw", n_filters=8, filters=(4, 4), dense_units=8, seed=0
    )
    mel = dieleman2014.dieleman_cnn(
        (86, 8), "mel", filters=(4, 4), dense_units=8, seed=0
    )
    # 86 frames -> conv 8: 79 -> pool 4: 19 -> conv 8: 12 -> pool 4: 3 frames of 4 maps, in both
    for m in (raw, mel):
        assert m.get_layer("pool2").output.shape[1:] == (3, 4)
        assert m.output_shape == (None, 10)

    def tail(m):
        start = m.layers.index(m.get_layer("conv1"))
        return [
            (layer.name, tuple(layer.output.shape[1:])) for layer in m.layers[start:]
        ]

    assert tail(raw) == tail(mel)
    with pytest.raises(ValueError, match="no raw front end"):
        dieleman2014.frontend_filters(mel)
    _one_step(raw)
    _one_step(mel)


def test_dieleman_feature_pooling_and_errors():
    m = dieleman2014.dieleman_cnn(
        (22016, 1),
        "raw",
        n_filters=8,
        feature_pool=4,
        filters=(4,),
        dense_units=8,
        seed=0,
    )
    assert m.get_layer("frontend_l2pool").output.shape[1:] == (86, 2)
    # L2 pooling by hand: groups (3, 4) and (0, 0) -> 5 and sqrt(eps)
    x = np.array([[[3.0, 4.0, 0.0, 0.0]]], dtype="float32")
    out = np.asarray(dieleman2014.L2FeaturePool(4)(x))
    assert out.shape == (1, 1, 1) and abs(out[0, 0, 0] - 5.0) < 1e-4
    # Two groups of four neighbouring filters: (3, 4, 0, 0) -> 5 and (1, 2, 2, 0) -> 3.
    x = np.array([[[3.0, 4.0, 0.0, 0.0, 1.0, 2.0, 2.0, 0.0]]], dtype="float32")
    pooled = np.asarray(dieleman2014.L2FeaturePool(4)(x))[0, 0]
    np.testing.assert_allclose(pooled, [5.0, 3.0], rtol=1e-6)
    with pytest.raises(ValueError, match="front_end"):
        dieleman2014.dieleman_cnn((86, 8), "stft")
    with pytest.raises(ValueError, match="divide"):
        dieleman2014.dieleman_cnn((22016, 1), "raw", n_filters=6, feature_pool=4)
    with pytest.raises(ValueError, match="mono"):
        dieleman2014.dieleman_cnn((86, 8), "raw")


def test_the_raw_front_end_compresses_with_c_100_by_default():
    # the documented C = 100 of log(1 + C |x|), in the network the chapter builds
    m = dieleman2014.dieleman_cnn(
        (22016, 1), "raw", n_filters=8, filters=(4,), dense_units=8, seed=0
    )
    log = m.get_layer("frontend_log")
    assert log.C == 100.0
    x = np.array([[[0.5, -0.01]]], dtype="float32")
    np.testing.assert_allclose(
        np.asarray(log(x))[0, 0], np.log1p([50.0, 1.0]), rtol=1e-6
    )
    assert dieleman2014.LogCompression().C == 100.0


def test_log_compression_is_log1p_of_c_times_the_magnitude():
    x = np.array([[[-1.0, 0.5, 0.0]]], dtype="float32")
    for C in (10.0, 1000.0):
        out = np.asarray(dieleman2014.LogCompression(C)(x))[0, 0]
        expected = [np.log(1 + C), np.log(1 + C / 2), 0.0]
        np.testing.assert_allclose(out, expected, rtol=1e-6)


def test_sample_cnn_paper_depth_and_a_small_one_trains():
    m = lee.sample_cnn(
        seed=0, channels=(4,) * 9, first_filters=4, last_filters=8
    )  # the paper's 3^10 input
    assert m.input_shape == (None, 59049, 1)
    assert m.get_layer("strided_conv").output.shape[1:] == (19683, 4)
    assert m.get_layer("block9_pool").output.shape[1:] == (1, 4)
    small = lee.sample_cnn(
        3**4, channels=(4, 4, 8), first_filters=4, last_filters=8, seed=0
    )
    # 81 -> 27 -> 9 -> 3 -> 1
    assert [small.get_layer(f"block{i}_pool").output.shape[1] for i in (1, 2, 3)] == [
        9,
        3,
        1,
    ]
    assert small.output_shape == (None, 10)
    _one_step(small)
    with pytest.raises(ValueError, match="3\\^4 = 81"):
        lee.sample_cnn(80, channels=(4, 4, 8))


# ------------------------------------------------------------------------------ the majority vote


def test_sample_cnn_convolutions_are_three_samples_wide():
    # padding "same" hides a block's kernel width from the shapes, and a strided conv of
    # width 2 (or 1) with stride 3 gives the same lengths as width 3: read the kernels
    channels = (4, 6, 8)
    m = lee.sample_cnn(3**4, channels=channels, first_filters=5, last_filters=8, seed=0)
    strided = m.get_layer("strided_conv")
    assert tuple(strided.kernel.shape) == (3, 1, 5) and strided.strides == (3,)
    previous = 5
    for i, c in enumerate(channels, start=1):
        conv = m.get_layer(f"block{i}_conv")
        assert tuple(conv.kernel.shape) == (3, previous, c), conv.name
        assert conv.strides == (1,) and conv.padding == "same"
        previous = c
    # the strided conv reads samples 3t, 3t + 1, 3t + 2 for output t, and no other
    w = np.zeros((3, 1, 5), dtype="float32")
    w[:, 0, 0] = [1.0, 10.0, 100.0]
    strided.set_weights([w])
    x = np.arange(81, dtype="float32")[None, :, None]
    import keras

    probe = keras.Model(m.input, strided.output)
    out = np.asarray(probe(x))[0, :, 0]
    np.testing.assert_allclose(
        out[:3], [210.0, 543.0, 876.0]
    )  # 0+10+200, 3+40+500, ...


def test_majority_vote_before_and_after_by_hand():
    # Clip 0 (genre 0): segments predict 0, 0, 1 -> 2 of 3 right, the vote says 0 (right).
    # Clip 1 (genre 1): segments predict 1, 2, 2 -> 1 of 3 right, the vote says 2 (wrong).
    P = np.array(
        [
            [0.6, 0.3, 0.1],
            [0.5, 0.4, 0.1],
            [0.2, 0.7, 0.1],
            [0.1, 0.8, 0.1],
            [0.1, 0.3, 0.6],
            [0.2, 0.3, 0.5],
        ]
    )
    clip_index, y = np.array([0, 0, 0, 1, 1, 1]), np.array([0, 0, 0, 1, 1, 1])
    clips, V = aggregate_segments(P, clip_index, rule="vote")
    assert clips.tolist() == [0, 1] and V.argmax(axis=1).tolist() == [0, 2]
    r = evaluate_clips(
        None,
        None,
        clip_index,
        y,
        rules=("vote",),
        genres=("a", "b", "c"),
        segment_probs=P,
    )["vote"]
    assert r["segment_accuracy"] == pytest.approx(3 / 6)  # before the vote
    assert r["accuracy"] == pytest.approx(1 / 2)  # after it
    assert r["confusion"] == [[1, 0, 0], [0, 0, 1], [0, 0, 0]]
