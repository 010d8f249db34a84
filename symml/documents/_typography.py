"""The author's typography, as a reader reads it: spacing dropped, remarks cut, fragments known.

:func:`normalise` is applied to every formula before it is classified; the patterns say what
is a fragment (a bare operator such as ``\\nabla_w``), a placeholder (``f(\\cdot)``) and a
relation.
"""

from __future__ import annotations

import re

__all__ = ["normalise"]

FRAGMENT = re.compile(
    r"^\\?(nabla|min|max|sum|prod|partial|arg\s*min|arg\s*max|argmin|argmax|lim|int|"
    r"mathbb\{E\}|E)(_\{[^{}]*\}|_\w|\^\{[^{}]*\}|\^\w)*\s*$"
)
PLACEHOLDER = re.compile(r"[(,]\s*(-|\\cdot|\\bullet|\\ast|\*)\s*[,)]")
RELATION = re.compile(r"=|<|>|\\[lg]eq?\b|\\neq\b|\\approx|\\sim|\\in\b")
REMARK = re.compile(
    r"\s*(\\[hv]space\*?\{[^}]*\}|\\q?quad|\\;|\\ )*\s*\\text\{\s*\([^{}]*\)\s*\}\s*$"
)


def normalise(latex: str) -> str:
    """The author's typography, as a reader reads it: spacing dropped, remarks cut.

    Examples:
        >>> normalise(r"a = b \\hspace{0.1in} \\text{(bad, do not use)}")
        'a = b'
        >>> normalise(r"\\mid w \\mid + tanh^{'}(x) + F’")
        "| w | + tanh'(x) + F'"
    """
    text = REMARK.sub("", latex)
    text = re.sub(r"\\[hv]space\*?\{[^}]*\}", r" \\quad ", text)
    text = text.replace("’", "'").replace("^{'}", "'").replace("^'", "'")
    if text.count("\\mid") % 2 == 0 and "|" not in text and not re.search(r"[pPq]\(", text):
        text = re.sub(r"\\mid\b", "|", text)  # \mid x \mid: an absolute value
    return " ".join(text.split()).strip()
