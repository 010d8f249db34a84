"""The textbook shapes behind symml's functions, matched structurally.

``1 + e^u`` is inside the sigmoid and softplus, ``sum_j e^{z_j}`` inside logsumexp and
softmax. Recognising a textbook form (``symml.derivation``) and rewriting an expression into
its stable form (``symml.numeric``) both start from these two matchers.

Examples:
    >>> import sympy as sp
    >>> x = sp.Symbol("x")
    >>> one_plus_exp(1 + sp.exp(-x))
    -x
"""

from __future__ import annotations

import sympy as sp

__all__ = ["one_plus_exp", "sum_of_exp"]


def one_plus_exp(expr: sp.Basic) -> sp.Expr | None:
    """``u`` if ``expr`` is ``1 + exp(u)``, else None.

    Examples:
        >>> import sympy as sp
        >>> x = sp.Symbol("x")
        >>> one_plus_exp(sp.exp(2 * x) + 1), one_plus_exp(2 + sp.exp(x))
        (2*x, None)
    """
    if isinstance(expr, sp.Add) and len(expr.args) == 2 and sp.S.One in expr.args:
        other = expr.args[0] if expr.args[1] == 1 else expr.args[1]
        if isinstance(other, sp.exp):
            return other.args[0]
    return None


def sum_of_exp(expr: sp.Basic) -> tuple[sp.IndexedBase, sp.Symbol, sp.Expr] | None:
    """``(z, j, K)`` if ``expr`` is ``Sum(exp(z[j]), (j, 1, K))``, else None.

    Examples:
        >>> import sympy as sp
        >>> z, j, K = sp.IndexedBase("z"), sp.Symbol("j", integer=True), sp.Symbol("K")
        >>> sum_of_exp(sp.Sum(sp.exp(z[j]), (j, 1, K)))
        (z, j, K)
        >>> sum_of_exp(sp.Sum(sp.exp(z[j]), (j, 0, K))) is None
        True
    """
    if isinstance(expr, sp.Sum) and len(expr.limits) == 1:
        j, lo, hi = expr.limits[0]
        body = expr.function
        if (
            lo == 1
            and isinstance(body, sp.exp)
            and isinstance(body.args[0], sp.Indexed)
            and body.args[0].indices == (j,)
        ):
            return body.args[0].base, j, hi
    return None
