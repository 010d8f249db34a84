"""Verdicts of ``check`` on others' writing: no crash on x f(x), values at the digits shown,
tiny constants not lost in sampling, Greek letters as function names."""

from __future__ import annotations

import pytest

from symml.documents import Status, check_text
from symml.verification import equiv


def _one(text: str):
    [check] = check_text(f"$${text}$$", source="doc.md")
    return check.status, check.message


# --- 1. a scalar definition never meets the registry's vector x (MatMul of scalars) -------


@pytest.mark.parametrize(
    ("latex", "message"),
    [
        (r"g(x) = x\sin(x)", "definition of g(x); not in the registry"),
        (r"h(x) = x\sigma(x)", "definition of h(x); not in the registry"),
        (r"f(x) = -x\log x", "definition of f(x); not in the registry"),
        (r"H(p) = -p\log p - (1-p)\log(1-p)", "definition of H(p); not in the registry"),
        (r"\mathrm{GELU}(x) = x\Phi(x)", "definition of gelu(x); not in the registry"),
        (r"\mathrm{swish}(x) = x\sigma(x)", "definition of silu(x); not in the registry"),
    ],
)
def test_x_times_a_function_of_x_is_a_definition_not_an_error(latex: str, message: str) -> None:
    assert _one(latex) == (Status.OK, message)


def test_a_registry_entry_still_matches_after_the_kind_check() -> None:
    status, message = _one(r"\sigma(z) = \frac{1}{1+e^{-z}}")
    assert (status, message) == (Status.OK, "definition of sigmoid(z); same as registry: sigmoid")


# --- 2. a decimal after = is the value rounded or truncated to its places -----------------


@pytest.mark.parametrize(
    ("latex", "message"),
    [
        (r"\sqrt{2} = 1.42", "the value is 1.41421, which does not round (nor truncate) to 1.42"),
        (r"\frac{1}{3} = 0.334", "the value is 0.333333, which does not round (nor truncate) to"),
        (r"\ln 2 = 0.70", "the value is 0.69315, which does not round (nor truncate) to 0.7 at"),
        (r"\sqrt{0.2 \times 0.37} = 0.273", "the value is 0.272029, which does not round"),
        (r"\sigma(0) = 0.49", "the value is 0.50000, which does not round (nor truncate) to 0.49"),
        (r"-\frac{2}{3} = -0.665", "the value is -0.666667, which does not round"),
    ],
)
def test_a_value_wrong_in_its_last_digit_is_refuted(latex: str, message: str) -> None:
    status, got = _one(latex)
    assert status is Status.REFUTED and got.startswith(message), got


@pytest.mark.parametrize(
    ("latex", "message"),
    [
        (r"\sigma(0) = 0.5", "value 0.5, rounded to 1 digits"),
        (r"\pi = 3.14", "value 3.14159, rounded to 3 digits"),
        (r"e = 2.718", "value 2.71828, rounded to 4 digits"),
        (r"\sqrt{0.2 \times 0.37} = 0.272", "value 0.272029, rounded to 3 digits"),
        (r"\frac{2}{3} = 0.666", "value 0.666667, truncated to 3 decimal places"),
        (r"1 - 0.999^{10} = 0.00995", "value 0.00995512, truncated to 5 decimal places"),
        (r"-\frac{2}{3} = -0.666", "value -0.666667, truncated to 3 decimal places"),
    ],
)
def test_a_value_rounded_or_truncated_is_verified(latex: str, message: str) -> None:
    assert _one(latex) == (Status.VERIFIED, message)


def test_approx_stays_within_one_unit() -> None:
    assert _one(r"\pi \approx 3.1416")[0] is Status.VERIFIED
    assert _one(r"\pi \approx 3.141")[0] is Status.VERIFIED


# --- 3. a small exact constant is not lost in a sampled comparison --------------------------


@pytest.mark.parametrize(
    ("latex", "message"),
    [
        (
            r"\frac{m}{\sqrt{v}+10^{-8}} = \frac{m}{\sqrt{v}}",
            "identity not checked: the sides differ by a small amount: at m = 0.1328, "
            "v = 0.1132, by 1.17e-08 (at 50 digits)",
        ),
        (
            r"\log(p+10^{-10}) = \log p",
            "identity not checked: the sides differ by a small amount: at p = 0.3158, "
            "by 3.17e-10 (at 50 digits)",
        ),
        (
            r"0.99999999 x = x",
            "identity not checked: the sides differ by a small amount: at x = 0.3158, "
            "by 3.16e-09 (at 50 digits)",
        ),
    ],
)
def test_a_tiny_constant_is_not_verified(latex: str, message: str) -> None:
    assert _one(latex) == (Status.UNCHECKED, message)


@pytest.mark.parametrize(
    "latex",
    [
        r"\frac{e^{x_i - c}}{\sum_{j=1}^n e^{x_j - c}} = \frac{e^{x_i}}{\sum_{j=1}^n e^{x_j}}",
        r"\sigma'(x) = \sigma(x)(1-\sigma(x))",
        r"\log(1 + e^{x}) = x + \log(1 + e^{-x})",
        r"0.5 x = \frac{x}{2}",
    ],
)
def test_true_identities_stay_verified(latex: str) -> None:
    assert _one(latex)[0] is Status.VERIFIED


def test_a_distribution_sampled_on_the_simplex_sums_to_one_exactly() -> None:
    text = r"For a probability distribution $p$ we have $$\sum_i p_i = 1$$"
    assert check_text(text, source="doc.md")[-1].status is Status.VERIFIED


def test_equiv_does_not_treat_a_near_one_factor_as_one() -> None:
    near = equiv("0.99999999 x", "x")
    assert near["equivalent"] is False and near["method"] == "numeric (50 digits)"
    assert equiv("1+10^{-12}x", "1")["equivalent"] is False
    assert equiv(r"\arctan(x)+\arctan(1/x)", r"\frac{\pi}{2}\operatorname{sign}(x)") == {
        "equivalent": True,
        "method": "numeric",
        "counterexample": None,
        "points": 200,
    }


# --- 4. a Greek letter applied to names is a function being defined -------------------------


@pytest.mark.parametrize(
    ("latex", "message"),
    [
        (r"\zeta(x) = \log(1+e^x)", "definition of zeta(x); not in the registry"),
        (r"\kappa(x) = e^{-x^2}", "definition of kappa(x); not in the registry"),
        (r"\kappa(x, y) = e^{-(x-y)^2}", "definition of kappa(x, y); not in the registry"),
    ],
)
def test_a_greek_letter_applied_to_names_is_a_definition(latex: str, message: str) -> None:
    assert _one(latex) == (Status.OK, message)


def test_a_greek_letter_times_a_sum_keeps_its_product_reading() -> None:
    assert _one(r"\alpha(x + 1) = \alpha x + \alpha") == (
        Status.VERIFIED,
        "identity holds (symbolically)",
    )
    assert _one(r"\alpha(x + 1) = \alpha x")[0] is Status.REFUTED


def test_an_equation_for_a_free_factor_is_not_refuted() -> None:
    assert _one(r"\kappa x = e^{-x^2}") == (
        Status.UNCHECKED,
        "an equation in kappa (not on the right side), not refuted",
    )
    # a free symbol inside the left side (not a factor): the claim is for all b, refuted
    status, _ = _one(r"\mathrm{Var}(aX + b) = a \mathrm{Var}(X)")
    assert status is Status.REFUTED


# --- 5. d/dx_k of a sum over x_i differentiates the entry x[k] ------------------------------

_WRITTEN_OUT = "derivative holds (symbolically, once the sums are written out (lengths 3 and 4))"


@pytest.mark.parametrize(
    "latex",
    [
        r"\frac{\partial}{\partial x_k}\sum_{i=1}^n x_i^2 = 2x_k",
        r"\frac{\partial}{\partial x_k}\sum_{i=1}^n a_i x_i = a_k",
        r"\frac{\partial}{\partial z_k}\log\sum_{j=1}^K e^{z_j} = "
        r"\frac{e^{z_k}}{\sum_{j=1}^K e^{z_j}}",
    ],
)
def test_a_derivative_by_an_entry_of_a_summed_vector_is_checked(latex: str) -> None:
    assert _one(latex) == (Status.VERIFIED, _WRITTEN_OUT)


def test_a_wrong_derivative_by_an_entry_is_refuted_and_an_absent_variable_unchecked() -> None:
    status, message = _one(r"\frac{\partial}{\partial x_k}\sum_{i=1}^n x_i^2 = x_k")
    assert status is Status.REFUTED and message.startswith("derivative: step 1"), message
    assert _one(r"\frac{\partial}{\partial y}\sum_{i=1}^n x_i^2 = 0") == (
        Status.UNCHECKED,
        "derivative not checked: Sum(x[i]**2, (i, 1, n)) (as defined above) does not depend on y",
    )


# --- a bare name defined above is the quantity it was defined as ----------------------------


def test_an_identity_in_a_name_defined_above_uses_its_definition() -> None:
    mean = r"$$\mu = \frac{1}{d}\sum_{i=1}^{d} x_i$$"
    claim = r"$$\frac{1}{d}\sum_{i=1}^{d}(x_i-\mu)^2 = \frac{1}{d}\sum_{i=1}^{d}x_i^2 - \mu^2$$"
    check = check_text(f"{mean}\n\n{claim}\n", source="doc.md")[-1]
    assert (check.status, check.message) == (
        Status.VERIFIED,
        "identity holds (numerically at 12 points (seed 0), with mu as defined above)",
    )
    # with no definition of mu the identity is false for a free mu, and refuted
    assert check_text(claim, source="doc.md")[-1].status is Status.REFUTED
    # a wrong identity stays refuted with the definition put in
    wrong = r"$$\frac{1}{d}\sum_{i=1}^{d}(x_i-\mu)^2 = \frac{1}{d}\sum_{i=1}^{d}x_i^2 + \mu^2$$"
    assert check_text(f"{mean}\n\n{wrong}\n", source="doc.md")[-1].status is Status.REFUTED


def test_a_derivative_by_a_name_defined_above_is_by_the_variable() -> None:
    defined = r"$$a = \ln\frac{\sigma}{1-\sigma}$$"
    text = f"{defined}\n\n$$\\frac{{d}}{{da}}\\ln(1-\\sigma(a)) = \\sigma(a)$$\n"
    check = check_text(text, source="doc.md")[-1]
    assert (check.status, check.message) == (
        Status.REFUTED,
        "derivative: step 1 (side 2 from side 1) breaks: at a = 0.3158 (seed 0): "
        "-0.578308 != 0.578308",
    )
