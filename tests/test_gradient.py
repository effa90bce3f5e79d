"""Tests of lib.methods.gradient: the GD baseline and P1's step-size rule (P1 Sec. 6.1)."""

import pytest
import torch

from lib.core.generator import Generator
from lib.methods.gradient import gd_step_search, gradient_descent, latent_loss

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
    r = gradient_descent(G, y, lr=1 / float(lam_max), max_iter=20000, tol=1e-12)
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
        max_iter=20000,
        optimizer="momentum",
        momentum=0.9,
        decay=0.5,
        decay_every=5000,
        tol=1e-10,
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
    r = gd_step_search(G, y, lrs=lrs, max_iter=300, tol=1e-8)
    assert r.converged.all()
    assert torch.allclose(r.lr, torch.full((4,), 1.0 / lam_max, dtype=f64))
    # nothing converges: every signal keeps its lowest-loss run and is flagged
    r2 = gd_step_search(G, y, lrs=(1e-4, 1e-3), max_iter=5, tol=1e-12)
    assert not r2.converged.any()
    assert torch.allclose(r2.lr, torch.full((4,), 1e-3, dtype=f64))


# ------------------------------------------------------------- issue 11: status per signal
def test_divergence_is_a_status_and_z_stays_finite():
    """A step far above 2/lambda_max diverges; before issue 11 it ran into inf/NaN silently."""
    G = linear_net(6)
    z = torch.randn(4, 4, generator=torch.Generator().manual_seed(7), dtype=f64)
    lam_max = float(torch.linalg.eigvalsh(G.weights[0].T @ G.weights[0]).max())
    lr = torch.tensor([0.5 / lam_max, 0.5 / lam_max, 100 / lam_max, 100 / lam_max], dtype=f64)
    r = gradient_descent(G, G(z), lr=lr, max_iter=3000, tol=1e-10)
    assert r.status == ["converged", "converged", "diverged", "diverged"]
    assert r.ok.tolist() == [True, True, False, False]
    assert torch.isfinite(r.z).all() and torch.isfinite(r.loss).all()
    assert not r.converged[2:].any()
    assert (r.iterations[2:] < 3000).all()  # stopped when it diverged, not at the budget


def test_budget_status_when_steps_run_out():
    G = linear_net(8)
    z = torch.randn(2, 4, generator=torch.Generator().manual_seed(9), dtype=f64)
    r = gradient_descent(G, G(z), lr=1e-3, max_iter=5, tol=1e-12)
    assert r.status == ["budget", "budget"] and (r.iterations == 5).all()


def test_dead_network_is_not_converged():
    """Every hidden unit dead at z: G is constant nearby, the gradient is exactly 0, and GD
    'converges' at once -- the status must say 'dead', not 'converged'."""
    W0 = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], dtype=f64)
    W1 = torch.randn(5, 3, generator=torch.Generator().manual_seed(1), dtype=f64)
    G = Generator([W0, W1], output="identity")
    y = G(torch.tensor([[1.0, 2.0]], dtype=f64))
    z0 = torch.tensor([[-1.0, -1.0], [0.5, 1.5]], dtype=f64)  # row 0: every unit dead
    r = gradient_descent(G, y.expand(2, -1), z0=z0, lr=0.1, max_iter=2000, tol=1e-10)
    assert r.status[0] == "dead" and r.iterations[0] == 0
    assert r.status[1] == "converged"
    assert [x.shape for x in r.layers] == [(2, 3)]


def test_result_shares_the_base_type():
    from lib.core.result import InversionResult

    G = linear_net(10)
    z = torch.randn(3, 4, generator=torch.Generator().manual_seed(11), dtype=f64)
    r = gradient_descent(G, G(z), lr=0.5, max_iter=10)
    assert isinstance(r, InversionResult)
    assert r.iterations.dtype == torch.long and r.iterations.device.type == "cpu"
    assert int(r.iterations.max()) <= 10  # the budget, in gradient steps
    s = gd_step_search(G, G(z), lrs=(0.5,), max_iter=10)
    assert isinstance(s, InversionResult) and len(s.status) == 3


def test_step_search_on_a_batched_conv_generator():
    """Issue 11 bug: once some signals converged, the search subset y but not the networks of
    a batched ConvGenerator (a shape error). Each row has its own network here."""
    from lib.core.convnet import ConvGenerator

    G = ConvGenerator.random([2, 8, 1], in_size=(1, 1), kernel=2, stride=2, seed=3, n_networks=6)
    z = G.sample_latent(6, seed=4)
    y = G(z)
    r = gd_step_search(G, y, lrs=(0.1, 0.5), max_iter=400, tol=1e-9, optimizer="adam")
    # row 0 needs the larger step: the second try runs on a subset of rows (and networks)
    assert r.lr.tolist() == [0.5, 0.1, 0.1, 0.1, 0.1, 0.1]
    assert r.status == ["converged"] * 6
    # rows 1-4 recover z; rows 0 and 5 stop at stationary points elsewhere (a 2-dim latent)
    assert torch.allclose(r.z[1:5], z[1:5], atol=1e-6)


@pytest.mark.parametrize("output", ["identity", "tanh", "sigmoid", "relu", "leaky_relu", "plu"])
@pytest.mark.parametrize("hidden", ["relu", "leaky_relu"])
def test_the_hand_written_gradient_is_autograds(hidden, output):
    """The dense generators' gradient of 1/2 ||M (G(z) - y)||^2, written by hand in the inner
    loop, against autograd through G(z): with and without biases and a mask, float32 and
    float64, on a net with three hidden layers."""
    from lib.methods.gradient import _loss_and_grad

    for dtype, tol in ((torch.float64, 1e-12), (torch.float32, 1e-5)):
        for bias in (True, False):
            G = Generator.random(
                [4, 9, 13, 17, 25], seed=5, hidden=hidden, output=output, bias=bias, slope=0.2
            ).to(dtype=dtype)
            z = G.sample_latent(6, seed=1)
            y = G(G.sample_latent(6, seed=2)) + 0.05
            mask = torch.rand(6, 25, generator=torch.Generator().manual_seed(3)) > 0.4
            for m in (None, mask, mask.to(dtype)):  # the inner loop passes 0/1 numbers
                zz = z.clone().requires_grad_(True)
                f_ref = latent_loss(G, zz, y, m != 0 if m is not None else None)
                (g_ref,) = torch.autograd.grad(f_ref.sum(), zz)
                f, g = _loss_and_grad(G, z, y, m)
                torch.testing.assert_close(f, f_ref.detach(), rtol=tol, atol=tol)
                torch.testing.assert_close(g, g_ref, rtol=tol, atol=tol)


def test_every_preset_is_a_set_of_options_of_its_function():
    """PRESETS name what each paper prescribes; each is accepted by the function it belongs to
    (run here with a short budget) and is what the paper states."""
    from lib.methods.gradient import PRESETS, gd_step_search, gradient_descent
    from lib.methods.recovery import recover

    G = Generator.random([4, 20, 30], seed=1, std="fan_in", output="tanh")
    y = G(G.sample_latent(3, seed=2))
    fns = {"p1_random": gd_step_search, "p1_trained": gradient_descent,
           "p2_random": gradient_descent, "p2_mnist": gradient_descent, "p3": recover}  # fmt: skip
    assert set(fns) == set(PRESETS)
    for name, fn in fns.items():
        r = fn(G, y, **(PRESETS[name] | {"max_iter": 5}))
        assert r.z.shape == (3, 4) and len(r.status) == 3, name
    assert PRESETS["p1_random"]["lrs"] == (1e-1, 1e0, 1e1, 1e2, 1e3, 1e4)
    assert PRESETS["p3"]["optimizer"] == "adam" and PRESETS["p3"]["lr"] == 0.1


def test_gd_restarts_reuses_a_first_run_without_changing_the_answer():
    # the benchmark hands gd_restarts the GD cell's own run: the same result as running it again
    from lib.methods.gradient import gd_restarts

    G = Generator.random([6, 30, 20], seed=4, std="fan_in", output="tanh")
    y = G(G.sample_latent(10, seed=5))
    mask = torch.rand(10, 20, generator=torch.Generator().manual_seed(6)) > 0.3
    kw = dict(mask=mask, lrs=(0.1,), max_iter=60, seed=7)
    ref = gd_restarts(G, y, restarts=2, fit_tol=1e-6, **kw)
    first = gd_step_search(G, y, **kw)
    z_first = first.z.clone()
    got = gd_restarts(G, y, restarts=2, fit_tol=1e-6, first=first, **kw)
    assert torch.equal(got.z, ref.z) and got.status == ref.status
    assert torch.equal(got.iterations, ref.iterations)
    assert torch.equal(first.z, z_first)  # the caller's run is not modified
    with pytest.raises(ValueError, match="first"):
        gd_restarts(G, y[:3], mask=mask[:3], lrs=(0.1,), max_iter=60, first=first)


def test_the_engine_keeps_the_public_defaults():
    """The inner loop (_descend, called by the step search and P3's recovery without restating
    every option) has the same defaults as gradient_descent, so no caller's run drifts."""
    import inspect

    from lib.methods.gradient import _descend

    public = inspect.signature(gradient_descent).parameters
    inner = inspect.signature(_descend).parameters
    shared = [k for k in inner if k in public and inner[k].default is not inspect.Parameter.empty]
    assert len(shared) == 8  # lr, max_iter, optimizer, momentum, decay, decay_every, betas, tol
    for k in shared:
        assert inner[k].default == public[k].default, k
