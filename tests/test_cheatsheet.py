"""Cheat-sheets: escaping, the LaTeX/Markdown emitters (golden files), robustness, PDF.

Golden files live in tests/golden/; regenerate them with ``SYMML_REGEN_GOLDEN=1 pytest
tests/test_cheatsheet.py`` and review the diff. TeX tests need latexmk or pdflatex on PATH
(CI installs texlive); PDF text is read back with pdftotext (poppler-utils).
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from symml.errors import SymmlError
from symml.sheets import escape, inline_display, math_ok, md_escape

# the module (``from symml import cheatsheet`` is the API function of the same name)
cs = importlib.import_module("symml.sheets")
GOLDEN = Path(__file__).parent / "golden"
REGEN = os.environ.get("SYMML_REGEN_GOLDEN", "") not in ("", "0")
HAS_TEX = bool(shutil.which("latexmk") or shutil.which("pdflatex"))
needs_tex = pytest.mark.skipif(not HAS_TEX, reason="no TeX engine (latexmk/pdflatex) on PATH")
SPECIAL_TITLE = "Loss % & _ # $ { } ~ ^ \\ <a|b> σ→μ"


def check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if REGEN or not path.exists():
        if not REGEN:
            pytest.fail(f"missing golden file {path}; run with SYMML_REGEN_GOLDEN=1")
        path.parent.mkdir(exist_ok=True)
        path.write_text(text)
    assert text == path.read_text(), f"{name} differs; SYMML_REGEN_GOLDEN=1 to regenerate"


# ------------------------------------------------------------------------------ escaping


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("plain", "plain"),
        ("50%", r"50\%"),
        ("R&D", r"R\&D"),
        ("x_1", r"x\_1"),
        ("#1", r"\#1"),
        ("$5", r"\$5"),
        ("{a}", r"\{a\}"),
        ("a~b", r"a\textasciitilde{}b"),
        ("a^b", r"a\textasciicircum{}b"),
        ("a\\b", r"a\textbackslash{}b"),
        ("σ(x)", r"\ensuremath{\sigma}(x)"),
        ("line\nbreak", "line break"),
        ("日", "[U+65E5]"),
    ],
    ids=lambda v: repr(v)[:20],
)
def test_escape(text: str, expected: str) -> None:
    assert escape(text) == expected


def test_md_escape() -> None:
    assert md_escape("x_1 *b* [l](u) $m$") == r"x\_1 \*b\* \[l\](u) \$m\$"


@pytest.mark.parametrize(
    ("latex", "ok"),
    [
        (r"\sigma(x) = \frac{1}{1 + e^{-x}}", True),
        (r"\text{softmax}(z)_i = \frac{e^{z_i}}{\sum_j e^{z_j}}", True),
        (r"\mathbb{E}_{x \sim p}[\log q(x)]", True),
        (r"\begin{cases} x & x > 0 \\ 0 & \text{else} \end{cases}", True),
        (r"\frac{1}{2", False),
        (r"\left( x", False),
        (r"\foo{x}", False),
        (r"a $b$", False),
        (r"a & b", False),
        (r"\begin{tikzpicture}\end{tikzpicture}", False),
        (r"x % comment", False),
    ],
)
def test_math_ok(latex: str, ok: bool) -> None:
    assert math_ok(latex) is ok


# ------------------------------------------------------------------------------ fakes


@dataclass(frozen=True)
class FakeClaim:
    kind: str
    wrt: str | None = None
    latex: str = ""
    erratum: str | None = None
    source: str | None = None


@dataclass(frozen=True)
class FakeFormula:
    """What the cheat-sheet reads from a registry Formula, with SymPy values."""

    name: str
    title: str
    latex: str
    lhs: Any
    rhs: Any
    claims: tuple = ()
    sources: tuple = ("001_ccc9e13ff71ddb5d.txt: 7. Activation Functions",)
    tags: tuple = ("activation",)
    file: str = "activations.toml"

    @property
    def expr(self) -> Any:
        return self.rhs

    def definition(self) -> Any:
        return self.rhs


@dataclass(frozen=True)
class FakeDerivation:
    textbook: Any
    steps: Any = None


@dataclass(frozen=True)
class FakeCheck:
    claim: Any
    status: str
    message: str


@dataclass(frozen=True)
class FakeFormulaReport:
    name: str
    checks: tuple


@dataclass(frozen=True)
class FakeReport:
    formulas: tuple
    errata: tuple = field(default=())


def fake_formulas() -> list[FakeFormula]:
    import sympy as sp

    from symml.functions import relu, softplus

    x = sp.Symbol("x", real=True)
    return [
        FakeFormula(
            "sigmoid",
            "Sigmoid",
            r"\sigma(x) = \frac{1}{1 + e^{-x}}",
            sp.Function("sigma")(x),
            1 / (1 + sp.exp(-x)),
            claims=(FakeClaim("derivative", "x", r"\sigma(x)(1 - \sigma(x))"),),
        ),
        FakeFormula(
            "relu",
            SPECIAL_TITLE,
            r"\operatorname{ReLU}(x) = \max(0, x)",
            sp.Function("ReLU")(x),
            relu(x),
            claims=(FakeClaim("derivative", "x"),),
        ),
        FakeFormula(
            "bad_latex",
            "Unusual macro",
            r"\myop{x} = x^2",
            sp.Function("f")(x),
            x**2,
            file="calculus.toml",
        ),
        FakeFormula(
            "softplus",
            "Softplus",
            r"\zeta(x) = \log(1 + e^{x})",
            sp.Function("zeta")(x),
            softplus(x),
            claims=(
                FakeClaim("derivative", "x", r"\sigma(x)"),
                FakeClaim(
                    "identity",
                    None,
                    r"\zeta(x) = \log_2(1 + e^{x})",
                    erratum="bits vs nats: the document uses log_2 here",
                    source="doc: 5%",
                ),
            ),
        ),
    ]


def fake_derive(formula: Any, wrt: str) -> FakeDerivation:
    import sympy as sp

    from symml.functions import sigmoid

    if formula.name == "sigmoid":
        x = sp.Symbol("x", real=True)
        steps = (
            r"\begin{align*} \sigma'(x) &= \frac{e^{-x}}{(1+e^{-x})^2} \\"
            r" &= \sigma(x)(1-\sigma(x)) \end{align*}"
        )
        return FakeDerivation(sigmoid(x) * (1 - sigmoid(x)), steps)
    return FakeDerivation(sp.diff(formula.rhs, sp.Symbol(wrt, real=True)))


def fake_verify(names: list[str]) -> FakeReport:
    (name,) = names
    check = FakeCheck(
        FakeClaim("derivative", "x"),
        "verified",
        f"symbolic + 2000 points, max rel. error 2e-16 vs hand-written {name}_prime",
    )
    errata = ()
    if name == "softplus":
        check2 = FakeCheck(FakeClaim("identity"), "erratum", "refuted as expected at x = 1")
        errata = (
            type(
                "E",
                (),
                {
                    "name": name,
                    "counterexample": "x = 1: 1.313 != 0.910",
                    "correction": r"\log(1 + e^{x})",
                },
            )(),
        )
        return FakeReport((FakeFormulaReport(name, (check, check2)),), errata)
    return FakeReport((FakeFormulaReport(name, (check,)),))


def fake_entry(formula: Any, steps: bool, verify: bool) -> cs.Entry:
    return cs.build_entry(
        formula, steps=steps, verify=verify, derive_fn=fake_derive, verify_fn=fake_verify
    )


def fake_sheet(**kw: Any) -> cs.Sheet:
    return cs.build_sheet(fake_formulas(), entry_fn=fake_entry, **kw)


# ------------------------------------------------------------------------------ golden


@pytest.mark.parametrize("fmt", ["tex", "md"])
def test_golden_fake_sheet(fmt: str) -> None:
    sheet = fake_sheet(steps=True)
    check_golden(f"cheatsheet_fake.{fmt}", cs.render(sheet, fmt))


def test_sheet_content() -> None:
    sheet = fake_sheet(steps=True)
    tex = cs.render(sheet, "tex")
    assert [t for t, _ in sheet.sections] == ["Activations", "Calculus"]
    assert escape(SPECIAL_TITLE) in tex
    assert r"\frac{d}{dx} \sigma(x) = " in tex  # the registry's own left side
    assert r"\begin{aligned}" in tex and "align*" not in tex  # steps fit a column
    assert "max rel. error 2e-16 vs hand-written sigmoid\\_prime" in tex
    assert r"\myop" not in tex and "f(x) = x^{2}" in tex  # SymPy fallback
    (erratum,) = sheet.errata
    assert erratum.counterexample == "x = 1: 1.313 != 0.910"
    assert erratum.correction == r"\log(1 + e^{x})"
    assert "Errata: what the documents got wrong" in tex


def test_steps_off_by_default() -> None:
    assert "aligned" not in cs.render(fake_sheet(), "tex")


def test_no_verify_has_no_marks_but_keeps_registry_errata() -> None:
    sheet = fake_sheet(verify=False)
    assert all(not e.marks for _, es in sheet.sections for e in es)
    assert [e.why for e in sheet.errata] == ["bits vs nats: the document uses log_2 here"]


# ------------------------------------------------------------------------------ robustness


def test_failures_become_marks() -> None:
    def broken_derive(formula: Any, wrt: str) -> Any:
        raise ZeroDivisionError("boom")

    def broken_verify(names: list[str]) -> Any:
        raise SymmlError("verifier exploded\nsecond line")

    entry = cs.build_entry(fake_formulas()[0], derive_fn=broken_derive, verify_fn=broken_verify)
    assert [m.status for m in entry.marks] == [cs.Status.FAILED, cs.Status.FAILED]
    # a bug's exception class means nothing to a student; symml's own message is kept
    assert entry.marks[0].text == (
        "the derivative in $x$ failed (a problem in symml, not in the document)"
    )
    assert entry.marks[1].text == "the verification failed: verifier exploded"
    assert entry.definition  # the entry is still there
    tex = cs.render(cs.Sheet((("T", (entry,)),)), "tex")
    assert "the derivative in $x$ failed" in tex and "ZeroDivisionError" not in tex


def test_time_budget_exhausted_marks_the_rest() -> None:
    sheet = cs.build_sheet(fake_formulas(), entry_fn=fake_entry, time_budget=0)
    marks = [m for _, es in sheet.sections for e in es for m in e.marks]
    assert marks and all(m.status is cs.Status.SKIPPED for m in marks)
    assert "time budget (0 s) ran out" in marks[0].text


def test_unknown_format() -> None:
    with pytest.raises(SymmlError, match="unknown cheat-sheet format 'html'; valid: tex, md"):
        cs.cheatsheet(["sigmoid"], fmt="html")


# ------------------------------------------------------------------------------ plots


def test_without_matplotlib_the_sheet_says_how_to_get_plots(monkeypatch, tmp_path) -> None:
    import importlib.util

    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(  # matplotlib is not installed, as far as symml can tell
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "matplotlib" else real_find_spec(name, *a),
    )
    sheet = cs.add_plots(fake_sheet(verify=False), fake_formulas(), tmp_path / "f", ext="pdf")
    assert "pip install symml[plots]" in cs.render(sheet, "tex").replace("\\", "")
    assert not (tmp_path / "f").exists()


def test_plots_drawn_from_expressions(tmp_path) -> None:
    pytest.importorskip("matplotlib")
    sheet = cs.add_plots(
        fake_sheet(verify=False), fake_formulas(), tmp_path / "s-figures", ext="pdf"
    )
    drawn = sorted(p.name for p in (tmp_path / "s-figures").iterdir())
    assert drawn == ["relu.pdf", "sigmoid.pdf", "softplus.pdf"]
    tex = cs.render(sheet, "tex")
    assert r"\graphicspath{{s-figures/}}" in tex and r"{sigmoid}}" in tex


def test_plot_curves_match_their_expressions() -> None:
    import numpy as np
    import sympy as sp

    from symml.sheets import Curve, lambdified

    x = sp.Symbol("x", real=True)
    curve = Curve("sigmoid", r"\sigma", 1 / (1 + sp.exp(-x)), x)
    xs = np.array([-2.0, 0.0, 3.0])
    s = 1 / (1 + np.exp(-xs))
    np.testing.assert_allclose(lambdified(curve.derivative, x)(xs), s * (1 - s), rtol=1e-14)


def test_lazy_imports() -> None:
    # the cheat-sheet modules load nothing heavy; symml --help never loads matplotlib
    code = "\n".join(
        [
            "import sys, symml.sheets",
            "bad = [m for m in ('matplotlib', 'sympy', 'numpy') if m in sys.modules]",
            "assert not bad, bad",
            "from symml.cli import main",
            "try:",
            "    main(['--help'])",
            "except SystemExit:",
            "    pass",
            "assert 'matplotlib' not in sys.modules",
        ]
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "cheatsheet" in result.stdout


# ------------------------------------------------------------------------------ PDF


def write_fake(tmp_path: Path, **kw: Any) -> Path:
    path = tmp_path / "sheet.tex"
    path.write_text(cs.render(fake_sheet(**kw), "tex"))
    return path


def test_no_tex_engine_names_the_packages(monkeypatch, tmp_path) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(cs.TexError, match="apt-get install texlive-latex-base .*latexmk"):
        cs.compile_pdf(write_fake(tmp_path))
    assert not (tmp_path / "sheet.pdf").exists()


@needs_tex
def test_special_title_compiles(tmp_path) -> None:
    pdf = cs.compile_pdf(write_fake(tmp_path, steps=True))
    assert pdf == tmp_path / "sheet.pdf" and pdf.read_bytes().startswith(b"%PDF")
    assert "Loss % & _ # $ { } ~ ^ \\ <a|b>" in _pdf_text(pdf)
    assert not list(tmp_path.glob(".sheet*"))  # no temporary files left


@needs_tex
def test_tex_error_quotes_the_log_line(tmp_path) -> None:
    path = tmp_path / "broken.tex"
    path.write_text("\\documentclass{article}\\begin{document}\\undefinedmacro\\end{document}\n")
    with pytest.raises(cs.TexError) as info:
        cs.compile_pdf(path)
    message = str(info.value)
    assert "Undefined control sequence" in message and "\\undefinedmacro" in message
    assert f"full log: {tmp_path / 'broken.log'}" in message
    assert (tmp_path / "broken.log").exists() and not (tmp_path / "broken.pdf").exists()


# ------------------------------------------------------------------------------ registry

REGISTRY_SET = ["sigmoid", "tanh", "relu", "softmax"]


@pytest.mark.parametrize("fmt", ["tex", "md"])
def test_golden_registry_sheet(fmt: str) -> None:
    # verification marks are left out (their wording belongs to verify.py's tests)
    text = cs.cheatsheet(REGISTRY_SET, fmt=fmt, verify=False)
    check_golden(f"cheatsheet_registry.{fmt}", text)


def test_registry_sheet_has_verification_marks_and_steps() -> None:
    tex = cs.cheatsheet(["sigmoid"], steps=True)
    assert r"\chk{\ok}{verified: " in tex
    assert "checked at up to 1000 sampled points (seed 0, relative tolerance" in tex
    assert "up to 1000 points" not in tex  # said once, in the legend
    assert "quotient rule" in tex  # the step-by-step derivation


def test_cli_writes_markdown_and_figures(tmp_path) -> None:
    out = tmp_path / "sheet.md"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "symml.cli",
            "cheatsheet",
            "-t",
            "activation",
            "--format",
            "md",
            "--no-verify",
            "-o",
            str(out),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == str(out)
    text = out.read_text()
    assert text.startswith("# symml cheat-sheet") and "$$" in text
    if importlib.util.find_spec("matplotlib"):
        assert "](sheet-figures/sigmoid.png)" in text
        assert (tmp_path / "sheet-figures" / "sigmoid.png").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_cli_pdf_needs_tex_format() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "symml.cli", "cheatsheet", "--pdf", "--format", "md"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert result.stderr.strip() == "error: --pdf compiles LaTeX: use it with --format tex"


def _pdf_text(pdf: Path, *, pages: bool = False) -> Any:
    """The PDF's text, whitespace collapsed (and its page count, from the form feeds)."""
    if not shutil.which("pdftotext"):
        pytest.fail("pdftotext is missing: apt-get install poppler-utils")
    raw = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
    # ligatures and typographic quotes are how TeX prints fi, ' and ''
    pairs = {"ﬁ": "fi", "ﬂ": "fl", "ﬀ": "ff", "ﬃ": "ffi", "ﬄ": "ffl", "’": "'", "‘": "'"}
    text = raw
    for lig, plain in pairs.items():
        text = text.replace(lig, plain)
    text = " ".join(text.split())
    return (text, raw.count("\f")) if pages else text


@pytest.mark.slow
@needs_tex
def test_full_registry_sheet_compiles_with_every_title(tmp_path) -> None:
    from symml.registry import formulas

    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "symml.cli",
            "cheatsheet",
            "--steps",
            "--pdf",
            "-o",
            str(tmp_path / "sheet.tex"),
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    pdf = tmp_path / "sheet.pdf"
    text, pages = _pdf_text(pdf, pages=True)
    assert pages >= 4, f"{pages} pages"
    import re

    def prose(title: str) -> list[str]:  # the words of a title; its $math$ is typeset
        return [" ".join(p.split()) for p in re.split(r"\$[^$]+\$", title) if p.strip()]

    missing = [f.title for f in formulas() if not all(w in text for w in prose(f.title))]
    assert not missing, f"titles not found in the PDF text: {missing}"
    assert "d/dx x^n" not in text and "alpha_bar_t" not in text  # titles are typeset
    assert "Errata: what the documents got wrong" in text


def test_marks_and_errata_from_a_real_report() -> None:
    from symml.registry import ClaimKind
    from symml.verification import CheckResult, Counterexample, FormulaReport, Report, Status

    formula = fake_formulas()[3]  # softplus, with an erratum claim
    why = "bits vs nats: the document uses log_2 here"
    checks = (
        CheckResult(
            "softplus",
            r"derivative wrt x (#1): \sigma(x)",
            Status.VERIFIED,
            "proved symbolically; max error 0.5 ULP",
            seed=0,
            points=2000,
            kind=ClaimKind.DERIVATIVE,
            index=0,
            wrt="x",
        ),
        CheckResult(
            "softplus",
            r"identity (#2): \zeta(x) = \log_2(1 + e^{x})",
            Status.ERRATUM,
            "confirmed erratum: ...",
            Counterexample({"x": 1.0}, 1.8946, 1.3133, "rtol 1e-12"),
            erratum=why,
            kind=ClaimKind.IDENTITY,
            index=1,
        ),
        CheckResult(
            "softplus", "handwritten m:f", Status.TIMEOUT, "ran out of time", handwritten="m:f"
        ),
    )
    report = Report((FormulaReport("softplus", checks),), seed=0)
    entry = cs.build_entry(formula, derive_fn=fake_derive, verify_fn=lambda names: report)
    assert [(m.status, m.text) for m in entry.marks] == [
        (cs.Status.VERIFIED, "verified: 1 claim (proved symbolically)"),
        (cs.Status.ERRATUM, "claim 2, the identity: the document is wrong here, see Errata"),
        (cs.Status.FAILED, "the document's code f: ran out of time"),
    ]
    assert (entry.marks[0].points, entry.marks[0].seed) == (2000, 0)
    (erratum,) = entry.errata
    assert erratum.why == why
    assert erratum.counterexample == (
        "at x = 1: the claim gives 1.8946, the correct value is 1.3133 (rtol 1e-12)"
    )


@needs_tex
def test_math_tex_rejects_is_replaced_by_a_note(tmp_path) -> None:
    bad = cs.Entry("bad", "Bad math", r"x^{2}^{3}", derivatives=(r"\frac{d}{dx} = 1",))
    sheet = cs.Sheet((("Topic", (bad,)),))
    path = tmp_path / "sheet.tex"
    text = cs.render(sheet, "tex")
    path.write_text(text)
    pdf = cs.compile_repairing(path, text, tmp_path / "sheet-figures")
    assert pdf.exists() and not (tmp_path / "sheet.log").exists()
    fixed = path.read_text()
    assert "x^{2}^{3}" not in fixed and r"\frac{d}{dx} = 1" in fixed
    assert "could not be typeset: Double superscript." in fixed


def test_softplus_is_plotted_beside_the_activations_even_if_no_document_has_it(tmp_path) -> None:
    pytest.importorskip("matplotlib")
    formulas = [f for f in fake_formulas() if f.name != "softplus"]
    sheet = cs.build_sheet(formulas, entry_fn=fake_entry, verify=False)
    sheet = cs.add_plots(sheet, formulas, tmp_path / "figs", ext="png")
    (extra,) = [e for _, es in sheet.sections for e in es if e.name == "softplus"]
    assert extra.plot == "softplus.png" and extra.title == "Softplus (not in the documents)"
    assert extra.derivatives == (r"\frac{d}{dx} \operatorname{softplus}(x) = \sigma\left(x\right)",)
    assert [t for t, es in sheet.sections if extra in es] == ["Activations"]


def test_cli_pdf_without_tex_fails_fast_naming_the_packages(tmp_path) -> None:
    empty = tmp_path / "bin"
    empty.mkdir()
    result = subprocess.run(
        [sys.executable, "-m", "symml.cli", "cheatsheet", "--pdf", "-o", str(tmp_path / "s.tex")],
        capture_output=True,
        text=True,
        env={**os.environ, "PATH": str(empty)},
    )
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "apt-get install texlive-latex-base texlive-latex-recommended" in result.stderr
    assert not (tmp_path / "s.tex").exists() and not (tmp_path / "s.pdf").exists()


def test_double_superscript_in_generated_steps_is_a_mark_not_a_tex_error() -> None:
    def derive_with_bad_steps(formula: Any, wrt: str) -> FakeDerivation:
        return FakeDerivation(fake_derive(formula, wrt).textbook, r"v' &= e^{{z}_{j}}^{2}")

    entry = cs.build_entry(
        fake_formulas()[0], steps=True, verify=False, derive_fn=derive_with_bad_steps
    )
    assert entry.derivatives and not entry.steps
    assert [m.text for m in entry.marks] == [
        "the steps in $x$ failed: the generated LaTeX has a double superscript; not typeset"
    ]


@pytest.mark.parametrize(
    ("latex", "expected"),
    [
        (
            r"\begin{align} a &= b \\ c &= d \end{align}",
            r"\begin{aligned} a &= b \\ c &= d \end{aligned}",
        ),
        (r"\begin{align*} a &= b \end{align*}", r"\begin{aligned} a &= b \end{aligned}"),
        (r"\begin{equation} x = 1 \label{eq:x} \end{equation}", "x = 1"),
        (r"\begin{gather} a \\ b \end{gather}", r"\begin{gathered} a \\ b \end{gathered}"),
        (r"x = 1", "x = 1"),
    ],
)
def test_display_environments_fit_inline_math(latex: str, expected: str) -> None:
    assert " ".join(inline_display(latex).split()) == expected
    assert math_ok(inline_display(latex))


# ------------------------------------------------------------------------------ issue 15: words


def test_titles_typeset_their_math() -> None:
    entry = cs.Entry("ddpm", r"DDPM: $\bar\alpha_t$ & $\nosuchmacro$", r"a_t = 1 - b_t")
    sheet = cs.Sheet((("Generative", (entry,)),))
    tex, md = cs.render(sheet, "tex"), cs.render(sheet, "md")
    assert r"{DDPM: $\bar\alpha_t$ \& \$\textbackslash{}nosuchmacro\$}" in tex
    assert r"### DDPM: $\bar\alpha_t$ & \$\\nosuchmacro\$" in md


def _registry_titles() -> list[tuple[str, str]]:
    from symml.registry import load_registry

    reg = load_registry(strict=False)
    return [(n, reg.get(n).title) for n in reg.names()]


@pytest.mark.parametrize(("name", "title"), _registry_titles(), ids=lambda v: v)
def test_registry_titles_write_math_as_latex(name: str, title: str) -> None:
    import re

    for segment in re.findall(r"\$([^$]+)\$", title):
        assert math_ok(segment), f"{name}: ${segment}$ would not compile"
    prose = re.sub(r"\$[^$]+\$", "", title)
    ascii_math = re.search(r"\^|d/d[a-z]|\b[a-z]_[a-z0-9]+\b(?!\w)|\balpha|\blambda\b", prose)
    # code names (002's cross_entropy) are names, not math
    assert ascii_math is None or "'s " in prose, f"{name}: ASCII math in {title!r}"


# What the verifier said on the sheet before issue 15 (SymPy text, symml's internals).
RAW_REASONS = [
    "cannot evaluate (delta_ik - softmax(z[k]))*exp(z[i])/Sum(exp(z[j]), (j, 1, K)): it "
    "applies unknown function(s) softmax",
    "cannot evaluate Derivative(f(g(x)), g(x))*Derivative(g(x), x): it applies unknown "
    "function(s) f, g",
    "cannot evaluate Limit(Sum(Abs(x[i] - y[i])**p, (i, 1, n))**(1/p), p, oo, dir='-'): it "
    "contains an unevaluated Limit",
    "entropy needs argument 'probabilities', which is not a symbol of the formula (symbols: "
    "n, x); an adapter maps the names",
    "cannot evaluate H(X) - H(Given(X, Y)): it applies unknown function(s) Given, H",
    "L is declared a function; an unknown function cannot be sampled",
    "RegistryError: formulas/optimization.toml: [adam]: field 'latex' is a relation or an "
    "aligned block, which has no single right-hand side",
    "DerivationError: cannot differentiate Sum((-y[_i_1, 0] + Sum(X[_i_1, _i_2]*w[_i_2, 0], "
    "(_i_2, 0, dim_w_rows - 1)))) with respect to 'w': it does not occur",
    "cannot evaluate Expectation(X*a + b): it applies unknown function(s) Expectation",
    "TypeError: unsupported operand type(s) for *: 'NoneType' and 'Symbol'",
]


@pytest.mark.parametrize("raw", RAW_REASONS, ids=lambda r: r[:40])
def test_skip_reasons_are_words_a_student_understands(raw: str) -> None:
    plain = cs.plain_reason(raw)
    assert not cs.is_technical(plain), plain
    for word in ("adapter", "Error", "Sum(", "[", "*", "declared", "symbols:"):
        assert word not in plain, plain


def test_a_function_of_symml_is_not_called_a_general_function() -> None:
    assert cs.plain_reason(RAW_REASONS[0]) == (
        "not computed at sample points: it uses softmax in a form symml cannot evaluate"
    )
    assert "f and g are general functions" in cs.plain_reason(RAW_REASONS[1])


def test_a_plain_reason_is_kept_as_written() -> None:
    said = "the document's code returns the gradient averaged over the batch, not summed"
    assert cs.plain_reason(said) == said


def _report_with(*checks: Any) -> Any:
    from symml.verification import FormulaReport, Report

    return Report((FormulaReport("softplus", checks),), seed=0)


def _check(status: str, message: str, **kw: Any) -> Any:
    from symml.registry import ClaimKind
    from symml.verification import CheckResult, Status

    kw.setdefault("kind", ClaimKind.IDENTITY)
    return CheckResult("softplus", "identity (#1): x", Status(status), message, **kw)


def test_no_sympy_text_reaches_the_sheet_whatever_the_verifier_says() -> None:
    formula = fake_formulas()[3]
    report = _report_with(
        _check("skipped", RAW_REASONS[0], index=0),
        _check("failed", "at z[k] = 1: Sum(exp(z[j])) = 2.0 but 3.0", index=1),
        _check("verified", "the left side agrees at Indexed(z, k)", index=2, seed=0, points=5),
    )
    entry = cs.build_entry(formula, derive_fn=fake_derive, verify_fn=lambda names: report)
    tex = cs.render(cs.Sheet((("T", (entry,)),)), "tex")
    marks = [m.text for m in entry.marks]
    assert not any(cs.is_technical(m) for m in marks), marks
    assert "Sum(" not in tex and "Indexed" not in tex and "z[k]" not in tex
    assert "claim 1, the identity: not computed at sample points" in marks[1]
    assert (
        marks[2] == "claim 2, the identity: refuted: 'symml verify softplus' gives the "
        "point and the values"
    )


def _verified(points: int, seed: int = 0, rtol: str = "1e-7") -> cs.Entry:
    mark = cs.Mark(cs.Status.VERIFIED, "verified: 1 claim", points=points, seed=seed, rtol=rtol)
    return cs.Entry(f"f{points}_{seed}", "F", "f(x) = x", marks=(mark,))


def test_sampling_is_stated_once_and_only_differences_are_shown() -> None:
    entries = (_verified(1000), _verified(1000), _verified(1), _verified(1000, seed=3))
    tex = cs.render(cs.Sheet((("T", entries),)), "tex")
    assert tex.count("1000 sampled points") == 1  # the legend
    assert "relative tolerance 1e-7" in tex and "up to 1 points" not in tex
    assert tex.count(r"\chk{\ok}{verified: 1 claim}") == 2
    assert r"\chk{\ok}{verified: 1 claim; at 1 point}" in tex
    assert r"\chk{\ok}{verified: 1 claim; seed 3}" in tex
    md = cs.render(cs.Sheet((("T", entries),)), "md")
    assert "Numbers checked at up to 1000 sampled points" in md and "at 1 point" in md


def test_documents_are_named_by_their_titles(tmp_path: Path) -> None:
    (tmp_path / "001_ab12cd34ef.txt").write_text('+++\ntitle = "Maths for ML"\n+++\n# Intro\n')
    (tmp_path / "002_ab12cd34ef.txt").write_text("\n# Linear Algebra\n## Vectors\n")
    (tmp_path / "003_ab12cd34ef.txt").write_text("Introduction\nMachine learning is ...\n")
    names = ["001_ab12cd34ef.txt", "002_ab12cd34ef.txt", "003_ab12cd34ef.txt", "004_x.txt"]
    titles = cs.document_titles(names, tmp_path)
    assert titles == {
        "001_ab12cd34ef.txt": "Maths for ML",
        "002_ab12cd34ef.txt": "Linear Algebra",
        "003_ab12cd34ef.txt": "Introduction",
    }
    entry = cs.Entry("f", "F", "f(x) = x", sources=tuple(f"{n}: 1.1 A" for n in names[:2]))
    sheet = cs.Sheet((("T", (entry,)),), documents=tuple(titles.items()))
    tex = cs.render(sheet, "tex")
    assert "Documents: [001] Maths for ML; [002] Linear Algebra}" in tex
    assert "ab12cd34ef" not in tex


def test_a_label_is_never_parted_from_its_formula() -> None:
    er = cs.Erratum("E", "doc: 1", r"x = 1", "why", correction=r"x = 2")
    tex = cs.render(cs.Sheet((), (er,)), "tex")
    assert "\\lead{The document says:}\n\\fitmath{x = 1}" in tex
    assert "\\lead{Correct:}\n\\fitmath{x = 2}" in tex
    assert r"\newcommand{\lead}[1]{{\scriptsize\color{gray}#1}\par\nopagebreak[4]}" in tex


def test_plots_name_the_function_its_derivative_and_the_axis(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    formulas = fake_formulas()
    sheet = cs.build_sheet(formulas, entry_fn=fake_entry, verify=False)
    sheet = cs.add_plots(sheet, formulas, tmp_path / "figs", ext="svg")
    svg = (tmp_path / "figs" / "sigmoid.svg").read_text()
    for label in (r"$\sigma(x)$", r"$\sigma'(x)$", "<!-- $x$ -->"):
        assert label in svg, label
    assert "<!-- derivative -->" not in svg


def test_cheatsheet_reports_progress_step_by_step() -> None:
    seen: list[tuple[str, int]] = []
    cs.cheatsheet(["sigmoid", "tanh"], fmt="md", verify=False, progress=lambda *a: seen.append(a))
    assert sorted(seen) == [("sigmoid", 2), ("tanh", 2)]
