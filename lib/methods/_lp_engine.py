"""The fast machinery behind :mod:`lib.methods.lp` (P2's layer-wise LPs): one LP model per layer,
re-solved for every signal and threshold.

:mod:`lib.methods.lp` holds what a reader of P2 looks for: the algorithms as printed
(:func:`lib.methods.lp.alg1_reference`, :func:`lib.methods.lp.alg3_reference`), the whole-network
inversion (:class:`lib.methods.lp.LayerwiseLP`, :func:`lib.methods.lp.invert_lp`) and its result
type. This module holds how it is made fast, tested to return the references' answers
(tests/test_lp.py):

* :class:`BoundsLP`: every LP of P2 as min c^T v s.t. bounds on A v and v, with A fixed per
  layer; HiGHS (highspy) warm starts, the dual forms, basis reuse;
* :class:`LayerLP`: Alg. 1-3 (and the LeakyReLU Remarks 1-2, Eq. 9) for one layer, with the
  bracketing search over the eps grid, skipped identical LPs, and the batched interior point of
  :mod:`lib.methods._ipm` for many signals at once.

Book: the appendix page "Implementation notes: P2's linear programs".
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

import highspy
import numpy as np
import scipy.linalg
import torch

from lib.core.checks import check_count
from lib.core.observation import check_mask
from lib.methods._ipm import BatchLinfLP

LP_METHODS = ("linf", "l1", "relax")
BACKENDS = ("highs", "ipm")  # of LayerLP, LayerwiseLP: the simplex or the batched interior point
# "no bound" for HiGHS in Alg. 3's LPs: finite, so that switching a row on or off keeps the basis
# valid (infinite bounds there: no faster, answers moved in the last digits). The primal l_inf and
# l_1 LPs (LeakyReLU) pass inf (BoundsLP's big): HiGHS then takes a row switched off as free, 4.7x
# faster on the noiseless LeakyReLU nets of P2 Fig. 2 (the same answers, checked per signal)
BIG = 1e6


# ------------------------------------------------------------------------ the LP in bounds form
class BoundsLP:
    """min c^T v  s.t.  row_lo <= A v <= row_hi,  col_lo <= v <= col_hi, with A fixed.

    Every LP of P2 (Alg. 1-3, Remarks 1-2, Eqs. 8-9) is of this form with a constraint matrix
    that depends only on the layer's weights; a new signal, a new threshold epsilon or a new
    mask only changes the cost and the bounds. So the problem is built once per layer and
    re-solved:

    the model is passed to HiGHS (highspy) once; each solve changes costs/bounds in place and
    HiGHS warm-starts from the previous optimal basis (dual simplex). The tests check the
    answers against P2's algorithms as printed (``lib.methods.lp.alg1_reference`` and its
    siblings, one scipy LP per grid point). ``solve`` returns (v, status, iterations):
    status is 'optimal', 'infeasible', 'unbounded' or a failure text, and v is None unless
    optimal. Infinite bounds are given as +-inf.

    ``form='dual'`` hands HiGHS the LP's dual instead, for problems with many rows
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
    among them would change. ``big``: HiGHS's stand-in for an infinite bound (see BIG).
    """

    def __init__(
        self,
        A: np.ndarray,
        tol: float = 1e-10,
        form: str = "primal",
        sides: tuple[np.ndarray, np.ndarray] | None = None,
        reuse_basis: bool = False,
        big: float = BIG,
    ) -> None:
        if form not in ("primal", "dual"):
            raise ValueError(f"form={form!r}: 'primal' or 'dual'")
        self.form, self.big = form, big
        self.cold_restarts = 0  # HiGHS solves repeated from scratch after an error (see solve)
        self.tol = tol
        self.reuse_basis = reuse_basis and form == "primal"
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
        self.c = np.zeros(self.nv)
        self.row_lo = np.full(self.m, -np.inf)
        self.row_hi = np.full(self.m, np.inf)
        self.col_lo = np.full(self.nv, -np.inf)
        self.col_hi = np.full(self.nv, np.inf)
        self._build()

    # ---- HiGHS
    def _build(self) -> None:
        """A fresh HiGHS model of the LP with the current cost and bounds, or in the dual form
        of its dual, with every row bound switched off."""
        lp = highspy.HighsLp()
        if self.form == "dual":
            lo_used, hi_used = self.sides
            # one row per primal column; columns [p (used lower), q (used upper)]
            M = np.hstack([self.A[lo_used].T, -self.A[hi_used].T])
            lp.sense_ = highspy.ObjSense.kMaximize
            lp.col_cost_ = lp.col_lower_ = lp.col_upper_ = np.zeros(M.shape[1])
            lp.row_lower_ = lp.row_upper_ = np.zeros(self.nv)
        else:
            M = self.A
            lp.col_cost_ = self.c
            lp.col_lower_, lp.col_upper_ = self._inf(self.col_lo), self._inf(self.col_hi)
            lp.row_lower_, lp.row_upper_ = self._inf(self.row_lo), self._inf(self.row_hi)
        lp.num_row_, lp.num_col_ = M.shape
        nz = M != 0  # M passed row-wise
        lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
        lp.a_matrix_.start_ = np.r_[0, np.cumsum(nz.sum(1))].astype(np.int32)
        lp.a_matrix_.index_ = np.nonzero(nz)[1].astype(np.int32)
        lp.a_matrix_.value_ = M[nz]
        self.h = h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        h.setOptionValue("presolve", "off")  # keep the basis between solves (warm start)
        h.setOptionValue("threads", 1)  # small LPs: a thread pool only costs here
        h.setOptionValue("parallel", "off")
        h.setOptionValue("primal_feasibility_tolerance", self.tol)
        h.setOptionValue("dual_feasibility_tolerance", self.tol)
        h.passModel(lp)
        self._rows = np.arange(M.shape[0], dtype=np.int32)
        self._cols = np.arange(M.shape[1], dtype=np.int32)

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

    def _inf(self, a: np.ndarray) -> np.ndarray:
        return np.clip(a, -self.big, self.big)

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
            if np.array_equal(val, getattr(self, name)):
                continue  # the solver already holds it
            setattr(self, name, val.copy())
            if not name.startswith("row"):
                self._basis = None  # the basis's optimality depends on the cost, column bounds
            if self.form == "dual":
                self._set_dual(name)
            elif name == "c":
                self.h.changeColsCost(self.nv, self._cols, val)
            elif name.startswith("row"):
                self.h.changeRowsBounds(
                    self.m, self._rows, self._inf(self.row_lo), self._inf(self.row_hi)
                )
            else:
                self.h.changeColsBounds(
                    self.nv, self._cols, self._inf(self.col_lo), self._inf(self.col_hi)
                )

    def reset(self) -> None:
        """Drop the warm state (a fresh HiGHS model with the current cost and bounds, no kept
        basis for :meth:`_reuse_basis`): the next solve is the one a new object would make.
        (HiGHS's ``clearSolver`` alone leaves state that moves the answer by ~1e-13.)"""
        self._basis = None
        self._build()
        if self.form == "dual":
            self._set_dual("c")
            self._set_dual("row_lo")

    def solve(self) -> tuple[np.ndarray | None, str, int]:
        """Solve; returns (v or None, status, simplex iterations)."""
        h = self.h
        if self._basis is not None:
            v = self._reuse_basis()
            if v is not None:
                self.basis_reuses += 1
                return v, "optimal", 0
        MS = highspy.HighsModelStatus
        if h.run() == highspy.HighsStatus.kError or h.getModelStatus() != MS.kOptimal:
            # HiGHS occasionally errors out of a warm start, or ends it without an optimum that
            # the same LP has from scratch (seen on noiseless data, whose LP costs are ~1e-15,
            # and at noise 1e-6): solve the same LP once more from scratch, and count it
            h.clearSolver()
            h.run()
            self.cold_restarts += 1
        st = h.getModelStatus()
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


# ------------------------------------------------------------------------ one layer
HEAD = 8  # answers a batched search wants before it runs a whole batch (solve_batch)
WINDOW = 16  # answers whose median offset places the next first probe (_first_probe)


@dataclass
class LayerSolve:
    """One layer's inversion for one signal: the estimate and how it was obtained.

    Attributes:
        z: the layer's input estimate (length k), or None when no LP was solved to optimality.
        status: 'optimal', or why not ('infeasible', 'max_iter', 'failed: ...').
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
      bisection (see :meth:`_linf_search`), 'scan' walks the grid; both return the same.
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
        # Alg. 1's recent answers, as offsets from each signal's reference grid index (its
        # noise floor or the layer above's answer, see :meth:`_first_probe`)
        self._offsets = deque(maxlen=WINDOW)  # of the last WINDOW answers, from any calls
        self._last_call: list[int] = []  # of the answers of the most recent call
        if not 0 <= slope < 1:
            raise ValueError(f"slope={slope}: 0 (ReLU) or a LeakyReLU slope c in (0, 1)")
        if backend not in BACKENDS:
            raise ValueError(f"backend={backend!r}: choose one of {BACKENDS}")
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
        self._z_lo = 0.0 if nonneg else -np.inf  # the lower bound of z
        self.method, self.c, self.backend = method, float(slope), backend
        self.ipm, self.fallbacks = None, 0
        if backend == "ipm":
            if method != "linf" or slope != 0 or search != "bisect":
                raise ValueError(
                    "backend='ipm' solves the ReLU l_inf LP (Alg. 1, search='bisect') only"
                )
            Wt = W_in if isinstance(W_in, torch.Tensor) else torch.from_numpy(self.W)
            self.ipm = BatchLinfLP(Wt, nonneg=self.nonneg)  # on the generator's device
        n, k = self.n, self.k
        leaky = self.c > 0
        if method == "relax":
            A = W
            sides = (np.full(n, leaky), np.ones(n, bool))  # ReLU: upper bounds only
        else:
            # the common delta or one slack per row
            S = np.ones((n, 1)) if method == "linf" else np.eye(n)
            blocks = [np.hstack([W, -S]), np.hstack([W, S])]  # U1: Wz - s, L1: Wz + s
            if leaky:
                blocks += [np.hstack([self.c * W, -S]), np.hstack([self.c * W, S])]  # U2, L2
            A = np.vstack(blocks)
            upper = np.tile(np.r_[np.ones(n, bool), np.zeros(n, bool)], len(blocks) // 2)
            sides = (~upper, upper)  # U rows carry upper bounds only, L rows lower bounds
        if form is None:  # few columns, many rows: HiGHS is faster on the dual
            form = "dual" if method in ("linf", "l1") and not leaky else "primal"
        if form not in ("primal", "dual"):
            raise ValueError(f"form={form!r}: 'primal', 'dual' or None")
        self.form = form
        self.helper = None  # Alg. 3: LP for the smallest feasible eps (built on first use)
        if method == "l1" and form == "dual":
            if leaky:
                raise ValueError("form='dual' of the l1 LP: ReLU layers only")
            # min a^T lam s.t. W^T lam = 0, lam_j in [-1, 1] (on), [0, 1] (off), 0 (unobserved)
            # (z >= 0, a hidden layer: W^T lam >= 0 instead of = 0, z its multiplier)
            self.lp = BoundsLP(W.T.copy(), tol=tol)
            self.lp.set(row_lo=np.zeros(k), row_hi=np.full(k, np.inf if nonneg else 0.0))
            return
        relax = method == "relax"
        big = BIG if relax else np.inf
        self.lp = BoundsLP(A, tol=tol, form=form, sides=sides, reuse_basis=relax, big=big)
        # z >= 0 where a hidden layer's values are ReLU outputs; delta >= 0, e_j >= 0
        col_lo = np.r_[np.full(k, self._z_lo), np.zeros(A.shape[1] - k)]
        self.lp.set(col_lo=col_lo, c=np.r_[np.zeros(k), np.ones(A.shape[1] - k)])

    def reset(self) -> None:
        """Forget every earlier call: the recent answers that place the search's first probe
        and the solvers' warm bases. A solve after ``reset`` returns what the first solve after
        construction would (an LP with several optimal vertices returns the vertex a cold start
        reaches), so that a call's answer never depends on what was solved before it."""
        self._offsets.clear()
        self._last_call = []
        for lp in (self.lp, self.helper):
            if lp is not None:
                lp.reset()

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
        return float(np.abs(_act(self.W @ z + self.b, self.c) - x)[obs].sum())

    def solve(
        self,
        x: np.ndarray,
        *,
        eps0: float = 1e-10,
        alpha: float = 1.2,
        max_iter: int = 400,
        obs: np.ndarray | None = None,
        hint: int | None = None,
    ) -> LayerSolve:
        """Run the layer's algorithm (Alg. 1, 2 or 3) for one observed layer x (length n).

        Args:
            x: the layer's (noisy) output. eps0: the initial threshold; alpha > 1 its growth
            factor (P2 uses 1.2); max_iter: cap on t (status 'max_iter' when reached).
            obs: boolean mask of observed rows (None: all).
            hint: (Alg. 1, ReLU) the grid index t of the layer above's answer for this signal
                (None or -1: none), where the search places its first probe from
                (:meth:`_first_probe`); it changes how many LPs are solved, never the answer.
        """
        x = self._check_x(x, eps0, alpha, batch=False)
        obs = np.ones(self.n, bool) if obs is None else np.asarray(obs, bool)
        if self.method == "linf" and self.c == 0 and self.search == "bisect":
            hints = None if hint is None else [hint]
            kw = dict(eps0=eps0, alpha=alpha, max_iter=max_iter)
            return self._solve_batch(x[None], obs[None], hints, **kw)[0]
        run = {"linf": self._linf, "l1": self._l1, "relax": self._relax}[self.method]
        return run(x, eps0, alpha, max_iter, obs)

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
        max_iter: int = 400,
        obs: np.ndarray | None = None,
        hint: np.ndarray | list[int] | None = None,
    ) -> list[LayerSolve]:
        """Alg. 1 (ReLU) for B observed layers X (B, n) at once (``backend='ipm'``).

        Every signal runs its own bracketing search (:meth:`_linf_search`, the same search as
        one signal at a time); in each round, the LPs all searches ask for are solved together
        by the batched interior-point method (:class:`lib.methods._ipm.BatchLinfLP`), whose answers
        are exact optimal vertices checked for optimality. An LP whose check fails is solved by the
        simplex (HiGHS) instead and counted in ``self.fallbacks``. Returns one
        :class:`LayerSolve` per signal; ``iterations`` counts interior-point iterations (and
        simplex iterations of the fallbacks).

        Every search starts at its own first probe (:meth:`_first_probe`: the signal's
        reference grid index, ``hint`` or t_noise, plus a median offset). A batch takes the
        offsets of the layer's previous call only (an earlier call may have inverted other kind
        of data, e.g. the iterates of projected gradient descent); when that call gave fewer
        than ``HEAD`` = 8 answers, the batch solves one signal first (if there is no answer at
        all), then the next ones up to 8, and then the rest from the offsets of those.
        """
        if self.ipm is None:
            raise ValueError("solve_batch needs backend='ipm'")
        X = self._check_x(X, eps0, alpha, batch=True)
        return self._solve_batch(X, obs, hint, eps0=eps0, alpha=alpha, max_iter=max_iter)

    def _solve_batch(self, X, obs, hint, **kw) -> list[LayerSolve]:
        """:meth:`solve_batch` on a checked X; :meth:`solve` runs its one signal's search here
        too, by the simplex where there is no interior point (``backend='highs'``)."""
        B = len(X)
        obs = _check_mask(obs, B, self.n)
        hint = np.full(B, -1) if hint is None else np.asarray(hint, dtype=int).reshape(-1)
        if hint.shape != (B,):
            raise ValueError(f"hint: one grid index per signal ({B}), got shape {hint.shape}")
        ref = list(self._last_call) if B > 1 else list(self._offsets)
        head = max(min(B - 1, HEAD - len(ref)), 0)
        # too few answers to go by: a few signals first, to learn where the answers lie
        cuts = [0, 0 if ref else 1, head, B] if head else [0, B]
        results, new = [], []
        for lo, hi in zip(cuts[:-1], cuts[1:], strict=True):
            if hi > lo:
                rs, offs = self._batch(X[lo:hi], obs[lo:hi], hint[lo:hi], ref, **kw)
                results, new = results + rs, new + offs
                ref = new
        self._last_call = new
        self._offsets.extend(new)
        return results

    def _batch(self, X, obs, hint, ref, *, eps0, alpha, max_iter):
        """The searches of :meth:`solve_batch`, each from its first probe (:meth:`_first_probe`
        with the offsets ``ref``); ``hint`` (B,): the layer above's answers, -1 where there is
        none. Returns the results and the offsets of the answers found."""
        B = len(X)
        xs = [np.sort(X[s][obs[s]]) for s in range(B)]
        floors = [
            int(hint[s]) if hint[s] >= 0 else self._noise_floor(xs[s], eps0, alpha)
            for s in range(B)
        ]
        searches = [
            self._linf_search(eps0, alpha, max_iter, self._first_probe(f, max_iter, ref), v)
            for v, f in zip(xs, floors, strict=True)
        ]
        asks = {s: next(search) for s, search in enumerate(searches)}
        results: list[LayerSolve | None] = [None] * B
        A = X - self.b
        while asks:
            S = np.fromiter(asks, int, len(asks))
            eps = np.array([self._grid(eps0, alpha, asks[s]) for s in S])
            if self.ipm is not None:
                r = self.ipm.solve(
                    torch.from_numpy(A[S]),
                    torch.from_numpy(X[S] > eps[:, None]),  # the on rows
                    torch.from_numpy(np.ascontiguousarray(obs[S])),
                )
                # one copy to the host per round (the simplex and the search run there)
                rz, rd = r.z.cpu().numpy(), r.delta.cpu().numpy()
                rok, rit = r.ok.cpu().numpy(), r.iterations.cpu().numpy()
            for i, s in enumerate(S):
                if self.ipm is None:  # the simplex, one LP at a time
                    ans = self._solve_at(X[s], obs[s], float(eps[i]))
                elif rok[i]:
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
        offsets = [r.steps - f for r, f in zip(results, floors, strict=True) if r.z is not None]
        return results, offsets

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
        # x_j > eps flips at the first grid point >= x_j; with LeakyReLU, x_j <= -eps flips at
        # the first one > -x_j. Every such index is > t, and both are nondecreasing in the value:
        # the first change is that of the smallest value of each kind.
        up = vals[vals > eps]
        cands = [self._first_t_at_least(float(up.min()), eps0, alpha)] if len(up) else []
        neg = -vals[(vals < 0) & (-vals >= eps)] if self.c > 0 else vals[:0]
        if len(neg):
            v = float(neg.min())
            tt = self._first_t_at_least(v, eps0, alpha)
            cands.append(tt + 1 if self._grid(eps0, alpha, tt) == v else tt)
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
    def _linf(self, x, eps0, alpha, max_iter, obs) -> LayerSolve:
        """Alg. 1 by walking the grid (LeakyReLU, or ``search='scan'``)."""
        t, solves, iters = 0, 0, 0
        while t <= max_iter:
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

    def _interval(self, xs: np.ndarray, t: int, eps0: float, alpha: float) -> tuple[int, int]:
        """The grid indices [t_start, t_change) whose LP is the LP at t (ReLU).

        The rows' categories ('on': x_j > eps) change only when eps crosses an observed x_j
        (``xs``, sorted): grid points between two such values have the same on rows, hence the
        same LP without the cap. t_change is None when no x_j lies above eps_t."""
        eps = self._grid(eps0, alpha, t)
        i = int(np.searchsorted(xs, eps, side="right"))  # xs[:i] <= eps < xs[i:]
        t_start = self._first_t_at_least(float(xs[i - 1]), eps0, alpha) if i > 0 else 0
        t_change = self._first_t_at_least(float(xs[i]), eps0, alpha) if i < len(xs) else None
        return min(t_start, t), t_change

    def _noise_floor(self, xs: np.ndarray, eps0: float, alpha: float) -> int:
        """t_noise: the first grid point at or above the most negative observed x_j (0 if none).

        A ReLU layer's output is >= 0, so a negative x_j is noise on a zero (or nearly zero)
        entry; the positive noise on the other zero entries is about as large, and those rows
        stay two-sided (and the LP infeasible) until eps passes it. So Alg. 1's answer sits a
        few grid points from t_noise at any noise level (on the trained MNIST net, 5-95 % of
        answers within 2 grid points of t_noise + their median offset, for Gaussian and uniform
        noise from 1e-3 to 1e-1). A hidden layer's estimate is >= 0: there t_noise = 0."""
        return self._first_t_at_least(float(-xs[0]), eps0, alpha) if len(xs) and xs[0] < 0 else 0

    def _first_probe(self, floor: int, max_iter: int, offsets) -> int:
        """Where a search starts: the signal's reference grid index ``floor`` plus the median
        of ``offsets``, answers' distances from their references (one signal at a time: of the
        layer's last ``WINDOW`` answers; ``floor`` alone before any).

        The reference is the layer above's answer when the caller gives it (``hint``: a hidden
        layer's estimate carries the noise the layer above fitted; on the trained MNIST net its
        answer sits 2-3 grid points below the output layer's at every noise level), else t_noise
        (:meth:`_noise_floor`). So the first probe follows a change of noise level at once."""
        off = sorted(offsets)[(len(offsets) - 1) // 2] if len(offsets) else 0
        return int(min(max(floor + off, 0), max_iter))

    def _linf_search(self, eps0, alpha, max_iter, t, xs):
        """Alg. 1 for ReLU as a bracketing search over the grid index t: same output as the loop.

        A generator: it yields the next grid index t to solve, is sent the LP's result
        (v, status, iterations) at eps_t, and returns the :class:`LayerSolve`. So one search
        runs one LP at a time (:meth:`solve`) or many searches run side by side, one LP
        per signal per round, solved together (:meth:`solve_batch`). ``xs``: the observed x_j,
        sorted.

        For ReLU, raising eps moves rows from 'on' (two-sided) to 'off' (one-sided): the
        feasible set only grows, so delta*(eps) is non-increasing while eps grows, and
        "delta*(eps_t) <= eps_t" is monotone in t. Alg. 1 returns the first feasible t. Every
        solved LP narrows the bracket (lo infeasible, hi feasible):

        * monotonicity: infeasible at t (delta*(eps_t) > eps_t): lo = t, and every t' with
          eps_t' >= delta*(eps_t) is feasible (delta* can only have dropped); feasible at t:
          hi = t, and every t' with eps_t' < delta*(eps_t) is infeasible;
        * the same LP: grid points in t's interval (:meth:`_interval`, no x_j between them)
          pose the LP solved at t, so there it is feasible exactly where eps_t' >= delta*:
          an infeasible probe is infeasible up to min(t_delta, t_change) - 1, and, if t_delta
          lies in the interval, t_delta is feasible with the z just found (no LP to solve);
          a feasible probe is feasible down to max(t_start, t_delta), with that z.

        The first probe t is given (:meth:`_first_probe`: where the answer is expected). The
        next probes walk away from the bound just found in steps 1, 1, 2, 4, ... (the answer is
        most often next to the first probe), and bisect once the bracket is narrower than the
        step. On the trained 20-60-784 MNIST net with Gaussian noise (a = 0.01): about 2.3 LPs
        for the output layer, where bisection from the previous signal's answer took 3.9.
        """
        solves = iters = 0
        solved = set()
        # lo: largest t known infeasible; hi: smallest t known feasible, with its LP's solution
        # v_hi; cap: a t known feasible by monotonicity (its LP not solved yet)
        lo, hi, v_hi, cap = -1, None, None, None
        steps = iter((1, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512))
        for _ in range(4 * max_iter + 8):  # each pass probes a new t; a bound, not a limit
            eps = self._grid(eps0, alpha, t)
            if t in solved:  # pragma: no cover - cannot happen by the bracket's logic
                status = "failed: the grid search revisited a threshold"
                return LayerSolve(None, status, eps, np.nan, t, solves, iters)
            v, status, it = yield t
            solves, iters = solves + 1, iters + it
            if v is None:
                return LayerSolve(None, status, eps, np.nan, t, solves, iters)
            solved.add(t)
            delta = float(v[self.k])
            t_delta = self._first_t_at_least(delta, eps0, alpha)
            t_start, t_change = self._interval(xs, t, eps0, alpha)
            if t_change is None:
                t_change = 4 * max_iter + 8
            feasible = delta <= eps
            if feasible:
                lo = max(lo, t_delta - 1)
                f = max(t_start, t_delta, lo + 1)  # in [t_start, t], the LP at t: feasible
                if hi is None or f < hi:
                    hi, v_hi = f, v
            else:
                lo = max(lo, t, min(t_delta, t_change) - 1)
                if t_delta < t_change and (hi is None or t_delta < hi):
                    hi, v_hi = t_delta, v  # t_delta poses this LP, and delta* <= eps there
                # a cap at or below lo was "feasible for sure" but is not: delta* is only
                # monotone up to the solver's tolerance (noiseless data, delta* ~ 1e-10)
                cap = t_delta if cap is None or cap <= lo else min(cap, t_delta)
                if lo >= max_iter:
                    eps = self._grid(eps0, alpha, lo)
                    return LayerSolve(None, "max_steps", eps, np.nan, lo, solves, iters)
            if hi is not None and lo >= hi:  # pragma: no cover - hi rests on a solved LP
                lo = hi - 1
            if cap is not None and cap <= lo:
                cap = None
            upper = min(u for u in (hi, cap) if u is not None)
            if upper - lo > 1:
                step = next(steps, 1024)
                mid = (lo + upper) // 2
                t = max(mid, upper - step) if feasible else min(mid, lo + step)
            elif hi is not None and hi == upper:
                break
            else:
                t = upper  # feasible for sure: solve it for z
        else:  # pragma: no cover
            status = "failed: the grid search did not terminate"
            return LayerSolve(None, status, self._grid(eps0, alpha, t), np.nan, t, solves, iters)
        eps = self._grid(eps0, alpha, hi)
        if hi > max_iter:
            return LayerSolve(None, "max_steps", eps, np.nan, hi, solves, iters)
        return LayerSolve(v_hi[: self.k], "optimal", eps, float(v_hi[self.k]), hi, solves, iters)

    # ---- Alg. 2 / Remark 2
    def _l1(self, x, eps0, alpha, max_iter, obs) -> LayerSolve:
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
            if since >= self.patience or t_next is None or t_next > max_iter:
                return LayerSolve(best[0], "optimal", *best[2:], solves, iters)
            t = t_next

    # ---- Alg. 3 / Eq. 9
    def _relax_bounds(self, x, eps, obs):
        b, c = self.b, self.c
        hi = np.maximum(x + eps, 0.0) - b if c > 0 else x + eps - b
        lo = np.minimum(x - eps, 0.0) / c - b if c > 0 else np.full(self.n, -np.inf)
        return np.where(obs, lo, -np.inf), np.where(obs, hi, np.inf)

    def _relax(self, x, eps0, alpha, max_iter, obs) -> LayerSolve:
        weights = x if self.c > 0 else np.maximum(x, 0.0)
        self.lp.set(c=-(self.W.T @ np.where(obs, weights, 0.0)))
        solves, iters, t = 0, 0, 0
        if self.c == 0:  # smallest feasible eps: min s s.t. W z + b - x <= s (observed rows)
            if self.helper is None:
                self.helper = BoundsLP(np.c_[self.W, -np.ones(self.n)])
                col_lo = np.r_[np.full(self.k, self._z_lo), 0.0]
                self.helper.set(c=np.r_[np.zeros(self.k), 1.0], col_lo=col_lo)
            self.helper.set(row_hi=np.where(obs, x - self.b, np.inf))
            v, status, it = self.helper.solve()
            solves, iters = 1, it
            if v is None:
                return LayerSolve(None, status, eps0, np.nan, 0, solves, iters)
            t = self._first_t_at_least(float(v[-1]), eps0, alpha)
        prev = None
        while t <= max_iter:
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
            if prev is not None and t >= 2 and r >= prev[1]:  # paper's t > 2 (t from 1)
                return LayerSolve(prev[0], "optimal", *prev[2:], solves, iters)
            prev = (v, r, eps, -float(self.lp.c @ v), t)  # the objective of the max
            t += 1
        return LayerSolve(None, "max_steps", self._grid(eps0, alpha, t), np.nan, t, solves, iters)


def _act(t: np.ndarray, slope: float) -> np.ndarray:
    """The layer's activation: ReLU (slope 0) or LeakyReLU."""
    return np.where(t >= 0, t, slope * t)


def _np(t) -> np.ndarray:
    if isinstance(t, torch.Tensor):
        return t.detach().cpu().double().numpy()
    return np.asarray(t, dtype=float)


def _check_mask(mask, B: int, n: int) -> np.ndarray:
    """(B, n) bool numpy array, True = observed (:func:`lib.core.observation.check_mask`)."""
    if mask is None:
        return np.ones((B, n), bool)
    m = check_mask(np.array(mask) if isinstance(mask, np.ndarray) else mask, n, B)
    return np.broadcast_to(m.cpu().numpy(), (B, n))
