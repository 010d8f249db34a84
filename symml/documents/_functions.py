"""Greek letters as function names: ``\\kappa(x) = e^{-x^2}`` defines a function kappa.

The grammar reads ``\\kappa(x)`` as the product kappa * x (a Greek letter is a constant, a
weight, a rate). A side that is nothing but ``\\kappa(x)`` or ``\\rho(s, t)``, a Greek letter
applied to plain names, is read again with the letter declared a function: the formula
``\\kappa(x) = e^{-x^2}`` is then a definition, not an identity refuted at a sample point.
``\\alpha(x + 1)`` (an argument that is not a name) keeps its product reading.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["greek_function"]

_GREEK = (
    "alpha|beta|gamma|delta|epsilon|varepsilon|zeta|eta|theta|vartheta|iota|kappa|lambda|mu|"
    "nu|xi|rho|varrho|sigma|tau|upsilon|phi|varphi|chi|psi|omega|Gamma|Delta|Theta|Lambda|Xi|"
    "Sigma|Upsilon|Phi|Psi|Omega"
)
_NAME = r"[A-Za-z](?:_\{?[A-Za-z0-9]\}?)?"
_APPLIED = re.compile(
    rf"^\s*\\({_GREEK})\s*(?:\(|\\left\()\s*{_NAME}(?:\s*,\s*{_NAME})*\s*(?:\)|\\right\))\s*$"
)


def greek_function(latex: str, parsed: Any) -> str | None:
    """The letter to declare a function when ``latex`` is ``\\kappa(x)`` read as kappa * x.

    Examples:
        >>> import sympy
        >>> k, x = sympy.symbols("kappa x")
        >>> greek_function(r"\\kappa(x) ", k * x), greek_function(r"\\alpha(x + 1)", k * x)
        ('kappa', None)
    """
    import sympy as sp

    m = _APPLIED.match(latex)
    if m is None or not isinstance(parsed, sp.Mul):
        return None
    name = m.group(1)
    return name if any(isinstance(f, sp.Symbol) and str(f) == name for f in parsed.args) else None
