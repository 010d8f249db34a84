"""Cheat-sheets from the registry: LaTeX, Markdown and PDF.

The pipeline reads top to bottom in :func:`cheatsheet`: select formulas -> build one
:class:`Entry` per formula (definition, textbook derivatives, step-by-step derivations,
verification marks, sources; each built in a bounded worker so one slow or broken formula
costs a mark, never the sheet) -> collect the errata -> draw the activation plots ->
render as LaTeX or Markdown. :func:`compile_pdf` turns the LaTeX into a PDF.

Examples:
    >>> from symml.cheatsheet import Entry, Sheet, render
    >>> sheet = Sheet(sections=(("Activations", (Entry("f", "R&D_1", r"f(x) = x"),)),))
    >>> [line for line in render(sheet, "md").splitlines() if line.startswith("##")]
    ['## Activations', '### R&D\\\\_1']
"""

from __future__ import annotations

import enum
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import types
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from symml.errors import SymmlError
from symml.texescape import double_script, escape, inline_display, math_ok, md_escape

__all__ = [
    "Entry",
    "Erratum",
    "Mark",
    "Sheet",
    "Status",
    "TexError",
    "build_entry",
    "build_sheet",
    "cheatsheet",
    "compile_pdf",
    "render",
    "write_atomic",
    "write_cheatsheet",
]

#: Seconds for the whole sheet, and for one formula's derivation + verification.
TIME_BUDGET = 600.0
ENTRY_TIMEOUT = 90.0
#: Seconds for one TeX compilation.
TEX_TIMEOUT = 240.0
TEX_PACKAGES = "texlive-latex-base texlive-latex-recommended texlive-latex-extra latexmk"
#: Registry names (without "_", lower case) that get a plot of function and derivative.
PLOTTED = ("sigmoid", "tanh", "relu", "leakyrelu", "softplus", "softmax")


class TexError(SymmlError):
    """No TeX engine, or TeX failed; the message names the fix or the log line and log file.

    Attributes:
        line: the line of the document TeX stopped at (None if unknown).
        reason: TeX's message (``Double superscript.``), "" if unknown.
    """

    def __init__(self, message: str, line: int | None = None, reason: str = ""):
        super().__init__(message)
        self.line = line
        self.reason = reason


class Status(enum.Enum):
    VERIFIED = "verified"
    REFUTED = "refuted"
    ERRATUM = "erratum"  # refuted, as the registry says it should be: the document is wrong
    FAILED = "failed"  # derive/verify raised or ran out of time: not evidence either way
    SKIPPED = "skipped"


@dataclass(frozen=True)
class Mark:
    status: Status
    text: str


@dataclass(frozen=True)
class Erratum:
    title: str
    source: str
    claimed: str  # LaTeX math: what the document states
    why: str  # text
    counterexample: str = ""  # text
    correction: str = ""  # LaTeX math


@dataclass(frozen=True)
class Entry:
    """One formula on the sheet. Math fields are LaTeX without dollars; text is raw."""

    name: str
    title: str
    definition: str  # math; "" when no rendering compiles (then ``raw`` is shown as code)
    raw: str = ""
    derivatives: tuple[str, ...] = ()
    steps: tuple[str, ...] = ()  # math, each an aligned block
    marks: tuple[Mark, ...] = ()
    sources: tuple[str, ...] = ()
    errata: tuple[Erratum, ...] = ()
    plot: str = ""  # figure file name inside the plots directory


@dataclass(frozen=True)
class Sheet:
    sections: tuple[tuple[str, tuple[Entry, ...]], ...]
    errata: tuple[Erratum, ...] = ()
    plots_dir: str = ""  # directory name, relative to the document
    notes: tuple[str, ...] = ()


# ------------------------------------------------------------------------------ pipeline


def cheatsheet(
    names: Sequence[str] | None = None,
    *,
    tags: Sequence[str] | None = None,
    steps: bool = False,
    fmt: str = "tex",
    verify: bool = True,
    plots_dir: str | Path | None = None,
    time_budget: float = TIME_BUDGET,
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
    sheet = build_sheet(formulas, steps=steps, verify=verify, time_budget=time_budget)
    if plots_dir is not None:
        sheet = add_plots(sheet, formulas, Path(plots_dir), ext="pdf" if fmt == "tex" else "png")
    return render(sheet, fmt)


def write_cheatsheet(
    output: str | Path | None,
    *,
    pdf: bool = False,
    tags: Sequence[str] | None = None,
    steps: bool = False,
    fmt: str = "tex",
    verify: bool = True,
    time_budget: float = TIME_BUDGET,
) -> tuple[str, list[Path]]:
    """What ``symml cheatsheet`` does: write the sheet (and its figures, and the PDF).

    With no ``output`` (or ``"-"``) and no ``pdf``, nothing is written and the text is
    returned for stdout. Figures go to ``<stem>-figures/`` beside ``output``. Every file is
    written through a temporary file and a rename.

    Returns:
        (text, files written).

    Raises:
        TexError: ``pdf`` and no TeX engine, or TeX failed.
    """
    if pdf and fmt != "tex":
        raise SymmlError("--pdf compiles LaTeX: use it with --format tex")
    if pdf:
        _tex_engine()  # no TeX: say so now, not after minutes of verification
    if output in (None, "-") and not pdf:
        return cheatsheet(
            tags=tags, steps=steps, fmt=fmt, verify=verify, time_budget=time_budget
        ), []
    path = Path(output) if output not in (None, "-") else Path("symml-cheatsheet.tex")
    if not path.parent.is_dir():
        raise SymmlError(f"cannot write {path}: directory {path.parent} does not exist")
    figures = path.parent / f"{path.stem}-figures"
    text = cheatsheet(
        tags=tags, steps=steps, fmt=fmt, verify=verify, plots_dir=figures, time_budget=time_budget
    )
    write_atomic(path, text)
    written = [path]
    if pdf:
        written.append(_compile_repairing(path, text, figures))
    return path.read_text(), written


def _compile_repairing(path: Path, text: str, figures: Path) -> Path:
    """compile_pdf; a math block TeX rejects is replaced by a note and the sheet recompiled."""
    for _ in range(MAX_REPAIRS):
        try:
            pdf = compile_pdf(path, figures=figures)
        except TexError as e:
            repaired = _drop_math_at(text, e.line, e.reason) if e.line else None
            if repaired is None:
                raise
            text = repaired
            write_atomic(path, text)
            continue
        path.with_suffix(".log").unlink(missing_ok=True)  # a log of a repaired failure
        return pdf
    return compile_pdf(path, figures=figures)


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
            entry = build_entry(formula, steps=False, verify=False, derive_fn=_no_derive)
            why = f"skipped: the sheet's time budget ({time_budget:g} s) ran out"
            return replace(entry, marks=(Mark(Status.SKIPPED, why),))
        return entry_fn(formula, steps, verify)

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        entries = list(pool.map(one, formulas))
    sections: dict[str, list[Entry]] = {}
    for formula, entry in zip(formulas, entries, strict=True):
        sections.setdefault(_topic(formula), []).append(entry)
    errata = tuple(e for entry in entries for e in entry.errata)
    return Sheet(tuple((t, tuple(es)) for t, es in sections.items()), errata)


def _topic(formula: Any) -> str:
    stem = Path(str(getattr(formula, "file", "") or "")).stem
    if not stem:
        tags = tuple(getattr(formula, "tags", ()) or ())
        stem = tags[0] if tags else "other"
    return stem.replace("_", " ").replace("-", " ").strip().capitalize()


def _bounded_entry(formula: Any, steps: bool, verify: bool) -> Entry:
    from symml.timeouts import run_bounded

    try:
        return run_bounded(_entry_by_name, formula.name, steps, verify, timeout=ENTRY_TIMEOUT)
    except Exception as e:  # recorded on the sheet: one broken formula must not sink it
        entry = build_entry(formula, steps=False, verify=False, derive_fn=_no_derive)
        return replace(entry, marks=(Mark(Status.FAILED, _failure("derive/verify", e)),))


def _entry_by_name(name: str, steps: bool, verify: bool) -> Entry:
    """Runs in a worker process: look the formula up again and build its entry."""
    from symml import registry

    return build_entry(registry.get(name), steps=steps, verify=verify)


def _no_derive(formula: Any, wrt: str) -> Any:
    raise SymmlError("derivations skipped")


def _failure(what: str, e: BaseException) -> str:
    text = str(e).strip().splitlines()[0] if str(e).strip() else ""
    return f"{what} failed: {type(e).__name__}{': ' + text[:200] if text else ''}"


# ------------------------------------------------------------------------------ one entry


def build_entry(
    formula: Any,
    *,
    steps: bool = False,
    verify: bool = True,
    derive_fn: Callable[[Any, str], Any] | None = None,
    verify_fn: Callable[[list[str]], Any] | None = None,
) -> Entry:
    """The entry of one Formula-like object; every failure becomes a mark."""
    marks: list[Mark] = []
    derivatives: list[str] = []
    step_blocks: list[str] = []
    corrections: dict[str, str] = {}  # wrt -> the derivative, to correct a wrong one
    if derive_fn is None:
        from symml.derive import derive

        def derive_fn(f: Any, wrt: str) -> Any:
            return derive(f, wrt, steps=steps)

    for wrt in _derivative_vars(formula):
        try:
            d = derive_fn(formula, wrt)
            corrections[wrt] = _typesettable(_latex_of(d.textbook))
            derivatives.append(f"{_d_lhs(formula, wrt)} = {corrections[wrt]}")
        except _BUGS_AND_ERRORS as e:
            if not isinstance(e, SymmlError) or str(e) != "derivations skipped":
                marks.append(Mark(Status.FAILED, _failure(f"derivative wrt {wrt}", e)))
            continue
        if steps and getattr(d, "steps", None):
            try:
                step_blocks.append(_typesettable(_steps_latex(d.steps)))
            except _BUGS_AND_ERRORS as e:
                marks.append(Mark(Status.FAILED, _failure(f"steps wrt {wrt}", e)))
    errata = _claim_errata(formula)
    if verify:
        try:
            if verify_fn is None:
                from symml.verify import verify as verify_fn
            report = verify_fn([formula.name])
            marks.extend(_marks_of(report, formula))
            errata = _merge_errata(errata, report, formula, corrections)
        except _BUGS_AND_ERRORS as e:
            marks.append(Mark(Status.FAILED, _failure("verification", e)))
    definition, raw = _definition(formula)
    return Entry(
        name=formula.name,
        title=str(formula.title),
        definition=definition,
        raw=raw,
        derivatives=tuple(derivatives),
        steps=tuple(step_blocks),
        marks=tuple(marks),
        sources=tuple(str(s) for s in formula.sources),
        errata=errata,
    )


# Any error of derive/verify/plots (SymPy, NumPy, a bug in a module still being written) is
# recorded on the sheet as a mark naming the exception: one formula must not sink the sheet,
# and nothing is hidden. KeyboardInterrupt and SystemExit still stop the program.
_BUGS_AND_ERRORS = (Exception,)


def _kind(claim: Any) -> str:
    kind = getattr(claim, "kind", "")
    return str(getattr(kind, "value", kind))


def _derivative_vars(formula: Any) -> list[str]:
    seen: list[str] = []
    for claim in getattr(formula, "claims", ()) or ():
        wrt = getattr(claim, "wrt", None)
        if _kind(claim) == "derivative" and wrt and str(wrt) not in seen:
            seen.append(str(wrt))
    return seen


def _latex_of(value: Any) -> str:
    """LaTeX of a SymPy value or of latex.py's Equation, Relation and Aligned."""
    if isinstance(value, str):
        return value
    import sympy

    items = getattr(value, "items", getattr(value, "equations", None))
    if isinstance(items, (tuple, list)):  # Aligned
        rows = [_latex_of(item) for item in items]
        rows = [re.sub(r" (=|\\leq|\\geq|<|>|\\neq) ", r" &\1 ", r, count=1) for r in rows]
        return r"\begin{aligned}" + r" \\ ".join(rows) + r"\end{aligned}"
    if hasattr(value, "parts") and hasattr(value, "ops"):  # Relation chain
        text = _latex_of(value.parts[0])
        for op, part in zip(value.ops, value.parts[1:], strict=False):
            text += f" {_OPS.get(str(op), op)} {_latex_of(part)}"
        return text
    if hasattr(value, "lhs") and hasattr(value, "rhs") and not isinstance(value, sympy.Basic):
        op = str(getattr(value, "op", "="))
        return f"{_latex_of(value.lhs)} {_OPS.get(op, op)} {_latex_of(value.rhs)}"
    return _sympy_latex(value)


def _sympy_latex(expr: Any) -> str:
    """SymPy's LaTeX, read like a textbook: ``\\sigma(x)``, not ``\\sigma{\\left(x \\right)}``."""
    from sympy.printing.latex import LatexPrinter

    class Printer(LatexPrinter):
        def _print_Heaviside(self, e: Any, exp: Any = None) -> str:
            text = rf"H\left({self._print(e.args[0])}\right)"
            return rf"{text}^{{{exp}}}" if exp else text

    text = Printer().doprint(expr)
    return re.sub(r"\{\\left\(([^()]*?) \\right\)\}", r"(\1)", text)


_OPS = {"==": "=", ":=": r"\coloneqq", "<=": r"\leq", ">=": r"\geq", "!=": r"\neq"}


def _d_lhs(formula: Any, wrt: str) -> str:
    import sympy

    var = sympy.latex(sympy.Symbol(wrt))
    lhs = getattr(formula, "lhs", None)
    rhs = getattr(formula, "rhs", None)
    raw_lhs = _top_level_lhs(str(getattr(formula, "latex", "")))
    body = raw_lhs if raw_lhs else (_latex_of(lhs) if lhs is not None else "f")
    single = rhs is not None and len(getattr(rhs, "free_symbols", ())) <= 1
    d = "d" if single else r"\partial "
    return rf"\frac{{{d}}}{{{d}{var}}} {body}"


def _typesettable(latex: str) -> str:
    """``latex`` itself, or a SymmlError for what TeX would stop at (a double superscript)."""
    problem = double_script(latex)
    if problem:
        raise SymmlError(f"the generated LaTeX has a double {problem}; not typeset")
    return latex


def _top_level_lhs(latex: str) -> str:
    """The registry's own left side (``\\sigma(x)`` of ``\\sigma(x) = ...``) when it compiles."""
    depth = 0
    for k, ch in enumerate(latex):
        depth += {"{": 1, "}": -1, "(": 1, ")": -1}.get(ch, 0)
        if ch == "=" and depth == 0 and latex[k - 1 : k] not in ("<", ">", "!", ":"):
            lhs = latex[:k].strip()
            return lhs if math_ok(lhs) else ""
    return ""


def _steps_latex(tree: Any) -> str:
    if isinstance(tree, str):
        block = tree.strip()
    else:
        from symml.steps import to_latex

        block = to_latex(tree).strip()
    block = inline_display(block)
    if block.startswith(r"\begin{aligned}"):
        return block
    return rf"\begin{{aligned}}{block}\end{{aligned}}"


def _definition(formula: Any) -> tuple[str, str]:
    """(math, raw): the registry's LaTeX when it compiles, else SymPy's, else none."""
    raw = str(formula.latex).strip()
    if math_ok(inline_display(raw)):
        return inline_display(raw), raw
    try:
        lhs = getattr(formula, "lhs", None)
        rhs = getattr(formula, "rhs", None)
        if lhs is not None and rhs is not None:
            return _typesettable(f"{_latex_of(lhs)} = {_latex_of(rhs)}"), raw
        return _typesettable(_latex_of(formula.expr)), raw
    except _BUGS_AND_ERRORS:  # the raw LaTeX is shown as code instead
        return "", raw


def _status(value: Any) -> str:
    return str(getattr(value, "value", value)).lower()


def _claim_label(claim: Any) -> str:
    """``derivative wrt x (#1)``: a Claim, or verify's claim string without its LaTeX."""
    if isinstance(claim, str) or claim is None:
        text = str(claim or "")
        m = re.match(r"^(.*?\(#\d+\))(?::\s.*?)?(?::\s(handwritten\s\S+))?$", text, re.S)
        label = (m.group(1) + (f" vs {m.group(2)}" if m.group(2) else "")) if m else text
        return re.sub(r"handwritten (?:\S+:)?(\S+)", r"hand-written \1", label)
    kind = _kind(claim)
    wrt = getattr(claim, "wrt", None)
    return f"{kind} wrt {wrt}" if wrt else kind


#: Longest message a mark shows; the full text is in ``symml verify``.
MARK_CHARS = 260

_STATUS_WORDS = {
    "verified": Status.VERIFIED,
    "verified_numerically": Status.VERIFIED,
    "refuted": Status.REFUTED,
    "failed": Status.REFUTED,
    "unstable": Status.REFUTED,
    "erratum": Status.ERRATUM,
    "skipped": Status.SKIPPED,
    "timeout": Status.FAILED,
}


def _marks_of(report: Any, formula: Any) -> list[Mark]:
    """The marks of ``formula`` in a verify Report: one line that sums up the checks that
    passed (what was measured), then one line per check that did not pass."""
    checks = [
        c
        for fr in getattr(report, "formulas", ()) or ()
        if getattr(fr, "name", formula.name) == formula.name
        for c in getattr(fr, "checks", ()) or ()
    ]
    passed = [c for c in checks if _kind_of(c) is Status.VERIFIED]
    marks = [Mark(Status.VERIFIED, _summary(passed))] if passed else []
    for check in checks:
        kind = _kind_of(check)
        if kind is Status.VERIFIED:
            continue
        label = _claim_label(getattr(check, "claim", ""))
        if kind is Status.ERRATUM:  # the errata section tells the story
            message = "the document is wrong here, see Errata"
        else:
            message = " ".join(str(getattr(check, "message", "")).split())
        if len(message) > MARK_CHARS:
            message = message[: MARK_CHARS - 3].rstrip() + "..."
        words = _status(check.status).replace("_", " ")
        marks.append(Mark(kind, f"{words}: {label}: {message}" if label else message))
    return marks


def _kind_of(check: Any) -> Status:
    return _STATUS_WORDS.get(_status(getattr(check, "status", "")), Status.FAILED)


def _summary(passed: list[Any]) -> str:
    """``verified: 4 claims (3 proved symbolically) and hand-written sigmoid; 1000 points...``"""
    labels = [_claim_label(getattr(c, "claim", "")) for c in passed]
    code = [n for lab in labels for n in re.findall(r"hand-written (\S+)", lab)]
    claims = sum("hand-written" not in lab for lab in labels)
    messages = [" ".join(str(getattr(c, "message", "")).split()) for c in passed]
    symbolic = sum("proved symbolically" in m for m in messages)
    parts = [f"{claims} claim{'s' * (claims != 1)}"] if claims else []
    if symbolic and parts:
        how = "all proved" if symbolic == claims > 1 else f"{symbolic} proved"
        parts[-1] += f" ({'proved' if claims == 1 else how} symbolically)"
    if code:
        parts.append("hand-written " + ", ".join(dict.fromkeys(code)))
    text = "verified: " + " and ".join(parts)
    points = max((getattr(c, "points", 0) or 0 for c in passed), default=0)
    seeds = {getattr(c, "seed", None) for c in passed} - {None}
    found = (re.search(r"rtol=([^,;)\s]+)", m) for m in messages)
    rtol = next((m.group(1) for m in found if m), "")
    if points:
        text += f"; up to {points} points" + (f", seed {min(seeds)}" if seeds else "")
        text += f", rtol {rtol}" if rtol else ""
    if not parts or not points:  # no structure to read: show the messages themselves
        text = "verified: " + "; ".join(dict.fromkeys(messages))
    return text if len(text) <= MARK_CHARS else text[: MARK_CHARS - 3].rstrip() + "..."


def _claim_errata(formula: Any) -> tuple[Erratum, ...]:
    out = []
    for claim in getattr(formula, "claims", ()) or ():
        why = getattr(claim, "erratum", None)
        if why:
            claimed = inline_display(str(getattr(claim, "latex", "") or ""))
            out.append(
                Erratum(
                    title=f"{formula.title}: {_claim_label(claim)}",
                    source=str(getattr(claim, "source", None) or (formula.sources or ("",))[0]),
                    claimed=claimed if math_ok(claimed) else "",
                    why=str(why),
                )
            )
    return tuple(out)


def _merge_errata(
    errata: tuple[Erratum, ...], report: Any, formula: Any, corrections: dict[str, str]
) -> tuple[Erratum, ...]:
    """Add the verifier's counterexample (and, for a derivative, the correct one)."""
    confirmed = [
        c
        for c in getattr(report, "errata", ()) or ()
        if getattr(c, "formula", getattr(c, "name", formula.name)) == formula.name
    ]
    merged = list(errata)
    for k, check in enumerate(confirmed):
        why = getattr(check, "erratum", None)
        at = next((n for n, e in enumerate(merged) if why and e.why == why), k)
        if at >= len(merged):
            continue
        counter = _counterexample_text(getattr(check, "counterexample", None))
        correction = getattr(check, "correction", "") or ""
        correction = _latex_of(correction) if correction != "" else ""
        wrt = re.match(r"derivative wrt (\S+)", str(getattr(check, "claim", "")))
        if not correction and wrt:
            correction = corrections.get(wrt.group(1), "")
        merged[at] = replace(merged[at], counterexample=counter, correction=correction)
    return tuple(merged)


def _counterexample_text(c: Any) -> str:
    if c is None or isinstance(c, str):
        return c or ""
    point = getattr(c, "point", {}) or {}
    where = ", ".join(f"{k} = {_num(v)}" for k, v in point.items())
    got, expected = _num(getattr(c, "got", "")), _num(getattr(c, "expected", ""))
    tol = getattr(c, "tolerance", "")
    text = f"at {where}: the claim gives {got}, the correct value is {expected}"
    return f"{text} ({tol})" if tol else text


def _num(v: Any) -> str:
    """A number to 6 digits; a vector as its first values (the sheet is not a data dump)."""
    if hasattr(v, "__len__") and not isinstance(v, str) and getattr(v, "ndim", 1) >= 1:
        items = list(getattr(v, "flat", v))
        shown = ", ".join(_num(x) for x in items[:3])
        return f"[{shown}{', ...' if len(items) > 3 else ''}]" + (
            f" ({len(items)} values)" if len(items) > 3 else ""
        )
    try:
        return f"{float(v):.6g}"
    except (TypeError, ValueError):
        return " ".join(str(v).split())[:80]


# ------------------------------------------------------------------------------ plots


def add_plots(sheet: Sheet, formulas: Sequence[Any], plots_dir: Path, *, ext: str) -> Sheet:
    """Draw the activation figures into ``plots_dir`` and attach them to their entries."""
    from symml import plots

    if not plots.available():
        note = f"Plots of the activation functions: {plots.PLOTS_HINT}"
        return replace(sheet, notes=sheet.notes + (note,))
    curves, notes = [], []
    for formula in formulas:
        key = formula.name.replace("_", "").lower()
        if key in PLOTTED:
            try:
                curves.append(_curve(formula, key))
            except _BUGS_AND_ERRORS as e:
                notes.append(_failure(f"plot of {formula.name}", e))
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
    from symml.plots import Curve

    x = sympy.Symbol("x", real=True)
    f = softplus(x)
    derivative = sympy.diff(f, x)  # sigma(x): the class differentiates to its textbook form
    entry = Entry(
        name="softplus",
        title="Softplus (not in the documents)",
        definition=rf"\operatorname{{softplus}}(x) = {_sympy_latex(f.rewrite(sympy.exp))}",
        derivatives=(
            rf"\frac{{d}}{{dx}} \operatorname{{softplus}}(x) = {_sympy_latex(derivative)}",
        ),
        sources=("symml.functions.softplus, shown beside the activations of the documents",),
    )
    return entry, Curve("softplus", "Softplus", to_elementary(f), x)


def _curve(formula: Any, key: str) -> Any:
    """A one-variable Curve from the registry definition (parameters fixed, softmax at K=2)."""
    import sympy

    from symml.functions import to_elementary
    from symml.plots import Curve

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
        label = r"softmax$(t, 0)_1$"
        return Curve(formula.name, label, sympy.simplify(expr), t)
    params = sorted(expr.free_symbols, key=str)
    var = next((s for s in params if str(s) in ("x", "z", "t", "a")), params[0] if params else None)
    if var is None:
        raise SymmlError(f"{formula.name} has no variable to plot")
    fixed = {s: sympy.Rational(1, 10) for s in params if s != var}
    if fixed:
        label += " ($" + ", ".join(f"{sympy.latex(s)} = 0.1" for s in fixed) + "$)"
    return Curve(formula.name, label, expr.subs(fixed), var)


# ------------------------------------------------------------------------------ render


def render(sheet: Sheet, fmt: str = "tex") -> str:
    """The sheet as a LaTeX document (``"tex"``) or Markdown (``"md"``)."""
    return _render_md(sheet) if fmt == "md" else _render_tex(sheet)


_PREAMBLE = r"""\documentclass[10pt]{article}
\usepackage[utf8]{inputenc}
% T1 Latin Modern makes _ < > | ~ real glyphs (copyable, found by pdftotext)
\IfFileExists{lmodern.sty}{\usepackage[T1]{fontenc}\usepackage{lmodern}}{%
  % without it (apt --no-install-recommends), OT1 text fonts have no _ ^ ~: use typewriter's
  \renewcommand{\textunderscore}{\texttt{\char95}}%
  \renewcommand{\textasciicircum}{\texttt{\char94}}%
  \renewcommand{\textasciitilde}{\texttt{\char126}}}
\usepackage[a4paper,landscape,margin=8mm,footskip=4mm]{geometry}
\usepackage{amsmath,amssymb,mathtools,bm}
\usepackage{multicol,graphicx}
\usepackage[dvipsnames]{xcolor}
\DeclareMathOperator*{\argmax}{arg\,max}
\DeclareMathOperator*{\argmin}{arg\,min}
\DeclareMathOperator{\sign}{sign}
\DeclareMathOperator{\softmax}{softmax}
\DeclareMathOperator{\diag}{diag}
\DeclareMathOperator{\tr}{tr}
\DeclareMathOperator{\Var}{Var}
\DeclareMathOperator{\Cov}{Cov}
\DeclareMathOperator{\KL}{KL}
\providecommand{\E}{\mathbb{E}}
\definecolor{ink}{HTML}{1F4E9C}
\setlength{\parindent}{0pt}
\setlength{\columnsep}{5mm}
\setlength{\columnseprule}{0.2pt}
\setlength{\abovedisplayskip}{2pt}
\setlength{\belowdisplayskip}{2pt}
\pagestyle{plain}
\newsavebox{\fitbox}
% display math scaled down to the column width when it would not fit; no column break
% after it, so a definition, its derivatives and its plot stay together
\newcommand{\fitmath}[1]{\par\sbox{\fitbox}{$\displaystyle #1$}%
  \ifdim\wd\fitbox>\linewidth\resizebox{\linewidth}{!}{\usebox{\fitbox}}%
  \else\makebox[\linewidth]{\usebox{\fitbox}}\fi\par\nopagebreak\smallskip}
\newcommand{\topic}[1]{\colorbox{ink}{\parbox{\dimexpr\linewidth-2\fboxsep}%
  {\color{white}\bfseries\small #1}}\par\nopagebreak\smallskip}
% a topic bar travels with its first entry, a title with the definition under it; an entry
% may continue in the next column (unbreakable entries leave holes at column bottoms)
\newenvironment{entry}[2][]{\par\addvspace{4pt}%
  \if\relax\detokenize{#1}\relax\else\topic{#1}\fi
  {\color{ink}\bfseries\hyphenpenalty=10000 \exhyphenpenalty=10000 #2\par}%
  \nopagebreak\smallskip\nopagebreak}{\par}
\newcommand{\field}[1]{{\scriptsize\color{gray}#1}\par}
\newcommand{\chk}[2]{{\scriptsize #1\ #2}\par}
\newcommand{\ok}{\textcolor{ForestGreen}{$\checkmark$}}
\newcommand{\bad}{\textcolor{BrickRed}{$\times$}}
\newcommand{\errmark}{\textcolor{BrickRed}{$\bm{!}$}}
\newcommand{\unk}{\textcolor{Gray}{$\circ$}}
"""

_GLYPH_TEX = {
    Status.VERIFIED: r"\ok",
    Status.REFUTED: r"\bad",
    Status.ERRATUM: r"\errmark",
    Status.FAILED: r"\unk",
    Status.SKIPPED: r"\unk",
}
_GLYPH_MD = {
    Status.VERIFIED: "✓",
    Status.REFUTED: "✗",
    Status.ERRATUM: "!",
    Status.FAILED: "○",
    Status.SKIPPED: "○",
}

_SHOWN = (Status.VERIFIED, Status.REFUTED, Status.ERRATUM, Status.FAILED)
_LEGEND = (
    "verified symbolically and numerically",
    "refuted",
    "a documented erratum, confirmed",
    "not checked",
)


def _count(sheet: Sheet) -> str:
    n = sum(len(es) for _, es in sheet.sections)
    return f"{n} formula{'s' * (n != 1)}"


_DOCUMENT = re.compile(r"^((\d{3})_[0-9a-f]{6,}\.\w+)(?::\s*(.*))?$")


def _short_source(source: str) -> str:
    """``001_ccc9e13ff71ddb5d.txt: Sigmoid`` -> ``[001] Sigmoid``; others unchanged."""
    m = _DOCUMENT.match(source.strip())
    return f"[{m.group(2)}] {m.group(3) or ''}".strip() if m else source


def _documents(sheet: Sheet) -> list[str]:
    """``[001] 001_ccc9e13ff71ddb5d.txt`` for every document the sheet cites."""
    sources = [s for _, es in sheet.sections for e in es for s in e.sources]
    sources += [er.source for er in sheet.errata]
    found = {m.group(1): m.group(2) for m in map(_DOCUMENT.match, sources) if m}
    return [f"[{number}] {name}" for name, number in sorted(found.items())]


def _render_tex(sheet: Sheet) -> str:
    g = _GLYPH_TEX
    out = [_PREAMBLE]
    if sheet.plots_dir:
        out.append(rf"\graphicspath{{{{{sheet.plots_dir}/}}}}" + "\n")
    out.append("\\begin{document}\n\\footnotesize\\raggedright\n")
    legend = r"\quad ".join(rf"{g[st]}~{word}" for st, word in zip(_SHOWN, _LEGEND, strict=True))
    out.append(
        r"{\LARGE\bfseries\color{ink} symml}\quad"
        r"{\large the mathematics of machine learning, checked}\hfill"
        rf"{{\scriptsize {_count(sheet)}\quad {legend}}}\par"
        "\n\\vspace{2pt}\\hrule\\vspace{3pt}\n"
    )
    if _documents(sheet):
        docs = escape("Documents: " + "; ".join(_documents(sheet)))
        out.append(rf"{{\scriptsize\color{{gray}}{docs}}}\par\vspace{{3pt}}" + "\n")
    out.append("\\begin{multicols}{3}\n\\raggedcolumns\n")
    for note in sheet.notes:
        out.append(rf"\field{{{escape(note)}}}" + "\n")
    for topic, entries in sheet.sections:
        out += [_entry_tex(e, escape(topic) if k == 0 else "") for k, e in enumerate(entries)]
    heading = "Errata: what the documents got wrong"
    out += [_erratum_tex(er, heading if k == 0 else "") for k, er in enumerate(sheet.errata)]
    out.append("\\end{multicols}\n\\end{document}\n")
    return "".join(out)


def _entry_tex(e: Entry, topic: str = "") -> str:
    lines = [rf"\begin{{entry}}[{topic}]{{{escape(e.title)}}}"]
    if e.definition:
        lines.append(rf"\fitmath{{{e.definition}}}")
    else:
        lines.append(rf"\field{{\texttt{{{escape(e.raw)}}}}}")
    lines += [rf"\fitmath{{{d}}}" for d in e.derivatives]
    if e.steps:
        lines.append(r"\field{Step by step:}")
        lines += [rf"\fitmath{{{s}}}" for s in e.steps]
    if e.plot:
        figure = rf"\includegraphics[width=0.72\linewidth]{{{Path(e.plot).stem}}}"
        lines.append(rf"\makebox[\linewidth]{{{figure}}}\par")
    lines += [rf"\chk{{{_GLYPH_TEX[m.status]}}}{{{escape(m.text)}}}" for m in e.marks]
    if e.sources:
        sources = "; ".join(map(_short_source, e.sources))
        lines.append(rf"\field{{Sources: {escape(sources)}}}")
    lines.append(r"\end{entry}")
    return "\n".join(lines) + "\n"


def _erratum_tex(er: Erratum, topic: str = "") -> str:
    lines = [rf"\begin{{entry}}[{topic}]{{{escape(er.title)}}}"]
    if er.claimed:
        lines += [r"\field{The document says:}", rf"\fitmath{{{er.claimed}}}"]
    lines.append(rf"{{\scriptsize\errmark\ {escape(er.why)}}}\par")
    if er.counterexample:
        lines.append(rf"\field{{Counterexample: {escape(er.counterexample)}}}")
    if er.correction:
        lines += [r"\field{Correct:}", rf"\fitmath{{{er.correction}}}"]
    if er.source:
        lines.append(rf"\field{{Source: {escape(_short_source(er.source))}}}")
    lines.append(r"\end{entry}")
    return "\n".join(lines) + "\n"


def _render_md(sheet: Sheet) -> str:
    g = _GLYPH_MD
    legend = ", ".join(f"{g[s]} {w}" for s, w in zip(_SHOWN, _LEGEND, strict=True))
    out = [
        "# symml cheat-sheet: the mathematics of machine learning, checked",
        "",
        f"{_count(sheet)}. {legend}.",
        "",
    ]
    if _documents(sheet):
        out += [md_escape("Documents: " + "; ".join(_documents(sheet))), ""]
    out += [f"> {md_escape(n)}" for n in sheet.notes] + ([""] if sheet.notes else [])
    for topic, entries in sheet.sections:
        out += [f"## {md_escape(topic)}", ""]
        for e in entries:
            out += [f"### {md_escape(e.title)}", ""]
            out += [f"$$\n{e.definition}\n$$", ""] if e.definition else [f"`{e.raw}`", ""]
            for d in e.derivatives:
                out += [f"$$\n{d}\n$$", ""]
            if e.steps:
                out += ["Step by step:", ""] + [x for s in e.steps for x in (f"$$\n{s}\n$$", "")]
            if e.plot:
                out += [f"![{md_escape(e.title)}]({sheet.plots_dir}/{e.plot})", ""]
            out += [f"- {g[m.status]} {md_escape(m.text)}" for m in e.marks]
            if e.sources:
                sources = "; ".join(map(_short_source, e.sources))
                out.append(f"- Sources: {md_escape(sources)}")
            out.append("")
    if sheet.errata:
        out += ["## Errata: what the documents got wrong", ""]
        for er in sheet.errata:
            out += [f"### {md_escape(er.title)}", ""]
            if er.claimed:
                out += ["The document says:", "", f"$$\n{er.claimed}\n$$", ""]
            out.append(f"- ! {md_escape(er.why)}")
            if er.counterexample:
                out.append(f"- Counterexample: {md_escape(er.counterexample)}")
            if er.correction:
                out.append(f"- Correct: ${er.correction}$")
            if er.source:
                out.append(f"- Source: {md_escape(_short_source(er.source))}")
            out.append("")
    return "\n".join(out).rstrip("\n") + "\n"


# ------------------------------------------------------------------------------ PDF


def compile_pdf(
    tex_path: Path, *, figures: Path | None = None, timeout: float = TEX_TIMEOUT
) -> Path:
    """Compile ``tex_path`` in a temporary directory; write the PDF next to it.

    Shell escape is off. On failure the full log is copied next to ``tex_path``.

    Raises:
        TexError: no TeX engine on PATH (the message names the Debian packages), or TeX
            failed (the message quotes the log line and gives the log's path).
    """
    tex_path = Path(tex_path)
    engine = _tex_engine()
    flags = ["-no-shell-escape", "-interaction=nonstopmode", "-halt-on-error", "-file-line-error"]
    with tempfile.TemporaryDirectory(prefix="symml-tex-") as tmp:
        work = Path(tmp)
        shutil.copy(tex_path, work / "sheet.tex")
        if figures is not None and Path(figures).is_dir():
            shutil.copytree(figures, work / Path(figures).name)
        if Path(engine).name == "latexmk":
            cmd = [engine, "-pdf", "-quiet", *flags, "sheet.tex"]
        else:
            cmd = [engine, *flags, "sheet.tex"]
        try:
            proc = subprocess.run(
                cmd,
                cwd=work,
                capture_output=True,
                text=True,
                timeout=timeout,
                stdin=subprocess.DEVNULL,
            )
            code = proc.returncode
        except subprocess.TimeoutExpired:
            code = None
        pdf = work / "sheet.pdf"
        log = work / "sheet.log"
        if code == 0 and pdf.exists():
            target = tex_path.with_suffix(".pdf")
            write_atomic(target, pdf.read_bytes())
            return target
        kept = tex_path.with_suffix(".log")
        text = log.read_text(errors="replace") if log.exists() else (proc.stdout if code else "")
        write_atomic(kept, text)
        if code is None:
            raise TexError(f"LaTeX timed out after {timeout:g} s on {tex_path} (log: {kept})")
        why, line, reason = _tex_error_line(text)
        raise TexError(f"LaTeX failed on {tex_path}: {why} (full log: {kept})", line, reason)


def _tex_engine() -> str:
    engine = shutil.which("latexmk") or shutil.which("pdflatex")
    if engine is None:
        raise TexError(
            f"no TeX engine (latexmk or pdflatex) on PATH; install: apt-get install {TEX_PACKAGES}"
        )
    return engine


def _tex_error_line(log: str) -> tuple[str, int | None, str]:
    """(the log line that matters with its ``l.N`` context, N, TeX's reason)."""
    lines = log.splitlines()
    for k, line in enumerate(lines):
        m = re.match(r"^(?:\./)?sheet\.tex:(\d+): (.*)$", line)
        if line.startswith("!") or m:
            context = next((x.strip() for x in lines[k + 1 : k + 6] if x.startswith("l.")), "")
            number = m.group(1) if m else re.match(r"l\.(\d+)", context or "l.x")
            number = number if isinstance(number, str) else (number.group(1) if number else None)
            reason = m.group(2) if m else line.lstrip("! ")
            return f"{line.strip()} {context}".strip(), int(number) if number else None, reason
    return "no error line in the log", None, ""


#: Blocks of math the sheet will drop, one per compilation, before giving up.
MAX_REPAIRS = 8


def _drop_math_at(tex: str, line: int, reason: str) -> str | None:
    """Replace the ``\\fitmath`` block that holds ``line`` by a note; None if none does."""
    lines = tex.split("\n")
    start = line - 1
    while 0 <= start < len(lines) and not lines[start].startswith("\\fitmath{"):
        if lines[start].startswith("\\begin{entry}"):
            return None
        start -= 1
    if start < 0 or start >= len(lines):
        return None
    depth, end = 0, start
    for end in range(start, len(lines)):
        depth += lines[end].count("{") - lines[end].count("}")
        depth -= lines[end].count("\\{") - lines[end].count("\\}")
        if depth <= 0:
            break
    if end < line - 1:
        return None
    note = rf"\field{{\textit{{(this formula could not be typeset: {escape(reason)})}}}}"
    return "\n".join(lines[:start] + [note] + lines[end + 1 :])


def write_atomic(path: Path, data: str | bytes) -> None:
    """Write ``path`` through a temporary file in the same directory and a rename."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent or ".")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data.encode() if isinstance(data, str) else data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class _CallableModule(types.ModuleType):
    """``symml.cheatsheet(...)`` works even after ``import symml.cheatsheet``.

    Importing the submodule binds the *module* to the name ``cheatsheet`` in the package,
    hiding the lazily resolved function of the same name; calling the module calls it.
    """

    def __call__(self, *args: Any, **kwargs: Any) -> str:
        return cheatsheet(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
