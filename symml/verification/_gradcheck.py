"""Derivatives against central finite differences (a gradcheck), and the formula's kinks.

The step is relative, h = EPS * max(1, |x|); the error estimate adds the truncation error
(h against 2h) and the rounding error, so a right derivative is never refuted by noise.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from symml.equality import Tolerance
from symml.errors import SymmlError
from symml.numeric import Samples
from symml.verification._evaluate import F64, Skip, evaluate
from symml.verification._judge import Verdict, diagnose, fmt, point_json
from symml.verification._report import Counterexample, Status

#: Relative step of the central finite differences: h = EPS * max(1, |x|).
EPS = 1e-6


def finite_difference(
    f_expr: sp.Basic, var: sp.Basic, samples: Samples, *, relative: bool = False
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Central differences of ``f_expr`` in ``var`` at every point.

    Returns (fd, error estimate, kink mask): the estimate adds the truncation error
    (FD with h against 2h) and the rounding error (eps |f| / h); a point whose one-sided
    differences disagree is a kink (ReLU at 0), where no derivative exists to compare.
    ``relative`` steps by EPS*|x| (EPS at 0): only a kink at the point itself counts.
    """
    eps = float(np.finfo(F64).eps)
    if isinstance(var, sp.Indexed):
        base = str(var.base.label)
        x0 = samples.values[base]
        pos = tuple(
            np.asarray(samples.values[str(idx)], dtype=int) - 1
            if str(idx) in samples.values
            else np.full(samples.n, int(idx) - 1)
            for idx in var.indices
        )
        comp = np.ravel_multi_index(pos, x0.shape[1:]) if len(pos) > 1 else pos[0]
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
        return evaluate(
            f_expr, Samples(vals, samples.sizes, samples.kinds, samples.seed, samples.n)
        )

    h = EPS * (
        np.where(centre == 0, 1.0, np.abs(centre)) if relative else np.maximum(1.0, np.abs(centre))
    )
    f0 = evaluate(f_expr, samples)
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


def gradcheck(
    what: str,
    got: np.ndarray,
    f_expr: sp.Basic,
    var: sp.Basic,
    samples: Samples,
    tol: Tolerance,
    names: list[str],
) -> Verdict:
    """``got`` (a derivative in ``var``) against central differences of ``f_expr``."""
    fd, est, kink = finite_difference(f_expr, var, samples)
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
            f"{samples.describe(k, names)}: got {fmt(got[k])}, finite difference "
            f"{fmt(fd[k])} +- {est[k]:.2g} (step {EPS:g}*max(1,|{var}|), tolerance "
            f"fd_rtol={fd_tol.rtol:g}, fd_atol={fd_tol.atol:g}, seed {samples.seed})"
        )
        extra = diagnose(got, fd, bad, usable & ~bad, samples, names)
        cx = Counterexample(
            point_json(samples, k, names),
            got[k],
            fd[k],
            f"finite difference, fd_rtol={fd_tol.rtol:g}, fd_atol={fd_tol.atol:g}",
        )
        return Verdict(Status.REFUTED, "; ".join([msg, *extra]), cx)
    skipped = int(kink.sum())
    note = f", {skipped} kink point(s) skipped" if skipped else ""
    return Verdict(
        Status.VERIFIED_NUMERICALLY,
        f"matches finite differences at {int(usable.sum())} points{note}",
    )


def mask_kinks(
    expected: np.ndarray, definition: sp.Basic, wrt: sp.Basic | None, samples: Samples
) -> np.ndarray:
    """Set ``expected`` to NaN where the formula has a kink in ``wrt``; the kink mask."""
    none = np.zeros(samples.n, dtype=bool)
    if wrt is None:
        return none
    try:
        kink = finite_difference(definition, wrt, samples, relative=True)[2]
    except (Skip, SymmlError, KeyError):
        return none
    kink = kink.reshape(len(kink), -1).any(axis=1) if kink.ndim > 1 else kink
    expected[kink] = np.nan
    return kink
