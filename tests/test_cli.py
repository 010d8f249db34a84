"""The command line: JSON shapes, exit codes, one-line errors, and a light start-up."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import textwrap

import pytest
import sympy

from symml import registry
from symml.cli import main
from symml.errors import RegistryError

TINY = r"""
[sigmoid]
title = "Sigmoid"
latex = '\sigma(x) = \frac{1}{1 + e^{-x}}'
symbols = { x = "real" }
sources = ["001_ccc9e13ff71ddb5d.txt: 7. Activation Functions"]
tags = ["activation"]

[[sigmoid.claims]]
kind = "derivative"
wrt = "x"
latex = '\sigma(x)\left(1 - \sigma(x)\right)'

[mse]
title = "Mean squared error"
latex = '\frac{1}{n} \sum_{i=1}^{n} (y_i - \hat{y}_i)^2'
symbols = { n = "natural" }
sources = ["000_08f917a620eb933c.txt: 2.1"]
tags = ["loss"]
"""

HEAVY = ("sympy", "numpy", "latex2sympy2", "antlr4", "matplotlib")


@pytest.fixture(autouse=True)
def tiny_registry(tmp_path, monkeypatch):
    """The CLI reads a two-formula registry through SYMML_FORMULAS_DIR."""
    (tmp_path / "formulas").mkdir()
    (tmp_path / "formulas" / "demo.toml").write_text(TINY)
    monkeypatch.setenv("SYMML_FORMULAS_DIR", str(tmp_path / "formulas"))
    monkeypatch.setenv("SYMML_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("SYMML_DEBUG", raising=False)
    registry.default_registry.cache_clear()
    yield tmp_path / "formulas"
    registry.default_registry.cache_clear()


def run(capsys, monkeypatch, *args: str, stdin: str | None = None) -> tuple[int, str, str]:
    """Run ``symml ARGS`` in-process; returns (exit status, stdout, stderr)."""
    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    with pytest.raises(SystemExit) as info:
        main(list(args))
    out, err = capsys.readouterr()
    code = info.value.code
    return (0 if code is None else code), out, err


def read_back(text: str) -> sympy.Basic:
    """What a script does with a "sympy" string: parse_expr with default settings."""
    return sympy.parse_expr(text)


# --------------------------------------------------------------------------- JSON shapes


def test_list_json(capsys, monkeypatch):
    code, out, _ = run(capsys, monkeypatch, "list", "--json")
    assert code == 0
    data = json.loads(out)
    assert [d["name"] for d in data] == ["sigmoid", "mse"]
    assert all({"name", "title", "latex", "tags", "sources"} <= set(d) for d in data)
    assert data[0]["sources"] == ["001_ccc9e13ff71ddb5d.txt: 7. Activation Functions"]


def test_list_by_tag_and_table(capsys, monkeypatch):
    code, out, _ = run(capsys, monkeypatch, "list", "--tag", "loss", "--json")
    assert code == 0 and [d["name"] for d in json.loads(out)] == ["mse"]
    code, out, _ = run(capsys, monkeypatch, "list")  # piped: one formula per line
    assert code == 0 and [line.split("\t")[0] for line in out.splitlines()] == ["sigmoid", "mse"]
    monkeypatch.setattr("symml.cli._registry.stdout_is_terminal", lambda: True)
    code, out, _ = run(capsys, monkeypatch, "list")
    assert code == 0 and "sigmoid" in out and "mse" in out and "2 formulas" in out


def test_show_json(capsys, monkeypatch):
    code, out, _ = run(capsys, monkeypatch, "show", "sigmoid", "--json")
    assert code == 0
    data = json.loads(out)
    assert {"name", "title", "latex", "expr", "symbols", "sources", "claims"} <= set(data)
    assert data["symbols"] == {"x": "real"}
    assert set(data["expr"]) >= {"sympy", "latex"}
    x = sympy.Symbol("x")
    assert read_back(data["expr"]["rhs"]["sympy"]) == 1 / (1 + sympy.exp(-x))
    [claim] = data["claims"]
    assert claim["kind"] == "derivative" and claim["wrt"] == "x"
    read_back(claim["expr"]["sympy"])


def test_show_table(capsys, monkeypatch):
    code, out, _ = run(capsys, monkeypatch, "show", "mse")
    assert code == 0 and "Mean squared error" in out and "Sum(" in out


@pytest.mark.parametrize(
    ("latex", "keys"),
    [
        ("x^2 + 1", {"input", "expr"}),
        (r"\sigma(x) = \frac{1}{1 + e^{-x}}", {"input", "lhs", "rhs"}),
        (r"\sum_{i=1}^{n} (y_i - \hat{y}_i)^2", {"input", "expr"}),
        (r"\text{softplus}(x) + \operatorname{ReLU}(x)", {"input", "expr"}),
    ],
)
def test_parse_json(capsys, monkeypatch, latex, keys):
    code, out, _ = run(capsys, monkeypatch, "parse", latex, "--json")
    assert code == 0
    data = json.loads(out)
    assert keys <= set(data) and data["input"] == latex  # fields may be added, never renamed
    assert ("expr" in data) != ("lhs" in data)
    for key in keys - {"input"}:
        assert set(data[key]) >= {"sympy", "latex"}
        read_back(data[key]["sympy"])  # elementary functions only, Indexed spelled out


def test_parse_sympy_string_is_elementary(capsys, monkeypatch):
    _, out, _ = run(capsys, monkeypatch, "parse", r"\text{softplus}(x)", "--json")
    x = sympy.Symbol("x")
    assert read_back(json.loads(out)["expr"]["sympy"]) == sympy.log(sympy.exp(x) + 1)


def test_parse_reads_stdin(capsys, monkeypatch):
    code, out, _ = run(capsys, monkeypatch, "parse", "-", "--json", stdin="x + 1\n")
    assert code == 0 and json.loads(out)["input"] == "x + 1"


def test_parse_with_declared_symbols(capsys, monkeypatch):
    code, out, _ = run(
        capsys,
        monkeypatch,
        "parse",
        "-s",
        "w=vector",
        "-s",
        "x=vector",
        r"\mathbf{w}^T x",
        "--json",
    )
    assert code == 0, out
    code, _, err = run(capsys, monkeypatch, "parse", "-s", "w=vectr", "w", "--json")
    assert code == 2 and "unknown kind 'vectr'" in err


# --------------------------------------------------------------------------- errors


def test_unknown_name_exits_2_with_suggestion(capsys, monkeypatch):
    code, out, err = run(capsys, monkeypatch, "show", "sigmod")
    assert code == 2 and out == ""
    assert err == "error: unknown formula 'sigmod'; did you mean: sigmoid?\n"


def test_bad_latex_is_one_error_line_with_a_caret(capsys, monkeypatch):
    code, out, err = run(capsys, monkeypatch, "parse", r"\frac{1}{")
    assert code == 2 and out == ""
    lines = err.splitlines()
    assert lines[0].startswith("error: ") and len(lines) <= 2
    assert "Traceback" not in err
    if len(lines) == 2:  # the caret sits under the column named in the message
        assert lines[1].strip() == "^"


def test_debug_shows_the_traceback(capsys, monkeypatch):
    code, _, err = run(capsys, monkeypatch, "--debug", "show", "sigmod")
    assert code == 2 and "Traceback" in err and err.rstrip().endswith("did you mean: sigmoid?")


@pytest.mark.parametrize(
    "args",
    [["bogus"], ["show"], ["list", "--nope"], ["parse"], ["list", "--tag"]],
    ids=lambda a: " ".join(a),
)
def test_usage_errors_exit_2(capsys, monkeypatch, args):
    code, _, _ = run(capsys, monkeypatch, *args)
    assert code == 2


def test_broken_table_is_reported_and_the_rest_listed(capsys, monkeypatch, tiny_registry):
    (tiny_registry / "broken.toml").write_text("[x]\ntitle = 1\n")
    registry.default_registry.cache_clear()
    code, out, err = run(capsys, monkeypatch, "list", "--json")
    assert code == 2
    assert [d["name"] for d in json.loads(out)] == ["sigmoid", "mse"]
    lines = err.splitlines()
    assert lines and all(line.startswith("error: formulas/broken.toml: [x]: ") for line in lines)
    assert any("field 'title'" in line for line in lines)
    code, _, err = run(capsys, monkeypatch, "show", "x")
    assert code == 2 and err.startswith("error: formulas/broken.toml: [x]: ")
    assert len(err.splitlines()) == 1


def test_a_claim_that_does_not_parse_does_not_hide_the_formula(capsys, monkeypatch, tiny_registry):
    demo = tiny_registry / "demo.toml"
    demo.write_text(demo.read_text().replace(r"latex = '\sigma(x)\left(", r"latex = '\frac{(", 1))
    registry.default_registry.cache_clear()
    code, out, err = run(capsys, monkeypatch, "show", "sigmoid", "--json")
    assert code == 2
    [claim] = json.loads(out)["claims"]
    assert claim["expr"] is None and "field 'latex' does not parse" in claim["error"]
    assert err.startswith("error: formulas/demo.toml: [[sigmoid.claims]] #1: field 'latex'")
    code, out, _ = run(capsys, monkeypatch, "show", "sigmoid")
    assert code == 2 and "does not parse" in out


def test_version(capsys, monkeypatch):
    from importlib.metadata import version

    code, out, _ = run(capsys, monkeypatch, "--version")
    assert code == 0 and out == f"symml {version('symml')}\n"


# --------------------------------------------------------------------------- start-up

PROBE = textwrap.dedent(
    """
    import sys
    from symml.cli import main
    try:
        main(sys.argv[1:])
    except SystemExit as e:
        code = e.code
    heavy = [m for m in {heavy!r} if m in sys.modules]
    print("HEAVY", heavy, code, file=sys.stderr)
    """
).format(heavy=HEAVY)


@pytest.mark.parametrize("args", [["--help"], ["list"], ["list", "--json"], ["--version"]])
def test_light_commands_do_not_import_heavy_modules(tiny_registry, args):
    run_ = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        capture_output=True,
        text=True,
        env={**os.environ, "SYMML_FORMULAS_DIR": str(tiny_registry)},
        timeout=120,
    )
    assert run_.stderr.strip().splitlines()[-1] in ("HEAVY [] 0", "HEAVY [] None"), run_.stderr


@pytest.mark.slow
def test_console_script_end_to_end(tiny_registry):
    symml = os.path.join(os.path.dirname(sys.executable), "symml")
    if not os.path.exists(symml):
        pytest.skip("the symml console script is not installed beside this Python")
    done = subprocess.run([symml, "parse", r"\frac{1}{"], capture_output=True, text=True)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.startswith("error: ") and "Traceback" not in done.stderr
    done = subprocess.run(
        [symml, "show", "sigmoid", "--json"],
        capture_output=True,
        text=True,
        env={**os.environ, "SYMML_FORMULAS_DIR": str(tiny_registry)},
    )
    assert done.returncode == 0 and json.loads(done.stdout)["name"] == "sigmoid"


# --------------------------------------------------------------------------- "sympy" strings

# Matrix-valued operators that SymPy cannot rebuild from text with its own names: symml's
# row_softmax and GradientVector, and functions applied elementwise inside a Hadamard product.
NOT_REBUILDABLE = ("row_softmax(", "GradientVector(", "ElementwiseApplyFunction(")


def _shipped() -> registry.Registry | None:
    try:
        return registry.load_registry(strict=False)  # validates only: no parsing here
    except RegistryError:
        return None


SHIPPED = _shipped()


@pytest.mark.parametrize("name", SHIPPED.names() if SHIPPED else [])
def test_sympy_strings_of_the_registry_read_back(name):
    from symml.serialize import expr_json

    formula = SHIPPED.get(name)
    for item in (formula, *formula.claims):
        try:
            value = item.expr
        except RegistryError:
            continue  # that it parses is the coverage tests' business
        for text in _leaves(expr_json(value)):
            if not any(marker in text for marker in NOT_REBUILDABLE):
                read_back(text)


def _leaves(data: dict) -> list[str]:
    """The "sympy" strings of the sides of equations, relations and aligned blocks.

    Each side is read back on its own: read back whole, Eq(Integral(...), ...) would make
    SymPy compute the integral (seconds) to decide the equation.
    """
    parts = data.get("items") or data.get("parts") or [data[k] for k in ("lhs", "rhs") if k in data]
    return [text for part in parts for text in _leaves(part)] if parts else [data["sympy"]]
