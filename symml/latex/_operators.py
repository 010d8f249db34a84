"""Named operators (``\\max_x``, ``\\lim_{h \\to 0}``, ``\\arg\\min``) and expectations
(``\\mathbb{E}_{x \\sim p}[f(x)]``). A mixin of the parser (``symml.latex._grammar``).
"""

from __future__ import annotations

import sympy as sp

from symml.latex._base import Vec


class OperatorMixin:
    def parse_named_operator(self, name):
        var = None
        domain = None
        if self.at("_"):
            self.next()
            spec = self.parse_arg()
            if hasattr(spec, "parts"):  # \gamma \in \Pi(P,Q), h \to 0
                var, domain = spec.parts[0], spec.parts[-1]
            else:
                var = spec
            var = self.scalar(var) if isinstance(var, Vec) else var
        body = self.scalar(self.parse_term())
        if name == "Limit":
            if domain is not None:
                return sp.Limit(body, var, domain, dir="+-")
            return sp.Function(name)(body, var)
        args = [a for a in (var, domain) if a is not None]
        return sp.Function(name)(body, *args)

    def parse_expectation(self):
        spec = None
        if self.at("_"):
            self.next()
            spec = self.parse_arg()
            if hasattr(spec, "parts"):
                spec = sp.Function("Distributed")(*[self.scalar(p) for p in spec.parts])
            elif isinstance(spec, Vec):
                spec = self.scalar(spec)
        right = False
        if self.at(r"\left"):
            self.next()
            right = True
        self.expect("[")
        self.closers.append("]")
        try:
            body = self.scalar(self.parse_additive())
        finally:
            self.closers.pop()
        if right:
            self.expect(r"\right")
        self.expect("]")
        args = [body] + ([spec] if spec is not None else [])
        return sp.Function("Expectation")(*args)
