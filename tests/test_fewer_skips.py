"""Checks that used to be skipped, and each one's teeth: a planted wrong version is caught.

* a minimizer (``gradient_descent(f, grad_f, x0)``) given the formula and its derivative must
  end at the claimed stationary point;
* a claimed stationary point in matrix form (``w = (X^T X)^{-1} X^T y``) must make the
  matrix-form gradient vanish at concrete sizes and data.
"""

from __future__ import annotations

import sys
import textwrap
import types

import numpy as np
import pytest

from symml.registry import load_registry
from symml.verification import Status, verify_formula

_MIN_MODULE = "symml.handwritten.fewer_skips_demo"


def _registry(tmp_path, toml: str):
    (tmp_path / "demo.toml").write_text(textwrap.dedent(toml), encoding="utf-8")
    return load_registry(tmp_path)


def _descent(f, grad_f, x0, learning_rate=0.01, max_iter=5000, tol=1e-9):
    x = x0
    for _ in range(max_iter):
        x_new = x - learning_rate * grad_f(x)
        if np.linalg.norm(x_new - x) < tol:
            break
        x = x_new
    return x


def _ascent(f, grad_f, x0, learning_rate=0.01, max_iter=50, tol=1e-9):
    """A flipped sign: it climbs away from the minimum."""
    return _descent(f, lambda x: -grad_f(x), x0, learning_rate, max_iter, tol)


def _needs_rate(f, grad_f, x0, learning_rate):
    return _descent(f, grad_f, x0, learning_rate)


@pytest.fixture
def minimizers(monkeypatch):
    module = types.ModuleType(_MIN_MODULE)
    module.descent, module.ascent, module.needs_rate = _descent, _ascent, _needs_rate
    monkeypatch.setitem(sys.modules, _MIN_MODULE, module)


def _minimizer_claim(tmp_path, code: str, at: str, latex: str = "(x - 3)^2"):
    reg = _registry(
        tmp_path,
        f"""
        [bowl]
        title = "bowl"
        latex = '{latex}'
        symbols = {{ x = "real" }}
        sources = ["test"]
        tags = ["test"]

        [[bowl.claims]]
        kind = "stationary_point"
        wrt = "x"
        latex = 'x = {at}'
        handwritten = "{_MIN_MODULE}:{code}"
        """,
    )
    checks = verify_formula(reg.get("bowl"), points=200).checks
    return [c for c in checks if c.handwritten is not None]


def test_a_minimizer_given_the_formula_ends_at_the_claimed_point(tmp_path, minimizers):
    (check,) = _minimizer_claim(tmp_path, "descent", "3")
    assert check.status is Status.VERIFIED_NUMERICALLY, check.message
    assert "ends at x = 3" in check.message


def test_a_minimizer_that_climbs_is_refuted(tmp_path, minimizers):
    (check,) = _minimizer_claim(tmp_path, "ascent", "3")
    assert check.status is Status.REFUTED, check.message
    assert "not the claimed x = 3" in check.message


def test_a_wrong_claimed_minimum_is_refuted_by_the_code(tmp_path, minimizers):
    (check,) = _minimizer_claim(tmp_path, "descent", "2")
    assert check.status is Status.REFUTED, check.message


def test_a_minimizer_needing_unstated_settings_is_skipped_with_the_reason(tmp_path, minimizers):
    (check,) = _minimizer_claim(tmp_path, "needs_rate", "3")
    assert check.status is Status.SKIPPED
    assert "needs learning_rate (no default)" in check.message


def _matrix_claim(tmp_path, objective: str, point: str):
    reg = _registry(
        tmp_path,
        f"""
        [obj]
        title = "objective"
        latex = '{objective}'
        symbols = {{ w = "vector", X = "matrix", y = "vector", alpha = "positive" }}
        sources = ["test"]
        tags = ["test"]

        [[obj.claims]]
        kind = "stationary_point"
        wrt = "w"
        latex = '{point}'
        """,
    )
    (check,) = verify_formula(reg.get("obj"), points=200).checks
    return check


LSQ = r"J(\mathbf{w}) = \|X\mathbf{w} - \mathbf{y}\|^2"
RIDGE = r"J(\mathbf{w}) = \|X\mathbf{w} - \mathbf{y}\|^2 + \alpha \|\mathbf{w}\|^2"


@pytest.mark.parametrize(
    ("objective", "point"),
    [
        (LSQ, r"\mathbf{w} = (X^T X)^{-1} X^T \mathbf{y}"),
        (RIDGE, r"\mathbf{w} = (X^T X + \alpha I)^{-1} X^T \mathbf{y}"),
    ],
)
def test_the_normal_equations_and_the_ridge_solution_are_stationary(tmp_path, objective, point):
    check = _matrix_claim(tmp_path, objective, point)
    assert check.status is Status.VERIFIED_NUMERICALLY, check.message
    assert "vanishes" in check.message


@pytest.mark.parametrize(
    ("objective", "point"),
    [
        (LSQ, r"\mathbf{w} = (X^T X + I)^{-1} X^T \mathbf{y}"),  # ridge's point for lsq
        (RIDGE, r"\mathbf{w} = (X^T X + 2 \alpha I)^{-1} X^T \mathbf{y}"),  # penalty doubled
        (RIDGE, r"\mathbf{w} = (X^T X)^{-1} X^T \mathbf{y}"),  # the penalty forgotten
    ],
)
def test_a_wrong_matrix_stationary_point_is_refuted(tmp_path, objective, point):
    check = _matrix_claim(tmp_path, objective, point)
    assert check.status is Status.REFUTED, check.message
    assert "not 0" in check.message and "sizes" in check.message


def test_svd_compress_through_its_factor_adapter_and_a_planted_truncation(monkeypatch):
    """A_k = U_k Sigma_k V_k^T: svd_compress of that rank-k matrix gives it back; a compression
    that keeps one singular value too few is refuted."""
    from symml.handwritten import linear_algebra
    from symml.registry import default_registry

    formula = default_registry().get("svd_rank_k")
    (right,) = verify_formula(formula, points=200).checks
    assert right.status is Status.VERIFIED_NUMERICALLY, right.message
    real = linear_algebra.svd_compress

    def one_too_few(matrix, k):
        return real(matrix, max(k - 1, 0))

    monkeypatch.setattr(linear_algebra, "svd_compress", one_too_few)
    (wrong,) = verify_formula(formula, points=200).checks
    assert wrong.status is Status.REFUTED, wrong.message


def _adam_check(name="adam_no_bias_correction"):
    from symml.registry import default_registry

    (check,) = [
        c
        for c in verify_formula(default_registry().get(name), points=200).checks
        if c.kind is None and c.handwritten
    ]
    return check


def test_adam_steps_are_checked_row_by_row():
    for name in ("adam", "adam_no_bias_correction"):
        check = _adam_check(name)
        assert check.status is Status.VERIFIED_NUMERICALLY, check.message
        assert "(m_t)" in check.message and "(v_t)" in check.message


def test_an_adam_step_with_a_wrong_first_moment_is_refuted(monkeypatch):
    from symml.handwritten import optimization

    def forgot_one_minus_beta(theta, m, v, g, alpha=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-8):
        m_t = beta_1 * np.asarray(m) + np.asarray(g)  # (1 - beta_1) left out
        v_t = beta_2 * np.asarray(v) + (1 - beta_2) * np.asarray(g) ** 2
        return np.asarray(theta) - alpha * m_t / (np.sqrt(v_t) + epsilon), m_t, v_t

    monkeypatch.setattr(optimization, "adam_step", forgot_one_minus_beta)
    check = _adam_check()
    assert check.status is Status.REFUTED, check.message


def test_returned_values_declared_as_the_wrong_rows_are_refuted(monkeypatch):
    from types import MappingProxyType

    from symml.handwritten import optimization

    swapped = dict(optimization.OUTPUTS, adam_step=("theta_t", "v_t", "m_t"))
    monkeypatch.setattr(optimization, "OUTPUTS", MappingProxyType(swapped))
    check = _adam_check()
    assert check.status is Status.REFUTED, check.message
    assert "(v_t)" in check.message


def test_the_rust_loop_with_002s_settings_and_a_planted_sign_error(monkeypatch):
    from symml.handwritten import optimization
    from symml.registry import default_registry

    def rust_checks():
        formula = default_registry().get("gd_quadratic_example")
        return [
            c
            for c in verify_formula(formula, points=200).checks
            if (c.handwritten or "").endswith("rust_gradient_descent_002_settings")
        ]

    (right,) = rust_checks()
    assert right.status is Status.VERIFIED_NUMERICALLY, right.message
    real = optimization.rust_gradient_descent

    def climbs(f, grad, x0, learning_rate, max_iterations, tolerance):
        return real(f, lambda x: [-g for g in grad(x)], x0, learning_rate, 50, tolerance)

    monkeypatch.setattr(optimization, "rust_gradient_descent", climbs)
    (wrong,) = rust_checks()
    assert wrong.status is Status.REFUTED, wrong.message


def _update_rule_check(formula):
    (check,) = [c for c in verify_formula(formula, points=200).checks if c.handwritten]
    return check


def test_gradient_descent_is_one_step_of_the_update_rule_on_random_j(monkeypatch):
    from symml.handwritten import optimization
    from symml.registry import default_registry

    formula = default_registry().get("gradient_descent")
    right = _update_rule_check(formula)
    assert right.status is Status.VERIFIED_NUMERICALLY, right.message
    real = optimization.gradient_descent

    def half_step(f, grad_f, x0, learning_rate=0.01, max_iter=1000, tol=1e-6):
        return real(f, grad_f, x0, learning_rate / 2, max_iter, tol)

    monkeypatch.setattr(optimization, "gradient_descent", half_step)
    wrong = _update_rule_check(formula)
    assert wrong.status is Status.REFUTED, wrong.message
    assert "random J" in wrong.message


def test_an_update_rule_with_the_wrong_sign_is_refuted_by_the_code(tmp_path):
    reg = _registry(
        tmp_path,
        r"""
        [ascent]
        title = "ascent"
        latex = '\theta_{t+1} = \theta_t + \alpha \nabla_\theta J(\theta_t)'
        symbols = { theta_t = "vector", alpha = "positive", J = "function" }
        sources = ["test"]
        tags = ["test"]
        handwritten = "symml.handwritten.optimization:gradient_descent_one_step"
        """,
    )
    check = _update_rule_check(reg.get("ascent"))
    assert check.status is Status.REFUTED, check.message


_BAYES = r"""
[bayes]
title = "bayes"
latex = 'P(A|B) = \frac{P(B|A) \cdot P(A)}{P(B)}'
symbols = { P = "function" }
sources = ["test"]
tags = ["test"]
handwritten = "symml.handwritten.probability:bayesian_update"
adapter = ADAPTER
"""


@pytest.mark.parametrize(
    ("adapter", "status"),
    [
        (
            '{ prior = "P_A", likelihood = "P_B_given_A", data = "P_B" }',
            Status.VERIFIED_NUMERICALLY,
        ),
        ('{ prior = "P_B", likelihood = "P_B_given_A", data = "P_A" }', Status.REFUTED),
    ],
)
def test_bayes_probabilities_as_numbers_and_a_swapped_adapter(tmp_path, adapter, status):
    reg = _registry(tmp_path, _BAYES.replace("ADAPTER", adapter))
    (check,) = verify_formula(reg.get("bayes"), points=200).checks
    assert check.status is status, check.message


def test_bayes_code_dividing_by_the_wrong_probability_is_refuted(monkeypatch):
    from symml.handwritten import probability
    from symml.registry import default_registry

    monkeypatch.setattr(
        probability, "bayesian_update", lambda prior, likelihood, data: prior * data / likelihood
    )
    (check,) = verify_formula(default_registry().get("bayes_theorem"), points=200).checks
    assert check.status is Status.REFUTED, check.message


@pytest.mark.parametrize(
    "wrong",
    [
        lambda probabilities: -np.sum(probabilities * np.log(probabilities)),  # nats
        lambda probabilities: -np.sum(probabilities[:-1] * np.log2(probabilities[:-1])),
    ],
    ids=["nats_for_bits", "last_term_dropped"],
)
def test_entropy_of_the_probability_vector_and_planted_errors(monkeypatch, wrong):
    from symml.handwritten import information_theory
    from symml.registry import default_registry

    formula = default_registry().get("entropy")
    (right,) = verify_formula(formula, points=200).checks
    assert right.status is Status.VERIFIED_NUMERICALLY, right.message
    monkeypatch.setattr(information_theory, "entropy", wrong)
    (check,) = verify_formula(formula, points=200).checks
    assert check.status is Status.REFUTED, check.message
