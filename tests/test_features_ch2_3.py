"""Chapter 2-3 feature helpers: band centres, per-segment means, what the GLCM quantises."""

from __future__ import annotations

import librosa
import numpy as np
import pytest

from mgr_utils import features

SR = 22050


def test_mel_band_centres_are_the_peaks_of_the_filterbank_triangles():
    centres = features.mel_band_centres(SR, 128)
    assert centres.shape == (128,)
    freqs = librosa.fft_frequencies(sr=SR, n_fft=8192)
    peaks = freqs[features.mel_filterbank(sr=SR, n_fft=8192, n_mels=128).argmax(axis=1)]
    np.testing.assert_allclose(centres, peaks, atol=SR / 8192)  # one bin
    # not the n_mels evenly spaced points from 0 Hz, whose first is no band's centre
    assert librosa.mel_frequencies(n_mels=128, fmax=SR / 2)[0] == 0.0
    assert centres[0] > 20.0
    # below 1 kHz the bands are about 26 Hz apart (the linear part of Slaney's scale)
    assert np.diff(centres)[centres[:-1] < 900] == pytest.approx(25.8, abs=0.1)


def test_segment_means_is_the_mean_of_each_segment_and_matches_n_segments():
    S = np.arange(2 * 10, dtype=float).reshape(2, 10)
    M = features.segment_means(S, seg_frames=4, hop_frames=2)
    assert M.shape == (features.n_segments(10, 4, 2), 2) == (4, 2)
    np.testing.assert_allclose(M[1], S[:, 2:6].mean(axis=1))
    short = features.segment_means(S[:, :3], seg_frames=4, hop_frames=2)
    np.testing.assert_allclose(short, [S[:, :3].mean(axis=1)])
    with pytest.raises(ValueError, match="hop_frames"):
        features.segment_means(S, 4, 0)
    with pytest.raises(ValueError, match="bands, frames"):
        features.segment_means(S[0], 4, 2)


def test_glcm_level_steps_are_each_segments_range_over_the_levels():
    rng = np.random.default_rng(0)
    y = (rng.standard_normal(SR * 6) * np.linspace(0.01, 1, SR * 6)).astype(np.float32)
    steps = features.glcm_level_steps(y, SR, levels=16)
    S_db = features.glcm_mel_map(y, SR)
    maps = features.glcm_maps_per_segment(y, SR, levels=16)
    assert steps.shape == (maps.shape[0],)
    first = S_db[:, :32]  # 4 s of 0.125 s frames
    assert steps[0] == pytest.approx((first.max() - first.min()) / 16, rel=1e-5)
    coarse = features.glcm_level_steps(y, SR, levels=8)
    np.testing.assert_allclose(coarse, 2 * steps, rtol=1e-6)
