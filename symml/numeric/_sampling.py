"""Sampled inputs for numeric checks, per declared symbol kind, seeded and reproducible.

:func:`sample_inputs` looks at the expressions to be evaluated together (a formula, its
claim, its derivative) and draws, for ``n`` points at once:

* scalars by kind: ``real`` (a mixture over many scales, always including 0, +-1e-8,
  +-1, +-30, +-700 and +-1e3), ``positive``/``nonnegative``/``negative`` (log-uniform
  from 1e-8 to 1e3), ``probability`` (0, 1) and ``unit`` [0, 1] with values near the
  ends, ``integer``, ``natural``, ``constant`` (small positive, like epsilon);
* sizes (the bounds of sums, the dimensions of matrices) once per run, the same for
  every point, so arrays stack along a leading batch axis;
* arrays for ``IndexedBase`` symbols with the shape the sums need, and ``MatrixSymbol``
  values of consistent shapes; ``simplex`` vectors sum to 1; a ``symmetric`` matrix is
  (B + B^T)/2, an ``spd`` one B B^T/n + 0.1 I, and a square matrix named
  ``Sigma...``/``Cov...`` is a covariance (symmetric positive definite);
* a free index (``k`` in ``dJ/dw_k``) uniformly over the axis it indexes.

The first points put every scalar at the same special value (all at -1e3, all at 0, ...),
where overflow and cancellation show; the special values also recur at random places.

Examples:
    >>> import sympy as sp
    >>> x = sp.Symbol("x", real=True)
    >>> s = sample_inputs(x, {"x": "real"}, n=100, seed=0)
    >>> s.values["x"].shape, float(s.values["x"].min())
    ((100,), -1000.0)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sympy as sp

from symml.errors import SymmlError
from symml.symbols import try_parse_kind

__all__ = ["Samples", "sample_inputs", "REAL_SPECIALS", "DEFAULT_POINTS"]

DEFAULT_POINTS = 1000

#: Values every real scalar takes at some points: extremes and values near 0.
REAL_SPECIALS = (-1e3, 1e3, 0.0, -1e-8, 1e-8, -700.0, 700.0, -30.0, 30.0, -1.0, 1.0, -1e-3, 1e-3)
_POSITIVE_SPECIALS = (1e3, 1e-8, 1.0, 700.0, 30.0, 1e-3)
#: Square matrices with these names are covariances: sampled symmetric positive definite.
_COVARIANCE_NAMES = ("Sigma", "Cov", "covariance")
_PROB_SPECIALS = (0.5, 1e-12, 1 - 1e-12, 1e-6, 1 - 1e-6, 0.01, 0.99)
_SIZE_RANGE = (2, 5)
#: Sizes that usually count samples get more (a tall X keeps X^T X invertible).
_SAMPLE_COUNTS = frozenset({"m", "n", "N", "M", "n_samples", "T", "B"})
_COUNT_RANGE = (8, 13)


@dataclass(frozen=True)
class Samples:
    """Inputs at ``n`` points: ``values[name]`` has a leading axis of length ``n``.

    Attributes:
        values: name -> array (``(n,)`` for scalars, ``(n, *shape)`` for arrays).
        sizes: size symbols (sum bounds, matrix dimensions) -> int, fixed for the run.
        kinds: name -> the kind used to sample it.
        seed: the seed of ``np.random.default_rng`` that drew them.
        n: the number of points.
    """

    values: Mapping[str, np.ndarray]
    sizes: Mapping[str, int]
    kinds: Mapping[str, str] = field(default_factory=dict)
    seed: int = 0
    n: int = 0

    def batch(self) -> dict[str, Any]:
        """Every value (batched) and every size, for a vectorised call."""
        return {**self.values, **self.sizes}

    def point(self, k: int) -> dict[str, Any]:
        """The inputs at point ``k``: floats for scalars, arrays for arrays, ints for sizes."""
        out: dict[str, Any] = dict(self.sizes)
        for name, v in self.values.items():
            item = v[k]
            out[name] = item.item() if np.ndim(item) == 0 else item
        return out

    def describe(self, k: int, names: Iterable[str] | None = None) -> str:
        """``x = -3.1, y = 2`` (arrays summarised) for messages."""
        parts = []
        for name in names if names is not None else self.values:
            if name in self.sizes:
                parts.append(f"{name} = {self.sizes[name]}")
                continue
            if name not in self.values:
                continue
            v = self.values[name][k]
            parts.append(f"{name} = {_fmt_value(v)}")
        return ", ".join(parts)


def _fmt_value(v: Any) -> str:
    a = np.asarray(v)
    if a.ndim == 0:
        return f"{float(a):.6g}"
    if a.size <= 6:
        return np.array2string(a, precision=4, separator=", ", suppress_small=False)
    return f"array{a.shape} in [{a.min():.4g}, {a.max():.4g}]"


def _bound_indices(exprs: list[sp.Basic]) -> set[sp.Symbol]:
    """Summation indices, less those that one of ``exprs`` also uses free (the j of a
    derivative wrt w_j next to a definition that sums over its own j): those are sampled."""
    bound: set[sp.Symbol] = set()
    for e in exprs:
        for s in e.atoms(sp.Sum, sp.Product):
            bound.update(lim[0] for lim in s.limits)
    return bound - set().union(*(e.free_symbols for e in exprs))


def _kind_of(sym: sp.Symbol, kinds: Mapping[str, str]) -> str:
    kind = kinds.get(str(sym))
    if kind:
        return kind
    if sym.is_integer:
        return "natural" if sym.is_positive else "integer"
    if sym.is_positive:
        return "positive"
    if sym.is_nonnegative:
        return "nonnegative"
    if sym.is_negative:
        return "negative"
    return "real"


def _base_kind(name: str, kind: str) -> str:
    """``vector`` for ``vector[n]``; a kind that does not parse cannot be sampled."""
    spec = try_parse_kind(name, kind)
    if spec is None:
        raise SymmlError(f"cannot sample a symbol of kind {kind!r}")
    return spec.kind


def _scalar(base: str, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` values of a scalar of kind ``base`` (or of an array's elements)."""
    if base in ("real", "vector", "matrix", "symmetric", "spd"):
        parts = [
            rng.normal(0.0, 3.0, n),
            rng.uniform(-50.0, 50.0, n),
            rng.choice([-1.0, 1.0], n) * 10.0 ** rng.uniform(-8, 3, n),
        ]
        pick = rng.integers(0, 3, n)
        v = np.choose(pick, parts)
        return _sprinkle(v, REAL_SPECIALS, rng)
    if base in ("positive", "nonnegative", "negative"):
        v = 10.0 ** rng.uniform(-8, 3, n)
        v = np.where(rng.random(n) < 0.5, rng.uniform(0.01, 10.0, n), v)
        specials = _POSITIVE_SPECIALS + ((0.0,) if base == "nonnegative" else ())
        v = _sprinkle(v, specials, rng)
        return -v if base == "negative" else v
    if base in ("probability", "unit"):
        v = rng.uniform(0.0, 1.0, n)
        specials = _PROB_SPECIALS + ((0.0, 1.0) if base == "unit" else ())
        return _sprinkle(v, specials, rng)
    if base == "integer":
        return rng.integers(-10, 11, n).astype(float)
    if base in ("natural", "index"):
        return rng.integers(1, 21, n).astype(float)
    if base == "constant":
        return 10.0 ** rng.uniform(-8, 0, n)
    if base == "simplex":
        return rng.uniform(0.0, 1.0, n)
    raise SymmlError(f"cannot sample a symbol of kind {base!r}")


def _sprinkle(v: np.ndarray, specials: tuple[float, ...], rng: np.random.Generator) -> np.ndarray:
    """Specials at the first points (aligned across symbols) and at random places."""
    v = v.copy()
    n = len(v)
    head = min(len(specials), n)
    v[:head] = specials[:head]
    if n > 4 * len(specials):
        spots = rng.choice(np.arange(head, n), size=2 * len(specials), replace=False)
        v[spots] = np.resize(np.asarray(specials), len(spots))
    return v


def _array(base: str, n: int, shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    """``n`` arrays of ``shape`` whose kind is ``base``."""
    full = (n, *shape)
    if base == "simplex":
        alpha = np.where(rng.random(n) < 0.2, 0.1, 1.0)[:, None]
        last = shape[-1] if shape else 1
        g = rng.gamma(np.broadcast_to(alpha, (n, last)))
        g = np.maximum(g, 1e-300)
        p = g / g.sum(axis=-1, keepdims=True)
        return np.broadcast_to(p.reshape((n,) + (1,) * (len(shape) - 1) + (last,)), full).copy()
    if base in ("symmetric", "spd"):
        if len(shape) != 2 or shape[0] != shape[1]:
            raise SymmlError(f"a {base} matrix is square; the formula needs shape {shape}")
        b = _array("matrix", n, shape, rng) if base == "symmetric" else rng.normal(0, 1, full)
        if base == "symmetric":
            return (b + np.swapaxes(b, -1, -2)) / 2
        return b @ np.swapaxes(b, -1, -2) / shape[0] + 0.1 * np.eye(shape[0])
    if base in ("real", "vector", "matrix"):
        v = rng.normal(0.0, 2.0, full)
        which = rng.random(n)
        big = which < 0.05
        tiny = (which >= 0.05) & (which < 0.1)
        v[big] = rng.uniform(-1e3, 1e3, (int(big.sum()), *shape))
        v[tiny] = v[tiny] * 1e-8
        if n > 1:  # the first point at the extremes, in every entry, yet of full rank
            v[0] = 1e3 * rng.choice([-1.0, 1.0], shape) * rng.uniform(0.5, 1.0, shape)
            v[0].flat[0] = -1e3
        return v
    return np.stack([_scalar(base, int(np.prod(shape)) or 1, rng).reshape(shape) for _ in range(n)])


def sample_inputs(
    exprs: Any,
    kinds: Mapping[str, str] | None = None,
    *,
    n: int = DEFAULT_POINTS,
    seed: int = 0,
    sizes: Mapping[str, int] | None = None,
    exclude: Iterable[str] = (),
) -> Samples:
    """Draw inputs for ``exprs`` (one expression or several evaluated together).

    Args:
        exprs: SymPy expression(s); their free symbols, IndexedBase and MatrixSymbol
            atoms are sampled.
        kinds: name -> kind (the registry's ``symbols`` table); undeclared symbols fall
            back on their SymPy assumptions, then on ``real``.
        n: number of points.
        seed: seed of ``np.random.default_rng``; the same seed gives the same inputs.
        sizes: fixed values for size symbols (otherwise drawn from 3..7).
        exclude: names not to sample.

    Raises:
        SymmlError: a symbol of kind ``function`` (an unknown function cannot be sampled),
            or an array whose shape cannot be determined.
    """
    seq = list(exprs) if isinstance(exprs, (list, tuple)) else [exprs]
    seq = [sp.sympify(e) for e in seq]
    kinds = dict(kinds or {})
    # a declaration that does not parse is refused only if its symbol is sampled
    specs = {name: spec for name, k in kinds.items() if (spec := try_parse_kind(name, k))}
    skip = set(exclude)
    rng = np.random.default_rng(seed)
    bound = _bound_indices(seq)

    size_syms: set[sp.Symbol] = set()
    for e in seq:
        for s in e.atoms(sp.Sum, sp.Product):
            for _, lo, hi in s.limits:
                size_syms |= (lo.free_symbols | hi.free_symbols) - bound
        for m in e.atoms(sp.MatrixSymbol, sp.Identity):
            for d in m.shape:
                size_syms |= sp.sympify(d).free_symbols
        for f in e.atoms(sp.Function):
            if type(f).__name__ in ("logsumexp", "softmax"):
                size_syms |= f.args[-1].free_symbols
    size_values: dict[str, int] = {}

    def draw(name: str) -> int:
        if sizes and name in sizes:
            return int(sizes[name])
        count = name in _SAMPLE_COUNTS or name.endswith("_rows")
        return int(rng.integers(*(_COUNT_RANGE if count else _SIZE_RANGE)))

    for s in sorted(size_syms, key=str):
        size_values[str(s)] = draw(str(s))
    for e in seq:  # a matrix declared symmetric is square: its two sizes are one
        for M in sorted(e.atoms(sp.MatrixSymbol), key=str):
            spec = specs.get(str(M.name))
            r, c = (str(d) for d in M.shape)
            if spec is None or not spec.is_symmetric or r == c or r not in size_values:
                continue
            if c in size_values and not (sizes and c in sizes):
                size_values[c] = size_values[r]
            elif r in size_values and c in size_values and not (sizes and r in sizes):
                size_values[r] = size_values[c]
    for spec in specs.values():  # dims named in declarations (vector[n]) are sizes too
        for d in spec.dimension_names:
            if d not in size_values:
                size_values[d] = draw(d)
    subs = {sp.Symbol(k): v for k, v in size_values.items()}
    subs.update({s: size_values[str(s)] for s in size_syms})

    # array shapes from how each IndexedBase is indexed
    lengths: dict[str, list[int]] = {}
    free_index_axes: dict[str, tuple[str, int]] = {}
    for e in seq:
        for ind in sorted(e.atoms(sp.Indexed), key=sp.default_sort_key):  # seed -> same draws
            name = str(ind.base.label)
            dims = lengths.setdefault(name, [0] * len(ind.indices))
            if len(dims) != len(ind.indices):
                raise SymmlError(
                    f"{name} is indexed with {len(dims)} and {len(ind.indices)} indices"
                )
            limits = _limits_of(e, ind)
            for k, idx in enumerate(ind.indices):
                need = _needed_length(idx, limits, bound, subs)
                if need is not None:
                    dims[k] = max(dims[k], need)
                for s in idx.free_symbols - bound:
                    if str(s) not in size_values:
                        free_index_axes.setdefault(str(s), (name, k))
    for name, dims in lengths.items():
        declared = specs[name].shape or () if name in specs else ()
        for k, d in enumerate(declared[: len(dims)]):
            val = d if isinstance(d, int) else size_values.get(d)
            if val:
                dims[k] = max(dims[k], val)
        for k in range(len(dims)):
            if dims[k] == 0:
                dims[k] = int(rng.integers(*_SIZE_RANGE))

    values: dict[str, np.ndarray] = {}
    used_kinds: dict[str, str] = {}
    for name, dims in sorted(lengths.items()):
        if name in skip:
            continue
        kind = kinds.get(name, "real")
        base = _base_kind(name, kind)
        _reject_function(name, base)
        values[name] = _array(base, n, tuple(dims), rng)
        used_kinds[name] = kind
    for e in seq:
        for m in sorted(e.atoms(sp.MatrixSymbol), key=str):  # the same seed, the same draws
            name = str(m.name)
            if name in values or name in skip:
                continue
            shape = tuple(int(sp.sympify(d).xreplace(subs)) for d in m.shape)
            kind = kinds.get(name, "matrix")
            base = _base_kind(name, kind)
            _reject_function(name, base)
            if name.startswith(_COVARIANCE_NAMES) and len(shape) == 2 and shape[0] == shape[1]:
                b = rng.normal(0.0, 1.0, (n, *shape))
                values[name] = b @ np.swapaxes(b, -1, -2) / shape[0] + 0.1 * np.eye(shape[0])
            else:
                values[name] = _array(base, n, shape, rng)
            used_kinds[name] = kind
    labels = {b.label for e in seq for b in e.atoms(sp.IndexedBase)}
    scalars = {s for e in seq for s in e.free_symbols if isinstance(s, sp.Symbol)}
    scalars = scalars - bound - size_syms - labels
    for s in sorted(scalars, key=str):
        name = str(s)
        if name in values or name in skip or name in size_values:
            continue
        if name in free_index_axes:
            arr, axis = free_index_axes[name]
            values[name] = rng.integers(1, lengths[arr][axis] + 1, n)
            used_kinds[name] = "index"
            continue
        kind = _kind_of(s, kinds)
        base = _base_kind(name, kind)
        _reject_function(name, base)
        values[name] = _scalar(base, n, rng)
        used_kinds[name] = kind
    return Samples(values, size_values, used_kinds, seed, n)


def _reject_function(name: str, base: str) -> None:
    if base == "function":
        raise SymmlError(
            f"{name} is declared a function; a general function has no values to sample"
        )


def _limits_of(expr: sp.Basic, ind: sp.Indexed) -> dict[sp.Symbol, tuple]:
    """Limits of the sums enclosing ``ind`` (innermost wins)."""
    out: dict[sp.Symbol, tuple] = {}
    for s in sp.preorder_traversal(expr):
        if isinstance(s, (sp.Sum, sp.Product)) and s.function.has(ind):
            for i, lo, hi in s.limits:
                out[i] = (lo, hi)
    return out


def _needed_length(idx: sp.Basic, limits: Mapping, bound: set, subs: Mapping) -> int | None:
    used = [s for s in idx.free_symbols if s in limits]
    if not used:
        try:
            return int(sp.sympify(idx).xreplace(subs))
        except (TypeError, ValueError):
            return None
    top = idx
    for s in used:
        top = top.xreplace({s: limits[s][1]})
    try:
        return int(sp.sympify(top).xreplace(subs))
    except (TypeError, ValueError):
        return None
