"""Gradients claimed in matrix form below the function they differentiate, in a document.

``\\nabla_w J(w) = \\frac{1}{m} X (Xw - y)`` (a transpose missing) was "an equation in
unknowns" and the right one "SymPy cannot compare the sides": neither was checked."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from symml.cli import app
from symml.verification import equiv

NOTES = r"""# Least squares

For least squares, $J(w) = \frac{1}{2m}\|Xw - y\|^2$.

Its gradient is $\nabla_w J(w) = \frac{1}{m} X^T (Xw - y)$.

A slip: $\nabla_w J(w) = \frac{1}{m} X (Xw - y)$.

# Ridge

Let $L(\theta) = \|X\theta - y\|^2 + \lambda \|\theta\|^2$.

Then $\nabla_\theta L = 2X^T(X\theta - y) + 2\lambda\theta$.

A slip: $\nabla_\theta L = 2X^T(X\theta - y) + \lambda\theta$.

# Sum form

The loss $K(w) = \frac{1}{2m}\sum_{i=1}^m (w^T x_i - y_i)^2$ has gradient
$\nabla_w K = \frac{1}{m} X^T (Xw - y)$.
"""


@pytest.fixture(scope="module")
def records(tmp_path_factory: pytest.TempPathFactory) -> dict:
    doc: Path = tmp_path_factory.mktemp("gradients") / "notes.md"
    doc.write_text(NOTES, encoding="utf-8")
    result = CliRunner().invoke(app, ["check", str(doc), "--no-cache", "--format", "json"])
    assert result.exit_code == 1, result.stderr
    out: dict = {}
    for r in json.loads(result.stdout):
        out.setdefault(r["line"], []).append(r)
    return out


def test_the_right_matrix_gradient_is_verified(records: dict) -> None:
    [ok] = records[5]
    assert ok["status"] == "verified", ok
    assert ok["message"].startswith("gradient of J by w holds (the matrix form \\frac{1}{m} X^{T}")
    assert "checked by finite differences of J" in ok["message"]
    [ridge] = records[13]
    assert ridge["status"] == "verified", ridge


def test_a_missing_transpose_is_refuted_with_the_gradient_and_an_entry(records: dict) -> None:
    [slip] = records[7]
    assert slip["status"] == "refuted", slip
    message = slip["message"]
    assert message.startswith(
        "gradient of J by w: the right side differs from \\frac{1}{m} X^{T} \\left(X w - y\\right)"
    )
    assert "at sampled data (seed 0), entry " in message


def test_a_missing_factor_is_refuted(records: dict) -> None:
    [slip] = records[15]
    assert slip["status"] == "refuted", slip
    assert "2 \\lambda \\theta" in slip["message"]


def test_a_matrix_the_definition_does_not_name_is_not_guessed(records: dict) -> None:
    # K is a sum over samples x_i; the claim's X (their stack) is not tied to it in the text
    [definition], [claim] = records[19], records[20]
    assert definition["message"].startswith("definition of K(w)")
    assert claim["status"] == "unchecked"
    assert "the right side uses X" in claim["message"]


def test_equiv_refutes_matrix_expressions_by_the_entry_that_differs() -> None:
    kinds = {"X": "matrix[n,n]", "w": "vector[n]", "y": "vector[n]"}
    result = equiv(r"\frac{1}{m} X^T (Xw - y)", r"\frac{1}{m} X (Xw - y)", symbols=kinds)
    assert result["equivalent"] is False
    cx = result["counterexample"]
    assert len(cx["entry"]) == 2 and cx["entry"][1] == 1
    assert abs(cx["a"] - cx["b"]) > 1e-6 * (1 + abs(cx["b"]))
    same = equiv(r"\frac{1}{m} X^T (Xw - y)", r"\frac{1}{m}(X^T X w - X^T y)", symbols=kinds)
    assert same["equivalent"] is True


QUADRATIC = r"""# Quadratic forms

Let $f(x) = \frac{1}{2} x^T A x - b^T x$ with $A$ symmetric.

Then $\nabla_x f(x) = A x - b$.

In general $\nabla_x f(x) = \frac{1}{2}(A + A^T) x - b$.

A slip: $\nabla_x f(x) = 2 A x - b$.
"""


def test_a_gradient_that_needs_a_symmetric_matrix_is_not_refuted(tmp_path: Path) -> None:
    doc = tmp_path / "quadratic.md"
    doc.write_text(QUADRATIC, encoding="utf-8")
    result = CliRunner().invoke(app, ["check", str(doc), "--no-cache", "--format", "json"])
    by_line = {r["line"]: r for r in json.loads(result.stdout) if r["latex"].startswith("\\nabla")}
    symmetric, general, slip = by_line[5], by_line[7], by_line[9]
    assert symmetric["status"] == "unchecked"
    assert "not refuted: it holds if A is symmetric" in symmetric["message"]
    assert general["status"] == "verified"
    # wrong for a symmetric A too: refuted (X in ||Xw - y|| is not square, so it never gets
    # the benefit of the doubt: see test_a_missing_transpose_is_refuted...)
    assert slip["status"] == "refuted"
    assert result.exit_code == 1


def test_a_gradient_by_a_scalar_is_the_derivative(tmp_path: Path) -> None:
    doc = tmp_path / "scalar.md"
    doc.write_text(
        "Let $J(w) = (w - 3)^2$. Then $\\nabla_w J = 2(w - 3)$.\n\n"
        "Let $f(x, y) = x^2 y$. Then $\\nabla_x f = 2xy$.\n\n"
        "A slip: let $g(w) = w^3$; then $\\nabla_w g = 3w$.\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(app, ["check", str(doc), "--no-cache", "--format", "json"])
    claims = [r for r in json.loads(result.stdout) if r["latex"].startswith("\\nabla")]
    assert [r["status"] for r in claims] == ["verified", "verified", "refuted"], claims
    assert claims[2]["message"].startswith("gradient of g by w: the right side differs")


def test_the_equiv_line_shows_a_sampled_matrix_by_its_shape() -> None:
    args = ["equiv", r"\frac{1}{m} X^T (Xw - y)", r"\frac{1}{m} X (Xw - y)"]
    args += ["-s", "X=matrix[n,n]", "-s", "w=vector[n]", "-s", "y=vector[n]"]
    line = CliRunner().invoke(app, args)
    assert line.exit_code == 1
    assert line.stdout.startswith("not equivalent: at X = <")
    assert "array; --json has it>" in line.stdout and "entry (" in line.stdout
    assert len(line.stdout.splitlines()) == 1
    data = CliRunner().invoke(app, [*args, "--json"])
    assert len(json.loads(data.stdout)["counterexample"]["point"]["X"]) > 1  # all values there
