"""``symml parse`` and ``symml derive``: LaTeX into SymPy, and derivatives."""

from __future__ import annotations

from typing import Any

import click

from symml.cli._options import (
    argument,
    command,
    console,
    json_flag,
    print_json,
    read_latex,
    symbol_options,
)
from symml.errors import SymmlError
from symml.serialize import expr_json


@command("parse")
@argument("latex", metavar="LATEX", help="LaTeX to parse; '-' reads standard input.")
@click.option(
    "--symbol",
    "-s",
    multiple=True,
    metavar="NAME=KIND",
    help="Declare a kind (w=vector); repeatable.",
)
@click.option("--function", "-f", multiple=True, metavar="NAME", help="Apply NAME( as a function.")
@json_flag
def parse_command(
    latex: str, symbol: tuple[str, ...], function: tuple[str, ...], as_json: bool
) -> None:
    """Parse LaTeX into SymPy with the meaning an ML reader intends."""
    from symml.latex import parse_with_reader

    text = read_latex(latex)
    result = parse_with_reader(
        text, symbols=symbol_options(list(symbol)) or None, functions=list(function) or None
    )
    parsed = expr_json(result.value)
    if as_json:
        if "lhs" in parsed:
            print_json(
                {"input": text, "lhs": parsed["lhs"], "rhs": parsed["rhs"], "reader": result.reader}
            )
        else:
            print_json({"input": text, "expr": parsed, "reader": result.reader})
        return
    out = console()
    out.print(f"SymPy  {parsed['sympy']}", markup=False)
    out.print(f"LaTeX  {parsed['latex']}", markup=False)
    out.print(f"Reader {result.reader}", markup=False)


@command("derive")
@argument("name", required=False, default=None, help="A registry formula name.")
@click.option("--wrt", default="", help="The variable (w: the gradient; w_j: one component).")
@click.option("--latex", default=None, help="Differentiate this LaTeX instead ('-': stdin).")
@click.option(
    "--symbol",
    "-s",
    multiple=True,
    metavar="NAME=KIND",
    help="Declare a kind for --latex (X=matrix, w=vector); repeatable.",
)
@click.option("--order", default=1, show_default=True, help="How many times (>= 1).")
@click.option("--steps", is_flag=True, help="Show the step-by-step derivation.")
@json_flag
def derive_command(
    name: str | None,
    wrt: str,
    latex: str | None,
    symbol: tuple[str, ...],
    order: int,
    steps: bool,
    as_json: bool,
) -> None:
    """Differentiate a formula: the derivative, its textbook form, and (--steps) the steps."""
    from symml.derivation import derive

    if (name is None) == (latex is None):
        raise SymmlError("give a registry NAME or --latex LATEX (exactly one)")
    if not wrt:
        raise SymmlError("--wrt VAR is required")
    declared = symbol_options(list(symbol))
    if latex is not None:
        from symml.latex import parse_latex

        subject: Any = parse_latex(read_latex(latex), symbols=declared or None)
    else:
        subject = name
    from symml.symbols import parse_kind

    symmetric = [n for n, k in declared.items() if parse_kind(n, k).is_symmetric]
    d = derive(subject, wrt, order, steps=steps, symmetric=symmetric)
    if as_json:
        print_json(d.to_json())
        return
    data = d.to_json()
    out = console()
    for label, key in (("input", "input"), ("derivative", "derivative"), ("textbook", "textbook")):
        out.print(f"{label:<11}{data[key]['latex']}", markup=False, soft_wrap=True)
    if "gradient" in data and data["gradient"]["latex"] != data["textbook"]["latex"]:
        out.print(f"{'gradient':<11}{data['gradient']['latex']}", markup=False, soft_wrap=True)
    for note in d.notes:
        out.print(f"note       {note}", markup=False, soft_wrap=True)
    if steps and d.steps is not None:
        from symml.derivation.steps import to_text

        out.print(to_text(d.steps), markup=False, soft_wrap=True)
