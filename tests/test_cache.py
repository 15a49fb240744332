"""The feature cache: keys, hits, atomic writes, corrupt entries, skipped clips (mgr_utils.cache)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import soundfile as sf

from mgr_utils import cache as C
from mgr_utils import features as F
from mgr_utils.datasets import Clip

SR = 22050


@pytest.fixture
def wav_clips(tmp_path):
    """Four short WAV clips (sines of different pitch plus noise) as file clips."""
    clips = []
    rng = np.random.default_rng(0)
    for i, genre in enumerate(["blues", "classical", "country", "disco"]):
        t = np.arange(SR) / SR
        y = 0.4 * np.sin(2 * np.pi * (220 * (i + 1)) * t) + 0.02 * rng.standard_normal(
            t.size
        )
        path = tmp_path / f"{genre}.00000.wav"
        sf.write(path, y.astype(np.float32), SR)
        clips.append(Clip(f"{genre}.00000", genre, path=path))
    return clips


def small_log_mel(y, sr, n_mels=32):
    return F.log_mel(y, sr, n_mels=n_mels)


BASE = {
    "n_fft": 2048,
    "hop_length": 512,
    "n_mels": 128,
    "top_db": 80.0,
    "angles": (0.0, 0.5),
    "center": True,
}


@pytest.mark.parametrize(
    "param, new_value",
    [
        ("n_fft", 1024),
        ("hop_length", 256),
        ("n_mels", 96),
        ("top_db", 60.0),
        ("top_db", None),
        ("angles", (0.0, 0.25)),
        ("angles", (0.0,)),
        ("center", False),
        ("n_fft", 2048.0),  # a float where an int was is a different call
        ("extra", 1),  # a new parameter
    ],
)
def test_key_changes_with_any_parameter(param, new_value):
    k0 = C.cache_key("clip/a", "log_mel", BASE)
    assert C.cache_key("clip/a", "log_mel", {**BASE, param: new_value}) != k0


def test_key_changes_with_clip_name_and_version_not_with_order():
    k0 = C.cache_key("clip/a", "log_mel", BASE)
    assert C.cache_key("clip/b", "log_mel", BASE) != k0
    assert C.cache_key("clip/a", "lbp", BASE) != k0
    assert C.cache_key("clip/a", "log_mel", BASE, version="other") != k0
    assert C.cache_key("clip/a", "log_mel", dict(reversed(list(BASE.items())))) == k0
    assert len(k0) == 64 and int(k0, 16) >= 0  # sha256 hex


def test_clip_key_changes_when_the_file_changes(wav_clips):
    clip = wav_clips[0]
    before = clip.key
    y, sr = sf.read(clip.path)
    sf.write(clip.path, np.concatenate([y, y]), sr)  # new size
    assert clip.key != before


def test_put_get_roundtrip_and_counters(tmp_path):
    cache = C.FeatureCache(tmp_path)
    assert cache.get("c", "f", {"a": 1}) is None
    cache.put("c", "f", {"a": 1}, np.arange(5, dtype=np.float32))
    np.testing.assert_array_equal(cache.get("c", "f", {"a": 1}), np.arange(5))
    cache.put("c", "g", {}, {"x": np.ones(2), "y": np.zeros((2, 3))})
    d = cache.get("c", "g", {})
    assert set(d) == {"x", "y"} and d["y"].shape == (2, 3)
    assert (cache.hits, cache.misses, cache.corrupt) == (2, 1, 0)
    assert len(cache.entries()) == 2


def test_second_extract_reads_the_cache(wav_clips, tmp_path):
    first = C.extract(
        wav_clips,
        small_log_mel,
        {"n_mels": 32},
        cache_dir=tmp_path / "c",
        n_jobs=1,
        progress=False,
    )
    assert (first.hits, first.misses) == (0, 4)
    second = C.extract(
        wav_clips,
        small_log_mel,
        {"n_mels": 32},
        cache_dir=tmp_path / "c",
        n_jobs=1,
        progress=False,
    )
    assert (second.hits, second.misses) == (4, 0)
    for a, b in zip(first.features, second.features):
        np.testing.assert_array_equal(a, b)
    other = C.extract(
        wav_clips,
        small_log_mel,
        {"n_mels": 16},
        cache_dir=tmp_path / "c",
        n_jobs=1,
        progress=False,
    )
    assert (
        other.misses == 4 and other.features[0].shape[0] == 16
    )  # new parameter, new entries


def test_parallel_extract_matches_serial_and_unpacks(wav_clips, tmp_path):
    params = {"n_mels": 40}
    par = C.extract(
        wav_clips, F.log_mel, params, cache_dir=tmp_path / "p", n_jobs=2, progress=False
    )
    ser = C.extract(
        wav_clips, F.log_mel, params, n_jobs=1, progress=False, use_cache=False
    )
    feats, kept = par
    np.testing.assert_array_equal(kept, np.arange(4))
    for a, b in zip(
        feats, ser.features
    ):  # float32 sums may differ in the last bits across processes
        np.testing.assert_allclose(a, b, atol=1e-3)
    assert len(C.FeatureCache(tmp_path / "p").entries()) == 4  # written by the workers
    assert (
        C.extract(
            wav_clips,
            F.log_mel,
            params,
            cache_dir=tmp_path / "p",
            n_jobs=2,
            progress=False,
        ).hits
        == 4
    )


def test_use_cache_false_writes_nothing(wav_clips, tmp_path):
    C.extract(
        wav_clips,
        small_log_mel,
        {},
        cache_dir=tmp_path / "n",
        n_jobs=1,
        progress=False,
        use_cache=False,
    )
    assert not (tmp_path / "n").exists()


def test_unloadable_clip_is_skipped_and_reported(wav_clips, tmp_path):
    broken = tmp_path / "jazz.00054.wav"
    broken.write_bytes(b"RIFF\x00\x00not really a wave file")
    clips = (
        wav_clips[:2]
        + [
            Clip("jazz.00054", "jazz", path=broken),
            Clip("jazz.00055", "jazz", path=tmp_path / "missing.wav"),
        ]
        + wav_clips[2:]
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        r = C.extract(
            clips, small_log_mel, {}, cache_dir=tmp_path / "c", n_jobs=1, progress=False
        )
    messages = [str(w.message) for w in caught]
    assert any("jazz.00054" in m for m in messages) and any(
        "jazz.00055" in m for m in messages
    )
    np.testing.assert_array_equal(r.kept, [0, 1, 4, 5])
    assert [s[0] for s in r.skipped] == ["jazz.00054", "jazz.00055"]
    assert len(r.features) == 4


# ------------------------------------------------------------------ atomicity and corruption


def _no_readable_entry(cache: C.FeatureCache, key_args) -> bool:
    return cache.get(*key_args) is None and cache.entries() == []


def test_failed_rename_leaves_no_entry(tmp_path, monkeypatch):
    cache = C.FeatureCache(tmp_path)

    def boom(src, dst):
        raise OSError("disk full (simulated)")

    monkeypatch.setattr(C.os, "replace", boom)
    with pytest.raises(OSError, match="simulated"):
        cache.put("c", "f", {}, np.ones(1000))
    monkeypatch.undo()
    assert _no_readable_entry(cache, ("c", "f", {}))
    assert not [
        p for p in tmp_path.rglob("*") if p.is_file()
    ]  # the temporary file is gone too


def test_write_interrupted_mid_file_leaves_no_entry(tmp_path, monkeypatch):
    cache = C.FeatureCache(tmp_path)
    real_save = np.save

    def half_save(f, arr, allow_pickle=False):
        f.write(b"\x93NUMPY\x01\x00")  # the start of a .npy header, then the "crash"
        raise KeyboardInterrupt

    monkeypatch.setattr(C.np, "save", half_save)
    with pytest.raises(KeyboardInterrupt):
        cache.put("c", "f", {}, np.ones(1000))
    monkeypatch.setattr(C.np, "save", real_save)
    assert _no_readable_entry(cache, ("c", "f", {}))
    cache.put("c", "f", {}, np.ones(3))  # and the entry can be written afterwards
    np.testing.assert_array_equal(cache.get("c", "f", {}), np.ones(3))


def test_killed_writer_leftover_is_ignored(tmp_path):
    """A writer killed before its rename leaves only a hidden temporary file, never a valid entry."""
    cache = C.FeatureCache(tmp_path)
    cache.put("c", "f", {}, np.ones(10))
    final = cache.entries()[0]
    leftover = final.parent / f".{final.name}.abc123.tmp"
    leftover.write_bytes(final.read_bytes()[:40])
    final.unlink()
    assert cache.get("c", "f", {}) is None  # the leftover is not read as the entry
    assert cache.clear() == 1 and not leftover.exists()


@pytest.mark.parametrize("damage", ["garbage", "truncated", "empty"])
def test_corrupt_entry_is_deleted_and_recomputed(wav_clips, tmp_path, damage):
    cdir = tmp_path / "c"
    first = C.extract(
        wav_clips[:1], small_log_mel, {}, cache_dir=cdir, n_jobs=1, progress=False
    )
    (entry,) = C.FeatureCache(cdir).entries()
    data = entry.read_bytes()
    entry.write_bytes(
        {
            "garbage": b"not an npy file at all",
            "truncated": data[: len(data) // 2],
            "empty": b"",
        }[damage]
    )
    cache = C.FeatureCache(cdir)
    assert cache.get(wav_clips[0].key, f"{__name__}.small_log_mel", {}) is None
    assert cache.corrupt == 1 and not entry.exists()
    again = C.extract(
        wav_clips[:1], small_log_mel, {}, cache_dir=cdir, n_jobs=1, progress=False
    )
    assert again.misses == 1
    np.testing.assert_array_equal(again.features[0], first.features[0])
    assert (
        C.extract(
            wav_clips[:1], small_log_mel, {}, cache_dir=cdir, n_jobs=1, progress=False
        ).hits
        == 1
    )


def test_corrupt_npz_entry_is_a_miss(tmp_path):
    cache = C.FeatureCache(tmp_path)
    cache.put("c", "g", {}, {"x": np.ones(100)})
    (entry,) = cache.entries()
    entry.write_bytes(entry.read_bytes()[:-30])
    assert cache.get("c", "g", {}) is None and cache.corrupt == 1


def test_default_cache_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("MGR_CACHE_DIR", str(tmp_path / "here"))
    assert C.default_cache_dir() == tmp_path / "here"
    assert C.FeatureCache().cache_dir == tmp_path / "here"
    monkeypatch.delenv("MGR_CACHE_DIR")
    assert C.default_cache_dir().parts[-2:] == ("mgr_utils", "features")


def test_unhashable_parameter_is_refused():
    with pytest.raises(TypeError):
        C.cache_key("c", "f", {"x": object()})


def test_cache_location_never_shows_the_build_machine(monkeypatch, tmp_path):
    from mgr_utils.cache import cache_location

    assert cache_location(tmp_path) == str(tmp_path)
    monkeypatch.setenv("MGR_CACHE_DIR", str(tmp_path))
    assert cache_location() == "$MGR_CACHE_DIR (the book build's cache folder)"
    monkeypatch.delenv("MGR_CACHE_DIR")
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / ".cache"))
    assert cache_location() == "~/.cache/mgr_utils/features"
