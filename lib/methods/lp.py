"""P2 (Lei et al. 2019): inverting a ReLU layer by linear programming.

A single layer x = ReLU(W z + b) is inverted exactly by the feasibility LP of P2 Eq. 4:

    w_i^T z + b_i  = x_i   for every i with x_i > 0   (the active rows, the support S)
    w_i^T z + b_i <= 0     for every i with x_i = 0   (the inactive rows, S^c)

Its solution set is a polytope; it is the single point z* exactly when the active rows W_S have
full column rank (P2 Lemma 1 shows this holds w.h.p. for Gaussian W with n >= 2.1 k).

HiGHS (through scipy's ``linprog``) solves it signal by signal. Solver status is carried per
signal and a signal whose LP is infeasible or failed gets NaN, never a silent number.

The layer-wise inversion of a whole network (P2 Alg. 1-3 applied backwards) is here in two
forms: P2's algorithms as printed (:func:`alg1_reference`, :func:`alg3_reference`,
:func:`invert_reference`: one LP per grid point, short, slow) and the inversion the book runs
(:class:`LayerwiseLP`, :func:`invert_lp`), whose speed machinery (dual forms, warm starts,
basis reuse, the bracketing search, the batched interior point) lives in
``lib.methods._lp_engine`` and is tested to return the references' answers. Every whole-network
result is an
:class:`LPResult` (a :class:`lib.core.result.InversionResult`) with a status per signal.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import torch
from scipy.optimize import linprog

from lib.core.checks import check_count, check_positive, require_dense, require_hidden
from lib.core.generator import Generator, as_rows
from lib.core.observation import check_observation, undetermined
from lib.core.result import InversionResult, demote_undetermined
from lib.methods._lp_engine import (  # noqa: F401 (re-exported: lib.methods.lp is the public module)
    BACKENDS,
    LP_METHODS,
    BoundsLP,
    LayerLP,
    LayerSolve,
    _act,
    _check_mask,
    _np,
)
from lib.methods.rules import as_matrices


@dataclass
class LayerLPResult:
    """Result of inverting one layer for a batch of B signals.

    Attributes:
        z: (B, k) solutions; a row is NaN where the LP was not solved to optimality.
        status: per signal 'optimal', 'infeasible', 'unbounded' or 'failed: <the solver's
            message>'.
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
        return torch.tensor([s == "optimal" for s in self.status])

    @property
    def unique(self) -> torch.Tensor:
        """(B,) bool: solved and the preimage is a single point (rank W_S = k)."""
        k = self.z.shape[1]
        return self.ok & torch.tensor([r == k for r in self.rank])


def _linprog(c, A_ub, b_ub, bounds):
    """min c^T v s.t. A_ub v <= b_ub and the column bounds, by HiGHS through scipy."""
    return linprog(c, A_ub=A_ub, b_ub=b_ub, bounds=bounds, method="highs")


#: scipy's linprog status codes, in the words of this module
_LINPROG_STATUS = {0: "optimal", 2: "infeasible", 3: "unbounded"}


def invert_layer_lp(
    W: torch.Tensor, x: torch.Tensor, b: torch.Tensor | None = None, *, tol: float = 0.0
) -> LayerLPResult:
    """Invert x = ReLU(W z + b) for a batch of observed layers x (B, n) by the LP of P2 Eq. 4.

    The equalities of Eq. 4 are written as the two inequalities W z + b <= x on every row (for
    the inactive rows, x_i = 0: Eq. 4's second line) and W_S z + b_S >= x_S on the active rows
    S = {i : x_i > tol}; the objective is 0 (a feasibility problem).

    Args:
        W: (n, k) weights; b: (n,) bias or None.
        x: (B, n) or (n,) observed layer.
        tol: entries x_i > tol count as active (0 for exact, realizable data).

    Returns:
        :class:`LayerLPResult`; rows whose LP is infeasible are NaN and their status says so.
    """
    if W.ndim != 2:
        raise ValueError(f"W must be a matrix, got shape {tuple(W.shape)}")
    x = as_rows(x, W.shape[0], "x")
    Wn = _np(W)
    n, k = Wn.shape
    bn = np.zeros(n) if b is None else _np(b)
    if bn.shape != (n,):
        raise ValueError(f"b must have shape ({n},), got {bn.shape}")
    t0 = time.perf_counter()
    Z, status, rank = np.full((x.shape[0], k), np.nan), [], []
    for s, row in enumerate(_np(x)):
        a = row > tol
        A = np.vstack([Wn, -Wn[a]])
        rhs = np.r_[np.where(a, row, 0.0) - bn, bn[a] - row[a]]
        r = _linprog(np.zeros(k), A, rhs, [(None, None)] * k)
        status.append(_LINPROG_STATUS.get(r.status, f"failed: {r.message}"))
        if r.status == 0:
            Z[s] = r.x
        rank.append(int(np.linalg.matrix_rank(Wn[a])) if a.any() else 0)
    seconds = time.perf_counter() - t0
    return LayerLPResult(torch.as_tensor(Z).to(W.device, W.dtype), status, rank, seconds)


# =====================================================================================
# P2 Sections 3.3-4 and Appendix A: layer-wise inversion of a whole network
# =====================================================================================
#
# Notation. The book's generator (lib.core.generator, P1 notation) is
#     x_1 = act(W_0 z + b_0), ..., y = phi(W_L x_L + b_L),
# P2 writes the same map as z_i = phi_i(z_{i-1}) = ReLU(W_i z_{i-1} + b_i), i = 1..d. P2's
# networks have the activation at every layer including the output (phi = ReLU or LeakyReLU).
# Inverting "backwards layer by layer" (P2 Thm 3-5) means: from y estimate x_L (the input of
# the last layer), from that estimate x_{L-1}, ..., down to z. Every layer is one of the problems
# below, with W = W_i (n rows, k columns) and x the (estimated) output of that layer.

METHODS = ("equations", "leaky_inverse", "linf", "l1", "relax")


# ------------------------------------------------------------------------ the paper, as printed
# Short reference implementations of P2's algorithms for one ReLU layer, shaped like the
# pseudo-code (the book shows these). They solve one LP per grid point with scipy's linprog;
# the engine below (LayerLP, BoundsLP, lib.methods._ipm) returns the same answers with far fewer and
# faster solves, and the tests check that it does.


def alg1_reference(
    W: np.ndarray,
    b: np.ndarray,
    x: np.ndarray,
    *,
    eps0: float = 1e-10,
    alpha: float = 1.2,
    max_iter: int = 400,
    nonneg: bool = False,
    obs: np.ndarray | None = None,
) -> LayerSolve:
    """P2 Algorithm 1 (l_inf LP) for one layer x = ReLU(W z + b) + e, as printed::

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
    for t in range(max_iter + 1):
        eps = eps0 * alpha**t
        on = (x > eps) & obs
        A = np.vstack([np.c_[W[obs], -np.ones(obs.sum())], np.c_[-W[on], -np.ones(on.sum())]])
        rhs = np.r_[x[obs] - b[obs], b[on] - x[on]]
        bounds = [(0 if nonneg else None, None)] * k + [(0, eps)]
        r = _linprog(np.r_[np.zeros(k), 1.0], A, rhs, bounds)
        if r.status == 0:
            return LayerSolve(r.x[:k], "optimal", eps, float(r.x[k]), t, t + 1, -1)
    return LayerSolve(None, "max_steps", eps, np.nan, max_iter, max_iter + 1, -1)


def alg2_reference(
    W: np.ndarray,
    b: np.ndarray,
    x: np.ndarray,
    *,
    eps0: float = 1e-10,
    alpha: float = 1.2,
    max_iter: int = 400,
    nonneg: bool = False,
    obs: np.ndarray | None = None,
) -> LayerSolve:
    """P2 Algorithm 2 (l_1 LP) for one layer x = ReLU(W z + b) + e, as printed::

        for t = 1, 2, ...:
            z_t, e_t <- argmin sum_j e_j  s.t.  |w_j z + b_j - x_j| <= e_j  if x_j > eps,
                                                 w_j z + b_j - x_j  <= e_j  if x_j <= eps,
                                                 e_j >= 0
            eps <- alpha eps
            if ||ReLU(W z_t + b) - x||_1 >= ||ReLU(W z_{t-1} + b) - x||_1: return z_{t-1}

    Reading: a grid point whose rows {j : x_j > eps} are those of the previous one poses the
    same LP, so z_t = z_{t-1} and the test would stop at once, at the first threshold, whatever
    the data; such grid points are skipped (the comparison is between distinct LPs). This is
    the engine's rule with ``patience=1`` (``lib.methods._lp_engine.LayerLP``). z >= 0 with
    ``nonneg``; unobserved rows (``obs`` False) constrain nothing.
    """
    k = W.shape[1]
    obs = np.ones(len(x), bool) if obs is None else np.asarray(obs, bool)
    m = int(obs.sum())
    Wo, bo, xo = W[obs], b[obs], x[obs]
    prev, on_prev, solves = None, None, 0
    for t in range(max_iter + 1):
        eps = eps0 * alpha**t
        on = xo > eps
        if on_prev is not None and np.array_equal(on, on_prev):
            continue  # the same LP as at the previous grid point
        on_prev = on
        # unknowns (z, e): W z + b - x <= e on every row; x - W z - b <= e on the rows "on"
        I = np.eye(m)
        A = np.vstack([np.c_[Wo, -I], np.c_[-Wo[on], -I[on]]])
        rhs = np.r_[xo - bo, bo[on] - xo[on]]
        bounds = [(0 if nonneg else None, None)] * k + [(0, None)] * m
        r = _linprog(np.r_[np.zeros(k), np.ones(m)], A, rhs, bounds)
        solves += 1
        if r.status != 0:
            return LayerSolve(None, "failed: " + r.message, eps, np.nan, t, solves, -1)
        z = r.x[:k]
        res = float(np.abs(np.maximum(Wo @ z + bo, 0) - xo).sum())
        if prev is not None and res >= prev[1]:
            return LayerSolve(prev[0], "optimal", prev[2], prev[3], prev[4], solves, -1)
        prev = (z, res, eps, float(r.x[k:].sum()), t)
    if prev is None:
        return LayerSolve(None, "max_steps", eps, np.nan, max_iter, solves, -1)
    return LayerSolve(prev[0], "optimal", prev[2], prev[3], prev[4], solves, -1)


def alg3_reference(
    W: np.ndarray,
    b: np.ndarray,
    x: np.ndarray,
    *,
    eps0: float = 1e-10,
    alpha: float = 1.2,
    max_iter: int = 400,
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
    for t in range(max_iter + 1):
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
    return LayerSolve(None, "max_steps", eps, np.nan, max_iter, max_iter + 1, -1)


def invert_reference(
    G: Generator, y: torch.Tensor, method: str = "linf", *, mask=None, **kw
) -> np.ndarray:
    """P2's layer-wise inversion with the reference algorithms (:func:`alg1_reference`,
    :func:`alg2_reference`, :func:`alg3_reference`), one signal at a time: backwards from the
    output layer, each layer's answer is the next layer's observation (the hidden layers'
    values are >= 0). ReLU networks only. Returns z as a (B, n_0) float64 array (NaN rows
    where a layer failed).
    """
    if method not in ("linf", "l1", "relax"):
        raise ValueError(
            f"method={method!r}: the references are 'linf' (Alg. 1), 'l1' (Alg. 2), 'relax'"
        )
    _check_generator(G, method, "invert_reference")
    if G.hidden != "relu":
        raise ValueError(f"G.hidden={G.hidden!r}: the references invert ReLU networks")
    y, mask = check_observation(G, y, mask)
    Y = _np(y)
    obs_out = _check_mask(mask, len(Y), G.dims[-1])
    Ws, bs = [_np(W) for W in G.weights], [_np(G.bias(i)) for i in range(len(G.weights))]
    run = {"linf": alg1_reference, "l1": alg2_reference, "relax": alg3_reference}[method]
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


# ------------------------------------------------------------------------ the whole network
#: statuses of a signal for which some layer's LP produced no solution (z is NaN)
FAILURES = ("infeasible", "budget", "solver_failure")
#: relative fit ||G(z_hat) - y||_inf / (1 + ||y||_inf) below which a signal counts as 'exact'
#: (the LPs are solved to 1e-10; float32 generators round at ~1e-7 per layer)
EXACT_TOL = 1e-7


@dataclass
class LPResult(InversionResult):
    """Layer-wise inversion of a batch of B signals (P2 Thm 3-5: layers inverted backwards);
    a :class:`lib.core.result.InversionResult`.

    ``z`` (B, n_0) latent estimates (a NaN row: some layer's LP had no solution, see status);
    ``layers`` the estimates [x_1, ..., x_L] of the hidden layers; ``iterations`` the LPs solved
    per signal (all layers; 0 for the linear equations).

    ``status`` per signal (:data:`lib.core.result.STATUSES`), decided in this order:

    * 'infeasible' / 'budget' / 'solver_failure': some layer's LP was infeasible, ran past
      ``max_iter`` thresholds, or the solver failed (z is NaN; ``failure`` says which layer);
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
    if G.hidden == "relu" and G.output != "relu":
        raise ValueError(
            f"G.output={G.output!r}: {caller} (P2's layer-wise inversion) needs the output "
            "activation of the hidden layers, here 'relu'; for another output use gradient "
            "descent (lib.methods.gradient.gradient_descent) or P1's Latent-Pursuit "
            "(lib.methods.pursuit.latent_pursuit)"
        )
    if G.hidden == "leaky_relu" and G.output != "leaky_relu":
        raise ValueError(
            f"G.output={G.output!r}: {caller} on a LeakyReLU network needs a LeakyReLU "
            "output as well (P2 Remarks 1-2, Eq. 5); for another output use gradient "
            "descent (lib.methods.gradient.gradient_descent)"
        )
    slope = 0.0 if G.hidden == "relu" else G.slope
    if method == "leaky_inverse" and slope == 0:
        raise ValueError("method='leaky_inverse' (P2 Eq. 5) needs a LeakyReLU generator")
    return slope


def _ranks(W: np.ndarray, rows: np.ndarray, zero: np.ndarray | None = None) -> np.ndarray:
    """rank W[rows_s] for every signal s (rows: (B, n) bool), batched; with ``zero`` (B, k)
    bool, the unit rows e_i of the coordinates pinned at their bound x_i = 0 are added.

    The rank is that of the (n [+ k]) x k matrix with the other rows zeroed (matrix_rank's
    tolerance for that shape), computed from the selected rows only: zero rows do not change
    the singular values, and the selected rows are typically a fraction of n."""
    n, k = W.shape
    rows = torch.from_numpy(np.ascontiguousarray(rows))
    q = max(int(rows.sum(1).max()), 1)  # the most rows any signal selects
    if 2 * q < n:  # gather the selected rows (first), padded with zero rows
        order = torch.argsort((~rows).to(torch.int8), dim=1, stable=True)[:, :q]
        A = torch.from_numpy(W)[order] * torch.gather(rows, 1, order)[..., None]
    else:
        A = torch.from_numpy(W)[None] * rows[..., None]
    if zero is not None:
        A = torch.cat([A, torch.diag_embed(torch.from_numpy(zero).to(A.dtype))], 1)
    m = n if zero is None else n + k
    rtol = max(m, k) * torch.finfo(A.dtype).eps  # matrix_rank's default for the full shape
    return torch.linalg.matrix_rank(A, rtol=rtol).numpy()


def _result(G: Generator, method: str, xs: list, t0: float, **fields) -> LPResult:
    """The :class:`LPResult` of the estimates xs = [z, x_1, ..., x_L] (put on G's device and
    dtype) and the other fields, with each signal's status decided as that class says."""
    tol = max(EXACT_TOL, 1e3 * torch.finfo(G.dtype).eps)
    dims_in = np.array(G.dims[:-1])
    status = []
    for s, f in enumerate(fields["failure"]):
        if f:  # 'layer i: <the LayerSolve's status>'
            kind = f.split(": ", 1)[1]
            failed = "budget" if kind == "max_steps" else "solver_failure"
            status.append("infeasible" if kind.startswith("infeasible") else failed)
        elif (fields["rank_active"][s] < dims_in).any():
            status.append("not_unique")
        elif fields["fit"][s] <= tol:
            status.append("exact")
        else:
            status.append("within_noise")
    seconds = time.perf_counter() - t0
    z, *layers = (torch.as_tensor(a).to(device=G.device, dtype=G.dtype) for a in xs)
    return LPResult(z=z, layers=layers, status=status, seconds=seconds, method=method, **fields)


def _fit(G: Generator, slope, z, Y, obs) -> np.ndarray:
    """Relative l_inf fit of G(z) to Y over the observed entries, per signal (float64)."""
    x = z
    for i, W in enumerate(G.weights):  # P2's nets: the activation at every layer
        x = _act(x @ _np(W).T + _np(G.bias(i)), slope)
    r = np.where(obs, np.abs(x - Y), 0.0).max(1)
    return r / (1 + np.abs(np.where(obs, Y, 0.0)).max(1))


class LayerwiseLP:
    """P2's layer-wise LP inversion of a whole generator, built once and reused.

    One :class:`LayerLP` per weight matrix W_i is built at construction (the expensive part:
    the LP's constraint matrix, passed to HiGHS once); :meth:`invert` then solves every
    signal's layers backwards, from the output layer W_L down to W_0, re-using those problems.
    The unknowns of every layer but the first are hidden-layer values, outputs of a ReLU: their
    LPs carry the constraint x_i >= 0 (as P2's own code does); the latent z is free.

    Args:
        G: a generator with ReLU at every layer (P2 Sec. 2) or LeakyReLU at every layer.
        algorithm: 'linf' (Alg. 1 / Remark 1), 'l1' (Alg. 2 / Remark 2), 'relax' (Alg. 3 / Eq. 9).
        backend: 'highs' (highspy, warm-started; signal by signal) or 'ipm' ('linf' on ReLU
            nets: all signals' LPs of a layer solved together
            by a batched interior-point method on G's device with an exact vertex check, see
            ``LayerLP.solve_batch``; the fastest when inverting many signals).
        eps0, alpha, max_iter: the epsilon schedule eps_t = eps0 alpha^t (P2: alpha = 1.2),
            at most ``max_iter`` increases of eps per layer.
        patience: stopping rule of Alg. 2 ('l1' only), see :class:`LayerLP` (1 = P2's rule).
        form: 'primal', 'dual' or None (each layer's default), see :class:`LayerLP`.
    """

    def __init__(
        self,
        G: Generator,
        algorithm: str = "linf",
        *,
        backend: str = "highs",
        eps0: float = 1e-10,
        alpha: float = 1.2,
        max_iter: int = 400,
        patience: int = 1,
        form: str | None = None,
    ) -> None:
        if algorithm not in LP_METHODS:
            raise ValueError(f"algorithm={algorithm!r}: choose one of {LP_METHODS}")
        self.slope = _check_generator(G, algorithm, f"LayerwiseLP(algorithm={algorithm!r})")
        if backend not in BACKENDS:
            raise ValueError(f"backend={backend!r}: choose one of {BACKENDS}")
        if backend == "ipm" and (algorithm != "linf" or self.slope != 0):
            raise ValueError(
                f"backend='ipm' solves the l_inf LP of a ReLU network only (Alg. 1); "
                f"got algorithm={algorithm!r} on a {G.hidden} network: use backend='highs'"
            )
        patience = check_count("patience", patience, minimum=1)
        if patience != 1 and algorithm != "l1":
            raise ValueError(f"patience={patience}: a stopping rule of algorithm='l1' only")
        if form not in (None, "primal", "dual"):
            raise ValueError(f"form={form!r}: 'primal', 'dual' or None")
        if form == "dual" and backend != "highs":
            raise ValueError(f"form='dual' needs backend='highs', got backend={backend!r}")
        self.eps0, self.alpha = check_positive("eps0", eps0), check_positive("alpha", alpha)
        if not self.alpha > 1:
            raise ValueError(
                f"alpha={self.alpha!r}: the threshold's growth factor must be > 1 (P2: 1.2)"
            )
        self.max_iter = check_count("max_iter", max_iter, minimum=1)
        self.G, self.method, self.backend = G, algorithm, backend  # the result's method names it
        self.patience = patience
        self.layers = [
            LayerLP(
                W,
                G.biases[i],
                method=algorithm,
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
        y, mask = check_observation(self.G, y, mask)
        return self._invert(y, mask)

    def _invert(self, y: torch.Tensor, mask) -> LPResult:
        """:meth:`invert` on an observation already checked."""
        G = self.G
        for lay in self.layers:  # earlier calls may change the speed, never the answer
            lay.reset()
        B, L1 = y.shape[0], len(self.layers)
        obs_out = _check_mask(mask, B, G.dims[-1])
        Y = _np(y)
        per = {k: np.full((B, L1), np.nan) for k in ("eps", "objective")}  # LayerSolve's fields
        per |= {k: np.zeros((B, L1), int) for k in ("steps", "solves", "iterations")}
        xs = [np.full((B, d), np.nan) for d in G.dims[:-1]]  # z, x_1, ..., x_L
        failure = [""] * B
        kw = dict(eps0=self.eps0, alpha=self.alpha, max_iter=self.max_iter)

        def record(s: int, i: int, r: LayerSolve) -> bool:
            for k, a in per.items():
                a[s, i] = getattr(r, k)
            if r.z is None:
                failure[s] = f"layer {i}: {r.status}"
                return False
            xs[i][s] = r.z
            return True

        t0 = time.perf_counter()
        # backwards, layer by layer (a layer's LPs and warm state see the signals in order)
        alive, cur = np.arange(B), Y
        for i in range(L1 - 1, -1, -1):
            if len(alive) == 0:
                break
            lay, top = self.layers[i], i == L1 - 1
            obs = obs_out[alive] if top else np.ones((len(alive), lay.n), bool)
            # the answer of the layer above (-1: none; the search starts from the noise floor)
            hint = np.full(len(alive), -1) if top else per["steps"][alive, i + 1]
            if self.backend == "ipm":  # every signal's LPs solved together
                rs = lay.solve_batch(cur[alive], obs=obs, hint=hint, **kw)
            else:  # signal by signal, each warm-starting from the previous one's basis
                rs = [
                    lay.solve(x, obs=o, hint=h, **kw)
                    for x, o, h in zip(cur[alive], obs, hint, strict=True)
                ]
            alive = np.array([s for s, r in zip(alive, rs, strict=True) if record(s, i, r)], int)
            cur = xs[i]
        ok = np.array([not f for f in failure])
        for a in xs:
            a[~ok] = np.nan
        # per layer: rank of the active rows (P2's condition) and the LP's residual
        rank = np.full((B, L1), -1)
        rank_active = np.full((B, L1), -1)
        residual = np.full((B, L1), np.nan)
        targets = xs[1:] + [Y]
        for i, lay in enumerate(self.layers if ok.any() else ()):  # () if every signal failed
            obs = obs_out if i == L1 - 1 else np.ones_like(targets[i], bool)
            tgt = targets[i][ok]
            on = obs[ok] & (tgt > per["eps"][ok, i][:, None])
            rank[ok, i] = rank_active[ok, i] = _ranks(lay.W, on)
            # the pinned coordinates add rows: they can raise a rank below k only
            low = np.flatnonzero(ok)[rank[ok, i] < lay.k] if lay.nonneg else []
            if len(low):
                v = xs[i][low]
                zero = v <= 1e-9 * (1 + np.abs(v).max(1, keepdims=True))
                rank_active[low, i] = _ranks(lay.W, on[rank[ok, i] < lay.k], zero)
            r = _act(xs[i][ok] @ lay.W.T + lay.b, self.slope) - tgt
            residual[ok, i] = np.where(obs[ok], np.abs(r), 0.0).max(1)
        fit = np.full(B, np.nan)
        fit[ok] = _fit(G, self.slope, xs[0][ok], Y[ok], obs_out[ok])
        return _result(
            G,
            self.method,
            xs,
            t0,
            iterations=torch.as_tensor(per["solves"].sum(1)),
            eps=per["eps"],
            objective=per["objective"],
            steps=per["steps"],
            solves=per["solves"],
            solver_iterations=per["iterations"],
            rank=rank,
            rank_active=rank_active,
            residual=residual,
            fit=fit,
            failure=failure,
        )


def invert_lp(
    G: Generator,
    y: torch.Tensor,
    *,
    mask: torch.Tensor | np.ndarray | None = None,
    algorithm: str = "linf",
    backend: str = "highs",
    eps0: float = 1e-10,
    alpha: float = 1.2,
    max_iter: int = 400,
    patience: int = 1,
) -> LPResult:
    """One call: build :class:`LayerwiseLP` for G and invert y layer by layer with P2's
    ``algorithm``: "linf" (Alg. 1), "l1" (Alg. 2) or "relax" (Alg. 3). A convolutional G is
    inverted through its matrices (:func:`lib.methods.rules.as_matrices`).

    Build a :class:`LayerwiseLP` yourself to re-use the problems across calls.
    """
    return LayerwiseLP(
        as_matrices(G),
        algorithm,
        backend=backend,
        eps0=eps0,
        alpha=alpha,
        max_iter=max_iter,
        patience=patience,
    ).invert(y, mask)


# ------------------------------------------------------------------------ exact (noiseless)
def invert_layerwise(
    G: Generator,
    y: torch.Tensor,
    *,
    mask: torch.Tensor | np.ndarray | None = None,
    support_tol: float = 1e-9,
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
        support_tol: support threshold for ReLU layers, relative to ||x||_inf of the layer (an
            estimated layer carries rounding errors ~1e-15 where the true layer is 0).
    """
    G = as_matrices(G)
    _check_generator(G, "equations", "invert_layerwise")
    support_tol = check_positive("support_tol", support_tol, allow_zero=True)
    y, mask = check_observation(G, y, mask)
    return _equations(G, y, mask, support_tol)


def _equations(G: Generator, y: torch.Tensor, mask, tol: float = 1e-9) -> LPResult:
    """:func:`invert_layerwise` on a generator and an observation already checked."""
    slope = 0.0 if G.hidden == "relu" else G.slope
    method = "equations" if slope == 0 else "leaky_inverse"
    B, L1 = y.shape[0], len(G.weights)
    obs_out = torch.ones_like(y, dtype=torch.bool) if mask is None else mask.expand_as(y)
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
    fit = _fit(G, slope, _np(xs[0]), _np(y), obs_out.cpu().numpy())
    zero = np.zeros((B, L1), int)
    return _result(
        G,
        method,
        xs,
        t0,
        iterations=torch.zeros(B, dtype=torch.long),
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
    *,
    mask: torch.Tensor | None = None,
    inverter: LayerwiseLP | None = None,
    eta: float = 1.0,
    max_iter: int = 10,
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
        G: ReLU generator (P2's networks; a convolutional one through its matrices); y: (B, n)
        observations (hidden entries ignored); mask: bool (n,) or (B, n), True = observed
        (None: every pixel observed); inverter: a :class:`LayerwiseLP` of G
        (default: ``LayerwiseLP(G, "linf", backend="ipm")``, on a LeakyReLU net
        ``backend="highs"``); eta: step size > 0;
        max_iter: the budget, in PGD iterations; tol: stop once no image changes by more than tol
        (l_inf).
    """
    G = require_dense(as_matrices(G), "projected_gd")
    y, mask = check_observation(G, y, mask)
    eta = check_positive("eta", eta)
    max_iter = check_count("max_iter", max_iter, minimum=1)
    tol = check_positive("tol", tol, allow_zero=True)
    if inverter is None:  # the batched interior point inverts ReLU nets; HiGHS the others
        inverter = LayerwiseLP(G, "linf", backend="ipm" if G.hidden == "relu" else "highs")
    if inverter.G is not G:
        raise ValueError("inverter: a LayerwiseLP built for this G")
    B = y.shape[0]
    m = torch.ones_like(y) if mask is None else mask.expand_as(y).to(y.dtype)
    x = m * y
    z = torch.full((B, G.dims[0]), torch.nan, dtype=G.dtype, device=G.device)
    its = torch.zeros(B, dtype=torch.long)
    active = torch.ones(B, dtype=torch.bool, device=G.device)
    lp_status = ["solver_failure"] * B
    t0 = time.perf_counter()
    for _ in range(max_iter):
        idx = active.nonzero()[:, 0]
        if len(idx) == 0:
            break
        xs = x[idx] - eta * m[idx] * (x[idx] - y[idx])
        r = inverter._invert(xs, None)
        zi = torch.where(torch.isfinite(r.z).all(1)[:, None], r.z, z[idx])  # a failure keeps z
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
    status = demote_undetermined(status, undetermined(G, mask, B))
    with torch.no_grad():
        layers = G.forward(z.nan_to_num()).x
    return PGDResult(
        z=z,
        layers=layers,
        status=status,
        iterations=its,
        seconds=seconds,
        method="pgd_" + inverter.method,
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
    lp = BoundsLP(np.vstack([np.c_[W, -np.ones(m)], np.c_[W, np.ones(m)]]))
    lp.set(
        c=np.r_[np.zeros(k), 1.0],
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
