"""Benchmark (not a test): how the cost of an inversion grows with the batch size and the width.

Three methods, each batched over the signals with torch:

- Latent-Pursuit (P1 Algorithm 5) on P1's random network x = tanh(W_1 ReLU(W_0 z)), n_0 = 100,
  n = 625 (P1 Sec. 6.1), clean signals;
- P2's l_inf LP (Algorithm 1, layer-wise, the batched interior point ``backend='ipm'``) on a
  20-n_1-784 ReLU network (P2's MNIST shape), clean signals;
- gradient descent on the loss 1/2 ||G(z) - y||^2 (the baseline of all three papers), a fixed
  number of steps, on P1's network.

Two sweeps: the batch size B = 1 ... 4,096 at the papers' widths (n_1 = 600 for P1's net, 60 for
P2's), and the hidden width n_1 at a fixed batch. Reported per point: seconds per signal, the
method's iterations per signal, and the achieved GFLOP/s from a FLOP count of one iteration (the
matrix-vector products with the weights, which dominate). The fitted growth is the least-squares
slope of log(time per signal) against log(B) or log(n_1). The roofline is the machine's measured
rate of a large float64 matrix product on the same threads: the highest rate any of these
methods could reach.

    .venv/bin/python benchmarks/scaling.py [--threads 1] [--quick] [--workers 1]
                                           [--out benchmarks/scaling.json]
                                           [--figure book/images/scaling.png]

The stored run (``benchmarks/scaling.json`` and the figure on the notes page "How the cost grows")
used one torch thread on the 2-core development CPU.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from concurrent.futures import Executor, ProcessPoolExecutor
from pathlib import Path

import numpy as np
import torch

from lib.core.generator import Generator
from lib.methods.gradient import gradient_descent
from lib.methods.lp import LayerwiseLP
from lib.methods.pursuit import latent_pursuit

BATCHES = (1, 4, 16, 64, 256, 1024, 4096)
GD_STEPS = 50


def peak_gflops(n: int = 1024, repeats: int = 3) -> float:
    """The machine's float64 matrix-product rate (GFLOP/s) on the current torch threads."""
    a = torch.randn(n, n, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    a @ a  # warm up
    best = min(_timed(lambda: a @ a) for _ in range(repeats))
    return 2 * n**3 / best / 1e9


def _timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def p1_net(n1: int) -> Generator:
    return Generator.random([100, n1, 625], seed=2020, std="fan_in", output="tanh")


def p2_net(n1: int) -> Generator:
    return Generator.random([20, n1, 784], seed=2019, std="fan_out", output="relu")


def run_latent_pursuit(n1: int, B: int, iters: int = 100) -> dict:
    """Latent-Pursuit as P1 prints it (no polish), at most ``iters`` iterations per stage (tol
    1e-14): one iteration of the stage that estimates the input of W_i costs a product with W_i
    and one with W_i^T per signal (4 n_i n_{i+1} FLOPs); the debiasing solve is not counted."""
    G = p1_net(n1)
    y = G(G.sample_latent(B, seed=1))
    res = latent_pursuit(G, y, rho=1e-2, lam=0.0, max_iter=iters, tol=1e-14, polish=False)
    its = {k: v.double() for k, v in res.stage_iterations.items() if k != "debias"}
    # stage 'x_i' estimates the input of W_i, stage 'z' the input of W_0
    size = {f"x_{i}": G.dims[i] * G.dims[i + 1] for i in range(1, len(G.dims) - 1)}
    size["z"] = G.dims[0] * G.dims[1]
    flops = sum(4 * size[k] * v for k, v in its.items())
    n_it = sum(its.values())
    return _point(res.seconds, B, float(n_it.mean()), float(flops.mean()), None)


def run_linf_lp(n1: int, B: int) -> dict:
    """The l_inf LP by the batched interior point, the whole layer-wise inversion: one
    interior-point iteration of a layer's LP (m rows, k unknowns) forms and factors its normal
    matrix, about 2 m k^2 FLOPs. ``iterations`` counts the interior-point iterations of every
    LP solved for the signal and, where the engine solves a first signal or checks a vertex with
    the simplex method, its iterations, counted at the same cost: an over-estimate of the FLOPs
    (and of the achieved rate) at small batches, where that share is largest."""
    G = p2_net(n1)
    y = G(G.sample_latent(B, seed=1))
    inv = LayerwiseLP(G, "linf", backend="ipm")
    t0 = time.perf_counter()
    res = inv.invert(y)
    secs = time.perf_counter() - t0
    its = np.nan_to_num(np.asarray(res.solver_iterations, float)).clip(min=0)  # (B, layers)
    cost = np.array([2 * G.dims[i + 1] * G.dims[i] ** 2 for i in range(len(G.dims) - 1)])
    flops = its @ cost
    return _point(secs, B, float(its.sum(1).mean()), float(flops.mean()), int(res.ok.sum()))


def run_gd(n1: int, B: int, steps: int = GD_STEPS) -> dict:
    """Gradient descent, a fixed number of steps: one step is a forward and a backward pass
    (about 3 x 2 sum_i n_i n_{i+1} FLOPs per signal)."""
    G = p1_net(n1)
    y = G(G.sample_latent(B, seed=1))
    t0 = time.perf_counter()
    gradient_descent(G, y, lr=0.1, max_iter=steps, tol=0.0, seed=2)
    secs = time.perf_counter() - t0
    per_step = 6 * sum(G.dims[i] * G.dims[i + 1] for i in range(len(G.dims) - 1))
    return _point(secs, B, float(steps), float(steps * per_step), None)


def _point(secs: float, B: int, iters: float, flops: float, ok) -> dict:
    """One measurement; ``flops`` per signal, all iterations."""
    per_signal = secs / B
    return {
        "B": B,
        "seconds": round(secs, 4),
        "ms_per_signal": round(1e3 * per_signal, 4),
        "iterations_per_signal": round(iters, 1),
        "flops_per_signal": flops,
        "gflops": round(flops / per_signal / 1e9, 3),
        "successes": ok,
    }


def slope(xs, ys) -> float:
    """Least-squares slope of log(y) against log(x): the growth exponent."""
    return float(np.polyfit(np.log(xs), np.log(ys), 1)[0])


METHODS = {
    "latent_pursuit": (run_latent_pursuit, 600, (150, 300, 600, 1200, 2400)),
    "linf_lp": (run_linf_lp, 60, (30, 60, 120, 240)),  # expansive: P2 needs n_1 < lit pixels
    "gd": (run_gd, 600, (150, 300, 600, 1200, 2400)),
}
LABELS = {
    "latent_pursuit": "Latent-Pursuit (P1 Alg. 5)",
    "linf_lp": "l_inf LP (P2 Alg. 1, IPM)",
    "gd": f"GD ({GD_STEPS} steps)",
}


def point(name: str, n1: int, B: int, warm_up: bool = False) -> dict:
    """One measurement of the method ``name`` at width n1 and batch B; with ``warm_up``, after a
    call at B = 4 (first-call costs of a fresh worker process)."""
    fn = METHODS[name][0]
    if warm_up:
        fn(n1, 4)
    return fn(n1, B)


def sweep(batches, width_batch: int, executor: Executor | None = None) -> dict:
    """Every method's batch sweep and width sweep. The points are independent (each draws its
    network and signals from fixed seeds): ``executor`` (a ``concurrent.futures.Executor``: a
    process pool, or Dask's or Ray's, see ``lib.book.experiments.run_points``) measures them side by
    side, each after its own warm-up call. The iterations and successes are the same as one
    after the other (None, the default); the times are comparable only where every worker has
    cores of its own."""
    jobs = {}  # (name, n1, B) -> future
    if executor is not None:
        for name, (_, n1, widths) in METHODS.items():
            for n, B in [(n1, B) for B in batches] + [(w, width_batch) for w in widths]:
                jobs[name, n, B] = executor.submit(point, name, n, B, True)

    def measure(name, n, B):
        return point(name, n, B) if executor is None else jobs[name, n, B].result()

    out = {}
    for name, (fn, n1, widths) in METHODS.items():
        if executor is None:
            fn(n1, 4)  # warm up (allocator, first-call overheads)
        by_batch = []
        for B in batches:
            by_batch.append(measure(name, n1, B))
            print(f"{name:15s} n1={n1:5d} B={B:5d} {by_batch[-1]['ms_per_signal']:9.3f} ms/signal")
        by_width = []
        for w in widths:
            by_width.append({"n1": w, **measure(name, w, width_batch)})
            print(
                f"{name:15s} n1={w:5d} B={width_batch:5d} {by_width[-1]['ms_per_signal']:9.3f} ms"
            )
        big = [p for p in by_batch if p["B"] >= 64]
        out[name] = {
            "label": LABELS[name],
            "n1": n1,
            "by_batch": by_batch,
            "by_width": by_width,
            "growth_in_B_for_B>=64": round(
                slope([p["B"] for p in big], [p["seconds"] for p in big]), 2
            ),
            "growth_per_signal_in_n1": round(
                slope([p["n1"] for p in by_width], [p["ms_per_signal"] for p in by_width]), 2
            ),
        }
    return out


def figure(res: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")

    from lib.book.plotting import METHOD_COLORS, subplots, use_book_style

    use_book_style()
    colors = {
        "latent_pursuit": METHOD_COLORS.get("latent_pursuit", "C0"),
        "linf_lp": METHOD_COLORS.get("linf", "C1"),
        "gd": METHOD_COLORS.get("gd", "C2"),
    }
    fig, axes = subplots(1, 3, height=2.6)  # the book's column width
    for name, r in res["methods"].items():
        b = r["by_batch"]
        axes[0].loglog(
            [p["B"] for p in b],
            [p["ms_per_signal"] for p in b],
            "o-",
            ms=3,
            color=colors[name],
            label=LABELS[name],
        )
        w = r["by_width"]
        axes[1].loglog(
            [p["n1"] for p in w], [p["ms_per_signal"] for p in w], "o-", ms=3, color=colors[name]
        )
        axes[2].semilogx(
            [p["B"] for p in b], [p["gflops"] for p in b], "o-", ms=3, color=colors[name]
        )
    axes[2].axhline(res["peak_gflops"], color="k", ls="--", lw=1)
    axes[2].text(1, res["peak_gflops"] * 0.93, "matrix-product peak", va="top", fontsize=9)
    axes[0].set(xlabel="batch size B", ylabel="ms per signal", title="cost per signal")
    axes[1].set(
        xlabel="hidden width $n_1$",
        ylabel="ms per signal",
        title=f"per signal, B = {res['width_batch']}",
    )
    axes[2].set(xlabel="batch size B", ylabel="GFLOP/s", title="achieved rate")
    axes[2].set_ylim(0, res["peak_gflops"] * 1.1)
    fig.legend(loc="outside lower center", ncol=3, fontsize=9, frameon=False)
    fig.savefig(path)  # at the book style's dpi: drawn as wide as it is shown


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    ap.add_argument("--quick", action="store_true", help="batches up to 256 only (a smoke test)")
    ap.add_argument("--width-batch", type=int, default=64, help="batch of the width sweep")
    ap.add_argument("--out", default="", help="JSON file for the results")
    ap.add_argument("--figure", default="", help="PNG file for the figure")
    ap.add_argument(
        "--replot", action="store_true", help="only draw --figure from the stored --out JSON"
    )
    ap.add_argument(
        "--workers",
        type=int,
        default=1,
        help="processes that measure the points side by side, --threads torch threads each "
        "(default 1: one after the other; side by side the workers share the cores, which "
        "slows every time measured)",
    )
    a = ap.parse_args(argv)
    if a.replot:
        figure(json.loads(Path(a.out).read_text()), Path(a.figure))
        return
    torch.set_num_threads(a.threads)
    batches = [b for b in BATCHES if not a.quick or b <= 256]
    t0 = time.perf_counter()
    res = {
        "torch": torch.__version__,
        "cpu": platform.processor() or platform.machine(),
        "torch_threads": torch.get_num_threads(),
        "dtype": "float64",
        "peak_gflops": round(peak_gflops(), 2),
        "width_batch": a.width_batch,
        "load_average_at_start": [round(v, 2) for v in os.getloadavg()],
    }
    print(
        f"{res['torch_threads']} torch thread(s); "
        f"float64 matrix product {res['peak_gflops']} GFLOP/s"
    )
    if a.workers > 1:
        init = dict(initializer=torch.set_num_threads, initargs=(a.threads,))
        with ProcessPoolExecutor(a.workers, **init) as pool:
            res["methods"] = sweep(batches, a.width_batch, pool)
    else:
        res["methods"] = sweep(batches, a.width_batch)
    res["workers"] = a.workers
    res["total_seconds"] = round(time.perf_counter() - t0, 1)
    res["load_average_at_end"] = [round(v, 2) for v in os.getloadavg()]
    for name, r in res["methods"].items():
        print(
            f"{name}: time per batch ~ B^{r['growth_in_B_for_B>=64']} (B >= 64), "
            f"time per signal ~ n1^{r['growth_per_signal_in_n1']}"
        )
    if a.out:
        Path(a.out).write_text(json.dumps(res, indent=1) + "\n")
    if a.figure:
        figure(res, Path(a.figure))


if __name__ == "__main__":
    main()
