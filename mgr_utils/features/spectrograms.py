"""Frames, segments, spectrograms (STFT, mel, log-mel), downscaled images and patches.

A thin, documented layer over librosa (McFee et al. 2015): the maths is theirs, the choices (which
parameters, in which order) are the book's, and each docstring says which paper a choice follows and
where the paper is silent and the value is *our reading*.

Conventions: ``y`` is mono float audio at ``sr`` Hz; a spectrogram ``S`` is ``(frequency, time)``,
low frequencies first (row 0); every librosa call passes its arguments by keyword (librosa >= 0.10
makes most of them keyword-only).

Notebook: ``02_spectrograms.ipynb``.
"""

from __future__ import annotations

import functools

import numpy as np

from mgr_utils import SR


# --------------------------------------------------------------------------------------------
# Frames and segments
# --------------------------------------------------------------------------------------------


def n_frames(
    n_samples: int, hop_length: int, center: bool = True, n_fft: int | None = None
) -> int:
    """Number of STFT frames librosa returns for a signal of ``n_samples`` samples.

    * ``center=True`` (librosa's default; the signal is padded by ``n_fft // 2`` on both sides):
      ``1 + n_samples // hop_length``.
    * ``center=False`` (frames start at sample 0 and must fit inside the signal):
      ``1 + (n_samples - n_fft) // hop_length``, and 0 when ``n_samples < n_fft``.

    Example: 30 s at 22 050 Hz (661 500 samples) with ``hop_length=512`` gives 1 292 frames.

    Notebook: ``02_spectrograms.ipynb``.

    Args:
        n_samples: Length of the signal in samples.
        hop_length: Hop between frames in samples.
        center: Whether frames are centred (librosa's ``center``).
        n_fft: Frame length; needed only when ``center=False``.

    Raises:
        ValueError: ``center=False`` without ``n_fft``, or a non-positive hop.
    """
    if hop_length <= 0:
        raise ValueError(f"hop_length must be positive, got {hop_length}")
    if center:
        return 1 + int(n_samples) // int(hop_length)
    if n_fft is None:
        raise ValueError("n_frames(center=False) needs n_fft")
    if n_samples < n_fft:
        return 0
    return 1 + (int(n_samples) - int(n_fft)) // int(hop_length)


def n_segments(n_samples: int, seg_len: int, seg_hop: int) -> int:
    """Number of segments :func:`segment` cuts from ``n_samples`` samples.

    ``1 + (n_samples - seg_len) // seg_hop`` when the signal holds at least one segment (the
    samples after the last whole segment are dropped), else 1 (one zero-padded segment).

    Example: a 30 s GTZAN clip cut into 3 s segments with 50 % overlap (hop 1.5 s) gives
    ``1 + (30 - 3) // 1.5 = 19`` segments; 4 s segments with a 2 s hop give 14 (Nakashika's
    reading, [R]).

    Notebook: ``02_spectrograms.ipynb``.
    """
    if seg_len <= 0 or seg_hop <= 0:
        raise ValueError(
            f"segment length and hop must be positive, got {seg_len} and {seg_hop}"
        )
    if n_samples < seg_len:
        return 1
    return 1 + (int(n_samples) - int(seg_len)) // int(seg_hop)


def check_positive(name: str, value, whole: bool = True) -> None:
    """Raise a ValueError naming ``name`` unless ``value`` is a positive (whole, if ``whole``) number.

    Notebook: ``02_spectrograms.ipynb`` (shared by every network input of chapters 7-9).
    """
    kinds = (int, np.integer) if whole else (int, float, np.integer, np.floating)
    if isinstance(value, bool) or not isinstance(value, kinds) or not value > 0:
        raise ValueError(
            f"{name} must be a positive {'whole ' if whole else ''}number, got {value!r}"
        )


def frame_windows(
    x: np.ndarray, length: int, hop: int, short: str = "drop"
) -> np.ndarray:
    """Windows of ``length`` items along the first axis of ``x``, ``hop`` items apart: the one way the
    book cuts a clip (samples, frames of features) into network inputs.

    ``1 + (n - length) // hop`` windows for ``n >= length`` items (the items after the last whole
    window are dropped). A shorter ``x`` gives no window (``short="drop"``), or one window padded with
    zeros (``"zeros"``) or with copies of its last item (``"edge"``).

    Notebook: ``02_spectrograms.ipynb`` (used by the inputs of chapters 7-9).

    Args:
        x: Array ``(n, ...)``.
        length: Items per window.
        hop: Items between the starts of consecutive windows.
        short: What a too-short ``x`` gives: ``"drop"``, ``"zeros"`` or ``"edge"``.

    Returns:
        A new array ``(n_windows, length, ...)`` of ``x``'s dtype.

    Raises:
        ValueError: ``length`` or ``hop`` not a positive whole number, or an unknown ``short``.
    """
    check_positive("length", length)
    check_positive("hop", hop)
    if short not in ("drop", "zeros", "edge"):
        raise ValueError(f"short must be 'drop', 'zeros' or 'edge', got {short!r}")
    x = np.asarray(x)
    if x.shape[0] < length:
        if short == "drop" or x.shape[0] == 0 and short == "edge":
            return np.zeros((0, length, *x.shape[1:]), dtype=x.dtype)
        pad = [(0, length - x.shape[0])] + [(0, 0)] * (x.ndim - 1)
        x = np.pad(x, pad, mode="constant" if short == "zeros" else "edge")
    windows = np.lib.stride_tricks.sliding_window_view(x, length, axis=0)[
        ::hop
    ]  # (n, ..., length)
    return np.ascontiguousarray(np.moveaxis(windows, -1, 1))


def _segment_geometry(sr: int, seconds: float, overlap: float) -> tuple[int, int]:
    if not 0.0 <= overlap < 1.0:
        raise ValueError(f"overlap must be in [0, 1), got {overlap}")
    seg_len = int(round(seconds * sr))
    if seg_len < 1:
        raise ValueError(f"a segment of {seconds} s at {sr} Hz holds no sample")
    seg_hop = max(1, int(round(seg_len * (1.0 - overlap))))
    return seg_len, seg_hop


def segment(
    y: np.ndarray, sr: int = SR, seconds: float = 3.0, overlap: float = 0.5
) -> np.ndarray:
    """Cut a clip into fixed-length, overlapping segments.

    The survey (§3.1) describes cutting tracks into "segments of a few seconds long, with each
    segment having an overlap of 50 %" (the survey); the 3 s default is *our reading*
    (Nakashika's reproduction uses 4 s with 2 s overlap, [R]).

    Segment length ``L = round(seconds * sr)``, hop ``H = max(1, round(L * (1 - overlap)))``; the
    count is :func:`n_segments` ``= 1 + (n - L) // H`` for ``n >= L`` (trailing samples that do
    not fill a whole segment are dropped), and a clip shorter than one segment gives **one
    zero-padded segment**.

    Notebook: ``02_spectrograms.ipynb``.

    Args:
        y: Mono audio, shape ``(n,)``.
        sr: Sample rate in Hz.
        seconds: Segment length in seconds.
        overlap: Fraction of a segment shared with the next one, in ``[0, 1)``.

    Returns:
        Array ``(n_segments, L)`` (a copy, same dtype as ``y``).
    """
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"segment expects mono audio of shape (n,), got {y.shape}")
    seg_len, seg_hop = _segment_geometry(sr, seconds, overlap)
    return frame_windows(y, seg_len, seg_hop, short="zeros")


# --------------------------------------------------------------------------------------------
# Spectrograms
# --------------------------------------------------------------------------------------------


def stft_magnitude(
    y: np.ndarray,
    n_fft: int = 2048,
    hop_length: int = 512,
    window: str = "hann",
    center: bool = True,
) -> np.ndarray:
    """Magnitude of the short-time Fourier transform, ``|STFT(y)|``, shape ``(1 + n_fft // 2, frames)``.

    Costa et al. use a 1 024-sample Hann window (Costa et al. 2017) (hop not stated); the book's
    default 2 048 / 512 at 22 050 Hz (93 ms frames, 23 ms hop) is *our reading*, the usual choice
    for GTZAN. The frame count is :func:`n_frames`.

    Notebook: ``02_spectrograms.ipynb``.

    Args:
        y: Mono audio.
        n_fft: FFT size (= window length) in samples.
        hop_length: Hop in samples.
        window: Window name understood by ``scipy.signal.get_window``.
        center: Centre the frames (pad by ``n_fft // 2``), librosa's default.

    Returns:
        float32 magnitudes.
    """
    import librosa

    X = librosa.stft(
        y=np.asarray(y, dtype=np.float32),
        n_fft=n_fft,
        hop_length=hop_length,
        window=window,
        center=center,
    )
    return np.abs(X).astype(np.float32, copy=False)


@functools.lru_cache(maxsize=32)
def mel_filterbank(
    sr: int = SR,
    n_fft: int = 2048,
    n_mels: int = 128,
    fmin: float = 0.0,
    fmax: float | None = None,
) -> np.ndarray:
    """librosa's mel filterbank (Slaney mel scale, Slaney area normalisation), shape ``(n_mels, 1 + n_fft // 2)``.

    Memoised: building it costs as much as a short STFT, and every clip uses the same one.
    The returned array is read-only (it is shared).

    Notebook: ``02_spectrograms.ipynb``.
    """
    import librosa

    M = librosa.filters.mel(
        sr=sr, n_fft=n_fft, n_mels=n_mels, fmin=fmin, fmax=fmax, dtype=np.float32
    )
    M.setflags(write=False)
    return M


def mel_band_centres(
    sr: int = SR, n_mels: int = 128, fmin: float = 0.0, fmax: float | None = None
) -> np.ndarray:
    """Centre frequency in Hz of each band of :func:`mel_filterbank`: the peak of its triangle.

    librosa places ``n_mels + 2`` points evenly on the mel scale from ``fmin`` to ``fmax``;
    band ``i``'s triangle rises from point ``i``, peaks at point ``i + 1`` and falls to
    point ``i + 2``. The centres are therefore the inner ``n_mels`` points, not
    ``librosa.mel_frequencies(n_mels)`` (``n_mels`` points from ``fmin``, the first at
    0 Hz, which is no band's centre).

    Notebook: ``02_spectrograms.ipynb`` (also ``03_texture_features.ipynb``).

    Args:
        sr: Sample rate in Hz (``fmax`` defaults to ``sr / 2``).
        n_mels, fmin, fmax: The filterbank's parameters.

    Returns:
        float64 array ``(n_mels,)``, increasing.
    """
    import librosa

    fmax = sr / 2 if fmax is None else fmax
    return librosa.mel_frequencies(n_mels=n_mels + 2, fmin=fmin, fmax=fmax)[1:-1]


def segment_means(S: np.ndarray, seg_frames: int, hop_frames: int) -> np.ndarray:
    """The mean of each band over each segment of a spectrogram: one vector per segment.

    Segments of ``seg_frames`` frames start every ``hop_frames`` frames
    (:func:`n_segments` of them); a spectrogram shorter than one segment gives one vector,
    its mean over all its frames. The whole clip's mean, ``S.mean(axis=1)``, is the
    long-term average spectrum; this is the same summary per segment.

    Notebook: ``02_spectrograms.ipynb``.

    Args:
        S: Spectrogram ``(bands, frames)`` (e.g. log-mel in dB).
        seg_frames: Frames per segment.
        hop_frames: Frames between segment starts.

    Returns:
        ``(n_segments, bands)`` float array.
    """
    check_positive("seg_frames", seg_frames)
    check_positive("hop_frames", hop_frames)
    S = np.asarray(S)
    if S.ndim != 2:
        raise ValueError(f"S must be (bands, frames), got shape {S.shape}")
    count = n_segments(S.shape[1], seg_frames, hop_frames)
    return np.stack(
        [
            S[:, k * hop_frames : k * hop_frames + seg_frames].mean(axis=1)
            for k in range(count)
        ]
    )


def mel_spectrogram(
    y: np.ndarray | None = None,
    sr: int = SR,
    *,
    S: np.ndarray | None = None,
    n_fft: int = 2048,
    hop_length: int = 512,
    n_mels: int = 128,
    fmin: float = 0.0,
    fmax: float | None = None,
    power: float = 2.0,
    center: bool = True,
) -> np.ndarray:
    """Mel-scaled power spectrogram, shape ``(n_mels, frames)``.

    Equivalent to ``librosa.feature.melspectrogram`` (same filterbank, same numbers), but it takes
    a precomputed magnitude ``S`` from :func:`stft_magnitude` so one STFT can feed several features,
    and it reuses the memoised :func:`mel_filterbank`.

    Notebook: ``02_spectrograms.ipynb``.

    Args:
        y: Mono audio (ignored when ``S`` is given).
        sr: Sample rate in Hz.
        S: Optional STFT *magnitude* ``(1 + n_fft // 2, frames)``.
        n_fft, hop_length, center: STFT parameters (used when ``S`` is None).
        n_mels, fmin, fmax: Mel filterbank parameters (librosa's defaults except ``n_mels``).
        power: Exponent applied to the magnitude before the filterbank (2: power, 1: energy).

    Returns:
        float32 mel spectrogram.
    """
    if S is None:
        if y is None:
            raise ValueError("mel_spectrogram needs y or S")
        S = stft_magnitude(y, n_fft=n_fft, hop_length=hop_length, center=center)
    n_fft_S = 2 * (S.shape[0] - 1)
    M = mel_filterbank(sr=sr, n_fft=n_fft_S, n_mels=n_mels, fmin=fmin, fmax=fmax)
    P = S if power == 1.0 else S**power
    return (M @ P).astype(np.float32, copy=False)


def log_mel(
    y: np.ndarray | None = None,
    sr: int = SR,
    n_fft: int = 2048,
    hop_length: int = 512,
    n_mels: int = 128,
    *,
    S: np.ndarray | None = None,
    top_db: float | None = 80.0,
    ref=np.max,
    center: bool = True,
) -> np.ndarray:
    """Log-compressed mel spectrogram in dB, ``10 log10(mel / ref)``, shape ``(n_mels, frames)``.

    The input of Dieleman & Schrauwen's mel network (2014) and of many later CNNs; of the
    survey's other papers, Costa, Zhang and Choi use linear-frequency STFTs, Li MFCCs and
    Nakashika GLCMs of a mel map (chapter 2 lists them). Computed with
    ``librosa.power_to_db`` (keywords ``ref``, ``top_db``): with the default ``ref=np.max`` the
    loudest cell is 0 dB and everything is clipped at ``-top_db``. 128 mel bands and 2048/512 are
    *our reading* (no surveyed paper fixes them for this input).

    Notebook: ``02_spectrograms.ipynb``.

    Args:
        y: Mono audio (ignored when ``S`` is given).
        sr: Sample rate in Hz.
        n_fft, hop_length: STFT size and hop.
        n_mels: Mel bands.
        S: Optional STFT magnitude to start from (saves the STFT).
        top_db: Dynamic range kept below the maximum (``None``: no clipping).
        ref: Reference power (a number, or a function of the array such as ``np.max``).
        center: Centre the STFT frames.

    Returns:
        float32 dB values, at most 0 when ``ref=np.max``.
    """
    import librosa

    M = mel_spectrogram(
        y, sr, S=S, n_fft=n_fft, hop_length=hop_length, n_mels=n_mels, center=center
    )
    return librosa.power_to_db(S=M, ref=ref, top_db=top_db).astype(
        np.float32, copy=False
    )


def downscale(S: np.ndarray, factor: float = 0.5) -> np.ndarray:
    """Rescale a spectrogram image by ``factor`` on both axes (``skimage.transform.rescale``, anti-aliased).

    Costa et al. downscale their spectrogram images by 50 % (to 256 × 800 px) before cutting
    patches (Costa et al. 2017).

    Notebook: ``02_spectrograms.ipynb``.
    """
    from skimage.transform import rescale

    return rescale(
        np.asarray(S, dtype=np.float32), factor, anti_aliasing=True, preserve_range=True
    ).astype(np.float32)


def patches(
    S: np.ndarray, width: int = 16, height: int | None = None, hop: int | None = None
) -> np.ndarray:
    """Cut a spectrogram ``(freq, time)`` into patches, Costa style.

    Costa et al. cut a 256 × 800 spectrogram image into 256 × 16 patches (frequency × time), the
    test images **without overlap** (Costa et al. 2017); the training overlap is not stated
    (Costa et al. 2017). Defaults: full height, 16 frames wide, non-overlapping (``hop = width``).

    Patch count along time: ``1 + (T - width) // hop`` (trailing frames that do not fill a patch
    are dropped; a spectrogram narrower than ``width`` gives none). With ``height`` smaller than
    the number of rows, the frequency axis is also cut, into non-overlapping bands of ``height``
    rows (low band first); patches are ordered band by band, each band in time order.

    Notebook: ``02_spectrograms.ipynb``.

    Args:
        S: Spectrogram ``(n_freq, n_time)``.
        width: Patch width in frames.
        height: Patch height in rows (``None``: all rows).
        hop: Hop between patches in frames (``None``: ``width``, no overlap).

    Returns:
        Array ``(n_patches, height, width)``, a copy.
    """
    import librosa

    S = np.asarray(S)
    if S.ndim != 2:
        raise ValueError(
            f"patches expects a 2-D spectrogram (freq, time), got shape {S.shape}"
        )
    height = S.shape[0] if height is None else int(height)
    hop = width if hop is None else int(hop)
    if width < 1 or height < 1 or hop < 1:
        raise ValueError("width, height and hop must be positive")
    if S.shape[1] < width or S.shape[0] < height:
        return np.zeros((0, height, width), dtype=S.dtype)
    out = []
    for b in range(S.shape[0] // height):
        band = np.ascontiguousarray(S[b * height : (b + 1) * height])
        fr = librosa.util.frame(
            x=band, frame_length=width, hop_length=hop, axis=-1
        )  # (h, w, n)
        out.append(np.moveaxis(fr, -1, 0))
    return np.ascontiguousarray(np.concatenate(out, axis=0))
