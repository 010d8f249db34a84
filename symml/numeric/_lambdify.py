"""SymPy -> NumPy that a verifier can trust: :func:`lambdify_ml`.

The expression is first checked (only symml's functions and the given arguments), its sum
bounds are read from the arguments' shapes where they are not arguments themselves, it is
rewritten by :func:`symml.numeric._stable.stabilize`, and printed with common-subexpression
elimination by :class:`symml.numeric._printer.VectorPrinter`: stable forms of the ML
functions (sigmoid without overflow, softplus through ``logaddexp``) and vectorised sums.
Leading axes are batch axes, so one call evaluates many sampled points at once.

Examples:
    >>> import numpy as np, sympy as sp
    >>> x, i, m = sp.IndexedBase("x"), sp.Symbol("i", integer=True), sp.Symbol("m")
    >>> f = lambdify_ml(sp.Sum(x[i] ** 2, (i, 1, m)) / m, [x])
    >>> float(f(np.array([1.0, 2.0, 3.0])))
    4.666666666666667
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy as sp
from sympy.matrices.expressions import MatrixExpr

from symml.errors import SymmlError
from symml.numeric._printer import Unvectorisable, VectorPrinter, cse_outside_sums
from symml.numeric._runtime import RUNTIME
from symml.numeric._stable import stabilize

__all__ = ["lambdify_ml"]


@dataclass(frozen=True)
class _SizeRule:
    size: str  # the size symbol's name
    arg: str  # the array it is read from
    axis: int  # a negative axis (counted from the end: batch axes lead)


class MLFunction:
    """A lambdified expression. Call with positional or keyword arguments (names of ``args``).

    Size symbols that bound a sum (``m`` in ``Sum(x[i], (i, 1, m))``) and are not among
    ``args`` are read from the arrays' shapes. ``source`` is the generated code.
    """

    def __init__(
        self,
        expr: sp.Basic,
        args: Sequence[Any],
        func: Callable,
        source: str,
        sizes: tuple[_SizeRule, ...],
        batchable: bool,
    ):
        self.expr = expr
        self.args = tuple(args)
        self.names = tuple(arg_name(a) for a in self.args)
        self._func = func
        self.source = source
        self.sizes = sizes
        self.batchable = batchable

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if len(args) > len(self.names):
            raise TypeError(f"expected at most {len(self.names)} arguments, got {len(args)}")
        values = dict(zip(self.names, args, strict=False))
        for k, v in kwargs.items():
            if k in values:
                raise TypeError(f"argument {k!r} given twice")
            values[k] = v
        for rule in self.sizes:
            if rule.size not in values and rule.arg in values:
                values[rule.size] = np.shape(values[rule.arg])[rule.axis]
        missing = [n for n in self.names if n not in values]
        if missing:
            raise TypeError(f"missing argument(s) {missing} (arguments: {list(self.names)})")
        unknown = set(values) - set(self.names) - {r.size for r in self.sizes}
        if unknown:
            raise TypeError(
                f"unknown argument(s) {sorted(unknown)} (arguments: {list(self.names)})"
            )
        call = [_as_input(values[n]) for n in self.names]
        extra = {r.size: int(values[r.size]) for r in self.sizes if r.size in values}
        return self._func(*call, **{_size_kw(k): v for k, v in extra.items()})

    def __repr__(self) -> str:
        return f"MLFunction({self.expr}, args={list(self.names)})"


def _size_kw(name: str) -> str:
    return f"_size_{name}"


def _as_input(v: Any) -> Any:
    if isinstance(v, (int, np.integer)):
        return v
    return np.asarray(v, dtype=float) if not isinstance(v, np.ndarray) else v


def arg_name(a: Any) -> str:
    if isinstance(a, str):
        return a
    if isinstance(a, sp.IndexedBase):
        return str(a.label)
    return str(getattr(a, "name", a))


def resolve_args(expr: sp.Basic, args: Iterable[Any]) -> list[Any]:
    by_name: dict[str, Any] = {}
    for s in expr.free_symbols:
        if isinstance(s, sp.Symbol):
            by_name.setdefault(str(s), s)
    for b in expr.atoms(sp.IndexedBase):
        by_name[str(b.label)] = b
    for m in expr.atoms(sp.MatrixSymbol):
        by_name[str(m.name)] = m
    out = []
    for a in args:
        if isinstance(a, str):
            out.append(by_name.get(a, sp.Symbol(a)))
        else:
            out.append(a)
    return out


def _size_rules(expr: sp.Basic, names: set[str]) -> tuple[list[_SizeRule], set[str]]:
    """How to read each sum bound that is not an argument from an array's shape."""
    rules: dict[str, _SizeRule] = {}
    needed: set[str] = set()
    for s in expr.atoms(sp.Sum, sp.Product):
        for i, lo, hi in s.limits:
            for sym in (lo.free_symbols | hi.free_symbols) - {i}:
                if str(sym) not in names:
                    needed.add(str(sym))
            if not (isinstance(hi, sp.Symbol) and lo == 1) or str(hi) in names:
                continue
            for ind in s.function.atoms(sp.Indexed):
                if str(ind.base.label) not in names:
                    continue
                for k, idx in enumerate(ind.indices):
                    if idx == i and str(hi) not in rules:
                        rules[str(hi)] = _SizeRule(
                            str(hi), str(ind.base.label), k - len(ind.indices)
                        )
    for m in expr.atoms(sp.MatrixSymbol, sp.Identity):
        for k, dim in enumerate(m.shape):
            if isinstance(dim, sp.Symbol) and str(dim) not in names:
                if isinstance(m, sp.MatrixSymbol):
                    rules.setdefault(str(dim), _SizeRule(str(dim), str(m.name), k - 2))
                elif str(dim) not in rules:
                    needed.add(str(dim))
    return list(rules.values()), needed - set(rules)


def _refuse_unknown_names(expr: sp.Basic, args: Sequence[Any]) -> None:
    """Generated code may call only what symml defines and read only its arguments.

    An undefined function would be printed by its name and resolved in Python's builtins
    (``\\operatorname{exit}(x)`` would call ``exit``), and so would a free name that is not
    an argument: both are refused before any code exists.
    """
    from sympy.core.function import AppliedUndef

    unknown = sorted({type(f).__name__ for f in expr.atoms(AppliedUndef)})
    if unknown:
        raise SymmlError(
            f"cannot evaluate {expr}: it applies unknown function(s) "
            f"{', '.join(unknown)} (define them, e.g. in the registry)"
        )
    given = {arg_name(a) for a in args}
    bound = {
        str(v)
        for s in expr.atoms(sp.Sum, sp.Product, sp.Integral, sp.Lambda)
        for v in (s.variables if hasattr(s, "variables") else ())
    }
    loose = sorted(
        str(s)
        for s in expr.free_symbols
        if type(s) is sp.Symbol and str(s) not in given and str(s) not in bound
    )
    sizes = {
        str(d)
        for s in expr.atoms(sp.Sum, sp.Product)
        for _, lo, hi in s.limits
        for d in (lo.free_symbols | hi.free_symbols)
    }
    sizes |= {
        str(d)
        for m in expr.atoms(sp.MatrixSymbol)
        for d in m.shape
        for d in getattr(d, "free_symbols", ())
    }
    loose = [n for n in loose if n not in sizes]
    if loose:
        raise SymmlError(
            f"cannot evaluate {expr}: {', '.join(loose)} not among the "
            f"arguments ({', '.join(sorted(given))})"
        )


def lambdify_ml(expr: Any, args: Sequence[Any], *, stable: bool = True) -> MLFunction:
    """Compile ``expr`` to vectorised, numerically stable NumPy.

    Args:
        expr: a SymPy expression built by symml (never text).
        args: the arguments, in call order: Symbols, IndexedBase (an array whose trailing
            axes are indexed 1-based), MatrixSymbol, or their names.
        stable: apply :func:`stabilize` first (default).

    Returns:
        An :class:`MLFunction`; leading axes of array arguments beyond the indexed ones
        are batch axes and broadcast against scalar arguments of the same batch shape.

    Raises:
        SymmlError: an index pattern that cannot be vectorised (``x[2*i]``, a diagonal
            ``x[i, i]``, a bound depending on an enclosing index) or a sum bound that is
            neither an argument nor readable from an array's shape.

    Examples:
        >>> x = sp.Symbol("x", real=True)
        >>> f = lambdify_ml(sp.log(1 + sp.exp(x)), [x])
        >>> float(f(1000.0))
        1000.0
    """
    expr = sp.sympify(expr)
    args = resolve_args(expr, args)
    _refuse_unknown_names(expr, args)
    names = [arg_name(a) for a in args]
    rules, unreadable = _size_rules(expr, set(names))
    if unreadable:
        raise SymmlError(
            f"cannot evaluate {expr}: the sum bound(s) {sorted(unreadable)} are not arguments "
            f"and no array argument determines them (arguments: {names})"
        )
    work = stabilize(expr) if stable else expr
    size_syms = [sp.Symbol(r.size) for r in rules]
    # Bounds are printed by name; an inferred size travels as a keyword-only argument.
    subs = {s: sp.Symbol(_size_kw(s.name)) for s in size_syms}
    subs.update(
        {
            s: sp.Symbol(_size_kw(s.name))
            for s in work.free_symbols
            if s.name in {r.size for r in rules}
        }
    )
    work = work.xreplace(subs)
    all_args = list(args) + [sp.Symbol(_size_kw(r.size)) for r in rules]
    namespace: dict[str, Any] = dict(RUNTIME)
    namespace["numpy"] = np
    try:
        func = sp.lambdify(
            all_args,
            work,
            modules=[namespace, "numpy"],
            printer=VectorPrinter.for_lambdify(),
            cse=cse_outside_sums,
        )
    except Unvectorisable as exc:
        raise SymmlError(f"cannot vectorise {expr}: {exc}") from exc
    source = getattr(func, "__doc__", "") or ""
    try:
        import inspect

        source = inspect.getsource(func)
    except (OSError, TypeError):
        pass
    batchable = not expr.atoms(sp.MatrixSymbol) and not any(
        isinstance(a, MatrixExpr) for a in sp.preorder_traversal(expr)
    )
    return MLFunction(expr, args, func, source, tuple(rules), batchable)
