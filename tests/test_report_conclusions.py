"""Chapter 10's conclusions: the direction each names, what it omits, missing chapters.

Written against behaviour any wording keeps: the pretraining sentence says "ahead" when
the pretrained networks lead by more than the spread and "behind" when they trail, never
the other way; Li's MFCC network (scored apart, on its own input) never enters the
spectrogram-or-raw-audio comparison; chapters that recorded nothing give no conclusion,
and nothing at all gives the "no chapter" sentence. The comparison sentences of chapters
3-7 are tested in test_report.py.
"""

from __future__ import annotations

from mgr_utils import report


def _system(acc, n=40, family="spectrogram CNN", dataset="synthetic"):
    k = round(acc * n)
    return {
        "accuracy": acc,
        "n_clips": n,
        "confusion": [[k, 0], [n - k, 0]],
        "dataset": dataset,
        "split": "stratified",
        "protocol": "p",
        "selected_on": "validation",
        "choices": {"rule": "sum"},
        "family": family,
        "reported": None,
    }


def _pretraining(random_mean, pretrained_mean, jitter=0.01):
    """Chapter 8's extra with three seeds per arm and the paired test the chapter records."""
    from mgr_utils.comparison import paired_seeds

    rnd = [random_mean - jitter, random_mean + 2 * jitter, random_mean - jitter]
    pre = [pretrained_mean + jitter, pretrained_mean, pretrained_mean - jitter]
    c = paired_seeds(pre, rnd, "pretrained", "random") | {
        "fraction": 0.1,
        "n_labelled": 12,
    }
    return {
        "08_pretraining": {
            "systems": {},
            "extras": {
                "fractions": {
                    "labelled": [0.1],
                    "labels": ["10 %"],
                    "seeds": 3,
                    "random": {"mean": [random_mean], "std": [jitter]},
                    "pretrained": {"mean": [pretrained_mean], "std": [jitter]},
                    "comparisons": [c],
                }
            },
        }
    }


def _paragraph(text, needle):
    hits = [p for p in text.split("\n\n") if needle in p]
    assert len(hits) == 1, f"one paragraph should mention {needle!r}:\n{text}"
    return hits[0]


def test_pretraining_ahead_when_the_paired_test_says_the_pretrained_networks_lead():
    text = _paragraph(
        report.conclusions(_pretraining(random_mean=0.40, pretrained_mean=0.70)),
        "Pretraining",
    )
    assert "**`pretrained` ahead** of `random`" in text
    assert "**`random` ahead**" not in text and "cannot tell apart" not in text


def test_pretraining_behind_when_the_paired_test_says_the_random_start_leads():
    text = _paragraph(
        report.conclusions(_pretraining(random_mean=0.70, pretrained_mean=0.40)),
        "Pretraining",
    )
    assert "**`random` ahead** of `pretrained`" in text
    assert "**`pretrained` ahead**" not in text and "cannot tell apart" not in text


def test_pretraining_neither_ahead_nor_behind_within_the_noise():
    text = _paragraph(
        report.conclusions(
            _pretraining(random_mean=0.50, pretrained_mean=0.51, jitter=0.05)
        ),
        "Pretraining",
    )
    assert "cannot tell apart" in text and "ahead**" not in text


def test_li_net_is_left_out_of_the_spectrogram_or_raw_audio_comparison():
    records = {
        "07_raw_audio": {
            "systems": {
                "dieleman_mel": _system(0.6),
                "dieleman_raw": _system(0.4, family="raw audio"),
                "sample_cnn": _system(0.45, family="raw audio"),
                "li_cnn": _system(0.3, family="raw audio"),
            }
        }
    }
    text = report.conclusions(records)
    comparison = _paragraph(text, "`dieleman_raw`")
    assert "`sample_cnn`" in comparison, (
        "every raw-audio network of chapter 7 is compared"
    )
    assert "li_cnn" not in comparison, "Li's MFCC network is not a raw-audio front end"
    assert "30.0%" in _paragraph(text, "Li et al."), (
        "Li's net has a sentence of its own"
    )


def test_missing_chapters_give_no_conclusion_and_none_give_the_no_chapter_sentence():
    assert report.conclusions({}).startswith("No chapter")
    only_classical = {
        "03_texture_features": {
            "systems": {"b": dict(_system(0.5, family="classical"), valid_accuracy=0.6)}
        }
    }
    assert report.conclusions(only_classical).startswith("No chapter"), (
        "a baseline alone concludes nothing"
    )
    text = report.conclusions(_pretraining(0.4, 0.7))
    assert "chapter 8" in text
    for absent in ("chapter 7", "chapter 9", "classical", "raw front end", "auralised"):
        assert absent not in text, f"{absent!r} has no record in this build"
