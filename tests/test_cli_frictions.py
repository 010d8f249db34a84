"""The command line as a careful user expects it (issue 15).

A formula may start with ``-``; every usage error is one ``error:`` line; piped output is
whole; files written keep the user's umask; JSON and pipes get no progress bar.
"""

from __future__ import annotations

import io
import json
import os
import re
import stat
import sys
from pathlib import Path

import pytest

from symml import registry
from symml.cli import app, main

LONG_TITLE = "A title far longer than any column a table would give it, to see it whole " * 2
LONG_LATEX = r"-\frac{1}{m}\sum_{i=1}^{m}\left(y_i\log\hat{y}_i + (1-y_i)\log(1-\hat{y}_i)\right)"

TINY = rf"""
[sigmoid]
title = "Sigmoid"
latex = '\sigma(x) = \frac{{1}}{{1 + e^{{-x}}}}'
symbols = {{ x = "real" }}
sources = ["001_ccc9e13ff71ddb5d.txt: 7. Activation Functions"]
tags = ["activation"]

[[sigmoid.claims]]
kind = "derivative"
wrt = "x"
latex = '\sigma(x)\left(1 - \sigma(x)\right)'

[bce]
title = "{LONG_TITLE.strip()}"
latex = '{LONG_LATEX}'
symbols = {{ m = "natural" }}
sources = ["000_08f917a620eb933c.txt: 2.1 with a long heading that a table would cut short"]
tags = ["loss"]
"""


@pytest.fixture(autouse=True)
def tiny_registry(tmp_path, monkeypatch):
    (tmp_path / "formulas").mkdir()
    (tmp_path / "formulas" / "demo.toml").write_text(TINY)
    monkeypatch.setenv("SYMML_FORMULAS_DIR", str(tmp_path / "formulas"))
    monkeypatch.setenv("SYMML_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("SYMML_DEBUG", raising=False)
    registry.default_registry.cache_clear()
    yield tmp_path / "formulas"
    registry.default_registry.cache_clear()


def run(capsys, monkeypatch, *args: str, stdin: str | None = None) -> tuple[int, str, str]:
    """``symml ARGS`` in-process (stdout and stderr are pipes here): (status, out, err)."""
    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    with pytest.raises(SystemExit) as info:
        main(list(args))
    out, err = capsys.readouterr()
    return (0 if info.value.code is None else info.value.code), out, err


# --------------------------------------------------------------------------- a leading minus


@pytest.mark.parametrize(
    ("args", "sympy_text"),
    [
        (["parse", "-x^2", "--json"], "-x**2"),
        (["parse", "--json", r"-\log x"], "-log(x)"),
        (["parse", "-s", "x=positive", r"-\log x", "--json"], "-log(x)"),
        (["parse", "-sx=positive", r"-\log x", "--json"], "-log(x)"),
        (["parse", "--json", "--", "-x"], "-x"),
        (["parse", "--json", "-x"], "-x"),
        (["parse", "--json", "-s^2"], "-s**2"),  # not -s with the value ^2
        (["parse", "--json", "-f(x)^2", "-f", "f"], "-f(x)**2"),
        (["parse", "--json", "-fg", "-g(x)"], "-g(x)"),  # -f g, then the formula
    ],
    ids=lambda a: " ".join(a) if isinstance(a, list) else None,
)
def test_parse_takes_a_formula_that_starts_with_a_minus(capsys, monkeypatch, args, sympy_text):
    code, out, err = run(capsys, monkeypatch, *args)
    assert code == 0, err
    assert json.loads(out)["expr"]["sympy"] == sympy_text


def test_parse_a_negative_log_likelihood(capsys, monkeypatch):
    code, out, err = run(capsys, monkeypatch, "parse", LONG_LATEX, "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["input"] == LONG_LATEX and data["expr"]["sympy"].startswith("-")


def test_dash_alone_is_still_standard_input(capsys, monkeypatch):
    code, out, err = run(capsys, monkeypatch, "parse", "-", "--json", stdin=r"-\log x")
    assert code == 0, err
    assert json.loads(out)["expr"]["sympy"] == "-log(x)"


def test_derive_latex_that_starts_with_a_minus(capsys, monkeypatch):
    args = ("derive", "--latex", r"-\log x", "--wrt", "x", "--json")
    code, out, err = run(capsys, monkeypatch, *args)
    assert code == 0, err
    assert json.loads(out)["derivative"]["sympy"] == "-1/x"


def test_equiv_of_formulas_that_start_with_a_minus(capsys, monkeypatch):
    code, out, err = run(
        capsys, monkeypatch, "equiv", r"-\log x", r"\log\frac{1}{x}", "-s", "x=positive", "--json"
    )
    assert code == 0, err
    assert json.loads(out)["equivalent"] is True
    code, out, _ = run(capsys, monkeypatch, "equiv", r"-\log x", r"\log x", "-s", "x=positive")
    assert code == 1 and out.startswith("not equivalent")


def test_check_a_document_whose_name_and_formula_start_with_a_minus(capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    Path("-loss.md").write_text("The loss is $-\\log p$.\n")
    code, out, err = run(capsys, monkeypatch, "check", "-loss.md", "--json")
    assert code == 0, err
    [found] = json.loads(out)
    assert found["document"] == "-loss.md" and found["latex"] == r"-\log p"
    code, out, err = run(capsys, monkeypatch, "check", "--json", "-", stdin="$-\\log p$\n")
    assert code == 0, err
    assert [f["latex"] for f in json.loads(out)] == [r"-\log p"]


# --------------------------------------------------------------------------- one-line errors


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["drive"], "error: no such command 'drive'; did you mean 'derive'? (see 'symml --help')"),
        (
            ["parse", "--jsn", "x"],
            "error: no such option '--jsn'; did you mean '--json'? (see 'symml parse --help')",
        ),
        (["list", "--nope"], "error: no such option '--nope'; see 'symml list --help'"),
        (
            ["derive", "sigmoid", "--wrt"],
            "error: option '--wrt' requires an argument; see 'symml derive --help'",
        ),
        (
            ["derive", "sigmoid", "--wrt", "--json"],
            "error: option '--wrt' requires an argument; see 'symml derive --help'",
        ),
        (["list", "--tag"], "error: option '--tag' requires an argument; see 'symml list --help'"),
        (["show"], "error: missing argument 'NAME'; see 'symml show --help'"),
        (["equiv", "x"], "error: missing argument 'LATEX_B'; see 'symml equiv --help'"),
    ],
    ids=lambda a: " ".join(a) if isinstance(a, list) else None,
)
def test_usage_errors_are_one_line(capsys, monkeypatch, args, message):
    code, out, err = run(capsys, monkeypatch, *args)
    assert (code, out) == (2, "")
    assert err == message + "\n"


def test_a_bad_option_value_is_one_line(capsys, monkeypatch):
    code, _, err = run(capsys, monkeypatch, "verify", "sigmoid", "--points", "many")
    assert code == 2 and len(err.splitlines()) == 1
    assert err.startswith("error: invalid value for '--points': 'many' is not a valid integer")


def test_plain_symml_still_prints_the_help(capsys, monkeypatch):
    code, out, err = run(capsys, monkeypatch)
    assert "Commands:" in out + err and "derive" in out + err


def test_help_texts_name_only_files_of_the_project():
    root = Path(__file__).resolve().parents[1]
    from click.testing import CliRunner

    runner = CliRunner()
    texts = [runner.invoke(app, ["--help"]).output]
    texts += [runner.invoke(app, [name, "--help"]).output for name in app.commands]
    named = {m for text in texts for m in re.findall(r"[\w./-]+\.(?:md|toml|txt|py)\b", text)}
    assert all((root / name).exists() for name in named), named


# --------------------------------------------------------------------------- piped output


def test_list_piped_is_one_whole_record_per_line(capsys, monkeypatch):
    code, out, _ = run(capsys, monkeypatch, "list")
    assert code == 0
    rows = [line.split("\t") for line in out.splitlines()]
    assert [r[0] for r in rows] == ["sigmoid", "bce"]
    assert all(len(r) == 5 for r in rows)
    name, title, latex, tags, sources = rows[1]
    assert title == LONG_TITLE.strip() and latex == LONG_LATEX and tags == "loss"
    assert sources.endswith("a table would cut short")
    assert "…" not in out


def test_list_on_a_terminal_is_a_table_cut_to_its_width(capsys, monkeypatch):
    monkeypatch.setattr("symml.cli._registry.stdout_is_terminal", lambda: True)
    monkeypatch.setenv("COLUMNS", "100")
    code, out, _ = run(capsys, monkeypatch, "list")
    assert code == 0 and out.startswith("2 formulas") and "…" in out
    assert max(len(line) for line in out.splitlines()) <= 100


def test_show_piped_keeps_long_values_on_their_lines(capsys, monkeypatch):
    code, out, _ = run(capsys, monkeypatch, "show", "bce")
    assert code == 0
    assert f"LaTeX  {LONG_LATEX}" in out.splitlines()


def test_verify_piped_is_one_whole_record_per_check_and_draws_no_bar(capsys, monkeypatch):
    code, out, err = run(capsys, monkeypatch, "verify", "sigmoid")
    assert code == 0 and err == ""
    lines = out.splitlines()
    records = [line.split("\t") for line in lines if "\t" in line]
    assert records and all(len(r) == 4 and r[0] == "sigmoid" for r in records)
    assert any(r[2] == "verified" for r in records)
    assert "verified_numerically" not in out or all(
        r[2] in ("verified", "verified_numerically", "skipped") for r in records
    )
    assert lines[-1].endswith("; OK") and "checks:" in lines[-1]
    code, out, err = run(capsys, monkeypatch, "verify", "sigmoid", "--json")
    assert code == 0 and err == "" and json.loads(out)["ok"] is True


# --------------------------------------------------------------------------- file modes


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_cheatsheet_files_keep_the_umask(capsys, monkeypatch, tmp_path, umask_022):
    target = tmp_path / "sheet.md"
    code, out, err = run(
        capsys, monkeypatch, "cheatsheet", "--format", "md", "--no-verify", "-o", str(target)
    )
    assert code == 0, err
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary left


@pytest.mark.parametrize(("mask", "mode"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_write_atomic_gives_the_mode_of_a_plain_open(tmp_path, mask, mode):
    from symml.sheets import write_atomic

    out = tmp_path / "out"
    out.mkdir()
    old = os.umask(mask)
    try:
        write_atomic(out / "sheet.tex", "text")
        write_atomic(out / "sheet.pdf", b"%PDF")
        with open(out / "plain.txt", "w") as fh:
            fh.write("x")
    finally:
        os.umask(old)
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in out.iterdir()}
    assert modes == {"sheet.tex": mode, "sheet.pdf": mode, "plain.txt": mode}


def test_a_directory_as_the_cheatsheet_file_is_one_error_line(capsys, monkeypatch, tmp_path):
    code, out, err = run(capsys, monkeypatch, "cheatsheet", "--no-verify", "-o", str(tmp_path))
    assert (code, out) == (2, "")
    expected = f"cannot write {tmp_path}: it is a directory (name a file: -o {tmp_path}/"
    assert err == f"error: {expected}symml-cheatsheet.tex)\n"


def test_verify_piped_prints_each_erratum_on_one_line(capsys, monkeypatch, tiny_registry):
    demo = tiny_registry / "demo.toml"
    demo.write_text(
        demo.read_text()
        + "\n[[sigmoid.claims]]\nkind = \"identity\"\nlatex = '\\sigma(0) = 1'\n"
        + 'erratum = """the document says 1;\nsigma(0) is 1/2"""\n'
    )
    registry.default_registry.cache_clear()
    code, out, err = run(capsys, monkeypatch, "verify", "sigmoid")
    assert code == 0, out + err
    lines = out.splitlines()
    at = lines.index("errata confirmed (the documents are wrong here):")
    assert lines[at + 1].startswith("  sigmoid: identity") and lines[at + 1].endswith(
        "the document says 1; sigma(0) is 1/2"
    )
    assert "checks: " in lines[at + 2]  # the summary follows: one line per erratum
