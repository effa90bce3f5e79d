"""Every inversion method of the three papers, named once, with the rule that says where it runs.

One call shape for all of them, the methods' own::

    result = METHODS[name].fn(G, y, *, mask=None, **options)   # an InversionResult

``G`` a generator (dense :class:`lib.core.generator.Generator` or
:class:`lib.core.convnet.ConvGenerator`; the matrix methods invert a convolutional net through its
matrices), ``y`` (B, n) or (n,) observations, ``mask`` True = observed ((n,) or (B, n)), the
options the method's own keywords (its docstring). ``fn`` is the method itself, or, where one
function serves several entries (P2's three LPs, gradient descent with Adam), that function with
the entry's choice fixed (``functools.partial``).

``Method.rule(G)`` (:mod:`lib.methods.rules`) is None where the method runs on G, else the reason,
from the papers' own conditions; the benchmark (:mod:`lib.book.bench`) and the hybrid
(:func:`lib.methods.hybrid.layered_parent`) read them from there, and the methods' own argument
checks agree with it (tested over every entry in ``tests/test_contracts.py``, with the contracts
every method keeps: hidden pixels are never read, nothing observed means nothing claimed, the answer
does not depend on call history, float32 and float64, a clear error for bad input).

A new method goes here: one :class:`Method` in :data:`METHODS`, and the contract tests cover it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from lib.core.result import InversionResult
from lib.methods.gradient import gd_restarts, gd_step_search, gradient_descent
from lib.methods.hybrid import hybrid
from lib.methods.lp import invert_layerwise, invert_lp, projected_gd
from lib.methods.pursuit import latent_pursuit, layered_basis_pursuit, oracle
from lib.methods.recovery import recover
from lib.methods.rules import (
    gradient_rule,
    hybrid_rule,
    latent_pursuit_rule,
    p1_rule,
    p2_rule,
)


@dataclass(frozen=True)
class Method:
    """One inversion method: ``name`` (the registry key), ``label`` and ``paper`` (where it is
    printed), ``fn`` (the method, called ``fn(G, y, *, mask=None, **options)``), ``rule`` (None
    where it applies to G, else why not), ``needs`` (options it cannot run without, e.g. the
    Oracle's supports)."""

    name: str
    label: str
    paper: str
    fn: Callable[..., InversionResult]
    rule: Callable[[object], str | None]
    needs: tuple[str, ...] = ()

    @property
    def function(self) -> str:
        """The documented function behind ``fn``, as ``module.name``."""
        f = self.fn.func if isinstance(self.fn, partial) else self.fn
        return f"{f.__module__}.{f.__name__}"


_ENTRIES = (
    Method("oracle", "Oracle (P1 Alg. 1)", "P1 Alg. 1", oracle, p1_rule, needs=("supports",)),
    Method("layered_bp", "Layered BP (P1 Alg. 2)", "P1 Alg. 2", layered_basis_pursuit, p1_rule),
    Method("latent_pursuit", "Latent-Pursuit (P1 Alg. 5)", "P1 Alg. 5", latent_pursuit,
           latent_pursuit_rule),
    Method("equations", "linear equations (P2 Thm 3)", "P2 Thm 3, Eq. 5", invert_layerwise,
           p2_rule),
    Method("linf", "l_inf LP (P2 Alg. 1)", "P2 Alg. 1", partial(invert_lp, algorithm="linf"),
           p2_rule),
    Method("l1", "l_1 LP (P2 Alg. 2)", "P2 Alg. 2", partial(invert_lp, algorithm="l1"), p2_rule),
    Method("relax", "LP relaxation (P2 Alg. 3)", "P2 Alg. 3", partial(invert_lp, algorithm="relax"),
           p2_rule),
    Method("pgd", "PGD with the l_inf LP (P2 Sec. 5.2)", "P2 Sec. 5.2", projected_gd, p2_rule),
    Method("gd", "GD (P1 step rule)", "P1 Sec. 6.1, P2", gd_step_search, gradient_rule),
    Method("adam", "Adam (P3)", "P3 Sec. 4.3", partial(gradient_descent, optimizer="adam"),
           gradient_rule),
    Method("gd_restarts", "GD + restarts + negation", "P1 Sec. 6.1, P3", gd_restarts,
           gradient_rule),
    Method("p3_recover", "P3 recovery (Adam, negation restart)", "P3 Eq. 3, Sec. 4.3", recover,
           gradient_rule),
    Method("hybrid", "hybrid (X-hybrid)", "P1 Sec. 6.1 (future work)", hybrid, hybrid_rule),
)  # fmt: skip

#: name -> :class:`Method`, in the order the benchmark tables use
METHODS: dict[str, Method] = {m.name: m for m in _ENTRIES}


def get(name: str) -> Method:
    """The registered method ``name``; ValueError naming ``name`` otherwise."""
    try:
        return METHODS[name]
    except KeyError:
        raise ValueError(f"name={name!r}: no such method; registered: {list(METHODS)}") from None


def applicability(name: str, G) -> str | None:
    """None when method ``name`` runs on G; otherwise "not applicable: " and the reason."""
    why = get(name).rule(G)
    return None if why is None else f"not applicable: {why}"
