"""``mgr-predict`` and :func:`mgr_utils.predict.predict_file`: any audio file, the saved systems.

Two tiny systems are saved once (a Keras network on segments and a scikit-learn SVM on whole
clips); the console script's ``main(argv)`` runs them on a generated MP3 and WAV at other
rates and channel counts, prints text or JSON, and says what to do on every error.
"""

from __future__ import annotations

import json
import os
import shutil

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import pytest
import soundfile as sf

from mgr_utils import SR, predict, saving
from mgr_utils.audio import load_audio
from mgr_utils.features import raw_audio

keras = pytest.importorskip("keras")

from mgr_utils import models  # noqa: E402
from mgr_utils.training import Standardizer, predict_segments  # noqa: E402

from conftest import save_small_svm  # noqa: E402
from test_saving import CLASSES, tone_clip, two_steps  # noqa: E402


@pytest.fixture(scope="module")
def audio(tmp_path_factory):
    """The same music as a 44.1 kHz stereo MP3 and a 48 kHz stereo WAV, and a broken file."""
    import librosa

    folder = tmp_path_factory.mktemp("songs")
    y = tone_clip(seconds=5.0)
    files = {}
    for name, rate, fmt in (("song.mp3", 44100, "MP3"), ("song.wav", 48000, "WAV")):
        x = librosa.resample(y, orig_sr=SR, target_sr=rate)
        stereo = np.stack([x, 0.5 * x], axis=1)
        sf.write(folder / name, stereo, rate, format=fmt)
        files[name] = folder / name
    (folder / "notes.mp3").write_text("not audio at all")
    files["broken"] = folder / "notes.mp3"
    short = folder / "short.wav"
    sf.write(short, y[: int(0.3 * SR)], SR)  # shorter than 8,192 samples
    files["short"] = short
    return files


@pytest.fixture(scope="module")
def saved_dir(tmp_path_factory):
    """A models folder with a segment-level network and a clip-level SVM."""
    root = tmp_path_factory.mktemp("models")
    y = tone_clip()
    X_raw = raw_audio.mel_frames(y, SR, n_samples=8192, n_mels=8)
    scaler = Standardizer((1,)).fit(X_raw)
    net = models.dieleman2014_cnn(
        X_raw.shape[1:],
        "mel",
        3,
        filters=(4, 4),
        kernel_size=4,
        pool_size=2,
        dense_units=8,
        seed=0,
    )
    two_steps(net, scaler.transform(X_raw))
    saving.save_system(
        net,
        "07_raw_audio",
        "dieleman2014_mel",
        saving.pipeline(
            raw_audio.mel_frames, {"n_samples": 8192, "n_mels": 8}, scaler=scaler
        ),
        classes=CLASSES,
        dataset="folder",
        metrics={"rule": "sum", "test": {"accuracy": 0.75, "n_clips": 12}},
        models_dir=root,
    )
    save_small_svm(root, CLASSES)
    return root


@pytest.fixture
def models_dir(saved_dir, tmp_path):
    """A copy of the saved systems that a test may break."""
    return shutil.copytree(saved_dir, tmp_path / "models")


def test_predict_file_returns_plain_data_for_every_saved_system(saved_dir, audio):
    result = predict.predict_file(audio["song.wav"], models_dir=saved_dir)
    assert json.loads(json.dumps(result)) == result, "plain data, ready for JSON"
    assert result["duration_seconds"] == pytest.approx(5.0, abs=1e-3)
    assert result["skipped"] == []
    by_id = {a["system_id"]: a for a in result["systems"]}
    assert set(by_id) == {"dieleman2014_mel", "descriptor_svm"}
    for a in by_id.values():
        assert a["classes"] == list(CLASSES) and len(a["top"]) == 3
        assert sum(a["probabilities"].values()) == pytest.approx(1.0)
        ranked = [t["probability"] for t in a["top"]]
        assert ranked == sorted(ranked, reverse=True)
        assert a["top"][0]["probability"] == max(a["probabilities"].values())
    net = by_id["dieleman2014_mel"]
    assert (net["level"], net["rule"], net["test_accuracy"], net["n_test"]) == (
        "segment",
        "sum",
        0.75,
        12,
    )
    # 5 s at 22,050 Hz: 13 segments of 8,192 samples
    assert [t["start"] for t in net["timeline"]] == pytest.approx(
        [k * 8192 / SR for k in range(13)], abs=1e-3
    )
    svm = by_id["descriptor_svm"]
    assert [(t["start"], t["end"]) for t in svm["timeline"]] == [(0.0, 2.0), (2.0, 4.0)]


def test_the_api_path_is_the_chapters_path(saved_dir, audio):
    """Decode (48 kHz stereo -> 22,050 Hz mono), features, statistics, network, rule."""
    system = saving.load_system("dieleman2014_mel", models_dir=saved_dir)
    y = load_audio(audio["song.wav"], sr=SR)
    X = system.pipeline.standardizer.transform(
        raw_audio.mel_frames(y, SR, n_samples=8192, n_mels=8)
    )
    P = predict_segments(system.model, X)
    got = predict.predict_file(audio["song.wav"], systems=[system])["systems"][0]
    expected = P.sum(axis=0) / P.sum()  # the sum rule
    # the same numbers summed in another order: float64 roundings
    np.testing.assert_allclose(
        [got["probabilities"][c] for c in CLASSES], expected, rtol=1e-9
    )
    assert [t["probability"] for t in got["timeline"]] == pytest.approx(
        P.max(axis=1).tolist(), rel=1e-12
    )


def test_mgr_predict_prints_top_classes_and_timelines(saved_dir, audio, capsys):
    code = predict.main(
        [str(audio["song.mp3"]), str(audio["song.wav"]), "--models-dir", str(saved_dir)]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "song.mp3 (5.0 s)" in out and "song.wav (5.0 s)" in out
    assert (
        out.count("    1. ") == 4 and out.count("    3. ") == 4
    )  # 2 files x 2 systems
    assert "the sum rule gives the answer above" in out
    assert "test accuracy 75.0 % on 12 clips" in out
    assert out.count("timeline (") == 4


def test_mgr_predict_json_for_machines(saved_dir, audio, capsys):
    code = predict.main(
        [
            str(audio["song.mp3"]),
            "--models-dir",
            str(saved_dir),
            "--model",
            "dieleman2014_mel",
            "--json",
        ]
    )
    doc = json.loads(capsys.readouterr().out)
    assert code == 0 and doc["errors"] == [] and len(doc["files"]) == 1
    (answer,) = doc["files"][0]["systems"]
    assert answer["system_id"] == "dieleman2014_mel"
    assert {"start", "end", "class", "probability"} == set(answer["timeline"][0])
    # the MP3 decodes to the same length (its encoder delay trimmed by libsndfile/mpg123)
    assert doc["files"][0]["duration_seconds"] == pytest.approx(5.0, abs=0.1)


def test_an_unreadable_file_is_skipped_and_named(saved_dir, audio, capsys):
    code = predict.main(
        [str(audio["broken"]), str(audio["song.wav"]), "--models-dir", str(saved_dir)]
    )
    io = capsys.readouterr()
    assert code == 1
    assert f"skipped {audio['broken']}" in io.err and "cannot decode" in io.err
    assert "song.wav (5.0 s)" in io.out, "the other file is still classified"


def test_a_file_too_short_for_a_system_says_so(saved_dir, audio):
    result = predict.predict_file(audio["short"], models_dir=saved_dir)
    by_id = {a["system_id"]: a for a in result["systems"]}
    assert "too short" in by_id["dieleman2014_mel"]["error"]
    assert "top" in by_id["descriptor_svm"], "a clip-level system reads any length"


def test_no_saved_systems_says_which_command_builds_them(tmp_path, audio, capsys):
    code = predict.main([str(audio["song.wav"]), "--models-dir", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2 and "No saved systems" in err and "make book" in err
    code = predict.main(
        [str(audio["song.wav"]), "--models-dir", str(tmp_path), "--json"]
    )
    assert "make book" in json.loads(capsys.readouterr().out)["error"]


def test_an_unknown_model_id_lists_the_saved_ones(saved_dir, audio, capsys):
    code = predict.main(
        [str(audio["song.wav"]), "--models-dir", str(saved_dir), "--model", "nope"]
    )
    err = capsys.readouterr().err
    assert code == 2 and "no saved system 'nope'" in err
    assert "folder/descriptor_svm, folder/dieleman2014_mel" in err


def test_a_missing_card_skips_that_system_or_stops_when_named(
    models_dir, audio, capsys
):
    (models_dir / "folder" / "descriptor_svm.json").unlink()
    code = predict.main([str(audio["song.wav"]), "--models-dir", str(models_dir)])
    io = capsys.readouterr()
    assert code == 0 and "skipped folder/descriptor_svm" in io.err
    assert "has no card" in io.err and "dieleman2014_mel" in io.out
    code = predict.main(
        [
            str(audio["song.wav"]),
            "--models-dir",
            str(models_dir),
            "--model",
            "descriptor_svm",
        ]
    )
    assert code == 2 and "has no card" in capsys.readouterr().err


def test_a_card_from_another_version_says_what_to_do(models_dir, audio, capsys):
    card_path = models_dir / "folder" / "dieleman2014_mel.json"
    card = json.loads(card_path.read_text())
    card_path.write_text(json.dumps({**card, "mgr_utils_version": "9.9"}))
    code = predict.main(
        [
            str(audio["song.wav"]),
            "--models-dir",
            str(models_dir),
            "--model",
            "folder/dieleman2014_mel",
        ]
    )
    err = capsys.readouterr().err
    assert code == 2 and "saved by mgr_utils 9.9" in err and "re-run" in err
    card_path.write_text(json.dumps({**card, "format_version": 0}))
    code = predict.main([str(audio["song.wav"]), "--models-dir", str(models_dir)])
    io = capsys.readouterr()
    assert code == 0 and "card format 0" in io.err and "descriptor_svm" in io.out


def test_models_dir_comes_from_the_environment(saved_dir, audio, monkeypatch, capsys):
    monkeypatch.setenv("MGR_MODELS_DIR", str(saved_dir))
    assert predict.main([str(audio["song.wav"]), "--dataset", "folder"]) == 0
    assert "descriptor_svm" in capsys.readouterr().out
    assert predict.main([str(audio["song.wav"]), "--dataset", "gtzan"]) == 2
    assert "saved systems: folder/" in capsys.readouterr().err
