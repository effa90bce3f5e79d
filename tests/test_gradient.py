"""Tests of lib.gradient: the GD baseline and P1's step-size rule (P1 Sec. 6.1)."""

import torch

from lib.generator import Generator
from lib.gradient import gd_step_search, gradient_descent, latent_loss

f64 = torch.float64


def linear_net(seed=0):
    g = torch.Generator().manual_seed(seed)
    W = torch.randn(12, 4, generator=g, dtype=f64) / 12**0.5
    return Generator([W], output="identity")


def test_gd_reaches_least_squares_solution():
    """One linear layer: f is a convex quadratic, GD converges to the closed-form z."""
    G = linear_net()
    z = torch.randn(5, 4, generator=torch.Generator().manual_seed(1), dtype=f64)
    y = G(z)
    lam_max = torch.linalg.eigvalsh(G.weights[0].T @ G.weights[0]).max()
    r = gradient_descent(G, y, lr=1 / float(lam_max), steps=20000, grad_tol=1e-12)
    assert r.converged.all()
    assert torch.allclose(r.z, z, atol=1e-9)
    assert (latent_loss(G, r.z, y) < 1e-20).all()


def test_momentum_with_decay_converges():
    G = linear_net(2)
    z = torch.randn(3, 4, generator=torch.Generator().manual_seed(3), dtype=f64)
    r = gradient_descent(
        G,
        G(z),
        lr=0.1,
        steps=20000,
        optimizer="momentum",
        momentum=0.9,
        decay=0.5,
        decay_every=5000,
        grad_tol=1e-10,
    )
    assert r.converged.all() and torch.allclose(r.z, z, atol=1e-8)


def test_step_search_takes_smallest_converging_step():
    """P1 rule: the smallest step of the grid that reaches the gradient tolerance in the budget."""
    G = linear_net(4)
    z = torch.randn(4, 4, generator=torch.Generator().manual_seed(5), dtype=f64)
    y = G(z)
    lam_max = float(torch.linalg.eigvalsh(G.weights[0].T @ G.weights[0]).max())
    # 1e-3 is too small to converge in 300 steps, 1/lam_max converges, 10/lam_max diverges
    lrs = (1e-3, 1.0 / lam_max, 10.0 / lam_max)
    r = gd_step_search(G, y, lrs=lrs, steps=300, grad_tol=1e-8)
    assert r.converged.all()
    assert torch.allclose(r.lr, torch.full((4,), 1.0 / lam_max, dtype=f64))
    # nothing converges: every signal keeps its lowest-loss run and is flagged
    r2 = gd_step_search(G, y, lrs=(1e-4, 1e-3), steps=5, grad_tol=1e-12)
    assert not r2.converged.any()
    assert torch.allclose(r2.lr, torch.full((4,), 1e-3, dtype=f64))
