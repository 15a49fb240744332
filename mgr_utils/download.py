"""Fetching GTZAN and the fault-filtered split lists, with checksums, or saying how to do it by hand.

Both downloads go through pooch: each file is streamed to a temporary name and moved into place
only once complete and verified, so an interrupted or corrupt download never passes for a good
one. The transport is pooch's ``downloader`` argument, so tests (and CI) never touch the network.

From the command line::

    python -m mgr_utils.download gtzan [--dest DIR]    # ~1.2 GB, prints the DATA_DIR to use
    python -m mgr_utils.download splits [--dest DIR] [--from DIR]   # the six Kereliuk/Sturm split lists

Notebook: ``01_datasets.ipynb``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tarfile
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path

import pooch

from mgr_utils import GENRES
from mgr_utils.datasets import GTZAN_MANUAL_STEPS, _gtzan_files, find_gtzan_root

ARCHIVE = "genres.tar.gz"

# The GTZAN archive (``genres/<genre>/<genre>.NNNNN.wav``), tried in this order.
# - Hugging Face ``marsyas/gtzan`` (uploaded by HF staff, 2022; 1.23 GB): the mirror most code
#   uses today. No checksum of it is published that we could verify, hence ``None``:
#   :func:`fetch_gtzan` checks the extracted content instead (10 genre folders x 100 clips).
# - Hugging Face ``qiuqiangkong/gtzan``: a second copy, same treatment.
# - The original Marsyas host, dead since about 2020, kept last in case it returns. Its sha256 is
#   the one torchaudio publishes (torchaudio/datasets/gtzan.py); mirdata publishes the md5
#   5b3d6dddb579ab49814ab86dba69e7c7 for the same URL.
MIRRORS: tuple[tuple[str, str | None], ...] = (
    (
        "https://huggingface.co/datasets/marsyas/gtzan/resolve/main/data/genres.tar.gz",
        None,
    ),
    (
        "https://huggingface.co/datasets/qiuqiangkong/gtzan/resolve/main/genres.tar.gz",
        None,
    ),
    (
        "http://opihi.cs.uvic.ca/sound/genres.tar.gz",
        "sha256:24347e0223d2ba798e0a558c4c172d9d4a19c00bb7963fe055d183dadb4ef2c6",
    ),
)

SPLITS_URL = "https://raw.githubusercontent.com/coreyker/dnn-mgr/master/gtzan/"
"""Upstream of the split lists of Kereliuk, Sturm & Larsen (2015): GitHub ``coreyker/dnn-mgr``."""

SPLIT_LISTS = {
    "train_filtered.txt": "sha256:2b04966cef1486f1a7767b74271533fa23e220388db804a1937835e1fc4fa3fa",
    "valid_filtered.txt": "sha256:f8fbee7c52397a0e0f3a91dc54fedecb2e27f5bdc9a9daeab8cb10d077e26956",
    "test_filtered.txt": "sha256:09cafa6a89ce0a27f30ed250d56ecb4d03c22fffb5a693f96c7ae655ee02ac72",
    "train_stratified.txt": "sha256:e4d9be9546793e222b4d7915db0af8fb9683d980b10ac4f915453e62333c2368",
    "valid_stratified.txt": "sha256:60e0fd1ce2a16df77fae312b64153fd717716387094203e504e83bfd472b2a6c",
    "test_stratified.txt": "sha256:8fe4c4d159c61bebf64470b178d094773a051c67d675f1f61abc7957758e6821",
}
"""The six split lists (one ``genre/genre.NNNNN.wav`` per line) and their checksums."""

Downloader = Callable[..., object]


class DownloadError(RuntimeError):
    """Every source failed (network error or checksum mismatch); the message says what to do."""


def default_data_dir() -> Path:
    """Where downloads go: ``$MGR_DATA_DIR`` if set, else the user cache (``pooch.os_cache``).

    Notebook: ``01_datasets.ipynb``.
    """
    env = os.environ.get("MGR_DATA_DIR")
    return Path(env).expanduser() if env else Path(pooch.os_cache("mgr_utils"))


def _gtzan_problem(folder: Path) -> str | None:
    """Why ``folder`` is not a complete GTZAN (10 genre folders x 100 clips), or ``None``."""
    root = find_gtzan_root(folder) if folder.is_dir() else None
    if root is None:
        return f"no GTZAN genre folders found in {folder}"
    counts = {
        g: len(_gtzan_files(root / g)) if (root / g).is_dir() else 0 for g in GENRES
    }
    wrong = {g: n for g, n in counts.items() if n != 100}
    return (
        f"incomplete GTZAN (clips per genre, 100 expected: {wrong})" if wrong else None
    )


def fetch_gtzan(
    dest_dir: str | Path | None = None,
    mirrors: Sequence[tuple[str, str | None] | str] = MIRRORS,
    downloader: Downloader | None = None,
) -> Path:
    """Download and extract GTZAN, trying each mirror in turn; return the folder to use as DATA_DIR.

    The archive goes to ``dest_dir``, is extracted to ``dest_dir/gtzan.partial`` and, once it
    holds 10 genre folders of 100 clips, renamed to ``dest_dir/gtzan``. An existing
    ``dest_dir/gtzan`` is returned at once, without network access (with a warning if it is
    incomplete; it is never deleted). A mirror's archive that fails its checksum or the content
    check is deleted and the next mirror tried.

    Notebook: ``01_datasets.ipynb``.

    Args:
        dest_dir: Where to put the archive and the data (default :func:`default_data_dir`).
        mirrors: ``(url, known_hash)`` pairs (or bare URLs), tried in order; ``known_hash`` as
            pooch takes it (``"sha256:..."``, ``"md5:..."``) or ``None`` for no checksum.
        downloader: A pooch downloader ``(url, output_file, pooch)``; default HTTP with a
            tqdm progress bar.

    Returns:
        ``dest_dir/gtzan``.

    Raises:
        DownloadError: Every mirror failed; the message lists why and the manual steps.
    """
    dest = Path(dest_dir).expanduser() if dest_dir is not None else default_data_dir()
    target, partial = dest / "gtzan", dest / "gtzan.partial"
    if target.exists():
        if find_gtzan_root(target) is None:
            raise DownloadError(
                f"{target} exists and is not GTZAN: move it away or choose another dest_dir."
            )
        problem = _gtzan_problem(target)
        if problem:
            warnings.warn(
                f"{target}: {problem}; using it as it is (delete it to download again)."
            )
        return target
    dest.mkdir(parents=True, exist_ok=True)
    downloader = downloader or pooch.HTTPDownloader(progressbar=True)
    errors = []
    for mirror in mirrors:
        url, known_hash = (mirror, None) if isinstance(mirror, str) else mirror
        shutil.rmtree(partial, ignore_errors=True)
        try:
            pooch.retrieve(
                url,
                known_hash,
                fname=ARCHIVE,
                path=dest,
                processor=pooch.Untar(extract_dir=partial.name),
                downloader=downloader,
            )
            problem = _gtzan_problem(partial)
        except tarfile.TarError as err:
            problem = f"not a valid tar.gz archive ({err})"
        except (
            Exception
        ) as err:  # network errors, checksum mismatch (ValueError), disk errors
            errors.append(f"  {url}: {type(err).__name__}: {err}")
            continue
        if problem:  # the archive downloaded but is not GTZAN: never keep it
            (dest / ARCHIVE).unlink(missing_ok=True)
            shutil.rmtree(partial, ignore_errors=True)
            errors.append(f"  {url}: {problem}")
            continue
        partial.rename(target)
        return target
    raise DownloadError(
        "Could not download GTZAN from any mirror:\n"
        + "\n".join(errors)
        + "\n\n"
        + GTZAN_MANUAL_STEPS
    )


class _CopyFrom:
    """A pooch downloader that copies ``<folder>/<file name of the URL>`` instead of downloading."""

    def __init__(self, folder: str | Path):
        self.folder = Path(folder).expanduser()

    def __call__(self, url: str, output_file: str, pooch_instance: object) -> None:
        shutil.copyfile(self.folder / url.rsplit("/", 1)[-1], output_file)


def fetch_split_lists(
    dest_dir: str | Path | None = None,
    source: str | Path | None = None,
    downloader: Downloader | None = None,
) -> Path:
    """Fetch the six GTZAN split lists of Kereliuk, Sturm & Larsen (2015), checksums verified.

    ``{train,valid,test}_filtered.txt`` is the fault-filtered split (443/197/290 excerpts, no
    artist across partitions); ``*_stratified.txt`` a random stratified 500/250/250 split. Files
    already in ``dest_dir`` with the right checksum are not fetched again.

    Notebook: ``01_datasets.ipynb``.

    Args:
        dest_dir: Where to put them (default ``default_data_dir() / "gtzan_splits"``).
        source: A local folder holding the six files, used instead of the network (they are
            copied and still checked against the checksums).
        downloader: A pooch downloader; default HTTP (ignored when ``source`` is given).

    Returns:
        The folder holding the six files (pass it as ``lists_dir`` to
        :func:`mgr_utils.splits.filtered_split`).

    Raises:
        DownloadError: A file could not be fetched or has the wrong checksum; the message names it.
    """
    dest = (
        Path(dest_dir).expanduser()
        if dest_dir is not None
        else default_data_dir() / "gtzan_splits"
    )
    if source is not None:
        downloader = _CopyFrom(source)
    lists = pooch.create(
        path=dest,
        base_url=SPLITS_URL,
        registry=SPLIT_LISTS,
        retry_if_failed=0 if source is not None else 2,
    )
    for name in SPLIT_LISTS:
        try:
            lists.fetch(name, downloader=downloader)
        except Exception as err:  # network error, missing local file, checksum mismatch
            origin = Path(source) / name if source is not None else SPLITS_URL + name
            raise DownloadError(
                f"Could not fetch the split list {name} from {origin}: {type(err).__name__}: {err}\n"
                f"By hand: download the six files {', '.join(SPLIT_LISTS)} from {SPLITS_URL} "
                f"into one folder and pass it as lists_dir (or as --dest of "
                "`python -m mgr_utils.download splits`)."
            ) from err
    return dest


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: ``python -m mgr_utils.download [gtzan|splits] [--dest DIR]``.

    Prints where the data landed and the ``DATA_DIR`` to use; on failure prints the manual steps
    and returns 1.

    Notebook: ``01_datasets.ipynb``.
    """
    parser = argparse.ArgumentParser(
        prog="python -m mgr_utils.download",
        description="Fetch GTZAN (about 1.2 GB) or the Kereliuk/Sturm split lists, with checksums.",
    )
    parser.add_argument(
        "what",
        nargs="?",
        choices=("gtzan", "splits"),
        default="gtzan",
        help="what to fetch (default: gtzan)",
    )
    parser.add_argument("--dest", help=f"target folder (default: {default_data_dir()})")
    parser.add_argument(
        "--from",
        dest="source",
        metavar="DIR",
        help="splits only: copy the six lists from a local folder (checksums still verified)",
    )
    args = parser.parse_args(argv)
    try:
        if args.what == "gtzan":
            folder = fetch_gtzan(args.dest)
            print(f"GTZAN is in {folder}")
            print(
                f'In a notebook\'s parameters cell set DATASET = "gtzan" and DATA_DIR = "{folder}"'
            )
        else:
            folder = fetch_split_lists(args.dest, source=args.source)
            print(f"The split lists are in {folder}")
            print(
                f'Pass lists_dir="{folder}" to mgr_utils.splits.filtered_split or split_dataset'
            )
    except DownloadError as err:
        print(err, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
