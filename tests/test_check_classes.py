"""Statement classes of ``symml check``: what a formula states decides whether it is checked.

Each row is a short document in one author's style (MyST dollars, kramdown-escaped
``\\\\( \\\\)`` as in the CS231n notes, LaTeX-in-Markdown with environments, plain
textbook prose); the row says the status and class of its last formula.
"""

from __future__ import annotations

import pytest

from symml.documents import Statement, Status, check_text

OK, VERIFIED, REFUTED, UNCHECKED = Status.OK, Status.VERIFIED, Status.REFUTED, Status.UNCHECKED
S = Statement

# (id, document, status of the last formula, its class)
CASES = [
    # --- conditions: never refuted
    ("lambda-positive", r"The penalty is weighted by $\lambda > 0$.", OK, S.CONDITION),
    ("epsilon-kramdown", r"Pick a tiny \\(\epsilon > 0\\) here.", OK, S.CONDITION),
    ("t-at-least-1", r"For every step $t \geq 1$ we update.", OK, S.CONDITION),
    ("gamma-below-1", r"A discount factor $\gamma < 1$ keeps it finite.", OK, S.CONDITION),
    ("beta-between", r"with momentum $0 < \beta < 1$", OK, S.CONDITION),
    ("after-if", r"The loss is zero if $s_j - s_{y_i} + 1 < 0$.", OK, S.CONDITION),
    ("neq-chain", r"three distinct $r_1 \neq r_2 \neq r_3$", OK, S.CONDITION),
    ("system", r"subject to $x \geq 0, y \geq 0$", OK, S.CONDITION),
    # --- assumptions
    ("assume-symmetric", r"Assume that $p_{ij}(x) = p_{ij}(-x)$ for all pairs.", OK, S.ASSUMPTION),
    ("suppose", "Suppose\n\n$$\nf(x) = 2x + 1\n$$\n", OK, S.ASSUMPTION),
    # --- assignments and initialisations
    ("kernel-sizes", r"We use $k_h = k_w = 4$ in every layer.", OK, S.ASSIGNMENT),
    ("zero-init", r"Initialise $\mathbf{v}_0 = \mathbf{s}_0 = 0$.", OK, S.ASSIGNMENT),
    ("head-dims", r"and $p_q = p_k = p_v = p_o/h$ keeps the cost fixed", OK, S.ASSIGNMENT),
    ("zero-means", r"The means are $\mu_X = \mu_Y = 0$.", OK, S.ASSIGNMENT),
    ("learning-rate", r"a learning rate of \\(\alpha = 0.01\\)", OK, S.ASSIGNMENT),
    # --- update rules
    ("sgd", r"$$\theta = \theta - \alpha \nabla_\theta L$$", OK, S.UPDATE),
    ("leftarrow", r"$w \leftarrow w - \eta g$", OK, S.UPDATE),
    (
        "recurrence-chain",
        r"$$\mathbf{z}_t = \mathbf{z}_{t-1} - \boldsymbol{\Lambda} \mathbf{z}_{t-1}"
        r" = (\mathbf{I} - \boldsymbol{\Lambda}) \mathbf{z}_{t-1}$$",
        VERIFIED,
        S.UPDATE,
    ),
    # --- notation: summarised, never refuted
    ("bare-m", r"with $m$ samples", OK, S.NOTATION),
    ("interval", r"values in $(0, 1)$", OK, S.NOTATION),
    ("membership", r"where \\(y_i \in \\{ -1,1 \\}\\)", OK, S.NOTATION),
    ("list", r"the sizes $D_k, D_v$", OK, S.NOTATION),
    # --- definitions (recorded, compared with the registry)
    ("definition-chain", r"$$y = f(x) = x^3 - \frac{1}{x}$$", OK, S.DEFINITION),
    ("definition-chain-checked", r"$$g(x) = (x + 1)^2 = x^2 + 2x + 1$$", VERIFIED, S.DEFINITION),
    ("definition-chain-wrong", r"$$g(x) = (x + 1)^2 = x^2 + 1$$", REFUTED, S.DEFINITION),
    # --- identities and derivations
    ("pythagoras", r"$$\sin^2 x + \cos^2 x = 1$$", VERIFIED, S.IDENTITY),
    ("square-wrong", r"Note $(a + b)^2 = a^2 + b^2$.", REFUTED, S.IDENTITY),
    ("equation-to-solve", r"Solve $x^2 - 4 = 0$ for x.", OK, S.EQUATION),
    ("constant-side-not-identity", r"$$x^2 - 4 = 0$$", UNCHECKED, S.IDENTITY),
    (
        "worked-example",
        r"When \\(W = 10\\), \\(P = 0\\), \\(F = 3\\) and \\(S = 2\\), "
        r"\\((W - F + 2P)/S + 1 = (10 - 3 + 0) / 2 + 1 = 4.5\\).",
        VERIFIED,
        S.DERIVATION,
    ),
    # --- derivatives
    (
        "derivation-of-derivative",
        r"$$\frac{d}{dx} [3 x^2 - 4x] = 3 \frac{d}{dx} x^2 - 4 \frac{d}{dx} x = 6x - 4$$",
        VERIFIED,
        S.DERIVATIVE,
    ),
    ("derivative-wrong", r"$$\frac{d}{dx} x^3 = 2x^2$$", REFUTED, S.DERIVATIVE),
    (
        "derivative-at-values",
        "Let $f(x,y) = x y$.\n\nIf $x = 4, y = -3$ then $\\frac{\\partial f}{\\partial x} = -3$.",
        VERIFIED,
        S.DERIVATIVE,
    ),
    # --- rounded values and approximations
    ("rounded", r"so $\sqrt{0.2 \times 0.37} = 0.272$", VERIFIED, S.APPROXIMATION),
    ("rounded-wrong", r"so $\sqrt{0.2 \times 0.37} = 0.291$", REFUTED, S.APPROXIMATION),
    (
        "rounded-derivative",
        "Let $f(x) = 1/x^5$.\n\nThen $f'(4) = -0.0012$.",
        VERIFIED,
        S.APPROXIMATION,
    ),
    ("approx", r"$$e \approx 2.718$$", VERIFIED, S.APPROXIMATION),
    ("approx-loose", r"$$\pi \approx 4$$", UNCHECKED, S.APPROXIMATION),
    ("distribution", r"$x \sim \mathcal{N}(0, 1)$", OK, S.APPROXIMATION),
    # --- properties
    ("property-true", r"$$e^{x} > 0$$", VERIFIED, S.PROPERTY),
    ("property-false", r"$$x^2 < 1$$", REFUTED, S.PROPERTY),
]


@pytest.mark.parametrize(
    ("text", "status", "cls"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_statement_class(text: str, status: Status, cls: Statement) -> None:
    last = check_text(text, source="doc.md")[-1]
    assert (last.status, last.statement) == (status, cls), last.message


def test_a_definition_chain_defines_every_name() -> None:
    checks = check_text(
        "$$y = f(x) = x^3 - \\frac{1}{x}$$\n\nso $$\\frac{d}{dx} f(x) = 3x^2 + \\frac{1}{x^2}$$\n",
        source="doc.md",
    )
    assert [c.status for c in checks] == [OK, VERIFIED]


def test_the_first_broken_step_is_named() -> None:
    [check] = check_text(r"$$(x+1)^2 = x^2 + 2x + 1 = x^2 + 1 = x^2 + 1$$", source="doc.md")
    assert check.status is REFUTED
    assert "step 2 (side 3 from side 2)" in check.message


def test_rounding_message_says_the_digits() -> None:
    [check] = check_text(r"$\sqrt{0.2 \times 0.37} = 0.272$", source="doc.md")
    assert "rounded to 3 digits" in check.message
    [wrong] = check_text(r"$\sqrt{0.2 \times 0.37} = 0.291$", source="doc.md")
    assert "0.272029" in wrong.message and "does not round" in wrong.message


# (document, status): expectation and variance claims over abstract random variables
RANDOM = [
    (r"$$\operatorname{Var}(X) = \mathbb{E}[X^2] - \mathbb{E}[X]^2$$", VERIFIED),
    (r"$$\operatorname{Var}(X) = \mathbb{E}[X^2] + \mathbb{E}[X]^2$$", REFUTED),
    (r"$$\mathrm{Var}(aX + b) = a^2 \mathrm{Var}(X)$$", VERIFIED),
    (r"$$\mathrm{Var}(aX + b) = a \mathrm{Var}(X)$$", REFUTED),
    (r"$$\mathbb{E}[X + Y] = \mathbb{E}[X] + \mathbb{E}[Y]$$", VERIFIED),
    (r"$$\operatorname{Cov}(X, Y) = \mathbb{E}[XY] - \mathbb{E}[X]\mathbb{E}[Y]$$", VERIFIED),
    # true for independent X and Y only: neither verified nor refuted
    (r"$$\mathbb{E}[XY] = \mathbb{E}[X]\mathbb{E}[Y]$$", UNCHECKED),
    (r"$$\mathbb{E}_{x \sim p}[f(x)] = \mathbb{E}_{x \sim p}[f(x)] + 1$$", UNCHECKED),
]


@pytest.mark.parametrize(("text", "status"), RANDOM)
def test_expectation_and_variance_claims(text: str, status: Status) -> None:
    [check] = check_text(text, source="doc.md")
    assert check.status is status, check.message
    assert check.statement is S.IDENTITY


def test_a_declared_distribution_is_sampled_on_the_simplex() -> None:
    declared = check_text(
        r"For a probability distribution $p$ we have $$\sum_i p_i = 1$$", source="doc.md"
    )[-1]
    assert declared.status is VERIFIED and declared.statement is S.IDENTITY
    undeclared = check_text(r"$$\sum_i p_i = 1$$", source="doc.md")[-1]
    assert undeclared.status is UNCHECKED and "holds if p sums to 1" in undeclared.message


def test_a_step_that_brings_in_a_constant_that_cancels_is_checked() -> None:
    text = (
        r"$$\frac{e^{f_{y_i}}}{\sum_j e^{f_j}} = \frac{Ce^{f_{y_i}}}{C\sum_j e^{f_j}}"
        r" = \frac{e^{f_{y_i} + \log C}}{\sum_j e^{f_j + \log C}}$$"
    )
    [check] = check_text(text, source="doc.md")
    assert (check.status, check.statement) == (VERIFIED, S.DERIVATION)


def test_a_decimal_given_to_an_unknown_is_an_assignment() -> None:
    [check] = check_text(r"and \\(\beta2 = 0.999\\)", source="doc.md")
    assert (check.status, check.statement) == (OK, S.ASSIGNMENT)


def test_an_expectation_written_as_an_integral_is_not_sampled() -> None:
    [check] = check_text(r"$$\mathbb{E}[X] = \int x \cdot f(x) dx$$", source="doc.md")
    assert check.status is UNCHECKED and "integral" in check.message
