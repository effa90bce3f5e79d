"""P1's pursuit algorithms (Aberdam, Simon, Elad): the Oracle, Layered Basis-Pursuit and
Latent-Pursuit, batched over signals in torch.

Every function inverts x = G(z) (P1 Eq. 3, with biases b_i: after batch-norm folding trained nets
have them) from an observation y (B, n), optionally through a pixel mask M (1 = observed; only
observed pixels enter the last-layer data term, P1 Sec. 6.2 inpainting). All signals of a batch
run together with their *own* supports (0/1 masks, no per-signal Python loop in the iterations),
their own step sizes (from the largest eigenvalue of their own supported matrix) and their own
stopping test; a signal that has converged is frozen. Nothing hard-codes a device: everything
runs where the generator's weights are.

Notation: W_i (n_{i+1} x n_i), x_i in R^{n_i}, S_i = support(x_i), W^S the rows of W in S,
W[S, S'] rows S and columns S'.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import torch

from .generator import Generator, activation, activation_inverse
from .measurements import check_observation

C_BP = 3.0 + math.sqrt(1.5)  # the constant of P1 Theorem 2 / Lemma 2 (Tropp 2006)


@dataclass
class PursuitResult:
    """Result of one inversion method on a batch of B signals.

    Attributes:
        z: (B, n_0) latent estimate.
        x: [x_1, ..., x_L] hidden layers of G(z_hat) (the paper feeds z_hat back through G).
        x_layer: [x_1, ..., x_L] the layer-wise estimates of the pursuit itself (before debiasing).
        supports: [S_1, ..., S_L] the supports used (estimated, or the true ones for the Oracle).
        iterations: per stage (e.g. 'x_2', 'x_1', 'z', 'debias') a (B,) tensor of iterations.
        converged: per stage a (B,) bool tensor (the stage's tolerance was met).
        seconds: wall time.
        status: 'ok', or a text naming the stages where some signals did not converge.
    """

    z: torch.Tensor
    x: list[torch.Tensor]
    x_layer: list[torch.Tensor]
    supports: list[torch.Tensor]
    iterations: dict[str, torch.Tensor] = field(default_factory=dict)
    converged: dict[str, torch.Tensor] = field(default_factory=dict)
    seconds: float = 0.0
    status: str = "ok"


# ---------------------------------------------------------------- small helpers
def _phi_prime(name: str, a: torch.Tensor) -> torch.Tensor:
    """phi'(a) for the smooth (or piecewise linear) output activations."""
    if name == "identity":
        return torch.ones_like(a)
    if name == "tanh":
        return 1 - torch.tanh(a) ** 2
    if name == "sigmoid":
        s = torch.sigmoid(a)
        return s * (1 - s)
    if name == "plu":
        return torch.where(a.abs() <= 1.0, torch.ones_like(a), torch.full_like(a, 0.1))
    raise ValueError(f"output activation {name!r}: Latent-Pursuit needs a smooth monotone phi")


def _row_mask(mask: torch.Tensor | None, y: torch.Tensor) -> torch.Tensor:
    return torch.ones_like(y) if mask is None else mask.expand_as(y).to(y.dtype)


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
    pixel mask, or d + rho c for P1 Eq. 12). Returns a (B,) tensor multiplied by a safety
    factor 1.05 (power iteration approaches lambda_max from below), i.e. an upper estimate used
    for step sizes (P1 Alg. 3 mu, Eq. 12 alpha + beta).
    """
    if rho_w is not None:
        row_w = row_w + rho_w
    gen = torch.Generator().manual_seed(seed)
    v = torch.randn(row_w.shape[0], A.shape[1], generator=gen, dtype=A.dtype).to(A.device)
    v = v / torch.linalg.vector_norm(v, dim=1, keepdim=True)
    lam = torch.zeros(row_w.shape[0], dtype=A.dtype, device=A.device)
    for _ in range(iters):
        w = ((v @ A.T) * row_w) @ A
        lam = (w * v).sum(dim=1)
        v = w / torch.linalg.vector_norm(w, dim=1, keepdim=True).clamp_min(1e-300)
    return 1.05 * lam.clamp_min(1e-12)


def batched_lstsq(A: torch.Tensor, rhs: torch.Tensor, *, gamma: float = 0.0) -> torch.Tensor:
    """Minimum-norm solution of min_x ||A_b x - rhs_b||^2 + gamma ||x||^2 for a batch.

    A: (B, m, k) per signal, or (m, k) shared by all signals; rhs: (B, m). Normal equations
    diagonalised by eigh (pseudo-inverse below a relative eigenvalue threshold, so a
    rank-deficient support gives the minimum-norm solution), plus one step of iterative
    refinement to recover the accuracy lost by squaring the condition number. Device-agnostic
    (eigh exists on CPU and CUDA, unlike a rank-revealing lstsq driver).
    """
    Gm = A.mT @ A
    if gamma > 0:
        Gm = Gm + gamma * torch.eye(Gm.shape[-1], dtype=A.dtype, device=A.device)
    evals, V = torch.linalg.eigh(Gm)
    thr = evals[..., -1:].clamp_min(0) * (Gm.shape[-1] * torch.finfo(A.dtype).eps * 10)
    inv = torch.where(evals > thr, 1.0 / evals.clamp_min(1e-300), torch.zeros_like(evals))

    def solve(g):  # g: (B, k) -> pinv(Gm) g
        return (V @ (inv[..., :, None] * (V.mT @ g[:, :, None])))[:, :, 0]

    def At(r):  # (B, m) -> (B, k)
        return (A.mT @ r[:, :, None])[:, :, 0]

    x = solve(At(rhs))
    r = rhs - (A @ x[:, :, None])[:, :, 0]
    return x + solve(At(r) - gamma * x)


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


def _finish(G, z, x_layer, supports, its, conv, t0) -> PursuitResult:
    fw = G.forward(z)
    bad = [k for k, v in conv.items() if not bool(v.all())]
    status = "ok" if not bad else "not converged for some signals in: " + ", ".join(bad)
    return PursuitResult(z, fw.x, x_layer, supports, its, conv, time.perf_counter() - t0, status)


# ---------------------------------------------------------------- the Oracle
def debias(
    G: Generator,
    y: torch.Tensor,
    supports: Sequence[torch.Tensor],
    *,
    mask=None,
    z0: torch.Tensor | None = None,
    iters: int = 30,
    tol: float = 1e-12,
    chunk: int = 64,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """z = argmin_z 1/2 ||M (y - phi(A_S z + c_S))||^2 with the supports frozen (P1 Alg. 1; the
    debiasing step of Alg. 5).

    Solved per signal by a least-squares start on phi^{-1}(y) (exact when y = G(z) with these
    supports) and Gauss-Newton steps on the true objective, each accepted only if it lowers the
    signal's loss. Returns z, the number of accepted steps and convergence flags (relative step
    below ``tol`` or no further decrease).
    """
    y, mask = check_observation(G, y, mask)
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
                a = (A @ z[:, :, None])[:, :, 0] + c
                r = Mb * (activation(G.output, a, G.slope) - yb)
                J = (Mb * _phi_prime(G.output, a))[:, :, None] * A
                delta = batched_lstsq(J, r)
                z_new = z - delta
                f_new = loss_of(z_new)
                ok = (f_new < f) & ~done
                z = torch.where(ok[:, None], z_new, z)
                f = torch.where(ok, f_new, f)
                n_acc += ok.long()
                small = torch.linalg.vector_norm(delta, dim=1) <= tol * torch.linalg.vector_norm(
                    z, dim=1
                )
                done |= ~ok | small
                if bool(done.all()):
                    break
        else:
            done[:] = True
        zs.append(z)
        steps.append(n_acc)
        convs.append(done)
    return torch.cat(zs), torch.cat(steps).cpu(), torch.cat(convs).cpu()


def oracle(
    G: Generator, y: torch.Tensor, supports: Sequence[torch.Tensor], *, mask=None
) -> PursuitResult:
    """The Oracle, P1 Algorithm 1: with the true supports known, z = argmin ||y - phi(prod W^S z)||.

    End-to-end least squares on the supported linear map (plus Gauss-Newton refinement for a
    non-identity phi, see :func:`debias`)."""
    t0 = time.perf_counter()
    y, mask = check_observation(G, y, mask)
    S = _supports_of(G, supports, y.shape[0])
    z, it, conv = debias(G, y, S, mask=mask)
    fw = G.forward(z)
    return _finish(G, z, fw.x, S, {"debias": it}, {"debias": conv}, t0)


def layered_oracle(
    G: Generator, y: torch.Tensor, supports: Sequence[torch.Tensor], *, mask=None
) -> PursuitResult:
    """The layer-wise Oracle, P1 Algorithm 6 (analysed by arXiv Theorem 3).

    x_L = argmin ||phi^{-1}(y) - W_L[:, S_L] x||, then x_i = argmin ||x_{i+1}^{S_{i+1}} -
    W_i[S_{i+1}, S_i] x|| for i = L-1..1, then z = argmin ||x_1^{S_1} - W_0^{S_1} z||. Biases are
    subtracted from the targets; the pixel mask restricts the first step to observed pixels.
    """
    t0 = time.perf_counter()
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
    return _finish(G, z, xs, S, {}, {}, t0)


# ---------------------------------------------------------------- Layered Basis-Pursuit
def _fista_lasso(
    A, t, row_w, lam, *, nonneg: bool, max_iter: int, tol: float, seed: int
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """min_x 1/2 ||row_w (A x - t)||^2 + lam ||x||_1 (x >= 0 if nonneg) by FISTA with adaptive
    restart, per-signal step 1/lambda_max and per-signal stopping (relative change <= tol)."""
    B, k = t.shape[0], A.shape[1]
    step = (1.0 / lambda_max(A, row_w * row_w, seed=seed))[:, None]
    lam = torch.as_tensor(lam, dtype=A.dtype, device=A.device).expand(B)[:, None]
    x = torch.zeros(B, k, dtype=A.dtype, device=A.device)
    v, tk = x.clone(), torch.ones(B, 1, dtype=A.dtype, device=A.device)
    active = torch.ones(B, dtype=torch.bool, device=A.device)
    its = torch.zeros(B, dtype=torch.long, device=A.device)
    w2 = row_w * row_w
    for _ in range(max_iter):
        g = ((v @ A.T - t) * w2) @ A
        u = v - step * g
        if nonneg:
            x_new = torch.relu(u - step * lam)
        else:
            x_new = torch.sign(u) * torch.relu(u.abs() - step * lam)
        t_new = (1 + torch.sqrt(1 + 4 * tk * tk)) / 2
        # adaptive (gradient) restart, O'Donoghue & Candes 2015: keeps FISTA monotone-ish
        restart = ((v - x_new) * (x_new - x)).sum(1, keepdim=True) > 0
        v_new = x_new + torch.where(restart, 0.0, (tk - 1) / t_new) * (x_new - x)
        t_new = torch.where(restart, torch.ones_like(t_new), t_new)
        dx = torch.linalg.vector_norm(x_new - x, dim=1)
        a = active[:, None]
        x, v, tk = torch.where(a, x_new, x), torch.where(a, v_new, v), torch.where(a, t_new, tk)
        its += active.long()
        active &= dx > tol * torch.linalg.vector_norm(x, dim=1).clamp_min(1e-300)
        if not bool(active.any()):
            break
    return x, its.cpu(), (~active).cpu()


def layered_basis_pursuit(
    G: Generator,
    y: torch.Tensor,
    *,
    s: Sequence[int] | None = None,
    eps: float = 0.0,
    lam: Sequence[float] | float | None = None,
    mask=None,
    lipschitz: float = 1.0,
    support_tol: float = 1e-6,
    max_iter: int = 5000,
    tol: float = 1e-10,
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
            estimated supports' sizes). eps: noise bound ||e||_2 <= eps. lipschitz: l, the
            Lipschitz constant of phi^{-1} on the data (1 for identity).
        lam: override the schedule: one value per layer [lam_1..lam_L], or one value for all.
        support_tol: support(x) = {j : |x_j| > support_tol * max|x|} (numerical zero).
        debias_z: finish with :func:`debias` on the estimated supports (as the paper's Fig. 4).
    Solved by FISTA (Beck & Teboulle 2009, adaptive restart) per layer; with lam = 0 and a shared
    matrix the problem is plain least squares and is solved directly (minimum-norm solution).
    """
    t0 = time.perf_counter()
    y, mask = check_observation(G, y, mask)
    B, L = y.shape[0], G.L
    lams = _lam_list(lam, L)
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
    x_layer = list(xs)
    if debias_z:
        z, it, cv = debias(G, y, Ss, mask=mask, z0=None)
        its["debias"], conv["debias"] = it, cv
    return _finish(G, z, x_layer, Ss, its, conv, t0)


def _lam_list(lam, L: int) -> list[float] | None:
    if lam is None:
        return None
    if isinstance(lam, (int, float)):
        return [float(lam)] * L
    lam = [float(v) for v in lam]
    if len(lam) != L:
        raise ValueError(f"lam: expected {L} values [lam_1..lam_L], got {len(lam)}")
    return lam


# ---------------------------------------------------------------- Latent-Pursuit
def last_layer_fista(
    G: Generator,
    y: torch.Tensor,
    *,
    mask=None,
    lam: float = 0.0,
    max_iter: int = 5000,
    tol: float = 1e-10,
    seed: int = 0,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """P1 Algorithm 3 (Latent-Pursuit, last layer): FISTA on
    min_{x >= 0} 1/2 ||M (y - phi(W_L x + b_L))||^2 + lam 1^T x  (P1 Eq. 8).

    g = W_L^T [M phi'(a) (phi(a) - y)], u = ReLU(x - mu (g + lam)), Nesterov momentum, with a
    per-signal step mu = 1 / lambda_max(W_L^T M W_L) (phi' <= 1 for the activations here) and an
    adaptive restart. Stops per signal when ||x_{k+1} - x_k|| <= tol ||x_k||.
    Returns x_L (B, n_L), iterations (B,), converged (B,).
    """
    y, mask = check_observation(G, y, mask)
    W, b = G.weights[G.L], G.bias(G.L)
    Mrow = _row_mask(mask, y)
    B = y.shape[0]
    mu = (1.0 / lambda_max(W, Mrow, seed=seed))[:, None]
    x = torch.zeros(B, W.shape[1], dtype=G.dtype, device=G.device)
    v, tk = x.clone(), torch.ones(B, 1, dtype=G.dtype, device=G.device)
    active = torch.ones(B, dtype=torch.bool, device=G.device)
    its = torch.zeros(B, dtype=torch.long, device=G.device)
    for _ in range(max_iter):
        a = v @ W.T + b
        g = (Mrow * _phi_prime(G.output, a) * (activation(G.output, a, G.slope) - y)) @ W
        x_new = torch.relu(v - mu * (g + lam))
        t_new = (1 + torch.sqrt(1 + 4 * tk * tk)) / 2
        restart = ((v - x_new) * (x_new - x)).sum(1, keepdim=True) > 0
        v_new = x_new + torch.where(restart, 0.0, (tk - 1) / t_new) * (x_new - x)
        t_new = torch.where(restart, torch.ones_like(t_new), t_new)
        dx = torch.linalg.vector_norm(x_new - x, dim=1)
        act = active[:, None]
        x, v, tk = (
            torch.where(act, x_new, x),
            torch.where(act, v_new, v),
            torch.where(act, t_new, tk),
        )
        its += active.long()
        active &= dx > tol * torch.linalg.vector_norm(x, dim=1).clamp_min(1e-300)
        if not bool(active.any()):
            break
    return x, its.cpu(), (~active).cpu()


def linearized_admm(
    W: torch.Tensor,
    b: torch.Tensor,
    x_next: torch.Tensor,
    *,
    lam: float = 0.0,
    rho: float = 1e-2,
    gamma: float | None = None,
    max_iter: int = 5000,
    tol: float = 1e-10,
    seed: int = 0,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """P1 Algorithm 4 (Latent-Pursuit, middle layers) and, with ``gamma`` given, its first-layer
    variant (Eq. 16-18).

    Middle layer (Eq. 9): min_{x >= 0} 1/2 ||x_{i+1}^S - W^S x - b^S||^2 + lam 1^T x subject to
    W^{S^c} x + b^{S^c} <= 0, S = support(x_{i+1}). Linearized ADMM with a = W^{S^c} x + b^{S^c}:
      1. x <- ReLU[x - (W^S^T (W^S x + b^S - x^S) + rho W^{S^c T}(W^{S^c} x + b^{S^c} - a - u)
                       + lam) / (alpha + beta)]
      2. a <- -ReLU[u - (W^{S^c} x + b^{S^c})]
      3. u <- u + a - (W^{S^c} x + b^{S^c})
    with alpha + beta = lambda_max(W^S^T W^S + rho W^{S^c T} W^{S^c}) per signal (Eq. 12, equality).
    First layer (gamma >= 0, Eq. 18): z is free and step 1 becomes
      z <- ((alpha + beta) z - W^S^T(...) - rho W^{S^c T}(...)) / (alpha + beta + gamma).
    Stops per signal when the relative change of x and the constraint violation
    ||max(W^{S^c} x + b^{S^c}, 0)|| / ||x_{i+1}|| are both <= tol.
    Returns x (B, n_i), iterations (B,), converged (B,).
    """
    B = x_next.shape[0]
    d = (x_next > 0).to(W.dtype)
    c = 1 - d
    ab = lambda_max(W, d, rho_w=rho * c, seed=seed)[:, None]
    x = torch.zeros(B, W.shape[1], dtype=W.dtype, device=W.device)
    a = torch.zeros_like(x_next)
    u = torch.zeros_like(x_next)
    active = torch.ones(B, dtype=torch.bool, device=W.device)
    its = torch.zeros(B, dtype=torch.long, device=W.device)
    scale = torch.linalg.vector_norm(x_next, dim=1).clamp_min(1e-300)
    for _ in range(max_iter):
        Wx = x @ W.T + b
        g = (d * (Wx - x_next) + rho * c * (Wx - a - u)) @ W
        if gamma is None:
            x_new = torch.relu(x - (g + lam) / ab)
        else:
            x_new = (ab * x - g) / (ab + gamma)
        Wx = x_new @ W.T + b
        a_new = -torch.relu(c * (u - Wx))
        u_new = c * (u + a_new - Wx)
        dx = torch.linalg.vector_norm(x_new - x, dim=1)
        act = active[:, None]
        x, a, u = torch.where(act, x_new, x), torch.where(act, a_new, a), torch.where(act, u_new, u)
        its += active.long()
        viol = torch.linalg.vector_norm(torch.relu(c * Wx), dim=1) / scale
        active &= (dx > tol * torch.linalg.vector_norm(x, dim=1).clamp_min(1e-300)) | (viol > tol)
        if not bool(active.any()):
            break
    return x, its.cpu(), (~active).cpu()


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
    tol: float = 1e-10,
    support_tol: float = 1e-6,
    seed: int = 0,
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
        support_tol: support(x_i) = {j : x_j > support_tol * max x} (numerical zero).
    """
    t0 = time.perf_counter()
    y, mask = check_observation(G, y, mask)
    L = G.L
    lams = _lam_list(lam, L)
    its, conv = {}, {}
    xs: list[torch.Tensor] = [None] * L  # type: ignore[list-item]
    x, its[f"x_{L}"], conv[f"x_{L}"] = last_layer_fista(
        G, y, mask=mask, lam=lams[L - 1], max_iter=max_iter, tol=tol, seed=seed
    )
    xs[L - 1] = _clean(x, support_tol)
    for i in range(L - 1, 0, -1):
        x, its[f"x_{i}"], conv[f"x_{i}"] = linearized_admm(
            G.weights[i],
            G.bias(i),
            xs[i],
            lam=lams[i - 1],
            rho=rho,
            max_iter=max_iter,
            tol=tol,
            seed=seed,
        )
        xs[i - 1] = _clean(x, support_tol)
    z, its["z"], conv["z"] = linearized_admm(
        G.weights[0], G.bias(0), xs[0], rho=rho, gamma=gamma, max_iter=max_iter, tol=tol, seed=seed
    )
    Ss = [x > 0 for x in xs]
    if debias_z:
        z, its["debias"], conv["debias"] = debias(G, y, Ss, mask=mask)
    return _finish(G, z, xs, Ss, its, conv, t0)


def _clean(x: torch.Tensor, support_tol: float) -> torch.Tensor:
    """Set numerically-zero entries (<= support_tol * max) to exactly zero (defines the support)."""
    thr = support_tol * x.abs().amax(dim=1, keepdim=True)
    return torch.where(x > thr, x, torch.zeros_like(x))


# ---------------------------------------------------------------- P1 Sec. 6.1 experiment
def best_of_lams(G: Generator, y: torch.Tensor, lams: Sequence[float], **kwargs) -> PursuitResult:
    """Layered Basis-Pursuit for each lam_L in ``lams``; per signal keep the run whose debiased
    estimate fits y best (smallest ||G(z_hat) - y||). P1 Sec. 6.1 keeps "the best lam_1"; choosing
    it by the data fit (not by the unknown z) is our reading, usable on real data."""
    best, best_fit = None, None
    for lam in lams:
        r = layered_basis_pursuit(G, y, lam=lam, **kwargs)
        fit = torch.linalg.vector_norm(G(r.z) - y, dim=1)
        if best is None:
            best, best_fit = r, fit
            continue
        better = fit < best_fit
        best.z = torch.where(better[:, None], r.z, best.z)
        best.x = [torch.where(better[:, None], a, b) for a, b in zip(r.x, best.x, strict=True)]
        best.x_layer = [
            torch.where(better[:, None], a, b) for a, b in zip(r.x_layer, best.x_layer, strict=True)
        ]
        best.supports = [
            torch.where(better[:, None], a, b)
            for a, b in zip(r.supports, best.supports, strict=True)
        ]
        best.seconds += r.seconds
        best_fit = torch.minimum(fit, best_fit)
    assert best is not None
    return best


def random_sweep_point(n0: int, n1: int, cfg: dict, *, device=None) -> dict:
    """One network of P1 Sec. 6.1 / Fig. 4: x = tanh(W_1 ReLU(W_0 z)) with n = cfg['n'],
    i.i.d. Gaussian weights (std cfg['weight_std']), cfg['signals'] latents z ~ N(0, I).

    Runs gradient descent (P1 step-size rule, :func:`lib.gradient.gd_step_search`), Layered
    Basis-Pursuit (best lam of cfg['lbp_lams'], debiased) and Latent-Pursuit (lam = 0, rho, gamma,
    debiased). Returns the per-signal SNRs (dB) of z, x_1 and x for each method, s_1 per signal
    and the wall times.
    """
    from .gradient import gd_step_search
    from .metrics import snr_db

    seed = cfg["seed"] + 1000 * n0 + n1
    G = Generator.random(
        [n0, n1, cfg["n"]], seed=seed, std=cfg["weight_std"], output="tanh", device=device
    )
    z = G.sample_latent(cfg["signals"], seed=seed + 1)
    fw = G.forward(z)
    y = fw.out
    out = {"n0": n0, "n1": n1, "s1": fw.cardinalities[0].cpu(), "snr": {}, "seconds": {}}
    it = dict(max_iter=cfg["max_iter"], tol=cfg["tol"])
    gd = gd_step_search(
        G, y, lrs=cfg["gd_lrs"], steps=cfg["gd_steps"], grad_tol=cfg["gd_grad_tol"], seed=seed + 2
    )
    lbp = best_of_lams(G, y, cfg["lbp_lams"], **it)
    lp = latent_pursuit(G, y, lam=cfg["lp_lam"], rho=cfg["lp_rho"], gamma=cfg["lp_gamma"], **it)
    for name, r in (("gd", gd), ("layered_bp", lbp), ("latent_pursuit", lp)):
        if name == "gd":  # GD estimates only z: its layers are those of G(z_hat)
            fh = G.forward(r.z)
            x1, x = fh.x[0], fh.out
        else:  # layered methods: their own layer estimates (x_hat = phi(W_1 x_hat_1))
            x1 = r.x_layer[0]
            x = torch.tanh(x1 @ G.weights[1].T + G.bias(1))
        out["snr"][name] = {
            "z": snr_db(z, r.z).cpu(),
            "x1": snr_db(fw.x[0], x1).cpu(),
            "x": snr_db(y, x).cpu(),
        }
        out["seconds"][name] = r.seconds
    return out
