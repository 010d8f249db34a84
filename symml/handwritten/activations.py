"""Activation functions and the derivatives the documents state, written the naive way.

Sources (documents in ``formulas/documents/``):

    sigmoid        001 "7. Activation Functions / Sigmoid"; 000 "4.1 Forward Pass" table;
                   001 "6. Logistic Regression" (sigma(z))
    sigmoid_prime  001 "7. ... Sigmoid" Derivative: s(x)(1 - s(x)); 000 "4.1" table f(x)(1-f(x))
    tanh           001 "7. ... Tanh"; 000 "4.1" table (e^x - e^-x)/(e^x + e^-x)
    tanh_prime     001 "7. ... Tanh" Derivative: 1 - tanh^2(x); 000 "4.1" table 1 - f(x)^2
    relu           001 "7. ... ReLU"; 000 "4.1" table max(0, x)
    relu_prime     001 "7. ... ReLU" Derivative {1 if x > 0, 0 if x <= 0}; 000 "4.1" "0 or 1"
    leaky_relu     001 "7. ... Leaky ReLU" max(alpha x, x)
    softplus       in no document: the naive log(1 + e^x) a blog writes (a stability probe)
    softmax        001 "7. ... Softmax"; 000 "4.1" table; 004 "5.1 Softmax Function" (z)

Written as the documents write them, so the instabilities are kept: ``sigmoid`` and
``sigmoid_prime`` overflow in ``exp(-x)`` for x < -709 (RuntimeWarning; the value is still
right), ``tanh`` returns nan for |x| > 710 (inf/inf), ``softplus`` returns inf for x > 709,
``softmax`` returns nan once any x > 709. ``relu_prime`` returns 0 at x = 0 (001's convention).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from symml.handwritten._support import frozen

#: Hand-written keyword -> registry symbol, where a document uses another name.
ADAPTERS = frozen(
    {
        # 004 "5.1" writes softmax(z_i); 001 "6" writes sigma(z).
        "softmax": {"x": "z"},
        "sigmoid": {"x": "z"},
    }
)


def sigmoid(x: ArrayLike) -> NDArray[np.float64]:
    """Sigmoid as 001 writes it: ``1 / (1 + e^(-x))``.

    Args:
        x: input, scalar or array.

    Returns:
        The sigmoid, elementwise (overflow warning in ``exp`` for x < -709).
    """
    return 1 / (1 + np.exp(-x))


def sigmoid_prime(x: ArrayLike) -> NDArray[np.float64]:
    """Derivative of the sigmoid as 001 states it: ``s(x)(1 - s(x))``.

    Args:
        x: input, scalar or array.

    Returns:
        ``s * (1 - s)`` with ``s = sigmoid(x)``.
    """
    s = sigmoid(x)
    return s * (1 - s)


def tanh(x: ArrayLike) -> NDArray[np.float64]:
    """Tanh as 001 and 000 write it: ``(e^x - e^-x) / (e^x + e^-x)``.

    Args:
        x: input, scalar or array.

    Returns:
        The quotient, elementwise (nan for |x| > 710: inf / inf).
    """
    return (np.exp(x) - np.exp(-x)) / (np.exp(x) + np.exp(-x))


def tanh_prime(x: ArrayLike) -> NDArray[np.float64]:
    """Derivative of tanh as 001 states it: ``1 - tanh^2(x)``.

    Args:
        x: input, scalar or array.

    Returns:
        ``1 - np.tanh(x)**2``.
    """
    return 1 - np.tanh(x) ** 2


def relu(x: ArrayLike) -> NDArray[np.float64]:
    """ReLU as 001 writes it: ``max(0, x)``.

    Args:
        x: input, scalar or array.

    Returns:
        ``np.maximum(0, x)``.
    """
    return np.maximum(0, x)


def relu_prime(x: ArrayLike) -> NDArray[np.float64]:
    """Derivative of ReLU as 001 states it: 1 if x > 0, 0 if x <= 0 ("0 or 1" in 000).

    Args:
        x: input, scalar or array.

    Returns:
        ``(x > 0)`` as floats (0.0 at x = 0).
    """
    return (np.asarray(x) > 0).astype(float)


def leaky_relu(x: ArrayLike, alpha: float = 0.01) -> NDArray[np.float64]:
    """Leaky ReLU as 001 writes it: ``max(alpha x, x)``.

    Equal to 001's piecewise form {x if x > 0, alpha x if x <= 0} only for alpha <= 1.

    Args:
        x: input, scalar or array.
        alpha: the slope for negative inputs ("a small constant (e.g., 0.01)").

    Returns:
        ``np.maximum(alpha * x, x)``.
    """
    return np.maximum(alpha * np.asarray(x), x)


def softplus(x: ArrayLike) -> NDArray[np.float64]:
    """Softplus the naive way, ``log(1 + e^x)`` (no document writes it; inf for x > 709).

    Args:
        x: input, scalar or array.

    Returns:
        ``np.log(1 + np.exp(x))``.
    """
    return np.log(1 + np.exp(x))


def softmax(x: ArrayLike) -> NDArray[np.float64]:
    """Softmax as 001 writes it: ``e^(x_i) / sum_j e^(x_j)``, over the whole array.

    Args:
        x: the scores (a vector; the sum runs over every element).

    Returns:
        ``np.exp(x) / np.sum(np.exp(x))`` (nan once any x > 709).
    """
    return np.exp(x) / np.sum(np.exp(x))
