"""Chapter 9's readings: the invariance baseline, the map readings, the invariance sentence."""

from __future__ import annotations

from itertools import product

import numpy as np
import pytest

from mgr_utils import auralisation as au

NAMES = ("instrument", "chord", "key")


def test_the_baseline_takes_the_pairs_that_differ_in_every_factor():
    factors = np.array(list(product(range(2), range(2), range(2))))  # 8 signals
    v = np.arange(6, dtype=float)
    # the output flips sign with the instrument: r = -1 across instruments, +1 within
    Z = np.stack([(v if f[0] == 0 else -v)[None, :] for f in factors])  # (8, 1 map, 6)
    r = au.pair_correlations(Z, factors, NAMES, baseline="all three")
    assert {n: r[n]["n_pairs"] for n in r} == {
        "instrument": 4,
        "chord": 4,
        "key": 4,
        "all three": 4,
    }
    assert r["instrument"]["mean"] == pytest.approx(-1) and r["chord"][
        "mean"
    ] == pytest.approx(1)
    assert r["key"]["mean"] == pytest.approx(1) and r["all three"][
        "mean"
    ] == pytest.approx(-1)
    assert r["all three"]["std"] == pytest.approx(0, abs=1e-6)
    assert "all three" not in au.pair_correlations(Z, factors, NAMES)


def test_the_baseline_spread_is_over_pairs():
    factors = np.array(list(product(range(2), range(2), range(2))))
    rng = np.random.default_rng(0)
    Z = rng.standard_normal((8, 2, 20))
    r = au.pair_correlations(Z, factors, NAMES, baseline="all three")
    pairs = [
        (i, j)
        for i in range(8)
        for j in range(i + 1, 8)
        if np.all(factors[i] != factors[j])
    ]
    per_pair = [
        np.mean([np.corrcoef(Z[i, m], Z[j, m])[0, 1] for m in range(2)])
        for i, j in pairs
    ]
    assert r["all three"]["mean"] == pytest.approx(np.mean(per_pair), abs=1e-5)
    assert r["all three"]["std"] == pytest.approx(np.std(per_pair), abs=1e-5)


@pytest.mark.parametrize(
    "m, words",
    [
        (
            {"centroid_hz": 100.0, "edge_ratio": 3.0, "fill": 0.09},
            "onsets, vertical lines, low register, sparse",
        ),
        (
            {"centroid_hz": 350.0, "edge_ratio": 0.7, "fill": 0.5},
            "sustained partials, horizontal lines, "
            "high register, smeared, texture-like",
        ),
        (
            {"centroid_hz": 200.0, "edge_ratio": 1.1, "fill": 0.25},
            "close to the original's balance",
        ),
        (
            {
                "centroid_hz": float("nan"),
                "edge_ratio": float("nan"),
                "fill": float("nan"),
            },
            "silent",
        ),
    ],
)
def test_map_reading_reads_the_ratios_to_the_original(m, words):
    ref = {"centroid_hz": 200.0, "edge_ratio": 1.0, "fill": 0.2}
    assert au.map_reading(m, ref) == words


def _inv(key, chord, instrument, base=None):
    out = {}
    for d in range(6):
        out[d] = {
            "key": {"mean": key[d]},
            "chord": {"mean": chord[d]},
            "instrument": {"mean": instrument[d]},
        }
        if base is not None:
            out[d]["all three"] = {"mean": base[d]}
    return out


def test_invariance_sentence_as_in_the_paper():
    inv = _inv(
        key=[0.9] * 6,
        chord=[0.3, 0.3, 0.4, 0.5, 0.6, 0.8],
        instrument=[0.2, 0.2, 0.3, 0.4, 0.6, 0.7],
        base=[0.1] * 6,
    )
    text = au.invariance_sentence(inv, NAMES, chord_notes=[{0, 4, 7}, {0, 3, 7}])
    assert text.startswith(
        "**What ours shows.** A change of key changes the deconvolved outputs "
        "least at every layer, as in the paper."
    )
    assert "0.700 at layer 1 and 0.200 at layer 5 (they draw together" in text
    assert "their correlations rise), as the paper found" in text
    assert (
        "the key curve lies above it at every layer (by 0.800 to 0.800; descriptive"
        in text
    )
    assert "least change comes from the key as well." in text
    assert "share 2.0 notes on average (of 3.0)" in text


def test_invariance_sentence_unlike_the_paper_and_below_the_baseline():
    inv = _inv(
        key=[0.3, 0.1, 0.1, 0.1, 0.1, 0.1],
        chord=[0.9, 0.8, 0.7, 0.6, 0.5, 0.4],
        instrument=[0.6, 0.7, 0.6, 0.5, 0.4, 0.75],
        base=[0.2, 0.2, 0.2, 0.2, 0.2, 0.2],
    )
    text = au.invariance_sentence(inv, NAMES)
    assert (
        "At no layer does a change of key change the deconvolved outputs least" in text
    )
    assert "it changes them most at 5 of the 5 layers" in text
    assert "0.700 at layer 1 and 0.650 at layer 5 (they draw together" in text
    assert "With depth, instrument changes matter less and chord changes more" in text
    assert (
        "the key curve lies at or below it at every layer, so a key change alone alters the "
        "outputs as much as a change of everything"
    ) in text
    assert (
        "least change comes from the chord: a change of key moves every partial" in text
    )
    no_base = au.invariance_sentence(
        _inv(key=[0.3] * 6, chord=[0.9] * 6, instrument=[0.6] * 6), NAMES
    )
    assert "baseline" not in no_base and "do not draw together" in no_base


def test_invariance_sentence_counts_the_layers_where_key_changes_least():
    inv = _inv(
        key=[0.5, 0.9, 0.9, 0.1, 0.1, 0.1],
        chord=[0.6, 0.5, 0.5, 0.5, 0.4, 0.4],
        instrument=[0.7, 0.4, 0.4, 0.4, 0.3, 0.3],
    )
    text = au.invariance_sentence(inv, NAMES)
    assert "least at 2 of the 5 layers (layer 1, 2)" in text
    assert "(their correlations fall), unlike the paper" in text


def test_invariance_record_keeps_chapter_10s_fields_and_adds_baseline_and_spread():
    inv = {
        d: {
            n: {"mean": 0.1 * d + i / 100, "std": 0.01 * d, "n_pairs": 96}
            for i, n in enumerate(NAMES)
        }
        for d in range(3)
    }
    for d in inv:
        inv[d]["all three"] = {"mean": 0.05 * d, "std": 0.02, "n_pairs": 864}
    rec = au.invariance_record(inv, NAMES)
    assert rec["layers"] == [1, 2]
    assert rec["key"] == [0.12, 0.22] and rec["instrument"] == [0.1, 0.2]
    assert rec["input"] == {"instrument": 0.0, "chord": 0.01, "key": 0.02}
    assert rec["std"]["chord"] == [0.01, 0.02] and rec["n_pairs"]["key"] == 96
    assert rec["baseline"] == [0.05, 0.1] and rec["baseline_std"] == [0.02, 0.02]
    assert rec["baseline_input"] == 0.0 and rec["baseline_pairs"] == 864
    without = au.invariance_record(
        {d: {n: v for n, v in inv[d].items() if n != "all three"} for d in inv}, NAMES
    )
    assert without["baseline"] is None and without["baseline_pairs"] is None


def test_pair_correlations_in_chunks_equal_all_at_once():
    rng = np.random.default_rng(1)
    Z = rng.standard_normal((10, 2, 7))
    pairs = [(i, j) for i in range(10) for j in range(i + 1, 10)]
    np.testing.assert_allclose(
        au._pair_r(Z, pairs, chunk=4),
        au._pair_r(Z, pairs, chunk=1000),
        rtol=1e-6,
        atol=1e-7,
    )


def _r(net, depth, m, reading, versus=None):
    r = {"net": net, "depth": depth, "map": m, "reading": reading}
    return r | ({"versus": versus} if versus is not None else {})


def test_layer_readings_count_the_words_per_layer_and_read_the_sparsity():
    readings = [
        _r("trained", 1, 0, "onsets, vertical lines, sparse"),
        _r("trained", 1, 3, "sustained partials, horizontal lines"),
        _r("trained", 2, 1, "onsets, vertical lines, low register"),
        _r("trained", 3, 2, "low register"),
        _r("trained", 4, 0, "low register, sparse"),
        _r("trained", 4, 1, "high register"),
        _r("trained", 5, 0, "smeared, texture-like"),
        _r("trained", 5, 2, "close to the original's balance"),
    ]
    active = {1: 0.6, 2: 0.5, 3: 0.5, 4: 0.3, 5: 0.2}
    table, summary = au.layer_readings(readings, active)
    rows = table.splitlines()
    assert rows[2] == "| 1 | 2 | 1 | 1 | 0 | 0 | 0 | 1 | — | 60% |"
    assert rows[5] == "| 4 | 2 | 0 | 0 | 1 | 1 | 0 | 1 | — | 30% |"
    assert "1 of 2 trained maps read as onset-like, 1 as sustained partials." in summary
    assert "of 2 trained maps, 1 onset-like, 2 low register, 0 sustained" in summary
    assert (
        "1 of 2 low register; 30% of positions active, against 60% in layer 1"
        in summary
    )
    assert "1 of 2 trained maps read as smeared" in summary
    assert "falls at every layer" in summary and "untrained" not in summary
    _, rising = au.layer_readings(readings, {**active, 3: 0.55})
    assert "does not fall at every layer" in rising


def test_layer_readings_set_the_trained_maps_beside_the_untrained_ones():
    like = au.LIKE_UNTRAINED
    readings = []
    for d in range(1, 6):
        readings += [
            _r("trained", d, 0, "onsets, vertical lines, sparse", "sparser"),
            _r("trained", d, 1, "low register, sparse", like),
            _r("untrained", d, 4, "sparse"),
            _r("untrained", d, 5, "low register, sparse"),
        ]
    active = {1: 0.6, 2: 0.5, 3: 0.5, 4: 0.3, 5: 0.2}
    control_active = {d: 0.4 + 0.02 * d for d in active}  # rises: not sparser
    table, summary = au.layer_readings(readings, active, control_active)
    rows = table.splitlines()
    assert rows[-1] == (
        "Each count: the trained network's maps / the untrained network's maps."
    )
    assert rows[2] == (
        "| 1 | 2 | 1 / 0 | 0 / 0 | 1 / 1 | 0 / 0 | 0 / 0 | 2 / 2 | 1 of 2 | 60% / 42% |"
    )
    assert "(untrained: 0, 0); against the untrained network's maps, " in summary
    assert "1 sparser" in summary  # layer 4's bullet counts the sparser maps
    assert "5 of 10 trained maps read differently" in summary
    # "sparse" and "low register": 10 and 10, 5 and 5 maps, so they say nothing
    assert (
        "about as often (within a tenth of the maps heard): low register (5 " in summary
    )
    assert "sparse (10 trained, 10 untrained)" in summary
    assert (
        "Training changed how often these are earned: onset-like (5 trained, "
        in summary
    )
    assert "falls at every layer, as the paper saw" in summary
    assert "and the untrained network's does not" in summary
    _, both = au.layer_readings(readings, active, {d: 0.5 - 0.01 * d for d in active})
    assert "but so does the untrained network's: the architecture makes it" in both


def test_control_reading_uses_the_same_thresholds_against_the_control():
    ref = {"centroid_hz": 200.0, "edge_ratio": 1.0, "fill": 0.2}
    m = {"centroid_hz": 100.0, "edge_ratio": 3.0, "fill": 0.09}
    assert au.control_reading(m, ref) == "more onset-like, lower register, sparser"
    m = {"centroid_hz": 350.0, "edge_ratio": 0.7, "fill": 0.5}
    assert au.control_reading(m, ref) == (
        "more partial-like, higher register, more smeared"
    )
    assert au.control_reading({**ref, "fill": 0.25}, ref) == au.LIKE_UNTRAINED
    nan = dict.fromkeys(ref, float("nan"))
    assert au.control_reading(nan, ref) == "silent"
    assert au.control_reading(ref, nan) == "no untrained map to compare"


def test_gap_interval_is_exact_when_every_pair_agrees():
    factors = np.array(list(product(range(2), range(2), range(2))))
    v = np.arange(6, dtype=float)
    Z = np.stack([(v if f[0] == 0 else -v)[None, :] for f in factors])
    r = au.pair_correlations(Z, factors, NAMES, baseline="all three")
    g = au.gap_interval(r["key"], r["all three"])  # +1 against -1 for every pair
    assert g["gap"] == pytest.approx(2) and g["n_signals"] == 8
    assert g["low"] == pytest.approx(2) and g["high"] == pytest.approx(2)
    with pytest.raises(ValueError, match="per-pair"):
        au.gap_interval({"mean": 1.0}, r["key"])


def test_gap_interval_resamples_signals_not_pairs():
    # six signals; only the pairs with signal 0 correlate: the gap rests on one signal,
    # which a replicate leaves out with chance (5/6)^6 = 0.33, so the interval reaches 0
    pairs = [(i, j) for i in range(6) for j in range(i + 1, 6)]
    a = {
        "per_pair": np.array([1.0 if 0 in p else 0.0 for p in pairs]),
        "pairs": np.array(pairs),
        "n_signals": 6,
    }
    b = {"per_pair": np.zeros(len(pairs)), "pairs": np.array(pairs), "n_signals": 6}
    g = au.gap_interval(a, b, n_boot=2000)
    assert g["gap"] == pytest.approx(1 / 3)
    assert g["low"] == pytest.approx(0) and g["high"] > 0.5
    with pytest.raises(ValueError, match="signals"):
        au.gap_interval(a, {**b, "n_signals": 7})


def test_invariance_sentence_tests_each_gap_with_the_bootstrap():
    rng = np.random.default_rng(5)
    factors = np.array(list(product(range(3), range(3), range(3))))  # 27 signals
    # one picture per instrument and chord, shared by its three keys: key pairs alike
    u = rng.standard_normal((3, 3, 40))
    Z = np.stack(
        [(u[a, b] + 0.3 * rng.standard_normal(40))[None] for a, b, _ in factors]
    )
    inv = {
        d: au.pair_correlations(Z, factors, NAMES, baseline="all three") for d in (1, 2)
    }
    text = au.invariance_sentence(inv, NAMES)
    assert "the key curve lies above it at every layer" in text
    assert (
        "its gap's 95 % bootstrap interval over the 27 signals lies above zero at every "
        "layer" in text
    )
    flat = _inv(key=[0.3] * 6, chord=[0.2] * 6, instrument=[0.2] * 6, base=[0.1] * 6)
    assert "descriptive: no interval" in au.invariance_sentence(flat, NAMES)
