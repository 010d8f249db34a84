"""Judging values: per-point comparison, the counterexample, and a message that diagnoses.

:func:`judge` compares what a check got with what it expected at every sampled point and
says where it is wrong, by how much and in which direction (a constant ratio hints at a
missing 1/2, a flipped sign, bits against nats); :func:`ulps` measures ULP errors against
the 50-digit mpmath reference.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy as sp

from symml.equality import Tolerance, close
from symml.errors import SymmlError, SymmlTimeout
from symml.numeric import Samples, mp_reference_many, stabilize, ulp_error
from symml.verification._evaluate import arg_names, per_point
from symml.verification._report import Counterexample, Status

#: Points measured against the mpmath reference (ULP errors); the specials come first.
ULP_POINTS = 40


@dataclass(frozen=True)
class Verdict:
    """The outcome of one comparison: a status, the message, and where it failed."""

    status: Status
    message: str
    counterexample: Counterexample | None = None


def fmt(v: Any) -> str:
    """A value for a message: a number to 6 digits, a short array, or its shape and span."""
    a = np.asarray(v, dtype=float)
    if a.ndim == 0:
        return f"{float(a):.6g}"
    if a.size <= 6:
        return np.array2string(a, precision=5, separator=", ")
    finite = a[np.isfinite(a)]
    bad = f", {a.size - finite.size} not finite" if finite.size < a.size else ""
    span = f" in [{finite.min():.4g}, {finite.max():.4g}]" if finite.size else ""
    return f"array{a.shape}{span}{bad}"


def _scalar_names(samples: Samples, names: Iterable[str]) -> list[str]:
    return [n for n in names if n in samples.values and samples.values[n].ndim == 1]


def diagnose(
    got: np.ndarray,
    exp: np.ndarray,
    bad: np.ndarray,
    good: np.ndarray,
    samples: Samples,
    names: list[str],
) -> list[str]:
    """Where the disagreement is, how big, which direction."""
    out = []
    g, e = got[bad], exp[bad]
    n_bad, n_all = int(bad.sum()), int((bad | good).sum())
    above = float(np.mean(g > e)) if n_bad else 0.0
    direction = (
        "got is below expected at every one"
        if above == 0
        else "got is above expected at every one"
        if above == 1
        else f"got > expected at {above:.0%} of them"
    )
    out.append(f"wrong at {n_bad} of {n_all} points; {direction}")
    with np.errstate(all="ignore"):
        ratio = (g / e)[np.abs(e) > 1e-300]
        diff = g - e
    c = float(np.median(ratio)) if ratio.size else np.nan
    if ratio.size >= 2 and np.mean(np.abs(ratio - c) <= 1e-3 * max(abs(c), 1e-300)) >= 0.9:
        hint = {-1.0: "sign flipped?", 2.0: "missing 1/2?", 0.5: "an extra 1/2?"}
        label = next((h for v, h in hint.items() if abs(c - v) < 1e-6), "")
        if abs(c - 1 / np.log(2)) < 1e-6:
            label = "log base 2 where the formula has the natural log (bits vs nats)?"
        elif abs(c - np.log(2)) < 1e-6:
            label = "natural log where the formula has log base 2?"
        elif abs(c - round(c)) < 1e-6 and abs(c) > 2:
            label = f"a missing 1/{round(c)} (a sum where the formula has a mean?)"
        elif 0 < abs(c) < 1 and abs(1 / c - round(1 / c)) < 1e-6 and abs(1 / c) > 2:
            label = f"an extra 1/{round(1 / c)} (a mean where the formula has a sum?)"
        out.append(f"got/expected = {c:.6g} at the wrong points" + (f": {label}" if label else ""))
    elif diff.size >= 2 and np.allclose(diff, np.median(diff), rtol=1e-6):
        out.append(f"got - expected = {float(np.median(diff)):.6g} at every wrong point")
    for name in _scalar_names(samples, names):
        v = samples.values[name]
        vb, vg = v[bad], v[good]
        if vb.size and vg.size:
            lo, hi = f"{vb.max():.4g}", f"{vb.min():.4g}"
            if vb.max() < vg.min():
                out.append(f"only where {name} <= {lo} (right for {name} >= {vg.min():.4g})")
            elif vb.min() > vg.max():
                out.append(f"only where {name} >= {hi} (right for {name} <= {vg.max():.4g})")
    return out


def judge(
    what: str,
    got: np.ndarray,
    exp: np.ndarray,
    samples: Samples,
    tol: Tolerance,
    names: list[str],
    *,
    reference: sp.Basic | None = None,
    stable_form: str = "",
    notes: Iterable[str] = (),
    shape_status: Status = Status.FAILED,
) -> Verdict:
    """Compare per point; a pass is VERIFIED_NUMERICALLY (a proof is the caller's to add)."""
    got = np.asarray(got, dtype=float)
    exp = np.asarray(exp, dtype=float)
    if got.shape != exp.shape:
        if got.size == exp.size:
            got = got.reshape(exp.shape)
        else:
            return Verdict(
                shape_status,
                f"{what} has shape {got.shape[1:]} per point; the formula "
                f"has shape {exp.shape[1:]} (check the declared shapes)",
            )
    finite = np.isfinite(exp)
    ok = close(got, exp, tol)
    mismatch = per_point(finite & np.isfinite(got) & ~ok)
    nonfinite = per_point(finite & ~np.isfinite(got))
    if mismatch.any() and reference is not None:
        mismatch = _confirm(got, reference, samples, mismatch, tol)
    seed = f"seed {samples.seed}"
    pts = int(per_point(finite).sum())
    if mismatch.any():
        with np.errstate(all="ignore"):
            rel = np.abs(got - exp) / np.maximum(np.abs(exp), tol.atol)
            over = np.abs(got - exp) / (tol.atol + tol.rtol * np.abs(exp))  # x the tolerance
        rel_pp = rel.reshape(rel.shape[0], -1).max(axis=1) if rel.ndim > 1 else rel
        over_pp = over.reshape(over.shape[0], -1).max(axis=1) if over.ndim > 1 else over
        worst = int(np.nanargmax(np.where(mismatch, over_pp, -np.inf)))
        k = ordinary_failure(samples, names, mismatch & (over_pp >= 100), worst)
        where = samples.describe(k, names)
        msg = (
            f"{what} is wrong at {where}: got {fmt(got[k])}, expected {fmt(exp[k])} "
            f"(rel. error {rel_pp[k]:.3g}, tolerance {tol}, {seed})"
        )
        if k != worst:
            msg += (
                f"; largest error at {samples.describe(worst, names)}: got "
                f"{fmt(got[worst])}, expected {fmt(exp[worst])}"
            )
        good = per_point(finite) & ~mismatch & ~nonfinite
        # an array per point is diagnosed by its worst entry (a wrong component, not the first)
        flat_over = np.where(np.isfinite(over), over, -np.inf).reshape(len(over), -1)
        worst_entry = np.argmax(flat_over, axis=1)
        rows = np.arange(len(got))
        extra = diagnose(
            got.reshape(len(got), -1)[rows, worst_entry],
            exp.reshape(len(exp), -1)[rows, worst_entry],
            mismatch,
            good,
            samples,
            names,
        )
        cx = Counterexample(point_json(samples, k, names), got[k], exp[k], str(tol))
        return Verdict(Status.REFUTED, "; ".join([msg, *extra]), cx)
    if nonfinite.any():
        k = int(np.argmax(nonfinite))
        where = samples.describe(k, names)
        msg = (
            f"{what} is unstable at {where}: got {fmt(got[k])} where the true value is "
            f"{fmt(exp[k])} ({int(nonfinite.sum())} of {pts} points; {seed})"
        )
        if stable_form:
            msg += f"; a stable form: {stable_form}"
        cx = Counterexample(point_json(samples, k, names), got[k], exp[k], str(tol))
        return Verdict(Status.UNSTABLE, msg, cx)
    msg = f"{what} agrees at {pts} points ({tol}, {seed})"
    warn = [n for n in notes if "overflow" in n or "invalid" in n or "divide" in n]
    if warn:
        msg += f"; the code warned ({'; '.join(warn)}) but its values are right"
    return Verdict(Status.VERIFIED_NUMERICALLY, msg)


def point_json(samples: Samples, k: int, names: list[str]) -> dict[str, Any]:
    """The inputs of point ``k``, for a Counterexample."""
    p = samples.point(k)
    return {n: p[n] for n in names if n in p}


def _confirm(
    got: np.ndarray, reference: sp.Basic, samples: Samples, mismatch: np.ndarray, tol: Tolerance
) -> np.ndarray:
    """Re-judge up to 20 mismatches against mpmath: a float64 'expected' may itself be off."""
    idx = np.flatnonzero(mismatch)[:20]
    names = arg_names(reference)
    try:
        pts = [{n: samples.point(int(k))[n] for n in names} for k in idx]
        refs = mp_reference_many(reference, pts, timeout=20.0)
    except (SymmlError, KeyError, TypeError, ValueError):
        return mismatch
    out = mismatch.copy()
    for k, r in zip(idx, refs, strict=True):
        try:
            rv = np.asarray(r, dtype=float)
        except (TypeError, ValueError):
            continue
        if np.all(close(got[k], rv, tol)):
            out[k] = False
    return out  # mismatches beyond the first 20 stay as judged


def ulps(
    expr: sp.Basic, samples: Samples, skip: np.ndarray | None = None, **values: np.ndarray
) -> dict[str, float]:
    """Worst ULP error of each named value array against the mpmath reference of ``expr``
    (at the special points and an even spread of the others; ``skip``: kinks)."""
    names = arg_names(expr)
    n = min(ULP_POINTS, samples.n)
    idx = list(range(min(13, n))) + list(np.linspace(13, samples.n - 1, max(n - 13, 0), dtype=int))
    idx = sorted(set(i for i in idx if i < samples.n and (skip is None or not skip[i])))
    try:
        refs = mp_reference_many(
            expr, [{m: samples.point(k)[m] for m in names} for k in idx], timeout=30.0
        )
    except (SymmlError, SymmlTimeout, KeyError, TypeError, ValueError):
        return {}
    out = {}
    for label, arr in values.items():
        try:
            u = ulp_error(np.asarray(arr)[idx], np.asarray(refs, dtype=object))
        except (TypeError, ValueError):
            continue
        u = u[~np.isnan(u)]
        if u.size:
            out[label] = float(u.max())
    return out


def ordinary_failure(
    samples: Samples, names: Sequence[str], clear: np.ndarray, fallback: int
) -> int:
    """The clear failure (>= 100x the tolerance) at the most ordinary inputs: a reader sees
    the bug at x = -3.1 more easily than at x = 1000, where both values may be extreme."""
    candidates = np.flatnonzero(clear)
    if len(candidates) == 0:
        return fallback
    best, best_size = fallback, np.inf
    for k in candidates[:2000]:
        point = samples.point(int(k))
        size = max(
            (float(np.max(np.abs(np.asarray(point[n], dtype=float)))) for n in names if n in point),
            default=0.0,
        )
        if size < best_size:
            best, best_size = int(k), size
    return best


def stable_form(expr: sp.Basic) -> str:
    """The stable rewriting of ``expr`` for a message, or "" when there is none."""
    s = stabilize(expr)
    return str(s).replace("_dsigmoid", "sigmoid'").replace("_sech2", "sech^2") if s != expr else ""
