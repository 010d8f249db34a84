"""The vectorising NumPy printer: ``Sum``/``Product`` over an index become NumPy reductions.

Every bound index owns one trailing array axis, ``x[i]`` becomes a (bounds-checked) slice of
the array ``x`` moved onto that axis, and the sum reduces it. Indices are 1-based as written
(``Sum(x[i], (i, 1, m))`` is ``x[0:m].sum()``); no Python loop runs over the data. The code
calls the helpers of :mod:`symml.numeric._runtime` by name.
"""

from __future__ import annotations

import itertools
from typing import Any

import sympy as sp

from symml import functions as F
from symml.errors import SymmlError

__all__ = ["Unvectorisable", "VectorPrinter", "cse_outside_sums"]


class Unvectorisable(SymmlError):
    """An index pattern the vectorised printer cannot turn into slices."""


class VectorPrinter(F.StableNumPyPrinter):
    """StableNumPyPrinter + bound indices as trailing axes (see the module docstring)."""

    def __init__(self, settings: dict | None = None):
        super().__init__(settings)
        self._stack: list[tuple[sp.Symbol, str, str]] = []  # (index, lo code, hi code)
        self._local: set[sp.Symbol] = set()  # values computed inside a reduction: placed

    # -- helpers
    def _plain(self, expr: sp.Basic) -> str:
        """Print a bound (no placement): bounds are Python ints at run time."""
        bound = {s for s, _, _ in self._stack}
        if expr.free_symbols & bound:
            raise Unvectorisable(f"a bound {expr} depends on an enclosing index")
        saved, self._stack = self._stack, []
        try:
            return self._print(expr)
        finally:
            self._stack = saved

    def _position(self, s: sp.Basic) -> int | None:
        for pos in range(len(self._stack) - 1, -1, -1):
            if self._stack[pos][0] == s:
                return pos
        return None

    def _bound(self) -> set:
        return {s for s, _, _ in self._stack}

    # -- leaves
    def _print_Symbol(self, expr):
        pos = self._position(expr)
        # a Dummy (lambdify's stand-in for a keyword such as ``lambda``) prints as _Dummy_n,
        # the name lambdify gives the argument
        name = (
            super()._print_Dummy(expr)
            if isinstance(expr, sp.Dummy)
            else super()._print_Symbol(expr)
        )
        if expr in self._local:
            return name
        if pos is not None:
            _, lo, hi = self._stack[pos]
            return f"_place(_arange({lo}, {hi}), ({pos},), {len(self._stack)})"
        if self._stack:
            return f"_place({name}, (), {len(self._stack)})"
        return name

    _print_Dummy = _print_Symbol

    def _print_Indexed(self, expr):
        name = str(expr.base.label)
        specs, positions = [], []
        bound = self._bound()
        for idx in expr.indices:
            used = idx.free_symbols & bound
            if not used:
                specs.append(f"int({self._plain(idx)}) - 1")
                continue
            if len(used) > 1:
                raise Unvectorisable(f"index {idx} of {expr} mixes several summation indices")
            (s,) = used
            offset = sp.expand(idx - s)
            if offset.free_symbols & bound:
                raise Unvectorisable(f"index {idx} of {expr} is not 'index + constant'")
            pos = self._position(s)
            if pos in positions:
                raise Unvectorisable(f"{expr} repeats the index {s} (a diagonal)")
            _, lo, hi = self._stack[pos]
            c = self._plain(offset)
            specs.append(f"(({lo}) + ({c}) - 1, ({hi}) + ({c}))")
            positions.append(pos)
        spec = "(" + "".join(f"{s}, " for s in specs) + ")"
        pos_code = "(" + "".join(f"{p}, " for p in positions) + ")"
        return f"_idx({name}, {name!r}, {spec}, {pos_code}, {len(self._stack)})"

    # -- reductions
    def _print_Sum(self, expr):
        return self._print_reduction(expr, "numpy.sum")

    def _print_Product(self, expr):
        return self._print_reduction(expr, "numpy.prod")

    def _print_reduction(self, expr, op: str) -> str:
        new = [(i, self._plain(a), self._plain(b)) for i, a, b in expr.limits]
        self._stack.extend(new)
        lengths = "".join(f"({b}) - ({a}) + 1, " for _, a, b in new)
        try:
            repl, body = cse_outside_sums(expr.function, prefix="_c")
            self._local.update(s for s, _ in repl)
            contract = op == "numpy.sum" and len(new) == 1 and body.is_Mul and len(body.args) > 1
            if contract:  # a sum of products: one contraction, no product array
                rest, last = sp.Mul(*body.args[:-1]), body.args[-1]
                code = f"_sum_product({self._print(rest)}, {self._print(last)}, ({lengths}))"
            else:
                code = self._print(body)
            for s, e in reversed(repl):  # nested lambdas: later values may use earlier ones
                code = f"(lambda {self._print(s)}: {code})({self._print(e)})"
        finally:
            del self._stack[len(self._stack) - len(new) :]
        return code if contract else f"_reduce({op}, {code}, ({lengths}))"

    def _indexed_lse(self, z: sp.IndexedBase, n: sp.Basic) -> str:
        j = sp.Dummy("j", integer=True)
        self._stack.append((j, "1", self._plain(n)))
        try:
            body = self._print(z[j])
        finally:
            self._stack.pop()
        return f"_lse_last({body})"

    def _print_logsumexp(self, expr):
        if not expr.is_indexed:
            return super()._print_logsumexp(expr)
        z, n = expr.args
        return self._indexed_lse(z, n)

    def _print_softmax(self, expr):
        z, i, n = expr.args
        values = self._indexed_lse(z, n).replace("_lse_last(", "_softmax_last(", 1)[:-1]
        return f"{values}, {self._print(z[i])})"

    def _print_KroneckerDelta(self, expr):
        a, b = (self._print(x) for x in expr.args)
        return f"numpy.where(numpy.equal({a}, {b}), 1.0, 0.0)"

    def _print_Transpose(self, expr):
        return f"numpy.swapaxes({self._print(expr.arg)}, -1, -2)"

    def _print_MatMul(self, expr):
        coeff, mats = expr.as_coeff_matrices()
        code = " @ ".join(f"({self._print(m)})" for m in mats)
        return code if coeff == 1 else f"({self._print(coeff)}) * ({code})"

    def _print_ElementwiseApplyFunction(self, expr):
        """``f.(A)``, f applied to every entry of a matrix expression: f's body on the whole
        array (NumPy's functions are element-wise), through the stable forms (``_sigmoid``)."""
        fn = expr.function
        entry = sp.Symbol(f"_ew{next(_COUNTER)}")
        if isinstance(fn, sp.Lambda) and len(fn.variables) == 1:
            body = fn.expr.xreplace({fn.variables[0]: entry})
        elif isinstance(fn, sp.Lambda):
            raise Unvectorisable(f"{fn} applied element-wise takes {len(fn.variables)} arguments")
        else:
            body = fn(entry)
        self._local.add(entry)
        try:
            code = self._print(body)
        finally:
            self._local.discard(entry)
        return f"(lambda {entry}: {code})({self._print(expr.expr)})"

    def _print_Identity(self, expr):
        return f"numpy.eye({self._plain(expr.rows)})"

    def _print_sigmoid(self, expr):
        return f"_sigmoid({self._print(expr.args[0])})"

    def _print__dsigmoid(self, expr):
        return f"_dsigmoid({self._print(expr.args[0])})"

    def _print__sech2(self, expr):
        return f"_sech2({self._print(expr.args[0])})"


_COUNTER = itertools.count()


def cse_outside_sums(exprs: Any, prefix: str = "_x") -> tuple[list, Any]:
    """sympy.cse that treats every outermost Sum/Product as an atom.

    A subexpression of a Sum's body mentions the bound index; pulled out to a top-level
    assignment it would lose its axis, so reductions are computed once and kept whole.
    """
    single = not isinstance(exprs, (list, tuple))
    seq = [exprs] if single else list(exprs)
    reductions: dict[sp.Basic, sp.Symbol] = {}

    def atomize(e: sp.Basic) -> sp.Basic:
        if isinstance(e, (sp.Sum, sp.Product, F.logsumexp, F.softmax)):
            if e not in reductions:
                reductions[e] = sp.Symbol(f"{prefix}r{next(_COUNTER)}")
            return reductions[e]
        if e.is_Atom or not e.args:
            return e
        new = [atomize(a) for a in e.args]
        return e.func(*new) if new != list(e.args) else e

    atomized = [atomize(e) if isinstance(e, sp.Basic) else e for e in seq]
    names = (sp.Symbol(f"{prefix}{next(_COUNTER)}") for _ in iter(int, 1))
    repl, reduced = sp.cse(atomized, symbols=names, list=True)
    pre = [(d, r) for r, d in reductions.items()]
    return pre + list(repl), reduced[0] if single else reduced
