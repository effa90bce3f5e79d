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
# (p2-latent-size)=
# # How large can the latent be?
#
# **What you will learn.** Where exact layer-wise inversion of a $k$-250-600 network stops
# working as the latent size $k$ grows, why that boundary is set by how many hidden units are
# active, and how to check whether gradient descent really fails before concluding that it
# does. **Paper:** {cite}`lei2019` Sec. 5.1, Fig. 2 (target **P2-fig2**). **Read first:**
# {ref}`p2-expansive` (Theorem 3) and {ref}`p2-noisy-lp` (the three LPs); implementation details
# are in {ref}`notes-p2-lp`.
#
# The guarantees of the {ref}`previous chapters <p2-expansive>` ask every layer to expand by a
# constant factor ($c_0 > 2$ for ReLU). Gradient descent has a guarantee too
# ({cite:t}`hand2018global`, {cite:t}`huang2018`, cited by P2), but it asks for an expansion by a *logarithmic* factor.
# {cite}`lei2019` (P2, Figure 2) test what this means in practice: fix a two-layer network
# $k$-$250$-$600$ and grow the latent size $k$. Their report: the LPs recover $z$ in 100 % of
# the runs until $k \approx 109$, gradient descent fails completely for $k \geq 60$ (target
# **P2-fig2**). This chapter measures both boundaries, explains them, and checks gradient
# descent honestly before concluding anything about it.

# %% tags=["hide-input"]
# Setup: on Colab, install the book's `lib` package (Colab's own torch is kept) and use the GPU.
import sys

if "google.colab" in sys.modules:
    import subprocess

    url = "git+https://github.com/inverting-generative-models/inversion-book"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", url], check=True)

from lib.book import setup_notebook

DEVICE = setup_notebook("p2_latent_size")

# %% tags=["hide-input"]
import matplotlib.pyplot as plt
import numpy as np
import torch
from myst_nb import glue
from scipy.stats import binom

from lib.book import experiments
from lib.book.plotting import METHOD_COLORS, legend_below, show_table, subplots, wrap
from lib.book.scorecard import Claims
from lib.core.generator import Generator
from lib.core.metrics import wilson_interval

S = experiments.settings("p2_latent_size")

# %% [markdown]
# ## What to expect
#
# Noiseless inversion of the ReLU network, layer by layer: the output layer ($600$ rows, $250$
# unknowns) has about $300$ active rows, comfortably more than $250$; the hidden layer ($250$
# rows, $k$ unknowns) has $|S_1| \sim \mathrm{Bin}(250, 1/2)$ active rows, and its linear
# equations determine $z$ only if $|S_1| \ge k$. So the LPs (which on realizable data return
# the preimage) should succeed with probability about $\mathbb{P}(\mathrm{Bin}(250, 1/2) \ge
# k)$: essentially 1 up to $k \approx 105$, one half at $k = 125$. For LeakyReLU every row
# carries an equation and all $k \le 250$ should work.
#
# A run succeeds when $\|z - z^*\|/\|z^*\| \le 10^{-3}$ (P2). Weights $\mathcal{N}(0, 1/n_i)$
# with $n_i$ the layer's output size, LeakyReLU slope $c = 0.1$ (not stated in P2). The LPs run
# with $\alpha = 1.2$, $\epsilon_0 = 10^{-10}$; at book scale only the $\ell_\infty$ LP (all
# signals of a $k$ solved together for ReLU, `backend="ipm"`, one at a time for LeakyReLU),
# and the layer-wise linear equations of Theorem 3, which compute the same preimage, on the
# same 8 runs per $k$ as gradient descent.
#
# Each pair of activation and $k$ is an independent point: `lib.book.experiments.latent_size_point`
# draws its network and latents from their seeds and runs every method on them, and
# `latent_size_sweep` runs the grid, one point after the other or, given an `executor=` (a local
# process pool, or a Dask or Ray cluster's), side by side with the same results.

# %%
ks, R = S["k_grid"], S["runs"]
acts = ("relu", "leaky_relu")
# one independent point per activation and k: the network, its latents, every method
points = experiments.latent_size_sweep(S, acts)  # {(act, k): {method: success per run}}
rate = {}  # (method, act) -> success rate per k
count = {}  # (method, act) -> (successes, runs) per k
for act in acts:
    for key in ("equations", "gd", *S["lp_methods"]):
        succ = [points[act, k][key] for k in ks]
        rate[key, act] = [float(s.mean()) for s in succ]
        count[key, act] = [(int(s.sum()), len(s)) for s in succ]
# (LP succeeded, equations succeeded) on the signals given to the LPs
lp_vs_eq = [pair for p in points.values() for m in S["lp_methods"]
            for pair in zip(p[m].tolist(), p["equations"][: len(p[m])].tolist(), strict=True)]


def kn(c):  # "k/n" of a (successes, runs) pair
    return f"{c[0]}/{c[1]}"


def ci(c):  # 95 % Wilson interval of a (successes, runs) pair, as text
    lo, hi = wilson_interval(*c)
    return f"[{lo:.2f}, {hi:.2f}]"


names_short = {"equations": "equations", "linf": "l_inf LP", "l1": "l1 LP", "relax": "relaxation",
               "gd": "GD"}
for act in acts:
    keys = [key for key, a in rate if a == act]
    show_table(["k", *[names_short[key] for key in keys]],
               [[k, *[f"{kn(count[key, act][i])} {ci(count[key, act][i])}" for key in keys]]
                for i, k in enumerate(ks)],
               caption=f"{act}: runs with ||z - z*|| / ||z*|| <= {S['success']:g}, k of n "
               "[95 % Wilson interval]")

# %% tags=["hide-input"]
fig, axes = subplots(1, 2, height=3.4, sharey=True)
pred = [binom.sf(k - 1, S["hidden"], 0.5) for k in ks]
colors = {"equations": "#000000", "linf": METHOD_COLORS["linf_lp"],
          "l1": METHOD_COLORS["l1_lp"], "relax": METHOD_COLORS["relaxation"],
          "gd": METHOD_COLORS["gd"]}
names = {"equations": "linear equations (Thm 3 / Eq. 5)", "linf": r"$\ell_\infty$ LP",
         "l1": r"$\ell_1$ LP", "relax": "LP relaxation", "gd": "GD (lr 1, 1000 steps)"}
for ax, act in zip(axes, acts, strict=True):
    for key, a in rate:
        if a == act:
            lo, hi = np.array([wilson_interval(*c) for c in count[key, a]]).T
            r_ = np.array(rate[key, a])
            ax.errorbar(ks, r_, yerr=[r_ - lo, hi - r_], fmt="o-" if key != "equations" else "s--",
                        ms=4, capsize=2, elinewidth=0.7, color=colors[key], label=names[key])
    if act == "relu":
        ax.plot(ks, pred, ":", color="gray", label=r"$\mathbb{P}(\mathrm{Bin}(250, 1/2) \geq k)$")
    ax.set(xlabel="latent size k", title=f"k-250-600, {act}, noiseless")
axes[0].set_ylabel(r"success ($\|z - z^*\|/\|z^*\| \leq 10^{-3}$)")
legend_below(fig, axes, ncols=2)
plt.close(fig)
glue("p2-latent-fig2", fig, display=False)

# %% [markdown]
# ```{glue:figure} p2-latent-fig2
# :name: fig-p2-latent-fig2
# :alt: Two panels of the success rate against the latent size k for the linear equations, the l-infinity LP and gradient descent, on ReLU (left) and LeakyReLU (right) networks, with the predicted probability dotted.
#
# Success rate against the latent size $k$ on noiseless $k$-250-600 networks, ReLU (left) and
# LeakyReLU $c = 0.1$ (right) (reproduces P2 Fig. 2). Book scale: 8 runs per $k$ for the
# linear equations, the $\ell_\infty$ LP and GD (ReLU and LeakyReLU; P2: 200);
# dotted: the probability that the hidden layer has at least $k$ active units; seed 2019.
# ```


# %% tags=["hide-input"]
def boundary(key, act="relu"):
    """Largest k of the grid up to which every run succeeded."""
    last = None
    for k, (kk, nn) in zip(ks, count[key, act], strict=True):
        if kk < nn:
            break
        last = k
    return last


def predicted_inside(key, act="relu"):
    """Per k: the binomial prediction lies in the 95 % Wilson interval of the measured rate."""
    return [wilson_interval(*c)[0] <= p_ <= wilson_interval(*c)[1]
            for c, p_ in zip(count[key, act], pred, strict=True)]


b_eq, b_lp, b_gd = (boundary(m) for m in ("equations", "linf", "gd"))
fit_eq, fit_lp = predicted_inside("equations"), predicted_inside("linf")
gd_c = dict(zip(ks, count["gd", "relu"], strict=True))
gd_zero = [k for k in ks if gd_c[k][0] == 0]
# where P2 says GD "fails completely" (k >= 60) but GD recovers z with a rate resolved above 0
gd_alive = [k for k in ks if k >= 60 and wilson_interval(*gd_c[k])[0] > 0]
print(wrap(f"ReLU: every run recovered up to k = {b_eq} (equations), {b_lp} (l_inf LP), {b_gd} "
           f"(GD); paper: LPs up to k ~ 109, GD fails completely for k >= 60"))
print(wrap(f"ReLU: P(Bin(250, 1/2) >= k) inside the 95 % interval at {sum(fit_eq)} of {len(ks)} k "
           f"(equations) and {sum(fit_lp)} of {len(ks)} k (l_inf LP)"))
print(wrap("ReLU, GD for k >= 60: " + "; ".join(f"k = {k}: {kn(gd_c[k])} {ci(gd_c[k])}"
                                                for k in ks if k >= 60)))

# %% [markdown]
# ## Is gradient descent really failing?
#
# Before concluding that gradient descent cannot invert these networks, check the two ways the
# experiment could be unfair to it: a step size that is too large, and an iteration budget that
# is too small. Near the solution $f(z) = \frac12\|G(z) - y\|^2$ is a quadratic with Hessian
# $J^\top J$, where $J = D_2 W_1 D_1 W_0$ is the Jacobian at $z^*$ ($D_i$ the 0/1 diagonal of
# active units). Gradient descent with step $\eta$ is stable only if $\eta\,\lambda_{\max} < 2$
# and contracts the error by $1 - \eta\,\lambda_{\min}$ per step. As $k$ approaches the number of
# active hidden units ($\approx 125$), $D_1 W_0$ becomes nearly square and
# $\lambda_{\min}(J^\top J)$ collapses.

# %% tags=["hide-input"]
print("   k  lambda_max  lambda_min  steps to gain 1e-3 at lr 1 (near z*)")
cond = {}
for k in ks:
    G = Generator.random([k, S["hidden"], S["out"]], seed=S["seed"] + k, std="fan_out",
                         output="relu")
    z = G.sample_latent(1, seed=S["seed"] + 10**4 + k)
    fw = G.forward(z)
    D1, D2 = fw.supports[0][0].double(), (fw.pre[1][0] > 0).double()
    J = D2[:, None] * G.weights[1] @ (D1[:, None] * G.weights[0])
    ev = torch.linalg.eigvalsh(J.T @ J)
    lmin, lmax = float(ev[0]), float(ev[-1])
    cond[k] = (lmin, lmax)
    steps = np.log(1e3) / -np.log(abs(1 - lmin)) if lmin > 0 else np.inf
    print(f"{k:4d}  {lmax:10.2f}  {lmin:10.1e}  {steps:10.0f}")

# %% [markdown]
# The step size 1 is safe ($\lambda_{\max} < 2$ throughout), but already for moderate $k$ the
# smallest eigenvalue asks for thousands of steps *even when started next to $z^*$*: 1,000
# steps cannot reach a relative error of $10^{-3}$. So the boundary measured for GD above is
# (at least in part) an iteration budget, not local minima. We test that directly, at a few
# $k$: (a) P2's GD, (b) ten times more steps, (c) a smaller step $0.5$ with the longer budget,
# (d) three random restarts of P2's GD keeping the one of lowest loss.

# %% tags=["hide-input"]
alt_rows = [(r["k"], r["a"], r["b"], r["c"], r["d"], r["median_b"], r["near_minus_b"])
            for r in experiments.gd_alternatives(S)]

show_table(["k", "(a) P2", "(b) long", "(c) lr 0.5", "(d) 3 restarts", "median error (b)"],
           [[k, *[f"{kn(c)} {ci(c)}" for c in (a, b, c, d)], f"{med:.1e}"]
            for k, a, b, c, d, med, _ in alt_rows],
           caption=f"GD runs recovering z, k of n [95 % Wilson interval]; (b), (c): "
           f"{S['gd_alt_steps']} steps")

# %% [markdown]
# ## Reading the results
#
# * The LPs and the linear equations follow the binomial prediction: they succeed whenever the
#   hidden layer has at least $k$ active units. This is P2's "100 % until $k \approx 109$" and it
#   is not a property of the solver but of the network: beyond $k \approx 125$ the preimage of
#   the hidden layer is no longer a single point, and *no* method can tell which point was used.
# * Gradient descent with P2's settings does fail at large $k$, as in P2, but the longer budget
#   shows how much of that failure is slow convergence on an ill-conditioned problem: where the
#   longer run succeeds, the landscape had no trap, only a flat valley. Where no variant
#   succeeds, the problem is the same non-uniqueness that stops the LPs. At $k = 100$, where
#   P2's GD fails in most runs, ten times more steps succeed in all of them; no restart was
#   needed, no spurious minimum was met.

# %% [markdown]
# ## Summary
#
# * The LPs' boundary in $k$ is the network's: they recover $z$ exactly when the hidden layer
#   has at least $k$ active units of full rank, and no method can do better beyond it.
# * P2's "GD fails for $k \ge 60$" is mostly an iteration budget on an ill-conditioned
#   problem, not spurious minima.
#
# ## Exercises
#
# ```{exercise}
# :label: ex-p2-latent-1
# Using the binomial distribution of the number of active hidden units, predict the $k$ at which
# the LPs' success rate on the $k$-250-600 ReLU network falls to 50 %.
# ```
#
# ```{solution} ex-p2-latent-1
# :class: dropdown
# $|S_1| \sim \mathrm{Bin}(250, 1/2)$ has median 125, so $\mathbb{P}(|S_1| \ge k) = 1/2$ near
# $k = 125$ (the measured rate drops between $k = 120$ and $140$).
# ```
#
# ```{exercise}
# :label: ex-p2-latent-2
# Why does the LeakyReLU network need no expansion at all for the linear equations?
# ```
#
# ```{solution} ex-p2-latent-2
# :class: dropdown
# LeakyReLU is a bijection, so every row carries an equation ({prf:ref}`p2-expansive-eq5`); the
# layer is inverted by least squares as soon as $W$ has full column rank, which needs only
# $n \ge k$.
# ```

# %% [markdown]
# ## Claims

# %% tags=["hide-input"]
claims = Claims("p2_latent_size")
lp_match = all(lp >= eq for lp, eq in lp_vs_eq)  # the LPs recover whatever the equations do
leaky_ok = all(kk == nn for key in ("equations", "linf") for kk, nn in count[key, "leaky_relu"])
alt = {row[0]: row for row in alt_rows}
k_alt = max(alt, key=lambda k: alt[k][2][0] - alt[k][1][0])  # where more steps help most
lp_c = dict(zip(ks, count["linf", "relu"], strict=True))
k_drop = min((k for k in ks if lp_c[k][0] < lp_c[k][1]), default=None)
claims.add(
    "P2-fig2",
    passed=bool(b_eq is not None and b_eq >= 100 and leaky_ok and lp_match and all(fit_eq)
                and gd_zero and max(gd_zero) == ks[-1]),
    measured=(
        f"ReLU: linear equations ({R} runs per k) and l_inf LP ({S['lp_runs']} runs) recover z in "
        f"every run up to k = {b_eq} / {b_lp} (LP at k = {b_lp}: {kn(lp_c[b_lp])} "
        f"{ci(lp_c[b_lp])}"
        + (f"; at k = {k_drop}: {kn(lp_c[k_drop])} {ci(lp_c[k_drop])}, binomial "
           f"P(|S_1| >= k) = {binom.sf(k_drop - 1, 250, 0.5):.2f}" if k_drop else "")
        + f"); the binomial prediction lies in the 95 % Wilson interval at {sum(fit_eq)} of "
        f"{len(ks)} k (equations), {sum(fit_lp)} of {len(ks)} (LP); LeakyReLU: every run for all "
        f"k; GD (lr 1, 1000 steps, {R} runs per k): "
        + ", ".join(f"k = {k}: {kn(gd_c[k])} {ci(gd_c[k])}" for k in ks if k >= 60)
        + f"; {S['gd_alt_steps']} steps at k = {k_alt}: {kn(alt[k_alt][2])} {ci(alt[k_alt][2])}"
    ),
    paper="LPs 100 % until k ~ 109; GD fails completely for k >= 60",
    status="reproduced with a difference",
    difference=(
        f"GD with P2's settings still recovers z at k = {', '.join(map(str, gd_alive))} (95 % "
        f"intervals above 0), against P2's 'fails completely for k >= 60', and "
        f"{S['gd_alt_steps']} steps recover k = {k_alt}: GD's boundary is an iteration budget "
        "on an ill-conditioned problem (P2's exact GD setup is not stated), while the LPs' "
        "boundary is the network's (hidden units active >= k)"
        if gd_alive else
        "GD fails from k = 60 as in P2, but more steps recover part of it: an iteration budget"
    ),
)
assert not (failed := claims.report()), f"claims that did not hold: {failed}"
