"""Validation of registry files: fields, their types, references, definitions; suggestions.

Every check appends its findings to a list of problems, each naming file, table and field,
so one load reports every mistake at once. Nothing here parses LaTeX.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from symml.errors import RegistryError
from symml.symbols import parse_symbols

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

# field -> (required, expected shape: see _check_value)
FORMULA_FIELDS: dict[str, tuple[bool, str]] = {
    "title": (True, "str"),
    "latex": (True, "str"),
    "symbols": (True, "table"),
    "sources": (True, "nonempty list"),
    "tags": (True, "nonempty list"),
    "handwritten": (False, "ref"),
    "handwritten_erratum": (False, "str"),
    "adapter": (False, "table"),
    "notes": (False, "str"),
    "functions": (False, "list"),
    "definitions": (False, "list"),
    "claims": (False, "claims"),
}
CLAIM_FIELDS: dict[str, tuple[bool, str]] = {
    "kind": (True, "str"),
    "latex": (True, "str"),
    "wrt": (False, "str"),
    "source": (False, "str"),
    "handwritten": (False, "ref"),
    "adapter": (False, "table"),
    "erratum": (False, "str"),
    "handwritten_erratum": (False, "str"),
    "notes": (False, "str"),
    "symbols": (False, "table"),
}
NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
HANDWRITTEN_PACKAGE = "symml.handwritten."
_REF_RE = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")


def read_toml(file: Path, label: str, problems: list[str]) -> dict[str, Any]:
    """The tables of one registry file; an unreadable or malformed file is a problem."""
    try:
        with file.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as e:
        problems.append(f"{label}: malformed TOML: {e}")
    except (OSError, UnicodeDecodeError) as e:
        problems.append(f"{label}: cannot read: {e}")
    return {}


def needs_handwritten(table: Any, where: str, problems: list[str]) -> None:
    """``handwritten_erratum`` is about the code of ``handwritten``: both or neither."""
    if isinstance(table, dict) and "handwritten_erratum" in table and "handwritten" not in table:
        problems.append(
            f"{where}: field 'handwritten_erratum' needs a 'handwritten' reference (the "
            "erratum is about that code)"
        )


def check_fields(
    table: Any, spec: Mapping[str, tuple[bool, str]], where: str, problems: list[str]
) -> None:
    if not isinstance(table, dict):
        problems.append(f"{where}: expected a table, got a {type_name(table)}")
        return
    for key in table:
        if key not in spec:
            problems.append(f"{where}: unknown field {key!r}{did_you_mean(key, list(spec))}")
    for key, (required, expected) in spec.items():
        if key not in table:
            if required:
                problems.append(f"{where}: missing required field {key!r}")
            continue
        message = _check_value(table[key], expected)
        if message:
            problems.append(f"{where}: field {key!r}: {message}")
        elif key == "symbols":
            try:
                parse_symbols(table[key])
            except RegistryError as e:
                problems.append(f"{where}: field 'symbols': {e}")


def _check_value(value: Any, expected: str) -> str | None:
    """None when ``value`` has the expected shape, else what is wrong with it."""
    if expected == "str":
        if not isinstance(value, str) or not value.strip():
            return f"expected a non-empty string, got {value!r}"
    elif expected == "ref":
        if not isinstance(value, str) or not _REF_RE.match(value):
            return f"expected 'package.module:function', got {value!r}"
        if not value.startswith(HANDWRITTEN_PACKAGE):
            # a registry file names code to import and run: only symml's own ports qualify
            # (a user's own code is checked with `symml verify --against MODULE:FUNC`)
            return f"expected a function under {HANDWRITTEN_PACKAGE}..., got {value!r}"
    elif expected in ("list", "nonempty list"):
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            return f"expected a list of non-empty strings, got {value!r}"
        if expected == "nonempty list" and not value:
            return "expected at least one entry, got []"
    elif expected == "table":
        if not isinstance(value, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()
        ):
            return f'expected a table of strings like {{ x = "real" }}, got {value!r}'
    elif expected == "claims":
        if not isinstance(value, list):
            return f"expected [[...claims]] tables, got {value!r}"
    return None


def close_names(word: str, choices: list[str], n: int = 3, cutoff: float = 0.6) -> list[str]:
    import difflib  # only on the error path: keeps `symml list` start-up small

    return difflib.get_close_matches(word, choices, n=n, cutoff=cutoff)


def did_you_mean(word: str, choices: list[str]) -> str:
    close = close_names(str(word), choices, n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def file_label(file: Path, root: Path) -> str:
    # "formulas/losses.toml" reads better than an absolute path inside site-packages.
    return f"{root.name}/{file.name}"


def type_name(value: Any) -> str:
    return {str: "string", list: "list", dict: "table", bool: "boolean"}.get(
        type(value), type(value).__name__
    )
