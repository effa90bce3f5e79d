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
# (p2-single-layer)=
# # One layer is a linear program, two layers are NP-hard
#
# **What you will learn.** Why inverting one ReLU layer is a linear program whose solution set
# is a polytope, why two layers already bend that set, and why deciding whether a stack of
# layers has a preimage at all is NP-complete. **Paper:** {cite}`lei2019` Sec. 3 and App. B.1.
# **Read first:** the notation of the {doc}`intro`; nothing else.
#
# This chapter reproduces Section 3 and Appendix B.1 of {cite}`lei2019` (P2): the targets
# **P2-lp1** (a single ReLU layer is inverted exactly by a linear program), **P2-ex1** (with two
# layers the set of preimages is no longer convex) and **P2-np1**, **P2-np2** (deciding whether a
# two-layer binary or a four-layer real ReLU network has a preimage at all is NP-complete, by a
# reduction from 3SAT).
#
# The message of the chapter is the contrast that motivates the rest of the book: inverting *one*
# layer is easy, while inverting a *stack* of layers is hard in the worst case. The later
# chapters show when the hard case does not happen (random, expanding weights; sparse hidden
# layers) and what algorithms exploit that.

# %% tags=["hide-input"]
# Setup: on Colab, install the book's `lib` package (Colab's own torch is kept) and use the GPU.
import sys

if "google.colab" in sys.modules:
    import subprocess

    url = "git+https://github.com/inverting-generative-models/inversion-book"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", url], check=True)

from lib.book import setup_notebook

DEVICE = setup_notebook("p2_single_layer")

# %% tags=["hide-input"]
import matplotlib.pyplot as plt
import numpy as np
import torch
from myst_nb import glue

from lib.book import experiments
from lib.book.plotting import legend_below, show_table, subplots
from lib.book.scorecard import Claims
from lib.core.generator import Generator
from lib.core.metrics import relative_error
from lib.methods.lp import invert_layer_lp
from lib.theory import hardness

S = experiments.settings("p2_single_layer")

# %% [markdown]
# ## A single ReLU layer is a linear program
#
# Observe one layer $x = \mathrm{ReLU}(W z + b)$ with $W \in \mathbb{R}^{n \times k}$. Every
# coordinate tells us something linear about $z$: where $x_i > 0$ the ReLU was in its linear part,
# so $w_i^\top z + b_i = x_i$ exactly; where $x_i = 0$ it was clipped, so all we learn is
# $w_i^\top z + b_i \le 0$.
#
# ```{prf:definition} P2 Eq. 4 (single-layer inversion LP)
# :label: p2-eq4
#
# Given $x = \mathrm{ReLU}(Wz^* + b)$, find $z$ such that
#
# $$
# \begin{aligned}
# w_i^\top z + b_i &= x_i && \text{for all } i \text{ with } x_i > 0, \\
# w_i^\top z + b_i &\le 0 && \text{for all } i \text{ with } x_i = 0 .
# \end{aligned}
# $$
# ```
#
# The feasible set is an intersection of hyperplanes and half-spaces: a convex **polytope** that
# contains $z^*$. It is the single point $z^*$ exactly when the active rows $W_S$,
# $S = \{i : x_i > 0\}$, have rank $k$; otherwise it has dimension $k - \operatorname{rank} W_S$
# and the layer is not invertible at this $x$, whatever algorithm one uses.
# `lib.methods.lp.invert_layer_lp` solves it with HiGHS (through scipy's `linprog`), signal by
# signal; it reports the rank of $W_S$ and the solver status for every signal.
#
# To see the three possible shapes, take $k = 2$ and five rows whose normals point in five evenly
# spaced directions, with $b = -1$: the region where *all* units are off is a regular pentagon.

# %%
angles = 2 * np.pi * np.arange(5) / 5 + np.pi / 2
W_pent = torch.tensor(np.stack([np.cos(angles), np.sin(angles)], axis=1))
b_pent = -torch.ones(5, dtype=torch.float64)
layer = Generator([W_pent], [b_pent], output="relu")

z_cases = {
    "two active units: a point": [1.058, 1.456],
    "one active unit: a segment": [0.0, 1.25],
    "no active unit: a pentagon": [0.2, -0.1],
}
Z = torch.tensor(list(z_cases.values()), dtype=torch.float64)
X = layer(Z)
res = invert_layer_lp(W_pent, X, b_pent)

# %% tags=["hide-input"]
show_table(
    ["case", "active rows", "rank W_S", "dimension of the preimage", "LP status"],
    [
        [name, int((x > 0).sum()), r, 2 - r, st]
        for name, x, r, st in zip(z_cases, X, res.rank, res.status, strict=True)
    ],
)


# %% tags=["hide-input"]
def draw_preimage(ax, W, b, x, z_true, z_lp, title):
    """Shade {z : ReLU(W z + b) = x} on a grid (tolerance 2e-2 for the equality rows)."""
    g = np.linspace(-2.2, 2.2, 801)
    Z1, Z2 = np.meshgrid(g, g)
    A = W[:, 0, None, None] * Z1 + W[:, 1, None, None] * Z2 + b[:, None, None]
    act = x > 0
    ok = np.all(A[~act] <= 0, axis=0) & np.all(
        np.abs(A[act] - x[act, None, None]) < 2e-2, axis=0
    )
    ax.contourf(Z1, Z2, ok, levels=[0.5, 1.5], colors=["#1f77b4"], alpha=0.5)
    for i in range(
        len(W)
    ):  # the five lines w_i^T z + b_i = x_i (or = 0 when inactive)
        level = x[i] if act[i] else 0.0
        ax.contour(Z1, Z2, A[i], levels=[level], colors="0.6", linewidths=0.6)
    ax.plot(*z_true, "k+", ms=12, mew=2, label="$z^*$")
    ax.plot(*z_lp, "o", mfc="none", mec="#d62728", ms=9, label="LP solution")
    ax.set(title=title.split(": ")[1], xlabel="$z_1$", ylabel="$z_2$", aspect="equal")
    ax.set_xlim(-2.2, 2.2)
    ax.set_ylim(-2.2, 2.2)


fig, axes = subplots(1, 3, height=3.0, sharey=True)
Wn, bn = W_pent.numpy(), b_pent.numpy()
for ax, (name, z), x, zl in zip(
    axes, z_cases.items(), X.numpy(), res.z.numpy(), strict=True
):
    draw_preimage(ax, Wn, bn, x, z, zl, name)
for ax in axes[1:]:
    ax.set_ylabel("")
legend_below(fig, axes[0], ncols=2)
glue("fig-p2-single-polytope", fig, display=False)
plt.close(fig)

# %% [markdown]
# ```{glue:figure} fig-p2-single-polytope
# :name: fig-p2-single-polytope
# :alt: Three panels in the plane of a two-dimensional latent showing the preimage of one ReLU layer for three outputs: a single point, a segment and a pentagon, with the true latent and the LP's solution marked.
#
# The preimage $\{z : \mathrm{ReLU}(Wz + b) = x\}$ of one ReLU layer with $k = 2$, $n = 5$,
# $b = -1$ (shaded; grey lines: the five constraints of {prf:ref}`P2 Eq. 4 <p2-eq4>`) for three outputs
# $x$: a point, a segment, a pentagon. Black cross: $z^*$; red circle: the LP's solution.
# Illustrates P2 Sec. 3 (the paper has no such figure).
# ```
#
# The LP always returns *a* preimage (the red circle lies in the shaded set, here on its
# boundary, where the simplex method stops); only in the first panel is it forced to be $z^*$. So exact inversion of a layer needs two things: an LP, and
# enough active units with independent weight rows. For random expansive layers the second holds
# with high probability ({cite}`lei2019`, Lemma 1: the number of active units of a Gaussian
# layer is Binomial$(n, 1/2)$, which exceeds $k$ w.h.p. when $n \ge 2.1k$).
#
# ### Exact recovery on random expansive layers (P2-lp1)
#
# We draw random Gaussian layers $W \in \mathbb{R}^{n \times k}$ with $k = 20$ and expansion
# $n/k \in \{2.1, 3, 5\}$, a latent $z^* \sim \mathcal{N}(0, I)$ for each, and invert
# $x = \mathrm{ReLU}(Wz^*)$ with the LP.

# %%
rows = []
worst_unique = 0.0
worst_residual = 0.0
for c0 in S["lp_expansions"]:
    k, n = S["lp_k"], int(round(c0 * S["lp_k"]))
    errs, uniq, resid = [], [], []
    for t in range(S["lp_layers"]):
        G = Generator.random(
            [k, n], seed=S["seed"] + 1000 * t + n, std="fan_in", output="relu"
        )
        z_star = G.sample_latent(1, seed=t)
        r = invert_layer_lp(G.weights[0], G(z_star))
        assert r.ok.all(), r.status
        errs.append(float(relative_error(z_star, r.z)[0]))
        uniq.append(bool(r.unique[0]))
        resid.append(float((G(r.z) - G(z_star)).abs().max()))
    errs, uniq = np.array(errs), np.array(uniq)
    worst_unique = max(worst_unique, errs[uniq].max())
    worst_residual = max(worst_residual, max(resid))
    rows.append(
        (
            c0,
            n,
            uniq.mean(),
            errs[uniq].max(),
            int((errs[~uniq] > 1e-3).sum()),
            len(uniq),
        )
    )

# %% tags=["hide-input"]
show_table(
    [
        "n/k",
        "n",
        "unique preimage",
        "rel. error of z where unique",
        "non-unique, error > 1e-3",
    ],
    [
        [
            f"{c0:.1f}",
            n,
            f"{round(u * m)} of {m}",
            "< 1e-10" if e < 1e-10 else f"{e:.1e}",
            bad,
        ]
        for c0, n, u, e, bad, m in rows
    ],
)
print(
    f"every LP solution reproduces x: max |ReLU(W z_LP) - x| < 1e-9: {worst_residual < 1e-9}"
)

# %% [markdown]
# Where the active rows have full rank the LP returns $z^*$ to machine precision. At the
# smallest expansion, $n = 2.1k$, a noticeable fraction of layers has fewer than $k$ active units
# and then the preimage is a whole polytope: the LP still returns a valid preimage (it reproduces
# $x$), but not $z^*$. This is the "with high probability" of Lemma 1 at work; its dependence on
# the expansion is target P2-thm3, measured in the chapter on random expansive networks.
#
# When $x$ is **not** the output of the layer (noise, or a wrong model), the LP may have no
# solution at all. The result says so instead of returning a number:

# %%
G = Generator.random([20, 60], seed=S["seed"], std="fan_in", output="relu")
z_star = G.sample_latent(1, seed=0)
noise = torch.randn(
    1, 60, generator=torch.Generator().manual_seed(1), dtype=torch.float64
)
x_noisy = G(z_star) + 0.05 * noise
r = invert_layer_lp(G.weights[0], x_noisy.clamp(min=0))
print(
    "status:",
    r.status[0],
    "| solution:",
    "NaN (no preimage)" if torch.isnan(r.z).all() else r.z,
)
infeasible_reported = r.status[0] == "infeasible" and bool(torch.isnan(r.z).all())

# %% [markdown]
# Noisy observations need the relaxed LPs of P2 Section 4 (tolerances on every constraint), the
# subject of the chapter on noisy inversion.
#
# ## Two layers: the preimage is not convex (P2-ex1)
#
# ```{prf:example} P2 Example 1 (a non-convex preimage)
# :label: p2-example1
#
# Let $G(z) = \mathrm{ReLU}(W_1 \mathrm{ReLU}(W_0 z))$ with $W_0 = \begin{bmatrix} 1 & 2 \\ 3 & 1
# \end{bmatrix}$ and $W_1 = [1, -1]$. The points $(-1, 1)$ and $(1, 3)$ both satisfy
# $G(z) = 1$, but their midpoint $(0, 2)$ gives $G = 2$: the preimage of $x = 1$ is not convex.
# ```
#
# (The paper writes the layers as $W_1, W_2$; in the book's notation they are $W_0, W_1$.)
# One layer gave a polytope; composing two layers glues polytopes of different activation
# patterns together, and the union bends.

# %%
G_ex = hardness.example1()
pts = torch.tensor([[-1.0, 1.0], [1.0, 3.0], [0.0, 2.0]], dtype=torch.float64)
vals = G_ex(pts)[:, 0]
for p, v in zip(pts.tolist(), vals.tolist(), strict=True):
    print(f"G({p[0]:g}, {p[1]:g}) = {v:.0f}")

# %% tags=["hide-input"]
g = np.linspace(-3, 3, 601)
Z1, Z2 = np.meshgrid(g, g)
grid = torch.tensor(np.stack([Z1.ravel(), Z2.ravel()], axis=1))
Gv = G_ex(grid)[:, 0].numpy().reshape(Z1.shape)
fig, ax = subplots(height=4.4, width=0.7)
cs = ax.contourf(Z1, Z2, Gv, levels=np.linspace(0, 6, 13), cmap="Greys", alpha=0.6)
fig.colorbar(cs, ax=ax, label="$G(z)$")
ax.contour(Z1, Z2, Gv, levels=[1.0], colors="#d62728", linewidths=2.5)
ax.plot(
    [-1, 1],
    [1, 3],
    "o--",
    color="#1f77b4",
    label="$(-1,1)$, $(1,3)$ and their chord",
)
ax.plot([0], [2], "s", color="#ff7f0e", ms=8, label="midpoint $(0,2)$: $G = 2$")
ax.plot([], [], color="#d62728", lw=2.5, label="preimage $\\{z : G(z) = 1\\}$")
ax.set(xlabel="$z_1$", ylabel="$z_2$", aspect="equal")
legend_below(fig, ax, ncols=1)
glue("fig-p2-example1", fig, display=False)
plt.close(fig)

# %% [markdown]
# ```{glue:figure} fig-p2-example1
# :name: fig-p2-example1
# :alt: Grey-level map of a two-layer network's output over the plane, with the preimage of the value 1 drawn in red as a bent line, two points on it and their midpoint off it.
#
# The two-layer network of {prf:ref}`P2 Example 1 <p2-example1>`: $G(z)$ over the plane (grey levels), the
# preimage $\{z : G(z) = 1\}$ (red), two of its points and their midpoint, where $G = 2$
# (reproduces P2 Example 1).
# ```
#
# The red curve is the exact preimage: a ray along $z_1 + 2z_2 = 1$ where only the first hidden
# unit is on, bending into the ray $-2z_1 + z_2 = 1$ where both are on. The chord between the
# two marked preimages leaves it.
#
# ## Two layers are NP-hard: the reductions from 3SAT (P2-np1, P2-np2)
#
# A *3-CNF formula* over boolean variables $z_1, \dots, z_k$ is a conjunction of $m$ clauses,
# each an "or" of three literals ($z_j$ or $\neg z_j$). Deciding whether some assignment
# satisfies every clause (3SAT) is NP-complete. P2 builds, from any formula, a ReLU network whose
# inversion answers that question; inverting ReLU networks is therefore at least as hard as 3SAT.
# We encode *true* as $+1$ and *false* as $-1$.
#
# ```{prf:theorem} P2 Theorem 1 (two binary layers are NP-hard)
# :label: p2-thm1
#
# Given a two-layer ReLU network $G : \{\pm 1\}^k \to \mathbb{R}$ with fixed weights and an
# observation $x$, deciding whether some $z \in \{\pm 1\}^k$ has $G(z) = x$ is NP-complete.
# ```
#
# ```{prf:proof}
# (Following P2 App. B.1.) Give the hidden layer one unit per clause,
# $u_i = \mathrm{ReLU}(c_i^\top z - 2)$, where $c_i$ has $-1$ at the positions of the clause's
# positive literals, $+1$ at its negated ones, and $0$ elsewhere. A literal contributes $+1$ to
# $c_i^\top z$ when it is false and $-1$ when it is true, so $c_i^\top z - 2 = 1$ when all three
# literals are false and $c_i^\top z - 2 \le -1$ otherwise: $u_i = 1$ exactly when clause $i$ is
# violated. The output $G(z) = \sum_i u_i$ counts the violated clauses, so $G(z) = 0$ has a binary
# solution iff the formula is satisfiable. The network has $k + m + 1$ units, built in polynomial
# time. Membership in NP: given $z$, check $G(z) = x$.
# ```
#
# A small formula and its network:

# %%
cnf = hardness.CNF(3, ((1, 2, -3), (-1, 2, 3), (-1, -2, -3), (1, -2, 3)))
G1 = hardness.thm1_network(cnf)
print("formula:", cnf)
print("W_0 (one row per clause):")
print(G1.weights[0].numpy().astype(int))
print("b_0 =", G1.bias(0).numpy())
Zb = torch.tensor(hardness.all_assignments(cnf.k))
G_out = G1(Zb)[:, 0].numpy()

# %% tags=["hide-input"]
show_table(
    ["z1", "z2", "z3", "violated clauses (formula)", "G(z) (network)"],
    [
        [f"{z[0]:+d}", f"{z[1]:+d}", f"{z[2]:+d}", v, f"{g:.0f}"]
        for z, v, g in zip(
            Zb.numpy().astype(int), cnf.violated(Zb.numpy()), G_out, strict=True
        )
    ],
)

# %% [markdown]
# Over the reals the same trick fails: $z$ need not be $\pm 1$. Theorem 2 adds two layers that
# force it.
#
# ```{prf:theorem} P2 Theorem 2 (four real layers are NP-hard)
# :label: p2-thm2
#
# Given a four-layer ReLU network $G : \mathbb{R}^k \to \mathbb{R}^2$ with fixed weights and an
# observation $x \in \mathbb{R}^2$, deciding whether some $z \in \mathbb{R}^k$ has $G(z) = x$ is
# NP-complete.
# ```
#
# ```{prf:proof}
# (Following P2 App. B.1.) The first two layers compute $v = \mathrm{clip}(z, -1, 1)$, since
# $\mathrm{clip}(z, -1, 1) = \mathrm{ReLU}(z+1) - \mathrm{ReLU}(z-1) - 1$, and output it as its
# positive and negative parts $p = \mathrm{ReLU}(v)$, $q = \mathrm{ReLU}(-v)$. The third layer
# has the $m$ clause units $u_i = \mathrm{ReLU}(c_i^\top (p - q) - 2)$ of Theorem 1 and two sums
# $u_{m+1} = \sum_j p_j$, $u_{m+2} = \sum_j q_j$. The output is
# $x = \bigl[\sum_{i \le m} u_i,\; u_{m+1} + u_{m+2}\bigr] = \bigl[\sum_i u_i,\; \|v\|_1\bigr]$.
# Ask for $x = [0, k]$: since $|v_j| \le 1$, $\|v\|_1 = k$ forces $v \in \{\pm 1\}^k$, and then the
# first output counts violated clauses as in Theorem 1. So a real preimage exists iff the formula
# is satisfiable.
# ```
#
# ```{note}
# **Reading of the paper.** P2's text connects the clause units and the two sums to "$z_i$" and
# asks for $x = [0, n]$. The argument only works with the *clipped* $v_i$ (with the raw $z$,
# $\sum_j |z_j| = k$ does not force $z_j = \pm 1$), and its $n$ is the number of variables $k$.
# `lib.theory.hardness.thm2_network` implements this reading; the checks below confirm it.
# ```
#
# The first two layers really clip:

# %%
cnf1 = hardness.CNF(3, ((1, 2, 3),))
G2 = hardness.thm2_network(cnf1)
t = torch.linspace(-2.5, 2.5, 11, dtype=torch.float64)
fw = G2.forward(torch.stack([t, torch.zeros_like(t), torch.zeros_like(t)], dim=1))
v = fw.x[1][:, 0] - fw.x[1][:, 3]  # p_1 - q_1
print("z_1        :", np.round(t.numpy(), 2))
print("v_1 = p - q:", np.round(v.numpy(), 2))
print("layer sizes [k, 2k, 2k, m+2, 2]:", G2.dims)

# %% [markdown]
# ### A brute-force check of both reductions
#
# A proof is a proof, but an implementation can be wrong. We check the two constructions on
# random 3-CNF formulas with $k = 3, \dots, 7$ variables and a random number of clauses
# $m \in [2k, 8k]$ (so that both satisfiable and unsatisfiable formulas occur), against two
# independent computations:
#
# - **satisfiability by brute force**, evaluating the formula itself on all $2^k$ assignments;
# - **Theorem 1**: the network evaluated on all $2^k$ binary inputs must equal the number of
#   violated clauses for every input (so a binary preimage of $0$ exists iff satisfiable);
# - **Theorem 2**: whether a *real* preimage of $[0, k]$ exists is decided exactly by a
#   mixed-integer program (`lib.theory.hardness.preimage_milp`, every ReLU encoded with a binary
#   variable, HiGHS). We search $z \in [-2, 2]^k$, which loses nothing: $G$ depends on $z$ only
#   through $\mathrm{clip}(z, -1, 1)$. Every witness the solver returns is checked by a forward
#   pass, and its signs must satisfy the formula. In addition every satisfying assignment
#   $s \in \{\pm 1\}^k$ must map to exactly $[0, k]$.
#
# (The check is in the folded cell below: `hardness.random_3cnf`, `thm1_network`,
# `thm2_network` and `preimage_milp` for every formula.)

# %% tags=["hide-input"]
rng = np.random.default_rng(S["seed"])
table = {}
thm1_wrong, thm2_wrong = [], []  # each reduction checked on its own
for k in S["cnf_vars"]:
    for _ in range(S["cnf_per_size"]):
        lo, hi = S["clauses_per_var"]
        cnf = hardness.random_3cnf(k, int(rng.integers(lo * k, hi * k + 1)), rng)
        Zb = hardness.all_assignments(k)
        violated = cnf.violated(Zb)
        sat = bool((violated == 0).any())
        # Theorem 1: the network counts violated clauses on every binary input, so a binary
        # preimage of 0 exists iff the formula is satisfiable
        G1 = hardness.thm1_network(cnf)
        out1 = G1(torch.tensor(Zb))[:, 0].numpy()
        thm1_ok = bool((out1 == violated).all()) and bool((out1 == 0).any()) == sat
        # Theorem 2: exact decision over real inputs, witness verified
        G2 = hardness.thm2_network(cnf)
        target = hardness.thm2_target(cnf)
        milp = hardness.preimage_milp(G2, target, -2.0, 2.0)
        witness_ok = True
        if milp.exists:
            zw = torch.tensor(milp.z)[None]
            witness_ok = bool((G2(zw)[0] - target).abs().max() < 1e-6)
            witness_ok = witness_ok and cnf.violated(np.sign(milp.z))[0] == 0
        sat_assignments = torch.tensor(Zb[violated == 0])
        maps_ok = bool(
            len(sat_assignments) == 0 or (G2(sat_assignments) == target).all()
        )
        thm2_ok = (milp.exists == sat) and witness_ok and maps_ok
        agree = thm1_ok and thm2_ok
        if not thm1_ok:
            thm1_wrong.append(cnf)
        if not thm2_ok:
            thm2_wrong.append(cnf)
        n_f, n_sat, n_ok = table.get(k, (0, 0, 0))
        table[k] = (n_f + 1, n_sat + sat, n_ok + agree)


# %% tags=["hide-input"]
n_formulas = sum(v[0] for v in table.values())
n_sat_total = sum(v[1] for v in table.values())
show_table(
    [
        "k",
        "formulas",
        "satisfiable",
        "unsatisfiable",
        "network and brute force agree",
    ],
    [
        [k, n_f, n_sat, n_f - n_sat, f"{n_ok} of {n_f}"]
        for k, (n_f, n_sat, n_ok) in table.items()
    ],
)
print(
    f"total: {n_formulas} formulas ({n_sat_total} satisfiable); disagreements: Theorem 1 "
    f"{len(thm1_wrong)}, Theorem 2 {len(thm2_wrong)}"
)

# %% [markdown]
# ## At the papers' scale
#
# This page runs at book scale. `benchmarks/paper_scale.py` executed it at the papers' own scale
# (`BOOK_SCALE=paper`) on a CPU, one thread, and stored what its claims measured there; they
# are quoted below as stored, not re-computed on this page.

# %% tags=["hide-input"]
from lib.book.plotting import wrap
from lib.book.stored import paper_scale_report

print(wrap(paper_scale_report("p2_single_layer")))

# %% [markdown]
# Every formula agrees: the binary network of Theorem 1 counts violated clauses exactly, and the
# real network of Theorem 2 has a preimage of $[0, k]$ exactly when the formula is satisfiable.
# The mixed-integer program that decided the real case is exponential in the worst case; the
# theorems say no algorithm can avoid that for general networks unless P = NP. The rest of the
# book is about the structure — random expansive weights, sparse hidden layers, convolutions with
# enough measurements — under which inversion becomes tractable.
#
# ## Summary
#
# - One ReLU layer: the preimage of an output is a polytope ({prf:ref}`P2 Eq. 4 <p2-eq4>`), a single
#   point exactly when the active rows have full rank; a linear program finds a point of it,
#   and $z^*$ whenever it is unique.
# - Two layers: the preimage is a union of polytopes and need not be convex
#   ({prf:ref}`P2 Example 1 <p2-example1>`).
# - Deciding whether a preimage exists is NP-complete for two binary layers
#   ({prf:ref}`P2 Theorem 1 <p2-thm1>`) and four real layers ({prf:ref}`P2 Theorem 2 <p2-thm2>`); both reductions agree with
#   brute force on every formula tried. The next chapter, {doc}`p2_expansive`, shows the
#   structure under which the hard case does not happen.
#
# ## Exercises
#
# ```{exercise}
# :label: ex-p2-single-1
#
# In the pentagon example, which outputs $x$ have a preimage that is a segment? Describe them
# in terms of the active units.
# ```
#
# ```{solution} ex-p2-single-1
# :class: dropdown
#
# Exactly one unit active: the preimage lies on the line $w_i^\top z + b_i = x_i$ and inside
# the half-planes of the four inactive units, a segment of that line (rank $W_S = 1$, dimension
# $2 - 1 = 1$).
# ```
#
# ```{exercise}
# :label: ex-p2-single-2
#
# Build the Theorem 1 network for the unsatisfiable formula
# $(z_1) \wedge (\neg z_1)$ written as 3-clauses $(z_1 \vee z_1 \vee z_1)$,
# $(\neg z_1 \vee \neg z_1 \vee \neg z_1)$. What is the smallest value of $G$ on $\{\pm 1\}$?
# ```
#
# ```{solution} ex-p2-single-2
# :class: dropdown
#
# Every assignment violates exactly one of the two clauses, so $G(z) = 1$ for both $z = \pm 1$:
# $0$ has no binary preimage. (`hardness.CNF(1, ((1, 1, 1), (-1, -1, -1)))` builds it; check
# that the clause-unit formula still holds with a repeated literal.)
# ```
#
# ```{exercise}
# :label: ex-p2-single-3
#
# Why does the NP-hardness of Theorem 2 not contradict the exact recovery of random expansive
# networks in the next chapter?
# ```
#
# ```{solution} ex-p2-single-3
# :class: dropdown
#
# NP-hardness is about the worst case over all networks; the reduction builds very special
# weights. For random Gaussian weights with enough expansion the hard instances have
# vanishing probability, and layer-wise linear equations succeed with high probability.
# ```
#
# ## Claims

# %% tags=["hide-input"]
claims = Claims("p2_single_layer")
claims.add(
    "P2-lp1",
    passed=bool(
        worst_unique < 1e-8 and worst_residual < 1e-9 and infeasible_reported
    ),
    measured=(
        f"rel. error < 1e-8 on every layer with rank W_S = k ({len(S['lp_expansions'])} expansions x "
        f"{S['lp_layers']} layers); unique in {rows[0][2]:.0%} / {rows[1][2]:.0%} / {rows[2][2]:.0%} "
        f"of layers at n/k = 2.1 / 3 / 5; infeasible x reported as such"
    ),
    paper="realizable case recovers z exactly; solution set is a polytope",
    short="exact (rel. error < 1e-8) wherever rank W_S = k",
)
claims.add(
    "P2-ex1",
    passed=bool(vals.tolist() == [1.0, 1.0, 2.0]),
    measured=f"G(-1,1) = {vals[0]:.0f}, G(1,3) = {vals[1]:.0f}, G(0,2) = {vals[2]:.0f}; preimage drawn",
    paper="(-1,1), (1,3) preimages of 1; midpoint (0,2) gives 2",
    short=f"G(0,2) = {vals[2]:.0f}: the preimage of 1 is not convex",
)
both_kinds = n_formulas >= 200 and 0 < n_sat_total < n_formulas  # sat. and unsat. tested
claims.add(
    "P2-np1",
    passed=bool(not thm1_wrong and both_kinds),
    measured=f"{n_formulas} random 3-CNFs ({n_sat_total} sat.): binary preimage of 0 iff satisfiable, all agree",
    paper="G(z) = 0 has a binary solution iff the CNF is satisfiable",
    short=f"{n_formulas} formulas: binary preimage iff satisfiable",
)
claims.add(
    "P2-np2",
    passed=bool(not thm2_wrong and both_kinds),
    measured=f"{n_formulas} random 3-CNFs: real preimage of [0, k] (exact MILP) iff satisfiable, all agree",
    paper="satisfying assignments map to solutions and vice versa",
    short=f"{n_formulas} formulas: real preimage iff satisfiable",
)
assert not (failed := claims.report()), f"claims that did not hold: {failed}"
