"""Chapter 12's exercises: its prose snippet runs, and each changed parameter works as written.

The fenced ``python`` block of the page runs on tiny inputs (a toy system on two generated
clips); the exercises that change parameters build what they need with those values.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import pytest

from mgr_utils import validity as v

SR = 22050
NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "12_validity.ipynb"


def _markdown() -> str:
    nb = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    return "\n".join(
        "".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown"
    )


def _blocks() -> list[str]:
    return [
        re.sub(r"^   ", "", b, flags=re.M)  # the block sits in a numbered list
        for b in re.findall(r"```python\n(.*?)```", _markdown(), flags=re.S)
    ]


def _clip(seconds: float, f0: float) -> np.ndarray:
    t = np.arange(int(seconds * SR)) / SR
    return (0.3 * np.sin(2 * np.pi * f0 * t)).astype(np.float32)


def _toy_system(y, sr):
    """Class 1 when the clip has energy above 1 kHz, else class 0 (a "system")."""
    Y = np.abs(np.fft.rfft(y))
    f = np.fft.rfftfreq(len(y), 1 / sr)
    high = Y[f > 1000].sum() / (Y.sum() + 1e-12)
    return np.array([1 - high, high])


def test_the_pages_snippet_runs():
    blocks = _blocks()
    assert len(blocks) == 1, "a new snippet needs its own run here"
    shown = []
    namespace = {
        "validity": v,
        "predict": {"toy": _toy_system},
        "audio": [_clip(1.0, 220.0), _clip(1.0, 3000.0)],
        "y_true": np.array([0, 1]),
        "sr": SR,
        "names": {"toy": "the toy"},
        "display": shown.append,
        "Markdown": str,
    }
    exec(blocks[0], namespace)
    assert namespace["more"]["n"] == 2
    assert "MP3 at 64 kbit/s" in shown[0] and "the toy" in shown[0]


def test_exercise_2_runs_two_systems_with_a_16_filter_family():
    text = _markdown()
    assert 'SYSTEMS = ["musicnn_msd_linear_svm", "dieleman2014_mel"]' in text
    assert "HORSE_FILTERS = 16" in text
    for s in ("musicnn_msd_linear_svm", "dieleman2014_mel"):
        assert s in v.SYSTEMS_UNDER_TEST
    filters = v.horse_filters(16, seed=0)
    assert len(filters) == 16 and filters.max_abs_db.max() <= v.HORSE_MAX_DB
    audio = [_clip(0.5, 220.0), _clip(0.5, 3000.0)]
    ranges = v.horse_test({"toy": _toy_system}, audio, [0, 1], SR, filters)
    assert ranges["toy"]["n_filters"] == 16


def _small_network():
    import keras

    from mgr_utils.features import mel_frames

    params = {"n_samples": 11008, "stride": 256, "n_mels": 16}
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input((43, 16)),
            keras.layers.Conv1D(8, 3, activation="relu"),
            keras.layers.GlobalAveragePooling1D(),
            keras.layers.Dense(3, activation="softmax"),
        ]
    )

    def predict(y, sr):
        return np.asarray(model(mel_frames(y, sr, **params), training=False)).mean(0)

    return predict, v.tf_system(model, "mel_frames", params, SR)


def test_exercise_4_attacks_toward_a_chosen_class():
    predict, system = _small_network()
    rng = np.random.default_rng(1)
    y = (0.1 * rng.standard_normal(SR)).astype(np.float32)
    label = int(np.argmax(predict(y, SR)))
    for target in {0, 1, 2} - {label}:
        settings = v.AttackSettings(snr_dbs=(30.0,), steps=2)
        r = v.attack_clip(
            y, SR, label, predict, system, target=target, settings=settings
        )
        assert r["target"] == target


def test_exercise_5_a_15_db_level_and_30_steps_are_valid_settings():
    text = _markdown()
    assert "SNR_DBS = [40.0, 30.0, 20.0, 15.0]" in text and "ATTACK_STEPS = 30" in text
    settings = v.AttackSettings(snr_dbs=(40.0, 30.0, 20.0, 15.0), steps=30)
    settings.check()
    predict, system = _small_network()
    rng = np.random.default_rng(2)
    y = (0.1 * rng.standard_normal(SR)).astype(np.float32)
    label = int(np.argmax(predict(y, SR)))
    quick = v.AttackSettings(snr_dbs=(15.0,), steps=2, stop_probability=1.0)
    r = v.attack_clip(y, SR, label, predict, system, settings=quick)
    assert r["levels"][0]["measured_snr_db"] >= 15.0


@pytest.mark.parametrize(
    "name", ["SNR_DBS", "ATTACK_STEPS", "HORSE_FILTERS", "SYSTEMS"]
)
def test_the_exercises_name_real_parameters(name):
    nb = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    params = next(
        "".join(c["source"])
        for c in nb["cells"]
        if "parameters" in c["metadata"].get("tags", [])
    )
    assert re.search(rf"^{name}\b", params, flags=re.M)
