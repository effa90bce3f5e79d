"""P2 Thms 1-2 and Example 1: the constructions against brute force."""

import numpy as np
import pytest
import torch

from lib.core.generator import Generator
from lib.theory import hardness


def random_formulas(n, seed=0):
    rng = np.random.default_rng(seed)
    for _ in range(n):
        k = int(rng.integers(3, 6))
        yield hardness.random_3cnf(k, int(rng.integers(2 * k, 8 * k)), rng)


def test_cnf_violated_counts_by_hand():
    cnf = hardness.CNF(3, ((1, 2, 3), (-1, -2, -3)))
    z = np.array([[1, 1, 1], [-1, -1, -1], [1, -1, 1]])
    assert cnf.violated(z).tolist() == [1, 1, 0]
    assert hardness.satisfiable(cnf)
    # (z1) and (not z1) is unsatisfiable
    assert not hardness.satisfiable(hardness.CNF(1, ((1,), (-1,))))


def test_thm1_network_counts_violated_clauses_on_every_binary_input():
    for cnf in random_formulas(30):
        Z = hardness.all_assignments(cnf.k)
        out = hardness.thm1_network(cnf)(torch.tensor(Z))[:, 0].numpy()
        assert (out == cnf.violated(Z)).all()


def test_thm1_bias_handles_short_clauses():
    cnf = hardness.CNF(2, ((1,), (-1, 2)))
    Z = hardness.all_assignments(2)
    out = hardness.thm1_network(cnf)(torch.tensor(Z))[:, 0].numpy()
    assert (out == cnf.violated(Z)).all()


def test_thm2_network_on_binary_and_real_inputs():
    for cnf in random_formulas(20, seed=1):
        G = hardness.thm2_network(cnf)
        Z = hardness.all_assignments(cnf.k)
        out = G(torch.tensor(Z)).numpy()
        assert (out[:, 0] == cnf.violated(Z)).all() and (out[:, 1] == cnf.k).all()
        # inside the cube the second output is ||z||_1 < k: never the target
        z = torch.tensor(np.random.default_rng(0).uniform(-0.99, 0.99, (50, cnf.k)))
        assert (G(z)[:, 1] < cnf.k).all()
        # scaling beyond the cube changes nothing (G depends on clip(z, -1, 1))
        torch.testing.assert_close(G(torch.tensor(3 * Z)), G(torch.tensor(Z)))


def test_milp_decides_preimages_like_brute_force():
    n_sat = 0
    for cnf in random_formulas(25, seed=2):
        sat = hardness.satisfiable(cnf)
        n_sat += sat
        real = hardness.preimage_milp(hardness.thm2_network(cnf), hardness.thm2_target(cnf), -2, 2)
        binary = hardness.preimage_milp(
            hardness.thm1_network(cnf), torch.zeros(1), -1, 1, binary=True
        )
        assert real.exists is sat and binary.exists is sat
        if sat:
            assert cnf.violated(np.sign(real.z))[0] == 0
            assert set(np.abs(binary.z).tolist()) == {1.0}
            assert cnf.violated(binary.z)[0] == 0
    assert 0 < n_sat < 25  # both kinds were tested


def test_milp_on_a_generic_relu_net_matches_forward_images():
    G = Generator.random([2, 6, 3], seed=5, bias=True)
    z = torch.tensor([[0.3, -0.4]], dtype=torch.float64)
    res = hardness.preimage_milp(G, G(z)[0], -1, 1)
    assert res.exists
    torch.testing.assert_close(G(torch.tensor(res.z)[None]), G(z), atol=1e-6, rtol=0)
    # a point far outside the image of the box has no preimage
    assert hardness.preimage_milp(G, G(z)[0] + 100.0, -1, 1).exists is False


def test_example1_points():
    G = hardness.example1()
    vals = G(torch.tensor([[-1.0, 1.0], [1.0, 3.0], [0.0, 2.0]], dtype=torch.float64))[:, 0]
    assert vals.tolist() == [1.0, 1.0, 2.0]


def test_bad_cnf():
    with pytest.raises(ValueError, match="twice"):
        hardness.CNF(3, ((1, -1, 2),))
    with pytest.raises(ValueError, match="<= k"):
        hardness.CNF(2, ((1, 3),))
