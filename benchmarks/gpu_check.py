"""Cross-device check (not a test; needs a CUDA GPU): the batched torch code of ``lib`` gives the
CPU's numbers on the GPU.

    python benchmarks/gpu_check.py            # compares cpu with cuda
    DEV2=cpu python benchmarks/gpu_check.py   # runs the script without a GPU (cpu vs cpu)

Checks: two points of P1's random-network sweep (gradient descent, Layered Basis-Pursuit,
Latent-Pursuit; book scale), P2's gradient descent on the 20-100-500 net (plain, and with a random
mask hiding 30 % of the output), P1's step-size search, Latent-Pursuit with a mask, P2's batched
l_inf LP (interior point), P3's gradient recovery of a random transposed-conv net (plain and
with a random mask). Prints the medians on both devices, the largest difference of the
per-signal SNRs and the per-signal status counts.
"""

from __future__ import annotations

import os
import time

import torch

from lib.book import experiments
from lib.book.experiments import random_sweep_point
from lib.core.convnet import ConvGenerator
from lib.core.generator import Generator
from lib.core.observation import random_mask
from lib.methods.gradient import gd_step_search, gradient_descent
from lib.methods.lp import LayerwiseLP
from lib.methods.pursuit import latent_pursuit
from lib.methods.recovery import recover

DEV2 = os.environ.get("DEV2", "cuda")


def rel(a: torch.Tensor, b: torch.Tensor) -> float:
    return ((a - b).norm(dim=1) / b.norm(dim=1)).median().item()


def main() -> None:
    name = torch.cuda.get_device_name() if DEV2.startswith("cuda") else DEV2
    print(f"torch {torch.__version__}; cpu vs {DEV2} ({name})")
    cfg = experiments.settings("p1_random_sweep", "book")
    for n1 in (150, 600):
        out = {}
        for dev in ("cpu", DEV2):
            t = time.perf_counter()
            out[dev] = random_sweep_point(100, n1, cfg, device=dev)
            out[dev]["t"] = time.perf_counter() - t
        for m in out["cpu"]["snr"]:
            a, b = out["cpu"]["snr"][m]["z"], out[DEV2]["snr"][m]["z"]
            print(
                f"P1 sweep n0=100 n1={n1} {m:15s} median SNR(z) cpu {a.median():6.1f} dB, "
                f"{DEV2} {b.median():6.1f} dB, max |diff| {(a - b).abs().max():.1e} dB"
            )
    for dev in ("cpu", DEV2):
        G = Generator.random([20, 100, 500], seed=0, std="fan_out", output="relu", device=dev)
        z = G.sample_latent(64, seed=1)
        M = random_mask(500, 0.7, B=64, seed=5, device=dev)
        r = gradient_descent(G, G(z), lr=1.0, max_iter=1000, seed=3)
        rm = gradient_descent(G, G(z), mask=M, lr=1.0, max_iter=1000, seed=3)
        lpr = LayerwiseLP(G, "linf", backend="ipm").invert(G(z)[:16])
        print(
            f"P2 20-100-500 on {dev}: GD median rel. error {rel(r.z, z):.3e} {r.counts()}; "
            f"masked {rel(rm.z, z):.3e} {rm.counts()}; l_inf LP (ipm) "
            f"{rel(lpr.z, z[:16]):.3e} {lpr.counts()}"
        )
    for dev in ("cpu", DEV2):
        G = Generator.random([20, 200, 625], seed=4, std=0.1, output="tanh", device=dev)
        z = G.sample_latent(32, seed=1)
        M = random_mask(625, 0.55, B=32, seed=6, device=dev)
        s = gd_step_search(G, G(z), lrs=(1e-1, 1e0, 1e1), max_iter=2000, seed=2)
        lp_ = latent_pursuit(G, G(z), mask=M)
        print(
            f"P1 200-wide tanh net on {dev}: step search median rel. error {rel(s.z, z):.3e} "
            f"{s.counts()}; masked Latent-Pursuit {rel(lp_.z, z):.3e} {lp_.counts()}"
        )
    for dev in ("cpu", DEV2):
        C = ConvGenerator.random([4, 8, 1], in_size=(2, 2), kernel=5, stride=3, seed=0, device=dev)
        z = C.sample_latent(32, seed=1)
        M = random_mask(C.dims[-1], 0.5, B=32, seed=7, device=dev)
        r = recover(C, C(z), max_iter=500, seed=2)
        rm = recover(C, C(z), mask=M, max_iter=500, seed=2)
        print(
            f"P3 conv recovery on {dev}: median relative error {rel(r.z, z):.3e}; "
            f"masked (r = 0.5) {rel(rm.z, z):.3e}"
        )


if __name__ == "__main__":
    main()
