"""The README's main job, `symml verify --all`, succeeds: every check of the registry is
verified, verified numerically, a confirmed erratum, or skipped with its reason."""

import json
import subprocess
import sys

import pytest


@pytest.mark.slow
def test_verify_all_is_green_and_reports_the_errata(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "symml.cli", "verify", "--all", "--json"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=1800,
    )
    assert proc.returncode == 0, proc.stderr[-2000:] + proc.stdout[-2000:]
    report = json.loads(proc.stdout)
    assert report["ok"] is True
    statuses = [c["status"] for f in report["formulas"] for c in f["checks"]]
    assert len(report["formulas"]) >= 150
    assert not {"refuted", "failed", "unstable", "timeout"} & set(statuses), statuses
    assert statuses.count("erratum") >= 5 and len(report["errata"]) >= 5
    # this round's figures: 125 checks, 11 confirmed errata, at most 8 skips (each a reason)
    assert len(statuses) >= 125 and statuses.count("erratum") == 11, report["counts"]
    skipped = [c for f in report["formulas"] for c in f["checks"] if c["status"] == "skipped"]
    assert all(c["message"] for c in skipped), "a skip without its reason"
    # the abstract claims (E, Var, KL, H, the chain rule) are checked on random instances now
    assert len(skipped) <= 8, [c["claim"] for c in skipped]
    # minimizers given the formula (gradient descent on f = x^2) and stationary points in
    # matrix form (the normal equations, the ridge solution) are checked now
    # Adam's steps, row by row; svd_compress through its factor adapter; one step of
    # gradient descent on random J; Bayes with P(A), P(B|A), P(B) as numbers; entropy of
    # the vector of P(x_i)
    for name in (
        "adam",
        "adam_no_bias_correction",
        "svd_rank_k",
        "gradient_descent",
        "bayes_theorem",
        "entropy",
    ):
        checks = next(f["checks"] for f in report["formulas"] if f["name"] == name)
        assert all(c["status"] == "verified_numerically" for c in checks), (name, checks)
    for name, code in (
        ("gd_quadratic_example", ":gradient_descent"),
        ("gd_quadratic_example", ":rust_gradient_descent_002_settings"),
        ("gd_quadratic_example", ":gradient_descent_history"),
        ("least_squares_objective", None),
        ("ridge_objective", None),
    ):
        checks = next(f["checks"] for f in report["formulas"] if f["name"] == name)
        ran = [
            c
            for c in checks
            if c["kind"] == "stationary_point"
            and (code is None or (c["handwritten"] or "").endswith(code))
        ]
        assert ran and all(c["status"] == "verified_numerically" for c in ran), (name, ran)
    assert report["not_checked"] == len(skipped) and report["exit_code"] == 0
    for kind in ("expectation_linearity", "variance", "kl_divergence", "chain_rule"):
        checks = next(f["checks"] for f in report["formulas"] if f["name"] == kind)
        assert all(c["status"] != "skipped" for c in checks), (kind, checks)
    raw = ("Sum(", "Indexed(", "Derivative(", "Expectation(", "unknown function", "Error:")
    assert not [c["message"] for c in skipped if any(r in c["message"] for r in raw)]
    assert list(tmp_path.iterdir()) == []  # nothing written where it ran
