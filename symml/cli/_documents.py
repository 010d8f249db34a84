"""``symml cheatsheet``: write a sheet (``symml check`` is in ``_check``)."""

from __future__ import annotations

import click

from symml.cli._options import command, progress


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

    with progress(0, "building the sheet", shown=True) as advance:
        text, written = write_cheatsheet(
            output,
            pdf=pdf,
            tags=list(tag) or None,
            steps=steps,
            fmt=fmt,
            verify=verify,
            progress=lambda what, total: advance(what, total=total),
        )
    if not written:
        click.echo(text, nl=False)
    for path in written:
        click.echo(str(path))
