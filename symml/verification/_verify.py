"""Checks: claims proved symbolically and checked numerically; hand-written code compared.

For one formula, :func:`verify` runs, in order:

1. ``handwritten`` (if any): the code against the lambdified definition at sampled points
   (>= 1000, extremes included), plus its ULP error and the generated code's against a
   50-digit mpmath reference;
2. each claim: ``derivative`` (against :func:`symml.derivation._derive.derive`), ``identity``
   (lhs = rhs), ``property`` (the inequality at every sampled point), ``stationary_point``
   (the derivative vanishes at the claimed value), ``value`` (both sides to 30 digits);
   symbolically within a time bound, then numerically;
3. a claim's ``handwritten`` code against the claim's target; for a derivative also
   against central finite differences of the formula (a gradcheck, step :data:`EPS`).

A check that ran and failed is refuted (a counterexample), failed (the code raised),
unstable (inf/NaN where the true value is finite) or timeout. A registry ``erratum`` that is
refuted is a confirmed erratum; one that stops reproducing fails. :func:`check_gradient` and
:func:`check_function` raise :class:`VerificationError` with the diagnosis instead.

Examples:
    >>> import numpy as np
    >>> check_gradient(lambda x: np.cos(x), r"\\sin(x)", "x").status.value
    'verified_numerically'
"""

from __future__ import annotations

import importlib
import inspect
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import sympy as sp

from symml.errors import SymmlError, SymmlTimeout, VerificationError
from symml.numeric import (
    DEFAULT_POINTS,
    Samples,
    Tolerance,
    close,
    lambdify_ml,
    mp_reference_many,
    sample_inputs,
    stabilize,
    tolerance_for,
    ulp_error,
)
from symml.verification._report import CheckResult, Counterexample, FormulaReport, Report, Status

__all__ = ["EPS", "verify", "check_gradient", "check_function", "verify_function", "equiv"]

#: Relative step of the central finite differences: h = EPS * max(1, |x|).
EPS = 1e-6
#: Seconds for each symbolic proof (simplify in a worker process).
PROOF_TIMEOUT = 5.0
#: Seconds for one formula in ``verify`` (a slow one becomes ``timeout``; the rest go on).
FORMULA_BUDGET = 120.0
#: Points measured against the mpmath reference (ULP errors); the specials come first.
ULP_POINTS = 40
_F64 = np.dtype(np.float64)


# ------------------------------------------------------------------- evaluation


class _Skip(Exception):
    """A check that cannot run; the message is the reason."""


def _arg_names(expr: sp.Basic) -> list[str]:
    bound = {lim[0] for s in expr.atoms(sp.Sum, sp.Product) for lim in s.limits}
    labels = {b.label for b in expr.atoms(sp.IndexedBase)}
    names = {
        str(s)
        for s in expr.free_symbols
        if isinstance(s, sp.Symbol) and s not in bound and s not in labels
    }
    names |= {str(b.label) for b in expr.atoms(sp.IndexedBase)}
    names |= {str(m.name) for m in expr.atoms(sp.MatrixSymbol)}
    return sorted(names)


def _unsupported(expr: sp.Basic) -> str | None:
    from sympy.core.function import AppliedUndef

    undef = expr.atoms(AppliedUndef)
    if undef:
        return f"it applies unknown function(s) {', '.join(sorted({str(u.func) for u in undef}))}"
    for cls in (sp.Integral, sp.Limit, sp.Derivative, sp.Subs):
        if expr.atoms(cls):
            return f"it contains an unevaluated {cls.__name__}"
    if any(isinstance(a, sp.Lambda) for a in sp.preorder_traversal(expr)):
        return "it contains a Lambda (a definition substituted but not applied)"
    return None


def _evaluate(expr: sp.Basic, samples: Samples) -> np.ndarray:
    """``expr`` at every sampled point: shape ``(n, ...)``; vectorised when possible."""
    expr = sp.sympify(expr)
    reason = _unsupported(expr)
    if reason:
        raise _Skip(f"cannot evaluate {expr}: {reason}")
    try:
        f = lambdify_ml(expr, _arg_names(expr))
    except SymmlError as exc:
        raise _Skip(str(exc)) from exc
    missing = [n for n in f.names if n not in samples.values and n not in samples.sizes]
    if missing:
        raise _Skip(f"no sampled values for {missing}")
    sizes = {r.size: samples.sizes[r.size] for r in f.sizes if r.size in samples.sizes}
    n = samples.n
    with np.errstate(all="ignore"):
        if f.batchable:
            try:
                kw = {
                    k: samples.values[k] if k in samples.values else samples.sizes[k]
                    for k in f.names
                }
                out = np.asarray(f(**kw, **sizes), dtype=float)
                if out.shape[:1] == (n,) or out.ndim == 0:
                    return (
                        np.broadcast_to(out, (n,) + out.shape[1:]).copy()
                        if out.ndim
                        else np.full(n, float(out))
                    )
            except (TypeError, ValueError, IndexError):
                pass  # e.g. a free index differs per point: evaluate point by point
        rows = []
        try:
            for k in range(n):
                p = samples.point(k)
                rows.append(np.asarray(f(**{a: p[a] for a in f.names}, **sizes), dtype=float))
        except (TypeError, ValueError, IndexError, ArithmeticError, np.linalg.LinAlgError) as exc:
            raise _Skip(
                f"the generated code for {expr} cannot be evaluated at the sampled "
                f"points: {type(exc).__name__}: {exc}"
            ) from exc
    return np.squeeze(np.stack(rows)) if rows and rows[0].size == 1 else np.stack(rows)


def _adapter_for(ref: str, adapter: Mapping[str, str] | None) -> dict[str, str]:
    """The registry's adapter over the module's ``ADAPTERS[function]`` (keyword -> symbol)."""
    module, _, attr = ref.partition(":")
    try:
        table = getattr(importlib.import_module(module), "ADAPTERS", {}) or {}
    except ImportError:
        table = {}
    return {**dict(table.get(attr, {})), **dict(adapter or {})}


def _load(ref: str) -> Callable:
    module, _, attr = ref.partition(":")
    if not module or not attr:
        raise SymmlError(f"expected MODULE:FUNCTION, got {ref!r}")
    try:
        return getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError) as exc:
        raise SymmlError(f"cannot import {ref}: {exc}") from exc


def _kwargs_plan(func: Callable, available: Iterable[str], adapter: Mapping[str, str]) -> dict:
    """Keyword -> sampled name, from the signature and the adapter (kwarg -> symbol)."""
    available = set(available)
    try:
        params = inspect.signature(func).parameters
    except (TypeError, ValueError):
        return {a: a for a in available}
    plan: dict[str, str] = {}
    for name, p in params.items():
        if p.kind is p.VAR_KEYWORD:
            for a in available:
                plan.setdefault(a, a)
            continue
        if p.kind is p.VAR_POSITIONAL:
            continue
        symbol = adapter.get(name, name)
        if symbol not in available and name in available:  # a module-wide renaming
            symbol = name  # that does not apply to this formula
        if symbol in available:
            plan[name] = symbol
        elif p.default is p.empty:
            raise _Skip(
                f"{getattr(func, '__name__', func)} needs argument {name!r}, which is not a "
                f"symbol of the formula (symbols: {', '.join(sorted(available))}); "
                "an adapter maps the names"
            )
    return plan


def _call(
    func: Callable,
    samples: Samples,
    adapter: Mapping[str, str],
    names: list[str],
    pick: int | None = None,
) -> tuple[np.ndarray, list[str]]:
    """The code's values at every point, and the warnings it raised (overflow, ...)."""
    import warnings

    plan = _kwargs_plan(
        func, [n for n in names if n in samples.values or n in samples.sizes], adapter
    )
    batch = samples.batch()
    for name, kind in samples.kinds.items():  # a column vector (n, 1) is a 1-D array to code
        if (
            kind.split("[")[0] in ("vector", "simplex")
            and np.ndim(batch.get(name)) == 3
            and np.shape(batch[name])[-1] == 1
        ):
            batch[name] = batch[name][..., 0]
    notes: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with np.errstate(all="warn", under="ignore"):
            out = None
            scalar_only = all(np.ndim(batch[s]) <= 1 for s in plan.values())
            if scalar_only and plan:
                try:
                    res = _select(func(**{k: batch[s] for k, s in plan.items()}), pick)
                    arr = np.asarray(res, dtype=float)
                    if arr.shape == (samples.n,):
                        out = arr
                except Exception:  # noqa: BLE001 - retried point by point, where it is reported
                    out = None
            if out is None:
                rows = []
                for k in range(samples.n):
                    p = {a: batch[a][k] if a in samples.values else batch[a] for a in batch}
                    rows.append(
                        np.asarray(
                            _select(func(**{a: p[s] for a, s in plan.items()}), pick), dtype=float
                        )
                    )
                out = np.stack(rows)
    for w in caught:
        text = f"{w.category.__name__}: {w.message}"
        if text not in notes:
            notes.append(text)
    return out, notes


def _select(result: Any, pick: int | None) -> Any:
    if isinstance(result, tuple):
        if pick is None:
            raise _Skip(
                f"the code returns a tuple of {len(result)} values; the formula is one value"
            )
        return result[pick]
    return result


# ------------------------------------------------------------------- judging


def _fmt(v: Any) -> str:
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


def _diagnose(
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
        elif abs(c) < 1 and abs(1 / c - round(1 / c)) < 1e-6 and abs(1 / c) > 2:
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


def _per_point(mask: np.ndarray) -> np.ndarray:
    return mask.reshape(mask.shape[0], -1).any(axis=1) if mask.ndim > 1 else mask


def _judge(
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
) -> tuple[Status, str, Counterexample | None]:
    """Compare per point; PASS is returned as VERIFIED_NUMERICALLY."""
    got = np.asarray(got, dtype=float)
    exp = np.asarray(exp, dtype=float)
    if got.shape != exp.shape:
        if got.size == exp.size:
            got = got.reshape(exp.shape)
        else:
            return (
                shape_status,
                f"{what} has shape {got.shape[1:]} per point; the formula "
                f"has shape {exp.shape[1:]} (check the declared shapes)",
                None,
            )
    finite = np.isfinite(exp)
    ok = close(got, exp, tol)
    mismatch = _per_point(finite & np.isfinite(got) & ~ok)
    nonfinite = _per_point(finite & ~np.isfinite(got))
    if mismatch.any() and reference is not None:
        mismatch = _confirm(got, reference, samples, mismatch, tol)
    seed = f"seed {samples.seed}"
    pts = int(_per_point(finite).sum())
    if mismatch.any():
        with np.errstate(all="ignore"):
            rel = np.abs(got - exp) / np.maximum(np.abs(exp), tol.atol)
            over = np.abs(got - exp) / (tol.atol + tol.rtol * np.abs(exp))  # x the tolerance
        rel_pp = rel.reshape(rel.shape[0], -1).max(axis=1) if rel.ndim > 1 else rel
        over_pp = over.reshape(over.shape[0], -1).max(axis=1) if over.ndim > 1 else over
        worst = int(np.nanargmax(np.where(mismatch, over_pp, -np.inf)))
        k = _ordinary_failure(samples, names, mismatch & (over_pp >= 100), worst)
        where = samples.describe(k, names)
        msg = (
            f"{what} is wrong at {where}: got {_fmt(got[k])}, expected {_fmt(exp[k])} "
            f"(rel. error {rel_pp[k]:.3g}, tolerance {tol}, {seed})"
        )
        if k != worst:
            msg += (f"; largest error at {samples.describe(worst, names)}: got "
                    f"{_fmt(got[worst])}, expected {_fmt(exp[worst])}")
        good = _per_point(finite) & ~mismatch & ~nonfinite
        extra = _diagnose(
            got.reshape(len(got), -1)[:, 0],
            exp.reshape(len(exp), -1)[:, 0],
            mismatch,
            good,
            samples,
            names,
        )
        cx = Counterexample(_point_json(samples, k, names), got[k], exp[k], str(tol))
        return Status.REFUTED, "; ".join([msg, *extra]), cx
    if nonfinite.any():
        k = int(np.argmax(nonfinite))
        where = samples.describe(k, names)
        msg = (
            f"{what} is unstable at {where}: got {_fmt(got[k])} where the true value is "
            f"{_fmt(exp[k])} ({int(nonfinite.sum())} of {pts} points; {seed})"
        )
        if stable_form:
            msg += f"; a stable form: {stable_form}"
        cx = Counterexample(_point_json(samples, k, names), got[k], exp[k], str(tol))
        return Status.UNSTABLE, msg, cx
    msg = f"{what} agrees at {pts} points ({tol}, {seed})"
    warn = [n for n in notes if "overflow" in n or "invalid" in n or "divide" in n]
    if warn:
        msg += f"; the code warned ({'; '.join(warn)}) but its values are right"
    return Status.VERIFIED_NUMERICALLY, msg, None


def _point_json(samples: Samples, k: int, names: list[str]) -> dict[str, Any]:
    p = samples.point(k)
    return {n: p[n] for n in names if n in p}


def _confirm(
    got: np.ndarray, reference: sp.Basic, samples: Samples, mismatch: np.ndarray, tol: Tolerance
) -> np.ndarray:
    """Re-judge up to 20 mismatches against mpmath: a float64 'expected' may itself be off."""
    idx = np.flatnonzero(mismatch)[:20]
    names = _arg_names(reference)
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


def _ulps(
    expr: sp.Basic, samples: Samples, skip: np.ndarray | None = None, **values: np.ndarray
) -> dict[str, float]:
    """Worst ULP error of each named value array against the mpmath reference of ``expr``
    (at the special points and an even spread of the others; ``skip``: kinks)."""
    names = _arg_names(expr)
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


def _prove(a: sp.Basic, b: sp.Basic) -> bool | None:
    """a == b symbolically within PROOF_TIMEOUT: True, or None (not proved).

    SymPy sometimes raises inside simplify (StopIteration, NotImplementedError on symbolic
    shapes); that too is "not proved", and the numeric check decides.
    """
    from symml.functions import to_elementary
    from symml.workers import bounded_simplify

    try:
        d = to_elementary(a) - to_elementary(b)
        if d == 0:
            return True
        res = bounded_simplify(d, timeout=PROOF_TIMEOUT)
        if res.timed_out:
            return None
        if res.value == 0:
            return True
        # tanh, sinh, ... against their exponential definitions: compare in one vocabulary
        via_exp = bounded_simplify(res.value.rewrite(sp.exp), timeout=PROOF_TIMEOUT)
        if not via_exp.timed_out and via_exp.value == 0:
            return True
        rewritten = bounded_simplify(
            sp.piecewise_fold(res.value.rewrite(sp.Piecewise)), timeout=PROOF_TIMEOUT
        )
    except (
        SymmlTimeout,
        TypeError,
        ValueError,
        AttributeError,
        NotImplementedError,
        StopIteration,
        RecursionError,
    ):
        return None
    return True if (not rewritten.timed_out and rewritten.value == 0) else None


def _ordinary_failure(samples: Samples, names: Sequence[str], clear: np.ndarray,
                      fallback: int) -> int:
    """The clear failure (>= 100x the tolerance) at the most ordinary inputs: a reader sees
    the bug at x = -3.1 more easily than at x = 1000, where both values may be extreme."""
    candidates = np.flatnonzero(clear)
    if len(candidates) == 0:
        return fallback
    best, best_size = fallback, np.inf
    for k in candidates[:2000]:
        point = samples.point(int(k))
        size = max((float(np.max(np.abs(np.asarray(point[n], dtype=float))))
                    for n in names if n in point), default=0.0)
        if size < best_size:
            best, best_size = int(k), size
    return best


def _stable_form(expr: sp.Basic) -> str:
    s = stabilize(expr)
    return str(s).replace("_dsigmoid", "sigmoid'").replace("_sech2", "sech^2") if s != expr else ""


# ------------------------------------------------------------------- finite differences


def _finite_difference(
    f_expr: sp.Basic, var: sp.Basic, samples: Samples, *, relative: bool = False
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Central differences of ``f_expr`` in ``var`` at every point.

    Returns (fd, error estimate, kink mask): the estimate adds the truncation error
    (FD with h against 2h) and the rounding error (eps |f| / h); a point whose one-sided
    differences disagree is a kink (ReLU at 0), where no derivative exists to compare.
    ``relative`` steps by EPS*|x| (EPS at 0): only a kink at the point itself counts.
    """
    eps = float(np.finfo(_F64).eps)
    if isinstance(var, sp.Indexed):
        base, (idx,) = str(var.base.label), var.indices
        x0 = samples.values[base]
        comp = (
            np.asarray(samples.values[str(idx)], dtype=int) - 1
            if str(idx) in samples.values
            else np.full(samples.n, int(idx) - 1)
        )
        centre = np.take_along_axis(x0.reshape(samples.n, -1), comp[:, None], 1)[:, 0]
    else:
        base, comp = str(var), None
        x0 = samples.values[base]
        centre = x0

    def shifted(step: np.ndarray) -> np.ndarray:
        vals = dict(samples.values)
        if comp is None:
            vals[base] = x0 + step
        else:
            arr = x0.reshape(samples.n, -1).copy()
            rows = np.arange(samples.n)
            arr[rows, comp] = arr[rows, comp] + step
            vals[base] = arr.reshape(x0.shape)
        return _evaluate(
            f_expr, Samples(vals, samples.sizes, samples.kinds, samples.seed, samples.n)
        )

    h = EPS * (
        np.where(centre == 0, 1.0, np.abs(centre)) if relative else np.maximum(1.0, np.abs(centre))
    )
    f0 = _evaluate(f_expr, samples)
    fp, fm = shifted(h), shifted(-h)
    fp2, fm2 = shifted(2 * h), shifted(-2 * h)
    with np.errstate(all="ignore"):
        fd = (fp - fm) / (2 * h)
        fd2 = (fp2 - fm2) / (4 * h)
        fwd, bwd = (fp - f0) / h, (f0 - fm) / h
        rounding = 4 * eps * (np.abs(fp) + np.abs(fm) + np.abs(f0)) / h
        est = np.abs(fd - fd2) + rounding
        kink = np.abs(fwd - bwd) > 1e-3 * (np.abs(fwd) + np.abs(bwd)) + 10 * rounding + 1e-12
    return fd, est, kink


def _gradcheck(
    what: str,
    got: np.ndarray,
    f_expr: sp.Basic,
    var: sp.Basic,
    samples: Samples,
    tol: Tolerance,
    names: list[str],
) -> tuple[Status, str, Counterexample | None]:
    fd, est, kink = _finite_difference(f_expr, var, samples)
    usable = np.isfinite(fd) & np.isfinite(est) & ~kink
    fd_tol = Tolerance(tol.fd_rtol, tol.fd_atol, tol.fd_rtol, tol.fd_atol)
    got = np.asarray(got, dtype=float).reshape(fd.shape)
    with np.errstate(all="ignore"):
        ok = np.abs(got - fd) <= fd_tol.atol + fd_tol.rtol * np.abs(fd) + 2 * est
    bad = usable & np.isfinite(got) & ~ok
    if bad.any():
        rel = np.abs(got - fd) / np.maximum(np.abs(fd), fd_tol.atol)
        k = int(np.nanargmax(np.where(bad, rel, -np.inf)))
        msg = (
            f"{what} disagrees with central finite differences at "
            f"{samples.describe(k, names)}: got {_fmt(got[k])}, finite difference "
            f"{_fmt(fd[k])} +- {est[k]:.2g} (step {EPS:g}*max(1,|{var}|), tolerance "
            f"fd_rtol={fd_tol.rtol:g}, fd_atol={fd_tol.atol:g}, seed {samples.seed})"
        )
        extra = _diagnose(got, fd, bad, usable & ~bad, samples, names)
        cx = Counterexample(
            _point_json(samples, k, names),
            got[k],
            fd[k],
            f"finite difference, fd_rtol={fd_tol.rtol:g}, fd_atol={fd_tol.atol:g}",
        )
        return Status.REFUTED, "; ".join([msg, *extra]), cx
    skipped = int(kink.sum())
    note = f", {skipped} kink point(s) skipped" if skipped else ""
    return (
        Status.VERIFIED_NUMERICALLY,
        f"matches finite differences at {int(usable.sum())} points{note}",
        None,
    )


# ------------------------------------------------------------------- claims


class _Context:
    """What every check of one formula shares: options, kinds, the formula's expressions."""

    def __init__(
        self,
        formula: Any,
        seed: int,
        points: int,
        tol: Tolerance,
        *,
        name: str | None = None,
        definition: sp.Basic | None = None,
        kinds: Mapping[str, str] | None = None,
    ):
        self.formula = formula
        self.name = name or formula.name
        self.seed = seed
        self.points = points
        self.tol = tol
        self.kinds = dict(kinds if kinds is not None else formula.symbols)
        self._definition = definition
        self._derivations: dict[str, Any] = {}

    def derive(self, wrt: Any) -> Any:
        """symml.derivation._derive.derive of the formula, once per variable (the textbook search is slow)."""
        from symml.derivation import derive

        key = str(wrt)
        if key not in self._derivations:
            self._derivations[key] = derive(self.formula, wrt, steps=False, seed=self.seed)
        return self._derivations[key]

    def resolve(self, value: Any) -> Any:
        """Registry functions substituted, the formula's own function expanded, doit()."""
        from symml.derivation import expand_function
        from symml.latex import Aligned, Equation, Relation
        from symml.registry import substitute

        if isinstance(value, Equation):
            return Equation(self.resolve(value.lhs), self.resolve(value.rhs), value.op)
        if isinstance(value, Relation):
            return Relation(tuple(self.resolve(p) for p in value.parts), value.ops)
        if isinstance(value, Aligned):
            return Aligned(tuple(self.resolve(i) for i in value.items))
        if not isinstance(value, sp.Basic) or self.formula is None:
            return value
        for name in self.formula.definitions:
            value = substitute(value, self.formula.lookup(name))
        lhs = self.formula.lhs
        if lhs is not None and self.formula.rhs is not None:
            value = expand_function(value, lhs, self.definition)
            if isinstance(lhs, sp.Symbol) and lhs in value.free_symbols:
                value = value.xreplace({lhs: self.definition})
        if value.atoms(sp.Derivative):
            _differentiable_or_refute(value)
            value = value.doit()
        return value

    @property
    def definition(self) -> sp.Basic:
        if self._definition is None:
            self._definition = self.formula.definition()
        return self._definition

    def sample(self, exprs: list, exclude: Iterable[str] = ()) -> Samples:
        try:
            return sample_inputs(exprs, self.kinds, n=self.points, seed=self.seed, exclude=exclude)
        except SymmlError as exc:
            raise _Skip(str(exc)) from exc


def _result(
    ctx: _Context,
    claim: str,
    status: Status,
    message: str,
    cx: Counterexample | None = None,
    ulp: Mapping[str, float] | None = None,
    points: int = 0,
) -> CheckResult:
    return CheckResult(
        ctx.name, claim, status, message, cx, dict(ulp or {}), None, ctx.seed, points
    )


#: Points at most where a non-finite generated value is replaced by the mpmath reference.
REFERENCE_FILL = 64


def _fill_from_reference(expected: np.ndarray, target: sp.Basic, samples: Samples) -> int:
    """Where the generated code gave inf/NaN, put the true value (mpmath) if it is finite.

    The generated code is stable for the shapes :func:`symml.numeric._numeric.stabilize` knows; a
    written-out softmax still overflows. Without this, those points would be silently left
    out and the code under test never judged there. Returns how many points were filled.
    """
    bad = ~_per_point(np.isfinite(expected))
    idx = np.flatnonzero(bad)[:REFERENCE_FILL]
    if not idx.size:
        return 0
    names = _arg_names(target)
    try:
        refs = mp_reference_many(
            target, [{m: samples.point(int(k))[m] for m in names} for k in idx], timeout=30.0
        )
    except (SymmlError, KeyError, TypeError, ValueError):
        return 0
    filled = 0
    for k, r in zip(idx, refs, strict=True):
        try:
            with np.errstate(over="ignore"):
                v = np.asarray(np.asarray(r, dtype=object).astype(float))
        except (TypeError, ValueError, OverflowError):
            continue
        if np.all(np.isfinite(v)) and v.shape == expected[k].shape:
            expected[k] = v
            filled += 1
    return filled


def _component(
    got: np.ndarray, expected: np.ndarray, samples: Samples, names: list[str]
) -> np.ndarray:
    """Code that returns the whole vector (softmax(z)) for a formula of one component
    (softmax(z)_i): take component i at each point."""
    free = [n for n in names if samples.kinds.get(n) == "index" and n in samples.values]
    if len(free) != 1 or got.ndim != expected.ndim + 1:
        return got
    idx = np.asarray(samples.values[free[0]], dtype=int) - 1
    if idx.min() < 0 or idx.max() >= got.shape[-1]:
        return got
    return np.take_along_axis(got, idx.reshape((-1,) + (1,) * (got.ndim - 1)), -1)[..., 0]


def _compare_code(
    ctx: _Context,
    label: str,
    ref: str,
    adapter: Mapping[str, str],
    target: sp.Basic,
    *,
    pick: int | None = None,
    wrt: sp.Basic | None = None,
) -> CheckResult:
    """Hand-written code against ``target`` (and, for a derivative, finite differences)."""
    func = _load(ref)
    adapter = _adapter_for(ref, adapter)
    samples = ctx.sample([target] + ([ctx.definition] if wrt is not None else []))
    names = _arg_names(target)
    if wrt is not None:
        names = sorted(set(names) | set(_arg_names(ctx.definition)))
    try:  # the code first: code that cannot run is a finding even where the target is not
        got, notes = _call(func, samples, adapter, names, pick)
    except _Skip:
        raise
    except Exception as exc:  # noqa: BLE001 - the user's code raised: that is the finding
        return _result(
            ctx, label, Status.FAILED, f"{ref} raised {type(exc).__name__}: {exc}", points=samples.n
        )
    expected = _evaluate(target, samples)
    got = _component(got, expected, samples, names)
    generated = expected.copy()
    filled = _fill_from_reference(expected, target, samples)
    kinks = _mask_kinks(expected, ctx, wrt, samples)  # the gradcheck below reports them
    what = ref.rpartition(":")[2]
    status, msg, cx = _judge(
        what,
        got,
        expected,
        samples,
        ctx.tol,
        names,
        reference=target,
        stable_form=_stable_form(target),
        notes=notes,
    )
    status, msg, cx, ulp = _complete(
        status, msg, cx, what=what, got=got, expected=expected, generated=generated,
        filled=filled, kinks=kinks, target=target, definition=ctx.definition, wrt=wrt,
        samples=samples, tol=ctx.tol, names=names, whose="handwritten",
    )
    return _result(ctx, label, status, msg, cx, ulp, samples.n)


def _complete(status, msg, cx, *, what, got, expected, generated, filled, kinks, target,
              definition, wrt, samples, tol, names, whose):
    """After the value check: the gradcheck, the overflow note, the ULP figures."""
    if status is Status.VERIFIED_NUMERICALLY and wrt is not None:
        status, fd_msg, cx = _gradcheck(what, got, definition, wrt, samples, tol, names)
        msg = f"{msg}; {fd_msg}"
    if filled:
        msg += f"; the generated code overflowed at {filled} point(s), judged there by mpmath"
    ulp = (
        _ulps(target, samples, kinks, generated=generated, **{whose: got})
        if expected.ndim == 1
        else {}
    )
    if ulp:
        msg += "; worst ULP vs mpmath: " + ", ".join(f"{k} {v:.3g}" for k, v in ulp.items())
    return status, msg, cx, ulp


def _check_equal(
    ctx: _Context, label: str, a: sp.Basic, b: sp.Basic, what: str, wrt: sp.Basic | None = None
) -> CheckResult:
    """a == b: a symbolic proof within the bound, and a numeric check at sampled points.

    With ``wrt`` (a derivative), points where the formula has a kink are left out.
    """
    proved = _prove(a, b)
    samples = ctx.sample([a, b] + ([ctx.definition] if wrt is not None else []))
    names = sorted(set(_arg_names(a)) | set(_arg_names(b)))
    ea, eb = _evaluate(a, samples), _evaluate(b, samples)
    _fill_from_reference(ea, a, samples)  # the claim is about mathematics, not overflow
    _fill_from_reference(eb, b, samples)
    kinks = int(_mask_kinks(eb, ctx, wrt, samples).sum())
    status, msg, cx = _judge(
        what, ea, eb, samples, ctx.tol, names, reference=b, shape_status=Status.SKIPPED
    )
    if kinks:
        msg += f"; {kinks} point(s) where the formula is not differentiable left out"
    if status is Status.REFUTED and proved:
        status, msg = (
            Status.VERIFIED,
            (
                f"proved symbolically; numerically the two sides differ "
                f"only where float evaluation is inexact ({msg})"
            ),
        )
    elif status is Status.VERIFIED_NUMERICALLY and proved:
        status, msg = Status.VERIFIED, f"proved symbolically; {msg}"
    elif status is Status.VERIFIED_NUMERICALLY:
        msg = f"not proved symbolically (simplify, {PROOF_TIMEOUT:g} s bound); {msg}"
    return _result(ctx, label, status, msg, cx, points=samples.n)


def _mask_kinks(
    expected: np.ndarray, ctx: _Context, wrt: sp.Basic | None, samples: Samples
) -> np.ndarray:
    """Set ``expected`` to NaN where the formula has a kink in ``wrt``; the kink mask."""
    none = np.zeros(samples.n, dtype=bool)
    if wrt is None:
        return none
    try:
        kink = _finite_difference(ctx.definition, wrt, samples, relative=True)[2]
    except (_Skip, SymmlError, KeyError):
        return none
    kink = kink.reshape(len(kink), -1).any(axis=1) if kink.ndim > 1 else kink
    expected[kink] = np.nan
    return kink


def _check_derivative(ctx: _Context, claim: Any, label: str) -> list[CheckResult]:

    d = ctx.derive(claim.wrt)
    target = _derivative_target(d, ctx.definition)
    stated = ctx.resolve(claim.expr)
    stated = _expand_components(stated, d.wrt)
    out = [_check_equal(ctx, label, stated, target, f"d/d{d.wrt} as stated", d.wrt)]
    if claim.handwritten:
        out.append(_claim_code(ctx, claim, label, target, wrt=d.wrt))
    return out


def _claim_code(ctx: _Context, claim: Any, label: str, target: sp.Basic, wrt: Any = None):
    """The claim's hand-written code against ``target`` (a derivative when ``wrt`` is set)."""
    name = f"{label}: handwritten {claim.handwritten}"
    adapter = claim.adapter or ctx.formula.adapter
    return _guard(ctx, name, lambda: _compare_code(ctx, name, claim.handwritten, adapter,
                                                   target, wrt=wrt))


def _derivative_target(d: Any, definition: sp.Basic) -> sp.Basic:
    """The derivative to evaluate: the textbook form (derive proved it equal to sympy.diff)
    written out, which stabilizes best (``1 - tanh^2``); else the simplified one."""
    from symml.derivation import expand_function

    for form in (d.textbook, d.simplified, d.raw):
        if d.function is not None:
            form = expand_function(form, d.function, definition)
        if _unsupported(form) is None:
            return form
    return d.raw


def _expand_components(expr: sp.Basic, wrt: sp.Basic) -> sp.Basic:
    """``z_k`` written as a plain symbol where the derivative uses the component ``z[k]``."""
    if not isinstance(wrt, sp.Indexed):
        return expr
    base = wrt.base
    subs = {}
    for s in expr.free_symbols:
        head, _, idx = str(s).partition("_")
        if head == str(base.label) and idx.isidentifier():
            subs[s] = base[sp.Symbol(idx, integer=True)]
    return expr.xreplace(subs) if subs else expr


def _check_identity(ctx: _Context, claim: Any, label: str) -> list[CheckResult]:
    from symml.latex import Equation

    value = ctx.resolve(claim.expr)
    if isinstance(value, Equation):
        lhs, rhs = value.lhs, value.rhs
    else:
        lhs, rhs = ctx.definition, value
    out = [_check_equal(ctx, label, lhs, rhs, "the left side")]
    if claim.handwritten:
        out.append(_claim_code(ctx, claim, label, rhs))
    return out


_OPS = {
    "<": np.less_equal,
    r"\leq": np.less_equal,
    "\\le": np.less_equal,
    ">": np.greater_equal,
    r"\geq": np.greater_equal,
    "\\ge": np.greater_equal,
}


def _check_property(ctx: _Context, claim: Any, label: str) -> list[CheckResult]:
    from symml.latex import Relation

    value = ctx.resolve(claim.expr)
    if not isinstance(value, Relation):
        raise _Skip(f"a property must be an inequality, got {value}")
    parts = [sp.sympify(p) for p in value.parts]
    samples = ctx.sample(parts)
    names = sorted(set().union(*(_arg_names(p) for p in parts)))
    vals = [_evaluate(p, samples) for p in parts]
    tol = ctx.tol
    ok_all = np.ones(samples.n, dtype=bool)
    worst = None
    steps = zip(parts, value.ops, parts[1:], vals, vals[1:], strict=False)
    for a, op, b, va, vb in steps:
        if op not in _OPS:
            raise _Skip(f"cannot check the relation {op!r} numerically")
        slack = tol.atol + tol.rtol * np.maximum(np.abs(va), np.abs(vb))
        with np.errstate(all="ignore"):
            holds = (
                _OPS[op](va, vb + slack) if _OPS[op] is np.less_equal else _OPS[op](va + slack, vb)
            )
        holds |= ~(np.isfinite(va) & np.isfinite(vb))
        if not holds.all() and worst is None:
            k = int(np.argmin(holds))
            worst = (k, a, op, b, va[k], vb[k])
        ok_all &= holds
    if worst is not None:
        k, a, op, b, x, y = worst
        msg = (
            f"{a} {op} {b} fails at {samples.describe(k, names)}: {_fmt(x)} vs {_fmt(y)} "
            f"({int((~ok_all).sum())} of {samples.n} points; tolerance {tol}, seed {ctx.seed})"
        )
        cx = Counterexample(_point_json(samples, k, names), x, y, str(tol))
        return [_result(ctx, label, Status.REFUTED, msg, cx, points=samples.n)]
    return [
        _result(
            ctx,
            label,
            Status.VERIFIED_NUMERICALLY,
            f"holds at {samples.n} points, extremes included ({tol}, seed {ctx.seed})",
            points=samples.n,
        )
    ]


def _check_stationary(ctx: _Context, claim: Any, label: str) -> list[CheckResult]:
    from symml.latex import Equation

    value = ctx.resolve(claim.expr)
    at = value.rhs if isinstance(value, Equation) else value
    out = [_guard(ctx, label, lambda: _stationary_symbolic(ctx, claim, label, at))]
    if claim.handwritten:
        same = [
            c
            for c in ctx.formula.claims
            if c.kind == claim.kind and c.handwritten == claim.handwritten
        ]
        pick = same.index(claim) if len(same) > 1 else None
        hw_label = f"{label}: handwritten {claim.handwritten}"
        out.append(
            _guard(
                ctx,
                hw_label,
                lambda: _compare_code(
                    ctx,
                    hw_label,
                    claim.handwritten,
                    claim.adapter or ctx.formula.adapter,
                    at,
                    pick=pick,
                ),
            )
        )
    return out


def _stationary_symbolic(ctx: _Context, claim: Any, label: str, at: sp.Basic) -> CheckResult:
    from symml.derivation import resolve_variable

    var = resolve_variable(ctx.definition, claim.wrt)
    grad = ctx.derive(var).raw
    at_point = grad.xreplace({var: at})
    proved = _prove(at_point, sp.S.Zero)
    samples = ctx.sample([at_point, ctx.definition.xreplace({var: at})], exclude=[str(var)])
    names = _arg_names(at_point)
    g = _evaluate(at_point, samples)
    scale = np.abs(_evaluate(ctx.definition.xreplace({var: at}), samples))
    scale = scale / np.maximum(np.abs(_evaluate(at, samples)), 1.0) + 1.0
    tol = ctx.tol
    with np.errstate(all="ignore"):
        bad = np.isfinite(g) & (np.abs(g) > tol.atol + tol.rtol * scale)
    if bad.any() and not proved:
        k = int(np.argmax(np.abs(np.where(bad, g, 0))))
        msg = (
            f"d/d{var} at {var} = {at} is {_fmt(g[k])}, not 0, at "
            f"{samples.describe(k, names)} ({int(bad.sum())} of {samples.n} points; "
            f"tolerance {tol} times the scale {scale[k]:.3g}, seed {ctx.seed})"
        )
        cx = Counterexample(_point_json(samples, k, names), g[k], 0.0, str(tol))
        return _result(ctx, label, Status.REFUTED, msg, cx, points=samples.n)
    status = Status.VERIFIED if proved else Status.VERIFIED_NUMERICALLY
    how = "proved symbolically; " if proved else ""
    return _result(
        ctx,
        label,
        status,
        f"{how}d/d{var} vanishes at {var} = {at} at {samples.n} points ({tol}, seed {ctx.seed})",
        points=samples.n,
    )


class _NotDifferentiable(Exception):
    """A derivative evaluated where it does not exist (one-sided derivatives differ)."""


def _differentiable_or_refute(value: sp.Basic) -> None:
    """``f'(a)`` written where f has a kink: raise with both one-sided derivatives."""
    from symml.functions import to_elementary
    from symml.workers import run_bounded

    for s in value.atoms(sp.Subs):
        inner, (u,), (a,) = s.args
        if not isinstance(inner, sp.Derivative) or inner.variables != (u,):
            continue
        g = to_elementary(inner.expr)
        h = sp.Dummy("h", positive=True)
        q = (g.xreplace({u: a + h}) - g.xreplace({u: a})) / h
        q_left = (g.xreplace({u: a}) - g.xreplace({u: a - h})) / h
        try:
            right = run_bounded(sp.limit, q, h, 0, "+", timeout=PROOF_TIMEOUT)
            left = run_bounded(sp.limit, q_left, h, 0, "+", timeout=PROOF_TIMEOUT)
        except SymmlTimeout:
            continue
        if right.is_finite and left.is_finite and sp.simplify(right - left) != 0:
            raise _NotDifferentiable(
                f"{inner.expr} is not differentiable at {u} = {a}: the derivative from the "
                f"right is {right} and from the left {left}, so {sp.sstr(s)} does not exist"
            )


def _check_value(ctx: _Context, claim: Any, label: str) -> list[CheckResult]:
    from symml.latex import Equation

    try:
        value = ctx.resolve(claim.expr)
    except _NotDifferentiable as exc:
        return [_result(ctx, label, Status.REFUTED, str(exc), points=1)]
    if not isinstance(value, Equation):
        raise _Skip(f"a value claim must be an equation, got {value}")
    lhs, rhs = sp.sympify(value.lhs), sp.sympify(value.rhs)
    if _arg_names(lhs) or _arg_names(rhs):
        return _check_identity(ctx, claim, label)
    done_l, done_r = lhs.doit(), rhs.doit()
    proved = _prove(done_l, done_r)
    if isinstance(done_l, sp.MatrixBase) or isinstance(done_r, sp.MatrixBase):
        return [_matrix_value(ctx, label, done_l, done_r, proved)]
    try:
        a, b = _number(lhs, done_l), _number(rhs, done_r)
    except (TypeError, ValueError) as exc:
        raise _Skip(f"cannot evaluate {lhs} = {rhs} numerically: {exc}") from exc
    tol = ctx.tol
    if abs(a - b) <= tol.atol + tol.rtol * abs(b):
        status = Status.VERIFIED if proved else Status.VERIFIED_NUMERICALLY
        return [_result(ctx, label, status, f"both sides are {b.real:.15g} (30 digits)", points=1)]
    msg = f"{lhs} = {a.real:.15g} but {rhs} = {b.real:.15g} (tolerance {tol})"
    cx = Counterexample({}, a.real, b.real, str(tol))
    return [_result(ctx, label, Status.REFUTED, msg, cx, points=1)]


def _number(expr: sp.Basic, done: sp.Basic) -> complex:
    """``expr`` to 30 digits; else its ``doit()`` (a determinant of numbers, say)."""
    try:
        return complex(expr.evalf(30))
    except (TypeError, ValueError):
        return complex(done.evalf(30))


def _matrix_value(
    ctx: _Context, label: str, lhs: sp.Basic, rhs: sp.Basic, proved: bool | None
) -> CheckResult:
    """A value claim between matrices of numbers: same shape, every entry to 30 digits."""
    try:
        a = np.array(sp.Matrix(lhs).evalf(30).tolist(), dtype=complex)
        b = np.array(sp.Matrix(rhs).evalf(30).tolist(), dtype=complex)
    except (TypeError, ValueError) as exc:
        raise _Skip(f"cannot evaluate {lhs} = {rhs} numerically: {exc}") from exc
    tol = ctx.tol
    if a.shape != b.shape:
        msg = f"the left side is {a.shape}, the right side {b.shape} (rows, columns)"
        return _result(ctx, label, Status.REFUTED, msg, points=1)
    if not proved and all(e.is_number for e in (*sp.Matrix(lhs), *sp.Matrix(rhs))):
        proved = all(sp.nsimplify(e) == 0 for e in sp.Matrix(lhs) - sp.Matrix(rhs))
    bad = np.abs(a - b) > tol.atol + tol.rtol * np.abs(b)
    if not bad.any():
        status = Status.VERIFIED if proved else Status.VERIFIED_NUMERICALLY
        how = "exactly; " if proved else ""
        shown = sp.sstr(sp.Matrix(rhs).tolist())
        return _result(ctx, label, status, f"{how}both sides are {shown} (30 digits)", points=1)
    r, c = (int(v) for v in np.argwhere(bad)[0])
    msg = (
        f"entry ({r + 1}, {c + 1}): the left side is {a[r, c].real:.15g}, the right side "
        f"{b[r, c].real:.15g} ({int(bad.sum())} of {bad.size} entries differ; tolerance {tol})"
    )
    cx = Counterexample({"entry": (r + 1, c + 1)}, a[r, c].real, b[r, c].real, str(tol))
    return _result(ctx, label, Status.REFUTED, msg, cx, points=1)


_CLAIM_CHECKS = {
    "derivative": _check_derivative,
    "identity": _check_identity,
    "property": _check_property,
    "stationary_point": _check_stationary,
    "value": _check_value,
}


def _claim_label(claim: Any) -> str:
    kind = getattr(claim.kind, "value", claim.kind)
    wrt = f" wrt {claim.wrt}" if claim.wrt else ""
    return f"{kind}{wrt} (#{claim.index + 1}): {claim.latex}"


def _guard(ctx: _Context, label: str, run: Callable[[], Any]) -> Any:
    """Run a check; a _Skip, timeout or error becomes its status instead of escaping."""
    try:
        return run()
    except _Skip as exc:
        return _result(ctx, label, Status.SKIPPED, str(exc))
    except SymmlTimeout as exc:
        return _result(ctx, label, Status.TIMEOUT, str(exc))
    except SymmlError as exc:
        return _result(ctx, label, Status.SKIPPED, f"{type(exc).__name__}: {exc}")
    except Exception as exc:  # noqa: BLE001 - a check symml could not run is a failure, shown
        return _result(
            ctx, label, Status.FAILED, f"symml raised {type(exc).__name__} while checking: {exc}"
        )


def _with_erratum(results: list[CheckResult], claim: Any) -> list[CheckResult]:
    """A claim marked erratum must be refuted by at least one of its checks.

    Refuted/unstable/failed checks become ERRATUM (confirmed); the others keep their status
    (a symbolic part that cannot run next to code that cannot run). If none refutes it,
    every check of the claim FAILS: the erratum stopped reproducing.

    A claim's ``handwritten_erratum`` applies to the check of its hand-written code alone
    (the claim itself stays as it is, unless it also has an ``erratum``).
    """
    hw_erratum = getattr(claim, "handwritten_erratum", None)
    if hw_erratum and claim.handwritten:
        mark = f": handwritten {claim.handwritten}"
        code = [r for r in results if r.claim.endswith(mark)]
        rest = [r for r in results if not r.claim.endswith(mark)]
        if not code:  # the claim's check stopped before the code ran: not confirmed
            return _expect_erratum(results, hw_erratum, "the documents' code")
        code = _expect_erratum(code, hw_erratum, "the documents' code")
        rest = _expect_erratum(rest, claim.erratum, "this claim") if claim.erratum else rest
        return [*rest, *code]
    if not claim.erratum:
        return results
    return _expect_erratum(results, claim.erratum, "this claim")


def _expect_erratum(results: list[CheckResult], erratum: str, what: str) -> list[CheckResult]:
    """Checks that the registry expects to go wrong (``erratum`` says why): confirmed when
    one is refuted/unstable/failed, else they all fail (the erratum no longer reproduces)."""
    if not results:
        return results
    refuting = (Status.REFUTED, Status.UNSTABLE, Status.FAILED)
    confirmed = any(r.status in refuting for r in results)
    out = []
    for r in results:
        status, msg = r.status, r.message
        if confirmed and r.status in refuting:
            status, msg = Status.ERRATUM, f"confirmed erratum: {r.message}"
        elif not confirmed and r.status is not Status.TIMEOUT:
            status = Status.FAILED
            msg = (
                f"erratum no longer reproduces: the registry marks {what} as an erratum, but "
                f"the check did not refute it ({r.status.value}: {r.message}); erratum: {erratum}"
            )
        out.append(
            CheckResult(
                r.formula,
                r.claim,
                status,
                msg,
                r.counterexample,
                r.ulp,
                erratum,
                r.seed,
                r.points,
            )
        )
    return out


def verify_formula(
    formula: Any, *, seed: int = 0, points: int = DEFAULT_POINTS, tolerances: Any = None
) -> FormulaReport:
    """Every check of one registry formula (see the module docstring)."""
    tol = tolerance_for(_F64, tolerances)
    ctx = _Context(formula, seed, points, tol)
    results: list[CheckResult] = []
    if formula.handwritten:
        label = f"handwritten {formula.handwritten}"
        code = _guard(
            ctx,
            label,
            lambda: _compare_code(ctx, label, formula.handwritten, formula.adapter, ctx.definition),
        )
        erratum = getattr(formula, "handwritten_erratum", None)
        results.extend(
            _expect_erratum([code], erratum, "the documents' code") if erratum else [code]
        )
    for claim in formula.claims:
        label = _claim_label(claim)
        kind = getattr(claim.kind, "value", claim.kind)
        check = _CLAIM_CHECKS.get(kind)

        def run(check=check, claim=claim, label=label, kind=kind) -> list[CheckResult]:
            if check is None:
                raise _Skip(f"no check for claim kind {kind!r}")
            return check(ctx, claim, label)

        got = _guard(ctx, label, run)
        results.extend(_with_erratum(got if isinstance(got, list) else [got], claim))
    return FormulaReport(formula.name, tuple(results))


# ------------------------------------------------------------------- the registry


def verify(
    names: str | Iterable[str] | None = None,
    *,
    all: bool = False,
    seed: int = 0,
    points: int = DEFAULT_POINTS,
    tolerances: Any = None,
    budget: float | None = FORMULA_BUDGET,
    jobs: int | None = None,
    progress: Callable[[str, FormulaReport], None] | None = None,
) -> Report:
    """Verify registry formulas: every claim and every hand-written version gets a status.

    Args:
        names: formula names (or one name).
        all: verify the whole registry instead.
        seed: seed of the sampled points (reported in every message).
        points: sampled points per check (>= 1000 by default, extremes included).
        tolerances: overrides of the tolerance table (see :func:`symml.numeric._numeric.tolerance_for`).
        budget: seconds per formula when run in worker processes; a slower formula gets a
            ``timeout`` check and the others go on.
        jobs: worker processes (default: 2 when more than one formula, else in-process).
        progress: called with (name, FormulaReport) as each formula finishes.

    Returns:
        A :class:`symml.verification._report.Report`; ``report.ok`` is False on any refuted, failed,
        unstable or timed-out check, or an erratum that stopped reproducing.

    Raises:
        RegistryError: an unknown name (with suggestions).
        SymmlError: neither names nor ``all`` given.
    """
    from symml.registry import default_registry

    registry = default_registry()
    if isinstance(names, str):
        names = [names]
    if all:
        chosen = registry.names()
    elif names:
        chosen = [registry.get(n).name for n in names]
    else:
        raise SymmlError("name at least one formula to verify, or pass all=True")
    tolerance_for(_F64, tolerances)  # bad overrides fail here, before any work
    if jobs is None:
        jobs = min(2, len(chosen)) if len(chosen) > 1 else 1
    if jobs <= 1:
        reports = []
        for name in chosen:
            rep = _verify_one(name, seed, points, tolerances)
            reports.append(rep)
            if progress:
                progress(name, rep)
        return Report(tuple(reports), seed)
    # Likely-slow formulas first, so that no long one is left running alone at the end.
    order = sorted(chosen, key=lambda n: -_expected_cost(registry.get(n)))
    done = _run_pool(order, (seed, points, tolerances), jobs, budget, progress)
    return Report(tuple(done[n] for n in chosen), seed)


def _expected_cost(formula: Any) -> int:
    """A rough rank of how long a formula takes to verify (stationary points and matrix
    algebra are the slow kinds), used only to schedule the worker pool."""
    weights = {"stationary_point": 8, "derivative": 3}
    cost = sum(weights.get(c.kind.value, 1) + bool(c.handwritten) for c in formula.claims)
    cost += 2 * bool(formula.handwritten)
    if any(kind.startswith("matrix") for kind in formula.symbols.values()):
        cost += 6
    return cost


def _verify_one(name: str, seed: int, points: int, tolerances: Any) -> FormulaReport:
    from symml.registry import default_registry

    formula = default_registry().get(name)
    try:
        return verify_formula(formula, seed=seed, points=points, tolerances=tolerances)
    except SymmlTimeout as exc:
        return FormulaReport(
            name, (CheckResult(name, "formula", Status.TIMEOUT, str(exc), seed=seed),)
        )
    except SymmlError as exc:
        return FormulaReport(
            name,
            (
                CheckResult(
                    name, "formula", Status.SKIPPED, f"{type(exc).__name__}: {exc}", seed=seed
                ),
            ),
        )


# ------------------------------------------------------------------- worker processes
# ``python -c`` workers (as in symml.workers: the caller's __main__ is never re-imported),
# one formula at a time over pickle frames; a worker past the budget is killed and replaced.


def _serve_formulas() -> None:
    """Worker loop: (name, seed, points, tolerances) frames in, FormulaReport frames out."""
    import os
    import pickle
    import sys

    from symml.workers import read_frame, write_frame

    channel = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    sys.stdout = sys.stderr  # stray prints must not corrupt the frames
    while True:
        payload = read_frame(sys.stdin.buffer)
        if payload is None:
            return
        name, seed, points, tolerances = pickle.loads(payload)
        try:
            rep = _verify_one(name, seed, points, tolerances)
        except Exception as exc:  # noqa: BLE001 - reported as the formula's status
            rep = FormulaReport(
                name,
                (
                    CheckResult(
                        name, "formula", Status.FAILED, f"{type(exc).__name__}: {exc}", seed=seed
                    ),
                ),
            )
        write_frame(channel, pickle.dumps(rep))


class _FormulaWorker:
    def __init__(self, replies: Any, wid: int):
        import os
        import subprocess
        import sys
        import threading

        root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH", "")) if p)
        self.proc = subprocess.Popen(
            [sys.executable, "-c", "from symml.verification._verify import _serve_formulas; _serve_formulas()"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
        )
        self.wid, self.task, self.started = wid, None, 0.0
        threading.Thread(target=self._read, args=(replies,), daemon=True).start()

    def _read(self, replies: Any) -> None:
        from symml.workers import read_frame

        while True:
            try:
                frame = read_frame(self.proc.stdout)
            except (OSError, ValueError):
                frame = None
            replies.put((self, frame))
            if frame is None:
                return

    def send(self, name: str, options: tuple) -> None:
        import pickle

        from symml.workers import write_frame

        self.task, self.started = name, time.monotonic()
        write_frame(self.proc.stdin, pickle.dumps((name, *options)))

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout):
            try:
                stream.close()
            except OSError:
                pass


def _run_pool(
    names: list[str],
    options: tuple,
    jobs: int,
    budget: float | None,
    progress: Callable[[str, FormulaReport], None] | None,
) -> dict[str, FormulaReport]:
    import pickle
    import queue

    replies: queue.Queue = queue.Queue()
    todo = list(names)
    done: dict[str, FormulaReport] = {}
    workers = [_FormulaWorker(replies, k) for k in range(jobs)]

    def finish(name: str, rep: FormulaReport) -> None:
        done[name] = rep
        if progress:
            progress(name, rep)

    def dead(name: str, status: Status, message: str) -> FormulaReport:
        return FormulaReport(
            name, (CheckResult(name, "formula", status, message, seed=options[0]),)
        )

    try:
        for w in workers:
            if todo:
                w.send(todo.pop(0), options)
        while len(done) < len(names):
            try:
                w, frame = replies.get(timeout=0.25)
            except queue.Empty:
                w, frame = None, b""
            if w is not None and w.task is not None and (frame or frame is None):
                name, w.task = w.task, None
                finish(
                    name,
                    pickle.loads(frame)
                    if frame
                    else dead(name, Status.FAILED, "the worker process died (see stderr)"),
                )
                if frame is None:
                    workers[w.wid] = w = _FormulaWorker(replies, w.wid)
                if todo:
                    w.send(todo.pop(0), options)
            for k, w in enumerate(workers):
                if (
                    w.task is not None
                    and budget is not None
                    and time.monotonic() - w.started > budget
                ):
                    name, w.task = w.task, None
                    w.kill()
                    finish(
                        name,
                        dead(
                            name,
                            Status.TIMEOUT,
                            f"{name} took longer than its budget of {budget:g} s",
                        ),
                    )
                    workers[k] = w = _FormulaWorker(replies, k)
                    if todo:
                        w.send(todo.pop(0), options)
    finally:
        for w in workers:
            w.kill()
    return done


# ------------------------------------------------------------------- the user's code


def _subject(latex_or_expr: Any, symbols: Mapping[str, str] | None) -> tuple[sp.Basic, str]:
    from symml.latex import Aligned, Equation, Relation

    if isinstance(latex_or_expr, str) and latex_or_expr.isidentifier():
        from symml.registry import default_registry

        reg = default_registry()
        if latex_or_expr in reg.names():  # a registry name: check_gradient(f, "sigmoid")
            return _ml_reading(sp.sympify(reg.get(latex_or_expr).definition())), latex_or_expr
    if isinstance(latex_or_expr, str):
        from symml.latex import parse_latex

        value = parse_latex(latex_or_expr, symbols=symbols)
        label = latex_or_expr
    else:
        value, label = latex_or_expr, str(latex_or_expr)
    if isinstance(value, Equation):
        value = value.rhs
    if isinstance(value, (Relation, Aligned)) or not isinstance(value, sp.Basic):
        raise SymmlError(f"{label!r} is not an expression or a definition f(x) = ...")
    return _ml_reading(sp.sympify(value)), label


def _ml_reading(expr: sp.Basic) -> sp.Basic:
    """``\\sigma(z)`` with one argument is the sigmoid, as an ML reader means it."""
    from sympy.core.function import AppliedUndef

    from symml.functions import sigmoid

    return expr.replace(
        lambda e: isinstance(e, AppliedUndef) and e.func.__name__ == "sigma" and len(e.args) == 1,
        lambda e: sigmoid(e.args[0]),
    )


def verify_function(
    func: Callable | str,
    latex_or_expr: Any,
    wrt: str | None = None,
    *,
    symbols: Mapping[str, str] | None = None,
    seed: int = 0,
    points: int = DEFAULT_POINTS,
    tolerances: Any = None,
    adapter: Mapping[str, str] | None = None,
) -> CheckResult:
    """The user's ``func`` against a formula (``wrt`` None) or its derivative; never raises
    for a failed check: the status says it (see :func:`check_function`)."""
    ref = func if isinstance(func, str) else None
    func = _load(func) if isinstance(func, str) else func
    expr, label = _subject(latex_or_expr, symbols)
    tol = tolerance_for(_F64, tolerances)
    ctx = _Context(None, seed, points, tol, name=label, definition=expr, kinds=symbols or {})
    what = ref or getattr(func, "__name__", "the function")
    if wrt is None:
        claim, target, var = "value", expr, None
    else:
        from symml.derivation import derive

        d = derive(expr, wrt, steps=False, seed=seed)
        claim, target, var = f"derivative wrt {wrt}", _derivative_target(d, expr), d.wrt

    def run() -> CheckResult:
        samples = ctx.sample([target, expr])
        names = sorted(set(_arg_names(target)) | set(_arg_names(expr)))
        expected = _evaluate(target, samples)
        generated = expected.copy()
        filled = _fill_from_reference(expected, target, samples)
        kinks = _mask_kinks(expected, ctx, var, samples)  # the gradcheck below reports them
        try:
            got, notes = _call(func, samples, adapter or {}, names)
        except _Skip:
            raise
        except Exception as exc:  # noqa: BLE001 - the user's code raised: that is the finding
            return CheckResult(
                label, claim, Status.FAILED, f"{what} raised {type(exc).__name__}: {exc}", seed=seed
            )
        noun = "gradient" if var is not None else "value"
        status, msg, cx = _judge(
            noun,
            got,
            expected,
            samples,
            tol,
            names,
            reference=target,
            stable_form=_stable_form(target),
            notes=notes,
        )
        status, msg, cx, ulp = _complete(
            status, msg, cx, what=noun, got=got, expected=expected, generated=generated,
            filled=filled, kinks=kinks, target=target, definition=expr, wrt=var,
            samples=samples, tol=tol, names=names, whose="yours",
        )
        return CheckResult(label, claim, status, f"{what}: {msg}", cx, ulp, None, seed, samples.n)

    return _guard(ctx, claim, run)


def check_function(
    func: Callable | str, latex_or_expr: Any, wrt: str | None = None, **options: Any
) -> CheckResult:
    """Like :func:`verify_function`, but raise VerificationError unless the check passed.

    Examples:
        >>> import numpy as np
        >>> check_function(lambda x: np.logaddexp(0, x), r"\\log(1 + e^{x})").status.value
        'verified_numerically'
        >>> check_function(lambda x: np.log1p(np.exp(x)), r"\\log(1 + e^{x})")
        Traceback (most recent call last):
        ...
        symml.errors.VerificationError: <lambda>: value is unstable at x = 1000: got inf ...
    """
    result = verify_function(func, latex_or_expr, wrt, **options)
    if result.status not in (Status.VERIFIED, Status.VERIFIED_NUMERICALLY):
        raise VerificationError(result.message)
    return result


def check_gradient(
    func: Callable | str, latex_or_expr: Any, wrt: str | None = None, **options: Any
) -> CheckResult:
    """Check a hand-written derivative against the symbolic one and finite differences.

    ``wrt`` may be left out when the formula has one variable. Raises VerificationError
    with the point, got, expected, relative error, tolerance and seed.
    """
    if wrt is None:
        expr, _ = _subject(latex_or_expr, options.get("symbols"))
        free = sorted(str(s) for s in expr.free_symbols)
        if len(free) != 1:
            raise SymmlError(f"say which variable to differentiate by (wrt=...): {free}")
        wrt = free[0]
    return check_function(func, latex_or_expr, wrt, **options)


# ------------------------------------------------------------------- equivalence


def equiv(
    a: Any,
    b: Any,
    *,
    symbols: Mapping[str, str] | None = None,
    seed: int = 0,
    points: int = 200,
    tolerances: Any = None,
) -> dict[str, Any]:
    """Are two formulas equal? ``{"equivalent": True|False|None, "method", "counterexample"}``.

    Symbolically within :data:`PROOF_TIMEOUT`, else at sampled points; a numeric
    disagreement is confirmed at 50 digits before it is reported.

    Examples:
        >>> equiv(r"\\frac{1}{1+e^{-x}}", r"\\frac{e^x}{1+e^x}")["equivalent"]
        True
        >>> equiv(r"\\log_2 x", r"\\ln x")["equivalent"]
        False
    """
    ea, _ = _subject(a, symbols)
    eb, _ = _subject(b, symbols)
    if _prove(ea, eb):
        return {"equivalent": True, "method": "symbolic", "counterexample": None}
    try:
        return _equiv_numeric(ea, eb, symbols, seed, points, tolerances)
    except (ArithmeticError, ValueError, TypeError, KeyError, MemoryError,
            NotImplementedError, IndexError) as exc:
        # values too large for floats, shapes that do not meet, code SymPy cannot print:
        # the question stays open, and the answer says why
        return {"equivalent": None, "method": "undecided", "counterexample": None,
                "reason": f"cannot compare numerically: {type(exc).__name__}: {exc}"[:300]}


def _equiv_numeric(ea, eb, symbols, seed, points, tolerances) -> dict[str, Any]:
    tol = tolerance_for(_F64, tolerances)
    for kinds in (dict(symbols or {}), {str(s): "positive" for s in (ea - eb).free_symbols}):
        try:
            samples = sample_inputs([ea, eb], kinds, n=points, seed=seed)
            va, vb = _evaluate(ea, samples), _evaluate(eb, samples)
        except (_Skip, SymmlError) as exc:
            return {
                "equivalent": None,
                "method": "undecided",
                "counterexample": None,
                "reason": str(exc),
            }
        both = np.isfinite(va) & np.isfinite(vb)
        both = _per_point(both)
        if both.sum() < 10:
            continue
        bad = both & _per_point(~close(va, vb, tol))
        names = sorted(set(_arg_names(ea)) | set(_arg_names(eb)))
        for k in np.flatnonzero(bad)[:10]:
            p = {n: samples.point(int(k))[n] for n in names}
            try:
                ra, rb = mp_reference_many(ea - eb, [p])[0], mp_reference_many(eb, [p])[0]
            except SymmlError:
                continue
            if abs(float(ra)) > tol.atol + tol.rtol * abs(float(rb)):
                return {
                    "equivalent": False,
                    "method": "numeric",
                    "counterexample": {"point": p, "a": float(va[k]), "b": float(vb[k])},
                }
        if not bad.any():
            return {
                "equivalent": True,
                "method": "numeric",
                "counterexample": None,
                "points": int(both.sum()),
            }
    return {"equivalent": None, "method": "undecided", "counterexample": None}
