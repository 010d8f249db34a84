"""symml: make the mathematics of machine learning checkable.

LaTeX formulas are parsed into SymPy, kept in a registry, differentiated to the form a
textbook prints, and verified numerically against hand-written NumPy.

This module is the whole public API. Importing it is cheap: every name below is resolved
on first use (SymPy, NumPy and the LaTeX parser load only then).

Examples:
    >>> import symml
    >>> "parse_latex" in symml.__all__
    True
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from symml.errors import (
    DerivationError,
    ParseError,
    RegistryError,
    SymmlError,
    SymmlTimeout,
    VerificationError,
)

# public name -> "module:attribute", imported on first access
_LAZY: dict[str, str] = {
    # LaTeX -> SymPy
    "parse_latex": "symml.latex:parse_latex",
    "Equation": "symml.latex:Equation",
    "Relation": "symml.latex:Relation",
    "Aligned": "symml.latex:Aligned",
    # the registry
    "formula": "symml.registry:get",
    "formulas": "symml.registry:formulas",
    "load_registry": "symml.registry:load_registry",
    "Registry": "symml.registry:Registry",
    "Formula": "symml.registry:Formula",
    "Claim": "symml.registry:Claim",
    "ClaimKind": "symml.registry:ClaimKind",
    "SymbolSpec": "symml.symbols:SymbolSpec",
    # derivation, verification, documents, cheat-sheets
    "derive": "symml.derivation:derive",
    "verify": "symml.verification:verify",
    "check_gradient": "symml.verification:check_gradient",
    "equiv": "symml.verification:equiv",
    "check_document": "symml.documents:check_document",
    "cheatsheet": "symml.sheets:cheatsheet",
}

__all__ = [
    "__version__",
    "parse_latex",
    "Equation",
    "Relation",
    "Aligned",
    "formula",
    "formulas",
    "load_registry",
    "Registry",
    "Formula",
    "Claim",
    "ClaimKind",
    "SymbolSpec",
    "derive",
    "verify",
    "check_gradient",
    "equiv",
    "check_document",
    "cheatsheet",
    "SymmlError",
    "ParseError",
    "RegistryError",
    "DerivationError",
    "VerificationError",
    "SymmlTimeout",
]

if TYPE_CHECKING:  # what the lazy names are, for type checkers and IDEs
    from symml.derivation import derive
    from symml.documents import check_document
    from symml.latex import Aligned, Equation, Relation, parse_latex
    from symml.registry import Claim, ClaimKind, Formula, Registry, formulas, load_registry
    from symml.registry import get as formula
    from symml.sheets import cheatsheet
    from symml.symbols import SymbolSpec
    from symml.verification import check_gradient, equiv, verify


def __getattr__(name: str) -> Any:
    if name == "__version__":
        from importlib import metadata

        value: Any = metadata.version("symml")
    elif name in _LAZY:
        module, _, attribute = _LAZY[name].partition(":")
        value = getattr(importlib.import_module(module), attribute)
    else:
        raise AttributeError(f"module 'symml' has no attribute {name!r}")
    globals()[name] = value  # resolve once
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
