"""X-hybrid: the layered pursuit where it works, gradient descent where it does not.

P1 Sec. 6.1 (Fig. 4) finds the layered methods (Layered Basis-Pursuit, Latent-Pursuit) exact where
the hidden layer is moderately expansive and failing where it is much larger than the image
(n_1 >> n: then s_1 > n and the last layer cannot be inverted), while gradient descent keeps
succeeding there; P1 leaves a method combining the two for future work. :func:`hybrid` is one such
method, per signal:

1. the *layered estimate* z_L: P1 Latent-Pursuit (Algorithm 5, debiased) on a generator with ReLU
   hidden layers and an invertible output, or P2's layer-wise linear equations (Thm 3 / Eq. 5) on
   a generator with ReLU (LeakyReLU) at every layer;
2. *polish*: gradient descent started at z_L (P1's step-size rule), which turns an almost-right
   layered estimate into a local minimiser of the data term (and keeps an exact one exact);
3. *the rule*: the polished estimate is accepted when it fits the data (relative residual
   ||M (G(z) - y)|| / ||M y|| <= ``fit_tol``) and its supports determine it
   (:func:`support_certificate`); every other signal also gets gradient descent from a random
   start (P1's baseline), and keeps whichever candidate fits the data better.

The rule uses only what is observed (y, the mask, G): never the unknown z.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import torch

from lib.core.checks import check_count, check_positive
from lib.core.generator import Generator
from lib.core.observation import check_observation, relative_residual, undetermined
from lib.core.result import InversionResult, demote_undetermined
from lib.methods.gradient import _step_search
from lib.methods.lp import _equations
from lib.methods.pursuit import _check_G, _latent_pursuit, default_support_tol, default_tol
from lib.methods.rules import as_matrices, latent_pursuit_rule, p2_rule


def support_certificate(G: Generator, z: torch.Tensor, mask=None) -> torch.Tensor:
    """Do the supports of G(z) determine z?  (B,) bool on the CPU.

    Layer by layer from the output down: the rows that carry an equation (observed outputs;
    for a ReLU output only the active ones, for a hidden ReLU layer its support S_{i+1}) must give
    the unknowns of the layer below (its support S_i, or all of z) a full-column-rank system:
    rank W_i[R_{i+1}, S_i] = |S_i|. This is the condition under which the layer-wise Oracle
    (P1 Alg. 6) and P2's linear equations (Thm 3) have one answer: every hidden layer, not only z,
    is determined. It is a *local* test, weaker than P1's spark-based Theorem 1 (which also
    excludes other supports), and it can fail where z is still unique: the end-to-end Oracle
    (P1 Alg. 1) needs only rank(prod W^S) = n_0. The sizes s_i = |S_i| are the cardinalities of
    P1's certificate; s_1 >= n_0 is necessary for the first layer.
    """
    if not isinstance(G, Generator):
        raise TypeError("G: support_certificate needs a dense lib.core.generator.Generator")
    with torch.no_grad():
        fw = G.forward(torch.nan_to_num(z))
        B = fw.z.shape[0]
        rows = torch.ones(B, G.dims[-1], dtype=torch.bool, device=G.device)
        if mask is not None:
            rows = rows & torch.as_tensor(mask, device=G.device).bool()
        if G.output == "relu":
            rows = rows & (fw.pre[-1] > 0)
        ok = torch.ones(B, dtype=torch.bool, device=G.device)
        for i in range(G.L, -1, -1):
            W = G.weights[i]
            if i > 0 and G.hidden == "relu":
                cols = fw.supports[i - 1]
            else:
                cols = torch.ones(B, W.shape[1], dtype=torch.bool, device=G.device)
            # rank <= the number of rows: fewer rows than unknowns is rank-deficient without an
            # SVD, and a signal that failed below the output needs none (same answer, faster)
            ok &= rows.sum(1) >= cols.sum(1)
            todo = ok.nonzero().flatten()
            if len(todo):
                r, c = rows[todo], cols[todo]
                A = W[None] * r[:, :, None].to(W.dtype) * c[:, None, :].to(W.dtype)
                ok[todo] = torch.linalg.matrix_rank(A) == c.sum(1)
            rows = cols
    return ok.cpu() & ~torch.isnan(z).any(dim=1).cpu()


@dataclass
class HybridResult(InversionResult):
    """:class:`lib.core.result.InversionResult` of :func:`hybrid`, plus per signal:

    - ``choice``: where the returned z comes from: 'layered' (the layered estimate itself),
      'polished' (gradient descent started at it) or 'gd' (gradient descent from a random start,
      run because the rule rejected the first two, and fitting the data better).
    - ``accepted``: (B,) bool, the rule accepted the layered or polished estimate (no random
      start).
    - ``residual``: (B,) relative residual of the returned z; ``certified``: (B,) support
      certificate.
    - ``seconds_parts``: wall time of the layered stage, the polish and the random-start GD.
    """

    choice: list[str] = field(default_factory=list)
    accepted: torch.Tensor | None = None
    residual: torch.Tensor | None = None
    certified: torch.Tensor | None = None
    seconds_parts: dict = field(default_factory=dict)


def layered_parent(G) -> str | None:
    """Which layered method the hybrid starts from on G, by the registry's rules
    (:mod:`lib.methods.registry`): 'latent_pursuit' (P1: ReLU hidden layers, an output
    Latent-Pursuit inverts), 'equations' (P2: ReLU or LeakyReLU at every layer, every layer
    expanding), or None. A dense generator only."""
    if not isinstance(G, Generator):
        return None
    if latent_pursuit_rule(G) is None:
        return "latent_pursuit"
    return "equations" if p2_rule(G) is None else None


def hybrid(
    G: Generator,
    y: torch.Tensor,
    *,
    mask=None,
    fit_tol: float = 1e-6,
    lrs: tuple[float, ...] = (1e-1,),
    max_iter: int = 1000,
    tol: float = 1e-9,
    pursuit_max_iter: int = 1000,
    pursuit_tol: float | None = None,
    rho: float = 1e-2,
    lam: float = 0.0,
    seed: int = 0,
) -> HybridResult:
    """The X-hybrid (see the module docstring): layered estimate, gradient polish, and per signal
    gradient descent from a random start where the polished estimate does not fit the data or
    is not determined by its supports.

    Args:
        G: a dense generator on which a layered parent exists (:func:`layered_parent`).
        y, mask: the observation and its mask (True = observed).
        fit_tol: accept a polished estimate whose relative residual is at most this (on noisy
            data: about twice the relative noise level).
        lrs, max_iter, tol: P1's gradient-descent rule
            (:func:`lib.methods.gradient.gd_step_search`), used for the polish (started at z_L)
            and for the random start.
        pursuit_max_iter, pursuit_tol, rho, lam: Latent-Pursuit's ``max_iter``, ``tol``, ADMM
            penalty and last-layer lambda (P1; on noisy data lam = 2 l eps, P1 Alg. 2's rule).
    ``iterations`` counts the gradient steps of both gradient runs (not the pursuit's). The
    observation is checked once, here; the parents run on it unchecked.
    """
    fit_tol = check_positive("fit_tol", fit_tol)
    max_iter = check_count("max_iter", max_iter, minimum=1)
    G = as_matrices(G)
    parent = layered_parent(G)
    if parent is None:
        raise ValueError(
            f"G: the hybrid needs a layered parent (ReLU hidden layers with an invertible output, "
            f"or ReLU/LeakyReLU at every layer); got {type(G).__name__} with "
            f"hidden={getattr(G, 'hidden', None)!r}, output={getattr(G, 'output', None)!r}"
        )
    y, mask = check_observation(G, y, mask)
    t0 = time.perf_counter()
    if parent == "latent_pursuit":
        _check_G(G, "the hybrid's Latent-Pursuit")
        lams = [0.0] * (G.L - 1) + [check_positive("lam", lam, allow_zero=True)]
        tol_p = default_tol(G.dtype, pursuit_tol)
        st = default_support_tol(G.dtype, None)
        zl = _latent_pursuit(
            G, y, mask, lams, check_positive("rho", rho), 0.0, True,
            check_count("pursuit_max_iter", pursuit_max_iter, minimum=1), tol_p, st, seed, True,
        ).z  # fmt: skip
    else:
        zl = _equations(G, y, mask).z
    t1 = time.perf_counter()
    # polish: P1's gradient rule started at the layered estimate (a NaN row starts at 0)
    z0 = torch.nan_to_num(zl.detach().clone())
    pol = _step_search(G, y, mask, lrs, max_iter, tol, seed, z0)
    zp = pol.z
    rl, rp = relative_residual(G, zl, y, mask), relative_residual(G, zp, y, mask)
    better = rp <= rl
    z = torch.where(better[:, None], zp, torch.nan_to_num(zl, nan=0.0))
    res = torch.minimum(rp, rl)
    iters = pol.iterations.clone()
    cert = support_certificate(G, z, mask)
    accept = (res.cpu() <= fit_tol) & cert
    choice = ["polished" if b else "layered" for b in better.cpu().tolist()]
    t2 = time.perf_counter()
    todo = (~accept).nonzero().flatten()
    if len(todo):
        m = mask if mask is None or mask.ndim == 1 else mask[todo.to(mask.device)]
        idx = todo.to(y.device)
        g = _step_search(G, y[idx], m, lrs, max_iter, tol, seed, None)
        rg = relative_residual(G, g.z, y[idx], m)
        for j, b in enumerate(todo.tolist()):
            iters[b] += int(g.iterations[j])
            if rg[j] < res[b]:
                z[b], res[b], choice[b] = g.z[j], rg[j], "gd"
        cert = support_certificate(G, z, mask)
    t3 = time.perf_counter()
    status = ["fitted" if r <= fit_tol else "budget" for r in res.tolist()]
    status = demote_undetermined(status, undetermined(G, mask, len(status)))
    return HybridResult(
        z=z,
        layers=G.forward(z).x,
        status=status,
        iterations=iters,
        seconds=t3 - t0,
        method=f"hybrid ({parent} + gradient descent)",
        choice=choice,
        accepted=accept,
        residual=res.cpu(),
        certified=cert,
        seconds_parts={"layered": t1 - t0, "polish": t2 - t1, "gd": t3 - t2},
    )
