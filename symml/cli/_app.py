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

import json
import os
import sys
import traceback
from collections.abc import Callable
from typing import Any

import click
from click.exceptions import Exit

from symml.errors import ParseError, SymmlError, VerificationError
from symml.serialize import expr_json


class _Argument(click.Argument):
    """A positional argument with a help text, listed under "Arguments:" in ``--help``."""

    def __init__(self, *args: Any, help: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.help = help


class _Command(click.Command):
    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        if hasattr(click.Command, "format_arguments"):  # Click >= 8.5 lists them itself
            super().format_options(ctx, formatter)
            return
        rows = [
            (p.make_metavar(ctx), p.help or "")
            for p in self.params
            if isinstance(p, _Argument) and p.help
        ]
        if rows:
            with formatter.section("Arguments"):
                formatter.write_dl(rows)
        super().format_options(ctx, formatter)


class _Group(click.Group):
    command_class = _Command

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(self.commands)  # in the order they are defined, not sorted


def argument(*decls: str, **kwargs: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``click.argument`` that takes ``help=``."""
    return click.argument(*decls, cls=_Argument, **kwargs)


# --json, shared by every command that prints
json_flag = click.option(
    "--json", "as_json", is_flag=True,
    help="Print JSON: an expression is {\"sympy\", \"latex\"}; the README lists the shapes.",
)


# --------------------------------------------------------------------------- output helpers


def print_json(data: Any) -> None:
    """Write ``data`` as indented JSON to stdout."""
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))


def console() -> Any:
    """A Rich console on stdout (imported lazily: Rich costs start-up time)."""
    from rich.console import Console

    return Console(highlight=False)


def _symbol_options(symbol: list[str]) -> dict[str, str]:
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


def _read_latex(text: str) -> str:
    """A LaTeX argument; ``-`` reads standard input."""
    return sys.stdin.read().strip() if text == "-" else text


# --------------------------------------------------------------------------- root options


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


# --------------------------------------------------------------------------- registry commands


@app.command("list")
@click.option("--tag", "-t", default=None, help="Only this tag.")
@json_flag
def list_command(tag: str | None, as_json: bool) -> None:
    """List the registry's formulas (name, title, LaTeX, tags, sources)."""
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
    # A plain table, one line per formula cut to the terminal's width: Rich takes ~0.3 s to
    # lay out 150 rows, more than the rest of `symml list`. --json and `symml show` give
    # everything in full.
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
        click.echo(_one_line(f"error: {problem}"), err=True)
    if registry.problems:
        raise Exit(2)


def _cut(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _short_source(source: str) -> str:
    """``001_ccc9e13ff71ddb5d.txt: Sigmoid`` -> ``001: Sigmoid``."""
    document, sep, section = source.partition(":")
    return document.split("_")[0] + sep + section if document[:3].isdigit() else source


@app.command("show")
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
        click.echo(_one_line(f"error: {problem}"), err=True)
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
    if data["claims"]:
        table = Table(title="claims")
        for column in ("kind", "wrt", "latex", "erratum"):
            table.add_column(column, overflow="fold")
        for c in data["claims"]:
            erratum = c["erratum"] or ("does not parse" if "error" in c else "")
            table.add_row(c["kind"], c["wrt"] or "", escape(c["latex"]), escape(erratum))
        out.print(table)


@app.command("parse")
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
    from symml.latex import parse_latex

    text = _read_latex(latex)
    value = parse_latex(
        text, symbols=_symbol_options(list(symbol)) or None, functions=list(function) or None
    )
    parsed = expr_json(value)
    if as_json:
        if "lhs" in parsed:
            print_json({"input": text, "lhs": parsed["lhs"], "rhs": parsed["rhs"]})
        else:
            print_json({"input": text, "expr": parsed})
        return
    out = console()
    out.print(f"SymPy  {parsed['sympy']}", markup=False)
    out.print(f"LaTeX  {parsed['latex']}", markup=False)


# --------------------------------------------------------------------------- more commands
# derive, verify, equiv, check and cheatsheet go here: one small function per command that
# reads its arguments, calls the API (symml.derivation._derive, symml.verification._verify, ...) and prints with
# print_json/expr_json or Rich. Raise SymmlError for bad input; main() reports it.


@app.command("derive")
@argument("name", required=False, default=None, help="A registry formula name.")
@click.option("--wrt", default="", help="The variable (a vector name: one component).")
@click.option("--latex", default=None, help="Differentiate this LaTeX instead ('-': stdin).")
@click.option("--order", default=1, show_default=True, help="How many times (>= 1).")
@click.option("--steps", is_flag=True, help="Show the step-by-step derivation.")
@json_flag
def derive_command(
    name: str | None, wrt: str, latex: str | None, order: int, steps: bool, as_json: bool
) -> None:
    """Differentiate a formula: the derivative, its textbook form, and (--steps) the steps."""
    from symml.derivation import derive

    if (name is None) == (latex is None):
        raise SymmlError("give a registry NAME or --latex LATEX (exactly one)")
    if not wrt:
        raise SymmlError("--wrt VAR is required")
    if latex is not None:
        from symml.latex import parse_latex

        subject: Any = parse_latex(_read_latex(latex))
    else:
        subject = name
    d = derive(subject, wrt, order, steps=steps)
    if as_json:
        print_json(d.to_json())
        return
    data = d.to_json()
    out = console()
    for label, key in (("input", "input"), ("derivative", "derivative"), ("textbook", "textbook")):
        out.print(f"{label:<11}{data[key]['latex']}", markup=False, soft_wrap=True)
    for note in d.notes:
        out.print(f"note       {note}", markup=False, soft_wrap=True)
    if steps and d.steps is not None:
        from symml.derivation.steps import to_text

        out.print(to_text(d.steps), markup=False, soft_wrap=True)


@app.command("verify")
@argument("names", nargs=-1, help="Registry formula names.")
@click.option("--all", "all_", is_flag=True, help="Verify the whole registry.")
@click.option("--latex", default=None, help="Check your code against this LaTeX ('-': stdin).")
@click.option("--wrt", default=None, help="With --latex: your code returns d/dVAR.")
@click.option("--against", default=None, help="With --latex: your code, MODULE:FUNC.")
@click.option("--symbol", "-s", multiple=True, help="With --latex: declare NAME=KIND; repeatable.")
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
    seed: int,
    points: int,
    jobs: int | None,
    as_json: bool,
) -> None:
    """Verify formulas (claims, hand-written code), or your code with --latex/--against.

    Exit status 0 when every check is verified (or a confirmed erratum), 1 otherwise.
    """
    if latex is not None or against is not None:
        if latex is None or against is None or names or all_:
            raise SymmlError("use --latex LATEX --against MODULE:FUNC together, without names")
        _verify_user_code(
            _read_latex(latex), against, wrt, _symbol_options(list(symbol)), seed, points, as_json
        )
        return
    if wrt is not None:
        raise SymmlError("--wrt goes with --latex and --against")
    if bool(names) == all_:
        raise SymmlError("name formulas to verify, or pass --all (not both)")
    from rich.console import Console
    from rich.progress import Progress

    from symml.registry import default_registry
    from symml.verification import verify

    total = len(default_registry().names()) if all_ else len(names or [])
    with Progress(console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("verifying", total=total)
        report = verify(
            list(names) or None,
            all=all_,
            seed=seed,
            points=points,
            jobs=jobs,
            progress=lambda name, _rep: bar.update(task, advance=1, description=name),
        )
    if as_json:
        print_json(report.to_json())
    else:
        _print_report(report)
    if not report.ok:
        raise Exit(1)


def _verify_user_code(
    latex: str,
    against: str,
    wrt: str | None,
    symbols: dict[str, str],
    seed: int,
    points: int,
    as_json: bool,
) -> None:
    from symml.verification import Status, verify_function

    if os.getcwd() not in sys.path:  # import the user's module as pytest would
        sys.path.insert(0, os.getcwd())
    result = verify_function(against, latex, wrt, symbols=symbols or None, seed=seed, points=points)
    ok = result.status in (Status.VERIFIED, Status.VERIFIED_NUMERICALLY)
    if as_json:
        print_json(
            {"ok": ok, "formulas": [{"name": latex, "checks": [result.to_json()]}], "errata": []}
        )
    else:
        click.echo(f"{result.status.value}: {result.message}")
    if not ok:
        raise Exit(1)


def _print_report(report: Any) -> None:
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
    if report.errata:
        out.print("[bold]errata confirmed[/bold] (the documents are wrong here):")
        for c in report.errata:
            out.print(f"  {c.formula}: {c.claim}\n    {c.erratum}", markup=False, soft_wrap=True)
    counts = ", ".join(f"{n} {s}" for s, n in sorted(report.counts().items()))
    out.print(
        f"{len(report.checks)} checks: {counts}; " + ("OK" if report.ok else "FAILED"), markup=False
    )


@app.command("equiv")
@argument("latex_a", help="The first formula (LaTeX).")
@argument("latex_b", help="The second formula (LaTeX).")
@click.option(
    "--symbol", "-s", multiple=True, help="Declare NAME=KIND (e.g. x=positive); repeatable."
)
@click.option("--seed", default=0, show_default=True, help="Seed of the sampled points.")
@json_flag
def equiv_command(
    latex_a: str, latex_b: str, symbol: tuple[str, ...], seed: int, as_json: bool
) -> None:
    """Are two formulas equal? Symbolically within a time bound, then at sampled points.

    Exit status 0 when equivalent, 1 when not (with a counterexample) or undecided.
    """
    from symml.serialize import jsonable as _jsonable
    from symml.verification import equiv

    result = equiv(
        _read_latex(latex_a),
        _read_latex(latex_b),
        symbols=_symbol_options(list(symbol)) or None,
        seed=seed,
    )
    if as_json:
        print_json(_jsonable_dict(result, _jsonable))
    elif result["equivalent"] is True:
        click.echo(f"equivalent ({result['method']})")
    elif result["equivalent"] is False:
        cx = result["counterexample"]
        point = ", ".join(f"{k} = {_jsonable(v)}" for k, v in cx["point"].items())
        click.echo(f"not equivalent: at {point}, A = {cx['a']:.10g} but B = {cx['b']:.10g}")
    else:
        click.echo(f"unknown: {result.get('reason', 'neither proved nor refuted')}")
    if result["equivalent"] is not True:
        raise Exit(1)


def _jsonable_dict(value: Any, convert: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable_dict(v, convert) for k, v in value.items()}
    return convert(value)


@app.command("cheatsheet")
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


@app.command("check")
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


# --------------------------------------------------------------------------- entry point


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
        click.echo(_one_line(f"error: internal error: {type(e).__name__}: {e} (a bug in symml; "
                             "rerun with --debug for the traceback)")[:500], err=True)
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
        click.echo(_one_line(prefix + segment), err=True)
        click.echo(" " * len(prefix) + caret, err=True)
        return
    click.echo(_one_line(f"error: {error}"), err=True)


def _one_line(text: str) -> str:
    return " ".join(text.split("\n"))


if __name__ == "__main__":
    main()
