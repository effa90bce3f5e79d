"""Benchmark: median time per inversion of P2's 20-100-500 random network, per LP method.

Not a test (timings depend on the machine and its load). Run:

    .venv/bin/python benchmarks/p2_lp.py [--signals 20] [--noise 1e-2]
                                         [--primal-signals 10] [--batch 20 100]

Each method's problems are built once (``LayerwiseLP``) and re-used for every signal; the build
time is reported separately. Backends: HiGHS through highspy (warm-started, the default; one
signal after the other) and ``ipm`` for the l_inf LP: Alg. 1 for a whole batch of signals at
once (a batched interior point in torch with an exact vertex check, see lib.methods._ipm), whose
time per signal is the batch's time divided by its size. With HiGHS the ReLU l_inf and l_1 LPs
are solved through their duals by default; the ``highs/primal`` rows solve the primal LPs
instead, for comparison. ``l1 p=10`` is Alg. 2 with the patience the book uses. Paper (P2 Table
1, CPU seconds per inversion, k = 10..110): l_inf LP 0.63-1.03, l_1 LP 1.05-1.39, LP relaxation
0.53-0.76, GD 1.59-2.09.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from lib.core.generator import Generator
from lib.core.metrics import relative_error
from lib.methods.gradient import gradient_descent
from lib.methods.lp import LP_METHODS, LayerwiseLP

PAPER = {"linf": (0.63, 1.03), "l1": (1.05, 1.39), "relax": (0.53, 0.76), "gd": (1.59, 2.09)}


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--signals", type=int, default=20)
    ap.add_argument("--primal-signals", type=int, default=10, help="signals for the primal form")
    ap.add_argument(
        "--batch", type=int, nargs="+", default=[20, 100], help="batch sizes for backend='ipm'"
    )
    ap.add_argument("--noise", type=float, default=1e-2, help="uniform noise U(-a, a); 0: none")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)

    G = Generator.random([20, 100, 500], seed=args.seed, std="fan_out", output="relu")
    N = max([args.signals, *(2 * b for b in args.batch)])
    z = G.sample_latent(N, seed=args.seed + 1)
    gen = torch.Generator().manual_seed(args.seed + 2)
    e = (torch.rand(N, 500, generator=gen, dtype=torch.float64) * 2 - 1) * args.noise
    y = G(z) + e
    print(
        f"20-100-500 ReLU net, N(0, 1/n_i) weights, uniform noise a = {args.noise:g}, "
        f"torch threads {torch.get_num_threads()}"
    )
    print(
        f"{'method':<8} {'backend':<12} {'build ms':>9} {'median ms':>10} {'p90 ms':>8} "
        f"{'LPs/signal':>10} {'median rel.err':>14}  paper (s)"
    )
    runs = [(m, "highs", None, 1, args.signals) for m in LP_METHODS]
    runs.insert(2, ("l1", "highs", None, 10, args.signals))  # the patience the book uses
    runs += [(m, "highs", "primal", p, args.primal_signals) for m in ("linf", "l1") for p in (1,)]
    for method, backend, form, patience, B in runs:
        if B <= 0:
            continue
        t0 = time.perf_counter()
        inv = LayerwiseLP(G, method, backend=backend, patience=patience, form=form)
        build = time.perf_counter() - t0
        times, errs, solves = [], [], []
        for s in range(B):
            r = inv.invert(y[s : s + 1])
            times.append(r.seconds)
            errs.append(float(relative_error(z[s : s + 1], r.z)[0]))
            solves.append(int(r.solves.sum()))
        lo, hi = PAPER[method]
        name = method + (f" p={patience}" if patience > 1 else "")
        how = backend + ("" if form is None else f"/{form}")
        print(
            f"{name:<8} {how:<12} {build * 1e3:9.1f} {np.median(times) * 1e3:10.1f} "
            f"{np.percentile(times, 90) * 1e3:8.1f} {np.mean(solves):10.1f} "
            f"{np.median(errs):14.2e}  {lo}-{hi}"
        )
    # backend='ipm': all signals' LPs of a layer solved together (time per signal = batch time
    # / B). "cold": a new inverter, whose search starts at t = 0; "warm": the next B signals,
    # whose search starts at the first batch's median answer (as the simplex rows above start
    # each signal at the previous one's). "1 by 1": the ipm backend, one signal per call.
    lo, hi = PAPER["linf"]
    for B in args.batch:
        inv = LayerwiseLP(G, "linf", backend="ipm")
        for label, sl in (("cold", slice(0, B)), ("warm", slice(B, 2 * B))):
            r = inv.invert(y[sl])
            err = float(relative_error(z[sl], r.z).median())
            fb = sum(layer.fallbacks for layer in inv.layers)
            print(
                f"{'linf':<8} {f'ipm B={B} {label}':<12} {'':>9} {r.seconds / B * 1e3:10.1f} "
                f"{'(batch)':>8} {r.solves.sum(1).mean():10.1f} {err:14.2e}  {lo}-{hi}"
                f"  simplex fallbacks {fb}"
            )
    inv = LayerwiseLP(G, "linf", backend="ipm")
    times = [inv.invert(y[s : s + 1]).seconds for s in range(args.signals)]
    print(
        f"{'linf':<8} {'ipm 1 by 1':<12} {'':>9} {np.median(times) * 1e3:10.1f} "
        f"{np.percentile(times, 90) * 1e3:8.1f}"
    )
    B = args.signals
    t0 = time.perf_counter()
    r = gradient_descent(G, y[:B], lr=1.0, max_iter=1000, tol=1e-9, seed=args.seed + 3)
    per = (time.perf_counter() - t0) / B
    err = float(relative_error(z[:B], r.z).median())
    lo, hi = PAPER["gd"]
    print(
        f"{'gd':<8} {'torch':<12} {'':>9} {per * 1e3:10.1f} {'(batch)':>8} {'':>10} "
        f"{err:14.2e}  {lo}-{hi}"
    )


if __name__ == "__main__":
    main()
