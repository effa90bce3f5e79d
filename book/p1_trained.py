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
# (p1-trained)=
# # Inverting the trained P1 generator
#
# **What you will learn.** How Latent-Pursuit, the Oracle and gradient descent compare on P1's
# trained MNIST generator, on clean images and with hidden pixels; which signals gradient
# descent gets wrong; and how P1's uniqueness certificate, computed beside every inversion,
# relates to what the algorithms recover. **Paper:** {cite}`aberdam2020` Sec. 6.2 (Figs. 5-13;
# ICLR {cite}`aberdam2021` Fig. 3). **Read first:** {doc}`p1_latent_pursuit` (the algorithm),
# {doc}`mnist_generators` (how the generator was trained), {doc}`p1_invertibility` (the
# certificate).
#
# The generator is P1's: fully connected 20-128-392-784, batch-norm (folded into the linear
# maps after training) and ReLU in the hidden layers, a piecewise linear unit (PLU) at the
# output. It is loaded from `data/mnist_p1_generator.pt`, not retrained here.

# %% tags=["hide-input"]
# Setup: on Colab, install the book's `lib` package (Colab's own torch is kept) and use the GPU.
import sys

if "google.colab" in sys.modules:
    import subprocess

    url = "git+https://github.com/inverting-generative-models/inversion-book"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", url], check=True)

from lib.book import setup_notebook

DEVICE = setup_notebook("p1_trained")

# %% tags=["hide-input"]
import time

import matplotlib.pyplot as plt
import numpy as np
import torch
from myst_nb import glue

from lib.book import experiments
from lib.book.bench import wilson
from lib.book.plotting import METHOD_COLORS, image_grid, legend_below, show_table, subplots
from lib.book.scorecard import Claims
from lib.book.stored import stored_run
from lib.core.metrics import snr_db

cfg = experiments.settings("p1_trained")

# %% [markdown]
# ## The generator, the signals and the masks
#
# We draw latents $z \sim \mathcal N(0, I)$, generate clean images $y = G(z)$, and observe them
# in three ways (P1 Sec. 6.2): everything (Fig. 5), a random mask hiding 45 % of the pixels,
# drawn per image (Fig. 8), and the top 13 of the 28 rows hidden (Fig. 11).

# %%
from lib.core.observation import band_mask, random_mask
from lib.mnist.models import generator_from_torch
from lib.mnist.train import load

module, meta = load("p1")
G = generator_from_torch(module).to(device=DEVICE)  # batch-norm folded, float64
B = cfg["signals"]
z = G.sample_latent(B, seed=cfg["seed"])
fw = G.forward(z)
y = fw.out
n = G.dims[-1]
masks = {
    "clean": None,
    "random 45 %": random_mask(
        n, 1 - cfg["hidden_fraction"], B=B, seed=cfg["seed"] + 1, device=DEVICE
    ),
    "top 13 rows": band_mask((1, 28, 28), (28 - cfg["hidden_rows"]) / 28, "bottom", DEVICE),
}
print(f"generator {G.dims}, output {G.output}; {B} signals")
for name, m in masks.items():
    seen = n if m is None else int(m.reshape(-1, n)[0].sum())
    print(f"  {name:12s}: {seen} of {n} pixels observed")
s1, s2 = (c.double() for c in fw.cardinalities)
print(f"cardinalities: s_1 = {s1.mean():.1f} (n_1 = 128), s_2 = {s2.mean():.1f} (n_2 = 392)")

# %% [markdown]
# ## The methods
#
# - **Oracle** (P1 Algorithm 1, `lib.methods.pursuit.oracle`): the true supports given, $z$ by least
#   squares through the supported network (the best any support-based method can do).
# - **Latent-Pursuit** ({prf:ref}`p1-lp-alg5`, `lib.methods.pursuit.latent_pursuit`): $\rho = 10^{-2}$
#   for every layer, $\lambda = \gamma = 0$, debiasing, the library's polished engine
#   (returns the paper's iterations' answer, see {doc}`p1_latent_pursuit`), float64.
# - **Gradient descent** as P1 runs it (`lib.methods.gradient.gradient_descent`): momentum 0.9, step
#   $10^{-1}$ halved every fifth of the run ("gradually decays"), 10,000 steps at `paper` scale,
#   from $z_0 \sim \mathcal N(0, I)$, on the observed pixels only. At `book` scale the run has
#   1,000 steps at book scale; {ref}`p1-trained-time` runs P1's full 10,000 steps on
#   the signals it recovers worst, and quotes a stored 10,000-step run of 512 signals.
# - **Adam** (step $10^{-1}$, same decay and budget), a second gradient baseline.
#
# Both gradient methods run in float32, the precision of the trained weights (and of a GPU run);
# the pursuit methods in float64. The whole experiment is one cell:

# %%
from lib.methods.gradient import gradient_descent
from lib.methods.pursuit import latent_pursuit, oracle
from lib.theory.sparsity import certify

t_start = time.perf_counter()
results = {}
for name, mask in masks.items():
    results[name] = {
        "oracle": oracle(G, y, supports=fw.supports, mask=mask),
        "latent_pursuit": latent_pursuit(G, y, mask=mask, rho=cfg["rho"]),
    }
# the gradient methods: all three conditions in one batch (one mask row per signal)
G32 = G.to(dtype=torch.float32)
all_masks = torch.cat(
    [
        torch.ones(B, n, dtype=torch.bool, device=DEVICE) if m is None else m.expand(B, n)
        for m in masks.values()
    ]
)
y3 = y.float().repeat(len(masks), 1)
steps = cfg["gd_steps"]
gd_kw = dict(max_iter=steps, decay=cfg["gd_decay"], decay_every=max(1, steps // 5), tol=1e-9)
gd = gradient_descent(
    G32,
    y3,
    mask=all_masks,
    optimizer="momentum",
    lr=cfg["gd_lr"],
    momentum=cfg["gd_momentum"],
    seed=cfg["seed"] + 2,
    **gd_kw,
)
adam = gradient_descent(
    G32, y3, mask=all_masks, optimizer="adam", lr=cfg["adam_lr"], seed=cfg["seed"] + 2, **gd_kw
)
zhat = {}  # the latent estimates, per condition and method (float64)
for k, name in enumerate(masks):
    rows = slice(k * B, (k + 1) * B)
    zhat[name] = {m: r.z for m, r in results[name].items()}
    zhat[name]["gd"], zhat[name]["adam"] = gd.z[rows].double(), adam.z[rows].double()
# the certificate: of the true latents, and of every estimate (attached to the pursuit results)
cert_true = {name: certify(G, z, mask=m) for name, m in masks.items()}
for name, m in masks.items():
    for r in results[name].values():
        r.certificate = certify(G, r.z, mask=m)
    for meth in ("gd", "adam"):
        results[name][meth + "_certificate"] = certify(G, zhat[name][meth], mask=m)
t_total = time.perf_counter() - t_start

# %% tags=["hide-input", "nbval-ignore-output"]
print(f"the whole experiment: {t_total:.0f} s (1 thread)")

# %% tags=["hide-input"]
METHODS = {"oracle": "Oracle", "latent_pursuit": "Latent-Pursuit", "gd": "GD", "adam": "Adam"}
LAYER_NAMES = ["z", "x_1", "x_2", "image"]


def layer_snrs(z_hat):
    """SNR (dB) of z and of the layers of G(z_hat) (P1: the estimate is fed back through G)."""
    f = G.forward(z_hat)
    return [snr_db(a, b).cpu() for a, b in zip([z, *fw.x, y], [z_hat, *f.x, f.out], strict=True)]


snr = {c: {m: layer_snrs(zhat[c][m]) for m in METHODS} for c in masks}
ok = {c: {m: snr[c][m][0] >= cfg["success_db"] for m in METHODS} for c in masks}
CLIP = 330.0  # above float64's round-off of an exact recovery (about 300 dB)

fig, axes = subplots(1, 3, height=3.2, sharey=True)
for ax, c in zip(axes, masks, strict=True):
    for j, m in enumerate(METHODS):
        data = [np.clip(v.numpy(), -20, CLIP) for v in snr[c][m]]
        pos = np.arange(4) + (j - 1.5) * 0.2
        col = METHOD_COLORS[m]
        bp = ax.boxplot(
            data,
            positions=pos,
            widths=0.17,
            whis=(10, 90),
            showfliers=False,
            patch_artist=True,
            medianprops=dict(color="white", lw=1.2),
            boxprops=dict(edgecolor=col, lw=1.5),  # a box of equal values stays visible
            whiskerprops=dict(color=col),
            capprops=dict(color=col),
        )
        for patch in bp["boxes"]:
            patch.set_facecolor(col)
        ax.plot([], [], "s", color=col, label=METHODS[m])
    ax.axhline(300, color="gray", lw=0.8, ls=":")
    ax.set_xticks(range(4), [f"${v}$" if v != "image" else v for v in LAYER_NAMES])
    ax.set_title(c)
axes[0].set_ylabel("SNR (dB)")
axes[0].set_ylim(-25, CLIP + 15)
legend_below(fig, axes[0], ncols=4)
glue("p1-trained-snr", fig, display=False)
plt.close(fig)

# %% [markdown]
# ```{glue:figure} p1-trained-snr
# :name: fig-p1-trained-snr
# :alt: Three panels of box plots of the SNR in dB of the latent, the two hidden layers and the image for the Oracle, Latent-Pursuit, gradient descent and Adam, on clean images, a 45 % random mask and the top 13 rows hidden.
#
# Per-layer reconstruction quality on the trained generator: SNR of $\hat z$ and of the
# layers $x_1, x_2$ and the image of $G(\hat z)$ against the truth (the whole image, hidden
# pixels included), for clean images (P1 Fig. 5), a random mask hiding 45 % of the pixels
# (Fig. 8) and the top 13 rows hidden (Fig. 11). Boxes: 25-75 %, whiskers 10-90 %, white line
# the median, over the signals of this scale (`book`: 128, seed 2020; GD and Adam:
# 1,000 steps (book scale)). The Oracle and Latent-Pursuit recover every layer exactly for every signal
# here: their boxes sit at the dotted line near 300 dB, the round-off of float64.
# ```

# %% tags=["hide-input"]
rows = []
for c in masks:
    for m, label in METHODS.items():
        k = int(ok[c][m].sum())
        lo, hi = wilson(k, B)
        med = float(snr[c][m][0].median())
        rows.append([c, label, f"{k} of {B}", f"{lo:.2f}-{hi:.2f}", f"{min(med, 300):.0f}"])
show_table(
    ["observed", "method", f"SNR(z) >= {cfg['success_db']:.0f} dB", "95 % Wilson", "median dB"],
    rows,
    caption="recovered latents per method and observation",
)

# %% [markdown]
# Latent-Pursuit is on par with the Oracle in all three settings, as P1 reports. At this
# scale's budget of 1,000 steps (book scale) both gradient methods miss a share of the latents (Adam
# more than momentum); how much of that is the budget is the subject of the next section. The
# grids below pick the signals by a rule, not by hand: the six with the *lowest* and the six
# with the *highest* image SNR of gradient descent.


# %% tags=["hide-input"]
def img(v):
    return v.reshape(-1, 28, 28).cpu().numpy()


def grid(c):
    order = torch.argsort(snr[c]["gd"][3])
    pick = torch.cat([order[: cfg["grid"]], order[-cfg["grid"] :]])
    rows = [img(y[pick])]
    names = ["truth"]
    if masks[c] is not None:
        m = masks[c].expand(B, n)[pick].cpu().numpy().reshape(-1, 28, 28)
        rows.append(np.where(m, rows[0], np.nan))
        names.append("observed")
    rows += [img(G(zhat[c]["gd"][pick])), img(G(zhat[c]["latent_pursuit"][pick]))]
    names += ["GD", "Latent-Pursuit"]
    # 12 columns of 0.5 in and the row labels on the left: the column's width
    fig = image_grid(np.concatenate(rows), rows=len(rows), vmin=-1, vmax=1, size=0.5)
    for r, label in enumerate(names):
        fig.axes[r * 2 * cfg["grid"]].text(-4, 14, label, ha="right", va="center", fontsize=9)
    fig.suptitle(f"{c}: GD's {cfg['grid']} worst (left) and {cfg['grid']} best (right)", fontsize=9)
    return fig


for c, key in zip(masks, ("clean", "random", "top"), strict=True):
    f = grid(c)
    glue(f"p1-trained-grid-{key}", f, display=False)
    plt.close(f)

# %% [markdown]
# ```{glue:figure} p1-trained-grid-clean
# :name: fig-p1-trained-grid-clean
# :alt: Three rows of MNIST digits: ground truth, gradient descent's reconstruction and Latent-Pursuit's, for the six worst and six best signals of gradient descent.
#
# Clean images (P1 Figs. 6-7): ground truth, gradient descent and Latent-Pursuit, for the six
# signals where gradient descent's image SNR is lowest (left) and highest (right).
# ```
#
# ```{glue:figure} p1-trained-grid-random
# :name: fig-p1-trained-grid-random
# :alt: Four rows of MNIST digits: ground truth, the observed pixels with 45 % hidden, gradient descent's and Latent-Pursuit's reconstructions.
#
# Random mask hiding 45 % of the pixels (P1 Figs. 9-10; hidden pixels white in the second row),
# same selection rule.
# ```
#
# ```{glue:figure} p1-trained-grid-top
# :name: fig-p1-trained-grid-top
# :alt: Four rows of MNIST digits: ground truth, the observation with the top 13 rows hidden, gradient descent's and Latent-Pursuit's reconstructions.
#
# Top 13 rows hidden (P1 Figs. 12-13), same selection rule.
# ```
#
# ## Why gradient descent falls short here
#
# Gradient descent minimises $\tfrac12\|M(G(z) - y)\|^2$, which is not convex in $z$. P1 reports
# that it "fails utterly" on many images. Here, look at the clean signals it does not recover:
# how well do they fit the image, do they reach the right ReLU supports, and how well
# conditioned is the generator around the truth (the Jacobian
# $J = \phi'(a)\, W_2 D_2 W_1 D_1 W_0$ on the true supports)?

# %%
from lib.methods.pursuit import effective_linear_map

c = "clean"
fail = ~ok[c]["gd"]
img_snr = snr[c]["gd"][3]
A, _ = effective_linear_map(G, fw.supports)
J = A * torch.where(fw.pre[-1].abs() <= 1, 1.0, 0.1)[:, :, None]  # PLU slope: 1 or 0.1
sv = torch.linalg.svdvals(J)
cond = (sv[:, 0] / sv[:, -1]).cpu()
f_gd = G.forward(zhat[c]["gd"])
same_S = torch.ones(B, dtype=torch.bool)
for a, b in zip(f_gd.supports, fw.supports, strict=True):
    same_S &= (a == b).all(1).cpu()

# %% tags=["hide-input"]
k_f = int(fail.sum())
print(f"GD ({steps} steps) misses {k_f} of {B} clean latents (SNR(z) < {cfg['success_db']:.0f} dB)")
if k_f:
    good_img = int((img_snr[fail] >= 30).sum())
    print(
        f"  image SNR of those: median {img_snr[fail].median():.0f} dB; >= 30 dB for "
        f"{good_img} of {k_f}"
    )
    print(
        f"  reached the true supports: {int(same_S[fail].sum())} of {k_f} "
        f"(recovered signals: {int(same_S[~fail].sum())} of {B - k_f})"
    )
    print(
        f"  condition number of J: median {cond[fail].median():.0f} (recovered signals: "
        f"{cond[~fail].median():.0f})"
    )

# %% [markdown]
# **Not reproduced: P1's gap to gradient descent.** P1 reports that gradient descent "fails
# utterly" on many images of its trained generator. Here it mostly does not: the latents it misses after 1,000 steps (book scale)
# mostly fit the image well already (the image SNR above), most of them have not yet settled
# on the true supports, and the generator is worse conditioned around them (larger
# $\mathrm{cond}(J)$). They are slow, not stuck: given P1's full 10,000 steps, gradient descent
# recovers most of the signals it recovers worst here, and a stored 10,000-step run recovers
# 502 of 512 clean latents, close to the polished Latent-Pursuit's 512 (both in
# {ref}`p1-trained-time`).
# So on *this* generator the gap P1 shows between Latent-Pursuit and gradient descent is mostly
# a matter of iterations and conditioning. Why it differs from P1 we can only guess, since P1
# gives neither its weights nor its initialisation: our generator was trained with a
# spectral-norm discriminator (P1 does too) for 400 epochs on 5,000 digits
# ({doc}`mnist_generators`), which may leave it better conditioned; P1's "gradually decays" is
# read here as halving the step every 2,000 steps; and we start from
# $z_0 \sim \mathcal N(0, I)$. What we checked before calling it a failure to reproduce: the
# gradient descent is P1's as described (momentum 0.9, step $10^{-1}$ decaying, 10,000 steps,
# the observed pixels only; the library's tests check it against a least-squares solution),
# and the same code does miss many latents at a tenth of the budget and with Adam (the table
# above), so these runs can show failures — they just do not at P1's budget. The polished
# Latent-Pursuit still wins on both counts: it recovers every latent, and much faster.
#
# ## The certificate beside every inversion
#
# Every result above carries P1's uniqueness certificate of its estimate
# (`certify(G, z, mask=...)`, {doc}`p1_invertibility`), and the certificate of the true
# latent is computed once per observation. For each condition it reports whether P1's
# conditions hold for the true $z$: Theorem 1 (its global sub-spark / sub-rank parts are not
# computable at these sizes, only bounded, so it is mostly 'undetermined'), the conditions the
# proof uses for this signal's supports ('Thm 1 (support)'), arXiv Corollary 1, ICLR Theorem 2,
# and the rank of every support-restricted matrix ('rank'). Against the outcome:

# %% tags=["hide-input"]
rows = []
for c in masks:
    cert = cert_true[c]
    for src in cert.sources:
        h = cert.holds(src)
        for word, code in (("holds", 1), ("fails", 0), ("undetermined", -1)):
            sel = h == code
            k = int(sel.sum())
            if k == 0:
                continue
            rows.append(
                [
                    c,
                    src,
                    word,
                    k,
                    f"{int(ok[c]['latent_pursuit'][sel].sum())} of {k}",
                    f"{int(ok[c]['gd'][sel].sum())} of {k}",
                ]
            )
show_table(
    ["observed", "condition (true z)", "result", "signals", "LP recovers", "GD recovers"],
    rows,
    caption="P1's uniqueness conditions for the true latent x outcome of the inversion",
)
lp_certs = {c: results[c]["latent_pursuit"] for c in masks}

# %% tags=["hide-input"]
agree_cert = {}
for c in masks:
    est = lp_certs[c]
    # the certificate of the estimate equals that of the truth where the supports agree
    same = torch.ones(B, dtype=torch.bool)
    for k in cert_true[c].conditions:
        same &= est.certificate.conditions[k] == cert_true[c].conditions[k]
    agree_cert[c] = int(same.sum())
print("certificate of the Latent-Pursuit estimate equal to that of the true z:")
print("  " + ", ".join(f"{c} {k} of {B}" for c, k in agree_cert.items()))

# %% [markdown]
# What the table says, read row by row:
#
# - The supported systems have full column rank for every signal ('rank' holds): once the
#   supports are known, $z$ is determined (the Oracle's answer is unique). This is the
#   condition Latent-Pursuit's debiasing relies on, and it holds even with the masks.
# - ICLR Theorem 2's cardinality conditions ($s_2 < m$, $s_1 < s_2$, $s_1 \ge n_0$) hold for
#   every signal in every setting. arXiv Corollary 1's factor-2 version fails for many signals
#   once pixels are hidden ($s_2$ is above half the observed pixels): a failed *sufficient*
#   condition does not predict a failed inversion — Latent-Pursuit still recovers those.
# - Gradient descent fails at least as often on the signals a condition certifies as on the
#   others (table above): its failures are optimisation failures, not signals whose latent is
#   ambiguous.
#
# (p1-trained-time)=
# ## P1's full budget, and the run time beside Latent-Pursuit (P1-gd, P1-time)
#
# P1 gives gradient descent 10,000 steps. We give them to the 8 clean signals that
# gradient descent recovers worst at this scale's budget (lowest SNR of $z$ above), from the
# same starting points, with P1's schedule (step $10^{-1}$ halved every 2,000 steps), and time
# them beside Latent-Pursuit on the same signals, in the same run, on the same machine (one
# CPU thread): Latent-Pursuit with the paper's iterations alone (`polish=False`: FISTA and
# linearized ADMM, up to 5,000 iterations per stage, each stage stopping on its own tolerance)
# and the polished engine. Gradient descent runs all 10,000 steps in float32 (as above, and as
# on a GPU), Latent-Pursuit in float64, which favours gradient descent on a CPU.
#
# P1 reports seconds on its GPU: about 75 s for 512 Latent-Pursuit inversions and about 30 s
# for gradient descent. Seconds on another machine do not compare; the *ratio* of two methods
# timed side by side does, and P1's is $75 / 30 = 2.5$: Latent-Pursuit the slower.

# %%
n_long, long_steps = cfg["long_signals"], cfg["long_gd_steps"]
hard = torch.argsort(snr["clean"]["gd"][0])[:n_long]  # GD's lowest SNR(z) at gd_steps
# the starting points of the gradient run above (its first B rows are the clean signals)
z0 = torch.randn(
    len(masks) * B, G.dims[0], generator=torch.Generator().manual_seed(cfg["seed"] + 2)
)
y_hard = y[hard.to(y.device)]


def timed(run):
    """(result, wall seconds) of ``run()``."""
    t0 = time.perf_counter()
    out = run()
    return out, time.perf_counter() - t0


gd_long, t_gd = timed(
    lambda: gradient_descent(
        G32,
        y_hard.float(),
        z0=z0[hard].to(DEVICE),
        optimizer="momentum",
        lr=cfg["gd_lr"],
        momentum=cfg["gd_momentum"],
        max_iter=long_steps,
        decay=cfg["gd_decay"],
        decay_every=long_steps // 5,
        tol=0.0,  # all of P1's 10,000 steps
    )
)
lp_paper, t_lp_paper = timed(lambda: latent_pursuit(G, y_hard, rho=cfg["rho"], polish=False))
lp_fast, t_lp_fast = timed(lambda: latent_pursuit(G, y_hard, rho=cfg["rho"]))
ratio_paper, ratio_fast = t_lp_paper / t_gd, t_lp_fast / t_gd


def n_rec(z_hat):
    """How many of the hard signals are recovered (SNR(z) >= success_db)."""
    return int((snr_db(z[hard.to(z.device)], z_hat.double()) >= cfg["success_db"]).sum())


rec_short, rec_long = n_rec(zhat["clean"]["gd"][hard.to(DEVICE)]), n_rec(gd_long.z)
rec_lp_paper, rec_lp_fast = n_rec(lp_paper.z), n_rec(lp_fast.z)

# %% tags=["hide-input"]
print(
    f"the {n_long} clean signals GD recovers worst at {steps} steps; recovered (SNR(z) >= "
    f"{cfg['success_db']:.0f} dB):"
)
print(f"  GD, {steps} steps (above)            : {rec_short} of {n_long}")
print(f"  GD, P1's {long_steps} steps, same starts : {rec_long} of {n_long}")
print(f"  Latent-Pursuit, paper's iterations  : {rec_lp_paper} of {n_long}")
print(f"  Latent-Pursuit, polished            : {rec_lp_fast} of {n_long}")
its = {k: int(v.max()) for k, v in lp_paper.stage_iterations.items()}
print("  paper's iterations, most per stage  : " + ", ".join(f"{k} {v}" for k, v in its.items()))

# %% tags=["hide-input", "nbval-ignore-output"]
print(f"seconds for the {n_long} signals, one CPU thread, this run:")
print(f"  GD, {long_steps} steps (float32)        : {t_gd:6.2f}")
print(f"  Latent-Pursuit, paper's iterations  : {t_lp_paper:6.2f}   ratio to GD {ratio_paper:.2f}")
print(f"  Latent-Pursuit, polished            : {t_lp_fast:6.2f}   ratio to GD {ratio_fast:.3f}")
print("P1 (1080Ti, 512 signals): Latent-Pursuit 75 s, GD 30 s, ratio 2.5")
glue("p1t-ratio-paper", f"{ratio_paper:.2f}", display=False)
glue("p1t-ratio-fast", f"{ratio_fast:.3f}", display=False)

# %% [markdown]
# Side by side on the same signals, Latent-Pursuit with the paper's iterations took
# {glue:text}`p1t-ratio-paper` times as long as gradient descent's 10,000 steps, and the
# polished engine {glue:text}`p1t-ratio-fast` times as long; in P1 the ratio is
# $75 / 30 = 2.5$, Latent-Pursuit the slower. On a CPU the order reverses: each
# Latent-Pursuit iteration multiplies by one layer's matrix, each gradient step runs the whole
# network forward and backward, and a GPU hides the cost of many small steps better than it
# hides the per-stage work of Latent-Pursuit. The ratio is a property of the hardware as much
# as of the methods, and no GPU was available to measure P1's (the verdict below is "not
# reproduced").
#
# `benchmarks/p1_trained.py` runs the same comparison on 512 clean signals and stores it in
# `benchmarks/p1_trained.json` (`python benchmarks/p1_trained.py --threads 1 --out
# benchmarks/p1_trained.json` measures your machine). It was made on a 2-core CPU with one
# torch thread, with gradient descent in float64 and stopped at a gradient norm of $10^{-9}$. Its numbers are
# quoted here as stored:

# %% tags=["hide-input"]
bench = stored_run("p1_trained")
paper = bench["paper_gpu_1080ti"]
rows = []
for key, label, ref in (
    ("latent_pursuit", "Latent-Pursuit (float64, polished)", paper["latent_pursuit_s"]),
    ("latent_pursuit_float32", "Latent-Pursuit (float32, polished)", paper["latent_pursuit_s"]),
    ("latent_pursuit_reference", "Latent-Pursuit (paper's iterations)", paper["latent_pursuit_s"]),
    ("oracle", "Oracle", None),
    ("gd_momentum", f"GD, momentum, {bench['gd_momentum']['steps']} steps", paper["gd_s"]),
):
    if key not in bench:
        continue
    r = bench[key]
    rows.append(
        [
            label,
            f"{r['seconds']:.1f}",
            "" if ref is None else f"{ref}",
            f"{r['median_snr_z_db']:.0f}",
            f"{r['recovered']} of {bench['signals']}",
        ]
    )
show_table(
    ["method", "seconds (stored)", "paper (1080Ti)", "median SNR(z) dB", "SNR(z) >= 40 dB"],
    rows,
    caption=f"stored run: {bench['signals']} clean signals, {bench['device_name']}, "
    f"{bench['torch_threads']} torch thread",
)
gd10k, lp_b = bench["gd_momentum"], bench["latent_pursuit"]
lp_ref_b = bench["latent_pursuit_reference"]
print(
    f"stored time ratios to GD: Latent-Pursuit with the paper's iterations "
    f"{lp_ref_b['seconds'] / gd10k['seconds']:.2f}, polished "
    f"{lp_b['seconds'] / gd10k['seconds']:.4f} (P1: 2.5)"
)

# %% [markdown]
# In the stored run the paper's iterations alone take minutes on one CPU thread and still
# stop at their 5,000-iteration budget in some stage for a third of the signals (the
# middle-layer ADMM with $\rho = 10^{-2}$ is the slowest), losing a few latents — gradient
# descent's 10,000 steps recover a few more. The polished engine gets every latent in a few
# seconds: on this generator every stage's problem is over-determined on its support
# ($s_2 \approx 208 < 784$ pixels, $s_1 \approx 59 < s_2$, $n_0 = 20 < s_1$), so the exact
# least-squares solve on the support passes each stage's optimality test at iteration 0 for
# almost every signal. What limits it then is dense linear algebra — the Gram matrices of the
# supported layers (per signal when the mask differs per image, which makes the random-mask
# case several times slower) and the debiasing through the whole network. The float32 run is
# faster still and recovers every latent, its SNR capped near 130 dB by float32's precision
# (tolerances and the support threshold follow the dtype: $100\,\varepsilon$). How the engine
# is made fast is in {ref}`notes-p1-speed`.
#
# ## Summary
#
# On P1's trained MNIST generator, Latent-Pursuit recovers the latent, every hidden layer and
# the image as well as the Oracle does, clean or with 45 % of the pixels or the top 13 rows
# hidden. Gradient descent with P1's settings misses a share of the latents at a short budget,
# but — unlike in P1 — with the full 10,000 steps it recovers nearly all clean latents here:
# its failures are slow convergence in badly conditioned directions, not wrong images. P1's
# uniqueness conditions that are computable at these sizes hold for every signal (the support
# ranks, ICLR Theorem 2); the arXiv factor-2 condition fails with masks without hurting
# recovery.
#
# ## Exercises
#
# ```{exercise}
# :label: ex-p1-trained-1
#
# Hide more rows: observe only the bottom 10 rows (280 pixels). Which of P1's conditions fail
# for the true latents, and what happens to Latent-Pursuit?
# ```
#
# ```{solution} ex-p1-trained-1
# :class: dropdown
#
# With 280 observed pixels and $s_2 \approx 208$, ICLR Theorem 2's $s_2 < m$ still holds, but
# the last layer has 392 unknowns and only 280 equations: $W_2^M$ no longer has full column
# rank, the polish at iteration 0 is rejected, FISTA must find the sparse $x_2$ itself, and
# the rank condition on the support decides whether the supported system is still determined
# ($\mathrm{rank}\, W_2^M[:, S_2] = s_2$ needs $s_2 \le 280$ and rows in general position).
# Run `certify(G, z, mask=band_mask((1, 28, 28), 10 / 28, "bottom"))` and compare.
# ```
#
# ```{exercise}
# :label: ex-p1-trained-2
#
# Give gradient descent ten random restarts per signal (keep the run with the smallest data
# fit). How much of the gap to Latent-Pursuit closes?
# ```
#
# ```{solution} ex-p1-trained-2
# :class: dropdown
#
# Little: the misses are mostly slow convergence, not bad starts (see above), so restarts buy
# less than a longer run, and each costs a full run. A larger budget (the stored 10,000-step
# run) closes most of the gap; Latent-Pursuit needs neither.
# ```
#
# ## Claims


# %% tags=["hide-input"]
def rate(c, m):
    return int(ok[c][m].sum()) / B


def med_z(c, m):
    return float(snr[c][m][0].median())


claims = Claims("p1_trained")
stored_gd = f"stored 10,000-step run, 512 clean signals: GD {gd10k['recovered']}, Latent-Pursuit "
stored_gd += f"{lp_b['recovered']} (paper's iterations alone {lp_ref_b['recovered']})"
lp_on_par = {c: rate(c, "latent_pursuit") >= rate(c, "oracle") - 0.02 for c in masks}
lp_above_gd = {  # at this scale's budget, the 95 % intervals separate LP from both GD and Adam
    c: wilson(int(ok[c]["latent_pursuit"].sum()), B)[0]
    > max(wilson(int(ok[c][m].sum()), B)[1] for m in ("gd", "adam"))
    for c in masks
}
long_gd = f"P1's 10,000 steps on the {n_long} it recovers worst: {rec_long} of {n_long}"


def at_budget(c):
    return (
        f"{c}, {B} signals, SNR(z) >= {cfg['success_db']:.0f} dB: Oracle {rate(c, 'oracle'):.0%}, "
        f"Latent-Pursuit {rate(c, 'latent_pursuit'):.0%}, GD {rate(c, 'gd'):.0%}, Adam "
        f"{rate(c, 'adam'):.0%} ({steps} steps)"
    )


claims.add(
    "P1-fig5",
    # what the book measures: LP on par with the Oracle; GD's misses at a short budget are
    # mostly recovered by P1's full budget (slow, not stuck)
    passed=lp_on_par["clean"] and lp_above_gd["clean"] and rec_long >= n_long / 2,
    measured=f"{at_budget('clean')}; GD, {long_gd}; {stored_gd}",
    paper="Fig. 5: Latent-Pursuit on par with the Oracle, far above gradient descent, which "
    '"fails utterly" in many experiments',
    status="not reproduced",
    difference="Latent-Pursuit is on par with the Oracle, but with P1's 10,000 steps gradient "
    "descent does not fail utterly here: it recovers most of the latents it misses at a short "
    "budget (and 502 of 512 in the stored run), so Latent-Pursuit is not far above it; most "
    "likely cause: this book's generator (P1's weights are not published) and P1's unstated "
    "step decay and initialisation, which leave gradient descent slow, not stuck.",
    short=f"LP {rate('clean', 'latent_pursuit'):.0%} = Oracle; GD {rate('clean', 'gd'):.0%} at "
    f"{steps} steps, {rec_long}/{n_long} of its worst at 10,000",
)
for target, c, fig in (("P1-fig8", "random 45 %", "8"), ("P1-fig11", "top 13 rows", "11")):
    claims.add(
        target,
        passed=lp_on_par[c] and lp_above_gd[c],
        measured=at_budget(c),
        paper=f"Fig. {fig}: Latent-Pursuit on par with the Oracle, far above gradient descent",
        status="reproduced with a difference",
        difference=f"Gradient descent is measured at {steps} steps, not P1's 10,000: on clean "
        "images the full budget recovers most of what it misses at a short one (P1-fig5), so "
        "at P1's budget the gap is probably smaller than here.",
        short=f"LP {rate(c, 'latent_pursuit'):.0%} = Oracle; GD {rate(c, 'gd'):.0%} "
        f"({steps} steps)",
    )
claims.add(
    "P1-gd",
    # P1's schedule runs its full budget here and recovers at least what a shorter run does
    passed=int(gd_long.iterations.max()) == long_steps == 10_000 and rec_long >= rec_short,
    measured=f"trained net: momentum 0.9, step 0.1 halved every 2,000 steps, 10,000 steps, "
    f"z0 ~ N(0, I), in this run on the {n_long} clean signals GD recovers worst at {steps} "
    f"steps: {rec_long} of {n_long} recovered ({steps} steps: {rec_short})",
    paper="GD with momentum 0.9, step 1e-1 decaying, 10,000 iterations on the trained net",
    status="reproduced with a difference",
    difference="P1 does not say how its step 'gradually decays' nor how z0 is drawn: read as "
    "halving the step every 2,000 steps from z0 ~ N(0, I).",
    short=f"trained net: {rec_long}/{n_long} of GD's worst recovered at 10,000 steps",
)
claims.add(
    "P1-time",
    # the ratio of two methods timed side by side; wide margins (the seconds vary with the load)
    passed=ratio_paper < 1 and ratio_fast < 0.05 and rec_lp_fast == n_long,
    measured=f"same {n_long} clean signals, same run, one CPU thread: Latent-Pursuit with the "
    "paper's iterations takes less time than GD's 10,000 steps (ratio below 1), polished less "
    "than a twentieth (seconds and ratios printed in the chapter); stored 512-signal run: "
    f"Latent-Pursuit {lp_ref_b['seconds']:.0f} s (paper's iterations), {lp_b['seconds']:.1f} s "
    f"(polished), GD {gd10k['seconds']:.0f} s",
    paper="1080Ti GPU, 512 signals: Latent-Pursuit ~75 s, GD ~30 s (ratio 2.5)",
    status="not reproduced",
    difference="On this CPU Latent-Pursuit with the paper's iterations is faster than P1's "
    "10,000 gradient steps (time ratio below 1, P1: 2.5 on a 1080Ti); the ratio depends on the "
    "hardware and no GPU is available here: each Latent-Pursuit iteration multiplies by one "
    "layer's matrix, each gradient step runs the whole network forward and backward.",
    short="LP / GD time ratio < 1 on a CPU (P1: 2.5 on a GPU)",
)


def count(src, code):
    return sum(int((cert_true[c].holds(src) == code).sum()) for c in masks)


cor_fail = sum(
    int(ok[c]["latent_pursuit"][cert_true[c].holds("arXiv Cor 1") == 0].sum()) for c in masks
)
certified = {c: cert_true[c].holds("rank") == 1 for c in masks}
lp_on_cert = all(bool(ok[c]["latent_pursuit"][certified[c]].float().mean() >= 0.95) for c in masks)
attached = all(len(results[c]["latent_pursuit"].certificate) == B for c in masks)
claims.add(
    "X-cert",
    passed=attached and lp_on_cert and count("rank", 1) > 0,
    measured=f"certificate of the true z and of every estimate, 3 observations x {B} signals: "
    f"support ranks hold for {count('rank', 1)} of {3 * B}, ICLR Thm 2 for "
    f"{count('ICLR Thm 2', 1)}, global Thm 1 undetermined (bounds only) for "
    f"{count('Thm 1', -1)}; arXiv Cor 1 fails for {count('arXiv Cor 1', 0)}, of which "
    f"Latent-Pursuit recovers {cor_fail}",
    paper="per-layer cardinalities against Thm 1 / Cor 1 / ICLR Thm 2 beside every inversion",
    short=f"certificate beside all {3 * B} inversions; support ranks hold for "
    f"{count('rank', 1)}",
)
assert not (failed := claims.report()), f"claims that did not hold: {failed}"
