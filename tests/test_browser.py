"""The built book as a reader sees it: every page of _build/html opened in headless Chromium.

Fails when a page shows an error output or a traceback, when a formula is left unrendered (or
MathJax reports an error), or when an internal link, anchor or image is broken. Run after
`jupyter-book build` (`make test` does). Set SCREENSHOTS=dir to also save a PNG of every page.
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import shutil
import subprocess
import tempfile
import threading
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlparse

import pytest

ROOT = Path(__file__).resolve().parent.parent
HTML = ROOT / "_build" / "html"
PAGES = sorted(
    p for p in HTML.rglob("*.html") if "_static" not in p.parts and "_sources" not in p.parts
)
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
    "--hide-scrollbars",
]


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if path := shutil.which(name):
            return path
    pytest.fail("headless Chromium is needed for the browser check: apt-get install chromium")


@pytest.fixture(scope="module")
def server():
    if not (HTML / "index.html").exists():
        pytest.fail("_build/html is missing: build the book first (make build)")
    handler = functools.partial(_QuietHandler, directory=str(HTML))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep pytest output clean
        pass


def render(url: str, screenshot: Path | None = None) -> str:
    """The page's DOM after its scripts ran (MathJax typesetting included)."""
    with tempfile.TemporaryDirectory() as profile:
        args = [
            chromium(),
            *CHROMIUM_FLAGS,
            f"--user-data-dir={profile}",
            "--virtual-time-budget=20000",
            "--run-all-compositor-stages-before-draw",
        ]
        if screenshot is not None:
            shot = subprocess.run(
                [*args, "--window-size=1280,1600", f"--screenshot={screenshot}", url],
                capture_output=True,
                timeout=120,
            )
            assert shot.returncode == 0, shot.stderr.decode()[-2000:]
        out = subprocess.run([*args, "--dump-dom", url], capture_output=True, timeout=120)
    assert out.returncode == 0, out.stderr.decode()[-2000:]
    return out.stdout.decode()


class _Page(HTMLParser):
    """Collects links, ids, classes, and the text of the page."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.images: list[str] = []
        self.ids: set[str] = set()
        self.classes: list[str] = []
        self.class_sets: list[set[str]] = []
        self.tags: list[str] = []
        self.text: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append(tag)
        if "id" in a:
            self.ids.add(a["id"])
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        if tag == "img" and a.get("src"):
            self.images.append(a["src"])
        self.classes.extend((a.get("class") or "").split())
        self.class_sets.append(set((a.get("class") or "").split()))
        if tag in ("script", "style"):
            self._skip += 1

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.text.append(data)


def parse(html: str) -> _Page:
    p = _Page()
    p.feed(html)
    return p


@functools.cache
def static_ids(path: Path) -> frozenset[str]:
    return frozenset(parse(path.read_text()).ids)


def test_the_book_has_pages():
    assert len(PAGES) >= 3, "the book has almost no pages: was it built?"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(HTML)))
def test_page_renders_cleanly(page, server):
    rel = page.relative_to(HTML).as_posix()
    redirect = re.search(r'http-equiv="refresh" content="0; url=([^"]+)"', page.read_text(), re.I)
    if redirect:  # index.html only forwards to the first chapter
        assert (page.parent / redirect.group(1)).exists(), f"{rel}: redirects to a missing page"
        return
    shots = os.environ.get("SCREENSHOTS")
    shot = None
    if shots:
        Path(shots).mkdir(parents=True, exist_ok=True)
        shot = Path(shots) / (rel.replace("/", "_").removesuffix(".html") + ".png")
    dom = parse(render(server + rel, shot))
    static = parse(page.read_text())
    text = " ".join(dom.text)

    # 1. no error output, traceback or failed execution
    bad = [
        sorted(c)
        for c in dom.class_sets
        if {"traceback", "stderr"} & c or ({"output", "cell_output"} & c and "error" in c)
    ]
    assert not bad, f"{rel}: an error / stderr / traceback output is shown: {bad}"
    assert "Traceback (most recent call last)" not in text, f"{rel}: a traceback is shown"

    # 2. every formula typeset by MathJax, none left raw, no MathJax error
    n_math = sum(c == "math" for c in static.classes)
    n_typeset = dom.tags.count("mjx-container")
    assert n_typeset >= n_math, f"{rel}: {n_math} formulas but {n_typeset} typeset by MathJax"
    assert "mjx-merror" not in dom.tags, f"{rel}: MathJax reported an error in a formula"
    for raw in ("\\(", "\\[", "$$"):
        assert raw not in text, f"{rel}: unrendered math {raw!r} left in the page text"

    # 3. internal links, anchors and images resolve
    base = server + rel
    for href in dom.links + dom.images:
        url = urljoin(base, href)
        parsed = urlparse(url)
        if not url.startswith(server) or parsed.scheme not in ("http", "https"):
            continue  # external (launch buttons, repository) or mailto/javascript
        target = HTML / unquote(parsed.path[len(urlparse(server).path) :])
        if target.is_dir():
            target = target / "index.html"
        assert target.exists(), f"{rel}: broken link {href!r}"
        if parsed.fragment and target.suffix == ".html" and target != page:
            assert unquote(parsed.fragment) in static_ids(target), f"{rel}: broken anchor {href!r}"
        elif parsed.fragment and target == page:
            assert unquote(parsed.fragment) in dom.ids | static.ids, (
                f"{rel}: broken anchor {href!r}"
            )
