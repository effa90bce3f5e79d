"""The reproduction scorecard (target X-scorecard).

Each notebook ends with a *claims cell*::

    claims = Claims("p2_single_layer")
    claims.add("P2-lp1", passed=err < 1e-8, measured=f"max rel. error {err:.0e}",
               paper="exact recovery")
    assert not (failed := claims.report()), f"claims that did not hold: {failed}"

``report`` shows the table and returns the IDs of the claims that did not hold; the visible
``assert`` makes a failed claim fail the notebook, and so nbval.

The table is displayed with three representations: text/html (a real table whose long cells wrap
to the text column) and text/plain for readers, and ``application/json`` for this module. nbval
compares them against a fresh run, so what the scorecard reads from the stored notebooks is what
the regression tests validated.

``python -m lib.scorecard`` collects the claims of every executed notebook under ``book/``, joins
them with the list of targets (``data/targets.json``, from TARGETS.md) and writes
``data/scorecard.json`` and the page ``book/scorecard.md``. ``python -m lib.scorecard --check``
fails when those files differ from what the notebooks say (a test runs it).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import asdict, dataclass
from html import escape
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BOOK = ROOT / "book"
TARGETS_JSON = ROOT / "data" / "targets.json"
SCORECARD_JSON = ROOT / "data" / "scorecard.json"
SCORECARD_MD = BOOK / "scorecard.md"
MIME = "application/json"
MARKER = "scorecard-claims"

STATUSES = (
    "not started",
    "reproduced",
    "reproduced with a difference",
    "not reproducible here",
)


@dataclass
class Claim:
    """One checked claim: a target ID, whether it held, the measured and the paper's numbers."""

    id: str
    status: str
    measured: str
    paper: str
    passed: bool
    notebook: str
    difference: str = ""


class Claims:
    """Collects a notebook's claims; :meth:`report` shows them and asserts they all held."""

    def __init__(self, notebook: str) -> None:
        self.notebook = notebook
        self.claims: list[Claim] = []

    def add(
        self,
        target: str,
        *,
        passed: bool,
        measured: str,
        paper: str,
        status: str = "reproduced",
        difference: str = "",
    ) -> None:
        """Record a claim about ``target`` (an ID of TARGETS.md).

        ``passed`` is the notebook's check (e.g. ``err < 1e-8``); ``status`` is what the book says
        when the check holds: 'reproduced', 'reproduced with a difference' (say what differs in
        ``measured``) or 'not reproducible here' (say why).
        """
        if status not in STATUSES[1:]:
            raise ValueError(f"status={status!r}: choose one of {STATUSES[1:]}")
        known = load_targets()
        if target not in known:
            raise ValueError(f"unknown target ID {target!r}; see data/targets.json")
        self.claims.append(
            Claim(target, status, measured, paper, bool(passed), self.notebook, difference)
        )

    def table(self) -> list[list[str]]:
        return [
            ["ok" if c.passed else "FAILED", c.id, c.status, c.measured, c.paper]
            for c in self.claims
        ]

    def report(self) -> list[str]:
        """Display the claims table; return the IDs of the claims that did not hold.

        Notebooks end with ``assert not claims.report(), ...``: the check is visible in the
        cell, and a failed claim fails the notebook (and nbval)."""
        from IPython.display import display

        header = ["check", "target", "status", "measured here", "paper"]
        rows = self.table()
        widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
        plain = "\n".join(
            "  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip()
            for r in [header, *rows]
        )
        payload = {MARKER: [asdict(c) for c in self.claims]}
        display(
            {"text/plain": plain, "text/html": html_table(header, rows), MIME: payload}, raw=True
        )
        return [c.id for c in self.claims if not c.passed]


#: relative column widths (percent) of the claims table: short check/target/status columns, the
#: measured and paper columns share the rest and wrap
COLUMN_WIDTHS = (7, 11, 16, 38, 28)


def html_table(header: list[str], rows: list[list[str]]) -> str:
    """The claims as an HTML table that fits the text column: fixed layout, long cells wrap."""
    cell = "padding:2px 6px;vertical-align:top;text-align:left;overflow-wrap:break-word"
    cols = "".join(f'<col style="width:{w}%">' for w in COLUMN_WIDTHS)
    head = "".join(f'<th style="{cell}">{escape(h)}</th>' for h in header)
    body = "".join(
        "<tr>" + "".join(f'<td style="{cell}">{escape(c)}</td>' for c in r) + "</tr>" for r in rows
    )
    return (
        '<table class="claims-table" style="width:100%;table-layout:fixed;'
        'border-collapse:collapse;font-size:0.85em">'
        f"<colgroup>{cols}</colgroup><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    )


def _md_escape(s: str) -> str:
    return s.replace("|", "\\|")


# ----------------------------------------------------------------------------- targets
def load_targets() -> dict[str, dict]:
    """{ID: {"paper": ..., "what": ..., "claim": ...}} from data/targets.json."""
    return json.loads(TARGETS_JSON.read_text())


def parse_targets_md(text: str) -> dict[str, dict]:
    """Parse TARGETS.md's tables into {ID: {"section", "what", "claim"}}."""
    targets, section = {}, ""
    for line in text.splitlines():
        if line.startswith("## "):
            section = line[3:].strip()
        m = re.match(r"^\|\s*([A-Z][A-Za-z0-9]*-[a-z0-9]+)\s*\|(.*)\|\s*$", line)
        if m:
            # cells are separated by " | "; a bare "||" (a norm) stays inside its cell
            cells = [c.strip() for c in re.split(r"\s\|\s", " " + m.group(2) + " ")]
            cells = [c for c in cells if c]
            targets[m.group(1)] = {
                "section": section,
                "what": cells[0],
                "claim": cells[1] if len(cells) > 1 else "",
            }
    return targets


# ----------------------------------------------------------------------------- collection
def notebook_claims(path: Path) -> list[dict]:
    """The claims stored in an executed notebook's outputs."""
    nb = json.loads(path.read_text())
    found = []
    for cell in nb.get("cells", []):
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if MIME in data and MARKER in data[MIME]:
                found.extend(data[MIME][MARKER])
    return found


#: targets no notebook can measure here, with the reason (shown on the scorecard)
NOT_REPRODUCIBLE: dict[str, str] = {
    "P3-fig6": "CelebA cannot be downloaded on the machines this book is built on (no internet)",
}


def collect(book: Path = BOOK) -> dict[str, dict]:
    """The scorecard: every target with its status, measured and paper numbers, notebook."""
    targets = load_targets()
    card = {
        tid: {
            "status": "not started",
            "measured": "",
            "paper": t["claim"],
            "notebook": "",
            "what": t["what"],
        }
        for tid, t in targets.items()
    }
    for e in card.values():
        # the paper's own claim; TARGETS.md sometimes prefixes it with "paper: "
        e["paper"] = e["paper"].removeprefix("paper: ") or "(beyond the papers)"
    for tid, why in NOT_REPRODUCIBLE.items():
        card[tid].update(status="not reproducible here", measured=why)
    by_id: dict[str, list[dict]] = {}
    for path in sorted(book.rglob("*.ipynb")):
        if "_build" in path.parts or ".ipynb_checkpoints" in path.parts:
            continue
        for c in notebook_claims(path):
            if c["id"] not in card:
                raise ValueError(f"{path}: claim for unknown target {c['id']!r}")
            by_id.setdefault(c["id"], []).append(c)
    for tid, cs in by_id.items():
        # a failed claim is no reproduction; otherwise the least favourable status wins
        statuses = [c["status"] if c["passed"] else "not started" for c in cs]
        status = min(statuses, key=lambda s: (s == "reproduced", STATUSES.index(s)))
        card[tid].update(
            status=status,
            measured="; ".join(c["measured"] for c in cs),
            paper=cs[0]["paper"],
            notebook=", ".join(dict.fromkeys(c["notebook"] for c in cs)),
        )
    notebooks = {nb for e in card.values() for nb in e["notebook"].split(", ") if nb}
    card["X-scorecard"].update(
        status="reproduced",
        measured=f"{len(card)} targets, generated from the claims of {len(notebooks)} notebooks; "
        "page, JSON and notebooks checked for agreement by tests/test_notebooks.py",
        notebook="",
    )
    return card


STATUS_MARK = {
    "not started": "○ not started",
    "reproduced": "✔ reproduced",
    "reproduced with a difference": "◐ reproduced with a difference",
    "not reproducible here": "✘ not reproducible here",
}


def chapter_title(name: str, book: Path = BOOK) -> str:
    """A chapter's title: the first level-1 heading of ``book/<name>.ipynb`` (or ``.md``);
    the file name when there is none."""
    nb, md = book / f"{name}.ipynb", book / f"{name}.md"
    if nb.exists():
        cells = json.loads(nb.read_text()).get("cells", [])
        texts = ["".join(c["source"]) for c in cells if c.get("cell_type") == "markdown"]
    else:
        texts = [md.read_text()] if md.exists() else []
    for text in texts:
        for line in text.splitlines():
            if line.startswith("# "):
                return line[2:].strip()
    return name


def render_markdown(card: dict[str, dict], book: Path = BOOK) -> str:
    """The scorecard page: a summary, then one table per paper (sections of TARGETS.md)."""
    counts = {s: sum(e["status"] == s for e in card.values()) for s in STATUSES}
    lines = [
        "# Reproduction scorecard",
        "",
        "<!-- generated by `python -m lib.scorecard` from the notebooks' claims: do not edit -->",
        "",
        "Every target of the reproduction, with what the book measured beside what the paper",
        "reports. The page is generated from the claims cells of the executed notebooks (the same",
        "outputs that `pytest --nbval` re-computes and compares), and written machine-readably to",
        "`data/scorecard.json`. A test fails when this page, the JSON and the notebooks disagree.",
        "A claim whose check failed is never counted as reproduced.",
        "",
        "**Summary:** " + ", ".join(f"{counts[s]} {s}" for s in STATUSES) + ".",
    ]
    targets = load_targets()
    sections: dict[str, list[str]] = {}
    for tid in card:
        sections.setdefault(targets[tid]["section"], []).append(tid)
    for section, ids in sections.items():
        lines += [
            "",
            f"## {section}",
            "",
            "| target | status | measured here | paper | chapter |",
            "|---|---|---|---|---|",
        ]
        for tid in ids:
            e = card[tid]
            links = ", ".join(
                f"[{chapter_title(nb, book).replace('[', '(').replace(']', ')')}]({nb}.ipynb)"
                for nb in e["notebook"].split(", ")
                if nb
            )
            cells = [
                f"**{tid}**: {e['what']}",
                STATUS_MARK[e["status"]],
                e["measured"],
                e["paper"],
                links,
            ]
            lines.append("| " + " | ".join(_md_escape(c) for c in cells) + " |")
    return "\n".join(lines) + "\n"


def write(card: dict[str, dict]) -> None:
    SCORECARD_JSON.write_text(
        json.dumps(
            {
                k: {f: v[f] for f in ("status", "measured", "paper", "notebook")}
                for k, v in card.items()
            },
            indent=1,
        )
        + "\n"
    )
    SCORECARD_MD.write_text(render_markdown(card))


def check() -> list[str]:
    """Differences between the committed scorecard files and the notebooks' claims."""
    card = collect()
    problems = []
    want_json = {
        k: {f: v[f] for f in ("status", "measured", "paper", "notebook")} for k, v in card.items()
    }
    have_json = json.loads(SCORECARD_JSON.read_text()) if SCORECARD_JSON.exists() else None
    if have_json != want_json:
        problems.append("data/scorecard.json is out of date: run `python -m lib.scorecard`")
    have_md = SCORECARD_MD.read_text() if SCORECARD_MD.exists() else None
    if have_md != render_markdown(card):
        problems.append("book/scorecard.md is out of date: run `python -m lib.scorecard`")
    return problems


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="fail if the files are out of date")
    ap.add_argument("--import-targets", metavar="TARGETS_MD", help="rewrite data/targets.json")
    args = ap.parse_args(argv)
    if args.import_targets:
        targets = parse_targets_md(Path(args.import_targets).read_text())
        TARGETS_JSON.write_text(json.dumps(targets, indent=1) + "\n")
        print(f"wrote {len(targets)} targets to {TARGETS_JSON.relative_to(ROOT)}")
        return 0
    if args.check:
        problems = check()
        for p in problems:
            print(p, file=sys.stderr)
        return 1 if problems else 0
    card = collect()
    write(card)
    print(f"wrote {SCORECARD_JSON.relative_to(ROOT)} and {SCORECARD_MD.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
