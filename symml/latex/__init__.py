"""LaTeX to SymPy with the meaning an ML reader intends.

symml's own grammar reads the formula (:func:`parse_latex`); notation it has no rule for goes
to latex2sympy2, the second reader, whose reading is brought to symml's meaning or refused.
:func:`parse_with_reader` says which reader gave the result. :func:`latex2sympy_isolated` runs
latex2sympy2 with its global state restored, and is the only place symml touches it.
:func:`plain_to_latex` turns plain-text math (Unicode or ASCII) into LaTeX.

Importing this package is light: the grammar (and with it SymPy) loads on first use of a
name that needs it, so finding formulas in a document costs no SymPy import.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from symml.latex._unicode import to_latex as plain_to_latex

# name -> the private module that defines it, imported on first access
_LAZY = {
    "GREEK": "symml.latex._names",
    "Aligned": "symml.latex._relations",
    "Equation": "symml.latex._relations",
    "ParseResult": "symml.latex._reader",
    "constants_differentiated": "symml.latex._reader",
    "Relation": "symml.latex._relations",
    "latex2sympy_isolated": "symml.latex._reader",
    "parse_latex": "symml.latex._reader",
    "parse_with_reader": "symml.latex._reader",
}

__all__ = [
    "GREEK",
    "Aligned",
    "Equation",
    "ParseResult",
    "Relation",
    "constants_differentiated",
    "latex2sympy_isolated",
    "parse_latex",
    "parse_with_reader",
    "plain_to_latex",
]

if TYPE_CHECKING:
    from symml.latex._names import GREEK
    from symml.latex._reader import (
        ParseResult,
        constants_differentiated,
        latex2sympy_isolated,
        parse_latex,
        parse_with_reader,
    )
    from symml.latex._relations import Aligned, Equation, Relation


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'symml.latex' has no attribute {name!r}")
    value = getattr(importlib.import_module(_LAZY[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
