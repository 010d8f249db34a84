"""No execution from text: no user, document or registry text reaches eval, exec or a parser
that evaluates (``sympify`` of a string, ``parse_expr``), and registry references cannot
import arbitrary modules.

Two proofs: a static scan of ``symml/**/*.py`` that allows each dangerous call only where
this file says why it is safe, and a run of the injection corpus through the parser, the
document checker, the registry loader and lambdify with ``eval``, ``exec`` and
``parse_expr`` watched.
"""

from __future__ import annotations

import ast
import builtins
import os
import sys
from pathlib import Path

import pytest

from symml.errors import ParseError, RegistryError, SymmlError

PACKAGE = Path(__file__).resolve().parent.parent / "symml"

# Calls that can run code or parse text into code. ``re.compile`` and json/tomllib loads are
# not in the list; ``pickle.load(s)`` and ``import_module`` are (they run code too).
DANGEROUS = {
    "eval",
    "exec",
    "compile",
    "__import__",
    "parse_expr",
    "sympify",
    "S",
    "import_module",
    "load",
    "loads",
    "lambdify",
}
SAFE_BASES = {"re", "json", "tomllib", "tomli", "yaml_safe"}

_SYMPY_OBJECT = "the argument is a SymPy object (or a number) that symml built, never text"

# (enclosing function, call) -> why it is safe. Keyed without the file or line so that moving
# code does not break the test, while a new call in a new function does.
ALLOWED: dict[tuple[str, str], str] = {
    (
        "__getattr__",
        "importlib.import_module",
    ): "imports symml's own modules from the fixed table of public names",
    ("scipy_stats", "importlib.import_module"): "a constant module name ('scipy.stats')",
    (
        "_adapter_for",
        "importlib.import_module",
    ): "registry references; see test_registry_refuses_references_outside_handwritten",
    (
        "load_code",
        "importlib.import_module",
    ): "registry references, or --against MODULE:FUNC given on the user's own command line",
    (
        "cached_parse",
        "pickle.load",
    ): "symml's own parse cache in the user's cache directory (written atomically by symml)",
    (
        "_serve_stdio",
        "pickle.loads",
    ): "frames from the parent process over the worker's private pipe",
    ("_Pool.run", "pickle.loads"): "frames from symml's own worker process over a private pipe",
    (
        "lambdify_ml",
        "sp.lambdify",
    ): "expressions symml built; symbol names are printed by SymPy's code printer",
    ("_mp_eval", "sp.lambdify"): "expressions symml built (the mpmath reference)",
    ("lambdified", "sympy.lambdify"): "registry expressions symml parsed",
}
for _site in [
    ("simplify_deep",),
    ("_sample_relation",),
    ("row_softmax.__new__",),
    ("row_softmax._entry",),
    ("row_softmax._elementary",),
    ("to_elementary",),
    ("prove_matrix_form",),
    ("_explicit",),
    ("lambdify_ml",),
    ("mp_reference_many",),
    ("sample_inputs",),
    ("_needed_length",),
    ("differentiate_steps",),
    ("append_step",),
    ("GradientVector.__new__",),
    ("recognize",),
    ("evaluate",),
    ("_check_property",),
    ("_check_value",),
    ("_subject",),
]:
    ALLOWED[(*_site, "sp.sympify")] = _SYMPY_OBJECT


class _Calls(ast.NodeVisitor):
    """Dangerous calls with the qualified name of the function they are in."""

    def __init__(self, relpath: str):
        self.relpath = relpath
        self.scope: list[str] = []
        self.found: list[tuple[tuple[str, str, str], int]] = []

    def _scoped(self, node):
        self.scope.append(node.name)
        self.generic_visit(node)
        self.scope.pop()

    visit_FunctionDef = visit_AsyncFunctionDef = visit_ClassDef = _scoped

    def visit_Call(self, node: ast.Call):
        func = node.func
        base = None
        if isinstance(func, ast.Name):
            name = func.id
        elif isinstance(func, ast.Attribute):
            name, base = func.attr, ast.unparse(func.value)
        else:
            name = None
        if name in DANGEROUS and base not in SAFE_BASES:
            if not (name in ("load", "loads") and base not in ("pickle", "marshal")):
                call = f"{base}.{name}" if base else name
                where = ".".join(self.scope) or "<module>"
                self.found.append(((self.relpath, where, call), node.lineno))
        self.generic_visit(node)


def _scan() -> list[tuple[tuple[str, str, str], int]]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        visitor = _Calls(str(path.relative_to(PACKAGE.parent)))
        visitor.visit(ast.parse(path.read_text(encoding="utf-8"), str(path)))
        found += visitor.found
    return found


def test_no_dangerous_call_outside_the_allow_list():
    unexplained = [
        f"{key[0]}:{line} {key[2]}(...) in {key[1]}"
        for key, line in _scan()
        if key[1:] not in ALLOWED
    ]
    assert not unexplained, (
        "calls that can execute text; remove them, or add them to ALLOWED with the reason "
        "they never see user, document or registry text:\n" + "\n".join(unexplained)
    )


def test_allow_list_has_no_stale_entries():
    present = {key[1:] for key, _ in _scan()}
    stale = sorted(set(ALLOWED) - present)
    assert not stale, f"ALLOWED names calls that no longer exist: {stale}"


def test_the_scanner_sees_what_it_must():
    source = "def f(t):\n    eval(t)\n    sp.sympify(t)\n    re.compile(t)\n    json.loads(t)\n"
    visitor = _Calls("x.py")
    visitor.visit(ast.parse(source))
    assert [key[2] for key, _ in visitor.found] == ["eval", "sp.sympify"]


# --------------------------------------------------------------------------- at run time


@pytest.fixture
def watched(monkeypatch):
    """Record every eval/exec source and every parse_expr/sympify-of-text call."""
    import sympy.parsing.sympy_parser as sympy_parser

    seen: dict[str, list[str]] = {"exec": [], "parse_expr": []}
    real_eval, real_exec = builtins.eval, builtins.exec
    real_parse_expr = sympy_parser.parse_expr

    def scope(globals_, locals_):
        # eval/exec without a namespace use the caller's: this wrapper's frame must not count
        if globals_ is None:
            frame = sys._getframe(2)
            return frame.f_globals, frame.f_locals if locals_ is None else locals_
        return globals_, locals_

    def eval_(source, globals_=None, locals_=None):
        seen["exec"].append(source if isinstance(source, str) else repr(source))
        return real_eval(source, *scope(globals_, locals_))

    def exec_(source, globals_=None, locals_=None, **kwargs):
        seen["exec"].append(source if isinstance(source, str) else repr(source))
        return real_exec(source, *scope(globals_, locals_), **kwargs)

    def parse_expr(text, *args, **kwargs):
        seen["parse_expr"].append(text)
        return real_parse_expr(text, *args, **kwargs)

    monkeypatch.setattr(builtins, "eval", eval_)
    monkeypatch.setattr(builtins, "exec", exec_)
    monkeypatch.setattr(sympy_parser, "parse_expr", parse_expr)
    return seen


def _injection_cases():
    from test_hostile import SENTINEL, load_corpus

    cases = [c for c in load_corpus() if c.group in ("code_injection", "tex_primitives")]
    return SENTINEL, cases


# Pieces of the injection payloads; code SymPy or dataclasses generate never contains them.
MARKERS = ("__import__", "os.system", "subprocess", "touch ", "symml_pwned", "/etc/passwd")


def _assert_clean(seen, sentinel):
    texts = seen["parse_expr"] + [s for s in seen["exec"] if any(m in s for m in MARKERS)]
    assert not texts, f"text reached an evaluator: {texts[:3]}"
    assert not os.path.exists(sentinel)


def test_injection_corpus_through_parser_and_documents(watched, tmp_path, monkeypatch):
    from symml.documents import check_document
    from symml.latex import parse_latex

    monkeypatch.chdir(tmp_path)
    sentinel, cases = _injection_cases()
    assert len(cases) >= 50
    parsed = 0
    for case in cases:
        try:
            parse_latex(case.text)
            parsed += 1
        except ParseError:
            pass
    assert parsed >= 10  # functions named eval, exec, getattr, open parse; nothing runs
    # the documents' path: the same text as Markdown math blocks and inline math
    doc = "\n\n".join(f"$$\n{c.text}\n$$\nand ${c.text}$ inline." for c in cases[:40])
    check_document(doc, name="injection.md", timeout=5)
    _assert_clean(watched, sentinel)
    assert list(tmp_path.iterdir()) == []


# Functions named in text must not become calls of Python builtins in generated code.
BUILTIN_NAMES = [
    r"\operatorname{exit}(x)",
    r"\operatorname{print}(x)",
    r"\operatorname{exec}(x)",
    r"\operatorname{open}(x)",
    r"\text{__import__}(x)",
    r"\operatorname{input}(x)",
]


@pytest.mark.parametrize("text", BUILTIN_NAMES)
def test_lambdify_never_calls_a_builtin_named_in_text(text, monkeypatch, capsys):
    import io

    from symml.latex import parse_latex
    from symml.numeric import lambdify_ml

    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    value = parse_latex(text)
    try:
        f = lambdify_ml(value, sorted(value.free_symbols, key=str))
        f(1.0)
    except SymmlError:
        return  # refused: fine
    except BaseException as e:  # noqa: BLE001  (SystemExit, SyntaxError, EOFError: all wrong)
        pytest.fail(f"{text}: {type(e).__name__}: {e}")
    assert capsys.readouterr().out == "", "print() was called"
    pytest.fail(f"{text} was compiled and called")


_EVIL_TOML = """
[evil]
title = "__import__('os').system('touch {s}')"
latex = '\\input{{/etc/passwd}} __import__(\\text{{os}}).system(\\text{{touch {s}}})'
symbols = {{ x = "real" }}
sources = ["{s}"]
tags = ["x"]
notes = "{{{{ exec('import os') }}}}"

[[evil.claims]]
kind = "identity"
latex = '\\write18{{touch {s}}} = 1'

[fine]
title = "A line"
latex = 'a x + b'
symbols = {{ x = "real" }}
sources = ["demo"]
tags = ["demo"]
"""


def test_registry_text_is_never_executed(watched, tmp_path):
    from symml.registry import load_registry

    sentinel, _ = _injection_cases()
    (tmp_path / "evil.toml").write_text(_EVIL_TOML.format(s=sentinel), encoding="utf-8")
    registry = load_registry(tmp_path)  # loading validates fields but parses no LaTeX
    evil = registry.get("evil")
    with pytest.raises(RegistryError, match="does not parse"):
        evil.expr  # noqa: B018  (the lazy parse is the point)
    with pytest.raises(RegistryError, match="does not parse"):
        evil.claims[0].expr  # noqa: B018
    assert str(registry.get("fine").expr) == "a*x + b"
    _assert_clean(watched, sentinel)


@pytest.mark.parametrize(
    "ref",
    [
        "os:system",
        "builtins:exec",
        "subprocess:getoutput",
        "antigravity:fly",
        "symml.registry._registry:load_registry",
    ],
)
def test_registry_refuses_references_outside_handwritten(tmp_path, ref):
    from symml.registry import load_registry

    (tmp_path / "refs.toml").write_text(
        f'[f]\ntitle = "t"\nlatex = "x"\nsymbols = {{ x = "real" }}\nsources = ["s"]\n'
        f'tags = ["t"]\nhandwritten = "{ref}"\n',
        encoding="utf-8",
    )
    with pytest.raises(RegistryError, match="handwritten"):
        load_registry(tmp_path)
