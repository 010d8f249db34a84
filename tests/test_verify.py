"""verify(), the Report, errata, equiv, budgets, and the verify/equiv commands."""

from __future__ import annotations

import json
import sys
import textwrap

import numpy as np
import pytest
import sympy as sp
from click.testing import CliRunner

from symml.cli import app
from symml.errors import SymmlError, VerificationError
from symml.registry import load_registry
from symml.verification import (
    PASSING,
    CheckResult,
    FormulaReport,
    Report,
    Status,
    check_gradient,
    equiv,
    verify,
    verify_formula,
    verify_function,
)

x = sp.Symbol("x", real=True)
runner = CliRunner()


def _registry(tmp_path, toml: str):
    (tmp_path / "demo.toml").write_text(textwrap.dedent(toml), encoding="utf-8")
    return load_registry(tmp_path)


# ------------------------------------------------------------------- the registry


def test_sigmoid_every_check_gets_a_status():
    report = verify(["sigmoid"])
    (formula,) = report.formulas
    statuses = {c.claim: c.status for c in formula.checks}
    assert any(k.startswith("handwritten") for k in statuses)
    assert all(s in PASSING for s in statuses.values()), statuses
    derivative = next(c for c in formula.checks if c.claim.startswith("derivative wrt x (#1)"))
    assert derivative.status is Status.VERIFIED  # proved and checked
    assert derivative.points >= 1000 and derivative.seed == 0
    assert report.ok


def test_report_json_has_the_design_shape():
    data = verify("sigmoid").to_json()
    assert set(data) >= {"ok", "formulas", "errata"}
    assert data["formulas"][0]["name"] == "sigmoid"
    for check in data["formulas"][0]["checks"]:
        assert set(check) >= {"claim", "status", "message"}
        assert check["status"] in {s.value for s in Status}
    json.dumps(data)  # serialisable as is


def test_checks_say_what_they_checked_as_fields():
    from symml.registry import get

    formula = get("sigmoid")
    (report,) = verify("sigmoid").formulas
    code, *claims = report.checks
    assert (code.kind, code.index, code.handwritten) == (None, None, formula.handwritten)
    assert code.claim == f"handwritten {formula.handwritten}"
    first = formula.claims[0]
    assert (claims[0].kind, claims[0].index, claims[0].wrt) == (first.kind, 0, first.wrt)
    assert claims[0].claim == f"derivative wrt x (#1): {first.latex}"
    data = claims[0].to_json()
    assert (data["kind"], data["index"], data["wrt"], data["handwritten"]) == (
        "derivative",
        0,
        "x",
        None,
    )


def test_documented_errata_are_confirmed():
    report = verify(["cross_entropy_bits", "relu"], jobs=1)
    errata = {c.formula for c in report.errata}
    assert {"cross_entropy_bits", "relu"} <= errata
    for c in report.errata:
        assert c.erratum and c.counterexample is not None or "not differentiable" in c.message
    relu = next(c for c in report.errata if c.formula == "relu")
    assert "from the right is 1 and from the left 0" in relu.message


def test_an_erratum_that_stops_reproducing_fails(tmp_path):
    reg = _registry(
        tmp_path,
        r"""
        [square]
        title = "Square"
        latex = 'f(x) = x^2'
        symbols = { x = "real" }
        sources = ["test"]
        tags = ["test"]

        [[square.claims]]
        kind = "derivative"
        wrt = "x"
        latex = '2 x'
        erratum = "said to be wrong, but it is right"
        """,
    )
    rep = verify_formula(reg.get("square"), points=200)
    (check,) = rep.checks
    assert check.status is Status.FAILED
    assert "did not refute it" in check.message
    assert not rep.ok


_HW_ERRATUM_TOML = r"""
[tanh_demo]
title = "Tanh"
latex = 'f(x) = \frac{e^{x} - e^{-x}}{e^{x} + e^{-x}}'
symbols = { x = "real" }
sources = ["test"]
tags = ["test"]
handwritten = "HWMOD:{func}"
handwritten_erratum = "e^x overflows beyond |x| = 709.78: inf / inf is NaN"

[[tanh_demo.claims]]
kind = "derivative"
wrt = "x"
latex = '1 - f(x)^2'
handwritten = "HWMOD:{prime}"
handwritten_erratum = "said to be wrong"
"""


def _hw_registry(tmp_path, monkeypatch, func: str, prime: str):
    (tmp_path / "hw_demo_mod.py").write_text(
        textwrap.dedent(
            """
            import numpy as np

            def naive(x):
                return (np.exp(x) - np.exp(-x)) / (np.exp(x) + np.exp(-x))

            def stable(x):
                return np.tanh(x)

            def naive_prime(x):
                return 1 - naive(x) ** 2

            def stable_prime(x):
                return 1 - np.tanh(x) ** 2
            """
        ),
        encoding="utf-8",
    )
    # registry files may name only code under symml.handwritten: register the demo there
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "symml.handwritten.hw_demo_mod", tmp_path / "hw_demo_mod.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setitem(sys.modules, "symml.handwritten.hw_demo_mod", module)
    reg_dir = tmp_path / "reg"
    reg_dir.mkdir()
    toml = _HW_ERRATUM_TOML.replace("HWMOD", "symml.handwritten.hw_demo_mod")
    return _registry(reg_dir, toml.replace("{func}", func).replace("{prime}", prime))


def test_a_handwritten_erratum_is_confirmed(tmp_path, monkeypatch):
    reg = _hw_registry(tmp_path, monkeypatch, "naive", "naive_prime")
    rep = verify_formula(reg.get("tanh_demo"), points=300)
    by_claim = {c.claim: c for c in rep.checks}
    code = by_claim["handwritten symml.handwritten.hw_demo_mod:naive"]
    assert code.status is Status.ERRATUM, code.message
    assert code.message.startswith("confirmed erratum: ") and "nan" in code.message
    assert code.erratum == "e^x overflows beyond |x| = 709.78: inf / inf is NaN"
    assert code.counterexample is not None
    (claim,) = [
        c for c in rep.checks if c.claim.startswith("derivative") and "handwritten" not in c.claim
    ]
    assert claim.status in (Status.VERIFIED, Status.VERIFIED_NUMERICALLY)  # the claim is right
    ref = "symml.handwritten.hw_demo_mod:naive_prime"
    (prime,) = [c for c in rep.checks if c.claim.endswith(f"handwritten {ref}")]
    assert prime.handwritten == ref and prime.kind == "derivative" and prime.index == 0
    assert prime.status is Status.ERRATUM, prime.message
    assert rep.ok
    assert {c.claim for c in Report((rep,)).errata} == {code.claim, prime.claim}
    assert Report((rep,)).to_json()["errata"][0]["erratum"]


def test_a_handwritten_erratum_that_stops_reproducing_fails(tmp_path, monkeypatch):
    reg = _hw_registry(tmp_path, monkeypatch, "stable", "stable_prime")
    rep = verify_formula(reg.get("tanh_demo"), points=300)
    by_claim = {c.claim: c for c in rep.checks}
    code = by_claim["handwritten symml.handwritten.hw_demo_mod:stable"]
    assert code.status is Status.FAILED
    assert "erratum no longer reproduces" in code.message
    ref = "symml.handwritten.hw_demo_mod:stable_prime"
    (prime,) = [c for c in rep.checks if c.claim.endswith(f"handwritten {ref}")]
    assert prime.handwritten == ref and prime.kind == "derivative" and prime.index == 0
    assert prime.status is Status.FAILED and "no longer reproduces" in prime.message
    (claim,) = [
        c for c in rep.checks if c.claim.startswith("derivative") and "handwritten" not in c.claim
    ]
    assert claim.status in (Status.VERIFIED, Status.VERIFIED_NUMERICALLY)
    assert not rep.ok


@pytest.mark.parametrize(
    ("rhs", "status"),
    [
        (r"\begin{pmatrix} -2 & 1 \\ 1.5 & -0.5 \end{pmatrix}", Status.VERIFIED),
        (r"\begin{pmatrix} -2 & 1 \\ 1.5 & 0.5 \end{pmatrix}", Status.REFUTED),
    ],
)
def test_a_matrix_value_claim_is_checked_entrywise(tmp_path, rhs, status):
    reg = _registry(
        tmp_path,
        rf"""
        [inv]
        title = "Inverse"
        latex = 'M = \begin{{pmatrix}} 1 & 2 \\ 3 & 4 \end{{pmatrix}}'
        symbols = {{}}
        sources = ["test"]
        tags = ["test"]

        [[inv.claims]]
        kind = "value"
        latex = '\begin{{pmatrix}} 1 & 2 \\ 3 & 4 \end{{pmatrix}}^{{-1}} = {rhs}'
        """,
    )
    (check,) = verify_formula(reg.get("inv"), points=50).checks
    assert check.status is status, check.message
    if status is Status.REFUTED:
        assert "entry (2, 2)" in check.message


def test_a_handwritten_erratum_needs_handwritten(tmp_path):
    with pytest.raises(SymmlError, match="handwritten_erratum"):
        _registry(
            tmp_path,
            r"""
            [f]
            title = "F"
            latex = 'f(x) = x'
            symbols = { x = "real" }
            sources = ["test"]
            tags = ["test"]
            handwritten_erratum = "no code to be wrong"
            """,
        )


def test_a_wrong_claim_is_refuted_with_a_counterexample(tmp_path):
    reg = _registry(
        tmp_path,
        r"""
        [cube]
        title = "Cube"
        latex = 'f(x) = x^3'
        symbols = { x = "real" }
        sources = ["test"]
        tags = ["test"]

        [[cube.claims]]
        kind = "derivative"
        wrt = "x"
        latex = '3 x'

        [[cube.claims]]
        kind = "property"
        latex = 'x^3 \geq 0'
        """,
    )
    derivative, prop = verify_formula(reg.get("cube"), points=300).checks
    assert derivative.status is Status.REFUTED
    assert derivative.counterexample is not None
    assert "x" in derivative.counterexample.point
    assert prop.status is Status.REFUTED
    assert "fails at x = -" in prop.message


def test_unknown_name_and_no_names():
    with pytest.raises(SymmlError, match="did you mean"):
        verify(["sigmiod"])
    with pytest.raises(SymmlError, match="all=True"):
        verify()


def test_report_ok_semantics():
    def rep(*statuses):
        checks = tuple(CheckResult("f", f"c{k}", s, "") for k, s in enumerate(statuses))
        return Report((FormulaReport("f", checks),))

    assert rep(Status.VERIFIED, Status.ERRATUM, Status.SKIPPED).ok
    for bad in (Status.REFUTED, Status.FAILED, Status.UNSTABLE, Status.TIMEOUT):
        assert not rep(Status.VERIFIED, bad).ok
    assert rep(Status.ERRATUM).errata


@pytest.mark.slow
def test_worker_pool_matches_in_process_and_budget_times_out():
    names = ["sigmoid", "tanh"]
    pooled = verify(names, jobs=2, points=200)
    inline = verify(names, jobs=1, points=200)
    assert [c.status for c in pooled.checks] == [c.status for c in inline.checks]
    slow = verify(names, jobs=2, budget=0.01, points=200)
    assert {c.status for c in slow.checks} == {Status.TIMEOUT}
    assert "budget of 0.01 s" in slow.checks[0].message


# ------------------------------------------------------------------- the user's code


def test_check_gradient_raises_with_the_diagnosis():
    with pytest.raises(VerificationError, match=r"gradient is wrong at x = .*seed 0\)"):
        check_gradient(lambda x: np.sin(x), r"\sin(x)", "x")
    assert check_gradient(lambda x: np.cos(x), r"\sin(x)").status is Status.VERIFIED_NUMERICALLY


def test_check_gradient_needs_wrt_when_ambiguous():
    with pytest.raises(SymmlError, match="wrt"):
        check_gradient(lambda x, y: y, r"x y")


def test_overflow_with_right_values_is_noted_not_failed():
    result = verify_function(lambda x: 1 / (1 + np.exp(-x)), r"\frac{1}{1 + e^{-x}}")
    assert result.status is Status.VERIFIED_NUMERICALLY
    assert "overflow" in result.message and "values are right" in result.message
    assert result.ulp["yours"] <= 4


def test_ulp_errors_are_reported():
    result = verify_function(
        lambda x: np.log1p(np.exp(-np.abs(x))) + np.maximum(x, 0), sp.log(1 + sp.exp(x))
    )
    assert set(result.ulp) == {"generated", "yours"}
    assert result.ulp["generated"] <= 4


def test_tolerance_overrides_reach_the_check():
    loose = verify_function(lambda x: np.sin(x) * (1 + 1e-6), sp.sin(x), tolerances={"rtol": 1e-5})
    strict = verify_function(lambda x: np.sin(x) * (1 + 1e-6), sp.sin(x))
    assert loose.status is Status.VERIFIED_NUMERICALLY
    assert strict.status is Status.REFUTED and "rtol=1e-7" in strict.message


# ------------------------------------------------------------------- equivalence

EQUIV = [
    (r"\frac{1}{1+e^{-x}}", r"\frac{e^x}{1+e^x}", True, "symbolic"),
    (r"\sigma(x)(1-\sigma(x))", r"\frac{e^{-x}}{(1+e^{-x})^2}", True, "symbolic"),
    (r"\log_2 x", r"\ln x", False, "numeric"),
    (r"(x+1)^2", r"x^2 + 1", False, "numeric"),
]


@pytest.mark.parametrize("a,b,expected,method", EQUIV, ids=[f"{a} vs {b}" for a, b, *_ in EQUIV])
def test_equiv(a, b, expected, method):
    result = equiv(a, b)
    assert result["equivalent"] is expected
    assert result["method"] == method
    if expected is False:
        cx = result["counterexample"]
        assert "x" in cx["point"] and cx["a"] != cx["b"]


# ------------------------------------------------------------------- the commands


def test_cli_verify_json_and_exit_code():
    res = runner.invoke(app, ["verify", "sigmoid", "--json", "--points", "1000"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["ok"] is True and data["formulas"][0]["name"] == "sigmoid"


def test_cli_verify_against_user_code(tmp_path, monkeypatch):
    (tmp_path / "mycode.py").write_text(
        "import numpy as np\n"
        "def grad(x):\n    return np.exp(-x) / (1 + np.exp(-x))\n"  # sigma(-x), not sigma'(x)
        "def good(x):\n    s = 1 / (1 + np.exp(-np.abs(x)))\n    return s * (1 - s)\n",
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    latex = r"\frac{1}{1+e^{-x}}"
    bad = runner.invoke(app, ["verify", "--latex", latex, "--wrt", "x", "--against", "mycode:grad"])
    assert bad.exit_code == 1
    assert "gradient is wrong at x = " in bad.stdout and "seed 0" in bad.stdout
    good = runner.invoke(
        app, ["verify", "--latex", latex, "--wrt", "x", "--against", "mycode:good", "--json"]
    )
    assert good.exit_code == 0, good.output
    assert json.loads(good.stdout)["formulas"][0]["checks"][0]["status"] == "verified_numerically"


def test_cli_equiv():
    res = runner.invoke(app, ["equiv", r"\log_2 x", r"\ln x", "--json"])
    assert res.exit_code == 1
    data = json.loads(res.stdout)
    assert data["equivalent"] is False and data["method"] == "numeric"
    same = runner.invoke(app, ["equiv", r"\frac{1}{1+e^{-x}}", r"\frac{e^x}{1+e^x}"])
    assert same.exit_code == 0 and "equivalent (symbolic)" in same.stdout


def test_cli_verify_usage_errors():
    res = runner.invoke(app, ["verify"])
    assert res.exit_code != 0
    res = runner.invoke(app, ["verify", "sigmoid", "--all"])
    assert res.exit_code != 0


def test_a_wrong_gradient_is_shown_at_ordinary_inputs_first():
    import re

    import numpy as np

    def sign_slip(x):
        with np.errstate(over="ignore"):
            s = 1 / (1 + np.exp(-x))
        return s * (1 + s)

    with pytest.raises(VerificationError) as info:
        check_gradient(sign_slip, r"\frac{1}{1+e^{-x}}", "x")
    message = str(info.value)
    headline = re.search(
        r"wrong at x = (-?[\d.e+-]+): got ([\d.e+-]+), expected ([\d.e+-]+)", message
    )
    assert headline, message
    x, got, want = (float(v) for v in headline.groups())
    assert abs(x) < 20  # not the extreme +-1000 where both sides saturate
    s = 1 / (1 + np.exp(-x))
    assert got == pytest.approx(s * (1 + s), rel=1e-3)
    assert want == pytest.approx(s * (1 - s), rel=1e-3)
    assert "largest error at" in message


# ---------------------------------------------------------------- abstract claims on instances

_ABSTRACT_TOML = r"""
[chain]
title = "Chain rule"
latex = 'h(x) = f(g(x))'
symbols = { x = "real", f = "function", g = "function" }
sources = ["test"]
tags = ["test"]

[[chain.claims]]
kind = "derivative"
wrt = "x"
latex = "f'(g(x)) \\cdot g'(x)"

[[chain.claims]]
kind = "derivative"
wrt = "x"
latex = "f'(x) \\cdot g'(x)"

[var_affine]
title = "Variance of an affine map"
latex = '\mathrm{Var}(aX + b) = a^2 \mathrm{Var}(X)'
symbols = { a = "real", b = "real" }
sources = ["test"]
tags = ["test"]

[[var_affine.claims]]
kind = "identity"
latex = '\mathrm{Var}(aX + b) = a^2 \mathrm{Var}(X)'

[[var_affine.claims]]
kind = "identity"
latex = '\mathrm{Var}(aX + b) = a \mathrm{Var}(X)'

[kl]
title = "KL"
latex = 'KL(P||Q) = \sum_{x} P(x) \log\left(\frac{P(x)}{Q(x)}\right)'
symbols = { P = "function", Q = "function" }
sources = ["test"]
tags = ["test"]

[[kl.claims]]
kind = "property"
latex = 'KL(P||Q) \geq 0'

[[kl.claims]]
kind = "identity"
latex = 'KL(P||P) = 0'

[[kl.claims]]
kind = "identity"
latex = 'KL(Q||P) = KL(P||Q)'

[mi]
title = "Mutual information"
latex = 'I(X; Y) = H(X) - H(X|Y)'
symbols = { H = "function" }
sources = ["test"]
tags = ["test"]

[[mi.claims]]
kind = "identity"
latex = 'H(X) - H(X|Y) = H(Y) - H(Y|X)'

[[mi.claims]]
kind = "identity"
latex = 'H(X) - H(X|Y) = H(X)'
"""


@pytest.mark.parametrize(
    ("name", "index", "status"),
    [
        ("chain", 0, Status.VERIFIED_NUMERICALLY),
        ("chain", 1, Status.REFUTED),
        ("var_affine", 0, Status.VERIFIED_NUMERICALLY),
        ("var_affine", 1, Status.REFUTED),
        ("kl", 0, Status.VERIFIED_NUMERICALLY),
        ("kl", 1, Status.VERIFIED_NUMERICALLY),
        ("kl", 2, Status.REFUTED),  # KL is not symmetric
        ("mi", 0, Status.VERIFIED_NUMERICALLY),
        ("mi", 1, Status.REFUTED),  # X and Y are not independent under a random joint
    ],
)
def test_abstract_claims_are_checked_on_random_instances(tmp_path, name, index, status):
    reg = _registry(tmp_path, _ABSTRACT_TOML)
    checks = [c for c in verify_formula(reg.get(name), points=200).checks if c.index == index]
    (check,) = checks
    assert check.status is status, check.message
    if status is Status.REFUTED:
        assert check.message.startswith("on a random instance (")
    else:
        assert "random instances" in check.message


_SOFTMAX_TOML = r"""
[sm]
title = "Softmax"
latex = '\text{softmax}(z_i) = \frac{e^{z_i}}{\sum_{j=1}^{K} e^{z_j}}'
symbols = { z = "vector", K = "natural", i = "index", j = "index" }
sources = ["test"]
tags = ["test"]

[[sm.claims]]
kind = "derivative"
wrt = "z_k"
latex = '\text{softmax}(z_i)\left(\delta_{ik} - \text{softmax}(z_k)\right)'

[[sm.claims]]
kind = "derivative"
wrt = "z_k"
latex = '\text{softmax}(z_i)\left(\delta_{ik} + \text{softmax}(z_k)\right)'
"""


def test_softmax_components_and_the_kronecker_delta_are_read_as_a_textbook_means_them(tmp_path):
    reg = _registry(tmp_path, _SOFTMAX_TOML)
    right, wrong = verify_formula(reg.get("sm"), points=300).checks
    assert right.status in (Status.VERIFIED, Status.VERIFIED_NUMERICALLY), right.message
    assert wrong.status is Status.REFUTED, wrong.message


def test_equiv_cli_with_a_symmetric_matrix_declared_by_s(monkeypatch, capsys):
    from symml.cli._app import main

    monkeypatch.setenv("SYMML_NO_CACHE", "1")
    with pytest.raises(SystemExit) as info:
        main(["equiv", "A^T", "A", "-s", "A=symmetric", "--json"])
    assert info.value.code in (0, None)
    assert json.loads(capsys.readouterr().out)["equivalent"] is True
    with pytest.raises(SystemExit) as info:
        main(["equiv", "A^T", "A", "-s", "A=sym"])
    assert info.value.code == 2
    assert "unknown kind 'sym'; valid kinds: " in capsys.readouterr().err
