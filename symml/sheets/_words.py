"""The sheet's words: why a check did not run, said so that a student understands it.

The verifier's messages are written for ``symml verify`` users and may quote SymPy
(``cannot evaluate (delta_ik - softmax(z[k]))*exp(z[i])/Sum(...)``) or name symml's
machinery (an adapter, a RegistryError). :func:`plain_reason` keeps a message that reads as
prose and turns one that does not into a sentence about the mathematics, whatever the
verifier wrote; the details stay one command away (``symml verify NAME``).
:func:`document_titles` names the source documents by their own titles.
"""

from __future__ import annotations

import re
from pathlib import Path

__all__ = ["document_titles", "is_technical", "plain_reason"]

#: What SymPy text, Python errors and symml's internals look like inside a message.
_TECHNICAL = re.compile(
    r"\w\[|\*|\b[A-Z]\w*Error\b|Traceback|\badapter\b|\bkwargs?\b|\bsymbols: |\bdim_\w"
    r"|\b_i_\d|\.toml\b|\bsymml\.\w|\blambdif|\bsympy\b|\bSymPy\b|\bIndexed"
    r"|\b(?:Sum|Derivative|Integral|Limit|Piecewise|Heaviside|Symbol|Function|Eq|Max|Min|"
    r"Expectation|Given|ArgMin|ArgMax|Var|Cov|Abs|KL|Norm|MatrixSymbol)\("
)

#: Unevaluated operators, as a student would name them.
_OPERATORS = {
    "Expectation": "an expectation",
    "Var": "a variance",
    "Cov": "a covariance",
    "Given": "a conditional",
    "ArgMin": "an arg min",
    "ArgMax": "an arg max",
    "KL": "a KL divergence",
    "Norm": "a norm",
    "Limit": "a limit",
    "Integral": "an integral",
}


def is_technical(text: str) -> bool:
    """Does ``text`` quote SymPy, a Python error or symml's internals?

    Examples:
        >>> is_technical("cannot evaluate Sum(P(x)*log(P(x)/Q(x)), (x, 1, N_x))")
        True
        >>> is_technical("the code returns the derivative of the loss, not the loss")
        False
    """
    return bool(_TECHNICAL.search(text))


def plain_reason(message: str) -> str:
    """Why a check was not run, in words; ``message`` itself when it reads as prose.

    Examples:
        >>> plain_reason("cannot evaluate Derivative(f(g(x)), g(x)): it applies unknown "
        ...              "function(s) f, g")
        'not computed at sample points: f and g are general functions, with no formula to evaluate'
        >>> plain_reason("h needs argument 'probabilities', which is not a symbol of "
        ...              "the formula (symbols: n, x); an adapter maps the names")[:51]
        "not run: the document's code takes an argument (pro"
    """
    text = " ".join(str(message).split())
    m = re.search(r"unknown function\(s\) ([\w, ]+)", text)
    if m:
        return "not computed at sample points: " + _functions_phrase(m.group(1))
    m = re.search(r"unevaluated (\w+)", text)
    if m:
        what = _OPERATORS.get(m.group(1), "an operation")
        return f"not computed at sample points: symml cannot evaluate {what} numerically"
    m = re.search(r"needs argument '(\w+)', which is not a symbol of the formula", text)
    if m:
        return (
            "not run: the document's code takes an argument "
            f"({m.group(1)}) that the formula does not name"
        )
    if "is declared a function" in text or "unknown function cannot be sampled" in text:
        return "not computed at sample points: it depends on a general function, with no values"
    if "relation or an aligned block" in text or "no single right-hand side" in text:
        return (
            "not run: the formula is a rule or a relation (several sides), "
            "not one value the code could be compared with"
        )
    m = re.search(r"cannot differentiate .* with respect to '(\w+)'", text)
    if m:
        return f"not run: symml could not differentiate the formula with respect to {m.group(1)}"
    if is_technical(text):
        return "not checked automatically ('symml verify' gives the details)"
    return text


def _functions_phrase(names: str) -> str:
    """Why functions stop sampling: ``f``, ``P`` are general (no formula), ``softmax`` is
    symml's own but used in a form (a component of a vector sum) it cannot evaluate."""
    found = [n.strip() for n in names.split(",") if n.strip()]
    operators = [_OPERATORS[n] for n in found if n in _OPERATORS]
    general = [n for n in found if n not in _OPERATORS and len(n) == 1]
    named = [n for n in found if n not in _OPERATORS and len(n) > 1]
    verb = "is a general function" if len(general) == 1 else "are general functions"
    parts = [f"it is stated with {_and(operators)}"] if operators else []
    parts += [f"{_and(general)} {verb}"] if general else []
    parts += [f"it uses {_and(named)} in a form symml cannot evaluate"] if named else []
    if operators and not general and not named:
        return f"it is stated with {_and(operators)}, which symml cannot evaluate numerically"
    return "; ".join(parts) + (", with no formula to evaluate" if general and not named else "")


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


_FRONT_MATTER_TITLE = re.compile(r"""^title\s*[=:]\s*["']?(.+?)["']?\s*$""")


def document_titles(names: list[str], directory: Path) -> dict[str, str]:
    """``{file name: title}``: the front matter's title, else the first heading or line.

    A document that cannot be read is left out (the sheet then prints its file name).
    """
    titles = {}
    for name in names:
        try:
            lines = (directory / name).read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError):
            continue
        title = _title(lines)
        if title:
            titles[name] = title
    return titles


def _title(lines: list[str]) -> str:
    stripped = [line.strip() for line in lines]
    if stripped and stripped[0] in ("---", "+++"):  # YAML or TOML front matter
        end = next((k for k, s in enumerate(stripped[1:], 1) if s == stripped[0]), 0)
        for line in stripped[1:end]:
            m = _FRONT_MATTER_TITLE.match(line)
            if m:
                return m.group(1).strip()
        stripped = stripped[end + 1 :]
    # the first heading: a Markdown one, or (plain text) the first line
    first = next((s for s in stripped if s and not set(s) <= set("-=#*+")), "")
    first = first.lstrip("#").strip()
    return first if len(first) <= 80 else ""
