"""The embedded synthetic genre set: deterministic, any size, ten distinct genres."""

import numpy as np
import pytest

from mgr_utils import GENRES, SR
from mgr_utils.datasets import ClipSet, load_dataset, load_synthetic
from mgr_utils.synthetic import STYLES, render


def test_every_gtzan_genre_has_a_recipe():
    assert tuple(STYLES) == GENRES


@pytest.mark.parametrize("genre", GENRES)
def test_render_length_level_and_determinism(genre):
    y = render(genre, seed=7, duration=1.5)
    assert y.dtype == np.float32 and y.shape == (int(1.5 * SR),)
    assert np.isfinite(y).all()
    assert 0.5 < np.max(np.abs(y)) <= 0.91
    assert np.sqrt(np.mean(y**2)) > 0.02  # not silent
    np.testing.assert_array_equal(y, render(genre, seed=7, duration=1.5))


def test_seeds_give_different_clips():
    assert not np.allclose(
        render("rock", seed=1, duration=1.0), render("rock", seed=2, duration=1.0)
    )


def test_load_synthetic_counts_ids_and_labels():
    clips = load_synthetic(n_per_genre=3, duration=0.5, seed=0)
    assert isinstance(clips, ClipSet) and len(clips) == 30
    assert clips.counts() == {g: 3 for g in GENRES}
    assert clips.ids[:3] == ["blues.00000", "blues.00001", "blues.00002"]
    assert list(clips.labels) == [i for i in range(10) for _ in range(3)]
    assert len({c.key for c in clips}) == 30


def test_clip_is_stable_when_the_set_grows():
    small = load_synthetic(n_per_genre=2, duration=0.5, seed=4)
    large = load_synthetic(n_per_genre=5, duration=0.5, seed=4)
    assert small[0].key == large[0].key
    np.testing.assert_array_equal(
        small.by_ids(["jazz.00001"])[0].load(), large.by_ids(["jazz.00001"])[0].load()
    )


def test_other_sample_rate_and_genre_subset():
    clips = load_dataset(
        "synthetic", n_per_genre=1, duration=0.25, genres=("metal", "pop"), sr=16000
    )
    assert clips.genres == ("metal", "pop")
    assert clips[0].load().shape == (4000,)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"n_per_genre": 0}, "n_per_genre"),
        ({"duration": -1}, "duration"),
        ({"genres": ("polka",)}, "polka"),
    ],
)
def test_bad_parameters_are_clear_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        load_synthetic(**kwargs)


def test_unknown_dataset_name():
    with pytest.raises(ValueError, match="DATASET must be one of"):
        load_dataset("gtzn")


def test_classical_has_no_drums_and_disco_does():
    """Caricatures: classical has almost no percussive energy; disco's four-on-the-floor has plenty."""
    import librosa

    def percussive_share(genre, seed):
        y = render(genre, seed=seed, duration=4.0)
        _, y_p = librosa.effects.hpss(y)
        return np.sum(y_p**2) / np.sum(y**2)

    classical = max(percussive_share("classical", s) for s in range(4))
    disco = min(percussive_share("disco", s) for s in range(4))
    assert classical < 0.06 < 0.15 < disco


def test_clipsets_concatenate():
    clips = load_synthetic(n_per_genre=2, duration=0.25)
    both = clips[:3] + clips[5:]
    assert both.ids == clips.ids[:3] + clips.ids[5:] and both.name == "synthetic"


def _descriptors_and_rms(y, sr):
    from mgr_utils.features import descriptors

    return np.concatenate([descriptors(y, sr), [np.sqrt(np.mean(y**2))]])


def test_the_set_is_neither_trivial_nor_impossible():
    """A guard on the generator: the book's numbers mean something only if this holds.

    The classical descriptor SVM of chapter 3 must stay well above chance (10 %), and one global
    statistic alone (loudness, tempo) well below it: a change to the generator that made every
    genre a different loudness, or made the genres indistinguishable, fails here.
    """
    from sklearn.model_selection import StratifiedKFold, cross_val_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC

    from mgr_utils.cache import extract
    from mgr_utils.features import DESCRIPTOR_NAMES

    clips = load_synthetic(n_per_genre=12, duration=5.0, seed=123)
    X = np.stack(
        extract(
            clips, _descriptors_and_rms, {}, progress=False, use_cache=False
        ).features
    )
    y = clips.labels
    folds = StratifiedKFold(4, shuffle=True, random_state=0)

    def accuracy(Z):
        return cross_val_score(
            make_pipeline(StandardScaler(), SVC()), Z, y, cv=folds
        ).mean()

    svm = accuracy(X[:, :-1])
    singles = {
        "rms": accuracy(X[:, [-1]]),
        "tempo": accuracy(X[:, [DESCRIPTOR_NAMES.index("tempo")]]),
    }
    assert svm >= 0.55, (
        f"the descriptor SVM reaches only {svm:.0%}: the genres are (nearly) indistinguishable"
    )
    for name, acc in singles.items():
        assert acc <= min(0.45, svm - 0.25), (
            f"{name} alone reaches {acc:.0%} (SVM {svm:.0%}): the set is trivial"
        )
