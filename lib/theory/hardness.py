"""P2 (Lei et al. 2019) Section 3.2 and Appendix B.1: inverting ReLU networks is NP-hard.

- :func:`thm1_network`: Theorem 1's reduction, a 2-layer ReLU net G: {+-1}^k -> R built from a
  3-CNF formula such that G(z) = number of clauses that z violates, so G(z) = 0 has a binary
  solution iff the formula is satisfiable.
- :func:`thm2_network`: Theorem 2's reduction, a 4-layer ReLU net G: R^k -> R^2 with
  G(z) = [0, k] solvable over the reals iff the formula is satisfiable.
- :func:`example1`: Example 1, a 2-layer net whose preimage of x = 1 is not convex.
- :func:`preimage_milp`: an exact decision procedure for "does G have a preimage of x in a box",
  a mixed-integer LP (big-M encoding of every ReLU, HiGHS through scipy). It is the independent
  check of the reductions over real inputs; its cost grows exponentially in the worst case, which
  is the point of the theorems.

CNF formulas use the DIMACS convention: a clause is a tuple of non-zero integers, literal +j is
variable j (1-based) and -j its negation. A boolean assignment is a +-1 vector (+1 = true).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import torch
from scipy.optimize import Bounds, LinearConstraint, milp

from lib.core.generator import Generator

Clause = tuple[int, ...]


@dataclass(frozen=True)
class CNF:
    """A CNF formula over variables 1..k (DIMACS literals)."""

    k: int
    clauses: tuple[Clause, ...]

    def __post_init__(self) -> None:
        if self.k < 1:
            raise ValueError(f"k must be >= 1, got {self.k}")
        for c in self.clauses:
            if not c or any(lit == 0 or abs(lit) > self.k for lit in c):
                raise ValueError(f"clause {c}: literals must be non-zero and |lit| <= k = {self.k}")
            if len({abs(lit) for lit in c}) != len(c):
                raise ValueError(f"clause {c}: a variable appears twice (not supported)")

    @property
    def m(self) -> int:
        """Number of clauses."""
        return len(self.clauses)

    def violated(self, z: np.ndarray) -> np.ndarray:
        """Number of violated clauses for each +-1 assignment row of z (B, k) — evaluated
        directly from the formula, independently of any network."""
        z = np.atleast_2d(np.asarray(z))
        count = np.zeros(len(z), dtype=int)
        for c in self.clauses:
            sat = np.zeros(len(z), dtype=bool)
            for lit in c:
                sat |= z[:, abs(lit) - 1] == (1 if lit > 0 else -1)
            count += ~sat
        return count

    def __str__(self) -> str:
        def lit(v: int) -> str:
            return f"z{v}" if v > 0 else f"¬z{-v}"

        return " ∧ ".join("(" + " ∨ ".join(lit(v) for v in c) + ")" for c in self.clauses)


def random_3cnf(k: int, m: int, rng: np.random.Generator) -> CNF:
    """A random 3-CNF: m clauses on 3 distinct variables each, literals negated w.p. 1/2."""
    if k < 3:
        raise ValueError("a 3-CNF needs k >= 3 variables")
    clauses = []
    for _ in range(m):
        variables = rng.choice(k, size=3, replace=False) + 1
        signs = rng.choice([-1, 1], size=3)
        clauses.append(tuple(int(v * s) for v, s in zip(variables, signs, strict=True)))
    return CNF(k, tuple(clauses))


def all_assignments(k: int) -> np.ndarray:
    """All 2^k assignments as a (2^k, k) array of +-1."""
    return np.array(list(itertools.product([-1, 1], repeat=k)), dtype=float)


def satisfiable(cnf: CNF) -> bool:
    """Brute-force satisfiability: try all 2^k assignments (small k only)."""
    if cnf.k > 20:
        raise ValueError("brute force over 2^k assignments: k <= 20 only")
    return bool((cnf.violated(all_assignments(cnf.k)) == 0).any())


def _clause_rows(cnf: CNF) -> tuple[torch.Tensor, torch.Tensor]:
    """Clause layer of both reductions: row i has -1 on a positive literal, +1 on a negative one;
    bias 1 - |C_i| (= -2 for three literals, as in the paper)."""
    A = torch.zeros(cnf.m, cnf.k, dtype=torch.float64)
    for i, c in enumerate(cnf.clauses):
        for lit in c:
            A[i, abs(lit) - 1] = -1.0 if lit > 0 else 1.0
    b = torch.tensor([1.0 - len(c) for c in cnf.clauses], dtype=torch.float64)
    return A, b


def thm1_network(cnf: CNF) -> Generator:
    """P2 Theorem 1 (proof in App. B.1): G(z) = 1^T ReLU(W_0 z + b_0) for z in {+-1}^k.

    Clause node u_i = ReLU(sum of -z_j over positive literals + z_j over negative ones - 2):
    each literal contributes +1 when false and -1 when true, so u_i = 1 if all three literals are
    false and 0 otherwise. The output sums the u_i: G(z) = number of violated clauses, and G(z) = 0
    has a binary solution iff the formula is satisfiable. (For clauses with fewer than three
    literals the bias 1 - |C| keeps this property; the paper only has three-literal clauses.)
    """
    A, b = _clause_rows(cnf)
    ones = torch.ones(1, cnf.m, dtype=torch.float64)
    meta = {"construction": "P2 Theorem 1", "k": cnf.k, "m": cnf.m}
    return Generator([A, ones], [b, None], hidden="relu", output="identity", meta=meta)


def thm2_network(cnf: CNF) -> Generator:
    """P2 Theorem 2 (proof in App. B.1): a 4-layer ReLU net G: R^k -> R^2 with
    G(z) = [0, k] solvable iff the formula is satisfiable.

    Layers (all hidden activations ReLU, linear output), with v = clip(z, -1, 1)::

      1. a = ReLU([z + 1; z - 1])                    (2k units)
      2. p = ReLU(v), q = ReLU(-v), where v = a_+ - a_- - 1 = clip(z, -1, 1)   (2k units)
      3. u_i = ReLU(c_i^T (p - q) - 2) for the m clauses, u_{m+1} = ReLU(sum p),
         u_{m+2} = ReLU(sum q)                        (m + 2 units)
      4. x = [sum_{i<=m} u_i, u_{m+1} + u_{m+2}]      (2 outputs)

    x_2 = sum_j |v_j| = k forces every |v_j| = 1 (since |v_j| <= 1), i.e. v is a +-1 assignment;
    then x_1 is the number of violated clauses, as in Theorem 1.

    Reading of the paper: its text connects the clause nodes and the two sum nodes to "z_i";
    they must read the clipped v_i (with the raw z, sum |z_i| = n would not force z_i = +-1), and
    its "n" is the number of variables k.
    """
    k, m = cnf.k, cnf.m
    eye = torch.eye(k, dtype=torch.float64)
    W0 = torch.cat([eye, eye])  # [z + 1; z - 1]
    b0 = torch.cat([torch.ones(k), -torch.ones(k)]).double()
    D = torch.cat([eye, -eye], dim=1)  # a_+ - a_-
    W1 = torch.cat([D, -D])  # p = ReLU(v), q = ReLU(-v)
    b1 = torch.cat([-torch.ones(k), torch.ones(k)]).double()
    A, bc = _clause_rows(cnf)
    W2 = torch.cat(
        [
            torch.cat([A, -A], dim=1),  # c_i^T (p - q)
            torch.cat([torch.ones(1, k), torch.zeros(1, k)], dim=1).double(),  # sum p
            torch.cat([torch.zeros(1, k), torch.ones(1, k)], dim=1).double(),  # sum q
        ]
    )
    b2 = torch.cat([bc, torch.zeros(2, dtype=torch.float64)])
    W3 = torch.zeros(2, m + 2, dtype=torch.float64)
    W3[0, :m] = 1.0
    W3[1, m:] = 1.0
    meta = {"construction": "P2 Theorem 2", "k": k, "m": m}
    return Generator([W0, W1, W2, W3], [b0, b1, b2, None], hidden="relu", meta=meta)


def thm2_target(cnf: CNF) -> torch.Tensor:
    """The observation x = [0, k] of Theorem 2."""
    return torch.tensor([0.0, float(cnf.k)], dtype=torch.float64)


def example1() -> Generator:
    """P2 Example 1 (App. B.1): G(z) = ReLU(W_1 ReLU(W_0 z)) with W_0 = [[1, 2], [3, 1]],
    W_1 = [1, -1]; the preimage of x = 1 is not convex."""
    W0 = torch.tensor([[1.0, 2.0], [3.0, 1.0]], dtype=torch.float64)
    W1 = torch.tensor([[1.0, -1.0]], dtype=torch.float64)
    return Generator([W0, W1], output="relu", meta={"construction": "P2 Example 1"})


# ----------------------------------------------------------------------------- exact MILP check
@dataclass
class PreimageResult:
    """Outcome of :func:`preimage_milp`.

    Attributes:
        exists: True / False when the MILP was solved to a certificate, None otherwise.
        z: a witness latent when one exists.
        status: scipy/HiGHS status message.
    """

    exists: bool | None
    z: np.ndarray | None
    status: str


def interval_bounds(G: Generator, lo: np.ndarray, hi: np.ndarray) -> list[tuple[np.ndarray, ...]]:
    """Interval bounds [l, u] of every pre-activation over the box lo <= z <= hi."""
    bounds = []
    l, u = np.asarray(lo, float), np.asarray(hi, float)
    for i, W in enumerate(G.weights):
        Wn = W.detach().cpu().double().numpy()
        b = G.bias(i).detach().cpu().double().numpy()
        Wp, Wm = np.clip(Wn, 0, None), np.clip(Wn, None, 0)
        pl, pu = Wp @ l + Wm @ u + b, Wp @ u + Wm @ l + b
        bounds.append((pl, pu))
        if i < G.L:
            l, u = np.clip(pl, 0, None), np.clip(pu, 0, None)
    return bounds


def preimage_milp(
    G: Generator,
    x: torch.Tensor,
    lo: float | np.ndarray,
    hi: float | np.ndarray,
    *,
    binary: bool = False,
    time_limit: float = 60.0,
) -> PreimageResult:
    """Decide exactly whether some z with lo <= z <= hi has G(z) = x (a ReLU net, identity output).

    Mixed-integer formulation (big-M with interval bounds): for a hidden unit with pre-activation
    a in [l, u] and output h = ReLU(a), introduce a binary d with::

        h >= a,  h >= 0,  h <= a - l (1 - d),  h <= u d,

    which forces h = max(a, 0) exactly. With ``binary=True`` the latent is restricted to {lo, hi}
    (P2 Theorem 1's z in {+-1}^k). Solved by HiGHS (scipy.optimize.milp), feasibility only.
    """
    if G.hidden != "relu" or G.output not in ("identity", "relu"):
        raise ValueError("preimage_milp handles ReLU hidden layers and identity/ReLU output only")
    k = G.dims[0]
    lo = np.broadcast_to(np.asarray(lo, float), (k,)).copy()
    hi = np.broadcast_to(np.asarray(hi, float), (k,)).copy()
    x = np.atleast_1d(np.asarray(torch.as_tensor(x).detach().cpu().double()))
    if x.shape != (G.dims[-1],):
        raise ValueError(f"x must have shape ({G.dims[-1]},), got {x.shape}")
    pre_bounds = interval_bounds(G, lo, hi)
    # variable layout: [z (k) | per hidden layer: h (n_i), d (n_i)]
    sizes = [k] + [2 * n for n in G.dims[1:-1]]
    offsets = np.cumsum([0, *sizes])
    nvar = offsets[-1]
    rows, lb_c, ub_c = [], [], []

    def add(coefs: list[tuple[int, float]], lb: float, ub: float) -> None:
        r = np.zeros(nvar)
        for j, v in coefs:
            r[j] += v
        rows.append(r)
        lb_c.append(lb)
        ub_c.append(ub)

    lower = np.full(nvar, -np.inf)
    upper = np.full(nvar, np.inf)
    integrality = np.zeros(nvar)
    lower[:k], upper[:k] = lo, hi
    if binary:  # z = lo + (hi - lo) t with t binary: encode z itself as an integer in {0,1} map
        integrality[:k] = 1
        lower[:k], upper[:k] = 0, 1
    prev = list(range(k))  # variable indices of the layer input

    def affine(i: int, row: int) -> list[tuple[int, float]]:
        W = G.weights[i][row].detach().cpu().double().numpy()
        if binary and i == 0:  # z_j = lo_j + (hi_j - lo_j) t_j
            return [(prev[j], W[j] * (hi[j] - lo[j])) for j in range(len(prev)) if W[j] != 0]
        return [(prev[j], W[j]) for j in range(len(prev)) if W[j] != 0]

    def const(i: int, row: int) -> float:
        c = float(G.bias(i)[row])
        if binary and i == 0:
            c += float(G.weights[0][row].detach().cpu().double().numpy() @ lo)
        return c

    for i in range(G.L):
        n = G.dims[i + 1]
        h0, d0 = offsets[i + 1], offsets[i + 1] + n
        pl, pu = pre_bounds[i]
        for r in range(n):
            a, c, h, d = affine(i, r), const(i, r), h0 + r, d0 + r
            integrality[d], lower[d], upper[d] = 1, 0, 1
            lower[h] = 0.0
            if pu[r] <= 0:  # always inactive
                upper[h] = 0.0
                continue
            if pl[r] >= 0:  # always active: h = a
                add([(h, 1.0)] + [(j, -v) for j, v in a], c, c)
                continue
            add([(h, 1.0)] + [(j, -v) for j, v in a], c, np.inf)  # h >= a
            # h <= a - l (1 - d)  <=>  h - a - l d <= c - l
            add([(h, 1.0), (d, -pl[r])] + [(j, -v) for j, v in a], -np.inf, c - pl[r])
            add([(h, 1.0), (d, -pu[r])], -np.inf, 0.0)  # h <= u d
        prev = list(range(h0, h0 + n))
    for r in range(G.dims[-1]):  # output layer: W_L x_L + b_L = x (ReLU output: = x, x >= 0)
        a, c = affine(G.L, r), const(G.L, r)
        if G.output == "relu" and x[r] == 0:
            add(a, -np.inf, -c)
        else:
            add(a, x[r] - c, x[r] - c)
    res = milp(
        c=np.zeros(nvar),
        constraints=LinearConstraint(np.array(rows), lb_c, ub_c) if rows else (),
        integrality=integrality,
        bounds=Bounds(lower, upper),
        options={"time_limit": time_limit, "presolve": True},
    )
    if res.status == 0:
        z = res.x[:k]
        if binary:
            z = lo + (hi - lo) * np.round(z)
        return PreimageResult(True, z, res.message)
    if res.status == 2:  # infeasible: a certificate that no preimage exists
        return PreimageResult(False, None, res.message)
    return PreimageResult(None, None, res.message)
