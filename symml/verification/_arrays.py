"""Gradients returned whole, as NumPy code returns them.

A derivative with respect to a vector or matrix component (``d/dw_j``, ``d/dW_{jk}``) is
a formula in free indices. Code may return that one component (it receives ``j``, counted
from 1 as the formula counts), or the whole gradient shaped like the variable with NumPy's
0-based positions: ``grad[j - 1]`` is ``d/dw_j``. :func:`whole_array` tells which the code
did from the shape it returned, and refuses a shape that is neither (saying what was
expected, and "transposed?" when it is the transpose); :func:`expected_whole` evaluates
every component of the derivative at every point, so each point checks the whole gradient.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import sympy as sp

from symml.equality import Tolerance, close
from symml.numeric import Samples
from symml.verification._evaluate import evaluate, fill_from_reference
from symml.verification._judge import fmt, ordinary_failure

#: Components times points evaluated at most for one whole-array comparison (the cost of
#: evaluating the derivative once per component); fewer points when the variable is large.
MAX_COMPONENT_EVALS = 20_000
#: Points at least, however large the variable.
MIN_POINTS = 20


class ShapeMismatch(Exception):
    """The code returned a shape that is neither one component nor the whole variable."""


@dataclass(frozen=True)
class WholeArray:
    """Code returned the gradient whole: the variable, its free indices and its shape."""

    base: str
    indices: tuple[str, ...]
    shape: tuple[int, ...]

    @property
    def components(self) -> int:
        return int(np.prod(self.shape))

    def points(self, available: int) -> int:
        """How many points to compare at: all of them unless the variable is large."""
        return min(available, max(MIN_POINTS, MAX_COMPONENT_EVALS // max(self.components, 1)))


def whole_array(wrt: sp.Basic | None, samples: Samples, got: np.ndarray) -> WholeArray | None:
    """Did the code return the whole gradient in ``wrt``? None: one value per point.

    Raises:
        ShapeMismatch: a per-point shape that is neither a scalar nor the variable's shape.
    """
    if not isinstance(wrt, sp.Indexed):
        return None
    base = str(wrt.base.label)
    indices = tuple(str(i) for i in wrt.indices)
    per_point = tuple(np.shape(got)[1:])
    if base not in samples.values or not all(i in samples.values for i in indices):
        return None
    shape = tuple(np.shape(samples.values[base])[1:])
    if len(shape) != len(indices):
        return None
    if per_point == shape or (per_point and _squeezed(per_point) == _squeezed(shape)):
        return WholeArray(base, indices, shape)
    if not per_point or per_point == (1,):
        return None
    one = ", ".join(indices)
    expected = (
        f"expected {shape}, the shape of {base} (0-based: grad[{_zero_based(indices)}] is "
        f"d/d{base}_{{{one}}}), or one component (a number) for the "
        f"{'indices' if len(indices) > 1 else 'index'} {one}"
    )
    hint = ""
    if len(shape) == 2 and per_point == shape[::-1] and shape[0] != shape[1]:
        hint = "; transposed?"
    elif _squeezed(per_point) == _squeezed(shape)[::-1] and len(_squeezed(shape)) == 2:
        hint = "; transposed?"
    raise ShapeMismatch(f"the gradient has shape {per_point} per point; {expected}{hint}")


def _squeezed(shape: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(d for d in shape if d != 1)


def _zero_based(indices: tuple[str, ...]) -> str:
    return ", ".join(f"{i} - 1" for i in indices)


def subset(samples: Samples, k: int) -> Samples:
    """The first ``k`` points of ``samples`` (the specials come first)."""
    values = {name: v[:k] for name, v in samples.values.items()}
    return Samples(values, samples.sizes, samples.kinds, samples.seed, k)


def expected_whole(target: sp.Basic, whole: WholeArray, samples: Samples) -> np.ndarray:
    """Every component of ``target`` at every point: shape ``(n, *whole.shape)``.

    Where the generated code overflows, the mpmath value is filled in per component, as
    for one component (:func:`symml.verification._evaluate.fill_from_reference`).
    """
    out = np.empty((samples.n, *whole.shape))
    for pos in np.ndindex(*whole.shape):
        values = dict(samples.values)
        for name, p in zip(whole.indices, pos, strict=True):
            values[name] = np.full(samples.n, p + 1, dtype=int)
        at = Samples(values, samples.sizes, samples.kinds, samples.seed, samples.n)
        col = np.asarray(evaluate(target, at), dtype=float).reshape(samples.n)
        fill_from_reference(col, target, at)
        out[(slice(None), *pos)] = col
    return out


def sampled_component(got: np.ndarray, whole: WholeArray, samples: Samples) -> np.ndarray:
    """At each point, the component the sampled indices name (for the finite differences)."""
    flat = got.reshape(samples.n, -1)
    pos = tuple(np.asarray(samples.values[i], dtype=int) - 1 for i in whole.indices)
    return flat[np.arange(samples.n), np.ravel_multi_index(pos, whole.shape)]


def component_note(
    got: np.ndarray, exp: np.ndarray, whole: WholeArray, tol: Tolerance, samples: Samples
) -> str:
    """Which components are wrong, in NumPy's positions, at the most ordinary wrong point."""
    with np.errstate(all="ignore"):
        bad = np.isfinite(exp) & ~close(got, exp, tol)
    per = bad.reshape(len(bad), -1).any(axis=1)
    rows = np.flatnonzero(per)
    if not rows.size:
        return ""
    names = [n for n in samples.values if n not in whole.indices]
    k = ordinary_failure(samples, names, per, int(rows[0]))
    wrong = np.argwhere(bad[k])
    first = tuple(int(v) for v in wrong[0])
    at = ", ".join(str(v) for v in first)
    return (
        f"{len(wrong)} of {whole.components} components of d/d{whole.base} wrong at "
        f"{samples.describe(k, names)}, first [{at}] (0-based, as NumPy indexes {whole.base}): "
        f"got {fmt(got[(k, *first)])}, expected {fmt(exp[(k, *first)])}"
    )


def plain_derivative(expr: sp.Basic, wrt: str) -> tuple[sp.Basic, sp.Basic]:
    """SymPy's own derivative and the variable, a component with fresh free indices
    (``w[k]``, ``W[k, l]``): the reference when the textbook derivation refuses."""
    from symml.derivation import resolve_variable

    var = resolve_variable(expr, wrt)
    if isinstance(var, sp.Indexed):
        taken = {str(s) for s in expr.free_symbols} | {
            str(lim[0]) for s in expr.atoms(sp.Sum, sp.Product) for lim in s.limits
        }
        names = [n for n in ("k", "l", "p", "q", "r", "s", "t", "u") if n not in taken]
        fresh = [sp.Symbol(n, integer=True) for n in names[: len(var.indices)]]
        var = var.base[tuple(fresh)]
    return sp.diff(expr, var).doit(), var
