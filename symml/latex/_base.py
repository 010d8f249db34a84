"""What every part of the parser shares: the values it passes around and how it restarts.

The parser is one class composed of mixins, one module each (atoms, names, calls, calculus,
operators, environments, values, and the grammar that joins them); they reach one another
through ``self`` and import only this module and the tables, so no two of them import each
other.
"""

from __future__ import annotations

from dataclasses import dataclass

from symml.symbols import SymbolSpec, try_parse_kind

# dimensions symml makes up for an undeclared matrix; a restart may identify them
AUTO_DIM_PREFIX = "dim_"
OPENERS = {
    "(": ")",
    "[": "]",
    r"\{": r"\}",
    "|": "|",
    "||": "||",
    r"\|": r"\|",
    r"\lVert": r"\rVert",
    r"\lvert": r"\rvert",
    r"\langle": r"\rangle",
    r"\lceil": r"\rceil",
    r"\lfloor": r"\rfloor",
}


class Restart(Exception):
    """Parse again, knowing more: names that are vectors or matrices, dimensions that agree."""

    def __init__(self, vectors=(), matrices=(), dims=None):
        super().__init__("restart")
        self.vectors = set(vectors)
        self.matrices = set(matrices)
        self.dims = dict(dims or {})


@dataclass(frozen=True)
class Vec:
    """A vector in a scalar formula, before it is contracted or read element-wise."""

    name: str
    index: tuple = ()
    transposed: bool = False


def declared(kinds: dict[str, str], name: str) -> SymbolSpec | None:
    """The declaration of ``name``, or None if it is undeclared or its kind is not valid.

    ``parse_latex`` takes the caller's kinds as they come (the registry and the CLI have
    checked theirs), so a kind string ``symml.symbols`` refuses declares nothing here.
    """
    return try_parse_kind(name, kinds[name]) if name in kinds else None


def ml_function(name: str) -> type | None:
    """symml's own function class for a \\text{} name, if symml.functions defines it."""
    try:
        from symml.functions import ml_function_for
    except ImportError:  # the functions package is optional for parsing
        return None
    return ml_function_for(name)  # the one table: \sigma(z) is the sigmoid everywhere
