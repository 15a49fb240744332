"""Network inputs of the spectrogram CNNs, one function per paper (chapters 4-6).

Each is a module-level ``fn(y, sr, **params)`` returning one clip's segments, so the feature cache
(:func:`mgr_utils.cache.extract`) can run it in worker processes and store its result.

Notebook: ``04_costa_cnn.ipynb`` (Costa), ``06_zhang_cnn.ipynb`` (Zhang).
"""

from __future__ import annotations

import numpy as np

from mgr_utils import SR
from mgr_utils.features.spectrograms import downscale, patches, stft_magnitude

COSTA_N_FFT = 1024
"""Costa et al.'s DFT size: a 1,024-sample Hann window (Costa et al. 2017, [P])."""

COSTA_HOP_LENGTH = 827
"""Our reading of Costa et al.'s STFT hop, which the paper does not state: at 22,050 Hz, 827 samples
give 1,600 frames per 60 s excerpt, hence the paper's 800 columns after its 50 % downscale (one
16-column patch is then 1.2 s). The one place this value is written (chapters 2 and 4 read it)."""


def costa_patches(
    y: np.ndarray,
    sr: int = SR,
    n_fft: int = COSTA_N_FFT,
    hop_length: int = COSTA_HOP_LENGTH,
    scale: float = 0.5,
    width: int = 16,
    hop: int = 16,
    top_db: float = 80.0,
) -> np.ndarray:
    """Costa's CNN input: a clip's spectrogram image, downscaled by half, cut into 256 × 16 patches.

    Costa et al. (2017) take the DFT with a **1 024-sample Hann window**, downscale the spectrogram
    image **by 50 %** (513 bins → 256 rows) and cut it into **256 × 16 patches**, the test images
    **without overlap** ([P]). *Ours*: the hop, :data:`COSTA_HOP_LENGTH` (827 samples: the
    paper's 800 columns per 60 s; a column is 75 ms and a patch 1.2 s), the dB scale (``ref`` = the
    clip's maximum, ``top_db`` 80), the **whole clip** instead of the paper's 60 s excerpt, and
    the training overlap (pass ``hop=8`` for 50 %; the paper does not state it).

    Notebook: ``04_costa_cnn.ipynb``.

    Args:
        y: Mono audio.
        sr: Sample rate in Hz.
        n_fft, hop_length: STFT size and hop.
        scale: Downscale factor of the image (0.5 as the paper).
        width: Patch width in columns (16).
        hop: Hop between patches in columns (16: no overlap).
        top_db: Dynamic range kept below the clip's maximum.

    Returns:
        float32 ``(n_patches, rows, width, 1)`` (``rows = 256`` with the defaults).
    """
    import librosa

    S = stft_magnitude(y, n_fft=n_fft, hop_length=hop_length)
    S_db = librosa.amplitude_to_db(S, ref=np.max, top_db=top_db)
    P = patches(downscale(S_db, scale), width=width, hop=hop)
    return P[..., None].astype(np.float32, copy=False)


def costa_mel_patches(
    y: np.ndarray,
    sr: int = SR,
    n_mels: int = 256,
    n_fft: int = COSTA_N_FFT,
    hop_length: int = 2 * COSTA_HOP_LENGTH,
    width: int = 16,
    hop: int = 16,
    top_db: float = 80.0,
) -> np.ndarray:
    """Costa's patches cut from a log-mel spectrogram instead of the linear one (an exercise).

    Chapter 4's exercise 4 swaps the input of :func:`costa_patches`: ``n_mels`` mel bands in
    dB (``ref`` = the clip's maximum, ``top_db`` 80) replace the downscaled linear rows, and
    the STFT hop is doubled instead of downscaling the time axis, so a column lasts as long
    as a column of :func:`costa_patches` (75 ms) and a patch covers the same 1.2 s.

    Notebook: ``04_costa_cnn.ipynb`` (exercise 4).

    Args:
        y: Mono audio.
        sr: Sample rate in Hz.
        n_mels: Mel bands (the patch's rows).
        n_fft, hop_length: STFT size and hop.
        width: Patch width in columns.
        hop: Hop between patches in columns (16: no overlap).
        top_db: Dynamic range kept below the clip's maximum.

    Returns:
        float32 ``(n_patches, n_mels, width, 1)``.
    """
    from mgr_utils.features.spectrograms import log_mel

    y = np.asarray(y, dtype=np.float32)
    S_db = log_mel(
        y, sr, n_fft=n_fft, hop_length=hop_length, n_mels=n_mels, top_db=top_db
    )
    P = patches(S_db, width=width, hop=hop)
    return P[..., None].astype(np.float32, copy=False)


def stft_segments(
    y: np.ndarray,
    sr: int = SR,
    seconds: float = 3.0,
    overlap: float = 0.5,
    n_fft: int = 1024,
    hop_length: int = 512,
    top_db: float = 80.0,
) -> np.ndarray:
    """Zhang's CNN input: linear-frequency STFT magnitude frames of a clip's segments, time first.

    Zhang et al. (2016) feed "simply the short time Fourier transforms" ([S]: the abstract);
    the STFT size, hop and segment length are [U]. *Ours*: ``n_fft = 1024``, hop 512 (as Kereliuk
    et al.'s STFT-frame systems on GTZAN [C]), 513 bins; 3 s segments with 50 % overlap (the
    survey's "segments of a few seconds with 50 % overlap"); magnitudes in dB (``ref`` = the clip's
    maximum, ``top_db`` 80). The STFT is computed once per clip and cut in the frame domain:
    ``round(seconds * sr / hop_length)`` frames per segment (129 for 3 s), hop scaled by
    ``1 - overlap``; a clip shorter than one segment gives one segment padded at -``top_db``.

    Notebook: ``06_zhang_cnn.ipynb``.

    Args:
        y: Mono audio.
        sr: Sample rate in Hz.
        seconds, overlap: Segment length and overlap.
        n_fft, hop_length: STFT size and hop.
        top_db: Dynamic range kept below the clip's maximum.

    Returns:
        float32 ``(n_segments, n_frames, 1 + n_fft // 2)``.
    """
    import librosa

    y = np.asarray(y, dtype=np.float32)
    if y.shape[0] < n_fft:
        y = np.pad(y, (0, n_fft - y.shape[0]))
    S = stft_magnitude(y, n_fft=n_fft, hop_length=hop_length)
    S_db = librosa.amplitude_to_db(S, ref=np.max, top_db=top_db).T  # (frames, bins)
    seg = max(1, int(round(seconds * sr / hop_length)))
    step = max(1, int(round(seg * (1.0 - overlap))))
    if S_db.shape[0] < seg:
        pad = np.full(
            (seg - S_db.shape[0], S_db.shape[1]), S_db.min(initial=-top_db), np.float32
        )
        S_db = np.concatenate([S_db, pad])
    n = 1 + (S_db.shape[0] - seg) // step
    return np.stack([S_db[k * step : k * step + seg] for k in range(n)]).astype(
        np.float32
    )
