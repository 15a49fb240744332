"""Texture features of a spectrogram image: quantisation, LBP (Costa), GLCM (Nakashika).

Thin layers over scikit-image; each docstring says which paper a choice follows and where the value
is *our reading*.

Notebook: ``03_texture_features.ipynb``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from mgr_utils import SR
from mgr_utils.features.spectrograms import log_mel

GLCM_ANGLES = (0.0, np.pi / 4, np.pi / 2, 3 * np.pi / 4)
"""The four GLCM directions 0°, 45°, 90°, 135° (Nakashika's mel-map angles as read by a public
reproduction, [R])."""


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


def lbp(
    image: np.ndarray, P: int = 8, R: float = 1, method: str = "uniform"
) -> np.ndarray:
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
    codes = lbp(quantize(S_mel, levels=levels), P=P, R=R, method=method).astype(
        np.int64
    )
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
        raise ValueError(
            f"glcm: image values must lie in [0, {levels - 1}]; quantize it first"
        )
    G = graycomatrix(
        image_q.astype(np.uint8, copy=False),
        distances=list(distances),
        angles=list(angles),
        levels=levels,
        symmetric=symmetric,
        normed=normed,
    )
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
    symmetric: bool = False,
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
        symmetric: Count each pair of neighbours in both orders (:func:`glcm`; the
            reproduction's maps are not symmetric).

    Returns:
        float32 ``(n_segments, levels, levels, n_offsets)``: one channel per offset, each map
        summing to 1.
    """
    if S_db is None:
        S_db = glcm_mel_map(y, sr, n_mels=n_mels, frame_seconds=frame_seconds)
    frames = _glcm_segments(S_db, seconds, overlap, frame_seconds)
    n_off = len(distances) * len(angles)
    out = np.empty((frames.shape[-1], levels, levels, n_off), dtype=np.float32)
    for k in range(frames.shape[-1]):
        out[k] = glcm(
            quantize(frames[..., k], levels=levels),
            distances=distances,
            angles=angles,
            levels=levels,
            symmetric=symmetric,
        )
    return out


def _glcm_segments(
    S_db: np.ndarray, seconds: float, overlap: float, frame_seconds: float
) -> np.ndarray:
    """The segments :func:`glcm_maps_per_segment` cuts from a clip's mel map.

    Returns ``(n_mels, seg_frames, n_segments)``; a map shorter than one segment is padded
    at its minimum.
    """
    import librosa

    seg_frames = max(1, int(round(seconds / frame_seconds)))
    seg_hop = max(1, int(round(seg_frames * (1.0 - overlap))))
    if S_db.shape[1] < seg_frames:
        pad = np.full(
            (S_db.shape[0], seg_frames - S_db.shape[1]),
            S_db.min() if S_db.size else 0.0,
            dtype=np.float32,
        )
        S_db = np.concatenate([S_db, pad], axis=1)
    return librosa.util.frame(
        x=np.ascontiguousarray(S_db),
        frame_length=seg_frames,
        hop_length=seg_hop,
        axis=-1,
    )


def glcm_level_steps(
    y: np.ndarray,
    sr: int = SR,
    seconds: float = 4.0,
    overlap: float = 0.5,
    n_mels: int = 40,
    frame_seconds: float = 0.125,
    levels: int = 16,
) -> np.ndarray:
    """How many dB one grey level spans in each segment the GLCMs are computed on.

    :func:`glcm_maps_per_segment` quantises each segment of the clip's mel map
    (:func:`glcm_mel_map`: dB below the clip's loudest cell, no floor) min-max to
    ``levels`` levels (:func:`quantize`), so one level spans ``(max - min) / levels`` dB
    of that segment: the step depends on the segment's own range, not on a fixed one.

    Notebook: ``03_texture_features.ipynb``.

    Args:
        y, sr, seconds, overlap, n_mels, frame_seconds, levels: As
            :func:`glcm_maps_per_segment`.

    Returns:
        float64 array ``(n_segments,)``: dB per grey level of each segment.
    """
    S_db = glcm_mel_map(y, sr, n_mels=n_mels, frame_seconds=frame_seconds)
    frames = _glcm_segments(S_db, seconds, overlap, frame_seconds).astype(np.float64)
    span = frames.max(axis=(0, 1)) - frames.min(axis=(0, 1))
    return span / levels


def glcm_mel_map(
    y: np.ndarray, sr: int = SR, n_mels: int = 40, frame_seconds: float = 0.125
) -> np.ndarray:
    """The clip-level dB mel map :func:`glcm_maps_per_segment` cuts: uncentred, non-overlapping frames.

    ``n_fft = hop_length = round(frame_seconds * sr)`` (2 756 at 22 050 Hz); ``ref=np.max``, no
    ``top_db`` clipping, as the reproduction ([R]).

    Notebook: ``03_texture_features.ipynb``.
    """
    n = int(round(frame_seconds * sr))
    y = np.asarray(y, dtype=np.float32)
    if y.shape[0] < n:
        y = np.pad(y, (0, n - y.shape[0]))
    return log_mel(
        y, sr, n_fft=n, hop_length=n, n_mels=n_mels, top_db=None, center=False
    )


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
    G = glcm_maps_per_segment(
        y,
        sr,
        seconds=glcm_seconds,
        overlap=glcm_overlap,
        n_mels=glcm_n_mels,
        frame_seconds=glcm_frame_seconds,
        levels=glcm_levels,
    )
    return {"log_mel": S_db, "lbp": H, "glcm": G}
