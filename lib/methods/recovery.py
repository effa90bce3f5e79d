"""P3's latent recovery under a mask (P3 Eq. 3, Sec. 4.3) with the negation restart, on a
dense or convolutional generator; its sweep runner is
:func:`lib.book.experiments.recovery_sweep`."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import torch

from lib.core.checks import check_count, check_positive
from lib.core.convnet import ConvGenerator
from lib.core.generator import Generator
from lib.core.observation import check_observation, undetermined
from lib.core.result import InversionResult, demote_undetermined
from lib.methods.gradient import _descend, _fit_loss, _rows, hidden_layers, restart


@dataclass
class RecoveryResult(InversionResult):
    """Latent recovery under a mask (P3 Eq. 3), with the negation restart: a
    :class:`lib.core.result.InversionResult`.

    ``iterations`` counts the gradient steps of both runs per signal; ``layers`` are the hidden
    layers of G(z_hat). Per signal ``status`` is 'fitted' when the relative residual
    ||A (G(z) - y)|| / ||A y|| is at most ``fit_tol`` (see :func:`recover`: it fits the
    observed pixels, which for an injective network means z = z*), 'diverged' when the kept run
    became non-finite (z is then its last finite iterate), else 'budget'.

    Attributes:
        loss: (B,) J(z) = 1/2 ||A (G(z) - y)||^2 at z.
        rel_residual: (B,) ||A (G(z) - y)|| / ||A y||.
        first_z: (B, n_0) end points of the first run (before any restart).
        first_loss: (B,) J after the first run.
        restarted: (B,) bool, the row was restarted from -z_1 (its first run ended with a relative
            residual above ``fit_tol``).
        rescued: (B,) bool, the restart brought the residual below that threshold where the
            first run had not.
    """

    loss: torch.Tensor | None = None
    rel_residual: torch.Tensor | None = None
    first_z: torch.Tensor | None = None
    first_loss: torch.Tensor | None = None
    restarted: torch.Tensor | None = None
    rescued: torch.Tensor | None = None


def recover(
    G: ConvGenerator | Generator,
    y: torch.Tensor,
    *,
    mask: torch.Tensor | None = None,
    optimizer: str = "adam",
    lr: float = 0.05,
    max_iter: int = 1000,
    seed: int = 0,
    z0: torch.Tensor | None = None,
    negation_restart: bool = True,
    fit_tol: float = 1e-4,
    tol: float = 1e-10,
    stop_fit_tol: float = 0.0,
) -> RecoveryResult:
    """Recover z from y = A G(z*) by gradient descent on J(z) = 1/2 ||A (G(z) - y)||^2 (P3 Eq. 3),
    batched over rows (and over networks when G is a batched :class:`ConvGenerator`).

    P3 Thm. 1 guarantees a descent direction everywhere except near z* and near -rho z*: gradient
    descent can stall only there. The negation restart (the authors' code, and Hand & Voroninski's
    algorithm) handles the second case: a row whose first run ends with a relative residual
    ||A (G(z) - y)|| / ||A y|| above ``fit_tol`` is run again from the negation of its end point,
    and the better end point (lower J) is kept.

    Args:
        G: a :class:`ConvGenerator` (e.g. the trained P3 generator,
            :meth:`lib.mnist.models.P3Generator.conv_generator`) or a dense Generator.
        y: (B, n) or (n,) observations (entries outside the mask are ignored).
        mask: True = observed pixel, (n,) or (B, n) (:func:`lib.core.observation.check_mask`).
        optimizer, lr, max_iter, tol: of :func:`lib.methods.gradient.gradient_descent` (P3 Sec.
            4.3: 'adam', lr 0.1, ~500 steps), for each of the two runs.
        seed: seeds z0 ~ N(0, I) when ``z0`` is None.
        fit_tol: the success threshold on the relative residual (see above): a row ends
            'fitted' at or below it.
        stop_fit_tol: a row stops early once its relative residual is at most this; 0 (the
            default) runs every row for all ``max_iter`` steps, as P3 does. 1e-6 (far below the
            success threshold) saves the steps of rows that have converged.

    Runs :func:`lib.methods.gradient.gradient_descent` (on the observation checked here) for both
    passes.
    """
    t0 = time.perf_counter()
    lr = check_positive("lr", lr)
    max_iter = check_count("max_iter", max_iter)
    fit_tol = check_positive("fit_tol", fit_tol)
    tol = check_positive("tol", tol, allow_zero=True)
    y, mask = check_observation(G, y, mask)
    if mask is not None:
        y = y * mask.to(y.dtype)  # hidden entries play no part (they may hold anything finite)
    stop_fit_tol = check_positive("stop_fit_tol", stop_fit_tol, allow_zero=True)
    stop_loss = _fit_loss(y, None, stop_fit_tol)
    kw = dict(lr=lr, max_iter=max_iter, optimizer=optimizer, tol=tol)
    res = _descend(G, y, mask, z0, seed, loss_tol=stop_loss, **kw)
    first_z, first = res.z.clone(), res.loss.clone()

    def again(idx, z0, k):  # the negation restart (the engine's rule, lib.methods.gradient.restart)
        Gs = G.select(idx) if isinstance(G, ConvGenerator) else G
        return _descend(Gs, y[idx], _rows(mask, idx), z0, seed, loss_tol=stop_loss[idx], **kw)

    starts = ("negation",) if negation_restart else ()
    res, restarted = restart(G, y, None, res, again, starts, fit_tol)
    z, loss, iters = res.z, res.loss, res.iterations
    ok = (loss <= _fit_loss(y, None, fit_tol).to(loss.device)).cpu()
    rescued = restarted & ok
    diverged = [w == "diverged" for w in res.status]
    status = [
        "fitted" if o else "diverged" if d or not math.isfinite(v) else "budget"
        for o, d, v in zip(ok.tolist(), diverged, loss.tolist(), strict=True)
    ]
    status = demote_undetermined(status, undetermined(G, mask, len(status)))
    rel = (2 * loss).sqrt() / (y * y).sum(1).sqrt().clamp_min(torch.finfo(y.dtype).tiny)
    return RecoveryResult(
        z,
        hidden_layers(G, z),
        status,
        iters,
        time.perf_counter() - t0,
        f"P3 recovery ({optimizer}, negation restart)"
        if negation_restart
        else f"P3 recovery ({optimizer})",
        loss=loss,
        rel_residual=rel,
        first_z=first_z,
        first_loss=first,
        restarted=restarted,
        rescued=rescued.to(restarted.device),
    )
