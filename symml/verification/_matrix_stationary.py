"""A claimed stationary point in matrix form (``w = (X^T X)^{-1} X^T y``) against the
matrix-form gradient (``2 X^T (X w - y)``, from :func:`symml.derivation.derive`).

At seeded concrete sizes and data the claimed point is computed, put in the gradient, and
the gradient must vanish to within the tolerance times the size of its terms (each entry is
compared with the same expression evaluated on absolute values, so a large X^T X w cancelling
a large X^T y is judged against their size, not against 1). Sizes at which a claimed inverse
is ill-conditioned (no point, or no digits of it) are drawn again.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import sympy as sp

from symml.verification._context import Context, Subject
from symml.verification._evaluate import Skip
from symml.verification._judge import fmt
from symml.verification._report import CheckResult, Counterexample, Status

#: Concrete instances (sizes and data) per check, and draws allowed to find them.
INSTANCES = 20
_DRAWS = 400
#: Largest condition number of a matrix the claimed point inverts.
_MAX_COND = 1e6


class _IllConditioned(Exception):
    pass


def _sizes(exprs: list[sp.Basic]) -> dict[sp.Basic, sp.Basic]:
    """Size symbols tied together: one name's shapes in every expression are one shape."""
    parent: dict[sp.Basic, sp.Basic] = {}

    def find(a: sp.Basic) -> sp.Basic:
        while parent.get(a, a) != a:
            a = parent[a]
        return a

    def union(a: sp.Basic, b: sp.Basic) -> None:
        parent.setdefault(a, a)
        parent.setdefault(b, b)
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[rb] = ra

    shapes: dict[str, tuple] = {}
    for e in exprs:
        for s in e.atoms(sp.MatrixSymbol):
            for d in s.shape:
                if isinstance(d, sp.Symbol):
                    parent.setdefault(d, d)
            if s.name in shapes:
                for a, b in zip(shapes[s.name], s.shape, strict=True):
                    if isinstance(a, sp.Symbol) and isinstance(b, sp.Symbol):
                        union(a, b)
            else:
                shapes[s.name] = s.shape
    return {d: find(d) for d in parent}


def _ev(e: sp.Basic, env: Mapping[str, np.ndarray], n: Mapping[sp.Basic, int]):
    """(value, magnitude) of a matrix or scalar expression; magnitude bounds |value|."""
    if isinstance(e, sp.MatrixSymbol):
        v = env[e.name]
        return v, np.abs(v)
    if isinstance(e, sp.Symbol):
        if e.name not in env:
            raise Skip(f"the claimed point uses {e.name}, which this check does not sample")
        v = env[e.name]
        return v, abs(v)
    if e.is_Number:
        v = float(e)
        return v, abs(v)
    if isinstance(e, sp.Identity):
        size = n.get(e.shape[0], e.shape[0])
        if not isinstance(size, int):
            raise Skip(f"the identity's size {e.shape[0]} is tied to no matrix of the formula")
        v = np.eye(size)
        return v, v
    if isinstance(e, sp.Transpose):
        v, m = _ev(e.arg, env, n)
        return v.T, m.T
    if isinstance(e, sp.Inverse) or (isinstance(e, sp.MatPow) and e.exp == -1):
        v, _ = _ev(e.args[0], env, n)
        if np.linalg.cond(v) > _MAX_COND:
            raise _IllConditioned
        inv = np.linalg.inv(v)
        return inv, np.abs(inv)
    if isinstance(e, (sp.MatMul, sp.Mul)):
        v, m = _ev(e.args[0], env, n)
        for a in e.args[1:]:
            va, ma = _ev(a, env, n)
            both = np.ndim(v) == 2 and np.ndim(va) == 2
            v, m = (v @ va, m @ ma) if both else (v * va, m * ma)
        return v, m
    if isinstance(e, (sp.MatAdd, sp.Add)):
        parts = [_ev(a, env, n) for a in e.args]
        return sum(p[0] for p in parts), sum(p[1] for p in parts)
    raise Skip(f"the matrix-form check does not evaluate {type(e).__name__} ({e})")


def check_matrix_stationary(
    ctx: Context, subject: Subject, var: str, gradient: sp.Basic, at: sp.Basic
) -> CheckResult:
    """The matrix-form ``gradient`` at ``var = at`` vanishes at seeded sizes and data."""
    exprs = [gradient, at]
    ties = _sizes(exprs)
    symbols = {s.name: s for e in exprs for s in e.atoms(sp.MatrixSymbol)}
    if var not in symbols:
        raise Skip(f"the matrix-form gradient does not contain {var}")
    scalars = sorted(
        {s for e in exprs for s in e.free_symbols if isinstance(s, sp.Symbol)} - set(ties),
        key=str,
    )
    rng = np.random.default_rng(ctx.seed)
    tol = ctx.tol
    done = 0
    for _ in range(_DRAWS):
        classes = sorted(set(ties.values()), key=str)
        size = {c: int(rng.integers(1, 7)) for c in classes}
        n = {d: size[c] for d, c in ties.items()}

        env: dict[str, object] = {}
        for name, s in symbols.items():
            if name != var:
                env[name] = rng.standard_normal(
                    tuple(int(d) if d.is_Integer else n[d] for d in s.shape)
                )
        for s in scalars:
            kind = ctx.kinds.get(s.name, "real")
            env[s.name] = float(rng.uniform(0.1, 3.0) if kind == "positive" else rng.normal())
        try:
            point, _ = _ev(at, env, n)
            env[var] = point
            g, scale = _ev(gradient, env, n)
        except _IllConditioned:
            continue
        g, scale = np.atleast_1d(np.asarray(g, float)), np.atleast_1d(np.asarray(scale, float))
        bad = np.abs(g) > tol.atol + tol.rtol * scale
        if bad.any():
            k = int(np.argmax(np.where(bad, np.abs(g), 0)))
            shown = {str(c): size[c] for c in classes}
            msg = (
                f"the gradient {gradient} at {var} = {at} is {fmt(float(g.flat[k]))}, not 0, "
                f"in entry {k} at sizes {shown} (terms of size {scale.flat[k]:.3g}; "
                f"{tol}, seed {ctx.seed})"
            )
            cx = Counterexample({"sizes": shown}, float(g.flat[k]), 0.0, str(tol))
            return ctx.result(subject, Status.REFUTED, msg, cx, points=done + 1)
        done += 1
        if done == INSTANCES:
            break
    if done < INSTANCES:
        raise Skip(
            f"the claimed point's inverse was ill-conditioned at all but {done} of {_DRAWS} "
            "drawn sizes"
        )
    return ctx.result(
        subject,
        Status.VERIFIED_NUMERICALLY,
        f"the matrix-form gradient {gradient} vanishes at {var} = {at} at {done} seeded "
        f"concrete sizes and data (sizes 1 to 6; {tol}, seed {ctx.seed})",
        points=done,
    )
