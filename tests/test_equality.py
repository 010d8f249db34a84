"""symml.equality: one prover (structural, symbolic, seeded sampling), one tolerance table."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

from symml.equality import (
    TOLERANCES,
    Method,
    Proof,
    Purpose,
    Tolerance,
    close,
    draw,
    evaluate_point,
    prove_equal,
    prove_numeric,
    prove_symbolic,
    tolerance_for,
)
from symml.errors import SymmlError
from symml.functions import relu, sigmoid, softplus

x = sp.Symbol("x", real=True)
y = sp.Symbol("y", real=True)
p = sp.Symbol("p", positive=True)
i, n = sp.symbols("i n", integer=True, positive=True)
w = sp.IndexedBase("w")
f = sp.Function("f")


@pytest.mark.parametrize(
    ("a", "b", "method"),
    [
        pytest.param(x + x, 2 * x, Method.STRUCTURAL, id="structural"),
        pytest.param(sp.sin(x) ** 2, 1 - sp.cos(x) ** 2, Method.SYMBOLIC, id="trig"),
        pytest.param(sp.diff(sigmoid(x), x), sigmoid(x) * (1 - sigmoid(x)), None, id="sigmoid"),
        pytest.param(sp.diff(softplus(x), x), sigmoid(x), None, id="softplus"),
        pytest.param(sp.Sum(2 * w[i], (i, 1, n)), 2 * sp.Sum(w[i], (i, 1, n)), None, id="sum"),
        pytest.param(f(x) * 2, f(x) + f(x), Method.STRUCTURAL, id="undefined-function"),
    ],
)
def test_equal(a: sp.Expr, b: sp.Expr, method: Method | None) -> None:
    proof = prove_equal(a, b)
    assert proof.ok is True, proof.detail
    if method is not None:
        assert proof.method is method


@pytest.mark.parametrize(
    ("a", "b"),
    [
        pytest.param(sigmoid(x) * (1 + sigmoid(x)), sp.diff(sigmoid(x), x), id="sigmoid-sign"),
        pytest.param(sp.log(p) ** 2, 2 * sp.log(p), id="log-power"),
        pytest.param(sp.Sum(w[i] ** 2, (i, 1, n)), sp.Sum(w[i], (i, 1, n)) ** 2, id="sum-square"),
        pytest.param(f(x) ** 2, 2 * f(x), id="undefined-function"),
    ],
)
def test_unequal_reports_the_point(a: sp.Expr, b: sp.Expr) -> None:
    proof = prove_numeric(a, b, seed=3)
    assert proof.ok is False and proof.method is Method.NUMERIC
    assert proof.seed == 3 and "seed 3" in proof.detail
    assert proof.point and proof.got is not None and proof.expected is not None
    assert not proof.tolerance.allows(proof.got, proof.expected)
    # the point reported is the point the values came from
    point = {
        sp.Symbol(k, **s.assumptions0): v
        for k, v in proof.point
        for s in (a - b).free_symbols
        if str(s) == k
    }
    if point and not (a - b).atoms(sp.Sum, sp.core.function.AppliedUndef):
        assert complex(sp.N(a.xreplace(point), 30)) == pytest.approx(proof.got)


def test_seed_reproducibility() -> None:
    a, b = x**2 + y, x + y**2
    first, again, other = (prove_numeric(a, b, seed=s) for s in (7, 7, 8))
    assert first == again
    assert first.point != other.point
    rng1, rng2 = np.random.default_rng(5), np.random.default_rng(5)
    assert draw(a - b, rng1) == draw(a - b, rng2)


def test_shared_generator_continues_the_sequence() -> None:
    rng = np.random.default_rng(0)
    first = prove_numeric(x**2, x**3, rng=rng)
    second = prove_numeric(x**2, x**3, rng=rng)
    assert first.seed == second.seed == 0 and first.point != second.point


@pytest.mark.parametrize(
    ("purpose", "dtype", "rtol", "atol"),
    [
        (Purpose.DERIVATION, "float64", 1e-12, 1e-12),
        (Purpose.STEPS, "float64", 1e-9, 1e-9),
        (Purpose.DOCUMENTS, "float64", 1e-6, 1e-6),
        (Purpose.VERIFICATION, "float64", 1e-7, 1e-10),
        (Purpose.VERIFICATION, "float32", 1e-4, 1e-6),
        (Purpose.VERIFICATION, "float16", 1e-2, 1e-3),
    ],
)
def test_each_purpose_has_its_row(purpose: Purpose, dtype: str, rtol: float, atol: float) -> None:
    tol = tolerance_for(purpose, dtype)
    assert (tol.rtol, tol.atol) == (rtol, atol)
    assert tolerance_for(purpose.value, np.dtype(dtype)) is TOLERANCES[purpose, dtype]


def test_verification_finite_difference_rows() -> None:
    assert tolerance_for("verification", np.float64) == Tolerance(1e-7, 1e-10, 1e-5, 1e-8)
    assert tolerance_for("verification", np.float32) == Tolerance(1e-4, 1e-6, 2e-2, 1e-3)
    assert tolerance_for("verification", np.float16) == Tolerance(1e-2, 1e-3, 1e-1, 1e-2)


@pytest.mark.parametrize(
    ("overrides", "dtype", "expected"),
    [
        pytest.param({"rtol": 1e-3}, "float64", Tolerance(1e-3, 1e-10, 1e-5, 1e-8), id="field"),
        pytest.param(
            {"float32": {"atol": 0.5}}, "float32", Tolerance(1e-4, 0.5, 2e-2, 1e-3), id="by-dtype"
        ),
        pytest.param(
            {"float32": {"atol": 0.5}},
            "float64",
            Tolerance(1e-7, 1e-10, 1e-5, 1e-8),
            id="other-dtype",
        ),
        pytest.param(Tolerance(0.1), "float16", Tolerance(0.1), id="tolerance"),
    ],
)
def test_override_of_the_table(overrides, dtype: str, expected: Tolerance) -> None:
    assert tolerance_for(Purpose.VERIFICATION, dtype, overrides) == expected


def test_override_changes_the_verdict() -> None:
    a, b = x * (1 + 1e-8), x
    assert prove_numeric(a, b).ok is False
    loose = prove_numeric(a, b, tolerance={"rtol": 1e-6})
    assert loose.ok is True and loose.tolerance.rtol == 1e-6
    assert prove_numeric(a, b, purpose="documents").ok is True


@pytest.mark.parametrize(
    ("call", "match"),
    [
        pytest.param(lambda: tolerance_for("nonsense"), "valid: derivation, steps", id="purpose"),
        pytest.param(lambda: tolerance_for("steps", "float32"), "known: float64", id="dtype"),
        pytest.param(
            lambda: tolerance_for("steps", overrides={"rtl": 1}), "valid: rtol", id="field"
        ),
    ],
)
def test_unknown_names_list_the_valid_ones(call, match: str) -> None:
    with pytest.raises(SymmlError, match=match):
        call()


def test_undecided_records_why() -> None:
    # never finite: every point is skipped
    proof = prove_numeric(sp.log(-p), sp.log(-p), evaluate=lambda e, pt: complex("nan"))
    assert proof.ok is None and "no finite point" in proof.detail and proof.points == 0
    few = prove_numeric(x, x, points=6, attempts=2, minimum=3)
    assert few.ok is None and few.points == 2 and "3 needed" in few.detail
    # a symbol left without a value: the sides are no numbers, and no other point helps
    symbolic = prove_numeric(x + y, x + y, sample=lambda both, rng: {x: sp.Float(0.5)})
    assert symbolic.ok is None and "not numeric" in symbolic.detail


def test_custom_sampling_keeps_the_domain() -> None:
    seen = []

    def sample(_difference, rng) -> dict:
        point = {p: sp.Float(float(rng.uniform(2, 3)))}
        seen.append(float(point[p]))
        return point

    proof = prove_numeric(sp.sqrt(p**2), p, sample=sample, points=4)
    assert proof.ok is True and proof.points == 4 and all(2 <= v <= 3 for v in seen)


def test_prove_symbolic() -> None:
    assert prove_symbolic(sp.tanh(x), (sp.exp(2 * x) - 1) / (sp.exp(2 * x) + 1)) is True
    assert prove_symbolic(relu(x), sp.Max(x, 0)) is True
    assert prove_symbolic(x, x + 1) is None  # never False: symbolic alone cannot refute


def test_evaluate_point_gives_entries_the_same_value_on_both_sides() -> None:
    point = draw(w[1] + w[2], np.random.default_rng(0))
    assert evaluate_point(w[1], point) == evaluate_point(w[1] * 1, point)
    assert evaluate_point(w[1], point) != evaluate_point(w[2], point)


def test_close_and_allows() -> None:
    tol = Tolerance(rtol=1e-3, atol=1e-6)
    assert close([1.0, np.inf, 0.0], [1.0005, np.inf, 1e-5], tol).tolist() == [True, True, False]
    assert tol.allows(1 + 1e-4j, 1) and not tol.allows(1 + 1e-2j, 1)


def test_proof_is_a_value() -> None:
    proof = Proof(True, Method.NUMERIC, "6 points", 6, 0, tolerance_for())
    assert hash(proof) == hash(Proof(True, Method.NUMERIC, "6 points", 6, 0, tolerance_for()))
    with pytest.raises(AttributeError):
        proof.ok = False  # type: ignore[misc]
