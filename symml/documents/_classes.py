"""What a formula states, from its parsed sides and the sentence before it.

:func:`classify_relation` and :func:`classify_equation` give the
:class:`~symml.documents._model.Statement` of a relation (``\\lambda > 0``) or an equation
(``k_h = k_w = 4``) and, for an equation, how many of its leading sides are names being
given a value. :func:`decimal_digits` reads a decimal as written (``0.272``: 3 significant
digits) so that a value rounded to the digits shown is verified and not refuted.

Only claims can be refuted. A condition (``\\lambda > 0``, ``t \\geq 1``, anything after
"for", "if", "where"), an assumption (after "assume", "suppose"), an assignment
(``k_h = k_w = 4``, ``\\mu_X = \\mu_Y = 0``), an update rule (``\\theta = \\theta - \\alpha
g``, ``z_t = z_{t-1} - ...``) and notation (a bare symbol, an interval, a set) are not.
"""

from __future__ import annotations

import re
from typing import Any

from symml.documents._model import Statement

__all__ = ["classify_equation", "classify_relation", "decimal_digits", "is_name", "notation"]

_APPROX_OPS = {r"\approx", r"\sim", r"\simeq", r"\propto", r"\cong", r"\asymp", r"\thickapprox"}
_SET_OPS = {r"\in", r"\notin", r"\subset", r"\subseteq", r"\supset", r"\supseteq", r"\ni"}
_UPDATE_TEXT = re.compile(r"\\leftarrow|\\gets|\\mapsfrom|\+=|-=|\*=")
_DECIMAL = re.compile(r"^\s*([-+]?)(\d*)\.(\d+)\s*(\\%|%)?\s*$")
_SCIENTIFIC = re.compile(
    r"^\s*[-+]?(\d+)(?:\.(\d+))?\s*(?:\\times|\\cdot|\*)\s*10\^\{?\s*([-+]?\d+)\s*\}?\s*$"
)


def is_name(value: Any) -> bool:
    """A bare name: a symbol, an entry ``x_i``, a matrix symbol, ``\\sigma^2``."""
    import sympy as sp

    if isinstance(value, (sp.Symbol, sp.Indexed, sp.MatrixSymbol, sp.IndexedBase)):
        return True
    return isinstance(value, sp.Pow) and isinstance(value.base, sp.Symbol) and value.exp == 2


def _is_atom(value: Any) -> bool:
    import sympy as sp

    return isinstance(value, (sp.Symbol, sp.Indexed, sp.MatrixSymbol))


def _is_number(value: Any) -> bool:
    import sympy as sp

    return (
        isinstance(value, sp.Basic)
        and not isinstance(value, sp.MatrixExpr)
        and (value.is_number is True)
    )


def notation(value: Any, latex: str) -> str | None:
    """What kind of notation a lone expression is (symbol, interval, set, space), or None."""
    import sympy as sp

    text = latex.strip()
    if is_name(value):
        return "a symbol"
    if isinstance(value, sp.Tuple) or re.match(r"^\s*(\\left)?[(\[].*,.*[)\]]\s*$", text):
        return "an interval or tuple"
    if text.startswith(("\\{", "\\left\\{", "\\lbrace")):
        return "a set"
    if type(value).__name__ in ("Space",) or text.startswith("\\mathbb"):
        return "a space"
    if _is_number(value) and re.fullmatch(r"[-+]?\d+(\.\d+)?", text):
        return "a number"
    if isinstance(value, sp.Basic) and not value.free_symbols and not value.atoms(sp.Function):
        return None
    return None


def classify_relation(parts: list, ops: tuple, lead: tuple[str, str] | None) -> Statement:
    """A relation ``a < b`` (chained or not): a property to check, or a condition."""
    if any(op in _APPROX_OPS for op in ops):
        return Statement.APPROXIMATION
    if any(op in _SET_OPS for op in ops):
        return Statement.NOTATION  # x \in R^n, y_i \in {1..K}: a declaration
    if all(op == r"\neq" for op in ops):
        return Statement.CONDITION  # i \neq j, r_1 \neq r_2: distinct, as chosen
    if lead is not None and lead[0] in ("condition", "assumption", "let", "assignment"):
        return Statement.ASSUMPTION if lead[0] == "assumption" else Statement.CONDITION
    # lambda > 0, t >= 1, 0 < beta < 1, i != j: a bound on a named quantity says what it may
    # be, not what it is; a property compares expressions (x^2 >= 0, KL(P||Q) >= 0)
    if all(_is_atom(p) or _is_number(p) for p in parts):
        return Statement.CONDITION
    return Statement.PROPERTY


def _base(value: Any) -> str | None:
    """The name a subscripted quantity belongs to: ``z`` of ``z_{t-1}``, ``x`` of ``x[t+1]``."""
    import sympy as sp

    if isinstance(value, sp.Indexed):
        return str(value.base.label)
    if isinstance(value, sp.MatrixSymbol):
        value = sp.Symbol(value.name)
    if isinstance(value, sp.Symbol):
        return value.name.split("_")[0]
    return None


def _recurrence(head: Any, body: Any) -> bool:
    """``x_{t+1} = x_t - ...``, ``m_t = beta m_{t-1} + ...``: the same quantity, earlier."""
    import sympy as sp

    if not isinstance(body, sp.Basic):
        return False
    if head in getattr(body, "free_symbols", ()):
        return True  # theta = theta - alpha g
    base, name = _base(head), getattr(head, "name", str(head))
    if base is None or "_" not in name:
        return False
    time = re.compile(r"(^|_)(t|k|n|s|i|l|tau)(_(plus|minus)_\d+)?$")
    if not time.search(name):
        return False
    for sym in body.free_symbols | {ix for ix in body.atoms(sp.Indexed)}:
        other = getattr(sym, "name", None) or str(getattr(sym, "base", sym))
        if other != name and _base(sym) == base and time.search(other):
            return True
    return False


def classify_equation(
    sides: list,
    pieces: list[str],
    lead: tuple[str, str] | None,
    latex: str,
    is_head,
) -> tuple[Statement, int]:
    """(class, number of leading sides that are names being given the value that follows).

    ``is_head(side)`` says whether a side is the left side of a definition (``f(x)``,
    ``L``, ``\\sigma^2``) that is not yet defined.
    """
    if lead is not None and lead[0] == "assumption":
        return Statement.ASSUMPTION, 0
    if lead is not None and lead[0] == "solve":
        return Statement.EQUATION, 0
    if lead is not None and lead[0] == "condition" and lead[1] not in ("where", "with"):
        return Statement.CONDITION, 0
    if _UPDATE_TEXT.search(latex):
        return Statement.UPDATE, 1
    heads = 0
    while heads < len(sides) - 1 and is_head(sides[heads]):
        heads += 1
    if heads:
        body = sides[heads]
        if _recurrence(sides[0], body):
            return Statement.UPDATE, heads
        if all(is_name(s) for s in sides[:heads]) and (
            _is_number(body) or is_name(body) or (heads > 1 and _simple(body))
        ):
            return Statement.ASSIGNMENT, heads
        return Statement.DEFINITION, heads
    if lead is not None and lead[0] == "condition":
        return Statement.CONDITION, 0  # "where a + b = c": a constraint, not a claim
    return (Statement.DERIVATION if len(sides) > 2 else Statement.IDENTITY), 0


def _simple(value: Any) -> bool:
    """Arithmetic of names and numbers (``p_o / h``): a value written down, not a formula."""
    import sympy as sp

    if not isinstance(value, sp.Expr):
        return False
    return not value.atoms(sp.Function) and sp.count_ops(value) <= 3


def decimal_digits(text: str) -> tuple[float, int, int] | None:
    """A decimal as written: (value, significant digits, decimal places), else None.

    Examples:
        >>> decimal_digits("0.272"), decimal_digits("0.0013"), decimal_digits("x")
        ((0.272, 3, 3), (0.0013, 2, 4), None)
        >>> decimal_digits("4.54 \\\\times 10^{-5}")
        (4.54e-05, 3, 7)
    """
    m = _DECIMAL.match(text)
    if not m:
        sci = _SCIENTIFIC.match(text)
        if not sci or sci.group(2) is None:
            return None
        # 4.54 \times 10^{-5}: three significant digits, seven places
        whole, frac, exponent = sci.group(1), sci.group(2), int(sci.group(3))
        digits = (whole + frac).lstrip("0") or "0"
        sign = -1.0 if text.strip().startswith("-") else 1.0
        value = sign * float(f"{whole}.{frac}e{exponent}")
        return value, len(digits), max(0, len(frac) - exponent)
    sign, whole, frac, percent = m.groups()
    digits = (whole + frac).lstrip("0") or "0"
    value = float(f"{sign}{whole or '0'}.{frac}") / (100 if percent else 1)
    places = len(frac) + (2 if percent else 0)
    return value, len(digits), places


_INTEGER = re.compile(r"^\s*[-+]?\d+\s*$")


def last_unit(text: str) -> float | None:
    """How far a value may be from a number written after ``\\approx``: one unit in the last
    digit of a decimal, half of one for an integer (its rounded value); else None.

    Examples:
        >>> last_unit("3.14"), last_unit("4.45 \\\\times 10^{-5}"), last_unit("12"), last_unit("x")
        (0.01, 1e-07, 0.5, None)
        >>> last_unit("22000")
        500.0
    """
    written = decimal_digits(text)
    if written is not None:
        return 10.0 ** -written[2]
    m = _SCIENTIFIC.match(text)
    if m:
        return 10.0 ** (int(m.group(3)) - len(m.group(2) or ""))
    if _INTEGER.match(text):
        # an integer is the rounded value (pi is not approximately 4): half a unit; 22000 is
        # to the thousand (trailing zeros are not digits shown)
        digits = text.strip().lstrip("+-")
        zeros = len(digits) - len(digits.rstrip("0")) if digits.strip("0") else 0
        return 0.5 * 10.0**zeros
    return None
