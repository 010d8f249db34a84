"""Calculus notation: fractions and derivatives, sums and products, integrals.

``\\frac{d}{dx}``, ``\\frac{\\partial L}{\\partial w}`` and ``\\frac{d^2 y}{dx^2}`` are
derivatives; ``\\sum_{i=1}^{n}`` binds its index over the term that follows. A mixin of the
parser (``symml.latex._grammar``).
"""

from __future__ import annotations

import sympy as sp
from sympy.matrices.expressions.matexpr import MatrixExpr

from symml.latex._base import Vec
from symml.latex._names import FUNCTION_LIKE, GREEK, RELATIONS


class CalculusMixin:
    def parse_frac(self):
        tok = self.next()
        # derivative notation: \frac{d}{dx}, \frac{dy}{dx}, \frac{\partial L}{\partial w}
        deriv = self._derivative_frac()
        if deriv is not None:
            return deriv
        num = self.parse_arg()
        den = self.parse_arg()
        if isinstance(num, Vec):
            num = self.scalar(num)
        if isinstance(den, MatrixExpr) and den.shape != (1, 1):
            self.fail("a fraction with a matrix denominator", tok)
        return self.div(num, den)

    def _derivative_frac(self):
        start = self.pos
        if not self.at("{"):
            return None
        k = 1
        first = self.peek(k)
        is_d = first.kind == "letter" and first.value == "d"
        is_partial = first.kind == "cmd" and first.value == r"\partial"
        if first.kind == "text" and first.value in (r"\mathrm{d}", r"\text{d}"):
            is_d = True
        if not (is_d or is_partial):
            return None
        self.next()  # {
        self.next()  # d / \partial
        order = 1
        if self.at("^"):
            self.next()
            # the order is a number (d^2 y, d^{10} y); the powers in the denominator agree
            braced = self.at("{")
            if braced:
                self.next()
            tok = self.next()
            if tok.kind != "num" or not tok.value.isdigit():
                self.fail(f"the order of a derivative must be a whole number, not {tok.value!r}")
            order = int(tok.value)
            if braced:
                self.expect("}")
        body = None
        if not self.at("}"):
            body = self.scalar(self.parse_relation())
        self.expect("}")
        self.expect("{")
        wrts = []
        vectors = []  # the vectors it is taken by (\partial \mathbf{w})
        while not self.at("}"):
            t = self.next()
            if not (
                (t.kind == "letter" and t.value == "d")
                or (t.kind == "cmd" and t.value == r"\partial")
                or t.kind == "text"
            ):
                self.pos = start
                return None
            raw = self.parse_postfix(self.parse_atom())
            if isinstance(raw, Vec) and not raw.index:
                vectors.append(raw.name)
            var = self.scalar(raw)
            if isinstance(var, sp.Pow) and var.exp.is_Integer:
                wrts.append((var.base, int(var.exp)))
            else:
                wrts.append((var, 1))
        self.next()
        if body is None:  # \frac{d}{dx} f(x): the operand follows
            if self.peek().kind == "end" or self.at("=") or self.at(")"):
                self.fail("\\frac{d}{dx} without an expression to differentiate")
            body = self.scalar(self.derivative_operand(start - 1))
        for name in vectors:
            # \frac{\partial}{\partial \mathbf{w}} \mathbf{w}^T \mathbf{x}: the body holds w_j, and
            # the derivative by a symbol w would be 0
            if any(str(e.base.label) == name for e in body.atoms(sp.Indexed)):
                self.fail(
                    f"a derivative by the vector {name} of an expression in its components "
                    "(a gradient): write it per component, "
                    f"\\frac{{\\partial}}{{\\partial {name}_j}}"
                )
        wrt_args = []
        for var, n in wrts:
            if not isinstance(var, (sp.Symbol, sp.Indexed, sp.MatrixSymbol)):
                wrt_args.append((sp.Symbol(str(var)), n))
            else:
                wrt_args.append((var, n))
        if order == 1 and len(wrt_args) == 1 and wrt_args[0][1] == 2:
            # \frac{d}{d\sigma^2}: by the variable sigma^2, d/dsigma over d(sigma^2)/dsigma
            var = wrt_args[0][0]
            return sp.Derivative(body, var) / (2 * var)
        if order != sum(n for _, n in wrt_args):
            self.fail(
                f"a derivative of order {order} by {sum(n for _, n in wrt_args)} variable(s): "
                "the numerator's d^k and the denominator's powers do not agree"
            )
        return sp.Derivative(body, *wrt_args)

    def derivative_operand(self, op_index, spelled="\\frac{d}{dx}"):
        """What ``\\frac{d}{dx}`` (its first token at ``op_index``; ``spelled`` in messages, e.g.
        ``\\nabla_w``) applies to.

        A bracket (``\\left(...\\right)``, ``[...]``, ``{...}``) is the operand, with its power;
        otherwise the whole implicit product that follows, as for ``\\log 2x``:
        ``\\frac{d}{dx} \\frac{1}{2} x^2`` is the derivative of x^2/2, ``\\frac{d}{dx} x \\sin x``
        of x sin(x). An explicit operator (``+``, ``\\cdot``, ``/``) or a relation ends it; a sum
        after it, when the derivative opens the sum, is refused (the whole sum, or its first
        term?), unless the other terms are derivatives written out the same way.
        """
        opener = self.peek()
        if (
            opener.kind == "op"
            and opener.value in ("(", "[", "{")
            or opener.kind == "cmd"
            and opener.value in (r"\left", r"\{", r"\big", r"\Big", r"\bigl", r"\Bigl")
        ):
            return self.parse_postfix(self.parse_atom())
        value = self._operand_factor(spelled)
        while self._starts_atom(self.peek()) and not self._at_evaluation_bar():
            if self.peek().spaced:
                self.fail(
                    f"{spelled} before a product with a space typed in it (\\, \\;): "
                    f"write {spelled}\\left(...\\right) around what it differentiates",
                    self.peek(),
                )
            value = self.mul(value, self._operand_factor(spelled))
        if (self.at("+") or self.at("-")) and self._opens_sum(op_index):
            self.fail(
                f"{spelled} followed by a sum (of the whole sum, or of its first term?): "
                f"write {spelled}\\left(...\\right) around what it differentiates",
                self.peek(),
            )
        return value

    def _operand_factor(self, spelled):
        """One factor of a derivative's operand; the notations a product would misread there
        (``\\sigma^2(x)``: sigma^2 times x; ``\\operatorname{sech} x``: a name times x) are
        refused, since the derivative of the misread product would be checked."""
        first = self.peek()
        start = self.pos
        value = self.parse_postfix(self.parse_atom())
        nxt = self.peek()
        if (
            self.pos >= start + 2
            and self.toks[start + 1].kind == "op"
            and self.toks[start + 1].value == "^"
            and first.kind in ("letter", "cmd")
            and first.value.lstrip("\\") in FUNCTION_LIKE
            and nxt.kind == "op"
            and nxt.value == "("
            and not nxt.space_before
        ):
            self.fail(
                f"{first.value}^n(...) after {spelled}: a power of a function or a "
                f"product? write {first.value}(...)^n or {first.value}^n \\cdot (...)",
                nxt,
            )
        if (
            first.kind == "text"
            and isinstance(value, sp.Symbol)
            and len(value.name) > 1
            and self._starts_atom(nxt)
        ):
            self.fail(
                f"{first.value} before a factor after {spelled}: a function or a "
                f"product? write {first.value}(...) or put \\cdot between",
                nxt,
            )
        return value

    def _opens_sum(self, op_index):
        """Does the derivative operator at ``op_index`` stand in the first term of its sum, and
        are the terms after the cursor not derivatives of their own (``\\frac{d}{dx} f +
        \\frac{d}{dx} g``)?"""
        depth = 0
        for k in range(op_index - 1, -1, -1):
            t = self.toks[k]
            if t.kind == "op" and t.value in (")", "]", "}"):
                depth += 1
            elif t.kind == "op" and t.value in ("(", "[", "{"):
                if depth == 0:
                    break
                depth -= 1
            elif depth == 0 and _ends_term(t):
                break
            elif depth == 0 and t.kind == "op" and t.value in ("+", "-"):
                if k > 0 and _ends_operand(self.toks[k - 1]):
                    return False  # a + \frac{d}{dx} x^2 + b: after the sum's first term
                break  # -\frac{d}{dx} x^2 + 1: a sign
        depth = 0
        for k in range(self.pos, len(self.toks)):
            t = self.toks[k]
            if t.kind == "op" and t.value in ("(", "[", "{"):
                depth += 1
            elif t.kind == "op" and t.value in (")", "]", "}"):
                if depth == 0:
                    break
                depth -= 1
            elif depth == 0 and (t.kind == "end" or _ends_term(t)):
                break
            elif depth == 0 and self._derivative_operator_at(k):
                return False
        return True

    def _derivative_operator_at(self, k):
        t = self.toks[k]
        if t.kind == "cmd" and t.value == r"\nabla":
            return True
        if not (t.kind == "cmd" and t.value == r"\frac" and k + 2 < len(self.toks)):
            return False
        opener, first = self.toks[k + 1], self.toks[k + 2]
        return (
            opener.kind == "op"
            and opener.value == "{"
            and (
                first.kind == "letter"
                and first.value == "d"
                or first.kind == "cmd"
                and first.value == r"\partial"
                or first.kind == "text"
                and first.value in (r"\mathrm{d}", r"\text{d}")
            )
        )

    def parse_big_operator(self, cmd):
        tok = self.next()
        var = lo = hi = None
        self.excluded = None
        for _ in range(2):
            if self.at("_"):
                self.next()
                var, lo = self._bound_spec()
            elif self.at("^"):
                self.next()
                hi = self.scalar(self.parse_arg())
        if var is None:
            free = [c for c in ("i", "j", "k") if self._mentions(c)]
            if not free:
                self.fail(f"{cmd} without an index", tok)
            var = free[0]
        sym = sp.Symbol(var, integer=True)
        if lo is None:
            lo = sp.Integer(1)
        if hi is None:
            hi = (
                sp.Symbol(f"N_{var}", integer=True, positive=True)
                if var not in "ijk"
                else sp.Symbol("n", integer=True, positive=True)
            )
        saved = self.bound.get(var)
        self.bound[var] = sym
        excluded, self.excluded = self.excluded, None
        try:
            body = self.scalar(self.parse_term())
            if excluded is not None:
                # the terms with j = y_i are left out: a condition on each term, exact for any
                # range (SymPy has no Sum with a condition)
                body = sp.Piecewise((body, sp.Ne(sym, excluded)), (0, True))
        finally:
            if saved is None:
                self.bound.pop(var, None)
            else:
                self.bound[var] = saved
        op = sp.Sum if cmd == r"\sum" else sp.Product
        return op(body, (sym, lo, hi))

    def _mentions(self, letter):
        depth = 0
        for t in self.toks[self.pos :]:
            if t.kind == "op" and t.value in ("(", "{", "["):
                depth += 1
            if t.kind == "op" and t.value in (")", "}", "]"):
                depth -= 1
                if depth < 0:
                    return False
            if t.kind == "letter" and t.value == letter:
                return True
        return False

    def _bound_spec(self):
        """_{i=1}, _i, _{x}: the variable name and the lower bound (or None)."""
        if self.at("{"):
            self.next()
            t = self.next()
            name = t.value.lstrip("\\")
            if t.kind not in ("letter", "cmd") or (t.kind == "cmd" and name not in GREEK):
                self.fail("expected an index variable", t)
            lo = None
            if self.at("="):
                self.next()
                lo = self.scalar(self.parse_additive())
            elif self.at(r"\in"):
                self.next()
                self.parse_additive()
            elif self.at(r"\neq") or self.at(r"\ne"):  # \sum_{j \neq y_i}: all j but one
                self.next()
                self.excluded = self.scalar(self.parse_additive())
            if not self.at("}"):
                self.fail("expected } after the index", self.peek())
            self.next()
            return name, lo
        t = self.next()
        if t.kind != "letter":
            self.fail("expected an index variable", t)
        return t.value, None

    def parse_integral(self):
        tok = self.next()
        lo = hi = None
        for _ in range(2):
            if self.at("_") and self.at("{", 1) and self.at("}", 2):
                self.pos += 3  # \int_{}^{} x dx: empty bounds are no bounds
            elif self.at("^") and self.at("{", 1) and self.at("}", 2):
                self.pos += 3
            elif self.at("_"):
                self.next()
                lo = self.scalar(self.parse_arg())
            elif self.at("^"):
                self.next()
                hi = self.scalar(self.parse_arg())
        if (lo is None) != (hi is None):
            self.fail("an integral with one bound", tok)
        self.integral_depth += 1
        try:
            if self.at(r"\frac") and self.at("{", 1) and self._numerator_differential():
                # \int \frac{dz}{z}, \int \frac{3 dz}{z}, \int \frac{3 \cdot d\theta}{\theta}
                self.next()
                self.expect("{")
                num = 1
                while not self._differential_at(0):
                    if self.at(r"\cdot"):
                        self.next()
                        continue
                    if not (self._starts_atom(self.peek()) or self.at("-") or self.at("+")):
                        self.fail("expected the differential in the numerator")
                    num = num * self.scalar(self.parse_unary())
                self.next()  # d
                var = self.scalar(self.parse_postfix(self.parse_atom()))
                self.expect("}")
                den = self.scalar(self.parse_arg())
                body = num / den
            elif self._differential_at(0):  # \int dx, \int_0^7 dx: the integrand is 1
                self.next()
                body = sp.Integer(1)
                var = self.scalar(self.parse_postfix(self.parse_atom()))
            else:
                body = self.scalar(self.parse_additive())
                if not (self.peek().kind == "letter" and self.peek().value == "d") and not (
                    self.peek().kind == "text" and self.peek().value.endswith("{d}")
                ):
                    self.fail("an integral without its differential (dx)", tok)
                self.next()
                var = self.scalar(self.parse_postfix(self.parse_atom()))
        finally:
            self.integral_depth -= 1
        if not isinstance(var, sp.Symbol):
            return sp.Function("StieltjesIntegral")(body, var)
        return self._integral(body, var, lo, hi)

    def _differential_at(self, k):
        """Is token ``k`` ahead the d of a differential (dx, d\\theta)?"""
        t, nxt = self.peek(k), self.peek(k + 1)
        return (
            t.kind == "letter"
            and t.value == "d"
            and not nxt.space_before
            and (nxt.kind == "letter" or (nxt.kind == "cmd" and nxt.value.lstrip("\\") in GREEK))
        )

    def _numerator_differential(self):
        """Does the numerator of the \\frac at the cursor hold a differential at its top level?"""
        k, depth = 2, 0
        while self.peek(k).kind != "end":
            if self.at("{", k):
                depth += 1
            elif self.at("}", k):
                if depth == 0:
                    return False
                depth -= 1
            elif depth == 0 and self._differential_at(k):
                return True
            k += 1
        return False

    @staticmethod
    def _integral(body, var, lo, hi):
        if lo is None and hi is None:
            return sp.Integral(body, var)
        return sp.Integral(body, (var, lo, hi))


def _ends_term(t):
    """A token a term does not run across: a relation, a comma, an alignment mark, a new row."""
    if t.kind == "op":
        return t.value in ("=", "<", ">", ",", "&", ";")
    return t.kind == "cmd" and (t.value in RELATIONS or t.value in (r"\\", r"\quad", r"\qquad"))


def _ends_operand(t):
    """Can ``t`` be the last token of an operand (so that a + or - after it is binary)?"""
    if t.kind in ("letter", "num", "text"):
        return True
    if t.kind == "op":
        return t.value in (")", "]", "}", "|", "||", "'", "!")
    return t.kind == "cmd" and not (
        t.value in RELATIONS
        or t.value
        in (r"\cdot", r"\times", r"\ast", r"\odot", r"\pm", r"\mp", r"\left", r"\\", r"\quad")
        or t.value in (r"\qquad", r"\sum", r"\prod", r"\int", r"\frac")
    )
