"""A gradient claimed in matrix form below the function it differentiates:
``J(w) = \\frac{1}{2m}\\|Xw - y\\|^2`` and then ``\\nabla_w J(w) = \\frac{1}{m} X^T (Xw - y)``.

The definition was read with every name a scalar; the claim's right side shows which names
are matrices (``X``) and vectors (``w``, ``y``). The definition is parsed again with those
kinds, :func:`symml.derivation.derive` finds the gradient's matrix form (checked there by
finite differences of the definition), and the claim is compared with it at sampled data
(:func:`symml.verification.equiv`). Every matrix is square and every vector as long: the
only sizes at which a transposed ``X (Xw - y)`` is defined at all, and at which it still
differs from ``X^T (Xw - y)`` for almost every ``X``.
"""

from __future__ import annotations

from typing import Any

from symml.documents._context import Context
from symml.documents._model import Status

__all__ = ["gradient_claim"]

#: Names for the common size, the first one the formulas do not use.
_SIZE_NAMES = ("n", "d", "p", "q", "r", "k")


def gradient_claim(sides: list, texts: list[str], ctx: Context) -> tuple[Status, str] | None:
    """(status, message) for ``\\nabla_w J = <matrix expression>`` with J defined in the
    document; None when the formula is not such a claim (the caller goes on as before)."""
    import sympy as sp
    from sympy.core.function import AppliedUndef

    lhs = sides[0] if len(sides) == 2 else None
    if type(lhs).__name__ not in ("GradientVector", "Grad") or len(lhs.args) < 2:
        return None
    f, var = lhs.args[0], lhs.args[1]
    if isinstance(f, AppliedUndef):
        name = f.func.__name__
    elif isinstance(f, (sp.Symbol, sp.MatrixSymbol)):
        name = str(f.name)
    else:
        return None
    source = ctx.sources.get(name)
    if source is None or not isinstance(var, (sp.Symbol, sp.MatrixSymbol)):
        return None
    return _check(name, str(var.name), source, ctx.defs[name][1], texts[1], sides[1])


def _check(
    name: str, var: str, source: str, defined: Any, rhs_text: str, rhs: Any
) -> tuple[Status, str]:
    import sympy as sp

    from symml.derivation import derive, expr_json
    from symml.errors import SymmlError
    from symml.latex import parse_latex
    from symml.verification import equiv

    what = f"gradient of {name} by {var}"
    written = _names(rhs)
    if not any(n[:1].isupper() and n.isalpha() for n in written) and not _has_matrices(rhs):
        return _scalar(what, var, defined, rhs)  # nabla_w J = 2(w - 3): a plain derivative
    size = next((n for n in _SIZE_NAMES if n not in written and n not in source), None)
    if size is None:
        return Status.UNCHECKED, f"{what} not checked: no name left for the sizes"
    # the variable is a vector, a capital a matrix; the parser makes what is added to or
    # multiplied with them a vector (y in Xw - y)
    kinds = {var: f"vector[{size}]"}
    for n in written - {var}:
        if n[:1].isupper() and n.isalpha():
            kinds[n] = f"matrix[{size},{size}]"
    try:
        body = parse_latex(source, symbols=kinds)
        stated = parse_latex(rhs_text, symbols=kinds)
        gradient = derive(body, var, steps=False).gradient
    except SymmlError as exc:
        return Status.UNCHECKED, f"{what} not checked: {exc}"
    extra = _names(stated) - _names(body) - {var}
    if extra:
        # X in the claim, x_i in the definition: the rows of a matrix the text never tied
        why = f"the right side uses {', '.join(sorted(extra))}, which {name} does not"
        return Status.UNCHECKED, f"{what} not checked: {why}"
    if gradient is None or not isinstance(stated, sp.MatrixExpr):
        return Status.UNCHECKED, f"{what} not checked: it has no matrix form here"
    shown = expr_json(gradient)["latex"]
    result = equiv(stated, gradient, symbols=kinds)
    if result["equivalent"] is True:
        return (
            Status.VERIFIED,
            f"{what} holds (the matrix form {shown}, checked by finite differences of "
            f"{name}; compared at sampled {size}-by-{size} data, {result['method']})",
        )
    if result["equivalent"] is False:
        square = _square_in(source, kinds)
        if square and _holds_if_symmetric(source, rhs_text, var, kinds, square, size):
            # x^T A x with "A symmetric" said in the text: A x - b is its gradient then
            why = f"holds if {', '.join(square)} {'is' if len(square) == 1 else 'are'} symmetric"
            return Status.UNCHECKED, f"{what} not refuted: it {why}; in general it is {shown}"
        return Status.REFUTED, f"{what}: the right side differs from {shown}{_where(result)}"
    reason = result.get("reason") or "neither proved nor refuted"
    return Status.UNCHECKED, f"{what} not checked: {reason}"


def _square_in(source: str, kinds: dict) -> list[str]:
    """The matrices the definition makes square (A in x^T A x; not X in ||Xw - y||)."""
    import sympy as sp

    from symml.errors import SymmlError
    from symml.latex import parse_latex

    free = {n: kind.split("[")[0] for n, kind in kinds.items()}  # sizes the parser makes up
    try:
        body = parse_latex(source, symbols=free)
    except SymmlError:
        return []
    return sorted(
        str(M.name)
        for M in body.atoms(sp.MatrixSymbol)
        if free.get(str(M.name)) == "matrix" and M.shape[0] == M.shape[1]
    )


def _holds_if_symmetric(
    source: str, rhs_text: str, var: str, kinds: dict, square: list[str], size: str
) -> bool:
    """Does the claim hold once the square matrices are declared symmetric?"""
    from symml.derivation import derive
    from symml.errors import SymmlError
    from symml.latex import parse_latex
    from symml.verification import equiv

    symmetric = {n: (f"symmetric[{size}]" if n in square else kind) for n, kind in kinds.items()}
    try:
        body = parse_latex(source, symbols=symmetric)
        gradient = derive(body, var, steps=False, symmetric=square).gradient
        stated = parse_latex(rhs_text, symbols=symmetric)
    except SymmlError:
        return False
    if gradient is None:
        return False
    return equiv(stated, gradient, symbols=symmetric)["equivalent"] is True


def _has_matrices(expr: Any) -> bool:
    import sympy as sp

    return isinstance(expr, sp.Basic) and bool(expr.atoms(sp.MatrixSymbol))


def _scalar(what: str, var: str, body: Any, rhs: Any) -> tuple[Status, str]:
    """A gradient by a scalar: the derivative of the definition (as the document read it),
    compared with ``rhs``."""
    import sympy as sp

    from symml.documents._compare import compare

    if not isinstance(body, sp.Expr) or not isinstance(rhs, sp.Expr):
        return Status.UNCHECKED, f"{what} not checked: not an expression"
    symbol = next((s for s in body.free_symbols if str(s) == var), None)
    if symbol is None:
        return Status.UNCHECKED, f"{what} not checked: the definition has no {var}"
    verdict, detail = compare(sp.diff(body, symbol), rhs)
    if verdict is True:
        return Status.VERIFIED, f"{what} holds ({detail})"
    if verdict is False:
        return Status.REFUTED, f"{what}: the right side differs from the derivative: {detail}"
    return Status.UNCHECKED, f"{what} not checked: {detail}"


def _names(expr: Any) -> set[str]:
    import sympy as sp

    out = {str(M.name) for M in expr.atoms(sp.MatrixSymbol)}
    out |= {str(b.label) for b in expr.atoms(sp.IndexedBase)}
    dims = {d for M in expr.atoms(sp.MatrixSymbol) for d in M.shape if isinstance(d, sp.Symbol)}
    bound = {lim[0] for s in expr.atoms(sp.Sum) for lim in s.limits}
    out |= {str(s) for s in expr.free_symbols - dims - bound if isinstance(s, sp.Symbol)}
    return out


def _where(result: dict) -> str:
    cx = result.get("counterexample")
    if not cx:
        return f" ({result.get('reason', result['method'])})"
    at = cx.get("entry")
    if at is None:
        entry = "the value"
    elif len(at) == 2 and at[1] == 1:  # a column vector's entry i
        entry = f"entry {at[0]}"
    else:
        entry = f"entry {at}"
    return (
        f": at sampled data (seed 0), {entry} of the right side is {cx['a']:.6g}, "
        f"of the gradient {cx['b']:.6g}"
    )
