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

``python -m lib.book.scorecard`` collects the claims of every executed notebook under ``book/``,
joins them with the list of targets (``data/targets.json``, from TARGETS.md) and writes
``data/scorecard.json`` and the page ``book/scorecard.md``. ``python -m lib.book.scorecard --check``
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

ROOT = Path(__file__).resolve().parents[2]  # the repository (lib/book/scorecard.py -> ../..)
BOOK = ROOT / "book"
TARGETS_JSON = ROOT / "data" / "targets.json"
SCORECARD_JSON = ROOT / "data" / "scorecard.json"
SCORECARD_MD = BOOK / "scorecard.md"
MIME = "application/json"
MARKER = "scorecard-claims"

#: the four verdicts a claim can carry (shared/DESIGN.md): reproduced; reproduced with a
#: difference (the paper's statement holds, a number, setting or regime differs); not reproduced
#: (what the book measures contradicts the statement, after a bug and a misreading were ruled
#: out); not reproducible here (data or hardware missing)
VERDICTS = (
    "reproduced",
    "reproduced with a difference",
    "not reproduced",
    "not reproducible here",
)
#: every status a scorecard row can have: a target no passing claim covers is "not started"
STATUSES = ("not started", *VERDICTS)
#: least favourable first: a target claimed by several chapters takes the least favourable
#: verdict (and :func:`verdict_problems` reports that the chapters disagree)
FAVOUR = (
    "not started",
    "not reproduced",
    "not reproducible here",
    "reproduced with a difference",
    "reproduced",
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
    short: str = ""


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
        short: str = "",
    ) -> None:
        """Record a claim about ``target`` (an ID of TARGETS.md).

        ``passed`` is the notebook's check computed in this run (e.g. ``err < 1e-8``); for a
        'not reproduced' claim it asserts what the book measured (e.g. that GD is faster than
        the LPs), so that a regression fails. ``status`` is the verdict when the check holds,
        one of :data:`VERDICTS`. ``difference`` is required for every verdict but
        'reproduced': one sentence, what differs from the paper and the most likely cause
        (shown in the chapter's claims table and on the scorecard). ``short`` (optional) is the
        measured result in a few words, for the scorecard's one-line row; without it the row
        shows the start of ``measured``.
        """
        if status not in VERDICTS:
            raise ValueError(f"status={status!r}: choose one of {VERDICTS}")
        if status != "reproduced" and not difference.strip():
            raise ValueError(
                f"{target}: status {status!r} needs difference=: one sentence, what differs "
                "from the paper and the most likely cause"
            )
        known = load_targets()
        if target not in known:
            raise ValueError(f"unknown target ID {target!r}; see data/targets.json")
        self.claims.append(
            Claim(
                target,
                status,
                measured,
                paper,
                bool(passed),
                self.notebook,
                difference.strip(),
                short.strip(),
            )
        )

    def table(self) -> list[list[str]]:
        return [
            ["ok" if c.passed else "FAILED", c.id, c.status, c.measured, c.paper]
            for c in self.claims
        ]

    def differences(self) -> list[str]:
        """The difference sentence of each claim ('' for none), in the order of ``table()``."""
        return [c.difference for c in self.claims]

    def report(self) -> list[str]:
        """Display the claims table; return the IDs of the claims that did not hold.

        Notebooks end with ``assert not claims.report(), ...``: the check is visible in the
        cell, and a failed claim fails the notebook (and nbval)."""
        from IPython.display import display

        header = ["check", "target", "status", "measured here", "paper"]
        rows = self.table()
        widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
        lines = []
        for r, diff in zip([header, *rows], ["", *self.differences()], strict=True):
            lines.append("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())
            if diff:
                lines.append(" " * (widths[0] + 2) + "difference: " + diff)
        plain = "\n".join(lines)
        payload = {MARKER: [asdict(c) for c in self.claims]}
        html = html_table(header, rows, self.differences())
        display({"text/plain": plain, "text/html": html, MIME: payload}, raw=True)
        return [c.id for c in self.claims if not c.passed]


#: relative column widths (percent) of the claims table: short check/target/status columns, the
#: measured and paper columns share the rest and wrap
COLUMN_WIDTHS = (7, 11, 16, 38, 28)


def html_table(
    header: list[str], rows: list[list[str]], differences: list[str] | None = None
) -> str:
    """The claims as an HTML table that fits the text column: fixed layout, long cells wrap.

    A claim with a difference gets a second row under it, the sentence spanning the status,
    measured and paper columns."""
    cell = "padding:2px 6px;vertical-align:top;text-align:left;overflow-wrap:break-word"
    cols = "".join(f'<col style="width:{w}%">' for w in COLUMN_WIDTHS)
    head = "".join(f'<th style="{cell}">{escape(h)}</th>' for h in header)
    body = ""
    for r, diff in zip(rows, differences or [""] * len(rows), strict=True):
        body += "<tr>" + "".join(f'<td style="{cell}">{escape(c)}</td>' for c in r) + "</tr>"
        if diff:
            body += (
                f'<tr class="claims-difference"><td style="{cell}"></td><td style="{cell}"></td>'
                f'<td colspan="{len(header) - 2}" style="{cell};font-style:italic">'
                f"<b>difference:</b> {escape(diff)}</td></tr>"
            )
    return (
        '<table class="claims-table" style="width:100%;table-layout:fixed;'
        'border-collapse:collapse;font-size:0.85em">'
        f"<colgroup>{cols}</colgroup><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    )


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


#: the scorecard at a glance: every target in a few words, and the paper's statement in a few
#: words (the full text of both is in data/targets.json and in each claim's ``paper``)
GLANCE: dict[str, tuple[str, str]] = {
    "P1-def": ("sub-spark, sub-rank, coherence", "Defs 1-3"),
    "P1-thm1": ("uniqueness theorem", "conditions imply a unique z"),
    "P1-cor1": ("uniqueness for random weights", "unique w.p. 1 (Cor 1 / ICLR Thm 2)"),
    "P1-oracle": ("Oracle and its error bounds", "error between the bounds (Thm 3)"),
    "P1-lbp": ("Layered Basis-Pursuit", "exact if s < 1/(3 mu); stable (Thm 2)"),
    "P1-lp": ("Latent-Pursuit", "converges; = Oracle on the supports"),
    "P1-gd": ("gradient-descent baseline", "step rule; momentum, 10,000 steps"),
    "P1-fig4": ("random-weights sweep (Fig. 4)", "three regimes"),
    "P1-mnist": ("P1's MNIST generator", "samples look like digits"),
    "P1-fig5": ("trained net, clean (Fig. 5)", "LP = Oracle, far above GD"),
    "P1-fig8": ("trained net, 45 % hidden (Fig. 8)", "LP near Oracle, above GD"),
    "P1-fig11": ("trained net, 13 rows hidden (Fig. 11)", "LP near Oracle, above GD"),
    "P1-time": ("run time, 512 inversions", "LP 75 s, GD 30 s (1080Ti)"),
    "P2-lp1": ("one-layer LP (Eq. 4)", "exact in the realizable case"),
    "P2-ex1": ("Example 1: non-convex preimage", "(0,2) is not a preimage"),
    "P2-np1": ("Thm 1: NP-hard, binary input", "preimage iff satisfiable"),
    "P2-np2": ("Thm 2: NP-hard, real input", "preimage iff satisfiable"),
    "P2-thm3": ("Thm 3: expansive random nets", "exact w.p. 1 - exp(-k)"),
    "P2-leaky": ("LeakyReLU inversion (Eq. 5)", "exact for full-rank layers"),
    "P2-linf": ("l_inf LP (Alg. 1)", "threshold grown by 1.2"),
    "P2-l1": ("l_1 LP (Alg. 2)", "comparable to l_inf LP"),
    "P2-relax": ("LP relaxation (Alg. 3)", "Eq. 8, Eq. 9"),
    "P2-thm45": ("Thms 4-5: noise bounds", "error linear in noise"),
    "P2-fig1ab": ("random net, noise (Fig. 1ab)", "l_inf LP best (uniform)"),
    "P2-fig2": ("success vs latent size (Fig. 2)", "LPs to k ~ 109; GD fails k >= 60"),
    "P2-fig5": ("three LPs vs noise (Fig. 5)", "no significant difference"),
    "P2-tab1": ("time per inversion (Table 1)", "LPs 0.5-1.4 s, GD 1.6-2.1 s; MNIST GD 72 s"),
    "P2-mnist": ("P2's MNIST generator", "samples look like digits"),
    "P2-fig1cd": ("trained net, noise (Fig. 1cd)", "LPs accurate; GD stuck"),
    "P2-fig3": ("denoising examples (Fig. 3)", "LP closer than GD"),
    "P2-fig4": ("inpainting with PGD (Fig. 4)", "LP always reasonable"),
    "P3-fig2": ("transposed conv as a matrix", "block matrix, block-diagonal"),
    "P3-thm1": ("Thm 1: 2-layer conv nets", "GD recovers z"),
    "P3-conj3": ("Conj. 3: sub-Gaussian weights", "like Gaussian"),
    "P3-fig4": ("cost landscapes (Fig. 4)", "unique minimum; (d) flat"),
    "P3-phase": ("phase transition in r", "random masks need lower r"),
    "P3-multi": ("deeper nets, other activations", "same conclusion"),
    "P3-mnist": ("P3's conv MNIST generator", "samples look like digits"),
    "P3-fig3": ("weight histograms (Fig. 3)", "roughly zero-mean Gaussian"),
    "P3-fig5": ("trained conv net, masks (Fig. 5)", "recovery perfect"),
    "P3-fig6": ("CelebA (Fig. 6)", "recovery as for MNIST"),
    "X-bench": ("every method x every generator", "(beyond the papers)"),
    "X-hybrid": ("hybrid: layered + GD", "(P1 future work)"),
    "X-cert": ("uniqueness certificate", "(beyond the papers)"),
    "X-scorecard": ("this page", "(beyond the papers)"),
}


#: targets no notebook can measure here, with the reason (shown on the scorecard)
NOT_REPRODUCIBLE: dict[str, str] = {
    "P3-fig6": "CelebA cannot be downloaded on the machines this book is built on (no internet)",
}

#: the JSON fields of a scorecard row (data/scorecard.json)
FIELDS = ("status", "difference", "short", "measured", "paper", "notebook")


def short_of(measured: str, limit: int = 90) -> str:
    """A claim's result in a few words when it gives no ``short``: ``measured`` up to its first
    '; ' outside brackets, cut at a word boundary near ``limit`` characters."""
    depth, cut = 0, len(measured)
    for i, ch in enumerate(measured):
        depth += ch in "([{"
        depth -= ch in ")]}"
        if depth == 0 and measured.startswith("; ", i):
            cut = i
            break
    s = measured[:cut]
    if len(s) <= limit:
        return s
    return s[:limit].rsplit(" ", 1)[0].rstrip(",:;") + " …"


def collect(book: Path = BOOK) -> dict[str, dict]:
    """The scorecard: every target with its verdict, difference, measured and paper numbers,
    notebook(s). A failed claim counts as no claim ('not started')."""
    targets = load_targets()
    card = {}
    for tid, t in targets.items():
        # the paper's own claim (TARGETS.md sometimes prefixes it with "paper: ")
        paper = t["claim"].removeprefix("paper: ") or "(beyond the papers)"
        row = dict(status="not started", paper=paper, what=t["what"], verdicts={})
        card[tid] = dict.fromkeys(FIELDS, "") | row  # the other fields empty, in FIELDS' order
    for tid, why in NOT_REPRODUCIBLE.items():
        card[tid].update(
            status="not reproducible here", difference=why, short="data unavailable", measured=why
        )
    by_id: dict[str, list[dict]] = {}
    for path in sorted(book.rglob("*.ipynb")):
        if "_build" in path.parts or ".ipynb_checkpoints" in path.parts:
            continue
        for c in notebook_claims(path):
            if c["id"] not in card:
                raise ValueError(f"{path}: claim for unknown target {c['id']!r}")
            by_id.setdefault(c["id"], []).append(c)
    for tid, cs in by_id.items():
        # a failed claim is no reproduction; otherwise the least favourable verdict wins (and
        # verdict_problems reports chapters that disagree)
        statuses = [c["status"] if c["passed"] else "not started" for c in cs]
        status = min(statuses, key=FAVOUR.index)
        card[tid].update(
            status=status,
            difference=" ".join(dict.fromkeys(c.get("difference", "") for c in cs)).strip(),
            short="; ".join(c.get("short") or short_of(c["measured"]) for c in cs),
            measured="; ".join(c["measured"] for c in cs),
            paper=cs[0]["paper"],
            notebook=", ".join(dict.fromkeys(c["notebook"] for c in cs)),
            verdicts={c["notebook"]: s for c, s in zip(cs, statuses, strict=True)},
        )
    notebooks = {nb for e in card.values() for nb in e["notebook"].split(", ") if nb}
    card["X-scorecard"].update(
        status="reproduced",
        short=f"{len(card)} targets from {len(notebooks)} notebooks",
        measured=f"{len(card)} targets, generated from the claims of {len(notebooks)} notebooks; "
        "page, JSON and notebooks checked for agreement by tests/test_notebooks.py",
        notebook="",
    )
    return card


def verdict_problems(card: dict[str, dict]) -> list[str]:
    """What makes a scorecard row a verdict no referee would sign: a verdict other than
    'reproduced' without its difference sentence, chapters that claim one target with different
    verdicts (the chapter's claims table and the scorecard must say the same), a failed claim."""
    problems = []
    for tid, e in card.items():
        if e["status"] in VERDICTS[1:] and not e["difference"]:
            problems.append(f"{tid}: {e['status']!r} without a difference sentence")
        verdicts = set(e.get("verdicts", {}).values())
        if len(verdicts) > 1:
            problems.append(f"{tid}: the chapters disagree: {e['verdicts']}")
        if "not started" in verdicts:
            problems.append(f"{tid}: a claim did not hold ({e['notebook']})")
    return problems


STATUS_MARK = {
    "not started": "○ not started",
    "reproduced": "✔ reproduced",
    "reproduced with a difference": "◐ with a difference",
    "not reproduced": "✘ not reproduced",
    "not reproducible here": "⊘ not reproducible here",
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


def paper_key(tid: str) -> str:
    """'P1', 'P2', 'P3' or 'X' (beyond the papers) from a target ID."""
    return tid.split("-")[0]


#: the at-a-glance table's columns and their shares of the text column (percent)
GLANCE_COLUMNS = (
    ("target", 10),
    ("what", 19),
    ("verdict", 15),
    ("paper", 19),
    ("here", 20),
    ("chapter", 17),  # wide enough for a chapter title's longest word ("measurements")
)


def _row_html(tid: str, e: dict, book: Path) -> str:
    """One target: a one-line row, then a row with the difference (shown) and the evidence
    (folded in a <details>)."""
    what, paper_short = GLANCE.get(tid, (e["what"], e["paper"]))
    links = "<br>".join(
        f'<a href="{nb}.html">{escape(chapter_title(nb, book))}</a>'
        for nb in e["notebook"].split(", ")
        if nb
    )
    cells = [
        f"<b>{escape(tid)}</b>",
        escape(what),
        escape(STATUS_MARK[e["status"]]),
        escape(paper_short),
        escape(e["short"] or "—"),
        links or "—",
    ]
    top = "<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>"
    diff = (
        f'<p class="scorecard-difference"><b>Difference:</b> {escape(e["difference"])}</p>'
        if e["difference"] and e["status"] != "reproduced"
        else ""
    )
    evidence = (
        f"<details><summary>evidence</summary>"
        f"<p><b>Target:</b> {escape(e['what'])}</p>"
        f"<p><b>Measured here:</b> {escape(e['measured'] or '—')}</p>"
        f"<p><b>Paper:</b> {escape(e['paper'])}</p></details>"
    )
    return top + f'<tr class="scorecard-detail"><td></td><td colspan="5">{diff}{evidence}</td></tr>'


def render_markdown(card: dict[str, dict], book: Path = BOOK) -> str:
    """The scorecard page: the verdict counts per paper, then one table per paper (sections of
    TARGETS.md) with one row per target and its evidence folded."""
    targets = load_targets()
    sections: dict[str, list[str]] = {}
    for tid in card:
        sections.setdefault(targets[tid]["section"], []).append(tid)
    shown = [
        s for s in STATUSES if s != "not started" or any(e["status"] == s for e in card.values())
    ]
    lines = [
        "# Reproduction scorecard",
        "",
        "<!-- generated by `python -m lib.book.scorecard` from the notebooks' claims: do not "
        "edit -->",
        "",
        "Every target of the reproduction with its verdict, generated from the claims cells of",
        "the executed chapters (the outputs `pytest --nbval` re-computes) and written to",
        "`data/scorecard.json`. A claim whose check failed never counts as reproduced.",
        "",
        "| paper | " + " | ".join(STATUS_MARK[s] for s in shown) + " | targets |",
        "|---|" + "---:|" * (len(shown) + 1),
    ]
    for ids in sections.values():
        key = paper_key(ids[0])
        label = "beyond the papers" if key == "X" else key
        counts = [sum(card[t]["status"] == s for t in ids) for s in shown]
        lines.append(
            f"| {{ref}}`{label} <{_anchor(key)}>` | "
            + " | ".join(str(c) for c in counts)
            + f" | {len(ids)} |"
        )
    total = [sum(e["status"] == s for e in card.values()) for s in shown]
    lines.append("| **all** | " + " | ".join(f"**{c}**" for c in total) + f" | **{len(card)}** |")
    lines += [
        "",
        "**Verdicts.** *Reproduced*: the paper's statement holds here. *With a difference*: it",
        "holds, with a difference in a number, a setting or a regime, stated under the row.",
        "*Not reproduced*: what the book measures contradicts the statement (after a bug and a",
        "misreading of the paper were ruled out; the chapter says what was checked). *Not",
        "reproducible here*: data or hardware missing. Each row's *evidence* unfolds the",
        "measured numbers in full and the paper's claim.",
    ]
    cols = "".join(f'<col style="width:{w}%">' for _, w in GLANCE_COLUMNS)
    head = "".join(f"<th>{h}</th>" for h, _ in GLANCE_COLUMNS)
    for section, ids in sections.items():
        rows = "".join(_row_html(tid, card[tid], book) for tid in ids)
        lines += [
            "",
            f"({_anchor(paper_key(ids[0]))})=",
            f"## {section}",
            "",
            f'<table class="scorecard-glance"><colgroup>{cols}</colgroup>'
            f"<thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>",
        ]
    return "\n".join(lines) + "\n"


def _anchor(key: str) -> str:
    """The label of a paper's section on the scorecard page ('scorecard-p1', ...)."""
    return f"scorecard-{key.lower()}"


def _json(card: dict[str, dict]) -> dict[str, dict]:
    return {k: {f: v[f] for f in FIELDS} for k, v in card.items()}


def write(card: dict[str, dict]) -> None:
    SCORECARD_JSON.write_text(json.dumps(_json(card), indent=1, ensure_ascii=False) + "\n")
    SCORECARD_MD.write_text(render_markdown(card))


def check() -> list[str]:
    """Differences between the committed scorecard files and the notebooks' claims."""
    card = collect()
    problems = []
    have_json = json.loads(SCORECARD_JSON.read_text()) if SCORECARD_JSON.exists() else None
    if have_json != _json(card):
        problems.append("data/scorecard.json is out of date: run `python -m lib.book.scorecard`")
    have_md = SCORECARD_MD.read_text() if SCORECARD_MD.exists() else None
    if have_md != render_markdown(card):
        problems.append("book/scorecard.md is out of date: run `python -m lib.book.scorecard`")
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
    for p in verdict_problems(card):
        print(f"verdict problem: {p}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
