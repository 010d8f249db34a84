"""The registry: formulas as data (``formulas/*.toml``), validated on load, parsed lazily.

Loading reads and validates every TOML file (fields, types, symbol kinds, claim kinds,
duplicate names, definitions) without parsing any LaTeX, so ``symml list`` stays fast.
``Formula.expr`` and ``Claim.expr`` parse on first use through ``symml.latex._reader.parse_latex``;
parsed values are cached on disk (see ``symml.registry._registry.cache_dir``) keyed by the LaTeX, the
symbol declarations and the versions of everything that could change the result.

Examples:
    >>> import pathlib, tempfile
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "demo.toml").write_text('''
    ... [line]
    ... title = "A line"
    ... latex = 'a x + b'
    ... symbols = { x = "real" }
    ... sources = ["demo"]
    ... tags = ["demo"]
    ... ''')
    >>> reg = load_registry(d)
    >>> reg.get("line").title
    'A line'
    >>> reg.get("lien")
    Traceback (most recent call last):
    ...
    symml.errors.RegistryError: unknown formula 'lien'; did you mean: line?
"""

from __future__ import annotations

import functools
import logging
import os
import re
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from types import MappingProxyType
from typing import Any

from symml.errors import ParseError, RegistryError
from symml.symbols import SymbolSpec, parse_symbols

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

log = logging.getLogger("symml.registry._registry")

_PACKAGE = Path(__file__).resolve().parents[1]  # the symml package
_CACHE_FORMAT = 1


class ClaimKind(str, Enum):
    """What a claim states about its formula."""

    DERIVATIVE = "derivative"
    IDENTITY = "identity"
    PROPERTY = "property"
    STATIONARY_POINT = "stationary_point"
    VALUE = "value"


_NEEDS_WRT = (ClaimKind.DERIVATIVE, ClaimKind.STATIONARY_POINT)

# field -> (required, expected shape: see _check_value)
_FORMULA_FIELDS: dict[str, tuple[bool, str]] = {
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
_CLAIM_FIELDS: dict[str, tuple[bool, str]] = {
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
_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
HANDWRITTEN_PACKAGE = "symml.handwritten."
_REF_RE = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")


# --------------------------------------------------------------------------- values


def _parse(latex: str, symbols: Mapping[str, str], functions: tuple[str, ...], where: str) -> Any:
    """Parse registry LaTeX through the disk cache; a ParseError names file, table, field."""
    try:
        return _cached_parse(latex, dict(symbols), functions)
    except ParseError as e:
        raise RegistryError(f"{where}: field 'latex' does not parse: {e}") from e


@dataclass(frozen=True)
class Claim:
    """Something a document states about a formula: a derivative, identity, property, ...

    Attributes:
        formula: name of the formula the claim belongs to.
        kind: a ClaimKind.
        latex: the claimed expression or equation, as written.
        wrt: the variable of a derivative or stationary point claim, else None.
        erratum: set when the documents are wrong here: the claim is expected to be refuted.
        handwritten_erratum: set when the documents' code (``handwritten``) is wrong: its
            check is expected to be refuted, unstable or failed.
        symbols: the formula's symbol declarations plus the claim's own.
    """

    formula: str
    index: int
    kind: ClaimKind
    latex: str
    wrt: str | None = None
    source: str | None = None
    handwritten: str | None = None
    adapter: Mapping[str, str] = field(default_factory=dict, hash=False)
    erratum: str | None = None
    handwritten_erratum: str | None = None
    notes: str | None = None
    symbols: Mapping[str, str] = field(default_factory=dict, hash=False)
    functions: tuple[str, ...] = ()
    file: str = ""

    @property
    def where(self) -> str:
        return f"{self.file}: [[{self.formula}.claims]] #{self.index + 1}"

    @functools.cached_property
    def expr(self) -> Any:
        """The parsed claim (a SymPy expression, Equation, Relation or Aligned)."""
        return _parse(self.latex, self.symbols, self.functions, self.where)


@dataclass(frozen=True)
class Formula:
    """One registry entry. Values are immutable; ``expr`` is parsed on first access.

    Attributes:
        name: the table name, a Python identifier (``sigmoid``).
        latex: the formula as written; a definition names itself on the left (``\\sigma(x) =``).
        symbols: declarations name -> kind string (see ``symml.symbols``).
        sources: ``"document file: section"`` strings, at least one.
        definitions: names of registry formulas whose functions are used inside this one.
        handwritten_erratum: set when the documents' code (``handwritten``) is wrong: its
            check is expected to be refuted, unstable or failed.
        file: the TOML file the entry came from.
    """

    name: str
    title: str
    latex: str
    symbols: Mapping[str, str] = field(hash=False)
    sources: tuple[str, ...]
    tags: tuple[str, ...]
    claims: tuple[Claim, ...] = ()
    handwritten: str | None = None
    adapter: Mapping[str, str] = field(default_factory=dict, hash=False)
    notes: str | None = None
    functions: tuple[str, ...] = ()
    definitions: tuple[str, ...] = ()
    file: str = ""
    handwritten_erratum: str | None = None
    registry: Registry | None = field(default=None, compare=False, repr=False, hash=False)

    @property
    def where(self) -> str:
        return f"{self.file}: [{self.name}]"

    @property
    def symbol_specs(self) -> dict[str, SymbolSpec]:
        """The declarations parsed into SymbolSpec values."""
        return parse_symbols(self.symbols)

    @functools.cached_property
    def expr(self) -> Any:
        """The parsed formula: a SymPy expression, Equation, Relation or Aligned."""
        return _parse(self.latex, self.symbols, self.functions, self.where)

    @property
    def lhs(self) -> Any:
        """The left side of an equation (``sigma(x)`` in a definition); None otherwise."""
        from symml.latex import Equation

        value = self.expr
        return value.lhs if isinstance(value, Equation) else None

    @property
    def rhs(self) -> Any:
        """The right side of an equation, or the expression itself.

        None for a relation chain or an aligned block (see ``expr.parts`` / ``expr.items``).
        """
        from sympy import Basic

        from symml.latex import Equation

        value = self.expr
        if isinstance(value, Equation):
            return value.rhs
        return value if isinstance(value, Basic) else None

    def definition(self) -> Any:
        """The right-hand side with the functions of ``definitions`` replaced by their bodies.

        ``logistic_regression`` declares ``definitions = ["sigmoid"]``; its ``\\sigma(z)``
        becomes ``1/(1 + exp(-z))``. Definitions of definitions are expanded too.
        """
        body = self.rhs
        if body is None:
            raise RegistryError(
                f"{self.where}: field 'latex' is a relation or an aligned block, "
                "which has no single right-hand side"
            )
        for name in self.definitions:
            body = substitute(body, self.lookup(name))
        return body

    def lookup(self, name: str) -> Formula:
        """The formula ``name`` of the registry this one belongs to (the default one if none)."""
        registry = self.registry if self.registry is not None else default_registry()
        return registry.get(name)

    def __repr__(self) -> str:
        return f"<Formula {self.name}: {self.latex}>"

    def _repr_latex_(self) -> str:
        return f"$${self.latex}$$"


def substitute(body: Any, definition: Formula) -> Any:
    """Replace applications ``f(a)`` in ``body`` by the definition of ``f(x) = ...`` at ``a``."""
    from sympy.core.function import AppliedUndef

    head = definition.lhs
    if not isinstance(head, AppliedUndef):
        raise RegistryError(
            f"{definition.where}: field 'latex' must define a function like "
            f"'f(x) = ...' to be used in 'definitions', got left side {head!r}"
        )
    params, inner = head.args, definition.definition()
    fname = head.func.__name__

    def expand(app: Any) -> Any:
        if len(app.args) != len(params):
            raise RegistryError(
                f"{definition.where}: {fname} takes {len(params)} argument(s), "
                f"used with {len(app.args)} in {app}"
            )
        value = _rows(inner, params, app.args).xreplace(dict(zip(params, app.args, strict=True)))
        return _fresh_bound(value, body.free_symbols)

    return body.replace(lambda e: isinstance(e, AppliedUndef) and e.func.__name__ == fname, expand)


def _rows(inner: Any, params: tuple, args: tuple) -> Any:
    """A vector parameter applied to a row: ``h(x) = ... x_j ...`` used as ``h(x_i)`` reads
    ``x_j`` as ``x_{ij}`` (the j-th feature of sample i), not as the j-th sample."""
    from sympy import Indexed, IndexedBase

    rows = {}
    for param, arg in zip(params, args, strict=True):
        if isinstance(arg, Indexed) and getattr(param, "name", None):
            rows[param.name] = arg
    if not rows:
        return inner

    def widen(e: Any) -> Any:
        row = rows[str(e.base.label)]
        return Indexed(IndexedBase(row.base.label), *row.indices, *e.indices)

    return inner.replace(lambda e: isinstance(e, Indexed) and str(e.base.label) in rows, widen)


def _fresh_bound(value: Any, taken: set) -> Any:
    """Rename the summation indices of a substituted definition that a free index of the
    place of use also names (``w^T x_i`` inside ``... x_{ij}``: the sum's j is not that j)."""
    from sympy import Sum, Symbol

    clash = {str(s) for s in taken}
    used = clash | {str(s) for s in value.atoms(Symbol)}
    spare = [c for c in ("k", "l", "q", "r", "s", "t", "u", "v") if c not in used]

    def rename(summed: Any) -> Any:
        for var in summed.variables:
            if str(var) in clash and spare:
                summed = summed.xreplace({var: Symbol(spare.pop(0), **var.assumptions0)})
        return summed

    def clashes(e: Any) -> bool:
        return isinstance(e, Sum) and any(str(v) in clash for v in e.variables)

    return value.replace(clashes, rename)


# --------------------------------------------------------------------------- registry


class Registry:
    """Formulas by name, in file order. Build one with ``load_registry``."""

    def __init__(
        self,
        entries: Mapping[str, Formula],
        root: Path,
        problems: tuple[str, ...] = (),
        broken: Mapping[str, str] | None = None,
    ):
        self._entries = dict(entries)
        self.root = root
        #: every validation error, each naming file, table and field (non-strict loads only)
        self.problems = problems
        self._broken = dict(broken or {})

    def __getitem__(self, name: str) -> Formula:
        return self.get(name)

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[Formula]:
        return iter(self._entries.values())

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return f"<Registry of {len(self)} formulas from {str(self.root)!r}>"

    def names(self, *, broken: bool = False) -> list[str]:
        """Formula names in file order; with ``broken=True`` also the tables that failed
        validation (``get`` of one raises its error, so a run can report it and go on)."""
        if not broken:
            return list(self._entries)
        return list(self._entries) + [n for n in self._broken if n not in self._entries]

    def get(self, name: str) -> Formula:
        """The formula called ``name``; an unknown name is a RegistryError with suggestions."""
        if name in self._entries:
            return self._entries[name]
        if name in self._broken:
            raise RegistryError(self._broken[name])
        normal = name.strip().lower().replace("-", "_").replace(" ", "_")
        if normal in self._entries:
            return self._entries[normal]
        close = _close(normal, list(self._entries), n=3, cutoff=0.6)
        if close:
            raise RegistryError(f"unknown formula {name!r}; did you mean: {', '.join(close)}?")
        raise RegistryError(f"unknown formula {name!r}; `symml list` shows the {len(self)} names")

    def parse_all(self) -> None:
        """Parse every formula and claim; raise one RegistryError naming each failure."""
        problems = []
        for formula in self._entries.values():
            for item in (formula, *formula.claims):
                try:
                    item.expr  # noqa: B018 - parsing is the point
                except RegistryError as e:
                    problems.append(str(e))
        if problems:
            more = f" ({len(problems)} problems)" if len(problems) > 1 else ""
            raise RegistryError("; ".join(problems) + more)

    def formulas(self, tag: str | None = None) -> list[Formula]:
        """All formulas, or those carrying ``tag``; an unknown tag is a RegistryError."""
        if tag is None:
            return list(self._entries.values())
        found = [f for f in self._entries.values() if tag in f.tags]
        if not found:
            tags = sorted({t for f in self._entries.values() for t in f.tags})
            close = _close(tag, tags, n=3, cutoff=0.6)
            hint = f"did you mean: {', '.join(close)}?" if close else f"tags: {', '.join(tags)}"
            raise RegistryError(f"no formula has tag {tag!r}; {hint}")
        return found


def formulas_dir() -> Path:
    """Where the registry files are: ``$SYMML_FORMULAS_DIR``, the wheel, or the source tree."""
    override = os.environ.get("SYMML_FORMULAS_DIR")
    if override:
        return Path(override)
    installed = _PACKAGE / "_formulas"
    if installed.is_dir():
        return installed
    return _PACKAGE.parent / "formulas"


def load_registry(path: str | os.PathLike[str] | None = None, *, strict: bool = True) -> Registry:
    """Read and validate every ``*.toml`` under ``path`` (default: ``formulas_dir()``).

    Args:
        path: a directory of registry files.
        strict: raise on any problem. With ``strict=False`` the broken tables are left out,
            ``Registry.problems`` lists what is wrong and ``get`` of a broken name raises
            its own error, so one mistake does not stop the rest of a run.

    Raises:
        RegistryError: naming file, table and field of every problem found
            (several problems are reported together, separated by ``; ``).
    """
    root = Path(path) if path is not None else formulas_dir()
    if not root.is_dir():
        raise RegistryError(f"registry directory {str(root)!r} does not exist")
    problems: list[str] = []
    broken: dict[str, str] = {}
    entries: dict[str, Formula] = {}
    for file in sorted(root.glob("*.toml")):
        for formula in _load_file(file, root, problems, broken):
            if formula.name in entries:
                problems.append(
                    f"{formula.where}: duplicate formula name, "
                    f"already defined in {entries[formula.name].file}"
                )
            else:
                entries[formula.name] = formula
    _check_definitions(entries, problems, broken)
    if problems and strict:
        more = f" ({len(problems)} problems)" if len(problems) > 1 else ""
        raise RegistryError("; ".join(problems) + more)
    registry = Registry(entries, root, tuple(problems), broken)
    for formula in entries.values():
        object.__setattr__(formula, "registry", registry)
    return registry


@functools.lru_cache(maxsize=1)
def default_registry() -> Registry:
    """The registry shipped with symml, loaded once per process.

    Loaded non-strictly: a broken table is reported in ``problems`` (and by ``get``) while
    the other formulas stay usable.
    """
    return load_registry(strict=False)


def get(name: str) -> Formula:
    """The formula called ``name`` from the default registry (suggests close names)."""
    return default_registry().get(name)


def formulas(tag: str | None = None) -> list[Formula]:
    """All formulas of the default registry, or those with ``tag``."""
    return default_registry().formulas(tag)


# --------------------------------------------------------------------------- validation


def _load_file(
    file: Path, root: Path, problems: list[str], broken: dict[str, str]
) -> list[Formula]:
    label = _label(file, root)
    try:
        with file.open("rb") as fh:
            data = tomllib.load(fh)
    except tomllib.TOMLDecodeError as e:
        problems.append(f"{label}: malformed TOML: {e}")
        return []
    except (OSError, UnicodeDecodeError) as e:
        problems.append(f"{label}: cannot read: {e}")
        return []
    result = []
    for name, table in data.items():
        where = f"{label}: [{name}]"
        if not isinstance(table, dict):
            problems.append(f"{where}: expected a table [{name}], got a {_tname(table)}")
            continue
        if not _NAME_RE.match(name):
            problems.append(f"{where}: formula names must be Python identifiers")
            continue
        before = len(problems)
        _check_fields(table, _FORMULA_FIELDS, where, problems)
        _needs_handwritten(table, where, problems)
        claims = _claims(table, name, label, problems)
        if len(problems) == before:
            result.append(_formula(name, table, claims, label))
        else:
            broken[name] = "; ".join(problems[before:])
    return result


def _formula(name: str, table: dict, claims: tuple[Claim, ...], label: str) -> Formula:
    return Formula(
        name=name,
        title=table["title"],
        latex=table["latex"],
        symbols=MappingProxyType(dict(table["symbols"])),
        sources=tuple(table["sources"]),
        tags=tuple(table["tags"]),
        claims=claims,
        handwritten=table.get("handwritten"),
        adapter=MappingProxyType(dict(table.get("adapter", {}))),
        notes=table.get("notes"),
        functions=tuple(table.get("functions", ())),
        definitions=tuple(table.get("definitions", ())),
        file=label,
        handwritten_erratum=table.get("handwritten_erratum"),
    )


def _claims(table: dict, name: str, label: str, problems: list[str]) -> tuple[Claim, ...]:
    raw = table.get("claims", [])
    if not isinstance(raw, list):
        return ()  # reported by _check_fields
    claims = []
    for index, item in enumerate(raw):
        where = f"{label}: [[{name}.claims]] #{index + 1}"
        before = len(problems)
        _check_fields(item, _CLAIM_FIELDS, where, problems)
        _needs_handwritten(item, where, problems)
        if len(problems) > before:
            continue
        kinds = [k.value for k in ClaimKind]
        if item["kind"] not in kinds:
            problems.append(
                f"{where}: field 'kind': unknown claim kind {item['kind']!r}"
                f"{_suggest(item['kind'], kinds)}; valid kinds: {', '.join(kinds)}"
            )
            continue
        kind = ClaimKind(item["kind"])
        if kind in _NEEDS_WRT and "wrt" not in item:
            problems.append(f"{where}: field 'wrt' is required for a {kind.value} claim")
            continue
        symbols = dict(table.get("symbols", {}))
        symbols.update(item.get("symbols", {}))
        claims.append(
            Claim(
                formula=name,
                index=index,
                kind=kind,
                latex=item["latex"],
                wrt=item.get("wrt"),
                source=item.get("source"),
                handwritten=item.get("handwritten"),
                adapter=MappingProxyType(dict(item.get("adapter", {}))),
                erratum=item.get("erratum"),
                handwritten_erratum=item.get("handwritten_erratum"),
                notes=item.get("notes"),
                symbols=MappingProxyType(symbols),
                functions=tuple(table.get("functions", ())),
                file=label,
            )
        )
    return tuple(claims)


def _needs_handwritten(table: Any, where: str, problems: list[str]) -> None:
    """``handwritten_erratum`` is about the code of ``handwritten``: both or neither."""
    if isinstance(table, dict) and "handwritten_erratum" in table and "handwritten" not in table:
        problems.append(
            f"{where}: field 'handwritten_erratum' needs a 'handwritten' reference (the "
            "erratum is about that code)"
        )


def _check_fields(
    table: Any, spec: Mapping[str, tuple[bool, str]], where: str, problems: list[str]
) -> None:
    if not isinstance(table, dict):
        problems.append(f"{where}: expected a table, got a {_tname(table)}")
        return
    for key in table:
        if key not in spec:
            problems.append(f"{where}: unknown field {key!r}{_suggest(key, list(spec))}")
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


def _check_definitions(
    entries: dict[str, Formula], problems: list[str], broken: dict[str, str]
) -> None:
    """Remove (and report) formulas whose definitions are unknown, broken or circular."""
    changed = True
    while changed:
        changed = False
        for formula in list(entries.values()):
            issue = _definition_problem(formula, entries, broken)
            if issue:
                problems.append(issue)
                broken[formula.name] = issue
                del entries[formula.name]
                changed = True


def _definition_problem(
    formula: Formula, entries: Mapping[str, Formula], broken: Mapping[str, str]
) -> str | None:
    where = f"{formula.where}: field 'definitions'"
    for used in formula.definitions:
        if used in broken:
            return f"{where}: {used!r} has errors of its own"
        if used not in entries:
            return f"{where}: unknown formula {used!r}{_suggest(used, list(entries))}"
        if _reaches(entries, used, formula.name, set()):
            return f"{where}: {used!r} leads back to {formula.name!r} (circular definitions)"
    return None


def _reaches(entries: Mapping[str, Formula], start: str, target: str, seen: set[str]) -> bool:
    if start == target:
        return True
    if start in seen or start not in entries:
        return False
    seen.add(start)
    return any(_reaches(entries, d, target, seen) for d in entries[start].definitions)


def _close(word: str, choices: list[str], n: int = 3, cutoff: float = 0.6) -> list[str]:
    import difflib  # only on the error path: keeps `symml list` start-up small

    return difflib.get_close_matches(word, choices, n=n, cutoff=cutoff)


def _suggest(word: str, choices: list[str]) -> str:
    close = _close(str(word), choices, n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def _label(file: Path, root: Path) -> str:
    # "formulas/losses.toml" reads better than an absolute path inside site-packages.
    return f"{root.name}/{file.name}"


def _tname(value: Any) -> str:
    return {str: "string", list: "list", dict: "table", bool: "boolean"}.get(
        type(value), type(value).__name__
    )


# --------------------------------------------------------------------------- parse cache


def cache_dir() -> Path | None:
    """The parse cache directory, or None when ``SYMML_NO_CACHE`` is set.

    ``$SYMML_CACHE_DIR``, else ``$XDG_CACHE_HOME/symml``, else ``~/.cache/symml``. Removing it
    at any time is safe: entries are only a faster way to get the same parse.
    """
    if os.environ.get("SYMML_NO_CACHE", "").strip() not in ("", "0"):
        return None
    explicit = os.environ.get("SYMML_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "symml"


@functools.lru_cache(maxsize=1)
def _fingerprint() -> str:
    """Everything besides the input that can change a parse: versions and parser sources."""
    import hashlib
    from importlib import metadata

    parts = [str(_CACHE_FORMAT), sys.version.split()[0]]
    for dist in ("symml", "sympy", "latex2sympy2", "antlr4-python3-runtime"):
        try:
            parts.append(f"{dist}={metadata.version(dist)}")
        except metadata.PackageNotFoundError:
            parts.append(f"{dist}=none")
    # During development the version stays put while the parser changes, and the parser is
    # spread over several packages (latex, functions, symbols, ...): hash every module of symml.
    digest = hashlib.sha256()
    for source in sorted(_PACKAGE.rglob("*.py")):
        digest.update(source.relative_to(_PACKAGE).as_posix().encode() + b"\0" + source.read_bytes())
    parts.append(digest.hexdigest())
    return "|".join(parts)


def _cache_key(latex: str, symbols: Mapping[str, str], functions: tuple[str, ...]) -> str:
    import hashlib
    import json

    blob = json.dumps([_fingerprint(), latex, sorted(symbols.items()), sorted(functions)])
    return hashlib.sha256(blob.encode()).hexdigest()


def _cached_parse(latex: str, symbols: dict[str, str], functions: tuple[str, ...]) -> Any:
    import pickle

    directory = cache_dir()
    key = _cache_key(latex, symbols, functions) if directory is not None else ""
    entry = _generation(directory) / key[:2] / f"{key}.pickle" if directory else None
    # What a damaged or foreign cache file can raise while unpickling: a miss, not an error.
    corrupt = (pickle.UnpicklingError, EOFError, AttributeError, ImportError, IndexError,
               KeyError, TypeError, ValueError, OSError)  # fmt: skip
    if entry is not None and entry.exists():
        try:
            with entry.open("rb") as fh:
                stored_key, value = pickle.load(fh)
            if stored_key == key:
                return value
            log.debug("cache entry %s has a foreign key; rewriting", entry)
        except corrupt as e:
            log.debug("cache entry %s is unreadable (%s); rewriting", entry, e)
    from symml.latex import parse_latex

    value = parse_latex(latex, symbols=symbols, functions=list(functions) or None)
    if entry is not None:
        _write_atomically(entry, (key, value))
        _prune_once(entry.parent.parent)
    return value


_KEEP_GENERATIONS = 4


def _generation(directory: Path) -> Path:
    """Entries live under one directory per fingerprint (symml/SymPy versions, sources)."""
    import hashlib

    return directory / "parse" / hashlib.sha256(_fingerprint().encode()).hexdigest()[:16]


@functools.cache
def _prune_once(current: Path) -> None:
    """Keep the few most recently used generations, so edits and upgrades do not pile up.

    Racing another process is harmless: a removed entry is a cache miss, a failed removal
    leaves a file behind for next time.
    """
    try:
        os.utime(current)
        others = [d for d in current.parent.iterdir() if d.is_dir() and d != current]
        others.sort(key=lambda d: d.stat().st_mtime, reverse=True)
    except OSError as e:
        log.debug("not pruning the parse cache: %s", e)
        return
    for stale in others[_KEEP_GENERATIONS - 1 :]:
        for path in sorted(stale.rglob("*"), reverse=True):  # files before their directories
            try:
                if path.is_dir():
                    path.rmdir()
                else:
                    path.unlink()
            except OSError as e:
                log.debug("cannot remove %s from the parse cache: %s", path, e)
        try:
            stale.rmdir()
        except OSError as e:
            log.debug("cannot remove %s from the parse cache: %s", stale, e)


def _write_atomically(entry: Path, payload: Any) -> None:
    """Write to a temporary file beside ``entry`` then rename, so readers never see half."""
    import pickle
    import tempfile

    try:
        data = pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)
    except (pickle.PicklingError, TypeError, AttributeError, RecursionError) as e:
        log.debug("not caching %s: cannot pickle (%s)", entry.name, e)
        return
    try:
        entry.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=entry.parent, prefix=".tmp-", suffix=".pickle")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, entry)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as e:  # a read-only or full disk only costs speed
        log.debug("not caching %s: %s", entry.name, e)
