"""Where each inversion method applies: one rule per family, from the papers' own conditions.

A rule takes a generator and returns None where the method runs on it, else the reason. The
registry (:mod:`lib.methods.registry`), the hybrid's choice of a layered parent and the
benchmark read them from here; the methods' own argument checks agree with them (tested over
the registry in ``tests/test_contracts.py``)."""

from __future__ import annotations

from lib.core.generator import INVERTIBLE_OUTPUTS, Generator
from lib.methods.pursuit import LATENT_PURSUIT_OUTPUTS


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
    (:data:`lib.methods.pursuit.LATENT_PURSUIT_OUTPUTS`)."""
    return p1_rule(G, LATENT_PURSUIT_OUTPUTS)


def as_matrices(G) -> Generator:
    """The dense form of G: G itself, or a convolutional net's transposed convolutions as
    matrices (P3 Sec. 3, :meth:`lib.core.convnet.ConvGenerator.to_generator`)."""
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
