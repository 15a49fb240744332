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

_REPORTED = ("numpy", "librosa", "scikit-learn", "scikit-image", "matplotlib", "tensorflow", "keras")
_IMPORTED_AT = time.time()

GLUE_PREFIX = "application/papermill.record/"
"""MIME prefix of a value stored for the book but not shown (myst-nb's ``glue`` convention)."""


def setup(seed: int = 0, tensorflow: bool = False) -> None:
    """Seed every random generator, set the plotting style, print the versions in use.

    Notebook: ``01_datasets.ipynb``.

    Args:
        seed: Seed for ``random``, NumPy and (if ``tensorflow``) Keras/TensorFlow.
        tensorflow: Also import TensorFlow/Keras, seed them and make their ops deterministic.
    """
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


def audio_player(y: np.ndarray, sr: int, normalize: bool = True):
    """An HTML5 audio player for ``y`` (embedded as WAV, so it plays in the rendered book).

    Notebook: ``01_datasets.ipynb``.
    """
    from IPython.display import Audio

    return Audio(data=np.asarray(y, dtype=np.float32), rate=sr, normalize=normalize)


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
    return {"kernel": round(kernel, 1), "workers": round(workers, 1), "total": round(kernel + workers, 1)}


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


def report_run(chapter: str, results_dir=None) -> dict:
    """The last cell of every chapter: how long this run took and how much memory it used.

    The time runs from the kernel's start to this cell; the memory is the peak of the kernel and
    its worker processes. Both are glued for the page's runtime line (``{glue:md}`runtime```) and
    written to the chapter's results record (``run``), which chapter 10 and the README read.

    Notebook: ``01_datasets.ipynb`` (the last cell of every chapter).

    Returns:
        ``{"seconds", "peak_memory_mb", "machine"}``.
    """
    from mgr_utils.results import record_run

    seconds = time.time() - _start_time()
    memory = peak_memory_mb()
    run = {"seconds": round(seconds, 1), "peak_memory_mb": memory, "machine": machine()}
    record_run(chapter, run, results_dir=results_dir)
    text = f"{seconds:.0f} s on a {run['machine']}, peak memory {memory['total'] / 1024:.1f} GB"
    glue_text("runtime", text)
    print(f"This run: {text} (kernel {memory['kernel']:.0f} MB, worker processes {memory['workers']:.0f} MB).")
    return run
