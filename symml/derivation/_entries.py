"""Matrix formulas read entry by entry, the way a textbook writes them.

The parser gives ``\\|X\\mathbf{w} - \\mathbf{y}\\|^2`` as SymPy's element expansion of
``(Xw - y)^T (Xw - y)``: 0-based sums over ``MatrixElement``s, over sizes it made up
(``dim_y_rows``). :func:`entries_form` rewrites that into 1-based sums over ``Indexed``
entries with the sizes named as ML writes them (``X`` is ``m x n``), so that a component
derivative reads ``2 \\sum_{i=1}^{m} X_{ij} (\\sum_{k=1}^{n} X_{ik} w_k - y_i)``; the
``MatrixSymbol``s with the renamed sizes are kept for the matrix form.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sympy as sp
from sympy.core.function import AppliedUndef
from sympy.matrices.expressions.matexpr import MatrixElement

from symml.derivation._soundness import same_at_one_size
from symml.errors import DerivationError

__all__ = ["Entries", "UntiedSize", "entries_form", "tie_sizes"]

_AUTO = "dim_"
_SIZE_NAMES = ("m", "n", "d", "p", "q", "r", "s")
_INDEX_NAMES = ("i", "k", "l", "p", "q", "r", "s", "t", "u", "v")


@dataclass(frozen=True)
class Entries:
    """``expr`` with 1-based indexed entries, and the matrices it was written with."""

    expr: sp.Expr
    matrices: dict[str, sp.MatrixSymbol] = field(default_factory=dict)


def entries_form(expr: sp.Expr) -> Entries:
    """Rewrite matrix elements as 1-based ``Indexed`` entries; name the made-up sizes.

    The rewrite is checked: with every size 3, it and ``expr`` agree at seeded values.
    """
    original = expr
    expr = _separate_sizes(expr)
    if not expr.atoms(sp.MatrixSymbol):
        return Entries(expr)
    expr = _square(_frobenius(_ones(expr)))
    symbols = expr.atoms(sp.MatrixSymbol)
    sizes = _size_names(expr, symbols)
    expr = expr.xreplace(sizes)
    mats = {M.name: M for M in expr.atoms(sp.MatrixSymbol)}
    if not expr.atoms(MatrixElement):
        return Entries(expr, mats)  # tr(AX), log det X: nothing to read entry by entry
    taken = {s.name for s in expr.free_symbols}
    pool = [n for n in _INDEX_NAMES if n not in taken and n != "j"]
    pool += [f"i{n}" for n in range(1, 20)]
    # the written indices become dummies first: renaming the dot product's k to i, in
    # sum_i w^T x_i, ran it together with the i still bound by the sum over samples
    expr = _canonical_sums(_fresh_indices(expr), pool, 0)
    subs = {}
    for e in expr.atoms(MatrixElement):
        if not isinstance(e.parent, sp.MatrixSymbol):
            return Entries(expr, mats)
        base = sp.IndexedBase(e.parent.name)
        subs[e] = base[e.i + 1] if e.parent.shape[1] == 1 else base[e.i + 1, e.j + 1]
    rewritten = expr.xreplace(subs)
    if same_at_one_size(original, rewritten) is False:
        # the rewrite is ours; a slip in it must not become a derivative printed as checked
        raise DerivationError(
            f"internal error: the entry form {rewritten} of {original} does not equal it; "
            "not differentiated"
        )
    return Entries(rewritten, mats)


def _separate_sizes(expr: sp.Expr) -> sp.Expr:
    """Two different sizes that print alike get different names.

    In ``\\sum_{i=1}^{n} \\mathbf{w}^T \\mathbf{x}_i`` the parser gives the vectors a
    length ``n`` of its own (a positive integer symbol), distinct from the sample count
    ``n`` the formula wrote: printed alike, they would read as one size. The vectors'
    length becomes ``d``.
    """
    limits = {
        s for S in expr.atoms(sp.Sum) for _, lo, hi in S.limits for s in _free(lo) | _free(hi)
    }
    by_name: dict[str, set] = {}
    for s in expr.free_symbols:
        if isinstance(s, sp.Symbol):
            by_name.setdefault(s.name, set()).add(s)
    taken = set(by_name)
    out = {}
    for same in by_name.values():
        made = [s for s in same if s in limits and s.is_integer and s.is_positive]
        if len(same) > 1 and len(made) == 1:
            name = next((n for n in ("d", "p", "q", "r", "s") if n not in taken), None)
            if name is not None:
                taken.add(name)
                out[made[0]] = sp.Symbol(name, integer=True, positive=True)
    return expr.xreplace(out) if out else expr


def _ones(expr: sp.Expr) -> sp.Expr:
    """``\\mathbf{1}`` (a MatrixSymbol named 1) is the ones vector."""
    ones = [M for M in expr.atoms(sp.MatrixSymbol) if M.name == "1"]
    if not ones:
        return expr
    expr = expr.replace(
        lambda e: isinstance(e, MatrixElement) and e.parent in ones, lambda e: sp.S.One
    )
    return expr.xreplace({M: sp.OneMatrix(*M.shape) for M in ones})


def _frobenius(expr: sp.Expr) -> sp.Expr:
    """``Norm(A, F)`` -> ``sqrt(tr(A^T A))``: the Frobenius norm, in SymPy's matrix terms."""

    def frob(e):
        if (
            isinstance(e, AppliedUndef)
            and type(e).__name__ == "Norm"
            and len(e.args) == 2
            and isinstance(e.args[0], sp.MatrixExpr)
            and str(e.args[1]) == "F"
        ):
            A = e.args[0]
            return sp.sqrt(sp.Trace(A.T * A))
        return e

    return expr.replace(lambda e: isinstance(e, AppliedUndef), frob)


def _square(expr: sp.Expr) -> sp.Expr:
    """tr(M), det(M), M^{-1} need a square M: identify the sizes the parser made up."""
    for _ in range(6):
        args = [a.arg for a in expr.atoms(sp.Trace, sp.Determinant, sp.Inverse)]
        args += [a.base for a in expr.atoms(sp.MatPow)]
        bad = [a for a in args if a.shape[0] != a.shape[1]]
        pair = next(
            (
                (c, r)
                for r, c in (a.shape for a in bad)
                if isinstance(c, sp.Symbol) and str(c).startswith(_AUTO)
            ),
            None,
        ) or next(
            (
                (r, c)
                for r, c in (a.shape for a in bad)
                if isinstance(r, sp.Symbol) and str(r).startswith(_AUTO)
            ),
            None,
        )
        if pair is None:
            return expr
        expr = expr.xreplace({pair[0]: pair[1]})
    return expr


def _fresh_indices(e):
    """Every summation index a Dummy of its own (an inner limit may use an outer index)."""
    if not e.args:
        return e
    if isinstance(e, sp.Sum):
        body, limits = e.function, []
        for k, lo, hi in e.limits:
            d = sp.Dummy(str(k), integer=True)
            body = body.xreplace({k: d})
            limits = [(v, a.xreplace({k: d}), b.xreplace({k: d})) for v, a, b in limits]
            limits.append((d, lo, hi))
        return sp.Sum(_fresh_indices(body), *limits)
    return e.func(*[_fresh_indices(a) for a in e.args])


def _canonical_sums(e, pool, depth):
    """1-based sums whose indices are named by depth: equal inner sums become equal."""
    if not e.args:
        return e
    if isinstance(e, sp.Sum):
        body, limits = e.function, []
        for n, (k, lo, hi) in enumerate(e.limits):
            new = sp.Symbol(pool[min(depth + n, len(pool) - 1)], integer=True)
            to = new - 1 if lo == 0 else new
            body = body.xreplace({k: to})
            limits = [(v, a.xreplace({k: to}), b.xreplace({k: to})) for v, a, b in limits]
            limits.append((new, sp.Integer(1), hi + 1) if lo == 0 else (new, lo, hi))
        return sp.Sum(_canonical_sums(body, pool, depth + len(limits)), *limits)
    return e.func(*[_canonical_sums(a, pool, depth) for a in e.args])


def _size_names(expr: sp.Expr, symbols) -> dict[sp.Symbol, sp.Symbol]:
    """``dim_y_rows`` -> ``m``, ``dim_w_rows`` -> ``n``: rows of the data matrix are samples."""
    taken = {s.name for s in expr.free_symbols if not s.name.startswith(_AUTO)}
    order: list[sp.Symbol] = []
    # a wide matrix first (rows, then columns), then every other size in order of the names
    for M in sorted(symbols, key=lambda M: (M.shape[1] == 1, M.name)):
        for d in M.shape:
            if isinstance(d, sp.Symbol) and d.name.startswith(_AUTO) and d not in order:
                order.append(d)
    names = [n for n in _SIZE_NAMES if n not in taken]
    out = {}
    for d in order:
        if not names:
            break
        out[d] = sp.Symbol(names.pop(0), integer=True, positive=True)
    if len(order) == 1 and "n" not in taken:  # a lone vector: n entries
        out[order[0]] = sp.Symbol("n", integer=True, positive=True)
    return out


#: Scalars that, next to a matrix, count its rows (samples) or its columns (features).
_ROW_COUNTS = ("m", "N", "M", "n_samples")
_COLUMN_COUNTS = ("d", "p", "D", "n_features")


class UntiedSize(DerivationError):
    """A scalar named like a size (m, n, d) whose dimension the formula does not determine."""


def tie_sizes(expr: sp.Expr, keep: tuple[str, ...] = ()) -> sp.Expr:
    """``expr`` with its sizes named as :func:`entries_form` names them, and a scalar that
    counts a dimension tied to it: in ``\\frac{1}{m}\\|X\\mathbf{w} - \\mathbf{y}\\|^2`` the
    ``m`` is the number of rows of ``X`` (one symbol, the size), not a number of its own.

    The matrix elements stay as they are (0-based), so the formula evaluates as before; a
    derivative of the result (:func:`~symml.derivation.derive`) is over the same sizes.
    Names in ``keep`` (the variable differentiated by) stay numbers of their own.

    Raises:
        UntiedSize: a scalar named like a size (m, n, N, d, p) next to matrices whose
            dimension it would be cannot be tied to one dimension.
    """
    expr = _separate_sizes(expr)
    if not expr.atoms(sp.MatrixSymbol):
        return expr
    expr = _square(_frobenius(_ones(expr)))
    mats = expr.atoms(sp.MatrixSymbol)
    auto = sorted(
        {d for M in mats for d in M.shape if isinstance(d, sp.Symbol) and d.name.startswith(_AUTO)},
        key=str,
    )
    sized = {d for M in mats for d in M.shape if isinstance(d, sp.Symbol)}
    scalars = {
        s.name: s
        for s in expr.free_symbols
        if type(s) is sp.Symbol and s not in sized and not s.name.startswith(_AUTO)
    }
    counts = [n for n in (*_ROW_COUNTS, "n", *_COLUMN_COUNTS) if n in scalars and n not in keep]
    if not counts or not auto:
        return expr.xreplace(_size_names(expr, mats))
    ties = _ties(counts, mats, auto)
    if ties is None:
        raise UntiedSize(
            f"{', '.join(counts)} look{'s' if len(counts) == 1 else ''} like the size of a "
            "matrix or vector in the formula, but which dimension "
            f"{'it counts' if len(counts) == 1 else 'they count'} is not clear; "
            "write the formula with sums over that size, or pass sizes"
        )
    subs = {}
    for name, dim in ties.items():
        size = sp.Symbol(name, integer=True, positive=True)
        subs[scalars[name]] = size
        subs[dim] = size
    expr = expr.xreplace(subs)
    return expr.xreplace(_size_names(expr, expr.atoms(sp.MatrixSymbol)))


def _ties(counts: list[str], mats, auto: list[sp.Symbol]) -> dict[str, sp.Symbol] | None:
    """Which dimension each size-like scalar counts; None where that is not determined."""
    wide = [M for M in mats if M.shape[0] != 1 and M.shape[1] != 1 and M.name != "1"]
    rows = {M.shape[0] for M in wide}
    cols = {M.shape[1] for M in wide}
    if not wide:  # vectors only: a single length is what the one scalar counts
        if len(auto) == 1 and len(counts) == 1:
            return {counts[0]: auto[0]}
        return None
    if len(rows) != 1 or len(cols) != 1:
        return None
    (r,), (c,) = rows, cols
    row_names = [n for n in counts if n in _ROW_COUNTS]
    col_names = [n for n in counts if n in _COLUMN_COUNTS]
    if "n" in counts:  # n counts samples, unless m does (X is m x n)
        (col_names if row_names else row_names).append("n")
    if len(row_names) > 1 or len(col_names) > 1 or r == c:
        return None
    out = {}
    for names, dim in ((row_names, r), (col_names, c)):
        if names:
            if not (isinstance(dim, sp.Symbol) and dim.name.startswith(_AUTO)):
                return None
            out[names[0]] = dim
    return out


def _free(limit: object) -> set:
    """The free symbols of a sum limit (a plain int has none)."""
    return limit.free_symbols if isinstance(limit, sp.Basic) else set()
