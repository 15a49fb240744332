"""Chapters 4-6's exercises that change parameters: each builds what it needs, on tiny inputs.

One test per exercise (or per part of one), named by chapter and number. An exercise
that cannot work as written says on its page what else to change; the test proves that
with the change it builds, and, where the page says so, that without it it does not.
Exercises that need GTZAN itself (chapter 4's 6, chapter 5's 5, chapter 6's 6) or that
rewrite code rather than parameters (chapter 6's 3 and 5) are not here.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from mgr_utils import features, models, saving  # noqa: E402
from mgr_utils.datasets import load_synthetic  # noqa: E402
from mgr_utils.models import zhang  # noqa: E402
from mgr_utils.training import (  # noqa: E402
    evaluate_clips,
    segments_dataset,
    train,
)

SR = 22050
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def y():
    rng = np.random.default_rng(0)
    t = np.arange(3 * SR) / SR
    return (
        0.3 * np.sin(2 * np.pi * 220 * t) + 0.05 * rng.standard_normal(t.size)
    ).astype(np.float32)


@pytest.fixture(scope="module")
def clips():
    return load_synthetic(n_per_genre=2, duration=3.0, genres=("blues", "metal"))


def _page(chapter: str) -> str:
    nb = json.loads((ROOT / "notebooks" / f"{chapter}.ipynb").read_text())
    return "\n".join("".join(c["source"]) for c in nb["cells"])


def _fit_one_epoch(net, X, **kwargs):
    yy = np.arange(len(X)) % net.output_shape[-1]
    return train(net, X, yy, X, yy, epochs=1, batch_size=4, verbose=0, **kwargs)


# ------------------------------------------------------------------ chapter 4 (Costa)


@pytest.mark.parametrize("train_hop", [8, 4])
def test_ch04_ex1_overlapping_training_patches(y, train_hop):
    P16 = features.costa_patches(y, SR)
    P = features.costa_patches(y, SR, hop=train_hop)
    cols = 16 + 16 * (len(P16) - 1)  # at least this many columns were cut
    assert len(P) >= 1 + (cols - 16) // train_hop
    assert P.shape[1:] == P16.shape[1:] == (256, 16, 1)
    net = models.costa_cnn(P.shape[1:], 10, filters=2, dense_units=4)
    assert net.predict(P, verbose=0).shape == (len(P), 10)


def test_ch04_ex2_kernel_sizes_and_the_padding_the_page_asks_for(y):
    P = features.costa_patches(y, SR)
    ok = models.costa_cnn(P.shape[1:], 10, filters=2, kernel_size=3, dense_units=4)
    assert ok.get_layer("conv1").kernel.shape[:2] == (3, 3)
    for k in (7, (3, 9)):
        with pytest.raises(ValueError):  # "valid": no column left after conv2
            models.costa_cnn(P.shape[1:], 10, filters=2, kernel_size=k, dense_units=4)
        net = models.costa_cnn(
            P.shape[1:], 10, filters=2, kernel_size=k, dense_units=4, padding="same"
        )
        assert net.get_layer("conv1").kernel.shape[:2] == ((7, 7) if k == 7 else (3, 9))
        assert net.predict(P, verbose=0).shape == (len(P), 10)
    page = _page("04_costa_cnn")
    assert "kernel_size=(3, 9)" in page and 'padding="same"' in page


def test_ch04_ex3_the_papers_optimiser_and_64_maps(y):
    P = features.costa_patches(y, SR)[:8]
    net = models.costa_cnn(P.shape[1:], 10, filters=64, dense_units=8, seed=0)
    sgd = {"optimizer": "sgd", "momentum": 0.9, "weight_decay": 5e-4}  # as the page
    run = _fit_one_epoch(net, P, lr=1e-3, **sgd)
    assert run.epochs_run == 1
    assert type(net.optimizer).__name__ == "SGD"
    assert net.optimizer.weight_decay == pytest.approx(5e-4)


def test_ch04_ex4_log_mel_patches_in_place_of_the_linear_ones(y, clips, tmp_path):
    P = features.costa_patches(y, SR)
    M = features.costa_mel_patches(y, SR)
    assert M.shape[1:] == (256, 16, 1) and M.dtype == np.float32
    assert abs(len(M) - len(P)) <= 1  # columns of the same length: 75 ms
    data, scaler = segments_dataset(
        {"train": clips, "test": clips},
        features.costa_mel_patches,
        {},
        feature_axes=(0,),
        cache_dir=tmp_path,
        n_jobs=1,
        progress=False,
    )
    net = models.costa_cnn(data["train"].X.shape[1:], 10, filters=2, dense_units=4)
    assert net.predict(data["test"].X, verbose=0).shape[1] == 10
    pipe = saving.pipeline(features.costa_mel_patches, {}, scaler=scaler)
    assert pipe.segment_seconds == pytest.approx(16 * 2 * 827 / SR)
    np.testing.assert_allclose(pipe.features(y), scaler.transform(M), atol=1e-5)


def test_ch04_ex5_every_rule_on_the_test_clips(y, clips, tmp_path):
    data, _ = segments_dataset(
        {"train": clips, "test": clips},
        features.costa_patches,
        {},
        feature_axes=(0,),
        cache_dir=tmp_path,
        n_jobs=1,
        progress=False,
    )
    net = models.costa_cnn(data["train"].X.shape[1:], 10, filters=2, dense_units=4)
    test = data["test"]
    out = evaluate_clips(net, test.X, test.clip_index, test.y)  # the page's call
    assert set(out) == {"vote", "sum", "product"}
    assert all(m["n_clips"] == len(clips) for m in out.values())


# ------------------------------------------------------------- chapter 5 (Nakashika)


def _glcm_segments(y, **params):
    return features.glcm_maps_per_segment(y, SR, **params)


def test_ch05_ex1_single_angle_network_with_the_stacked_networks_weights():
    stacked = models.nakashika_cnn((16, 16, 4), 10)
    single = models.nakashika_cnn((16, 16, 1), 10)
    matched = models.nakashika_cnn((16, 16, 1), 10, filters=(26, 6))
    assert single.count_params() < stacked.count_params()
    assert abs(matched.count_params() - stacked.count_params()) < 0.01 * (
        stacked.count_params()
    )
    wide = models.nakashika_cnn((16, 16, 4), 10, filters=(32, 32))
    X = np.random.default_rng(0).standard_normal((8, 16, 16, 4)).astype(np.float32)
    assert _fit_one_epoch(wide, X, lr=3e-3).epochs_run == 1
    assert wide.get_layer("global_avgpool").output.shape[-1] == 32


def test_ch05_ex2_other_grey_levels_and_symmetric_maps(y):
    G8 = _glcm_segments(y, levels=8)
    assert G8.shape[1:] == (8, 8, 4)
    with pytest.raises(ValueError):  # 8 -> 3 -> 1: no room for the 3 x 3 convolution
        models.nakashika_cnn(G8.shape[1:], 10)
    net = models.nakashika_cnn(G8.shape[1:], 10, kernel_sizes=(3, 2))  # as the page
    assert net.predict(G8, verbose=0).shape == (len(G8), 10)
    G32 = _glcm_segments(y, levels=32)
    assert (
        models.nakashika_cnn(G32.shape[1:], 10).predict(G32, verbose=0).shape[1] == 10
    )
    S = _glcm_segments(y, symmetric=True)
    np.testing.assert_allclose(S, np.swapaxes(S, 1, 2), atol=1e-7)
    assert not np.allclose(_glcm_segments(y), S)
    page = _page("05_nakashika_glcm_cnn")
    assert "kernel_sizes=(3, 2)" in page and '{"symmetric": True}' in page


def test_ch05_ex3_distances_1_2_4_give_12_maps_distance_1_first(y):
    G = _glcm_segments(y, distances=(1, 2, 4))
    np.testing.assert_allclose(G[..., :4], _glcm_segments(y), atol=1e-7)
    assert G.shape[-1] == 12
    net = models.nakashika_cnn(G.shape[1:], 10)
    assert net.predict(G, verbose=0).shape == (len(G), 10)
    pipe = saving.pipeline(features.glcm_maps_per_segment, {"distances": (1, 2, 4)})
    assert pipe.features(y).shape == G.shape


def test_ch05_ex4_quantised_mel_maps_in_place_of_their_glcms(y):
    S = features.glcm_mel_map(np.tile(y, 2), SR)  # 40 bands, 0.125 s frames: 48
    q = features.quantize(S[:, :32], 16)[None, ..., None].astype(np.float32)
    assert q.shape == (1, 40, 32, 1)
    net = models.nakashika_cnn(q.shape[1:], 10)
    assert net.predict(q, verbose=0).shape == (1, 10)


# ------------------------------------------------------------------ chapter 6 (Zhang)


def test_ch06_ex1_other_seeds_change_the_weights_not_the_graph():
    a = models.zhang_cnn((43, 513), 10, filters=(4, 4), dense_units=(4,), seed=0)
    b = models.zhang_cnn((43, 513), 10, filters=(4, 4), dense_units=(4,), seed=1)
    assert a.count_params() == b.count_params()
    assert not np.allclose(a.get_layer("conv1").kernel, b.get_layer("conv1").kernel)


def test_ch06_ex2_summing_max_and_average_keeps_the_channels(monkeypatch):
    from keras import layers

    def pool_sum(x, mode, size, name):  # the exercise's change to _pool
        m = layers.MaxPooling1D(size, name=f"{name}_max")(x)
        if mode == "max":
            return m
        a = layers.AveragePooling1D(size, name=f"{name}_avg")(x)
        return layers.Add(name=f"{name}_max_plus_avg")([m, a])

    def global_sum(x, mode):  # and to _global_pool
        m = layers.GlobalMaxPooling1D(name="global_max")(x)
        if mode == "max":
            return m
        a = layers.GlobalAveragePooling1D(name="global_avg")(x)
        return layers.Add(name="global_max_plus_avg")([m, a])

    concat = models.zhang_cnn((43, 513), 10, filters=(4, 4), dense_units=(4,))
    monkeypatch.setattr(zhang, "_pool", pool_sum)
    monkeypatch.setattr(zhang, "_global_pool", global_sum)
    summed = models.zhang_cnn((43, 513), 10, filters=(4, 4), dense_units=(4,))
    assert summed.get_layer("pool1_max_plus_avg").output.shape[-1] == 4
    assert concat.get_layer("pool1_max_avg").output.shape[-1] == 8
    assert summed.count_params() < concat.count_params()


def test_ch06_ex4_a_2048_point_stft(y):
    X = features.stft_segments(y, SR, seconds=1.5, n_fft=2048, hop_length=512)
    X1 = features.stft_segments(y, SR, seconds=1.5, n_fft=1024, hop_length=512)
    assert X.shape[1:] == (X1.shape[1], 1025)  # the same frames, 1,025 bins
    net = models.zhang_cnn(X.shape[1:], 10, filters=(4, 4), dense_units=(4,))
    assert net.get_layer("conv1").kernel.shape == (4, 1025, 4)
    assert _fit_one_epoch(net, X, lr=1e-3).epochs_run == 1
    params = {"seconds": 1.5, "overlap": 0.5, "n_fft": 2048, "hop_length": 512}
    assert saving.pipeline(features.stft_segments, params).features(y).shape[2] == 1025
