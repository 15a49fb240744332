"""Shared training and evaluation: pipeline, early stopping, seeds, throughput, segments, clip metrics."""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import gc
import weakref

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from mgr_utils.datasets import load_synthetic  # noqa: E402
from mgr_utils.models import costa_cnn, nakashika_cnn  # noqa: E402
from mgr_utils.features import COSTA_HOP_LENGTH, costa_patches, stft_segments  # noqa: E402
from mgr_utils.training import (  # noqa: E402
    Segments,
    Standardizer,
    evaluate_clips,
    evaluate_selected,
    make_dataset,
    measure_throughput,
    predict_clips,
    segments_dataset,
    train,
)


def _linear(d=4, k=2, seed=0):
    keras.utils.set_random_seed(seed)
    x = keras.Input((d,))
    return keras.Model(x, keras.layers.Dense(k, activation="softmax")(x))


def _blobs(n=64, d=4, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    X = rng.standard_normal((n, d)).astype("float32") + 2.0 * (2 * y[:, None] - 1)
    return X, y


def test_make_dataset_batches_and_shuffles_reproducibly():
    X = np.arange(10, dtype="float32")[:, None]
    y = np.arange(10)
    batches = [b for b in make_dataset(X, y, 4, shuffle=False)]
    assert [len(bx) for bx, _ in batches] == [4, 4, 2]
    assert batches[0][0].dtype.name == "float32"

    def order(seed):
        return np.concatenate(
            [by.numpy() for _, by in make_dataset(X, y, 3, shuffle=True, seed=seed)]
        )

    a, b = order(1), order(1)
    assert np.array_equal(a, b) and sorted(a.tolist()) == list(range(10))
    assert not np.array_equal(a, np.arange(10))


def test_make_dataset_gathers_large_arrays_from_numpy_with_the_same_batches(
    monkeypatch,
):
    import mgr_utils.training as training

    rng = np.random.default_rng(0)
    X = rng.standard_normal((23, 5, 3)).astype("float32")
    y = rng.integers(0, 10, 23)

    def batches(with_labels):
        ds = make_dataset(X, y if with_labels else None, 4, shuffle=True, seed=3)
        return [
            tuple(t.numpy() for t in b) if with_labels else (b.numpy(),) for b in ds
        ]

    copied = batches(True), batches(False)
    monkeypatch.setattr(
        training, "COPY_TO_TENSORFLOW_MAX_MB", 0
    )  # every array counts as large
    gathered = batches(True), batches(False)
    for a, b in zip(copied, gathered):
        assert len(a) == len(b) == 6
        for ba, bb in zip(a, b):
            assert all(np.array_equal(u, v) for u, v in zip(ba, bb))
    ds = make_dataset(X, y, 4)
    assert tuple(ds.element_spec[0].shape) == (None, 5, 3), (
        "Keras needs the static shape of a batch"
    )


def test_a_large_array_is_released_with_its_pipeline(monkeypatch):
    # TensorFlow keeps every tf.numpy_function's Python function for the life of the process: a
    # function that held the array kept gigabytes alive after training (chapter 7's rehearsal).
    import mgr_utils.training as training

    monkeypatch.setattr(training, "COPY_TO_TENSORFLOW_MAX_MB", 0)
    X = np.arange(40 * 3, dtype=np.float32).reshape(40, 3)
    alive = weakref.ref(X)
    ds = make_dataset(X, np.zeros(40, dtype=np.int64), 8, shuffle=True)
    it = iter(ds)
    del X, ds
    gc.collect()
    assert sum(len(bx) for bx, _ in it) == 40, (
        "an iterator keeps its pipeline and the array"
    )
    assert alive() is not None
    del it
    gc.collect()
    assert alive() is None, "the array outlived its pipeline"


class _WeightLog(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.weights = []

    def on_epoch_end(self, epoch, logs=None):
        self.weights.append([w.copy() for w in self.model.get_weights()])


def test_early_stopping_restores_the_best_epoch():
    # Validation labels are the training labels flipped: the better the fit, the worse val_loss,
    # so the best epoch is the first; patience 2 stops after epoch 3.
    X, y = _blobs()
    log = _WeightLog()
    res = train(
        _linear(),
        X,
        y,
        X,
        1 - y,
        epochs=20,
        batch_size=16,
        lr=0.05,
        patience=2,
        verbose=0,
        callbacks=[log],
    )
    assert res.epochs_run == 3
    assert res.best_epoch == 1
    assert res.history["val_loss"][0] == min(res.history["val_loss"])
    final = res  # noqa: F841
    model_w = log.model.get_weights()
    assert all(np.array_equal(a, b) for a, b in zip(model_w, log.weights[0]))
    assert not all(np.array_equal(a, b) for a, b in zip(model_w, log.weights[-1]))


def test_several_steps_per_call_train_exactly_like_one():
    # 70 segments in batches of 16: 4 full batches and one of 6, so with 3 steps per
    # compiled call the last call holds a remainder of 2 steps. Every batch must be
    # trained on, in the same order: the same step count and the same weights (float32
    # updates of the same batches; no tolerance beyond rounding is needed).
    from mgr_utils import training

    X, y = _blobs(n=70)
    runs = {}
    for spe in (1, 3):
        model = _linear(seed=3)
        training.compile_model(model, lr=0.05, steps_per_execution=spe)
        res = train(
            model, X, y, X, y, epochs=3, batch_size=16, verbose=0, compile=False
        )
        runs[spe] = (model.get_weights(), int(model.optimizer.iterations), res)
    assert runs[1][1] == runs[3][1] == 3 * 5
    for a, b in zip(runs[1][0], runs[3][0]):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    assert runs[1][2].history["loss"] == pytest.approx(
        runs[3][2].history["loss"], rel=1e-6
    )


def test_compile_model_rejects_a_bad_steps_per_execution():
    from mgr_utils.training import compile_model

    for bad in (0, -2, 1.5, True):
        with pytest.raises(ValueError, match="steps_per_execution"):
            compile_model(_linear(), steps_per_execution=bad)


def test_restore_best_without_patience_runs_all_epochs():
    X, y = _blobs()
    res = train(_linear(), X, y, X, 1 - y, epochs=4, batch_size=16, lr=0.05, verbose=0)
    assert res.epochs_run == 4 and res.best_epoch == 1


def test_the_log_is_one_table_and_says_how_the_training_ended(capsys):
    # Early stopping (see above: best epoch 1, stop after epoch 3): one printed block, a row per
    # epoch, the kept epoch marked, and the sentence names the stop and the restored epoch.
    X, y = _blobs()
    res = train(
        _linear(), X, y, X, 1 - y, epochs=20, batch_size=16, lr=0.05, patience=2
    )
    out = capsys.readouterr().out
    lines = out.strip().splitlines()
    assert lines[0].split() == [
        "epoch",
        "loss",
        "accuracy",
        "val_loss",
        "val_accuracy",
        "seconds",
    ]
    assert [line.split()[0] for line in lines[1:4]] == ["1", "2", "3"]
    assert lines[1].endswith(" *") and not lines[2].endswith("*")
    assert len(lines) == 5 and "Epoch" not in out and "step" not in out
    assert "Stopped early after epoch 3 of at most 20" in lines[4]
    assert "weights of epoch 1" in lines[4]
    assert len(res.epoch_seconds) == 3 and all(t > 0 for t in res.epoch_seconds)
    assert res.stopped_early

    # The epoch cap: verbose=1 prints the sentence only, verbose=0 nothing.
    res = train(_linear(), X, y, X, y, epochs=2, batch_size=16, lr=0.05, verbose=1)
    out = capsys.readouterr().out
    assert (
        out.startswith("Ran to the epoch cap, 2 epochs.") and len(out.splitlines()) == 1
    )
    assert not res.stopped_early
    train(_linear(), X, y, X, y, epochs=2, batch_size=16, lr=0.05, verbose=0)
    assert capsys.readouterr().out == ""


def test_training_learns_and_reports_timing():
    X, y = _blobs(n=128)
    m = _linear()
    res = train(m, X, y, X, y, epochs=3, batch_size=32, lr=0.05, verbose=0)
    assert set(res.history) >= {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert res.history["accuracy"][-1] > 0.9
    assert res.seconds > 0 and res.segments_per_second > 0 and res.n_train == 128
    assert set(res.summary()) == {
        "train_seconds",
        "segments_per_second",
        "epochs_run",
        "best_epoch",
        "max_epochs",
        "stopped_by",
        "running_train_accuracy",
    }
    assert "train_accuracy" not in res.summary(), (
        "a record's training accuracy is clip level, from evaluate_selected(train=)"
    )
    assert res.stopped_by == "fixed epochs" and res.epoch_cap == 3


def test_seeds_make_training_reproducible():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((48, 16, 16, 4)).astype("float32")
    y = rng.integers(0, 10, 48)

    def run():
        m = nakashika_cnn(seed=7)
        train(m, X, y, epochs=2, batch_size=16, seed=7, verbose=0)
        return m.get_weights()

    a, b = run(), run()
    assert all(np.array_equal(u, v) for u, v in zip(a, b))


def test_measure_throughput_leaves_the_model_alone():
    m = costa_cnn(input_shape=(24, 16, 1), filters=4, dense_units=8, seed=0)
    before = [w.copy() for w in m.get_weights()]
    X = np.random.default_rng(0).standard_normal((5, 24, 16, 1)).astype("float32")
    sps = measure_throughput(m, X, batch_size=8, steps=3, warmup=1)
    assert sps > 0
    assert all(np.array_equal(a, b) for a, b in zip(before, m.get_weights()))


def test_standardizer_per_feature_from_train_only():
    rng = np.random.default_rng(0)
    Xtr = (
        rng.normal(5.0, 3.0, (200, 6, 4)).astype("float32")
        + np.arange(6)[None, :, None]
    )
    s = Standardizer().fit(Xtr)
    Z = s.transform(Xtr)
    np.testing.assert_allclose(Z.mean(axis=0), 0, atol=1e-4)
    np.testing.assert_allclose(Z.std(axis=0), 1, atol=1e-3)
    rows = Standardizer(feature_axes=(0,)).fit(Xtr)
    assert rows.mean_.shape == (6, 1)
    np.testing.assert_allclose(rows.transform(Xtr).mean(axis=(0, 2)), 0, atol=1e-4)
    # Another side is transformed with the training statistics, not its own.
    Xte = Xtr[:10] + 100.0
    assert s.transform(Xte).mean() > 10
    const = Standardizer().fit(np.ones((5, 3)))
    assert np.all(np.isfinite(const.transform(np.ones((2, 3)))))


def test_input_functions_shapes():
    y = np.random.default_rng(0).standard_normal(22050 * 3).astype("float32")
    P = costa_patches(y)
    assert P.shape[1:] == (256, 16, 1) and P.dtype == np.float32
    # 3 s: 1 + 66150 // 827 = 80 frames -> 40 columns after the 50 % downscale.
    assert COSTA_HOP_LENGTH == 827
    assert len(P) == 1 + (40 - 16) // 16
    assert len(costa_patches(y, hop=8)) == 1 + (40 - 16) // 8
    S = stft_segments(y, seconds=1.0)
    assert S.shape[1:] == (43, 513)
    assert len(S) == 1 + (1 + 3 * 22050 // 512 - 43) // 22
    assert stft_segments(y[:1000], seconds=1.0).shape == (1, 43, 513)


def test_segments_dataset_keeps_clips_and_labels(tmp_path):
    clips = load_synthetic(n_per_genre=2, duration=1.0, genres=("blues", "metal"))
    sides = {"train": clips.subset([0, 2]), "test": clips.subset([1, 3])}
    data, scaler = segments_dataset(
        sides,
        stft_segments,
        {"seconds": 0.5, "overlap": 0.5},
        side_params={"test": {"overlap": 0.0}},
        feature_axes=(1,),
        cache_dir=tmp_path,
        n_jobs=1,
        progress=False,
    )
    tr, te = data["train"], data["test"]
    assert tr.X.shape[1:] == (22, 513) and tr.X.dtype == np.float32
    assert tr.n_clips == 2 and te.n_clips == 2
    assert len(tr) == 2 * 3 and len(te) == 2 * 2  # overlap 50 % on train, none on test
    assert tr.y.tolist() == [0, 0, 0, 6, 6, 6]
    assert tr.clip_index.tolist() == [0, 0, 0, 1, 1, 1]
    assert [tr.clips.ids[i] for i in np.unique(tr.clip_index)] == [
        "blues.00000",
        "metal.00000",
    ]
    np.testing.assert_allclose(tr.X.mean(axis=(0, 1)), 0, atol=1e-4)
    assert scaler.mean_.shape == (1, 513)


def test_predict_and_evaluate_clips_from_segment_probs():
    P = np.array([[0.8, 0.2, 0.0], [0.0, 0.3, 0.7], [0.1, 0.9, 0.0], [0.2, 0.8, 0.0]])
    clip_index = [0, 0, 1, 1]
    y = [0, 0, 1, 1]
    clips, S = predict_clips(None, None, clip_index, rule="sum", segment_probs=P)
    assert clips.tolist() == [0, 1] and S.argmax(axis=1).tolist() == [0, 1]
    out = evaluate_clips(
        None, None, clip_index, y, genres=("a", "b", "c"), segment_probs=P
    )
    assert set(out) == {"vote", "sum", "product"}
    assert out["sum"]["accuracy"] == 1.0 and out["vote"]["accuracy"] == 1.0
    assert (
        out["product"]["accuracy"] == 0.5
    )  # clip 0 goes to class 1 under the product rule
    assert out["sum"]["segment_accuracy"] == 0.75


def test_evaluate_clips_with_a_model():
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1], 20)  # 20 clips of two segments, each clip of one label
    X = rng.standard_normal((40, 4)).astype("float32") + 2.0 * (2 * y[:, None] - 1)
    m = _linear()
    train(m, X, y, epochs=5, batch_size=8, lr=0.05, verbose=0)
    out = evaluate_clips(
        m, X, np.repeat(np.arange(20), 2), y, rules=("sum",), genres=("a", "b")
    )
    assert out["sum"]["n_clips"] == 20 and out["sum"]["accuracy"] > 0.8


def test_evaluate_selected_scores_the_training_clips_with_the_chosen_rule():
    # the veto clip of the test below, as a training clip of class 0: the product
    # rule (chosen on validation) gets it wrong, the sum rule would get it right
    veto = [[0.9, 0.1], [0.9, 0.1], [0.0, 1.0]]
    Pv = np.array(veto + [[0.9, 0.1], [0.9, 0.1]])
    clips = np.array([0, 0, 0, 1, 1])
    valid = Segments(np.zeros((5, 1)), np.array([1, 1, 1, 0, 0]), clips, None)
    Ptr = np.array(veto + [[0.2, 0.8]] * 2 + [[0.6, 0.4]] * 2)
    train_side = Segments(
        np.zeros((7, 1)),
        np.array([0, 0, 0, 1, 1, 0, 0]),
        np.array([0, 0, 0, 1, 1, 2, 2]),
        None,
    )
    out = evaluate_selected(
        None,
        valid,
        valid,
        genres=("a", "b"),
        valid_probs=Pv,
        test_probs=Pv,
        train=train_side,
        train_probs=Ptr,
    )
    assert out["rule"] == "product"
    assert out["train"]["rule"] == "product" and out["train"]["n_clips"] == 3
    assert out["train"]["accuracy"] == pytest.approx(2 / 3)  # not the sum rule's 3 / 3
    assert out["train"]["segment_accuracy"] == pytest.approx(6 / 7)
    assert out["test"]["train_accuracy"] == out["train"]["accuracy"]
    without = evaluate_selected(
        None, valid, valid, genres=("a", "b"), valid_probs=Pv, test_probs=Pv
    )
    assert "train" not in without and "train_accuracy" not in without["test"]


def test_the_training_accuracy_is_measured_in_inference_mode():
    # heavy dropout: Keras' running mean is measured with it on; the recorded training
    # accuracy predicts the training clips with it off, so it is the same every time
    rng = np.random.default_rng(0)
    y = np.repeat(rng.integers(0, 2, 48), 2)  # 48 clips of two segments
    X = rng.standard_normal((96, 4)).astype("float32") + 1.0 * (2 * y[:, None] - 1)
    keras.utils.set_random_seed(0)
    x = keras.Input((4,))
    h = keras.layers.Dropout(0.8)(keras.layers.Dense(16, activation="relu")(x))
    m = keras.Model(x, keras.layers.Dense(2, activation="softmax")(h))
    run = train(m, X, y, X, y, epochs=4, batch_size=16, lr=0.05, verbose=0)
    side = Segments(X, y, np.repeat(np.arange(48), 2), None)
    first = evaluate_selected(m, side, side, rules=("sum",), genres="ab", train=side)
    again = evaluate_selected(m, side, side, rules=("sum",), genres="ab", train=side)
    assert first["test"]["train_accuracy"] == again["test"]["train_accuracy"]
    P = np.asarray(m(X, training=False))
    S = P.reshape(48, 2, 2).sum(axis=1)
    assert first["train"]["accuracy"] == pytest.approx(
        np.mean(S.argmax(axis=1) == y[::2])
    )
    assert run.running_train_accuracy is not None


def test_evaluate_selected_reports_the_validation_choice_not_the_test_best():
    """The rule is chosen on the validation clips; the test clips are scored once, with that rule.

    A clip whose segments say [0.9, 0.1], [0.9, 0.1], [0.0, 1.0]: the sum rule and the vote pick
    class 0, the product rule class 1 (the zero vetoes class 0). On validation that clip is of
    class 1 (product right, 2 of 2; sum and vote 1 of 2), on test of class 0 (product 1 of 2;
    sum and vote 2 of 2). Reporting the test-best rule would claim 100 %; the book reports 50 %.
    """
    veto = [[0.9, 0.1], [0.9, 0.1], [0.0, 1.0]]
    Pv = np.array(veto + [[0.9, 0.1], [0.9, 0.1]])
    Pt = np.array(veto + [[0.1, 0.9], [0.1, 0.9]])
    clips = np.array([0, 0, 0, 1, 1])
    valid = Segments(np.zeros((5, 1)), np.array([1, 1, 1, 0, 0]), clips, None)
    test = Segments(np.zeros((5, 1)), np.array([0, 0, 0, 1, 1]), clips, None)
    on_test = evaluate_clips(
        None, None, clips, test.y, genres=("a", "b"), segment_probs=Pt
    )
    assert (
        on_test["sum"]["accuracy"] == on_test["vote"]["accuracy"] == 1.0
        and on_test["product"]["accuracy"] == 0.5
    )

    out = evaluate_selected(
        None, valid, test, genres=("a", "b"), valid_probs=Pv, test_probs=Pt
    )
    assert out["rule"] == "product" and out["selected_on"] == "validation"
    assert (
        out["valid"]["product"]["accuracy"] == 1.0
        and out["valid"]["sum"]["accuracy"] == 0.5
    )
    assert out["test"]["accuracy"] == 0.5, "the validation choice, scored once on test"
    assert out["test"]["valid_accuracy"] == 1.0 and out["test"]["rule"] == "product"
    fixed = evaluate_selected(
        None,
        valid,
        test,
        rules=("sum",),
        genres=("a", "b"),
        valid_probs=Pv,
        test_probs=Pt,
    )
    assert (
        fixed["rule"] == "sum"
        and fixed["selected_on"] == "fixed"
        and fixed["test"]["accuracy"] == 1.0
    )


def test_segments_dataset_reads_one_entry_of_a_dict_feature(tmp_path):
    from mgr_utils.features import texture_features

    clips = load_synthetic(n_per_genre=1, duration=1.0, genres=("blues", "metal"))
    data, scaler = segments_dataset(
        {"train": clips},
        texture_features,
        {},
        key="glcm",
        standardize=False,
        cache_dir=tmp_path,
        n_jobs=1,
        progress=False,
    )
    assert scaler is None
    assert data["train"].X.shape == (
        2,
        16,
        16,
        4,
    )  # one (padded) 4 s segment per 1 s clip
    np.testing.assert_allclose(
        data["train"].X.sum(axis=(1, 2)), 1.0, rtol=1e-5
    )  # normalised maps


def test_standardizer_statistics_do_not_depend_on_the_chunk_size_and_transform_in_place():
    rng = np.random.default_rng(1)
    X = rng.normal(3.0, 2.0, (101, 5, 3)).astype("float32")
    a = Standardizer(feature_axes=(1,)).fit(
        X, chunk_mb=7 * 15 * 8 / 2**20
    )  # 7 samples of 15 float64s
    b = Standardizer(feature_axes=(1,)).fit(X, chunk_mb=1000)
    np.testing.assert_allclose(
        a.mean_, X.astype("float64").mean(axis=(0, 1), keepdims=True)[0], rtol=1e-6
    )
    np.testing.assert_allclose(
        a.std_, X.astype("float64").std(axis=(0, 1), keepdims=True)[0], rtol=1e-5
    )
    np.testing.assert_allclose(a.mean_, b.mean_, rtol=1e-6)
    expected = a.transform(X)
    Y = X.copy()
    assert a.transform(Y, inplace=True) is Y
    np.testing.assert_allclose(Y, expected, rtol=1e-6)


def test_train_result_says_what_stopped_it_and_its_training_accuracy():
    from mgr_utils.training import TrainResult

    hist = {
        "loss": [2.0, 1.0, 1.5],
        "accuracy": [0.2, 0.6, 0.55],
        "val_loss": [2.1, 1.2, 1.4],
    }
    capped = TrainResult(
        hist, 1.0, 10.0, epochs_run=3, best_epoch=2, n_train=8, epoch_cap=3, patience=2
    )
    assert capped.stopped_by == "epoch cap" and capped.running_train_accuracy == 0.6
    early = TrainResult(
        hist, 1.0, 10.0, epochs_run=3, best_epoch=2, n_train=8, epoch_cap=9, patience=1
    )
    assert early.stopped_by == "early stopping"
    fixed = TrainResult(hist, 1.0, 10.0, 3, 3, 8, epoch_cap=3, patience=None)
    assert fixed.stopped_by == "fixed epochs" and fixed.running_train_accuracy == 0.55
    assert not hasattr(fixed, "train_accuracy")
    assert fixed.summary()["stopped_by"] == "fixed epochs"


def test_configure_tensorflow_takes_its_thread_count_from_mgr_tf_threads():
    # A fresh process: TensorFlow takes thread counts only before its first op.
    import subprocess
    import sys

    code = "from mgr_utils.training import configure_tensorflow as c; print(c())"
    env = {**os.environ, "MGR_TF_THREADS": "1", "TF_CPP_MIN_LOG_LEVEL": "3"}
    out = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=os.path.dirname(os.path.dirname(__file__)),
    )
    assert out.stdout.strip().splitlines()[-1] == "{'intra_op': 1, 'inter_op': 1}"
