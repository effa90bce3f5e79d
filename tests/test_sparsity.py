"""Tests of lib.theory.sparsity against independent brute force (P1 Defs 1-3, Thm 1, Cor 1, ICLR
Thm 2)."""

import itertools
import math

import numpy as np
import pytest
import torch

from lib.core.generator import Generator
from lib.theory.sparsity import (
    mu_s,
    mu_s_estimate,
    mutual_coherence,
    plant_collision,
    same_layer_collision,
    search_collision,
    spark,
    spark_bounds,
    sub_rank,
    sub_rank_estimate,
    sub_spark,
    unique_by_ranks,
    uniqueness_certificate,
)


def brute_spark(A):
    """Independent check: smallest k with a k-column subset whose Gram determinant vanishes."""
    m = A.shape[1]
    for k in range(1, m + 1):
        for cols in itertools.combinations(range(m), k):
            Gm = A[:, cols].T @ A[:, cols]
            if abs(np.linalg.det(Gm)) < 1e-9 * max(1.0, np.abs(Gm).max()) ** k:
                return k
    return math.inf


def brute_coherence(A):
    best = 0.0
    for i in range(A.shape[1]):
        for j in range(A.shape[1]):
            if i != j:
                c = abs(A[:, i] @ A[:, j]) / (np.linalg.norm(A[:, i]) * np.linalg.norm(A[:, j]))
                best = max(best, c)
    return best


def test_spark_known_matrices():
    A = np.array([[1.0, 0, 0, 1], [0, 1, 0, 1], [0, 0, 1, 0]])  # w4 = w1 + w2
    assert spark(A) == 3 == brute_spark(A)
    assert spark(np.eye(3)) == math.inf
    assert spark(np.array([[1.0, 0, 2], [0, 0, 1]])) == 1  # a zero column
    B = np.array([[1.0, 2, 1], [2, 4, 0]])  # w2 = 2 w1
    assert spark(B) == 2 == brute_spark(B)


@pytest.mark.parametrize("seed", range(4))
def test_spark_random_and_structured(seed):
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((4, 7))
    assert spark(A) == 5 == brute_spark(A)  # generic: rows + 1
    C = rng.standard_normal((5, 6))
    C[:, 5] = C[:, 0] - 2 * C[:, 3]  # a planted 3-column dependency
    assert spark(C) == brute_spark(C) == 3
    lo, hi = spark_bounds(C)
    assert lo <= spark(C) <= hi


def test_coherence_matches_loop():
    rng = np.random.default_rng(1)
    A = rng.standard_normal((6, 5))
    assert mutual_coherence(A) == pytest.approx(brute_coherence(A), abs=1e-12)
    assert mutual_coherence(np.eye(4)) == 0.0


@pytest.mark.parametrize("seed", range(3))
def test_sub_quantities_match_brute_force(seed):
    rng = np.random.default_rng(seed)
    W = rng.standard_normal((7, 4))
    W[2] = W[0] + W[1]  # make some row subsets rank deficient
    W[:, 3] = W[:, 0] * (np.arange(7) % 2)  # columns that align on some row subsets
    for s in range(1, 8):
        rows = list(itertools.combinations(range(7), s))
        assert sub_rank(W, s) == min(np.linalg.matrix_rank(W[list(r)]) for r in rows)
        assert sub_spark(W, s) == min(brute_spark(W[list(r)]) for r in rows)
        if s >= 1:
            exp = max(
                1.0
                if (np.linalg.norm(W[list(r)], axis=0) < 1e-12).any()
                else brute_coherence(W[list(r)])
                for r in rows
            )
            assert mu_s(W, s) == pytest.approx(exp, abs=1e-12)
            assert mu_s_estimate(W, s, samples=10, seed=0) <= mu_s(W, s) + 1e-12
            assert sub_rank_estimate(W, s, samples=10, seed=0) >= sub_rank(W, s)


def test_exact_functions_refuse_large_enumerations():
    W = np.random.default_rng(0).standard_normal((60, 30))
    with pytest.raises(ValueError, match="max_subsets"):
        sub_rank(W, 30)
    with pytest.raises(ValueError, match="s must be"):
        mu_s(W, 0)


def test_certificate_certifies_small_net():
    G = Generator.random([2, 6, 8], seed=3, std="unit", output="tanh")
    z = torch.tensor([[1.0, 0.5]], dtype=torch.float64)
    cert = uniqueness_certificate(G, z)
    s1 = cert.s[0]
    assert 2 <= s1 < 5  # W_1 is 8 x 6 Gaussian: spark = inf, so Thm 1 needs only s_1 >= n_0
    assert cert.holds("Thm 1") is True
    assert cert.holds("ICLR Thm 2") is True
    assert "Thm 1" in str(cert)


def test_certificate_fails_and_two_latents_collide():
    W0 = torch.tensor([[1.0, 0.0], [-1.0, -1.0], [-1.0, 1.0]], dtype=torch.float64)
    W1 = torch.randn(4, 3, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    G = Generator([W0, W1], output="tanh")
    z, z2 = (
        torch.tensor([[1.0, 0.0]], dtype=torch.float64),
        torch.tensor([[1.0, 0.5]], dtype=torch.float64),
    )
    assert torch.allclose(G(z), G(z2))  # two different latents, one output
    cert = uniqueness_certificate(G, z)
    assert cert.s == [1]
    assert cert.holds("Thm 1") is False
    assert cert.holds("arXiv Cor 1") is False
    assert cert.holds("ICLR Thm 2") is False


# ------------------------------------------------------------------ collisions


def brute_preimages(G, z, tol=1e-9):
    """Independent check: every latent z' with G(z') = G(z) for a one-hidden-layer net with an
    invertible output, by enumerating all 2^{n_1} activation patterns S: z' solves
    W_1 D_S W_0 z' = phi^{-1}(x) by least squares, kept when the residual vanishes and
    ReLU(W_0 z') really has the pattern S. One point per pattern (the least-squares one)."""
    W0, W1 = G.weights
    t = torch.atanh(G(z)[0])
    out = []
    for bits in itertools.product((0, 1), repeat=W0.shape[0]):
        D = torch.tensor(bits, dtype=W0.dtype)
        A = W1 @ (D[:, None] * W0)
        zp = torch.linalg.lstsq(A, t).solution
        a = W0 @ zp
        if torch.linalg.vector_norm(A @ zp - t) > tol * torch.linalg.vector_norm(t):
            continue
        if ((a > 1e-9) & (D == 0)).any() or ((a < -1e-9) & (D == 1)).any():
            continue  # ReLU(W_0 z') does not have the pattern S
        if torch.linalg.vector_norm(G(zp[None])[0] - G(z)[0]) > tol:
            continue
        if all(torch.linalg.vector_norm(zp - q) > 1e-6 for q in out):
            out.append(zp)
    return out


def _collision_net():
    W0 = torch.tensor([[1.0, 0.0], [-1.0, -1.0], [-1.0, 1.0]], dtype=torch.float64)
    W1 = torch.randn(4, 3, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    return Generator([W0, W1], output="tanh")


def test_same_layer_collision_exact_and_only_when_rank_deficient():
    G = _collision_net()
    z = torch.tensor([[1.0, 0.0], [0.3, -2.0]], dtype=torch.float64)
    zw = same_layer_collision(G, z)
    # (1, 0): s_1 = 1 < n_0 = 2, a second latent with bit-for-bit the same output
    assert not torch.isnan(zw[0]).any()
    assert torch.linalg.vector_norm(zw[0] - z[0]) > 1e-3
    assert torch.equal(G(zw[:1]), G(z[:1]))
    # (0.3, -2): units 1 and 2 active, rank 2 = n_0: no same-layer collision
    assert G.forward(z[1:]).cardinalities[0].item() == 2
    assert torch.isnan(zw[1]).all()
    assert not unique_by_ranks(G, z[:1]).any()  # W_1 is 4 x 3: full rank, but W_0^{S_1} is not


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_unique_by_ranks_agrees_with_brute_force(seed):
    G = Generator.random([2, 5, 8], seed=seed, std="fan_in", output="tanh")
    zs = G.sample_latent(8, seed=seed + 10)
    proven = unique_by_ranks(G, zs)
    assert proven.any()
    for b in torch.nonzero(proven)[:, 0].tolist():
        pre = brute_preimages(G, zs[b : b + 1])
        assert len(pre) == 1 and torch.linalg.vector_norm(pre[0] - zs[b]) < 1e-6
    # and where it is not proven here, a second preimage exists (s_1 < n_0 = 2)
    for b in torch.nonzero(~proven)[:, 0].tolist():
        assert G.forward(zs[b : b + 1]).cardinalities[0].item() < 2


def test_plant_collision_and_search_find_it():
    G = Generator.random([2, 8, 6], seed=5, std="fan_in", output="tanh")  # n_1 > n: not provable
    zs = G.sample_latent(12, seed=6)
    full = torch.isnan(same_layer_collision(G, zs)).all(1)
    z_a, z_b = zs[full][:1], zs[full][1:2]
    Gp = plant_collision(G, z_a, z_b)
    assert torch.allclose(Gp(z_a), Gp(z_b), rtol=0, atol=1e-12)
    assert torch.isnan(same_layer_collision(Gp, z_a)).all()  # invisible to the witness
    assert not unique_by_ranks(Gp, z_a).any()
    pre = brute_preimages(Gp, z_a)
    assert any(torch.linalg.vector_norm(p - z_b[0]) < 1e-6 for p in pre)
    r = search_collision(Gp, z_a, starts=16, seed=0)
    assert r.found.all() and r.reached.sum() > 0
    # what it found is a preimage of the brute force (not a near miss)
    assert any(torch.linalg.vector_norm(p - r.z_other[0]) < 1e-5 for p in pre)


def test_search_finds_nothing_where_unique_is_proven():
    G = Generator.random([10, 40, 60], seed=7, std="fan_in", output="tanh")
    zs = G.sample_latent(6, seed=8)
    proven = unique_by_ranks(G, zs)
    assert proven.all()
    r = search_collision(G, zs, starts=8, seed=1)
    assert not r.found.any()
    assert r.reached.sum() > 0  # the search did converge, to z itself
    assert torch.isnan(r.z_other).all()
