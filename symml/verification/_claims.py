"""The registry's claims, one check per kind: derivative, identity, property,
stationary_point, value; each symbolically within a time bound, then numerically, and the
claim's hand-written code (if any) against the claim's target.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import sympy as sp

from symml.derivation import Derivation
from symml.equality import prove_symbolic
from symml.latex import Equation, Relation
from symml.registry import Claim, ClaimKind
from symml.verification._code import load_code
from symml.verification._context import PROOF_TIMEOUT, Context, NotDifferentiable, Subject, guard
from symml.verification._evaluate import (
    Skip,
    arg_names,
    evaluate,
    fill_from_reference,
    unsupported,
)
from symml.verification._gradcheck import mask_kinks
from symml.verification._instances import instance_contexts
from symml.verification._judge import fmt, judge, point_json
from symml.verification._matrix_stationary import check_matrix_stationary
from symml.verification._minimizer import check_minimizer, takes_function
from symml.verification._pipeline import check_handwritten
from symml.verification._report import CheckResult, Counterexample, Status


def check_claim(ctx: Context, claim: Claim) -> list[CheckResult]:
    """Every check of one claim (the claim, then its hand-written code), errors as statuses.

    A claim about abstract functions or random variables, which cannot be sampled as
    written, is checked on random instances (:mod:`symml.verification._instances`).
    """
    subject = Subject.of_claim(claim)
    check = _CLAIM_CHECKS[subject.kind]
    got = guard(ctx, subject, lambda: check(ctx, claim, subject))
    got = got if isinstance(got, list) else [got]
    if got and got[0].status is Status.SKIPPED:
        got[0] = _on_instances(ctx, claim, subject, got[0])
    return got


def _on_instances(
    ctx: Context, claim: Claim, subject: Subject, skipped: CheckResult
) -> CheckResult:
    """The claim on random instances of its abstract pieces; ``skipped`` if it has none."""
    try:
        exprs = [ctx.definition, *_basics(ctx.resolve(claim.expr))]
    except Exception:  # noqa: BLE001 - what cannot be read stays skipped, with its reason
        return skipped
    check = _CLAIM_CHECKS[subject.kind]
    runs = []
    for inst in instance_contexts(ctx, exprs):
        got = guard(inst, subject, lambda inst=inst: check(inst, claim, subject))
        runs.append((inst, got[0] if isinstance(got, list) else got))
    if not runs:
        return skipped
    for inst, r in runs:
        if r.status in (Status.REFUTED, Status.FAILED, Status.UNSTABLE):
            return replace(r, message=f"on a random instance ({inst.describe()}): {r.message}")
    if all(r.status in (Status.VERIFIED, Status.VERIFIED_NUMERICALLY) for _, r in runs):
        inst, r = runs[0]
        return ctx.result(
            subject,
            Status.VERIFIED_NUMERICALLY,
            f"holds on {len(runs)} random instances (the first: {inst.describe()}); {r.message}",
            points=sum(r.points for _, r in runs),
        )
    return skipped


def _basics(value: object) -> list[sp.Basic]:
    if isinstance(value, Equation):
        return [value.lhs, value.rhs]
    if isinstance(value, Relation):
        return [p if isinstance(p, sp.Basic) else sp.Integer(p) for p in value.parts]
    return [value] if isinstance(value, sp.Basic) else []


def _check_equal(
    ctx: Context,
    subject: Subject,
    a: sp.Basic,
    b: sp.Basic,
    what: str,
    wrt: sp.Basic | None = None,
) -> CheckResult:
    """a == b: a symbolic proof within the bound, and a numeric check at sampled points.

    With ``wrt`` (a derivative), points where the formula has a kink are left out.
    """
    a, b = ctx.concrete(a), ctx.concrete(b)
    proved = prove_symbolic(a, b, timeout=PROOF_TIMEOUT)
    samples = ctx.sample([a, b] + ([ctx.definition] if wrt is not None else []))
    names = sorted(set(arg_names(a)) | set(arg_names(b)))
    ea, eb = evaluate(a, samples), evaluate(b, samples)
    fill_from_reference(ea, a, samples)  # the claim is about mathematics, not overflow
    fill_from_reference(eb, b, samples)
    kinks = int(mask_kinks(eb, ctx.definition, wrt, samples).sum())
    verdict = judge(what, ea, eb, samples, ctx.tol, names, reference=b, shape_status=Status.SKIPPED)
    status, msg, cx = verdict.status, verdict.message, verdict.counterexample
    if kinks:
        msg += f"; {kinks} point(s) where the formula is not differentiable left out"
    if status is Status.REFUTED and proved:
        status, msg = (
            Status.VERIFIED,
            (
                f"proved symbolically; numerically the two sides differ "
                f"only where float evaluation is inexact ({msg})"
            ),
        )
    elif status is Status.VERIFIED_NUMERICALLY and proved:
        status, msg = Status.VERIFIED, f"proved symbolically; {msg}"
    elif status is Status.VERIFIED_NUMERICALLY:
        msg = f"not proved symbolically (simplify, {PROOF_TIMEOUT:g} s bound); {msg}"
    return ctx.result(subject, status, msg, cx, points=samples.n)


def _check_derivative(ctx: Context, claim: Claim, subject: Subject) -> list[CheckResult]:
    d = ctx.derive(claim.wrt)
    target = derivative_target(d, ctx.definition)
    stated = ctx.resolve(claim.expr)
    stated = _expand_components(stated, d.wrt)
    out = [_check_equal(ctx, subject, stated, target, f"d/d{d.wrt} as stated", d.wrt)]
    if claim.handwritten:
        out.append(_claim_code(ctx, claim, subject, target, wrt=d.wrt))
    return out


def _claim_code(
    ctx: Context,
    claim: Claim,
    subject: Subject,
    target: sp.Basic,
    *,
    wrt: sp.Basic | None = None,
    pick: int | None = None,
) -> CheckResult:
    """The claim's hand-written code against ``target`` (a derivative when ``wrt`` is set)."""
    adapter = claim.adapter or ctx.formula.adapter
    return guard(
        ctx,
        subject.code(claim.handwritten),
        lambda: check_handwritten(
            ctx, subject, claim.handwritten, adapter, target, wrt=wrt, pick=pick
        ),
    )


def derivative_target(d: Derivation, definition: sp.Basic) -> sp.Basic:
    """The derivative to evaluate: the textbook form (derive proved it equal to sympy.diff)
    written out, which stabilizes best (``1 - tanh^2``); else the simplified one."""
    from symml.derivation import expand_function

    for form in (d.textbook, d.simplified, d.raw):
        if d.function is not None:
            form = expand_function(form, d.function, definition)
        if unsupported(form) is None:
            return form
    return d.raw


def _expand_components(expr: sp.Basic, wrt: sp.Basic) -> sp.Basic:
    """``z_k`` written as a plain symbol where the derivative uses the component ``z[k]``."""
    if not isinstance(wrt, sp.Indexed):
        return expr
    base = wrt.base
    subs = {}
    for s in expr.free_symbols:
        head, _, idx = str(s).partition("_")
        if head == str(base.label) and idx.isidentifier():
            subs[s] = base[sp.Symbol(idx, integer=True)]
    return expr.xreplace(subs) if subs else expr


def _check_identity(ctx: Context, claim: Claim, subject: Subject) -> list[CheckResult]:
    value = ctx.resolve(claim.expr)
    if isinstance(value, Equation):
        lhs, rhs = value.lhs, value.rhs
    else:
        lhs, rhs = ctx.definition, value
    out = [_check_equal(ctx, subject, lhs, rhs, "the left side")]
    if claim.handwritten:
        out.append(_claim_code(ctx, claim, subject, rhs))
    return out


_OPS = {
    "<": np.less_equal,
    r"\leq": np.less_equal,
    "\\le": np.less_equal,
    ">": np.greater_equal,
    r"\geq": np.greater_equal,
    "\\ge": np.greater_equal,
}


def _check_property(ctx: Context, claim: Claim, subject: Subject) -> list[CheckResult]:
    value = ctx.resolve(claim.expr)
    if not isinstance(value, Relation):
        raise Skip(f"a property must be an inequality, got {value}")
    parts = [ctx.concrete(sp.sympify(p)) for p in value.parts]
    samples = ctx.sample(parts)
    names = sorted(set().union(*(arg_names(p) for p in parts)))
    vals = [evaluate(p, samples) for p in parts]
    tol = ctx.tol
    ok_all = np.ones(samples.n, dtype=bool)
    worst = None
    steps = zip(parts, value.ops, parts[1:], vals, vals[1:], strict=False)
    for a, op, b, va, vb in steps:
        if op not in _OPS:
            raise Skip(f"cannot check the relation {op!r} numerically")
        slack = tol.atol + tol.rtol * np.maximum(np.abs(va), np.abs(vb))
        with np.errstate(all="ignore"):
            holds = (
                _OPS[op](va, vb + slack) if _OPS[op] is np.less_equal else _OPS[op](va + slack, vb)
            )
        holds |= ~(np.isfinite(va) & np.isfinite(vb))
        if not holds.all() and worst is None:
            k = int(np.argmin(holds))
            worst = (k, a, op, b, va[k], vb[k])
        ok_all &= holds
    if worst is not None:
        k, a, op, b, x, y = worst
        msg = (
            f"{a} {op} {b} fails at {samples.describe(k, names)}: {fmt(x)} vs {fmt(y)} "
            f"({int((~ok_all).sum())} of {samples.n} points; tolerance {tol}, seed {ctx.seed})"
        )
        cx = Counterexample(point_json(samples, k, names), x, y, str(tol))
        return [ctx.result(subject, Status.REFUTED, msg, cx, points=samples.n)]
    return [
        ctx.result(
            subject,
            Status.VERIFIED_NUMERICALLY,
            f"holds at {samples.n} points, extremes included ({tol}, seed {ctx.seed})",
            points=samples.n,
        )
    ]


def _check_stationary(ctx: Context, claim: Claim, subject: Subject) -> list[CheckResult]:
    value = ctx.resolve(claim.expr)
    at = value.rhs if isinstance(value, Equation) else value
    if isinstance(at, sp.MatrixExpr):  # w = (X^T X)^{-1} X^T y: the matrix-form gradient
        out = [guard(ctx, subject, lambda: _stationary_matrix(ctx, claim, subject, at))]
    else:
        out = [guard(ctx, subject, lambda: _stationary_symbolic(ctx, claim, subject, at))]
    if claim.handwritten:
        same = [
            c
            for c in ctx.formula.claims
            if c.kind == claim.kind and c.handwritten == claim.handwritten
        ]
        pick = same.index(claim) if len(same) > 1 else None
        func = load_code(claim.handwritten)
        if takes_function(func):  # a minimizer: it is given f and f', and must end at `at`
            out.append(_minimizer_code(ctx, claim, subject, func, at, pick))
        else:
            out.append(_claim_code(ctx, claim, subject, at, pick=pick))
    return out


def _minimizer_code(
    ctx: Context, claim: Claim, subject: Subject, func, at: sp.Basic, pick: int | None
) -> CheckResult:
    from symml.derivation import resolve_variable

    def run() -> CheckResult:
        var = resolve_variable(ctx.definition, claim.wrt)
        gradient = derivative_target(ctx.derive(var), ctx.definition)
        return check_minimizer(
            ctx,
            subject.code(claim.handwritten),
            func,
            claim.handwritten,
            var,
            ctx.definition,
            gradient,
            at,
            pick,
        )

    return guard(ctx, subject.code(claim.handwritten), run)


def _stationary_matrix(ctx: Context, claim: Claim, subject: Subject, at: sp.Basic) -> CheckResult:
    gradient = ctx.derive(claim.wrt).gradient
    if not isinstance(gradient, sp.MatrixExpr):
        raise Skip(f"the gradient with respect to {claim.wrt} has no matrix form to evaluate")
    return check_matrix_stationary(ctx, subject, str(claim.wrt), gradient, at)


def _stationary_symbolic(ctx: Context, claim: Claim, subject: Subject, at: sp.Basic) -> CheckResult:
    from symml.derivation import resolve_variable

    var = resolve_variable(ctx.definition, claim.wrt)
    grad = ctx.derive(var).raw
    at_point = grad.xreplace({var: at})
    proved = prove_symbolic(at_point, sp.S.Zero, timeout=PROOF_TIMEOUT)
    samples = ctx.sample([at_point, ctx.definition.xreplace({var: at})], exclude=[str(var)])
    names = arg_names(at_point)
    g = evaluate(at_point, samples)
    scale = np.abs(evaluate(ctx.definition.xreplace({var: at}), samples))
    scale = scale / np.maximum(np.abs(evaluate(at, samples)), 1.0) + 1.0
    tol = ctx.tol
    with np.errstate(all="ignore"):
        bad = np.isfinite(g) & (np.abs(g) > tol.atol + tol.rtol * scale)
    if bad.any() and not proved:
        k = int(np.argmax(np.abs(np.where(bad, g, 0))))
        msg = (
            f"d/d{var} at {var} = {at} is {fmt(g[k])}, not 0, at "
            f"{samples.describe(k, names)} ({int(bad.sum())} of {samples.n} points; "
            f"tolerance {tol} times the scale {scale[k]:.3g}, seed {ctx.seed})"
        )
        cx = Counterexample(point_json(samples, k, names), g[k], 0.0, str(tol))
        return ctx.result(subject, Status.REFUTED, msg, cx, points=samples.n)
    status = Status.VERIFIED if proved else Status.VERIFIED_NUMERICALLY
    how = "proved symbolically; " if proved else ""
    return ctx.result(
        subject,
        status,
        f"{how}d/d{var} vanishes at {var} = {at} at {samples.n} points ({tol}, seed {ctx.seed})",
        points=samples.n,
    )


def _check_value(ctx: Context, claim: Claim, subject: Subject) -> list[CheckResult]:
    try:
        value = ctx.resolve(claim.expr)
    except NotDifferentiable as exc:
        return [ctx.result(subject, Status.REFUTED, str(exc), points=1)]
    if not isinstance(value, Equation):
        raise Skip(f"a value claim must be an equation, got {value}")
    lhs, rhs = sp.sympify(value.lhs), sp.sympify(value.rhs)
    if arg_names(lhs) or arg_names(rhs):
        return _check_identity(ctx, claim, subject)
    done_l, done_r = lhs.doit(), rhs.doit()
    proved = prove_symbolic(done_l, done_r, timeout=PROOF_TIMEOUT)
    if isinstance(done_l, sp.MatrixBase) or isinstance(done_r, sp.MatrixBase):
        return [_matrix_value(ctx, subject, done_l, done_r, proved)]
    try:
        a, b = _number(lhs, done_l), _number(rhs, done_r)
    except (TypeError, ValueError) as exc:
        raise Skip(f"cannot evaluate {lhs} = {rhs} numerically: {exc}") from exc
    tol = ctx.tol
    if abs(a - b) <= tol.atol + tol.rtol * abs(b):
        status = Status.VERIFIED if proved else Status.VERIFIED_NUMERICALLY
        return [ctx.result(subject, status, f"both sides are {b.real:.15g} (30 digits)", points=1)]
    msg = f"{lhs} = {a.real:.15g} but {rhs} = {b.real:.15g} (tolerance {tol})"
    cx = Counterexample({}, a.real, b.real, str(tol))
    return [ctx.result(subject, Status.REFUTED, msg, cx, points=1)]


def _number(expr: sp.Basic, done: sp.Basic) -> complex:
    """``expr`` to 30 digits; else its ``doit()`` (a determinant of numbers, say)."""
    try:
        return complex(expr.evalf(30))
    except (TypeError, ValueError):
        return complex(done.evalf(30))


def _matrix_value(
    ctx: Context, subject: Subject, lhs: sp.Basic, rhs: sp.Basic, proved: bool | None
) -> CheckResult:
    """A value claim between matrices of numbers: same shape, every entry to 30 digits."""
    try:
        a = np.array(sp.Matrix(lhs).evalf(30).tolist(), dtype=complex)
        b = np.array(sp.Matrix(rhs).evalf(30).tolist(), dtype=complex)
    except (TypeError, ValueError) as exc:
        raise Skip(f"cannot evaluate {lhs} = {rhs} numerically: {exc}") from exc
    tol = ctx.tol
    if a.shape != b.shape:
        msg = f"the left side is {a.shape}, the right side {b.shape} (rows, columns)"
        return ctx.result(subject, Status.REFUTED, msg, points=1)
    if not proved and all(e.is_number for e in (*sp.Matrix(lhs), *sp.Matrix(rhs))):
        proved = all(sp.nsimplify(e) == 0 for e in sp.Matrix(lhs) - sp.Matrix(rhs))
    bad = np.abs(a - b) > tol.atol + tol.rtol * np.abs(b)
    if not bad.any():
        status = Status.VERIFIED if proved else Status.VERIFIED_NUMERICALLY
        how = "exactly; " if proved else ""
        shown = sp.sstr(sp.Matrix(rhs).tolist())
        return ctx.result(subject, status, f"{how}both sides are {shown} (30 digits)", points=1)
    r, c = (int(v) for v in np.argwhere(bad)[0])
    msg = (
        f"entry ({r + 1}, {c + 1}): the left side is {a[r, c].real:.15g}, the right side "
        f"{b[r, c].real:.15g} ({int(bad.sum())} of {bad.size} entries differ; tolerance {tol})"
    )
    cx = Counterexample({"entry": (r + 1, c + 1)}, a[r, c].real, b[r, c].real, str(tol))
    return ctx.result(subject, Status.REFUTED, msg, cx, points=1)


_CLAIM_CHECKS = {
    ClaimKind.DERIVATIVE: _check_derivative,
    ClaimKind.IDENTITY: _check_identity,
    ClaimKind.PROPERTY: _check_property,
    ClaimKind.STATIONARY_POINT: _check_stationary,
    ClaimKind.VALUE: _check_value,
}
