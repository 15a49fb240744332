"""musicnn's input: 16 kHz log-compressed 96-band mel spectrograms cut into 3 s patches.

Pons & Serra (2019) trained their taggers on a fixed input, and a pre-trained network only works
on the input it was trained on, so this module computes it *exactly as the package does*
(``musicnn/extractor.py``, ``batch_data``; read in the code of ``musicnn`` 0.1.0 [C]):

=====================  ====================================================  ======
step                   value                                                 source
=====================  ====================================================  ======
sample rate            16,000 Hz (``librosa.load(..., sr=16000)``)          [C]
STFT                   ``n_fft`` 512 (32 ms), hop 256 (16 ms), Hann, centred  [C]
mel                    96 bands, librosa's defaults: Slaney scale (not HTK),  [C]
                       Slaney area normalisation, 0 Hz to 8 kHz, power 2
rounding               the mel power rounded to float16                      [C]
                       (the product below in float32: ours, see below)
log compression        ``log10(1 + 10000 * mel)``                            [C]
patches                187 frames (3 s), no overlap by default, the last     [C]
                       incomplete patch dropped
=====================  ====================================================  ======

Three details of an exact reproduction. The mel power is cast to ``float16`` *before* the log
(the package does it to save memory). The package then computes ``10000 * mel`` in float16 too,
which overflows to infinity wherever the mel power exceeds 6.55 (about 1 % of the cells of its
own example clips, under NumPy's casting rules, old and new); infinities then turn into NaN
inside the network. The published tags of the package's example clips are those of the *finite*
computation (checked: the original graph gives them on float32 products and not on float16
ones), so we round to float16 as the package does and multiply in float32: our reading of what
the authors' own run computed. Finally, the STFT pads the signal's ends by reflection, the
default of the librosa versions the package was written for (0.6-0.7; librosa 0.10 changed the
default to zeros). Only the first and last frame depend on that padding. Resampling uses
librosa's current default (soxr), where the package's librosa used resampy: at 16 kHz
inputs (the package's own example clip) nothing is resampled.

Notebook: ``11_transfer_learning.ipynb``.
"""

from __future__ import annotations

import numpy as np

MUSICNN_SR = 16000
"""Sample rate of musicnn's input, in Hz."""
MUSICNN_N_FFT = 512
"""STFT size (32 ms at 16 kHz)."""
MUSICNN_HOP_LENGTH = 256
"""STFT hop (16 ms at 16 kHz)."""
MUSICNN_N_MELS = 96
"""Mel bands."""
MUSICNN_FRAMES = 187
"""Frames per patch: 3 s (``librosa.time_to_frames(3, sr=16000, n_fft=512, hop_length=256) + 1``)."""


def musicnn_logmel(y: np.ndarray, sr: int) -> np.ndarray:
    """musicnn's log-mel spectrogram of a clip, ``(frames, 96)`` float32 (time first, as the network reads it).

    Resamples ``y`` to 16 kHz when needed, then computes the package's representation:
    ``log10(1 + 10000 * float16(mel power))`` with ``n_fft`` 512, hop 256 and 96 Slaney mel bands.

    Notebook: ``11_transfer_learning.ipynb``.

    Args:
        y: Mono audio.
        sr: Its sample rate in Hz.

    Returns:
        float32 array ``(1 + n_samples_16k // 256, 96)``.
    """
    import librosa

    y = np.asarray(y, dtype=np.float32)
    if int(sr) != MUSICNN_SR:
        y = librosa.resample(y, orig_sr=int(sr), target_sr=MUSICNN_SR)
    mel = librosa.feature.melspectrogram(
        y=y,
        sr=MUSICNN_SR,
        n_fft=MUSICNN_N_FFT,
        hop_length=MUSICNN_HOP_LENGTH,
        n_mels=MUSICNN_N_MELS,
        pad_mode="reflect",
        htk=False,
        norm="slaney",
    ).T
    mel = mel.astype(np.float16).astype(
        np.float32
    )  # the package's rounding, then float32 maths
    return np.log10(10000 * mel + 1).astype(np.float32)


def musicnn_patches(
    S: np.ndarray, n_frames: int = MUSICNN_FRAMES, hop: int | None = None
) -> np.ndarray:
    """Cut a ``(frames, 96)`` spectrogram into patches ``(n, n_frames, 96)``, as the package batches it.

    Patches start every ``hop`` frames (default ``n_frames``: no overlap); a final patch shorter
    than ``n_frames`` is dropped, as in the package. A clip shorter than one patch gives ``n = 0``.

    Notebook: ``11_transfer_learning.ipynb``.
    """
    hop = int(hop or n_frames)
    starts = range(0, S.shape[0] - n_frames + 1, hop)
    out = np.zeros((len(starts), n_frames, S.shape[1]), dtype=np.float32)
    for i, t in enumerate(starts):
        out[i] = S[t : t + n_frames]
    return out


def musicnn_input(y: np.ndarray, sr: int, hop: int | None = None) -> np.ndarray:
    """The patches musicnn reads for a clip: :func:`musicnn_logmel`, then :func:`musicnn_patches`.

    Notebook: ``11_transfer_learning.ipynb``.

    Returns:
        float32 ``(n_patches, 187, 96)``.
    """
    return musicnn_patches(musicnn_logmel(y, sr), hop=hop)


def musicnn_embedding(
    y: np.ndarray,
    sr: int,
    model: str = "MSD_musicnn",
    layers: tuple[str, ...] | list[str] = ("penultimate",),
    stats: tuple[str, ...] | list[str] = ("mean", "max"),
    batch_size: int = 64,
) -> np.ndarray:
    """One clip's musicnn embedding: its patches through the pre-trained network, summarised.

    The same numbers as chapter 11's path for a clip
    (:func:`mgr_utils.transfer.musicnn_embeddings`, then
    :func:`mgr_utils.transfer.clip_embedding` with ``layers`` and ``stats``), for one
    signal and without the feature cache: the input of a saved linear probe
    (:mod:`mgr_utils.saving`) on any audio file. TensorFlow is imported here, on first use.

    Notebook: ``11_transfer_learning.ipynb``.

    Args:
        y: Mono audio.
        sr: Its sample rate in Hz.
        model: ``"MSD_musicnn"`` or ``"MTT_musicnn"``.
        layers: The layers summarised (of :data:`mgr_utils.transfer.EMBEDDING_LAYERS`).
        stats: The statistics over the patches (``"mean"``, ``"max"``, ``"std"``).
        batch_size: Patches per forward pass.

    Returns:
        float32 vector, as :func:`mgr_utils.transfer.clip_embedding`.

    Raises:
        ValueError: ``y`` is shorter than one 3 s patch.
    """
    from mgr_utils.transfer import clip_embedding, embed_patches

    P = musicnn_input(y, sr)
    if len(P) == 0:
        seconds = MUSICNN_FRAMES * MUSICNN_HOP_LENGTH / MUSICNN_SR
        raise ValueError(
            f"{len(y) / sr:.2f} s of audio is shorter than one musicnn patch "
            f"({seconds:.1f} s)"
        )
    return clip_embedding(embed_patches(P, model, batch_size), layers, stats)
