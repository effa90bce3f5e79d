"""Tests of lib.sparsity against independent brute force (P1 Defs 1-3, Thm 1, Cor 1, ICLR Thm 2)."""

import itertools
import math

import numpy as np
import pytest
import torch

from lib.generator import Generator
from lib.sparsity import (
    mu_s,
    mu_s_estimate,
    mutual_coherence,
    spark,
    spark_bounds,
    sub_rank,
    sub_rank_estimate,
    sub_spark,
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
