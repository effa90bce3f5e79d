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
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

import numpy as np
import torch

from lib.core.checks import check_count, check_positive, require_dense, require_hidden
from lib.core.generator import INVERTIBLE_OUTPUTS, Generator
from lib.core.observation import check_mask
from lib.methods.gradient import gradient_descent

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
    same linear system. The per-signal reference of the batched :func:`certify`.
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

    def add(*condition) -> None:  # source, layer, statement, holds, method
        cert.conditions.append(Condition(*condition))

    def half_spark(source, layer, A, si, what, how) -> None:  # s_i < spark(A)/2, exact or bounds
        lo, hi, exact = _spark_or_bounds(A, rtol, max_subsets)
        if exact:
            add(source, layer, f"{what}/2={lo / 2:g}", si < lo / 2, how + "exact")
        else:
            text = f"{what}/2 in [{lo / 2:.3g}, {hi / 2:g}]"
            add(source, layer, text, _decide(si, lo / 2, hi / 2), how + "bound")

    # ---- Theorem 1: (i) spark(W_L), (ii) sub-spark(W_i, s_{i+1}), (iii) sub-rank(W_0, s_1)
    half_spark("Thm 1", f"x_{L}", Ws[L], s[-1], f"s_{L}={s[-1]} < spark(W_{L})", "")
    for i in range(L - 1, 0, -1):
        si, sn = s[i - 1], s[i]
        what = f"s_{i}={si} < sub-spark(W_{i},{sn})/2"
        try:
            v = sub_spark(Ws[i], sn, rtol=rtol, max_subsets=max_subsets) / 2 if sn else math.inf
            add("Thm 1", f"x_{i}", f"{what}={v:g}", si < v, "exact")
        except ValueError:
            add("Thm 1", f"x_{i}", what, None, "too large to enumerate")
    what, tail = f"sub-rank(W_0,{s[0]})", f" = n_0={n0} <= s_1={s[0]}"
    if s[0] < n0:
        add("Thm 1", "z", f"n_0={n0} <= s_1={s[0]}", False, "exact")
    else:
        try:
            sr = sub_rank(Ws[0], s[0], rtol=rtol, max_subsets=max_subsets)
            add("Thm 1", "z", f"{what}={sr}{tail}", sr == n0, "exact")
        except ValueError:
            add("Thm 1", "z", what + tail, None, "too large to enumerate")
    # ---- the proof's support-specific conditions (exact for this signal's supports)
    for i in range(L - 1, 0, -1):
        A, si = Ws[i][S[i]], s[i - 1]  # W_i^{S_{i+1}}
        if A.shape[0] == 0:
            add("Thm 1 (support)", f"x_{i}", f"s_{i}={si}: S_{i + 1} is empty", si == 0, "exact")
        else:
            what = f"s_{i}={si} < spark(W_{i}^S_{i + 1})"
            half_spark("Thm 1 (support)", f"x_{i}", A, si, what, "support-specific ")
    r = _rank(Ws[0][S[0]], rtol) if s[0] else 0
    text = f"rank(W_0^S_1)={r} = n_0={n0}"
    add("Thm 1 (support)", "z", text, r == n0, "support-specific exact")
    # ---- random-weight conditions
    text = f"s_{L}={s[-1]} < (n+1)/2={(n + 1) / 2:g}"
    add("arXiv Cor 1", f"x_{L}", text, s[-1] < (n + 1) / 2, "exact")
    for i in range(L - 1, 0, -1):
        text = f"s_{i}={s[i - 1]} < (s_{i + 1}+1)/2={(s[i] + 1) / 2:g}"
        add("arXiv Cor 1", f"x_{i}", text, s[i - 1] < (s[i] + 1) / 2, "exact")
    add("arXiv Cor 1", "z", f"s_1={s[0]} >= n_0={n0}", s[0] >= n0, "exact")
    add("ICLR Thm 2", f"x_{L}", f"s_{L}={s[-1]} < n={n}", s[-1] < n, "exact")
    for i in range(L - 1, 0, -1):
        text = f"s_{i}={s[i - 1]} < s_{i + 1}={s[i]}"
        add("ICLR Thm 2", f"x_{i}", text, s[i - 1] < s[i], "exact")
    add("ICLR Thm 2", "z", f"s_1={s[0]} >= n_0={n0}", s[0] >= n0, "exact")
    return cert


def _decide(s: int, lo: float, hi: float) -> bool | None:
    """s < spark/2 with lo <= spark/2 <= hi: True if s < lo, False if s >= hi, else None."""
    if s < lo:
        return True
    if s >= hi:
        return False
    return None


# ------------------------------------------------------------------ the batched certificate
#: outcome codes of :class:`BatchCertificate` conditions
HOLDS, FAILS, UNDETERMINED = 1, 0, -1
_WORDS = {HOLDS: "holds", FAILS: "fails", UNDETERMINED: "undetermined"}


@dataclass
class BatchCertificate:
    """P1's uniqueness certificate for a batch of B latents (:func:`certify`).

    Attributes:
        dims: [n_0, ..., n_L, n]. s: (B, L) cardinalities s_i = ||x_i||_0.
        n_observed: (B,) observed outputs (n without a mask).
        conditions: condition name -> (B,) int8 tensor: 1 holds, 0 fails, -1 undetermined.
            Names are '<source>: <layer>', sources 'Thm 1' (the theorem's global conditions,
            exact when enumerable, else decided by proven bounds where they can), 'Thm 1
            (support)' (what the proof uses for this signal's supports, exact by ranks), 'arXiv
            Cor 1', 'ICLR Thm 2', and 'rank' (every support-restricted matrix has full column
            rank: the Oracle's answer is unique).
        bounds: for the Thm 1 quantities that are not computed exactly, name -> (lo, hi) per
            signal (float tensors; inf allowed): spark(W_L^M), sub-spark(W_i, s_{i+1}),
            sub-rank(W_0, s_1).
        exact: name -> (B,) bool: the quantity was computed exactly (lo == hi by enumeration).
        rank: matrix name -> (B,) rank of the support-restricted weight matrix
            ('W_L[M,S_L]', 'W_i[S_i+1,S_i]', 'W_0[S_1]'), with 'cols' the column counts.

    ``len(cert)`` is B and ``cert[b]`` a plain-text summary of signal b, so the object can sit in
    ``InversionResult.certificate``.
    """

    dims: list[int]
    s: torch.Tensor
    n_observed: torch.Tensor
    conditions: dict[str, torch.Tensor] = field(default_factory=dict)
    bounds: dict[str, tuple[torch.Tensor, torch.Tensor]] = field(default_factory=dict)
    exact: dict[str, torch.Tensor] = field(default_factory=dict)
    rank: dict[str, torch.Tensor] = field(default_factory=dict)
    cols: dict[str, torch.Tensor] = field(default_factory=dict)

    def __len__(self) -> int:
        return int(self.s.shape[0])

    @property
    def sources(self) -> list[str]:
        return list(dict.fromkeys(k.split(": ")[0] for k in self.conditions))

    def holds(self, source: str) -> torch.Tensor:
        """(B,) int8 per signal for all conditions of ``source``: 0 if one fails, else -1 if one
        is undetermined, else 1."""
        vals = [v for k, v in self.conditions.items() if k.split(": ")[0] == source]
        if not vals:
            raise KeyError(f"no conditions from {source!r}; known: {self.sources}")
        V = torch.stack(vals)
        out = torch.full_like(V[0], HOLDS)
        out[(V == UNDETERMINED).any(0)] = UNDETERMINED
        out[(V == FAILS).any(0)] = FAILS
        return out

    def counts(self) -> dict[str, dict[str, int]]:
        """Per condition (and per source, key '<source>: all'): how many signals hold / fail /
        are undetermined."""
        out = {}
        names = list(self.conditions) + [f"{s}: all" for s in self.sources]
        for k in names:
            v = self.conditions[k] if not k.endswith(": all") else self.holds(k[:-5])
            out[k] = {w: int((v == c).sum()) for c, w in _WORDS.items()}
        return out

    def __getitem__(self, b: int) -> str:
        s = ", ".join(f"s_{i + 1}={int(v)}" for i, v in enumerate(self.s[b]))
        parts = [f"{src}: {_WORDS[int(self.holds(src)[b])]}" for src in self.sources]
        return f"{s}; " + "; ".join(parts)


#: matrices up to this many entries get their rank from an SVD; larger ones from the Gram matrix
SVD_SIZE = 20_000


def _gram_rank(A: torch.Tensor, rtol: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Numerical rank of a batch of matrices A (B, m, k): singular values above
    rtol * max(m, k) * sigma_max (the threshold of :func:`_rank`), by SVD up to
    :data:`SVD_SIZE` entries, else from the eigenvalues of A^T A with the threshold raised to
    the Gram's resolution 10 sqrt(k eps) sigma_max; and the mutual coherence of the nonzero
    columns. Returns rank (B,), coherence (B,)."""
    Gm = A.mT @ A
    m, k = A.shape[-2], A.shape[-1]
    if m * k <= SVD_SIZE:  # singular values directly
        sv = torch.linalg.svdvals(A)
        res = 0.0
    else:  # from the Gram's eigenvalues: resolves sigma >= ~sqrt(eps) sigma_max only
        sv = torch.linalg.eigvalsh(Gm).clamp_min(0).sqrt()
        res = 10 * math.sqrt(k * torch.finfo(A.dtype).eps)
    smax = sv.amax(-1, keepdim=True)
    thr = torch.clamp(max(rtol * max(m, k), res) * smax, min=1e-12)
    rank = (sv > thr).sum(-1)
    nrm = Gm.diagonal(dim1=-2, dim2=-1).clamp_min(0).sqrt()
    live = nrm > 1e-12
    C = (Gm / (nrm[..., :, None] * nrm[..., None, :]).clamp_min(1e-300)).abs()
    C = C * (live[..., :, None] & live[..., None, :])
    C = C - torch.diag_embed(C.diagonal(dim1=-2, dim2=-1))
    return rank, C.amax(dim=(-2, -1)).clamp(max=1.0)


def _spark_or_bounds(A: np.ndarray, rtol: float, max_subsets: int) -> tuple[float, float, bool]:
    """(spark, spark, True) by enumeration, or (lo, hi, False) from :func:`spark_bounds` when the
    enumeration would exceed ``max_subsets``."""
    try:
        sp = spark(A, rtol=rtol, max_subsets=max_subsets)
        return sp, sp, True
    except ValueError:
        return (*spark_bounds(A, rtol=rtol), False)


def _enumerated(values: list[int], quantity: Callable[[int], float]) -> dict[int, float]:
    """quantity(v) for each distinct v > 0 of ``values`` (a sub-spark or sub-rank by enumeration),
    NaN where the enumeration would exceed its budget."""
    out = {}
    for v in sorted(set(values) - {0}):
        try:
            out[v] = quantity(v)
        except ValueError:
            out[v] = math.nan
    return out


def certify(
    G: Generator,
    z: torch.Tensor,
    *,
    mask=None,
    rtol: float = 1e-10,
    max_subsets: int = 2_000,
    chunk: int = 64,
) -> BatchCertificate:
    """P1's uniqueness certificate for every latent of a batch (the true z, or an estimate).

    For x = G(z) with supports S_i and cardinalities s_i, and the observed rows M of the output
    (all rows without a mask; P1 Sec. 6.2 treats the mask as part of the last layer):

    - 'Thm 1' (P1 Theorem 1, arXiv and ICLR): (i) s_L < spark(W_L^M)/2, (ii) s_i <
      sub-spark(W_i, s_{i+1})/2, (iii) sub-rank(W_0, s_1) = n_0 <= s_1. spark(W_L^M) is exact by
      rank (infinite when the columns are independent) or by enumeration; sub-spark and
      sub-rank are enumerated when at most ``max_subsets`` row subsets exist, otherwise bounded:
      sub-spark(W_i, s) <= spark(W_i^{S_{i+1}}) (this signal's rows are one of the subsets),
      >= 2 when no column of W_i has s zero entries; sub-rank(W_0, s) <= rank(W_0^{S_1}),
      >= rank(W_0) - (n_1 - s). A condition the bounds cannot decide is 'undetermined' (-1).
    - 'Thm 1 (support)': the conditions the proof uses for this signal (arXiv App. A):
      s_i < spark(W_i^{S_{i+1}})/2 (spark by rank, or bracketed by 1 + 1/mu and rank + 1) and
      rank(W_0^{S_1}) = n_0, with (i) as above.
    - 'arXiv Cor 1' (random weights, factor 2): s_L < (m+1)/2, s_i < (s_{i+1}+1)/2,
      s_1 >= n_0, m the number of observed outputs.
    - 'ICLR Thm 2' (random weights): s_L < m, s_i < s_{i+1}, s_1 >= n_0.
    - 'rank': rank W_L^M[:, S_L] = s_L, rank W_i[S_{i+1}, S_i] = s_i, rank W_0^{S_1} = n_0: the
      supported system has one solution (the Oracle's, P1 Alg. 1), a local condition.

    Batched: ranks from the eigenvalues of each signal's restricted Gram matrix (B small
    eigenproblems, chunked). Biases do not change any condition (on the support the affine
    system has the same matrix). Works on any dense :class:`lib.core.generator.Generator` with ReLU
    hidden layers, on its device.
    """
    G = require_dense(G, "the uniqueness certificate")
    require_hidden(G, ("relu",), "the uniqueness certificate (P1 Eq. 3)")
    rtol = check_positive("rtol", rtol)
    max_subsets = check_count("max_subsets", max_subsets)
    with torch.no_grad():
        fw = G.forward(z)
    B, L, dims = fw.z.shape[0], G.L, G.dims
    n0, n = dims[0], dims[-1]
    m = check_mask(mask, n, B, device=G.device)
    M = torch.ones(B, n, dtype=torch.bool, device=G.device) if m is None else m.expand(B, n)
    S = [s for s in fw.supports]  # S_1..S_L, (B, n_i)
    s = torch.stack([v.sum(1) for v in S], 1).cpu()  # (B, L)
    n_obs = M.sum(1).cpu()
    cert = BatchCertificate(list(dims), s, n_obs)
    dt = G.dtype

    def ranks(W, rows, cols, todo=None):  # batched rank and coherence of W[rows, cols]
        """Only the signals ``todo`` (bool (B,)) are computed; the others get -1. Rows shared
        by every signal (no mask, or one mask) and cols None: one eigenproblem for all."""
        r_all = torch.full((B,), -1, dtype=torch.long)
        c_all = torch.full((B,), math.nan, dtype=torch.float64)
        if cols is None and bool((rows == rows[:1]).all()):
            if todo is None or bool(todo.any()):
                r, c = _gram_rank((W * rows[0, :, None].to(dt))[None], rtol)
                r_all[:], c_all[:] = int(r[0]), float(c[0])
            return r_all, c_all
        sel = torch.arange(B) if todo is None else todo.nonzero().flatten()
        if len(sel) == 0:
            return r_all, c_all
        dsel = sel.to(rows.device)
        rows, cols = rows[dsel], (None if cols is None else cols[dsel])
        r_out, c_out = [], []
        for a in range(0, len(sel), chunk):
            A = W[None] * rows[a : a + chunk, :, None].to(dt)
            if cols is not None:
                A = A * cols[a : a + chunk, None, :].to(dt)
            r, c = _gram_rank(A, rtol)
            r_out.append(r)
            c_out.append(c)
        r_all[sel] = torch.cat(r_out).cpu()
        c_all[sel] = torch.cat(c_out).cpu().double()
        return r_all, c_all

    def code(holds, fails=None):
        out = torch.full((B,), UNDETERMINED, dtype=torch.int8)
        if fails is not None:
            out[fails] = FAILS
        out[holds] = HOLDS
        if fails is None:
            out[~holds] = FAILS
        return out

    cond = cert.conditions
    # ---- (i) last layer: spark(W_L^M), per distinct mask (usually one)
    WL = G.weights[L]
    rk_full, coh_full = ranks(WL, M, None)
    lo_i = torch.empty(B, dtype=torch.float64)
    hi_i = torch.empty(B, dtype=torch.float64)
    ex_i = torch.zeros(B, dtype=torch.bool)
    full = rk_full == dims[L]
    lo_i[full], hi_i[full], ex_i[full] = math.inf, math.inf, True
    by_mask: dict[bytes, tuple[float, float, bool]] = {}  # one computation per distinct mask
    for b in (~full).nonzero().flatten().tolist():
        key = M[b].cpu().numpy().tobytes()
        if key not in by_mask:
            by_mask[key] = _spark_or_bounds(_np(WL[M[b]]), rtol, max_subsets)
        lo_i[b], hi_i[b], ex_i[b] = by_mask[key]
    sL = s[:, L - 1].double()
    name_i = f"spark(W_{L}^M)"
    cert.bounds[name_i], cert.exact[name_i] = (lo_i, hi_i), ex_i
    c_i = code(sL < lo_i / 2, sL >= hi_i / 2)
    cond[f"Thm 1: x_{L}"] = c_i
    cond[f"Thm 1 (support): x_{L}"] = c_i.clone()
    # ---- ranks of the support-restricted matrices
    # a column subset of a full-column-rank matrix has full column rank: compute only the rest
    r, _ = ranks(WL, M, S[L - 1], todo=~full)
    r = torch.where(full, s[:, L - 1], r)
    cert.rank[f"W_{L}[M,S_{L}]"], cert.cols[f"W_{L}[M,S_{L}]"] = r, s[:, L - 1]
    full_rank = r == s[:, L - 1]
    for i in range(L - 1, 0, -1):
        W = G.weights[i]
        rows, cols = S[i], S[i - 1]
        key = f"W_{i}[S_{i + 1},S_{i}]"
        # support-specific spark(W_i^{S_{i+1}}): inf when the columns are independent
        rk, coh = ranks(W, rows, None)
        indep = rk == dims[i]
        r, _ = ranks(W, rows, cols, todo=~indep)
        r = torch.where(indep, s[:, i - 1], r)
        cert.rank[key], cert.cols[key] = r, s[:, i - 1]
        full_rank &= r == s[:, i - 1]
        hi = torch.where(indep, math.inf, rk.double() + 1)
        lo = torch.where(indep, math.inf, torch.minimum(1 + 1 / coh.double(), rk.double() + 1))
        si, snext = s[:, i - 1].double(), s[:, i]
        cond[f"Thm 1 (support): x_{i}"] = code(si < lo / 2, si >= hi / 2)
        # global sub-spark(W_i, s_{i+1}): exact when enumerable, else bounds
        Wn, sn = _np(W), snext.tolist()
        zeros_per_col = (np.abs(Wn) <= 1e-12 * np.abs(Wn).max()).sum(0)
        known = _enumerated(sn, partial(sub_spark, Wn, rtol=rtol, max_subsets=max_subsets))
        val = torch.tensor(
            [known.get(v, math.inf) for v in sn], dtype=torch.float64
        )  # inf: no rows
        lo_g = torch.tensor([1.0 if (zeros_per_col >= v).any() else 2.0 for v in sn]).double()
        lo_g, hi_g = torch.where(val.isnan(), lo_g, val), torch.where(val.isnan(), hi, val)
        ex_g = ~val.isnan() & (snext > 0)
        name = f"sub-spark(W_{i},s_{i + 1})"
        cert.bounds[name], cert.exact[name] = (lo_g, hi_g), ex_g
        cond[f"Thm 1: x_{i}"] = code(si < lo_g / 2, si >= hi_g / 2)
    # ---- (iii) first layer
    W0 = G.weights[0]
    r0, _ = ranks(W0, S[0], None)
    cert.rank["W_0[S_1]"], cert.cols["W_0[S_1]"] = r0, torch.full((B,), n0)
    full_rank &= r0 == n0
    s1 = s[:, 0]
    cond["Thm 1 (support): z"] = code((r0 == n0) & (s1 >= n0))
    W0n = _np(W0)
    rank_W0 = _rank(W0n, rtol)
    known = _enumerated(s1.tolist(), partial(sub_rank, W0n, rtol=rtol, max_subsets=max_subsets))
    val = torch.tensor([known.get(v, 0) for v in s1.tolist()], dtype=torch.float64)  # 0: no rows
    ex_r = ~val.isnan()
    lo_r = torch.where(ex_r, val, torch.clamp(rank_W0 - (dims[1] - s1), min=0).double())
    hi_r = torch.where(ex_r, val, r0.double())
    cert.bounds["sub-rank(W_0,s_1)"] = (lo_r, hi_r)
    cert.exact["sub-rank(W_0,s_1)"] = ex_r
    cond["Thm 1: z"] = code((lo_r == n0) & (s1 >= n0), (hi_r < n0) | (s1 < n0))
    cond["rank: all layers"] = code(full_rank)
    # ---- random-weight conditions
    cond[f"arXiv Cor 1: x_{L}"] = code(sL < (n_obs.double() + 1) / 2)
    cond[f"ICLR Thm 2: x_{L}"] = code(s[:, L - 1] < n_obs)
    for i in range(L - 1, 0, -1):
        cond[f"arXiv Cor 1: x_{i}"] = code(s[:, i - 1].double() < (s[:, i].double() + 1) / 2)
        cond[f"ICLR Thm 2: x_{i}"] = code(s[:, i - 1] < s[:, i])
    cond["arXiv Cor 1: z"] = code(s1 >= n0)
    cond["ICLR Thm 2: z"] = code(s1 >= n0)
    # order: by source, then from the output down
    order = ["Thm 1", "Thm 1 (support)", "arXiv Cor 1", "ICLR Thm 2", "rank"]

    def layer(k: str) -> int:  # x_L first, ..., x_1, z, then 'all layers'
        t = k.split(": ")[1]
        return -int(t[2:]) if t.startswith("x_") else (1 if t == "z" else 2)

    cert.conditions = {
        k: cond[k] for src in order for k in sorted(cond, key=layer) if k.split(": ")[0] == src
    }
    return cert


# ------------------------------------------------------------------ collisions: measured uniqueness
def same_layer_collision(G: Generator, z: torch.Tensor, *, rtol: float = 1e-10) -> torch.Tensor:
    """For each latent (row of z), a z' != z with exactly the same first hidden layer
    x_1 = ReLU(W_0 z + b_0), hence G(z') = G(z); NaN rows where none exists.

    Such a z' exists iff rank(W_0^{S_1}) < n_0 (the support-specific form of P1 Thm 1 (iii)):
    then z' = z + t v with W_0^{S_1} v = 0 keeps the active units, and t is half the step at
    which the first inactive unit would turn on. Exact (a rank, no search).
    """
    if G.hidden != "relu":
        raise ValueError("G.hidden: the construction is for ReLU hidden layers (P1 Eq. 3)")
    z = G.check_latent(z)
    W0, b0 = G.weights[0], G.bias(0)
    out = torch.full_like(z, math.nan)
    for i in range(z.shape[0]):
        a = W0 @ z[i] + b0
        S = a > 0
        if _rank(_np(W0[S]), rtol) == W0.shape[1]:
            continue
        v = torch.linalg.svd(W0[S] if S.any() else W0[:1] * 0)[2][-1]  # W0[S] v = 0
        if (~S).any():
            grow = (W0[~S] @ v).abs().max()
            t = 0.5 * float((-a[~S]).min()) / max(float(grow), 1e-12) if grow > 0 else 1.0
        else:
            t = 1.0
        out[i] = z[i] + t * v
    return out


def unique_by_ranks(G: Generator, z: torch.Tensor, *, rtol: float = 1e-10) -> torch.Tensor:
    """(B,) bool: z is provably the only latent with output G(z), by ranks alone.

    The argument of P1 Thm 1 with the spark replaced by the rank: phi is invertible and W_L has
    full column rank, so x_L = W_L^+ (phi^{-1}(x) - b_L) is the only hidden layer that gives x
    (sparse or not); each support-restricted W_i^{S_{i+1}} (i = L-1, ..., 1) and W_0^{S_1} has
    full column rank, so each layer determines the one below, down to z. A sufficient
    condition: False means "not proven", not "not unique". It needs n_L <= n, so it never
    decides a latent of a net whose last hidden layer is wider than the output.
    """
    if G.hidden != "relu":
        raise ValueError("G.hidden: the argument is for ReLU hidden layers (P1 Eq. 3)")
    z = G.check_latent(z)
    B = z.shape[0]
    WL = _np(G.weights[-1])
    if G.output not in INVERTIBLE_OUTPUTS or _rank(WL, rtol) < WL.shape[1]:
        return torch.zeros(B, dtype=torch.bool)
    fw = G.forward(z)
    out = torch.ones(B, dtype=torch.bool)
    for b in range(B):
        for i in range(G.L):  # W_0^{S_1}, W_1^{S_2}, ..., W_{L-1}^{S_L}
            A = _np(G.weights[i][fw.supports[i][b]])
            if _rank(A, rtol) < A.shape[1]:
                out[b] = False
                break
    return out


@dataclass
class CollisionSearch:
    """What :func:`search_collision` found, per latent.

    Attributes:
        found: (B,) bool, a second latent z' with G(z') = G(z) was found.
        z_other: (B, n_0) the found z' farthest from z (NaN rows where none was found).
        reached: (B,) starts that ended at zero residual (at z itself or at another latent): a
            search whose starts never reach zero residual could not have found anything.
        starts: random starts per latent.
    """

    found: torch.Tensor
    z_other: torch.Tensor
    reached: torch.Tensor
    starts: int


def search_collision(
    G: Generator,
    z: torch.Tensor,
    *,
    starts: int = 16,
    seed: int = 0,
    steps: int = 1000,
    lr: float = 0.05,
    optimizer: str = "momentum",
    res_tol: float = 1e-9,
    dist_tol: float = 1e-3,
) -> CollisionSearch:
    """Look for a second latent with the same output: descent on 1/2 ||G(z') - G(z)||^2 from
    ``starts`` random z'_0 ~ N(0, I) per latent, all latents and starts in one batch
    (:func:`lib.methods.gradient.gradient_descent`). An end point with ||G(z') - G(z)|| <= res_tol
    ||G(z)|| and ||z' - z|| > dist_tol ||z|| is a collision.

    Finding none is evidence, not proof: the search finds only collisions whose basins its
    starts reach. Measure its power where the answer is known, on planted collisions
    (:func:`plant_collision`).
    """
    z = G.check_latent(z)
    B = z.shape[0]
    y = G(z).repeat_interleave(starts, dim=0)
    zr = z.repeat_interleave(starts, dim=0)
    r = gradient_descent(G, y, lr=lr, max_iter=steps, optimizer=optimizer, tol=1e-12, seed=seed)
    res = torch.linalg.vector_norm(G(r.z) - y, dim=1) / torch.linalg.vector_norm(y, dim=1)
    dist = torch.linalg.vector_norm(r.z - zr, dim=1) / torch.linalg.vector_norm(zr, dim=1)
    zero = (res <= res_tol).reshape(B, starts)
    other = zero & (dist > dist_tol).reshape(B, starts)
    far = torch.where(other, dist.reshape(B, starts), torch.full_like(res, -1.0).reshape(B, -1))
    pick = far.argmax(dim=1)
    z_other = r.z.reshape(B, starts, -1)[torch.arange(B), pick].clone()
    found = other.any(dim=1)
    z_other[~found] = math.nan
    return CollisionSearch(found.cpu(), z_other, zero.sum(dim=1).cpu(), starts)


def plant_collision(G: Generator, z_a: torch.Tensor, z_b: torch.Tensor) -> Generator:
    """A copy of G whose last weight matrix maps x_L(z_a[j]) and x_L(z_b[j]) to the same
    pre-activation for every row j: W_L' = W_L (I - Q Q^T), Q an orthonormal basis of the
    differences x_L(z_a[j]) - x_L(z_b[j]). Then G'(z_a[j]) = G'(z_b[j]) exactly (up to
    round-off) while the hidden layers, their supports and the ranks of W_0^{S_1} are unchanged:
    a collision that :func:`same_layer_collision` cannot see, for testing a search.
    """
    from dataclasses import replace

    xa, xb = G.forward(z_a).x[-1], G.forward(z_b).x[-1]
    Q, _ = torch.linalg.qr((xa - xb).T)
    WL = G.weights[-1]
    return replace(G, weights=[*G.weights[:-1], WL - (WL @ Q) @ Q.T], meta=dict(G.meta))
