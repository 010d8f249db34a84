"""Regression: 002's least-squares, ridge and lasso code; the gradients of 001 and 003.

Sources (documents in ``formulas/documents/``):

    linear_regression             002 "Statistics / Regression Analysis" (def linear_regression)
    ridge_regression              002 "Statistics / Regularization" (def ridge_regression)
    lasso_regression              002 "Statistics / Regularization" (def lasso_regression)
    lasso_regression_adapter      adapter: lasso_regression(X=x, y, alpha) for lasso_objective
    linear_regression_cost        001 "6. Linear Regression / Cost Function" (1/2m)
    linear_regression_gradient    001 "6. Linear Regression / Gradient" (1/m) x^T (x w + b - y)
    logistic_regression_cost      001 "6. Logistic Regression / Cost Function" (h uses the naive
                                  ``activations.sigmoid``, as 001 writes h = 1/(1 + e^-(w^T x + b)))
    logistic_regression_gradient  001 "6. Logistic Regression / Gradient"
    simple_regression_loss        003 "2.1 Gradient Descent Example / Loss function"
    simple_regression_grad_w      003 "2.1 ... Gradients": -(2/n) sum x_i (y_i - (w x_i + b))
    simple_regression_grad_b      003 "2.1 ... Gradients": -(2/n) sum (y_i - (w x_i + b))

Bugs kept from 002: ``lasso_regression`` uses ``X_b``, which it never defines (unlike
``ridge_regression`` it has no ``X_b = np.c_[...]`` line), so every call raises
``NameError: name 'X_b' is not defined``. ``ridge_regression`` adds ``alpha * I`` of size
d + 1, so it also penalises the intercept (the bias column of ones), which ridge regression
normally leaves out. ``linear_regression`` solves the normal equations (not ``lstsq``).

In 001 the samples are rows x_i of ``x`` (001 writes x_ij, lower case), so the regression
gradients take ``x``; 002's code takes ``X``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from symml.handwritten._support import frozen
from symml.handwritten.activations import sigmoid

#: Hand-written keyword -> registry symbol, where a document uses another name.
ADAPTERS = frozen(
    {
        # The gradient in matrix form, (1/m) X^T (X w + b - y), names the matrix X.
        "linear_regression_gradient": {"x": "X"},
        "logistic_regression_gradient": {"x": "X"},
    }
)


def linear_regression(X: NDArray[np.float64], y: ArrayLike) -> NDArray[np.float64]:
    """Document 002's least squares: solve ``(X_b^T X_b) w = X_b^T y`` with a bias column.

    Args:
        X: features, one sample per row (2-D).
        y: targets.

    Returns:
        ``weights``: intercept first, then one weight per feature.
    """
    # Add bias term
    X_b = np.c_[np.ones((X.shape[0], 1)), X]
    # Compute weights: w = (X^T X)^(-1) X^T y
    XtX = X_b.T @ X_b
    Xty = X_b.T @ y
    weights = np.linalg.solve(XtX, Xty)
    return weights


def ridge_regression(
    X: NDArray[np.float64], y: ArrayLike, alpha: float = 1.0
) -> NDArray[np.float64]:
    """Document 002's ridge regression; the penalty ``alpha I`` covers the intercept too.

    Args:
        X: features, one sample per row (2-D).
        y: targets.
        alpha: penalty strength.

    Returns:
        ``weights``: intercept first (shrunk towards 0 as well).
    """
    n, d = X.shape
    X_b = np.c_[np.ones((n, 1)), X]
    # w = (X^T X + alpha I)^(-1) X^T y
    XtX = X_b.T @ X_b
    XtX += alpha * np.eye(d + 1)  # Add regularization
    Xty = X_b.T @ y
    weights = np.linalg.solve(XtX, Xty)
    return weights


def lasso_regression(
    X: NDArray[np.float64], y: ArrayLike, alpha: float = 1.0, max_iter: int = 1000
) -> NDArray[np.float64]:
    """Document 002's lasso by coordinate descent, as written: it cannot run.

    Args:
        X: features, one sample per row (2-D).
        y: targets.
        alpha: L1 penalty strength.
        max_iter: sweeps over the coordinates.

    Returns:
        Never returns when ``max_iter >= 1``.

    Raises:
        NameError: ``X_b`` is not defined (002's bug, kept).
    """
    n, d = X.shape
    weights = np.zeros(d + 1)
    for _ in range(max_iter):
        for j in range(d + 1):
            # Soft thresholding for L1
            residual = y - X_b @ weights + X_b[:, j] * weights[j]  # noqa: F821 (002's bug)
            rho_j = X_b[:, j] @ residual  # noqa: F821
            if j == 0:  # Intercept
                weights[j] = rho_j / n
            else:
                weights[j] = (
                    np.sign(rho_j) * max(0, abs(rho_j) - alpha) / (X_b[:, j] @ X_b[:, j])  # noqa: F821
                )
    return weights


def lasso_regression_adapter(x: ArrayLike, y: ArrayLike, alpha: float) -> NDArray[np.float64]:
    """Adapter: 002's ``lasso_regression`` called on the registry's ``lasso_objective``.

    The formula's samples are the rows ``x_i`` of ``x`` (features only, the intercept is
    ``w_0``), which is what 002 passes as ``X``; the code is called as written, so it raises
    002's ``NameError`` for ``X_b``.

    Args:
        x: features, one sample per row (2-D, no column of ones).
        y: targets.
        alpha: L1 penalty strength.

    Returns:
        ``lasso_regression(X=x, y=y, alpha=alpha)``: ``[w_0, w_1, ..., w_d]`` if it ran.
    """
    return lasso_regression(np.asarray(x, dtype=float), np.asarray(y, dtype=float), alpha)


def _m(y: ArrayLike, m: int | None) -> int:
    return int(np.size(y)) if m is None else m


def linear_regression_cost(
    x: ArrayLike, y: ArrayLike, w: ArrayLike, b: float, m: int | None = None
) -> np.float64:
    """001's cost, ``J(w) = (1/2m) sum (h(x_i) - y_i)^2`` with ``h(x) = w^T x + b``.

    Args:
        x: samples, one per row.
        y: targets.
        w: weights.
        b: bias.
        m: the count in ``1/2m`` (default: the number of targets).

    Returns:
        The cost.
    """
    m = _m(y, m)
    h = np.asarray(x) @ np.asarray(w) + b
    return (1 / (2 * m)) * np.sum((h - np.asarray(y)) ** 2)


def linear_regression_gradient(
    x: ArrayLike, y: ArrayLike, w: ArrayLike, b: float, m: int | None = None
) -> NDArray[np.float64]:
    """001's gradient, ``dJ/dw_j = (1/m) sum (h(x_i) - y_i) x_ij``: ``(1/m) x^T (x w + b - y)``.

    Args:
        x: samples, one per row.
        y: targets.
        w: weights.
        b: bias.
        m: the count in ``1/m`` (default: the number of targets).

    Returns:
        The gradient with respect to ``w``.
    """
    m = _m(y, m)
    x = np.asarray(x)
    return (1 / m) * x.T @ (x @ np.asarray(w) + b - np.asarray(y))


def logistic_regression_cost(
    x: ArrayLike, y: ArrayLike, w: ArrayLike, b: float, m: int | None = None
) -> np.float64:
    """001's cost, ``-(1/m) sum [y_i log h(x_i) + (1-y_i) log(1-h(x_i))]``, h = sigmoid.

    Args:
        x: samples, one per row.
        y: labels in {0, 1}.
        w: weights.
        b: bias.
        m: the count in ``1/m`` (default: the number of labels).

    Returns:
        The cost in nats.
    """
    m = _m(y, m)
    y = np.asarray(y)
    h = sigmoid(np.asarray(x) @ np.asarray(w) + b)
    return -(1 / m) * np.sum(y * np.log(h) + (1 - y) * np.log(1 - h))


def logistic_regression_gradient(
    x: ArrayLike, y: ArrayLike, w: ArrayLike, b: float, m: int | None = None
) -> NDArray[np.float64]:
    """001's gradient, ``dJ/dw_j = (1/m) sum (h(x_i) - y_i) x_ij`` with h = sigmoid.

    Args:
        x: samples, one per row.
        y: labels in {0, 1}.
        w: weights.
        b: bias.
        m: the count in ``1/m`` (default: the number of labels).

    Returns:
        The gradient with respect to ``w``.
    """
    m = _m(y, m)
    x = np.asarray(x)
    return (1 / m) * x.T @ (sigmoid(x @ np.asarray(w) + b) - np.asarray(y))


def simple_regression_loss(
    x: ArrayLike, y: ArrayLike, w: float, b: float, n: int | None = None
) -> np.float64:
    """003's loss, ``L(w) = (1/n) sum (y_i - (w x_i + b))^2`` (one feature, scalar w).

    Args:
        x: inputs x_i.
        y: targets y_i.
        w: slope.
        b: intercept.
        n: the count in ``1/n`` (default: the number of targets).

    Returns:
        The loss.
    """
    n = _m(y, n)
    return (1 / n) * np.sum((np.asarray(y) - (w * np.asarray(x) + b)) ** 2)


def simple_regression_grad_w(
    x: ArrayLike, y: ArrayLike, w: float, b: float, n: int | None = None
) -> np.float64:
    """003's ``dL/dw = -(2/n) sum x_i (y_i - (w x_i + b))``.

    Args:
        x: inputs x_i.
        y: targets y_i.
        w: slope.
        b: intercept.
        n: the count in ``2/n`` (default: the number of targets).

    Returns:
        The derivative with respect to ``w``.
    """
    n = _m(y, n)
    x = np.asarray(x)
    return -(2 / n) * np.sum(x * (np.asarray(y) - (w * x + b)))


def simple_regression_grad_b(
    x: ArrayLike, y: ArrayLike, w: float, b: float, n: int | None = None
) -> np.float64:
    """003's ``dL/db = -(2/n) sum (y_i - (w x_i + b))``.

    Args:
        x: inputs x_i.
        y: targets y_i.
        w: slope.
        b: intercept.
        n: the count in ``2/n`` (default: the number of targets).

    Returns:
        The derivative with respect to ``b``.
    """
    n = _m(y, n)
    return -(2 / n) * np.sum(np.asarray(y) - (w * np.asarray(x) + b))
