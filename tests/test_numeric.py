"""numeric.py and sampling.py: vectorised sums equal loops, stable printing, ULPs, sampling."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import sympy as sp

from symml import functions as F
from symml.equality import TOLERANCES, Purpose, Tolerance, tolerance_for
from symml.errors import SymmlError
from symml.numeric import (
    REAL_SPECIALS,
    lambdify_ml,
    mp_reference,
    mp_reference_many,
    sample_inputs,
    stabilize,
    ulp_error,
)

x_ = sp.IndexedBase("x")
y_ = sp.IndexedBase("y")
w_ = sp.IndexedBase("w")
A_ = sp.IndexedBase("A")
i, j, k = sp.symbols("i j k", integer=True)
m, n = sp.symbols("m n", integer=True, positive=True)
b, t = sp.symbols("b t", real=True)

rng = np.random.default_rng(1)
X = rng.normal(size=(7, 3))
Y = rng.normal(size=7)
W = rng.normal(size=3)
M = rng.normal(size=(4, 5))


def loop_logistic_grad(Xv, Yv, Wv, bv, kv):
    total = 0.0
    for r in range(Xv.shape[0]):
        z = sum(Wv[c] * Xv[r, c] for c in range(Xv.shape[1])) + bv
        total += (1 / (1 + np.exp(-z)) - Yv[r]) * Xv[r, kv - 1]
    return total / Xv.shape[0]


SUMS = [
    # (id, expr, args, kwargs, loop value)
    (
        "mean_square",
        sp.Sum(x_[i] ** 2, (i, 1, m)) / m,
        [x_],
        {"x": Y},
        sum(v * v for v in Y) / len(Y),
    ),
    (
        "shifted_index",
        sp.Sum(x_[i + 1] - x_[i], (i, 1, m - 1)),
        [x_, m],
        {"x": Y, "m": 7},
        sum(Y[r + 1] - Y[r] for r in range(6)),
    ),
    (
        "index_value",
        sp.Sum(i * x_[i], (i, 1, m)),
        [x_],
        {"x": Y},
        sum((r + 1) * Y[r] for r in range(7)),
    ),
    ("constant_body", sp.Sum(b, (i, 1, m)), [b, m], {"b": 2.5, "m": 4}, 10.0),
    (
        "nested_transposed",
        sp.Sum(sp.Sum(A_[j, i] * i, (j, 1, 4)), (i, 1, 5)),
        [A_],
        {"A": M},
        sum(M[r, c] * (c + 1) for r in range(4) for c in range(5)),
    ),
    (
        "matrix_vector",
        sp.Sum((sp.Sum(w_[j] * x_[i, j], (j, 1, n)) - y_[i]) ** 2, (i, 1, m)),
        [x_, y_, w_],
        {"x": X, "y": Y, "w": W},
        sum((sum(W[c] * X[r, c] for c in range(3)) - Y[r]) ** 2 for r in range(7)),
    ),
    (
        "product",
        sp.Product(1 + x_[i] ** 2, (i, 1, m)),
        [x_],
        {"x": Y},
        float(np.prod([1 + v * v for v in Y])),
    ),
    (
        "free_index_kronecker",
        sp.diff(
            sp.Sum((F.sigmoid(sp.Sum(w_[j] * x_[i, j], (j, 1, n)) + b) - y_[i]) ** 2 / 2, (i, 1, m))
            / m,
            w_[k],
        ),
        [x_, y_, w_, b, k],
        {"x": X, "y": Y, "w": W, "b": 0.3, "k": 2},
        None,
    ),
]


@pytest.mark.parametrize("name,expr,args,kwargs,expected", SUMS, ids=[s[0] for s in SUMS])
def test_vectorised_sum_equals_loop(name, expr, args, kwargs, expected):
    f = lambdify_ml(expr, args)
    if expected is None:  # the loop below is the reference for the gradient
        s = 1 / (1 + np.exp(-(X @ W + 0.3)))
        expected = float(np.mean((s - Y) * s * (1 - s) * X[:, 1]))
    assert float(f(**kwargs)) == pytest.approx(expected, rel=1e-12, abs=1e-12)
    assert "for " not in f.source.split("\n", 1)[1]  # no Python loop in the generated body


def test_logistic_gradient_matches_loop_and_batches():
    z = sp.Sum(w_[j] * x_[i, j], (j, 1, n)) + b
    J = (
        -sp.Sum(y_[i] * sp.log(F.sigmoid(z)) + (1 - y_[i]) * sp.log(1 - F.sigmoid(z)), (i, 1, m))
        / m
    )
    g = lambdify_ml(sp.diff(J, w_[k]), [x_, y_, w_, b, k])
    Yb = (Y > 0).astype(float)
    assert float(g(X, Yb, W, 0.3, 2)) == pytest.approx(loop_logistic_grad(X, Yb, W, 0.3, 2))
    # leading batch axes: three points at once
    Xs, Ys, Ws = np.stack([X] * 3), np.stack([Yb] * 3), np.stack([W, W, 2 * W])
    out = lambdify_ml(J, [x_, y_, w_, b])(Xs, Ys, Ws, np.array([0.3, 0.3, 0.3]))
    assert out.shape == (3,)
    assert out[0] == out[1] != out[2]


def test_million_samples_without_python_loops():
    # speed is measured in bench/run.py; here: the code is vectorised (no loop in the
    # generated source) and right on 10^6 samples
    r = np.random.default_rng(0)
    Xb, Yb = r.normal(size=(10**6, 3)), (r.random(10**6) < 0.5).astype(float)
    z = sp.Sum(w_[j] * x_[i, j], (j, 1, n)) + b
    grad = sp.Sum((F.sigmoid(z) - y_[i]) * x_[i, k], (i, 1, m)) / m
    f = lambdify_ml(grad, [x_, y_, w_, b, k])
    assert "for " not in f.source and "while " not in f.source, f.source
    got = f(Xb, Yb, W, 0.1, 1)
    s = 1 / (1 + np.exp(-(Xb @ W + 0.1)))
    assert float(got) == pytest.approx(float(np.mean((s - Yb) * Xb[:, 0])), rel=1e-10)


def test_out_of_range_index_is_an_error_not_a_wraparound():
    f = lambdify_ml(sp.Sum(x_[i - 1], (i, 1, m)), [x_, m])
    with pytest.raises(IndexError, match=r"elements 0\.\.2 of axis 0"):
        f(x=Y, m=3)


def test_unvectorisable_index_is_a_clear_error():
    with pytest.raises(SymmlError, match="cannot vectorise"):
        lambdify_ml(sp.Sum(x_[2 * i], (i, 1, m)), [x_, m])


def test_unreadable_bound_is_a_clear_error():
    with pytest.raises(SymmlError, match=r"sum bound\(s\) \['m'\]"):
        lambdify_ml(sp.Sum(i, (i, 1, m)), [])


xr = sp.Symbol("x", real=True)
GRID = np.concatenate(
    [np.linspace(-1000, 1000, 401), np.linspace(-40, 40, 321), np.asarray(REAL_SPECIALS)]
)
STABLE = [
    ("sigmoid", F.sigmoid(xr)),
    ("sigmoid_prime", sp.diff(F.sigmoid(xr), xr)),
    ("softplus", F.softplus(xr)),
    ("log_sigmoid", F.log_sigmoid(xr)),
    ("tanh_prime", sp.diff(sp.tanh(xr), xr)),
    ("sigmoid_elementary", 1 / (1 + sp.exp(-xr))),
    ("sigmoid_prime_elementary", sp.diff(1 / (1 + sp.exp(-xr)), xr)),
    ("softplus_elementary", sp.log(1 + sp.exp(xr))),
    ("log_of_sigmoid", sp.log(F.sigmoid(xr))),
    ("log_one_minus_sigmoid", sp.log(1 - F.sigmoid(xr))),
]


@pytest.mark.parametrize("name,expr", STABLE, ids=[s[0] for s in STABLE])
def test_stable_printing_no_overflow_and_at_most_4_ulp(name, expr):
    f = lambdify_ml(expr, [xr])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an overflow RuntimeWarning fails the test
        with np.errstate(over="warn", invalid="warn", divide="warn", under="ignore"):
            got = f(GRID)
    assert np.all(np.isfinite(got) | np.isinf(mp_ref_floats(expr)))
    ulps = ulp_error(got, mp_reference_many(expr, [{"x": v} for v in GRID]))
    worst = np.nanmax(ulps)
    assert worst <= 4, f"{name}: {worst} ULP at x = {GRID[np.nanargmax(ulps)]}"


def mp_ref_floats(expr):
    return np.array([float(v) for v in mp_reference_many(expr, [{"x": v} for v in GRID])])


def test_naive_code_is_what_stabilize_fixes():
    textbook = sp.exp(-xr) / (1 + sp.exp(-xr)) ** 2
    naive = sp.lambdify([xr], textbook, "numpy")
    with np.errstate(all="ignore"):
        bad = naive(np.array([-1000.0]))
    assert not np.isfinite(bad).all()  # exp(1000)/(1+exp(1000))**2 = inf/inf
    assert str(stabilize(textbook)) == "_dsigmoid(x)"
    assert np.isfinite(lambdify_ml(textbook, [xr])(np.array([-1000.0]))).all()


def test_mp_reference_survives_cancellation():
    # 1 - sigmoid(1000) cancels completely at 50 digits; the ladder climbs until it does not
    expr = sp.tanh(xr) - 1
    ref = mp_reference(expr, {"x": 30.0})
    assert float(ref) == pytest.approx(-2 * np.exp(-60.0), rel=1e-12)


def test_ulp_error_units():
    assert float(ulp_error(1.0, 1.0)) == 0.0
    assert float(ulp_error(np.nextafter(1.0, 2.0), 1.0)) == 1.0
    assert float(ulp_error(np.inf, 1.0)) == np.inf
    assert np.isnan(ulp_error(np.inf, np.inf))


def test_verification_tolerances_are_rows_of_the_one_table():
    # numeric's results are judged by equality's table, its "verification" rows per dtype
    def row(*args):
        return tolerance_for(Purpose.VERIFICATION, *args)

    assert row() is TOLERANCES[Purpose.VERIFICATION, "float64"]
    assert row("float32").rtol > row("float64").rtol
    assert row("float64", {"rtol": 1e-3}).rtol == 1e-3
    assert row("float32", {"float32": {"atol": 1.0}}).atol == 1.0
    custom = Tolerance(1, 2, 3, 4)
    assert row("float64", custom) is custom
    assert str(row()) == "rtol=1e-7, atol=1e-10"  # as messages quote it
    with pytest.raises(SymmlError, match="valid:"):
        row("float64", {"rtl": 1.0})


def test_sampling_kinds_and_reproducibility():
    p, q, c, u = sp.symbols("p q c u")
    expr = u + p + q + c + sp.Sum(x_[i] * y_[i, j], (i, 1, m), (j, 1, n))
    kinds = {"u": "real", "p": "probability", "q": "positive", "c": "unit", "y": "matrix"}
    s1 = sample_inputs(expr, kinds, n=500, seed=3)
    s2 = sample_inputs(expr, kinds, n=500, seed=3)
    assert all(np.array_equal(s1.values[v], s2.values[v]) for v in s1.values)
    assert s1.seed == 3
    xs = s1.values["u"]
    assert {-1e3, 1e3, 0.0}.issubset(set(xs.tolist()))
    assert np.any((xs != 0) & (np.abs(xs) < 1e-6))
    assert np.all((s1.values["p"] > 0) & (s1.values["p"] < 1))
    assert np.all(s1.values["q"] > 0)
    assert np.all((s1.values["c"] >= 0) & (s1.values["c"] <= 1))
    mm, nn = s1.sizes["m"], s1.sizes["n"]
    assert s1.values["y"].shape == (500, mm, nn)
    assert s1.values["x"].shape == (500, mm)
    assert s1.point(0)["m"] == mm


def test_sampling_simplex_and_matrices():
    P = sp.IndexedBase("P")
    A, B = sp.MatrixSymbol("A", m, n), sp.MatrixSymbol("B", n, 2)
    s = sample_inputs([sp.Sum(P[i], (i, 1, n)), A * B], {"P": "simplex"}, n=50, seed=0)
    assert np.allclose(s.values["P"].sum(axis=-1), 1.0)
    assert s.values["A"].shape[1:] == (s.sizes["m"], s.sizes["n"])
    assert s.values["B"].shape[1:] == (s.sizes["n"], 2)


def test_sampling_symmetric_and_spd_matrices():
    A, S = sp.MatrixSymbol("A", n, n), sp.MatrixSymbol("S", n, n)
    s = sample_inputs([A * S], {"A": "symmetric", "S": "spd"}, n=40, seed=0)
    a, v = s.values["A"], s.values["S"]
    assert a.shape == v.shape == (40, s.sizes["n"], s.sizes["n"])
    assert np.array_equal(a, np.swapaxes(a, -1, -2))
    assert not np.allclose(a[1], np.diag(np.diag(a[1])))  # not merely diagonal
    assert np.allclose(v, np.swapaxes(v, -1, -2))
    assert np.linalg.eigvalsh(v).min() >= 0.1 - 1e-9  # B B^T / n + 0.1 I
    # an indexed matrix too (the entries form of a matrix formula), and a non-square one refused
    s = sample_inputs(sp.Sum(A_[i, j] * w_[i] * w_[j], (i, 1, n), (j, 1, n)), {"A": "symmetric"})
    assert np.array_equal(s.values["A"], np.swapaxes(s.values["A"], -1, -2))
    # declared symmetric, a matrix whose two sizes the formula leaves apart is square
    s = sample_inputs(sp.MatrixSymbol("A", m, n), {"A": "symmetric"}, n=5)
    assert s.sizes["m"] == s.sizes["n"] and s.values["A"].shape[1] == s.values["A"].shape[2]
    with pytest.raises(SymmlError, match="a spd matrix is square"):  # sizes fixed apart
        sample_inputs(sp.MatrixSymbol("S", m, n), {"S": "spd"}, sizes={"m": 3, "n": 4})


def test_sampling_free_index_stays_in_range():
    s = sample_inputs(w_[k] * 2 + sp.Sum(w_[j], (j, 1, n)), {}, n=200, seed=0)
    assert s.values["k"].min() >= 1 and s.values["k"].max() <= s.sizes["n"]


def test_function_kind_cannot_be_sampled():
    f = sp.Function("f")
    with pytest.raises(SymmlError, match="declared a function"):
        sample_inputs(f(xr) + sp.Symbol("g"), {"g": "function"})


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_elementwise_sigmoid_of_a_matrix_expression_is_vectorised_and_stable(seed):
    rng = np.random.default_rng(seed)
    rows, cols = (int(v) for v in rng.integers(2, 9, 2))
    X = sp.MatrixSymbol("X", m, n)
    W = sp.MatrixSymbol("W", n, 1)
    b1 = sp.Symbol("b1", real=True)
    z = X * W + b1 * sp.OneMatrix(m, 1)
    f = lambdify_ml(z.applyfunc(F.sigmoid), [X, W, b1])
    assert "_sigmoid(" in f.source and "for " not in f.source  # whole arrays, no loop
    Xv = rng.normal(0, 1, (rows, cols)) * 10.0 ** rng.uniform(-2, 3, (rows, 1))
    Xv[0, 0] = 1e4  # exp(-z) overflows in the naive form; the stable sigmoid does not
    Wv, b = rng.normal(0, 1, (cols, 1)), float(rng.normal())
    t = Xv @ Wv + b
    expected = np.where(
        t >= 0, 1 / (1 + np.exp(-np.abs(t))), np.exp(-np.abs(t)) / (1 + np.exp(-np.abs(t)))
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow warning either
        got = f(Xv, Wv, b)
    assert got.shape == (rows, 1)
    np.testing.assert_allclose(got, expected, rtol=1e-14, atol=0)
    # a Lambda's body and a bare function class print alike; log(1 + e^z) goes through logaddexp
    u = sp.Dummy("u")
    g = lambdify_ml(
        sp.matrices.expressions.applyfunc.ElementwiseApplyFunction(
            sp.Lambda(u, sp.log(1 + sp.exp(u))), z
        ),
        [X, W, b1],
    )
    np.testing.assert_allclose(g(Xv, Wv, b), np.logaddexp(0, t), rtol=1e-14)
