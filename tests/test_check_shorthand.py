"""Shorthand a reader resolves: sigma for sigma(z) after "write sigma = sigma(z)", and
definitions after "we compute". Both were refuted at points where sigma or mu was a free
number; a wrong claim in the same shorthand must stay refuted."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from symml.cli import app
from symml.documents._sentence import lead_word

SHORTHAND = r"""# Sigmoid

Write $\sigma = \sigma(z)$ for short. Then $\frac{d}{dz}\sigma(z) = \sigma(1-\sigma)$.

And $\frac{d\sigma}{dz} = \sigma(1 - \sigma)$.

A slip: $\frac{d\sigma}{dz} = \sigma(1 + \sigma)$.

Let $a = \log(1 + e^{z})$. Then $\frac{da}{dz} = \sigma(z)$, and $\frac{d}{da} a^2 = 2a$.

# LayerNorm

For an input $x \in \mathbb{R}^H$ we compute
$$\mu = \frac{1}{H}\sum_{i=1}^{H} x_i \qquad s^2 = \frac{1}{H}\sum_{i=1}^{H} (x_i - \mu)^2$$

Then $\sum_{i=1}^{H} (x_i - \mu) = 0$.

A slip: $\sum_{i=1}^{H} (x_i - \mu)^2 = \sum_{i=1}^{H} x_i^2 - \mu^2$.
"""


@pytest.fixture(scope="module")
def records(tmp_path_factory: pytest.TempPathFactory) -> dict:
    doc: Path = tmp_path_factory.mktemp("shorthand") / "notes.md"
    doc.write_text(SHORTHAND, encoding="utf-8")
    result = CliRunner().invoke(app, ["check", str(doc), "--no-cache", "--format", "json"])
    assert result.exit_code == 1, result.stderr  # the slips
    out: dict = {}
    for r in json.loads(result.stdout):
        out.setdefault(r["line"], []).append(r)
    return out


def test_a_derivative_in_a_shorthand_defined_above_is_verified(records: dict) -> None:
    [definition, claim] = records[3]
    assert definition["message"].startswith("definition of sigma")
    assert claim["status"] == "verified"
    assert "with sigma as defined above" in claim["message"]
    assert [r["status"] for r in records[5]] == ["verified"]


def test_a_wrong_derivative_in_the_shorthand_is_still_refuted(records: dict) -> None:
    [slip] = records[7]
    assert slip["status"] == "refuted"
    assert "with sigma as defined above" in slip["message"]


def test_the_variable_of_a_derivative_is_not_replaced_by_its_definition(records: dict) -> None:
    # d/da a^2 = 2a with a = log(1 + e^z) defined: a is the variable there
    assert [r["status"] for r in records[9]] == ["ok", "verified", "verified"]


def test_definitions_after_we_compute_are_recorded_and_used(records: dict) -> None:
    [both] = records[14]
    assert both["message"].startswith("2 statements: [1] definition of mu")
    [right] = records[16]
    assert right["status"] == "verified" and "with mu as defined above" in right["message"]
    [wrong] = records[18]  # the sum of squares is H mu^2 less, not mu^2
    assert wrong["status"] == "refuted" and "with mu as defined above" in wrong["message"]


def test_we_compute_ends_a_condition() -> None:
    assert lead_word("For an input [math] we compute") is None
    assert lead_word("For an input [math]") == ("condition", "for")


def test_a_derivative_at_a_point_is_checked(tmp_path: Path) -> None:
    doc = tmp_path / "bar.md"
    doc.write_text(
        "The slope at one is $\\left.\\frac{d}{dx} x^3\\right|_{x=1} = 3$.\n\n"
        "A slip: $\\frac{d}{dx} x^3 \\Big|_{x=2} = 3$.\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(app, ["check", str(doc), "--no-cache", "--format", "json"])
    right, slip = json.loads(result.stdout)
    assert right["status"] == "verified"
    assert slip["status"] == "refuted" and slip["message"].endswith("breaks: 12 != 3")
    assert result.exit_code == 1
