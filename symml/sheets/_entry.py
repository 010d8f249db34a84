"""One formula's entry on the cheat-sheet: definition, derivatives, steps, marks, errata.

:func:`build_entry` derives the formula's derivatives (textbook form, and steps if asked),
verifies it, and turns the verification report into marks and the registry's errata into
:class:`~symml.sheets._model.Erratum` values with the verifier's counterexample. Every
failure becomes a mark on the entry; LaTeX that TeX would reject (a double superscript)
is refused here, before it reaches the sheet.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from symml.errors import SymmlError
from symml.sheets._escape import double_script, inline_display, math_ok
from symml.sheets._model import Entry, Erratum, Mark, Status
from symml.sheets._words import is_technical, plain_reason

__all__ = ["build_entry"]


def no_derive(formula: Any, wrt: str) -> Any:
    raise SymmlError("derivations skipped")


def failure_mark(what: str, e: BaseException) -> str:
    """``what`` failed, in words: symml's own message when it reads as prose, never a
    traceback's vocabulary (the exception's class, SymPy text)."""
    from symml.errors import SymmlTimeout

    text = str(e).strip().splitlines()[0] if str(e).strip() else ""
    if isinstance(e, SymmlTimeout):
        return f"{what}: ran out of time"
    if isinstance(e, SymmlError) and text and not is_technical(text):
        return f"{what} failed: {text[:200]}"
    return f"{what} failed (a problem in symml, not in the document)"


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
        from symml.derivation import derive

        def derive_fn(f: Any, wrt: str) -> Any:
            return derive(f, wrt, steps=steps)

    for wrt in _derivative_vars(formula):
        try:
            d = derive_fn(formula, wrt)
            corrections[wrt] = _typesettable(_latex_of(d.textbook))
            derivatives.append(f"{_d_lhs(formula, wrt)} = {corrections[wrt]}")
        except BUGS_AND_ERRORS as e:
            if not isinstance(e, SymmlError) or str(e) != "derivations skipped":
                what = f"the derivative in {_symbol_math(wrt)}"
                marks.append(Mark(Status.FAILED, failure_mark(what, e)))
            continue
        if steps and getattr(d, "steps", None):
            try:
                step_blocks.append(_typesettable(_steps_latex(d.steps)))
            except BUGS_AND_ERRORS as e:
                what = f"the steps in {_symbol_math(wrt)}"
                marks.append(Mark(Status.FAILED, failure_mark(what, e)))
    errata = _claim_errata(formula)
    if verify:
        try:
            if verify_fn is None:
                from symml.verification import verify as verify_fn
            report = verify_fn([formula.name])
            marks.extend(_marks_of(report, formula))
            errata = _merge_errata(errata, report, formula, corrections)
        except BUGS_AND_ERRORS as e:
            marks.append(Mark(Status.FAILED, failure_mark("the verification", e)))
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
BUGS_AND_ERRORS = (Exception,)


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
    return sympy_latex(value)


def sympy_latex(expr: Any) -> str:
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
        from symml.derivation.steps import to_latex

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
    except BUGS_AND_ERRORS:  # the raw LaTeX is shown as code instead
        return "", raw


def _status(value: Any) -> str:
    return str(getattr(value, "value", value)).lower()


def _claim_label(claim: Any) -> str:
    """``derivative wrt x``: a registry Claim (or one like it)."""
    kind = _kind(claim)
    wrt = getattr(claim, "wrt", None)
    return f"{kind} wrt {wrt}" if wrt else kind


def _claim_words(claim: Any) -> str:
    """``derivative in $x$``: a claim's kind and variable, as the sheet prints them."""
    kind = _kind(claim).replace("_", " ")
    wrt = getattr(claim, "wrt", None)
    return f"{kind} in {_symbol_math(str(wrt))}" if wrt else kind


def _code_name(check: Any) -> str | None:
    """The function name of the hand-written code a check ran (``sigmoid_prime``), or None."""
    ref = getattr(check, "handwritten", None)
    return ref.rpartition(":")[2] if ref else None


def _symbol_math(name: str) -> str:
    """A symbol's name as inline math: ``z_k`` -> ``$z_{k}$``, ``alpha_t`` -> ``$\\alpha_{t}$``."""
    import sympy

    try:
        return f"${sympy.latex(sympy.Symbol(name))}$"
    except Exception:  # noqa: BLE001  (a name SymPy cannot print stays text)
        return name


def _check_label(check: Any) -> str:
    """What a verification check was about, in words: ``claim 1, the derivative in $x$``,
    ``the document's code sigmoid``, or both (a check of a Claim-like object: the claim's
    label)."""
    claim = getattr(check, "claim", "")
    if not isinstance(claim, str):
        return _claim_label(claim)
    index, code = getattr(check, "index", None), _code_name(check)
    code_words = f"the document's code {code}" if code else ""
    if index is not None:
        kind = _kind(check).replace("_", " ")
        wrt = getattr(check, "wrt", None)
        what = f"the {kind} in {_symbol_math(str(wrt))}" if wrt else f"the {kind}"
        label = f"claim {index + 1}, {what}"
        return f"{label}, by {code_words}" if code else label
    return code_words or claim


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


#: How a mark names a status that is not a plain pass.
_STATUS_TEXT = {"failed": "refuted", "timeout": "ran out of time", "unstable": "unstable"}


def _marks_of(report: Any, formula: Any) -> list[Mark]:
    """The marks of ``formula`` in a verify Report: one line that sums up the checks that
    passed (what was measured), then one line per check that did not pass, in words."""
    checks = [
        c
        for fr in getattr(report, "formulas", ()) or ()
        if getattr(fr, "name", formula.name) == formula.name
        for c in getattr(fr, "checks", ()) or ()
    ]
    passed = [c for c in checks if _kind_of(c) is Status.VERIFIED]
    marks = [_summary(passed)] if passed else []
    for check in checks:
        kind = _kind_of(check)
        if kind is Status.VERIFIED:
            continue
        label = _check_label(check)
        status = _status(check.status)
        if kind is Status.ERRATUM:  # the errata section tells the story
            message = "the document is wrong here, see Errata"
        elif kind is Status.SKIPPED:
            message = plain_reason(str(getattr(check, "message", "")))
        elif status == "timeout":
            message = "ran out of time"
        else:
            message = " ".join(str(getattr(check, "message", "")).split())
            if is_technical(message):
                message = f"'symml verify {formula.name}' gives the point and the values"
            message = f"{_STATUS_TEXT.get(status, status.replace('_', ' '))}: {message}"
        if len(message) > MARK_CHARS:
            message = message[: MARK_CHARS - 3].rstrip() + "..."
        marks.append(Mark(kind, f"{label}: {message}" if label else message))
    return marks


def _kind_of(check: Any) -> Status:
    return _STATUS_WORDS.get(_status(getattr(check, "status", "")), Status.FAILED)


def _summary(passed: list[Any]) -> Mark:
    """``verified: 4 claims (3 proved symbolically) and the document's code sigmoid``, with
    how the points were sampled as fields (the sheet prints them only where they differ)."""
    code = [n for n in (_code_name(c) for c in passed) if n]
    claims = sum(_code_name(c) is None for c in passed)
    messages = [" ".join(str(getattr(c, "message", "")).split()) for c in passed]
    symbolic = sum("proved symbolically" in m for m in messages)
    parts = [f"{claims} claim{'s' * (claims != 1)}"] if claims else []
    if symbolic and parts:
        how = "all proved" if symbolic == claims > 1 else f"{symbolic} proved"
        parts[-1] += f" ({'proved' if claims == 1 else how} symbolically)"
    if code:
        parts.append("the document's code " + ", ".join(dict.fromkeys(code)))
    text = "verified: " + " and ".join(parts)
    points = max((getattr(c, "points", 0) or 0 for c in passed), default=0)
    seeds = {getattr(c, "seed", None) for c in passed} - {None}
    found = (re.search(r"rtol=([^,;)\s]+)", m) for m in messages)
    rtol = next((m.group(1) for m in found if m), "")
    if not parts or not points:  # no structure to read: the messages, unless they are SymPy
        shown = [m for m in dict.fromkeys(messages) if not is_technical(m)]
        text = "verified: " + ("; ".join(shown) or "every check passed")
    if len(text) > MARK_CHARS:
        text = text[: MARK_CHARS - 3].rstrip() + "..."
    return Mark(Status.VERIFIED, text, points=points, seed=min(seeds) if seeds else None, rtol=rtol)


def _claim_errata(formula: Any) -> tuple[Erratum, ...]:
    out = []
    for claim in getattr(formula, "claims", ()) or ():
        why = getattr(claim, "erratum", None)
        if why:
            claimed = inline_display(str(getattr(claim, "latex", "") or ""))
            out.append(
                Erratum(
                    title=f"{formula.title}: {_claim_words(claim)}",
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
        wrt = getattr(check, "wrt", None)
        if not correction and wrt and _kind(check) == "derivative":
            correction = corrections.get(wrt, "")
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
