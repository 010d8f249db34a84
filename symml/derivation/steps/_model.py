"""The values of a step-by-step derivation: the rules, one rule application, the tree.

:mod:`~symml.derivation.steps._rules` builds them (one textbook rule per node) and
:mod:`~symml.derivation.steps._render` prints them; both import them from here so that
neither imports the other.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

import sympy as sp

__all__ = ["Rule", "StepNode", "StepTree"]


class Rule(str, Enum):
    """The rule applied at a node (its value is the name used in JSON)."""

    CONSTANT = "constant"
    VARIABLE = "variable"
    INDEXED = "indexed"
    SUM = "sum"
    CONSTANT_MULTIPLE = "constant multiple"
    POWER = "power"
    EXPONENTIAL = "exponential"
    GENERAL_POWER = "general power"
    PRODUCT = "product"
    QUOTIENT = "quotient"
    CHAIN = "chain"
    EXP = "exp"
    LOG = "log"
    TRIG = "trig"
    HYPERBOLIC = "hyperbolic"
    ABS = "abs"
    MAX = "max"
    MIN = "min"
    HEAVISIDE = "heaviside"
    SIGN = "sign"
    INTEGRAL = "integral"
    PIECEWISE = "piecewise"
    SUM_OVER_INDEX = "sum over index"
    SIGMOID = "sigmoid"
    SOFTPLUS = "softplus"
    LOG_SIGMOID = "log_sigmoid"
    RELU = "relu"
    LEAKY_RELU = "leaky_relu"
    LOGSUMEXP = "logsumexp"
    SOFTMAX = "softmax"
    FUNCTION = "function"
    SYMPY = "sympy"


@dataclass(frozen=True)
class StepNode:
    """One rule application: ``d expr / d var = result``, built from ``children``.

    ``parts`` names the pieces the rule used (``u``, ``v`` for the quotient rule, the
    constant ``c``, the ``outer`` derivative of a chain, the ``raw`` sum before a Kronecker
    delta was collapsed); ``outer_rule`` is the rule of the outer function of a chain.
    """

    rule: Rule
    expr: sp.Expr
    var: sp.Expr
    result: sp.Expr
    children: tuple[StepNode, ...] = ()
    parts: tuple[tuple[str, sp.Expr], ...] = ()
    outer_rule: Rule | None = None
    note: str = ""

    def part(self, name: str) -> sp.Expr:
        return dict(self.parts)[name]


@dataclass(frozen=True)
class StepTree:
    """A derivation: the rule tree, and closing steps added by
    :func:`~symml.derivation.steps._rules.append_step`.

    ``checked`` says how the result was compared with ``sympy.diff``.
    """

    root: StepNode
    var: sp.Expr
    extra: tuple[tuple[str, sp.Expr], ...] = ()
    checked: str = ""

    @property
    def expr(self) -> sp.Expr:
        return self.root.expr

    @property
    def result(self) -> sp.Expr:
        """The derivative as the rules produced it."""
        return self.root.result

    @property
    def final(self) -> sp.Expr:
        """The last form: the result, or the last appended step."""
        return self.extra[-1][1] if self.extra else self.root.result
