"""P2 (Lei et al. 2019): inverting a ReLU layer by linear programming.

A single layer x = ReLU(W z + b) is inverted exactly by the feasibility LP of P2 Eq. 4:

    w_i^T z + b_i  = x_i   for every i with x_i > 0   (the active rows, the support S)
    w_i^T z + b_i <= 0     for every i with x_i = 0   (the inactive rows, S^c)

Its solution set is a polytope; it is the single point z* exactly when the active rows W_S have
full column rank (P2 Lemma 1 shows this holds w.h.p. for Gaussian W with n >= 2.1 k).

The problem is built once per weight matrix with cvxpy Parameters (DPP), so solving it for many
signals re-uses one canonicalisation; HiGHS solves it. Solver status is carried per signal and a
signal whose LP is infeasible or failed gets NaN, never a silent number.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import cvxpy as cp
import numpy as np
import torch

SOLVER = "HIGHS"


@dataclass
class LayerLPResult:
    """Result of inverting one layer for a batch of B signals.

    Attributes:
        z: (B, k) solutions; a row is NaN where the LP was not solved to optimality.
        status: cvxpy status per signal ('optimal', 'infeasible', ...).
        rank: rank of the active rows W_S per signal; the solution set (a polytope) has
            dimension k - rank, so z is unique when rank == k.
        seconds: wall time of the solves.
    """

    z: torch.Tensor
    status: list[str]
    rank: list[int]
    seconds: float

    @property
    def ok(self) -> torch.Tensor:
        """(B,) bool: the LP was solved to optimality."""
        return torch.tensor([s == cp.OPTIMAL for s in self.status])

    @property
    def unique(self) -> torch.Tensor:
        """(B,) bool: solved and the preimage is a single point (rank W_S = k)."""
        k = self.z.shape[1]
        return self.ok & torch.tensor([r == k for r in self.rank])


class ExactLayerLP:
    """The feasibility LP of P2 Eq. 4 for one layer ReLU(W z + b), built once for W and b.

    Per signal only the parameters change: x and the active-row indicator a = 1[x > tol].
    The equalities of Eq. 4 are written as the two inequalities W z + b <= x (all rows; for the
    inactive rows x_i = 0, which is Eq. 4's second line) and diag(a) W z >= a * (x - b).
    """

    def __init__(self, W: torch.Tensor, b: torch.Tensor | None = None) -> None:
        if W.ndim != 2:
            raise ValueError(f"W must be a matrix, got shape {tuple(W.shape)}")
        n, k = W.shape
        self.W = W.detach().cpu().double().numpy()
        self.b = np.zeros(n) if b is None else b.detach().cpu().double().numpy()
        if self.b.shape != (n,):
            raise ValueError(f"b must have shape ({n},), got {self.b.shape}")
        self.z = cp.Variable(k)
        self.x = cp.Parameter(n)
        self.aW = cp.Parameter((n, k))  # diag(a) W
        self.ax = cp.Parameter(n)  # a * (x - b)
        constraints = [self.W @ self.z + self.b <= self.x, self.aW @ self.z >= self.ax]
        self.problem = cp.Problem(cp.Minimize(0), constraints)

    def solve(self, x: np.ndarray, tol: float = 0.0) -> tuple[np.ndarray, str, int]:
        """Solve Eq. 4 for one observed layer x (length n). Returns (z, status, rank W_S)."""
        a = x > tol
        self.x.value = np.where(a, x, 0.0)
        self.aW.value = self.W * a[:, None]
        self.ax.value = np.where(a, x - self.b, 0.0)
        try:
            self.problem.solve(solver=SOLVER)
            status = self.problem.status
        except cp.SolverError as err:  # reported, not swallowed
            status = f"solver_error: {err}"
        z = self.z.value if status == cp.OPTIMAL else None
        rank = int(np.linalg.matrix_rank(self.W[a])) if a.any() else 0
        return (np.full(self.W.shape[1], np.nan) if z is None else z), status, rank


def invert_layer_lp(
    W: torch.Tensor, x: torch.Tensor, b: torch.Tensor | None = None, *, tol: float = 0.0
) -> LayerLPResult:
    """Invert x = ReLU(W z + b) for a batch of observed layers x (B, n) by the LP of P2 Eq. 4.

    Args:
        W: (n, k) weights; b: (n,) bias or None.
        x: (B, n) or (n,) observed layer.
        tol: entries x_i > tol count as active (0 for exact, realizable data).

    Returns:
        :class:`LayerLPResult`; rows whose LP is infeasible are NaN and their status says so.
    """
    x = torch.as_tensor(x)
    if x.ndim == 1:
        x = x[None]
    if x.ndim != 2 or x.shape[1] != W.shape[0]:
        raise ValueError(f"x must have shape (B, {W.shape[0]}), got {tuple(x.shape)}")
    if torch.isnan(x).any():
        raise ValueError("x contains NaN")
    lp = ExactLayerLP(W, b)
    t0 = time.perf_counter()
    sols = [lp.solve(row, tol) for row in x.detach().cpu().double().numpy()]
    seconds = time.perf_counter() - t0
    z = torch.as_tensor(np.stack([s[0] for s in sols])).to(device=W.device, dtype=W.dtype)
    return LayerLPResult(z, [s[1] for s in sols], [s[2] for s in sols], seconds)
