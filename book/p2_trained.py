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
# # P2 on trained MNIST generators
#
# **What you will learn.** Which signals of a trained network the layer-wise LPs can invert
# at all (the rank of the active rows), how their error grows with noise against gradient
# descent's, how they denoise and inpaint digits, and what an inversion costs, on the network
# P2's text describes and on the one P2's code inverts. **Paper:** {cite}`lei2019` Sec. 5.2
# (Figs. 1(c)(d), 3, 4 and 6; Table 1, MNIST column). **Read first:** {ref}`p2-noisy-lp` (the
# three LPs, {prf:ref}`p2-noisy-alg1`, {prf:ref}`p2-noisy-alg2`, {prf:ref}`p2-noisy-alg3`) and
# {ref}`mnist-generators` (how the GAN was trained).
#
# The previous chapters inverted *random* networks. Section 5.2 of {cite}`lei2019` (P2) asks
# whether the layer-wise LPs still work on a network trained on MNIST, whose weights are
# neither Gaussian nor well conditioned, and compares them with gradient descent. This chapter
# runs those experiments on two 20-60-784 networks: the GAN that P2's text describes, trained
# by this book ({ref}`mnist-generators`, loaded, not retrained), and the VAE decoder that P2's
# public code inverts, trained here the way that code's network was. The experiments: the
# error against the noise level (**P2-fig1cd**), denoising examples (**P2-fig3**), inpainting
# with the LP (**P2-fig4**) and the time per inversion (**P2-tab1**, MNIST column).

# %% tags=["hide-input"]
# Setup: on Colab, install the book's `lib` package (Colab's own torch is kept) and use the GPU.
import sys

if "google.colab" in sys.modules:
    import subprocess

    url = "git+https://github.com/inverting-generative-models/inversion-book"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", url], check=True)

from lib.book import setup_notebook

DEVICE = setup_notebook("p2_trained")

# %% tags=["hide-input"]
import math
import time

import matplotlib.pyplot as plt
import numpy as np
import torch
from myst_nb import glue

from lib.book import experiments
from lib.book.plotting import METHOD_COLORS, image_grid, legend_below, show_table, subplots
from lib.book.scorecard import Claims
from lib.core.metrics import relative_error, wilson_interval
from lib.core.observation import add_noise, band_mask, random_mask
from lib.methods.gradient import gradient_descent
from lib.methods.lp import LayerwiseLP, alg1_reference, projected_gd
from lib.mnist.models import generator_from_torch
from lib.mnist.train import load

S = experiments.settings("p2_trained")

# %% [markdown]
# ## Two networks
#
# P2 describes its MNIST network as fully connected, $k = 20$ latent units, $n_1 = 60$ hidden
# units and $n = 784$ outputs, trained "using the original Generative Adversarial Network",
# with $n_1$ small "since the output usually only has around 70 to 100 non-zero pixels". This
# book's **GAN** has that architecture, with biases and ReLU after both layers, images in
# $[0, 1]$ ({ref}`mnist-generators`).
#
# The weights that P2's public code ships for this experiment are not a GAN's. They are the
# decoder of a *variational autoencoder* (VAE, Kingma and Welling 2014): an encoder maps a
# digit $x$ to a Gaussian $q(z \mid x)$ over latents, a decoder maps a latent back to an image,
# and both are trained together to maximise a lower bound of the digits' likelihood. P2's
# decoder has the 20-60-784 shape, no biases, a ReLU hidden layer and a sigmoid output, which
# makes each pixel the probability that it is inked. What the code inverts is the decoder
# with its sigmoid replaced by a ReLU, like every other layer:
#
# $$
# G_{\mathrm{VAE}}(z) = \mathrm{ReLU}\big(W_1\, \mathrm{ReLU}(W_0 z)\big).
# $$
#
# A pixel of $G_{\mathrm{VAE}}(z)$ is non-zero exactly where the VAE's image exceeds $1/2$, and
# its value is the log-odds of ink, not a grey level: these images are not confined to
# $[0, 1]$. Without biases the network is positively homogeneous,
# $G_{\mathrm{VAE}}(c z) = c\, G_{\mathrm{VAE}}(z)$ for $c > 0$.
#
# We train such a **VAE** on the book's digits as P2's code did (`python -m lib.mnist.train p2vae`,
# `lib.mnist.models.P2VAE`): encoder 784-60-(20, 20) giving the mean and log-variance of
# $q(z \mid x)$, the decoder above, no biases anywhere; the loss is the negative lower bound,
# the binary cross-entropy of the sigmoid image against the digit summed over the 784 pixels
# plus the Kullback-Leibler divergence of $q(z \mid x)$ from $\mathcal N(0, I)$; Adam (step
# $10^{-3}$, batches of 128) for 4,680 steps, the budget of the PyTorch VAE example whose layer
# names P2's weights carry. It takes about ten CPU seconds; the weights and their provenance
# (seed, losses, command) are in `data/mnist_p2_vae.pt` and `.json`. Both networks are
# inverted by the same code, with latents $z \sim \mathcal N(0, I)$.

# %%
gan, meta_gan = load("p2")
vae, meta_vae = load("p2vae")
NETS = {
    "GAN": generator_from_torch(gan).to(device=DEVICE),
    "VAE": generator_from_torch(vae.relu_decoder()).to(device=DEVICE),
}
for name, meta in (("GAN", meta_gan), ("VAE", meta_vae)):
    G = NETS[name]
    biased = any(b is not None and bool(b.abs().max() > 0) for b in G.biases)
    print(
        f"{name}: dims {G.dims}, hidden {G.hidden}, output {G.output}, "
        f"biases {'yes' if biased else 'none'}; {meta['steps']} training steps"
    )

# %% [markdown]
# The two networks light their pixels on different scales. On the same 500 latents:

# %% tags=["hide-input"]
Z = {name: G.sample_latent(S["rank_samples"], seed=S["seed"]) for name, G in NETS.items()}
X = {name: G(Z[name]) for name, G in NETS.items()}
sd3 = math.sqrt(S["fig3_variance"])
lit_mean, rows = {}, []
for name, x in X.items():
    lit = (x > 0).sum(1).double().cpu()
    q = torch.quantile(lit, torch.tensor([0.25, 0.75], dtype=lit.dtype))
    lit_mean[name] = float(x[x > 0].mean())
    rows.append(
        [
            name,
            f"{lit.mean():.0f} ({q[0]:.0f}-{q[1]:.0f})",
            f"{lit_mean[name]:.2f}",
            f"{float(x.max(1).values.mean()):.1f}",
            f"{sd3 / lit_mean[name]:.2f}",
        ]
    )
show_table(
    ["network", "non-zero pixels (quartiles)", "mean lit pixel", "brightest (mean)", "0.55 / lit"],
    rows,
    caption=f"{S['rank_samples']} samples per network; last column: the standard deviation of "
    "P2 Fig. 3's noise relative to the mean lit pixel",
)

# %% tags=["hide-input"]
n_show = 8
top = {name: float(x.max(1).values.mean()) for name, x in X.items()}
panel = torch.cat([X[n][:n_show] / top[n] for n in NETS]).cpu()
fig = image_grid(panel, rows=2, titles=[n for n in NETS for _ in range(n_show)], vmin=0, vmax=1)
plt.close(fig)
glue("p2-trained-nets", fig, display=False)

# %% [markdown]
# ```{glue:figure} p2-trained-nets
# :name: fig-p2-trained-nets
# :alt: Two rows of eight digit images: samples of the VAE decoder above, of the GAN below, for the same latents.
#
# Samples $G(z)$ of the two networks for the same latents, each network's images divided by
# its mean brightest pixel (white = that value or more). The VAE's digits are thinner (fewer
# non-zero pixels), as P2 says of its network.
# ```
#
# The VAE's non-zero pixels match P2's "around 70 to 100", and they are more than twice as
# bright on average as the GAN's, whose pixels are grey levels in $[0, 1]$. This matters below:
# a noise level means less on the VAE's scale.

# %% [markdown]
# ## Which signals can be inverted at all?
#
# Inverting a layer $x_{i+1} = \mathrm{ReLU}(W_i x_i + b_i)$ from its output needs the rows
# of $W_i$ whose outputs are non-zero (the *active* rows) to have rank $n_i$, the layer's input
# size (P2 Thm 3, Lemma 1): otherwise a whole set of inputs gives the same output, and *no*
# method can tell which one was used. For the first layer this needs at least $k = 20$ active
# hidden units; a random network with 60 hidden units would have about 30. We check this
# *rank condition* at the true signal of each sample, layer by layer, and compare it with what
# the $\ell_\infty$ LP recovers from the noiseless image.


# %%
def rank_condition(G, z, chunk=100):
    """Per sample and layer, the rank of the rows of W_i whose outputs are non-zero at G(z),
    (B, L + 1); P2's condition (Thm 3, Lemma 1) is rank = n_i, the layer's input size."""
    fw = G.forward(z)
    ranks = []
    for W, on in zip(G.weights, [*fw.supports, fw.out > 0], strict=True):
        ranks.append(
            torch.cat(
                [
                    torch.linalg.matrix_rank(W * on[c : c + chunk, :, None])
                    for c in range(0, len(z), chunk)
                ]
            )
        )
    return torch.stack(ranks, 1).cpu()


kw = dict(eps0=S["eps0"], alpha=S["alpha"])
rank_rows, R0 = [], {}
for name, G in NETS.items():
    z = Z[name]
    res = LayerwiseLP(G, "linf", backend="ipm", **kw).invert(X[name])
    ranks = rank_condition(G, z)
    met = (ranks == torch.tensor(G.dims[:-1])).all(1)
    ok = (relative_error(z, res.z) <= S["success"]).cpu()
    R0[name] = {
        "met": met,
        "ok": ok,
        "rank0": ranks[:, 0],
        "active": (G.forward(z).x[0] > 0).sum(1).cpu(),
        "exact": torch.tensor([s == "exact" for s in res.status]),
    }
    for label, sel in (("condition met", met), ("not met", ~met), ("all", met | ~met)):
        n, k = int(sel.sum()), int((ok & sel).sum())
        lo, hi = wilson_interval(k, n)
        rank_rows.append(
            [name, label, n, f"{k} of {n}", f"{k / max(n, 1):.0%}", f"[{lo:.0%}, {hi:.0%}]"]
        )

# %% tags=["hide-input"]
show_table(
    ["network", "samples", "count", "recovered", "rate", "95 % Wilson"],
    rank_rows,
    caption=f"noiseless l_inf LP, {S['rank_samples']} samples per network, success = rel. "
    "error <= 1e-3",
)
met_frac, no_false_exact = {}, True
for name, r in R0.items():
    k, n = int(r["met"].sum()), len(r["met"])
    met_frac[name] = (k / n, *wilson_interval(k, n))
    # the first layer's input z is free: below rank 20 nothing can single it out
    no_false_exact &= not bool((r["exact"] & (r["rank0"] < 20)).any())
    print(
        f"{name}: rank condition met by {k / n:.0%} [{met_frac[name][1]:.0%}, "
        f"{met_frac[name][2]:.0%}] of the samples; fewer than 20 active hidden units: "
        f"{float((r['active'] < 20).float().mean()):.0%}; 'exact' with first-layer rank < 20: "
        f"{int((r['exact'] & (r['rank0'] < 20)).sum())}"
    )

# %% tags=["hide-input"]
fig, axes = subplots(1, 2, height=3.0, sharey=True)
for ax, (name, r) in zip(axes, R0.items(), strict=True):
    active, ok = r["active"], r["ok"]
    cnts = np.arange(int(active.min()), int(active.max()) + 1)
    rate_by = [
        float(ok[active == c].float().mean()) if (active == c).any() else np.nan for c in cnts
    ]
    ax.bar(cnts, [int((active == c).sum()) for c in cnts], color="#cccccc")
    ax2 = ax.twinx()
    ax2.plot(cnts, rate_by, "o-", color=METHOD_COLORS["linf_lp"], ms=3)
    ax2.set_ylim(-0.05, 1.05)
    ax.axvline(19.5, color="k", ls=":", lw=1)
    ax.set(xlabel="active hidden units of the sample", title=name)
    if name == "VAE":
        ax2.set_ylabel("fraction recovered (rel. error <= 1e-3)")
axes[0].set_ylabel("number of samples")
plt.close(fig)
glue("p2-trained-rank", fig, display=False)

# %% [markdown]
# ```{glue:figure} p2-trained-rank
# :name: fig-p2-trained-rank
# :alt: Two panels, VAE and GAN: bars of the number of samples against their count of active hidden units, a line for the fraction recovered exactly, and a dotted line at 20 active units.
#
# Noiseless inversion of the two trained 20-60-784 networks by the $\ell_\infty$ LP against the
# number of active hidden units of the sample (bars: samples; line: fraction recovered to
# $10^{-3}$). Left of the dotted line the hidden layer has fewer than $k = 20$ active units and
# $z$ is not determined (book scale: 500 samples per network, seed 52).
# ```
#
# Recovery is a property of the sample, not of the solver: every sample that meets the rank
# condition is recovered to $10^{-3}$ (table above), and the LP reports the others as
# `not_unique` instead of returning a wrong $z$ marked as a success (some of them are still
# recovered, few on the GAN and over a third on the VAE: the sign constraints of the zero
# pixels and $x_1 \ge 0$ can pin what the active rows leave open). P2 does not discuss this.
# It bounds what any inversion method can do. The two networks miss the condition for
# different reasons: the GAN's hidden layer is sparse (a quarter of its samples have fewer
# than 20 active units), the bias-free VAE's is not (a unit is active for half of all
# latents), yet on both about three quarters of the samples meet the condition: on the VAE,
# enough units are active but their rows are more often linearly dependent.

# %% [markdown]
# ## Error against noise (P2 Figure 1(c)(d))
#
# P2 compares the LPs with gradient descent at step $10^{-3}$ for up to 10,000 iterations
# (larger steps diverge on its network). We add Adam (step 0.05, 2,000 iterations) as a
# stronger baseline, and use the same latents for every method. Noise: $U(-a, a)$ and
# $\mathcal{N}(0, a^2)$ on every pixel, at the same absolute levels $a$ on both networks.

# %%
levels, R_lp = S["levels"], S["lp_runs"]
RUNS = {"GAN": S["runs"], "VAE": S["vae_runs"]}
INV = {
    name: {
        "linf": LayerwiseLP(G, "linf", backend="ipm", **kw),
        "l1": LayerwiseLP(G, "l1", patience=10, **kw),
        "relax": LayerwiseLP(G, "relax", **kw),
    }
    for name, G in NETS.items()
}


def invert_lps(inverters, y, z_true):
    """Relative latent error of each LP on the observations y (the one-by-one LPs on the
    first R_lp)."""
    return {
        m: relative_error(
            z_true[: len(y) if m == "linf" else R_lp],
            inverters[m].invert(y if m == "linf" else y[:R_lp]).z,
        ).cpu()
        for m in inverters
    }


def descend(G, y, runs, *, seed, mask=None):
    """GD and Adam (the settings above) on observations y that stack groups
    of ``runs`` signals. Every group starts from the same z0 ~ N(0, I) drawn
    from ``seed``, and one call descends all groups together: each signal's
    descent is its own, so this gives the same z as one call per group, with
    fewer, larger matrix products. Returns {'gd': result, 'adam': result}."""
    gen = torch.Generator().manual_seed(seed)
    z0 = torch.randn(runs, G.dims[0], generator=gen, dtype=G.dtype)
    z0 = z0.repeat(len(y) // runs, 1).to(G.device)
    opts = dict(mask=mask, z0=z0, tol=S["gd_tol"])
    g = gradient_descent(G, y, lr=S["gd_lr"], max_iter=S["gd_steps"], **opts)
    adam = dict(lr=S["adam_lr"], max_iter=S["adam_steps"], optimizer="adam")
    a = gradient_descent(G, y, **adam, **opts)
    return {"gd": g, "adam": a}


# %% tags=["hide-input"]
noises = ("uniform", "gaussian")
keys = ("linf", "l1", "relax", "gd", "adam")
err = {}
for name, G in NETS.items():
    runs, cases, zs, ys = RUNS[name], [], [], []
    for nt in noises:
        for li, a in enumerate(levels):
            zt = G.sample_latent(runs, seed=S["seed"] + 100 + li)
            y = add_noise(G(zt), nt, a, seed=S["seed"] + 200 + li + 10 * (nt == "gaussian"))
            for m, e in invert_lps(INV[name], y, zt).items():
                err[name, m, nt, li] = np.nan_to_num(e.numpy(), nan=np.inf)  # failed: no estimate
            cases.append((nt, li))
            zs.append(zt)
            ys.append(y)
    for m, res in descend(G, torch.cat(ys), runs, seed=S["seed"] + 1).items():
        e = relative_error(torch.cat(zs), res.z).cpu()
        for j, (nt, li) in enumerate(cases):
            err[name, m, nt, li] = np.nan_to_num(e[j * runs : (j + 1) * runs].numpy(), nan=np.inf)
print("median relative error ||z - z*|| / ||z*||")
print("net  noise        a  " + "".join(f"{k:>9}" for k in keys))
for name in NETS:
    for nt in noises:
        for li, a in enumerate(levels):
            meds = "".join(f"{np.median(err[name, k, nt, li]):9.1e}" for k in keys)
            print(f"{name}  {nt:<9} {a:6.0e}" + meds)

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
fig, axes = subplots(2, 2, height=6.2, sharey=True, sharex=True)
for row, name in zip(axes, NETS, strict=True):
    for ax, nt in zip(row, noises, strict=True):
        for j, k in enumerate(keys):
            shift = 1.1 ** (j - 2)
            for li, a in enumerate(levels):
                v = err[name, k, nt, li]
                ax.scatter(
                    np.full(len(v), a * shift),
                    np.maximum(v, 1e-12),
                    s=7,
                    alpha=0.35,
                    color=COLOR[k],
                )
            ax.plot(
                levels,
                [max(np.median(err[name, k, nt, li]), 1e-12) for li in range(len(levels))],
                "-o",
                ms=3,
                color=COLOR[k],
                label=LABEL[k],
            )
        dist = "U(-a, a)" if nt == "uniform" else "N(0, a^2)"
        ax.set(xscale="log", yscale="log", title=f"{name}, {nt} noise")
        if name == "VAE":
            ax.set_xlabel(f"noise level a ({nt}: {dist})")
    row[0].set_ylabel(r"relative error $\|z - z^*\| / \|z^*\|$")
legend_below(fig, axes[1, 0], ncols=3)
plt.close(fig)
glue("p2-trained-fig1cd", fig, display=False)

# %% [markdown]
# ```{glue:figure} p2-trained-fig1cd
# :name: fig-p2-trained-fig1cd
# :alt: Four log-log panels, two networks by two noise types, of the relative latent error against the noise level for the LPs, gradient descent and Adam: dots for runs, lines for medians.
#
# Relative latent error against the noise level on the two trained networks (reproduces P2
# Fig. 1(c)(d)). Dots: runs; lines: medians. Book scale: per level 50 runs on the GAN and 25
# on the VAE for the $\ell_\infty$ LP, GD and Adam, 8 for the $\ell_1$ LP and the relaxation
# (P2: 200); seed 52. Errors below $10^{-12}$ are drawn at $10^{-12}$.
# ```


# %% tags=["hide-input"]
def below(name, k, thr=0.1):
    """Runs with relative error <= thr at noise a <= 1e-2 (both noise types): (count, total)."""
    v = np.concatenate([err[name, k, nt, li] for nt in noises for li in range(1, len(levels))])
    return int((v <= thr).sum()), len(v)


small = {(name, k): below(name, k) for name in NETS for k in keys}
print("runs with rel. error <= 0.1 at noise a <= 1e-2 (both noise types), 95 % Wilson:")
for name in NETS:
    cells = []
    for k in keys:
        c, n = small[name, k]
        lo, hi = wilson_interval(c, n)
        cells.append(f"{k} {c / n:.0%} [{lo:.0%}, {hi:.0%}]")
    print(f"  {name}: " + ", ".join(cells))

# %% [markdown]
# As in P2, on both networks the $\ell_\infty$ LP recovers $z$ accurately in most runs at
# moderate noise (the $\ell_1$ LP and the relaxation, on fewer runs, in about half to three
# quarters of them), and gradient descent with P2's settings (step $10^{-3}$, 10,000
# iterations) almost never does:
# its median error stays near 1, the distance of a random start. We read this as a budget as
# much as local minima: the step that does not diverge is too small to get far in 10,000
# iterations; Adam, with adaptive steps, gets further (but less often than the $\ell_\infty$
# LP). The runs where the LPs fail are mostly the samples that miss the rank condition. At
# the largest noise ($a = 0.1$) every method fails; on the GAN the $\ell_\infty$ LP is the worst
# with Gaussian noise, as on random networks ({ref}`p2-noisy-lp`).

# %% [markdown]
# ## Denoising examples (P2 Figure 3)
#
# P2's Figure 3 perturbs the observations "with some Gaussian random noise with variance 0.3"
# and shows the $\ell_\infty$ LP denoising them "almost perfectly", closer to the truth than
# gradient descent. We read variance 0.3 as a standard deviation of $\sqrt{0.3} = 0.55$ on
# every pixel. On P2's own network that noise is about two fifths of the mean lit pixel (table
# above),
# so the digits stay visible under it; on the GAN, whose pixels are grey levels, the same
# noise is about as large as the lit pixels themselves. As a check on the reading we also run
# the other one, a standard deviation of 0.3. Measured on 12 examples per network (6 shown):
# the $\ell_\infty$ LP, the $\ell_1$ LP and P2's gradient descent.

# %%
n_ex, T3 = S["fig3_examples"], S["fig3_trials"]
F3 = {}
for name, G in NETS.items():
    z3 = G.sample_latent(T3, seed=S["seed"] + 300)
    x3 = G(z3)
    f = {"x": x3}
    for reading, sd, seed in (
        ("variance 0.3", sd3, S["seed"] + 301),
        ("sd 0.3", S["fig3_other_sd"], S["seed"] + 303),
    ):
        y3 = add_noise(x3, "gaussian", sd, seed=seed)
        r_lp = INV[name]["linf"].invert(y3)
        z_gd = gradient_descent(
            G, y3, lr=S["gd_lr"], max_iter=S["gd_steps"], tol=S["gd_tol"], seed=S["seed"] + 302
        ).z
        f[reading] = {"y": y3, "lp": r_lp, "x_lp": G(r_lp.z.nan_to_num()), "x_gd": G(z_gd)}
    f["x_l1"] = G(INV[name]["l1"].invert(f["variance 0.3"]["y"]).z.nan_to_num())
    F3[name] = f

# %% tags=["hide-input"]
img_err, rows3 = {}, []
for name, f in F3.items():
    for reading in ("variance 0.3", "sd 0.3"):
        d = f[reading]
        e = {
            "LP": relative_error(f["x"], d["x_lp"]).cpu(),
            "GD": relative_error(f["x"], d["x_gd"]).cpu(),
        }
        if reading == "variance 0.3":
            e["l1"] = relative_error(f["x"], f["x_l1"]).cpu()
        img_err[name, reading] = e
        rows3.append(
            [
                name,
                reading,
                f"{e['LP'].median():.2f}",
                f"{e['l1'].median():.2f}" if "l1" in e else "-",
                f"{e['GD'].median():.2f}",
                f"{int((e['LP'] < e['GD']).sum())} of {len(e['LP'])}",
            ]
        )
show_table(
    ["network", "noise", "l_inf LP", "l_1 LP", "GD", "LP closer than GD"],
    rows3,
    caption=f"median image error ||G(z_hat) - x|| / ||x||, {T3} examples per network",
)

# %% tags=["hide-input"]
for name, f in F3.items():
    x3 = f["x"]
    panel = torch.cat(
        [x3[:n_ex], f["variance 0.3"]["y"][:n_ex], f["variance 0.3"]["x_lp"][:n_ex]]
        + [f["x_l1"][:n_ex], f["variance 0.3"]["x_gd"][:n_ex]]
    )
    e = img_err[name, "variance 0.3"]
    titles = (
        ["truth"] * n_ex
        + ["noisy"] * n_ex
        + [f"ℓ∞ {v:.2f}" for v in e["LP"][:n_ex]]
        + [f"ℓ1 {v:.2f}" for v in e["l1"][:n_ex]]
        + [f"GD {v:.2f}" for v in e["GD"][:n_ex]]
    )
    fig = image_grid((panel / top[name]).cpu(), rows=5, titles=titles, vmin=0, vmax=1, size=1.3)
    plt.close(fig)
    glue(f"p2-trained-fig3-{name.lower()}", fig, display=False)

# %% [markdown]
# ```{glue:figure} p2-trained-fig3-vae
# :name: fig-p2-trained-fig3-vae
# :alt: Five rows of six digit images on the VAE decoder: truth, noisy observation, l_inf LP, l_1 LP and gradient descent reconstructions, each titled with its image error.
#
# Denoising on the VAE decoder, P2's network (P2 Fig. 3). Rows: ground truth $G(z^*)$,
# observation with Gaussian noise of variance 0.3, $\ell_\infty$ LP reconstruction
# $G(\hat z)$, $\ell_1$ LP, GD (lr $10^{-3}$, 10,000 iterations); titles give the image error
# $\|G(\hat z) - x\|/\|x\|$. Images divided by the network's mean brightest pixel; seed 52.
# ```
#
# ```{glue:figure} p2-trained-fig3-gan
# :name: fig-p2-trained-fig3-gan
# :alt: The same five rows of digit images for the GAN.
#
# The same on the book's GAN.
# ```
# %% [markdown]
# **Not reproduced.** On both networks, at variance 0.3, the $\ell_\infty$ LP's reconstructions
# are *farther* from the truth than gradient descent's, and the other reading of the noise
# level (standard deviation 0.3) does not change that. Before we call this a failure to
# reproduce, we check that it is not a fault of our solver:

# %%
checks3 = {}
for name, G in NETS.items():
    d, x3 = F3[name]["variance 0.3"], F3[name]["x"]
    r, out = d["lp"], len(G.weights) - 1  # the output layer's LP
    noise_max = (d["y"] - x3).abs().amax(1).cpu().numpy()
    eps_out = r.eps[:, out]
    above = (d["y"].cpu().numpy() > eps_out[:, None]).sum(1)  # rows Alg. 1 treats as active
    W, b = G.weights[out].cpu().numpy(), G.bias(out).cpu().numpy()
    same = []
    for s in range(S["fig3_reference"]):  # scipy's HiGHS on Alg. 1 as printed, same grid
        t0 = max(int(r.steps[s, out]) - 2, 0)
        ref = alg1_reference(
            W,
            b,
            d["y"][s].cpu().numpy(),
            eps0=S["eps0"] * S["alpha"] ** t0,
            alpha=S["alpha"],
            max_iter=2,
            nonneg=True,
        )
        same.append(ref.z is not None and t0 + ref.steps == int(r.steps[s, out]))
    checks3[name] = {
        "eps_ok": bool((eps_out < S["alpha"] * noise_max).all()),
        "above": above,
        "reference_same": all(same),
    }
    print(
        f"{name}: largest noise entry {np.median(noise_max):.2f} (median), final threshold of the "
        f"output layer {np.median(eps_out):.2f}, below {S['alpha']} x the largest noise entry in "
        f"every example: {checks3[name]['eps_ok']}; pixels above it {above.min()}-{above.max()} "
        f"(for {G.dims[1]} unknowns); statuses "
        + ", ".join(f"{k} {v}" for k, v in r.counts().items())
        + f"; reference solver stops at the same threshold ({S['fig3_reference']} examples): "
        f"{checks3[name]['reference_same']}"
    )

# %% [markdown]
# * **The solver.** The true hidden layer satisfies Algorithm 1's constraints at every
#   threshold $\epsilon \ge \|e\|_\infty$ (a lit pixel is off by its noise; a dark pixel's
#   noise is below $\epsilon$, so it counts as inactive), so the search must stop at the first
#   grid point past the largest noise entry or earlier. It does, in every example, and an
#   independent solver (scipy's HiGHS on Algorithm 1 as printed, `lib.methods.lp.alg1_reference`)
#   stops at the same grid point.
# * **Why it fails.** Gaussian noise of standard deviation 0.55 on 784 pixels has a largest
#   entry near 1.8, so the threshold ends near there. Algorithm 1 then counts a pixel as
#   active only if it is brighter than $\epsilon$, and on either network fewer than 60 pixels
#   are (printed above): the active rows of $W_1$ cannot have rank 60, the output layer's LP
#   has a whole set of solutions, and the LP says so (`not_unique`). This is Algorithm 1's
#   treatment of large Gaussian noise, which P2 itself calls less robust than the $\ell_1$ LP
#   (Sec. 5.1); the $\ell_1$ LP, with a slack per pixel, and GD, which fits every pixel, are
#   hurt less. On P2's own network the brightest pixels reach about 4, but the mean lit
#   pixel is about 1.4, so most lit pixels still fall below the threshold.
# * **The reading.** A standard deviation of 0.3 instead of 0.55 leaves the order unchanged
#   (table above), and at the noise levels of Figure 1(c)(d), $a \le 10^{-2}$, the same code
#   puts the LPs clearly ahead of GD. P2's figure must come from a smaller noise than its text
#   states, or from a procedure it does not describe; we cannot tell which.

# %% [markdown]
# ## Inpainting (P2 Figure 4)
#
# With pixels hidden ($y = A x$, $A$ the selection of the observed pixels), P2's text recovers
# the image by projected gradient descent whose projection onto the range of $G$ is the LP
# inversion, after Shah and Hegde:
#
# ```{prf:algorithm} Projected gradient descent with LP projection (P2 Sec. 5.2, Fig. 4)
# :label: p2-trained-pgd
# $x_0 = A^\top y$; for $t = 0, 1, \dots$: $x_{t+1} = G\big(\mathrm{invert}(x_t - \eta A^\top
# (A x_t - y))\big)$, with invert the $\ell_\infty$ LP ({prf:ref}`p2-noisy-alg1`) and
# $\eta = 1$ (the gradient step restores the observed pixels). Book and paper scale: 10
# steps.
# ```
#
# `lib.methods.lp.projected_gd` implements it. P2's public code does something simpler for its sensing
# task: since $A$ only selects pixels, $A\,G(z) = \mathrm{ReLU}(A W_1 x_1 + A b_1)$ is itself a
# ReLU network, the last layer restricted to the observed rows, and the code inverts it
# directly with the layer-wise LP (`LayerwiseLP.invert(y, mask)`). We run both readings. The
# baseline runs gradient descent on $z$ with the masked loss $\frac12\|A(G(z) - y)\|^2$ (P2's
# GD, and Adam). A recovery counts when the image error $\|G(\hat z) - x\|/\|x\|$ is at most
# 0.1.

# %%
T = S["pgd_trials"]
masks = {
    "random 50 % observed": random_mask(784, 0.5, seed=S["seed"] + 400)[0],
    "top half observed": band_mask((1, 28, 28), 0.5, "top"),
    "left half observed": band_mask((1, 28, 28), 0.5, "left"),
}
METHODS4 = ("PGD (LP)", "LP on observed", "GD", "Adam")
pgd, xp_of, full_ok = {}, {}, {}
for name, G in NETS.items():
    zp = G.sample_latent(T, seed=S["seed"] + 401)
    xp = xp_of[name] = G(zp)
    linf = INV[name]["linf"]
    M = torch.stack([m.to(G.device) for m in masks.values()])  # one row per mask
    # GD and Adam: the T signals under every mask in one call (a mask per row)
    rows_M = M.repeat_interleave(T, 0)
    gd = descend(G, xp.repeat(len(M), 1), T, seed=S["seed"] + 402, mask=rows_M)
    for j, (mname, mask) in enumerate(zip(masks, M, strict=True)):
        r = projected_gd(G, xp, mask=mask, inverter=linf, max_iter=S["pgd_steps"])
        direct = linf.invert(xp, mask=mask)
        rows = slice(j * T, (j + 1) * T)
        pgd[name, mname] = {
            "mask": mask,
            "PGD (LP)": r.x,
            "LP on observed": G(direct.z.nan_to_num()),
            "GD": G(gd["gd"].z[rows]),
            "Adam": G(gd["adam"].z[rows]),
        }
    # with every pixel observed, PGD's first projection is the plain LP inversion
    every = torch.ones(784, dtype=torch.bool, device=G.device)
    e_pgd = relative_error(xp, projected_gd(G, xp, mask=every, inverter=linf, max_iter=1).x)
    e_lp = relative_error(xp, G(linf.invert(xp).z.nan_to_num()))
    full_ok[name] = bool(((e_pgd <= S["pgd_success"]) == (e_lp <= S["pgd_success"])).all())

# %% tags=["hide-input"]
rows, rates, counts4 = [], {}, {}
for (name, mname), d in pgd.items():
    cells = [name, mname]
    for meth in METHODS4:
        e = relative_error(xp_of[name], d[meth]).cpu()
        k = int((e <= S["pgd_success"]).sum())
        lo, hi = wilson_interval(k, T)
        rates[name, mname, meth] = k / T
        counts4[name, mname, meth] = k
        cells.append(f"{k} of {T} [{lo:.0%}, {hi:.0%}]; median {e.median():.2g}")
    rows.append(cells)
show_table(
    ["network", "mask", "PGD with l_inf LP", "l_inf LP on observed pixels", "GD on z", "Adam on z"],
    rows,
    caption="recoveries (image error <= 0.1) with 95 % Wilson intervals; median image error",
)
print(
    "with every pixel observed, PGD recovers exactly the signals the plain LP recovers: "
    + ", ".join(f"{n} {v}" for n, v in full_ok.items())
)

# %% tags=["hide-input"]
n4 = 2
for name in NETS:
    imgs, titles = [], []
    for mname in masks:
        d = pgd[name, mname]
        xp = xp_of[name]
        for s in range(n4):
            shown = torch.where(d["mask"], xp[s], torch.full_like(xp[s], 0.5 * top[name]))
            imgs += [xp[s], shown] + [d[m][s] for m in METHODS4[:3]]
            titles += ["truth", "observed", "PGD", "LP observed", "GD"]
    panel = (torch.stack(imgs) / top[name]).cpu()
    fig = image_grid(panel, rows=n4 * len(masks), titles=titles, vmin=0, vmax=1, size=1.1)
    plt.close(fig)
    glue(f"p2-trained-fig4-{name.lower()}", fig, display=False)

# %% [markdown]
# ```{glue:figure} p2-trained-fig4-vae
# :name: fig-p2-trained-fig4-vae
# :alt: Rows of five digit images for two trials of each of three masks on the VAE decoder: truth, observed pixels with hidden ones grey, projected gradient descent, the LP on the observed pixels, gradient descent.
#
# Inpainting on the VAE decoder, P2's network (P2 Figs. 4 and 6): two trials for each mask
# (random half of the pixels, top half, left half observed). Columns: truth, observed pixels
# (hidden ones grey), projected gradient descent with the $\ell_\infty$ LP as projection (10
# steps), the $\ell_\infty$ LP on the observed pixels, GD on $z$ with the masked loss (lr
# $10^{-3}$, 10,000 iterations). Images divided by the network's mean brightest pixel
# (clipped). Book scale: 20 trials per mask; seed 52.
# ```
#
# ```{glue:figure} p2-trained-fig4-gan
# :name: fig-p2-trained-fig4-gan
# :alt: The same rows of digit images for the GAN.
#
# The same on the book's GAN.
# ```

# %% tags=["hide-input"]
code_mask = random_mask(784, 0.9, seed=S["seed"] + 403)[0]  # P2's code: 90 % of the pixels
code_rate = {}
for name, G in NETS.items():
    r = INV[name]["linf"].invert(xp_of[name], mask=code_mask.to(G.device))
    e = relative_error(xp_of[name], G(r.z.nan_to_num())).cpu()
    code_rate[name] = int((e <= S["pgd_success"]).sum())
    lo, hi = wilson_interval(code_rate[name], T)
    print(
        f"{name}: l_inf LP on a random 90 % of the pixels (the setting of P2's code): "
        f"{code_rate[name]} of {T} recovered [{lo:.0%}, {hi:.0%}]; statuses "
        + ", ".join(f"{k} {v}" for k, v in r.counts().items())
    )

# %% [markdown]
# ## Time per inversion (P2 Table 1, MNIST column)
#
# On the GAN, one signal at a time, Gaussian noise $a = 10^{-2}$; the $\ell_\infty$ LP also in
# a batch of all signals (`backend="ipm"`). `benchmarks/p2_trained.py` measures the same with
# more signals (stored output `benchmarks/p2_trained.json`): there the $\ell_\infty$ LP takes
# about 24 ms per inversion one signal at a time and 6-7 ms per signal in batches of 50 and
# 200 (interior point, one thread), and the simplex about 50 ms one at a time;
# {ref}`notes-p2-lp` has the table. The numbers below depend on the machine.

# %% tags=["hide-input", "nbval-ignore-output"]
n_t = S["timing_signals"]
G, inverters = NETS["GAN"], INV["GAN"]
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
gradient_descent(G, yt[:1], lr=S["gd_lr"], max_iter=S["gd_steps"], tol=S["gd_tol"], seed=1)
secs["gd"] = time.perf_counter() - t0
PAPER_S = {"linf": "0.5", "l1": "1.1", "relax": "0.6", "gd": "72"}
show_table(
    ["method", "seconds per inversion here", "P2 Table 1 (MNIST)"],
    [[m, f"{v:.3f}", PAPER_S.get(m, "-")] for m, v in secs.items()],
    caption=f"the GAN, noise 1e-2, {n_t} signals one at a time, 1 thread",
)

# %% [markdown]
# ## Summary
#
# * P2's MNIST network, as its code ships it, is a bias-free VAE decoder, not a GAN; we
#   trained one as the code did. Its images have P2's "70 to 100" non-zero pixels; about three
#   quarters of each network's samples meet P2's rank condition.
# * On both networks the layer-wise LPs recover the latent of every sample that meets
#   the rank condition, and report the others as `not_unique`: that bound holds for any
#   method.
# * With noise the LPs' errors grow with the noise, as on random networks; P2's gradient
#   descent (step $10^{-3}$) is stopped by its budget far from the truth; Adam is a much
#   stronger baseline.
# * P2's denoising example (Fig. 3) is not reproduced on either network: at Gaussian noise of
#   variance 0.3 the $\ell_\infty$ LP's threshold outgrows the image, and gradient descent
#   gets closer to the truth.
# * Inpainting (Fig. 4) depends on what "the LP" does with the hidden pixels: as the
#   projection of projected gradient descent it rarely recovers the image, while inverting
#   the observed pixels directly, as P2's code does, recovers far more often (table above).
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
#
# The verdicts rest on the VAE decoder, P2's own network; the GAN's numbers are given beside
# them.

# %% tags=["hide-input"]
claims = Claims("p2_trained")


def pct(name, k):
    """'r % [lo, hi]' of the runs with rel. error <= 0.1 at a <= 1e-2 (Wilson 95 %)."""
    c, n = small[name, k]
    lo, hi = wilson_interval(c, n)
    return f"{c / n:.0%} [{lo:.0%}, {hi:.0%}]"


fig1_holds = {}
for name in NETS:
    lp_lo = wilson_interval(*small[name, "linf"])[0]
    gd_hi = wilson_interval(*small[name, "gd"])[1]
    fig1_holds[name] = lp_lo > 0.5 > gd_hi  # LP most of the time, GD stuck in most runs
claims.add(
    "P2-fig1cd",
    passed=all(fig1_holds.values()) and no_false_exact,
    measured=f"at a <= 1e-2 (both noise types) the l_inf LP recovers z to 10 % in "
    f"{pct('VAE', 'linf')} of runs on the VAE ({RUNS['VAE']} runs/level), GD (lr 1e-3, 10k it.) "
    f"in {pct('VAE', 'gd')}, Adam in {pct('VAE', 'adam')}; GAN ({RUNS['GAN']} runs/level): "
    f"LP {pct('GAN', 'linf')}, GD {pct('GAN', 'gd')}; l1 LP, relaxation {R_lp} runs/level",
    paper="LPs recover z with good accuracy most of the time; GD gets stuck in most cases",
    status="reproduced with a difference",
    difference=f"At a = 0.1 every method fails, and at a <= 1e-2 the LP misses about a third "
    f"of the runs, largely the samples that fail P2's rank condition ({1 - met_frac['VAE'][0]:.0%}"
    f" of the VAE's, {1 - met_frac['GAN'][0]:.0%} of the GAN's), which no method can invert.",
)

med3 = {k: {m: float(v.median()) for m, v in e.items()} for k, e in img_err.items()}
lp_worse = all(med3[k]["LP"] > med3[k]["GD"] for k in med3)
solver_ok = all(
    c["eps_ok"] and c["reference_same"] and bool((c["above"] < NETS[n].dims[1]).all())
    for n, c in checks3.items()
)
v3, g3 = med3["VAE", "variance 0.3"], med3["GAN", "variance 0.3"]
claims.add(
    "P2-fig3",
    passed=lp_worse and solver_ok,
    measured=f"Gaussian noise of variance 0.3 (sd 0.55), {T3} examples: median image error on "
    f"the VAE l_inf LP {v3['LP']:.2f}, l_1 LP {v3['l1']:.2f}, GD {v3['GD']:.2f} (sd 0.3: LP "
    f"{med3['VAE', 'sd 0.3']['LP']:.2f}, GD {med3['VAE', 'sd 0.3']['GD']:.2f}); GAN LP "
    f"{g3['LP']:.2f}, l_1 LP {g3['l1']:.2f}, GD {g3['GD']:.2f}. Checked: the LP's threshold "
    "stops before 1.2 x the largest noise entry, scipy's HiGHS stops at the same one",
    paper="LP reconstructions closer to the ground truth than GD's",
    status="not reproduced",
    difference="At this noise the l_inf LP's threshold must pass the largest noise entry "
    "(about 1.8), leaving fewer than 60 pixels above it, so the output layer's LP does not "
    "determine the hidden layer and GD gets closer on both networks; P2's figure probably "
    "comes from a smaller noise than its text states.",
)

N4 = T * len(masks)
tot4 = {(n, m): sum(counts4[n, k, m] for k in masks) for n in NETS for m in METHODS4}


def cnt(n, m):
    """'k of N (r % [lo, hi])': recoveries of method m on network n over the three masks."""
    k = tot4[n, m]
    lo, hi = wilson_interval(k, N4)
    return f"{k} of {N4} ({k / N4:.0%} [{lo:.0%}, {hi:.0%}])"


lp_hi = max(wilson_interval(tot4["VAE", m], N4)[1] for m in ("PGD (LP)", "LP on observed"))
claims.add(
    "P2-fig4",
    passed=lp_hi < 0.9 and all(full_ok.values()),
    measured=f"3 masks x {T} trials on the VAE, image error <= 0.1: PGD with the l_inf LP "
    f"(10 steps) {cnt('VAE', 'PGD (LP)')}, the l_inf LP on the observed pixels "
    f"{cnt('VAE', 'LP on observed')}, GD on z {cnt('VAE', 'GD')}, Adam {cnt('VAE', 'Adam')}; "
    f"GAN: PGD {cnt('GAN', 'PGD (LP)')}, LP on observed {cnt('GAN', 'LP on observed')}, GD "
    f"{cnt('GAN', 'GD')}",
    paper="LP (in PGD) always reasonable; GD sometimes stuck",
    status="not reproduced",
    difference="PGD with the LP as projection rarely recovers the image (on the bias-free VAE "
    "its iterates grow without bound), and the LP on the observed pixels, the procedure of "
    "P2's code, recovers only part of the VAE's trials: half an image leaves too few lit "
    "pixels to determine the hidden layer.",
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
    "descent); the random-network column's does not: there gradient descent is about as fast "
    "as the fastest LP or faster, not the slowest method (see the timing chapter), so Table 1 "
    "as a whole is not reproduced.",
    short="MNIST: every LP faster than GD (as in P2)",
)
assert not (failed := claims.report()), f"claims that did not hold: {failed}"
