"""The second reader: latex2sympy2 for notation the ML grammar lacks, brought to its meaning.

The grammar is the reader of record. Only a formula it refuses with "unknown command" (general
mathematics it has no rule for, not a syntax error such as ``\\frac{1}{``) comes here. The
formula is split at its top-level relations; each side is read by the grammar if it can, else by
latex2sympy2 (``latex2sympy_isolated``, which restores its global state). Before latex2sympy2
sees a side, bare ``\\log`` becomes ``\\ln`` (symml's ``\\log`` is natural; latex2sympy2's is
base 10). Its result is then brought to symml's meaning, or refused:

- every symbol is renamed by reading its name with the grammar (``x_{0}`` is ``x_0``, ``\\alpha``
  is ``alpha``, ``i`` an integer index), and a name the grammar cannot read is refused;
- the imaginary unit, relations inside a side and ``UnevaluatedExpr`` wrappers are not passed on
  (the first two refused, the last unwrapped);
- notation latex2sympy2 is known to misread is refused before it is asked: transposes
  (``x^{\\top}`` comes back as ``x``), primes (``f'(x)`` as ``f*x``), calls of function-like
  names (``f(x)`` as ``f*x``), vectors and matrices (it has no shapes), ``\\text``.
"""

from __future__ import annotations

import re

import sympy as sp

from symml.errors import ParseError
from symml.latex._lex import Token, tokenize
from symml.latex._names import FUNCTION_COMMANDS, FUNCTION_LIKE, GREEK, RELATIONS

_UNKNOWN = re.compile(r"unknown command (\\[A-Za-z]+)")
_SPLIT_RELATIONS = {"=": "=", "<": "<", ">": ">"}
_SPLIT_COMMANDS = {
    r"\leq": r"\leq",
    r"\le": r"\leq",
    r"\geq": r"\geq",
    r"\ge": r"\geq",
    r"\neq": r"\neq",
    r"\ne": r"\neq",
}
# commands whose meaning latex2sympy2 drops or changes (see design.md)
_MISREAD = {
    r"\top": "a transpose",
    r"\intercal": "a transpose",
    r"\mathbf": "a vector or matrix",
    r"\boldsymbol": "a vector or matrix",
    r"\bm": "a vector or matrix",
    r"\vec": "a vector",
    r"\nabla": "a gradient",
    r"\mathbb": "a blackboard-bold name",
    r"\mathcal": "a calligraphic name",
    r"\partial": "a partial derivative",
}


# The commands latex2sympy2 1.9.1 has a rule for (its lexer's literal names, Greek letters and a
# few regex tokens); a side with any other command is not sent to it: it splits an unknown one
# into pieces (``\\cdotp`` is read as ``\\cdot p``).
_L2S_COMMANDS = frozenset(
    r"""\acute \bar \overline \breve \check \widecheck \dot \ddot \grave \hat \tilde \widetilde
    \overrightarrow \textit \mathbin \mathclap \mathclose \mathellipsis \mathfrak \mathinner
    \mathnormal \mathop \mathopen \mathord \mathpunct \mathrel \mathring \mathrlap \mathrm
    \mathscr \mathsf \mathtt \lgroup \rgroup \{ \} \lbrace \rbrace \lbrack \rbrack \lvert
    \rvert \vert \| \lfloor \rfloor \lceil \rceil \left \right \lim \int \sum \prod \log \ln
    \exp \sin \cos \tan \csc \sec \cot \arcsin \arccos \arctan \arccsc \arcsec \arccot \sinh
    \cosh \tanh \arsinh \arcosh \artanh \arcsinh \arccosh \arctanh \sqrt \floor \ceil \max
    \min \det \times \cdot \div \frac \dfrac \tfrac \binom \dbinom \tbinom \choose \mod \mathit
    \infty \pm \mp \ast \bmod""".split()
)


def unsupported_command(error: ParseError) -> str | None:
    """The command the grammar has no rule for, when that is why it refused; else None."""
    m = _UNKNOWN.match(error.reason or "")
    return m.group(1) if m else None


def second_reading(text: str, kinds: dict[str, str], functions: frozenset[str], grammar, other):
    """``text`` read with latex2sympy2 for what the grammar refused; ParseError if it cannot.

    ``grammar(part)`` is the ML grammar's reading of a part and ``other(part)`` latex2sympy2's
    (``latex2sympy_isolated``); both raise ParseError.
    """
    from symml.latex._relations import Equation, Relation

    tokens = tokenize(text)
    cuts = _top_level_relations(tokens)
    bounds = [0, *[t.col for t, _ in cuts], len(text)]
    parts = []
    for k in range(len(bounds) - 1):
        start = bounds[k] + (len(cuts[k - 1][0].value) if k else 0)
        parts.append(" " * start + text[start : bounds[k + 1]])
    values = [_read_side(p, kinds, functions, grammar, other) for p in parts]
    ops = [op for _, op in cuts]
    if not ops:
        return values[0]
    if ops == ["="]:
        return Equation(values[0], values[1], "=")
    return Relation(tuple(values), tuple(ops))


def _read_side(text: str, kinds, functions, grammar, other):
    if not text.strip():
        raise ParseError("an empty side of a relation", text)
    try:
        return grammar(text)
    except ParseError as e:
        if unsupported_command(e) is None:
            raise
        first = e
    tokens = tokenize(text)
    _refuse_misread(text, tokens, kinds, functions)
    try:
        value = other(_natural_logs(text, tokens).strip())
    except ParseError:
        raise ParseError(
            f"{first.reason}, and latex2sympy2 cannot parse it", text, first.column
        ) from None
    return _to_symml_meaning(value, text, kinds, functions, grammar)


def _top_level_relations(tokens: list[Token]) -> list[tuple[Token, str]]:
    """The relation tokens outside every group, with the operator each one is."""
    depth, cuts = 0, []
    for t in tokens:
        v = t.value
        if t.kind == "op" and v in ("(", "[", "{"):
            depth += 1
        elif t.kind == "op" and v in (")", "]", "}"):
            depth -= 1
        elif t.kind == "cmd" and v in (r"\left", r"\begin"):
            depth += 1
        elif t.kind == "cmd" and v in (r"\right", r"\end"):
            depth -= 1
        elif depth == 0 and t.kind == "op" and v in _SPLIT_RELATIONS:
            cuts.append((t, _SPLIT_RELATIONS[v]))
        elif depth == 0 and t.kind == "cmd" and v in _SPLIT_COMMANDS:
            cuts.append((t, _SPLIT_COMMANDS[v]))
        elif depth == 0 and t.kind == "cmd" and v in RELATIONS:
            raise ParseError(f"the second reader does not read the relation {v}", None)
    return cuts


def _refuse_misread(text, tokens, kinds, functions):
    for k, t in enumerate(tokens):
        why = None
        if t.kind == "cmd" and t.value in _MISREAD:
            why = _MISREAD[t.value]
        elif t.kind == "cmd" and t.value not in _L2S_COMMANDS and t.value[1:] not in GREEK:
            raise ParseError(
                f"unknown command {t.value} (latex2sympy2 has none either)", text, t.col
            )
        elif (
            t.kind == "cmd"
            and t.value in FUNCTION_COMMANDS
            and tokens[k + 1].value not in ("(", "{", r"\left")
            and t.value != r"\log"
            or t.kind == "cmd"
            and t.value == r"\log"
            and tokens[k + 1].value not in ("(", "{", r"\left", "_")
        ):
            why = f"how far the argument of {t.value} without parentheses runs"
        elif t.kind == "op" and t.value == "'":
            why = "a prime"
        elif t.kind == "text":
            why = "a \\text or \\operatorname name"
        elif (
            t.kind == "op"
            and t.value == "^"
            and tokens[k + 1].value in ("T", "{")
            and (tokens[k + 1].value == "T" or tokens[k + 2].value == "T")
        ):
            why = "a transpose"
        elif (
            t.kind == "letter"
            and tokens[k + 1].value == "("
            and not tokens[k + 1].space_before
            and (
                t.value in FUNCTION_LIKE or t.value in functions or kinds.get(t.value) == "function"
            )
        ):
            why = f"a call {t.value}(...)"
        if why is not None:
            raise ParseError(
                f"the formula needs the second reader (latex2sympy2), which misreads {why}",
                text,
                t.col,
            )


def _natural_logs(text: str, tokens: list[Token]) -> str:
    """``\\log`` without a base becomes ``\\ln`` (symml's log is natural, latex2sympy2's base 10);
    ``\\bmod`` becomes the ``\\mod`` latex2sympy2 knows."""
    out, last = [], 0
    for k, t in enumerate(tokens):
        if t.kind == "cmd" and t.value in (r"\log", r"\bmod") and tokens[k + 1].value != "_":
            out.append(text[last : t.col] + (r"\ln" if t.value == r"\log" else r"\mod"))
            last = t.col + len(t.value)
    return "".join(out) + text[last:]


def _to_symml_meaning(value, text, kinds, functions, grammar):
    if not isinstance(value, sp.Basic) or isinstance(value, (sp.Rel, sp.logic.boolalg.Boolean)):
        raise ParseError("the second reader gave a relation or a value symml cannot use", text)
    value = value.replace(lambda e: isinstance(e, sp.UnevaluatedExpr), lambda e: e.args[0])
    if value.has(sp.I):
        raise ParseError(
            "the second reader read i or j as the imaginary unit; symml reads them as indices",
            text,
        )
    renames = {}
    for s in value.atoms(sp.Symbol):
        try:
            ours = grammar(s.name)
        except ParseError:
            raise ParseError(f"the second reader made a symbol {s.name!r}", text) from None
        if not isinstance(ours, (sp.Symbol, sp.Indexed)) or {
            str(x) for x in ours.free_symbols
        } & _shaped(kinds):
            raise ParseError(f"the second reader made a symbol {s.name!r}", text)
        renames[s] = ours
    value = value.xreplace(renames)
    for f in value.atoms(sp.core.function.AppliedUndef):
        raise ParseError(f"the second reader made an unknown function {f.func}", text)
    return value


def _shaped(kinds: dict[str, str]) -> set[str]:
    """Symbols declared as vectors or matrices: the second reader has no shapes."""
    return {
        n
        for n, kind in kinds.items()
        if isinstance(kind, str) and kind.split("[")[0] in ("vector", "matrix")
    }
