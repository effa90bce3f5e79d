"""Tests of lib.core.convnet (P3): transposed convolutions as matrices, the Fig. 2 permutation, conv
generators, masks, recovery and landscapes."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from lib.book import experiments
from lib.core import convnet as conv
from lib.core import metrics
from lib.core import observation as measurements
from lib.methods import recovery
from lib.methods.gradient import gradient_descent
from lib.theory import landscapes

F64 = torch.float64


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """These networks are tiny: one torch thread is much faster than two on a loaded CPU."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


@pytest.mark.parametrize(
    "C_in, C_out, kernel, in_size, stride, padding",
    [
        (1, 1, (3,), (4,), 1, 0),
        (3, 2, (5,), (7,), 3, 0),
        (2, 4, (4,), (5,), 2, 1),
        (2, 3, (2, 2), (3, 3), 2, 0),
        (4, 2, (5, 5), (3, 4), 3, 1),
        (1, 16, (5, 5), (1, 1), 3, 0),
        (3, 1, (3, 2), (2, 5), 1, 0),
    ],
)
def test_matrix_equals_torch_conv_transpose(C_in, C_out, kernel, in_size, stride, padding):
    gen = torch.Generator().manual_seed(0)
    w = torch.randn(C_in, C_out, *kernel, generator=gen, dtype=F64)
    z = torch.randn(5, C_in, *in_size, generator=gen, dtype=F64)
    W = conv.conv_transpose_matrix(w, in_size, stride, padding)
    f = F.conv_transpose1d if len(in_size) == 1 else F.conv_transpose2d
    ref = f(z, w, stride=stride, padding=padding).reshape(5, -1)
    assert W.is_sparse and W.shape == (ref.shape[1], z[0].numel())
    got = (W @ z.reshape(5, -1).T).T
    assert torch.allclose(got, ref, rtol=0, atol=1e-12)
    # every entry of W is a filter tap: the number of nonzeros is at most C_in C_out |q| |a|
    assert W._nnz() <= w.numel() * z[0, 0].numel()


def test_matrix_brute_force_1d():
    """Column (i, q) of W is the response to the unit input e_{i,q}: build W column by column."""
    gen = torch.Generator().manual_seed(1)
    w = torch.randn(2, 3, 4, generator=gen, dtype=F64)
    W = conv.conv_transpose_matrix(w, 5, stride=2, padding=1).to_dense()
    cols = []
    for k in range(2 * 5):
        e = torch.zeros(2 * 5, dtype=F64)
        e[k] = 1
        cols.append(F.conv_transpose1d(e.reshape(1, 2, 5), w, stride=2, padding=1).reshape(-1))
    assert torch.equal(W, torch.stack(cols, 1))


@pytest.mark.parametrize(
    "C_in, C_out, kernel, in_size",
    [(2, 3, (4,), (5,)), (3, 2, (2, 3), (2, 4)), (1, 16, (5, 5), (1, 1))],
)
def test_block_permutation(C_in, C_out, kernel, in_size):
    gen = torch.Generator().manual_seed(2)
    w = torch.randn(C_in, C_out, *kernel, generator=gen, dtype=F64)
    W = conv.conv_transpose_matrix(w, in_size, stride=kernel, padding=0).to_dense()
    rows, cols = conv.block_permutation(C_in, C_out, in_size, kernel)
    assert sorted(rows.tolist()) == list(range(W.shape[0]))
    assert sorted(cols.tolist()) == list(range(W.shape[1]))
    Bk = conv.filter_block(w)
    n_blocks = torch.tensor(in_size).prod().item()
    assert torch.equal(W[rows][:, cols], torch.block_diag(*[Bk] * n_blocks))
    # the block holds every tap exactly once: B[(j, a), i] = f_{i,j}[a]
    assert torch.equal(Bk[1 * torch.tensor(kernel).prod().item()], w[:, 1].reshape(C_in, -1)[:, 0])


def test_permutation_fails_when_stride_differs():
    """With overlapping patches (stride < kernel) the permuted matrix is not block-diagonal."""
    w = torch.randn(2, 2, 5, generator=torch.Generator().manual_seed(3), dtype=F64)
    W = conv.conv_transpose_matrix(w, 4, stride=5, padding=0).to_dense()
    W3 = conv.conv_transpose_matrix(w, 4, stride=3, padding=0).to_dense()
    rows, cols = conv.block_permutation(2, 2, 4, 5)
    assert torch.equal(W[rows][:, cols], torch.block_diag(*[conv.filter_block(w)] * 4))
    assert W3.shape[0] < W.shape[0]  # patches overlap: fewer output pixels than taps


@pytest.mark.parametrize("hidden", ["relu", "leaky_relu", "sigmoid", "tanh"])
def test_generator_batched_matches_per_network(hidden):
    G = conv.ConvGenerator.random(
        [3, 4, 2],
        in_size=(2, 2),
        kernel=3,
        stride=2,
        padding=1,
        seed=4,
        n_networks=3,
        hidden=hidden,
    )
    z = G.sample_latent(3, seed=5)
    x = G(z)
    assert x.shape == (3, G.dims[-1])
    for b in range(3):
        h = z[b].reshape(1, *G.in_shape)
        for l, K in enumerate(G.kernels):
            act = G.output if l == 1 else G.hidden
            h = conv.activation(act, F.conv_transpose2d(h, K[b], stride=2, padding=1), G.slope)
        assert torch.allclose(x[b], h.reshape(-1), atol=1e-14)


def test_to_generator_and_gradient_descent_agree():
    G = conv.ConvGenerator.random([2, 4, 1], in_size=(1, 1), kernel=5, stride=3, seed=6)
    z = G.sample_latent(4, seed=7)
    Gd = G.to_generator()
    assert torch.allclose(Gd(z), G(z), atol=1e-14)
    assert Gd.dims == G.dims
    y = G(z)
    r1 = gradient_descent(G, y, optimizer="adam", lr=0.05, max_iter=50, seed=1)
    r2 = gradient_descent(Gd, y, optimizer="adam", lr=0.05, max_iter=50, seed=1)
    assert torch.allclose(r1.z, r2.z, atol=1e-10)
    with pytest.raises(ValueError, match="hidden"):
        conv.ConvGenerator.random(
            [2, 4, 1], in_size=(1, 1), kernel=5, stride=3, seed=6, hidden="tanh"
        ).to_generator()


def test_weight_distributions_and_variance():
    G = conv.ConvGenerator.random(
        [8, 16, 4], in_size=(1, 1), kernel=3, stride=3, seed=8, n_networks=50
    )
    for K, C_out in zip(G.kernels, (16, 4), strict=True):
        assert abs(K.var().item() * C_out * 9 - 1) < 0.05  # N(0, 1/(C_i l)), l = 9
    for dist in ("uniform", "rademacher"):
        K = conv.ConvGenerator.random(
            [8, 16], in_size=(1, 1), kernel=3, stride=3, seed=8, n_networks=50, dist=dist
        ).kernels[0]
        assert abs(K.var().item() * 16 * 9 - 1) < 0.05 and abs(K.mean().item()) < 0.01
    K = conv.ConvGenerator.random(
        [8, 16], in_size=(1, 1), kernel=3, stride=3, seed=8, dist="uniform01"
    ).kernels[0]
    assert K.min() >= 0 and K.max() <= 1


def test_masks():
    m = measurements.random_mask(100, 0.3, B=4, seed=0)
    assert m.shape == (4, 100) and m.dtype == torch.bool and (m.sum(1) == 30).all()
    assert not torch.equal(m[0], m[1])
    shape = (1, 4, 6)
    top = measurements.band_mask(shape, 0.5, "top").reshape(4, 6)
    assert top[:2].all() and not top[2:].any()
    right = measurements.band_mask(shape, 0.5, "right").reshape(4, 6)
    assert right[:, 3:].all() and not right[:, :3].any()
    bottom = measurements.band_mask(shape, 0.75, "bottom").reshape(4, 6)
    assert bottom[1:].all() and not bottom[0].any()
    assert measurements.make_masks("left", shape, 0.5, B=3, seed=0).shape == (3, 24)
    with pytest.raises(ValueError, match="side"):
        measurements.band_mask(shape, 0.5, "middle")
    with pytest.raises(ValueError, match="r="):
        measurements.random_mask(10, 0.0, seed=0)


def test_recover_exact_and_negation_restart():
    """Full observation of an expansive ReLU net: z* is recovered; a start at -z* (the other
    critical region of P3 Thm. 1) is rescued by the negation restart when GD stalls there."""
    G = conv.ConvGenerator.random(
        [4, 16, 4], in_size=(1, 1), kernel=2, stride=2, seed=9, n_networks=8
    )
    z = G.sample_latent(8, seed=10)
    y = G(z)
    res = recovery.recover(G, y, lr=0.05, max_iter=1500, seed=11)
    err = ((res.z - z).norm(dim=1) / z.norm(dim=1)).max().item()
    assert err < 1e-4
    # starting exactly at -z*: if GD stalls there, the negation restart starts again from z*
    res2 = recovery.recover(G, y, z0=-z, lr=0.05, max_iter=1500)
    assert ((res2.z - z).norm(dim=1) / z.norm(dim=1)).max().item() < 1e-4
    res3 = recovery.recover(G, y, z0=-z, lr=0.05, max_iter=1500, negation_restart=False)
    assert (res3.restarted == 0).all()
    assert (res2.loss <= res3.loss + 1e-12).all()


def test_landscape_minimum_at_truth():
    G = conv.ConvGenerator.random(
        [2, 16, 1], in_size=(1, 1), kernel=5, stride=3, seed=12, std="unit"
    )
    zs = torch.tensor([0.7, -0.4], dtype=F64)
    y = G(zs)[0]
    mask = measurements.random_mask(y.numel(), 0.5, seed=0)[0]
    t1, t2, Z = landscapes.latent_grid(zs, 2.0, 21)
    J = landscapes.cost_landscape(G, y * mask, Z, mask)
    assert J.shape == (441,)
    assert J.argmin().item() == 10 * 21 + 10 and J.min().item() < 1e-20
    # the same values as a direct evaluation
    Jd = 0.5 * (((G(Z) - y) * mask) ** 2).sum(1)
    assert torch.allclose(J, Jd)


def test_bad_input():
    G = conv.ConvGenerator.random([2, 3], in_size=(2,), kernel=3, stride=1, seed=0, n_networks=2)
    with pytest.raises(ValueError, match="rows"):
        G(torch.zeros(3, 4, dtype=F64))
    with pytest.raises(ValueError, match="in_shape"):
        conv.ConvGenerator([torch.zeros(2, 3, 3)], (2,), [1], [0])
    with pytest.raises(ValueError, match="weight"):
        conv.conv_transpose_matrix(torch.zeros(2, 3), 4)


def test_transition_point():
    rates = (0.1, 0.2, 0.4, 0.8)
    assert landscapes.transition_point(rates, (0.0, 0.25, 0.75, 1.0)) == pytest.approx(0.3)
    assert landscapes.transition_point(rates, (0.6, 1, 1, 1)) == 0.1
    assert torch.isnan(torch.tensor(landscapes.transition_point(rates, (0, 0, 0.2, 0.4))))


def test_bootstrap_interval_of_a_rate_matches_the_normal_approximation():
    # an independent reference: for a mean of 400 Bernoulli(0.3) trials the percentile
    # bootstrap and p +- 1.96 sqrt(p (1 - p) / n) agree to about 0.01
    import numpy as np

    from lib.core.metrics import bootstrap_interval

    x = np.zeros(400)
    x[:120] = 1
    lo, hi = bootstrap_interval(np.mean, x, seed=1)
    half = 1.96 * (0.3 * 0.7 / 400) ** 0.5
    assert lo == pytest.approx(0.3 - half, abs=0.01) and hi == pytest.approx(0.3 + half, abs=0.01)
    assert bootstrap_interval(np.mean, np.ones(8)) == (1.0, 1.0)  # no spread, no width


def test_bootstrap_interval_of_a_transition_point():
    import numpy as np

    from lib.core.metrics import bootstrap_interval

    rates = (0.1, 0.2, 0.3, 0.4)
    # 8 trials: each recovers from its own threshold rate on
    start = np.array([0, 1, 1, 2, 2, 2, 3, 3])
    succ = (np.arange(4)[None, :] >= start[:, None]).astype(float)
    point = landscapes.transition_point(rates, succ.mean(0))
    lo, hi = bootstrap_interval(
        lambda s: landscapes.transition_point(rates, s.mean(0)), succ, seed=0
    )
    assert 0.1 <= lo <= point <= hi <= 0.4
    # replicating the trials 16 times narrows the interval around the same point
    lo2, hi2 = bootstrap_interval(
        lambda s: landscapes.transition_point(rates, s.mean(0)), np.repeat(succ, 16, 0), seed=0
    )
    assert lo <= lo2 <= point <= hi2 <= hi and hi2 - lo2 < hi - lo
    # a resample that never reaches 50 % counts as beyond the grid
    never = np.zeros((8, 4))
    never[0] = 1
    _, hi = bootstrap_interval(
        lambda s: landscapes.transition_point(rates, s.mean(0)), never, seed=0
    )
    assert hi == float("inf")


def test_recovery_sweep_shapes_and_masks():
    G = conv.ConvGenerator.random(
        [2, 8, 1], in_size=(2, 2), kernel=5, stride=3, seed=13, n_networks=3
    )
    z = G.sample_latent(3, seed=14)
    sw = experiments.recovery_sweep(
        G, z, kinds=["random", "top"], rates=(0.05, 1.0), seed=15, max_iter=400, lr=0.1
    )
    assert sw.success.shape == (3, 2, 2) and sw.prob.shape == (2, 2)
    # the full output (r = 1) of an expansive network is always recovered
    assert sw.success[:, :, 1].all()
    assert set(sw.transitions()) == {"random", "top"}


# ----------------------------------------------------------------------------- biases (issue 13)
def _brute_force(G, z):
    """G(z) layer by layer with torch's conv_transpose2d, one network at a time."""
    out = []
    for b in range(z.shape[0]):
        h = z[b].reshape(1, *G.in_shape)
        for l_, K in enumerate(G.kernels):
            Kb = K[b] if G.kernel_batched else K
            a = F.conv_transpose2d(h, Kb, stride=G.stride[l_], padding=G.padding[l_])
            bias = G.biases[l_]
            if bias is not None:
                bias = bias[b] if bias.ndim == 4 else bias
                a = a + bias.expand(a.shape[1:])
            act = G.output if l_ == len(G.kernels) - 1 else G.hidden
            h = conv.activation(act, a, G.slope)
        out.append(h.reshape(-1))
    return torch.stack(out)


@pytest.mark.parametrize("kernel_batched", [False, True])
def test_biases_per_channel_map_and_per_network(kernel_batched):
    gen = torch.Generator().manual_seed(20)
    N = 3
    base = conv.ConvGenerator.random(
        [3, 4, 2],
        in_size=(2, 2),
        kernel=3,
        stride=2,
        padding=1,
        seed=21,
        n_networks=N if kernel_batched else None,
        hidden="leaky_relu",
        output="tanh",
    )
    C1, *D1 = base.shapes[1]
    biases = [
        torch.randn(N, C1, *D1, generator=gen, dtype=F64),  # per network, full map
        torch.randn(2, generator=gen, dtype=F64),  # per channel, shared
    ]
    G = conv.ConvGenerator(
        base.kernels,
        base.in_shape,
        base.stride,
        base.padding,
        "leaky_relu",
        "tanh",
        0.2,
        {},
        biases,
    )
    assert G.batched and G.n_networks == N and G.kernel_batched == kernel_batched
    z = G.sample_latent(N, seed=22)
    assert torch.allclose(G(z), _brute_force(G, z), rtol=0, atol=1e-14)
    # the dense layered Generator (explicit matrices and flat bias vectors): the same map
    for b in range(N):
        Gd = G.to_generator(network=b)
        assert Gd.hidden == "leaky_relu" and Gd.output == "tanh" and Gd.slope == 0.2
        assert torch.allclose(Gd(z[b]), G(z)[b : b + 1], rtol=0, atol=1e-13)
    # select / repeat keep each row with its own bias
    sub = G.select(torch.tensor([2, 0]))
    assert torch.allclose(sub(z[[2, 0]]), G(z)[[2, 0]], atol=1e-15)
    rep = G.repeat(2)
    assert rep.n_networks == 2 * N
    assert torch.allclose(rep(z.repeat_interleave(2, 0)), G(z).repeat_interleave(2, 0))


def test_bias_shapes_checked():
    G = conv.ConvGenerator.random([2, 3, 1], in_size=(1, 1), kernel=4, stride=2, seed=0)
    K, s, p = G.kernels, G.stride, G.padding
    with pytest.raises(ValueError, match=r"biases\[0\]"):
        conv.ConvGenerator(K, G.in_shape, s, p, biases=[torch.zeros(5), None])
    with pytest.raises(ValueError, match=r"biases\[1\]"):
        conv.ConvGenerator(K, G.in_shape, s, p, biases=[None, torch.zeros(1, 9, 9)])
    with pytest.raises(ValueError, match="biases: expected 2"):
        conv.ConvGenerator(K, G.in_shape, s, p, biases=[None])
    with pytest.raises(ValueError, match="same number of networks"):
        conv.ConvGenerator(
            K, G.in_shape, s, p, biases=[torch.zeros(4, 3, 4, 4), torch.zeros(5, 1, 10, 10)]
        )
    with pytest.raises(ValueError, match="NaN"):
        conv.ConvGenerator(K, G.in_shape, s, p, biases=[torch.full((3,), float("nan")), None])


def test_sample_latent_and_weight_scale_shared_with_generator():
    """One rule for latents and weight scales (issue 11 item 7): ConvGenerator reuses
    lib.core.generator's."""
    from lib.core.generator import Generator

    assert conv.ConvGenerator.sample_latent is Generator.sample_latent
    G = conv.ConvGenerator.random([2, 4, 1], in_size=(1, 1), kernel=5, stride=3, seed=6)
    Gd = G.to_generator()
    assert torch.equal(G.sample_latent(4, seed=3, std=2.0), Gd.sample_latent(4, seed=3, std=2.0))
    # the scale rules: fan_out 1/sqrt(C_i l) (P3 Thm. 1), fan_in 1/sqrt(C_{i-1} l), numbers
    for std, want in (("fan_out", 16 * 9), ("fan_in", 8 * 9)):
        K = conv.ConvGenerator.random(
            [8, 16], in_size=(1, 1), kernel=3, stride=3, seed=8, n_networks=50, std=std
        ).kernels[0]
        assert abs(K.var().item() * want - 1) < 0.05
    with pytest.raises(ValueError, match="std="):
        conv.ConvGenerator.random([2, 3], in_size=(1,), kernel=3, stride=1, seed=0, std="big")


# ----------------------------------------------------------------------------- the result type
def test_recovery_result_is_an_inversion_result():
    from lib.core.result import InversionResult

    G = conv.ConvGenerator.random(
        [4, 16, 4], in_size=(1, 1), kernel=2, stride=2, seed=9, n_networks=6
    )
    z = G.sample_latent(6, seed=10)
    mask = measurements.make_masks("random", G.out_shape, 0.5, B=6, seed=1)
    res = recovery.recover(G, G(z) * mask, mask=mask, lr=0.05, max_iter=1500, seed=11)
    assert isinstance(res, InversionResult) and res.method.startswith("P3 recovery")
    assert len(res.status) == 6 and res.iterations.dtype == torch.long
    assert [x.shape for x in res.layers] == [(6, G.dims[1])]
    # status: fitted exactly where the relative residual is below fit_tol = 1e-4
    conv_ = torch.tensor([s == "fitted" for s in res.status])
    assert torch.equal(conv_, (res.rel_residual <= 1e-4).cpu())
    assert torch.equal(res.ok, conv_)
    err = (res.z - z).norm(dim=1) / z.norm(dim=1)
    assert (err[conv_] < 1e-3).all()
    # a tiny budget ends in 'budget', with the steps of both runs counted
    short = recovery.recover(G, G(z) * mask, mask=mask, lr=0.05, max_iter=3, seed=11)
    assert set(short.status) == {"budget"} and (short.iterations == 6).all()


def test_recover_reports_divergence():
    """Plain gradient descent with an absurd step size: the loss becomes inf; both runs
    diverge and the signal says so (not 'budget', not 'fitted')."""
    G = conv.ConvGenerator.random(
        [2, 8, 1],
        in_size=(1, 1),
        kernel=3,
        stride=3,
        seed=5,
        hidden="leaky_relu",
        output="identity",
    )
    z = G.sample_latent(2, seed=1)
    res = recovery.recover(G, G(z), optimizer="gd", lr=1e200, max_iter=20, seed=2)
    assert res.status == ["diverged", "diverged"]
    assert torch.isfinite(res.z).all()


@pytest.mark.parametrize(
    "kw, match",
    [
        (dict(lr=-0.1), "lr="),
        (dict(lr=float("nan")), "lr="),
        (dict(max_iter=-1), "max_iter="),
        (dict(max_iter=2.5), "max_iter="),
        (dict(fit_tol=0.0), "fit_tol="),
        (dict(mask=torch.ones(5, dtype=torch.bool)), "mask"),
        (dict(mask=torch.full((9,), 0.5)), "mask"),
        (dict(y_inf=True), "y contains inf"),
        (dict(y_nan=True), "y contains NaN"),
    ],
)
def test_recover_bad_input_names_the_argument(kw, match):
    G = conv.ConvGenerator.random([2, 3, 1], in_size=(1, 1), kernel=3, stride=1, seed=0)
    y = G(G.sample_latent(1, seed=1))
    if kw.pop("y_inf", False):
        y[0, 3] = float("inf")
    if kw.pop("y_nan", False):
        y[0, 3] = float("nan")
    with pytest.raises(ValueError, match=match):
        recovery.recover(G, y, **kw)


def test_recover_ignores_hidden_entries_of_y():
    """Entries outside the mask play no part: garbage there gives the same answer."""
    G = conv.ConvGenerator.random([2, 8, 1], in_size=(1, 1), kernel=5, stride=3, seed=3)
    z = G.sample_latent(3, seed=4)
    mask = measurements.make_masks("top", G.out_shape, 0.5, B=3, seed=0)
    y = G(z)
    y_garbage = torch.where(mask, y, torch.full_like(y, 123.0))
    a = recovery.recover(G, y * mask, mask=mask, max_iter=200, seed=5)
    b = recovery.recover(G, y_garbage, mask=mask, max_iter=200, seed=5)
    assert torch.equal(a.z, b.z) and a.status == b.status


def test_wilson_interval():
    """Against the closed form at k = 0 (upper end z^2 / (n + z^2)) and a textbook value."""
    lo, hi = metrics.wilson_interval(0, 100)
    assert lo == 0 and hi == pytest.approx(1.96**2 / (100 + 1.96**2))
    lo, hi = metrics.wilson_interval(95, 100)  # Wilson (1927): 0.888 .. 0.978
    assert (round(lo, 3), round(hi, 3)) == (0.888, 0.978)
    assert metrics.wilson_interval(0, 0) == (0.0, 1.0)
    with pytest.raises(ValueError, match="k="):
        metrics.wilson_interval(5, 3)


def test_random_per_layer_stride_padding():
    """A DCGAN-shaped random generator (stride 1 then 2, padding 0 then 1): 1x1 -> 4x4 -> 8x8."""
    G = conv.ConvGenerator.random(
        [3, 4, 1], in_size=(1, 1), kernel=4, stride=(1, 2), padding=(0, 1), seed=0
    )
    assert G.shapes == [(3, 1, 1), (4, 4, 4), (1, 8, 8)]


def test_wilson_interval_contains_the_rate():
    """Rounding must not put the rate outside its interval (error bars need p - lo, hi - p >= 0)."""
    for n in (1, 7, 8, 16, 100, 1000):
        for k in range(n + 1):
            lo, hi = metrics.wilson_interval(k, n)
            assert lo <= k / n <= hi
