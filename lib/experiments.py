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
        "clause_ratio": 4.26,  # clauses per variable: the 3-SAT phase transition (mixed sat/unsat)
        "seed": 2019,
    },
    # --- P1 (issue 3): chapters p1_*; edit only this section -----------------------------------
    # --- end P1 ----------------------------------------------------------------------------------
    # --- P2 LPs (issue 4): chapters p2_* except p2_single_layer; edit only this section ---------
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
