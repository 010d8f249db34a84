"""Atoms: numbers, groups, delimiters and norms, roots, and the dispatch on a command.

A mixin of the parser (``symml.latex._grammar``); it uses the parser's ``peek/next/expect/fail``,
its value helpers (``mul``, ``scalar``, ``symbol``) and the other mixins through ``self``.
"""

from __future__ import annotations

import sympy as sp
from sympy.matrices.expressions.matexpr import MatrixExpr

from symml.latex._base import AUTO_DIM_PREFIX, OPENERS, Vec
from symml.latex._limits import MAX_NESTING, binomial_too_big
from symml.latex._names import (
    ACCENTS,
    FONT_COMMANDS,
    FUNCTION_COMMANDS,
    GREEK,
    GREEK_ALIASES,
    NAMED_OPERATORS,
    VECTOR_ACCENTS,
)


class GradientVector(MatrixExpr):
    """\\nabla_\\theta J in a formula with matrices: a column vector of the parameter's size."""

    def __new__(cls, body, wrt, rows):
        return MatrixExpr.__new__(cls, sp.sympify(body), sp.sympify(wrt), sp.sympify(rows))

    @property
    def shape(self):
        return (self.args[2], sp.Integer(1))

    def _latex(self, printer):
        return rf"\\nabla_{{{printer._print(self.args[1])}}} {printer._print(self.args[0])}"


class AtomMixin:
    def parse_atom(self):
        """One atom; every nested group passes here, so this is where depth is bounded."""
        self.depth += 1
        try:
            if self.depth > MAX_NESTING:
                self.fail(f"nesting is too deep (more than {MAX_NESTING} levels)")
            return self._atom()
        finally:
            self.depth -= 1

    def _atom(self):  # noqa: C901  (a dispatch on the token)
        t = self.peek()
        if t.kind == "num":
            self.next()
            return sp.Rational(t.value) if "." in t.value else sp.Integer(t.value)
        if t.kind == "letter":
            return self.parse_letter()
        if t.kind == "text":
            return self.parse_text_name()
        if t.kind == "op":
            if t.value in ("(", "[", "{"):
                self.next()
                return self.parse_group_body("}" if t.value == "{" else OPENERS[t.value])
            if t.value in ("|", "||"):
                self.next()
                return self.parse_delimited(t.value)
            self.fail(f"unexpected {t.value!r}")
        if t.kind == "end":
            self.fail("unexpected end of the formula")
        v = t.value
        name = v.lstrip("\\")
        if name in GREEK:
            return self.parse_name_atom(GREEK_ALIASES.get(name, name), t)
        if (
            v in ACCENTS
            or v in VECTOR_ACCENTS
            or v in FONT_COMMANDS
            or v in (r"\mathcal", r"\mathbb")
        ):
            return self.parse_accented()
        if v in (r"\frac", r"\dfrac", r"\tfrac", r"\cfrac"):
            return self.parse_frac()
        if v == r"\sqrt":
            return self._sqrt()
        if v == r"\left":
            self.next()
            opener = self.next()
            if opener.value not in OPENERS:
                self.fail(f"unknown delimiter after \\left: {opener.value!r}", opener)
            if opener.value in ("(", "[", r"\{", r"\langle"):
                return self.parse_group_body(OPENERS[opener.value], right=True)
            return self.parse_delimited(opener.value, right=True)
        if v in OPENERS:  # \| \lVert \lvert \{ ...
            self.next()
            if v in (r"\{", r"\langle"):
                return self.parse_group_body(OPENERS[v])
            return self.parse_delimited(v)
        if v in (r"\sum", r"\prod"):
            return self.parse_big_operator(v)
        if v in (r"\int", r"\iint", r"\oint"):
            return self.parse_integral()
        if v in FUNCTION_COMMANDS:
            return self.parse_function_command()
        if v == r"\arg":
            self.next()
            op = self.next()
            if op.value not in (r"\max", r"\min"):
                self.fail("\\arg must be followed by \\max or \\min", op)
            return self.parse_named_operator("ArgMax" if op.value == r"\max" else "ArgMin")
        if v in NAMED_OPERATORS:
            self.next()
            if v in (r"\max", r"\min") and (self.at("(") or self.at(r"\left")):
                args = self.parse_call_args()
                return (sp.Max if v == r"\max" else sp.Min)(*[self.scalar(a) for a in args])
            return self.parse_named_operator(NAMED_OPERATORS[v])
        if v == r"\infty":
            self.next()
            return sp.oo
        if v == r"\imaginaryunit":  # the explicit imaginary unit (i and j stay indices)
            self.next()
            return sp.I
        if v in (r"\emptyset", r"\varnothing"):
            self.next()
            return sp.S.EmptySet
        if v == r"\nabla":
            return self._nabla()
        if v == r"\begin":
            return self.parse_environment()
        if v in (r"\binom", r"\dbinom", r"\tbinom"):
            self.next()
            n = self.scalar(self.parse_arg())
            k = self.scalar(self.parse_arg())
            if binomial_too_big(n, k):
                self.fail("a binomial coefficient too large to compute with exactly")
            return sp.binomial(n, k)
        if v == r"\partial":  # \partial{L_i} / \partial{f_j} (else refused there)
            return self.parse_inline_partial()
        if v in (r"\underbrace", r"\overbrace"):
            return self.parse_brace_label()
        if v in (r"\forall", r"\exists", r"\nexists"):
            self.refuse_quantifier()
        if v in (r"\cdots", r"\ldots", r"\dots", r"\vdots", r"\ddots"):
            self.next()
            return sp.Function("Ellipsis")()
        if v == r"\operatorname*":
            self.next()  # the error points at the name after it
        self.fail(f"unknown command {v}")

    def _sqrt(self):
        self.next()
        index = None
        if self.at("["):
            self.next()
            index = self.parse_group_body("]")
        arg = self.scalar(self.parse_arg())
        return sp.sqrt(arg) if index is None else sp.root(arg, self.scalar(index))

    def _nabla(self):
        start = self.pos
        self.next()
        wrt = None
        if self.at("_"):
            self.next()
            wrt = self.scalar(self.parse_arg())
        # the whole implicit product after it, as for \frac{d}{dx}: \nabla_x \frac{1}{2}x^2
        body = self.scalar(self.derivative_operand(start, "\\nabla"))
        if self.matrix_mode and wrt is not None:
            rows = (
                wrt.shape[0]
                if isinstance(wrt, MatrixExpr)
                else self.auto_dim(f"{AUTO_DIM_PREFIX}{wrt}_rows")
            )
            return GradientVector(body, wrt, rows)
        grad = sp.Function("Grad")
        return grad(body, wrt) if wrt is not None else grad(body)

    def parse_group_body(self, closer: str, right: bool = False):
        self.closers.append(closer)
        try:
            if self.at(closer) or (right and self.at(r"\right")):
                self.fail("empty group")
            inner = self.parse_relation()
            if self.at(","):  # a tuple: (x, y)
                items = [inner]
                while self.at(","):
                    self.next()
                    items.append(self.parse_relation())
                inner = sp.Tuple(*[self.scalar(x) for x in items])
        finally:
            self.closers.pop()
        if right:
            self.expect(r"\right")
            closing = self.next()
            if closing.value not in (closer, ".", ")", "]", r"\}", "|"):
                self.fail(f"\\right{closing.value} does not close \\left", closing)
        else:
            self.expect(closer)
        return inner

    def parse_delimited(self, opener: str, right: bool = False):
        closer = OPENERS[opener]
        self.closers.append(closer)
        try:
            inner = self.parse_additive()
        finally:
            self.closers.pop()
        if right:
            self.expect(r"\right")
            self.next()
        else:
            if closer == "|" and self.at("||"):  # |x||y|: one | closes, the next opens
                t = self.peek()
                bar = type(t)
                self.toks = [  # a copy: restarts share the token list
                    *self.toks[: self.pos],
                    bar("op", "|", t.col, t.space_before),
                    bar("op", "|", t.col + 1, False),
                    *self.toks[self.pos + 1 :],
                ]
            self.expect(closer)
        if opener in ("|", r"\lvert"):
            if isinstance(inner, Vec):
                return self.norm(inner)
            if isinstance(inner, MatrixExpr) and inner.shape != (1, 1):
                return sp.Determinant(inner)
            return sp.Abs(self.scalar(inner))
        if opener in ("||", r"\|", r"\lVert"):
            if self.at("_"):  # \|x\|_1, ||x||_p
                self.next()
                p = self.scalar(self.parse_arg())
                return self.norm(inner, p)
            return self.norm(inner)
        if opener == r"\lceil":
            return sp.ceiling(self.scalar(inner))
        if opener == r"\lfloor":
            return sp.floor(self.scalar(inner))
        return inner

    def norm(self, v, p=None):
        if isinstance(v, Vec) and not v.transposed:
            j = sp.Symbol("j" if "j" not in {str(x) for x in v.index} else "k", integer=True)
            comp = sp.Indexed(sp.IndexedBase(v.name), *v.index, j)
            n = self.dim_of(v.name)
            if p is None or p == 2:
                return sp.sqrt(sp.Sum(comp**2, (j, 1, n)))
            if p == 1:
                return sp.Sum(sp.Abs(comp), (j, 1, n))
            return sp.Sum(sp.Abs(comp) ** p, (j, 1, n)) ** (1 / p)
        if isinstance(v, MatrixExpr) and v.shape[1] == 1 and (p is None or p == 2):
            return sp.sqrt((v.T * v)[0, 0])
        norm = sp.Function("Norm")
        return norm(self.scalar(v)) if p is None else norm(self.scalar(v), p)

    def parse_arg(self):
        """One TeX argument: {group} or a single token (\\frac12, x^2, \\sqrt x)."""
        t = self.peek()
        if self.at("{"):
            self.next()
            return self.parse_group_body("}")
        if t.kind == "num":
            self.next()
            if len(t.value) > 1 and "." not in t.value:
                # "\frac12" is one half: TeX takes a single digit as the argument
                self.pos -= 1
                rest = type(t)("num", t.value[1:], t.col + 1, False)
                # a copy: the parses that a restart makes share the token list (editing it in
                # place read \frac12 x as 2/x after a restart)
                self.toks = [*self.toks[: self.pos], rest, *self.toks[self.pos + 1 :]]
                return sp.Integer(t.value[0])
            return sp.Rational(t.value)
        if t.kind == "letter":
            self.next()
            return self.symbol(t.value) if t.value not in self.bound else self.bound[t.value]
        return self.parse_atom()
