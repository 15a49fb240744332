"""The page "Classify your own music": its tables, sentences, figure, and its two paths.

The helpers take :func:`mgr_utils.predict.predict_file`'s plain data, so most tests build
that data by hand; one saves a tiny system and runs the real path, and one executes the page
itself on a models folder with nothing in it (it must say which command builds the systems,
not fail).
"""

from __future__ import annotations

import json
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import soundfile as sf  # noqa: E402

import bookbuild as book  # noqa: E402
from mgr_utils import own_music, predict, saving  # noqa: E402
from mgr_utils.datasets import load_synthetic  # noqa: E402
from conftest import save_small_svm  # noqa: E402

PAGE = "classify_your_music"


def answer(system_id, chapter, classes, probs, *, name=None, timeline=None, **extra):
    """One system's answer as :func:`mgr_utils.predict.system_answer` returns it."""
    probs = np.asarray(probs, dtype=float)
    order = np.argsort(-probs, kind="stable")
    out = {
        "system_id": system_id,
        "dataset": extra.pop("dataset", "folder"),
        "chapter": chapter,
        "name": name or system_id,
        "classes": list(classes),
        "scores": extra.pop("scores", "probabilities"),
        "rule": "sum",
        "level": "segment",
        "test_accuracy": extra.pop("test_accuracy", 0.75),
        "n_test": extra.pop("n_test", 8),
        "segment_seconds": 1.0,
        "hop_seconds": 1.0,
        "window_seconds": None,
        "top": [
            {"class": classes[i], "probability": float(probs[i])} for i in order[:3]
        ],
        "probabilities": dict(zip(classes, probs.tolist())),
        "timeline": timeline or [],
    }
    out.update(extra)
    return out


CLASSES = ["Bossa Nova", "Drum & Bass", "Tango", "k|pop"]


def result(*answers, skipped=()):
    return {
        "file": "/somewhere/song.flac",
        "duration_seconds": 4.0,
        "systems": list(answers),
        "skipped": list(skipped),
    }


def seg(start, end, cls, p):
    return {"start": start, "end": end, "class": cls, "probability": p}


def test_answers_table_one_row_per_system_in_chapter_order():
    r = result(
        answer(
            "b",
            "11_transfer_learning",
            CLASSES,
            [0.1, 0.2, 0.3, 0.4],
            name="Probe",
            scores="softmax of decision values",
        ),
        answer(
            "a",
            "04_costa_cnn",
            CLASSES,
            [0.6, 0.1, 0.2, 0.1],
            name="Costa's CNN",
            test_accuracy=0.625,
            n_test=8,
        ),
        {
            **answer("c", "07_raw_audio", CLASSES, [1, 0, 0, 0], name="Sample CNN"),
            "error": "too short for this system: 2.7 s needed",
        },
        skipped=[{"system": "folder/d", "error": "its model is missing"}],
    )
    del r["systems"][2]["top"]
    table = own_music.answers_table(r)
    lines = table.splitlines()
    assert lines[0] == "| system | chapter | test accuracy | 1st | 2nd | 3rd |"
    assert lines[2] == (
        "| Costa's CNN | 4 | 62.5 % (8 clips) | Bossa Nova 60 % | Tango 20 % | "
        "Drum & Bass 10 % |"
    )
    assert lines[3].startswith("| Sample CNN | 7 | 75.0 % (8 clips) | too short")
    assert lines[4] == (
        "| Probe | 11 | 75.0 % (8 clips) | k\\|pop 40 %* | Tango 30 %* | "
        "Drum & Bass 20 %* |"
    ), "a | in a class name is escaped, a score that is no probability starred"
    assert "\\* the softmax of a linear SVM's decision values" in table
    assert "Not run: folder/d: its model is missing" in table


def test_answers_sentence_counts_first_classes_and_the_label():
    a = answer("a", "04_x", CLASSES, [0.6, 0.1, 0.2, 0.1])
    b = answer("b", "05_x", CLASSES, [0.5, 0.1, 0.3, 0.1])
    c = answer("c", "06_x", CLASSES, [0.1, 0.1, 0.7, 0.1])
    d = answer("d", "07_x", CLASSES, [0.1, 0.6, 0.2, 0.1])
    assert own_music.answers_sentence(result(a, b, c, d)) == (
        "Of the 4 systems, 2 put **Bossa Nova** first, 1 **Drum & Bass** and 1 **Tango**."
    )
    assert own_music.answers_sentence(result(a, b, c), "Tango") == (
        "Of the 3 systems, 2 put **Bossa Nova** first, 1 **Tango**. "
        "The clip is labelled **Tango**: 1 of the 3 put it first."
    )
    assert own_music.answers_sentence(result(a, b), "Bossa Nova") == (
        "All 2 systems put **Bossa Nova** first. "
        "The clip is labelled **Bossa Nova**: 2 of the 2 put it first."
    )
    assert own_music.answers_sentence(result(c), "Tango") == (
        "The one system puts **Tango** first (70 %). "
        "The clip is labelled **Tango**: the system puts it first."
    )
    assert own_music.answers_sentence(result(c), "Bossa Nova").endswith(
        "the system does not put it first."
    )
    assert own_music.answers_sentence(result(a), "blues").endswith(
        "labelled **blues**, a class no system learned."
    )
    broken = {**answer("e", "07_x", CLASSES, [1, 0, 0, 0]), "error": "too short"}
    del broken["top"]
    assert own_music.answers_sentence(result(broken)).startswith("No system could")


def test_trained_on_note_follows_the_systems_dataset():
    genres = [f"g{i}" for i in range(10)]
    synthetic = answer("a", "04_x", genres, np.full(10, 0.1), dataset="synthetic")
    note = own_music.trained_on_note(result(synthetic))
    assert "synthetic set: 10 genres" in note and "say little" in note
    folder = answer("a", "04_x", CLASSES, [0.6, 0.1, 0.2, 0.1])
    assert own_music.trained_on_note(result(folder)) == (
        "These systems learned the dataset `folder`; they know only its 4 classes "
        "(Bossa Nova, Drum & Bass, Tango, k|pop), so any file gets one of them."
    )
    assert "ten" not in own_music.trained_on_note(result(folder))
    assert own_music.trained_on_note(result()) == ""


def test_chapter_number():
    assert own_music.chapter_number("04_costa_cnn") == "4"
    assert own_music.chapter_number("11_transfer_learning") == "11"
    assert own_music.chapter_number("appendix") == "appendix"


def test_plot_timelines_draws_each_segment_with_its_class_and_probability():
    overlapping = [
        seg(0.0, 2.0, "Tango", 0.5),
        seg(1.0, 3.0, "Bossa Nova", 1.0),
        seg(2.0, 4.0, "Tango", 0.25),
    ]
    window = [seg(0.0, 4.0, "k|pop", 0.8)]
    r = result(
        answer(
            "b",
            "07_x",
            CLASSES,
            [0.1, 0.1, 0.7, 0.1],
            name="Raw CNN",
            timeline=overlapping,
        ),
        answer("a", "03_x", CLASSES, [0.1, 0.1, 0.1, 0.7], name="SVM", timeline=window),
    )
    ax = own_music.plot_timelines(r)
    assert ax.get_xlabel() == "time (s)"
    assert "probability" in ax.get_ylabel()
    # the first system (chapter 3) on top: the y axis counts up from the bottom row
    assert [t.get_text() for t in ax.get_yticklabels()] == ["Raw CNN", "SVM"]
    assert ax.get_title() == "song.flac"
    assert ax.get_xlim() == (0.0, 4.0)
    legend = ax.get_legend()
    # every class the systems know, in their order (a class keeps its colour on any file)
    assert [t.get_text() for t in legend.get_texts()] == CLASSES
    colours = {
        t.get_text(): h.get_facecolor()
        for t, h in zip(legend.get_texts(), legend.legend_handles)
    }
    bars = ax.patches
    assert len(bars) == 4
    # row 0 (SVM): one 4 s window at height 0.8 * 0.8
    assert (bars[0].get_x(), bars[0].get_width()) == (0.0, 4.0)
    assert bars[0].get_height() == pytest.approx(0.64)
    assert bars[0].get_facecolor() == colours["k|pop"]
    # row 1: overlapping segments, each drawn until the next one starts
    assert [(b.get_x(), b.get_width()) for b in bars[1:]] == [
        (0.0, 1.0),
        (1.0, 1.0),
        (2.0, 2.0),
    ]
    assert [b.get_height() for b in bars[1:]] == pytest.approx([0.4, 0.8, 0.2])
    assert bars[2].get_facecolor() == colours["Bossa Nova"]
    assert bars[0].get_y() == pytest.approx(0.6), "the top row, from its base up"
    assert bars[1].get_y() == pytest.approx(-0.4), "the bottom row, from its base up"
    plt.close(ax.figure)


def test_clip_file_is_the_clips_own_file_or_the_rendered_samples(tmp_path):
    (clip,) = load_synthetic(n_per_genre=1, duration=1.0, genres=("blues",))
    path = own_music.clip_file(clip, tmp_path / "clips")
    y, sr = sf.read(path, dtype="float32")
    assert sr == clip.sr and path.suffix == ".wav"
    np.testing.assert_array_equal(y, clip.load())  # float WAV: the very samples
    from dataclasses import replace

    song = tmp_path / "Tango" / "a song.flac"
    song.parent.mkdir()
    sf.write(song, y, sr)
    assert own_music.clip_file(replace(clip, path=song), tmp_path / "x") == song
    assert not (tmp_path / "x").exists()


@pytest.fixture
def svm_dir(tmp_path):
    """A models folder with one small clip-level SVM of the folder dataset."""
    save_small_svm(tmp_path / "models", ("Bossa Nova", "Tango", "k-pop"))
    return tmp_path / "models"


@pytest.fixture
def song(tmp_path):
    t = np.arange(int(4.5 * 44100)) / 44100
    y = 0.3 * np.sin(2 * np.pi * 330 * t) * (1 + np.sin(2 * np.pi * 3 * t))
    path = tmp_path / "my song.wav"
    sf.write(path, np.stack([y, 0.5 * y], axis=1), 44100)  # stereo, 44.1 kHz
    return path


def test_the_helpers_on_a_real_prediction(svm_dir, song):
    r = predict.predict_file(song, models_dir=svm_dir, dataset="folder")
    (a,) = r["systems"]
    table = own_music.answers_table(r)
    assert f"| {a['name']} | 3 | 50.0 % (12 clips) | {a['top'][0]['class']} " in table
    assert own_music.answers_sentence(r).startswith("The one system puts **")
    ax = own_music.plot_timelines(r, title="my song")
    assert len(ax.patches) == 2, "4.5 s in windows of 2 s: two whole windows"
    plt.close(ax.figure)


def test_no_systems_note_names_the_command_or_the_problem(tmp_path, svm_dir, song):
    with pytest.raises(saving.NoSavedSystemsError) as none:
        predict.predict_file(song, models_dir=tmp_path / "empty", dataset="folder")
    note = own_music.no_systems_note(None, "synthetic", none.value)
    assert note.startswith("**No saved system trained on `synthetic` yet**")
    assert "`make book`" in note and "`$MGR_MODELS_DIR`" in note
    assert 'MODELS_DIR = "../_build/models"' in note
    with pytest.raises(saving.UnknownSystemError) as other:
        predict.predict_file(song, models_dir=svm_dir, dataset="gtzan")
    note = own_music.no_systems_note(svm_dir, "gtzan", other.value)
    assert "trained on `gtzan`" in note and "`MODELS_DIR`" in note
    assert "`make book-full DATA_DIR=/path/to/gtzan`" in note
    assert 'MODELS_DIR = "../_build/gtzan/models"' in note
    note = own_music.no_systems_note(None, "folder")
    assert "-p DATASET=folder -p DATA_DIR=/path/to/my-music" in note
    assert 'MODELS_DIR = "../_build/mine/models"' in note
    card = svm_dir / "folder" / "descriptor_svm.json"
    card.write_text(
        json.dumps({**json.loads(card.read_text()), "mgr_utils_version": "9"})
    )
    with pytest.raises(saving.SavedSystemError) as old:
        predict.predict_file(song, models_dir=svm_dir, dataset="folder")
    note = own_music.no_systems_note(svm_dir, "folder", old.value)
    assert note.startswith("**The saved systems trained on `folder` cannot be used.**")
    assert "saved by mgr_utils 9" in note and "`make book`" in note


def test_the_page_runs_after_every_chapter_that_saves_and_before_chapter_10():
    notebooks = book.toc_notebooks()
    order = [nb.stem for nb in book.execution_order(notebooks)]
    assert PAGE in order, "the page is in the toc"
    savers = [
        nb.stem
        for nb in notebooks
        if "MODELS_DIR" in book.declared_parameters(nb) and nb.stem != PAGE
    ]
    assert savers and all(order.index(s) < order.index(PAGE) for s in savers)
    assert order[-1] == "10_results"
    toc = book.toc_entries()
    assert toc.index(f"notebooks/{PAGE}") < toc.index("book/glossary")


def test_the_page_declares_the_chapters_data_parameters():
    (nb,) = [nb for nb in book.toc_notebooks() if nb.stem == PAGE]
    declared = book.declared_parameters(nb)
    for name in ("DATASET", "DATA_DIR", "CLASSES", "LABELS", "DURATION", "MODELS_DIR"):
        assert name in declared, name
    assert declared["FILE"].default is None
    assert "RESULTS_DIR" not in declared, "the page writes no results record"


@pytest.mark.book
def test_the_page_without_saved_systems_says_which_command_builds_them(
    tmp_path, song, monkeypatch
):
    """The page itself, executed on a reader's file with an empty models folder."""
    import nbformat
    import papermill

    (nb,) = [nb for nb in book.toc_notebooks() if nb.stem == PAGE]
    out = tmp_path / "out.ipynb"
    monkeypatch.setenv("PYTHONPATH", str(book.REPO_ROOT))  # the kernel inherits both
    monkeypatch.setenv("MGR_CACHE_DIR", str(tmp_path / "c"))
    papermill.execute_notebook(
        str(nb),
        str(out),
        parameters={"FILE": str(song), "MODELS_DIR": str(tmp_path / "none")},
        kernel_name=book.KERNEL_NAME,
        cwd=str(nb.parent),
        progress_bar=False,
    )
    executed = nbformat.read(str(out), as_version=4)
    shown = json.dumps([c.get("outputs", []) for c in executed.cells])
    assert "No saved system trained on `synthetic` yet" in shown
    assert "make book" in shown
    assert "your file: my song.wav" in shown
    assert '"output_type": "error"' not in shown


def test_several_saved_networks_in_a_row_print_no_retracing_warning():
    """Each network is traced once; TensorFlow counted them together and warned on the page."""
    import logging

    import keras
    import tensorflow as tf

    seen = []

    class Keep(logging.Handler):
        def emit(self, record):
            seen.append(record.getMessage())

    keep = Keep()
    tf.get_logger().addHandler(keep)
    try:
        for _ in range(7):
            net = keras.Sequential(
                [keras.Input((4,)), keras.layers.Dense(3, activation="softmax")]
            )
            P, _ = saving.class_scores(net, np.ones((2, 4), np.float32), 3)
            assert P.shape == (2, 3)
    finally:
        tf.get_logger().removeHandler(keep)
    assert not [m for m in seen if "retracing" in m], seen
