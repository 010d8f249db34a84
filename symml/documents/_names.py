"""Bare names a document defined: ``\\mu = \\frac{1}{d}\\sum_i x_i`` above an identity in mu.

A claim in a name defined earlier is about that quantity: when it is false for a free mu
it is compared again with the definition put in (``_statements._compare``), so that the
variance identity is not refuted at a sample point where mu is not the mean.
"""

from __future__ import annotations

from typing import Any

from symml.documents._compare import free_names
from symml.documents._context import Context

__all__ = ["defined_names"]


def defined_names(a: Any, b: Any, ctx: Context) -> dict:
    """The bare names of ``a`` and ``b`` the document defined (``mu = ...``): name -> body."""
    import sympy as sp

    if not (isinstance(a, sp.Basic) and isinstance(b, sp.Basic)):
        return {}
    # d/da with a = log(...) defined: a is a variable there, not the quantity; the other
    # names are (d/dz sigma(z) = sigma(1 - sigma) after sigma = sigma(z))
    variables = {
        v for e in (a, b) for d in e.atoms(sp.Derivative, sp.Integral) for v in d.variables
    }
    out = {}
    bound = {lim[0] for e in (a, b) for s in e.atoms(sp.Sum, sp.Product) for lim in s.limits}
    bound |= variables
    labels = {ix.base.label for e in (a, b) for ix in e.atoms(sp.Indexed)}
    for sym in (a.free_symbols | b.free_symbols) - labels - bound:
        params, body = ctx.defs.get(str(sym), ((None,), None))
        if not params and isinstance(body, sp.Basic) and str(sym) not in free_names(body):
            out[sym] = body
    return out
