"""X-bench runner (lib.book.bench) on a tiny configuration: every method, one condition."""

from __future__ import annotations

import json
import math

import pytest
import torch

from lib.book import bench
from lib.core.generator import Generator
from lib.methods.registry import applicability


def tiny_cfg(**over) -> dict:
    """Two tiny generators (a P1 tanh net and a P2 ReLU net) so that every method runs on one."""
    cfg = {
        "seed": 5,
        "signals": 4,
        "noise_levels": (1e-3, 1e-2),
        "random_hidden": 0.45,
        "block_hidden": 0.25,
        "clean_db": 60.0,
        "margin_db": 20.0,
        "max_iter": 200,
        "tol": 1e-8,
        "lbp_lams": (1e-5, 0.0),
        "lp_rho": 1e-2,
        "lp_alpha": 1.2,
        "lp_eps0": 1e-10,
        "gd_steps": 200,
        "p1_gd_lrs": (1e-1,),
        "restarts": 2,
        "generators": {
            "p1": {
                "kind": "p1_random",
                "dims": (4, 12, 30),
                "seed_offset": 1,
                "label": "P1",
                "gd_lrs": None,
                "adam_lr": 0.05,
            },
            "p2": {
                "kind": "p2_random",
                "dims": (4, 12, 30),
                "seed_offset": 2,
                "label": "P2",
                "gd_lrs": (1.0,),
                "adam_lr": 0.05,
            },
        },
    }
    cfg.update(over)
    return cfg


@pytest.fixture(scope="module")
def results():
    torch.set_num_threads(1)
    return bench.run("book", cfg=tiny_cfg(), conditions=["clean"])


def test_every_method_has_a_cell_on_every_generator(results):
    methods = list(bench.METHODS)
    for g in ("p1", "p2"):
        for m in methods:
            c = bench.cell(results, g, "clean", m)
            if not c["applicable"]:
                assert c["reason"].startswith("not applicable")
    # every method ran somewhere
    ran = {c["method"] for c in results["cells"] if c["applicable"]}
    assert ran == set(methods)
    json.dumps(results)  # the results are JSON as they are (no inf, no tensors)


def test_applicability_follows_the_papers(results):
    for m in ("oracle", "layered_bp", "latent_pursuit"):
        assert bench.cell(results, "p1", "clean", m)["applicable"]
        assert "output activations" in bench.cell(results, "p2", "clean", m)["reason"]
    for m in ("equations", "linf", "l1", "relax"):
        assert bench.cell(results, "p2", "clean", m)["applicable"]
        assert "every layer" in bench.cell(results, "p1", "clean", m)["reason"]
    leaky = Generator.random([3, 8, 9], seed=0, hidden="leaky_relu", output="tanh", slope=0.2)
    assert "ReLU hidden" in applicability("latent_pursuit", leaky)
    assert applicability("linf", leaky) is not None
    assert applicability("hybrid", leaky) is not None
    assert applicability("adam", leaky) is None
    # a LeakyReLU output: Layered BP inverts it, Latent-Pursuit does not, nor the hybrid
    out = Generator.random([3, 8, 9], seed=0, output="leaky_relu", slope=0.2)
    assert applicability("layered_bp", out) is None
    assert applicability("latent_pursuit", out) is not None
    assert applicability("hybrid", out) is not None


def test_masked_cells_never_see_the_hidden_pixels():
    p = bench.make_problem("p1", "random_mask", tiny_cfg())
    assert (p.y[~p.mask] == 0).all() and torch.equal(p.y[p.mask], p.x[p.mask])


def test_noisy_cells_use_p1s_lambda_rule():
    p = bench.make_problem("p1", "noise_hi", tiny_cfg())
    assert p.eps > 0
    lbp = bench.options("layered_bp", p)
    assert lbp["eps"] == p.eps and lbp["lipschitz"] >= 1 and "lams" not in lbp
    lam = bench.options("latent_pursuit", p)["lam"]
    assert lam[-1] == pytest.approx(2 * lbp["lipschitz"] * p.eps) and len(lam) == p.G.L
    clean = bench.make_problem("p1", "clean", tiny_cfg())
    assert bench.options("latent_pursuit", clean)["lam"] == [0.0] * p.G.L


def test_a_process_pool_gives_the_serial_results(results):
    from concurrent.futures import ProcessPoolExecutor

    lines = []
    with ProcessPoolExecutor(2) as pool:
        par = bench.run("book", cfg=tiny_cfg(), conditions=["clean"], executor=pool,
                        log=lines.append)  # fmt: skip
    strip = lambda cs: [{k: v for k, v in c.items() if "second" not in k} for c in cs]  # noqa: E731
    assert strip(par["cells"]) == strip(results["cells"])
    assert par["certificates"] == results["certificates"]
    n = len(results["cells"])
    assert lines[0].startswith(f"cell 1 of {n}:") and lines[-1].startswith(f"cell {n} of {n}:")


def test_cli_help_explains_every_option(capsys):
    with pytest.raises(SystemExit):
        bench.main(["--help"])
    text = capsys.readouterr().out
    for opt in ("--scale", "--device", "--out", "--generators", "--methods", "--conditions",
                "--workers"):  # fmt: skip
        assert opt in text
    for action in bench.parser()._actions:  # every option says what it does
        assert action.help and len(action.help) > 20, action.dest


def test_exact_methods_succeed_on_clean_data(results):
    # the Oracle knows the supports: on this net exact exactly where they determine every layer
    cert = results["certificates"]["p1/clean"]
    assert bench.cell(results, "p1", "clean", "oracle")["successes"] == cert["certified"] >= 2
    # the linear equations and the l_inf LP (P2 Thm 3) likewise on a realizable ReLU net
    cert = results["certificates"]["p2/clean"]
    for m in ("equations", "linf"):
        c = bench.cell(results, "p2", "clean", m)
        assert c["successes"] == cert["certified"] >= 2, (m, c)
        assert c["z_snr_median"] >= 60
        assert 0 <= c["lo"] <= c["rate"] <= c["hi"] <= 1


def test_same_signals_for_every_method():
    cfg = tiny_cfg()
    a = bench.make_problem("p1", "random_mask", cfg)
    b = bench.make_problem("p1", "random_mask", cfg)
    assert torch.equal(a.z, b.z) and torch.equal(a.y, b.y) and torch.equal(a.mask, b.mask)
    n = bench.make_problem("p1", "noise_hi", cfg)
    assert torch.equal(n.z, a.z) and not torch.equal(n.y, n.x)
    assert n.threshold_db == pytest.approx(20.0)  # 40 dB noise SNR - 20 dB margin
    blk = bench.make_problem("p1", "block_mask", cfg)
    assert not blk.mask[:8].any() and blk.mask[8:].all()  # round(0.25 * 30) = 8 hidden


def test_wilson_interval():
    # reference values (Wilson 1927; e.g. statsmodels proportion_confint(method='wilson'))
    lo, hi = bench.wilson(0, 10)
    assert lo == 0 and hi == pytest.approx(1.96**2 / (10 + 1.96**2))  # closed form at k = 0
    lo, hi = bench.wilson(5, 10)
    assert lo == pytest.approx(0.23659, abs=1e-5) and hi == pytest.approx(0.76341, abs=1e-5)
    assert bench.wilson(8, 8)[1] == 1.0
    assert math.isclose(sum(bench.wilson(3, 7)), 2 * ((3 + 1.96**2 / 2) / (7 + 1.96**2)))


def test_p1_settings_are_those_of_the_p1_sweep():
    # the hybrid and the P1 methods run with the settings of P1 Sec. 6.1's chapter
    from lib.book import experiments

    for scale in experiments.SCALES:
        xb = experiments.settings("x_bench", scale)
        sw = experiments.settings("p1_random_sweep", scale)
        assert xb["max_iter"] == sw["max_iter"] and xb["tol"] == sw["tol"]
        assert xb["lbp_lams"] == sw["lbp_lams"] and xb["lp_rho"] == sw["lp_rho"]
        assert xb["gd_steps"] == sw["gd_steps"]
        for g in ("p1_small", "p1_mid", "p1_large"):
            assert bench.GENERATORS[g]["gd_lrs"] is None and xb["p1_gd_lrs"] == sw["gd_lrs"]
            assert bench.GENERATORS[g]["dims"][2] == sw["n"]
