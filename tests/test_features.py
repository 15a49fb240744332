"""Known-answer tests of mgr_utils.features and mgr_utils.classical (chapters 2-3)."""

from __future__ import annotations

import numpy as np
import pytest

from mgr_utils import features as F

SR = 22050


def tone_noise(
    seconds: float = 2.0, sr: int = SR, f0: float = 440.0, seed: int = 0
) -> np.ndarray:
    """A sine plus a little noise and a click every 0.5 s: enough texture for every feature."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * sr)) / sr
    y = 0.5 * np.sin(2 * np.pi * f0 * t) + 0.05 * rng.standard_normal(t.size)
    y[:: sr // 2] += 0.9
    return y.astype(np.float32)


# ------------------------------------------------------------------ frames, segments, patches


@pytest.mark.parametrize(
    "n_samples, hop, center, n_fft, expected",
    [
        (661_500, 512, True, None, 1292),  # 30 s GTZAN clip: 1 + 661500 // 512
        (22_050, 512, True, None, 44),  # 1 + 22050 // 512
        (22_050, 512, False, 2048, 40),  # 1 + (22050 - 2048) // 512
        (88_200, 2756, False, 2756, 32),  # Nakashika's 4 s piece in 0.125 s frames
        (1000, 512, False, 2048, 0),  # shorter than one frame
    ],
)
def test_n_frames_known(n_samples, hop, center, n_fft, expected):
    assert F.n_frames(n_samples, hop, center=center, n_fft=n_fft) == expected


@pytest.mark.parametrize(
    "n_samples, center", [(22_050, True), (22_050, False), (5_000, True)]
)
def test_n_frames_matches_librosa(n_samples, center):
    S = F.stft_magnitude(
        np.zeros(n_samples, np.float32), n_fft=2048, hop_length=512, center=center
    )
    assert S.shape == (1025, F.n_frames(n_samples, 512, center=center, n_fft=2048))


@pytest.mark.parametrize(
    "seconds_clip, seconds, overlap, expected",
    [
        (30.0, 3.0, 0.5, 19),  # 1 + (30 - 3) // 1.5
        (30.0, 4.0, 0.5, 14),  # Nakashika's 14 pieces of 4 s, 2 s hop
        (30.0, 3.0, 0.0, 10),
        (10.0, 3.0, 0.5, 5),  # 1 + floor(7 / 1.5) = 1 + 4; the last 1 s is dropped
        (3.0, 3.0, 0.5, 1),
    ],
)
def test_segment_counts(seconds_clip, seconds, overlap, expected):
    sr = 100  # small sample rate keeps the arrays tiny; the formula is the same
    y = np.arange(int(seconds_clip * sr), dtype=np.float32)
    seg = F.segment(y, sr, seconds=seconds, overlap=overlap)
    assert seg.shape == (expected, int(seconds * sr))
    assert (
        F.n_segments(
            y.size, int(seconds * sr), int(round(seconds * sr * (1 - overlap)))
        )
        == expected
    )
    hop = int(round(seconds * sr * (1 - overlap)))
    for k in range(expected):  # segment k starts at sample k * hop
        assert seg[k, 0] == k * hop


def test_short_clip_gives_one_zero_padded_segment():
    y = np.ones(150, np.float32)
    seg = F.segment(y, 100, seconds=3.0, overlap=0.5)
    assert seg.shape == (1, 300)
    assert seg[0, :150].sum() == 150 and not seg[0, 150:].any()


def test_segment_rejects_bad_overlap():
    with pytest.raises(ValueError):
        F.segment(np.zeros(1000), 100, overlap=1.0)


def test_patches_costa_geometry():
    S = np.arange(256 * 800, dtype=np.float32).reshape(256, 800)
    P = F.patches(S)  # 256 x 16, no overlap: 800 / 16 = 50
    assert P.shape == (50, 256, 16)
    np.testing.assert_array_equal(P[1], S[:, 16:32])
    assert F.patches(S, hop=8).shape == (
        1 + (800 - 16) // 8,
        256,
        16,
    )  # 99 half-overlapping
    Q = F.patches(S, height=128)  # two frequency bands x 50
    assert Q.shape == (100, 128, 16)
    np.testing.assert_array_equal(Q[50], S[128:256, 0:16])
    assert F.patches(S[:, :10]).shape == (0, 256, 16)


# ------------------------------------------------------------------ spectrograms


@pytest.mark.parametrize("n_fft, n_mels", [(2048, 128), (2756, 40), (1024, 96)])
def test_mel_filterbank_shape(n_fft, n_mels):
    M = F.mel_filterbank(sr=SR, n_fft=n_fft, n_mels=n_mels)
    assert M.shape == (n_mels, 1 + n_fft // 2)
    assert (M >= 0).all() and (M.sum(axis=1) > 0).all()  # no empty filter


def test_mel_and_log_mel_match_librosa():
    import librosa

    y = tone_noise(1.0)
    M = F.mel_spectrogram(y, SR, n_fft=2048, hop_length=512, n_mels=64)
    ref = librosa.feature.melspectrogram(
        y=y, sr=SR, n_fft=2048, hop_length=512, n_mels=64
    )
    np.testing.assert_allclose(M, ref, rtol=1e-4, atol=1e-6 * ref.max())
    L = F.log_mel(y, SR, n_mels=64)
    assert L.shape == (64, F.n_frames(y.size, 512)) and L.dtype == np.float32
    assert L.max() == pytest.approx(0.0) and L.min() >= -80.0 - 1e-4
    # The same from a precomputed STFT magnitude.
    np.testing.assert_allclose(
        F.log_mel(S=F.stft_magnitude(y), sr=SR, n_mels=64), L, atol=1e-4
    )


def test_stft_of_a_sine_peaks_at_its_bin():
    sr, n_fft = 8000, 1024
    t = np.arange(sr) / sr
    y = np.sin(2 * np.pi * 1000.0 * t).astype(
        np.float32
    )  # 1000 Hz = bin 1000 * 1024 / 8000 = 128
    S = F.stft_magnitude(y, n_fft=n_fft, hop_length=256)
    assert int(np.median(S.argmax(axis=0))) == 128


# ------------------------------------------------------------------ quantisation


def test_quantize_known_values_and_range():
    np.testing.assert_array_equal(
        F.quantize(np.array([0.0, 0.5, 1.0]), levels=4), [0, 2, 3]
    )
    S = np.linspace(-80, 0, 1000).reshape(10, 100)
    q = F.quantize(S, levels=16)
    assert q.dtype == np.uint8 and q.min() == 0 and q.max() == 15
    assert np.all(
        np.bincount(q.ravel(), minlength=16) > 0
    )  # every level used by a ramp
    assert not F.quantize(np.full((3, 3), 7.0)).any()  # constant image -> zeros
    assert F.quantize(S, levels=256).max() == 255


# ------------------------------------------------------------------ LBP


def test_lbp_known_codes_by_hand():
    # P = 4, R = 1: neighbours at exact pixels, p = 0 right, 1 up, 2 left, 3 down.
    # Centre 3: right 9 >= 3 (bit 0), up 5 >= 3 (bit 1), left 1 < 3, down 2 < 3 -> 1 + 2 = 3.
    img = np.array([[0, 5, 0], [1, 3, 9], [0, 2, 0]], dtype=np.uint8)
    assert F.lbp(img, P=4, R=1, method="default")[1, 1] == 3
    assert F.lbp(img, P=4, R=1, method="uniform")[1, 1] == 2  # 0011: uniform, two ones
    # Left and right high: 0101 = 5 has four 0/1 transitions -> not uniform -> P + 1 = 5.
    img2 = np.array([[0, 0, 0], [9, 3, 9], [0, 0, 0]], dtype=np.uint8)
    assert F.lbp(img2, P=4, R=1, method="default")[1, 1] == 5
    assert F.lbp(img2, P=4, R=1, method="uniform")[1, 1] == 5
    # P = 8: every neighbour (even interpolated diagonals) above the centre -> all ones = 255.
    hi = np.full((3, 3), 9, dtype=np.uint8)
    hi[1, 1] = 5
    assert F.lbp(hi, P=8, R=1, method="default")[1, 1] == 255
    assert F.lbp(hi, P=8, R=1, method="uniform")[1, 1] == 8
    lo = np.full((3, 3), 1, dtype=np.uint8)
    lo[1, 1] = 5
    assert F.lbp(lo, P=8, R=1, method="default")[1, 1] == 0


def test_lbp_bins():
    assert F.lbp_n_bins(8, "nri_uniform") == 59  # Costa's 59-dimensional zone vector
    assert F.lbp_n_bins(8, "uniform") == 10
    assert F.lbp_n_bins(8, "default") == 256
    rng = np.random.default_rng(0)
    codes = F.lbp(
        rng.integers(0, 256, (40, 40)).astype(np.uint8), P=8, R=2, method="nri_uniform"
    )
    assert codes.min() >= 0 and codes.max() <= 58


def test_lbp_zone_histograms_leave_out_the_padded_border():
    """A flat image with one dark pixel: every LBP code is the flat code, except around the dark pixel.

    scikit-image compares the neighbours that fall outside the image with 0, so its codes along the
    border of a bright flat image are not the flat code: the zone histograms must not count them.
    """
    R = 2
    image = np.full((30, 40), 1.0)
    image[15, 20] = 0.0  # in zone 7 of 15 (rows 14-15)
    flat = int(
        F.lbp(np.full((7, 7), 9, np.uint8), P=8, R=R, method="nri_uniform")[3, 3]
    )
    codes = F.lbp(F.quantize(image, 256), P=8, R=R, method="nri_uniform")
    assert (codes[:R] != flat).all() and (codes[:, :R] != flat).all(), (
        "the padding artefact this guards against"
    )
    far = np.abs(np.arange(30) - 15)[:, None] > R
    assert (codes[R:-R, R:-R][far[R:-R, 0]] == flat).all(), (
        "inside, away from the dark pixel: flat"
    )

    H = F.lbp_zone_histograms(image, n_zones=15, P=8, R=R)
    assert H.shape == (15, 59) and H.dtype == np.float32
    edges = F.zone_edges(30, 15)
    for z in range(1, 14):
        if (
            edges[z + 1] <= 15 - R or edges[z] > 15 + R
        ):  # zones the dark pixel's circles do not reach
            assert H[z, flat] == 1.0, (z, H[z].nonzero())
    dark = int(np.searchsorted(edges, 15, side="right") - 1)
    assert H[dark, flat] < 1.0 and H[dark].sum() == pytest.approx(1.0)
    # Zones 0 and 14 hold rows 0-1 and 28-29, all within R of the edge: nothing is left of them.
    assert H[0].sum() == H[14].sum() == 0.0


# ------------------------------------------------------------------ GLCM

# Haralick, Shanmugam & Dinstein (1973), Fig. 2: the classic 4 x 4 image with grey levels 0-3.
HARALICK = np.array(
    [[0, 0, 1, 1], [0, 0, 1, 1], [0, 2, 2, 2], [2, 2, 3, 3]], dtype=np.uint8
)


def test_glcm_haralick_counts_by_hand():
    G = F.glcm(HARALICK, distances=(1,), angles=(0.0,), levels=4, normed=False)
    assert G.shape == (4, 4, 1)
    # Horizontal neighbours, left -> right, counted by hand row by row:
    # (0,0) x2, (0,1) x2, (1,1) x2 | (0,2), (2,2) x2 | (2,2), (2,3), (3,3)
    expected = [[2, 2, 1, 0], [0, 2, 0, 0], [0, 0, 3, 1], [0, 0, 0, 1]]
    np.testing.assert_array_equal(G[:, :, 0], expected)
    # Haralick's own (symmetric) horizontal matrix is the count plus its transpose.
    S = F.glcm(HARALICK, angles=(0.0,), levels=4, symmetric=True, normed=False)[:, :, 0]
    np.testing.assert_array_equal(
        S, [[4, 2, 1, 0], [2, 4, 0, 0], [1, 0, 6, 1], [0, 0, 1, 2]]
    )


def test_glcm_vertical_offset_by_hand():
    # pi/2 pairs (r, c) with (r + 1, c). Column by column, top -> bottom:
    # col 0: (0,0) (0,0) (0,2); col 1: (0,0) (0,2) (2,2); cols 2, 3: (1,1) (1,2) (2,3) each.
    G = F.glcm(HARALICK, angles=(np.pi / 2,), levels=4, normed=False)[:, :, 0]
    np.testing.assert_array_equal(
        G, [[3, 0, 2, 0], [0, 2, 2, 0], [0, 0, 1, 2], [0, 0, 0, 0]]
    )


def test_glcm_diagonal_offsets_by_hand():
    # 45° pairs (r, c) with (r + 1, c + 1); 135° with (r + 1, c - 1). Row by row of HARALICK:
    # 45°:  (0,0) (0,1) (1,1) | (0,2) (0,2) (1,2) | (0,2) (2,3) (2,3)
    # 135°: (0,0) (1,0) (1,1) | (0,0) (1,2) (1,2) | (2,2) (2,2) (2,3)
    G45 = F.glcm(HARALICK, angles=(np.pi / 4,), levels=4, normed=False)[:, :, 0]
    np.testing.assert_array_equal(
        G45, [[1, 1, 3, 0], [0, 1, 1, 0], [0, 0, 0, 2], [0, 0, 0, 0]]
    )
    G135 = F.glcm(HARALICK, angles=(3 * np.pi / 4,), levels=4, normed=False)[:, :, 0]
    np.testing.assert_array_equal(
        G135, [[2, 0, 0, 0], [1, 1, 2, 0], [0, 0, 2, 1], [0, 0, 0, 0]]
    )
    # The four angles of the default stack are, in order, 0°, 45°, 90°, 135°.
    G = F.glcm(HARALICK, levels=4, normed=False)
    np.testing.assert_array_equal(G[:, :, 1], G45)
    np.testing.assert_array_equal(G[:, :, 3], G135)


def test_costa_patches_put_each_moment_in_its_patch():
    """A tone burst at t seconds lands in patch floor(t * sr / hop / 2 / 16): frame, downscale, width."""
    for t in (0.5, 2.0, 5.0, 7.3):
        y = np.zeros(10 * SR, np.float32)
        n0 = int(t * SR)
        y[n0 : n0 + 800] = np.sin(2 * np.pi * 1000 * np.arange(800) / SR)
        P = F.costa_patches(y, SR)
        # 10 s: 1 + 220500 // 827 = 267 frames -> 134 columns -> 8 whole patches of 16.
        assert P.shape == (8, 256, 16, 1)
        column = t * SR / F.COSTA_HOP_LENGTH / 2
        assert P[..., 0].mean(axis=(1, 2)).argmax() == int(column // 16), t
        # Within its patch, the loudest column is the burst's, and 1 kHz sits in row 1000 / (sr / 1024) / 2.
        k = int(column // 16)
        assert abs(P[k, :, :, 0].mean(axis=0).argmax() - (column - 16 * k)) <= 1
        assert abs(P[k, :, :, 0].mean(axis=1).argmax() - 1000 / (SR / 1024) / 2) <= 1


def test_glcm_normalised_stack():
    G = F.glcm(HARALICK, levels=4)  # four angles
    assert G.shape == (4, 4, 4) and G.dtype == np.float32
    np.testing.assert_allclose(G.sum(axis=(0, 1)), 1.0, rtol=1e-6)
    assert F.glcm(HARALICK, distances=(1, 2), levels=4).shape == (4, 4, 8)
    with pytest.raises(ValueError):
        F.glcm(HARALICK, levels=2)  # values above levels - 1


def test_glcm_maps_per_segment():
    y = tone_noise(10.0)
    G = F.glcm_maps_per_segment(y, SR)  # 4 s segments, 2 s hop -> 1 + (10 - 4) // 2 = 4
    assert G.shape == (4, 16, 16, 4) and G.dtype == np.float32
    np.testing.assert_allclose(G.sum(axis=(1, 2)), 1.0, rtol=1e-5)
    assert F.glcm_mel_map(y, SR).shape == (
        40,
        F.n_frames(y.size, 2756, center=False, n_fft=2756),
    )
    assert F.glcm_maps_per_segment(tone_noise(1.0), SR).shape == (
        1,
        16,
        16,
        4,
    )  # short clip


def test_texture_features_one_pass():
    out = F.texture_features(tone_noise(5.0), SR)
    assert set(out) == {"log_mel", "lbp", "glcm"}
    assert out["log_mel"].shape == (128, F.n_frames(5 * SR, 512))
    assert out["lbp"].shape == (15, 59)
    assert out["glcm"].shape == (1, 16, 16, 4)  # 1 + (5 - 4) // 2 segments


# ------------------------------------------------------------------ descriptors


def test_descriptors_shape_and_finite():
    d = F.descriptors(tone_noise(3.0), SR)
    assert d.shape == (len(F.DESCRIPTOR_NAMES),) == (61,)
    assert np.isfinite(d).all()
    assert len(set(F.DESCRIPTOR_NAMES)) == 61
    # A pure 440 Hz sine: spectral centroid and roll-off near 440 Hz, no zero-crossing surprises
    # (2 * 440 crossings per second = 880 / 22050 per sample).
    t = np.arange(3 * SR) / SR
    d = F.descriptors(np.sin(2 * np.pi * 440.0 * t).astype(np.float32), SR)
    named = dict(zip(F.DESCRIPTOR_NAMES, d))
    assert named["centroid_mean"] == pytest.approx(440, rel=0.05)
    assert named["rolloff_mean"] == pytest.approx(440, rel=0.1)
    assert named["zcr_mean"] == pytest.approx(880 / SR, rel=0.05)
    assert np.isfinite(
        F.descriptors(np.zeros(100, np.float32), SR)
    ).all()  # silence, too short


# ------------------------------------------------------------------ classical classifiers


def _blobs(n_per_class=8, n_classes=3, n_features=6, seed=0):
    rng = np.random.default_rng(seed)
    y = np.repeat(np.arange(n_classes), n_per_class)
    X = (
        rng.normal(0, 0.3, (y.size, n_features))
        + 3.0 * np.eye(n_classes, n_features)[y]
    )
    return X, y


def test_descriptor_svm_generalises_to_held_out_blobs():
    from mgr_utils.classical import descriptor_svm

    X, y = _blobs()
    clf = descriptor_svm(seed=0).fit(X, y)
    Xt, yt = _blobs(n_per_class=20, seed=1)  # never seen in fit
    P = clf.predict_proba(Xt)
    assert P.shape == (yt.size, 3)
    np.testing.assert_allclose(P.sum(axis=1), 1.0, rtol=1e-6)
    assert (clf.predict(Xt) == yt).mean() >= 0.9
    assert (clf.predict(Xt) == P.argmax(axis=1)).all(), (
        "predict agrees with predict_proba"
    )
    assert set(clf.best_params_) == {"C", "gamma"} and 0 < clf.cv_score_ <= 1
    # Labels shuffled: nothing to learn, and held-out accuracy falls to chance.
    noise = descriptor_svm(seed=0).fit(X, np.random.default_rng(3).permutation(y))
    assert (noise.predict(Xt) == yt).mean() < 0.6


def _zone_blobs(n, seed):
    rng = np.random.default_rng(seed)
    zones, bins = 3, 5
    y = np.repeat(np.arange(3), n // 3)
    X = rng.dirichlet(
        np.ones(bins), size=(n, zones)
    )  # histograms; class shifts mass to bin y
    X[np.arange(n), :, y] += 2.0
    return X / X.sum(axis=2, keepdims=True), y


def test_lbp_zone_svm_generalises_and_fuses_its_zones():
    from mgr_utils.classical import LBPZoneSVM

    X, y = _zone_blobs(24, seed=0)
    Xt, yt = _zone_blobs(30, seed=1)
    clf = LBPZoneSVM(rule="product", C_grid=(1.0, 10.0), gamma_grid=("scale",)).fit(
        X, y
    )
    assert len(clf.zone_models_) == 3 and len(clf.zone_proba(Xt)) == 3
    for rule in ("sum", "product", "max", "min"):
        P = clf.predict_proba(Xt, rule=rule)
        assert P.shape == (30, 3)
        np.testing.assert_allclose(P.sum(axis=1), 1.0, rtol=1e-6)
        assert (clf.predict(Xt, rule=rule) == yt).mean() >= 0.9, rule
    # The fused product is the normalised product of the zones' probabilities.
    Z = np.prod(clf.zone_proba(Xt), axis=0)
    np.testing.assert_allclose(
        clf.predict_proba(Xt, rule="product"),
        Z / Z.sum(axis=1, keepdims=True),
        rtol=1e-6,
    )
    with pytest.raises(ValueError):
        clf.predict_proba(Xt[:, :2])  # wrong number of zones


def test_frame_windows_counts_starts_and_short_inputs():
    x = np.arange(10)
    W = F.frame_windows(
        x, 4, 3
    )  # starts 0, 3, 6: 1 + (10 - 4) // 3 = 3 windows; item 9 dropped
    np.testing.assert_array_equal(W, [[0, 1, 2, 3], [3, 4, 5, 6], [6, 7, 8, 9]][:3])
    assert F.frame_windows(np.arange(9), 4, 3).shape == (2, 4)
    X = np.arange(12).reshape(
        6, 2
    )  # frames of 2 features: windows keep the feature axis last
    np.testing.assert_array_equal(F.frame_windows(X, 3, 3)[1], X[3:6])
    short = np.array([[1, 2], [3, 4]])
    assert F.frame_windows(short, 3, 1).shape == (0, 3, 2)
    np.testing.assert_array_equal(
        F.frame_windows(short, 3, 1, short="zeros")[0], [[1, 2], [3, 4], [0, 0]]
    )
    np.testing.assert_array_equal(
        F.frame_windows(short, 3, 1, short="edge")[0], [[1, 2], [3, 4], [3, 4]]
    )
    W[0, 0] = 99
    assert x[0] == 0, "a copy, not a view"
    with pytest.raises(ValueError, match="hop must be a positive whole number"):
        F.frame_windows(x, 4, 0)
    with pytest.raises(ValueError, match="short"):
        F.frame_windows(x, 4, 1, short="wrap")
