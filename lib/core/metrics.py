"""Error measures used by the papers' figures, computed per signal (rows of a batch)."""

from __future__ import annotations

import math

import torch

from lib.core.checks import check_count


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

    An exact estimate gives +inf; plots clip it (see ``lib.book.plotting``).
    """
    return -20 * torch.log10(relative_error(true, est))


def wilson_interval(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """The 95 % Wilson score interval (z = 1.96) of a success rate k / n: the book's error bar
    on every success rate (DESIGN.md, Figures). (0, 1) when n = 0; the interval always
    contains k / n (also after rounding at k = n)."""
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


def bootstrap_interval(
    stat, trials, *, n_boot: int = 2000, seed: int = 0, level: float = 0.95
) -> tuple[float, float]:
    """Percentile bootstrap interval of ``stat(trials)``: the rows of ``trials`` (independent
    trials, e.g. one random network each) are resampled with replacement ``n_boot`` times and
    the (1 - level)/2 and (1 + level)/2 quantiles of ``stat`` over the resamples returned. A
    statistic that is NaN on a resample (e.g. a threshold the resample never reaches) counts as
    +inf, so the upper end can be inf. Seeded; the book's error bar on a threshold read off
    a grid of rates (P3 Sec. 3's phase transition)."""
    import numpy as np

    trials = np.asarray(trials)
    if trials.shape[0] < 1:
        raise ValueError("trials: need at least one row")
    if not 0 < level < 1:
        raise ValueError(f"level={level!r}: expected a number in (0, 1)")
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, trials.shape[0], size=(n_boot, trials.shape[0]))
    vals = np.array([float(stat(trials[i])) for i in idx])
    vals = np.where(np.isnan(vals), np.inf, vals)
    lo, hi = np.quantile(vals, [(1 - level) / 2, (1 + level) / 2], method="inverted_cdf")
    return float(lo), float(hi)
