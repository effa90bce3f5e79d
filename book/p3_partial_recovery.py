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
# (p3-partial-recovery)=
# # Recovery from partial measurements
#
# **What you will learn.** How much expansion and how many observed pixels gradient descent
# needs to recover the latent of a random convolutional generator, and why the pattern of the
# observed pixels matters as much as their number. **Paper:** {cite}`ma2018` Sec. 3 and 4.2
# (targets **P3-thm1**, **P3-phase**, **P3-conj3**, **P3-multi**). **Read first:**
# {ref}`p3-conv-matrices` (the theorem) and {ref}`p3-landscapes` (what the cost looks like);
# {ref}`p3-trained` applies the same algorithm to a trained generator.
#
# {prf:ref}`p3-conv-matrices-thm1` and {prf:ref}`p3-landscapes-thm4` {cite}`ma2018` say that gradient descent on
#
# $$J(z) = \tfrac12 \| A\,G(z^\star) - A\, G(z) \|_2^2$$
#
# recovers the latent $z^\star$ of a random, sufficiently expansive two-layer ReLU network of
# transposed convolutions, even when $A$ keeps only a fraction $r$ of the output pixels. The paper
# states three further observations without a figure (P3 Sec. 3 and 4.2):
#
# 1. the probability of exact recovery shows a **phase transition** in the sampling rate $r$;
# 2. **spatially spread** masks (uniform random pixels) need a lower $r$ than aggressive ones
#    (top / bottom / left / right part of the image);
# 3. the same holds for sub-Gaussian weights (uniform, $\pm 1$: P3 Conjecture 3), for deeper
#    networks and for other activations (LeakyReLU, sigmoid, tanh).
#
# This chapter measures all of them: recovery probability over many random networks and latents,
# as a function of expansion and of $r$, and prints the transition points.

# %% tags=["hide-input"]
# Setup: on Colab, install the book's `lib` package (Colab's own torch is kept) and use the GPU.
import sys

if "google.colab" in sys.modules:
    import subprocess

    url = "git+https://github.com/inverting-generative-models/inversion-book"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", url], check=True)

from lib.book import setup_notebook

DEVICE = setup_notebook("p3_partial_recovery")

# %% tags=["hide-input"]
import math

import matplotlib.pyplot as plt
import numpy as np
import torch
from myst_nb import glue

from lib.book import experiments, plotting
from lib.book.experiments import settings
from lib.book.scorecard import Claims
from lib.core import convnet as conv
from lib.core import metrics
from lib.core import observation as measurements
from lib.core.metrics import bootstrap_interval, wilson_interval
from lib.theory import landscapes

S = settings("p3_partial_recovery")
T, rates, seed = S["trials"], S["rates"], S["seed"]
rec = dict(optimizer=S["optimizer"], lr=S["lr"], max_iter=S["steps"])
print(f"{T} random networks (each with its own latent z* ~ N(0, I)) per point")
print(f"{S['optimizer']}, learning rate {S['lr']}, {S['steps']} steps")
print(f"recovered when ||z - z*|| / ||z*|| < {S['success_tol']:g}")


def wilson_row(n):  # the 95 % Wilson interval of every count k of n
    cis = (wilson_interval(k, n) for k in range(n + 1))
    return f"95 % Wilson intervals, k of {n}: " + ", ".join(
        f"{k}: [{lo:.2f}, {hi:.2f}]" for k, (lo, hi) in enumerate(cis)
    )

# %% [markdown]
# **Method.** For every point of a sweep we draw $T$ independent networks and latents, observe
# $y = A G(z^\star)$ through a mask with sampling rate $r$, and run the following algorithm.
#
# ```{prf:algorithm} P3 Sec. 4.3 and the authors' code (latent recovery with the negation restart)
# :label: p3-alg-recovery
#
# **Inputs** generator $G$, observations $y = A G(z^\star)$ (mask $A$), learning rate $\eta$,
# budget $N$, tolerance $\tau$.
#
# 1. Draw $z_0 \sim \mathcal{N}(0, I)$ and run Adam with learning rate $\eta$ for $N$ steps on
#    $J(z) = \tfrac12 \|A (G(z) - y)\|_2^2$ (P3 Eq. 3); call the end point $z_1$.
# 2. If the relative residual $\|A(G(z_1) - y)\| / \|A y\| \le \tau$, return $z_1$.
# 3. Otherwise (a possible stall near $-\rho z^\star$, {prf:ref}`p3-conv-matrices-thm1`) run
#    Adam again from $-z_1$ for $N$ steps, to $z_2$, and return the one of $z_1, z_2$ with the
#    lower $J$.
#
# Settings run in this book: $\eta = 0.1$ and Adam as in P3 Sec. 4.3, $\tau = 10^{-4}$; here
# $N = 500$ at book scale, 1000 at paper scale; in {ref}`p3-trained` $N = 500$ (P3: "usually
# converges within 500 iterations") at both scales. `lib.methods.recovery.recover`.
# ```
#
# The restart is the authors' code's (and that of {cite:t}`hand2018global`) answer to the stationary point
# that the theorem cannot exclude. A trial counts as *recovered* when the relative latent error
# is below $10^{-3}$; failures are not borderline (errors are either $\lesssim 10^{-6}$ or of
# order 1). All trials of a sweep run in one batch, each row through its own network
# (`lib.book.experiments.recovery_sweep`). The sweeps of different networks are independent:
# `lib.book.experiments.recovery_sweeps` runs a list of them, one after the other or, given an
# `executor=` (a local process pool, or a Dask or Ray cluster's), side by side with the same
# results.
#
# ## Expansion: the setting of Theorem 1
#
# Theorem 1 assumes stride = kernel size $l$ and weights $\mathcal{N}(0, 1/(C_i l))$ and asks for
# expansion $C_1 l \gtrsim C_0 \log C_0$, $C_2 l \gtrsim C_1 \log C_1$. We take a latent of
# $C_0 = 8$ channels on a single pixel, two transposed convolutions with kernel = stride = 2
# ($l = 4$ taps) and $C_1 = C_2 = c$ channels, so $n_0 = 8$, $n_1 = 4c$, $n_2 = 16c$: the first layer
# expands by $n_1 / n_0 = c/2$, the second by 4. Uniform random masks at $r = 1/4, 1/2, 1$.

# %%
thm_c, thm_rates = S["thm_c"], S["thm_rates"]
thm_points = []  # one independent sweep per c: its networks, latents and seeds
for i, c in enumerate(thm_c):
    G = conv.ConvGenerator.random(
        [8, c, c],
        in_size=(1, 1),
        kernel=2,
        stride=2,
        seed=seed + i,
        n_networks=S["thm_trials"],
        device=DEVICE,
    )
    z_star = G.sample_latent(S["thm_trials"], seed=seed + 100 + i)
    thm_points.append(
        dict(
            G=G,
            z_star=z_star,
            kinds=["random"],
            rates=thm_rates,
            seed=seed + 200 + i,
            tol=S["success_tol"],
            **rec,
        )
    )
thm_sweeps = dict(zip(thm_c, experiments.recovery_sweeps(thm_points), strict=True))
thm_prob = np.array([sw.prob[0].numpy() for sw in thm_sweeps.values()])
thm_k = {c: sw.success[:, 0].sum(0).tolist() for c, sw in thm_sweeps.items()}  # counts per rate
n_thm = S["thm_trials"]
print(f"recovered, k of {n_thm} networks; rows: C_1 = C_2 = c (n_1/n_0 = c/2)")
print(f"{'c':>3} {'n1/n0':>6} " + " ".join(f"r={r:<5}" for r in thm_rates))
for c in thm_c:
    print(f"{c:>3} {c / 2:>6.1f} " + " ".join(f"{f'{k}/{n_thm}':<7}" for k in thm_k[c]))
print(plotting.wrap(wilson_row(n_thm)))
thm_restarts = sum(int(sw.restarted.sum()) for sw in thm_sweeps.values())
thm_rescued = sum(int(sw.rescued.sum()) for sw in thm_sweeps.values())
print(
    f"negation restart: {thm_restarts} runs restarted; {thm_rescued} recovered z* only thanks to it"
)

# %% [markdown]
# Recovery needs expansion. With $n_1 / n_0 \le 1.5$ the ReLU zeroes about half of the few hidden
# units and $z^\star$ is lost in every trial, even from the full output; at $n_1 / n_0 = 2$
# ($C_1 l = 16$) recovery is rare; from $n_1 / n_0 = 6$ on gradient descent recovers $z^\star$ in
# (nearly) every trial, also from a quarter of the output. Recovery starts where Theorem 1
# puts the threshold, up to its unspecified constant: $C_1 l \gtrsim C_0 \log C_0 = 8 \ln 8
# \approx 17$, i.e. $n_1 / n_0 \gtrsim 2$, and is nearly certain from about three times that.
# Sub-sampling moves the expansion needed upwards, as the factor $r$ in
# Theorem 4's dimension condition says.
#
# ## The phase transition in $r$, and mask patterns
#
# Now the paper's Sec. 4.2 network: transposed convolutions to 16 channels then to 1 channel,
# kernel 5, stride 3 (patches overlap), ReLU after both, weights $\mathcal{N}(0, 1/(C_i l))$. To
# give the image a spatial structure for the half-image masks to cut, the latent is a
# $2 \times 2$ map of 2 channels ($n_0 = 8$), so the output is a $26 \times 26$ image. Masks: uniform
# random pixels at rate $r$, and the top / bottom / left / right band of $\mathrm{round}(r \cdot 26)$
# rows or columns ($r = 1/2$: the paper's half masks).

# %%
kinds = measurements.MASK_KINDS
arch = dict(
    in_size=S["phase_in_size"], kernel=S["kernel"], stride=S["stride"], n_networks=T, device=DEVICE
)
G = conv.ConvGenerator.random(S["phase_channels"], seed=seed + 10, **arch)
z_star = G.sample_latent(T, seed=seed + 11)
print(f"network: latent {G.in_shape}, hidden {G.shapes[1]}, output {G.out_shape}: n = {G.dims}")
phase = experiments.recovery_sweep(
    G, z_star, kinds=kinds, rates=rates, seed=seed + 12, tol=S["success_tol"], **rec
)


def r50(sw, i=0):
    """r at 50 % recovery and its 95 % bootstrap interval over the networks (rows)."""
    succ = sw.success[:, i].double().numpy()  # (networks, rates)
    point = landscapes.transition_point(rates, succ.mean(0))
    lo, hi = bootstrap_interval(lambda t: landscapes.transition_point(rates, t.mean(0)), succ, seed=seed)
    return point, lo, hi


def show_r(v):  # a rate read off the grid, to two significant digits
    if math.isinf(v) or math.isnan(v):
        return f"> {rates[-1]:g}"
    return ("<= " if v == rates[0] else "") + f"{v:.2g}"


def show_r50(t):
    return f"{show_r(t[0])} [{show_r(t[1])}, {show_r(t[2])}]"


def counts_row(sw, i=0):
    return [f"{k}/{sw.success.shape[0]}" for k in sw.success[:, i].sum(0).tolist()]


r50_phase = {k: r50(phase, i) for i, k in enumerate(kinds)}
plotting.show_table(
    ["mask", *[f"{r:g}" for r in rates], "r at 50 % [95 %]"],
    [[k, *counts_row(phase, i), show_r50(r50_phase[k])] for i, k in enumerate(kinds)],
    caption=f"recovered, k of {T} networks per sampling rate r; r at 50 %: linear interpolation "
    "on the grid, interval: bootstrap over the networks",
)
print(plotting.wrap(wilson_row(T)))

# %% [markdown]
# ## Sub-Gaussian weights (Conjecture 3), depth and activations
#
# ```{prf:conjecture} P3 Conjecture 3 (sub-Gaussian weights)
# :label: p3-partial-recovery-conj3
#
# Under the assumptions of {prf:ref}`p3-conv-matrices-thm1`, let the network weights follow any zero-mean
# sub-Gaussian distribution, $P(|x| > t) \le c\, e^{-\gamma t^2}$ for all $t > 0$, instead of the
# Gaussian. Then with high probability the same conclusion holds.
# ```
#
# We rerun the random-mask sweep with uniform weights $U(-\sqrt3 \sigma, \sqrt3 \sigma)$ and
# Rademacher weights $\pm \sigma$ (the same variance $\sigma^2 = 1/(C_i l)$); with LeakyReLU (slope
# 0.2), sigmoid and tanh after both layers; and with 3- and 4-layer ReLU networks of a different
# kernel and stride (kernel 4, stride 2, padding 1, as in DCGAN: channels 2-8-4-1 and 2-8-4-2-1,
# a $16 \times 16$ and a $32 \times 32$ output).

# %%
variants = {
    "gaussian": None,  # the random-mask row of the sweep above
    "uniform": dict(channels=S["phase_channels"], dist="uniform"),
    "rademacher": dict(channels=S["phase_channels"], dist="rademacher"),
    "leaky_relu": dict(channels=S["phase_channels"], hidden="leaky_relu"),
    "sigmoid": dict(channels=S["phase_channels"], hidden="sigmoid"),
    "tanh": dict(channels=S["phase_channels"], hidden="tanh"),
    "3 layers": dict(channels=(2, 8, 4, 1), kernel=4, stride=2, padding=1),
    "4 layers": dict(channels=(2, 8, 4, 2, 1), kernel=4, stride=2, padding=1),
}
var_points = {}
for j, (name, v) in enumerate(variants.items()):
    if v is None:
        continue
    a = dict(arch, **{k: val for k, val in v.items() if k != "channels"})
    Gv = conv.ConvGenerator.random(v["channels"], seed=seed + 20 + j, **a)
    zv = Gv.sample_latent(T, seed=seed + 40 + j)
    var_points[name] = dict(
        G=Gv,
        z_star=zv,
        kinds=["random"],
        rates=rates,
        seed=seed + 60 + j,
        tol=S["success_tol"],
        **rec,
    )
    print(f"{name:<11} output {Gv.out_shape}")
var_sweeps = experiments.recovery_sweeps(var_points.values())
sweeps = {"gaussian": phase, **dict(zip(var_points, var_sweeps, strict=True))}
r50_var = {name: r50(sw) for name, sw in sweeps.items()}
plotting.show_table(
    ["variant", *[f"{r:g}" for r in rates], "r at 50 % [95 %]"],
    [[name, *counts_row(sw), show_r50(r50_var[name])] for name, sw in sweeps.items()],
    caption=f"random masks: recovered, k of {T} networks per sampling rate r",
)


# %% tags=["hide-input"]
def wilson_bars(prob, n):
    """Error bars (below, above) of rates prob measured on n trials each."""
    k = np.rint(np.asarray(prob, dtype=float) * n).astype(int)
    lo, hi = np.array([metrics.wilson_interval(int(v), n) for v in k]).T
    return [np.asarray(prob) - lo, hi - np.asarray(prob)]


fig, axd = plt.subplot_mosaic(
    [["a", "b"], ["c", "c"]], figsize=(plotting.COLUMN_WIDTH, 7.0), layout="constrained"
)


def legend_under(ax, ncols):
    """The panel's legend under its axes, off the data."""
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncols=ncols)


ax = axd["a"]
for j, r in enumerate(thm_rates):
    ax.errorbar(
        [c / 2 for c in thm_c],
        thm_prob[:, j],
        yerr=wilson_bars(thm_prob[:, j], S["thm_trials"]),
        fmt="o-",
        ms=4,
        capsize=2,
        elinewidth=0.7,
        label=f"r = {r}",
    )
ax.set_xlabel("first-layer expansion $n_1 / n_0$")
ax.set_ylabel("recovery rate")
ax.set_title(f"(a) expansion ({S['thm_trials']} nets/point)")
legend_under(ax, 3)
ax = axd["b"]
# random pixels with their 95 % intervals; the four half-image masks, which succeed at nearly the
# same rates, as one band (lowest to highest of the four) around their mean
i_rand = kinds.index("random")
p_rand = phase.prob[i_rand].numpy()
ax.errorbar(rates, p_rand, yerr=wilson_bars(p_rand, T), fmt="k-", marker="o", ms=4, capsize=2,
            elinewidth=0.6, label="random pixels")
halves = np.stack([phase.prob[i].numpy() for i, k in enumerate(kinds) if k != "random"])
ax.fill_between(rates, halves.min(0), halves.max(0), color="C0", alpha=0.3, lw=0,
                label="half images: range of 4")
ax.plot(rates, halves.mean(0), "C0--", marker="s", ms=3, label="half images: mean")
ax.set_xscale("log")
ax.set_xlabel("sampling rate r")
ax.set_title(f"(b) mask patterns ({T} nets/point)")
legend_under(ax, 1)
ax = axd["c"]
for name, sw in sweeps.items():
    ls = "-" if name in ("gaussian", "uniform", "rademacher") else "--"
    ax.plot(rates, sw.prob[0], ls, marker="o", ms=4, label=name)
ax.set_xscale("log")
ax.set_ylabel("recovery rate")
ax.set_xlabel("sampling rate r, uniform random masks")
ax.set_title("(c) weights, activations, depth")
legend_under(ax, 4)
for ax in axd.values():
    ax.set_ylim(-0.03, 1.03)
glue("p3-partial-recovery-rates", fig, display=False)
plt.close(fig)

# %% [markdown]
# ```{glue:figure} p3-partial-recovery-rates
# :name: fig-p3-partial-recovery-rates
# :alt: Three panels of the recovery rate against the sampling rate r: (a) for several expansions, (b) for random pixels, with error bars, and the four half-image masks as one shaded band, (c) for other weight distributions, activations and depths; the rates rise from 0 to 1 over a narrow range of r.
#
# Recovery rate of {prf:ref}`p3-alg-recovery` on random networks (the tables above; no figure of
# P3 shows these, they test P3 Thm. 1/4, Sec. 3 and Conj. 3). (a) Expansion, the setting of
# Theorem 1: kernel = stride = 2, $C_0 = 8$ latent channels, $C_1 = C_2 = c$, so that the
# first layer expands by $n_1 / n_0 = c/2$ and the second by 4; 16 networks per point. (b) Mask
# patterns on the Sec. 4.2 network (16 then 1 channel, kernel 5, stride 3,
# $2 \times 2 \times 2$ latent, $26 \times 26$ output), 8 networks per point: random pixels
# with error bars, and the four half-image masks (top, bottom, left, right), which succeed at
# nearly the same rates, as one band from the lowest to the highest of the four with their
# mean dashed (each mask's rates are in the table above). (c) Other weight
# distributions, activations and depths, random masks, 8 networks per point (error bars omitted;
# with 8 trials a rate of 4 of 8 has the 95 % interval 0.22-0.78). Error bars: 95 % Wilson
# intervals. Adam, learning rate 0.1, 500 steps, one negation restart; book scale (paper scale:
# 100 networks per point, 1000 steps), seed 2018.
# ```

# %% [markdown]
# ## Was the negation restart needed?

# %%
all_sweeps = dict(sweeps, **{f"thm c={c}": sw for c, sw in thm_sweeps.items()})
n_runs = sum(sw.success.numel() for sw in all_sweeps.values())
n_restart = sum(int(sw.restarted.sum()) for sw in all_sweeps.values())
n_rescued = sum(int(sw.rescued.sum()) for sw in all_sweeps.values())
fails = torch.cat([sw.first_cos[sw.restarted] for sw in all_sweeps.values()])
resc = torch.cat([sw.first_cos[sw.rescued] for sw in all_sweeps.values()])
print(
    plotting.wrap(
        f"{n_runs} recoveries; the first run ended with a relative residual above 1e-4 in "
        f"{n_restart}; {n_rescued} of them recovered z* only thanks to the restart from -z "
        f"({n_rescued / n_runs:.1%} of all runs)"
    )
)
print(
    plotting.wrap(
        f"cosine(first end point, z*): restarted runs median {fails.median():.2f}; "
        f"rescued runs median {resc.median():.2f}, {int((resc < 0).sum())} of {len(resc)} "
        "negative"
    )
)
for name, sw in all_sweeps.items():
    if int(sw.rescued.sum()):
        print(f"  {name}: {int(sw.rescued.sum())} rescued")

# %% [markdown]
# So the restart **was needed, but rarely**: in about 2 % of all runs gradient descent (Adam) from
# a random start stopped away from $z^\star$ in a case where $z^\star$ was recoverable, and
# restarting from the negated end point found it. Only some of those first end points point away
# from $z^\star$ (negative cosine, the $-\rho z^\star$ region of {prf:ref}`p3-conv-matrices-thm1`);
# the others are other stalls (flat ReLU pieces, slow progress within the budget), for which the
# restart simply acts as a second start. Most restarted runs are in the regimes where recovery is
# impossible (too few pixels, too little expansion), and there the restart cannot help.
# The paper reports never observing convergence to a point other than $z^\star$ (with its own
# optimiser and budgets); we see it occasionally, always cured by one restart.
#
# ## Reading the results
#
# - **Phase transition.** For every mask pattern the recovery probability jumps from near 0 to
#   near 1 over a narrow range of $r$ (note the log scale): below it the observed pixels do not
#   determine $z^\star$, above it gradient descent finds $z^\star$ essentially always, from a random
#   start, despite the non-convexity.
# - **Spread beats aggressive masks.** Uniform random pixels need only a few percent of the
#   $26 \times 26$ output ($r \approx 0.05$, some 30 pixels for $n_0 = 8$ unknowns), while the band
#   masks need $r \approx 0.35$-0.4, seven times more: a band that misses the patches of a latent
#   pixel observes nothing of it, whatever the number of pixels it keeps. The $2 \times 2$ latent
#   map feeds overlapping patches, and a band of 10 of the 26 rows ($r \approx 0.4$) is the first
#   to reach into the patches of the far latent row, hence the sharp jump between $r = 0.3$ and
#   $0.4$ for all four bands. With a single-pixel latent ($1 \times 1$ map, the
#   paper's MNIST generator) every output pixel depends on all of $z$ and the difference disappears
#   (try `phase_in_size = (1, 1)` in `lib/experiments.py`): the advantage of spread masks is a
#   property of the *spatial* structure of convolutions.
# - **Conjecture 3** holds empirically: uniform and $\pm 1$ weights of the same variance give the
#   same transition as Gaussian weights.
# - **Depth and activations**: LeakyReLU, sigmoid, tanh and 3-4 layer networks are inverted as
#   well, as the paper reports; their transition points differ (different architectures have
#   different numbers of pixels per latent entry), but all show the same sharp transition.

# %% [markdown]
# ## Summary
#
# - Gradient descent with one negation restart ({prf:ref}`p3-alg-recovery`) recovers the latent
#   of a random convolutional network once the first layer expands enough (here
#   $n_1 / n_0 \gtrsim 6$), as {prf:ref}`p3-conv-matrices-thm1` predicts up to its constant.
# - Recovery shows a sharp phase transition in the sampling rate $r$; spread (random) masks need
#   far fewer pixels than half-image masks, because convolutions are local.
# - Uniform and $\pm 1$ weights behave like Gaussian ones (Conjecture 3); LeakyReLU, sigmoid, tanh
#   and deeper networks are inverted as well.
# - The restart is needed in about 2 % of the runs.
#
# ## Exercises
#
# ```{exercise}
# :label: ex-p3-partial-recovery-1
#
# In the expansion sweep, why can no method recover $z^\star$ when $c = 2$ ($n_1 = 8 = n_0$),
# even from the full output?
# ```
#
# ```{solution} ex-p3-partial-recovery-1
# :class: dropdown
#
# The first layer maps $\mathbb{R}^8$ to $\mathbb{R}^8$ and the ReLU zeroes about half of its
# outputs: $x_1$ then lies in a space of dimension about 4 and carries at most that many numbers
# about $z^\star$. Whatever the later layers do, $G(z)$ depends on $z$ only through $x_1$, so a
# whole set of latents (those with the same $x_1$) gives the same output: $G$ is not injective.
# ```
#
# ```{exercise}
# :label: ex-p3-partial-recovery-2
#
# Set `phase_in_size = (1, 1)` in `lib/experiments.py` (a single-pixel latent map) and rerun the
# mask sweep. What happens to the gap between random and half-image masks, and why?
# ```
#
# ```{solution} ex-p3-partial-recovery-2
# :class: dropdown
#
# With a $1 \times 1$ latent every output pixel depends on all of $z$ (one patch covers the
# image), so a half image observes every latent entry as well as random pixels do: the
# transition points of the five mask kinds move together. The advantage of spread masks is a
# consequence of the *locality* of convolutions with a spatial latent map.
# ```
#
# ```{exercise}
# :label: ex-p3-partial-recovery-3
#
# Count the unknowns and the observations at the random-mask transition of the Sec. 4.2 network
# ($r \approx 0.05$ on the $26 \times 26$ output). How does it compare with the $n_0 = 8$
# unknowns?
# ```
#
# ```{solution} ex-p3-partial-recovery-3
# :class: dropdown
#
# $0.05 \cdot 676 \approx 34$ observed pixels for 8 unknowns, about 4 per unknown. Fewer than
# 8 can never suffice, and since the ReLU output is zero on part of the image, some observed
# pixels carry no information; a few times $n_0$ is what a generic nonlinear system needs.
# ```

# %% [markdown]
# ## Claims


# %% tags=["hide-input"]
def fmt(d):
    return ", ".join(f"{k} {show_r50(v)}" for k, v in d.items())


def kn(k, n):  # "k of n [95 % Wilson interval]"
    lo, hi = wilson_interval(int(k), n)
    return f"{int(k)} of {n} [{lo:.2f}, {hi:.2f}]"


lo_c, top_c = thm_k[thm_c[0]], thm_k[thm_c[-1]]
# the rise with expansion is resolved when the Wilson intervals of the narrowest and the widest
# net do not overlap, at r = 1 and at r = 0.5
rise = all(
    wilson_interval(lo_c[j], n_thm)[1] < wilson_interval(top_c[j], n_thm)[0] for j in (1, 2)
)
claims = Claims("p3_partial_recovery")
claims.add(
    "P3-thm1",
    passed=bool(rise and top_c[-1] >= 0.9 * n_thm and top_c[1] >= 0.9 * n_thm),
    measured=(
        f"kernel = stride = 2, C_0 = 8, {n_thm} networks per point: recovered at r = 1 "
        f"{kn(lo_c[-1], n_thm)} at n1/n0 = {thm_c[0] / 2} and {kn(top_c[-1], n_thm)} at "
        f"n1/n0 = {thm_c[-1] / 2}; at r = 0.5: {kn(lo_c[1], n_thm)} -> {kn(top_c[1], n_thm)} "
        f"(95 % Wilson intervals); negation restart needed for {thm_rescued} of {thm_restarts} "
        "restarted runs"
    ),
    paper="expansive enough 2-layer ReLU conv nets with N(0, 1/(C_i l)) weights: GD recovers z, "
    "also from sub-sampled outputs (Thm. 4)",
)
sharp = all(
    float(phase.prob[i].min()) <= 0.25 and float(phase.prob[i].max()) >= 0.9
    for i in range(len(kinds))
)
# random masks need a lower r: resolved when random's interval lies below every band's
random_first = all(r50_phase["random"][2] < r50_phase[k][1] for k in kinds[1:])
claims.add(
    "P3-phase",
    passed=bool(sharp and random_first),
    measured=f"r at 50 % recovery [95 % bootstrap interval over {T} networks]: {fmt(r50_phase)} "
    "(26x26 output, 2x2x2 latent); every pattern goes from <= 25 % to >= 90 % recovery on the "
    "grid; the random-mask interval lies below every band's",
    paper="phase transition in r for every mask; random masks need lower r than half masks",
)
overlap = all(
    r50_var[k][1] <= r50_var["gaussian"][2] and r50_var["gaussian"][1] <= r50_var[k][2]
    for k in ("uniform", "rademacher")
)
top_k = {k: int(sw.success[:, 0, -1].sum()) for k, sw in sweeps.items()}
claims.add(
    "P3-conj3",
    passed=bool(overlap and all(top_k[k] >= 0.9 * T for k in ("uniform", "rademacher"))),
    measured=f"r at 50 % recovery (random masks) [95 % bootstrap, {T} networks]: "
    f"{fmt({k: r50_var[k] for k in ('gaussian', 'uniform', 'rademacher')})}: the intervals "
    f"overlap, no difference from Gaussian weights is resolved (one smaller than the intervals' "
    f"width cannot be); recovered at r = {rates[-1]}: uniform {kn(top_k['uniform'], T)}, +-1 "
    f"{kn(top_k['rademacher'], T)}",
    paper="uniform and +-1 weights behave like Gaussian",
)
multi = ["leaky_relu", "sigmoid", "tanh", "3 layers", "4 layers"]
claims.add(
    "P3-multi",
    passed=bool(all(top_k[k] >= 0.9 * T for k in multi)),
    measured=f"r at 50 % recovery (random masks) [95 % bootstrap, {T} networks]: "
    + fmt({k: r50_var[k] for k in multi})
    + f"; recovered at r = {rates[-1]}: "
    + ", ".join(f"{k} {kn(top_k[k], T)}" for k in multi),
    paper="same conclusion for LeakyReLU, sigmoid, tanh and multi-layer networks",
)
assert not (failed := claims.report()), f"claims that did not hold: {failed}"
