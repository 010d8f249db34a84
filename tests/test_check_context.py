"""Context, like a reader's: the registry's quantities by meaning, and sampling domains.

Each row is a short document in one author's style (MyST dollars, kramdown-escaped
``\\\\( \\\\)`` as in the CS231n notes, LaTeX environments, plain textbook prose); the row
says the status of its last formula, and for a refutation the registry entry given as the
correction. The guards are formulas that look like a restated quantity but are a
condition, an assumption or another use of the name: never refuted.
"""

from __future__ import annotations

import pytest

from symml.documents import Status, check_text

OK, VERIFIED, REFUTED, UNCHECKED = Status.OK, Status.VERIFIED, Status.REFUTED, Status.UNCHECKED

NORMAL = r"\frac{1}{\sqrt{2\pi\sigma^2}} e^{-\frac{(x-\mu)^2}{2\sigma^2}}"

# (id, document, status of the last formula, registry entry of the correction or None)
CASES = [
    # --- the normal density by meaning
    (
        "normal-myst",
        rf"The Gaussian density is $\mathcal{{N}}(x; \mu, \sigma^2) = {NORMAL}$.",
        VERIFIED,
        None,
    ),
    (
        "normal-mid-display",
        "The likelihood of one point is\n\n$$\n\\mathcal{N}(x \\mid \\mu, \\sigma^2) = "
        "\\frac{1}{\\sigma\\sqrt{2\\pi}} \\exp\\left(-\\frac{(x-\\mu)^2}{2\\sigma^2}\\right)\n$$\n",
        VERIFIED,
        None,
    ),
    (
        "normal-kramdown-standard",
        r"The standard normal is \\(\mathcal{N}(x; 0, 1) = \frac{1}{\sqrt{2\pi}} e^{-x^2/2}\\).",
        VERIFIED,
        None,
    ),
    (
        "normal-chain-environment",
        "\\begin{equation}\n\\mathcal{N}(x; \\mu, \\sigma^2) = "
        + NORMAL
        + " = \\frac{1}{\\sigma\\sqrt{2\\pi}} e^{-\\frac{1}{2}\\left(\\frac{x-\\mu}{\\sigma}"
        "\\right)^2}\n\\end{equation}\n",
        VERIFIED,
        None,
    ),
    (
        "normal-by-standard-deviation",  # N(x; mu, sigma): the third argument read as sigma
        r"Here $\mathcal{N}(x; \mu, \sigma) = \frac{1}{\sqrt{2\pi}\sigma} "
        r"e^{-\frac{(x-\mu)^2}{2\sigma^2}}$.",
        VERIFIED,
        None,
    ),
    (
        "normal-missing-2",
        r"The density is $\mathcal{N}(x; \mu, \sigma^2) = \frac{1}{\sqrt{2\pi\sigma^2}} "
        r"e^{-\frac{(x-\mu)^2}{\sigma^2}}$.",
        REFUTED,
        "normal_pdf",
    ),
    (
        "normal-sigma-under-root",
        r"so that \\(\mathcal{N}(x \mid \mu, \sigma^2) = \frac{1}{\sqrt{2\pi\sigma}} "
        r"e^{-\frac{(x-\mu)^2}{2\sigma^2}}\\)",
        REFUTED,
        "normal_pdf",
    ),
    (
        "normal-standard-wrong",
        r"and the standard normal, $\mathcal{N}(x; 0, 1) = \frac{1}{\sqrt{2\pi}} e^{-x^2}$.",
        REFUTED,
        "normal_pdf",
    ),
    (
        "normal-after-its-name",
        rf"so $p(x) = \mathcal{{N}}(x; \mu, \sigma^2) = {NORMAL}$",
        VERIFIED,
        None,
    ),
    (
        "normal-after-its-name-wrong",
        r"so $p_\theta(x \mid z) = \mathcal{N}(x; \mu, \sigma^2) = \frac{1}{\sqrt{2\pi\sigma^2}} "
        r"e^{-\frac{(x-\mu)^2}{\sigma^2}}$",
        REFUTED,
        "normal_pdf",
    ),
    # guards: an assumption, a law (not a density), a density named p, another N
    (
        "normal-assumed",
        r"Assume that $\mathcal{N}(x; \mu, \sigma^2) = \frac{1}{2} e^{-x^2}$.",
        UNCHECKED,
        None,
    ),
    (
        "normal-as-law",
        r"The prior $\mathcal{N}(\mu, \sigma^2) = \mathcal{N}(0, 1)$ here.",
        UNCHECKED,
        None,
    ),
    (
        "normal-multivariate",
        r"$\mathcal{N}(z; 0, I) = \frac{1}{(2\pi)^{d/2}} e^{-\|z\|^2/2}$",
        UNCHECKED,
        None,
    ),
    ("density-named-p", r"Then $p(x) = \mathcal{N}(x; \mu, \sigma^2)$.", OK, None),
    (
        "normal-with-its-constant",  # 1/Z: the text's own constant, not a wrong form
        r"$\mathcal{N}(x; \mu, \sigma^2) = "
        r"\frac{1}{Z} \exp\left(-\frac{(x-\mu)^2}{2\sigma^2}\right)$",
        UNCHECKED,
        None,
    ),
    (
        "normal-full-covariance",
        r"$\mathcal{N}(x; \mu, \Sigma) = \frac{1}{\sqrt{(2\pi)^k |\Sigma|}} "
        r"\exp\left(-\frac{1}{2} (x-\mu)^T \Sigma^{-1}(x-\mu)\right)$",
        OK,
        None,
    ),
    (
        "normal-then-approx",
        rf"$\mathcal{{N}}(x; \mu, \sigma^2) = {NORMAL} \approx 0.4$",
        UNCHECKED,
        None,
    ),
    ("neighbourhood-N", r"and $\mathcal{N}(i) = 2 k$ neighbours", OK, None),
    # --- softmax
    (
        "softmax-myst",
        r"$\operatorname{softmax}(z)_i = \frac{e^{z_i}}{\sum_j e^{z_j}}$",
        VERIFIED,
        None,
    ),
    (
        "softmax-text-bold",
        r"\\(\text{softmax}(\mathbf{z})_i = \frac{\exp(z_i)}{\sum_{j=1}^K \exp(z_j)}\\)",
        VERIFIED,
        None,
    ),
    (
        "softmax-length-n",  # the text's n for the registry's K
        r"$\mathrm{softmax}(\mathbf{x})_i = \frac{\exp(x_i)}{\sum_{j=1}^{n}\exp(x_j)}$",
        VERIFIED,
        None,
    ),
    (
        "softmax-length-n-wrong",
        r"$\mathrm{softmax}(\mathbf{x})_i = \frac{\exp(x_i)}{\sum_{j=1}^{n} x_j}$",
        REFUTED,
        "softmax",
    ),
    (
        "softmax-bound-i",  # the bound i of the sum is a dummy: the same value
        r"$\operatorname{softmax}(z)_i = \frac{e^{z_i}}{\sum_i e^{z_i}}$",
        VERIFIED,
        None,
    ),
    (
        "softmax-no-exp-below",
        r"$\operatorname{softmax}(z)_i = \frac{e^{z_i}}{\sum_j z_j}$",
        REFUTED,
        "softmax",
    ),
    (
        "softmax-sum-of-the-same",
        r"$\operatorname{softmax}(z)_i = \frac{e^{z_i}}{\sum_j e^{z_i}}$",
        REFUTED,
        "softmax",
    ),
    (
        "softmax-defined-wrong",
        "We define\n\n$$\n\\operatorname{softmax}(z_i) = \\frac{e^{z_i}}{\\sum_j z_j}\n$$\n",
        REFUTED,
        "softmax",
    ),
    # guards: a temperature is the author's own softmax; a stable form with max
    (
        "softmax-temperature",
        r"$\operatorname{softmax}(z_i) = \frac{e^{z_i/T}}{\sum_j e^{z_j/T}}$",
        OK,
        None,
    ),
    (
        "softmax-stable",
        r"$\operatorname{softmax}(z)_i = \frac{e^{z_i - \max_j z_j}}{\sum_j e^{z_j - \max_k z_k}}$",
        UNCHECKED,
        None,
    ),
    # --- variance over lowercase variables: holds if independent, never refuted
    (
        "var-weighted-sum",
        r"$$\mathrm{Var}(\sum_i w_i x_i) = \sum_i w_i^2 \mathrm{Var}(x_i)$$",
        UNCHECKED,
        None,
    ),
    (
        "var-dropped-means",  # true only with zero means (the text assumes it): not refuted
        r"\\(\text{Var}(w_i x_i) = \text{Var}(x_i)\text{Var}(w_i)\\)",
        UNCHECKED,
        None,
    ),
    ("var-scaled", r"$\mathrm{Var}(a x) = a^2 \mathrm{Var}(x)$", VERIFIED, None),
    ("var-capital", r"$\operatorname{Var}(X) = \mathbb{E}[X^2] - \mathbb{E}[X]^2$", VERIFIED, None),
    (
        "var-capital-wrong",
        r"$\operatorname{Var}(X) = \mathbb{E}[X^2] + \mathbb{E}[X]^2$",
        REFUTED,
        None,
    ),
    # --- domains: points where a log, root or arcsine is not real are drawn again
    (
        "log-of-a-difference",
        r"Expanding, $\log(x - y - z) = \log x + \log(1 - \frac{y + z}{x})$.",
        VERIFIED,
        None,
    ),
    (
        "log-of-a-difference-wrong",
        "\\begin{equation}\n\\log(x - y - z) = \\log x - \\log(y + z)\n\\end{equation}\n",
        REFUTED,
        None,
    ),
    (
        "sqrt-of-a-difference-wrong",
        r"Then \\(\sqrt{x - y - z} = \sqrt{x} - \sqrt{y + z}\\)",
        REFUTED,
        None,
    ),
    ("arcsin-odd", r"and $\arcsin(x + y + z) = -\arcsin(-x - y - z)$", VERIFIED, None),
    (
        "arcsin-is-not-arccos",
        "We then have `arcsin(x + y + z) = arccos(x + y + z)` for the angle.",
        REFUTED,
        None,
    ),
    ("plain-sqrt-wrong", "As code: `sqrt(x - y - z) = sqrt(x) - sqrt(y + z)`.", REFUTED, None),
    # a leaky slope is below 1 unsaid: never refuted. The registry's LeakyReLU has the slope
    # 0.01, the text an alpha: they agree for positive x only, so the first step is not
    # verified either (it was, with x drawn in (0.1, 0.9) alone)
    (
        "leaky-relu-cases",
        r"$\operatorname{LeakyReLU}(x) = \max(\alpha x, x) = \begin{cases} x & x > 0 \\ "
        r"\alpha x & x \leq 0 \end{cases}$",
        UNCHECKED,
        None,
    ),
    (
        "leaky-relu-steps",
        r"$\max(\alpha x, x) = \begin{cases} x & x > 0 \\ "
        r"\alpha x & x \leq 0 \end{cases}$",
        VERIFIED,
        None,
    ),
    ("relu-is-not-x", r"$\max(0, x) = x$", UNCHECKED, None),
]


@pytest.mark.parametrize(
    ("text", "status", "entry"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_last_formula(text, status, entry):
    last = check_text(text)[-1]
    assert last.status is status, (last.status, last.message)
    if status is REFUTED and entry is not None:
        from symml.registry import get

        assert last.correction == get(entry).latex
        assert last.registry in (entry, None)


def test_normal_refutation_names_the_registry():
    text = (
        r"$\mathcal{N}(x; \mu, \sigma^2) = \frac{1}{\sqrt{2\pi\sigma}} "
        r"e^{-(x-\mu)^2/(2\sigma^2)}$"
    )
    last = check_text(text)[-1]
    assert last.status is REFUTED
    assert last.registry == "normal_pdf"
    assert "normal density" in last.message and "sigma = " in last.message


def test_independence_is_said():
    text = r"$$\mathrm{Var}(\sum_i w_i x_i) = \sum_i w_i^2 \mathrm{Var}(x_i)$$"
    assert "holds if the x_i are independent" in check_text(text)[-1].message


def test_cs231n_variance_of_a_product():
    # CS231n (neural-networks-2) writes E(w_i) beside Var: the expectation; true for
    # independent w_i, x_i only, so said and not refuted
    text = (
        r"\\(\text{Var}(w_i x_i) = [E(w_i)]^2\text{Var}(x_i) + [E(x_i)]^2\text{Var}(w_i)"
        r" + \text{Var}(x_i)\text{Var}(w_i)\\)"
    )
    last = check_text(text)[-1]
    assert last.status is UNCHECKED
    assert "holds if the w_i, the x_i are independent" in last.message


# --- an environment inside a line of prose (amsmath reads it only at a block's start)


def test_environment_mid_line_is_found_where_it_is():
    from symml.documents import extract

    text = (
        "Para one, as \\begin{equation} (a+b)^2 = a^2 + 2ab + b^2 \\end{equation} shows, and\n"
        "the wrong one \\begin{equation*}(a+b)^2 = a^2 + b^2\\end{equation*} too.\n"
        "\n"
        "Rows: \\begin{align} x^2 - 1 &= (x-1)(x+1) \\\\ &= x^2 + 1 \\end{align} end.\n"
    )
    found = [(f.line, f.column, f.latex) for f in extract(text, "markdown")]
    assert found[:2] == [(1, 31, "(a+b)^2 = a^2 + 2ab + b^2"), (2, 32, "(a+b)^2 = a^2 + b^2")]
    assert [(f[0], f[1]) for f in found[2:]] == [(4, 21), (4, 46)]
    statuses = [c.status for c in check_text(text)]
    assert statuses == [VERIFIED, REFUTED, VERIFIED, REFUTED]


def test_environment_shown_in_code_is_not_math():
    text = "Write `\\begin{equation} a = b \\end{equation}` to number it.\n"
    assert check_text(text) == []


def test_latex_paper_style():
    tex = (
        "\\documentclass{article}\n\\begin{document}\nThe density is\n\\begin{equation}\n"
        "\\mathcal{N}\\left(x; \\mu, \\sigma^2\\right) = \\frac{1}{\\sqrt{2\\pi\\sigma^2}} "
        "\\exp\\left(-\\frac{(x-\\mu)^2}{2\\sigma^2}\\right)\n\\end{equation}\n"
        "and $\\mathcal N(x | \\mu, \\sigma^2) = \\frac{1}{\\sqrt{2\\pi}\\sigma} "
        "e^{-(x-\\mu)^2/\\sigma^2}$.\n\\end{document}\n"
    )
    checks = check_text(tex, source="paper.tex")
    assert [(c.line, c.column, c.status) for c in checks] == [(5, 1, VERIFIED), (7, 5, REFUTED)]
    assert checks[1].registry == "normal_pdf" and checks[1].correction is not None


def test_cs231n_variance_derivation_is_never_refuted():
    # the derivation assumes independence, zero means and identical laws, some of it said
    # only after the display: no step is refuted, the independent step says so
    from pathlib import Path

    text = (Path(__file__).parent / "data" / "ctx_cs231n_variance.md").read_text("utf-8")
    checks = check_text(text, source="neural-networks-2.md")
    assert not [c for c in checks if c.status in (REFUTED, Status.ERROR)]
    by_line = {c.line: c for c in checks if c.latex.startswith("\\text{Var}(\\sum")}
    assert "holds if the w_i, the x_i are independent" in by_line[7].message
    scaled = [c for c in checks if c.latex == "\\text{Var}(aX) = a^2\\text{Var}(X)"]
    assert [c.status for c in scaled] == [VERIFIED]


# --- symml check lists bare notation only with --all (JSON keeps every formula)


def test_check_lists_notation_only_with_all(tmp_path):
    import json

    from click.testing import CliRunner

    from symml.cli import app

    doc = tmp_path / "sets.md"
    doc.write_text(
        r"The set $\Omega$ holds $(a+b)^2 = a^2 + 2ab + b^2$ here." + "\n", encoding="utf-8"
    )
    runner = CliRunner()
    short = runner.invoke(app, ["check", str(doc), "--no-cache"])
    every = runner.invoke(app, ["check", str(doc), "--no-cache", "--all"])
    data = runner.invoke(app, ["check", str(doc), "--no-cache", "--json"])
    assert short.exit_code == every.exit_code == data.exit_code == 0, short.output
    assert "\\Omega" not in short.output and "(a+b)^2" in short.output
    assert "1 notation row not listed (--all lists them)" in short.output
    assert "\\Omega" in every.output and "not listed" not in every.output
    assert [e["latex"] for e in json.loads(data.output)] == ["\\Omega", "(a+b)^2 = a^2 + 2ab + b^2"]
