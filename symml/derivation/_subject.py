"""What :func:`~symml.derivation._derive.derive` differentiates, and with respect to what.

:func:`subject_of` normalises a registry name, a ``Formula``, an ``Equation`` or an
expression into a :class:`Subject`; :func:`resolve_variable` finds the Symbol or the
Indexed component ``w[j]`` a name means; :func:`rename_bound` and
:func:`opaque_vector_functions` prepare the expression so that ``sympy.diff`` differentiates
what a reader means.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sympy as sp
from sympy.core.function import AppliedUndef

from symml.derivation._entries import entries_form
from symml.errors import DerivationError
from symml.functions import MLFunction

__all__ = [
    "Subject",
    "opaque_vector_functions",
    "rename_bound",
    "resolve_variable",
    "subject_of",
]


@dataclass(frozen=True)
class Subject:
    """What is differentiated: ``expr``; ``value`` is ``f(x)`` when ``f(x) = expr`` defines f."""

    expr: sp.Expr
    value: sp.Expr | None = None
    label: str = ""
    matrices: tuple[sp.MatrixSymbol, ...] = ()


def subject_of(formula_or_expr: Any) -> Subject:
    """Normalise what :func:`derive` accepts into a :class:`Subject`."""
    obj = formula_or_expr
    label = ""
    if isinstance(obj, str):
        from symml.registry import get

        obj = get(obj)
    if hasattr(obj, "definition") and hasattr(obj, "latex"):  # a registry Formula
        label = f"{obj.name} ({obj.latex})"
        lhs = obj.lhs
        body = obj.definition() if obj.rhs is not None else None
        if body is None:
            raise DerivationError(f"{label} is not an expression or a definition")
        return _subject(body, _as_value(lhs, body), label)
    if not isinstance(obj, sp.Basic) and hasattr(obj, "lhs") and hasattr(obj, "rhs"):
        label = label or f"{obj.lhs} = {obj.rhs}"
        return _subject(obj.rhs, _as_value(obj.lhs, obj.rhs), label)
    if isinstance(obj, sp.Equality):
        label = str(obj)
        return _subject(obj.rhs, _as_value(obj.lhs, obj.rhs), label)
    return _subject(obj, None, str(obj))


def _subject(body: Any, value: sp.Expr | None, label: str) -> Subject:
    entries = _as_expr(body, label)
    return Subject(entries.expr, value, label, tuple(entries.matrices.values()))


def _as_expr(obj: Any, label: str) -> Any:
    if isinstance(obj, sp.MatrixExpr) or getattr(obj, "is_Matrix", False):
        raise DerivationError(
            f"{label} is a matrix expression; use symml.derivation.matrix_gradient for matrix forms"
        )
    if not isinstance(obj, sp.Expr):
        raise DerivationError(
            f"{label} cannot be differentiated: it is a {type(obj).__name__}, not an expression"
        )
    return entries_form(obj)


def _as_value(lhs: Any, rhs: Any) -> sp.Expr | None:
    """The left side as ``f(x)`` if it names a function of the right side's variables."""
    if isinstance(lhs, (AppliedUndef, MLFunction)) or (
        isinstance(lhs, sp.Function) and isinstance(lhs, sp.Expr)
    ):
        return lhs
    return None


def resolve_variable(expr: sp.Expr, wrt: str | sp.Basic, label: str = "") -> sp.Basic:
    """The Symbol or Indexed component named by ``wrt``; DerivationError if it is absent.

    A vector's name gives a component with a fresh index (``"w"`` -> ``w[j]``); ``"w_j"``
    and ``"w[j]"`` name that component explicitly.
    """
    label = label or str(expr)
    bases = {b.label.name: b for b in expr.atoms(sp.IndexedBase) if isinstance(b.label, sp.Symbol)}
    labels = {b.label for b in bases.values()}
    symbols = {s.name: s for s in expr.atoms(sp.Symbol) if s not in labels}
    if isinstance(wrt, sp.Indexed):
        if wrt.base in bases.values():
            return wrt
    elif isinstance(wrt, sp.Symbol):
        if wrt in expr.free_symbols and wrt not in labels:
            return wrt
        wrt = wrt.name
    if isinstance(wrt, str):
        name = wrt.strip()
        if name in symbols and symbols[name] in expr.free_symbols:
            return symbols[name]
        if name in bases:
            ranks = {len(a.indices) for a in expr.atoms(sp.Indexed) if a.base == bases[name]}
            return bases[name][_fresh_indices(expr, max(ranks, default=1))]
        for sep in ("_", "["):
            head, _, idx = name.partition(sep)
            idx = idx.rstrip("]").strip("{}")
            if head in bases and idx.isidentifier():
                return bases[head][sp.Symbol(idx, integer=True)]
    names = sorted(
        {s.name for s in expr.free_symbols if isinstance(s, sp.Symbol) and s not in labels}
        | set(bases)
    )
    raise DerivationError(
        f"cannot differentiate {label} with respect to {str(wrt)!r}: it does not occur "
        f"(variables: {', '.join(names) or 'none'})"
    )


def _fresh_indices(expr: sp.Expr, rank: int) -> tuple[sp.Symbol, ...]:
    """``rank`` integer indices not free in ``expr``: (j,), or (j, k) for a matrix."""
    free = {s.name for s in expr.free_symbols if isinstance(s, sp.Symbol)}
    names = [n for n in ("j", "k", "l", "p", "q", "r") if n not in free]
    names += [f"j_{n}" for n in range(1, rank + 1)]
    return tuple(sp.Symbol(n, integer=True) for n in names[:rank])


def rename_bound(expr: sp.Expr, var: sp.Basic) -> sp.Expr:
    """Rename summation indices that clash with the component's index (``w[j]``)."""
    if not isinstance(var, sp.Indexed):
        return expr
    clash = set(var.indices)
    taken = {s.name for s in expr.atoms(sp.Symbol)} | {str(i) for i in clash}
    renamed: dict[sp.Symbol, sp.Symbol] = {}

    def fresh() -> sp.Symbol:
        for name in ("k", "l", "p", "q", "r", "u", "v"):
            if name not in taken:
                taken.add(name)
                return sp.Symbol(name, integer=True)
        n = 1
        while f"l{n}" in taken:
            n += 1
        taken.add(f"l{n}")
        return sp.Symbol(f"l{n}", integer=True)

    def rename(e: sp.Basic) -> sp.Basic:
        # one new name per clashing index, so equal inner sums stay equal (and cancel)
        for lim in e.limits:
            if lim[0] in clash and lim[0] not in renamed:
                renamed[lim[0]] = fresh()
        return e.xreplace({k: v for k, v in renamed.items() if k in {lim[0] for lim in e.limits}})

    return expr.replace(
        lambda e: isinstance(e, (sp.Sum, sp.Product)) and any(lim[0] in clash for lim in e.limits),
        rename,
    )


def opaque_vector_functions(expr: sp.Expr, var: sp.Basic) -> tuple[sp.Expr, Callable]:
    """``MSE(w)`` -> ``F(w_k)`` so that ``d MSE(w) / d w_k`` is not SymPy's 0.

    A function of a whole vector depends on each entry. Until the end of :func:`derive`
    it is a function of the entry itself; ``restore`` maps the results back.
    """
    if not isinstance(var, sp.Indexed):
        return expr, lambda e: e
    opaque = {}
    for n, app in enumerate(sorted(expr.atoms(AppliedUndef), key=sp.default_sort_key)):
        if any(str(a) == str(var.base.label) for a in app.args):
            opaque[app] = sp.Function(f"{app.func.__name__}_of_{var.base}_{n}")(var)
    if not opaque:
        return expr, lambda e: e
    inverse = {f: app for app, f in opaque.items()}

    def restore(e: sp.Expr) -> sp.Expr:
        e = e.replace(
            lambda d: isinstance(d, sp.Derivative) and d.expr in inverse,
            lambda d: sp.Derivative(inverse[d.expr], *d.variable_count, evaluate=False),
        )
        return e.xreplace(inverse)

    return expr.xreplace(opaque), restore
