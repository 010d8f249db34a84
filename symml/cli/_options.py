"""What the commands share: the command and argument classes, ``--json``, output helpers."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any

import click


class Argument(click.Argument):
    """A positional argument with a help text, listed under "Arguments:" in ``--help``."""

    def __init__(self, *args: Any, help: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.help = help


class Command(click.Command):
    """A command whose ``--help`` lists the help texts of its arguments."""

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        if hasattr(click.Command, "format_arguments"):  # Click >= 8.5 lists them itself
            super().format_options(ctx, formatter)
            return
        rows = [
            (p.make_metavar(ctx), p.help or "")
            for p in self.params
            if isinstance(p, Argument) and p.help
        ]
        if rows:
            with formatter.section("Arguments"):
                formatter.write_dl(rows)
        super().format_options(ctx, formatter)


def command(name: str) -> Callable[[Callable[..., Any]], click.Command]:
    """``click.command`` of the class every symml command has."""
    return click.command(name, cls=Command)


def argument(*decls: str, **kwargs: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``click.argument`` that takes ``help=``."""
    return click.argument(*decls, cls=Argument, **kwargs)


# --json, shared by every command that prints
json_flag = click.option(
    "--json",
    "as_json",
    is_flag=True,
    help='Print JSON: an expression is {"sympy", "latex"}; the README lists the shapes.',
)


# --------------------------------------------------------------------------- output helpers


def print_json(data: Any) -> None:
    """Write ``data`` as indented JSON to stdout."""
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))


def console() -> Any:
    """A Rich console on stdout (imported lazily: Rich costs start-up time)."""
    from rich.console import Console

    return Console(highlight=False)


def symbol_options(symbol: list[str]) -> dict[str, str]:
    """``-s x=real -s w=vector`` -> {"x": "real", "w": "vector"}, kinds validated."""
    from symml.symbols import parse_kind

    declared = {}
    for item in symbol:
        name, sep, kind = item.partition("=")
        if not sep or not name.strip():
            raise click.BadParameter(f"expected NAME=KIND, got {item!r}", param_hint="--symbol")
        parse_kind(name.strip(), kind.strip())
        declared[name.strip()] = kind.strip()
    return declared


def read_latex(text: str) -> str:
    """A LaTeX argument; ``-`` reads standard input."""
    return sys.stdin.read().strip() if text == "-" else text


def one_line(text: str) -> str:
    """``text`` on one line: an error is one line on stderr."""
    return " ".join(text.split("\n"))
