"""The mpmath reference: an expression's value at float inputs to 50 significant digits.

:func:`mp_reference` evaluates in a worker process (time-bounded) and climbs in precision
until two results agree; :func:`ulp_error` measures a float result against it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import sympy as sp

from symml import functions as F
from symml.errors import SymmlError, SymmlTimeout
from symml.numeric._lambdify import arg_name, resolve_args
from symml.numeric._stable import stabilize

__all__ = ["MP_DPS", "mp_reference", "mp_reference_many", "ulp_error"]

#: Significant decimal digits of the mpmath reference.
MP_DPS = 50


class _MpPrinter(F.StableMpmathPrinter):
    """mpmath printer with 1-based Indexed (loops are fine in the reference)."""

    def _print_Indexed(self, expr):
        idx = ", ".join(f"int({self._print(i)}) - 1" for i in expr.indices)
        return f"{expr.base.label}[{idx}]"

    def _print__dsigmoid(self, expr):
        return self._print(F.sigmoid(expr.args[0]) * F.sigmoid(-expr.args[0]))

    def _print__sech2(self, expr):
        return self._print(sp.sech(expr.args[0]) ** 2)


def _to_mp(v: Any) -> Any:
    import mpmath

    if isinstance(v, (int, np.integer)):
        return int(v)
    a = np.asarray(v)
    if a.ndim == 0:
        return mpmath.mpf(float(a))
    out = np.empty(a.shape, dtype=object)
    for k, x in np.ndenumerate(a):
        out[k] = mpmath.mpf(float(x))
    return out


#: Precisions tried in turn until two successive results agree (cancellation needs more).
_MP_LADDER = (2, 4, 12, 40)
_MP_AGREE_DIGITS = 25


def _mp_value(v: Any, dps: int) -> Any:
    import mpmath

    if isinstance(v, mpmath.mpc):
        tiny = abs(v) * mpmath.mpf(10) ** (-dps + 5)
        return v.real if abs(v.imag) <= tiny else mpmath.mpf("nan")
    if isinstance(v, (int, float, np.floating, np.integer)):
        return mpmath.mpf(float(v)) if isinstance(v, (float, np.floating)) else mpmath.mpf(v)
    if isinstance(v, mpmath.matrix):
        return np.asarray(v.tolist(), dtype=object)
    if isinstance(v, (list, tuple, np.ndarray)):
        return np.asarray(v, dtype=object)
    return v


def _agree(a: Any, b: Any) -> bool:
    import mpmath

    flat_a, flat_b = np.ravel(np.asarray(a, dtype=object)), np.ravel(np.asarray(b, dtype=object))
    if flat_a.shape != flat_b.shape:
        return False
    for x, y in zip(flat_a, flat_b, strict=True):
        if mpmath.isnan(x) and mpmath.isnan(y):
            continue
        if x == 0 or y == 0:  # total cancellation looks like agreement: climb higher
            return False
        if abs(x - y) > abs(y) * mpmath.mpf(10) ** (-_MP_AGREE_DIGITS):
            return False
    return True


def _hoist_inverses(expr: sp.Basic, args: list) -> tuple[sp.Basic, list[tuple[Any, int]]]:
    """Inverse(M) of an argument M becomes a new argument, computed once per point.

    Printed as is, ``(M**(-1))[i, j]`` inside a sum inverts M once per term (n^2 inversions
    at 50+ digits: seconds per point), and on the object array that carries M it would be
    NumPy's elementwise reciprocal, not the matrix inverse.
    """
    hoisted = []
    for inv in sorted(expr.atoms(sp.Inverse), key=str):
        if inv.arg in args:
            sym = sp.MatrixSymbol(f"_inv{len(hoisted)}", *inv.arg.shape)
            expr = expr.xreplace({inv: sym})
            hoisted.append((sym, args.index(inv.arg)))
    return expr, hoisted


def _mp_inverse(a: Any) -> Any:
    import mpmath

    inv = mpmath.matrix(np.asarray(a, dtype=object).tolist()) ** -1
    return np.asarray(inv.tolist(), dtype=object)


def _mp_eval(args: list, expr: sp.Basic, points: list[dict[str, Any]], dps: int) -> list:
    import mpmath

    names = [arg_name(a) for a in args]
    expr, inverses = _hoist_inverses(expr, args)
    f = sp.lambdify(
        [*args, *(s for s, _ in inverses)],
        expr,
        modules=["mpmath"],
        printer=_MpPrinter.for_lambdify(),
    )
    out = []
    for point in points:
        prev = None
        for factor in (1, *_MP_LADDER):
            with mpmath.workdps(dps * factor):
                vals = [_to_mp(point[n]) for n in names]
                vals += [_mp_inverse(vals[k]) for _, k in inverses]
                try:
                    v = _mp_value(f(*vals), dps)
                except (ZeroDivisionError, ValueError, OverflowError):
                    v = mpmath.mpf("nan")
            if prev is not None and _agree(prev, v):
                break
            prev = v
        out.append(v)
    return out


def mp_reference_many(
    expr: Any,
    points: Sequence[Mapping[str, Any]],
    *,
    dps: int = MP_DPS,
    timeout: float | None = 30.0,
) -> list:
    """:func:`mp_reference` at many points in one bounded call (a list of mpf values)."""
    from symml.workers import run_bounded

    expr = stabilize(sp.sympify(expr))
    if not points:
        return []
    names = sorted(points[0])
    args = resolve_args(expr, names)
    try:
        return run_bounded(_mp_eval, args, expr, [dict(p) for p in points], dps, timeout=timeout)
    except SymmlTimeout as exc:
        raise SymmlTimeout(
            f"the {dps}-digit mpmath reference of {expr} at {len(points)} point(s) "
            f"took longer than {timeout:g} s"
        ) from exc
    except SymmlError:
        raise
    except Exception as exc:  # a SymPy printer or mpmath limitation, named for the caller
        raise SymmlError(f"no mpmath reference for {expr}: {type(exc).__name__}: {exc}") from exc


def mp_reference(
    expr: Any, point: Mapping[str, Any], dps: int = MP_DPS, timeout: float | None = 10.0
) -> Any:
    """The value of ``expr`` at ``point`` (name -> float or array) to ``dps`` digits.

    Inputs are converted to mpf exactly (a float is a dyadic rational), so the result is
    the true value of the expression at the float inputs. The cancelling shapes that
    :func:`stabilize` knows are rewritten first; any other cancellation is caught by
    re-evaluating at 2, 4, 12 and 40 times the precision until two results agree to 25
    digits (a result of exactly 0 never counts as agreement). Complex results (a log of
    a negative) and poles are NaN.

    Raises:
        SymmlTimeout: the evaluation took longer than ``timeout`` seconds.

    Examples:
        >>> x = sp.Symbol("x")
        >>> float(mp_reference(F.softplus(x), {"x": -800.0}))
        0.0
    """
    return mp_reference_many(expr, [point], dps=dps, timeout=timeout)[0]


def ulp_error(got: Any, ref: Any, dtype: Any = np.float64) -> np.ndarray:
    """``|got - ref|`` in units in the last place of ``ref`` rounded to ``dtype``.

    ``ref`` holds mpmath numbers (or floats). The result is 0 where both are equal,
    ``inf`` where ``got`` is not finite but ``ref`` is a finite ``dtype`` number, and NaN
    where ``ref`` itself is not finite in ``dtype`` (no meaningful error).

    Examples:
        >>> float(ulp_error(1.0 + 2 ** -52, 1.0))
        1.0
    """
    import mpmath

    dt = np.dtype(dtype)
    got_a = np.asarray(got, dtype=float)
    ref_a = np.asarray(ref, dtype=object)
    got_b, ref_b = np.broadcast_arrays(got_a, ref_a)
    out = np.empty(got_b.shape, dtype=float)
    big = float(np.finfo(dt).max)
    for k in np.ndindex(got_b.shape):
        r, g = ref_b[k], float(got_b[k])
        try:
            rf = float(r)
        except (TypeError, ValueError):
            out[k] = math.nan
            continue
        if not math.isfinite(rf) or abs(rf) > big:
            out[k] = math.nan
            continue
        if not math.isfinite(g):
            out[k] = math.inf
            continue
        spacing = float(np.spacing(np.abs(np.asarray(rf, dtype=dt))))
        out[k] = float(abs(mpmath.mpf(g) - mpmath.mpf(r)) / mpmath.mpf(spacing))
    return out if out.shape else out[()]
