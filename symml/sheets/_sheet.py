"""Cheat-sheets from the registry: LaTeX, Markdown and PDF.

The pipeline reads top to bottom in :func:`cheatsheet`: select formulas -> build one
:class:`Entry` per formula (definition, textbook derivatives, step-by-step derivations,
verification marks, sources; each built in a bounded worker so one slow or broken formula
costs a mark, never the sheet) -> collect the errata -> draw the activation plots ->
render as LaTeX or Markdown. :func:`compile_pdf` turns the LaTeX into a PDF.

The stages have modules of their own: ``_entry`` (one entry), ``_render`` (LaTeX and
Markdown), ``_compile`` (the PDF); ``_model`` holds the values.

Examples:
    >>> from symml.sheets import Entry, Sheet, render
    >>> sheet = Sheet(sections=(("Activations", (Entry("f", "R&D_1", r"f(x) = x"),)),))
    >>> [line for line in render(sheet, "md").splitlines() if line.startswith("##")]
    ['## Activations', '### R&D\\\\_1']
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

from symml.errors import SymmlError
from symml.sheets._compile import (
    compile_repairing,
    tex_engine,
    write_atomic,
)
from symml.sheets._entry import (
    BUGS_AND_ERRORS,
    build_entry,
    failure_mark,
    no_derive,
    sympy_latex,
)
from symml.sheets._model import Entry, Mark, Sheet, Status
from symml.sheets._render import render
from symml.sheets._words import document_titles

#: Seconds for the whole sheet, and for one formula's derivation + verification.
TIME_BUDGET = 600.0
ENTRY_TIMEOUT = 90.0
#: Registry names (without "_", lower case) that get a plot of function and derivative.
PLOTTED = ("sigmoid", "tanh", "relu", "leakyrelu", "softplus", "softmax")
#: How a plot's legend writes each plotted function (matplotlib mathtext).
_MATH_NAMES = {
    "sigmoid": r"\sigma",
    "tanh": r"\tanh",
    "relu": r"\mathrm{ReLU}",
    "leakyrelu": r"\mathrm{LeakyReLU}",
    "softplus": r"\mathrm{softplus}",
}


def cheatsheet(
    names: Sequence[str] | None = None,
    *,
    tags: Sequence[str] | None = None,
    steps: bool = False,
    fmt: str = "tex",
    verify: bool = True,
    plots_dir: str | Path | None = None,
    time_budget: float = TIME_BUDGET,
    progress: Progress | None = None,
) -> str:
    """The cheat-sheet of the registry (or of ``names`` / ``tags``) as LaTeX or Markdown.

    Args:
        names: registry names; ``None`` means every formula (of ``tags`` if given).
        tags: keep formulas carrying any of these tags.
        steps: add step-by-step derivations where symml has them.
        fmt: ``"tex"`` or ``"md"``.
        verify: run the verification engine and show its marks.
        plots_dir: where to draw the activation figures (PDF for tex, PNG for md). The
            document refers to them by this directory's *name*, so put it next to the
            output file. ``None``: no figures.
        time_budget: seconds for all derivations and verifications; formulas left when it
            runs out are shown without them, with a mark saying so.
        progress: called as ``progress(what, total)`` after each step (a formula built,
            the plots drawn), ``total`` being the number of steps.

    Raises:
        RegistryError: an unknown name or tag.

    Examples:
        >>> text = cheatsheet(["sigmoid"], fmt="md", verify=False)
        >>> "### Sigmoid" in text.splitlines(), r"\\frac{d}{dx} \\sigma(x)" in text
        (True, True)
    """
    if fmt not in ("tex", "md"):
        raise SymmlError(f"unknown cheat-sheet format {fmt!r}; valid: tex, md")
    formulas = select(names, tags)
    report = progress or (lambda _what, _total: None)
    total = len(formulas) + (plots_dir is not None) + _extra_steps(progress)
    sheet = build_sheet(
        formulas,
        steps=steps,
        verify=verify,
        time_budget=time_budget,
        progress=lambda name: report(name, total),
    )
    if plots_dir is not None:
        sheet = add_plots(sheet, formulas, Path(plots_dir), ext="pdf" if fmt == "tex" else "png")
        report("plots", total)
    return render(sheet, fmt)


def _extra_steps(progress: Any) -> int:
    """Steps the caller counts after the sheet's own (write_cheatsheet: the PDF)."""
    return int(getattr(progress, "extra_steps", 0))


def write_cheatsheet(
    output: str | Path | None,
    *,
    pdf: bool = False,
    tags: Sequence[str] | None = None,
    steps: bool = False,
    fmt: str = "tex",
    verify: bool = True,
    time_budget: float = TIME_BUDGET,
    progress: Progress | None = None,
) -> tuple[str, list[Path]]:
    """What ``symml cheatsheet`` does: write the sheet (and its figures, and the PDF).

    With no ``output`` (or ``"-"``) and no ``pdf``, nothing is written and the text is
    returned for stdout. Figures go to ``<stem>-figures/`` beside ``output``. Every file is
    written through a temporary file and a rename.

    ``progress`` is called as in :func:`cheatsheet`, and once more as the PDF is compiled.

    Returns:
        (text, files written).

    Raises:
        TexError: ``pdf`` and no TeX engine, or TeX failed.
    """
    if pdf and fmt != "tex":
        raise SymmlError("--pdf compiles LaTeX: use it with --format tex")
    if pdf:
        tex_engine()  # no TeX: say so now, not after minutes of verification
    if output in (None, "-") and not pdf:
        text = cheatsheet(
            tags=tags, steps=steps, fmt=fmt, verify=verify, time_budget=time_budget,
            progress=progress,
        )  # fmt: skip
        return text, []
    path = Path(output) if output not in (None, "-") else Path("symml-cheatsheet.tex")
    if path.is_dir():
        raise SymmlError(
            f"cannot write {path}: it is a directory"
            f" (name a file: -o {path / 'symml-cheatsheet.tex'})"
        )
    if not path.parent.is_dir():
        raise SymmlError(f"cannot write {path}: directory {path.parent} does not exist")
    figures = path.parent / f"{path.stem}-figures"
    counted: Any = None
    if progress is not None:
        counted = _Counted(progress, extra_steps=int(pdf))
    text = cheatsheet(
        tags=tags, steps=steps, fmt=fmt, verify=verify, plots_dir=figures,
        time_budget=time_budget, progress=counted,
    )  # fmt: skip
    write_atomic(path, text)
    written = [path]
    if pdf:
        if counted is not None:  # the last step: TeX runs while it is shown
            counted("compiling the PDF", counted.total)
        written.append(compile_repairing(path, text, figures))
    return path.read_text(), written


#: ``progress(what, total)``: one step of a sheet done.
Progress = Callable[[str, int], None]


class _Counted:
    """A progress callback that knows how many steps its caller adds after the sheet's."""

    def __init__(self, progress: Progress, extra_steps: int) -> None:
        self.progress, self.extra_steps, self.total = progress, extra_steps, 0

    def __call__(self, what: str, total: int) -> None:
        self.total = total
        self.progress(what, total)


def select(names: Sequence[str] | None, tags: Sequence[str] | None) -> list[Any]:
    """Registry formulas by name, else by tag (any of), else all; registry order."""
    from symml import registry

    if names:
        return [registry.get(n) for n in names]
    if not tags:
        return list(registry.formulas())
    chosen: dict[str, Any] = {}
    for tag in tags:
        for f in registry.formulas(tag=tag):
            chosen.setdefault(f.name, f)
    order = {f.name: k for k, f in enumerate(registry.formulas())}
    return sorted(chosen.values(), key=lambda f: order.get(f.name, 0))


def build_sheet(
    formulas: Iterable[Any],
    *,
    steps: bool = False,
    verify: bool = True,
    time_budget: float = TIME_BUDGET,
    entry_fn: Callable[[Any, bool, bool], Entry] | None = None,
    workers: int = 2,
    progress: Callable[[str], None] | None = None,
) -> Sheet:
    """Entries grouped by topic; ``entry_fn(formula, steps, verify)`` builds one entry.

    The default ``entry_fn`` rebuilds the formula by name in a worker process killed after
    ``ENTRY_TIMEOUT`` seconds. After ``time_budget`` seconds the rest are built without
    derivations or verification.
    """
    formulas = list(formulas)
    entry_fn = entry_fn or _bounded_entry
    deadline = time.monotonic() + time_budget

    def one(formula: Any) -> Entry:
        if time.monotonic() > deadline:
            entry = build_entry(formula, steps=False, verify=False, derive_fn=no_derive)
            why = f"skipped: the sheet's time budget ({time_budget:g} s) ran out"
            entry = replace(entry, marks=(Mark(Status.SKIPPED, why),))
        else:
            entry = entry_fn(formula, steps, verify)
        if progress is not None:
            progress(formula.name)
        return entry

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        entries = list(pool.map(one, formulas))
    sections: dict[str, list[Entry]] = {}
    for formula, entry in zip(formulas, entries, strict=True):
        sections.setdefault(_topic(formula), []).append(entry)
    errata = tuple(e for entry in entries for e in entry.errata)
    cited = [s for e in entries for s in e.sources] + [e.source for e in errata]
    return Sheet(
        tuple((t, tuple(es)) for t, es in sections.items()), errata, documents=_titles(cited)
    )


def _titles(sources: list[str]) -> tuple[tuple[str, str], ...]:
    """(file, title) of the registry's documents that ``sources`` cite."""
    from symml.registry import formulas_dir

    names = sorted({s.partition(":")[0].strip() for s in sources if ":" in s})
    names = [n for n in names if n and "/" not in n and "\\" not in n]
    return tuple(sorted(document_titles(names, Path(formulas_dir()) / "documents").items()))


def _topic(formula: Any) -> str:
    stem = Path(str(getattr(formula, "file", "") or "")).stem
    if not stem:
        tags = tuple(getattr(formula, "tags", ()) or ())
        stem = tags[0] if tags else "other"
    return stem.replace("_", " ").replace("-", " ").strip().capitalize()


def _bounded_entry(formula: Any, steps: bool, verify: bool) -> Entry:
    from symml.registry import formulas_dir
    from symml.workers import run_bounded

    try:
        where = str(formulas_dir())  # the worker may have been started under another registry
        return run_bounded(
            _entry_by_name, formula.name, steps, verify, where, timeout=ENTRY_TIMEOUT
        )
    except Exception as e:  # recorded on the sheet: one broken formula must not sink it
        entry = build_entry(formula, steps=False, verify=False, derive_fn=no_derive)
        return replace(entry, marks=(Mark(Status.FAILED, failure_mark("derive/verify", e)),))


def _entry_by_name(name: str, steps: bool, verify: bool, where: str | None = None) -> Entry:
    """Runs in a worker process: look the formula up again (in the parent's registry, ``where``)
    and build its entry. A reused worker keeps the environment it was started with, so its
    default registry may be another one than the parent's now."""
    from symml import registry

    if where is None or Path(where).resolve() == Path(registry.formulas_dir()).resolve():
        formula = registry.get(name)
    else:
        formula = registry.load_registry(where).get(name)
    return build_entry(formula, steps=steps, verify=verify)


def add_plots(sheet: Sheet, formulas: Sequence[Any], plots_dir: Path, *, ext: str) -> Sheet:
    """Draw the activation figures into ``plots_dir`` and attach them to their entries."""
    from symml.sheets import _plots as plots

    if not plots.available():
        note = f"Plots of the activation functions: {plots.PLOTS_HINT}"
        return replace(sheet, notes=sheet.notes + (note,))
    curves, notes = [], []
    for formula in formulas:
        key = formula.name.replace("_", "").lower()
        if key in PLOTTED:
            try:
                curves.append(_curve(formula, key))
            except BUGS_AND_ERRORS as e:
                notes.append(failure_mark(f"plot of {formula.name}", e))
    sections = sheet.sections
    names = {c.name for c in curves}
    if names and not any(n.replace("_", "") == "softplus" for n in names):
        entry, curve = _softplus_extra()
        curves.append(curve)
        home = next(k for k, (_, es) in enumerate(sections) if {e.name for e in es} & names)
        topic, entries = sections[home]
        sections = (*sections[:home], (topic, (*entries, entry)), *sections[home + 1 :])
    files = plots.draw(curves, plots_dir, ext=ext)
    sections = tuple(
        (topic, tuple(replace(e, plot=files[e.name].name) if e.name in files else e for e in es))
        for topic, es in sections
    )
    notes_all = sheet.notes + tuple(notes)
    return replace(sheet, sections=sections, plots_dir=plots_dir.name, notes=notes_all)


def _softplus_extra() -> tuple[Entry, Any]:
    """Softplus is in no document; the sheet shows it (from symml.functions) for comparison."""
    import sympy

    from symml.functions import softplus, to_elementary
    from symml.sheets._plots import Curve

    x = sympy.Symbol("x", real=True)
    f = softplus(x)
    derivative = sympy.diff(f, x)  # sigma(x): the class differentiates to its textbook form
    entry = Entry(
        name="softplus",
        title="Softplus (not in the documents)",
        definition=rf"\operatorname{{softplus}}(x) = {sympy_latex(f.rewrite(sympy.exp))}",
        derivatives=(
            rf"\frac{{d}}{{dx}} \operatorname{{softplus}}(x) = {sympy_latex(derivative)}",
        ),
        sources=("symml.functions.softplus, shown beside the activations of the documents",),
    )
    return entry, _named(Curve("softplus", "Softplus", to_elementary(f), x), "softplus")


def _curve(formula: Any, key: str) -> Any:
    """A one-variable Curve from the registry definition (parameters fixed, softmax at K=2)."""
    import sympy

    from symml.functions import to_elementary
    from symml.sheets._plots import Curve

    expr = formula.definition() if hasattr(formula, "definition") else formula.rhs
    expr = to_elementary(expr)
    label = str(formula.title).split(" (")[0]
    if key == "softmax":  # two classes: p_1 as a function of z_1 with z_2 = 0
        t = sympy.Symbol("t", real=True)
        ints = sorted((s for s in expr.free_symbols if s.is_integer), key=str)
        idx = {s: 1 for s in ints if str(s) in ("i", "c", "k")}
        idx.update({s: 2 for s in ints if s not in idx})
        expr = expr.subs(idx).doit()
        bases = {b for b in expr.atoms(sympy.Indexed)}
        expr = expr.subs({b: (t if b.indices == (1,) else 0) for b in bases})
        label = r"softmax $p_1(t, 0)$"
        slope = r"$\partial p_1/\partial t$"
        return Curve(formula.name, label, sympy.simplify(expr), t, derivative_label=slope)
    params = sorted(expr.free_symbols, key=str)
    var = next((s for s in params if str(s) in ("x", "z", "t", "a")), params[0] if params else None)
    if var is None:
        raise SymmlError(f"{formula.name} has no variable to plot")
    fixed = {s: sympy.Rational(1, 10) for s in params if s != var}
    if fixed:
        label += " ($" + ", ".join(f"{sympy.latex(s)} = 0.1" for s in fixed) + "$)"
    return _named(Curve(formula.name, label, expr.subs(fixed), var), key)


def _named(curve: Any, key: str) -> Any:
    """The curve with its legend in math: ``Sigmoid $\\sigma(x)$`` and ``$\\sigma'(x)$``."""
    import sympy

    name = _MATH_NAMES.get(key)
    if name is None:
        return curve
    var = sympy.latex(curve.var)
    return replace(
        curve, label=f"{curve.label} ${name}({var})$", derivative_label=f"${name}'({var})$"
    )
