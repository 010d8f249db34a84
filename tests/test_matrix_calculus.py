"""Matrix calculus: gradients in vector and matrix form, each checked by finite differences.

Every case is checked twice: against its closed form (as SymPy prints it), and by
``derive`` itself against central differences of the original formula at two seeded sizes
(``Derivation.proofs``). Refusals must name what they refuse; the teeth tests plant a wrong
rule and assert that ``derive`` refuses to return it.
"""

from __future__ import annotations

import numpy as np
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
    (r"\operatorname{tr}(X^T A X)", M, "X", "(A + A.T)*X"),
    (r"\log\det X", M, "X", "X.T**(-1)"),
    (
        r"\|X\mathbf{w} - \mathbf{y}\|",
        {},
        "w",
        "1/sqrt(Trace((w.T*X.T - y.T)*(X*w - y)))*X.T*(X*w - y)",
    ),
    (r"\det X", M, "X", "Determinant(X)*X.T**(-1)"),
    (r"\log\det X - \operatorname{tr}(AX)", M, "X", "X.T**(-1) - A.T"),
    (r"\operatorname{tr}(X)^2", M, "X", "(2*Trace(X))*I"),
    (r"\|X B - C\|_F^2", M, "B", "2*X.T*(-C + X*B)"),
    (r"\mathbf{w}^T A \mathbf{w}", M, "w", "(A + A.T)*w"),
    (r"\|W\mathbf{x}-\mathbf{t}\|^2", {}, "W", "2*(W*x - t)*x.T"),
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


K = {n: "matrix" for n in "ABCDWX"} | {n: "vector" for n in "abcdx"}


def T(s):  # noqa: N802  (the trace, as the Cookbook writes it)
    return r"\operatorname{tr}(" + s + ")"


inv = sp.Inverse
# The Matrix Cookbook identities of SymPy's own test_derivatives.py (the number is the
# Cookbook's), written in LaTeX: (id, latex, wrt, the Cookbook's closed form)
CASES = [
    ("99", T("X"), "X", lambda M: sp.Identity(M["X"].shape[0])),
    ("100", T("XA"), "X", lambda M: M["A"].T),
    ("101", T("AXB"), "X", lambda M: M["A"].T * M["B"].T),
    ("102", T("AX^TB"), "X", lambda M: M["B"] * M["A"]),
    ("103", T("X^TA"), "X", lambda M: M["A"]),
    ("104", T("AX^T"), "X", lambda M: M["A"]),
    ("106", T("X^2"), "X", lambda M: 2 * M["X"].T),
    ("107", T("X^2B"), "X", lambda M: (M["X"] * M["B"] + M["B"] * M["X"]).T),
    ("108", T("X^TBX"), "X", lambda M: M["B"] * M["X"] + M["B"].T * M["X"]),
    ("109", T("BXX^T"), "X", lambda M: M["B"] * M["X"] + M["B"].T * M["X"]),
    ("110", T("XX^TB"), "X", lambda M: M["B"] * M["X"] + M["B"].T * M["X"]),
    ("111", T("XBX^T"), "X", lambda M: M["X"] * M["B"].T + M["X"] * M["B"]),
    ("112", T("BX^TX"), "X", lambda M: M["X"] * M["B"].T + M["X"] * M["B"]),
    ("113", T("X^TXB"), "X", lambda M: M["X"] * M["B"].T + M["X"] * M["B"]),
    (
        "114",
        T("AXBX"),
        "X",
        lambda M: M["A"].T * M["X"].T * M["B"].T + M["B"].T * M["X"].T * M["A"].T,
    ),
    ("115a", T("X^TX"), "X", lambda M: 2 * M["X"]),
    ("115b", T("XX^T"), "X", lambda M: 2 * M["X"]),
    (
        "116",
        T("B^TX^TCXB"),
        "X",
        lambda M: M["C"].T * M["X"] * M["B"] * M["B"].T + M["C"] * M["X"] * M["B"] * M["B"].T,
    ),
    ("117", T("X^TBXC"), "X", lambda M: M["B"] * M["X"] * M["C"] + M["B"].T * M["X"] * M["C"].T),
    (
        "118",
        T("AXBX^TC"),
        "X",
        lambda M: M["A"].T * M["C"].T * M["X"] * M["B"].T + M["C"] * M["A"] * M["X"] * M["B"],
    ),
    (
        "119",
        T("(AXB+C)(AXB+C)^T"),
        "X",
        lambda M: 2 * M["A"].T * (M["A"] * M["X"] * M["B"] + M["C"]) * M["B"].T,
    ),
    ("124", T("AX^{-1}B"), "X", lambda M: -inv(M["X"]).T * M["A"].T * M["B"].T * inv(M["X"]).T),
    ("64", T("(X+A)^{-1}"), "X", lambda M: -((inv(M["X"] + M["A"]).T) ** 2)),
    ("69a", r"\mathbf{x}^T\mathbf{a}", "x", lambda M: M["a"]),
    ("69b", r"\mathbf{a}^T\mathbf{x}", "x", lambda M: M["a"]),
    ("70", r"\mathbf{a}^T X\mathbf{b}", "X", lambda M: M["a"] * M["b"].T),
    ("71", r"\mathbf{a}^T X^T\mathbf{b}", "X", lambda M: M["b"] * M["a"].T),
    ("72", r"\mathbf{a}^T X\mathbf{a}", "X", lambda M: M["a"] * M["a"].T),
    (
        "77",
        r"\mathbf{b}^T X^T X\mathbf{c}",
        "X",
        lambda M: M["X"] * M["b"] * M["c"].T + M["X"] * M["c"] * M["b"].T,
    ),
    ("81", r"\mathbf{x}^T B\mathbf{x}", "x", lambda M: M["B"] * M["x"] + M["B"].T * M["x"]),
    (
        "83",
        r"(X\mathbf{b}+\mathbf{c})^T D(X\mathbf{b}+\mathbf{c})",
        "X",
        lambda M: (
            M["D"] * (M["X"] * M["b"] + M["c"]) * M["b"].T
            + M["D"].T * (M["X"] * M["b"] + M["c"]) * M["b"].T
        ),
    ),
    (
        "61",
        r"\mathbf{a}^T X^{-1}\mathbf{b}",
        "X",
        lambda M: -inv(M["X"]).T * M["a"] * M["b"].T * inv(M["X"]).T,
    ),
    ("norm2", r"\|\mathbf{x}\|_2^2", "x", lambda M: 2 * M["x"]),
]


def _numeric(expr, sizes, values):
    e = expr.xreplace(sizes)
    e = e.xreplace({M: values[M.name] for M in e.atoms(sp.MatrixSymbol)})
    return np.array(sp.Matrix(e.doit()).evalf(), dtype=float)


def _closed_form_agrees(gradient, expected, seed=1):
    """Both sides at random values, at a concrete size (3, 4, ...) for every size symbol."""
    rng = np.random.default_rng(seed)
    dims = sorted(
        {
            s
            for e in (gradient, expected)
            for s in e.free_symbols | {x for M in e.atoms(sp.MatrixSymbol) for x in M.shape}
            if isinstance(s, sp.Symbol) and s.is_integer
        },
        key=str,
    )
    sizes = {d: 3 + n for n, d in enumerate(dims)}
    values = {}
    for M in gradient.atoms(sp.MatrixSymbol) | expected.atoms(sp.MatrixSymbol):
        r, c = (int(sp.sympify(x).xreplace(sizes)) for x in M.shape)
        values[M.name] = sp.ImmutableMatrix(np.eye(r, c) * 2 + 0.3 * rng.standard_normal((r, c)))
    return np.allclose(_numeric(gradient, sizes, values), _numeric(expected, sizes, values))


@pytest.mark.parametrize(("cid", "latex", "wrt", "closed"), CASES, ids=[c[0] for c in CASES])
def test_matrix_cookbook(cid, latex, wrt, closed):
    from symml.derivation import subject_of

    e = parse_latex(latex, symbols=K)
    d = derive(e, wrt, steps=False)
    assert d.gradient is not None, d.notes
    mats = {M.name: M for M in subject_of(e).matrices} | {
        M.name: M for M in d.gradient.atoms(sp.MatrixSymbol)
    }
    assert d.gradient.shape == mats[wrt].shape
    assert _closed_form_agrees(d.gradient, closed(mats)), (d.gradient, closed(mats))
    assert any(n.startswith("finite differences") and p.ok for n, p in d.proofs.items())


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
    # two routes: finite differences at two sizes, and the entries written out, symbolically
    assert d.proofs["finite differences (gradient)"].ok
    assert d.proofs["symbolic (gradient)"].ok
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
        # SymPy 1.14 says d/dX log det(X^T X) = 0: the finite differences refuse it
        (
            r"\log\det(X^T X)",
            "X",
            "failed its finite-difference check.*entry X\\[1, 1\\]: the derivative gives 0,",
        ),
        (r"\det(X^{-1})", "X", "not a matrix of X's shape"),
        (r"\|X\|_2", "X", "no derivative of Norm of a matrix"),
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
    monkeypatch.setattr(
        gradient, "tidy", lambda G: right(G).T if G.shape[0] == G.shape[1] else 3 * right(G)
    )
    with pytest.raises(DerivationError, match="finite-difference check"):
        derive(parse_latex(r"\|X\mathbf{w} - \mathbf{y}\|^2"), "w", steps=False)
    with pytest.raises(DerivationError, match="finite-difference check"):
        derive(parse_latex(r"\operatorname{tr}(A X)", symbols=M), "X", steps=False)


def test_cli_derive_declares_kinds(capsys):
    from symml.cli import main

    with pytest.raises(SystemExit) as exit_:
        main(
            [
                "derive",
                "--latex",
                r"\operatorname{tr}(AX)",
                "-s",
                "A=matrix",
                "-s",
                "X=matrix",
                "--wrt",
                "X",
            ]
        )
    out = capsys.readouterr().out
    assert exit_.value.code == 0
    assert "A^{T}" in out


def test_teeth_the_cli_prints_no_refuted_derivative(monkeypatch, capsys):
    """A wrong rule gives exit 2 and one line naming the point, never exit 0 and an answer."""
    import symml.derivation._derive as pipeline
    from symml.cli import main

    right = pipeline._differentiate
    monkeypatch.setattr(pipeline, "_differentiate", lambda *a: right(*a) + 1)
    with pytest.raises(SystemExit) as exit_:
        main(["derive", "--latex", r"\|X\mathbf{w} - \mathbf{y}\|^2", "--wrt", "w_j"])
    captured = capsys.readouterr()
    assert exit_.value.code == 2
    assert captured.out == ""
    assert captured.err.startswith("error:") and "central differences" in captured.err
    assert "seed 0" in captured.err and "sizes" in captured.err


def test_a_sum_over_samples_and_its_matrix_form_are_said_to_agree():
    d = derive("logistic_regression_cost", "w", steps=False)
    assert str(d.gradient) == "1/m*X.T*(Lambda(_u, sigmoid(_u)).(b*1 + X*w) - y)"
    assert any("the sum and the matrix form are the same" in n for n in d.notes)
    assert d.to_json()["gradient"]["latex"] == (
        r"\frac{1}{m} X^{T} \left(\sigma\left(X w + b \mathbf{1}\right) - y\right)"
    )


def test_a_sum_inside_a_product_prints_in_textbook_order():
    e = parse_latex(r"\|X B - C\|_F^2", symbols=M)
    assert derive(e, "B", steps=False).to_json()["textbook"]["latex"] == (
        r"2 X^{T} \left(X B - C\right)"
    )


def test_a_norm_prints_as_a_norm():
    d = derive(parse_latex(r"\|X\mathbf{w} - \mathbf{y}\|"), "w", steps=False)
    assert d.to_json()["gradient"]["latex"] == (
        r"\frac{1}{\left\|X w - y\right\|} X^{T} \left(X w - y\right)"
    )


def test_norm_of_a_scalar_expression_is_refused_by_name():
    with pytest.raises(DerivationError, match=r"the norm Norm\(x - y\) is of a scalar"):
        derive(parse_latex(r"\|x - y\|^2"), "x", steps=False)


def test_derive_refuses_a_variable_that_does_not_occur():
    with pytest.raises(DerivationError, match="does not occur"):
        derive(parse_latex(r"\|X\mathbf{w} - \mathbf{y}\|^2"), "v", steps=False)


def test_the_sample_count_is_not_taken_for_the_vector_length():
    """The parser gives w its own length n, distinct from the n of the sum: printed as d."""
    d = derive(parse_latex(r"\sum_{i=1}^{n} (\mathbf{w}^T\mathbf{x}_i - y_i)^2"), "w", steps=False)
    (inner,) = [s for s in d.input.atoms(sp.Sum) if s.limits[0][0].name == "j"]
    (outer,) = [s for s in d.input.atoms(sp.Sum) if s.limits[0][0].name == "i"]
    assert str(inner.limits[0][2]) == "d" and str(outer.limits[0][2]) == "n"
    assert str(d.gradient) == "2*X.T*(X*w - y)"
