"""Measurement operators: which entries of G(z) are observed, and the noise added to them.

A mask is a 0/1 (bool) tensor over the flattened output, True = observed; the inversion methods
take it as ``mask=`` ((n,) for one mask shared by the batch, (B, n) for one per signal) and only
the observed entries enter their data terms. P1 hides 45 % of the pixels at random or the top
rows of the image (inpainting, Figs. 8-13), P2 hides pixels in its sensing examples (Figs. 4, 6),
P3 observes a random subset or a half of the image (Thm. 4, Figs. 5-6).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch

from lib.core.generator import as_rows

MASK_KINDS = ("random", "top", "bottom", "left", "right")


def random_mask(
    n: int, r: float, *, B: int = 1, seed: int, device: str | torch.device | None = None
) -> torch.Tensor:
    """Uniform random sub-sampling masks (P3 Thm. 4): each of the B rows observes exactly
    round(r n) of the n output entries, chosen uniformly at random. Returns a (B, n) bool tensor,
    True = observed."""
    if not 0 < r <= 1:
        raise ValueError(f"r={r}: the sampling rate must lie in (0, 1]")
    gen = torch.Generator().manual_seed(seed)
    m = max(1, round(r * n))
    order = torch.rand(B, n, generator=gen).argsort(dim=1)
    mask = torch.zeros(B, n, dtype=torch.bool)
    mask.scatter_(1, order[:, :m], True)
    return mask.to(device)


def band_mask(
    image_shape: Sequence[int], r: float, side: str, device: str | torch.device | None = None
) -> torch.Tensor:
    """A structured mask over a (C, H, W) image (P3 Sec. 3, Figs. 5-6): observe the top, bottom,
    left or right band covering round(r H) rows / round(r W) columns of every channel (r = 0.5:
    the half-image masks of the paper). Returns an (n,) bool tensor, True = observed; its true
    sampling rate is the band's share of the image."""
    if side not in MASK_KINDS[1:]:
        raise ValueError(f"side={side!r}: choose one of {MASK_KINDS[1:]}")
    if len(image_shape) != 3:
        raise ValueError(f"image_shape must be (C, H, W), got {tuple(image_shape)}")
    if not 0 < r <= 1:
        raise ValueError(f"r={r}: the sampling rate must lie in (0, 1]")
    C, H, W = image_shape
    m = torch.zeros(C, H, W, dtype=torch.bool)
    rows, cols = max(1, round(r * H)), max(1, round(r * W))
    if side == "top":
        m[:, :rows] = True
    elif side == "bottom":
        m[:, H - rows :] = True
    elif side == "left":
        m[:, :, :cols] = True
    else:
        m[:, :, W - cols :] = True
    return m.reshape(-1).to(device)


def make_masks(
    kind: str,
    image_shape: Sequence[int],
    r: float,
    *,
    B: int,
    seed: int,
    device: str | torch.device | None = None,
) -> torch.Tensor:
    """B masks (B, n) of one kind ('random', 'top', 'bottom', 'left', 'right') at rate r."""
    if kind == "random":
        return random_mask(math.prod(image_shape), r, B=B, seed=seed, device=device)
    if kind not in MASK_KINDS:
        raise ValueError(f"kind={kind!r}: choose one of {MASK_KINDS}")
    return band_mask(image_shape, r, kind, device=device).expand(B, -1).clone()


def check_mask(mask, n: int, B: int | None = None, *, device=None) -> torch.Tensor | None:
    """The one meaning of a mask for every method: a boolean tensor over the n output entries,
    True = observed, shape (n,) (shared by the batch) or (B, n) (one per signal).

    Accepts a bool tensor/array, or numbers that are all 0 or 1 (converted to bool). Any other
    value (0.5, NaN) is rejected: a mask selects entries, it does not weight them. None stays
    None (everything observed). ValueError naming ``mask`` otherwise.
    """
    if mask is None:
        return None
    m = torch.as_tensor(mask)
    shapes = ((n,),) if B is None else ((n,), (B, n))
    if tuple(m.shape) not in shapes:
        want = " or ".join(str(s) for s in shapes)
        raise ValueError(f"mask must have shape {want}, got {tuple(m.shape)}")
    if m.dtype != torch.bool:
        if m.is_complex() or not bool(((m == 0) | (m == 1)).all()):
            raise ValueError(
                "mask: entries must be True/False or 0/1 (True = observed); got other values "
                "(a mask selects pixels, it does not weight them)"
            )
        m = m != 0
    return m.to(device)


def check_observation(G, y, mask=None) -> tuple[torch.Tensor, torch.Tensor | None]:
    """The one input check of every inversion method: y as a (B, n) tensor of G's dtype and
    device (a single (n,) observation becomes one row) and the mask by :func:`check_mask`
    (bool, True = observed, on G's device).

    ValueError naming ``y`` for a wrong shape, NaN or +-inf (an infinite pixel cannot be
    fitted), naming ``mask`` for a wrong shape or non-0/1 values. The hidden entries of the
    returned y are 0, so that no method can read what they held. Every public method calls this
    once, at its boundary; what it calls inside runs on the checked observation. ``G``: any
    generator with ``dims``, ``dtype`` and ``device``.
    """
    n = G.dims[-1]
    y = as_rows(y, n, "y", dtype=G.dtype, device=G.device)
    if torch.isinf(y).any():
        raise ValueError("y contains inf (every observed entry must be finite)")
    mask = check_mask(mask, n, y.shape[0], device=G.device)
    if mask is not None:  # hidden entries are never read: whatever they held, they are 0 now
        y = torch.where(mask, y, torch.zeros((), dtype=y.dtype, device=y.device))
    return y, mask


def observed_counts(mask, B: int, n: int) -> torch.Tensor:
    """(B,) int64 on the CPU: how many of the n output entries each signal observes."""
    if mask is None:
        return torch.full((B,), n, dtype=torch.long)
    return torch.as_tensor(mask).bool().expand(B, n).sum(1).cpu()


def undetermined(G, mask, B: int) -> torch.Tensor:
    """(B,) bool on the CPU: the signal observes fewer output entries than z has unknowns
    (n_0), so the observation cannot determine z and no method may report a success for it
    (a fit of fewer equations than unknowns is a guess, whatever the method's own test says)."""
    return observed_counts(mask, B, G.dims[-1]) < G.dims[0]


def relative_residual(G, z: torch.Tensor, y: torch.Tensor, mask=None) -> torch.Tensor:
    """||M (G(z) - y)|| / ||M y|| per signal (B,); +inf for a NaN estimate. Only the observed
    entries of y (M = the mask) are read."""
    with torch.no_grad():
        r = G(torch.nan_to_num(z)) - y
        yy = y
        if mask is not None:
            r, yy = r * mask, y * mask
        out = torch.linalg.vector_norm(r, dim=1) / torch.linalg.vector_norm(yy, dim=1).clamp_min(
            1e-300
        )
    bad = torch.isnan(z).any(dim=1) | torch.isnan(out)
    return torch.where(bad, torch.full_like(out, float("inf")), out)


NOISE_KINDS = ("uniform", "gaussian")


def add_noise(
    y: torch.Tensor, kind: str, a: float, *, seed: int, mask: torch.Tensor | None = None
) -> torch.Tensor:
    """y + e with P2's noise models (Sec. 5.1): 'uniform' e ~ U(-a, a), 'gaussian' e ~ N(0, a^2).

    P2 writes the Gaussian model as N(0, a); the book reads a as the standard deviation, so that
    both models have the same scale a (for a *variance* v, pass a = sqrt(v)). Drawn from a
    private generator seeded by ``seed``; with a mask, only observed entries get noise.
    """
    if kind not in NOISE_KINDS:
        raise ValueError(f"kind={kind!r}: choose one of {NOISE_KINDS}")
    if not (a >= 0 and math.isfinite(a)):
        raise ValueError(f"a={a!r}: the noise level must be a finite number >= 0")
    gen = torch.Generator().manual_seed(seed)
    if kind == "uniform":
        e = (torch.rand(y.shape, generator=gen, dtype=y.dtype) * 2 - 1) * a
    else:
        e = torch.randn(y.shape, generator=gen, dtype=y.dtype) * a
    e = e.to(y.device)
    if mask is not None:
        e = e * mask.to(y.dtype)
    return y + e
