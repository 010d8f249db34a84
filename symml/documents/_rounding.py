"""Values a document computes: ``\\sqrt{0.2 \\times 0.37} = 0.272`` at the digits shown.

A decimal after ``=`` with k digits after the point must be the true value rounded or
truncated to k places (``2/3 = 0.666`` is fine, ``\\sqrt{2} = 1.42`` is not); the looser
``\\approx`` is :mod:`symml.documents._statements`'s.
"""

from __future__ import annotations

from typing import Any

from symml.documents._claims import expand
from symml.documents._compare import free_names
from symml.documents._context import Context
from symml.documents._model import Statement, Status

__all__ = ["rounded_value", "value"]


def value(expr: Any, ctx: Context) -> float | None:
    """The number ``expr`` stands for (definitions expanded), or None if it has unknowns."""
    import sympy as sp

    from symml.documents._compare import numeric_value

    number = expand(expr, ctx, symbols=True)
    if not isinstance(number, sp.Basic) or free_names(number):
        return None
    try:
        number = number.doit()
    except (TypeError, ValueError, NotImplementedError, AttributeError):
        return None
    return numeric_value(number, {})


def rounded_value(expr: Any, rounded: tuple[float, int, int], ctx: Context) -> tuple:
    """``\\sqrt{0.2 \\times 0.37} = 0.272``: right when the true value rounds to the digits."""
    shown, digits, places = rounded
    true = value(expr, ctx)
    cls = Statement.APPROXIMATION
    if true is None:
        return Status.UNCHECKED, "a value with unknowns: not computed", None, cls, None
    unit = 10.0 ** (-places)
    tol = unit * 1e-9 + abs(true) * 1e-12
    if abs(true - shown) <= unit / 2 + tol:
        return Status.VERIFIED, f"value {true:.6g}, rounded to {digits} digits", None, cls, None
    toward_zero = (true - shown) if shown > 0 or (shown == 0 and true > 0) else (shown - true)
    if -tol <= toward_zero < unit - tol:  # 2/3 = 0.666: truncated rather than rounded
        why = f"value {true:.{places + 3}f}, truncated to {places} decimal places"
        return Status.VERIFIED, why, None, cls, None
    why = (
        f"the value is {true:.{places + 3}f}, which does not round (nor truncate) to "
        f"{shown:g} at {places} decimal places"
    )
    return Status.REFUTED, why, None, cls, None
