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
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction
from sympy.matrices.expressions.matexpr import MatrixElement

from symml.errors import DerivationError

__all__ = ["component_to_matrix", "matrix_diff", "tidy"]


def matrix_diff(expr: sp.Expr, M: sp.MatrixSymbol) -> sp.MatrixExpr:
    """``expr.diff(M)`` for a scalar holding ``M`` whole (Trace, Determinant), as a matrix."""
    from sympy.tensor.array.expressions import convert_array_to_matrix

    # SymPy 1.14 gives 0 for d/dX (log det X + tr(AX)): sums and constant factors first
    if isinstance(expr, sp.Add):
        parts = [matrix_diff(t, M) for t in expr.args if t.has(M)]
        return sp.MatAdd(*parts) if parts else sp.ZeroMatrix(*M.shape)
    if isinstance(expr, sp.Mul):
        coeff, rest = expr.as_independent(M, as_Add=False)
        if coeff != 1:
            return coeff * matrix_diff(rest, M)
    dets = [d for d in expr.atoms(sp.Determinant) if d.arg in (M, M.T)]
    if dets:
        return _through_determinant(expr, M, dets)
    try:
        out = convert_array_to_matrix(expr.diff(M))
    except (ValueError, TypeError, NotImplementedError, AttributeError, IndexError) as exc:
        raise DerivationError(
            f"SymPy cannot differentiate {expr} with respect to {M}: {exc}"
        ) from exc
    if not isinstance(out, sp.MatrixExpr) or out.shape != M.shape:
        raise DerivationError(
            f"SymPy's derivative of {expr} with respect to {M} is not a matrix of {M}'s shape: "
            f"{out}"
        )
    return out


def _through_determinant(expr: sp.Expr, M: sp.MatrixSymbol, dets) -> sp.MatrixExpr:
    """Jacobi's formula, the one rule SymPy 1.14 lacks: d det(X) / dX = det(X) X^{-T}.

    ``expr`` is a function of ``D = det(X)`` (and of X elsewhere): the chain rule gives
    ``(dF/dD) det(X) X^{-T}`` plus SymPy's derivative of the rest (``log det X`` ->
    ``X^{-T}``). Checked, like everything, by finite differences afterwards.
    """
    D = sp.Dummy("D", positive=True)
    det = sp.Determinant(M)
    body = expr.xreplace({d: D for d in dets})
    coeff = sp.simplify(sp.diff(body, D) * D).xreplace({D: det})
    out = coeff * M.I.T
    if body.has(M):
        out = out + matrix_diff(body, M).xreplace({D: det})
    return out


def as_matrix_scalar(expr: sp.Expr) -> sp.Expr:
    """Entry sums over ``(X^{-1})_{ik}`` (``a^T X^{-1} b`` as parsed) -> ``tr(a^T X^{-1} b)``.

    ``MatrixExpr.diff`` sees through matrices, not through sums over their elements.
    """
    from sympy.tensor.array.expressions import convert_array_to_matrix, convert_indexed_to_array

    if not expr.atoms(MatrixElement):
        return expr
    try:
        out = convert_array_to_matrix(convert_indexed_to_array(_zero_based(expr, {})))
    except (ValueError, TypeError, NotImplementedError, AttributeError, IndexError, KeyError):
        return expr
    if isinstance(out, MatrixElement) and out.parent.shape == (1, 1):
        return sp.Trace(out.parent)
    return expr


def component_to_matrix(
    component: sp.Expr, indices: tuple[sp.Symbol, ...], M: sp.MatrixSymbol, matrices: dict
) -> sp.MatrixExpr:
    """The matrix whose ``(j)`` or ``(j, k)`` entry (1-based) is ``component``.

    Raises:
        DerivationError: SymPy cannot read the component as a matrix expression.
    """

    zero = tuple(sp.Dummy(f"{i}0", integer=True) for i in indices)
    e = _zero_based(
        component.xreplace({i: z + 1 for i, z in zip(indices, zero, strict=True)}), matrices
    )
    out = None
    # scalar factors are taken out first: SymPy 1.14's convert_indexed_to_array drops a
    # factor such as 1/n (a silent wrong answer the finite-difference check caught)
    for term in sp.Add.make_args(sp.expand(e, deep=False, mul=True, power_base=False)):
        coeff, rest = term.as_independent(*matrices.values(), *zero, as_Add=False)
        # factors free of the component index but holding entries (1/sqrt(sum_i x_i^2)):
        # scalars of the matrices, written through tr(...) of a 1 x 1 product
        if not rest.is_Add:
            scalar, rest = rest.as_independent(*zero, as_Add=False)
            coeff *= _scalar_sums(scalar)
        part = coeff * _term_to_matrix(rest, zero, M, component)
        out = part if out is None else out + part
    if out is None:
        raise DerivationError(f"nothing to write in matrix form in {component}")
    return out


def _scalar_sums(f: sp.Expr) -> sp.Expr:
    """Sums over entries inside a scalar factor -> ``tr`` of the 1 x 1 matrix they are."""
    from sympy.tensor.array.expressions import convert_array_to_matrix, convert_indexed_to_array

    def one(S):
        # SymPy reads (u_i)(u_i), not (u_i)^2, as a contraction
        body = S.function.replace(
            lambda e: isinstance(e, sp.Pow) and e.exp == 2 and e.base.has(MatrixElement),
            lambda e: sp.Mul(e.base, e.base, evaluate=False),
        )
        try:
            out = convert_array_to_matrix(convert_indexed_to_array(sp.Sum(body, *S.limits)))
        except (ValueError, TypeError, NotImplementedError, AttributeError, IndexError, KeyError):
            return S
        if isinstance(out, MatrixElement) and out.parent.shape == (1, 1):
            return sp.Trace(out.parent)
        return S

    if not f.atoms(MatrixElement):
        return f
    out = f.replace(lambda e: isinstance(e, sp.Sum), one)
    if out.atoms(MatrixElement):
        raise DerivationError(f"SymPy cannot write the factor {f} in matrix terms")
    return out


def _term_to_matrix(term, zero, M, component) -> sp.MatrixExpr:
    from sympy.tensor.array.expressions import convert_array_to_matrix, convert_indexed_to_array

    if not term.has(*zero) and not term.atoms(MatrixElement):
        return term * sp.OneMatrix(*M.shape)  # the same for every entry
    try:
        out = convert_array_to_matrix(convert_indexed_to_array(term, first_indices=list(zero)))
    except (
        ValueError,
        TypeError,
        NotImplementedError,
        AttributeError,
        IndexError,
        KeyError,
    ) as exc:
        raise DerivationError(f"SymPy cannot write {component} in matrix form: {exc}") from exc
    if isinstance(out, MatrixElement):
        at, parent = (out.i, out.j), out.parent
        column = len(zero) == 1
        if (column and at == (zero[0], 0)) or (not column and at == tuple(zero)):
            return parent
        if (column and at == (0, zero[0])) or (not column and at == tuple(zero)[::-1]):
            return parent.T.doit()
    outer = _outer_product(out, zero)
    if outer is not None:
        return outer
    raise DerivationError(f"SymPy cannot write {component} in matrix form (it gave {out})")


def _plain_product(m) -> bool:
    """A product of matrices alone (no scalar): its factors can join the outer product."""
    return isinstance(m, sp.MatMul) and all(getattr(a, "is_Matrix", False) for a in m.args)


def _outer_product(out, zero) -> sp.MatrixExpr | None:
    """``ArrayTensorProduct(u, v)[j, 0, 0, k]`` (a column and a row, say) -> ``u v``.

    Entry ``(j, k)`` is ``u_j v_k`` for two vectors (rows or columns): ``u' v'^T`` with
    ``u'``, ``v'`` their column forms.
    """
    from sympy.tensor.array.expressions import ArrayElement, ArrayTensorProduct

    if not (isinstance(out, ArrayElement) and isinstance(out.name, ArrayTensorProduct)):
        return None
    args = out.name.args
    vectors = [a for a in args if getattr(a, "is_Matrix", False)]
    scalars = [a for a in args if not getattr(a, "is_Matrix", False)]
    if len(zero) != 2 or len(vectors) != 2 or any(1 not in v.shape for v in vectors):
        return None
    coeff = sp.Mul(*scalars)
    idx = list(out.indices)
    running = []
    for n, v in enumerate(vectors):
        pair = idx[2 * n : 2 * n + 2]
        column = v.shape[1] == 1
        if pair[1 if column else 0] != 0:
            return None
        running.append((pair[0] if column else pair[1], v if column else v.T))
    (a, u), (b, v) = running
    if (a, b) == tuple(zero):
        return coeff * u * v.T
    if (b, a) == tuple(zero):
        return coeff * v * u.T
    return None


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
    """As a textbook prints it: ``X^T (2Xw - 2y)`` -> ``2 X^T (Xw - y)``, shared factors out."""
    expr = expr.doit() if isinstance(expr, sp.Transpose) else expr
    if isinstance(expr, ElementwiseApplyFunction):
        return _shift_inside(expr)
    if isinstance(expr, sp.MatAdd):
        terms = [tidy(a) for a in expr.args]
        shared = _shared_factor(terms)
        return shared if shared is not None else sp.MatAdd(*terms)
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
        flat = [f for m in mats for f in (m.args if _plain_product(m) else (m,))]
        return sp.MatMul(coeff, *flat) if coeff != 1 else sp.MatMul(*flat)
    return expr


def _shift_inside(e: ElementwiseApplyFunction) -> sp.MatrixExpr:
    """``(t -> sigma(t + b)).(Xw)`` -> ``sigma.(Xw + b 1)``: the function itself, applied."""
    f = e.function
    if not isinstance(f, sp.Lambda) or len(f.variables) != 1:
        return e
    (t,) = f.variables
    body = f.expr
    if isinstance(body, sp.Function) and len(body.args) == 1 and body.args[0] != t:
        inner = body.args[0]
        shift = sp.expand(inner - t)
        if not shift.has(t):
            u = sp.Dummy("u")
            arg = e.expr + shift * sp.OneMatrix(*e.expr.shape)
            return ElementwiseApplyFunction(sp.Lambda(u, body.func(u)), arg)
    return e


def _factors(t) -> tuple[sp.Expr, list]:
    c, rest = _split(t)
    return c, list(rest.args) if isinstance(rest, sp.MatMul) else [rest]


def _shared_factor(terms) -> sp.MatrixExpr | None:
    """``2 W x x^T - 2 t x^T`` -> ``2 (W x - t) x^T``: a factor every term ends (or starts) with."""
    parts = [_factors(t) for t in terms]
    if len(parts) < 2 or any(len(f) < 2 for _, f in parts):
        return None
    for side in (-1, 0):
        first = parts[0][1][side]
        if all(f[side] == first for _, f in parts):
            rest = [
                sp.MatMul(c, *(f[:-1] if side == -1 else f[1:]))
                if c != 1
                else (sp.MatMul(*(f[:-1] if side == -1 else f[1:])))
                for c, f in parts
            ]
            inner = tidy(sp.MatAdd(*rest))
            return tidy(sp.MatMul(inner, first) if side == -1 else sp.MatMul(first, inner))
    return None


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
    names: dict[str, str] = {}

    def named(e):
        f = e.function
        body = f.expr if isinstance(f, sp.Lambda) else None
        if isinstance(body, sp.Function) and body.args == f.variables:
            key = "ZZELEMENTWISE" + "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[len(names) % 26]
            marker = sp.Symbol("QQARG")
            names[key] = sp.latex(body.func(marker)).replace(sp.latex(marker), matrix_latex(e.expr))
            return sp.MatrixSymbol(key, *e.shape)
        return e

    shown = expr.replace(lambda e: isinstance(e, ElementwiseApplyFunction), named)
    norms: dict[str, str] = {}

    def squared_norm(e):
        v = e.arg.args[1]
        key = "ZZNORM" + "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[len(norms) % 26]
        norms[key] = rf"\left\|{matrix_latex(v)}\right\|"
        return sp.Symbol(key, positive=True) ** 2

    shown = shown.replace(
        lambda e: (
            isinstance(e, sp.Trace)
            and isinstance(e.arg, sp.MatMul)
            and len(e.arg.args) == 2
            and e.arg.args[1].shape[1] == 1
            and e.arg.args[0] == e.arg.args[1].T
        ),
        squared_norm,
    )
    names.update(norms)
    shown = shown.replace(
        lambda e: isinstance(e, sp.OneMatrix) and e.shape[1] == 1,
        lambda e: sp.MatrixSymbol("ZZONES", *e.shape),
    )
    sums: dict[str, str] = {}

    def bracketed(e):  # a sum inside a product prints in the same order: X^T (XB - C)
        key = "ZZSUM" + "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[len(sums) % 26]
        sums[key] = rf"\left({_sorted_sum(e)}\right)"
        return sp.MatrixSymbol(key, *e.shape)

    if isinstance(shown, sp.MatMul):
        shown = sp.MatMul(*[bracketed(a) if isinstance(a, sp.MatAdd) else a for a in shown.args])
    elif isinstance(shown, sp.MatAdd):
        shown = sp.MatAdd(
            *[
                sp.MatMul(*[bracketed(f) if isinstance(f, sp.MatAdd) else f for f in t.args])
                if isinstance(t, sp.MatMul)
                else t
                for t in shown.args
            ]
        )
    names.update(sums)
    if isinstance(shown, sp.MatAdd):  # the data term first: 2 X^T (Xw - y) + 2 lambda w
        terms = sorted(
            shown.args,
            key=lambda t: (-len(t.atoms(sp.MatrixSymbol)), sp.latex(t).startswith("-"), str(t)),
        )
        text = sp.latex(terms[0])
        for t in terms[1:]:
            piece = sp.latex(t)
            text += f" - {piece[1:].lstrip()}" if piece.startswith("-") else f" + {piece}"
    else:
        text = sp.latex(shown)
    text = text.replace("ZZONES", r"\mathbf{1}")
    for _ in range(4):  # placeholders inside placeholders' text: replace until none is left
        for k, v in names.items():
            text = text.replace(k, v)
    return text


def _sorted_sum(e: sp.MatAdd) -> str:
    """``-C + XB`` as ``XB - C``: positive terms first, then by the matrices they hold."""
    terms = sorted(
        e.args, key=lambda t: (sp.latex(t).startswith("-"), -len(t.atoms(sp.MatrixSymbol)), str(t))
    )
    text = sp.latex(terms[0])
    for t in terms[1:]:
        piece = sp.latex(t)
        text += f" - {piece[1:].lstrip()}" if piece.startswith("-") else f" + {piece}"
    return text
