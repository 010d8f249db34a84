"""Corpus mode: ``symml check`` over directories, globs and notebooks, the worker pool, the
incremental cache, the output formats, and documents that time out or kill their worker.

The small book under ``tests/data/corpus_book`` has Markdown, LaTeX, plain text, a notebook
(with a code cell that would leave a file behind if it ever ran), a draft, a hidden
directory and a file of another suffix; the statuses below were worked out by hand from it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from symml.corpus import Source, check_corpus, check_source, discover, read_notebook, read_source

DATA = Path(__file__).parent / "data"
BOOK = DATA / "corpus_book"

#: (document, cell, line, status) of every formula of the book, in order, worked out by hand.
BOOK_RESULTS = [
    ("ch1.md", None, 5, "verified"),
    ("ch1.md", None, 9, "refuted"),
    ("ch2.markdown", None, 3, "verified"),
    ("drafts/draft.md", None, 3, "refuted"),
    ("lab.ipynb", 1, 3, "verified"),
    ("lab.ipynb", 4, 3, "refuted"),
    ("part2/ch3.tex", None, 2, "verified"),
]


def _symml(*args: str, cwd: Path, env: dict | None = None, stdin: str | None = None):
    environment = {**os.environ, **(env or {})}
    environment.pop("COLUMNS", None)
    return subprocess.run(
        [sys.executable, "-m", "symml.cli", "check", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=environment,
        input=stdin,
        timeout=600,
    )


@pytest.fixture
def book(tmp_path: Path) -> Path:
    """A copy of the book (tests may edit it), with a private cache directory."""
    copy = tmp_path / "book"
    shutil.copytree(BOOK, copy)
    return copy


@pytest.fixture(autouse=True)
def private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    cache = tmp_path / "cache"
    monkeypatch.setenv("SYMML_CACHE_DIR", str(cache))
    monkeypatch.delenv("SYMML_NO_CACHE", raising=False)
    return cache


def _rows(records: list[dict], root: str) -> list[tuple]:
    return [
        (Path(r["document"]).relative_to(root).as_posix(), r.get("cell"), r["line"], r["status"])
        for r in records
    ]


# --------------------------------------------------------------------------- finding documents


def _names(found: list, root: Path) -> list[str]:
    return [Path(f).relative_to(root).as_posix() for f in found]


def test_a_directory_means_its_documents_sorted_by_path_without_hidden_ones() -> None:
    assert _names(discover([str(BOOK)]), BOOK) == [
        "ch1.md",
        "ch2.markdown",
        "drafts/draft.md",
        "lab.ipynb",
        "part2/ch3.tex",
        "part2/notes.txt",
    ]


@pytest.mark.parametrize(
    ("include", "exclude", "expected"),
    [
        (
            (),
            ("drafts/*",),
            ["ch1.md", "ch2.markdown", "lab.ipynb", "part2/ch3.tex", "part2/notes.txt"],
        ),
        (("*.ipynb",), (), ["lab.ipynb"]),
        (("*.rst", "ch1.*"), (), ["ch1.md", "readme.rst"]),  # --include admits any suffix
        (("part2/*",), ("*.txt",), ["part2/ch3.tex"]),
        (("*.md",), ("draft.md",), ["ch1.md"]),  # a glob matches the path or the file name
    ],
    ids=["exclude-dir", "include-name", "include-other-suffix", "include-path", "by-name"],
)
def test_include_and_exclude_globs(include, exclude, expected) -> None:
    assert _names(discover([str(BOOK)], include=include, exclude=exclude), BOOK) == expected


def test_files_are_checked_whatever_their_suffix_and_each_once() -> None:
    rst, ch1 = BOOK / "readme.rst", BOOK / "ch1.md"
    found = discover([str(rst), str(ch1), str(BOOK), "-"])
    assert found[:2] == [rst, ch1] and found[-1] == "-"
    assert len(found) == len(set(map(str, found))) == 2 + 5 + 1  # ch1.md only once


def test_a_missing_path_is_one_line_and_exit_2_and_no_output_file(book: Path) -> None:
    result = _symml(
        str(book), str(book / "nope.md"), "-o", "out.html", "--format", "html", cwd=book.parent
    )
    assert result.returncode == 2
    assert result.stderr == f"error: no such document or directory: {book / 'nope.md'}\n"
    assert not (book.parent / "out.html").exists()
    assert not [p for p in book.parent.iterdir() if p.name.startswith(".out.html")]


def test_a_directory_without_documents_is_exit_2(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "image.png").write_bytes(b"\x89PNG")
    result = _symml(str(tmp_path / "empty"), cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("error: no document under ") and result.stderr.count("\n") == 1


# --------------------------------------------------------------------------- notebooks


def test_notebook_markdown_cells_are_checked_with_cell_and_line(tmp_path: Path) -> None:
    os.chdir(tmp_path)  # the code cell would write here if it were ever run
    result = check_source(read_source(BOOK / "lab.ipynb"))
    assert [(e.cell, e.line, e.status) for e in result.entries] == [
        (1, 3, "verified"),
        (4, 3, "refuted"),  # the raw cell 3 holds a wrong formula that is not checked
    ]
    assert result.entries[1].where == "cell 4, line 3"
    assert result.entries[1].to_json()["cell"] == 4
    assert not (tmp_path / "corpus_code_cell_ran").exists()


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("{not json", "not JSON"),
        ('{"cells": []}', "no 'nbformat' version"),
        (
            json.dumps(
                {
                    "nbformat": 4,
                    "nbformat_minor": 5,
                    "metadata": {},
                    "cells": [{"cell_type": "bogus", "id": "a", "metadata": {}, "source": "$x$"}],
                }
            ),
            "is not valid under any of the given schemas",
        ),
        (json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}}), "'cells'"),
    ],
    ids=["not-json", "no-version", "bad-cell-type", "no-cells"],
)
def test_an_invalid_notebook_is_a_one_line_error(text: str, why: str) -> None:
    message = read_notebook("x.ipynb", text)
    assert isinstance(message, str) and "\n" not in message
    assert message.startswith("x.ipynb: not a valid notebook: ") and why in message
    result = check_source(Source("x.ipynb", "notebook", text.encode()))
    assert result.bad_input and result.error == message
    assert [e.status for e in result.entries] == ["error"]


def test_an_invalid_notebook_in_a_folder_is_exit_2_and_the_rest_is_checked(book: Path) -> None:
    (book / "broken.ipynb").write_text('{"nbformat": 4, "cells": 7}')
    result = _symml(str(book), "--format", "json", "-j", "2", cwd=book.parent)
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert lines == [
        f"error: {book / 'broken.ipynb'}: not a valid notebook: "
        + lines[0].split("not a valid notebook: ", 1)[1]
    ]
    records = json.loads(result.stdout)
    bad = [r for r in records if r["document"].endswith("broken.ipynb")]
    assert [(r["status"], r["line"]) for r in bad] == [("error", None)]
    assert _rows([r for r in records if r not in bad], str(book)) == BOOK_RESULTS


# --------------------------------------------------------------------------- the pool and -j


def test_results_are_the_same_and_in_order_whatever_j(book: Path) -> None:
    outputs = [
        _symml(str(book), "--format", "json", "--no-cache", "-j", jobs, cwd=book.parent)
        for jobs in ("1", "2")
    ]
    for result in outputs:
        assert result.returncode == 1, result.stderr  # refuted formulas
        assert result.stderr == ""
    assert outputs[0].stdout == outputs[1].stdout
    assert _rows(json.loads(outputs[0].stdout), str(book)) == BOOK_RESULTS


def test_a_dying_worker_and_a_timeout_are_errors_of_their_document_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the workers import the per-document function from tests/data/corpus_helpers.py
    monkeypatch.setenv(
        "PYTHONPATH", os.pathsep.join([str(DATA), *filter(None, [os.environ.get("PYTHONPATH")])])
    )
    monkeypatch.syspath_prepend(str(DATA))
    from corpus_helpers import dying_check

    texts = [
        b"$$\\frac{d}{dx} x^2 = 2x$$\n",
        b"DIE\n$x$\n",
        b"SLEEP\n$x$\n",
        b"$$\\frac{d}{dx} x^2 = 3x$$\n",
    ]
    sources = [Source(f"d{k}.md", "markdown", t) for k, t in enumerate(texts)]
    results = list(check_corpus(sources, jobs=2, timeout=30, check=dying_check, cache=False))
    assert [r.document for r in results] == ["d0.md", "d1.md", "d2.md", "d3.md"]
    assert [e.status for e in results[0].entries] == ["verified"]
    assert results[1].error == "d1.md: the worker checking this document died"
    assert results[2].error == "d2.md: the check did not finish within 30 s"
    assert [e.status for e in results[3].entries] == ["refuted"]
    assert not results[1].bad_input and not results[2].bad_input


# --------------------------------------------------------------------------- the cache


def _results(sources):
    return list(check_corpus(sources, jobs=2))


def test_the_cache_serves_unchanged_documents_and_rechecks_edited_ones(
    book: Path, private_cache: Path
) -> None:
    paths = [book / "ch1.md", book / "ch2.markdown", book / "lab.ipynb"]
    first = _results([read_source(p) for p in paths])
    assert [r.cached for r in first] == [False, False, False]
    entries = list(private_cache.rglob("*.json"))
    assert len(entries) == 3 and not list(private_cache.rglob(".tmp-*"))

    second = _results([read_source(p) for p in paths])
    assert [r.cached for r in second] == [True, True, True]
    assert [r.entries for r in second] == [r.entries for r in first]

    (book / "ch1.md").write_text((book / "ch1.md").read_text().replace("2x^2", "3x^2"))
    third = _results([read_source(p) for p in paths])
    assert [r.cached for r in third] == [False, True, True]
    assert [e.status for e in third[0].entries] == ["verified", "verified"]


def test_the_same_bytes_under_another_name_are_a_hit_under_that_name(book: Path) -> None:
    _results([read_source(book / "ch1.md")])
    shutil.copy(book / "ch1.md", book / "copy.md")
    [again] = _results([read_source(book / "copy.md")])
    assert again.cached and {e.document for e in again.entries} == {str(book / "copy.md")}


def test_a_registry_change_invalidates_the_cache(
    book: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from symml.registry import formulas_dir

    registry = tmp_path / "formulas"
    shutil.copytree(formulas_dir(), registry)
    monkeypatch.setenv("SYMML_FORMULAS_DIR", str(registry))
    source = read_source(book / "ch2.markdown")
    assert not _results([source])[0].cached
    assert _results([source])[0].cached
    toml = sorted(registry.glob("*.toml"))[0]
    toml.write_text(toml.read_text() + "\n# an edit\n")
    assert not _results([source])[0].cached


def test_only_the_latest_generations_of_results_are_kept(
    book: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, private_cache: Path
) -> None:
    from symml.registry import formulas_dir

    registry = tmp_path / "formulas"
    shutil.copytree(formulas_dir(), registry)
    monkeypatch.setenv("SYMML_FORMULAS_DIR", str(registry))
    toml = sorted(registry.glob("*.toml"))[0]
    source = read_source(book / "ch2.markdown")
    for edit in range(6):  # every registry edit starts a generation of results
        toml.write_text(toml.read_text() + f"\n# edit {edit}\n")
        assert not _results([source])[0].cached
    generations = [d for d in (private_cache / "check").iterdir() if d.is_dir()]
    assert len(generations) == 4
    assert _results([source])[0].cached  # the latest survived


def test_no_cache_neither_reads_nor_writes(book: Path, private_cache: Path) -> None:
    result = _symml(str(book / "ch2.markdown"), "--no-cache", cwd=book.parent)
    assert result.returncode == 0, result.stderr
    assert not private_cache.exists()


def test_a_damaged_cache_entry_is_a_miss(book: Path, private_cache: Path) -> None:
    source = read_source(book / "ch2.markdown")
    _results([source])
    [entry] = private_cache.rglob("*.json")
    entry.write_text('{"key": "')
    [again] = _results([source])
    assert not again.cached and [e.status for e in again.entries] == ["verified"]


def test_a_result_from_another_symml_is_neither_used_nor_cached(private_cache: Path) -> None:
    [result] = check_corpus([Source("a.md", "markdown", b"$e^{0} = 1$")], check=_foreign)
    assert result.error.startswith("a.md: checked by a worker running another symml")
    assert not private_cache.exists()


def test_a_result_that_ran_out_of_time_is_checked_again_not_served(private_cache: Path) -> None:
    # a timeout says how loaded the machine was, not what the document says
    source = Source("t.md", "markdown", b"$$\\frac{d}{dx} x^2 = 2x$$\n")
    for _ in range(2):
        [slow] = check_corpus([source], formula_timeout=0)
        assert slow.timed_out == 1 and not slow.cached
        assert [e.status for e in slow.entries] == ["unchecked"]
        assert "ran out of time" in slow.entries[0].message
    assert not list(private_cache.rglob("*.json"))
    [fresh] = check_corpus([source])
    assert (fresh.timed_out, fresh.cached, fresh.entries[0].status) == (0, False, "verified")
    assert _served_from_cache(source)


def _served_from_cache(source: Source) -> bool:
    [again] = check_corpus([source])
    return again.cached and again.entries[0].status == "verified"


def test_the_cli_says_which_results_it_did_not_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    import symml.corpus
    from symml.cli import app

    original = symml.corpus.check_corpus
    monkeypatch.setattr(
        symml.corpus, "check_corpus", lambda *a, **k: original(*a, **k, formula_timeout=0)
    )
    doc = tmp_path / "t.md"
    doc.write_text("$$\\frac{d}{dx} x^2 = 2x$$\n")
    result = CliRunner().invoke(app, ["check", str(doc)])
    assert result.exit_code == 0, result.output
    assert result.stderr.strip().splitlines()[-1] == (
        "note: a computation ran out of time in 1 document; its result depends on the "
        "machine's load, so it is not cached and is checked again next time"
    )
    assert "note:" not in CliRunner().invoke(app, ["check", str(doc), "--no-cache"]).stderr


def _foreign(source: Source, formula_timeout: float | None = None):
    from dataclasses import replace

    return replace(check_source(source, formula_timeout), fingerprint="1|3.0|symml=0.0.1")


# --------------------------------------------------------------------------- output formats


def test_json_jsonl_and_table_say_the_same(book: Path) -> None:
    args = (str(book), "-j", "2")
    as_json = _symml(*args, "--format", "json", cwd=book.parent)
    as_jsonl = _symml(*args, "--format", "jsonl", cwd=book.parent)
    as_table = _symml(*args, cwd=book.parent)
    assert as_json.returncode == as_jsonl.returncode == as_table.returncode == 1
    records = json.loads(as_json.stdout)
    assert [json.loads(line) for line in as_jsonl.stdout.splitlines()] == records
    assert set(records[0]) == {
        "document",
        "line",
        "column",
        "latex",
        "status",
        "message",
        "registry",
        "class",
    }
    assert {r["cell"] for r in records if r["document"].endswith(".ipynb")} == {1, 4}
    assert f"{book / 'ch1.md'}: 2 found, 2 parsed, 1 verified, 1 refuted, 0 broken" in (
        as_table.stdout
    )
    assert "cell 4, line 3" in as_table.stdout
    assert "6 documents: 7 found, 7 parsed, 4 verified, 3 refuted, 0 broken (by class:" in (
        as_table.stdout
    )


def test_output_file_is_written_whole(book: Path) -> None:
    out = book.parent / "report.jsonl"
    result = _symml(str(book), "--format", "jsonl", "-o", str(out), cwd=book.parent)
    assert result.returncode == 1 and result.stdout == ""
    assert len(out.read_text().splitlines()) == len(BOOK_RESULTS)
    assert sorted(p.name for p in book.parent.iterdir()) == ["book", "cache", "report.jsonl"]


def test_json_flag_and_another_format_disagree(book: Path) -> None:
    result = _symml(str(book), "--json", "--format", "html", cwd=book.parent)
    assert result.returncode == 2
    assert result.stderr == "error: --json and --format html disagree; give one of them\n"


def test_stdin_is_a_document() -> None:
    result = _symml("-", "--format", "jsonl", cwd=DATA, stdin="$$\\frac{d}{dx} x^2 = 2x$$\n")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["document"] == "<stdin>"


# --------------------------------------------------------------------------- the progress bar


def test_a_progress_bar_on_a_terminal_for_a_directory(book: Path) -> None:
    import pty

    parent, child = pty.openpty()
    env = {**os.environ, "COLUMNS": "120", "TERM": "xterm"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "symml.cli", "check", str(book), "-j", "2", "--format", "json"],
        stdout=subprocess.PIPE,
        stderr=child,
        env=env,
        cwd=book.parent,
    )
    os.close(child)
    seen = b""
    while True:
        try:
            chunk = os.read(parent, 4096)
        except OSError:  # the terminal closed: the command ended
            break
        if not chunk:
            break
        seen += chunk
    stdout = proc.communicate(timeout=600)[0]
    os.close(parent)
    assert proc.returncode == 1
    assert json.loads(stdout)  # the results still go to stdout, whole
    text = seen.decode("utf-8", "replace")
    assert "checking" in text and "6/6" in text
    assert "7 formulas, 3 refuted" in text


def test_check_help_imports_neither_sympy_nor_dask_nor_nbformat() -> None:
    probe = (
        "import sys\n"
        "from symml.cli import main\n"
        "try:\n    main(['check', '--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('sympy', 'dask', 'distributed', 'nbformat', 'numpy')"
        " if m in sys.modules]\n"
        "print('HEAVY', heavy, file=sys.stderr)\n"
    )
    run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         timeout=120)  # fmt: skip
    assert run.stderr.strip().splitlines()[-1] == "HEAVY []", run.stderr
    assert "--executor" in run.stdout and "--include" in run.stdout


# --------------------------------------------------------------------------- -s declarations

RIDGE = "# Ridge\n\nThe objective is $J = \\|X\\mathbf{w} - \\mathbf{y}\\|^2$.\n"


def _parsed(doc: Path, *declare: str) -> dict:
    """The one formula's record, from ``symml check doc.md -s ... --json``."""
    args = [a for d in declare for a in ("-s", d)]
    proc = _symml(doc.name, *args, "--json", "--no-cache", cwd=doc.parent)
    [record] = json.loads(proc.stdout)
    return record


def test_declarations_reach_every_formula_of_the_document(tmp_path: Path) -> None:
    doc = tmp_path / "ridge.md"
    doc.write_text(RIDGE, encoding="utf-8")
    plain = _parsed(doc)
    declared = _parsed(doc, "X=matrix", "w=vector", "y=vector")
    # undeclared, X w - y is a scalar expression under a norm; declared, a matrix product of
    # vectors, whose entries the checker sees: the reading, hence the finding, differs
    assert declared["status"] != "error" and plain["status"] != "error"
    assert declared["message"] != plain["message"]


def test_a_bad_declaration_is_one_line_and_exit_2(tmp_path: Path) -> None:
    doc = tmp_path / "ridge.md"
    doc.write_text(RIDGE, encoding="utf-8")
    proc = _symml(doc.name, "-s", "X=matrx", cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "unknown kind 'matrx'" in proc.stderr
    assert proc.stdout == ""


def test_declarations_are_part_of_the_cache_key(tmp_path: Path, private_cache: Path) -> None:
    plain = Source("ridge.md", "markdown", RIDGE.encode())
    declared = Source(
        "ridge.md", "markdown", RIDGE.encode(), (("X", "matrix"), ("w", "vector"), ("y", "vector"))
    )
    [a] = check_corpus([plain], jobs=1)
    [b] = check_corpus([declared], jobs=1)  # a hit under the plain key would return a's entries
    [c] = check_corpus([declared], jobs=1)
    assert [e.message for e in b.entries] == [e.message for e in c.entries]
    assert [e.message for e in a.entries] != [e.message for e in b.entries]


def test_the_largest_documents_start_first_and_results_keep_document_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # one worker runs the calls in the order they were handed out
    order = tmp_path / "order.txt"
    monkeypatch.setenv("SYMML_TEST_ORDER", str(order))
    monkeypatch.setenv(
        "PYTHONPATH", os.pathsep.join([str(DATA), *filter(None, [os.environ.get("PYTHONPATH")])])
    )
    monkeypatch.syspath_prepend(str(DATA))
    from corpus_helpers import recording_check

    texts = {"small.md": b"$x$\n", "large.md": b"$x$ " * 50 + b"\n", "middle.md": b"$x$ $y$\n"}
    sources = [Source(name, "markdown", data) for name, data in texts.items()]
    results = list(check_corpus(sources, jobs=1, timeout=60, check=recording_check, cache=False))
    assert [r.document for r in results] == ["small.md", "large.md", "middle.md"]
    assert order.read_text(encoding="utf-8").split() == ["large.md", "middle.md", "small.md"]
