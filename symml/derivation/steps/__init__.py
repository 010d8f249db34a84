"""Step-by-step differentiation: a rule tree that computes its own result.

:func:`differentiate_steps` builds the :class:`StepTree`; :func:`to_latex`, :func:`to_text`
and :func:`to_list` print it; every step is refereed by ``sympy.diff`` (``check_step``).
"""

from symml.derivation.steps._check import check_derivative, check_step
from symml.derivation.steps._model import Rule, StepNode, StepTree
from symml.derivation.steps._render import Line, lines, to_latex, to_list, to_text
from symml.derivation.steps._rules import append_step, differentiate_steps

__all__ = [
    "Line",
    "Rule",
    "StepNode",
    "StepTree",
    "append_step",
    "check_derivative",
    "check_step",
    "differentiate_steps",
    "lines",
    "to_latex",
    "to_list",
    "to_text",
]
