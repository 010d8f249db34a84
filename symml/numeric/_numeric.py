"""SymPy -> NumPy that a verifier can trust: stable, vectorised, measured against mpmath.

* :func:`lambdify_ml` prints an expression with common-subexpression elimination through
  :class:`symml.functions._ml.StableNumPyPrinter` (sigmoid without overflow, softplus through
  ``logaddexp``), after :func:`stabilize` has rewritten the cancelling textbook shapes
  (``1 - sigmoid(x)``, ``sigmoid(x)(1 - sigmoid(x))``, ``1 - tanh(x)^2``, ``log(1 + e^x)``).
* ``Sum``/``Product`` over an index become NumPy reductions: every bound index owns one
  trailing array axis, ``x[i]`` becomes a (bounds-checked) slice of the array ``x`` moved
  onto that axis, and the sum reduces it. Indices are 1-based as written
  (``Sum(x[i], (i, 1, m))`` is ``x[0:m].sum()``); no Python loop runs over the data.
  Leading axes are batch axes, so one call evaluates many sampled points at once.
* :func:`mp_reference` evaluates at 50 significant digits through mpmath (time-bounded);
  :func:`ulp_error` measures a float result against it.
* :data:`TOLERANCES` is the one tolerance table, keyed by dtype; :func:`tolerance_for`
  merges a caller's overrides.

Sampling of inputs per symbol kind lives in :mod:`symml.numeric._sampling`.

Examples:
    >>> import numpy as np, sympy as sp
    >>> x, i, m = sp.IndexedBase("x"), sp.Symbol("i", integer=True), sp.Symbol("m")
    >>> f = lambdify_ml(sp.Sum(x[i] ** 2, (i, 1, m)) / m, [x])
    >>> float(f(np.array([1.0, 2.0, 3.0])))
    4.666666666666667
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, fields, replace
from types import MappingProxyType
from typing import Any

import numpy as np
import sympy as sp
from sympy.matrices.expressions import MatrixExpr

from symml import functions as F
from symml.errors import SymmlError, SymmlTimeout

__all__ = [
    "TOLERANCES",
    "MP_DPS",
    "Tolerance",
    "tolerance_for",
    "MLFunction",
    "lambdify_ml",
    "stabilize",
    "mp_reference",
    "mp_reference_many",
    "ulp_error",
    "close",
]

#: Significant decimal digits of the mpmath reference.
MP_DPS = 50


@dataclass(frozen=True)
class Tolerance:
    """How close two results must be: ``|got - expected| <= atol + rtol * |expected|``.

    ``fd_rtol``/``fd_atol`` apply when the expected value is a central finite difference
    (its truncation and rounding error is estimated per point and added on top).
    """

    rtol: float
    atol: float
    fd_rtol: float
    fd_atol: float

    def merge(self, overrides: Mapping[str, float] | None = None) -> Tolerance:
        """A copy with some fields replaced; unknown names are an error that lists the valid."""
        if not overrides:
            return self
        valid = {f.name for f in fields(self)}
        unknown = set(overrides) - valid
        if unknown:
            raise SymmlError(
                f"unknown tolerance field(s) {sorted(unknown)}; valid: {sorted(valid)}"
            )
        return replace(self, **{k: float(v) for k, v in overrides.items()})

    def __str__(self) -> str:
        return f"rtol={_short(self.rtol)}, atol={_short(self.atol)}"


def _short(v: float) -> str:
    """1e-07 -> 1e-7: how people write tolerances."""
    return f"{v:g}".replace("e-0", "e-").replace("e+0", "e+")


#: The tolerance table, keyed by dtype. Never loosened to make a disagreement pass.
TOLERANCES: Mapping[np.dtype, Tolerance] = MappingProxyType(
    {
        np.dtype(np.float64): Tolerance(rtol=1e-7, atol=1e-10, fd_rtol=1e-5, fd_atol=1e-8),
        np.dtype(np.float32): Tolerance(rtol=1e-4, atol=1e-6, fd_rtol=2e-2, fd_atol=1e-3),
        np.dtype(np.float16): Tolerance(rtol=1e-2, atol=1e-3, fd_rtol=1e-1, fd_atol=1e-2),
    }
)


def tolerance_for(
    dtype: Any = np.float64,
    overrides: Tolerance | Mapping[str, Any] | None = None,
) -> Tolerance:
    """The tolerance for ``dtype``, with a caller's overrides merged in.

    ``overrides`` is a Tolerance (used as is), a mapping of fields (``{"rtol": 1e-6}``),
    or a mapping keyed by dtype name (``{"float32": {"rtol": 1e-3}}``).

    Examples:
        >>> tolerance_for("float64", {"rtol": 1e-6}).rtol
        1e-06
    """
    dt = np.dtype(dtype)
    if dt not in TOLERANCES:
        names = ", ".join(str(d) for d in TOLERANCES)
        raise SymmlError(f"no tolerance for dtype {dt}; known: {names}")
    if isinstance(overrides, Tolerance):
        return overrides
    base = TOLERANCES[dt]
    if not overrides:
        return base
    by_dtype = {str(np.dtype(k)): v for k, v in overrides.items() if _is_dtype_name(k)}
    if by_dtype:
        return base.merge(by_dtype.get(str(dt)))
    return base.merge(overrides)


def _is_dtype_name(key: Any) -> bool:
    if key in {f.name for f in fields(Tolerance)}:
        return False
    try:
        np.dtype(key)
    except TypeError:
        return False
    return True


def close(got: Any, expected: Any, tol: Tolerance) -> np.ndarray:
    """Elementwise ``|got - expected| <= atol + rtol |expected|``; equal infinities agree."""
    got, expected = np.asarray(got, dtype=float), np.asarray(expected, dtype=float)
    with np.errstate(invalid="ignore", over="ignore"):
        ok = np.abs(got - expected) <= tol.atol + tol.rtol * np.abs(expected)
    return ok | ((got == expected) & np.isinf(expected))


# --------------------------------------------------------------------- stabilising


class _dsigmoid(sp.Function):
    """sigmoid(x) * sigmoid(-x) = e/(1+e)^2 with e = exp(-|x|): no cancellation."""

    nargs = 1


class _sech2(sp.Function):
    """1 - tanh(x)^2 = 4e/(1+e)^2 with e = exp(-2|x|): no cancellation, no overflow."""

    nargs = 1


def stabilize(expr: sp.Basic) -> sp.Basic:
    """Rewrite textbook shapes that lose precision or overflow in floating point.

    The rewrites are identities: ``1/(1+e^{-u}) -> sigmoid(u)``, ``log(1+e^u) ->
    softplus(u)``, ``log(sigmoid(u)) -> log_sigmoid(u)``, ``1 - sigmoid(u) -> sigmoid(-u)``,
    ``sigmoid(u) sigmoid(-u) -> sigmoid'(u)``, ``1 - tanh(u)^2 -> sech(u)^2``.

    Examples:
        >>> x = sp.Symbol("x", real=True)
        >>> stabilize(sp.log(1 + sp.exp(x)))
        softplus(x)
        >>> stabilize(sp.diff(F.sigmoid(x), x))
        _dsigmoid(x)
    """
    if not isinstance(expr, sp.Basic) or expr.is_Atom:
        return expr
    args = [stabilize(a) for a in expr.args]
    if isinstance(expr, (sp.Sum, sp.Product, sp.Indexed, sp.IndexedBase)) or isinstance(
        expr, MatrixExpr
    ):
        new = expr.func(*args) if args != list(expr.args) else expr
        return new
    new = expr.func(*args) if args != list(expr.args) else expr
    return _stabilize_node(new)


def _one_plus_exp(e: sp.Basic) -> sp.Basic | None:
    """u when e == 1 + exp(u)."""
    if e.is_Add and len(e.args) == 2 and sp.S.One in e.args:
        other = e.args[0] if e.args[1] is sp.S.One else e.args[1]
        if isinstance(other, sp.exp):
            return other.args[0]
    return None


def _stabilize_node(e: sp.Basic) -> sp.Basic:
    if e.is_Pow and e.exp.is_Integer and e.exp < 0:
        u = _one_plus_exp(e.base)
        if u is not None:
            return F.sigmoid(-u) ** (-e.exp)
    if isinstance(e, sp.log):
        inner = e.args[0]
        u = _one_plus_exp(inner)
        if u is not None:
            return F.softplus(u)
        if isinstance(inner, F.sigmoid):
            return F.log_sigmoid(inner.args[0])
        z_k = _sum_of_exp(inner)
        if z_k is not None:
            return F.logsumexp(*z_k)
    if e.is_Add:
        pair = _exp_pair(e)
        if pair is not None:
            return pair
        terms = list(e.args)
        if sp.S.One in terms:
            for t in terms:
                neg = -t
                if isinstance(neg, F.sigmoid):
                    terms.remove(sp.S.One)
                    terms.remove(t)
                    return _stabilize_node(sp.Add(F.sigmoid(-neg.args[0]), *terms))
                if neg.is_Pow and isinstance(neg.base, sp.tanh) and neg.exp == 2:
                    terms.remove(sp.S.One)
                    terms.remove(t)
                    return sp.Add(_sech2(neg.base.args[0]), *terms)
    if e.is_Mul:
        return _stabilize_mul(e)
    return e


def _exp_pair(e: sp.Add) -> sp.Basic | None:
    """exp(u) - exp(-u) -> 2 sinh(u) (no cancellation near 0), exp(u) + exp(-u) -> 2 cosh(u)."""
    if len(e.args) != 2:
        return None
    (ca, a), (cb, b) = (t.as_coeff_Mul() for t in e.args)
    if not (isinstance(a, sp.exp) and isinstance(b, sp.exp)) or abs(ca) != abs(cb):
        return None
    if sp.expand(a.args[0] + b.args[0]) != 0:
        return None
    u = a.args[0] if _canonical_sign(a.args[0]) else b.args[0]
    cu = ca if a.args[0] == u else cb
    if ca == cb:
        return 2 * ca * sp.cosh(u)
    return 2 * cu * sp.sinh(u)


def _sum_of_exp(e: sp.Basic) -> tuple[sp.IndexedBase, sp.Basic] | None:
    """(z, K) when e == Sum(exp(z[j]), (j, 1, K))."""
    if not isinstance(e, sp.Sum) or len(e.limits) != 1:
        return None
    j, lo, hi = e.limits[0]
    f = e.function
    if lo != 1 or not isinstance(f, sp.exp) or not isinstance(f.args[0], sp.Indexed):
        return None
    z = f.args[0]
    return (z.base, hi) if z.indices == (j,) else None


def _stabilize_mul(e: sp.Mul) -> sp.Basic:
    powers: dict[sp.Basic, sp.Basic] = {}
    for f in e.args:
        base, ex = (f.base, f.exp) if f.is_Pow else (f, sp.S.One)
        powers[base] = powers.get(base, sp.S.Zero) + ex
    for base in list(powers):  # exp(z[i]) / Sum(exp(z[j])) -> softmax(z, i, K)
        z_k = _sum_of_exp(base)
        if z_k is None or powers[base] != -1:
            continue
        for top in list(powers):
            arg = top.args[0] if isinstance(top, sp.exp) else None
            if (
                powers.get(top) == 1
                and isinstance(arg, sp.Indexed)
                and arg.base == z_k[0]
                and len(arg.indices) == 1
            ):
                del powers[base], powers[top]
                sm = F.softmax(z_k[0], arg.indices[0], z_k[1])
                powers[sm] = powers.get(sm, sp.S.Zero) + 1
                break
    changed = True
    while changed:
        changed = False
        for base in list(powers):
            ex = powers.get(base, sp.S.Zero)
            if isinstance(base, sp.exp) and ex == 1:  # e^u * sigmoid(-u) = sigmoid(u)
                partner = F.sigmoid(-base.args[0])
                if _positive_int(powers.get(partner, sp.S.Zero)):
                    del powers[base]
                    powers[partner] -= 1
                    target = F.sigmoid(base.args[0])
                    powers[target] = powers.get(target, sp.S.Zero) + 1
                    changed = True
                    break
            if isinstance(base, F.sigmoid) and _positive_int(ex):
                partner = F.sigmoid(-base.args[0])
                pex = powers.get(partner, sp.S.Zero)
                if _positive_int(pex):
                    k = min(ex, pex)
                    powers[base] -= k
                    powers[partner] -= k
                    d = _dsigmoid(base.args[0] if _canonical_sign(base.args[0]) else -base.args[0])
                    powers[d] = powers.get(d, sp.S.Zero) + k
                    changed = True
                    break
    for base in list(powers):  # sinh(u)/cosh(u) -> tanh(u), cosh(u)^-2 -> sech(u)^2
        if isinstance(base, sp.sinh) and powers[base] == 1:
            c = sp.cosh(base.args[0])
            if powers.get(c, sp.S.Zero) == -1:
                del powers[base], powers[c]
                t = sp.tanh(base.args[0])
                powers[t] = powers.get(t, sp.S.Zero) + 1
    for base in list(powers):
        if isinstance(base, sp.cosh) and powers[base] == -2:
            del powers[base]
            powers[_sech2(base.args[0])] = sp.S.One
    return sp.Mul(*[b**x for b, x in powers.items() if x != 0])


def _positive_int(e: sp.Basic) -> bool:
    return bool(e.is_Integer and e >= 1)


def _canonical_sign(u: sp.Basic) -> bool:
    return not u.could_extract_minus_sign()


# ---------------------------------------------------------------------- the printer


class _Unvectorisable(SymmlError):
    """An index pattern the vectorised printer cannot turn into slices."""


def _place(a: Any, positions: tuple[int, ...], depth: int) -> np.ndarray:
    """Put the trailing ``len(positions)`` axes of ``a`` into slots of ``depth`` index axes."""
    a = np.asarray(a)
    k = len(positions)
    nb = a.ndim - k
    if k > 1:
        order = sorted(range(k), key=positions.__getitem__)
        a = np.moveaxis(a, [nb + o for o in order], list(range(nb, nb + k)))
        positions = tuple(sorted(positions))
    dims = [1] * depth
    for q, p in enumerate(positions):
        dims[p] = a.shape[nb + q]
    return a.reshape(a.shape[:nb] + tuple(dims))


def _idx(arr: Any, name: str, specs: tuple, positions: tuple[int, ...], depth: int) -> np.ndarray:
    """``arr`` indexed by 0-based ints and (start, stop) slices over its trailing axes."""
    arr = np.asarray(arr)
    rank = len(specs)
    if arr.ndim < rank:
        raise IndexError(f"{name} has {arr.ndim} axes; the formula indexes it with {rank}")
    key: list[Any] = [Ellipsis]
    for k, spec in enumerate(specs):
        n = arr.shape[arr.ndim - rank + k]
        if isinstance(spec, tuple):
            lo, hi = int(spec[0]), int(spec[1])
            if lo < 0 or hi > n:
                raise IndexError(
                    f"{name}: the formula reads elements {lo + 1}..{hi} of axis {k}, "
                    f"which has {n} (indices are 1-based)"
                )
            key.append(slice(lo, max(lo, hi)))
        else:
            i = int(spec)
            if not 0 <= i < n:
                raise IndexError(f"{name}: element {i + 1} of axis {k} does not exist (size {n})")
            key.append(i)
    return _place(arr[tuple(key)], positions, depth)


def _reduce(op: Callable, body: Any, lengths: tuple) -> np.ndarray:
    """Reduce the trailing ``len(lengths)`` axes, broadcasting axes the body does not use."""
    body = np.asarray(body)
    k = len(lengths)
    if body.ndim < k:
        body = body.reshape((1,) * (k - body.ndim) + body.shape)
    target = body.shape[: body.ndim - k] + tuple(max(int(n), 0) for n in lengths)
    return op(np.broadcast_to(body, target), axis=tuple(range(-k, 0)))


def _sum_product(a: Any, b: Any, lengths: tuple) -> np.ndarray:
    """``_reduce(numpy.sum, a * b, lengths)`` for one trailing axis, as a contraction.

    Why: ``Sum(w[j] * X[i, j], (j, 1, n))`` multiplied out first builds an m-by-n array of
    products (80 MB for m = 10^6, n = 10) only to sum it; einsum never materialises it.
    """
    a, b = np.asarray(a), np.asarray(b)
    if a.ndim == 0 or b.ndim == 0 or a.dtype.kind not in "fiu" or b.dtype.kind not in "fiu":
        return _reduce(np.sum, a * b, lengths)
    n = max(int(lengths[0]), 0)
    a = np.broadcast_to(a, a.shape[:-1] + (n,))
    b = np.broadcast_to(b, b.shape[:-1] + (n,))
    return np.einsum("...j,...j->...", a, b)


def _lse_last(v: np.ndarray) -> np.ndarray:
    """log(sum(exp(v))) over the last axis, shifted by the (finite) maximum."""
    m = np.max(v, axis=-1, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)
    return np.log(np.sum(np.exp(v - m), axis=-1)) + m[..., 0]


def _softmax_last(v: np.ndarray, zi: Any) -> np.ndarray:
    """exp(zi - m) / sum(exp(v - m)) over the last axis of v, m its (finite) maximum."""
    m = np.max(v, axis=-1, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)
    return np.exp(zi - m[..., 0]) / np.sum(np.exp(v - m), axis=-1)


#: Elements per block of the elementwise kernels: a block and its scratch stay in the cache.
_BLOCK = 1 << 15


def _blocked(kernel: Callable[[np.ndarray, np.ndarray, np.ndarray], None]) -> Callable:
    """Run ``kernel(x, out, scratch)`` in place over cache-sized blocks of ``x``.

    Why: written as one NumPy expression, a stable sigmoid makes five or six temporaries the
    size of ``x``; on 10^6 elements their memory traffic (and page faults) costs more than the
    arithmetic, and made the stable forms 1.3-2.6x slower than the naive hand-written ones.
    Blocked, the one new array is the result.
    """

    def run(x: Any) -> Any:
        x = np.asarray(x)
        if x.dtype.kind != "f":
            x = x.astype(float)
        out = np.empty(x.shape, x.dtype)
        flat_x, flat_out = x.reshape(-1), out.reshape(-1)
        scratch = np.empty(min(flat_x.size, _BLOCK), x.dtype)
        for k in range(0, flat_x.size, _BLOCK):
            xb = flat_x[k : k + _BLOCK]
            kernel(xb, flat_out[k : k + _BLOCK], scratch[: xb.size])
        return out[()] if out.ndim == 0 else out

    run.__name__ = kernel.__name__.lstrip("_k")
    return run


def _k_sigmoid(x: np.ndarray, out: np.ndarray, t: np.ndarray) -> None:
    """sigmoid = where(x >= 0, 1, e) / (1 + e), e = exp(-|x|): never overflows."""
    np.copysign(x, -1.0, out=out)
    np.exp(out, out=out)  # e in (0, 1]
    np.sign(x, out=t)
    np.maximum(t, out, out=t)  # 1 for x > 0, e for x <= 0 (e == 1 at x == 0)
    np.add(out, 1.0, out=out)
    np.divide(t, out, out=out)


def _k_dsigmoid(x: np.ndarray, out: np.ndarray, t: np.ndarray) -> None:
    """sigmoid' = e / (1 + e)^2, e = exp(-|x|): no cancellation, no overflow."""
    np.copysign(x, -1.0, out=out)
    np.exp(out, out=out)
    np.add(out, 1.0, out=t)
    np.multiply(t, t, out=t)
    np.divide(out, t, out=out)


def _k_sech2(x: np.ndarray, out: np.ndarray, t: np.ndarray) -> None:
    """1 - tanh^2 = 4e / (1 + e)^2, e = exp(-2|x|): no cancellation, no overflow."""
    np.add(x, x, out=out)
    np.copysign(out, -1.0, out=out)
    np.exp(out, out=out)
    np.add(out, 1.0, out=t)
    np.multiply(t, t, out=t)
    np.multiply(out, 4.0, out=out)
    np.divide(out, t, out=out)


_np_sigmoid = _blocked(_k_sigmoid)
_np_dsigmoid = _blocked(_k_dsigmoid)
_np_sech2 = _blocked(_k_sech2)


# A sum is evaluated as an array over its index: beyond this many terms that array would
# not fit in memory (10^7 float64 is 80 MB per axis), so it is refused, not attempted.
MAX_SUM_TERMS = 10**7


def _arange(lo: Any, hi: Any) -> np.ndarray:
    count = int(hi) - int(lo) + 1
    if count > MAX_SUM_TERMS:
        raise SymmlError(f"a sum over {count} terms is too long to evaluate (limit "
                         f"{MAX_SUM_TERMS})")
    return np.arange(int(lo), int(hi) + 1)


_RUNTIME = {
    "_arange": _arange,
    "_sigmoid": _np_sigmoid,
    "_place": _place,
    "_idx": _idx,
    "_reduce": _reduce,
    "_sum_product": _sum_product,
    "_lse_last": _lse_last,
    "_softmax_last": _softmax_last,
    "_dsigmoid": _np_dsigmoid,
    "_sech2": _np_sech2,
}

_SETTINGS = {
    "fully_qualified_modules": False,
    "inline": True,
    "allow_unknown_functions": True,
}


class _VectorPrinter(F.StableNumPyPrinter):
    """StableNumPyPrinter + bound indices as trailing axes (see the module docstring)."""

    def __init__(self, settings: dict | None = None):
        super().__init__(dict(_SETTINGS, **(settings or {})))
        self._stack: list[tuple[sp.Symbol, str, str]] = []  # (index, lo code, hi code)
        self._local: set[sp.Symbol] = set()  # values computed inside a reduction: placed

    # -- helpers
    def _plain(self, expr: sp.Basic) -> str:
        """Print a bound (no placement): bounds are Python ints at run time."""
        bound = {s for s, _, _ in self._stack}
        if expr.free_symbols & bound:
            raise _Unvectorisable(f"a bound {expr} depends on an enclosing index")
        saved, self._stack = self._stack, []
        try:
            return self._print(expr)
        finally:
            self._stack = saved

    def _position(self, s: sp.Basic) -> int | None:
        for pos in range(len(self._stack) - 1, -1, -1):
            if self._stack[pos][0] == s:
                return pos
        return None

    def _bound(self) -> set:
        return {s for s, _, _ in self._stack}

    # -- leaves
    def _print_Symbol(self, expr):
        pos = self._position(expr)
        name = super()._print_Symbol(expr)
        if expr in self._local:
            return name
        if pos is not None:
            _, lo, hi = self._stack[pos]
            return f"_place(_arange({lo}, {hi}), ({pos},), {len(self._stack)})"
        if self._stack:
            return f"_place({name}, (), {len(self._stack)})"
        return name

    _print_Dummy = _print_Symbol

    def _print_Indexed(self, expr):
        name = str(expr.base.label)
        specs, positions = [], []
        bound = self._bound()
        for idx in expr.indices:
            used = idx.free_symbols & bound
            if not used:
                specs.append(f"int({self._plain(idx)}) - 1")
                continue
            if len(used) > 1:
                raise _Unvectorisable(f"index {idx} of {expr} mixes several summation indices")
            (s,) = used
            offset = sp.expand(idx - s)
            if offset.free_symbols & bound:
                raise _Unvectorisable(f"index {idx} of {expr} is not 'index + constant'")
            pos = self._position(s)
            if pos in positions:
                raise _Unvectorisable(f"{expr} repeats the index {s} (a diagonal)")
            _, lo, hi = self._stack[pos]
            c = self._plain(offset)
            specs.append(f"(({lo}) + ({c}) - 1, ({hi}) + ({c}))")
            positions.append(pos)
        spec = "(" + "".join(f"{s}, " for s in specs) + ")"
        pos_code = "(" + "".join(f"{p}, " for p in positions) + ")"
        return f"_idx({name}, {name!r}, {spec}, {pos_code}, {len(self._stack)})"

    # -- reductions
    def _print_Sum(self, expr):
        return self._print_reduction(expr, "numpy.sum")

    def _print_Product(self, expr):
        return self._print_reduction(expr, "numpy.prod")

    def _print_reduction(self, expr, op: str) -> str:
        new = [(i, self._plain(a), self._plain(b)) for i, a, b in expr.limits]
        self._stack.extend(new)
        lengths = "".join(f"({b}) - ({a}) + 1, " for _, a, b in new)
        try:
            repl, body = _cse_outside_sums(expr.function, prefix="_c")
            self._local.update(s for s, _ in repl)
            contract = op == "numpy.sum" and len(new) == 1 and body.is_Mul and len(body.args) > 1
            if contract:  # a sum of products: one contraction, no product array
                rest, last = sp.Mul(*body.args[:-1]), body.args[-1]
                code = f"_sum_product({self._print(rest)}, {self._print(last)}, ({lengths}))"
            else:
                code = self._print(body)
            for s, e in reversed(repl):  # nested lambdas: later values may use earlier ones
                code = f"(lambda {self._print(s)}: {code})({self._print(e)})"
        finally:
            del self._stack[len(self._stack) - len(new) :]
        return code if contract else f"_reduce({op}, {code}, ({lengths}))"

    def _indexed_lse(self, z: sp.IndexedBase, n: sp.Basic) -> str:
        j = sp.Dummy("j", integer=True)
        self._stack.append((j, "1", self._plain(n)))
        try:
            body = self._print(z[j])
        finally:
            self._stack.pop()
        return f"_lse_last({body})"

    def _print_logsumexp(self, expr):
        if not expr.is_indexed:
            return super()._print_logsumexp(expr)
        z, n = expr.args
        return self._indexed_lse(z, n)

    def _print_softmax(self, expr):
        z, i, n = expr.args
        values = self._indexed_lse(z, n).replace("_lse_last(", "_softmax_last(", 1)[:-1]
        return f"{values}, {self._print(z[i])})"

    def _print_KroneckerDelta(self, expr):
        a, b = (self._print(x) for x in expr.args)
        return f"numpy.where(numpy.equal({a}, {b}), 1.0, 0.0)"

    def _print_Transpose(self, expr):
        return f"numpy.swapaxes({self._print(expr.arg)}, -1, -2)"

    def _print_MatMul(self, expr):
        coeff, mats = expr.as_coeff_matrices()
        code = " @ ".join(f"({self._print(m)})" for m in mats)
        return code if coeff == 1 else f"({self._print(coeff)}) * ({code})"

    def _print_Identity(self, expr):
        return f"numpy.eye({self._plain(expr.rows)})"

    def _print_sigmoid(self, expr):
        return f"_sigmoid({self._print(expr.args[0])})"

    def _print__dsigmoid(self, expr):
        return f"_dsigmoid({self._print(expr.args[0])})"

    def _print__sech2(self, expr):
        return f"_sech2({self._print(expr.args[0])})"


_COUNTER = itertools.count()


def _cse_outside_sums(exprs: Any, prefix: str = "_x") -> tuple[list, Any]:
    """sympy.cse that treats every outermost Sum/Product as an atom.

    A subexpression of a Sum's body mentions the bound index; pulled out to a top-level
    assignment it would lose its axis, so reductions are computed once and kept whole.
    """
    single = not isinstance(exprs, (list, tuple))
    seq = [exprs] if single else list(exprs)
    reductions: dict[sp.Basic, sp.Symbol] = {}

    def atomize(e: sp.Basic) -> sp.Basic:
        if isinstance(e, (sp.Sum, sp.Product, F.logsumexp, F.softmax)):
            if e not in reductions:
                reductions[e] = sp.Symbol(f"{prefix}r{next(_COUNTER)}")
            return reductions[e]
        if e.is_Atom or not e.args:
            return e
        new = [atomize(a) for a in e.args]
        return e.func(*new) if new != list(e.args) else e

    atomized = [atomize(e) if isinstance(e, sp.Basic) else e for e in seq]
    names = (sp.Symbol(f"{prefix}{next(_COUNTER)}") for _ in iter(int, 1))
    repl, reduced = sp.cse(atomized, symbols=names, list=True)
    pre = [(d, r) for r, d in reductions.items()]
    return pre + list(repl), reduced[0] if single else reduced


# ------------------------------------------------------------------- MLFunction


@dataclass(frozen=True)
class _SizeRule:
    size: str  # the size symbol's name
    arg: str  # the array it is read from
    axis: int  # a negative axis (counted from the end: batch axes lead)


class MLFunction:
    """A lambdified expression. Call with positional or keyword arguments (names of ``args``).

    Size symbols that bound a sum (``m`` in ``Sum(x[i], (i, 1, m))``) and are not among
    ``args`` are read from the arrays' shapes. ``source`` is the generated code.
    """

    def __init__(
        self,
        expr: sp.Basic,
        args: Sequence[Any],
        func: Callable,
        source: str,
        sizes: tuple[_SizeRule, ...],
        batchable: bool,
    ):
        self.expr = expr
        self.args = tuple(args)
        self.names = tuple(_arg_name(a) for a in self.args)
        self._func = func
        self.source = source
        self.sizes = sizes
        self.batchable = batchable

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if len(args) > len(self.names):
            raise TypeError(f"expected at most {len(self.names)} arguments, got {len(args)}")
        values = dict(zip(self.names, args, strict=False))
        for k, v in kwargs.items():
            if k in values:
                raise TypeError(f"argument {k!r} given twice")
            values[k] = v
        for rule in self.sizes:
            if rule.size not in values and rule.arg in values:
                values[rule.size] = np.shape(values[rule.arg])[rule.axis]
        missing = [n for n in self.names if n not in values]
        if missing:
            raise TypeError(f"missing argument(s) {missing} (arguments: {list(self.names)})")
        unknown = set(values) - set(self.names) - {r.size for r in self.sizes}
        if unknown:
            raise TypeError(
                f"unknown argument(s) {sorted(unknown)} (arguments: {list(self.names)})"
            )
        call = [_as_input(values[n]) for n in self.names]
        extra = {r.size: int(values[r.size]) for r in self.sizes if r.size in values}
        return self._func(*call, **{_size_kw(k): v for k, v in extra.items()})

    def __repr__(self) -> str:
        return f"MLFunction({self.expr}, args={list(self.names)})"


def _size_kw(name: str) -> str:
    return f"_size_{name}"


def _as_input(v: Any) -> Any:
    if isinstance(v, (int, np.integer)):
        return v
    return np.asarray(v, dtype=float) if not isinstance(v, np.ndarray) else v


def _arg_name(a: Any) -> str:
    if isinstance(a, str):
        return a
    if isinstance(a, sp.IndexedBase):
        return str(a.label)
    return str(getattr(a, "name", a))


def _resolve_args(expr: sp.Basic, args: Iterable[Any]) -> list[Any]:
    by_name: dict[str, Any] = {}
    for s in expr.free_symbols:
        if isinstance(s, sp.Symbol):
            by_name.setdefault(str(s), s)
    for b in expr.atoms(sp.IndexedBase):
        by_name[str(b.label)] = b
    for m in expr.atoms(sp.MatrixSymbol):
        by_name[str(m.name)] = m
    out = []
    for a in args:
        if isinstance(a, str):
            out.append(by_name.get(a, sp.Symbol(a)))
        else:
            out.append(a)
    return out


def _size_rules(expr: sp.Basic, names: set[str]) -> tuple[list[_SizeRule], set[str]]:
    """How to read each sum bound that is not an argument from an array's shape."""
    rules: dict[str, _SizeRule] = {}
    needed: set[str] = set()
    for s in expr.atoms(sp.Sum, sp.Product):
        for i, lo, hi in s.limits:
            for sym in (lo.free_symbols | hi.free_symbols) - {i}:
                if str(sym) not in names:
                    needed.add(str(sym))
            if not (isinstance(hi, sp.Symbol) and lo == 1) or str(hi) in names:
                continue
            for ind in s.function.atoms(sp.Indexed):
                if str(ind.base.label) not in names:
                    continue
                for k, idx in enumerate(ind.indices):
                    if idx == i and str(hi) not in rules:
                        rules[str(hi)] = _SizeRule(
                            str(hi), str(ind.base.label), k - len(ind.indices)
                        )
    for m in expr.atoms(sp.MatrixSymbol, sp.Identity):
        for k, dim in enumerate(m.shape):
            if isinstance(dim, sp.Symbol) and str(dim) not in names:
                if isinstance(m, sp.MatrixSymbol):
                    rules.setdefault(str(dim), _SizeRule(str(dim), str(m.name), k - 2))
                elif str(dim) not in rules:
                    needed.add(str(dim))
    return list(rules.values()), needed - set(rules)


def _refuse_unknown_names(expr: sp.Basic, args: Sequence[Any]) -> None:
    """Generated code may call only what symml defines and read only its arguments.

    An undefined function would be printed by its name and resolved in Python's builtins
    (``\\operatorname{exit}(x)`` would call ``exit``), and so would a free name that is not
    an argument: both are refused before any code exists.
    """
    from sympy.core.function import AppliedUndef

    unknown = sorted({type(f).__name__ for f in expr.atoms(AppliedUndef)})
    if unknown:
        raise SymmlError(f"cannot evaluate {expr}: it applies unknown function(s) "
                         f"{', '.join(unknown)} (define them, e.g. in the registry)")
    given = {_arg_name(a) for a in args}
    bound = {str(v) for s in expr.atoms(sp.Sum, sp.Product, sp.Integral, sp.Lambda)
             for v in (s.variables if hasattr(s, "variables") else ())}
    loose = sorted(str(s) for s in expr.free_symbols
                   if type(s) is sp.Symbol and str(s) not in given and str(s) not in bound)
    sizes = {str(d) for s in expr.atoms(sp.Sum, sp.Product) for _, lo, hi in s.limits
             for d in (lo.free_symbols | hi.free_symbols)}
    sizes |= {str(d) for m in expr.atoms(sp.MatrixSymbol) for d in m.shape
              for d in getattr(d, "free_symbols", ())}
    loose = [n for n in loose if n not in sizes]
    if loose:
        raise SymmlError(f"cannot evaluate {expr}: {', '.join(loose)} not among the "
                         f"arguments ({', '.join(sorted(given))})")


def lambdify_ml(expr: Any, args: Sequence[Any], *, stable: bool = True) -> MLFunction:
    """Compile ``expr`` to vectorised, numerically stable NumPy.

    Args:
        expr: a SymPy expression built by symml (never text).
        args: the arguments, in call order: Symbols, IndexedBase (an array whose trailing
            axes are indexed 1-based), MatrixSymbol, or their names.
        stable: apply :func:`stabilize` first (default).

    Returns:
        An :class:`MLFunction`; leading axes of array arguments beyond the indexed ones
        are batch axes and broadcast against scalar arguments of the same batch shape.

    Raises:
        SymmlError: an index pattern that cannot be vectorised (``x[2*i]``, a diagonal
            ``x[i, i]``, a bound depending on an enclosing index) or a sum bound that is
            neither an argument nor readable from an array's shape.

    Examples:
        >>> x = sp.Symbol("x", real=True)
        >>> f = lambdify_ml(sp.log(1 + sp.exp(x)), [x])
        >>> float(f(1000.0))
        1000.0
    """
    expr = sp.sympify(expr)
    args = _resolve_args(expr, args)
    _refuse_unknown_names(expr, args)
    names = [_arg_name(a) for a in args]
    rules, unreadable = _size_rules(expr, set(names))
    if unreadable:
        raise SymmlError(
            f"cannot evaluate {expr}: the sum bound(s) {sorted(unreadable)} are not arguments "
            f"and no array argument determines them (arguments: {names})"
        )
    work = stabilize(expr) if stable else expr
    size_syms = [sp.Symbol(r.size) for r in rules]
    # Bounds are printed by name; an inferred size travels as a keyword-only argument.
    subs = {s: sp.Symbol(_size_kw(s.name)) for s in size_syms}
    subs.update(
        {
            s: sp.Symbol(_size_kw(s.name))
            for s in work.free_symbols
            if s.name in {r.size for r in rules}
        }
    )
    work = work.xreplace(subs)
    all_args = list(args) + [sp.Symbol(_size_kw(r.size)) for r in rules]
    namespace: dict[str, Any] = dict(_RUNTIME)
    namespace["numpy"] = np
    try:
        func = sp.lambdify(
            all_args,
            work,
            modules=[namespace, "numpy"],
            printer=_VectorPrinter(),
            cse=_cse_outside_sums,
        )
    except _Unvectorisable as exc:
        raise SymmlError(f"cannot vectorise {expr}: {exc}") from exc
    source = getattr(func, "__doc__", "") or ""
    try:
        import inspect

        source = inspect.getsource(func)
    except (OSError, TypeError):
        pass
    batchable = not expr.atoms(sp.MatrixSymbol) and not any(
        isinstance(a, MatrixExpr) for a in sp.preorder_traversal(expr)
    )
    return MLFunction(expr, args, func, source, tuple(rules), batchable)


# ------------------------------------------------------------------------- mpmath


class _MpPrinter(F.StableMpmathPrinter):
    """mpmath printer with 1-based Indexed (loops are fine in the reference)."""

    def _print_Indexed(self, expr):
        idx = ", ".join(f"int({self._print(i)}) - 1" for i in expr.indices)
        return f"{expr.base.label}[{idx}]"

    def _print__dsigmoid(self, expr):
        return self._print(F.sigmoid(expr.args[0]) * F.sigmoid(-expr.args[0]))

    def _print__sech2(self, expr):
        return self._print(sp.sech(expr.args[0]) ** 2)


def _to_mp(v: Any) -> Any:
    import mpmath

    if isinstance(v, (int, np.integer)):
        return int(v)
    a = np.asarray(v)
    if a.ndim == 0:
        return mpmath.mpf(float(a))
    out = np.empty(a.shape, dtype=object)
    for k, x in np.ndenumerate(a):
        out[k] = mpmath.mpf(float(x))
    return out


#: Precisions tried in turn until two successive results agree (cancellation needs more).
_MP_LADDER = (2, 4, 12, 40)
_MP_AGREE_DIGITS = 25


def _mp_value(v: Any, dps: int) -> Any:
    import mpmath

    if isinstance(v, mpmath.mpc):
        tiny = abs(v) * mpmath.mpf(10) ** (-dps + 5)
        return v.real if abs(v.imag) <= tiny else mpmath.mpf("nan")
    if isinstance(v, (int, float, np.floating, np.integer)):
        return mpmath.mpf(float(v)) if isinstance(v, (float, np.floating)) else mpmath.mpf(v)
    if isinstance(v, mpmath.matrix):
        return np.asarray(v.tolist(), dtype=object)
    if isinstance(v, (list, tuple, np.ndarray)):
        return np.asarray(v, dtype=object)
    return v


def _agree(a: Any, b: Any) -> bool:
    import mpmath

    flat_a, flat_b = np.ravel(np.asarray(a, dtype=object)), np.ravel(np.asarray(b, dtype=object))
    if flat_a.shape != flat_b.shape:
        return False
    for x, y in zip(flat_a, flat_b, strict=True):
        if mpmath.isnan(x) and mpmath.isnan(y):
            continue
        if x == 0 or y == 0:  # total cancellation looks like agreement: climb higher
            return False
        if abs(x - y) > abs(y) * mpmath.mpf(10) ** (-_MP_AGREE_DIGITS):
            return False
    return True


def _hoist_inverses(expr: sp.Basic, args: list) -> tuple[sp.Basic, list[tuple[Any, int]]]:
    """Inverse(M) of an argument M becomes a new argument, computed once per point.

    Printed as is, ``(M**(-1))[i, j]`` inside a sum inverts M once per term (n^2 inversions
    at 50+ digits: seconds per point), and on the object array that carries M it would be
    NumPy's elementwise reciprocal, not the matrix inverse.
    """
    hoisted = []
    for inv in sorted(expr.atoms(sp.Inverse), key=str):
        if inv.arg in args:
            sym = sp.MatrixSymbol(f"_inv{len(hoisted)}", *inv.arg.shape)
            expr = expr.xreplace({inv: sym})
            hoisted.append((sym, args.index(inv.arg)))
    return expr, hoisted


def _mp_inverse(a: Any) -> Any:
    import mpmath

    inv = mpmath.matrix(np.asarray(a, dtype=object).tolist()) ** -1
    return np.asarray(inv.tolist(), dtype=object)


def _mp_eval(args: list, expr: sp.Basic, points: list[dict[str, Any]], dps: int) -> list:
    import mpmath

    names = [_arg_name(a) for a in args]
    expr, inverses = _hoist_inverses(expr, args)
    f = sp.lambdify(
        [*args, *(s for s, _ in inverses)],
        expr,
        modules=["mpmath"],
        printer=_MpPrinter(dict(_SETTINGS)),
    )
    out = []
    for point in points:
        prev = None
        for factor in (1, *_MP_LADDER):
            with mpmath.workdps(dps * factor):
                vals = [_to_mp(point[n]) for n in names]
                vals += [_mp_inverse(vals[k]) for _, k in inverses]
                try:
                    v = _mp_value(f(*vals), dps)
                except (ZeroDivisionError, ValueError, OverflowError):
                    v = mpmath.mpf("nan")
            if prev is not None and _agree(prev, v):
                break
            prev = v
        out.append(v)
    return out


def mp_reference_many(
    expr: Any,
    points: Sequence[Mapping[str, Any]],
    *,
    dps: int = MP_DPS,
    timeout: float | None = 30.0,
) -> list:
    """:func:`mp_reference` at many points in one bounded call (a list of mpf values)."""
    from symml.workers import run_bounded

    expr = stabilize(sp.sympify(expr))
    if not points:
        return []
    names = sorted(points[0])
    args = _resolve_args(expr, names)
    try:
        return run_bounded(_mp_eval, args, expr, [dict(p) for p in points], dps, timeout=timeout)
    except SymmlTimeout as exc:
        raise SymmlTimeout(
            f"the {dps}-digit mpmath reference of {expr} at {len(points)} point(s) "
            f"took longer than {timeout:g} s"
        ) from exc
    except SymmlError:
        raise
    except Exception as exc:  # a SymPy printer or mpmath limitation, named for the caller
        raise SymmlError(f"no mpmath reference for {expr}: {type(exc).__name__}: {exc}") from exc


def mp_reference(
    expr: Any, point: Mapping[str, Any], dps: int = MP_DPS, timeout: float | None = 10.0
) -> Any:
    """The value of ``expr`` at ``point`` (name -> float or array) to ``dps`` digits.

    Inputs are converted to mpf exactly (a float is a dyadic rational), so the result is
    the true value of the expression at the float inputs. The cancelling shapes that
    :func:`stabilize` knows are rewritten first; any other cancellation is caught by
    re-evaluating at 2, 4, 12 and 40 times the precision until two results agree to 25
    digits (a result of exactly 0 never counts as agreement). Complex results (a log of
    a negative) and poles are NaN.

    Raises:
        SymmlTimeout: the evaluation took longer than ``timeout`` seconds.

    Examples:
        >>> x = sp.Symbol("x")
        >>> float(mp_reference(F.softplus(x), {"x": -800.0}))
        0.0
    """
    return mp_reference_many(expr, [point], dps=dps, timeout=timeout)[0]


def ulp_error(got: Any, ref: Any, dtype: Any = np.float64) -> np.ndarray:
    """``|got - ref|`` in units in the last place of ``ref`` rounded to ``dtype``.

    ``ref`` holds mpmath numbers (or floats). The result is 0 where both are equal,
    ``inf`` where ``got`` is not finite but ``ref`` is a finite ``dtype`` number, and NaN
    where ``ref`` itself is not finite in ``dtype`` (no meaningful error).

    Examples:
        >>> float(ulp_error(1.0 + 2 ** -52, 1.0))
        1.0
    """
    import mpmath

    dt = np.dtype(dtype)
    got_a = np.asarray(got, dtype=float)
    ref_a = np.asarray(ref, dtype=object)
    got_b, ref_b = np.broadcast_arrays(got_a, ref_a)
    out = np.empty(got_b.shape, dtype=float)
    big = float(np.finfo(dt).max)
    for k in np.ndindex(got_b.shape):
        r, g = ref_b[k], float(got_b[k])
        try:
            rf = float(r)
        except (TypeError, ValueError):
            out[k] = math.nan
            continue
        if not math.isfinite(rf) or abs(rf) > big:
            out[k] = math.nan
            continue
        if not math.isfinite(g):
            out[k] = math.inf
            continue
        spacing = float(np.spacing(np.abs(np.asarray(rf, dtype=dt))))
        out[k] = float(abs(mpmath.mpf(g) - mpmath.mpf(r)) / mpmath.mpf(spacing))
    return out if out.shape else out[()]
