"""The experiments' sweep runners (lib.book.experiments): the same results whichever executor runs
the sweep's points, serially in this process or in a pool of processes."""

import dataclasses
from concurrent.futures import ProcessPoolExecutor

import pytest
import torch

from lib.book import experiments
from lib.core import convnet as conv
from lib.core.device import one_cpu_thread


@pytest.fixture(scope="module")
def pool():
    with ProcessPoolExecutor(max_workers=2, initializer=one_cpu_thread) as ex:
        yield ex


def same(a, b, path="result"):
    """a and b are equal, tensors bit for bit, wall times (keys or fields naming seconds)
    skipped."""
    if dataclasses.is_dataclass(a):
        a, b = dataclasses.asdict(a), dataclasses.asdict(b)
    if isinstance(a, dict):
        assert a.keys() == b.keys(), path
        for k in a:
            if "second" not in str(k):
                same(a[k], b[k], f"{path}[{k!r}]")
    elif isinstance(a, list | tuple):
        assert type(a) is type(b) and len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            same(x, y, f"{path}[{i}]")
    elif isinstance(a, torch.Tensor):
        assert torch.equal(a, b), path
    else:
        assert a == b, path


def test_run_points_keeps_the_order_and_the_arguments(pool):
    pts = [dict(a=i, b=-i) for i in range(5)]
    assert experiments.run_points(dict, pts, c=0) == [dict(p, c=0) for p in pts]
    assert experiments.run_points(dict, pts, executor=pool, c=0) == [dict(p, c=0) for p in pts]


def test_workers_run_one_torch_thread(pool):
    assert pool.submit(torch.get_num_threads).result() == 1


def test_p1_random_sweep_same_in_a_process_pool(pool):
    cfg = dict(
        experiments.settings("p1_random_sweep", "book"),
        n=40, n0=(4, 6), n1=(8, 20, 50), signals=3, gd_steps=40, max_iter=40,
    )  # fmt: skip
    serial = experiments.random_sweep(cfg)
    assert list(serial) == [4, 6] and [r["n1"] for r in serial[6]] == [8, 20, 50]
    assert serial[4][1]["snr"]["latent_pursuit"]["z"].shape == (3,)
    same(experiments.random_sweep(cfg, executor=pool), serial)
    # the runner is the chapter's loop over random_sweep_point
    same(serial[6][2], experiments.random_sweep_point(6, 50, cfg))


def test_p2_latent_size_sweep_same_in_a_process_pool(pool):
    S = dict(
        experiments.settings("p2_latent_size", "book"),
        hidden=30, out=70, k_grid=(4, 12), runs=3, lp_runs=2, lp_runs_leaky=2, gd_steps=30,
        gd_alt_k=(4, 12), gd_alt_steps=60,
    )  # fmt: skip
    serial = experiments.latent_size_sweep(S)
    assert list(serial) == [("relu", 4), ("relu", 12), ("leaky_relu", 4), ("leaky_relu", 12)]
    assert list(serial["relu", 4]) == ["equations", "linf", "gd"]
    assert serial["relu", 4]["equations"].shape == (3,) and serial["relu", 4]["linf"].shape == (2,)
    same(experiments.latent_size_sweep(S, executor=pool), serial)
    alt = experiments.gd_alternatives(S)
    assert [r["k"] for r in alt] == [4, 12] and alt[0]["b"][1] == 3
    same(experiments.gd_alternatives(S, executor=pool), alt)


def test_p3_recovery_sweeps_same_in_a_process_pool(pool):
    points = []
    for i, c in enumerate((2, 6)):
        G = conv.ConvGenerator.random([4, c, c], in_size=(1, 1), kernel=2, stride=2, seed=i,
                                      n_networks=3)  # fmt: skip
        z = G.sample_latent(3, seed=10 + i)
        opts = dict(kinds=["random"], rates=(0.5, 1.0), seed=20 + i, max_iter=60, lr=0.1)
        points.append(dict(G=G, z_star=z, **opts))
    serial = experiments.recovery_sweeps(points)
    assert [sw.success.shape for sw in serial] == [(3, 1, 2)] * 2
    same(experiments.recovery_sweeps(points, executor=pool), serial)
    # one point is recovery_sweep with those arguments
    same(serial[1], experiments.recovery_sweep(**points[1]))
