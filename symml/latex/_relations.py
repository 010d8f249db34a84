"""What a formula can be besides an expression: an equation, a chain of relations, several rows.

Values only; the grammar (``symml.latex._grammar``) builds them.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from symml.latex._names import RELATIONS


@dataclass(frozen=True)
class Equation:
    """``lhs = rhs`` (or ``lhs := rhs``) as written; symml never solves it."""

    lhs: object
    rhs: object
    op: str = "="

    def __iter__(self):
        return iter((self.lhs, self.rhs))


@dataclass(frozen=True)
class Relation:
    """A chain ``a op b op c`` (``0 \\leq JS \\leq \\log 2``); ``ops`` has one entry fewer."""

    parts: tuple
    ops: tuple

    def as_sympy(self) -> sp.Basic:
        """The chain as SymPy relationals (``And`` of them) where both sides are scalars."""
        pairs = zip(self.parts, self.parts[1:], strict=False)
        rels = [_relational(a, op, b) for (a, b), op in zip(pairs, self.ops, strict=False)]
        return rels[0] if len(rels) == 1 else sp.And(*rels)


@dataclass(frozen=True)
class Aligned:
    """Several equations or relations: an ``align`` block or ``a = b, \\quad c = d``."""

    items: tuple


def _relational(a, op, b):
    table = {
        "<": sp.StrictLessThan,
        ">": sp.StrictGreaterThan,
        r"\leq": sp.LessThan,
        r"\geq": sp.GreaterThan,
        r"\neq": sp.Ne,
        "=": sp.Eq,
    }
    if op in table:
        return table[op](a, b, evaluate=False)
    return sp.Function(RELATIONS.get(op, "Rel"))(a, b)
