"""The classical per-clip descriptor vector (MFCCs, spectral shape, zero crossings, tempo).

Notebook: ``03_texture_features.ipynb`` (first used in ``01_datasets.ipynb``).
"""

from __future__ import annotations

import numpy as np

from mgr_utils import SR
from mgr_utils.features.spectrograms import mel_spectrogram, stft_magnitude

_FRAME_FEATURES = (
    ("centroid", "rolloff") + tuple(f"contrast{i}" for i in range(7)) + ("zcr",)
)
DESCRIPTOR_NAMES: tuple[str, ...] = (
    tuple(f"mfcc{i}_{s}" for s in ("mean", "std") for i in range(20))
    + tuple(f"{f}_{s}" for s in ("mean", "std") for f in _FRAME_FEATURES)
    + ("tempo",)
)
"""Names of the :func:`descriptors` vector, in order (61 values)."""


def _tempo(onset_envelope: np.ndarray, sr: int, hop_length: int) -> float:
    """Global tempo estimate in BPM; ``librosa.feature.rhythm.tempo`` (0.10+) or ``librosa.beat.tempo``."""
    import librosa

    try:
        from librosa.feature.rhythm import tempo as tempo_fn
    except ImportError:  # librosa < 0.10
        tempo_fn = librosa.beat.tempo
    return float(
        np.atleast_1d(
            tempo_fn(onset_envelope=onset_envelope, sr=sr, hop_length=hop_length)
        )[0]
    )


def descriptors(
    y: np.ndarray, sr: int = SR, n_fft: int = 2048, hop_length: int = 512
) -> np.ndarray:
    """Classical per-clip descriptor vector for the three-step pipeline (features → statistics → SVM).

    In the spirit of the acoustic baselines Costa et al. compare with (Costa et al. 2017) and of
    Tzanetakis-style GTZAN features; the selection is *our reading*, chosen to be quick and
    standard: 20 MFCCs, spectral centroid, 85 % roll-off, spectral contrast (6 bands + valley
    row = 7), zero-crossing rate (each summarised by its mean and standard deviation over frames)
    and the global tempo. One STFT feeds every spectral feature. Names: :data:`DESCRIPTOR_NAMES`.

    Notebook: ``03_texture_features.ipynb``.

    Args:
        y: Mono audio.
        sr: Sample rate.
        n_fft, hop_length: STFT parameters.

    Returns:
        float32 vector of length ``len(DESCRIPTOR_NAMES)`` (61), all finite.
    """
    import librosa

    y = np.asarray(y, dtype=np.float32)
    if y.shape[0] < n_fft:
        y = np.pad(y, (0, n_fft - y.shape[0]))
    S = stft_magnitude(y, n_fft=n_fft, hop_length=hop_length)
    mel_db = librosa.power_to_db(
        S=mel_spectrogram(S=S, sr=sr, n_mels=128), ref=1.0, top_db=None
    )
    mfcc = librosa.feature.mfcc(S=mel_db, n_mfcc=20)
    frame_feats = np.vstack(
        [
            librosa.feature.spectral_centroid(S=S, sr=sr),
            librosa.feature.spectral_rolloff(S=S, sr=sr, roll_percent=0.85),
            librosa.feature.spectral_contrast(S=S, sr=sr),
            librosa.feature.zero_crossing_rate(
                y=y, frame_length=n_fft, hop_length=hop_length
            ),
        ]
    )
    onset = librosa.onset.onset_strength(S=mel_db, sr=sr)
    v = np.concatenate(
        [
            mfcc.mean(axis=1),
            mfcc.std(axis=1),
            frame_feats.mean(axis=1),
            frame_feats.std(axis=1),
            [_tempo(onset, sr, hop_length)],
        ]
    )
    return np.nan_to_num(v, nan=0.0, posinf=0.0, neginf=0.0).astype(np.float32)
