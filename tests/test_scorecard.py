"""The claims mechanism: a failed claim fails the notebook and never counts as reproduced."""

import json

import pytest

from lib.book import scorecard


def test_report_returns_the_failed_claims(capsys):
    c = scorecard.Claims("demo")
    c.add("P2-ex1", passed=True, measured="ok", paper="p")
    assert c.report() == []
    c.add("P2-np1", passed=False, measured="bad", paper="p")
    assert c.report() == ["P2-np1"]
    with pytest.raises(AssertionError, match="P2-np1"):  # the notebooks' last line
        assert not (failed := c.report()), f"claims that did not hold: {failed}"


def test_unknown_target_and_status_rejected():
    c = scorecard.Claims("demo")
    with pytest.raises(ValueError, match="unknown target"):
        c.add("P9-nope", passed=True, measured="", paper="")
    with pytest.raises(ValueError, match="status"):
        c.add("P2-ex1", passed=True, measured="", paper="", status="done")
    with pytest.raises(ValueError, match="status"):  # only for rows no claim covers
        c.add("P2-ex1", passed=True, measured="", paper="", status="not started")


@pytest.mark.parametrize("status", scorecard.VERDICTS[1:])
def test_every_verdict_but_reproduced_needs_its_difference(status):
    c = scorecard.Claims("demo")
    for missing in ({}, {"difference": ""}, {"difference": "  "}):
        with pytest.raises(ValueError, match="difference"):
            c.add("P2-ex1", passed=True, measured="m", paper="p", status=status, **missing)
    c.add("P2-ex1", passed=True, measured="m", paper="p", status=status, difference="d.")
    assert c.claims[0].difference == "d." and c.claims[0].status == status
    c.add("P2-lp1", passed=True, measured="m", paper="p")  # old keywords: still 'reproduced'
    assert c.claims[1].status == "reproduced" and c.claims[1].difference == ""


def test_four_verdicts():
    assert scorecard.VERDICTS == (
        "reproduced",
        "reproduced with a difference",
        "not reproduced",
        "not reproducible here",
    )


def _notebook(tmp_path, name, claims):
    payload = {scorecard.MARKER: claims}
    nb = {
        "cells": [
            {
                "cell_type": "code",
                "outputs": [{"output_type": "display_data", "data": {scorecard.MIME: payload}}],
            }
        ]
    }
    (tmp_path / f"{name}.ipynb").write_text(json.dumps(nb))


def claim(tid, nb, status="reproduced", passed=True, difference=None, short=""):
    if difference is None:
        difference = "" if status == "reproduced" else f"d-{nb}"
    return {
        "id": tid,
        "status": status,
        "measured": f"m-{nb}",
        "paper": "p",
        "passed": passed,
        "notebook": nb,
        "difference": difference,
        "short": short,
    }


def test_collect_merges_notebooks_and_takes_the_least_favourable_status(tmp_path):
    _notebook(tmp_path, "a", [claim("P2-ex1", "a"), claim("P2-np1", "a", passed=False)])
    _notebook(tmp_path, "b", [claim("P2-ex1", "b", status="reproduced with a difference")])
    card = scorecard.collect(tmp_path)
    assert card["P2-ex1"]["status"] == "reproduced with a difference"
    assert card["P2-ex1"]["notebook"] == "a, b"
    assert card["P2-ex1"]["measured"] == "m-a; m-b"
    assert card["P2-np1"]["status"] == "not started"  # failed claims do not count
    assert card["P3-fig6"]["status"] == "not reproducible here"
    assert card["P1-def"]["status"] == "not started"
    # the chapters disagree on P2-ex1, and a claim failed: both reported
    problems = scorecard.verdict_problems(card)
    assert any("P2-ex1" in p and "disagree" in p for p in problems)
    assert any("P2-np1" in p and "did not hold" in p for p in problems)


def test_a_row_that_is_not_reproduced_without_difference_is_a_problem(tmp_path):
    """Notebooks executed before the difference field existed (or edited by hand) show up."""
    _notebook(
        tmp_path,
        "a",
        [
            claim("P2-ex1", "a", status="not reproduced", difference="GD is faster here."),
            claim("P2-lp1", "a", status="reproduced with a difference", difference=""),
            claim("P2-np1", "a"),
        ],
    )
    card = scorecard.collect(tmp_path)
    assert card["P2-ex1"]["status"] == "not reproduced"
    assert card["P2-ex1"]["difference"] == "GD is faster here."
    problems = scorecard.verdict_problems(card)
    assert [p for p in problems if p.startswith("P2-")] == [
        "P2-lp1: 'reproduced with a difference' without a difference sentence"
    ]
    page = scorecard.render_markdown(card, tmp_path)
    assert "GD is faster here." in page and "✘ not reproduced" in page


def test_the_page_shows_counts_first_then_a_row_per_target(tmp_path):
    _notebook(
        tmp_path,
        "a",
        [
            claim("P2-ex1", "a", status="not reproduced", difference="the reverse.", short="GD"),
            claim("P2-lp1", "a"),
        ],
    )
    card = scorecard.collect(tmp_path)
    page = scorecard.render_markdown(card, tmp_path)
    counts = page.index("| paper |")
    assert counts < page.index("<table")  # the verdict counts come first
    lines = page.splitlines()
    header = [
        c.strip() for c in lines[lines.index(page[counts:].splitlines()[0])].strip("|").split("|")
    ]
    p2 = next(line for line in lines if line.startswith("| {ref}`P2 "))
    cells = dict(zip(header, [c.strip() for c in p2.strip("|").split("|")], strict=True))
    assert cells["✘ not reproduced"] == "1" and cells["✔ reproduced"] == "1"
    assert cells["◐ with a difference"] == "0" and cells["⊘ not reproducible here"] == "0"
    assert cells["○ not started"] == str(sum(t.startswith("P2-") for t in card) - 2)
    for tid in card:  # one row per target, its evidence folded
        assert page.count(f"<td><b>{tid}</b></td>") == 1
    assert page.count("<details>") == len(card)
    row = page[page.index("<td><b>P2-ex1</b></td>") :]
    row = row[: row.index("</details>")]
    assert "✘ not reproduced" in row and "the reverse." in row and '<a href="a.html">' in row
    assert "<td>GD</td>" in row  # the short result


def test_json_carries_difference_and_short(tmp_path):
    _notebook(
        tmp_path,
        "a",
        [claim("P2-ex1", "a", status="not reproduced", difference="why.", short="few words")],
    )
    card = scorecard.collect(tmp_path)
    row = scorecard._json(card)["P2-ex1"]
    assert set(row) == set(scorecard.FIELDS)
    assert row["difference"] == "why." and row["short"] == "few words"


def test_every_target_has_a_glance_entry():
    assert set(scorecard.GLANCE) == set(scorecard.load_targets())
    for what, paper in scorecard.GLANCE.values():
        assert len(what) <= 40 and len(paper) <= 45  # a few words each


def test_the_books_verdicts_are_signed():
    """Every row of the book's scorecard that is not plainly 'reproduced' states its
    difference, no chapter's claim failed, and chapters claiming one target agree."""
    assert scorecard.verdict_problems(scorecard.collect()) == []


def test_parse_targets_keeps_norm_bars_inside_cells():
    md = "## P1\n| ID | what | claim |\n|---|---|---|\n| P1-x | a | E||x||^2 small |\n"
    assert scorecard.parse_targets_md(md) == {
        "P1-x": {"section": "P1", "what": "a", "claim": "E||x||^2 small"}
    }


def test_claims_table_is_html_that_wraps_and_escapes():
    header = ["check", "target", "status", "measured here", "paper"]
    rows = [["ok", "P2-ex1", "reproduced", "a < b & c | d " * 20, "<script>x</script>"]]
    html = scorecard.html_table(header, rows)
    assert html.startswith("<table") and html.endswith("</table>")
    assert html.count("<tr>") == 2 and html.count("<td") == 5 and html.count("<th ") == 5
    with_diff = scorecard.html_table(header, rows, ["differs & why"])
    assert with_diff.count("<tr") == 3 and "differs &amp; why" in with_diff
    assert 'colspan="3"' in with_diff
    assert "table-layout:fixed" in html and "width:100%" in html  # fits the column, cells wrap
    assert "<script>" not in html and "&lt;script&gt;" in html and "a &lt; b &amp; c | d" in html
    assert "|---|" not in html  # no markdown table left as text


def test_report_displays_html_plain_and_the_payload(monkeypatch):
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj, raw=False: shown.append(obj))
    c = scorecard.Claims("demo")
    c.add("P2-ex1", passed=True, measured="ok", paper="p")
    c.add(
        "P2-lp1",
        passed=True,
        measured="m",
        paper="p",
        status="not reproduced",
        difference="GD is faster.",
    )
    c.report()
    (data,) = shown
    assert set(data) == {"text/plain", "text/html", scorecard.MIME}
    assert "<table" in data["text/html"]
    payload = data[scorecard.MIME][scorecard.MARKER]
    assert payload[0]["id"] == "P2-ex1"
    assert payload[1]["difference"] == "GD is faster."
    assert "difference: GD is faster." in data["text/plain"]
    assert "GD is faster." in data["text/html"]


def test_scorecard_names_chapters_by_their_titles(tmp_path):
    _notebook(tmp_path, "a", [claim("P2-ex1", "a")])
    nb = json.loads((tmp_path / "a.ipynb").read_text())
    nb["cells"].insert(0, {"cell_type": "markdown", "source": ["(a-label)=\n", "# The title\n"]})
    (tmp_path / "a.ipynb").write_text(json.dumps(nb))
    assert scorecard.chapter_title("a", tmp_path) == "The title"
    assert scorecard.chapter_title("missing", tmp_path) == "missing"
    page = scorecard.render_markdown(scorecard.collect(tmp_path), tmp_path)
    assert '<a href="a.html">The title</a>' in page


def test_paper_column_holds_the_claim_not_a_prefix():
    card = scorecard.collect(scorecard.BOOK)
    assert not any(e["paper"].startswith("paper:") for e in card.values())


def test_short_of_cuts_at_the_first_clause_outside_brackets():
    assert scorecard.short_of("50 runs (l1 8; paper 200): fine; more") == (
        "50 runs (l1 8; paper 200): fine"
    )
    long = "word " * 40
    cut = scorecard.short_of(long, limit=30)
    assert cut.endswith(" …") and len(cut) <= 32
