"""The helpers every page shares: embedded audio players and the run's closing sentence."""

from __future__ import annotations

import base64
import io
import re

import numpy as np
import pytest

from mgr_utils.notebook import audio_player, encode_mp3, report_run, run_sentence
from mgr_utils.synthetic import SR, render

sf = pytest.importorskip("soundfile")


def _decode_player(player) -> tuple[str, np.ndarray, int]:
    html = player._repr_html_()
    mime, payload = re.search(r'src="data:([^;]+);base64,([^"]+)"', html).groups()
    y, sr = sf.read(io.BytesIO(base64.b64decode(payload)), dtype="float32")
    return mime, y, sr


def _log_spectrum(y: np.ndarray, n_fft: int = 1024) -> np.ndarray:
    frames = np.lib.stride_tricks.sliding_window_view(y, n_fft)[:: n_fft // 2]
    power = np.abs(np.fft.rfft(frames * np.hanning(n_fft), axis=1)) ** 2
    return 10 * np.log10(power.mean(axis=0) + 1e-10)


def test_the_player_embeds_an_mp3_that_decodes_to_the_same_clip():
    y = render("rock", seed=3, duration=4.0)
    mime, z, sr = _decode_player(audio_player(y, SR))
    assert mime == "audio/mpeg" and sr == SR
    assert len(z) == len(
        y
    )  # libsndfile's decoder removes the encoder's delay and padding
    ref = y * (
        0.99 / np.abs(y).max()
    )  # the player normalises the peak, as IPython's does
    # Waveforms agree closely (a perceptual codec is not sample-exact: about 20 dB SNR here),
    # and the long-term spectrum agrees within 3 dB wherever it is within 50 dB of its peak.
    assert np.corrcoef(ref, z)[0, 1] > 0.97
    spec_ref, spec = _log_spectrum(ref), _log_spectrum(z)
    loud = spec_ref > spec_ref.max() - 50
    assert np.median(np.abs(spec_ref[loud] - spec[loud])) < 3.0


def test_the_mp3_is_far_lighter_than_16_bit_pcm():
    y = render("classical", seed=0, duration=10.0)
    pcm_bytes = 2 * len(y)
    assert len(encode_mp3(y, SR)) < pcm_bytes / 3


@pytest.mark.parametrize("sr", [8000, 12000, 16000, 44100])
def test_other_sampling_rates_keep_their_length(sr):
    t = np.arange(sr) / sr
    y = 0.5 * np.sin(2 * np.pi * 330 * t)
    _, z, rate = _decode_player(audio_player(y, sr, normalize=False))
    assert rate == sr and len(z) == sr
    assert np.corrcoef(y, z)[0, 1] > 0.97


def test_report_run_prints_one_sentence_and_records_the_run(tmp_path, capsys):
    import json

    assert report_run("99_test", tmp_path, dataset="synthetic") is None
    out = capsys.readouterr().out
    sentence = [
        line for line in out.splitlines() if line.startswith("This page ran in")
    ]
    assert len(sentence) == 1 and sentence[0].endswith(".")
    assert "{" not in out and "peak_memory_mb" not in out
    record = json.loads((tmp_path / "synthetic" / "99_test.json").read_text())
    assert record["run"]["seconds"] > 0 and record["run"]["peak_memory_mb"]["total"] > 0
    assert record["complete"] is True, "the last cell marks its run complete"


def test_run_sentence():
    run = {
        "seconds": 48.84,
        "machine": "2-core CPU",
        "peak_memory_mb": {"kernel": 600.0, "workers": 0.0, "total": 812.4},
    }
    assert (
        run_sentence(run)
        == "This page ran in 48.8 s on a 2-core CPU, peak memory 812 MB."
    )
    run["peak_memory_mb"] = {"kernel": 1900.0, "workers": 512.0, "total": 2412.0}
    assert run_sentence(run) == (
        "This page ran in 48.8 s on a 2-core CPU, peak memory 2.4 GB "
        "(kernel 1.9 GB, worker processes 512 MB)."
    )
