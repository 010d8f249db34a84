"""Formulas and functions the user passes in: :func:`verify_function` (a status),
:func:`check_function` and :func:`check_gradient` (raise on failure), :func:`equiv`.

A formula may be LaTeX, a SymPy expression or a registry name; ``\\sigma(z)`` of one
argument is the sigmoid, as an ML reader means it.

Examples:
    >>> import numpy as np
    >>> check_gradient(lambda x: np.cos(x), r"\\sin(x)", "x").status.value
    'verified_numerically'
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import sympy as sp
from sympy.core.function import AppliedUndef

from symml.equality import Purpose, close, prove_symbolic, tolerance_for
from symml.errors import DerivationError, SymmlError, VerificationError
from symml.functions import sigmoid
from symml.latex import Aligned, Equation, Relation, parse_latex
from symml.numeric import DEFAULT_POINTS, mp_reference_many, sample_inputs
from symml.registry import ClaimKind, default_registry
from symml.symbols import literal_entries
from symml.verification._arrays import plain_derivative
from symml.verification._claims import derivative_target
from symml.verification._code import load_code
from symml.verification._context import PROOF_TIMEOUT, Context, Subject, guard
from symml.verification._declare import with_declaration_hint
from symml.verification._equations import one_sided, relations_equivalent
from symml.verification._evaluate import F64, Skip, arg_names, evaluate, per_point
from symml.verification._pipeline import CodeCheck, check_code
from symml.verification._report import CheckResult, Status


def _subject(latex_or_expr: Any, symbols: Mapping[str, str] | None) -> tuple[sp.Basic, str]:
    """The expression of a formula given as LaTeX, SymPy or a registry name; its label."""
    if isinstance(latex_or_expr, str) and latex_or_expr.isidentifier():
        reg = default_registry()
        if latex_or_expr in reg.names():  # a registry name: check_gradient(f, "sigmoid")
            return _ml_reading(sp.sympify(reg.get(latex_or_expr).definition())), latex_or_expr
    if isinstance(latex_or_expr, str):
        value = parse_latex(latex_or_expr, symbols=symbols)
        label = latex_or_expr
    else:
        value, label = latex_or_expr, str(latex_or_expr)
    if isinstance(value, Equation):
        value = value.rhs
    if isinstance(value, (Relation, Aligned)) or not isinstance(value, sp.Basic):
        raise SymmlError(f"{label!r} is not an expression or a definition f(x) = ...")
    return _ml_reading(sp.sympify(value)), label


def _ml_reading(expr: sp.Basic) -> sp.Basic:
    """``\\sigma(z)`` with one argument is the sigmoid, as an ML reader means it."""
    return expr.replace(
        lambda e: isinstance(e, AppliedUndef) and e.func.__name__ == "sigma" and len(e.args) == 1,
        lambda e: sigmoid(e.args[0]),
    )


def verify_function(
    func: Callable | str,
    latex_or_expr: Any,
    wrt: str | None = None,
    *,
    symbols: Mapping[str, str] | None = None,
    seed: int = 0,
    points: int = DEFAULT_POINTS,
    tolerances: Any = None,
    adapter: Mapping[str, str] | None = None,
    args: Mapping[str, str] | None = None,
    sizes: Mapping[str, int] | None = None,
) -> CheckResult:
    """The user's ``func`` against a formula (``wrt`` None) or its derivative; never raises
    for a failed check: the status says it (see :func:`check_function`).

    ``func`` is called with keyword arguments named after the formula's symbols; ``args``
    maps a parameter to a symbol where the names differ (``{"lam": "lambda"}``). A
    gradient in a vector or matrix may be returned whole, shaped like it (0-based), or one
    component for the free index (1-based, as the formula counts). ``sizes`` fixes size
    symbols (``{"n": 1000}``) that are otherwise drawn.

    Examples:
        >>> import numpy as np
        >>> r = verify_function(lambda w, x, y: 2 * x.T @ (x @ w - y) / len(y),
        ...     r"\\frac{1}{m}\\sum_{i=1}^{m} (\\mathbf{w}^T \\mathbf{x}_i - y_i)^2", "w")
        >>> r.status.value
        'verified_numerically'
        >>> r = verify_function(lambda w, x, y: 2 * x.T @ (x @ w - y),
        ...     r"\\frac{1}{m}\\sum_{i=1}^{m} (\\mathbf{w}^T \\mathbf{x}_i - y_i)^2", "w")
        >>> r.status.value, "a sum where the formula has a mean?" in r.message
        ('refuted', True)
    """
    ref = func if isinstance(func, str) else None
    func = load_code(func) if isinstance(func, str) else func
    expr, label = _subject(latex_or_expr, symbols)
    tol = tolerance_for(Purpose.VERIFICATION, F64, tolerances)

    def context(kinds: Mapping[str, str]) -> Context:
        return Context(
            None, seed, points, tol, name=label, definition=entries, kinds=kinds, sizes=sizes
        )

    what = ref or getattr(func, "__name__", "the function")
    from symml.derivation import UntiedSize, entries_form, tie_sizes

    entries = expr
    try:  # 1/m next to an m x n matrix X: m is the number of rows of X, not a number of its own
        expr = tie_sizes(expr, keep=(wrt,) if wrt else ())
        # the formula sampled and evaluated as the derivative reads it: 1-based entries over
        # the same sizes (X[i, k] beside X[i, k], not beside a 0-based matrix element)
        entries = entries_form(expr).expr
    except UntiedSize as exc:
        ctx = context(symbols or {})
        kind = ClaimKind.VALUE if wrt is None else ClaimKind.DERIVATIVE
        return ctx.result(Subject(kind, wrt=wrt), Status.SKIPPED, f"{what}: not checked: {exc}")
    ctx = context(symbols or {})
    if wrt is None:
        subject, target, var = Subject(ClaimKind.VALUE), expr, None
    else:
        from symml.derivation import derive

        subject = Subject(ClaimKind.DERIVATIVE, wrt=wrt)
        try:
            d = derive(expr, wrt, steps=False, seed=seed)
            target, var = derivative_target(d, expr), d.wrt
        except DerivationError:  # no textbook derivation: SymPy's own derivative is the reference
            target, var = plain_derivative(expr, wrt)
    noun = "gradient" if var is not None else "value"
    names = {**dict(adapter or {}), **dict(args or {})}
    code = CodeCheck(
        func, what, noun, target, entries, var, names, ulp_label="yours", prefixed=True
    )

    def run(c: Context) -> CheckResult:
        return guard(c, subject, lambda: check_code(c, subject, code))

    result = run(ctx)
    return with_declaration_hint(
        result, lambda kinds: run(context(kinds)), ctx.kinds, [target, entries], var
    )


def check_function(
    func: Callable | str, latex_or_expr: Any, wrt: str | None = None, **options: Any
) -> CheckResult:
    """Like :func:`verify_function`, but raise VerificationError unless the check passed.

    Examples:
        >>> import numpy as np
        >>> check_function(lambda x: np.logaddexp(0, x), r"\\log(1 + e^{x})").status.value
        'verified_numerically'
        >>> check_function(lambda x: np.log1p(np.exp(x)), r"\\log(1 + e^{x})")
        Traceback (most recent call last):
        ...
        symml.errors.VerificationError: <lambda>: value is unstable at x = 1000: got inf ...
    """
    result = verify_function(func, latex_or_expr, wrt, **options)
    if result.status not in (Status.VERIFIED, Status.VERIFIED_NUMERICALLY):
        raise VerificationError(result.message)
    return result


def check_gradient(
    func: Callable | str, latex_or_expr: Any, wrt: str | None = None, **options: Any
) -> CheckResult:
    """Check a hand-written derivative against the symbolic one and finite differences.

    ``wrt`` may be left out when the formula has one variable. Raises VerificationError
    with the point, got, expected, relative error, tolerance and seed.
    """
    if wrt is None:
        expr, _ = _subject(latex_or_expr, options.get("symbols"))
        free = sorted(str(s) for s in expr.free_symbols)
        if len(free) != 1:
            raise SymmlError(f"say which variable to differentiate by (wrt=...): {free}")
        wrt = free[0]
    return check_function(func, latex_or_expr, wrt, **options)


# ------------------------------------------------------------------- equivalence


def equiv(
    a: Any,
    b: Any,
    *,
    symbols: Mapping[str, str] | None = None,
    seed: int = 0,
    points: int = 200,
    tolerances: Any = None,
    as_: str = "equations",
) -> dict[str, Any]:
    """Are two formulas equal? ``{"equivalent": True|False|None, "method", "counterexample"}``.

    Symbolically within a time bound (5 s per proof), else at sampled points; a numeric
    disagreement is confirmed at 50 digits before it is reported. Two equations (or
    inequalities) are equivalent when they have the same solutions (``as_="equations"``, the
    default); an equation against a bare expression is not. ``as_="definitions"`` compares what
    two definitions ``f(x) = ...`` define (their right-hand sides).

    Examples:
        >>> equiv(r"\\frac{1}{1+e^{-x}}", r"\\frac{e^x}{1+e^x}")["equivalent"]
        True
        >>> equiv(r"\\log_2 x", r"\\ln x")["equivalent"]
        False
        >>> equiv(r"2x + 4y - 3 = 0", r"y = -\\frac{1}{2}x + \\frac{3}{4}")["equivalent"]
        True
        >>> equiv(r"x + y = 1", r"x - y = 1")["equivalent"]
        False
    """
    if as_ not in ("equations", "definitions"):
        raise ValueError(f"as_ must be 'equations' or 'definitions', not {as_!r}")
    if as_ == "equations":
        ra, rb = (parse_latex(v, symbols=symbols) if isinstance(v, str) else v for v in (a, b))
        if one_sided(ra) is not None or one_sided(rb) is not None:
            return relations_equivalent(ra, rb, seed)
    ea, _ = _subject(a, symbols)
    eb, _ = _subject(b, symbols)
    ea, eb = literal_entries([ea, eb])  # x_1 beside a summed x_i is the entry x[1]
    if prove_symbolic(ea, eb, timeout=PROOF_TIMEOUT):
        return {"equivalent": True, "method": "symbolic", "counterexample": None}
    try:
        result = _equiv_numeric(ea, eb, symbols, seed, points, tolerances)
    except (
        ArithmeticError,
        ValueError,
        TypeError,
        KeyError,
        MemoryError,
        NotImplementedError,
        IndexError,
    ) as exc:
        # values too large for floats, shapes that do not meet, code SymPy cannot print
        result = {
            "equivalent": None,
            "method": "undecided",
            "counterexample": None,
            "reason": f"cannot compare numerically: {type(exc).__name__}: {exc}"[:300],
        }
    if result["equivalent"] is None:
        # vectorised sampling could not decide (a sum from 0 over a vector sampled from 1,
        # say): compare at exact points one by one, every entry drawn
        return _equiv_pointwise(ea, eb, seed) or result
    return result


def _equiv_numeric(
    ea: sp.Basic,
    eb: sp.Basic,
    symbols: Mapping[str, str] | None,
    seed: int,
    points: int,
    tolerances: Any,
) -> dict[str, Any]:
    tol = tolerance_for(Purpose.VERIFICATION, F64, tolerances)
    for kinds in (dict(symbols or {}), {str(s): "positive" for s in (ea - eb).free_symbols}):
        try:
            samples = sample_inputs([ea, eb], kinds, n=points, seed=seed)
            va, vb = evaluate(ea, samples), evaluate(eb, samples)
        except (Skip, SymmlError) as exc:
            return {
                "equivalent": None,
                "method": "undecided",
                "counterexample": None,
                "reason": str(exc),
            }
        both = np.isfinite(va) & np.isfinite(vb)
        both = per_point(both)
        if both.sum() < 10:
            continue
        bad = both & per_point(~close(va, vb, tol))
        names = sorted(set(arg_names(ea)) | set(arg_names(eb)))
        for k in np.flatnonzero(bad)[:10]:
            p = {n: samples.point(int(k))[n] for n in names}
            if np.ndim(va[k]) or np.ndim(vb[k]):  # matrices: no 50-digit reference
                cx = _matrix_counterexample(p, np.asarray(va[k]), np.asarray(vb[k]))
                if cx is not None:
                    return {"equivalent": False, "method": "numeric", "counterexample": cx}
                continue
            try:
                ra, rb = mp_reference_many(ea - eb, [p])[0], mp_reference_many(eb, [p])[0]
            except SymmlError:
                continue
            if abs(float(ra)) > tol.atol + tol.rtol * abs(float(rb)):
                return {
                    "equivalent": False,
                    "method": "numeric",
                    "counterexample": {"point": p, "a": float(va[k]), "b": float(vb[k])},
                }
        gap = None if bad.any() else _gap(ea, eb, samples, np.flatnonzero(both)[:4], names)
        if gap is not None:  # 0.99999999 x and x agree to 8 digits, not exactly
            return {"equivalent": False, "method": "numeric (50 digits)", "counterexample": gap}
        if not bad.any():
            return {
                "equivalent": True,
                "method": "numeric",
                "counterexample": None,
                "points": int(both.sum()),
            }
    return {"equivalent": None, "method": "undecided", "counterexample": None}


def _matrix_counterexample(point: dict, a: np.ndarray, b: np.ndarray) -> dict | None:
    """The entry where matrix values ``a`` and ``b`` differ most, if by far more than float
    rounding (a relative 1e-6: no 50-digit reference confirms a matrix difference)."""
    if a.shape != b.shape:
        return None
    gap = np.abs(a - b) / (1 + np.abs(b))
    if not np.isfinite(gap).all() or gap.max() <= 1e-6:
        return None
    at = np.unravel_index(int(np.argmax(gap)), gap.shape)
    return {
        "point": point,
        "entry": tuple(int(i) + 1 for i in at),
        "a": float(a[at]),
        "b": float(b[at]),
    }


def _equiv_pointwise(ea: sp.Basic, eb: sp.Basic, seed: int) -> dict[str, Any] | None:
    """The verdict of :func:`symml.equality.prove_numeric` at 30-digit points (sums written
    out at small sizes, every entry drawn), or None when it cannot decide."""
    from symml.equality import prove_numeric
    from symml.errors import SymmlTimeout
    from symml.workers import run_bounded

    if any(
        lo.is_Integer and hi.is_Integer and hi - lo > 1000
        for e in (ea, eb)
        for s in e.atoms(sp.Sum, sp.Product)
        for _, lo, hi in s.limits
    ):
        return None  # \sum_{i=1}^{10^{10}} i would be written out term by term
    try:
        proof = run_bounded(
            prove_numeric,
            ea,
            eb,
            timeout=PROOF_TIMEOUT,
            purpose=Purpose.VERIFICATION,
            seed=seed,
            points=24,
        )
    except (ArithmeticError, ValueError, TypeError, KeyError, IndexError, RecursionError):
        return None
    except SymmlTimeout:
        return None
    if proof.ok is True:
        return {
            "equivalent": True,
            "method": "numeric (30 digits, point by point)",
            "counterexample": None,
            "points": proof.points,
        }
    if proof.ok is False:  # the entries are drawn from the seed: the detail names it
        return {
            "equivalent": False,
            "method": "numeric (30 digits, point by point)",
            "counterexample": None,
            "reason": f"A and B differ: {proof.detail}",
        }
    return None


def _gap(ea: sp.Basic, eb: sp.Basic, samples: Any, ks: Any, names: list) -> dict | None:
    """A point where ``ea`` and ``eb`` differ at 50 digits though they agree in floats."""
    points = [{n: samples.point(int(k))[n] for n in names} for k in ks]
    try:
        gaps, refs = mp_reference_many(ea - eb, points), mp_reference_many(eb, points)
    except SymmlError:
        return None
    for p, gap, ref in zip(points, gaps, refs, strict=True):
        if np.ndim(gap) or np.ndim(ref):
            return None  # matrices: the float comparison stands
        if gap == gap and ref == ref and abs(gap) > 1e-20 * abs(ref) + 1e-30:
            return {"point": p, "a": float(ref + gap), "b": float(ref), "difference": float(gap)}
    return None
