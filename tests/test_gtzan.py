"""load_gtzan: the layouts in circulation, short and corrupt clips, clear errors; real audio."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import soundfile as sf

from mgr_utils import GENRES, SR
from mgr_utils.audio import AudioLoadError, load_audio
from mgr_utils.datasets import (
    Clip,
    GTZANNotFoundError,
    find_gtzan_root,
    load_dataset,
    load_gtzan,
)

THREE = ("blues", "jazz", "rock")

# Most fixtures hold a few genres only; that warning has a test of its own.
pytestmark = pytest.mark.filterwarnings("ignore:.*has no folder for genre")


@pytest.mark.parametrize(
    "subdir, ext",
    [
        ("genres", "au"),  # the original archive
        ("genres_original", "wav"),  # the Kaggle copy
        ("", "wav"),  # genre folders directly in DATA_DIR
        ("Data/genres_original", "wav"),  # the Kaggle zip, unpacked
        ("gtzan/genres", "au"),
        ("a/b/genres", "wav"),  # three levels down: still found
    ],
)
def test_layouts(tmp_path, make_gtzan, subdir, ext):
    make_gtzan(tmp_path / subdir, THREE, n_per_genre=2, ext=ext, seconds=0.5)
    clips = load_gtzan(tmp_path)
    assert clips.name == "gtzan" and len(clips) == 6
    assert clips.ids == [f"{g}.{i:05d}" for g in THREE for i in range(2)]
    assert clips.genres == THREE and clips.counts() == {g: 2 for g in THREE}
    assert all(
        c.path.is_file() and c.path.suffix == f".{ext}" and c.duration is None
        for c in clips
    )
    assert clips[2].genre == "jazz" and clips[2].label == GENRES.index("jazz")
    assert clips[0].load().shape == (int(0.5 * SR),)
    assert clips.skipped == []


def test_kaggle_copy_ignores_images_and_csv(tmp_path, make_gtzan):
    data = tmp_path / "Data"
    make_gtzan(data / "genres_original", THREE)
    (data / "images_original" / "blues").mkdir(parents=True)
    (data / "images_original" / "blues" / "blues00000.png").write_bytes(b"\x89PNG")
    (data / "features_30_sec.csv").write_text("filename,length\n")
    assert find_gtzan_root(tmp_path) == data / "genres_original"
    assert len(load_gtzan(tmp_path)) == 6


def test_too_deep_is_not_found(tmp_path, make_gtzan):
    make_gtzan(tmp_path / "a" / "b" / "c" / "genres", THREE)
    assert find_gtzan_root(tmp_path) is None
    with pytest.raises(GTZANNotFoundError):
        load_gtzan(tmp_path)
    assert len(load_gtzan(tmp_path / "a")) == 6


def test_short_clips_and_duration(tmp_path, make_gtzan):
    make_gtzan(tmp_path, ["blues"], n_per_genre=1, seconds=3.0)
    sf.write(tmp_path / "blues" / "blues.00001.wav", np.full(int(29.5 * SR), 0.1), SR)
    clips = load_gtzan(tmp_path)
    assert [len(c.load()) for c in clips] == [3 * SR, int(29.5 * SR)]
    clips = load_gtzan(tmp_path, duration=2.0)
    assert all(c.duration == 2.0 for c in clips)
    assert [len(c.load()) for c in clips] == [2 * SR, 2 * SR]
    assert len(load_dataset("gtzan", data_dir=tmp_path, duration=1.0)[0].load()) == SR


def test_corrupt_file_is_skipped_with_a_warning(tmp_path, make_gtzan):
    make_gtzan(tmp_path / "genres_original", THREE)
    bad = tmp_path / "genres_original" / "jazz" / "jazz.00054.wav"
    bad.write_bytes(b"this is not audio at all " * 40)
    with pytest.warns(UserWarning, match=r"jazz\.00054\.wav.*(Replace|delete)"):
        clips = load_gtzan(tmp_path)
    assert "jazz.00054" not in clips.ids and len(clips) == 6
    assert [p for p, _ in clips.skipped] == [str(bad)]


def test_empty_genre_folder_is_an_error(tmp_path, make_gtzan):
    make_gtzan(tmp_path / "genres", THREE)
    for f in (tmp_path / "genres" / "jazz").iterdir():
        f.unlink()
    with pytest.raises(ValueError, match="jazz"):
        load_gtzan(tmp_path)


def test_genre_of_only_corrupt_files_is_an_error(tmp_path, make_gtzan):
    make_gtzan(tmp_path, ["blues"])
    (tmp_path / "rock").mkdir()
    (tmp_path / "rock" / "rock.00000.wav").write_bytes(b"garbage" * 100)
    with (
        pytest.warns(UserWarning, match=r"rock\.00000"),
        pytest.raises(ValueError, match="rock"),
    ):
        load_gtzan(tmp_path)


def test_missing_genre_folders_warn(tmp_path, make_gtzan):
    make_gtzan(tmp_path, THREE)
    with pytest.warns(UserWarning, match="no folder for genre"):
        assert load_gtzan(tmp_path).genres == THREE


@pytest.mark.parametrize("where", ["none", "missing", "no layout"])
def test_no_data_says_how_to_get_it(tmp_path, where):
    (tmp_path / "notes.txt").write_text("nothing here")
    (tmp_path / "blues").mkdir()  # a genre folder without GTZAN files is no layout
    data_dir = {"none": None, "missing": tmp_path / "nope", "no layout": tmp_path}[
        where
    ]
    with pytest.raises(GTZANNotFoundError) as err:
        load_gtzan(data_dir)
    assert isinstance(err.value, FileNotFoundError)
    message = str(err.value)
    assert "python -m mgr_utils.download" in message
    assert (
        "kaggle.com/datasets/andradaolteanu/gtzan-dataset-music-genre-classification"
        in message
    )
    assert "DATA_DIR" in message


def test_nonpositive_duration_is_an_error(tmp_path, make_gtzan):
    make_gtzan(tmp_path, THREE)
    with pytest.raises(ValueError, match="duration"):
        load_gtzan(tmp_path, duration=0)


def test_file_broken_after_loading_is_skipped_by_iter_audio(tmp_path, make_gtzan):
    make_gtzan(tmp_path, ["blues"], n_per_genre=3)
    clips = load_gtzan(tmp_path)
    clips[1].path.unlink()
    with pytest.warns(UserWarning, match="blues.00001"):
        loaded = [c.clip_id for c, _ in clips.iter_audio()]
    assert loaded == ["blues.00000", "blues.00002"]
    with pytest.raises(AudioLoadError):
        clips[1].load()


# A real recording: "Vibe Ace" by Kevin MacLeod (incompetech.com), CC BY 3.0; 61.46 s, 44.1 kHz stereo.


def test_real_recording_load_audio(shared_data):
    y = load_audio(shared_data / "audio" / "vibe_ace.ogg")
    assert y.dtype == np.float32 and y.ndim == 1
    assert abs(len(y) - 61.46 * SR) < 0.05 * SR  # resampled 44.1 kHz -> 22050 Hz, mono
    assert np.sqrt(np.mean(y**2)) > 0.01 and np.abs(y).max() <= 1.0
    assert load_audio(
        shared_data / "audio" / "vibe_ace.ogg", mono=False, duration=1.0
    ).shape == (2, SR)


def test_real_recording_as_clip(shared_data):
    clip = Clip(
        "vibe_ace", "jazz", path=shared_data / "audio" / "vibe_ace.ogg", duration=5.0
    )
    y = clip.load()
    assert len(y) == 5 * SR and np.sqrt(np.mean(y**2)) > 0.01
    assert clip.key.startswith("file/")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(Clip("x", "jazz", path=clip.path).load()) > 61 * SR


def test_gtzan_like_folder_loads_as_gtzan_with_its_unreadable_clip(tmp_path):
    from mgr_utils.datasets import load_gtzan, load_synthetic, write_gtzan_like

    write_gtzan_like(
        tmp_path / "g",
        n_per_genre=3,
        duration=0.5,
        unreadable=("jazz.00001",),
        n_jobs=1,
        progress=False,
    )
    with pytest.warns(UserWarning, match="jazz.00001"):
        clips = load_gtzan(tmp_path / "g")
    assert (
        len(clips) == 29
        and clips.ids[0] == "blues.00000"
        and "jazz.00001" not in clips.ids
    )
    assert [p.endswith("jazz.00001.wav") for p, _ in clips.skipped] == [True]
    y = clips.by_ids(["rock.00002"])[0].load()
    expected = (
        load_synthetic(n_per_genre=3, duration=0.5).by_ids(["rock.00002"])[0].load()
    )
    (
        np.testing.assert_allclose(y, expected, atol=1 / 32768 + 1e-6),
        "16-bit copies of the synthetic clips",
    )
    before = (tmp_path / "g" / "genres" / "rock" / "rock.00002.wav").stat().st_mtime_ns
    write_gtzan_like(
        tmp_path / "g",
        n_per_genre=3,
        duration=0.5,
        unreadable=("jazz.00001",),
        n_jobs=1,
        progress=False,
    )
    assert (
        tmp_path / "g" / "genres" / "rock" / "rock.00002.wav"
    ).stat().st_mtime_ns == before, "resumes, keeps files"


def test_a_small_gtzan_like_kaggle_folder_has_its_unreadable_file(tmp_path):
    from mgr_utils.datasets import write_gtzan_like

    write_gtzan_like(
        tmp_path,
        n_per_genre=2,
        duration=0.25,
        n_jobs=1,
        progress=False,
        layout="genres_original",
    )
    files = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.wav"))
    assert len(files) == 21, "2 clips per genre, and jazz.00054 beyond them"
    assert "genres_original/jazz/jazz.00054.wav" in files
    assert "genres_original/blues/blues.00001.wav" in files
    info = sf.info(tmp_path / "genres_original" / "rock" / "rock.00001.wav")
    assert info.samplerate == SR and info.frames == int(0.25 * SR)
    assert info.subtype == "PCM_16"
    with pytest.warns(UserWarning, match="jazz.00054"):
        clips = load_gtzan(tmp_path)
    assert len(clips) == 20 and clips.counts() == {g: 2 for g in GENRES}
    assert [p.rsplit("/", 1)[-1] for p, _ in clips.skipped] == ["jazz.00054.wav"]
    with pytest.raises(ValueError, match="layout"):
        write_gtzan_like(tmp_path, n_per_genre=1, layout="Data")
    with pytest.raises(ValueError, match="GTZAN names"):
        write_gtzan_like(tmp_path, n_per_genre=1, unreadable=("jazz54",))
