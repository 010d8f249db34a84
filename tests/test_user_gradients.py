"""Hand-written gradients as ML engineers write them, right and subtly wrong, with pinned verdicts.

Each row is a formula as LaTeX, the variable, declarations, NumPy code written the way
NumPy code is written (whole arrays, 0-based), the verdict symml must give and a pattern
its message must contain. The wrong rows are the bugs people make: a forgotten factor of
the chain rule, a sum where the formula has a mean, a transposed outer product, a label
vector that is not on the simplex.
"""

from __future__ import annotations

from math import erf

import numpy as np
import pytest

from symml.errors import VerificationError
from symml.verification import Status, check_gradient, verify_function

_erf = np.vectorize(erf, otypes=[float])
C = np.sqrt(2 / np.pi)
A = 0.044715


def sig(t):
    e = np.exp(-np.abs(t))
    return np.where(t >= 0, 1 / (1 + e), e / (1 + e))


def Phi(t):
    return 0.5 * (1 + _erf(t / np.sqrt(2)))


def phi(t):
    return np.exp(-(t**2) / 2) / np.sqrt(2 * np.pi)


def softplus(t):
    return np.logaddexp(0, t)


def gelu_tanh_grad(x, *, forget_cubic=False):
    u = C * (x + A * x**3)
    t = np.tanh(u)
    du = C if forget_cubic else C * (1 + 3 * A * x**2)
    return 0.5 * (1 + t) + 0.5 * x * (1 - t**2) * du


def mish_grad(x, *, forget_chain=False):
    t = np.tanh(softplus(x))
    return t + x * (1 - t**2) * (1 if forget_chain else sig(x))


def softmax(z):
    e = np.exp(z - z.max())
    return e / e.sum()


LS = r"\frac{1}{m}\sum_{i=1}^{m} (\mathbf{w}^\top \mathbf{x}_i - y_i)^2"
RIDGE = LS + r" + \lambda \|\mathbf{w}\|^2"
LOGREG = (
    r"-\frac{1}{m}\sum_{i=1}^{m} \left[y_i \log \sigma(\mathbf{w}^\top\mathbf{x}_i)"
    r" + (1-y_i)\log(1-\sigma(\mathbf{w}^\top\mathbf{x}_i))\right]"
)
LAYER = r"\frac{1}{2}\sum_{i=1}^{m}\left(\sum_{j=1}^{n} W_{ij} x_j - y_i\right)^2"
CE = r"-\sum_{k=1}^{K} y_k \log \frac{e^{z_k}}{\sum_{j=1}^{K} e^{z_j}}"
#: Least squares in matrix form: m is the number of rows of X (the sampler ties it to them)
MLS = r"\frac{1}{m}\|X\mathbf{w}-\mathbf{y}\|^2"
MLS_HALF = r"\frac{1}{2m}\|X\mathbf{w}-\mathbf{y}\|^2"
NLS = r"\frac{1}{n}\sum_{i=1}^{n}(\mathbf{w}^T\mathbf{x}_i - y_i)^2"
MRIDGE = r"\|X\mathbf{w}-\mathbf{y}\|^2 + \lambda\|\mathbf{w}\|^2"
QUAD = r"\mathbf{w}^T A \mathbf{w}"
GELU_TANH = r"\frac{x}{2}\left(1 + \tanh\left(\sqrt{2/\pi}\,(x + 0.044715 x^3)\right)\right)"

OK, BAD, FAIL, SKIP = (
    Status.VERIFIED_NUMERICALLY,
    Status.REFUTED,
    Status.FAILED,
    Status.SKIPPED,
)

# id, latex, wrt, symbols, args, code, verdict, message pattern
CASES = [
    # activations, one variable
    ("swish", r"x \sigma(x)", "x", {}, {}, lambda x: sig(x) * (1 + x * (1 - sig(x))), OK, "agrees"),
    (
        "swish-silu-name",
        r"\operatorname{SiLU}(x)",
        "x",
        {},
        {},
        lambda x: sig(x) + x * sig(x) * (1 - sig(x)),
        OK,
        "agrees",
    ),
    ("swish-no-chain", r"x \sigma(x)", "x", {}, {}, lambda x: sig(x) + x * sig(x), BAD, "wrong at"),
    ("gelu-exact", r"x \Phi(x)", "x", {}, {}, lambda x: Phi(x) + x * phi(x), OK, "agrees"),
    (
        "gelu-exact-name",
        r"\operatorname{GELU}(x)",
        "x",
        {},
        {},
        lambda x: Phi(x) + x * phi(x),
        OK,
        "agrees",
    ),
    (
        "gelu-erf",
        r"\frac{x}{2}\left(1 + \mathrm{erf}\left(\frac{x}{\sqrt{2}}\right)\right)",
        "x",
        {},
        {},
        lambda x: Phi(x) + x * phi(x),
        OK,
        "agrees",
    ),
    ("gelu-missing-x", r"x \Phi(x)", "x", {}, {}, lambda x: Phi(x) + phi(x), BAD, "wrong at"),
    ("gelu-tanh", GELU_TANH, "x", {}, {}, gelu_tanh_grad, OK, "agrees"),
    (
        "gelu-tanh-forgot-cubic",
        GELU_TANH,
        "x",
        {},
        {},
        lambda x: gelu_tanh_grad(x, forget_cubic=True),
        BAD,
        "wrong at",
    ),
    ("mish", r"x \tanh(\log(1 + e^{x}))", "x", {}, {}, mish_grad, OK, "agrees"),
    ("mish-name", r"\text{mish}(x)", "x", {}, {}, mish_grad, OK, "agrees"),
    (
        "mish-no-chain",
        r"\text{mish}(x)",
        "x",
        {},
        {},
        lambda x: mish_grad(x, forget_chain=True),
        BAD,
        "wrong at",
    ),
    ("softplus", r"\log(1 + e^{x})", "x", {}, {}, lambda x: sig(x), OK, "agrees"),
    ("softplus-sign", r"\log(1 + e^{x})", "x", {}, {}, lambda x: sig(-x), BAD, "wrong at"),
    (
        "softsign",
        r"\operatorname{softsign}(x)",
        "x",
        {},
        {},
        lambda x: 1 / (1 + np.abs(x)) ** 2,
        OK,
        "agrees",
    ),
    (
        "softsign-no-square",
        r"\operatorname{softsign}(x)",
        "x",
        {},
        {},
        lambda x: 1 / (1 + np.abs(x)),
        BAD,
        "wrong at",
    ),
    # least squares over samples: x arrives as one (m, n) array, the gradient returned whole
    (
        "ls-whole",
        LS,
        "w",
        {},
        {},
        lambda w, x, y: 2 / len(y) * x.T @ (x @ w - y),
        OK,
        "the whole gradient",
    ),
    (
        "ls-whole-no-mean",
        LS,
        "w",
        {},
        {},
        lambda w, x, y: 2 * x.T @ (x @ w - y),
        BAD,
        r"a missing 1/\d+ \(a sum where the formula has a mean\?\)",
    ),
    (
        "ls-whole-no-2",
        LS,
        "w",
        {},
        {},
        lambda w, x, y: x.T @ (x @ w - y) / len(y),
        BAD,
        r"an extra 1/2\?",
    ),
    (
        "ls-component",
        LS,
        "w",
        {},
        {},
        lambda w, x, y, j: 2 / len(y) * (x @ w - y) @ x[:, j - 1],
        OK,
        "agrees",
    ),
    (
        "ls-component-0-based",
        LS,
        "w",
        {},
        {},
        lambda w, x, y, j: 2 / len(y) * (x @ w - y) @ x[:, j % x.shape[1]],
        BAD,
        "wrong at",
    ),
    (
        "ls-one-wrong-entry",
        LS,
        "w",
        {},
        {},
        lambda w, x, y: 2 / len(y) * x.T @ (x @ w - y) * np.r_[1.0, 1.0, 1.5, np.ones(len(w) - 3)],
        BAD,
        r"1 of \d+ components of d/dw wrong .* first \[2\] \(0-based",
    ),
    ("ls-m-asked-for", LS, "w", {}, {}, lambda w, x, y, m: 2 / m * x.T @ (x @ w - y), OK, "agrees"),
    # logistic regression over samples, the whole gradient
    (
        "logreg-whole",
        LOGREG,
        "w",
        {"y": "probability"},
        {},
        lambda w, x, y: x.T @ (sig(x @ w) - y) / len(y),
        OK,
        "the whole gradient",
    ),
    (
        "logreg-sign",
        LOGREG,
        "w",
        {"y": "probability"},
        {},
        lambda w, x, y: x.T @ (y - sig(x @ w)) / len(y),
        BAD,
        r"sign flipped\?",
    ),
    # ridge with lambda as lam
    (
        "ridge-lam",
        RIDGE,
        "w",
        {"lambda": "positive"},
        {"lam": "lambda"},
        lambda w, x, y, lam: 2 / len(y) * x.T @ (x @ w - y) + 2 * lam * w,
        OK,
        "agrees",
    ),
    (
        "ridge-lam-half",
        RIDGE,
        "w",
        {"lambda": "positive"},
        {"lam": "lambda"},
        lambda w, x, y, lam: 2 / len(y) * x.T @ (x @ w - y) + lam * w,
        BAD,
        "wrong at",
    ),
    (
        "ridge-lam-unmapped",
        RIDGE,
        "w",
        {"lambda": "positive"},
        {},
        lambda w, x, y, lam: 2 / len(y) * x.T @ (x @ w - y) + 2 * lam * w,
        SKIP,
        r"--arg lam=SYMBOL \(Python: args=",
    ),
    # a linear layer's dL/dW: an outer product, and its transpose
    (
        "layer-outer",
        LAYER,
        "W",
        {},
        {},
        lambda W, x, y: np.outer(W @ x - y, x),
        OK,
        "the whole gradient",
    ),
    (
        "layer-transposed",
        LAYER,
        "W",
        {},
        {},
        lambda W, x, y: np.outer(x, W @ x - y),
        FAIL,
        r"has shape \(\d+, \d+\) per point; expected \(\d+, \d+\), the shape of W .*transposed\?",
    ),
    (
        "layer-sign",
        LAYER,
        "W",
        {},
        {},
        lambda W, x, y: np.outer(y - W @ x, x),
        BAD,
        r"sign flipped\?",
    ),
    (
        "layer-wrong-shape",
        LAYER,
        "W",
        {},
        {},
        lambda W, x, y: W @ x - y,
        FAIL,
        r"expected \(\d+, \d+\), the shape of W",
    ),
    # w^T A w: the gradient (A + A^T) w is 2 A w only for a symmetric A, as declared
    ("quad-general", QUAD, "w", {}, {}, lambda A, w: (A + A.T) @ w, OK, "agrees"),
    ("quad-symmetric", QUAD, "w", {"A": "symmetric"}, {}, lambda A, w: 2 * A @ w, OK, "agrees"),
    ("quad-spd", QUAD, "w", {"A": "spd"}, {}, lambda A, w: 2 * A @ w, OK, "agrees"),
    (
        "quad-undeclared",
        QUAD,
        "w",
        {},
        {},
        lambda A, w: 2 * A @ w,
        BAD,
        r"holds if A is symmetric: declare -s A=symmetric",
    ),
    (
        "quad-symmetric-transposed-half",
        QUAD,
        "w",
        {"A": "symmetric"},
        {},
        lambda A, w: A @ w,
        BAD,
        r"got/expected = 0.5",
    ),
    # softmax cross-entropy: p - y holds only for y on the simplex
    ("ce-simplex", CE, "z", {"y": "simplex"}, {}, lambda z, y: softmax(z) - y, OK, "agrees"),
    (
        "ce-simplex-flipped",
        CE,
        "z",
        {"y": "simplex"},
        {},
        lambda z, y: y - softmax(z),
        BAD,
        r"sign flipped\?",
    ),
    (
        "ce-undeclared",
        CE,
        "z",
        {},
        {},
        lambda z, y: softmax(z) - y,
        BAD,
        r"holds if y sums to 1 \(a probability vector\): declare -s y=simplex",
    ),
    # least squares in matrix form with a mean: 1/m is one over the rows of X, in code
    # X.shape[0] or a parameter m (it receives the number of rows)
    (
        "mls-shape",
        MLS,
        "w",
        {},
        {},
        lambda X, w, y: 2 / X.shape[0] * X.T @ (X @ w - y),
        OK,
        "the whole gradient",
    ),
    ("mls-m", MLS, "w", {}, {}, lambda X, w, y, m: 2 / m * X.T @ (X @ w - y), OK, "agrees"),
    (
        "mls-sum",
        MLS,
        "w",
        {},
        {},
        lambda X, w, y: 2 * X.T @ (X @ w - y),
        BAD,
        r"a missing 1/\d+ \(a sum where the formula has a mean\?\)",
    ),
    (
        "mls-no-transpose",
        MLS,
        "w",
        {},
        {},
        lambda X, w, y: 2 / X.shape[0] * X @ (X @ w - y),
        FAIL,
        r"raised ValueError: matmul",
    ),
    (
        "mls-half",
        MLS_HALF,
        "w",
        {},
        {},
        lambda X, w, y: X.T @ (X @ w - y) / X.shape[0],
        OK,
        "agrees",
    ),
    (
        "mls-half-factor-2",
        MLS_HALF,
        "w",
        {},
        {},
        lambda X, w, y: 2 * X.T @ (X @ w - y) / X.shape[0],
        BAD,
        r"got/expected = 2 ",
    ),
    (
        "nls-stacked",
        NLS,
        "w",
        {},
        {},
        lambda w, x, y: 2 / x.shape[0] * x.T @ (x @ w - y),
        OK,
        "agrees",
    ),
    (
        "nls-stacked-sum",
        NLS,
        "w",
        {},
        {},
        lambda w, x, y: 2 * x.T @ (x @ w - y),
        BAD,
        r"\(a sum where the formula has a mean\?\)",
    ),
    (
        "mridge",
        MRIDGE,
        "w",
        {},
        {"lam": "lambda"},
        lambda X, w, y, lam: 2 * X.T @ (X @ w - y) + 2 * lam * w,
        OK,
        "agrees",
    ),
    (
        "mridge-half-penalty",
        MRIDGE,
        "w",
        {},
        {"lam": "lambda"},
        lambda X, w, y, lam: 2 * X.T @ (X @ w - y) + lam * w,
        BAD,
        "gradient is wrong",
    ),
    (
        "mls-untied",
        r"\frac{1}{m}\|A\mathbf{w}\|^2 + \|B\mathbf{w}\|^2",
        "w",
        {},
        {},
        lambda A, B, w, m: 2 / m * A.T @ (A @ w) + 2 * B.T @ (B @ w),
        SKIP,
        r"m looks like the size of a matrix or vector in the formula, but which dimension",
    ),
]


@pytest.mark.parametrize(
    ("latex", "wrt", "symbols", "args", "code", "verdict", "pattern"),
    [pytest.param(*row[1:], id=row[0]) for row in CASES],
)
def test_hand_written_gradient_verdict(latex, wrt, symbols, args, code, verdict, pattern):
    result = verify_function(code, latex, wrt, symbols=symbols or None, args=args, points=300)
    assert result.status is verdict, result.message
    assert __import__("re").search(pattern, result.message), result.message
    if verdict is BAD:
        assert "seed 0" in result.message and "tolerance" in result.message


def test_there_are_at_least_thirty_cases():
    assert len(CASES) >= 30
    assert {row[6] for row in CASES} == {OK, BAD, FAIL, SKIP}


def test_check_gradient_raises_on_a_wrong_gradient_and_returns_on_a_right_one():
    right = check_gradient(lambda x: Phi(x) + x * phi(x), r"x \Phi(x)", "x", points=200)
    assert right.status is OK
    with pytest.raises(VerificationError, match=r"gradient is wrong at x = .*seed 0"):
        check_gradient(lambda x: Phi(x) + phi(x), r"x \Phi(x)", "x", points=200)


def test_the_same_verdict_from_the_cli_with_arg(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from symml.cli import app

    (tmp_path / "ridge_code.py").write_text(
        "def grad(w, x, y, lam):\n    return 2 / len(y) * x.T @ (x @ w - y) + 2 * lam * w\n",
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    runner = CliRunner()
    base = ["verify", "--latex", RIDGE, "--wrt", "w", "--against", "ridge_code:grad", "--json"]
    mapped = runner.invoke(app, [*base, "--arg", "lam=lambda", "--points", "200"])
    assert mapped.exit_code == 0, mapped.output
    unmapped = runner.invoke(app, [*base, "--points", "200"])
    assert unmapped.exit_code == 0, unmapped.output  # not checked is not a failure...
    assert '"not_checked": 1' in unmapped.stdout and '"exit_code": 0' in unmapped.stdout
    strict = runner.invoke(app, [*base, "--points", "200", "--strict"])
    assert strict.exit_code == 1  # ...unless --strict
    assert '"exit_code": 1' in strict.stdout


def test_verify_cli_declares_a_symmetric_matrix_with_s(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from symml.cli import app

    (tmp_path / "quad_code.py").write_text(
        "def grad(A, w):\n    return 2 * A @ w\n", encoding="utf-8"
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("SYMML_NO_CACHE", "1")
    runner = CliRunner()
    base = ["verify", "--latex", QUAD, "--wrt", "w", "--against", "quad_code:grad"]
    declared = runner.invoke(app, [*base, "-s", "A=symmetric", "--points", "200"])
    assert declared.exit_code == 0, declared.output
    assert declared.output.startswith("verified_numerically: quad_code:grad: gradient agrees")
    undeclared = runner.invoke(app, [*base, "--points", "200"])
    assert undeclared.exit_code == 1, undeclared.output
    assert "refuted" in undeclared.output
    assert "holds if A is symmetric: declare -s A=symmetric" in undeclared.output
    spd = runner.invoke(app, [*base, "-s", "A=spd[n]", "--points", "200"])
    assert spd.exit_code == 0, spd.output
