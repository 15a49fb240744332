"""The built site in a real browser: output figures load, every audio player plays, chapters are numbered.

Headless Chromium (Debian's ``/usr/bin/chromium`` and ``/usr/bin/chromedriver``, never a driver that
Selenium Manager would download) opens pages served from ``127.0.0.1``. The checks run on every chapter
of the real book (shared build: the ``built_book`` fixture) and, so that the machinery itself is
tested before any chapter exists, on a throwaway book built here with the same runner.
"""

from __future__ import annotations

import functools
import http.server
import threading
import wave
from pathlib import Path
from urllib.parse import unquote, urlparse

import numpy as np
import pytest

import bookbuild as book
from mgr_utils import GENRES

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"

CHAPTER_1 = "notebooks/01_datasets"
MIN_OUTPUT_FIGURES = 3
"""Output images chapter 1 must show at least (its per-genre spectrograms may share one figure)."""
MIN_AUDIO_PLAYERS = len(GENRES)
"""Audio players chapter 1 must show at least: one per genre (listening to every genre)."""
MEDIA_TIMEOUT_S = 20

CHROMIUM_ARGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--autoplay-policy=no-user-gesture-required",
)

_IMAGES_JS = """
const done = arguments[arguments.length - 1];
const imgs = Array.from(document.querySelectorAll('.cell_output img'));
const settle = img => img.complete ? Promise.resolve() : new Promise(r => {
    img.addEventListener('load', r, {once: true});
    img.addEventListener('error', r, {once: true});
    setTimeout(r, arguments[0]);
});
Promise.all(imgs.map(settle)).then(() => done(imgs.map(img => ({
    src: img.src.startsWith('data:') ? img.src.slice(0, 40) : img.src,
    naturalWidth: img.naturalWidth,
}))));
"""

_AUDIO_JS = """
const done = arguments[arguments.length - 1];
const audios = Array.from(document.querySelectorAll('audio'));
const probe = a => new Promise(resolve => {
    const source = a.querySelector('source');
    let src = a.getAttribute('src') || (source && source.getAttribute('src')) || '';
    if (src && !src.startsWith('data:')) src = new URL(src, document.baseURI).href;
    let finished = false;
    const report = (why, played) => {
        if (finished) return;
        finished = true;
        resolve({
            src: src.startsWith('data:') ? src.slice(0, 40) : src,
            readyState: a.readyState,
            duration: Number.isFinite(a.duration) ? a.duration : -1,
            error: a.error ? a.error.code : null,
            played: played === true,
            why: why,
        });
    };
    // Metadata is not enough: the browser must also start playing it (muted; play() resolves).
    a.addEventListener('loadedmetadata', () => {
        a.muted = true;
        const started = a.play();
        if (!started) { report('loadedmetadata, play() returned nothing', false); return; }
        started.then(() => { a.pause(); report('played', true); })
               .catch(e => report('play() rejected: ' + e.name, false));
    });
    a.addEventListener('error', () => report('error'));
    if (source) source.addEventListener('error', () => report('source error'));
    setTimeout(() => report('timeout'), arguments[0]);
    a.load();
});
Promise.all(audios.map(probe)).then(done);
"""


# ------------------------------------------------------------------------------ machinery


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="session")
def serve():
    """A function ``serve(folder) -> base URL`` serving folders over HTTP on 127.0.0.1."""
    servers = []

    def start(folder: Path) -> str:
        handler = functools.partial(_QuietHandler, directory=str(folder))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def browser(tmp_path_factory):
    """Headless Chromium driven by Debian's chromedriver (no Selenium Manager, fresh profile)."""
    for binary in (CHROMIUM, CHROMEDRIVER):
        if not Path(binary).exists():
            pytest.skip(
                f"{binary} not installed (`apt-get install chromium chromium-driver`)"
            )
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in CHROMIUM_ARGS:
        options.add_argument(arg)
    options.add_argument(
        f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"
    )
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_script_timeout(MEDIA_TIMEOUT_S * 3)
    driver.set_page_load_timeout(120)
    yield driver
    driver.quit()


def media_problems(
    driver, base_url: str, html_dir: Path, entry: str, min_figures: int, min_audio: int
) -> list[str]:
    """Open one page and list what does not work: missing/broken output images, unplayable audio.

    Args:
        driver: The Selenium driver.
        base_url: Where ``html_dir`` is served.
        html_dir: The site's folder (to check that linked files exist).
        entry: The page's toc entry, e.g. ``notebooks/01_datasets``.
        min_figures: Output images the page must have at least.
        min_audio: ``<audio>`` elements the page must have at least.
    """
    driver.get(f"{base_url}{entry}.html")
    problems = []
    images = driver.execute_async_script(_IMAGES_JS, MEDIA_TIMEOUT_S * 1000)
    if len(images) < min_figures:
        problems.append(f"{len(images)} output images (need at least {min_figures})")
    problems += [
        f"image does not load: {im['src']}"
        for im in images
        if not im["naturalWidth"] > 0
    ]
    audios = driver.execute_async_script(_AUDIO_JS, MEDIA_TIMEOUT_S * 1000)
    if len(audios) < min_audio:
        problems.append(f"{len(audios)} audio players (need at least {min_audio})")
    for a in audios:
        src = a["src"]
        if not src:
            problems.append("audio element without a source")
            continue
        if not src.startswith("data:"):
            local = html_dir / unquote(urlparse(src).path).lstrip("/")
            if not (src.startswith(base_url) and local.is_file()):
                problems.append(f"audio source is not a file of the site: {src}")
                continue
        if not (a["readyState"] >= 1 and a["duration"] > 0 and a["played"]):
            problems.append(
                f"audio does not play: {src} (readyState {a['readyState']}, duration {a['duration']}, "
                f"error {a['error']}, {a['why']})"
            )
    return problems


_NAV_JS = """
const side = document.querySelector('.bd-sidebar-primary') || document;
const links = Array.from(side.querySelectorAll('nav a'));
const h1 = document.querySelector('article h1') || document.querySelector('main h1');
return {
    nav: links.map(a => ({
        href: a.getAttribute('href') || '',
        current: a.classList.contains('current'),
        text: a.textContent.trim(),
    })),
    h1: h1 ? h1.textContent.trim() : '',
};
"""


def numbering_problems(driver, base_url: str, chapters: list[str]) -> list[str]:
    """Open each chapter page; list where its number (1, 2, ... in reading order) is missing.

    The number must start the chapter's entry in the navigation sidebar and its page title (the
    ``h1``), e.g. "4. Costa et al.": the prose says "chapter 7", so the reader must see 7.
    """
    problems = []
    for k, entry in enumerate(chapters, start=1):
        driver.get(f"{base_url}{entry}.html")
        page = driver.execute_script(_NAV_JS)
        name = entry.rsplit("/", 1)[-1]
        texts = [
            a["text"]
            for a in page["nav"]
            if a["current"] or a["href"].split("#")[0].endswith(f"{name}.html")
        ]
        if not texts:
            problems.append(f"{entry}: not in the navigation")
        elif not any(
            t.startswith(f"{k}. ") or t.startswith(f"{k}.\xa0") for t in texts
        ):
            problems.append(f"{entry}: navigation shows {texts[0]!r}, not chapter {k}")
        if not page["h1"].startswith(f"{k}."):
            problems.append(f"{entry}: title {page['h1']!r} does not start with {k}.")
    return problems


_SCROLLING_CODE_JS = """
const limit = arguments[0];
return Array.from(document.querySelectorAll('div.cell_input pre'))
    .filter(p => p.scrollWidth > p.clientWidth + 1)
    .filter(p => Math.max(...p.textContent.split('\\n').map(l => l.length)) <= limit)
    .map(p => p.textContent.split('\\n')[0].slice(0, 60));
"""


def scrolling_code(
    driver, base_url: str, entry: str, width: int = 1280, limit: int = 88
) -> list[str]:
    """Code cells of a page whose lines all fit in ``limit`` characters but still scroll sideways.

    The window is ``width`` pixels wide (a laptop screen); the first line of each such cell is
    returned. book/_static/book.css sizes code so that 88 characters fit there.
    """
    driver.set_window_size(width, 900)
    driver.get(f"{base_url}{entry}.html")
    return driver.execute_script(_SCROLLING_CODE_JS, limit)


def colab_links(driver, base_url: str, entry: str) -> list[str]:
    """Every link of a page that points into Colab (badge and launch button)."""
    from selenium.webdriver.common.by import By

    driver.get(f"{base_url}{entry}.html")
    anchors = driver.find_elements(
        By.CSS_SELECTOR, 'a[href*="colab.research.google.com"]'
    )
    return [a.get_attribute("href") for a in anchors]


# ------------------------------------------------------------------------------ self-test


def _write_wav(path: Path, seconds: float = 0.5, sr: int = 8000) -> None:
    t = np.arange(int(seconds * sr)) / sr
    y = (0.3 * np.sin(2 * np.pi * 440 * t) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(sr)
        w.writeframes(y.tobytes())


DEMO_CELLS = [
    ("markdown", "# Demo chapter"),
    ("parameters", "N_FIGURES = 1\nSR = 8000\nRESULTS_DIR = 'results'"),
    (
        "code",
        "import json, os\nimport numpy as np\nimport matplotlib.pyplot as plt\n"
        "from IPython.display import Audio, display\n"
        "t = np.arange(SR) / SR\n"
        "for k in range(N_FIGURES):\n"
        "    fig, ax = plt.subplots(figsize=(3, 2))\n"
        "    ax.plot(t[:200], np.sin(2 * np.pi * 110 * (k + 1) * t[:200]))\n"
        "    plt.show()\n"
        "display(Audio(np.sin(2 * np.pi * 220 * t), rate=SR))\n"
        "Audio(filename='tone.wav')",
    ),
    (
        "markdown",
        'A sound file beside the notebook:\n\n<audio controls src="tone.wav"></audio>\n',
    ),
    (
        "code",
        "os.makedirs(RESULTS_DIR, exist_ok=True)\n"
        "with open(os.path.join(RESULTS_DIR, '01_demo.json'), 'w') as f:\n"
        "    json.dump({'chapter': '01_demo', 'figures': N_FIGURES}, f)",
    ),
]
BROKEN_CELLS = [
    ("markdown", "# Broken media"),
    ("parameters", "X = 1"),
    (
        "code",
        "from IPython.display import HTML\nHTML('<img src=\"no_such_image.png\">')",
    ),
    ("markdown", '<audio controls src="no_such_sound.wav"></audio>\n'),
    ("markdown", '<audio controls src="not_audio.wav"></audio>\n'),
]


@pytest.fixture(scope="session")
def tiny_site(tmp_path_factory, tiny_book, serve):
    """A throwaway book (3 figures, embedded and linked audio; a page of broken media), built once."""
    root = tiny_book(
        tmp_path_factory.mktemp("tiny-book"),
        {"01_demo": DEMO_CELLS, "02_broken": BROKEN_CELLS},
        params={"N_FIGURES": 3, "UNUSED": 0},
    )
    _write_wav(root / "notebooks" / "tone.wav")
    (root / "notebooks" / "not_audio.wav").write_bytes(b"this is not a RIFF file")
    book.sync_notebooks(root, log=lambda line: None)
    build = root / "_build"
    book.execute_book(root, build, log=print)
    book.render_book(root, build)
    return root, build / "html", serve(build / "html")


def test_browser_checks_pass_on_a_working_page(browser, tiny_site):
    root, html, url = tiny_site
    assert (
        media_problems(
            browser, url, html, "notebooks/01_demo", min_figures=3, min_audio=3
        )
        == []
    )


def test_browser_checks_catch_broken_media(browser, tiny_site):
    root, html, url = tiny_site
    problems = "\n".join(
        media_problems(
            browser, url, html, "notebooks/02_broken", min_figures=1, min_audio=1
        )
    )
    assert "image does not load" in problems
    assert "no_such_sound.wav" in problems, "a link to a file the site lacks"
    assert "audio does not play" in problems and "not_audio.wav" in problems, (
        "a file that is not audio"
    )


def test_colab_links_on_a_working_page(browser, tiny_site):
    root, html, url = tiny_site
    expected = book.read_repository(root).colab_link("notebooks/01_demo.ipynb")
    links = colab_links(browser, url, "notebooks/01_demo")
    assert expected in links
    assert set(links) == {expected}, "the badge and the launch button agree"


# ------------------------------------------------------------------------------ chapter 1 of the book


@pytest.fixture(scope="session")
def site(built_book, serve):
    return built_book, serve(built_book.html)


def _need_chapter_1(root: Path):
    if book.resolve_doc(root, CHAPTER_1) is None:
        pytest.skip(f"{CHAPTER_1}.ipynb does not exist yet")


MIN_MEDIA = {
    "notebooks/01_datasets": (
        MIN_OUTPUT_FIGURES,
        MIN_AUDIO_PLAYERS,
    ),  # every genre heard
    "notebooks/02_spectrograms": (4, 3),  # waveform, Griffin-Lim, mel inversion
    "notebooks/03_texture_features": (4, 2),
    "notebooks/04_costa_cnn": (3, 1),
    "notebooks/05_nakashika_glcm_cnn": (3, 0),
    "notebooks/06_zhang_cnn": (3, 1),
    "notebooks/07_raw_audio": (
        4,
        3,
    ),  # a clip through low, middle and high learned filters
    "notebooks/08_pretraining": (3, 0),
    "notebooks/09_auralisation": (
        4,
        6,
    ),  # the original and at least one player per layer 1-5
    "notebooks/11_transfer_learning": (3, 1),  # the clip of the taggram
    "notebooks/12_validity": (
        4,
        5,
    ),  # changes, horse family, horse ranges, adversarial spectrograms; a flip, an attack
    "notebooks/10_results": (1, 0),
    "notebooks/classify_your_music": (1, 1),  # the timelines, the clip asked about
}
"""Output figures and audio players each chapter must show at least; every one must load or play."""


def _toc_chapters(book_root: Path) -> list[str]:
    """The toc's chapters, in reading order, as doc paths (``notebooks/01_datasets``)."""
    return [
        book.relpath(book_root, nb)[: -len(".ipynb")]
        for nb in book.toc_notebooks(book_root)
    ]


def _numbered_chapters(book_root: Path) -> list[str]:
    """The toc's numbered chapters (not the back matter's pages), as doc paths."""
    return [
        book.relpath(book_root, nb)[: -len(".ipynb")]
        for nb in book.chapter_notebooks(book_root)
    ]


@pytest.mark.parametrize("entry", sorted(MIN_MEDIA))
def test_every_chapter_figures_and_audio_work(browser, book_root, request, entry):
    if book.resolve_doc(book_root, entry) is None:
        pytest.skip(f"{entry}.ipynb does not exist yet")
    built, url = request.getfixturevalue("site")
    min_figures, min_audio = MIN_MEDIA[entry]
    problems = media_problems(browser, url, built.html, entry, min_figures, min_audio)
    assert not problems, "\n".join(problems)


def test_chapters_are_numbered_in_reading_order(browser, book_root, request):
    chapters = _numbered_chapters(book_root)
    if not chapters:
        pytest.skip("no chapter exists yet")
    built, url = request.getfixturevalue("site")
    problems = numbering_problems(browser, url, chapters)
    assert not problems, "\n".join(problems)


def test_code_of_88_characters_fits_without_scrolling(browser, book_root, request):
    chapters = _toc_chapters(book_root)
    if not chapters:
        pytest.skip("no chapter exists yet")
    built, url = request.getfixturevalue("site")
    problems = {entry: scrolling_code(browser, url, entry) for entry in chapters}
    problems = {k: v for k, v in problems.items() if v}
    assert not problems, (
        f"code cells within 88 characters that scroll at 1280 px: {problems}"
    )


def test_every_chapter_has_a_media_expectation(book_root):
    notebooks = set(_toc_chapters(book_root))
    assert notebooks <= set(MIN_MEDIA), (
        f"chapters without a browser check: {sorted(notebooks - set(MIN_MEDIA))}"
    )


def test_chapter_1_colab_badge_opens_the_notebook(browser, book_root, request):
    _need_chapter_1(book_root)
    built, url = request.getfixturevalue("site")
    expected = book.read_repository(book_root).colab_link(f"{CHAPTER_1}.ipynb")
    assert expected.startswith("https://colab.research.google.com/github/")
    assert expected.endswith("/notebooks/01_datasets.ipynb")
    links = colab_links(browser, url, CHAPTER_1)
    assert expected in links, links
    assert set(links) == {expected}, "the badge and the launch button agree"


def test_no_selenium_manager_download():
    """The browser tests use Debian's driver only: nothing was fetched into Selenium's cache."""
    cache = Path.home() / ".cache" / "selenium"
    drivers = [p for p in cache.rglob("chromedriver*")] if cache.exists() else []
    assert not drivers, f"Selenium Manager downloaded drivers: {drivers}"
