"""Gradient descent computes only the signals still running (lib.methods.gradient.COMPACT_AT): this
must change the time, never the answer; and its stop_fit_tol stop (used by P3's recovery) stops a
signal exactly when its relative residual is below the tolerance, with the status 'fitted'."""

from __future__ import annotations

import torch

import lib.methods.gradient as gradient
from lib.core import convnet as conv
from lib.core.generator import Generator
from lib.core.observation import add_noise, random_mask, relative_residual
from lib.methods import recovery


def _run(monkeypatch, compact_at, **kw):
    monkeypatch.setattr(gradient, "COMPACT_AT", compact_at)
    G = Generator.random([8, 30, 60], seed=1, std="fan_out", output="relu")
    z = G.sample_latent(40, seed=2)
    y = add_noise(G(z), "gaussian", 1e-3, seed=3)
    return gradient.gradient_descent(G, y, lr=1.0, max_iter=400, tol=1e-9, seed=4, **kw)


def test_computing_only_running_signals_gives_the_same_answer(monkeypatch):
    full = _run(monkeypatch, 0.0)  # never compacts
    compact = _run(monkeypatch, 1.0)  # compacts as soon as one signal stops
    stopped = full.iterations < 400
    assert 0 < int(stopped.sum()) < 40, "the test needs signals that stop at different steps"
    assert torch.equal(full.z, compact.z)
    assert torch.equal(full.iterations, compact.iterations)
    assert full.status == compact.status


def test_stop_fit_tol_stops_a_signal_once_its_fit_is_below_it(monkeypatch):
    plain = _run(monkeypatch, 0.75)
    G = Generator.random([8, 30, 60], seed=1, std="fan_out", output="relu")
    y = add_noise(G(G.sample_latent(40, seed=2)), "gaussian", 1e-3, seed=3)
    rel = relative_residual(G, plain.z, y)
    tol = float(torch.quantile(rel, 0.5) * 3)
    early = _run(monkeypatch, 0.75, stop_fit_tol=tol)
    assert bool((early.iterations <= plain.iterations).all())
    fitted = torch.tensor([s == "fitted" for s in early.status])
    assert int((early.iterations < plain.iterations).sum()) > 0 and bool(fitted.any())
    # 'fitted' exactly where the stop was the fit (not the gradient tolerance)
    rel_e = relative_residual(G, early.z, y)
    assert bool((rel_e[fitted] <= tol).all())
    assert bool((early.grad_norm[fitted] > 1e-9).all())


def test_recover_stop_fit_tol_keeps_the_outcomes_of_a_batched_conv_generator():
    """Several networks in one batch (rows select sub-batches of networks when they compact)."""
    G = conv.ConvGenerator.random(
        [3, 6, 1], in_size=(2, 2), kernel=4, stride=2, seed=5, n_networks=12, output="tanh"
    )
    z = G.sample_latent(12, seed=6)
    with torch.no_grad():
        y = G(z)
    mask = random_mask(G.dims[-1], 0.6, B=12, seed=7)
    kw = dict(mask=mask, seed=8, optimizer="adam", lr=0.05, max_iter=300)
    full = recovery.recover(G, y * mask, stop_fit_tol=0.0, **kw)
    early = recovery.recover(G, y * mask, stop_fit_tol=1e-6, **kw)
    assert early.status == full.status
    assert int(early.iterations.sum()) < int(full.iterations.sum())
    err_full = (full.z - z).norm(dim=1) / z.norm(dim=1)
    err_early = (early.z - z).norm(dim=1) / z.norm(dim=1)
    assert int((err_full < 1e-3).sum()) > 0
    assert torch.equal(err_full < 1e-3, err_early < 1e-3)
