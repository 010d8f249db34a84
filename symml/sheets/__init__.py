"""Cheat-sheets from the registry: entries, LaTeX and Markdown rendering, PDF, plots.

:func:`cheatsheet` returns the sheet's text; :func:`write_cheatsheet` writes it (and the PDF).
The helpers :func:`escape`, :func:`md_escape`, :func:`math_ok`, :func:`inline_display` and
:func:`double_script` make registry strings safe for LaTeX and Markdown; :func:`tex_text` and
:func:`md_text` typeset the ``$...$`` math of titles and marks; :func:`plain_reason` says
why a check did not run in words a student understands, whatever the verifier wrote.
"""

from symml.sheets._compile import TexError, compile_pdf, compile_repairing, write_atomic
from symml.sheets._entry import build_entry
from symml.sheets._escape import (
    double_script,
    escape,
    inline_display,
    math_ok,
    md_escape,
    md_text,
    tex_text,
)
from symml.sheets._model import Entry, Erratum, Mark, Sheet, Status
from symml.sheets._plots import PLOTS_HINT, Curve, available, draw, lambdified
from symml.sheets._render import render
from symml.sheets._sheet import add_plots, build_sheet, cheatsheet, select, write_cheatsheet
from symml.sheets._words import document_titles, is_technical, plain_reason

__all__ = [
    "PLOTS_HINT",
    "Curve",
    "Entry",
    "Erratum",
    "Mark",
    "Sheet",
    "Status",
    "TexError",
    "add_plots",
    "available",
    "build_entry",
    "build_sheet",
    "cheatsheet",
    "compile_pdf",
    "compile_repairing",
    "document_titles",
    "double_script",
    "draw",
    "escape",
    "inline_display",
    "is_technical",
    "lambdified",
    "math_ok",
    "md_escape",
    "md_text",
    "plain_reason",
    "render",
    "select",
    "tex_text",
    "write_atomic",
    "write_cheatsheet",
]
