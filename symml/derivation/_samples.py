"""Gradients over samples read in matrix form: ``c Sum_i g_i x_ij`` -> ``c X^T G``.

:func:`vectorize` reads a component gradient (or Hessian) of a cost summed over samples as a
matrix expression; the inner sums ``Sum_k w_k x_ik`` become ``(Xw)_i`` and element-wise
functions ``ElementwiseApplyFunction``. :func:`sample_bindings` names the matrices: the
samples ``x_i`` stacked as ``X`` (m x n), labels ``y`` (m), weights ``w`` (n).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import sympy as sp

from symml.derivation._textbook import prettify
from symml.errors import DerivationError

__all__ = ["sample_bindings", "vectorize"]


def sample_bindings(expr: sp.Expr) -> dict[sp.IndexedBase, sp.MatrixSymbol]:
    """Indexed bases -> MatrixSymbols sized by the sums they are summed over.

    ``x[i, k]`` under ``Sum(..., (i, 1, m))`` and ``Sum(..., (k, 1, n))`` is ``X`` (m x n);
    ``y[i]`` is ``y`` (m x 1). A base whose range no sum gives is left out.
    """
    ranges: dict[tuple[sp.IndexedBase, int], sp.Expr] = {}
    for s in expr.atoms(sp.Sum):
        for k, lo, hi in s.limits:
            if lo != 1:
                continue
            for a in s.function.atoms(sp.Indexed):
                for pos, idx in enumerate(a.indices):
                    if idx == k:
                        ranges.setdefault((a.base, pos), hi)
    out = {}
    bases = {a.base: len(a.indices) for a in expr.atoms(sp.Indexed)}
    for b, rank in bases.items():
        shape = [ranges[(b, pos)] for pos in range(rank) if (b, pos) in ranges]
        if len(shape) != rank:
            continue
        name = str(b.label)
        if rank == 2:
            out[b] = sp.MatrixSymbol(name.upper() if name.islower() else name, *shape)
        else:
            out[b] = sp.MatrixSymbol(name, shape[0], 1)
    return out


def vectorize(
    component: sp.Expr,
    indices: Sequence[sp.Symbol],
    bindings: Mapping[sp.IndexedBase, sp.MatrixSymbol],
) -> sp.MatrixExpr:
    """The matrix form of a gradient (one index) or Hessian (two indices) component.

    Args:
        component: e.g. ``(1/m) Sum_i (sigmoid(Sum_k w_k x_ik) - y_i) x_ij``.
        indices: the free component indices (``(j,)`` or ``(j, k)``).
        bindings: indexed bases -> matrices: ``{x: X (m x n), w: w (n x 1), y: y (m x 1)}``.

    Raises:
        DerivationError: the component does not have a shape this function reads.
    """
    by_name = {str(b): M for b, M in bindings.items()}
    terms = sp.Add.make_args(sp.expand(component, deep=False, mul=True, power_base=False))
    out = None
    for term in terms:
        part = _vectorize_term(term, tuple(indices), bindings, by_name)
        out = part if out is None else out + part
    if out is None:
        raise DerivationError("nothing to vectorize")
    return out


def _vectorize_term(term, indices, bindings, by_name) -> sp.MatrixExpr:
    coeff, factors = term.as_coeff_mul()
    sums = [f for f in factors if isinstance(f, sp.Sum)]
    rest = sp.Mul(coeff, *[f for f in factors if not isinstance(f, sp.Sum)])
    if len(sums) == 1 and len(sums[0].limits) == 1:
        total = sums[0]
        (i, _, _) = total.limits[0]
        body = total.function
        design = _design_entries(body, i, indices, by_name)
        if design is not None:
            X, g = design
            G = _column(g, i, bindings, by_name, X)
            if len(indices) == 1:
                return rest * X.T * G
            if _is_ones(G):
                return rest * X.T * X
            return rest * X.T * sp.DiagMatrix(G) * X
    if not sums:
        # an elementwise term of the component itself (penalties: lambda*sign(w_j))
        return _column(term, indices[0], bindings, by_name, None)
    raise DerivationError(f"cannot read {term} as a matrix expression")


def _design_entries(body, i, indices, by_name):
    """``(X, g)`` when ``body = g * x[i, j] (* x[i, k])`` with ``g`` free of j (and k)."""
    factors = list(sp.Mul.make_args(body))
    found = []
    for idx in indices:
        entry = next(
            (
                f
                for f in factors
                if isinstance(f, sp.Indexed) and f.indices == (i, idx) and str(f.base) in by_name
            ),
            None,
        )
        if entry is None:
            return None
        factors.remove(entry)
        found.append(entry)
    g = sp.Mul(*factors)
    if any(g.has(idx) for idx in indices):
        return None
    return by_name[str(found[0].base)], g


def _is_ones(G) -> bool:
    return isinstance(G, sp.OneMatrix)


def _column(g, i, bindings, by_name, X) -> sp.MatrixExpr:
    """``g_i`` (a function of row ``i``) as a column MatrixExpr."""
    rows = _rows_of(i, bindings, by_name, X)
    # inner products Sum_k w_k x_ik -> (X w)_i
    products = {}
    for s in g.atoms(sp.Sum):
        (k, _, _) = s.limits[0]
        pair = [f for f in sp.Mul.make_args(s.function) if isinstance(f, sp.Indexed)]
        if len(s.limits) == 1 and len(pair) == 2:
            vec = next((f for f in pair if f.indices == (k,)), None)
            mat = next((f for f in pair if f.indices == (i, k)), None)
            if vec is not None and mat is not None and sp.Mul(*pair) == s.function:
                products[s] = by_name[str(mat.base)] * by_name[str(vec.base)]
    placeholders: dict[sp.Basic, sp.MatrixExpr] = {}
    local = g
    for s, M in products.items():
        d = sp.Dummy("t", real=True)
        local = local.xreplace({s: d})
        placeholders[d] = M
    for e in sorted(local.atoms(sp.Indexed), key=sp.default_sort_key):
        if e.indices == (i,) and str(e.base) in by_name:
            d = sp.Dummy(str(e.base), real=True)
            local = local.xreplace({e: d})
            placeholders[d] = by_name[str(e.base)]
    if local.has(i):
        raise DerivationError(f"cannot read {g} as a column over {i}")
    ones = sp.OneMatrix(rows, 1)
    # terms nonlinear in one placeholder only are one elementwise function of it
    groups: dict[Any, list] = {}
    for term in sp.Add.make_args(sp.expand(local)):
        used = [d for d in placeholders if term.has(d)]
        linear = len(used) == 1 and not sp.simplify(term / used[0]).has(used[0])
        key = used[0] if len(used) == 1 and not linear else term
        groups.setdefault(key, []).append(term)
    out = None
    for terms in groups.values():
        part = _column_term(sp.factor(sp.Add(*terms)), placeholders, ones)
        out = part if out is None else out + part
    return out if out is not None else sp.ZeroMatrix(rows, 1)


def _rows_of(i, bindings, by_name, X):
    if X is not None:
        return X.shape[0]
    vectors = [M for M in by_name.values() if M.shape[1] == 1]
    return vectors[0].shape[0] if vectors else sp.Symbol("n", integer=True, positive=True)


def _column_term(term, placeholders, ones) -> sp.MatrixExpr:
    used = [d for d in placeholders if term.has(d)]
    if not used:
        return term * ones
    if len(used) == 1:
        d = used[0]
        coeff = sp.simplify(term / d)
        if not coeff.has(d):
            return coeff * placeholders[d]
        return placeholders[d].applyfunc(sp.Lambda(d, prettify(term)))
    # products like y_i * f(t_i): a Hadamard product of a linear factor and the rest
    for d in used:
        coeff, rest = term.as_independent(d, as_Add=False)
        if rest == d:
            inner = _column_term(coeff, {k: v for k, v in placeholders.items() if k != d}, ones)
            return sp.HadamardProduct(placeholders[d], inner)
    raise DerivationError(f"cannot read {term} as an elementwise column")
