"""Environments inside a formula: matrices (``pmatrix``, ``vmatrix`` ...) and ``cases``.

Also how any environment is opened and closed, which the top level uses for ``align`` and its
relatives. A mixin of the parser (``symml.latex._grammar``).
"""

from __future__ import annotations

import sympy as sp

from symml.latex._lex import conjunction
from symml.latex._limits import MAX_INVERT_SIZE, MAX_MATRIX_ENTRIES


class EnvironmentMixin:
    def env_name(self, peek_only=False):
        k = 1
        if not self.at("{", k):
            self.fail("\\begin without {name}")
        name = ""
        k += 1
        while not self.at("}", k):
            t = self.peek(k)
            if t.kind == "end":
                self.fail("unbalanced braces after \\begin")
            name += t.value
            k += 1
        if not peek_only:
            self.pos += k + 1
        return name

    def end_env(self, name):
        self.expect(r"\end")
        self.expect("{")
        got = ""
        while not self.at("}"):
            t = self.next()
            if t.kind == "end":
                self.fail(f"\\begin{{{name}}} is not closed")
            got += t.value
        self.next()
        if got != name:
            self.fail(f"\\begin{{{name}}} closed by \\end{{{got}}}")

    def parse_environment(self):
        tok = self.peek()
        name = self.env_name()
        if name == "cases":
            value = self._cases()
        elif name in ("matrix", "pmatrix", "bmatrix", "vmatrix", "Vmatrix", "Bmatrix", "array"):
            if name == "array":  # \begin{array}{cc}: the column specification is layout
                self._skip_group()
            rows = self._rows()
            if len(rows) * len(rows[0]) > MAX_MATRIX_ENTRIES:
                self.fail(f"a matrix with more than {MAX_MATRIX_ENTRIES} entries", tok)
            m = sp.ImmutableMatrix(rows)
            if name == "vmatrix":  # beyond 4x4 the expanded determinant is too long to be useful
                value = m.det() if m.rows <= MAX_INVERT_SIZE else sp.Determinant(m)
            else:
                value = m
        else:
            self.fail(f"environment {name} is not supported inside a formula", tok)
        self.end_env(name)
        return value

    def _skip_group(self):
        self.expect("{")
        depth = 0
        while not (self.at("}") and depth == 0):
            if self.peek().kind == "end":
                self.fail("unbalanced braces")
            depth += self.at("{") - self.at("}")
            self.next()
        self.next()

    def _rows(self):
        rows, row = [], []
        while not self.at(r"\end"):
            if self.at("&"):
                self.next()
                continue
            if self.at(r"\\"):
                self.next()
                rows.append(row)
                row = []
                continue
            row.append(self.scalar(self.parse_additive()))
        if row:
            rows.append(row)
        if not rows or len({len(r) for r in rows}) != 1:
            self.fail("a matrix with rows of different lengths")
        return rows

    def _cases(self):
        pieces = []
        while not self.at(r"\end"):
            value = self.scalar(self.parse_additive())
            cond = sp.true
            if self.at("&"):
                self.next()
                cond = self._condition()
            pieces.append((value, cond))
            if self.at(r"\\"):
                self.next()
            elif self.at(","):
                self.next()
        if not pieces:
            self.fail("empty cases")
        return sp.Piecewise(*pieces)

    def _condition(self):
        words = []
        while self.peek().kind == "text":
            t = self.next()
            words.append(t.value.partition("{")[2][:-1].strip())
        if any(w in ("otherwise", "else") for w in words) or (self.at(r"\\") or self.at(r"\end")):
            return sp.true
        cond = self._one_condition()
        while (word := conjunction(self.peek())) is not None:  # x > 0 \text{ and } y > 0
            self.next()
            cond = (sp.And if word == "and" else sp.Or)(cond, self._one_condition())
        return cond

    def _one_condition(self):
        rel = self.parse_relation()
        if hasattr(rel, "as_sympy"):
            return rel.as_sympy()
        if hasattr(rel, "lhs") and not isinstance(rel, sp.Basic):
            return sp.Eq(rel.lhs, rel.rhs)
        self.fail("a cases condition that is not a relation")
