"""The built book as a reader sees it: every page of _build/html opened in headless Chromium.

A page fails when it shows

- an error output, stderr or a traceback;
- a markdown table left as text (a paragraph of ``| a | b |`` cells and ``|---|`` rules);
- TeX left in the rendered text (``$...$``, ``\\(``, ``$$``, ``\\frac``, ``\\hat``, ... outside
  MathJax's output), or a MathJax error (an error node, an undefined macro shown in red);
- an output, figure, table or displayed formula wider than the text column, or cut off and
  scrolling sideways inside it;
- a figure drawn wider than the text column and scaled down to fit it (its text shrinks below
  the size it was drawn at), or a figure without an alt text that says what it shows (missing,
  a file name or a hash, or fewer than three words);
- a cross-reference rendered without its number ("Theorem )", "Algorithm" alone);
- a broken internal link, anchor or image.

Layout and rendered text are checked inside the browser: the test server adds a small script
(``CHECK_JS``) to every HTML page it serves, which waits for MathJax and the images, measures the
page and writes what it found into an attribute of ``<html>``; Chromium's ``--dump-dom`` hands the
page back. The window is 1280 x 1600 pixels (a laptop). ``test_a_page_with_*`` feed the checks
small pages with one defect each (and a clean page) so that each check is seen to fail.

Run after `jupyter-book build` (`make test` does); BOOK_HTML=dir checks another build. Set
SCREENSHOTS=dir to also save a PNG of every page.
"""

from __future__ import annotations

import contextlib
import functools
import html as htmllib
import http.server
import json
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
HTML = Path(os.environ.get("BOOK_HTML", ROOT / "_build" / "html"))
PAGES = sorted(
    p for p in HTML.rglob("*.html") if "_static" not in p.parts and "_sources" not in p.parts
)
WINDOW = "1280,1600"
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
    f"--window-size={WINDOW}",
]
CHECK_URL = "/__browser_check__.js"
CHECK_ATTR = "data-browser-check"

#: Runs in the page once MathJax has typeset it and the images are loaded; writes a JSON list of
#: problems into <html data-browser-check="...">.
CHECK_JS = r"""
(function () {
  const problems = [];
  // code a reader reads as code: input cells and literal blocks (outputs are checked)
  const CODE = ".cell_input, div[class*='highlight-']:not(.output), code";
  const SKIP = "script, style, noscript, textarea, mjx-container, " + CODE;
  const BLOCKS = "p, li, dd, dt, td, th, h1, h2, h3, h4, h5, h6, caption, figcaption, pre,"
    + " blockquote, .admonition-title, .proof-title, .output";
  const say = (kind, what) => problems.push(kind + ": " + what.replace(/\s+/g, " ").slice(0, 160));

  function visibleText(el) {  // el's text without skipped subtrees (MathJax output, code)
    let out = "";
    const walk = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    for (let n = walk.nextNode(); n; n = walk.nextNode()) {
      if (!n.parentElement.closest(SKIP)) out += n.nodeValue;
    }
    return out;
  }

  function check() {
    // 1. rendered text: markdown tables left as text, TeX left unrendered
    for (const el of document.querySelectorAll(BLOCKS)) {
      if (el.closest(SKIP)) continue;
      if (el.querySelector(BLOCKS)) continue;  // innermost blocks only
      const t = visibleText(el);
      if (/\|\s*:?[-\u2013\u2014]+:?\s*\|/.test(t) || /^\s*\|.*\|.*\|.*\|\s*$/m.test(t))
        say("markdown table left as text", t);
      const tex = t.match(/\$\$|\\[()\[\]]|\$[^$\n]+\$|\\[A-Za-z]{2,}/);
      if (tex) say("TeX left in the rendered text (" + tex[0].slice(0, 30) + ")", t);
    }
    // 2. MathJax errors: an error node, or an undefined macro (shown in red by 'noundefined')
    for (const el of document.querySelectorAll("mjx-merror, [data-mjx-error]"))
      say("MathJax error", el.getAttribute("data-mjx-error") || el.textContent);
    for (const el of document.querySelectorAll('mjx-assistive-mml [mathcolor="red"]'))
      say("MathJax undefined macro", el.textContent);
    // 3. layout: nothing a reader must see is wider than the text column or cut off inside it
    const column = document.querySelector("article.bd-article, article, main") || document.body;
    const right = column.getBoundingClientRect().right;
    const WIDE = ".cell_output, .output, pre, img, svg, figure, table, div.math,"
      + " mjx-container[display='true'], .pst-scrollable-table-container";
    for (const el of column.querySelectorAll(WIDE)) {
      if (el.closest(CODE + ", mjx-container:not([display='true'])")) continue;
      if (el.tagName === "svg" && el.closest("mjx-container")) continue;
      const r = el.getBoundingClientRect();
      if (r.width === 0 || r.height === 0) continue;  // hidden (e.g. a folded solution)
      const name = el.tagName.toLowerCase() + (el.className && el.className.baseVal === undefined
        ? "." + String(el.className).trim().split(/\s+/).join(".") : "");
      if (r.right > right + 2)
        say("wider than the text column (" + Math.round(r.right - right) + " px over)",
            name + " " + el.textContent.slice(0, 80));
      else if (el.scrollWidth > el.clientWidth + 2 && el.clientWidth > 0
               && getComputedStyle(el).overflowX !== "visible")
        say("cut off, scrolls sideways (" + (el.scrollWidth - el.clientWidth) + " px hidden)",
            name + " " + el.textContent.slice(0, 80));
    }
    // 4. a word split over two lines in a table (a column too narrow for it): whole words of
    //    2-12 letters only; long tokens such as file paths (words joined by . / _ -) may wrap
    for (const el of column.querySelectorAll("th, td")) {
      if (el.closest(SKIP) || el.getBoundingClientRect().width === 0) continue;
      const walk = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
      let broken = null;
      for (let n = walk.nextNode(); n && !broken; n = walk.nextNode()) {
        if (n.parentElement.closest(SKIP)) continue;
        const words = /(?<![\w./-])[A-Za-z]{2,12}(?![\w./-])/g;
        for (let m = words.exec(n.nodeValue); m && !broken; m = words.exec(n.nodeValue)) {
          const range = document.createRange();
          range.setStart(n, m.index);
          range.setEnd(n, m.index + m[0].length);
          const tops = new Set(Array.from(range.getClientRects(), r => Math.round(r.top)));
          if (tops.size > 1) broken = m[0];
        }
      }
      if (broken) say("word broken across lines (" + broken + ")", el.textContent);
    }
    // 5. figures: drawn at the column's width or less (a PNG scaled down to fit shrinks its
    //    text below the size it was drawn at), with an alt text that says what they show
    for (const im of column.querySelectorAll("img")) {
      const r = im.getBoundingClientRect();
      if (r.width === 0 || r.height === 0) continue;  // hidden (e.g. a folded solution)
      const src = (im.getAttribute("src") || "").slice(0, 60);
      const alt = (im.getAttribute("alt") || "").trim();
      if (!alt || /^[0-9a-f]{12,}/i.test(alt) || /\.(png|jpe?g|svg|gif)$/i.test(alt)
          || alt.split(/\s+/).length < 3)
        say("figure without alt text (alt \"" + alt.slice(0, 40) + "\")", src);
      if (im.naturalWidth > 1.03 * r.width)
        say("figure scaled down to fit the column (drawn " + im.naturalWidth + " px wide, shown "
            + Math.round(r.width) + " px)", src);
    }
    // 6. cross-references that render without their number ("Theorem )", "Fig. ")
    const KINDS = "Algorithm|Theorem|Lemma|Corollary|Definition|Assumption|Example|Conjecture"
      + "|Remark|Proposition|Exercise|Solution|Fig\\.?|Figure|Table|Equation|Eq\\.?|Section"
      + "|Chapter";
    const UNNUMBERED = new RegExp("^(" + KINDS + ")\\s*[.:]?$", "i");
    for (const a of column.querySelectorAll("a")) {
      if (a.closest(SKIP)) continue;
      const t = a.textContent.replace(/\s+/g, " ").trim();
      if (UNNUMBERED.test(t))
        say("reference without a number (" + t + ")", (a.parentElement || a).textContent);
    }
    document.documentElement.setAttribute("data-browser-check", JSON.stringify(problems));
  }

  function ready() {
    const images = Array.from(document.images).map(im => im.complete ? Promise.resolve()
      : new Promise(res => { im.onload = res; im.onerror = res; }));
    const mj = window.MathJax && window.MathJax.startup && window.MathJax.startup.promise;
    Promise.all([mj || Promise.resolve(), ...images]).then(() => setTimeout(check, 100));
  }
  if (document.readyState === "complete") ready(); else window.addEventListener("load", ready);
})();
"""


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if path := shutil.which(name):
            return path
    pytest.fail("headless Chromium is needed for the browser check: apt-get install chromium")


class _Handler(http.server.SimpleHTTPRequestHandler):
    """Serves a directory; HTML pages get the check script before </body>."""

    def log_message(self, *args):  # keep pytest output clean
        pass

    def do_GET(self):
        path = urlparse(self.path).path
        if path == CHECK_URL:
            return self._send(CHECK_JS.encode(), "text/javascript")
        local = Path(self.translate_path(self.path))
        if local.is_dir():
            local = local / "index.html"
        if local.suffix == ".html" and local.is_file():
            page = local.read_text(errors="replace")
            tag = f'<script src="{CHECK_URL}"></script>'
            page = page.replace("</body>", tag + "</body>") if "</body>" in page else page + tag
            return self._send(page.encode(), "text/html; charset=utf-8")
        return super().do_GET()

    def _send(self, body: bytes, ctype: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@contextlib.contextmanager
def serve(directory: Path):
    handler = functools.partial(_Handler, directory=str(directory))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    finally:
        httpd.shutdown()


@pytest.fixture(scope="module")
def server():
    if not (HTML / "index.html").exists():
        pytest.fail(f"{HTML} has no index.html: build the book first (make build)")
    with serve(HTML) as url:
        yield url


def render(url: str, screenshot: Path | None = None) -> str:
    """The page's DOM after its scripts ran (MathJax typesetting and the check script included)."""
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
                [*args, f"--screenshot={screenshot}", url], capture_output=True, timeout=120
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


def problems(root: Path, server: str, page: Path, screenshot: Path | None = None) -> list[str]:
    """Everything a reader would see broken on ``page`` (a file under ``root``, served at
    ``server``); an empty list for a clean page."""
    rel = page.relative_to(root).as_posix()
    raw = render(server + rel, screenshot)
    dom = parse(raw)
    static = parse(page.read_text())
    text = " ".join(dom.text)
    found: list[str] = []

    # 1. no error output, traceback or failed execution
    bad = [
        sorted(c)
        for c in dom.class_sets
        if {"traceback", "stderr"} & c or ({"output", "cell_output"} & c and "error" in c)
    ]
    if bad:
        found.append(f"error output: an error / stderr / traceback output is shown: {bad}")
    if "Traceback (most recent call last)" in text:
        found.append("error output: a traceback is shown")

    # 2. every formula typeset by MathJax; the in-page check: tables, TeX, MathJax errors, layout
    n_math = sum(c == "math" for c in static.classes)
    n_typeset = dom.tags.count("mjx-container")
    if n_typeset < n_math:
        found.append(f"TeX left in the rendered text: {n_math} formulas, {n_typeset} typeset")
    m = re.search(rf'<html[^>]*\s{CHECK_ATTR}="([^"]*)"', raw)
    if m is None:
        found.append("the in-page check did not finish (MathJax or an image never loaded?)")
    else:
        found.extend(json.loads(htmllib.unescape(m.group(1))))

    # 3. internal links, anchors and images resolve
    base = server + rel
    for href in dom.links + dom.images:
        url = urljoin(base, href)
        parsed = urlparse(url)
        if not url.startswith(server) or parsed.scheme not in ("http", "https"):
            continue  # external (launch buttons, repository) or mailto/javascript
        target = root / unquote(parsed.path[len(urlparse(server).path) :])
        if target.is_dir():
            target = target / "index.html"
        if not target.exists():
            found.append(f"broken link: {href!r}")
        elif parsed.fragment and target.suffix == ".html" and target != page:
            if unquote(parsed.fragment) not in static_ids(target):
                found.append(f"broken link: anchor {href!r}")
        elif parsed.fragment and target == page:
            if unquote(parsed.fragment) not in dom.ids | static.ids:
                found.append(f"broken link: anchor {href!r}")
    return found


def test_the_book_has_pages():
    assert len(PAGES) >= 3, "the book has almost no pages: was it built?"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(HTML)))
def test_page_renders_cleanly(page, server):
    rel = page.relative_to(HTML).as_posix()
    redirect = re.search(r'http-equiv="refresh" content="0; url=([^"]+)"', page.read_text(), re.I)
    if redirect:  # index.html only forwards to the first chapter
        assert (page.parent / redirect.group(1)).exists(), f"{rel}: redirects to a missing page"
        return
    shot = None
    if shots := os.environ.get("SCREENSHOTS"):
        Path(shots).mkdir(parents=True, exist_ok=True)
        shot = Path(shots) / (rel.replace("/", "_").removesuffix(".html") + ".png")
    found = problems(HTML, server, page, shot)
    assert not found, f"{rel}:\n  " + "\n  ".join(found)


# ----------------------------------------------------------------------------- the checks, tested
# Small pages with the structure jupyter-book 1.x gives a chapter (an article column, cell
# outputs, MathJax with the book's configuration), each with one defect a reader has met.
FIXTURE_PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8">
<script>window.MathJax = {"options": {"processHtmlClass": "math|output_area"}}</script>
<script defer src="mathjax/tex-chtml-full.js"></script>
<style>
body { margin: 0; font: 16px sans-serif; }
main { display: flex; } nav { width: 260px; flex: none; }
article.bd-article { width: 700px; flex: none; }
img { max-width: 100%; } pre { overflow: auto; }
div.math { overflow: auto; }
</style></head>
<body><main><nav><a href="clean.html">home</a></nav><article class="bd-article">
<section class="tex2jax_ignore mathjax_ignore" id="top"><h1>A chapter</h1>
{body}
</section></article></main></body></html>
"""
CLEAN = """
<p>A formula <span class="math notranslate nohighlight">\\(\\hat x = \\frac{1}{2}\\|z\\|_2\\)</span>
and a norm written in text, ||x||, and a link to <a href="#top">the top</a>.</p>
<div class="math notranslate nohighlight">
\\[\\mathbb{E}\\|\\hat z - z\\|_2^2 \\le \\sigma^2\\]</div>
<table><thead><tr><th>check</th><th>target</th></tr></thead>
<tbody><tr><td>ok</td><td>P2-ex1</td></tr></tbody></table>
<div class="cell docutils container"><div class="cell_input docutils container">
<div class="highlight"><pre>print("$\\\\frac$ | a | b | c |" + "x" * 300)</pre></div></div>
<div class="cell_output docutils container"><div class="output stream highlight-myst-ansi">
<div class="highlight"><pre>k    success   95 % interval
10   20 of 20  [0.84, 1.00]</pre></div></div></div></div>
<div class="highlight-python notranslate"><div class="highlight"><pre>
x = "a literal block: $\\hat x$ |---|" + "y" * 300</pre></div></div>
<figure><img src="data:image/svg+xml;utf8,{svg}" width="600" alt="an empty test figure">
<figcaption>Fig. 1. See <a href="#top">Theorem 3.1</a> and <a href="#top">Fig. 2.4</a>.
</figcaption></figure>
"""
SVG = "%3Csvg xmlns='http://www.w3.org/2000/svg' width='600' height='100'%3E%3C/svg%3E"
DEFECTS = {
    "markdown table left as text": (
        "<p>| check | target | status | |—|—|—| | ok | P2-ex1 | reproduced |</p>"
    ),
    "TeX left in the rendered text ($": (
        "<p>2. $\\hat x_i = \\arg\\min_x \\tfrac12<em>\\hat x</em>$ for each layer</p>"
    ),
    "TeX left in the rendered text (\\frac": ("<p>the step size is \\frac{1}{L} here</p>"),
    "wider than the text column": (
        '<figure><img src="data:image/svg+xml;utf8,'
        + SVG.replace("600", "1100")
        + '" style="max-width:none" width="1100" alt="wide"></figure>'
    ),
    "cut off, scrolls sideways": (
        '<div class="cell_output docutils container">'
        '<div class="output stream highlight-myst-ansi"><div class="highlight"><pre>'
        + "  k = 110" * 40
        + "</pre></div></div></div>"
    ),
    "MathJax undefined macro": '<p><span class="math">\\(\\fraq{1}{2}\\)</span></p>',
    "MathJax error": '<p><span class="math">\\(x^{2}}\\)</span></p>',
    "error output": (
        '<div class="cell_output docutils container">'
        '<div class="output traceback highlight-ipythontb">'
        "<pre>ValueError: boom</pre></div></div>"
    ),
    "broken link": '<p>See <a href="missing_chapter.html">the missing chapter</a>.</p>',
    "figure without alt text": (
        '<figure><img src="data:image/svg+xml;utf8,{svg}" width="600"'
        ' alt="3f9a0c21b7d84e55a1c0f6e2d9b8a7c4e1f0a2b3c4d5e6f708192a3b4c5d6e7f.png"></figure>'
    ),
    "figure scaled down to fit the column": (
        '<figure><img src="data:image/svg+xml;utf8,'
        + SVG.replace("600", "1100")
        + '" width="1100" alt="a wide test figure, scaled down"></figure>'
    ),
    "reference without a number": (
        '<p>The debiasing is the Oracle, <a class="reference internal" href="#top">'
        '<span class="std std-ref">Algorithm </span></a>).</p>'
    ),
    "word broken across lines": (
        '<table style="table-layout:fixed;width:300px"><colgroup><col style="width:34px">'
        '<col></colgroup><thead><tr><th style="overflow-wrap:break-word">check</th>'
        "<th>target</th></tr></thead><tbody><tr><td>ok</td><td>P2-ex1</td></tr></tbody></table>"
    ),
}


def page(body: str) -> str:
    return FIXTURE_PAGE.replace("{body}", body.replace("{svg}", SVG))


@pytest.fixture(scope="module")
def fixture_site(tmp_path_factory):
    site = tmp_path_factory.mktemp("site")
    (site / "mathjax").symlink_to(ROOT / "_static" / "mathjax")
    (site / "clean.html").write_text(page(CLEAN))
    for i, body in enumerate(DEFECTS.values()):
        (site / f"defect{i}.html").write_text(page(CLEAN + body))
    with serve(site) as url:
        yield site, url


def test_a_clean_page_passes(fixture_site):
    site, url = fixture_site
    assert problems(site, url, site / "clean.html") == []


@pytest.mark.parametrize("i,defect", list(enumerate(DEFECTS)), ids=list(DEFECTS))
def test_a_page_with_a_defect_fails(fixture_site, i, defect):
    site, url = fixture_site
    found = problems(site, url, site / f"defect{i}.html")
    assert any(p.startswith(defect) for p in found), f"{defect!r} not caught; found {found}"
