"""Tests of lib.pursuit (P1 Algorithms 1-6) on small random networks."""

import numpy as np
import pytest
import torch

from lib.generator import Generator
from lib.metrics import relative_error
from lib.pursuit import (
    batched_lstsq,
    last_layer_fista,
    latent_pursuit,
    layered_basis_pursuit,
    layered_oracle,
    linearized_admm,
    oracle,
)
from lib.sparsity import mutual_coherence

f64 = torch.float64


def test_batched_lstsq_matches_numpy_including_rank_deficient():
    g = torch.Generator().manual_seed(0)
    A = torch.randn(5, 12, 4, generator=g, dtype=f64)
    A[0, :, 3] = A[0, :, 0]  # rank deficient: numpy's lstsq gives the minimum-norm solution
    b = torch.randn(5, 12, generator=g, dtype=f64)
    x = batched_lstsq(A, b)
    for k in range(5):
        ref = np.linalg.lstsq(A[k].numpy(), b[k].numpy(), rcond=None)[0]
        assert np.allclose(x[k].numpy(), ref, atol=1e-9)


def test_oracle_is_least_squares_on_true_supports():
    """P1 Alg. 1 with phi = identity: z = pinv(W_1 D_1 W_0) y on the true support (closed form)."""
    G = Generator.random([4, 20, 30], seed=1, std="fan_in", output="identity")
    z = G.sample_latent(6, seed=2)
    fw = G.forward(z)
    y = fw.out + 1e-2 * torch.randn(
        fw.out.shape, generator=torch.Generator().manual_seed(3), dtype=f64
    )
    r = oracle(G, y, fw.supports)
    W0, W1 = G.weights[0].numpy(), G.weights[1].numpy()
    for b in range(6):
        D = np.diag(fw.supports[0][b].numpy().astype(float))
        ref = np.linalg.lstsq(W1 @ D @ W0, y[b].numpy(), rcond=None)[0]
        assert np.allclose(r.z[b].numpy(), ref, atol=1e-9)
    # layer-wise Oracle (Alg. 6) is also a sequence of closed-form projections
    rl = layered_oracle(G, y, fw.supports)
    for b in range(6):
        S = fw.supports[0][b].numpy()
        x1 = np.zeros(20)
        x1[S] = np.linalg.lstsq(W1[:, S], y[b].numpy(), rcond=None)[0]
        assert np.allclose(rl.x_layer[0][b].numpy(), x1, atol=1e-9)
        zref = np.linalg.lstsq(W0[S], x1[S], rcond=None)[0]
        assert np.allclose(rl.z[b].numpy(), zref, atol=1e-9)


def test_oracle_noiseless_exact_with_tanh_biases_and_mask():
    G = Generator.random([3, 12, 16, 20], seed=4, std="fan_in", bias=True, output="tanh")
    z = G.sample_latent(5, seed=5)
    fw = G.forward(z)
    mask = torch.ones(20, dtype=f64)
    mask[::3] = 0
    r = oracle(G, fw.out, fw.supports, mask=mask)
    assert relative_error(z, r.z).max() < 1e-10


def test_layered_bp_noiseless_exact_under_coherence_condition():
    """P1 Corollary 2: s_1 < 1/(3 mu(W_1)) and lambda_min(W_0^{S_1 T} W_0^{S_1}) > 0 => z exact.
    W_1 with orthonormal columns has mu = 0, so the condition holds for any s_1."""
    g = torch.Generator().manual_seed(6)
    W0 = torch.randn(24, 5, generator=g, dtype=f64)
    Q, _ = torch.linalg.qr(torch.randn(40, 24, generator=g, dtype=f64))
    G = Generator([W0, 3 * Q], output="tanh")
    assert mutual_coherence(G.weights[1]) < 1e-12
    z = torch.randn(8, 5, generator=g, dtype=f64)
    fw = G.forward(z)
    s1 = fw.cardinalities[0]
    assert (s1 >= 5).all()
    for lam in (0.0, 1e-6):
        r = layered_basis_pursuit(G, fw.out, lam=lam, debias_z=False)
        assert relative_error(z, r.z).max() < 1e-6, lam
        assert all(torch.equal(a, b) for a, b in zip(r.supports, fw.supports, strict=True))


def test_layered_bp_noisy_within_theorem2_bound():
    """P1 Theorem 2, eps > 0: ||x_hat_1 - x_1|| < eps_1 and support(x_hat) within the true one."""
    g = torch.Generator().manual_seed(7)
    W0 = torch.randn(24, 5, generator=g, dtype=f64)
    Q, _ = torch.linalg.qr(torch.randn(40, 24, generator=g, dtype=f64))
    G = Generator([W0, Q], output="identity")
    z = torch.randn(8, 5, generator=g, dtype=f64)
    fw = G.forward(z)
    e = torch.randn(fw.out.shape, generator=g, dtype=f64)
    eps = 1e-3
    y = fw.out + eps * e / torch.linalg.vector_norm(e, dim=1, keepdim=True)
    r = layered_basis_pursuit(G, y, eps=eps, debias_z=False)
    s1 = fw.cardinalities[0].to(f64)
    eps1 = (3 + 1.5**0.5) * s1.sqrt() / torch.linalg.vector_norm(Q, dim=0).min() * eps
    err = torch.linalg.vector_norm(r.x_layer[0] - fw.x[0], dim=1)
    assert (err < eps1).all()
    assert (~r.supports[0] | fw.supports[0]).all()  # S_hat is a subset of S


@pytest.mark.parametrize(("dims", "output"), [([5, 30, 40], "tanh"), ([4, 16, 40, 60], "identity")])
def test_latent_pursuit_recovers_z(dims, output):
    """n_0 < s_1 < n: Latent-Pursuit recovers z to 1e-6 relative error (P1 Sec. 6.1)."""
    G = Generator.random(dims, seed=8, std="fan_in", output=output)
    z = G.sample_latent(8, seed=9)
    fw = G.forward(z)
    assert (fw.cardinalities[0] > dims[0]).all()
    r = latent_pursuit(G, fw.out, max_iter=20000)
    assert relative_error(z, r.z).max() < 1e-6
    assert r.status == "ok"
    # without debiasing the ADMM/FISTA estimate itself is already close
    r2 = latent_pursuit(G, fw.out, debias_z=False, max_iter=20000)
    assert relative_error(z, r2.z).max() < 1e-4


def test_latent_pursuit_with_biases_and_mask():
    G = Generator.random([3, 16, 40, 50], seed=10, std="fan_in", bias=True, output="tanh")
    z = G.sample_latent(6, seed=11)
    fw = G.forward(z)
    mask = (torch.arange(50) % 4 != 0).to(f64)
    y = fw.out.clone()
    y[:, mask == 0] = 5.0  # hidden pixels carry garbage: they must not enter the data term
    r = latent_pursuit(G, y, mask=mask, max_iter=20000)
    assert relative_error(z, r.z).max() < 1e-6


def test_fista_objective_decreases_and_kkt_holds():
    """P1 Alg. 3: final objective below the start, x >= 0, and projected gradient ~ 0."""
    G = Generator.random([5, 30, 40], seed=12, std="fan_in", output="tanh")
    fw = G.forward(G.sample_latent(4, seed=13))
    y = fw.out
    lam = 1e-3
    x, its, conv = last_layer_fista(G, y, lam=lam, max_iter=20000, tol=1e-12)
    assert conv.all() and (x >= 0).all()
    W = G.weights[1]

    def obj(x):
        return 0.5 * ((torch.tanh(x @ W.T) - y) ** 2).sum(1) + lam * x.sum(1)

    assert (obj(x) < obj(torch.zeros_like(x))).all()
    a = x @ W.T
    grad = ((1 - torch.tanh(a) ** 2) * (torch.tanh(a) - y)) @ W + lam
    assert (grad[x > 0].abs() < 1e-6).all()  # stationary on the support
    assert (grad[x == 0] > -1e-6).all()  # and no descent direction into x > 0


def test_admm_constraints_met_at_convergence():
    """P1 Alg. 4 / Eq. 9: x >= 0 and W^{S^c} x <= 0 (to tolerance), data term fitted on S."""
    G = Generator.random([6, 25, 40], seed=14, std="fan_in")
    fw = G.forward(G.sample_latent(5, seed=15))
    x1, x2 = fw.x[0], None
    W = G.weights[0]
    z, its, conv = linearized_admm(W, G.bias(0), x1, gamma=0.0, max_iter=50000, tol=1e-12)
    assert conv.all()
    S = x1 > 0
    Wz = z @ W.T
    assert (Wz[~S] <= 1e-8).all()
    assert torch.allclose(Wz[S], x1[S], atol=1e-8)
    del x2


def test_bad_inputs_are_named():
    G = Generator.random([3, 8, 10], seed=0)
    with pytest.raises(ValueError, match="y must have shape"):
        latent_pursuit(G, torch.zeros(2, 9, dtype=f64))
    with pytest.raises(ValueError, match="supports"):
        oracle(G, torch.zeros(2, 10, dtype=f64), [])
    with pytest.raises(ValueError, match="lam"):
        layered_basis_pursuit(G, torch.zeros(2, 10, dtype=f64), lam=[0.0, 0.0])
