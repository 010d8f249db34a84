"""The plain-text (Unicode/ASCII) math converter: a table of (input, expected LaTeX)."""

from __future__ import annotations

import pytest

from symml.latex import plain_to_latex as to_latex

CASES = [
    # the notation of documents 001 and 003
    ("σ(x) = 1 / (1 + e^(-x))", r"\sigma(x) = \frac{1}{1 + e^{-x}}"),
    ("Σ(i=1 to n) xᵢ", r"\sum_{i=1}^{n} x_{i}"),
    ("∂J/∂wⱼ", r"\frac{\partial J}{\partial w_{j}}"),
    ("||v|| = √(v · v)", r"\left\| v \right\| = \sqrt{v \cdot v}"),
    ("√v_t + ε", r"\sqrt{v_{t}} + \epsilon"),
    ("A = UΣVᵀ", r"A = U\Sigma V^{T}"),
    ("Σ = (1/n) XᵀX", r"\Sigma = (\frac{1}{n}) X^{T}X"),
    ("d/dx(xⁿ) = nxⁿ⁻¹", r"\frac{d}{dx}(x^{n}) = nx^{n-1}"),
    ("d/dx (xⁿ) = n xⁿ⁻¹", r"\frac{d}{dx} (x^{n}) = n x^{n-1}"),
    (
        "θ_new = θ_old - α · ∇J(θ_old)",
        r"\theta_{new} = \theta_{old} - \alpha \cdot \nabla J(\theta_{old})",
    ),
    ("m_t = β₁m_(t-1) + (1-β₁)g_t", r"m_{t} = \beta_{1}m_{t-1} + (1-\beta_{1})g_{t}"),
    ("v_t = β₂v_(t-1) + (1-β₂)g_t²", r"v_{t} = \beta_{2}v_{t-1} + (1-\beta_{2})g_{t}^{2}"),
    (
        "J(w) = (1/2m) Σ(i=1 to m) (h(xᵢ) - yᵢ)²",
        r"J(w) = (\frac{1}{2m}) \sum_{i=1}^{m} (h(x_{i}) - y_{i})^{2}",
    ),
    (
        "MSE = (1/n) Σ(i=1 to n) (yᵢ - ŷᵢ)²",
        r"\mathrm{MSE} = (\frac{1}{n}) \sum_{i=1}^{n} (y_{i} - \hat{y}_{i})^{2}",
    ),
    (
        "MAE = (1/n) Σ(i=1 to n) |yᵢ - ŷᵢ|",
        r"\mathrm{MAE} = (\frac{1}{n}) \sum_{i=1}^{n} \left|y_{i} - \hat{y}_{i}\right|",
    ),
    ("E[X] = Σ(i=1 to n) xᵢ · P(xᵢ)", r"\mathbb{E}[X] = \sum_{i=1}^{n} x_{i} \cdot P(x_{i})"),
    (
        "Var(X + Y) = Var(X) + Var(Y) + 2Cov(X, Y)",
        r"\operatorname{Var}(X + Y) = \operatorname{Var}(X) + \operatorname{Var}(Y)"
        r" + 2\operatorname{Cov}(X, Y)",
    ),
    (
        "ρ = Cov(X, Y) / (σₓ · σᵧ)",
        r"\rho = \frac{\operatorname{Cov}(X, Y)}{\sigma_{x} \cdot \sigma_{y}}",
    ),
    (
        "KL(P||Q) = Σ(i=1 to n) P(xᵢ) log(P(xᵢ) / Q(xᵢ))",
        r"\operatorname{KL}(P\|Q) = \sum_{i=1}^{n} P(x_{i}) \log(\frac{P(x_{i})}{Q(x_{i})})",
    ),
    (
        "H(X) = -Σ(i=1 to n) P(xᵢ) log₂(P(xᵢ))",
        r"H(X) = -\sum_{i=1}^{n} P(x_{i}) \log_{2}(P(x_{i}))",
    ),
    (
        "softmax(xᵢ) = e^(xᵢ) / Σ(j=1 to k) e^(xⱼ)",
        r"\operatorname{softmax}(x_{i}) = \frac{e^{x_{i}}}{\sum_{j=1}^{k} e^{x_{j}}}",
    ),
    (
        "cos(θ) = (x · y) / (||x|| · ||y||)",
        r"\cos(\theta) = \frac{x \cdot y}{\left\| x \right\| \cdot \left\| y \right\|}",
    ),
    (
        "d(x, y) = (Σ(i=1 to n) |xᵢ - yᵢ|^p)^(1/p)",
        r"d(x, y) = (\sum_{i=1}^{n} \left|x_{i} - y_{i}\right|^{p})^{\frac{1}{p}}",
    ),
    (
        "ReLU(x) = {x if x > 0, 0 if x ≤ 0}",
        r"\operatorname{ReLU}(x) = \begin{cases} x & x > 0 \\ 0 & x \leq 0 \end{cases}",
    ),
    ("tanh'(x) = 1 - tanh²(x)", r"\tanh'(x) = 1 - \tanh^{2}(x)"),
    (
        "σ'(x) = [0 · (1 + e^(-x)) - 1 · (-e^(-x))] / (1 + e^(-x))²",
        r"\sigma'(x) = \frac{0 \cdot (1 + e^{-x}) - 1 \cdot (-e^{-x})}{(1 + e^{-x})^{2}}",
    ),
    (
        "f'(x) = df/dx = lim(h→0) [f(x+h) - f(x)] / h",
        r"f'(x) = \frac{df}{dx} = \lim_{h\to0} \frac{f(x+h) - f(x)}{h}",
    ),
    ("L(w) = (1/n) Σ (yᵢ − (w xᵢ + b))²", r"L(w) = (\frac{1}{n}) \sum (y_{i} - (w x_{i} + b))^{2}"),
    (
        "∂Loss/∂out × ∂out/∂L3",
        r"\frac{\partial \mathrm{Loss}}{\partial \mathrm{out}}"
        r" \times \frac{\partial \mathrm{out}}{\partial L_{3}}",
    ),
    (
        "Attention(Q, K, V) = softmax(QKᵀ / √dₖ) V",
        r"\operatorname{Attention}(Q, K, V) = "
        r"\operatorname{softmax}(\frac{QK^{T}}{\sqrt{d_{k}}}) V",
    ),
    ("z^[l] = W^[l]a^[l-1] + b^[l]", r"z^{[l]} = W^{[l]}a^{[l-1]} + b^{[l]}"),
    ("v = [v₁, v₂, ..., vₙ]", r"v = \left[v_{1}, v_{2}, \ldots, v_{n}\right]"),
    ("P(A ∩ B) = P(A) · P(B)", r"P(A \cap B) = P(A) \cdot P(B)"),
    # the ASCII notation of 000's tables
    ("1/(1+e^-x)", r"\frac{1}{1+e^{-x}}"),
    ("(e^x - e^-x)/(e^x + e^-x)", r"\frac{e^{x} - e^{-x}}{e^{x} + e^{-x}}"),
    ("e^xi / sum(e^xj)", r"\frac{e^{x_i}}{\sum e^{x_j}}"),
    ("softmax(QK^T/sqrt(d))V", r"\operatorname{softmax}(\frac{QK^{T}}{\sqrt{d}})V"),
    ("theta = theta - alpha * grad(J)", r"\theta = \theta - \alpha \cdot \nabla J"),
    ("L = -sum(y*log(y_hat))", r"L = -\sum y\cdot\log(\hat{y})"),
]


@pytest.mark.parametrize(("text", "expected"), CASES, ids=[c[0] for c in CASES])
def test_to_latex(text: str, expected: str) -> None:
    assert to_latex(text) == expected


@pytest.mark.parametrize("text", [c[0] for c in CASES[:33]], ids=[c[0] for c in CASES[:33]])
def test_output_has_no_unicode_math_left(text: str) -> None:
    assert all(ord(ch) < 128 for ch in to_latex(text)), to_latex(text)


def test_import_is_light() -> None:
    import subprocess
    import sys

    code = "import sys, symml.latex, symml.documents; print('sympy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
