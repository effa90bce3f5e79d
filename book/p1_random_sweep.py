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
# (p1-random-sweep)=
# # Random weights: when does each inversion method work?
#
# **What you will learn.** On random two-layer generators, where the uniqueness theory of
# {doc}`p1_invertibility` can be evaluated exactly, three inversion methods succeed in three
# different regimes of the hidden width: nobody can invert when the hidden layer is too narrow,
# the layered pursuit methods win when it is moderately wide, and gradient descent wins when it is
# much wider than the output. **Paper:** {cite}`aberdam2020` Sec. 6.1, Fig. 4 (ICLR Fig. 2 in
# {cite}`aberdam2021`). **Read first:** {doc}`p1_invertibility` (the uniqueness conditions) and
# {doc}`p1_guarantees` (Layered Basis-Pursuit).
#
# The generator has one hidden layer,
#
# $$
# \begin{aligned}
# x = G(z) &= \tanh\big(W_1\, \mathrm{ReLU}(W_0 z)\big), \qquad z \in \mathbb{R}^{n_0},\\
# x_1 &= \mathrm{ReLU}(W_0 z) \in \mathbb{R}^{n_1}, \qquad x \in \mathbb{R}^{625},
# \end{aligned}
# $$
#
# with i.i.d. Gaussian weights. (The paper writes $W_1, W_2$ for what the book, following the
# paper's own Eq. 3, calls $W_0, W_1$.) The hidden width $n_1$ runs from 50 to 1000 and
# $n_0 \in \{100, 200\}$. Because the weights are random and symmetric, about half of the
# hidden units are active: $s_1 = \|x_1\|_0 \approx n_1/2$. The random-weights uniqueness
# result, {prf:ref}`P1 Corollary 1 <p1-inv-cor1>`, then predicts three regimes:
#
# 1. $s_1 < n_0$ ($n_1 < 2 n_0$, left of the dashed line): the first layer
#    $x_1^{S_1} = W_0^{S_1} z$ has fewer equations than unknowns, so *no* method can find $z$;
#    but $x_1$ and $x$ are still unique, and the layered methods recover them.
# 2. $n_0 < s_1$ and $n_1$ not much larger than $n$: the layered methods (Layered Basis-Pursuit
#    and Latent-Pursuit) recover $z$ perfectly and beat gradient descent (GD).
# 3. $n_1 \gg n$: inverting the last layer alone, $x_1 \in \mathbb{R}^{n_1}$ from $n = 625$
#    measurements, becomes impossible for the layered methods, while GD, which searches only
#    the $n_0$-dimensional latent space, succeeds.
#
# For this network ($L = 1$) the conditions of {prf:ref}`P1 Corollary 1 <p1-inv-cor1>` read $n_0 \le s_1$ and
# $s_1 < 313$ (arXiv) or $s_1 < 625$ (ICLR).
#
# ```{prf:algorithm} P1 Sec. 6.1 (the three methods compared, as run here)
# :label: p1-sweep-methods
#
# - **GD**: gradient descent on $\tfrac12\|G(z) - y\|^2$ from a random $z$
#   (`lib.methods.gradient.gd_step_search`). *Paper scale:* per signal, the smallest step size of
#   $\{10^{-1}, 1, 10, \dots, 10^4\}$ whose run of 10,000 steps reaches
#   $\|\nabla\| < 10^{-9}$. *Book scale:* the step size $10^{-1}$ only, 800 steps, the same
#   tolerance (a signal that does not reach it keeps its last iterate).
# - **Layered Basis-Pursuit** ({prf:ref}`P1 Algorithm 2 <p1-guar-alg2>`, `lib.methods.pursuit.layered_basis_pursuit`): a
#   lasso on $\tanh^{-1}(y) = W_1 x_1$, then least squares for $z$ on the estimated support,
#   then debiasing; per signal the best $\lambda_1$ (smallest $\|G(\hat z) - y\|$) of
#   $\{10^{-5}, 7\cdot10^{-6}, 3\cdot 10^{-6}, 10^{-6}, 0\}$ (paper scale) or
#   $\{10^{-5}, 0\}$ (book scale).
# - **Latent-Pursuit** (P1 Algorithm 5, `lib.methods.pursuit.latent_pursuit`): FISTA on
#   $\min_{x_1 \ge 0} \tfrac12 \|y - \tanh(W_1 x_1)\|^2$ (Algorithm 3), linearized ADMM for $z$
#   with the ReLU inequality constraints (Algorithm 4 with Eq. 18, $\rho = 10^{-2}$,
#   $\gamma = 0$, $\lambda_1 = 0$), then debiasing.
# - FISTA and ADMM stop at a relative change below $10^{-8}$ or after 10,000 (paper scale) /
#   500 (book scale) iterations. Signals per point: 512 (paper scale) / 64 (book scale); the
#   book-scale grid of $n_1$ is 50, 150, 200, 250, 400, 600, 800, 1000 (the paper: every 50).
# ```
#
# **Choices the paper leaves open, and our reading.**
# The paper does not give the variance of the weights. We draw $W_i \sim \mathcal{N}(0, 1/n_i)$
# (fan-in scaling): then the pre-activations of $\tanh$ have variance about $1/2$ and stay out
# of saturation for every $n_1$. (The variance does not change which $z$ are unique, only how
# well conditioned the problem is.) "Best $\lambda_1$" is chosen per signal by the data fit,
# which needs no ground truth. The step-size rule of GD is applied per signal. For GD we report
# the layers of $G(\hat z)$; for the layered methods their own layer estimates $\hat x_1$ and
# $\hat x = \tanh(W_1 \hat x_1)$ (the paper says they "successfully invert the model for all the
# layers that follow" the failing one, which only the layer estimates can show).

# %% tags=["hide-input"]
# Setup: on Colab, install the book's `lib` package (Colab's own torch is kept) and use the GPU.
import sys

if "google.colab" in sys.modules:
    import subprocess

    url = "git+https://github.com/inverting-generative-models/inversion-book"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", url], check=True)

from lib.book import setup_notebook

DEVICE = setup_notebook("p1_random_sweep")

# %% tags=["hide-input"]

import matplotlib.pyplot as plt
import numpy as np
import torch
from myst_nb import glue

from lib.book.experiments import random_sweep_point, settings
from lib.book.plotting import METHOD_COLORS, legend_below, quantile_ribbon, show_table, subplots
from lib.core.metrics import wilson_interval as wilson

cfg = settings("p1_random_sweep")

# %% [markdown]
# ## The sweep
#
# One call per network: `random_sweep_point` draws the network and the latents, runs the three
# methods ({prf:ref}`the box above <p1-sweep-methods>`) on the same outputs and returns the SNR of every layer.

# %%
results = {
    n0: [random_sweep_point(n0, n1, cfg, device=DEVICE) for n1 in cfg["n1"]]
    for n0 in cfg["n0"]
}

# %% tags=["hide-input", "nbval-ignore-output"]
for name in ("gd", "layered_bp", "latent_pursuit"):
    total = sum(r["seconds"][name] for rs in results.values() for r in rs)
    print(f"{name:15s} {total:6.1f} s in all ({DEVICE.type}, 1 thread)")

# %% [markdown]
# ## The figure
#
# Median SNR over the signals (line) with the 25-75 % (dark) and 10-90 % (light) ribbons, as in
# the paper. SNR $= 20\log_{10}(\|v\|/\|\hat v - v\|)$; exact recoveries (float64 round-off,
# about 300 dB) are clipped at 150 dB for the plot.

# %% tags=["hide-input"]
CLIP = (-10.0, 150.0)
LABELS = {
    "gd": "gradient descent",
    "layered_bp": "Layered Basis-Pursuit",
    "latent_pursuit": "Latent-Pursuit",
}
LAYERS = {"z": "latent $z$", "x1": "hidden layer $x_1$", "x": "image $x$"}
fig, axes = subplots(
    len(cfg["n0"]), 3, height=2.3 * len(cfg["n0"]) + 0.5, sharex=True, sharey=True,
    squeeze=False,
)
for row, n0 in enumerate(cfg["n0"]):
    n1s = np.array([r["n1"] for r in results[n0]])
    for col, layer in enumerate(LAYERS):
        ax = axes[row, col]
        for name in LABELS:
            vals = np.stack([r["snr"][name][layer].numpy() for r in results[n0]])
            quantile_ribbon(
                ax,
                n1s,
                vals,
                color=METHOD_COLORS[name],
                label=LABELS[name],
                clip=CLIP,
            )
        ax.axvline(2 * n0, ls="--", color="gray", lw=1)
        ax.axvline(cfg["n"], ls=":", color="gray", lw=1)
        ax.set_title(f"{LAYERS[layer]}, $n_0$ = {n0}")
        if row == len(cfg["n0"]) - 1:
            ax.set_xlabel("hidden width $n_1$")
        if col == 0:
            ax.set_ylabel("SNR (dB)")
        ax.set_ylim(CLIP[0], CLIP[1] + 12)  # room above the clipped exact recoveries
        ax.set_xticks([200, 600, 1000])
legend_below(fig, axes[0, 0], ncols=3)
glue("fig-p1-sweep", fig, display=False)
plt.close(fig)

# %% [markdown]
# ```{glue:figure} fig-p1-sweep
# :name: fig-p1-sweep
# :alt: Six panels of SNR in dB against the hidden width n1 for gradient descent, Layered Basis-Pursuit and Latent-Pursuit, for the latent, the hidden layer and the image, with n0 = 100 on top and n0 = 200 below; the layered methods recover everything between the dashed and dotted lines, gradient descent wins for wide hidden layers.
#
# SNR of the latent $z$, the hidden layer $x_1$ and the image $x$ recovered by gradient descent,
# Layered Basis-Pursuit and Latent-Pursuit on $x = \tanh(W_1 \mathrm{ReLU}(W_0 z))$ with
# Gaussian weights, $n = 625$, against the hidden width $n_1$ (reproduces P1 Fig. 4). Top row
# $n_0 = 100$, bottom row $n_0 = 200$. Dashed line: $n_1 = 2 n_0$ ($s_1 \approx n_0$); dotted
# line: $n_1 = n$. Book scale: 64 signals per point, seed 2020, settings of
# {prf:ref}`the methods box <p1-sweep-methods>`.
# ```
#
# ## The three regimes, measured
#
# We call an inversion *exact* when the SNR of $z$ exceeds 100 dB (float64 round-off level is
# about 300 dB), *successful* above 30 dB (3 % relative error) and *failed* below. The table
# gives, per $n_1$, the median $s_1$, whether the two random-weights conditions of
# {prf:ref}`P1 Corollary 1 <p1-inv-cor1>` hold at that median, the median SNR of $z$ per method (clipped at
# 150 dB), and how many of the 64 signals Latent-Pursuit recovers exactly, with a 95 % Wilson
# interval.

# %% tags=["hide-input"]
EXACT, SUCCESS = 100.0, 30.0
n = cfg["n"]


def med(r, name, layer="z"):
    return float(np.median(r["snr"][name][layer].numpy()))


def kn(k, m):  # "k of m [95 % Wilson interval]"
    lo, hi = wilson(k, m)
    return f"{k} of {m} [{lo:.2f}, {hi:.2f}]"


rows, table, count_rows = [], [], []
for n0 in cfg["n0"]:
    for r in results[n0]:
        s1 = float(np.median(r["s1"].numpy()))
        cor1 = n0 <= s1 < (n + 1) / 2
        thm2 = n0 <= s1 < n
        raw = {m: med(r, m) for m in ("gd", "layered_bp", "latent_pursuit")}
        g, b, p = (
            min(raw[m], 150.0) for m in ("gd", "layered_bp", "latent_pursuit")
        )
        snr = {m: r["snr"][m]["z"] for m in ("gd", "layered_bp", "latent_pursuit")}
        m = len(snr["latent_pursuit"])
        k = {
            "lbp": int((snr["layered_bp"] >= EXACT).sum()),
            "lp": int((snr["latent_pursuit"] >= EXACT).sum()),
            "both": int(
                ((snr["layered_bp"] >= EXACT) & (snr["latent_pursuit"] >= EXACT)).sum()
            ),
            "gd": int((snr["gd"] >= EXACT).sum()),
            "gd_ok": int((snr["gd"] >= SUCCESS).sum()),
            "any_ok": int(
                (torch.stack([v for v in snr.values()]).amax(0) >= SUCCESS).sum()
            ),
        }
        rows.append(
            dict(n0=n0, n1=r["n1"], s1=s1, cor1=cor1, thm2=thm2, gd=g, lbp=b, lp=p, raw=raw,
                 k=k, m=m)
        )
        yes = {True: "yes", False: "no"}
        table.append(
            [n0, r["n1"], f"{s1:.0f}", yes[cor1], yes[thm2], f"{g:.0f}", f"{b:.0f}", f"{p:.0f}"]
        )
        count_rows.append(
            [n0, r["n1"], kn(k["lbp"], m), kn(k["lp"], m), kn(k["gd"], m), kn(k["gd_ok"], m)]
        )
show_table(
    ["n0", "n1", "s1", "arXiv Cor. 1", "ICLR Thm 2", "GD", "LBP", "LP"],
    table,
    caption="median SNR of z (dB) per method; LBP: Layered Basis-Pursuit; LP: Latent-Pursuit",
)
show_table(
    ["n0", "n1", "LBP exact", "LP exact", "GD exact", "GD successful"],
    count_rows,
    caption=f"signals recovered: exact (SNR of z >= {EXACT:.0f} dB) or successful (>= "
    f"{SUCCESS:.0f} dB), k of {cfg['signals']} [95 % Wilson interval]",
)

# %% [markdown]
# The measured boundaries, next to the paper's: where the layered methods start to recover $z$
# exactly (the paper: at $n_1/2 = n_0$), where they stop (the paper: "$n_1$ much larger than
# $n$"), and where GD succeeds. A boundary is placed only where the counts resolve it: the
# layered methods count as exact at a point when the 95 % interval of the signals both recover
# exactly lies above one half, as failing when it lies below; the boundary lies between the
# last grid point of one kind and the first of the other.


# %% tags=["hide-input"]
def majority(r, key="both"):
    """+1: resolved majority (interval above 1/2); -1: resolved minority; 0: not resolved."""
    lo, hi = wilson(r["k"][key], r["m"])
    return 1 if lo > 0.5 else (-1 if hi < 0.5 else 0)


def bracket(rs, key="both"):
    """(last n1 of the exact run that starts at the first exact point, first n1 after it that
    fails), None where the grid has no such point."""
    ex = [r for r in rs if majority(r, key) == 1]
    if not ex:
        return None, None
    start = rs.index(ex[0])
    stop = start
    while stop + 1 < len(rs) and majority(rs[stop + 1], key) == 1:
        stop += 1
    fail = next((r["n1"] for r in rs[stop + 1 :] if majority(r, key) == -1), None)
    return rs[stop]["n1"], fail


boundaries = {}
for n0 in cfg["n0"]:
    rs = [r for r in rows if r["n0"] == n0]
    ex = [r for r in rs if majority(r) == 1]
    last_fail = [r["n1"] for r in rs if majority(r) == -1 and ex and r["n1"] < ex[0]["n1"]]
    at_2n0 = next((r for r in rs if r["n1"] == 2 * n0), None)
    stop, fail = bracket(rs)
    boundaries[n0] = dict(
        start=ex[0]["n1"] if ex else None,
        before=max(last_fail) if last_fail else None,
        stop=stop,
        fail=fail,
        at_2n0=at_2n0,
        gd_from=next(
            (r["n1"] for r in rs if majority(r, "gd_ok") == 1 and r["n1"] > 2 * n0), None
        ),
    )
show_table(
    ["n0", "start: fails / exact at n1", "at n1 = 2 n0 (both exact)", "stop: exact / fails at n1",
     "paper", "GD successful from n1"],
    [
        [
            n0,
            f"{b['before']} / {b['start']}",
            kn(b["at_2n0"]["k"]["both"], b["at_2n0"]["m"]) if b["at_2n0"] else "–",
            f"{b['stop']} / {b['fail']}",
            f"from {2 * n0}; beyond {n}",
            b["gd_from"],
        ]
        for n0, b in boundaries.items()
    ],
    caption="layered methods: both recover z exactly for a resolved majority of the signals",
)

# %% [markdown]
# **Reading the result.** Left of the dashed line every method fails on $z$, as the uniqueness
# theory demands, while the layered methods still recover $x_1$ and $x$ exactly (the middle and
# right panels of {numref}`fig-p1-sweep`). On the dashed line itself, $n_1 = 2 n_0$, where
# $s_1 \approx n_0$, about half of the signals have $s_1 \ge n_0$ and are recovered exactly
# (34 and 35 of 64 for $n_0 = 100$ and $200$): the transition sits where the theory puts it.
# Between the dashed line and roughly $n_1 \approx n$ both layered methods recover $z$ to
# round-off. GD with the book's budget is lower next to the
# dashed line and, for $n_0 = 200$, throughout this regime; for $n_0 = 100$ it also reaches
# round-off from $n_1 = 400$ on, which is better than the paper's GD (the claim below records
# this difference). Beyond, GD keeps succeeding while the layered methods fail. Note which
# condition predicts what: the relaxed ICLR condition $s_1 < n$ still holds at $n_1 = 1000$
# ($s_1 \approx 500$), and indeed $z$ is unique there (GD finds it); the arXiv factor-two
# condition $s_1 < (n+1)/2$ stops near $n_1 \approx n$, which is where the *layered* methods
# stop: inverting the last layer alone asks for a nonnegative sparse $x_1 \in \mathbb{R}^{n_1}$
# from $n$ equations, which needs the stronger condition.
#
# How fast the batched implementations are, on a CPU and on a GPU, against the paper's timings
# (P1-time): {doc}`notes_p1_speed`.
#
# ## The step-size rule of gradient descent
#
# At book scale GD runs with the smallest step size of P1's list, $10^{-1}$, only. Is that the
# step the paper's rule would pick? On one network of the regime where GD succeeds
# ($n_0 = 100$, $n_1 = 600$) we run the full rule, $\{10^{-1}, \dots, 10^4\}$, with the book's
# 800 steps, and check its answer independently: each step size is run on its own for every
# signal, the rule must pick the smallest one that reached $\|\nabla\| < 10^{-9}$, and the
# gradient at the returned $\hat z$ is recomputed by automatic differentiation.

# %%
from lib.core.generator import Generator
from lib.methods.gradient import P1_STEP_SIZES, gd_step_search, gradient_descent, latent_loss

n0, n1 = 100, 600
seed = cfg["seed"] + 1000 * n0 + n1  # the sweep's network at this point
G = Generator.random(
    [n0, n1, n], seed=seed, std=cfg["weight_std"], output="tanh", device=DEVICE
)
z = G.sample_latent(cfg["signals"], seed=seed + 1)
y = G(z)
steps = cfg["gd_steps"]
rule = gd_step_search(
    G, y, lrs=P1_STEP_SIZES, max_iter=steps, tol=1e-9, seed=seed + 2
)

# %% tags=["hide-input"]
z0 = torch.randn(
    len(y), n0, generator=torch.Generator().manual_seed(seed + 2), dtype=G.dtype
).to(G.device)
alone = {
    lr: gradient_descent(
        G, y, z0=z0, lr=lr, max_iter=cfg["gd_steps"], tol=1e-9
    ).converged
    for lr in P1_STEP_SIZES
}
conv = torch.stack([alone[lr] for lr in P1_STEP_SIZES], dim=1)  # (B, step sizes)
smallest = torch.tensor(
    [
        P1_STEP_SIZES[int(row.nonzero()[0])] if row.any() else float("nan")
        for row in conv
    ]
)
zh = rule.z.detach().clone().requires_grad_(True)
(grad,) = torch.autograd.grad(latent_loss(G, zh, y).sum(), zh)
gnorm = torch.linalg.vector_norm(grad, dim=1).cpu()
picked_ok = bool(
    torch.equal(rule.converged, conv.any(dim=1))
    and torch.allclose(
        rule.lr[rule.converged].double(), smallest[rule.converged].double()
    )
)
grad_ok = bool((gnorm[rule.converged] < 1e-8).all())
counts = {lr: int((rule.lr[rule.converged] == lr).sum()) for lr in P1_STEP_SIZES}
n_conv, B = int(rule.converged.sum()), len(y)
show_table(
    ["step size", *[f"{lr:g}" for lr in P1_STEP_SIZES], "none"],
    [["signals", *counts.values(), B - n_conv]],
    caption=f"step size the rule picks, n0 = {n0}, n1 = {n1}, {B} signals, {cfg['gd_steps']} steps",
)
print(f"the rule picks the smallest step that converges alone: {picked_ok}")
print(f"recomputed |grad| < 1e-8 at every converged z_hat: {grad_ok}")

# %% [markdown]
# The rule does what it says (the check above), but its answer is not always $10^{-1}$: within
# 800 steps the smallest step converges for about half of the signals (31 of 64), a much larger
# one ($10^3$ or $10^4$) for most of the others, none for two. So the book-scale sweep, which
# runs $10^{-1}$ only, gives GD fewer chances than P1's rule would at the same step budget:
# its GD curves are a lower bound of what the paper's rule achieves with 800 steps. At paper
# scale (`BOOK_SCALE=paper`) the sweep runs the full rule with 10,000 steps.
#
# ## Summary
#
# - On random networks P1's uniqueness theory predicts where inversion is possible:
#   nothing recovers $z$ when $s_1 < n_0$, whatever the method.
# - The layered methods recover $z$ exactly from $n_1 = 2 n_0$ up to about $n_1 = n$, where
#   the arXiv condition $s_1 < (n+1)/2$ stops holding; they also recover the layers after a
#   failing one.
# - Gradient descent, searching only $n_0$ dimensions, keeps working for $n_1 \gg n$; with the
#   book's budget it is exact in part of the middle regime for $n_0 = 100$, a difference from
#   the paper.
#
# ## Exercises
#
# ```{exercise}
# :label: ex-p1-sweep-1
#
# Without running anything: for $n_0 = 50$ and $n = 625$, between which hidden widths $n_1$
# should the layered methods recover $z$ exactly?
# ```
#
# ```{solution} ex-p1-sweep-1
# :class: dropdown
#
# With $s_1 \approx n_1/2$: from $s_1 \ge n_0$, i.e. $n_1 \gtrsim 100$, to where the arXiv
# condition $s_1 < (n+1)/2 = 313$ fails, $n_1 \approx 626$. Run
# `random_sweep_point(50, n1, cfg)` for a few $n_1$ to check.
# ```
#
# ```{exercise}
# :label: ex-p1-sweep-2
#
# Why do the layered methods still recover $x_1$ and $x$ exactly when $n_1 < 2 n_0$, although
# they cannot recover $z$?
# ```
#
# ```{solution} ex-p1-sweep-2
# :class: dropdown
#
# The last layer's problem, a nonnegative $x_1$ with $s_1 \approx n_1/2 < 313$ nonzeros from
# $n = 625$ equations, has a unique solution whatever $n_0$ is. Only the first layer,
# $x_1^{S_1} = W_0^{S_1} z$, has fewer equations ($s_1$) than unknowns ($n_0$): its solution
# set is an affine space, and every $z$ in it produces the same $x_1$ and $x$.
# ```
#
# ```{exercise}
# :label: ex-p1-sweep-3
#
# Set `cfg["gd_steps"] = 100` and rerun the step-size check. What does the rule pick now, and
# what does that say about the book-scale choice of the single step size $10^{-1}$?
# ```
#
# ```{solution} ex-p1-sweep-3
# :class: dropdown
#
# With fewer steps fewer signals reach $\|\nabla\| < 10^{-9}$ at the small step size, and the
# rule moves some of them to larger steps, or finds none that converges. The book-scale choice
# is the paper's rule only when the smallest step converges within the budget, which the check
# above measures for 800 steps.
# ```

# %% [markdown]
# ## Claims

# %% tags=["hide-input"]
from lib.book.scorecard import Claims

reg1 = [r for r in rows if r["s1"] < r["n0"]]
reg2 = [r for r in rows if r["s1"] > 1.1 * r["n0"] and r["n1"] <= n]
reg3 = [r for r in rows if r["n1"] >= 1.5 * n]  # "n1 much larger than n"
beyond = [r for r in rows if n < r["n1"] < 1.5 * n]  # between: where do the layered stop?
# regime 1: no method succeeds (>= 30 dB) for a majority of the signals, resolved
ok1 = all(majority(r, "any_ok") == -1 for r in reg1)
# regime 2: both layered methods exact for a resolved majority, never fewer exact than GD
ok2 = all(majority(r) == 1 and r["k"]["both"] >= r["k"]["gd"] for r in reg2)
# a resolved win: the layered-exact interval lies above GD's
beat = [
    (r["n0"], r["n1"]) for r in reg2 if wilson(r["k"]["both"], r["m"])[0] > wilson(r["k"]["gd"], r["m"])[1]
]
tie = [(r["n0"], r["n1"]) for r in reg2 if (r["n0"], r["n1"]) not in beat]
ok3 = all(majority(r, "gd_ok") == 1 and majority(r) == -1 for r in reg3)
m_sig = cfg["signals"]
any1 = max(r["k"]["any_ok"] for r in reg1)
worst2 = min(reg2, key=lambda r: r["k"]["both"])
gd3 = min(reg3, key=lambda r: r["k"]["gd_ok"])
bounds = "; ".join(
    f"n0 = {n0}: exact from n1 = {b['start']} (at n1 = 2 n0: "
    f"{kn(b['at_2n0']['k']['both'], b['at_2n0']['m'])}) to n1 = {b['stop']}, failing at "
    f"n1 = {b['fail']}"
    for n0, b in boundaries.items()
    if b["at_2n0"]
)
past_n = (
    ", ".join(f"n0 = {r['n0']}, n1 = {r['n1']}: {kn(r['k']['both'], r['m'])}" for r in beyond)
    or "no grid point"
)
layered_past_n = [(r["n0"], r["n1"]) for r in beyond if majority(r) == 1]

# %% tags=["hide-input"]
claims = Claims("p1_random_sweep")
differences = []
if tie:
    differences.append(
        f"GD is exact as often as the layered methods (intervals overlap) at {tie}, where P1's "
        "GD trails them; most likely the weight scale, which P1 does not state (ours, "
        "N(0, 1/n_i), keeps tanh out of saturation)"
    )
if beyond and not layered_past_n:
    differences.append(
        f"the layered methods do not recover z for n1 > n ({past_n}), where P1 reports "
        "success even when n1 > n"
    )
claims.add(
    "P1-fig4",
    passed=bool(ok1 and ok2 and ok3 and beat),
    measured=(
        f"{m_sig} signals per point, k of {m_sig} [95 % Wilson]; regime 1 (s1 < n0, "
        f"{len(reg1)} nets): at most {kn(any1, m_sig)} reach {SUCCESS:.0f} dB with any method; "
        f"regime 2 ({len(reg2)} nets): both layered exact for >= "
        f"{kn(worst2['k']['both'], m_sig)} (n0 = {worst2['n0']}, n1 = {worst2['n1']}), a "
        f"resolved win over GD at {beat}"
        + (f", GD exact as often at {tie}" if tie else "")
        + f"; past n ({past_n}); regime 3 (n1 >= 1.5 n, {len(reg3)} nets): GD successful for "
        f">= {kn(gd3['k']['gd_ok'], m_sig)}, layered fail. {bounds}"
    ),
    paper="all fail for n1/2 < n0; layered exact for n0 < s1 < n (also for n1 > n) and beat "
    "GD; GD succeeds, layered fail for n1 >> n",
    status="reproduced with a difference" if differences else "reproduced",
    difference="; ".join(differences),
)
gd_lo, gd_hi = wilson(n_conv, B)
claims.add(
    "P1-gd",
    passed=picked_ok and grad_ok and n_conv > 0,
    measured=(
        f"random nets: rule run with steps {{1e-1..1e4}}, {cfg['gd_steps']} steps (paper "
        f"10,000), n0={n0}, n1={n1}: picks the smallest step that converges alone for all "
        f"{B} signals, |grad| < 1e-9 reached by {n_conv} of {B} [{gd_lo:.2f}, {gd_hi:.2f}] "
        "(steps picked: "
        + ", ".join(f"{lr:g}: {c}" for lr, c in counts.items() if c)
        + "); the sweep itself runs step 1e-1 only at book scale"
    ),
    paper="step size = smallest of {1e-1..1e4} reaching grad-norm < 1e-9 in 10,000 steps "
    "(random nets)",
    status="reproduced with a difference",
    difference=f"At book scale the step-size rule runs {cfg['gd_steps']} steps instead of "
    "P1's 10,000 (a step that needs more is passed over for a larger one), and the sweep "
    "itself uses step 1e-1 only, to keep the chapter's run time small.",
)
assert not (failed := claims.report()), f"claims that did not hold: {failed}"
