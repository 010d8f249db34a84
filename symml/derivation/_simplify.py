"""Simplification of derivatives: Kronecker deltas collapsed, sums simplified level by level,
and the proof of equality the derivation package uses (the symbolic step by
:func:`simplify_deep`, then :func:`symml.equality.prove_numeric`).
"""

from __future__ import annotations

import sympy as sp
from sympy.core.function import AppliedUndef

from symml import equality
from symml.derivation._textbook import map_levels
from symml.workers import SIMPLIFY_TIMEOUT

__all__ = ["collapse_deltas", "expand_function", "prove_equal", "simplify_deep"]


def collapse_deltas(expr: sp.Expr) -> sp.Expr:
    """``Sum(delta(j, k) f(j), (j, a, b))`` -> ``f(k)``, assuming ``k`` lies in ``a..b``.

    Summation indices are assumed to range over the vector's components, as the documents
    mean them. Sums over an Add are split first.

    Examples:
        >>> import sympy
        >>> x, w = sympy.IndexedBase("x"), sympy.IndexedBase("w")
        >>> j, k, n = sympy.symbols("j k n", integer=True)
        >>> collapse_deltas(sympy.diff(sympy.Sum(w[j] * x[j], (j, 1, n)), w[k]))
        x[k]
    """

    def one(e: sp.Sum) -> sp.Expr:
        terms = sp.Add.make_args(sp.expand(e.function, deep=False, power_base=False, log=False))
        out = []
        changed = False
        for term in terms:
            limits = list(e.limits)
            while True:
                hit = None
                for n, (j, _, _) in enumerate(limits):
                    delta = next(
                        (
                            f
                            for f in sp.Mul.make_args(term)
                            if isinstance(f, sp.KroneckerDelta)
                            and j in f.args
                            and not (f.args[0] if f.args[1] == j else f.args[1]).has(j)
                        ),
                        None,
                    )
                    if delta is not None:
                        hit = (n, j, delta)
                        break
                if hit is None:
                    break
                n, j, delta = hit
                other = delta.args[0] if delta.args[1] == j else delta.args[1]
                term = (term / delta).xreplace({j: other})
                limits = [lim.xreplace({j: other}) for k, lim in enumerate(limits) if k != n]
                changed = True
            out.append(sp.Sum(term, *limits) if limits else term)
        return sp.Add(*out) if changed else e

    return expr.replace(lambda e: isinstance(e, sp.Sum) and e.has(sp.KroneckerDelta), one)


def simplify_deep(expr: sp.Expr) -> sp.Expr:
    """``simplify`` that also reaches inside sums, whose inner sums it treats as atoms.

    A gradient over samples has the shape ``c * Sum(g(Sum(w_k x_ik) + b, y_i) x_ij)``;
    plain ``simplify`` either leaves the summand alone or drowns in the inner sums. Here
    each summand is simplified with its inner sums replaced by symbols, factors free of
    the summation index move out of the sum, and the outer level is simplified last.

    Examples:
        >>> import sympy
        >>> i, m = sympy.symbols("i m", integer=True)
        >>> y, c = sympy.IndexedBase("y"), sympy.Symbol("c")
        >>> simplify_deep(sympy.Sum(c * (y[i] + y[i]), (i, 1, m)))
        2*c*Sum(y[i], (i, 1, m))
    """
    return map_levels(sp.sympify(expr), _simplify_same_functions)


def _simplify_same_functions(expr: sp.Expr) -> sp.Expr:
    """``simplify``, unless it brings in functions the input does not use.

    ``e^{-x}/(1 + e^{-x})^2`` should not come back as ``1/(4 cosh^2(x/2))``: the reader
    wrote exponentials, so the shorter of the exponential forms is kept.
    """
    out = sp.simplify(expr)
    before = {type(f) for f in expr.atoms(sp.Function)}
    if {type(f) for f in out.atoms(sp.Function)} <= before:
        return out
    candidates = [sp.factor(sp.cancel(expr)), sp.simplify(out.rewrite(sp.exp))]
    kept = [c for c in candidates if {type(f) for f in c.atoms(sp.Function)} <= before]
    return min(kept, key=sp.count_ops) if kept else out


def expand_function(expr: sp.Expr, value: sp.Expr | None, definition: sp.Expr) -> sp.Expr:
    """Replace applications of an undefined function ``f`` (``value = f(x)``) by its body.

    For an indexed family (``softmax(z[i])``) the body is re-indexed per application.
    """
    if not isinstance(value, AppliedUndef):
        return expr
    head = value.func
    params = value.args
    if all(isinstance(p, sp.Symbol) for p in params):
        lam = sp.Lambda(params, definition)
        return expr.replace(
            lambda e: isinstance(e, AppliedUndef) and e.func == head, lambda e: lam(*e.args)
        )
    free_idx = [
        s for p in params for s in p.free_symbols if isinstance(s, sp.Symbol) and s.is_integer
    ]

    def apply(app: sp.Expr) -> sp.Expr:
        for idx in free_idx:
            for cand in {s for a in app.args for s in a.free_symbols if isinstance(s, sp.Symbol)}:
                if value.xreplace({idx: cand}) == app:
                    return definition.xreplace({idx: cand})
        return app

    return expr.replace(lambda e: isinstance(e, AppliedUndef) and e.func == head, apply)


def prove_equal(
    a: sp.Expr,
    b: sp.Expr,
    *,
    timeout: float = SIMPLIFY_TIMEOUT,
    seed: int = 0,
    points: int = equality.POINTS,
) -> equality.Proof:
    """:func:`symml.equality.prove_equal` for derivatives: the symbolic step is
    :func:`simplify_deep` (plain ``simplify`` drowns in sums over samples), the numeric step
    samples sizes of sums, indices, symbols, indexed entries and undefined functions.

    Examples:
        >>> import sympy
        >>> x = sympy.Symbol("x")
        >>> prove_equal(sympy.sin(x)**2, 1 - sympy.cos(x)**2).ok
        True
    """
    return equality.prove_equal(
        a,
        b,
        purpose=equality.Purpose.DERIVATION,
        timeout=timeout,
        simplify=simplify_deep,
        seed=seed,
        points=points,
    )
