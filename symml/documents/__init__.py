"""Find the formulas of a Markdown, LaTeX or plain-text document, and check each one.

:func:`extract` finds formulas with their line and column; :func:`check_document` checks
them against the registry and each other; :func:`summary` counts the statuses.
"""

from symml.documents._check import check_document, summary
from symml.documents._extract import extract
from symml.documents._model import FormulaCheck, Found, Status

__all__ = ["FormulaCheck", "Found", "Status", "check_document", "extract", "summary"]
