"""Cheat-sheets from the registry: entries, LaTeX and Markdown rendering, PDF, plots.

:func:`cheatsheet` returns the sheet's text; :func:`write_cheatsheet` writes it (and the PDF).
The helpers :func:`escape`, :func:`md_escape`, :func:`math_ok`, :func:`inline_display` and
:func:`double_script` make registry strings safe for LaTeX and Markdown.
"""

from symml.sheets._compile import TexError, compile_pdf, compile_repairing, write_atomic
from symml.sheets._entry import build_entry
from symml.sheets._escape import double_script, escape, inline_display, math_ok, md_escape
from symml.sheets._model import Entry, Erratum, Mark, Sheet, Status
from symml.sheets._plots import PLOTS_HINT, Curve, available, draw, lambdified
from symml.sheets._render import render
from symml.sheets._sheet import add_plots, build_sheet, cheatsheet, select, write_cheatsheet

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
    "double_script",
    "draw",
    "escape",
    "inline_display",
    "lambdified",
    "math_ok",
    "md_escape",
    "render",
    "select",
    "write_atomic",
    "write_cheatsheet",
]
