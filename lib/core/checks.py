"""Parameter checks every public function uses at its boundary: each raises a clear error
naming the argument (tested in ``tests/test_inputs.py``)."""

from __future__ import annotations

import math

import torch

from lib.core.generator import Generator


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
    """A method that needs the dense layered :class:`lib.core.generator.Generator` rejects anything
    else, saying how to convert a :class:`lib.core.convnet.ConvGenerator`."""

    if isinstance(G, Generator):
        return G
    if hasattr(G, "to_generator"):
        raise TypeError(
            f"G: {method} needs a dense lib.core.generator.Generator, got {type(G).__name__}; "
            "convert it with G.to_generator() (its transposed convolutions as matrices)"
        )
    raise TypeError(f"G: {method} needs a lib.core.generator.Generator, got {type(G).__name__}")


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
