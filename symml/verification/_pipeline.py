"""The check of code against a formula, composed in one place: the registry's hand-written
code and the user's function (:func:`symml.verification.verify_function`) both run it.

sample -> call the code -> evaluate the target -> judge -> gradcheck -> ULP figures -> result.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
import sympy as sp

from symml.verification._arrays import (
    ShapeMismatch,
    component_note,
    expected_whole,
    sampled_component,
    subset,
    whole_array,
)
from symml.verification._code import call, component, registry_code
from symml.verification._context import Context, Subject
from symml.verification._evaluate import Skip, arg_names, evaluate, fill_from_reference
from symml.verification._gradcheck import gradcheck, mask_kinks
from symml.verification._judge import judge, stable_form, ulps
from symml.verification._report import CheckResult, Status


@dataclass(frozen=True)
class CodeCheck:
    """What a check of code needs.

    Attributes:
        func: the code.
        name: how messages name the code (``module:function``, or the user's function).
        noun: what the value messages call the code's values (``sigmoid``, ``gradient``).
        target: what the code must return at every point.
        definition: the formula, when its symbols are sampled too: always for a user's
            function, and for a derivative (its finite differences check the code).
        wrt: the variable of a derivative; None for a value.
        adapter: keyword -> symbol, for code whose arguments are named otherwise.
        pick: which value of code that returns a tuple.
        ulp_label: the name of the code's ULP figure (``handwritten``, ``yours``).
        prefixed: every message starts with ``name`` (the user's function is named there).
    """

    func: Callable
    name: str
    noun: str
    target: sp.Basic
    definition: sp.Basic | None = None
    wrt: sp.Basic | None = None
    adapter: Mapping[str, str] = field(default_factory=dict)
    pick: int | None = None
    ulp_label: str = "handwritten"
    prefixed: bool = False


def check_code(ctx: Context, subject: Subject, code: CodeCheck) -> CheckResult:
    """``code`` at seeded points against its target (and finite differences, for a derivative).

    Code that raises is the finding (FAILED), checked before the target: code that cannot
    run is reported even where the target cannot be evaluated.
    """
    target, definition = code.target, code.definition
    exprs = [target] if definition is None else [target, definition]
    samples = ctx.sample(exprs)
    names = sorted(set().union(*(arg_names(e) for e in exprs)))
    try:
        got, notes = call(code.func, samples, code.adapter, names, code.pick)
    except Skip:
        raise
    except Exception as exc:  # noqa: BLE001 - the code raised: that is the finding
        message = f"{code.name} raised {type(exc).__name__}: {exc}"
        return ctx.result(subject, Status.FAILED, message, points=samples.n)
    try:
        whole = whole_array(code.wrt, samples, got)
    except ShapeMismatch as exc:
        message = f"{code.name}: {exc}" if code.prefixed else str(exc)
        return ctx.result(subject, Status.FAILED, message, points=samples.n)
    if whole is not None:  # the gradient returned whole: every component at every point
        samples = subset(samples, whole.points(samples.n))
        got = np.asarray(got[: samples.n], dtype=float).reshape((samples.n, *whole.shape))
        expected = expected_whole(target, whole, samples)
        judged = [n for n in names if n not in whole.indices]
        filled = 0
    else:
        expected = evaluate(target, samples)
        got = component(got, expected, samples, names)
        judged = names
    generated = expected.copy()
    if whole is None:
        filled = fill_from_reference(expected, target, samples)
    kinks = mask_kinks(expected, ctx.definition, code.wrt, samples)  # the gradcheck reports them
    verdict = judge(
        code.noun,
        got,
        expected,
        samples,
        ctx.tol,
        judged,
        reference=None if whole is not None else target,
        stable_form=stable_form(target),
        notes=notes,
    )
    status, message, cx = verdict.status, verdict.message, verdict.counterexample
    if whole is not None:
        note = component_note(got, expected, whole, ctx.tol, samples)
        message += f"; {note}" if note and status is Status.REFUTED else ""
        message += f" (the whole gradient, {whole.components} components per point)"
    if status is Status.VERIFIED_NUMERICALLY and code.wrt is not None:
        one = got if whole is None else sampled_component(got, whole, samples)
        fd = gradcheck(code.noun, one, ctx.definition, code.wrt, samples, ctx.tol, names)
        status, message, cx = fd.status, f"{message}; {fd.message}", fd.counterexample
    if filled:
        message += f"; the generated code overflowed at {filled} point(s), judged there by mpmath"
    ulp = (
        ulps(target, samples, kinks, generated=generated, **{code.ulp_label: got})
        if expected.ndim == 1
        else {}
    )
    if ulp:
        message += "; worst ULP vs mpmath: " + ", ".join(f"{k} {v:.3g}" for k, v in ulp.items())
    if code.prefixed:
        message = f"{code.name}: {message}"
    return ctx.result(subject, status, message, cx, ulp, samples.n)


def check_handwritten(
    ctx: Context,
    subject: Subject,
    ref: str,
    adapter: Mapping[str, str] | None,
    target: sp.Basic,
    *,
    wrt: sp.Basic | None = None,
    pick: int | None = None,
) -> CheckResult:
    """The registry's hand-written ``ref`` against ``target`` (a derivative when ``wrt``)."""
    func, adapter = registry_code(ref, adapter)
    definition = ctx.definition if wrt is not None else None
    noun = ref.rpartition(":")[2]
    return check_code(
        ctx, subject.code(ref), CodeCheck(func, ref, noun, target, definition, wrt, adapter, pick)
    )
