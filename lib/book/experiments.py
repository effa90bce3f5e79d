"""Every experiment's sizes, in one place, at two named scales (DESIGN.md, Scales).

- ``book`` (default): the papers' architectures and grids, with fewer trials or iterations where
  needed so that the whole book executes on a 2-core CPU within the CI budget.
- ``paper``: the papers' own trial counts and iteration budgets (for a GPU, e.g. Colab).

Select with the environment variable ``BOOK_SCALE=paper`` before starting the kernel. A notebook
calls :func:`settings` once; its banner (``lib.book.notebook.setup_notebook``) prints the scale in
one line, the captions name the reduced trial counts, and :func:`describe` lists every reduced
setting.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any

import torch

from lib.core.generator import Generator
from lib.core.metrics import relative_error, snr_db
from lib.core.observation import make_masks
from lib.methods.gradient import gd_step_search, gradient_descent, latent_loss
from lib.methods.lp import LayerwiseLP, invert_layerwise
from lib.methods.pursuit import best_of_lams, latent_pursuit
from lib.methods.recovery import recover
from lib.theory.landscapes import RecoverySweep

SCALE_ENV = "BOOK_SCALE"
SCALES = ("book", "paper")


@dataclass(frozen=True)
class Scaled:
    """A setting that differs between the two scales."""

    book: Any
    paper: Any


# One section per chapter; a plain value is the same at both scales.
EXPERIMENTS: dict[str, dict[str, Any]] = {
    # --- P2 section 3: single-layer LP and NP-hardness (book/p2_single_layer) ----------------
    "p2_single_layer": {
        "lp_layers": Scaled(book=40, paper=200),  # random expansive layers inverted by Eq. 4
        "lp_k": 20,
        "lp_expansions": (2.1, 3.0, 5.0),
        "cnf_per_size": Scaled(book=50, paper=500),  # random 3-CNFs per number of variables
        "cnf_vars": (3, 4, 5, 6, 7),
        "clauses_per_var": (2, 8),  # m drawn uniformly in [2k, 8k]: both sat and unsat formulas
        "seed": 2019,
    },
    # --- P1 (issue 3): chapters p1_*; edit only this section -----------------------------------
    "p1_invertibility": {
        "seed": 2020,
        "small_dims": (2, 6, 8),  # [n_0, n_1, n] for the exact (brute-force) certificates
        "random_trials": Scaled(book=40, paper=200),  # latents per random net (measured uniqueness)
        "search_starts": Scaled(book=8, paper=32),  # random starts of the collision search
        "planted_pairs": 8,  # planted collisions per net that measure the search's power
    },
    "p1_guarantees": {
        "seed": 2020,
        "dims": (10, 40, 80, 120),  # [n_0, n_1, n_2, n]: Oracle Monte Carlo network (identity phi)
        "oracle_trials": Scaled(book=2000, paper=20000),  # noise draws for E||x_i - x_hat_i||^2
        "sigma": 1e-2,
        "lbp_dims": (6, 30, 120),  # Layered BP network with s_1 < 1/(3 mu_{s_2}(W_1))
        "lbp_noise": (0.0, 1e-4, 1e-3, 1e-2),
        "lbp_trials": Scaled(book=32, paper=512),
    },
    "p1_random_sweep": {
        "seed": 2020,
        "n": 625,
        "n0": (100, 200),
        "n1": Scaled(
            # 200, 400: n1 = 2 n0; 800: n < n1 < 1.5 n
            book=(50, 150, 200, 250, 400, 600, 800, 1000),
            paper=tuple(range(50, 1001, 50)),
        ),
        "signals": Scaled(book=64, paper=512),
        "weight_std": "fan_in",  # W_i ~ N(0, 1/n_i): keeps tanh out of saturation (see chapter)
        "gd_steps": Scaled(book=800, paper=10_000),
        "gd_lrs": Scaled(book=(1e-1,), paper=(1e-1, 1e0, 1e1, 1e2, 1e3, 1e4)),
        "gd_grad_tol": 1e-9,
        "lbp_lams": Scaled(book=(1e-5, 0.0), paper=(1e-5, 7e-6, 3e-6, 1e-6, 0.0)),
        "lp_rho": 1e-2,
        "lp_gamma": 0.0,
        "lp_lam": 0.0,
        "max_iter": Scaled(book=500, paper=10_000),  # FISTA / ADMM iteration caps
        "tol": 1e-8,
        "success_db": 60.0,  # SNR above which an inversion counts as exact recovery
    },
    # --- end P1 ----------------------------------------------------------------------------------
    # --- P2 LPs (issue 4): chapters p2_* except p2_single_layer; edit only this section ---------
    "p2_expansive": {
        "k_values": (20, 100),  # latent sizes of the single-layer experiment (Lemma 1)
        "c0_grid": (1.2, 1.5, 1.8, 2.0, 2.1, 2.3, 2.6, 3.0, 4.0),  # expansion n = c0 k
        "trials": Scaled(book=200, paper=2000),  # random (W, z) pairs per expansion factor
        "deep_dims": (20, 50, 120, 300),  # a 3-layer net with c0 = 2.5, 2.4, 2.5 (Thm 3)
        "deep_trials": Scaled(book=50, paper=500),
        "leaky_slope": 0.1,  # LeakyReLU c (P2 Sec. 2: "typically 0.1")
        "seed": 2019,
    },
    "p2_noisy_lp": {
        "dims": (20, 100, 500),  # P2 Sec. 5.1: expansion 5, weights N(0, 1/n_i)
        "levels": (1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6),  # noise parameter a
        "runs": Scaled(book=50, paper=200),  # runs per level: l_inf LP (batched) and GD
        "l1_runs": Scaled(book=50, paper=200),  # runs per level: l1 LP (patience 10)
        "lp_runs": Scaled(book=8, paper=200),  # runs per level: relaxation; P2's own l1 rule
        "alpha": 1.2,
        "eps0": 1e-10,  # initial epsilon of Alg. 1-3 (not given in P2)
        "gd_lr": 1.0,
        "gd_steps": 1000,
        "gd_tol": 1e-9,
        "seed": 2019,
    },
    "p2_latent_size": {
        "hidden": 250,
        "out": 600,
        "k_grid": Scaled(
            book=(20, 40, 60, 80, 100, 110, 120, 140),
            paper=tuple(range(10, 151, 10)),
        ),
        "runs": Scaled(book=8, paper=200),  # GD and the linear equations of Thm 3
        # LP runs per k, the first of the `runs` signals (so at most `runs`)
        "lp_runs": Scaled(book=8, paper=200),  # ReLU (l_inf: batched)
        "lp_runs_leaky": Scaled(book=8, paper=200),  # LeakyReLU (one by one)
        "lp_methods": Scaled(book=("linf",), paper=("linf", "l1", "relax")),
        "slope": 0.1,  # LeakyReLU c for the right panel (not given in P2)
        "success": 1e-3,  # ||z - z*|| / ||z*|| <= 1e-3 (P2 Sec. 5.1)
        "gd_lr": 1.0,
        "gd_steps": 1000,
        "gd_tol": 1e-9,
        "gd_alt_k": (60, 100, 140),  # where the honest GD alternatives are tried
        "gd_alt_steps": Scaled(book=10000, paper=30000),
        "seed": 2019,
    },
    "p2_timing": {
        "hidden": 250,
        "out": 600,
        "k_grid": (10, 30, 50, 70, 90, 110),  # P2 Table 1
        "runs": Scaled(book=1, paper=200),  # timed inversions per k and method
        "noise": 0.0,  # Table 1's noise is not stated; k = 10..110 is Fig. 2's noiseless sweep
        "seed": 2019,
    },
    # --- end P2 ----------------------------------------------------------------------------------
    # --- P3 (issue 5): chapters p3_*; edit only this section ------------------------------------
    "p3_conv_matrices": {
        "seed": 2018,
    },
    "p3_landscapes": {
        # P3 Sec. 4.2 / Fig. 4: latent (2, 1, 1), 16 then 1 channels, kernel 5, stride 3
        "channels": (2, 16, 1),
        "kernel": 5,
        "stride": 3,
        "rate": 0.5,  # 50 % of the output observed
        "half_width": 8.0,  # grid z* +- 8 (the authors' code: -8:0.25:8)
        "grid": Scaled(book=121, paper=201),  # points per axis
        "seed": 2018,
    },
    "p3_partial_recovery": {
        # P3 Thm. 1 / Thm. 4: stride = kernel = 2, latent (8, 1, 1), C_1 = C_2 = c channels
        "thm_c": (2, 3, 4, 6, 8, 12, 16),
        "thm_trials": Scaled(book=16, paper=100),
        "thm_rates": (0.25, 0.5, 1.0),
        # P3 Sec. 4.2 network with a (2, 2, 2) latent map: 26 x 26 output image
        "phase_channels": (2, 16, 1),
        "phase_in_size": (2, 2),
        "kernel": 5,
        "stride": 3,
        "rates": (0.01, 0.02, 0.04, 0.07, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8),
        "trials": Scaled(book=8, paper=100),  # random networks (each with its latent) per point
        "optimizer": "adam",
        "lr": 0.1,  # P3 Sec. 4.3: Adam, learning rate 0.1
        "steps": Scaled(book=500, paper=1000),
        "success_tol": 1e-3,  # recovered when ||z - z*|| / ||z*|| < 1e-3
        "seed": 2018,
    },
    # --- end P3 ----------------------------------------------------------------------------------
    # --- MNIST generators (issue 6): chapter mnist_*; edit only this section -------------------
    "mnist_generators": {
        # the committed weights are trained by `python -m lib.mnist.train p1|p2|p3|classifier` with
        # the settings of lib.mnist.train.DEFAULTS; the notebook loads them and runs a short
        # demonstration
        "demo_steps": Scaled(book=780, paper=46800),  # P2 training steps run live (46800: all)
        "n_score": 2000,  # generated digits scored by the classifier, per generator
        "confidence": 0.9,  # a sample counts as a recognisable digit above this probability
        "seed": 6,
    },
    # --- end MNIST -------------------------------------------------------------------------------
    # --- Beyond the papers (issue 15): chapter x_bench (lib.book.bench, lib.methods.hybrid)
    # -------------------
    "x_bench": {
        "seed": 2015,
        "signals": Scaled(book=8, paper=128),  # the same latents for every method
        "noise_levels": (1e-3, 1e-2),  # Gaussian noise std / RMS of the clean outputs
        "random_hidden": 0.45,  # P1 Sec. 6.2: 45 % of the pixels hidden at random
        "block_hidden": 0.25,  # the first quarter of the output (an image's top rows) hidden
        "clean_db": 60.0,  # success: z-SNR >= 60 dB (P1's exact recovery; P2's 1e-3)
        "margin_db": 20.0,  # noisy: z-SNR >= noise SNR - 20 dB (noise 1e-2: 40 - 20 = 20 dB)
        # P1 Sec. 6.1 settings (as the p1_random_sweep section)
        "max_iter": Scaled(book=500, paper=10_000),
        "tol": 1e-8,
        "lbp_lams": Scaled(book=(1e-5, 0.0), paper=(1e-5, 7e-6, 3e-6, 1e-6, 0.0)),
        "lp_rho": 1e-2,
        "lp_alpha": 1.2,  # P2's epsilon schedule
        "lp_eps0": 1e-10,
        "gd_steps": Scaled(book=800, paper=10_000),
        "p1_gd_lrs": Scaled(book=(1e-1,), paper=(1e-1, 1e0, 1e1, 1e2, 1e3, 1e4)),
        "restarts": Scaled(book=1, paper=4),  # random starts (each failing signal also: -z)
        # the generators (architectures, GD step sizes) are lib.book.bench.GENERATORS
    },
    # --- end Beyond the papers ------------------------------------------------------------------
    # --- P2 on the trained MNIST generator (issue 13): chapter p2_trained ----------------------
    "p2_trained": {
        "levels": (1e-1, 1e-2, 1e-3, 1e-4),  # noise scale a (uniform U(-a, a), Gaussian N(0, a^2))
        "runs": Scaled(book=50, paper=200),  # per level: l_inf LP (batched), GD, Adam
        "lp_runs": Scaled(book=8, paper=200),  # per level: l1 LP and relaxation (one by one)
        "eps0": 1e-10,
        "alpha": 1.2,
        "gd_lr": 1e-3,  # P2 Sec. 5.2
        "gd_steps": 10_000,  # P2: up to 10,000 iterations or gradient norm <= 1e-9
        "gd_tol": 1e-9,
        "adam_lr": 0.05,  # the stronger baseline (not in P2)
        "adam_steps": 2000,
        "rank_samples": Scaled(book=500, paper=2000),  # noiseless inversions vs the rank condition
        "success": 1e-3,  # ||z - z*|| / ||z*|| (P2 Sec. 5.1)
        "vae_runs": Scaled(book=25, paper=200),  # per level on the VAE decoder: l_inf LP, GD, Adam
        "fig3_examples": 6,  # shown
        "fig3_trials": Scaled(book=12, paper=200),  # measured (the first fig3_examples shown)
        "fig3_variance": 0.3,  # P2 Fig. 3: Gaussian noise of variance 0.3
        "fig3_other_sd": 0.3,  # the other reading: standard deviation 0.3
        "fig3_reference": 2,  # examples re-inverted by the scipy reference of Alg. 1
        "pgd_trials": Scaled(book=20, paper=200),  # per mask and network
        "pgd_steps": 10,
        "pgd_success": 0.1,  # ||G(z_hat) - x|| / ||x|| (image error) for a recovery
        "timing_signals": Scaled(book=5, paper=50),  # one-at-a-time timings per method
        "seed": 52,
    },
    # --- end P2 trained --------------------------------------------------------------------------
    # --- P3 on the trained conditional DCGAN (issue 13): chapter p3_trained --------------------
    "p3_trained": {
        "rates": (0.03, 0.06, 0.1, 0.2, 0.4),  # uniform random pixels, sampling rate r
        "control_rates": (0.005, 0.01, 0.02, 0.03, 0.06),  # the same net with random weights
        "halves": ("top", "bottom", "left", "right"),  # P3 Fig. 5: half images (r = 0.5)
        "trials": Scaled(book=100, paper=1000),  # (z*, label) pairs per mask, labels 0..9 cycled
        "optimizer": "adam",  # P3 Sec. 4.3: Adam, learning rate 0.1, ~500 iterations
        "lr": 0.1,
        "steps": 500,
        "success_tol": 1e-3,  # recovered when ||z - z*|| / ||z*|| < 1e-3
        # a trial stops once J <= 1e-12 * 1/2 ||A y||^2 (relative residual 1e-6, far below
        # the success threshold; P3 runs all 500): the time, not the verdict, changes
        "stop_fit_tol": 1e-6,
        "dtype": "float32",  # the trained weights' precision (float64: 4x slower on a CPU)
        "probe_steps": 2000,  # investigation of the failures: a longer run ...
        "probe_starts": 6,  # ... and fresh random starts
        "probe_max": 48,  # on at most this many failed trials (masks with r >= 0.2)
        "seed": 2018,
    },
    # --- end P3 trained --------------------------------------------------------------------------
    # --- P1 Latent-Pursuit step by step and the trained generator (issue 12) -------------------
    "p1_latent_pursuit": {
        "dims": (6, 40, 80, 120),  # [n_0, n_1, n_2, n]: the small network of the walk-through
        "signals": Scaled(book=256, paper=2048),  # signals for the Oracle comparison (P1-lp)
        "rho": 1e-2,
        "max_iter": 5000,
        "tol": 1e-10,
        "oracle_rtol": 1e-8,  # ||z_LP - z_Oracle|| / ||z_Oracle|| when the supports are found
        "stage_rtol": 1e-6,  # ||z_stages - z|| / ||z||: the stages' own z, before debiasing
        "seed": 2020,
    },
    "p1_trained": {
        "signals": Scaled(book=128, paper=512),
        "rho": 1e-2,
        "hidden_fraction": 0.45,  # P1 Fig. 8: a random mask hiding 45 % of the pixels
        "hidden_rows": 13,  # P1 Fig. 11: the top 13 of 28 rows hidden
        "gd_steps": Scaled(book=1000, paper=10_000),  # P1: 10,000 (momentum 0.9, step 1e-1)
        "gd_lr": 0.1,
        "gd_momentum": 0.9,
        "gd_decay": 0.5,  # step halved every gd_steps / 5 steps ("gradually decays")
        "adam_lr": 0.1,
        "success_db": 40.0,  # SNR(z) >= 40 dB: z recovered to 1 %
        "grid": 6,  # images per row in the failure / success grids
        # P1's full GD budget (10,000 steps) and the timing of Latent-Pursuit beside it, on the
        # clean signals GD recovers worst at gd_steps (a few seconds on one CPU thread)
        "long_signals": 8,
        "long_gd_steps": 10_000,
        "seed": 2020,
    },
    # --- end P1 trained --------------------------------------------------------------------------
}


def current_scale() -> str:
    """The active scale, from the environment variable BOOK_SCALE (default 'book')."""
    scale = os.environ.get(SCALE_ENV, "book").strip().lower() or "book"
    if scale not in SCALES:
        raise ValueError(f"{SCALE_ENV}={scale!r}: choose one of {SCALES}")
    return scale


def settings(experiment: str, scale: str | None = None) -> dict[str, Any]:
    """The settings of ``experiment`` at ``scale`` (default: the active scale)."""
    if experiment not in EXPERIMENTS:
        raise KeyError(f"unknown experiment {experiment!r}; known: {sorted(EXPERIMENTS)}")
    scale = scale or current_scale()
    if scale not in SCALES:
        raise ValueError(f"scale={scale!r}: choose one of {SCALES}")
    return {
        k: (getattr(v, scale) if isinstance(v, Scaled) else v)
        for k, v in EXPERIMENTS[experiment].items()
    }


def describe(experiment: str, scale: str | None = None, *, short: bool = False) -> str:
    """A text naming the scale and every setting that is reduced from the paper scale; with
    ``short``, one clause that only counts them (the banner of a chapter)."""
    scale = scale or current_scale()
    reduced = [
        f"{k} = {getattr(v, scale)} (paper scale: {v.paper})"
        for k, v in EXPERIMENTS[experiment].items()
        if isinstance(v, Scaled) and getattr(v, scale) != v.paper
    ]
    head = f"scale: {scale}"
    if short:
        if not reduced:
            return head + " (the paper's settings)"
        n = len(reduced)
        return head + f" ({n} setting{'s' * (n > 1)} below the paper's; {SCALE_ENV}=paper for all)"
    if not reduced:
        return head + " (all settings as in the paper scale)"
    return head + "; reduced here: " + "; ".join(reduced) + f". Set {SCALE_ENV}=paper for all."


# ------------------------------------------------------------------ experiment runners
def run_points(
    fn: Callable[..., Any],
    points: Iterable[dict],
    *,
    executor: Executor | None = None,
    **common: Any,
) -> list:
    """``[fn(**point, **common) for point in points]``: a sweep's points, run by ``executor``.

    The points of a sweep are independent: each draws its network, latents, masks and initial
    points from explicit seeds among its arguments and reads no global random state, so the
    results are the same, in the same order, whichever executor runs them:

    - ``None`` (the default): one point after the other, in this process;
    - ``concurrent.futures.ProcessPoolExecutor(n, initializer=one_cpu_thread)``: ``n`` local
      processes, one torch thread each (:func:`lib.core.device.one_cpu_thread`; without it
      every process starts a thread per core and they compete for the cores);
    - a cluster: Dask's ``distributed.Client(address).get_executor()``, or a Ray executor (any
      ``concurrent.futures.Executor`` whose ``submit(fn, *args, **kwargs)`` runs the call as a
      Ray task and returns a future, e.g. ``ray.remote(fn).remote(...).future()``). Call
      ``one_cpu_thread`` on the workers if they share cores (Dask:
      ``client.run(one_cpu_thread)``).

    ``fn`` is a module-level function and the points' values are picklable (an executor sends
    them to its workers). On a GPU (``device='cuda'``) a local process pool needs the 'spawn'
    start method (``mp_context=multiprocessing.get_context('spawn')``): a forked process cannot
    use CUDA.
    """
    points = list(points)
    if executor is None:
        return [fn(**p, **common) for p in points]
    futures = [executor.submit(fn, **p, **common) for p in points]
    return [f.result() for f in futures]  # in the order of the points


def random_sweep_point(n0: int, n1: int, cfg: dict, *, device=None) -> dict:
    """One network of P1 Sec. 6.1 / Fig. 4: x = tanh(W_1 ReLU(W_0 z)) with n = cfg['n'],
    i.i.d. Gaussian weights (std cfg['weight_std']), cfg['signals'] latents z ~ N(0, I).

    Runs gradient descent (P1 step-size rule, :func:`lib.methods.gradient.gd_step_search`), Layered
    Basis-Pursuit (best lam of cfg['lbp_lams'], debiased) and Latent-Pursuit (lam = 0, rho, gamma,
    debiased). Returns the per-signal SNRs (dB) of z, x_1 and x for each method, s_1 per signal
    and the wall times.
    """
    seed = cfg["seed"] + 1000 * n0 + n1
    G = Generator.random(
        [n0, n1, cfg["n"]], seed=seed, std=cfg["weight_std"], output="tanh", device=device
    )
    z = G.sample_latent(cfg["signals"], seed=seed + 1)
    fw = G.forward(z)
    y = fw.out
    out = {"n0": n0, "n1": n1, "s1": fw.cardinalities[0].cpu(), "snr": {}, "seconds": {}}
    it = dict(max_iter=cfg["max_iter"], tol=cfg["tol"])
    gd = gd_step_search(
        G, y, lrs=cfg["gd_lrs"], max_iter=cfg["gd_steps"], tol=cfg["gd_grad_tol"], seed=seed + 2
    )
    lbp = best_of_lams(G, y, lams=cfg["lbp_lams"], **it)
    lp = latent_pursuit(
        G, y, lam=cfg["lp_lam"], rho=cfg["lp_rho"], gamma=cfg["lp_gamma"], polish=False, **it
    )
    for name, r in (("gd", gd), ("layered_bp", lbp), ("latent_pursuit", lp)):
        if name == "gd":  # GD estimates only z: its layers are those of G(z_hat)
            fh = G.forward(r.z)
            x1, x = fh.x[0], fh.out
        else:  # layered methods: their own layer estimates (x_hat = phi(W_1 x_hat_1))
            x1 = r.x_layer[0]
            x = torch.tanh(x1 @ G.weights[1].T + G.bias(1))
        out["snr"][name] = {
            "z": snr_db(z, r.z).cpu(),
            "x1": snr_db(fw.x[0], x1).cpu(),
            "x": snr_db(y, x).cpu(),
        }
        out["seconds"][name] = r.seconds
    return out


def random_sweep(cfg: dict, *, device=None, executor: Executor | None = None) -> dict:
    """The sweep of P1 Sec. 6.1 / Fig. 4: :func:`random_sweep_point` for every n_0 of
    cfg['n0'] and n_1 of cfg['n1'] (the settings of the ``p1_random_sweep`` section).

    Returns {n_0: [the point of each n_1, in the order of cfg['n1']]}. The networks are
    independent (each seeds itself from cfg['seed'], n_0 and n_1): ``executor`` runs them
    (:func:`run_points`: None runs them one after the other, a process pool or a Dask or Ray
    executor side by side, with the same results; only the wall times differ).
    """
    pts = [dict(n0=n0, n1=n1, cfg=cfg) for n0 in cfg["n0"] for n1 in cfg["n1"]]
    res = iter(run_points(random_sweep_point, pts, executor=executor, device=device))
    return {n0: [next(res) for _ in cfg["n1"]] for n0 in cfg["n0"]}


def latent_size_point(act: str, k: int, S: dict) -> dict:
    """One latent size of P2 Sec. 5.1 / Fig. 2: the noiseless k-S['hidden']-S['out'] network
    with activation ``act`` ('relu' or 'leaky_relu', slope S['slope']) after both layers,
    weights N(0, 1/n_i) (seed S['seed'] + k), S['runs'] latents z* (seed S['seed'] + 10^4 + k).

    Inverts y = G(z*) by the layer-wise linear equations (P2 Thm 3 / Eq. 5), the LPs of
    S['lp_methods'] (P2 Algs. 1-3, on the first S['lp_runs'] (ReLU) or S['lp_runs_leaky']
    signals; the ReLU l_inf LP batched by the interior point) and gradient descent (lr
    S['gd_lr'], S['gd_steps'] steps, initial latents seeded S['seed'] + k). Returns
    {method: (runs,) float tensor, 1 where ||z - z*|| / ||z*|| <= S['success']}, keys
    'equations', the LP methods and 'gd'.
    """
    slope = S["slope"] if act != "relu" else 0.0
    G = Generator.random(
        [k, S["hidden"], S["out"]],
        seed=S["seed"] + k,
        std="fan_out",
        hidden=act,
        output=act,
        slope=slope,
    )
    z = G.sample_latent(S["runs"], seed=S["seed"] + 10**4 + k)
    y = G(z)

    def ok(est):
        return (relative_error(z[: len(est)], est) <= S["success"]).float()

    out = {"equations": ok(invert_layerwise(G, y).z)}
    R_lp = S["lp_runs"] if act == "relu" else S["lp_runs_leaky"]
    for m in S["lp_methods"]:
        fast = m == "linf" and act == "relu"  # the batched interior point
        r = LayerwiseLP(G, m, eps0=1e-10, backend="ipm" if fast else "highs").invert(y[:R_lp])
        out[m] = ok(r.z)
    g = gradient_descent(
        G, y, lr=S["gd_lr"], max_iter=S["gd_steps"], tol=S["gd_tol"], seed=S["seed"] + k
    )
    out["gd"] = ok(g.z)
    return out


def latent_size_sweep(
    S: dict, acts=("relu", "leaky_relu"), *, executor: Executor | None = None
) -> dict:
    """P2 Fig. 2: :func:`latent_size_point` for every activation of ``acts`` and latent size
    of S['k_grid'] (the settings of the ``p2_latent_size`` section). Returns
    {(act, k): the point's successes per method}. ``executor`` runs the points
    (:func:`run_points`: None one after the other; a process pool or a Dask or Ray executor side
    by side, with the same results)."""
    pts = [dict(act=a, k=k, S=S) for a in acts for k in S["k_grid"]]
    res = run_points(latent_size_point, pts, executor=executor)
    return {(p["act"], p["k"]): r for p, r in zip(pts, res, strict=True)}


def gd_alternatives_point(k: int, S: dict) -> dict:
    """P2 Fig. 2's gradient descent at one latent size k, checked against a too small budget and
    a too large step: the ReLU k-S['hidden']-S['out'] network and latents of
    :func:`latent_size_point`, inverted by (a) P2's GD (lr 1, S['gd_steps'] steps), (b) lr 1 for
    S['gd_alt_steps'] steps, (c) lr 0.5 for S['gd_alt_steps'] steps, (d) three random restarts
    of (a) (seeds S['seed'] + 77 (r + 1) + k) keeping the lowest loss.

    Returns {'k', 'a', 'b', 'c', 'd': (successes, runs) with ||z - z*|| / ||z*|| <=
    S['success'], 'median_b': the median relative error of (b), 'near_minus_b': the share of
    (b)'s estimates nearer -z* than ||z*||}.
    """
    G = Generator.random(
        [k, S["hidden"], S["out"]], seed=S["seed"] + k, std="fan_out", output="relu"
    )
    z = G.sample_latent(S["runs"], seed=S["seed"] + 10**4 + k)
    y = G(z)

    def succ(zz):
        return int((relative_error(z, zz) <= S["success"]).sum()), len(z)

    def gd(lr, steps, seed):
        return gradient_descent(G, y, lr=lr, max_iter=steps, tol=S["gd_tol"], seed=seed)

    base = gd(1.0, S["gd_steps"], S["seed"] + k)
    long = gd(1.0, S["gd_alt_steps"], S["seed"] + k)
    small = gd(0.5, S["gd_alt_steps"], S["seed"] + k)
    starts = torch.stack(
        [gd(1.0, S["gd_steps"], S["seed"] + 77 * (rs + 1) + k).z for rs in range(3)]
    )
    losses = torch.stack([latent_loss(G, zs, y) for zs in starts])  # the first lowest is kept
    best_z = starts[losses.argmin(0), torch.arange(len(z))]
    return {
        "k": k,
        "a": succ(base.z),
        "b": succ(long.z),
        "c": succ(small.z),
        "d": succ(best_z),
        "median_b": float(relative_error(z, long.z).median()),
        "near_minus_b": float((relative_error(-z, long.z) < 1).float().mean()),
    }


def gd_alternatives(S: dict, *, executor: Executor | None = None) -> list[dict]:
    """:func:`gd_alternatives_point` for every k of S['gd_alt_k'], in that order; ``executor``
    runs them (:func:`run_points`)."""
    pts = [dict(k=k, S=S) for k in S["gd_alt_k"]]
    return run_points(gd_alternatives_point, pts, executor=executor)


def recovery_sweep(
    G,
    z_star,
    *,
    kinds: list[str] | tuple[str, ...],
    rates: list[float] | tuple[float, ...],
    seed: int,
    tol: float = 1e-3,
    **recover_kw,
):
    """Recover z* of T networks under every mask kind and rate at once (one batch): the sweep
    runner of the P3 partial-recovery chapter (P3 Thm. 4, Sec. 3), returning a
    :class:`lib.theory.landscapes.RecoverySweep`.

    Args:
        G: a batched :class:`ConvGenerator` with T networks (or shared weights with T = len(z*)).
        z_star: (T, n_0) ground truths, row t for network t.
        kinds: mask kinds of :func:`lib.core.observation.make_masks`; rates: sampling rates r.
        seed: seeds the random masks (each row its own) and the initial latents.
        tol: success threshold on the relative latent error.
        recover_kw: passed to :func:`lib.methods.recovery.recover` (optimizer, lr, steps, ...).
    """
    T, K, R = z_star.shape[0], len(kinds), len(rates)
    Gr = G.repeat(K * R) if G.batched else G
    z_rep = z_star.repeat_interleave(K * R, dim=0)
    masks = torch.empty(T, K, R, G.dims[-1], dtype=torch.bool)
    for i, kind in enumerate(kinds):
        for j, r in enumerate(rates):
            masks[:, i, j] = make_masks(kind, G.out_shape, r, B=T, seed=seed + 1000 * i + j)
    masks = masks.reshape(T * K * R, -1).to(G.device)
    y = Gr(z_rep) * masks
    res = recover(Gr, y, mask=masks, seed=seed, **recover_kw)
    err = (res.z - z_rep).norm(dim=1) / z_rep.norm(dim=1)
    first_err = (res.first_z - z_rep).norm(dim=1) / z_rep.norm(dim=1)
    rescued = (err < tol) & ~(first_err < tol)
    cos = (res.first_z * z_rep).sum(1) / (res.first_z.norm(dim=1) * z_rep.norm(dim=1))
    shape = (T, K, R)
    return RecoverySweep(
        tuple(kinds),
        tuple(rates),
        err.reshape(shape).cpu(),
        (err < tol).reshape(shape).cpu(),
        res.restarted.reshape(shape).cpu(),
        rescued.reshape(shape).cpu(),
        cos.reshape(shape).cpu(),
        res.seconds,
    )


def recovery_sweeps(points: Iterable[dict], *, executor: Executor | None = None) -> list:
    """:func:`recovery_sweep` for each of ``points`` (dicts of its arguments: ``G``, ``z_star``,
    ``kinds``, ``rates``, ``seed``, ``tol`` and the options of
    :func:`lib.methods.recovery.recover`), in their order: P3's sweeps over independent networks
    (expansions, weight distributions, activations, depths). Each sweep is seeded by its own
    arguments, so ``executor`` (see :func:`run_points`: None one after the other; a process pool
    or a Dask or Ray executor side by side) gives the same sweeps."""
    return run_points(recovery_sweep, points, executor=executor)
