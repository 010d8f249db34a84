"""Gradients in vector and matrix notation: ``d/dw ||Xw - y||^2 = 2 X^T (Xw - y)``.

Two routes, both SymPy's own matrix calculus:

* a formula that still holds the matrix (``tr(AX)``, ``log det X``) is differentiated with
  ``MatrixExpr.diff`` and the array result brought back to a matrix
  (``convert_array_to_matrix``);
* a formula read entry by entry (norms and quadratic forms arrive as sums over entries) is
  differentiated by component (``w_j``), and the component is read back as a matrix
  expression by SymPy's ``convert_indexed_to_array`` / ``convert_array_to_matrix``.

Either way the result is then checked against finite differences of the original formula
(:mod:`symml.derivation._soundness`); :func:`tidy` prints it as a textbook does: the common
factor in front, ``X^T (Xw - y)`` rather than ``X^T X w - X^T y``.
"""

from __future__ import annotations

from functools import reduce

import sympy as sp
from sympy.matrices.expressions.matexpr import MatrixElement

from symml.errors import DerivationError

__all__ = ["component_to_matrix", "matrix_diff", "tidy"]


def matrix_diff(expr: sp.Expr, M: sp.MatrixSymbol) -> sp.MatrixExpr:
    """``expr.diff(M)`` for a scalar holding ``M`` whole (Trace, Determinant), as a matrix."""
    from sympy.tensor.array.expressions import convert_array_to_matrix

    try:
        out = convert_array_to_matrix(expr.diff(M))
    except (ValueError, TypeError, NotImplementedError, AttributeError, IndexError) as exc:
        raise DerivationError(f"SymPy cannot differentiate {expr} with respect to {M}: {exc}") from exc
    if not isinstance(out, sp.MatrixExpr) or out.shape != M.shape:
        raise DerivationError(
            f"SymPy's derivative of {expr} with respect to {M} is not a matrix of {M}'s shape: {out}"
        )
    return out


def component_to_matrix(
    component: sp.Expr, indices: tuple[sp.Symbol, ...], M: sp.MatrixSymbol, matrices: dict
) -> sp.MatrixExpr:
    """The matrix whose ``(j)`` or ``(j, k)`` entry (1-based) is ``component``.

    Raises:
        DerivationError: SymPy cannot read the component as a matrix expression.
    """
    from sympy.tensor.array.expressions import convert_array_to_matrix, convert_indexed_to_array

    zero = tuple(sp.Dummy(f"{i}0", integer=True) for i in indices)
    e = _zero_based(
        component.xreplace({i: z + 1 for i, z in zip(indices, zero, strict=True)}), matrices
    )
    out = None
    # scalar factors are taken out first: SymPy 1.14's convert_indexed_to_array drops a
    # factor such as 1/n (a silent wrong answer the finite-difference check caught)
    for term in sp.Add.make_args(sp.expand(e, deep=False, mul=True, power_base=False)):
        coeff, rest = term.as_independent(*matrices.values(), *zero, as_Add=False)
        part = coeff * _term_to_matrix(rest, zero, M, component)
        out = part if out is None else out + part
    if out is None:
        raise DerivationError(f"nothing to write in matrix form in {component}")
    return out


def _term_to_matrix(term, zero, M, component) -> sp.MatrixExpr:
    from sympy.tensor.array.expressions import convert_array_to_matrix, convert_indexed_to_array

    if not term.has(*zero) and not term.atoms(MatrixElement):
        return term * sp.OneMatrix(*M.shape)  # the same for every entry
    try:
        out = convert_array_to_matrix(convert_indexed_to_array(term, first_indices=list(zero)))
    except (ValueError, TypeError, NotImplementedError, AttributeError, IndexError, KeyError) as exc:
        raise DerivationError(f"SymPy cannot write {component} in matrix form: {exc}") from exc
    if isinstance(out, MatrixElement):
        at, parent = (out.i, out.j), out.parent
        column = len(zero) == 1
        if (column and at == (zero[0], 0)) or (not column and at == tuple(zero)):
            return parent
        if (column and at == (0, zero[0])) or (not column and at == tuple(zero)[::-1]):
            return parent.T.doit()
    raise DerivationError(f"SymPy cannot write {component} in matrix form (it gave {out})")


def _zero_based(expr: sp.Expr, matrices: dict) -> sp.Expr:
    """1-based sums over Indexed entries -> 0-based sums over MatrixElements."""

    def shift(s: sp.Sum) -> sp.Sum:
        body, limits = s.function, []
        for k, lo, hi in s.limits:
            if lo != 1:
                raise DerivationError(f"a sum from {lo} is not a sum over entries: {s}")
            body = body.xreplace({k: k + 1})
            limits.append((k, 0, hi - 1))
        return sp.Sum(body, *limits)

    expr = expr.replace(lambda e: isinstance(e, sp.Sum), shift)
    subs = {}
    for a in expr.atoms(sp.Indexed):
        name = str(a.base.label)
        if name not in matrices:
            raise DerivationError(f"{a} is not an entry of a vector or matrix of the formula")
        M = matrices[name]
        idx = [i - 1 for i in a.indices]
        subs[a] = M[idx[0], 0] if len(idx) == 1 else M[idx[0], idx[1]]
    return expr.xreplace(subs)


# --- the textbook form -------------------------------------------------------------------


def tidy(expr: sp.MatrixExpr) -> sp.MatrixExpr:
    """Common factors in front: ``X^T (2Xw - 2y) + 2 lambda w`` -> ``2 (X^T (Xw - y) + lambda w)``."""
    expr = expr.doit() if isinstance(expr, sp.Transpose) else expr
    if isinstance(expr, sp.MatAdd):
        return sp.MatAdd(*[tidy(a) for a in expr.args])
    if isinstance(expr, sp.MatMul):
        coeff = sp.S.One
        mats = []
        for a in expr.args:
            if not getattr(a, "is_Matrix", False):
                coeff *= a
                continue
            t = tidy(a)
            if isinstance(t, sp.MatAdd):  # X^T (2Xw - 2y) -> 2 X^T (Xw - y)
                common = _common(t.args)
                if common != 1:
                    t = sp.MatMul(common, sp.MatAdd(*[_divide(u, common) for u in t.args]))
            c, rest = _split(t)
            coeff *= c
            mats.append(rest)
        return sp.MatMul(coeff, *mats) if coeff != 1 else sp.MatMul(*mats)
    return expr


def _split(t) -> tuple[sp.Expr, sp.MatrixExpr]:
    if isinstance(t, sp.MatMul):
        scal = [a for a in t.args if not getattr(a, "is_Matrix", False)]
        mats = [a for a in t.args if getattr(a, "is_Matrix", False)]
        if scal:
            return sp.Mul(*scal), (mats[0] if len(mats) == 1 else sp.MatMul(*mats))
    return sp.S.One, t


def _common(terms) -> sp.Expr:
    coeffs = [_split(t)[0] for t in terms]
    nums = [c.as_coeff_Mul()[0] for c in coeffs]
    num = reduce(sp.gcd, nums) if all(n.is_Rational for n in nums) else sp.S.One
    if any(n.is_negative for n in nums) and all(n.is_negative for n in nums):
        num = -num
    factor_sets = [set(sp.Mul.make_args(c.as_coeff_Mul()[1])) for c in coeffs]
    shared = set.intersection(*factor_sets) - {sp.S.One} if factor_sets else set()
    return num * sp.Mul(*shared)


def _divide(t, common) -> sp.MatrixExpr:
    c, rest = _split(t)
    c = sp.simplify(c / common)
    return rest if c == 1 else sp.MatMul(c, rest)


def matrix_latex(expr: sp.MatrixExpr) -> str:
    """LaTeX of a matrix form, element-wise functions written ``\\sigma(Xw)``."""
    from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction

    names = {}

    def named(e):
        f = e.function
        body = f.expr if isinstance(f, sp.Lambda) else None
        if body is not None and isinstance(body, sp.Function) and body.args == f.variables:
            g = sp.Function(body.func.__name__ if hasattr(body.func, "__name__") else str(body.func))
            name = sp.Symbol(f"ELEMENTWISE{len(names)}")
            names[str(name)] = rf"{sp.latex(body.func(sp.Symbol('QQARG')))}".replace(
                "QQARG", sp.latex(e.expr)
            )
            del g
            return sp.MatrixSymbol(str(name), *e.shape)
        return e

    shown = expr.replace(lambda e: isinstance(e, ElementwiseApplyFunction), named)
    text = sp.latex(shown)
    for k, v in names.items():
        text = text.replace(k, v)
    return text
