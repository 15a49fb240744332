"""Atomic file writes: a reader sees the old file, or the whole new one, never a partial one.

Used by the feature and audio caches (:mod:`mgr_utils.cache`), the results record
(:mod:`mgr_utils.results`) and the book tooling's manifest.

Notebook: ``02_spectrograms.ipynb`` (the feature cache).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO


@contextmanager
def atomic_write(
    path: str | Path, mode: str = "wb", fsync: bool = False, **open_kwargs
) -> Iterator[IO]:
    """Open a temporary file beside ``path``; on success rename it over ``path``, on error delete it.

    Notebook: ``02_spectrograms.ipynb``.

    Args:
        path: The final file; its folder is created if needed.
        mode: ``"wb"`` or ``"w"`` (text; pass ``encoding=`` in ``open_kwargs``).
        fsync: Flush to disk before the rename (survives a power cut, not only a killed process).
        **open_kwargs: Passed to :func:`os.fdopen`.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, mode, **open_kwargs) as f:
            yield f
            if fsync:
                f.flush()
                os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_json_atomic(path: str | Path, obj, indent: int | None = 1) -> None:
    """Write ``obj`` as JSON to ``path`` via a temporary file, ``fsync`` and an atomic rename.

    Notebook: ``03_texture_features.ipynb`` (the results record).
    """
    import json

    with atomic_write(path, "w", fsync=True, encoding="utf-8") as f:
        json.dump(obj, f, indent=indent, sort_keys=False)
