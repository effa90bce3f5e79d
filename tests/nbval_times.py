"""Print the seconds nbval spent in each notebook (summed over its cells) from a JUnit XML report:
``python tests/nbval_times.py _build/nbval.xml``. `make nbval` writes that report and prints this
table, whose numbers the README's test-time table quotes."""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path


def notebook_seconds(report: Path) -> dict[str, float]:
    totals: dict[str, float] = defaultdict(float)
    for case in ET.parse(report).getroot().iter("testcase"):
        name = case.get("classname") or ""  # e.g. book.p1_trained.ipynb
        stem = name.removesuffix(".ipynb").rsplit(".", 1)[-1]
        totals[stem] += float(case.get("time", 0))
    return dict(totals)


def main(argv: list[str]) -> int:
    totals = notebook_seconds(Path(argv[0]))
    for name, secs in sorted(totals.items(), key=lambda kv: -kv[1]):
        print(f"{name:24s} {secs:7.1f} s")
    print(f"{'all notebooks (CPU)':24s} {sum(totals.values()):7.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
