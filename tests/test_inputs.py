"""Issue 11: every public inversion function rejects each class of bad input with an error that
names the argument, instead of running and returning a wrong answer marked as a success."""

import pytest
import torch

from lib.core import convnet as conv
from lib.core.generator import Generator
from lib.methods import gradient, lp, pursuit, recovery

f64 = torch.float64


def relu_net():  # P2-style: ReLU everywhere (the LPs need it)
    return Generator.random([3, 12, 30], seed=1, output="relu")


def tanh_net():  # P1-style: ReLU hidden, invertible output
    return Generator.random([3, 12, 30], seed=2, output="tanh")


def _y(G):
    return G(G.sample_latent(2, seed=3))


def _supports(G, y):  # some supports of the right sizes (every unit active)
    B = torch.as_tensor(y).reshape(-1, G.dims[-1]).shape[0] if y.shape[-1] == G.dims[-1] else 2
    return [torch.ones(B, d, dtype=torch.bool) for d in G.dims[1:-1]]


# one entry per public inversion function: (name, generator factory, call(G, y, **kw))
METHODS = {
    "oracle": (tanh_net, lambda G, y, **kw: pursuit.oracle(G, y, supports=_supports(G, y), **kw)),
    "layered_oracle": (
        tanh_net,
        lambda G, y, **kw: pursuit.layered_oracle(G, y, supports=_supports(G, y), **kw),
    ),
    "layered_basis_pursuit": (
        tanh_net,
        lambda G, y, **kw: pursuit.layered_basis_pursuit(G, y, **kw),
    ),
    "latent_pursuit": (tanh_net, lambda G, y, **kw: pursuit.latent_pursuit(G, y, **kw)),
    "invert_layerwise": (relu_net, lambda G, y, **kw: lp.invert_layerwise(G, y, **kw)),
    "invert_lp linf": (relu_net, lambda G, y, **kw: lp.invert_lp(G, y, algorithm="linf", **kw)),
    "invert_lp l1": (relu_net, lambda G, y, **kw: lp.invert_lp(G, y, algorithm="l1", **kw)),
    "invert_lp relax": (relu_net, lambda G, y, **kw: lp.invert_lp(G, y, algorithm="relax", **kw)),
    "gradient_descent": (
        tanh_net,
        lambda G, y, **kw: gradient.gradient_descent(G, y, max_iter=3, **kw),
    ),
    "gd_step_search": (
        tanh_net,
        lambda G, y, **kw: gradient.gd_step_search(G, y, max_iter=3, **kw),
    ),
    "recover": (relu_net, lambda G, y, **kw: recovery.recover(G, y, max_iter=3, **kw)),
}


@pytest.mark.parametrize("name", METHODS)
@pytest.mark.parametrize(
    "defect, match",
    [("nan", r"\by\b.*NaN"), ("inf", r"\by\b.*inf"), ("shape", r"\by\b.*shape")],
)
def test_bad_observation(name, defect, match):
    make, call = METHODS[name]
    G = make()
    y = _y(G).clone()
    if defect == "nan":
        y[0, 0] = torch.nan
    elif defect == "inf":
        y[1, 3] = torch.inf
    else:
        y = y[:, :-1]
    with pytest.raises(ValueError, match=match):
        call(G, y)


@pytest.mark.parametrize("name", METHODS)
@pytest.mark.parametrize(
    "mask, match",
    [
        (torch.ones(29, dtype=torch.bool), r"mask.*shape"),
        (torch.full((30,), 0.5, dtype=f64), r"mask.*0/1"),
    ],
)
def test_bad_mask(name, mask, match):
    make, call = METHODS[name]
    G = make()
    with pytest.raises(ValueError, match=match):
        call(G, _y(G), mask=mask)


P1_METHODS = ["oracle", "layered_oracle", "layered_basis_pursuit", "latent_pursuit"]


@pytest.mark.parametrize("name", P1_METHODS)
def test_conv_generator_to_a_dense_method_says_how_to_convert(name):
    _, call = METHODS[name]
    G = conv.ConvGenerator.random([2, 4, 1], in_size=(1, 1), kernel=5, stride=3, seed=6)
    y = G(G.sample_latent(2, seed=1))
    with pytest.raises(TypeError, match="to_generator"):
        call(G, y)


@pytest.mark.parametrize("name", [m for m in METHODS if m.startswith("invert_")])
def test_p2_methods_invert_a_conv_generator_through_its_matrices(name):
    """P2's layer-wise methods take a convolutional net as it is (P3 Sec. 3: its layers are
    matrices) and give what they give on its dense form."""
    _, call = METHODS[name]
    G = conv.ConvGenerator.random([2, 4, 1], in_size=(1, 1), kernel=5, stride=3, seed=6)
    y = G(G.sample_latent(2, seed=1)).reshape(2, -1)
    a, b = call(G, y), call(G.to_generator(), y)
    assert a.status == b.status
    assert torch.equal(a.z.nan_to_num(7.0), b.z.nan_to_num(7.0))


@pytest.mark.parametrize(
    "name", ["oracle", "layered_oracle", "layered_basis_pursuit", "latent_pursuit"]
)
def test_p1_methods_reject_leaky_relu_hidden_layers(name):
    _, call = METHODS[name]
    G = Generator.random([3, 12, 30], seed=2, hidden="leaky_relu", slope=0.2, output="tanh")
    with pytest.raises(ValueError, match=r"G\.hidden"):
        call(G, _y(G))


@pytest.mark.parametrize(
    "kw, match",
    [
        (dict(eps=-1.0), r"\beps\b"),
        (dict(s=[3, 4]), r"\bs\b"),
        (dict(max_iter=0), r"max_iter"),
        (dict(lam=[0.1, 0.2]), r"\blam\b"),
    ],
)
def test_layered_basis_pursuit_parameters(kw, match):
    G = tanh_net()
    with pytest.raises(ValueError, match=match):
        pursuit.layered_basis_pursuit(G, _y(G), **kw)


@pytest.mark.parametrize(
    "kw, match",
    [(dict(rho=0.0), r"\brho\b"), (dict(max_iter=-1), r"max_iter"), (dict(tol=-1e-3), r"\btol\b")],
)
def test_latent_pursuit_parameters(kw, match):
    G = tanh_net()
    with pytest.raises(ValueError, match=match):
        pursuit.latent_pursuit(G, _y(G), **kw)


@pytest.mark.parametrize(
    "kw, match",
    [
        (dict(lr=-1.0), r"\blr\b"),
        (dict(lr=float("nan")), r"\blr\b"),
        (dict(max_iter=-1), r"\bmax_iter\b"),
        (dict(tol=-1.0), r"\btol\b"),
        (dict(optimizer="sgd"), r"optimizer"),
        (dict(momentum=1.5, optimizer="momentum"), r"momentum"),
    ],
)
def test_gradient_descent_parameters(kw, match):
    G = tanh_net()
    with pytest.raises(ValueError, match=match):
        gradient.gradient_descent(G, _y(G), **kw)


@pytest.mark.parametrize(
    "kw, match", [(dict(lrs=()), r"\blrs\b"), (dict(lrs=(0.1, -1.0)), r"lrs\[1\]")]
)
def test_step_search_parameters(kw, match):
    G = tanh_net()
    with pytest.raises(ValueError, match=match):
        gradient.gd_step_search(G, _y(G), **kw)


@pytest.mark.parametrize(
    "kw, match",
    [
        (dict(eps0=0.0), r"eps0"),
        (dict(alpha=1.0), r"alpha"),
        (dict(max_iter=0), r"max_iter"),
        (dict(patience=0), r"patience"),
    ],
)
def test_lp_parameters(kw, match):
    G = relu_net()
    with pytest.raises(ValueError, match=match):
        lp.invert_lp(G, _y(G), algorithm="l1", **kw)


def test_lp_methods_name_the_activation_they_need():
    """A LeakyReLU output with a ReLU hidden layer: the error names G's activations."""
    G = Generator.random([3, 12, 30], seed=1, output="leaky_relu", slope=0.2)
    with pytest.raises(ValueError, match=r"hidden.*output|output.*hidden"):
        lp.invert_lp(G, _y(G), algorithm="linf")


@pytest.mark.parametrize(
    "kw, match", [(dict(lr=0.0), r"\blr\b"), (dict(max_iter=-2), r"\bmax_iter\b")]
)
def test_recover_parameters(kw, match):
    G = relu_net()
    with pytest.raises(ValueError, match=match):
        recovery.recover(G, _y(G), **kw)
