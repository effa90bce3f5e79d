"""The one result type every inversion method returns, and the checks of their parameters.

Every method of the three papers -- P1's Oracle, Layered Basis-Pursuit and Latent-Pursuit, P2's
linear equations and linear programs, the gradient baselines, P3's recovery -- returns a subclass
of :class:`InversionResult`. The fields below mean the same thing everywhere, so a benchmark (or
a reader) can compare methods without knowing how each one works:

- ``z``: (B, n_0) latent estimates, on the generator's device and dtype. A row is NaN only when
  the method produced no estimate at all for that signal (its status says why).
- ``layers``: the method's own estimates of the hidden layers [x_1, ..., x_L], each (B, n_i). A
  method that estimates only z (gradient descent) reports the layers of G(z_hat).
- ``status``: one word per signal, from :data:`STATUSES`; ``ok`` is True where it is a success.
- ``iterations``: (B,) int64 on the CPU, the method's unit of work per signal (gradient steps,
  pursuit iterations of all stages, or LPs solved -- each method's docstring says which).
- ``seconds``: wall time of the whole batch.
- ``method``: the method's name.
- ``certificate``: None, or the uniqueness certificate of what was found, indexable per signal
  (:class:`lib.theory.sparsity.BatchCertificate`, filled by the caller: ``result.certificate =
  certify(G, result.z)``).

A method that knows it failed says so per signal: no wrong z is marked a success.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch

#: Per-signal outcomes shared by every method:
#:
#: - ``converged``: the method's own stopping test was met (a local criterion: for non-convex
#:   methods this is not proof of the right z)
#: - ``exact``: a noiseless inversion whose answer reproduces the observation exactly
#: - ``fitted``: the estimate fits the observed entries within the method's ``fit_tol`` (relative
#:   residual ||M (G(z) - y)|| / ||M y||): evidence, for a non-convex method not proof, of the
#:   right z
#: - ``within_noise``: a noisy inversion whose residual is within the noise bound it was given
#: - ``budget``: the iteration budget ran out before the stopping test was met
#: - ``diverged``: the iterates or the loss became inf / NaN (e.g. a step size too large)
#: - ``dead``: stuck where every unit of some layer is dead (G is locally constant: zero
#:   gradient, but not a solution)
#: - ``not_unique``: the data do not determine z (e.g. fewer active rows than unknowns, P2 Thm 3)
#: - ``infeasible``: a solver proved that no z fits within the bound
#: - ``solver_failure``: a numerical solver failed
STATUSES = (
    "converged",
    "exact",
    "fitted",
    "within_noise",
    "budget",
    "diverged",
    "dead",
    "not_unique",
    "infeasible",
    "solver_failure",
)
#: The statuses that count as a success (``InversionResult.ok``).
SUCCESS = ("converged", "exact", "fitted", "within_noise")


@dataclass
class InversionResult:
    """Base result of every inversion method (fields: see the module docstring)."""

    z: torch.Tensor
    layers: list[torch.Tensor]
    status: list[str]
    iterations: torch.Tensor
    seconds: float
    method: str = ""
    certificate: Any = field(default=None, repr=False)  # lib.theory.sparsity.BatchCertificate

    def __post_init__(self) -> None:
        bad = sorted(set(self.status) - set(STATUSES))
        if bad:
            raise ValueError(f"status: unknown value(s) {bad}; use one of {STATUSES}")
        if len(self.status) != self.z.shape[0]:
            raise ValueError(f"status: {len(self.status)} entries for {self.z.shape[0]} signals")
        self.iterations = torch.as_tensor(self.iterations).detach().to("cpu", torch.long)

    @property
    def ok(self) -> torch.Tensor:
        """(B,) bool on the CPU: the signal's status is a success (:data:`SUCCESS`)."""
        return torch.tensor([s in SUCCESS for s in self.status], dtype=torch.bool)

    def counts(self) -> dict[str, int]:
        """How many signals ended in each status (only the statuses that occur)."""
        out: dict[str, int] = {}
        for s in self.status:
            out[s] = out.get(s, 0) + 1
        return out


def demote_undetermined(status: list[str], undetermined) -> list[str]:
    """``status`` with 'not_unique' wherever ``undetermined`` (B,) is True and the word was a
    success: a signal whose observation cannot determine z (e.g. fewer observed entries than
    n_0, :func:`lib.core.observation.undetermined`) is never reported a success."""
    return [
        "not_unique" if u and s in SUCCESS else s
        for s, u in zip(status, torch.as_tensor(undetermined).tolist(), strict=True)
    ]
