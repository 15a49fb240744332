"""Chapter 12: irrelevant transformations, the horse test, adversarial examples, the record.

Every filter is checked by its **measured** response (an impulse through the filter, or a sine
through the transformation), not by its design; the adversary by the SNR of the audio it plays
and by the round trip that decides a flip.
"""

from __future__ import annotations

import json
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import pytest

from mgr_utils import validity as v

SR = 22050


def sine(freq: float, seconds: float = 2.0, sr: int = SR, amp: float = 0.5):
    t = np.arange(int(seconds * sr)) / sr
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def music_like(seconds: float = 3.0, seed: int = 0) -> np.ndarray:
    """Harmonic notes with decaying envelopes over a little noise: a stand-in clip."""
    rng = np.random.default_rng(seed)
    n = int(seconds * SR)
    t = np.arange(n) / SR
    y = 0.01 * rng.standard_normal(n)
    for start in np.arange(0, seconds, 0.25):
        f0 = 110 * 2 ** (rng.integers(0, 24) / 12)
        env = np.where(t >= start, np.exp(-(t - start) * 6), 0.0)
        for h in range(1, 6):
            y += env * np.sin(2 * np.pi * h * f0 * t) / h * 0.2
    return (0.9 * y / np.abs(y).max()).astype(np.float32)


def dominant_hz(y: np.ndarray, sr: int = SR) -> float:
    """The peak of the spectrum, refined by a parabola through the three largest bins."""
    Y = np.abs(np.fft.rfft(y * np.hanning(y.size), n=8 * y.size))
    k = int(np.argmax(Y))
    a, b, c = np.log(Y[k - 1 : k + 2])
    return (k + 0.5 * (a - c) / (a - 2 * b + c)) * sr / (8 * y.size)


def measured_gain_db(fn, freqs, n: int = 2**16) -> np.ndarray:
    """The measured magnitude response of a linear filter ``fn(y)``: an impulse through it."""
    x = np.zeros(n, np.float32)
    x[n // 2] = 1.0
    H = np.abs(np.fft.rfft(fn(x).astype(np.float64)))
    f = np.fft.rfftfreq(n, 1 / SR)
    return 20 * np.log10(np.interp(freqs, f, H))


# ============================================================ irrelevant transformations


def test_highpass_passes_100_hz_and_removes_5_hz():
    g100, g5, g20 = measured_gain_db(lambda x: v.highpass(x, SR), [100.0, 5.0, 20.0])
    assert abs(g100) <= 0.1
    assert g5 <= -20.0
    # forward and backward: the 4th-order design's -3 dB becomes -6 dB at the cut-off
    assert g20 == pytest.approx(-6.02, abs=0.1)


def test_lowpass_passes_the_band_and_removes_high_frequencies():
    g1k, g8k = measured_gain_db(lambda x: v.lowpass(x, SR, 4000.0), [1000.0, 8000.0])
    assert abs(g1k) <= 0.1 and g8k <= -40.0


@pytest.mark.parametrize("gain_db", [3.0, -3.0])
def test_low_shelf_gives_its_gain_in_its_band_and_none_far_above(gain_db):
    fn = lambda x: v.shelf(x, SR, gain_db, kind="low")
    band, far = measured_gain_db(fn, [10.0, 8000.0])
    assert band == pytest.approx(gain_db, abs=0.05)
    assert abs(far) <= 0.05
    # the corner (mid-point) sits at half the gain in dB (the cookbook's definition)
    assert measured_gain_db(fn, [v.LOW_SHELF_HZ])[0] == pytest.approx(
        gain_db / 2, abs=0.1
    )


@pytest.mark.parametrize("gain_db", [3.0, -3.0])
def test_high_shelf_gives_its_gain_in_its_band_and_none_far_below(gain_db):
    fn = lambda x: v.shelf(x, SR, gain_db, kind="high")
    band, far = measured_gain_db(fn, [10800.0, 100.0])
    assert band == pytest.approx(gain_db, abs=0.1)
    assert abs(far) <= 0.05


def test_shelf_rejects_a_corner_outside_the_band():
    with pytest.raises(ValueError, match="f0"):
        v.shelf_sos(SR, 12000.0, 3.0)
    with pytest.raises(ValueError, match="kind"):
        v.shelf_sos(SR, 200.0, 3.0, kind="middle")


@pytest.mark.parametrize("percent", [6.0, -6.0])
def test_time_stretch_changes_the_length_by_its_factor_and_keeps_the_pitch(percent):
    y = sine(440.0)
    z = v.time_stretch(y, SR, percent)
    assert z.size == round(y.size / (1 + percent / 100))
    # the pitch stays: the phase vocoder keeps 440 Hz within 0.2 %
    assert dominant_hz(z[2048:-2048]) == pytest.approx(440.0, rel=2e-3)


@pytest.mark.parametrize("n_steps", [1.0, -1.0])
def test_pitch_shift_moves_a_sine_by_a_semitone_and_keeps_the_length(n_steps):
    y = sine(440.0)
    z = v.pitch_shift(y, SR, n_steps)
    assert z.size == y.size
    assert dominant_hz(z[2048:-2048]) == pytest.approx(
        440.0 * 2 ** (n_steps / 12), rel=2e-3
    )


def test_gain_is_exact():
    y = music_like(1.0)
    for db in (6.0, -6.0):
        z = v.gain(y, SR, db)
        np.testing.assert_array_equal(z, y * np.float32(10 ** (db / 20)))
        assert 20 * np.log10(np.linalg.norm(z) / np.linalg.norm(y)) == pytest.approx(
            db, abs=1e-5
        )


def test_pink_noise_is_at_30_db_and_falls_3_db_per_octave():
    from scipy.signal import welch

    y = music_like(3.0)
    z = v.add_pink_noise(y, SR, 30.0, seed=1)
    assert v.snr_db(y, z) == pytest.approx(30.0, abs=1e-4)
    np.testing.assert_array_equal(z, v.add_pink_noise(y, SR, 30.0, seed=1))  # seeded
    f, P = welch(v.pink_noise(2**20, seed=0), fs=SR, nperseg=8192)
    band = (f >= 50) & (f <= 8000)
    slope = np.polyfit(np.log2(f[band]), 10 * np.log10(P[band]), 1)[0]
    assert slope == pytest.approx(-3.01, abs=0.2)  # dB per octave


def test_pink_noise_needs_a_signal():
    with pytest.raises(ValueError, match="silent"):
        v.add_pink_noise(np.zeros(100, np.float32), SR)


def test_mp3_round_trip_keeps_the_length_is_not_the_identity_and_is_128_kbps():
    y = music_like(3.0)
    z = v.mp3_round_trip(y, SR)
    assert z.shape == y.shape and z.dtype == np.float32
    assert np.abs(z - y).max() > 1e-3  # lossy
    assert v.snr_db(y, z) > 10.0  # and lined up with y (a delay would ruin the SNR)
    rate = v.mp3_bitrate(v.encode_mp3_cbr(y, SR))
    assert rate["mode"] == "constant" and rate["kbps"] == 128
    assert 128 <= rate["average_kbps"] < 140  # the tag frame and last frame's padding


def test_mp3_compression_level_inverts_libsndfiles_map():
    # MPEG-2 (22,050 Hz): int(160 - level * 152) kbit/s; MPEG-1 (44.1 kHz): int(320 - level * 288)
    for sr, high, span in ((22050, 160, 152), (44100, 320, 288)):
        for kbps in (32, 64, 128):
            assert int(high - v.mp3_compression_level(kbps, sr) * span) == kbps
    with pytest.raises(ValueError, match="kbit/s"):
        v.mp3_compression_level(192, 22050)


def test_the_registry_names_every_transformation_once_and_checks_names():
    names = list(v.TRANSFORMATIONS)
    assert len(names) == len(set(names)) == 13
    chosen = v.transformations(["gain_+6db", "mp3_128k"])
    assert [t.name for t in chosen] == ["gain_+6db", "mp3_128k"]
    assert chosen[0].describe() == {
        "name": "gain_+6db",
        "label": "gain +6 dB",
        "function": "gain",
        "params": {"db": 6.0},
    }
    with pytest.raises(ValueError, match="choose from"):
        v.transformations(["reverb"])


# ============================================================ measuring before and after


def loudness_system(threshold: float):
    """A toy system: class 1 when the clip's RMS exceeds ``threshold``, else class 0."""

    def predict(y, sr):
        loud = float(np.sqrt(np.mean(np.square(y)))) > threshold
        return np.array([0.0, 1.0]) if loud else np.array([1.0, 0.0])

    return predict


def test_measure_transformations_by_hand():
    # RMS of a 0.5 sine: 0.354. Clips at amplitudes 0.4, 0.5, 0.6, 0.7 have RMS 0.28 ... 0.49.
    audio = [sine(440.0, 0.5, amp=a) for a in (0.4, 0.5, 0.6, 0.7)]
    y_true = [0, 1, 1, 1]
    systems = {"loud": loudness_system(0.3)}
    m = v.measure_transformations(
        systems, audio, y_true, SR, v.transformations(["gain_-6db", "gain_+6db"])
    )
    assert m["before"]["loud"] == [0, 1, 1, 1]  # RMS 0.28 < 0.3 <= 0.35 ...
    # -6 dB halves the amplitude: RMS 0.14 ... 0.25, every clip quiet
    assert m["after"]["gain_-6db"]["loud"] == [0, 0, 0, 0]
    e = m["effects"]["loud"]["gain_-6db"]
    assert (e["accuracy_before"], e["accuracy_after"], e["changed"]) == (1.0, 0.25, 3)
    assert (e["right_only_before"], e["right_only_after"]) == (3, 0)
    assert e["p"] == pytest.approx(0.25)  # 3 discordant clips all one way: 2 / 2**3
    assert e["verdict"] == "cannot tell apart" and e["n"] == 4
    up = m["effects"]["loud"]["gain_+6db"]
    assert (
        up["changed"] == 1 and up["accuracy_after"] == 0.75
    )  # the quiet clip turns loud
    assert v.pick_flip(m) == (1, "gain_-6db")  # the first clip whose answer changed


def test_measure_transformations_rejects_mismatched_labels():
    with pytest.raises(ValueError, match="one label per clip"):
        v.measure_transformations(
            {"s": loudness_system(0.1)}, [sine(440.0)], [0, 1], SR
        )


def test_predict_clips_uses_a_batched_system_when_offered():
    calls = []

    def predict(y, sr):
        raise AssertionError("the batched call should be used")

    def many(audio, sr):
        calls.append(len(audio))
        return np.ones((len(audio), 3)) / 3

    predict.many = many
    P = v.predict_clips(predict, [sine(100.0, 0.1)] * 4, SR)
    assert P.shape == (4, 3) and calls == [4]


# ============================================================ the horse test


def test_horse_filters_stay_within_3_db_and_are_seeded():
    F = v.horse_filters(n_filters=16, seed=3)
    assert F.taps.shape == (16, 1025) and len(F) == 16
    for h in F.taps:
        _, g = v.filter_response_db(h, SR, n_freqs=16384)
        assert np.max(np.abs(g)) <= 3.0
    assert np.all(F.max_abs_db <= 3.0) and np.max(F.max_abs_db) > 1.0  # not all flat
    np.testing.assert_array_equal(F.taps, v.horse_filters(n_filters=16, seed=3).taps)
    assert not np.allclose(F.taps, v.horse_filters(n_filters=16, seed=4).taps)


def test_horse_filter_applies_its_measured_response_without_delay():
    F = v.horse_filters(n_filters=2, seed=0)
    freqs = np.array([100.0, 1000.0, 5000.0])
    expected = np.interp(freqs, *v.filter_response_db(F.taps[1], SR, 2**15))
    np.testing.assert_allclose(
        measured_gain_db(lambda x: F.apply(x, 1), freqs), expected, atol=0.01
    )
    x = np.zeros(4001, np.float32)
    x[2000] = 1.0
    assert int(np.argmax(np.abs(F.apply(x, 1)))) == 2000  # linear phase, delay removed


def test_horse_range_by_hand():
    y_true = np.array([0, 1, 2, 0, 1])
    filtered = np.array(
        [
            [0, 0, 0],  # right under every filter
            [1, 2, 2],  # right under filter 0 only: movable
            [0, 0, 1],  # never right
            [0, 2, 0],  # wrong under filter 1 only: movable
            [2, 2, 2],  # never right
        ]
    )
    r = v.horse_range(y_true, filtered, unfiltered=[0, 1, 0, 0, 2])
    assert r["lowest"] == pytest.approx(1 / 5)  # only clip 0 cannot be made wrong
    assert r["highest"] == pytest.approx(3 / 5)  # clips 0, 1, 3 can be made right
    assert (r["movable"], r["always_right"], r["never_right"]) == (2, 1, 2)
    assert r["accuracy"] == pytest.approx(3 / 5)
    np.testing.assert_allclose(r["per_filter_accuracy"], [3 / 5, 1 / 5, 2 / 5])
    with pytest.raises(ValueError, match="n_clips"):
        v.horse_range(y_true, filtered[:3])


def test_horse_predictions_of_a_toy_system_move_with_the_filters():
    # A quiet and a loud clip near a loudness threshold: gentle gains move them across it.
    audio = [sine(1000.0, 0.3, amp=0.5 * 10 ** (-1 / 20)), sine(1000.0, 0.3, amp=0.5)]
    threshold = 0.5 / np.sqrt(2) * 10 ** (-0.5 / 20)  # between the two RMS values
    F = v.horse_filters(n_filters=16, seed=0)
    P = v.horse_predictions(loudness_system(threshold), audio, SR, F)
    assert P.shape == (2, 16)
    gain_1k = np.array(
        [np.interp(1000.0, *v.filter_response_db(h, SR, 2**15)) for h in F.taps]
    )
    # clip 0 is loud exactly where the filter lifts 1 kHz by more than ~0.5 dB (2 dB margin)
    clear = np.abs(gain_1k - 0.5) > 0.2
    np.testing.assert_array_equal(P[0][clear], (gain_1k > 0.5)[clear].astype(int))
    r = v.horse_range([1, 1], P)
    assert r["movable"] >= 1 and r["lowest"] < r["highest"]
    # the same through horse_test, which filters each clip once for every system
    both = v.horse_test(
        {"a": loudness_system(threshold), "b": loudness_system(0.0)},
        audio,
        [1, 1],
        SR,
        F,
    )
    np.testing.assert_array_equal(both["a"]["predictions"], P)
    assert both["a"]["highest"] == r["highest"] and both["b"]["lowest"] == 1.0


# ============================================================ the feature paths in TensorFlow


def test_downscale_operators_equal_the_books_downscale():
    from mgr_utils.features.spectrograms import downscale

    S = np.random.default_rng(0).standard_normal((513, 81)).astype(np.float32) * 10
    A, B = v.downscale_operators(513, 81)
    # float32 products of about 1,000 terms against skimage's float64 filter: 1e-4 relative
    np.testing.assert_allclose(A @ S @ B.T, downscale(S), rtol=1e-4, atol=1e-4)


def test_tf_feature_paths_equal_the_books_numpy_features():
    from mgr_utils.features import costa_patches, mel_frames, waveform_segments

    y = music_like(3.0)
    # dB values in [-80, 0] from float32 spectra (TensorFlow's FFT against numpy's): 2e-3 dB
    np.testing.assert_allclose(
        v.tf_costa_patches(y, SR).numpy(), costa_patches(y, SR), atol=2e-3
    )
    np.testing.assert_allclose(
        v.tf_costa_patches(y, SR, hop=8).numpy(), costa_patches(y, SR, hop=8), atol=2e-3
    )
    mp = {"n_samples": 11008, "stride": 256, "n_mels": 32}
    np.testing.assert_allclose(
        v.tf_mel_frames(y, SR, **mp).numpy(), mel_frames(y, SR, **mp), atol=2e-3
    )
    np.testing.assert_array_equal(
        v.tf_waveform_segments(y, SR, n_samples=11008, hop=5504).numpy(),
        waveform_segments(y, SR, n_samples=11008, hop=5504),
    )
    assert v.tf_features("mel_frames") is v.tf_mel_frames
    assert v.tf_features(costa_patches) is v.tf_costa_patches
    with pytest.raises(ValueError, match="no TensorFlow feature path"):
        v.tf_features("li_mfcc_excerpts")


def test_inverse_stft_of_the_unperturbed_magnitude_with_its_phase_returns_the_clip():
    y = music_like(2.0)
    X, phase = v.attack_stft(y)
    # overlap-add of float32 frames: 1e-6 of a full-scale signal
    np.testing.assert_allclose(v.resynthesise(X, phase, y.size), y, atol=1e-6)
    np.testing.assert_allclose(
        v.tf_istft(X, phase, y.size, v.ATTACK_N_FFT, v.ATTACK_HOP_LENGTH).numpy(),
        y,
        atol=1e-6,
    )


def small_mel_system(seconds_per_segment: float = 0.5):
    """An untrained small Dieleman mel network, its NumPy predict and its TensorFlow path."""
    import keras

    from mgr_utils.features import mel_frames
    from mgr_utils.training import Standardizer

    n_samples = int(seconds_per_segment * SR) // 256 * 256
    params = {"n_samples": n_samples, "stride": 256, "n_mels": 16}
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input((n_samples // 256, 16)),
            keras.layers.Conv1D(8, 3, activation="relu"),
            keras.layers.GlobalAveragePooling1D(),
            keras.layers.Dense(4, activation="softmax"),
        ]
    )
    std = Standardizer(feature_axes=(1,)).fit(
        mel_frames(music_like(3.0, 9), SR, **params)
    )

    def predict(y, sr):
        X = std.transform(mel_frames(y, sr, **params))
        return np.asarray(model(X, training=False)).mean(axis=0)

    system = v.tf_system(model, "mel_frames", params, SR, std.mean_, std.std_)
    return predict, system


def test_tf_system_gives_the_same_probabilities_as_the_numpy_system():
    predict, system = small_mel_system()
    y = music_like(2.0, seed=3)
    # the same network on features equal to 2e-3 dB, standardised: 1e-4 in probability
    np.testing.assert_allclose(system(y).numpy(), predict(y, SR), atol=1e-4)


# ============================================================ the adversary


@pytest.mark.parametrize("domain", ["magnitude", "waveform"])
def test_the_adversary_keeps_its_measured_snr_at_or_above_the_target(domain):
    predict, system = small_mel_system()
    y = music_like(2.0, seed=5)
    label = int(np.argmax(predict(y, SR)))
    settings = v.AttackSettings(snr_dbs=(40.0, 30.0), steps=3, stop_probability=1.0)
    r = v.attack_clip(
        y, SR, label, predict, system, domain=domain, settings=settings, keep_audio=True
    )
    assert [lv["snr_db"] for lv in r["levels"]] == [40.0, 30.0]
    for lv in r["levels"]:
        assert lv["measured_snr_db"] >= lv["snr_db"]
        assert lv["measured_snr_db"] == pytest.approx(v.snr_db(y, lv["audio"]))
        assert lv["label_after"] == int(np.argmax(predict(lv["audio"], SR)))
        assert lv["flipped"] == (lv["label_after"] != label)
    # the attack did move the audio (a perturbation, not the clip itself)
    assert np.isfinite(r["levels"][-1]["measured_snr_db"])


def test_a_flip_counts_only_after_the_round_trip():
    # A toy "network" that reads one STFT cell: class 1 when the cell exceeds c. The adversary
    # raises that cell alone, in the feature domain, as far as the SNR allows. Resynthesis with
    # the original phase spreads an isolated change over neighbouring cells, so the audio's cell
    # rises by less: the feature-domain flip does not survive the round trip.
    import tensorflow as tf

    y = music_like(2.0, seed=7)
    X, phase = v.attack_stft(y)
    k, t = int(np.argmax(X[:, 40])), 40
    x0 = float(X[k, t])
    c = x0 / 0.8

    def cell_probs(x_cell):
        logit = 50.0 * (x_cell / c - 1.0)
        return tf.stack([tf.sigmoid(-logit), tf.sigmoid(logit)])

    def path(x, ph):  # the feature domain: the magnitude itself, no resynthesis
        return cell_probs(x[k, t])

    def predict(audio, sr):  # the system's own features, from the played audio
        return cell_probs(tf.constant(v.attack_stft(audio)[0][k, t])).numpy()

    # The ball: a change of 0.3 * x0 in that cell alone has this much audio.
    unit = np.zeros_like(X)
    unit[k, t] = 1.0
    g = np.linalg.norm(v.resynthesise(unit, phase, y.size))
    snr = 20 * np.log10(np.linalg.norm(y) / (0.3 * x0 * g))
    settings = v.AttackSettings(snr_dbs=(snr,), steps=20, stop_probability=0.5)
    r = v.attack_clip(
        y, SR, 0, predict, domain="magnitude", target=1, settings=settings, path=path
    )
    level = r["levels"][0]
    assert level["path_label"] == 1  # flipped in the feature domain
    assert (
        level["label_after"] == 0 and not level["flipped"]
    )  # not after the round trip
    rates = v.flip_rates({"settings": {"snr_dbs": [snr]}, "results": [r]})
    (lv,) = rates.values()
    assert (lv["n"], lv["flipped"], lv["path_flipped"]) == (1, 0, 1)


def test_the_attack_refuses_a_clip_the_system_already_gets_wrong():
    predict, system = small_mel_system()
    y = music_like(1.0)
    wrong = (int(np.argmax(predict(y, SR))) + 1) % 4
    with pytest.raises(ValueError, match="already gets this clip wrong"):
        v.attack_clip(y, SR, wrong, predict, system)
    with pytest.raises(ValueError, match="steps"):
        v.AttackSettings(steps=0).check()


def test_attack_clips_skips_wrong_clips_and_defend_counts_undone_flips():
    predict, system = small_mel_system()
    audio = [music_like(1.5, seed=s) for s in range(3)]
    labels = [int(np.argmax(predict(y, SR))) for y in audio]
    labels[1] = (labels[1] + 1) % 4  # the system gets clip 1 wrong
    settings = v.AttackSettings(snr_dbs=(20.0,), steps=4, stop_probability=0.9)
    run = v.attack_clips(
        audio, labels, SR, predict, system, settings=settings, keep_audio=True
    )
    assert run["clips"] == [0, 2] and run["skipped_wrong"] == 1
    rates = v.flip_rates(run)
    assert rates["20 dB"]["n"] == 2
    low, high = rates["20 dB"]["interval"]  # Wilson: contains the rate, inside [0, 1]
    assert 0 <= low <= rates["20 dB"]["rate"] <= high <= 1
    d = v.defend(run, audio, SR, predict, 20.0)
    assert set(d) == {"highpass_20hz", "lowpass_4khz"}
    for res in d.values():
        assert res["n"] == rates["20 dB"]["flipped"]
        assert 0 <= res["undone"] <= res["n"] and 0 <= res["original_kept"] <= res["n"]
    record = v.validity_record(adversarial={"mel": run}, defences={"mel": d})
    json.dumps(record)  # JSON-able: no audio, no arrays
    assert record["adversarial"]["mel"]["rates"] == rates


# ============================================================ record, sentences, tables


def effect(before, after, p, change=None):
    return {
        "n": 10,
        "accuracy_before": before,
        "accuracy_after": after,
        "change": after - before if change is None else change,
        "changed": 2,
        "changed_share": 0.2,
        "right_only_before": 2,
        "right_only_after": 0,
        "test": "exact McNemar",
        "p": p,
        "alpha": 0.05,
        "verdict": "cannot tell apart" if p >= 0.05 else "lower after",
    }


def test_record_and_chapter_10s_robustness_rows():
    measured = {
        "n": 10,
        "transformations": [
            {"name": "a", "label": "tempo +6 %"},
            {"name": "b", "label": "20 Hz high-pass"},
        ],
        "effects": {
            "cnn": {"a": effect(0.8, 0.7, 0.5), "b": effect(0.8, 0.5, 0.03)},
            "svm": {"a": effect(0.6, 0.6, 1.0), "b": effect(0.6, 0.5, 0.5)},
        },
    }
    horse = {"cnn": v.horse_range([0, 1], np.array([[0, 1], [1, 0]]), [0, 1])}
    record = v.validity_record(measured, horse, settings={"clips": 10})
    json.dumps(record)
    rows = {r["system"]: r for r in v.robustness_rows(record)}
    assert rows["cnn"]["largest_change"]["transformation"] == "b"
    assert rows["cnn"]["largest_change"]["change"] == pytest.approx(-0.3)
    assert rows["cnn"]["horse"] == {"lowest": 0.0, "highest": 1.0, "n": 2}
    assert rows["cnn"]["flips"] is None and rows["svm"]["horse"] is None
    table = v.robustness_table(record, names={"cnn": "the CNN", "svm": "the SVM"})
    assert "| the CNN | -30.0 points (20 Hz high-pass; p = 0.030, n = 10) |" in table
    assert "0.0 % to 100.0 % (n = 2)" in table and "not attacked" in table


def test_sentences_and_tables_say_the_numbers_and_the_test():
    e = effect(0.8, 0.5, 0.03)
    s = v.effect_sentence(e, "The CNN", "20 Hz high-pass")
    assert "80.0 %" in s and "50.0 %" in s and "p = 0.030" in s and "lower after" in s
    s = v.effect_sentence(effect(0.8, 0.7, 0.5), "The CNN", "tempo change")
    assert "cannot be told apart" in s and "p = 0.50" in s
    measured = {
        "n": 10,
        "transformations": [{"name": "b", "label": "20 Hz high-pass"}],
        "effects": {"cnn": {"b": e}},
    }
    table = v.transformations_table(measured, names={"cnn": "the CNN"})
    assert "| original clips | 80.0 % |" in table
    assert "**-30.0 points, 2 changed, p = 0.030**" in table
    r = v.horse_range([0, 1], np.array([[0, 1], [1, 0]]), [0, 1])
    assert "0.0 % to 100.0 %" in v.horse_sentence(r, "the CNN")
    assert "| the CNN | 100.0 % | 0.0 % | 100.0 % | 2 of 2 |" in v.horse_table(
        {"cnn": r}, {"cnn": "the CNN"}
    )
    rates = {"cnn": {"30 dB": {"flipped": 3, "n": 4, "rate": 0.75, "path_flipped": 4}}}
    assert "3 of 4 (75.0 %)" in v.adversarial_table(rates, {"cnn": "the CNN"})
    rates["cnn"]["30 dB"]["interval"] = [0.301, 0.954]
    assert "3 of 4 (75.0 %; 95 % CI 30.1-95.4 %)" in v.adversarial_table(rates)
    assert "the TensorFlow path alone: 4" in v.adversarial_sentence(rates["cnn"], "X")
    d = {"lp": {"label": "4 kHz low-pass", "n": 3, "undone": 1, "original_kept": 2}}
    assert "undid 1 of 3 flips" in v.defence_sentence(d, "the CNN", "30 dB")
    assert "nothing to defend" in v.defence_sentence(
        {"lp": {**d["lp"], "n": 0}}, "the CNN", "30 dB"
    )


# ============================================================ the saved systems under test


CLASSES4 = ("a", "b", "c", "d")


def _save_mel_network(models_dir, system_id="dieleman2014_mel", rule="sum"):
    """The small mel network saved as a chapter saves it (its card, its statistics)."""
    import keras

    from mgr_utils import saving
    from mgr_utils.features import mel_frames
    from mgr_utils.training import Standardizer

    params = {"n_samples": 11008, "stride": 256, "n_mels": 16}
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input((43, 16)),
            keras.layers.Conv1D(8, 3, activation="relu"),
            keras.layers.GlobalAveragePooling1D(),
            keras.layers.Dense(4, activation="softmax"),
        ]
    )
    std = Standardizer(feature_axes=(1,)).fit(
        mel_frames(music_like(3.0, 9), SR, **params)
    )
    saving.save_system(
        model,
        "07_raw_audio",
        system_id,
        saving.pipeline(mel_frames, params, scaler=std),
        classes=CLASSES4,
        dataset="folder",
        metrics={"accuracy": 0.5, "n_clips": 8, "valid_accuracy": 0.625},
        rule=rule,
        models_dir=models_dir,
    )
    return saving.load_system(system_id, "folder", models_dir)


def _save_svm(models_dir, classes=CLASSES4, system_id="descriptor_svm"):
    from sklearn.svm import SVC

    from mgr_utils import saving
    from mgr_utils.features import descriptors

    rng = np.random.default_rng(0)
    X = rng.standard_normal((8 * len(classes), 61))
    y = np.repeat(np.arange(len(classes)), 8)
    svm = SVC(probability=True, random_state=0).fit(X + y[:, None], y)
    saving.save_system(
        svm,
        "03_texture_features",
        system_id,
        saving.pipeline(descriptors, {}),
        classes=classes,
        dataset="folder",
        metrics={"accuracy": 0.75, "n_clips": 8},
        models_dir=models_dir,
    )


def test_load_systems_under_test_names_the_missing_and_goes_on(tmp_path):
    from mgr_utils.saving import NoSavedSystemsError

    _save_mel_network(tmp_path)
    _save_svm(tmp_path, classes=("x", "y"), system_id="lbp_zone_svm")
    ids = ["costa_cnn", "dieleman2014_mel", "lbp_zone_svm"]
    systems, missing = v.load_systems_under_test(ids, CLASSES4, "folder", tmp_path)
    assert list(systems) == ["dieleman2014_mel"]
    assert [m["system"] for m in missing] == ["costa_cnn", "lbp_zone_svm"]
    assert missing[0]["chapter"] == "04_costa_cnn"
    assert "no saved system" in missing[0]["reason"]
    assert (
        "classes" in missing[1]["reason"]
        and "03_texture_features" in (missing[1]["reason"])
    )
    text = v.missing_sentence(missing, {"costa_cnn": "Costa's CNN"})
    assert "**Costa's CNN** (04_costa_cnn" in text and "goes on" in text
    assert v.missing_sentence([]) == ""
    with pytest.raises(NoSavedSystemsError, match="costa_cnn"):
        v.load_systems_under_test(["costa_cnn"], CLASSES4, "folder", tmp_path)


def test_a_saved_network_as_predict_and_as_its_tensorflow_path(tmp_path):
    system = _save_mel_network(tmp_path)
    predict = v.saved_predictor(system)
    audio = [music_like(2.0, seed=s) for s in range(3)]
    one = np.stack([system.classify(y)["scores"] for y in audio])
    np.testing.assert_allclose(v.predict_clips(predict, audio, SR), one, atol=1e-6)
    np.testing.assert_allclose(predict(audio[0], SR), one[0], atol=1e-6)
    # audio at another rate is resampled to the system's
    import librosa

    y16 = librosa.resample(audio[0], orig_sr=SR, target_sr=16000)
    back = librosa.resample(y16, orig_sr=16000, target_sr=SR)
    np.testing.assert_allclose(
        predict(y16, 16000), system.classify(back)["scores"], atol=1e-6
    )
    path, domain = v.saved_tf_path(system, SR)
    assert domain == "magnitude"
    np.testing.assert_allclose(np.asarray(path(audio[1])), one[1], atol=1e-4)
    text = v.tf_path_sentence(
        "the mel network", domain, "sum", path(audio[1]), one[1], "c1"
    )
    assert "STFT magnitude" in text and "c1" in text and "no gradient" not in text
    assert "has no gradient" in v.tf_path_sentence("n", "waveform", "vote", 0, 0, "c")


def test_only_networks_with_a_tensorflow_twin_get_a_path(tmp_path):
    _save_svm(tmp_path)
    from mgr_utils import saving

    svm = saving.load_system("descriptor_svm", "folder", tmp_path)
    assert v.saved_tf_path(svm) is None


def test_spread_clips_takes_each_class_in_turn():
    y = [0, 0, 0, 1, 1, 2]
    assert v.spread_clips(y, 3) == [0, 3, 5]
    assert v.spread_clips(y, 4) == [0, 1, 3, 5]
    assert v.spread_clips(y, None) == list(range(6)) == v.spread_clips(y, 60)
    with pytest.raises(ValueError, match="at least one"):
        v.spread_clips(y, 0)


# ============================================================ figures


def _measured():
    return {
        "n": 10,
        "transformations": [
            {"name": "a", "label": "tempo +6 %"},
            {"name": "b", "label": "20 Hz high-pass"},
        ],
        "effects": {
            "cnn": {"a": effect(0.8, 0.7, 0.5), "b": effect(0.8, 0.5, 0.03)},
            "svm": {"a": effect(0.6, 0.6, 1.0), "b": effect(0.6, 0.5, 0.5)},
        },
        "before": {"cnn": [0, 1, 2], "svm": [0, 0, 2]},
        "after": {
            "a": {"cnn": [0, 1, 2], "svm": [0, 0, 2]},
            "b": {"cnn": [1, 1, 2], "svm": [0, 0, 2]},
        },
    }


def test_the_figures_have_labelled_axes_and_colour_bars():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ax = v.plot_accuracy_changes(_measured(), {"cnn": "the CNN"})
    assert ax.get_xlabel() and ax.get_ylabel()
    assert [t.get_text() for t in ax.get_yticklabels()] == ["the CNN", "svm"]
    bars = [a for a in ax.figure.axes if a is not ax]
    assert len(bars) == 1 and "points" in bars[0].get_ylabel()
    assert len(ax.collections) == 1, "one ring: the one change the test calls real"
    plt.close("all")

    filters = v.horse_filters(3, seed=1, numtaps=257)
    ax = v.plot_horse_filters(filters)
    assert "Hz" in ax.get_xlabel() and "log" in ax.get_xlabel()
    assert "dB" in ax.get_ylabel() and ax.get_xscale() == "log"
    assert len(ax.lines) == 3 + 2  # one per filter, the two limits
    plt.close("all")

    r = v.horse_range([0, 1], np.array([[0, 1], [1, 1]]), [0, 1])
    ax = v.plot_horse_ranges({"cnn": r}, {"cnn": "the CNN"})
    assert "%" in ax.get_xlabel() and ax.get_legend() is not None
    plt.close("all")

    y = music_like(1.0, seed=2)
    fig = v.plot_adversarial_example(y, y * 1.01, SR)
    images, bars = fig.axes[:3], fig.axes[3:]
    assert len(bars) == 1 and "dB" in bars[0].get_ylabel()
    assert all(a.get_xlabel() == "time (s)" for a in images)
    assert images[0].get_ylabel() == "frequency (Hz)"
    plt.close("all")


# ============================================================ the page's sentences


def test_the_pages_sentences_say_the_numbers():
    m = _measured()
    s = v.largest_change_sentence(m, {"cnn": "the CNN"})
    assert "**the CNN**" in s and "20 Hz high-pass" in s and "p = 0.030" in s
    s = v.changed_share_sentence(m)
    assert "2 of 10" in s and "20.0 %" in s
    none = {**m, "effects": {"cnn": {"a": {**effect(0.8, 0.8, 1.0), "changed": 0}}}}
    assert "No transformation changed a single answer" in v.changed_share_sentence(none)
    s = v.summary_transformations(m, {"cnn": "the CNN"})
    assert "the CNN under the 20 Hz high-pass (-30.0 points, p = 0.030)" in s
    assert "svm" not in s
    calm = {**m, "effects": {"svm": m["effects"]["svm"]}}
    assert "no transformation changed" in v.summary_transformations(calm)
    table = v.flip_answers_table(m, 0, "b", ["rock", "jazz", "pop"], 0, {"cnn": "CNN"})
    assert "| CNN | rock ✓ | jazz (changed) |" in table and "**rock**" in table

    r1 = v.horse_range([0, 1], np.array([[0, 1], [1, 1]]), [0, 1])
    r2 = v.horse_range([0, 1], np.array([[0, 0], [1, 1]]), [0, 1])
    s = v.summary_horse({"wide": r1, "narrow": r2})
    assert s.startswith("the widest range is wide's, 50.0 % to 100.0 %")
    assert "the narrowest narrow's, 100.0 % to 100.0 % (0 movable)" in s

    assert "exact McNemar" in v.detectable_sentence(3)
    assert "at least 6 clips" in v.detectable_sentence(50)
    caps = v.caps_sentence(10, 150, 7, 8, 3, 10, [40.0, 30.0])
    assert "10 of the 150 test clips" in caps and "at most 3 clips" in caps
    assert "40, 30 dB" in caps
    caps = v.caps_sentence(150, 150, 13, 16, None, 20, [30.0])
    assert "all 150 test clips" in caps and "every clip a network gets right" in caps
    md = v.transformations_markdown(v.transformations(["gain_-6db"]))
    assert "| gain -6 dB | `validity.gain` | `db=-6.0` |" in md


def _run(levels_per_clip):
    """A fake attack run: each clip's levels as (snr, flipped, inherited)."""
    results = []
    for label, levels in levels_per_clip:
        results.append(
            {
                "label": label,
                "target": 1,
                "levels": [
                    {
                        "snr_db": snr,
                        "flipped": f,
                        "inherited": inh,
                        "steps": 3,
                        "label_after": 1 if f else label,
                        "measured_snr_db": snr + 0.2,
                        "path_label": 1,
                        "hit_target": f,
                    }
                    for snr, f, inh in levels
                ],
            }
        )
    return {
        "settings": {"snr_dbs": [40.0, 30.0]},
        "results": results,
        "clips": list(range(len(results))),
        "n_considered": 2 * len(results),
    }


def test_the_example_is_the_quietest_flip_and_said_in_words():
    a = _run([(0, [(40.0, False, False), (30.0, True, False)])])
    b = _run(
        [
            (0, [(40.0, False, False), (30.0, False, False)]),
            (2, [(40.0, True, False), (30.0, True, True)]),
        ]
    )
    assert v.pick_adversarial_example({"a": a, "b": b}) == ("b", 1, 0)
    assert (
        v.pick_adversarial_example({"a": _run([(0, [(40.0, False, False)])])}) is None
    )
    s = v.example_sentence(b, 1, 0, "the CNN", ["x", "y", "z"], "clip 7")
    assert "called clip 7 **z** (right)" in s and "toward y" in s
    assert "**y**" in s and "40.2 dB (target 40 dB)" in s
    rates = {"b": v.flip_rates(b)}
    s = v.summary_adversarial(rates, {"b": "the CNN"})
    assert s.startswith("at 30 dB, the adversary flipped the CNN 1 of 2 (50.0 %")
    d = {
        "n": {
            "lowpass": {
                "label": "4 kHz low-pass",
                "n": 2,
                "undone": 1,
                "original_kept": 2,
                "undone_share": 0.5,
            }
        }
    }
    assert "the 4 kHz low-pass undid 1 of 2 flips" in v.summary_defences(d)
    empty = {"n": {"lowpass": {**d["n"]["lowpass"], "n": 0}}}
    assert v.summary_defences(empty) == "No flip was left to defend against."


def test_the_full_runs_estimate_scales_the_measured_costs():
    assert v.full_run_estimate({"x": (10.0, 5.0, 20.0)}) == "about 40 s"
    assert v.full_run_estimate({"x": (10.0, 1.0, 60.0)}) == "about 10 minutes"
    assert v.full_run_estimate({"x": (1.0, 1.0, 7200.0)}) == "about 2.0 hours"
    full = {
        "n_test": 10,
        "seconds": 10.0,
        "transformations": 1,
        "filters": 1,
        "steps": 10,
    }
    # scoring: 2 s for 2 clips x 2 versions x 10 s -> 10 x 2 x 10 s in the full run: 10 s;
    # attacks: 4 s for 2 clips x 10 s x 10 steps (200); right share 2 of 4 -> the full run
    # attacks 0.5 x 10 clips x 10 s x 10 steps (500): 10 s
    runs = {"n": _run([(0, []), (0, [])])}
    est = v.estimate_full_run(
        {"transformations": 1.0, "horse": 1.0, "attacks": 4.0},
        2,
        1,
        1,
        10.0,
        runs,
        10,
        full,
    )
    assert est == "about 20 s"


def test_players_share_one_scale_and_amplify_the_difference():
    y = music_like(1.0, seed=4)
    html = v.players_html({"original": y, "quieter": 0.5 * y}, SR, {"added": 0.01 * y})
    assert html.count("<audio") == 3 and "<b>original</b>" in html
    assert "amplified by" in html
    assert "silent" in v.players_html({}, SR, {"added": np.zeros(100)})


def test_timings_add_up_by_name():
    t = v.Timings()
    with t("a"):
        pass
    with t("a"):
        pass
    assert set(t.seconds) == {"a"} and t.seconds["a"] >= 0


@pytest.mark.parametrize("rule", ["sum", "product"])
def test_the_tensorflow_clip_rule_is_the_books(rule):
    from mgr_utils.evaluation import aggregate_segments

    rng = np.random.default_rng(0)
    P = rng.dirichlet(np.ones(4), size=5).astype(np.float32)
    _, book = aggregate_segments(P, np.zeros(5, int), rule=rule)
    np.testing.assert_allclose(
        v.tf_clip_probabilities(P, rule).numpy(), book[0], atol=1e-6
    )


def test_the_accuracy_change_map_of_two_transformations_lays_out_without_warning():
    """Two columns and the systems' long names: the GTZAN rehearsal's page warned here."""
    import warnings

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = {
        "cnn": "Dieleman & Schrauwen's raw-waveform CNN",
        "svm": "musicnn (MSD) + linear SVM",
    }
    with matplotlib.rc_context({"figure.autolayout": True}), warnings.catch_warnings():
        warnings.simplefilter("error")
        ax = v.plot_accuracy_changes(_measured(), names)
        ax.figure.canvas.draw()
    plt.close("all")
