"""The registry commands: ``symml list`` and ``symml show``.

Both must start fast: ``list`` reads the registry files without parsing any LaTeX, and
neither imports SymPy before it has to.
"""

from __future__ import annotations

from typing import Any

import click
from click.exceptions import Exit

from symml.cli._options import (
    argument,
    command,
    console,
    json_flag,
    one_line,
    print_json,
    stdout_is_terminal,
    tab_row,
)
from symml.serialize import expr_json


@command("list")
@click.option("--tag", "-t", default=None, help="Only this tag.")
@json_flag
def list_command(tag: str | None, as_json: bool) -> None:
    """List the registry's formulas (name, title, LaTeX, tags, sources).

    On a terminal, a table cut to its width; piped, one formula per line with its values
    whole and tab-separated, in that order.
    """
    from symml.registry import default_registry

    registry = default_registry()
    entries = registry.formulas(tag)
    if as_json:
        print_json(
            [
                {
                    "name": f.name,
                    "title": f.title,
                    "latex": f.latex,
                    "tags": list(f.tags),
                    "sources": list(f.sources),
                }
                for f in entries
            ]
        )
        _report_problems(registry)
        return
    if not stdout_is_terminal():  # piped: one formula per line, every value whole
        click.echo(
            "".join(
                tab_row(f.name, f.title, f.latex, ", ".join(f.tags), "; ".join(f.sources)) + "\n"
                for f in entries
            ),
            nl=False,
        )
        _report_problems(registry)
        return
    # A plain table, one line per formula cut to the terminal's width: Rich takes ~0.3 s to
    # lay out 150 rows, more than the rest of `symml list`. Piped output, --json and
    # `symml show` give everything in full.
    import shutil

    name_width = max((len(f.name) for f in entries), default=4)
    room = max(shutil.get_terminal_size().columns - name_width - 8, 40)
    shares = {"title": 0.2, "latex": 0.4, "tags": 0.15, "sources": 0.25}
    widths = {"name": name_width, **{c: max(int(room * sh), 4) for c, sh in shares.items()}}
    rows = [
        {
            "name": f.name,
            "title": f.title,
            "latex": f.latex,
            "tags": ", ".join(f.tags),
            "sources": "; ".join(_short_source(s) for s in f.sources),
        }
        for f in entries
    ]
    lines = [f"{len(entries)} formulas"]
    lines.append("  ".join(c.ljust(w) for c, w in widths.items()).rstrip())
    lines.append("  ".join("-" * w for w in widths.values()))
    for row in rows:
        lines.append("  ".join(_cut(row[c], w).ljust(w) for c, w in widths.items()).rstrip())
    click.echo("\n".join(lines))
    _report_problems(registry)


def _report_problems(registry: Any) -> None:
    """Broken registry tables: one ``error:`` line each, then exit 2 (after the output)."""
    for problem in registry.problems:
        click.echo(one_line(f"error: {problem}"), err=True)
    if registry.problems:
        raise Exit(2)


def _cut(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _short_source(source: str) -> str:
    """``001_ccc9e13ff71ddb5d.txt: Sigmoid`` -> ``001: Sigmoid``."""
    document, sep, section = source.partition(":")
    return document.split("_")[0] + sep + section if document[:3].isdigit() else source


@command("show")
@argument("name", help="A formula name (see `symml list`).")
@json_flag
def show_command(name: str, as_json: bool) -> None:
    """Show one formula: LaTeX, SymPy form, symbols, sources and claims."""
    from symml.errors import RegistryError
    from symml.registry import get

    f = get(name)
    claims, broken = [], []
    for c in f.claims:
        claim = {
            "kind": c.kind.value,
            "latex": c.latex,
            "wrt": c.wrt,
            "source": c.source,
            "erratum": c.erratum,
            "handwritten": c.handwritten,
            "expr": None,
        }
        try:  # one claim that does not parse should not hide the rest of the formula
            claim["expr"] = expr_json(c.expr)
        except RegistryError as e:
            claim["error"] = str(e)
            broken.append(str(e))
        claims.append(claim)
    data = {
        "name": f.name,
        "title": f.title,
        "latex": f.latex,
        "expr": expr_json(f.expr),
        "symbols": dict(f.symbols),
        "sources": list(f.sources),
        "claims": claims,
        "tags": list(f.tags),
        "handwritten": f.handwritten,
        "definitions": list(f.definitions),
        "notes": f.notes,
        "file": f.file,
    }
    if as_json:
        print_json(data)
    else:
        _print_formula(data)
    for problem in broken:
        click.echo(one_line(f"error: {problem}"), err=True)
    if broken:
        raise Exit(2)


def _print_formula(data: dict[str, Any]) -> None:
    from rich.markup import escape
    from rich.table import Table

    out = console()
    out.print(f"[bold]{escape(data['name'])}[/bold]: {escape(data['title'])}  ({data['file']})")
    out.print(f"LaTeX  {data['latex']}", markup=False)
    out.print(f"SymPy  {data['expr']['sympy']}", markup=False)
    if data["symbols"]:
        kinds = ", ".join(f"{k}: {v}" for k, v in data["symbols"].items())
        out.print(f"symbols  {kinds}", markup=False)
    for source in data["sources"]:
        out.print(f"source  {source}", markup=False)
    if data["notes"]:
        out.print(f"notes  {data['notes']}", markup=False)
    if data["claims"] and not stdout_is_terminal():  # piped: one claim per line, whole
        for c in data["claims"]:
            erratum = c["erratum"] or ("does not parse" if "error" in c else "")
            click.echo(tab_row("claim", c["kind"], c["wrt"] or "", c["latex"], erratum))
    elif data["claims"]:
        table = Table(title="claims")
        for column in ("kind", "wrt", "latex", "erratum"):
            table.add_column(column, overflow="fold")
        for c in data["claims"]:
            erratum = c["erratum"] or ("does not parse" if "error" in c else "")
            table.add_row(c["kind"], c["wrt"] or "", escape(c["latex"]), escape(erratum))
        out.print(table)
