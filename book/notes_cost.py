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
# (notes-cost)=
# # How the cost grows
#
# *Implementation notes for {doc}`p1_latent_pursuit`, {doc}`p2_noisy_lp` and {doc}`p2_timing`.*
# Every method of the book inverts a whole batch of signals at once. This page shows what that
# buys and what it costs as problems grow: the time per signal against the batch size $B$ and
# against the hidden width $n_1$, for three methods, and how far each runs from the fastest
# rate the processor reaches.
#
# - **Latent-Pursuit** ({prf:ref}`p1-lp-alg5`) as P1 prints it, at most 100
#   iterations per stage, on P1's random network $x = \tanh(W_1 \mathrm{ReLU}(W_0 z))$ with
#   $n_0 = 100$, $n = 625$;
# - **P2's $\ell_\infty$ LP** (Algorithm 1, layer by layer) by the batched interior point, on a
#   20-$n_1$-784 ReLU network (P2's MNIST shape), clean signals;
# - **gradient descent**, 50 steps, on P1's network.
#
# The numbers come from the stored run of `benchmarks/scaling.py`, which this page reads
# (`python benchmarks/scaling.py --threads 1 --out benchmarks/scaling.json --figure
# book/images/scaling.png` measures your machine).

# %% tags=["hide-input"]
# Setup: on Colab, install the book's `lib` package (Colab's own torch is kept).
import sys

if "google.colab" in sys.modules:
    import subprocess

    url = "git+https://github.com/inverting-generative-models/inversion-book"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", url], check=True)

from myst_nb import glue

from lib.book import setup_notebook
from lib.book.plotting import show_table
from lib.book.stored import stored_run

setup_notebook()
run = stored_run("scaling")
peak = run["peak_gflops"]
print(
    f"stored run: {run['cpu']} CPU, {run['torch_threads']} torch thread, {run['dtype']}, "
    f"torch {run['torch']}; a {run['dtype']} matrix product reaches {peak:.0f} GFLOP/s"
)

# %% [markdown]
# ```{figure} images/scaling.png
# :name: fig-notes-cost
# :alt: Three panels. Left, milliseconds per signal against the batch size: every method gets cheaper per signal as the batch grows, gradient descent the most, and all three flatten beyond a batch of about 64. Middle, milliseconds per signal against the hidden width: gradient descent grows steadily, Latent-Pursuit jumps between widths 150 and 300, the LP rises and falls. Right, achieved GFLOP/s against the batch size with the matrix-product peak dashed: gradient descent comes close to it at large batches, the LP reaches about half, Latent-Pursuit about a tenth.
#
# Time per signal against the batch size (left, at $n_1 = 600$ for P1's network and $n_1 = 60$
# for P2's) and against the hidden width (middle, $B = 64$), and the achieved rate (right): the
# FLOPs of the matrix products each iteration needs, divided by the time, against the rate of a
# large float64 matrix product on the same thread (dashed). Stored run of
# `benchmarks/scaling.py`, one CPU thread, float64.
# ```
#
# The table gives the fitted growth: the exponent $p$ of time $\propto B^p$ for $B \ge 64$
# (1: the batch no longer helps, each signal costs the same) and of time per signal $\propto
# n_1^p$ at $B = 64$.

# %% tags=["hide-input"]
rows = []
for r in run["methods"].values():
    b = {p["B"]: p for p in r["by_batch"]}
    big = max(b)
    rows.append(
        [
            r["label"],
            f"{b[1]['ms_per_signal']:.1f}",
            f"{b[64]['ms_per_signal']:.1f}",
            f"{b[big]['ms_per_signal']:.1f}",
            f"{r['growth_in_B_for_B>=64']:.2f}",
            f"{r['growth_per_signal_in_n1']:.2f}",
            f"{100 * b[big]['gflops'] / peak:.0f} %",
        ]
    )
lp_iters = [w["iterations_per_signal"] for w in run["methods"]["linf_lp"]["by_width"]]
glue("cost-lp-iters", f"{min(lp_iters):.0f} to {max(lp_iters):.0f}", display=False)
show_table(
    [
        "method",
        "ms/signal, B = 1",
        "B = 64",
        f"B = {big}",
        "p in B",
        "p in n_1",
        "of peak",
    ],
    rows,
)

# %% [markdown]
# ## What the numbers say
#
# - **Batching pays up to $B \approx 64$, then each signal costs the same.** From one signal to
#   64, the time per signal falls by a factor of about 20 for gradient descent and 2-3 for the
#   two others: one signal leaves the processor waiting on Python and on small matrix
#   products, 64 fill it. Beyond that the time of a batch grows linearly ($p \approx 1$).
# - **Gradient descent runs near the processor's limit** at large batches: each step is two
#   matrix products with the weights, which is what a CPU does best. Its cost is its number of
#   steps: P1's 10,000 steps, not the cost of a step, are why it is slow.
# - **The LP's cost follows its iteration count more than the width**: each interior-point
#   iteration factors a normal matrix whose size is the number of unknowns, $k^2$ per row, but
#   how many iterations a layer needs varies with the network
#   ({glue:text}`cost-lp-iters` per signal over the widths measured), and that variation hides
#   the growth in $n_1$ (the fitted exponent in the table is a poor summary here). Its achieved
#   rate is counted from the interior-point iterations and, where the engine uses the simplex
#   method (the first signals of a layer, vertex checks), those iterations at the same cost: at
#   small batches the rate shown is an over-estimate.
# - **Latent-Pursuit runs far from the limit**: an iteration of its stages is a few
#   matrix-vector products and as many element-wise operations (thresholds, projections,
#   dual updates) that move memory without arithmetic. The book's engine makes it fast
#   another way: by stopping each stage early with an exact least-squares polish on the support
#   ({ref}`notes-p1-speed`), which these fixed-iteration runs leave out on purpose.

# %% tags=["hide-input"]
# The stored run's fitted exponents are those of its own points (the fit of
# benchmarks/scaling.py, recomputed here from the stored times).
import numpy as np


def exponent(xs, ys):
    return float(np.polyfit(np.log(xs), np.log(ys), 1)[0])


for r in run["methods"].values():
    big = [p for p in r["by_batch"] if p["B"] >= 64]
    fit_b = exponent([p["B"] for p in big], [p["seconds"] for p in big])
    fit_w = exponent([p["n1"] for p in r["by_width"]], [p["ms_per_signal"] for p in r["by_width"]])
    assert abs(fit_b - r["growth_in_B_for_B>=64"]) < 0.01, r["label"]
    assert abs(fit_w - r["growth_per_signal_in_n1"]) < 0.01, r["label"]
print("the fitted exponents agree with the stored points")
