"""Names, calls and superscripts that the grammar read silently wrong.

``w^{(1)}`` (a layer, sample or step label) was the component ``w_1``, so two layers' weights
were one object; ``p(1-p)`` was p applied to 1-p; ``2\\pi(1-a)`` applied a function "pi";
``f^{-1}(x)`` was x/f; ``\\sigma^2(x)`` was sigma**2*x. Each row is built with SymPy apart
from the parser; each fix has its neighbour that keeps the old meaning.
"""

from __future__ import annotations

import pytest
import sympy as sp

from symml.documents import Status, check_text
from symml.errors import ParseError
from symml.functions import relu, sigmoid
from symml.latex import parse_latex

i, j, k, t = (sp.Symbol(n, integer=True) for n in "ijkt")
m = sp.Symbol("m", real=True)
F = sp.Function


def sym(name):
    return sp.Symbol(name, real=True)


def idx(name, *ix):
    return sp.Indexed(sp.IndexedBase(name), *ix)


x, a, b, p = sym("x"), sym("a"), sym("b"), sym("p")

# ---------------------------------------------------------------- 1. labels w^{(l)}
LABELS = [
    (r"w^{(1)}_{ij} - w^{(2)}_{ij}", idx("w^{(1)}", i, j) - idx("w^{(2)}", i, j)),
    (r"x^{(i)}", sym("x^{(i)}")),
    (r"x^{(2)}", sym("x^{(2)}")),  # sample 2, not a second derivative or a square
    (r"x^{(1)}_j", idx("x^{(1)}", j)),
    (r"x_j^{(1)}", idx("x^{(1)}", j)),
    (r"W^{(l)} x", sym("W^{(l)}") * x),
    (r"W^{(1)}(x+b)", sym("W^{(1)}") * (x + b)),  # a matrix times a group, as before
    (r"p(x^{(i)})", F("p")(sym("x^{(i)}"))),
    # a label that a sum binds stays an index, on a base of its own
    (r"\sum_{i=1}^{m} x^{(i)}", sp.Sum(idx(r"x^{(\cdot)}", i), (i, 1, m))),
    # a label with an offset: step t+1, layer l-1 (was theta**(t+1))
    (r"\theta^{(t+1)}", sym(r"\theta^{(t+1)}")),  # named by its LaTeX: it prints back
    (r"\hat{x}^{(i)}", sym(r"x_{hat}^{(i)}")),  # as SymPy prints the name x_hat
    (r"a^{(l-1)}_j", idx("a^{(l-1)}", j)),
    (r"\sum_{t=1}^{m} \theta^{(t+1)}", sp.Sum(idx(r"\theta^{(\cdot)}", t + 1), (t, 1, m))),
    (r"e^{(x+1)}", sp.exp(x + 1)),  # e to a power, not a label
    (r"x^{(2n)}", x ** (2 * sym("n"))),  # not names joined by + or -: a power, as before
    # how SymPy prints an indexed labelled name reads back
    (r"{w^{(1)}}_{i,j}", idx("w^{(1)}", i, j)),
    (r"{w}_{i,j}", idx("w", i, j)),
]


@pytest.mark.parametrize(("text", "expected"), LABELS)
def test_label_is_part_of_the_name(text, expected):
    assert parse_latex(text) == expected


def test_labels_are_distinct_objects():
    assert parse_latex(r"x^{(i)}") not in (parse_latex("x"), parse_latex("x_i"))
    assert parse_latex(r"w^{(1)}_{j}") != parse_latex(r"w^{(2)}_{j}")


ROUND_TRIP = [r"w^{(1)}_{ij}", r"x^{(i)}", r"W^{(l)} x^{(2)}", r"\theta^{(t+1)}", r"a^{(l-1)}_j"]


@pytest.mark.parametrize("text", [*ROUND_TRIP, r"\hat{x}^{(i)}", r"x_{data}^{(i)}"])
def test_label_round_trip(text):
    value = parse_latex(text)
    assert parse_latex(sp.latex(value)) == value


@pytest.mark.parametrize("text", [r"f^{(n)}(x)", r"f^{(2)}(x)", r"h^{(t)}(x)"])
def test_labelled_call_is_refused(text):
    with pytest.raises(ParseError, match="derivative of order"):
        parse_latex(text)


def test_two_layers_weights_are_not_verified_equal():
    [check] = check_text("$$w^{(1)}_{ij} - w^{(2)}_{ij} = 0$$", source="doc.md")
    assert check.status is Status.UNCHECKED


# ---------------------------------------------------------------- 2. p(1-p) is a product
N, K = sym("N"), sym("K")
sigma, q, h = sym("sigma"), sym("q"), sym("h")
PRODUCTS = [
    (r"p(1-p)", p * (1 - p)),
    (r"q(1-q)", q * (1 - q)),
    (r"h(1-h)", h * (1 - h)),
    (r"k(k+1)/2", sym("k") * (sym("k") + 1) / 2),
    (r"N(N+1)", N * (N + 1)),
    (r"\sigma(1-\sigma)", sigma * (1 - sigma)),
]
CALLS = [
    (r"p(x)", F("p")(x)),
    (r"f(x-1)", F("f")(x - 1)),
    (r"f(f(x))", F("f")(F("f")(x))),  # applied inside: a composition
    (r"\sigma(x)", sigmoid(x)),
    (r"\sigma(-x)", sigmoid(-x)),
    (r"p(1-p_i)", F("p")(1 - idx("p", i))),  # p_i is another object
]


@pytest.mark.parametrize(("text", "expected"), PRODUCTS + CALLS)
def test_call_or_product(text, expected):
    assert parse_latex(text) == expected


def test_declared_function_is_still_applied():
    assert parse_latex(r"p(1-p)", functions=["p"]) == F("p")(1 - p)


def test_bernoulli_variance_identity_verifies():
    [check] = check_text(r"$$\sigma(1-\sigma) = \sigma - \sigma^2$$", source="doc.md")
    assert check.status is Status.VERIFIED


# ---------------------------------------------------------------- 3. \pi( with arithmetic
s_, rho = sym("s"), sym("rho")
PI = [
    (r"2\pi(1-a)", 2 * sp.pi * (1 - a)),
    (r"\sqrt{2\pi(1-\rho^2)}", sp.sqrt(2 * sp.pi * (1 - rho**2))),
    (r"\pi(1-\pi)", sp.pi * (1 - sp.pi)),
    (r"\pi \left(1 - a\right)", sp.pi * (1 - a)),
    (r"\pi(2s)", 2 * sp.pi * s_),
    # policies keep their reading
    (r"\pi(a\mid s)", F("pi")(F("Given")(a, s_))),
    (r"\pi(a \mid s+1)", F("pi")(F("Given")(a, s_ + 1))),
    (r"\pi(s)", F("pi")(s_)),
    (r"\pi(-x)", F("pi")(-x)),
    (r"\pi_\theta(a|s)", F("pi_theta")(F("Given")(a, s_))),
]


@pytest.mark.parametrize(("text", "expected"), PI)
def test_pi_constant_or_policy(text, expected):
    assert parse_latex(text) == expected


def test_gaussian_normaliser_with_correlation_verifies():
    claim = r"$$\sqrt{2\pi(1-\rho^2)} = \sqrt{2\pi}\sqrt{1-\rho^2}$$"
    [check] = check_text(claim, source="doc.md")
    assert check.status is Status.VERIFIED  # was "pi not defined": a function pi applied


# ---------------------------------------------------------------- 4. f^{-1}(x) is refused
@pytest.mark.parametrize("text", [r"f^{-1}(x)", r"\sigma^{-1}(p)", r"F^{-1}(u)", r"g^{-1}(y)"])
def test_unknown_inverse_function_is_refused(text):
    with pytest.raises(ParseError, match="inverse function"):
        parse_latex(text)


def test_inverse_neighbours_keep_their_reading():
    k_ = sym("k")
    assert parse_latex(r"k^{-1}(k+1)") == (k_ + 1) / k_  # a count: a power times a group
    assert parse_latex(r"a^{-1}(x+1)") == (x + 1) / a
    assert parse_latex(r"\sin^{-1}(x)") == sp.asin(x)


def test_inverse_sigmoid_claim_is_unparsed():
    claim = r"$$\sigma^{-1}(p) = \log\frac{p}{1-p}$$"
    [check] = check_text(claim, source="doc.md")
    assert check.status is Status.UNPARSED
    assert "inverse function" in check.message


# ---------------------------------------------------------------- 5. \sigma^2(x)
POWERS = [
    (r"\sigma^2(x)", sigmoid(x) ** 2),
    (r"\sigma^{2}\left(x\right)", sigmoid(x) ** 2),  # how SymPy prints sigma(x)**2
    (r"\phi^2(x)", F("phi")(x) ** 2),
    (r"\operatorname{ReLU}^2(x)", relu(x) ** 2),
    # not a function there: a power times a group
    (r"a^2(x+1)", a**2 * (x + 1)),
    (r"p^2(1-p)", p**2 * (1 - p)),
    (r"\sigma^2(1-\sigma)", sigma**2 * (1 - sigma)),
    (r"\sigma^2", sigma**2),
]


@pytest.mark.parametrize(("text", "expected"), POWERS)
def test_power_of_a_call(text, expected):
    assert parse_latex(text) == expected


@pytest.mark.parametrize(
    ("text", "match"),
    [(r"g^2(x)", "composition"), (r"\sigma^2(1-\rho^2)", "variance times a group")],
)
def test_ambiguous_power_before_a_call_is_refused(text, match):
    with pytest.raises(ParseError, match=match):
        parse_latex(text)


def test_derivative_printed_by_symml_reads_back():
    value = 2 * sigmoid(x) ** 2 * (1 - sigmoid(x))
    assert parse_latex(sp.latex(value)) == value


# ---------------------------------------------------------------- 6. smaller ones
SMALL = [
    (r"\operatorname{sech}^2 x", sp.sech(x) ** 2),
    (r"\mathrm{sech}^2 x", sp.sech(x) ** 2),
    (r"\operatorname{coth} x", sp.coth(x)),
    (r"\operatorname{sech}(x)", sp.sech(x)),
    (r"\log_e x", sp.log(x)),  # Euler's e: the natural logarithm
    (r"\log_2 x", sp.log(x, 2)),
    (r"\mathbb{V}[X]", F("Var")(sym("X"))),  # as \operatorname{Var}[X]
    (r"\mathbb{V}", sym("V")),
    (r"\|x\|_1", F("Norm")(x, 1)),
    (r"(e^x)_i", F("Component")(sp.exp(x), i)),
    (r"e^{x_i}", sp.exp(idx("x", i))),
]


@pytest.mark.parametrize(("text", "expected"), SMALL)
def test_small_readings(text, expected):
    assert parse_latex(text) == expected


@pytest.mark.parametrize(
    ("text", "match"),
    [
        (r"|x|_1", r"subscript after \|\.\.\.\|"),
        (r"e^{x}_i", r"subscript after e\^"),
        (r"\mathbb{V}_{x \sim p}[X]", r"mathbb\{V\}"),
    ],
)
def test_small_refusals(text, match):
    with pytest.raises(ParseError, match=match):
        parse_latex(text)


def test_sech_squared_derivative_verifies():
    claim = r"$$\frac{d}{dx}\tanh x = \operatorname{sech}^2 x$$"
    [check] = check_text(claim, source="doc.md")
    assert check.status is Status.VERIFIED  # was refuted: sech read as a symbol
