"""The notebooks as stored: in sync with their jupytext sources, executed, installable on Colab
from the one repository URL, listed in the table of contents, and agreeing with the scorecard."""

import json
import re
from pathlib import Path

import jupytext
import pytest
import yaml

from lib.book import scorecard

ROOT = Path(__file__).resolve().parent.parent
SOURCES = sorted((ROOT / "book").glob("*.py"))
NOTEBOOKS = sorted((ROOT / "book").glob("*.ipynb"))
# implementation-notes pages that are notebooks (they read stored runs): no claims, no exercises
CHAPTERS = [p for p in NOTEBOOKS if not p.stem.startswith("notes_")]
CHAPTER_SOURCES = [p for p in SOURCES if not p.stem.startswith("notes_")]


def cells(nb):
    return [(c.cell_type, c.source.strip()) for c in nb.cells]


def test_every_source_has_a_notebook_and_back():
    assert SOURCES, "no notebook sources found"
    assert {p.stem for p in SOURCES} == {p.stem for p in NOTEBOOKS}


@pytest.mark.parametrize("src", SOURCES, ids=lambda p: p.stem)
def test_source_and_notebook_in_sync(src):
    text = jupytext.read(src)
    stored = jupytext.read(src.with_suffix(".ipynb"))
    assert cells(text) == cells(stored), (
        f"{src.name} and its .ipynb differ: run `make notebook NB=book/{src.name}`"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_stored_executed_without_errors(path):
    nb = json.loads(path.read_text())
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert code and all(c["execution_count"] is not None for c in code), "not executed"
    counts = [c["execution_count"] for c in code]
    assert counts == list(range(1, len(code) + 1)), "not executed top to bottom in one run"
    for c in code:
        for out in c.get("outputs", []):
            assert out["output_type"] != "error", "".join(c["source"])[:200]
            assert not (out["output_type"] == "stream" and out["name"] == "stderr"), out["text"]


def repository_url():
    return yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]["url"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_first_cell_installs_lib_from_the_configured_repository(path):
    nb = jupytext.read(path)
    first = next(c for c in nb.cells if c.cell_type == "code").source
    assert 'if "google.colab" in sys.modules:' in first
    urls = re.findall(r"git\+(\S+?)\"", first)
    assert urls == [repository_url()], f"install URL {urls} != _config.yml {repository_url()}"
    assert "setup_notebook(" in first


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_notebook_ends_with_a_claims_cell(path):
    nb = jupytext.read(path)
    last = [c for c in nb.cells if c.cell_type == "code"][-1].source
    assert "Claims(" in last
    assert "assert not (failed := claims.report())" in last, "the claims must be asserted"
    assert scorecard.notebook_claims(path), "the claims cell displayed no claims"


def toc_files():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]
    for part in toc.get("parts", []):
        files += [ch["file"] for ch in part["chapters"]]
    return files


def test_toc_lists_every_chapter_and_only_existing_files():
    files = toc_files()
    for f in files:
        assert any((ROOT / (f + ext)).exists() for ext in (".md", ".ipynb")), f
    for nb in NOTEBOOKS:
        assert f"book/{nb.stem}" in files, f"{nb.name} is not in _toc.yml"


def test_scorecard_page_json_and_notebooks_agree():
    assert scorecard.check() == []


def test_scorecard_json_shape():
    card = json.loads(scorecard.SCORECARD_JSON.read_text())
    assert set(card) == set(scorecard.load_targets())
    for entry in card.values():
        assert set(entry) == set(scorecard.FIELDS)
        assert entry["status"] in scorecard.STATUSES


def test_targets_match_the_shared_targets_file():
    shared = ROOT.parent / "shared" / "TARGETS.md"
    if not shared.exists():
        pytest.skip("../shared/TARGETS.md is not beside this checkout")
    assert scorecard.parse_targets_md(shared.read_text()) == scorecard.load_targets()


@pytest.mark.parametrize("src", CHAPTER_SOURCES, ids=lambda p: p.stem)
def test_chapter_follows_the_reader_conventions(src):
    """shared/DESIGN.md, "Chapters as a reader meets them": nbval markers are cell tags, no lint
    noise in what a reader sees, 2-4 exercises each with a folded solution."""
    text = src.read_text()
    assert "NBVAL_" not in text, "nbval markers are cell tags (nbval-ignore-output), not comments"
    assert "# noqa" not in text, "no lint markers in what a reader sees"
    exercises = re.findall(r"```\{exercise\}\s*\n# :label: (\S+)", text)
    assert 2 <= len(exercises) <= 4, f"{len(exercises)} exercises (2-4 expected)"
    for label in exercises:
        assert re.search(rf"```\{{solution\}} {re.escape(label)}\s*\n# :class: dropdown", text), (
            f"exercise {label} has no folded solution"
        )


@pytest.mark.parametrize("src", CHAPTER_SOURCES, ids=lambda p: p.stem)
def test_chapter_opens_and_closes_like_every_chapter(src):
    """shared/DESIGN.md: every chapter opens with what it teaches, the paper section and what to
    read first, closes with a summary and exercises, folds its claims code, numbers every
    theorem/algorithm box and gives every figure an alt text."""
    text = src.read_text()
    opening = text.split("# %%", 3)[1]  # the first markdown cell
    for words in ("**What you will learn.**", "**Paper:**", "**Read"):
        assert words in opening, f"the opening has no {words}"
    assert "# ## Summary" in text and "# ## Exercises" in text
    nb = jupytext.read(src)
    claims = [c for c in nb.cells if c.cell_type == "code"][-1]
    assert "hide-input" in claims.metadata.get("tags", []), "the claims code is folded"
    assert ":nonumber:" not in text, "every box is numbered"
    figures = re.findall(r"```\{glue:figure\} \S+\n((?:# :.*\n)*)", text)
    for options in figures:
        assert re.search(r"# :alt: \S+( \S+){2,}", options), "a figure without an alt text"
