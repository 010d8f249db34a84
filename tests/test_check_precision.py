"""``symml check`` on writing it was not built around: no lost documents, no false alarms.

Isolation (one formula that breaks symml is one ``error`` row), the markdown-it reader
(code, front matter, HTML, kramdown ``\\\\(``), the document's own definitions and the
registry's quantities by meaning, the exit status, and a fuzz test that no document
makes ``check`` exit 2.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from symml.documents import (
    Statement,
    Status,
    check_document,
    check_text,
    exit_status,
    extract,
    listed,
    summarise,
)

DATA = Path(__file__).parent / "data"


def _rows(text: str, source: str = "doc.md") -> list[tuple[int, int, str]]:
    return [(c.line, c.column, c.status.value) for c in check_text(text, source=source)]


# --------------------------------------------------------------------------- isolation


def test_one_failing_formula_is_an_error_row_and_the_rest_is_checked(monkeypatch) -> None:
    import symml.documents._statements as statements

    real = statements.parse_formula

    def flaky(found, ctx, sentence=""):
        if "boom" in found.latex:
            raise TypeError("noncommutative scalars in MatMul")
        return real(found, ctx, sentence)

    monkeypatch.setattr("symml.documents._check.parse_formula", flaky)
    checks = check_text("$a_{boom} = 1$ then $$\\frac{d}{dx} x^2 = 2x$$", source="d.md")
    assert [c.status for c in checks] == [Status.ERROR, Status.VERIFIED]
    assert checks[0].message == (
        "symml failed on this formula: TypeError: noncommutative scalars in MatMul"
    )
    assert "Traceback" in checks[0].debug and "debug" not in checks[0].to_json()
    assert exit_status(checks) == 1


def test_debug_prints_the_traceback_of_a_failing_formula_and_only_then(
    monkeypatch, tmp_path: Path
) -> None:
    from click.testing import CliRunner

    from symml.cli import app

    def failing(found, ctx, sentence=""):
        raise TypeError("noncommutative scalars in MatMul")

    monkeypatch.setattr("symml.documents._check.parse_formula", failing)
    doc = tmp_path / "d.md"
    doc.write_text("Text, then $a = 1$.\n", encoding="utf-8")
    plain = CliRunner().invoke(app, ["check", str(doc), "--no-cache", "--json"])
    debug = CliRunner().invoke(app, ["--debug", "check", str(doc), "--no-cache", "--json"])
    assert plain.exit_code == debug.exit_code == 1
    assert plain.stdout == debug.stdout  # the records are the same; only stderr differs
    [record] = json.loads(debug.stdout)
    assert record["status"] == "error" and "debug" not in record
    assert plain.stderr == ""
    head, *trace = debug.stderr.splitlines()
    assert head == f"{doc}: 1:12:"
    assert trace[0] == "Traceback (most recent call last):"
    assert trace[-1] == "TypeError: noncommutative scalars in MatMul"
    assert any("in failing" in line for line in trace)


_PIECES = st.sampled_from(
    [
        "$x$",
        "$$",
        "\\\\(",
        "\\\\)",
        "\\(",
        "\\)",
        "$\\frac{",
        "}$",
        "\n\n",
        "# h\n",
        "```\n",
        "| a | b |\n",
        "|---|---|\n",
        "`code`",
        "---\n",
        "<div>",
        "</div>",
        "\\begin{align}",
        "\\end{align}",
        "&=",
        "\\\\",
        " = ",
        "\\sigma(x)",
        "\\int",
        "\\sum_{i}",
        "p_{ij}(x)",
        "\\mathbf{I}",
        "\\Lambda",
        "0.27",
        "\\approx",
        "\\geq 0",
        "for",
        "assume",
        "x^{",
        "\\left(",
    ]
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_PIECES, max_size=14))
def test_no_document_raises(pieces: list[str]) -> None:
    text = " ".join(pieces)
    checks = check_text(text, source="fuzz.md", timeout=10)
    assert exit_status(checks) in (0, 1)
    assert all(isinstance(c.message, str) and c.message for c in checks)


def test_cli_exits_2_only_for_an_unreadable_file(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from symml.cli import app

    doc = tmp_path / "odd.md"
    doc.write_text("$$\\frac{$$ and $\\int\\int$ and \\\\(\\\\)\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["check", str(doc), "--json"])
    assert result.exit_code in (0, 1), result.output


# --------------------------------------------------------------------------- the reader


def test_kramdown_escaped_inline_math_with_columns() -> None:
    text = "The score \\\\( s_j = f(x_i, W)_j \\\\) and \\\\(y_i \\in \\\\{ -1,1 \\\\}\\\\)."
    found = extract(text)
    assert [(f.line, f.column, f.latex) for f in found] == [
        (1, 11, "s_j = f(x_i, W)_j"),
        (1, 41, "y_i \\in \\{ -1,1 \\}"),
    ]


def test_code_front_matter_and_html_are_not_math() -> None:
    text = (
        "---\ntitle: $x = 1$\n---\n"
        "Inline `$a = b$` code, and $c = d$ math.\n\n"
        "```python\ny = $z$\n```\n\n"
        "<div>\n$e = f$\n</div>\n\n"
        "    $indented = code$\n"
    )
    assert [(f.line, f.latex) for f in extract(text)] == [(4, "c = d")]


def test_a_program_in_an_unlabelled_fence_is_not_math() -> None:
    text = "```\nimport numpy as np\nx = np.zeros(3)\n```\n\n```\niteration 0: loss 1.09\n```\n"
    assert extract(text) == []


def test_tables_and_environments() -> None:
    text = (
        "| name | formula |\n|---|---|\n| square | $x^2 \\geq 0$ |\n\n"
        "\\begin{align}\nL &= (a + b)^2 \\\\\n&= a^2 + 2ab + b^2\n\\end{align}\n"
    )
    assert _rows(text) == [(3, 12, "verified"), (6, 1, "ok"), (7, 1, "verified")]


def test_a_swallowed_heading_is_still_broken_and_the_rest_is_read() -> None:
    text = "$$\na = b\n# Heading\n\nThen $x^2 \\geq 0$.\n"
    assert _rows(text) == [(1, 1, "broken"), (5, 6, "verified")]


def test_latex_and_text_formats_keep_the_line_scanner() -> None:
    tex = "\\begin{equation}\n\\frac{d}{dx} x^2 = 2x\n\\end{equation}\n"
    assert _rows(tex, source="paper.tex") == [(2, 1, "verified")]
    assert _rows("Note $$(a+b)^2 = a^2 + b^2$$ here.", source="notes.txt") == [(1, 6, "refuted")]


# --------------------------------------------------------------------------- context, meaning


def test_a_function_defined_above_means_its_definition() -> None:
    text = (
        "Let $$\\sigma(x) = \\frac{1}{1 + \\exp(-x)}$$\n\n"
        "Then $$\\sigma(-x) = 1 + \\sigma(x)$$ is wrong but $$\\sigma(-x) = 1 - \\sigma(x)$$ "
        "holds, and $$\\tanh(x) = 2\\sigma(2x) - 1$$.\n"
    )
    checks = check_text(text, source="doc.md")
    assert [c.status for c in checks] == [Status.OK, Status.REFUTED, Status.VERIFIED, Status.OK]
    assert "same as registry: tanh" in checks[3].message


def test_kl_weighted_by_q_is_refuted_with_the_registry_form() -> None:
    wrong, right = check_text(
        "$$D_{KL}(P \\| Q) = \\sum_i q_i \\log \\frac{p_i}{q_i}$$\n\n"
        "$$KL(P||Q) = \\sum_i p_i \\log \\frac{p_i}{q_i}$$\n",
        source="doc.md",
    )
    assert wrong.status is Status.REFUTED and wrong.registry == "kl_divergence"
    assert wrong.correction is not None and "P(x)" in wrong.correction
    assert wrong.to_json()["correction"] == wrong.correction
    assert right.status is Status.OK and "same as registry: kl_divergence" in right.message


def test_values_given_in_the_text_check_a_worked_example() -> None:
    checks = check_document(DATA / "docs_cs231n_excerpt.md")
    by_status = {}
    for c in checks:
        by_status.setdefault(c.status, []).append(c.latex)
    assert Status.REFUTED not in by_status
    assert "f(x,y) = -12" in by_status[Status.VERIFIED]
    assert "\\frac{\\partial f}{\\partial y} = 4" in by_status[Status.VERIFIED]
    assert not any("iteration" in c.latex for c in checks)


# --------------------------------------------------------------------------- output


def test_notation_is_summarised_not_listed() -> None:
    checks = check_text("With $m$, $K$ and $(0, 1)$ we have $x^2 \\geq 0$.", source="d.md")
    assert [c.latex for c in listed(checks)] == ["x^2 \\geq 0"]
    assert len(listed(checks, everything=True)) == 4
    summary = summarise(checks)
    assert summary.notation == 3 and summary.by_class == {"notation": 3, "property": 1}
    assert "by class: notation 3, property 1" in summary.line("d.md")


def test_a_document_nothing_of_which_could_be_read_fails() -> None:
    assert exit_status(check_text("Only $\\bogus{x}$ here.", source="d.md")) == 1
    assert exit_status(check_text("No math at all.", source="d.md")) == 0


def test_statement_classes_are_in_the_json() -> None:
    [check] = check_text("$\\lambda > 0$", source="d.md")
    assert check.to_json()["class"] == "condition" and check.statement is Statement.CONDITION


@pytest.mark.parametrize("fmt", ["markdown", "latex", "text"])
def test_check_text_takes_the_format(fmt: str) -> None:
    [check] = check_text("$$\\frac{d}{dx} x^2 = 2x$$", source="<stdin>", format=fmt)
    assert check.status is Status.VERIFIED


# (document, status, registry entry): the registry's quantities recognised by meaning
MEANINGS = [
    (r"$$H(p) = -\sum_i p_i \log p_i$$", Status.OK, "entropy_nats"),
    (r"$$H(p) = \sum_i p_i \log p_i$$", Status.REFUTED, "entropy_nats"),
    (r"$$\mathrm{CE}(p, q) = -\sum_i p_i \log q_i$$", Status.OK, "cross_entropy_distributions"),
    (r"$$D_{KL}(p \| q) = \sum_i p_i \log_2 \frac{p_i}{q_i}$$", Status.OK, "kl_divergence_bits"),
    (r"$$\operatorname{softmax}(z)_i = \frac{e^{z_i}}{\sum_j e^{z_j}}$$", Status.VERIFIED, None),
    (r"$$\operatorname{softmax}(z)_i = \frac{e^{z_i}}{\sum_j e^{2 z_j}}$$", Status.REFUTED, None),
]


@pytest.mark.parametrize(("text", "status", "registry"), MEANINGS)
def test_registry_quantities_by_meaning(text: str, status: Status, registry: str | None) -> None:
    [check] = check_text(text, source="doc.md")
    assert (check.status, check.registry) == (status, registry), check.message


def test_written_lengths_of_sums_are_not_unified() -> None:
    [check] = check_text(r"$$\sum_{i=1}^n x_i = \sum_{j=1}^m x_j$$", source="doc.md")
    assert check.status is Status.UNCHECKED
