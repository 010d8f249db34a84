"""Neural-network pieces: 002's LinearLayer and ReLU layers, a neuron, layer norm, attention.

Sources (documents in ``formulas/documents/``):

    LinearLayer                  002 "Calculus / Chain Rule and Backpropagation"
    ReLU                         002 "Calculus / Chain Rule and Backpropagation"
    linear_layer_forward         adapter: ``LinearLayer(W, b).forward(X)``
    linear_layer_backward        adapter: ``LinearLayer.backward(dY)`` -> (dX, dW, db)
    linear_layer_dW              adapter: ``dW`` of ``linear_layer_backward`` (W, b unused: 0)
    linear_layer_db              adapter: ``db`` of ``linear_layer_backward`` (X, W, b unused: 0)
    linear_layer_dX              adapter: ``dX`` of ``linear_layer_backward`` (X, b unused: 0)
    relu_layer_backward          adapter: ``ReLU.backward(dY)`` after ``forward(X)``
    neuron                       000 "4.1 Forward Pass": z = sum_i w_i x_i + b
    layer_norm                   004 "5.3 Layer Normalization" (mu and sigma^2 over H, 1/H)
    attention                    000 "6.1"; 003 "5. Attention"; 004 "5.2" (row-wise softmax)

Kept from 002: ``LinearLayer.backward`` divides ``dW`` and ``db`` by the batch size m, while
``dX`` is not divided. For ``Y = X W + b`` and any upstream ``dY = dL/dY``, the true gradients
are ``dL/dW = X^T dY`` and ``dL/db = sum_rows dY``; 002's values are those divided by m. They
are right only if ``dY`` is the gradient of the *summed* loss and the layer is meant to step on
the *mean* loss, and then ``dX`` (not divided) is inconsistent with ``dW``; if ``dY`` already
comes from a mean loss, the 1/m is applied twice. ``__init__`` draws ``W`` from the global
``np.random`` state (unseeded); ``ReLU.backward`` passes 0 at X = 0.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from symml.handwritten._support import frozen

#: Hand-written keyword -> registry symbol, where a document uses another name.
ADAPTERS = frozen({})


class LinearLayer:
    """Document 002's fully connected layer, ``Y = X W + b``, with its backward pass."""

    def __init__(self, input_dim: int, output_dim: int) -> None:
        """Draw ``W`` from ``np.random.randn`` * 0.01 (global RNG, as 002); ``b`` is zeros.

        Args:
            input_dim: number of input features.
            output_dim: number of outputs.
        """
        self.W = np.random.randn(input_dim, output_dim) * 0.01
        self.b = np.zeros(output_dim)
        self.X: Any = None
        self.dW: Any = None
        self.db: Any = None

    def forward(self, X: NDArray[np.float64]) -> NDArray[np.float64]:
        """Store ``X`` and return ``X @ W + b``.

        Args:
            X: inputs, one sample per row.

        Returns:
            The outputs.
        """
        self.X = X
        return X @ self.W + self.b

    def backward(self, dY: NDArray[np.float64]) -> NDArray[np.float64]:
        """Set ``dW = X^T dY / m`` and ``db = sum(dY) / m``; return ``dX = dY W^T``.

        Args:
            dY: gradient from the next layer, one row per sample.

        Returns:
            The gradient with respect to the input (not divided by m).
        """
        # dY: gradient from next layer
        m = self.X.shape[0]
        # Gradients
        self.dW = self.X.T @ dY / m
        self.db = np.sum(dY, axis=0) / m
        # Gradient w.r.t. input (for previous layer)
        dX = dY @ self.W.T
        return dX


class ReLU:
    """Document 002's ReLU layer: ``max(0, X)`` forward, ``dY * (X > 0)`` backward."""

    def __init__(self) -> None:
        """Nothing stored until ``forward``."""
        self.X: Any = None

    def forward(self, X: NDArray[np.float64]) -> NDArray[np.float64]:
        """Store ``X`` and return ``np.maximum(0, X)``.

        Args:
            X: inputs.

        Returns:
            The activations.
        """
        self.X = X
        return np.maximum(0, X)

    def backward(self, dY: NDArray[np.float64]) -> NDArray[np.float64]:
        """Return ``dY * (X > 0)``.

        Args:
            dY: gradient from the next layer.

        Returns:
            The gradient with respect to the input.
        """
        dX = dY * (self.X > 0)
        return dX


def _layer(W: ArrayLike, b: ArrayLike) -> LinearLayer:
    W = np.asarray(W, dtype=float)
    layer = LinearLayer.__new__(LinearLayer)  # skip __init__: no draw from the global RNG
    layer.W, layer.b = W, np.asarray(b, dtype=float)
    layer.X = layer.dW = layer.db = None
    return layer


def linear_layer_forward(X: ArrayLike, W: ArrayLike, b: ArrayLike) -> NDArray[np.float64]:
    """Adapter: ``LinearLayer.forward`` with given ``W`` and ``b``.

    Args:
        X: inputs, one sample per row.
        W: weights, input_dim x output_dim.
        b: bias, output_dim.

    Returns:
        ``X @ W + b``.
    """
    return _layer(W, b).forward(np.asarray(X, dtype=float))


def linear_layer_backward(
    X: ArrayLike, W: ArrayLike, b: ArrayLike, dY: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Adapter: ``forward(X)`` then ``backward(dY)`` on a layer with the given ``W`` and ``b``.

    Args:
        X: inputs, one sample per row.
        W: weights, input_dim x output_dim.
        b: bias, output_dim.
        dY: upstream gradient, one row per sample.

    Returns:
        ``(dX, dW, db)`` exactly as 002's layer computes them (dW and db divided by m).
    """
    layer = _layer(W, b)
    layer.forward(np.asarray(X, dtype=float))
    dX = layer.backward(np.asarray(dY, dtype=float))
    return dX, layer.dW, layer.db


def linear_layer_dW(X: ArrayLike, dY: ArrayLike) -> NDArray[np.float64]:
    """Adapter: the ``dW`` that 002's ``LinearLayer.backward(dY)`` stores after ``forward(X)``.

    ``dW = X^T dY / m`` does not depend on the layer's ``W`` and ``b``, so zeros stand in.

    Args:
        X: inputs, one sample per row (m x d).
        dY: upstream gradient, one row per sample (m x k).

    Returns:
        ``linear_layer_backward(X, 0, 0, dY)[1]``.
    """
    X, dY = np.asarray(X, dtype=float), np.asarray(dY, dtype=float)
    W, b = np.zeros((X.shape[-1], dY.shape[-1])), np.zeros(dY.shape[-1])
    return linear_layer_backward(X, W, b, dY)[1]


def linear_layer_db(dY: ArrayLike) -> NDArray[np.float64]:
    """Adapter: the ``db`` that 002's ``LinearLayer.backward(dY)`` stores.

    ``db = sum_rows(dY) / m`` uses only the batch size m of ``X``; zeros stand in for ``X``
    (m x 1), ``W`` and ``b``.

    Args:
        dY: upstream gradient, one row per sample (m x k).

    Returns:
        ``linear_layer_backward(0, 0, 0, dY)[2]``.
    """
    dY = np.asarray(dY, dtype=float)
    m, k = dY.shape
    return linear_layer_backward(np.zeros((m, 1)), np.zeros((1, k)), np.zeros(k), dY)[2]


def linear_layer_dX(W: ArrayLike, dY: ArrayLike) -> NDArray[np.float64]:
    """Adapter: the ``dX`` that 002's ``LinearLayer.backward(dY)`` returns.

    ``dX = dY W^T`` does not depend on ``X`` (only its shape) or ``b``: zeros stand in.

    Args:
        W: weights, input_dim x output_dim (d x k).
        dY: upstream gradient, one row per sample (m x k).

    Returns:
        ``linear_layer_backward(0, W, 0, dY)[0]``.
    """
    W, dY = np.asarray(W, dtype=float), np.asarray(dY, dtype=float)
    X = np.zeros((dY.shape[0], W.shape[0]))
    return linear_layer_backward(X, W, np.zeros(W.shape[1]), dY)[0]


def relu_layer_backward(X: ArrayLike, dY: ArrayLike) -> NDArray[np.float64]:
    """Adapter: 002's ``ReLU`` layer, ``forward(X)`` then ``backward(dY)``.

    Args:
        X: inputs.
        dY: upstream gradient.

    Returns:
        ``dY * (X > 0)``.
    """
    layer = ReLU()
    layer.forward(np.asarray(X, dtype=float))
    return layer.backward(np.asarray(dY, dtype=float))


def neuron(w: ArrayLike, x: ArrayLike, b: float) -> np.float64:
    """000's single neuron pre-activation, ``z = sum_i w_i x_i + b``.

    Args:
        w: weights.
        x: inputs.
        b: bias.

    Returns:
        ``z``.
    """
    return np.sum(np.asarray(w) * np.asarray(x)) + b


def layer_norm(
    x: ArrayLike,
    gamma: ArrayLike,
    beta: ArrayLike,
    epsilon: float = 1e-5,
    H: int | None = None,
) -> NDArray[np.float64]:
    """004's layer norm, ``gamma (x - mu) / sqrt(sigma^2 + epsilon) + beta``.

    ``mu = (1/H) sum x_i`` and ``sigma^2 = (1/H) sum (x_i - mu)^2`` over the last axis.

    Args:
        x: activations (normalised over the last axis).
        gamma: scale.
        beta: shift.
        epsilon: added to the variance (004 gives no value; 1e-5 here).
        H: the count in ``1/H`` (default: the size of the last axis).

    Returns:
        The normalised activations.
    """
    x = np.asarray(x, dtype=float)
    H = x.shape[-1] if H is None else H
    mu = (1 / H) * np.sum(x, axis=-1, keepdims=True)
    sigma2 = (1 / H) * np.sum((x - mu) ** 2, axis=-1, keepdims=True)
    return np.asarray(gamma) * (x - mu) / np.sqrt(sigma2 + epsilon) + np.asarray(beta)


def attention(
    Q: ArrayLike, K: ArrayLike, V: ArrayLike, d_k: int | None = None
) -> NDArray[np.float64]:
    """Scaled dot-product attention, ``softmax(Q K^T / sqrt(d_k)) V`` (000, 003, 004).

    The softmax is the naive one (``exp`` / sum of ``exp``) taken over each row, as the
    documents' element formula applied to every query.

    Args:
        Q: queries, one per row.
        K: keys, one per row.
        V: values, one per row.
        d_k: key dimension (default: the number of columns of ``K``).

    Returns:
        The attended values, one row per query.
    """
    Q, K, V = np.asarray(Q), np.asarray(K), np.asarray(V)
    d_k = K.shape[-1] if d_k is None else d_k
    scores = Q @ K.T / np.sqrt(d_k)
    weights = np.exp(scores) / np.sum(np.exp(scores), axis=-1, keepdims=True)
    return weights @ V
