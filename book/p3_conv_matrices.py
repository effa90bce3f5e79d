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
# (p3-conv-matrices)=
# # Convolutions are sparse matrices
#
# **What you will learn.** How to write a transposed convolution as an explicit matrix, how
# sparse and structured that matrix is, and the relabelling of its rows and columns behind P3's
# main result, which this chapter states ({prf:ref}`p3-conv-matrices-thm1`). **Paper:**
# {cite}`ma2018` Sec. 2 and Fig. 2 (target **P3-fig2**). **Read first:** the layered generator
# of {ref}`p2-expansive` or {ref}`p1-invertibility`; no knowledge of convolutions is assumed
# beyond what follows.
#
# Ma, Ayaz and Karaman {cite}`ma2018` study generators built from *transposed convolutions*
# ("deconvolutions"), the layers of every DCGAN-style image generator. Their two-layer model is
#
# $$G(z) = \sigma(W_2\, \sigma(W_1 z)), \qquad \sigma(t) = \max(t, 0),$$
#
# exactly the layered generator of the other chapters, except that $W_1$ and $W_2$ are not dense
# matrices: a transposed convolution is *linear* in its input, so it is a matrix, but a very
# sparse one with a repeating structure. This chapter writes that matrix down explicitly, checks
# it against the framework's own transposed convolution, and reproduces the paper's Figure 2: a
# permutation of rows and columns that turns it into a block-diagonal matrix of identical dense
# blocks. That permutation is the key idea of the paper's proof.
#
# **Notation** (P3 Sec. 2.1). Layer $i$ has $C_i$ channels of $D_i$ pixels each, $n_i = C_i D_i$.
# $f_{i,j}$ is the filter (of $l$ taps) from input channel $i$ to output channel $j$. Feature maps
# are flattened channels-first, the order of torch's `x.reshape(B, -1)` on a `(B, C, H, W)` tensor.

# %% tags=["hide-input"]
# Setup: on Colab, install the book's `lib` package (Colab's own torch is kept) and use the GPU.
import sys

if "google.colab" in sys.modules:
    import subprocess

    url = "git+https://github.com/inverting-generative-models/inversion-book"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", url], check=True)

from lib.book import setup_notebook

DEVICE = setup_notebook("p3_conv_matrices")

# %% tags=["hide-input"]
import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn.functional as F
from myst_nb import glue

from lib.book import plotting
from lib.book.experiments import settings
from lib.book.scorecard import Claims
from lib.core import convnet as conv

S = settings("p3_conv_matrices")
F64 = torch.float64

# %% [markdown]
# ## The matrix of a transposed convolution
#
# A transposed convolution with stride $s$ and padding $p$ takes each input pixel $z[i, q]$,
# multiplies the filter $f_{i,j}$ by it and *adds* the result into output channel $j$ at the
# patch starting at $q s - p$. So output pixel $(j, o)$ receives $f_{i,j}[a]\, z[i, q]$ whenever
# $o = q s - p + a$: that is one nonzero entry of $W$ in row $(j, o)$ and column $(i, q)$.
# `lib.core.convnet.conv_transpose_matrix` builds all these entries at once (a sparse COO matrix). We
# compare $W z$ with `torch.nn.functional.conv_transpose1d/2d` on several shapes, strides,
# paddings and channel counts, in float64.

# %%
gen = torch.Generator().manual_seed(S["seed"])
cases = [  # (C_in, C_out, kernel, input size, stride, padding)
    (2, 2, (3,), (4,), 3, 0),
    (3, 2, (5,), (7,), 3, 0),
    (2, 4, (4,), (5,), 2, 1),
    (2, 16, (5, 5), (1, 1), 3, 0),
    (16, 1, (5, 5), (5, 5), 3, 0),
    (4, 3, (4, 4), (4, 4), 2, 1),
    (3, 2, (2, 2), (3, 3), 2, 0),
]
worst = 0.0
print(
    f"{'C_in':>4} {'C_out':>5} {'kernel':>7} {'input':>7} {'s':>2} {'p':>2}  {'W shape':>11} {'nnz':>6}  density"
)
for C_in, C_out, k, D, s, p in cases:
    w = torch.randn(C_in, C_out, *k, generator=gen, dtype=F64)
    z = torch.randn(C_in, *D, generator=gen, dtype=F64)
    W = conv.conv_transpose_matrix(w, D, s, p)
    f = F.conv_transpose1d if len(D) == 1 else F.conv_transpose2d
    ref = f(z[None], w, stride=s, padding=p).reshape(-1)
    worst = max(worst, (W @ z.reshape(-1) - ref).abs().max().item())
    dens = W._nnz() / (W.shape[0] * W.shape[1])
    print(
        f"{C_in:>4} {C_out:>5} {str(k):>7} {str(D):>7} {s:>2} {p:>2}  {str(tuple(W.shape)):>11} "
        f"{W._nnz():>6}  {dens:.3f}"
    )
print(f"max |W z - conv_transpose(z)| < 1e-12: {worst < 1e-12}")

# %% [markdown]
# The matrices are sparse: a column holds at most $C_{\rm out}\, l$ nonzeros (one filter per
# output channel), whatever the image size, so the density falls as the images grow.
#
# ## Figure 2: the block permutation
#
# When the stride equals the kernel size ($s = l$, the assumption of P3's theorems) the output
# patches of different input pixels do not overlap: input pixel $q$ feeds exactly the output
# pixels $o = q l + a$, $a = 0, \dots, l - 1$. Order the **rows** by $(q, j, a)$ (the input pixel
# that feeds them, then the output channel, then the tap) and the **columns** by $(q, i)$. Then
# every input pixel $q$ owns one diagonal block, and that block
#
# $$B[(j, a), i] = f_{i,j}[a], \qquad B \in \mathbb{R}^{C_{\rm out} l \times C_{\rm in}},$$
#
# is the same for every $q$: it holds every filter tap exactly once. `lib.core.convnet.block_permutation`
# returns the two permutations; we draw the 1-D example of the paper's figure (2 input and 2
# output channels, $l = s = 3$, 4 input pixels) before and after.

# %%
C_in, C_out, l, D0 = 2, 2, 3, 4
w = torch.randn(C_in, C_out, l, generator=gen, dtype=F64)
W = conv.conv_transpose_matrix(w, D0, stride=l).to_dense()
rows, cols = conv.block_permutation(C_in, C_out, D0, l)
P = W[rows][:, cols]
Bk = conv.filter_block(w)
is_block = torch.equal(P, torch.block_diag(*[Bk] * D0))
print(
    f"W: {tuple(W.shape)}, block B: {tuple(Bk.shape)}, permuted W == blockdiag(B, B, B, B): {is_block}"
)


# %% tags=["hide-input"]
# colour every nonzero by the filter f_{i,j} it comes from (P3 Fig. 2 colours the filters)
def filter_ids(W, w, C_in, C_out, D_in, D_out):
    ids = np.full(W.shape, np.nan)
    for i in range(C_in):
        for j in range(C_out):
            blk = W[j * D_out : (j + 1) * D_out, i * D_in : (i + 1) * D_in]
            sub = ids[j * D_out : (j + 1) * D_out, i * D_in : (i + 1) * D_in]
            sub[blk.numpy() != 0] = i * C_out + j
    return ids


ids = filter_ids(W, w, C_in, C_out, D0, D0 * l)
ids_p = ids[rows.numpy()][:, cols.numpy()]
cmap = plt.get_cmap("tab10", C_in * C_out).copy()
cmap.set_bad("white")
fig, axes = plotting.subplots(1, 2, height=5.2)
for ax, M, title in [
    (axes[0], ids, "(a) W, natural order\nrows (j, o), columns (i, q)"),
    (axes[1], ids_p, "(b) permuted: rows (q, j, a),\ncolumns (q, i)"),
]:
    ax.imshow(
        np.ma.masked_invalid(M),
        cmap=cmap,
        vmin=-0.5,
        vmax=C_in * C_out - 0.5,
        interpolation="nearest",
    )
    ax.set_xticks(np.arange(-0.5, M.shape[1], 1), minor=True)
    ax.set_yticks(np.arange(-0.5, M.shape[0], 1), minor=True)
    ax.grid(which="minor", color="0.85", lw=0.5)
    ax.grid(which="major", visible=False)
    ax.tick_params(which="both", length=0)
    ax.set_title(title)
    ax.set_xlabel("column (input entry)")
    ax.set_ylabel("row (output entry)")
handles = [
    plt.Rectangle((0, 0), 1, 1, color=cmap(i * C_out + j))
    for i in range(C_in)
    for j in range(C_out)
]
fig.legend(
    handles,
    [f"$f_{{{i + 1},{j + 1}}}$" for i in range(C_in) for j in range(C_out)],
    loc="outside lower center",
    ncols=4,
)
glue("p3-conv-matrices-fig2", fig, display=False)
plt.close(fig)

# %% [markdown]
# ```{glue:figure} p3-conv-matrices-fig2
# :name: fig-p3-conv-matrices-fig2
# :alt: Two coloured sparsity patterns of a 24 by 8 transposed-convolution matrix: scattered entries in the natural order (a), and identical dense blocks on the diagonal after permuting rows and columns (b).
#
# A transposed convolution as a matrix (reproduces P3 Fig. 2): 1-D, $C_{\rm in} = 2$ input and
# $C_{\rm out} = 2$ output channels, kernel $l = 3$ = stride, 4 input pixels (a $24 \times 8$
# matrix); every nonzero coloured by the filter $f_{i,j}$ it comes from, white = 0. (a) rows and
# columns in the natural channels-first order; (b) after the permutation of rows $(q, j, a)$ and
# columns $(q, i)$. Filter taps drawn from $\mathcal{N}(0, 1)$, seed 2018.
# ```
#
# Panel (a) is the matrix of P3 Fig. 2(a): each column is a filter written down in a staircase,
# shifted by the stride. Panel (b) is Fig. 2(b): after the permutation all four filters of one
# input pixel sit together in one dense $6 \times 2$ block, repeated down the diagonal.
#
# The same holds in 2-D and for larger layers (tested in `tests/test_conv.py`); here the
# first layer of the paper's Sec. 4.2 network with stride = kernel = 5, and a 2-D layer with
# 3 input pixels per side:

# %%
for C_in_, C_out_, k_, D_ in [
    (2, 16, (5, 5), (1, 1)),
    (3, 4, (2, 2), (3, 3)),
    (4, 2, (3, 2), (2, 5)),
]:
    w_ = torch.randn(C_in_, C_out_, *k_, generator=gen, dtype=F64)
    W_ = conv.conv_transpose_matrix(w_, D_, stride=k_).to_dense()
    r_, c_ = conv.block_permutation(C_in_, C_out_, D_, k_)
    n_blocks = int(np.prod(D_))
    ok = torch.equal(W_[r_][:, c_], torch.block_diag(*[conv.filter_block(w_)] * n_blocks))
    print(
        f"C_in={C_in_}, C_out={C_out_}, kernel={k_}, input {D_}: {n_blocks} identical blocks "
        f"of {tuple(conv.filter_block(w_).shape)}: {ok}"
    )

# %% [markdown]
# ### What the permutation buys
#
# With i.i.d. Gaussian filter taps, the block $B$ is a dense Gaussian matrix, the object that
# the analysis of {cite:t}`hand2018global` of fully connected generators handles with standard
# concentration bounds. The permutation is only a relabelling of inputs and outputs, so norms and
# the ReLU (entrywise) commute with it: every statement about $\sigma(W x)$ can be proven on the
# block-diagonal form. The price is that the permutation of the *input* distorts angles between
# input vectors, which is the technical heart of P3's Lemma Sup.4.
#
# A consequence worth seeing: with $s = l$ a two-layer network decouples. Input pixel $q$ of $z$
# feeds only its own patch of $x_1$, whose pixels feed only their own patches of the output, so
# $G$ acts on each latent pixel $z[:, q]$ *independently*, with the same small fully connected
# network $z[:, q] \mapsto \sigma(B_2 \sigma(B_1 z[:, q]))$ (up to the permutation of the second
# layer). Overlap between patches ($s < l$, as in practical generators and in the experiments of
# P3 Sec. 4) is what couples neighbouring latent pixels; there the matrix is banded but no
# permutation makes it block-diagonal:

# %%
w5 = torch.randn(2, 2, 5, generator=gen, dtype=F64)
W53 = conv.conv_transpose_matrix(w5, 4, stride=3).to_dense()
cols_per_row = (W53 != 0).sum(1)
print(f"kernel 5, stride 3: W is {tuple(W53.shape)}")
print(
    f"output rows fed by 2 neighbouring input pixels (overlap): "
    f"{int((cols_per_row > 2).sum())} of {W53.shape[0]}"
)

# %% [markdown]
# ## P3 Theorem 1 and its corollaries
#
# The permutation is the tool; the result it proves is the following (P3 Sec. 3). $D_v J(z)$ is
# the one-sided directional derivative of the cost $J$ along $v$, and $\mathcal{B}(z, r)$ the ball
# of radius $r$ around $z$.
#
# ```{prf:theorem} P3 Theorem 1 (invertibility of convolutional generative networks)
# :label: p3-conv-matrices-thm1
#
# Fix $\epsilon > 0$. Let $W_1 \in \mathbb{R}^{C_1 D_1 \times C_0 D_0}$ and
# $W_2 \in \mathbb{R}^{C_2 D_2 \times C_1 D_1}$ be transposed-convolution matrices with stride
# equal to the kernel size $l$ and filters with i.i.d. entries from $\mathcal{N}(0, 1/(C_i l))$
# for layers $i = 1, 2$, and let the sampling matrix be $A = I$. If
# $C_1 l \gtrsim_\epsilon C_0 \log C_0$ and $C_2 l \gtrsim_\epsilon C_1 \log C_1$, then with
# probability at least $1 - \kappa (D_1 C_1 e^{-\gamma C_0} + D_2 C_2 e^{-\gamma C_1})$, for all
# nonzero $z$ and $z^\star$ there is a direction $v_{z, z^\star}$ with
#
# $$D_{v_{z,z^\star}} J(z) < 0 \quad \forall z \notin \mathcal{B}(z^\star, \epsilon \|z^\star\|_2)
# \cup \mathcal{B}(-\rho z^\star, \epsilon \|z^\star\|_2) \cup \{0\},$$
#
# $$D_z J(0) < 0 \quad \forall z \neq 0,$$
#
# where $J(z) = \tfrac12 \|y^\star - A G(z)\|^2$, $\rho > 0$ is a constant and $\gamma, \kappa > 0$
# depend only on $\epsilon$.
# ```
#
# In words: away from $z^\star$, from a negative multiple $-\rho z^\star$ and from $0$, there is
# always a strict descent direction, and $0$ is never a minimum. So gradient descent can stop only
# near $z^\star$ or near $-\rho z^\star$; the theorem does not say what happens at the latter
# (a local minimum or a saddle may sit there), which is why the recovery code of this book
# restarts once from the negated end point ({doc}`p3_partial_recovery`).
#
# ```{prf:corollary} P3 Corollary 2 (one-to-one mapping)
# :label: p3-conv-matrices-cor2
#
# Under the assumptions of {prf:ref}`p3-conv-matrices-thm1` the map $G: \mathbb{R}^{n_0} \to
# \mathbb{R}^{n_2}$ is injective with high probability.
# ```
#
# ```{prf:proof}
# If $G(z) = G(z^\star)$ with $z \ne z^\star$, then $J(z) = 0$ is a global minimum, so no
# direction decreases $J$ at $z$: by the theorem $z$ lies within $\epsilon \|z^\star\|$ of
# $z^\star$ or of $-\rho z^\star$. The second is impossible for a minimum of value 0 once
# $\epsilon$ is small (the output there is far from $G(z^\star)$ with high probability), and the
# first holds for every $\epsilon > 0$, so $z = z^\star$.
# ```
#
# The reading of the corollary that matters for GANs: an injective generator cannot suffer *mode
# collapse* (two latents, one image). {ref}`p3-landscapes` shows what happens when the
# assumptions fail.
#
# ## Summary
#
# - A transposed convolution is a linear map, hence a matrix $W$; it is sparse (at most
#   $C_{\rm out} l$ nonzeros per column) and `lib.core.convnet.conv_transpose_matrix` builds it
#   explicitly, equal to torch's `conv_transpose` to $10^{-12}$.
# - With stride = kernel size, relabelling rows by (input pixel, output channel, tap) and columns
#   by (input pixel, input channel) makes $W$ block-diagonal with identical dense blocks
#   (P3 Fig. 2): a Gaussian convolutional layer is, up to permutations, a stack of copies of one
#   dense Gaussian matrix.
# - On that structure P3 proves {prf:ref}`p3-conv-matrices-thm1`: gradient descent on the
#   inversion cost can stop only near $z^\star$ or near $-\rho z^\star$, and the generator is
#   injective ({prf:ref}`p3-conv-matrices-cor2`).
#
# ## Exercises
#
# ```{exercise}
# :label: ex-p3-conv-matrices-1
#
# A 2-D transposed convolution has $C_{\rm in} = 16$, $C_{\rm out} = 1$, a $5 \times 5$ kernel,
# stride 3, no padding, and a $5 \times 5$ input. What is the shape of $W$, and at most how many
# nonzeros does it have? Check with `conv.conv_transpose_matrix`.
# ```
#
# ```{solution} ex-p3-conv-matrices-1
# :class: dropdown
#
# The output side is $(5 - 1) \cdot 3 + 5 = 17$, so $W$ is $(1 \cdot 17^2) \times (16 \cdot 5^2)
# = 289 \times 400$. Every column (one input entry) holds at most one filter of $5 \cdot 5 = 25$
# taps per output channel, so at most $400 \cdot 25 = 10{,}000$ nonzeros; here none falls outside
# the image (no padding), so exactly 10,000 (the table above: density $10^4 / (289 \cdot 400)
# \approx 0.087$).
# ```
#
# ```{exercise}
# :label: ex-p3-conv-matrices-2
#
# With stride = kernel size, show that a two-layer network $\sigma(W_2 \sigma(W_1 z))$ applies the
# *same* small fully connected network to every latent pixel $z[:, q]$. What does this say about
# the number of observed pixels needed per latent pixel when half of the image is hidden?
# ```
#
# ```{solution} ex-p3-conv-matrices-2
# :class: dropdown
#
# By the block structure, latent pixel $q$ feeds only its own patch of $x_1$ through the block
# $B_1$, and each pixel of that patch only its own patch of the output through $B_2$: the output
# patch of $q$ is $\sigma(B_2' \sigma(B_1 z[:, q]))$, with $B_2'$ the second block arranged per
# patch. So the latent pixels decouple, and each must be recovered from the pixels of its *own*
# output patch. Hiding half of the image hides whole patches: the latent pixels whose patches
# are hidden cannot be recovered at all, however many pixels are observed elsewhere. Spread
# masks (random pixels) observe a little of every patch, which is why they need fewer pixels
# ({ref}`p3-partial-recovery`).
# ```

# %% [markdown]
# ## Claims

# %% tags=["hide-input"]
claims = Claims("p3_conv_matrices")
claims.add(
    "P3-fig2",
    passed=bool(worst < 1e-12 and is_block),
    measured=f"W z equals torch's conv_transpose to < 1e-12 on {len(cases)} shapes (1-D and 2-D, "
    "strides 2-3, paddings 0-1, 1-16 channels); the (q, j, a) x (q, i) permutation gives "
    f"blockdiag(B, ..., B) exactly ({D0} identical {tuple(Bk.shape)} blocks in the figure)",
    paper="transposed conv = sparse block matrix; permuted: block-diagonal, identical blocks",
    short="W z = torch's conv_transpose; block-diagonal when permuted",
)
assert not (failed := claims.report()), f"claims that did not hold: {failed}"
