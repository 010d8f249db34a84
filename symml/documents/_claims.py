"""The parts of a formula check: parsing, splitting, expanding definitions, properties.

:func:`parse` parses one side (a rejection raises :class:`Unparsed`); :func:`split_equals`
and :func:`split_conditions` cut a formula into sides or conditions; :func:`expand`
substitutes the definitions known so far; :func:`check_property` samples a relation
(``KL(P||Q) \\geq 0``). :func:`range_claim` and :func:`table_derivative` check the range and
derivative cells of a table row. Each returns ``(Status, message, registry name)``; a formula
the parser rejects raises :class:`Unparsed`.
"""

from __future__ import annotations

import re
from contextvars import ContextVar

from symml.documents._compare import SEED, numeric_value, sample_point
from symml.documents._context import Context, compare_bounded, match_registry
from symml.documents._functions import greek_function
from symml.documents._model import Found, Status
from symml.documents._plain import INTERVAL

#: What the user declared for this document (``symml check -s X=matrix``); set by check_text.
DECLARED: ContextVar[dict[str, str] | None] = ContextVar("DECLARED", default=None)


class Unparsed(Exception):
    """A formula the LaTeX parser rejected; the message has the reason and the column."""


def parse(latex: str, offset: int = 0):
    from symml.errors import ParseError
    from symml.latex import parse_latex

    symbols, functions = _hints(latex)
    symbols = {**symbols, **(DECLARED.get() or {})}  # the user's word beats the notation's hint
    try:
        parsed = parse_latex(latex, symbols=symbols or None, functions=functions or None)
        greek = greek_function(latex, parsed)  # \kappa(x) = e^{-x^2}: a function, not kappa x
        if greek is None:
            return parsed
        return parse_latex(latex, symbols=symbols or None, functions=[*functions, greek])
    except ParseError as e:
        where = f" (column {offset + e.column + 1} of the LaTeX)" if e.column is not None else ""
        raise Unparsed(f"does not parse: {e.reason}{where}") from e


def parse_sides(pieces: list[tuple[int, str]], latex: str) -> list:
    """Each side of ``latex`` (its ``pieces``), with e and pi names throughout where the
    formula differentiates by them: d/de (1/2) e^2 = e has the variable e on both sides."""
    from symml.latex import constants_differentiated

    names = constants_differentiated(latex)
    if not names:
        return [parse(text, offset) for offset, text in pieces]
    token = DECLARED.set({**dict.fromkeys(names, "scalar"), **(DECLARED.get() or {})})
    try:
        return [parse(text, offset) for offset, text in pieces]
    finally:
        DECLARED.reset(token)


def _hints(latex: str) -> tuple[dict[str, str], list[str]]:
    """Declarations the notation implies: ``w^T x`` has vectors, ``d(x, y) =`` a function."""
    symbols = {}
    for m in re.finditer(r"\b([a-z])\^\{?(?:T|\\top)\}?\s*\\?([a-z])\b", latex):
        symbols[m.group(1)] = symbols[m.group(2)] = "vector"
    for m in re.finditer(r"\b([a-z])\^\{?(?:T|\\top)\}?\s*([A-Z])\s*\1\b", latex):
        symbols[m.group(1)], symbols[m.group(2)] = "vector", "matrix"  # x^T A x
    functions = []
    m = re.match(r"\s*(?:\\(hat|tilde|bar)\{([A-Za-z])\}|([A-Za-z]))\s*\(", latex)
    if m:
        functions.append(m.group(3) or f"{m.group(2)}_{m.group(1)}")
    return symbols, functions


def split_top(latex: str, sep: str, keep=lambda k: True) -> list[tuple[int, str]]:
    """Split at the ``sep`` characters outside brackets where ``keep(offset)``: (offset, piece)."""
    pieces, depth, start = [], 0, 0
    for k, ch in enumerate(latex):
        if ch in "{([":
            depth += 1
        elif ch in "})]":
            depth -= 1
        elif ch == sep and depth == 0 and keep(k):
            pieces.append((start, latex[start:k]))
            start = k + 1
    pieces.append((start, latex[start:]))
    return pieces


def split_conditions(latex: str) -> list[tuple[int, str]]:
    """``a >= b, c >= 0``: pieces at top-level commas when every piece is a relation."""
    pieces = split_top(latex, ",")
    relation = re.compile(r"\\[lg]eq\b|\\neq\b|[<>=]")
    if len(pieces) > 1 and all(relation.search(text) for _, text in pieces):
        return [(off + len(t) - len(t.lstrip()), t.strip()) for off, t in pieces]
    return [(0, latex)]


def split_equals(latex: str) -> list[tuple[int, str]]:
    """Split a chain ``a = b = c`` (or ``a := b``) at its top-level ``=`` signs."""

    def is_equals(k: int) -> bool:  # not the = of <=, >=, !=, ==
        before, after = latex[k - 1 : k], latex[k + 1 : k + 2]
        return not (before in "<>!=" and before or after == "=")

    *pieces, last = split_top(latex, "=", is_equals)
    return [(start, p[:-1] if p.endswith(":") else p) for start, p in pieces] + [last]


def expand(value, ctx: Context, rounds: int = 4, symbols: bool = False):
    """Substitute the definitions known so far: document first, then the registry.

    Applied functions (``\\sigma(z)``, ``J(w)``) are substituted wherever they occur. A bare
    name is substituted only where it is differentiated (``\\partial J``, ``dL``), and only
    when ``symbols`` is set (derivative claims): ``y = Xw + b`` must not leak into a later
    ``f(x, y)``.
    """
    import warnings

    import sympy as sp
    from sympy.core.function import AppliedUndef
    from sympy.utilities.exceptions import SymPyDeprecationWarning

    if not isinstance(value, sp.Basic):
        return value

    def apply(app):
        if app.func.__name__ == "Component" and len(app.args) == 2:
            return _component(app, ctx)
        known = ctx.lookup(app.func.__name__)
        if known is None or len(known[0]) != len(app.args) or not known[0]:
            return app
        params, body = known
        if any(isinstance(p, sp.Indexed) for p in params) and not any(
            isinstance(a, sp.Indexed) for a in app.args
        ):
            return app  # softmax(z_i) = ... defines entries: softmax(z) is taken entrywise
        vectors = {str(ix.base.label) for ix in getattr(body, "atoms", lambda *_: ())(sp.Indexed)}
        used = {str(p) for p in params} & ({str(s) for s in body.free_symbols} | vectors)
        if not used:
            return app  # a "definition" that ignores its argument is prose, not a function
        for param, arg in zip(params, app.args, strict=True):
            if str(param) in vectors:
                body = _index_vector(body, str(param), arg)
        return body.xreplace(dict(zip(params, app.args, strict=True)))

    def differentiated(d):
        expr = d.expr
        if isinstance(expr, sp.Symbol) and expr.name in ctx.defs:
            body = ctx.defs[expr.name][1]
            if isinstance(body, sp.Expr) and expr not in body.free_symbols:
                return sp.Derivative(body, *d.variable_count)
        return d

    with warnings.catch_warnings():
        # a substitution SymPy deprecates (a Tuple into a Pow) is a substitution that does
        # not fit: it is refused below like the ones that raise
        warnings.simplefilter("error", SymPyDeprecationWarning)
        for _ in range(rounds):
            before = value
            try:
                value = value.replace(lambda e: isinstance(e, AppliedUndef), apply)
                if symbols:
                    value = value.replace(lambda e: isinstance(e, sp.Derivative), differentiated)
            except (TypeError, ValueError, AttributeError, sp.ShapeError, SymPyDeprecationWarning):
                return before  # a definition that does not fit here (shapes, arity)
            if value == before:
                break
    return value


def _component(app, ctx: Context):
    """``softmax(z)_i`` for a function defined entrywise (``softmax(z_i) = ...``): entry i."""
    import sympy as sp
    from sympy.core.function import AppliedUndef

    inner, index = app.args
    if not isinstance(inner, AppliedUndef) or len(inner.args) != 1:
        return app
    known = ctx.lookup(inner.func.__name__)
    if known is None or len(known[0]) != 1 or not isinstance(known[0][0], sp.Indexed):
        return app
    param, body = known[0][0], known[1]
    arg = inner.args[0]
    if not isinstance(arg, sp.Symbol) or len(param.indices) != 1:
        return app
    vector = sp.IndexedBase(arg.name)  # the parser's base of z_i: a plain label
    return body.xreplace({param: vector[index]}).replace(
        lambda e: isinstance(e, sp.Indexed) and e.base == param.base,
        lambda e: vector[e.indices],
    )


def _index_vector(body, name: str, arg):
    """``h(x) = w^T x`` applied to ``x_i``: the entries ``x[j]`` become ``x[i, j]``."""
    import sympy as sp

    def entry(ix):
        if str(ix.base.label) != name:
            return ix
        if isinstance(arg, sp.Indexed):
            return sp.Indexed(arg.base, *arg.indices, *ix.indices)
        if isinstance(arg, sp.Symbol):
            return sp.Indexed(sp.IndexedBase(arg), *ix.indices)
        return ix

    return body.replace(lambda e: isinstance(e, sp.Indexed), entry)


def check_property(value, ctx: Context) -> tuple[Status, str, str | None]:
    """A relation (``KL(P||Q) \\geq 0``): sampled, within the time bound, when computable."""
    from symml.workers import run_bounded

    if hasattr(value, "items"):
        return Status.UNCHECKED, "several relations (a system of conditions), not a claim", None
    parts = [expand(p, ctx) for p in value.parts]
    return run_bounded(_property_parts, parts, tuple(value.ops), timeout=ctx.timeout)


def _property_parts(parts: list, ops: tuple) -> tuple[Status, str, str | None]:
    import sympy as sp
    from sympy.core.function import AppliedUndef

    undefined = sorted(
        {f.func.__name__ for p in parts if isinstance(p, sp.Basic) for f in p.atoms(AppliedUndef)}
    )
    if undefined:
        return (
            Status.UNCHECKED,
            f"property not checked: {', '.join(undefined)} not defined (in the document "
            f"or the registry)",
            None,
        )
    free = set().union(*(getattr(p, "free_symbols", set()) for p in parts))
    if len(free) > 1 or any(isinstance(p, sp.MatrixExpr) for p in parts):
        return Status.UNCHECKED, "property not checked: a condition on several unknowns", None
    return _sample_relation(parts, ops)


def _sample_relation(parts, ops) -> tuple[Status, str, str | None]:
    import sympy as sp

    free = sorted(set().union(*(getattr(p, "free_symbols", set()) for p in parts)), key=str)
    grid = [-1000.0, -30.0, -5.0, -1.0, -0.3, 0.0, 0.3, 1.0, 5.0, 30.0, 1000.0] if free else [0.0]
    checks = {
        "<": lambda a, b: a < b,
        ">": lambda a, b: a > b,
        r"\leq": lambda a, b: a <= b,
        r"\geq": lambda a, b: a >= b,
        r"\neq": lambda a, b: a != b,
    }
    tested = 0
    for x in grid:
        point = {free[0]: x} if free else {}
        values = [numeric_value(sp.sympify(p), point) for p in parts]
        if any(v is None for v in values):
            continue
        tested += 1
        for k, ((a, b), op) in enumerate(
            zip(zip(values, values[1:], strict=False), ops, strict=True)
        ):
            if op in checks and not checks[op](a, b):
                # tanh(30) < 1 fails in floats (1 < 1): the difference at 30 digits decides
                gap = _exact_gap(parts[k], parts[k + 1], free[0] if free else None, x)
                if gap is None or checks[op](gap, 0):
                    continue
                where = f"{free[0]} = {x:g}: " if free else ""
                return Status.REFUTED, f"property fails at {where}{a:.6g} {op} {b:.6g}", None
    if not tested:
        return Status.UNCHECKED, "property not checked: no point could be evaluated", None
    return Status.VERIFIED, f"property holds at {tested} sampled points", None


def _exact_gap(a, b, var, x: float) -> float | None:
    """``a - b`` at ``var = x`` to 30 significant digits, or None if it cannot be had."""
    import sympy as sp

    try:
        d = a - b  # parsed SymPy objects (never text)
        if not isinstance(d, sp.Basic):
            return None
        if var is not None:
            d = d.xreplace({var: sp.Rational(x)})
        v = sp.N(d, 30, maxn=2000)
        if not v.is_number or not v.is_real:
            return None
        if isinstance(v, sp.Float) and v._prec < 30:  # 1 - erf(1000): 0.e-2708, 1 bit
            return None
        value = float(v)
        if value == 0.0 and d != 0:
            # below the floats: e^{-900} has a sign; 1 - erf(1000) (0.e-2708) is unresolved
            value = 1e-300 if bool(v > 0) else -1e-300 if bool(v < 0) else None
    except (TypeError, ValueError, AttributeError, ZeroDivisionError, OverflowError):
        return None
    return value


def _table_subject(found: Found):
    """The row's formula as a function of its one variable: (expr, variable)."""
    import sympy as sp

    expr = parse(found.subject)
    if not isinstance(expr, sp.Expr):
        raise Unparsed("the row's formula is not an expression")
    free = sorted((s for s in expr.free_symbols if isinstance(s, sp.Symbol)), key=str)
    var = next((s for s in free if s.name == "x"), free[0] if free else sp.Symbol("x", real=True))
    return expr, var


def match_expression(value, title: str, ctx: Context) -> tuple[Status, str, str | None]:
    import sympy as sp

    bases = {ix.base.label for ix in value.atoms(sp.Indexed)}
    free = sorted(
        (s for s in value.free_symbols if isinstance(s, sp.Symbol) and s not in bases), key=str
    )
    free = [s for s in free if not s.is_integer]
    if len(bases) == 1:
        params = (next(iter(bases)),)  # softmax over x_i: the vector is the argument
    else:
        params = tuple(s for s in free if s.name == "x")[:1] or tuple(free[:1])
    matched, note, _correction, _refuted = match_registry(title, params, value, ctx, title=title)
    return Status.OK, f"{title}: parsed; {note}", matched


def range_claim(found: Found, ctx: Context) -> tuple[Status, str, str | None]:
    import sympy as sp

    expr, var = _table_subject(found)
    m = INTERVAL.match(found.source)
    lo, hi = (
        sp.oo * (-1 if t.startswith("-") else 1) if t.strip("+-") in ("inf", "∞") else sp.Float(t)
        for t in (m.group(1), m.group(2))
    )
    text = found.source.strip()
    ops = [">" if text.startswith("(") else r"\geq", "<" if text.endswith(")") else r"\leq"]
    from symml.workers import run_bounded

    status, message, _ = run_bounded(_sample_bounds, expr, var, lo, hi, ops, timeout=ctx.timeout)
    return status, f"range of {found.title or 'the row formula'}: {message}", None


def _sample_bounds(expr, var, lo, hi, ops) -> tuple[Status, str, None]:
    import numpy as np

    rng = np.random.default_rng(SEED)
    grid = [-10.0, -3.0, -1.0, -0.3, 0.0, 0.3, 1.0, 3.0, 10.0]
    tested = 0
    for x in grid:
        point = sample_point(expr, rng)
        point[var] = x
        v = numeric_value(expr, point, rng)
        if v is None:
            continue
        tested += 1
        low_ok = v > lo if ops[0] == ">" else v >= lo
        high_ok = v < hi if ops[1] == "<" else v <= hi
        if not (bool(low_ok) and bool(high_ok)):
            return Status.REFUTED, f"at {var} = {x:g} the value is {v:.6g}, outside", None
    if not tested:
        return Status.UNCHECKED, "no sampled point could be evaluated", None
    return Status.VERIFIED, f"holds at {tested} sampled points ({var} from -10 to 10)", None


def table_derivative(found: Found, ctx: Context) -> tuple[Status, str, str | None]:
    import sympy as sp
    from sympy.core.function import AppliedUndef

    expr, var = _table_subject(found)
    claim = parse(found.latex)
    if not isinstance(claim, sp.Expr):
        raise Unparsed("the derivative cell is not an expression")
    claim = claim.replace(
        lambda e: isinstance(e, AppliedUndef) and e.func.__name__ == "f",
        lambda e: expr.xreplace({var: e.args[0]}),
    )
    verdict, detail = compare_bounded(sp.diff(expr, var), claim, ctx)
    what = f"derivative of {found.title or 'the row formula'}"
    if verdict is True:
        return Status.VERIFIED, f"{what} holds ({detail})", None
    if verdict is False:
        return Status.REFUTED, f"{what} is wrong: {detail}", None
    return Status.UNCHECKED, f"{what} not checked: {detail}", None
