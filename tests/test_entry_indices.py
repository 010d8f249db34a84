"""Entries written out by index: x_1 beside a summed x_i, a sample x_i after w^T, sums over
samples of dot products. Each of these was wrong before, with exit 0 or a refutation."""

from __future__ import annotations

import json

import pytest
import sympy as sp

from symml.derivation import derive, entries_form
from symml.derivation._soundness import same_at_one_size
from symml.documents._sentence import lead_word
from symml.errors import DerivationError
from symml.latex import parse_latex
from symml.symbols import literal_entries
from symml.verification import equiv


@pytest.fixture
def run():
    from click.testing import CliRunner

    from symml.cli import app

    return lambda *args: CliRunner().invoke(app, list(args))


def _at_size(expr: sp.Expr, n: int) -> sp.Expr:
    """``expr`` with every size symbol ``n`` and its sums written out."""
    sizes = {s: n for s in expr.free_symbols if s.name in ("m", "n", "d")}
    return sp.expand(expr.xreplace(sizes).doit())


def test_the_derivative_of_a_sum_of_dot_products_keeps_the_samples_apart():
    # was m x_{j,j}, "checked by finite differences": the dot product's index was renamed
    # to the samples' i, and the two sums ran together
    d = derive(parse_latex(r"\sum_i w^T x_i"), "w", steps=False)
    j = d.wrt.indices[0]
    got = _at_size(d.simplified, 3)
    x = sp.IndexedBase("x")
    assert got == sum(x[i, j] for i in (1, 2, 3))
    assert d.textbook == d.simplified


def test_a_sample_after_w_transpose_is_read_from_its_first_feature():
    # was x_{i,j-1}: the row's 0-based index from the matrix product put in a 1-based entry
    expr = parse_latex(r"w^T x_i")
    entry = next(iter(expr.atoms(sp.Indexed)))
    k = next(iter(expr.atoms(sp.Sum))).limits[0][0]
    assert entry.indices[1] == k + 1
    d = derive(expr, "w", steps=False)
    (entry,) = d.simplified.atoms(sp.Indexed)
    assert entry.indices[1] == d.wrt.indices[0]


def test_the_logistic_loss_over_samples_differentiates_by_the_same_feature():
    d = derive(parse_latex(r"\frac{1}{m}\sum_i \log(1+e^{-y_i w^T x_i})"), "w", steps=False)
    j = d.wrt.indices[0]
    outside = [e for e in d.simplified.atoms(sp.Indexed) if e.base.label == sp.Symbol("x")]
    assert any(e.indices[1] == j for e in outside)
    assert all(not (e.indices[1] - j).is_number or e.indices[1] == j for e in outside)


def test_nested_sums_with_a_bound_that_uses_the_outer_index_are_renamed_together():
    expr = parse_latex(r"\sum_{i=1}^n \sum_{l=1}^{i} w^T x_i")
    d = derive(expr, "w", steps=False)
    x, j = sp.IndexedBase("x"), d.wrt.indices[0]
    # sum over i of i * x[i, j]: sample i is counted i times
    assert _at_size(d.simplified, 3) == x[1, j] + 2 * x[2, j] + 3 * x[3, j]


def test_the_entry_form_is_checked_against_the_formula_it_rewrites():
    w, x = sp.IndexedBase("w"), sp.IndexedBase("x")
    i, k, n = sp.symbols("i k n", integer=True)
    n = sp.Symbol("n", integer=True, positive=True)
    right = sp.Sum(w[k] * x[i, k], (k, 1, n), (i, 1, n))
    run_together = sp.Sum(w[k] * x[k, k], (k, 1, n), (i, 1, n))
    assert same_at_one_size(right, right) is True
    assert same_at_one_size(right, run_together) is False
    assert same_at_one_size(sp.Function("f")(x[1]), x[1]) is None


def test_a_wrong_rewrite_is_refused_not_differentiated(monkeypatch):
    from sympy.matrices.expressions.matexpr import MatrixElement

    import symml.derivation._entries as entries

    def swap(e, pool, depth):  # a rewrite that loses an index: X[i, k] -> X[k, k]
        return e.replace(
            lambda a: isinstance(a, MatrixElement) and a.parent.shape[1] != 1,
            lambda a: a.parent[a.j, a.j],
        )

    monkeypatch.setattr(entries, "_canonical_sums", swap)
    expr = parse_latex(r"\|Xw - y\|^2", symbols={"X": "matrix", "w": "vector", "y": "vector"})
    with pytest.raises(DerivationError, match="entry form .* does not equal it"):
        entries_form(expr)


# --------------------------------------------------------------- x_1 beside a summed x_i


def test_numbered_names_beside_a_summed_vector_are_its_entries():
    x, i = sp.IndexedBase("x"), sp.Symbol("i", integer=True)
    a, b = literal_entries([sp.Sum(x[i], (i, 1, 2)), sp.Symbol("x_1") + sp.Symbol("x_{2}")])
    assert b == x[1] + x[2]
    # no indexed x: x_1 stays a scalar of its own
    assert literal_entries([sp.Symbol("x_1")]) == [sp.Symbol("x_1")]
    # a matrix W indexed twice: W_{12} could be W[1, 2] or W[12], and is left alone
    W = sp.IndexedBase("W")
    assert literal_entries([W[i, i], sp.Symbol("W_12")])[1] == sp.Symbol("W_12")


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (r"\sum_{i=1}^2 x_i", "x_1 + x_2", True),
        (r"\sum_{i=1}^3 x_i", "x_1 + x_2", False),
        (r"\sum_{i=0}^n w_i x_i", r"w_0 x_0 + \sum_{i=1}^n w_i x_i", True),
        (r"\sum_{i=0}^n w_i x_i", r"w_0 x_0 + \sum_{i=2}^n w_i x_i", False),
        ("w_{ij}", "w_{ji}", False),
    ],
)
def test_equiv_on_entries(a, b, expected):
    result = equiv(a, b)
    assert result["equivalent"] is expected, result


def test_equiv_on_a_sum_from_zero_says_what_differs(run):
    res = run("equiv", r"\sum_{i=0}^n w_i x_i", r"w_0 x_0 + \sum_{i=2}^n w_i x_i")
    assert res.exit_code == 1
    assert res.stdout.startswith("not equivalent: A and B differ: seed 0: at {n=")
    assert "+0j" not in res.stdout and "IndexError" not in res.stdout


def test_check_reads_written_out_entries_of_a_summed_vector(run, tmp_path):
    doc = tmp_path / "sums.md"
    doc.write_text(
        "# Sums\n\nTwo entries: $\\sum_{i=1}^2 x_i = x_1 + x_2$.\n\n"
        "A slip: $\\sum_{i=1}^3 x_i = x_1 + x_2$.\n\n"
        "A bias: $\\sum_{i=0}^n w_i x_i = w_0 x_0 + \\sum_{i=1}^n w_i x_i$.\n"
    )
    res = run("check", str(doc), "--no-cache", "--format", "json")
    assert res.exit_code == 1
    status = {r["line"]: r["status"] for r in json.loads(res.stdout)}
    assert status == {3: "verified", 5: "refuted", 7: "verified"}


# --------------------------------------------------------------- "For least squares, J = ..."


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("For least squares,", None),
        ("For the logistic model:", None),
        ("For [math],", ("condition", "for")),
        ("The identity holds for", ("condition", "for")),
        ("This holds for all", ("condition", "for")),
        ("For a square matrix A, v and lambda satisfy:", ("condition", "satisfy")),
    ],
)
def test_a_topic_after_for_is_not_a_condition(sentence, expected):
    assert lead_word(sentence) == expected


def test_a_definition_after_a_topic_is_used_by_the_claims_that_follow(run, tmp_path):
    doc = tmp_path / "ls.md"
    doc.write_text(
        "# Least squares\n\nFor least squares, $J(w) = (w - 3)^2$.\n\n"
        "Its derivative is $\\frac{dJ}{dw} = 2(w - 3)$.\n\n"
        "A slip: $\\frac{dJ}{dw} = 2(w + 3)$.\n"
    )
    res = run("check", str(doc), "--no-cache", "--format", "json")
    records = {r["line"]: r for r in json.loads(res.stdout)}
    assert "definition" in records[3]["message"]
    assert records[5]["status"] == "verified"
    assert records[7]["status"] == "refuted"
    assert res.exit_code == 1
