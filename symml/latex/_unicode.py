"""Plain-text math (Unicode or ASCII) -> LaTeX.

Markdown notes often write formulas without LaTeX, inside unlabelled code fences or
table cells: ``σ(x) = 1 / (1 + e^(-x))``, ``Σ(i=1 to n) xᵢ``, ``∂J/∂wⱼ``, ``||v||``,
``1/(1+e^-x)``. :func:`to_latex` turns such a line into LaTeX that ``symml.latex._reader``
parses. It is a small recursive-descent rewriter over a list of atoms: every atom is a
primary (name, number, group) with its postfixes (sub/superscripts, primes, call
arguments), so ``a/b`` can become ``\\frac{a}{b}`` with the right operands
(``1/2m`` is ``\\frac{1}{2m}``, as the textbooks that write it mean).

Pure string work: no SymPy here.

Examples:
    >>> to_latex("σ(x) = 1 / (1 + e^(-x))")
    '\\\\sigma(x) = \\\\frac{1}{1 + e^{-x}}'
    >>> to_latex("Σ(i=1 to n) xᵢ")
    '\\\\sum_{i=1}^{n} x_{i}'
    >>> to_latex("∂J/∂wⱼ")
    '\\\\frac{\\\\partial J}{\\\\partial w_{j}}'
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

__all__ = ["to_latex"]

GREEK = {
    "α": "alpha",
    "β": "beta",
    "γ": "gamma",
    "δ": "delta",
    "ε": "epsilon",
    "ϵ": "epsilon",
    "ζ": "zeta",
    "η": "eta",
    "θ": "theta",
    "ι": "iota",
    "κ": "kappa",
    "λ": "lambda",
    "μ": "mu",
    "ν": "nu",
    "ξ": "xi",
    "π": "pi",
    "ρ": "rho",
    "σ": "sigma",
    "τ": "tau",
    "υ": "upsilon",
    "φ": "phi",
    "ϕ": "phi",
    "χ": "chi",
    "ψ": "psi",
    "ω": "omega",
    "Γ": "Gamma",
    "Δ": "Delta",
    "Θ": "Theta",
    "Λ": "Lambda",
    "Ξ": "Xi",
    "Π": "Pi",
    "Φ": "Phi",
    "Ψ": "Psi",
    "Ω": "Omega",
}
SUPERSCRIPTS = dict(
    zip(
        "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁿⁱᵃᵇᶜᵈᵉᶠᵍʰʲᵏˡᵐᵒᵖʳˢᵗᵘᵛʷˣʸᶻᵀ",
        "0123456789+-=()niabcdefghjklmoprstuvwxyzT",
        strict=True,
    )
)
# U+1D67 (subscript gamma) stands for y in these notes: "σₓ · σᵧ".
SUBSCRIPTS = dict(
    zip("₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎ₐₑₒₓₕₖₗₘₙₚₛₜᵢⱼᵣᵤᵥᵧ", "0123456789+-=()aeoxhklmnpstijruvy", strict=True)
)
ACCENTED = {"ŷ": r"\hat{y}", "ȳ": r"\bar{y}", "x̄": r"\bar{x}", "μ̂": r"\hat{\mu}"}
SYMBOLS = {
    "·": r"\cdot",
    "×": r"\times",
    "≤": r"\leq",
    "≥": r"\geq",
    "≠": r"\neq",
    "≈": r"\approx",
    "∞": r"\infty",
    "∈": r"\in",
    "∩": r"\cap",
    "∪": r"\cup",
    "→": r"\to",
    "∝": r"\propto",
    "⊙": r"\odot",
    "…": r"\ldots",
    "⋯": r"\cdots",
    "∼": r"\sim",
    "*": r"\cdot",
}
DASHES = {"−": "-", "–": "-", "\u00a0": " ", "’": "'", "′": "'"}
# Plain words with a LaTeX command of their own.
COMMANDS = {
    "log",
    "ln",
    "exp",
    "sin",
    "cos",
    "tan",
    "tanh",
    "sinh",
    "cosh",
    "max",
    "min",
    "lim",
    "det",
    "arg",
    "sup",
    "inf",
}
# ASCII spellings used in tables ("sqrt(d)", "sum(e^xj)", "grad(J)").
ASCII_WORDS = {
    "sqrt": r"\sqrt",
    "sum": r"\sum",
    "integral": r"\int",
    "grad": r"\nabla",
    "inf": r"\infty",
    "infty": r"\infty",
    "partial": r"\partial",
}
ASCII_GREEK = set(GREEK.values()) - {"pi", "xi"} | {"pi", "xi"}
OPERATORS = set("+-=<>,;:!")


@dataclass
class _Atom:
    """One operand: ``text`` is its LaTeX; ``inner`` is the text without outer parentheses."""

    text: str
    inner: str | None = None
    kind: str = "atom"  # atom | sum (a prefix operator whose operand runs to the end)
    space: bool = False
    postfix: list[str] = field(default_factory=list)

    def latex(self) -> str:
        return self.text + "".join(self.postfix)

    def bare(self) -> str:
        """The operand as a \\frac or \\sqrt argument: outer parentheses dropped."""
        if self.inner is not None and not self.postfix:
            return self.inner
        return self.latex()


@dataclass
class _Op:
    text: str
    space: bool = False


def to_latex(text: str) -> str:
    """Convert one line of plain-text math to LaTeX.

    Args:
        text: a formula in the Unicode/ASCII notation of Markdown notes.

    Returns:
        LaTeX math (no delimiters). Input it does not understand is passed through, so the
        LaTeX parser reports the problem with a position.

    Examples:
        >>> to_latex("||v|| = √(v · v)")
        '\\\\left\\\\| v \\\\right\\\\| = \\\\sqrt{v \\\\cdot v}'
        >>> to_latex("m_t = β₁m_(t-1) + (1-β₁)g_t")
        'm_{t} = \\\\beta_{1}m_{t-1} + (1-\\\\beta_{1})g_{t}'
    """
    for old, new in DASHES.items():
        text = text.replace(old, new)
    return _Rewriter(text.strip()).run()


class _Rewriter:
    def __init__(self, text: str):
        self.s = text
        self.i = 0

    # --- driver -------------------------------------------------------------------
    def run(self) -> str:
        items = self.sequence(stop="")
        return _render(items)

    def peek(self, k: int = 0) -> str:
        j = self.i + k
        return self.s[j] if j < len(self.s) else ""

    def skip_space(self) -> bool:
        start = self.i
        while self.peek() in (" ", "\t"):
            self.i += 1
        return self.i > start

    def sequence(self, stop: str) -> list:
        """Items up to (not including) a closing character in ``stop``."""
        items: list = []
        while True:
            space = self.skip_space()
            ch = self.peek()
            if not ch or (stop and ch in stop):
                return items
            item = self.item(items)
            if item is None:
                continue
            item.space = space
            if isinstance(item, _Atom) and item.kind == "atom":
                self.postfixes(item)
            items.append(item)

    # --- items ----------------------------------------------------------------------
    def item(self, items: list):  # noqa: C901 - one branch per notation
        s, ch = self.s, self.peek()
        rest = s[self.i :]
        if ch == "/":
            self.i += 1
            return _Op("/")
        if rest.startswith("||"):
            if _at_operand_start(items) or _is_group(items[-1]):
                self.i += 2
                inner = self.until("||")
                return _Atom(r"\left\| " + to_latex(inner) + r" \right\|")
            self.i += 2
            return _Op(r"\|")
        if ch == "|":
            if _at_operand_start(items):
                self.i += 1
                inner = self.until("|")
                return _Atom(r"\left|" + to_latex(inner) + r"\right|")
            self.i += 1
            return _Op("|")
        if ch in "([{":
            return self.group()
        if ch == "Σ":
            return self.sigma(items)
        if ch == "√":
            self.i += 1
            self.skip_space()
            ch2 = self.peek()
            if not ch2:
                return _Atom(r"\sqrt{}")
            operand = self.item([])
            if isinstance(operand, _Atom):
                self.postfixes(operand)
                return _Atom(r"\sqrt{" + operand.bare() + "}")
            return _Atom(r"\sqrt{}")
        if ch == "∂":
            self.i += 1
            operand = self.item([])
            if isinstance(operand, _Atom):
                self.postfixes(operand)
                return _Atom(r"\partial " + operand.latex())
            return _Atom(r"\partial")
        if ch == "∇":
            self.i += 1
            atom = _Atom(r"\nabla")
            self.scripts(atom)
            return atom
        if ch == "∫":
            self.i += 1
            return _Atom(r"\int", kind="sum")
        if ch in SYMBOLS:
            self.i += 1
            return _Op(SYMBOLS[ch])
        if rest.startswith("..."):
            self.i += 3
            return _Atom(r"\ldots")
        for acc, tex in ACCENTED.items():
            if rest.startswith(acc):
                self.i += len(acc)
                return _Atom(tex)
        if ch in GREEK:
            self.i += 1
            return _Atom("\\" + GREEK[ch])
        if ch in "0123456789" or (ch == "." and self.peek(1) in "0123456789"):
            m = re.match(r"\d*\.?\d+", rest)
            self.i += m.end()
            return _Atom(m.group())
        if ch.isalpha() and ch.isascii():
            return self.word(items)
        if ch in SUPERSCRIPTS or ch in SUBSCRIPTS or ch == "^" or ch == "_":
            # A script with nothing before it: attach to an empty base.
            atom = _Atom("{}")
            self.scripts(atom)
            return atom
        if ch in OPERATORS or ch in ")]}":
            self.i += 1
            return _Op(ch)
        self.i += 1
        return _Op(ch)

    def until(self, closer: str) -> str:
        j = self.s.find(closer, self.i)
        if j < 0:
            j = len(self.s)
        inner = self.s[self.i : j]
        self.i = min(len(self.s), j + len(closer))
        return inner

    def group(self) -> _Atom:
        opener = self.peek()
        closer = {"(": ")", "[": "]", "{": "}"}[opener]
        start = self.i
        depth, j = 0, self.i
        while j < len(self.s):
            if self.s[j] == opener:
                depth += 1
            elif self.s[j] == closer:
                depth -= 1
                if depth == 0:
                    break
            j += 1
        raw = self.s[start + 1 : j]
        self.i = min(len(self.s), j + 1)
        if opener == "{" and re.search(r"\bif\b", raw):
            return _Atom(_cases(raw))
        inner = to_latex(raw)
        if opener == "{":
            return _Atom(r"\{" + inner + r"\}")
        if opener == "[" and _top_level_comma(raw):
            return _Atom(r"\left[" + inner + r"\right]")  # a vector literal [v1, ..., vn]
        return _Atom("(" + inner + ")", inner=inner)

    def sigma(self, items: list) -> _Atom:
        self.i += 1
        m = re.match(r"\(\s*(\w+)\s*=\s*([^()]*?)\s+to\s+([^()]*?)\s*\)", self.s[self.i :])
        if m:
            self.i += m.end()
            var, lo, hi = m.group(1), to_latex(m.group(2)), to_latex(m.group(3))
            return _Atom(rf"\sum_{{{var}={lo}}}^{{{hi}}}", kind="sum")
        nxt = self.s[self.i : self.i + 1]
        after = self.s[self.i :].lstrip()
        if nxt == " " and after and not after.startswith(("=", ")")):
            return _Atom(r"\sum", kind="sum")
        atom = _Atom(r"\Sigma")
        return atom

    def word(self, items: list) -> _Atom:
        m = re.match(r"([A-Za-z]+)(\d*)", self.s[self.i :])
        word, digits = m.group(1), m.group(2)
        self.i += m.end()
        if digits and len(word) <= 2:  # "L3", "w1": a name with its index
            return _Atom(f"{word}_{{{digits}}}")
        if digits:
            self.i -= len(digits)
        nxt = self.peek()
        if nxt == "'" and self.peek(1) == "(":
            nxt = "("  # "ReLU'(x)": a function's derivative
        if word == "lim" and nxt == "(":
            inner = self.until_group()
            return _Atom(r"\lim_{" + to_latex(inner) + "}", kind="atom")
        if word in ("d", "D") or (len(word) == 2 and word[0] == "d" and nxt in "/"):
            return _Atom(word)
        if word.endswith("E") and nxt == "[":
            prefix = word[:-1]
            head = (prefix + " " if prefix else "") + r"\mathbb{E}"
            return _Atom(head)
        if len(word) >= 2 and word[0] == "d" and nxt not in "_" and _after_slash(items):
            return _Atom("d" + word[1:], kind="dvar")  # the "dx" of "d/dx", never called
        if word in COMMANDS:
            atom = _Atom("\\" + word)
            self.scripts(atom)
            return atom
        if word in ASCII_WORDS:
            tex = ASCII_WORDS[word]
            if tex in (r"\sqrt",) and nxt == "(":
                inner = self.until_group()
                return _Atom(r"\sqrt{" + to_latex(inner) + "}")
            if tex in (r"\sum", r"\int") and nxt == "(":
                inner = self.until_group()
                return _Atom(tex + " " + to_latex(inner))
            if tex == r"\nabla" and nxt == "(":
                inner = self.until_group()
                return _Atom(r"\nabla " + to_latex(inner))
            return _Atom(tex)
        if word in ASCII_GREEK and len(word) > 1:
            return _Atom("\\" + word)
        if "_" == nxt and word in ("y", "x", "mu", "theta") and self.s[self.i :].startswith("_hat"):
            self.i += 4
            return _Atom(r"\hat{" + ("\\" if len(word) > 1 else "") + word + "}")
        if len(word) >= 3 or (len(word) == 2 and word.isupper() and nxt == "("):
            if nxt == "(":
                return _Atom(r"\operatorname{" + word + "}")
            return _Atom(r"\mathrm{" + word + "}")
        return _Atom(word)

    def until_group(self) -> str:
        """Consume a parenthesised group starting at the cursor; return its inside."""
        atom_start = self.i
        depth = 0
        for j in range(self.i, len(self.s)):
            if self.s[j] == "(":
                depth += 1
            elif self.s[j] == ")":
                depth -= 1
                if depth == 0:
                    self.i = j + 1
                    return self.s[atom_start + 1 : j]
        self.i = len(self.s)
        return self.s[atom_start + 1 :]

    # --- postfixes --------------------------------------------------------------------
    def scripts(self, atom: _Atom) -> None:
        """Sub- and superscripts directly after an atom (Unicode runs, ``^x``, ``_x``)."""
        while True:
            ch = self.peek()
            if ch and ch in SUBSCRIPTS:
                run = ""
                while self.peek() and self.peek() in SUBSCRIPTS:
                    run += SUBSCRIPTS[self.peek()]
                    self.i += 1
                atom.postfix.append("_{" + run + "}")
            elif ch and ch in SUPERSCRIPTS:
                run = ""
                while self.peek() and self.peek() in SUPERSCRIPTS:
                    run += SUPERSCRIPTS[self.peek()]
                    self.i += 1
                atom.postfix.append("^{" + run + "}")
            elif ch in ("^", "_"):
                self.i += 1
                atom.postfix.append(ch + "{" + self.script_body(ch) + "}")
            else:
                return

    def script_body(self, mark: str) -> str:
        ch = self.peek()
        if ch == "(":
            return to_latex(self.until_group())
        if ch == "[":
            j = self.s.find("]", self.i)
            j = len(self.s) if j < 0 else j
            body = self.s[self.i : j + 1]
            self.i = j + 1
            return to_latex(body[1:-1]).join("[]")
        sign = ""
        if ch == "-":
            sign = "-"
            self.i += 1
        m = re.match(r"[A-Za-z]+|\d+(?:\.\d+)?|[^\s]", self.s[self.i :])
        if not m:
            return sign
        self.i += m.end()
        body = m.group()
        if body in GREEK:
            return sign + "\\" + GREEK[body]
        if mark == "^" and re.fullmatch(r"[a-z][ijk]", body):
            return sign + f"{body[0]}_{body[1]}"  # "e^xi" in an ASCII table is e^{x_i}
        if body in ASCII_GREEK and len(body) > 1:
            return sign + "\\" + body
        return sign + body

    def postfixes(self, atom: _Atom) -> None:
        while True:
            before = self.i
            self.scripts(atom)
            while self.peek() == "'":
                atom.postfix.append("'")
                self.i += 1
            if self.peek() == "[" and atom.text.endswith(r"\mathbb{E}"):
                group = self.group()
                atom.postfix.append(
                    "[" + (group.inner if group.inner is not None else group.latex()) + "]"
                )
            if self.peek() == "(" and not atom.text.startswith(("\\sum", "\\int")):
                group = self.group()
                atom.postfix.append(group.latex())
            if self.i == before:
                return


def _at_operand_start(items: list) -> bool:
    if not items:
        return True
    last = items[-1]
    if isinstance(last, _Op):
        return last.text not in (")", "]")
    return last.kind == "sum"


def _is_group(item) -> bool:
    return isinstance(item, _Atom) and item.inner is not None


def _after_slash(items: list) -> bool:
    return bool(items) and isinstance(items[-1], _Op) and items[-1].text == "/"


def _top_level_comma(raw: str) -> bool:
    depth = 0
    for ch in raw:
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == "," and depth == 0:
            return True
    return False


def _cases(raw: str) -> str:
    rows = []
    for part in re.split(r",\s*(?=[^,]*\bif\b)", raw):
        value, _, cond = part.partition(" if ")
        rows.append(f"{to_latex(value)} & {to_latex(cond)}")
    return r"\begin{cases} " + r" \\ ".join(rows) + r" \end{cases}"


_RELATIONS = {"=", "<", ">", r"\leq", r"\geq", r"\neq", r"\approx", ",", ";", ":", r"\to", r"\in"}


def _render(items: list) -> str:
    """Join items, turning ``a / b`` into ``\\frac{a}{b}``."""
    out: list = []
    k = 0
    while k < len(items):
        item = items[k]
        if isinstance(item, _Op) and item.text == "/" and out and isinstance(out[-1], _Atom):
            num = out.pop()
            den_items, k = _denominator(items, k + 1)
            if not den_items:
                out.append(num)
                out.append(item)
                continue
            den = (
                den_items[0].bare()
                if len(den_items) == 1 and isinstance(den_items[0], _Atom)
                else _render(den_items)
            )
            frac = _Atom(r"\frac{" + num.bare() + "}{" + den + "}", space=num.space)
            # a numeral glued to a name ("1/2m") stays in the denominator
            out.append(frac)
            continue
        out.append(item)
        k += 1
    text = ""
    for n, item in enumerate(out):
        piece = item.latex() if isinstance(item, _Atom) else item.text
        if n and (item.space or (_ends_with_command(text) and piece[:1].isalpha())):
            text += " "
        text += piece
    return text


def _ends_with_command(text: str) -> bool:
    return bool(re.search(r"\\[A-Za-z]+$", text))


def _denominator(items: list, k: int) -> tuple[list, int]:
    """The items that form the denominator after a '/' at position k-1."""
    if k >= len(items):
        return [], k
    first = items[k]
    if isinstance(first, _Atom) and first.kind == "sum":
        end = k
        while end < len(items) and not (
            isinstance(items[end], _Op) and items[end].text in _RELATIONS | {"+", "-"}
        ):
            end += 1
        return items[k:end], end
    if not isinstance(first, _Atom):
        if isinstance(first, _Op) and first.text == "-" and k + 1 < len(items):
            nxt = items[k + 1]
            if isinstance(nxt, _Atom):
                return [_Atom("-" + nxt.latex())], k + 2
        return [], k
    group = [first]
    end = k + 1
    # "2m" in "1/2m": a numeral directly followed by a name belongs to the denominator
    while (
        end < len(items)
        and isinstance(items[end], _Atom)
        and not items[end].space
        and items[end].kind == "atom"
        and re.fullmatch(r"\d+", group[-1].text)
    ):
        group.append(items[end])
        end += 1
    if len(group) == 1:
        return group, end
    return [_Atom("".join(a.latex() for a in group))], end
