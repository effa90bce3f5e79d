"""Where the tensors live and how many CPU threads compute on them."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch
from threadpoolctl import threadpool_limits


def device() -> torch.device:
    """The torch device notebooks use: the GPU when there is one (e.g. on Colab), else the CPU."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def one_cpu_thread() -> None:
    """Run torch's CPU kernels and numpy's/scipy's BLAS on one thread in this process.

    The book's problems are small (matrices of a few hundred rows, batches of tens of signals):
    a second thread buys little, and where several processes share the cores (the test suite
    runs notebooks side by side) threads that wait for a busy core spin against the other jobs,
    which made an SVD 90 times and some chapters 20 times slower on a 2-core machine.
    """
    torch.set_num_threads(1)
    threadpool_limits(1, user_api="blas")


@contextlib.contextmanager
def torch_threads(threads: int | None) -> Iterator[None]:
    """Run the block with ``threads`` torch CPU threads and restore the setting afterwards
    (None: leave it as it is)."""
    before = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(before)
