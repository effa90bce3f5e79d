"""P1's pursuit algorithms (Aberdam, Simon, Elad): the Oracle, Layered Basis-Pursuit and
Latent-Pursuit, batched over signals in torch.

Every function inverts x = G(z) (P1 Eq. 3, with biases b_i: after batch-norm folding trained nets
have them) from an observation y (B, n), optionally through a pixel mask M (bool, True =
observed; only observed pixels enter the last-layer data term, P1 Sec. 6.2 inpainting). All
signals of a batch run together with their *own* supports (0/1 masks, no per-signal Python loop
in the iterations), their own step sizes (from the largest eigenvalue of their own supported
matrix) and their own stopping test; a signal that has converged is frozen. Nothing hard-codes a
device: everything runs where the generator's weights are.

Every method returns a :class:`PursuitResult` (a :class:`lib.core.result.InversionResult`).

Speed (Latent-Pursuit's stages, ``polish=True``): the iterations
test their stopping rule on the device and synchronise with the host only every
:data:`CHECK_EVERY` iterations; finished signals leave the batch; and at iteration 0, 50, 100,
200, ... each stage tries a *polish* (OSQP's solution polishing, Stellato et al. 2020): the
stage's problem solved exactly on the current support by least squares, accepted for a signal
only when it passes the stage's own optimality test (primal feasibility and the fixed-point
residual of the projected-gradient step, both below ``tol``). An accepted polish is a minimiser
of the stage to ``tol``; a rejected one changes nothing. Where a stage has one minimiser this is
the paper's answer, faster. Where it has several (a middle layer with fewer active rows than
unknowns, s_{i+1} < n_i), the polish returns the least-squares one and the paper's iterations
may end at another, equally feasible and optimal (``tests/test_pursuit_reference.py`` keeps
such a case): the answer then depends on the path, and the certificate
(:func:`lib.theory.sparsity.certify`) says that the layer is not determined. ``polish=False``
runs the paper's iterations alone (the reference).

Notation: W_i (n_{i+1} x n_i), x_i in R^{n_i}, S_i = support(x_i), W^S the rows of W in S,
W[S, S'] rows S and columns S'.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import torch

from lib.core.checks import (
    check_count,
    check_per_layer,
    check_positive,
    require_dense,
    require_hidden,
    require_output,
)
from lib.core.generator import INVERTIBLE_OUTPUTS, Generator, activation, activation_inverse
from lib.core.observation import check_observation, undetermined
from lib.core.result import InversionResult, demote_undetermined

C_BP = 3.0 + math.sqrt(1.5)  # the constant of P1 Theorem 2 / Lemma 2 (Tropp 2006)
#: host syncs: the iterations test "has every signal stopped?" only every this many iterations
#: (a signal that stops is frozen at once on the device: no result changes, only wall time)
CHECK_EVERY = 10
#: iterations at which a stage tries its polish (then every doubling: 800, 1600, ...)
POLISH_AT = (0, 50, 100, 200, 400)


@dataclass
class PursuitResult(InversionResult):
    """Result of one P1 inversion method on a batch of B signals
    (:class:`lib.core.result.InversionResult`).

    ``layers`` are the method's own layer estimates [x_1, ..., x_L] (before debiasing; for the
    end-to-end Oracle, the layers of G(z_hat)). ``iterations`` (B,) is the total over all
    stages. ``status`` per signal: 'converged' when every stage met its tolerance, 'budget' when
    some stage ran out of iterations, 'not_unique' when the estimated first-layer support has
    fewer than n_0 units (z is then not determined by the data).

    Extra attributes:
        supports: [S_1, ..., S_L] the supports used (estimated, or the true ones for the Oracle).
        stage_iterations: per stage (e.g. 'x_2', 'x_1', 'z', 'debias') a (B,) tensor.
        converged: per stage a (B,) bool tensor (the stage's tolerance was met).
    """

    supports: list[torch.Tensor] = field(default_factory=list)
    stage_iterations: dict[str, torch.Tensor] = field(default_factory=dict)
    converged: dict[str, torch.Tensor] = field(default_factory=dict)

    @property
    def x_layer(self) -> list[torch.Tensor]:
        """The layer estimates (= ``layers``; the name the P1 chapters use)."""
        return self.layers


#: output activations Latent-Pursuit inverts (its last-layer FISTA and debiasing need a smooth or
#: piecewise-linear monotone phi with phi' > 0 on the data; LeakyReLU is left to Layered BP)
LATENT_PURSUIT_OUTPUTS = ("identity", "tanh", "sigmoid", "plu")


# ---------------------------------------------------------------- checks and small helpers
def _check_G(G, method: str, outputs: tuple[str, ...] = INVERTIBLE_OUTPUTS) -> Generator:
    """The P1 methods need a dense generator with ReLU hidden layers (P1 Eq. 3) and an output
    activation they can invert."""
    G = require_dense(G, method)
    require_hidden(G, ("relu",), method)
    require_output(G, outputs, method)
    return G


def default_tol(dtype: torch.dtype, tol: float | None = None) -> float:
    """The stopping tolerance: ``tol``, or 1e-10 in float64 and 100 eps in a shorter dtype
    (float32: 1.2e-5). A ``tol`` below 10 eps of the dtype cannot be met: ValueError naming
    ``tol``."""
    eps = torch.finfo(dtype).eps
    if tol is None:
        return 1e-10 if dtype == torch.float64 else 100 * eps
    tol = check_positive("tol", tol)
    if tol < 10 * eps:
        raise ValueError(
            f"tol={tol!r}: below what {dtype} can resolve (10 eps = {10 * eps:.1e}); "
            "use float64 for tighter tolerances"
        )
    return tol


def default_support_tol(dtype: torch.dtype, support_tol: float | None = None) -> float:
    """Support threshold relative to max |x|: ``support_tol``, or 1e-6 in float64 and
    100 eps in a shorter dtype (float32: 1.2e-5; measured on the trained P1 generator, 512
    clean signals: 1.2e-5 finds every support, 1.2e-4 cuts small true activations of 25)."""
    if support_tol is None:
        return 1e-6 if dtype == torch.float64 else 100 * torch.finfo(dtype).eps
    v = check_positive("support_tol", support_tol)
    if v >= 1:
        raise ValueError(f"support_tol={support_tol!r}: expected a number in (0, 1)")
    return v


def _phi_prime(name: str, a: torch.Tensor, slope: float = 0.0) -> torch.Tensor:
    """phi'(a) for the smooth (or piecewise linear) invertible output activations."""
    if name == "identity":
        return torch.ones_like(a)
    if name == "tanh":
        return 1 - torch.tanh(a) ** 2
    if name == "sigmoid":
        s = torch.sigmoid(a)
        return s * (1 - s)
    if name == "plu":
        return torch.where(a.abs() <= 1.0, torch.ones_like(a), torch.full_like(a, 0.1))
    if name == "leaky_relu":
        return torch.where(a >= 0, torch.ones_like(a), torch.full_like(a, slope))
    raise ValueError(f"G.output={name!r}: Latent-Pursuit needs a smooth monotone phi")


def _row_mask(mask: torch.Tensor | None, y: torch.Tensor) -> torch.Tensor:
    return torch.ones_like(y) if mask is None else mask.expand_as(y).to(y.dtype)


def _finish(G, z, layers, supports, its, conv, t0, method, mask) -> PursuitResult:
    """The pursuits' result: ``iterations`` the total over the stages; per signal 'not_unique'
    where |S_1| < n_0 (or fewer than n_0 pixels are observed), else 'converged' where every
    stage met its tolerance, else 'budget'."""
    B = z.shape[0]
    total, ok = torch.zeros(B, dtype=torch.long), torch.ones(B, dtype=torch.bool)
    for v in its.values():
        total += v.cpu()
    for v in conv.values():
        ok &= v.cpu()
    few = (supports[0].sum(1) < G.dims[0]).cpu() if supports else torch.zeros(B, dtype=torch.bool)
    status = [
        "not_unique" if f else "converged" if c else "budget"
        for f, c in zip(few.tolist(), ok.tolist(), strict=True)
    ]
    status = demote_undetermined(status, undetermined(G, mask, B))
    return PursuitResult(
        z,
        list(layers),
        status,
        total,
        time.perf_counter() - t0,
        method,
        supports=list(supports),
        stage_iterations=its,
        converged=conv,
    )


def lambda_max(
    A: torch.Tensor,
    row_w: torch.Tensor,
    *,
    rho_w: torch.Tensor | None = None,
    iters: int = 60,
    seed: int = 0,
) -> torch.Tensor:
    """Per-signal largest eigenvalue of W^T diag(row_w_b) W by batched power iteration.

    A: (m, k) shared matrix; row_w: (B, m) nonnegative row weights per signal (a 0/1 support, a
    pixel mask, or d + rho c for P1 Eq. 12; (1, m) when shared by all signals). Returns a (B,)
    tensor multiplied by a safety factor 1.05 (power iteration approaches lambda_max from
    below), i.e. an upper estimate used for step sizes (P1 Alg. 3 mu, Eq. 12 alpha + beta).
    """
    if rho_w is not None:
        row_w = row_w + rho_w
    gen = torch.Generator().manual_seed(seed)
    v = torch.randn(row_w.shape[0], A.shape[1], generator=gen, dtype=A.dtype).to(A.device)
    v = v / torch.linalg.vector_norm(v, dim=1, keepdim=True)
    lam = torch.zeros(row_w.shape[0], dtype=A.dtype, device=A.device)
    tiny = torch.finfo(A.dtype).tiny
    for _ in range(iters):
        w = ((v @ A.T) * row_w) @ A
        lam = (w * v).sum(dim=1)
        v = w / torch.linalg.vector_norm(w, dim=1, keepdim=True).clamp_min(tiny)
    return 1.05 * lam.clamp_min(torch.finfo(A.dtype).eps)


def batched_lstsq(A: torch.Tensor, rhs: torch.Tensor, *, gamma: float = 0.0) -> torch.Tensor:
    """Minimum-norm solution of min_x ||A_b x - rhs_b||^2 + gamma ||x||^2 for a batch.

    A: (B, m, k) per signal, or (m, k) shared by all signals; rhs: (B, m). The normal equations
    by :func:`pinv_solver` (the pseudo-inverse, so a rank-deficient support gives the
    minimum-norm solution), plus one step of iterative refinement to recover the accuracy lost by
    squaring the condition number. Device-agnostic (Cholesky and eigh exist on CPU and CUDA,
    unlike a rank-revealing lstsq driver).
    """
    Gm = A.mT @ A
    if gamma > 0:
        Gm = Gm + gamma * torch.eye(Gm.shape[-1], dtype=A.dtype, device=A.device)
    solve = pinv_solver(Gm)

    def At(r):  # (B, m) -> (B, k)
        return (A.mT @ r[:, :, None])[:, :, 0]

    x = solve(At(rhs))
    r = rhs - (A @ x[:, :, None])[:, :, 0]
    return x + solve(At(r) - gamma * x)


def pinv_solver(Gm: torch.Tensor) -> Callable[[torch.Tensor], torch.Tensor]:
    """g (B, k) -> Gm^+ g for symmetric positive semi-definite Gm, (k, k) or (B, k, k): the
    pseudo-inverse that drops the eigenvalues below 10 k eps lambda_max.

    Where no eigenvalue is that small the pseudo-inverse is the inverse, applied through the
    Cholesky factor Gm = L L^T; that is certain when 1 / ||L^{-1}||_F^2 (a lower bound of
    lambda_min, as ||L^{-1}||_F^2 = trace(Gm^{-1})) exceeds 10 k eps trace(Gm) (an upper bound
    of the threshold). The other matrices (rank deficient or nearly so) are diagonalised by eigh,
    about five times the work, and their small eigenvalues dropped.
    """
    k = Gm.shape[-1]
    cut = 10 * k * torch.finfo(Gm.dtype).eps
    L, info = torch.linalg.cholesky_ex(Gm)
    eye = torch.eye(k, dtype=Gm.dtype, device=Gm.device)
    Li = torch.linalg.solve_triangular(L, eye.expand_as(L), upper=False)  # L^{-1}
    trace = Gm.diagonal(dim1=-2, dim2=-1).sum(-1)
    chol = (info == 0) & (Li.square().sum((-2, -1)) * trace * cut < 1)  # False on inf and NaN
    ill = (~chol).reshape(-1).nonzero().flatten()
    if len(ill):
        Gi = Gm if Gm.ndim == 2 else Gm[ill]
        evals, V = torch.linalg.eigh(Gi)
        thr = evals[..., -1:].clamp_min(0) * cut
        inv = torch.where(evals > thr, 1.0 / evals.clamp_min(1e-300), torch.zeros_like(evals))

    def solve(g: torch.Tensor) -> torch.Tensor:
        if Gm.ndim == 2 and len(ill):
            return (V @ (inv[:, None] * (V.mT @ g.mT))).mT
        x = (Li.mT @ (Li @ g[:, :, None]))[:, :, 0]
        if len(ill):
            x[ill] = (V @ (inv[..., :, None] * (V.mT @ g[ill][:, :, None])))[:, :, 0]
        return x

    return solve


def masked_lstsq(
    A: torch.Tensor,
    t: torch.Tensor,
    row_w: torch.Tensor,
    col_mask: torch.Tensor | None = None,
    *,
    gamma: float = 0.0,
    chunk: int = 64,
) -> torch.Tensor:
    """Per-signal least squares min_x ||row_w (A x - t)||^2 + gamma ||x||^2, x zero off col_mask.

    A: (m, k) shared; t, row_w: (B, m); col_mask: (B, k) bool or None. Minimum-norm solution when
    the supported matrix is rank deficient (:func:`batched_lstsq`). This is the projection step
    of P1 Alg. 1, Alg. 2 (final step) and Alg. 6. Chunked over the batch to bound memory.
    """
    out = []
    for s in range(0, t.shape[0], chunk):
        rw = row_w[s : s + chunk]
        Ab = rw[:, :, None] * A[None]
        if col_mask is not None:
            Ab = Ab * col_mask[s : s + chunk, None, :].to(A.dtype)
        out.append(batched_lstsq(Ab, rw * t[s : s + chunk], gamma=gamma))
    return torch.cat(out)


def support_lstsq(
    A: torch.Tensor,
    t: torch.Tensor,
    row_w: torch.Tensor,
    cols: torch.Tensor | None = None,
    *,
    shift: float = 0.0,
    lin: torch.Tensor | float = 0.0,
    chunk: int = 64,
) -> tuple[torch.Tensor, torch.Tensor]:
    """The polish of Latent-Pursuit's stages: per signal, the minimiser of
    1/2 ||sqrt(row_w) (A x - t)||^2 + shift/2 ||x||^2 + lin^T x over x supported on ``cols``.

    A: (m, k) shared; t: (B, m); row_w: (B, m) or (m,) nonnegative row weights; cols: (B, k)
    bool or None (all columns). Normal equations by Cholesky (fast, batched) with one step of
    iterative refinement on the least-squares residual. Returns x (B, k), zero off ``cols``, and
    ok (B,) bool: False where the supported system is singular (no polish for that signal).
    """
    B, k = t.shape[0], A.shape[1]
    row_w = row_w.expand(B, -1) if row_w.ndim == 1 else row_w
    lin = torch.as_tensor(lin, dtype=A.dtype, device=A.device)
    lin = lin.expand(B, k) if lin.ndim < 2 else lin
    eye = torch.eye(k, dtype=A.dtype, device=A.device)
    shared = cols is None and bool((row_w == row_w[:1]).all())
    xs, oks = [], []
    step = B if shared else chunk
    for s in range(0, B, step):
        sl = slice(s, s + step)
        w, tb, lb = row_w[sl], t[sl], lin[sl]
        if shared:
            Gm = (A.T * w[0]) @ A + shift * eye
        else:
            Gm = (A.T[None] * w[:, None, :]) @ A + shift * eye
        if cols is not None:
            F = cols[sl].to(A.dtype)
            Gm = Gm * F[:, :, None] * F[:, None, :] + torch.diag_embed(1 - F)
        Lc, info = torch.linalg.cholesky_ex(Gm)

        def solve(g, Lc=Lc):
            if Lc.ndim == 2:
                return torch.cholesky_solve(g.T, Lc).T
            return torch.cholesky_solve(g[:, :, None], Lc)[:, :, 0]

        def grad(x, w=w, tb=tb, lb=lb, sl=sl):  # A^T W (t - A x) - shift x - lin, on cols
            g = ((tb - x @ A.T) * w) @ A - shift * x - lb
            return g if cols is None else g * cols[sl].to(A.dtype)

        x = torch.zeros(tb.shape[0], k, dtype=A.dtype, device=A.device)
        x = x + solve(grad(x))
        x = x + solve(grad(x))  # iterative refinement
        piv = Lc.diagonal(dim1=-2, dim2=-1)  # a (numerically) singular support: no polish
        well = (piv.amin(-1) / piv.amax(-1)) ** 2 > 10 * k * torch.finfo(A.dtype).eps
        ok = ((info == 0) & well).expand(tb.shape[0]) & torch.isfinite(x).all(1)
        xs.append(torch.where(ok[:, None], x, torch.zeros_like(x)))
        oks.append(ok)
    return torch.cat(xs), torch.cat(oks)


def _supports_of(G: Generator, supports: Sequence[torch.Tensor], B: int) -> list[torch.Tensor]:
    if len(supports) != G.L:
        raise ValueError(f"supports: expected {G.L} masks (S_1..S_L), got {len(supports)}")
    out = []
    for i, S in enumerate(supports):
        S = torch.as_tensor(S, device=G.device).bool()
        if S.ndim == 1:
            S = S[None].expand(B, -1)
        if S.shape != (B, G.dims[i + 1]):
            raise ValueError(
                f"supports[{i}] must have shape ({B}, {G.dims[i + 1]}), got {tuple(S.shape)}"
            )
        out.append(S)
    return out


def effective_linear_map(
    G: Generator, supports: Sequence[torch.Tensor]
) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-signal affine map z -> A_b z + c_b of the pre-activation of the output layer when the
    supports are frozen: A_b = W_L D_L W_{L-1} ... D_1 W_0 (P1 Alg. 1, prod_i W_i^{S_{i+1}}),
    with D_i = diag(S_i). Returns A (B, n, n_0) and c (B, n)."""
    B = supports[0].shape[0]
    A = G.weights[0].expand(B, -1, -1)
    c = G.bias(0).expand(B, -1)
    for i in range(1, G.L + 1):
        D = supports[i - 1].to(G.dtype)
        A = G.weights[i] @ (D[:, :, None] * A)
        c = (D * c) @ G.weights[i].T + G.bias(i)
    return A, c


# ---------------------------------------------------------------- the Oracle
def debias(
    G: Generator,
    y: torch.Tensor,
    supports: Sequence[torch.Tensor],
    *,
    mask=None,
    z0: torch.Tensor | None = None,
    iters: int = 30,
    tol: float | None = None,
    chunk: int = 64,
    _checked: bool = False,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """z = argmin_z 1/2 ||M (y - phi(A_S z + c_S))||^2 with the supports frozen (P1 Alg. 1; the
    debiasing step of Alg. 5).

    Solved per signal by a least-squares start on phi^{-1}(y) (exact when y = G(z) with these
    supports) and Gauss-Newton steps on the true objective, each accepted only if it lowers the
    signal's loss. Returns z, the number of accepted steps and convergence flags (relative step
    below ``tol``, default 100 eps of the dtype, or no further decrease).
    """
    G = _check_G(G, "debias (P1 Alg. 1)")
    if not _checked:  # (the pursuits call it on their checked observation)
        y, mask = check_observation(G, y, mask)
    iters = check_count("iters", iters)
    tol = 100 * torch.finfo(G.dtype).eps if tol is None else check_positive("tol", tol)
    S = _supports_of(G, supports, y.shape[0])
    Mrow = _row_mask(mask, y)
    zs, steps, convs = [], [], []
    for s0 in range(0, y.shape[0], chunk):
        sl = slice(s0, s0 + chunk)
        A, c = effective_linear_map(G, [s[sl] for s in S])
        yb, Mb = y[sl], Mrow[sl]
        if z0 is None:
            t = activation_inverse(G.output, yb, G.slope) - c
            z = batched_lstsq(Mb[:, :, None] * A, Mb * t)
        else:
            z = z0[sl].clone()

        def loss_of(z, A=A, c=c, yb=yb, Mb=Mb):
            r = Mb * (activation(G.output, (A @ z[:, :, None])[:, :, 0] + c, G.slope) - yb)
            return 0.5 * (r * r).sum(1)

        f = loss_of(z)
        n_acc = torch.zeros(z.shape[0], dtype=torch.long, device=z.device)
        done = torch.zeros(z.shape[0], dtype=torch.bool, device=z.device)
        if G.output != "identity":
            for _ in range(iters):
                # a finished signal is frozen: compute the step of the others only
                k = (~done).nonzero().flatten()
                if len(k) == 0:
                    break
                Ak, ck, zk, Mk = A[k], c[k], z[k], Mb[k]
                a = (Ak @ zk[:, :, None])[:, :, 0] + ck
                r = Mk * (activation(G.output, a, G.slope) - yb[k])
                J = (Mk * _phi_prime(G.output, a, G.slope))[:, :, None] * Ak
                delta = batched_lstsq(J, r)
                z_new = zk - delta
                f_new = loss_of(z_new, Ak, ck, yb[k], Mk)
                ok = f_new < f[k]
                zk = torch.where(ok[:, None], z_new, zk)
                z[k], f[k] = zk, torch.where(ok, f_new, f[k])
                n_acc[k] += ok.long()
                small = torch.linalg.vector_norm(delta, dim=1) <= tol * torch.linalg.vector_norm(
                    zk, dim=1
                )
                done[k] = ~ok | small
        else:
            done[:] = True
        zs.append(z)
        steps.append(n_acc)
        convs.append(done)
    return torch.cat(zs), torch.cat(steps).cpu(), torch.cat(convs).cpu()


def oracle(
    G: Generator, y: torch.Tensor, *, mask=None, supports: Sequence[torch.Tensor]
) -> PursuitResult:
    """The Oracle, P1 Algorithm 1: with the true supports known, z = argmin ||y - phi(prod W^S z)||.

    End-to-end least squares on the supported linear map (plus Gauss-Newton refinement for a
    non-identity phi, see :func:`debias`). ``layers``: the layers of G(z_hat)."""
    t0 = time.perf_counter()
    G = _check_G(G, "the Oracle (P1 Alg. 1)")
    y, mask = check_observation(G, y, mask)
    S = _supports_of(G, supports, y.shape[0])
    z, it, conv = debias(G, y, S, mask=mask, _checked=True)
    fw = G.forward(z)
    return _finish(G, z, fw.x, S, {"debias": it}, {"debias": conv}, t0, "Oracle (P1 Alg. 1)", mask)


def layered_oracle(
    G: Generator, y: torch.Tensor, *, mask=None, supports: Sequence[torch.Tensor]
) -> PursuitResult:
    """The layer-wise Oracle, P1 Algorithm 6 (analysed by arXiv Theorem 3).

    x_L = argmin ||phi^{-1}(y) - W_L[:, S_L] x||, then x_i = argmin ||x_{i+1}^{S_{i+1}} -
    W_i[S_{i+1}, S_i] x|| for i = L-1..1, then z = argmin ||x_1^{S_1} - W_0^{S_1} z||. Biases are
    subtracted from the targets; the pixel mask restricts the first step to observed pixels.
    """
    t0 = time.perf_counter()
    G = _check_G(G, "the layer-wise Oracle (P1 Alg. 6)")
    y, mask = check_observation(G, y, mask)
    S = _supports_of(G, supports, y.shape[0])
    L = G.L
    t = activation_inverse(G.output, y, G.slope) - G.bias(L)
    xs: list[torch.Tensor] = [None] * L  # type: ignore[list-item]
    xs[L - 1] = masked_lstsq(G.weights[L], t, _row_mask(mask, y), S[L - 1])
    for i in range(L - 1, 0, -1):
        d = S[i].to(G.dtype)
        xs[i - 1] = masked_lstsq(G.weights[i], xs[i] - G.bias(i), d, S[i - 1])
    d = S[0].to(G.dtype)
    z = masked_lstsq(G.weights[0], xs[0] - G.bias(0), d)
    return _finish(G, z, xs, S, {}, {}, t0, "layer-wise Oracle (P1 Alg. 6)", mask)


# ---------------------------------------------------------------- FISTA (one implementation)
def fista(
    grad: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    prox: Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor],
    x0: torch.Tensor,
    step: torch.Tensor,
    *,
    max_iter: int,
    tol: float,
    polish: Callable[[torch.Tensor, torch.Tensor], tuple[torch.Tensor, torch.Tensor]] | None = None,
    check_every: int = CHECK_EVERY,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """FISTA (Beck & Teboulle 2009) with adaptive restart (O'Donoghue & Candes 2015), per signal:

        x_{k+1} = prox(v_k - mu g(v_k)),  t_{k+1} = (1 + sqrt(1 + 4 t_k^2)) / 2,
        v_{k+1} = x_{k+1} + (t_k - 1)/t_{k+1} (x_{k+1} - x_k)   (momentum reset on restart)

    stopping per signal when ||x_{k+1} - x_k|| <= tol ||x_{k+1}||. The solver of P1 Alg. 2
    (lasso, soft threshold) and Alg. 3 (x >= 0, ReLU prox).

    grad(v, idx): gradient of the smooth part for the signals ``idx`` (rows of v);
    prox(u, mu, idx); x0 (B, k); step mu (B, 1) or (1, 1). ``polish(x, idx) -> (x_p, ok)``: an
    optional exact solve tried at the iterations of :data:`POLISH_AT` (and every doubling), whose
    accepted signals stop there. Finished signals are frozen at once and leave the batch every
    ``check_every`` iterations. Returns x (B, k), iterations (B,), converged (B,) on the CPU.
    """
    tiny = torch.finfo(x0.dtype).tiny

    def step_fn(state, idx):
        x, v, tk, mu = state
        x_new = prox(v - mu * grad(v, idx), mu, idx)
        t_new = (1 + torch.sqrt(1 + 4 * tk * tk)) / 2
        restart = ((v - x_new) * (x_new - x)).sum(1, keepdim=True) > 0
        v_new = x_new + torch.where(restart, 0.0, (tk - 1) / t_new) * (x_new - x)
        t_new = torch.where(restart, torch.ones_like(t_new), t_new)
        dx = torch.linalg.vector_norm(x_new - x, dim=1)
        moving = dx > tol * torch.linalg.vector_norm(x_new, dim=1).clamp_min(tiny)
        return (x_new, v_new, t_new, mu), moving

    B = x0.shape[0]
    state = (x0.clone(), x0.clone(), torch.ones(B, 1, dtype=x0.dtype, device=x0.device))
    return _iterate(step_fn, (*state, step.expand(B, 1)), max_iter, polish, check_every)


def _iterate(step_fn, state, max_iter: int, polish, check_every: int):
    """The batched loop of :func:`fista` and :func:`linearized_admm`. ``state`` is a tuple of
    per-signal tensors, x first; ``step_fn(state, idx) -> (state_new, moving)`` is one iteration
    of the signals ``idx`` (moving: the signal has not met its stopping test). A signal that
    stops, or whose ``polish(x, idx) -> (x_p, ok)`` is accepted (at :data:`POLISH_AT`), is frozen
    at once; finished signals leave the batch every ``check_every`` iterations (one host sync).
    Returns x (B, k), iterations (B,), converged (B,) on the CPU."""
    x = state[0]
    B, dev = x.shape[0], x.device
    X, its = x.clone(), torch.zeros(B, dtype=torch.long, device=dev)
    conv = torch.zeros(B, dtype=torch.bool, device=dev)
    idx = torch.arange(B, device=dev)
    act = torch.ones(B, dtype=torch.bool, device=dev)  # still iterating (within the batch)
    n = torch.zeros(B, dtype=torch.long, device=dev)  # iterations of the signals in the batch
    next_polish, k = 0, 0
    while True:
        if polish is not None and k == next_polish:
            xp, ok = polish(state[0], idx)
            ok = ok & act
            state = (torch.where(ok[:, None], xp, state[0]), *state[1:])
            act = act & ~ok
            next_polish = _next_polish(k)
        if k % check_every == 0 or k >= max_iter:  # write back; drop finished signals
            X[idx], its[idx], conv[idx] = state[0], n, ~act
            if k >= max_iter or not bool(act.any()):
                break
            if not bool(act.all()):
                idx, n, state = idx[act], n[act], tuple(s[act] for s in state)
                act = act[act]
        new, moving = step_fn(state, idx)
        a = act[:, None]
        state = tuple(torch.where(a, s_new, s) for s_new, s in zip(new, state, strict=True))
        n += act.long()
        act = act & moving
        k += 1
    return X, its.cpu(), conv.cpu()


def _next_polish(k: int) -> int:
    for p in POLISH_AT:
        if p > k:
            return p
    return 2 * k


def _fista_lasso(
    A, t, row_w, lam, *, nonneg: bool, max_iter: int, tol: float, seed: int
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """min_x 1/2 ||row_w (A x - t)||^2 + lam ||x||_1 (x >= 0 if nonneg) by :func:`fista`, with
    per-signal step 1/lambda_max (P1 Alg. 2's lasso)."""
    B, k = t.shape[0], A.shape[1]
    w2 = row_w * row_w
    step = (1.0 / lambda_max(A, w2, seed=seed))[:, None]
    lam = torch.as_tensor(lam, dtype=A.dtype, device=A.device).expand(B)[:, None]

    def grad(v, idx):
        return ((v @ A.T - t[idx]) * w2[idx]) @ A

    def prox(u, mu, idx):
        if nonneg:
            return torch.relu(u - mu * lam[idx])
        return torch.sign(u) * torch.relu(u.abs() - mu * lam[idx])

    x0 = torch.zeros(B, k, dtype=A.dtype, device=A.device)
    return fista(grad, prox, x0, step, max_iter=max_iter, tol=tol)


# ---------------------------------------------------------------- Layered Basis-Pursuit
def layered_basis_pursuit(
    G: Generator,
    y: torch.Tensor,
    *,
    s: Sequence[int] | None = None,
    eps: float = 0.0,
    lam: Sequence[float] | float | None = None,
    lams: Sequence[float] | None = None,
    mask=None,
    lipschitz: float = 1.0,
    support_tol: float | None = None,
    max_iter: int = 5000,
    tol: float | None = None,
    debias_z: bool = True,
    seed: int = 0,
) -> PursuitResult:
    """Layered Basis-Pursuit, P1 Algorithm 2 (arXiv; ICLR Algorithm 1), with optional debiasing.

    First step: x_L = argmin 1/2 ||phi^{-1}(y) - W_L x||^2 + lam_L ||x||_1, lam_L = 2 l eps,
    eps_L = (3 + sqrt(1.5)) sqrt(s_L) / min_j ||w_{L,j}|| * l eps. General step (i = L-1..1):
    x_i = argmin 1/2 ||x_{i+1}^{S} - W_i^{S} x||^2 + lam_i ||x||_1 with S = support(x_{i+1}),
    lam_i = 2 eps_{i+1}, eps_i = (3 + sqrt(1.5)) sqrt(s_i) / min_j ||w^{S}_{i,j}|| eps_{i+1}.
    Final step: z = argmin ||x_1^{S_1} - W_0^{S_1} z||.

    Args:
        s: the known sparsity levels [s_1..s_L] (for the epsilon schedule; default: the
            estimated supports' sizes). eps: noise bound ||e||_2 <= eps (>= 0). lipschitz: l,
            the Lipschitz constant of phi^{-1} on the data (1 for identity).
        lam: override the schedule: one value per layer [lam_1..lam_L], or one value for all.
        lams: instead, try each of these lam_L and keep per signal the run that fits the
            observed pixels best (:func:`best_of_lams`, P1 Sec. 6.1's "best lambda").
        support_tol: support(x) = {j : |x_j| > support_tol * max|x|} (numerical zero; default
            relative to the dtype, :func:`default_support_tol`). tol: FISTA's stopping tolerance
            (:func:`default_tol`).
        debias_z: finish with :func:`debias` on the estimated supports (as the paper's Fig. 4).
    Solved by FISTA (:func:`fista`) per layer; with lam = 0, no mask and the last layer, the
    problem is plain least squares and is solved directly (minimum-norm solution).
    """
    if lams is not None:
        if lam is not None:
            raise ValueError("lam, lams: give one of them")
        kw = dict(s=s, eps=eps, lipschitz=lipschitz, support_tol=support_tol, max_iter=max_iter)
        return best_of_lams(G, y, mask=mask, lams=lams, tol=tol, debias_z=debias_z, seed=seed, **kw)
    G = _check_G(G, "Layered Basis-Pursuit (P1 Alg. 2)")
    y, mask = check_observation(G, y, mask)
    kw = dict(lam=lam, lipschitz=lipschitz, support_tol=support_tol, max_iter=max_iter, tol=tol)
    return _layered_bp(G, y, mask, s=s, eps=eps, debias_z=debias_z, seed=seed, **kw)


def _layered_bp(
    G, y, mask, *, s, eps, lam, lipschitz, support_tol, max_iter, tol, debias_z, seed
) -> PursuitResult:
    """:func:`layered_basis_pursuit` on a generator and an observation already checked."""
    t0 = time.perf_counter()
    B, L = y.shape[0], G.L
    eps = check_positive("eps", eps, allow_zero=True)
    lipschitz = check_positive("lipschitz", lipschitz)
    max_iter = check_count("max_iter", max_iter, minimum=1)
    tol = default_tol(G.dtype, tol)
    support_tol = default_support_tol(G.dtype, support_tol)
    lams = None if lam is None else check_per_layer("lam", lam, L)
    if s is not None:
        s = list(s) if not isinstance(s, int) else [s]
        if len(s) != L:
            raise ValueError(f"s: expected {L} sparsity levels [s_1..s_L], got {len(s)}")
        s = [check_count(f"s[{i}]", v, minimum=1) for i, v in enumerate(s)]
    Mrow = _row_mask(mask, y)
    its, conv = {}, {}
    xs: list[torch.Tensor] = [None] * L  # type: ignore[list-item]
    Ss: list[torch.Tensor] = [None] * L  # type: ignore[list-item]
    eps_next = lipschitz * eps  # eps_{L+1} = l eps
    t = activation_inverse(G.output, y, G.slope) - G.bias(L)
    row_w = Mrow
    for i in range(L, 0, -1):  # estimate x_i from layer i's output (W_i)
        W = G.weights[i]
        lam_i = 2 * eps_next if lams is None else lams[i - 1]
        if lam_i == 0 and mask is None and i == L:
            x = batched_lstsq(W, t)
            it = torch.zeros(B, dtype=torch.long)
            cv = torch.ones(B, dtype=torch.bool)
        else:
            x, it, cv = _fista_lasso(
                W, t, row_w, lam_i, nonneg=False, max_iter=max_iter, tol=tol, seed=seed
            )
        S = x.abs() > support_tol * x.abs().amax(dim=1, keepdim=True).clamp_min(1e-300)
        x = torch.where(S, x, torch.zeros_like(x))
        xs[i - 1], Ss[i - 1] = x, S
        its[f"x_{i}"], conv[f"x_{i}"] = it, cv
        # epsilon schedule for the next layer
        s_i = (
            S.sum(1).to(G.dtype)
            if s is None
            else torch.full((B,), float(s[i - 1]), dtype=G.dtype, device=G.device)
        )
        col_norms = torch.sqrt((row_w * row_w) @ (W * W))  # (B, n_i): ||w_{i,j}^S||
        eps_next = C_BP * torch.sqrt(s_i) / col_norms.amin(1).clamp_min(1e-300) * eps_next
        eps_next = float(eps_next.max()) if torch.is_tensor(eps_next) else eps_next
        # next layer's data term: rows on the estimated support
        t = x - G.bias(i - 1)
        row_w = S.to(G.dtype)
    z = masked_lstsq(G.weights[0], t, row_w)
    if debias_z:
        z, it, cv = debias(G, y, Ss, mask=mask, _checked=True)
        its["debias"], conv["debias"] = it, cv
    return _finish(G, z, xs, Ss, its, conv, t0, "Layered Basis-Pursuit (P1 Alg. 2)", mask)


# ---------------------------------------------------------------- Latent-Pursuit
def _support_or_all(x: torch.Tensor, support_tol: float) -> torch.Tensor | None:
    """Columns to polish on: support(x), all columns for a signal with x = 0 (None: all)."""
    F = x > support_tol * x.amax(dim=1, keepdim=True)
    F = F | ~F.any(dim=1, keepdim=True)
    return None if bool(F.all()) else F


def last_layer_fista(
    G: Generator,
    y: torch.Tensor,
    *,
    mask=None,
    lam: float = 0.0,
    max_iter: int = 5000,
    tol: float | None = None,
    seed: int = 0,
    polish: bool = True,
    support_tol: float | None = None,
    _checked: bool = False,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """P1 Algorithm 3 (Latent-Pursuit, last layer): FISTA on
    min_{x >= 0} 1/2 ||M (y - phi(W_L x + b_L))||^2 + lam 1^T x  (P1 Eq. 8).

    g = W_L^T [M phi'(a) (phi(a) - y)], u = ReLU(x - mu (g + lam)), Nesterov momentum, with a
    per-signal step mu = 1 / lambda_max(W_L^T M W_L) (phi' <= 1 for the activations here) and an
    adaptive restart (:func:`fista`). Stops per signal when ||x_{k+1} - x_k|| <= tol ||x_k||.

    polish: at iterations 0, 50, 100, ... try x = argmin_{x_F} 1/2 ||M (phi^{-1}(y) - b_L -
    W_L[:, F] x_F)||^2 + lam 1^T x_F on the current support F (all columns at the start), kept
    for a signal when x >= 0 passes the optimality test ||x - ReLU(x - mu (g + lam))|| <= tol ||x||
    of the *true* objective (exact when y is fitted exactly on F; otherwise the test rejects it).
    Returns x_L (B, n_L), iterations (B,), converged (B,).
    """
    G = _check_G(G, "Latent-Pursuit (P1 Alg. 3)", LATENT_PURSUIT_OUTPUTS)
    if not _checked:  # (Latent-Pursuit calls it on its checked observation)
        y, mask = check_observation(G, y, mask)
    lam = check_positive("lam", lam, allow_zero=True)
    max_iter = check_count("max_iter", max_iter, minimum=1)
    tol = default_tol(G.dtype, tol)
    support_tol = default_support_tol(G.dtype, support_tol)
    W, b = G.weights[G.L], G.bias(G.L)
    B = y.shape[0]
    Mrow = _row_mask(mask, y)
    shared = mask is None or mask.ndim == 1
    mu = (1.0 / lambda_max(W, Mrow[:1] if shared else Mrow, seed=seed))[:, None]
    out, slope = G.output, G.slope

    def mu_of(idx):
        return mu if shared else mu[idx]

    def grad(v, idx):
        a = v @ W.T + b
        return (Mrow[idx] * _phi_prime(out, a, slope) * (activation(out, a, slope) - y[idx])) @ W

    def prox(u, m, idx):
        return torch.relu(u - m * lam)

    polish_fn = None
    if polish:
        t = activation_inverse(out, y, slope) - b

        def polish_fn(x, idx):
            F = _support_or_all(x, support_tol)
            rows = Mrow[0] if shared and F is None else Mrow[idx]
            xp, ok = support_lstsq(W, t[idx], rows, F, lin=lam)
            xp = torch.relu(xp)
            r = xp - torch.relu(xp - mu_of(idx) * (grad(xp, idx) + lam))
            tiny = torch.finfo(xp.dtype).tiny
            res = torch.linalg.vector_norm(r, dim=1)
            return xp, ok & (res <= tol * torch.linalg.vector_norm(xp, dim=1).clamp_min(tiny))

    x0 = torch.zeros(B, W.shape[1], dtype=G.dtype, device=G.device)
    return fista(grad, prox, x0, mu, max_iter=max_iter, tol=tol, polish=polish_fn)


def linearized_admm(
    W: torch.Tensor,
    b: torch.Tensor,
    x_next: torch.Tensor,
    *,
    lam: float = 0.0,
    rho: float = 1e-2,
    gamma: float | None = None,
    max_iter: int = 5000,
    tol: float | None = None,
    seed: int = 0,
    polish: bool = True,
    support_tol: float | None = None,
    check_every: int = CHECK_EVERY,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """P1 Algorithm 4 (Latent-Pursuit, middle layers) and, with ``gamma`` given, its first-layer
    variant (Eq. 16-18).

    Middle layer (Eq. 9): min_{x >= 0} 1/2 ||x_{i+1}^S - W^S x - b^S||^2 + lam 1^T x subject to
    W^{S^c} x + b^{S^c} <= 0, S = support(x_{i+1}). Linearized ADMM with a = W^{S^c} x + b^{S^c}::

      1. x <- ReLU[x - (W^S^T (W^S x + b^S - x^S) + rho W^{S^c T}(W^{S^c} x + b^{S^c} - a - u)
                       + lam) / (alpha + beta)]
      2. a <- -ReLU[u - (W^{S^c} x + b^{S^c})]
      3. u <- u + a - (W^{S^c} x + b^{S^c})

    with alpha + beta = lambda_max(W^S^T W^S + rho W^{S^c T} W^{S^c}) per signal (Eq. 12, equality).
    First layer (gamma >= 0, Eq. 18): z is free and step 1 becomes::

      z <- ((alpha + beta) z - W^S^T(...) - rho W^{S^c T}(...)) / (alpha + beta + gamma).

    Stops per signal when the relative change of x and the constraint violation
    ||max(W^{S^c} x + b^{S^c}, 0)|| / ||x_{i+1}|| are both <= tol.

    polish: at iterations 0, 50, 100, ... try the minimiser of the problem *without* the
    constraints on S^c, on the current support (least squares; all columns at the start; for the
    first layer the ridge solution with gamma), kept for a signal when it is feasible (violation
    <= tol) and passes the projected-gradient optimality test: a feasible minimiser of the
    relaxed problem is a minimiser of Eq. 9 / Eq. 16.
    Returns x (B, n_i), iterations (B,), converged (B,).
    """
    if gamma is not None:
        gamma = check_positive("gamma", gamma, allow_zero=True)
    lam = check_positive("lam", lam, allow_zero=True)
    rho = check_positive("rho", rho)
    max_iter = check_count("max_iter", max_iter, minimum=1)
    tol = default_tol(W.dtype, tol)
    support_tol = default_support_tol(W.dtype, support_tol)
    B = x_next.shape[0]
    dt = W.dtype
    tiny = torch.finfo(dt).tiny
    d = (x_next > 0).to(dt)
    c = 1 - d
    ab = lambda_max(W, d, rho_w=rho * c, seed=seed)[:, None]
    scale = torch.linalg.vector_norm(x_next, dim=1).clamp_min(tiny)
    t = x_next - b

    def violation(Wx, idx):
        return torch.linalg.vector_norm(torch.relu(c[idx] * Wx), dim=1) / scale[idx]

    def try_polish(x, idx):
        if gamma is None:
            F = _support_or_all(x, support_tol)
            xp, ok = support_lstsq(W, t[idx], d[idx], F, lin=lam)
            xp = torch.relu(xp)
            g = (d[idx] * (xp @ W.T - t[idx])) @ W + lam
            r = xp - torch.relu(xp - g / ab[idx])
        else:
            xp, ok = support_lstsq(W, t[idx], d[idx], None, shift=gamma)
            r = ((d[idx] * (xp @ W.T - t[idx])) @ W + gamma * xp) / ab[idx]
        res = torch.linalg.vector_norm(r, dim=1)
        ok &= res <= tol * torch.linalg.vector_norm(xp, dim=1).clamp_min(tiny)
        ok &= violation(xp @ W.T + b, idx) <= tol
        return xp, ok

    def step_fn(state, idx):
        x, a, u = state
        di, ci, abi = d[idx], c[idx], ab[idx]
        Wx = x @ W.T + b
        g = (di * (Wx - x_next[idx]) + rho * ci * (Wx - a - u)) @ W
        if gamma is None:
            x_new = torch.relu(x - (g + lam) / abi)
        else:
            x_new = (abi * x - g) / (abi + gamma)
        Wx = x_new @ W.T + b
        a_new = -torch.relu(ci * (u - Wx))
        u_new = ci * (u + a_new - Wx)
        dx = torch.linalg.vector_norm(x_new - x, dim=1)
        moving = dx > tol * torch.linalg.vector_norm(x_new, dim=1).clamp_min(tiny)
        return (x_new, a_new, u_new), moving | (violation(Wx, idx) > tol)

    x0 = torch.zeros(B, W.shape[1], dtype=dt, device=W.device)
    state = (x0, torch.zeros_like(x_next), torch.zeros_like(x_next))
    return _iterate(step_fn, state, max_iter, try_polish if polish else None, check_every)


def latent_pursuit(
    G: Generator,
    y: torch.Tensor,
    *,
    mask=None,
    lam: Sequence[float] | float = 0.0,
    rho: float = 1e-2,
    gamma: float = 0.0,
    debias_z: bool = True,
    max_iter: int = 5000,
    tol: float | None = None,
    support_tol: float | None = None,
    seed: int = 0,
    polish: bool = True,
) -> PursuitResult:
    """The Latent-Pursuit algorithm, P1 Algorithm 5 (ICLR Algorithm 3).

    1. x_L by FISTA (Algorithm 3, :func:`last_layer_fista`) on the observed pixels;
    2. x_i, i = L-1..1, by linearized ADMM (Algorithm 4, :func:`linearized_admm`);
    3. z by linearized ADMM with the first-layer step of Eq. 18 (MAP with gamma);
    4. optional debiasing: z = argmin ||M (y - phi(prod W^{S} z))||^2 on the estimated supports
       (:func:`debias`, the Oracle with estimated supports).

    Args:
        lam: lam_i per hidden layer [lam_1..lam_L] or one value (the paper uses lam = 0 on
            random nets). rho: ADMM penalty (1e-2 in the paper). gamma: the MAP weight of Eq. 16.
        tol: every stage's stopping tolerance (default 1e-10 in float64, 100 eps in float32,
            :func:`default_tol`).
        support_tol: support(x_i) = {j : x_j > support_tol * max x} (numerical zero; default
            1e-6 in float64, 100 eps in float32).
        polish: each stage also tries an exact least-squares solve on its current support,
            accepted only where it passes the stage's own optimality test (see the module
            docstring); ``False`` runs the paper's iterations alone.
    ``iterations`` is the sum over the stages (and the accepted debiasing steps).
    """
    G = _check_G(G, "Latent-Pursuit (P1 Alg. 5)", LATENT_PURSUIT_OUTPUTS)
    y, mask = check_observation(G, y, mask)
    return _latent_pursuit(
        G, y, mask, lam, rho, gamma, debias_z, max_iter, tol, support_tol, seed, polish
    )


def _latent_pursuit(
    G, y, mask, lam, rho, gamma, debias_z, max_iter, tol, support_tol, seed, polish
) -> PursuitResult:
    """:func:`latent_pursuit` on a generator and an observation already checked."""
    t0 = time.perf_counter()
    L = G.L
    lams = check_per_layer("lam", lam, L)
    rho = check_positive("rho", rho)
    gamma = check_positive("gamma", gamma, allow_zero=True)
    max_iter = check_count("max_iter", max_iter, minimum=1)
    tol = default_tol(G.dtype, tol)
    support_tol = default_support_tol(G.dtype, support_tol)
    kw = dict(max_iter=max_iter, tol=tol, seed=seed, polish=polish, support_tol=support_tol)
    its, conv = {}, {}
    xs: list[torch.Tensor] = [None] * L  # type: ignore[list-item]
    x, its[f"x_{L}"], conv[f"x_{L}"] = last_layer_fista(
        G, y, mask=mask, lam=lams[L - 1], _checked=True, **kw
    )
    xs[L - 1] = _clean(x, support_tol)
    for i in range(L - 1, 0, -1):
        x, its[f"x_{i}"], conv[f"x_{i}"] = linearized_admm(
            G.weights[i], G.bias(i), xs[i], lam=lams[i - 1], rho=rho, **kw
        )
        xs[i - 1] = _clean(x, support_tol)
    z, its["z"], conv["z"] = linearized_admm(
        G.weights[0], G.bias(0), xs[0], rho=rho, gamma=gamma, **kw
    )
    Ss = [x > 0 for x in xs]
    if debias_z:
        z, its["debias"], conv["debias"] = debias(G, y, Ss, mask=mask, _checked=True)
    return _finish(G, z, xs, Ss, its, conv, t0, "Latent-Pursuit (P1 Alg. 5)", mask)


def _clean(x: torch.Tensor, support_tol: float) -> torch.Tensor:
    """Set numerically-zero entries (<= support_tol * max) to exactly zero (defines the support)."""
    thr = support_tol * x.abs().amax(dim=1, keepdim=True)
    return torch.where(x > thr, x, torch.zeros_like(x))


# ---------------------------------------------------------------- P1 Sec. 6.1 experiment
def best_of_lams(
    G: Generator, y: torch.Tensor, *, mask=None, lams: Sequence[float], **kwargs
) -> PursuitResult:
    """Layered Basis-Pursuit for each lam_L in ``lams``; per signal keep the run whose debiased
    estimate fits the *observed* entries of y best (smallest ||M (G(z_hat) - y)||). P1 Sec. 6.1
    keeps "the best lam_1"; choosing it by the data fit (not by the unknown z) is our reading,
    usable on real data. Other keyword arguments go to :func:`layered_basis_pursuit`."""
    if not len(lams):
        raise ValueError("lams: give at least one lambda")
    lams = [check_positive(f"lams[{i}]", v, allow_zero=True) for i, v in enumerate(lams)]
    G = _check_G(G, "best_of_lams (P1 Alg. 2)")
    y, mask = check_observation(G, y, mask)
    M = _row_mask(mask, y)
    opts = dict(s=None, eps=0.0, lipschitz=1.0, support_tol=None, max_iter=5000, tol=None)
    opts |= dict(debias_z=True, seed=0)
    if bad := sorted(set(kwargs) - set(opts)):
        raise TypeError(f"best_of_lams: unexpected keyword argument(s) {bad}")
    opts |= kwargs
    best, best_fit = None, None
    for lam in lams:
        r = _layered_bp(G, y, mask, lam=lam, **opts)
        fit = torch.linalg.vector_norm(M * (G(r.z) - y), dim=1)
        if best is None:
            best, best_fit = r, fit
            continue
        better = fit < best_fit
        best.z = torch.where(better[:, None], r.z, best.z)
        best.layers = [
            torch.where(better[:, None], a, b) for a, b in zip(r.layers, best.layers, strict=True)
        ]
        best.supports = [
            torch.where(better[:, None], a, b)
            for a, b in zip(r.supports, best.supports, strict=True)
        ]
        bc = better.cpu()
        best.status = [
            a if t else b for a, b, t in zip(r.status, best.status, bc.tolist(), strict=True)
        ]
        best.iterations = torch.where(bc, r.iterations, best.iterations)
        for key in set(best.stage_iterations) | set(r.stage_iterations):
            zero = torch.zeros_like(bc, dtype=torch.long)
            a, b = r.stage_iterations.get(key, zero), best.stage_iterations.get(key, zero)
            best.stage_iterations[key] = torch.where(bc, a, b)
            a, b = r.converged.get(key, bc & False), best.converged.get(key, bc & False)
            best.converged[key] = torch.where(bc, a, b)
        best.seconds += r.seconds
        best_fit = torch.minimum(fit, best_fit)
    assert best is not None
    return best


# ---------------------------------------------------------------- P1's algorithms as printed
# Short references beside the engine above (as lib.methods.lp's alg1_reference .. alg3_reference are
# for P2): one signal at a time, P1's notation, one line per printed line, no polish, no batch
# dropping, exact eigenvalues for the step sizes. tests/test_pursuit_reference.py checks that
# the engine returns their answers. (P1's numbering: lib.methods.lp.alg3_reference is P2's
# Algorithm 3.)
def alg3_reference(
    W: torch.Tensor,
    b: torch.Tensor,
    y: torch.Tensor,
    phi: str,
    *,
    lam: float = 0.0,
    M: torch.Tensor | None = None,
    slope: float = 0.0,
    K: int = 100_000,
    tol: float | None = None,
) -> torch.Tensor:
    """P1 Algorithm 3 (Latent Pursuit: Last Layer Inversion) for one signal, as printed.

    Solves P1 Eq. 8, x_L = argmin_{x >= 0} 1/2 ||M (y - phi(W_L x + b_L))||^2 + lam_L 1^T x
    (the bias b_L and the pixel mask M, 1 = observed, are the book's additions):

        u(0) <- 0, x(0) <- 0, t(0) <- 1;  for k = 0, 1, ..., K:
        1. g <- W_L^T phi'(W_L x(k)) [phi(W_L x(k)) - y]
        2. u(k+1) <- ReLU(x(k) - mu (g + lam_L 1))
        3. t(k+1) <- (1 + sqrt(1 + 4 t(k)^2)) / 2
        4. x(k+1) <- u(k+1) + (t(k) - 1) / t(k+1) (u(k+1) - u(k))

    mu = 1 / lambda_max(W_L^T M W_L), in (0, 2/l) since phi' <= 1. The printed loop has no
    stopping rule; here it stops when ||u(k+1) - u(k)|| <= tol ||u(k+1)|| (``tol``:
    :func:`default_tol`) and returns u(k+1), the >= 0 iterate x(k+1) tends to (the two differ
    by the last, tolerance-sized, momentum step).
    """
    tol = default_tol(W.dtype, tol)
    M = torch.ones_like(y) if M is None else M.to(y.dtype)
    mu = 1 / torch.linalg.eigvalsh(W.T @ (M[:, None] * W))[-1]
    u, x, t = W.new_zeros(W.shape[1]), W.new_zeros(W.shape[1]), 1.0
    for _ in range(K + 1):
        a = W @ x + b
        g = W.T @ (M * _phi_prime(phi, a, slope) * (activation(phi, a, slope) - y))  # 1.
        u_next = torch.relu(x - mu * (g + lam))  # 2.
        t_next = (1 + math.sqrt(1 + 4 * t**2)) / 2  # 3.
        x = u_next + (t - 1) / t_next * (u_next - u)  # 4.
        done = torch.linalg.vector_norm(u_next - u) <= tol * torch.linalg.vector_norm(u_next)
        u, t = u_next, t_next
        if done:
            break
    return u


def alg4_reference(
    W: torch.Tensor,
    b: torch.Tensor,
    x_next: torch.Tensor,
    *,
    lam: float = 0.0,
    rho: float = 1e-2,
    gamma: float | None = None,
    K: int = 100_000,
    tol: float | None = None,
) -> torch.Tensor:
    """P1 Algorithm 4 (Latent Pursuit: Midlayer Inverse Problem) for one signal, as printed;
    with ``gamma`` given, its first-layer variant (P1 Eq. 16-18).

    Solves P1 Eq. 9, x_i = argmin_{x >= 0} 1/2 ||x_{i+1}^S - W^S x||^2 + lam_i 1^T x s.t.
    W^{S^c} x <= 0, S = support(x_{i+1}), by the linearized ADMM of Eq. 13-15 (with the bias,
    W x reads W x + b)::

        x(0) <- 0, a(0), u(0) <- 0, alpha + beta = lambda_max(W^S^T W^S + rho W^{S^c T} W^{S^c})
        (Eq. 12 with equality);  for k = 0, 1, ...:
        1. x(k+1) <- ReLU[x(k) - 1/(alpha+beta) W^S^T (W^S x(k) - x_{i+1}^S)
                              - rho/(alpha+beta) W^{S^c T} (W^{S^c} x(k) - a(k) - u(k))
                              - lam_i/(alpha+beta)]
        2. a(k+1) <- -ReLU[u(k) - W^{S^c} x(k+1)]
        3. u(k+1) <- u(k) + a(k+1) - W^{S^c} x(k+1)

    First layer (x = z, W = W_0, ``gamma`` >= 0): step 1 is Eq. 18::

        z(k+1) <- ((alpha+beta) z(k) - W^S^T (W^S z(k) - x_1^S)
                   - rho W^{S^c T} (W^{S^c} z(k) - a(k) - u(k))) / (alpha + beta + gamma).

    The printed loop has no stopping rule; here it stops when ||x(k+1) - x(k)|| <= tol
    ||x(k+1)|| and the violation ||ReLU(W^{S^c} x(k+1))|| <= tol ||x_{i+1}|| (the engine's test).
    """
    tol = default_tol(W.dtype, tol)
    S = x_next > 0
    WS, WSc, bSc = W[S], W[~S], b[~S]
    xS = x_next[S] - b[S]  # x_{i+1}^S = W^S x + b^S: the bias moves to the target
    ab = torch.linalg.eigvalsh(WS.T @ WS + rho * WSc.T @ WSc)[-1]  # alpha + beta (Eq. 12)
    x, a, u = W.new_zeros(W.shape[1]), W.new_zeros(len(bSc)), W.new_zeros(len(bSc))
    for _ in range(K + 1):
        data = WS.T @ (WS @ x - xS)
        pen = rho * WSc.T @ (WSc @ x + bSc - a - u)
        if gamma is None:
            x_new = torch.relu(x - data / ab - pen / ab - lam / ab)  # 1. (Eq. 13)
        else:
            x_new = (ab * x - data - pen) / (ab + gamma)  # 1. for z (Eq. 18)
        a = -torch.relu(u - (WSc @ x_new + bSc))  # 2. (Eq. 14)
        u = u + a - (WSc @ x_new + bSc)  # 3. (Eq. 15)
        step = torch.linalg.vector_norm(x_new - x)
        x = x_new
        viol = torch.linalg.vector_norm(torch.relu(WSc @ x + bSc))
        if step <= tol * torch.linalg.vector_norm(x) and viol <= tol * torch.linalg.vector_norm(
            x_next
        ):
            break
    return x


def alg5_reference(
    G: Generator,
    y: torch.Tensor,
    *,
    M: torch.Tensor | None = None,
    lam: Sequence[float] | float = 0.0,
    rho: float = 1e-2,
    gamma: float = 0.0,
    debias_z: bool = False,
    K: int = 100_000,
    tol: float | None = None,
    support_tol: float | None = None,
) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """P1 Algorithm 5 (The Latent-Pursuit Algorithm) for one signal y (n,), as printed:

        Initialization: set lam_i >= 0 and rho > 0.
        First step: estimate x_L, i.e. solve Eq. 8 using Algorithm 3.
        General step: for any layer i = L-1, ..., 1, estimate x_i using Algorithm 4.
        Final step: estimate z using Algorithm 4 with the x-step of Eq. 17 (18).
        Debiasing (optional): z <- argmin_z 1/2 ||y - phi(prod_{i=L}^{0} W_i^{S_{i+1}} z)||^2.

    (arXiv Algorithm 5 prints "using Algorithm 8" in its first step: a typo for Algorithm 3.)
    The support of an estimate is {j : x_j > support_tol max x} (a numerical zero,
    :func:`default_support_tol`); entries below it are set to 0 before the next layer reads
    its support. The debiasing is the Oracle on the estimated supports (:func:`debias`).
    Returns z (n_0,) and the layer estimates [x_1, ..., x_L].
    """
    L = G.L
    lams = check_per_layer("lam", lam, L)
    support_tol = default_support_tol(G.dtype, support_tol)
    opts = dict(K=K, tol=tol)

    def supported(x):  # x with its numerical zeros set to 0
        return torch.where(x > support_tol * x.max(), x, torch.zeros_like(x))

    xs: list[torch.Tensor] = [None] * L  # type: ignore[list-item]
    x_L = alg3_reference(G.weights[L], G.bias(L), y, G.output, lam=lams[L - 1], M=M,
                         slope=G.slope, **opts)  # fmt: skip
    xs[L - 1] = supported(x_L)  # first step
    for i in range(L - 1, 0, -1):  # general step
        x_i = alg4_reference(G.weights[i], G.bias(i), xs[i], lam=lams[i - 1], rho=rho, **opts)
        xs[i - 1] = supported(x_i)
    z = alg4_reference(G.weights[0], G.bias(0), xs[0], rho=rho, gamma=gamma, **opts)  # final
    if debias_z:
        S = [(x > 0)[None] for x in xs]
        z = debias(G, y[None], S, mask=None if M is None else M[None].bool())[0][0]
    return z, xs
