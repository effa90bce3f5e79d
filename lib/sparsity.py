"""Sparse-representation quantities of P1 (Aberdam, Simon, Elad) and its uniqueness certificate.

Definitions (P1 Sec. 2.1 and 3):

- spark(W): the smallest number of linearly dependent columns of W (inf when the columns are
  independent);
- mutual coherence mu(W) = max_{i != j} |w_i^T w_j| / (||w_i|| ||w_j||)  (P1 Eq. 2);
- sub-spark(W, s) = min_{|S| = s} spark(W^S)  (P1 Def. 1, Eq. 4), W^S the rows of W in S;
- sub-rank(W, s) = min_{|S| = s} rank(W^S)  (P1 Def. 2, Eq. 5);
- mu_s(W) = max_{|S| = s} mu(W^S)  (P1 Def. 3, Eq. 6).

The functions without a suffix are *exact* and enumerate subsets: they refuse (ValueError naming
``max_subsets``) when the enumeration is too large. For large matrices use the functions named
``*_bounds`` (proven inequalities) or ``*_estimate`` (random sampling of subsets, which gives a
one-sided bound and says which side). Nothing sampled is ever reported as exact.

:func:`uniqueness_certificate` checks, for a generator and one latent, every layer's cardinality
against P1 Theorem 1 (spark / sub-spark / sub-rank), arXiv Corollary 1 (random weights, factor-2
expansion) and ICLR Theorem 2 (random weights, s_L < n, s_i < s_{i+1}, s_1 >= n_0).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field

import numpy as np
import torch

from .generator import Generator

#: default limit on the number of subsets an exact function may enumerate
MAX_SUBSETS = 200_000


def _np(W) -> np.ndarray:
    if isinstance(W, torch.Tensor):
        W = W.detach().cpu().numpy()
    W = np.asarray(W, dtype=float)
    if W.ndim != 2:
        raise ValueError(f"W must be a matrix, got shape {W.shape}")
    return W


def _rank(A: np.ndarray, rtol: float) -> int:
    """Numerical rank: singular values above rtol * max(shape) * sigma_max (floor 1e-12)."""
    if A.size == 0:
        return 0
    sv = np.linalg.svd(A, compute_uv=False)
    if sv.size == 0 or sv[0] <= 1e-12:
        return 0
    return int((sv > rtol * max(A.shape) * sv[0]).sum())


def _check_budget(count: int, max_subsets: int, what: str) -> None:
    if count > max_subsets:
        raise ValueError(
            f"{what}: exact enumeration needs {count} subsets > max_subsets={max_subsets}; "
            "raise max_subsets or use the *_bounds / *_estimate functions"
        )


def spark(W, *, rtol: float = 1e-10, max_subsets: int = MAX_SUBSETS) -> float:
    """spark(W): smallest number of linearly dependent columns (P1 Sec. 2.1), exact by enumeration.

    Returns ``math.inf`` when all columns are linearly independent. A zero column gives 1.
    """
    A = _np(W)
    m = A.shape[1]
    r = _rank(A, rtol)
    if r == m:
        return math.inf
    # spark <= rank + 1: any rank+1 columns are dependent
    _check_budget(sum(math.comb(m, k) for k in range(1, r + 2)), max_subsets, "spark")
    for k in range(1, r + 2):
        for cols in itertools.combinations(range(m), k):
            if _rank(A[:, cols], rtol) < k:
                return float(k)
    return float(r + 1)  # unreachable: any r + 1 columns are dependent


def mutual_coherence(W) -> float:
    """mu(W) = max_{i != j} |w_i^T w_j| / (||w_i||_2 ||w_j||_2), P1 Eq. 2.

    A zero column is parallel to everything: its coherence is taken as 1 (the worst case).
    """
    A = _np(W)
    if A.shape[1] < 2:
        raise ValueError("W: mutual coherence needs at least two columns")
    norms = np.linalg.norm(A, axis=0)
    if (norms <= 1e-300).any():
        return 1.0
    An = A / norms
    M = np.abs(An.T @ An)
    np.fill_diagonal(M, 0.0)
    return float(min(M.max(), 1.0))


def sub_spark(W, s: int, *, rtol: float = 1e-10, max_subsets: int = MAX_SUBSETS) -> float:
    """sub-spark(W, s) = min over row subsets |S| = s of spark(W^S), P1 Def. 1 (Eq. 4). Exact."""
    A = _np(W)
    _check_s(s, A.shape[0])
    _check_budget(math.comb(A.shape[0], s), max_subsets, "sub_spark (row subsets)")
    best = math.inf
    for rows in itertools.combinations(range(A.shape[0]), s):
        best = min(best, spark(A[list(rows)], rtol=rtol, max_subsets=max_subsets))
        if best == 1:
            break
    return best


def sub_rank(W, s: int, *, rtol: float = 1e-10, max_subsets: int = MAX_SUBSETS) -> int:
    """sub-rank(W, s) = min over row subsets |S| = s of rank(W^S), P1 Def. 2 (Eq. 5). Exact."""
    A = _np(W)
    _check_s(s, A.shape[0])
    _check_budget(math.comb(A.shape[0], s), max_subsets, "sub_rank")
    return min(_rank(A[list(rows)], rtol) for rows in itertools.combinations(range(A.shape[0]), s))


def mu_s(W, s: int, *, max_subsets: int = MAX_SUBSETS) -> float:
    """mu_s(W) = max over row subsets |S| = s of mu(W^S), P1 Def. 3 (Eq. 6). Exact."""
    A = _np(W)
    _check_s(s, A.shape[0])
    _check_budget(math.comb(A.shape[0], s), max_subsets, "mu_s")
    return max(
        mutual_coherence(A[list(rows)]) for rows in itertools.combinations(range(A.shape[0]), s)
    )


def _check_s(s: int, rows: int) -> None:
    if not (isinstance(s, (int, np.integer)) and 1 <= s <= rows):
        raise ValueError(f"s must be an integer in [1, {rows}] (number of rows), got {s!r}")


# ------------------------------------------------------------------ bounds and sampled estimates
def spark_bounds(W, *, rtol: float = 1e-10) -> tuple[float, float]:
    """Proven bounds lo <= spark(W) <= hi for any size (no enumeration).

    lo = 1 + 1/mu(W) (Donoho & Elad 2003, Elad 2010 Lemma 2.1), hi = rank(W) + 1 (inf when the
    columns are independent, then spark = inf exactly).
    """
    A = _np(W)
    r = _rank(A, rtol)
    if r == A.shape[1]:
        return math.inf, math.inf
    mu = mutual_coherence(A)
    lo = 1.0 + 1.0 / mu if mu > 0 else math.inf
    return min(lo, r + 1.0), float(r + 1)


def sub_rank_estimate(W, s: int, *, samples: int = 200, seed: int = 0, rtol: float = 1e-10) -> int:
    """A sampled *upper bound* on sub-rank(W, s): the min rank over ``samples`` random row subsets.

    The true minimum over all subsets can only be smaller (never reported as exact).
    """
    A = _np(W)
    _check_s(s, A.shape[0])
    rng = np.random.default_rng(seed)
    return min(_rank(A[rng.choice(A.shape[0], s, replace=False)], rtol) for _ in range(samples))


def mu_s_estimate(W, s: int, *, samples: int = 200, seed: int = 0) -> float:
    """A sampled *lower bound* on mu_s(W): the max coherence over ``samples`` random row subsets.

    The true maximum over all subsets can only be larger; 1/(3 mu_s) computed from it is therefore
    optimistic. Use it to show a condition *fails*, never to certify it.
    """
    A = _np(W)
    _check_s(s, A.shape[0])
    rng = np.random.default_rng(seed)
    return max(
        mutual_coherence(A[rng.choice(A.shape[0], s, replace=False)]) for _ in range(samples)
    )


# ------------------------------------------------------------------ the certificate
@dataclass
class Condition:
    """One uniqueness condition at one layer: holds is True / False / None (undetermined)."""

    source: str  # 'Thm 1', 'arXiv Cor 1', 'ICLR Thm 2', 'Thm 1 (support)'
    layer: str  # e.g. 'x_2', 'z'
    statement: str  # the inequality with the numbers filled in
    holds: bool | None
    method: str  # 'exact', 'bound', 'support-specific exact', ...


@dataclass
class Certificate:
    """Uniqueness certificate of P1 for one latent: per-layer cardinalities and conditions.

    Attributes:
        dims: [n_0, ..., n_L, n]; s: [s_1, ..., s_L].
        conditions: every checked condition (see :class:`Condition`).
    """

    dims: list[int]
    s: list[int]
    conditions: list[Condition] = field(default_factory=list)

    def holds(self, source: str) -> bool | None:
        """All conditions of ``source`` hold (True), one fails (False), or undetermined (None)."""
        vals = [c.holds for c in self.conditions if c.source == source]
        if not vals:
            raise KeyError(f"no conditions from {source!r}")
        if any(v is False for v in vals):
            return False
        return None if any(v is None for v in vals) else True

    @property
    def sources(self) -> list[str]:
        return list(dict.fromkeys(c.source for c in self.conditions))

    def table(self) -> str:
        """A fixed-width text table of every condition."""
        mark = {True: "holds", False: "FAILS", None: "undetermined"}
        rows = [("source", "layer", "condition", "result", "method")]
        rows += [(c.source, c.layer, c.statement, mark[c.holds], c.method) for c in self.conditions]
        w = [max(len(r[k]) for r in rows) for k in range(5)]
        lines = ["  ".join(r[k].ljust(w[k]) for k in range(5)).rstrip() for r in rows]
        lines.insert(1, "  ".join("-" * w[k] for k in range(5)))
        return "\n".join(lines)

    def __str__(self) -> str:
        summary = ", ".join(f"{src}: {_word(self.holds(src))}" for src in self.sources)
        head = f"dims {self.dims}, cardinalities s = {self.s}\n{summary}\n"
        return head + self.table()


def _word(v: bool | None) -> str:
    return {True: "unique", False: "not certified", None: "undetermined"}[v]


def uniqueness_certificate(
    G: Generator, z: torch.Tensor, *, max_subsets: int = 20_000, rtol: float = 1e-10
) -> Certificate:
    """Check P1's uniqueness conditions for x = G(z) (one latent).

    - P1 Theorem 1 (arXiv and ICLR): (i) s_L < spark(W_L)/2, (ii) s_i < sub-spark(W_i, s_{i+1})/2,
      (iii) sub-rank(W_0, s_1) = n_0 <= s_1. Exact when the enumeration needs at most
      ``max_subsets`` subsets; otherwise the proven ``spark_bounds`` decide when they can (a
      condition certified by the lower bound holds; one refuted by the upper bound fails) and
      the rest is 'undetermined'.
    - 'Thm 1 (support)': what the proof of Theorem 1 actually uses for *this* signal (arXiv App. A,
      Eq. 20): s_i < spark(W_i^{S_{i+1}})/2 on the true support and rank(W_0^{S_1}) = n_0, exact
      (or bounded) for the row subset of this signal only.
    - arXiv Corollary 1 (random i.i.d. weights): s_L < (n+1)/2, s_i < (s_{i+1}+1)/2, s_1 >= n_0.
    - ICLR Theorem 2 (random i.i.d. weights): s_L < n, s_i < s_{i+1}, s_1 >= n_0.

    Biases do not change the conditions: on the support, x_{i+1}^S - b_i^S = W_i^S x_i is the
    same linear system.
    """
    if G.hidden != "relu":
        raise ValueError("G.hidden: the certificate is for ReLU hidden layers (P1 Eq. 3)")
    fw = G.forward(z)
    if fw.z.shape[0] != 1:
        raise ValueError(f"z: give one latent, got a batch of {fw.z.shape[0]}")
    L, dims = G.L, G.dims
    n0, n = dims[0], dims[-1]
    S = [sup[0].cpu().numpy() for sup in fw.supports]  # S_1..S_L
    s = [int(v.sum()) for v in S]
    Ws = [_np(W) for W in G.weights]
    cert = Certificate(list(dims), s)
    add = cert.conditions.append

    # ---- Theorem 1, exact or bounded
    # (i) last layer: spark(W_L)
    try:
        sp = spark(Ws[L], rtol=rtol, max_subsets=max_subsets)
        add(
            Condition(
                "Thm 1",
                f"x_{L}",
                f"s_{L}={s[-1]} < spark(W_{L})/2={sp / 2:g}",
                s[-1] < sp / 2,
                "exact",
            )
        )
    except ValueError:
        lo, hi = spark_bounds(Ws[L], rtol=rtol)
        add(
            Condition(
                "Thm 1",
                f"x_{L}",
                f"s_{L}={s[-1]} < spark(W_{L})/2 in [{lo / 2:.3g}, {hi / 2:g}]",
                _decide(s[-1], lo / 2, hi / 2),
                "bound",
            )
        )
    # (ii) middle layers: sub-spark(W_i, s_{i+1})
    for i in range(L - 1, 0, -1):
        si, snext = s[i - 1], s[i]
        try:
            ssp = sub_spark(Ws[i], snext, rtol=rtol, max_subsets=max_subsets) if snext else math.inf
            add(
                Condition(
                    "Thm 1",
                    f"x_{i}",
                    f"s_{i}={si} < sub-spark(W_{i},{snext})/2={ssp / 2:g}",
                    si < ssp / 2,
                    "exact",
                )
            )
        except ValueError:
            add(
                Condition(
                    "Thm 1",
                    f"x_{i}",
                    f"s_{i}={si} < sub-spark(W_{i},{snext})/2",
                    None,
                    "too large to enumerate",
                )
            )
    # (iii) first layer: sub-rank(W_0, s_1) = n_0 <= s_1
    if s[0] < n0:
        add(Condition("Thm 1", "z", f"n_0={n0} <= s_1={s[0]}", False, "exact"))
    else:
        try:
            sr = sub_rank(Ws[0], s[0], rtol=rtol, max_subsets=max_subsets)
            add(
                Condition(
                    "Thm 1",
                    "z",
                    f"sub-rank(W_0,{s[0]})={sr} = n_0={n0} <= s_1={s[0]}",
                    sr == n0,
                    "exact",
                )
            )
        except ValueError:
            add(
                Condition(
                    "Thm 1",
                    "z",
                    f"sub-rank(W_0,{s[0]}) = n_0={n0} <= s_1={s[0]}",
                    None,
                    "too large to enumerate",
                )
            )

    # ---- the proof's support-specific conditions (exact for this signal's supports)
    _support_conditions(cert, Ws, S, s, n0, L, rtol, max_subsets)

    # ---- random-weight conditions
    add(
        Condition(
            "arXiv Cor 1",
            f"x_{L}",
            f"s_{L}={s[-1]} < (n+1)/2={(n + 1) / 2:g}",
            s[-1] < (n + 1) / 2,
            "exact",
        )
    )
    for i in range(L - 1, 0, -1):
        add(
            Condition(
                "arXiv Cor 1",
                f"x_{i}",
                f"s_{i}={s[i - 1]} < (s_{i + 1}+1)/2={(s[i] + 1) / 2:g}",
                s[i - 1] < (s[i] + 1) / 2,
                "exact",
            )
        )
    add(Condition("arXiv Cor 1", "z", f"s_1={s[0]} >= n_0={n0}", s[0] >= n0, "exact"))
    add(Condition("ICLR Thm 2", f"x_{L}", f"s_{L}={s[-1]} < n={n}", s[-1] < n, "exact"))
    for i in range(L - 1, 0, -1):
        add(
            Condition(
                "ICLR Thm 2",
                f"x_{i}",
                f"s_{i}={s[i - 1]} < s_{i + 1}={s[i]}",
                s[i - 1] < s[i],
                "exact",
            )
        )
    add(Condition("ICLR Thm 2", "z", f"s_1={s[0]} >= n_0={n0}", s[0] >= n0, "exact"))
    return cert


def _decide(s: int, lo: float, hi: float) -> bool | None:
    """s < spark/2 with lo <= spark/2 <= hi: True if s < lo, False if s >= hi, else None."""
    if s < lo:
        return True
    if s >= hi:
        return False
    return None


def _support_conditions(cert, Ws, S, s, n0, L, rtol, max_subsets) -> None:
    add = cert.conditions.append
    for i in range(L - 1, 0, -1):
        A = Ws[i][S[i]]  # W_i^{S_{i+1}}
        si = s[i - 1]
        if A.shape[0] == 0:
            add(
                Condition(
                    "Thm 1 (support)", f"x_{i}", f"s_{i}={si}: S_{i + 1} is empty", si == 0, "exact"
                )
            )
            continue
        try:
            sp = spark(A, rtol=rtol, max_subsets=max_subsets)
            add(
                Condition(
                    "Thm 1 (support)",
                    f"x_{i}",
                    f"s_{i}={si} < spark(W_{i}^S_{i + 1})/2={sp / 2:g}",
                    si < sp / 2,
                    "support-specific exact",
                )
            )
        except ValueError:
            lo, hi = spark_bounds(A, rtol=rtol)
            add(
                Condition(
                    "Thm 1 (support)",
                    f"x_{i}",
                    f"s_{i}={si} < spark(W_{i}^S_{i + 1})/2 in [{lo / 2:.3g}, {hi / 2:g}]",
                    _decide(si, lo / 2, hi / 2),
                    "support-specific bound",
                )
            )
    r = _rank(Ws[0][S[0]], rtol) if s[0] else 0
    add(
        Condition(
            "Thm 1 (support)",
            "z",
            f"rank(W_0^S_1)={r} = n_0={n0}",
            r == n0,
            "support-specific exact",
        )
    )
