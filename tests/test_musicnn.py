"""musicnn in Keras 3 (chapter 11): its input, the port against the ORIGINAL graph, the published tags.

Two known answers, both offline:

* the package's two example clips (``../shared/data/musicnn/``) give the tags its README and
  example notebook publish;
* the Keras port matches the original TensorFlow 1 graph (the checkpoint's ``.meta``, run in graph
  mode in a subprocess by ``tests/musicnn_reference.py``) on the same patches.

They need the ``musicnn`` package's checkpoint files (``pip install --no-deps musicnn==0.1.0``):
skipped without it on a developer's machine, a failure under ``CI=true`` (the Makefile's set-up
installs it).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import pytest

from conftest import need_shared_data
from mgr_utils.features.musicnn_input import (
    MUSICNN_FRAMES,
    MUSICNN_N_MELS,
    musicnn_input,
    musicnn_logmel,
    musicnn_patches,
)

keras = pytest.importorskip("keras")

from mgr_utils.models import musicnn as mn  # noqa: E402

JORAM = "joram-moments_of_clarity-08-solipsism-59-88.mp3"
MSD_CLIP = "TRWJAZW128F42760DD_test.mp3"
REFERENCE = Path(__file__).with_name("musicnn_reference.py")


def need_musicnn(name: str = "MSD_musicnn") -> Path:
    """The checkpoint folder; skipped without the package, a failure under ``CI=true``."""
    try:
        return mn.musicnn_checkpoint(name)
    except FileNotFoundError as err:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"{err}; CI must install it (Makefile set-up)", pytrace=False)
        pytest.skip(str(err))


def _clip(name: str):
    import librosa

    path = need_shared_data() / "musicnn" / name
    y, sr = librosa.load(path, sr=None)  # MP3 through libsndfile >= 1.1 (or audioread)
    return y, sr


@pytest.fixture(scope="module")
def mtt():
    need_musicnn("MTT_musicnn")
    return mn.pretrained_musicnn("MTT_musicnn")


@pytest.fixture(scope="module")
def msd():
    need_musicnn("MSD_musicnn")
    return mn.pretrained_musicnn("MSD_musicnn")


def _top(model, P, tags, n):
    taggram = np.asarray(model(P, training=False)["tags"])
    return [tags[i] for i in np.argsort(-taggram.mean(axis=0), kind="stable")[:n]]


# ------------------------------------------------------------------------------- the input


def test_input_geometry_and_compression():
    sr = 22050
    t = np.arange(int(10.0 * sr)) / sr
    y = (0.5 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    S = musicnn_logmel(y, sr)
    assert S.shape == (
        1 + 160000 // 256,
        MUSICNN_N_MELS,
    )  # resampled to 16 kHz, centred frames
    assert S.dtype == np.float32 and np.isfinite(S).all() and S.min() >= 0
    # log10(1 + 10000 * mel): the 440 Hz band is loud, the top bands near silent
    assert S[:, :20].max() > 3 and S[:, -10:].max() < 1
    P = musicnn_patches(S)
    assert P.shape == (S.shape[0] // MUSICNN_FRAMES, MUSICNN_FRAMES, MUSICNN_N_MELS)
    np.testing.assert_array_equal(P[1], S[MUSICNN_FRAMES : 2 * MUSICNN_FRAMES])
    assert (
        musicnn_patches(S, hop=93).shape[0] == (S.shape[0] - MUSICNN_FRAMES) // 93 + 1
    )
    assert musicnn_patches(S[:100]).shape == (0, MUSICNN_FRAMES, MUSICNN_N_MELS)


def test_input_matches_the_packages_formula():
    """librosa's mel defaults (Slaney, area-normalised), rounded to float16, log10(1 + 10^4 mel)."""
    import librosa

    rng = np.random.default_rng(0)
    y = 0.1 * rng.standard_normal(16000 * 4).astype(np.float32)
    mel = librosa.feature.melspectrogram(
        y=y, sr=16000, n_fft=512, hop_length=256, n_mels=96, pad_mode="reflect"
    ).T
    expected = np.log10(10000 * mel.astype(np.float16).astype(np.float32) + 1)
    np.testing.assert_allclose(musicnn_logmel(y, 16000), expected, rtol=1e-6)


# ------------------------------------------------------------------------------- the network


def test_layer_table_shapes():
    model = mn.musicnn_model()
    assert model.count_params() == 792_079  # MSD_musicnn's 50 tags (Adam slots aside)
    out = model(
        np.zeros((2, MUSICNN_FRAMES, MUSICNN_N_MELS), np.float32), training=False
    )
    shapes = {k: tuple(v.shape) for k, v in out.items()}
    assert shapes == {
        "tags": (2, 50),
        "penultimate": (2, 200),
        "mean_pool": (2, 753),
        "max_pool": (2, 753),
        "timbral": (2, 187, 408),
        "temporal": (2, 187, 153),
    }
    assert mn.musicnn_model(n_frames=None)(np.zeros((1, 300, 96), np.float32))[
        "tags"
    ].shape == (1, 50)


def test_weights_load_by_name_and_shape(msd):
    folder = need_musicnn("MSD_musicnn")
    values = mn.checkpoint_variables(folder)
    np.testing.assert_array_equal(
        msd.get_layer("timbral_74").get_weights()[0], values["conv2d/kernel"]
    )
    np.testing.assert_array_equal(
        msd.get_layer("midend_1").get_weights()[0],
        values["conv2d_5/kernel"].reshape(7, 561, 64),
    )
    np.testing.assert_array_equal(
        msd.get_layer("penultimate_bn").get_weights()[3],
        values["batch_normalization_10/moving_variance"],
    )
    wrong = mn.musicnn_model(filters_midend=32)
    with pytest.raises(ValueError, match="shape"):
        mn.load_musicnn_weights(wrong, folder)


def test_unknown_model_name():
    with pytest.raises(ValueError, match="unknown musicnn model"):
        mn.pretrained_musicnn("MSD_vgg")


# ------------------------------------------------------------------------------- known answers


def test_published_tags_of_the_mtt_example(mtt):
    """README / tagging_example.ipynb: top_tags(joram..., model='MTT_musicnn', topN=10)."""
    y, sr = _clip(JORAM)
    assert sr == 16000  # the clip is already at musicnn's rate: nothing is resampled
    P = musicnn_input(y, sr)
    assert P.shape == (9, 187, 96)  # 29.1 s: nine whole 3 s patches
    assert _top(mtt, P, mn.MTT_TAGS, 10) == [
        "techno",
        "electronic",
        "synth",
        "fast",
        "beat",
        "drums",
        "no vocals",
        "no vocal",
        "dance",
        "ambient",
    ]


def test_published_tags_of_the_msd_preview(mtt):
    """README: top_tags('TRWJAZW128F42760DD_test.mp3') with the default MTT_musicnn, topN=3."""
    y, sr = _clip(MSD_CLIP)
    assert _top(mtt, musicnn_input(y, sr), mn.MTT_TAGS, 3) == [
        "guitar",
        "piano",
        "fast",
    ]


@pytest.mark.parametrize(
    "model_name, clip", [("MTT_musicnn", JORAM), ("MSD_musicnn", MSD_CLIP)]
)
def test_keras_port_matches_the_original_graph(model_name, clip, tmp_path, request):
    """The original TF1 graph (``.meta`` + checkpoint, graph mode, a subprocess) on the same patches."""
    need_musicnn(model_name)
    y, sr = _clip(clip)
    P = musicnn_input(y, sr)
    np.save(tmp_path / "patches.npy", P)
    proc = subprocess.run(
        [
            sys.executable,
            str(REFERENCE),
            model_name,
            str(tmp_path / "patches.npy"),
            str(tmp_path / "reference.npz"),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    ref = np.load(tmp_path / "reference.npz")
    model = request.getfixturevalue("mtt" if model_name.startswith("MTT") else "msd")
    ours = {k: np.asarray(v) for k, v in model(P, training=False).items()}
    ours["frontend"] = np.concatenate([ours["timbral"], ours["temporal"]], axis=-1)
    for key in ("tags", "penultimate", "mean_pool", "max_pool", "frontend"):
        assert ours[key].shape == ref[key].shape, key
        assert np.isfinite(ours[key]).all(), key
        scale = max(1.0, float(np.abs(ref[key]).max()))
        diff = float(np.abs(ours[key] - ref[key]).max())
        # float32 convolutions summed in different orders (oneDNN, Eigen): 1e-4 relative to the
        # largest value (max_pool reaches about 90, the tags at most 1)
        assert diff <= 1e-4 * scale, (
            f"{key}: max |Keras - original| = {diff:.3g} (scale {scale:.3g})"
        )


# ------------------------------------------------------------------------------- transfer plumbing


def test_colab_install_cell_of_chapter_11_adds_musicnn_without_dependencies():
    import bookbuild as book
    from bookbuild.colab import NO_DEPS

    source = book.install_source(
        book.read_repository(), NO_DEPS["11_transfer_learning"]
    )
    assert '%pip install --quiet --no-deps "musicnn==0.1.0"' in source
    assert NO_DEPS["12_validity"] == NO_DEPS["11_transfer_learning"]  # runs the probe
    body = source.lower().split("\n", 1)[1]
    assert "tensorflow" not in body and "keras" not in body


def test_clip_embedding_and_label_subset():
    from mgr_utils.transfer import clip_embedding, label_subset

    patches = {
        "penultimate": np.array([[0.0, 1.0], [2.0, -1.0], [4.0, 3.0]], np.float32)
    }
    np.testing.assert_allclose(clip_embedding(patches), [2.0, 1.0, 4.0, 3.0])
    np.testing.assert_allclose(clip_embedding(patches, stats=("max",)), [4.0, 3.0])
    with pytest.raises(ValueError, match="statistic"):
        clip_embedding(patches, stats=("median",))
    labels = np.repeat(np.arange(4), 10)
    small, large = label_subset(labels, 0.1, seed=3), label_subset(labels, 0.5, seed=3)
    assert np.bincount(labels[small]).tolist() == [2, 2, 2, 2]  # at least two per class
    assert np.bincount(labels[large]).tolist() == [5, 5, 5, 5]
    assert set(small) <= set(large)  # nested for one seed
    assert len(label_subset(labels, 1.0)) == 40


def test_linear_probe_chooses_C_on_validation():
    from mgr_utils.transfer import fit_linear_probe

    rng = np.random.default_rng(0)
    centres = rng.standard_normal((3, 20)) * 3
    y = np.repeat(np.arange(3), 20)
    X = centres[y] + rng.standard_normal((60, 20))
    probe = fit_linear_probe(X[::2], y[::2], X[1::2], y[1::2], C_grid=(0.001, 1.0))
    assert set(probe.valid_scores) == {0.001, 1.0}
    assert probe.valid_scores[probe.C] == max(probe.valid_scores.values())
    assert (
        np.mean(probe.predict(X[1::2]) == y[1::2]) == probe.valid_scores[probe.C] > 0.9
    )


def test_linear_probe_gives_a_tie_to_the_smaller_C():
    # well-separated classes: every C scores the validation clips perfectly, so the
    # choice is the tie-break, the stronger regularisation (listed in any order)
    from mgr_utils.transfer import fit_linear_probe

    rng = np.random.default_rng(1)
    centres = np.eye(3, 10) * 20
    y = np.repeat(np.arange(3), 10)
    X = centres[y] + rng.standard_normal((30, 10)) * 0.1
    probe = fit_linear_probe(X[::2], y[::2], X[1::2], y[1::2], C_grid=(10.0, 0.1, 1.0))
    assert set(probe.valid_scores.values()) == {1.0}, "a tie between every C"
    assert probe.C == 0.1
    assert probe.model[-1].C == 0.1, "the kept model is the one fitted with it"


def test_zero_shot_maps_genre_tags():
    from mgr_utils import GENRES
    from mgr_utils.transfer import genre_tags, zero_shot

    probs = np.zeros((2, len(mn.MSD_TAGS)))
    probs[0, mn.MSD_TAGS.index("Hip-Hop")] = 0.9
    probs[1, mn.MSD_TAGS.index("jazz")] = 0.4
    probs[1, mn.MSD_TAGS.index("House")] = 0.99  # not a class's tag: ignored
    pred, names = zero_shot(probs, mn.MSD_TAGS, GENRES)
    assert [GENRES[p] for p in pred] == ["hiphop", "jazz"]
    mapping, missing = genre_tags(GENRES, mn.MSD_TAGS)
    assert names == list(mapping) and mapping["hiphop"] == "Hip-Hop"
    assert missing == ["classical", "disco", "reggae"]
    mtt, missing = genre_tags(GENRES, mn.MTT_TAGS)  # exercise 1's model
    assert list(mtt) == ["classical", "country", "metal", "pop", "rock"]


def test_embeddings_through_the_cache(tmp_path, msd):
    from mgr_utils.datasets import load_synthetic
    from mgr_utils.transfer import EMBEDDING_LAYERS, musicnn_embeddings

    clips = load_synthetic(1, duration=3.5, seed=0, genres=("jazz", "metal"))
    first = musicnn_embeddings(clips, cache_dir=tmp_path)
    assert first.misses == 2 and first.hits == 0 and list(first.kept) == [0, 1]
    for p in first.patches:
        assert {k: v.shape for k, v in p.items()} == {
            "tags": (1, 50),
            "penultimate": (1, 200),
            "mean_pool": (1, 753),
            "max_pool": (1, 753),
        }
        assert set(p) == set(EMBEDDING_LAYERS)
    again = musicnn_embeddings(clips, cache_dir=tmp_path)
    assert again.hits == 2 and again.misses == 0
    np.testing.assert_allclose(
        again.patches[1]["tags"], first.patches[1]["tags"], rtol=1e-6
    )
    # the same patches through the Keras model directly (other batch: float tolerance)
    from mgr_utils.features.musicnn_input import musicnn_input

    direct = np.asarray(
        msd(musicnn_input(clips[1].load(), clips[1].sr), training=False)["penultimate"]
    )
    np.testing.assert_allclose(first.patches[1]["penultimate"], direct, atol=1e-4)


def test_chapter_11_is_in_chapter_10s_records():
    from mgr_utils import report, results

    assert "transfer" in results.FAMILIES and "transfer" in report.FAMILY_ORDER
    assert "11_transfer_learning" in report.SYSTEM_CHAPTERS
    assert (
        report.anchor_of("11_transfer_learning", "musicnn_msd_linear_svm")
        == "papers-musicnn"
    )


def test_best_from_scratch_reads_validation_not_test(tmp_path):
    from mgr_utils.results import record_result, record_run, start_run
    from mgr_utils.transfer import best_from_scratch

    def put(
        chapter, name, valid, test, family="spectrogram CNN", protocol="p", **params
    ):
        metrics = {"accuracy": test, "n_clips": 10, "valid_accuracy": valid}
        record_result(
            chapter,
            name,
            metrics,
            dataset="synthetic",
            split="stratified",
            protocol=protocol,
            selected_on="validation",
            family=family,
            params={"SEED": 0, **params},
            results_dir=tmp_path,
        )

    start_run()
    assert best_from_scratch(tmp_path, dataset="synthetic") is None
    put("04_costa_cnn", "costa_cnn", 0.6, 0.9)
    put(
        "04_costa_cnn",
        "costa_cnn_x_lbp_product",
        0.9,
        0.9,
        protocol="CNN fused with SVMs",
    )
    put("06_zhang_cnn", "zhang_cnn_max", 0.7, 0.5)
    put("07_raw_audio", "li2010_mfcc_cnn", 0.8, 0.4, family="raw audio", SEED=1)
    put("03_texture_features", "descriptor_svm", 0.95, 0.95, family="classical")
    for chapter in ("04_costa_cnn", "06_zhang_cnn", "07_raw_audio"):
        record_run(chapter, {}, results_dir=tmp_path, dataset="synthetic")
    start_run()  # chapter 11 reads the complete records of chapters 4-7
    chapter, name, result = best_from_scratch(
        tmp_path, dataset="synthetic", params={"SEED": 0}
    )
    assert (chapter, name, result["accuracy"]) == ("06_zhang_cnn", "zhang_cnn_max", 0.5)
    assert best_from_scratch(tmp_path, dataset="gtzan") is None
