"""The layered generator shared by the three papers.

P1 (Aberdam et al., Eq. 3) writes the generator as

    x_1 = ReLU(W_0 z + b_0),  x_{i+1} = ReLU(W_i x_i + b_i) (i = 1..L-1),  G(z) = phi(W_L x_L + b_L)

with z in R^{n_0}, hidden layers x_i in R^{n_i}, W_i in R^{n_{i+1} x n_i} and an invertible output
activation phi. P2 (Lei et al.) uses the same map with ReLU also at the output (phi = ReLU) and
calls the layers phi_i; P3 (Ma et al.) uses it with transposed convolutions as the W_i. The book
uses P1's notation throughout (see the introduction's notation table).

Signals are batched as rows: z has shape (B, n_0) and every hidden layer has shape (B, n_i).
Everything runs on the device and in the dtype of the weights (float64 by default: the exact
inversions of the book recover z to 1e-8 and better, which float32 cannot show).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import torch

HIDDEN_ACTIVATIONS = ("relu", "leaky_relu")
OUTPUT_ACTIVATIONS = ("identity", "tanh", "sigmoid", "relu", "leaky_relu", "plu")
#: output activations with an inverse phi^{-1} on their whole range (P1 needs one)
INVERTIBLE_OUTPUTS = ("identity", "tanh", "sigmoid", "leaky_relu", "plu")
WEIGHT_DISTRIBUTIONS = ("gaussian", "uniform", "rademacher", "uniform01")


def plu(t: torch.Tensor, alpha: float = 0.1, c: float = 1.0) -> torch.Tensor:
    """Piecewise linear unit (Nicolae 2018), the output activation of P1's MNIST generator.

    PLU(t) = max(alpha (t + c) - c, min(alpha (t - c) + c, t)): identity on [-c, c], slope alpha
    outside. It is strictly increasing, hence invertible (see :func:`plu_inverse`).
    """
    return torch.maximum(alpha * (t + c) - c, torch.minimum(alpha * (t - c) + c, t))


def plu_inverse(y: torch.Tensor, alpha: float = 0.1, c: float = 1.0) -> torch.Tensor:
    """Inverse of :func:`plu`: identity on [-c, c], slope 1/alpha outside."""
    return torch.where(y > c, (y - c) / alpha + c, torch.where(y < -c, (y + c) / alpha - c, y))


def activation(name: str, t: torch.Tensor, slope: float = 0.0) -> torch.Tensor:
    """Apply the activation ``name`` ('relu', 'leaky_relu' with negative ``slope``, 'identity',
    'tanh', 'sigmoid', 'plu') elementwise."""
    if name == "relu":
        return torch.relu(t)
    if name == "leaky_relu":  # = where(t >= 0, t, slope t), fused
        return torch.nn.functional.leaky_relu(t, slope)
    if name == "identity":
        return t
    if name == "tanh":
        return torch.tanh(t)
    if name == "sigmoid":
        return torch.sigmoid(t)
    if name == "plu":
        return plu(t)
    raise ValueError(f"unknown activation {name!r}")


def activation_inverse(name: str, y: torch.Tensor, slope: float = 0.0) -> torch.Tensor:
    """phi^{-1} of an invertible activation (P1 Sec. 4 uses phi^{-1}(y); P2 Eq. 5 for LeakyReLU).

    Values outside the range of tanh/sigmoid (noise can push them there) are clipped to the open
    range first, so the result is finite. ReLU has no inverse: use the LP of P2 Eq. 4 instead.
    """
    if name == "identity":
        return y
    if name == "tanh":
        eps = torch.finfo(y.dtype).eps
        return torch.atanh(y.clamp(-1 + eps, 1 - eps))
    if name == "sigmoid":
        eps = torch.finfo(y.dtype).eps
        return torch.logit(y.clamp(eps, 1 - eps))
    if name == "leaky_relu":
        if slope <= 0:
            raise ValueError("leaky_relu is invertible only with a positive slope c (P2 Eq. 5)")
        return torch.where(y >= 0, y, y / slope)
    if name == "plu":
        return plu_inverse(y)
    raise ValueError(
        f"activation {name!r} is not invertible; invertible ones are {INVERTIBLE_OUTPUTS}"
    )


@dataclass
class Forward:
    """Everything a forward pass computes, for a batch of B latents.

    Attributes:
        z: the latents, (B, n_0).
        x: hidden layers [x_1, ..., x_L], each (B, n_i) (after the hidden activation).
        pre: pre-activations [W_0 z + b_0, ..., W_L x_L + b_L] (L + 1 tensors).
        supports: boolean masks [x_1 > 0, ..., x_L > 0] (for LeakyReLU: pre-activation >= 0).
        out: G(z) = phi(W_L x_L + b_L), (B, n).
    """

    z: torch.Tensor
    x: list[torch.Tensor]
    pre: list[torch.Tensor]
    supports: list[torch.Tensor]
    out: torch.Tensor

    @property
    def cardinalities(self) -> list[torch.Tensor]:
        """s_i = ||x_i||_0 per signal, one (B,) integer tensor per hidden layer (P1 Thm 1)."""
        return [s.sum(dim=1) for s in self.supports]


def as_rows(v, width: int, name: str, *, dtype=None, device=None) -> torch.Tensor:
    """``v`` as a (B, width) tensor, one signal per row (a single vector becomes one row),
    moved to ``dtype``/``device`` when given; ValueError naming ``name`` and the expected shape
    for a wrong shape, or for NaN. The one check of every latent, observation and layer input."""
    if not isinstance(v, torch.Tensor):  # lists: straight to dtype (no float32 detour)
        v = torch.as_tensor(v, dtype=dtype, device=device)
    if v.ndim == 1:
        v = v[None]
    if v.ndim != 2 or v.shape[1] != width:
        raise ValueError(f"{name} must have shape (B, {width}), got {tuple(v.shape)}")
    if torch.isnan(v).any():
        raise ValueError(f"{name} contains NaN")
    return v if dtype is None and device is None else v.to(dtype=dtype, device=device)


def check_latent(G, z) -> torch.Tensor:
    """z as a (B, G.dims[0]) tensor of G's dtype and device (:func:`as_rows`). ``G``: any
    generator with ``dims``, ``dtype`` and ``device``."""
    return as_rows(z, G.dims[0], "z", dtype=G.dtype, device=G.device)


@dataclass
class Generator:
    """G(z) = phi(W_L act(... act(W_0 z + b_0) ...) + b_L), P1 Eq. 3 (with biases).

    Args:
        weights: [W_0, ..., W_L]; W_i has shape (n_{i+1}, n_i).
        biases: [b_0, ..., b_L] or None for no biases; an entry may be None.
        hidden: hidden activation, 'relu' or 'leaky_relu'.
        output: output activation phi: 'identity', 'tanh', 'sigmoid', 'relu', 'leaky_relu', 'plu'.
        slope: negative slope c of LeakyReLU (hidden and/or output), P2 Eq. 5.
    """

    weights: list[torch.Tensor]
    biases: list[torch.Tensor | None] | None = None
    hidden: str = "relu"
    output: str = "identity"
    slope: float = 0.0
    meta: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.weights:
            raise ValueError("weights: need at least one weight matrix")
        if self.hidden not in HIDDEN_ACTIVATIONS:
            raise ValueError(f"hidden={self.hidden!r}: choose one of {HIDDEN_ACTIVATIONS}")
        if self.output not in OUTPUT_ACTIVATIONS:
            raise ValueError(f"output={self.output!r}: choose one of {OUTPUT_ACTIVATIONS}")
        if "leaky_relu" in (self.hidden, self.output) and not self.slope > 0:
            raise ValueError("slope: LeakyReLU needs a positive negative-side slope c")
        for i, W in enumerate(self.weights):
            if W.ndim != 2:
                raise ValueError(f"weights[{i}] must be a matrix, got shape {tuple(W.shape)}")
            if i and W.shape[1] != self.weights[i - 1].shape[0]:
                raise ValueError(
                    f"weights[{i}] has {W.shape[1]} columns but weights[{i - 1}] has "
                    f"{self.weights[i - 1].shape[0]} rows"
                )
        if self.biases is None:
            self.biases = [None] * len(self.weights)
        if len(self.biases) != len(self.weights):
            raise ValueError(
                f"biases: expected {len(self.weights)} entries, got {len(self.biases)}"
            )
        for i, (W, b) in enumerate(zip(self.weights, self.biases, strict=True)):
            if b is not None and b.shape != (W.shape[0],):
                raise ValueError(
                    f"biases[{i}] must have shape ({W.shape[0]},), got {tuple(b.shape)}"
                )

    # ----------------------------------------------------------------- shapes
    @property
    def dims(self) -> list[int]:
        """[n_0, n_1, ..., n_L, n]: latent, hidden and output sizes."""
        return [self.weights[0].shape[1]] + [W.shape[0] for W in self.weights]

    @property
    def L(self) -> int:
        """Number of hidden layers (P1's L); there are L + 1 weight matrices."""
        return len(self.weights) - 1

    @property
    def device(self) -> torch.device:
        return self.weights[0].device

    @property
    def dtype(self) -> torch.dtype:
        return self.weights[0].dtype

    def bias(self, i: int) -> torch.Tensor:
        """b_i, or a zero vector when the layer has no bias."""
        b = self.biases[i]
        W = self.weights[i]
        return torch.zeros(W.shape[0], dtype=W.dtype, device=W.device) if b is None else b

    def to(self, device=None, dtype=None) -> Generator:
        """A copy on another device and/or dtype."""
        move = lambda t: None if t is None else t.to(device=device, dtype=dtype)  # noqa: E731
        weights, biases = [move(W) for W in self.weights], [move(b) for b in self.biases]
        return replace(self, weights=weights, biases=biases, meta=dict(self.meta))

    # ----------------------------------------------------------------- forward
    def check_latent(self, z: torch.Tensor) -> torch.Tensor:
        """z as a (B, n_0) tensor of the generator's dtype and device (a single latent (n_0,)
        becomes one row); a clear ValueError for a wrong shape or NaN. Every inversion method
        checks its latents with this (also :class:`lib.core.convnet.ConvGenerator`'s)."""
        return check_latent(self, z)

    def forward(self, z: torch.Tensor) -> Forward:
        """Forward pass returning every hidden layer and its support (P1 Eq. 3)."""
        z = self.check_latent(z)
        pre, outs = self.run(z)
        supports = [a > 0 if self.hidden == "relu" else a >= 0 for a in pre[:-1]]
        return Forward(z, outs[:-1], pre, supports, outs[-1])

    def __call__(self, z: torch.Tensor) -> torch.Tensor:
        """G(z), shape (B, n)."""
        return self.forward(z).out

    def apply(self, z: torch.Tensor) -> torch.Tensor:
        """G(z) for a latent already checked (a (B, n_0) tensor of G's dtype and device): the
        inner loop of the gradient methods, which checks once, not at every step. The same
        arithmetic as :meth:`forward`, without the checks and without keeping the hidden layers
        (and no host synchronisation on a GPU)."""
        return self.run(z)[1][-1]

    def run(self, z: torch.Tensor) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
        """The forward pass of a latent already checked: the pre-activations
        [W_0 z + b_0, ..., W_L x_L + b_L] and the outputs [x_1, ..., x_L, G(z)] of every layer
        (:meth:`forward` and :meth:`apply` take theirs from it)."""
        h, pre, outs = z, [], []
        for i in range(self.L + 1):
            a = h @ self.weights[i].T
            if self.biases[i] is not None:
                a = a + self.biases[i]
            h = activation(self.hidden if i < self.L else self.output, a, self.slope)
            pre.append(a)
            outs.append(h)
        return pre, outs

    # ----------------------------------------------------------------- construction
    @classmethod
    def random(
        cls,
        dims: Sequence[int],
        *,
        seed: int,
        dist: str = "gaussian",
        std: float | str = "fan_in",
        bias: bool = False,
        hidden: str = "relu",
        output: str = "identity",
        slope: float = 0.0,
        dtype: torch.dtype = torch.float64,
        device: str | torch.device | None = None,
    ) -> Generator:
        """A generator with i.i.d. random weights, seeded.

        Args:
            dims: [n_0, n_1, ..., n_L, n].
            seed: seed of a private torch.Generator (global random state is never touched).
            dist: 'gaussian' N(0, std^2); 'uniform' U(-sqrt(3) std, sqrt(3) std) and 'rademacher'
                +-std (both with variance std^2, P3 Conj. 3); 'uniform01' U[0, 1] (P3 Fig. 4d).
            std: a number, or 'fan_in' (1/sqrt(n_i), P3), 'fan_out' (1/sqrt(n_{i+1}), P2's
                N(0, 1/n_i) for a layer with n_i outputs) or 'unit' (1).
            bias: also draw biases from the same distribution.
        """
        if len(dims) < 2:
            raise ValueError(f"dims: need at least [n_0, n], got {list(dims)}")
        if dist not in WEIGHT_DISTRIBUTIONS:
            raise ValueError(f"dist={dist!r}: choose one of {WEIGHT_DISTRIBUTIONS}")
        gen = torch.Generator().manual_seed(seed)
        weights, biases = [], []
        for n_in, n_out in zip(dims[:-1], dims[1:], strict=True):
            s = _std(std, n_in, n_out)
            weights.append(_draw((n_out, n_in), dist, s, gen, dtype).to(device))
            biases.append(_draw((n_out,), dist, s, gen, dtype).to(device) if bias else None)
        meta = {"dims": list(dims), "seed": seed, "dist": dist, "std": std}
        return cls(weights, biases, hidden, output, slope, meta)

    def sample_latent(self, B: int, *, seed: int, std: float = 1.0) -> torch.Tensor:
        """B latents z ~ N(0, std^2 I), seeded (:func:`sample_latent`)."""
        return sample_latent(self, B, seed=seed, std=std)


def sample_latent(G, B: int, *, seed: int, std: float = 1.0) -> torch.Tensor:
    """B latents z ~ N(0, std^2 I) for any generator ``G`` (with ``dims``, ``dtype``,
    ``device``), drawn on the CPU from a private generator seeded by ``seed`` (so the same seed
    gives the same latents on every device), then moved to G's device and dtype."""
    gen = torch.Generator().manual_seed(seed)
    z = torch.randn(B, G.dims[0], generator=gen, dtype=G.dtype) * std
    return z.to(G.device)


def _std(std: float | str, n_in: int, n_out: int) -> float:
    if std == "fan_in":
        return n_in**-0.5
    if std == "fan_out":
        return n_out**-0.5
    if std == "unit":
        return 1.0
    if isinstance(std, str):
        raise ValueError(f"std={std!r}: a number, 'fan_in', 'fan_out' or 'unit'")
    return float(std)


def _draw(shape, dist: str, s: float, gen: torch.Generator, dtype) -> torch.Tensor:
    if dist == "gaussian":
        return torch.randn(shape, generator=gen, dtype=dtype) * s
    if dist == "uniform":
        return (torch.rand(shape, generator=gen, dtype=dtype) * 2 - 1) * (3**0.5 * s)
    if dist == "rademacher":
        return (torch.randint(0, 2, shape, generator=gen).to(dtype) * 2 - 1) * s
    return torch.rand(shape, generator=gen, dtype=dtype)  # uniform01
