"""symml.functions: derivatives, elementary rewrites, printing and stable numerics."""

from __future__ import annotations

import subprocess
import sys
import warnings

import mpmath
import numpy as np
import pytest
import sympy as sp

from symml.functions import (
    StableMpmathPrinter,
    StableNumPyPrinter,
    leaky_relu,
    log_sigmoid,
    logsumexp,
    ml_functions_by_name,
    one_plus_exp,
    relu,
    row_softmax,
    sigmoid,
    softmax,
    softplus,
    sum_of_exp,
    to_elementary,
)

x = sp.Symbol("x", real=True)
alpha = sp.Symbol("alpha", positive=True)
z = sp.IndexedBase("z")
i, j, k = sp.symbols("i j k", integer=True)
K = sp.Symbol("K", integer=True, positive=True)

#: Points away from the kinks, where every function below is smooth.
POINTS = (-7.5, -1.25, -0.3, 0.4, 2.0, 9.0)

SMOOTH = [
    pytest.param(sigmoid(x), id="sigmoid"),
    pytest.param(softplus(x), id="softplus"),
    pytest.param(log_sigmoid(x), id="log_sigmoid"),
    pytest.param(logsumexp(x, 2 * x, -x), id="logsumexp-args"),
    pytest.param(sigmoid(softplus(x**2) - 1), id="composed"),
]

KINKED = [
    pytest.param(relu(x), id="relu"),
    pytest.param(leaky_relu(x, alpha), id="leaky_relu"),
    pytest.param(leaky_relu(x), id="leaky_relu-default"),
    pytest.param(relu(sigmoid(x) - sp.Rational(1, 2)), id="relu-sigmoid"),
]


def _numeric_equal(a, b, var, points=POINTS, subs=None):
    subs = dict(subs or {})
    for p in points:
        va = sp.N(a.subs(subs).subs(var, sp.Float(p, 40)), 30)
        vb = sp.N(b.subs(subs).subs(var, sp.Float(p, 40)), 30)
        assert abs(va - vb) <= sp.Float("1e-20") * (1 + abs(vb)), (a, b, p, va, vb)


@pytest.mark.parametrize("f", SMOOTH)
def test_derivative_matches_diff_of_elementary_form(f):
    ours = to_elementary(sp.diff(f, x))
    theirs = sp.diff(to_elementary(f), x)
    assert sp.simplify(ours - theirs) == 0
    _numeric_equal(ours, theirs, x)


@pytest.mark.parametrize("f", KINKED)
def test_kinked_derivative_matches_away_from_kink(f):
    ours = to_elementary(sp.diff(f, x))
    theirs = sp.diff(to_elementary(f), x)
    _numeric_equal(ours, theirs, x, subs={alpha: sp.Rational(1, 10)})


def test_derivative_in_terms_of_itself():
    assert sp.diff(sigmoid(x), x) == sigmoid(x) * (1 - sigmoid(x))
    assert sp.diff(softplus(x), x) == sigmoid(x)
    assert sp.diff(log_sigmoid(x), x) == sigmoid(-x)
    assert sp.simplify(to_elementary(sigmoid(-x) - (1 - sigmoid(x)))) == 0


def test_relu_convention_at_zero():
    d = sp.diff(relu(x), x)
    assert d == sp.Heaviside(x, 0)
    assert d.subs(x, 0) == 0
    assert sp.diff(leaky_relu(x, alpha), x).subs(x, 0) == alpha
    assert sp.diff(leaky_relu(x, alpha), alpha) == sp.Min(0, x)


@pytest.mark.parametrize(
    ("definition", "ours"),
    [
        (1 / (1 + sp.exp(-x)), sigmoid(x)),
        (sp.exp(x) / (1 + sp.exp(x)), sigmoid(x)),
        ((1 + sp.tanh(x / 2)) / 2, sigmoid(x)),
        (sp.log(1 + sp.exp(x)), softplus(x)),
        (sp.log(1 / (1 + sp.exp(-x))), log_sigmoid(x)),
        (sp.log(sp.exp(x) + sp.exp(2 * x)), logsumexp(x, 2 * x)),
    ],
    ids=["sigmoid", "sigmoid-exp", "sigmoid-tanh", "softplus", "log_sigmoid", "logsumexp"],
)
def test_registry_style_definitions_are_equal(definition, ours):
    diff = definition - to_elementary(ours)
    assert sp.simplify(diff.rewrite(sp.exp)) == 0 or all(
        abs(sp.N(diff.subs(x, p), 30)) < 1e-25 for p in POINTS
    )
    _numeric_equal(definition, to_elementary(ours), x)


@pytest.mark.parametrize(
    ("definition", "ours"),
    [
        (sp.Max(0, x), relu(x)),
        (sp.Piecewise((x, x > 0), (0, True)), relu(x)),
        (sp.Max(alpha * x, x), leaky_relu(x, alpha)),
        (sp.Piecewise((x, x > 0), (alpha * x, True)), leaky_relu(x, alpha)),
    ],
    ids=["relu-max", "relu-piecewise", "leaky-max", "leaky-piecewise"],
)
def test_piecewise_definitions_are_equal(definition, ours):
    _numeric_equal(
        definition, to_elementary(ours), x, points=(*POINTS, 0), subs={alpha: sp.Rational(1, 10)}
    )


def test_softmax_derivative_and_rewrite():
    s = softmax(z, i, K)
    assert sp.diff(s, z[j]) == s * (sp.KroneckerDelta(i, j) - softmax(z, j, K))
    assert sp.diff(s, x) == 0
    n = 3
    explicit = to_elementary(softmax(z, 2, n)).doit()
    vals = {z[1]: sp.Rational(1, 3), z[2]: -2, z[3]: sp.Rational(5, 2)}
    for jj in range(1, n + 1):
        ours = sp.diff(softmax(z, 2, n), z[jj]).subs(k, jj)
        ours = to_elementary(ours).doit()
        theirs = sp.diff(explicit, z[jj])
        assert abs(sp.N((ours - theirs).subs(vals), 30)) < 1e-25


def test_logsumexp_indexed_derivative_is_softmax():
    lse = logsumexp(z, K)
    assert sp.diff(lse, z[k]) == softmax(z, k, K)
    explicit = to_elementary(logsumexp(z, 3)).doit()
    assert sp.simplify(explicit - sp.log(sp.exp(z[1]) + sp.exp(z[2]) + sp.exp(z[3]))) == 0


def test_automatic_evaluations():
    assert sigmoid(0) == sp.Rational(1, 2)
    assert sigmoid(sp.oo) == 1 and sigmoid(-sp.oo) == 0
    assert softplus(0) == sp.log(2)
    assert log_sigmoid(0) == -sp.log(2)
    assert relu(3) == 3 and relu(-2) == 0 and relu(0) == 0
    p = sp.Symbol("p", positive=True)
    assert relu(p) == p and relu(-p) == 0
    assert leaky_relu(-2, sp.Rational(1, 10)) == sp.Rational(-1, 5)
    assert leaky_relu(x).args[1] == sp.Rational(1, 100)
    assert isinstance(sigmoid(sp.Float(0.5)), sp.Float)
    assert logsumexp(x) == x


def test_assumptions():
    assert sigmoid(x).is_real and sigmoid(x).is_positive
    assert softplus(x).is_positive
    assert log_sigmoid(x).is_negative
    assert relu(x).is_nonnegative
    assert softmax(z, i, K).is_positive


@pytest.mark.parametrize(
    ("expr", "latex"),
    [
        (sigmoid(x), r"\sigma\left(x\right)"),
        (sigmoid(x) ** 2, r"\sigma^{2}\left(x\right)"),
        (softplus(x), r"\operatorname{softplus}\left(x\right)"),
        (relu(x), r"\operatorname{ReLU}\left(x\right)"),
        (leaky_relu(x, alpha), r"\operatorname{LeakyReLU}\left(x, \alpha\right)"),
        (log_sigmoid(x), r"\log\sigma\left(x\right)"),
        (softmax(z, i, K), r"\operatorname{softmax}\left(z\right)_{i}"),
        (logsumexp(z, K), r"\log \sum_{j=1}^{K} e^{{z}_{j}}"),
    ],
    ids=lambda v: v if isinstance(v, str) and "\\" not in v else None,
)
def test_latex(expr, latex):
    assert sp.latex(expr) == latex


@pytest.mark.parametrize(
    "expr",
    [sigmoid(x), softplus(x) + relu(x), leaky_relu(x, alpha), log_sigmoid(x), logsumexp(x, -x)],
    ids=["sigmoid", "softplus+relu", "leaky", "log_sigmoid", "logsumexp"],
)
def test_elementary_form_reads_back(expr):
    elementary = to_elementary(expr)
    text = str(elementary)
    back = sp.parse_expr(text, local_dict={"x": x, "alpha": alpha})
    assert back == elementary


def _mp_reference(expr, value):
    """``expr`` at ``value``, to 50 digits, through symml's own mpmath evaluation."""
    return sp.N(expr.subs(x, sp.Float(value, 60)), 50)


def _assert_ulps(got, ref, ulps, where):
    ref_f = float(ref)
    tol = ulps * np.spacing(max(abs(ref_f), np.finfo(float).tiny))
    assert abs(float(got) - ref_f) <= tol, f"{where}: got {got!r}, expected {ref_f!r}"


EXTREMES = (-1000.0, -745.5, -40.0, -1.0, -1e-9, 0.0, 1e-9, 0.7, 40.0, 1000.0)


@pytest.mark.parametrize(
    ("expr", "ulps"),
    [
        (sigmoid(x), 4),
        (softplus(x), 4),
        (log_sigmoid(x), 4),
        (relu(x), 0),
        (leaky_relu(x, sp.Rational(1, 4)), 1),
        (logsumexp(x, -x, 2 * x), 8),
    ],
    ids=["sigmoid", "softplus", "log_sigmoid", "relu", "leaky_relu", "logsumexp"],
)
@pytest.mark.parametrize("instance", [False, True], ids=["class", "for_lambdify"])
def test_numpy_printer_is_stable_and_accurate(expr, ulps, instance):
    printer = StableNumPyPrinter.for_lambdify() if instance else StableNumPyPrinter
    f = sp.lambdify([x], expr, modules="numpy", printer=printer)
    xs = np.array(EXTREMES)
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise"):
        warnings.simplefilter("error")
        vec = f(xs)
        scalars = [f(v) for v in EXTREMES]
    for v, got_vec, got_scalar in zip(EXTREMES, vec, scalars, strict=True):
        ref = _mp_reference(expr, v)
        _assert_ulps(got_vec, ref, ulps, f"{expr} at x={v} (array)")
        _assert_ulps(got_scalar, ref, ulps, f"{expr} at x={v} (scalar)")


def test_mpmath_evaluation_keeps_relative_precision():
    mpmath.mp.dps = 60
    try:
        ref = mpmath.log1p(mpmath.exp(mpmath.mpf(-1000)))
        got = sp.N(softplus(-1000), 50)
        assert abs(mpmath.mpf(str(got)) / ref - 1) < mpmath.mpf(10) ** -45
        f = sp.lambdify(
            [x], softplus(x), modules="mpmath", printer=StableMpmathPrinter.for_lambdify()
        )
        assert abs(f(mpmath.mpf(-1000)) / ref - 1) < mpmath.mpf(10) ** -45
    finally:
        mpmath.mp.dps = 15


def test_softmax_printers_are_stable():
    values = np.array([0.0, 1000.0, 1001.0, -1000.0])  # z[0] is padding: classes are 1..3
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise"):
        warnings.simplefilter("error")
        s = [
            sp.lambdify([z], softmax(z, c, 3), modules="numpy", printer=StableNumPyPrinter)(values)
            for c in (1, 2, 3)
        ]
        printer = StableNumPyPrinter.for_lambdify()
        lse = sp.lambdify([z], logsumexp(z, 3), modules="numpy", printer=printer)(values)
    e = np.exp(values[1:] - 1001.0)
    np.testing.assert_allclose(s, e / e.sum(), rtol=1e-15, atol=1e-300)
    np.testing.assert_allclose(lse, 1001.0 + np.log(e.sum()), rtol=1e-15)


def test_row_softmax_attention():
    n, d = 3, 2
    Q, Km, V = (sp.MatrixSymbol(name, n, d) for name in ("Q", "K", "V"))
    attention = row_softmax(Q * Km.T / sp.sqrt(d)) * V
    assert attention.shape == (n, d)
    assert sp.latex(attention) == r"\operatorname{softmax}\left(\frac{\sqrt{2}}{2} Q K^{T}\right) V"
    f = sp.lambdify([Q, Km, V], attention, modules="numpy", printer=StableNumPyPrinter)
    rng = np.random.default_rng(0)
    q, kk, v = (rng.normal(size=(n, d)) for _ in range(3))
    scores = q @ kk.T / np.sqrt(d)
    weights = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(f(q, kk, v), weights @ v, rtol=1e-12)
    explicit = to_elementary(row_softmax(Q * Km.T))
    assert explicit.shape == (n, n)
    sym = sp.MatrixSymbol("S", sp.Symbol("m", integer=True), sp.Symbol("m", integer=True))
    assert to_elementary(row_softmax(sym)) == row_softmax(sym)


def test_functions_by_name():
    names = ml_functions_by_name()
    assert names["sigmoid"] is sigmoid
    assert names["leakyrelu"] is names["leaky_relu"] is leaky_relu
    assert names["logsigmoid"] is log_sigmoid
    for name in ("softplus", "relu", "logsumexp", "softmax"):
        assert names[name].__name__ == name
    assert all(key == key.lower() for key in names)


def test_import_is_light():
    code = "import sys, symml.functions; print('numpy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        (1 + sp.exp(-x), -x),
        (sp.exp(2 * x) + 1, 2 * x),
        (2 + sp.exp(x), None),
        (1 + sp.exp(x) + x, None),
        (1 + x, None),
        (sp.exp(x), None),
    ],
    ids=["exp-minus", "exp-scaled", "two-plus", "three-terms", "no-exp", "bare-exp"],
)
def test_one_plus_exp(expr, expected):
    assert one_plus_exp(expr) == expected


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        (sp.Sum(sp.exp(z[j]), (j, 1, K)), (z, j, K)),
        (sp.Sum(sp.exp(z[j]), (j, 0, K)), None),
        (sp.Sum(sp.exp(z[k]), (j, 1, K)), None),
        (sp.Sum(sp.exp(2 * z[j]), (j, 1, K)), None),
        (sp.Sum(sp.exp(z[j]), (j, 1, K), (k, 1, K)), None),
        (sp.log(sp.Sum(sp.exp(z[j]), (j, 1, K))), None),
    ],
    ids=["sum", "from-zero", "other-index", "scaled", "double-sum", "inside-log"],
)
def test_sum_of_exp(expr, expected):
    assert sum_of_exp(expr) == expected


# ------------------------------------------------------- the common ML functions (issue 14)

from symml.functions import (  # noqa: E402
    elu,
    gelu,
    gelu_tanh,
    hard_sigmoid,
    hard_tanh,
    log_softmax,
    mish,
    ml_function_for,
    normal_cdf,
    normal_logpdf,
    normal_pdf,
    selu,
    silu,
    softsign,
)

NEW_SCALAR = [
    normal_cdf,
    normal_pdf,
    gelu,
    gelu_tanh,
    silu,
    mish,
    softsign,
    hard_sigmoid,
    hard_tanh,
    elu,
    selu,
    sp.erf,
    sp.erfc,
]
# a point per side of every kink, and tails where a naive form cancels or overflows
NEW_POINTS = (-30.0, -7.5, -2.5, -1.25, -0.3, 0.4, 2.0, 9.0, 40.0)


@pytest.mark.parametrize("fn", NEW_SCALAR, ids=lambda f: f.__name__)
def test_new_function_derivative_is_the_derivative_of_its_elementary_form(fn):
    d = sp.diff(fn(x), x)
    de = sp.diff(to_elementary(fn(x)), x)
    for p in (-2.5, -1.3, -0.2, 0.7, 2.5):  # away from the kinks at 0, +-1, +-3
        assert abs(sp.N((d - de).subs(x, sp.Float(p, 40)), 30)) < 1e-25


@pytest.mark.parametrize("fn", NEW_SCALAR, ids=lambda f: f.__name__)
def test_new_function_numpy_code_matches_mpmath_in_the_tails(fn):
    from symml.numeric import lambdify_ml

    code = lambdify_ml(fn(x), [x])
    got = np.asarray(code(np.array(NEW_POINTS)), dtype=float)
    for g, p in zip(got, NEW_POINTS, strict=True):
        ref = float(sp.N(fn(x).subs(x, sp.Float(p, 40)), 30))
        assert abs(g - ref) <= 1e-12 * max(abs(ref), 1e-300) + 1e-300, (fn, p, g, ref)


@pytest.mark.parametrize(
    ("latex", "expected"),
    [
        (r"\operatorname{GELU}(x)", gelu(x)),
        (r"\text{gelu}(x)", gelu(x)),
        (r"\mathrm{erf}(x)", sp.erf(x)),
        (r"\erf(x)", sp.erf(x)),
        (r"erf(x)", sp.erf(x)),
        (r"\Phi(x)", normal_cdf(x)),
        (r"\sigma(x)", sigmoid(x)),
        (r"\text{swish}(x)", silu(x)),
        (r"\operatorname{SiLU}(x)", silu(x)),
        (r"\operatorname{Mish}(x)", mish(x)),
        (r"\operatorname{ELU}(x)", elu(x)),
        (r"\operatorname{SELU}(x)", selu(x)),
        (r"\operatorname{hardtanh}(x)", hard_tanh(x)),
        (r"\operatorname{softsign}(x)", softsign(x)),
    ],
)
def test_one_function_table_reads_every_spelling(latex, expected):
    from symml.latex import parse_latex

    assert parse_latex(latex, symbols={"x": "real"}) == expected


def test_sigma_without_an_argument_or_defined_by_the_caller_stays_generic():
    from symml.latex import parse_latex

    assert parse_latex(r"\sigma^2") == sp.Symbol("sigma", real=True) ** 2
    assert type(parse_latex(r"\sigma(x)", functions=["sigma"])).__name__ == "sigma"
    assert ml_function_for("phi") is None  # \phi(x) is a feature map, not the normal density


def test_textbook_derivatives_of_the_new_functions():
    assert sp.diff(gelu(x), x) == normal_cdf(x) + x * normal_pdf(x)
    assert sp.diff(normal_cdf(x), x) == normal_pdf(x)
    assert sp.diff(silu(x), x) == sigmoid(x) * (1 + x * (1 - sigmoid(x)))
    mu, s = sp.Symbol("mu", real=True), sp.Symbol("s", positive=True)
    assert sp.diff(normal_logpdf(x, mu, s), mu) == (x - mu) / s**2
    zz = sp.IndexedBase("z")
    assert sp.diff(log_softmax(zz, i, K), zz[j]) == sp.KroneckerDelta(i, j) - softmax(zz, j, K)
