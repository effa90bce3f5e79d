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
# # Random weights: when does each inversion method work?
#
# This chapter reproduces the random-weights experiment of {cite}`aberdam2020` (arXiv Fig. 4,
# Sec. 6.1; ICLR Fig. 2 in {cite}`aberdam2021`). The generator has one hidden layer,
#
# $$ x = G(z) = \tanh\big(W_1\, \mathrm{ReLU}(W_0 z)\big), \qquad z \in \mathbb{R}^{n_0},\;
#    x_1 = \mathrm{ReLU}(W_0 z) \in \mathbb{R}^{n_1},\; x \in \mathbb{R}^{625}, $$
#
# with i.i.d. Gaussian weights. (The paper writes $W_1, W_2$ for what the book, following the
# paper's own Eq. 3, calls $W_0, W_1$.) The hidden width $n_1$ runs from 50 to 1000 and
# $n_0 \in \{100, 200\}$. Because the weights are random and symmetric, about half of the
# hidden units are active: $s_1 = \|x_1\|_0 \approx n_1/2$. The paper's uniqueness theory
# then predicts three regimes:
#
# 1. $s_1 < n_0$ ($n_1 < 2 n_0$, left of the dashed line): the first layer $x_1^{S_1} = W_0^{S_1} z$
#    has fewer equations than unknowns, so *no* method can find $z$; but $x_1$ and $x$ are
#    still unique, and the layered methods recover them.
# 2. $n_0 < s_1$ and $n_1$ not much larger than $n$: the layered methods (Layered Basis-Pursuit
#    and Latent-Pursuit) recover $z$ perfectly and beat gradient descent (GD).
# 3. $n_1 \gg n$: inverting the last layer alone, $x_1 \in \mathbb{R}^{n_1}$ from $n = 625$
#    measurements, becomes impossible for the layered methods, while GD, which searches only
#    the $n_0$-dimensional latent space, succeeds.
#
# ```{prf:theorem} Uniqueness for random weights (arXiv Corollary 1 / ICLR Theorem 2)
# :label: p1-sweep-cor1
#
# Let the weights be i.i.d. Gaussian and $x = G(z^*)$. If $s_L < (n+1)/2$,
# $s_i < (s_{i+1}+1)/2$ and $s_1 \ge n_0$ (arXiv Corollary 1), then with probability one the
# inverse problem has a unique solution meeting these sparsity levels. The ICLR version relaxes
# the first two conditions to $s_L < n$ and $s_i < s_{i+1}$ (ICLR Theorem 2).
# ```
#
# For this network ($L = 1$) the conditions read $n_0 \le s_1$ and $s_1 < 313$ (arXiv) or
# $s_1 < 625$ (ICLR). See the chapter on invertibility for the deterministic Theorem 1 behind
# them.
#
# ```{prf:algorithm} The three methods compared (P1 Sec. 6.1)
# :label: p1-sweep-methods
#
# - **GD**: gradient descent on $\tfrac12\|G(z) - y\|^2$ from a random $z$, with the smallest
#   step size of $\{10^{-1}, \dots, 10^4\}$ that reaches $\|\nabla\| < 10^{-9}$ within the
#   budget (`lib.gradient.gd_step_search`).
# - **Layered Basis-Pursuit** (P1 Algorithm 2, `lib.pursuit.layered_basis_pursuit`): a lasso
#   on $\tanh^{-1}(y) = W_1 x_1$, then least squares for $z$ on the estimated support, with the
#   best $\lambda_1$ of $\{10^{-5}, 7\cdot10^{-6}, 3\cdot 10^{-6}, 10^{-6}, 0\}$, then debiasing.
# - **Latent-Pursuit** (P1 Algorithm 5, `lib.pursuit.latent_pursuit`): FISTA on
#   $\min_{x_1 \ge 0} \tfrac12 \|y - \tanh(W_1 x_1)\|^2$ (Algorithm 3), linearized ADMM for $z$
#   with the ReLU inequality constraints (Algorithm 4 with Eq. 18, $\rho = 10^{-2}$,
#   $\gamma = 0$, $\lambda_1 = 0$), then debiasing.
# ```
#
# **Choices the paper leaves open, and our reading.**
# The paper does not give the variance of the weights. We draw $W_i \sim \mathcal{N}(0, 1/n_i)$
# (fan-in scaling): then the pre-activations of $\tanh$ have variance about $1/2$ and stay out
# of saturation for every $n_1$. (The variance does not change which $z$ are unique, only how
# well conditioned the problem is.) "Best $\lambda_1$" is chosen per signal by the data fit
# $\|G(\hat z) - y\|$, which needs no ground truth. The step-size rule of GD is applied per
# signal. For GD we report the layers of $G(\hat z)$; for the layered methods their own layer
# estimates $\hat x_1$ and $\hat x = \tanh(W_1 \hat x_1)$ (the paper says they "successfully
# invert the model for all the layers that follow" the failing one, which only the layer
# estimates can show).

# %% tags=["hide-input"]
# Setup: on Colab, install the book's `lib` package (Colab's own torch is kept) and use the GPU.
import sys

if "google.colab" in sys.modules:
    import subprocess

    url = "git+https://github.com/inverting-generative-models/inversion-book"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", url], check=True)

import lib

DEVICE = lib.setup_notebook("p1_random_sweep")

# %%
import time

import matplotlib.pyplot as plt
import numpy as np
import torch

from lib.experiments import settings
from lib.plotting import METHOD_COLORS, quantile_ribbon
from lib.pursuit import random_sweep_point

# These are many small batched products: one thread avoids oversubscribing a shared CPU
# (with two threads on a busy 2-core machine the sweep ran 5x slower); no effect on a GPU.
torch.set_num_threads(1)
cfg = settings("p1_random_sweep")
t_start = time.perf_counter()
results = {
    n0: [random_sweep_point(n0, n1, cfg, device=DEVICE) for n1 in cfg["n1"]] for n0 in cfg["n0"]
}
sweep_seconds = time.perf_counter() - t_start
print(f"{len(cfg['n0']) * len(cfg['n1'])} networks x {cfg['signals']} signals x 3 methods")

# %%
# NBVAL_IGNORE_OUTPUT
print(f"sweep wall time: {sweep_seconds:.0f} s on {DEVICE.type}")
for name in ("gd", "layered_bp", "latent_pursuit"):
    total = sum(r["seconds"][name] for rs in results.values() for r in rs)
    print(f"  {name:15s} {total:6.1f} s")

# %% [markdown]
# ## The figure
#
# Median SNR over the signals (line) with the 25-75 % (dark) and 10-90 % (light) ribbons, as in
# the paper. SNR $= 20\log_{10}(\|v\|/\|\hat v - v\|)$; exact recoveries (float64 round-off,
# about 300 dB) are clipped at 150 dB for the plot. The dashed line marks $n_1/2 = n_0$, the
# dotted one $n_1 = n$.

# %%
CLIP = (-10.0, 150.0)
LABELS = {
    "gd": "gradient descent",
    "layered_bp": "Layered Basis-Pursuit",
    "latent_pursuit": "Latent-Pursuit",
}
LAYERS = {"z": "latent $z$", "x1": "hidden layer $x_1$", "x": "image $x$"}
fig, axes = plt.subplots(len(cfg["n0"]), 3, figsize=(12, 3.4 * len(cfg["n0"])), squeeze=False)
for row, n0 in enumerate(cfg["n0"]):
    n1s = np.array([r["n1"] for r in results[n0]])
    for col, layer in enumerate(LAYERS):
        ax = axes[row, col]
        for name in LABELS:
            vals = np.stack([r["snr"][name][layer].numpy() for r in results[n0]])
            quantile_ribbon(ax, n1s, vals, color=METHOD_COLORS[name], label=LABELS[name], clip=CLIP)
        ax.axvline(2 * n0, ls="--", color="gray", lw=1)
        ax.axvline(cfg["n"], ls=":", color="gray", lw=1)
        ax.set_title(f"{LAYERS[layer]}, $n_0$ = {n0}, n = {cfg['n']}")
        ax.set_xlabel("hidden layer size $n_1$")
        ax.set_ylabel("SNR (dB)")
        ax.set_ylim(*CLIP)
axes[0, 0].legend(loc="lower right")
fig.suptitle(f"x = tanh(W1 ReLU(W0 z)), Gaussian weights, {cfg['signals']} signals per $n_1$")
fig.tight_layout()
plt.show()

# %% [markdown]
# ## The three regimes, measured
#
# We call an inversion *exact* when the SNR of $z$ exceeds 100 dB (float64 round-off level is
# about 300 dB), *successful* above 30 dB (3 % relative error) and *failed* below. The table
# gives, per $n_1$, the median $s_1$, both random-weights uniqueness conditions evaluated at
# that median, and the median SNR of $z$ per method.

# %%
EXACT, SUCCESS = 100.0, 30.0
n = cfg["n"]


def med(r, name, layer="z"):
    return float(np.median(r["snr"][name][layer].numpy()))


rows = []
print(
    f"{'n0':>4} {'n1':>5} {'s1':>5}  arXiv-Cor1 ICLR-Thm2  {'GD':>6} {'LBP':>6} {'LP':>6}  (median SNR of z, dB)"
)
for n0 in cfg["n0"]:
    for r in results[n0]:
        s1 = float(np.median(r["s1"].numpy()))
        cor1 = n0 <= s1 < (n + 1) / 2
        thm2 = n0 <= s1 < n
        g, b, p = (min(med(r, m), 150.0) for m in ("gd", "layered_bp", "latent_pursuit"))
        raw = {m: med(r, m) for m in ("gd", "layered_bp", "latent_pursuit")}
        rows.append(
            dict(n0=n0, n1=r["n1"], s1=s1, cor1=cor1, thm2=thm2, gd=g, lbp=b, lp=p, raw=raw)
        )
        print(
            f"{n0:4d} {r['n1']:5d} {s1:5.0f}  {str(cor1):>10} {str(thm2):>9}  {g:6.0f} {b:6.0f} {p:6.0f}"
        )

# %% [markdown]
# The measured boundaries, next to the paper's: where the layered methods start to recover $z$
# exactly (the paper: at $n_1/2 = n_0$), where they stop (the paper: "$n_1$ much larger than
# $n$"), and where GD succeeds.


# %%
def first(pred, rs):
    hits = [r["n1"] for r in rs if pred(r)]
    return min(hits) if hits else None


def last(pred, rs):
    hits = [r["n1"] for r in rs if pred(r)]
    return max(hits) if hits else None


boundaries = {}
for n0 in cfg["n0"]:
    rs = [r for r in rows if r["n0"] == n0]
    lp_exact = lambda r: r["lp"] >= EXACT and r["lbp"] >= EXACT  # noqa: E731
    boundaries[n0] = dict(
        start=first(lp_exact, rs),
        stop=last(lp_exact, rs),
        gd_from=first(lambda r: r["gd"] >= SUCCESS and r["n1"] > 2 * r["n0"], rs),
    )
    b = boundaries[n0]
    print(
        f"n0 = {n0}: layered methods exact for n1 in [{b['start']}, {b['stop']}] "
        f"(paper: from n1 = 2 n0 = {2 * n0} up to beyond n = {n}); "
        f"GD successful from n1 = {b['gd_from']} (paper: n1 > 2 n0)"
    )

# %% [markdown]
# **Reading the result.** Left of the dashed line every method fails on $z$, as the uniqueness
# theory demands, while the layered methods still recover $x_1$ and $x$ exactly (the middle and
# right panels). Between the dashed line and roughly $n_1 \approx n$ both layered methods recover
# $z$ to round-off. GD with the same budget is lower next to the dashed line and, for $n_0 = 200$,
# throughout this regime; for $n_0 = 100$ it also reaches round-off from $n_1 = 400$ on, which is
# better than the paper's GD (the claim below records this difference). Beyond, GD keeps
# succeeding while the layered methods fail. Note which condition predicts what: the
# relaxed ICLR condition $s_1 < n$ still holds at $n_1 = 1000$ ($s_1 \approx 500$), and indeed
# $z$ is unique there (GD finds it); the arXiv factor-two condition $s_1 < (n+1)/2$ stops near
# $n_1 \approx n$, which is where the *layered* methods stop: inverting the last layer alone asks
# for a nonnegative sparse $x_1 \in \mathbb{R}^{n_1}$ from $n$ equations, which needs the
# stronger condition.

# %% [markdown]
# ## How fast? (P1-time, random network)
#
# P1 reports about 75 s for Latent-Pursuit and 30 s for gradient descent (10,000 steps) for 512
# inversions of its trained MNIST generator on an Nvidia 1080Ti GPU. The script
# `benchmarks/p1_pursuit.py` times our batched implementations on 512 signals of the $n_0 = 100$,
# $n_1 = 600$ random network of this chapter, with per-signal step sizes and per-signal stopping.
# Timings depend on the machine and its load, so they are not recomputed here: the cell shows the
# script's stored runs, one on this book's 2-core CPU (`benchmarks/p1_pursuit.json`) and one on an
# NVIDIA H100 GPU (`benchmarks/p1_pursuit_cuda.json`, `--device cuda`); re-run the script to
# refresh them. The cell is excluded from the nbval comparison. On the same GPU,
# `benchmarks/gpu_check.py` (output stored in `benchmarks/gpu_check_h100.txt`) checked that the
# GPU gives the CPU's numbers: at $n_1 = 150$ the per-signal SNRs of all three methods agree to
# 1e-13 dB; at $n_1 = 600$, where recovery is exact and an SNR near 300 dB only measures
# floating-point round-off, they differ by up to 3 dB, as round-off on two devices may.

# %%
# NBVAL_IGNORE_OUTPUT
import json
from pathlib import Path

for name in ("p1_pursuit.json", "p1_pursuit_cuda.json"):
    bench_file = Path(lib.__file__).resolve().parent.parent / "benchmarks" / name
    if not bench_file.exists():
        print(f"no stored benchmark run {name}: python benchmarks/p1_pursuit.py")
        continue
    bench = json.loads(bench_file.read_text())
    print(
        f"{name}: {bench['signals']} signals, dims {bench['dims']}, "
        f"{bench.get('device_name', bench['device'])} ({bench['cpu']}), "
        f"{bench['torch_threads']} torch thread(s)"
    )
    print(
        f"  Latent-Pursuit: {bench['latent_pursuit_s']:.1f} s, median SNR(z) "
        f"{bench['latent_pursuit_median_snr_z_db']:.0f} dB   (paper, 1080Ti, trained net: ~75 s)"
    )
    print(
        f"  GD: {bench['gd_s']:.1f} s for at most {bench['gd_steps_max']} steps "
        f"({bench['gd_converged']}/{bench['signals']} converged), "
        f"~{bench['gd_s_extrapolated_to_10000_steps']:.0f} s extrapolated to 10,000 steps "
        "(paper: ~30 s)"
    )

# %% [markdown]
# ## Claims

# %%
from lib.scorecard import Claims

reg1 = [r for r in rows if r["s1"] < r["n0"]]
reg2 = [r for r in rows if r["s1"] > 1.1 * r["n0"] and r["n1"] <= n]
reg3 = [r for r in rows if r["n1"] >= 1.25 * n]
ok1 = all(max(r["gd"], r["lbp"], r["lp"]) < SUCCESS for r in reg1)
# regime 2: both layered methods exact, and never below GD (unclipped medians)
ok2 = all(
    min(r["lbp"], r["lp"]) >= EXACT
    and min(r["raw"]["layered_bp"], r["raw"]["latent_pursuit"]) >= r["raw"]["gd"]
    for r in reg2
)
beat = [(r["n0"], r["n1"]) for r in reg2 if min(r["lbp"], r["lp"]) - r["gd"] > 20]
tie = [(r["n0"], r["n1"]) for r in reg2 if r["gd"] >= EXACT]
ok3 = all(r["gd"] >= SUCCESS and max(r["lbp"], r["lp"]) < SUCCESS for r in reg3)
worst2 = min(min(r["lbp"], r["lp"]) for r in reg2)
gd3 = min(r["gd"] for r in reg3)
bounds = "; ".join(
    f"n0={n0}: exact for n1 in [{b['start']}, {b['stop']}] vs paper [{2 * n0}, ~{n}+]"
    for n0, b in boundaries.items()
)
print(f"regime 2: layered methods > GD + 20 dB at (n0, n1) = {beat}; GD also exact at {tie}")
claims = Claims("p1_random_sweep")
claims.add(
    "P1-fig4",
    passed=bool(ok1 and ok2 and ok3 and beat),
    measured=(
        f"regime 1 (s1 < n0, {len(reg1)} nets): all methods < {SUCCESS:.0f} dB on z; "
        f"regime 2 ({len(reg2)} nets): layered medians >= {worst2:.0f} dB (exact), "
        f"> GD + 20 dB at {beat}"
        + (
            f", but GD is exact too at {tie} (difference: GD does better here than in the paper)"
            if tie
            else ""
        )
        + f"; regime 3 (n1 >= 1.25 n, {len(reg3)} nets): GD >= {gd3:.0f} dB, layered fail. {bounds}"
    ),
    paper="all fail for n1/2 < n0; layered exact for n0 < s1 < n and beat GD; GD succeeds, layered fail for n1 >> n",
    status="reproduced with a difference" if tie else "reproduced",
)
assert not (failed := claims.report()), f"claims that did not hold: {failed}"
