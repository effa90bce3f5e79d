"""P1 Algorithms 3-5 as printed (lib.methods.pursuit.alg3_reference, alg4_reference, alg5_reference)
against the batched engine (last_layer_fista, linearized_admm, latent_pursuit).

Tolerance. The reference and the engine run the same iterations with different step sizes (the
reference: the exact lambda_max; the engine: 1.05 times a power-iteration estimate) and the same
stopping test, so each stops near the stage's minimiser, not at the same iterate. With the
stopping tolerance tol = 1e-12 (relative change) and the slowest stage contracting by about
1 - 1e-3 per iteration (thousands of iterations), each lies within ~1e-12 / 1e-3 = 1e-9 of the
minimiser: we ask max |z_ref - z_engine| <= 1e-8 (|z| ~ 1-3; measured up to 3e-10, and it
shrinks 100-fold with tol from 1e-10 to 1e-12: the gap is the stopping tolerance, not a
difference in the algorithm). The supports, read from the layers, must be identical.
"""

import pytest
import torch

from lib.core.generator import Generator
from lib.methods.pursuit import (
    alg3_reference,
    alg4_reference,
    alg5_reference,
    last_layer_fista,
    latent_pursuit,
    linearized_admm,
)

f64 = torch.float64
TOL = 1e-12  # every stage's stopping tolerance, engine and reference alike
ATOL = 1e-8  # max |z_ref - z_engine| (see the module docstring)
B = 3  # signals per generator


def _case(name):
    """A generator, B observations, a pixel mask (or None) and Latent-Pursuit's settings."""
    if name == "chapter":  # the walk-through's network (book/p1_latent_pursuit.py)
        G = Generator.random([6, 40, 80, 120], seed=2020, std="fan_in", bias=True, output="tanh")
        return G, G(G.sample_latent(B, seed=2021)), None, {}
    if name == "three_hidden_no_bias":  # other sizes, L = 3, no biases, identity output
        G = Generator.random([4, 12, 30, 75, 180], seed=1, std="fan_out", output="identity")
        return G, G(G.sample_latent(B, seed=4)), None, {}
    if name == "uniform_plu_mask":  # uniform weights, PLU output, a third of the pixels hidden
        G = Generator.random(
            [5, 30, 60, 100], seed=5, dist="uniform", std="fan_in", bias=True, output="plu"
        )
        return G, G(G.sample_latent(B, seed=6)), torch.arange(100) % 3 != 0, {}
    if name == "noisy_sigmoid_masks":  # noise, lam > 0, gamma > 0, one mask per signal
        G = Generator.random([4, 15, 40, 100], seed=7, std="fan_in", bias=True, output="sigmoid")
        g = torch.Generator().manual_seed(9)
        y = G(G.sample_latent(B, seed=8)) + 1e-3 * torch.randn(B, 100, generator=g, dtype=f64)
        mask = torch.rand(B, 100, generator=g) > 0.2
        return G, y, mask, dict(lam=[1e-3, 1e-3], gamma=0.1)
    raise KeyError(name)


CASES = ["chapter", "three_hidden_no_bias", "uniform_plu_mask", "noisy_sigmoid_masks"]


@pytest.mark.parametrize("name", CASES)
def test_latent_pursuit_engine_returns_algorithm_5_as_printed(name):
    """Alg. 5 (Alg. 3, then Alg. 4 per layer, then Eq. 18) one signal at a time, as printed,
    and the engine, with its polish (default) and without: the same z and supports."""
    G, y, mask, kw = _case(name)
    opts = dict(debias_z=False, tol=TOL, max_iter=100_000, **kw)
    runs = {p: latent_pursuit(G, y, mask=mask, polish=p, **opts) for p in (True, False)}
    for s in range(B):
        M = None if mask is None else mask if mask.ndim == 1 else mask[s]
        z, xs = alg5_reference(G, y[s], M=M, tol=TOL, **kw)
        for polish, r in runs.items():
            assert r.status[s] == "converged", (polish, s)
            for x, S in zip(xs, r.supports, strict=True):
                assert torch.equal(x > 0, S[s]), (polish, s)
            dz = float((z - r.z[s]).abs().max())
            assert dz <= ATOL, (polish, s, dz)


def test_float32_engine_returns_the_float64_reference_answer():
    """A float32 generator: the engine (polished, float32, default tolerance 100 eps) against the
    reference run in float64 on the same weights. Agreement to float32 accuracy: relative
    1e-5 (measured 3e-7: float32's eps = 1.2e-7 times the layers' conditioning). (The paper's
    iterations alone in float32, engine or reference, stop at the default tolerance 100 eps
    with spurious small entries above the support threshold, so their supports are wrong on
    this network: the float32 answer is the polished engine's.)"""
    G = Generator.random(
        [5, 20, 60, 150], seed=11, std="fan_in", bias=True, output="tanh", dtype=torch.float32
    )
    y = G(G.sample_latent(B, seed=12))
    r = latent_pursuit(G, y, debias_z=False)
    G64 = G.to(dtype=f64)
    for s in range(B):
        z, xs = alg5_reference(G64, y[s].double(), tol=TOL)
        for x, S in zip(xs, r.supports, strict=True):
            assert torch.equal(x > 0, S[s])
        assert float((z - r.z[s].double()).norm() / z.norm()) <= 1e-5


def test_stages_match_their_references_where_constraints_bind():
    """Each stage alone, on data that no layer of the network produced: Alg. 3 on noisy pixels
    with lam > 0 (a nonnegative lasso), Alg. 4 on a perturbed x_2 (an inequality constraint
    of Eq. 9 binds, so the polish is rejected and a, u do the work), Eq. 18 with gamma > 0."""
    G = Generator.random([4, 15, 40, 100], seed=7, std="fan_in", bias=True, output="sigmoid")
    fw = G.forward(G.sample_latent(B, seed=8))
    g = torch.Generator().manual_seed(9)
    y = fw.out + 1e-2 * torch.randn(B, 100, generator=g, dtype=f64)
    x2 = torch.relu(fw.x[1] + 0.05 * torch.randn(B, 40, generator=g, dtype=f64)) * fw.supports[1]
    kw = dict(tol=TOL, max_iter=100_000)
    xL, _, cL = last_layer_fista(G, y, lam=1e-2, **kw)
    x1, _, c1 = linearized_admm(G.weights[1], G.bias(1), x2, lam=1e-3, rho=1e-2, **kw)
    zz, _, cz = linearized_admm(G.weights[0], G.bias(0), fw.x[0], rho=1e-2, gamma=0.5, **kw)
    assert cL.all() and c1.all() and cz.all()
    W1, b1 = G.weights[1], G.bias(1)
    bound = 0
    for s in range(B):
        ref = alg3_reference(G.weights[2], G.bias(2), y[s], "sigmoid", lam=1e-2, tol=TOL)
        assert float((ref - xL[s]).abs().max()) <= ATOL
        ref = alg4_reference(W1, b1, x2[s], lam=1e-3, rho=1e-2, tol=TOL)
        assert float((ref - x1[s]).abs().max()) <= ATOL
        off = x2[s] == 0
        bound += int((W1[off] @ ref + b1[off] > -1e-8).sum())
        ref = alg4_reference(G.weights[0], G.bias(0), fw.x[0][s], rho=1e-2, gamma=0.5, tol=TOL)
        assert float((ref - zz[s]).abs().max()) <= ATOL
    assert bound >= 1  # the test exercises a binding constraint


def test_polish_and_printed_iterations_can_pick_different_minimisers():
    """Where a middle layer's problem (Eq. 9) has several minimisers, the engine's polish (least
    squares on the current support) and the printed iterations may return different ones: on
    this signal s_2 = 23 < n_1 = 30, and given the true x_2 all three runs "converge" to
    feasible exact fits of x_2; the polish to the true x_1, the engine's iterations and the
    reference (a different step size, so a different path) to denser ones, near each other
    (1e-5) but not equal: the limit of the iterations depends on their path."""
    G = Generator.random([5, 30, 60, 90, 150], seed=1, std="fan_out", output="identity")
    fw = G.forward(G.sample_latent(4, seed=2)[1:2])
    x2, x1 = fw.x[1][0], fw.x[0][0]
    W, b = G.weights[1], G.bias(1)
    fast, _, c_fast = linearized_admm(W, b, x2[None], tol=TOL, max_iter=100_000)
    it, _, c_it = linearized_admm(W, b, x2[None], tol=TOL, max_iter=100_000, polish=False)
    ref = alg4_reference(W, b, x2, tol=TOL)
    assert c_fast.all() and c_it.all()
    S = x2 > 0
    for x in (fast[0], it[0], ref):  # each minimises Eq. 9 (value 0, feasible)
        assert float((W[S] @ x - x2[S]).norm()) <= 1e-9 * float(x2.norm())
        assert (W[~S] @ x <= 1e-9).all() and (x >= 0).all()
    assert torch.allclose(fast[0], x1, atol=1e-12)  # the polish: the true layer
    for x in (it[0], ref):  # the iterations: a denser minimiser, far from the true layer
        assert (x > 0).sum() > (x1 > 0).sum() and float((x - x1).norm()) > 1e-3 * float(x1.norm())
    assert float((ref - it[0]).abs().max()) <= 1e-4
