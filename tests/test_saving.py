"""Saved systems (mgr_utils.saving): every model family saved, loaded and run on an audio file.

Each family of the book is trained for two steps on tiny inputs cut from a generated clip,
saved with its input pipeline and card, loaded back, and must give the same class
probabilities on the path from an audio file to a prediction as the network it was saved
from, fed the way the chapters feed it (the feature function, the standardiser, the rule).
"""

from __future__ import annotations

import json
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import pytest
import soundfile as sf

from mgr_utils import SR, features, saving
from mgr_utils.audio import load_audio
from mgr_utils.evaluation import aggregate_segments
from mgr_utils.features import echonest, linear_stft, raw_audio

keras = pytest.importorskip("keras")

from mgr_utils import models  # noqa: E402
from mgr_utils.classical import LBPZoneSVM, SVMClassifier  # noqa: E402
from mgr_utils.training import Standardizer, predict_segments  # noqa: E402

CLASSES = ("bossa nova", "k-pop", "tango")
SECONDS = 6.0

# Loaded and saved networks hold the same float32 weights and read the same inputs; the
# loaded one is a new graph, whose kernels TensorFlow may choose otherwise: a few float32
# roundings of a softmax near 1/3 apart at most.
ATOL = 1e-6


def tone_clip(seconds: float = SECONDS, sr: int = SR, seed: int = 0) -> np.ndarray:
    """A few seconds of chords with a pulse and some noise: every feature has content."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * sr)) / sr
    y = sum(0.2 * np.sin(2 * np.pi * f * t) for f in (110.0, 220.0, 330.0, 440.0))
    y = y * (0.6 + 0.4 * (np.sin(2 * np.pi * 2.0 * t) > 0))
    y = y + 0.03 * rng.standard_normal(len(t))
    return (0.8 * y / np.abs(y).max()).astype(np.float32)


@pytest.fixture(scope="module")
def clip_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("audio") / "clip.wav"
    sf.write(path, tone_clip(), SR, subtype="FLOAT")
    return path


def two_steps(model, X, seed: int = 0):
    """Train ``model`` for two steps on ``X`` with random labels (weights leave their start)."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, model.output_shape[-1], len(X))
    model.compile(
        optimizer="adam", loss="sparse_categorical_crossentropy", run_eagerly=True
    )
    for _ in range(2):
        model.train_on_batch(X, y)
    return model


# Family -> (feature function, test-side params, key, standardiser, builder of the network).
# "axes": a Standardizer with these feature axes (None: one per element); "scale": divide by
# the training inputs' standard deviation (chapter 9); "none": raw values (chapter 7).
FAMILIES = {
    "costa": (
        features.costa_patches,
        {},
        None,
        (0,),
        lambda s: models.costa_cnn(s, 3, filters=2, dense_units=4, seed=0),
    ),
    "nakashika": (
        features.texture_features,
        {"n_zones": 3},
        "glcm",
        None,
        lambda s: models.nakashika_cnn(s, 3, filters=(2, 2), seed=0),
    ),
    "zhang": (
        features.stft_segments,
        {"seconds": 1.0},
        None,
        (1,),
        lambda s: models.zhang_cnn(s, 3, filters=(4, 4), dense_units=(4,), seed=0),
    ),
    "li": (
        raw_audio.li_mfcc_excerpts,
        {},
        None,
        (1,),
        lambda s: models.li_cnn(s, 3, maps=(2, 3, 4), seed=0),
    ),
    "dieleman_mel": (
        raw_audio.mel_frames,
        {"n_samples": 8192, "stride": 256, "n_mels": 8},
        None,
        (1,),
        lambda s: models.dieleman2014_cnn(
            s,
            "mel",
            3,
            filters=(4, 4),
            kernel_size=4,
            pool_size=2,
            dense_units=8,
            seed=0,
        ),
    ),
    "dieleman_raw": (
        raw_audio.waveform_segments,
        {"n_samples": 8192},
        None,
        "none",
        lambda s: models.dieleman2014_cnn(
            s,
            "raw",
            3,
            n_filters=8,
            feature_pool=2,
            filters=(4, 4),
            kernel_size=4,
            pool_size=2,
            dense_units=8,
            seed=0,
        ),
    ),
    "sample_cnn": (
        raw_audio.waveform_segments,
        {"n_samples": 243, "hop": 2205},
        None,
        "none",
        lambda s: models.sample_cnn(
            s[0], 3, first_filters=4, channels=(4, 4, 4, 4), last_filters=4, seed=0
        ),
    ),
    "choi": (
        linear_stft.choi_stft_excerpts,
        {"seconds": 1.0},
        None,
        "scale",
        lambda s: models.choi_cnn(s, 3, filters=2, dense_units=4, seed=0),
    ),
    "pretraining_mlp": (
        echonest.echonest_windows,
        {"frames": 16, "hop": 16},
        None,
        (1,),
        lambda s: models.dieleman2011_cnn(
            s, 3, filters=(2, 2), widths=(2, 2), pool=2, dense_units=4, seed=0
        ),
    ),
}


def _inputs(fn, params, key, y):
    out = fn(y, SR, **params)
    return np.asarray(out if key is None else out[key], dtype=np.float32)


@pytest.mark.parametrize("family", list(FAMILIES))
def test_every_network_family_saves_loads_and_predicts_the_same(
    family, clip_file, tmp_path
):
    fn, params, key, standardise, build = FAMILIES[family]
    y = load_audio(clip_file)
    X_raw = _inputs(fn, params, key, y)  # the chapters' path: fn(y, sr, **params)
    if standardise == "none":
        scaler = None
        X = X_raw
    elif standardise == "scale":
        scaler = float(X_raw.std())
        X = X_raw / scaler
    else:
        scaler = Standardizer(standardise).fit(X_raw)
        X = scaler.transform(X_raw)
    net = two_steps(build(X.shape[1:]), X)
    rule = "product" if family == "li" else "sum"

    card = saving.save_system(
        net,
        "07_raw_audio",
        family,
        saving.pipeline(fn, params, scaler=scaler, key=key),
        classes=CLASSES,
        dataset="folder",
        metrics={"accuracy": 0.5, "n_clips": 6},
        rule=rule,
        models_dir=tmp_path,
    )
    assert card == tmp_path / "folder" / f"{family}.json"
    assert (tmp_path / "folder" / f"{family}.keras").is_file()
    assert (tmp_path / "folder" / f"{family}.npz").is_file() == (scaler is not None)

    loaded = saving.load_system(family, models_dir=tmp_path)
    assert loaded.model is not net
    got = loaded.classify(load_audio(clip_file, sr=loaded.pipeline.sample_rate))

    P = predict_segments(net, X)  # the network it was saved from
    _, clip = aggregate_segments(P, np.zeros(len(P), int), rule=rule)
    np.testing.assert_allclose(got["segment_scores"], P, atol=ATOL)
    np.testing.assert_allclose(got["scores"], clip[0], atol=ATOL)
    hop = loaded.pipeline.hop_seconds
    np.testing.assert_allclose(got["starts"], hop * np.arange(len(P)), rtol=1e-9)


def test_the_card_describes_the_whole_path(clip_file, tmp_path):
    y = load_audio(clip_file)
    X_raw = features.costa_patches(y, SR)
    scaler = Standardizer((0,)).fit(X_raw)
    net = models.costa_cnn(X_raw.shape[1:], 3, filters=2, dense_units=4, seed=0)
    two_steps(net, scaler.transform(X_raw))  # compiled: Adam's state is not saved
    evaluation = {  # what evaluate_selected returns: its rule and its test metrics
        "rule": "vote",
        "selected_on": "validation",
        "test": {"accuracy": 0.6, "n_clips": 5, "valid_accuracy": 0.8},
    }
    path = saving.save_system(
        net,
        "04_costa_cnn",
        "costa_cnn",
        saving.pipeline(features.costa_patches, {}, scaler=scaler),
        classes=CLASSES,
        dataset="synthetic",
        split="stratified",
        metrics=evaluation,
        display_name="Costa et al.'s CNN",
        models_dir=tmp_path,
    )
    card = json.loads(path.read_text())
    assert card["format_version"] == saving.FORMAT_VERSION
    assert card["mgr_utils_version"] == "0.1.0" and card["features_version"]
    assert (card["chapter"], card["system_id"]) == ("04_costa_cnn", "costa_cnn")
    assert card["display_name"] == "Costa et al.'s CNN"
    assert card["classes"] == list(CLASSES)
    assert card["clip_rule"] == "vote" and card["scores"] == "probabilities"
    assert card["test"] == {"accuracy": 0.6, "n_clips": 5, "valid_accuracy": 0.8}
    assert (card["dataset"], card["split"], card["kind"]) == (
        "synthetic",
        "stratified",
        "keras",
    )
    pipe = card["pipeline"]
    assert pipe["feature"] == "mgr_utils.features.inputs.costa_patches"
    assert pipe["params"] == {
        "n_fft": 1024,
        "hop_length": 827,
        "scale": 0.5,
        "width": 16,
        "hop": 16,
        "top_db": 80.0,
    }
    assert pipe["sample_rate"] == SR and pipe["level"] == "segment"
    # 16 columns of 827 / 0.5 samples: the 1.2 s the chapter glues
    assert pipe["segment_seconds"] == pytest.approx(16 * 827 * 2 / SR, rel=1e-6)
    assert pipe["standardized"] and pipe["feature_axes"] == [0]
    assert pipe["input_shape"] == [256, 16, 1]
    for entry in card["files"].values():
        assert saving._sha256(path.with_name(entry["name"])) == entry["sha256"]
    with np.load(path.with_name("costa_cnn.npz")) as z:
        np.testing.assert_array_equal(z["mean"], scaler.mean_)
        np.testing.assert_array_equal(z["std"], scaler.std_)
    no_optimizer = keras.saving.load_model(path.with_suffix(".keras"), compile=False)
    assert getattr(no_optimizer, "optimizer", None) is None
    assert no_optimizer.name == "costa_cnn"


def test_every_custom_layer_is_registered_and_round_trips_its_config():
    import inspect

    from mgr_utils.models import dieleman2014, nakashika

    found = {}
    for module in (dieleman2014, nakashika, *_model_modules()):
        for name, obj in inspect.getmembers(module, inspect.isclass):
            if issubclass(obj, keras.layers.Layer) and obj.__module__.startswith(
                "mgr_utils.models"
            ):
                found[name] = obj
    assert {"LogCompression", "L2FeaturePool", "Subsampling"} <= set(found)
    for name, cls in found.items():
        assert keras.saving.get_registered_object(f"mgr_utils>{name}") is cls, name
        layer = cls(name="x")
        again = cls.from_config(layer.get_config())
        assert again.get_config() == layer.get_config(), name


def _model_modules():
    import importlib
    import pkgutil

    import mgr_utils.models as pkg

    return [
        importlib.import_module(f"mgr_utils.models.{m.name}")
        for m in pkgutil.iter_modules(pkg.__path__)
    ]


# ------------------------------------------------------------------------------ scikit-learn


def _random_rows(shape, n_per_class=4, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.random((n_per_class * len(CLASSES), *shape))
    y = np.repeat(np.arange(len(CLASSES)), n_per_class)
    return X + y.reshape(-1, *[1] * len(shape)) * 0.1, y


def test_the_descriptor_svm_saves_with_joblib_and_classifies_windows(
    clip_file, tmp_path
):
    X, y_train = _random_rows((61,))
    svm = SVMClassifier(C_grid=(1.0,), gamma_grid=("scale",), cv=2).fit(X, y_train)
    pipe = saving.pipeline(features.descriptors, {}, window_seconds=3.0)
    assert pipe.level == "clip" and pipe.segment_seconds is None
    saving.save_system(
        svm,
        "03_texture_features",
        "descriptor_svm",
        pipe,
        classes=CLASSES,
        dataset="folder",
        metrics={"accuracy": 0.7, "n_clips": 12},
        models_dir=tmp_path,
    )
    assert (tmp_path / "folder" / "descriptor_svm.joblib").is_file()
    card = json.loads((tmp_path / "folder" / "descriptor_svm.json").read_text())
    assert card["kind"] == "sklearn" and card["clip_rule"] is None
    assert card["pipeline"]["window_seconds"] == 3.0

    loaded = saving.load_system("folder/descriptor_svm", models_dir=tmp_path)
    y = load_audio(clip_file)
    got = loaded.classify(y)
    whole = svm.predict_proba(features.descriptors(y, SR)[None])[0]
    np.testing.assert_allclose(got["scores"], whole, rtol=1e-12)
    n = int(3.0 * SR)
    windows = [
        svm.predict_proba(features.descriptors(y[k : k + n], SR)[None])[0]
        for k in (0, n)
    ]
    np.testing.assert_allclose(got["segment_scores"], windows, rtol=1e-12)
    np.testing.assert_array_equal(got["starts"], [0.0, 3.0])


def test_the_lbp_zone_svms_save_with_their_fusion_rule(clip_file, tmp_path):
    X, y_train = _random_rows((3, 59))
    ensemble = LBPZoneSVM(rule="max", C_grid=(1.0,), gamma_grid=("scale",), cv=2)
    ensemble.fit(X, y_train)
    params = {"n_zones": 3, "lbp_P": 8, "lbp_R": 2, "glcm_levels": 16}
    saving.save_system(
        ensemble,
        "03_texture_features",
        "lbp_zone_svm",
        saving.pipeline(features.texture_features, params, key="lbp"),
        classes=CLASSES,
        dataset="folder",
        metrics={"accuracy": 0.7, "n_clips": 12},
        models_dir=tmp_path,
    )
    loaded = saving.load_system("lbp_zone_svm", models_dir=tmp_path)
    assert loaded.model.rule == "max"
    y = load_audio(clip_file)
    H = features.texture_features(y, SR, **params)["lbp"]
    np.testing.assert_allclose(
        loaded.classify(y)["scores"], ensemble.predict_proba(H[None])[0], rtol=1e-12
    )


def test_the_musicnn_probe_saves_with_the_layer_it_reads(clip_file, tmp_path):
    from mgr_utils import transfer
    from mgr_utils.datasets import Clip

    _need_musicnn()
    params = {"model": "MSD_musicnn", "layers": ["penultimate"]}
    X, y_train = _random_rows((400,), n_per_class=3)
    probe = transfer.fit_linear_probe(X, y_train, X, y_train, C_grid=(0.1, 1.0))
    saving.save_system(
        probe,
        "11_transfer_learning",
        "musicnn_msd_linear_svm",
        saving.pipeline(features.musicnn_embedding, params),
        classes=CLASSES,
        dataset="folder",
        metrics={"accuracy": 0.9, "n_clips": 9},
        models_dir=tmp_path,
    )
    card = json.loads((tmp_path / "folder" / "musicnn_msd_linear_svm.json").read_text())
    assert card["scores"] == "softmax of decision values"
    assert card["pipeline"]["params"] == {
        **params,
        "stats": ["mean", "max"],
        "batch_size": 64,
    }

    # the chapter's path for a clip: cached per-patch outputs, then the clip's embedding
    clip = Clip("clip", "blues", path=clip_file)
    emb = transfer.musicnn_embeddings([clip], use_cache=False)
    e = transfer.clip_embedding(emb.patches[0], ("penultimate",))
    D = probe.decision_function(e[None])
    expected = np.exp(D - D.max()) / np.exp(D - D.max()).sum()

    loaded = saving.load_system("musicnn_msd_linear_svm", models_dir=tmp_path)
    got = loaded.classify(load_audio(clip_file))
    # the same patches through the same network, batched alike: float32 roundings only
    np.testing.assert_allclose(got["scores"], expected[0], rtol=1e-5, atol=1e-6)


def _need_musicnn():
    from mgr_utils.models import musicnn as mn

    try:
        return mn.musicnn_checkpoint("MSD_musicnn")
    except FileNotFoundError as err:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"{err}; CI must install it (Makefile set-up)", pytrace=False)
        pytest.skip(str(err))


# ------------------------------------------------------------------- pipeline and geometry


def test_segment_geometry_follows_each_feature_function():
    g = saving.segment_geometry
    assert g(raw_audio.waveform_segments, {"n_samples": 22050, "hop": 11025}) == (
        1.0,
        0.5,
    )
    assert g(raw_audio.li_mfcc_excerpts, {}) == pytest.approx((190 * 256 / SR,) * 2)
    assert g(linear_stft.choi_stft_excerpts, {"hop_seconds": 2.0}) == (4.0, 2.0)
    assert g(features.stft_segments, {}) == pytest.approx(
        (129 * 512 / SR, 64 * 512 / SR)
    )
    assert g(features.texture_features, {}, key="glcm") == pytest.approx(
        (4.0, 2.0), abs=1e-3
    )
    assert g(features.texture_features, {}, key="lbp") is None
    assert g(echonest.echonest_windows, {"frames": 64, "hop": 32}) == pytest.approx(
        (64 * 1024 / SR, 32 * 1024 / SR)
    )
    assert g(features.musicnn_input, {}) == pytest.approx((187 * 256 / 16000,) * 2)
    assert g(features.descriptors, {}) is None
    # the count of segments the functions cut agrees with the geometry
    y = np.zeros(5 * SR, np.float32)
    seg, hop = g(raw_audio.waveform_segments, {"n_samples": 22050, "hop": 11025})
    n = len(raw_audio.waveform_segments(y, SR, n_samples=22050, hop=11025))
    assert n == 1 + int((5.0 - seg) / hop)


def test_pipeline_refuses_what_a_card_cannot_hold():
    with pytest.raises(ValueError, match="mgr_utils.features"):
        saving.pipeline(np.mean, {})
    with pytest.raises(ValueError, match="do not fit"):
        saving.pipeline(features.costa_patches, {"no_such_parameter": 1})
    with pytest.raises(ValueError, match="cannot be written to a card"):
        saving.pipeline(features.costa_patches, {"scale": object()})
    with pytest.raises(ValueError, match="describes a whole clip"):
        saving.pipeline(features.descriptors, {}, level="segment")
    with pytest.raises(ValueError, match="not been fitted"):
        saving.pipeline(features.costa_patches, {}, scaler=Standardizer())
    p = saving.pipeline(features.glcm_maps_per_segment, {"angles": (0.0, 1.5)})
    assert p.params["angles"] == [0.0, 1.5]  # tuples become JSON lists
    assert p.params["levels"] == 16, "the defaults are written down too"


def test_save_checks_the_inputs_fit_the_network_and_the_rule(tmp_path):
    net = models.costa_cnn((256, 16, 1), 3, filters=2, dense_units=4, seed=0)
    args = {"classes": CLASSES, "dataset": "folder", "models_dir": tmp_path}
    args["metrics"] = {"accuracy": 0.5, "n_clips": 4}
    wrong = saving.pipeline(features.costa_patches, {"width": 8})
    with pytest.raises(ValueError, match=r"shape \(256, 8, 1\).*reads \(256, 16, 1\)"):
        saving.save_system(net, "04_costa_cnn", "costa_cnn", wrong, rule="sum", **args)
    right = saving.pipeline(features.costa_patches, {})
    with pytest.raises(ValueError, match="segment-to-clip rule"):
        saving.save_system(net, "04_costa_cnn", "costa_cnn", right, **args)
    with pytest.raises(ValueError, match="file name"):
        saving.save_system(net, "04", "../costa", right, rule="sum", **args)
    with pytest.raises(ValueError, match="'accuracy'"):
        saving.save_system(
            net, "04", "costa_cnn", right, rule="sum", **{**args, "metrics": {}}
        )
    X, y_train = _random_rows((61,))
    svm = SVMClassifier(C_grid=(1.0,), gamma_grid=("scale",), cv=2).fit(X, y_train)
    lbp = saving.pipeline(features.texture_features, {}, key="lbp")
    with pytest.raises(ValueError, match="do not fit the model"):
        saving.save_system(svm, "03", "svm", lbp, **args)
    descriptors = saving.pipeline(features.descriptors, {})
    with pytest.raises(ValueError, match="do not index the card's 2 classes"):
        saving.save_system(
            svm, "03", "svm", descriptors, **{**args, "classes": CLASSES[:2]}
        )
    assert not (tmp_path / "folder").exists() or not list(
        (tmp_path / "folder").iterdir()
    )


# ------------------------------------------------------------------ atomic writes, errors


@pytest.fixture
def saved(tmp_path):
    """A tiny Keras system saved in ``tmp_path`` (its card path)."""
    net = models.li_cnn((190, 13), 3, maps=(2, 3, 4), seed=0)
    return saving.save_system(
        net,
        "07_raw_audio",
        "li2010_mfcc_cnn",
        saving.pipeline(raw_audio.li_mfcc_excerpts, {}),
        classes=CLASSES,
        dataset="folder",
        metrics={"accuracy": 0.5, "n_clips": 4},
        rule="vote",
        models_dir=tmp_path,
    )


def _resave(card_path, seed):
    net = models.li_cnn((190, 13), 3, maps=(2, 3, 4), seed=seed)
    return saving.save_system(
        net,
        "07_raw_audio",
        "li2010_mfcc_cnn",
        saving.pipeline(raw_audio.li_mfcc_excerpts, {}),
        classes=CLASSES,
        dataset="folder",
        metrics={"accuracy": 0.5, "n_clips": 4},
        rule="vote",
        models_dir=card_path.parent.parent,
    )


def test_an_interrupted_save_is_detected_never_loaded(saved, monkeypatch):
    before = saving.load_system("li2010_mfcc_cnn", models_dir=saved.parent.parent)
    real = os.replace

    def crash_on_model(src, dst):
        if str(dst).endswith(".keras"):
            raise KeyboardInterrupt("killed while renaming the model")
        return real(src, dst)

    monkeypatch.setattr(saving.os, "replace", crash_on_model)
    with pytest.raises(KeyboardInterrupt):
        _resave(saved, seed=1)
    monkeypatch.setattr(saving.os, "replace", real)
    assert sorted(p.name for p in saved.parent.iterdir()) == [
        "li2010_mfcc_cnn.json",
        "li2010_mfcc_cnn.keras",
    ], "no temporary file is left behind"
    with pytest.raises(
        saving.DamagedSystemError, match="not the one it was saved with"
    ):
        saving.load_system("li2010_mfcc_cnn", models_dir=saved.parent.parent)
    # saving again repairs it
    _resave(saved, seed=1)
    after = saving.load_system("li2010_mfcc_cnn", models_dir=saved.parent.parent)
    assert not np.array_equal(
        before.model.get_weights()[0], after.model.get_weights()[0]
    )


def test_a_save_that_fails_before_the_card_leaves_the_old_system(saved, monkeypatch):
    def fail(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(saving, "_save_model_file", fail)
    with pytest.raises(OSError, match="disk full"):
        _resave(saved, seed=2)
    assert len(list(saved.parent.iterdir())) == 2
    saving.load_system("li2010_mfcc_cnn", models_dir=saved.parent.parent)  # still fine


def test_a_first_save_interrupted_leaves_no_model_without_its_card(
    tmp_path, monkeypatch
):
    real = os.replace

    def crash_on_model(src, dst):
        if str(dst).endswith(".keras"):
            raise KeyboardInterrupt
        return real(src, dst)

    monkeypatch.setattr(saving.os, "replace", crash_on_model)
    with pytest.raises(KeyboardInterrupt):
        _resave(tmp_path / "folder" / "li2010_mfcc_cnn.json", seed=0)
    monkeypatch.setattr(saving.os, "replace", real)
    assert [p.name for p in (tmp_path / "folder").iterdir()] == ["li2010_mfcc_cnn.json"]
    with pytest.raises(
        saving.DamagedSystemError, match="li2010_mfcc_cnn.keras is missing"
    ):
        saving.load_system("li2010_mfcc_cnn", models_dir=tmp_path)


def test_errors_say_what_happened_and_what_to_do(saved, tmp_path):
    models_dir = saved.parent.parent
    with pytest.raises(saving.NoSavedSystemsError, match="make book"):
        saving.load_system("li2010_mfcc_cnn", models_dir=tmp_path / "empty")
    with pytest.raises(saving.UnknownSystemError, match="folder/li2010_mfcc_cnn"):
        saving.load_system("costa_cnn", models_dir=models_dir)
    with pytest.raises(
        saving.UnknownSystemError, match="dataset 'gtzan'.*folder/li2010"
    ):
        saving.load_system("li2010_mfcc_cnn", dataset="gtzan", models_dir=models_dir)

    card = json.loads(saved.read_text())
    saved.write_text(json.dumps({**card, "mgr_utils_version": "0.0.1"}))
    with pytest.raises(saving.VersionMismatchError, match=r"mgr_utils 0\.0\.1.*re-run"):
        saving.load_system("li2010_mfcc_cnn", models_dir=models_dir)
    saved.write_text(json.dumps({**card, "format_version": 99}))
    with pytest.raises(saving.VersionMismatchError, match="card format 99"):
        saving.load_system("li2010_mfcc_cnn", models_dir=models_dir)
    pipe = {**card["pipeline"], "feature": "os.system"}
    saved.write_text(json.dumps({**card, "pipeline": pipe}))
    with pytest.raises(ValueError, match="only name a function of mgr_utils.features"):
        saving.load_system("li2010_mfcc_cnn", models_dir=models_dir)

    saved.unlink()
    listing = saving.list_systems(models_dir)
    assert not listing.cards and [o[1] for o in listing.orphans] == ["li2010_mfcc_cnn"]
    with pytest.raises(saving.CardMissingError, match="has no card.*re-run"):
        saving.load_system("li2010_mfcc_cnn", models_dir=models_dir)


def test_models_dir_and_the_build_logs(saved, monkeypatch):
    models_dir = saved.parent.parent
    monkeypatch.setenv("MGR_MODELS_DIR", str(models_dir))
    assert saving.default_models_dir() == models_dir
    monkeypatch.delenv("MGR_MODELS_DIR")
    assert saving.default_models_dir() == saving.Path("models")
    assert saved.resolve() in saving.WRITE_LOG
    monkeypatch.setattr(saving, "READ_LOG", [])
    saving.load_system("li2010_mfcc_cnn", models_dir=models_dir)
    assert saved.resolve() in saving.READ_LOG
    assert (models_dir / "folder").resolve() in saving.READ_LOG  # the folder it listed


# ------------------------------------------------------------------ many clips at once


def test_classify_many_gives_each_clips_scores_in_one_call(saved, monkeypatch):
    loaded = saving.load_system("li2010_mfcc_cnn", models_dir=saved.parent.parent)
    ys = [tone_clip(seconds, seed=k) for k, seconds in enumerate((4.0, 6.0, 5.0))]
    one_by_one = np.stack([loaded.classify(y)["scores"] for y in ys])
    calls = []
    real = saving.class_scores
    monkeypatch.setattr(
        saving, "class_scores", lambda *a, **k: calls.append(len(a[1])) or real(*a, **k)
    )
    many = loaded.classify_many(ys)
    np.testing.assert_allclose(many, one_by_one, atol=ATOL)
    segments = [len(loaded.pipeline.features(y)) for y in ys]
    assert calls == [sum(segments)], "all clips' segments in one model call"
    assert loaded.rule == "vote"  # the clip rule is applied per clip, not over all
    assert loaded.classify_many([]).shape == (0, len(CLASSES))
    with pytest.raises(saving.TooShortError, match="clip 1"):
        loaded.classify_many([ys[0], ys[0][: SR // 2]])


def test_classify_many_of_a_clip_level_system_in_worker_processes(tmp_path):
    X, y_train = _random_rows((61,))
    svm = SVMClassifier(C_grid=(1.0,), gamma_grid=("scale",), cv=2).fit(X, y_train)
    saving.save_system(
        svm,
        "03_texture_features",
        "descriptor_svm",
        saving.pipeline(features.descriptors, {}),
        classes=CLASSES,
        dataset="folder",
        metrics={"accuracy": 0.7, "n_clips": 12},
        models_dir=tmp_path,
    )
    loaded = saving.load_system("folder/descriptor_svm", models_dir=tmp_path)
    ys = [tone_clip(3.0, seed=k) for k in range(3)]
    one_by_one = np.stack([loaded.classify(y)["scores"] for y in ys])
    np.testing.assert_allclose(loaded.classify_many(ys), one_by_one, rtol=1e-12)
    np.testing.assert_allclose(
        loaded.classify_many(ys, n_jobs=2), one_by_one, rtol=1e-12
    )
    assert saving._workers(-1, 3) >= 1 and saving._workers(2, 1) == 1
    assert saving._workers(1, 10) == 1 and saving._workers(4, 3) == 3
