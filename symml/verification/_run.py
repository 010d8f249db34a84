"""The registry run: every check of a formula (:func:`verify_formula`), errata confirmed or
failed, and :func:`verify` over many formulas, in-process or on worker processes.

For one formula, :func:`verify_formula` runs, in order:

1. ``handwritten`` (if any): the code against the lambdified definition at sampled points
   (>= 1000, extremes included), plus its ULP error and the generated code's against a
   50-digit mpmath reference;
2. each claim: ``derivative`` (against :func:`symml.derivation.derive`), ``identity``
   (lhs = rhs), ``property`` (the inequality at every sampled point), ``stationary_point``
   (the derivative vanishes at the claimed value), ``value`` (both sides to 30 digits);
   symbolically within a time bound, then numerically;
3. a claim's ``handwritten`` code against the claim's target; for a derivative also
   against central finite differences of the formula (a gradcheck, step
   :data:`symml.verification.EPS`).

A check that ran and failed is refuted (a counterexample), failed (the code raised),
unstable (inf/NaN where the true value is finite) or timeout. A registry ``erratum`` that is
refuted is a confirmed erratum; one that stops reproducing fails.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Any

from symml.equality import Purpose, tolerance_for
from symml.errors import SymmlError, SymmlTimeout
from symml.latex import Aligned, Equation
from symml.numeric import DEFAULT_POINTS
from symml.registry import Claim, Formula, default_registry
from symml.symbols import parse_kind
from symml.verification._aligned import check_aligned_code, declared_outputs
from symml.verification._applications import as_probabilities
from symml.verification._claims import check_claim
from symml.verification._code import registry_code
from symml.verification._context import WHOLE_FORMULA, Context, guard
from symml.verification._evaluate import F64
from symml.verification._minimizer import takes_function
from symml.verification._pipeline import check_handwritten
from symml.verification._report import CheckResult, FormulaReport, Report, Status
from symml.verification._update_rule import check_update_rule
from symml.workers import run_parallel

#: Seconds for one formula in ``verify`` (a slow one becomes ``timeout``; the rest go on).
FORMULA_BUDGET = 120.0


def verify_formula(
    formula: Formula,
    *,
    seed: int = 0,
    points: int = DEFAULT_POINTS,
    tolerances: Any = None,
) -> FormulaReport:
    """Every check of one registry formula (see the module docstring).

    Args:
        formula: a registry Formula.
        seed: seed of the sampled points.
        points: sampled points per check.
        tolerances: overrides of the tolerance table (see :func:`symml.equality.tolerance_for`).

    Returns:
        The FormulaReport: the definition's code first, then each claim's checks.
    """
    ctx = Context(formula, seed, points, tolerance_for(Purpose.VERIFICATION, F64, tolerances))
    results: list[CheckResult] = []
    if formula.handwritten:
        subject = WHOLE_FORMULA.code(formula.handwritten)
        code = guard(ctx, subject, lambda: _whole_formula_code(ctx, formula))
        erratum = formula.handwritten_erratum
        results.extend(
            _expect_erratum([code], erratum, "the documents' code") if erratum else [code]
        )
    for claim in formula.claims:
        results.extend(_with_erratum(check_claim(ctx, claim), claim))
    return FormulaReport(formula.name, tuple(results))


def _whole_formula_code(ctx: Context, formula: Formula):
    """The formula's hand-written code against its definition; for an aligned block of
    definitions, each returned value against the row the module declares it to be."""
    ref = formula.handwritten
    func, adapter = registry_code(ref, formula.adapter)  # imports the module
    outputs = declared_outputs(ref)
    if takes_function(func) and isinstance(formula.expr, Equation):  # a rule over J
        return check_update_rule(ctx, WHOLE_FORMULA.code(ref), func, ref, formula.expr.rhs)
    if outputs and isinstance(formula.expr, Aligned):
        subject = WHOLE_FORMULA.code(ref)
        return check_aligned_code(ctx, subject, func, ref, adapter, formula.expr, outputs)
    numbers = as_probabilities(ctx, adapter)  # P(A), P(B|A) given to code as numbers
    if numbers is not None:
        return check_handwritten(numbers, WHOLE_FORMULA, ref, adapter, numbers.definition)
    return check_handwritten(ctx, WHOLE_FORMULA, ref, formula.adapter, ctx.definition)


def _with_erratum(results: list[CheckResult], claim: Claim) -> list[CheckResult]:
    """A claim marked erratum must be refuted by at least one of its checks.

    Refuted/unstable/failed checks become ERRATUM (confirmed); the others keep their status
    (a symbolic part that cannot run next to code that cannot run). If none refutes it,
    every check of the claim FAILS: the erratum stopped reproducing.

    A claim's ``handwritten_erratum`` applies to the check of its hand-written code alone
    (the claim itself stays as it is, unless it also has an ``erratum``).
    """
    hw_erratum = claim.handwritten_erratum
    if hw_erratum and claim.handwritten:
        code = [r for r in results if r.handwritten is not None]
        rest = [r for r in results if r.handwritten is None]
        if not code:  # the claim's check stopped before the code ran: not confirmed
            return _expect_erratum(results, hw_erratum, "the documents' code")
        code = _expect_erratum(code, hw_erratum, "the documents' code")
        rest = _expect_erratum(rest, claim.erratum, "this claim") if claim.erratum else rest
        return [*rest, *code]
    if not claim.erratum:
        return results
    return _expect_erratum(results, claim.erratum, "this claim")


def _expect_erratum(results: list[CheckResult], erratum: str, what: str) -> list[CheckResult]:
    """Checks that the registry expects to go wrong (``erratum`` says why): confirmed when
    one is refuted/unstable/failed, else they all fail (the erratum no longer reproduces)."""
    if not results:
        return results
    refuting = (Status.REFUTED, Status.UNSTABLE, Status.FAILED)
    confirmed = any(r.status in refuting for r in results)
    out = []
    for r in results:
        status, msg = r.status, r.message
        if confirmed and r.status in refuting:
            status, msg = Status.ERRATUM, f"confirmed erratum: {r.message}"
        elif not confirmed and r.status is not Status.TIMEOUT:
            status = Status.FAILED
            msg = (
                f"erratum no longer reproduces: the registry marks {what} as an erratum, but "
                f"the check did not refute it ({r.status.value}: {r.message}); erratum: {erratum}"
            )
        out.append(replace(r, status=status, message=msg, erratum=erratum))
    return out


def verify(
    names: str | Iterable[str] | None = None,
    *,
    all: bool = False,
    seed: int = 0,
    points: int = DEFAULT_POINTS,
    tolerances: Any = None,
    budget: float | None = FORMULA_BUDGET,
    jobs: int | None = None,
    progress: Callable[[str, FormulaReport], None] | None = None,
) -> Report:
    """Verify registry formulas: every claim and every hand-written version gets a status.

    Args:
        names: formula names (or one name).
        all: verify the whole registry instead.
        seed: seed of the sampled points (reported in every message).
        points: sampled points per check (>= 1000 by default, extremes included).
        tolerances: overrides of the tolerance table (see :func:`symml.equality.tolerance_for`).
        budget: seconds per formula when run in worker processes; a slower formula gets a
            ``timeout`` check and the others go on.
        jobs: worker processes (default: 2 when more than one formula, else in-process).
        progress: called with (name, FormulaReport) as each formula finishes.

    Returns:
        A :class:`~symml.verification.Report`; ``report.ok`` is False on any refuted, failed,
        unstable or timed-out check, or an erratum that stopped reproducing.

    Raises:
        RegistryError: an unknown name (with suggestions).
        SymmlError: neither names nor ``all`` given.
    """
    registry = default_registry()
    if isinstance(names, str):
        names = [names]
    if all:
        chosen = registry.names()
    elif names:
        chosen = [registry.get(n).name for n in names]
    else:
        raise SymmlError("name at least one formula to verify, or pass all=True")
    tolerance_for(Purpose.VERIFICATION, F64, tolerances)  # bad overrides fail here, before any work
    if jobs is None:
        jobs = min(2, len(chosen)) if len(chosen) > 1 else 1
    if jobs <= 1:
        reports = []
        for name in chosen:
            rep = _verify_one(name, seed, points, tolerances)
            reports.append(rep)
            if progress:
                progress(name, rep)
        return Report(tuple(reports), seed)
    # Likely-slow formulas first, so that no long one is left running alone at the end.
    order = sorted(chosen, key=lambda n: -_expected_cost(registry.get(n)))
    done = _run_parallel(order, (seed, points, tolerances), jobs, budget, progress)
    return Report(tuple(done[n] for n in chosen), seed)


def _expected_cost(formula: Formula) -> int:
    """A rough rank of how long a formula takes to verify (stationary points and matrix
    algebra are the slow kinds), used only to schedule the worker pool."""
    weights = {"stationary_point": 8, "derivative": 3}
    cost = sum(weights.get(c.kind.value, 1) + bool(c.handwritten) for c in formula.claims)
    cost += 2 * bool(formula.handwritten)
    if any(parse_kind(n, k).kind == "matrix" for n, k in formula.symbols.items()):
        cost += 6
    return cost


def _verify_one(name: str, seed: int, points: int, tolerances: Any) -> FormulaReport:
    formula = default_registry().get(name)
    try:
        return verify_formula(formula, seed=seed, points=points, tolerances=tolerances)
    except SymmlTimeout as exc:
        return _whole(name, seed, Status.TIMEOUT, str(exc))
    except SymmlError as exc:
        return _whole(name, seed, Status.SKIPPED, f"{type(exc).__name__}: {exc}")


def _whole(name: str, seed: int, status: Status, message: str) -> FormulaReport:
    """A formula whose checks could not run: one status for the whole formula."""
    check = CheckResult(name, WHOLE_FORMULA.claim, status, message, seed=seed)
    return FormulaReport(name, (check,))


def verify_task(name: str, seed: int, points: int, tolerances: Any) -> FormulaReport:
    """One formula in a worker process of :func:`verify`: every error becomes its status."""
    try:
        return _verify_one(name, seed, points, tolerances)
    except Exception as exc:  # noqa: BLE001 - reported as the formula's status
        return _whole(name, seed, Status.FAILED, f"{type(exc).__name__}: {exc}")


def _run_parallel(
    names: list[str],
    options: tuple[int, int, Any],
    jobs: int,
    budget: float | None,
    progress: Callable[[str, FormulaReport], None] | None,
) -> dict[str, FormulaReport]:
    """The formulas on ``jobs`` worker processes, each within ``budget`` seconds."""
    seed = options[0]
    done: dict[str, FormulaReport] = {}
    calls = [(name, *options) for name in names]
    for k, report, error in run_parallel(verify_task, calls, jobs=jobs, timeout=budget):
        name = names[k]
        if isinstance(error, SymmlTimeout):
            report = _whole(
                name, seed, Status.TIMEOUT, f"{name} took longer than its budget of {budget:g} s"
            )
        elif error is not None:  # the worker died (verify_task itself never raises)
            report = _whole(name, seed, Status.FAILED, "the worker process died (see stderr)")
        done[name] = report
        if progress:
            progress(name, report)
    return done
