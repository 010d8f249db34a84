"""Definitions expanded in place: ``\\sigma(z)`` replaced by the body of ``\\sigma(x) = ...``.

Pure SymPy tree surgery, knowing nothing of registry files: :func:`apply_definition` is what
``Formula.definition`` and ``substitute`` do once the definition has been looked up.
"""

from __future__ import annotations

from typing import Any

from symml.errors import RegistryError


def apply_definition(body: Any, head: Any, inner: Any, where: str) -> Any:
    """Replace the applications of ``head``'s function in ``body`` by ``inner`` at their
    arguments (``head`` is the left side ``f(x)`` of the definition, ``inner`` its body)."""
    from sympy.core.function import AppliedUndef

    params = head.args
    fname = head.func.__name__

    def expand(app: Any) -> Any:
        if len(app.args) != len(params):
            raise RegistryError(
                f"{where}: {fname} takes {len(params)} argument(s), "
                f"used with {len(app.args)} in {app}"
            )
        value = _rows(inner, params, app.args).xreplace(dict(zip(params, app.args, strict=True)))
        return _fresh_bound(value, body.free_symbols)

    def applies(e: Any) -> bool:
        if isinstance(head, AppliedUndef):
            return isinstance(e, AppliedUndef) and e.func.__name__ == fname
        return getattr(e, "func", None) is head.func  # a known function, by its class

    return body.replace(applies, expand)


def _rows(inner: Any, params: tuple, args: tuple) -> Any:
    """A vector parameter applied to a row: ``h(x) = ... x_j ...`` used as ``h(x_i)`` reads
    ``x_j`` as ``x_{ij}`` (the j-th feature of sample i), not as the j-th sample."""
    from sympy import Indexed, IndexedBase

    rows = {}
    for param, arg in zip(params, args, strict=True):
        if isinstance(arg, Indexed) and getattr(param, "name", None):
            rows[param.name] = arg
    if not rows:
        return inner

    def widen(e: Any) -> Any:
        row = rows[str(e.base.label)]
        return Indexed(IndexedBase(row.base.label), *row.indices, *e.indices)

    return inner.replace(lambda e: isinstance(e, Indexed) and str(e.base.label) in rows, widen)


def _fresh_bound(value: Any, taken: set) -> Any:
    """Rename the summation indices of a substituted definition that a free index of the
    place of use also names (``w^T x_i`` inside ``... x_{ij}``: the sum's j is not that j)."""
    from sympy import Sum, Symbol

    clash = {str(s) for s in taken}
    used = clash | {str(s) for s in value.atoms(Symbol)}
    spare = [c for c in ("k", "l", "q", "r", "s", "t", "u", "v") if c not in used]

    def rename(summed: Any) -> Any:
        for var in summed.variables:
            if str(var) in clash and spare:
                summed = summed.xreplace({var: Symbol(spare.pop(0), **var.assumptions0)})
        return summed

    def clashes(e: Any) -> bool:
        return isinstance(e, Sum) and any(str(v) in clash for v in e.variables)

    return value.replace(clashes, rename)
