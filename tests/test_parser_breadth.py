"""Issue 13: notation the ML grammar reads, the wrong meanings it gave, and the second reader.

Each construct has a table of readings (what it must mean) and a table of refusals (what it
must not be guessed into). The expected values are written by hand from what the notation
means in mathematics, not printed from the parser.
"""

from __future__ import annotations

import pytest
import sympy as sp

from symml.errors import ParseError
from symml.latex import Aligned, Equation, Relation, parse_latex

a, b, c, x, y, z, n, k = (sp.Symbol(s, real=True) for s in "abcxyznk")


def _plain(value):
    """The expression with assumptions dropped, so a table compares meanings, not flags."""
    if not isinstance(value, sp.Basic):
        return value
    return value.xreplace({s: sp.Symbol(s.name) for s in value.atoms(sp.Symbol)})


def _ne(lhs, rhs):
    return Relation((lhs, rhs), (r"\neq",))


A, B, C, X, Y = sp.symbols("a b c x y")

READINGS = [
    # != and \ne mean "not equal", never a factorial
    (r"a^2 + b^2 != 2c^2", _ne(A**2 + B**2, 2 * C**2)),
    (r"a \ne b", _ne(A, B)),
    (r"a \neq b", _ne(A, B)),
    (r"n! = 3", Equation(sp.factorial(sp.Symbol("n")), 3)),
    # primes inside a font command are primes of the name
    (r"\mathit{foo'}", sp.Symbol("foo_prime")),
    (r"\mathit{foo''}'''", sp.Symbol("foo" + "_prime" * 5)),
    # digit groups and scientific notation
    (r"1\,000", sp.Integer(1000)),
    (r"1 000", sp.Integer(1000)),
    (r"1\,000\,000 + x", 1000000 + X),
    (r"12 345.5", sp.Rational(24691, 2)),
    (r"2.5E2", sp.Integer(250)),
    (r"1e-3", sp.Rational(1, 1000)),
    (r"2e^{x}", 2 * sp.exp(X)),
    (r"\log_2 8", sp.log(8) / sp.log(2)),
    # inverse functions: ^{-1} on a trigonometric or hyperbolic function
    (r"\sin^{-1}(a)", sp.asin(A)),
    (r"\sinh^{-1}(a)", sp.asinh(A)),
    (r"\cosh^{-1} x", sp.acosh(X)),
    (r"\tanh^{-1} x", sp.atanh(X)),
    (r"\sin^{2} x", sp.sin(X) ** 2),
    # the argument of \log without parentheses runs to the end of the implicit product
    (r"\log 2x", sp.log(2 * X)),
    (r"\ln xy", sp.log(X * Y)),
    (r"\log a b", sp.log(A * B)),
    (r"\log a \cdot b", B * sp.log(A)),
    (r"\log(a) b", B * sp.log(A)),
    (r"\sin x \cos x", sp.sin(X) * sp.cos(X)),
    (r"\log x + y", sp.log(X) + Y),
    # prose "and" between equations: two equations
    (r"a=1 \text{ and } b=2", Aligned((Equation(A, 1), Equation(B, 2)))),
    # named functions SymPy has are SymPy's functions
    (r"\operatorname{floor}(x)", sp.floor(X)),
    (r"\operatorname{ceil}(x)", sp.ceiling(X)),
    (r"\operatorname{arcsinh}(x)", sp.asinh(X)),
    (r"\operatorname{arctanh}(x)", sp.atanh(X)),
    (r"\operatorname{gcd}(12, 18)", sp.Integer(6)),
    (r"\gcd(12, 18)", sp.Integer(6)),
    (r"\operatorname{lcm}(4, 6)", sp.Integer(12)),
    (r"\operatorname{mod}(a, b)", sp.Mod(A, B)),
    # a derivative of a bracketed group covers the whole group
    (r"\frac{d}{dx} [3 x^2 - 4x]", sp.Derivative(3 * X**2 - 4 * X, X)),
    (r"\frac{d}{dx} \left[3 x^2 - 4x\right]", sp.Derivative(3 * X**2 - 4 * X, X)),
    # general notation the grammar now reads
    (r"\lfloor x \rfloor", sp.floor(X)),
    (r"\lceil \frac{x}{2} \rceil + 1", sp.ceiling(X / 2) + 1),
    (r"\left\lfloor x \right\rfloor", sp.floor(X)),
    (r"\mleft( x + y \mright)^2", (X + Y) ** 2),
    (r"\vert x \vert", sp.Abs(X)),
    (r"\lvert x \rvert", sp.Abs(X)),
    (r"|x||y|", sp.Abs(X) * sp.Abs(Y)),  # one | closes, the next opens
    (r"a \div b", A / B),
    (r"\binom{n}{k}", sp.binomial(sp.Symbol("n"), sp.Symbol("k"))),
    (r"\int \frac{dx}{1+x}", sp.Integral(1 / (1 + X), X)),
]


@pytest.mark.parametrize("text,expected", READINGS, ids=[t for t, _ in READINGS])
def test_reading(text, expected):
    got = parse_latex(text)
    if isinstance(expected, Relation):
        assert isinstance(got, Relation) and got.ops == expected.ops
        assert tuple(_plain(p) for p in got.parts) == expected.parts
    elif isinstance(expected, Equation):
        assert isinstance(got, Equation)
        assert (_plain(got.lhs), _plain(got.rhs)) == (expected.lhs, expected.rhs)
    elif isinstance(expected, Aligned):
        assert isinstance(got, Aligned) and len(got.items) == len(expected.items)
        for g, e in zip(got.items, expected.items, strict=True):
            assert (_plain(g.lhs), _plain(g.rhs)) == (e.lhs, e.rhs)
    else:
        assert sp.simplify(_plain(got) - expected) == 0, got


def test_not_equal_is_a_relation_that_holds_where_the_sides_differ():
    rel = parse_latex(r"a^2 + b^2 != 2c^2").as_sympy()
    assert isinstance(rel, sp.Ne)
    assert not rel.has(sp.factorial)


REFUSALS = [
    (r"1.1.1", "two decimal points"),
    (r"2 3", "two numbers with only a space"),
    (r"1234 567", "two numbers with only a space"),
    (r"\mathit{x + y}", r"holds an expression, not a name"),
    (r"\mathrm{a - b}", r"holds an expression, not a name"),
    (r"\log^{-1} x", "ambiguous"),
    (r"\arcsin^{-1} x", "ambiguous"),
    (r"a=1 \text{ or } b=2", r"unexpected .*text\{ or \}"),
    (r"x \text{ and } y", r"unexpected .*text\{ and \}"),
    (r"\gcd(a, b)", "polynomial gcd"),
    (r"\operatorname{lcm}(a, 4)", "polynomial lcm"),
    (r"1e99999", "exponent"),
]


@pytest.mark.parametrize("text,match", REFUSALS, ids=[t for t, _ in REFUSALS])
def test_refusal(text, match):
    with pytest.raises(ParseError, match=match):
        parse_latex(text)


def test_cases_condition_joined_by_and():
    got = parse_latex(
        r"\begin{cases} 1 & \text{if } x > 0 \text{ and } y > 0 \\ 0 & \text{otherwise}\end{cases}"
    )
    assert _plain(got) == sp.Piecewise((1, sp.And(X > 0, Y > 0)), (0, True))


# ------------------------------------------------------------------ the second reader
SECOND_READER = [
    (r"x \bmod 3", sp.Mod(X, 3)),
    (r"\sqrt{x} \mod 2", sp.Mod(sp.sqrt(X), 2)),
    (r"{n \choose k}", sp.binomial(sp.Symbol("n"), sp.Symbol("k"))),
    (r"\lfloor \frac{x}{2} \rfloor \bmod 3", sp.Mod(sp.floor(X / 2), 3)),
    (r"\log(x) \bmod 10", sp.Mod(sp.log(X), 10)),  # natural log, not base 10
    (r"x_{0} \bmod y", sp.Mod(sp.Symbol("x_0"), Y)),  # symml's names
]


@pytest.mark.parametrize("text,expected", SECOND_READER, ids=[t for t, _ in SECOND_READER])
def test_second_reader_reading(text, expected):
    from symml.latex import parse_with_reader

    result = parse_with_reader(text)
    assert result.reader == "latex2sympy2"
    assert _plain(result.value) == expected
    assert parse_latex(text) == result.value


def test_second_reader_keeps_i_an_index():
    from symml.latex import parse_with_reader

    value = parse_with_reader(r"i \bmod 2").value
    assert not value.has(sp.I)
    assert value == sp.Mod(sp.Symbol("i", integer=True), 2)


def test_second_reader_equation_is_split_by_symml():
    from symml.latex import parse_with_reader

    result = parse_with_reader(r"x \bmod 2 = y")
    assert result.reader == "latex2sympy2"
    assert isinstance(result.value, Equation)
    assert (_plain(result.value.lhs), _plain(result.value.rhs)) == (sp.Mod(X, 2), Y)


SECOND_READER_REFUSALS = [
    (r"\frac{1}{", "unexpected end"),  # a syntax error never reaches the second reader
    (r"\frac{1}{2} \cdotp x", r"unknown command \\cdotp"),  # latex2sympy2 reads it as \cdot p
    (r"x \circ 3", r"unknown command \\circ"),
    (r"\log x \bmod 10", "argument of .*log without parentheses"),
    (r"x^{\top} \bmod 2", "transpose"),
    (r"f(x) \bmod 2", r"a call f\(\.\.\.\)"),
    (r"f'(x) \bmod 2", "prime"),
    (r"\mathbf{w} \bmod 2", "vector"),
    (r"\text{foo} \bmod 2", "text"),
]


@pytest.mark.parametrize(
    "text,match", SECOND_READER_REFUSALS, ids=[t for t, _ in SECOND_READER_REFUSALS]
)
def test_second_reader_refusal(text, match):
    with pytest.raises(ParseError, match=match):
        parse_latex(text)


def test_grammar_stays_the_reader_of_record():
    from symml.latex import parse_with_reader

    for text in (r"\log x", r"x_i y_i", r"\lfloor x \rfloor", r"\binom{n}{k}"):
        assert parse_with_reader(text).reader == "symml", text
    assert _plain(parse_with_reader(r"\log x").value) == sp.log(X)


def test_second_reader_in_any_order_and_from_threads():
    """latex2sympy2's global state must not leak: the same readings in any order, any thread."""
    from concurrent.futures import ThreadPoolExecutor

    texts = [t for t, _ in SECOND_READER] + [r"\int \frac{dz}{z}", r"x_{1} \bmod 2", r"i \bmod j"]
    texts += [r"x \bmod 2 = y", r"\log x_{0}", r"x \circ 3"]

    def read(t):
        try:
            return (
                sp.srepr(parse_latex(t))
                if not isinstance(parse_latex(t), Equation)
                else repr(parse_latex(t))
            )
        except ParseError as e:
            return e.reason

    first = {t: read(t) for t in texts}
    for order in (list(reversed(texts)), texts[1::2] + texts[::2]):
        assert [read(t) for t in order] == [first[t] for t in order]
    with ThreadPoolExecutor(4) as pool:
        assert list(pool.map(read, texts * 3)) == [first[t] for t in texts * 3]


def test_cli_parse_names_the_reader(tmp_path):
    import json
    import subprocess
    import sys

    for text, reader in ((r"x \bmod 3", "latex2sympy2"), (r"\log 2x", "symml")):
        proc = subprocess.run(
            [sys.executable, "-m", "symml.cli", "parse", "--json", text],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            check=False,
        )
        assert proc.returncode == 0, proc.stderr
        assert json.loads(proc.stdout)["reader"] == reader


MORE_READINGS = [
    # one-sided limits (the suites' 3^{+}), \longrightarrow in a limit
    (r"\lim_{x \to 3^{+}} a", sp.Limit(A, X, 3, dir="+")),
    (r"\lim_{x \to 3^-} \frac{1}{x - 3}", sp.Limit(1 / (X - 3), X, 3, dir="-")),
    (r"\lim_{x \longrightarrow 3} x", sp.Limit(X, X, 3, dir="+-")),
    # an integral whose integrand is 1, or whose differential sits in a numerator
    (r"\int da", sp.Integral(1, A)),
    (r"\int_0^7 dx", sp.Integral(1, (X, 0, 7))),
    (r"\int \frac{3 dz}{z}", sp.Integral(3 / sp.Symbol("z"), sp.Symbol("z"))),
    (
        r"\int \frac{3 \cdot d\theta}{\theta}",
        sp.Integral(3 / sp.Symbol("theta"), sp.Symbol("theta")),
    ),
    (r"\int \frac{-2 dx}{x}", sp.Integral(-2 / X, X)),
    (r"\left[\begin{array}{cc}a & b \\ x & y\end{array}\right]", sp.Matrix([[A, B], [X, Y]])),
    (r"\imaginaryunit^2", sp.Integer(-1)),
    (r"a \negmedspace b", A * B),
]


@pytest.mark.parametrize("text,expected", MORE_READINGS, ids=[t for t, _ in MORE_READINGS])
def test_more_readings(text, expected):
    got = _plain(parse_latex(text))
    if isinstance(expected, sp.MatrixBase):
        assert got == expected
    else:
        assert got == expected, got


def test_a_limit_without_a_side_stays_two_sided():
    assert str(parse_latex(r"\lim_{h \to 0} h").args[3]) == "+-"


M = sp.Matrix([[sp.I, 2], [3, 4]])
MATRIX_AND_MISC = [
    (r"100\%", sp.Integer(1)),
    (r"1.5\%", sp.Rational(3, 200)),
    (r"\emptyset", sp.S.EmptySet),
    (r"\int_{ }^{} x dx", sp.Integral(X, X)),
    (r"\begin{pmatrix}\imaginaryunit&2\\3&4\end{pmatrix}^H", M.adjoint()),
    (r"\begin{pmatrix}\imaginaryunit&2\\3&4\end{pmatrix}^{\ast}", M.adjoint()),
    (r"\begin{pmatrix}\imaginaryunit&2\\3&4\end{pmatrix}^{**}", M),
    (r"\begin{pmatrix}\imaginaryunit&2\\3&4\end{pmatrix}^{\prime}", M.T),
    (r"\begin{pmatrix}a & b \\ x & y\end{pmatrix}^\mathit{T}", sp.Matrix([[A, X], [B, Y]])),
    (r"\adjugate(\begin{pmatrix}1 & 2 \\ 3 & 4\end{pmatrix})", sp.Matrix([[4, -2], [-3, 1]])),
    (r"\trace(\begin{pmatrix}1 & 2 \\ 3 & 4\end{pmatrix})", sp.Trace(sp.Matrix([[1, 2], [3, 4]]))),
    (r"x^*", sp.Symbol("x_star")),  # on a name, ^* is still part of the name
    (r"\begin{pmatrix}1 & 2 \\ 3 & 4\end{pmatrix}'", sp.Matrix([[1, 3], [2, 4]])),
]


@pytest.mark.parametrize("text,expected", MATRIX_AND_MISC, ids=[t for t, _ in MATRIX_AND_MISC])
def test_matrix_marks_and_misc(text, expected):
    assert _plain(parse_latex(text)) == expected


MORE_REFUSALS = [
    (r"\lim_{\pi \to 3} a", "variable of a limit"),
    (r"\int_0 x dx", "one bound"),
    (r"\int (x + a)", "without its differential"),
    (r"\adjugate(x)", "explicit matrix"),
]


@pytest.mark.parametrize("text,match", MORE_REFUSALS, ids=[t for t, _ in MORE_REFUSALS])
def test_more_refusals(text, match):
    with pytest.raises(ParseError, match=match):
        parse_latex(text)


@pytest.mark.parametrize(
    "text,expected",
    [(r"\$1,000.00", sp.Integer(1000)), (r"\$543.21", sp.Rational(54321, 100)), (r"\$5 + \$3", 8)],
)
def test_amounts(text, expected):
    assert parse_latex(text) == expected


@pytest.mark.parametrize("text", [r"\$", r"\$1,00", r"\$\infty"])
def test_amount_refusals(text):
    with pytest.raises(ParseError, match=r"unknown command \\\$"):
        parse_latex(text)


def test_one_sided_limit_survives_a_restart():
    # (a - b)^T makes the parse restart with a and b vectors; the side of the limit must stay
    # (evaluated, from the right 1/h tends to oo; two-sided it is zoo). The 1 x 1 product is a
    # number, so the sum is a scalar sum and the limit stays unevaluated until asked.
    got = parse_latex(r"\lim_{h \to 0^+} \frac{1}{h} + (a - b)^T (a - b)")
    got = got.xreplace({lim: lim.doit() for lim in got.atoms(sp.Limit)})
    assert got.has(sp.oo) and not got.has(sp.zoo), got


def test_frac_digits_survive_a_restart():
    # \frac12 splits the token 12; after (a - b)^T restarts the parse it must still be 1/2
    got = parse_latex(r"\frac12 + (a - b)^T (a - b)")
    assert sp.Rational(1, 2) in got.args, got
    try:
        other = parse_latex(r"\frac12 x + (a - b)^T (a - b)")
    except ParseError:
        return  # refused: fine; 2/x (what the shared token list gave) is not
    assert not other.has(1 / sp.Symbol("x", real=True)), other
