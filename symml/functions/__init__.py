"""ML functions as first-class SymPy functions, with their stable printers and patterns.

Each function (sigmoid, softplus, log-sigmoid, ReLU, leaky ReLU, logsumexp, softmax, the
row-wise softmax, log-softmax, the normal CDF, density and log-density, GELU exact and tanh,
SiLU/swish, Mish, softsign, hard-sigmoid, hard-tanh, ELU, SELU) knows its derivative in
textbook form, its rewrite into elementary functions (:func:`to_elementary`), and how to
print itself stably for NumPy and mpmath. :func:`ml_function_for` is the one table every
command reads names through (``\\sigma(z)`` is the sigmoid, ``\\mathrm{erf}`` SymPy's erf).
:func:`one_plus_exp` and :func:`sum_of_exp` match the textbook shapes inside them.
"""

from symml.functions._activations import (
    elu,
    gelu,
    gelu_tanh,
    hard_sigmoid,
    hard_tanh,
    log_softmax,
    mish,
    normal_cdf,
    normal_logpdf,
    normal_pdf,
    selu,
    silu,
    softsign,
)
from symml.functions._ml import (
    MLFunction,
    leaky_relu,
    log_sigmoid,
    logsumexp,
    relu,
    row_softmax,
    sigmoid,
    softmax,
    softplus,
    to_elementary,
)
from symml.functions._patterns import one_plus_exp, sum_of_exp
from symml.functions._printing import StableMpmathPrinter, StableNumPyPrinter
from symml.functions._table import (
    GREEK_FUNCTIONS,
    ML_FUNCTION_CLASSES,
    ml_function_for,
    ml_functions_by_name,
)

__all__ = [
    "GREEK_FUNCTIONS",
    "ML_FUNCTION_CLASSES",
    "MLFunction",
    "StableMpmathPrinter",
    "StableNumPyPrinter",
    "elu",
    "gelu",
    "gelu_tanh",
    "hard_sigmoid",
    "hard_tanh",
    "leaky_relu",
    "log_sigmoid",
    "log_softmax",
    "logsumexp",
    "mish",
    "ml_function_for",
    "ml_functions_by_name",
    "normal_cdf",
    "normal_logpdf",
    "normal_pdf",
    "one_plus_exp",
    "relu",
    "row_softmax",
    "selu",
    "sigmoid",
    "silu",
    "softmax",
    "softplus",
    "softsign",
    "sum_of_exp",
    "to_elementary",
]
