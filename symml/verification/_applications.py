"""Probabilities written as applications (``P(A)``, ``P(B|A)``) read as numbers, for code
that takes them as numbers (``bayesian_update(prior, likelihood, data)``).

Each distinct application of a function declared ``function`` to event symbols (not to a
numeric variable) becomes one sampled probability, named ``P_A``, ``P_B_given_A``; the
registry's adapter says which keyword is which (``prior = "P_A"``). Only when the adapter
names such a probability: otherwise the formula is left as it is.
"""

from __future__ import annotations

from collections.abc import Mapping

import sympy as sp
from sympy.core.function import AppliedUndef

from symml.verification._context import Context


def _name(app: sp.Basic) -> str | None:
    head = type(app).__name__
    parts = []
    for a in app.args:
        if isinstance(a, sp.Symbol):
            parts.append(a.name)
        elif isinstance(a, AppliedUndef) and type(a).__name__ == "Given":
            if not all(isinstance(b, sp.Symbol) for b in a.args):
                return None
            parts.append("_given_".join(b.name for b in a.args))
        else:
            return None
    return f"{head}_{'_'.join(parts)}" if parts else None


def as_probabilities(ctx: Context, adapter: Mapping[str, str]) -> Context | None:
    """A context whose definition has each named probability as a sampled number, or None."""
    definition = ctx.definition
    subs: dict[sp.Basic, sp.Basic] = {}
    vectors: dict[str, sp.IndexedBase] = {}
    for app in definition.atoms(AppliedUndef):
        if ctx.kinds.get(type(app).__name__) != "function":
            continue
        name = _name(app)
        if name is not None:
            subs[app] = sp.Symbol(name, positive=True)
        elif len(app.args) == 1 and isinstance(app.args[0], sp.Indexed):  # P(x_i): p_i
            item = app.args[0]
            vectors[str(item.base)] = sp.IndexedBase(f"{type(app).__name__}_{item.base}")
            subs[app] = vectors[str(item.base)][item.indices]
    named = {str(s) for s in subs.values() if isinstance(s, sp.Symbol)} | {
        str(v) for v in vectors.values()
    }
    if not subs or not set(adapter.values()) & named:
        return None
    kinds = {k: v for k, v in ctx.kinds.items() if v != "function"}
    kinds.update({str(s): "probability" for s in subs.values() if isinstance(s, sp.Symbol)})
    kinds.update({str(v): "simplex" for v in vectors.values()})  # a distribution over x_i
    return Context(
        ctx.formula,
        ctx.seed,
        ctx.points,
        ctx.tol,
        name=ctx.name,
        definition=definition.xreplace(subs),
        kinds=kinds,
        sizes=ctx.sizes,
    )
