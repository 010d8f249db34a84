"""The wheel ships the registry: ``formulas/*.toml`` and the source documents land in
``symml/_formulas/``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "-q", "-w", str(out)],
        check=True,
        timeout=600,
    )
    [built] = out.glob("symml-*.whl")
    return built


def test_wheel_contains_the_registry(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    shipped = sorted(
        Path(n).name for n in names if n.startswith("symml/_formulas/") and n.endswith(".toml")
    )
    expected = sorted(p.name for p in (ROOT / "formulas").glob("*.toml"))
    assert expected, "formulas/ has no *.toml files"
    assert shipped == expected
    assert "symml/cli/__init__.py" in names and "symml/__init__.py" in names
    documents = sorted(p.name for p in (ROOT / "formulas" / "documents").glob("*.txt"))
    assert len(documents) == 5  # the five source documents the registry cites
    assert all(f"symml/_formulas/documents/{name}" in names for name in documents)


def test_installed_wheel_lists_formulas_from_elsewhere(wheel, tmp_path):
    """Unpacked away from the source tree, the package finds its own formulas."""
    target = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(target)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "SYMML_FORMULAS_DIR"}
    env["PYTHONPATH"] = str(target)
    env["SYMML_CACHE_DIR"] = str(tmp_path / "cache")
    probe = (
        "import sys, symml, symml.registry as r; "
        "print(symml.__file__, r.formulas_dir(), file=sys.stderr); "
        "from symml.cli import main; main(['list', '--json'])"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    module_file, registry_dir = done.stderr.split()[:2]
    assert module_file.startswith(str(target)) and registry_dir.startswith(str(target))
    names = [entry["name"] for entry in json.loads(done.stdout)]
    assert names
