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

from symml.cli._check import check_command
from symml.cli._derive import derive_command, parse_command
from symml.cli._documents import cheatsheet_command
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


@click.command("cache", cls=Command)
@click.option("--clear", is_flag=True, help="Remove every cached parse and result.")
def cache_command(clear: bool) -> None:
    """Where symml caches parses and results; --clear empties it (always safe).

    A cached result is replayed only when nothing that decides it has changed: the
    command and its input, symml's source, the registry and the installed packages.
    SYMML_NO_CACHE=1, or --no-cache on a command, computes afresh.
    """
    from symml.cli._cache import clear as clear_cache
    from symml.registry import cache_dir

    if not clear:
        where = cache_dir()
        click.echo(str(where) if where is not None else "off (SYMML_NO_CACHE is set)")
        return
    where, count = clear_cache()
    click.echo(f"removed {count} cached files from {where}" if where else "the cache is off")


app.add_command(list_command)
app.add_command(show_command)
app.add_command(parse_command)
app.add_command(derive_command)
app.add_command(verify_command)
app.add_command(equiv_command)
app.add_command(cheatsheet_command)
app.add_command(check_command)
app.add_command(cache_command)


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: run the app, turn SymmlError into ``error: ...``."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        # Not standalone: Click's own reports of usage errors are four lines (usage, hint,
        # blank, error); symml's are one.
        status = app.main(args=args, prog_name="symml", standalone_mode=False)
    except click.exceptions.NoArgsIsHelpError as e:
        e.show()  # plain `symml`: the help, as `symml --help` would print it
        raise SystemExit(e.exit_code) from None
    except click.UsageError as e:
        click.echo(one_line(f"error: {_usage_message(e, args)}"), err=True)
        raise SystemExit(e.exit_code) from None
    except click.ClickException as e:  # a file Click could not open, and the like
        click.echo(one_line(f"error: {_lower_first(e.format_message())}"), err=True)
        raise SystemExit(e.exit_code) from None
    except click.Abort:  # Ctrl-C, or end of input at a prompt
        click.echo("error: interrupted", err=True)
        raise SystemExit(130) from None
    except BrokenPipeError:  # `symml list | head`: the reader left, nothing to report
        _quiet_closed_stdout()
        raise SystemExit(1) from None
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
    raise SystemExit(status if isinstance(status, int) else 0)


def _usage_message(error: click.UsageError, args: list[str]) -> str:
    """Click's message on one line, with its suggestion and where to find the usage."""
    message = _lower_first(error.format_message()).replace(". Did you mean", "; did you mean")
    path = error.ctx.command_path if error.ctx is not None else _command_path(args)
    if message.endswith("?"):
        return f"{message} (see '{path} --help')"
    return message.rstrip(".") + f"; see '{path} --help'"


def _command_path(args: list[str]) -> str:
    """``symml CMD`` for the first word of ``args`` that names a command, else ``symml``."""
    name = next((a for a in args if a in app.commands), None)
    return f"symml {name}" if name else "symml"


def _lower_first(text: str) -> str:
    """``No such option`` -> ``no such option``, as symml's own messages read (not ``LaTeX``)."""
    text = text.strip()
    if len(text) > 1 and text[0].isupper() and text[1].islower():
        return text[0].lower() + text[1:]
    return text


def _quiet_closed_stdout() -> None:
    """Point stdout at /dev/null so that Python's flush at exit does not fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # stdout is not a real file (tests): nothing to quiet
        pass


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
