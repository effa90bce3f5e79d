"""The layered generator against an independent implementation (torch.nn layers)."""

import numpy as np
import pytest
import torch

from lib.core.generator import Generator, activation, activation_inverse, plu, plu_inverse
from lib.core.metrics import relative_error, snr_db


def test_forward_matches_torch_nn_sequential():
    G = Generator.random([5, 7, 9, 4], seed=0, bias=True, output="tanh")
    net = torch.nn.Sequential(
        torch.nn.Linear(5, 7),
        torch.nn.ReLU(),
        torch.nn.Linear(7, 9),
        torch.nn.ReLU(),
        torch.nn.Linear(9, 4),
        torch.nn.Tanh(),
    ).double()
    with torch.no_grad():
        for lin, W, b in zip(net[::2], G.weights, G.biases, strict=True):
            lin.weight.copy_(W)
            lin.bias.copy_(b)
    z = G.sample_latent(6, seed=1)
    torch.testing.assert_close(G(z), net(z), rtol=0, atol=1e-14)


def test_forward_returns_layers_and_supports():
    G = Generator.random([3, 8, 6, 2], seed=2)
    z = G.sample_latent(5, seed=3)
    fw = G.forward(z)
    assert [x.shape[1] for x in fw.x] == [8, 6]
    assert len(fw.pre) == 3
    for x, s in zip(fw.x, fw.supports, strict=True):
        assert torch.equal(s, x > 0)
    torch.testing.assert_close(fw.x[0], torch.relu(z @ G.weights[0].T))
    assert torch.equal(fw.cardinalities[0], (fw.x[0] > 0).sum(1))


def test_leaky_relu_hidden():
    G = Generator.random([3, 5, 4], seed=0, hidden="leaky_relu", slope=0.2)
    z = G.sample_latent(2, seed=0)
    a = z @ G.weights[0].T
    torch.testing.assert_close(G.forward(z).x[0], torch.nn.functional.leaky_relu(a, 0.2))


def test_seeded_constructors_are_reproducible_and_distinct():
    a = Generator.random([4, 6], seed=7)
    b = Generator.random([4, 6], seed=7)
    c = Generator.random([4, 6], seed=8)
    assert torch.equal(a.weights[0], b.weights[0])
    assert not torch.equal(a.weights[0], c.weights[0])


@pytest.mark.parametrize("dist", ["gaussian", "uniform", "rademacher"])
def test_weight_distributions_have_requested_variance(dist):
    G = Generator.random([400, 500], seed=0, dist=dist, std=0.5)
    W = G.weights[0]
    assert abs(W.mean().item()) < 0.01
    assert abs(W.std().item() - 0.5) < 0.01
    if dist == "rademacher":
        assert set(W.abs().unique().tolist()) == {0.5}


def test_std_rules():
    assert Generator.random([10, 40], seed=0, std="fan_out").weights[
        0
    ].std().item() == pytest.approx(40**-0.5, rel=0.1)
    assert Generator.random([10, 40], seed=0, std="fan_in").weights[
        0
    ].std().item() == pytest.approx(10**-0.5, rel=0.1)


@pytest.mark.parametrize("name", ["identity", "tanh", "sigmoid", "plu"])
def test_output_activation_inverse(name):
    t = torch.linspace(-3, 3, 101, dtype=torch.float64)
    torch.testing.assert_close(activation_inverse(name, activation(name, t)), t, atol=1e-9, rtol=0)


def test_plu_is_the_piecewise_definition():
    t = torch.tensor([-3.0, -1.0, 0.3, 1.0, 2.0], dtype=torch.float64)
    expect = torch.tensor([-1.2, -1.0, 0.3, 1.0, 1.1], dtype=torch.float64)
    torch.testing.assert_close(plu(t), expect)
    torch.testing.assert_close(plu_inverse(expect), t)


def test_bad_inputs_raise_clear_errors():
    with pytest.raises(ValueError, match="columns"):
        Generator([torch.zeros(3, 2), torch.zeros(4, 5)])
    with pytest.raises(ValueError, match="hidden"):
        Generator([torch.zeros(3, 2)], hidden="tanh")
    with pytest.raises(ValueError, match="slope"):
        Generator([torch.zeros(3, 2)], hidden="leaky_relu")
    G = Generator.random([3, 4], seed=0)
    with pytest.raises(ValueError, match=r"shape \(B, 3\)"):
        G(torch.zeros(2, 5))
    with pytest.raises(ValueError, match="NaN"):
        G(torch.full((1, 3), float("nan")))
    with pytest.raises(ValueError, match="not invertible"):
        activation_inverse("relu", torch.zeros(2))


def test_metrics_closed_forms():
    true = torch.tensor([[3.0, 4.0], [1.0, 0.0]])
    est = torch.tensor([[3.0, 4.5], [1.0, 0.0]])
    torch.testing.assert_close(relative_error(true, est), torch.tensor([0.1, 0.0]))
    snr = snr_db(true, est)
    assert snr[0].item() == pytest.approx(20.0)
    assert np.isinf(snr[1].item())
    with pytest.raises(ValueError, match="shapes differ"):
        relative_error(true, est[:, :1])


@pytest.mark.parametrize("output", ["identity", "tanh", "relu", "leaky_relu"])
def test_apply_is_the_forward_pass_bit_for_bit(output):
    """G.apply (the gradient methods' unchecked inner-loop pass) computes exactly G(z), for dense
    nets with and without biases and for a convolutional net."""
    from lib.core.convnet import ConvGenerator

    for bias in (True, False):
        G = Generator.random([5, 12, 30], seed=3, output=output, bias=bias, slope=0.2)
        z = G.sample_latent(7, seed=4)
        assert torch.equal(G.apply(z), G(z))
    C = ConvGenerator.random([2, 4, 1], in_size=(1, 1), kernel=5, stride=3, seed=6)
    zc = C.sample_latent(3, seed=1)
    assert torch.equal(C.apply(zc), C(zc))
