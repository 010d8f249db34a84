"""How far an operator's operand reaches: \\frac{d}{dx}, a bare \\sin and the divisor of /.

Each was a silent wrong reading: ``\\frac{d}{dx} 5x`` differentiated only the 5,
``\\tanh x\\,(1 - \\tanh^2 x)`` put the bracket inside the tanh, ``1/2m`` was m/2. The
readings are asserted exactly (built with SymPy here), the ambiguous cases are refusals that
name the construct, and the neighbouring constructs keep their meaning.
"""

from __future__ import annotations

import pytest
import sympy as sp

from symml.documents import Status, check_text
from symml.errors import ParseError
from symml.functions import sigmoid
from symml.latex import parse_latex
from symml.latex._lex import tokenize
from symml.latex._relations import Equation

x, y, m, a, b, c, w = (sp.Symbol(n, real=True) for n in ("x", "y", "m", "a", "b", "c", "w"))
half = sp.Rational(1, 2)
D = sp.Derivative


# --- item 1: the operand of \frac{d}{dx} is the implicit product after it
@pytest.mark.parametrize(
    ("latex", "expected"),
    [
        (r"\frac{d}{dx}\frac{1}{2}x^2", D(x**2 / 2, x)),
        (r"\frac{d}{dx} 5x", D(5 * x, x)),
        (r"\frac{d}{dx} x\sin x", D(x * sp.sin(x), x)),
        (r"\frac{d^2}{dx^2} 3x^3", D(3 * x**3, (x, 2))),
        (r"\frac{\mathrm{d}}{\mathrm{d}x} 5x", D(5 * x, x)),
        (r"\frac{\partial}{\partial w} \frac{1}{2}(w - y)^2", D((w - y) ** 2 / 2, w)),
        (r"\frac{d}{dx} f(x) g(x)", D(sp.Function("f")(x) * sp.Function("g")(x), x)),
    ],
)
def test_derivative_operand_is_the_product(latex, expected):
    assert parse_latex(latex) == expected


@pytest.mark.parametrize(
    ("latex", "expected"),
    [
        # a bracket is the operand (with its power); what follows it multiplies
        (r"\frac{d}{dx}\left(x^2 + 3x\right)", D(x**2 + 3 * x, x)),
        (r"\frac{d}{dx}(x^2) y", y * D(x**2, x)),
        (r"\frac{d}{dx}(x + 1)^2", D((x + 1) ** 2, x)),
        (r"\frac{d}{dx}[x^2 + 1]", D(x**2 + 1, x)),
        # an explicit operator ends the operand
        (r"\frac{d}{dx} x^2 \cdot y", y * D(x**2, x)),
        # the body in the numerator
        (r"\frac{\partial L}{\partial w} + 1", D(sp.Symbol("L", real=True), w) + 1),
        (r"\frac{d}{dx} f(x)", D(sp.Function("f")(x), x)),
        # a sum after the first term, and derivatives written term by term
        (r"a + \frac{d}{dx} x^2 + b", a + b + D(x**2, x)),
        (
            r"\frac{d}{dx} f(x) + \frac{d}{dx} g(x)",
            D(sp.Function("f")(x), x) + D(sp.Function("g")(x), x),
        ),
    ],
)
def test_derivative_neighbours_keep_their_meaning(latex, expected):
    assert parse_latex(latex) == expected


def test_derivative_of_sigma_keeps_its_equation():
    value = parse_latex(r"\frac{d}{dx}\sigma(x) = \sigma(x)(1-\sigma(x))")
    s = sigmoid(x)
    assert value == Equation(D(s, x), s * (1 - s))


@pytest.mark.parametrize(
    "latex",
    [
        r"\frac{d}{dx} x^2 + 3x = 2x + 3",
        r"-\frac{d}{dx} x^2 + 1",
        r"(\frac{d}{dx} x^2 + 1)",
        r"2x = \frac{d}{dx} x^2 + 0",
        r"\frac{d}{dx} e^x - 1",
    ],
)
def test_derivative_before_a_sum_is_refused(latex):
    with pytest.raises(ParseError, match=r"followed by a sum .*\\left\(\.\.\.\\right\)"):
        parse_latex(latex)


def test_derivative_before_a_typed_space_is_refused():
    with pytest.raises(ParseError, match="space typed in it"):
        parse_latex(r"\frac{d}{dx} x\,(1+x)")


@pytest.mark.parametrize(
    ("latex", "reason"),
    [
        # a power of a call, a composition, or a power times a group?
        (r"\frac{d}{dx} f^2(x)", r"f\^k\(\.\.\.\) is ambiguous"),
        # a name symml does not know as a function, times x, or the function of x?
        (r"\frac{d}{dx}\operatorname{foo} x", r"operatorname\{foo\} before a factor"),
        # the body holds w_j: the derivative by the symbol w would be 0
        (r"\frac{\partial}{\partial \mathbf{w}}\mathbf{w}^\top\mathbf{x}", "by the vector w"),
        (r"\frac{\partial}{\partial \mathbf{w}}(\mathbf{w}^\top\mathbf{x})", "by the vector w"),
    ],
)
def test_derivative_operand_misreadings_are_refused(latex, reason):
    with pytest.raises(ParseError, match=reason):
        parse_latex(latex)


@pytest.mark.parametrize(
    ("latex", "expected"),
    [
        (r"\frac{d}{dx} x^2(x+1)", D(x**2 * (x + 1), x)),  # x is no function
        (r"\frac{d}{dx}\operatorname{sech}(x)", D(sp.sech(x), x)),
        # once refused here, now read as the author means (the grammar reads them so anywhere)
        (r"\frac{d}{dx}\operatorname{sech} x", D(sp.sech(x), x)),
        (r"\frac{d}{dx}\sigma^2(x)", D(sigmoid(x) ** 2, x)),
        (r"\frac{\partial L}{\partial \mathbf{w}}", D(sp.Symbol("L", real=True), w)),
    ],
)
def test_derivative_operand_guards_keep_neighbours(latex, expected):
    assert parse_latex(latex) == expected


@pytest.mark.parametrize(
    ("doc", "status"),
    [
        (r"$$\frac{d}{dx} x\sin x = \sin x + x\cos x$$", Status.VERIFIED),
        (r"$$\frac{d}{dx} x\sin x = \sin x$$", Status.REFUTED),
        (r"$$\frac{d}{dx} 5x = 5$$", Status.VERIFIED),
        (
            r"$$\frac{\partial}{\partial w_j}\frac{1}{2}(\mathbf{w}^T\mathbf{x} - y)^2"
            r" = (\mathbf{w}^T\mathbf{x}-y)x_j$$",
            Status.VERIFIED,
        ),
        (r"$$\frac{d}{dx} x^2 + 3x = 2x + 3$$", Status.UNPARSED),
    ],
)
def test_derivative_verdicts(doc, status):
    [result] = check_text(doc, source="doc.md")
    assert result.status == status, result.message


# --- item 2: a typed space ends a bare function's argument
def test_lexer_marks_typed_spaces():
    toks = tokenize(r"\sin x\,(1+x) \log 2 x")
    assert [t.value for t in toks if t.spaced] == ["("]


@pytest.mark.parametrize(
    ("latex", "expected"),
    [
        (r"\tanh x\,(1-\tanh^2 x)", sp.tanh(x) * (1 - sp.tanh(x) ** 2)),
        (r"\sin x\,(1+x)", sp.sin(x) * (1 + x)),
        (r"\sin x\;y", sp.sin(x) * y),
        (r"\sin x\:y", sp.sin(x) * y),
        (r"\log x\ y", sp.log(x) * y),
        (r"\sin x~(1+x)", sp.sin(x) * (1 + x)),
    ],
)
def test_typed_space_ends_function_argument(latex, expected):
    assert parse_latex(latex) == expected


@pytest.mark.parametrize(
    ("latex", "expected"),
    [
        (r"\log 2 x", sp.log(2 * x)),  # a plain space does not end it
        (r"\log\, 2x", sp.log(2 * x)),  # a space before the argument
        (r"\sin x\!y", sp.sin(x * y)),  # a negative space
        (r"\int \sin x \, dx", sp.Integral(sp.sin(x), x)),
        (r"1\,000 x", 1000 * x),  # a thin space between digit groups
    ],
)
def test_other_spaces_keep_their_meaning(latex, expected):
    assert parse_latex(latex) == expected


def test_typed_space_verdict():
    [result] = check_text(r"$$\tanh x\,(1-\tanh^2 x) = \tanh x - \tanh^3 x$$", source="d.md")
    assert result.status == Status.VERIFIED, result.message


# --- item 3: a divisor followed by another factor is ambiguous
@pytest.mark.parametrize(
    "latex",
    [r"1/2m", r"e^{-x^2/2\sigma^2}", r"1/2 (x + y)", r"x/2 \sin x", r"a \div b c"],
)
def test_slash_before_a_product_is_refused(latex):
    with pytest.raises(ParseError, match=r"a / whose divisor is followed by another factor"):
        parse_latex(latex)


@pytest.mark.parametrize(
    ("latex", "expected"),
    [
        (r"a/b", a / b),
        (r"(a+b)/2", (a + b) / 2),
        (r"x/2 + y", x / 2 + y),
        (r"1/(2m)", 1 / (2 * m)),
        (r"a/b \cdot c", a * c / b),
        (r"a/b^2", a / b**2),
        (r"a b/c", a * b / c),
        (r"\int x/2 dx", sp.Integral(x / 2, x)),
    ],
)
def test_slash_neighbours_keep_their_meaning(latex, expected):
    assert parse_latex(latex) == expected


def test_slash_before_a_sum_operator_is_strict():
    i = sp.Symbol("i", integer=True)
    n = sp.Symbol("n", integer=True, positive=True)
    xi = sp.Indexed(sp.IndexedBase("x"), i)
    assert parse_latex(r"1/N \sum_i x_i") == sp.Sum(xi, (i, 1, n)) / sp.Symbol("N", real=True)


def test_slash_verdict_is_unparsed():
    [result] = check_text(r"$$1/2m = 0.5m$$", source="d.md")
    assert result.status == Status.UNPARSED
    assert "a/bc" in result.message


def test_nabla_takes_the_product_after_it_as_frac_d_dx_does():
    grad = sp.Function("Grad")
    # it took the first atom: \nabla_x \frac{1}{2}x^2 was x^2 times the gradient of 1/2
    assert parse_latex(r"\nabla_x \frac{1}{2}x^2") == grad(x**2 / 2, x)
    assert parse_latex(r"\nabla_w L(w)") == grad(sp.Function("L")(sp.Symbol("w", real=True)),
                                                   sp.Symbol("w", real=True))  # fmt: skip
    assert parse_latex(r"\nabla f") == grad(sp.Symbol("f", real=True))
    with pytest.raises(ParseError, match=r"\\nabla followed by a sum"):
        parse_latex(r"\nabla_x x^2 + 1")
