"""Code that minimizes a function it is given (``gradient_descent(f, grad_f, x0)``) against a
claimed stationary point: the verifier passes the formula and its derivative as callables,
starts the code from seeded points, and the code must end at the claimed point.

The documents' loops stop on a step or gradient threshold, not at the exact minimum (002's
stops at x = 4.92e-05 for f = x^2 from 10), so the point is compared with a convergence
tolerance, :data:`CONVERGENCE` times ``1 + |x0|``: far looser than rounding, far tighter than
a loop that climbs, stalls or converges to another point.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable

import numpy as np
import sympy as sp

from symml.numeric import lambdify_ml
from symml.verification._context import Context, Subject
from symml.verification._evaluate import Skip
from symml.verification._judge import fmt
from symml.verification._report import CheckResult, Counterexample, Status

#: Relative distance (times 1 + |x0|) within which the code's end point counts as the claim's.
CONVERGENCE = 1e-3
#: Seeded starting points per check.
STARTS = 20
#: The parameters through which code receives the function and its gradient.
_FUNCTION_PARAMS = ("f",)
_GRADIENT_PARAMS = ("grad_f", "grad", "gradient", "df")
_START_PARAMS = ("x0", "x_0", "theta0", "start")


def takes_function(func: Callable) -> bool:
    """True when the code's parameters include a function ``f`` and its gradient."""
    try:
        params = inspect.signature(func).parameters
    except (TypeError, ValueError):
        return False
    return any(p in params for p in _FUNCTION_PARAMS) and any(p in params for p in _GRADIENT_PARAMS)


def check_minimizer(
    ctx: Context,
    subject: Subject,
    func: Callable,
    ref: str,
    var: sp.Symbol,
    definition: sp.Basic,
    gradient: sp.Basic,
    at: sp.Basic,
    pick: int | None = None,
) -> CheckResult:
    """Run ``func`` on the formula from :data:`STARTS` seeded starts; it must end at ``at``."""
    others = (definition.free_symbols | gradient.free_symbols | at.free_symbols) - {var}
    if others:
        raise Skip(
            f"the minimized function has parameters besides {var} "
            f"({', '.join(sorted(map(str, others)))}), which this check does not sample"
        )
    params = inspect.signature(func).parameters
    missing = [
        n
        for n, p in params.items()
        if p.default is p.empty
        and n not in (*_FUNCTION_PARAMS, *_GRADIENT_PARAMS, *_START_PARAMS)
        and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    ]
    if missing:
        raise Skip(
            f"{ref.rpartition(':')[2]} needs {', '.join(missing)} (no default), which neither "
            "the formula nor the claim gives"
        )
    f_num = lambdify_ml(definition, [var])
    g_num = lambdify_ml(gradient, [var])
    target = float(sp.N(at))
    gname = next(p for p in _GRADIENT_PARAMS if p in params)
    sname = next((p for p in _START_PARAMS if p in params), None)
    if sname is None:
        raise Skip(f"{ref} takes no starting point this check recognizes")
    rng = np.random.default_rng(ctx.seed)
    starts = rng.uniform(-10.0, 10.0, STARTS)
    name = ref.rpartition(":")[2]

    def as_scalar_function(h: Callable) -> Callable:
        def wrapped(x):  # the code passes x as a float, a list or a 1-element array
            return float(h(np.ravel(np.asarray(x, dtype=float))[0])) * np.ones_like(
                np.asarray(x, dtype=float)
            )

        return wrapped

    for x0 in starts:
        kwargs = {
            "f": as_scalar_function(f_num),
            gname: as_scalar_function(g_num),
            sname: np.array([x0]),
        }
        try:
            with np.errstate(all="ignore"):
                out = func(**kwargs)
        except Exception as exc:  # noqa: BLE001 - the code raised: that is the finding
            return ctx.result(
                subject,
                Status.FAILED,
                f"{name} raised {type(exc).__name__}: {exc} (start {var} = {fmt(x0)})",
                points=STARTS,
            )
        if isinstance(out, tuple):
            if pick is None and len(out) > 1:
                out = out[0]  # (x, history): the point comes first
            else:
                out = out[pick or 0]
        end = np.ravel(np.asarray(out, dtype=float))
        got = float(end[0]) if end.size == 1 else float("nan")
        limit = CONVERGENCE * (1.0 + abs(x0))
        if not (np.isfinite(got) and abs(got - target) <= limit):
            msg = (
                f"{name}, given f and its derivative {gradient} from {var} = {fmt(x0)}, ends at "
                f"{var} = {fmt(got)}, not the claimed {var} = {at} (convergence tolerance "
                f"{limit:.3g}; seed {ctx.seed})"
            )
            cx = Counterexample({str(var) + "0": float(x0)}, got, target, f"{limit:.3g}")
            return ctx.result(subject, Status.REFUTED, msg, cx, points=STARTS)
    return ctx.result(
        subject,
        Status.VERIFIED_NUMERICALLY,
        f"{name}, given f = {definition} and its derivative {gradient}, ends at {var} = {at} "
        f"from {STARTS} starts in [-10, 10] (within {CONVERGENCE:g} x (1 + |x0|); seed "
        f"{ctx.seed})",
        points=STARTS,
    )
