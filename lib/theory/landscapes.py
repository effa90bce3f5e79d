"""P3's cost landscapes (Fig. 4) and the recovery transitions over sampling rates (Thm. 4)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch

from lib.core.convnet import ConvGenerator
from lib.core.generator import (
    Generator,
)
from lib.core.metrics import wilson_interval  # noqa: F401  (re-exported: chapters import it from here)
from lib.methods.gradient import latent_loss


# --------------------------------------------------------------------------- landscapes (Fig. 4)
def latent_grid(center: torch.Tensor, half_width: float, n: int) -> tuple[torch.Tensor, ...]:
    """An n x n grid of 2-D latents centred at ``center`` (P3 Fig. 4: a grid centred at the
    ground truth). Returns (t1, t2, Z): the axes (n,) each and the grid points Z (n*n, 2), row
    index = i*n + j for (t1[i], t2[j])."""
    center = torch.as_tensor(center).reshape(-1)
    if center.numel() != 2:
        raise ValueError("center: landscapes need a 2-dimensional latent")
    ax = torch.linspace(-half_width, half_width, n, dtype=center.dtype, device=center.device)
    t1, t2 = center[0] + ax, center[1] + ax
    Z = torch.cartesian_prod(t1, t2)
    return t1, t2, Z


@torch.no_grad()
def cost_landscape(
    G: ConvGenerator | Generator,
    y: torch.Tensor,
    Z: torch.Tensor,
    mask: torch.Tensor | None = None,
    chunk: int = 4096,
) -> torch.Tensor:
    """J(z) = 1/2 ||A (G(z) - y)||^2 (P3 Eq. 3) at every row of Z, for one observation y (n,)
    and a shared-weight generator. Returns (len(Z),)."""
    y = torch.as_tensor(y).reshape(1, -1)
    m, out = None if mask is None else mask.to(Z.dtype), []
    for s in range(0, Z.shape[0], chunk):
        Zc = Z[s : s + chunk]
        out.append(latent_loss(G, Zc, y.expand(Zc.shape[0], -1), m))
    return torch.cat(out)


# --------------------------------------------------------------------------- sweeps (Thm. 4)
@dataclass
class RecoverySweep:
    """Recovery over T random networks x mask kinds x sampling rates (P3 Thm. 4, Sec. 3).

    Attributes:
        kinds, rates: the mask kinds and sampling rates r of the sweep.
        rel_err: (T, K, R) ||z - z*|| / ||z*||; success: (T, K, R) rel_err < tol.
        restarted: (T, K, R) bool, the first run was restarted (see :class:`RecoveryResult`).
        rescued: (T, K, R) bool, recovered (success) although the first run alone was not: the
            negation restart was needed.
        first_cos: (T, K, R) cosine between the first run's end point and z* (-1: at -rho z*).
        seconds: wall time.
    """

    kinds: tuple[str, ...]
    rates: tuple[float, ...]
    rel_err: torch.Tensor
    success: torch.Tensor
    restarted: torch.Tensor
    rescued: torch.Tensor
    first_cos: torch.Tensor
    seconds: float

    @property
    def prob(self) -> torch.Tensor:
        """(K, R) empirical recovery probability."""
        return self.success.double().mean(0)

    def transitions(self, level: float = 0.5) -> dict[str, float]:
        """The sampling rate r at which each kind's recovery probability first reaches ``level``
        (:func:`transition_point`)."""
        return {
            k: transition_point(self.rates, self.prob[i], level) for i, k in enumerate(self.kinds)
        }


def transition_point(rates: Sequence[float], prob: Sequence[float], level: float = 0.5) -> float:
    """Smallest r at which the recovery probability reaches ``level``, interpolated linearly
    between the two grid points around the first crossing; ``rates[0]`` if already reached there,
    nan if never reached."""
    p = [float(v) for v in prob]
    if p[0] >= level:
        return float(rates[0])
    for i in range(1, len(p)):
        if p[i] >= level:
            r0, r1, p0, p1 = rates[i - 1], rates[i], p[i - 1], p[i]
            return float(r0 + (level - p0) * (r1 - r0) / (p1 - p0))
    return float("nan")
