"""The stored benchmark runs (``benchmarks/*.json``) the chapters quote: read them, and phrase what
the paper-scale run measured for a chapter. Stored numbers are quoted, never asserted."""

from __future__ import annotations

import json
from pathlib import Path

from lib.mnist.data import ROOT


def stored_run(name: str) -> dict:
    """A stored benchmark run, ``benchmarks/<name>.json`` of the repository (or its copy installed
    with the package, ``lib/_benchmarks``). Chapters quote these numbers as stored; they never
    assert on them."""
    for folder in (ROOT / "benchmarks", Path(__file__).resolve().parents[1] / "_benchmarks"):
        path = folder / f"{name}.json"
        if path.is_file():
            return json.loads(path.read_text())
    raise FileNotFoundError(f"benchmarks/{name}.json: no stored run of that name")


def paper_scale_report(chapter: str, run: str = "paper_scale_cpu") -> str:
    """What the stored paper-scale run (``benchmarks/paper_scale.py``) measured for a chapter,
    as text for the chapter to print: the machine, the wall time and each claim's verdict and
    numbers at the papers' scale, or why it has none. Stored numbers, quoted, never asserted."""
    store = stored_run(run)
    entry = store.get("chapters", {}).get(chapter)
    machine = store.get("machine", {})
    where = f"{machine.get('device', '?')} ({machine.get('name', '?')})"
    if entry is None:
        return f"no stored paper-scale run of {chapter} in benchmarks/{run}.json"
    if "claims" not in entry:
        return f"paper scale, stored run on {where}: {entry['status']}"
    lines = [
        f"paper scale, stored run (benchmarks/{run}.json) on {where}, "
        f"{entry['seconds']:.0f} s: {entry['status']}"
    ]
    for c in entry["claims"]:
        mark = "holds" if c.get("passed") else "FAILS"
        lines.append(f"  {c['id']} ({mark}, {c.get('status', '')}): {c.get('measured', '')}")
    return "\n".join(lines)
