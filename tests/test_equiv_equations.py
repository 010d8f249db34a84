"""equiv on equations and inequalities: the same solution set, not the same right-hand side."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from symml.verification import equiv

CASES = [
    # (a, b, equivalent, method)
    (r"7 = 11a + c", r"11a + c", False, "relation"),  # an equation is not an expression
    (r"x + y = 1", r"x - y = 1", False, "solving"),
    (r"2x + 4y - 3 = 0", r"y = -\frac{1}{2}x + \frac{3}{4}", True, "multiple"),
    (r"y = 2x", r"2y = 4x", True, "multiple"),
    (r"a \ne b", r"b \ne a", True, "multiple"),
    (r"x = 1", r"x < 1", False, "solving"),
    (r"x < 1", r"2x < 2", True, "multiple"),
    (r"x < 1", r"-x > -1", True, "multiple"),
    (r"x < 1", r"x > 1", False, "sampling"),
    (r"x < 1", r"x^2 < 1", False, "sampling"),
    (r"x \leq 1", r"-2x \leq -2", False, "sampling"),  # a negative factor turns it round
    (r"x^2 = 0", r"x = 0", None, "undecided"),  # same solutions, not multiples: not claimed
    (r"x = 1", r"\sin x = 0", False, "solving"),
    (r"f(x) = x^2", r"f(x) = x^3", None, "undecided"),  # an unknown f has no values
    (r"f(x) < x", r"f(x) < 2x", None, "undecided"),
    (r"f(x) = x^2", r"f(x) = x \cdot x", True, "multiple"),
]


@pytest.mark.parametrize("a,b,expected,method", CASES, ids=[f"{a} | {b}" for a, b, _, _ in CASES])
def test_equations(a, b, expected, method):
    got = equiv(a, b)
    assert got["equivalent"] is expected, got
    assert got["method"] == method, got
    if expected is False and method in ("solving", "sampling"):
        assert got["counterexample"]["point"]


def test_counterexample_satisfies_one_and_not_the_other():
    cx = equiv(r"x + y = 1", r"x - y = 1")["counterexample"]
    x, y = cx["point"]["x"], cx["point"]["y"]
    assert abs(x + y - 1) < 1e-9 or abs(x - y - 1) < 1e-9
    assert abs(x + y - 1) > 1e-9 or abs(x - y - 1) > 1e-9


def test_definitions_compare_the_defined_values():
    assert equiv(r"7 = 11a + c", r"11a + c", as_="definitions")["equivalent"] is True
    assert equiv(r"f(x) = x^2", r"g(x) = x \cdot x", as_="definitions")["equivalent"] is True
    assert equiv(r"f(x) = x^2", r"f(x) = x \cdot x")["equivalent"] is True
    with pytest.raises(ValueError, match="as_ must be"):
        equiv("x", "x", as_="rhs")


def test_expressions_unchanged():
    assert equiv(r"\frac{1}{1+e^{-x}}", r"\frac{e^x}{1+e^x}")["equivalent"] is True


@pytest.mark.parametrize(
    "args,code,equivalent",
    [
        (["7 = 11a + c", "11a + c"], 1, False),
        (["7 = 11a + c", "11a + c", "--as", "definitions"], 0, True),
        (["2x + 4y - 3 = 0", r"y = -\frac{1}{2}x + \frac{3}{4}"], 0, True),
    ],
)
def test_cli(args, code, equivalent, tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "symml.cli", "equiv", "--json", *args],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert proc.returncode == code, proc.stderr
    assert json.loads(proc.stdout)["equivalent"] is equivalent
