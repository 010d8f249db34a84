"""Expressions and results as JSON: every expression is ``{"sympy": str, "latex": str}``.

"sympy" is written in elementary functions (the ML functions rewritten through exp, log,
Max, Heaviside and Piecewise) so that ``sympy.parse_expr`` reads it back; "latex" is
SymPy's LaTeX of the expression as symml holds it.
"""

from __future__ import annotations

from typing import Any

__all__ = ["expr_json", "jsonable", "sympy_text"]


def expr_json(value: Any, *, latex: str | None = None) -> dict[str, Any]:
    """A parsed value as the JSON object ``{"sympy": str, "latex": str}``.

    "sympy" is written in elementary functions so that ``sympy.parse_expr`` reads it back.
    An equation also carries "lhs" and "rhs", a relation chain its "parts" and "ops", an
    aligned block its "items".
    ``latex`` replaces SymPy's LaTeX of a plain expression (derivation prints textbook order).

    Examples:
        >>> import sympy
        >>> expr_json(sympy.Symbol("lambda") * 2)
        {'sympy': "2*Symbol('lambda')", 'latex': '2 \\\\lambda'}
    """
    from symml.latex import Aligned, Equation, Relation

    if isinstance(value, Aligned):
        items = [expr_json(item) for item in value.items]
        return {
            "sympy": "[" + ", ".join(i["sympy"] for i in items) + "]",
            "latex": " \\\\ ".join(i["latex"] for i in items),
            "items": items,
        }
    if isinstance(value, Equation):
        lhs, rhs = expr_json(value.lhs), expr_json(value.rhs)
        return {
            "sympy": f"Eq({lhs['sympy']}, {rhs['sympy']})",
            "latex": f"{lhs['latex']} {value.op} {rhs['latex']}",
            "lhs": lhs,
            "rhs": rhs,
        }
    if isinstance(value, Relation):
        parts = [expr_json(part) for part in value.parts]
        latex = parts[0]["latex"]
        for op, part in zip(value.ops, parts[1:], strict=True):
            latex += f" {op} {part['latex']}"
        return {
            "sympy": sympy_text(value.as_sympy()),
            "latex": latex,
            "parts": parts,
            "ops": list(value.ops),
        }
    import sympy

    return {"sympy": sympy_text(value), "latex": sympy.latex(value) if latex is None else latex}


def sympy_text(expr: Any) -> str:
    """SymPy code for ``expr`` in elementary functions, readable by ``sympy.parse_expr``.

    ``str()`` is not enough: it prints ``x[i]``, ``X.T`` and ``f.(X)``, and names such as
    ``Q``, ``E``, ``N``, ``I``, ``gamma`` or ``lambda`` mean something else to ``parse_expr``
    (or are Python keywords). Those are spelled out: ``Indexed(x, i)``, ``Transpose(X)``,
    ``MatrixSymbol('X', m, n)``, ``Symbol('lambda')``, ``Function('Q')(x)``.
    """
    from sympy import Indexed
    from sympy.core.function import AppliedUndef
    from sympy.printing.str import StrPrinter

    from symml.functions import to_elementary

    taken = _parse_expr_names()

    def plain(name: str) -> bool:
        return name.isidentifier() and name not in taken

    class Readable(StrPrinter):
        # Indexed is caught before dispatch: its own _sympystr would win over a _print_ method.
        def _print(self, expr: Any, **kwargs: Any) -> str:
            if isinstance(expr, Indexed):
                args = ", ".join(self._print(i) for i in (expr.base.label, *expr.indices))
                return f"Indexed({args})"
            return super()._print(expr, **kwargs)

        def _print_Symbol(self, e: Any) -> str:
            return e.name if plain(e.name) else f"Symbol({e.name!r})"

        def _print_MatrixSymbol(self, e: Any) -> str:
            return f"MatrixSymbol({e.name!r}, {self._print(e.rows)}, {self._print(e.cols)})"

        def _print_Transpose(self, e: Any) -> str:
            return f"Transpose({self._print(e.arg)})"

        def _print_ElementwiseApplyFunction(self, e: Any) -> str:
            return f"ElementwiseApplyFunction({self._print(e.function)}, {self._print(e.expr)})"

        def _print_Limit(self, e: Any) -> str:
            body, var, point = (self._print(a) for a in e.args[:3])
            return f"Limit({body}, {var}, {point}, dir={str(e.args[3])!r})"

        def _print_Identity(self, e: Any) -> str:
            return f"Identity({self._print(e.rows)})"

        def _print_ZeroMatrix(self, e: Any) -> str:
            return f"ZeroMatrix({self._print(e.rows)}, {self._print(e.cols)})"

        def _print_OneMatrix(self, e: Any) -> str:
            return f"OneMatrix({self._print(e.rows)}, {self._print(e.cols)})"

        def _print_Function(self, e: Any) -> str:
            name = e.func.__name__
            if isinstance(e, AppliedUndef) and not plain(name):
                return f"Function({name!r})({self.stringify(e.args, ', ')})"
            return super()._print_Function(e)

    return Readable().doprint(to_elementary(expr))


def _parse_expr_names() -> frozenset[str]:
    """Names that ``parse_expr`` does not turn into fresh symbols: SymPy's, builtins, keywords."""
    import builtins
    import keyword

    import sympy

    return frozenset(sympy.__all__) | frozenset(dir(builtins)) | frozenset(keyword.kwlist)


def jsonable(v: Any) -> Any:
    """``v`` as plain JSON values: NumPy arrays and scalars unpacked, dicts and sequences
    walked, NaN and infinities as strings (JSON has none), anything else as ``str``.

    Examples:
        >>> jsonable({"x": (1, float("inf")), "n": None})
        {'x': [1, 'inf'], 'n': None}
    """
    if isinstance(v, dict):
        return {str(k): jsonable(x) for k, x in v.items()}
    try:
        import numpy as np
    except ImportError:  # pragma: no cover
        np = None
    if np is not None and isinstance(v, np.ndarray):
        return [jsonable(x) for x in v.tolist()] if v.ndim else jsonable(v.item())
    if np is not None and isinstance(v, np.generic):
        return jsonable(v.item())
    if isinstance(v, float):
        if v != v or v in (float("inf"), float("-inf")):
            return str(v)
        return v
    if isinstance(v, (int, str, bool)) or v is None:
        return v
    if isinstance(v, (list, tuple)):
        return [jsonable(x) for x in v]
    return str(v)
