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

import math
import time
from dataclasses import dataclass

import cvxpy as cp
import highspy
import numpy as np
import scipy.linalg
import torch

from .generator import Generator, as_rows
from .ipm import BatchLinfLP
from .measurements import check_mask, check_observation
from .result import (
    InversionResult,
    check_count,
    check_positive,
    require_dense,
    require_hidden,
)

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
    x = as_rows(x, W.shape[0], "x")
    lp = ExactLayerLP(W, b)
    t0 = time.perf_counter()
    sols = [lp.solve(row, tol) for row in x.detach().cpu().double().numpy()]
    seconds = time.perf_counter() - t0
    z = torch.as_tensor(np.stack([s[0] for s in sols])).to(device=W.device, dtype=W.dtype)
    return LayerLPResult(z, [s[1] for s in sols], [s[2] for s in sols], seconds)


# =====================================================================================
# P2 Sections 3.3-4 and Appendix A: layer-wise inversion of a whole network
# =====================================================================================
#
# Notation. The book's generator (lib.generator, P1 notation) is
#     x_1 = act(W_0 z + b_0), ..., y = phi(W_L x_L + b_L),
# P2 writes the same map as z_i = phi_i(z_{i-1}) = ReLU(W_i z_{i-1} + b_i), i = 1..d. P2's
# networks have the activation at every layer including the output (phi = ReLU or LeakyReLU).
# Inverting "backwards layer by layer" (P2 Thm 3-5) means: from y estimate x_L (the input of
# the last layer), from that estimate x_{L-1}, ..., down to z. Every layer is one of the problems
# below, with W = W_i (n rows, k columns) and x the (estimated) output of that layer.

METHODS = ("equations", "leaky_inverse", "linf", "l1", "relax")
LP_METHODS = ("linf", "l1", "relax")
BACKENDS = ("highs", "cvxpy")  # of BoundsLP; LayerLP and LayerwiseLP also take "ipm"
INF = highspy.kHighsInf
BIG = 1e6  # "no bound" for HiGHS: finite, so that switching a row on or off keeps the basis valid


# ------------------------------------------------------------------------ the paper, as printed
# Short reference implementations of P2's algorithms for one ReLU layer, shaped like the
# pseudo-code (the book shows these). They solve one LP per grid point with scipy's linprog;
# the engine below (LayerLP, BoundsLP, lib.ipm) returns the same answers with far fewer and
# faster solves, and the tests check that it does.


def _linprog(c, A_ub, b_ub, bounds):
    from scipy.optimize import linprog

    return linprog(c, A_ub=A_ub, b_ub=b_ub, bounds=bounds, method="highs")


def alg1_reference(
    W: np.ndarray,
    b: np.ndarray,
    x: np.ndarray,
    *,
    eps0: float = 1e-10,
    alpha: float = 1.2,
    max_steps: int = 400,
    nonneg: bool = False,
    obs: np.ndarray | None = None,
) -> LayerSolve:
    """P2 Algorithm 1 (l_inf LP) for one layer x = ReLU(W z + b) + e, as printed:

        eps <- eps0
        repeat: solve  min delta  s.t. |w_j z + b_j - x_j| <= delta  if x_j > eps,
                                        w_j z + b_j - x_j  <= delta  if x_j <= eps,
                                        delta <= eps
                if feasible: return z;  else eps <- alpha eps

    (z >= 0 when the layer's input is itself a ReLU output, ``nonneg``; unobserved rows,
    ``obs`` False, constrain nothing.) eps is computed as eps0 alpha^t, as the engine does.
    """
    k = W.shape[1]
    obs = np.ones(len(x), bool) if obs is None else np.asarray(obs, bool)
    for t in range(max_steps + 1):
        eps = eps0 * alpha**t
        on = (x > eps) & obs
        A = np.vstack([np.c_[W[obs], -np.ones(obs.sum())], np.c_[-W[on], -np.ones(on.sum())]])
        rhs = np.r_[x[obs] - b[obs], b[on] - x[on]]
        bounds = [(0 if nonneg else None, None)] * k + [(0, eps)]
        r = _linprog(np.r_[np.zeros(k), 1.0], A, rhs, bounds)
        if r.status == 0:
            return LayerSolve(r.x[:k], "optimal", eps, float(r.x[k]), t, t + 1, -1)
    return LayerSolve(None, "max_steps", eps, np.nan, max_steps, max_steps + 1, -1)


def alg3_reference(
    W: np.ndarray,
    b: np.ndarray,
    x: np.ndarray,
    *,
    eps0: float = 1e-10,
    alpha: float = 1.2,
    max_steps: int = 400,
    nonneg: bool = False,
    obs: np.ndarray | None = None,
) -> LayerSolve:
    """P2 Algorithm 3 (LP relaxation, Eq. 8) for one ReLU layer, as printed:

        for t = 1, 2, ...: solve  max_z sum_i max(0, x_i) (w_i z)  s.t.  w_i z + b_i <= x_i + eps
                           (grid points where it is infeasible are skipped)
                           eps <- alpha eps
                           if t > 2 and ||ReLU(W z_t + b) - x||_1 >= that of z_{t-1}: return z_{t-1}

    (the book counts t from 0 on the grid eps0 alpha^t, so "t > 2" reads t >= 2).
    """
    k = W.shape[1]
    obs = np.ones(len(x), bool) if obs is None else np.asarray(obs, bool)
    c = -(W[obs].T @ np.maximum(x[obs], 0.0))
    bounds = [(0 if nonneg else None, None)] * k
    prev = None
    for t in range(max_steps + 1):
        eps = eps0 * alpha**t
        r = _linprog(c, W[obs], x[obs] + eps - b[obs], bounds)
        if r.status != 0:
            if prev is None and r.status == 2:  # infeasible: not yet a feasible eps
                continue
            return LayerSolve(None, "failed: " + r.message, eps, np.nan, t, t + 1, -1)
        res = float(np.abs(np.maximum(W[obs] @ r.x + b[obs], 0) - x[obs]).sum())
        if prev is not None and t >= 2 and res >= prev[1]:
            return LayerSolve(prev[0], "optimal", prev[2], -float(c @ prev[0]), t - 1, t + 1, -1)
        prev = (r.x, res, eps)
    return LayerSolve(None, "max_steps", eps, np.nan, max_steps, max_steps + 1, -1)


def invert_reference(
    G: Generator, y: torch.Tensor, method: str = "linf", *, mask=None, **kw
) -> np.ndarray:
    """P2's layer-wise inversion with the reference algorithms (:func:`alg1_reference`,
    :func:`alg3_reference`), one signal at a time: backwards from the output layer, each
    layer's answer is the next layer's observation (the hidden layers' values are >= 0).
    ReLU networks only. Returns z as a (B, n_0) float64 array (NaN rows where a layer failed).
    """
    if method not in ("linf", "relax"):
        raise ValueError(f"method={method!r}: the references are 'linf' (Alg. 1), 'relax'")
    _check_generator(G, method, "invert_reference")
    if G.hidden != "relu":
        raise ValueError(f"G.hidden={G.hidden!r}: the references invert ReLU networks")
    y, mask = check_observation(G, y, mask)
    Y = _np(y)
    obs_out = _check_mask(mask, len(Y), G.dims[-1])
    Ws, bs = [_np(W) for W in G.weights], [_np(G.bias(i)) for i in range(len(G.weights))]
    run = alg1_reference if method == "linf" else alg3_reference
    Z = np.full((len(Y), G.dims[0]), np.nan)
    for s, x in enumerate(Y):
        obs = obs_out[s]
        for i in range(len(Ws) - 1, -1, -1):
            r = run(Ws[i], bs[i], x, nonneg=i > 0, obs=obs, **kw)
            if r.z is None:
                break
            x, obs = r.z, np.ones(len(r.z), bool)
        else:
            Z[s] = x
    return Z


# ------------------------------------------------------------------------ the LP in bounds form
class BoundsLP:
    """min c^T v  s.t.  row_lo <= A v <= row_hi,  col_lo <= v <= col_hi, with A fixed.

    Every LP of P2 (Alg. 1-3, Remarks 1-2, Eqs. 8-9) is of this form with a constraint matrix
    that depends only on the layer's weights; a new signal, a new threshold epsilon or a new
    mask only changes the cost and the bounds. So the problem is built once per layer and
    re-solved:

    * ``backend='highs'``: the model is passed to HiGHS (highspy) once; each solve changes
      costs/bounds in place and HiGHS warm-starts from the previous optimal basis (dual simplex).
    * ``backend='cvxpy'``: a cvxpy problem with Parameters, DPP-compliant (checked), so cvxpy
      canonicalises once and re-solves with HiGHS; bounds that are switched off are encoded by
      0/1 indicator parameters (cvxpy parameters cannot be infinite).

    Both give the same LP; tests check they agree. ``solve`` returns (v, status, iterations):
    status is 'optimal', 'infeasible', 'unbounded' or a failure text, and v is None unless
    optimal. Infinite bounds are given as +-inf.

    ``form='dual'`` (HiGHS only) hands HiGHS the LP's dual instead, for problems with many rows
    and few columns (P2's l_inf LP: 2n rows, k + 1 columns). With p, q >= 0 the multipliers of
    the finite lower and upper row bounds, the dual is

        max row_lo^T p - row_hi^T q   s.t.   A^T (p - q) = c_j  (v_j free),
                                             A^T (p - q) <= c_j (v_j >= 0),

    an LP with only ``A.shape[1]`` rows, so the simplex basis is (k+1) x (k+1) instead of
    2n x 2n; v is read back as the dual's row multipliers (LP duality: same optimal value,
    checked in the tests). A row bound switched off fixes its multiplier at 0. Column bounds
    must be free or [0, inf) in this form. An unbounded dual means an infeasible primal.
    ``sides`` = (lo_used, hi_used), boolean per row: which row bounds can ever be finite (the
    dual gets a column for each of those only; default: all).

    ``reuse_basis`` (primal form, HiGHS): after a change of row bounds only, first try the last
    optimal basis directly (:meth:`_reuse_basis`): when its vertex is still feasible it is the
    optimum HiGHS would return after zero iterations, and HiGHS is not called. Alg. 3 uses it
    (most of its eps steps keep the basis: 466 -> 240 ms per inversion of the noisy
    20-100-500 net). Not used where several optima tie (Alg. 2): there the simplex's choice
    among them would change.
    """

    def __init__(
        self,
        A: np.ndarray,
        backend: str = "highs",
        tol: float = 1e-10,
        form: str = "primal",
        sides: tuple[np.ndarray, np.ndarray] | None = None,
        reuse_basis: bool = False,
    ) -> None:
        if backend not in BACKENDS:
            raise ValueError(f"backend={backend!r}: choose one of {BACKENDS}")
        if form not in ("primal", "dual"):
            raise ValueError(f"form={form!r}: 'primal' or 'dual'")
        if form == "dual" and backend != "highs":
            raise ValueError("form='dual' needs backend='highs'")
        self.form = form
        self.cold_restarts = 0  # HiGHS solves repeated from scratch after an error (see solve)
        self.tol = tol
        self.reuse_basis = reuse_basis and form == "primal" and backend == "highs"
        self.basis_reuses = 0  # solves answered from the previous basis (see _reuse_basis)
        self._basis = None
        m = len(A)
        if sides is None:
            sides = (np.ones(m, bool), np.ones(m, bool))
        self.sides = tuple(np.asarray(u, bool) for u in sides)
        if any(u.shape != (m,) for u in self.sides):
            raise ValueError(f"sides: two boolean arrays of length {m} expected")
        self.A = np.ascontiguousarray(A, dtype=float)
        self.m, self.nv = self.A.shape
        self.backend = backend
        self.c = np.zeros(self.nv)
        self.row_lo = np.full(self.m, -np.inf)
        self.row_hi = np.full(self.m, np.inf)
        self.col_lo = np.full(self.nv, -np.inf)
        self.col_hi = np.full(self.nv, np.inf)
        if form == "dual":
            self._build_highs_dual(tol)
        elif backend == "highs":
            self._build_highs(tol)
        else:
            self._build_cvxpy()

    # ---- HiGHS
    def _build_highs(self, tol: float) -> None:
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = self.nv, self.m
        lp.col_cost_ = self.c
        lp.col_lower_ = self._inf(self.col_lo)
        lp.col_upper_ = self._inf(self.col_hi)
        lp.row_lower_ = self._inf(self.row_lo)
        lp.row_upper_ = self._inf(self.row_hi)
        self.h = self._highs(tol)
        self._pass(self.h, self.A, lp)
        self._rows = np.arange(self.m, dtype=np.int32)
        self._cols = np.arange(self.nv, dtype=np.int32)

    @staticmethod
    def _highs(tol: float) -> highspy.Highs:
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        h.setOptionValue("presolve", "off")  # keep the basis between solves (warm start)
        h.setOptionValue("threads", 1)  # small LPs: a thread pool only costs here
        h.setOptionValue("parallel", "off")
        h.setOptionValue("primal_feasibility_tolerance", tol)
        h.setOptionValue("dual_feasibility_tolerance", tol)
        return h

    @staticmethod
    def _pass(h: highspy.Highs, M: np.ndarray, lp: highspy.HighsLp) -> None:
        """Give HiGHS the LP ``lp`` with the dense constraint matrix M (stored row-wise)."""
        nz = M != 0
        lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
        lp.a_matrix_.start_ = np.r_[0, np.cumsum(nz.sum(1))].astype(np.int32)
        lp.a_matrix_.index_ = np.nonzero(nz)[1].astype(np.int32)
        lp.a_matrix_.value_ = M[nz]
        h.passModel(lp)

    # ---- HiGHS, dual form
    def _build_highs_dual(self, tol: float) -> None:
        nv = self.nv
        lo_used, hi_used = self.sides
        nd = int(lo_used.sum() + hi_used.sum())  # columns [p (used lower), q (used upper)]
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = nd, nv  # one row per primal column
        lp.sense_ = highspy.ObjSense.kMaximize
        lp.col_cost_ = np.zeros(nd)
        lp.col_lower_ = np.zeros(nd)
        lp.col_upper_ = np.zeros(nd)  # every row bound starts switched off
        lp.row_lower_ = np.zeros(nv)
        lp.row_upper_ = np.zeros(nv)
        self.h = self._highs(tol)
        self._pass(self.h, np.hstack([self.A[lo_used].T, -self.A[hi_used].T]), lp)
        self._rows = np.arange(nv, dtype=np.int32)
        self._cols = np.arange(nd, dtype=np.int32)

    def _set_dual(self, name: str) -> None:
        """Push a changed cost or bound of the primal into the dual model."""
        h = self.h
        if name == "c" or name.startswith("col"):
            free = np.isneginf(self.col_lo) & np.isposinf(self.col_hi)
            nonneg = (self.col_lo == 0) & np.isposinf(self.col_hi)
            if not (free | nonneg).all():
                raise ValueError("form='dual' supports free and [0, inf) columns only")
            lo = np.where(free, self.c, -np.inf)
            h.changeRowsBounds(self.nv, self._rows, lo, self.c.copy())
        else:
            lo_used, hi_used = self.sides
            on_lo, on_hi = np.isfinite(self.row_lo), np.isfinite(self.row_hi)
            if (on_lo & ~lo_used).any() or (on_hi & ~hi_used).any():
                raise ValueError("a finite row bound on a side that 'sides' declares unused")
            lo, hi = on_lo[lo_used], on_hi[hi_used]
            cost = np.r_[
                np.where(lo, self.row_lo[lo_used], 0.0), -np.where(hi, self.row_hi[hi_used], 0.0)
            ]
            upper = np.where(np.r_[lo, hi], np.inf, 0.0)
            nd = len(self._cols)
            h.changeColsCost(nd, self._cols, cost)
            h.changeColsBounds(nd, self._cols, np.zeros(nd), upper)

    @staticmethod
    def _inf(a: np.ndarray) -> np.ndarray:
        return np.clip(a, -BIG, BIG)

    # ---- cvxpy (DPP)
    def _build_cvxpy(self) -> None:
        m, nv = self.m, self.nv
        self.v = cp.Variable(nv)
        self.p = {
            name: cp.Parameter(size)
            for name, size in [
                ("c", nv),
                ("rlo", m),
                ("rlo_on", m),
                ("rhi", m),
                ("rhi_on", m),
                ("clo", nv),
                ("clo_on", nv),
                ("chi", nv),
                ("chi_on", nv),
            ]
        }
        p, Av = self.p, self.A @ self.v
        cons = [
            cp.multiply(p["rlo_on"], Av) >= p["rlo"],
            cp.multiply(p["rhi_on"], Av) <= p["rhi"],
            cp.multiply(p["clo_on"], self.v) >= p["clo"],
            cp.multiply(p["chi_on"], self.v) <= p["chi"],
        ]
        self.problem = cp.Problem(cp.Minimize(p["c"] @ self.v), cons)
        if not self.problem.is_dpp():  # pragma: no cover - a programming error
            raise RuntimeError("the cvxpy LP is not DPP: it would be re-canonicalised per solve")

    def set(self, *, c=None, row_lo=None, row_hi=None, col_lo=None, col_hi=None) -> None:
        """Change the cost and/or bounds (arrays of the full length; +-inf = no bound)."""
        for name, val in (
            ("c", c),
            ("row_lo", row_lo),
            ("row_hi", row_hi),
            ("col_lo", col_lo),
            ("col_hi", col_hi),
        ):
            if val is None:
                continue
            val = np.asarray(val, dtype=float)
            if val.shape != getattr(self, name).shape:
                raise ValueError(f"{name}: shape {val.shape}, expected {getattr(self, name).shape}")
            setattr(self, name, val.copy())
            if not name.startswith("row"):
                self._basis = None  # the basis's optimality depends on the cost, column bounds
            if self.form == "dual":
                self._set_dual(name)
            elif self.backend == "highs":
                if name == "c":
                    self.h.changeColsCost(self.nv, self._cols, val)
                elif name.startswith("row"):
                    self.h.changeRowsBounds(
                        self.m, self._rows, self._inf(self.row_lo), self._inf(self.row_hi)
                    )
                else:
                    self.h.changeColsBounds(
                        self.nv, self._cols, self._inf(self.col_lo), self._inf(self.col_hi)
                    )

    def solve(self) -> tuple[np.ndarray | None, str, int]:
        """Solve; returns (v or None, status, simplex iterations (-1 for cvxpy))."""
        if self.backend == "highs":
            return self._solve_highs()
        return self._solve_cvxpy()

    def _solve_highs(self):
        h = self.h
        if self._basis is not None:
            v = self._reuse_basis()
            if v is not None:
                self.basis_reuses += 1
                return v, "optimal", 0
        if h.run() == highspy.HighsStatus.kError:
            # HiGHS occasionally errors out of a warm start (seen on noiseless data, whose LP
            # costs are ~1e-15): solve the same LP once more from scratch, and count it
            h.clearSolver()
            h.run()
            self.cold_restarts += 1
        st = h.getModelStatus()
        MS = highspy.HighsModelStatus
        iters = int(h.getInfo().simplex_iteration_count)
        dual = self.form == "dual"
        if st == MS.kOptimal:
            sol = h.getSolution()
            self.row_dual = np.array(sol.row_dual)  # the multipliers of the rows
            if self.reuse_basis:
                self._keep_basis()
            return np.array(sol.row_dual if dual else sol.col_value), "optimal", iters
        status = {
            MS.kInfeasible: "unbounded" if dual else "infeasible",
            MS.kUnbounded: "infeasible" if dual else "unbounded",
            MS.kUnboundedOrInfeasible: "infeasible_or_unbounded",
        }.get(st, f"failed: {h.modelStatusToString(st)}")
        h.clearSolver()  # do not warm-start the next signal from a failed state
        return None, status, iters

    def _keep_basis(self) -> None:
        """Remember the optimal basis: which rows and columns sit at which bound, and the LU
        factors of the square system that fixes the basic columns (primal form)."""
        self._basis = None
        basis = self.h.getBasis()
        BS = highspy.HighsBasisStatus
        rs = np.array([int(x) for x in basis.row_status])
        cs = np.array([int(x) for x in basis.col_status])
        lower, upper, basic = int(BS.kLower), int(BS.kUpper), int(BS.kBasic)
        rows = np.flatnonzero((rs == lower) | (rs == upper))
        bcols = np.flatnonzero(cs == basic)
        ncols = np.flatnonzero(cs != basic)
        if len(rows) != len(bcols) or not np.isin(cs[ncols], (lower, upper)).all():
            return  # not a plain vertex basis (e.g. a free nonbasic column): no reuse
        try:
            lu = scipy.linalg.lu_factor(self.A[np.ix_(rows, bcols)], check_finite=False)
        except (ValueError, np.linalg.LinAlgError):  # pragma: no cover - a singular basis
            return
        A_N = self.A[np.ix_(rows, ncols)]  # the nonbasic columns' part of the tight rows
        self._basis = (rows, rs[rows] == upper, bcols, ncols, cs[ncols] == upper, lu, A_N)

    def _reuse_basis(self) -> np.ndarray | None:
        """The previous optimal basis under the new row bounds (cost and column bounds
        unchanged). Its reduced costs do not depend on the bounds, so it is still dual feasible;
        if its vertex is primal feasible (within the solver tolerance) it is optimal, and
        HiGHS would return that same vertex after zero iterations. Returns the vertex or None.
        Alg. 3 steps eps many times with the same optimal basis; this skips those solves."""
        rows, r_up, bcols, ncols, c_up, lu, A_N = self._basis
        rb = np.where(r_up, self.row_hi[rows], self.row_lo[rows])
        vN = np.where(c_up, self.col_hi[ncols], self.col_lo[ncols])
        if not (np.isfinite(rb).all() and np.isfinite(vN).all()):
            return None
        v = np.empty(self.nv)
        v[ncols] = vN
        v[bcols] = scipy.linalg.lu_solve(lu, rb - A_N @ vN, check_finite=False)
        Av, tol = self.A @ v, self.tol
        if (
            (Av < self.row_lo - tol * (1 + np.abs(self.row_lo))).any()
            or (Av > self.row_hi + tol * (1 + np.abs(self.row_hi))).any()
            or (v < self.col_lo - tol * (1 + np.abs(self.col_lo))).any()
            or (v > self.col_hi + tol * (1 + np.abs(self.col_hi))).any()
        ):
            return None
        return v

    def _solve_cvxpy(self):
        p = self.p
        p["c"].value = self.c
        for key, arr in (
            ("rlo", self.row_lo),
            ("rhi", self.row_hi),
            ("clo", self.col_lo),
            ("chi", self.col_hi),
        ):
            on = np.isfinite(arr)
            p[key + "_on"].value = on.astype(float)
            p[key].value = np.where(on, arr, 0.0)
        try:
            self.problem.solve(solver=SOLVER)
            status = self.problem.status
        except cp.SolverError as err:
            status = f"failed: {err}"
        if status == cp.OPTIMAL:
            return np.asarray(self.v.value, dtype=float), "optimal", -1
        status = {cp.INFEASIBLE: "infeasible", cp.UNBOUNDED: "unbounded"}.get(status, status)
        return None, status, -1


# ------------------------------------------------------------------------ one layer
@dataclass
class LayerSolve:
    """One layer's inversion for one signal: the estimate and how it was obtained.

    Attributes:
        z: the layer's input estimate (length k), or None when no LP was solved to optimality.
        status: 'optimal', or why not ('infeasible', 'max_steps', 'failed: ...').
        eps: the threshold epsilon the algorithm stopped at (Alg. 1: the first feasible one).
        objective: the optimal LP value at that epsilon (Alg. 1: delta*, the l_inf fit of the
            estimated active rows; Alg. 2: sum of e_j; Alg. 3: the relaxation's objective).
        steps: t, the number of epsilon <- alpha epsilon steps taken from eps0.
        solves: number of LPs actually solved (grid points whose LP is provably the same as the
            previous one are not re-solved, see :class:`LayerLP`).
        iterations: simplex iterations summed over the solves (-1 when unknown).
    """

    z: np.ndarray | None
    status: str
    eps: float
    objective: float
    steps: int
    solves: int
    iterations: int


class LayerLP:
    """The LPs of P2 for one layer x = act(W z + b), built once, re-solved for every signal.

    Methods (``method``) and the activations they invert (``slope`` c = 0: ReLU, c > 0:
    LeakyReLU(t) = max(t, c t)):

    * 'linf' — P2 Alg. 1 (ReLU) / Remark 1 (LeakyReLU): min delta s.t.
      |w_j^T z - x_j| <= delta where x_j > eps; w_j^T z <= x_j + delta where x_j <= eps
      (LeakyReLU: (x_j - delta)/c <= w_j^T z <= x_j + delta where -eps < x_j <= eps and
      x_j - delta <= c w_j^T z <= x_j + delta where x_j <= -eps); delta <= eps;
      eps <- alpha eps until feasible.
    * 'l1' — P2 Alg. 2 / Remark 2: the same rows with a slack e_j per row instead of the common
      delta, min sum_j e_j; eps <- alpha eps while ||act(W z^{(t)}) - x||_1 decreases.
      ``patience`` = 1 is P2's rule (return z^{(t-1)} at the first LP whose residual is not
      smaller); ``patience`` = p > 1 continues through p LPs without improvement and returns the
      iterate of smallest residual (a variant of the book, see the noisy-inversion chapter).
    * ``search`` ('linf', ReLU only): 'bisect' finds Alg. 1's first feasible grid point by
      bisection (see :meth:`_linf_bisect`), 'scan' walks the grid; both return the same.
    * ``form``: 'primal' or 'dual' (see :class:`BoundsLP`); default (None): the dual for the
      ReLU 'linf' LP with HiGHS (k + 1 rows instead of 2n; 1.3x faster on the noisy 20-100-500
      net), the primal otherwise (measured slower in the dual: Alg. 3's many small eps steps by
      1.2x, the LeakyReLU l_inf LP of a 600 x 110 layer by 2-3x).
    * 'relax' — P2 Eq. 8 / Alg. 3 (ReLU): max sum_i max(0, x_i) w_i^T z s.t. w_i^T z <= x_i + eps;
      Eq. 9 (LeakyReLU): max x^T W z s.t. min(x_i - eps, 0)/c <= w_i^T z <= max(x_i + eps, 0);
      eps <- alpha eps while the l1 residual decreases.

    The row bounds carry the bias: the constraints are on w_j^T z + b_j.

    Skipping provably identical LPs. Along the grid eps_t = eps0 alpha^t the LP of Alg. 1
    changes only when eps crosses a |x_j| (the split of the rows into categories changes) or
    when the cap delta <= eps is relaxed. We solve the LP *without* the cap: its optimum delta*
    tells at once whether the capped LP is feasible (delta* <= eps) and, if not, the first grid
    point where it can become feasible; grid points in between have the same rows and a cap
    below delta*, so they are infeasible, and are skipped. The returned epsilon, z and delta are
    those of the paper's loop; only the number of solves drops. Alg. 2 likewise skips grid
    points whose LP is unchanged (identical LPs have identical solutions; see the book for why
    the comparison is made between *different* LPs), and Alg. 3 jumps to the first feasible grid
    point, found from one LP (min s s.t. W z + b - x <= s).
    """

    def __init__(
        self,
        W: torch.Tensor | np.ndarray,
        b: torch.Tensor | np.ndarray | None = None,
        *,
        method: str = "linf",
        slope: float = 0.0,
        backend: str = "highs",
        tol: float = 1e-10,
        patience: int = 1,
        search: str = "bisect",
        form: str | None = None,
        nonneg: bool = False,
    ) -> None:
        if method not in LP_METHODS:
            raise ValueError(f"method={method!r}: choose one of {LP_METHODS}")
        if search not in ("bisect", "scan"):
            raise ValueError(f"search={search!r}: 'bisect' or 'scan'")
        self.search = search
        self._last_t = None  # Alg. 1's last answer (the search's first probe; None: none yet)
        if not 0 <= slope < 1:
            raise ValueError(f"slope={slope}: 0 (ReLU) or a LeakyReLU slope c in (0, 1)")
        if backend not in BACKENDS + ("ipm",):
            raise ValueError(f"backend={backend!r}: choose one of {BACKENDS + ('ipm',)}")
        W_in, W = W, _np(W)
        if W.ndim != 2:
            raise ValueError(f"W must be a matrix, got shape {W.shape}")
        self.W = W
        self.n, self.k = W.shape
        self.b = np.zeros(self.n) if b is None else _np(b)
        if self.b.shape != (self.n,):
            raise ValueError(f"b must have shape ({self.n},), got {self.b.shape}")
        self.patience = check_count("patience", patience, minimum=1)
        if nonneg and slope != 0:
            raise ValueError("nonneg=True: the unknown of a LeakyReLU layer can be negative")
        self.nonneg = bool(nonneg)
        self.method, self.c, self.backend = method, float(slope), backend
        self.ipm, self.fallbacks = None, 0
        if backend == "ipm":
            if method != "linf" or slope != 0 or search != "bisect":
                raise ValueError(
                    "backend='ipm' solves the ReLU l_inf LP (Alg. 1, search='bisect') only"
                )
            Wt = W_in if isinstance(W_in, torch.Tensor) else torch.from_numpy(self.W)
            self.ipm = BatchLinfLP(Wt, nonneg=self.nonneg)  # on the generator's device
            backend = "highs"  # the simplex solves what the interior point does not certify
        n, k, W = self.n, self.k, self.W
        one, I = np.ones((n, 1)), np.eye(n)
        leaky = self.c > 0
        if method == "relax":
            A = W
            ncols = k
            sides = (np.full(n, leaky), np.ones(n, bool))  # ReLU: upper bounds only
        else:
            S = one if method == "linf" else I  # the common delta or one slack per row
            blocks = [np.hstack([W, -S]), np.hstack([W, S])]  # U1: Wz - s, L1: Wz + s
            if leaky:
                blocks += [np.hstack([self.c * W, -S]), np.hstack([self.c * W, S])]  # U2, L2
            A = np.vstack(blocks)
            ncols = k + S.shape[1]
            upper = np.tile(np.r_[np.ones(n, bool), np.zeros(n, bool)], len(blocks) // 2)
            sides = (~upper, upper)  # U rows carry upper bounds only, L rows lower bounds
        if form is None:  # few columns, many rows: HiGHS is faster on the dual
            fast = backend == "highs" and method in ("linf", "l1") and not leaky
            form = "dual" if fast else "primal"
        if form not in ("primal", "dual"):
            raise ValueError(f"form={form!r}: 'primal', 'dual' or None")
        self.form = form
        self.helper = None  # Alg. 3: LP for the smallest feasible eps (built on first use)
        if method == "l1" and form == "dual":
            if leaky or backend != "highs":
                raise ValueError("form='dual' of the l1 LP: ReLU layers and backend='highs' only")
            # min a^T lam s.t. W^T lam = 0, lam_j in [-1, 1] (on), [0, 1] (off), 0 (unobserved)
            # (z >= 0, a hidden layer: W^T lam >= 0 instead of = 0, z its multiplier)
            self.lp = BoundsLP(W.T.copy(), backend=backend, tol=tol)
            self.lp.set(row_lo=np.zeros(k), row_hi=np.full(k, np.inf if nonneg else 0.0))
            return
        self.lp = BoundsLP(
            A, backend=backend, tol=tol, form=form, sides=sides, reuse_basis=method == "relax"
        )
        col_lo = np.full(ncols, -np.inf)
        col_lo[k:] = 0.0  # delta >= 0, e_j >= 0
        if self.nonneg:
            col_lo[:k] = 0.0  # a hidden layer's values are ReLU outputs: z >= 0
        cost = np.zeros(ncols)
        cost[k:] = 1.0
        self.lp.set(col_lo=col_lo, c=cost)

    # ---- the rows of Alg. 1/2 (and Remarks 1/2) for a given eps
    def categories(self, x: np.ndarray, eps: float) -> np.ndarray:
        """Row categories at threshold eps: 2 'on' (x_j > eps), 1 'near zero', 0 'negative'
        (x_j <= -eps, LeakyReLU only); ReLU uses 2 and 1 (x_j <= eps: 'off')."""
        cat = np.where(x > eps, 2, 1)
        if self.c > 0:
            cat = np.where(x <= -eps, 0, cat)
        return cat

    def _row_bounds(self, x: np.ndarray, cat: np.ndarray, obs: np.ndarray):
        n, b, c = self.n, self.b, self.c
        inf = np.full(n, np.inf)
        lo_U1, hi_U1 = -inf, np.where(cat >= 1, x - b, np.inf)
        lo_L1, hi_L1 = np.where(cat == 2, x - b, -np.inf), inf
        lo, hi = [lo_U1, lo_L1], [hi_U1, hi_L1]
        if c > 0:
            hi_U2 = np.where(cat == 0, x - c * b, np.inf)
            lo_L2 = np.where(cat <= 1, x - c * b, -np.inf)
            lo += [-inf, lo_L2]
            hi += [hi_U2, inf]
        lo, hi = np.concatenate(lo), np.concatenate(hi)
        free = np.tile(~obs, len(lo) // n)  # unobserved output pixels constrain nothing
        return np.where(free, -np.inf, lo), np.where(free, np.inf, hi)

    def residual(self, z: np.ndarray, x: np.ndarray, obs: np.ndarray) -> float:
        """||act(W z + b) - x||_1 over the observed rows (the stopping rule of Alg. 2 and 3)."""
        t = self.W @ z + self.b
        fx = np.where(t >= 0, t, self.c * t)
        return float(np.abs(fx - x)[obs].sum())

    def solve(
        self,
        x: np.ndarray,
        *,
        eps0: float = 1e-10,
        alpha: float = 1.2,
        max_steps: int = 400,
        obs: np.ndarray | None = None,
    ) -> LayerSolve:
        """Run the layer's algorithm (Alg. 1, 2 or 3) for one observed layer x (length n).

        Args:
            x: the layer's (noisy) output. eps0: the initial threshold; alpha > 1 its growth
            factor (P2 uses 1.2); max_steps: cap on t (status 'max_steps' when reached).
            obs: boolean mask of observed rows (None: all).
        """
        x = self._check_x(x, eps0, alpha, batch=False)
        obs = np.ones(self.n, bool) if obs is None else np.asarray(obs, bool)
        if self.ipm is not None:
            return self.solve_batch(
                x[None], eps0=eps0, alpha=alpha, max_steps=max_steps, obs=obs[None]
            )[0]
        run = {"linf": self._linf, "l1": self._l1, "relax": self._relax}[self.method]
        return run(x, eps0, alpha, max_steps, obs)

    def _check_x(self, x, eps0: float, alpha: float, *, batch: bool) -> np.ndarray:
        """x as float64, checked: shape (n,) or, for a batch, (B, n); finite; eps0, alpha."""
        x = np.asarray(x, dtype=float)
        if x.shape[-1:] != (self.n,) or x.ndim != 1 + batch:
            want = f"(B, {self.n})" if batch else f"({self.n},)"
            raise ValueError(f"{'X' if batch else 'x'} must have shape {want}, got {x.shape}")
        if not np.isfinite(x).all():
            raise ValueError(f"{'X' if batch else 'x'} contains NaN or inf")
        if not (eps0 > 0 and alpha > 1):
            raise ValueError(f"need eps0 > 0 and alpha > 1, got eps0={eps0}, alpha={alpha}")
        return x

    def solve_batch(
        self,
        X: np.ndarray,
        *,
        eps0: float = 1e-10,
        alpha: float = 1.2,
        max_steps: int = 400,
        obs: np.ndarray | None = None,
    ) -> list[LayerSolve]:
        """Alg. 1 (ReLU) for B observed layers X (B, n) at once (``backend='ipm'``).

        Every signal runs its own bracketing search (:meth:`_linf_search`, the same search as
        one signal at a time); in each round, the LPs all searches ask for are solved together
        by the batched interior-point method (:class:`lib.ipm.BatchLinfLP`), whose answers are
        exact optimal vertices checked for optimality. An LP whose check fails is solved by the
        simplex (HiGHS) instead and counted in ``self.fallbacks``. Returns one
        :class:`LayerSolve` per signal; ``iterations`` counts interior-point iterations (and
        simplex iterations of the fallbacks).

        Every search starts at the previous batch's median answer. A layer with no answer yet
        solves one signal first and starts the others at its answer (on the noisy 20-100-500
        net: about 7 LPs per signal instead of 14 from t = 0).
        """
        if self.ipm is None:
            raise ValueError("solve_batch needs backend='ipm'")
        X = self._check_x(X, eps0, alpha, batch=True)
        B = len(X)
        obs = _check_mask(obs, B, self.n)
        kw = dict(eps0=eps0, alpha=alpha, max_steps=max_steps)
        if self._last_t is None and B > 1:  # a new layer: one signal first, to learn where
            head = self.solve_batch(X[:1], obs=obs[:1], **kw)  # the answers lie, then the rest
            return head + self.solve_batch(X[1:], obs=obs[1:], **kw)
        t0 = min(self._last_t or 0, max_steps)
        searches = [self._linf_search(eps0, alpha, max_steps, t0) for _ in range(B)]
        asks = {s: next(search) for s, search in enumerate(searches)}
        results: list[LayerSolve | None] = [None] * B
        A = X - self.b
        while asks:
            S = np.fromiter(asks, int, len(asks))
            eps = np.array([self._grid(eps0, alpha, asks[s]) for s in S])
            on = X[S] > eps[:, None]
            r = self.ipm.solve(
                torch.from_numpy(A[S]),
                torch.from_numpy(on),
                torch.from_numpy(np.ascontiguousarray(obs[S])),
            )
            # one copy to the host per round (the simplex and the search run there)
            rz, rd = r.z.cpu().numpy(), r.delta.cpu().numpy()
            rok, rit = r.ok.cpu().numpy(), r.iterations.cpu().numpy()
            for i, s in enumerate(S):
                if rok[i]:
                    ans = np.r_[rz[i], float(rd[i])], "optimal", int(rit[i])
                else:
                    self.fallbacks += 1
                    v, status, it = self._solve_at(X[s], obs[s], float(eps[i]))
                    ans = v, status, int(rit[i]) + it
                try:
                    asks[s] = searches[s].send(ans)
                except StopIteration as stop:
                    results[s] = stop.value
                    del asks[s]
        found = [r.steps for r in results if r.z is not None]
        if found:  # the next batch's first probe
            self._last_t = int(np.median(found))
        return results

    def _grid(self, eps0: float, alpha: float, t: int) -> float:
        return eps0 * alpha**t

    def _first_t_at_least(self, v: float, eps0: float, alpha: float) -> int:
        """Smallest t with eps0 alpha^t >= v."""
        if v <= eps0:
            return 0
        t = max(0, math.ceil(math.log(v / eps0) / math.log(alpha)) - 1)
        while self._grid(eps0, alpha, t) < v:
            t += 1
        return t

    def _next_change(self, x: np.ndarray, obs: np.ndarray, t: int, eps0: float, alpha: float):
        """First grid index t' > t whose row categories differ from those at t (or None)."""
        eps = self._grid(eps0, alpha, t)
        vals = x[obs]
        if self.c > 0:
            # x_j > eps flips when eps >= x_j; x_j <= -eps flips when eps > -x_j
            up = vals[vals > eps]
            neg = -vals[(vals < 0) & (-vals > eps)]
            cands = [self._first_t_at_least(v, eps0, alpha) for v in up]
            for v in neg:
                tt = self._first_t_at_least(v, eps0, alpha)
                cands.append(tt + 1 if self._grid(eps0, alpha, tt) == v else tt)
        else:
            up = vals[vals > eps]
            cands = [self._first_t_at_least(v, eps0, alpha) for v in up]
        cands = [c for c in cands if c > t]
        return min(cands) if cands else None

    def _solve_at(self, x, obs, eps):
        if self.method == "l1" and self.form == "dual":
            return self._solve_l1_dual(x, obs, eps)
        lo, hi = self._row_bounds(x, self.categories(x, eps), obs)
        self.lp.set(row_lo=lo, row_hi=hi)
        return self.lp.solve()

    def _solve_l1_dual(self, x, obs, eps):
        """Alg. 2's LP at eps through its dual (ReLU). With a = x - b, the LP is
        min_z sum_on |w_j z - a_j| + sum_off max(w_j z - a_j, 0) (the slacks e_j at their
        optimum), and min_z max_lam lam^T (W z - a) over lam_j in [-1, 1] (on rows), [0, 1]
        (off rows), 0 (unobserved) gives the dual  min a^T lam  s.t.  W^T lam = 0: k rows
        instead of 2n, n bounded columns instead of k + n. z is the multiplier of W^T lam = 0;
        the e_j are recomputed from z. Returns v = [z, e] as the primal form does."""
        a = x - self.b
        on = (x > eps) & obs
        self.lp.set(
            c=a,
            col_lo=np.where(on, -1.0, 0.0),
            col_hi=np.where(obs, 1.0, 0.0),
        )
        _, status, iters = self.lp.solve()
        if status != "optimal":
            return None, status, iters
        z = self.lp.row_dual.copy()
        r = self.W @ z - a
        e = np.where(on, np.abs(r), np.maximum(r, 0.0)) * obs
        return np.r_[z, e], status, iters

    # ---- Alg. 1 / Remark 1
    def _linf(self, x, eps0, alpha, max_steps, obs) -> LayerSolve:
        if self.c == 0 and self.search == "bisect":
            return self._linf_bisect(x, eps0, alpha, max_steps, obs)
        t, solves, iters = 0, 0, 0
        while t <= max_steps:
            eps = self._grid(eps0, alpha, t)
            v, status, it = self._solve_at(x, obs, eps)
            solves, iters = solves + 1, iters + it
            if v is None:
                return LayerSolve(None, status, eps, np.nan, t, solves, iters)
            delta = float(v[self.k])
            if delta <= eps:  # the capped LP (delta <= eps) is feasible: stop
                return LayerSolve(v[: self.k], "optimal", eps, delta, t, solves, iters)
            t_delta = self._first_t_at_least(delta, eps0, alpha)
            t_change = self._next_change(x, obs, t, eps0, alpha)
            t = t_delta if t_change is None else min(t_delta, t_change)
        return LayerSolve(None, "max_steps", self._grid(eps0, alpha, t), np.nan, t, solves, iters)

    def _linf_bisect(self, x, eps0, alpha, max_steps, obs) -> LayerSolve:
        """Alg. 1 for ReLU by the bracketing search of :meth:`_linf_search`, one LP at a time."""
        search = self._linf_search(eps0, alpha, max_steps, min(self._last_t or 0, max_steps))
        t = next(search)
        try:
            while True:
                t = search.send(self._solve_at(x, obs, self._grid(eps0, alpha, t)))
        except StopIteration as stop:
            res = stop.value
        if res.z is not None:
            self._last_t = res.steps
        return res

    def _linf_search(self, eps0, alpha, max_steps, t):
        """Alg. 1 for ReLU as a bracketing search over the grid index t: same output as the loop.

        A generator: it yields the next grid index t to solve, is sent the LP's result
        (v, status, iterations) at eps_t, and returns the :class:`LayerSolve`. So one search
        runs one LP at a time (:meth:`_linf_bisect`) or many searches run side by side, one LP
        per signal per round, solved together (:meth:`solve_batch`).

        For ReLU, raising eps moves rows from 'on' (two-sided) to 'off' (one-sided): the
        feasible set only grows, so delta*(eps) is non-increasing while eps grows, and
        "delta*(eps_t) <= eps_t" is monotone in t. Alg. 1 returns the first feasible t. Every
        solved LP narrows the bracket (lo infeasible, hi feasible) twice:

        * infeasible at t (delta*(eps_t) > eps_t): lo = t; and every t' with
          eps_t' >= delta*(eps_t) is feasible (delta* can only have dropped), so hi <= that t';
        * feasible at t: hi = t; and every t' with eps_t' < delta*(eps_t) is infeasible
          (delta* can only be larger there), so lo >= the last such t'.

        The first probe t is the previous answer (signals of one experiment have similar
        noise, so the bracket is then a few grid points wide); the rest is bisection. About
        3-4 LPs per layer instead of 8-9 for plain bisection from t = 0.
        """
        solves = iters = 0
        cache = {}
        # lo: largest t known infeasible; hi: smallest t solved and feasible; cap: a t known
        # feasible from a delta* (not solved yet)
        lo, hi, cap = -1, None, None
        for _ in range(4 * max_steps + 8):  # each pass probes a new t; a bound, not a limit
            eps = self._grid(eps0, alpha, t)
            if t in cache:  # pragma: no cover - cannot happen by the bracket's logic
                status = "failed: the grid search revisited a threshold"
                return LayerSolve(None, status, eps, np.nan, t, solves, iters)
            v, status, it = yield t
            solves, iters = solves + 1, iters + it
            if v is None:
                return LayerSolve(None, status, eps, np.nan, t, solves, iters)
            cache[t] = v
            delta = float(v[self.k])
            t_delta = self._first_t_at_least(delta, eps0, alpha)
            if delta <= eps:  # feasible at t
                hi, lo = t, max(lo, t_delta - 1)
            else:
                lo = t
                # a cap at or below t was "feasible for sure" but is not: delta* is only
                # monotone up to the solver's tolerance (noiseless data, delta* ~ 1e-10)
                cap = t_delta if cap is None or cap <= t else min(cap, t_delta)
                if lo >= max_steps:
                    eps = self._grid(eps0, alpha, lo)
                    return LayerSolve(None, "max_steps", eps, np.nan, lo, solves, iters)
            upper = min(u for u in (hi, cap) if u is not None)
            if upper - lo > 1:
                t = (lo + upper) // 2
            elif hi is not None and hi == upper:
                break
            else:
                t = upper  # feasible for sure: solve it for z
        else:  # pragma: no cover
            status = "failed: the grid search did not terminate"
            return LayerSolve(None, status, self._grid(eps0, alpha, t), np.nan, t, solves, iters)
        eps = self._grid(eps0, alpha, hi)
        if hi > max_steps:
            return LayerSolve(None, "max_steps", eps, np.nan, hi, solves, iters)
        v = cache[hi]
        return LayerSolve(v[: self.k], "optimal", eps, float(v[self.k]), hi, solves, iters)

    # ---- Alg. 2 / Remark 2
    def _l1(self, x, eps0, alpha, max_steps, obs) -> LayerSolve:
        t, solves, iters, since = 0, 0, 0, 0
        best = None
        while True:
            eps = self._grid(eps0, alpha, t)
            v, status, it = self._solve_at(x, obs, eps)
            solves, iters = solves + 1, iters + it
            if v is None:
                return LayerSolve(None, status, eps, np.nan, t, solves, iters)
            z = v[: self.k]
            r = self.residual(z, x, obs)
            if best is None or r < best[1]:
                best, since = (z, r, eps, float(v[self.k :].sum()), t), 0
            else:
                since += 1
            t_next = self._next_change(x, obs, t, eps0, alpha)
            if since >= self.patience or t_next is None or t_next > max_steps:
                zb, _, eb, ob, tb = best
                return LayerSolve(zb, "optimal", eb, ob, tb, solves, iters)
            t = t_next

    # ---- Alg. 3 / Eq. 9
    def _relax_bounds(self, x, eps, obs):
        b, c = self.b, self.c
        hi = np.maximum(x + eps, 0.0) - b if c > 0 else x + eps - b
        lo = np.minimum(x - eps, 0.0) / c - b if c > 0 else np.full(self.n, -np.inf)
        return np.where(obs, lo, -np.inf), np.where(obs, hi, np.inf)

    def _relax(self, x, eps0, alpha, max_steps, obs) -> LayerSolve:
        weights = x if self.c > 0 else np.maximum(x, 0.0)
        self.lp.set(c=-(self.W.T @ np.where(obs, weights, 0.0)))
        solves, iters, t = 0, 0, 0
        if self.c == 0:  # smallest feasible eps: min s s.t. W z + b - x <= s (observed rows)
            if self.helper is None:
                A = np.hstack([self.W, -np.ones((self.n, 1))])
                self.helper = BoundsLP(A, backend=self.backend)
                cost = np.zeros(self.k + 1)
                cost[-1] = 1.0
                zlo = 0.0 if self.nonneg else -np.inf
                self.helper.set(c=cost, col_lo=np.r_[np.full(self.k, zlo), 0.0])
            self.helper.set(row_hi=np.where(obs, x - self.b, np.inf))
            v, status, it = self.helper.solve()
            solves, iters = 1, it
            if v is None:
                return LayerSolve(None, status, eps0, np.nan, 0, solves, iters)
            t = self._first_t_at_least(float(v[-1]), eps0, alpha)
        prev = None
        while t <= max_steps:
            eps = self._grid(eps0, alpha, t)
            lo, hi = self._relax_bounds(x, eps, obs)
            self.lp.set(row_lo=lo, row_hi=hi)
            v, status, it = self.lp.solve()
            solves, iters = solves + 1, iters + it
            if v is None:
                if prev is None and status == "infeasible":
                    t += 1  # numerically at the edge of feasibility: next grid point
                    continue
                return LayerSolve(None, status, eps, np.nan, t, solves, iters)
            r = self.residual(v, x, obs)
            cur = (v, r, eps, float(self.lp.c @ v), t)
            if prev is not None and t >= 2 and r >= prev[1]:  # paper's t > 2 (t from 1)
                zb, _, eb, ob, tb = prev
                return LayerSolve(zb, "optimal", eb, -ob, tb, solves, iters)
            prev = cur
            t += 1
        return LayerSolve(None, "max_steps", self._grid(eps0, alpha, t), np.nan, t, solves, iters)


def _np(t) -> np.ndarray:
    if isinstance(t, torch.Tensor):
        return t.detach().cpu().double().numpy()
    return np.asarray(t, dtype=float)


# ------------------------------------------------------------------------ the whole network
#: statuses of a signal for which some layer's LP produced no solution (z is NaN)
FAILURES = ("infeasible", "budget", "solver_failure")
#: relative fit ||G(z_hat) - y||_inf / (1 + ||y||_inf) below which a signal counts as 'exact'
#: (the LPs are solved to 1e-10; float32 generators round at ~1e-7 per layer)
EXACT_TOL = 1e-7


@dataclass
class LPResult(InversionResult):
    """Layer-wise inversion of a batch of B signals (P2 Thm 3-5: layers inverted backwards);
    a :class:`lib.result.InversionResult`.

    ``z`` (B, n_0) latent estimates (a NaN row: some layer's LP had no solution, see status);
    ``layers`` the estimates [x_1, ..., x_L] of the hidden layers; ``iterations`` the LPs solved
    per signal (all layers; 0 for the linear equations).

    ``status`` per signal (:data:`lib.result.STATUSES`), decided in this order:

    * 'infeasible' / 'budget' / 'solver_failure': some layer's LP was infeasible, ran past
      ``max_steps`` thresholds, or the solver failed (z is NaN; ``failure`` says which layer);
    * 'not_unique': every LP was solved but at some layer the active constraints have rank
      < k: the rows W_S (observed rows with x_j > eps, P2's condition, Lemma 1 / Thm 3) and, for
      a hidden layer, the bounds x_i >= 0 the solution sits on (``rank_active``). The layer's
      preimage is then not a point, so z is one of many (its estimate is kept; it is not the
      truth in general);
    * 'exact': G(z_hat) reproduces the observed y (relative l_inf fit <= :data:`EXACT_TOL`);
    * 'within_noise': a full-rank solution whose fit is not exact: each layer's LP was feasible
      at its threshold eps (the noise bound the algorithm found, ``eps``); ``residual`` gives
      the fit per layer.

    Per layer (column i: the layer of W_i, i = 0..L; NaN / -1 where a layer was not reached):
    ``eps`` the threshold the layer stopped at; ``objective`` its optimal LP value (Alg. 1:
    delta*); ``steps`` its eps <- alpha eps steps t; ``solves`` its LPs solved;
    ``solver_iterations`` simplex (or interior-point) iterations; ``rank`` the rank of the
    active rows W_S (P2's condition); ``rank_active`` the same with the tight bounds x_i = 0
    of a hidden layer added (= ``rank`` for the latent layer); ``residual``
    ||act(W_i x_hat_i + b_i) - x_{i+1}||_inf over the observed rows (x_{L+1} = y, the others
    the estimates); ``fit`` (B,) the relative l_inf fit of
    G(z_hat) to y; ``failure`` per signal '' or e.g. 'layer 1: infeasible'.
    """

    eps: np.ndarray | None = None
    objective: np.ndarray | None = None
    steps: np.ndarray | None = None
    solves: np.ndarray | None = None
    solver_iterations: np.ndarray | None = None
    rank: np.ndarray | None = None
    rank_active: np.ndarray | None = None
    residual: np.ndarray | None = None
    fit: np.ndarray | None = None
    failure: list[str] | None = None


def _check_generator(G: Generator, method: str, caller: str) -> float:
    """The slope c of G's activation (0: ReLU); ValueError naming what does not fit."""
    G = require_dense(G, caller)
    if method not in METHODS:
        raise ValueError(f"method={method!r}: choose one of {METHODS}")
    require_hidden(G, ("relu", "leaky_relu"), caller)
    if G.hidden == "relu":
        if G.output != "relu":
            raise ValueError(
                f"G.output={G.output!r}: {caller} (P2's layer-wise inversion) needs the output "
                "activation of the hidden layers, here 'relu'; for another output use gradient "
                "descent (lib.gradient.gradient_descent) or P1's Latent-Pursuit "
                "(lib.pursuit.latent_pursuit)"
            )
        slope = 0.0
    else:
        if G.output != "leaky_relu":
            raise ValueError(
                f"G.output={G.output!r}: {caller} on a LeakyReLU network needs a LeakyReLU "
                "output as well (P2 Remarks 1-2, Eq. 5); for another output use gradient "
                "descent (lib.gradient.gradient_descent)"
            )
        slope = G.slope
    if method == "leaky_inverse" and slope == 0:
        raise ValueError("method='leaky_inverse' (P2 Eq. 5) needs a LeakyReLU generator")
    return slope


def _check_mask(mask, B: int, n: int) -> np.ndarray:
    """(B, n) bool numpy array, True = observed (:func:`lib.measurements.check_mask`)."""
    if mask is None:
        return np.ones((B, n), bool)
    m = check_mask(np.array(mask) if isinstance(mask, np.ndarray) else mask, n, B)
    return np.broadcast_to(m.cpu().numpy(), (B, n))


def _ranks(W: np.ndarray, rows: np.ndarray, zero: np.ndarray | None = None) -> np.ndarray:
    """rank W[rows_s] for every signal s (rows: (B, n) bool), batched; with ``zero`` (B, k)
    bool, the unit rows e_i of the coordinates pinned at their bound x_i = 0 are added."""
    A = torch.from_numpy(W)[None] * torch.from_numpy(np.ascontiguousarray(rows))[..., None]
    if zero is not None:
        A = torch.cat([A, torch.diag_embed(torch.from_numpy(zero).to(A.dtype))], 1)
    return torch.linalg.matrix_rank(A).numpy()


def _act(t: np.ndarray, slope: float) -> np.ndarray:
    return np.where(t >= 0, t, slope * t)


def _statuses(failure, rank, fit, dims_in, tol) -> list[str]:
    out = []
    for s, f in enumerate(failure):
        if f:
            kind = f.split(": ", 1)[1]
            out.append(
                "infeasible"
                if kind.startswith("infeasible")
                else "budget"
                if kind == "max_steps"
                else "solver_failure"
            )
        elif (rank[s] < dims_in).any():
            out.append("not_unique")
        elif fit[s] <= tol:
            out.append("exact")
        else:
            out.append("within_noise")
    return out


def _fit(Ws, bs, slope, z, Y, obs) -> np.ndarray:
    """Relative l_inf fit of G(z) to Y over the observed entries, per signal (float64)."""
    x = z
    for W, b in zip(Ws, bs, strict=True):  # P2's nets: the activation at every layer
        x = _act(x @ W.T + b, slope)
    r = np.where(obs, np.abs(x - Y), 0.0).max(1)
    return r / (1 + np.abs(np.where(obs, Y, 0.0)).max(1))


def _check_schedule(eps0, alpha, max_steps) -> tuple[float, float, int]:
    eps0 = check_positive("eps0", eps0)
    alpha = check_positive("alpha", alpha)
    if not alpha > 1:
        raise ValueError(f"alpha={alpha!r}: the threshold's growth factor must be > 1 (P2: 1.2)")
    return eps0, alpha, check_count("max_steps", max_steps, minimum=1)


class LayerwiseLP:
    """P2's layer-wise LP inversion of a whole generator, built once and reused.

    One :class:`LayerLP` per weight matrix W_i is built at construction (the expensive part:
    the LP's constraint matrix, or cvxpy's canonicalisation); :meth:`invert` then solves every
    signal's layers backwards, from the output layer W_L down to W_0, re-using those problems.
    The unknowns of every layer but the first are hidden-layer values, outputs of a ReLU: their
    LPs carry the constraint x_i >= 0 (as P2's own code does); the latent z is free.

    Args:
        G: a generator with ReLU at every layer (P2 Sec. 2) or LeakyReLU at every layer.
        method: 'linf' (Alg. 1 / Remark 1), 'l1' (Alg. 2 / Remark 2), 'relax' (Alg. 3 / Eq. 9).
        backend: 'highs' (highspy, warm-started; signal by signal), 'cvxpy' (DPP Parameters,
            HiGHS) or 'ipm' ('linf' on ReLU nets: all signals' LPs of a layer solved together
            by a batched interior-point method on G's device with an exact vertex check, see
            :meth:`LayerLP.solve_batch`; the fastest when inverting many signals).
        eps0, alpha, max_steps: the epsilon schedule eps_t = eps0 alpha^t (P2: alpha = 1.2).
        patience: stopping rule of Alg. 2 ('l1' only), see :class:`LayerLP` (1 = P2's rule).
        form: 'primal', 'dual' or None (each layer's default), see :class:`LayerLP`.
    """

    def __init__(
        self,
        G: Generator,
        method: str = "linf",
        *,
        backend: str = "highs",
        eps0: float = 1e-10,
        alpha: float = 1.2,
        max_steps: int = 400,
        patience: int = 1,
        form: str | None = None,
    ) -> None:
        if method not in LP_METHODS:
            raise ValueError(f"method={method!r}: choose one of {LP_METHODS}")
        self.slope = _check_generator(G, method, f"LayerwiseLP(method={method!r})")
        if backend not in BACKENDS + ("ipm",):
            raise ValueError(f"backend={backend!r}: choose one of {BACKENDS + ('ipm',)}")
        if backend == "ipm" and (method != "linf" or self.slope != 0):
            raise ValueError(
                f"backend='ipm' solves the l_inf LP of a ReLU network only (Alg. 1); "
                f"got method={method!r} on a {G.hidden} network: use backend='highs'"
            )
        patience = check_count("patience", patience, minimum=1)
        if patience != 1 and method != "l1":
            raise ValueError(f"patience={patience}: a stopping rule of method='l1' (Alg. 2) only")
        if form not in (None, "primal", "dual"):
            raise ValueError(f"form={form!r}: 'primal', 'dual' or None")
        if form == "dual" and backend != "highs":
            raise ValueError(f"form='dual' needs backend='highs', got backend={backend!r}")
        self.eps0, self.alpha, self.max_steps = _check_schedule(eps0, alpha, max_steps)
        self.G, self.method, self.backend = G, method, backend
        self.patience = patience
        self.layers = [
            LayerLP(
                W,
                G.biases[i],
                method=method,
                slope=self.slope,
                backend=backend,
                patience=patience,
                form=form,
                nonneg=i > 0 and self.slope == 0,  # x_i = ReLU(...) >= 0; z is free
            )
            for i, W in enumerate(G.weights)
        ]

    def invert(self, y: torch.Tensor, mask: torch.Tensor | np.ndarray | None = None) -> LPResult:
        """Invert y (B, n) (or (n,)); ``mask`` (n,) or (B, n), bool, True = observed pixel.

        Returns an :class:`LPResult` (status per signal, rank and residual per layer).
        """
        G = self.G
        y, mask = check_observation(G, y, mask)
        B, L1 = y.shape[0], len(self.layers)
        obs_out = _check_mask(mask, B, G.dims[-1])
        Y = _np(y)
        out = {k: np.full((B, L1), np.nan) for k in ("eps", "objective")}
        cnt = {k: np.zeros((B, L1), int) for k in ("steps", "solves", "iterations")}
        xs = [np.full((B, d), np.nan) for d in G.dims[:-1]]  # z, x_1, ..., x_L
        failure = [""] * B
        kw = dict(eps0=self.eps0, alpha=self.alpha, max_steps=self.max_steps)

        def record(s: int, i: int, r: LayerSolve) -> bool:
            out["eps"][s, i], out["objective"][s, i] = r.eps, r.objective
            cnt["steps"][s, i], cnt["solves"][s, i] = r.steps, r.solves
            cnt["iterations"][s, i] = r.iterations
            if r.z is None:
                failure[s] = f"layer {i}: {r.status}"
                return False
            xs[i][s] = r.z
            return True

        t0 = time.perf_counter()
        if self.backend == "ipm":  # layer by layer, every signal's LPs solved together
            alive, cur = np.arange(B), Y
            for i in range(L1 - 1, -1, -1):
                if len(alive) == 0:
                    break
                obs = obs_out[alive] if i == L1 - 1 else None
                rs = self.layers[i].solve_batch(cur[alive], obs=obs, **kw)
                alive = np.array(
                    [s for s, r in zip(alive, rs, strict=True) if record(s, i, r)], int
                )
                cur = xs[i]
        else:  # signal by signal, each warm-starting from the previous one's basis
            for s in range(B):
                cur = Y[s]
                for i in range(L1 - 1, -1, -1):
                    obs = obs_out[s] if i == L1 - 1 else None
                    if not record(s, i, self.layers[i].solve(cur, obs=obs, **kw)):
                        break
                    cur = xs[i][s]
        failed = np.array([bool(f) for f in failure])
        for a in xs:
            a[failed] = np.nan
        # per layer: rank of the active rows (P2's condition) and the LP's residual
        rank = np.full((B, L1), -1)
        rank_active = np.full((B, L1), -1)
        residual = np.full((B, L1), np.nan)
        ok = ~failed
        targets = xs[1:] + [Y]
        for i, lay in enumerate(self.layers):
            obs = obs_out if i == L1 - 1 else np.ones_like(targets[i], bool)
            if ok.any():
                tgt = targets[i][ok]
                on = obs[ok] & (tgt > out["eps"][ok, i][:, None])
                rank[ok, i] = _ranks(lay.W, on)
                if lay.nonneg:
                    v = xs[i][ok]
                    zero = v <= 1e-9 * (1 + np.abs(v).max(1, keepdims=True))
                    rank_active[ok, i] = _ranks(lay.W, on, zero)
                else:
                    rank_active[ok, i] = rank[ok, i]
                r = _act(xs[i][ok] @ lay.W.T + lay.b, self.slope) - tgt
                residual[ok, i] = np.where(obs[ok], np.abs(r), 0.0).max(1)
        fit = np.full(B, np.nan)
        if ok.any():
            Ws, bs = [lay.W for lay in self.layers], [lay.b for lay in self.layers]
            fit[ok] = _fit(Ws, bs, self.slope, xs[0][ok], Y[ok], obs_out[ok])
        tol = max(EXACT_TOL, 1e3 * torch.finfo(G.dtype).eps)
        dims_in = np.array([lay.k for lay in self.layers])
        status = _statuses(failure, rank_active, fit, dims_in, tol)
        seconds = time.perf_counter() - t0
        to = lambda a: torch.as_tensor(a).to(device=G.device, dtype=G.dtype)  # noqa: E731
        return LPResult(
            z=to(xs[0]),
            layers=[to(a) for a in xs[1:]],
            status=status,
            iterations=torch.as_tensor(cnt["solves"].sum(1)),
            seconds=seconds,
            method=self.method,
            eps=out["eps"],
            objective=out["objective"],
            steps=cnt["steps"],
            solves=cnt["solves"],
            solver_iterations=cnt["iterations"],
            rank=rank,
            rank_active=rank_active,
            residual=residual,
            fit=fit,
            failure=failure,
        )


def invert_lp(
    G: Generator,
    y: torch.Tensor,
    method: str = "linf",
    *,
    mask: torch.Tensor | np.ndarray | None = None,
    backend: str = "highs",
    eps0: float = 1e-10,
    alpha: float = 1.2,
    max_steps: int = 400,
    patience: int = 1,
) -> LPResult:
    """One call: build :class:`LayerwiseLP` for G and invert y (P2 Alg. 1, 2 or 3, layer-wise).

    Build a :class:`LayerwiseLP` yourself to re-use the problems across calls.
    """
    inv = LayerwiseLP(
        G,
        method,
        backend=backend,
        eps0=eps0,
        alpha=alpha,
        max_steps=max_steps,
        patience=patience,
    )
    return inv.invert(y, mask)


# ------------------------------------------------------------------------ exact (noiseless)
def invert_layerwise(
    G: Generator,
    y: torch.Tensor,
    *,
    mask: torch.Tensor | np.ndarray | None = None,
    tol: float = 1e-9,
) -> LPResult:
    """Exact layer-wise inversion of a realizable network by linear equations (P2 Thm 3, Eq. 5).

    ReLU network (P2 Thm 3, proof of Lemma 1): for each layer, backwards, take the rows where the
    observed layer is positive (x_j > tol: the support S, where x_S = W_S z + b_S) and solve these
    linear equations; the solution is unique when W_S has full column rank k, which for Gaussian
    W with n = c0 k holds w.h.p. when c0 > 2 (it needs |S| >= k). A signal whose W_S is rank
    deficient gets status 'not_unique' (the preimage is not a point; the minimum-norm solution
    is kept as its estimate and the inversion goes on).

    LeakyReLU network (P2 Eq. 5): x = LeakyReLU(W z + b) is a bijection when W has full column
    rank; W z + b = LeakyReLU^{-1}(x), solved by least squares on all (observed) rows.

    All signals are solved together (batched pseudo-inverses, on G's device). ``iterations`` is
    0 (no LP); ``rank`` and ``residual`` per layer as in :class:`LPResult`; status 'exact' when
    G(z_hat) reproduces y, 'within_noise' when the equations are only fitted in the
    least-squares sense (noisy y), 'not_unique' as above.

    Args:
        G: ReLU-at-every-layer or LeakyReLU-at-every-layer generator; y: (B, n) = G(z).
        mask: observed output pixels, bool (n,) or (B, n); only the output layer is masked.
        tol: support threshold for ReLU layers, relative to ||x||_inf of the layer (an
            estimated layer carries rounding errors ~1e-15 where the true layer is 0).
    """
    slope = _check_generator(G, "equations", "invert_layerwise")
    tol = check_positive("tol", tol, allow_zero=True)
    method = "equations" if slope == 0 else "leaky_inverse"
    y, mask = check_observation(G, y, mask)
    B, L1 = y.shape[0], len(G.weights)
    n_out = G.dims[-1]
    obs_out = (
        torch.ones(B, n_out, dtype=torch.bool, device=G.device)
        if mask is None
        else mask.expand(B, n_out)
    )
    xs: list[torch.Tensor] = [torch.empty(0)] * L1
    rank = np.zeros((B, L1), int)
    residual = np.zeros((B, L1))
    t0 = time.perf_counter()
    cur = y.to(torch.float64)
    for i in range(L1 - 1, -1, -1):
        W, b = G.weights[i].to(torch.float64), G.bias(i).to(torch.float64)
        obs = obs_out if i == L1 - 1 else torch.ones_like(cur, dtype=torch.bool)
        if slope == 0:
            rows = obs & (cur > tol * cur.abs().amax(1, keepdim=True))
            rhs = cur - b
        else:
            rows, rhs = obs, torch.where(cur >= 0, cur, cur / slope) - b
        A = W[None] * rows[..., None].to(W.dtype)  # (B, n, k): the rows of S, others zeroed
        z = (torch.linalg.pinv(A) @ (rhs * rows)[..., None])[..., 0]
        rank[:, i] = torch.linalg.matrix_rank(A).cpu().numpy()
        t = z @ W.T + b
        r = torch.where(t >= 0, t, slope * t) - cur
        residual[:, i] = torch.where(obs, r.abs(), 0.0).amax(1).cpu().numpy()
        xs[i] = cur = z
    Ws = [_np(W) for W in G.weights]
    bs = [_np(G.bias(i)) for i in range(L1)]
    Y, obs_np = _np(y), obs_out.cpu().numpy()
    fit = _fit(Ws, bs, slope, _np(xs[0]), Y, obs_np)
    dims_in = np.array(G.dims[:-1])
    tol_fit = max(EXACT_TOL, 1e3 * torch.finfo(G.dtype).eps)
    status = _statuses([""] * B, rank, fit, dims_in, tol_fit)
    seconds = time.perf_counter() - t0
    zero = np.zeros((B, L1), int)
    return LPResult(
        z=xs[0].to(G.dtype),
        layers=[a.to(G.dtype) for a in xs[1:]],
        status=status,
        iterations=torch.zeros(B, dtype=torch.long),
        seconds=seconds,
        method=method,
        eps=np.full((B, L1), np.nan),
        objective=np.full((B, L1), np.nan),
        steps=zero,
        solves=zero.copy(),
        solver_iterations=zero.copy(),
        rank=rank,
        rank_active=rank.copy(),
        residual=residual,
        fit=fit,
        failure=[""] * B,
    )


# ------------------------------------------------------------------------ sensing: PGD
@dataclass
class PGDResult(InversionResult):
    """Projected gradient descent with the LP inversion as projection (:func:`projected_gd`).

    ``iterations``: PGD steps taken per signal; ``layers``: the hidden layers of G(z_hat);
    ``status`` 'converged' (the image stopped changing: ||x_t - x_{t-1}||_inf <= tol),
    'budget', or 'solver_failure' (no projection ever succeeded: z is NaN). Extra: ``x`` (B, n)
    the final image G(z_hat); ``lp_statuses`` the last projection's status per signal.
    """

    x: torch.Tensor | None = None
    lp_statuses: list[str] | None = None


def projected_gd(
    G: Generator,
    y: torch.Tensor,
    mask: torch.Tensor,
    *,
    inverter: LayerwiseLP | None = None,
    eta: float = 1.0,
    steps: int = 10,
    tol: float = 1e-6,
) -> PGDResult:
    """Recover x = G(z) from the observed pixels y = A x (+ noise), A the selection of the
    pixels where ``mask`` is True, by projected gradient descent (P2 Sec. 5.2, Figs. 4 and 6,
    after Shah and Hegde's PGD with the projection step done by P2's LP inversion):

        x_0 = A^T y;   x_{t+1} = G(invert(x_t - eta A^T (A x_t - y))),

    where ``invert`` is P2's layer-wise LP (default: the l_inf LP, Alg. 1, batched). With
    eta = 1 the gradient step puts the observed pixels back and keeps the current estimate on
    the hidden ones. A signal whose projection fails (NaN z) keeps its previous iterate.

    Args:
        G: ReLU generator (P2's networks); y: (B, n) observations (hidden entries ignored);
        mask: bool (n,) or (B, n), True = observed; inverter: a :class:`LayerwiseLP` of G
        (default: ``LayerwiseLP(G, "linf", backend="ipm")``); eta: step size > 0;
        steps: PGD iterations; tol: stop once no image changes by more than tol (l_inf).
    """
    G = require_dense(G, "projected_gd")
    y, mask = check_observation(G, y, mask)
    if mask is None:
        raise ValueError("mask: projected_gd needs the observed pixels (True = observed)")
    eta = check_positive("eta", eta)
    steps = check_count("steps", steps, minimum=1)
    tol = check_positive("tol", tol, allow_zero=True)
    inv = inverter if inverter is not None else LayerwiseLP(G, "linf", backend="ipm")
    if inv.G is not G:
        raise ValueError("inverter: a LayerwiseLP built for this G")
    B = y.shape[0]
    m = mask.expand_as(y).to(y.dtype)
    x = m * y
    z = torch.full((B, G.dims[0]), torch.nan, dtype=G.dtype, device=G.device)
    its = torch.zeros(B, dtype=torch.long)
    active = torch.ones(B, dtype=torch.bool, device=G.device)
    lp_status = ["solver_failure"] * B
    t0 = time.perf_counter()
    for _ in range(steps):
        idx = active.nonzero()[:, 0]
        if len(idx) == 0:
            break
        xs = x[idx] - eta * m[idx] * (x[idx] - y[idx])
        r = inv.invert(xs)
        good = torch.isfinite(r.z).all(1)
        zi = torch.where(good[:, None], r.z, z[idx])
        x_new = torch.where(torch.isfinite(zi).all(1)[:, None], G(zi.nan_to_num()), x[idx])
        change = (x_new - x[idx]).abs().amax(1)
        z[idx], x[idx] = zi, x_new
        its[idx.cpu()] += 1
        for j, s in enumerate(idx.tolist()):
            lp_status[s] = r.status[j]
        active[idx[change <= tol]] = False
    seconds = time.perf_counter() - t0
    failed = ~torch.isfinite(z).all(1)
    status = [
        "solver_failure" if f else "budget" if a else "converged"
        for f, a in zip(failed.tolist(), active.tolist(), strict=True)
    ]
    with torch.no_grad():
        layers = G.forward(z.nan_to_num()).x
    return PGDResult(
        z=z,
        layers=layers,
        status=status,
        iterations=its,
        seconds=seconds,
        method="pgd_" + inv.method,
        x=x,
        lp_statuses=lp_status,
    )


# ------------------------------------------------------------------------ theory helpers
def lemma1_bound(n: int, k: int) -> float:
    """P2 Lemma 1 (Hoeffding): P(X <= k) < exp(-2 (n/2 - k)^2 / n), X ~ Bin(n, 1/2) the number
    of active rows of ReLU(W z); meaningful for n > 2k (else returns 1)."""
    if n <= 2 * k:
        return 1.0
    return float(math.exp(-2 * (n / 2 - k) ** 2 / n))


def c_inf(W: torch.Tensor | np.ndarray) -> float:
    """The constant of P2 Assumption 2 for one matrix: min_{||a||_inf = 1} ||W a||_inf, exactly.

    By symmetry (a -> -a) the minimum is attained with some a_i = 1; for each i this is the LP
    min t s.t. -t <= W a <= t, a_i = 1, -1 <= a <= 1; the answer is the smallest of the k values.
    """
    W = _np(W)
    m, k = W.shape
    A = np.hstack([W, -np.ones((m, 1))])
    lp = BoundsLP(np.vstack([A, np.hstack([W, np.ones((m, 1))])]))
    cost = np.zeros(k + 1)
    cost[-1] = 1.0
    lp.set(
        c=cost,
        row_hi=np.r_[np.zeros(m), np.full(m, np.inf)],
        row_lo=np.r_[np.full(m, -np.inf), np.zeros(m)],
    )
    best = np.inf
    for i in range(k):
        lo, hi = np.r_[-np.ones(k), 0.0], np.r_[np.ones(k), np.inf]
        lo[i] = hi[i] = 1.0
        lp.set(col_lo=lo, col_hi=hi)
        v, status, _ = lp.solve()
        if v is None:
            raise RuntimeError(f"c_inf: LP {i} {status}")
        best = min(best, float(v[-1]))
    return best


def c_1_bounds(W: torch.Tensor | np.ndarray) -> tuple[float, float]:
    """Bounds on the constant of P2 Assumption 3, c_1 = min_{||a||_1 = 1} ||W a||_1.

    Lower: ||W a||_1 >= ||W a||_2 >= sigma_min(W) ||a||_2 >= sigma_min(W) ||a||_1 / sqrt(k).
    Upper: the smallest ||W a||_1 / ||a||_1 over the columns a = e_i and the right singular
    vector of sigma_min. (Computing c_1 exactly is a minimum over 2^k orthants.)
    """
    W = _np(W)
    k = W.shape[1]
    _, sv, Vt = np.linalg.svd(W, full_matrices=False)
    lower = sv[-1] / math.sqrt(k)
    v = Vt[-1]
    upper = min(np.abs(W).sum(0).min(), np.abs(W @ v).sum() / np.abs(v).sum())
    return float(lower), float(upper)
