"""`lib`: every algorithm of the three papers the book reproduces.

- P1 Aberdam, Simon, Elad, *On the Inversion of Deep Generative Models* (arXiv 2020, ICLR 2021).
- P2 Lei, Jalal, Dhillon, Dimakis, *Inverting Deep Generative Models, One Layer at a Time* (2019).
- P3 Ma, Ayaz, Karaman, *Invertibility of Convolutional Generative Networks from Partial
  Measurements* (NeurIPS 2018).

Modules: generator, metrics, lp, hardness, gradient, experiments, scorecard, plotting.
"""

from __future__ import annotations

__version__ = "0.1.0"


def device():
    """The torch device notebooks use: the GPU when there is one (e.g. on Colab), else the CPU."""
    import torch

    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def one_cpu_thread() -> None:
    """Run torch's CPU kernels and numpy's/scipy's BLAS on one thread in this process.

    The book's problems are small (matrices of a few hundred rows, batches of tens of signals):
    a second thread buys little, and where several processes share the cores (the test suite
    runs notebooks side by side) threads that wait for a busy core spin against the other jobs,
    which made an SVD 90 times and some chapters 20 times slower on a 2-core machine.
    """
    import torch
    from threadpoolctl import threadpool_limits

    torch.set_num_threads(1)
    threadpool_limits(1, user_api="blas")


def setup_notebook(experiment: str | None = None):
    """First-cell helper: fix the printing precision, pick the device, run CPU work on one
    thread (:func:`one_cpu_thread`) and print one short line
    with the device and the scale (how many settings are reduced from the paper's; the chapter
    names those that matter, ``lib.experiments.describe(experiment)`` lists them all).

    Returns the device.
    """
    import torch

    from . import experiments, plotting

    torch.set_printoptions(precision=4)
    plotting.use_book_style()
    dev = device()
    one_cpu_thread()
    line = f"device: {dev.type}"
    if experiment is not None:
        line += "; " + experiments.describe(experiment, short=True)
    print(line)
    return dev
