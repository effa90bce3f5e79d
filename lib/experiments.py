"""Every experiment's sizes, in one place, at two named scales (DESIGN.md, Scales).

- ``book`` (default): the papers' architectures and grids, with fewer trials or iterations where
  needed so that the whole book executes on a 2-core CPU within the CI budget.
- ``paper``: the papers' own trial counts and iteration budgets (for a GPU, e.g. Colab).

Select with the environment variable ``BOOK_SCALE=paper`` before starting the kernel. A notebook
calls :func:`settings` once and prints :func:`describe` so the reader sees what was reduced.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

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
    # --- end P1 ----------------------------------------------------------------------------------
    # --- P2 LPs (issue 4): chapters p2_* except p2_single_layer; edit only this section ---------
    "p2_expansive": {
        "k": 20,  # latent size of the single-layer experiment (Lemma 1)
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
        "runs": Scaled(book=3, paper=200),  # runs per noise type and level
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
        "lp_runs": Scaled(book=1, paper=200),  # LP runs per k (the LPs are the slow part)
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
        "noise": 1e-2,  # uniform noise U(-a, a) (the table's setting is not stated in P2)
        "seed": 2019,
    },
    # --- end P2 ----------------------------------------------------------------------------------
    # --- P3 (issue 5): chapters p3_*; edit only this section ------------------------------------
    # --- end P3 ----------------------------------------------------------------------------------
    # --- MNIST generators (issue 6): chapter mnist_*; edit only this section -------------------
    "mnist_generators": {
        # the committed weights are trained by `python -m lib.train p1|p2|p3|classifier` with the
        # settings of lib.train.DEFAULTS; the notebook loads them and runs a short demonstration
        "demo_steps": Scaled(book=150, paper=7800),  # P2 training steps shown live (7800: all)
        "n_score": 2000,  # generated digits scored by the classifier, per generator
        "confidence": 0.9,  # a sample counts as a recognisable digit above this probability
        "seed": 6,
    },
    # --- end MNIST -------------------------------------------------------------------------------
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


def describe(experiment: str, scale: str | None = None) -> str:
    """A short text naming the scale and every setting that is reduced from the paper scale."""
    scale = scale or current_scale()
    reduced = [
        f"{k} = {getattr(v, scale)} (paper scale: {v.paper})"
        for k, v in EXPERIMENTS[experiment].items()
        if isinstance(v, Scaled) and getattr(v, scale) != v.paper
    ]
    head = f"scale: {scale}"
    if not reduced:
        return head + " (all settings as in the paper scale)"
    return head + "; reduced here: " + "; ".join(reduced) + f". Set {SCALE_ENV}=paper for all."
