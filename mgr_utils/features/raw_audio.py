"""Network inputs of chapter 7, from MFCCs to raw waveforms, and the learned filters' spectra.

Each input function is a module-level ``fn(y, sr, **params)`` returning one clip's segments, so the
feature cache (:func:`mgr_utils.cache.extract`) can run it in worker processes; none of them imports
TensorFlow. The filter helpers at the end are NumPy only.

* :func:`li_mfcc_excerpts`: Li, Chan & Chun's 190 × 13 MFCC excerpts;
* :func:`waveform_segments`: raw audio cut into segments (Dieleman & Schrauwen's raw front end, Lee
  et al.'s sample-level CNN);
* :func:`mel_frames`: the log-mel input whose window and hop equal the raw front end's stride, cut
  into the same segments as :func:`waveform_segments`;
* :func:`sort_by_dominant_frequency`, :func:`filter_through`: what the first layer of a raw network
  learned, seen and heard.

Notebook: ``07_raw_audio.ipynb``.
"""

from __future__ import annotations

import numpy as np

from mgr_utils import SR
from mgr_utils.features.spectrograms import check_positive, frame_windows

LI_N_MFCC = 13
"""Li et al.'s 13 MFCCs per frame ([P])."""

LI_N_FFT = 512
"""Li et al.'s 23 ms frames at 22,050 Hz: 512 samples (our inference from "23 ms", [U])."""

LI_HOP_LENGTH = 256
"""Li et al.'s 50 % frame overlap: a hop of 256 samples (our inference, [U])."""

LI_FRAMES = 190
"""Frames per excerpt ([P]): 190 × 256 / 22,050 ≈ 2.2 s."""


def _check_positive(**values) -> None:
    for name, value in values.items():
        check_positive(name, value)


def li_mfcc_excerpts(
    y: np.ndarray,
    sr: int = SR,
    n_mfcc: int = LI_N_MFCC,
    n_fft: int = LI_N_FFT,
    hop_length: int = LI_HOP_LENGTH,
    n_mels: int = 40,
    frames: int = LI_FRAMES,
    hop: int = LI_FRAMES,
) -> np.ndarray:
    """Li et al.'s input: the clip's MFCC map cut into excerpts of ``frames`` × ``n_mfcc``, time first.

    Li, Chan & Chun (2010) compute **13 MFCCs** per frame of **23 ms with 50 % overlap** and cut
    the song's MFCC map into **190 × 13 excerpts** ([P]). *Ours*: 512-sample frames with a hop
    of 256 (23 ms and 50 % at 22,050 Hz, [U]), 40 mel bands under the DCT (librosa's MFCC needs
    a mel filterbank; the paper does not give its size) and the hop between excerpts (``hop``
    frames; the default 190 cuts without overlap). A clip shorter than one excerpt gives none.

    Notebook: ``07_raw_audio.ipynb``.

    Args:
        y: Mono audio.
        sr: Sample rate in Hz.
        n_mfcc: Coefficients per frame.
        n_fft, hop_length: Frame length and hop in samples.
        n_mels: Mel bands under the DCT.
        frames: Frames per excerpt.
        hop: Frames between the starts of two excerpts.

    Returns:
        float32 ``(n_excerpts, frames, n_mfcc)``.

    Raises:
        ValueError: A size that is not a positive whole number.
    """
    import librosa

    _check_positive(
        n_mfcc=n_mfcc,
        n_fft=n_fft,
        hop_length=hop_length,
        n_mels=n_mels,
        frames=frames,
        hop=hop,
    )
    M = librosa.feature.mfcc(
        y=np.asarray(y, dtype=np.float32),
        sr=sr,
        n_mfcc=n_mfcc,
        n_fft=n_fft,
        hop_length=hop_length,
        n_mels=n_mels,
    ).T  # (n_frames, n_mfcc)
    return frame_windows(M.astype(np.float32), frames, hop)


def waveform_segments(
    y: np.ndarray, sr: int = SR, n_samples: int = 44032, hop: int | None = None
) -> np.ndarray:
    """Raw audio cut into segments of ``n_samples``, ``hop`` samples apart, as ``(n, n_samples, 1)``.

    The input of the raw networks of chapter 7: Dieleman & Schrauwen's strided front end (a
    segment of ``n_frames × stride`` samples) and Lee et al.'s sample-level CNN (``3^n``
    samples). The samples are not rescaled (the book's clips are peak-normalised). Segment ``k``
    holds samples ``[k * hop, k * hop + n_samples)``; a clip shorter than one segment gives none.

    Notebook: ``07_raw_audio.ipynb``.

    Args:
        y: Mono audio.
        sr: Sample rate in Hz (unused: the segments are in samples).
        n_samples: Samples per segment.
        hop: Samples between segment starts (``None``: ``n_samples``, no overlap).

    Returns:
        float32 ``(n_segments, n_samples, 1)``.

    Raises:
        ValueError: A size that is not a positive whole number.
    """
    hop = n_samples if hop is None else hop
    _check_positive(n_samples=n_samples, hop=hop)
    return frame_windows(np.asarray(y, dtype=np.float32), n_samples, hop)[..., None]


def mel_frames(
    y: np.ndarray,
    sr: int = SR,
    n_samples: int = 44032,
    hop: int | None = None,
    stride: int = 256,
    n_mels: int = 32,
    top_db: float = 80.0,
) -> np.ndarray:
    """The mel front end's input: log-mel frames whose window and hop both equal ``stride``.

    Dieleman & Schrauwen compare their raw front end with a **mel spectrogram whose window and
    hop match the strided convolution** ([S]). Here the STFT uses a Hann window of ``stride``
    samples with a hop of ``stride`` and no centring, so mel frame ``t`` reads exactly the samples
    ``[t * stride, (t + 1) * stride)`` that the raw front end's output frame ``t`` reads; the
    segments are those of :func:`waveform_segments` with the same ``n_samples`` and ``hop``
    (which must be multiples of ``stride``), ``n_samples // stride`` frames each. *Ours*:
    ``n_mels`` (the raw front end's number of filters, so both give the back end as many
    channels), dB with ``ref`` = the clip's maximum and ``top_db`` 80.

    Notebook: ``07_raw_audio.ipynb``.

    Args:
        y: Mono audio.
        sr: Sample rate in Hz.
        n_samples, hop: Segment length and hop in samples (``hop=None``: no overlap).
        stride: Window = hop of the STFT, in samples.
        n_mels: Mel bands.
        top_db: Dynamic range kept below the clip's maximum.

    Returns:
        float32 ``(n_segments, n_samples // stride, n_mels)``.

    Raises:
        ValueError: A size that is not a positive whole number, or ``n_samples`` or ``hop`` not
            a multiple of ``stride``.
    """
    from mgr_utils.features.spectrograms import log_mel

    hop = n_samples if hop is None else hop
    _check_positive(n_samples=n_samples, hop=hop, stride=stride, n_mels=n_mels)
    if n_samples % stride or hop % stride:
        raise ValueError(
            f"n_samples ({n_samples}) and hop ({hop}) must be multiples of stride ({stride})"
        )
    y = np.asarray(y, dtype=np.float32)
    if y.shape[0] < stride:
        return np.zeros((0, n_samples // stride, n_mels), np.float32)
    L = log_mel(
        y,
        sr,
        n_fft=stride,
        hop_length=stride,
        n_mels=n_mels,
        top_db=top_db,
        center=False,
    ).T
    # frame t reads samples [t * stride, (t + 1) * stride): the windows are waveform_segments' segments
    return frame_windows(
        L[: y.shape[0] // stride].astype(np.float32), n_samples // stride, hop // stride
    )


def sort_by_dominant_frequency(
    W: np.ndarray, sr: int = SR, n_fft: int | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sort first-layer filters by the dominant frequency of their magnitude spectra (Dieleman's figure).

    Each column of ``W`` is one filter (``(filter_length, n_filters)``, the layout of
    :func:`mgr_utils.models.dieleman2014.frontend_filters`). Its magnitude spectrum is
    ``|rfft(w, n_fft)|``; its dominant frequency is the centre of the largest bin,
    ``k * sr / n_fft``. The filters are returned in ascending order of that frequency (ties in
    their original order).

    Notebook: ``07_raw_audio.ipynb``.

    Args:
        W: Filters, ``(filter_length, n_filters)``.
        sr: Sample rate in Hz.
        n_fft: FFT size (``None``: the filter length; larger values interpolate the spectrum).

    Returns:
        ``(order, dominant_hz, spectra)``: the filter indices sorted, their dominant frequencies
        (sorted, Hz) and their magnitude spectra ``(n_filters, 1 + n_fft // 2)`` in that order,
        each divided by its maximum.

    Raises:
        ValueError: ``W`` is not 2-D, or ``n_fft`` is shorter than the filters.
    """
    W = np.asarray(W, dtype=np.float64)
    if W.ndim != 2:
        raise ValueError(f"W must be (filter_length, n_filters), got shape {W.shape}")
    n_fft = W.shape[0] if n_fft is None else int(n_fft)
    if n_fft < W.shape[0]:
        raise ValueError(
            f"n_fft={n_fft} is shorter than the filters ({W.shape[0]} samples)"
        )
    spectra = np.abs(np.fft.rfft(W, n=n_fft, axis=0)).T  # (n_filters, bins)
    peak = spectra.argmax(axis=1)
    order = np.argsort(peak, kind="stable")
    spectra = spectra[order] / np.maximum(
        spectra[order].max(axis=1, keepdims=True), 1e-12
    )
    return order, peak[order] * sr / n_fft, spectra


def filter_through(y: np.ndarray, w: np.ndarray) -> np.ndarray:
    """The clip as one first-layer filter hears it: ``y`` correlated with ``w`` at every sample.

    A Keras ``Conv1D`` computes a correlation, ``z[t] = sum_k w[k] y[t + k]``; the raw front end
    keeps every ``stride``-th value of ``z``. Here all of them are kept (``"same"`` length, so
    the result lines up with ``y``) and the result is scaled to the peak of ``y``, so it can be
    played: a band-pass filter lets through the part of the music near its dominant frequency.

    Notebook: ``07_raw_audio.ipynb``.

    Args:
        y: Mono audio.
        w: One filter, ``(filter_length,)``.

    Returns:
        float32, the length of ``y``.
    """
    from scipy.signal import fftconvolve

    y = np.asarray(y, dtype=np.float64)
    z = fftconvolve(y, np.asarray(w, dtype=np.float64)[::-1], mode="same")
    peak = np.abs(z).max()
    return (z * (np.abs(y).max() / peak if peak > 0 else 0.0)).astype(np.float32)
