"""Spectrograms, segments, patches, texture features (LBP, GLCM) and classical descriptors.

Everything here is a thin, documented layer over librosa (McFee et al. 2015) and
scikit-image: the maths is theirs, the choices (which parameters, in which order) are the
book's, and each docstring says which paper a choice follows and where the paper is silent and
the value is *our reading*.

Conventions: ``y`` is mono float audio at ``sr`` Hz; a spectrogram ``S`` is ``(frequency, time)``,
low frequencies first (row 0); every librosa call passes its arguments by keyword (librosa >= 0.10
makes most of them keyword-only).

Notebook: ``02_spectrograms.ipynb`` (spectrograms, segments, patches);
``03_texture_features.ipynb`` (quantisation, LBP, GLCM, descriptors).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import numpy as np

from mgr_utils import SR

FEATURES_VERSION = "2"
"""Bumped whenever a function here changes its output; part of every feature-cache key."""

COSTA_N_FFT = 1024
"""Costa et al.'s DFT size: a 1,024-sample Hann window (Costa et al. 2017, [P])."""

COSTA_HOP_LENGTH = 827
"""Our reading of Costa et al.'s STFT hop, which the paper does not state: at 22,050 Hz, 827 samples
give 1,600 frames per 60 s excerpt, hence the paper's 800 columns after its 50 % downscale (one
16-column patch is then 1.2 s). The one place this value is written (chapters 2 and 4 read it)."""

GLCM_ANGLES = (0.0, np.pi / 4, np.pi / 2, 3 * np.pi / 4)
"""The four GLCM directions 0°, 45°, 90°, 135° (Nakashika's mel-map angles as read by a public
reproduction, [R])."""


# --------------------------------------------------------------------------------------------
# Frames and segments
# --------------------------------------------------------------------------------------------


def n_frames(n_samples: int, hop_length: int, center: bool = True, n_fft: int | None = None) -> int:
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
        raise ValueError(f"segment length and hop must be positive, got {seg_len} and {seg_hop}")
    if n_samples < seg_len:
        return 1
    return 1 + (int(n_samples) - int(seg_len)) // int(seg_hop)


def _segment_geometry(sr: int, seconds: float, overlap: float) -> tuple[int, int]:
    if not 0.0 <= overlap < 1.0:
        raise ValueError(f"overlap must be in [0, 1), got {overlap}")
    seg_len = int(round(seconds * sr))
    if seg_len < 1:
        raise ValueError(f"a segment of {seconds} s at {sr} Hz holds no sample")
    seg_hop = max(1, int(round(seg_len * (1.0 - overlap))))
    return seg_len, seg_hop


def segment(y: np.ndarray, sr: int = SR, seconds: float = 3.0, overlap: float = 0.5) -> np.ndarray:
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
    import librosa

    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"segment expects mono audio of shape (n,), got {y.shape}")
    seg_len, seg_hop = _segment_geometry(sr, seconds, overlap)
    if y.shape[0] < seg_len:
        out = np.zeros((1, seg_len), dtype=y.dtype)
        out[0, : y.shape[0]] = y
        return out
    frames = librosa.util.frame(x=y, frame_length=seg_len, hop_length=seg_hop, axis=0)
    return np.ascontiguousarray(frames)


# --------------------------------------------------------------------------------------------
# Spectrograms
# --------------------------------------------------------------------------------------------


def stft_magnitude(
    y: np.ndarray, n_fft: int = 2048, hop_length: int = 512, window: str = "hann", center: bool = True
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

    X = librosa.stft(y=np.asarray(y, dtype=np.float32), n_fft=n_fft, hop_length=hop_length,
                     window=window, center=center)
    return np.abs(X).astype(np.float32, copy=False)


@functools.lru_cache(maxsize=32)
def mel_filterbank(sr: int = SR, n_fft: int = 2048, n_mels: int = 128, fmin: float = 0.0,
                   fmax: float | None = None) -> np.ndarray:
    """librosa's mel filterbank (Slaney mel scale, Slaney area normalisation), shape ``(n_mels, 1 + n_fft // 2)``.

    Memoised: building it costs as much as a short STFT, and every clip uses the same one.
    The returned array is read-only (it is shared).

    Notebook: ``02_spectrograms.ipynb``.
    """
    import librosa

    M = librosa.filters.mel(sr=sr, n_fft=n_fft, n_mels=n_mels, fmin=fmin, fmax=fmax, dtype=np.float32)
    M.setflags(write=False)
    return M


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

    The input of most CNNs in the survey (the survey). Computed with
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

    M = mel_spectrogram(y, sr, S=S, n_fft=n_fft, hop_length=hop_length, n_mels=n_mels, center=center)
    return librosa.power_to_db(S=M, ref=ref, top_db=top_db).astype(np.float32, copy=False)


def downscale(S: np.ndarray, factor: float = 0.5) -> np.ndarray:
    """Rescale a spectrogram image by ``factor`` on both axes (``skimage.transform.rescale``, anti-aliased).

    Costa et al. downscale their spectrogram images by 50 % (to 256 × 800 px) before cutting
    patches (Costa et al. 2017).

    Notebook: ``02_spectrograms.ipynb``.
    """
    from skimage.transform import rescale

    return rescale(np.asarray(S, dtype=np.float32), factor, anti_aliasing=True,
                   preserve_range=True).astype(np.float32)


def patches(S: np.ndarray, width: int = 16, height: int | None = None, hop: int | None = None) -> np.ndarray:
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
        raise ValueError(f"patches expects a 2-D spectrogram (freq, time), got shape {S.shape}")
    height = S.shape[0] if height is None else int(height)
    hop = width if hop is None else int(hop)
    if width < 1 or height < 1 or hop < 1:
        raise ValueError("width, height and hop must be positive")
    if S.shape[1] < width or S.shape[0] < height:
        return np.zeros((0, height, width), dtype=S.dtype)
    out = []
    for b in range(S.shape[0] // height):
        band = np.ascontiguousarray(S[b * height : (b + 1) * height])
        fr = librosa.util.frame(x=band, frame_length=width, hop_length=hop, axis=-1)  # (h, w, n)
        out.append(np.moveaxis(fr, -1, 0))
    return np.ascontiguousarray(np.concatenate(out, axis=0))


# --------------------------------------------------------------------------------------------
# Quantisation, LBP, GLCM
# --------------------------------------------------------------------------------------------


def quantize(S: np.ndarray, levels: int = 16) -> np.ndarray:
    """Quantise an image to ``levels`` grey levels, min-max per image.

    ``q = floor((S - min S) / (max S - min S) * levels)``, clipped to ``levels - 1`` (so the
    maximum falls in the top level and every level covers an equal range); a constant image gives
    all zeros. Nakashika et al. work on 16 grey levels (as read by a reproduction, [R]); the per-image
    min-max scaling is *our reading* (as in the reproduction). ``levels=256`` gives an 8-bit image
    like the spectrogram pictures Costa et al. compute LBP on.

    Notebook: ``03_texture_features.ipynb``.

    Args:
        S: Any real image (typically a spectrogram in dB).
        levels: Number of grey levels, 2..256.

    Returns:
        uint8 array of ``S``'s shape with values in ``[0, levels - 1]``.
    """
    if not 2 <= levels <= 256:
        raise ValueError(f"levels must be in 2..256, got {levels}")
    S = np.asarray(S, dtype=np.float64)
    lo, hi = float(np.min(S)), float(np.max(S))
    if not np.isfinite(lo) or not np.isfinite(hi):
        raise ValueError("quantize: the image holds non-finite values")
    if hi <= lo:
        return np.zeros(S.shape, dtype=np.uint8)
    q = np.floor((S - lo) * (levels / (hi - lo)))
    return np.clip(q, 0, levels - 1).astype(np.uint8)


def lbp_n_bins(P: int = 8, method: str = "nri_uniform") -> int:
    """Number of distinct codes (histogram bins) of skimage's LBP ``method`` with ``P`` neighbours.

    ``"nri_uniform"``: ``P (P - 1) + 3`` (59 for ``P = 8``); ``"uniform"``: ``P + 2``;
    ``"default"`` / ``"ror"``: ``2 ** P``.

    Notebook: ``03_texture_features.ipynb``.
    """
    if method == "nri_uniform":
        return P * (P - 1) + 3
    if method == "uniform":
        return P + 2
    if method in ("default", "ror"):
        return 2**P
    raise ValueError(f"no fixed bin count for LBP method {method!r}")


def lbp(image: np.ndarray, P: int = 8, R: float = 1, method: str = "uniform") -> np.ndarray:
    """Local Binary Pattern codes of a grey image, via ``skimage.feature.local_binary_pattern``.

    Ojala et al.'s operator (Ojala et al. 2002): each pixel ``g_c`` is compared with ``P``
    neighbours ``g_p`` on a circle of radius ``R`` (bilinearly interpolated off the grid), and
    the code is ``sum_p s(g_p - g_c) 2^p`` with ``s(x) = 1 if x >= 0``. Neighbour ``p`` sits at
    row offset ``-R sin(2 pi p / P)``, column offset ``R cos(2 pi p / P)`` (``p = 0`` to the right,
    counter-clockwise). ``method="uniform"`` maps a code to its number of 1 bits when it has at
    most two 0/1 transitions around the circle, else to ``P + 1`` (rotation invariant, ``P + 2``
    values); ``"nri_uniform"`` keeps each uniform pattern apart (``P (P - 1) + 2`` values plus one
    for all non-uniform ones: 59 for ``P = 8``), which is the 59-bin histogram Costa et al. use
    (Costa et al. 2017).

    Integer images are compared exactly; pass spectrograms through :func:`quantize` first (skimage
    warns about floating-point images). Near the image's edge, neighbours fall outside it and
    scikit-image compares with **0** there: the codes of the outer ``ceil(R)`` rows and columns are
    artefacts of that padding, which :func:`lbp_zone_histograms` leaves out.

    Notebook: ``03_texture_features.ipynb``.

    Args:
        image: 2-D grey image.
        P: Number of neighbours.
        R: Radius in pixels.
        method: skimage's method name.

    Returns:
        float64 array of codes, shape of ``image``.
    """
    from skimage.feature import local_binary_pattern

    image = np.asarray(image)
    if image.ndim != 2:
        raise ValueError(f"lbp expects a 2-D image, got shape {image.shape}")
    return local_binary_pattern(image, P=P, R=R, method=method)


def zone_edges(n_rows: int, n_zones: int = 15) -> np.ndarray:
    """Row boundaries of ``n_zones`` contiguous zones of (nearly) equal height over ``n_rows`` rows.

    ``round(linspace(0, n_rows, n_zones + 1))``: on a mel spectrogram, equal-height zones are
    equal-width zones on the mel scale, i.e. Costa's mel-scale zoning.

    Notebook: ``03_texture_features.ipynb``.
    """
    if not 1 <= n_zones <= n_rows:
        raise ValueError(f"cannot cut {n_rows} rows into {n_zones} zones")
    return np.round(np.linspace(0, n_rows, n_zones + 1)).astype(int)


def lbp_zone_histograms(
    S_mel: np.ndarray,
    n_zones: int = 15,
    P: int = 8,
    R: float = 2,
    method: str = "nri_uniform",
    levels: int = 256,
) -> np.ndarray:
    """Costa's zoned LBP descriptor: one normalised LBP histogram per mel-frequency zone.

    Costa et al. split the spectrogram into **15 mel-scale zones**, describe each by a
    **59-bin** LBP histogram and train one SVM per zone (Costa et al. 2017, [P]).
    59 bins is skimage's ``"nri_uniform"`` (non-rotation-invariant uniform LBP) with ``P = 8``.

    *Our reading* where the paper is silent or we deviate:

    * the image is the clip's **log-mel** spectrogram (rows are already mel-spaced, so zones of
      equal height are mel-scale zones), not a linear-frequency picture cut at mel boundaries;
    * it is quantised to ``levels = 256`` grey levels (8 bits, like an image file) per clip;
    * ``P = 8, R = 2``; LBP is computed on the **whole image** and then histogrammed per zone
      (zone borders see their neighbours, as in one picture);
    * the codes of the outer ``ceil(R)`` rows and columns are **left out**: their circles reach
      outside the image, where scikit-image compares with zeros (with ``R = 2``, 2 of the about 8.5
      rows of the lowest and of the highest zone);
    * plain uniform LBP, not the paper's "robust" variant (RLBP);
    * each histogram is normalised to sum to 1, so clips of any length are comparable.

    Notebook: ``03_texture_features.ipynb``.

    Args:
        S_mel: Mel spectrogram (any monotone scale, typically dB), ``(n_mels, frames)``.
        n_zones: Number of mel zones.
        P, R, method: LBP parameters (see :func:`lbp`).
        levels: Grey levels of the quantised image.

    Returns:
        float32 array ``(n_zones, lbp_n_bins(P, method))``, each row summing to 1 (a zone with no
        code left after the border is cut keeps all zeros).
    """
    n_bins = lbp_n_bins(P, method)
    codes = lbp(quantize(S_mel, levels=levels), P=P, R=R, method=method).astype(np.int64)
    n_rows, n_cols = codes.shape
    r = int(np.ceil(R))
    edges = zone_edges(n_rows, n_zones)
    H = np.zeros((n_zones, n_bins), dtype=np.float32)
    for z in range(n_zones):
        block = codes[max(edges[z], r) : min(edges[z + 1], n_rows - r), r : n_cols - r]
        h = np.bincount(block.ravel(), minlength=n_bins)[:n_bins]
        H[z] = h / max(1, h.sum())
    return H


def glcm(
    image_q: np.ndarray,
    distances: Sequence[int] = (1,),
    angles: Sequence[float] = GLCM_ANGLES,
    levels: int = 16,
    symmetric: bool = False,
    normed: bool = True,
) -> np.ndarray:
    """Grey-level co-occurrence matrices of a quantised image, via ``skimage.feature.graycomatrix``.

    Haralick's co-occurrence matrix (Haralick et al. 1973): entry ``[i, j]`` counts the pixel
    pairs at offset ``(distance, angle)`` whose first pixel has grey level ``i`` and second ``j``.
    skimage's offsets, checked on Haralick's 4 x 4 example in ``tests/test_features.py``: angle 0
    pairs pixel ``(r, c)`` with ``(r, c + d)``, ``pi/4`` with ``(r + d, c + d)``, ``pi/2`` with
    ``(r + d, c)``, ``3 pi/4`` with ``(r + d, c - d)``. On a spectrogram (row 0 = lowest band,
    drawn at the bottom) these are the usual counter-clockwise angles: 0° is later in time, 90°
    is one band higher.

    Nakashika et al. compute GLCMs "with different offsets" of a short-term **mel** spectrogram
    (Nakashika et al. 2012) ([S], abstract); distance 1, angles 0/45/90/135° and 16 grey levels are
    the reproduction's reading ([R]). ``symmetric=False`` (as that reproduction)
    and normalisation (each map sums to 1, *our reading*) are choices, not the paper's.

    Notebook: ``03_texture_features.ipynb``.

    Args:
        image_q: Integer image with values in ``[0, levels - 1]`` (see :func:`quantize`).
        distances: Pixel distances.
        angles: Angles in radians.
        levels: Grey levels.
        symmetric: Count each pair in both orders.
        normed: Divide each map by its total count.

    Returns:
        ``(levels, levels, len(distances) * len(angles))``: one map per offset, distance-major
        (all angles of the first distance, then the next); float32 if ``normed`` else uint32.
    """
    from skimage.feature import graycomatrix

    image_q = np.asarray(image_q)
    if image_q.ndim != 2:
        raise ValueError(f"glcm expects a 2-D image, got shape {image_q.shape}")
    if image_q.size and (image_q.min() < 0 or image_q.max() >= levels):
        raise ValueError(f"glcm: image values must lie in [0, {levels - 1}]; quantize it first")
    G = graycomatrix(image_q.astype(np.uint8, copy=False), distances=list(distances),
                     angles=list(angles), levels=levels, symmetric=symmetric, normed=normed)
    G = G.reshape(levels, levels, -1)
    return G.astype(np.float32) if normed else G


def glcm_maps_per_segment(
    y: np.ndarray,
    sr: int = SR,
    seconds: float = 4.0,
    overlap: float = 0.5,
    n_mels: int = 40,
    frame_seconds: float = 0.125,
    levels: int = 16,
    distances: Sequence[int] = (1,),
    angles: Sequence[float] = GLCM_ANGLES,
    *,
    S_db: np.ndarray | None = None,
) -> np.ndarray:
    """Nakashika's CNN input: per short-term segment, a stack of GLCMs of its quantised mel map.

    Pipeline ((Nakashika et al. 2012); parameters as read by the public reproduction, [R]): log-mel map with **40 bands**, frames of **0.125 s without overlap**; the clip is cut
    into **4 s segments with 2 s overlap** (14 per 30 s clip); each segment's map is quantised to
    **16 grey levels** (min-max per segment, dB, *our reading*) and described by one GLCM per
    offset (distance 1; 0°, 45°, 90°, 135°).

    For speed the mel map is computed **once for the whole clip** (uncentred frames, so frame
    ``k`` covers samples ``[k h, k h + h)``, ``h = round(frame_seconds * sr)``) and segments are
    cut in the frame domain: ``round(seconds / frame_seconds)`` frames per segment, hop scaled by
    ``1 - overlap``; at 22 050 Hz a segment start differs from the audio-domain cut of
    :func:`segment` by less than one frame. Segment count: :func:`n_segments` on frames; a clip
    shorter than one segment gives one segment, zero-padded in dB at the map's minimum.

    Notebook: ``03_texture_features.ipynb`` (used as input in ``05_nakashika_glcm_cnn.ipynb``).

    Args:
        y: Mono audio.
        sr: Sample rate.
        seconds, overlap: Segment length and overlap.
        n_mels, frame_seconds: Mel map parameters (``n_fft = hop = round(frame_seconds * sr)``).
        levels: Grey levels.
        distances, angles: GLCM offsets.
        S_db: Optional precomputed clip-level dB mel map with these parameters (skips the STFT).

    Returns:
        float32 ``(n_segments, levels, levels, n_offsets)``: one channel per offset, each map
        summing to 1.
    """
    import librosa

    if S_db is None:
        S_db = glcm_mel_map(y, sr, n_mels=n_mels, frame_seconds=frame_seconds)
    seg_frames = max(1, int(round(seconds / frame_seconds)))
    seg_hop = max(1, int(round(seg_frames * (1.0 - overlap))))
    if S_db.shape[1] < seg_frames:
        pad = np.full((S_db.shape[0], seg_frames - S_db.shape[1]), S_db.min() if S_db.size else 0.0,
                      dtype=np.float32)
        S_db = np.concatenate([S_db, pad], axis=1)
    frames = librosa.util.frame(x=np.ascontiguousarray(S_db), frame_length=seg_frames,
                                hop_length=seg_hop, axis=-1)  # (n_mels, seg_frames, n_seg)
    n_off = len(distances) * len(angles)
    out = np.empty((frames.shape[-1], levels, levels, n_off), dtype=np.float32)
    for k in range(frames.shape[-1]):
        out[k] = glcm(quantize(frames[..., k], levels=levels), distances=distances, angles=angles,
                      levels=levels)
    return out


def glcm_mel_map(y: np.ndarray, sr: int = SR, n_mels: int = 40, frame_seconds: float = 0.125) -> np.ndarray:
    """The clip-level dB mel map :func:`glcm_maps_per_segment` cuts: uncentred, non-overlapping frames.

    ``n_fft = hop_length = round(frame_seconds * sr)`` (2 756 at 22 050 Hz); ``ref=np.max``, no
    ``top_db`` clipping, as the reproduction ([R]).

    Notebook: ``03_texture_features.ipynb``.
    """
    n = int(round(frame_seconds * sr))
    y = np.asarray(y, dtype=np.float32)
    if y.shape[0] < n:
        y = np.pad(y, (0, n - y.shape[0]))
    return log_mel(y, sr, n_fft=n, hop_length=n, n_mels=n_mels, top_db=None, center=False)


# --------------------------------------------------------------------------------------------
# One pass for the whole feature set, and the classical descriptors
# --------------------------------------------------------------------------------------------


def texture_features(
    y: np.ndarray,
    sr: int = SR,
    n_fft: int = 2048,
    hop_length: int = 512,
    n_mels: int = 128,
    n_zones: int = 15,
    lbp_P: int = 8,
    lbp_R: float = 2,
    glcm_seconds: float = 4.0,
    glcm_overlap: float = 0.5,
    glcm_n_mels: int = 40,
    glcm_frame_seconds: float = 0.125,
    glcm_levels: int = 16,
) -> dict[str, np.ndarray]:
    """The book's feature set of one clip in one pass: log-mel, LBP zone histograms, GLCM maps.

    One STFT feeds the log-mel spectrogram, and the LBP zones are cut from that same log-mel image
    (Costa); the GLCM maps need their own, much coarser mel map (Nakashika's 0.125 s frames), which
    costs a few per cent of the first. This is the function the benchmark and the feature cache use
    for "the whole set".

    Notebook: ``03_texture_features.ipynb``.

    Returns:
        ``{"log_mel": (n_mels, frames) float32, "lbp": (n_zones, 59) float32,
        "glcm": (n_segments, levels, levels, 4) float32}``.
    """
    S_db = log_mel(y, sr, n_fft=n_fft, hop_length=hop_length, n_mels=n_mels)
    H = lbp_zone_histograms(S_db, n_zones=n_zones, P=lbp_P, R=lbp_R)
    G = glcm_maps_per_segment(y, sr, seconds=glcm_seconds, overlap=glcm_overlap, n_mels=glcm_n_mels,
                              frame_seconds=glcm_frame_seconds, levels=glcm_levels)
    return {"log_mel": S_db, "lbp": H, "glcm": G}


_FRAME_FEATURES = ("centroid", "rolloff") + tuple(f"contrast{i}" for i in range(7)) + ("zcr",)
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
    return float(np.atleast_1d(tempo_fn(onset_envelope=onset_envelope, sr=sr, hop_length=hop_length))[0])


def descriptors(y: np.ndarray, sr: int = SR, n_fft: int = 2048, hop_length: int = 512) -> np.ndarray:
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
    mel_db = librosa.power_to_db(S=mel_spectrogram(S=S, sr=sr, n_mels=128), ref=1.0, top_db=None)
    mfcc = librosa.feature.mfcc(S=mel_db, n_mfcc=20)
    frame_feats = np.vstack([
        librosa.feature.spectral_centroid(S=S, sr=sr),
        librosa.feature.spectral_rolloff(S=S, sr=sr, roll_percent=0.85),
        librosa.feature.spectral_contrast(S=S, sr=sr),
        librosa.feature.zero_crossing_rate(y=y, frame_length=n_fft, hop_length=hop_length),
    ])
    onset = librosa.onset.onset_strength(S=mel_db, sr=sr)
    v = np.concatenate([mfcc.mean(axis=1), mfcc.std(axis=1), frame_feats.mean(axis=1),
                        frame_feats.std(axis=1), [_tempo(onset, sr, hop_length)]])
    return np.nan_to_num(v, nan=0.0, posinf=0.0, neginf=0.0).astype(np.float32)


# --------------------------------------------------------------------------------------------
# Network inputs, one function per paper (the per-clip functions the CNN chapters cache)
# --------------------------------------------------------------------------------------------


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
        pad = np.full((seg - S_db.shape[0], S_db.shape[1]), S_db.min(initial=-top_db), np.float32)
        S_db = np.concatenate([S_db, pad])
    n = 1 + (S_db.shape[0] - seg) // step
    return np.stack([S_db[k * step : k * step + seg] for k in range(n)]).astype(np.float32)
