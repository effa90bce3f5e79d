"""X-bench: every inversion method of the three papers on every generator, same signals, same
metrics.

Methods (:data:`METHODS`, each a :mod:`lib.methods.registry` entry called in the registry's one
shape): P1's Oracle (Alg. 1), Layered Basis-Pursuit (Alg. 2) and Latent-Pursuit (Alg. 5); P2's
layer-wise linear equations (Thm 3 / Eq. 5), l_inf LP (Alg. 1), l_1 LP (Alg. 2) and LP relaxation
(Alg. 3); gradient descent with P1's step-size rule, Adam (P3 Sec. 4.3), gradient descent with
random restarts and P3's negation restart; and the hybrid of :mod:`lib.methods.hybrid`.

Generators: P1's random tanh net in its three regimes (n_1 < 2 n_0, 2 n_0 < n_1 < n, n_1 > n), P2's
random ReLU nets 20-100-500 and k-250-600, P3's random transposed-convolution net, and the
trained MNIST generators of P1, P2 and P3. Conditions: clean, Gaussian noise at two levels, a
random mask and a block mask.

A method that cannot run on a generator gets a "not applicable" cell with the reason the
registry's rule gives (:func:`lib.methods.registry.applicability`). Every method sees the same
latents, noise and masks (one seed per generator and condition); under a mask the hidden entries of
y are zero (a method never sees the clean image there). The noise level is known to every method
alike: the layered pursuits take P1 Alg. 2's lambda = 2 l eps from it (:func:`options`), the
hybrid and the restarts their data-fit threshold. Success is judged here, the same way for every
method, from the latent error.

The cells of one generator and condition are independent of the others: :func:`run` takes a
``concurrent.futures.Executor`` (serial by default) and gives the same results with any.
Run ``python -m lib.book.bench --help`` for the command line.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass

import torch

from lib.book import experiments
from lib.core.convnet import ConvGenerator
from lib.core.device import one_cpu_thread
from lib.core.generator import Generator, activation_inverse
from lib.core.metrics import snr_db
from lib.core.metrics import wilson_interval as wilson  # the chapters' name for it
from lib.core.observation import add_noise, random_mask
from lib.methods.hybrid import support_certificate
from lib.methods.pursuit import _phi_prime
from lib.methods.registry import METHODS as REGISTRY
from lib.methods.registry import applicability
from lib.methods.rules import p1_rule
from lib.mnist.models import generator_from_torch
from lib.mnist.train import load
from lib.theory.sparsity import certify

# ------------------------------------------------------------------ methods
#: the registry's methods the benchmark runs, in table order
METHODS: tuple[str, ...] = (
    "oracle",
    "layered_bp",
    "latent_pursuit",
    "equations",
    "linf",
    "l1",
    "relax",
    "gd",
    "adam",
    "gd_restarts",
    "hybrid",
)
METHOD_LABELS = {m: REGISTRY[m].label for m in METHODS}

CONDITIONS: tuple[tuple[str, str], ...] = (
    ("clean", "clean"),
    ("noise_lo", "noise 1e-3"),
    ("noise_hi", "noise 1e-2"),
    ("random_mask", "45 % hidden at random"),
    ("block_mask", "first 25 % hidden"),
)
CONDITION_LABELS = dict(CONDITIONS)


def _gen(kind: str, seed_offset: int, label: str, gd_lrs, adam_lr: float, **shape) -> dict:
    """One generator's spec (keys in the order the stored runs hold them)."""
    spec = {"kind": kind, **shape, "seed_offset": seed_offset, "label": label}
    return spec | {"gd_lrs": gd_lrs, "adam_lr": adam_lr}


#: The benchmark's generators: P1 Sec. 6.1's random tanh net in its three regimes (n = 625,
#: n_0 = 100, weights N(0, 1/n_i)), P2 Sec. 5.1's random ReLU nets (weights N(0, 1/n_{i+1})), P3
#: Sec. 4.2's random transposed-convolution net (2 -> 16 -> 1 channels, kernel 5, stride 3, a
#: 2x2 latent map, N(0, 1/(C l)) weights), and the trained MNIST generators. ``gd_lrs``: the step
#: sizes of P1's rule (None: P1's own list, the setting ``p1_gd_lrs``; P2: 1 on its random nets;
#: 1e-2 on the trained nets, the largest that did not diverge), ``adam_lr``: Adam's step (P3: 0.1).
GENERATORS: dict[str, dict] = {
    "p1_small": _gen(
        "p1_random", 1, "P1 tanh 100-150-625 (n1 < 2 n0)", None, 0.05, dims=(100, 150, 625)
    ),
    "p1_mid": _gen(
        "p1_random", 2, "P1 tanh 100-400-625 (2 n0 < n1 < n)", None, 0.05, dims=(100, 400, 625)
    ),
    "p1_large": _gen(
        "p1_random", 3, "P1 tanh 100-1000-625 (n1 > n)", None, 0.05, dims=(100, 1000, 625)
    ),
    "p2_500": _gen("p2_random", 4, "P2 ReLU 20-100-500", (1.0,), 0.05, dims=(20, 100, 500)),
    "p2_600": _gen("p2_random", 5, "P2 ReLU 60-250-600", (1.0,), 0.05, dims=(60, 250, 600)),
    "p3_conv": _gen(
        "p3_random",
        6,
        "P3 conv ReLU 8-1024-676",
        (1.0,),
        0.1,
        channels=(2, 16, 1),
        in_size=(2, 2),
        kernel=5,
        stride=3,
    ),
    "p1_mnist": _gen("p1_trained", 7, "trained P1 20-128-392-784", (0.01,), 0.1),
    "p2_mnist": _gen("p2_trained", 8, "trained P2 20-60-784", (0.01,), 0.1),
    "p3_mnist": _gen(
        "p3_trained", 9, "trained P3 conv 10-1024-2048-4096-1024, digit 3", (0.01,), 0.1, digit=3
    ),
}


@dataclass
class Problem:
    """One generator under one condition: the same for every method."""

    G: object  # Generator, ConvGenerator or a trained module's wrapper
    z: torch.Tensor  # (B, n_0) true latents
    x: torch.Tensor  # (B, n) clean outputs G(z)
    y: torch.Tensor  # (B, n) observation (noisy where the condition says so)
    mask: torch.Tensor | None  # (n,) or (B, n) bool, True = observed
    noise: float  # relative noise level (0 for clean and masked)
    eps: float  # noise bound: expected ||e||_2 over the observed entries (0 when clean)
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


def _lipschitz(G, y: torch.Tensor, mask) -> float:
    """l: the largest slope of phi^{-1} on the observed data (P1 Thm 2's Lipschitz constant of
    the inverse output activation; 1 for the identity)."""
    a = activation_inverse(G.output, y, G.slope)
    slope = 1.0 / _phi_prime(G.output, a, G.slope)
    if mask is not None:
        slope = torch.where(mask.expand_as(slope), slope, torch.zeros_like(slope))
    return float(slope.max())


def options(m: str, p: Problem) -> dict:
    """The options of method ``m`` on problem ``p`` (the registry's keywords): P1 Sec. 6.1's
    iteration caps, lambda grid and ADMM penalty, P2's epsilon schedule, the generator's step
    sizes, and, on noisy data, P1 Alg. 2's lambda = 2 l eps from the noise bound eps for the
    layered pursuits (the hybrid's Latent-Pursuit too)."""
    c = p.cfg
    lrs = tuple(p.gen["gd_lrs"] or c["p1_gd_lrs"])  # the step sizes of P1's rule on this net
    fit_tol = max(1e-6, 2.0 * p.noise)  # data fit within 2x the relative noise (clean: 1e-6)
    seed = p.seed + 7
    pursuit = dict(max_iter=c["max_iter"], tol=c["tol"])

    def lam_l():  # P1 Alg. 2: lambda_L = 2 l eps (0 on clean data)
        return 2 * _lipschitz(p.G, p.y, p.mask) * p.eps if p.eps > 0 else 0.0

    if m == "oracle":
        return {"supports": p.G.forward(p.z).supports}
    if m == "layered_bp":
        if p.eps > 0:  # P1 Alg. 2's schedule from the noise bound
            return dict(pursuit, eps=p.eps, lipschitz=_lipschitz(p.G, p.y, p.mask))
        return dict(pursuit, lams=c["lbp_lams"])
    if m == "latent_pursuit":
        lam = [0.0] * (p.G.L - 1) + [lam_l()]
        return dict(pursuit, lam=lam, rho=c["lp_rho"], seed=p.seed)
    if m in ("linf", "l1", "relax"):
        backend = "ipm" if m == "linf" and p.dense.hidden == "relu" else "highs"
        return dict(backend=backend, alpha=c["lp_alpha"], eps0=c["lp_eps0"])
    if m == "gd":
        return dict(lrs=lrs, max_iter=c["gd_steps"], seed=seed)
    if m == "adam":
        return dict(lr=p.gen["adam_lr"], max_iter=c["gd_steps"], seed=seed)
    if m == "gd_restarts":
        return dict(
            lrs=lrs, max_iter=c["gd_steps"], restarts=c["restarts"], fit_tol=fit_tol, seed=seed
        )
    if m == "hybrid":
        lam = lam_l() if p.dense.hidden == "relu" and p.dense.output != "relu" else 0.0
        return dict(
            pursuit_max_iter=c["max_iter"], pursuit_tol=c["tol"], fit_tol=fit_tol, lrs=lrs,
            max_iter=c["gd_steps"], rho=c["lp_rho"], lam=lam, seed=seed,
        )  # fmt: skip
    return {}


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
        return ConvGenerator.random(
            spec["channels"],
            in_size=spec["in_size"],
            kernel=spec["kernel"],
            stride=spec["stride"],
            seed=seed,
            device=device,
        )
    if kind in ("p1_trained", "p2_trained"):
        module, _ = load(kind[:2])
        return generator_from_torch(module).to(device=device)
    if kind == "p3_trained":
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
    y, mask, noise, eps = x, None, 0.0, 0.0
    thr = cfg["clean_db"]
    if condition.startswith("noise"):
        noise = cfg["noise_levels"][0 if condition == "noise_lo" else 1]
        rms = float(torch.sqrt((x * x).mean()))
        y = add_noise(x, "gaussian", noise * rms, seed=seed + 2)
        eps = noise * rms * math.sqrt(n)  # E||e||_2 of n Gaussian entries of std noise * rms
        thr = min(thr, -20 * math.log10(noise) - cfg["margin_db"])
    elif condition == "random_mask":
        mask = random_mask(n, 1 - cfg["random_hidden"], B=B, seed=seed + 3, device=x.device)
    elif condition == "block_mask":
        mask = torch.ones(n, dtype=torch.bool, device=x.device)
        mask[: round(cfg["block_hidden"] * n)] = False
    elif condition != "clean":
        raise ValueError(f"condition={condition!r}: choose one of {dict(CONDITIONS)}")
    if mask is not None:  # the hidden entries are not observed: nothing of x is left there
        y = x * mask.to(x.dtype)
    return Problem(G, z, x, y, mask, noise, eps, thr, cfg, spec, seed)


# ------------------------------------------------------------------ metrics


def _clip_db(v: torch.Tensor) -> torch.Tensor:
    """NaN (no estimate) -> -100 dB; exact -> capped at 300 dB (JSON has no infinity)."""
    return torch.nan_to_num(v.double(), nan=-100.0, posinf=300.0, neginf=-100.0).clamp(-100, 300)


def certificate_of(p: Problem) -> dict | None:
    """The support certificate (:func:`lib.methods.hybrid.support_certificate`) of the *true*
    signals under the condition's mask: how many of them the supports determine; on nets with ReLU
    hidden layers and an invertible output also P1's conditions
    (:func:`lib.theory.sparsity.certify`: per source, how many signals hold / fail / are
    undetermined). None where it is not computed (a net with no ReLU/LeakyReLU matrix form here)."""
    if not (isinstance(p.G, Generator) or hasattr(p.G, "to_generator")):
        return None
    D = p.dense
    if D.hidden not in ("relu", "leaky_relu"):
        return None
    ok = support_certificate(D, p.z, p.mask)
    s = [int(v) for v in torch.stack(D.forward(p.z).cardinalities).median(dim=1).values]
    out = {"certified": int(ok.sum()), "n": int(ok.numel()), "median_s": s}
    if p1_rule(D) is None:
        # P1's own conditions, from lib.theory.sparsity's batched certificate (P1 Thm 1, its
        # support-specific form, arXiv Cor 1, ICLR Thm 2)
        counts = certify(D, p.z, mask=p.mask).counts()
        for src in ("Thm 1", "Thm 1 (support)", "arXiv Cor 1", "ICLR Thm 2"):
            out[src] = counts[f"{src}: all"]
    return out


def evaluate(p: Problem, out) -> dict:
    """Success (z-SNR >= the condition's threshold), median z- and image-SNR, seconds, of a
    method's :class:`lib.core.result.InversionResult` ``out`` (the hybrid's: also its choices)."""
    zs = _clip_db(snr_db(p.z, out.z.detach()).cpu())
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
    if getattr(out, "choice", None):
        cell["choice"] = list(out.choice)
        cell["seconds_parts"] = out.seconds_parts
    return cell


# ------------------------------------------------------------------ the runner
_GENERATORS: dict[tuple, object] = {}  # built generators of this process (speed, not answers)


def _generator(key: str, cfg: dict, device):
    spec = cfg["generators"][key]
    k = (key, json.dumps(spec, sort_keys=True, default=str), cfg["seed"], str(device))
    if k not in _GENERATORS:
        _GENERATORS.clear()  # one at a time: a trained net is large
        _GENERATORS[k] = build_generator(key, cfg, device)
    return _GENERATORS[k]


_CERTS: dict[tuple, dict | None] = {}  # certificates of this process, by content (speed only)


def _certificate(key: str, p: Problem) -> dict | None:
    """:func:`certificate_of`, computed once per generator, true latents and mask: the noisy
    conditions share the clean one's latents and (no) mask, so their certificate is the same."""

    def digest(t):
        return None if t is None else hashlib.sha1(t.detach().cpu().numpy().tobytes()).hexdigest()

    k = (key, id(p.G), digest(p.z), digest(p.mask))
    if k not in _CERTS:
        if len(_CERTS) > 16:
            _CERTS.clear()
        _CERTS[k] = certificate_of(p)
    return _CERTS[k]


def run_pair(key: str, condition: str, cfg: dict, methods: Sequence[str], device=None):
    """One generator under one condition: the certificate of the true signals and one cell per
    method (independent of every other pair: the unit of work :func:`run` hands an executor)."""
    G = _generator(key, cfg, device)
    p = make_problem(key, condition, cfg, G=G)
    cells, gd = [], None
    for m in methods:
        base = {"generator": key, "condition": condition, "method": m}
        base["threshold_db"] = p.threshold_db
        why = applicability(m, G)
        if why is not None:
            cells.append({**base, "applicable": False, "reason": why})
            continue
        torch.manual_seed(0)  # nothing should read it; a guard against hidden randomness
        opts = options(m, p)
        if (
            m == "gd_restarts"
            and gd is not None
            and all(opts.get(k) == v for k, v in options("gd", p).items())
        ):
            # its first run is the GD cell's own call (same step sizes, budget and seed): reused
            opts["first"] = gd
        out = REGISTRY[m].fn(G, p.y, mask=p.mask, **opts)
        if m == "gd":
            gd = out
        cells.append({**base, "applicable": True, **evaluate(p, out)})
    return _certificate(key, p), cells


def run(
    scale: str | None = None,
    *,
    device=None,
    generators: Sequence[str] | None = None,
    methods: Sequence[str] | None = None,
    conditions: Sequence[str] | None = None,
    cfg: dict | None = None,
    log: Callable[[str], None] | None = None,
    executor: Executor | None = None,
) -> dict:
    """Run the benchmark; returns a JSON-ready dict (``cells``: one entry per generator,
    condition and method, applicable or not). ``cfg`` overrides the settings of the ``x_bench``
    section of :mod:`lib.book.experiments` (tests use a tiny one). ``executor``: a
    ``concurrent.futures.Executor`` that runs the (generator, condition) pairs (default: one
    after the other in this process; a ``ProcessPoolExecutor(n, initializer=one_cpu_thread)``
    (:func:`lib.core.device.one_cpu_thread`) or a cluster's executor, Dask's
    ``Client(address).get_executor()`` or a Ray one, give the same cells: see
    :func:`lib.book.experiments.run_points`). ``log`` gets one line per cell,
    "cell i of N", as the pairs finish."""
    scale = scale or experiments.current_scale()
    cfg = dict(experiments.settings("x_bench", scale) if cfg is None else cfg)
    cfg.setdefault("generators", GENERATORS)
    generators = list(generators or cfg["generators"])
    methods = list(methods or METHODS)
    conditions = list(conditions or [c for c, _ in CONDITIONS])
    given = {"methods": methods, "conditions": conditions, "generators": generators}
    known = {"methods": METHODS, "conditions": CONDITION_LABELS, "generators": cfg["generators"]}
    for arg, names in given.items():
        for v in (v for v in names if v not in known[arg]):
            raise ValueError(f"{arg}: unknown {v!r}; choose from {list(known[arg])}")
    t_start = time.perf_counter()
    pairs = [(g, c) for g in generators for c in conditions]
    if executor is None:  # serial, in this process: each pair runs when its turn comes
        outcomes = (run_pair(g, c, cfg, methods, device) for g, c in pairs)
    else:
        futures = [executor.submit(run_pair, g, c, cfg, methods, device) for g, c in pairs]
        outcomes = (f.result() for f in futures)  # in order: the same results either way
    done, total = 0, len(pairs) * len(methods)
    cells, certs = [], {}
    for (gk, ck), (cert, pair_cells) in zip(pairs, outcomes, strict=True):
        certs[f"{gk}/{ck}"] = cert
        cells += pair_cells
        for x in pair_cells:
            done += 1
            if log:
                log(f"cell {done} of {total}: {_describe(x)}")
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


def _describe(x: dict) -> str:
    head = f"{x['generator']:10s} {x['condition']:11s} {x['method']:14s}"
    if not x["applicable"]:
        return head + " not applicable"
    return (
        f"{head} {x['successes']:3d}/{x['n']:<3d} z-SNR {x['z_snr_median']:7.1f} dB  "
        f"{x['seconds_per_signal']:.3f} s/signal"
    )


def cell(results: dict, generator: str, condition: str, method: str) -> dict:
    """The cell of ``results`` for one generator, condition and method."""
    for c in results["cells"]:
        if (c["generator"], c["condition"], c["method"]) == (generator, condition, method):
            return c
    raise KeyError((generator, condition, method))


def parser() -> argparse.ArgumentParser:
    """The command line of ``python -m lib.book.bench`` (every option with its help text)."""
    ap = argparse.ArgumentParser(
        prog="python -m lib.book.bench",
        description=(
            "X-bench: every inversion method of the three papers on every generator, with the "
            "same signals, noise and masks, and one success criterion (z-SNR). Writes the cells "
            "as JSON; logs one line per cell as it finishes ('cell k of N: ...')."
        ),
    )
    ap.add_argument(
        "--scale",
        choices=experiments.SCALES,
        default="book",
        help="sizes from lib.book.experiments (default: book): 'book' (8 signals per cell, reduced "
        "budgets, a CPU in minutes) or 'paper' (128 signals, the papers' budgets; for a GPU)",
    )
    ap.add_argument(
        "--device", default="cpu", help="torch device of the generators (default: cpu; cuda)"
    )
    ap.add_argument(
        "--out", default="results.json", help="the JSON file to write (default: results.json)"
    )
    ap.add_argument(
        "--generators",
        nargs="*",
        metavar="NAME",
        help=f"run only these generators (default: all of {list(GENERATORS)})",
    )
    ap.add_argument(
        "--methods",
        nargs="*",
        metavar="NAME",
        help=(
            "run only these methods, names of lib.methods.registry "
            f"(default: all of {list(METHODS)})"
        ),
    )
    ap.add_argument(
        "--conditions",
        nargs="*",
        metavar="NAME",
        help=f"run only these conditions (default: all of {list(CONDITION_LABELS)})",
    )
    ap.add_argument(
        "--workers",
        type=int,
        default=1,
        help="processes that run (generator, condition) pairs side by side, one torch thread "
        "each (1: serial; the results are the same)",
    )
    return ap


def main(argv: list[str] | None = None) -> int:
    a = parser().parse_args(argv)
    pool = ProcessPoolExecutor(a.workers, initializer=one_cpu_thread) if a.workers > 1 else None
    try:
        res = run(
            a.scale,
            device=torch.device(a.device),
            generators=a.generators,
            methods=a.methods,
            conditions=a.conditions,
            log=lambda s: print(s, flush=True),
            executor=pool,
        )
    finally:
        if pool is not None:
            pool.shutdown()
    res["command"] = "python -m lib.book.bench " + " ".join(sys.argv[1:] if argv is None else argv)
    with open(a.out, "w") as f:
        json.dump(res, f, indent=1, default=str)
    print(f"wrote {a.out} ({res['seconds']:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
