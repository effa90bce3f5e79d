"""Error measures used by the papers' figures, computed per signal (rows of a batch)."""

from __future__ import annotations

import math

import torch


def _rows(t: torch.Tensor) -> torch.Tensor:
    t = torch.as_tensor(t)
    return t[None] if t.ndim == 1 else t.reshape(t.shape[0], -1)


def _check_pair(true: torch.Tensor, est: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    true, est = _rows(true), _rows(est)
    if true.shape != est.shape:
        raise ValueError(f"shapes differ: true {tuple(true.shape)} vs estimate {tuple(est.shape)}")
    return true, est.to(true.dtype)


def relative_error(true: torch.Tensor, est: torch.Tensor) -> torch.Tensor:
    """||est - true||_2 / ||true||_2 per signal (P2 Figs. 1-2: ||z - z*|| / ||z*||).

    A NaN estimate (a failed solve) gives NaN, never a small number.
    """
    true, est = _check_pair(true, est)
    return torch.linalg.vector_norm(est - true, dim=1) / torch.linalg.vector_norm(true, dim=1)


def snr_db(true: torch.Tensor, est: torch.Tensor) -> torch.Tensor:
    """Signal-to-noise ratio 20 log10(||true|| / ||est - true||) in dB per signal (P1 Figs. 4-5).

    An exact estimate gives +inf; plots clip it (see ``lib.plotting``).
    """
    return -20 * torch.log10(relative_error(true, est))


def wilson_interval(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """The 95 % Wilson score interval (z = 1.96) of a success rate k / n: the book's error bar
    on every success rate (DESIGN.md, Figures). (0, 1) when n = 0; the interval always
    contains k / n (also after rounding at k = n)."""
    from .result import check_count

    k, n = check_count("k", k), check_count("n", n)
    if k > n:
        raise ValueError(f"k={k}: more successes than trials n={n}")
    if n == 0:
        return (0.0, 1.0)
    p = k / n
    den = 1 + z * z / n
    mid = (p + z * z / (2 * n)) / den
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    return (max(0.0, min(mid - half, p)), min(1.0, max(mid + half, p)))
