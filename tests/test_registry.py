"""The registry: validation of TOML files, lookup, lazy parsing and the on-disk parse cache."""

from __future__ import annotations

import dataclasses
import os
import pickle
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from symml.errors import RegistryError
from symml.registry import ClaimKind, Formula, load_registry
from symml.symbols import KINDS, Domain, SymbolSpec, parse_kind

GOOD = """
[line]
title = "A line"
latex = 'a x + b'
symbols = { x = "real", a = "real", b = "real" }
sources = ["demo.txt: 1"]
tags = ["demo"]

[[line.claims]]
kind = "derivative"
wrt = "x"
latex = 'a'
"""


def write(directory: Path, files: dict[str, str]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (directory / name).write_text(textwrap.dedent(text))
    return directory


@pytest.fixture(autouse=True)
def private_cache(tmp_path_factory, monkeypatch):
    """Every test gets its own parse cache, so tests never see each other's entries."""
    monkeypatch.setenv("SYMML_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
    monkeypatch.delenv("SYMML_NO_CACHE", raising=False)


# --------------------------------------------------------------------------- symbol kinds

SYMBOL_KINDS = [
    ("real", "real", Domain(), ()),
    ("positive", "positive", Domain(0.0), ()),
    ("probability", "probability", Domain(0.0, 1.0), ()),
    ("unit", "unit", Domain(0.0, 1.0, low_open=False, high_open=False), ()),
    ("natural", "natural", Domain(1.0, low_open=False, integer=True), ()),
    ("index", "index", Domain(1.0, low_open=False, integer=True), ()),
    ("vector", "vector", Domain(), (None,)),
    ("vector[n]", "vector", Domain(), ("n",)),
    ("vector[ 3 ]", "vector", Domain(), (3,)),
    ("matrix", "matrix", Domain(), (None, None)),
    ("matrix[m, n]", "matrix", Domain(), ("m", "n")),
    ("simplex", "simplex", Domain(0.0, 1.0), (None,)),
    ("function", "function", None, None),
    ("constant", "constant", Domain(0.0), ()),
]


@pytest.mark.parametrize(("text", "kind", "domain", "shape"), SYMBOL_KINDS, ids=lambda v: str(v))
def test_symbol_kinds(text, kind, domain, shape):
    assert parse_kind("s", text) == SymbolSpec("s", kind, domain, shape)


@pytest.mark.parametrize("text", ["reel", "vector[n", "matrix[n]", "vector[0]", "real[3]", ""])
def test_bad_symbol_kinds(text):
    with pytest.raises(RegistryError, match=r"symbol 's': (unknown kind|bad shape)"):
        parse_kind("s", text)


def test_unknown_kind_lists_valid_kinds():
    with pytest.raises(RegistryError) as info:
        parse_kind("x", "reel")
    assert all(kind in str(info.value) for kind in KINDS)


def test_domains_and_assumptions():
    p = parse_kind("p", "probability")
    assert not p.domain.contains(0.0) and p.domain.contains(0.5) and not p.domain.contains(1.0)
    assert parse_kind("u", "unit").domain.contains(1.0)
    assert not parse_kind("n", "natural").domain.contains(1.5)
    assert parse_kind("n", "natural").assumptions() == {"integer": True, "positive": True}
    assert parse_kind("x", "positive").symbol().is_positive


# --------------------------------------------------------------------------- validation

# (id, files, message pattern): each message names the file, the table and the field
BAD_REGISTRIES = [
    ("malformed-toml", {"bad.toml": "[line\ntitle = 'x'\n"}, r"/bad\.toml: malformed TOML"),
    (
        "missing-field",
        {"a.toml": GOOD.replace('tags = ["demo"]\n', "")},
        r"/a\.toml: \[line\]: missing required field 'tags'",
    ),
    (
        "misspelled-field",
        {"a.toml": GOOD.replace("latex = 'a x + b'", "latx = 'a x + b'")},
        r"/a\.toml: \[line\]: unknown field 'latx'; did you mean 'latex'\?",
    ),
    (
        "misspelled-claim-field",
        {"a.toml": GOOD.replace('wrt = "x"', 'wrtt = "x"')},
        r"/a\.toml: \[\[line\.claims\]\] #1: unknown field 'wrtt'; did you mean 'wrt'\?",
    ),
    (
        "unknown-claim-kind",
        {"a.toml": GOOD.replace('kind = "derivative"', 'kind = "derivatve"')},
        r"/a\.toml: \[\[line\.claims\]\] #1: field 'kind': unknown claim kind 'derivatve'; "
        r"did you mean 'derivative'\?; valid kinds: derivative, identity",
    ),
    (
        "claim-without-wrt",
        {"a.toml": GOOD.replace('wrt = "x"\n', "")},
        r"\[\[line\.claims\]\] #1: field 'wrt' is required for a derivative claim",
    ),
    (
        "unknown-symbol-kind",
        {"a.toml": GOOD.replace('x = "real"', 'x = "reel"')},
        r"/a\.toml: \[line\]: field 'symbols': symbol 'x': unknown kind 'reel'; valid kinds:",
    ),
    (
        "wrong-type",
        {"a.toml": GOOD.replace('title = "A line"', "title = 3")},
        r"\[line\]: field 'title': expected a non-empty string, got 3",
    ),
    (
        "empty-sources",
        {"a.toml": GOOD.replace('sources = ["demo.txt: 1"]', "sources = []")},
        r"\[line\]: field 'sources': expected at least one entry",
    ),
    (
        "bad-handwritten-reference",
        {"a.toml": GOOD.replace('tags = ["demo"]', 'tags = ["demo"]\nhandwritten = "no colon"')},
        r"\[line\]: field 'handwritten': expected 'package\.module:function'",
    ),
    (
        "unknown-definition",
        {"a.toml": GOOD.replace('tags = ["demo"]', 'tags = ["demo"]\ndefinitions = ["lien"]')},
        r"\[line\]: field 'definitions': unknown formula 'lien'; did you mean 'line'\?",
    ),
    (
        "circular-definition",
        {"a.toml": GOOD.replace('tags = ["demo"]', 'tags = ["demo"]\ndefinitions = ["line"]')},
        r"\[line\]: field 'definitions': 'line' leads back to 'line'",
    ),
    (
        "duplicate-name",
        {"a.toml": GOOD, "b.toml": GOOD},
        r"/b\.toml: \[line\]: duplicate formula name, already defined in \S+/a\.toml",
    ),
    ("not-a-table", {"a.toml": "line = 3\n"}, r"/a\.toml: \[line\]: expected a table"),
    (
        "bad-name",
        {
            "a.toml": GOOD.replace("[line]", '["my line"]').replace(
                "line.claims", '"my line".claims'
            )
        },
        r"\[my line\]: formula names must be Python identifiers",
    ),
]


@pytest.mark.parametrize(
    ("files", "pattern"), [c[1:] for c in BAD_REGISTRIES], ids=[c[0] for c in BAD_REGISTRIES]
)
def test_bad_registry_is_a_registry_error(tmp_path, files, pattern):
    write(tmp_path, files)
    with pytest.raises(RegistryError, match=pattern):
        load_registry(tmp_path)


def test_several_problems_are_reported_together(tmp_path):
    bad = GOOD.replace("latex = 'a x + b'", "latx = 'a x + b'").replace('tags = ["demo"]\n', "")
    write(tmp_path, {"a.toml": bad})
    with pytest.raises(RegistryError, match=r"unknown field 'latx'.*missing required field"):
        load_registry(tmp_path)


def test_non_strict_load_keeps_the_good_tables(tmp_path):
    bad = GOOD.replace("[line]", "[bent]").replace("line.claims", "bent.claims")
    bad = bad.replace("latex = 'a x + b'", "latx = 'a x + b'")
    user = GOOD.replace("[line]", "[user]").replace("line.claims", "user.claims")
    user = user.replace('tags = ["demo"]', 'tags = ["demo"]\ndefinitions = ["bent"]')
    write(tmp_path, {"a.toml": GOOD, "b.toml": bad, "c.toml": user, "d.toml": "[oops"})
    with pytest.raises(RegistryError):
        load_registry(tmp_path)
    registry = load_registry(tmp_path, strict=False)
    assert registry.names() == ["line"]
    assert registry.names(broken=True) == ["line", "bent", "user"]
    assert len(registry.problems) == 4  # bent: 2 fields, user: 1, d.toml: 1
    with pytest.raises(RegistryError, match=r"/b\.toml: \[bent\]: unknown field 'latx'"):
        registry.get("bent")
    with pytest.raises(RegistryError, match=r"\[user\]: field 'definitions': 'bent' has errors"):
        registry.get("user")


def test_missing_directory(tmp_path):
    with pytest.raises(RegistryError, match="does not exist"):
        load_registry(tmp_path / "nowhere")


def test_unparseable_latex_names_file_table_field(tmp_path):
    write(tmp_path, {"a.toml": GOOD.replace("'a x + b'", r"'\frac{1}{'")})
    registry = load_registry(tmp_path)  # loading does not parse
    with pytest.raises(RegistryError, match=r"/a\.toml: \[line\]: field 'latex' does not parse"):
        _ = registry.get("line").expr
    with pytest.raises(RegistryError, match=r"\[line\]: field 'latex'"):
        registry.parse_all()


def test_unparseable_claim_names_the_claim(tmp_path):
    write(tmp_path, {"a.toml": GOOD.replace("latex = 'a'", r"latex = '\frac{a}{'")})
    claim = load_registry(tmp_path).get("line").claims[0]
    with pytest.raises(RegistryError, match=r"\[\[line\.claims\]\] #1: field 'latex'"):
        _ = claim.expr


# --------------------------------------------------------------------------- values and lookup


def test_formula_fields(tmp_path):
    formula = load_registry(write(tmp_path, {"a.toml": GOOD})).get("line")
    assert isinstance(formula, Formula)
    assert formula.sources == ("demo.txt: 1",) and formula.tags == ("demo",)
    assert formula.file.endswith("/a.toml")
    claim = formula.claims[0]
    assert claim.kind is ClaimKind.DERIVATIVE and claim.kind == "derivative"
    assert claim.wrt == "x" and claim.symbols["x"] == "real"
    assert formula._repr_latex_() == "$$a x + b$$"
    with pytest.raises(dataclasses.FrozenInstanceError):
        formula.title = "changed"
    with pytest.raises(TypeError):
        formula.symbols["y"] = "real"
    assert hash(formula) == hash(load_registry(tmp_path).get("line"))


def test_expr_parses_lazily_with_declared_symbols(tmp_path):
    import sympy

    formula = load_registry(write(tmp_path, {"a.toml": GOOD})).get("line")
    a, b, x = (sympy.Symbol(n, real=True) for n in "abx")
    assert formula.expr == a * x + b
    assert formula.rhs == a * x + b and formula.lhs is None
    assert formula.claims[0].expr == a


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("lien", r"unknown formula 'lien'; did you mean: line\?"),
        ("zzzzzz", r"unknown formula 'zzzzzz'; `symml list` shows the 1 names"),
    ],
)
def test_unknown_name_suggests(tmp_path, name, message):
    registry = load_registry(write(tmp_path, {"a.toml": GOOD}))
    with pytest.raises(RegistryError, match=message):
        registry.get(name)


def test_lookup_normalises_case_and_dashes(tmp_path):
    registry = load_registry(write(tmp_path, {"a.toml": GOOD.replace("line", "my_line")}))
    assert registry.get("My-Line").name == "my_line"
    assert "my_line" in registry and len(registry) == 1


def test_formulas_by_tag(tmp_path):
    other = GOOD.replace("[line]", "[plane]").replace("line.claims", "plane.claims")
    registry = load_registry(
        write(
            tmp_path,
            {"a.toml": GOOD, "b.toml": other.replace('tags = ["demo"]', 'tags = ["geometry"]')},
        )
    )
    assert [f.name for f in registry.formulas()] == ["line", "plane"]
    assert [f.name for f in registry.formulas("geometry")] == ["plane"]
    with pytest.raises(RegistryError, match=r"no formula has tag 'geometri'; did you mean"):
        registry.formulas("geometri")


SIGMOID = r"""
[sigmoid]
title = "Sigmoid"
latex = '\sigma(x) = \frac{1}{1 + e^{-x}}'
symbols = { x = "real" }
sources = ["demo"]
tags = ["activation"]

[logistic]
title = "Logistic model"
latex = 'p = \sigma(w x + b)'
symbols = { w = "real", x = "real", b = "real", p = "probability" }
sources = ["demo"]
tags = ["classification"]
definitions = ["sigmoid"]
"""


def test_definition_substitutes_registry_functions(tmp_path):
    import sympy

    registry = load_registry(write(tmp_path, {"a.toml": SIGMOID}))
    w, x, b = (sympy.Symbol(n, real=True) for n in "wxb")
    got = registry.get("logistic").definition()
    assert sympy.simplify(got - 1 / (1 + sympy.exp(-(w * x + b)))) == 0


def test_default_registry_loads():
    from symml.registry import formulas_dir

    assert any(formulas_dir().glob("*.toml")), formulas_dir()
    registry = load_registry()
    assert len(registry) > 0
    assert all(f.sources and f.tags for f in registry)


# --------------------------------------------------------------------------- parse cache


def cache_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.pickle") if not p.name.startswith(".tmp"))


def test_cache_is_written_and_reused(tmp_path, monkeypatch):
    reg_dir = write(tmp_path / "reg", {"a.toml": GOOD})
    cache = tmp_path / "cache"
    monkeypatch.setenv("SYMML_CACHE_DIR", str(cache))
    cold = load_registry(reg_dir).get("line").expr
    entries = cache_files(cache)
    assert len(entries) == 1
    stamp = entries[0].stat().st_mtime_ns
    warm = load_registry(reg_dir).get("line").expr
    assert warm == cold and entries[0].stat().st_mtime_ns == stamp


def test_cache_removal_and_no_cache_give_the_same_result(tmp_path, monkeypatch):
    reg_dir = write(tmp_path / "reg", {"a.toml": GOOD})
    cache = tmp_path / "cache"
    monkeypatch.setenv("SYMML_CACHE_DIR", str(cache))
    first = load_registry(reg_dir).get("line").expr
    for entry in cache_files(cache):
        entry.unlink()
    second = load_registry(reg_dir).get("line").expr
    monkeypatch.setenv("SYMML_NO_CACHE", "1")
    third = load_registry(reg_dir).get("line").expr
    assert first == second == third
    assert len(cache_files(cache)) == 1  # no-cache neither reads nor writes


@pytest.mark.parametrize(
    "garbage",
    [b"", b"not a pickle", pickle.dumps(("other key", 42))[:-3], pickle.dumps(("other key", 42))],
)
def test_corrupt_cache_entry_is_ignored_and_rewritten(tmp_path, monkeypatch, garbage):
    reg_dir = write(tmp_path / "reg", {"a.toml": GOOD})
    cache = tmp_path / "cache"
    monkeypatch.setenv("SYMML_CACHE_DIR", str(cache))
    expected = load_registry(reg_dir).get("line").expr
    [entry] = cache_files(cache)
    entry.write_bytes(garbage)
    assert load_registry(reg_dir).get("line").expr == expected
    key, value = pickle.loads(entry.read_bytes())
    assert value == expected and key == entry.stem


def test_cache_key_includes_declarations(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    monkeypatch.setenv("SYMML_CACHE_DIR", str(cache))
    real = load_registry(write(tmp_path / "reg", {"a.toml": GOOD})).get("line").expr
    positive = (
        load_registry(
            write(tmp_path / "reg", {"a.toml": GOOD.replace('x = "real"', 'x = "positive"')})
        )
        .get("line")
        .expr
    )
    assert real != positive
    assert len(cache_files(cache)) == 2


def test_unwritable_cache_only_costs_speed(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("a file where the cache directory should be")
    monkeypatch.setenv("SYMML_CACHE_DIR", str(blocker))
    assert load_registry(write(tmp_path / "reg", {"a.toml": GOOD})).get("line").expr is not None


def test_old_cache_generations_are_pruned(tmp_path, monkeypatch):
    from symml.registry import _cache  # white-box: the pruning internals

    cache = tmp_path / "cache"
    monkeypatch.setenv("SYMML_CACHE_DIR", str(cache))
    for n in range(6):  # what earlier versions of symml left behind, oldest first
        old = cache / "parse" / f"old{n}" / "ab"
        old.mkdir(parents=True)
        (old / "entry.pickle").write_bytes(b"stale")
        os.utime(old.parent, (1_000_000 + n, 1_000_000 + n))
    _cache._prune_once.cache_clear()
    assert load_registry(write(tmp_path / "reg", {"a.toml": GOOD})).get("line").expr is not None
    kept = sorted(d.name for d in (cache / "parse").iterdir())
    assert len(kept) == _cache._KEEP_GENERATIONS
    assert {"old5", "old4", "old3"} < set(kept)


CONCURRENT = """
import sys
from symml.registry import load_registry
registry = load_registry(sys.argv[1])
registry.parse_all()
print(sorted(str(f.expr) for f in registry))
"""


@pytest.mark.slow
def test_two_processes_write_the_cache_at_once(tmp_path):
    many = "".join(GOOD.replace("line", f"line{n}").replace("a x", f"{n} a x") for n in range(8))
    reg_dir = write(tmp_path / "reg", {"a.toml": many})
    env = {**os.environ, "SYMML_CACHE_DIR": str(tmp_path / "cache")}
    runs = [
        subprocess.Popen(
            [sys.executable, "-c", CONCURRENT, str(reg_dir)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [run.communicate(timeout=300) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    assert outputs[0][0] == outputs[1][0]
    assert len(cache_files(tmp_path / "cache")) == 9  # 8 formulas, 1 claim shared by all
    assert not list((tmp_path / "cache").rglob(".tmp-*"))
