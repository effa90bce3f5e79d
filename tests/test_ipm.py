"""Tests of the batched interior-point solver of P2 Alg. 1's LP (lib.methods._ipm) and of the
batched layer-wise inversion built on it (``backend='ipm'`` in lib.methods.lp), against HiGHS's
simplex."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from lib.core.generator import Generator
from lib.core.metrics import relative_error
from lib.methods import lp
from lib.methods._ipm import BatchLinfLP


def _noisy(seed=0, n=80, k=8, B=12, a=1e-2):
    """B noisy outputs of one ReLU layer, with different noise levels per signal."""
    rng = np.random.default_rng(seed)
    W = rng.standard_normal((n, k)) / math.sqrt(n)
    b = 0.1 * rng.standard_normal(n)
    Z = rng.standard_normal((B, k))
    levels = a * np.logspace(-2, 1, B)  # 1e-4 a .. 10 a
    X = np.maximum(Z @ W.T + b, 0) + rng.uniform(-1, 1, (B, n)) * levels[:, None]
    return W, b, X


def _simplex(W, b, x, on, obs):
    """The same LP by HiGHS (the primal form of lib.methods.lp), for reference."""
    layer = lp.LayerLP(W, b, method="linf", form="primal")
    cat = np.where(on, 2, 1)
    lo, hi = layer._row_bounds(x, cat, obs)
    layer.lp.set(row_lo=lo, row_hi=hi)
    return layer.lp.solve()


def test_optimal_value_and_vertex_agree_with_the_simplex():
    """Same delta* as HiGHS for every signal, with masks and several splits into on/off rows;
    the returned (z, delta) satisfies every constraint."""
    W, b, X = _noisy(seed=1)
    B, n = X.shape
    rng = np.random.default_rng(2)
    obs = rng.random((B, n)) > 0.2  # some unobserved rows
    ipm = BatchLinfLP(torch.from_numpy(W))
    for eps in (1e-4, 3e-3, 2e-2):
        on = (X > eps) & obs
        r = ipm.solve(torch.from_numpy(X - b), torch.from_numpy(on), torch.from_numpy(obs))
        assert r.ok.all()
        for s in range(B):
            v, status, _ = _simplex(W, b, X[s], on[s], obs[s])
            assert status == "optimal"
            assert abs(float(r.delta[s]) - v[-1]) <= 1e-9 * (1 + abs(v[-1]))
            res = W @ r.z[s].numpy() + b - X[s]
            d = float(r.delta[s])
            assert np.all(res[obs[s]] <= d + 1e-9)
            assert np.all(-res[on[s]] <= d + 1e-9)


def test_the_vertex_check_rejects_a_wrong_vertex():
    """The optimality check is a real check: k + 1 arbitrary rows give a vertex that fails it."""
    W, b, X = _noisy(seed=3, B=4)
    ipm = BatchLinfLP(torch.from_numpy(W))
    a = torch.from_numpy(X - b)
    on = torch.from_numpy(X > 1e-3)
    h = torch.cat([a, -a, a.new_zeros(4, 1)], 1)
    mask = torch.cat([torch.ones_like(on), on, torch.ones(4, 1, dtype=torch.bool)], 1).double()
    rows = torch.stack(
        [torch.randperm(80, generator=torch.Generator().manual_seed(s))[:9] for s in range(4)]
    )
    _, _, _, _, ok = ipm._vertex(rows, h, mask, a)
    assert not ok.any()


def test_crossover_reaches_a_vertex_when_the_optimum_is_a_face(monkeypatch):
    """z_0 enters only the one-sided off rows: it can slide along a segment of optima without
    changing delta*, so the interior point converges to the segment's middle, which is no
    vertex. The crossover must walk to an end of the segment (_purify) and certify it, with
    HiGHS's optimal value."""
    rng = np.random.default_rng(5)
    n, k = 40, 6
    W = rng.standard_normal((n, k)) / math.sqrt(n)
    W[:20, 0] = 0.0  # the on rows do not see z_0
    x = np.r_[np.abs(W[:20] @ rng.standard_normal(k)) + 0.1, rng.uniform(-1e-2, 1e-2, 20)]
    x[:20] += rng.uniform(-1e-2, 1e-2, 20)
    on, obs = np.arange(n) < 20, np.ones(n, bool)
    ipm = BatchLinfLP(torch.from_numpy(W))
    seen = {}
    finish = ipm._finish
    monkeypatch.setattr(ipm, "_finish", lambda *a: seen.setdefault("state", a) and finish(*a))
    r = ipm.solve(*(torch.from_numpy(u[None]) for u in (x, on, obs)))
    v, status, _ = _simplex(W, np.zeros(n), x, on, obs)
    assert bool(r.ok[0]) and status == "optimal"
    assert abs(float(r.delta[0]) - v[-1]) <= 1e-9
    # from the interior point: the k tight rows plus a wrong one (delta >= 0) fail the check;
    # walking along the face from the interior point gives a certified vertex
    _, z, delta, lam, sl, a, h, mask = seen["state"][:8]
    tight = torch.where(mask > 0, lam / sl, -1.0).topk(k, dim=1).indices
    wrong = torch.cat([tight, torch.full((1, 1), 2 * n)], 1)
    assert not ipm._vertex(wrong, h, mask, a)[-1].any()
    zv, dv, _, _, ok = ipm._vertex(ipm._purify(tight, z, delta, h, mask), h, mask, a)
    assert bool(ok[0]) and abs(float(dv[0]) - v[-1]) <= 1e-9


def test_batched_inversion_equals_the_simplex_search():
    """solve_batch (all signals' LPs per round, interior point) returns Alg. 1's grid point,
    delta* and, up to the solver tolerance, the z of the one-at-a-time simplex search."""
    W, b, X = _noisy(seed=7, B=16)
    batch = lp.LayerLP(W, b, method="linf", backend="ipm")
    rs = batch.solve_batch(X, eps0=1e-9)
    for x, r in zip(X, rs, strict=True):
        s = lp.LayerLP(W, b, method="linf", search="scan").solve(x, eps0=1e-9)
        assert r.status == s.status == "optimal"
        assert r.steps == s.steps and r.eps == s.eps
        np.testing.assert_allclose(r.objective, s.objective, rtol=1e-8, atol=1e-12)
        np.testing.assert_allclose(r.z, s.z, atol=1e-7)
    assert batch.fallbacks == 0


def test_hints_move_the_first_probes_not_the_answers():
    """solve_batch with one hint per signal (the layer above's answers; any values) returns
    the same grid points as without; a hint of the wrong shape is an error."""
    W, b, X = _noisy(seed=5, B=12)
    ref = lp.LayerLP(W, b, method="linf", backend="ipm").solve_batch(X, eps0=1e-9)
    hint = np.arange(12) * 20  # from far below to far above the answers
    rs = lp.LayerLP(W, b, method="linf", backend="ipm").solve_batch(X, eps0=1e-9, hint=hint)
    assert [r.steps for r in rs] == [r.steps for r in ref]
    with pytest.raises(ValueError, match="hint"):
        lp.LayerLP(W, b, method="linf", backend="ipm").solve_batch(X, hint=[3, 4])


def test_an_uncertified_lp_goes_to_the_simplex(monkeypatch):
    """Where the interior point's vertex fails the check, the LP is solved by HiGHS instead,
    counted, and the result is unchanged."""
    W, b, X = _noisy(seed=8, B=5)
    ref = lp.LayerLP(W, b, method="linf", backend="ipm").solve_batch(X, eps0=1e-9)
    layer = lp.LayerLP(W, b, method="linf", backend="ipm")
    monkeypatch.setattr(layer.ipm, "max_iter", 0)  # no iterations: nothing is certified
    rs = layer.solve_batch(X, eps0=1e-9)
    assert layer.fallbacks == sum(r.solves for r in rs) > 0
    for r, q in zip(rs, ref, strict=True):
        assert r.status == "optimal" and r.steps == q.steps
        np.testing.assert_allclose(r.objective, q.objective, rtol=1e-8, atol=1e-12)


def test_network_inversion_with_ipm_matches_highs_with_a_mask():
    G = Generator.random([4, 16, 64], seed=1, std="fan_out", output="relu")
    z = G.sample_latent(10, seed=2)
    gen = torch.Generator().manual_seed(3)
    y = G(z) + (torch.rand(10, 64, generator=gen, dtype=torch.float64) * 2 - 1) * 1e-3
    mask = torch.rand(64, generator=gen) > 0.25
    a = lp.LayerwiseLP(G, "linf").invert(y, mask)
    b = lp.LayerwiseLP(G, "linf", backend="ipm").invert(y, mask)
    assert a.status == b.status == ["within_noise"] * 10
    np.testing.assert_array_equal(a.eps, b.eps)
    assert relative_error(a.z, b.z).max() < 1e-6
    assert relative_error(z, b.z).max() < 0.1


def test_exact_recovery_with_ipm():
    """Noiseless realizable data: delta* = 0 and the inversion is exact (1e-8)."""
    G = Generator.random([3, 12, 48, 160], seed=3, std="fan_out", output="relu")
    z = G.sample_latent(4, seed=5)
    res = lp.invert_lp(G, G(z), algorithm="linf", backend="ipm", eps0=1e-12)
    assert res.status == ["exact"] * 4
    assert relative_error(z, res.z).max() < 1e-8


def test_ipm_backend_rejects_what_it_cannot_solve():
    W = np.random.default_rng(0).standard_normal((20, 3))
    for kw in (dict(method="l1"), dict(method="relax"), dict(slope=0.2), dict(search="scan")):
        with pytest.raises(ValueError, match="ipm"):
            lp.LayerLP(W, **{"method": "linf", "backend": "ipm", **kw})
    with pytest.raises(ValueError, match="backend='ipm'"):
        lp.LayerLP(W, method="linf").solve_batch(np.zeros((2, 20)))
    with pytest.raises(ValueError, match="shape"):
        BatchLinfLP(torch.zeros(20, 3)).solve(torch.zeros(2, 19), torch.zeros(2, 19), True)


def test_a_singular_normal_matrix_hands_that_signal_to_the_simplex(monkeypatch):
    """A signal whose Newton system cannot be factored stops there (uncertified) and goes to the
    simplex; the other signals of the batch are unaffected."""
    W, b, X = _noisy(seed=9, B=4)
    ref = lp.LayerLP(W, b, method="linf", backend="ipm").solve_batch(X, eps0=1e-9)
    cholesky_ex = torch.linalg.cholesky_ex
    first = {}

    def failing_once(M):  # the first factorisation of each solve fails for its first signal
        L, info = cholesky_ex(M)
        if first.pop("call", False) and len(M) > 1:
            info = info.clone()
            info[0] = 1
        return L, info

    monkeypatch.setattr(torch.linalg, "cholesky_ex", failing_once)
    layer = lp.LayerLP(W, b, method="linf", backend="ipm")
    solve = layer.ipm.solve
    monkeypatch.setattr(layer.ipm, "solve", lambda *a: first.update(call=True) or solve(*a))
    r = layer.ipm.solve(torch.from_numpy(X - b), torch.from_numpy(X > 1e-3), True)
    assert r.ok.tolist() == [False, True, True, True]
    rs = layer.solve_batch(X, eps0=1e-9)
    assert layer.fallbacks > 0
    for a, q in zip(rs, ref, strict=True):
        assert a.status == "optimal" and a.steps == q.steps
        np.testing.assert_allclose(a.objective, q.objective, rtol=1e-8, atol=1e-12)


def test_normal_matrices_equal_the_explicit_product():
    """G^T diag(d) G, both ways it is computed (precomputed w_j w_j^T for large batches, a
    batched product for small ones), against the explicit constraint matrix G."""
    rng = np.random.default_rng(4)
    n, k = 30, 5
    W = torch.from_numpy(rng.standard_normal((n, k)))
    G = torch.cat(
        [
            torch.cat([W, -torch.ones(n, 1, dtype=W.dtype)], 1),
            torch.cat([-W, -torch.ones(n, 1, dtype=W.dtype)], 1),
            torch.cat([torch.zeros(1, k, dtype=W.dtype), -torch.ones(1, 1, dtype=W.dtype)], 1),
        ]
    )
    ipm = BatchLinfLP(W)
    for B in (3, 20):  # below and above the switch between the two ways
        d = torch.from_numpy(rng.random((B, 2 * n + 1)))
        explicit = G.T @ (d[:, :, None] * G)
        torch.testing.assert_close(ipm._normal(d), explicit, rtol=1e-12, atol=1e-12)
    z, delta = torch.from_numpy(rng.standard_normal((2, k))), torch.tensor([0.3, -1.0])
    torch.testing.assert_close(ipm._G(z, delta), (G @ torch.cat([z, delta[:, None]], 1).T).T)
