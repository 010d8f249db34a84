"""Derivatives by an entry of a summed vector: ``d/dx_k sum_i x_i^2 = 2 x_k``.

The grammar reads ``x_i`` under a sum as the entry ``x[i]`` but a free ``x_k`` as a symbol
of its own, so that ``d/dx_k`` of the sum looked constant. :func:`entries` reads such a
variable as :mod:`symml.derivation` does (``resolve_variable``: ``x_k`` is ``x[k]``), and
with it every ``a_k`` whose base ``a`` is summed in the formula.
"""

from __future__ import annotations

__all__ = ["entries"]


def entries(sides: list) -> list:
    """d/dx_k of a sum over x_i: the variable x_k is the entry x[k] (as derivation reads it)."""
    import sympy as sp

    from symml.derivation import resolve_variable
    from symml.errors import DerivationError

    mapping = {}
    for side in (s for s in sides if isinstance(s, sp.Basic)):
        for d in side.atoms(sp.Derivative):
            for var in d.variables:
                head, _, idx = str(var).partition("_")
                bases = {str(b.label) for b in d.expr.atoms(sp.IndexedBase)}
                if isinstance(var, sp.Symbol) and idx and head in bases:
                    try:
                        mapping[var] = resolve_variable(d.expr, str(var))
                    except DerivationError:
                        continue
    if not mapping:
        return sides
    basics = [s for s in sides if isinstance(s, sp.Basic)]
    bases = {str(b.label): b for s in basics for b in s.atoms(sp.IndexedBase)}
    for sym in {x for s in basics for x in s.free_symbols if isinstance(x, sp.Symbol)}:
        head, _, idx = str(sym).partition("_")  # = a_k: the entry a[k] of the a_i summed
        if head in bases and idx.isidentifier() and sym not in mapping:
            mapping[sym] = bases[head][sp.Symbol(idx, integer=True)]
    return [s.xreplace(mapping) if isinstance(s, sp.Basic) else s for s in sides]
