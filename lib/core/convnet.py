"""P3 (Ma, Ayaz, Karaman 2018): convolutional generators as matrices, landscapes, partial recovery.

A transposed convolution ("deconvolution") is a linear map, so it is a matrix W_i (P3 Eq. 2,
Fig. 2a). :func:`conv_transpose_matrix` writes that matrix explicitly (sparse), in the
channels-first flattening order of torch's ``.reshape(B, -1)``, so that ``W @ z.flatten()`` equals
``conv_transpose(z).flatten()``. When the stride equals the kernel size, the row and column
permutation of P3 Fig. 2b (:func:`block_permutation`) turns W into a block-diagonal matrix of
identical dense blocks: one block per input position, each block the (C_out l) x C_in matrix of
all filter taps.

:class:`ConvGenerator` is the convolutional generator of P3, G(z) = sigma(W_2 sigma(W_1 z))
(P3 Eq. 2) with any depth and optional biases, batched over networks: each row of a batch may
have its own weights (one random network per trial, evaluated with one grouped transposed
convolution) or its own biases (one label per row of the trained conditional DCGAN of P3
Sec. 4.3, :meth:`lib.mnist.models.P3Generator.conv_generator`, batch-norm folded in). It exposes the
interface that :func:`lib.methods.gradient.gradient_descent` uses (``dims``, ``dtype``, ``device``,
``check_latent``, ``__call__``), so the book's single gradient loop runs on it, and exports a
dense :class:`lib.core.generator.Generator` when its activations allow
(:meth:`ConvGenerator.to_generator`). :func:`lib.methods.recovery.recover` is P3's recovery with
the negation restart; its sweep runner is :func:`lib.book.experiments.recovery_sweep`.

Masks (1 = observed pixel) are the sub-sampling matrices A of P3 Theorem 4: uniform random pixels
at a sampling rate r, and top/bottom/left/right bands of the image (half masks at r = 0.5).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import torch
import torch.nn.functional as F

from lib.core.generator import (
    WEIGHT_DISTRIBUTIONS,
    Generator,
    _draw,
    _std,
    activation,
    check_latent,
)
from lib.core.metrics import wilson_interval  # noqa: F401  (re-exported: chapters import it from here)

CONV_ACTIVATIONS = ("relu", "leaky_relu", "sigmoid", "tanh", "identity")


# --------------------------------------------------------------------------- matrices (Fig. 2)
def _as_tuple(v: int | Sequence[int], d: int, name: str) -> tuple[int, ...]:
    if isinstance(v, int):
        return (v,) * d
    v = tuple(int(x) for x in v)
    if len(v) != d:
        raise ValueError(f"{name}: expected {d} values for a {d}-D convolution, got {v}")
    return v


def conv_transpose_output_size(
    in_size: Sequence[int], kernel: Sequence[int], stride: Sequence[int], padding: Sequence[int]
) -> tuple[int, ...]:
    """Spatial output size of a transposed convolution: (D_in - 1) s - 2 p + k per dimension
    (P3 Sec. 2.1: D_{i+1} = D_i l when s = l and p = 0)."""
    out = tuple(
        (d - 1) * s - 2 * p + k for d, k, s, p in zip(in_size, kernel, stride, padding, strict=True)
    )
    if min(out) < 1:
        raise ValueError(f"padding too large: output size {out}")
    return out


def conv_transpose_matrix(
    weight: torch.Tensor,
    in_size: int | Sequence[int],
    stride: int | Sequence[int] = 1,
    padding: int | Sequence[int] = 0,
) -> torch.Tensor:
    """The transposed convolution as an explicit sparse matrix W (P3 Eq. 2, Fig. 2a).

    Args:
        weight: torch's ``conv_transpose1d/2d`` weight, shape (C_in, C_out, k) or
            (C_in, C_out, k_h, k_w): ``weight[i, j]`` is the filter f of input channel i and
            output channel j (P3 writes f_{i,j}).
        in_size: spatial input size D_in (int or tuple, one entry per spatial dimension).
        stride, padding: as in torch (no output padding, dilation or groups).

    Returns:
        A coalesced sparse COO tensor W of shape (C_out prod(D_out), C_in prod(D_in)), in the
        weight's dtype and device, such that ``W @ z.reshape(-1)`` equals
        ``conv_transpose(z[None], weight, stride=stride, padding=padding).reshape(-1)`` for a
        ``(C_in, *D_in)`` input z (channels-first flattening, as torch's ``reshape``).

    Entry: output (j, o) receives f_{i,j}[a] z[i, q] whenever o = q s - p + a (per dimension).
    """
    if weight.ndim not in (3, 4):
        raise ValueError(
            f"weight: expected (C_in, C_out, k) or (C_in, C_out, kh, kw), got {tuple(weight.shape)}"
        )
    d = weight.ndim - 2
    C_in, C_out, *kernel = weight.shape
    D_in = _as_tuple(in_size, d, "in_size")
    s = _as_tuple(stride, d, "stride")
    p = _as_tuple(padding, d, "padding")
    D_out = conv_transpose_output_size(D_in, kernel, s, p)
    dev = weight.device
    # all (i, j, q, a) combinations, vectorised: one column per (i, q), one tap per (j, a)
    i, j = torch.meshgrid(
        torch.arange(C_in, device=dev), torch.arange(C_out, device=dev), indexing="ij"
    )
    q = torch.cartesian_prod(*[torch.arange(n, device=dev) for n in D_in]).reshape(-1, d)
    a = torch.cartesian_prod(*[torch.arange(n, device=dev) for n in kernel]).reshape(-1, d)
    o = q[:, None, :] * torch.tensor(s, device=dev) - torch.tensor(p, device=dev) + a[None]
    valid = ((o >= 0) & (o < torch.tensor(D_out, device=dev))).all(dim=2)  # (|q|, |a|)
    q_flat = _ravel(q, D_in)  # (|q|,)
    o_flat = _ravel(o.clamp(min=0), D_out)  # (|q|, |a|)
    a_flat = _ravel(a, tuple(kernel))  # (|a|,)
    n_out, n_in = math.prod(D_out), math.prod(D_in)
    rows = j.reshape(-1, 1, 1) * n_out + o_flat[None]  # (C_in C_out, |q|, |a|)
    cols = (i.reshape(-1, 1, 1) * n_in + q_flat[None, :, None]).expand_as(rows)
    vals = weight.reshape(C_in * C_out, -1)[:, a_flat][:, None, :].expand_as(rows)
    keep = valid[None].expand_as(rows)
    idx = torch.stack([rows[keep], cols[keep]])
    W = torch.sparse_coo_tensor(
        idx, vals[keep], (C_out * n_out, C_in * n_in), check_invariants=True
    )
    return W.coalesce()


def _ravel(idx: torch.Tensor, shape: Sequence[int]) -> torch.Tensor:
    """Row-major flat index of multi-indices idx[..., d] in an array of the given shape."""
    flat = torch.zeros(idx.shape[:-1], dtype=torch.long, device=idx.device)
    for k, n in enumerate(shape):
        flat = flat * n + idx[..., k]
    return flat


def block_permutation(
    C_in: int, C_out: int, in_size: int | Sequence[int], kernel: int | Sequence[int]
) -> tuple[torch.Tensor, torch.Tensor]:
    """Row and column permutations of P3 Fig. 2b for a transposed convolution with stride = kernel
    size and no padding.

    With s = l every input position q feeds its own output patch o = q l + a (a a kernel offset),
    and patches do not overlap. Ordering the rows by (q, j, a) and the columns by (q, i) therefore
    gathers, for each q, the taps f_{i,j}[a] into one dense (C_out l) x C_in block, the same for
    every q: ``W[rows][:, cols]`` is block-diagonal with prod(D_in) identical blocks
    (:func:`filter_block`). This is the structure the proof of P3 Theorem 1 (Lemma Sup.2) uses to
    apply Gaussian-matrix concentration.

    Returns:
        (rows, cols): long tensors, permutations of range(C_out prod(D_out)) and
        range(C_in prod(D_in)).
    """
    d = (
        len(in_size)
        if not isinstance(in_size, int)
        else (len(kernel) if not isinstance(kernel, int) else 1)
    )
    D_in = _as_tuple(in_size, d, "in_size")
    k = _as_tuple(kernel, d, "kernel")
    D_out = tuple(n * kk for n, kk in zip(D_in, k, strict=True))
    n_in, n_out = math.prod(D_in), math.prod(D_out)
    q = torch.cartesian_prod(*[torch.arange(n) for n in D_in]).reshape(-1, d)
    a = torch.cartesian_prod(*[torch.arange(n) for n in k]).reshape(-1, d)
    kt = torch.tensor(k)
    # rows ordered (q, j, a)
    o = q[:, None, None, :] * kt + a[None, None, :, :]  # (|q|, 1, |a|, d)
    o_flat = _ravel(o, D_out).expand(-1, C_out, -1)  # (|q|, C_out, |a|)
    rows = torch.arange(C_out)[None, :, None] * n_out + o_flat
    cols = torch.arange(C_in)[None, :] * n_in + _ravel(q, D_in)[:, None]  # (|q|, C_in)
    return rows.reshape(-1), cols.reshape(-1)


def filter_block(weight: torch.Tensor) -> torch.Tensor:
    """The dense block of P3 Fig. 2b: B[(j, a), i] = f_{i,j}[a], shape (C_out l, C_in), with l the
    number of kernel taps (k or k_h k_w)."""
    C_in, C_out = weight.shape[:2]
    return weight.reshape(C_in, C_out, -1).permute(1, 2, 0).reshape(-1, C_in)


# --------------------------------------------------------------------------- generators
def _activation(name: str, t: torch.Tensor, slope: float) -> torch.Tensor:
    """:func:`lib.core.generator.activation`, with torch's fused LeakyReLU (the same values; on a
    CPU several times faster than the generic ``where``, which dominated the trained P3
    generator's gradient steps)."""
    if name == "leaky_relu":
        return F.leaky_relu(t, slope)
    return activation(name, t, slope)


@dataclass
class ConvGenerator:
    """A transposed-convolutional generator G(z) = phi(W_L act(... act(W_1 z + b_1)) + b_L)
    (P3 Eq. 2, any depth, with biases), batched over networks.

    Args:
        kernels: one weight per layer, torch's conv_transpose layout ``(C_in, C_out, *k)``, or
            with a leading network axis ``(N, C_in, C_out, *k)``: row b of a batch then uses
            network b.
        in_shape: shape of the latent feature map, ``(C_0, *D_0)`` (e.g. (2, 1, 1): a 2-dim
            latent).
        stride, padding: per layer (int each, the same in every spatial dimension).
        hidden: activation after every layer but the last ('relu', 'leaky_relu', 'sigmoid',
            'tanh', 'identity'); output: activation after the last layer (P3 uses the same one
            everywhere: Eq. 2 has ReLU after both layers; its trained MNIST generator has
            LeakyReLU hidden layers and a tanh output).
        slope: negative slope of LeakyReLU.
        biases: None (no biases, P3's theory), or one entry per layer, each None or a tensor
            added to the layer's transposed convolution before its activation: (C_out,) (one
            bias per channel), ``(C_out, *D_out)`` (a full map, e.g. the label's bias in a
            conditional generator, or batch-norm folded in), or either with a leading network
            axis ``(N, C_out, *D_out)`` / ``(N, C_out, 1, ...)`` (one bias per network: e.g. one
            label per row with shared kernels, see
            :meth:`lib.mnist.models.P3Generator.conv_generator`).

    The generator is batched when any kernel or bias has the network axis; each row of z then
    goes through its own network (shared tensors are shared by all rows). Latents z are rows
    (B, n_0) with n_0 = prod(in_shape), outputs rows (B, n_L) flattened channels-first, as
    :class:`lib.core.generator.Generator`.
    """

    kernels: list[torch.Tensor]
    in_shape: tuple[int, ...]
    stride: list[int]
    padding: list[int]
    hidden: str = "relu"
    output: str = "relu"
    slope: float = 0.2
    meta: dict = field(default_factory=dict)
    biases: list[torch.Tensor | None] | None = None

    def __post_init__(self) -> None:
        if not self.kernels:
            raise ValueError("kernels: need at least one layer")
        self.in_shape = tuple(int(v) for v in self.in_shape)
        self.d = len(self.in_shape) - 1
        if self.d not in (1, 2):
            raise ValueError(f"in_shape must be (C, D) or (C, H, W), got {self.in_shape}")
        L = len(self.kernels)
        if len(self.stride) != L or len(self.padding) != L:
            raise ValueError(f"stride and padding need {L} entries (one per layer)")
        for name in (self.hidden, self.output):
            if name not in CONV_ACTIVATIONS:
                raise ValueError(f"activation {name!r}: choose one of {CONV_ACTIVATIONS}")
        if "leaky_relu" in (self.hidden, self.output) and not self.slope > 0:
            raise ValueError(f"slope={self.slope!r}: LeakyReLU needs a positive slope")
        self.kernel_batched = self.kernels[0].ndim == self.d + 3
        shapes = [self.in_shape]
        for l_, K in enumerate(self.kernels):
            if K.ndim != self.d + 2 + self.kernel_batched:
                raise ValueError(
                    f"kernels[{l_}] has shape {tuple(K.shape)}: expected "
                    f"{'(N, ' if self.kernel_batched else '('}C_in, C_out, k...)"
                )
            C_in, C_out, *k = K.shape[self.kernel_batched :]
            if C_in != shapes[-1][0]:
                raise ValueError(
                    f"kernels[{l_}] has {C_in} input channels, expected {shapes[-1][0]}"
                )
            D = conv_transpose_output_size(
                shapes[-1][1:], k, (self.stride[l_],) * self.d, (self.padding[l_],) * self.d
            )
            shapes.append((C_out, *D))
        self.shapes = shapes
        self.biases = self._check_biases(self.biases)
        sizes = {K.shape[0] for K in self.kernels} if self.kernel_batched else set()
        sizes |= {b.shape[0] for b in self.biases if b is not None and self._bias_batched(b)}
        if len(sizes) > 1:
            raise ValueError(
                f"kernels/biases: every batched tensor needs the same number of networks N, "
                f"got {sorted(sizes)}"
            )
        self.batched = bool(sizes)
        self._N = sizes.pop() if sizes else 1

    def _bias_batched(self, b: torch.Tensor) -> bool:
        return b.ndim == self.d + 2

    def _check_biases(self, biases) -> list[torch.Tensor | None]:
        """Each bias as a tensor of ndim d + 1 (shared) or d + 2 (per network) that broadcasts
        to the layer's ``(C_out, *D_out)``, in the kernels' dtype and device."""
        L = len(self.kernels)
        if biases is None:
            return [None] * L
        biases = list(biases)
        if len(biases) != L:
            raise ValueError(f"biases: expected {L} entries (one per layer), got {len(biases)}")
        out = []
        for l_, b in enumerate(biases):
            if b is None:
                out.append(None)
                continue
            b = torch.as_tensor(b).to(dtype=self.dtype, device=self.device)
            C, *D = self.shapes[l_ + 1]
            if b.ndim == 1:  # (C_out,): one bias per channel
                b = b.reshape(-1, *[1] * self.d)
            lead = b.shape[: b.ndim - self.d - 1]
            tail = tuple(b.shape[len(lead) :])
            ok = len(lead) <= 1 and len(tail) == self.d + 1 and tail[0] == C
            ok = ok and all(t in (1, s) for t, s in zip(tail[1:], D, strict=True))
            if not ok:
                raise ValueError(
                    f"biases[{l_}] has shape {tuple(b.shape)}: expected ({C},), "
                    f"({C}, {', '.join(map(str, D))}) or with a leading network axis (N, ...)"
                )
            if torch.isnan(b).any() or torch.isinf(b).any():
                raise ValueError(f"biases[{l_}] contains NaN or inf")
            out.append(b)
        return out

    # ------------------------------------------------------------- the Generator interface
    @property
    def dims(self) -> list[int]:
        """[n_0, n_1, ..., n_L]: flattened sizes of the latent and of every layer's output."""
        return [math.prod(s) for s in self.shapes]

    @property
    def out_shape(self) -> tuple[int, ...]:
        """``(C_L, *D_L)``: the output image shape."""
        return self.shapes[-1]

    @property
    def n_networks(self) -> int:
        """Number of networks N (1 when all rows share the weights and biases)."""
        return self._N

    @property
    def device(self) -> torch.device:
        return self.kernels[0].device

    @property
    def dtype(self) -> torch.dtype:
        return self.kernels[0].dtype

    def check_latent(self, z: torch.Tensor) -> torch.Tensor:
        """As :meth:`lib.core.generator.Generator.check_latent`; a batched generator also needs one
        row per network."""
        z = check_latent(self, z)
        if self.batched and z.shape[0] != self.n_networks:
            raise ValueError(
                f"z has {z.shape[0]} rows but the generator holds {self.n_networks} networks "
                "(one row per network)"
            )
        return z

    def layers(self, z: torch.Tensor) -> list[torch.Tensor]:
        """Every layer's output [x_1, ..., x_L] (after its activation), as feature maps."""
        return self._layers(self.check_latent(z))

    def apply(self, z: torch.Tensor) -> torch.Tensor:
        """G(z) for a latent already checked, as :meth:`lib.core.generator.Generator.apply`."""
        x = self._layers(z)[-1]
        return x.reshape(x.shape[0], -1)

    def _layers(self, z: torch.Tensor) -> list[torch.Tensor]:
        B = z.shape[0]
        conv = F.conv_transpose1d if self.d == 1 else F.conv_transpose2d
        h = z.reshape(B, *self.in_shape)
        out = []
        for l_, (K, b) in enumerate(zip(self.kernels, self.biases, strict=True)):
            if self.kernel_batched:  # one group per network: row b through network b
                Kb = K.reshape(-1, *K.shape[2:])
                a = conv(
                    h.reshape(1, -1, *h.shape[2:]),
                    Kb,
                    stride=self.stride[l_],
                    padding=self.padding[l_],
                    groups=B,
                )
                a = a.reshape(B, -1, *a.shape[2:])
            else:
                a = conv(h, K, stride=self.stride[l_], padding=self.padding[l_])
            if b is not None:
                a = a + b
            act = self.output if l_ == len(self.kernels) - 1 else self.hidden
            h = _activation(act, a, self.slope)
            out.append(h)
        return out

    def __call__(self, z: torch.Tensor) -> torch.Tensor:
        """G(z), shape (B, n_L) (flattened channels-first)."""
        return self.apply(self.check_latent(z))

    #: B latents z ~ N(0, std^2 I), seeded, on the generator's device and dtype (the same rule
    #: as :meth:`lib.core.generator.Generator.sample_latent`, shared)
    sample_latent = Generator.sample_latent

    # ------------------------------------------------------------- conversions
    def _batched_tensors(self) -> tuple[list[bool], list[bool]]:
        kb = [self.kernel_batched] * len(self.kernels)
        bb = [b is not None and self._bias_batched(b) for b in self.biases]
        return kb, bb

    def select(self, rows: torch.Tensor) -> ConvGenerator:
        """The sub-batch of networks ``rows`` (a batched generator), or self (shared weights)."""
        if not self.batched:
            return self
        kb, bb = self._batched_tensors()
        return self._with(
            [K[rows] if f else K for K, f in zip(self.kernels, kb, strict=True)],
            [b[rows] if f else b for b, f in zip(self.biases, bb, strict=True)],
        )

    def repeat(self, times: int) -> ConvGenerator:
        """Each network repeated ``times`` times consecutively (rows b*times .. b*times+times-1
        use network b), e.g. to run one network under several masks in one batch. A generator
        whose rows share everything is returned as it is."""
        if not self.batched:
            return self
        kb, bb = self._batched_tensors()

        def rep(t, f):
            return t.repeat_interleave(times, dim=0) if f else t

        return self._with(
            [rep(K, f) for K, f in zip(self.kernels, kb, strict=True)],
            [rep(b, f) for b, f in zip(self.biases, bb, strict=True)],
        )

    def _with(self, kernels: list[torch.Tensor], biases: list) -> ConvGenerator:
        """This generator's geometry, activations and metadata with other kernels and biases."""
        copies = dict(stride=list(self.stride), padding=list(self.padding), meta=dict(self.meta))
        return replace(self, kernels=kernels, biases=biases, **copies)

    def matrices(self, network: int = 0) -> list[torch.Tensor]:
        """The sparse matrices [W_1, ..., W_L] of one network (:func:`conv_transpose_matrix`)."""
        Ws = []
        for l_, K in enumerate(self.kernels):
            Kn = K[network] if self.kernel_batched else K
            Ws.append(
                conv_transpose_matrix(Kn, self.shapes[l_][1:], self.stride[l_], self.padding[l_])
            )
        return Ws

    def bias_vectors(self, network: int = 0) -> list[torch.Tensor | None]:
        """The biases [b_1, ..., b_L] of one network as flat vectors (n_l,) (None: no bias),
        in the order of :meth:`matrices`: layer l is act(W_l x_{l-1} + b_l)."""
        out = []
        for l_, b in enumerate(self.biases):
            if b is None:
                out.append(None)
                continue
            bn = b[network] if self._bias_batched(b) else b
            out.append(bn.expand(self.shapes[l_ + 1]).reshape(-1).clone())
        return out

    def to_generator(self, network: int = 0) -> Generator:
        """The same map as a dense layered :class:`lib.core.generator.Generator` (P1 notation: its
        weights [W_0, ..., W_L] and biases are this network's W_1, ..., W_L and b_1, ..., b_L),
        so that the other chapters' methods run on it. Needs a hidden activation the Generator
        supports ('relu' or 'leaky_relu'); the output activation must be one of its output
        activations."""
        if self.hidden not in ("relu", "leaky_relu") and len(self.kernels) > 1:
            raise ValueError(
                f"hidden={self.hidden!r}: lib.core.generator.Generator supports only 'relu' and "
                "'leaky_relu' hidden layers; evaluate this generator with ConvGenerator itself"
            )
        hidden = self.hidden if self.hidden in ("relu", "leaky_relu") else "relu"
        Ws = [W.to_dense() for W in self.matrices(network)]
        meta = dict(self.meta, conv_shapes=self.shapes)
        return Generator(
            Ws,
            self.bias_vectors(network),
            hidden,
            self.output,
            self.slope if "leaky_relu" in (hidden, self.output) else 0.0,
            meta,
        )

    # ------------------------------------------------------------- construction
    @classmethod
    def from_layers(
        cls, layers: Sequence[dict], in_shape: Sequence[int], meta: dict | None = None
    ) -> ConvGenerator:
        """A generator from a list of layers, each a dict with ``weight`` (``(C_in, C_out, *k)``,
        or (N, ...)), ``bias`` (None or as in the class docstring), ``stride``, ``padding``,
        ``activation`` and (for LeakyReLU) ``slope`` -- the form of
        :meth:`lib.mnist.models.P3Generator.folded` (batch-norm already folded in). Every layer but
        the last must have the same activation (and slope)."""
        if not layers:
            raise ValueError("layers: need at least one layer")
        hidden = {lay["activation"] for lay in layers[:-1]} or {layers[-1]["activation"]}
        if len(hidden) != 1:
            raise ValueError(f"layers: the hidden activations differ: {sorted(hidden)}")
        slopes = {
            float(lay.get("slope", 0.2)) for lay in layers if lay["activation"] == "leaky_relu"
        }
        if len(slopes) > 1:
            raise ValueError(f"layers: the LeakyReLU slopes differ: {sorted(slopes)}")
        return cls(
            [lay["weight"] for lay in layers],
            tuple(in_shape),
            [int(lay["stride"]) for lay in layers],
            [int(lay["padding"]) for lay in layers],
            hidden.pop(),
            layers[-1]["activation"],
            slopes.pop() if slopes else 0.2,
            dict(meta or {}),
            [lay.get("bias") for lay in layers],
        )

    @classmethod
    def random(
        cls,
        channels: Sequence[int],
        *,
        in_size: Sequence[int],
        kernel: int,
        stride: int | Sequence[int],
        seed: int,
        padding: int | Sequence[int] = 0,
        n_networks: int | None = None,
        dist: str = "gaussian",
        std: float | str = "fan_out",
        hidden: str = "relu",
        output: str | None = None,
        slope: float = 0.2,
        dtype: torch.dtype = torch.float64,
        device: str | torch.device | None = None,
    ) -> ConvGenerator:
        """Random transposed-convolutional generator(s), seeded (P3 Thm. 1, Conj. 3, Sec. 4.2).

        Args:
            channels: [C_0, C_1, ..., C_L]; in_size: spatial size D_0 of the latent map.
            kernel: the same for every layer; stride, padding: the same for every layer (an
                int; P3 Sec. 4.2: kernel 5, stride 3; Thm. 1: stride = kernel) or one per layer
                (e.g. DCGAN: stride (1, 2, 2, 2), padding (0, 1, 1, 1)).
            n_networks: None for one network shared by all rows, else N independent networks.
            dist: 'gaussian', 'uniform' (zero mean), 'rademacher' (+-std), 'uniform01' (U[0, 1],
                P3 Fig. 4d), as :meth:`lib.core.generator.Generator.random`.
            std: the rule of :meth:`lib.core.generator.Generator.random` with a layer's fan-in
                C_{i-1} l and fan-out C_i l (l = k^d taps): 'fan_out' = 1/sqrt(C_i l), the
                N(0, 1/(C_i l)) of P3 Thm. 1 (C_i the layer's output channels, as in the
                authors' code); 'fan_in' = 1/sqrt(C_{i-1} l); 'unit' = 1 (P3 Sec. 4.2:
                N(0, 1)); or a number.
            hidden, output: activations (output defaults to hidden, as in P3).
        """
        if dist not in WEIGHT_DISTRIBUTIONS:
            raise ValueError(f"dist={dist!r}: choose one of {WEIGHT_DISTRIBUTIONS}")
        in_size = tuple(in_size)
        d = len(in_size)
        gen = torch.Generator().manual_seed(seed)
        kernels = []
        for C_in, C_out in zip(channels[:-1], channels[1:], strict=True):
            l = kernel**d
            s = _std(std, C_in * l, C_out * l)
            shape = (C_in, C_out) + (kernel,) * d
            if n_networks is not None:
                shape = (n_networks, *shape)
            kernels.append(_draw(shape, dist, s, gen, dtype).to(device))
        L = len(kernels)
        strides = [stride] * L if isinstance(stride, int) else [int(v) for v in stride]
        paddings = [padding] * L if isinstance(padding, int) else [int(v) for v in padding]
        meta = {
            "channels": list(channels),
            "in_size": list(in_size),
            "kernel": kernel,
            "stride": stride,
            "padding": padding,
            "seed": seed,
            "dist": dist,
            "std": std,
        }
        return cls(
            kernels,
            (channels[0], *in_size),
            strides,
            paddings,
            hidden,
            output or hidden,
            slope,
            meta,
        )
