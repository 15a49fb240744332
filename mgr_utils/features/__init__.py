"""Features and network inputs: spectrograms, segments, patches, texture, descriptors, each paper's input.

Every function is a thin, documented layer over librosa (McFee et al. 2015) or scikit-image; each
docstring says which paper a choice follows and where the value is *our reading*. Submodules, in the
order the book introduces them:

============================  ======================================================  =========
module                        what                                                    chapter
============================  ======================================================  =========
:mod:`.spectrograms`          frames, segments, STFT, mel, log-mel, downscale, patches  2
:mod:`.texture`               quantisation, LBP zones (Costa), GLCM maps (Nakashika)    3
:mod:`.descriptors`           the classical descriptor vector                          1, 3
:mod:`.inputs`                network inputs of Costa and Zhang                        4-6
:mod:`.raw_audio`             MFCC excerpts (Li), waveform segments, stride-matched     7
                              log-mel, filter spectra
:mod:`.echonest`              stand-in for the Echo Nest features (12 chroma + 12       8
                              timbre values per frame)
:mod:`.linear_stft`           Choi's input: linear-magnitude STFT excerpts at 11,025 Hz  9
:mod:`.musicnn_input`         musicnn's input: 16 kHz log-mel, 96 bands, 3 s patches    11
============================  ======================================================  =========

Everything is re-exported here (``features.log_mel``, ``features.costa_patches``).

Notebook: ``02_spectrograms.ipynb`` (first use).
"""

FEATURES_VERSION = "2"
"""Bumped whenever a function here changes its output; part of every feature-cache key."""

from mgr_utils.features.spectrograms import (  # noqa: E402, F401
    check_positive,
    downscale,
    frame_windows,
    log_mel,
    mel_band_centres,
    mel_filterbank,
    mel_spectrogram,
    n_frames,
    n_segments,
    patches,
    segment,
    segment_means,
    stft_magnitude,
)
from mgr_utils.features.texture import (  # noqa: E402, F401
    GLCM_ANGLES,
    glcm,
    glcm_level_steps,
    glcm_maps_per_segment,
    glcm_mel_map,
    lbp,
    lbp_n_bins,
    lbp_zone_histograms,
    quantize,
    texture_features,
    zone_edges,
)
from mgr_utils.features.descriptors import DESCRIPTOR_NAMES, descriptors  # noqa: E402, F401
from mgr_utils.features.inputs import (
    COSTA_HOP_LENGTH,
    COSTA_N_FFT,
    costa_mel_patches,
    costa_patches,
    stft_segments,
)  # noqa: E402, F401
from mgr_utils.features.linear_stft import (  # noqa: E402, F401
    CHOI_HOP_LENGTH,
    CHOI_N_FFT,
    CHOI_SECONDS,
    CHOI_SHAPE,
    CHOI_SR,
    choi_stft_excerpts,
    excerpt_audio,
    stft_excerpt,
)
from mgr_utils.features.raw_audio import (  # noqa: E402, F401
    LI_FRAMES,
    LI_HOP_LENGTH,
    LI_N_FFT,
    LI_N_MFCC,
    filter_through,
    li_mfcc_excerpts,
    mel_frames,
    sort_by_dominant_frequency,
    waveform_segments,
)
from mgr_utils.features.echonest import (  # noqa: E402, F401
    ECHONEST_HOP_LENGTH,
    FEATURE_NAMES,
    N_FEATURES,
    echonest_features,
    echonest_windows,
)
from mgr_utils.features.musicnn_input import (  # noqa: E402, F401
    MUSICNN_FRAMES,
    MUSICNN_SR,
    musicnn_embedding,
    musicnn_input,
    musicnn_logmel,
    musicnn_patches,
)
