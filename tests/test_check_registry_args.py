"""A well-known quantity's definition compared with the registry by argument position:
KL(q||p) = sum q log q/p is the registry's KL(P||Q) with q for P, not a wrong KL(p||q)."""

from __future__ import annotations

import pytest

from symml.documents import check_text
from symml.documents._model import Status


@pytest.mark.parametrize(
    "formula",
    [
        r"\mathrm{KL}(q\|p) = \sum_i q_i \log\frac{q_i}{p_i}",
        r"D_{KL}(q\|p) = \sum_i q_i \log\frac{q_i}{p_i}",
        r"KL(Q\|P) = \sum_x Q(x)\log\frac{Q(x)}{P(x)}",
        r"H(y, \hat{y}) = -\sum_k y_k \log\hat{y}_k",
        r"H(a, b) = -\sum_k a_k \log b_k",
        r"H(p, q) = -\sum_k p_k \log q_k",
    ],
)
def test_any_argument_names_in_the_registry_order_are_the_registry_quantity(formula):
    [found] = check_text(f"$${formula}$$\n")
    assert found.status is Status.OK, found.message
    assert "same as registry" in found.message


@pytest.mark.parametrize(
    "formula",
    [
        r"KL(p\|q) = \sum_i q_i \log\frac{q_i}{p_i}",
        r"D_{KL}(q\|p) = \sum_i p_i \log\frac{p_i}{q_i}",
        r"H(y, \hat{y}) = -\sum_k \hat{y}_k \log y_k",
    ],
)
def test_a_body_with_the_arguments_swapped_is_still_refuted(formula):
    [found] = check_text(f"$${formula}$$\n")
    assert found.status is Status.REFUTED, found.message
    assert found.correction


ONE_HOT = (
    r"With a one-hot target $y$, the loss "
    r"$L(z) = -\sum_{k=1}^K y_k \log\frac{e^{z_k}}{\sum_{j=1}^K e^{z_j}}$ has "
    r"$\frac{\partial L}{\partial z_j} = \frac{e^{z_j}}{\sum_{k=1}^K e^{z_k}} - y_j$."
    "\n"
)


def test_a_gradient_that_needs_a_distribution_is_not_refuted_and_says_how_to_declare_it():
    claim = check_text(ONE_HOT)[-1]
    assert claim.status is Status.UNCHECKED, claim.message
    assert "holds if y sums to 1" in claim.message and "-s y=simplex" in claim.message
    declared = check_text(ONE_HOT, symbols={"y": "simplex"})[-1]
    assert declared.status is Status.VERIFIED, declared.message


def test_a_gradient_wrong_for_distributions_too_is_refuted():
    wrong = ONE_HOT.replace(r"} - y_j$", r"} + y_j$")
    claim = check_text(wrong)[-1]
    assert claim.status is Status.REFUTED, claim.message


@pytest.mark.parametrize(
    ("formula", "status"),
    [
        (r"\sigma(z) = \frac{1}{1+e^{z}}", Status.REFUTED),  # the sign of the exponent
        (r"\sigma(z) = \frac{1}{1+e^{-z}}", Status.OK),
        (r"\sigma(x) = \frac{e^x}{1+e^x}", Status.OK),
        (r"\sigma(x) = \max(0, x)", Status.OK),  # sigma as a generic activation
        (r"\sigma(x) = \sqrt{x}", Status.OK),
    ],
)
def test_a_wrong_sigmoid_is_refuted_but_sigma_may_name_another_activation(formula, status):
    [found] = check_text(f"$${formula}$$\n")
    assert found.status is status, found.message
    if status is Status.REFUTED:
        assert found.correction == r"\sigma(x) = \frac{1}{1 + e^{-x}}"
