# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# (p2-timing)=
# # How long does it take?
#
# **What you will learn.** What one inversion by each of P2's three LPs and by gradient
# descent costs, what that cost is made of (how many LPs, and the first simplex solve of each
# signal), and how solving the LPs of many signals together makes each inversion cheaper.
# **Paper:** {cite}`lei2019` Appendix C, Table 1. **Read first:** {ref}`p2-noisy-lp` (the
# three LPs) and {ref}`p2-latent-size` (the $k$-250-600 network).
#
# P2 report the CPU time of one inversion of a random network for latent sizes
# $k = 10, 30, \dots, 110$: about $0.6$-$1.0$ s for the $\ell_\infty$ LP, $1.1$-$1.4$ s for the
# $\ell_1$ LP, $0.5$-$0.8$ s for the relaxation and $1.6$-$2.1$ s for gradient descent (target
# **P2-tab1**, random-network part; the MNIST column is measured in {ref}`p2-trained`). This
# chapter measures the same on the machine that executes it; how the LPs are made fast is in
# {ref}`notes-p2-lp`.
#
# The timings shown are of the machine that executed the notebook (for the stored notebook: a
# 2-core CPU), so they are excluded from the regression tests; the *number of LPs* each
# inversion solves is deterministic and is compared.

# %% tags=["hide-input"]
# Setup: on Colab, install the book's `lib` package (Colab's own torch is kept) and use the GPU.
import sys

if "google.colab" in sys.modules:
    import subprocess

    url = "git+https://github.com/inverting-generative-models/inversion-book"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", url], check=True)

from lib.book import setup_notebook

DEVICE = setup_notebook("p2_timing")

# %% tags=["hide-input"]
import time

import numpy as np
import torch
from myst_nb import glue

from lib.book import experiments
from lib.book.plotting import show_table
from lib.book.scorecard import Claims
from lib.core.generator import Generator
from lib.core.metrics import relative_error
from lib.methods.gradient import gradient_descent
from lib.methods.lp import LP_METHODS, LayerwiseLP

S = experiments.settings("p2_timing")
THREADS = torch.get_num_threads()  # one (setup_notebook); stated with the batched timings

PAPER = {  # P2 Table 1, CPU seconds per inversion, k = 10, 30, 50, 70, 90, 110
    "linf": (0.63, 0.73, 0.83, 0.90, 0.95, 1.03),
    "l1": (1.05, 1.05, 1.23, 1.28, 1.39, 1.22),
    "relax": (0.66, 0.53, 0.58, 0.76, 0.75, 0.70),
    "gd": (1.59, 1.65, 1.72, 1.80, 2.09, 2.01),
}

# %% [markdown]
# ## Setting
#
# P2 does not say which network or noise Table 1 used; its $k$ grid is that of the latent-size
# experiment, so we time the {ref}`noiseless k-250-600 ReLU network <p2-latent-size>`. Each
# method's LPs are built once per network (`LayerwiseLP`; the build is timed separately) and
# each signal is then inverted on its own, one after the other. Gradient descent (step 1, at
# most 1,000 steps, gradient tolerance $10^{-9}$) is timed on one signal at a time as well,
# since P2's table is per inversion (batched over many signals, GD is much cheaper per signal).

# %%
ks, R = S["k_grid"], S["runs"]
secs = {m: [] for m in (*LP_METHODS, "gd")}
build = {m: [] for m in LP_METHODS}
solves = {m: [] for m in LP_METHODS}
errs = {m: [] for m in (*LP_METHODS, "gd")}
gd_steps, gd_ms_per_step = [], []  # GD's steps per inversion and its cost per step
gen = torch.Generator().manual_seed(S["seed"])
for k in ks:
    G = Generator.random([k, S["hidden"], S["out"]], seed=S["seed"] + k, std="fan_out",
                         output="relu")
    z = G.sample_latent(R, seed=S["seed"] + 10**4 + k)
    e = (torch.rand(R, S["out"], generator=gen, dtype=G.dtype) * 2 - 1) * S["noise"]
    y = G(z) + e
    for m in LP_METHODS:
        t0 = time.perf_counter()
        inv = LayerwiseLP(G, m)
        build[m].append(time.perf_counter() - t0)
        ts, ns, es = [], [], []
        for s in range(R):
            r = inv.invert(y[s : s + 1])
            ts.append(r.seconds)
            ns.append(int(r.solves.sum()))
            es.append(float(relative_error(z[s : s + 1], r.z)[0]))
        secs[m].append(float(np.median(ts)))
        solves[m].append(float(np.mean(ns)))
        errs[m].append(float(np.max(es)))
    ts, es, ns = [], [], []
    for s in range(R):
        t0 = time.perf_counter()
        g = gradient_descent(G, y[s : s + 1], lr=1.0, max_iter=1000, tol=1e-9, seed=s)
        ts.append(time.perf_counter() - t0)
        es.append(float(relative_error(z[s : s + 1], g.z)[0]))
        ns.append(int(g.iterations[0]))
    secs["gd"].append(float(np.median(ts)))
    errs["gd"].append(float(np.max(es)))
    gd_steps.append(float(np.mean(ns)))
    gd_ms_per_step.append(1e3 * sum(ts) / max(1, sum(ns)))
# the ranking Table 1 is about: each method's time summed over the k grid, GD against the
# fastest LP (P2: GD the slowest)
total = {m: float(np.sum(v)) for m, v in secs.items()}
gd_vs_lp = total["gd"] / min(total[m] for m in LP_METHODS)
gd_vs_lp_paper = sum(PAPER["gd"]) / min(sum(PAPER[m]) for m in LP_METHODS)

# %% tags=["hide-input", "nbval-ignore-output"]
NAME = {"linf": "l_inf LP", "l1": "l_1 LP", "relax": "LP relaxation", "gd": "gradient descent"}
show_table(
    ["method", *(f"k = {k}" for k in ks), "sum over k"],
    [
        [
            NAME[m],
            *(f"{a:.2f} ({p:.2f})" for a, p in zip(secs[m], PAPER[m], strict=True)),
            f"{total[m]:.2f} ({sum(PAPER[m]):.2f})",
        ]
        for m in (*LP_METHODS, "gd")
    ],
    caption=f"Seconds per inversion, measured here (median of {R} signal(s), one thread), and in "
    "parentheses P2's Table 1. Problem build, once per network: "
    + ", ".join(f"{NAME[m]} {np.median(build[m]):.2f} s" for m in LP_METHODS),
)
print(f"GD / fastest LP, summed over k: {gd_vs_lp:.2f} here, {gd_vs_lp_paper:.2f} in P2's Table 1")
print("GD, milliseconds per step: " + " ".join(f"{v:.2f}" for v in gd_ms_per_step)
      + f"; P2 (at most 1,000 steps): at least {min(PAPER['gd']):.2f} s / 1000 = "
      f"{min(PAPER['gd']):.2f} ms per step")
lp_secs = [t for m in LP_METHODS for t in secs[m]]
glue("p2t-lp-range", f"{min(lp_secs):.2f}-{max(lp_secs):.2f}", display=False)
glue("p2t-gd-range", f"{min(secs['gd']):.2f}-{max(secs['gd']):.2f}", display=False)
glue("p2t-gd-ratio", f"{gd_vs_lp:.1f}", display=False)

# %% [markdown]
# The LPs solved per inversion (summed over the two layers) differ: one LP per layer suffices
# for the $\ell_\infty$ LP on noiseless data, while Algorithms 2 and 3 must solve at least two
# (they stop when the residual stops decreasing). They do not rank the methods by time,
# though: the $\ell_1$ LP, solved through its smaller dual ({ref}`notes-p2-lp`), ran fastest
# in the runs made for this book although it solves twice as many LPs as the $\ell_\infty$ LP;
# what an LP costs
# depends on its form and on how far its warm start is from its answer.

# %% tags=["hide-input"]
print("LPs solved per inversion, and the largest relative error")
for m in LP_METHODS:
    print(f"{m:<6} LPs: " + " ".join(f"{n:5.1f}" for n in solves[m])
          + "   max rel. error < 1e-6: " + str(max(errs[m]) < 1e-6))
print("gd     max rel. error per k: " + " ".join(f"{e:.0e}" for e in errs["gd"]))
print("gd     steps per inversion : " + " ".join(f"{n:5.0f}" for n in gd_steps))

# %% [markdown]
# **Gradient descent is not the slowest method here**, where Table 1 has it the slowest on
# every $k$: in this run the three LPs took {glue:text}`p2t-lp-range` s per inversion (one
# thread), the same order as the 0.53-1.39 s of P2's table, and gradient descent
# {glue:text}`p2t-gd-range` s against P2's 1.59-2.09 s; summed over the $k$ grid, gradient
# descent took {glue:text}`p2t-gd-ratio` times as long as the fastest LP, against 2.7 in
# Table 1 (the ratio depends on the machine: between about 0.4 and 1.1 in the runs made for
# this book). Before calling that a failure to reproduce, what was checked:
#
# - *Same gradient descent as P2's.* Step 1, at most 1,000 steps, stopping at a gradient norm
#   of $10^{-9}$ (P2 Sec. 5.1), on the observed output, timed per inversion like the LPs. It is
#   not cut short: it recovers $z$ to $10^{-8}$ where it converges (small $k$) and runs its full
#   1,000 steps where it does not (the steps printed above), and even then costs about one LP
#   inversion.
# - *LPs not unusually fast.* The $\ell_\infty$ LP and the relaxation cost about what P2
#   reports and the $\ell_1$ LP less (the table above), so the reversal is gradient descent's
#   cost: P2's 1.6-2.1 s for at most 1,000 steps is at least
#   1.6 ms per step, against a fraction of a millisecond here (printed above); a per-step
#   overhead of P2's implementation is the most likely cause.
# - *Reading of P2.* Table 1 gives CPU seconds per inversion averaged over 200 runs; P2's text
#   beside it says that on these well-conditioned random networks "gradient descent converges
#   with large stepsize and we don't observe much superiority over GD in terms of the running
#   time" — its own words do not claim the LPs are faster here. The MNIST column (gradient
#   descent at step $10^{-3}$ for up to 10,000 steps, 72 s in P2) is measured in
#   {ref}`p2-trained`.
#
# So on random networks the book does not reproduce Table 1's ranking (the claim below asserts
# the ranking measured here, with a wide margin, since seconds vary with the machine by a
# factor of up to 2-3). What dominates an LP
# inversion is the first solve of each signal: one simplex solve of the $600\times250$ output layer from the
# previous signal's basis takes several hundred iterations, a large part of a second here.
# Building each LP once and warm-starting HiGHS removes the set-up cost, not that first solve.
# Gradient descent's time depends mostly on how many of its 1,000 steps it takes before the
# gradient tolerance stops it.
#
# ## Many signals at once
#
# One signal at a time, the simplex takes a fraction of a second per $\ell_\infty$ inversion of the
# noisy 20-100-500 network of the {ref}`noisy-inversion chapter <p2-noisy-lp>`. An experiment,
# though, inverts many signals through one network, and
# `LayerwiseLP(G, "linf", backend="ipm")` solves the LPs of all of them together: every signal
# runs its own bracketing search, and each round's LPs are solved by one batched interior-point
# method whose answers are turned into exact, checked vertices (`lib.methods._ipm`; described in the
# noisy-inversion chapter). Below, 20 signals (noise $U(-10^{-2}, 10^{-2})$) one by one with
# HiGHS, and two batches of 20 further signals with the batched solver. Every search starts
# where its answer is expected (from the signal's most negative entry, a sample of its noise,
# and the layer's recent answers; see {ref}`notes-p2-lp`). In the first batch of a new inverter
# ("cold") one signal is inverted first, then the next ones up to 8, and then the rest; the
# next batch ("warm") has those answers from the start. The header of the table gives the
# number of torch threads used.

# %%
G = Generator.random([20, 100, 500], seed=S["seed"], std="fan_out", output="relu")
B = 20
z = G.sample_latent(3 * B, seed=S["seed"] + 1)
gen = torch.Generator().manual_seed(S["seed"] + 2)
y = G(z) + (torch.rand(3 * B, 500, generator=gen, dtype=G.dtype) * 2 - 1) * 1e-2
one_by_one = LayerwiseLP(G, "linf")
runs = {"HiGHS, one by one": [one_by_one.invert(y[s : s + 1]) for s in range(B)]}
batched = LayerwiseLP(G, "linf", backend="ipm")
runs["batch of 20, cold"] = [batched.invert(y[B : 2 * B])]
runs["batch of 20, warm"] = [batched.invert(y[2 * B :])]
ms = {k: sum(r.seconds for r in v) / B * 1e3 for k, v in runs.items()}

# %% tags=["hide-input", "nbval-ignore-output"]
show_table(
    ["how", "ms per signal"],
    [[k, f"{v:.1f}"] for k, v in ms.items()],
    caption=f"l_inf LP, 20-100-500 net, noise 1e-2 (torch threads: {THREADS})",
)

# %% [markdown]
# The batched solver gives each signal the same grid point as the simplex search, and the
# same $z$ up to the solvers' tolerances:

# %% tags=["hide-input"]
ref = LayerwiseLP(G, "linf").invert(y[2 * B :])
warm = runs["batch of 20, warm"][0]
fallbacks = sum(layer.fallbacks for layer in batched.layers)
print("same grid point eps for every signal and layer:", np.array_equal(ref.eps, warm.eps))
print("largest |z_batched - z_simplex| below 1e-6:", float((warm.z - ref.z).abs().max()) < 1e-6)
print("LPs solved per signal (both layers):", warm.solves.sum(1).mean())
print("LPs the vertex check sent to HiGHS:", fallbacks)

# %% [markdown]
# `benchmarks/p2_lp.py` measures the same with two threads on a 2-core CPU
# ({ref}`notes-p2-lp`): 10-14 ms per signal in batches of 20 and 7.5-8 ms in batches of 100;
# the cold batch pays for its first signals, inverted in small groups. One signal at a time
# the interior point takes about 25 ms, and HiGHS several times as long: the first LP of every signal has all-new costs (a new $x$), and the
# simplex, warm-started from the previous signal's basis, needs hundreds of iterations for it.

# %% [markdown]
# ## Summary
#
# * One inversion of a noiseless $k$-250-600 network costs a fraction of a second with any of
#   the three LPs on a 2-core CPU, the same order as P2's Table 1; most of it is the first
#   simplex solve of the output layer.
# * Gradient descent (P2's step 1, at most 1,000 steps) costs about as much or less: on random
#   networks the book does not find Table 1's ranking, which put it last by a factor 2.7.
# * The number of LPs per inversion differs (one per layer for the $\ell_\infty$ LP on
#   noiseless data, at least two for Algorithms 2 and 3) but does not rank the methods by
#   time: the form of each LP and its warm start matter as much.
# * Many signals through one network are inverted much faster per signal by solving their LPs
#   together (batched interior point with checked vertices).
#
# ## Exercises
#
# ```{exercise}
# :label: ex-p2-timing-1
# Why can the noiseless $\ell_\infty$ LP stop after one LP per layer, while Algorithms 2 and 3
# need at least two?
# ```
#
# ```{solution} ex-p2-timing-1
# :class: dropdown
# On realizable data the first LP (at $\epsilon_0$) already has $\delta^* = 0 \le \epsilon_0$,
# so Algorithm 1 stops; Algorithms 2 and 3 stop only when the residual *fails to decrease*, which
# they can only see by solving a second LP.
# ```
#
# ```{exercise}
# :label: ex-p2-timing-2
# A gradient-descent inversion of one signal takes a fraction of a second here, and a batch
# of 100 signals takes little more. Why, and why does the same not hold for the
# simplex solves of the LPs?
# ```
#
# ```{solution} ex-p2-timing-2
# :class: dropdown
# A gradient step for a batch is a few matrix products whose cost grows slowly with the batch
# on a CPU (the weights are read once). The simplex solves each signal's LP on its own, one
# after the other, so its cost grows linearly; only solving many LPs together (the batched
# interior point) shares the work.
# ```

# %% [markdown]
# ## Claims

# %% tags=["hide-input"]
claims = Claims("p2_timing")
exact = all(max(errs[m]) < 1e-6 for m in LP_METHODS)
claims.add(
    "P2-tab1",
    # what the book measures: GD not slower than the fastest LP by P2's factor (2.7); the
    # ratio measured here is 0.4-1.1 depending on the machine, so the bound is 2
    passed=exact and gd_vs_lp < 2 and gd_vs_lp_paper > 2.5,
    measured=(
        "random k-250-600 nets, k = 10..110, noiseless, one signal at a time: every LP "
        "inversion exact; LPs per inversion: "
        + ", ".join(f"{m} {np.mean(solves[m]):.1f}" for m in LP_METHODS)
        + "; GD (lr 1, <= 1,000 steps) is about as fast as the fastest LP or faster: its time "
        f"summed over k is less than twice the fastest LP's (P2's Table 1: {gd_vs_lp_paper:.1f} "
        "times); seconds and the ratio in the chapter"
    ),
    paper="l_inf LP 0.63-1.03 s, l_1 LP 1.05-1.39 s, relaxation 0.53-0.76 s, GD 1.59-2.09 s",
    status="not reproduced",
    difference="On random networks gradient descent is about as fast as the fastest LP or "
    "faster here, where Table 1 has it the slowest method by a factor 2.7 (the LPs cost about "
    "what P2 reports; P2's gradient descent costs at least 1.6 ms per step, this book's a "
    "fraction of that), most likely P2's per-step overhead; the MNIST column's ranking (every "
    "LP faster than gradient descent) holds.",
    short=f"random nets: GD / fastest LP < 2 (P2 {gd_vs_lp_paper:.1f})",
)
assert not (failed := claims.report()), f"claims that did not hold: {failed}"
