"""Equivalence of equations and inequalities: the same solution set, not the same right side.

Each relation is moved to one side (``lhs - rhs``, compared with 0; ``>``/``\\geq`` turned round
to ``<``/``\\leq``). Two equations are equivalent when one side is a nonzero constant multiple of
the other (a positive one for inequalities, which a negative factor would turn round). Otherwise
a point that satisfies one and not the other refutes them: for polynomial equations the points
come from solving one for a variable, for inequalities from sampling. What neither proves nor
refutes is undecided, with the reason. An equation against a bare expression is not equivalent.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import sympy as sp
from sympy.core.function import AppliedUndef

# relation operator -> (normal operator, sign of lhs - rhs in the normal form)
_NORMAL = {
    "=": ("=", 1),
    ":=": ("=", 1),
    r"\neq": ("!=", 1),
    "<": ("<", 1),
    ">": ("<", -1),
    r"\leq": ("<=", 1),
    r"\geq": ("<=", -1),
}
_HOLDS = {
    "=": lambda v: abs(v) <= 1e-9,
    "!=": lambda v: abs(v) > 1e-9,
    "<": lambda v: v < 0,
    "<=": lambda v: v <= 0,
}
_SAMPLES = 200


def _basic(side: Any) -> sp.Basic:
    """A side of a parsed relation as SymPy (the parser gives SymPy; a plain number is wrapped)."""
    if isinstance(side, sp.Basic):
        return side
    if isinstance(side, (int, float)):
        return sp.Integer(side) if isinstance(side, int) else sp.Float(side)
    raise TypeError(f"not a side of a relation: {type(side).__name__}")


def one_sided(value: Any) -> tuple[str, sp.Expr] | None:
    """``(op, f)`` with the relation meaning ``f op 0``; None for a bare expression."""
    lhs = getattr(value, "lhs", None)
    if lhs is not None and hasattr(value, "op") and not isinstance(value, sp.Basic):
        op, sign = _NORMAL[value.op]
        return op, sign * (_basic(value.lhs) - _basic(value.rhs))
    parts, ops = getattr(value, "parts", None), getattr(value, "ops", None)
    if parts is not None and ops is not None:
        if len(ops) != 1 or ops[0] not in _NORMAL:
            raise ValueError(f"a chain of relations or a relation symml cannot compare: {ops}")
        op, sign = _NORMAL[ops[0]]
        return op, sign * (_basic(parts[0]) - _basic(parts[1]))
    return None


def relations_equivalent(a: Any, b: Any, seed: int = 0) -> dict[str, Any]:
    """Do relations ``a`` and ``b`` (Equation, Relation or expression) hold at the same points?"""
    ra, rb = one_sided(a), one_sided(b)
    if ra is None or rb is None:
        if ra is None and rb is None:
            raise ValueError("neither formula is an equation or an inequality")
        return _answer(
            False, "relation", "one is an equation or inequality, the other an expression"
        )
    (opa, fa), (opb, fb) = ra, rb
    factor = _constant_ratio(fa, fb) if opa == opb else None
    if factor is not None and factor != 0 and (opa in ("=", "!=") or factor > 0):
        return _answer(True, "multiple", f"one side is {factor} times the other")
    symbols = sorted(fa.free_symbols | fb.free_symbols, key=lambda s: s.name)
    unknown = fa.atoms(AppliedUndef) | fb.atoms(AppliedUndef)
    if unknown:  # f(x) of an unknown f: no value to solve for or sample
        names = ", ".join(sorted({str(f.func) for f in unknown}))
        return _answer(
            None, "undecided", f"unknown functions ({names}): not multiples of each other"
        )
    found = None
    if opa in ("=", "!=") or opb in ("=", "!="):
        found = _solution_counterexample(opa, fa, opb, fb, symbols, seed) or (
            _solution_counterexample(opb, fb, opa, fa, symbols, seed, swapped=True)
        )
        if found is not None:
            return _answer(False, "solving", "a point satisfies one and not the other", found)
    found = _sampled_counterexample(opa, fa, opb, fb, symbols, seed)
    if found is None and opa == opb and opa in ("=", "!="):
        return _answer(
            None, "undecided", "not multiples of each other, and no differing solution found"
        )
    if found is not None:
        return _answer(False, "sampling", "one holds where the other does not", found)
    return _answer(
        None, "undecided", f"the same truth value at {_SAMPLES} sampled points, unproved"
    )


def _answer(equivalent, method, reason, counterexample=None):
    return {
        "equivalent": equivalent,
        "method": method,
        "counterexample": counterexample,
        "reason": reason,
    }


def _constant_ratio(fa, fb):
    if fb == 0:
        return None
    try:
        q = sp.simplify(sp.cancel(sp.together(fa / fb)))
    except (TypeError, ValueError, NotImplementedError):
        return None
    return q if q.is_number and q.is_real and q.is_finite else None


def _point_value(f, point):
    try:
        v = complex(sp.N(f.subs(point), 30))
    except (TypeError, ValueError, ZeroDivisionError):  # f(x) of an unknown f has no value
        return None
    return v.real if abs(v.imag) <= 1e-12 and np.isfinite(v.real) else None


def _solution_counterexample(opa, fa, opb, fb, symbols, seed, swapped=False):
    """A real solution of ``fa = 0`` (one variable solved, the others drawn) where ``fa opa 0``
    and ``fb opb 0`` disagree."""
    rng = np.random.default_rng(seed)
    for var in [s for s in symbols if fa.has(s)]:
        try:
            poly = sp.Poly(fa, var)
        except sp.PolynomialError:
            continue
        if poly.degree() < 1 or poly.degree() > 4:
            continue
        for _ in range(5):
            others = {
                s: sp.Rational(int(rng.integers(-9, 10)), int(rng.integers(1, 5)))
                for s in symbols
                if s != var
            }
            try:
                roots = sp.solve(poly.as_expr().subs(others), var)
            except (NotImplementedError, ValueError, TypeError):
                break
            for r in roots:
                point = {**others, var: r}
                if not r.is_real:
                    continue
                other = _point_value(fb, point)
                if other is not None and _HOLDS[opa](0.0) != _HOLDS[opb](other):
                    a, b = (other, 0.0) if swapped else (0.0, other)
                    return {"point": {str(k): float(v) for k, v in point.items()}, "a": a, "b": b}
        return None
    return None


def _sampled_counterexample(opa, fa, opb, fb, symbols, seed):
    rng = np.random.default_rng(seed)
    for _ in range(_SAMPLES):
        point = {s: sp.Float(rng.normal(0, 3)) for s in symbols}
        va, vb = _point_value(fa, point), _point_value(fb, point)
        if va is None or vb is None:
            continue
        if _HOLDS[opa](va) != _HOLDS[opb](vb):
            return {"point": {str(k): float(v) for k, v in point.items()}, "a": va, "b": vb}
    return None
