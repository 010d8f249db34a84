"""The package's shape: one subpackage per stage, private modules, no cycles, small files.

These are the rules of ``docs/internals.md``, checked on the source tree itself:

* a package's ``__init__.py`` is its API; its other modules are private (``_name.py``) and no
  module outside the package imports them or a private name of them;
* no import cycle between files, counting imports made inside functions;
* a package imports only the packages below it in the data flow (``ALLOWED``);
* no module over 600 lines;
* no string users read (a message, the sheet's text) names another package's private module;
* every name in ``symml.__all__`` is the intended object, even after every submodule has
  been imported (importing a submodule binds its name on the package, which once replaced
  ``symml.verify`` the function with ``symml.verify`` the module).
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
from pathlib import Path

import pytest

import symml

PACKAGE = Path(symml.__file__).resolve().parent
MAX_LINES = 600


def _modules() -> dict[str, Path]:
    """Dotted module name -> file, for every module of symml."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _package_of(module: str) -> str:
    """The package a module belongs to (a package's ``__init__`` belongs to itself)."""
    path = MODULES[module]
    return module if path.name == "__init__.py" else module.rpartition(".")[0]


def _imports(module: str) -> list[tuple[str, str | None, int]]:
    """(imported module, imported name or None, line) for every import, at any depth."""
    path = MODULES[module]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = _package_of(module)
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(a.name, None, node.lineno) for a in node.names if a.name.startswith("symml")]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if not target.startswith("symml"):
                continue
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                if sub in MODULES:  # ``from symml.pkg import _module``
                    out.append((sub, None, node.lineno))
                else:
                    out.append((target, alias.name, node.lineno))
    return out


def _is_private_module(module: str) -> bool:
    return any(part.startswith("_") and part != "__init__" for part in module.split(".")[1:])


def _owner(module: str) -> str:
    """The package whose private parts ``module`` is: symml.latex._lex -> symml.latex."""
    parts = module.split(".")
    for k, part in enumerate(parts):
        if k and part.startswith("_"):
            return ".".join(parts[:k])
    return _package_of(module)


def test_no_private_module_or_name_imported_from_outside_its_package() -> None:
    offences = []
    for module in MODULES:
        mine = _package_of(module)
        for target, name, line in _imports(module):
            if _is_private_module(target):
                owner = _owner(target)
                if not (mine == owner or mine.startswith(owner + ".")):
                    offences.append(f"{module}:{line} imports the private module {target}")
            if name and name.startswith("_") and not name.startswith("__"):
                if _package_of(target) != mine or not _is_private_module(target):
                    offences.append(f"{module}:{line} imports the private name {target}.{name}")
                else:
                    offences.append(f"{module}:{line} imports {name}: shared names need no _")
    assert not offences, "\n".join(offences)


# What each top-level module or package may import (the data flow of docs/internals.md:
# latex -> registry -> derivation -> numeric/verification -> documents/sheets -> cli, with
# errors, symbols, functions, workers, equality and serialize below them all).
BOTTOM = {"errors", "symbols", "functions", "workers", "equality"}
ALLOWED: dict[str, set[str]] = {
    "errors": set(),
    "symbols": {"errors"},
    "functions": {"errors"},
    "workers": {"errors", "functions"},
    "equality": {"errors", "functions", "workers"},
    "latex": {"errors", "functions", "symbols"},
    "serialize": {"functions", "latex"},
    "handwritten": set(),
    "registry": BOTTOM | {"latex"},
    "derivation": BOTTOM | {"latex", "registry", "serialize"},
    "numeric": BOTTOM,
    "verification": BOTTOM | {"latex", "registry", "derivation", "numeric", "serialize"},
    "documents": BOTTOM | {"latex", "registry", "derivation", "numeric", "verification"},
    "sheets": BOTTOM | {"latex", "registry", "derivation", "numeric", "verification", "serialize"},
    "corpus": BOTTOM | {"latex", "registry", "documents"},
}


def _top(module: str) -> str:
    return module.split(".")[1] if "." in module else "symml"


def test_packages_import_only_what_lies_below_them() -> None:
    offences = []
    for module in MODULES:
        mine = _top(module)
        if mine in ("symml", "cli"):  # the API (lazy) and the CLI sit on top of everything
            continue
        for target, name, line in _imports(module):
            sub = f"{target}.{name}" if name else target
            theirs = _top(sub if sub in MODULES else target)
            if theirs != mine and theirs not in ALLOWED[mine]:
                offences.append(f"{module}:{line} imports {theirs}, above {mine}")
    assert not offences, "\n".join(offences)
    assert set(ALLOWED) | {"symml", "cli"} == {_top(m) for m in MODULES}


def test_no_import_cycle_between_files() -> None:
    graph: dict[str, set[str]] = {}
    for module in MODULES:
        edges = set()
        for target, name, _ in _imports(module):
            sub = f"{target}.{name}" if name else target
            edges.add(sub if sub in MODULES else target)
        # a package's __init__ only re-exports: importing ``symml.pkg`` means its modules
        graph[module] = {e for e in edges if e in MODULES and e != module}
    # symml/__init__.py resolves its names lazily, on attribute access: not an import edge
    graph["symml"] = set()

    cycles = []
    state: dict[str, int] = {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append(" -> ".join(path[path.index(nxt) :] + [nxt]))
            elif nxt not in state:
                visit(nxt, path + [nxt])
        state[node] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert not cycles, "\n".join(cycles)


_PRIVATE_PATH = re.compile(r"\bsymml(?:\.[a-z]\w*)*\._[a-z]\w*")


def _docstrings(tree: ast.AST) -> set[int]:
    """ids of the docstring nodes of a module, its classes and functions."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0].value))
    return found


def test_no_message_names_a_private_module_of_another_package() -> None:
    # what users read (messages, sheet text, help) names public paths; a package's own lazy
    # table may name its private modules
    offences = []
    for module, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docs = _docstrings(tree)
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
                continue
            if id(node) not in docs:
                for hit in _PRIVATE_PATH.findall(node.value):
                    if not hit.startswith(_package_of(module) + "._"):
                        offences.append(f"{module}:{node.lineno} says {hit}")
    assert not offences, "\n".join(offences)


@pytest.mark.parametrize("module", sorted(MODULES), ids=str)
def test_module_is_short(module: str) -> None:
    lines = MODULES[module].read_text(encoding="utf-8").count("\n")
    assert lines <= MAX_LINES, f"{MODULES[module].relative_to(PACKAGE.parent)}: {lines} lines"


def test_public_names_survive_importing_every_submodule() -> None:
    for info in pkgutil.walk_packages(symml.__path__, "symml."):
        if not info.name.endswith("__main__"):  # running it would start the CLI
            importlib.import_module(info.name)
    expected = {
        "parse_latex": "symml.latex",
        "formula": "symml.registry",
        "formulas": "symml.registry",
        "derive": "symml.derivation",
        "verify": "symml.verification",
        "check_gradient": "symml.verification",
        "equiv": "symml.verification",
        "check_document": "symml.documents",
        "cheatsheet": "symml.sheets",
    }
    for name in symml.__all__:
        value = getattr(symml, name)
        assert not isinstance(value, type(symml)), f"symml.{name} is a module"
        if name in expected:
            api = importlib.import_module(expected[name])
            attribute = "get" if name == "formula" else name
            assert value is getattr(api, attribute), name
            assert callable(value), name
    assert symml.verify is symml.verification.verify
    assert symml.derive is symml.derivation.derive
    assert symml.cheatsheet is symml.sheets.cheatsheet


def test_every_package_lists_its_api() -> None:
    for module, path in MODULES.items():
        if path.name == "__init__.py" and module != "symml":
            api = importlib.import_module(module)
            assert isinstance(getattr(api, "__all__", None), list), module
            for name in api.__all__:
                if f"{module}.{name}" in MODULES:  # a submodule listed as API (handwritten)
                    continue
                assert hasattr(api, name), f"{module}.__all__ names {name}, which it lacks"
