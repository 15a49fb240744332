"""Fetching GTZAN and the split lists through fake transports: never the network."""

from __future__ import annotations

import functools
import hashlib
import shutil
import tarfile

import pytest
import requests

from mgr_utils import GENRES
from mgr_utils import download as dl
from mgr_utils.datasets import load_gtzan
from mgr_utils.download import DownloadError, fetch_gtzan, fetch_split_lists


def sha256(path) -> str:
    return "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def archive(tmp_path_factory, make_gtzan):
    """A tiny genres.tar.gz in the original layout: genres/<g>/<g>.NNNNN.wav, 10 x 100 clips."""
    src = tmp_path_factory.mktemp("src")
    make_gtzan(src / "genres", GENRES, n_per_genre=100, seconds=0.002)
    path = src / "genres.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        tar.add(src / "genres", arcname="genres")
    return path


@pytest.fixture(scope="module")
def partial_archive(tmp_path_factory, make_gtzan):
    """A tar.gz that is not complete GTZAN (3 genres x 2 clips)."""
    src = tmp_path_factory.mktemp("partial")
    make_gtzan(src / "genres", GENRES[:3])
    path = src / "genres.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        tar.add(src / "genres", arcname="genres")
    return path


class FakeTransport:
    """A pooch downloader: ``routes`` maps a URL to a file to copy, bytes to write, or an exception."""

    def __init__(self, routes):
        self.routes, self.calls = routes, []

    def __call__(self, url, output_file, pooch):
        self.calls.append(url)
        what = self.routes[url]
        if isinstance(what, Exception):
            raise what
        if isinstance(what, bytes):
            with open(output_file, "wb") as f:
                f.write(what)
        else:
            shutil.copyfile(what, output_file)


A = "https://mirror-a.example/genres.tar.gz"
B = "https://b.example/data/genres.tar.gz"
C = "http://c.example/gtzan.tgz"


def test_success_extracts_and_verifies(tmp_path, archive):
    fake = FakeTransport({A: archive})
    folder = fetch_gtzan(tmp_path, mirrors=[(A, sha256(archive))], downloader=fake)
    assert folder == tmp_path / "gtzan" and fake.calls == [A]
    assert not (tmp_path / "gtzan.partial").exists()
    clips = load_gtzan(folder)
    assert len(clips) == 1000 and clips.counts() == {g: 100 for g in GENRES}
    # Already there: no transport needed again.
    offline = FakeTransport({A: OSError("offline")})
    assert fetch_gtzan(tmp_path, mirrors=[(A, None)], downloader=offline) == folder
    assert offline.calls == []


def test_existing_folder_is_never_replaced(tmp_path, make_gtzan):
    offline = FakeTransport({A: OSError("offline")})
    make_gtzan(
        tmp_path / "gtzan" / "genres", GENRES, n_per_genre=3
    )  # e.g. a user's own copy
    with pytest.warns(UserWarning, match="incomplete GTZAN"):
        assert (
            fetch_gtzan(tmp_path, mirrors=[A], downloader=offline) == tmp_path / "gtzan"
        )
    (tmp_path / "other" / "gtzan").mkdir(parents=True)
    with pytest.raises(DownloadError, match="not GTZAN"):
        fetch_gtzan(tmp_path / "other", mirrors=[A], downloader=offline)
    assert (
        offline.calls == []
        and len(list((tmp_path / "gtzan" / "genres").iterdir())) == 10
    )


def test_bare_url_mirror_without_checksum(tmp_path, archive):
    folder = fetch_gtzan(tmp_path, mirrors=[A], downloader=FakeTransport({A: archive}))
    assert len(load_gtzan(folder)) == 1000


def test_network_error_and_checksum_mismatch_fall_through_to_next_mirror(
    tmp_path, archive
):
    fake = FakeTransport(
        {
            A: requests.ConnectionError("Name or service not known"),
            B: b"wrong bytes",
            C: archive,
        }
    )
    mirrors = [(A, None), (B, sha256(archive)), (C, sha256(archive))]
    folder = fetch_gtzan(tmp_path, mirrors=mirrors, downloader=fake)
    assert fake.calls == [A, B, C]
    assert len(load_gtzan(folder)) == 1000


def test_incomplete_or_invalid_archive_is_deleted_and_next_mirror_tried(
    tmp_path, archive, partial_archive
):
    fake = FakeTransport({A: partial_archive, B: b"not a tar file", C: archive})
    folder = fetch_gtzan(tmp_path, mirrors=[A, B, C], downloader=fake)
    assert fake.calls == [A, B, C] and len(load_gtzan(folder)) == 1000


def test_every_mirror_failing_gives_the_manual_steps(
    tmp_path, archive, partial_archive
):
    fake = FakeTransport(
        {
            A: requests.ConnectionError("connection refused"),
            B: b"garbage",
            C: partial_archive,
        }
    )
    with pytest.raises(DownloadError) as err:
        fetch_gtzan(
            tmp_path,
            mirrors=[(A, None), (B, sha256(archive)), (C, None)],
            downloader=fake,
        )
    message = str(err.value)
    for url in (A, B, C):
        assert url in message
    assert "connection refused" in message and "incomplete GTZAN" in message
    assert (
        "kaggle.com/datasets/andradaolteanu/gtzan-dataset-music-genre-classification"
        in message
    )
    assert "huggingface.co/datasets/marsyas/gtzan" in message
    assert (
        "genres_original" in message
        and 'DATASET = "gtzan"' in message
        and "DATA_DIR" in message
    )
    # Nothing left that could pass for a good download.
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_mirror_list_is_well_formed():
    urls = [url for url, _ in dl.MIRRORS]
    assert "http://opihi.cs.uvic.ca/sound/genres.tar.gz" in urls
    assert any("huggingface.co" in url for url in urls)
    assert all(h is None or h.startswith(("sha256:", "md5:")) for _, h in dl.MIRRORS)


def test_default_dir_honours_env(tmp_path, monkeypatch):
    monkeypatch.setenv("MGR_DATA_DIR", str(tmp_path))
    assert dl.default_data_dir() == tmp_path
    monkeypatch.delenv("MGR_DATA_DIR")
    assert "mgr_utils" in str(dl.default_data_dir())


# The split lists


def test_split_lists_from_local_source(tmp_path, shared_data):
    folder = fetch_split_lists(tmp_path / "lists", source=shared_data / "gtzan_splits")
    assert sorted(p.name for p in folder.iterdir()) == sorted(dl.SPLIT_LISTS)
    for name, known in dl.SPLIT_LISTS.items():
        assert sha256(folder / name) == known
    assert len((folder / "train_filtered.txt").read_text().split()) == 443


def test_split_lists_registry_matches_the_shared_readme(shared_data):
    readme = (shared_data / "README.md").read_text()
    for name, known in dl.SPLIT_LISTS.items():
        assert f"{name}" in readme and known.removeprefix("sha256:") in readme


def test_split_lists_come_from_upstream(tmp_path, shared_data):
    src = shared_data / "gtzan_splits"
    fake = FakeTransport({dl.SPLITS_URL + n: src / n for n in dl.SPLIT_LISTS})
    fetch_split_lists(tmp_path, downloader=fake)
    assert fake.calls == [
        f"https://raw.githubusercontent.com/coreyker/dnn-mgr/master/gtzan/{n}"
        for n in dl.SPLIT_LISTS
    ]


def test_tampered_split_list_is_refused(tmp_path, shared_data):
    src = tmp_path / "src"
    shutil.copytree(shared_data / "gtzan_splits", src)
    (src / "test_filtered.txt").chmod(0o644)
    with open(src / "test_filtered.txt", "a") as f:
        f.write("jazz/jazz.00054.wav\n")
    with pytest.raises(DownloadError, match="test_filtered.txt"):
        fetch_split_lists(tmp_path / "lists", source=src)
    assert not (tmp_path / "lists" / "test_filtered.txt").exists()


def test_split_lists_network_failure_says_what_to_do(tmp_path, monkeypatch):
    monkeypatch.setattr(
        "pooch.core.time.sleep", lambda seconds: None
    )  # pooch's waits between retries
    offline = requests.ConnectionError("offline")
    fake = FakeTransport({dl.SPLITS_URL + n: offline for n in dl.SPLIT_LISTS})
    with pytest.raises(DownloadError, match="lists_dir"):
        fetch_split_lists(tmp_path, downloader=fake)
    assert len(fake.calls) == 3  # tried again twice before giving up


# The command line


def test_cli_gtzan_prints_data_dir(tmp_path, monkeypatch, capsys, archive):
    fake = FakeTransport({A: archive})
    monkeypatch.setattr(
        dl, "fetch_gtzan", functools.partial(fetch_gtzan, mirrors=[A], downloader=fake)
    )
    assert dl.main(["gtzan", "--dest", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert f'DATA_DIR = "{tmp_path / "gtzan"}"' in out and 'DATASET = "gtzan"' in out


def test_cli_failure_prints_manual_steps_and_exits_1(tmp_path, monkeypatch, capsys):
    fake = FakeTransport({A: OSError("no route to host")})
    monkeypatch.setattr(
        dl, "fetch_gtzan", functools.partial(fetch_gtzan, mirrors=[A], downloader=fake)
    )
    assert dl.main(["gtzan", "--dest", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "no route to host" in err and "kaggle.com" in err and "DATA_DIR" in err


def test_cli_splits_from_a_local_folder(tmp_path, capsys, shared_data):
    assert (
        dl.main(
            [
                "splits",
                "--dest",
                str(tmp_path),
                "--from",
                str(shared_data / "gtzan_splits"),
            ]
        )
        == 0
    )
    assert str(tmp_path) in capsys.readouterr().out
    assert (tmp_path / "valid_filtered.txt").is_file()
