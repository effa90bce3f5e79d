"""Benchmark (not a test): Latent-Pursuit and gradient descent on 512 signals of P1's random
network x = tanh(W_1 ReLU(W_0 z)) with n_0 = 100, n_1 = 600, n = 625 (P1 Sec. 6.1 sizes).

P1 (Sec. 6.2) reports, on an Nvidia 1080Ti GPU and for 512 inversions of its *trained* MNIST
net, about 75 s for Latent-Pursuit (15 s per layer, debiasing included) and about 30 s for
gradient descent (10,000 steps). This script times our batched implementations on whatever
device it is given, with per-signal step sizes and per-signal stopping.

    .venv/bin/python benchmarks/p1_pursuit.py [--signals 512] [--gd-steps 10000] [--device cpu]
                                              [--threads N] [--out benchmarks/p1_pursuit.json]

Stored runs: ``p1_pursuit.json`` (this 2-core CPU) and ``p1_pursuit_cuda.json`` (one H100,
``--device cuda --out benchmarks/p1_pursuit_cuda.json``).

Gradient descent runs ``--gd-steps`` steps at most (lr = 0.1, the step the P1 rule picks on
this net, stop at ||grad|| < 1e-9); with fewer steps than 10,000 the time per step is also
printed and extrapolated to 10,000 steps.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import torch

from lib.core.generator import Generator
from lib.core.metrics import snr_db
from lib.methods.gradient import gradient_descent
from lib.methods.pursuit import latent_pursuit


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--signals", type=int, default=512)
    ap.add_argument("--n0", type=int, default=100)
    ap.add_argument("--n1", type=int, default=600)
    ap.add_argument("--gd-steps", type=int, default=10_000)
    ap.add_argument("--max-iter", type=int, default=10_000)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0: torch default)")
    ap.add_argument("--out", default="")
    a = ap.parse_args()
    if a.threads:
        torch.set_num_threads(a.threads)
    G = Generator.random([a.n0, a.n1, 625], seed=2020, std="fan_in", output="tanh", device=a.device)
    z = G.sample_latent(a.signals, seed=2021)
    fw = G.forward(z)
    y = fw.out
    t0 = time.perf_counter()
    lp = latent_pursuit(G, y, rho=1e-2, gamma=0.0, lam=0.0, max_iter=a.max_iter, tol=1e-8)
    t_lp = time.perf_counter() - t0
    t0 = time.perf_counter()
    gd = gradient_descent(G, y, lr=0.1, max_iter=a.gd_steps, tol=1e-9, seed=2022)
    t_gd = time.perf_counter() - t0
    steps_run = int(gd.iterations.max())
    res = {
        "device": str(a.device),
        "device_name": (
            torch.cuda.get_device_name(a.device) if str(a.device).startswith("cuda") else "CPU"
        ),
        "torch": torch.__version__,
        "cpu": platform.processor() or platform.machine(),
        "torch_threads": torch.get_num_threads(),
        "signals": a.signals,
        "dims": G.dims,
        "latent_pursuit_s": round(t_lp, 1),
        "latent_pursuit_iterations_max": {k: int(v.max()) for k, v in lp.stage_iterations.items()},
        "latent_pursuit_status": lp.counts(),
        "latent_pursuit_median_snr_z_db": round(float(snr_db(z, lp.z).median()), 1),
        "gd_s": round(t_gd, 1),
        "gd_steps_max": steps_run,
        "gd_converged": int(gd.converged.sum()),
        "gd_median_snr_z_db": round(float(snr_db(z, gd.z).median()), 1),
        "gd_s_per_step": round(t_gd / max(steps_run, 1), 4),
        "gd_s_extrapolated_to_10000_steps": round(t_gd / max(steps_run, 1) * 10_000, 1),
        "paper_gpu_1080ti": {"latent_pursuit_s": 75, "gd_s": 30, "note": "trained MNIST net"},
    }
    print(json.dumps(res, indent=1))
    if a.out:
        Path(a.out).write_text(json.dumps(res, indent=1) + "\n")


if __name__ == "__main__":
    main()
