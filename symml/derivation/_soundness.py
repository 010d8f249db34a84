"""The second route: every derivative checked against finite differences of the original.

:func:`check_by_differences` evaluates the *original* formula at seeded random values, at
two different concrete sizes of its vectors and matrices, perturbs each entry of the
variable by ``±h`` and compares the central difference with the derivative evaluated at the
same point. It knows nothing of how the derivative was found, so a wrong rule anywhere in the
pipeline (SymPy's included: ``sympy.diff(log(det(X)), X)`` is 0 in SymPy 1.14) cannot pass.

Values are SymPy Floats of 30 digits, so the difference quotient's rounding error is far
below the tolerance (``Purpose.VERIFICATION``'s finite-difference row of
:data:`symml.equality.TOLERANCES`).

Entries are 1-based throughout: ``w[1]`` is the first entry of ``w``; a ``MatrixSymbol``'s
``X[0, 0]`` is read as entry ``(1, 1)`` of the same values.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sympy as sp
from sympy.core.function import AppliedUndef
from sympy.matrices.expressions.matexpr import MatrixElement

from symml.equality import Method, Proof, tolerance_for
from symml.errors import DerivationError
from symml.functions import to_elementary

__all__ = ["SIZES", "check_by_differences", "refuse_if_wrong"]

#: the two size patterns; dimension k (in name order) takes SIZES[t][k % len]
SIZES = ((3, 2, 4, 5), (2, 4, 3, 5))
STEP = sp.Float("1e-8", 30)
_DIGITS = 30


@dataclass
class _Point:
    """Seeded values, drawn on first use, keyed by (name, 1-based index tuple)."""

    rng: np.random.Generator
    values: dict
    aliases: Mapping[str, str] = field(default_factory=dict)

    def value(self, name: str, index: tuple, positive: bool, square: bool) -> sp.Float:
        key = (self.aliases.get(name, name), index)
        if key not in self.values:
            if positive:
                v = self.rng.uniform(0.5, 2.0)
            elif square and len(index) == 2 and index[0] == index[1]:
                v = 2.0 + 0.3 * self.rng.standard_normal()  # det > 0 for log det X
            else:
                v = 0.7 * self.rng.standard_normal()
                if square:
                    v *= 0.3
            self.values[key] = sp.Float(round(float(v), 6), _DIGITS)
        return self.values[key]


def _basic(size: Any) -> sp.Basic:
    """A shape entry or a sum limit as SymPy (SymPy keeps a plain int in a shape)."""
    return size if isinstance(size, sp.Basic) else sp.Integer(size)


def dimensions(expr: Any) -> list[sp.Symbol]:
    """Integer size symbols: matrix shapes and the upper limits of sums over entries."""
    dims: set[sp.Symbol] = set()
    for M in expr.atoms(sp.MatrixSymbol):
        for d in M.shape:
            dims |= {s for s in _basic(d).free_symbols if s.is_integer}
    bound_vars = {lim[0] for s in expr.atoms(sp.Sum) for lim in s.limits}
    for s in expr.atoms(sp.Sum):
        for _, lo, hi in s.limits:
            bound = set(_basic(lo).free_symbols | _basic(hi).free_symbols)
            # the sample count of \sum_{i=1}^{n} may carry no assumptions: still a size
            dims |= {b for b in bound if isinstance(b, sp.Symbol) and b not in bound_vars}
    return sorted(dims, key=lambda s: (s.name, str(s.assumptions0)))


def _unevaluable(expr: Any) -> str | None:
    undefined = sorted({type(a).__name__ for a in expr.atoms(AppliedUndef)})
    if undefined:
        return f"it contains the undefined function(s) {', '.join(undefined)}"
    if expr.atoms(sp.Derivative, sp.Integral):
        return "it contains an unevaluated derivative or integral"
    return None


def _explicit(expr: Any, dims: Mapping, point: _Point) -> Any:
    """``expr`` at concrete sizes with every entry a number (a number, or a Matrix)."""
    e = to_elementary(expr).xreplace(dims) if not isinstance(expr, sp.MatrixExpr) else expr
    if isinstance(expr, sp.MatrixExpr):
        e = expr.xreplace(dims)
    e = e.doit() if e.has(sp.Sum) else e
    table: dict = {}
    for M in e.atoms(sp.MatrixSymbol):
        r, c = (int(x) for x in M.shape)
        square = r == c and r > 1
        table[M] = sp.ImmutableMatrix(
            r,
            c,
            lambda i, j, M=M, c=c, square=square: point.value(
                M.name, (i + 1,) if c == 1 else (i + 1, j + 1), False, square
            ),
        )
    for a in e.atoms(sp.Indexed):
        if not all(i.is_Integer for i in a.indices):
            raise DerivationError(f"the entry {a} has a symbolic index at a concrete size")
        name = str(a.base.label)
        square = any(M.name == name and M.shape[0] == M.shape[1] for M in table)
        table[a] = point.value(name, tuple(int(i) for i in a.indices), bool(a.is_positive), square)
    for s in e.free_symbols - set(table):
        if isinstance(s, sp.Symbol) and not s.is_integer:
            table[s] = point.value(s.name, (), bool(s.is_positive), False)
    out = e.xreplace(table)
    out = out.doit() if not isinstance(out, sp.Number) else out
    if isinstance(out, sp.MatrixBase | sp.MatrixExpr):
        out = sp.Matrix(
            sp.ImmutableMatrix(out).as_explicit() if isinstance(out, sp.MatrixExpr) else out
        )
        return out.applyfunc(lambda v: sp.N(to_elementary(v), _DIGITS))
    return sp.N(to_elementary(out), _DIGITS)


def _entries(original: Any, var: Any, dims: Mapping) -> list[tuple[tuple, Any]]:
    """(1-based index, the derivative's free-index substitution) for each entry of ``var``."""
    if isinstance(var, sp.MatrixSymbol):
        r, c = (int(x) for x in var.xreplace(dims).shape)
        return [((i + 1,) if c == 1 else (i + 1, j + 1), None) for i in range(r) for j in range(c)]
    if isinstance(var, sp.Indexed):
        name = str(var.base.label)
        e = original.xreplace(dims).doit()
        found = set()
        for a in e.atoms(sp.Indexed):
            if str(a.base.label) == name and len(a.indices) == len(var.indices):
                found.add(tuple(int(i) for i in a.indices))
        for a in e.atoms(MatrixElement):
            if isinstance(a.parent, sp.MatrixSymbol) and a.parent.name == name:
                idx = (int(a.i) + 1,) if a.parent.shape[1] == 1 else (int(a.i) + 1, int(a.j) + 1)
                if len(idx) == len(var.indices):
                    found.add(idx)
        return [
            (idx, dict(zip(var.indices, [sp.Integer(i) for i in idx], strict=True)))
            for idx in sorted(found)
        ]
    return [((), None)]


def check_by_differences(
    original: Any,
    derivative: Any,
    var: Any,
    *,
    seed: int = 0,
    aliases: Mapping[str, str] | None = None,
) -> Proof:
    """Compare ``derivative`` with central differences of ``original`` at two sizes.

    Args:
        original: the formula as parsed (a scalar expression).
        derivative: its derivative with respect to ``var``: a scalar (``var`` a Symbol, or a
            component ``w[j]`` with ``j`` free), or a matrix expression shaped like ``var``
            (``var`` a MatrixSymbol).
        var: Symbol, Indexed component, or MatrixSymbol.
        seed: of the values drawn.
        aliases: names of the derivative's matrices -> names of the formula's entries
            (``{"X": "x"}``: the samples ``x_i`` stacked as the rows of ``X``).

    Returns:
        A Proof: ok True (all entries agree), False (``detail`` names the point and both
        values), or None (the formula cannot be evaluated: undefined functions).
    """
    why = _unevaluable(original) or _unevaluable(derivative) or _free_index(original, var)
    if why is not None:
        return Proof(None, Method.NUMERIC, f"not checked by finite differences: {why}", seed=seed)
    try:
        return _check(original, derivative, var, seed, dict(aliases or {}))
    except DerivationError:
        raise
    except (TypeError, ValueError, ZeroDivisionError, AttributeError, IndexError) as exc:
        return Proof(
            None,
            Method.NUMERIC,
            f"not checked by finite differences: the formula did not evaluate ({exc})",
            seed=seed,
        )


def _free_index(original: Any, var: Any) -> str | None:
    dims = set(dimensions(original))
    own = set(getattr(var, "indices", ()))
    free = [
        s
        for s in original.free_symbols
        if isinstance(s, sp.Symbol) and s.is_integer and s not in dims and s not in own
    ]
    if free:
        return f"it has the free index {free[0]}"
    return None


def _check(original: Any, derivative: Any, var: Any, seed: int, aliases: dict) -> Proof:
    tol = tolerance_for("verification")
    rtol, atol = tol.fd_rtol, tol.fd_atol
    dims = dimensions(original) + [
        d for d in dimensions(derivative) if d not in dimensions(original)
    ]
    name = var.name if isinstance(var, sp.MatrixSymbol | sp.Symbol) else str(var.base.label)
    checked = 0
    for trial, pattern in enumerate(SIZES):
        sizes = {d: sp.Integer(pattern[k % len(pattern)]) for k, d in enumerate(dims)}
        point = _Point(np.random.default_rng([seed, trial]), {}, aliases)
        at = _entries(original, var, sizes)
        if not at:
            return Proof(
                None,
                Method.NUMERIC,
                f"not checked by finite differences: no entry of {name} is visible in the "
                "formula (it is an argument of a function of the whole vector)",
                seed=seed,
            )
        whole = None
        if isinstance(var, sp.MatrixSymbol):
            whole = _explicit(derivative, sizes, point)
        for idx, sub in at:
            if isinstance(var, sp.MatrixSymbol):
                got = whole[idx[0] - 1, idx[1] - 1 if len(idx) == 2 else 0]
            else:
                got = _explicit(derivative.xreplace(sub) if sub else derivative, sizes, point)
            key = (name, idx)
            positive = bool(getattr(var, "is_positive", False))
            base = (
                point.value(name, idx, positive, False)
                if key not in point.values
                else point.values[key]
            )
            point.values[key] = base + STEP
            up = _explicit(original, sizes, point)
            point.values[key] = base - STEP
            down = _explicit(original, sizes, point)
            point.values[key] = base
            fd = (up - down) / (2 * STEP)
            try:
                g, f = complex(got), complex(fd)
            except TypeError as exc:
                raise DerivationError(
                    f"the derivative did not evaluate to a number: {got}"
                ) from exc
            checked += 1
            if not abs(g - f) <= atol + rtol * abs(f):
                where = f"{name}{list(idx) if idx else ''}"
                shown = {
                    str(k[0]) + (str(list(k[1])) if k[1] else ""): float(v)
                    for k, v in sorted(point.values.items(), key=str)[:12]
                }
                return Proof(
                    False,
                    Method.NUMERIC,
                    f"at sizes {dict((str(k), int(v)) for k, v in sizes.items())}, seed {seed}, "
                    f"entry {where}: the derivative gives {_fmt(g)}, central differences of "
                    f"the formula give {_fmt(f)} (h = 1e-8, rtol={rtol:g}, atol={atol:g}); "
                    f"point {shown}",
                    seed=seed,
                )
    return Proof(
        True,
        Method.NUMERIC,
        f"finite differences of the formula agree at {checked} entries, two sizes, seed {seed}",
        seed=seed,
    )


def _fmt(v: complex) -> str:
    return f"{v.real:.12g}" if abs(v.imag) < 1e-300 else f"{v:.12g}"


def refuse_if_wrong(proof: Proof, what: str) -> None:
    """Raise DerivationError when the finite-difference check refuted ``what``."""
    if proof.ok is False:
        raise DerivationError(
            f"{what} failed its finite-difference check, not printed: {proof.detail}"
        )


def same_at_one_size(a: Any, b: Any, seed: int = 0, size: int = 3) -> bool | None:
    """Do ``a`` and ``b`` agree with every size ``size``, every free index 2, and the same
    seeded value for each entry and scalar of the same name (``X[0, 0]`` is ``X[1, 1]``)?

    The check of a rewrite that renames sizes: with all sizes equal the renaming does not
    matter, and an index that lost its place (two sums' indices run together) shows.
    None when either side cannot be evaluated (an undefined function, a derivative).
    """
    point = _Point(np.random.default_rng(seed), {})
    values = []
    for e in (a, b):
        if _unevaluable(e) is not None:
            return None
        dims = dict.fromkeys(dimensions(e), sp.Integer(size))
        bound = {lim[0] for s in e.atoms(sp.Sum, sp.Product) for lim in s.limits}
        free = {
            s: sp.Integer(2)
            for s in e.free_symbols
            if isinstance(s, sp.Symbol) and s.is_integer and s not in dims and s not in bound
        }
        try:
            v = _explicit(e.xreplace(free), dims, point)
        except (DerivationError, TypeError, ValueError, ZeroDivisionError, AttributeError):
            return None
        if not (isinstance(v, sp.Expr) and v.is_number):
            return None
        values.append(complex(v))
    gap = abs(values[0] - values[1])
    return gap <= 1e-15 * (1 + abs(values[1]))
