"""Shared test fixtures."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
"""The test data shared beside the repository (``../shared/data``); never copied into it."""


@pytest.fixture
def shared_data() -> Path:
    """``../shared/data`` (split lists, a real recording); the test is skipped if it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared test data not found at {SHARED_DATA}")
    return SHARED_DATA


def write_gtzan(
    root: Path, genres, n_per_genre: int = 2, ext: str = "wav", seconds: float = 0.05
) -> Path:
    """Write a tiny GTZAN ``root/<g>/<g>.NNNNN.<ext>`` (quiet noise at 22050 Hz); return ``root``."""
    rng = np.random.default_rng(0)
    fmt = {"wav": "WAV", "au": "AU"}[ext]
    for g in genres:
        (root / g).mkdir(parents=True, exist_ok=True)
        for i in range(n_per_genre):
            y = 0.1 * rng.standard_normal(int(seconds * 22050))
            sf.write(root / g / f"{g}.{i:05d}.{ext}", y, 22050, format=fmt, subtype="PCM_16")
    return root


@pytest.fixture(scope="session")
def make_gtzan():
    """The function :func:`write_gtzan`, for tests that build GTZAN folders in ``tmp_path``."""
    return write_gtzan
