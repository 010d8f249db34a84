"""The ``symml`` command line: a thin Click app over the public API.

Each command reads its arguments, calls one API function and prints the result, as Rich
tables for people or as JSON with ``--json`` (the shapes are in the README). Results go to stdout,
diagnostics to stderr. ``main()`` turns a SymmlError into one line ``error: ...`` and exit
status 2 (1 for a VerificationError: a check ran and failed); ``--debug`` adds the traceback.

Heavy modules (SymPy, the LaTeX parser, Rich tables) are imported inside the commands so
that ``symml --help`` and ``symml list`` start fast. Click rather than Typer for the same
reason: recent Typer builds a Pydantic validator for every option it parses, and importing
Pydantic alone took longer than the whole 0.5 s budget of ``symml list``.
"""

from __future__ import annotations

import os
import sys
import traceback

import click

from symml.cli._derive import derive_command, parse_command
from symml.cli._documents import cheatsheet_command, check_command
from symml.cli._options import Command, one_line
from symml.cli._registry import list_command, show_command
from symml.cli._verify import equiv_command, verify_command
from symml.errors import ParseError, SymmlError, VerificationError


class _Group(click.Group):
    """Lists its commands in the order they were added."""

    command_class = Command

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(self.commands)  # in the order they are defined, not sorted


def _version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value and not ctx.resilient_parsing:
        import symml

        click.echo(f"symml {symml.__version__}")
        ctx.exit()


@click.group(
    "symml",
    cls=_Group,
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.option(
    "--version",
    is_flag=True,
    callback=_version,
    expose_value=False,
    is_eager=True,
    help="Print the version.",
)
@click.option("--debug", is_flag=True, help="Show the traceback of errors.")
def app(debug: bool) -> None:
    """Parse, derive and verify the mathematics of machine learning."""


app.add_command(list_command)
app.add_command(show_command)
app.add_command(parse_command)
app.add_command(derive_command)
app.add_command(verify_command)
app.add_command(equiv_command)
app.add_command(cheatsheet_command)
app.add_command(check_command)


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: run the app, turn SymmlError into ``error: ...``."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        app.main(args=args, prog_name="symml")
    except SymmlError as e:
        if _debug(args):
            traceback.print_exc()
        _report(e)
        raise SystemExit(1 if isinstance(e, VerificationError) else 2) from None
    except (KeyboardInterrupt, SystemExit):
        raise
    except Exception as e:  # noqa: BLE001  (last line of defence: one line, never a traceback)
        if _debug(args):
            traceback.print_exc()
        click.echo(
            one_line(
                f"error: internal error: {type(e).__name__}: {e} (a bug in symml; "
                "rerun with --debug for the traceback)"
            )[:500],
            err=True,
        )
        raise SystemExit(2) from None


def _debug(args: list[str]) -> bool:
    """``--debug`` among the root options (before the command), or SYMML_DEBUG=1."""
    if os.environ.get("SYMML_DEBUG", "").strip() not in ("", "0"):
        return True
    for arg in args:
        if not arg.startswith("-"):
            return False
        if arg == "--debug":
            return True
    return False


def _report(error: SymmlError) -> None:
    """One line on stderr; a ParseError adds the input with a caret under the column."""
    if isinstance(error, ParseError) and error.text is not None and error.column is not None:
        prefix = f"error: {error.reason}, column {error.column + 1}: "
        segment, caret = error.caret().split("\n")
        click.echo(one_line(prefix + segment), err=True)
        click.echo(" " * len(prefix) + caret, err=True)
        return
    click.echo(one_line(f"error: {error}"), err=True)
