"""Run chapters at the papers' own scale (``BOOK_SCALE=paper``) and store, per chapter, the wall
time, the device and the claims' numbers at that scale.

Not a test: the stored notebooks (and nbval) stay at book scale. Each chapter is executed from
its stored notebook into a temporary copy (nothing under book/ is written), in book/ as working
directory, with ``BOOK_SCALE=paper`` in the kernel's environment and a wall-clock limit per
chapter. A chapter whose sizes are the same at both scales (``lib.book.experiments``) is not run
again unless ``--all`` is given: its book-scale numbers are its paper-scale numbers.

    .venv/bin/python benchmarks/paper_scale.py [--chapters p1_guarantees ...] [--limit 600]
                                               [--all] [--out benchmarks/paper_scale_cpu.json]

On a GPU machine (Colab, or the device tool) the chapters pick the GPU themselves
(``lib.core.device.device()``); the output file then records ``cuda`` and the GPU's name.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lib.book import experiments  # noqa: E402
from lib.book.scorecard import notebook_claims  # noqa: E402


def chapters() -> list[str]:
    return sorted(
        p.stem for p in (ROOT / "book").glob("*.ipynb") if not p.stem.startswith("notes_")
    )


def differs(chapter: str) -> bool:
    """Whether any of the chapter's sizes differs between the book and paper scales."""
    if chapter not in experiments.EXPERIMENTS:
        return False
    return experiments.settings(chapter, "book") != experiments.settings(chapter, "paper")


def device_name() -> dict:
    import torch

    if torch.cuda.is_available():
        return {"device": "cuda", "name": torch.cuda.get_device_name(0)}
    return {"device": "cpu", "name": platform.processor() or platform.machine()}


def run_chapter(chapter: str, limit: float) -> dict:
    """Execute book/<chapter>.ipynb at paper scale within ``limit`` seconds."""
    env = {**os.environ, experiments.SCALE_ENV: "paper"}
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / f"{chapter}.ipynb"
        cmd = [
            sys.executable,
            "-m",
            "jupyter",
            "nbconvert",
            "--to",
            "notebook",
            "--execute",
            "--allow-errors",  # a failed claim still shows its table: keep the numbers
            f"--ExecutePreprocessor.timeout={int(limit)}",
            "--output",
            str(out),
            str(ROOT / "book" / f"{chapter}.ipynb"),
        ]
        t0 = time.perf_counter()
        try:
            proc = subprocess.run(
                cmd, env=env, cwd=ROOT / "book", capture_output=True, text=True, timeout=limit
            )
        except subprocess.TimeoutExpired:
            return {"status": f"not finished within {limit:.0f} s", "seconds": None}
        seconds = round(time.perf_counter() - t0, 1)
        if proc.returncode != 0 or not out.exists():
            tail = re.sub(r"\x1b\[[0-9;]*m", "", proc.stderr or proc.stdout).strip()
            return {"status": "error", "seconds": seconds, "error": tail.splitlines()[-3:]}
        claims = [
            {k: c[k] for k in ("id", "status", "passed", "measured") if k in c}
            for c in notebook_claims(out)
        ]
        errors = [
            re.sub(r"\x1b\[[0-9;]*m", "", f"{o['ename']}: {o['evalue']}")
            for cell in json.loads(out.read_text())["cells"]
            for o in cell.get("outputs", [])
            if o.get("output_type") == "error"
        ]
        status = "ok" if claims and all(c.get("passed") for c in claims) else "claims failed"
        if errors and not claims:
            status = "error"
        return {"status": status, "seconds": seconds, "claims": claims, "errors": errors}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--chapters", nargs="+", default=None, help="chapter names (default: all)")
    ap.add_argument("--limit", type=float, default=600, help="seconds per chapter (default 600)")
    ap.add_argument(
        "--all", action="store_true", help="also run chapters whose sizes are the same at both"
    )
    ap.add_argument("--out", default="", help="JSON file; merged into an existing one")
    a = ap.parse_args(argv)
    names = a.chapters or chapters()
    out_path = Path(a.out) if a.out else None
    store = json.loads(out_path.read_text()) if out_path and out_path.exists() else {}
    store.update({"machine": device_name(), "limit_s": a.limit})
    store.setdefault("chapters", {})
    for ch in names:
        if not (a.all or differs(ch)):
            store["chapters"][ch] = {"status": "same sizes at both scales: not run"}
            print(f"{ch:22s} same sizes at both scales")
            continue
        r = run_chapter(ch, a.limit)
        store["chapters"][ch] = r
        print(f"{ch:22s} {r['status']:30s} {r.get('seconds')}")
        if out_path:
            out_path.write_text(json.dumps(store, indent=1) + "\n")
    if out_path:
        out_path.write_text(json.dumps(store, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
