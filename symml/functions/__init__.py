"""ML functions as first-class SymPy functions, with their stable printers.

Each function (sigmoid, softplus, log-sigmoid, ReLU, leaky ReLU, logsumexp, softmax, the
row-wise softmax) knows its derivative in textbook form, its rewrite into elementary
functions (:func:`to_elementary`), and how to print itself stably for NumPy and mpmath.
"""

from symml.functions._ml import (
    ML_FUNCTION_CLASSES,
    MLFunction,
    StableMpmathPrinter,
    StableNumPyPrinter,
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

__all__ = [
    "ML_FUNCTION_CLASSES",
    "MLFunction",
    "StableMpmathPrinter",
    "StableNumPyPrinter",
    "leaky_relu",
    "log_sigmoid",
    "logsumexp",
    "ml_functions_by_name",
    "relu",
    "row_softmax",
    "sigmoid",
    "softmax",
    "softplus",
    "to_elementary",
]
