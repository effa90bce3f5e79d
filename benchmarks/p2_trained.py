"""Time P2's l_inf LP (Alg. 1) on the trained 20-60-784 MNIST generator (P2 Table 1, MNIST).

Usage:
    .venv/bin/python benchmarks/p2_trained.py [--signals 50] [--noise 1e-2] [--out FILE]

Target (issue 13): <= 50 ms per inversion one signal at a time, <= 10 ms per signal in
batches. One signal at a time: HiGHS (the default backend, warm-started from the previous
signal) and the batched interior point given one signal per call, 50 signals each; in
batches: the interior point (``backend="ipm"``), 4 consecutive batches of 50 and 2 of 200
(an experiment inverts its signals batch after batch; the first batch of a new LayerwiseLP
also learns where the answers lie, and its time is reported on its own as well). Every
configuration gets a fresh LayerwiseLP, warmed up by inverting one signal (first-call costs).
Noise: Gaussian N(0, a^2) on every pixel, and noiseless. One torch thread. Writes a JSON
record (default benchmarks/p2_trained.json) with the machine's load average, so that a run
on a busy machine can be recognised.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import numpy as np
import torch

from lib.core.metrics import relative_error
from lib.core.observation import add_noise
from lib.methods.lp import LayerwiseLP
from lib.mnist.models import generator_from_torch
from lib.mnist.train import load


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--signals", type=int, default=50)
    ap.add_argument("--noise", type=float, default=1e-2)
    ap.add_argument("--out", default=str(Path(__file__).with_suffix(".json")))
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    G = generator_from_torch(load("p2")[0])
    N = args.signals
    z = G.sample_latent(1 + 400, seed=7)
    rows = []
    for a in (0.0, args.noise):
        y = add_noise(G(z), "gaussian", a, seed=8) if a > 0 else G(z)
        for name, backend, B, batches in (
            ("HiGHS, one signal at a time", "highs", 1, N),
            ("interior point, one signal at a time", "ipm", 1, N),
            ("interior point, 4 batches of 50", "ipm", 50, 4),
            ("interior point, 2 batches of 200", "ipm", 200, 2),
        ):
            inv = LayerwiseLP(G, "linf", backend=backend)
            inv.invert(y[:1])  # warm-up (first-call costs, the search's first guess)
            res, secs = [], []
            for i in range(batches):
                t0 = time.perf_counter()
                res.append(inv.invert(y[1 + i * B : 1 + (i + 1) * B]))
                secs.append(time.perf_counter() - t0)
            n = B * batches
            ms = sum(secs) / n * 1e3
            zs = torch.cat([r.z for r in res])
            status = sum((r.status for r in res), [])
            solves = np.concatenate([r.solves for r in res])  # (n, layers)
            err = relative_error(z[1 : 1 + n], zs)
            row = {
                "noise": a,
                "how": name,
                "signals": n,
                "ms_per_signal": round(ms, 1),
                "lps_per_signal": round(float(solves.sum(1).mean()), 2),
                "lps_per_layer": [round(float(v), 2) for v in solves.mean(0)],
                "median_rel_error": float(f"{float(err.nanmedian()):.3g}"),
                "statuses": {s: status.count(s) for s in sorted(set(status))},
            }
            if B > 1:
                row["first_batch_ms_per_signal"] = round(secs[0] / B * 1e3, 1)
            rows.append(row)
            print(
                f"noise {a:g}  {name:<38} {ms:7.1f} ms/signal  LPs {row['lps_per_signal']:4.1f}"
                + (f"  (first batch {row['first_batch_ms_per_signal']} ms)" if B > 1 else "")
            )
    record = {
        "benchmark": "P2 l_inf LP on the trained 20-60-784 MNIST generator",
        "target_ms": {"one at a time": 50, "batched": 10},
        "torch_threads": 1,
        "load_average_before": os.getloadavg(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "rows": rows,
    }
    Path(args.out).write_text(json.dumps(record, indent=1) + "\n")
    print("wrote", args.out)


if __name__ == "__main__":
    main()
