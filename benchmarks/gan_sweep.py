"""Sweep of GAN training settings for the fully connected MNIST generators (P1, P2).

Not a test. Each setting trains with ``lib.mnist.train.train_gan`` for a fixed wall-clock budget,
one process and one torch thread per setting, and every ``--every`` epochs scores 1,000 samples with
the committed digit classifier (``lib.mnist.train.quality_score``). The settings of
``lib.mnist.train.DEFAULTS`` for P1 and P2 were chosen from this sweep (stored run:
``benchmarks/gan_sweep.json``)::

    python benchmarks/gan_sweep.py settings.json out.json [--budget 500] [--every 25]

``settings.json`` is a list of {"name", "kind", and keyword arguments of ``train_gan``} (e.g.
``{"name": "p1_ttur", "kind": "p1", "seed": 1, "spectral": true, "lr": 1e-4, "lr_D": 4e-4}``).
Run it on a machine with as many cores as settings.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import time

import torch


def run(job: tuple[dict, float, int]) -> dict:
    """Train one setting for ``budget`` seconds; return its quality curve."""
    from lib.mnist import data as mdata
    from lib.mnist import train as T

    cfg, budget, every = job
    cfg = dict(cfg)
    torch.set_num_threads(1)
    name, kind = cfg.pop("name"), cfg.pop("kind")
    if "hidden_D" in cfg:
        cfg["hidden_D"] = tuple(cfg["hidden_D"])
    if "betas" in cfg:
        cfg["betas"] = tuple(cfg["betas"])
    ds = mdata.load_mnist()
    C, _ = T.load("classifier")
    t0, curve = time.perf_counter(), []

    def on_epoch(epoch: int, G) -> bool:
        over = time.perf_counter() - t0 > budget
        if epoch % every == 0 or over:
            s = T.quality_score(kind, G, C)
            G.train()
            row = (epoch, round(s["confident"], 3), min(s["hist"]), round(time.perf_counter() - t0))
            curve.append(row)
            print(name, row, flush=True)
        return over

    _, _, h = T.train_gan(kind, ds, epochs=cfg.pop("epochs", 10**6), on_epoch=on_epoch, **cfg)
    final = {k: h[k][-1] for k in ("loss_D", "loss_G", "D_real", "D_fake")}
    return {"name": name, "settings": {"kind": kind, **cfg}, "curve": curve, "final": final}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("settings")
    ap.add_argument("out")
    ap.add_argument("--budget", type=float, default=500.0, help="training seconds per setting")
    ap.add_argument("--every", type=int, default=25, help="epochs between two scores")
    a = ap.parse_args()
    cfgs = json.loads(open(a.settings).read())
    with mp.get_context("fork").Pool(len(cfgs)) as pool:
        res = pool.map(run, [(c, a.budget, a.every) for c in cfgs], chunksize=1)
    with open(a.out, "w") as f:
        json.dump({"runs": res}, f, indent=1)


if __name__ == "__main__":
    main()
