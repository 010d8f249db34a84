"""The result cache: a repeated command is replayed, never stale, and removable at any time."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import textwrap

import pytest

import symml.derivation
import symml.verification
from symml import registry
from symml.cli import main
from symml.errors import SymmlError

TINY = r"""
[sigmoid]
title = "Sigmoid"
latex = '\sigma(x) = \frac{1}{1 + e^{-x}}'
symbols = { x = "real" }
sources = ["001_ccc9e13ff71ddb5d.txt: 7. Activation Functions"]
tags = ["activation"]
"""


@pytest.fixture(autouse=True)
def tiny_registry(tmp_path, monkeypatch):
    (tmp_path / "formulas").mkdir()
    (tmp_path / "formulas" / "demo.toml").write_text(TINY)
    monkeypatch.setenv("SYMML_FORMULAS_DIR", str(tmp_path / "formulas"))
    monkeypatch.setenv("SYMML_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("SYMML_NO_CACHE", raising=False)
    monkeypatch.delenv("SYMML_DEBUG", raising=False)
    registry.default_registry.cache_clear()
    yield tmp_path / "formulas"
    registry.default_registry.cache_clear()


def run(capsys, monkeypatch, *args: str, stdin: str | None = None) -> tuple[int, str, str]:
    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    with pytest.raises(SystemExit) as info:
        main(list(args))
    out, err = capsys.readouterr()
    return (0 if info.value.code is None else info.value.code), out, err


def results(tmp_path) -> list:
    return sorted((tmp_path / "cache" / "results").rglob("*.json"))


def refuse(*_args, **_kwargs):
    raise SymmlError("computed afresh")


DERIVE = ("derive", "sigmoid", "--wrt", "x", "--json")


def test_a_repeated_derive_is_replayed_without_deriving(capsys, monkeypatch, tmp_path):
    first = run(capsys, monkeypatch, *DERIVE)
    assert first[0] == 0 and json.loads(first[1])["derivative"]["sympy"]
    assert len(results(tmp_path)) == 1
    monkeypatch.setattr(symml.derivation, "derive", refuse)
    assert run(capsys, monkeypatch, *DERIVE) == first


def test_no_cache_computes_afresh(capsys, monkeypatch):
    run(capsys, monkeypatch, *DERIVE)
    monkeypatch.setattr(symml.derivation, "derive", refuse)
    code, out, err = run(capsys, monkeypatch, *DERIVE, "--no-cache")
    assert (code, out, err) == (2, "", "error: computed afresh\n")
    monkeypatch.setenv("SYMML_NO_CACHE", "1")
    assert run(capsys, monkeypatch, *DERIVE)[0] == 2


def test_nothing_is_stored_when_caching_is_off(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("SYMML_NO_CACHE", "1")
    assert run(capsys, monkeypatch, *DERIVE)[0] == 0
    assert not (tmp_path / "cache").exists()


@pytest.mark.parametrize(
    "change",
    ["another variable", "the registry", "symml's source", "the layout"],
)
def test_what_decides_the_output_is_in_the_key(capsys, monkeypatch, tiny_registry, change):
    run(capsys, monkeypatch, *DERIVE)
    monkeypatch.setattr(symml.derivation, "derive", refuse)
    args = DERIVE
    if change == "another variable":
        args = ("derive", "sigmoid", "--wrt", "y", "--json")
    elif change == "the registry":
        demo = tiny_registry / "demo.toml"
        demo.write_text(demo.read_text().replace('"Sigmoid"', '"Logistic sigmoid"'))
        registry.default_registry.cache_clear()
    elif change == "symml's source":
        monkeypatch.setattr("symml.cli._cache.fingerprint", lambda: "0" * 64)
    else:
        monkeypatch.setenv("NO_COLOR", "1")
    code, _, err = run(capsys, monkeypatch, *args)
    assert (code, err) == (2, "error: computed afresh\n")


def test_a_failed_check_is_replayed_with_its_status(capsys, monkeypatch):
    args = ("equiv", r"\log x", r"-\log x", "-s", "x=positive")
    first = run(capsys, monkeypatch, *args)
    assert first[0] == 1 and first[1].startswith("not equivalent")
    monkeypatch.setattr(symml.verification, "equiv", refuse)
    assert run(capsys, monkeypatch, *args) == first


def test_an_error_is_not_stored(capsys, monkeypatch, tmp_path):
    code, _, err = run(capsys, monkeypatch, "derive", "sigmoid", "--wrt", "q")
    assert code == 2 and err.startswith("error: ")
    assert results(tmp_path) == []


def test_a_result_that_ran_out_of_time_is_not_stored(capsys, monkeypatch, tmp_path):
    def undecided(*_args, **_kwargs):
        return {"equivalent": None, "method": "none", "counterexample": None,
                "reason": "the symbolic proof timed out"}  # fmt: skip

    monkeypatch.setattr(symml.verification, "equiv", undecided)
    code, out, _ = run(capsys, monkeypatch, "equiv", "x", "x")
    assert code == 1 and "timed out" in out
    assert results(tmp_path) == []

    def quiet_timeout(*_args, **_kwargs):
        # a bounded step that ran out of time, worked around without a word in the output
        import sympy

        from symml.workers import bounded_simplify

        assert bounded_simplify(sympy.Symbol("x"), timeout=0).timed_out
        return {"equivalent": True, "method": "symbolic", "counterexample": None}

    monkeypatch.setattr(symml.verification, "equiv", quiet_timeout)
    assert run(capsys, monkeypatch, "equiv", "x", "x")[0] == 0
    assert results(tmp_path) == []


def test_standard_input_is_part_of_the_key(capsys, monkeypatch):
    code, out, _ = run(capsys, monkeypatch, "parse", "-", "--json", stdin="x^2")
    assert code == 0 and json.loads(out)["expr"]["sympy"] == "x**2"
    code, out, _ = run(capsys, monkeypatch, "parse", "-", "--json", stdin="-x^3")
    assert code == 0 and json.loads(out)["expr"]["sympy"] == "-x**3"


def test_your_own_code_is_never_cached(capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "mine.py").write_text("def f(x):\n    return 2 * x\n")
    args = ("verify", "--latex", "f(x) = 2x", "--against", "mine:f")
    code, out, err = run(capsys, monkeypatch, *args)
    assert code == 0, err
    assert results(tmp_path) == []


def test_a_damaged_entry_is_a_miss_and_is_rewritten(capsys, monkeypatch, tmp_path):
    first = run(capsys, monkeypatch, *DERIVE)
    [entry] = results(tmp_path)
    entry.write_text("{ not json")
    assert run(capsys, monkeypatch, *DERIVE) == first
    assert json.loads(entry.read_text())["stdout"] == first[1]


def test_cache_clear_removes_every_entry(capsys, monkeypatch, tmp_path):
    run(capsys, monkeypatch, *DERIVE)
    code, out, _ = run(capsys, monkeypatch, "cache")
    assert (code, out) == (0, f"{tmp_path / 'cache'}\n")
    code, out, _ = run(capsys, monkeypatch, "cache", "--clear")
    assert code == 0 and out.startswith("removed ") and results(tmp_path) == []
    assert not list((tmp_path / "cache").rglob("*.pickle"))  # the parse cache too


PROBE = textwrap.dedent(
    """
    import sys
    from symml.cli import main
    try:
        main(sys.argv[1:])
    except SystemExit as e:
        code = e.code
    print("HEAVY", [m for m in ("sympy", "numpy") if m in sys.modules], code, file=sys.stderr)
    """
)


@pytest.mark.slow
def test_a_cache_hit_imports_no_sympy(tiny_registry, tmp_path):
    env = {**os.environ, "SYMML_FORMULAS_DIR": str(tiny_registry),
           "SYMML_CACHE_DIR": str(tmp_path / "cache")}  # fmt: skip
    runs = [
        subprocess.run(
            [sys.executable, "-c", PROBE, *DERIVE],
            capture_output=True,
            text=True,
            env=env,
            timeout=300,
        )  # fmt: skip
        for _ in range(2)
    ]
    assert runs[0].stdout == runs[1].stdout and json.loads(runs[1].stdout)["derivative"]
    assert runs[0].stderr.splitlines()[-1] == "HEAVY ['sympy', 'numpy'] 0"
    assert runs[1].stderr.splitlines()[-1] == "HEAVY [] 0"


def test_a_name_that_is_a_dash_does_not_read_standard_input(capsys, monkeypatch):
    class Untouchable(io.StringIO):
        def read(self, *_args):
            raise AssertionError("standard input was read")

    monkeypatch.setattr(sys, "stdin", Untouchable())
    code, _, err = run(capsys, monkeypatch, "show", "-")
    assert code == 2 and err.startswith("error: unknown formula '-'")


def test_the_copying_stream_closes_quietly_after_the_stream_it_wraps():
    # io's close() flushes; on Python 3.13 the Tee was collected after pytest had closed the
    # captured stdout, and the flush raised "I/O operation on closed file" as unraisable
    import io

    from symml.cli._cache import _Tee

    inner = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")  # like pytest's captured stdout
    tee = _Tee(inner)
    tee.write("printed")
    inner.close()  # its flush() now raises ValueError
    tee.close()
    assert tee.closed and tee.text() == "printed"
