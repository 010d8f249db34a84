"""Optimizers and losses: the documents' gradient-descent code, Adam, cost functions, penalties.

Sources (documents in ``formulas/documents/``):

    gradient_descent          002 "Calculus / Derivatives and Gradients" (stops when the step
                              is shorter than ``tol``)
    gradient_descent_one_step adapter: one update of 002's gradient_descent (max_iter=1)
    gradient_descent_history  000 "Code Example: Matrix Operations in Python" gradient_descent
                              (fixed ``epochs``, returns the history; ``x -= lr * g`` in place)
    rust_gradient_descent     000 "Code Example: Gradient Descent in Rust"
                              ``GradientDescent::minimize``, ported line by line
    rust_gradient_descent_002_settings  adapter: the Rust loop with 002's example settings
    GradientDescent           000 "Code Example: Gradient Descent in Rust" struct (frozen)
    adam_step                 001 "5. Optimization / Adaptive Learning Rate" (no bias correction)
    adam_step_bias_corrected  004 "4.2 Adam Optimizer" (m_hat, v_hat)
    mse                       001 "5. Cost Functions"; 000 "4.2"; 004 "3.2"
    mae                       001 "5. Cost Functions"
    bce                       004 "3.1" and 003 "Binary Cross-Entropy" (mean over N)
    bce_sum                   001 "5. Cost Functions" Cross-Entropy Loss (a sum, no 1/n)
    categorical_cross_entropy 000 "4.2" and 004 "3.1" multi-class: -sum y_c log(y_hat_c)
    hinge_loss                001 "5. Cost Functions" Hinge Loss
    focal_loss                004 "3.3 Focal Loss"
    l1_penalty                001 "8. Regularization / L1": lambda sum |w_i|
    l1_gradient               001 "8. Regularization / L1 / Gradient": lambda sign(w_i)
    l2_penalty                001 "8. Regularization / L2": lambda sum w_i^2
    l2_gradient               001 "8. Regularization / L2 / Gradient": 2 lambda w_i

Behaviour kept from the documents: 002's ``gradient_descent`` and 000's Rust loop use different
stopping rules (step length against gradient norm) and both return silently, without saying
whether they converged; the Rust ``f`` is never called (rustc would warn that it is unused);
000's Python version makes a float copy of ``x0`` and then updates that copy in place, so a
``grad_f`` that keeps a reference to its argument sees it change. 001's Adam has no bias
correction, so its first steps are too small by the factor (1 - beta_1) / sqrt(1 - beta_2).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from symml.handwritten._support import accepts_lambda, frozen

#: Hand-written keyword -> registry symbol, where a document uses another name.
ADAPTERS = frozen(
    {
        # 001: m_t = beta_1 m_(t-1) + (1-beta_1) g_t ... theta_t = theta_(t-1) - ...
        "adam_step": {
            "theta": "theta_t_minus_1",
            "m": "m_t_minus_1",
            "v": "v_t_minus_1",
            "g": "g_t",
        },
        # 004: ... theta_{t+1} = theta_t - eta / (sqrt(v_hat_t) + epsilon) m_hat_t
        "adam_step_bias_corrected": {
            "theta": "theta_t",
            "m": "m_t_minus_1",
            "v": "v_t_minus_1",
            "g": "g_t",
        },
        "l1_penalty": {"lambda_": "lambda"},
        "l1_gradient": {"lambda_": "lambda"},
        "l2_penalty": {"lambda_": "lambda"},
        "l2_gradient": {"lambda_": "lambda"},
        # 004 "3.3" writes FL(p_t) = -alpha_t (1-p_t)^gamma log(p_t)
        "focal_loss": {"p": "p_t", "alpha": "alpha_t"},
    }
)

#: Which left side of an aligned block each returned value is (the code returns a tuple).
OUTPUTS = MappingProxyType(
    {
        "adam_step": ("theta_t", "m_t", "v_t"),
        "adam_step_bias_corrected": ("theta_t_plus_1", "m_t", "v_t"),
    }
)


def gradient_descent(
    f: Callable[[Any], Any],
    grad_f: Callable[[Any], Any],
    x0: Any,
    learning_rate: float = 0.01,
    max_iter: int = 1000,
    tol: float = 1e-6,
) -> Any:
    """Document 002's gradient descent: stop when the step ``x_new - x`` is shorter than ``tol``.

    Args:
        f: the function (unused by the loop, as in 002).
        grad_f: its gradient.
        x0: the starting point (not copied; the loop rebinds ``x``).
        learning_rate: step size.
        max_iter: iteration cap.
        tol: threshold on ``np.linalg.norm(x_new - x)``.

    Returns:
        The last ``x`` (when stopping on ``tol``, the point *before* the final step).
    """
    x = x0
    for _i in range(max_iter):
        gradient = grad_f(x)
        x_new = x - learning_rate * gradient
        # Check convergence
        if np.linalg.norm(x_new - x) < tol:
            break
        x = x_new
    return x


def gradient_descent_one_step(
    f: Callable[[Any], Any], grad_f: Callable[[Any], Any], x0: Any, learning_rate: float = 0.01
) -> Any:
    """Adapter (not in the documents): one update of 002's :func:`gradient_descent`
    (``max_iter=1``; ``tol=0`` so that the step is taken), to compare with the update rule.

    Args:
        f: the function (unused, as in 002).
        grad_f: its gradient.
        x0: the current point theta_t.
        learning_rate: the step size alpha.

    Returns:
        ``gradient_descent(f, grad_f, x0, learning_rate, max_iter=1, tol=0.0)``.
    """
    return gradient_descent(f, grad_f, x0, learning_rate, max_iter=1, tol=0.0)


def gradient_descent_history(
    f: Callable[[NDArray[np.float64]], Any],
    grad_f: Callable[[NDArray[np.float64]], Any],
    x0: ArrayLike,
    lr: float = 0.01,
    epochs: int = 1000,
) -> tuple[NDArray[np.float64], list[Any]]:
    """Document 000's Python gradient descent: ``epochs`` in-place steps, with the history of f.

    Args:
        f: the function, evaluated before the loop and after every step.
        grad_f: its gradient.
        x0: the starting point (copied to a float array, then updated in place).
        lr: step size.
        epochs: number of steps (no stopping rule).

    Returns:
        ``(x, history)`` with ``len(history) == epochs + 1``.
    """
    x = np.array(x0, dtype=float)
    history = [f(x)]
    for _ in range(epochs):
        g = grad_f(x)
        x -= lr * g
        history.append(f(x))
    return x, history


def rust_gradient_descent(
    f: Callable[[NDArray[np.float64]], float],
    grad: Callable[[NDArray[np.float64]], Sequence[float]],
    x0: Sequence[float],
    learning_rate: float,
    max_iterations: int,
    tolerance: float,
) -> list[float]:
    """Document 000's Rust ``GradientDescent::minimize``, line by line.

    The Rust signature takes ``&[f64]`` slices; ``f`` and ``grad`` here receive a read-only
    float64 array copy of ``x`` (a borrow cannot be mutated either). ``f`` is never called.

    Args:
        f: the function (unused, as in the Rust code).
        grad: the gradient, returning one value per coordinate.
        x0: the starting point.
        learning_rate: step size.
        max_iterations: iteration cap (``0..self.max_iterations``).
        tolerance: stop, before stepping, once the gradient norm is below it.

    Returns:
        The final point as a list of floats (``Vec<f64>``).
    """
    # let mut x = x0.to_vec();
    x = [float(xi) for xi in x0]
    # for _ in 0..self.max_iterations {
    for _ in range(max_iterations):
        # let g = grad(&x);
        g = [float(gi) for gi in grad(_borrow(x))]
        # let norm: f64 = g.iter().map(|gi| gi * gi).sum::<f64>().sqrt();
        norm = math.sqrt(sum(gi * gi for gi in g))
        # if norm < self.tolerance { break; }
        if norm < tolerance:
            break
        # for (xi, gi) in x.iter_mut().zip(g.iter()) { *xi -= self.learning_rate * gi; }
        for i, gi in zip(range(len(x)), g, strict=False):  # Rust zip stops at the shorter
            x[i] -= learning_rate * gi
    return x


def rust_gradient_descent_002_settings(
    f: Callable[[NDArray[np.float64]], float],
    grad: Callable[[NDArray[np.float64]], Sequence[float]],
    x0: Sequence[float],
) -> list[float]:
    """Adapter (not in the documents): :func:`rust_gradient_descent` with the settings of
    002's example that the registry applies it to (``learning_rate=0.01``, ``max_iter=1000``,
    ``tol=1e-6``); 000's Rust struct gives no values of its own.

    Args:
        f: the function (unused, as in the Rust code).
        grad: the gradient.
        x0: the starting point.

    Returns:
        ``rust_gradient_descent(f, grad, x0, 0.01, 1000, 1e-6)``.
    """
    return rust_gradient_descent(f, grad, x0, 0.01, 1000, 1e-6)


def _borrow(x: list[float]) -> NDArray[np.float64]:
    view = np.array(x, dtype=np.float64)
    view.flags.writeable = False
    return view


@dataclass(frozen=True)
class GradientDescent:
    """Document 000's Rust ``struct GradientDescent``; ``minimize`` is ``rust_gradient_descent``."""

    learning_rate: float
    max_iterations: int
    tolerance: float

    def minimize(
        self,
        f: Callable[[NDArray[np.float64]], float],
        grad: Callable[[NDArray[np.float64]], Sequence[float]],
        x0: Sequence[float],
    ) -> list[float]:
        """``GradientDescent::minimize`` (see ``rust_gradient_descent``)."""
        return rust_gradient_descent(
            f, grad, x0, self.learning_rate, self.max_iterations, self.tolerance
        )


def adam_step(
    theta: ArrayLike,
    m: ArrayLike,
    v: ArrayLike,
    g: ArrayLike,
    alpha: float = 0.001,
    beta_1: float = 0.9,
    beta_2: float = 0.999,
    epsilon: float = 1e-8,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """One Adam step as 001 writes it, without bias correction.

    ``m_t = beta_1 m_(t-1) + (1-beta_1) g_t``, ``v_t = beta_2 v_(t-1) + (1-beta_2) g_t^2``,
    ``theta_t = theta_(t-1) - alpha m_t / (sqrt(v_t) + epsilon)``.

    Args:
        theta: parameters theta_(t-1).
        m: first moment m_(t-1).
        v: second moment v_(t-1).
        g: gradient g_t.
        alpha: learning rate (001 gives no default; 0.001 here).
        beta_1: first-moment decay ("typically 0.9").
        beta_2: second-moment decay ("typically 0.999").
        epsilon: "small constant (e.g., 10^-8)".

    Returns:
        ``(theta_t, m_t, v_t)``.
    """
    m_t = beta_1 * np.asarray(m) + (1 - beta_1) * np.asarray(g)
    v_t = beta_2 * np.asarray(v) + (1 - beta_2) * np.asarray(g) ** 2
    theta_t = np.asarray(theta) - alpha * m_t / (np.sqrt(v_t) + epsilon)
    return theta_t, m_t, v_t


def adam_step_bias_corrected(
    theta: ArrayLike,
    m: ArrayLike,
    v: ArrayLike,
    g: ArrayLike,
    t: int,
    eta: float = 0.001,
    beta_1: float = 0.9,
    beta_2: float = 0.999,
    epsilon: float = 1e-8,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """One Adam step as 004 writes it, with bias correction.

    ``m_hat_t = m_t / (1 - beta_1^t)``, ``v_hat_t = v_t / (1 - beta_2^t)``,
    ``theta_(t+1) = theta_t - eta / (sqrt(v_hat_t) + epsilon) m_hat_t``.

    Args:
        theta: parameters theta_t.
        m: first moment m_(t-1).
        v: second moment v_(t-1).
        g: gradient g_t.
        t: step number, from 1.
        eta: learning rate.
        beta_1: first-moment decay.
        beta_2: second-moment decay.
        epsilon: small constant.

    Returns:
        ``(theta_(t+1), m_t, v_t)`` (the moments without correction, to carry forward).
    """
    m_t = beta_1 * np.asarray(m) + (1 - beta_1) * np.asarray(g)
    v_t = beta_2 * np.asarray(v) + (1 - beta_2) * np.asarray(g) ** 2
    m_hat_t = m_t / (1 - beta_1**t)
    v_hat_t = v_t / (1 - beta_2**t)
    theta_next = np.asarray(theta) - eta / (np.sqrt(v_hat_t) + epsilon) * m_hat_t
    return theta_next, m_t, v_t


def mse(y: ArrayLike, y_hat: ArrayLike, n: int | None = None) -> np.float64:
    """Mean squared error, ``(1/n) sum (y_i - y_hat_i)^2`` (001, 000 "4.2", 004 "3.2" with N).

    Args:
        y: targets.
        y_hat: predictions.
        n: the count in ``1/n`` (default: the number of elements of ``y``).

    Returns:
        The loss.
    """
    n = np.size(y) if n is None else n
    return (1 / n) * np.sum((np.asarray(y) - np.asarray(y_hat)) ** 2)


def mae(y: ArrayLike, y_hat: ArrayLike, n: int | None = None) -> np.float64:
    """Mean absolute error, ``(1/n) sum |y_i - y_hat_i|`` (001 "5. Cost Functions").

    Args:
        y: targets.
        y_hat: predictions.
        n: the count in ``1/n`` (default: the number of elements of ``y``).

    Returns:
        The loss.
    """
    n = np.size(y) if n is None else n
    return (1 / n) * np.sum(np.abs(np.asarray(y) - np.asarray(y_hat)))


def bce(y: ArrayLike, y_hat: ArrayLike, N: int | None = None) -> np.float64:
    """Binary cross-entropy, ``-(1/N) sum [y log y_hat + (1-y) log(1-y_hat)]`` (004, 003).

    Args:
        y: labels in {0, 1} (or probabilities).
        y_hat: predicted probabilities (log(0) = -inf at 0 and 1, as written).
        N: the count in ``1/N`` (default: the number of elements of ``y``).

    Returns:
        The loss in nats.
    """
    y, y_hat = np.asarray(y), np.asarray(y_hat)
    N = np.size(y) if N is None else N
    return -(1 / N) * np.sum(y * np.log(y_hat) + (1 - y) * np.log(1 - y_hat))


def bce_sum(y: ArrayLike, y_hat: ArrayLike) -> np.float64:
    """001's cross-entropy loss: ``-sum [y log y_hat + (1-y) log(1-y_hat)]`` (no 1/n).

    Args:
        y: labels in {0, 1}.
        y_hat: predicted probabilities.

    Returns:
        The summed loss in nats.
    """
    y, y_hat = np.asarray(y), np.asarray(y_hat)
    return -np.sum(y * np.log(y_hat) + (1 - y) * np.log(1 - y_hat))


def categorical_cross_entropy(y: ArrayLike, y_hat: ArrayLike) -> np.float64:
    """Multi-class cross-entropy, ``-sum_c y_c log(y_hat_c)`` (000 "4.2", 004 "3.1").

    Args:
        y: one-hot (or probability) targets.
        y_hat: predicted probabilities.

    Returns:
        The loss in nats (natural log, as ``\\log`` is read).
    """
    return -np.sum(np.asarray(y) * np.log(y_hat))


def hinge_loss(y: ArrayLike, w: ArrayLike, x: ArrayLike, b: float) -> NDArray[np.float64]:
    """Hinge loss as 001 writes it: ``max(0, 1 - y_i (w . x_i + b))``.

    Args:
        y: label(s) in {-1, +1}.
        w: weight vector.
        x: one sample (vector) or samples (rows of a matrix).
        b: bias.

    Returns:
        The loss per sample (001 writes no sum or mean).
    """
    return np.maximum(0, 1 - np.asarray(y) * (np.asarray(x) @ np.asarray(w) + b))


def focal_loss(p: ArrayLike, alpha: ArrayLike, gamma: float) -> NDArray[np.float64]:
    """Focal loss as 004 writes it: ``FL(p_t) = -alpha_t (1 - p_t)^gamma log(p_t)``.

    Args:
        p: p_t, the predicted probability of the true class.
        alpha: alpha_t, the class weight.
        gamma: focusing parameter.

    Returns:
        The loss, elementwise.
    """
    p = np.asarray(p)
    return -np.asarray(alpha) * (1 - p) ** gamma * np.log(p)


@accepts_lambda
def l1_penalty(w: ArrayLike, lambda_: float) -> np.float64:
    """001's L1 term: ``lambda sum |w_i|`` (call with ``lambda_=`` or ``**{"lambda": ...}``).

    Args:
        w: weights.
        lambda_: regularisation strength (the symbol ``lambda``).

    Returns:
        The penalty.
    """
    return lambda_ * np.sum(np.abs(w))


@accepts_lambda
def l1_gradient(w: ArrayLike, lambda_: float) -> NDArray[np.float64]:
    """001's L1 gradient term: ``lambda sign(w_i)`` (0 at w_i = 0).

    Args:
        w: weights.
        lambda_: regularisation strength (the symbol ``lambda``).

    Returns:
        The gradient of ``l1_penalty`` where it exists.
    """
    return lambda_ * np.sign(w)


@accepts_lambda
def l2_penalty(w: ArrayLike, lambda_: float) -> np.float64:
    """001's L2 term: ``lambda sum w_i^2``.

    Args:
        w: weights.
        lambda_: regularisation strength (the symbol ``lambda``).

    Returns:
        The penalty.
    """
    return lambda_ * np.sum(np.asarray(w) ** 2)


@accepts_lambda
def l2_gradient(w: ArrayLike, lambda_: float) -> NDArray[np.float64]:
    """001's L2 gradient term: ``2 lambda w_i``.

    Args:
        w: weights.
        lambda_: regularisation strength (the symbol ``lambda``).

    Returns:
        The gradient of ``l2_penalty``.
    """
    return 2 * lambda_ * np.asarray(w)
