"""``symml cheatsheet`` and ``symml check``: write a sheet, check documents."""

from __future__ import annotations

import sys

import click
from click.exceptions import Exit

from symml.cli._options import argument, command, console, json_flag, print_json
from symml.errors import SymmlError


@command("cheatsheet")
@click.option(
    "--output", "-o", default=None, help="Write to FILE ('-': stdout), figures beside it."
)
@click.option(
    "--pdf",
    is_flag=True,
    help="Also compile FILE (default symml-cheatsheet.tex) into a PDF (needs TeX).",
)
@click.option("--tag", "-t", multiple=True, help="Only this tag; repeatable.")
@click.option("--steps", is_flag=True, help="Add step-by-step derivations.")
@click.option("--format", "fmt", default="tex", show_default=True, help="tex or md.")
@click.option(
    "--verify/--no-verify",
    default=True,
    show_default=True,
    help="Run the checks and show the marks.",
)
def cheatsheet_command(
    output: str | None, pdf: bool, tag: tuple[str, ...], steps: bool, fmt: str, verify: bool
) -> None:
    """Write a cheat-sheet of the registry (LaTeX or Markdown); --pdf compiles it."""
    from symml.sheets import write_cheatsheet

    text, written = write_cheatsheet(
        output, pdf=pdf, tags=list(tag) or None, steps=steps, fmt=fmt, verify=verify
    )
    if not written:
        click.echo(text, nl=False)
    for path in written:
        click.echo(str(path))


@command("check")
@argument(
    "documents",
    nargs=-1,
    required=True,
    help="Markdown/LaTeX/text files; '-' reads standard input.",
)
@json_flag
def check_command(documents: tuple[str, ...], as_json: bool) -> None:
    """Find every formula of the documents, parse it and check its claims, by line.

    Exit status 1 when a claim is refuted or a math block is broken, 2 for a missing file.
    """
    from pathlib import Path

    from symml.documents import Status, check_document, summary

    texts = []
    for doc in documents:
        if doc == "-":
            texts.append(("<stdin>", sys.stdin.read()))
        elif not Path(doc).is_file():
            raise SymmlError(f"no such document: {doc}")
        else:
            try:
                texts.append((doc, Path(doc).read_text(encoding="utf-8")))
            except UnicodeDecodeError as e:
                raise SymmlError(f"{doc} is not UTF-8 text ({e.reason} at byte {e.start})") from e
    results = [(name, check_document(text, name=name, literal=True)) for name, text in texts]
    if as_json:
        print_json([c.to_json() for _, checks in results for c in checks])
    else:
        from rich.table import Table

        out = console()
        for name, checks in results:
            table = Table(title=name, show_lines=False)
            for column in ("line", "status", "latex", "message", "registry"):
                table.add_column(column, overflow="fold")
            for c in checks:
                table.add_row(
                    f"{c.line}:{c.column}", c.status.value, c.latex, c.message, c.registry or ""
                )
            out.print(table)
            out.print(summary(checks, name), markup=False, soft_wrap=True)
    bad = {Status.REFUTED, Status.BROKEN}
    if any(c.status in bad for _, checks in results for c in checks):
        raise Exit(1)
