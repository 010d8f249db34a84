"""``symml check``: check the formulas of documents, folders and notebooks, in parallel.

Thin: the paths become documents (:func:`symml.corpus.discover`), :func:`symml.corpus.
check_corpus` checks them (cache, worker pool or Dask) and yields results in order, and this
module prints them: a table, JSON, JSON lines as documents finish, or the HTML report.
``-o FILE`` is written to a temporary file and renamed at the end, so an interrupted run
leaves no half-written report. Exit status: 2 when a document could not be read (each such
document is also one ``error:`` line on stderr; the others are still checked), else 1 when a
formula is refuted, a block is broken or a document or formula is an error, else 0.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import IO, Any

import click
from click.exceptions import Exit

from symml.cli._options import argument, command, json_flag, one_line, symbol_options
from symml.errors import SymmlError

FORMATS = ("table", "json", "jsonl", "html")


@command("check")
@argument(
    "documents",
    nargs=-1,
    required=True,
    help="Files, directories (every .md .markdown .tex .ipynb .txt under them), '-' for stdin.",
)
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=1),
    default=None,
    help="Worker processes (default: the number of cores).",
)
@click.option(
    "--executor",
    type=click.Choice(["local", "dask"]),
    default="local",
    show_default=True,
    help="Where documents are checked: worker processes or Dask.",
)
@click.option(
    "--scheduler",
    metavar="ADDRESS",
    default=None,
    help="A running Dask scheduler (tcp://host:8786); default: a LocalCluster.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default=None,
    help="Output: table (default), json, jsonl (a record per formula) or html.",
)
@json_flag
@click.option("-o", "--output", metavar="FILE", default=None, help="Write the output to FILE.")
@click.option(
    "--include",
    metavar="GLOB",
    multiple=True,
    help="In directories, only files matching GLOB (path or name); repeatable.",
)
@click.option(
    "--exclude",
    metavar="GLOB",
    multiple=True,
    help="In directories, leave out files matching GLOB; repeatable.",
)
@click.option(
    "-s",
    "--symbol",
    "symbol",
    multiple=True,
    metavar="NAME=KIND",
    help="Declare a symbol for every document (X=matrix, w=vector, p=probability).",
)
@click.option("--no-cache", is_flag=True, help="Neither read nor store cached results.")
@click.option(
    "--all",
    "all_",
    is_flag=True,
    help="List every formula in the table, bare symbols and notation too (JSON has them all).",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    metavar="SECONDS",
    help="Seconds per document (default 600).",
)
def check_command(
    documents: tuple[str, ...],
    jobs: int | None,
    executor: str,
    scheduler: str | None,
    fmt: str | None,
    as_json: bool,
    output: str | None,
    include: tuple[str, ...],
    exclude: tuple[str, ...],
    symbol: tuple[str, ...],
    no_cache: bool,
    all_: bool,
    timeout: float | None,
) -> None:
    """Find every formula of the documents, parse it and check its claims, by line.

    Exit status 1 when a claim is refuted, a math block is broken or a check failed; 2 when
    a document is missing or cannot be read.
    """
    from symml.corpus import DOCUMENT_TIMEOUT, check_corpus, discover, read_source

    if as_json and fmt not in (None, "json"):
        raise SymmlError(f"--json and --format {fmt} disagree; give one of them")
    fmt = "json" if as_json else fmt or "table"
    declared = tuple(sorted(symbol_options(list(symbol)).items()))
    sources = [
        replace(read_source(item), symbols=declared)
        for item in discover(documents, include=include, exclude=exclude)
    ]
    bar = _Progress(len(sources), shown=any(Path(d).is_dir() for d in documents if d != "-"))
    results = check_corpus(
        sources,
        jobs=jobs,
        executor=executor,
        scheduler=scheduler,
        cache=not no_cache,
        timeout=DOCUMENT_TIMEOUT if timeout is None else timeout,
        on_done=bar.advance,
    )
    root = click.get_current_context().find_root()
    debug = bool(root.params.get("debug")) or os.environ.get("SYMML_DEBUG", "") not in ("", "0")
    bad_input = failing = False
    slow = 0  # documents during whose check a computation ran out of time
    collected = []
    with _destination(output) as out, bar:
        for result in results:
            if result.bad_input:
                bad_input = True
                bar.echo(one_line(f"error: {result.error}"))
            failing = failing or _failed(result)
            slow += bool(result.timed_out)
            if debug:
                for entry in result.entries:
                    if entry.debug:
                        bar.echo(f"{result.document}: {entry.where}:\n{entry.debug.rstrip()}")
            if fmt == "jsonl":
                for entry in result.entries:
                    out.write(json.dumps(entry.to_json(), ensure_ascii=False) + "\n")
                out.flush()
            else:
                collected.append(result)
        bar.close()
        _write(fmt, collected, out, everything=all_)
    if slow and not no_cache:
        which = "document" if slow == 1 else "documents"
        click.echo(
            f"note: a computation ran out of time in {slow} {which}; its result depends on "
            "the machine's load, so it is not cached and is checked again next time",
            err=True,
        )
    if bad_input:
        raise Exit(2)
    if failing:
        raise Exit(1)


def _write(fmt: str, results: list[Any], out: IO[str], everything: bool = False) -> None:
    if fmt == "json":
        data = [e.to_json() for r in results for e in r.entries]
        out.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    elif fmt == "html":
        from symml.corpus import html_report

        out.write(html_report(results))
    elif fmt == "table":
        _table(results, out, everything)


def _table(results: list[Any], out: IO[str], everything: bool = False) -> None:
    from rich.console import Console
    from rich.table import Table

    from symml.documents import listed, summarise

    terminal = out is sys.stdout and _isatty(sys.stdout)
    console = Console(
        file=out,
        highlight=False,
        soft_wrap=not terminal,
        force_terminal=None if terminal else False,
    )
    every = []
    for result in results:
        table = Table(title=result.document, show_lines=False)
        for column in ("line", "status", "latex", "message", "registry"):
            table.add_column(column, overflow="fold")
        checks = _as_checks(result)
        # bare symbols and notation are counted in the summary line, listed with --all
        shown = {id(c) for c in listed(checks, everything=everything)}
        of_entry = iter(checks)
        hidden = 0
        for e in result.entries:
            if e.line is not None and id(next(of_entry)) not in shown:
                hidden += 1
                continue
            table.add_row(e.where, e.status, e.latex, e.message, e.registry or "")
        console.print(table)
        every.extend(checks)
        line = summarise(checks).line(result.document)
        if hidden:
            rows = "row" if hidden == 1 else "rows"
            line += f"; {hidden} notation {rows} not listed (--all lists them)"
        if result.error is not None:
            line = f"{result.document}: not checked: {result.error}"
        console.print(line, markup=False, soft_wrap=True)
    if len(results) > 1:
        unchecked = sum(r.error is not None for r in results)
        line = summarise(every).line(f"{len(results)} documents")
        if unchecked:
            line += f"; {unchecked} documents not checked"
        console.print(line, markup=False, soft_wrap=True)


def _as_checks(result: Any) -> list[Any]:
    """The formulas of a result as the documents API's FormulaCheck values (for its counts)."""
    from symml.documents import FormulaCheck, Statement, Status

    return [
        FormulaCheck(
            e.document,
            e.line,
            e.column,
            e.latex,
            Status(e.status),
            e.message,
            e.registry,
            Statement(e.statement) if e.statement else None,
            e.correction,
        )
        for e in result.entries
        if e.line is not None
    ]


def _failed(result: Any) -> bool:
    """Exit 1 for this document: an error, or what the documents API counts as a failure."""
    from symml.documents import exit_status

    return result.error is not None or exit_status(_as_checks(result)) != 0


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


@contextlib.contextmanager
def _destination(output: str | None) -> Iterator[IO[str]]:
    """stdout, or a temporary file beside ``output`` renamed onto it when all went well."""
    if output is None or output == "-":
        yield sys.stdout
        return
    target = Path(output)
    if target.is_dir():
        raise SymmlError(f"-o {output} is a directory")
    try:
        fd, tmp = tempfile.mkstemp(
            dir=target.parent if str(target.parent) else ".",
            prefix=f".{target.name}.",
            suffix=".tmp",
        )
    except OSError as e:
        raise SymmlError(f"cannot write {output}: {e.strerror or e}") from e
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            yield fh
        os.replace(tmp, target)
    finally:
        Path(tmp).unlink(missing_ok=True)


class _Progress:
    """Documents done out of total, formulas found, refutations so far: on stderr, for a
    directory, when stderr is a terminal (nothing otherwise). Erased when the run ends."""

    def __init__(self, total: int, *, shown: bool) -> None:
        self.total, self.done, self.formulas, self.refuted = total, 0, 0, 0
        self.bar: Any = None
        if shown and _isatty(sys.stderr):
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
            )

            self.bar = Progress(
                TextColumn("checking"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.description}"),
                TimeElapsedColumn(),
                console=Console(stderr=True),
                transient=True,
            )
            self.task = self.bar.add_task("", total=total)

    def __enter__(self) -> _Progress:
        if self.bar is not None:
            self.bar.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def advance(self, result: Any) -> None:
        self.done += 1
        counts = result.counts()
        self.formulas += counts["found"]
        self.refuted += counts["refuted"]
        if self.bar is not None:
            self.bar.update(
                self.task,
                advance=1,
                description=f"{self.formulas} formulas, {self.refuted} refuted",
            )

    def echo(self, line: str) -> None:
        if self.bar is not None:
            self.bar.console.print(line, markup=False, highlight=False, soft_wrap=True)
        else:
            click.echo(line, err=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()
            self.bar = None
