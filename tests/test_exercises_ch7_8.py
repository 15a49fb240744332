"""Chapters 7 and 8: every snippet on the pages runs, every exercise builds (issue 25, §3).

Each fenced ``python`` block of the two chapters' prose is executed here on tiny inputs,
in a namespace holding what the chapter has defined by then; and every exercise that
changes parameters builds what it needs with those values (and, where the page says a
value cannot work alone, shows that it fails with an error that says what to change).
"""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]

SR = 22050

EXPECTED_SNIPPETS = {"07_raw_audio": 3, "08_pretraining": 2}
"""How many fenced python blocks each page holds: a new one needs its test below."""


def _snippets(notebook: str) -> list[str]:
    """The fenced ``python`` blocks of a notebook's Markdown cells, dedented."""
    nb = json.loads((ROOT / "notebooks" / f"{notebook}.ipynb").read_text())
    blocks = []
    for cell in nb["cells"]:
        if cell["cell_type"] != "markdown":
            continue
        lines = "".join(cell["source"]).splitlines()
        i = 0
        while i < len(lines):
            m = re.fullmatch(r"(\s*)```python\s*", lines[i])
            if not m:
                i += 1
                continue
            end = i + 1
            while not re.fullmatch(re.escape(m.group(1)) + r"```\s*", lines[end]):
                end += 1
            blocks.append(textwrap.dedent("\n".join(lines[i + 1 : end])))
            i = end + 1
    return blocks


def _snippet(notebook: str, key: str) -> str:
    (code,) = [s for s in _snippets(notebook) if key in s]
    return code


def test_every_snippet_of_chapters_7_and_8_has_a_test_here():
    assert {nb: len(_snippets(nb)) for nb in EXPECTED_SNIPPETS} == EXPECTED_SNIPPETS


def _segments(X, y, per_clip=1):
    from mgr_utils.training import Segments

    n = len(X)
    return Segments(
        X=np.asarray(X, np.float32),
        y=np.asarray(y),
        clip_index=np.arange(n) // per_clip,
        clips=[f"c{i}" for i in range(-(-n // per_clip))],
    )


# ------------------------------------------------------------------------- chapter 7


def test_ch7_exercise_3_li_trained_as_in_the_paper_runs():
    from mgr_utils.models import li
    from mgr_utils.training import train

    rng = np.random.default_rng(0)
    side = {
        k: SimpleNamespace(
            X=rng.standard_normal((n, 190, 13)).astype("float32"),
            y=rng.integers(0, 3, n),
        )
        for k, n in (("train", 24), ("valid", 8))
    }
    ns = {
        "li": li,
        "train": train,
        "li_data": side,
        "clips": SimpleNamespace(classes=("a", "b", "c")),
        "SEED": 0,
        "LI_EPOCHS": 2,
        "BATCH_SIZE": 8,
    }
    exec(_snippet("07_raw_audio", 'optimizer="sgd"'), ns)
    assert ns["li_net"].output_shape[-1] == 3
    run = ns["li_run"]
    assert run.epochs_run == 2 and run.stopped_by == "fixed epochs"
    assert len(run.history["val_accuracy"]) == 2


def test_ch7_exercise_4_mel_like_filters_start_at_the_mel_centres():
    import librosa

    from mgr_utils.features import raw_audio
    from mgr_utils.models import dieleman2014

    stride, n_filters = 256, 8

    def dieleman_net(front_end, input_shape, seed=0):
        return dieleman2014.dieleman_cnn(
            input_shape,
            front_end,
            n_classes=3,
            n_filters=n_filters,
            filter_length=stride,
            stride=stride,
            seed=seed,
        )

    shape = (dieleman2014.back_end_min_frames() * stride, 1)
    ns = {
        "librosa": librosa,
        "np": np,
        "N_FILTERS": n_filters,
        "STRIDE": stride,
        "sr": SR,
        "dieleman_net": dieleman_net,
        "d14_nets": {"raw": dieleman_net("raw", shape)},
    }
    exec(_snippet("07_raw_audio", "W_mel"), ns)
    W = dieleman2014.frontend_filters(ns["mel_like"])
    np.testing.assert_allclose(W, ns["W_mel"], rtol=1e-6, atol=1e-6)
    _, hz, _ = raw_audio.sort_by_dominant_frequency(W, SR, n_fft=1024)
    np.testing.assert_allclose(hz, ns["centres"], atol=SR / stride)  # one bin of 86 Hz


def test_ch7_exercise_6_three_genres_keep_labels_0_to_2_through_the_split():
    from mgr_utils.datasets import load_synthetic
    from mgr_utils.models import li
    from mgr_utils.splits import split_dataset

    ns = {"clips": load_synthetic(n_per_genre=6, duration=1.0, seed=0)}
    exec(_snippet("07_raw_audio", "three = ("), ns)
    clips = ns["clips"]
    assert clips.classes == ("classical", "jazz", "rock") and len(clips) == 18
    train, valid, test = split_dataset(clips, "stratified", seed=0, test_per_genre=5)
    for side in (train, valid, test):
        assert side.classes == clips.classes and side.labels.max() <= 2
    assert set(test.counts()) == set(clips.classes)
    net = li.li_cnn(n_classes=len(clips.classes), seed=0)
    assert net.output_shape[-1] == 3


def _segment_samples(seconds, stride):
    """As chapter 7 computes its segments: a whole number of strides."""
    return int(round(seconds * SR / stride)) * stride


def _clip(seconds):
    from mgr_utils.synthetic import render

    return render("rock", seed=0, duration=seconds, sr=SR)


def test_ch7_exercise_1_stride_1024_needs_longer_segments_and_builds_with_them():
    from mgr_utils.features import raw_audio
    from mgr_utils.models import dieleman2014

    assert dieleman2014.back_end_min_frames() == 51
    short = _segment_samples(1.0, 1024)  # 22 frames: too few
    with pytest.raises(ValueError, match=r"needs at least 51 frames.*SEGMENT_SECONDS"):
        dieleman2014.dieleman_cnn(
            (short, 1), "raw", filter_length=1024, stride=1024, seed=0
        )
    with pytest.raises(ValueError, match="needs at least 51 frames"):
        dieleman2014.dieleman_cnn((short // 1024, 32), "mel", seed=0)
    n = _segment_samples(3.0, 1024)  # SEGMENT_SECONDS = 3.0: 65 frames
    y = _clip(10.0)
    R = raw_audio.waveform_segments(y, SR, n_samples=n)
    M = raw_audio.mel_frames(y, SR, n_samples=n, stride=1024, n_mels=32)
    assert len(R) == len(M) == 3 and M.shape[1:] == (65, 32)
    for front_end, X in (("raw", R), ("mel", M)):
        net = dieleman2014.dieleman_cnn(
            X.shape[1:],
            front_end,
            n_classes=10,
            n_filters=32,
            filter_length=1024,
            stride=1024,
            seed=0,
        )
        assert net.predict_on_batch(X).shape == (3, 10)


def test_ch7_exercise_2_feature_pooling_with_64_filters_builds():
    from mgr_utils.features import raw_audio
    from mgr_utils.models import dieleman2014

    n = _segment_samples(1.0, 256)
    y = _clip(3.0)
    R = raw_audio.waveform_segments(y, SR, n_samples=n)
    M = raw_audio.mel_frames(y, SR, n_samples=n, stride=256, n_mels=64)
    assert np.isfinite(M).all() and M.shape[1:] == (86, 64)
    nets = {
        fe: dieleman2014.dieleman_cnn(
            X.shape[1:],
            fe,
            n_classes=10,
            n_filters=64,
            filter_length=256,
            stride=256,
            feature_pool=4 if fe == "raw" else None,
            seed=0,
        )
        for fe, X in (("raw", R), ("mel", M))
    }
    assert nets["raw"].get_layer("frontend_l2pool").output.shape[-1] == 16
    for fe, X in (("raw", R), ("mel", M)):
        assert nets[fe].predict_on_batch(X).shape == (len(X), 10)
    W = dieleman2014.frontend_filters(nets["raw"])
    assert W.shape == (256, 64)
    _, hz, spectra = raw_audio.sort_by_dominant_frequency(W, SR, n_fft=1024)
    assert len(hz) == 64 and spectra.shape == (64, 513)


def test_ch7_exercise_5_five_scaling_seeds_and_more_clips():
    from mgr_utils import front_ends

    counts = {g: 24 for g in "abcdefghij"}  # N_PER_GENRE = 40: 24 training clips each
    sizes = front_ends.scale_sizes(counts, None, (0.25, 1.0))
    assert sizes == (6, 24)
    labels = np.repeat(np.arange(10), 24)
    seeds = (0, 1, 2, 3, 4)
    subsets = {s: front_ends.nested_subsets(labels, sizes, seed=s) for s in seeds}
    assert all(len(subsets[s][6]) == 60 for s in seeds)

    def run(acc):
        return {
            "accuracy": acc,
            "train_accuracy": 0.9,
            "stopped_by": "early stopping",
            "epochs_run": 5,
        }

    rng = np.random.default_rng(0)
    runs = {
        fe: [[run(float(a)) for a in rng.uniform(0.4, 0.9, 5)] for _ in sizes]
        for fe in ("raw", "mel")
    }
    x = front_ends.scaling_extra(sizes, seeds, runs, n_test=150, n_classes=10)
    assert [c["n"] for c in x["comparisons"]] == [5, 5] and x["trend"]["n"] == 5


# ------------------------------------------------------------------------- chapter 8


def test_ch8_exercise_2_a_scarce_validation_side():
    from mgr_utils import pretraining
    from mgr_utils.datasets import load_synthetic

    valid_clips = load_synthetic(n_per_genre=4, duration=1.0, genres=("jazz", "rock"))
    X = np.arange(8 * 2 * 3, dtype=np.float32).reshape(16, 1, 3)
    data = {"valid": _segments(X, np.repeat(valid_clips.labels, 2), per_clip=2)}
    data["valid"].clips = valid_clips
    ns = {
        "pretraining": pretraining,
        "valid_clips": valid_clips,
        "data": data,
        "fraction": 0.25,
        "seed": 0,
    }
    exec(_snippet("08_pretraining", "valid_side"), ns)
    side = ns["valid_side"]
    assert side.n_clips == 2 and len(side.X) == 4  # one clip of each class, 2 windows
    kept = valid_clips.labels[ns["kept"]]
    assert sorted(kept.tolist()) == sorted(set(valid_clips.labels.tolist()))


def test_ch8_exercise_3_frozen_convolutions_do_not_move():
    from mgr_utils import pretraining
    from mgr_utils.models import dieleman2011
    from mgr_utils.training import train

    rng = np.random.default_rng(0)
    X = rng.standard_normal((32, 64, 24)).astype("float32")
    y = rng.integers(0, 3, 32)
    net = dieleman2011.dieleman_cnn(n_classes=3, seed=0)
    code = _snippet("08_pretraining", "trainable")
    for init, moves in (("CD-1 RBMs", False), ("random", True)):
        ns = {
            "net": net,
            "init": init,
            "pretraining": pretraining,
            "LEARNING_RATE": 3e-3,
        }
        exec(code, ns)
        before = {
            k: net.get_layer(k).get_weights()[0].copy() for k in ("conv1", "conv2")
        }
        head = net.get_layer("mlp_hidden").get_weights()[0].copy()
        train(net, X, y, epochs=1, batch_size=8, seed=0, verbose=0, compile=False)
        for k, w in before.items():
            assert (not np.array_equal(net.get_layer(k).get_weights()[0], w)) is moves
        assert not np.array_equal(net.get_layer("mlp_hidden").get_weights()[0], head)


def test_ch8_exercise_1_six_seeds_give_six_pairs_and_an_interaction():
    from mgr_utils import pretraining

    rng = np.random.default_rng(1)
    runs = [
        {
            "init": init,
            "fraction": f,
            "seed": s,
            "n_labelled": int(120 * f),
            "test": {"accuracy": float(rng.uniform(0.3, 0.8))},
        }
        for init in ("random", "CD-1 RBMs")
        for f in (0.1, 1.0)
        for s in range(6)
    ]
    cs = pretraining.fraction_comparisons(runs, n_classes=10)
    assert [c["n"] for c in cs] == [6, 6]
    assert pretraining.gain_interaction(runs, cs)["n"] == 6
    labels = np.repeat(np.arange(10), 12)
    draws = [tuple(pretraining.draw_labelled(labels, 0.1, s)) for s in range(6)]
    assert len(set(draws)) == 6  # each seed its own labelled clips


def test_ch8_exercise_4_no_sparsity_no_momentum_other_epochs():
    from mgr_utils import pretraining

    V = np.random.default_rng(0).standard_normal((8, 64, 24)).astype("float32")
    for epochs in (5, 50):
        stack = pretraining.pretrain_stack(
            V,
            filters=(16, 32),
            widths=(8, 4),
            pool=4,
            epochs=epochs,
            lr=(0.002, 0.02),
            batch_size=32,
            momentum=0.0,
            sparsity=None,
            method="cd1",
            seed=0,
        )
        assert [len(layer.errors) for layer in stack] == [epochs, epochs]
        assert all(np.isfinite(layer.errors).all() for layer in stack)


def test_ch8_exercise_5_a_relu_random_start_takes_the_same_weights():
    from mgr_utils import pretraining
    from mgr_utils.models import dieleman2011

    sigmoid = dieleman2011.dieleman_cnn(n_classes=10, seed=1)
    relu_net = dieleman2011.dieleman_cnn(n_classes=10, activation="relu", seed=0)
    for name in ("conv1", "conv2", "mlp_hidden"):
        assert relu_net.get_layer(name).activation.__name__ == "relu"
        assert sigmoid.get_layer(name).activation.__name__ == "sigmoid"
    pretraining.compile_for_finetuning(relu_net, lr=3e-3)
    pretraining.reset_for_finetuning(relu_net, sigmoid.get_weights())
    for a, b in zip(relu_net.get_weights(), sigmoid.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_ch8_exercise_6_a_pool_of_50_more_clips_per_genre():
    from mgr_utils import pretraining
    from mgr_utils.datasets import load_synthetic

    train = load_synthetic(n_per_genre=20, duration=10.0, seed=0)
    pool = pretraining.unlabelled_pool(train, "synthetic", 50, 20, 10.0, seed=0)
    assert len(pool) == len(train) + 50 * 10
    ids = {c.clip_id for c in train}
    assert not ids & {c.clip_id for c in pool[len(train) :]}


def test_ch8_exercise_7_beat_synchronous_windows_build_the_network():
    from mgr_utils import pretraining
    from mgr_utils.features import echonest
    from mgr_utils.models import dieleman2011

    y = _clip(30.0)
    W = echonest.echonest_windows(y, SR, frames=24, hop=24, beat_sync=True)
    T = echonest.echonest_windows(y, SR, frames=24, hop=8, beat_sync=True)
    assert W.shape[1:] == (24, 24) and len(W) >= 1 and len(T) >= len(W)
    frames = len(echonest.echonest_features(y, SR, beat_sync=True))
    assert frames < len(echonest.echonest_features(y, SR))  # a frame is a beat
    net = dieleman2011.dieleman_cnn(
        input_shape=(24, 24), n_classes=10, filters=(16, 32), widths=(4, 2), seed=0
    )
    assert net.predict_on_batch(W).shape == (len(W), 10)
    stack = pretraining.pretrain_stack(
        T, filters=(16, 32), widths=(4, 2), pool=4, epochs=1, seed=0
    )
    assert [layer.W.shape for layer in stack] == [(4, 24, 16), (2, 16, 32)]
    with pytest.raises(ValueError, match="too short"):  # the chapter's widths
        dieleman2011.dieleman_cnn(input_shape=(24, 24), widths=(8, 4), seed=0)
