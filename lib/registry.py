"""Every inversion method of the three papers, named once, with the rule that says where it runs.

One call shape for all of them::

    result = METHODS[name].fn(G, y, *, mask=None, **options)   # an InversionResult

``G`` a generator (dense :class:`lib.generator.Generator` or :class:`lib.conv.ConvGenerator`),
``y`` (B, n) or (n,) observations, ``mask`` True = observed ((n,) or (B, n)), the options the
method's own keywords (its docstring, linked by ``Method.function``). A method's entry holds a
small function of that shape where the method's own signature differs (P2's LP takes its
algorithm as a positional argument, the Oracle needs the true supports, the matrix methods take
a convolutional net through its matrices); where it already has that shape the entry is the
method itself.

``Method.rule(G)`` is None where the method runs on G, else the reason, from the papers' own
conditions; it is the one place the benchmark (:mod:`lib.bench`) and the hybrid
(:func:`lib.hybrid.layered_parent`) read them from, and the methods' own argument checks agree
with it (tested over every entry in ``tests/test_contracts.py``, with the contracts every method
keeps: hidden pixels are never read, nothing observed means nothing claimed, the answer does not
depend on call history, float32 and float64, a clear error for bad input).

A new method goes here: one :class:`Method` in :data:`METHODS`, and the contract tests cover it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .generator import INVERTIBLE_OUTPUTS, Generator
from .result import InversionResult


@dataclass(frozen=True)
class Method:
    """One inversion method: ``name`` (the registry key, also ``InversionResult.method``'s
    family), ``label`` and ``paper`` (where it is printed), ``fn`` (the one call shape),
    ``rule`` (None where it applies to G, else why not), ``function`` (the documented function
    behind ``fn``), ``needs`` (options it cannot run without, e.g. the Oracle's supports)."""

    name: str
    label: str
    paper: str
    fn: Callable[..., InversionResult]
    rule: Callable[[object], str | None]
    function: str
    needs: tuple[str, ...] = ()


# ------------------------------------------------------------------ applicability rules
def _acts(G) -> tuple[str, str]:
    return getattr(G, "hidden", "?"), getattr(G, "output", "?")


def p1_rule(G, outputs: tuple[str, ...] = INVERTIBLE_OUTPUTS) -> str | None:
    """P1's pursuit inverts layer by layer through phi^{-1}: ReLU hidden layers (P1 Eq. 3), an
    invertible output activation in ``outputs``, a dense generator."""
    hidden, output = _acts(G)
    if hidden != "relu":
        return f"P1's pursuit needs ReLU hidden layers (here {hidden})"
    if output not in outputs:
        return f"P1's pursuit here inverts the output activations {outputs} (here {output})"
    if not isinstance(G, Generator):
        return "P1's pursuit is written for a dense generator (P1 Eq. 3)"
    return None


def latent_pursuit_rule(G) -> str | None:
    """:func:`p1_rule` with the outputs Latent-Pursuit inverts
    (:data:`lib.pursuit.LATENT_PURSUIT_OUTPUTS`)."""
    from .pursuit import LATENT_PURSUIT_OUTPUTS

    return p1_rule(G, LATENT_PURSUIT_OUTPUTS)


def as_matrices(G) -> Generator:
    """The dense form of G: G itself, or a convolutional net's transposed convolutions as
    matrices (P3 Sec. 3, :meth:`lib.conv.ConvGenerator.to_generator`)."""
    return G if isinstance(G, Generator) else G.to_generator()


def p2_rule(G) -> str | None:
    """P2's layer-wise inversion: ReLU (or LeakyReLU) at every layer *including the output*
    (P2 Sec. 2), a matrix form (a convolutional net qualifies, P3 Sec. 3), and every layer
    expanding (P2 Thm 3 needs |S| >= n_i rows)."""
    hidden, output = _acts(G)
    if not (hidden == output and hidden in ("relu", "leaky_relu")):
        return (
            f"P2's layer-wise inversion needs ReLU (or LeakyReLU) at every layer including the "
            f"output (here hidden {hidden}, output {output})"
        )
    if not (isinstance(G, Generator) or hasattr(G, "to_generator")):
        return "no matrix form of this generator"
    return expansion_failure(G)


def expansion_failure(G) -> str | None:
    """None when every layer of G expands (n_{i+1} >= n_i); otherwise why P2's layer-wise
    inversion cannot determine a layer: it solves for all n_i entries of a layer from the active
    rows of the next (P2 Thm 3 needs |S| >= n_i)."""
    dims = G.dims
    for i in range(len(dims) - 1):
        if dims[i + 1] < dims[i]:
            return (
                f"P2's layer-wise inversion needs every layer to expand (|S| >= n_i rows, "
                f"P2 Thm 3); here {dims[i]} -> {dims[i + 1]}"
            )
    return None


def gradient_rule(G) -> str | None:
    """Gradient methods need only a differentiable G (every generator here)."""
    return None


def hybrid_rule(G) -> str | None:
    """The hybrid needs a layered parent: Latent-Pursuit's rule or P2's holds."""
    if latent_pursuit_rule(G) is None or p2_rule(G) is None:
        return None
    return (
        "no layered parent (needs ReLU hidden layers with an output Latent-Pursuit inverts, or "
        "ReLU/LeakyReLU at every layer with every layer expanding)"
    )


# ------------------------------------------------------------------ the one call shape
def _oracle(G, y, *, mask=None, supports, **options):
    from .pursuit import oracle

    return oracle(G, y, supports, mask=mask, **options)


def _layered_bp(G, y, *, mask=None, lams=None, **options):
    """Layered BP: with ``lams`` the best of those lam_L by the observed fit
    (:func:`lib.pursuit.best_of_lams`), else one run (:func:`lib.pursuit.layered_basis_pursuit`,
    lam from the noise bound ``eps``: P1 Alg. 2's lam = 2 l eps)."""
    from .pursuit import best_of_lams, layered_basis_pursuit

    if lams is not None:
        return best_of_lams(G, y, lams, mask=mask, **options)
    return layered_basis_pursuit(G, y, mask=mask, **options)


def _p2(method: str) -> Callable[..., InversionResult]:
    def fn(G, y, *, mask=None, **options):
        from .lp import invert_lp

        return invert_lp(as_matrices(G), y, method, mask=mask, **options)

    fn.__doc__ = f"P2's layer-wise {method!r} LP (:func:`lib.lp.invert_lp`) on G's matrices."
    return fn


def _equations(G, y, *, mask=None, **options):
    from .lp import invert_layerwise

    return invert_layerwise(as_matrices(G), y, mask=mask, **options)


def _pgd(G, y, *, mask=None, **options):
    """P2's PGD (:func:`lib.lp.projected_gd`); no mask: every pixel observed."""
    import torch

    from .lp import projected_gd

    if mask is None:
        mask = torch.ones(G.dims[-1], dtype=torch.bool)
    return projected_gd(as_matrices(G), y, mask, **options)


def _adam(G, y, *, mask=None, **options):
    from .gradient import gradient_descent

    return gradient_descent(G, y, mask=mask, **({"optimizer": "adam"} | options))


def _hybrid(G, y, *, mask=None, **options):
    from .hybrid import hybrid

    return hybrid(as_matrices(G), y, mask=mask, **options)


def _lazy(module: str, name: str) -> Callable[..., InversionResult]:
    """A method that already has the call shape, imported when first called."""

    def fn(G, y, *, mask=None, **options):
        import importlib

        return getattr(importlib.import_module(f"lib.{module}"), name)(G, y, mask=mask, **options)

    fn.__doc__ = f"lib.{module}.{name}"
    return fn


_ENTRIES = (
    Method("oracle", "Oracle (P1 Alg. 1)", "P1 Alg. 1", _oracle, p1_rule,
           "lib.pursuit.oracle", needs=("supports",)),
    Method("layered_bp", "Layered BP (P1 Alg. 2)", "P1 Alg. 2", _layered_bp, p1_rule,
           "lib.pursuit.layered_basis_pursuit"),
    Method("latent_pursuit", "Latent-Pursuit (P1 Alg. 5)", "P1 Alg. 5",
           _lazy("pursuit", "latent_pursuit"), latent_pursuit_rule, "lib.pursuit.latent_pursuit"),
    Method("equations", "linear equations (P2 Thm 3)", "P2 Thm 3, Eq. 5", _equations, p2_rule,
           "lib.lp.invert_layerwise"),
    Method("linf", "l_inf LP (P2 Alg. 1)", "P2 Alg. 1", _p2("linf"), p2_rule, "lib.lp.invert_lp"),
    Method("l1", "l_1 LP (P2 Alg. 2)", "P2 Alg. 2", _p2("l1"), p2_rule, "lib.lp.invert_lp"),
    Method("relax", "LP relaxation (P2 Alg. 3)", "P2 Alg. 3", _p2("relax"), p2_rule,
           "lib.lp.invert_lp"),
    Method("pgd", "PGD with the l_inf LP (P2 Sec. 5.2)", "P2 Sec. 5.2", _pgd, p2_rule,
           "lib.lp.projected_gd"),
    Method("gd", "GD (P1 step rule)", "P1 Sec. 6.1, P2", _lazy("gradient", "gd_step_search"),
           gradient_rule, "lib.gradient.gd_step_search"),
    Method("adam", "Adam (P3)", "P3 Sec. 4.3", _adam, gradient_rule,
           "lib.gradient.gradient_descent"),
    Method("gd_restarts", "GD + restarts + negation", "P1 Sec. 6.1, P3",
           _lazy("gradient", "gd_restarts"), gradient_rule, "lib.gradient.gd_restarts"),
    Method("p3_recover", "P3 recovery (Adam, negation restart)", "P3 Eq. 3, Sec. 4.3",
           _lazy("conv", "recover"), gradient_rule, "lib.conv.recover"),
    Method("hybrid", "hybrid (X-hybrid)", "P1 Sec. 6.1 (future work)", _hybrid, hybrid_rule,
           "lib.hybrid.hybrid"),
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
