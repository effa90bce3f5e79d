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
# (p2-trained)=
# # P2 on a trained MNIST generator
#
# **What you will learn.** Which signals of a trained generator the layer-wise LPs can invert
# at all (the rank of the active rows), how their error grows with noise against gradient
# descent's, how they denoise and, as the projection of projected gradient descent, inpaint
# digits, and what an inversion costs. **Paper:** {cite}`lei2019` Sec. 5.2 (Figs. 1(c)(d), 3, 4
# and 6; Table 1, MNIST column). **Read first:** {ref}`p2-noisy-lp` (the three LPs,
# {prf:ref}`p2-noisy-alg1`, {prf:ref}`p2-noisy-alg2`, {prf:ref}`p2-noisy-alg3`) and
# {ref}`mnist-generators` (how the generator was trained).
#
# The previous chapters inverted *random* networks. Section 5.2 of {cite}`lei2019` (P2) asks
# whether the layer-wise LPs still work on a network trained as a GAN on MNIST, whose weights
# are neither Gaussian nor well conditioned, and compares them with gradient descent. This
# chapter runs those experiments on the book's own 20-60-784 generator
# ({ref}`mnist-generators`, loaded, not retrained): the error against the noise level
# (**P2-fig1cd**), denoising examples (**P2-fig3**), inpainting by projected gradient descent
# with the LP as projection (**P2-fig4**) and the time per inversion (**P2-tab1**, MNIST
# column).

# %% tags=["hide-input"]
# Setup: on Colab, install the book's `lib` package (Colab's own torch is kept) and use the GPU.
import sys

if "google.colab" in sys.modules:
    import subprocess

    url = "git+https://github.com/inverting-generative-models/inversion-book"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", url], check=True)

import lib

DEVICE = lib.setup_notebook("p2_trained")

# %% tags=["hide-input"]
import math
import time

import matplotlib.pyplot as plt
import numpy as np
import torch
from myst_nb import glue

from lib import experiments
from lib.gradient import gradient_descent
from lib.lp import LayerwiseLP, projected_gd
from lib.measurements import add_noise, band_mask, random_mask
from lib.metrics import relative_error, wilson_interval
from lib.models import generator_from_torch
from lib.plotting import METHOD_COLORS, image_grid, legend_below, show_table, subplots
from lib.scorecard import Claims
from lib.train import load

S = experiments.settings("p2_trained")
torch.set_num_threads(1)

# %% [markdown]
# ## The network
#
# P2's MNIST generator is fully connected, $k = 20$ latent units, $n_1 = 60$ hidden units and
# $n = 784$ outputs, ReLU after both layers, trained with the original GAN loss. Ours has that
# architecture (with biases); `generator_from_torch` turns the trained torch module into the
# layered generator that `lib.lp` inverts.

# %%
module, meta = load("p2")
G = generator_from_torch(module).to(device=DEVICE)
print(
    "dims", G.dims, "| hidden", G.hidden, "| output", G.output, "| trained epochs", meta["epochs"]
)

# %% [markdown]
# ## Which signals can be inverted at all?
#
# Inverting the hidden layer $x_1 = \mathrm{ReLU}(W_0 z + b_0)$ needs at least $k = 20$ active
# rows of $W_0$, and in general the rank of the active rows must be $k$ (P2 Thm 3, Lemma 1):
# otherwise a whole set of latents gives the same hidden layer and the same image, and *no*
# method can tell which one was used. A random network with 60 hidden units would have about 30
# active ones; the trained network is sparser. We invert noiseless samples with the
# $\ell_\infty$ LP and compare its per-signal status with the rank condition.

# %%
z = G.sample_latent(S["rank_samples"], seed=S["seed"])
active = (G.forward(z).x[0] > 0).sum(1).cpu()
res = LayerwiseLP(G, "linf", eps0=S["eps0"], alpha=S["alpha"], backend="ipm").invert(G(z))
ok = (relative_error(z, res.z) <= S["success"]).cpu()

# %% tags=["hide-input"]
full = torch.as_tensor(res.rank[:, 0] == G.dims[0])
rows = []
for name, sel in (("rank of active rows = 20", full), ("rank < 20", ~full), ("all", full | ~full)):
    n, k = int(sel.sum()), int((ok & sel).sum())
    lo, hi = wilson_interval(k, n)
    rows.append([name, n, f"{k} of {n}", f"{k / max(n, 1):.0%}", f"[{lo:.0%}, {hi:.0%}]"])
show_table(
    ["samples", "count", "recovered", "rate", "95 % Wilson"],
    rows,
    caption=f"noiseless l_inf LP, {len(z)} samples, success = rel. error <= 1e-3",
)
exact = torch.tensor([s == "exact" for s in res.status])
said_not_unique = torch.tensor([s == "not_unique" for s in res.status])
no_false_exact = not bool((exact & ~full).any())  # never 'exact' below rank 20
frac_sparse = float((active < G.dims[0]).float().mean())
print(f"samples with fewer than 20 active hidden units: {frac_sparse:.0%}")
print(
    f"status 'exact': {int((exact & full).sum())} of {int(full.sum())} full-rank samples and "
    f"{int((exact & ~full).sum())} of {int((~full).sum())} rank-deficient ones, which are "
    f"'not_unique' in {int((said_not_unique & ~full).sum())} cases"
)

# %% tags=["hide-input"]
fig, ax = subplots(height=3.0, width=0.85)
cnts = np.arange(int(active.min()), int(active.max()) + 1)
rate_by = [float(ok[active == c].float().mean()) if (active == c).any() else np.nan for c in cnts]
num_by = [int((active == c).sum()) for c in cnts]
ax.bar(cnts, num_by, color="#cccccc", label="samples")
ax2 = ax.twinx()
ax2.plot(cnts, rate_by, "o-", color=METHOD_COLORS["linf_lp"], ms=3, label="recovered")
ax.axvline(G.dims[0] - 0.5, color="k", ls=":", lw=1)
ax.set(xlabel="active hidden units of the sample", ylabel="number of samples")
ax2.set_ylabel("fraction recovered")
ax2.set_ylim(-0.05, 1.05)
plt.close(fig)
glue("p2-trained-rank", fig, display=False)

# %% [markdown]
# ```{glue:figure} p2-trained-rank
# :name: fig-p2-trained-rank
# :alt: Bar chart of the number of samples against their count of active hidden units, with a line for the fraction recovered exactly, and a dotted line at 20 active units.
#
# Noiseless inversion of the trained 20-60-784 generator by the $\ell_\infty$ LP against the
# number of active hidden units of the sample (bars: samples; line: fraction recovered to
# $10^{-3}$). Left of the dotted line the hidden layer has fewer than $k = 20$ active units and
# $z$ is not determined (book scale: 500 samples, seed 52).
# ```
#
# Recovery is a property of the sample, not of the solver: nearly every sample whose active
# rows have rank 20 is recovered to $10^{-3}$, none of the others is, and the LP reports those
# as `not_unique` instead of returning a wrong $z$ marked as a success. P2 does not discuss
# this; it bounds what any inversion method can do on this network (here about a quarter of
# the samples).

# %% [markdown]
# ## Error against noise (P2 Figure 1(c)(d))
#
# P2 compares the LPs with gradient descent at step $10^{-3}$ for up to 10,000 iterations
# (larger steps diverge on this network). We add Adam (step 0.05, 2,000 iterations) as a
# stronger baseline, and use the same latents for every method. Noise: $U(-a, a)$ and
# $\mathcal{N}(0, a^2)$ on every pixel.

# %%
levels, R, R_lp = S["levels"], S["runs"], S["lp_runs"]
kw = dict(eps0=S["eps0"], alpha=S["alpha"])
inverters = {
    "linf": LayerwiseLP(G, "linf", backend="ipm", **kw),
    "l1": LayerwiseLP(G, "l1", patience=10, **kw),
    "relax": LayerwiseLP(G, "relax", **kw),
}


def invert_all(y, z_true):
    """Relative latent error of every method on the observations y."""
    out = {
        m: relative_error(
            z_true[: len(y) if m == "linf" else R_lp],
            inverters[m].invert(y if m == "linf" else y[:R_lp]).z,
        ).cpu()
        for m in inverters
    }
    g = gradient_descent(
        G, y, lr=S["gd_lr"], steps=S["gd_steps"], grad_tol=S["gd_tol"], seed=S["seed"] + 1
    )
    a = gradient_descent(
        G,
        y,
        lr=S["adam_lr"],
        steps=S["adam_steps"],
        optimizer="adam",
        grad_tol=S["gd_tol"],
        seed=S["seed"] + 1,
    )
    out["gd"], out["adam"] = relative_error(z_true, g.z).cpu(), relative_error(z_true, a.z).cpu()
    return out


# %% tags=["hide-input"]
noises = ("uniform", "gaussian")
err = {}
for nt in noises:
    for li, a in enumerate(levels):
        zt = G.sample_latent(R, seed=S["seed"] + 100 + li)
        y = add_noise(G(zt), nt, a, seed=S["seed"] + 200 + li + 10 * (nt == "gaussian"))
        for m, e in invert_all(y, zt).items():
            err[m, nt, li] = np.nan_to_num(e.numpy(), nan=np.inf)  # a failed LP: no estimate
keys = ("linf", "l1", "relax", "gd", "adam")
print("median relative error ||z - z*|| / ||z*||")
print("noise        a  " + "".join(f"{k:>9}" for k in keys))
for nt in noises:
    for li, a in enumerate(levels):
        print(f"{nt:<9} {a:6.0e}" + "".join(f"{np.median(err[k, nt, li]):9.1e}" for k in keys))

# %% tags=["hide-input"]
LABEL = {
    "linf": r"$\ell_\infty$ LP",
    "l1": r"$\ell_1$ LP (patience 10)",
    "relax": "LP relaxation",
    "gd": "GD (lr 1e-3)",
    "adam": "Adam (lr 0.05)",
}
COLOR = {
    "linf": METHOD_COLORS["linf_lp"],
    "l1": METHOD_COLORS["l1_lp"],
    "relax": METHOD_COLORS["relaxation"],
    "gd": METHOD_COLORS["gd"],
    "adam": METHOD_COLORS["adam"],
}
fig, axes = subplots(1, 2, height=3.4, sharey=True)
for ax, nt in zip(axes, noises, strict=True):
    for j, k in enumerate(keys):
        shift = 1.1 ** (j - 2)
        for li, a in enumerate(levels):
            v = err[k, nt, li]
            ax.scatter(
                np.full(len(v), a * shift), np.maximum(v, 1e-12), s=7, alpha=0.35, color=COLOR[k]
            )
        ax.plot(
            levels,
            [max(np.median(err[k, nt, li]), 1e-12) for li in range(len(levels))],
            "-o",
            ms=3,
            color=COLOR[k],
            label=LABEL[k],
        )
    dist = "U(-a, a)" if nt == "uniform" else "N(0, a^2)"
    ax.set(
        xscale="log",
        yscale="log",
        xlabel=f"noise level a ({dist})",
        title=f"{nt} noise",
    )
axes[0].set_ylabel(r"relative error $\|z - z^*\| / \|z^*\|$")
legend_below(fig, axes[0], ncols=3)
plt.close(fig)
glue("p2-trained-fig1cd", fig, display=False)

# %% [markdown]
# ```{glue:figure} p2-trained-fig1cd
# :name: fig-p2-trained-fig1cd
# :alt: Two log-log panels, uniform and Gaussian noise, of the relative latent error against the noise level on the trained MNIST generator for the LPs, gradient descent and Adam: dots for runs, lines for medians.
#
# Relative latent error against the noise level on the trained MNIST generator (reproduces P2
# Fig. 1(c)(d)). Dots: runs; lines: medians. Book scale: 50 runs per level for the
# $\ell_\infty$ LP, GD and Adam, 8 for the $\ell_1$ LP and the relaxation (P2: 200); seed 52.
# Errors below $10^{-12}$ are drawn at $10^{-12}$.
# ```


# %% tags=["hide-input"]
def frac_below(k, nt, li, thr=0.1):
    return float((err[k, nt, li] <= thr).mean())


small = {
    k: np.mean([frac_below(k, nt, li) for nt in noises for li in range(1, len(levels))])
    for k in keys
}
print("fraction of runs with rel. error <= 0.1, noise a <= 1e-2 (both noise types):")
print("  " + ", ".join(f"{k} {small[k]:.0%}" for k in keys))

# %% [markdown]
# As in P2, the LPs recover $z$ accurately in most runs at moderate noise, and gradient descent
# with P2's settings (step $10^{-3}$, 10,000 iterations) almost never does: its median error
# stays near 1, the distance of a random start. We read this as a budget as much as local
# minima: the step that does not diverge on this network is too small to get far in 10,000
# iterations; Adam, with adaptive steps, gets further (but still far less often than the
# LPs). The runs where the LPs fail are mostly the non-invertible quarter of the samples. At
# the largest noise ($a = 0.1$; the images' pixels lie mostly in $[0, 1]$) every method fails, and the $\ell_\infty$
# LP is the worst with Gaussian noise, as on random networks ({ref}`p2-noisy-lp`).

# %% [markdown]
# ## Denoising examples (P2 Figure 3)
#
# Gaussian noise of variance 0.3 (standard deviation 0.55; the generator's pixels lie mostly
# in $[0, 1]$, the brightest near 2): the $\ell_\infty$ LP (and the $\ell_1$ LP) against P2's
# gradient descent.

# %%
n_ex = S["fig3_examples"]
z3 = G.sample_latent(n_ex, seed=S["seed"] + 300)
x3 = G(z3)
y3 = add_noise(x3, "gaussian", math.sqrt(S["fig3_variance"]), seed=S["seed"] + 301)
r_lp = inverters["linf"].invert(y3)
z_lp = r_lp.z
z_l1 = inverters["l1"].invert(y3).z
z_gd = gradient_descent(
    G, y3, lr=S["gd_lr"], steps=S["gd_steps"], grad_tol=S["gd_tol"], seed=S["seed"] + 302
).z

# %% tags=["hide-input"]
x_lp, x_l1, x_gd = G(z_lp.nan_to_num()), G(z_l1.nan_to_num()), G(z_gd)
img_err = {
    "LP": relative_error(x3, x_lp).cpu(),
    "l1": relative_error(x3, x_l1).cpu(),
    "GD": relative_error(x3, x_gd).cpu(),
}
panel = torch.cat([x3, y3.clamp(0, 1), x_lp, x_l1, x_gd]).cpu()
titles = (
    ["truth"] * n_ex
    + ["noisy"] * n_ex
    + [f"l_inf LP {e:.2f}" for e in img_err["LP"]]
    + [f"l_1 LP {e:.2f}" for e in img_err["l1"]]
    + [f"GD {e:.2f}" for e in img_err["GD"]]
)
fig = image_grid(panel, rows=5, titles=titles, vmin=0, vmax=1, size=1.3)
plt.close(fig)
glue("p2-trained-fig3", fig, display=False)
print(
    "median image error ||G(z) - x|| / ||x||: "
    f"l_inf LP {img_err['LP'].median():.2f}, l_1 LP {img_err['l1'].median():.2f}, "
    f"GD {img_err['GD'].median():.2f}"
)
eps_out = float(np.median(r_lp.eps[:, 1]))
rank_out = r_lp.rank[:, 1]
print(
    f"l_inf LP, output layer: median final eps {eps_out:.2f} (largest true pixel "
    f"{float(x3.max()):.2f}); rank of the active rows {rank_out.min()}-{rank_out.max()} "
    "(60 unknowns); statuses: " + ", ".join(f"{k} {v}" for k, v in r_lp.counts().items())
)

# %% [markdown]
# ```{glue:figure} p2-trained-fig3
# :name: fig-p2-trained-fig3
# :alt: Rows of MNIST digits: ground truth, noisy observation, and the reconstructions of the l-infinity LP, the l1 LP and gradient descent, each titled with its image error.
#
# Denoising (P2 Fig. 3, with a difference). Rows: ground truth $G(z^*)$, observation with
# Gaussian noise of variance 0.3 (clipped to $[0, 1]$ for display), $\ell_\infty$ LP
# reconstruction $G(\hat z)$, $\ell_1$ LP, GD (lr $10^{-3}$, 10,000 iterations); titles give
# the image error $\|G(\hat z) - x\|/\|x\|$. Seed 52.
# ```
#
# **Honest difference.** Here the $\ell_\infty$ LP does *not* denoise at this noise level,
# unlike P2's Figure 3. Gaussian noise of standard deviation 0.55 on 784 pixels has entries up
# to about 2, so Algorithm 1 becomes feasible only at an $\epsilon$ comparable to the brightest
# pixels of the image; then only a few dozen pixels lie above $\epsilon$ and count as active,
# fewer than the 60 unknowns of the hidden layer. The output layer's LP no longer determines
# the hidden layer, and the LP says so: every example comes back `not_unique` (printed above).
# The $\ell_1$ LP, with a slack per pixel, and GD are hurt less. P2's images come from a
# decoder whose output scale we do not know (P2's code ships a VAE decoder); at the noise
# levels of Figure 1 (c)(d) above, $a \le 10^{-2}$, the LPs are clearly ahead of GD.

# %% [markdown]
# ## Inpainting by projected gradient descent (P2 Figure 4)
#
# With pixels hidden ($y = A x$, $A$ the selection of the observed pixels), P2 recovers the
# image by projected gradient descent whose projection onto the range of $G$ is the LP
# inversion, after {cite:t}`shah2018`:
#
# ```{prf:algorithm} P2 Sec. 5.2, Fig. 4 (projected gradient descent with LP projection)
# :label: p2-trained-pgd
# $x_0 = A^\top y$; for $t = 0, 1, \dots$: $x_{t+1} = G\big(\mathrm{invert}(x_t - \eta A^\top
# (A x_t - y))\big)$, with invert the $\ell_\infty$ LP ({prf:ref}`p2-noisy-alg1`) and
# $\eta = 1$ (the gradient step restores the observed pixels). Book and paper scale: 10
# steps.
# ```
#
# `lib.lp.projected_gd` implements it. The baseline runs gradient descent on $z$ with the
# masked loss $\frac12\|A(G(z) - y)\|^2$ (P2's GD, and Adam). A recovery counts when the image
# error $\|G(\hat z) - x\|/\|x\|$ is at most 0.1.

# %%
T = S["pgd_trials"]
masks = {
    "random 50 % observed": random_mask(784, 0.5, seed=S["seed"] + 400)[0],
    "top half observed": band_mask((1, 28, 28), 0.5, "top"),
    "left half observed": band_mask((1, 28, 28), 0.5, "left"),
}
zp = G.sample_latent(T, seed=S["seed"] + 401)
xp = G(zp)
pgd = {}
for name, mask in masks.items():
    mask = mask.to(G.device)
    r = projected_gd(G, xp, mask, inverter=inverters["linf"], steps=S["pgd_steps"])
    g = gradient_descent(
        G,
        xp,
        mask=mask,
        lr=S["gd_lr"],
        steps=S["gd_steps"],
        grad_tol=S["gd_tol"],
        seed=S["seed"] + 402,
    )
    a = gradient_descent(
        G,
        xp,
        mask=mask,
        lr=S["adam_lr"],
        steps=S["adam_steps"],
        optimizer="adam",
        grad_tol=S["gd_tol"],
        seed=S["seed"] + 402,
    )
    pgd[name] = {"mask": mask, "PGD (LP)": r.x, "GD": G(g.z), "Adam": G(a.z)}

# %% tags=["hide-input"]
rows, rates = [], {}
for name, d in pgd.items():
    cells = [name]
    for meth in ("PGD (LP)", "GD", "Adam"):
        e = relative_error(xp, d[meth]).cpu()
        k = int((e <= S["pgd_success"]).sum())
        lo, hi = wilson_interval(k, T)
        rates[name, meth] = k / T
        cells.append(f"{k} of {T} [{lo:.0%}, {hi:.0%}]; median {e.median():.2f}")
    rows.append(cells)
show_table(
    ["mask", "PGD with l_inf LP", "GD on z (lr 1e-3)", "Adam on z"],
    rows,
    caption="recoveries (image error <= 0.1) with 95 % Wilson intervals",
)

# %% tags=["hide-input"]
n_show = 6
imgs, titles = [], []
for d in pgd.values():
    shown = torch.where(d["mask"], xp[:n_show], torch.full_like(xp[:n_show], 0.5))
    imgs += [xp[:n_show], shown, d["PGD (LP)"][:n_show], d["GD"][:n_show]]
    titles += ["truth"] * n_show + ["observed"] * n_show + ["PGD"] * n_show + ["GD"] * n_show
fig = image_grid(torch.cat(imgs).cpu(), rows=4 * len(pgd), titles=titles, vmin=0, vmax=1, size=1.0)
plt.close(fig)
glue("p2-trained-fig4", fig, display=False)

# %% [markdown]
# ```{glue:figure} p2-trained-fig4
# :name: fig-p2-trained-fig4
# :alt: Three blocks of MNIST digits, one per mask (random half, top half, left half), each with rows for the truth, the observed pixels, projected gradient descent with the LP projection, and gradient descent.
#
# Inpainting (reproduces P2 Figs. 4 and 6). For each mask (random half of the pixels, top half,
# left half), four rows: truth, observed pixels (hidden ones grey), projected gradient descent
# with the $\ell_\infty$ LP as projection (10 steps), GD on $z$ with the masked loss (lr
# $10^{-3}$, 10,000 iterations). Book scale: 20 trials per mask, the first 6 shown; seed 52.
# ```
#
# **Honest difference.** P2 shows a handful of examples and reports that the LP-based PGD
# "always finds reasonable results" while GD sometimes gets stuck. Over 20 trials per mask we
# find PGD ahead of P2's GD (which barely moves at step $10^{-3}$) on the random mask, level with
# it on the half images (image errors of 0.3-0.6 in the median), and Adam on $z$ ahead of both.
# The PGD medians can move by a few hundredths with the LP solver: where a projection's LP
# has several optimal $z$, another optimal vertex gives another iterate. Two reasons we can
# name for the gap to P2's report: about a quarter
# of the samples are not invertible at all (see above), and the $\ell_\infty$ projection of an
# image that is not in the range of $G$ (the hidden pixels are still wrong) is not the
# Euclidean projection PGD's analysis assumes. We did not tune $\eta$ or the number of steps.

# %% [markdown]
# ## Time per inversion (P2 Table 1, MNIST column)
#
# One signal at a time, Gaussian noise $a = 10^{-2}$; the $\ell_\infty$ LP also in a batch of
# all signals (`backend="ipm"`). `benchmarks/p2_trained.py` measures the same with more
# signals on a 2-core CPU with one thread (stored output `benchmarks/p2_trained.json`): there
# the $\ell_\infty$ LP takes about 24 ms per inversion one signal at a time and 6-7 ms per
# signal in batches of 50 and 200 (interior point), and the simplex about 50 ms one at a time;
# {ref}`notes-p2-lp` has the table. The numbers below come from the run that executed this
# notebook and vary from run to run.

# %% tags=["hide-input", "nbval-ignore-output"]
n_t = S["timing_signals"]
zt = G.sample_latent(max(n_t, 50), seed=S["seed"] + 500)
yt = add_noise(G(zt), "gaussian", 1e-2, seed=S["seed"] + 501)
one_by_one = {
    "linf": LayerwiseLP(G, "linf", **kw),
    "l1": inverters["l1"],
    "relax": inverters["relax"],
}
secs = {}
for m, inv in one_by_one.items():
    inv.invert(yt[:1])
    secs[m] = np.mean([inv.invert(yt[s : s + 1]).seconds for s in range(n_t)])
inverters["linf"].invert(yt[:1])
secs["linf, batch of 50"] = inverters["linf"].invert(yt[:50]).seconds / 50
t0 = time.perf_counter()
gradient_descent(G, yt[:1], lr=S["gd_lr"], steps=S["gd_steps"], grad_tol=S["gd_tol"], seed=1)
secs["gd"] = time.perf_counter() - t0
PAPER_S = {"linf": "0.5", "l1": "1.1", "relax": "0.6", "gd": "72"}
show_table(
    ["method", "seconds per inversion here", "P2 Table 1 (MNIST)"],
    [[m, f"{v:.3f}", PAPER_S.get(m, "-")] for m, v in secs.items()],
    caption=f"trained 20-60-784 net, noise 1e-2, {n_t} signals one at a time, 1 thread",
)

# %% [markdown]
# ## Summary
#
# * On the trained generator the layer-wise LPs recover the latent of every sample that is
#   invertible at all, and report the others (fewer than 20 active hidden units) as
#   `not_unique`: that bound holds for any method.
# * With noise the LPs' errors grow with the noise, as on random networks; P2's gradient descent
#   (step $10^{-3}$) is stopped by its budget far from the truth; Adam is a much stronger
#   baseline.
# * Used as the projection of projected gradient descent, the LP gives rough inpaintings from
#   half of the pixels in 10 steps, rarely within 10 % of the truth; Adam on $z$ with the masked
#   loss does better here. P2's "always reasonable" is not reproduced at this budget.
#
# ## Exercises
#
# ```{exercise}
# :label: ex-p2-trained-1
# Why can no method recover $z$ when the hidden layer has fewer than 20 active units, even
# without noise? Describe the set of latents that give the same image.
# ```
#
# ```{solution} ex-p2-trained-1
# :class: dropdown
# The image depends on $z$ only through the active rows $W_{0,S} z + b_{0,S}$ (the inactive units
# output 0 as long as they stay inactive). With $|S| < 20$ these rows have a null space of
# dimension at least $20 - |S|$, and every $z + u$, $u$ in it and small enough to keep the
# inactive units inactive, gives the same hidden layer and the same image.
# ```
#
# ```{exercise}
# :label: ex-p2-trained-2
# Run `projected_gd` with a step $\eta = 0.5$ and with 30 steps. Which of the two changes the
# recovery rate more, and why does $\eta = 1$ make sense for a pixel mask?
# ```
#
# ```{solution} ex-p2-trained-2
# :class: dropdown
# For a selection $A$, $A^\top A$ is a projection, so $\eta = 1$ puts the observed pixels back
# exactly and keeps the estimate on the hidden ones: it is the largest step that does not
# overshoot. Smaller steps only slow the iteration down; more steps let it settle.
# ```

# %% [markdown]
# ## Claims

# %% tags=["hide-input"]
med = {(k, nt, li): float(np.median(err[k, nt, li])) for (k, nt, li) in err}
lp_beats_gd = all(
    med["linf", nt, li] < med["gd", nt, li] for nt in noises for li in range(1, len(levels))
)
claims = Claims("p2_trained")
claims.add(
    "P2-fig1cd",
    passed=lp_beats_gd and small["linf"] > small["gd"] and no_false_exact,
    measured=f"{R} runs/level (l1, relaxation {R_lp}; paper 200): for a <= 1e-2 the l_inf LP "
    f"recovers z to 10 % in {small['linf']:.0%} of runs, GD (lr 1e-3, 10k it.) in "
    f"{small['gd']:.0%}, Adam in {small['adam']:.0%}; {frac_sparse:.0%} of samples have < 20 "
    "active hidden units (not unique: reported so by the LP)",
    paper="LPs recover z with good accuracy most of the time; GD gets stuck in most cases",
    status="reproduced with a difference",
)
lp_worse = float(img_err["LP"].median()) > float(img_err["GD"].median())
claims.add(
    "P2-fig3",
    passed=(not lp_worse) or bool((rank_out < G.dims[1]).all()),  # if worse: the reason holds
    measured=f"Gaussian noise variance 0.3, {n_ex} examples: median image error l_inf LP "
    f"{img_err['LP'].median():.2f}, l_1 LP {img_err['l1'].median():.2f}, GD "
    f"{img_err['GD'].median():.2f}"
    + (
        f": the l_inf LP fails at this noise (at its eps ~{eps_out:.1f} the output layer has "
        f"active rows of rank {rank_out.max()} < 60; reported not_unique)"
        if lp_worse
        else ""
    ),
    paper="LP reconstructions closer to the ground truth than GD's",
    status="reproduced with a difference" if lp_worse else "reproduced",
)
pgd_rate = np.mean([rates[n, "PGD (LP)"] for n in pgd])
gd_rate = np.mean([rates[n, "GD"] for n in pgd])
claims.add(
    "P2-fig4",
    passed=pgd_rate > gd_rate,
    measured=f"3 masks x {T} trials, 10 steps: PGD with the l_inf LP recovers (image error <= 0.1) "
    f"{pgd_rate:.0%} on average, GD on z {gd_rate:.0%}, Adam "
    f"{np.mean([rates[n, 'Adam'] for n in pgd]):.0%}",
    paper="LP (in PGD) always reasonable; GD sometimes stuck",
    status="reproduced with a difference",
)
claims.add(
    "P2-tab1",
    passed=bool(max(secs["linf"], secs["l1"], secs["relax"]) < secs["gd"]),
    measured="MNIST column: every LP inversion is faster than P2's GD (as in P2); seconds per "
    "inversion in the chapter and in benchmarks/p2_trained.json (machine-dependent)",
    paper="MNIST: l_inf LP 0.5 s, l1 LP 1.1 s, relaxation 0.6 s, GD 72 s",
    # one verdict for Table 1 in both chapters that measure it (see p2_timing)
    status="not reproduced",
    difference="The MNIST column's ranking holds here (every LP faster than gradient "
    "descent); the random-network column's does not: there gradient descent is the fastest "
    "method (see the timing chapter), so Table 1 as a whole is not reproduced.",
    short="MNIST: every LP faster than GD (as in P2)",
)
assert not (failed := claims.report()), f"claims that did not hold: {failed}"
