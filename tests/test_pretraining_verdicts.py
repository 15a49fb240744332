"""Chapter 8's readings: paired verdicts per labelled fraction, what stopped each run, the filters.

Hand cases: with 3 seeds a paired t-test has 2 degrees of freedom, and its two-sided p is
``1 - |t| / sqrt(t**2 + 2)``.
"""

from __future__ import annotations

import numpy as np
import pytest

from mgr_utils import pretraining as pt

# per fraction: (random, CD-1) test accuracies of seeds 0, 1, 2
SCORES = {
    0.1: ([0.4, 0.4, 0.6], [0.5, 0.6, 0.7]),  # d = 0.1, 0.2, 0.1: t = 4, p = 0.0572
    1.0: ([0.5, 0.5, 0.6], [0.7, 0.75, 0.8]),  # d = 0.2, 0.25, 0.2: t = 13, p = 0.00587
}


def _runs(stopped=None):
    runs = []
    for f, (rnd, pre) in SCORES.items():
        for init, scores in (("random", rnd), ("CD-1 RBMs", pre)):
            for seed, acc in enumerate(scores):
                runs.append(
                    {
                        "init": init,
                        "fraction": f,
                        "seed": seed,
                        "n_labelled": int(120 * f),
                        "test": {"accuracy": acc},
                        "stopped_by": (stopped or {}).get(
                            (init, f, seed), "early stopping"
                        ),
                    }
                )
    return runs


def _p_df2(t):
    return 1 - abs(t) / np.sqrt(t**2 + 2)


def test_fraction_comparisons_pair_the_seeds_and_give_the_hand_computed_p():
    cs = pt.fraction_comparisons(_runs())
    assert [(c["init"], c["fraction"], c["n_labelled"]) for c in cs] == [
        ("CD-1 RBMs", 0.1, 12),
        ("CD-1 RBMs", 1.0, 120),
    ]
    few, all_ = cs
    assert (
        few["a"] == "pretrained_crbm_10pct_labels"
        and few["b"] == "random_init_10pct_labels"
    )
    assert few["n"] == 3 and few["mean_difference"] == pytest.approx(0.4 / 3)
    assert few["p"] == pytest.approx(_p_df2(4.0), rel=1e-6)
    assert few["verdict"] == "cannot tell apart"
    assert all_["p"] == pytest.approx(_p_df2(13.0), rel=1e-6)
    assert all_["verdict"] == "pretrained_crbm_100pct_labels ahead"


def test_fraction_comparisons_refuse_arms_run_with_other_seeds():
    runs = [r for r in _runs() if not (r["init"] == "random" and r["seed"] == 2)]
    with pytest.raises(ValueError, match="same seeds"):
        pt.fraction_comparisons(runs)


def test_fewest_labels_sentence_says_the_fewest_labels_are_not_shown_to_help():
    text = pt.fewest_labels_sentence(pt.fraction_comparisons(_runs()))
    assert "**ahead** of the random one with 120 labelled clips" in text
    assert (
        "fewest labels (12 clips)" in text
        and "+13.3 points" in text
        and "p = 0.057" in text
    )
    assert "do **not** show it helping most" in text


def test_fewest_labels_sentence_when_pretraining_helps_with_the_fewest_and_when_nothing_differs():
    scores = {
        f: (p, r) for f, (r, p) in SCORES.items()
    }  # swapped: the random start wins
    runs = []
    for f, (rnd, pre) in scores.items():
        for init, s in (("random", rnd), ("CD-1 RBMs", pre)):
            runs += [
                {
                    "init": init,
                    "fraction": f,
                    "seed": i,
                    "n_labelled": int(120 * f),
                    "test": {"accuracy": a},
                }
                for i, a in enumerate(s)
            ]
    text = pt.fewest_labels_sentence(pt.fraction_comparisons(runs))
    assert "**behind** it with 120 labelled clips" in text and "ahead" not in text
    few_win = [dict(r) for r in _runs()]
    for r in few_win:  # make 10 % as clear as 100 %
        if r["fraction"] == 0.1:
            r["test"] = {
                "accuracy": SCORES[1.0][0 if r["init"] == "random" else 1][r["seed"]]
            }
    text = pt.fewest_labels_sentence(pt.fraction_comparisons(few_win))
    assert (
        "with 12 and 120 labelled clips" in text
        and "helps with the fewest labels" in text
    )
    level = [dict(r, test={"accuracy": 0.5 + 0.01 * r["seed"]}) for r in _runs()]
    text = pt.fewest_labels_sentence(pt.fraction_comparisons(level))
    assert text.startswith("The paired tests cannot tell") and "p = 1.00" in text


def test_fractions_table_shows_means_spreads_difference_p_and_verdict():
    table = pt.fractions_table(_runs(), pt.fraction_comparisons(_runs()))
    lines = table.splitlines()
    assert len(lines) == 4 and lines[0].count("|") == 5
    assert lines[2].startswith(
        "| 12 (10%) | 46.7% ± 11.5% | 60.0% ± 10.0% | +13.3 points, p = 0.057"
    )
    assert "**cannot tell apart**" in lines[2] and "**CD-1 RBMs ahead**" in lines[3]


def test_stoppers_sentence_counts_each_stopper_and_says_where_the_cap_bound():
    assert pt.stoppers_sentence(_runs(), 30) == (
        "Early stopping ended 12 of the 12 fine-tunings; the cap of 30 epochs ended 0."
    )
    capped = {
        ("random", 1.0, 0): "epoch cap",
        ("CD-1 RBMs", 1.0, 2): "epoch cap",
        ("random", 0.1, 1): "epoch cap",
    }
    text = pt.stoppers_sentence(_runs(capped), 30)
    assert (
        "ended 9 of the 12" in text
        and "ended 3 (1 at 10% of the labels, 2 at 100% of the labels)" in text
    )
    assert "still learning at the cap, so their fractions get no verdict" in text


def test_a_fraction_where_a_run_was_still_learning_at_the_cap_gets_no_verdict():
    capped = {("CD-1 RBMs", 1.0, 2): "epoch cap", ("random", 1.0, 0): "epoch cap"}
    runs = _runs(capped)
    for r in runs:
        r["train_accuracy"], r["max_epochs"] = 0.9, 30
    few, all_ = pt.fraction_comparisons(runs)
    assert few["test"] == "paired t-test across seeds"
    assert all_["test"] == "not compared" and all_["verdict"] == "cannot tell apart"
    assert all_["reason"] == (
        "the random start, seed 0, was still learning at the cap: no verdict (the "
        "epoch cap of 30 epochs, not early stopping, ended its training) (and 1 other "
        "run of this fraction)"
    )
    assert "not compared: the random start, seed 0, was still learning" in (
        pt.fractions_table(runs, [few, all_])
    )


def test_fraction_comparisons_pair_seeds_whatever_order_the_runs_come_in():
    # the random arm's runs listed seed 2, 0, 1; the pretrained arm's 1, 2, 0: the
    # pairs must still be seed by seed (differences 0.1, 0.2, 0.1 at 10 %)
    order = {"random": (2, 0, 1), "CD-1 RBMs": (1, 2, 0)}
    runs = _runs()
    shuffled = sorted(
        runs,
        key=lambda r: (r["fraction"], r["init"], order[r["init"]].index(r["seed"])),
    )
    assert [r["seed"] for r in shuffled[:3]] != [r["seed"] for r in shuffled[3:6]]
    for ordered, mixed in zip(
        pt.fraction_comparisons(runs), pt.fraction_comparisons(shuffled)
    ):
        assert mixed["mean_difference"] == pytest.approx(ordered["mean_difference"])
        assert mixed["p"] == pytest.approx(ordered["p"], rel=1e-9)
    few = pt.fraction_comparisons(shuffled)[0]
    assert few["p"] == pytest.approx(_p_df2(4.0), rel=1e-6)


def test_filter_change_is_relative_to_the_starting_norm():
    before = np.array([[3.0, 0.0], [0.0, 4.0]])  # norm 5
    after = np.array([[3.0, 0.0], [0.0, -4.0]])  # moved by 8; cosine (9 - 16) / 25
    m = pt.filter_change(before, after)
    assert m["relative_change"] == pytest.approx(8 / 5) and m[
        "cosine"
    ] == pytest.approx(-7 / 25)
    with pytest.raises(ValueError):
        pt.filter_change(before, np.zeros(3))
    # after twice as long as before: the change is relative to the norm BEFORE
    grown = pt.filter_change(before, 2 * before)
    assert grown["relative_change"] == pytest.approx(1.0)  # |2b - b| / |b|
    assert grown["cosine"] == pytest.approx(1.0)
    shrunk = pt.filter_change(before, before / 4)
    assert shrunk["relative_change"] == pytest.approx(0.75)  # not 0.75 / 0.25


@pytest.mark.parametrize(
    "change, cosine, words",
    [
        (0.05, 0.99, "**barely moved**"),
        (0.5, 0.95, "**kept their direction**"),
        (0.5, 0.6, "**changed substantially**"),
        (2.01, 0.48, "**did not survive fine-tuning as they were**"),
    ],
)
def test_filter_change_reading_follows_the_measurement(change, cosine, words):
    text = pt.filter_change_reading(
        {"relative_change": change, "cosine": cosine},
        {"relative_change": 2.09, "cosine": 0.3},
    )
    assert words in text and f"{change:.0%} of their norm" in text
    assert ("barely" in text) == (change < 0.1)


def test_filter_change_reading_compares_with_the_random_start():
    pre = {"relative_change": 2.01, "cosine": 0.48}
    assert "about as much as" in pt.filter_change_reading(
        pre, {"relative_change": 2.09, "cosine": 0}
    )
    assert "less than" in pt.filter_change_reading(
        pre, {"relative_change": 4.0, "cosine": 0}
    )
    assert "more than the randomly" in pt.filter_change_reading(
        pre, {"relative_change": 1.0, "cosine": 0}
    )


def test_fractions_extra_keeps_chapter_10s_fields_and_adds_the_paired_tests():
    runs = _runs()
    extra = pt.fractions_extra(runs, pt.fraction_comparisons(runs), n_test=150)
    assert (
        extra["labelled"] == [12, 120]
        and extra["fractions"] == [0.1, 1.0]
        and extra["seeds"] == 3
    )
    assert extra["labels"][0] == "12 labelled clips (10%)" and extra["n_test"] == 150
    assert extra["random"]["mean"] == pytest.approx([1.4 / 3, 1.6 / 3])
    assert extra["pretrained"]["seeds"][1] == [0.7, 0.75, 0.8]
    assert extra["pretrained"]["std"][0] == pytest.approx(0.1)
    assert [c["fraction"] for c in extra["comparisons"]] == [0.1, 1.0]
    assert "autoencoder" not in extra


def test_unlabelled_pool_default_follows_the_data():
    from mgr_utils.datasets import load_synthetic

    train = load_synthetic(n_per_genre=2, duration=1.0, seed=0, genres=["rock", "jazz"])
    assert pt.unlabelled_pool(train, "gtzan", None, 2, None) is train
    pool = pt.unlabelled_pool(train, "synthetic", None, 2, 1.0)
    assert len(pool) == len(train) + 2 * pt.SYNTHETIC_UNLABELLED_PER_GENRE


def test_a_fraction_whose_run_did_not_learn_is_not_compared():
    runs = _runs()
    for r in runs:
        r["train_accuracy"] = (
            0.15 if (r["fraction"] == 1.0 and r["init"] == "random") else 0.9
        )
    few, all_ = pt.fraction_comparisons(runs)
    assert few["test"] == "paired t-test across seeds"
    assert all_["test"] == "not compared" and all_["verdict"] == "cannot tell apart"
    assert (
        "did not learn in this build (training accuracy 15%, chance 10%)"
        in all_["reason"]
    )


def test_table_and_sentence_say_why_a_fraction_was_not_compared():
    runs = _runs()
    for r in runs:
        r["train_accuracy"] = (
            0.15 if (r["fraction"] == 0.1 and r["init"] == "random") else 0.9
        )
    cs = pt.fraction_comparisons(runs)
    table = pt.fractions_table(runs, cs)
    assert (
        "not compared: the random start, seed 0, did not learn in this build" in table
    )
    text = pt.fewest_labels_sentence(cs)
    assert (
        "with the fewest labels (12 clips) the starts are not compared: the random start"
        in text
    )
    assert "over 0 seeds" not in text


# ---------------------------------------------- the claim as an interaction (issue 25)


def test_gain_interaction_pairs_the_gains_seed_by_seed():
    # gains (CD-1 - random) per seed: 10 %: 0.1, 0.2, 0.1; 100 %: 0.2, 0.25, 0.2;
    # few - all: -0.1, -0.05, -0.1: mean -1/12, sd 0.05/sqrt(3), t = -5, p = 0.0377
    runs = _runs()
    c = pt.gain_interaction(runs, pt.fraction_comparisons(runs))
    assert c["test"] == "paired t-test across seeds" and c["n"] == 3
    assert c["mean_a"] == pytest.approx(0.4 / 3) and c["mean_b"] == pytest.approx(
        0.65 / 3
    )
    assert c["mean_difference"] == pytest.approx(-0.25 / 3)
    assert c["p"] == pytest.approx(_p_df2(5.0), rel=1e-6)
    assert c["verdict"] == f"{c['b']} ahead"  # the gain is larger with all labels
    np.testing.assert_allclose(c["gains"], [[0.1, 0.2, 0.1], [0.2, 0.25, 0.2]])
    assert c["fractions"] == [0.1, 1.0] and c["n_labelled"] == [12, 120]
    text, short = pt.interaction_reading(c)
    assert "+13.3 points with 12 labelled clips and +21.7 points with 120" in text
    assert "-8.3 points on average (paired t-test across 3 seeds, p = 0.038)" in text
    assert (
        "**the gain is larger with all the labels, the opposite of the claim**" in text
    )
    assert short.startswith("the gain of pretraining was +13.3 points with 12")


def test_gain_interaction_whatever_the_order_of_runs_and_when_it_holds():
    runs = _runs()
    for r in runs:  # pretraining gains 0.3, 0.35, 0.3 with few labels: larger
        if r["fraction"] == 0.1 and r["init"] == "CD-1 RBMs":
            r["test"] = {"accuracy": [0.7, 0.75, 0.9][r["seed"]]}
    c = pt.gain_interaction(runs[::-1], pt.fraction_comparisons(runs))
    assert c["mean_difference"] == pytest.approx((0.1 + 0.1 + 0.1) / 3)
    # identical differences: no spread, no t-test, no verdict
    assert c["p"] is None and c["verdict"] == "cannot tell apart"
    text, _ = pt.interaction_reading(c)
    assert "no test; the same difference on every seed" in text
    assert "**these seeds cannot tell the two gains apart**" in text
    runs[1]["test"] = {"accuracy": 0.5}  # random, 10 %, seed 1: gain 0.25 there
    c = pt.gain_interaction(runs, pt.fraction_comparisons(runs))
    assert c["mean_difference"] > 0 and c["p"] is not None


def test_gain_interaction_is_not_tested_when_an_end_gets_no_verdict():
    runs = _runs({("random", 0.1, 1): "epoch cap"})
    for r in runs:
        r["train_accuracy"], r["max_epochs"] = 0.9, 30
    c = pt.gain_interaction(runs, pt.fraction_comparisons(runs))
    assert c["test"] == "not compared" and c["verdict"] == "cannot tell apart"
    assert c["reason"].startswith("the starts are not compared with 12 labelled clips")
    text, short = pt.interaction_reading(c)
    assert "is not tested in this build" in text and "still learning" in text
    assert short.startswith("not tested in this build (the starts are not compared")
    one = [r for r in _runs() if r["fraction"] == 1.0]
    assert pt.gain_interaction(one, pt.fraction_comparisons(one))["test"] == (
        "not compared"
    )


def test_fractions_table_and_extra_report_training_accuracies_and_the_interaction():
    runs = _runs()
    for r in runs:
        r["train_accuracy"] = 0.5 + 0.4 * r["fraction"] + 0.01 * r["seed"]
    cs = pt.fraction_comparisons(runs)
    lines = pt.fractions_table(runs, cs).splitlines()
    assert "random start: test ± sd (training)" in lines[0]
    assert lines[2].startswith(
        "| 12 (10%) | 46.7% ± 11.5% (55%) | 60.0% ± 10.0% (55%) |"
    )
    inter = pt.gain_interaction(runs, cs)
    extra = pt.fractions_extra(runs, cs, n_test=150, interaction=inter)
    assert extra["interaction"] is inter
    assert extra["random"]["train_mean"] == pytest.approx([0.55, 0.91])
    assert "train_mean" not in pt.fractions_extra(_runs(), cs, n_test=150)["random"]


def test_stoppers_sentence_says_what_an_epoch_is():
    text = pt.stoppers_sentence(_runs(), 40, windows_per_epoch=1024)
    assert text == (
        "Early stopping ended 12 of the 12 fine-tunings; the cap of 40 epochs (an "
        "epoch: 1,024 training windows, or every labelled one when there are more) "
        "ended 0."
    )


def test_fewest_labels_sentence_when_no_fraction_is_compared():
    runs = _runs(
        {
            (i, f, s): "epoch cap"
            for i in ("random", "CD-1 RBMs")
            for f in (0.1, 1.0)
            for s in range(3)
        }
    )
    for r in runs:
        r["train_accuracy"], r["max_epochs"] = 0.9, 2
    text = pt.fewest_labels_sentence(pt.fraction_comparisons(runs))
    assert text.startswith(
        "No labelled fraction gets a verdict in this build: with the"
    )
    assert "0 seeds" not in text
