"""Find the formulas of a Markdown, LaTeX or plain-text document, and check each one.

:func:`check_text` checks one document's text (the per-document entry point: plain
inputs, a top-level function); :func:`check_document` takes a path or the text;
:func:`extract` finds the formulas with their line and column; :func:`summarise`,
:func:`summary`, :func:`listed` and :func:`exit_status` are what the CLI prints and
returns.
"""

from symml.documents._check import FORMATS, check_document, check_text, extract, format_of
from symml.documents._model import FormulaCheck, Found, Statement, Status
from symml.documents._summary import Summary, exit_status, listed, summarise, summary

__all__ = [
    "FORMATS",
    "FormulaCheck",
    "Found",
    "Statement",
    "Status",
    "Summary",
    "check_document",
    "check_text",
    "exit_status",
    "extract",
    "format_of",
    "listed",
    "summarise",
    "summary",
]
