"""DATASET = "folder": any labelled collection (class folders or a CSV), its splits."""

from __future__ import annotations

import shutil
import unicodedata
import warnings

import numpy as np
import pytest
import soundfile as sf

from mgr_utils import GENRES, SR
from mgr_utils.datasets import (
    FOLDER_CLASSES,
    Clip,
    ClipSet,
    FolderError,
    FolderNotFoundError,
    describe_collection,
    load_dataset,
    load_folder,
    load_synthetic,
    write_folder_collection,
)
from mgr_utils.splits import (
    group_split,
    kfold_splits,
    min_clips_per_class,
    split_dataset,
)

CLASSES = ("Bossa Nova", "Drum & Bass", "Tango", "k-pop")
"""The generated collection's classes in sorted order (Python's: capitals first)."""


def tone(seconds=1.0, sr=SR, channels=1, hz=440.0):
    t = np.arange(int(seconds * sr)) / sr
    y = 0.3 * np.sin(2 * np.pi * hz * t).astype(np.float32)
    return y if channels == 1 else np.stack([y, 0.5 * y], axis=1)


def write_classes(root, counts, ext="wav", seconds=0.3):
    """``root/<class>/clip NN.<ext>``: ``counts[class]`` short tones each; ``root``."""
    for name, n in counts.items():
        (root / name).mkdir(parents=True, exist_ok=True)
        for i in range(n):
            sf.write(root / name / f"clip {i:02d}.{ext}", tone(seconds), SR)
    return root


def write_table(root, text):
    root.mkdir(parents=True, exist_ok=True)
    (root / "labels.csv").write_text(text, encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def collection(tmp_path_factory):
    """The CI collection, small: 5 clips of 1 s per class."""
    dest = tmp_path_factory.mktemp("collection") / "my music"
    return write_folder_collection(
        dest, n_per_class=5, duration=1.0, n_jobs=1, progress=False
    )


@pytest.fixture(scope="module")
def table(tmp_path_factory):
    """The CI collection's CSV variant: 10 clips of 0.5 s per class, 5 artists each."""
    dest = tmp_path_factory.mktemp("table")
    return write_folder_collection(
        dest, n_per_class=10, duration=0.5, table=True, n_jobs=1, progress=False
    )


def load_quietly(*args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return load_folder(*args, **kwargs)


# ------------------------------------------------------------------------- the layouts


def test_the_ci_collection_loads_with_its_faults_counted(collection):
    with pytest.warns(
        UserWarning,
        match=r"skipping Drum & Bass/neuro/broken mix\.wav \(a file of the "
        r"collection\): not readable audio",
    ) as caught:
        clips = load_folder(collection)
    # named by its path inside the collection: no machine path printed on a page
    assert not [w for w in caught if str(collection) in str(w.message)]
    assert clips.name == "folder" and clips.root == collection
    assert clips.classes == CLASSES and set(FOLDER_CLASSES) == set(CLASSES)
    assert clips.counts() == {c: 5 for c in CLASSES} and len(clips) == 20
    assert list(clips.labels) == [i for i in range(4) for _ in range(5)]
    assert [c.label for c in clips] == list(clips.labels)
    assert clips.ignored_counts == {"not audio": 1, "hidden": 1}
    assert dict(clips.ignored) == {
        "Bossa Nova/João Gilberto/liner notes.txt": "not audio",
        "Tango/.DS_Store": "hidden",
    }
    assert len(clips.skipped) == 1 and clips.skipped[0][0].endswith("broken mix.wav")
    assert clips.groups is None and all(c.group is None for c in clips)
    # nested folders, free names, every format the generator writes
    assert {c.path.suffix for c in clips} == {".wav", ".flac", ".ogg", ".mp3"}
    assert any(c.clip_id.count("/") >= 3 for c in clips)
    assert "k-pop/앨범/디럭스 에디션/곡 2 (remix).flac" in clips.ids
    assert describe_collection(clips) == (
        "4 classes (Bossa Nova 5, Drum & Bass 5, Tango 5, k-pop 5): 20 clips; "
        "1 unreadable file skipped; 2 files ignored (1 not audio, 1 hidden)."
    )
    # decoded at the book's rate, mono, whatever the file
    rates = {sf.info(str(c.path)).samplerate for c in clips}
    channels = {sf.info(str(c.path)).channels for c in clips}
    assert rates == {16000, 22050, 44100} and channels == {1, 2}
    for c in clips[:8]:
        y = c.load()
        assert y.ndim == 1 and y.dtype == np.float32
        assert (
            abs(y.size - SR) < 0.06 * SR
        )  # 1 s (an MP3 carries its encoder's padding)


def test_load_dataset_dispatches_folder_and_guards_its_parameters(collection):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clips = load_dataset(
            "folder",
            data_dir=collection,
            n_per_genre=20,
            seed=0,
            duration=0.5,
            classes=None,
            labels=None,
        )
    assert clips.classes == CLASSES and all(c.duration == 0.5 for c in clips)
    assert clips[0].load().size == SR // 2
    with pytest.raises(ValueError, match="CLASSES apply to DATASET = 'folder' only"):
        load_dataset("synthetic", classes=["a", "b"], n_per_genre=1, duration=0.1)
    with pytest.raises(ValueError, match=r"DATASET must be one of .*'folder'"):
        load_dataset("folders", data_dir=collection)


def test_every_format_rate_and_channel_count_is_decoded_to_mono_at_sr(tmp_path):
    files = {
        "a/16k stereo.wav": ("WAV", "PCM_16", 16000, 2),
        "a/44k mono.flac": ("FLAC", "PCM_24", 44100, 1),
        "a/22k stereo.ogg": ("OGG", "VORBIS", 22050, 2),
        "b/44k stereo.mp3": ("MP3", "MPEG_LAYER_III", 44100, 2),
        "b/8k mono.au": ("AU", "PCM_16", 8000, 1),
        "b/48k stereo.aiff": ("AIFF", "PCM_16", 48000, 2),
        "b/32k mono.WAV": ("WAV", "FLOAT", 32000, 1),
    }
    for rel, (fmt, subtype, sr, ch) in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        sf.write(tmp_path / rel, tone(1.0, sr, ch), sr, format=fmt, subtype=subtype)
    clips = load_folder(tmp_path, min_per_class=3)
    assert sorted(clips.ids) == sorted(files) and not clips.skipped
    for c in clips:
        y = c.load()
        assert y.ndim == 1 and c.sr == SR
        assert abs(y.size - SR) < 0.06 * SR, c.clip_id
        spectrum = np.abs(np.fft.rfft(y[: SR // 2]))
        peak_hz = np.argmax(spectrum) * SR / (SR // 2)
        assert abs(peak_hz - 440) <= 4, c.clip_id  # the pitch survives the resampling


def test_hidden_folders_files_outside_classes_and_unknown_endings(tmp_path):
    write_classes(tmp_path, {"rock": 5, "folk": 5})
    (tmp_path / ".git" / "objects").mkdir(parents=True)
    (tmp_path / ".git" / "objects" / "x.wav").write_bytes(b"not counted one by one")
    (tmp_path / "__MACOSX" / "rock").mkdir(parents=True)
    (tmp_path / "rock" / "._clip 00.wav").write_bytes(b"AppleDouble")
    (tmp_path / "README.md").write_text("my collection")
    (tmp_path / "folk" / "cover.jpg").write_bytes(b"\xff\xd8")
    (tmp_path / "folk" / "old").mkdir()
    (tmp_path / "folk" / "old" / ".hidden take.flac").write_bytes(b"")
    clips = load_folder(tmp_path)
    assert clips.classes == ("folk", "rock") and len(clips) == 10
    assert dict(clips.ignored) == {
        ".git/": "hidden",
        "README.md": "outside the class folders",
        "__MACOSX/": "hidden",
        "folk/cover.jpg": "not audio",
        "folk/old/.hidden take.flac": "hidden",
        "rock/._clip 00.wav": "hidden",
    }


def test_an_unreadable_m4a_says_how_to_read_it(tmp_path):
    write_classes(tmp_path, {"rock": 5, "folk": 5})
    (tmp_path / "rock" / "song.m4a").write_bytes(b"\x00\x00\x00\x18ftypM4A not really")
    with pytest.warns(
        UserWarning,
        match=r"song\.m4a \(a file of the collection\): not readable audio .*ffmpeg",
    ):
        clips = load_folder(tmp_path)
    assert len(clips) == 10 and clips.skipped[0][0].endswith("song.m4a")


# ---------------------------------------------------------------------- ids and caches


def test_ids_are_relative_paths_stable_across_loads_moves_and_unicode_forms(
    collection, tmp_path
):
    first = load_quietly(collection)
    assert load_quietly(collection).ids == first.ids
    moved = shutil.copytree(collection, tmp_path / "elsewhere")
    again = load_quietly(moved)
    assert again.ids == first.ids and again.labels.tolist() == first.labels.tolist()
    assert all(c.path.relative_to(moved).as_posix() == c.clip_id for c in again)
    assert len(set(first.ids)) == len(first)
    # a name stored decomposed (as macOS does) gets the composed id a reader types
    nfd = unicodedata.normalize("NFD", "Forró")
    write_classes(tmp_path / "nfd", {nfd: 5, "Samba": 5})
    clips = load_folder(tmp_path / "nfd")
    assert clips.classes == ("Forró", "Samba") and clips.ids[0] == "Forró/clip 00.wav"


def test_the_feature_cache_keys_folder_clips_by_their_file(tmp_path):
    from mgr_utils.cache import extract

    write_classes(tmp_path / "data", {"Tango": 5, "k-pop": 5})
    clips = load_folder(tmp_path / "data")
    cache = tmp_path / "cache"
    first = extract(clips, _rms, cache_dir=cache, n_jobs=1, progress=False)
    again = extract(clips, _rms, cache_dir=cache, n_jobs=1, progress=False)
    assert (first.misses, again.hits) == (10, 10)
    np.testing.assert_array_equal(np.array(first.features), np.array(again.features))
    sf.write(clips[0].path, 0.5 * tone(0.3), SR)  # replaced: new size or time, new key
    edited = load_folder(tmp_path / "data")
    third = extract(edited, _rms, cache_dir=cache, n_jobs=1, progress=False)
    assert third.misses == 1 and third.hits == 9


def _rms(y, sr):
    return np.array([np.sqrt(np.mean(y**2))])


# ------------------------------------------------------------------------- class order


def test_classes_fix_the_label_order(collection):
    order = ["Tango", "k-pop", "Bossa Nova", "Drum & Bass"]
    clips = load_quietly(collection, classes=order)
    assert clips.classes == tuple(order)
    assert [c.genre for c in clips][::5] == order  # clips come class by class
    assert clips.labels.tolist() == [i for i in range(4) for _ in range(5)]
    assert clips.by_ids([clips.ids[-1]]).labels.tolist() == [3]


@pytest.mark.parametrize(
    "classes, match",
    [
        (
            ["Tango", "k-pop", "Bossa Nova"],
            r"leaves out the class\(es\) \['Drum & Bass'\]",
        ),
        (
            ["Tango", "k-pop", "Bossa Nova", "Drum & Bass", "Samba"],
            r"holds no class \['Samba'\]",
        ),
        (
            ["Tango", "Tango", "k-pop", "Bossa Nova", "Drum & Bass"],
            r"names \['Tango'\] twice",
        ),
        ("Tango,k-pop,Bossa Nova,Drum & Bass", "takes a list of class names"),
    ],
)
def test_a_class_list_that_does_not_name_the_collection_is_an_error(
    collection, classes, match
):
    with pytest.raises(FolderError, match=match):
        load_quietly(collection, classes=classes)


# ----------------------------------------------------------------------- the CSV table


def test_the_table_with_groups_keeps_each_group_on_one_side(table):
    with pytest.warns(UserWarning, match="broken mix.wav"):
        clips = load_folder(table)
    assert clips.classes == CLASSES and clips.counts() == {c: 10 for c in CLASSES}
    assert clips.ignored_counts == {"hidden": 1, "not audio": 1}
    assert clips.root == table and clips.ids[0].startswith("audio/Bossa Nova artist ")
    assert len(set(clips.groups)) == 20
    for seed in range(6):
        sides = split_dataset(clips, method="stratified", seed=seed, test_per_genre=15)
        groups = [{c.group for c in side} for side in sides]
        assert not groups[0] & groups[1] and not groups[0] & groups[2]
        assert not groups[1] & groups[2]
        assert all(side.genres == CLASSES for side in sides), seed
        assert sum(len(s) for s in sides) == len(clips)
        assert [len(s) for s in sides] == [24, 8, 8]  # 5 then 4 folds of equal groups
    assert split_dataset(clips, seed=1)[2].ids == split_dataset(clips, seed=1)[2].ids
    assert split_dataset(clips, seed=1)[2].ids != split_dataset(clips, seed=2)[2].ids
    tested = []
    for train, test in kfold_splits(clips, k=5, seed=0):
        assert not {c.group for c in train} & {c.group for c in test}
        tested += test.ids
    assert sorted(tested) == sorted(clips.ids)


def test_a_table_elsewhere_and_rows_without_group(tmp_path):
    write_classes(tmp_path / "audio", {"a": 5, "b": 5})
    rows = ["path,label,group"] + [
        f"audio/{c}/clip {i:02d}.wav,{c.upper()},{'' if i < 2 else f'{c}{i % 3}'}"
        for c in "ab"
        for i in range(5)
    ]
    write_table(tmp_path / "meta", "")
    (tmp_path / "meta" / "labels.csv").unlink()
    (tmp_path / "mine.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    clips = load_folder(tmp_path / "meta", labels="../mine.csv", min_per_class=2)
    assert clips.classes == ("A", "B") and clips.root == tmp_path
    groups = dict(zip(clips.ids, clips.groups))
    assert groups["audio/a/clip 00.wav"] == "audio/a/clip 00.wav"  # a group of its own
    assert groups["audio/a/clip 04.wav"] == "a1"
    same = load_folder(None, labels=tmp_path / "mine.csv", min_per_class=2)
    assert same.ids == clips.ids


def test_a_table_with_semicolons_windows_paths_and_extra_columns(tmp_path):
    write_classes(tmp_path / "x", {"a": 5, "b": 5})
    rows = ["Path;Label;year"] + [
        f"x\\{c}\\clip {i:02d}.wav;{c};2020" for c in "ab" for i in range(5)
    ]
    write_table(tmp_path, "\n".join(rows) + "\n\n")
    clips = load_folder(tmp_path)
    assert clips.ids[0] == "x/a/clip 00.wav" and clips.groups is None


@pytest.mark.parametrize(
    "text, match",
    [
        (
            "file,genre\nx.wav,a\n",
            r"lacks the column\(s\) \['path', 'label'\].*\['file', 'genre'\]",
        ),
        ("path,label\nx/a/clip 00.wav,\n", r"line\(s\) \[2\] have no path or no label"),
        (
            "path,label\nx/a/clip 00.wav,a\nx/a/gone.wav,a\nx/b/nope.flac,b\n",
            r"names 2 file\(s\) that do not exist, e\.g\. line 3: x/a/gone\.wav; "
            "line 4",
        ),
        (
            "path,label\nx/a/clip 00.wav,a\n./x/a/clip 00.wav,b\n",
            r"'./x/a/clip 00.wav' is listed twice \(lines 2 and 3\)",
        ),
        ("path,label\n", "holds no audio files"),
    ],
)
def test_table_errors_say_what_to_fix(tmp_path, text, match):
    write_classes(tmp_path / "x", {"a": 5, "b": 5})
    write_table(tmp_path, text)
    with pytest.raises(FolderError, match=match) as info:
        load_folder(tmp_path)
    assert "path,label" in str(info.value)  # with the layout it expects


def test_group_split_needs_enough_groups_per_class(tmp_path):
    write_classes(tmp_path / "x", {"a": 6, "b": 6})
    rows = ["path,label,group"] + [
        f"x/{c}/clip {i:02d}.wav,{c},{c}{i % (3 if c == 'a' else 6)}"
        for c in "ab"
        for i in range(6)
    ]
    write_table(tmp_path, "\n".join(rows))
    with pytest.raises(
        FolderError, match=r"class 'a' has clips of 3 group\(s\).*at least 5 groups"
    ):
        load_folder(tmp_path)
    clips = load_folder(tmp_path, min_per_class=3)
    with pytest.raises(
        ValueError, match=r"class 'a' has clips of 3 group\(s\).*at least 5"
    ):
        split_dataset(clips)
    with pytest.raises(ValueError, match="fractions, not clip counts"):
        group_split(clips, fractions=(6, 3, 3))
    with pytest.raises(
        ValueError, match=r"class 'a' has 3 group\(s\), fewer than the k=5"
    ):
        kfold_splits(clips, k=5)


# ------------------------------------------------------------------------ errors first


def test_missing_unset_and_empty_folders(tmp_path):
    with pytest.raises(
        FolderNotFoundError, match="(?s)DATA_DIR is not set.*DATA_DIR/<class>"
    ):
        load_folder(None)
    with pytest.raises(FolderNotFoundError, match="no such folder"):
        load_folder(tmp_path / "nope")
    with pytest.raises(FolderNotFoundError, match=r"no such file \(LABELS\)"):
        load_folder(tmp_path, labels="other.csv")
    (tmp_path / "empty" / "rock").mkdir(parents=True)
    (tmp_path / "empty" / "rock" / "notes.txt").write_text("-")
    with pytest.raises(
        FolderError,
        match=r"holds no audio files in class sub-folders "
        r"\(ignored: \{'not audio': 1\}\)",
    ):
        load_folder(tmp_path / "empty")
    (tmp_path / "flat").mkdir()
    sf.write(tmp_path / "flat" / "song.wav", tone(0.2), SR)
    with pytest.raises(FolderError, match="holds no audio files in class sub-folders"):
        load_folder(tmp_path / "flat")


def test_a_single_class_is_an_error(tmp_path):
    write_classes(tmp_path, {"rock": 6})
    with pytest.raises(FolderError, match=r"one class only \('rock'\).*two classes"):
        load_folder(tmp_path)


def test_a_class_too_small_for_the_split_is_named_with_the_minimum(tmp_path):
    write_classes(tmp_path, {"rock": 5, "folk": 4, "jazz": 1})
    with pytest.raises(
        FolderError, match=r"class 'folk' has 4 clip\(s\).*at least 5 per class"
    ):
        load_folder(tmp_path)
    assert len(load_folder(tmp_path, min_per_class=1)) == 10
    # enough files, too few readable ones: the check after reading the headers
    write_classes(tmp_path / "two", {"rock": 5, "folk": 5})
    (tmp_path / "two" / "folk" / "clip 04.wav").write_text("broken")
    with pytest.warns(UserWarning, match="clip 04.wav"):
        with pytest.raises(FolderError, match=r"class 'folk' has 4 readable clip\(s\)"):
            load_folder(tmp_path / "two")


def test_min_clips_per_class_follows_the_fractions():
    assert min_clips_per_class() == 5
    assert min_clips_per_class((0.8, 0.1, 0.1)) == 10
    assert min_clips_per_class((0.5, 0.25, 0.25)) == 4
    assert min_clips_per_class((1 / 3, 1 / 3, 1 / 3)) == 3
    assert min_clips_per_class((6, 3, 3)) == 3


# ------------------------------------------------------------------ splits of a folder


def test_the_folder_split_is_stratified_seeded_and_knows_its_parameters(collection):
    clips = load_quietly(collection)
    train, valid, test = split_dataset(clips, seed=0, test_per_genre=15)
    assert [len(train), len(valid), len(test)] == [
        12,
        4,
        4,
    ]  # no fresh clips for a folder
    assert train.genres == valid.genres == test.genres == CLASSES
    assert train.classes == valid.classes == test.classes == CLASSES
    assert sorted(train.ids + valid.ids + test.ids) == sorted(clips.ids)
    with pytest.raises(ValueError, match="SPLIT = 'filtered' is GTZAN's"):
        split_dataset(clips, method="filtered")
    with pytest.raises(
        ValueError, match=r"class 'Bossa Nova' has 5 clip\(s\).*add clips"
    ):
        split_dataset(clips, fractions=(0.8, 0.1, 0.1))


# ---------------------------------------------------------------------- classes travel


def test_classes_are_kept_through_subsets_slices_joins_and_splits(collection):
    clips = load_quietly(collection, classes=list(reversed(CLASSES)))
    parts = [clips[2:9], clips.subset([0, 19]), clips.by_ids(clips.ids[:3])]
    parts += list(split_dataset(clips, seed=3))
    for part in parts + [parts[0] + parts[1]]:
        assert part.classes == clips.classes and part.name == "folder"
        assert part.ignored == clips.ignored and part.root == clips.root
        assert [clips.classes[y] for y in part.labels] == [c.genre for c in part]
    joined = parts[3] + parts[4]
    assert joined.skipped == clips.skipped  # both sides' skipped files, once
    with pytest.raises(ValueError, match="cannot join a set of classes"):
        clips[:2] + load_synthetic(1, duration=0.1)


def test_synthetic_and_gtzan_keep_the_ten_genres(make_gtzan, tmp_path):
    from mgr_utils.datasets import load_gtzan

    synthetic = load_synthetic(2, duration=0.1, genres=("rock", "jazz"))
    assert synthetic.classes == GENRES and synthetic.labels.tolist() == [9, 9, 5, 5]
    make_gtzan(tmp_path, ["blues", "rock"], n_per_genre=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gtzan = load_gtzan(tmp_path)
    assert gtzan.classes == GENRES and gtzan.labels.tolist() == [0, 9]


def test_a_clipset_gives_its_classes_to_its_clips():
    clips = [Clip("a/1.wav", "a"), Clip("b/1.wav", "b")]
    with pytest.raises(ValueError, match=r"\['a', 'b'\] are not among the classes"):
        ClipSet(clips, "folder")
    mine = ClipSet(clips, "folder", classes=("b", "a"))
    assert mine.labels.tolist() == [1, 0] and [c.label for c in mine] == [1, 0]
    assert ClipSet(list(mine), "folder").classes == ("b", "a")  # taken from the clips
    assert ClipSet([], "synthetic").classes == GENRES


# -------------------------------------------------------------------- users of classes


def test_evaluation_takes_the_classes_from_the_clips(collection):
    from mgr_utils.evaluation import clip_metrics
    from mgr_utils.training import Segments, evaluate_clips, evaluate_selected

    clips = load_quietly(collection)
    y = clips.labels
    P = np.eye(4)[np.repeat(y, 2)]  # two segments per clip, both right
    index = np.repeat(np.arange(len(clips)), 2)
    out = evaluate_clips(
        None, None, index, np.repeat(y, 2), segment_probs=P, clips=clips
    )
    assert out["sum"]["genres"] == list(CLASSES) and out["sum"]["accuracy"] == 1.0
    assert list(out["sum"]["per_class_recall"]) == list(CLASSES)
    side = Segments(
        X=np.zeros((len(index), 1)), y=np.repeat(y, 2), clip_index=index, clips=clips
    )
    chosen = evaluate_selected(None, side, side, valid_probs=P, test_probs=P)
    assert chosen["test"]["genres"] == list(CLASSES)
    assert np.array(chosen["test"]["confusion"]).shape == (4, 4)
    with pytest.raises(
        ValueError, match=r"label\(s\) \[4\] are not indices into the 4 classes"
    ):
        clip_metrics([0, 4], [0, 1], CLASSES)


def test_check_listening_takes_the_dataset_classes():
    from mgr_utils.auralisation import check_listening

    check_listening(2, 8, ["Tango"], classes=CLASSES)
    with pytest.raises(ValueError, match="LISTEN_GENRES must list classes of"):
        check_listening(2, 8, ["metal"], classes=CLASSES)


def test_chapter_10_counts_test_clips_per_class_of_a_folder_record():
    from mgr_utils.evaluation import clip_metrics
    from mgr_utils.report import _per_genre

    ids = ["Tango/a.wav", "Tango/b.ogg", "k-pop/c.mp3"]
    result = clip_metrics([0, 0, 1], [0, 1, 1], ("Tango", "k-pop"), clip_ids=ids)
    assert _per_genre(result) == "Tango 2, k-pop 1"


# ---------------------------------------------------------------------- the book build


def test_the_book_stops_before_running_on_an_unusable_folder(tmp_path, tiny_book):
    import bookbuild as book

    cells = [
        ("parameters", 'DATASET = "synthetic"\nDATA_DIR = None\nSPLIT = "stratified"'),
        ("code", "x = 1"),
    ]
    root = tiny_book(tmp_path / "bk", {"01_a": cells, "02_b": cells})
    build = tmp_path / "build"
    small = write_classes(tmp_path / "small", {"rock": 5, "folk": 2})
    with pytest.raises(book.BookError) as info:
        book.execute_book(
            root,
            build,
            overrides={"DATASET": "folder", "DATA_DIR": str(small)},
            log=lambda line: None,
        )
    text = str(info.value)
    assert "cannot start the run on the folder collection, nothing was executed" in text
    assert "notebooks/01_a.ipynb, notebooks/02_b.ipynb: " in text
    assert "class 'folk' has 2 clip(s)" in text and "DATA_DIR/<class>" in text
    assert not (build / "executed").exists()


@pytest.mark.parametrize(
    "params, match",
    [
        ({"DATA_DIR": None}, "DATA_DIR is not set"),
        ({"DATA_DIR": "/no/such/folder"}, "no such folder"),
        ({"CLASSES": ["Tango"]}, "does not match the collection"),
        ({"LABELS": "nope.csv"}, r"no such file \(LABELS\)"),
        ({"SPLIT": "filtered"}, "SPLIT = 'filtered' is GTZAN's split"),
    ],
)
def test_the_build_check_names_each_problem(table, params, match):
    import bookbuild as book

    plan = {"01_a": {"DATASET": "folder", "DATA_DIR": str(table), **params}}
    with pytest.raises(book.BookError, match=match):
        book.check_data(plan)


def test_the_build_check_describes_a_usable_collection(table):
    import bookbuild as book

    plan = {
        "01_a": {"DATASET": "folder", "DATA_DIR": str(table), "SPLIT": "stratified"},
        "02_b": {"DATASET": "folder", "DATA_DIR": str(table)},
        "03_c": {"DATASET": "synthetic"},
    }
    assert book.check_data(plan) == [
        f"folder collection in {table}: 4 classes (Bossa Nova 10, Drum & Bass 10, "
        "Tango 10, k-pop 10): 40 clips of 20 groups; 1 unreadable file skipped; "
        "2 files ignored (1 hidden, 1 not audio)."
    ]


def test_the_reuse_key_sees_a_table_outside_data_dir(tmp_path):
    from bookbuild.data import data_fingerprint

    write_classes(tmp_path / "audio", {"a": 1})
    (tmp_path / "t.csv").write_text("path,label\n")
    before = data_fingerprint(tmp_path / "audio", tmp_path / "t.csv")
    assert data_fingerprint(tmp_path / "audio") != before
    (tmp_path / "t.csv").write_text("path,label\naudio/a/clip 00.wav,a\n")
    assert data_fingerprint(tmp_path / "audio", tmp_path / "t.csv") != before
