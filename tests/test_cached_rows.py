"""A side too large to hold stays in the feature cache and is read batch by batch (issue 28).

Chapter 7 at GTZAN's size held every front end's segments at once (whole 30 s clips as raw
waveforms: gigabytes per side) and peaked at 15.4 GB. ``segments_dataset(max_memory_mb=...)``
leaves a larger side in the cache's files as :class:`~mgr_utils.training.CachedRows`; these
tests check that the numbers do not change (the same rows, standardisation, training and
predictions) and that the memory a side takes is what the design says: one batch, not the side.
"""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

from mgr_utils.cache import FeatureCache, extract
from mgr_utils.datasets import load_synthetic
from mgr_utils.features import raw_audio
from mgr_utils.training import (
    CachedRows,
    Standardizer,
    make_dataset,
    predict_segments,
    segments_dataset,
    train,
)

SR = 22050


@pytest.fixture(scope="module")
def sides():
    clips = load_synthetic(
        n_per_genre=3, duration=2.0, genres=("blues", "metal", "reggae")
    )
    return {
        "train": clips.subset([0, 1, 3, 4, 6, 7]),
        "valid": clips.subset([2, 5]),
        "test": clips.subset([8]),
    }


def _both(sides, cache_dir, fn=raw_audio.mel_frames, params=None, **kwargs):
    params = params or {"n_samples": 4096, "stride": 256, "n_mels": 16}
    kw = dict(cache_dir=cache_dir, n_jobs=1, progress=False, **kwargs)
    held, scaler = segments_dataset(sides, fn, params, **kw)
    cached, cscaler = segments_dataset(sides, fn, params, max_memory_mb=0, **kw)
    return held, scaler, cached, cscaler


def test_a_side_over_the_limit_is_cached_rows_with_the_same_values(sides, tmp_path):
    held, scaler, cached, cscaler = _both(sides, tmp_path, feature_axes=(1,))
    for side in sides:
        X = cached[side].X
        assert isinstance(X, CachedRows) and isinstance(held[side].X, np.ndarray)
        assert X.shape == held[side].X.shape and len(X) == len(held[side])
        np.testing.assert_array_equal(
            X[:], held[side].X
        )  # standardised alike, bit for bit
        np.testing.assert_array_equal(cached[side].y, held[side].y)
        np.testing.assert_array_equal(cached[side].clip_index, held[side].clip_index)
    np.testing.assert_array_equal(cscaler.mean_, scaler.mean_)
    np.testing.assert_array_equal(cscaler.std_, scaler.std_)
    assert "CachedRows(" in repr(cached["train"].X)


def test_a_side_under_the_limit_stays_in_memory(sides, tmp_path):
    big = segments_dataset(
        sides,
        raw_audio.waveform_segments,
        {"n_samples": 4096},
        standardize=False,
        cache_dir=tmp_path,
        n_jobs=1,
        progress=False,
        max_memory_mb=10,
    )[0]
    assert all(isinstance(s.X, np.ndarray) for s in big.values())


def test_indexing_rows_slices_masks_and_subsets(sides, tmp_path):
    held, _, cached, _ = _both(sides, tmp_path, standardize=False)
    X, A = cached["train"].X, held["train"].X
    rows = np.array([5, 0, len(A) - 1, 3, 3])
    np.testing.assert_array_equal(X[rows], A[rows])
    np.testing.assert_array_equal(X[2:9:3], A[2:9:3])
    np.testing.assert_array_equal(X[-1], A[-1])
    mask = np.arange(len(A)) % 2 == 0
    np.testing.assert_array_equal(X[mask], A[mask])
    sub = X.subset([4, 1, 2])
    np.testing.assert_array_equal(sub[:], A[[4, 1, 2]])
    np.testing.assert_array_equal(sub[[2, 0]], A[[2, 4]])
    # of_clips: the same segments as from the array
    a = held["train"].of_clips([3, 0])
    b = cached["train"].of_clips([3, 0])
    assert isinstance(b.X, CachedRows)
    np.testing.assert_array_equal(b.X[:], a.X)
    np.testing.assert_array_equal(b.clip_index, a.clip_index)
    with pytest.raises(IndexError, match="out of range"):
        X[[len(A)]]
    with pytest.raises(IndexError, match="mask"):
        X[np.ones(3, dtype=bool)]
    with pytest.raises(TypeError, match="batch by batch"):
        np.asarray(X)


def test_standardizer_fits_and_applies_alike_on_cached_rows(sides, tmp_path):
    held, _, cached, _ = _both(sides, tmp_path, standardize=False)
    A, X = held["train"].X, cached["train"].X
    s1 = Standardizer((1,)).fit(A, chunk_mb=0.01)
    s2 = Standardizer((1,)).fit(X, chunk_mb=0.01)
    np.testing.assert_array_equal(s1.mean_, s2.mean_)
    np.testing.assert_array_equal(s1.std_, s2.std_)
    T = s2.transform(X)
    assert isinstance(T, CachedRows) and X.scaler is None
    np.testing.assert_array_equal(T[:], s1.transform(A))
    with pytest.raises(ValueError, match="already"):
        T.standardized(s1)


def test_training_and_prediction_on_cached_rows_match_the_arrays(
    sides, tmp_path, monkeypatch
):
    import keras

    from mgr_utils import training

    held, _, cached, _ = _both(sides, tmp_path, feature_axes=(1,))
    # both arrays go through the same gathering path (a small array is otherwise
    # copied into TensorFlow, which gives the same batches by another route)
    monkeypatch.setattr(training, "COPY_TO_TENSORFLOW_MAX_MB", 0)

    def net():
        keras.utils.set_random_seed(0)
        return keras.Sequential(
            [
                keras.Input(held["train"].X.shape[1:]),
                keras.layers.Flatten(),
                keras.layers.Dense(10, activation="softmax"),  # the synthetic set: 10
            ]
        )

    runs, probs = [], []
    for data in (held, cached):
        model = net()
        r = train(
            model,
            data["train"].X,
            data["train"].y,
            data["valid"].X,
            data["valid"].y,
            epochs=3,
            batch_size=4,
            valid_batch_size=3,
            verbose=0,
        )
        runs.append(r.history)
        probs.append(predict_segments(model, data["test"].X, batch_size=5))
    for k in runs[0]:
        np.testing.assert_allclose(runs[0][k], runs[1][k], rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(probs[0], probs[1], rtol=1e-6, atol=1e-7)
    assert not training._LARGE_ARRAYS, "train() releases its pipelines' arrays"


def test_extract_without_loading_gives_paths_and_shapes(sides, tmp_path):
    clips = sides["train"]
    params = {"n_samples": 4096}
    first = extract(
        clips,
        raw_audio.waveform_segments,
        params,
        cache_dir=tmp_path,
        n_jobs=2,
        progress=False,
        load=False,
    )
    assert first.misses == len(clips)
    again = extract(
        clips,
        raw_audio.waveform_segments,
        params,
        cache_dir=tmp_path,
        n_jobs=1,
        progress=False,
        load=False,
    )
    assert again.hits == len(clips)
    for (p1, s1), (p2, s2), clip in zip(first.features, again.features, clips):
        assert p1 == p2 and s1 == s2
        np.testing.assert_array_equal(
            np.load(p1), raw_audio.waveform_segments(clip.load(), SR, **params)
        )
    # a truncated entry is a miss: recomputed, not read
    path = again.features[0][0]
    path.write_bytes(path.read_bytes()[:200])
    cache = FeatureCache(tmp_path)
    assert cache.locate(clips[0].key, first_name(), params) is None
    assert cache.corrupt == 1 and not path.exists()
    with pytest.raises(ValueError, match="use_cache"):
        extract(clips, raw_audio.waveform_segments, params, use_cache=False, load=False)


def first_name():
    fn = raw_audio.waveform_segments
    return f"{fn.__module__}.{fn.__qualname__}"


def test_a_cached_side_never_holds_more_than_a_batch(sides, tmp_path):
    """The design's memory: preparing a side reads no segment; a batch reads its own rows.

    Measured with tracemalloc (NumPy reports its buffers to it), on a side of raw
    waveform segments, the largest input of chapter 7, as a GTZAN-sized run would cut it.
    """
    params = {"n_samples": 4096}
    kw = dict(standardize=False, cache_dir=tmp_path, n_jobs=1, progress=False)
    segments_dataset(sides, raw_audio.waveform_segments, params, **kw)  # fill the cache
    tracemalloc.start()
    try:
        data, _ = segments_dataset(
            sides, raw_audio.waveform_segments, params, max_memory_mb=0, **kw
        )
        X = data["train"].X
        _, peak_prepare = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        batch = X[np.arange(0, len(X), 2)[:4]]
        _, peak_batch = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    side_bytes = X.nbytes
    assert side_bytes > 8 * batch.nbytes, "the test needs a side of several batches"
    assert peak_prepare < side_bytes / 4, (peak_prepare, side_bytes)
    assert peak_batch < 3 * batch.nbytes + 2**16, (peak_batch, batch.nbytes)


def test_make_dataset_gathers_cached_rows_batch_by_batch(sides, tmp_path):
    held, _, cached, _ = _both(sides, tmp_path, standardize=False)
    got = np.concatenate([b.numpy() for b in make_dataset(cached["test"].X, None, 3)])
    np.testing.assert_array_equal(got, held["test"].X)


def test_chapter_7_inputs_on_a_gtzan_shaped_folder_hold_no_side(tmp_path):
    """Chapter 7's four inputs, as its cells cut them, on a small GTZAN-shaped folder.

    With every side over the limit (``IN_MEMORY_MB`` at 0 here; at GTZAN's size raw
    waveforms are gigabytes per side against the default 512 MB), preparing all four
    inputs allocates less than a quarter of the smallest input's segments: no section
    holds one front end's segments, let alone several at a time. The values equal the
    stacked arrays.
    """
    from mgr_utils.datasets import load_dataset, write_gtzan_like
    from mgr_utils.splits import split_dataset

    write_gtzan_like(
        tmp_path / "g", n_per_genre=6, duration=10.0, n_jobs=-1, progress=False
    )
    with pytest.warns(UserWarning, match="jazz.00054"):  # GTZAN's unreadable clip
        clips = load_dataset("gtzan", data_dir=tmp_path / "g", duration=None)
    train_clips, valid_clips, test_clips = split_dataset(clips, seed=0)
    sides = {"train": train_clips, "valid": valid_clips, "test": test_clips}
    n = 11 * 256  # chapter 7's segment: a whole number of strides
    inputs = {
        "li": (raw_audio.li_mfcc_excerpts, {}, {"train": {"hop": 38}}),
        "raw": (raw_audio.waveform_segments, {"n_samples": n}, None),
        "mel": (
            raw_audio.mel_frames,
            {"n_samples": n, "stride": 256, "n_mels": 32},
            None,
        ),
        "sample": (
            raw_audio.waveform_segments,
            {"n_samples": 3**7, "hop": SR},
            {"train": {"hop": 2 * SR}},
        ),
    }
    kw = dict(standardize=False, cache_dir=tmp_path / "c", n_jobs=1, progress=False)
    held = {
        k: segments_dataset(sides, fn, p, side_params=sp, **kw)[0]
        for k, (fn, p, sp) in inputs.items()
    }
    tracemalloc.start()
    try:
        cached = {
            k: segments_dataset(sides, fn, p, side_params=sp, max_memory_mb=0, **kw)[0]
            for k, (fn, p, sp) in inputs.items()
        }
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    smallest = min(sum(s.X.nbytes for s in d.values()) for d in held.values())
    assert peak < smallest / 4, (peak, smallest)
    for k in inputs:
        for side in sides:
            assert isinstance(cached[k][side].X, CachedRows)
            np.testing.assert_array_equal(cached[k][side].X[:], held[k][side].X)
