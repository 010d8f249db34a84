"""From the paths a user names to the documents to check, in a fixed order.

A file is checked whatever its suffix; a directory means every document under it (sorted
by path, hidden files and directories such as ``.git`` and ``.ipynb_checkpoints``
left out) whose suffix is one of :data:`SUFFIXES`, or, with ``include`` globs, every file
matching one of them; ``exclude`` globs then remove files. A glob matches the path relative
to the directory named (``drafts/*.md``) or the file name (``*.ipynb``). ``-`` is stdin.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from fnmatch import fnmatchcase
from pathlib import Path

from symml.corpus._model import Source
from symml.errors import SymmlError

#: What a directory contributes by default.
SUFFIXES = (".md", ".markdown", ".tex", ".ipynb", ".txt")


def discover(
    paths: Sequence[str], *, include: Sequence[str] = (), exclude: Sequence[str] = ()
) -> list[Path | str]:
    """The documents that ``paths`` name, in order, each once (``"-"`` stays ``"-"``).

    Raises:
        SymmlError: a path that does not exist, or a directory with no document in it.

    Examples:
        >>> discover(["-"])
        ['-']
    """
    found: list[Path | str] = []
    seen: set[str] = set()

    def add(item: Path | str) -> None:
        key = item if isinstance(item, str) else os.path.realpath(item)
        if key not in seen:
            seen.add(key)
            found.append(item)

    for raw in paths:
        if raw == "-":
            add("-")
            continue
        path = Path(raw)
        if path.is_dir():
            under = _walk(path, include, exclude)
            if not under:
                wanted = ", ".join(include) if include else " ".join(SUFFIXES)
                raise SymmlError(f"no document under {raw} (looked for {wanted})")
            for file in under:
                add(file)
        elif path.is_file():
            add(path)
        else:
            raise SymmlError(f"no such document or directory: {raw}")
    return found


def _walk(root: Path, include: Sequence[str], exclude: Sequence[str]) -> list[Path]:
    files = []
    for directory, subdirs, names in os.walk(root):
        subdirs[:] = sorted(d for d in subdirs if not d.startswith("."))
        for name in sorted(names):
            if name.startswith("."):
                continue
            path = Path(directory) / name
            relative = path.relative_to(root).as_posix()
            if include:
                if not any(_match(relative, name, g) for g in include):
                    continue
            elif path.suffix.lower() not in SUFFIXES:
                continue
            if any(_match(relative, name, g) for g in exclude):
                continue
            files.append(path)
    return sorted(files, key=lambda p: p.relative_to(root).parts)


def _match(relative: str, name: str, glob: str) -> bool:
    return fnmatchcase(relative, glob) or fnmatchcase(name, glob)


def read_source(item: Path | str) -> Source:
    """Read one discovered document (bytes; decoding is the checker's job).

    Raises:
        SymmlError: the file cannot be read (permissions, vanished).
    """
    if item == "-":
        return Source(
            "<stdin>",
            "markdown",
            sys.stdin.buffer.read()
            if hasattr(sys.stdin, "buffer")
            else sys.stdin.read().encode("utf-8"),
        )
    path = Path(item)
    try:
        data = path.read_bytes()
    except OSError as e:
        raise SymmlError(f"cannot read {item}: {e.strerror or e}") from e
    from symml.documents import format_of

    kind = "notebook" if path.suffix.lower() == ".ipynb" else format_of(path.name)
    return Source(str(item), kind, data)
