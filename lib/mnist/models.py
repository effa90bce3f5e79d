"""The MNIST GAN architectures of the three papers, a digit classifier to score them, and the
conversion of a trained fully connected generator to the book's layered :class:`Generator`.

- P1 Sec. 6.2: fully connected 20-128-392-784, batch-norm + ReLU on the first two layers, a
  piecewise linear unit (PLU, Nicolae 2018) at the output; trained adversarially against a fully
  connected discriminator with spectral normalization (Miyato et al. 2018).
- P2 Sec. 5.2: fully connected 20-60-784 with a ReLU hidden layer, every layer of the form
  ReLU(W_i a + b_i) (P2 Sec. 2), so the output is ReLU too (P2's LPs invert ReLU layers, and
  its remark that digits have "70 to 100 non-zero pixels" needs exact zeros); original GAN loss.
- P2's public code: the same 20-60-784 shape without biases, as the decoder of a VAE
  (:class:`P2VAE`); the network it inverts is the ReLU of the decoder's pre-sigmoid logits.
- P3 Sec. 4.3: conditional DCGAN for 32x32 MNIST: 4 transposed convolutions, batch-norm +
  LeakyReLU after the first three, tanh at the output, latent size 10. The digit label enters as
  a one-hot vector concatenated to z (the conditional GAN of Mirza & Osindero 2014), so for a
  fixed label the generator is a layered network of z whose first layer has a label-dependent
  bias.

Every generator is a plain ``torch.nn.Module``; :func:`generator_from_torch` turns the two fully
connected ones into :class:`lib.core.generator.Generator` (P1 Eq. 3) with batch-norm folded exactly,
and :meth:`P3Generator.conv_generator` turns the conditional DCGAN with a known label into a
:class:`lib.core.convnet.ConvGenerator` (batch-norm folded exactly, the label a first-layer bias).
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

from lib.core.convnet import ConvGenerator
from lib.core.generator import Generator, plu

LATENT = {"p1": 20, "p2": 20, "p3": 10}


class PLU(nn.Module):
    """Piecewise linear unit, ``lib.core.generator.plu`` as a module (P1 Sec. 6.2, Nicolae 2018):
    identity on [-c, c], slope alpha outside (alpha = 0.1, c = 1, Nicolae's defaults)."""

    def __init__(self, alpha: float = 0.1, c: float = 1.0) -> None:
        super().__init__()
        self.alpha, self.c = alpha, c

    def forward(self, t: torch.Tensor) -> torch.Tensor:
        return plu(t, self.alpha, self.c)


# ----------------------------------------------------------------------------- P1, P2 (dense)
class P1Generator(nn.Module):
    """P1 Sec. 6.2: z (20) -> Linear 128 -> BN -> ReLU -> Linear 392 -> BN -> ReLU -> Linear 784
    -> PLU. Images in [-1, 1] (PLU is the identity there)."""

    dims = (20, 128, 392, 784)

    def __init__(self) -> None:
        super().__init__()
        n0, n1, n2, n = self.dims
        self.net = nn.Sequential(
            nn.Linear(n0, n1),
            nn.BatchNorm1d(n1),
            nn.ReLU(),
            nn.Linear(n1, n2),
            nn.BatchNorm1d(n2),
            nn.ReLU(),
            nn.Linear(n2, n),
            PLU(),
        )

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """G(z), (B, 784)."""
        return self.net(z)


class P2Generator(nn.Module):
    """P2 Sec. 5.2: z (20) -> Linear 60 -> ReLU -> Linear 784 -> ReLU. Images in [0, 1] (the
    GAN). ``bias=False``: the same net without biases (the ReLU of :class:`P2VAE`'s decoder
    logits, :meth:`P2VAE.relu_decoder`)."""

    dims = (20, 60, 784)

    def __init__(self, bias: bool = True) -> None:
        super().__init__()
        n0, n1, n = self.dims
        self.net = nn.Sequential(
            nn.Linear(n0, n1, bias=bias), nn.ReLU(), nn.Linear(n1, n, bias=bias), nn.ReLU()
        )

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """G(z), (B, 784)."""
        return self.net(z)


class P2VAE(nn.Module):
    """The MNIST network of P2's public code: a variational autoencoder (Kingma & Welling 2014)
    whose decoder is fully connected 20-60-784 without biases, ReLU hidden, sigmoid output.

    P2 Sec. 5.2 calls its MNIST network a GAN, but the weights its code ships
    (``trained_vae_20_60_784_nobias.pth``, layers ``fc3``, ``fc4``) are such a decoder, and what
    the code inverts is the ReLU of the decoder's pre-sigmoid logits,
    ``ReLU(W_4 ReLU(W_3 z))``: a 20-60-784 ReLU network with exact zeros, P2's "70 to 100
    non-zero pixels". The layer names follow that file (and the PyTorch VAE example it derives
    from): encoder ``fc1`` (784-60), ReLU, ``fc21``/``fc22`` (60-20: mean and log-variance of
    q(z|x)); decoder ``fc3`` (20-60), ReLU, ``fc4`` (60-784), sigmoid. No layer has a bias.
    """

    dims = (20, 60, 784)

    def __init__(self) -> None:
        super().__init__()
        n0, n1, n = self.dims
        self.fc1 = nn.Linear(n, n1, bias=False)
        self.fc21 = nn.Linear(n1, n0, bias=False)
        self.fc22 = nn.Linear(n1, n0, bias=False)
        self.fc3 = nn.Linear(n0, n1, bias=False)
        self.fc4 = nn.Linear(n1, n, bias=False)

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(mean, log-variance) of q(z | x) for images x (B, 784) in [0, 1]."""
        h = torch.relu(self.fc1(x.reshape(len(x), -1)))
        return self.fc21(h), self.fc22(h)

    def logits(self, z: torch.Tensor) -> torch.Tensor:
        """The decoder's pre-sigmoid output W_4 ReLU(W_3 z), (B, 784)."""
        return self.fc4(torch.relu(self.fc3(z)))

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """The decoder's image sigmoid(logits), (B, 784) in (0, 1) (Bernoulli means)."""
        return torch.sigmoid(self.logits(z))

    def forward(
        self, x: torch.Tensor, generator: torch.Generator | None = None
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(decoder logits, mean, log-variance) for x, with z = mean + exp(logvar / 2) * e
        (the reparametrisation; e ~ N(0, I) drawn from ``generator``)."""
        mu, logvar = self.encode(x)
        e = torch.randn(mu.shape, generator=generator, dtype=mu.dtype).to(mu.device)
        return self.logits(mu + torch.exp(0.5 * logvar) * e), mu, logvar

    def relu_decoder(self) -> P2Generator:
        """The network P2's code inverts: z -> ReLU(W_4 ReLU(W_3 z)), a bias-free
        :class:`P2Generator` holding copies of the decoder's weights."""
        G = P2Generator(bias=False).to(self.fc3.weight)
        with torch.no_grad():
            G.net[0].weight.copy_(self.fc3.weight)
            G.net[2].weight.copy_(self.fc4.weight)
        return G.eval()


class DenseDiscriminator(nn.Module):
    """Fully connected discriminator 784-256-128-1 with LeakyReLU(0.2), returning logits.

    ``spectral=True`` wraps every linear map in spectral normalization (Miyato et al. 2018), as
    P1 Sec. 6.2 does; P2's original GAN uses a plain one.
    """

    def __init__(self, spectral: bool, hidden: tuple[int, ...] = (256, 128)) -> None:
        super().__init__()
        sn = spectral_norm if spectral else (lambda m: m)
        dims = (784, *hidden)
        layers: list[nn.Module] = []
        for a, b in zip(dims[:-1], dims[1:], strict=True):
            layers += [sn(nn.Linear(a, b)), nn.LeakyReLU(0.2)]
        layers.append(sn(nn.Linear(dims[-1], 1)))
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x.reshape(len(x), -1)).squeeze(1)


# ----------------------------------------------------------------------------- P3 (conv)
class P3Generator(nn.Module):
    """P3 Sec. 4.3, conditional DCGAN generator for 32x32 MNIST.

    Input: z (B, 10) and the digit label (B,) (one-hot, concatenated to z: 20 input channels of
    size 1x1). Four transposed convolutions with kernel 4:
    1x1 -> 4x4 (stride 1) -> 8x8 -> 16x16 -> 32x32 (stride 2, padding 1), channels
    ``width * (4, 2, 1)`` then 1; batch-norm + LeakyReLU(0.2) after the first three, tanh output.
    Images in [-1, 1].
    """

    def __init__(self, width: int = 16, n_classes: int = 10, latent: int = 10) -> None:
        super().__init__()
        self.latent, self.n_classes, self.slope = latent, n_classes, 0.2
        c1, c2, c3 = 4 * width, 2 * width, width
        self.deconv = nn.ModuleList(
            [
                nn.ConvTranspose2d(latent + n_classes, c1, 4, 1, 0),
                nn.ConvTranspose2d(c1, c2, 4, 2, 1),
                nn.ConvTranspose2d(c2, c3, 4, 2, 1),
                nn.ConvTranspose2d(c3, 1, 4, 2, 1),
            ]
        )
        self.bn = nn.ModuleList([nn.BatchNorm2d(c) for c in (c1, c2, c3)])

    def _input(self, z: torch.Tensor, label: torch.Tensor | int) -> torch.Tensor:
        if z.ndim != 2 or z.shape[1] != self.latent:
            raise ValueError(f"z must have shape (B, {self.latent}), got {tuple(z.shape)}")
        label = torch.as_tensor(label, device=z.device)
        if label.ndim == 0:
            label = label.expand(len(z))
        if label.shape != (len(z),):
            raise ValueError(f"label must be an int or have shape ({len(z)},), got {label.shape}")
        onehot = nn.functional.one_hot(label.long(), self.n_classes).to(z.dtype)
        return torch.cat([z, onehot], 1)[:, :, None, None]

    def layers(self, z: torch.Tensor, label: torch.Tensor | int) -> list[torch.Tensor]:
        """Pre-activations of the four layers (after batch-norm for the first three), for
        sparsity statistics; the last entry is the output before tanh."""
        h, pre = self._input(z, label), []
        for i, conv in enumerate(self.deconv):
            a = conv(h)
            if i < 3:
                a = self.bn[i](a)
                h = nn.functional.leaky_relu(a, self.slope)
            pre.append(a)
        return pre

    def forward(self, z: torch.Tensor, label: torch.Tensor | int) -> torch.Tensor:
        """G(z | label), (B, 1, 32, 32) in [-1, 1]. ``label`` is an int or a (B,) tensor."""
        return torch.tanh(self.layers(z, label)[-1])

    def folded(self, label: int, dtype: torch.dtype = torch.float64) -> list[dict]:
        """The generator for a fixed ``label`` as four plain transposed convolutions of z, with
        batch-norm (eval mode) folded in exactly, for the matrix form of P3 Eq. 2.

        Returns one dict per layer with ``weight`` (C_in, C_out, k, k), ``bias`` (C_out, H, W) (a
        full map: the label's one-hot channel adds a position-dependent bias to the first
        layer), ``stride``, ``padding`` and the activation (``'leaky_relu'`` with ``slope``, then
        ``'tanh'``): x_{i+1} = act(convT(x_i, weight) + bias).
        """
        if not 0 <= int(label) < self.n_classes:
            raise ValueError(f"label={label}: must be in 0..{self.n_classes - 1}")
        out = []
        for i, conv in enumerate(self.deconv):
            W = conv.weight.detach().to(dtype)
            b = conv.bias.detach().to(dtype)
            if i == 0:  # 1x1 input: the one-hot channel `latent + label` adds W[latent + label]
                bias = W[self.latent + int(label)] + b[:, None, None]
                W = W[: self.latent]
            else:
                bias = b[:, None, None]
            if i < 3:
                bn = self.bn[i]
                var = bn.running_var.to(dtype)
                scale = bn.weight.detach().to(dtype) / torch.sqrt(var + bn.eps)
                shift = bn.bias.detach().to(dtype) - scale * bn.running_mean.to(dtype)
                W = W * scale[None, :, None, None]
                bias = bias * scale[:, None, None] + shift[:, None, None]
            out.append(
                {
                    "weight": W,
                    "bias": bias,
                    "stride": conv.stride[0],
                    "padding": conv.padding[0],
                    "activation": "leaky_relu" if i < 3 else "tanh",
                    "slope": self.slope,
                }
            )
        return out

    def conv_generator(
        self,
        label: int | torch.Tensor,
        dtype: torch.dtype = torch.float64,
        device: str | torch.device | None = None,
    ) -> ConvGenerator:
        """The generator with its label known, as a :class:`lib.core.convnet.ConvGenerator` of z
        alone (batch-norm folded in exactly, :meth:`folded`), so that
        ``lib.methods.recovery.recover`` and ``lib.methods.gradient`` invert it (P3 Sec. 4.3): G(z)
        = tanh(W_4 LReLU(... LReLU(W_1 z + b_1 (label)) ...) + b_4), outputs (B, 1024) in [-1, 1].

        Args:
            label: an int (every row has this label: shared weights), or a (B,) tensor of labels
                (row b has label b: the kernels are shared, the first layer's bias -- the only
                place the label enters -- is one per row, so the generator is batched with
                B networks).
            dtype, device: of the returned generator (float64 by default).
        """
        labels = torch.as_tensor(label)
        if labels.ndim > 1 or labels.is_floating_point():
            raise ValueError(f"label: an int or a (B,) tensor of ints, got {label!r}")
        if labels.ndim == 0:
            layers = self.folded(int(labels), dtype)
        else:
            if len(labels) == 0:
                raise ValueError("label: an empty tensor of labels")
            per = [self.folded(int(k), dtype) for k in range(self.n_classes)]
            if not bool(((labels >= 0) & (labels < self.n_classes)).all()):
                raise ValueError(f"label: values must be in 0..{self.n_classes - 1}")
            layers = per[0]
            first = torch.stack([p[0]["bias"] for p in per])  # (10, C_1, 4, 4)
            layers[0] = dict(layers[0], bias=first[labels.long().cpu()])
        for lay in layers:
            for k in ("weight", "bias"):
                lay[k] = lay[k].to(device)
        meta = {"from_torch": "P3Generator", "label": labels.tolist()}
        return ConvGenerator.from_layers(layers, (self.latent, 1, 1), meta)

    def for_label(self, label: int) -> LabelledGenerator:
        """z -> G(z | label) flattened to (B, 1024): a module of z alone, for gradient-based
        inversion with a known label (P3 Sec. 4.3)."""
        return LabelledGenerator(self, label)


class LabelledGenerator(nn.Module):
    """A :class:`P3Generator` with its label fixed: forward(z) = G(z | label).flatten(1)."""

    def __init__(self, G: P3Generator, label: int) -> None:
        super().__init__()
        self.G, self.label = G, int(label)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.G(z, self.label).flatten(1)


def run_folded(layers: list[dict], z: torch.Tensor) -> torch.Tensor:
    """Evaluate :meth:`P3Generator.folded` layers on z (B, latent): (B, 1, 32, 32)."""
    h = z[:, :, None, None]
    for lay in layers:
        a = nn.functional.conv_transpose2d(
            h, lay["weight"], stride=lay["stride"], padding=lay["padding"]
        )
        a = a + lay["bias"]
        if lay["activation"] == "leaky_relu":
            h = nn.functional.leaky_relu(a, lay["slope"])
        else:
            h = torch.tanh(a)
    return h


class P3Discriminator(nn.Module):
    """P3 Sec. 4.3: 4 convolutions, the first three followed by batch-norm and LeakyReLU(0.2),
    the last by a sigmoid (here: logits, the sigmoid is inside the loss). The label enters as 10
    constant one-hot channels concatenated to the 32x32 image."""

    def __init__(self, width: int = 16, n_classes: int = 10) -> None:
        super().__init__()
        self.n_classes = n_classes
        c1, c2, c3 = width, 2 * width, 4 * width
        self.net = nn.Sequential(
            nn.Conv2d(1 + n_classes, c1, 4, 2, 1),
            nn.BatchNorm2d(c1),
            nn.LeakyReLU(0.2),
            nn.Conv2d(c1, c2, 4, 2, 1),
            nn.BatchNorm2d(c2),
            nn.LeakyReLU(0.2),
            nn.Conv2d(c2, c3, 4, 2, 1),
            nn.BatchNorm2d(c3),
            nn.LeakyReLU(0.2),
            nn.Conv2d(c3, 1, 4, 1, 0),
        )

    def forward(self, x: torch.Tensor, label: torch.Tensor) -> torch.Tensor:
        onehot = nn.functional.one_hot(label.long(), self.n_classes).to(x.dtype)
        maps = onehot[:, :, None, None].expand(-1, -1, x.shape[-2], x.shape[-1])
        return self.net(torch.cat([x, maps], 1)).reshape(len(x))


# ----------------------------------------------------------------------------- classifier
class DigitClassifier(nn.Module):
    """A small LeNet-style CNN on 28x28 digits in [0, 1], returning logits for 10 classes. Used
    only to score the generators' samples (confidence and class histogram)."""

    def __init__(self) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(1, 16, 5, padding=2),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 5, padding=2),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Linear(32 * 7 * 7, 128),
            nn.ReLU(),
            nn.Dropout(0.25),
            nn.Linear(128, 10),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x.reshape(len(x), 1, 28, 28))


# ----------------------------------------------------------------------------- conversion
_OUTPUTS = {nn.ReLU: "relu", nn.Tanh: "tanh", nn.Sigmoid: "sigmoid", PLU: "plu"}


def generator_from_torch(module: nn.Module, dtype: torch.dtype = torch.float64) -> Generator:
    """The layered generator G(z) = phi(W_L ReLU(... ReLU(W_0 z + b_0) ...) + b_L) (P1 Eq. 3) of
    a trained fully connected torch generator, with batch-norm folded in exactly (P1 footnote 2:
    "after training, batch-normalization is a simple linear operation").

    In eval mode BN(a) = gamma (a - mean) / sqrt(var + eps) + beta with the running statistics,
    so Linear(W, b) followed by BN is the linear map with
    W' = diag(gamma / sqrt(var + eps)) W and b' = gamma (b - mean) / sqrt(var + eps) + beta.

    Args:
        module: a ``torch.nn.Sequential`` (or a module with one in ``.net``) of Linear layers,
            each optionally followed by BatchNorm1d, then an activation: ReLU or LeakyReLU for the
            hidden layers; identity, ReLU, Tanh, Sigmoid or PLU at the output.
        dtype: dtype of the returned weights (float64 by default: exact inversions need it).
    """
    seq = module.net if hasattr(module, "net") else module
    if not isinstance(seq, nn.Sequential):
        raise ValueError("module: expected an nn.Sequential or a module with a .net Sequential")
    mods = list(seq)
    weights, biases, acts, slopes = [], [], [], []
    i = 0
    while i < len(mods):
        lin = mods[i]
        if not isinstance(lin, nn.Linear):
            raise ValueError(f"module: layer {i} is {type(lin).__name__}, expected nn.Linear")
        W = lin.weight.detach().to(dtype)
        b = (
            lin.bias.detach().to(dtype)
            if lin.bias is not None
            else torch.zeros(W.shape[0], dtype=dtype, device=W.device)
        )
        i += 1
        if i < len(mods) and isinstance(mods[i], nn.BatchNorm1d):
            bn = mods[i]
            if bn.running_mean is None or not bn.affine:
                raise ValueError(f"module: BatchNorm1d at {i} needs running stats and affine")
            scale = bn.weight.detach().to(dtype) / torch.sqrt(bn.running_var.to(dtype) + bn.eps)
            W = scale[:, None] * W
            b = scale * (b - bn.running_mean.to(dtype)) + bn.bias.detach().to(dtype)
            i += 1
        act, slope = "identity", 0.0
        if i < len(mods) and not isinstance(mods[i], nn.Linear):
            m = mods[i]
            if isinstance(m, nn.LeakyReLU):
                act, slope = "leaky_relu", float(m.negative_slope)
            elif type(m) in _OUTPUTS:
                act = _OUTPUTS[type(m)]
            else:
                raise ValueError(f"module: unsupported layer {type(m).__name__} at {i}")
            i += 1
        weights.append(W)
        biases.append(b)
        acts.append(act)
        slopes.append(slope)
    hidden = set(acts[:-1])
    if len(hidden) > 1 or not hidden <= {"relu", "leaky_relu"}:
        raise ValueError(f"module: hidden activations must all be ReLU or LeakyReLU, got {acts}")
    hidden_act = hidden.pop() if hidden else "relu"
    if acts[-1] == "plu":
        plu_mod = mods[-1]
        if (plu_mod.alpha, plu_mod.c) != (0.1, 1.0):
            raise ValueError("module: the Generator's PLU has alpha = 0.1, c = 1")
    slope = max(slopes)
    if len({s for s in slopes if s > 0}) > 1:
        raise ValueError(f"module: LeakyReLU slopes differ between layers: {slopes}")
    meta = {
        "from_torch": type(module).__name__,
        "dims": [weights[0].shape[1]] + [W.shape[0] for W in weights],
    }
    return Generator(weights, biases, hidden_act, acts[-1], slope, meta)
