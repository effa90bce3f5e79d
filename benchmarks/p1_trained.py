"""Benchmark (not a test), target P1-time: 512 inversions of the trained P1 MNIST generator
(20-128-392-784, batch-norm folded, PLU output; ``data/mnist_p1_generator.pt``), clean images,
Latent-Pursuit and gradient descent in one run, wall time and accuracy side by side.

P1 (Sec. 6.2) reports, on an Nvidia 1080Ti GPU, about 75 s for 512 Latent-Pursuit inversions
(15 s per layer, debiasing included) and about 30 s for gradient descent (10,000 iterations,
momentum 0.9, step 1e-1 decaying).

    .venv/bin/python benchmarks/p1_trained.py [--signals 512] [--gd-steps 10000] [--threads N]
                                              [--device cpu] [--no-reference] [--out FILE]

Runs, on the same signals (z ~ N(0, I), seed 2020):
- Latent-Pursuit (P1 Alg. 5, rho = 1e-2, lam = 0, gamma = 0, debiasing) in float64 with the
  exact-polish engine (``polish=True``, the library default), the same in float32, and the
  paper's iterations alone (``polish=False``, the reference; skip with --no-reference);
- the Oracle (true supports, P1 Alg. 1);
- gradient descent with momentum 0.9, step 1e-1 halved every gd_steps/5 steps, gd_steps steps
  (float64), from z0 ~ N(0, I) (seed 2022).
Accuracy: median SNR(z) and the share of signals with SNR(z) >= 40 dB (recovered to 1 %).
Stored run: ``benchmarks/p1_trained.json`` (the 2-core CPU of the book's development machine,
shared with other jobs: the load average is recorded).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import torch

from lib.core.metrics import snr_db
from lib.methods.gradient import gradient_descent
from lib.methods.pursuit import latent_pursuit, oracle
from lib.mnist.models import generator_from_torch
from lib.mnist.train import load

SUCCESS_DB = 40.0


def summary(z: torch.Tensor, z_hat: torch.Tensor, seconds: float) -> dict:
    s = snr_db(z, z_hat.to(z.dtype)).cpu()
    return {
        "seconds": round(seconds, 2),
        "median_snr_z_db": round(float(s.median()), 1),
        "recovered": int((s >= SUCCESS_DB).sum()),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--signals", type=int, default=512)
    ap.add_argument("--gd-steps", type=int, default=10_000)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0: torch default)")
    ap.add_argument("--no-reference", action="store_true")
    ap.add_argument(
        "--pursuit-only",
        action="store_true",
        help="re-run only the polished Latent-Pursuit rows and the Oracle, merged into --out "
        "(recorded under 'reruns'; the GD and reference rows are kept from the stored run)",
    )
    ap.add_argument("--out", default="")
    a = ap.parse_args()
    if a.threads:
        torch.set_num_threads(a.threads)
    module, _ = load("p1")
    G = generator_from_torch(module).to(device=a.device)
    z = G.sample_latent(a.signals, seed=2020)
    fw = G.forward(z)
    y = fw.out
    res: dict = {
        "command": "python benchmarks/p1_trained.py"
        + (f" --threads {a.threads}" if a.threads else "")
        + (f" --signals {a.signals}" if a.signals != 512 else "")
        + (f" --gd-steps {a.gd_steps}" if a.gd_steps != 10_000 else ""),
        "device": str(a.device),
        "device_name": (
            torch.cuda.get_device_name(a.device) if str(a.device).startswith("cuda") else "CPU"
        ),
        "torch": torch.__version__,
        "cpu": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "load_average_at_start": [round(v, 2) for v in os.getloadavg()],
        "signals": a.signals,
        "dims": G.dims,
        "success": f"SNR(z) >= {SUCCESS_DB:g} dB",
        "paper_gpu_1080ti": {"latent_pursuit_s": 75, "gd_s": 30},
    }

    def run_lp(Gx, yx, **kw):
        t0 = time.perf_counter()
        r = latent_pursuit(Gx, yx, rho=1e-2, lam=0.0, gamma=0.0, **kw)
        out = summary(z, r.z, time.perf_counter() - t0)
        out["status"] = r.counts()
        out["stage_iterations_mean"] = {
            k: round(float(v.double().mean()), 1) for k, v in r.stage_iterations.items()
        }
        return out

    res["latent_pursuit"] = run_lp(G, y)
    G32 = G.to(dtype=torch.float32)
    res["latent_pursuit_float32"] = run_lp(G32, y.float())
    t0 = time.perf_counter()
    r = oracle(G, y, supports=fw.supports)
    res["oracle"] = summary(z, r.z, time.perf_counter() - t0)
    if a.pursuit_only:
        stored = json.loads(Path(a.out).read_text()) if a.out else {}
        keys = ("latent_pursuit", "latent_pursuit_float32", "oracle")
        stored.update({k: res[k] for k in keys})
        stored.setdefault("reruns", []).append(
            {
                "command": res["command"] + " --pursuit-only",
                "entries": list(keys),
                "torch_threads": res["torch_threads"],
                "load_average_at_start": res["load_average_at_start"],
            }
        )
        print(json.dumps(stored, indent=1))
        if a.out:
            Path(a.out).write_text(json.dumps(stored, indent=1) + "\n")
        return
    t0 = time.perf_counter()
    gd = gradient_descent(
        G,
        y,
        optimizer="momentum",
        lr=0.1,
        momentum=0.9,
        decay=0.5,
        decay_every=max(1, a.gd_steps // 5),
        max_iter=a.gd_steps,
        tol=1e-9,
        seed=2022,
    )
    res["gd_momentum"] = summary(z, gd.z, time.perf_counter() - t0)
    res["gd_momentum"]["steps"] = a.gd_steps
    res["gd_momentum"]["status"] = gd.counts()
    if not a.no_reference:
        res["latent_pursuit_reference"] = run_lp(G, y, polish=False)
    res["load_average_at_end"] = [round(v, 2) for v in os.getloadavg()]
    print(json.dumps(res, indent=1))
    if a.out:
        Path(a.out).write_text(json.dumps(res, indent=1) + "\n")


if __name__ == "__main__":
    main()
