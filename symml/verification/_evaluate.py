"""Formulas evaluated at sampled points: the expected values every check compares with.

:func:`evaluate` runs the lambdified expression, vectorised when it can be;
:func:`fill_from_reference` puts the mpmath value where the generated code overflowed.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from symml.errors import SymmlError
from symml.numeric import Samples, lambdify_ml, mp_reference_many

#: The dtype every check runs in (its tolerances are this dtype's row of the table).
F64 = np.dtype(np.float64)
#: Points at most where a non-finite generated value is replaced by the mpmath reference.
REFERENCE_FILL = 64


class Skip(Exception):
    """A check that cannot run; the message is the reason."""


def arg_names(expr: sp.Basic) -> list[str]:
    """The names ``expr`` is a function of (bound summation indices left out), sorted."""
    bound = {lim[0] for s in expr.atoms(sp.Sum, sp.Product) for lim in s.limits}
    labels = {b.label for b in expr.atoms(sp.IndexedBase)}
    names = {
        str(s)
        for s in expr.free_symbols
        if isinstance(s, sp.Symbol) and s not in bound and s not in labels
    }
    names |= {str(b.label) for b in expr.atoms(sp.IndexedBase)}
    names |= {str(m.name) for m in expr.atoms(sp.MatrixSymbol)}
    return sorted(names)


def unsupported(expr: sp.Basic) -> str | None:
    """Why ``expr`` cannot be evaluated numerically, or None."""
    from sympy.core.function import AppliedUndef

    undef = expr.atoms(AppliedUndef)
    if undef:
        names = ", ".join(sorted({_spoken(str(u.func)) for u in undef}))
        return f"it applies {names}, which symml has no definition of to compute with"
    for cls, what in (
        (sp.Integral, "an integral"),
        (sp.Limit, "a limit"),
        (sp.Derivative, "a derivative of an undefined function"),
        (sp.Subs, "a derivative of an undefined function at a point"),
    ):
        if expr.atoms(cls):
            return f"it contains {what}, which symml does not evaluate numerically"
    if any(isinstance(a, sp.Lambda) for a in sp.preorder_traversal(expr)):
        return "it contains a definition substituted but not applied"
    return None


def _spoken(name: str) -> str:
    """A function's name as a reader writes it (``Given`` is the bar of H(X|Y))."""
    return {
        "Given": "a conditional (X|Y)",
        "Expectation": "E[.]",
        "ArgMin": "argmin",
        "ArgMax": "argmax",
    }.get(name, name)


def evaluate(expr: sp.Basic, samples: Samples) -> np.ndarray:
    """``expr`` at every sampled point: shape ``(n, ...)``; vectorised when possible."""
    expr = sp.sympify(expr)
    reason = unsupported(expr)
    if reason:
        raise Skip(f"cannot evaluate the formula numerically: {reason}")
    try:
        f = lambdify_ml(expr, arg_names(expr))
    except SymmlError as exc:
        raise Skip(str(exc)) from exc
    missing = [n for n in f.names if n not in samples.values and n not in samples.sizes]
    if missing:
        raise Skip(f"no sampled values for {missing}")
    sizes = {r.size: samples.sizes[r.size] for r in f.sizes if r.size in samples.sizes}
    n = samples.n
    with np.errstate(all="ignore"):
        if f.batchable:
            try:
                kw = {
                    k: samples.values[k] if k in samples.values else samples.sizes[k]
                    for k in f.names
                }
                out = np.asarray(f(**kw, **sizes), dtype=float)
                if out.shape[:1] == (n,) or out.ndim == 0:
                    return (
                        np.broadcast_to(out, (n,) + out.shape[1:]).copy()
                        if out.ndim
                        else np.full(n, float(out))
                    )
            except (TypeError, ValueError, IndexError):
                pass  # e.g. a free index differs per point: evaluate point by point
        rows = []
        try:
            for k in range(n):
                p = samples.point(k)
                rows.append(np.asarray(f(**{a: p[a] for a in f.names}, **sizes), dtype=float))
        except (TypeError, ValueError, IndexError, ArithmeticError, np.linalg.LinAlgError) as exc:
            raise Skip(
                f"the generated code for {expr} cannot be evaluated at the sampled "
                f"points: {type(exc).__name__}: {exc}"
            ) from exc
    return np.squeeze(np.stack(rows)) if rows and rows[0].size == 1 else np.stack(rows)


def per_point(mask: np.ndarray) -> np.ndarray:
    """One flag per sampled point: any of a point's entries."""
    return mask.reshape(mask.shape[0], -1).any(axis=1) if mask.ndim > 1 else mask


def fill_from_reference(expected: np.ndarray, target: sp.Basic, samples: Samples) -> int:
    """Where the generated code gave inf/NaN, put the true value (mpmath) if it is finite.

    The generated code is stable for the shapes :func:`symml.numeric.stabilize` knows; a
    written-out softmax still overflows. Without this, those points would be silently left
    out and the code under test never judged there. Returns how many points were filled.
    """
    bad = ~per_point(np.isfinite(expected))
    idx = np.flatnonzero(bad)[:REFERENCE_FILL]
    if not idx.size:
        return 0
    names = arg_names(target)
    try:
        refs = mp_reference_many(
            target, [{m: samples.point(int(k))[m] for m in names} for k in idx], timeout=30.0
        )
    except (SymmlError, KeyError, TypeError, ValueError):
        return 0
    filled = 0
    for k, r in zip(idx, refs, strict=True):
        try:
            with np.errstate(over="ignore"):
                v = np.asarray(np.asarray(r, dtype=object).astype(float))
        except (TypeError, ValueError, OverflowError):
            continue
        if np.all(np.isfinite(v)) and v.shape == expected[k].shape:
            expected[k] = v
            filled += 1
    return filled
