"""Check what one formula claims: parse it, then verify its identity, derivative or property.

:func:`parse_formula` reads a formula's shape: a definition (``f(x) = ...``, matched against
the registry), an identity or chain ``a = b = c``, a derivative claim (``\\frac{d}{dx}
f = ...``), a relation (``KL(P||Q) \\geq 0``, sampled) or a system of conditions.
:func:`range_claim` and :func:`table_derivative` check the range and derivative cells of
a table row. Each returns ``(Status, message, registry name)``; a formula the parser
rejects raises :class:`Unparsed`.
"""

from __future__ import annotations

import re

from symml.documents._compare import SEED, free_names, numeric_value, sample_point, short
from symml.documents._context import Context, compare_bounded, definition_head, match_registry
from symml.documents._model import Found, Status
from symml.documents._plain import INTERVAL


class Unparsed(Exception):
    """A formula the LaTeX parser rejected; the message has the reason and the column."""


def _parse(latex: str, offset: int = 0):
    from symml.errors import ParseError
    from symml.latex import parse_latex

    symbols, functions = _hints(latex)
    try:
        return parse_latex(latex, symbols=symbols or None, functions=functions or None)
    except ParseError as e:
        where = f" (column {offset + e.column + 1} of the LaTeX)" if e.column is not None else ""
        raise Unparsed(f"does not parse: {e.reason}{where}") from e


def _hints(latex: str) -> tuple[dict[str, str], list[str]]:
    """Declarations the notation implies: ``w^T x`` has vectors, ``d(x, y) =`` a function."""
    symbols = {}
    for m in re.finditer(r"\b([a-z])\^\{?(?:T|\\top)\}?\s*\\?([a-z])\b", latex):
        symbols[m.group(1)] = symbols[m.group(2)] = "vector"
    functions = []
    m = re.match(r"\s*(?:\\(hat|tilde|bar)\{([A-Za-z])\}|([A-Za-z]))\s*\(", latex)
    if m:
        functions.append(m.group(3) or f"{m.group(2)}_{m.group(1)}")
    return symbols, functions


def _split_top(latex: str, sep: str, keep=lambda k: True) -> list[tuple[int, str]]:
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


def _split_conditions(latex: str) -> list[tuple[int, str]]:
    """``a >= b, c >= 0``: pieces at top-level commas when every piece is a relation."""
    pieces = _split_top(latex, ",")
    relation = re.compile(r"\\[lg]eq\b|\\neq\b|[<>=]")
    if len(pieces) > 1 and all(relation.search(text) for _, text in pieces):
        return [(off + len(t) - len(t.lstrip()), t.strip()) for off, t in pieces]
    return [(0, latex)]


def _split_equals(latex: str) -> list[tuple[int, str]]:
    """Split a chain ``a = b = c`` (or ``a := b``) at its top-level ``=`` signs."""

    def is_equals(k: int) -> bool:  # not the = of <=, >=, !=, ==
        before, after = latex[k - 1 : k], latex[k + 1 : k + 2]
        return not (before in "<>!=" and before or after == "=")

    *pieces, last = _split_top(latex, "=", is_equals)
    return [(start, p[:-1] if p.endswith(":") else p) for start, p in pieces] + [last]


_PROSE_WORD = re.compile(r"\\mathrm\{([a-z]{3,})\}|(?<![\\\w])(of|with|to|the)\b")


def parse_formula(found: Found, ctx: Context) -> tuple[Status, str, str | None]:
    if found.kind in ("fence", "code"):
        words = sorted({a or b for a, b in _PROSE_WORD.findall(found.latex)})
        if len(words) >= 2 or any(len(w) >= 6 for w in words):
            raise Unparsed(f"not parsed: prose, not a formula (the words {', '.join(words)})")
    conditions = _split_conditions(found.latex)
    if len(conditions) > 1:  # "y_i(w^T x_i + b) >= 1 - xi_i, xi_i >= 0"
        for offset, text in conditions:
            _parse(text, offset)
        return (
            Status.UNCHECKED,
            f"parsed; a system of {len(conditions)} conditions, not a claim",
            None,
        )
    pieces = _split_equals(found.latex)
    if any(not text.strip() for _, text in pieces):
        raise Unparsed("does not parse: an equation with an empty side")
    sides = [_parse(text, offset) for offset, text in pieces]
    if len(sides) == 1:
        value = sides[0]
        if hasattr(value, "parts") or hasattr(value, "items"):
            return _property(value, ctx)
        if found.title:
            return _match_expression(value, found.title, ctx)
        return Status.OK, "parsed (an expression, no claim)", None
    for side in sides:
        if hasattr(side, "parts") or hasattr(side, "items"):
            return Status.UNCHECKED, "parsed; a relation inside an equation is not checked", None
    lhs_text = pieces[0][1]
    if _is_derivative_notation(lhs_text, sides[0]):
        return _derivative_claim(sides, ctx)
    head = definition_head(sides[0])
    if head is not None:
        return _definition(head, sides, ctx)
    return _identity(sides, ctx, "identity")


def _is_derivative_notation(text: str, value) -> bool:
    import sympy as sp

    if isinstance(value, sp.Derivative):
        return True
    return bool(re.search(r"'\s*\(|\\frac\{\s*d|\\frac\{\\partial|\\partial", text))


def _has_ellipsis(value) -> bool:
    return "Ellipsis" in str(value)


def _definition(head, sides, ctx: Context) -> tuple[Status, str, str | None]:
    name, params = head
    body = sides[1]
    for side in sides[2:]:  # h(x) = w_0 + ... + w_n x_n = w^T x + b: the form without "..."
        if _has_ellipsis(body) and not _has_ellipsis(side):
            body = side
    # an update rule (theta = theta - alpha grad J) is not a definition
    if not params and any(getattr(s, "name", None) == name for s in body.free_symbols):
        return Status.OK, f"parsed (an update of {name})", None
    ctx.defs[name] = (params, body)
    shown = f"{name}({', '.join(map(str, params))})" if params else name
    matched, note = match_registry(name, params, body, ctx)
    message = f"definition of {shown}" + (f"; {note}" if note else "")
    if len(sides) > 2:
        status, detail, _ = _identity(sides[1:], ctx, "chain")
        return status, f"{message}; {detail}", matched
    return Status.OK, message, matched


def _identity(sides, ctx: Context, what: str) -> tuple[Status, str, str | None]:
    first = _expand(sides[0], ctx)
    if what == "identity":
        names = [free_names(first), free_names(_expand(sides[-1], ctx))]
        if names[0] != names[1]:
            return (
                Status.UNCHECKED,
                "an equation in unknowns, not an identity (the sides use "
                f"different symbols: {', '.join(sorted(names[0] ^ names[1]))})",
                None,
            )
    verdicts = []
    for k, side in enumerate(sides[1:], start=2):
        verdict, detail = compare_bounded(first, _expand(side, ctx), ctx)
        if verdict is False:
            return Status.REFUTED, f"{what}: side {k} differs from side 1: {detail}", None
        verdicts.append((verdict, detail))
    if all(v is True for v, _ in verdicts):
        return Status.VERIFIED, f"{what} holds ({verdicts[-1][1]})", None
    reason = next(d for v, d in verdicts if v is None)
    return Status.UNCHECKED, f"{what} not checked: {reason}", None


def _derivative_claim(sides, ctx: Context) -> tuple[Status, str, str | None]:
    import sympy as sp

    expanded = [_expand(side, ctx, symbols=True) for side in sides]
    for side in expanded:
        if not isinstance(side, sp.Basic):
            continue
        for d in side.atoms(sp.Derivative):
            names = free_names(d.expr)
            for var in d.variables:
                name = str(var.base.label) if isinstance(var, sp.Indexed) else str(var)
                if names and name not in names and not isinstance(d.expr, (sp.Symbol, sp.Indexed)):
                    return (
                        Status.UNCHECKED,
                        f"derivative not checked: {short(d.expr)} "
                        f"(as defined above) does not depend on {name}",
                        None,
                    )
    return _identity(expanded, ctx, "derivative")


def _expand(value, ctx: Context, rounds: int = 4, symbols: bool = False):
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
        known = ctx.lookup(app.func.__name__)
        if known is None or len(known[0]) != len(app.args) or not known[0]:
            return app
        params, body = known
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


def _property(value, ctx: Context) -> tuple[Status, str, str | None]:
    """A relation (``KL(P||Q) \\geq 0``): sampled, within the time bound, when computable."""
    from symml.workers import run_bounded

    if hasattr(value, "items"):
        return Status.UNCHECKED, "several relations (a system of conditions), not a claim", None
    parts = [_expand(p, ctx) for p in value.parts]
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
    grid = [-30.0, -5.0, -1.0, -0.3, 0.0, 0.3, 1.0, 5.0, 30.0] if free else [0.0]
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
        for (a, b), op in zip(zip(values, values[1:], strict=False), ops, strict=True):
            if op in checks and not checks[op](a, b):
                where = f"{free[0]} = {x:g}: " if free else ""
                return Status.REFUTED, f"property fails at {where}{a:.6g} {op} {b:.6g}", None
    if not tested:
        return Status.UNCHECKED, "property not checked: no point could be evaluated", None
    return Status.VERIFIED, f"property holds at {tested} sampled points", None


def _table_subject(found: Found):
    """The row's formula as a function of its one variable: (expr, variable)."""
    import sympy as sp

    expr = _parse(found.subject)
    if not isinstance(expr, sp.Expr):
        raise Unparsed("the row's formula is not an expression")
    free = sorted((s for s in expr.free_symbols if isinstance(s, sp.Symbol)), key=str)
    var = next((s for s in free if s.name == "x"), free[0] if free else sp.Symbol("x", real=True))
    return expr, var


def _match_expression(value, title: str, ctx: Context) -> tuple[Status, str, str | None]:
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
    matched, note = match_registry(title, params, value, ctx, title=title)
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
    claim = _parse(found.latex)
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
