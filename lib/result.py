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
  (:class:`lib.sparsity.BatchCertificate`, attached by ``result.certify(G)``).

A method that knows it failed says so per signal: no wrong z is marked a success.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import torch

#: Per-signal outcomes shared by every method.
#: converged     the method's own stopping test was met (a local criterion: for non-convex
#:               methods this is not proof of the right z)
#: exact         a noiseless inversion whose answer reproduces the observation exactly
#: within_noise  a noisy inversion whose residual is within the noise bound it was given
#: budget        the iteration budget ran out before the stopping test was met
#: diverged      the iterates or the loss became inf / NaN (e.g. a step size too large)
#: dead          stuck where every unit of some layer is dead (G is locally constant: zero
#:               gradient, but not a solution)
#: not_unique    the data do not determine z (e.g. fewer active rows than unknowns, P2 Thm 3)
#: infeasible    a solver proved that no z fits within the bound
#: solver_failure  a numerical solver failed
STATUSES = (
    "converged",
    "exact",
    "within_noise",
    "budget",
    "diverged",
    "dead",
    "not_unique",
    "infeasible",
    "solver_failure",
)
SUCCESS = ("converged", "exact", "within_noise")


@dataclass
class InversionResult:
    """Base result of every inversion method (fields: see the module docstring)."""

    z: torch.Tensor
    layers: list[torch.Tensor]
    status: list[str]
    iterations: torch.Tensor
    seconds: float
    method: str = ""
    certificate: Any = field(default=None, repr=False)  # lib.sparsity.BatchCertificate

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

    def certify(self, G, **kwargs) -> InversionResult:
        """Fill ``certificate`` with P1's uniqueness certificate of the estimate ``z`` on G
        (:func:`lib.sparsity.certify`, keyword arguments such as ``mask`` passed on) and
        return self."""
        from .sparsity import certify

        self.certificate = certify(G, self.z, **kwargs)
        return self

    def counts(self) -> dict[str, int]:
        """How many signals ended in each status (only the statuses that occur)."""
        out: dict[str, int] = {}
        for s in self.status:
            out[s] = out.get(s, 0) + 1
        return out


def demote_undetermined(status: list[str], undetermined) -> list[str]:
    """``status`` with 'not_unique' wherever ``undetermined`` (B,) is True and the word was a
    success: a signal whose observation cannot determine z (e.g. fewer observed entries than
    n_0, :func:`lib.measurements.undetermined`) is never reported a success."""
    return [
        "not_unique" if u and s in SUCCESS else s
        for s, u in zip(status, torch.as_tensor(undetermined).tolist(), strict=True)
    ]


# ------------------------------------------------------------------ parameter checks
def check_positive(name: str, value, *, allow_zero: bool = False) -> float:
    """``value`` as a finite float > 0 (>= 0 with ``allow_zero``); ValueError naming ``name``."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name}={value!r}: expected a number") from None
    if not math.isfinite(v) or v < 0 or (v == 0 and not allow_zero):
        need = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name}={value!r}: expected a finite number {need}")
    return v


def check_count(name: str, value, *, minimum: int = 0) -> int:
    """``value`` as an int >= ``minimum``; ValueError naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, int | torch.SymInt):
        try:
            if int(value) != value:
                raise ValueError
        except (TypeError, ValueError):
            raise ValueError(f"{name}={value!r}: expected an integer") from None
    v = int(value)
    if v < minimum:
        raise ValueError(f"{name}={value!r}: expected an integer >= {minimum}")
    return v


def check_per_layer(name: str, values, L: int, *, allow_zero: bool = True) -> list[float]:
    """One number for every hidden layer [v_1..v_L] (a single number is repeated), each finite
    and >= 0 (> 0 without ``allow_zero``); ValueError naming ``name``."""
    if isinstance(values, int | float):
        values = [values] * L
    values = list(values)
    if len(values) != L:
        raise ValueError(f"{name}: expected {L} values (one per hidden layer), got {len(values)}")
    return [check_positive(f"{name}[{i}]", v, allow_zero=allow_zero) for i, v in enumerate(values)]


def require_dense(G, method: str):
    """A method that needs the dense layered :class:`lib.generator.Generator` rejects anything
    else, saying how to convert a :class:`lib.conv.ConvGenerator`."""
    from .generator import Generator

    if isinstance(G, Generator):
        return G
    if hasattr(G, "to_generator"):
        raise TypeError(
            f"G: {method} needs a dense lib.generator.Generator, got {type(G).__name__}; "
            "convert it with G.to_generator() (its transposed convolutions as matrices)"
        )
    raise TypeError(f"G: {method} needs a lib.generator.Generator, got {type(G).__name__}")


def require_hidden(G, allowed: tuple[str, ...], method: str) -> None:
    """Reject a hidden activation the method cannot invert (ValueError naming ``G.hidden``)."""
    if G.hidden not in allowed:
        raise ValueError(
            f"G.hidden={G.hidden!r}: {method} handles hidden activations {allowed} only"
        )


def require_output(G, allowed: tuple[str, ...], method: str) -> None:
    """Reject an output activation the method cannot invert (ValueError naming ``G.output``)."""
    if G.output not in allowed:
        raise ValueError(
            f"G.output={G.output!r}: {method} handles output activations {allowed} only"
        )
