"""What the commands share: the command and argument classes, ``--json``, output helpers."""

from __future__ import annotations

import contextlib
import json
import re
import sys
from collections.abc import Callable, Iterator
from typing import Any

import click

from symml.cli._cache import CACHED, run_cached


class Argument(click.Argument):
    """A positional argument with a help text, listed under "Arguments:" in ``--help``."""

    def __init__(self, *args: Any, help: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.help = help


class Command(click.Command):
    """A symml command: a formula argument may start with ``-``; ``--help`` lists arguments.

    Negative log-likelihoods, entropies and losses begin with a minus, so a word that starts
    with ``-`` and is none of the command's options is a positional argument (a formula or a
    file) when the command takes one: ``symml parse '-\\frac{1}{m}\\sum ...'``. A word that
    starts with ``--`` stays an option (``--jsn`` is a typo, not a formula) unless it could not
    be one (``--x^2``). ``-`` alone is standard input and ``--`` ends the options, as ever.
    """

    def __init__(self, name: str | None, *args: Any, **kwargs: Any) -> None:
        super().__init__(name, *args, **kwargs)
        if name in CACHED and not any(p.name == "no_cache" for p in self.params):
            help_ = "Compute afresh: neither read nor store a cached result."
            self.params.append(click.Option(["--no-cache"], is_flag=True, help=help_))

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command; a cached one through the result cache (see ``_cache``)."""
        if self.name not in CACHED or ctx.params.pop("no_cache", False):
            return super().invoke(ctx)
        return run_cached(ctx, lambda: super(Command, self).invoke(ctx))

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        return super().parse_args(ctx, self._positionals_last(ctx, args))

    def _positionals_last(self, ctx: click.Context, args: list[str]) -> list[str]:
        """``args`` with every positional word moved after a ``--``, in the order given.

        Options and their values keep their order; only the words Click would misread as
        options need the ``--``, but moving every positional keeps their relative order.
        """
        params = self.get_params(ctx)
        if not any(isinstance(p, click.Argument) for p in params):
            return args
        takes: dict[str, int] = {}  # option word -> how many values follow it
        for p in params:
            if isinstance(p, click.Option):
                n = 0 if p.is_flag or p.count else p.nargs
                for word in (*p.opts, *p.secondary_opts):
                    takes[word] = n
        options: list[str] = []
        positionals: list[str] = []
        words = iter(args)
        for word in words:
            if word == "--":
                positionals.extend(words)
                break
            option = self._option_word(word, takes)
            if option is None:
                positionals.append(word)
                continue
            options.append(word)
            attached = "=" in word if word.startswith("--") else len(word) > 2
            for _ in range(0 if attached else takes.get(option, 0)):
                value = next(words, None)
                if value is None or value in takes:  # `--wrt --json`: the value was forgotten
                    message = f"Option {option!r} requires an argument."
                    raise click.BadOptionUsage(option, message, ctx)
                options.append(value)
        return [*options, "--", *positionals] if positionals else options

    @staticmethod
    def _option_word(word: str, takes: dict[str, int]) -> str | None:
        """The option ``word`` names (known or a typo for Click to report), else None."""
        if not word.startswith("-") or word == "-":
            return None
        if word.startswith("--"):
            name = word.split("=", 1)[0]
            return name if name in takes or _OPTION_NAME.fullmatch(name) else None
        short, attached = word[:2], word[2:]
        if short not in takes:
            return None
        shape = _ATTACHED.get(short)
        if attached and shape is not None and not shape.fullmatch(attached):
            return None  # `-s^2`, `-f(x)`: a formula, not -s/-f with a value
        return short

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


_OPTION_NAME = re.compile(r"--[A-Za-z][A-Za-z0-9_-]*")
#: What a value glued to a short option looks like (`-sx=real`, `-fh`, `-j4`, `-tloss`):
#: a word of another shape after `-s` or `-f` is a formula that starts with a minus.
_ATTACHED = {
    "-s": re.compile(r"[A-Za-z_]\w*=[\w\[\], ]+"),
    "-f": re.compile(r"[A-Za-z_]\w*"),
    "-j": re.compile(r"\d+"),
}


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
    """A Rich console on stdout (imported lazily: Rich costs start-up time).

    Piped, it wraps nothing: a value is printed whole on its line, never folded at 80 columns.
    """
    from rich.console import Console

    return Console(highlight=False, soft_wrap=not stdout_is_terminal())


def stdout_is_terminal() -> bool:
    """Is stdout a terminal? Rich tables are for terminals; pipes get whole values."""
    try:
        return sys.stdout.isatty()
    except (AttributeError, ValueError):  # a closed or replaced stdout
        return False


def stderr_is_terminal() -> bool:
    """Is stderr a terminal (where a progress bar can be drawn and erased)?"""
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


def tab_row(*values: str) -> str:
    r"""One record per line for pipes: whole values, tab-separated, whitespace runs as one space.

    Examples:
        >>> tab_row("sigmoid", "a\tb", "two\nlines")
        'sigmoid\ta b\ttwo lines'
    """
    return "\t".join(" ".join(str(v).split()) for v in values)


@contextlib.contextmanager
def progress(total: int, description: str, *, shown: bool) -> Iterator[Callable[..., None]]:
    """A Rich progress bar on stderr while the block runs; yields ``advance(description)``.

    Not ``shown`` (JSON output, or stderr not a terminal): nothing is drawn and ``advance``
    does nothing. The bar is erased when the block ends.
    """
    if not shown or not stderr_is_terminal():
        yield lambda *_args, **_kwargs: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())  # fmt: skip
    stream = getattr(sys.stderr, "uncached", sys.stderr)  # a bar is never a cached result
    with Progress(*columns, console=Console(file=stream), transient=True) as bar:
        task = bar.add_task(description, total=total or None)

        def advance(what: str | None = None, steps: int = 1, total: int | None = None) -> None:
            bar.update(task, advance=steps, description=what or description, total=total)

        yield advance


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
