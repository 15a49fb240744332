"""Chapter 7's comparisons of front ends: the data-scaling experiment and the readings.

The chapter compares a mel spectrogram front end with learned front ends on raw audio.
The numbers come from the networks; the sentences that read them are written here, so
that they can be tested on hand-made cases:

* :func:`scale_sizes` turns the data-scaling parameters into training clips per genre,
  derived from the data when left at the default (fractions of the training clips per
  genre);
* :func:`nested_subsets` draws the nested training sets of one seed;
* :func:`scaling_extra` gathers the per-seed runs into the record's ``"scaling"``
  extra, with a paired test across seeds at each size; :func:`scaling_reading` reads it;
* :func:`front_end_reading`, :func:`li_reading`, :func:`filters_reading` and
  :func:`passband` write the chapter's other readings from what was measured.

Notebook: ``07_raw_audio.ipynb``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from mgr_utils.comparison import (
    STILL_LEARNING,
    format_p,
    no_verdict_reason,
    not_compared,
    paired_seeds,
    sentence,
)

SCALE_FRACTIONS = (0.25, 0.5, 1.0)
"""Default data-scaling sizes: these fractions of the training clips per genre."""


def scale_sizes(
    train_counts: Mapping[str, int],
    sizes: Sequence[int] | None = None,
    fractions: Sequence[float] = SCALE_FRACTIONS,
) -> tuple[int, ...]:
    """Training clips per genre for the data-scaling experiment, checked on the data.

    With ``sizes=None`` the sizes follow the data: ``round(f * n)`` for each fraction
    ``f``, where ``n`` is the fewest training clips of any genre (at least 1, duplicates
    dropped), so that a folder of 10 clips per genre works as well as the whole of
    GTZAN.

    Notebook: ``07_raw_audio.ipynb``.

    Args:
        train_counts: Training clips per genre (``ClipSet.counts()`` of the training
            side).
        sizes: Explicit clips per genre (the notebook's ``SCALE_SIZES``), or ``None``.
        fractions: Fractions of the training clips per genre (``SCALE_FRACTIONS``).

    Returns:
        The sizes, ascending.

    Raises:
        ValueError: No training clips, a fraction outside (0, 1], or a size larger than
            the training clips of some genre; the message names the parameter to set.
    """
    if not train_counts or min(train_counts.values()) < 1:
        raise ValueError(
            f"the training side has no clips of some genre: {dict(train_counts)}"
        )
    n = min(train_counts.values())
    if sizes is None:
        bad = [f for f in fractions if not 0 < f <= 1]
        if bad or not fractions:
            raise ValueError(
                f"SCALE_FRACTIONS must be fractions in (0, 1], got {tuple(fractions)}"
            )
        return tuple(sorted({max(1, int(round(f * n))) for f in fractions}))
    sizes = tuple(sorted(int(k) for k in sizes))
    if not sizes or sizes[0] < 1:
        raise ValueError(f"SCALE_SIZES must be positive clip counts, got {sizes}")
    if sizes[-1] > n:
        short = {g: c for g, c in train_counts.items() if c < sizes[-1]}
        raise ValueError(
            f"SCALE_SIZES = {sizes} asks for {sizes[-1]} training clips per genre, but"
            f" the training side has fewer for {short}: set SCALE_SIZES = None (sizes"
            f" from SCALE_FRACTIONS = {tuple(fractions)} of the {n} clips per genre) or"
            f" sizes up to {n}"
        )
    return sizes


def nested_subsets(
    labels: Sequence[int], sizes: Sequence[int], seed: int = 0
) -> dict[int, list[int]]:
    """Indices of nested training sets: ``k`` clips per genre, each holding the smaller.

    Within each genre the clips are shuffled once with ``seed``, and the set of size
    ``k`` takes the first ``k``; so a seed changes which clips a small set holds (the
    largest set may be the whole side).

    Notebook: ``07_raw_audio.ipynb``.

    Args:
        labels: Each clip's genre label.
        sizes: Clips per genre of each set.
        seed: Seed of the shuffle.

    Returns:
        ``{k: sorted indices}``.

    Raises:
        ValueError: A size larger than some genre's clips.
    """
    labels = np.asarray(labels)
    rng = np.random.default_rng(seed)
    order = {g: rng.permutation(np.flatnonzero(labels == g)) for g in np.unique(labels)}
    short = {int(g): len(ix) for g, ix in order.items() if len(ix) < max(sizes)}
    if short:
        raise ValueError(
            f"{max(sizes)} clips per genre asked; some genres have fewer: {short}"
        )
    return {
        int(k): sorted(int(i) for ix in order.values() for i in ix[:k]) for k in sizes
    }


def example_clips(clips, preferred: Sequence[str]) -> list:
    """One clip per wanted class to show and play, falling back on the data's classes.

    For each name of ``preferred`` (e.g. ``("rock",)`` on the synthetic set and GTZAN),
    the first clip of that class; a name that is not among the clips' classes (a folder
    collection of other classes) is replaced by the first class, in ``clips.classes``
    order, not yet shown. So the page shows and plays what the data holds.

    Notebook: ``07_raw_audio.ipynb`` (also ``08_pretraining.ipynb``).

    Args:
        clips: A :class:`~mgr_utils.datasets.ClipSet` (e.g. the test side).
        preferred: Class names in the order wanted.

    Returns:
        ``len(preferred)`` clips, or fewer when the clips have fewer classes.

    Raises:
        ValueError: ``clips`` is empty.
    """
    if not len(clips):
        raise ValueError("no clips to choose an example from")
    present = [g for g in clips.classes if any(c.genre == g for c in clips)]
    chosen: list[str] = []
    for name in preferred:
        if name in present and name not in chosen:
            chosen.append(name)
        else:
            spare = [g for g in present if g not in chosen and g not in preferred]
            spare = spare or [g for g in present if g not in chosen]
            if spare:
                chosen.append(spare[0])
    return [next(c for c in clips if c.genre == g) for g in chosen]


def scaling_sides(
    base: Mapping[str, Any],
    positions: Sequence[int],
    standardize: bool,
    feature_axes: tuple[int, ...] | None = (1,),
) -> dict[str, Any]:
    """One data-scaling run's sides, taken from every clip's segments cut once.

    ``base`` holds the whole split's segments, unstandardised
    (:func:`mgr_utils.training.segments_dataset` with ``standardize=False``). The run
    trains on the training clips at ``positions``; with ``standardize`` a
    :class:`~mgr_utils.training.Standardizer` is fitted on those clips' segments alone
    and applied to every side. The arrays are the ones ``segments_dataset`` gives for
    ``{"train": train.subset(positions), "valid": ..., "test": ...}``, without reading
    every clip's segments from the cache again for each run.

    Notebook: ``07_raw_audio.ipynb``.

    Args:
        base: ``{"train": Segments, "valid": Segments, "test": Segments}``, unstandardised.
        positions: The run's training clips (positions in ``base["train"].clips``).
        standardize: Standardise on the run's training segments (the mel front end),
            or keep the values (the raw waveform).
        feature_axes: See :class:`~mgr_utils.training.Standardizer`.

    Returns:
        ``{side: Segments}``; the validation and test arrays are ``base``'s own when
        nothing is standardised (no copy).
    """
    from dataclasses import replace

    from mgr_utils.training import Standardizer

    sides = {
        "train": base["train"].of_clips(positions),
        **{k: v for k, v in base.items() if k != "train"},
    }
    if not standardize:
        return sides
    scaler = Standardizer(feature_axes).fit(sides["train"].X)
    return {k: replace(v, X=scaler.transform(v.X)) for k, v in sides.items()}


def scaling_extra(
    sizes: Sequence[int],
    seeds: Sequence[int],
    runs: Mapping[str, Sequence[Sequence[Mapping[str, Any]]]],
    n_test: int,
    n_classes: int = 10,
    **about: Any,
) -> dict[str, Any]:
    """The data-scaling record (``extras["scaling"]``), with a paired test at each size.

    At each size, the two front ends (``"raw"`` and ``"mel"``) were trained on the same
    clips from the same seed; the test is the paired t-test across seeds of their test
    accuracies (:func:`mgr_utils.comparison.paired_seeds`). A size where a network of
    either front end, of any seed, gets no verdict is not compared: one that the epoch
    cap stopped (not early stopping) was still learning, one whose training accuracy
    stays below twice chance did not learn
    (:func:`mgr_utils.comparison.no_verdict_reason`).

    Notebook: ``07_raw_audio.ipynb`` (read in ``10_results.ipynb``).

    Args:
        sizes: Training clips per genre.
        seeds: The seeds, in the order of the runs.
        runs: ``{front_end: [[run of seed s at size k for s in seeds] for k in
            sizes]}``; a run is ``{"accuracy", "train_accuracy", "stopped_by",
            "epochs_run"}`` (``train_accuracy`` clip level, in inference mode:
            :func:`mgr_utils.training.evaluate_selected` with ``train=``).
        n_test: Test clips each network was scored on (the same clips for all).
        n_classes: Number of genres (chance is ``1 / n_classes``).
        about: Further fields to keep (e.g. ``clip_seconds``, ``fractions``).

    Returns:
        ``{"clips_per_genre", "seeds", "n_test", "test", "accuracy": {fe: mean per
        size}, "per_seed": {fe: [[accuracy per seed] per size]}, "train_accuracy": {fe:
        [[...]]}, "stopped_by": {fe: [[...]]}, "epochs_run": {fe: [[...]]},
        "comparisons": [one per size, with "clips_per_genre"], "trend": paired test of
        (raw - mel) at the largest size against the smallest, **about}``.
    """
    fields = ("accuracy", "train_accuracy", "stopped_by", "epochs_run")
    table = {
        f: {
            fe: [[r[f] for r in per_size] for per_size in by_size]
            for fe, by_size in runs.items()
        }
        for f in fields
    }
    comparisons = []
    for i, k in enumerate(sizes):
        problems = [
            f"the {fe} front end, seed {s}, " + no_verdict_reason(r, n_classes)
            for fe in ("raw", "mel")
            for s, r in zip(seeds, runs[fe][i])
            if no_verdict_reason(r, n_classes) is not None
        ]
        if problems:
            c = not_compared("raw", "mel", "; ".join(problems))
        else:
            c = paired_seeds(
                table["accuracy"]["raw"][i], table["accuracy"]["mel"][i], "raw", "mel"
            )
        comparisons.append({**c, "clips_per_genre": int(k)})
    trend = None
    if len(sizes) > 1 and all(
        c["test"] != "not compared" for c in (comparisons[0], comparisons[-1])
    ):
        d_last = np.subtract(table["accuracy"]["raw"][-1], table["accuracy"]["mel"][-1])
        d_first = np.subtract(table["accuracy"]["raw"][0], table["accuracy"]["mel"][0])
        trend = paired_seeds(
            d_last, d_first, f"raw - mel at {sizes[-1]}", f"raw - mel at {sizes[0]}"
        )
    return {
        "clips_per_genre": [int(k) for k in sizes],
        "seeds": [int(s) for s in seeds],
        "n_test": int(n_test),
        "test": (
            "paired t-test across seeds (raw and mel trained on the same clips, same"
            " seed)"
        ),
        "accuracy": {
            fe: [float(np.mean(v)) for v in by_size]
            for fe, by_size in table["accuracy"].items()
        },
        "per_seed": table["accuracy"],
        "train_accuracy": table["train_accuracy"],
        "stopped_by": table["stopped_by"],
        "epochs_run": table["epochs_run"],
        "comparisons": comparisons,
        "trend": trend,
        **about,
    }


def _points(x: float) -> str:
    return f"{100 * x:+.1f} points"


def scaling_reading(extra: Mapping[str, Any]) -> str:
    """Markdown reading of the data-scaling record: each size's paired test, the trend.

    Notebook: ``07_raw_audio.ipynb``.
    """
    sizes, seeds = extra["clips_per_genre"], extra["seeds"]
    parts = []
    for k, c in zip(sizes, extra["comparisons"]):
        problems = c.get("reason", "").split("; ")
        if c["test"] == "not compared" and len(problems) > 1:
            more = len(problems) - 1
            c = {
                **c,
                "reason": f"{problems[0]} (and {more} other"
                f" run{'s' if more > 1 else ''} of this size)",
            }
        parts.append(
            f"- **{k} clip{'s' if k != 1 else ''} per genre**: "
            + sentence(c, "the raw front end", "the mel front end")
        )
    caps = sum(
        s == "epoch cap"
        for fe in extra["stopped_by"].values()
        for row in fe
        for s in row
    )
    n_runs = sum(len(row) for fe in extra["stopped_by"].values() for row in fe)
    stop = (
        f"Early stopping ended all {n_runs} trainings."
        if caps == 0
        else (
            f"The epoch cap, not early stopping, ended {caps} of the {n_runs}"
            f" trainings: those networks were {STILL_LEARNING} at their size."
        )
    )
    t = extra.get("trend")
    if t is None:
        trend = "No trend is tested: a size at the ends was not compared."
    else:
        change = t["mean_difference"]
        head = (
            f"From {sizes[0]} to {sizes[-1]} clips per genre, raw minus mel changes by "
            f"{_points(change)} on average over {t['n']} seeds "
            "(paired t-test on the per-seed changes, "
            f"{t.get('reason', 'no test') if t['p'] is None else 'p = ' + format(t['p'], '.2f')})"
        )
        if t["verdict"] == "cannot tell apart":
            trend = head + ": **no trend that these seeds can tell from noise**."
        elif change > 0:
            trend = (
                head + ": the raw front end **gains on the mel front end** with more "
                "data, the direction of Pons et al.'s ISMIR 2018 result."
            )
        else:
            trend = (
                head + ": the raw front end **loses ground to the mel front end** with "
                "more data, the opposite of the direction of Pons et al.'s ISMIR 2018 "
                "result."
            )
    return (
        "\n".join(parts)
        + f"\n\n{trend} {stop} Each size: {len(seeds)} seeds, {extra['n_test']} test"
        " clips; the test is a paired t-test across seeds on the two front ends'"
        " test accuracies."
    )


def front_end_reading(c: Mapping[str, Any]) -> tuple[str, str]:
    """The raw-against-mel verdict of one trained pair, and how it stands to the paper.

    Notebook: ``07_raw_audio.ipynb``.

    Args:
        c: The comparison of ``raw`` (``a``) and ``mel`` (``b``) (McNemar or not
            compared).

    Returns:
        ``(markdown, short)``: the verdict sentence with the paper's order, and a short
        phrase for the summary.
    """
    verdict = sentence(c, "the raw front end", "the mel front end")
    if c["test"] == "not compared":
        return verdict, "not compared with the mel front end (" + c["reason"] + ")"
    acc = f"raw {c['accuracy_a']:.0%}, mel {c['accuracy_b']:.0%}"
    if c["verdict"] == f"{c['b']} ahead":
        paper = "This is the paper's order on MagnaTagATune's tags."
        short = f"behind the mel front end ({acc}, McNemar {format_p(c['p'])}, n = {c['n']})"
    elif c["verdict"] == f"{c['a']} ahead":
        paper = "This is the **opposite** of the paper's order on MagnaTagATune's tags."
        short = (
            f"ahead of the mel front end ({acc}, McNemar {format_p(c['p'])}, n ="
            f" {c['n']})"
        )
    else:
        paper = (
            "The paper's mel front end won on MagnaTagATune's tags; these test clips "
            "cannot tell the two apart."
        )
        short = (
            f"not told apart from the mel front end ({acc}, McNemar "
            f"{format_p(c['p'])}, n = {c['n']})"
        )
    return f"{verdict} {paper}", short


def sample_level_reading(
    c: Mapping[str, Any],
    test: Mapping[str, Any],
    stopped: str,
    sample_seconds: float,
    raw_seconds: float,
    size_ratio: float,
) -> tuple[str, str]:
    """The sample-level CNN's result, its comparison with Dieleman's raw front end, and
    the confound that comparison carries.

    The two networks differ in more than their architecture: each decision of the
    sample-level CNN hears ``sample_seconds`` of audio, each of Dieleman's
    ``raw_seconds``. The sentence names that confound beside the verdict; a network that
    early stopping did not end gets no verdict (``c`` is then "not compared", from
    :func:`mgr_utils.comparison.compare_results`).

    Notebook: ``07_raw_audio.ipynb``.

    Args:
        c: The comparison of the sample-level CNN (``a``) with Dieleman's raw front end
            (``b``).
        test: The sample-level CNN's test metrics (``accuracy``, ``train_accuracy``).
        stopped: How its training ended (:func:`stop_phrase`).
        sample_seconds, raw_seconds: Seconds of audio per segment of each network.
        size_ratio: The paper's network's weights over this one's.

    Returns:
        ``(markdown, short)``: the paragraph, and a phrase for the summary.
    """
    head = (
        f"The sample-level CNN reaches {test['accuracy']:.1%} on the test clips"
        f" ({test['train_accuracy']:.1%} on its training clips; {stopped}). "
    )
    confound = (
        f"the sample-level CNN's segments last {sample_seconds:.2f} s against the"
        f" {raw_seconds:.2f} s of Dieleman's networks, so the comparison mixes the"
        " architecture with how much audio each decision hears"
    )
    tail = (
        f" The paper's network is {size_ratio:,.0f} times larger and trained on"
        " MagnaTagATune: this is a demonstration of the architecture, not a test of it."
    )
    if c["test"] == "not compared":
        body = (
            "It gets **no verdict in this build**: "
            + c["reason"]
            + ". Its test score says nothing about the architecture, and it is compared"
            " with nothing."
        )
        short = "in this build it gets no verdict: " + c["reason"]
        return head + body + tail, short
    verdict = sentence(c, "the sample-level CNN", "Dieleman's raw front end")
    body = (
        "Against Dieleman's raw front end on the same test clips: "
        + verdict
        + " Read it with its confound: "
        + confound
        + "."
    )
    short = (
        "on the same test clips, "
        + verdict.rstrip(".")
        + f" (a confounded comparison: {sample_seconds:.2f} s segments against"
        f" {raw_seconds:.2f} s)"
    )
    return head + body + tail, short


def stop_phrase(run_summary: Mapping[str, Any]) -> str:
    """How a training ended, in words: early stopping, the epoch cap, or fixed epochs.

    A network that early stopping did not end gets no verdict, and the phrase says so.

    Notebook: ``07_raw_audio.ipynb``.
    """
    s = run_summary["stopped_by"]
    e, best = run_summary["epochs_run"], run_summary["best_epoch"]
    if s == "early stopping":
        return f"early stopping ended it after {e} epochs, the best being epoch {best}"
    if s == "epoch cap":
        return (
            f"the epoch cap of {e} ended it, not early stopping, "
            + (
                "at its best epoch: it was still improving"
                if best == e
                else f"the best being epoch {best}: it had turned"
            )
            + f"; {STILL_LEARNING}"
        )
    return f"it ran a fixed {e} epochs, with no early stopping: no verdict"


def li_reading(
    train: Mapping[str, Any], test: Mapping[str, Any], dataset: str, split: str
) -> str:
    """Li et al.'s network on its training and on the held-out test clips, and why ours
    is not the paper's "below 30 %".

    The two accuracies are on different clips, so no paired test applies: each is given
    with its 95 % Wilson interval.

    Notebook: ``07_raw_audio.ipynb``.

    Args:
        train, test: Clip metrics (after the vote, with ``segment_accuracy``) on the
            training and the test clips.
        dataset: ``"synthetic"``, ``"gtzan"`` or ``"folder"``.
        split: The split's name.
    """
    from mgr_utils.evaluation import wilson_interval

    def with_ci(m):
        lo, hi = wilson_interval(m["accuracy"], m["n_clips"])
        return (
            f"{m['accuracy']:.0%} (95% interval {lo:.0%}-{hi:.0%}, {m['n_clips']}"
            " clips)"
        )

    text = (
        f"After the vote, the network is right on {with_ci(train)} of the clips it was "
        f"trained on and on {with_ci(test)} of the held-out test clips; per excerpt, "
        f"before the vote, {train['segment_accuracy']:.0%} and "
        f"{test['segment_accuracy']:.0%}. A score on training clips measures memory as "
        "much as learning, which is why the paper's 84 % says little about new songs."
    )
    if dataset == "folder":
        why = (
            "The paper's numbers are on GTZAN, ours on the clips of a folder collection:"
            " other music and other classes, so the two cannot be compared. Nor is it"
            " the same system: the paper's 10-genre CNN would not train, and its numbers"
            " come from four 3-genre CNNs whose activations fed WEKA decision trees; ours"
            " is one CNN over all the classes."
        )
    elif dataset == "synthetic":
        why = (
            'Why is our held-out score so far above the paper\'s "below 30 %"? Not'
            " because the network is better: our clips are synthetic caricatures of"
            " genres, rendered by one generator whose genres differ by design in their"
            " instruments' spectra, the timbre that MFCCs capture, and the held-out"
            " clips come from the same generator. The paper's held-out songs were other"
            " GTZAN recordings, real music whose genres MFCC excerpts separate poorly;"
            " its training also differed (stochastic gradient descent, its Fig. 3 shows"
            " 200 epochs; we use Adam and stop early on the validation clips), and so did"
            " its system: its 10-genre CNN would not train, so the 84 % and the"
            ' "below 30 %" come from four 3-genre CNNs whose activations fed WEKA'
            " decision trees, not from one CNN over all the classes as here."
        )
    else:
        why = (
            "Both held-out scores are on GTZAN, but not on the same songs or protocol:"
            f" ours are the {test['n_clips']} test clips of the {split} split, with"
            " Adam and early stopping on the validation clips; the paper held out 20 %"
            " of the songs and trained with stochastic gradient descent (its Fig. 3 shows"
            " 200 epochs). Nor is it the same system: the paper's 10-genre CNN would not"
            " train, and its numbers come from four 3-genre CNNs whose activations fed"
            " WEKA decision trees; ours is one CNN over all the classes."
        )
    return f"{text} {why}"


def passband(
    spectrum: np.ndarray, freqs: np.ndarray, drop_db: float = 6.0
) -> dict[str, float]:
    """Where one filter's spectrum passes: the peak, the band around it, its share.

    The band is the run of bins around the peak within ``drop_db`` of it. ``share`` is
    the fraction of the filter's energy (squared magnitude) inside that band: close to 1
    for a clean band-pass filter, small for a filter that lets a mixture through.

    Notebook: ``07_raw_audio.ipynb``.

    Args:
        spectrum: Magnitude spectrum (any scale), one value per frequency of ``freqs``.
        freqs: The bins' frequencies in Hz.
        drop_db: How far below the peak the band ends.

    Returns:
        ``{"peak_hz", "low_hz", "high_hz", "share"}``.
    """
    s = np.asarray(spectrum, dtype=np.float64)
    k = int(s.argmax())
    level = s[k] * 10 ** (-drop_db / 20)
    lo = k
    while lo > 0 and s[lo - 1] >= level:
        lo -= 1
    hi = k
    while hi < s.size - 1 and s[hi + 1] >= level:
        hi += 1
    energy = s**2
    return {
        "peak_hz": float(freqs[k]),
        "low_hz": float(freqs[lo]),
        "high_hz": float(freqs[hi]),
        "share": float(energy[lo : hi + 1].sum() / max(energy.sum(), 1e-30)),
    }


def describe_band(name: str, band: Mapping[str, float]) -> str:
    """One sentence on what one filter lets through, from :func:`passband`.

    Notebook: ``07_raw_audio.ipynb``.
    """
    where = (
        f"peaks at {band['peak_hz']:,.0f} Hz; its band within 6 dB of the peak runs "
        f"{band['low_hz']:,.0f}-{band['high_hz']:,.0f} Hz and holds "
        f"{band['share']:.0%} of its energy"
    )
    if band["share"] >= 0.7:
        return f"The {name} filter {where}: mostly that band passes."
    return (
        f"The {name} filter {where}: the rest is spread over the spectrum, so what"
        " passes is a mixture, not one band."
    )


def filters_reading(
    hz: np.ndarray,
    hz_before: np.ndarray,
    mel_centres: np.ndarray,
    spectra: np.ndarray,
    spectra_before: np.ndarray,
) -> tuple[str, str]:
    """Where the learned filters peak against the mel scale, and how sharp they are.

    Sharpness is each normalised spectrum's peak over its median magnitude, in dB
    (median over the filters); a clean band-pass filter stands 20 dB or more above.

    Notebook: ``07_raw_audio.ipynb``.

    Args:
        hz, hz_before: Sorted dominant frequencies of the learned and the initial
        filters.
        mel_centres: Centre frequencies of a mel filterbank with as many bands.
        spectra, spectra_before: Their normalised magnitude spectra, one row per filter.

    Returns:
        ``(markdown, short)``.
    """

    def sharpness(S):
        S = np.asarray(S)
        return float(np.median(20 * np.log10(S.max(axis=1) / np.median(S, axis=1))))

    n = len(hz)
    low = {
        "learned": int((np.asarray(hz) < 1000).sum()),
        "before": int((np.asarray(hz_before) < 1000).sum()),
        "mel": int((np.asarray(mel_centres) < 1000).sum()),
    }
    if low["learned"] > low["mel"] + 2:
        crowd = "crowd the low frequencies **even more than the mel scale does**"
    elif low["learned"] < low["mel"] - 2:
        crowd = "spread **further up** the spectrum than the mel scale"
    else:
        crowd = "share out the low frequencies **much as the mel scale does**"
    sharp, sharp0 = sharpness(spectra), sharpness(spectra_before)
    if sharp >= 20:
        shape = "**clean band-pass filters**: one peak, little elsewhere"
        short_shape = "clean band-pass filters"
    elif sharp >= sharp0 + 3:
        shape = (
            "**sharper than before training, but not clean band-pass filters**: much of"
            " their energy is still spread over the whole spectrum"
        )
        short_shape = "sharper than before training but not clean band-pass filters"
    else:
        shape = "**barely sharper** than the random filters they started from"
        short_shape = "barely sharper than the random filters they started from"
    text = (
        f"Of the {n} learned filters, **{low['learned']}** peak below 1 kHz, against"
        f" {low['mel']} of the {n} mel centres and {low['before']} of the filters"
        f" before training; the highest learned peak is at {float(np.max(hz)):,.0f} Hz"
        f" (the highest mel centre: {float(np.max(mel_centres)):,.0f} Hz). The learned"
        f" filters {crowd}. A learned filter's peak stands a median {sharp:.0f} dB"
        f" above its median magnitude ({sharp0:.0f} dB before training; a clean"
        f" band-pass filter stands 20 dB or more above): they are {shape}."
    )
    short = (
        f"{low['learned']} of {n} learned filters peak below 1 kHz (mel scale: "
        f"{low['mel']}; before training: {low['before']}), the highest at "
        f"{float(np.max(hz)):,.0f} Hz, and they are {short_shape}"
    )
    return text, short


def restart(model, weights: Sequence[np.ndarray]) -> None:
    """Reset a compiled network to a fresh one's start: new weights, blank optimizer.

    The weights (batch normalisation statistics included) are set to ``weights`` (e.g. a
    newly built network's, from another seed) and every optimizer state (the step count,
    Adam's moments) to zero, the learning rate kept. Training it then with
    ``train(..., compile=False)`` is the same training as a freshly built and compiled
    network, but reuses the traced graph, which on a CPU costs seconds per network.

    Notebook: ``07_raw_audio.ipynb``.

    Raises:
        ValueError: The model has no optimizer (it was never compiled).
    """
    opt = getattr(model, "optimizer", None)
    if opt is None:
        raise ValueError("restart needs a compiled model (train it once first)")
    model.set_weights(list(weights))
    lr = getattr(opt, "_learning_rate", None)
    for v in opt.variables:
        if v is lr or v.path.split("/")[-1] == "learning_rate":
            continue
        v.assign(np.zeros(v.shape, dtype=v.dtype))


def predict_probs(model, X, batch_size: int = 256) -> np.ndarray:
    """Segment probabilities, batch by batch with Keras' ``predict_on_batch``.

    The same batches and the same compiled prediction as
    :func:`mgr_utils.training.predict_segments`, without building a ``tf.data`` pipeline
    (which copies a whole side into TensorFlow at every call): about three times faster
    on this chapter's many small networks, each scored on three sides. Segments that are
    not an in-memory array (rows read from the feature cache) go through
    :func:`~mgr_utils.training.predict_segments`.

    Notebook: ``07_raw_audio.ipynb``.

    Args:
        model: A Keras model.
        X: Segments ``(n, ...)``.
        batch_size: Segments per batch.

    Returns:
        float64 ``(n, n_classes)``.
    """
    if not isinstance(X, np.ndarray):
        from mgr_utils.training import predict_segments

        return predict_segments(model, X, batch_size)
    X = np.asarray(X, dtype=np.float32)
    parts = [
        np.asarray(model.predict_on_batch(X[i : i + batch_size]))
        for i in range(0, len(X), batch_size)
    ]
    return np.concatenate(parts).astype(np.float64)


def score_run(
    model,
    sides: Mapping[str, Any],
    batch_size: int = 256,
    **kwargs: Any,
) -> dict:
    """:func:`mgr_utils.training.evaluate_selected` on a run's three sides: the rule
    chosen on validation, the test clips scored once, the training clips scored alike
    (the record's ``train_accuracy``), every side predicted with :func:`predict_probs`.

    Notebook: ``07_raw_audio.ipynb``.

    Args:
        model: The trained network.
        sides: ``{"train", "valid", "test"}`` :class:`~mgr_utils.training.Segments`.
        batch_size: Prediction batch size.
        kwargs: Passed on (``rules``, ``preference``, ``genres``).

    Returns:
        ``evaluate_selected``'s result, with ``"train"``.
    """
    from mgr_utils.training import evaluate_selected

    probs = {k: predict_probs(model, sides[k].X, batch_size) for k in sides}
    return evaluate_selected(
        model,
        sides["valid"],
        sides["test"],
        batch_size=batch_size,
        valid_probs=probs["valid"],
        test_probs=probs["test"],
        train=sides["train"],
        train_probs=probs["train"],
        **kwargs,
    )


def _subplots(ax, figsize):
    """``ax`` if given, else one new axis of ``figsize``."""
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    return plt.subplots(figsize=figsize)[1]


def plot_mfcc_excerpt(Z: np.ndarray, seconds: float, title: str, ax=None):
    """Draw one excerpt's MFCCs as an image: time across, one row per coefficient.

    Notebook: ``07_raw_audio.ipynb``.

    Args:
        Z: ``(frames, n_mfcc)`` values (the notebook standardises each row first).
        seconds: the excerpt's duration, the x axis's extent.
        title: the axis title.
        ax: the axis to draw on (default: a new 8 x 2.6 in figure).

    Returns:
        The axis.
    """
    Z = np.asarray(Z)
    if Z.ndim != 2:
        raise ValueError(f"Z must be (frames, n_mfcc), got shape {Z.shape}")
    ax = _subplots(ax, (8, 2.6))
    extent = [0, seconds, -0.5, Z.shape[1] - 0.5]
    im = ax.imshow(Z.T, origin="lower", aspect="auto", cmap="magma", extent=extent)
    ax.set(title=title, xlabel="time (s)", ylabel="MFCC index")
    ax.figure.colorbar(im, ax=ax, label="value (standardised per row)", pad=0.01)
    return ax


def plot_segment_views(
    wave: np.ndarray, mel: np.ndarray, sr: int, stride: int, segment: int = 3
):
    """One segment as the two front ends see it: its waveform and its log-mel frames.

    Red lines mark the first five frames of ``stride`` samples on the waveform; the
    colour bar gives the log-mel level in dB (0 dB: the clip's loudest bin, as
    :func:`mgr_utils.features.raw_audio.mel_frames` scales it).

    Notebook: ``07_raw_audio.ipynb``.

    Args:
        wave: the segment's ``(n_samples,)`` waveform.
        mel: the same segment's ``(frames, n_mels)`` log-mel frames.
        sr: the sample rate.
        stride: samples per frame (window = hop).
        segment: the segment's number, for the titles.

    Returns:
        The two axes.
    """
    import matplotlib.pyplot as plt

    wave, mel = np.asarray(wave), np.asarray(mel)
    if wave.ndim != 1 or mel.ndim != 2:
        raise ValueError("wave must be 1-D and mel (frames, n_mels)")
    fig, axes = plt.subplots(1, 2, figsize=(11, 2.8), layout="constrained")
    seconds = len(wave) / sr
    axes[0].plot(np.arange(len(wave)) / sr, wave, lw=0.4)
    for k in range(1, 6):
        axes[0].axvline(k * stride / sr, color="C3", lw=0.8)
    axes[0].set(
        title=(
            f"segment {segment}: the waveform (red: the first {stride}-sample frames)"
        ),
        xlabel="time (s)",
        ylabel="amplitude (full scale = 1)",
    )
    n_mels = mel.shape[1]
    im = axes[1].imshow(
        mel.T,
        origin="lower",
        aspect="auto",
        cmap="magma",
        extent=[0, seconds, -0.5, n_mels - 0.5],
    )
    axes[1].set(
        title=f"segment {segment}: {n_mels}-band log-mel, window = hop = {stride}",
        xlabel="time (s)",
        ylabel="mel band",
    )
    fig.colorbar(im, ax=axes[1], label="level (dB re the clip's maximum)")
    return axes


def li_table(li_train: Mapping[str, Any], li_test: Mapping[str, Any]) -> str:
    """Markdown table of Li et al.'s CNN on training and test clips, beside the paper.

    Notebook: ``07_raw_audio.ipynb``.

    Args:
        li_train: the scores on the training clips (``n_clips``, ``accuracy``,
            ``segment_accuracy``), as :func:`mgr_utils.training.evaluate_clips` gives.
        li_test: the same on the test clips.
    """
    rows = [
        (
            f"| accuracy | the {li_train['n_clips']} **training** clips "
            f"| the {li_test['n_clips']} held-out **test** clips |"
        ),
        "|---|---|---|",
    ]
    for label, key in (
        ("per excerpt (before the vote)", "segment_accuracy"),
        ("per clip (after the vote)", "accuracy"),
    ):
        rows.append(f"| {label} | {li_train[key]:.1%} | {li_test[key]:.1%} |")
    rows.append(
        "| Li et al. 2010 (GTZAN, 10 genres; four 3-genre CNNs feeding WEKA trees) "
        '| 84 % (training songs, before the vote) | "below 30 %" (held-out songs) |'
    )
    return "\n".join(rows)


def front_ends_table(
    evals: Mapping[str, Mapping[str, Any]], reported: Mapping[str, Mapping[str, Any]]
) -> str:
    """Markdown table of the two front ends: rule, validation and test accuracy.

    Notebook: ``07_raw_audio.ipynb``.

    Args:
        evals: per front end, :func:`mgr_utils.training.evaluate_selected`'s result.
        reported: per front end, the paper's number (``value``: a tag ROC-AUC).
    """
    rows = [
        (
            "| front end | clip rule (chosen on validation) | validation clips"
            " | test clips | test segments"
            " | Dieleman & Schrauwen 2014 (MTAT, tag ROC-AUC, 256/256) |"
        ),
        "|---|---|---|---|---|---|",
    ]
    for fe, ev in evals.items():
        m = ev["test"]
        rows.append(
            f"| {fe} | {ev['rule']} | {m['valid_accuracy']:.1%} | "
            f"**{m['accuracy']:.1%}** | {m['segment_accuracy']:.1%} | "
            f"{reported[fe]['value']:.4f} (not an accuracy) |"
        )
    return "\n".join(rows)


def plot_front_end_confusions(evals: Mapping[str, Mapping[str, Any]], labels):
    """The test confusion matrices of the front ends, side by side.

    Notebook: ``07_raw_audio.ipynb``.

    Args:
        evals: per front end, :func:`mgr_utils.training.evaluate_selected`'s result.
        labels: the class names.

    Returns:
        The axes.
    """
    import matplotlib.pyplot as plt

    from mgr_utils.plotting import plot_confusion

    if not evals:
        raise ValueError("no front end to draw")
    _, axes = plt.subplots(1, len(evals), figsize=(5.5 * len(evals), 4.6))
    axes = np.atleast_1d(axes)
    for ax, (fe, ev) in zip(axes, evals.items()):
        test = ev["test"]
        title = f"{fe} front end, {ev['rule']} rule ({test['accuracy']:.0%})"
        plot_confusion(test["confusion"], labels, ax=ax, title=title)
    return axes


def plot_filter_spectra(spectra, spectra0, hz, hz0, mel_centres, sr: int):
    """Learned filters' spectra, before and after training, and dominant frequencies.

    Notebook: ``07_raw_audio.ipynb``.

    Args:
        spectra: ``(n_filters, n_bins)`` magnitude spectra of the learned filters,
            sorted by dominant frequency (:func:`raw_audio.sort_by_dominant_frequency`).
        spectra0: the same for the filters before training.
        hz: the learned filters' dominant frequencies (Hz), sorted.
        hz0: those before training.
        mel_centres: the centres (Hz) of as many mel bands, the comparison.
        sr: the sample rate.

    Returns:
        The three axes.
    """
    import matplotlib.pyplot as plt

    n = len(hz)
    if not (len(spectra) == len(spectra0) == len(hz0) == len(mel_centres) == n):
        raise ValueError(
            "spectra, frequencies and mel centres must have one per filter"
        )
    fig, axes = plt.subplots(1, 3, figsize=(14, 3.8), layout="constrained")
    for ax, S, title in (
        (axes[0], spectra, "learned filters"),
        (axes[1], spectra0, "the same filters before training"),
    ):
        extent = [0.5, n + 0.5, 0, sr / 2000]
        im = ax.imshow(
            np.asarray(S).T,
            origin="lower",
            aspect="auto",
            cmap="magma",
            extent=extent,
            vmin=0,
            vmax=1,
        )
        ax.set(
            title=f"{title}: |spectrum|, sorted",
            xlabel="filter (sorted by dominant frequency)",
            ylabel="frequency (kHz)",
        )
        fig.colorbar(im, ax=ax, label="magnitude (each filter's peak = 1)")
    rank = np.arange(1, n + 1)
    ax = axes[2]
    ax.plot(
        rank, np.asarray(hz) / 1000, "o-", ms=3, label="learned: dominant frequency"
    )
    ax.plot(
        rank, np.asarray(hz0) / 1000, "s-", ms=3, alpha=0.6, label="before training"
    )
    label = f"mel scale: centres of {n} bands"
    ax.plot(rank, np.asarray(mel_centres) / 1000, "k--", label=label)
    ax.set(
        xlabel="filter / band (sorted)",
        ylabel="frequency (kHz)",
        title="dominant frequencies beside the mel scale",
    )
    ax.legend(fontsize=8)
    return axes


def plot_filter_responses(
    spectra: np.ndarray, freqs: np.ndarray, labels: Sequence[str], ax=None
):
    """A few filters' magnitude spectra in dB, each filter's peak at 0 dB.

    Notebook: ``07_raw_audio.ipynb``.

    Args:
        spectra: ``(n, n_bins)`` magnitude spectra (e.g. rows of
            :func:`mgr_utils.features.raw_audio.sort_by_dominant_frequency`'s spectra).
        freqs: The bins' frequencies in Hz.
        labels: One legend entry per filter.
        ax: The axis to draw on (default: a new 8 x 2.6 in figure).

    Returns:
        The axis.
    """
    spectra = np.atleast_2d(np.asarray(spectra, dtype=np.float64))
    if spectra.shape[1] != len(freqs) or len(labels) != len(spectra):
        raise ValueError(
            "one label per spectrum and one frequency per bin expected, got "
            f"{len(labels)} labels, spectra {spectra.shape}, {len(freqs)} frequencies"
        )
    ax = _subplots(ax, (8, 2.6))
    peak = np.maximum(spectra.max(axis=1, keepdims=True), 1e-12)
    for S, label in zip(spectra / peak, labels):
        ax.plot(np.asarray(freqs) / 1000, 20 * np.log10(S + 1e-6), label=label)
    ax.set(
        xlabel="frequency (kHz)",
        ylabel="magnitude (dB, peak = 0)",
        ylim=(-40, 3),
        title="the filters' magnitude spectra",
    )
    ax.legend(fontsize=8)
    return ax


def plot_scaling(sizes: Sequence[int], extra: Mapping[str, Any], title: str, ax=None):
    """Test accuracy against training clips per genre, per front end (log x axis).

    A line through the means, and a faint point per seed.

    Notebook: ``07_raw_audio.ipynb``.

    Args:
        sizes: the training clips per genre.
        extra: :func:`scaling_extra`'s record (``accuracy`` and ``per_seed`` per front
            end, one entry per size).
        title: the axis title.
        ax: the axis to draw on (default: a new 6.5 x 3.6 in figure).

    Returns:
        The axis.
    """
    for fe in ("mel", "raw"):
        if len(extra["accuracy"][fe]) != len(sizes):
            raise ValueError(f"{fe}: one accuracy per size expected")
    ax = _subplots(ax, (6.5, 3.6))
    for j, (fe, marker) in enumerate((("mel", "o"), ("raw", "s"))):
        x = np.array(sizes) * (1 + 0.03 * (2 * j - 1))  # side by side
        ax.plot(x, extra["accuracy"][fe], marker=marker, label=f"{fe} front end (mean)")
        for i, values in enumerate(extra["per_seed"][fe]):
            ax.plot(
                [x[i]] * len(values), values, marker, color=f"C{j}", alpha=0.35, ms=4
            )
    ax.set_xscale("log")
    ax.set_xticks(sizes, [str(k) for k in sizes])
    ax.minorticks_off()
    ax.set(
        xlabel="training clips per genre (log scale)",
        ylabel="test clip accuracy",
        ylim=(0, 1.02),
        title=title,
    )
    ax.legend()
    return ax
