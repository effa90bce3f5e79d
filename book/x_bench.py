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
# (x-bench)=
# # One benchmark: every method on every generator
#
# **What you will learn.** Each paper compares its own method with gradient descent on its own
# networks. This chapter puts every inversion method of the three papers on the *same* networks,
# with the *same* signals, noise and masks, and the *same* success criterion, so that you can
# read off which method to use when. It also builds the hybrid that {cite}`aberdam2020` (P1)
# Sec. 6.1 leaves for future work: layered pursuit where it works, gradient descent where it
# does not (targets **X-bench** and **X-hybrid**). **Paper:** all three, {cite}`aberdam2020`
# Sec. 6, {cite}`lei2019` Sec. 5 and {cite}`ma2018` Sec. 4, on common ground. **Read first:** {doc}`p1_random_sweep` (the
# three regimes of a random tanh net), {ref}`p2-noisy-lp` (P2's linear programs),
# {doc}`p3_partial_recovery` (gradient descent under masks) and {ref}`mnist-generators` (the
# trained generators).
#
# Everything below is produced by one call, `lib.book.bench.run`, also available from the command line:
#
# ```bash
# python -m lib.book.bench --scale book --device cpu --out results.json
# ```

# %% tags=["hide-input"]
# Setup: on Colab, install the book's `lib` package (Colab's own torch is kept) and use the GPU.
import sys

if "google.colab" in sys.modules:
    import subprocess

    url = "git+https://github.com/inverting-generative-models/inversion-book"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", url], check=True)

from lib.book import setup_notebook

DEVICE = setup_notebook("x_bench")

# %% tags=["hide-input"]
import matplotlib.pyplot as plt
import numpy as np
from myst_nb import glue

from lib.book import bench, experiments
from lib.book.plotting import show_table, subplots
from lib.book.scorecard import Claims

S = experiments.settings("x_bench")

# %% [markdown]
# ## The methods
#
# | method | paper | what it needs |
# |---|---|---|
# | Oracle | P1 Alg. 1 ({doc}`p1_guarantees`) | the *true* supports: a reference, not a method |
# | Layered Basis-Pursuit | {prf:ref}`P1 Alg. 2 <p1-guar-alg2>` | ReLU hidden layers, invertible output |
# | Latent-Pursuit | {prf:ref}`P1 Alg. 5 <p1-lp-alg5>` | ReLU hidden layers, invertible output |
# | linear equations | {prf:ref}`P2 Thm 3 <p2-expansive-thm3>`, Eq. 5 | ReLU (LeakyReLU) everywhere, expansive |
# | $\ell_\infty$ LP | {prf:ref}`P2 Alg. 1 <p2-noisy-alg1>` | as above |
# | $\ell_1$ LP | {prf:ref}`P2 Alg. 2 <p2-noisy-alg2>` | as above |
# | LP relaxation | {prf:ref}`P2 Alg. 3 <p2-noisy-alg3>` | as above |
# | GD | P1 Sec. 6.1 step rule, P2 | a differentiable $G$ |
# | Adam | P3 Sec. 4.3 | a differentiable $G$ |
# | GD + restarts + negation | P3 (after {cite:t}`hand2018global`) | a differentiable $G$ |
# | hybrid | this chapter, {prf:ref}`X-hybrid <x-hybrid-alg>` | a layered parent |
#
# Where a method cannot run, the table says **not applicable** and why, by the papers' own rules:
# P1's pursuit inverts the output activation $\phi$ and exploits sparse ReLU layers, so it needs
# ReLU hidden layers and an invertible $\phi$ (tanh, PLU; not ReLU, which erases the negative
# pre-activations); P2's layer-wise inversion needs ReLU (or LeakyReLU) at every layer
# *including the output*, and, since it solves for all $n_i$ entries of a layer from the active
# rows of the next, every layer must expand ($n_{i+1} \ge n_i$; P2 Thm 3 needs $|S| \ge n_i$).
# The gradient methods run everywhere.
#
# Settings: P1's iteration caps and $\lambda$ grid of {doc}`p1_random_sweep`, P2's schedule
# $\epsilon_t = 10^{-10} \cdot 1.2^t$, and per generator the step size of GD and Adam
# (`lib.book.bench.GENERATORS`: P1's 0.1 on its random nets, P2's 1 on its random nets, $10^{-2}$ on
# the trained nets, the largest that did not diverge; Adam 0.1 as P3, 0.05 on the random dense
# nets). GD with restarts re-runs, for a signal whose data fit is not yet within the noise,
# GD from $-\hat z$ (P3's negation) and from fresh random starts, and keeps the best fit.

# %% [markdown]
# ## The hybrid
#
# P1 Fig. 4 ({doc}`p1_random_sweep`) shows the layered methods exact where
# $2 n_0 < n_1 \lesssim n$ and failing where the hidden layer is wider than the image, while GD
# keeps working there. P1 suggests combining them. `lib.methods.hybrid.hybrid` does so *per signal*, with
# a rule that looks only at the data:
#
# ```{prf:algorithm} This book, after P1 Sec. 6.1 (X-hybrid)
# :label: x-hybrid-alg
#
# **Input:** $y$, mask $M$, generator $G$, data-fit tolerance $\tau$ ($10^{-6}$ on clean data,
# twice the relative noise level otherwise).
#
# 1. Layered estimate $\hat z_L$: Latent-Pursuit (P1 Alg. 5, $\lambda = 0$ on clean data and
#    P1 Alg. 2's $\lambda_L = 2 l \varepsilon$ on noisy data, $\rho = 10^{-2}$,
#    debiased) when $G$ has ReLU hidden layers and an invertible output; P2's linear equations
#    when it has ReLU at every layer.
# 2. Polish: GD with P1's step rule started at $\hat z_L$; keep whichever of $\hat z_L$ and the
#    polished $\hat z_P$ fits $y$ better.
# 3. Rule: accept if the relative residual $\|M(G(\hat z) - y)\| / \|My\| \le \tau$ *and* the
#    supports of $G(\hat z)$ determine $\hat z$ (every support-restricted layer matrix
#    $W_i[S_{i+1}, S_i]$ has full column rank, so that the layer-wise Oracle, P1 Alg. 6, has one
#    answer).
# 4. Otherwise also run GD from a random start and return the better fit.
#
# Budgets: those of the parents ($\text{max\_iter}$ = {glue:text}`xb-max-iter` pursuit
# iterations, {glue:text}`xb-gd-steps` GD steps per run at this scale).
# ```

# %% tags=["hide-input"]
glue("xb-max-iter", S["max_iter"], display=False)
glue("xb-gd-steps", S["gd_steps"], display=False)

# %% [markdown]
# ## Generators, conditions and the success criterion
#
# Nine generators: P1's random net $x = \tanh(W_1 \mathrm{ReLU}(W_0 z))$ with $n_0 = 100$,
# $n = 625$ in its three regimes ($n_1 = 150 < 2 n_0$; $2n_0 < n_1 = 400 < n$;
# $n_1 = 1000 > n$), P2's random ReLU nets 20-100-500 and 60-250-600 (P2 Sec. 5.1, Fig. 2 at
# $k = 60$, where P2 reports GD failing), P3's random transposed-convolution net (Sec. 4.2:
# channels 2-16-1, kernel 5, stride 3, a $2 \times 2$ latent map: 8-1024-676), and the trained
# MNIST generators of P1 (PLU output), P2 (ReLU output) and P3 (conditional DCGAN for the digit
# 3, LeakyReLU and tanh, batch-norm folded by `lib.mnist.models.P3Generator.folded` and wrapped for the
# gradient methods by `lib.book.bench.FoldedConv`).
#
# Five conditions: clean; Gaussian noise with standard deviation $10^{-3}$ and $10^{-2}$ times
# the RMS of the clean outputs; 45 % of the outputs hidden at random (P1 Sec. 6.2); the first
# quarter of the output hidden (an image's top rows). All methods see the same latents, noise
# and masks.
#
# **Success**: z-SNR $= 20\log_{10}(\|z\|/\|\hat z - z\|) \ge 60$ dB on clean and masked data
# (P1's exact recovery; P2's $\|\hat z - z\|/\|z\| \le 10^{-3}$), and at least the noise's SNR
# minus 20 dB on noisy data (40 dB at noise $10^{-3}$, 20 dB at $10^{-2}$). Intervals are 95 %
# Wilson intervals.

# %% tags=["hide-input"]
SHORT_G = {
    "p1_small": "P1 tanh n1=150",
    "p1_mid": "P1 tanh n1=400",
    "p1_large": "P1 tanh n1=1000",
    "p2_500": "P2 20-100-500",
    "p2_600": "P2 60-250-600",
    "p3_conv": "P3 conv 8-1024-676",
    "p1_mnist": "trained P1",
    "p2_mnist": "trained P2",
    "p3_mnist": "trained P3 (digit 3)",
}

# %%
results = bench.run(device=DEVICE)

# %% tags=["hide-input", "nbval-ignore-output"]
print(
    f"benchmark: {results['seconds']:.0f} s on {results['device']} "
    f"({results['threads']} thread{'s' * (results['threads'] > 1)})"
)

# %% tags=["hide-input"]
GENS = list(results["generators"])
CONDS = list(results["conditions"])
METHODS = list(results["methods"])
SHORT_C = {
    "clean": "clean",
    "noise_lo": "noise 1e-3",
    "noise_hi": "noise 1e-2",
    "random_mask": "random mask",
    "block_mask": "block mask",
}
SHORT_M = {
    "oracle": "Oracle",
    "layered_bp": "Layered BP",
    "latent_pursuit": "Latent-P.",
    "equations": "equations",
    "linf": "l_inf LP",
    "l1": "l_1 LP",
    "relax": "LP relax.",
    "gd": "GD",
    "adam": "Adam",
    "gd_restarts": "GD+restarts",
    "hybrid": "hybrid",
}


def C(g, c, m):
    return bench.cell(results, g, c, m)


def kn(g, c, m):
    """'k/n' of a cell, or 'n/a'."""
    x = C(g, c, m)
    return f"{x['successes']}/{x['n']}" if x["applicable"] else "n/a"


rate = np.full((len(GENS) * len(CONDS), len(METHODS)), np.nan)
for gi, g in enumerate(GENS):
    for ci, c in enumerate(CONDS):
        for mi, m in enumerate(METHODS):
            x = C(g, c, m)
            if x["applicable"]:
                rate[gi * len(CONDS) + ci, mi] = x["rate"]

fig, ax = subplots(height=0.36 * rate.shape[0] + 1.4)
cmap = plt.get_cmap("viridis").copy()
cmap.set_bad("#dddddd")
im = ax.imshow(np.ma.masked_invalid(rate), cmap=cmap, vmin=0, vmax=1, aspect="auto")
for r in range(rate.shape[0]):
    for mi in range(len(METHODS)):
        g, c = GENS[r // len(CONDS)], CONDS[r % len(CONDS)]
        txt = kn(g, c, METHODS[mi])
        ax.text(
            mi,
            r,
            "" if txt == "n/a" else txt,
            ha="center",
            va="center",
            fontsize=9,
            color="white" if (rate[r, mi] < 0.6) else "black",
        )
ax.set_xticks(range(len(METHODS)), [SHORT_M[m] for m in METHODS], rotation=60, ha="right")
ax.set_yticks(
    range(rate.shape[0]),
    [
        f"{SHORT_G[GENS[r // len(CONDS)]]} | {SHORT_C[CONDS[r % len(CONDS)]]}"
        if r % len(CONDS) == 0
        else SHORT_C[CONDS[r % len(CONDS)]]
        for r in range(rate.shape[0])
    ],
)
for gi in range(1, len(GENS)):
    ax.axhline(gi * len(CONDS) - 0.5, color="white", lw=2)
ax.grid(False)
fig.colorbar(im, ax=ax, fraction=0.03, pad=0.02, label="success rate")
glue("x-bench-heatmap", fig, display=False)
plt.close(fig)

# %% [markdown]
# ```{glue:figure} x-bench-heatmap
# :name: fig-x-bench-heatmap
# :alt: Heat map of success rates with methods as columns and generator-condition pairs as rows, each cell labelled with successes out of signals, grey where a method does not apply.
#
# Success rate of every method (columns) on every generator and condition (rows), with the
# count "successes/signals" in each cell; grey: not applicable (the reasons are listed below).
# Success: z-SNR $\ge$ 60 dB (clean, masked) or $\ge$ noise SNR $-$ 20 dB (noisy). Book scale:
# the same 8 signals per cell for every method, seed 2015.
# ```


# %% tags=["hide-input"]
def table(head, rows, widths=None):
    """A small table (strings already formatted), as every chapter shows one."""
    show_table(head, rows)


reasons = {}
for x in results["cells"]:
    if not x["applicable"]:
        reasons.setdefault(x["reason"].removeprefix("not applicable: "), set()).add(
            (SHORT_M[x["method"]], x["generator"])
        )
rows = []
for why, pairs in sorted(reasons.items()):
    ms = sorted({m for m, _ in pairs}, key=list(SHORT_M.values()).index)
    gs = sorted({g for _, g in pairs}, key=GENS.index)
    rows.append((", ".join(ms), ", ".join(SHORT_G[g] for g in gs), why))
table(["methods", "generators", "not applicable, because"], rows)

# %% [markdown]
# The certificates beside the cells, for the *true* signals of each generator and condition.
# First the support test of the hybrid's rule (`lib.methods.hybrid.support_certificate`: every
# support-restricted layer matrix $W_i[S_{i+1}, S_i]$, rows restricted to the observed and, for
# a ReLU output, active outputs, has full column rank; then every layer, not only $z$, is
# determined, and the layer-wise Oracle, P1 Alg. 6, has one answer), with the median
# cardinalities $s_i$. On the trained P3 net, whose last layer contracts ($4096 \to 1024$), the
# test fails by construction (0 of 8 everywhere).

# %% tags=["hide-input"]
rows = []
for g in GENS:
    r = [SHORT_G[g]]
    for c in CONDS:
        cert = results["certificates"][f"{g}/{c}"]
        r.append("-" if cert is None else f"{cert['certified']}/{cert['n']}")
    cert = results["certificates"][f"{g}/clean"]
    r.append("-" if cert is None else ", ".join(map(str, cert["median_s"])))
    rows.append(r)
table(["generator", *[SHORT_C[c] for c in CONDS], "median s_i"], rows)

# %% [markdown]
# Then, on the nets P1's theory covers (ReLU hidden layers, invertible output), P1's own
# conditions from `lib.theory.sparsity.certify`: how many of the true signals satisfy Theorem 1 as the
# proof uses it for their supports ("Thm 1 (support)"), the random-weight conditions of arXiv
# Corollary 1 and of ICLR Theorem 2. (Theorem 1's global form, with sub-sparks over all
# supports, is undetermined or fails on all of these nets: its enumeration is out of reach.)

# %% tags=["hide-input"]
rows = []
for g in GENS:
    if "ICLR Thm 2" not in (results["certificates"][f"{g}/clean"] or {}):
        continue
    r = [SHORT_G[g]]
    for c in CONDS:
        cert = results["certificates"][f"{g}/{c}"]
        r.append(
            " / ".join(
                str(cert[k]["holds"]) for k in ("Thm 1 (support)", "arXiv Cor 1", "ICLR Thm 2")
            )
        )
    rows.append(r)
table(["holds: Thm 1 (support) / Cor 1 / ICLR Thm 2", *[SHORT_C[c] for c in CONDS]], rows)

# %% [markdown]
# ## Time
#
# Median seconds per signal on clean data (a batch of signals is solved together, so this is
# the batch's wall time over its size). Measured on the CPU that executes the book, one
# thread: the numbers depend on the machine and are not checked.

# %% tags=["hide-input", "nbval-ignore-output"]
TINY_G = {
    "p1_small": "P1-150",
    "p1_mid": "P1-400",
    "p1_large": "P1-1000",
    "p2_500": "P2-500",
    "p2_600": "P2-600",
    "p3_conv": "P3 conv",
    "p1_mnist": "P1 tr.",
    "p2_mnist": "P2 tr.",
    "p3_mnist": "P3 tr.",
}
rows = []
for m in METHODS:
    r = [SHORT_M[m]]
    for g in GENS:
        x = C(g, "clean", m)
        r.append(f"{x['seconds_per_signal']:.3f}" if x["applicable"] else "-")
    rows.append(r)
table(["s / signal", *[TINY_G[g] for g in GENS]], rows)

# %% [markdown]
# ## Lessons
#
# Each lesson below is checked against the cells of the table it cites (the check is printed
# beside it, and the claims at the end fail if one does not hold).


# %% tags=["hide-input"]
def ok(g, c, m, at_least=1.0):
    x = C(g, c, m)
    return x["applicable"] and x["rate"] >= at_least


def bad(g, c, m, at_most=0.0):
    x = C(g, c, m)
    return x["applicable"] and x["rate"] <= at_most


lessons = [
    (
        "Nothing inverts P1's net with n1 < 2 n0: not even the Oracle (s_1 < n_0: z is not "
        "determined by x_1).",
        [("p1_small", "clean", m) for m in ("oracle", "latent_pursuit", "gd", "adam", "hybrid")],
        all(
            bad("p1_small", "clean", m)
            for m in ("oracle", "latent_pursuit", "gd", "adam", "hybrid")
        ),
    ),
    (
        "P1's layered pursuit is exact (and fast) on clean data in the middle regime, "
        "and fails when n1 > n, where gradient methods succeed.",
        [
            ("p1_mid", "clean", "latent_pursuit"),
            ("p1_large", "clean", "latent_pursuit"),
            ("p1_large", "clean", "gd"),
        ],
        ok("p1_mid", "clean", "latent_pursuit")
        and bad("p1_large", "clean", "latent_pursuit")
        and ok("p1_large", "clean", "gd"),
    ),
    (
        "With noise, P1's layered pursuit loses the supports even in its good regime and with "
        "P1 Alg. 2's lambda = 2 l eps from the known noise level, while the Oracle and GD stay "
        "within the noise.",
        [
            ("p1_mid", "noise_lo", "latent_pursuit"),
            ("p1_mid", "noise_lo", "oracle"),
            ("p1_mid", "noise_lo", "gd"),
        ],
        bad("p1_mid", "noise_lo", "latent_pursuit")
        and ok("p1_mid", "noise_lo", "oracle")
        and ok("p1_mid", "noise_lo", "gd"),
    ),
    (
        "On a clean, expansive ReLU net, P2's linear equations are exact and the cheapest "
        "method; they break under any noise, where the l_inf LP does not.",
        [
            ("p2_500", "clean", "equations"),
            ("p2_500", "noise_lo", "equations"),
            ("p2_500", "noise_lo", "linf"),
        ],
        ok("p2_500", "clean", "equations")
        and bad("p2_500", "noise_lo", "equations")
        and ok("p2_500", "noise_lo", "linf"),
    ),
    (
        "Hiding 45 % of a 60-250-600 net's outputs leaves fewer active rows than hidden units: "
        "the layer-wise equations fail (they do not use the sparsity of x_1); Adam does not.",
        [("p2_600", "random_mask", "equations"), ("p2_600", "random_mask", "adam")],
        bad("p2_600", "random_mask", "equations") and ok("p2_600", "random_mask", "adam"),
    ),
    (
        "Under a random mask, Adam is the most reliable gradient method: plain GD at the same "
        "budget stalls short of 60 dB.",
        [("p1_mid", "random_mask", "adam"), ("p1_mid", "random_mask", "gd")],
        ok("p1_mid", "random_mask", "adam") and bad("p1_mid", "random_mask", "gd", 0.5),
    ),
    (
        "On the trained P1 generator, Latent-Pursuit is exact on clean and masked data, where "
        "GD at this benchmark's budget (800 steps) does not reach 60 dB.",
        [("p1_mnist", c, m) for c in ("clean", "random_mask") for m in ("latent_pursuit", "gd")],
        all(
            ok("p1_mnist", c, "latent_pursuit") and bad("p1_mnist", c, "gd")
            for c in ("clean", "random_mask")
        ),
    ),
    (
        "The layer-wise certificate is sufficient, not necessary: hiding 45 % of the pixels of "
        "the 100-1000-625 net leaves its hidden layer undetermined for every signal, yet z is "
        "recovered by the end-to-end Oracle and by GD.",
        [("p1_large", "random_mask", m) for m in ("oracle", "gd", "latent_pursuit")],
        results["certificates"]["p1_large/random_mask"]["certified"] == 0
        and ok("p1_large", "random_mask", "oracle")
        and ok("p1_large", "random_mask", "gd")
        and bad("p1_large", "random_mask", "latent_pursuit"),
    ),
    (
        "On the trained P3 net (LeakyReLU, tanh, a contracting last layer) only the gradient "
        "methods apply; Adam recovers z in every condition.",
        [("p3_mnist", c, "adam") for c in CONDS],
        all(ok("p3_mnist", c, "adam") for c in CONDS),
    ),
]
rows = [
    (
        i + 1,
        text,
        "; ".join(f"{g}/{SHORT_C[c]}/{SHORT_M[m]}: {kn(g, c, m)}" for g, c, m in cells),
        "holds" if holds else "DOES NOT HOLD",
    )
    for i, (text, cells, holds) in enumerate(lessons)
]
table(["#", "lesson", "cells (successes/signals)", "check"], rows)

# %% [markdown]
# ## Where the hybrid beats its parents, ties, and what it costs
#
# The hybrid's parents are the layered method it starts from (Latent-Pursuit on P1's nets,
# the linear equations on P2's) and GD with P1's step rule. Per generator and condition: the
# successes of each, the verdict, and the time per signal relative to the slower parent. The
# hybrid *beats both* when it has more successes than either parent and the 95 % Wilson
# intervals separate (with 8 signals a cell, only something like 8 of 8 against 2 of 8 does);
# *more, unresolved* when it has more successes but the intervals overlap; *ties* the better
# parent; or *loses* (fewer successes than the better parent).

# %% tags=["hide-input"]
hyb_rows, verdicts = [], {}
for g in GENS:
    for c in CONDS:
        h = C(g, c, "hybrid")
        if not h["applicable"]:
            continue
        lay = "latent_pursuit" if C(g, c, "latent_pursuit")["applicable"] else "equations"
        a, b = C(g, c, lay), C(g, c, "gd")
        best = max(a["successes"], b["successes"])
        n_sig = h["n"]
        if h["successes"] > best:
            # more successes than either parent; "beats" only where the 95 % intervals separate
            resolved = bench.wilson(h["successes"], n_sig)[0] > bench.wilson(best, n_sig)[1]
            v = "beats both" if resolved else "more, unresolved"
        else:
            v = "ties" if h["successes"] == best else "loses"
        verdicts[g, c] = v
        choice = h["choice"]
        hyb_rows.append(
            (
                SHORT_G[g],
                SHORT_C[c],
                kn(g, c, lay),
                kn(g, c, "gd"),
                kn(g, c, "hybrid"),
                v,
                f"{choice.count('layered') + choice.count('polished')}/{len(choice)}",
            )
        )
table(
    [
        "generator",
        "condition",
        "layered parent",
        "GD",
        "hybrid",
        "verdict",
        "z from the layered start",
    ],
    hyb_rows,
)

# %% tags=["hide-input", "nbval-ignore-output"]
rows = []
for g in GENS:
    for c in ("clean", "noise_hi"):
        h = C(g, c, "hybrid")
        if not h["applicable"]:
            continue
        lay = "latent_pursuit" if C(g, c, "latent_pursuit")["applicable"] else "equations"
        a, b = C(g, c, lay), C(g, c, "gd")
        slow = max(a["seconds_per_signal"], b["seconds_per_signal"])
        rows.append(
            (
                SHORT_G[g],
                SHORT_C[c],
                f"{a['seconds_per_signal']:.3f}",
                f"{b['seconds_per_signal']:.3f}",
                f"{h['seconds_per_signal']:.3f}",
                f"{h['seconds_per_signal'] / slow:.1f}x",
            )
        )
table(["generator", "condition", "layered s", "GD s", "hybrid s", "vs slower parent"], rows)

# %% tags=["hide-input"]
VERDICT_WORDS = ("beats both", "more, unresolved", "ties", "loses")
counts = {v: sum(1 for x in verdicts.values() if x == v) for v in VERDICT_WORDS}
print(
    "hybrid vs its parents over",
    len(verdicts),
    "generator/condition pairs:",
    ", ".join(f"{k} {v}" for k, v in counts.items()),
)
for (g, c), v in verdicts.items():
    if v in ("beats both", "more, unresolved"):
        lay = "latent_pursuit" if C(g, c, "latent_pursuit")["applicable"] else "equations"
        print(
            f"  {v} on {SHORT_G[g]}, {SHORT_C[c]}: layered {kn(g, c, lay)}, "
            f"GD {kn(g, c, 'gd')}, GD+restarts {kn(g, c, 'gd_restarts')}, "
            f"Adam {kn(g, c, 'adam')}, hybrid {kn(g, c, 'hybrid')}"
        )

# %% [markdown]
# Reading the table: where the layered parent is exact and certified (the middle P1 regime,
# clean P2 nets, the trained P1 net on clean or masked data) the hybrid keeps its answer, is as
# accurate, and costs the layered parent's time plus a polish that stops almost at once:
# less than GD. Where the layered parent fails (P1's wide net, any noise) the rule rejects it
# and the hybrid pays for both: the layered attempt, a polish and GD from a random start, a
# few times the slower parent (timing table). It has more successes than both parents only where they fail on *different* signals or
# where GD started at the layered estimate succeeds where a random start does not (the rows
# printed above); the comparison with GD + restarts, which also gets a second start, shows how
# much of that is the second start. Its gradient parent is P1's plain GD; Adam, which is not a
# parent, is often the stronger gradient method on masks and on the trained nets (heat map), so
# a hybrid built on Adam is the obvious next variant ({ref}`ex-x-bench-4`).

# %% [markdown]
# ## Summary
#
# - No method is best everywhere. On clean data from an expansive ReLU net, P2's linear
#   equations are exact and cheapest; with noise, P2's $\ell_\infty$ LP or gradient descent.
#   On a tanh-output net, P1's layered pursuit is exact on clean data in its regime; outside
#   it, and under noise even with P1's $\lambda = 2 l \varepsilon$, it fails;
#   gradient descent is the robust default, Adam the most robust under masks.
# - The support certificate predicts the layer-wise methods: where it fails for the true
#   signals, they fail. It is sufficient, not necessary, for $z$ itself: the end-to-end Oracle
#   and GD can still succeed (lesson 8).
# - The hybrid takes the layered answer where it fits and is certified, and falls back to
#   gradient descent elsewhere; it is never below the better parent here, and above it on a
#   few pairs by margins that 8 signals a cell cannot resolve; the tables say where, and at
#   what cost in time.
#
# Book scale: 8 signals per cell; the Wilson intervals are wide (0 of 8: up to 32 %). At paper
# scale (`--scale paper`: 128 signals, P1's full budgets) the run is meant for a GPU; no
# paper-scale run is stored.

# %% [markdown]
# ## Exercises
#
# ```{exercise}
# :label: ex-x-bench-1
# Why does the Oracle fail on the 100-150-625 net, although it knows the true supports?
# ```
#
# ```{solution} ex-x-bench-1
# :class: dropdown
# With $n_1 = 150$, about $s_1 \approx 75$ hidden units are active, fewer than the $n_0 = 100$
# unknowns of $z$: the equations $x_1^{S_1} = W_0^{S_1} z$ are underdetermined, and many latents
# give the same output. The certificate (0 of 8 certified) says exactly this.
# ```
#
# ```{exercise}
# :label: ex-x-bench-2
# The linear equations fail on the 60-250-600 net under a random mask, but Latent-Pursuit-style
# sparse recovery would not need as many rows. Count: how many observed active output rows are
# there, and how many unknowns does each method solve for in the last layer?
# ```
#
# ```{solution} ex-x-bench-2
# :class: dropdown
# About half of the 600 outputs are active and 55 % are observed: about 165 rows. The
# equations solve for all 250 entries of $x_1$ (rank at most 165 < 250: not determined);
# a method that knows $x_1$ is sparse ($s_1 \approx 125$) needs only its support's columns,
# and 165 > 125.
# ```
#
# ```{exercise}
# :label: ex-x-bench-3
# Run `python -m lib.book.bench --generators p1_mid --conditions noise_lo --methods layered_bp
# latent_pursuit oracle` after changing Latent-Pursuit's $\lambda$ in the adapter
# `lib.book.bench._latent_pursuit` to a multiple of the noise level. Does a positive $\lambda$ rescue
# the supports?
# ```
#
# ```{solution} ex-x-bench-3
# :class: dropdown
# Not at this noise: with $\lambda$ from 1 to 30 times the noise's standard deviation the
# z-SNR stays below 10 dB (40 dB needed). With $n_1 = 400$ hidden units and
# 625 noisy equations, a few wrongly
# chosen support entries already move $\hat z$ by far more than the noise. P1's guarantee
# (arXiv Thm 2) needs $s_L$ small against the coherence of $W_L$, far from $s_1 \approx 200$.
# The Oracle, given the supports, is within the noise: the support is the hard part.
# ```

# ```{exercise}
# :label: ex-x-bench-4
# Build the hybrid on Adam instead of GD: in `lib.methods.hybrid.hybrid`, the polish and the random
# start call P1's GD rule. Where in the table would you expect the Adam-based hybrid to change
# the verdicts, and why not on the noisy trained nets?
# ```
#
# ```{solution} ex-x-bench-4
# :class: dropdown
# Where GD is the failing parent and Adam succeeds: the masked P1 nets and the trained P1 net
# (GD at step $10^{-2}$ does not reach 60 dB in the budget, Adam mostly does). On the noisy
# trained nets both the layered parent and GD fail; Adam alone succeeds on some of them, so an
# Adam-based hybrid would inherit those successes through its random start, and the rule would
# accept them once the residual is within twice the noise.
# ```

# %% [markdown]
# ## Claims

# %% tags=["hide-input"]
claims = Claims("x_bench")
n_cells = len(GENS) * len(CONDS) * len(METHODS)
complete = len(results["cells"]) == n_cells and all(
    x["applicable"] or x["reason"].startswith("not applicable") for x in results["cells"]
)
lessons_hold = all(h for _, _, h in lessons)
claims.add(
    "X-bench",
    passed=complete and lessons_hold and len(GENS) == 9 and len(CONDS) == 5,
    measured=(
        f"{len(METHODS)} methods x {len(GENS)} generators x {len(CONDS)} conditions = "
        f"{n_cells} cells, {sum(x['applicable'] for x in results['cells'])} run, the rest "
        f"'not applicable' with a reason; {len(lessons)} lessons checked against their "
        f"cells (book scale, {S['signals']} signals per cell)"
    ),
    paper="(beyond the papers) every method on every generator, same signals and metrics",
    status="reproduced",
)
never_loses = counts["loses"] == 0
claims.add(
    "X-hybrid",
    # what the data show at 8 signals a cell: at least as many successes as the better parent
    # everywhere; more successes is reported, a resolved win only where the intervals separate
    passed=never_loses,
    measured=(
        f"over {len(verdicts)} generator/condition pairs ({S['signals']} signals each) the "
        f"hybrid has at least as many successes as the better of its parents on every pair: "
        f"more on {counts['beats both'] + counts['more, unresolved']} (resolved by the 95 % "
        f"Wilson intervals on {counts['beats both']}), as many on {counts['ties']}, fewer on "
        f"{counts['loses']}"
    ),
    paper="(P1 Sec. 6.1, future work) combine layered pursuit and gradient descent",
    status="reproduced",
    short=f"never below the better parent ({len(verdicts)} pairs); more on "
    f"{counts['beats both'] + counts['more, unresolved']}, resolved on {counts['beats both']}",
)
assert not (failed := claims.report()), f"claims that did not hold: {failed}"
