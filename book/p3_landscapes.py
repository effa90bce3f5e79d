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
# (p3-landscapes)=
# # Landscapes of the inversion cost
#
# **What you will learn.** What {prf:ref}`p3-conv-matrices-thm1` and its partial-measurement
# version, {prf:ref}`p3-landscapes-thm4` (stated below), predict about the cost surface, where
# they leave room for spurious minima, and how mode collapse looks in the latent space.
# **Paper:** {cite}`ma2018` Sec. 4.2 and Fig. 4 (target **P3-fig4**). **Read first:**
# {ref}`p3-conv-matrices` (the theorem and the notation).
#
# {prf:ref}`p3-conv-matrices-thm1` says that the cost
#
# $$J(z) = \tfrac12 \| y^\star - A\, G(z) \|_2^2, \qquad y^\star = A\, G(z^\star),$$
#
# has a descent direction everywhere except near $z^\star$, near a negative multiple
# $-\rho z^\star$ and at $0$, for a random two-layer ReLU network with transposed convolutions.
# With a **two-dimensional** latent we can simply look at $J$ on a grid. This chapter reproduces
# P3 Fig. 4 {cite}`ma2018`: the paper's Sec. 4.2 network (a $(2, 1, 1)$ latent map, a transposed
# convolution to 16 channels, then to 1 channel, kernel 5, stride 3, so a $17 \times 17$
# output), weights i.i.d. $\mathcal{N}(0, 1)$, 50 % of the output pixels observed (a uniform random
# mask), with (a) ReLU, (b) sigmoid and (c) tanh after both layers, and (d) the paper's
# counter-example: ReLU with weights drawn from $U[0, 1]$, which are not zero-mean.

# %% tags=["hide-input"]
# Setup: on Colab, install the book's `lib` package (Colab's own torch is kept) and use the GPU.
import sys

if "google.colab" in sys.modules:
    import subprocess

    url = "git+https://github.com/inverting-generative-models/inversion-book"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", url], check=True)

from lib.book import setup_notebook

DEVICE = setup_notebook("p3_landscapes")

# %% tags=["hide-input"]
import matplotlib.pyplot as plt
import numpy as np
import torch
from myst_nb import glue

from lib.book import plotting
from lib.book.experiments import settings
from lib.book.scorecard import Claims
from lib.core import convnet as conv
from lib.core import observation as measurements
from lib.theory import landscapes

S = settings("p3_landscapes")
F64 = torch.float64

# %% [markdown]
# ## The four networks and the grid
#
# All four networks share the architecture and the observed pixels; only the activation and the
# weight distribution change. The ground truth $z^\star$ is drawn from $\mathcal{N}(0, I_2)$ and the
# grid is centred at it, $z^\star \pm 8$ in each coordinate as in the authors' code. For the
# counter-example (d) we come back to the choice of $z^\star$ below.

# %%
seed = S["seed"]
arch = dict(in_size=(1, 1), kernel=S["kernel"], stride=S["stride"], seed=seed, device=DEVICE)
nets = {
    "(a) ReLU": conv.ConvGenerator.random(S["channels"], std="unit", hidden="relu", **arch),
    "(b) Sigmoid": conv.ConvGenerator.random(S["channels"], std="unit", hidden="sigmoid", **arch),
    "(c) Tanh": conv.ConvGenerator.random(S["channels"], std="unit", hidden="tanh", **arch),
    "(d) ReLU, U[0,1] weights": conv.ConvGenerator.random(
        S["channels"], dist="uniform01", hidden="relu", **arch
    ),
}
G0 = nets["(a) ReLU"]
n = G0.dims[-1]
mask = measurements.random_mask(n, S["rate"], seed=seed + 1, device=DEVICE)[0]
z_star = G0.sample_latent(1, seed=seed + 2)[0]
print(f"latent n_0 = {G0.dims[0]}, hidden {G0.shapes[1]} ({G0.dims[1]} units)")
print(
    f"output {G0.out_shape} ({n} pixels), observed {int(mask.sum())} ({mask.double().mean():.0%})"
)
print("z* = (" + ", ".join(f"{v:.3f}" for v in z_star.tolist()) + ")")

# %% [markdown]
# For the counter-example, note what non-negative weights do to a ReLU network: every first-layer
# pre-activation is $\sum_k w_k z_k$ with $w_k \ge 0$, so **every latent with $z \le 0$
# (entrywise) is mapped to the zero image**. That is mode collapse in its purest form: a whole
# quadrant of latents, one output. The minimum of $J$ is flat exactly when $z^\star$ lies in that
# region, i.e. when $G(z^\star) = 0$. The paper's Fig. 4(d) shows such a flat global minimum, so we
# place the ground truth of (d) there, $z^\star_d = -|z^\star|$, and also measure the collapsed set
# independently of $z^\star$.

# %%
z_stars = {name: z_star for name in nets}
z_stars["(d) ReLU, U[0,1] weights"] = -z_star.abs()
m = S["grid"]
t1, t2, Z, Jt = {}, {}, {}, {}
for name, G in nets.items():
    zs = z_stars[name]
    t1[name], t2[name], Z[name] = landscapes.latent_grid(zs, S["half_width"], m)
    y = G(zs)[0] * mask
    Jt[name] = landscapes.cost_landscape(G, y, Z[name], mask).reshape(m, m)

# %% tags=["hide-input"]
J, flat, local_min, argmin_ok, zero_out, spurious, cos_min = {}, {}, {}, {}, {}, {}, {}
# a global minimiser: relative observed-output error ||A(G(z) - G(z*))|| / ||A G(z*)|| below
# tol (absolute when G(z*) = 0)
tol = 1e-6
for name, G in nets.items():
    Jv = Jt[name]
    J[name] = Jv.cpu().numpy()
    scale = max((G(z_stars[name])[0] * mask).norm().item(), 1.0)
    flat[name] = int(((2 * Jv).sqrt() <= tol * scale).sum())
    # grid points lower than all 8 neighbours: the local minima of the sampled landscape
    Jp = np.pad(J[name], 1, constant_values=np.inf)
    nb = np.stack(
        [
            Jp[1 + di : m + 1 + di, 1 + dj : m + 1 + dj]
            for di in (-1, 0, 1)
            for dj in (-1, 0, 1)
            if (di, dj) != (0, 0)
        ]
    )
    is_min = J[name] < nb.min(0)
    is_min[m // 2, m // 2] = False  # z* itself
    local_min[name] = int(is_min.sum())
    # the lowest other local minimum, relative to the median of J: how deep a trap it is
    spurious[name] = J[name][is_min].min() / np.median(J[name]) if is_min.any() else np.nan
    if is_min.any():  # where is the deepest other local minimum? cosine with z*
        k_ = np.flatnonzero(np.where(is_min, J[name], np.inf).ravel() == J[name][is_min].min())[0]
        zl = Z[name][k_]
        cos_min[name] = float(zl @ z_stars[name] / (zl.norm() * z_stars[name].norm()))
    else:
        cos_min[name] = np.nan
    argmin_ok[name] = bool(np.unravel_index(J[name].argmin(), J[name].shape) == (m // 2, m // 2))
    with torch.no_grad():
        zero_out[name] = int((G(Z[name]).abs().amax(1) == 0).sum())
print(f"grid: {m} x {m} = {m * m} latents, spacing {2 * S['half_width'] / (m - 1):.3f}")
header = [
    "network",
    "argmin at z*",
    "|{J ~ 0}|",
    "|{G(z) = 0}|",
    "other local minima",
    "lowest / median J",
    "its cos(z, z*)",
]
rows = [
    [
        name,
        str(argmin_ok[name]),
        flat[name],
        zero_out[name],
        local_min[name],
        f"{spurious[name]:.2f}",
        f"{cos_min[name]:.2f}",
    ]
    for name in nets
]
plotting.show_table(header, rows)

# %% [markdown]
# The columns: whether the grid minimum of $J$ sits at $z^\star$ (the centre; for (d) the minimum is
# a plateau and the first plateau point is reported); the number of grid points whose observed
# output matches $y^\star$ to a relative $10^{-6}$ (the global minimisers the grid can see: one
# point, $z^\star$, for an injective network); the number of grid latents mapped to the all-zero
# image; and the other grid points lower than all 8 neighbours (sampled local minima besides
# $z^\star$), the lowest of their values relative to the median of $J$ over the grid, and the
# cosine between that point and $z^\star$ ($-1$: on the ray of $-z^\star$).

# %% tags=["hide-input"]
fig = plt.figure(figsize=(plotting.COLUMN_WIDTH, 7.0))
for k, name in enumerate(nets):
    # computed_zorder=False: draw in zorder, so the z* marker stays in front of the surface
    ax = fig.add_subplot(2, 2, k + 1, projection="3d", computed_zorder=False)
    T1, T2 = np.meshgrid(t1[name].cpu().numpy(), t2[name].cpu().numpy(), indexing="ij")
    ax.plot_surface(
        T1, T2, J[name], cmap="viridis", rstride=2, cstride=2, lw=0, antialiased=False, zorder=1
    )
    zs = z_stars[name].cpu().numpy()
    top = float(J[name].max())
    ax.plot([zs[0]] * 2, [zs[1]] * 2, [0, top], color="red", lw=1.2, zorder=5)
    ax.scatter(
        [zs[0]], [zs[1]], [0], color="red", s=40, depthshade=False, zorder=6, label="$z^\\star$"
    )
    ax.set_title(f"{name}\n{flat[name]} grid point(s) with J(z) ~ 0")
    ax.set_xlabel("$z_1$")
    ax.set_ylabel("$z_2$")
    ax.ticklabel_format(axis="z", style="sci", scilimits=(-2, 2))
    ax.xaxis.set_major_locator(plt.MaxNLocator(4))
    ax.yaxis.set_major_locator(plt.MaxNLocator(4))
    ax.zaxis.set_major_locator(plt.MaxNLocator(4))
    ax.tick_params(axis="z", pad=6)
    ax.set_zlabel("J(z)", labelpad=12)
    ax.view_init(elev=35, azim=-60)
fig.tight_layout()
glue("p3-landscapes-surfaces", fig, display=False)
plt.close(fig)

# %% [markdown]
# ```{glue:figure} p3-landscapes-surfaces
# :name: fig-p3-landscapes-surfaces
# :alt: Four 3-D surfaces of the inversion cost over a two-dimensional latent, for ReLU, sigmoid and tanh networks with Gaussian weights and a ReLU network with uniform positive weights, the true latent marked in red.
#
# The cost $J(z) = \tfrac12 \|A (G(z) - G(z^\star))\|^2$ on a $121 \times 121$ grid
# $z^\star \pm 8$ (reproduces P3 Fig. 4): latent $(2, 1, 1)$, transposed convolutions to 16 then
# 1 channel, kernel 5, stride 3, 50 % of the $17 \times 17$ output observed (uniform random
# mask). (a) ReLU, (b) sigmoid, (c) tanh, weights $\mathcal{N}(0, 1)$; (d) ReLU, weights
# $U[0, 1]$. Red: $z^\star$ and a vertical line through it. Book scale (paper scale: 201 points
# per axis), seed 2018.
# ```
#
# And the same landscapes from above, with the level sets, which show the basins better:

# %% tags=["hide-input"]
fig, axes = plotting.subplots(2, 2, height=6.6)
axes = axes.ravel()
for ax, name in zip(axes, nets, strict=True):
    T1, T2 = np.meshgrid(t1[name].cpu().numpy(), t2[name].cpu().numpy(), indexing="ij")
    cs = ax.contourf(T1, T2, np.sqrt(J[name]), levels=30, cmap="viridis")
    fig.colorbar(cs, ax=ax, shrink=0.9, format="%.2g")
    zs = z_stars[name].cpu().numpy()
    ax.plot(*zs, "r*", ms=10, label="$z^\\star$")
    if name.startswith("(a)"):
        ax.plot(*(-zs), "X", mfc="white", mec="black", ms=9, label="$-z^\\star$")
    ax.set_title(name)
    ax.set_xlabel("$z_1$")
    ax.set_ylabel("$z_2$")
    ax.set_aspect("equal")
    ax.grid(False)
plotting.legend_below(fig, axes[0], ncols=2)
glue("p3-landscapes-levels", fig, display=False)
plt.close(fig)

# %% [markdown]
# ```{glue:figure} p3-landscapes-levels
# :name: fig-p3-landscapes-levels
# :alt: Four contour maps of the square root of the inversion cost over the two-dimensional latent, for the same four networks, with the true latent as a red star and its negative as a white cross.
#
# Level sets of $\sqrt{J(z)}$ (colour bar: $\sqrt{J}$, dark = low) for the four networks of
# {numref}`fig-p3-landscapes-surfaces`, same grid and mask; red star $z^\star$, white cross
# $-z^\star$ in (a).
# ```

# %% [markdown]
# ## Reading the landscapes
#
# **(a)-(c)**: one global minimum, at $z^\star$, and it is isolated: on a grid of spacing 0.13 no
# other latent reproduces the observed pixels. That is {prf:ref}`p3-conv-matrices-cor2` (injectivity) seen
# on half of the pixels, i.e. {prf:ref}`p3-landscapes-thm4` below. The landscapes are not free of other
# local minima, though, and this is worth seeing:
#
# - **ReLU**: the landscape is a union of quadratic pieces (the network is piecewise linear). On
#   the side of $-z^\star$ there is a shallow second basin, a local minimum close to the ray of
#   $-z^\star$ (cosine near $-1$ in the table): exactly the $-\rho z^\star$ region that
#   {prf:ref}`p3-conv-matrices-thm1` cannot exclude. Its value is far above 0, so a run that stops there is
#   detected by its cost and the negation restart of {ref}`p3-partial-recovery` escapes it.
# - **Sigmoid**: one smooth basin, no other local minimum on the grid, quasi-convex as the paper
#   says.
# - **Tanh** with $\mathcal{N}(0, 1)$ weights saturates: for $\|z\|$ beyond about 1 the output
#   barely depends on the length of $z$, only on its direction, hence the radial pattern of the
#   level sets. The valley along the ray through $z^\star$ is the unique global minimum, but the
#   saturated plateaus and the valley itself carry small ripples, which the grid counts as local
#   minima (at a sizeable
#   fraction of the median cost). The paper calls the tanh landscape quasi-convex; our sampled
#   landscape is quasi-convex only near $z^\star$. (With the $\mathcal{N}(0, 1/(C_i l))$ weights of
#   Theorem 1 the network would saturate far less.)
#
# **(d)**: with $U[0, 1]$ weights the network is not injective. Every latent whose first-layer
# pre-activations are all $\le 0$ is mapped to the zero image: a cone slightly larger than the
# quadrant $z \le 0$, one flat plateau covering a third of the grid here. When the ground truth lies in it,
# the whole plateau is a global minimum of $J$ and gradient descent has no way to tell its points
# apart. The paper presents this as the mode collapse that Corollary 2 rules out for zero-mean
# Gaussian weights.
#
# ```{prf:theorem} P3 Theorem 4 (invertibility under partial measurements)
# :label: p3-landscapes-thm4
#
# Under the assumptions of {prf:ref}`p3-conv-matrices-thm1`, let $A \in \mathbb{R}^{m \times C_2 D_2}$ be
# an arbitrary sub-sampling matrix (rows of the identity) with $m / (C_2 D_2) \ge r$. Then with
# high probability the conclusion of {prf:ref}`p3-conv-matrices-thm1` holds.
# ```
#
# ```{prf:proof}
# (P3's sketch.) The ReLU acts entrywise, so sub-sampling commutes with it:
# $A G(z) = A \sigma(W_2 \sigma(W_1 z)) = \sigma(A W_2 \sigma(W_1 z))$. So it suffices to prove
# {prf:ref}`p3-conv-matrices-thm1` with $A W_2$ as the last weight matrix. $A W_2$ keeps a subset of the rows
# of $W_2$; after the permutation of P3 Fig. 2 it is again block-diagonal with Gaussian blocks,
# now of different sizes (the kept rows of each block). The proof of Theorem 1 does not use that
# the blocks are identical; the dimension conditions are met by making the last layer more
# expansive by the factor $1/r$.
# ```
#
# Where $J$ is the sampled landscape of the *observed* pixels, the measurement above is exactly
# what Theorem 4 predicts: a unique global minimum from 50 % of the output. The grid cannot prove
# that there is no second minimiser between grid points; {ref}`p3-partial-recovery` tests the
# consequence that matters, that gradient descent from a random start finds $z^\star$.
#
# ## Summary
#
# - With zero-mean Gaussian weights the cost of a two-dimensional latent has one global minimum,
#   at $z^\star$, for ReLU, sigmoid and tanh, from half of the output pixels: injectivity under
#   partial measurements ({prf:ref}`p3-landscapes-thm4`), seen on a grid.
# - It is not free of other local minima: ReLU has a shallow basin on the side of $-z^\star$
#   (the region {prf:ref}`p3-conv-matrices-thm1` cannot exclude), and saturated tanh has ripples.
#   Their cost is far above 0, so a run that ends there knows it failed.
# - Non-negative weights ($U[0, 1]$) break injectivity: a cone of latents maps to the zero image,
#   a flat global minimum, which is mode collapse.
#
# ## Exercises
#
# ```{exercise}
# :label: ex-p3-landscapes-1
#
# For network (d), show that every latent $z$ with $z \le 0$ entrywise is mapped to the zero
# image, and that the set of latents mapped to zero is a cone (closed under positive scaling).
# Why does the table count more grid points with $G(z) = 0$ than the quadrant $z \le 0$ holds?
# ```
#
# ```{solution} ex-p3-landscapes-1
# :class: dropdown
#
# Every first-layer pre-activation is $\sum_k w_k z_k$ with $w_k \ge 0$, hence $\le 0$ when
# $z \le 0$; the ReLU zeroes it, so $x_1 = 0$ and $G(z) = \sigma(W_2 \cdot 0) = 0$. If all
# pre-activations of $z$ are $\le 0$, those of $t z$ ($t > 0$) are too: a cone. It contains the
# quadrant but is larger: a latent with one small positive entry still has all pre-activations
# $\le 0$ when its negative entry, weighted by the filter taps, dominates in every unit.
# ```
#
# ```{exercise}
# :label: ex-p3-landscapes-2
#
# Redraw landscape (c) with the weights of {prf:ref}`p3-conv-matrices-thm1`,
# $\mathcal{N}(0, 1/(C_i l))$ (`std="fan_out"` in `ConvGenerator.random`), instead of
# $\mathcal{N}(0, 1)$. Do the ripples of the saturated plateaus remain?
# ```
#
# ```{solution} ex-p3-landscapes-2
# :class: dropdown
#
# With variance $1/(C_i l)$ the pre-activations are much smaller (by $\sqrt{16 \cdot 25} = 20$
# in the first layer), so tanh stays near its linear range over most of the grid: the radial
# pattern and the ripples should largely disappear, leaving one smooth basin, closer to the
# paper's "quasi-convex" description. Run `landscapes.cost_landscape` on the new network with the same
# grid and count the local minima as the table does to check.
# ```

# %% [markdown]
# ## At the papers' scale
#
# This page runs at book scale. `benchmarks/paper_scale.py` executed it at the papers' own scale
# (`BOOK_SCALE=paper`) on a CPU, one thread, and stored what its claims measured there; they
# are quoted below as stored, not re-computed on this page.

# %% tags=["hide-input"]
from lib.book.plotting import wrap
from lib.book.stored import paper_scale_report

print(wrap(paper_scale_report("p3_landscapes")))

# %% [markdown]
# ## Claims

# %% tags=["hide-input"]
good = ["(a) ReLU", "(b) Sigmoid", "(c) Tanh"]
bad = "(d) ReLU, U[0,1] weights"
unique = all(argmin_ok[g] and flat[g] == 1 for g in good)
claims = Claims("p3_landscapes")
claims.add(
    "P3-fig4",
    passed=bool(unique and flat[bad] > 0.2 * m * m),
    measured=(
        f"{m}x{m} grid, z* +- {S['half_width']:.0f}, 50 % observed: ReLU/Sigmoid/Tanh: grid minimum "
        f"at z*, exactly 1 grid point with observed output error < 1e-6 (other, non-global local "
        "minima on the grid: "
        + ", ".join(str(local_min[g]) for g in good)
        + f"; ReLU's near -z*, cos {cos_min['(a) ReLU']:.2f}); U[0,1]: {flat[bad]} grid points "
        f"({flat[bad] / (m * m):.0%}) share the output of z* "
        f"(a cone containing the quadrant z <= 0 maps to the zero image; z* placed there as in Fig. 4d)"
    ),
    paper="unique global minimum for (a)-(c); flat global minimum (mode collapse) for (d)",
    short=f"(a)-(c): one minimum, at z*; (d): {flat[bad] / (m * m):.0%} of the grid flat",
)
assert not (failed := claims.report()), f"claims that did not hold: {failed}"
