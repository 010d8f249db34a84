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
from symml.latex import parse_latex
from symml.latex._lex import tokenize

x, y, m, a, b, c, w = (sp.Symbol(n, real=True) for n in ("x", "y", "m", "a", "b", "c", "w"))
half = sp.Rational(1, 2)
D = sp.Derivative


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
