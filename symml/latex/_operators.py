"""Named operators (``\\max_x``, ``\\lim_{h \\to 0}``, ``\\arg\\min``) and expectations
(``\\mathbb{E}_{x \\sim p}[f(x)]``). A mixin of the parser (``symml.latex._grammar``).
"""

from __future__ import annotations

import sympy as sp

from symml.latex._base import Vec
from symml.latex._names import ARGUMENT_ENDS


class OperatorMixin:
    def parse_named_operator(self, name):
        var = None
        domain = None
        direction = "+-"
        if self.at("_"):
            self.next()
            if name == "Limit":
                direction = self._one_sided_limit() or direction
            spec = self.parse_arg()
            if hasattr(spec, "parts"):  # \gamma \in \Pi(P,Q), h \to 0
                var, domain = spec.parts[0], spec.parts[-1]
            else:
                var = spec
            var = self.scalar(var) if isinstance(var, Vec) else var
        body = self.scalar(self.parse_term())
        if name == "Limit":
            if domain is not None and not isinstance(var, sp.Symbol):
                self.fail(f"the variable of a limit must be a name, not {var}")
            if domain is not None:
                return sp.Limit(body, var, domain, dir=direction)
            return sp.Function(name)(body, var)
        args = [a for a in (var, domain) if a is not None]
        return sp.Function(name)(body, *args)

    def slash_operand(self, slash):
        """The divisor after ``/`` (the token ``slash``): one factor, with its sign and powers.

        ``1/2m`` is 1/(2m) to an ML reader and (1/2)m to a strict one, ``e^{-x^2/2\\sigma^2}``
        likewise: a divisor followed by another factor without an operator is refused. An
        explicit operator after it (``a/b \\cdot c``, ``x/2 + y``) and a big operator
        (``1/N \\sum_i x_i``, which no one reads as 1/(N sum)) keep the strict reading.
        """
        right = self.parse_unary()
        t = self.peek()
        if self._starts_atom(t) and not (t.kind == "cmd" and t.value in ARGUMENT_ENDS):
            self.fail(
                "a / whose divisor is followed by another factor (a/bc: a/(bc) or (a/b)c?): "
                "write \\frac{a}{bc}, a/(bc) or (a/b)c",
                slash,
            )
        return right

    def _expectation_spec(self):
        """``_{x \\sim p}``, ``_x``, ``_{x \\sim p, y \\sim q(y | x)}`` (a Tuple of the draws)."""
        if not self.at("{"):
            return self._draw(self.parse_arg())
        self.next()
        self.closers.append("}")
        try:
            items = [self._draw(self.parse_relation())]
            while self.at(","):
                self.next()
                items.append(self._draw(self.parse_relation()))
        finally:
            self.closers.pop()
        self.expect("}")
        return items[0] if len(items) == 1 else sp.Tuple(*items)

    def _draw(self, spec):
        if hasattr(spec, "parts"):
            return sp.Function("Distributed")(*[self.scalar(p) for p in spec.parts])
        if hasattr(spec, "lhs"):
            self.fail("an expectation's subscript with '=' (write x \\sim p)")
        return self.scalar(spec)

    def _one_sided_limit(self):
        """``x \\to 3^{+}`` / ``3^-`` at the end of a limit's subscript: the side (the tokens of
        the sign are taken out, so that ``3`` is the point); None for a two-sided limit."""
        if not self.at("{"):
            return None
        k, depth = 1, 0
        while self.peek(k).kind != "end":
            if self.at("{", k):
                depth += 1
            elif self.at("}", k):
                if depth == 0:
                    break
                depth -= 1
            k += 1
        values = [self.peek(j).value for j in range(max(k - 4, 0), k)]
        end = self.pos + k
        if values[-2:] in (["^", "+"], ["^", "-"]):
            side, cut = values[-1], 2
        elif values[-4:] in (["^", "{", "+", "}"], ["^", "{", "-", "}"]):
            side, cut = values[-2], 4
        else:
            return None
        # a copy: the token list is shared by the parses that a restart makes
        self.toks = self.toks[: end - cut] + self.toks[end:]
        return side

    def parse_expectation(self):
        spec = None
        if self.at("_"):
            self.next()
            spec = self._expectation_spec()
        if spec is not None and not (self.at("[") or (self.at(r"\left") and self.at("[", 1))):
            # \mathbb{E}_{x \sim p} \log D(x): the argument runs like \log's, to the end of the
            # product (an explicit +, \cdot, / or the next big operator ends it)
            if self.peek().kind == "end" or not self._starts_atom(self.peek()):
                self.fail("an expectation without an argument")
            body = self.scalar(self._function_argument())
            return sp.Function("Expectation")(body, spec)
        right = False
        if self.at(r"\left"):
            self.next()
            right = True
        self.expect("[")
        self.closers.append("]")
        try:
            body = self.scalar(self.parse_additive())
            if self.at(r"\mid"):  # E[X \mid Y]: the conditional expectation, as P(A | B)
                self.next()
                body = sp.Function("Given")(body, self._arg(self.parse_relation()))
        finally:
            self.closers.pop()
        if right:
            self.expect(r"\right")
        self.expect("]")
        args = [body] + ([spec] if spec is not None else [])
        return sp.Function("Expectation")(*args)
