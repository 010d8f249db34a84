"""Bounds that keep hostile LaTeX from exhausting the stack, the clock or memory.

Text reaches the parser from users and from documents found on the web. Real formulas are
short, shallow and use small numbers; these limits are far above anything a document needs
and far below what would make SymPy recurse past the stack, compute a number with millions
of digits (``10^{10^{10}}``, ``100000!``) or hand later stages a tree they cannot print.
Each limit, when hit, is a ParseError that names it.

Why refuse ``10^{10^{10}}`` instead of keeping it unevaluated: SymPy evaluates a numeric
power as soon as it meets another number (``2 * 10**(10**10)`` computes the power), so an
unevaluated one is a trap for every later stage.
"""

from __future__ import annotations

from typing import Any

import sympy as sp

#: Groups, fractions, roots, signs and calls inside one another (the recursion depth).
MAX_NESTING = 50
#: ``^``, ``!`` or ``'`` applied one after another to one base (``x!!!!``, ``x^a^b``).
MAX_POSTFIX = 16
#: Depth of the SymPy tree a parse may return (printing and ``diff`` recurse over it).
MAX_TREE_DEPTH = 100
#: Exact numbers: numerator and denominator below 2**MAX_NUMBER_BITS (about 3000 digits).
MAX_NUMBER_BITS = 10_000
#: Digits in one literal number.
MAX_LITERAL_DIGITS = 1_000
#: Largest n whose n! (and binomials of n) symbol computes exactly (1000! < 2**8530).
MAX_FACTORIAL = 1_000
#: Entries of an explicit matrix (\begin{bmatrix} ... \end{bmatrix}).
MAX_MATRIX_ENTRIES = 256
#: Explicit matrices are raised to small integer powers only, and inverted up to this size.
MAX_MATRIX_POWER = 16
MAX_INVERT_SIZE = 4


def _bits(r: sp.Rational) -> int:
    return max(abs(int(r.p)).bit_length(), int(r.q).bit_length())


def number_too_big(value: Any) -> bool:
    """True when ``value`` is an exact number (or has a coefficient) beyond MAX_NUMBER_BITS."""
    if isinstance(value, sp.Rational):
        return _bits(value) > MAX_NUMBER_BITS
    if (
        isinstance(value, (sp.Mul, sp.Add))
        and value.args
        and isinstance(value.args[0], sp.Rational)
    ):
        return _bits(value.args[0]) > MAX_NUMBER_BITS
    return False


def power_too_big(base: Any, exponent: Any) -> bool:
    """True when SymPy would compute an exact number beyond the limit for ``base**exponent``.

    Only numeric bases built from rationals are at risk (``2^{...}``, ``\\sqrt{2}^{...}``,
    ``(2\\pi)^{...}``); ``\\pi^{10^{10}}`` and ``x^{10^{10}}`` stay symbolic and are allowed.
    """
    if not isinstance(exponent, sp.Rational) or not getattr(base, "is_number", False):
        return False
    if not isinstance(base, sp.Basic):
        return False
    # floor(log2) of the largest rational in the base: 0 and +-1 never grow
    growth = max((_bits(r) - 1 for r in base.atoms(sp.Rational)), default=0)
    if isinstance(base, sp.Rational):
        growth = _bits(base) - 1
    return abs(int(exponent.p)) * growth > MAX_NUMBER_BITS * int(exponent.q)


def factorial_too_big(n: Any) -> bool:
    return isinstance(n, sp.Integer) and n > MAX_FACTORIAL


def binomial_too_big(n: Any, k: Any) -> bool:
    """C(n, k) < n**min(k, n-k): refuse when that bound passes the limit."""
    if not (isinstance(n, sp.Integer) and isinstance(k, sp.Integer)) or n <= MAX_FACTORIAL:
        return False
    small = min(int(k), int(n - k))
    return small > 0 and small * int(n).bit_length() > MAX_NUMBER_BITS


def tree_problem(value: Any) -> str | None:
    """Why the parsed value is too deep or holds too large a number, else None.

    Walks the tree without recursion (the point is that it may be deeper than the stack).
    """
    roots = _roots(value)
    stack = [(r, 1) for r in roots]
    seen: dict[int, int] = {}  # a shared subtree is walked again only when met deeper
    while stack:
        node, depth = stack.pop()
        if depth > MAX_TREE_DEPTH:
            return f"the formula is nested too deeply (more than {MAX_TREE_DEPTH} levels)"
        if isinstance(node, sp.Rational) and _bits(node) > MAX_NUMBER_BITS:
            return f"a number too large to compute with exactly (more than {MAX_NUMBER_BITS} bits)"
        if seen.get(id(node), 0) >= depth:
            continue
        seen[id(node)] = depth
        args = getattr(node, "args", ())
        if isinstance(args, tuple):
            stack.extend((a, depth + 1) for a in args if isinstance(a, sp.Basic))
    return None


def _roots(value) -> list:
    """The SymPy parts of an Equation, Relation or Aligned (or the value itself)."""
    out, todo = [], [value]
    while todo:
        v = todo.pop()
        if isinstance(v, sp.Basic):
            out.append(v)
        elif hasattr(v, "items") and isinstance(v.items, tuple):
            todo.extend(v.items)
        elif hasattr(v, "parts"):
            todo.extend(v.parts)
        elif hasattr(v, "lhs") and hasattr(v, "rhs"):
            todo.extend((v.lhs, v.rhs))
    return out
