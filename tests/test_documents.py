"""The document checker: extraction with positions, broken blocks, claims, the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from symml.documents import FormulaCheck, Status, check_document, extract, summary

DATA = Path(__file__).parent / "data" / "documents"
DOCUMENTS_DIR = Path(__file__).resolve().parents[1] / "formulas" / "documents"  # the project's copy

OK, VERIFIED, REFUTED = Status.OK, Status.VERIFIED, Status.REFUTED
UNPARSED, BROKEN, UNCHECKED = Status.UNPARSED, Status.BROKEN, Status.UNCHECKED


@pytest.fixture(scope="module")
def checked() -> dict[str, list[FormulaCheck]]:
    return {p.name: check_document(p) for p in sorted(DATA.glob("*.md"))}


def _table(checks: list[FormulaCheck]) -> list[tuple[int, int, Status]]:
    return [(c.line, c.column, c.status) for c in checks]


# --------------------------------------------------------------------------- small documents

EXPECTED = {
    "broken.md": [
        (2, 8, OK),  # $a = b$ before the broken blocks
        (3, 1, BROKEN),  # $$ that swallows the heading of line 4
        (7, 1, OK),  # the next block is found as if nothing happened
        (9, 1, BROKEN),  # an empty block
        (11, 6, VERIFIED),  # inline $$...$$ on a prose line
        (12, 1, BROKEN),  # split by the blank line 14, closed at 16
        (17, 6, OK),  # $y = 2$ after it: not swallowed
        (18, 1, BROKEN),  # never closed
    ],
    "claims.md": [
        (4, 1, OK),  # sigma defined
        (7, 7, VERIFIED),  # sigma'(x) = sigma(x)(1 - sigma(x))
        (7, 55, REFUTED),  # d/dx x^3 = 2x^2
        (10, 1, VERIFIED),  # Gaussian integral
        (13, 19, REFUTED),  # (a + b)^2 = a^2 + b^2
        (16, 1, OK),  # align row 1: f(x, y) = x^2 y
        (17, 1, VERIFIED),  # align row 2: df/dx = 2xy
        (21, 1, REFUTED),  # equation*: df/dy = x
        (24, 1, VERIFIED),  # 0 <= x^2
        (25, 1, REFUTED),  # x^2 < 1
        (27, 1, UNPARSED),  # \bogus
    ],
    "fences.md": [
        (4, 1, OK),  # σ(x) = 1 / (1 + e^(-x))
        (7, 18, VERIFIED),  # `σ'(x) = σ(x)(1 - σ(x))`; `np.exp(x)` and `x == y` are code
        (15, 1, OK),  # f(x) = x²   (the python fence above is not math)
        (16, 1, VERIFIED),  # ∂f/∂x = 2x
        (17, 1, REFUTED),  # ∂f/∂x = 3x
        (18, 1, VERIFIED),  # σ'(x) = ... with its continuation line joined
        (20, 1, UNPARSED),  # prose, not a formula
        (29, 1, OK),  # σ(z), the registry's sigmoid
        (30, 1, OK),  # h(x) = σ(wᵀx + b): x is a vector
        (31, 1, OK),  # J(w), the logistic loss over samples x_i
        (32, 1, VERIFIED),  # its gradient, right (h(x_i) is sigma(w^T x_i + b))
        (33, 1, REFUTED),  # the gradient without x_ij
    ],
    "tables.md": [
        (3, 13, OK),  # 1/(1+e^-x), matched to the registry's sigmoid
        (3, 26, VERIFIED),  # range (0, 1)
        (3, 35, VERIFIED),  # derivative f(x)(1-f(x))
        (4, 10, OK),  # tanh
        (4, 38, REFUTED),  # range (0, 1) is wrong for tanh
        (4, 47, REFUTED),  # derivative 1 + f(x)^2 is wrong
    ],
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_small_documents(name: str, checked: dict[str, list[FormulaCheck]]) -> None:
    assert _table(checked[name]) == EXPECTED[name]


def test_messages_say_why(checked: dict[str, list[FormulaCheck]]) -> None:
    by_line = {(c.line, c.column): c for c in checked["claims.md"]}
    assert "same as registry: sigmoid" in by_line[4, 1].message
    assert by_line[4, 1].registry == "sigmoid"
    assert "seed 0" in by_line[7, 55].message and "x = " in by_line[7, 55].message
    assert "unknown command \\bogus" in by_line[27, 1].message
    broken = {c.line: c.message for c in checked["broken.md"] if c.status is BROKEN}
    assert "heading at line 4" in broken[3]
    assert "empty" in broken[9]
    assert "blank line 14" in broken[12]
    assert "end of the document" in broken[18]
    assert "prose" in checked["fences.md"][6].message


def test_labelled_fences_are_not_math() -> None:
    text = "```python\ny = x ** 2\n```\n```rust\nlet y = 3;\n```\n```\ny = 3x\n```\n"
    assert [(f.line, f.latex) for f in extract(text)] == [(8, "y = 3x")]


def test_undelimited_text_has_no_formulas() -> None:
    text = "import numpy as np\nx = np.array([1, 2])\n# w = (X^T X)^(-1) X^T y\n"
    assert extract(text) == []


def test_text_is_accepted_as_well_as_paths() -> None:
    checks = check_document("Let $$\\frac{d}{dx} x^2 = 2x$$ hold.", name="inline.md")
    assert [(c.document, c.line, c.column, c.status) for c in checks] == [
        ("inline.md", 1, 5, VERIFIED)
    ]


def test_summary_and_json(checked: dict[str, list[FormulaCheck]]) -> None:
    assert summary(checked["broken.md"], "broken.md") == (
        "broken.md: 8 found, 4 parsed, 1 verified, 0 refuted, 4 broken "
        "(by class: assignment 2, derivative 1, expression 1)"
    )
    entry = checked["claims.md"][2].to_json()
    assert set(entry) == {
        "document",
        "line",
        "column",
        "latex",
        "status",
        "message",
        "registry",
        "class",
    }
    assert entry["class"] == "derivative"
    assert entry["status"] == "refuted" and entry["document"] == "claims.md"


# --------------------------------------------------------------------------- CLI


def _cli(args: list[str], stdin: str | None = None):
    from click.testing import CliRunner

    from symml.cli import app

    return CliRunner().invoke(app, args, input=stdin)


def test_cli_json_and_exit_status() -> None:
    result = _cli(["check", str(DATA / "tables.md"), "--json"])
    assert result.exit_code == 1  # refuted claims
    data = json.loads(result.stdout)
    assert [(d["line"], d["status"]) for d in data][:3] == [
        (3, "ok"),
        (3, "verified"),
        (3, "verified"),
    ]


def test_cli_stdin_and_clean_document() -> None:
    result = _cli(["check", "-", "--json"], stdin="$$\n\\frac{d}{dx} x^2 = 2x\n$$\n")
    assert result.exit_code == 0
    assert json.loads(result.stdout)[0]["document"] == "<stdin>"


def test_cli_table_has_a_summary_line() -> None:
    result = _cli(["check", str(DATA / "broken.md")])
    assert result.exit_code == 1  # broken blocks
    assert "8 found, 4 parsed, 1 verified, 0 refuted, 4 broken" in result.stdout


def test_cli_missing_file_is_exit_2(tmp_path: Path) -> None:
    from symml.cli import main

    with pytest.raises(SystemExit) as exit_info:
        main(["check", str(tmp_path / "missing.md")])
    assert exit_info.value.code == 2


# --------------------------------------------------------------------------- the five documents

REAL_COUNTS = {"000": 46, "001": 105, "002": 0, "003": 9, "004": 44}


def _real(prefix: str) -> Path:
    return next(DOCUMENTS_DIR.glob(f"{prefix}_*.txt"))


@pytest.mark.parametrize("prefix", sorted(REAL_COUNTS))
def test_real_documents_formula_counts(prefix: str) -> None:
    text = _real(prefix).read_text(encoding="utf-8")
    assert len(extract(text, format="text")) == REAL_COUNTS[prefix]


def test_real_document_000_broken_blocks_and_resync() -> None:
    found = extract(_real("000").read_text(encoding="utf-8"), format="text")
    broken = [(f.line, f.problem) for f in found if f.problem]
    assert [line for line, _ in broken] == [47, 103]
    assert "heading at line 48" in broken[0][1]
    assert "'---' at line 104" in broken[1][1]
    lines = [f.line for f in found]
    assert 51 in lines and 109 in lines  # the formulas right after them are found
    table = [(f.line, f.role) for f in found if f.kind == "table"]
    assert table[:3] == [(69, "formula"), (69, "range"), (69, "derivative")]
    assert len([t for t in table if t[0] >= 170]) == 7  # the summary table


@pytest.mark.slow
@pytest.mark.parametrize(("prefix", "minimum"), [("000", 0.95), ("004", 0.95)])
def test_real_latex_documents_parse(prefix: str, minimum: float) -> None:
    checks = [c for c in check_document(_real(prefix)) if c.status is not BROKEN]
    latex = [c for c in checks if c.column and not _is_table(prefix, c.line)]
    parsed = [c for c in latex if c.status is not UNPARSED]
    assert len(parsed) >= minimum * len(latex), [c.latex for c in latex if c not in parsed]


def _is_table(prefix: str, line: int) -> bool:
    text = _real(prefix).read_text(encoding="utf-8").splitlines()[line - 1]
    return text.lstrip().startswith("|")


def test_comma_separated_conditions_are_a_system_not_a_claim() -> None:
    text = "```\nsubject to: yᵢ(wᵀxᵢ + b) ≥ 1 - ξᵢ, ξᵢ ≥ 0\n```\n"
    [check] = check_document(text)
    assert (check.line, check.column, check.status) == (2, 13, OK)
    assert "system of 2 conditions" in check.message and check.statement.value == "condition"


def test_stdin_text_that_names_a_file_is_checked_as_text(tmp_path):
    import subprocess
    import sys

    doc = tmp_path / "other.md"
    doc.write_text("$$\n\\frac{d}{dx} x^2 = 3x\n$$\n", encoding="utf-8")  # a false claim
    proc = subprocess.run(
        [sys.executable, "-m", "symml.cli", "check", "-", "--json"],
        input=str(doc),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr  # the text "<path>" has no formula to refute
    assert proc.stdout.strip() == "[]"


def test_a_binary_document_is_one_line_and_exit_2(tmp_path):
    import subprocess
    import sys

    doc = tmp_path / "blob.md"
    doc.write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe\x00\x80")
    proc = subprocess.run(
        [sys.executable, "-m", "symml.cli", "check", str(doc)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert proc.stderr.startswith("error:") and "not UTF-8" in proc.stderr
    assert proc.stderr.count("\n") == 1
