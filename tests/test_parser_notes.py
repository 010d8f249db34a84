"""Notation of course notes (CS231n) that the parser read wrongly, crashed on or refused.

Each row is what an ML reader means, built here with SymPy independently of the parser; the
refusals name the construct. Silent wrong readings first (the worst defect), then the
crashes and refusals that became readings.
"""

from __future__ import annotations

import pytest
import sympy as sp

from symml.errors import ParseError
from symml.latex import parse_latex
from symml.latex._relations import Equation, Relation

i, j, k = (sp.Symbol(n, integer=True) for n in "ijk")
x, y, z, a, b, alpha = (sp.Symbol(n, real=True) for n in ("x", "y", "z", "a", "b", "alpha"))
n = sp.Symbol("n", integer=True, positive=True)
F = sp.Function


def ind(cond):
    return sp.Piecewise((1, cond), (0, True))


def idx(name, *ix):
    return sp.Indexed(sp.IndexedBase(name), *ix)


def sym(name):
    return sp.Symbol(name, real=True)


# ---------------------------------------------------------------- silent wrong readings
READINGS = [
    # an indexed function name applied to (...): the component of the call, as (A)_{ij}
    (r"p_{ij}(x)", F("Component")(F("p")(x), i, j)),
    (r"\sum_j p_j(x)", sp.Sum(F("Component")(F("p")(x), j), (j, 1, n))),
    # ... unless the argument holds the name itself (p_i (1 - p_i) is Bernoulli's variance)
    (r"p_i(1-p_i)", idx("p", i) * (1 - idx("p", i))),
    # letters that do not name functions stay products, with or without a space
    (r"w_i(x_i - y)", idx("w", i) * (idx("x", i) - y)),
    (r"y_i (a + b)", idx("y", i) * (a + b)),
    # subscripts that are names are calls on the rule of f(x)
    (r"f_a(x)", F("f_a")(x)),
    (r"q_\phi(z)", F("q_phi")(z)),
    # Var in brackets is Var in parentheses
    (r"\mathrm{Var}[X]", F("Var")(sym("X"))),
    (r"\operatorname{Var}[X]", F("Var")(sym("X"))),
    (r"Var[X]", F("Var")(sym("X"))),
    (r"D_{KL}[p || q]", F("D_KL")(sym("p"), sym("q"))),
    # a letter followed by digits is a name, as r_1
    (r"r1", sym("r_1")),
    (r"x2 + h1", sym("x_2") + sym("h_1")),
    (r"2x", 2 * x),
    (r"x^2", x**2),
    (r"\log_2 x", sp.log(x) / sp.log(2)),
    (r"e^{2x}", sp.exp(2 * x)),
    (r"x_1", sym("x_1")),
    (r"x_{<i}", sym("x_lt_i")),  # the entries before i (it was x_i, silently)
    (r"tanh", sym("tanh")),  # the word alone: a mention of the name
    (r"x2^2", sym("x_2") ** 2),
    (r"x2_i", idx("x_2", i)),
    # capitals that index matrices or counts stay products (W_i (x_i - mu))
    (r"\sum_i W_i(x_i - y)", sp.Sum(idx("W", i) * (idx("x", i) - y), (i, 1, n))),
    # E_{x ~ p} without brackets, in plain letters as with \mathbb{E}
    (r"E_{x \sim p} f(x)", F("Expectation")(F("f")(x), F("Distributed")(x, sym("p")))),
    # bare function words before ( are the functions (never l*o*g)
    (r"exp(x)", sp.exp(x)),
    (r"sin(x) + cos(x)", sp.sin(x) + sp.cos(x)),
    (r"tanh(x)", sp.tanh(x)),
    (r"max(a, b)", sp.Max(a, b)),
    (r"min(a, b)", sp.Min(a, b)),
    (r"log(x)", sp.log(x)),
    (r"min_{\theta} J(\theta)", F("MinOver")(F("J")(sym("theta")), sym("theta"))),
    (r"max_x f(x)", F("MaxOver")(F("f")(x), x)),
    # subscripts that are offsets or names keep their readings
    (r"\sigma_X", sym("sigma_X")),
    (r"w_{ij}", idx("w", i, j)),
    (r"\sum_i x_{i+1}", sp.Sum(idx("x", i + 1), (i, 1, n))),
    (r"h_{t-1}", sym("h_t_minus_1")),
    (r"s_{y_i}", idx("s", idx("y", i))),
    (r"w_{d/2}", idx("w", sym("d") / 2)),
    (r"tanh'(x)", 1 - sp.tanh(x) ** 2),
    (r"tanh^{'}(x)", 1 - sp.tanh(x) ** 2),
    (r"p(x^{(i)})", F("p")(sym("x^{(i)}"))),  # the label is part of the name (test_parser_calls)
]


@pytest.mark.parametrize(("text", "expected"), READINGS)
def test_reading(text, expected):
    assert parse_latex(text) == expected


def test_log_of_one_without_backslash():
    got = parse_latex("log(1) = 0")
    assert isinstance(got, Equation)
    assert got.lhs == 0 and got.rhs == 0  # log(1), not l*o*g(1)
    assert not parse_latex("log(y)").free_symbols - {y}


SILENT_REFUSALS = [
    (r"\sigma_{aX+b}", r"a subscript holding an expression \(aX\+b\)"),
    (r"x_{a b + c}", r"a subscript holding an expression"),
    (r"p_{x \sim q}", r"a subscript holding a relation"),
    (r"x_{a \in B}", r"a subscript holding a relation"),
    (r"log x", r"the word log without a backslash"),
    (r"exp 2", r"the word exp without a backslash"),
    # I^p_1 under \sum_p: pixel p of image 1, or I to the power p? refused by name
    (r"\sum_p I^p_1", r"I\^p with a subscript after it, where p is the index of a sum"),
    # w^T (x_i y_i): a row vector times a number (it was a row vector, silently)
    (r"w^T (x_i y_i)", r"a row vector w.T times x\[i\]\*y\[i\]"),
    (r"\mathbb{1} + x", r"\\mathbb\{1\} without a condition"),
    (r"\sigma_{ab+c}", r"a subscript holding an expression"),
    (r"x + tanh", r"the word tanh without a backslash"),
]


@pytest.mark.parametrize(("text", "match"), SILENT_REFUSALS)
def test_refused_by_name(text, match):
    with pytest.raises(ParseError, match=match):
        parse_latex(text)


# ---------------------------------------------------------------- crashes and refusals
def test_sum_over_all_but_one_index():
    got = parse_latex(r"\sum_{j\neq y_i} \max(0, s_j - s_{y_i} + \Delta)")
    yi = idx("y", i)
    term = sp.Max(0, idx("s", j) - idx("s", yi) + sym("Delta"))
    assert got == sp.Sum(sp.Piecewise((term, sp.Ne(j, yi)), (0, True)), (j, 1, n))
    # the excluded term really is left out: x_1 + x_3 of x_1 + x_2 + x_3
    total = parse_latex(r"\sum_{j \neq 2}^{3} x_j").doit()
    assert total == idx("x", 1) + idx("x", 3)


def test_l1_distance_of_images_is_a_call_not_a_crash():
    got = parse_latex(r"d_1 (I_1, I_2) = \sum_{p} |I_{1p} - I_{2p}|")
    assert isinstance(got, Equation)
    assert got.lhs == F("d_1")(sym("I_1"), sym("I_2"))
    with pytest.raises(ParseError, match="a tuple"):
        parse_latex(r"(a, b) c")


INDICATORS = [
    (r"\mathbb{1}(x < 0)", ind(x < 0)),
    (r"\mathbb{1}(x>=0) (x)", x * ind(x >= 0)),
    (r"\mathbb{1}(x <= 0)", ind(x <= 0)),
    (r"p_k - \mathbb{1}(y_i = k)", sym("p_k") - ind(sp.Eq(idx("y", i), sym("k")))),
    (r"\mathbb{1}_{y_i = k}", ind(sp.Eq(idx("y", i), sym("k")))),
    (r"\mathbf{1}\{y_i = k\}", ind(sp.Eq(idx("y", i), sym("k")))),
]


@pytest.mark.parametrize(("text", "expected"), INDICATORS)
def test_indicator(text, expected):
    assert parse_latex(text) == expected


def test_indicator_in_an_equation():
    got = parse_latex(r"f(x) = \mathbb{1}(x < 0) (\alpha x) + \mathbb{1}(x>=0) (x)")
    assert got.rhs == alpha * x * ind(x < 0) + x * ind(x >= 0)
    assert got.rhs.subs(x, -2) == -2 * alpha and got.rhs.subs(x, 3) == 3
    got = parse_latex(r"\frac{\partial f}{\partial x} = \mathbb{1}(x >= y)")
    assert got.rhs == ind(x >= y)


def test_ones_vector_is_not_an_indicator():
    ones = parse_latex(r"\mathbf{1}")  # alone: the ones vector (its scalar reading), as before
    assert not ones.has(sp.Piecewise) and str(ones) == "1"
    with pytest.raises(ParseError, match="needs a condition"):
        parse_latex(r"\mathbb{1}(x + 1)")
    with pytest.raises(ParseError, match="with a space between"):
        parse_latex(r"x > = 0")


def test_inline_partial_ratio():
    assert parse_latex(r"\partial{L_i} / \partial{f_j}") == sp.Derivative(idx("L", i), idx("f", j))
    assert parse_latex(r"\partial L / \partial w") == sp.Derivative(sym("L"), sym("w"))
    with pytest.raises(ParseError, match="partial outside a derivative"):
        parse_latex(r"\partial x + 1")


def test_expectation_without_brackets():
    got = parse_latex(r"\mathbb{E}_{x \sim p_{data}} \log D(x)")
    assert got == F("Expectation")(sp.log(F("D")(x)), F("Distributed")(x, sym("p_data")))
    got = parse_latex(r"\mathbb{E}_{x \sim p} \log D(x) + 1")
    assert got == F("Expectation")(sp.log(F("D")(x)), F("Distributed")(x, sym("p"))) + 1
    with pytest.raises(ParseError, match="without an argument"):
        parse_latex(r"\mathbb{E}_{x \sim p} + 1")


def test_kl_in_brackets_inside_an_expectation():
    got = parse_latex(r"\exp(\mathbb{E}_{x \sim p_g}[D_{KL}[p(y|x) || p(y)]])")
    p = F("p")
    kl = F("D_KL")(p(F("Given")(y, x)), p(y))
    assert got == sp.exp(F("Expectation")(kl, F("Distributed")(x, sym("p_g"))))


def test_max_of_two_affine_scores():
    got = parse_latex(r"\max(w_1^Tx+b_1, w_2^Tx + b_2)")
    assert isinstance(got, sp.Max) and len(got.args) == 2
    assert {sym("b_1"), sym("b_2")} <= got.free_symbols
    assert parse_latex(r"w^Tx+b").has(sp.Sum)  # the dot product plus a scalar


def test_dot_product_with_a_sample():
    # w^T x_i: the i-th sample's features x[i, k] against w (it was the row vector x[i] w^T);
    # w's element kk is 0-based, the entry x[i, kk + 1] 1-based as every Indexed entry is
    got = parse_latex(r"w^T x_i")
    [(kk, lo, hi)] = got.limits
    w = sp.MatrixSymbol("w", hi + 1, 1)
    assert got.function == idx("x", i, kk + 1) * w[kk, 0] and lo == 0


@pytest.mark.parametrize(
    ("text", "coefficient"),
    [
        (r"2\mathbf{a}^\top\mathbf{b}", "2"),
        (r"\lambda \mathbf{a}^\top\mathbf{b}", "lambda"),
        (r"\frac{1}{2} \mathbf{a}^\top \mathbf{b}", "1/2"),
    ],
)
def test_a_scalar_before_a_transposed_vector_multiplies_the_dot_product(text, coefficient):
    # was "the transpose of vector a is used where a scalar is expected"
    got = parse_latex(text)
    [total] = got.atoms(sp.Sum)
    names = {str(s): s for s in got.free_symbols}
    factor = names["lambda"] if coefficient == "lambda" else sp.Rational(coefficient)
    expected = factor * sp.Sum(idx("a", j) * idx("b", j), (j, 1, total.limits[0][2]))
    assert got == expected


def test_a_regulariser_lambda_w_transpose_w_differentiates_to_lambda_w():
    from symml.derivation import derive

    d = derive(parse_latex(r"\frac{\lambda}{2}\mathbf{w}^\top\mathbf{w}"), "w", steps=False)
    [lam] = (s for s in d.simplified.free_symbols if str(s) == "lambda")
    assert d.simplified == lam * d.wrt


def test_hinge_loss_needs_c_as_a_scalar():
    # C beside vectors is read as a matrix: refused by name (it was a ValueError inside \max)
    text = r"L_i = C \max(0, 1 - y_i w^Tx_i) + R(W)"
    with pytest.raises(ParseError, match="declare C a scalar"):
        parse_latex(text)
    got = parse_latex(text, symbols={"C": "scalar"})
    assert isinstance(got.rhs, sp.Add) and got.rhs.has(sp.Max) and got.rhs.has(F("R"))


def test_underbrace_reads_its_body():
    got = parse_latex(
        r"L = \underbrace{\frac{1}{N} \sum_i L_i}_\text{data loss}"
        r" + \underbrace{\lambda R(W)}_{\text{regularization loss}}"
    )
    N, lam = sym("N"), sym("lambda")
    assert got.rhs == sp.Sum(idx("L", i), (i, 1, n)) / N + lam * F("R")(sym("W"))
    with pytest.raises(ParseError, match="without its label"):
        parse_latex(r"\underbrace{x}")


def test_quantifier_refused_by_name():
    with pytest.raises(ParseError, match=r"a quantifier \\forall"):
        parse_latex(r"\forall x")


@pytest.mark.parametrize("arrow", [r"\leftarrow", r"\gets"])
def test_update_rule_is_a_relation_not_an_equation(arrow):
    got = parse_latex(r"\theta \leftarrow \theta - \alpha \nabla J".replace(r"\leftarrow", arrow))
    assert isinstance(got, Relation) and not isinstance(got, Equation)
    assert got.ops == (r"\leftarrow",)
    theta = sym("theta")
    assert got.parts[0] == theta
    assert got.parts[1] == theta - alpha * F("Grad")(sym("J"))


def test_no_internal_exception_escapes():
    # each of these raised (or was wrapped from) TypeError/ValueError inside the parser before
    for text in [
        r"max(a, b) + (a, b)",
        r"(x, y) (a, b)",
        r"\mathbb{1}(x < 0) (a, b)",
    ]:
        try:
            parse_latex(text)
        except ParseError:
            pass


def test_expectation_over_several_draws():
    # the subscript's comma list was a SymPy error (a Tuple of relations)
    got = parse_latex(r"\mathbb{E}_{x \sim p_g, y \sim q}[f(x, y)]")
    draws = sp.Tuple(F("Distributed")(x, sym("p_g")), F("Distributed")(y, sym("q")))
    assert got == F("Expectation")(F("f")(x, y), draws)


def test_weight_row_dot_sample():
    # the SVM loss: w_j^T x_i is the dot product of row j of W with sample i, feature by feature
    got = parse_latex(r"w_j^T x_i")
    [(kk, lo, hi)] = got.limits
    assert got.function == idx("w", j, kk) * idx("x", i, kk) and (lo, hi) == (1, n)
    # the sum's index is none of the formula's letters (j is free in w_j beside w_{y_i})
    got = parse_latex(r"\mathbb{1}(w_j^Tx_i - w_{y_i}^Tx_i > 0)")
    sums = sorted(got.atoms(sp.Sum), key=str)
    assert len(sums) == 2 and all(s.limits[0][0] not in (i, j) for s in sums)
    assert sums[0].function.has(idx("w", j, sums[0].limits[0][0])) or sums[1].function.has(
        idx("w", j, sums[1].limits[0][0])
    )


def test_one_before_a_condition_is_the_indicator():
    assert parse_latex(r"\frac{dr}{dx} = 1(x > 0)").rhs == ind(x > 0)
    with pytest.raises(ParseError, match=r"a product with a condition \(x > 0\)"):
        parse_latex(r"2(x>0)")
    with pytest.raises(ParseError, match=r"a product with a condition \(y = 1\)"):
        parse_latex(r"x (y = 1)")


def test_internal_errors_become_parse_errors(monkeypatch):
    # the last-resort guard of parse_latex: an exception inside the reader is a ParseError
    import symml.latex._reader as reader

    def broken(*_args):
        raise AttributeError("'NoneType' object has no attribute 'args'")

    monkeypatch.setattr(reader, "_grammar_reading", broken)
    with pytest.raises(ParseError, match=r"internal error reading this formula \(AttributeError"):
        parse_latex("x + 1")


def test_indicator_with_braces_in_blackboard_bold():
    assert parse_latex(r"\mathbb{1}\{x > 0\}") == ind(x > 0)


@pytest.mark.parametrize(
    "text",
    [
        r"\left.\frac{d}{dx} x^3\right|_{x=2}",
        r"\frac{d}{dx} x^3 \Big|_{x=2}",
        r"\frac{d}{dx}x^3\bigg|_{x = 2}",
    ],
)
def test_an_evaluation_bar_substitutes_the_point(text):
    got = parse_latex(text)
    assert isinstance(got, sp.Subs)
    assert [str(v) for v in got.variables] == ["x"] and got.point == (2,)
    # the derivative is taken first and evaluated at the point: 3 x^2 at 2
    assert isinstance(got.expr, sp.Derivative) and got.doit() == 12


def test_a_bar_that_closes_an_absolute_value_is_not_an_evaluation():
    with pytest.raises(ParseError, match="a subscript after"):
        parse_latex(r"|x|_{x=1}")
    assert parse_latex(r"|x - y|").func is sp.Abs
    with pytest.raises(ParseError, match="needs a variable"):
        parse_latex(r"x^2 \Big|_{2=x}")


def test_a_prime_after_a_parenthesised_expression_in_one_variable_is_its_derivative():
    got = parse_latex(r"(x^3)'")
    [x] = got.free_symbols
    assert got == sp.Derivative(x**3, x)
    second = parse_latex(r"(\ln x)''")
    assert second.doit() == -1 / x**2 and second.derivative_count == 2


@pytest.mark.parametrize("text", [r"(fg)'", r"(xy)'", r"(3)'", r"(A + B)'"])
def test_a_prime_that_could_mean_several_things_is_refused(text):
    with pytest.raises(ParseError, match="for a derivative say by which variable"):
        parse_latex(text)
    # a declared matrix keeps the transpose
    got = parse_latex(r"(A + B)'", symbols={"A": "matrix", "B": "matrix"})
    assert got.has(sp.Transpose)


def test_partial_with_a_subscript_differentiates_what_follows():
    got = parse_latex(r"\partial_x (x^2 y)")
    x, y = sorted(got.free_symbols, key=str)
    assert got == sp.Derivative(x**2 * y, x) and got.doit() == 2 * x * y
    entry = parse_latex(r"\partial_{w_j} \sum_i w_i^2")
    assert entry.variables == (idx("w", j),)
    with pytest.raises(ParseError, match="is not a name"):
        parse_latex(r"\partial_2 f")
    with pytest.raises(ParseError, match="followed by a sum"):
        parse_latex(r"\partial_x x^2 + y")


@pytest.mark.parametrize("text", [r"\mathbb{1}[x > 0]", r"\mathbb{1}\left[x > 0\right]"])
def test_an_indicator_in_brackets(text):
    got = parse_latex(text)
    [x] = got.free_symbols
    assert got == sp.Piecewise((1, x > 0), (0, True))


def test_a_conditional_expectation_is_given_as_a_conditional_probability_is():
    got = parse_latex(r"\mathbb{E}[\mathbb{E}[X \mid Y]]")
    X, Y = sorted(got.free_symbols, key=str)
    given = sp.Function("Given")(X, Y)
    assert got == sp.Function("Expectation")(sp.Function("Expectation")(given))
    at = parse_latex(r"\mathbb{E}\left[X \mid Y = y\right]")
    assert type(at.args[0]).__name__ == "Given"


@pytest.mark.parametrize(
    ("text", "name"),
    [(r"\frac{d}{de}\frac{1}{2}e^2", "e"), (r"\frac{d}{d\pi}\log\pi", "pi")],
)
def test_a_constant_differentiated_by_is_a_variable(text, name):
    got = parse_latex(text)
    [var] = got.variables
    assert str(var) == name and isinstance(var, sp.Symbol)
    assert not got.has(sp.E) and not got.has(sp.pi)
    # elsewhere e and pi stay the constants, and d e^x in a numerator is the exponential's
    assert parse_latex(r"\frac{d}{dx} e^x").doit() == sp.exp(sp.Symbol("x", real=True))
    assert parse_latex(r"\pi r^2").has(sp.pi)


def test_a_derivative_by_sigma_squared_is_by_the_variable_sigma_squared():
    # was the second derivative by sigma: d/d(sigma^2) of -log(sigma^2)/2 came out 1/sigma^2
    got = parse_latex(r"\frac{d}{d\sigma^2}\left(-\frac{1}{2}\log\sigma^2\right)")
    [s] = got.free_symbols
    assert sp.simplify(got.doit() + 1 / (2 * s**2)) == 0
    assert parse_latex(r"\frac{d^2}{dx^2} x^3").derivative_count == 2
    with pytest.raises(ParseError, match="do not agree"):
        parse_latex(r"\frac{d^3}{dx^2} x")


@pytest.mark.parametrize(
    "text", [r"\mathrm{E}[X]", r"\operatorname{E}[X]", r"\mathbf{E}[X]", r"\mathbb{E}[X]", "E[X]"]
)
def test_every_spelling_of_the_expectation_operator(text):
    got = parse_latex(text)
    assert type(got).__name__ == "Expectation" and str(got.args[0]) == "X"
    assert str(parse_latex(r"\mathrm{E} = mc^2").lhs) == "E"  # without a bracket: a name


def test_a_derivative_of_a_braced_order_and_a_power_of_a_set(recwarn):
    got = parse_latex(r"\frac{d^{10}}{dx^{10}} e^{2x}")
    assert got.derivative_count == 10
    with pytest.raises(ParseError, match="must be a whole number"):
        parse_latex(r"\frac{d^{n}}{dx^{n}} e^{x}")
    cube = parse_latex(r"x \in [0, 1]^{n}")  # was a SymPyDeprecationWarning on stderr
    assert "SetPower" in str(cube)
    assert not [w for w in recwarn if "deprecated" in str(w.message).lower()]
