"""Shapes read from notation alone: when an undeclared capital is a matrix.

``X\\mathbf{w}`` is a matrix times a vector, as ``X^T`` is a transposed matrix: a capital
letter (or capital Greek letter) written directly before a bold or arrowed vector puts the
formula in matrix mode, so that ``\\|X\\mathbf{w} - \\mathbf{y}\\|^2`` is the norm of a vector
and not of the scalar ``X w - y``.
"""

from __future__ import annotations

from symml.latex._names import GREEK

__all__ = ["multiplies_vector"]

_VECTOR_FONTS = frozenset({r"\mathbf", r"\boldsymbol", r"\vec", r"\bm"})


def multiplies_vector(tokens) -> bool:
    """True when a capital letter stands directly before ``\\mathbf{...}`` (``X\\mathbf{w}``)."""
    for k, (prev, nxt) in enumerate(zip(tokens, tokens[1:], strict=False)):
        if k > 0 and tokens[k - 1].kind == "op" and tokens[k - 1].value in ("^", "_"):
            continue  # w^T \mathbf{x}: the T is a transpose, not a matrix
        capital = (prev.kind == "letter" and prev.value.isupper()) or (
            prev.kind == "cmd"
            and prev.value.lstrip("\\")[:1].isupper()
            and prev.value.lstrip("\\") in GREEK
        )
        if capital and nxt.kind == "cmd" and nxt.value in _VECTOR_FONTS:
            return True
    return False
