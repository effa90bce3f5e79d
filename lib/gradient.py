"""Gradient-based latent recovery: the baseline every paper compares against.

    min_z  f(z) = 1/2 || M (G(z) - y) ||_2^2

with M the diagonal 0/1 mask of observed entries (identity when nothing is hidden). P1 runs plain
gradient descent with a searched step size and a momentum variant, P2 plain gradient descent with
learning rate 1 (random nets) or 1e-3 (MNIST), P3 gradient descent and Adam under a sub-sampling
mask.

All signals of a batch are optimised together but independently: the loss is a sum over signals,
so its gradient row b is the gradient of signal b's own loss. Every signal stops on its own
gradient-norm tolerance (its rows are frozen from then on), so no signal runs longer than it needs.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import torch

from .generator import Generator
from .measurements import check_observation

OPTIMIZERS = ("gd", "momentum", "adam")


@dataclass
class GDResult:
    """Result of a batched gradient-based inversion.

    Attributes:
        z: (B, n_0) final latents.
        loss: (B,) final f(z) per signal.
        grad_norm: (B,) final ||grad f(z)||_2 per signal.
        steps: (B,) number of steps each signal took before it stopped.
        converged: (B,) bool, grad_norm <= grad_tol was reached.
        seconds: wall time.
    """

    z: torch.Tensor
    loss: torch.Tensor
    grad_norm: torch.Tensor
    steps: torch.Tensor
    converged: torch.Tensor
    seconds: float


def latent_loss(G: Generator, z: torch.Tensor, y: torch.Tensor, mask=None) -> torch.Tensor:
    """f(z) = 1/2 ||M (G(z) - y)||^2 per signal, shape (B,)."""
    r = G(z) - y
    if mask is not None:
        r = r * mask
    return 0.5 * (r * r).sum(dim=1)


def gradient_descent(
    G: Generator,
    y: torch.Tensor,
    *,
    mask: torch.Tensor | None = None,
    z0: torch.Tensor | None = None,
    seed: int = 0,
    lr: float | torch.Tensor = 1.0,
    steps: int = 1000,
    optimizer: str = "gd",
    momentum: float = 0.9,
    decay: float = 1.0,
    decay_every: int = 1000,
    betas: tuple[float, float] = (0.9, 0.999),
    grad_tol: float = 1e-9,
) -> GDResult:
    """Minimise f(z) = 1/2 ||M (G(z) - y)||^2 over z, batched over the rows of y.

    Args:
        G: the generator; y: (B, n) observations; mask: 1 = observed pixel, (n,) or (B, n).
        z0: initial latents (B, n_0); default z0 ~ N(0, I) drawn from ``seed``.
        lr: step size, a number or a (B,) tensor of per-signal step sizes.
        steps: iteration budget.
        optimizer: 'gd' (z -= lr g), 'momentum' (heavy ball, v = momentum v + g; z -= lr v; P1's
            trained-net baseline) or 'adam' (P3 Sec. 4.3).
        decay, decay_every: multiply lr by ``decay`` every ``decay_every`` steps (P1's decaying
            step).
        grad_tol: a signal stops once ||grad f||_2 <= grad_tol (P1 uses 1e-9, P2 1e-9).
    """
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"optimizer={optimizer!r}: choose one of {OPTIMIZERS}")
    if steps < 0:
        raise ValueError("steps must be >= 0")
    y, mask = check_observation(G, y, mask)
    B = y.shape[0]
    if z0 is None:
        gen = torch.Generator().manual_seed(seed)
        z0 = torch.randn(B, G.dims[0], generator=gen, dtype=G.dtype).to(G.device)
    z = G.check_latent(z0).clone()
    if z.shape[0] != B:
        raise ValueError(f"z0 has {z.shape[0]} rows but y has {B}")
    lr_b = torch.as_tensor(lr, dtype=G.dtype, device=G.device).expand(B).clone()[:, None]
    m1 = torch.zeros_like(z)
    m2 = torch.zeros_like(z)
    active = torch.ones(B, dtype=torch.bool, device=G.device)
    n_steps = torch.zeros(B, dtype=torch.long, device=G.device)
    t0 = time.perf_counter()

    def grad_of(z):
        zz = z.detach().requires_grad_(True)
        loss = latent_loss(G, zz, y, mask)
        (g,) = torch.autograd.grad(loss.sum(), zz)
        return loss.detach(), g

    loss, g = grad_of(z)
    gnorm = torch.linalg.vector_norm(g, dim=1)
    for t in range(1, steps + 1):
        active &= gnorm > grad_tol
        if not active.any():
            break
        step_lr = lr_b * decay ** ((t - 1) // decay_every)
        if optimizer == "gd":
            upd = step_lr * g
        elif optimizer == "momentum":
            m1 = torch.where(active[:, None], momentum * m1 + g, m1)
            upd = step_lr * m1
        else:  # adam, with per-signal step counts so frozen signals keep their state
            b1, b2 = betas
            m1 = torch.where(active[:, None], b1 * m1 + (1 - b1) * g, m1)
            m2 = torch.where(active[:, None], b2 * m2 + (1 - b2) * g * g, m2)
            k = (n_steps + 1).to(G.dtype)[:, None]
            upd = step_lr * (m1 / (1 - b1**k)) / ((m2 / (1 - b2**k)).sqrt() + 1e-8)
        z = torch.where(active[:, None], z - upd, z)
        n_steps += active.long()
        loss, g = grad_of(z)
        gnorm = torch.linalg.vector_norm(g, dim=1)
    return GDResult(
        z.detach(), loss, gnorm, n_steps.cpu(), (gnorm <= grad_tol).cpu(), time.perf_counter() - t0
    )


#: P1 Sec. 6.1: the step sizes tried for gradient descent on random networks
P1_STEP_SIZES = (1e-1, 1e0, 1e1, 1e2, 1e3, 1e4)


@dataclass
class StepSearchResult(GDResult):
    """A :class:`GDResult` plus the step size chosen for each signal (``lr``, (B,))."""

    lr: torch.Tensor | None = None


def gd_step_search(
    G: Generator,
    y: torch.Tensor,
    *,
    lrs: tuple[float, ...] = P1_STEP_SIZES,
    steps: int = 10_000,
    grad_tol: float = 1e-9,
    mask: torch.Tensor | None = None,
    seed: int = 0,
    optimizer: str = "gd",
    **kwargs,
) -> StepSearchResult:
    """P1 Sec. 6.1's gradient-descent rule: per signal, the *smallest* step size of ``lrs`` whose
    run of ``steps`` steps reaches ||grad f|| < ``grad_tol``.

    The step sizes are tried in increasing order, each only on the signals that no smaller step
    size brought to the tolerance (same random start z0 from ``seed`` for every try), so the rule
    costs one run for the signals the smallest step size already solves. A signal that no step
    size brings to the tolerance keeps the run with the smallest final loss (``converged`` False).
    P1 applies the rule per network; per signal is the same rule at a finer grain (stated in the
    book). Other keyword arguments go to :func:`gradient_descent`.
    """
    y, mask = check_observation(G, y, mask)
    B = y.shape[0]
    gen = torch.Generator().manual_seed(seed)
    z0 = torch.randn(B, G.dims[0], generator=gen, dtype=G.dtype).to(G.device)
    lrs = tuple(sorted(lrs))
    t0 = time.perf_counter()
    best: GDResult | None = None
    lr_b = torch.full((B,), lrs[0], dtype=G.dtype)
    todo = torch.arange(B)
    for lr in lrs:
        m = None if mask is None or mask.ndim == 1 else mask[todo]
        if mask is not None and mask.ndim == 1:
            m = mask
        r = gradient_descent(
            G,
            y[todo],
            mask=m,
            z0=z0[todo],
            lr=lr,
            steps=steps,
            optimizer=optimizer,
            grad_tol=grad_tol,
            **kwargs,
        )
        if best is None:
            best = r
            lr_b[:] = lr
        else:
            idx = todo.to(G.device)
            better = r.converged | (~best.converged[todo] & (r.loss.cpu() < best.loss[idx].cpu()))
            sel = todo[better]
            bi = better.to(G.device)
            best.z[sel.to(G.device)] = r.z[bi]
            best.loss[sel.to(G.device)] = r.loss[bi]
            best.grad_norm[sel.to(G.device)] = r.grad_norm[bi]
            best.steps[sel] += r.steps[better]
            best.converged[sel] = r.converged[better]
            lr_b[sel] = lr
        todo = torch.arange(B)[~best.converged]
        if len(todo) == 0:
            break
    assert best is not None
    return StepSearchResult(
        best.z,
        best.loss,
        best.grad_norm,
        best.steps,
        best.converged,
        time.perf_counter() - t0,
        lr_b,
    )
