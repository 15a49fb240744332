"""Reading audio files: mono, resampled, clear errors.

Notebook: ``01_datasets.ipynb``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf

from mgr_utils import SR


class AudioLoadError(RuntimeError):
    """An audio file could not be read (missing, truncated, corrupt or of an unknown format)."""


def load_audio(
    path: str | Path,
    sr: int = SR,
    mono: bool = True,
    offset: float = 0.0,
    duration: float | None = None,
) -> np.ndarray:
    """Read an audio file as float32, mixed to mono and resampled to ``sr``.

    WAV, AU, FLAC and Ogg go through soundfile (libsndfile); anything else (e.g. MP3) falls back to
    librosa's decoder.

    Notebook: ``01_datasets.ipynb``.

    Args:
        path: The audio file.
        sr: Target sample rate in Hz (resampled with soxr when it differs).
        mono: Mix channels down to one.
        offset: Start reading this many seconds in.
        duration: Read at most this many seconds (``None``: to the end).

    Returns:
        ``y``: shape ``(n_samples,)`` if ``mono`` else ``(n_channels, n_samples)``.

    Raises:
        AudioLoadError: The file does not exist or cannot be decoded; the message names the file.
    """
    path = Path(path)
    if not path.is_file():
        raise AudioLoadError(
            f"{path}: no such audio file. Check the path or the DATA_DIR parameter."
        )
    try:
        with sf.SoundFile(str(path)) as f:
            sr_orig = f.samplerate
            start = int(round(offset * sr_orig))
            frames = -1 if duration is None else int(round(duration * sr_orig))
            if start:
                f.seek(min(start, f.frames))
            y = f.read(frames=frames, dtype="float32", always_2d=True).T
    except (sf.LibsndfileError, RuntimeError, ValueError) as err:
        y, sr_orig = _load_with_librosa(path, offset, duration, err)
    if y.shape[-1] == 0:
        raise AudioLoadError(
            f"{path}: the file holds no audio samples (empty or truncated)."
        )
    if mono:
        y = y.mean(axis=0)
    if sr_orig != sr:
        import librosa

        y = librosa.resample(y, orig_sr=sr_orig, target_sr=sr, res_type="soxr_hq")
    return np.ascontiguousarray(y, dtype=np.float32)


def _load_with_librosa(
    path: Path, offset: float, duration: float | None, first_error: Exception
):
    """Decode a format libsndfile does not read (e.g. MP3) with librosa; re-raise a clear error."""
    import warnings

    import librosa

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            y, sr_orig = librosa.load(
                str(path), sr=None, mono=False, offset=offset, duration=duration
            )
    except Exception as err:  # audioread raises many unrelated types
        raise AudioLoadError(
            f"{path}: cannot decode this audio file ({first_error}); it is corrupt or truncated. "
            "Replace it from another copy of the dataset, or delete it to skip it."
        ) from err
    return np.atleast_2d(y).astype(np.float32), int(sr_orig)


def probe_audio(path: str | Path) -> float:
    """Read an audio file's header: how many seconds of audio it holds (no decoding).

    soundfile reads the header of WAV, AU, AIFF, FLAC, Ogg and MP3; any other file goes
    to librosa (audioread, e.g. through ffmpeg when it is installed), as
    :func:`load_audio` does.

    Notebook: ``01_datasets.ipynb``.

    Raises:
        AudioLoadError: No decoder reads the file, or it holds no samples; the message
            names it.
    """
    path = Path(path)
    try:
        seconds = sf.info(str(path)).duration
    except (sf.LibsndfileError, RuntimeError, ValueError, OSError) as err:
        seconds = _probe_with_librosa(path, err)
    if not seconds > 0:
        raise AudioLoadError(
            f"{path}: the file holds no audio samples (empty or truncated)."
        )
    return float(seconds)


def _probe_with_librosa(path: Path, first_error: Exception) -> float:
    """The header probe of a file libsndfile does not read, through librosa."""
    import warnings

    import librosa

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            seconds = librosa.get_duration(path=str(path))
    except Exception as err:  # audioread raises many unrelated types
        how = (
            "install ffmpeg to read it, or convert it to FLAC"
            if path.suffix.lower() in (".m4a", ".aac", ".wma", ".mp4")
            else "it is corrupt, truncated or not audio"
        )
        raise AudioLoadError(
            f"{path}: not readable audio ({first_error}); {how}."
        ) from err
    return float(seconds)
