"""The one function table: which written name means which symml function, for every command.

The LaTeX parser asks :func:`ml_function_for` about every applied name (``\\text{gelu}(x)``,
``\\operatorname{ReLU}(z)``, ``\\mathrm{erf}(x)``, ``\\sigma(z)``, ``\\Phi(x)``), so ``parse``,
``derive``, ``verify``, ``equiv``, ``check`` and the registry read a name the same way.
Names written in ``\\text``/``\\operatorname``/``\\mathrm`` are matched without case and
underscores; the Greek letters are matched exactly: ``\\sigma(z)`` is the sigmoid and
``\\Phi(x)`` the normal CDF, while ``\\phi`` stays a generic function (a feature map or an
activation) and a bare ``\\sigma`` with no argument stays a symbol (a standard deviation).
A caller that defines one of these names as its own function (``functions=["sigma"]``, or a
declaration ``sigma = "function"``) keeps it generic: the parser checks that first.
"""

from __future__ import annotations

import sympy as sp

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
    leaky_relu,
    log_sigmoid,
    logsumexp,
    relu,
    row_softmax,
    sigmoid,
    softmax,
    softplus,
)

__all__ = ["GREEK_FUNCTIONS", "ML_FUNCTION_CLASSES", "ml_function_for", "ml_functions_by_name"]

#: Every symml function class, in a fixed order.
ML_FUNCTION_CLASSES: tuple[type, ...] = (
    sigmoid,
    softplus,
    log_sigmoid,
    relu,
    leaky_relu,
    logsumexp,
    softmax,
    row_softmax,
    normal_cdf,
    normal_pdf,
    normal_logpdf,
    gelu,
    gelu_tanh,
    silu,
    mish,
    softsign,
    hard_sigmoid,
    hard_tanh,
    elu,
    selu,
    log_softmax,
)

#: Greek letters that name a function when applied, matched case-sensitively.
GREEK_FUNCTIONS: dict[str, type] = {"sigma": sigmoid, "Phi": normal_cdf}


def ml_functions_by_name() -> dict[str, type]:
    """Lower-case names (as written in ``\\text{...}``/``\\operatorname{...}``) -> classes.

    Examples:
        >>> ml_functions_by_name()["relu"].__name__
        'relu'
        >>> ml_functions_by_name()["gelu"].__name__
        'gelu'
    """
    return {
        "sigmoid": sigmoid,
        "logistic": sigmoid,
        "softplus": softplus,
        "relu": relu,
        "leakyrelu": leaky_relu,
        "leaky_relu": leaky_relu,
        "lrelu": leaky_relu,
        "logsigmoid": log_sigmoid,
        "log_sigmoid": log_sigmoid,
        "logsumexp": logsumexp,
        "lse": logsumexp,
        "softmax": softmax,
        "logsoftmax": log_softmax,
        "log_softmax": log_softmax,
        "erf": sp.erf,
        "erfc": sp.erfc,
        "normcdf": normal_cdf,
        "normalcdf": normal_cdf,
        "normpdf": normal_pdf,
        "normalpdf": normal_pdf,
        "normlogpdf": normal_logpdf,
        "gelu": gelu,
        "gelutanh": gelu_tanh,
        "gelu_tanh": gelu_tanh,
        "silu": silu,
        "swish": silu,
        "mish": mish,
        "softsign": softsign,
        "hardsigmoid": hard_sigmoid,
        "hard_sigmoid": hard_sigmoid,
        "hardtanh": hard_tanh,
        "hard_tanh": hard_tanh,
        "elu": elu,
        "selu": selu,
    }


def ml_function_for(name: str) -> type | None:
    """The symml (or SymPy) function an applied name means, or None for a generic one.

    Examples:
        >>> ml_function_for("sigma").__name__, ml_function_for("Phi").__name__
        ('sigmoid', 'normal_cdf')
        >>> ml_function_for("GELU").__name__, ml_function_for("phi") is None
        ('gelu', True)
    """
    if name in GREEK_FUNCTIONS:
        return GREEK_FUNCTIONS[name]
    if name.lower() in ("sigma", "phi"):
        return None  # \Sigma(x) and \phi(x) are generic functions
    return ml_functions_by_name().get(name.lower().replace("_", ""))
