"""Choi et al.'s network input: linear-magnitude STFT excerpts of 4 s at 11,025 Hz (chapter 9).

Choi, Fazekas & Sandler (2016) feed their five-layer CNN the **magnitude** of a 512-point STFT with a
hop of 256 samples, at 11,025 Hz, 4 s at a time: 257 frequency bins × 173 frames ([P]). Their released
code (``keunwoochoi/Auralisation``, ``example.py``) feeds ``np.abs(STFT)``, a **linear** magnitude,
although a comment in the same file speaks of log-amplitude ([C]). We follow the code.

The book's clips are at 22,050 Hz; each clip is resampled to 11,025 Hz here (in the feature
function, so no clip is rendered twice), cut into 4 s excerpts in the **time domain**, and each
excerpt gets its own STFT. The network input of an excerpt is then exactly the magnitude of the
complex STFT that the auralisation masks, and whose inverse returns the excerpt.

Every function is a module-level ``fn(y, sr, **params)`` or a helper of one; none imports
TensorFlow, so the feature cache's worker processes stay light.

Notebook: ``09_auralisation.ipynb``.
"""

from __future__ import annotations

import numpy as np

from mgr_utils import SR
from mgr_utils.features.spectrograms import check_positive, frame_windows

CHOI_SR = 11025
"""Choi et al.'s sample rate in Hz ([P], and ``constants.py`` of ``keunwoochoi/Deconvolution`` [C])."""

CHOI_N_FFT = 512
"""Choi et al.'s STFT size: 257 frequency bins ([P])."""

CHOI_HOP_LENGTH = 256
"""Choi et al.'s STFT hop, 50 % of the window ([P])."""

CHOI_SECONDS = 4.0
"""Length of one excerpt: 44,100 samples at 11,025 Hz, 173 STFT frames ([P])."""

CHOI_SHAPE = (1 + CHOI_N_FFT // 2, 1 + int(CHOI_SECONDS * CHOI_SR) // CHOI_HOP_LENGTH)
"""``(257, 173)``: frequency bins × frames of one excerpt (the paper's input size)."""


def resample(y: np.ndarray, sr: int, target_sr: int = CHOI_SR) -> np.ndarray:
    """``y`` at ``target_sr`` Hz (librosa's default resampler), float32; unchanged if already there.

    Notebook: ``09_auralisation.ipynb``.
    """
    import librosa

    y = np.asarray(y, dtype=np.float32)
    if int(sr) == int(target_sr):
        return y
    return librosa.resample(y=y, orig_sr=int(sr), target_sr=int(target_sr)).astype(
        np.float32
    )


def excerpt_audio(
    y: np.ndarray,
    sr: int = SR,
    target_sr: int = CHOI_SR,
    seconds: float = CHOI_SECONDS,
    hop_seconds: float | None = None,
) -> np.ndarray:
    """A clip cut into excerpts of ``seconds`` at ``target_sr`` Hz: the audio of each network input.

    The clip is resampled, then cut every ``hop_seconds`` (``None``: ``seconds``, no overlap); the
    samples after the last whole excerpt are dropped, and a clip shorter than one excerpt gives one
    excerpt padded with zeros (as Choi's ``example.py`` pads short STFTs).

    Notebook: ``09_auralisation.ipynb``.

    Args:
        y: Mono audio.
        sr: Its sample rate in Hz.
        target_sr: The network's sample rate (Choi: 11,025 Hz).
        seconds: Excerpt length (Choi: 4 s).
        hop_seconds: Time between excerpt starts (``None``: ``seconds``).

    Returns:
        float32 ``(n_excerpts, round(seconds * target_sr))``.

    Raises:
        ValueError: A length or hop that is not positive.
    """
    check_positive("seconds", seconds, whole=False)
    hop_seconds = seconds if hop_seconds is None else hop_seconds
    check_positive("hop_seconds", hop_seconds, whole=False)
    x = resample(y, sr, target_sr)
    n = round(seconds * target_sr)
    hop = max(1, round(hop_seconds * target_sr))
    return frame_windows(x, n, hop, short="zeros")


def stft_excerpt(
    x: np.ndarray, n_fft: int = CHOI_N_FFT, hop_length: int = CHOI_HOP_LENGTH
) -> np.ndarray:
    """The complex STFT of one excerpt (librosa, Hann window, centred frames): ``(257, 173)`` for 4 s.

    Its magnitude is the network's input; the auralisation masks it and inverts it
    (:func:`mgr_utils.auralisation.inverse_stft`).

    Notebook: ``09_auralisation.ipynb``.
    """
    import librosa

    return librosa.stft(
        y=np.asarray(x, dtype=np.float32), n_fft=n_fft, hop_length=hop_length
    )


def choi_stft_excerpts(
    y: np.ndarray,
    sr: int = SR,
    target_sr: int = CHOI_SR,
    n_fft: int = CHOI_N_FFT,
    hop_length: int = CHOI_HOP_LENGTH,
    seconds: float = CHOI_SECONDS,
    hop_seconds: float | None = None,
    scale: float | None = None,
) -> np.ndarray:
    """Choi's CNN input: the linear-magnitude STFT of each 4 s excerpt of a clip, at 11,025 Hz.

    ``|STFT|`` with 512 points and a hop of 256 at 11,025 Hz, 257 × 173 per 4 s excerpt ([P]); the
    **linear** magnitude, as the released code feeds it ([C]). *Ours*: the clips are resampled from
    the book's 22,050 Hz; the excerpts do not overlap unless ``hop_seconds`` says so (the paper took 10
    excerpts of 4 s per song, we do not know how they were placed); the magnitude is divided by
    ``scale`` (``None``: half the window's sum, ``n_fft / 4`` for a Hann window, so that a sinusoid of
    amplitude *a* peaks near *a*), which only keeps the numbers near 1 for training.

    Notebook: ``09_auralisation.ipynb``.

    Args:
        y: Mono audio.
        sr: Its sample rate in Hz.
        target_sr: Rate of the STFT (Choi: 11,025 Hz).
        n_fft, hop_length: STFT size and hop (Choi: 512 and 256).
        seconds: Excerpt length (Choi: 4 s).
        hop_seconds: Time between excerpt starts (``None``: ``seconds``, no overlap).
        scale: Divisor of the magnitudes (``None``: ``n_fft / 4``).

    Returns:
        float32 ``(n_excerpts, 1 + n_fft // 2, n_frames, 1)``: ``(n, 257, 173, 1)`` with the defaults.

    Raises:
        ValueError: A size, hop or scale that is not positive.
    """
    check_positive("n_fft", n_fft)
    check_positive("hop_length", hop_length)
    scale = n_fft / 4 if scale is None else scale
    check_positive("scale", scale, whole=False)
    X = excerpt_audio(
        y, sr, target_sr=target_sr, seconds=seconds, hop_seconds=hop_seconds
    )
    S = np.stack(
        [np.abs(stft_excerpt(x, n_fft=n_fft, hop_length=hop_length)) for x in X]
    )
    return (S / scale)[..., None].astype(np.float32)
