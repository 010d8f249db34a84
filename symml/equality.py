"""The one equality prover: structurally, symbolically within a time bound, then at seeded points.

* :func:`prove_equal` tries ``a - b == 0`` as written, then a bounded simplification, then
  :func:`prove_numeric`; :func:`prove_symbolic` is the symbolic part alone.
* :func:`prove_numeric` evaluates both sides at points drawn by one seeded generator
  (``numpy.random.default_rng(seed)``); callers that sample in their own way (domains, sums
  of fixed length, real values only) pass ``sample`` and ``evaluate``, not a copy of the loop.
* :data:`TOLERANCES` is the one tolerance table, keyed by purpose and dtype;
  :func:`tolerance_for` merges a caller's overrides into a row, :func:`close` applies one
  to arrays.
* A :class:`Proof` records how the question was decided: method, points, seed, tolerance,
  and on failure the point and both values.

The module imports no SymPy or NumPy until it is used, so light modules may import it.

Examples:
    >>> import sympy
    >>> x = sympy.Symbol("x")
    >>> prove_equal(sympy.sin(x)**2, 1 - sympy.cos(x)**2).method.value
    'symbolic'
    >>> proof = prove_numeric(x**2, x**3, seed=1)
    >>> proof.ok, proof.seed, proof.point[0][0]
    (False, 1, 'x')
"""

from __future__ import annotations

import cmath
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields, replace
from enum import Enum
from functools import partial
from types import MappingProxyType
from typing import Any

from symml.errors import SymmlError, SymmlTimeout
from symml.workers import SIMPLIFY_TIMEOUT

__all__ = [
    "POINTS",
    "TOLERANCES",
    "Method",
    "Proof",
    "Purpose",
    "Tolerance",
    "close",
    "draw",
    "evaluate_point",
    "expand_sums",
    "prove_equal",
    "prove_numeric",
    "prove_symbolic",
    "tolerance_for",
]

#: Points that must agree before a numeric proof is accepted (by default).
POINTS = 6


class Purpose(str, Enum):
    """What a comparison is for: each purpose has its own row of :data:`TOLERANCES`."""

    #: a derivative against ``sympy.diff`` (30-digit evaluation)
    DERIVATION = "derivation"
    #: a step-by-step derivation against ``sympy.diff`` (25-digit evaluation)
    STEPS = "steps"
    #: the two sides of a document's formula (15-digit evaluation)
    DOCUMENTS = "documents"
    #: symml's lambdified formulas against hand-written NumPy, per dtype
    VERIFICATION = "verification"


class Method(str, Enum):
    """How a :class:`Proof` was decided."""

    STRUCTURAL = "structural"
    SYMBOLIC = "symbolic"
    NUMERIC = "numeric"


@dataclass(frozen=True)
class Tolerance:
    """How close two values must be: ``|got - expected| <= atol + rtol * |expected|``.

    ``fd_rtol``/``fd_atol`` apply when the expected value is a central finite difference
    (its truncation and rounding error is estimated per point and added on top).
    """

    rtol: float
    atol: float = 0.0
    fd_rtol: float = 0.0
    fd_atol: float = 0.0

    def merge(self, overrides: Mapping[str, float] | None = None) -> Tolerance:
        """A copy with some fields replaced; unknown names are an error that lists the valid.

        Examples:
            >>> Tolerance(rtol=1e-9).merge({"atol": 1e-12})
            Tolerance(rtol=1e-09, atol=1e-12, fd_rtol=0.0, fd_atol=0.0)
        """
        if not overrides:
            return self
        valid = [f.name for f in fields(self)]
        unknown = sorted(set(overrides) - set(valid))
        if unknown:
            raise SymmlError(
                f"unknown tolerance field(s) {', '.join(unknown)}; valid: {', '.join(valid)}"
            )
        return replace(self, **{k: float(v) for k, v in overrides.items()})

    def allows(self, got: complex, expected: complex) -> bool:
        """Whether ``got`` is within this tolerance of ``expected`` (complex values too)."""
        return abs(got - expected) <= self.atol + self.rtol * abs(expected)

    def __str__(self) -> str:
        """As messages quote it: ``rtol=1e-7, atol=1e-10``."""
        return f"rtol={_short(self.rtol)}, atol={_short(self.atol)}"


def _short(v: float) -> str:
    """1e-07 -> 1e-7: how people write tolerances."""
    return f"{v:g}".replace("e-0", "e-").replace("e+0", "e+")


#: The one tolerance table: (purpose, dtype name) -> Tolerance. The symbolic purposes
#: compare multi-digit SymPy evaluations, so an absolute floor equal to ``rtol`` keeps
#: values near zero comparable.
TOLERANCES: Mapping[tuple[Purpose, str], Tolerance] = MappingProxyType(
    {
        (Purpose.DERIVATION, "float64"): Tolerance(rtol=1e-12, atol=1e-12),
        (Purpose.STEPS, "float64"): Tolerance(rtol=1e-9, atol=1e-9),
        (Purpose.DOCUMENTS, "float64"): Tolerance(rtol=1e-6, atol=1e-6),
        (Purpose.VERIFICATION, "float64"): Tolerance(
            rtol=1e-7, atol=1e-10, fd_rtol=1e-5, fd_atol=1e-8
        ),
        (Purpose.VERIFICATION, "float32"): Tolerance(
            rtol=1e-4, atol=1e-6, fd_rtol=2e-2, fd_atol=1e-3
        ),
        (Purpose.VERIFICATION, "float16"): Tolerance(
            rtol=1e-2, atol=1e-3, fd_rtol=1e-1, fd_atol=1e-2
        ),
    }
)


def tolerance_for(
    purpose: Purpose | str = Purpose.DERIVATION,
    dtype: Any = "float64",
    overrides: Tolerance | Mapping[str, Any] | None = None,
) -> Tolerance:
    """The row of :data:`TOLERANCES` for ``purpose`` and ``dtype``, with overrides merged in.

    ``overrides`` is a Tolerance (used as is), a mapping of fields (``{"rtol": 1e-6}``),
    or a mapping keyed by dtype name (``{"float32": {"rtol": 1e-3}}``).

    Raises:
        SymmlError: an unknown purpose, dtype or field (the message lists the valid ones).

    Examples:
        >>> tolerance_for("documents").rtol
        1e-06
        >>> tolerance_for("verification", "float32", {"rtol": 1e-3}).rtol
        0.001
    """
    try:
        purpose = Purpose(purpose)
    except ValueError:
        valid = ", ".join(p.value for p in Purpose)
        raise SymmlError(f"unknown purpose {purpose!r}; valid: {valid}") from None
    name = _dtype_name(dtype)
    if (purpose, name) not in TOLERANCES:
        known = ", ".join(d for p, d in TOLERANCES if p is purpose)
        raise SymmlError(f"no {purpose.value} tolerance for dtype {name}; known: {known}")
    if isinstance(overrides, Tolerance):
        return overrides
    base = TOLERANCES[purpose, name]
    if not overrides:
        return base
    by_dtype = {_dtype_name(k): v for k, v in overrides.items() if _is_dtype(k)}
    if by_dtype:
        return base.merge(by_dtype.get(name))
    return base.merge(overrides)


def _is_dtype(key: Any) -> bool:
    """Whether an override's key names a dtype (then its value overrides that row only)."""
    if key in {f.name for f in fields(Tolerance)}:
        return False
    try:
        _dtype_name(key)
    except SymmlError:
        return False
    return True


def _dtype_name(dtype: Any) -> str:
    if isinstance(dtype, str) and any(dtype == d for _, d in TOLERANCES):
        return dtype
    import numpy as np

    try:
        return np.dtype(dtype).name
    except TypeError:
        raise SymmlError(f"{dtype!r} is not a dtype") from None


def close(got: Any, expected: Any, tol: Tolerance) -> Any:
    """Elementwise ``|got - expected| <= atol + rtol |expected|``; equal infinities agree.

    Examples:
        >>> close([1.0, 2.0], [1.0, 2.1], Tolerance(rtol=1e-3)).tolist()
        [True, False]
    """
    import numpy as np

    got, expected = np.asarray(got, dtype=float), np.asarray(expected, dtype=float)
    with np.errstate(invalid="ignore", over="ignore"):
        ok = np.abs(got - expected) <= tol.atol + tol.rtol * np.abs(expected)
    return ok | ((got == expected) & np.isinf(expected))


@dataclass(frozen=True)
class Proof:
    """Whether two expressions are equal, and how that was established.

    Attributes:
        ok: True (proved), False (refuted: see ``point``, ``got``, ``expected``), None
            (could not decide, see ``detail``).
        method: how it was decided.
        detail: one line for a reader: the counterexample, or why nothing was decided.
        points: how many sampled points agreed.
        seed: the seed of the sampled points (None when nothing was sampled).
        tolerance: the tolerance the values were compared with.
        point: on failure, the point as ``(name, value)`` pairs.
        got: on failure, the value of the first expression there.
        expected: on failure, the value of the second expression there.
    """

    ok: bool | None
    method: Method
    detail: str = ""
    points: int = 0
    seed: int | None = None
    tolerance: Tolerance | None = None
    point: tuple[tuple[str, Any], ...] = ()
    got: complex | None = None
    expected: complex | None = None


# --- symbolic ----------------------------------------------------------------------------


def prove_symbolic(a: Any, b: Any, *, timeout: float = SIMPLIFY_TIMEOUT) -> bool | None:
    """``a == b`` symbolically, each simplification within ``timeout``: True, or None.

    The difference is simplified, then (if that is not 0) rewritten through ``exp`` (tanh
    against its definition) and through ``Piecewise`` (max, abs, Heaviside). SymPy's
    refusals (NotImplementedError on symbolic shapes, StopIteration, ...) are "not proved".

    Examples:
        >>> import sympy
        >>> x = sympy.Symbol("x", real=True)
        >>> prove_symbolic(sympy.tanh(x), (sympy.exp(2*x) - 1) / (sympy.exp(2*x) + 1))
        True
        >>> prove_symbolic(x, x + 1) is None
        True
    """
    return True if _symbolic(a, b, timeout, None, rewrites=True) is not None else None


def _symbolic(
    a: Any, b: Any, timeout: float, simplify: Callable | None, *, rewrites: bool
) -> Method | None:
    """The method that proved ``a == b``, or None; a timeout on the first simplification
    gives up, one on a rewrite only skips that rewrite."""
    import sympy as sp

    from symml.functions import to_elementary
    from symml.workers import run_bounded

    def zero(expr: Any, fn: Callable = sp.simplify) -> tuple[Any, bool | None]:
        try:
            out = run_bounded(fn, expr, timeout=timeout)
        except SymmlTimeout:
            return expr, None
        return out, out == 0

    try:
        difference = to_elementary(a) - to_elementary(b)
        if difference == 0:
            return Method.STRUCTURAL
        simplified, is_zero = zero(difference, simplify or sp.simplify)
        if is_zero:
            return Method.SYMBOLIC
        if is_zero is None or not rewrites:
            return None
        if zero(simplified.rewrite(sp.exp))[1]:
            return Method.SYMBOLIC
        if zero(sp.piecewise_fold(simplified.rewrite(sp.Piecewise)))[1]:
            return Method.SYMBOLIC
    except (
        TypeError,
        ValueError,
        AttributeError,
        NotImplementedError,
        StopIteration,
        RecursionError,
    ):
        return None
    return None


def prove_equal(
    a: Any,
    b: Any,
    *,
    purpose: Purpose | str = Purpose.DERIVATION,
    timeout: float = SIMPLIFY_TIMEOUT,
    simplify: Callable[[Any], Any] | None = None,
    seed: int = 0,
    points: int = POINTS,
    tolerance: Tolerance | Mapping[str, Any] | None = None,
) -> Proof:
    """Prove ``a == b``: as written, by ``simplify(a - b) == 0`` within ``timeout``, else at
    ``points`` seeded random points (:func:`prove_numeric` with :func:`draw`).

    Args:
        a: an expression (ML functions are rewritten to elementary ones first).
        b: the expression it should equal (the reference: tolerances scale with it).
        purpose: the row of :data:`TOLERANCES` to compare with.
        timeout: seconds for the simplification.
        simplify: the simplifier (default ``sympy.simplify``; it runs in a worker process,
            so it must be a module-level function).
        seed: for the points.
        points: how many points must agree.
        tolerance: overrides of the purpose's row (see :func:`tolerance_for`).

    Examples:
        >>> import sympy
        >>> x = sympy.Symbol("x")
        >>> prove_equal(sympy.exp(2*x), sympy.exp(x)**2).ok
        True
    """
    method = _symbolic(a, b, timeout, simplify, rewrites=False)
    if method is not None:
        return Proof(True, method)
    from symml.functions import to_elementary

    return prove_numeric(
        to_elementary(a),
        to_elementary(b),
        purpose=purpose,
        seed=seed,
        points=points,
        tolerance=tolerance,
    )


# --- numeric -----------------------------------------------------------------------------

#: What evaluating at a point may raise where an expression is undefined (a pole, a log of a
#: negative number in a real context): the point is skipped.
_UNDEFINED_HERE = (TypeError, ValueError, ZeroDivisionError, AttributeError)


def prove_numeric(
    a: Any,
    b: Any,
    *,
    purpose: Purpose | str = Purpose.DERIVATION,
    seed: int = 0,
    points: int = POINTS,
    attempts: int | None = None,
    minimum: int = 1,
    tolerance: Tolerance | Mapping[str, Any] | None = None,
    sample: Callable[[Any, Any], Mapping] | None = None,
    evaluate: Callable[[Any, Mapping], complex | None] | None = None,
    rng: Any = None,
) -> Proof:
    """Compare ``a`` and ``b`` at seeded random points.

    A point where either side raises (see ``evaluate``) or is not finite is skipped; the
    first disagreement refutes. The proof holds once ``points`` points agree, or after
    ``attempts`` draws if at least ``minimum`` agreed; otherwise it is undecided.

    Args:
        a: the expression checked.
        b: the reference (tolerances scale with its value).
        purpose: the row of :data:`TOLERANCES` to compare with.
        seed: seeds ``numpy.random.default_rng`` (recorded in the proof).
        points: how many agreeing points end the search.
        attempts: how many points to draw at most (default ``3 * points``).
        minimum: how many agreeing points suffice when the attempts run out.
        tolerance: overrides of the purpose's row (see :func:`tolerance_for`).
        sample: ``sample(Tuple(a, b), rng)`` -> a point (default :func:`draw`).
        evaluate: ``evaluate(expr, point)`` -> a complex number; None when the expression
            does not reduce to a number at all (undecided at once); it may raise
            TypeError, ValueError, ZeroDivisionError or AttributeError to skip the point
            (default :func:`evaluate_point`).
        rng: a generator to draw from instead of a new one (a caller that shares one
            generator across several comparisons); ``seed`` is still what the proof reports.

    Examples:
        >>> import sympy
        >>> x = sympy.Symbol("x", positive=True)
        >>> prove_numeric(sympy.log(x**2), 2 * sympy.log(x)).detail
        '6 points, seed 0, rtol 1e-12'
    """
    import numpy as np
    import sympy as sp

    tol = tolerance_for(purpose, overrides=tolerance)
    sample, evaluate = sample or draw, evaluate or evaluate_point
    rng = np.random.default_rng(seed) if rng is None else rng
    verdict = partial(Proof, method=Method.NUMERIC, seed=seed, tolerance=tol)
    # both sides, not a - b: a symbol that cancels in the difference still needs a value
    both = sp.Tuple(a, b)
    agreed = 0
    for _ in range(3 * points if attempts is None else attempts):
        if agreed == points:
            break
        point = sample(both, rng)
        try:
            got, expected = evaluate(a, point), evaluate(b, point)
        except _UNDEFINED_HERE:
            continue
        if got is None or expected is None:
            where = f"not numeric after substitution at {_show(point)}"
            return verdict(None, detail=where, points=agreed, point=_named(point))
        if not (cmath.isfinite(got) and cmath.isfinite(expected)):
            continue
        if not tol.allows(got, expected):
            detail = (
                f"seed {seed}: at {_show(point)} got {_value(got)}, expected {_value(expected)} "
                f"(rtol {tol.rtol:g})"
            )
            return verdict(
                False, detail=detail, points=agreed, point=_named(point), got=got, expected=expected
            )
        agreed += 1
    if agreed == 0:
        return verdict(None, detail=f"no finite point found (seed {seed})")
    if agreed < minimum:
        detail = f"only {agreed} evaluable points, {minimum} needed (seed {seed})"
        return verdict(None, detail=detail, points=agreed)
    return verdict(True, detail=f"{agreed} points, seed {seed}, rtol {tol.rtol:g}", points=agreed)


def _value(v: complex) -> str:
    return f"{v.real:.15g}" if v.imag == 0 else f"{v:.15g}"


def _named(point: Mapping) -> tuple[tuple[str, Any], ...]:
    """The point's symbols and entries by name (sizes included; drawn functions left out)."""
    import sympy as sp

    return tuple((str(k), v) for k, v in point.items() if isinstance(k, (sp.Symbol, sp.Indexed)))


def _show(point: Mapping) -> str:
    items = sorted(_named(point))
    shown = ", ".join(f"{k}={v}" for k, v in items[:8])
    return "{" + shown + ("...}" if len(items) > 8 else "}")


# --- the default points ------------------------------------------------------------------

#: Keys of a :func:`draw` point that are not symbols: the seed of the indexed entries, and
#: the symbols that are sizes of sums (substituted before the sums are written out).
_ENTRY_SEED = "entry seed"
_SIZES = "sizes"


def draw(expr: Any, rng: Any) -> dict:
    """A random point for ``expr``: sizes for summation bounds, indices within them, values
    for the other symbols (in (0.1, 0.95) when nonnegative, else in (-1.5, 1.5)), a smooth
    function for each undefined function, and a seed for the indexed entries.

    Examples:
        >>> import numpy, sympy
        >>> x = sympy.Symbol("x", positive=True)
        >>> 0.1 < draw(x, numpy.random.default_rng(0))[x] < 0.95
        True
    """
    import sympy as sp
    from sympy.core.function import AppliedUndef

    bounds: set = set()
    for s in expr.atoms(sp.Sum, sp.Product):
        for lim in s.limits:
            bounds |= {x for x in lim[2].free_symbols if isinstance(x, sp.Symbol)}
    size = int(rng.integers(2, 5))
    labels = {b.label for b in expr.atoms(sp.IndexedBase)}
    point: dict = {b: sp.Integer(size) for b in bounds}
    point[_ENTRY_SEED] = int(rng.integers(2**31))
    point[_SIZES] = frozenset(bounds)
    for sym in sorted(expr.free_symbols, key=sp.default_sort_key):
        if sym in point or sym in labels or not isinstance(sym, sp.Symbol):
            continue
        if sym.is_integer:
            point[sym] = sp.Integer(int(rng.integers(1, size + 1)))
        elif sym.is_positive or sym.is_nonnegative:
            point[sym] = sp.Float(float(rng.uniform(0.1, 0.95)), 30)
        else:
            point[sym] = sp.Float(float(rng.uniform(-1.5, 1.5)), 30)
    for head in sorted({f.func for f in expr.atoms(AppliedUndef)}, key=lambda h: h.__name__):
        point[head] = _random_function(int(rng.integers(2**31)))
    return point


def _random_function(seed: int) -> Callable[..., Any]:
    """A smooth function with values in (0, 1), of any number of arguments: densities and
    discriminators alike. The same seed and arity always give the same function."""
    import numpy as np
    import sympy as sp

    def apply(*args: Any) -> Any:
        local = np.random.default_rng(seed + len(args))
        c = [sp.Float(float(v), 30) for v in local.uniform(-1, 1, 2 * len(args) + 1)]
        body = c[0] + sum(c[1 + 2 * n] * a + c[2 + 2 * n] * a**2 / 4 for n, a in enumerate(args))
        return 1 / (1 + sp.exp(-body))

    return apply


def expand_sums(expr: Any) -> Any:
    """Sums with numeric bounds written out term by term (``Sum.doit`` is far slower).

    Examples:
        >>> import sympy
        >>> i = sympy.Symbol("i", integer=True)
        >>> expand_sums(sympy.Sum(i**2, (i, 1, 3)))
        14
    """
    import sympy as sp

    def write_out(e: Any) -> Any:
        body = e.function
        for var, lo, hi in reversed(e.limits):
            if not (lo.is_Integer and hi.is_Integer):
                return e
            body = sp.Add(
                *[body.xreplace({var: sp.Integer(v)}) for v in range(int(lo), int(hi) + 1)]
            )
        return body

    return expr.replace(lambda e: isinstance(e, sp.Sum), write_out)


def evaluate_point(expr: Any, point: Mapping) -> complex | None:
    """``expr`` at a :func:`draw` point, with 30 significant digits; None if not a number.

    Examples:
        >>> import numpy, sympy
        >>> x = sympy.Symbol("x")
        >>> point = draw(x, numpy.random.default_rng(0))
        >>> evaluate_point(2 * x, point) == 2 * complex(point[x])
        True
    """
    import numpy as np
    import sympy as sp
    from sympy.core.function import AppliedUndef

    scalars = {k: v for k, v in point.items() if isinstance(k, sp.Symbol)}
    funcs = {k: v for k, v in point.items() if isinstance(k, type)}
    out = expr
    if funcs:
        out = out.replace(
            lambda e: isinstance(e, AppliedUndef) and e.func in funcs,
            lambda e: funcs[e.func](*e.args),
        )
    # sizes first, then sums written out, then the rest: a summation index may share its
    # name with a free index (softmax(z, j) next to a sum over j), and must stay bound
    sizes = {k: v for k, v in scalars.items() if k in point.get(_SIZES, ())}
    out = expand_sums(out.xreplace(sizes)).xreplace(scalars)
    if out.has(sp.Derivative, sp.Subs):
        out = out.doit()
    entries = sorted(out.atoms(sp.Indexed), key=sp.default_sort_key)
    if entries:
        # the same entry gets the same value in both sides of a comparison
        seed = point.get(_ENTRY_SEED, 0)
        out = out.xreplace(
            {
                e: sp.Float(
                    float(
                        np.random.default_rng(seed ^ zlib.crc32(str(e).encode())).uniform(-1.5, 1.5)
                    ),
                    30,
                )
                for e in entries
            }
        )
    num = sp.N(out, 30)
    if not num.is_number:
        return None
    return complex(num)
