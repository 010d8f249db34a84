"""Matrix calculus: gradients in vector and matrix form, each checked by finite differences.

Every case is checked twice: against its closed form (as SymPy prints it), and by
``derive`` itself against central differences of the original formula at two seeded sizes
(``Derivation.proofs``). Refusals must name what they refuse; the teeth tests plant a wrong
rule and assert that ``derive`` refuses to return it.
"""

from __future__ import annotations

import pytest
import sympy as sp

from symml.derivation import derive
from symml.errors import DerivationError
from symml.latex import parse_latex

M = {"X": "matrix", "A": "matrix", "B": "matrix", "C": "matrix"}

# (latex, declared kinds, wrt, the gradient as SymPy prints it)
CASES = [
    (r"\|X\mathbf{w} - \mathbf{y}\|^2", {}, "w", "2*X.T*(X*w - y)"),
    (r"(X\mathbf{w}-\mathbf{y})^T(X\mathbf{w}-\mathbf{y})", {}, "w", "2*X.T*(X*w - y)"),
    (
        r"\frac{1}{n}\|X\mathbf{w} - \mathbf{y}\|^2 + \lambda \|\mathbf{w}\|^2",
        {},
        "w",
        "(2*lambda)*w + (2/n)*X.T*(X*w - y)",
    ),
    (r"\operatorname{tr}(A X)", M, "X", "A.T"),
    (r"\operatorname{tr}(X^T X)", M, "X", "2*X"),
    (r"\operatorname{tr}(X^T A X)", M, "X", "A*X + A.T*X"),
    (r"\operatorname{tr}(A X B)", M, "X", "A.T*B.T"),
    (r"\operatorname{tr}(X^{-1})", M, "X", "-X.T**(-2)"),
]


@pytest.mark.parametrize(("latex", "kinds", "wrt", "expected"), CASES, ids=[c[0] for c in CASES])
def test_gradient_in_matrix_form(latex, kinds, wrt, expected):
    d = derive(parse_latex(latex, symbols=kinds or None), wrt, steps=False)
    assert str(d.gradient) == expected
    checks = [p for name, p in d.proofs.items() if name.startswith("finite differences")]
    assert checks and all(p.ok for p in checks), d.proofs
    assert "two sizes" in checks[-1].detail


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("least_squares_objective", "2*X.T*(X*w - y)"),
        ("ridge_objective", "(2*alpha)*w + 2*X.T*(X*w - y)"),
    ],
)
def test_registry_matrix_gradients(name, expected):
    d = derive(name, "w", steps=False)
    assert str(d.gradient) == expected
    # the component form stays, 1-based over named sizes (not dim_y_rows)
    assert not any(str(s).startswith("dim_") for s in d.textbook.free_symbols)
    assert all(lim[1] == 1 for s in d.textbook.atoms(sp.Sum) for lim in s.limits)


def test_the_data_term_is_differentiated_through_the_vector():
    """Today's silent wrong answer: 2 lambda w_j alone, the data term lost."""
    e = parse_latex(r"\frac{1}{n}\|X\mathbf{w} - \mathbf{y}\|^2 + \lambda \|\mathbf{w}\|^2")
    d = derive(e, "w_j", steps=False)
    assert d.textbook.has(sp.IndexedBase("X"))
    assert d.textbook.has(sp.Symbol("lambda", real=True))


@pytest.mark.parametrize(
    ("latex", "wrt", "match"),
    [
        # SymPy 1.14 says d/dX log det X = 0: the finite differences refuse it
        (r"\log\det X", "X", "failed its finite-difference check.*entry X\\[1, 1\\]"),
        (r"\det X", "X", "not a matrix of X's shape"),
        (r"\|X B - C\|_F^2", "B", "could not be checked.*Norm"),
    ],
)
def test_refusals_name_the_construct(latex, wrt, match):
    with pytest.raises(DerivationError, match=match):
        derive(parse_latex(latex, symbols=M), wrt, steps=False)


def test_teeth_a_wrong_differentiation_rule_is_refused(monkeypatch):
    import symml.derivation._derive as pipeline

    right = pipeline._differentiate
    monkeypatch.setattr(pipeline, "_differentiate", lambda *a: 2 * right(*a))
    with pytest.raises(DerivationError, match="finite-difference check.*central differences"):
        derive(parse_latex(r"\|X\mathbf{w} - \mathbf{y}\|^2"), "w_j", steps=False)


def test_teeth_a_wrong_matrix_form_is_refused(monkeypatch):
    import symml.derivation._gradient as gradient

    right = gradient.tidy
    monkeypatch.setattr(gradient, "tidy", lambda G: right(G).T if G.shape[0] == G.shape[1] else 3 * right(G))
    with pytest.raises(DerivationError, match="finite-difference check"):
        derive(parse_latex(r"\|X\mathbf{w} - \mathbf{y}\|^2"), "w", steps=False)
    with pytest.raises(DerivationError, match="finite-difference check"):
        derive(parse_latex(r"\operatorname{tr}(A X)", symbols=M), "X", steps=False)


def test_cli_derive_declares_kinds(capsys):
    from symml.cli import main

    with pytest.raises(SystemExit) as exit_:
        main(["derive", "--latex", r"\operatorname{tr}(AX)", "-s", "A=matrix", "-s", "X=matrix",
              "--wrt", "X"])
    out = capsys.readouterr().out
    assert exit_.value.code == 0
    assert "A^{T}" in out
