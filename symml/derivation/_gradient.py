"""``derive(..., wrt="w")`` for a vector or matrix of the formula: the whole gradient.

:func:`whole_variable` says whether the name is a vector/matrix of the formula;
:func:`gradient_of_component` reads a proved component derivative (``dJ/dw_j``) as a matrix
expression shaped like the variable; :func:`gradient_of_matrix` differentiates a formula that
holds the matrix whole (``tr(AX)``, ``log det X``). Each result is checked against finite
differences of the original formula before it is returned; a refuted one raises.
"""

from __future__ import annotations

import sympy as sp
from sympy.core.function import AppliedUndef

from symml.derivation._samples import sample_bindings, vectorize
from symml.derivation._soundness import check_by_differences, refuse_if_wrong
from symml.derivation._vector import as_matrix_scalar, component_to_matrix, matrix_diff, tidy
from symml.equality import Proof
from symml.errors import DerivationError

__all__ = [
    "gradient_of_component",
    "gradient_of_matrix",
    "gradient_over_samples",
    "holds_whole",
    "symbolic_agreement",
    "whole_variable",
]


def whole_variable(matrices, wrt) -> sp.MatrixSymbol | None:
    """The MatrixSymbol named ``wrt`` (a vector or matrix of the formula), or None."""
    name = wrt.name if isinstance(wrt, sp.MatrixSymbol | sp.Symbol) else wrt
    if not isinstance(name, str):
        return None
    return next((M for M in matrices if M.name == name.strip()), None)


def holds_whole(expr: sp.Expr, M: sp.MatrixSymbol) -> bool:
    """True when ``M`` occurs whole (inside Trace, Determinant), not entry by entry."""
    return M in expr.atoms(sp.MatrixSymbol) and not any(
        str(a.base.label) == M.name for a in expr.atoms(sp.Indexed)
    )


def gradient_of_matrix(expr: sp.Expr, M: sp.MatrixSymbol, seed: int) -> tuple[sp.MatrixExpr, Proof]:
    """``d expr / d M`` by SymPy's matrix calculus, checked by finite differences."""
    if any(str(a.base.label) == M.name for a in expr.atoms(sp.Indexed)):
        raise DerivationError(f"{M} occurs both whole and entry by entry in {expr}")
    for app in expr.atoms(AppliedUndef):
        if app.has(M):
            raise DerivationError(
                f"cannot differentiate {sp.sstr(app)} with respect to {M}: symml knows no "
                f"derivative of {type(app).__name__} of a matrix (the Frobenius norm "
                "\\|A\\|_F is supported)"
            )
    G = tidy(matrix_diff(as_matrix_scalar(expr), M))
    proof = check_by_differences(expr, G, M, seed=seed)
    refuse_if_wrong(proof, f"the gradient {G} of {expr} with respect to {M}")
    if proof.ok is not True:  # SymPy's matrix calculus alone is not trusted: it says 0 wrongly
        raise DerivationError(f"the gradient {G} of {expr} could not be checked: {proof.detail}")
    return G, proof


def gradient_of_component(
    original: sp.Expr, component: sp.Expr, var: sp.Indexed, M: sp.MatrixSymbol, matrices, seed: int
) -> tuple[sp.MatrixExpr, Proof]:
    """The matrix form of ``component`` (``d original / d var``), checked by differences."""
    bindings = {m.name: m for m in matrices}
    G = tidy(component_to_matrix(component, tuple(var.indices), M, bindings))
    if G.shape != M.shape:
        raise DerivationError(f"the matrix form {G} is not shaped like {M}")
    proof = check_by_differences(original, G, M, seed=seed)
    refuse_if_wrong(proof, f"the matrix form {G}")
    return G, proof


def gradient_over_samples(
    original: sp.Expr, component: sp.Expr, var: sp.Indexed, seed: int
) -> tuple[sp.MatrixExpr, Proof]:
    """``(1/m) Sum_i (sigma(w^T x_i + b) - y_i) x_ij`` -> ``(1/m) X^T (sigma(Xw + b) - y)``.

    The samples ``x_i`` are the rows of ``X``; checked by finite differences of the sum.
    """
    bindings = sample_bindings(original)
    if var.base not in bindings:
        raise DerivationError(f"the size of {var.base} is not given by a sum of the formula")
    M = bindings[var.base]
    G = tidy(vectorize(component, tuple(var.indices), bindings))
    if G.shape != M.shape:
        raise DerivationError(f"the matrix form {G} is not shaped like {M}")
    aliases = {m.name: str(b.label) for b, m in bindings.items()}
    proof = check_by_differences(original, G, M, seed=seed, aliases=aliases)
    refuse_if_wrong(proof, f"the matrix form {G}")
    if proof.ok is not True:
        raise DerivationError(f"the matrix form {G} could not be checked: {proof.detail}")
    return G, proof


def symbolic_agreement(
    G: sp.MatrixExpr, component: sp.Expr, var: sp.Indexed, aliases=None, timeout: float = 2.0
) -> Proof | None:
    """The matrix form's entry ``(j)`` (or ``(j, k)``), written out, proved equal to the
    component symbolically: a second check at symbolic sizes, where SymPy decides it
    cheaply (None otherwise: the finite differences stand alone)."""
    from symml.derivation._entries import entries_form
    from symml.equality import Method, prove_symbolic

    idx = [i - 1 for i in var.indices]
    try:
        entry = G[idx[0], 0] if len(idx) == 1 else G[idx[0], idx[1]]
        written = entries_form(entry).expr
        if aliases:
            written = written.xreplace(
                {
                    b: sp.IndexedBase(aliases[str(b.label)])
                    for b in written.atoms(sp.IndexedBase)
                    if str(b.label) in aliases
                }
            )
        ok = prove_symbolic(written, component, timeout=timeout)
    except (ValueError, TypeError, NotImplementedError, AttributeError, IndexError):
        return None
    if not ok:
        return None
    return Proof(
        True, Method.SYMBOLIC, "its entries, written out, equal the component symbolically"
    )
