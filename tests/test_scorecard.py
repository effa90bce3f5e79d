"""The claims mechanism: a failed claim fails the notebook and never counts as reproduced."""

import json

import pytest

from lib import scorecard


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


def claim(tid, nb, status="reproduced", passed=True):
    return {
        "id": tid,
        "status": status,
        "measured": f"m-{nb}",
        "paper": "p",
        "passed": passed,
        "notebook": nb,
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
    assert "table-layout:fixed" in html and "width:100%" in html  # fits the column, cells wrap
    assert "<script>" not in html and "&lt;script&gt;" in html and "a &lt; b &amp; c | d" in html
    assert "|---|" not in html  # no markdown table left as text


def test_report_displays_html_plain_and_the_payload(monkeypatch):
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj, raw=False: shown.append(obj))
    c = scorecard.Claims("demo")
    c.add("P2-ex1", passed=True, measured="ok", paper="p")
    c.report()
    (data,) = shown
    assert set(data) == {"text/plain", "text/html", scorecard.MIME}
    assert "<table" in data["text/html"]
    assert data[scorecard.MIME][scorecard.MARKER][0]["id"] == "P2-ex1"


def test_scorecard_names_chapters_by_their_titles(tmp_path):
    _notebook(tmp_path, "a", [claim("P2-ex1", "a")])
    nb = json.loads((tmp_path / "a.ipynb").read_text())
    nb["cells"].insert(0, {"cell_type": "markdown", "source": ["(a-label)=\n", "# The title\n"]})
    (tmp_path / "a.ipynb").write_text(json.dumps(nb))
    assert scorecard.chapter_title("a", tmp_path) == "The title"
    assert scorecard.chapter_title("missing", tmp_path) == "missing"
    page = scorecard.render_markdown(scorecard.collect(tmp_path), tmp_path)
    assert "[The title](a.ipynb)" in page


def test_paper_column_holds_the_claim_not_a_prefix():
    card = scorecard.collect(scorecard.BOOK)
    assert not any(e["paper"].startswith("paper:") for e in card.values())
