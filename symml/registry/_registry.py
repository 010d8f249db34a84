"""The registry: formulas as data (``formulas/*.toml``), validated on load, parsed lazily.

Loading reads and validates every TOML file (fields, types, symbol kinds, claim kinds,
duplicate names, definitions) without parsing any LaTeX, so ``symml list`` stays fast.
``Formula.expr`` and ``Claim.expr`` parse on first use through ``symml.latex.parse_latex``;
parsed values are cached on disk (see :func:`cache_dir`) keyed by the LaTeX, the
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
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from types import MappingProxyType
from typing import Any

from symml.errors import ParseError, RegistryError
from symml.registry._cache import PACKAGE, cached_parse
from symml.registry._checks import (
    CLAIM_FIELDS,
    FORMULA_FIELDS,
    NAME_RE,
    check_fields,
    close_names,
    did_you_mean,
    file_label,
    needs_handwritten,
    read_toml,
    type_name,
)
from symml.registry._expand import apply_definition
from symml.symbols import SymbolSpec, parse_symbols


class ClaimKind(str, Enum):
    """What a claim states about its formula."""

    DERIVATIVE = "derivative"
    IDENTITY = "identity"
    PROPERTY = "property"
    STATIONARY_POINT = "stationary_point"
    VALUE = "value"


_NEEDS_WRT = (ClaimKind.DERIVATIVE, ClaimKind.STATIONARY_POINT)


# --------------------------------------------------------------------------- values


def _parse(latex: str, symbols: Mapping[str, str], functions: tuple[str, ...], where: str) -> Any:
    """Parse registry LaTeX through the disk cache; a ParseError names file, table, field."""
    try:
        return cached_parse(latex, dict(symbols), functions)
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
    import sympy
    from sympy.core.function import AppliedUndef

    head = definition.lhs
    # f(x) = ..., or a known function written out (sigma(x) = 1/(1 + e^{-x}), which the one
    # function table reads as the sigmoid): either way the left side is a name at symbols
    known = isinstance(head, sympy.Function) and all(isinstance(a, sympy.Symbol) for a in head.args)
    if not (isinstance(head, AppliedUndef) or known):
        raise RegistryError(
            f"{definition.where}: field 'latex' must define a function like "
            f"'f(x) = ...' to be used in 'definitions', got left side {head!r}"
        )
    return apply_definition(body, head, definition.definition(), definition.where)


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
        close = close_names(normal, list(self._entries), n=3, cutoff=0.6)
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
            close = close_names(tag, tags, n=3, cutoff=0.6)
            hint = f"did you mean: {', '.join(close)}?" if close else f"tags: {', '.join(tags)}"
            raise RegistryError(f"no formula has tag {tag!r}; {hint}")
        return found


def formulas_dir() -> Path:
    """Where the registry files are: ``$SYMML_FORMULAS_DIR``, the wheel, or the source tree."""
    override = os.environ.get("SYMML_FORMULAS_DIR")
    if override:
        return Path(override)
    installed = PACKAGE / "_formulas"
    if installed.is_dir():
        return installed
    return PACKAGE.parent / "formulas"


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


# --------------------------------------------------------------------------- building values


def _load_file(
    file: Path, root: Path, problems: list[str], broken: dict[str, str]
) -> list[Formula]:
    label = file_label(file, root)
    data = read_toml(file, label, problems)
    result = []
    for name, table in data.items():
        where = f"{label}: [{name}]"
        if not isinstance(table, dict):
            problems.append(f"{where}: expected a table [{name}], got a {type_name(table)}")
            continue
        if not NAME_RE.match(name):
            problems.append(f"{where}: formula names must be Python identifiers")
            continue
        before = len(problems)
        check_fields(table, FORMULA_FIELDS, where, problems)
        needs_handwritten(table, where, problems)
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
        check_fields(item, CLAIM_FIELDS, where, problems)
        needs_handwritten(item, where, problems)
        if len(problems) > before:
            continue
        kinds = [k.value for k in ClaimKind]
        if item["kind"] not in kinds:
            problems.append(
                f"{where}: field 'kind': unknown claim kind {item['kind']!r}"
                f"{did_you_mean(item['kind'], kinds)}; valid kinds: {', '.join(kinds)}"
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
            return f"{where}: unknown formula {used!r}{did_you_mean(used, list(entries))}"
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
