"""Chapters 4-6's helpers that run networks: Costa's late fusion and full-run estimate,
the saved system's check, and the sentences about trainings."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from mgr_utils import readings, saving  # noqa: E402
from mgr_utils.cache import extract  # noqa: E402
from mgr_utils.datasets import load_synthetic  # noqa: E402
from mgr_utils.features import (  # noqa: E402
    COSTA_HOP_LENGTH,
    costa_patches,
    stft_segments,
)
from mgr_utils.models import costa, zhang_cnn  # noqa: E402
from mgr_utils.training import predict_clips, segments_dataset  # noqa: E402

SR = 22050


def _run(best, ran, stopped="early stopping"):
    return SimpleNamespace(best_epoch=best, epochs_run=ran, stopped_by=stopped)


@pytest.fixture(scope="module")
def clips():
    return load_synthetic(n_per_genre=2, duration=2.0, genres=("blues", "metal"))


def test_duration_text_picks_a_unit_a_reader_takes_in():
    assert readings.duration_text(45) == "45 s"
    assert readings.duration_text(138) == "2.3 min"
    assert readings.duration_text(3.1 * 3600) == "3.1 h"
    assert readings.duration_text(3 * 86400) == "3.0 days"
    with pytest.raises(ValueError):
        readings.duration_text(-1)


def test_full_run_estimate_counts_the_full_runs_patches():
    est = costa.full_run_estimate(100.0)
    # A 30 s clip: 1 + 661,500 // 827 = 800 frames, 400 columns after the downscale,
    # 1 + (400 - 16) // 8 = 49 patches 8 columns apart; 443 clips.
    assert est["patches_per_epoch"] == 49 * 443
    assert est["epoch_seconds"] == pytest.approx(49 * 443 / 100)
    assert est["seconds"] == pytest.approx(80 * 49 * 443 / 100)
    assert est["text"] == "4.8 h (80 epochs of 3.6 min)"
    fewer = costa.full_run_estimate(100.0, train_clips=10, epochs=2, clip_seconds=10.0)
    assert fewer["patches_per_epoch"] == 10 * (1 + (134 - 16) // 8)
    with pytest.raises(ValueError, match="positive"):
        costa.full_run_estimate(0.0)


def test_late_fusion_multiplies_the_cnns_clip_probabilities_with_the_svms(
    clips, tmp_path
):
    sides = {"train": clips.subset([0, 2]), "valid": clips, "test": clips}
    data, _ = segments_dataset(
        sides,
        costa_patches,
        {},
        feature_axes=(0,),
        cache_dir=tmp_path,
        n_jobs=1,
        progress=False,
    )
    tex = {
        name: extract(
            side,
            lambda_free_texture,
            {},
            cache_dir=tmp_path,
            n_jobs=1,
            progress=False,
        )
        for name, side in sides.items()
    }
    net = costa.costa_cnn(data["train"].X.shape[1:], 10, filters=2, dense_units=4)

    class FixedSVM:  # one clip probability row per LBP input, known in advance
        def predict_proba(self, X):
            P = np.full((len(X), 10), 0.01)
            P[:, 6] = 0.91  # "metal" everywhere
            return P

    out = costa.late_fusion(net, data, sides, tex, FixedSVM())
    kept, P_cnn = predict_clips(net, data["test"].X, data["test"].clip_index, "sum")
    P_svm = FixedSVM().predict_proba(np.zeros((len(kept), 1)))
    expected = (P_cnn * P_svm).argmax(axis=1)
    assert out["fused"]["y_pred"] == expected.tolist()
    assert out["lbp"]["y_pred"] == [6] * len(clips)
    assert out["lbp"]["clip_ids"] == list(clips.ids)
    assert out["lbp"]["accuracy"] == 0.5  # the two metal clips of four
    assert out["fused"]["valid_accuracy"] == out["fused"]["accuracy"]  # same clips
    assert "train_accuracy" in out["fused"] and "train_accuracy" not in out["lbp"]
    X, y, ids = costa.lbp_inputs(tex["train"], sides["train"])
    assert X.shape[0] == 2 and y.tolist() == [0, 6]
    assert ids == ["blues.00000", "metal.00000"]


def lambda_free_texture(y, sr):
    """A stand-in for texture_features with an "lbp" entry (module level: picklable)."""
    return {"lbp": np.full((3, 4), float(np.abs(y).mean()), dtype=np.float32)}


def test_a_saved_system_is_checked_against_the_chapters_own_scores(clips, tmp_path):
    params = {"seconds": 1.0, "overlap": 0.5}
    data, scaler = segments_dataset(
        {"train": clips, "test": clips},
        stft_segments,
        params,
        feature_axes=(1,),
        cache_dir=tmp_path / "cache",
        n_jobs=1,
        progress=False,
    )
    net = zhang_cnn(
        data["test"].X.shape[1:], 10, filters=(4, 4), dense_units=(4,), seed=0
    )
    args = dict(
        classes=clips.classes,
        dataset="synthetic",
        metrics={"accuracy": 0.5, "n_clips": 4},
        rule="product",
        models_dir=tmp_path,
    )
    card = saving.save_system(
        net,
        "06_zhang_cnn",
        "zhang_cnn_max_avg_shortcuts",
        saving.pipeline(stft_segments, params, scaler=scaler),
        **args,
    )
    diff = saving.verify_saved_system(card, net, data["test"], "product")
    assert diff < 1e-4  # float32 network, the same inputs rebuilt from the audio
    # The same network saved with another segment length answers otherwise.
    wrong = saving.save_system(
        net,
        "06_zhang_cnn",
        "zhang_cnn_max",
        saving.pipeline(stft_segments, {**params, "overlap": 0.0}, scaler=scaler),
        **args,
    )
    with pytest.raises(saving.SavedSystemError, match="not the one the chapter used"):
        saving.verify_saved_system(wrong, net, data["test"], "product")


def test_fit_sentence_tells_over_fitting_from_not_fitting():
    over = readings.fit_sentence("The network", 1.0, 0.693)
    assert over.startswith(
        "The network reaches 100.0 % on its training clips and 69.3 % on the test clips"
    )
    assert "**over-fits**" in over
    under = readings.fit_sentence("The network", 0.45, 0.40)
    assert "does not fit even" in under and "over-fits" not in under
    # A large gap below a fitted training side is not called over-fitting.
    short = readings.fit_sentence("The network", 0.636, 0.286)
    assert "does not fit even" in short and "over-fits" not in short
    fine = readings.fit_sentence("The network", 0.95, 0.9)
    assert "no sign of over-fitting" in fine


def _c(a, b, verdict, test="exact McNemar"):
    return {"a": a, "b": b, "verdict": verdict, "test": test}


def test_integration_reading_groups_the_single_maps_by_verdict():
    s, z, n = "stacked", "zero", "ninety"
    both = {"0°": _c(s, z, f"{s} ahead"), "90°": _c(s, n, f"{s} ahead")}
    assert readings.integration_reading(both) == (
        "Here the stacked maps are ahead of the 0° map alone and the 90° map alone "
        "(paired tests on the same test clips)."
    )
    mixed = {"0°": _c(s, z, "cannot tell apart"), "90°": _c(s, n, f"{s} ahead")}
    assert readings.integration_reading(mixed) == (
        "Here the stacked maps are ahead of the 90° map alone and cannot be told apart "
        "from the 0° map alone (paired tests on the same test clips)."
    )
    behind = {"0°": _c(s, z, f"{z} ahead"), "90°": _c(s, n, "x", "not compared")}
    text = readings.integration_reading(behind)
    assert "are behind the 0° map alone" in text
    assert "are not compared with the 90° map alone" in text


def test_stopping_summary_says_which_trainings_get_no_verdict():
    runs = {"a": _run(5, 8), "b": _run(8, 11)}
    assert readings.stopping_summary(runs) == (
        "Early stopping ended all 2 trainings, after 8 to 11 epochs: each network "
        "keeps the weights of its best epoch on the validation clips."
    )
    runs["c"] = _run(30, 30, "epoch cap")
    text = readings.stopping_summary(runs, str.upper)
    assert text.startswith(
        "Early stopping did not end 1 of the 3 trainings (C: epoch cap)"
    )
    assert "**no verdict**" in text and text.endswith(
        "early stopping ended the other 2, after 8 to 11 epochs."
    )
    assert COSTA_HOP_LENGTH == 827  # the estimate's geometry above assumes it


def test_paired_floor_texts_also_when_no_difference_can_pass():
    assert readings.paired_floor_texts(readings.paired_test_floor(150)) == {
        "n_test": "150",
        "min_clips": "6",
        "below_clips": "5",
        "p_below": "0.0625",
        "min_points": "4.0",
    }
    few = readings.paired_floor_texts(readings.paired_test_floor(4))
    assert few["min_clips"] == "more than 4" and few["p_below"] == "0.125"
