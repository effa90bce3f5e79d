"""The batched uniqueness certificate (lib.theory.sparsity.certify, issue 12 X-cert) against the
one-latent brute-force certificate and exact enumeration on small nets."""

import math

import numpy as np
import pytest
import torch

from lib.core.generator import Generator
from lib.methods.pursuit import latent_pursuit
from lib.theory.sparsity import (
    FAILS,
    HOLDS,
    UNDETERMINED,
    certify,
    spark,
    sub_rank,
    sub_spark,
    uniqueness_certificate,
)

f64 = torch.float64
NETS = [([2, 6, 8], 3, False), ([2, 5, 7, 9], 4, True), ([3, 6, 6, 10], 5, False)]


def _word(v: int):
    return {HOLDS: True, FAILS: False, UNDETERMINED: None}[v]


@pytest.mark.parametrize(("dims", "seed", "bias"), NETS)
def test_batched_certificate_agrees_with_brute_force(dims, seed, bias):
    G = Generator.random(dims, seed=seed, std="unit", bias=bias, output="tanh")
    z = G.sample_latent(24, seed=seed + 1)
    cert = certify(G, z, max_subsets=10**6)
    assert len(cert) == 24
    for b in range(24):
        one = uniqueness_certificate(G, z[b : b + 1], max_subsets=10**6)
        assert cert.s[b].tolist() == one.s
        for src in ("Thm 1", "Thm 1 (support)", "arXiv Cor 1", "ICLR Thm 2"):
            mine, ref = _word(int(cert.holds(src)[b])), one.holds(src)
            if src == "Thm 1 (support)" and (mine is None or ref is None):
                continue  # both bracket a rank-deficient spark with proven bounds
            assert mine == ref, (src, b, cert[b], str(one))


@pytest.mark.parametrize(("dims", "seed", "bias"), NETS)
def test_bounds_bracket_the_exact_values(dims, seed, bias):
    G = Generator.random(dims, seed=seed, std="unit", bias=bias, output="tanh")
    z = G.sample_latent(16, seed=seed + 2)
    cert = certify(G, z, max_subsets=0)  # no enumeration: bounds only
    fw = G.forward(z)
    L = G.L
    for i in range(L - 1, 0, -1):
        lo, hi = cert.bounds[f"sub-spark(W_{i},s_{i + 1})"]
        for b in range(16):
            sv = int(fw.supports[i][b].sum())
            if sv == 0:
                continue
            exact = sub_spark(G.weights[i].numpy(), sv)
            assert lo[b] <= exact <= hi[b]
    lo, hi = cert.bounds["sub-rank(W_0,s_1)"]
    for b in range(16):
        sv = int(fw.supports[0][b].sum())
        if sv:
            assert lo[b] <= sub_rank(G.weights[0].numpy(), sv) <= hi[b]
    # a decided condition agrees with the exact certificate
    exact = certify(G, z, max_subsets=10**6)
    for k, v in cert.conditions.items():
        det = v != UNDETERMINED
        assert torch.equal(v[det], exact.conditions[k][det]), k


def test_ranks_of_the_support_restricted_matrices():
    G = Generator.random([3, 8, 12, 14], seed=7, std="unit", output="tanh")
    z = G.sample_latent(10, seed=8)
    mask = torch.arange(14) % 3 != 0
    cert = certify(G, z, mask=mask, max_subsets=0)
    fw = G.forward(z)
    W0, W1, W2 = (W.numpy() for W in G.weights)
    for b in range(10):
        S1, S2 = fw.supports[0][b].numpy(), fw.supports[1][b].numpy()
        assert cert.rank["W_2[M,S_2]"][b] == np.linalg.matrix_rank(W2[mask.numpy()][:, S2])
        assert cert.rank["W_1[S_2,S_1]"][b] == np.linalg.matrix_rank(W1[S2][:, S1])
        assert cert.rank["W_0[S_1]"][b] == np.linalg.matrix_rank(W0[S1])
    assert (cert.n_observed == int(mask.sum())).all()


def test_mask_makes_the_last_layer_rank_deficient():
    """Observing fewer rows than columns: spark(W_L^M) is finite and exact by enumeration."""
    G = Generator.random([2, 6, 8], seed=3, std="unit", output="tanh")
    z = G.sample_latent(4, seed=1)
    mask = torch.zeros(8, dtype=torch.bool)
    mask[:4] = True
    cert = certify(G, z, mask=mask, max_subsets=10**6)
    lo, hi = cert.bounds["spark(W_1^M)"]
    sp = spark(G.weights[1].numpy()[:4])
    assert sp == 5 and (lo == sp).all() and (hi == sp).all()
    s1 = cert.s[:, 0]
    assert torch.equal(cert.conditions["Thm 1: x_1"] == HOLDS, s1 < sp / 2)


def test_failing_net_and_attachment_to_a_result():
    W0 = torch.tensor([[1.0, 0.0], [-1.0, -1.0], [-1.0, 1.0]], dtype=f64)
    W1 = torch.randn(4, 3, generator=torch.Generator().manual_seed(0), dtype=f64)
    G = Generator([W0, W1], output="tanh")
    z = torch.tensor([[1.0, 0.0], [1.0, 0.5]], dtype=f64)
    cert = certify(G, z)
    for src in ("Thm 1", "arXiv Cor 1", "ICLR Thm 2", "rank"):
        assert (cert.holds(src) == FAILS).all(), src
    G2 = Generator.random([3, 16, 40], seed=1, std="fan_in", output="tanh")
    r = latent_pursuit(G2, G2(G2.sample_latent(5, seed=2)))
    r.certificate = certify(G2, r.z)
    assert len(r.certificate) == 5 and "s_1=" in r.certificate[0]
    assert r.certificate.counts()["rank: all"]["holds"] == 5


def test_certificate_input_errors():
    G = Generator.random([2, 6, 8], seed=3, hidden="leaky_relu", slope=0.1, output="tanh")
    with pytest.raises(ValueError, match=r"G\.hidden"):
        certify(G, torch.zeros(1, 2, dtype=f64))
    G = Generator.random([2, 6, 8], seed=3, output="tanh")
    with pytest.raises(ValueError, match="mask"):
        certify(G, torch.zeros(1, 2, dtype=f64), mask=torch.ones(7, dtype=torch.bool))
    with pytest.raises(ValueError, match=r"\bz\b"):
        certify(G, torch.zeros(1, 3, dtype=f64))
    with pytest.raises(ValueError, match="rtol"):
        certify(G, torch.zeros(1, 2, dtype=f64), rtol=0.0)
    assert math.isinf(float(certify(G, torch.ones(1, 2, dtype=f64)).bounds["spark(W_1^M)"][0]))
