"""Symbol declarations: the kind strings of the registry, parsed into `SymbolSpec` values.

A registry entry declares its symbols as ``symbols = { x = "real", w = "vector[n]" }``.
Each kind string says what a symbol is (scalar, vector, matrix, index, function), where it
lives (its domain, used for sampling and for SymPy assumptions) and its shape.

This module is imported when the registry loads (also by ``symml list``), so it must not
import SymPy at module level.

Examples:
    >>> parse_kind("w", "vector[n]")
    SymbolSpec(name='w', kind='vector', domain=Domain(low=-inf, high=inf), shape=('n',))
    >>> parse_kind("p", "probability").domain.contains(0.0)
    False
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from symml.errors import RegistryError

__all__ = [
    "KINDS",
    "Domain",
    "SymbolSpec",
    "literal_entries",
    "parse_kind",
    "parse_symbols",
    "try_parse_kind",
]

_INF = math.inf


@dataclass(frozen=True)
class Domain:
    """An interval of the real line, open or closed at each end, optionally integers only.

    Examples:
        >>> Domain(0.0, 1.0, low_open=True).contains(0.0)
        False
    """

    low: float = -_INF
    high: float = _INF
    low_open: bool = field(default=True, repr=False)
    high_open: bool = field(default=True, repr=False)
    integer: bool = field(default=False, repr=False)

    def contains(self, value: float) -> bool:
        """Whether ``value`` lies in the domain (integrality included)."""
        if math.isnan(value):
            return False
        if self.integer and value != math.floor(value):
            return False
        above = value > self.low if self.low_open else value >= self.low
        below = value < self.high if self.high_open else value <= self.high
        return above and below


_REAL = Domain()
_POSITIVE = Domain(0.0, _INF)
_NONNEGATIVE = Domain(0.0, _INF, low_open=False)
_NEGATIVE = Domain(-_INF, 0.0)
_OPEN_UNIT = Domain(0.0, 1.0)
_CLOSED_UNIT = Domain(0.0, 1.0, low_open=False, high_open=False)
_INTEGER = Domain(integer=True)
_NATURAL = Domain(1.0, _INF, low_open=False, integer=True)

# kind -> (domain of the symbol or of its elements, SymPy assumptions, what it is)
_SCALARS: dict[str, tuple[Domain, dict[str, bool]]] = {
    "real": (_REAL, {"real": True}),
    "positive": (_POSITIVE, {"positive": True}),
    "nonnegative": (_NONNEGATIVE, {"nonnegative": True}),
    "negative": (_NEGATIVE, {"negative": True}),
    "probability": (_OPEN_UNIT, {"positive": True}),
    "unit": (_CLOSED_UNIT, {"nonnegative": True}),
    "integer": (_INTEGER, {"integer": True}),
    "natural": (_NATURAL, {"integer": True, "positive": True}),
    "index": (_NATURAL, {"integer": True}),
    # A fixed positive parameter such as epsilon; numeric code picks small values for it.
    "constant": (_POSITIVE, {"positive": True}),
}
_ARRAYS = ("vector", "matrix", "simplex", "symmetric", "spd")
#: Square matrices: ``symmetric`` (A = A^T) and ``spd`` (symmetric positive definite).
_SQUARE = ("symmetric", "spd")
KINDS: tuple[str, ...] = (
    *_SCALARS,
    "vector",
    "vector[n]",
    "matrix",
    "matrix[m,n]",
    "symmetric",
    "symmetric[n]",
    "spd",
    "spd[n]",
    "simplex",
    "function",
    "imaginary",
)

_KIND_RE = re.compile(r"^\s*([a-z]+)\s*(?:\[\s*([^\]]*?)\s*\])?\s*$")
_DIM_RE = re.compile(r"^(?:[1-9][0-9]*|[A-Za-z_][A-Za-z_0-9]*)$")


@dataclass(frozen=True)
class SymbolSpec:
    """A parsed symbol declaration.

    Attributes:
        name: the symbol's Python name (``alpha_bar_t``).
        kind: the base kind, one of ``real positive nonnegative negative probability unit
            integer natural index constant vector matrix symmetric spd simplex function
            imaginary``
            (``imaginary`` declares the name to be the imaginary unit, e.g. the ``i`` of a
            Fourier transform).
        domain: where the symbol (or each element of a vector/matrix) lives; None for functions.
        shape: ``()`` for scalars, one entry per axis for vectors and matrices (an int, a
            dimension name such as ``'n'``, or None when not given); None for functions.
    """

    name: str
    kind: str
    domain: Domain | None
    shape: tuple[int | str | None, ...] | None

    @property
    def is_scalar(self) -> bool:
        return self.shape == ()

    @property
    def is_vector(self) -> bool:
        """A one-axis array: a ``vector`` or a ``simplex`` (with or without its length).

        Examples:
            >>> parse_kind("p", "simplex[K]").is_vector, parse_kind("X", "matrix").is_vector
            (True, False)
        """
        return self.kind in ("vector", "simplex")

    @property
    def is_matrix(self) -> bool:
        """A two-axis array (``matrix`` or ``matrix[m,n]``; ``symmetric``, ``spd``: square).

        Examples:
            >>> parse_kind("X", "matrix[m,n]").is_matrix, parse_kind("w", "vector").is_matrix
            (True, False)
            >>> parse_kind("A", "symmetric[n]").is_matrix, parse_kind("S", "spd").shape
            (True, (None, None))
        """
        return self.kind in ("matrix", *_SQUARE)

    @property
    def is_symmetric(self) -> bool:
        """A matrix declared equal to its transpose (``symmetric`` or ``spd``).

        Examples:
            >>> parse_kind("S", "spd").is_symmetric, parse_kind("X", "matrix").is_symmetric
            (True, False)
        """
        return self.kind in _SQUARE

    @property
    def dimension_names(self) -> tuple[str, ...]:
        """The dimensions of the shape given by name, in axis order (sizes to be drawn).

        Examples:
            >>> parse_kind("X", "matrix[m, 3]").dimension_names
            ('m',)
            >>> parse_kind("x", "real").dimension_names, parse_kind("f", "function").dimension_names
            ((), ())
        """
        return tuple(d for d in self.shape or () if isinstance(d, str))

    def assumptions(self) -> dict[str, bool]:
        """SymPy assumptions for a scalar symbol (or an array's elements) of this kind."""
        if self.kind in _SCALARS:
            return dict(_SCALARS[self.kind][1])
        if self.kind == "simplex":
            return {"positive": True}
        if self.kind in _ARRAYS:
            return {"real": True}
        return {}

    def symbol(self) -> Any:
        """The SymPy Symbol for a scalar declaration (imports SymPy)."""
        import sympy

        if self.kind == "imaginary":
            return sympy.I
        if not self.is_scalar:
            raise RegistryError(f"symbol {self.name!r} is a {self.kind}, not a scalar")
        return sympy.Symbol(self.name, **self.assumptions())


def parse_kind(name: str, kind: str) -> SymbolSpec:
    """Parse one declaration ``name = "kind"``; an unknown kind is a RegistryError.

    Examples:
        >>> parse_kind("X", "matrix[m, 3]").shape
        ('m', 3)
    """
    if not isinstance(kind, str):
        raise RegistryError(f"symbol {name!r}: kind must be a string, got {kind!r}")
    m = _KIND_RE.match(kind)
    base, dims = (m.group(1), m.group(2)) if m else (None, None)
    if base in _SCALARS and dims is None:
        return SymbolSpec(name, base, _SCALARS[base][0], ())
    if base == "function" and dims is None:
        return SymbolSpec(name, base, None, None)
    if base == "imaginary" and dims is None:  # the symbol is the imaginary unit (the parser's sp.I)
        return SymbolSpec(name, base, None, ())
    if base in _SQUARE:  # symmetric[n]: an n x n matrix
        (side,) = _parse_dims(name, kind, dims, 1)
        return SymbolSpec(name, base, _REAL, (side, side))
    if base in _ARRAYS:
        rank = 2 if base == "matrix" else 1
        shape = _parse_dims(name, kind, dims, rank)
        domain = _OPEN_UNIT if base == "simplex" else _REAL
        return SymbolSpec(name, base, domain, shape)
    raise RegistryError(f"symbol {name!r}: unknown kind {kind!r}; valid kinds: {', '.join(KINDS)}")


def try_parse_kind(name: str, kind: str) -> SymbolSpec | None:
    """:func:`parse_kind`, or None for a kind it refuses.

    For code that takes kinds as they come (``parse_latex``, ``sample_inputs``): the
    registry and the CLI refuse a bad kind through :func:`parse_kind` and its message;
    here a bad kind declares nothing, and the caller decides what that means.

    Examples:
        >>> try_parse_kind("x", "reel") is None, try_parse_kind("x", "real").kind
        (True, 'real')
    """
    try:
        return parse_kind(name, kind)
    except RegistryError:
        return None


def _parse_dims(name: str, kind: str, dims: str | None, rank: int) -> tuple:
    if dims is None:
        return (None,) * rank
    parts = [p.strip() for p in dims.split(",")]
    if len(parts) != rank or not all(_DIM_RE.match(p) for p in parts):
        example = "matrix[m,n]" if rank == 2 else f"{kind.split('[')[0].strip()}[n]"
        raise RegistryError(
            f"symbol {name!r}: bad shape in {kind!r}; write it like {example!r} "
            "with positive integers or names"
        )
    return tuple(int(p) if p.isdigit() else p for p in parts)


def parse_symbols(declarations: Mapping[str, str]) -> dict[str, SymbolSpec]:
    """Parse a whole ``symbols`` table, name -> SymbolSpec, keeping its order.

    Examples:
        >>> sorted(parse_symbols({"x": "real", "k": "index"}))
        ['k', 'x']
    """
    return {name: parse_kind(name, kind) for name, kind in declarations.items()}


_LITERAL_ENTRY = re.compile(r"(?P<head>.+)_\{?(?P<index>\d+)\}?")


def literal_entries(exprs: list) -> list:
    """``x_1`` is the entry ``x[1]`` where the same expressions index ``x`` (``x_i`` under a sum).

    The grammar reads ``x_i`` under a sum as an entry of the vector ``x`` but a written-out
    ``x_1`` as a scalar of its own, so ``\\sum_{i=1}^2 x_i`` and ``x_1 + x_2`` compared
    unequal. A numbered symbol whose head is a vector indexed by one index elsewhere in
    ``exprs`` is read as that entry; anything else (``x_1`` with no indexed ``x``, a matrix
    ``w_{12}`` whose two indices cannot be told apart) is left as written.

    Examples:
        >>> import sympy
        >>> x, i = sympy.IndexedBase("x"), sympy.Symbol("i", integer=True)
        >>> literal_entries([sympy.Sum(x[i], (i, 1, 2)), sympy.Symbol("x_1")])[1]
        x[1]
    """
    import sympy as sp

    basics = [e for e in exprs if isinstance(e, sp.Basic)]
    ranks: dict[str, set[int]] = {}
    bases: dict[str, Any] = {}
    for e in basics:
        for entry in e.atoms(sp.Indexed):
            name = str(entry.base.label)
            ranks.setdefault(name, set()).add(entry.rank)
            bases[name] = entry.base
    vectors = {name for name, seen in ranks.items() if seen == {1}}
    if not vectors:
        return exprs
    mapping = {}
    for e in basics:
        for sym in e.free_symbols:
            m = _LITERAL_ENTRY.fullmatch(str(sym)) if isinstance(sym, sp.Symbol) else None
            if m and m["head"] in vectors:
                mapping[sym] = bases[m["head"]][sp.Integer(int(m["index"]))]
    if not mapping:
        return exprs
    return [e.xreplace(mapping) if isinstance(e, sp.Basic) else e for e in exprs]
