"""X-hybrid (lib.methods.hybrid): layered pursuit + gradient descent, and the support
certificate."""

from __future__ import annotations

import pytest
import torch

from lib.core.generator import Generator
from lib.core.metrics import snr_db
from lib.core.observation import relative_residual
from lib.methods.gradient import gd_step_search
from lib.methods.hybrid import hybrid, support_certificate
from lib.methods.pursuit import latent_pursuit, layered_oracle


def test_hybrid_succeeds_where_each_parent_fails():
    # n_1 = 60 > n = 40 (P1 Sec. 6.1's failing regime for the layered methods): Latent-Pursuit
    # recovers no signal, GD from a random start misses some; the hybrid, with the same
    # budgets, recovers signals that neither parent recovers (GD started at the layered estimate)
    torch.set_num_threads(1)
    G = Generator.random([8, 60, 40], seed=2, std="fan_in", output="tanh")
    z = G.sample_latent(16, seed=102)
    y = G(z)
    lp = snr_db(z, latent_pursuit(G, y, max_iter=300, tol=1e-8).z) >= 60
    gd = snr_db(z, gd_step_search(G, y, lrs=(0.1,), max_iter=300, seed=1).z) >= 60
    h = hybrid(G, y, lrs=(0.1,), max_iter=300, pursuit_max_iter=300, seed=1)
    ok = snr_db(z, h.z) >= 60
    assert not lp.any() and not gd.all()
    assert ok.sum() > gd.sum()
    assert (ok & ~lp & ~gd).sum() >= 3
    # the status reflects the data fit; a success fits y
    assert all(s in ("fitted", "budget") for s in h.status)
    assert bool((h.residual[ok] < 1e-3).all())
    assert all(s == "fitted" for s, r in zip(h.status, h.residual, strict=True) if r <= 1e-6)
    assert set(h.choice) <= {"layered", "polished", "gd"}


def test_hybrid_keeps_an_exact_layered_answer():
    # 2 n_0 < n_1 < n: Latent-Pursuit is exact and certified; the rule accepts it, no random start
    G = Generator.random([6, 20, 40], seed=3, std="fan_in", output="tanh")
    z = G.sample_latent(8, seed=4)
    h = hybrid(G, G(z), max_iter=200, pursuit_max_iter=300)
    ok = snr_db(z, h.z) >= 60
    assert bool(ok[h.certified].all()) and h.certified.sum() >= 6
    assert bool(h.accepted[h.certified].all())
    assert "gd" not in [c for c, a in zip(h.choice, h.accepted.tolist(), strict=True) if a]


def test_hybrid_rejects_a_generator_without_a_layered_parent():
    G = Generator.random([3, 8, 9], seed=0, hidden="leaky_relu", output="tanh", slope=0.2)
    with pytest.raises(ValueError, match="layered parent"):
        hybrid(G, G(G.sample_latent(2, seed=1)))


def test_support_certificate_against_the_oracle_and_brute_rank():
    # independent check: the layer-wise Oracle (P1 Alg. 6, true supports) is exact exactly where
    # the supports determine every layer
    G = Generator.random([5, 12, 30], seed=7, std="fan_in", output="tanh")
    z = G.sample_latent(32, seed=8)
    y = G(z)
    cert = support_certificate(G, z)
    exact = snr_db(z, layered_oracle(G, y, supports=G.forward(z).supports).z) >= 60
    assert torch.equal(cert, exact.cpu())
    assert 0 < cert.sum() < 32  # both cases occur
    # brute force for one signal: rank of the support-restricted matrices, one by one
    fw = G.forward(z[:1])
    S1 = fw.supports[0][0]
    r1 = torch.linalg.matrix_rank(G.weights[1][:, S1]) == int(S1.sum())
    r0 = torch.linalg.matrix_rank(G.weights[0][S1]) == 5
    assert bool(cert[0]) == bool(r1 and r0)
    # a mask that hides everything but 3 rows leaves a 5-dim latent undetermined
    mask = torch.zeros(30, dtype=torch.bool)
    mask[:3] = True
    assert not support_certificate(G, z, mask).any()


def test_support_certificate_is_the_per_signal_rank_test():
    # independent check, signal by signal and layer by layer, of every rank (no shortcut): a
    # ReLU-output net under random masks, where some layers have fewer equations than unknowns
    G = Generator.random([4, 10, 14], seed=3, std="fan_out", hidden="relu", output="relu")
    z = G.sample_latent(40, seed=4)
    mask = torch.rand(40, 14, generator=torch.Generator().manual_seed(5)) < 0.6
    cert = support_certificate(G, z, mask)
    fw = G.forward(z)
    want = []
    for b in range(40):
        rows = mask[b] & (fw.pre[-1][b] > 0)
        ok = True
        for i in range(G.L, -1, -1):
            cols = fw.supports[i - 1][b] if i > 0 else torch.ones(G.dims[0], dtype=torch.bool)
            sub = G.weights[i][rows][:, cols]
            rank = int(torch.linalg.matrix_rank(sub)) if sub.numel() else 0
            ok &= rank == int(cols.sum())
            rows = cols
        want.append(ok)
    assert cert.tolist() == want
    assert 0 < cert.sum() < 40  # both cases occur


def test_relative_residual_marks_missing_estimates():
    G = Generator.random([3, 8, 9], seed=0, output="tanh")
    z = G.sample_latent(2, seed=1)
    zh = z.clone()
    zh[1] = torch.nan
    r = relative_residual(G, zh, G(z))
    assert r[0] == 0 and torch.isinf(r[1])
