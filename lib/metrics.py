"""Error measures used by the papers' figures, computed per signal (rows of a batch)."""

from __future__ import annotations

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
