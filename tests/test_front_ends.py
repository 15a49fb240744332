"""Chapter 7: data-scaling sizes, the scaling record with its paired tests, readings."""

from __future__ import annotations

import numpy as np
import pytest

from mgr_utils import front_ends as fe
from mgr_utils.comparison import mcnemar, not_compared

# ------------------------------------------------------------------------ scale sizes


def test_scale_sizes_follow_the_data():
    counts = {"blues": 12, "jazz": 12, "rock": 13}
    assert fe.scale_sizes(counts) == (3, 6, 12)  # 0.25, 0.5, 1.0 of the fewest (12)
    assert fe.scale_sizes({"a": 6, "b": 6}) == (2, 3, 6)  # round(1.5) = 2 (banker's: 2)
    assert fe.scale_sizes({"a": 2, "b": 5}) == (1, 2)  # duplicates dropped, at least 1
    assert fe.scale_sizes(counts, fractions=(0.5,)) == (6,)


def test_scale_sizes_explicit_and_errors_name_the_parameter():
    counts = {"blues": 6, "jazz": 8}
    assert fe.scale_sizes(counts, sizes=(6, 2)) == (2, 6)
    with pytest.raises(ValueError, match="SCALE_SIZES = None") as err:
        fe.scale_sizes(counts, sizes=(2, 6, 18))
    assert "'blues': 6" in str(err.value) and "'jazz': 8" in str(err.value)
    with pytest.raises(ValueError, match="SCALE_FRACTIONS"):
        fe.scale_sizes(counts, fractions=(0.5, 1.5))
    with pytest.raises(ValueError, match="SCALE_SIZES"):
        fe.scale_sizes(counts, sizes=(0, 2))
    with pytest.raises(ValueError, match="no clips"):
        fe.scale_sizes({"blues": 0})


def test_nested_subsets_are_nested_balanced_and_change_with_the_seed():
    labels = np.repeat([0, 1, 2], 6)
    sets = fe.nested_subsets(labels, (2, 4, 6), seed=0)
    for k, ix in sets.items():
        assert np.bincount(labels[ix], minlength=3).tolist() == [k, k, k]
    assert set(sets[2]) <= set(sets[4]) <= set(sets[6])
    assert sets[6] == list(range(18))
    other = fe.nested_subsets(labels, (2,), seed=1)
    assert other[2] != sets[2]  # another seed, other small set
    assert fe.nested_subsets(labels, (2,), seed=0)[2] == sets[2]
    with pytest.raises(ValueError, match="fewer"):
        fe.nested_subsets(labels, (7,))


# --------------------------------------------------------------------- scaling record


def _run(acc, train=0.9, stop="early stopping", epochs=5):
    return {
        "accuracy": acc,
        "train_accuracy": train,
        "stopped_by": stop,
        "epochs_run": epochs,
    }


def test_scaling_extra_paired_test_per_size_and_trend_by_hand():
    # raw - mel per seed: size 3: -0.10, -0.12, -0.08 (mel ahead, consistent); size 12:
    (+0.01,)  # -0.01, +0.03 (noise)
    runs = {
        "raw": [
            [_run(0.40), _run(0.38), _run(0.42)],
            [_run(0.61), _run(0.59), _run(0.63)],
        ],
        "mel": [
            [_run(0.50), _run(0.50), _run(0.50)],
            [_run(0.60), _run(0.60), _run(0.60)],
        ],
    }
    x = fe.scaling_extra((3, 12), (0, 1, 2), runs, n_test=150, clip_seconds=10.0)
    assert (
        x["clips_per_genre"] == [3, 12]
        and x["seeds"] == [0, 1, 2]
        and x["n_test"] == 150
    )
    assert x["accuracy"]["raw"] == pytest.approx([0.40, 0.61])
    assert x["accuracy"]["mel"] == pytest.approx([0.50, 0.60])
    assert x["per_seed"]["raw"][1] == [0.61, 0.59, 0.63]
    assert x["clip_seconds"] == 10.0
    small, large = x["comparisons"]
    assert small["clips_per_genre"] == 3 and small["verdict"] == "mel ahead"
    # differences -0.10, -0.12, -0.08: mean -0.10, sd 0.02, t = -0.10 / (0.02 / sqrt 3)
    # = -8.66
    assert small["p"] == pytest.approx(0.01307, abs=2e-4)
    assert large["verdict"] == "cannot tell apart"
    t = x["trend"]  # changes +0.11, +0.11, +0.11
    assert t["mean_difference"] == pytest.approx(0.11) and t["p"] is None
    text = fe.scaling_reading(x)
    assert (
        "- **3 clips per genre**: **the mel front end** (mean 50.0 %) ahead of the raw "
        "front end (mean 40.0 %; paired t-test across seeds, p = 0.013, n = 3 seeds)"
    ) in text
    # the trend is the same on every seed: no spread, no t-test, no direction claimed
    assert "gains on the mel front end" not in text and "loses ground" not in text
    assert (
        "no spread" in text and "no trend that these seeds can tell from noise" in text
    )
    assert "Early stopping ended all 12" in text


def test_scaling_extra_refuses_a_size_where_a_network_did_not_learn():
    runs = {
        "raw": [[_run(0.1, train=0.12), _run(0.3), _run(0.3)]],
        "mel": [[_run(0.5), _run(0.5), _run(0.5, stop="epoch cap")]],
    }
    x = fe.scaling_extra((4,), (0, 1, 2), runs, n_test=40)
    c = x["comparisons"][0]
    assert c["test"] == "not compared"
    assert c["reason"].startswith(
        "the raw front end, seed 0, did not learn in this build (training accuracy 12%"
    )
    assert "the mel front end, seed 2, was still learning at the cap" in c["reason"]
    assert x["trend"] is None
    text = fe.scaling_reading(x)
    assert "not compared" in text and "ended 1 of the 6 trainings" in text


def test_scaling_extra_gives_no_verdict_where_one_seed_was_still_learning():
    # every network learned; seed 1 of the raw front end at the smallest size ran to
    # the cap: that size gets no verdict, the trend (which needs both ends) neither
    runs = {
        "raw": [
            [_run(0.40), _run(0.38, stop="epoch cap"), _run(0.42)],
            [_run(0.81), _run(0.79), _run(0.83)],
        ],
        "mel": [
            [_run(0.50), _run(0.50), _run(0.50)],
            [_run(0.60), _run(0.60), _run(0.60)],
        ],
    }
    x = fe.scaling_extra((3, 12), (0, 1, 2), runs, n_test=150)
    small, large = x["comparisons"]
    assert small["test"] == "not compared" and small["verdict"] == "cannot tell apart"
    assert small["reason"] == (
        "the raw front end, seed 1, was still learning at the cap: no verdict (the "
        "epoch cap of 5 epochs, not early stopping, ended its training)"
    )
    assert large["test"] == "paired t-test across seeds"
    assert large["verdict"] == "raw ahead"
    assert x["trend"] is None
    text = fe.scaling_reading(x)
    assert (
        "**3 clips per genre**: the raw front end and the mel front end are not "
        in (text)
    )
    assert "still learning at the cap" in text and "ended 1 of the 12" in text
    fixed = {
        fe_: [[_run(a["accuracy"], stop="fixed epochs") for a in row] for row in rows]
        for fe_, rows in runs.items()
    }
    x = fe.scaling_extra((3, 12), (0, 1, 2), fixed, n_test=150)
    assert all(c["test"] == "not compared" for c in x["comparisons"])


@pytest.mark.parametrize("sign", [1, -1])
def test_scaling_reading_reads_the_direction_of_a_clear_trend(sign):
    # raw - mel grows by about +0.2 (sign 1) or shrinks by 0.2 (sign -1) on every seed,
    # with some spread: a paired t-test on the changes finds it
    mel = [[_run(0.5)] * 3, [_run(0.7)] * 3]
    small = [0.50, 0.52, 0.48]
    large = [0.7 + sign * d for d in (0.20, 0.25, 0.18)]
    raw = [[_run(a) for a in small], [_run(a) for a in large]]
    x = fe.scaling_extra((3, 12), (0, 1, 2), {"raw": raw, "mel": mel}, n_test=150)
    t = x["trend"]
    assert t["p"] < 0.05 and np.sign(t["mean_difference"]) == sign
    text = fe.scaling_reading(x)
    if sign > 0:
        assert "**gains on the mel front end** with more data" in text
        assert "loses ground" not in text
        assert f"changes by {100 * t['mean_difference']:+.1f} points" in text
    else:
        assert "**loses ground to the mel front end** with more data" in text
        assert "gains on" not in text and "the opposite of the direction" in text


# --------------------------------------------------------------------------- readings


def test_front_end_reading_in_all_three_directions():
    y = [0] * 20
    raw = [0] * 20
    mel = [0] * 12 + [1] * 8  # 8 clips right only for raw
    text, short = fe.front_end_reading(mcnemar(y, raw, mel, "raw", "mel"))
    assert text.startswith(
        "**the raw front end** (100.0 %) ahead of the mel front end (60.0 %; 8 vs 0"
    )
    assert "**opposite**" in text
    assert short.startswith("ahead of the mel front end") and "n = 20" in short
    text, short = fe.front_end_reading(mcnemar(y, mel, raw, "raw", "mel"))
    assert text.startswith("**the mel front end** (100.0 %) ahead of the raw front end")
    assert "the paper's order" in text
    near = [0] * 16 + [1] * 4  # 4 vs 0: p = 0.125
    text, short = fe.front_end_reading(mcnemar(y, near, raw, "raw", "mel"))
    assert "cannot tell apart" in text and "p = 0.12" in short
    text, short = fe.front_end_reading(
        not_compared("raw", "mel", "`raw` did not learn")
    )
    assert "not compared" in text and "did not learn" in short


def test_stop_phrase():
    assert (
        fe.stop_phrase(
            {"stopped_by": "early stopping", "epochs_run": 9, "best_epoch": 6}
        )
        == "early stopping ended it after 9 epochs, the best being epoch 6"
    )
    assert fe.stop_phrase(
        {"stopped_by": "epoch cap", "epochs_run": 5, "best_epoch": 5}
    ).endswith("it was still improving; still learning at the cap: no verdict")
    assert fe.stop_phrase(
        {"stopped_by": "epoch cap", "epochs_run": 5, "best_epoch": 3}
    ).endswith("it had turned; still learning at the cap: no verdict")
    assert (
        fe.stop_phrase({"stopped_by": "fixed epochs", "epochs_run": 3, "best_epoch": 3})
        == "it ran a fixed 3 epochs, with no early stopping: no verdict"
    )


def test_li_reading_explains_the_branch_that_ran():
    train = {"accuracy": 0.9, "n_clips": 120, "segment_accuracy": 0.8}
    test = {"accuracy": 0.68, "n_clips": 150, "segment_accuracy": 0.6}
    syn = fe.li_reading(train, test, "synthetic", "stratified")
    assert "90% (95% interval 83%-94%, 120 clips)" in syn
    assert "synthetic caricatures" in syn and "GTZAN" in syn
    gt = fe.li_reading(train, test, "gtzan", "filtered")
    assert "filtered split" in gt and "synthetic" not in gt


def test_passband_by_hand():
    freqs = np.arange(8) * 100.0
    clean = np.array([0, 0, 0.1, 1, 0.6, 0.1, 0, 0])  # 0.6 > 0.501: in the band
    b = fe.passband(clean, freqs)
    assert b == {
        "peak_hz": 300.0,
        "low_hz": 300.0,
        "high_hz": 400.0,
        "share": pytest.approx(1.36 / 1.38),
    }
    assert "mostly that band passes" in fe.describe_band("low", b)
    broad = np.array([0.45, 0.45, 0.45, 1, 0.45, 0.45, 0.45, 0.45])
    b = fe.passband(broad, freqs)
    assert b["low_hz"] == b["high_hz"] == 300.0
    assert b["share"] == pytest.approx(1 / (1 + 7 * 0.2025))
    assert "a mixture, not one band" in fe.describe_band("middle", b)


def test_filters_reading_counts_and_sharpness():
    hz = np.array([100.0, 500, 900, 2000])
    hz0 = np.array([3000.0, 5000, 7000, 9000])
    mel = np.array([200.0, 600, 1500, 4000])
    flat = np.ones((4, 9))
    peaky = flat * 0.01
    peaky[:, 4] = 1.0  # 40 dB above the median
    text, short = fe.filters_reading(hz, hz0, mel, peaky, flat)
    assert (
        "**3** peak below 1 kHz, against 2 of the 4 mel centres and 0 of the filters"
        in text
    )
    assert "clean band-pass filters" in short and "highest at 2,000 Hz" in short
    text, short = fe.filters_reading(hz, hz0, mel, flat, flat)
    assert "barely sharper" in text


# ---------------------------------------------------------------------------- restart


def test_restart_trains_like_a_fresh_network():
    from mgr_utils.models import dieleman2014
    from mgr_utils.training import train

    rng = np.random.default_rng(0)
    X = rng.standard_normal((48, 16 * 64, 1)).astype("float32")
    y = rng.integers(0, 3, 48)

    def build(seed):
        return dieleman2014.dieleman_cnn(
            (16 * 64, 1),
            "raw",
            n_classes=3,
            n_filters=4,
            filter_length=16,
            stride=16,
            filters=(4,),
            kernel_size=4,
            dense_units=8,
            seed=seed,
        )

    def fit(net, compile=True):
        return train(
            net,
            X,
            y,
            epochs=2,
            batch_size=16,
            lr=1e-2,
            seed=1,
            verbose=0,
            compile=compile,
        )

    fresh = fit(build(1))
    used = build(0)
    fit(used)  # trained: moved, optimizer used
    fe.restart(used, build(1).get_weights())
    assert float(used.optimizer.iterations.numpy()) == 0
    assert float(used.optimizer.learning_rate.numpy()) == pytest.approx(1e-2)
    again = fit(used, compile=False)
    # the same computation; float32 sums may differ in the last bits, hence the
    # tolerance
    np.testing.assert_allclose(again.history["loss"], fresh.history["loss"], rtol=1e-4)
    with pytest.raises(ValueError, match="compiled"):
        fe.restart(build(2), build(1).get_weights())


# ------------------------------------------------- data-scaling runs from one extraction


def _scaling_split(tmp_path):
    from mgr_utils.datasets import Clip, ClipSet, load_synthetic

    clips = load_synthetic(n_per_genre=3, duration=1.5, genres=("blues", "metal"))
    broken = Clip("metal.00099", "metal", path=tmp_path / "missing.wav")
    train = ClipSet([*clips.subset([0, 1, 3]), broken, *clips.subset([4])], "train")
    return {"train": train, "valid": clips.subset([2]), "test": clips.subset([5])}


@pytest.mark.parametrize("front_end", ["mel", "raw"])
def test_scaling_sides_equal_a_fresh_extraction_of_the_run_s_clips(tmp_path, front_end):
    # A run's sides taken from one extraction of every clip are the arrays extracting
    # that run's clips anew gives: the same segments in the same order, standardised
    # on the run's own training clips (mel) or untouched (raw). A skipped clip
    # (missing audio) has no segment either way.
    import warnings

    from mgr_utils.features import raw_audio
    from mgr_utils.training import segments_dataset

    sides = _scaling_split(tmp_path)
    fn, params, standardize = {
        "mel": (raw_audio.mel_frames, {"n_samples": 4096, "stride": 256}, True),
        "raw": (raw_audio.waveform_segments, {"n_samples": 4096}, False),
    }[front_end]
    kw = dict(feature_axes=(1,), cache_dir=tmp_path / "c", n_jobs=1, progress=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        base, _ = segments_dataset(sides, fn, params, standardize=False, **kw)
        before = {side: b.X.copy() for side, b in base.items()}
        for positions in ([0, 2, 3, 4], [4, 0], [0, 1, 2, 3, 4]):
            run = fe.scaling_sides(base, positions, standardize)
            fresh, _ = segments_dataset(
                {**sides, "train": sides["train"].subset(positions)},
                fn,
                params,
                standardize=standardize,
                **kw,
            )
            for side in ("train", "valid", "test"):
                a, b = run[side], fresh[side]
                np.testing.assert_array_equal(a.X, b.X)
                np.testing.assert_array_equal(a.y, b.y)
                np.testing.assert_array_equal(a.clip_index, b.clip_index)
                assert a.clips.ids == b.clips.ids
    for side, X in before.items():  # the shared arrays are never changed in place
        np.testing.assert_array_equal(base[side].X, X)


def test_of_clips_keeps_the_order_asked_and_copies_nothing_for_all_clips():
    from mgr_utils.training import Segments

    X = np.arange(7, dtype=np.float32)[:, None]
    s = Segments(
        X=X,
        y=np.array([0, 0, 1, 1, 1, 2, 2]),
        clip_index=np.array([0, 0, 1, 1, 1, 3, 3]),  # clip 2 has no segment
        clips=["a", "b", "c", "d"],
    )
    sub = s.of_clips([3, 2, 0])
    assert sub.X[:, 0].tolist() == [5, 6, 0, 1]
    assert sub.clip_index.tolist() == [0, 0, 2, 2] and sub.clips == ["d", "c", "a"]
    assert s.of_clips([0, 1, 2, 3]) is s
    with pytest.raises(ValueError, match="outside 0..3"):
        s.of_clips([1, 4])
    s.clip_index = np.array([0, 1, 1, 0, 2, 3, 3])
    with pytest.raises(ValueError, match="grouped by clip"):
        s.of_clips([0])


# ------------------------------------------------------- examples, readings, scoring


def test_example_clips_follow_the_data_s_classes():
    from mgr_utils.datasets import ClipSet, load_synthetic

    clips = load_synthetic(n_per_genre=2, duration=1.0)
    (rock,) = fe.example_clips(clips, ["rock"])
    assert rock.genre == "rock"
    assert [c.genre for c in fe.example_clips(clips, ["classical", "metal"])] == [
        "classical",
        "metal",
    ]
    # a collection without those classes: the first classes it has, no repeats
    two = ClipSet(
        [c for c in clips if c.genre in ("jazz", "pop")],
        "folder",
        classes=("pop", "jazz"),
    )
    assert [c.genre for c in fe.example_clips(two, ["classical", "metal"])] == [
        "pop",
        "jazz",
    ]
    assert [c.genre for c in fe.example_clips(two, ["jazz", "metal"])] == [
        "jazz",
        "pop",
    ]
    assert [c.genre for c in fe.example_clips(two, ["a", "b", "c"])] == ["pop", "jazz"]
    with pytest.raises(ValueError, match="no clips"):
        fe.example_clips(two.subset([]), ["rock"])


def _sample_case(verdict_a_ahead=True):
    a, b = "lee2017_sample_cnn", "dieleman2014_raw"
    y = [0] * 40
    pa = [0] * 40 if verdict_a_ahead else [0] * 20 + [1] * 20
    pb = [0] * 20 + [1] * 20 if verdict_a_ahead else [0] * 40
    return mcnemar(y, pa, pb, a, b)


def test_sample_level_reading_names_the_segment_length_confound():
    test = {"accuracy": 0.613, "train_accuracy": 0.70}
    text, short = fe.sample_level_reading(
        _sample_case(), test, "early stopping ended it", 0.2976, 0.9984, 103
    )
    assert text.startswith(
        "The sample-level CNN reaches 61.3% on the test clips (70.0%"
    )
    assert (
        "**the sample-level CNN** (100.0 %) ahead of Dieleman's raw front end" in text
    )
    assert (
        "the sample-level CNN's segments last 0.30 s against the 1.00 s of Dieleman's"
        " networks" in text
    )
    assert "103 times larger" in text
    assert short.startswith("on the same test clips, **the sample-level CNN**")
    assert short.endswith("(a confounded comparison: 0.30 s segments against 1.00 s)")


def test_sample_level_reading_gives_no_verdict_to_a_network_the_cap_stopped():
    c = not_compared(
        "lee2017_sample_cnn",
        "dieleman2014_raw",
        "Lee's sample-level network was still learning at the cap: no verdict",
    )
    text, short = fe.sample_level_reading(
        c,
        {"accuracy": 0.5, "train_accuracy": 0.6},
        "the epoch cap ended it",
        0.3,
        1.0,
        9,
    )
    assert "**no verdict in this build**" in text and "ahead" not in text
    assert short == (
        "in this build it gets no verdict: Lee's sample-level network was still "
        "learning at the cap: no verdict"
    )


def test_li_reading_and_table_say_the_paper_s_numbers_come_from_other_networks():
    m = {"accuracy": 0.7, "n_clips": 120, "segment_accuracy": 0.6}
    for dataset in ("synthetic", "gtzan"):
        text = fe.li_reading(m, m, dataset, "filtered")
        assert "four 3-genre CNNs" in text and "WEKA" in text
        assert "would not train" in text
    assert "four 3-genre CNNs feeding WEKA trees" in fe.li_table(m, m)


def _tiny_net_and_sides(n_classes=3):
    from mgr_utils.datasets import load_synthetic
    from mgr_utils.models import dieleman2014
    from mgr_utils.training import Segments

    rng = np.random.default_rng(0)
    genres = ("blues", "jazz", "rock")[:n_classes]
    sides = {}
    for k, per in (("train", 4), ("valid", 2), ("test", 3)):
        clips = load_synthetic(n_per_genre=per, duration=1.0, genres=genres)
        n = 2 * len(clips)
        sides[k] = Segments(
            X=rng.standard_normal((n, 51 * 16, 1)).astype("float32"),
            y=np.repeat(clips.labels, 2),
            clip_index=np.repeat(np.arange(len(clips)), 2),
            clips=clips,
        )
    net = dieleman2014.dieleman_cnn(
        (51 * 16, 1),
        "raw",
        n_classes=10,
        n_filters=4,
        filter_length=16,
        stride=16,
        filters=(4, 4),
        dense_units=8,
        seed=0,
    )
    return net, sides


def test_predict_probs_equals_predict_segments():
    from mgr_utils.training import compile_model, predict_segments

    net, sides = _tiny_net_and_sides()
    compile_model(net)
    X = sides["train"].X
    for batch in (5, 256):
        np.testing.assert_allclose(
            fe.predict_probs(net, X, batch), predict_segments(net, X, batch), atol=1e-6
        )
    assert fe.predict_probs(net, X).dtype == np.float64


def test_score_run_is_evaluate_selected_on_the_three_sides():
    from mgr_utils.training import compile_model, evaluate_selected

    net, sides = _tiny_net_and_sides()
    compile_model(net)
    fast = fe.score_run(net, sides, preference=("sum",))
    slow = evaluate_selected(
        net, sides["valid"], sides["test"], preference=("sum",), train=sides["train"]
    )
    assert fast["rule"] == slow["rule"]
    for key in ("accuracy", "train_accuracy", "valid_accuracy"):
        assert fast["test"][key] == pytest.approx(slow["test"][key])
    assert fast["test"]["y_pred"] == slow["test"]["y_pred"]
    assert fast["train"]["clip_ids"] == slow["train"]["clip_ids"]


def test_li_is_filed_as_mfcc_input_in_the_records_and_in_chapter_10():
    from mgr_utils import report, results
    from mgr_utils.models import li

    assert "MFCC input" in results.FAMILIES and "MFCC input" in report.FAMILY_ORDER
    assert set(results.FAMILIES) - {"baseline"} <= set(report.FAMILY_ORDER)
    r = {"family": "MFCC input"}
    assert report.family_of("07_raw_audio", "li2010_mfcc_cnn", r) == "MFCC input"
    for entry in li.REPORTED.values():
        assert "four 3-genre CNNs" in entry["protocol"] and "WEKA" in entry["protocol"]


def test_li_reading_on_a_folder_collection_does_not_call_it_gtzan():
    m = {"accuracy": 0.7, "n_clips": 7, "segment_accuracy": 0.6}
    text = fe.li_reading(m, m, "folder", "stratified")
    assert "Both held-out scores are on GTZAN" not in text
    assert "ours on the clips of a folder collection" in text


def test_scaling_reading_counts_the_other_runs_and_says_clip_for_one():
    runs = {
        "raw": [[_run(0.3, train=0.2), _run(0.3, train=0.2), _run(0.3)]],
        "mel": [[_run(0.5), _run(0.5), _run(0.5, stop="epoch cap")]],
    }
    x = fe.scaling_extra((1,), (0, 1, 2), runs, n_test=7, n_classes=4)
    assert x["comparisons"][0]["reason"].count("; ") == 2  # the record keeps all
    text = fe.scaling_reading(x)
    assert text.startswith("- **1 clip per genre**: the raw front end and the mel")
    assert (
        "seed 0, did not learn in this build (training accuracy 20%, chance 25%)"
        in (text)
    )
    assert "(and 2 other runs of this size)." in text and "seed 1" not in text
