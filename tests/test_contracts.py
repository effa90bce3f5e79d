"""The contracts every registered inversion method keeps (lib.methods.registry), on small nets.

A method registered in ``lib.methods.registry.METHODS`` is covered here the day it is registered:
each test runs it on every net of :data:`NETS` its rule accepts. The nets include ones no method was
written for: other sizes, no biases or biases, a LeakyReLU output, float32, a convolutional net.
"""

from __future__ import annotations

import pytest
import torch

from lib.core import observation as measurements
from lib.core.convnet import ConvGenerator
from lib.core.generator import Generator
from lib.core.observation import add_noise, random_mask
from lib.core.result import STATUSES, SUCCESS, InversionResult
from lib.methods.lp import LayerwiseLP
from lib.methods.registry import METHODS, applicability

f32, f64 = torch.float32, torch.float64


def _nets() -> dict:
    return {
        "tanh": Generator.random([3, 12, 30], seed=2, output="tanh"),
        "relu": Generator.random([3, 12, 30], seed=1, output="relu"),
        "relu_bias_f32": Generator.random([4, 14, 33], seed=3, output="relu", bias=True, dtype=f32),
        "leaky_out": Generator.random([3, 11, 27], seed=4, output="leaky_relu", slope=0.2),
        "leaky_all": Generator.random(
            [3, 12, 30], seed=5, hidden="leaky_relu", output="leaky_relu", slope=0.2
        ),
        "sigmoid_f32": Generator.random([2, 10, 5, 24], seed=6, output="sigmoid", dtype=f32),
        "conv": ConvGenerator.random((2, 3, 1), in_size=(1, 1), kernel=3, stride=2, seed=7),
    }


NETS = _nets()

# small budgets: the contracts are about what a method reports, not how well it recovers
OPTIONS = {
    "layered_bp": dict(max_iter=50),
    "latent_pursuit": dict(max_iter=50),
    "pgd": dict(max_iter=2),
    "gd": dict(max_iter=20, lrs=(0.1,)),
    "adam": dict(max_iter=20),
    "gd_restarts": dict(max_iter=20, lrs=(0.1,), restarts=2),
    "p3_recover": dict(max_iter=20),
    "hybrid": dict(max_iter=20, pursuit_max_iter=50),
}


def cases():
    return [
        pytest.param(m, g, id=f"{m}-{g}")
        for m in METHODS
        for g, G in NETS.items()
        if applicability(m, G) is None
    ]


def call(m: str, G, y, mask=None, z=None, **over) -> InversionResult:
    """Method m in the registry's call shape; the Oracle gets the true supports of z (default:
    the net's test latents, row for row with y)."""
    opts = dict(OPTIONS.get(m, {}), **over)
    if "supports" in METHODS[m].needs:  # the Oracle: the true supports (a reference method)
        z = TRUTH[id(G)][0] if z is None else z
        B = 1 if y.ndim == 1 else y.shape[0]
        opts["supports"] = [s[:B] for s in G.forward(z).supports]
    return METHODS[m].fn(G, y, mask=mask, **opts)


def _truth(G):
    return (G.sample_latent(3, seed=11),)


TRUTH = {id(G): _truth(G) for G in NETS.values()}


def observation(G):
    z = TRUTH[id(G)][0]
    with torch.no_grad():
        return G(z)


def same(a: torch.Tensor, b: torch.Tensor) -> bool:
    return torch.equal(torch.nan_to_num(a, nan=1e300), torch.nan_to_num(b, nan=1e300))


def test_every_method_has_a_net_here():
    covered = {c.values[0] for c in cases()}
    assert covered == set(METHODS)


@pytest.mark.parametrize("m, g", cases())
def test_hidden_pixels_are_never_read(m, g):
    G = NETS[g]
    y = observation(G)
    n = G.dims[-1]
    mask = random_mask(n, 0.8, B=y.shape[0], seed=1, device=y.device)
    gen = torch.Generator().manual_seed(2)
    junk = torch.randn(y.shape, generator=gen, dtype=y.dtype) * 50
    y2 = torch.where(mask, y, junk)
    a, b = call(m, G, y, mask), call(m, G, y2, mask)
    assert same(a.z, b.z), "the estimate changed with the hidden entries of y"
    assert a.status == b.status


@pytest.mark.parametrize("m, g", cases())
@pytest.mark.parametrize("observed", ["none", "fewer than n0"])
def test_nothing_observed_nothing_claimed(m, g, observed):
    G = NETS[g]
    y = observation(G)
    mask = torch.zeros(y.shape, dtype=torch.bool)
    if observed != "none":
        mask[:, : G.dims[0] - 1] = True
    try:
        r = call(m, G, y, mask)
    except ValueError as e:  # refusing is honest too, if it names the mask
        assert "mask" in str(e)
        return
    claimed = [s for s in r.status if s in SUCCESS]
    assert not claimed, f"{m} reports {r.status} where the data cannot determine z"


@pytest.mark.parametrize("m, g", cases())
def test_the_answer_does_not_depend_on_call_history(m, g):
    G = NETS[g]
    y = observation(G)
    noisy = add_noise(y, "gaussian", 0.05, seed=3).clamp_min(0) if G.output == "relu" else y
    torch.manual_seed(0)
    first = call(m, G, noisy)
    z_other = G.sample_latent(5, seed=99)
    other = add_noise(G(z_other), "gaussian", 0.1, seed=4).clamp(-0.99, 0.99)
    call(m, G, other, z=z_other)  # other data
    torch.manual_seed(123)  # and another global random state: nobody may read it
    again = call(m, G, noisy)
    assert same(first.z, again.z)


@pytest.mark.parametrize("m, g", cases())
def test_shapes_dtypes_and_status_words(m, g):
    G = NETS[g]
    y = observation(G)
    r = call(m, G, y)
    B, n0 = y.shape[0], G.dims[0]
    assert isinstance(r, InversionResult)
    assert r.z.shape == (B, n0) and r.z.dtype == G.dtype and r.z.device == G.device
    assert len(r.status) == B and set(r.status) <= set(STATUSES)
    assert r.iterations.shape == (B,)
    one = call(m, G, y[0])  # B = 1 from a single (n,) observation
    assert one.z.shape == (1, n0) and len(one.status) == 1


@pytest.mark.parametrize("m, g", cases())
@pytest.mark.parametrize(
    "defect, match",
    [("nan", r"\by\b.*NaN"), ("inf", r"\by\b.*inf"), ("shape", r"\by\b.*shape"),
     ("mask", r"\bmask\b")],
)  # fmt: skip
def test_bad_input_gets_an_error_naming_the_argument(m, g, defect, match):
    G = NETS[g]
    y = observation(G).clone()
    mask = None
    if defect == "nan":
        y[0, 1] = float("nan")
    elif defect == "inf":
        y[0, 1] = float("inf")
    elif defect == "shape":
        y = y[:, :-1]
    else:
        mask = torch.full(y.shape[1:], 0.5)
    with pytest.raises(ValueError, match=match):
        call(m, G, y, mask)


@pytest.mark.parametrize("m, g", cases())
def test_the_observation_is_checked_once(m, g, monkeypatch):
    G = NETS[g]
    y = observation(G)
    seen = []
    real = measurements.as_rows

    def counting(v, width, name, **kw):
        if name == "y":
            seen.append(name)
        return real(v, width, name, **kw)

    monkeypatch.setattr(measurements, "as_rows", counting)
    call(m, G, y, torch.ones(G.dims[-1], dtype=torch.bool))
    assert len(seen) == 1, f"{m} checked y {len(seen)} times"


def test_a_reused_lp_answers_as_a_fresh_one():
    """The LP engine keeps warm bases and recent answers between calls (speed); the answer is
    that of a fresh inverter, even where the LP has several optimal vertices."""
    G = NETS["relu"]
    y = add_noise(observation(G), "gaussian", 0.05, seed=3)
    other = add_noise(G(G.sample_latent(6, seed=98)), "uniform", 0.2, seed=5)
    for method, backend in (
        ("linf", "highs"),
        ("linf", "ipm"),
        ("l1", "highs"),
        ("relax", "highs"),
    ):
        fresh = LayerwiseLP(G, method, backend=backend).invert(y)
        inv = LayerwiseLP(G, method, backend=backend)
        inv.invert(other)
        inv.invert(other[:1])
        again = inv.invert(y)
        assert same(fresh.z, again.z), (method, backend)
        assert fresh.status == again.status
