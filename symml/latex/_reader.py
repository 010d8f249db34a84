"""LaTeX to SymPy with the meaning an ML reader intends.

symml parses with its own grammar (``symml.latex._grammar``): ``\\log`` is the natural log,
``i`` and ``j`` are indices, ``X^T`` keeps its transpose, ``f'(x)`` is a derivative,
``P(x \\mid \\theta)`` a conditional. What cannot be given a meaning is a ``ParseError`` with
the column, never a silent guess.

What the grammar refuses as notation it has no rule for (``unknown command``, not a syntax
error) goes to the second reader, latex2sympy2 (``symml.latex._fallback``), and its reading is
brought to symml's meaning or refused; ``parse_with_reader`` says which reader answered. This
is the only module that imports latex2sympy2: ``latex2sympy_isolated`` restores the library's
module state after every call, under a lock (it leaks ``i``/``j`` as the imaginary unit, stored
equation values and a broken ``var`` dict between calls).

Examples:
    >>> from symml.latex._reader import parse_latex
    >>> parse_latex(r"\\log x")
    log(x)
    >>> parse_latex(r"\\sigma(x) = \\frac{1}{1 + e^{-x}}").rhs
    1/(1 + exp(-x))
"""

from __future__ import annotations

import copy
import re
import sys
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from symml.errors import ParseError


@dataclass(frozen=True)
class ParseResult:
    """A parsed formula and the reader that gave it its meaning.

    ``reader`` is ``"symml"`` (the ML grammar, the reader of record) or ``"latex2sympy2"`` (the
    second reader, for general notation the grammar has no rule for, brought to symml's meaning).
    """

    value: Any
    reader: str


def parse_with_reader(
    text: str, symbols: Mapping[str, str] | None = None, functions: Iterable[str] | None = None
) -> ParseResult:
    """Parse like :func:`parse_latex`, and say which reader produced the result.

    Examples:
        >>> parse_with_reader(r"\\log 2x")
        ParseResult(value=log(2*x), reader='symml')
    """
    from symml.errors import SymmlError

    try:
        return _read(text, symbols, functions)
    except SymmlError:
        raise  # ParseError, and timeouts the caller's bounds raise, pass as they are
    except Exception as e:  # noqa: BLE001  (last resort: no internal error escapes a parse)
        shown = text if isinstance(text, str) else None
        raise ParseError(
            f"internal error reading this formula ({type(e).__name__}: {e})", shown
        ) from e


def _read(text, symbols, functions) -> ParseResult:
    from symml.latex._fallback import second_reading, unsupported_command
    from symml.latex._grammar import parse

    kinds = dict(symbols or {})
    names = frozenset(functions or ())
    try:
        return ParseResult(_grammar_reading(text, kinds, names), "symml")
    except ParseError as e:
        if not isinstance(text, str) or unsupported_command(e) is None:
            raise
        first = e
    stripped = _strip_delimiters(text)
    try:
        value = second_reading(
            stripped, kinds, names, lambda part: parse(part, kinds, names), latex2sympy_isolated
        )
    except ParseError as e:
        column = e.column if e.column is not None else first.column
        raise ParseError(f"{e.reason} (the second reader)", text, column) from None
    return ParseResult(value, "latex2sympy2")


def parse_latex(
    text: str, symbols: Mapping[str, str] | None = None, functions: Iterable[str] | None = None
) -> Any:
    """Parse LaTeX math into SymPy.

    Args:
        text: one formula; ``$``/``$$`` delimiters and a trailing period are allowed.
        symbols: declared kinds by name (``{"X": "matrix", "w": "vector", "p": "probability"}``).
        functions: extra names that are applied as functions when followed by ``(``.

    Returns:
        A SymPy expression, an ``Equation`` (``A = B``), a ``Relation`` chain, or ``Aligned``.

    Raises:
        ParseError: with the input and the column of the problem.
    """
    return parse_with_reader(text, symbols, functions).value


def _grammar_reading(text: str, symbols: Mapping[str, str], functions: Iterable[str]) -> Any:
    """The ML grammar's reading of ``text`` (delimiters stripped, errors quote ``text``)."""
    from symml.latex._grammar import parse
    from symml.latex._lex import check_length

    if not isinstance(text, str):
        raise ParseError(f"expected LaTeX text, got {type(text).__name__}")
    check_length(text)
    stripped = _strip_delimiters(text)
    if not stripped.strip():
        raise ParseError("empty formula", text, 0)
    kinds = dict(symbols or {})
    for name in constants_differentiated(stripped):
        kinds.setdefault(name, "scalar")  # d/de (1/2) e^2: e is the variable, not Euler's
    try:
        return parse(stripped, kinds, frozenset(functions or ()))
    except ParseError as e:
        if e.text != stripped:
            raise
        raise ParseError(e.reason, text, e.column) from None  # quote what the user wrote


#: A derivative by e or pi: \frac{d}{de}, \frac{\partial L}{\partial e}, \partial_e, d\pi.
_BY_CONSTANT = re.compile(r"(?:\\partial|\bd)\s*(_\{?\s*)?(e|\\pi)(?![A-Za-z^])")
_DENOMINATOR = re.compile(r"\}\s*\{\s*$")


def constants_differentiated(text: str) -> set[str]:
    """``e`` and ``pi`` where the formula differentiates by them: there they are variables.

    Only a denominator (``}{de}``, ``}{\\partial e}``) or a subscript (``\\partial_e``) names the
    variable; the numerator's ``d e^x`` is a differential of the exponential.

    Examples:
        >>> sorted(constants_differentiated(r"\frac{d}{de} \frac{1}{2} e^2"))
        ['e']
        >>> constants_differentiated(r"\frac{d e^x}{dx}")
        set()
    """
    names = set()
    for m in _BY_CONSTANT.finditer(text):
        if m.group(1) or _DENOMINATOR.search(text[: m.start()]):
            names.add("e" if m.group(2) == "e" else "pi")
    return names


def _strip_delimiters(text: str) -> str:
    """``text`` without its ``$``/``$$``/``\\[``/``\\(`` delimiters and a trailing ``\\\\``.

    Delimiters become spaces rather than being cut, so a column in the result is the same
    column of ``text`` (errors point into what the user wrote).
    """
    start, end = 0, len(text)
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    s = text[start:end]
    for left, right in (("$$", "$$"), (r"\[", r"\]"), (r"\(", r"\)"), ("$", "$")):
        if s.startswith(left) and s.endswith(right) and len(s) >= len(left) + len(right):
            start, end = start + len(left), end - len(right)
            break
    inner = text[start:end].rstrip()
    if inner.endswith("\\\\"):
        end = start + len(inner) - 2
    return " " * start + text[start:end]


# --------------------------------------------------------------------- latex2sympy2 wrapper
_L2S_LOCK = threading.Lock()
_L2S_STATE_NAMES = ("var", "variances", "VARIABLE_VALUES", "is_real")


def _install_typing_io_shim() -> None:
    """ANTLR 4.7.2 does ``from typing.io import TextIO``; Python 3.13 removed typing.io."""
    if "typing.io" in sys.modules:
        return
    try:
        import typing.io  # noqa: F401
    except ImportError:
        import types
        import typing

        shim = types.ModuleType("typing.io")
        shim.TextIO = typing.TextIO
        shim.BinaryIO = typing.BinaryIO
        shim.IO = typing.IO
        sys.modules["typing.io"] = shim


def _latex2sympy_module():
    _install_typing_io_shim()
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import latex2sympy2
    return latex2sympy2


def latex2sympy_isolated(text: str) -> Any:
    """latex2sympy2's own reading of ``text``, with its global state restored afterwards.

    This is the baseline parser (its semantics, not symml's). Any failure is a ParseError.
    """
    mod = _latex2sympy_module()
    with _L2S_LOCK:
        saved = {n: copy.copy(getattr(mod, n)) for n in _L2S_STATE_NAMES if hasattr(mod, n)}
        try:
            return mod.latex2sympy(text)
        except Exception as e:  # noqa: BLE001  (third-party parser: wrap every failure)
            raise ParseError(
                f"latex2sympy2 cannot parse this: {type(e).__name__}: {e}", text
            ) from e
        finally:
            for n, v in saved.items():
                setattr(mod, n, v)
