"""Every exercise of chapters 1-3 that changes a parameter, built with its values on tiny inputs.

And every fenced ``python`` block in those chapters' prose (and in the book pages beside them)
runs here, read from the notebook itself, so a snippet on a page cannot rot unseen.
"""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

from mgr_utils import SR, features, plotting, synthetic
from mgr_utils.cache import extract, side_arrays
from mgr_utils.classical import LBPZoneSVM
from mgr_utils.datasets import load_synthetic
from mgr_utils.evaluation import aggregate_segments, clip_metrics
from mgr_utils.splits import split_dataset

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _markdown(notebook: str) -> str:
    nb = json.loads((NOTEBOOKS / notebook).read_text())
    return "\n".join(
        "".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown"
    )


def _code_cell(notebook: str, marker: str) -> str:
    nb = json.loads((NOTEBOOKS / notebook).read_text())
    cells = [
        "".join(c["source"])
        for c in nb["cells"]
        if c["cell_type"] == "code" and marker in "".join(c["source"])
    ]
    assert len(cells) == 1, f"{len(cells)} cells of {notebook} hold {marker!r}"
    return cells[0]


def python_blocks(text: str) -> list[str]:
    """The fenced ``python`` blocks of a Markdown text, dedented (list items indent them)."""
    pattern = re.compile(r"^([ \t]*)```python[^\n]*\n(.*?)^\1```", re.M | re.S)
    return [textwrap.dedent(m.group(2)) for m in pattern.finditer(text)]


def test_python_blocks_are_found_in_list_items_and_dedented():
    text = (
        "1. Try:\n\n   ```python\n   x = 1\n   y = x + 1\n   ```\n\n```bash\nls\n```\n"
    )
    assert python_blocks(text) == ["x = 1\ny = x + 1\n"]


BLOCKS = {
    "01_datasets.ipynb": 1,
    "02_spectrograms.ipynb": 1,
    "03_texture_features.ipynb": 1,
}
"""How many fenced python blocks each chapter holds; each one runs in a test below."""


@pytest.mark.parametrize("notebook", sorted(BLOCKS))
def test_every_python_block_of_the_chapter_is_one_this_file_runs(notebook):
    assert len(python_blocks(_markdown(notebook))) == BLOCKS[notebook]


@pytest.mark.parametrize("page", ["intro.md", "glossary.md", "papers.md"])
def test_the_book_pages_hold_no_untested_python_block(page):
    assert python_blocks((ROOT / "book" / page).read_text()) == []


def _tiny_clips(n_per_genre: int, duration: float, genres=None):
    clips = load_synthetic(n_per_genre, duration=duration, seed=0)
    if genres is not None:
        clips = clips.subset([i for i, c in enumerate(clips) if c.genre in genres])
    return clips


# ============================================================================= chapter 1


def test_ch1_exercise_1_five_clips_of_two_genres_and_another_listen_length():
    clips = _tiny_clips(5, 2.0)
    LISTEN_SECONDS = 1.5
    picked = [c for c in clips if c.genre in ("rock", "pop")]
    examples = {
        f"{c.genre} {c.clip_id}": c.load()[: int(LISTEN_SECONDS * c.sr)] for c in picked
    }
    assert len(examples) == 10
    fig = plotting.plot_clip_spectrograms(examples, SR, "rock and pop")
    assert sum(1 for ax in fig.axes if ax.axison and ax.get_title()) == 10


def test_ch1_exercise_2_fifty_clips_per_genre_split_and_topped_up():
    clips = load_synthetic(50, duration=1.0, seed=0)  # nothing is rendered here
    train, valid, test = split_dataset(clips, "stratified", seed=0, test_per_genre=15)
    assert set(train.counts().values()) == {30}
    assert set(valid.counts().values()) == {10}
    assert set(test.counts().values()) == {15}  # 10 of the split's own, 5 fresh


def test_ch1_exercise_3_the_snippet_compares_both_borrowing_rates(capsys):
    (snippet,) = python_blocks(_markdown("01_datasets.ipynb"))
    assert "BORROW_PROB" in snippet
    namespace = {"N_PER_GENRE": 3, "DURATION": 0.25, "SEED": 0}
    try:
        exec(compile(snippet, "chapter 1, exercise 3", "exec"), namespace)
    finally:
        borrow = synthetic.BORROW_PROB
        synthetic.BORROW_PROB = 0.3
    assert borrow == 0.3  # the snippet puts the book's value back
    out = capsys.readouterr().out
    assert "BORROW_PROB = 0.3:" in out and "BORROW_PROB = 0.0:" in out


def test_ch1_exercise_3_the_constant_changes_what_is_rendered(monkeypatch):
    before = [synthetic.render("rock", seed=s, duration=0.5) for s in range(12)]
    monkeypatch.setattr(synthetic, "BORROW_PROB", 0.0)
    after = [synthetic.render("rock", seed=s, duration=0.5) for s in range(12)]
    changed = sum(not np.array_equal(a, b) for a, b in zip(before, after))
    assert 0 < changed < 12  # some clips borrowed a part, not all of them


def test_ch1_exercise_4_the_two_gtzan_splits_differ_as_the_exercise_says(shared_data):
    from mgr_utils import GENRES
    from mgr_utils.datasets import Clip, ClipSet, clip_id

    gtzan = ClipSet(
        [Clip(clip_id(g, i), g) for g in GENRES for i in range(100)], "gtzan"
    )
    lists = shared_data / "gtzan_splits"
    filtered = split_dataset(gtzan, "filtered", lists_dir=lists)
    stratified = split_dataset(gtzan, "stratified", seed=0)
    assert [len(s) for s in filtered] == [443, 197, 290]
    assert 1000 - sum(len(s) for s in filtered) == 70
    assert [round(len(s), -1) for s in stratified] == [600, 200, 200]


# ============================================================================= chapter 2


@pytest.mark.parametrize("n_fft", [1024, 4096])
def test_ch2_exercise_1_half_and_double_n_fft(n_fft):
    hop = n_fft // 4
    y = synthetic.render("disco", seed=0, duration=2.0)
    S = features.stft_magnitude(y, n_fft=n_fft, hop_length=hop)
    assert S.shape == (1 + n_fft // 2, features.n_frames(y.size, hop))
    plotting.plot_stft_scales(S, SR, hop)
    M_fb = features.mel_filterbank(sr=SR, n_fft=n_fft, n_mels=128)
    M = features.mel_spectrogram(S=S, sr=SR, n_mels=128)
    import librosa

    freqs = librosa.fft_frequencies(sr=SR, n_fft=n_fft)
    plotting.plot_mel_filterbank(M_fb, freqs, M, SR, hop)
    L = features.log_mel(y, SR, n_fft=n_fft, hop_length=hop)
    plotting.plot_log_compression(M, L, SR, hop)


def test_ch2_exercise_2_thirty_two_mel_bands_invert():
    import librosa

    y = synthetic.render("jazz", seed=0, duration=1.0)
    S = features.stft_magnitude(y, n_fft=2048, hop_length=512)
    M = features.mel_spectrogram(S=S, sr=SR, n_mels=32)
    assert M.shape[0] == 32
    y_mel = librosa.feature.inverse.mel_to_audio(
        M=M, sr=SR, n_fft=2048, hop_length=512, n_iter=4
    )
    assert abs(y_mel.size - y.size) < 512


@pytest.mark.parametrize(("overlap", "count"), [(0.0, 10), (0.5, 19), (0.75, 37)])
def test_ch2_exercise_4_segments_of_a_30_s_clip(overlap, count):
    sr = 1000  # the counts depend on seconds only
    y = np.zeros(30 * sr, dtype=np.float32)
    segs = features.segment(y, sr, seconds=3.0, overlap=overlap)
    L_seg = 3 * sr
    assert segs.shape[0] == count
    assert count == features.n_segments(y.size, L_seg, round(L_seg * (1 - overlap)))


def test_ch2_exercise_5_another_n_mels_misses_and_a_broken_entry_is_recomputed(
    tmp_path,
):
    clips = _tiny_clips(1, 0.5, genres=("blues", "rock"))
    params = {"n_fft": 2048, "hop_length": 512, "n_mels": 128}
    run = extract(clips, features.log_mel, params, cache_dir=tmp_path, n_jobs=1)
    assert run.misses == 2
    again = extract(
        clips, features.log_mel, params | {"n_mels": 96}, cache_dir=tmp_path, n_jobs=1
    )
    assert (again.hits, again.misses) == (0, 2)
    assert again.features[0].shape[0] == 96
    for entry in tmp_path.rglob("*.npy"):  # every entry overwritten with garbage
        entry.write_bytes(b"garbage")
    third = extract(clips, features.log_mel, params, cache_dir=tmp_path, n_jobs=1)
    assert (third.hits, third.misses) == (0, 2)  # deleted and recomputed, no error
    np.testing.assert_array_equal(third.features[0], run.features[0])


def _ch2_experiment(segment_seconds: float) -> dict:
    """Chapter 2's last experiment (its own cell) on tiny clips with these seconds."""
    clips = _tiny_clips(5, 7.0, genres=("blues", "disco", "metal"))
    namespace = {
        "np": np,
        "features": features,
        "extract": extract,
        "side_arrays": side_arrays,
        "clip_metrics": clip_metrics,
        "aggregate_segments": aggregate_segments,
        "split_dataset": split_dataset,
        "clips": clips,
        "SPLIT": "stratified",
        "SEED": 0,
        "TEST_PER_GENRE": None,
        "params": {"n_fft": 2048, "hop_length": 512, "n_mels": 128},
        "CACHE_DIR": None,
        "N_JOBS": 1,
        "L_seg": int(round(segment_seconds * SR)),
        "HOP_LENGTH": 512,
        "OVERLAP": 0.5,
    }
    cell = _code_cell("02_spectrograms.ipynb", "from sklearn.neighbors import")
    exec(compile(cell, "chapter 2, last experiment", "exec"), namespace)
    return namespace


@pytest.mark.parametrize(("seconds", "per_clip"), [(1.0, 12), (6.0, 1)])
def test_ch2_exercise_6_the_experiment_with_other_segment_lengths(seconds, per_clip):
    ns = _ch2_experiment(seconds)
    assert ns["m_clip"]["n_clips"] == ns["m_seg"]["n_clips"] == 3
    assert all(len(s) == per_clip for s in ns["S_test"])
    # 10 s clips (the exercise's) hold two 6 s segments at 50 % overlap
    assert features.n_segments(10 * SR, 6 * SR, 3 * SR) == 2


def test_ch2_exercise_6_the_sum_rule_snippet(capsys):
    ns = _ch2_experiment(1.0)
    capsys.readouterr()  # the experiment's own lines
    (snippet,) = python_blocks(_markdown("02_spectrograms.ipynb"))
    exec(compile(snippet, "chapter 2, exercise 6", "exec"), ns)
    assert capsys.readouterr().out.startswith("sum rule:")
    # decisions are class labels (three of the ten), not column numbers
    assert set(ns["decided"]) <= set(ns["y_test"])
    np.testing.assert_allclose(ns["scores"].sum(axis=1), 1.0)
    assert ns["summed"].shape == (3, 3)


# ============================================================================= chapter 3


def _texture_set(**params):
    clips = _tiny_clips(4, 2.0, genres=("classical", "metal", "reggae"))
    tex = extract(clips, features.texture_features, params, n_jobs=1, use_cache=False)
    return clips, tex


@pytest.mark.parametrize("R", [1, 3])
def test_ch3_exercise_1_another_lbp_radius(R):
    clips, tex = _texture_set(lbp_R=R)
    X = np.stack([f["lbp"] for f in tex.features])
    assert X.shape == (12, 15, 59)
    clf = LBPZoneSVM(seed=0, C_grid=(10.0,), gamma_grid=("scale",)).fit(X, clips.labels)
    assert set(clf.choose_rule(X, clips.labels)) == {"sum", "product", "max", "min"}
    L = tex.features[0]["log_mel"]
    Q = features.quantize(L, 256)
    codes = features.lbp(Q, P=8, R=R, method="nri_uniform")[R:-R, R:-R]
    hist = np.bincount(codes.astype(int).ravel(), minlength=59) / codes.size
    plotting.plot_lbp_codes(Q, codes, hist, 8, R, n_cols=40, frame_seconds=512 / SR)


def test_ch3_exercise_2_the_uniform_lbp_snippet(capsys):
    clips, tex = _texture_set()
    train, valid = clips.subset(range(0, 12, 2)), clips.subset(range(1, 12, 2))
    namespace = {
        "np": np,
        "features": features,
        "LBPZoneSVM": LBPZoneSVM,
        "side_arrays": side_arrays,
        "tex": tex,
        "everyone": clips,
        "train": train,
        "valid": valid,
        "N_ZONES": 15,
        "LBP_P": 8,
        "LBP_R": 2,
        "SEED": 0,
        "N_JOBS": 1,
        "rule": "product",
        "valid_by_rule": {"product": 0.5},
    }
    (snippet,) = python_blocks(_markdown("03_texture_features.ipynb"))
    exec(compile(snippet, "chapter 3, exercise 2", "exec"), namespace)
    assert namespace["X_uniform"].shape == (12, 15, 10)
    assert "of the validation clips; nri_uniform: 50.0%" in capsys.readouterr().out


@pytest.mark.parametrize("n_zones", [1, 5, 30])
def test_ch3_exercise_3_other_numbers_of_zones(n_zones):
    clips, tex = _texture_set(n_zones=n_zones)
    X = np.stack([f["lbp"] for f in tex.features])
    assert X.shape == (12, n_zones, 59)
    clf = LBPZoneSVM(seed=0, C_grid=(10.0,), gamma_grid=("scale",)).fit(X, clips.labels)
    scores = clf.choose_rule(X, clips.labels)
    edges = features.zone_edges(128, n_zones)
    labels = plotting.zone_labels(edges, features.mel_band_centres(SR, 128))
    zone_acc = [
        np.mean(clf.classes_[P.argmax(1)] == clips.labels) for P in clf.zone_proba(X)
    ]
    plotting.plot_zone_accuracies(zone_acc, labels, scores[clf.rule], clf.rule, 1 / 3)


@pytest.mark.parametrize("levels", [8, 32])
def test_ch3_exercise_6_other_numbers_of_grey_levels(levels):
    clips, tex = _texture_set(glcm_levels=levels)
    glcms = [f["glcm"] for f in tex.features]
    assert glcms[0].shape[1:] == (levels, levels, 4)
    np.testing.assert_allclose(glcms[0][0].sum(axis=(0, 1)), 1.0, rtol=1e-5)
    fig = plotting.plot_genre_glcms(glcms, [c.genre for c in clips], clips.classes)
    assert f"{levels} grey levels" in fig._suptitle.get_text()
    steps = features.glcm_level_steps(clips[0].load(), SR, levels=levels)
    assert np.all(steps > 0)
