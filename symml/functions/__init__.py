"""ML functions as first-class SymPy functions, with their stable printers and patterns.

Each function (sigmoid, softplus, log-sigmoid, ReLU, leaky ReLU, logsumexp, softmax, the
row-wise softmax) knows its derivative in textbook form, its rewrite into elementary
functions (:func:`to_elementary`), and how to print itself stably for NumPy and mpmath.
:func:`one_plus_exp` and :func:`sum_of_exp` match the textbook shapes inside them.
"""

from symml.functions._ml import (
    ML_FUNCTION_CLASSES,
    MLFunction,
    leaky_relu,
    log_sigmoid,
    logsumexp,
    ml_functions_by_name,
    relu,
    row_softmax,
    sigmoid,
    softmax,
    softplus,
    to_elementary,
)
from symml.functions._patterns import one_plus_exp, sum_of_exp
from symml.functions._printing import StableMpmathPrinter, StableNumPyPrinter

__all__ = [
    "ML_FUNCTION_CLASSES",
    "MLFunction",
    "StableMpmathPrinter",
    "StableNumPyPrinter",
    "leaky_relu",
    "log_sigmoid",
    "logsumexp",
    "ml_functions_by_name",
    "one_plus_exp",
    "relu",
    "row_softmax",
    "sigmoid",
    "softmax",
    "softplus",
    "sum_of_exp",
    "to_elementary",
]
