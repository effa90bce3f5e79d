"""Tests of P2's layer-wise inversions (lib.methods.lp): Thm 3, Eq. 5, Alg. 1-3 and their
variants."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy.optimize import linprog
from scipy.stats import binom

from lib.core.generator import Generator
from lib.core.metrics import relative_error
from lib.methods import lp

DIMS = [3, 12, 48, 160]  # a 3-layer expansive net (c0 = 4, 4, 3.3)


def _nets():
    relu = Generator.random(DIMS, seed=3, std="fan_out", output="relu")
    leaky = Generator.random(
        DIMS, seed=3, std="fan_out", hidden="leaky_relu", output="leaky_relu", slope=0.2
    )
    return relu, leaky


@pytest.mark.parametrize("act", ["relu", "leaky"])
@pytest.mark.parametrize("method", ["equations", "linf", "l1", "relax"])
def test_exact_recovery_of_realizable_three_layer_nets(act, method):
    G = _nets()[act == "leaky"]
    z = G.sample_latent(4, seed=5)
    y = G(z)
    if method == "equations":
        res = lp.invert_layerwise(G, y)
        assert res.method == ("equations" if act == "relu" else "leaky_inverse")
    else:
        res = lp.invert_lp(G, y, algorithm=method, eps0=1e-12)
    assert res.status == ["exact"] * 4 and bool(res.ok.all())
    assert (res.rank == np.array(DIMS[:-1])).all()
    assert relative_error(z, res.z).max() < 1e-8
    for x_true, x_est in zip(G.forward(z).x, res.layers, strict=True):
        assert relative_error(x_true, x_est).max() < 1e-8


@pytest.mark.parametrize("method", ["linf", "l1", "relax"])
@pytest.mark.parametrize("slope", [0.0, 0.2])
def test_the_model_handed_to_highs_agrees_with_linprog(method, slope):
    """The LP the engine keeps in HiGHS (built once, warm-started, in the dual form where that
    is the default), solved from scratch by scipy's linprog from its stated data (cost, row and
    column bounds): the same optimal value (the minimiser of an LP need not be unique, its
    value is)."""
    W, _, _, x, _ = _noisy_layer(seed=4, n=30, k=5, slope=slope)
    obs = np.ones(30, bool)
    obs[::5] = False
    layer = lp.LayerLP(W, method=method, slope=slope)
    if method == "relax":
        assert layer.solve(x, eps0=1e-3, obs=obs).status == "optimal"
    else:
        assert layer._solve_at(x, obs, 3e-3)[1] == "optimal"
    B = layer.lp
    v, status, _ = B.solve()
    hi, lo = np.isfinite(B.row_hi), np.isfinite(B.row_lo)
    ref = linprog(
        B.c,
        A_ub=np.vstack([B.A[hi], -B.A[lo]]),
        b_ub=np.r_[B.row_hi[hi], -B.row_lo[lo]],
        bounds=[
            (None if np.isinf(a) else a, None if np.isinf(b) else b)
            for a, b in zip(B.col_lo, B.col_hi, strict=True)
        ],
        method="highs",
    )
    assert status == "optimal" and ref.status == 0
    np.testing.assert_allclose(B.c @ v, ref.fun, rtol=1e-6, atol=1e-8)


def test_mask_of_observed_pixels():
    G = Generator.random([3, 15, 60], seed=2, std="fan_out", output="relu")
    z = G.sample_latent(3, seed=1)
    mask = torch.ones(60)
    mask[::4] = 0  # hide a quarter of the output pixels
    y = G(z)
    y_corrupt = torch.where(mask.bool(), y, torch.full_like(y, 5.0))  # hidden pixels: garbage
    for method in ("linf", "l1", "relax"):
        res = lp.invert_lp(G, y_corrupt, algorithm=method, mask=mask, eps0=1e-12)
        assert relative_error(z, res.z).max() < 1e-8, method
    res = lp.invert_layerwise(G, y_corrupt, mask=mask)
    assert relative_error(z, res.z).max() < 1e-8
    with pytest.raises(ValueError, match="mask"):
        lp.invert_lp(G, y, mask=torch.ones(7))


def _noisy_layer(seed=0, n=60, k=10, a=1e-2, slope=0.0):
    rng = np.random.default_rng(seed)
    W = rng.standard_normal((n, k)) / math.sqrt(n)
    z = rng.standard_normal(k)
    t = W @ z
    x_true = np.where(t >= 0, t, slope * t)
    e = rng.uniform(-a, a, n)
    return W, z, x_true, x_true + e, np.abs(e).max()


def test_leaky_linf_lp_equals_remark_1_as_printed_one_linprog_per_grid_point():
    """P2 Remark 1 (LeakyReLU l_inf LP), one scipy LP per grid point from the rows as printed,
    against the engine's primal LP (warm starts, rows switched on and off between signals and
    thresholds, a row switched off handed to HiGHS with infinite bounds): the same first
    feasible eps, delta* and z on noisy and noiseless signals."""
    c, W = 0.2, _noisy_layer(seed=7, n=40, k=6)[0]
    layer = lp.LayerLP(W, method="linf", slope=c)
    rng = np.random.default_rng(8)
    for a in (1e-2, 1e-3, 0.0, 1e-2, 0.0, 1e-4):  # noisy and noiseless signals in turn
        t = W @ rng.standard_normal(6)
        x = np.where(t >= 0, t, c * t) + rng.uniform(-a, a, 40)
        e = layer.solve(x, eps0=1e-6)
        for t in range(200):
            eps = 1e-6 * 1.2**t
            on, neg = x > eps, x <= -eps
            mid = ~on & ~neg  # (x - delta) / c <= w z <= x + delta
            rows = [(W[on | mid], x[on | mid]), (-W[on], -x[on]), (-c * W[mid], -x[mid])]
            rows += [(c * W[neg], x[neg]), (-c * W[neg], -x[neg])]
            A = np.vstack([np.c_[M, -np.ones(len(M))] for M, _ in rows])
            ref = linprog(
                np.r_[np.zeros(6), 1.0],
                A_ub=A,
                b_ub=np.concatenate([r for _, r in rows]),
                bounds=[(None, None)] * 6 + [(0, eps)],
                method="highs",
            )
            if ref.status == 0:
                break
        assert (e.steps, e.eps) == (t, eps)
        assert e.objective == pytest.approx(ref.x[6], abs=1e-9)
        np.testing.assert_allclose(e.z, ref.x[:6], atol=1e-7)


@pytest.mark.parametrize("slope", [0.0, 0.2])
def test_linf_solution_is_feasible_for_alg1_constraints(slope):
    W, _, _, x, _ = _noisy_layer(slope=slope)
    layer = lp.LayerLP(W, method="linf", slope=slope)
    r = layer.solve(x, eps0=1e-8)
    assert r.status == "optimal" and r.objective <= r.eps
    d, t, tol = r.objective, W @ r.z, 1e-9
    cat = layer.categories(x, r.eps)
    on, mid, neg = cat == 2, cat == 1, cat == 0
    assert np.all(np.abs(t[on] - x[on]) <= d + tol)
    assert np.all(t[mid | on] <= x[mid | on] + d + tol)
    if slope:
        assert np.all(t[mid] >= (x[mid] - d) / slope - tol)
        assert np.all(np.abs(slope * t[neg] - x[neg]) <= d + tol)
    # the previous grid point is infeasible (Alg. 1 stops at the first feasible eps)
    if r.steps > 0:
        prev = r.eps / 1.2
        v, status, _ = layer._solve_at(x, np.ones(len(x), bool), prev)
        assert status == "optimal" and v[-1] > prev


def test_linf_bisection_equals_the_grid_scan():
    for seed in range(3):
        W, _, _, x, _ = _noisy_layer(seed=seed)
        a = lp.LayerLP(W, method="linf").solve(x, eps0=1e-8)
        b = lp.LayerLP(W, method="linf", search="scan").solve(x, eps0=1e-8)
        assert a.steps == b.steps and a.eps == b.eps
        np.testing.assert_allclose(a.z, b.z, atol=1e-8)
        assert a.solves <= b.solves


def test_linf_search_started_from_the_previous_answer_equals_the_grid_scan():
    """The bracketing search starts at the previous signal's answer; whether that guess is too
    small, too large or exact, it must return the scan's first feasible grid point."""
    rng = np.random.default_rng(7)
    W = rng.standard_normal((80, 8)) / math.sqrt(80)
    layer = lp.LayerLP(W, method="linf")  # one object: each solve starts from the last answer
    for a in (1e-2, 1e-4, 1e-1, 1e-1, 1e-6, 0.0, 3e-2):
        t = W @ rng.standard_normal(8)
        x = np.maximum(t, 0) + rng.uniform(-a, a, 80)
        r = layer.solve(x, eps0=1e-9)
        s = lp.LayerLP(W, method="linf", search="scan").solve(x, eps0=1e-9)
        assert r.status == s.status == "optimal"
        assert r.steps == s.steps and r.eps == s.eps
        np.testing.assert_allclose(r.objective, s.objective, rtol=1e-7, atol=1e-12)


@pytest.mark.parametrize("nonneg", [False, True])
def test_linf_search_from_any_first_probe_equals_the_grid_scan(nonneg):
    """Whatever the first probe (far below, next to, at or far above the answer, or past
    max_steps), the galloping search with the interval rule returns the scan's first feasible
    grid point, its delta* and its z; with a mask of observed rows and a hidden layer's z >= 0."""
    for seed in range(4):
        W, _, _, x, _ = _noisy_layer(seed=seed, n=70, k=8, a=10.0 ** -(1 + seed))
        obs = np.random.default_rng(seed).random(len(x)) > 0.2
        kw = dict(eps0=1e-9, obs=obs)
        s = lp.LayerLP(W, method="linf", search="scan", nonneg=nonneg).solve(x, **kw)
        assert s.status == "optimal"
        for t in (0, s.steps - 6, s.steps - 1, s.steps, s.steps + 1, s.steps + 9, 399):
            t0 = max(t, 0)
            layer = lp.LayerLP(W, method="linf", nonneg=nonneg)
            layer._first_probe = lambda floor, max_steps, offsets, t0=t0: t0
            r = layer.solve(x, **kw)
            assert r.status == "optimal" and (r.steps, r.eps) == (s.steps, s.eps), (seed, t0)
            np.testing.assert_allclose(r.objective, s.objective, rtol=1e-7, atol=1e-12)
            np.testing.assert_allclose(r.z, s.z, atol=1e-8)
            # the public way to move the first probe: a hint (the layer above's answer)
            h = lp.LayerLP(W, method="linf", nonneg=nonneg).solve(x, hint=t0, **kw)
            assert (h.steps, h.eps) == (s.steps, s.eps)


def test_one_lp_decides_when_no_x_lies_between_the_probe_and_the_answer():
    """Grid points with no x_j between them pose the same LP (the interval rule): when the
    rows' values leave a wide gap around delta*, one LP from a first probe anywhere in that gap
    both proves the grid point below the answer infeasible and gives the answer's z."""
    rng = np.random.default_rng(3)
    W = rng.standard_normal((60, 6)) / math.sqrt(60)
    t = W @ rng.standard_normal(6)
    on = t > 0.3
    x = np.where(on, t + rng.uniform(-0.05, 0.05, 60), rng.uniform(-1e-3, 1e-3, 60))
    s = lp.LayerLP(W, method="linf", search="scan").solve(x, eps0=1e-9)
    gap = (np.abs(x[~on]).max(), x[on].min())  # no x_j in between
    assert gap[0] < s.objective <= s.eps < 1.2 * s.eps < gap[1]  # the answer lies in the gap
    for t0 in (s.steps - 8, s.steps - 1, s.steps, s.steps + 1):  # probes in the gap
        layer = lp.LayerLP(W, method="linf")
        layer._first_probe = lambda floor, max_steps, offsets, t0=t0: t0
        r = layer.solve(x, eps0=1e-9)
        assert r.solves == 1 and (r.steps, r.eps) == (s.steps, s.eps)
        np.testing.assert_allclose(r.z, s.z, atol=1e-9)


def test_linf_search_survives_delta_that_is_monotone_only_up_to_tolerance(monkeypatch):
    """On noiseless data delta*(eps) is ~1e-10, the solver's tolerance, and need not be exactly
    non-increasing in eps. A grid point that an earlier LP declared "feasible for sure" may then
    come out infeasible; the search must move on (it once looped forever here)."""
    layer = lp.LayerLP(np.eye(3), method="linf")
    eps0, alpha = 1e-10, 1.2
    g = lambda t: eps0 * alpha**t  # noqa: E731
    deltas = {0: g(2), 1: 1.5 * g(1), 2: 1.05 * g(2), 3: 0.5 * g(3)}  # t = 2 contradicts t = 0
    seen = []

    def fake_solve_at(x, obs, eps):
        t = int(round(math.log(eps / eps0) / math.log(alpha)))
        seen.append(t)
        return np.r_[np.zeros(3), deltas[t]], "optimal", 1

    monkeypatch.setattr(layer, "_solve_at", fake_solve_at)
    # every grid point its own LP (the fake deltas differ between grid points; one LP has one)
    monkeypatch.setattr(layer, "_interval", lambda xs, t, eps0, alpha: (t, t + 1))
    r = layer.solve(np.ones(3), eps0=eps0, alpha=alpha)
    assert r.status == "optimal" and r.steps == 3 and seen == [0, 1, 2, 3]


@pytest.mark.parametrize("slope", [0.0, 0.2])
@pytest.mark.parametrize("method", ["linf", "relax"])
def test_dual_form_gives_the_primal_optimum(method, slope):
    """form='dual' (HiGHS solves the LP's dual, v read from its multipliers) against the primal:
    same optimal value, and the dual's v satisfies the primal constraints."""
    W, _, _, x, _ = _noisy_layer(seed=2, slope=slope)
    obs = np.ones(len(x), bool)
    obs[::7] = False
    P = lp.LayerLP(W, method=method, slope=slope, form="primal")
    D = lp.LayerLP(W, method=method, slope=slope, form="dual")
    default = "dual" if method == "linf" and slope == 0 else "primal"
    assert lp.LayerLP(W, method=method, slope=slope).form == default
    for eps in (1e-9, 3e-3, 1e-2, 0.1):
        if method == "relax":
            lo, hi = D._relax_bounds(x, eps, obs)
            P.lp.set(c=-(W.T @ x), row_lo=lo, row_hi=hi)
            D.lp.set(c=-(W.T @ x), row_lo=lo, row_hi=hi)
            (vp, sp, _), (vd, sd, _) = P.lp.solve(), D.lp.solve()
        else:
            (vp, sp, _), (vd, sd, _) = P._solve_at(x, obs, eps), D._solve_at(x, obs, eps)
        assert sp == sd == "optimal"
        np.testing.assert_allclose(D.lp.c @ vd, P.lp.c @ vp, rtol=1e-8, atol=1e-10)
        Av = D.lp.A @ vd
        assert (Av >= D.lp.row_lo - 1e-8).all() and (Av <= D.lp.row_hi + 1e-8).all()
        assert (vd >= D.lp.col_lo - 1e-10).all()


def test_l1_dual_form_gives_the_primal_optimum():
    """Alg. 2's LP through its dual (min a^T lam, W^T lam = 0, boxed lam; z = multipliers):
    the same optimal value sum_j e_j as the primal, with and without hidden rows."""
    rng = np.random.default_rng(3)
    n, k = 90, 12
    W = rng.standard_normal((n, k)) / math.sqrt(n)
    b = 0.1 * rng.standard_normal(n)
    x = np.maximum(W @ rng.standard_normal(k) + b, 0) + rng.uniform(-1e-2, 1e-2, n)
    P = lp.LayerLP(W, b, method="l1", form="primal")
    D = lp.LayerLP(W, b, method="l1")
    assert D.form == "dual"
    for obs in (np.ones(n, bool), rng.random(n) < 0.7):
        for eps in (1e-9, 1e-3, 1e-2, 0.1):
            (vp, sp, _), (vd, sd, _) = P._solve_at(x, obs, eps), D._solve_at(x, obs, eps)
            assert sp == sd == "optimal"
            np.testing.assert_allclose(vd[k:].sum(), vp[k:].sum(), rtol=1e-7, atol=1e-10)
    with pytest.raises(ValueError, match="ReLU layers"):
        lp.LayerLP(W, method="l1", slope=0.2, form="dual")


def test_a_highs_error_is_retried_from_scratch_once():
    """HiGHS sometimes returns an error (model status 'Not Set') from a warm start; the LP is
    then solved again from scratch, and the restart is counted. A second error is reported."""
    import highspy

    A = np.array([[1.0, 0.0], [0.0, 1.0]])

    class Flaky:
        def __init__(self, h, errors):
            self.h, self.errors = h, errors

        def run(self):
            if self.errors:
                self.errors -= 1
                return highspy.HighsStatus.kError
            return self.h.run()

        def __getattr__(self, name):
            return getattr(self.h, name)

    for errors, expected in ((1, "optimal"), (2, "failed")):
        B = lp.BoundsLP(A)
        B.set(c=np.array([1.0, 1.0]), row_lo=np.array([1.0, 2.0]))
        B.h = Flaky(B.h, errors)
        v, status, _ = B.solve()
        assert status.startswith(expected) and B.cold_restarts == 1
        if expected == "optimal":
            np.testing.assert_allclose(v, [1.0, 2.0])
        else:
            assert v is None


def test_a_warm_start_that_ends_without_an_optimum_is_retried_from_scratch():
    """A warm start that returns no error but no optimum either (here: an iteration limit of
    zero on the warm run) is solved again from scratch; the answer is the cold solve's."""
    A = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    B = lp.BoundsLP(A)
    B.set(c=np.array([1.0, 2.0]), row_lo=np.array([1.0, 2.0, 0.0]))
    B.solve()  # a warm state exists now (x = (1, 2))
    B.set(row_lo=np.array([1.0, 2.0, 10.0]))  # the optimum moves to (8, 2): a pivot is needed
    B.h.setOptionValue("simplex_iteration_limit", 0)
    real_clear = B.h.clearSolver

    def clear():  # the cold retry may iterate again
        B.h.setOptionValue("simplex_iteration_limit", 10_000)
        real_clear()

    B.h.clearSolver = clear
    restarts = B.cold_restarts
    v, status, _ = B.solve()
    assert status == "optimal" and B.cold_restarts == restarts + 1
    np.testing.assert_allclose(v, [8.0, 2.0])


def test_dual_form_reports_an_infeasible_primal():
    A = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    for form in ("primal", "dual"):
        B = lp.BoundsLP(A, form=form)
        B.set(c=np.array([1.0, 1.0]), row_lo=np.array([1.0, -np.inf, 0.0]))
        B.set(row_hi=np.array([np.inf, 0.0, np.inf]))  # x_0 >= 1 and x_0 <= 0
        v, status, _ = B.solve()
        assert v is None and status == "infeasible", form
    with pytest.raises(ValueError, match="free and"):
        lp.BoundsLP(A, form="dual").set(col_lo=np.array([-1.0, 0.0]))


@pytest.mark.parametrize("slope", [0.0, 0.2])
def test_l1_solution_is_feasible_and_optimal_value_is_the_slack_sum(slope):
    W, _, _, x, _ = _noisy_layer(seed=1, slope=slope)
    layer = lp.LayerLP(W, method="l1", slope=slope)
    r = layer.solve(x, eps0=1e-8)
    assert r.status == "optimal"
    t, cat = W @ r.z, layer.categories(x, r.eps)
    on, mid = cat == 2, cat == 1
    # the smallest slacks e_j that make z feasible; their sum is the LP's optimum
    e = np.where(on, np.abs(t - x), 0.0)
    if slope:
        neg = cat == 0
        e = np.where(mid, np.maximum(np.maximum(t - x, x - slope * t), 0), e)
        e = np.where(neg, np.abs(slope * t - x), e)
    else:
        e = np.where(mid, np.maximum(t - x, 0), e)
    assert abs(e.sum() - r.objective) < 1e-7


@pytest.mark.parametrize("slope", [0.0, 0.2])
def test_relaxation_solution_is_feasible(slope):
    W, _, _, x, _ = _noisy_layer(seed=2, slope=slope)
    r = lp.LayerLP(W, method="relax", slope=slope).solve(x, eps0=1e-8)
    assert r.status == "optimal"
    t = W @ r.z
    if slope:
        assert np.all(t <= np.maximum(x + r.eps, 0) + 1e-9)
        assert np.all(t >= np.minimum(x - r.eps, 0) / slope - 1e-9)
    else:
        assert np.all(t <= x + r.eps + 1e-9)


def test_c_inf_is_the_minimum_of_the_norm_ratio():
    rng = np.random.default_rng(0)
    W = rng.standard_normal((7, 2))
    c = lp.c_inf(W)
    # brute force over the boundary of the l_inf ball in 2-D
    s = np.linspace(-1, 1, 20001)
    a = np.concatenate([np.stack([np.ones_like(s), s], 1), np.stack([s, np.ones_like(s)], 1)])
    brute = (np.abs(a @ W.T).max(1) / np.abs(a).max(1)).min()
    assert c <= brute + 1e-12 and brute - c < 1e-3
    lo, hi = lp.c_1_bounds(W)
    brute1 = (np.abs(a @ W.T).sum(1) / np.abs(a).sum(1)).min()
    assert lo <= brute1 + 1e-12 and brute1 <= hi + 1e-12


def test_linf_error_bound_holds():
    """P2 Lemma 2: for rows I that are 'on' at the final eps and truly active,
    ||W_I (z - z*)||_inf <= delta + ||e||_inf, so ||z - z*||_inf <= (delta + eta) / c_inf(W_I)
    and, when eps >= eta (the theorem's setting), <= 2 eps / c_inf(W_I)."""
    for seed in range(4):
        W, z_star, x_true, x, eta = _noisy_layer(seed=seed, a=1e-2)
        r = lp.LayerLP(W, method="linf").solve(x, eps0=1e-8)
        assert r.status == "optimal"
        I = (x > r.eps) & (x_true > 0)
        c = lp.c_inf(W[I])
        err = np.abs(r.z - z_star).max()
        assert np.abs(W[I] @ (r.z - z_star)).max() <= r.objective + eta + 1e-9
        assert err <= (r.objective + eta) / c + 1e-9
        if r.eps >= eta:
            assert err <= 2 * r.eps / c + 1e-9
        assert r.eps <= 1.2 * max(eta, 1e-8) + 1e-15  # z* is feasible from eps >= eta on


def test_lemma1_hoeffding_bound_dominates_the_binomial_tail():
    for k in (5, 20, 50):
        for c0 in (2.1, 3.0, 5.0):
            n = int(c0 * k)
            assert binom.cdf(k, n, 0.5) <= lp.lemma1_bound(n, k) + 1e-15
    assert lp.lemma1_bound(10, 5) == 1.0


def test_failures_are_reported_not_silent():
    G = Generator.random([3, 12, 40], seed=2, std="fan_out", output="relu")
    z = G.sample_latent(2, seed=1)
    gen = torch.Generator().manual_seed(0)
    y = G(z) + 0.05 * torch.rand(2, 40, generator=gen, dtype=torch.float64)
    res = lp.invert_lp(G, y, algorithm="linf", eps0=1e-9, max_iter=3)
    assert res.status == ["budget"] * 2
    assert all(s.startswith("layer 1: max_steps") for s in res.failure)
    assert torch.isnan(res.z).all() and not res.ok.any()
    # a layer with too few active rows: the linear equations are rank deficient
    W = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], dtype=torch.float64)
    G2 = Generator([W], output="relu")
    y2 = torch.tensor([[1.0, 0.0, 0.0]], dtype=torch.float64)
    r2 = lp.invert_layerwise(G2, y2)
    assert r2.status == ["not_unique"] and r2.rank.tolist() == [[1]] and not r2.ok.any()
    r3 = lp.invert_lp(G2, y2, eps0=1e-12)  # the LP finds a preimage, but not a unique one
    assert r3.status == ["not_unique"] and r3.rank.tolist() == [[1]] and not r3.ok.any()


def test_bad_input_is_rejected():
    relu, _ = _nets()
    with pytest.raises(ValueError, match="algorithm"):
        lp.invert_lp(relu, relu(relu.sample_latent(1, seed=0)), algorithm="l2")
    with pytest.raises(ValueError, match="y must have shape"):
        lp.invert_lp(relu, torch.zeros(1, 7))
    tanh = Generator.random(DIMS, seed=0, output="tanh")
    with pytest.raises(ValueError, match="G.output='tanh'"):
        lp.invert_lp(tanh, torch.zeros(1, DIMS[-1]))
    with pytest.raises(ValueError, match="eps0"):
        lp.LayerLP(np.eye(3)).solve(np.ones(3), eps0=0.0)


@pytest.mark.parametrize("slope", [0.0, 0.2])
def test_relaxation_reusing_the_basis_equals_solving_every_step(slope):
    """Alg. 3 answers most eps steps from the previous optimal basis (BoundsLP.reuse_basis):
    the same eps, steps and z as calling HiGHS at every step."""
    for seed in range(3):
        W, _, _, x, _ = _noisy_layer(seed=seed, n=60, k=10, slope=slope)
        fast = lp.LayerLP(W, method="relax", slope=slope)
        slow = lp.LayerLP(W, method="relax", slope=slope)
        slow.lp.reuse_basis = False
        a, b = fast.solve(x, eps0=1e-8), slow.solve(x, eps0=1e-8)
        assert a.status == b.status == "optimal"
        assert (a.eps, a.steps, a.solves) == (b.eps, b.steps, b.solves)
        np.testing.assert_allclose(a.z, b.z, atol=1e-9)
        assert fast.lp.basis_reuses > 0 and slow.lp.basis_reuses == 0


# ------------------------------------------------------------------ hidden layers are >= 0
def _net_with_a_free_direction():
    """A 1-3-5 ReLU net whose output layer, for z = 1 (x_1 = (1, 0, 0)), has active rows of
    rank 2: the line x_1 + t (0, 1, -1) fits y exactly for every |t| <= 5 (the two inactive
    rows stop it at t = -2 and t = 5). Only x_1 >= 0 (x_1 is a ReLU output) pins t = 0."""
    d = torch.float64
    W0 = torch.tensor([[1.0], [-1.0], [-1.0]], dtype=d)
    W1 = torch.tensor([[1, 0, 0], [0, 1, 1], [1, 1, 1], [0, 1, 0], [0, -1, 0]], dtype=d)
    b1 = torch.tensor([0, 1, 0, -5, -2], dtype=d)
    G = Generator([W0, W1], [torch.zeros(3, dtype=d), b1], output="relu")
    z = torch.ones(1, 1, dtype=d)
    return G, z, G(z)


@pytest.mark.parametrize(
    "method, backend",
    [("linf", "ipm"), ("relax", "highs")],
)
def test_unconstrained_hidden_layer_fails_where_the_constrained_one_is_exact(method, backend):
    """Issue 13: without x_1 >= 0 the output layer's LP returns a hidden layer with negative
    entries (a vertex of the unconstrained preimage, t = 5 or -2), and the next layer's LP then
    returns a wrong z; with the constraint (what invert_lp does) z is recovered exactly."""
    G, z, y = _net_with_a_free_direction()
    W0, W1, b1 = G.weights[0], G.weights[1], G.biases[1]
    free = lp.LayerLP(W1, b1, method=method, backend=backend).solve(y[0].numpy(), eps0=1e-12)
    assert free.z.min() < -1  # a negative "ReLU output"
    z_free = lp.LayerLP(W0, method=method, backend=backend).solve(free.z, eps0=1e-12).z
    assert abs(z_free[0] - 1) > 0.05
    res = lp.invert_lp(G, y, algorithm=method, backend=backend, eps0=1e-12)
    assert res.status == ["exact"]
    assert relative_error(z, res.z).max() < 1e-8
    assert res.rank.tolist() == [[1, 2]]  # P2's condition fails at the output layer...
    assert res.rank_active.tolist() == [[1, 3]]  # ...the bounds x_1 >= 0 pin the vertex


@pytest.mark.parametrize("method", ["linf", "l1", "relax"])
def test_every_lp_of_a_hidden_layer_keeps_it_nonnegative(method):
    backend = "highs"
    G, z, y = _net_with_a_free_direction()
    res = lp.invert_lp(G, y, algorithm=method, backend=backend, eps0=1e-12)
    assert res.status == ["exact"] and bool((res.layers[0] >= 0).all())
    assert relative_error(z, res.z).max() < 1e-8
    layer = lp.LayerLP(G.weights[1], G.biases[1], method=method, backend=backend, nonneg=True)
    assert layer.solve(y[0].numpy(), eps0=1e-12).z.min() >= 0
    with pytest.raises(ValueError, match="nonneg"):
        lp.LayerLP(G.weights[1], method=method, slope=0.2, nonneg=True)


def test_patience_reaches_the_l1_layers():
    """Issue 11: invert_lp dropped ``patience`` (patience 8 ran as many LPs as patience 1)."""
    G = Generator.random([5, 30, 120], seed=4, std="fan_out", output="relu")
    z = G.sample_latent(3, seed=2)
    gen = torch.Generator().manual_seed(1)
    y = G(z) + 1e-2 * (2 * torch.rand(3, 120, generator=gen, dtype=torch.float64) - 1)
    one = lp.invert_lp(G, y, algorithm="l1", patience=1)
    eight = lp.invert_lp(G, y, algorithm="l1", patience=8)
    ref = lp.LayerwiseLP(G, "l1", patience=8).invert(y)
    assert (eight.solves == ref.solves).all()
    assert int(eight.iterations.sum()) > int(one.iterations.sum())


@pytest.mark.parametrize(
    "kw, match",
    [
        (dict(eps0=0.0), "eps0"),
        (dict(eps0=float("nan")), "eps0"),
        (dict(alpha=1.0), "alpha"),
        (dict(alpha=0.5), "alpha"),
        (dict(max_iter=0), "max_iter"),
        (dict(max_iter=2.5), "max_iter"),
        (dict(patience=0), "patience"),
        (dict(patience=3), "patience"),  # linf: patience is a rule of Alg. 2 only
        (dict(backend="gurobi"), "backend"),
        (dict(algorithm="l1", backend="ipm"), "backend='ipm'"),
        (dict(algorithm="relax", backend="ipm"), "backend='ipm'"),
    ],
)
def test_parameters_are_checked_with_errors_naming_them(kw, match):
    relu, _ = _nets()
    y = relu(relu.sample_latent(1, seed=0))
    with pytest.raises(ValueError, match=match):
        lp.invert_lp(relu, y, **kw)


def test_activation_errors_name_the_output_and_a_method_that_works():
    leaky_out = Generator.random(DIMS, seed=0, hidden="relu", output="leaky_relu", slope=0.1)
    y = torch.zeros(1, DIMS[-1], dtype=torch.float64)
    for call in (lambda: lp.invert_lp(leaky_out, y), lambda: lp.invert_layerwise(leaky_out, y)):
        with pytest.raises(ValueError, match=r"G.output='leaky_relu'.*gradient"):
            call()
    relu_out = Generator.random(DIMS, seed=0, hidden="leaky_relu", output="relu", slope=0.1)
    with pytest.raises(ValueError, match="G.output='relu'"):
        lp.invert_lp(relu_out, y)
    with pytest.raises(ValueError, match="mask"):
        lp.invert_lp(_nets()[0], y, mask=torch.full((DIMS[-1],), 0.5))


def test_linear_equations_are_batched_and_match_one_signal_at_a_time():
    G = Generator.random(DIMS, seed=6, std="fan_out", output="relu", bias=True)
    z = G.sample_latent(12, seed=3)
    y = G(z)
    mask = torch.rand(DIMS[-1], generator=torch.Generator().manual_seed(0)) > 0.2
    res = lp.invert_layerwise(G, y, mask=mask)
    for s in range(12):
        one = lp.invert_layerwise(G, y[s : s + 1], mask=mask)
        assert one.status == [res.status[s]]
        assert (one.rank == res.rank[s]).all()
        if res.status[s] == "exact":
            assert relative_error(z[s : s + 1], one.z).max() < 1e-8
    assert "exact" in res.status
    for s, st in enumerate(res.status):
        ok = relative_error(z[s : s + 1], res.z[s : s + 1]).item() < 1e-8
        assert st in ("exact", "not_unique") and (st != "exact" or ok)


# ------------------------------------------------------------------ as an outsider would
def _alg1_from_the_paper(W, b, x, obs, nonneg, eps0, alpha=1.2):
    """P2 Algorithm 1 written from the paper with scipy's linprog, independent of lib.methods.lp:
    eps <- alpha eps until min delta s.t. |w_j z + b_j - x_j| <= delta (x_j > eps),
    w_j z + b_j - x_j <= delta (x_j <= eps), delta <= eps is feasible (z >= 0 on a hidden
    layer, as P2's code; unobserved rows dropped). Returns (z, eps, delta)."""
    from scipy.optimize import linprog

    k = W.shape[1]
    eps = eps0
    for _ in range(400):
        on = (x > eps) & obs
        A = np.vstack([np.c_[W[obs], -np.ones(obs.sum())], np.c_[-W[on], -np.ones(on.sum())]])
        rhs = np.r_[x[obs] - b[obs], b[on] - x[on]]
        bounds = [(0 if nonneg else None, None)] * k + [(0, eps)]
        r = linprog(np.r_[np.zeros(k), 1.0], A_ub=A, b_ub=rhs, bounds=bounds, method="highs")
        if r.status == 0:
            return r.x[:k], eps, r.x[k]
        eps *= alpha
    raise AssertionError("Alg. 1 did not stop")


@pytest.mark.parametrize("backend", ["highs", "ipm"])
def test_linf_lp_matches_an_independent_alg1_on_a_decoder_we_did_not_build(backend):
    """A ReLU decoder with biases, float32 weights and input, noise and a mask: invert_lp
    returns Alg. 1's z, threshold and delta* of a plain linprog implementation of the paper."""
    G = Generator.random(
        [4, 24, 90], seed=11, std=0.3, bias=True, output="relu", dtype=torch.float32
    )
    z = G.sample_latent(4, seed=12).float()
    gen = torch.Generator().manual_seed(13)
    y = G(z) + 1e-3 * (2 * torch.rand(4, 90, generator=gen) - 1)
    mask = torch.rand(90, generator=gen) > 0.2
    res = lp.invert_lp(G, y, algorithm="linf", mask=mask, backend=backend, eps0=1e-6)
    assert res.z.dtype == torch.float32 and res.status.count("within_noise") >= 3
    Ws = [W.double().numpy() for W in G.weights]
    bs = [b.double().numpy() for b in G.biases]
    for s in range(4):
        x, obs = y[s].double().numpy(), mask.numpy()
        for i in (1, 0):
            x, eps, delta = _alg1_from_the_paper(Ws[i], bs[i], x, obs, i > 0, 1e-6)
            obs = np.ones(len(x), bool)
            assert res.eps[s, i] == pytest.approx(eps, rel=1e-12)
            assert res.objective[s, i] == pytest.approx(delta, rel=1e-6, abs=1e-12)
        np.testing.assert_allclose(res.z[s].double().numpy(), x, rtol=1e-5, atol=1e-6)
    # the interior point lives where the generator lives
    inv = lp.LayerwiseLP(G, "linf", backend="ipm")
    assert all(layer.ipm.W.device == G.device for layer in inv.layers)
    assert [layer.ipm.nonneg for layer in inv.layers] == [False, True]


def test_projected_gd_with_the_lp_projection_inpaints_a_realizable_image():
    """P2 Sec. 5.2 / Fig. 4: x <- G(invert(x - eta A^T (A x - y))). With most pixels observed
    of an expansive random net, the iteration converges to G(z*) (linearly)."""
    G = Generator.random([4, 40, 200], seed=8, std="fan_out", output="relu")
    z = G.sample_latent(6, seed=9)
    x = G(z)
    mask = torch.rand(200, generator=torch.Generator().manual_seed(1)) > 0.2
    y = torch.where(mask, x, torch.full_like(x, 7.0))  # hidden entries: garbage
    r = lp.projected_gd(G, y, mask=mask, max_iter=30)
    err = relative_error(x, r.x)
    assert err.max() < 1e-4 and r.method == "pgd_linf"  # linear convergence: ~3e-6 here
    assert set(r.status) <= {"converged", "budget"} and (r.iterations >= 1).all()
    full = lp.projected_gd(G, x, max_iter=30)  # no mask: every pixel observed
    assert relative_error(x, full.x).max() < 1e-8
    with pytest.raises(ValueError, match="eta"):
        lp.projected_gd(G, y, mask=mask, eta=0)
    with pytest.raises(ValueError, match="inverter"):
        lp.projected_gd(G, y, mask=mask, inverter=lp.LayerwiseLP(_nets()[0]))


# ------------------------------------------------------------------ reference vs engine
def test_the_engine_returns_the_reference_algorithms_answers_on_many_signals():
    """Issue 11: the paper-shaped references (one linprog per grid point) and the engine
    (bracketing search, dual forms, basis reuse, batched interior point) agree per signal."""
    G = Generator.random([5, 30, 120], seed=21, std="fan_out", bias=True, output="relu")
    z = G.sample_latent(8, seed=22)
    gen = torch.Generator().manual_seed(23)
    y = G(z) + 1e-2 * (2 * torch.rand(8, 120, generator=gen, dtype=torch.float64) - 1)
    ref = lp.invert_reference(G, y, "linf", eps0=1e-5)
    for backend in ("highs", "ipm"):
        fast = lp.invert_lp(G, y, algorithm="linf", backend=backend, eps0=1e-5)
        np.testing.assert_allclose(fast.z.numpy(), ref, rtol=1e-6, atol=1e-7)
    W, b = G.weights[1].numpy(), G.biases[1].numpy()
    layer = lp.LayerLP(W, b, method="relax", nonneg=True)
    for s in range(8):
        x = y[s].numpy()
        a = lp.alg1_reference(W, b, x, eps0=1e-5, nonneg=True)
        e = lp.LayerLP(W, b, method="linf", nonneg=True).solve(x, eps0=1e-5)
        assert (a.steps, a.eps) == (e.steps, e.eps)
        r, f = lp.alg3_reference(W, b, x, eps0=1e-5, nonneg=True), layer.solve(x, eps0=1e-5)
        assert (r.steps, r.eps) == (f.steps, f.eps)
        assert f.objective == pytest.approx(r.objective, rel=1e-7)


def test_alg2_reference_matches_the_engine_layer_by_layer():
    """P2 Alg. 2 as printed (one linprog per distinct LP) and the engine's l_1 LP (dual form,
    warm starts, patience 1) return the same z and objective on a noisy layer. The l_1 LP may
    have several minimisers; on these signals it has one."""
    G = Generator.random([5, 30, 120], seed=21, std="fan_out", bias=True, output="relu")
    z = G.sample_latent(8, seed=22)
    gen = torch.Generator().manual_seed(23)
    y = G(z) + 1e-2 * (2 * torch.rand(8, 120, generator=gen, dtype=torch.float64) - 1)
    W, b = G.weights[1].numpy(), G.biases[1].numpy()
    for s in range(8):
        x = y[s].numpy()
        a = lp.alg2_reference(W, b, x, eps0=1e-5, nonneg=True)
        e = lp.LayerLP(W, b, method="l1", nonneg=True).solve(x, eps0=1e-5)
        np.testing.assert_allclose(a.z, e.z, atol=1e-9)
        assert a.objective == pytest.approx(e.objective, rel=1e-9)
    with pytest.raises(ValueError, match="method"):
        lp.invert_reference(G, y, "gd")


@pytest.mark.parametrize("slope", [0.0, 0.2])
def test_next_change_of_the_rows_is_the_scans(slope):
    """The grid index at which the row categories next change (what Alg. 2 and 3 skip to) is
    the first index a scan of the grid finds; values placed exactly on grid points included."""
    eps0, alpha = 1e-6, 1.2
    layer = lp.LayerLP(np.eye(3)[:, :2].repeat(10, axis=0), method="l1", slope=slope)
    rng = np.random.default_rng(3)
    for trial in range(40):
        x = rng.standard_normal(30) * 10.0 ** rng.uniform(-5, 0, 30)
        x[:3] = [eps0 * alpha**t for t in rng.integers(0, 60, 3)]  # on the grid
        if slope:
            x[3:6] = [-eps0 * alpha**t for t in rng.integers(0, 60, 3)]
        obs = rng.random(30) > 0.2
        t = int(rng.integers(0, 50))
        want = next(
            (
                u
                for u in range(t + 1, 200)
                if not np.array_equal(
                    layer.categories(x[obs], eps0 * alpha**u),
                    layer.categories(x[obs], eps0 * alpha**t),
                )
            ),
            None,
        )
        assert layer._next_change(x, obs, t, eps0, alpha) == want, trial
