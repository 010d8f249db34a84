"""The public API: every name in ``__all__`` imports, and ``import symml`` stays light."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import symml

HEAVY = ("sympy", "numpy", "latex2sympy2", "antlr4", "matplotlib", "mpmath")


@pytest.mark.parametrize("name", symml.__all__)
def test_every_public_name_imports(name):
    assert getattr(symml, name) is not None


def test_all_is_consistent():
    assert len(symml.__all__) == len(set(symml.__all__))
    assert set(symml._LAZY) <= set(symml.__all__)
    assert set(symml.__all__) <= set(dir(symml))


def test_lazy_names_are_what_the_modules_define():
    from symml import latex, registry

    assert symml.formula is registry.get
    assert symml.formulas is registry.formulas
    assert symml.parse_latex is latex.parse_latex
    assert symml.Equation is latex.Equation


def test_errors_share_one_root():
    for name in (
        "ParseError",
        "RegistryError",
        "DerivationError",
        "VerificationError",
        "SymmlTimeout",
    ):
        assert issubclass(getattr(symml, name), symml.SymmlError)


def test_unknown_attribute():
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        symml.nope  # noqa: B018


def test_version_matches_the_installed_metadata():
    from importlib.metadata import version

    assert symml.__version__ == version("symml")


def test_import_is_light():
    probe = f"import sys, symml; print([m for m in {HEAVY!r} if m in sys.modules])"
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == "[]"


def test_registry_lookup_does_not_parse_or_import_sympy():
    probe = (
        "import sys, symml; fs = symml.formulas(); "
        "[f.latex for f in fs]; "
        f"print([m for m in {HEAVY!r} if m in sys.modules])"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def _modules_with_examples() -> list[str]:
    """Every module of symml whose docstrings carry a ``>>>`` example."""
    root = Path(symml.__file__).resolve().parent
    found = []
    for path in sorted(root.rglob("*.py")):
        if path.name != "__main__.py" and ">>> " in path.read_text(encoding="utf-8"):
            parts = list(path.relative_to(root.parent).with_suffix("").parts)
            found.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return found


@pytest.mark.parametrize("module", _modules_with_examples())
def test_docstring_examples_run(module, tmp_path, monkeypatch):
    import doctest
    import importlib

    monkeypatch.setenv("SYMML_CACHE_DIR", str(tmp_path))
    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
