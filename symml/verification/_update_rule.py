"""An update rule over an abstract function (``theta_{t+1} = theta_t - alpha grad J(theta_t)``)
against code that takes the function (``gradient_descent(f, grad_f, x0, learning_rate)``).

As for the abstract claims checked on random instances, J becomes a seeded random smooth
function of a vector, ``J(theta) = sum_i a_i (2 + sin(b_i theta_i)) + (c . theta)^2``, given to
the code as ``f`` with its gradient; the formula is evaluated with ``grad J(theta_t)`` put in
where it stands, so the formula's own signs and factors are what the code is compared with.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable

import numpy as np
import sympy as sp
from sympy.core.function import AppliedUndef

from symml.numeric import lambdify_ml
from symml.verification._context import Context, Subject
from symml.verification._evaluate import Skip
from symml.verification._judge import fmt
from symml.verification._report import CheckResult, Counterexample, Status

#: Random instances (J, sizes, points) per check.
INSTANCES = 50
_RATE_PARAMS = ("learning_rate", "lr", "alpha", "eta")


def gradient_term(expr: sp.Basic, kinds) -> tuple[sp.Basic, sp.Symbol] | None:
    """``Grad(J(theta_t), theta)`` with J declared a function, and its point theta_t."""
    for app in expr.atoms(AppliedUndef):
        if type(app).__name__ != "Grad" or not app.args:
            continue
        inner = app.args[0]
        if (
            isinstance(inner, AppliedUndef)
            and kinds.get(type(inner).__name__) == "function"
            and len(inner.args) == 1
            and isinstance(inner.args[0], sp.Symbol)
        ):
            return app, inner.args[0]
    return None


def check_update_rule(
    ctx: Context, subject: Subject, func: Callable, ref: str, rhs: sp.Basic
) -> CheckResult:
    """One step of the code against the formula on random instances of J."""
    found = gradient_term(rhs, ctx.kinds)
    if found is None:
        raise Skip("the update rule has no gradient of a declared function to instantiate")
    grad_term, point = found
    g = sp.Symbol("grad_J", real=True)
    body = rhs.xreplace({grad_term: g})
    rates = [s for s in body.free_symbols if s not in (point, g)]
    params = inspect.signature(func).parameters
    rate_param = next((p for p in _RATE_PARAMS if p in params), None)
    if len(rates) != 1 or rate_param is None:
        raise Skip(f"{ref} and the formula do not share one step size to pass")
    rate = rates[0]
    step = lambdify_ml(body, [point, rate, g])
    rng = np.random.default_rng([ctx.seed, 14])
    name = ref.rpartition(":")[2]
    for k in range(INSTANCES):
        n = int(rng.integers(1, 6))
        a, b, c = rng.uniform(0.5, 2, n), rng.uniform(0.5, 2, n), rng.normal(size=n)

        def f(x, a=a, b=b, c=c):
            x = np.asarray(x, dtype=float)
            return float(np.sum(a * (2 + np.sin(b * x))) + (c @ x) ** 2)

        def grad_f(x, a=a, b=b, c=c):
            x = np.asarray(x, dtype=float)
            return a * b * np.cos(b * x) + 2 * (c @ x) * c

        theta = rng.normal(scale=3.0, size=n)
        alpha = float(rng.uniform(0.001, 0.5))
        expected = np.asarray(step(theta, alpha, grad_f(theta)), dtype=float)
        try:
            got = np.asarray(func(f, grad_f, theta.copy(), **{rate_param: alpha}), dtype=float)
        except Exception as exc:  # noqa: BLE001 - the code raised: that is the finding
            return ctx.result(
                subject, Status.FAILED, f"{name} raised {type(exc).__name__}: {exc}", points=k + 1
            )
        scale = np.abs(theta) + alpha * np.abs(grad_f(theta))
        bad = ~(np.abs(got - expected) <= ctx.tol.atol + ctx.tol.rtol * scale)
        if got.shape != expected.shape or bad.any():
            j = int(np.argmax(bad)) if got.shape == expected.shape else 0
            msg = (
                f"{name} (one step, a random J on {n} coordinates, {rate} = {fmt(alpha)}) gives "
                f"{fmt(float(np.ravel(got)[j]))} in coordinate {j}, the formula "
                f"{fmt(float(expected[j]))} (instance {k + 1}; {ctx.tol}, seed {ctx.seed})"
            )
            cx = Counterexample(
                {str(point): theta.tolist(), str(rate): alpha},
                np.ravel(got).tolist(),
                expected.tolist(),
                str(ctx.tol),
            )
            return ctx.result(subject, Status.REFUTED, msg, cx, points=k + 1)
    return ctx.result(
        subject,
        Status.VERIFIED_NUMERICALLY,
        f"{name} agrees with one step of the formula on {INSTANCES} random instances of J "
        f"(sum_i a_i (2 + sin(b_i theta_i)) + (c . theta)^2, 1 to 5 coordinates; {ctx.tol}, "
        f"seed {ctx.seed})",
        points=INSTANCES,
    )
