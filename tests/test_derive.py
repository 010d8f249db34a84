"""symml.derivation._derive / textbook / gradients / timeouts: textbook forms, gradients, Hessians,
stationary points, the time bound, errors and the ``derive`` command.

Expected forms are compared with ``simplify(result - expected) == 0`` (after rewriting
ML functions to elementary ones), and where a function form is expected the result must
be free of the variable once the function's applications are set aside.
"""

from __future__ import annotations

import json
import threading
import time

import pytest
import sympy as sp

from symml.derivation import (
    Derivation,
    collapse_deltas,
    derive,
    hessian,
    matrix_gradient,
    normal_equations,
    prettify,
    prove_equal,
    prove_matrix_form,
    recognize,
    stationary_points,
    vectorize,
)
from symml.errors import DerivationError, SymmlTimeout
from symml.functions import sigmoid, softmax, softplus, to_elementary
from symml.latex import Equation, parse_latex
from symml.workers import bounded_simplify, run_bounded

x = sp.Symbol("x", real=True)
f, sigma_f = sp.Function("f"), sp.Function("sigma")
i, j, k = sp.symbols("i j k", integer=True)
m, n, K = sp.symbols("m n K", integer=True, positive=True)
X_, W_, Y_ = sp.IndexedBase("x"), sp.IndexedBase("w"), sp.IndexedBase("y")
z = sp.IndexedBase("z")
b = sp.Symbol("b", real=True)
lam, lam1, lam2 = sp.symbols("lambda lambda_1 lambda_2", positive=True)
#: w^T x_i as the parser writes it (the summation index is renamed by derive if needed)
dot = sp.Sum(W_[k] * X_[i, k], (k, 1, n))
#: matrices bound to the indexed names for the matrix forms
Xm, wm, ym = sp.MatrixSymbol("X", m, n), sp.MatrixSymbol("w", n, 1), sp.MatrixSymbol("y", m, 1)
BIND = {X_: Xm, W_: wm, Y_: ym}


def same(a: sp.Expr, b: sp.Expr) -> bool:
    """Equal as functions: simplify of the difference in elementary functions is zero."""
    return sp.simplify(to_elementary(a) - to_elementary(b)) == 0 or prove_equal(a, b).ok is True


def free_of_var(expr: sp.Expr, var: sp.Basic, value: sp.Expr) -> bool:
    """``expr`` mentions ``var`` only through applications like ``value`` (``sigma(x)``)."""
    heads = {value.func} if value is not None else set()
    masked = expr.replace(lambda e: getattr(e, "func", None) in heads, lambda e: sp.Dummy())
    masked = masked.replace(lambda e: isinstance(e, (sigmoid, softmax)), lambda e: sp.Dummy())
    return not masked.has(var)


# --- textbook forms ------------------------------------------------------------------

s_i, s_j = softmax(z, i, K), softmax(z, j, K)
softmax_def = sp.exp(z[i]) / sp.Sum(sp.exp(z[k]), (k, 1, K))

TEXTBOOK = [
    pytest.param(
        Equation(sigma_f(x), 1 / (1 + sp.exp(-x))),
        "x",
        1,
        sigma_f(x) * (1 - sigma_f(x)),
        sigma_f(x),
        id="sigmoid",
    ),
    pytest.param(
        Equation(sp.tanh(x), (sp.exp(x) - sp.exp(-x)) / (sp.exp(x) + sp.exp(-x))),
        "x",
        1,
        1 - sp.tanh(x) ** 2,
        sp.tanh(x),
        id="tanh",
    ),
    pytest.param(
        (1 - sp.exp(-2 * x)) / (1 + sp.exp(-2 * x)), "x", 1, 1 - f(x) ** 2, f(x), id="unseen-tanh"
    ),
    pytest.param(
        Equation(softplus(x), sp.log(1 + sp.exp(x))), "x", 1, sigmoid(x), sigmoid(x), id="softplus"
    ),
    pytest.param(
        1 / (1 + sp.exp(-x)),
        "x",
        1,
        sigmoid(x) * (1 - sigmoid(x)),
        sigmoid(x),
        id="sigmoid-unnamed",
    ),
    pytest.param(
        Equation(sigma_f(x), 1 / (1 + sp.exp(-x))),
        "x",
        2,
        sigma_f(x) * (1 - sigma_f(x)) * (1 - 2 * sigma_f(x)),
        sigma_f(x),
        id="sigmoid-second",
    ),
    pytest.param(
        Equation(s_i, softmax_def),
        "z",
        1,
        s_i * (sp.KroneckerDelta(i, j) - s_j),
        s_i,
        id="softmax",
    ),
]


@pytest.mark.parametrize(("subject", "wrt", "order", "expected", "value"), TEXTBOOK)
def test_textbook_form(subject, wrt, order, expected, value):
    d = derive(subject, wrt, order, steps=False)
    got = d.textbook.subs(sigma_f(x), sigma_f(x))
    if isinstance(subject, Equation):
        got_def = _expand(got, subject)
        exp_def = _expand(expected, subject)
    else:
        got_def = got.replace(f, sp.Lambda(x, subject))
        exp_def = expected.replace(f, sp.Lambda(x, subject))
    assert same(got_def, exp_def), f"{d.textbook} != {expected}"
    # the function form: written in f(x) (the variable only inside applications of f)
    assert free_of_var(d.textbook, d.wrt.base if isinstance(d.wrt, sp.Indexed) else x, value)
    assert all(p.ok for p in d.proofs.values()), d.proofs


def _expand(expr, eq):
    lhs = eq.lhs
    if isinstance(lhs, sp.core.function.AppliedUndef):
        return expr.replace(lhs.func, sp.Lambda(lhs.args, eq.rhs))
    return expr


LATEX_TEXTBOOK = [
    pytest.param(
        r"\sigma(x) = \frac{1}{1 + e^{-x}}", "x", r"\sigma(x)(1 - \sigma(x))", id="sigmoid"
    ),
    pytest.param(r"\frac{1 - e^{-2x}}{1 + e^{-2x}}", "x", None, id="unseen-tanh"),
    pytest.param(
        r"\tanh(x) = \frac{e^x - e^{-x}}{e^x + e^{-x}}", "x", r"1 - \tanh^2(x)", id="tanh"
    ),
    pytest.param(r"\text{softplus}(x) = \log(1 + e^x)", "x", None, id="softplus"),
]


@pytest.mark.parametrize(("latex", "wrt", "expected"), LATEX_TEXTBOOK)
def test_textbook_through_latex(latex, wrt, expected):
    parsed = parse_latex(latex)
    d = derive(parsed, wrt, steps=False)
    if expected is not None:
        assert sp.simplify(d.textbook - parse_latex(expected)) == 0
    assert d.proofs["textbook"].ok
    var = d.wrt
    fn = parsed.lhs if isinstance(parsed, Equation) else f(var)
    assert free_of_var(d.textbook, var, fn)


def test_unseen_tanh_reads_one_minus_f_squared():
    d = derive(parse_latex(r"\frac{1 - e^{-2x}}{1 + e^{-2x}}"), "x", steps=False)
    xx = d.wrt
    assert d.textbook == 1 - f(xx) ** 2
    assert any("f denotes the input" in note for note in d.notes)


def test_a_function_that_is_its_own_derivative_is_shown_written_out():
    # f(x) = e^x: the textbook prints (e^x)' = e^x, not the uninformative f' = f(x)
    d = derive(parse_latex(r"f(x) = e^{x}"), "x", steps=False)
    assert d.textbook == sp.exp(d.wrt)


def test_softplus_textbook_is_sigmoid():
    d = derive(parse_latex(r"\text{softplus}(x) = \log(1 + e^x)"), "x", steps=False)
    assert d.textbook == sigmoid(d.wrt)


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        pytest.param(1 / (1 + sp.exp(-x)), sigmoid(x), id="sigmoid"),
        pytest.param(sp.exp(x) / (1 + sp.exp(x)), sigmoid(x), id="sigmoid-exp-over"),
        pytest.param(sp.log(1 + sp.exp(x)), softplus(x), id="softplus"),
        pytest.param(sp.exp(z[i]) / sp.Sum(sp.exp(z[k]), (k, 1, K)), s_i, id="softmax"),
        pytest.param(sp.Max(0, x), sp.Symbol("unused"), id="relu"),
    ],
)
def test_recognize(expr, expected):
    got = recognize(expr)
    if expected.has(sp.Symbol("unused")):
        assert type(got).__name__ == "relu"
    else:
        assert got == expected


def test_prettify_moves_the_minus_into_the_difference():
    s = sp.Symbol("s")
    assert prettify(s - s**2) == s * (1 - s)
    assert prettify(-(s - 1) * (s + 1)) == 1 - s**2


def test_textbook_latex_prints_sigma_first():
    d = derive(Equation(sigma_f(x), 1 / (1 + sp.exp(-x))), "x", steps=False)
    latex = d.to_json()["textbook"]["latex"]
    assert latex.startswith(r"\sigma{\left(x \right)} \left(1 - \sigma")


# --- gradients over samples ----------------------------------------------------------

z_i = dot + b
y_i = Y_[i]
sig_i = sigmoid(z_i)
p = sp.Symbol("p", positive=True)
alpha, gamma = sp.symbols("alpha gamma", positive=True)
xs, ws = sp.symbols("x_s w", real=True)
ys = sp.Symbol("y", real=True)

GRADIENTS = [
    pytest.param(
        sp.Sum((z_i - y_i) ** 2, (i, 1, m)) / (2 * m),
        "w",
        sp.Sum((z_i - y_i) * X_[i, j], (i, 1, m)) / m,
        id="linreg-1/(2m)",
    ),
    pytest.param(
        sp.Sum((y_i - z_i) ** 2, (i, 1, m)) / m,
        "w",
        -2 * sp.Sum((y_i - z_i) * X_[i, j], (i, 1, m)) / m,
        id="mse-1/n",
    ),
    pytest.param(
        sp.Sum((Y_[i] - (ws * X_[i] + b)) ** 2, (i, 1, n)) / n,
        "w",
        -2 * sp.Sum(X_[i] * (Y_[i] - (ws * X_[i] + b)), (i, 1, n)) / n,
        id="mse-scalar-w",
    ),
    pytest.param(
        sp.Sum((Y_[i] - (ws * X_[i] + b)) ** 2, (i, 1, n)) / n,
        "b",
        -2 * sp.Sum(Y_[i] - (ws * X_[i] + b), (i, 1, n)) / n,
        id="mse-scalar-b",
    ),
    pytest.param(
        -sp.Sum(y_i * sp.log(sig_i) + (1 - y_i) * sp.log(1 - sig_i), (i, 1, m)) / m,
        "w",
        sp.Sum((sig_i - y_i) * X_[i, j], (i, 1, m)) / m,
        id="logistic",
    ),
    pytest.param(
        -sp.Sum(
            y_i * sp.log(1 / (1 + sp.exp(-z_i))) + (1 - y_i) * sp.log(1 - 1 / (1 + sp.exp(-z_i))),
            (i, 1, m),
        )
        / m,
        "w",
        sp.Sum((sig_i - y_i) * X_[i, j], (i, 1, m)) / m,
        id="logistic-elementary",
    ),
    pytest.param(
        -(ys * sp.log(sigmoid(xs)) + (1 - ys) * sp.log(1 - sigmoid(xs))),
        "x_s",
        sigmoid(xs) - ys,
        id="bce-through-sigmoid",
    ),
    pytest.param(lam * sp.Sum(W_[i] ** 2, (i, 1, n)), "w", 2 * lam * W_[j], id="l2"),
    pytest.param(lam * sp.Sum(sp.Abs(W_[i]), (i, 1, n)), "w", lam * sp.sign(W_[j]), id="l1"),
    pytest.param(
        lam1 * sp.Sum(sp.Abs(W_[i]), (i, 1, n)) + lam2 * sp.Sum(W_[i] ** 2, (i, 1, n)),
        "w",
        lam1 * sp.sign(W_[j]) + 2 * lam2 * W_[j],
        id="elastic-net",
    ),
    pytest.param(
        -alpha * (1 - p) ** gamma * sp.log(p),
        "p",
        alpha * gamma * (1 - p) ** (gamma - 1) * sp.log(p) - alpha * (1 - p) ** gamma / p,
        id="focal",
    ),
]


@pytest.mark.parametrize(("cost", "wrt", "expected"), GRADIENTS)
def test_gradient(cost, wrt, expected):
    d = derive(cost, wrt, steps=False)
    got = d.textbook.xreplace({d.wrt: d.wrt}) if not isinstance(d.wrt, sp.Indexed) else d.textbook
    if isinstance(d.wrt, sp.Indexed):
        got = got.xreplace({d.wrt.indices[0]: j})
    assert prove_equal(got, expected).ok, f"{got} != {expected}"
    assert all(pr.ok for pr in d.proofs.values()), d.proofs


def test_logistic_gradient_reads_like_the_document():
    cost = -sp.Sum(y_i * sp.log(sig_i) + (1 - y_i) * sp.log(1 - sig_i), (i, 1, m)) / m
    d = derive(cost, "w", steps=False)
    # (1/m) sum_i (sigma(w . x_i + b) - y_i) x_ij, as document 001 section 6 prints it
    assert d.textbook == sp.Sum((sig_i - y_i) * X_[i, j], (i, 1, m)) / m


def test_cross_entropy_through_softmax_is_yhat_minus_y():
    # L = -sum_c y_c log softmax_c; with sum_c y_c = 1 the gradient is softmax_j - y_j
    c = sp.Symbol("c", integer=True)
    cost = -sp.Sum(Y_[c] * sp.log(softmax(z, c, K)), (c, 1, K))
    d = derive(cost, "z", steps=False)
    jj = d.wrt.indices[0]
    one_hot = d.textbook.replace(
        lambda e: isinstance(e, sp.Sum) and e.function == Y_[e.limits[0][0]], lambda e: 1
    )
    assert sp.simplify(to_elementary(one_hot - (softmax(z, jj, K) - Y_[jj]))) == 0


def test_hinge_is_a_flagged_subgradient():
    d = derive(sp.Max(0, 1 - ys * (ws * xs + b)), "w", steps=False)
    assert prove_equal(d.textbook, -ys * xs * sp.Heaviside(1 - ys * (ws * xs + b))).ok
    assert any("subgradient" in note for note in d.notes)


def test_backprop_deltas():
    # two layers: a_k = sigma(sum_j W_kj sigma(z_j) + c_k), L = 1/2 sum_k (a_k - y_k)^2
    W, c, zz = sp.IndexedBase("W"), sp.IndexedBase("c"), sp.IndexedBase("u")
    q, r = sp.symbols("q r", integer=True)
    H = sp.Symbol("H", integer=True, positive=True)
    out = sigmoid(sp.Sum(W[q, r] * sigmoid(zz[r]), (r, 1, H)) + c[q])
    loss = sp.Sum((out - Y_[q]) ** 2, (q, 1, K)) / 2
    # output layer: dL/dc_k = (a_k - y_k) a_k (1 - a_k)
    d_out = derive(loss, "c", steps=False)
    kk = d_out.wrt.indices[0]
    a_k = out.xreplace({q: kk})
    delta_out = (a_k - Y_[kk]) * a_k * (1 - a_k)
    assert prove_equal(d_out.textbook, delta_out).ok
    # hidden layer: dL/du_j = (sum_k W_kj delta_k) sigma'(u_j)
    d_hid = derive(loss, "u", steps=False)
    jj = d_hid.wrt.indices[0]
    a_q = out
    delta_q = (a_q - Y_[q]) * a_q * (1 - a_q)
    expected = sp.Sum(W[q, jj] * delta_q, (q, 1, K)) * sigmoid(zz[jj]) * (1 - sigmoid(zz[jj]))
    assert prove_equal(d_hid.textbook, expected).ok


# --- matrix forms --------------------------------------------------------------------


def _component(cost):
    d = derive(cost, "w", steps=False)
    return d.textbook, d.wrt.indices[0]


MATRIX_FORMS = [
    pytest.param(
        sp.Sum((dot - y_i) ** 2, (i, 1, m)) / m,
        2 * Xm.T * (Xm * wm - ym) / m,
        id="mse-(2/n)X^T(Xw-y)",
    ),
    pytest.param(
        sp.Sum((dot - y_i) ** 2, (i, 1, m)) / (2 * m),
        Xm.T * (Xm * wm - ym) / m,
        id="mse-1/(2m)",
    ),
    pytest.param(
        -sp.Sum(y_i * sp.log(sigmoid(dot)) + (1 - y_i) * sp.log(1 - sigmoid(dot)), (i, 1, m)) / m,
        Xm.T * ((Xm * wm).applyfunc(sigmoid) - ym) / m,
        id="logistic-(1/m)X^T(sigma(Xw)-y)",
    ),
]


@pytest.mark.parametrize(("cost", "expected"), MATRIX_FORMS)
def test_matrix_form_derived_and_proved(cost, expected):
    comp, jj = _component(cost)
    derived = vectorize(comp, (jj,), BIND)
    assert prove_matrix_form(comp, (jj,), derived, BIND).ok
    assert prove_matrix_form(comp, (jj,), expected, BIND).ok


def test_matrix_form_refutes_a_wrong_factor():
    comp, jj = _component(sp.Sum((dot - y_i) ** 2, (i, 1, m)) / m)
    proof = prove_matrix_form(comp, (jj,), Xm.T * (Xm * wm - ym) / m, BIND)
    assert proof.ok is False and "entry" in proof.detail


def test_matrix_calculus_agrees_with_the_indexed_form():
    grad = matrix_gradient((Xm * wm - ym).T * (Xm * wm - ym) / m, wm)
    comp, jj = _component(sp.Sum((dot - y_i) ** 2, (i, 1, m)) / m)
    assert prove_matrix_form(comp, (jj,), grad, BIND).ok


# --- Hessians ------------------------------------------------------------------------


def test_scalar_hessian():
    yv = sp.Symbol("y", real=True)
    H = hessian(x**2 * yv + sp.exp(x * yv), ["x", "y"])
    assert H.matrix == sp.hessian(x**2 * yv + sp.exp(x * yv), (x, yv)).applyfunc(sp.simplify)
    assert all(p.ok for p in H.proofs)


@pytest.mark.parametrize(
    ("cost", "expected"),
    [
        pytest.param(sp.Sum((dot - y_i) ** 2, (i, 1, m)) / (2 * m), Xm.T * Xm / m, id="regression"),
        pytest.param(
            -sp.Sum(y_i * sp.log(sigmoid(dot)) + (1 - y_i) * sp.log(1 - sigmoid(dot)), (i, 1, m))
            / m,
            Xm.T
            * sp.DiagMatrix((Xm * wm).applyfunc(sp.Lambda(x, sigmoid(x) * (1 - sigmoid(x)))))
            * Xm
            / m,
            id="logistic",
        ),
    ],
)
def test_cost_hessian(cost, expected):
    H = hessian(cost, "w")
    idx = tuple(v.indices[0] for v in H.wrt)
    assert all(p.ok for p in H.proofs)
    assert prove_matrix_form(H.component, idx, vectorize(H.component, idx, BIND), BIND).ok
    assert prove_matrix_form(H.component, idx, expected, BIND).ok


# --- stationary points ---------------------------------------------------------------


def test_normal_mle():
    mu, sg = sp.Symbol("mu", real=True), sp.Symbol("sigma", positive=True)
    pdf = sp.exp(-((X_[i] - mu) ** 2) / (2 * sg**2)) / (sg * sp.sqrt(2 * sp.pi))
    st = stationary_points(sp.Sum(sp.log(pdf), (i, 1, n)), ["mu", "sigma"])
    (point,) = st.points
    mu_hat = sp.Sum(X_[i], (i, 1, n)) / n
    assert sp.simplify(point[mu] - mu_hat) == 0
    # the 1/n variance, not 1/(n-1)
    var_hat = sp.Sum((X_[i] - mu_hat) ** 2, (i, 1, n)) / n
    assert prove_equal(point[sg] ** 2, var_hat).ok
    assert not prove_equal(point[sg] ** 2, var_hat * n / (n - 1)).ok
    assert st.kinds == ("maximum",)


def test_gan_optimal_discriminator():
    pd, pg = sp.Function("p_data")(x), sp.Function("p_g")(x)
    D = sp.Function("D")(x)
    st = stationary_points(pd * sp.log(D) + pg * sp.log(1 - D), "D")
    assert sp.simplify(st.points[0][D] - pd / (pd + pg)) == 0
    assert st.kinds == ("maximum",) and "symbolic" in st.notes[0]


def test_least_squares_normal_equations():
    eq, w_star = normal_equations((Xm * wm - ym).T * (Xm * wm - ym), wm)
    assert eq == sp.Eq(Xm.T * Xm * wm, Xm.T * ym)
    assert w_star == (Xm.T * Xm).I * Xm.T * ym
    # exact check on a concrete full-rank instance: the gradient vanishes at w*
    Xv = sp.Matrix([[1, 2], [3, -1], [0, 4], [2, 2]])
    yv = sp.Matrix([1, -2, 3, 5])
    wv = (Xv.T * Xv).inv() * Xv.T * yv
    assert 2 * Xv.T * (Xv * wv - yv) == sp.zeros(2, 1)


# --- proofs, time bounds and errors --------------------------------------------------


def test_tiny_timeout_returns_the_unsimplified_result_with_a_note():
    d = derive(Equation(sigma_f(x), 1 / (1 + sp.exp(-x))), "x", steps=False, timeout=1e-3)
    assert d.simplified == d.raw
    assert any("unsimplified" in note for note in d.notes)
    assert prove_equal(d.raw, sp.diff(1 / (1 + sp.exp(-x)), x)).ok


def test_run_bounded_raises_and_works_in_threads():
    with pytest.raises(SymmlTimeout, match="did not finish within"):
        run_bounded(time.sleep, 5, timeout=0.2)
    box = {}

    def worker():
        box["value"] = bounded_simplify(sp.sin(x) ** 2 + sp.cos(x) ** 2, timeout=60)

    t = threading.Thread(target=worker)
    t.start()
    t.join()
    assert box["value"] == (1, False)
    with pytest.raises(ValueError, match="invalid literal"):
        run_bounded(int, "nope", timeout=60)


def test_bounded_simplify_flags_the_bound():
    big = sp.expand((sp.sin(x) + sp.cos(x) + sp.exp(x) + x) ** 12 / (1 + sp.exp(-x)) ** 7)
    out = bounded_simplify(big, timeout=0.2)
    assert out.timed_out and out.value == big


def test_collapse_deltas():
    expr = sp.diff(sp.Sum(W_[k] * X_[i, k], (k, 1, n)), W_[j])
    assert collapse_deltas(expr) == X_[i, j]


def test_proof_finds_a_counterexample():
    proof = prove_equal(sigmoid(x) * (1 + sigmoid(x)), sp.diff(sigmoid(x), x))
    assert proof.ok is False and "seed 0" in proof.detail


@pytest.mark.parametrize(
    ("subject", "wrt", "order", "match"),
    [
        pytest.param(x**2, "z", 1, "does not occur", id="unknown-variable"),
        pytest.param(x**2, "x", 0, "order", id="order-0"),
        pytest.param(sp.floor(x), "x", 1, "not differentiable", id="floor"),
        pytest.param(sp.Lt(x, 1), "x", 1, "cannot be differentiated", id="relation"),
    ],
)
def test_errors(subject, wrt, order, match):
    with pytest.raises(DerivationError, match=match):
        derive(subject, wrt, order, steps=False)


def test_derivation_is_frozen():
    d = derive(x**3, "x", steps=False)
    assert isinstance(d, Derivation)
    with pytest.raises(AttributeError):
        d.order = 2  # type: ignore[misc]


# --- registry and CLI ----------------------------------------------------------------


@pytest.mark.parametrize("name", ["sigmoid", "tanh"])
def test_registry_textbook(name):
    from symml.registry import get

    formula = get(name)
    d = derive(formula, "x", steps=False)
    assert d.proofs["textbook"].ok
    assert free_of_var(d.textbook, d.wrt, formula.lhs)


def _cli(capsys, *args):
    from symml.cli import main

    try:
        main(list(args))
        code = 0
    except SystemExit as e:
        code = e.code
    out = capsys.readouterr()
    return code, out.out, out.err


def test_cli_derive_json(capsys):
    code, out, _ = _cli(
        capsys, "derive", "--latex", r"\frac{1 - e^{-2x}}{1 + e^{-2x}}", "--wrt", "x", "--json"
    )
    assert code == 0
    data = json.loads(out)
    assert set(data) >= {"input", "wrt", "derivative", "textbook", "steps"}
    assert (
        sp.parse_expr(data["textbook"]["sympy_named"]) == 1 - sp.Function("f")(sp.Symbol("x")) ** 2
    )
    textbook = sp.parse_expr(data["textbook"]["sympy"])  # elementary: f expanded
    deriv = sp.parse_expr(data["derivative"]["sympy"])
    xs_ = sp.Symbol("x")
    assert prove_equal(deriv, sp.diff((1 - sp.exp(-2 * xs_)) / (1 + sp.exp(-2 * xs_)), xs_)).ok
    assert prove_equal(textbook, deriv).ok


@pytest.mark.parametrize(
    ("args", "match"),
    [
        pytest.param(("--latex", "x^2", "--wrt", "z"), "does not occur", id="unknown-variable"),
        pytest.param(("--latex", "x^2", "--wrt", "x", "--order", "0"), "order", id="order-0"),
        pytest.param(("--latex", r"\lfloor x \rfloor", "--wrt", "x"), "", id="floor"),
    ],
)
def test_cli_derive_errors_exit_2(capsys, args, match):
    code, _, err = _cli(capsys, "derive", *args)
    assert code == 2
    assert err.count("\n") <= 2 and err.startswith("error:")
    assert match in err


def test_registry_norm_of_matrices_is_differentiated_as_indexed_sums():
    from symml.registry import get

    d = derive(get("least_squares_objective"), "w", steps=False)
    assert all(p.ok for p in d.proofs.values()), d.proofs
    # 1-based sums over i = 1..m (rows of X) with X_{ij}, not 0-based sums over dim_y_rows
    (outer,) = [s for s in d.textbook.atoms(sp.Sum) if s.limits[0][0].name == "i"]
    assert outer.limits[0][1:] == (1, sp.Symbol("m", integer=True, positive=True))
    assert d.textbook.has(sp.Indexed(sp.IndexedBase("X"), outer.limits[0][0], d.wrt.indices[0]))
    assert str(d.gradient) == "2*X.T*(X*w - y)"


def test_steps_end_in_the_textbook_form():
    from symml.derivation.steps import to_list

    d = derive(Equation(sigma_f(x), 1 / (1 + sp.exp(-x))), "x")
    if d.steps is None:
        pytest.fail(f"no steps: {d.notes}")
    last = to_list(d.steps)[-1]
    assert "in terms of" in last["rule"] and r"\sigma" in last["latex"]
    assert d.to_json()["steps"][-1] == last


@pytest.mark.parametrize(
    "latex", [r"\sigma(x) = \frac{1}{1 + e^{-x}}", r"\frac{1 - e^{-2x}}{1 + e^{-2x}}"]
)
def test_textbook_json_sympy_is_elementary_and_reads_back(latex):
    from sympy.core.function import AppliedUndef

    from symml.latex import parse_latex

    d = derive(parse_latex(latex), "x", steps=False)
    text = d.to_json()["textbook"]
    back = sp.parse_expr(text["sympy"])
    assert not back.atoms(AppliedUndef), text  # sigma(x), f(x) expanded: elementary only
    x = sp.Symbol("x")
    value = parse_latex(latex)
    body = value.rhs if hasattr(value, "rhs") else value
    want = sp.diff(body.subs(sp.Symbol("x", real=True), x), x)
    assert sp.simplify(back - want) == 0
    assert "sympy_named" in text  # the function's own name is kept beside it


def test_a_matrix_declared_symmetric_gives_the_symmetric_matrix_form(monkeypatch, capsys):
    quad = parse_latex(r"\mathbf{w}^T A \mathbf{w}", symbols={"A": "symmetric"})
    general = derive(quad, "w", steps=False)
    declared = derive(quad, "w", steps=False, symmetric=["A"])
    A = next(M for M in general.gradient.atoms(sp.MatrixSymbol) if M.name == "A")
    assert general.gradient.has(A.T)  # (A + A^T) w, true for any A
    assert str(declared.gradient) == "2*A*w"
    assert any("A symmetric (declared): 2 A w" in n for n in declared.notes)
    assert declared.simplified == general.simplified  # the components hold for any matrix
    from symml.cli import main

    monkeypatch.setenv("SYMML_NO_CACHE", "1")
    with pytest.raises(SystemExit) as info:
        main(["derive", "--latex", r"\mathbf{w}^T S \mathbf{w}", "--wrt", "w", "-s", "S=spd"])
    assert info.value.code in (0, None)
    assert "gradient   2 S w" in capsys.readouterr().out
