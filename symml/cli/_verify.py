"""``symml verify`` and ``symml equiv``: registry formulas, your code, two formulas."""

from __future__ import annotations

import os
import sys
from typing import Any

import click
from click.exceptions import Exit

from symml.cli._options import (
    argument,
    command,
    console,
    json_flag,
    print_json,
    progress,
    read_latex,
    stdout_is_terminal,
    symbol_options,
    tab_row,
)
from symml.errors import SymmlError


@command("verify")
@argument("names", nargs=-1, help="Registry formula names.")
@click.option("--all", "all_", is_flag=True, help="Verify the whole registry.")
@click.option("--latex", default=None, help="Check your code against this LaTeX ('-': stdin).")
@click.option("--wrt", default=None, help="With --latex: your code returns d/dVAR.")
@click.option("--against", default=None, help="With --latex: your code, MODULE:FUNC.")
@click.option("--symbol", "-s", multiple=True, help="With --latex: declare NAME=KIND; repeatable.")
@click.option(
    "--arg",
    "args",
    multiple=True,
    metavar="PARAM=SYMBOL",
    help="With --latex: your function's parameter PARAM is the formula's SYMBOL (lam=lambda).",
)
@click.option("--strict", is_flag=True, help="Exit 1 also when a check could not be run (skipped).")
@click.option("--seed", default=0, show_default=True, help="Seed of the sampled points.")
@click.option("--points", default=1000, show_default=True, help="Sampled points per check.")
@click.option("--jobs", "-j", type=int, default=None, help="Worker processes (default 2).")
@json_flag
def verify_command(
    names: tuple[str, ...],
    all_: bool,
    latex: str | None,
    wrt: str | None,
    against: str | None,
    symbol: tuple[str, ...],
    args: tuple[str, ...],
    strict: bool,
    seed: int,
    points: int,
    jobs: int | None,
    as_json: bool,
) -> None:
    """Verify formulas (claims, hand-written code), or your code with --latex/--against.

    Exit status 0 when nothing was refuted or failed (checks that could not be run are
    counted as "not checked"), 1 when something was; --strict: 1 also when a check could
    not be run.
    """
    if latex is not None or against is not None:
        if latex is None or against is None or names or all_:
            raise SymmlError("use --latex LATEX --against MODULE:FUNC together, without names")
        _verify_user_code(
            read_latex(latex),
            against,
            wrt,
            symbol_options(list(symbol)),
            _arg_options(args),
            strict,
            seed,
            points,
            as_json,
        )
        return
    if wrt is not None or args:
        raise SymmlError("--wrt and --arg go with --latex and --against")
    if bool(names) == all_:
        raise SymmlError("name formulas to verify, or pass --all (not both)")
    from symml.registry import default_registry
    from symml.verification import verify

    total = len(default_registry().names()) if all_ else len(names or [])
    with progress(total, "verifying", shown=not as_json) as advance:
        report = verify(
            list(names) or None,
            all=all_,
            seed=seed,
            points=points,
            jobs=jobs,
            progress=lambda name, _rep: advance(name),
        )
    code = report.exit_code(strict)
    if as_json:
        print_json({**report.to_json(), "strict": strict, "exit_code": code})
    else:
        _print_report(report)
    if code:
        raise Exit(code)


def _arg_options(pairs: tuple[str, ...]) -> dict[str, str]:
    """``--arg lam=lambda`` -> {"lam": "lambda"}: a parameter name -> a formula symbol."""
    out: dict[str, str] = {}
    for pair in pairs:
        param, eq, symbol = pair.partition("=")
        if not eq or not param.strip().isidentifier() or not symbol.strip():
            raise SymmlError(f"--arg wants PARAM=SYMBOL (lam=lambda), got {pair!r}")
        out[param.strip()] = symbol.strip()
    return out


def _verify_user_code(
    latex: str,
    against: str,
    wrt: str | None,
    symbols: dict[str, str],
    args: dict[str, str],
    strict: bool,
    seed: int,
    points: int,
    as_json: bool,
) -> None:
    from symml.verification import FormulaReport, Report, verify_function

    if os.getcwd() not in sys.path:  # import the user's module as pytest would
        sys.path.insert(0, os.getcwd())
    result = verify_function(
        against, latex, wrt, symbols=symbols or None, seed=seed, points=points, args=args
    )
    report = Report((FormulaReport(latex, (result,)),), seed=seed)
    code = report.exit_code(strict)
    if as_json:
        print_json(
            {
                "ok": result.ok,
                "formulas": [{"name": latex, "checks": [result.to_json()]}],
                "errata": [],
                "not_checked": report.not_checked,
                "strict": strict,
                "exit_code": code,
            }
        )
    else:
        click.echo(f"{result.status.value}: {result.message}")
        if report.not_checked:
            click.echo("1 check not checked" + (" (--strict: a failure)" if strict else ""))
    if code:
        raise Exit(code)


def _print_report(report: Any) -> None:
    if not stdout_is_terminal():  # piped: one check per line, every value whole
        for f in report.formulas:
            for c in f.checks:
                click.echo(tab_row(f.name, c.claim, c.status.value, c.message))
    else:
        _print_table(report)
    counts = ", ".join(f"{n} {s}" for s, n in sorted(report.counts().items()))
    if report.errata:
        click.echo("errata confirmed (the documents are wrong here):")
        piped = not stdout_is_terminal()  # then one erratum per line, as the checks
        for c in report.errata:
            whole = " ".join(f"{c.formula}: {c.claim}: {c.erratum}".split())
            click.echo(f"  {whole}" if piped else f"  {c.formula}: {c.claim}\n    {c.erratum}")
    unchecked = f", {report.not_checked} not checked" if report.not_checked else ""
    click.echo(
        f"{len(report.checks)} checks: {counts}{unchecked}; " + ("OK" if report.ok else "FAILED")
    )


def _print_table(report: Any) -> None:
    from rich.markup import escape
    from rich.table import Table

    out = console()
    table = Table(title=f"symml verify (seed {report.seed})", show_lines=False, expand=True)
    for column, ratio in (("formula", 2), ("check", 3), ("status", 2), ("message", 7)):
        table.add_column(column, overflow="fold", ratio=ratio)
    colours = {
        "verified": "green",
        "verified_numerically": "green",
        "erratum": "yellow",
        "skipped": "dim",
    }
    for f in report.formulas:
        for c in f.checks:
            colour = colours.get(c.status.value, "red")
            message = c.message if len(c.message) < 400 else c.message[:397] + "..."
            table.add_row(
                escape(f.name), escape(c.claim), f"[{colour}]{c.status.value}[/]", escape(message)
            )
    out.print(table)


@command("equiv")
@argument("latex_a", help="The first formula (LaTeX).")
@argument("latex_b", help="The second formula (LaTeX).")
@click.option(
    "--symbol", "-s", multiple=True, help="Declare NAME=KIND (e.g. x=positive); repeatable."
)
@click.option("--seed", default=0, show_default=True, help="Seed of the sampled points.")
@click.option(
    "--as",
    "as_",
    type=click.Choice(["equations", "definitions"]),
    default="equations",
    show_default=True,
    help="equations: the same solutions; definitions: compare what f(x) = ... defines.",
)
@json_flag
def equiv_command(
    latex_a: str, latex_b: str, symbol: tuple[str, ...], seed: int, as_: str, as_json: bool
) -> None:
    """Are two formulas equal? Symbolically within a time bound, then at sampled points.

    Exit status 0 when equivalent, 1 when not (with a counterexample) or undecided.
    """
    from symml.serialize import jsonable
    from symml.verification import equiv

    result = equiv(
        read_latex(latex_a),
        read_latex(latex_b),
        symbols=symbol_options(list(symbol)) or None,
        seed=seed,
        as_=as_,
    )
    if as_json:
        print_json(jsonable(result))
    elif result["equivalent"] is True:
        click.echo(f"equivalent ({result['method']})")
    elif result["equivalent"] is False and result["counterexample"] is None:
        click.echo(f"not equivalent: {result.get('reason', result['method'])}")
    elif result["equivalent"] is False:
        cx = result["counterexample"]
        point = ", ".join(f"{k} = {_shown(jsonable(v))}" for k, v in cx["point"].items())
        entry = f"entry {cx['entry']} of " if "entry" in cx else ""
        click.echo(
            f"not equivalent: at {point}, {entry}A = {cx['a']:.10g} but {entry}B = {cx['b']:.10g}"
        )
    else:
        click.echo(f"unknown: {result.get('reason', 'neither proved nor refuted')}")
    if result["equivalent"] is not True:
        raise Exit(1)


def _shown(value: object) -> str:
    """A sampled value for one line: an array of more than six entries by its shape (the
    whole point is in --json)."""
    import numpy as np

    a = np.asarray(value, dtype=object)
    if a.ndim and a.size > 6:
        return f"<{' x '.join(map(str, a.shape))} array; --json has it>"
    return str(value)
