"""The one set-up call each notebook makes, and the helpers every chapter shares on the page.

Notebook: ``01_datasets.ipynb`` (used by every chapter).
"""

from __future__ import annotations

import os
import platform
import random
import sys
import time
from importlib import metadata
from pathlib import Path

import numpy as np

_REPORTED = (
    "numpy",
    "librosa",
    "scikit-learn",
    "scikit-image",
    "matplotlib",
    "tensorflow",
    "keras",
)
_IMPORTED_AT = time.time()

GLUE_PREFIX = "application/papermill.record/"
"""MIME prefix of a value stored for the book but not shown (myst-nb's ``glue`` convention)."""


def setup(seed: int = 0, tensorflow: bool = False) -> None:
    """Start a run, seed every random generator, set the plotting style, print the versions.

    Each call starts a new run of the results records (:func:`mgr_utils.results.start_run`):
    running the notebook again from the top replaces its record instead of adding to it.

    Notebook: ``01_datasets.ipynb``.

    Args:
        seed: Seed for ``random``, NumPy and (if ``tensorflow``) Keras/TensorFlow.
        tensorflow: Also import TensorFlow/Keras, seed them and make their ops deterministic.
    """
    from mgr_utils.results import start_run

    start_run()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    random.seed(seed)
    np.random.seed(seed)
    if tensorflow:
        import keras

        keras.utils.set_random_seed(seed)
    from mgr_utils.plotting import set_style

    set_style()
    versions = {"python": platform.python_version()}
    for name in _REPORTED:
        for dist in (name, f"{name}-cpu"):
            try:
                versions[name] = metadata.version(dist)
                break
            except metadata.PackageNotFoundError:
                continue
    print(" | ".join(f"{k} {v}" for k, v in versions.items()))


AUDIO_QUALITY = 0.2
"""Variable-bit-rate quality of the embedded MP3s, 0 (best) to 1 (smallest): LAME's ``-V 2``.

LAME's ``-V 2`` is the setting its authors recommend as transparent (no difference a listener
hears) for most music; for the book's mono 22,050 Hz clips it is 55-75 kbit/s, a fifth of the
16-bit PCM it replaces (353 kbit/s).
"""


def encode_mp3(
    y: np.ndarray, sr: int, quality: float = AUDIO_QUALITY, normalize: bool = True
) -> bytes:
    """``y`` as MP3 bytes (mono, variable bit rate; libsndfile's LAME encoder through soundfile).

    Notebook: ``01_datasets.ipynb``.

    Args:
        y: Mono audio, ``(n_samples,)``.
        sr: Sampling rate in Hz (MP3 takes 8 to 48 kHz).
        quality: 0 (best) to 1 (smallest); see :data:`AUDIO_QUALITY`.
        normalize: Scale the peak to 0.99 (as IPython's ``Audio`` does); otherwise clip to [-1, 1].
    """
    import io

    import soundfile as sf

    y = np.asarray(y, dtype=np.float32).reshape(-1)
    peak = float(np.max(np.abs(y))) if y.size else 0.0
    if normalize and peak > 0:
        y = y * (0.99 / peak)
    y = np.clip(y, -1.0, 1.0)
    buf = io.BytesIO()
    sf.write(
        buf,
        y,
        int(sr),
        format="MP3",
        subtype="MPEG_LAYER_III",
        compression_level=float(quality),
        bitrate_mode="VARIABLE",
    )
    return buf.getvalue()


def audio_player(y: np.ndarray, sr: int, normalize: bool = True):
    """An HTML5 audio player for ``y``, embedded in the page as MP3 (it plays in the rendered book).

    MP3 at LAME's transparent setting (:data:`AUDIO_QUALITY`) instead of WAV makes a page of
    players about five times lighter; every browser plays it. If the MP3 encoder is missing
    (libsndfile before 1.1), the player falls back to WAV.

    Notebook: ``01_datasets.ipynb``.
    """
    from IPython.display import Audio

    try:
        data = encode_mp3(y, sr, normalize=normalize)
    except (ValueError, TypeError, RuntimeError):  # soundfile without MP3 support
        return Audio(data=np.asarray(y, dtype=np.float32), rate=sr, normalize=normalize)
    player = Audio(data=data)
    player.mimetype = "audio/mpeg"  # IPython labels embedded bytes audio/wav
    return player


def show_source(fn) -> None:
    """Display a function's or class's code on the page, without its docstring.

    The code a student is meant to study (a model's layers) is shown from the package itself, so
    the page can never drift from what runs.

    Notebook: ``04_costa_cnn.ipynb`` (used in every model chapter).
    """
    import inspect
    import re

    from IPython.display import Markdown, display

    src = inspect.getsource(fn)
    src = re.sub(r'\n(\s+)""".*?"""\n', "\n", src, count=1, flags=re.S)
    display(Markdown(f"```python\n{src}```"))


def glue(name: str, value, display: bool = False) -> None:
    """Store ``value`` under ``name`` for the page's prose: ``{glue:md}`name``` inserts it.

    The same storage as myst-nb's ``glue`` (and readable by it), without importing myst-nb, so a
    notebook runs where the book tooling is not installed (Colab). A number in the prose is glued
    from the run, never typed: the page cannot contradict its own output.

    Notebook: ``01_datasets.ipynb``.

    Args:
        name: Key, unique in the notebook.
        value: Anything IPython can display; use :class:`IPython.display.Markdown` for text.
        display: Also show it where it is glued.
    """
    from IPython.core.formatters import format_display_data
    from IPython.display import display as ipy_display

    bundle, meta = format_display_data(value)
    prefix = "" if display else GLUE_PREFIX
    meta["scrapbook"] = {"name": name, "mime_prefix": prefix}
    ipy_display({prefix + k: v for k, v in bundle.items()}, raw=True, metadata=meta)


def glue_text(name: str, text: str) -> None:
    """Glue a piece of Markdown text (a number with its unit, a sentence): ``{glue:md}`name```.

    Notebook: ``01_datasets.ipynb``.
    """
    from IPython.display import Markdown

    glue(name, Markdown(text))


def _start_time() -> float:
    """When this process (the notebook's kernel) started; the import time of this module if unknown."""
    try:
        import psutil

        return psutil.Process().create_time()
    except Exception:  # no psutil, or no permission
        return _IMPORTED_AT


def peak_memory_mb() -> dict[str, float]:
    """Peak resident memory of this process and of its child processes (feature workers), in MB.

    Reads ``VmHWM`` (the high-water mark) from ``/proc`` on Linux; elsewhere, the current resident
    size of the children and ``ru_maxrss`` of this process.

    Notebook: ``01_datasets.ipynb``.

    Returns:
        ``{"kernel": MB, "workers": MB summed over children, "total": MB}``.
    """
    import resource

    def peak(pid: int) -> float | None:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    return float(line.split()[1]) / 1024
        except OSError:
            return None
        return None

    kernel = peak(os.getpid())
    if kernel is None:
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        kernel = rss / 2**20 if sys.platform == "darwin" else rss / 1024
    workers = 0.0
    try:
        import psutil

        for child in psutil.Process().children(recursive=True):
            value = peak(child.pid)
            if value is None:
                value = child.memory_info().rss / 2**20
            workers += value
    except Exception:
        pass
    return {
        "kernel": round(kernel, 1),
        "workers": round(workers, 1),
        "total": round(kernel + workers, 1),
    }


def machine() -> str:
    """A short description of the machine: CPU cores and, if TensorFlow sees one, the GPU.

    Notebook: ``01_datasets.ipynb``.
    """
    cores = os.cpu_count() or 1
    text = f"{cores}-core CPU"
    tf = sys.modules.get("tensorflow")
    if tf is not None:
        try:
            gpus = tf.config.list_physical_devices("GPU")
            if gpus:
                text += f" with {len(gpus)} GPU"
        except Exception:
            pass
    return text


def _memory_text(mb: float) -> str:
    """``812 MB`` below a gigabyte, ``2.3 GB`` above."""
    return f"{mb:.0f} MB" if mb < 1024 else f"{mb / 1024:.1f} GB"


def run_sentence(run: dict) -> str:
    """The sentence :func:`report_run` prints for a run record.

    ``{"seconds": 48.8, "peak_memory_mb": {"total": 812, ...}, "machine": "2-core CPU"}`` gives
    "This page ran in 48.8 s on a 2-core CPU, peak memory 812 MB." (the kernel and its worker
    processes added; the split follows in brackets when workers ran).

    Notebook: ``01_datasets.ipynb`` (the last cell of every chapter).
    """
    memory = run["peak_memory_mb"]
    text = (
        f"This page ran in {run['seconds']:.1f} s on a {run['machine']}, "
        f"peak memory {_memory_text(memory['total'])}"
    )
    if memory.get("workers"):
        text += (
            f" (kernel {_memory_text(memory['kernel'])}, "
            f"worker processes {_memory_text(memory['workers'])})"
        )
    return text + "."


def report_run(chapter: str, results_dir=None, *, dataset: str) -> None:
    """The last cell of every chapter: how long this run took and how much memory it used.

    The time runs from the kernel's start to this cell; the memory is the peak of the kernel and
    its worker processes. Both are glued for the page's runtime line (``{glue:md}`runtime```),
    written to the chapter's results record (``run``: ``{"seconds", "peak_memory_mb",
    "machine"}``), which chapter 10 and the README read, and printed as one sentence
    (:func:`run_sentence`). Writing it marks the record complete: the run reached its last
    cell (:func:`mgr_utils.results.record_run`).

    Notebook: ``01_datasets.ipynb`` (the last cell of every chapter).

    Args:
        chapter: The notebook's stem, e.g. ``"06_zhang_cnn"``.
        results_dir: The notebook's ``RESULTS_DIR`` (``None``: the default folder).
        dataset: The notebook's ``DATASET``: its record is ``<results_dir>/<dataset>/``.
    """
    from mgr_utils.results import record_run

    seconds = time.time() - _start_time()
    memory = peak_memory_mb()
    run = {"seconds": round(seconds, 1), "peak_memory_mb": memory, "machine": machine()}
    record_run(chapter, run, results_dir=results_dir, dataset=dataset)
    text = (
        f"{seconds:.0f} s on a {run['machine']}, "
        f"peak memory {_memory_text(memory['total'])}"
    )
    glue_text("runtime", text)
    print(run_sentence(run))
