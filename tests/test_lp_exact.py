"""P2 Eq. 4 (exact single-layer LP) against closed forms and brute-force geometry."""

import numpy as np
import pytest
import torch

from lib.core.generator import Generator
from lib.core.metrics import relative_error
from lib.methods.lp import invert_layer_lp


def test_realizable_expansive_layer_recovered_to_1e8():
    G = Generator.random([15, 60], seed=1, bias=True, output="relu")
    z = G.sample_latent(8, seed=2)
    res = invert_layer_lp(G.weights[0], G(z), G.biases[0])
    assert res.ok.all() and res.unique.all()
    assert relative_error(z, res.z).max() < 1e-8


def test_lp_solution_equals_least_squares_on_the_support():
    # independent method: solve the equalities of Eq. 4 by least squares on S = {x > 0}
    G = Generator.random([6, 30], seed=3, output="relu")
    z = G.sample_latent(1, seed=4)
    x = G(z)[0]
    S = x > 0
    z_ls = torch.linalg.lstsq(G.weights[0][S], x[S, None]).solution[:, 0]
    res = invert_layer_lp(G.weights[0], x)
    torch.testing.assert_close(res.z[0], z_ls, atol=1e-9, rtol=0)


def test_non_unique_preimage_is_still_a_preimage():
    # two rows only one of which is active: a 1-dimensional preimage
    W = torch.tensor([[1.0, 0.0], [0.0, 1.0], [-1.0, -1.0]], dtype=torch.float64)
    x = torch.tensor([[0.5, 0.0, 0.0]], dtype=torch.float64)
    res = invert_layer_lp(W, x)
    assert res.ok.all() and res.rank == [1] and not res.unique.any()
    torch.testing.assert_close(torch.relu(res.z @ W.T), x, atol=1e-9, rtol=0)


def test_infeasible_observation_reported_not_swallowed():
    W = torch.tensor([[1.0], [-1.0]], dtype=torch.float64)  # x1 = relu(z), x2 = relu(-z)
    res = invert_layer_lp(
        W, torch.tensor([[1.0, 1.0]], dtype=torch.float64)
    )  # both > 0: impossible
    assert res.status == ["infeasible"]
    assert torch.isnan(res.z).all() and not res.ok.any()


@pytest.mark.parametrize(
    ("x", "match"), [(torch.zeros(1, 3), "shape"), (torch.full((1, 4), np.nan), "NaN")]
)
def test_bad_inputs(x, match):
    with pytest.raises(ValueError, match=match):
        invert_layer_lp(torch.zeros(4, 2, dtype=torch.float64), x)
