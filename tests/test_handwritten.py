"""Pin the behaviour of the hand-written versions (symml/handwritten/) against independent NumPy.

These are faithful ports of the documents' code, bugs included, so the expectations below are
what the *documents' code* computes (bits, 1/(n-1), 1/n, dW / m, a NameError), each checked
against a computation written independently here. Every function is called with keyword
arguments, as the verifier calls it.
"""

from __future__ import annotations

import importlib
import inspect
import math
import subprocess
import sys
import warnings

import numpy as np
import pytest

import symml.handwritten.activations as act
import symml.handwritten.information_theory as it
import symml.handwritten.linear_algebra as la
import symml.handwritten.neural_networks as nn
import symml.handwritten.optimization as opt
import symml.handwritten.probability as prob
import symml.handwritten.regression as reg
import symml.handwritten.statistics as stat

SEED = 20260
MODULES = [act, it, la, nn, opt, prob, reg, stat]
MODULE_IDS = [m.__name__.rsplit(".", 1)[1] for m in MODULES]
EPS = 1e-6  # central-difference step
FD_RTOL = 1e-6  # central differences in float64 are good to ~1e-9 here; this is loose on purpose


def table(cases):
    """parametrize arguments from rows ``(id, *values)``."""
    return {"argvalues": [c[1:] for c in cases], "ids": [c[0] for c in cases]}


def rng(offset: int = 0) -> np.random.Generator:
    return np.random.default_rng(SEED + offset)


def central_gradient(fun, x: np.ndarray) -> np.ndarray:
    """d fun / d x by central differences, one coordinate at a time (x is not modified)."""
    x = np.asarray(x, dtype=float)
    grad = np.empty_like(x)
    for idx in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[idx] += EPS
        down[idx] -= EPS
        grad[idx] = (fun(up) - fun(down)) / (2 * EPS)
    return grad


# --------------------------------------------------------------------------- package hygiene


def test_importing_every_module_loads_numpy_only():
    code = (
        "import sys\n"
        "import symml.handwritten\n"
        "assert 'numpy' not in sys.modules, 'the package itself must not import numpy'\n"
        + "".join(f"import {m.__name__}\n" for m in MODULES)
        + "heavy = [m for m in ('scipy', 'sympy', 'mpmath', 'latex2sympy2', 'antlr4')"
        " if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def _public(module):
    return [
        name
        for name, obj in vars(module).items()
        if not name.startswith("_")
        and (inspect.isfunction(obj) or inspect.isclass(obj))
        and obj.__module__ == module.__name__
    ]


@pytest.mark.parametrize("module", MODULES, ids=MODULE_IDS)
def test_module_docstring_names_every_function_and_its_source(module):
    doc = module.__doc__
    for name in _public(module):
        lines = [line for line in doc.splitlines() if line.strip().startswith(name + " ")]
        assert lines, f"{module.__name__}: no docstring line for {name}"
        # a source line names a document (000-004) or says it is an adapter / in no document
        assert any(
            any(d in line for d in ("000", "001", "002", "003", "004", "adapter", "no document"))
            for line in lines
        ), f"{module.__name__}: the docstring line for {name} names no source: {lines}"


@pytest.mark.parametrize("module", MODULES, ids=MODULE_IDS)
def test_adapter_tables_name_real_functions_and_parameters(module):
    for func_name, mapping in module.ADAPTERS.items():
        func = getattr(module, func_name)
        params = inspect.signature(func).parameters
        for keyword, symbol in mapping.items():
            assert keyword in params, f"{func_name} has no parameter {keyword!r}"
            assert symbol.isidentifier() or symbol == "lambda", symbol
    with pytest.raises(TypeError):
        module.ADAPTERS["x"] = {}  # type: ignore[index]


@pytest.mark.parametrize("module", MODULES, ids=MODULE_IDS)
def test_public_functions_have_docstrings_and_hints(module):
    for name in _public(module):
        obj = getattr(module, name)
        assert obj.__doc__, f"{name} has no docstring"
        if inspect.isfunction(obj):
            hints = inspect.signature(obj)
            assert hints.return_annotation is not inspect.Signature.empty, name


# --------------------------------------------------------------------------- activations

X_GRID = np.linspace(-8.0, 8.0, 41)


def _independent_sigmoid(x):
    return 0.5 * (1 + np.tanh(np.asarray(x) / 2))


VALUE_CASES = [
    # (function, kwargs, expected computed independently)
    ("sigmoid 0", act.sigmoid, {"x": 0.0}, 0.5),
    ("sigmoid grid", act.sigmoid, {"x": X_GRID}, _independent_sigmoid(X_GRID)),
    ("tanh grid", act.tanh, {"x": X_GRID}, np.tanh(X_GRID)),
    ("relu", act.relu, {"x": np.array([-2.0, 0.0, 3.0])}, np.array([0.0, 0.0, 3.0])),
    (
        "relu_prime is 0 or 1, 0 at 0",
        act.relu_prime,
        {"x": np.array([-2.0, 0.0, 1e-300, 3.0])},
        np.array([0.0, 0.0, 1.0, 1.0]),
    ),
    ("relu_prime scalar", act.relu_prime, {"x": 0.0}, 0.0),
    ("leaky_relu", act.leaky_relu, {"x": np.array([-2.0, 3.0]), "alpha": 0.1}, [-0.2, 3.0]),
    (
        "leaky_relu alpha > 1 is not the piecewise form",
        act.leaky_relu,
        {"x": np.array([-2.0, 3.0]), "alpha": 2.0},
        [-2.0, 6.0],
    ),
    ("softplus grid", act.softplus, {"x": X_GRID}, np.logaddexp(0.0, X_GRID)),
    (
        "softmax",
        act.softmax,
        {"x": np.array([1.0, 2.0, 3.0])},
        np.exp([-2.0, -1.0, 0.0]) / np.exp([-2.0, -1.0, 0.0]).sum(),
    ),
]


@pytest.mark.parametrize(("func", "kwargs", "expected"), **table(VALUE_CASES))
def test_activation_values(func, kwargs, expected):
    np.testing.assert_allclose(func(**kwargs), expected, rtol=1e-12, atol=1e-15)


DERIVATIVE_CASES = [
    # (name, function, stated derivative, independent closed form)
    ("sigmoid", act.sigmoid, act.sigmoid_prime, lambda x: np.exp(-x) / (1 + np.exp(-x)) ** 2),
    ("tanh", act.tanh, act.tanh_prime, lambda x: 1 / np.cosh(x) ** 2),
]


@pytest.mark.parametrize(("func", "prime", "closed"), **table(DERIVATIVE_CASES))
def test_stated_derivatives_match_closed_form_and_finite_differences(func, prime, closed):
    np.testing.assert_allclose(prime(x=X_GRID), closed(X_GRID), rtol=1e-10, atol=1e-15)
    fd = (func(x=X_GRID + EPS) - func(x=X_GRID - EPS)) / (2 * EPS)
    np.testing.assert_allclose(prime(x=X_GRID), fd, rtol=FD_RTOL, atol=1e-9)


def test_relu_prime_is_the_finite_difference_away_from_zero():
    x = np.array([-3.0, -0.5, 0.5, 3.0])
    fd = (act.relu(x=x + EPS) - act.relu(x=x - EPS)) / (2 * EPS)
    np.testing.assert_allclose(act.relu_prime(x=x), fd, rtol=1e-9)


INSTABILITY_CASES = [
    # (name, call, what the naive formula returns, the true value) -- kept on purpose
    ("sigmoid(-1000)", lambda: act.sigmoid(x=-1000.0), 0.0, 0.0),
    ("sigmoid_prime(-1000)", lambda: act.sigmoid_prime(x=-1000.0), 0.0, 0.0),
    ("tanh(1000)", lambda: act.tanh(x=1000.0), np.nan, 1.0),
    ("softplus(1000)", lambda: act.softplus(x=1000.0), np.inf, 1000.0),
    ("softmax([1000, 0])", lambda: act.softmax(x=np.array([1000.0, 0.0]))[0], np.nan, 1.0),
]


@pytest.mark.parametrize(("call", "naive", "true"), **table(INSTABILITY_CASES))
def test_naive_forms_overflow_where_the_true_value_is_finite(call, naive, true):
    # pytest.warns would re-raise the "invalid value" warnings that follow the overflow
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        got = call()
    messages = [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]
    assert any("overflow" in m for m in messages), messages
    np.testing.assert_equal(got, naive)
    assert math.isfinite(true)


# --------------------------------------------------------------------------- losses, penalties


def _loss_data():
    g = rng(1)
    y = g.uniform(0.05, 0.95, 8)
    y_hat = g.uniform(0.05, 0.95, 8)
    return y, y_hat


def test_regression_losses():
    y, y_hat = _loss_data()
    np.testing.assert_allclose(opt.mse(y=y, y_hat=y_hat), np.mean((y - y_hat) ** 2), rtol=1e-14)
    np.testing.assert_allclose(opt.mae(y=y, y_hat=y_hat), np.mean(np.abs(y - y_hat)), rtol=1e-14)
    # the count comes from the formula's n when the verifier passes it
    np.testing.assert_allclose(opt.mse(y=y, y_hat=y_hat, n=4), 2 * np.mean((y - y_hat) ** 2))


def test_cross_entropy_losses_are_in_nats():
    y = np.array([1.0, 0.0, 1.0, 0.0])
    y_hat = np.array([0.9, 0.2, 0.6, 0.4])
    expected = -np.mean([math.log(0.9), math.log(0.8), math.log(0.6), math.log(0.6)])
    np.testing.assert_allclose(opt.bce(y=y, y_hat=y_hat), expected, rtol=1e-14)
    np.testing.assert_allclose(opt.bce_sum(y=y, y_hat=y_hat), 4 * expected, rtol=1e-14)
    onehot, probs = np.array([0.0, 1.0, 0.0]), np.array([0.2, 0.5, 0.3])
    np.testing.assert_allclose(
        opt.categorical_cross_entropy(y=onehot, y_hat=probs), math.log(2), rtol=1e-14
    )


def test_hinge_and_focal_loss():
    w, b = np.array([1.0, -2.0]), 0.5
    x = np.array([[1.0, 0.0], [0.0, 1.0], [3.0, 0.0]])
    y = np.array([1.0, -1.0, -1.0])
    # margins y (w.x + b): 1.5, 1.5, -3.5
    np.testing.assert_allclose(opt.hinge_loss(y=y, w=w, x=x, b=b), [0.0, 0.0, 4.5])
    p = np.array([0.1, 0.5, 0.9])
    np.testing.assert_allclose(
        opt.focal_loss(p=p, alpha=0.25, gamma=0.0), -0.25 * np.log(p), rtol=1e-14
    )
    np.testing.assert_allclose(
        opt.focal_loss(p=p, alpha=1.0, gamma=2.0), -((1 - p) ** 2) * np.log(p), rtol=1e-14
    )


@pytest.mark.parametrize(
    ("penalty", "gradient"),
    [(opt.l1_penalty, opt.l1_gradient), (opt.l2_penalty, opt.l2_gradient)],
    ids=["l1", "l2"],
)
def test_penalty_gradients_are_the_derivatives_and_take_the_symbol_lambda(penalty, gradient):
    w = rng(2).normal(size=5)
    lam = 0.3
    fd = central_gradient(lambda v: penalty(w=v, lambda_=lam), w)
    np.testing.assert_allclose(gradient(w=w, lambda_=lam), fd, rtol=FD_RTOL)
    # the verifier passes the symbol ``lambda`` (a Python keyword) through **kwargs
    np.testing.assert_array_equal(gradient(w=w, **{"lambda": lam}), gradient(w=w, lambda_=lam))
    with pytest.raises(TypeError, match="both 'lambda' and 'lambda_'"):
        penalty(w=w, lambda_=lam, **{"lambda": lam})


# --------------------------------------------------------------------------- Adam


def test_adam_001_has_no_bias_correction_and_004_does():
    theta, g = np.array([1.0, -2.0]), np.array([0.5, -4.0])
    zeros = np.zeros(2)
    b1, b2, lr = 0.9, 0.999, 0.01
    t1, m1, v1 = opt.adam_step(
        theta=theta, m=zeros, v=zeros, g=g, alpha=lr, beta_1=b1, beta_2=b2, epsilon=0.0
    )
    np.testing.assert_allclose(m1, (1 - b1) * g)
    np.testing.assert_allclose(v1, (1 - b2) * g**2)
    # first step without correction: (1 - b1) / sqrt(1 - b2) = 3.16 times lr, not lr
    np.testing.assert_allclose(theta - t1, lr * (1 - b1) / math.sqrt(1 - b2) * np.sign(g))
    t2, m2, v2 = opt.adam_step_bias_corrected(
        theta=theta, m=zeros, v=zeros, g=g, t=1, eta=lr, beta_1=b1, beta_2=b2, epsilon=0.0
    )
    np.testing.assert_allclose(theta - t2, lr * np.sign(g), rtol=1e-12)
    np.testing.assert_array_equal(m1, m2)
    np.testing.assert_array_equal(v1, v2)


def test_adam_bias_correction_fades_with_t():
    g = rng(3)
    theta, m, v, grad = g.normal(size=3), g.normal(size=3), g.uniform(0.1, 1, 3), g.normal(size=3)
    a = opt.adam_step(theta=theta, m=m, v=v, g=grad, alpha=0.01)
    b = opt.adam_step_bias_corrected(theta=theta, m=m, v=v, g=grad, t=10**6, eta=0.01)
    np.testing.assert_allclose(a[0], b[0], rtol=1e-9)


# --------------------------------------------------------------------------- gradient descent


def test_002_gradient_descent_stops_on_step_length_and_returns_the_point_before_it():
    x = opt.gradient_descent(lambda x: x**2, lambda x: 2 * x, x0=10.0)
    # the step is 0.02 |x|: it stops at the first x with 0.02 |x| < 1e-6 and returns that x
    assert 0.98 * 5e-5 <= x < 5e-5
    capped = opt.gradient_descent(lambda x: x**2, lambda x: 2 * x, x0=10.0, max_iter=3)
    assert capped == pytest.approx(10.0 * 0.98**3, rel=1e-14)


def test_000_python_gradient_descent_keeps_history_and_updates_in_place():
    x0 = np.array([1.0, -2.0])
    seen = []

    def grad_f(x):
        seen.append(x)  # keeps a reference, as user code may
        return 2 * x

    x, history = opt.gradient_descent_history(
        f=lambda x: float(x @ x), grad_f=grad_f, x0=x0, lr=0.1, epochs=5
    )
    np.testing.assert_allclose(x, x0 * 0.8**5, rtol=1e-14)
    assert len(history) == 6
    np.testing.assert_allclose(history, [5.0 * 0.64**k for k in range(6)], rtol=1e-13)
    np.testing.assert_array_equal(x0, [1.0, -2.0])  # x0 itself is copied ...
    assert all(s is x for s in seen)  # ... but every step mutates that one array in place
    xi, _ = opt.gradient_descent_history(lambda x: 0.0, lambda x: x, x0=[3, 4], lr=0.5, epochs=1)
    assert xi.dtype == np.float64  # integer x0 works because of dtype=float


def test_rust_port_stops_on_gradient_norm_before_stepping():
    calls = []

    def grad(x):
        calls.append(x.copy())
        return 2 * x

    def f(x):
        raise AssertionError("the Rust loop never calls f")

    tol = 1e-3
    x = opt.rust_gradient_descent(f, grad, [10.0], 0.1, 1000, tol)
    # x_k = 10 * 0.8^k; it stops at the first k with |2 x_k| < tol, without stepping
    k = next(k for k in range(1000) if 20 * 0.8**k < tol)
    assert len(calls) == k + 1
    assert x == pytest.approx([10 * 0.8**k], rel=1e-12)
    assert abs(2 * x[0]) < tol <= abs(2 * calls[-2][0])
    assert isinstance(x, list) and all(isinstance(v, float) for v in x)


def test_rust_port_edges():
    # zero iterations: x0 back, as a new list
    x0 = [1.0, 2.0]
    out = opt.rust_gradient_descent(None, lambda x: x, x0, 0.1, 0, 1e-9)
    assert out == x0 and out is not x0

    # the gradient gets a borrowed (read-only) view of x
    def mutating(x):
        x[0] = 0.0
        return x

    with pytest.raises(ValueError, match="read-only"):
        opt.rust_gradient_descent(None, mutating, [1.0], 0.1, 1, 1e-9)
    # a NaN gradient never satisfies norm < tolerance: the loop runs to the cap
    nan = opt.rust_gradient_descent(None, lambda x: [math.nan], [1.0], 0.1, 3, 1e-9)
    assert math.isnan(nan[0])
    # the struct form is the same loop
    gd = opt.GradientDescent(learning_rate=0.1, max_iterations=50, tolerance=1e-4)
    grad = lambda x: 2 * x  # noqa: E731
    assert gd.minimize(None, grad, [3.0, -1.0]) == opt.rust_gradient_descent(
        None, grad, [3.0, -1.0], 0.1, 50, 1e-4
    )


def test_the_two_stopping_rules_differ():
    # 002 stops when lr * |g| < tol; the Rust loop when |g| < tol: with lr = 0.5 they differ
    grad = lambda x: 2 * x  # noqa: E731
    py = opt.gradient_descent(None, grad, x0=np.array([1.0]), learning_rate=0.25, tol=1e-3)
    rs = opt.rust_gradient_descent(None, grad, [1.0], 0.25, 1000, 1e-3)
    assert abs(py[0]) >= 1e-3  # 002: stopped once 0.5 |x| < 1e-3, i.e. |x| < 2e-3
    assert abs(rs[0]) < 5e-4  # Rust: ran on until 2 |x| < 1e-3


# --------------------------------------------------------------------------- regression


def _regression_data(offset=4, n=30, d=3):
    g = rng(offset)
    x = g.normal(size=(n, d))
    w = g.normal(size=d)
    b = float(g.normal())
    return x, w, b, g


def test_linear_regression_gradient_is_the_gradient_of_the_001_cost():
    x, w, b, g = _regression_data()
    y = g.normal(size=len(x))
    fd = central_gradient(lambda v: reg.linear_regression_cost(x=x, y=y, w=v, b=b), w)
    got = reg.linear_regression_gradient(x=x, y=y, w=w, b=b)
    np.testing.assert_allclose(got, fd, rtol=FD_RTOL)
    np.testing.assert_allclose(got, x.T @ (x @ w + b - y) / len(y), rtol=1e-12)


def test_logistic_regression_gradient_is_the_gradient_of_the_001_cost():
    x, w, b, g = _regression_data(offset=5)
    y = (g.uniform(size=len(x)) < 0.5).astype(float)
    fd = central_gradient(lambda v: reg.logistic_regression_cost(x=x, y=y, w=v, b=b), w)
    got = reg.logistic_regression_gradient(x=x, y=y, w=w, b=b)
    np.testing.assert_allclose(got, fd, rtol=FD_RTOL)
    h = _independent_sigmoid(x @ w + b)
    expected_cost = -np.mean(y * np.log(h) + (1 - y) * np.log(1 - h))
    np.testing.assert_allclose(
        reg.logistic_regression_cost(x=x, y=y, w=w, b=b), expected_cost, rtol=1e-12
    )


@pytest.mark.parametrize(
    ("grad", "wrt"),
    [(reg.simple_regression_grad_w, "w"), (reg.simple_regression_grad_b, "b")],
    ids=["dL/dw", "dL/db"],
)
def test_003_gradients_are_the_derivatives_of_003_loss(grad, wrt):
    g = rng(6)
    x, y = g.normal(size=20), g.normal(size=20)
    point = {"w": 0.7, "b": -0.3}

    def loss(v):
        return reg.simple_regression_loss(x=x, y=y, **{**point, wrt: float(v[0])})

    fd = central_gradient(loss, np.array([point[wrt]]))[0]
    assert grad(x=x, y=y, **point) == pytest.approx(fd, rel=FD_RTOL)


def test_linear_regression_solves_the_normal_equations_with_a_bias_column():
    # 002's own example data, and exact data
    X = np.array([[1], [2], [3], [4], [5]])
    y = np.array([2.1, 4.2, 6.1, 7.9, 10.2])
    X_b = np.c_[np.ones(5), X]
    np.testing.assert_allclose(
        reg.linear_regression(X=X, y=y), np.linalg.lstsq(X_b, y, rcond=None)[0], rtol=1e-12
    )
    x, w, b, _ = _regression_data(offset=7)
    np.testing.assert_allclose(reg.linear_regression(X=x, y=x @ w + b), [b, *w], rtol=1e-10)


def test_ridge_regression_penalises_the_intercept():
    # y is the constant 5 and X is centred: without an intercept penalty the intercept is 5
    n, alpha = 10, 2.0
    X = np.linspace(-1.0, 1.0, n)[:, None]
    y = np.full(n, 5.0)
    weights = reg.ridge_regression(X=X, y=y, alpha=alpha)
    assert weights[0] == pytest.approx(5.0 * n / (n + alpha), rel=1e-12)
    assert weights[0] != pytest.approx(5.0, rel=1e-3)
    X_b = np.c_[np.ones(n), X]
    np.testing.assert_allclose(
        weights, np.linalg.solve(X_b.T @ X_b + alpha * np.eye(2), X_b.T @ y), rtol=1e-12
    )


def test_lasso_regression_raises_name_error_for_X_b():
    x, w, b, _ = _regression_data(offset=8)
    with pytest.raises(NameError, match=r"name 'X_b' is not defined"):
        reg.lasso_regression(X=x, y=x @ w + b, alpha=0.1)
    # the bug is only reached inside the loop: with no iterations it returns zeros
    np.testing.assert_array_equal(reg.lasso_regression(X=x, y=x @ w, max_iter=0), np.zeros(4))


# --------------------------------------------------------------------------- information theory

ENTROPY_CASES = [
    ("fair coin is 1 bit, not ln 2", [0.5, 0.5], 1.0),
    ("four outcomes: 2 bits", [0.25] * 4, 2.0),
    ("zeros are skipped", [0.5, 0.0, 0.5], 1.0),
    ("biased coin (002's example)", [0.9, 0.1], -(0.9 * math.log2(0.9) + 0.1 * math.log2(0.1))),
]


@pytest.mark.parametrize(("p", "bits"), **table(ENTROPY_CASES))
def test_entropy_is_in_bits(p, bits):
    assert it.entropy(probabilities=p) == pytest.approx(bits, rel=1e-14)
    assert it.entropy_adapter(p=np.array(p)) == pytest.approx(bits, rel=1e-14)


def test_kl_and_cross_entropy_are_in_bits_and_consistent():
    g = rng(9)
    p, q = g.dirichlet(np.ones(5)), g.dirichlet(np.ones(5))
    kl_nats = np.sum(p * np.log(p / q))
    assert it.kl_divergence(p=p, q=q) == pytest.approx(kl_nats / math.log(2), rel=1e-12)
    assert it.kl_divergence(p=p, q=q) != pytest.approx(kl_nats, rel=1e-3)
    ce_nats = -np.sum(p * np.log(q))
    assert it.cross_entropy(p=p, q=q) == pytest.approx(ce_nats / math.log(2), rel=1e-12)
    # H(P, Q) = H(P) + KL(P || Q), all in bits
    assert it.cross_entropy(p=p, q=q) == pytest.approx(
        it.entropy(probabilities=p) + it.kl_divergence(p=p, q=q), rel=1e-12
    )


def test_kl_with_q_zero_is_inf():
    with pytest.warns(RuntimeWarning, match="divide by zero"):
        assert it.kl_divergence(p=np.array([0.5, 0.5]), q=np.array([1.0, 0.0])) == np.inf


# --------------------------------------------------------------------------- linear algebra


def test_pca_uses_the_n_minus_1_covariance():
    g = rng(10)
    X = g.normal(size=(25, 4)) @ g.normal(size=(4, 4))
    n = len(X)
    Xc = X - X.mean(axis=0)
    X_pca, components, eigenvalues = la.pca(X=X, n_components=2)
    np.testing.assert_allclose(eigenvalues, np.linalg.eigvalsh(Xc.T @ Xc / (n - 1))[::-1])
    over_n = np.linalg.eigvalsh(Xc.T @ Xc / n)[::-1]
    np.testing.assert_allclose(eigenvalues / over_n, n / (n - 1), rtol=1e-10)
    assert components.shape == (4, 2) and X_pca.shape == (25, 2)
    np.testing.assert_allclose(X_pca.var(axis=0, ddof=1), eigenvalues[:2], rtol=1e-10)
    np.testing.assert_allclose(la.pca_covariance(X=X), np.cov(X.T), rtol=1e-10, atol=1e-12)
    # 001's Sigma = (1/n) X^T X on the centred data is smaller by (n - 1) / n
    np.testing.assert_allclose(
        la.covariance_matrix(X=Xc) * n / (n - 1), la.pca_covariance(X=X), rtol=1e-10, atol=1e-12
    )


def test_pca_with_one_feature_cannot_run():
    with pytest.raises(np.linalg.LinAlgError, match="0-dimensional"):
        la.pca(X=rng(11).normal(size=(10, 1)), n_components=1)


def test_svd_compress_is_the_best_rank_k_approximation():
    A = rng(12).normal(size=(6, 5))
    s = np.linalg.svd(A, compute_uv=False)
    for k in (1, 2, 4):
        approx = la.svd_compress(matrix=A, k=k)
        assert np.linalg.matrix_rank(approx) == k
        # Eckart-Young: the spectral-norm error is the (k+1)-th singular value
        assert np.linalg.norm(A - approx, 2) == pytest.approx(s[k], rel=1e-10)
    np.testing.assert_allclose(la.svd_compress(matrix=A, k=5), A, atol=1e-12)


def test_vector_operations_and_distances():
    a, b = np.array([1.0, 2.0, 3.0]), np.array([4.0, 5.0, 6.0])
    assert la.dot(a=a, b=b) == 32.0  # 002's comment
    assert la.norm(v=a) == pytest.approx(math.sqrt(14), rel=1e-15)
    g = rng(13)
    x, y = g.normal(size=6), g.normal(size=6)
    assert la.euclidean_distance(x=x, y=y) == pytest.approx(np.linalg.norm(x - y), rel=1e-14)
    assert la.manhattan_distance(x=x, y=y) == pytest.approx(np.linalg.norm(x - y, 1), rel=1e-14)
    for p in (1, 2, 3.5):
        assert la.minkowski_distance(x=x, y=y, p=p) == pytest.approx(
            np.sum(np.abs(x - y) ** p) ** (1 / p), rel=1e-14
        )
    assert la.minkowski_distance(x=x, y=y, p=2) == pytest.approx(np.linalg.norm(x - y), rel=1e-14)
    assert la.cosine_similarity(x=x, y=3 * x) == pytest.approx(1.0, rel=1e-14)
    assert la.cosine_similarity(x=[1.0, 0.0], y=[0.0, 2.0]) == 0.0
    S = np.diag([4.0, 1.0, 1.0, 1.0, 1.0, 9.0])
    expected = math.sqrt(np.sum((x - y) ** 2 / np.diag(S)))
    assert la.mahalanobis_distance(x=x, y=y, Sigma=S) == pytest.approx(expected, rel=1e-12)


# --------------------------------------------------------------------------- probability


def test_mle_normal_divides_by_n():
    data = np.array([2.1, 2.5, 1.8, 2.3, 2.0])  # 002's example
    mu, sigma = prob.mle_normal(data=data)
    assert mu == pytest.approx(data.mean(), rel=1e-15)
    assert sigma == pytest.approx(data.std(ddof=0), rel=1e-14)
    assert sigma != pytest.approx(data.std(ddof=1), rel=1e-3)
    assert prob.mle_normal_adapter(x=data, n=5) == (mu, sigma)
    with pytest.raises(ValueError, match="n=4 but x has 5 samples"):
        prob.mle_normal_adapter(x=data, n=4)


def test_bayesian_update_spam_example():
    p_words = 0.9 * 0.3 + 0.1 * 0.7
    posterior = prob.bayesian_update(prior=0.3, likelihood=0.9, data=p_words)
    assert posterior == pytest.approx(0.27 / 0.34, rel=1e-15)
    # nothing checks that ``data`` is a probability: the result can exceed 1
    assert prob.bayesian_update(prior=0.5, likelihood=0.9, data=0.1) > 1


def test_normal_pdf():
    x = np.linspace(-12.0, 16.0, 20001)
    pdf = prob.normal_pdf(x=x, mu=2.0, sigma=2.0)
    assert np.sum(pdf) * (x[1] - x[0]) == pytest.approx(1.0, rel=1e-9)
    assert prob.normal_pdf(x=0.0, mu=0.0, sigma=1.0) == pytest.approx(
        1 / math.sqrt(2 * math.pi), rel=1e-15
    )


# --------------------------------------------------------------------------- statistics (SciPy)


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: stat.t_test(sample1=[1.0, 2.0, 3.0], sample2=[2.0, 3.0, 5.0]), "t_test"),
        (lambda: stat.confidence_interval(data=[1.0, 2.0, 4.0]), "confidence_interval"),
    ],
    ids=["t_test", "confidence_interval"],
)
def test_statistics_without_scipy_raise_a_clear_import_error(monkeypatch, call, name):
    monkeypatch.setitem(sys.modules, "scipy", None)  # import scipy.stats now fails
    monkeypatch.setitem(sys.modules, "scipy.stats", None)
    with pytest.raises(
        ImportError, match=rf"(?s){name}\(\) is document 002's code.*pip install scipy"
    ):
        call()


def test_t_test_is_the_pooled_two_sample_test():
    pytest.importorskip("scipy", reason="t_test is 002's scipy.stats code; SciPy is optional")
    a = np.array([85, 87, 82, 86, 88, 85, 87], dtype=float)  # 002's example groups
    b = np.array([78, 82, 79, 81, 80, 83, 78], dtype=float)
    pooled = ((len(a) - 1) * a.var(ddof=1) + (len(b) - 1) * b.var(ddof=1)) / (len(a) + len(b) - 2)
    t_expected = (a.mean() - b.mean()) / math.sqrt(pooled * (1 / len(a) + 1 / len(b)))
    t, p = stat.t_test(sample1=a, sample2=b)
    assert t == pytest.approx(t_expected, rel=1e-12)
    assert 0 < p < 1e-3


def test_confidence_interval_uses_t_with_n_minus_1():
    scipy_stats = pytest.importorskip(
        "scipy.stats", reason="confidence_interval is 002's scipy.stats code; SciPy is optional"
    )
    data = rng(14).normal(10.0, 2.0, size=12)
    lo, hi = stat.confidence_interval(data=data, confidence=0.9)
    half = scipy_stats.t.ppf(0.95, 11) * data.std(ddof=1) / math.sqrt(12)
    assert (lo, hi) == pytest.approx((data.mean() - half, data.mean() + half), rel=1e-12)


# --------------------------------------------------------------------------- neural networks


def test_linear_layer_backward_divides_dW_and_db_by_m_but_not_dX():
    g = rng(15)
    m, d_in, d_out = 6, 4, 3
    X, dY = g.normal(size=(m, d_in)), g.normal(size=(m, d_out))
    state = np.random.get_state()
    try:
        np.random.seed(0)
        layer = nn.LinearLayer(d_in, d_out)  # 002 draws W from the global RNG
        np.random.seed(0)
        np.testing.assert_array_equal(layer.W, np.random.randn(d_in, d_out) * 0.01)
    finally:
        np.random.set_state(state)
    layer.W, layer.b = g.normal(size=(d_in, d_out)), g.normal(size=d_out)
    np.testing.assert_allclose(layer.forward(X), X @ layer.W + layer.b, rtol=1e-14)
    dX = layer.backward(dY)

    # The true gradients of the scalar L = sum(dY * Y), whose dL/dY is dY:
    def loss(W=layer.W, b=layer.b, X=X):
        return np.sum(dY * (X @ W + b))

    true_dW = central_gradient(lambda W: loss(W=W), layer.W)
    true_db = central_gradient(lambda b: loss(b=b), layer.b)
    true_dX = central_gradient(lambda Z: loss(X=Z), X)
    np.testing.assert_allclose(layer.dW, X.T @ dY / m, rtol=1e-14)
    np.testing.assert_allclose(layer.dW * m, true_dW, rtol=FD_RTOL)  # 002's dW = true / m
    np.testing.assert_allclose(layer.db * m, true_db, rtol=FD_RTOL)
    assert not np.allclose(layer.dW, true_dW, rtol=0.1)
    np.testing.assert_allclose(dX, true_dX, rtol=FD_RTOL)  # ... while dX is the true one

    dX2, dW2, db2 = nn.linear_layer_backward(X=X, W=layer.W, b=layer.b, dY=dY)
    np.testing.assert_array_equal(dW2, layer.dW)
    np.testing.assert_array_equal(db2, layer.db)
    np.testing.assert_array_equal(dX2, dX)
    np.testing.assert_array_equal(
        nn.linear_layer_forward(X=X, W=layer.W, b=layer.b), X @ layer.W + layer.b
    )


def test_relu_layer_backward_masks_with_x_greater_than_zero():
    X = np.array([[-1.0, 0.0, 2.0], [3.0, -0.5, 0.0]])
    dY = np.arange(1.0, 7.0).reshape(2, 3)
    layer = nn.ReLU()
    np.testing.assert_array_equal(layer.forward(X), np.maximum(X, 0))
    np.testing.assert_array_equal(layer.backward(dY), [[0.0, 0.0, 3.0], [4.0, 0.0, 0.0]])
    np.testing.assert_array_equal(nn.relu_layer_backward(X=X, dY=dY), layer.backward(dY))


def test_neuron_layer_norm_and_attention():
    g = rng(16)
    w, x = g.normal(size=5), g.normal(size=5)
    assert nn.neuron(w=w, x=x, b=0.5) == pytest.approx(w @ x + 0.5, rel=1e-14)

    a = g.normal(3.0, 2.0, size=(4, 8))
    gamma, beta, eps = g.normal(size=8), g.normal(size=8), 1e-5
    expected = gamma * (a - a.mean(-1, keepdims=True)) / np.sqrt(a.var(-1, keepdims=True) + eps)
    np.testing.assert_allclose(
        nn.layer_norm(x=a, gamma=gamma, beta=beta, epsilon=eps), expected + beta, rtol=1e-12
    )

    Q, K, V = g.normal(size=(3, 4)), g.normal(size=(5, 4)), g.normal(size=(5, 2))
    scores = Q @ K.T / 2.0  # sqrt(d_k) = sqrt(4)
    weights = np.exp(scores - scores.max(1, keepdims=True))
    weights /= weights.sum(1, keepdims=True)
    np.testing.assert_allclose(nn.attention(Q=Q, K=K, V=V), weights @ V, rtol=1e-12)
    np.testing.assert_allclose(nn.attention(Q=Q, K=K, V=V, d_k=4), weights @ V, rtol=1e-12)
    assert not np.allclose(nn.attention(Q=Q, K=K, V=V, d_k=1), weights @ V)


def test_package_lists_its_modules():
    package = importlib.import_module("symml.handwritten")
    assert sorted(package.__all__) == sorted(MODULE_IDS)
