"""The first cell of every chapter."""

from __future__ import annotations

import torch

from lib.book import experiments, plotting
from lib.core.device import device, one_cpu_thread


def setup_notebook(experiment: str | None = None) -> torch.device:
    """First-cell helper: fix the printing precision, use the book's figure style, pick the
    device (:func:`lib.core.device.device`), run CPU work on one thread
    (:func:`lib.core.device.one_cpu_thread`) and print one short line with the device and the
    scale (how many settings are reduced from the paper's; the chapter names those that matter,
    :func:`lib.book.experiments.describe` lists them all).

    Returns the device.
    """
    torch.set_printoptions(precision=4)
    plotting.use_book_style()
    dev = device()
    one_cpu_thread()
    line = f"device: {dev.type}"
    if experiment is not None:
        line += "; " + experiments.describe(experiment, short=True)
    print(line)
    return dev
