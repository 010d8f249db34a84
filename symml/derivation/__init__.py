"""Derivatives in textbook form, gradients over samples in matrix form, stationary points.

:func:`derive` differentiates a formula and proves the result equal to ``sympy.diff``
(:func:`prove_equal`, the :mod:`symml.equality` prover with the derivation's simplifier)
before returning it; :func:`prettify` and :func:`recognize` bring an expression to the form
a textbook prints; :func:`matrix_gradient`, :func:`hessian`, :func:`stationary_points` and
:func:`normal_equations` work on sums over samples. ``steps`` holds step-by-step derivations.
"""

from symml.derivation._derive import Derivation, derive, expr_json
from symml.derivation._entries import UntiedSize, entries_form, tie_sizes
from symml.derivation._matrix import (
    Hessian,
    MatrixForm,
    Stationary,
    hessian,
    matrix_gradient,
    normal_equations,
    prove_matrix_form,
    stationary_points,
    vectorize,
)
from symml.derivation._simplify import collapse_deltas, expand_function, prove_equal, simplify_deep
from symml.derivation._subject import Subject, resolve_variable, subject_of
from symml.derivation._textbook import arrange, eliminate, prettify, recognize, textbook_form

__all__ = [
    "Derivation",
    "Hessian",
    "MatrixForm",
    "Stationary",
    "Subject",
    "UntiedSize",
    "arrange",
    "collapse_deltas",
    "derive",
    "entries_form",
    "expr_json",
    "eliminate",
    "expand_function",
    "hessian",
    "matrix_gradient",
    "normal_equations",
    "prettify",
    "prove_equal",
    "prove_matrix_form",
    "recognize",
    "resolve_variable",
    "simplify_deep",
    "stationary_points",
    "subject_of",
    "textbook_form",
    "tie_sizes",
    "vectorize",
]
