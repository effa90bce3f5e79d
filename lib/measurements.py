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
