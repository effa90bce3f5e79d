"""Tests of lib.methods.pursuit (P1 Algorithms 1-6) on small random networks."""

import numpy as np
import pytest
import torch

from lib.core.generator import Generator
from lib.core.metrics import relative_error
from lib.methods.pursuit import (
    batched_lstsq,
    last_layer_fista,
    latent_pursuit,
    layered_basis_pursuit,
    layered_oracle,
    linearized_admm,
    oracle,
)
from lib.theory.sparsity import mutual_coherence

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


def _pinv_reference(A: np.ndarray, b: np.ndarray, gamma: float) -> np.ndarray:
    """The minimum-norm (ridge) solution through numpy's eigendecomposition of the normal
    equations, dropping eigenvalues below 10 k eps lambda_max (batched_lstsq's cut)."""
    Gm = A.T @ A + gamma * np.eye(A.shape[1])
    lam, V = np.linalg.eigh(Gm)
    keep = lam > 10 * A.shape[1] * np.finfo(float).eps * lam[-1]
    return V[:, keep] @ ((V[:, keep].T @ (A.T @ b)) / lam[keep])


@pytest.mark.parametrize("gamma", [0.0, 0.5])
def test_batched_lstsq_takes_the_pseudo_inverse_on_full_rank_and_deficient_matrices(gamma):
    """Cholesky where the matrix is provably far from singular, eigh elsewhere: every kind in
    one batch, and a shared matrix of each kind, against numpy's pseudo-inverse."""
    g = torch.Generator().manual_seed(1)
    A = torch.randn(6, 40, 9, generator=g, dtype=f64)
    A[1, :, 8] = A[1, :, 2]  # exactly rank deficient
    A[2, :, 8] = A[2, :, 2] + 1e-7 * torch.randn(40, generator=g, dtype=f64)  # Cholesky runs,
    # yet lambda_min / lambda_max (about 1e-15) is below the cut: the pseudo-inverse drops it
    A[3, 5:] = 0  # fewer nonzero rows than columns
    A[4] *= 1e-8  # full rank at a small scale (the cut is relative)
    A[5, :, 0] *= 1e4  # full rank, badly scaled columns
    b = torch.randn(6, 40, generator=g, dtype=f64)
    x = batched_lstsq(A, b, gamma=gamma)
    for k in range(6):
        ref = _pinv_reference(A[k].numpy(), b[k].numpy(), gamma)
        assert np.allclose(x[k].numpy(), ref, rtol=1e-7, atol=1e-9 * np.abs(ref).max())
        xs = batched_lstsq(A[k], b[[k, k]], gamma=gamma)  # one matrix shared by two signals
        assert np.allclose(xs[0].numpy(), ref, rtol=1e-7, atol=1e-9 * np.abs(ref).max())
    x32 = batched_lstsq(A[[0, 4]].float(), b[[0, 4]].float(), gamma=gamma)
    for j, k in enumerate((0, 4)):  # well conditioned in float32 too
        ref = _pinv_reference(A[k].numpy(), b[k].numpy(), gamma)
        assert np.allclose(x32[j].double().numpy(), ref, rtol=1e-3, atol=1e-4 * np.abs(ref).max())


def test_oracle_is_least_squares_on_true_supports():
    """P1 Alg. 1 with phi = identity: z = pinv(W_1 D_1 W_0) y on the true support (closed form)."""
    G = Generator.random([4, 20, 30], seed=1, std="fan_in", output="identity")
    z = G.sample_latent(6, seed=2)
    fw = G.forward(z)
    y = fw.out + 1e-2 * torch.randn(
        fw.out.shape, generator=torch.Generator().manual_seed(3), dtype=f64
    )
    r = oracle(G, y, supports=fw.supports)
    W0, W1 = G.weights[0].numpy(), G.weights[1].numpy()
    for b in range(6):
        D = np.diag(fw.supports[0][b].numpy().astype(float))
        ref = np.linalg.lstsq(W1 @ D @ W0, y[b].numpy(), rcond=None)[0]
        assert np.allclose(r.z[b].numpy(), ref, atol=1e-9)
    # layer-wise Oracle (Alg. 6) is also a sequence of closed-form projections
    rl = layered_oracle(G, y, supports=fw.supports)
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
    r = oracle(G, fw.out, supports=fw.supports, mask=mask)
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
    assert r.status == ["converged"] * 8
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
        oracle(G, torch.zeros(2, 10, dtype=f64), supports=[])
    with pytest.raises(ValueError, match="lam"):
        layered_basis_pursuit(G, torch.zeros(2, 10, dtype=f64), lam=[0.0, 0.0])


# ---------------------------------------------------------------- issue 11 / 12
from lib.core.convnet import ConvGenerator  # noqa: E402
from lib.core.result import InversionResult  # noqa: E402
from lib.methods.pursuit import PursuitResult, fista, support_lstsq  # noqa: E402


def test_results_are_inversion_results_with_per_signal_status():
    G = Generator.random([3, 16, 40, 50], seed=10, std="fan_in", bias=True, output="tanh")
    z = G.sample_latent(6, seed=11)
    fw = G.forward(z)
    for r in (
        latent_pursuit(G, fw.out),
        layered_basis_pursuit(G, fw.out),
        oracle(G, fw.out, supports=fw.supports),
        layered_oracle(G, fw.out, supports=fw.supports),
    ):
        assert isinstance(r, PursuitResult) and isinstance(r, InversionResult)
        assert r.status == ["converged"] * 6, r.method
        assert r.iterations.dtype == torch.long and r.iterations.shape == (6,)
        total = sum(v for v in r.stage_iterations.values()) if r.stage_iterations else 0
        assert torch.equal(r.iterations, torch.as_tensor(total).expand(6))
        assert len(r.layers) == 2 and r.x_layer is r.layers
        assert r.method


def test_polish_returns_the_reference_answer():
    """The fast engine (exact solves on the support, accepted by each stage's optimality test)
    and the paper's iterations alone give the same layers and z (biases, tanh, a mask)."""
    G = Generator.random([3, 16, 40, 50], seed=10, std="fan_in", bias=True, output="tanh")
    z = G.sample_latent(6, seed=11)
    mask = torch.arange(50) % 4 != 0
    y = G(z)
    fast = latent_pursuit(G, y, mask=mask, max_iter=20000)
    ref = latent_pursuit(G, y, mask=mask, max_iter=20000, polish=False)
    assert fast.status == ref.status == ["converged"] * 6
    assert relative_error(ref.z, fast.z).max() < 1e-8
    for a, b in zip(fast.layers, ref.layers, strict=True):
        assert relative_error(b, a).max() < 1e-6
    assert fast.iterations.sum() < ref.iterations.sum() / 10


def test_polish_rejected_when_constraints_bind_keeps_iterating():
    """Noisy data: the relaxed least-squares solution is not the stage's minimiser; the
    optimality test must reject it and the result still equals the reference iterations."""
    G = Generator.random([4, 20, 40], seed=3, std="fan_in", output="identity")
    z = G.sample_latent(5, seed=4)
    y = G(z) + 0.05 * torch.randn(5, 40, generator=torch.Generator().manual_seed(5), dtype=f64)
    fast = latent_pursuit(G, y, max_iter=30000, debias_z=False)
    ref = latent_pursuit(G, y, max_iter=30000, debias_z=False, polish=False)
    assert relative_error(ref.z, fast.z).max() < 1e-6


def test_support_lstsq_matches_numpy_on_each_support():
    g = torch.Generator().manual_seed(1)
    A = torch.randn(30, 8, generator=g, dtype=f64)
    t = torch.randn(4, 30, generator=g, dtype=f64)
    w = (torch.rand(4, 30, generator=g) > 0.3).to(f64)
    F = torch.rand(4, 8, generator=g) > 0.4
    x, ok = support_lstsq(A, t, w, F, shift=0.1, lin=0.2)
    assert ok.all()
    for b in range(4):
        S = F[b].numpy()
        Ab = (A.numpy() * w[b].numpy()[:, None])[:, S]
        H = Ab.T @ Ab + 0.1 * np.eye(S.sum())
        ref = np.linalg.solve(H, Ab.T @ (w[b].numpy() * t[b].numpy()) - 0.2)
        assert np.allclose(x[b].numpy()[S], ref, atol=1e-10)
        assert (x[b].numpy()[~S] == 0).all()
    # a singular support is reported, not solved
    A2 = A.clone()
    A2[:, 1] = A2[:, 0]
    _, ok = support_lstsq(A2, t, torch.ones(30, dtype=f64), None)
    assert not ok.any()


def test_one_fista_for_lasso_and_nonnegative_problems():
    """:func:`fista` with the soft-threshold prox solves the lasso (KKT), used by Alg. 2."""
    g = torch.Generator().manual_seed(2)
    A = torch.randn(20, 10, generator=g, dtype=f64)
    t = torch.randn(3, 20, generator=g, dtype=f64)
    lam = 0.5
    step = torch.full((1, 1), 1 / float(torch.linalg.matrix_norm(A, 2)) ** 2, dtype=f64)

    def grad(v, idx):
        return (v @ A.T - t[idx]) @ A

    def prox(u, mu, idx):
        return torch.sign(u) * torch.relu(u.abs() - mu * lam)

    x, its, conv = fista(grad, prox, torch.zeros(3, 10, dtype=f64), step, max_iter=20000, tol=1e-13)
    assert conv.all() and (its > 0).all()
    gr = (x @ A.T - t) @ A
    on = x != 0
    assert torch.allclose(gr[on], -lam * torch.sign(x[on]), atol=1e-8)
    assert (gr[~on].abs() <= lam + 1e-8).all()


def test_float32_latent_pursuit_recovers_z():
    """float32: tolerances and the support threshold follow the dtype (issue 12)."""
    G = Generator.random([5, 30, 60], seed=8, std="fan_in", output="tanh").to(dtype=torch.float32)
    z = G.sample_latent(16, seed=9)
    r = latent_pursuit(G, G(z))
    assert r.status.count("converged") >= 14
    assert (relative_error(z, r.z) < 1e-4).float().mean() >= 0.85
    with pytest.raises(ValueError, match=r"\btol\b"):
        latent_pursuit(G, G(z), tol=1e-10)


@pytest.mark.parametrize(
    "fn",
    [
        lambda G, y: latent_pursuit(G, y),
        lambda G, y: layered_basis_pursuit(G, y),
        lambda G, y: oracle(G, y, supports=G.forward(torch.zeros(1, 3, dtype=f64)).supports),
        lambda G, y: layered_oracle(
            G, y, supports=G.forward(torch.zeros(1, 3, dtype=f64)).supports
        ),
        lambda G, y: last_layer_fista(G, y),
    ],
)
def test_p1_methods_reject_what_they_cannot_invert(fn):
    G = Generator.random([3, 8, 10], seed=0, output="relu")  # phi = ReLU has no inverse
    with pytest.raises(ValueError, match=r"G\.output.*(Latent-Pursuit|Oracle|Basis-Pursuit)"):
        fn(G, G(G.sample_latent(2, seed=1)))
    G = Generator.random([3, 8, 10], seed=0, hidden="leaky_relu", slope=0.2, output="tanh")
    with pytest.raises(ValueError, match=r"G\.hidden"):
        fn(G, G(G.sample_latent(2, seed=1)))
    G = Generator.random([3, 8, 10], seed=0, output="tanh")
    y = G(G.sample_latent(2, seed=1))
    y[0, 0] = torch.inf
    with pytest.raises(ValueError, match=r"\by\b.*inf"):
        fn(G, y)


def test_conv_generator_gets_the_conversion_hint():
    Gc = ConvGenerator.random([2, 4, 1], in_size=(1, 1), kernel=5, stride=3, seed=6)
    y = Gc(Gc.sample_latent(2, seed=1))
    for fn in (latent_pursuit, layered_basis_pursuit):
        with pytest.raises(TypeError, match="to_generator"):
            fn(Gc, y)


@pytest.mark.parametrize(
    "kw, match",
    [
        (dict(eps=-1.0), r"\beps\b"),
        (dict(s=[3, 4, 5]), r"\bs\b"),
        (dict(s=[0]), r"s\[0\]"),
        (dict(max_iter=0), r"max_iter"),
        (dict(tol=0.0), r"\btol\b"),
        (dict(support_tol=2.0), r"support_tol"),
        (dict(lipschitz=0.0), r"lipschitz"),
        (dict(lam=[0.1, 0.2]), r"\blam\b"),
        (dict(lam=-0.1), r"lam\[0\]"),
    ],
)
def test_layered_bp_parameter_errors_name_the_argument(kw, match):
    G = Generator.random([3, 8, 10], seed=0, output="tanh")
    with pytest.raises(ValueError, match=match):
        layered_basis_pursuit(G, G(G.sample_latent(2, seed=1)), **kw)


@pytest.mark.parametrize(
    "kw, match",
    [
        (dict(rho=0.0), r"\brho\b"),
        (dict(rho=float("nan")), r"\brho\b"),
        (dict(gamma=-1.0), r"\bgamma\b"),
        (dict(max_iter=0), r"max_iter"),
        (dict(tol=-1.0), r"\btol\b"),
        (dict(lam=[0.0, 0.0, 0.0]), r"\blam\b"),
        (dict(support_tol=0.0), r"support_tol"),
    ],
)
def test_latent_pursuit_parameter_errors_name_the_argument(kw, match):
    G = Generator.random([3, 8, 10], seed=0, output="tanh")
    with pytest.raises(ValueError, match=match):
        latent_pursuit(G, G(G.sample_latent(2, seed=1)), **kw)
