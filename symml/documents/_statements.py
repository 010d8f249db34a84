"""Check one formula as what it states: define, check a claim, or say why it is no claim.

:func:`parse_formula` parses a formula's sides, asks :mod:`symml.documents._classes` what it
states (from the formula and the sentence before it), and then:

- a definition ``f(x) = ...`` (or a chain ``y = f(x) = x^3 - 1/x``) is recorded for the rest
  of the document, compared with the registry's quantity of the same meaning, and the
  links after the defining one are checked as a derivation;
- an identity, a derivation chain or a derivative claim is checked step by step, each side
  against the one before it, and the first step that breaks is named;
- an equation that ends in a decimal is checked at the digits shown ("rounded to 3
  digits"): verified when the true value rounds or truncates to it, else refuted;
- conditions, assumptions, assignments, update rules and notation are never refuted.

Returns ``(Status, message, registry name, Statement, correction)``.
"""

from __future__ import annotations

import re

from symml.documents._claims import (
    Unparsed,
    check_property,
    expand,
    parse,
    parse_sides,
    split_conditions,
    split_equals,
    split_top,
)
from symml.documents._classes import (
    classify_equation,
    classify_relation,
    decimal_digits,
    last_unit,
    notation,
)
from symml.documents._compare import free_names, short
from symml.documents._context import (
    Context,
    compare_bounded,
    definition_head,
    known_correction,
    match_registry,
)
from symml.documents._density import normal_density
from symml.documents._gradient import gradient_claim
from symml.documents._indexed import entries as _entries
from symml.documents._model import Found, Statement, Status
from symml.documents._names import defined_names
from symml.documents._random import OPERATORS, compare_random, has_random
from symml.documents._rounding import rounded_value as _rounded
from symml.documents._rounding import value as _value
from symml.documents._sentence import lead_word
from symml.documents._typography import FRAGMENT, PLACEHOLDER, RELATION, normalise
from symml.symbols import literal_entries

__all__ = ["parse_formula"]

_PROSE_WORD = re.compile(r"\\mathrm\{([a-z]{3,})\}|(?<![\\\w])(of|with|to|the)\b")
_UPDATE_OPS = re.compile(r"\\leftarrow|\\gets|\\mapsfrom|(?<=[\w}])\s*[-+*]=")
_NOT_CLAIMS = (
    Statement.ASSUMPTION,
    Statement.CONDITION,
    Statement.EQUATION,
    Statement.ASSIGNMENT,
)
_WHY = {
    Statement.ASSUMPTION: "an assumption, not a claim",
    Statement.CONDITION: "a condition, not a claim",
    Statement.EQUATION: "an equation to solve, not an identity",
    Statement.ASSIGNMENT: "an assignment (a value chosen), not a claim",
    Statement.UPDATE: "an update rule, not a claim",
    Statement.NOTATION: "notation",
}


def parse_formula(found: Found, ctx: Context, sentence: str = "") -> tuple:
    """What ``found`` states, checked: (Status, message, registry, Statement, correction)."""
    latex = found.latex
    if found.kind in ("fence", "code"):
        words = sorted({a or b for a, b in _PROSE_WORD.findall(latex)})
        if len(words) >= 2 or any(len(w) >= 6 for w in words):
            raise Unparsed(f"not parsed: prose, not a formula (the words {', '.join(words)})")
    lead = lead_word(sentence)
    latex = normalise(latex)
    ctx.current = latex
    if FRAGMENT.match(latex) or PLACEHOLDER.search(latex):
        return Status.OK, "notation (an operator or a placeholder)", None, Statement.NOTATION, None
    several = _statements(latex)
    if len(several) > 1:
        return _several(several, found, ctx, sentence)
    if _UPDATE_OPS.search(latex):  # theta \leftarrow theta - alpha g, x += dx
        for offset, text in split_equals(_UPDATE_OPS.sub("=", latex)):
            if text.strip():
                parse(text, offset)
        return Status.OK, _WHY[Statement.UPDATE], None, Statement.UPDATE, None
    conditions = split_conditions(latex)
    if len(conditions) > 1:  # "y_i(w^T x_i + b) >= 1 - xi_i, xi_i >= 0", "x = 4, y = -3"
        for offset, text in conditions:
            _remember_value(parse(text, offset), ctx)
        why = f"a system of {len(conditions)} conditions, not a claim"
        return Status.OK, why, None, Statement.CONDITION, None
    items = split_top(latex, ",")
    if len(items) > 1 and not RELATION.search(latex):  # D_k, D_v: a list of names
        for offset, text in items:
            if text.strip():
                parse(text, offset)
        return Status.OK, f"notation (a list of {len(items)})", None, Statement.NOTATION, None
    pieces = split_equals(latex)
    if any(not text.strip() for _, text in pieces):
        raise Unparsed("does not parse: an equation with an empty side")
    sides = parse_sides(pieces, latex)
    if _DISTRIBUTION.search(sentence):  # "for a distribution p", "the probabilities p_i"
        ctx.simplex |= _vectors(sides)
    if len(sides) == 1:
        return _single(sides[0], found, ctx, lead)
    density = normal_density(sides, [t for _, t in pieces], ctx)
    if density is not None:
        if density[0] is Status.REFUTED and lead and lead[0] in _NOT_CLAIM_LEADS:
            why = f"{density[1]} (after {lead[1]!r}: not a claim, not refuted)"
            return Status.UNCHECKED, why, density[2], _NOT_CLAIM_LEADS[lead[0]], None
        return density
    if any(hasattr(s, "parts") or hasattr(s, "items") for s in sides):
        why = "parsed; a relation inside an equation is not checked"
        return Status.UNCHECKED, why, None, Statement.CONDITION, None
    rounded = decimal_digits(pieces[-1][1])
    if rounded is not None and len(sides) == 2 and _value(sides[0], ctx) is not None:
        return _rounded(sides[0], rounded, ctx)  # f'(4) = 0.0013, sqrt(0.2 * 0.37) = 0.272
    claimed = gradient_claim(sides, [t for _, t in pieces], ctx)
    if claimed is not None and not (lead and lead[0] in ("assumption", "condition", "solve")):
        return (*claimed, Statement.DERIVATIVE, None)  # nabla_w J(w) = X^T (Xw - y) / m
    if _is_derivative_notation(pieces[0][1], sides[0]) and not (
        lead and lead[0] in ("assumption", "condition", "solve")
    ):
        return (*_derivative_claim(sides, ctx), Statement.DERIVATIVE, None)
    cls, heads = classify_equation(
        sides, [t for _, t in pieces], lead, latex, lambda side: _head(side, ctx) is not None
    )
    if cls in _NOT_CLAIMS and not heads:
        if len(sides) == 2:
            _remember_value(sides[0], ctx, sides[1])  # "when the input has size W = 10"
        return Status.OK, _WHY[cls], None, cls, None
    value_claim = _value_claim(sides, pieces, ctx)
    if value_claim is not None:
        return value_claim
    if heads:
        return _definition(sides, heads, cls, ctx, pieces)
    if rounded is not None and len(sides) == 2:
        # beta2 = 0.999: a value with unknowns on the other side is a value given
        return Status.OK, _WHY[Statement.ASSIGNMENT], None, Statement.ASSIGNMENT, None
    status, message = _chain(sides, ctx, cls)
    correction = known_correction(sides[0], ctx) if status is Status.REFUTED else None
    if correction is not None:
        message = f"{message}; the registry has {correction}"
    return status, message, None, cls, correction


#: Leading words after which a formula is not a claim: a mismatch is said, not refuted.
_NOT_CLAIM_LEADS = {
    "assumption": Statement.ASSUMPTION,
    "condition": Statement.CONDITION,
    "assignment": Statement.ASSIGNMENT,
    "solve": Statement.EQUATION,
}


def _single(value, found: Found, ctx: Context, lead) -> tuple:
    """A formula with no ``=``: a relation, a table row's formula, notation, an expression."""
    if hasattr(value, "items"):
        return (
            Status.OK,
            "several relations (a system of conditions)",
            None,
            Statement.CONDITION,
            None,
        )
    if hasattr(value, "parts"):
        cls = classify_relation(list(value.parts), tuple(value.ops), lead)
        if cls is Statement.PROPERTY:
            return (*check_property(value, ctx), cls, None)
        if cls is Statement.APPROXIMATION:
            return _approximation(value, ctx)
        return Status.OK, _WHY.get(cls, cls.value), None, cls, None
    if found.title:
        from symml.documents._claims import match_expression

        return (*match_expression(value, found.title, ctx), Statement.DEFINITION, None)
    kind = notation(value, found.latex)
    if kind:
        return Status.OK, f"notation ({kind})", None, Statement.NOTATION, None
    return Status.OK, "parsed (an expression, no claim)", None, Statement.EXPRESSION, None


def _head(side, ctx: Context):
    """(name, parameters) when ``side`` names what the formula defines, else None.

    ``\\sigma(-x)`` or ``f(2)`` of a function already known is a value, not a definition.
    """
    import sympy as sp
    from sympy.core.function import AppliedUndef

    head = definition_head(side)
    if head is None or head[0] in OPERATORS:
        return None  # Var(X) = E[X^2] - E[X]^2 is a claim about Var, not a definition
    if isinstance(side, sp.Function) and head[1] == () and side.args:
        known = isinstance(side, AppliedUndef) and ctx.lookup(side.func.__name__) is not None
        if known or not isinstance(side, AppliedUndef):
            return None  # sigma(-x) = 1 - sigma(x): a claim about sigma
        if not any(type(a).__name__ == "Given" for a in side.args):
            return None  # f(4), g(2x): a value of a function, not a definition
    return head


def _is_derivative_notation(text: str, value) -> bool:
    import sympy as sp

    if isinstance(value, (sp.Derivative, sp.Subs)) and value.has(sp.Derivative):
        return True
    return bool(re.search(r"'\s*\(|\\frac\{\s*d|\\frac\{\\partial|\\partial", text))


def _has_ellipsis(value) -> bool:
    return "Ellipsis" in str(value)


def _definition(sides, heads: int, cls: Statement, ctx: Context, pieces) -> tuple:
    """Define the leading names as the first value after them; check the links after it."""
    body_at = heads
    for k in range(heads + 1, len(sides)):  # h(x) = w_0 + ... + w_n x_n = w^T x + b
        if _has_ellipsis(sides[body_at]) and not _has_ellipsis(sides[k]):
            body_at = k
    body = sides[body_at]
    if cls is Statement.ASSIGNMENT and heads == 1:
        _remember_value(sides[0], ctx, sides[1])
    names, matched, note, correction, refuted = [], None, "", None, False
    for side in sides[:heads]:
        name, params = _head(side, ctx)
        if cls is not Statement.UPDATE:
            ctx.defs[name] = (params, body)
            ctx.sources[name] = pieces[body_at][1]
        names.append(f"{name}({', '.join(map(str, params))})" if params else name)
        if matched is None and cls is Statement.DEFINITION:
            matched, note, correction, refuted = match_registry(
                name, params, expand(body, ctx), ctx
            )
    what = {
        Statement.UPDATE: f"an update of {names[0]}",
        Statement.ASSIGNMENT: f"an assignment of {', '.join(names)}",
    }.get(cls, f"definition of {', '.join(names)}")
    message = what + (f"; {note}" if note else "")
    if refuted:
        return Status.REFUTED, message, matched, cls, correction
    rest = sides[body_at:]
    if len(rest) > 1:
        status, detail = _chain(rest, ctx, Statement.DERIVATION, first_side=body_at + 1)
        return status, f"{message}; {detail}", matched, cls, None
    return Status.OK, message, matched, cls, None


def _chain(sides, ctx: Context, cls: Statement, first_side: int = 1) -> tuple[Status, str]:
    """Each side against the one before it; a refutation names the first step that breaks."""
    import sympy as sp

    what = "identity" if cls is Statement.IDENTITY and len(sides) == 2 else "derivation"
    expanded = literal_entries([expand(s, ctx) for s in sides])  # x_1 beside a summed x_i
    done = [_done(e) for e in expanded]  # for the names only: d/dy (x^2 y) has no y
    names = [free_names(d) for d in done]
    if {"I"} & set().union(*names) and not all("I" in n for n in names):
        # (I - Lambda) z: the identity matrix, 1 in a product of scalars
        expanded = [_identity_matrix(e) for e in expanded]
        done = [_identity_matrix(e) for e in done]
    if not _EXPLICIT_BOUND.search(ctx.current):  # \sum_j, to no written length
        expanded, done = _same_lengths(expanded), _same_lengths(done)
    else:  # the text's length n for the one the registry's form brought in (K)
        lengths = _registry_lengths(sides, expanded)
        expanded = [e.xreplace(lengths) for e in expanded]
        done = [d.xreplace(lengths) for d in done]
    if len(sides) == 2 and cls is not Statement.DERIVATIVE:
        names = [free_names(done[0]), free_names(done[1])]
        if names[0] != names[1] and not (names[1] < names[0]):
            verdict, detail = _compare(expanded[0], expanded[1], ctx)
            if verdict is True and not (names[0] and names[1]):
                return Status.VERIFIED, f"identity holds ({detail})"
            return (
                Status.UNCHECKED,
                "an equation in unknowns, not an identity (the sides use different "
                f"symbols: {', '.join(sorted(names[0] ^ names[1]))})",
            )
        known = {n for n, (params, _) in ctx.defs.items() if not params} | set(ctx.values)
        factors = {str(f) for f in sp.Mul.make_args(done[0]) if isinstance(f, sp.Symbol)}
        extra = names[0] - names[1] - known
        if names[1] and extra and extra <= factors and _compare(*expanded, ctx)[0] is False:
            # kappa x = e^{-x^2}: an equation for the factor kappa, true for some values only
            why = f"an equation in {', '.join(sorted(extra))} (not on the right side), not refuted"
            return Status.UNCHECKED, why
    verdicts, previous = [], 0
    for k in range(1, len(sides)):
        new = free_names(done[k]) - free_names(done[previous]) - set(ctx.defs)
        verdict, detail = _compare(expanded[previous], expanded[k], ctx)
        if new and len(sides) > 2 and verdict is not True:
            # a step that brings in a new name (= s, = C e^f / C ...) and does not cancel
            # it names something: not refuted
            verdicts.append((None, f"step {k + first_side - 1} names {', '.join(sorted(new))}"))
            previous = k
            continue
        lost = free_names(done[previous]) - free_names(done[k])
        values_put_in = not free_names(done[k]) or lost <= set(ctx.values)
        if (
            verdict is False
            and lost
            and values_put_in
            and not (free_names(done[k]) - free_names(done[previous]))
        ):
            # (W - F + 2P)/S + 1 = (10 - 3 + 0)/2 + 1: the values of the text put in, not an
            # identity; checked with the values given earlier, never refuted on them
            verdict, detail = _with_values(done[previous], done[k], lost, ctx)
            if verdict is not True:
                why = (
                    f"an equation in {', '.join(sorted(lost))}, true for some values only"
                    if len(sides) == 2 and not free_names(done[k])
                    else f"step {k + first_side - 1} puts in values"
                )
                verdicts.append((None, f"{why} ({detail})"))
                previous = k
                continue
        if verdict is False:
            if what == "identity":
                return Status.REFUTED, f"identity: the sides differ: {detail}"
            a, b = previous + first_side, k + first_side
            return Status.REFUTED, f"{what}: step {b - 1} (side {b} from side {a}) breaks: {detail}"
        verdicts.append((verdict, detail))
        previous = k
    if all(v is True for v, _ in verdicts):
        return Status.VERIFIED, f"{what} holds ({verdicts[-1][1]})"
    reason = next(d for v, d in verdicts if v is not True)
    return Status.UNCHECKED, f"{what} not checked: {reason}"


def _derivative_claim(sides, ctx: Context) -> tuple[Status, str, str | None]:
    import sympy as sp

    expanded = _entries([expand(side, ctx, symbols=True) for side in sides])
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
    status, detail = _chain(expanded, ctx, Statement.DERIVATIVE)
    if len(sides) == 2:
        detail = detail.replace("derivation", "derivative", 1)
    return status, detail, None


def _approximation(value, ctx: Context) -> tuple:
    """``a \\approx b`` of numbers: close is verified; far is reported, never refuted."""
    cls = Statement.APPROXIMATION
    parts = list(value.parts)
    if len(parts) != 2 or any(op != r"\approx" for op in value.ops):
        return Status.OK, "an approximation or distribution, not checked", None, cls, None
    values = [_value(p, ctx) for p in parts]
    if any(v is None for v in values):
        return Status.OK, "an approximation in unknowns, not checked", None, cls, None
    a, b = values
    rel = abs(a - b) / max(abs(a), abs(b), 1e-300)
    unit = last_unit(ctx.current.split(r"\approx")[-1])  # pi \approx 3.14: to 0.01
    if abs(a - b) <= (unit if unit is not None else 0.05 * max(abs(a), abs(b))):
        return Status.VERIFIED, f"approximation holds ({a:.6g} vs {b:.6g})", None, cls, None
    why = f"approximation not confirmed: {a:.6g} vs {b:.6g} ({rel:.0%} apart)"
    return Status.UNCHECKED, why, None, cls, None


def _remember_value(lhs, ctx: Context, rhs=None) -> None:
    """``x = 4`` (an assignment, or a condition ``if x = 4, y = -3``): a value of the text."""
    import sympy as sp

    if rhs is None:
        if type(lhs).__name__ != "Equation":
            return
        lhs, rhs = lhs.lhs, lhs.rhs
    if isinstance(lhs, sp.Symbol) and isinstance(rhs, sp.Basic) and rhs.is_number:
        ctx.values[lhs.name] = rhs


_DISTRIBUTION = re.compile(r"\b(distribution|probabilit(y|ies)|simplex|pmf|categorical)\b", re.I)


def _vectors(sides) -> set[str]:
    import sympy as sp

    return {str(ix.base) for s in sides if isinstance(s, sp.Basic) for ix in s.atoms(sp.Indexed)}


def _compare(a, b, ctx: Context) -> tuple[bool | None, str]:
    """Equal? On random distributions when E, Var or Cov are in it, else by the prover."""
    if has_random(a) or has_random(b):
        from symml.workers import run_bounded

        return run_bounded(compare_random, a, b, timeout=ctx.timeout)
    verdict, detail = compare_bounded(a, b, ctx)
    names = defined_names(a, b, ctx) if verdict is False else {}
    if names:  # mu = (1/d) sum x_i above: the variance identity in mu is about that mu
        try:
            a, b = a.xreplace(names), b.xreplace(names)
        except (TypeError, ValueError):
            return verdict, detail
        again, how = compare_bounded(a, b, ctx)
        listed = ", ".join(sorted(map(str, names)))
        return again, f"{how}, with {listed} as defined above" if again is not None else how
    return verdict, detail


_EXPLICIT_BOUND = re.compile(r"\\(sum|prod)\s*(_\{[^{}]*\}|_\\?\w+)?\s*\^")


def _bounds(value) -> set:
    import sympy as sp

    if not isinstance(value, sp.Basic):
        return set()
    return {
        lim[2]
        for s in value.atoms(sp.Sum)
        for lim in s.limits
        if len(lim) == 3 and isinstance(lim[2], sp.Symbol)
    }


def _registry_lengths(sides: list, expanded: list) -> dict:
    """{K: n} when the text's sums run to one n and a registry form brought in sums to K."""
    written = set().union(*(_bounds(s) for s in sides))
    brought = set().union(*(_bounds(e) for e in expanded)) - written
    if len(written) != 1 or not brought:
        return {}
    mentioned = set().union(*(free_names(s) for s in sides))
    target = next(iter(written))
    return {b: target for b in brought if str(b) not in mentioned}


def _same_lengths(values: list) -> list:
    """Sums whose length is a bare symbol (``\\sum_j`` to n here, to K there) share one."""
    import sympy as sp

    bounds = []
    for v in values:
        if isinstance(v, sp.Basic):
            bounds.append(
                {
                    lim[2]
                    for s in v.atoms(sp.Sum)
                    for lim in s.limits
                    if len(lim) == 3 and isinstance(lim[2], sp.Symbol)
                }
            )
        else:
            bounds.append(set())
    if not all(len(b) <= 1 for b in bounds) or len(set().union(*bounds)) < 2:
        return values
    target = next(iter(next(b for b in bounds if b)))
    others = set().union(*bounds) - {target}
    return [
        v.xreplace({o: target for o in others}) if isinstance(v, sp.Basic) else v for v in values
    ]


def _identity_matrix(value):
    import sympy as sp

    if not isinstance(value, sp.Basic):
        return value
    return value.xreplace({s: sp.Integer(1) for s in value.free_symbols if str(s) == "I"})


def _done(value):
    """``value`` with its derivatives and sums carried out where SymPy can (else as is)."""
    import sympy as sp

    if not isinstance(value, sp.Basic) or not value.has(sp.Derivative, sp.Subs):
        return value
    try:
        return value.doit()
    except (TypeError, ValueError, NotImplementedError, AttributeError):
        return value


def _with_values(a, b, lost: set[str], ctx: Context):
    """``a`` with the values given in the text for ``lost`` put in, compared with ``b``."""
    import sympy as sp

    known = {n: ctx.values[n] for n in lost if n in ctx.values}
    if set(known) != lost:
        return None, f"no value given for {', '.join(sorted(lost - set(known)))}"
    subs = {
        s: known[s.name] for s in a.free_symbols if isinstance(s, sp.Symbol) and s.name in known
    }
    verdict, detail = compare_bounded(a.xreplace(subs), b, ctx)
    shown = ", ".join(f"{k} = {v}" for k, v in sorted(known.items()))
    if verdict is True:
        return True, f"with {shown} given above"
    return None, f"with {shown} given above it does not match"


def _value_claim(sides, pieces, ctx: Context):
    """``f(x, y) = -12`` for an f defined above and x, y given values: its value, checked."""
    import sympy as sp
    from sympy.core.function import AppliedUndef

    if len(sides) != 2 or not isinstance(sides[0], AppliedUndef):
        return None
    known = ctx.lookup(sides[0].func.__name__)
    if known is None or not (isinstance(sides[1], sp.Basic) and sides[1].is_number):
        return None
    value = expand(sides[0], ctx)
    lost = free_names(value)
    cls = Statement.IDENTITY
    if not lost:
        status, detail = _chain([value, sides[1]], ctx, cls)
        return status, f"value of {sides[0]}: {detail}", None, cls, None
    verdict, detail = _with_values(value, sides[1], lost, ctx)
    status = Status.VERIFIED if verdict is True else Status.UNCHECKED
    return status, f"value of {sides[0]}: {detail}", None, cls, None


_SEPARATOR = re.compile(
    r"\\(?:rightarrow|Rightarrow|implies|longrightarrow|qquad|quad)(?![A-Za-z])|\\\\"
)
_ORDER = [
    Status.REFUTED,
    Status.ERROR,
    Status.UNPARSED,
    Status.UNCHECKED,
    Status.VERIFIED,
    Status.OK,
]


def _statements(latex: str) -> list[str]:
    """``f = xy \\rightarrow \\frac{\\partial f}{\\partial x} = y \\quad ...``: the statements."""
    depth, start, pieces, k = 0, 0, [], 0
    while k < len(latex):
        ch = latex[k]
        if ch in "{([":
            depth += 1
        elif ch in "})]":
            depth -= 1
        m = _SEPARATOR.match(latex, k) if ch == "\\" else None
        if m and depth == 0:
            pieces.append(latex[start:k])
            start = k = m.end()
            continue
        k += 2 if ch == "\\" else 1
    pieces.append(latex[start:])
    pieces = [p.strip().rstrip(",").strip() for p in pieces if p.strip().strip(",")]
    if len(pieces) > 1 and sum("=" in p for p in pieces) >= 2:
        return pieces
    return [latex]


def _several(pieces: list[str], found: Found, ctx: Context, sentence: str) -> tuple:
    """Each statement of a row checked in turn; the row's status is the worst of them."""
    from dataclasses import replace

    results, defined = [], None
    for piece in pieces:
        before = dict(ctx.defs)
        # f_a(x) = ax \rightarrow df/dx = a: the f differentiated is the one just defined
        base = defined.split("_")[0] if defined and "_" in defined else None
        if base and re.search(rf"\\frac\{{\s*(d|\\partial)\s*{base}\s*\}}", piece):
            ctx.defs[base] = ctx.defs[defined]
        try:
            results.append(parse_formula(replace(found, latex=piece), ctx, sentence))
        except Unparsed as e:
            results.append((Status.UNPARSED, str(e), None, None, None))
        finally:
            if base and base in before:
                ctx.defs[base] = before[base]
        new = [k for k in ctx.defs if k not in before or ctx.defs[k] is not before.get(k)]
        defined = new[-1] if new else None
    worst = min(results, key=lambda r: _ORDER.index(r[0]))
    message = "; ".join(f"[{k + 1}] {r[1]}" for k, r in enumerate(results))
    registry = next((r[2] for r in results if r[2]), None)
    return worst[0], f"{len(pieces)} statements: {message}", registry, worst[3], worst[4]
