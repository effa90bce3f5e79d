"""X-bench: every inversion method of the three papers on every generator, same signals, same
metrics.

Methods: P1's Oracle (Alg. 1), Layered Basis-Pursuit (Alg. 2) and Latent-Pursuit (Alg. 5); P2's
layer-wise linear equations (Thm 3 / Eq. 5), l_inf LP (Alg. 1), l_1 LP (Alg. 2) and LP relaxation
(Alg. 3); gradient descent with P1's step-size rule, Adam (P3 Sec. 4.3), gradient descent with
random restarts and P3's negation restart; and the hybrid of :mod:`lib.hybrid`.

Generators: P1's random tanh net in its three regimes (n_1 < 2 n_0, 2 n_0 < n_1 < n, n_1 > n), P2's
random ReLU nets 20-100-500 and k-250-600, P3's random transposed-convolution net, and the
trained MNIST generators of P1, P2 and P3. Conditions: clean, Gaussian noise at two levels, a
random mask and a block mask.

A method that cannot run on a generator gets a "not applicable" cell with the paper's reason
(:func:`applicability`). Every method sees the same latents, noise and masks (one seed per
generator and condition). Each method is called through one small adapter (:data:`ADAPTERS`)
that reads the shared result type of :mod:`lib.result` (``z``, ``status``, ``seconds``); success
is judged here, the same way for every method, from the latent error.

Run ``python -m lib.bench --scale book|paper --device cpu|cuda --out results.json``.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import torch

from . import experiments
from .generator import Generator
from .hybrid import INVERTIBLE_OUTPUTS, hybrid, layered_parent, support_certificate
from .measurements import add_noise, random_mask
from .metrics import snr_db
from .metrics import wilson_interval as wilson  # the chapters' name for it

# ------------------------------------------------------------------ methods
#: (key, label) in table order
METHODS: tuple[tuple[str, str], ...] = (
    ("oracle", "Oracle (P1 Alg. 1)"),
    ("layered_bp", "Layered BP (P1 Alg. 2)"),
    ("latent_pursuit", "Latent-Pursuit (P1 Alg. 5)"),
    ("equations", "linear equations (P2 Thm 3)"),
    ("linf", "l_inf LP (P2 Alg. 1)"),
    ("l1", "l_1 LP (P2 Alg. 2)"),
    ("relax", "LP relaxation (P2 Alg. 3)"),
    ("gd", "GD (P1 step rule)"),
    ("adam", "Adam (P3)"),
    ("gd_restarts", "GD + restarts + negation"),
    ("hybrid", "hybrid (X-hybrid)"),
)
METHOD_LABELS = dict(METHODS)
P1_METHODS = ("oracle", "layered_bp", "latent_pursuit")
P2_METHODS = ("equations", "linf", "l1", "relax")

CONDITIONS: tuple[tuple[str, str], ...] = (
    ("clean", "clean"),
    ("noise_lo", "noise 1e-3"),
    ("noise_hi", "noise 1e-2"),
    ("random_mask", "45 % hidden at random"),
    ("block_mask", "first 25 % hidden"),
)
CONDITION_LABELS = dict(CONDITIONS)


#: The benchmark's generators: P1 Sec. 6.1's random tanh net in its three regimes (n = 625,
#: n_0 = 100, weights N(0, 1/n_i)), P2 Sec. 5.1's random ReLU nets (weights N(0, 1/n_{i+1})), P3
#: Sec. 4.2's random transposed-convolution net (2 -> 16 -> 1 channels, kernel 5, stride 3, a
#: 2x2 latent map, N(0, 1/(C l)) weights), and the trained MNIST generators. ``gd_lrs``: the step
#: sizes of P1's rule (None: P1's own list, the setting ``p1_gd_lrs``; P2: 1 on its random nets;
#: 1e-2 on the trained nets, the largest that did not diverge), ``adam_lr``: Adam's step (P3: 0.1).
GENERATORS: dict[str, dict] = {
    "p1_small": {
        "kind": "p1_random",
        "dims": (100, 150, 625),
        "seed_offset": 1,
        "label": "P1 tanh 100-150-625 (n1 < 2 n0)",
        "gd_lrs": None,  # P1's rule: cfg['p1_gd_lrs']
        "adam_lr": 0.05,
    },
    "p1_mid": {
        "kind": "p1_random",
        "dims": (100, 400, 625),
        "seed_offset": 2,
        "label": "P1 tanh 100-400-625 (2 n0 < n1 < n)",
        "gd_lrs": None,  # P1's rule: cfg['p1_gd_lrs']
        "adam_lr": 0.05,
    },
    "p1_large": {
        "kind": "p1_random",
        "dims": (100, 1000, 625),
        "seed_offset": 3,
        "label": "P1 tanh 100-1000-625 (n1 > n)",
        "gd_lrs": None,  # P1's rule: cfg['p1_gd_lrs']
        "adam_lr": 0.05,
    },
    "p2_500": {
        "kind": "p2_random",
        "dims": (20, 100, 500),
        "seed_offset": 4,
        "label": "P2 ReLU 20-100-500",
        "gd_lrs": (1.0,),
        "adam_lr": 0.05,
    },
    "p2_600": {
        "kind": "p2_random",
        "dims": (60, 250, 600),
        "seed_offset": 5,
        "label": "P2 ReLU 60-250-600",
        "gd_lrs": (1.0,),
        "adam_lr": 0.05,
    },
    "p3_conv": {
        "kind": "p3_random",
        "channels": (2, 16, 1),
        "in_size": (2, 2),
        "kernel": 5,
        "stride": 3,
        "seed_offset": 6,
        "label": "P3 conv ReLU 8-1024-676",
        "gd_lrs": (1.0,),
        "adam_lr": 0.1,
    },
    "p1_mnist": {
        "kind": "p1_trained",
        "seed_offset": 7,
        "label": "trained P1 20-128-392-784",
        "gd_lrs": (1e-2,),
        "adam_lr": 0.1,
    },
    "p2_mnist": {
        "kind": "p2_trained",
        "seed_offset": 8,
        "label": "trained P2 20-60-784",
        "gd_lrs": (1e-2,),
        "adam_lr": 0.1,
    },
    "p3_mnist": {
        "kind": "p3_trained",
        "digit": 3,
        "seed_offset": 9,
        "label": "trained P3 conv 10-1024-2048-4096-1024, digit 3",
        "gd_lrs": (1e-2,),
        "adam_lr": 0.1,
    },
}


def _acts(G) -> tuple[str, str]:
    return getattr(G, "hidden", "?"), getattr(G, "output", "?")


def applicability(method: str, G) -> str | None:
    """None when ``method`` can run on ``G``; otherwise the reason, from the papers' rules.

    - P1's Oracle, Layered BP and Latent-Pursuit invert layer by layer through phi^{-1}: they
      need ReLU hidden layers (P1 Eq. 3) and an invertible output phi (identity, tanh, sigmoid,
      PLU, LeakyReLU), on a dense generator.
    - P2's equations and LPs need ReLU (or LeakyReLU) at every layer *including the output*
      (P2 Sec. 2); a convolutional net qualifies through its matrices (P3 Sec. 3).
    - Gradient methods need only a differentiable G.
    - The hybrid needs one of the layered parents.
    """
    hidden, output = _acts(G)
    dense = isinstance(G, Generator)
    if method in P1_METHODS:
        if hidden != "relu":
            return f"not applicable: P1's pursuit needs ReLU hidden layers (here {hidden})"
        if output not in INVERTIBLE_OUTPUTS:
            return (
                f"not applicable: P1's pursuit needs an invertible output activation (here "
                f"{output}, which erases the sign of negative pre-activations)"
            )
        if not dense:
            return "not applicable: P1's pursuit is written for a dense generator (P1 Eq. 3)"
        return None
    if method in P2_METHODS:
        if not (hidden == output and hidden in ("relu", "leaky_relu")):
            return (
                f"not applicable: P2's layer-wise inversion needs ReLU (or LeakyReLU) at every "
                f"layer including the output (here hidden {hidden}, output {output})"
            )
        if not (dense or hasattr(G, "to_generator")):
            return "not applicable: no matrix form of this generator"
        return _contracting(G)
    if method == "hybrid":
        D = G if dense else (G.to_generator() if hasattr(G, "to_generator") else None)
        if D is None or layered_parent(D) is None:
            return (
                "not applicable: no layered parent (needs ReLU hidden layers with an invertible "
                "output, or ReLU/LeakyReLU at every layer)"
            )
        return _contracting(D) if layered_parent(D) == "equations" else None
    return None


def _contracting(G) -> str | None:
    """P2's layer-wise inversion solves for all n_i entries of a layer from the active rows of
    the next (P2 Thm 3 needs |S| >= n_i): impossible when a layer does not expand."""
    dims = G.dims
    for i in range(len(dims) - 1):
        if dims[i + 1] < dims[i]:
            return (
                f"not applicable: P2's layer-wise inversion needs every layer to expand "
                f"(|S| >= n_i rows, P2 Thm 3); here {dims[i]} -> {dims[i + 1]}"
            )
    return None


@dataclass
class Problem:
    """One generator under one condition: the same for every method."""

    G: object  # Generator, ConvGenerator or a trained module's wrapper
    z: torch.Tensor  # (B, n_0) true latents
    x: torch.Tensor  # (B, n) clean outputs G(z)
    y: torch.Tensor  # (B, n) observation (noisy where the condition says so)
    mask: torch.Tensor | None  # (n,) or (B, n) bool, True = observed
    noise: float  # relative noise level (0 for clean and masked)
    threshold_db: float  # success: z-SNR >= this
    cfg: dict  # the benchmark settings
    gen: dict  # the generator's spec (GD step sizes etc.)
    seed: int

    @property
    def dense(self) -> Generator:
        """A dense Generator for the matrix methods (a conv net's transposed convolutions)."""
        if isinstance(self.G, Generator):
            return self.G
        return self.G.to_generator()


@dataclass
class Outcome:
    """What an adapter returns: the method's z and per-signal status, and its wall time."""

    z: torch.Tensor
    status: list[str]
    seconds: float
    extra: dict = field(default_factory=dict)


def _statuses(res, B: int) -> list[str]:
    """Per-signal status words of any result (the shared type has a list; older types had one
    string for the batch)."""
    s = res.status
    if isinstance(s, str):
        return [s] * B
    return [str(v) for v in s]


def _outcome(res, B: int, **extra) -> Outcome:
    return Outcome(res.z.detach(), _statuses(res, B), float(res.seconds), extra)


# ---- one adapter per method: the only place that knows a method's call and result
def _oracle(p: Problem) -> Outcome:
    from .pursuit import oracle

    S = p.G.forward(p.z).supports
    return _outcome(oracle(p.G, p.y, S, mask=p.mask), len(p.y))


def _layered_bp(p: Problem) -> Outcome:
    from .pursuit import best_of_lams

    c = p.cfg
    r = best_of_lams(p.G, p.y, c["lbp_lams"], mask=p.mask, max_iter=c["max_iter"], tol=c["tol"])
    return _outcome(r, len(p.y))


def _latent_pursuit(p: Problem) -> Outcome:
    from .pursuit import latent_pursuit

    c = p.cfg
    r = latent_pursuit(
        p.G, p.y, mask=p.mask, rho=c["lp_rho"], max_iter=c["max_iter"], tol=c["tol"], seed=p.seed
    )
    return _outcome(r, len(p.y))


def _equations(p: Problem) -> Outcome:
    from .lp import invert_layerwise

    return _outcome(invert_layerwise(p.dense, p.y, mask=p.mask), len(p.y))


def _lp(method: str) -> Callable[[Problem], Outcome]:
    def run(p: Problem) -> Outcome:
        from .lp import invert_lp

        D = p.dense
        backend = "ipm" if method == "linf" and D.hidden == "relu" else "highs"
        c = p.cfg
        r = invert_lp(
            D, p.y, method, mask=p.mask, backend=backend, alpha=c["lp_alpha"], eps0=c["lp_eps0"]
        )
        return _outcome(r, len(p.y), backend=backend)

    return run


def _gd(p: Problem) -> Outcome:
    from .gradient import gd_step_search

    r = gd_step_search(p.G, p.y, lrs=_lrs(p), steps=p.cfg["gd_steps"], mask=p.mask, seed=p.seed + 7)
    return _outcome(r, len(p.y))


def _adam(p: Problem) -> Outcome:
    from .gradient import gradient_descent

    r = gradient_descent(
        p.G,
        p.y,
        mask=p.mask,
        optimizer="adam",
        lr=p.gen["adam_lr"],
        steps=p.cfg["gd_steps"],
        seed=p.seed + 7,
    )
    return _outcome(r, len(p.y))


def _gd_restarts(p: Problem) -> Outcome:
    """GD (P1's step rule) from ``restarts`` random starts and, per signal, from the negation of
    the best end point (P3's restart, after Hand & Voroninski); keep the lowest data loss. Later
    runs only for the signals whose relative residual is still above ``fit_tol``."""
    from .gradient import gd_step_search, gradient_descent
    from .hybrid import relative_residual

    c = p.cfg
    t0 = time.perf_counter()
    B = len(p.y)
    z = torch.zeros(B, p.G.dims[0], dtype=p.y.dtype, device=p.y.device)
    res = torch.full((B,), float("inf"), dtype=p.y.dtype)
    status = ["budget"] * B
    todo = torch.arange(B)
    tol = _fit_tol(p)

    def take(idx, r):
        m = _rows(p.mask, idx)
        rr = relative_residual(p.G, r.z, p.y[idx.to(p.y.device)], m).cpu()
        st = _statuses(r, len(idx))
        for j, b in enumerate(idx.tolist()):
            if rr[j] < res[b]:
                z[b], res[b], status[b] = r.z[j], rr[j], st[j]

    for k in range(c["restarts"]):
        if len(todo) == 0:
            break
        idx = todo.to(p.y.device)
        r = gd_step_search(
            p.G,
            p.y[idx],
            lrs=_lrs(p),
            steps=c["gd_steps"],
            mask=_rows(p.mask, todo),
            seed=p.seed + 7 + 101 * k,
        )
        take(todo, r)
        todo = torch.arange(B)[res > tol]
        if len(todo) and k == 0:  # negation restart from -z of the first run
            idx = todo.to(p.y.device)
            r = gradient_descent(
                p.G,
                p.y[idx],
                z0=-z[idx],
                lr=min(_lrs(p)),
                steps=c["gd_steps"],
                mask=_rows(p.mask, todo),
            )
            take(todo, r)
            todo = torch.arange(B)[res > tol]
    return Outcome(z, status, time.perf_counter() - t0)


def _hybrid(p: Problem) -> Outcome:
    c = p.cfg
    r = hybrid(
        p.dense,
        p.y,
        mask=p.mask,
        fit_tol=_fit_tol(p),
        lrs=_lrs(p),
        steps=c["gd_steps"],
        max_iter=c["max_iter"],
        tol=c["tol"],
        rho=c["lp_rho"],
        seed=p.seed + 7,
    )
    return _outcome(r, len(p.y), choice=list(r.choice), parts=r.seconds_parts)


ADAPTERS: dict[str, Callable[[Problem], Outcome]] = {
    "oracle": _oracle,
    "layered_bp": _layered_bp,
    "latent_pursuit": _latent_pursuit,
    "equations": _equations,
    "linf": _lp("linf"),
    "l1": _lp("l1"),
    "relax": _lp("relax"),
    "gd": _gd,
    "adam": _adam,
    "gd_restarts": _gd_restarts,
    "hybrid": _hybrid,
}


def _lrs(p: Problem) -> tuple[float, ...]:
    """The step sizes of P1's rule on this generator."""
    return tuple(p.gen["gd_lrs"] or p.cfg["p1_gd_lrs"])


def _rows(mask, idx):
    if mask is None or mask.ndim == 1:
        return mask
    return mask[idx.to(mask.device)]


def _fit_tol(p: Problem) -> float:
    """Data-fit threshold of the restart and hybrid rules: relative residual <= 2x the relative
    noise level (clean data: 1e-6)."""
    return max(1e-6, 2.0 * p.noise)


# ------------------------------------------------------------------ generators
def build_generator(key: str, cfg: dict, device=None):
    """The generator named ``key`` in ``cfg['generators']`` (seeded), on ``device``."""
    spec = cfg.get("generators", GENERATORS)[key]
    kind, seed = spec["kind"], cfg["seed"] + spec["seed_offset"]
    if kind == "p1_random":
        return Generator.random(spec["dims"], seed=seed, std="fan_in", output="tanh", device=device)
    if kind == "p2_random":
        return Generator.random(
            spec["dims"], seed=seed, std="fan_out", hidden="relu", output="relu", device=device
        )
    if kind == "p3_random":
        from .conv import ConvGenerator

        return ConvGenerator.random(
            spec["channels"],
            in_size=spec["in_size"],
            kernel=spec["kernel"],
            stride=spec["stride"],
            seed=seed,
            device=device,
        )
    if kind in ("p1_trained", "p2_trained"):
        from .models import generator_from_torch
        from .train import load

        module, _ = load(kind[:2])
        return generator_from_torch(module).to(device=device)
    if kind == "p3_trained":
        from .train import load

        module, _ = load("p3")
        return module.conv_generator(spec["digit"], device=device)  # batch-norm folded, exact
    raise ValueError(f"unknown generator kind {kind!r}")


def make_problem(key: str, condition: str, cfg: dict, G=None, device=None) -> Problem:
    """Latents, outputs, noise and mask of one generator and condition (seeded: the same for
    every method)."""
    G = build_generator(key, cfg, device) if G is None else G
    spec = cfg.get("generators", GENERATORS)[key]
    seed = cfg["seed"] + spec["seed_offset"]
    B = cfg["signals"]
    z = G.sample_latent(B, seed=seed + 1)
    with torch.no_grad():
        x = G(z)
    n = x.shape[1]
    y, mask, noise = x, None, 0.0
    thr = cfg["clean_db"]
    if condition.startswith("noise"):
        noise = cfg["noise_levels"][0 if condition == "noise_lo" else 1]
        rms = float(torch.sqrt((x * x).mean()))
        y = add_noise(x, "gaussian", noise * rms, seed=seed + 2)
        thr = min(thr, -20 * math.log10(noise) - cfg["margin_db"])
    elif condition == "random_mask":
        mask = random_mask(n, 1 - cfg["random_hidden"], B=B, seed=seed + 3, device=x.device)
    elif condition == "block_mask":
        mask = torch.ones(n, dtype=torch.bool, device=x.device)
        mask[: round(cfg["block_hidden"] * n)] = False
    elif condition != "clean":
        raise ValueError(f"condition={condition!r}: choose one of {dict(CONDITIONS)}")
    return Problem(G, z, x, y, mask, noise, thr, cfg, spec, seed)


# ------------------------------------------------------------------ metrics


def _clip_db(v: torch.Tensor) -> torch.Tensor:
    """NaN (no estimate) -> -100 dB; exact -> capped at 300 dB (JSON has no infinity)."""
    return torch.nan_to_num(v.double(), nan=-100.0, posinf=300.0, neginf=-100.0).clamp(-100, 300)


def certificate_of(p: Problem) -> dict | None:
    """The support certificate (:func:`lib.hybrid.support_certificate`) of the *true* signals
    under the condition's mask: how many of them the supports determine; on nets with ReLU hidden
    layers and an invertible output also P1's conditions (:func:`lib.sparsity.certify`: per
    source, how many signals hold / fail / are undetermined). None where it is not computed (a
    net with no ReLU/LeakyReLU matrix form here)."""
    if not (isinstance(p.G, Generator) or hasattr(p.G, "to_generator")):
        return None
    D = p.dense
    if D.hidden not in ("relu", "leaky_relu"):
        return None
    ok = support_certificate(D, p.z, p.mask)
    s = [int(v) for v in torch.stack(D.forward(p.z).cardinalities).median(dim=1).values]
    out = {"certified": int(ok.sum()), "n": int(ok.numel()), "median_s": s}
    if D.hidden == "relu" and D.output in INVERTIBLE_OUTPUTS:
        # P1's own conditions, from lib.sparsity's batched certificate (P1 Thm 1, its
        # support-specific form, arXiv Cor 1, ICLR Thm 2)
        from .sparsity import certify

        counts = certify(D, p.z, mask=p.mask).counts()
        for src in ("Thm 1", "Thm 1 (support)", "arXiv Cor 1", "ICLR Thm 2"):
            out[src] = counts[f"{src}: all"]
    return out


def evaluate(p: Problem, out: Outcome) -> dict:
    """Success (z-SNR >= the condition's threshold), median z- and image-SNR, seconds."""
    zs = _clip_db(snr_db(p.z, out.z).cpu())
    with torch.no_grad():
        xh = p.G(torch.nan_to_num(out.z))
    xs = _clip_db(snr_db(p.x, xh).cpu())
    xs[torch.isnan(out.z).any(dim=1).cpu()] = -100.0
    k, n = int((zs >= p.threshold_db).sum()), len(zs)
    lo, hi = wilson(k, n)
    counts: dict[str, int] = {}
    for s in out.status:
        counts[s] = counts.get(s, 0) + 1
    cell = {
        "successes": k,
        "n": n,
        "rate": k / n,
        "lo": lo,
        "hi": hi,
        "z_snr_median": float(zs.median()),
        "x_snr_median": float(xs.median()),
        "seconds_per_signal": out.seconds / n,
        "status_counts": counts,
        "z_snr": [round(float(v), 2) for v in zs],
    }
    if "choice" in out.extra:
        cell["choice"] = out.extra["choice"]
        cell["seconds_parts"] = out.extra["parts"]
    return cell


# ------------------------------------------------------------------ the runner
def run(
    scale: str | None = None,
    *,
    device=None,
    generators: Sequence[str] | None = None,
    methods: Sequence[str] | None = None,
    conditions: Sequence[str] | None = None,
    cfg: dict | None = None,
    log: Callable[[str], None] | None = None,
) -> dict:
    """Run the benchmark; returns a JSON-ready dict (``cells``: one entry per generator,
    condition and method, applicable or not). ``cfg`` overrides the settings of the ``x_bench``
    section of :mod:`lib.experiments` (tests use a tiny one)."""
    scale = scale or experiments.current_scale()
    cfg = dict(experiments.settings("x_bench", scale) if cfg is None else cfg)
    cfg.setdefault("generators", GENERATORS)
    generators = list(generators or cfg["generators"])
    methods = list(methods or [m for m, _ in METHODS])
    conditions = list(conditions or [c for c, _ in CONDITIONS])
    for m in methods:
        if m not in ADAPTERS:
            raise ValueError(f"methods: unknown method {m!r}; choose from {list(ADAPTERS)}")
    t_start = time.perf_counter()
    cells, certs = [], {}
    for gk in generators:
        G = build_generator(gk, cfg, device)
        for ck in conditions:
            p = make_problem(gk, ck, cfg, G=G)
            cert = certificate_of(p)
            certs[f"{gk}/{ck}"] = cert
            for m in methods:
                thr = p.threshold_db
                base = {"generator": gk, "condition": ck, "method": m, "threshold_db": thr}
                why = applicability(m, G)
                if why is not None:
                    cells.append({**base, "applicable": False, "reason": why})
                    continue
                torch.manual_seed(0)  # nothing should read it; a guard against hidden randomness
                out = ADAPTERS[m](p)
                cell = {**base, "applicable": True, **evaluate(p, out)}
                cells.append(cell)
                if log:
                    log(
                        f"{gk:10s} {ck:11s} {m:14s} {cell['successes']:3d}/{cell['n']:<3d} "
                        f"z-SNR {cell['z_snr_median']:7.1f} dB  "
                        f"{cell['seconds_per_signal']:.3f} s/signal"
                    )
    return {
        "scale": scale,
        "device": str(device or "cpu"),
        "threads": torch.get_num_threads(),
        "settings": {k: v for k, v in cfg.items()},
        "methods": {m: METHOD_LABELS[m] for m in methods},
        "conditions": {c: CONDITION_LABELS[c] for c in conditions},
        "generators": {g: cfg["generators"][g]["label"] for g in generators},
        "certificates": certs,
        "cells": cells,
        "seconds": time.perf_counter() - t_start,
    }


def cell(results: dict, generator: str, condition: str, method: str) -> dict:
    """The cell of ``results`` for one generator, condition and method."""
    for c in results["cells"]:
        if (c["generator"], c["condition"], c["method"]) == (generator, condition, method):
            return c
    raise KeyError((generator, condition, method))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="X-bench: every inversion method on every generator")
    ap.add_argument("--scale", choices=experiments.SCALES, default="book")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--out", default="results.json")
    ap.add_argument("--generators", nargs="*")
    ap.add_argument("--methods", nargs="*")
    ap.add_argument("--conditions", nargs="*")
    a = ap.parse_args(argv)
    res = run(
        a.scale,
        device=torch.device(a.device),
        generators=a.generators,
        methods=a.methods,
        conditions=a.conditions,
        log=lambda s: print(s, flush=True),
    )
    res["command"] = "python -m lib.bench " + " ".join(sys.argv[1:] if argv is None else argv)
    with open(a.out, "w") as f:
        json.dump(res, f, indent=1, default=str)
    print(f"wrote {a.out} ({res['seconds']:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
