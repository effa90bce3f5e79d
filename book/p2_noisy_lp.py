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
# (p2-noisy-lp)=
# # Noisy inversion with linear programs
#
# With noise, $x = G(z^*) + e$, the support of each layer is no longer visible exactly: a
# coordinate that is truly zero can be observed slightly positive, a small active one slightly
# negative. {cite}`lei2019` (P2, Section 4 and Appendix A) replace the equations of the
# {ref}`previous chapter <p2-expansive>` by three linear programs that tolerate errors, applied
# backwards one layer at a time, and bound the error they make. This chapter implements the
# three (targets **P2-linf**, **P2-l1**, **P2-relax**), reproduces P2's Figure 1(a)(b) and
# Figure 5 on the random $20$-$100$-$500$ network (**P2-fig1ab**, **P2-fig5**) and measures the
# constants of the error bounds (**P2-thm45**).

# %% tags=["hide-input"]
# Setup: on Colab, install the book's `lib` package (Colab's own torch is kept) and use the GPU.
import sys

if "google.colab" in sys.modules:
    import subprocess

    url = "git+https://github.com/inverting-generative-models/inversion-book"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", url], check=True)

import lib

DEVICE = lib.setup_notebook("p2_noisy_lp")

# %%
import matplotlib.pyplot as plt
import numpy as np
import torch

from lib import experiments
from lib.generator import Generator
from lib.gradient import gradient_descent
from lib.lp import LayerwiseLP, c_1_bounds, c_inf
from lib.metrics import relative_error
from lib.plotting import METHOD_COLORS
from lib.scorecard import Claims

S = experiments.settings("p2_noisy_lp")
# LPs are solved one signal at a time; on a shared CPU torch's thread pool only adds waiting.
torch.set_num_threads(1)

# %% [markdown]
# ## Three linear programs for one noisy layer
#
# Take one layer $x = \mathrm{ReLU}(W z^*) + e$. If the noise is bounded, $\|e\|_\infty \le
# \epsilon$, then $z^*$ satisfies
#
# $$x_j - \epsilon \le w_j^\top z \le x_j + \epsilon \ \text{ if } x_j > \epsilon, \qquad
#   w_j^\top z \le x_j + \epsilon \ \text{ if } x_j \le \epsilon \qquad \text{(P2 Eq. 6)},$$
#
# which is the set $\{z : \|\mathrm{ReLU}(Wz) - x\|_\infty \le \epsilon\}$: a coordinate above
# the noise level must come from an active unit, one below it may come from either. The noise
# level is unknown, so P2 grows a guess until the constraints can be met:
#
# ```{prf:algorithm} $\ell_\infty$ LP (P2 Algorithm 1)
# :label: p2-noisy-alg1
# **Input** $x$, $W$, initial guess $\epsilon > 0$, factor $\alpha > 1$.
# 1. Solve $\min_{z, \delta} \delta$ s.t. $|w_j^\top z - x_j| \le \delta$ if $x_j > \epsilon$,
#    $w_j^\top z \le x_j + \delta$ if $x_j \le \epsilon$, and $\delta \le \epsilon$.
# 2. If infeasible, $\epsilon \leftarrow \alpha\epsilon$ and go to 1; else return $z$.
# ```
#
# (The arXiv text says "until $z$ infeasible", the NeurIPS version "until feasible solution $z$
# is found"; only the latter makes sense.) When the noise has large outliers, a uniform
# tolerance is wasteful; the $\ell_1$ LP gives every row its own slack:
#
# ```{prf:algorithm} $\ell_1$ LP (P2 Algorithm 2)
# :label: p2-noisy-alg2
# For $t = 1, 2, \dots$: solve $\min_{z, e} \sum_j e_j$ s.t.
# $|w_j^\top z - x_j| \le e_j$ if $x_j > \epsilon$, $w_j^\top z \le x_j + e_j$ if
# $x_j \le \epsilon$, $e \ge 0$; set $\epsilon \leftarrow \alpha \epsilon$; if
# $\|\phi(z^{(t)}) - x\|_1 \ge \|\phi(z^{(t-1)}) - x\|_1$ return $z^{(t-1)}$.
# ```
#
# Both need the ReLU configuration (which rows are "on") from the threshold $\epsilon$, and a
# wrong "on" makes the LP infeasible or biased. The relaxation drops the lower bounds
# altogether and lets the objective pull each $w_i^\top z$ up to its observed value:
#
# ```{prf:algorithm} LP relaxation (P2 Eq. 8, Algorithm 3)
# :label: p2-noisy-alg3
# For $t = 1, 2, \dots$: solve $\max_z \sum_i \max\{0, x_i\}\, w_i^\top z$ s.t.
# $w_i^\top z \le x_i + \epsilon$; set $\epsilon \leftarrow \alpha\epsilon$; if $t > 2$ and
# $\|\phi(z^{(t)}) - x\|_1 \ge \|\phi(z^{(t-1)}) - x\|_1$ return $z^{(t-1)}$.
# ```
#
# With $\epsilon = 0$ and realizable $x$ all three return the exact preimage, which is why the
# previous chapter could use the $\ell_\infty$ LP as an exact method. Each has a LeakyReLU
# variant (P2 Remark 1, Remark 2, Eq. 9): the negative observations $x_j \le -\epsilon$ give
# two-sided constraints on $c\, w_j^\top z$, those near zero the constraint
# $(x_j - \delta)/c \le w_j^\top z \le x_j + \delta$.
#
# **Implementation** (`lib.lp`). Every LP of a layer has a constraint matrix that depends only
# on $W$; a new signal, a new $\epsilon$ or a mask of hidden pixels only changes bounds and
# costs. `LayerwiseLP(G, method)` therefore builds one HiGHS model per layer once and re-solves
# it with warm starts (a cvxpy/DPP backend gives the same LPs and is used in the tests as a
# second implementation). Two shortcuts return exactly what the paper's loops return, with fewer
# solves. Algorithm 1 for ReLU is run as a *bracketing search* over the grid
# $\epsilon_t = \epsilon_0 \alpha^t$: raising $\epsilon$ only turns two-sided rows into one-sided
# ones, so the optimal $\delta^*(\epsilon)$ never increases and feasibility
# ($\delta^* \le \epsilon$) is monotone in $t$; each solved LP then also bounds the answer from
# its $\delta^*$ (an infeasible $t$ with optimum $\delta^*$ makes every $\epsilon \ge \delta^*$
# feasible, a feasible one makes every $\epsilon < \delta^*$ infeasible), and the search starts
# at the previous signal's answer. That takes about 3 LPs per layer, where the paper's loop (one
# LP per grid point) takes about a hundred at the noise level $10^{-2}$ ($t \approx 100$) and
# plain bisection 9. And grid points whose LP is identical to the previous
# one are not re-solved. The $\ell_\infty$ LP has $k + 1$ unknowns and up to $2n$ constraints,
# so HiGHS is handed its dual ($k + 1$ rows), whose simplex bases are far smaller; $z$ is read
# off the dual's multipliers. The $\ell_1$ LP of Algorithm 2 (ReLU) is solved through its dual
# too, $\min_\lambda (x - b)^\top \lambda$ s.t. $W^\top \lambda = 0$ with
# $\lambda_j \in [-1, 1]$ on the rows above $\epsilon$ and $[0, 1]$ on the others: $k$ rows and
# $n$ bounded unknowns instead of $2n$ rows and $k + n$ unknowns. Algorithm 3 changes only the
# right-hand side from one $\epsilon$ to the next, and most steps keep the optimal basis: a step
# whose previous basis still gives a feasible vertex is answered from it without calling HiGHS
# (the same vertex HiGHS would return after zero iterations; tested against solving every step).
#
# **Many signals at once.** The experiments invert many signals through the same network, so
# `LayerwiseLP(G, "linf", backend="ipm")` solves Algorithm 1 for all of them together
# (`lib.ipm`): every signal runs the same bracketing search, and each round's LPs, one per
# signal, are solved by one batched primal-dual interior-point method in torch (a few batched
# matrix products per iteration). An interior point only approaches the optimum, so each answer
# is turned into an exact vertex: the $k+1$ constraints the interior point marks as tight are
# solved as equations, and the vertex is accepted only if it satisfies every constraint and its
# multipliers are non-negative, which are the LP's optimality conditions checked directly; an
# LP that fails the check goes to HiGHS. The grid point, $\delta^*$ and (up to $10^{-7}$) $z$ are
# those of the one-at-a-time simplex search (tested). We use it for the $\ell_\infty$ LP below.
#
# On the 20-100-500 network below (`benchmarks/p2_lp.py`, this book's idle 2-core machine,
# noise $10^{-2}$), an $\ell_\infty$ inversion takes about 0.24 s one signal at a time with
# HiGHS (0.85 s before the search and the dual form), 20-30 ms per signal in batches of 20 and
# 12-16 ms in batches of 100 (the spread of several runs); an $\ell_1$ inversion with patience 10 about 0.4 s (2.6 s before the
# dual form); a relaxation about 0.24 s (0.47 s before the basis re-use). The tests check both
# duals against the primal LPs. We use $\alpha = 1.2$ (P2) and $\epsilon_0 = 10^{-10}$ (P2 does
# not state its initial guess). A layer whose LP fails is reported (status, NaN), never
# replaced by a number.
#
# **Our reading of Algorithm 2's stopping rule.** Compared literally grid point by grid point,
# two consecutive grid points usually give *the same* LP (no $x_j$ lies between them), the same
# residual, and the rule stops at once, at $\epsilon_0$. We therefore compare consecutive
# *different* LPs. Even so the rule stops far too early (see the end of the chapter), so the
# experiments below run the $\ell_1$ LP with a *patience* of 10: it continues through 10 LPs
# without improvement and returns the iterate of smallest residual.

# %% [markdown]
# ## The experiment of P2 Section 5.1
#
# A two-layer ReLU network $20$-$100$-$500$ (ReLU at the output too), weights
# $\mathcal{N}(0, 1/n_i)$, which we read with $n_i$ the *output* size of the layer ($W_i \in
# \mathbb{R}^{n_i \times n_{i-1}}$ in P2's notation). Noise: uniform $U(-a, a)$ or Gaussian
# $\mathcal{N}(0, a)$, read as standard deviation $a$, for $a = 10^{-1}, \dots, 10^{-6}$. Error:
# $\|z - z^*\|_2 / \|z^*\|_2$. Gradient descent: step 1, at most 1,000 steps or until the
# gradient norm is $\le 10^{-9}$, from a random start.

# %%
G = Generator.random(list(S["dims"]), seed=S["seed"], std="fan_out", output="relu")
methods = ("linf", "l1", "relax")
inverters = {m: LayerwiseLP(G, m, eps0=S["eps0"], alpha=S["alpha"]) for m in methods}
# the l_inf LP for all runs of a noise level at once (batched interior point, checked vertices)
inverters["linf"] = LayerwiseLP(G, "linf", eps0=S["eps0"], alpha=S["alpha"], backend="ipm")
# the l1 LP with a patience of 10 LPs in its stopping rule (see the last section for why)
inverters["l1"] = LayerwiseLP(G, "l1", eps0=S["eps0"], alpha=S["alpha"], patience=10)
paper_l1 = LayerwiseLP(G, "l1", eps0=S["eps0"], alpha=S["alpha"])  # P2's stopping rule
levels, R = S["levels"], S["runs"]
noises = ("uniform", "gaussian")
err = {(m, nt): np.full((len(levels), R), np.nan) for m in (*methods, "gd") for nt in noises}
linf_ratio, l1_ratio = [], []  # ||z - z*|| / ||e|| in the norms of Thm 4 and Thm 5
failures = {m: 0 for m in methods}
gen = torch.Generator().manual_seed(S["seed"] + 1)
for nt in noises:
    for li, a in enumerate(levels):
        z = G.sample_latent(R, seed=S["seed"] + 1000 * li + (nt == "gaussian"))
        if nt == "uniform":
            e = (torch.rand(R, G.dims[-1], generator=gen, dtype=G.dtype) * 2 - 1) * a
        else:
            e = torch.randn(R, G.dims[-1], generator=gen, dtype=G.dtype) * a
        y = G(z) + e
        for m in methods:
            r = inverters[m].invert(y)
            failures[m] += int((~r.ok).sum())
            err[m, nt][li] = relative_error(z, r.z).numpy()
            d = (r.z - z).abs()
            if m == "linf" and nt == "uniform":
                linf_ratio += (d.amax(1) / e.abs().amax(1)).tolist()
            if m == "l1" and nt == "gaussian":
                l1_ratio += (d.sum(1) / e.abs().sum(1)).tolist()
        g = gradient_descent(
            G, y, lr=S["gd_lr"], steps=S["gd_steps"], grad_tol=S["gd_tol"], seed=S["seed"] + li
        )
        err["gd", nt][li] = relative_error(z, g.z).numpy()
print(f"{R} runs per noise type and level; LP failures (status not optimal): {failures}")

# %%
def median_table(keys):
    print("noise      a     " + "".join(f"{k:>10}" for k in keys))
    for nt in noises:
        for li, a in enumerate(levels):
            row = "".join(f"{np.median(err[k, nt][li]):10.1e}" for k in keys)
            print(f"{nt:<9} {a:6.0e} {row}")


print("median relative error ||z - z*|| / ||z*||")
median_table(("linf", "l1", "relax", "gd"))

# %%
LABEL = {"linf": r"$\ell_\infty$ LP", "l1": r"$\ell_1$ LP (patience 10)", "relax": "LP relaxation",
         "gd": "gradient descent"}
COLOR_KEY = {"linf": "linf_lp", "l1": "l1_lp", "relax": "relaxation", "gd": "gd"}


def noise_figure(keys, title):
    fig, axes = plt.subplots(1, 2, figsize=(10, 4), sharey=True)
    for ax, nt in zip(axes, noises, strict=True):
        for j, k in enumerate(keys):
            col = METHOD_COLORS[COLOR_KEY[k]]
            shift = 1.08 ** (j - (len(keys) - 1) / 2)  # spread the dots of a level sideways
            xs = np.repeat(np.array(levels) * shift, R)
            ax.scatter(xs, err[k, nt].ravel(), s=9, alpha=0.45, color=col)
            ax.plot(levels, np.median(err[k, nt], axis=1), "-o", ms=3, color=col,
                    label=LABEL[k])
        dist = "U(-a, a)" if nt == "uniform" else "N(0, a^2)"
        ax.set(xscale="log", yscale="log", xlabel=f"noise level a ({nt}: {dist})",
               title=f"{title}, {nt} noise")
    axes[0].set_ylabel(r"relative error $\|z - z^*\| / \|z^*\|$")
    axes[0].legend()
    plt.show()


noise_figure(("linf", "l1", "gd"), "P2 Fig. 1(a)(b): 20-100-500 net")

# %% [markdown]
# Every dot is one run, the lines join the medians (as in P2's Figure 1). All methods' errors
# grow linearly with the noise: a straight line of slope one on these log-log axes. Unlike in
# P2, gradient descent is the most accurate method here, by a factor of about two: it fits the
# 20 unknowns of $z$ to all 500 observations at once, while the layer-wise LPs first estimate
# the 100 unknowns of the hidden layer, and pass that layer's error on. (With 1,000 steps of
# size 1 GD converges on this well-conditioned network, see {ref}`p2-latent-size`.) Figure 5 of
# P2 compares the three LPs:

# %%
noise_figure(("linf", "l1", "relax"), "P2 Fig. 5: the three LPs")


# %%
def slope(k, nt):
    """Least-squares slope of log(median error) against log(a) over the noise levels."""
    med = np.median(err[k, nt], axis=1)
    return float(np.polyfit(np.log10(levels), np.log10(med), 1)[0])


print("slope of log(median error) vs log(a) (1 = linear growth)")
slopes = {(k, nt): slope(k, nt) for k in (*methods, "gd") for nt in noises}
for k in (*methods, "gd"):
    print(f"  {LABEL[k]:<18} uniform {slopes[k, 'uniform']:.2f}   gaussian "
          f"{slopes[k, 'gaussian']:.2f}")

# %% [markdown]
# ## How large is the error allowed to be? Theorems 4 and 5
#
# ```{prf:assumption} P2 Assumptions 2 and 3
# :label: p2-noisy-assumption23
# There are $m > k$ and constants $c_\infty$, $c_1$ such that for every row set $I$ with
# $|I| \ge m$: $\|W_{I,:} a\|_\infty \ge c_\infty \|a\|_\infty$ and
# $\|W_{I,:} a\|_1 \ge c_1 \|a\|_1$ for all $a$.
# ```
#
# ```{prf:theorem} P2 Theorem 4 (and Corollary 1)
# :label: p2-noisy-thm4
# If $\|e\|_\infty \le \epsilon$, every layer satisfies Assumption 2 and enough coordinates of
# every layer exceed $2(2/c_\infty)^{d-i}\epsilon$, then Algorithm 1 applied backwards returns
# $z$ with $\|z - z^*\|_\infty \le (2/c_\infty)^d \epsilon$.
# ```
#
# ```{prf:theorem} P2 Theorem 5
# :label: p2-noisy-thm5
# Likewise with Assumption 3 and $\|e\|_1 \le \epsilon$: Algorithm 2 returns $z$ with
# $\|z - z^*\|_1 \le (2/c_1)^d \epsilon$.
# ```
#
# The proof of one layer is two lines: on the active rows $I$, both $W_I z$ (by the LP's
# constraints) and $W_I z^* = x^*_I$ (truth) are within $\epsilon$ of $x_I$, so
# $\|W_I(z - z^*)\|_\infty \le 2\epsilon$, and Assumption 2 turns this into
# $\|z - z^*\|_\infty \le 2\epsilon / c_\infty$; the layer's error is the next layer's noise.
#
# The constants can be computed. $c_\infty(W_I) = \min_{\|a\|_\infty = 1}\|W_I a\|_\infty$ is
# the smallest of $k$ LPs (fix $a_i = 1$, `lib.lp.c_inf`); $c_1$ has no such formula and we
# bracket it (`lib.lp.c_1_bounds`: $\sigma_{\min}(W_I)/\sqrt{k} \le c_1 \le$ the best of a few
# test directions). Below, $I$ is the true support of one signal in each layer. The *empirical*
# constants are those that make the theorem's bound tight on our runs: the largest $c$ with
# $(2/c)^2 \|e\| \ge \|z - z^*\|$ for every run ($d = 2$ layers).

# %%
z1 = G.sample_latent(1, seed=S["seed"] + 7)
fw = G.forward(z1)
I0 = fw.supports[0][0].numpy()  # active rows of W_0 (hidden layer)
I1 = (fw.out[0] > 0).numpy()  # active rows of W_1 (output layer)
W0, W1 = G.weights[0].numpy(), G.weights[1].numpy()
c_inf0 = c_inf(W0[I0])
sv1 = np.linalg.svd(W1[I1], compute_uv=False)[-1]
c_inf1_lower = sv1 / np.sqrt(I1.sum())  # ||W a||_inf >= ||W a||_2 / sqrt(|I|) >= ...
c1_0, c1_1 = c_1_bounds(W0[I0]), c_1_bounds(W1[I1])
print(f"layer W_0 (|I| = {I0.sum()} of 100 rows): c_inf = {c_inf0:.3f} (exact), "
      f"c_1 in [{c1_0[0]:.3f}, {c1_0[1]:.3f}]")
print(f"layer W_1 (|I| = {I1.sum()} of 500 rows): c_inf >= {c_inf1_lower:.4f} "
      f"(sigma_min / sqrt|I|), c_1 in [{c1_1[0]:.3f}, {c1_1[1]:.3f}]")
bound_inf = (2 / c_inf0) * (2 / c_inf1_lower)
ratio_inf, ratio_1 = max(linf_ratio), max(l1_ratio)
c_inf_emp = 2 / np.sqrt(ratio_inf)
c_1_emp = 2 / np.sqrt(ratio_1)
print(f"Thm 4: max over runs of ||z - z*||_inf / ||e||_inf = {ratio_inf:.2f}; bound "
      f"(2/c_inf0)(2/c_inf1) = {bound_inf:.0f}; empirical c_inf = {c_inf_emp:.2f}")
print(f"Thm 5: max over runs of ||z - z*||_1 / ||e||_1 = {ratio_1:.3f}; empirical c_1 = "
      f"{c_1_emp:.2f}")

# %% [markdown]
# The bound of Theorem 4 holds with a large margin: it multiplies worst cases over all
# directions and all layers, while the noise of a real run is not aligned with the worst
# direction. The empirical $c_\infty$ is larger than the computed worst-case constants, as it
# must be. In $\ell_1$ the ratio is tiny because $\|e\|_1$ adds up 500 noise entries while
# $\|z - z^*\|_1$ has only 20: Theorem 5 is very loose for an expansive network.

# %% [markdown]
# ## Why P2's stopping rule hurts the $\ell_1$ LP
#
# Follow Algorithm 2 on one signal: as $\epsilon$ grows past the noise level, the rows that were
# "on" only because of noise are released and the fit improves, but one row at a time, and the
# residual $\|\phi(z^{(t)}) - x\|_1$ does not decrease monotonically. The first uptick stops
# the loop, long before $\epsilon$ reaches the noise. Allowing a few LPs without improvement
# (`patience`, returning the best iterate) recovers the accuracy of the other LPs:

# %%
demo = {}
for a in (1e-2, 1e-4):
    li = levels.index(a)
    z = G.sample_latent(R, seed=S["seed"] + 5000 + li)
    e = (torch.rand(R, G.dims[-1], generator=gen, dtype=G.dtype) * 2 - 1) * a
    y = G(z) + e
    r_paper, r_patient = paper_l1.invert(y), inverters["l1"].invert(y)
    demo[a] = (relative_error(z, r_paper.z).median().item(),
               relative_error(z, r_patient.z).median().item())
    print(f"uniform noise a = {a:.0e}, {R} runs, median rel. error: P2's rule {demo[a][0]:.1e} "
          f"(output layer stops at eps ~ {np.median(r_paper.eps[:, 1]):.0e}); patience 10 "
          f"{demo[a][1]:.1e} (eps ~ {np.median(r_patient.eps[:, 1]):.0e})")
e_paper, e_patient = demo[1e-2]

# %% [markdown]
# With P2's rule the error hardly depends on the noise at all: the loop stops while many rows
# that are "on" only because of noise are still treated as active, and each such row is an
# outlier of size $|w_j^\top z^*|$, not of the size of the noise.

# %% [markdown]
# ## Claims

# %%
med = {k: np.median(v, axis=1) for k, v in err.items()}
linear = all(0.8 < slopes[k, nt] < 1.2 for k in (*methods, "gd") for nt in noises)
lp_gd = float(np.median(med["linf", "uniform"] / med["gd", "uniform"]))
big_gauss = med["linf", "gaussian"][0] / min(med["l1", "gaussian"][0], med["relax", "gaussian"][0])
claims = Claims("p2_noisy_lp")
claims.add(
    "P2-linf",
    passed=failures["linf"] == 0 and slopes["linf", "uniform"] > 0.8,
    measured=f"Alg. 1 (search over the alpha=1.2 grid, eps0=1e-10): no failures; median "
    f"error at a=1e-2 uniform {med['linf', 'uniform'][1]:.1e}; LeakyReLU variant in the tests",
    paper="threshold grown by alpha = 1.2 until feasible; Remark 1 for LeakyReLU",
)
claims.add(
    "P2-l1",
    passed=failures["l1"] == 0 and e_patient < e_paper and slopes["l1", "uniform"] > 0.8,
    measured=f"Alg. 2 solved; P2's stopping rule stops early: median error {e_paper:.2f} at "
    f"a=1e-2 and {demo[1e-4][0]:.2f} at a=1e-4; with patience 10: {e_patient:.3f} and "
    f"{demo[1e-4][1]:.1e}; LeakyReLU variant in the tests",
    paper="l1 LP comparable to the l_inf LP and GD (Fig. 1)",
    status="reproduced with a difference",
)
claims.add(
    "P2-relax",
    passed=failures["relax"] == 0 and slopes["relax", "uniform"] > 0.8,
    measured=f"Alg. 3 solved; median error at a=1e-2 uniform {med['relax', 'uniform'][1]:.1e}; "
    "Eq. 9 (LeakyReLU) in the tests",
    paper="LP relaxation (Eq. 8 / Alg. 3), Eq. 9 for LeakyReLU",
)
claims.add(
    "P2-thm45",
    passed=linear and ratio_inf <= bound_inf,
    measured=f"errors linear in noise (log-log slopes {min(slopes.values()):.2f}.."
    f"{max(slopes.values()):.2f}); max ||dz||_inf/||e||_inf = {ratio_inf:.1f} <= Thm 4 "
    f"bound {bound_inf:.0f}; empirical c_inf = {c_inf_emp:.2f}, c_1 = {c_1_emp:.2f}",
    paper="error ~ linear in noise; bounds (2/c_inf)^d eps and (2/c_1)^d eps",
)
claims.add(
    "P2-fig1ab",
    passed=linear and lp_gd < 4,
    measured=f"{R} runs/level (paper 200): medians linear in a for all methods; GD is the most "
    f"accurate: l_inf LP / GD median error ratio {lp_gd:.1f} (uniform noise)",
    paper="error ~ linear in noise; l_inf LP best for uniform noise; GD more outliers",
    status="reproduced with a difference",
)
claims.add(
    "P2-fig5",
    passed=bool(np.all(med["relax", "uniform"] / med["linf", "uniform"] < 10)),
    measured=f"relaxation / l_inf LP median error within a factor "
    f"{np.max(med['relax', 'uniform'] / med['linf', 'uniform']):.1f} (uniform); at a=0.1 "
    f"Gaussian the l_inf LP is {big_gauss:.1f}x the best other LP; l1 LP needs patience 10",
    paper="no significant difference between the three LPs; l_inf weaker with large Gaussian noise",
    status="reproduced with a difference",
)
assert not (failed := claims.report()), f"claims that did not hold: {failed}"
