"""What vectorised code calls at run time: index placement, bounds-checked slices,
reductions, and blocked elementwise kernels for the stable forms.

Every bound index of a ``Sum``/``Product`` owns one trailing array axis: :func:`_place` puts
an array's axes into those slots, :func:`_idx` reads ``x[i]`` as a bounds-checked slice
(indices are 1-based as written), and :func:`_reduce` sums the axes away. Leading axes are
batch axes. :data:`RUNTIME` is the namespace the generated code runs in.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from symml.errors import SymmlError

__all__ = ["MAX_SUM_TERMS", "RUNTIME"]


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
        raise SymmlError(
            f"a sum over {count} terms is too long to evaluate (limit {MAX_SUM_TERMS})"
        )
    return np.arange(int(lo), int(hi) + 1)


#: The helpers generated code calls, by the names the printer gives them.
RUNTIME = {
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
