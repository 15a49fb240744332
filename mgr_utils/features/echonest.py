"""A stand-in for the Million Song Dataset's Echo Nest features: 12 chroma + 12 timbre values per frame.

Dieleman, Brakel & Schrauwen (2011) did not hear audio: the Million Song Dataset distributes, per
track, the Echo Nest analysis, whose *segments* (short, onset-delimited events) each carry 12
**chroma** values (pitch-class energies, the largest scaled to 1) and 12 **timbre** coefficients
(a proprietary, MFCC-like description of the spectral shape; the first tracks loudness). That the
paper's input is these 24 values, beat-aligned, is **not verified** (the paper's text was not read).

The Echo Nest analyser is closed and gone, so this module computes a **stand-in** with librosa
(McFee et al. 2015): on one power spectrogram, the 12-bin chroma (librosa's ``chroma_stft``, each
frame scaled so its largest bin is 1, as the Echo Nest's) and MFCCs 1-12 (MFCC 0, the frame's
overall level, left out; the timbre stand-in is MFCC-like, not the Echo Nest's own basis). Frames
are on a fixed hop, not onset-delimited segments; beat-synchronous averaging is an option.

Every function is a module-level ``fn(y, sr, **params)`` that never imports TensorFlow, so the
feature cache (:func:`mgr_utils.cache.extract`) can run it in worker processes.

Notebook: ``08_pretraining.ipynb``.
"""

from __future__ import annotations

import numpy as np

from mgr_utils import SR
from mgr_utils.features.spectrograms import check_positive, frame_windows

N_CHROMA = 12
"""Chroma values per frame (pitch classes C, C#, ..., B)."""

N_TIMBRE = 12
"""Timbre values per frame (the stand-in: MFCCs 1-12)."""

N_FEATURES = N_CHROMA + N_TIMBRE
"""Values per frame: 24, chroma first, then timbre."""

FEATURE_NAMES = tuple(
    [
        f"chroma {p}"
        for p in ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
    ]
    + [f"timbre {k}" for k in range(1, N_TIMBRE + 1)]
)
"""Names of the 24 values of a frame, in order (chroma by pitch class, then MFCC 1-12)."""

ECHONEST_N_FFT = 2048
"""STFT size of the stand-in (93 ms at 22,050 Hz); ours."""

ECHONEST_HOP_LENGTH = 1024
"""Hop of the stand-in's frames (46 ms at 22,050 Hz, about 22 frames per second); ours. The Echo
Nest's segments last about a quarter of a second on average, with no fixed hop."""


def echonest_features(
    y: np.ndarray,
    sr: int = SR,
    n_fft: int = ECHONEST_N_FFT,
    hop_length: int = ECHONEST_HOP_LENGTH,
    n_mels: int = 40,
    beat_sync: bool = False,
) -> np.ndarray:
    """One clip's sequence of 24-dimensional frames: 12 chroma, then 12 timbre values (a stand-in).

    On the power spectrogram ``|STFT|^2`` (``n_fft``, ``hop_length``):

    * **chroma**: ``librosa.feature.chroma_stft`` (12 pitch classes, each frame divided by its
      largest value, as the Echo Nest's chroma);
    * **timbre**: MFCCs 1-12 of an ``n_mels``-band log-mel spectrogram (``librosa.feature.mfcc``;
      MFCC 0, the overall level, is left out).

    With ``beat_sync=True`` the frames are averaged between the beats ``librosa.beat.beat_track``
    finds (the paper's input was reportedly beat-aligned [U]); a clip where no beat is found keeps
    one frame, the mean of all.

    Notebook: ``08_pretraining.ipynb``.

    Args:
        y: Mono audio.
        sr: Sample rate in Hz.
        n_fft: STFT size in samples.
        hop_length: Hop between frames in samples.
        n_mels: Mel bands the MFCCs are computed from.
        beat_sync: Average the frames beat by beat.

    Returns:
        float32 ``(n_frames, 24)``: ``1 + len(y) // hop_length`` frames (librosa's centred
        frames), or one per inter-beat interval with ``beat_sync``.

    Raises:
        ValueError: A size that is not a positive whole number.
    """
    import librosa

    for name, value in (
        ("n_fft", n_fft),
        ("hop_length", hop_length),
        ("n_mels", n_mels),
    ):
        check_positive(name, value)
    y = np.asarray(y, dtype=np.float32)
    S = np.abs(librosa.stft(y=y, n_fft=n_fft, hop_length=hop_length)) ** 2
    chroma = librosa.feature.chroma_stft(S=S, sr=sr, n_fft=n_fft, n_chroma=N_CHROMA)
    mel_db = librosa.power_to_db(
        librosa.feature.melspectrogram(S=S, sr=sr, n_fft=n_fft, n_mels=n_mels)
    )
    timbre = librosa.feature.mfcc(S=mel_db, n_mfcc=N_TIMBRE + 1)[1:]
    F = np.concatenate([chroma, timbre], axis=0)  # (24, n_frames)
    if beat_sync:
        _, beats = librosa.beat.beat_track(y=y, sr=sr, hop_length=hop_length)
        F = (
            librosa.util.sync(data=F, idx=beats, aggregate=np.mean)
            if len(beats)
            else F.mean(axis=1, keepdims=True)
        )
    return F.T.astype(np.float32)


def echonest_windows(
    y: np.ndarray,
    sr: int = SR,
    frames: int = 64,
    hop: int = 32,
    n_fft: int = ECHONEST_N_FFT,
    hop_length: int = ECHONEST_HOP_LENGTH,
    beat_sync: bool = False,
) -> np.ndarray:
    """A clip's stand-in features cut into windows of ``frames`` frames, ``hop`` frames apart.

    The network of chapter 8 sees one window at a time (64 frames: about 3 s with the default
    hop); a clip's decision aggregates its windows. A clip shorter than one window gives one
    window, padded with its last frame.

    Notebook: ``08_pretraining.ipynb``.

    Args:
        y: Mono audio.
        sr: Sample rate in Hz.
        frames: Frames per window.
        hop: Frames between the starts of consecutive windows (``hop == frames``: no overlap).
        n_fft, hop_length, beat_sync: As :func:`echonest_features` (with ``beat_sync``
            a frame is one beat, so ``frames`` and ``hop`` count beats).

    Returns:
        float32 ``(n_windows, frames, 24)``, ``n_windows = 1 + (n_frames - frames) // hop``.

    Raises:
        ValueError: ``frames`` or ``hop`` not a positive whole number.
    """
    check_positive("frames", frames)
    check_positive("hop", hop)
    F = echonest_features(
        y, sr, n_fft=n_fft, hop_length=hop_length, beat_sync=beat_sync
    )
    return frame_windows(F, frames, hop, short="edge")
