"""Notation of course notes: indicators, inline partial ratios, bracketed operators, braces.

``\\mathbb{1}(x < 0)``, ``\\mathbb{1}_{y_i = k}`` and ``\\mathbf{1}\\{y_i = k\\}`` are the
indicator of the condition (``Piecewise((1, cond), (0, True))``); ``\\partial{L_i} /
\\partial{f_j}`` is the derivative of ``L_i`` by ``f_j``; ``\\mathrm{Var}[X]`` and
``D_{KL}[p || q]`` are the operator applied to what the brackets hold (as with parentheses);
``\\underbrace{body}_{label}`` is its body. Quantifiers (``\\forall``, ``\\exists``) are refused by
name. A mixin of the parser (``symml.latex._grammar``).
"""

from __future__ import annotations

import sympy as sp

from symml.latex._base import Vec

# Names that take their argument in brackets as well as in parentheses: Var[X], KL[p || q].
BRACKET_OPERATORS = frozenset({"Var", "Cov", "Corr", "Cor", "KL", "D_KL", "JS", "D_JS", "H"})
QUANTIFIERS = {r"\forall": "for all", r"\exists": "there exists", r"\nexists": "there is no"}


class NotationMixin:
    # ------------------------------------------------------------------ indicators
    def at_indicator_condition(self) -> bool:
        """After ``\\mathbb{1}`` / ``\\mathbf{1}``: does a condition follow (``(`` or ``\\{``)?"""
        if self.at(r"\left"):
            return self.peek(1).value in ("(", r"\{")
        return self.at("(") or self.at(r"\{")

    def parse_indicator(self, tok=None):
        """The indicator of the condition after ``\\mathbb{1}``: 1 where it holds, else 0."""
        if self.at("_"):
            self.next()
            cond = self.condition(self._indicator_group())
        else:
            right = self.at(r"\left")
            if right:
                self.next()
            opener = self.next().value
            closer = ")" if opener == "(" else r"\}"
            self.closers.append(closer)
            try:
                cond = self.condition(self.parse_relation())
            finally:
                self.closers.pop()
            if right:
                self.expect(r"\right")
            self.expect(closer)
        return sp.Piecewise((sp.Integer(1), cond), (sp.Integer(0), True))

    def _indicator_group(self):
        if self.at("{"):
            self.next()
            value = self.parse_relation()
            self.expect("}")
            return value
        return self.parse_arg()

    def condition(self, value):
        """A parsed relation as a SymPy boolean (``y_i = k`` is ``Eq(y_i, k)``), else refused."""
        from symml.latex._relations import Equation, Relation

        if isinstance(value, Equation):
            return sp.Eq(self.scalar(value.lhs), self.scalar(value.rhs), evaluate=False)
        if isinstance(value, Relation):
            rel = value.as_sympy()
            if isinstance(rel, (sp.core.relational.Relational, sp.And)):
                return rel
        if isinstance(value, (sp.core.relational.Relational, sp.logic.boolalg.Boolean)):
            return value
        self.fail("an indicator \\mathbb{1}(...) needs a condition (x < 0, y_i = k)")

    # ------------------------------------------------------------------ inline derivatives
    def parse_inline_partial(self):
        """``\\partial{L_i} / \\partial{f_j}``, ``\\partial L / \\partial w``: a derivative."""
        tok = self.next()  # \partial
        if self.at("/") or self.peek().kind == "end":
            self.fail("\\partial outside a derivative \\frac{\\partial ...}{\\partial ...}", tok)
        body = self.scalar(self.parse_postfix(self.parse_atom()))
        if not (self.at("/") and self.at(r"\partial", 1)):
            self.fail("\\partial outside a derivative \\frac{\\partial ...}{\\partial ...}", tok)
        self.next()
        self.next()
        var = self.scalar(self.parse_postfix(self.parse_atom()))
        if not isinstance(var, (sp.Symbol, sp.Indexed, sp.MatrixSymbol)):
            self.fail(f"the variable of \\partial .../\\partial {var} is not a name", tok)
        return sp.Derivative(body, var)

    # ------------------------------------------------------------------ brackets
    def at_bracket_call(self, full: str, multi: bool) -> bool:
        return (
            (multi or "_" in full)
            and full in BRACKET_OPERATORS
            and (self.at("[") or (self.at(r"\left") and self.at("[", 1)))
        )

    def parse_bracket_args(self):
        """``[X]``, ``[p || q]``, ``[X, Y]`` after an operator name -> the list of arguments."""
        right = self.at(r"\left")
        if right:
            self.next()
        self.expect("[")
        self.closers.append("arg")
        args = []
        try:
            while True:
                if self.at("]"):
                    self.fail("an empty argument")
                value = self.parse_relation()
                if self.at("|") or self.at(r"\mid"):
                    self.next()
                    given = self.parse_relation()
                    value = sp.Function("Given")(self._arg(value), self._arg(given))
                args.append(value)
                if self.at(",") or self.at(";") or self.at("||") or self.at(r"\|"):
                    self.next()
                    continue
                break
        finally:
            self.closers.pop()
        if right:
            self.expect(r"\right")
        self.expect("]")
        return args

    # ------------------------------------------------------------------ braces, quantifiers
    def parse_brace_label(self):
        """``\\underbrace{body}_{label}`` / ``\\overbrace{body}^{label}``: the body alone."""
        tok = self.next()
        if not self.at("{"):
            self.fail(f"{tok.value} without a braced body", tok)
        self.next()
        body = self.parse_relation()
        self.expect("}")
        mark = "_" if tok.value == r"\underbrace" else "^"
        if not self.at(mark):  # a brace with nothing under it is layout symml does not guess at
            self.fail(f"{tok.value}{{...}} without its label {mark}{{...}}", tok)
        self.next()
        self._skip_label(tok)
        return self.scalar(body) if isinstance(body, Vec) else body

    def _skip_label(self, tok):
        t = self.next()
        if t.kind == "end":
            self.fail(f"{tok.value} with an empty label", tok)
        if t.kind == "op" and t.value == "{":
            depth = 1
            while depth:
                t = self.next()
                if t.kind == "end":
                    self.fail(f"unbalanced braces in the label of {tok.value}", tok)
                if t.kind == "op" and t.value == "{":
                    depth += 1
                elif t.kind == "op" and t.value == "}":
                    depth -= 1

    def refuse_quantifier(self):
        t = self.peek()
        self.fail(
            f"a quantifier {t.value} ({QUANTIFIERS[t.value]} ...) is a statement about a set, "
            "not a formula symml can read",
            t,
        )
