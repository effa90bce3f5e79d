"""Cross-device check (not a test; needs a CUDA GPU): the batched torch code of ``lib`` gives the
CPU's numbers on the GPU.

    python benchmarks/gpu_check.py            # compares cpu with cuda
    DEV2=cpu python benchmarks/gpu_check.py   # runs the script without a GPU (cpu vs cpu)

Checks: two points of P1's random-network sweep (gradient descent, Layered Basis-Pursuit,
Latent-Pursuit; book scale), P2's gradient descent on the 20-100-500 net, P3's (unmasked)
gradient recovery of a random transposed-conv net. Prints the medians on both devices and the
largest difference of the per-signal SNRs.
"""

from __future__ import annotations

import os
import time

import torch

from lib import experiments
from lib.conv import ConvGenerator, recover
from lib.generator import Generator
from lib.gradient import gradient_descent
from lib.pursuit import random_sweep_point

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
        r = gradient_descent(G, G(z), lr=1.0, steps=1000, seed=3)
        print(f"P2 GD 20-100-500 on {dev}: median relative error {rel(r.z, z):.3e}")
    for dev in ("cpu", DEV2):
        C = ConvGenerator.random([4, 8, 1], in_size=(2, 2), kernel=5, stride=3, seed=0, device=dev)
        z = C.sample_latent(32, seed=1)
        r = recover(C, C(z), steps=500, seed=2)
        print(f"P3 conv recovery on {dev}: median relative error {rel(r.z, z):.3e}")


if __name__ == "__main__":
    main()
