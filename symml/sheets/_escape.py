"""Make registry strings safe for LaTeX and Markdown.

Two jobs: ``escape`` turns any text (a title, a source, an error message) into LaTeX
that typesets literally, and ``math_ok`` decides whether a LaTeX math string from the
registry can be put into the sheet as it is, or whether the sheet must fall back to
SymPy's rendering of the parsed expression.

Examples:
    >>> escape("P&L of 50% on x_1 #2")
    'P\\\\&L of 50\\\\% on x\\\\_1 \\\\#2'
    >>> math_ok(r"\\sigma(x) = \\frac{1}{1 + e^{-x}}")
    True
    >>> math_ok(r"\\foo{x}")
    False
"""

from __future__ import annotations

import re

_TEX_SPECIALS = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "%": r"\%",
    "&": r"\&",
    "_": r"\_",
    "#": r"\#",
    "$": r"\$",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "<": r"\textless{}",
    ">": r"\textgreater{}",
    "|": r"\textbar{}",
}

# Characters the documents use that pdflatex's utf8 input cannot typeset by itself.
_UNICODE = {
    "σ": r"\ensuremath{\sigma}",
    "μ": r"\ensuremath{\mu}",
    "α": r"\ensuremath{\alpha}",
    "β": r"\ensuremath{\beta}",
    "γ": r"\ensuremath{\gamma}",
    "λ": r"\ensuremath{\lambda}",
    "θ": r"\ensuremath{\theta}",
    "ε": r"\ensuremath{\varepsilon}",
    "η": r"\ensuremath{\eta}",
    "Σ": r"\ensuremath{\Sigma}",
    "π": r"\ensuremath{\pi}",
    "∇": r"\ensuremath{\nabla}",
    "∂": r"\ensuremath{\partial}",
    "→": r"\ensuremath{\to}",
    "≤": r"\ensuremath{\leq}",
    "≥": r"\ensuremath{\geq}",
    "≠": r"\ensuremath{\neq}",
    "≈": r"\ensuremath{\approx}",
    "×": r"\ensuremath{\times}",
    "·": r"\ensuremath{\cdot}",
    "−": "-",
    "–": "--",
    "—": "---",
    "…": r"\dots{}",
    "‘": "`",
    "’": "'",
    "“": "``",
    "”": "''",
    "²": r"\textsuperscript{2}",
}


def escape(text: str) -> str:
    """Return ``text`` as LaTeX (text mode) that prints every character literally."""
    out = []
    for ch in str(text):
        if ch in _TEX_SPECIALS:
            out.append(_TEX_SPECIALS[ch])
        elif ch in _UNICODE:
            out.append(_UNICODE[ch])
        elif ch == "\n":
            out.append(" ")
        elif ord(ch) < 32:
            continue
        elif ord(ch) > 0x24F:  # beyond Latin Extended-B: not in pdflatex's T1 fonts
            out.append(f"[U+{ord(ch):04X}]")
        else:
            out.append(ch)
    # T1 fonts turn -- into a dash and !` ?` into inverted marks: keep them literal
    return re.sub(r"([-!?])(?=[-`])", r"\1{}", "".join(out))


_MD_SPECIALS = re.compile(r"([\\`*_{}\[\]<>#|$])")

_INLINE_MATH = re.compile(r"(?<!\\)\$([^$]+)(?<!\\)\$")


def tex_text(text: str) -> str:
    r"""``text`` as LaTeX, its ``$...$`` segments typeset as math (when they compile).

    Titles and marks are prose with a little math ("Power rule: $\frac{d}{dx} x^n$"); a
    segment that would not compile is printed literally instead.

    Examples:
        >>> tex_text(r"DDPM: $\bar\alpha_t$ & more")
        'DDPM: $\\bar\\alpha_t$ \\& more'
        >>> tex_text(r"not math: $\nosuchmacro$")
        'not math: \\$\\textbackslash{}nosuchmacro\\$'
    """
    out, at = [], 0
    for m in _INLINE_MATH.finditer(text):
        if not math_ok(m.group(1)):
            continue
        out += [escape(text[at : m.start()]), f"${m.group(1)}$"]
        at = m.end()
    return "".join(out) + escape(text[at:])


def md_text(text: str) -> str:
    """``text`` as Markdown, its ``$...$`` segments kept as math (when they compile)."""
    out, at = [], 0
    for m in _INLINE_MATH.finditer(text):
        if not math_ok(m.group(1)):
            continue
        out += [md_escape(text[at : m.start()]), f"${m.group(1)}$"]
        at = m.end()
    return "".join(out) + md_escape(text[at:])


def plain_text(text: str) -> str:
    """``text`` with the dollars of its math segments dropped (for plot legends, logs)."""
    return _INLINE_MATH.sub(lambda m: m.group(1), text)


def md_escape(text: str) -> str:
    """Return ``text`` as Markdown that renders literally (no emphasis, links or math)."""
    return _MD_SPECIALS.sub(r"\\\1", str(text).replace("\n", " "))


# Macros that compile with the sheet's preamble (amsmath, amssymb, bm, mathtools and the
# operators it declares). Anything else sends the entry to SymPy's rendering.
KNOWN_MACROS = frozenset(
    """
    alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa lambda mu nu
    xi pi varpi rho varrho sigma varsigma tau upsilon phi varphi chi psi omega Gamma Delta Theta
    Lambda Xi Pi Sigma Upsilon Phi Psi Omega ell nabla partial infty
    frac dfrac tfrac sqrt sum prod int iint oint lim limsup liminf max min sup inf arg det exp log
    ln lg sin cos tan cot sec csc sinh cosh tanh coth arcsin arccos arctan dim ker Pr gcd deg hom
    left right middle big Big bigg Bigg bigl bigr Bigl Bigr biggl biggr langle rangle lvert rvert
    lVert rVert vert Vert lfloor rfloor lceil rceil mid parallel top intercal perp
    cdot cdots ldots dots ddots vdots times div pm mp circ bullet odot oplus otimes ast star
    leq geq le ge neq ne approx sim simeq propto equiv coloneqq eqqcolon triangleq defeq ll gg
    in notin subset subseteq supset supseteq cup cap setminus emptyset varnothing forall exists
    to mapsto rightarrow leftarrow Rightarrow Leftarrow leftrightarrow Leftrightarrow implies iff
    quad qquad hat bar tilde vec dot ddot overline underline widehat widetilde overbrace underbrace
    mathbf mathbb mathcal mathrm mathit mathsf mathtt mathfrak boldsymbol bm text textrm textbf
    textit operatorname operatornamewithlimits displaystyle textstyle scriptstyle limits nolimits
    begin end prime land lor neg lnot mathbin mathrel mathop underset overset stackrel substack
    binom tbinom dbinom pmod bmod choose not colon
    argmax argmin sign softmax diag tr Var Cov KL E
    """.split()
)

KNOWN_ENVIRONMENTS = frozenset(
    "cases dcases aligned gathered split matrix pmatrix bmatrix vmatrix Vmatrix smallmatrix"
    " array".split()
)

_MACRO = re.compile(r"\\([A-Za-z]+)")
_ENV = re.compile(r"\\(?:begin|end)\{([^}]*)\}")


def math_ok(latex: str) -> bool:
    """Whether ``latex`` can go inside ``$...$`` in the sheet and compile.

    Conservative: balanced braces and ``\\left``/``\\right``, no math-mode switches or
    blank lines, only macros and environments the preamble provides.
    """
    if not latex.strip() or "$" in latex or "\n\n" in latex:
        return False
    if re.search(r"\\[\[\]()]", latex) or "%" in latex.replace(r"\%", ""):
        return False
    depth = 0
    prev = ""
    for ch in latex:
        if prev != "\\":
            depth += {"{": 1, "}": -1}.get(ch, 0)
        if depth < 0:
            return False
        prev = "" if prev == "\\" else ch
    if depth:
        return False
    lefts = re.findall(r"\\left(?![a-zA-Z])", latex)
    if len(lefts) != len(re.findall(r"\\right(?![a-zA-Z])", latex)):
        return False
    if any(m not in KNOWN_MACROS for m in _MACRO.findall(latex)):
        return False
    envs = _ENV.findall(latex)
    if any(e not in KNOWN_ENVIRONMENTS for e in envs):
        return False
    if ("&" in latex.replace(r"\&", "") or r"\\" in latex) and not envs:
        return False
    return True


def double_script(latex: str) -> str | None:
    """``"superscript"``/``"subscript"`` if ``latex`` puts two on one base (``a^{b}^{c}``).

    TeX stops with "Double superscript" there; SymPy-made LaTeX can contain it when a
    power of a power loses its parentheses.

    Examples:
        >>> double_script(r"e^{{z}_{j}}^{2}"), double_script(r"x_{i}^{2}")
        ('superscript', None)
    """
    k, n = 0, len(latex)
    while k < n:
        ch = latex[k]
        if ch == "\\":
            k += 2
            continue
        if ch in "^_":
            k = _skip_argument(latex, k + 1)
            rest = latex[k:].lstrip()
            if rest[:1] == ch:
                return "superscript" if ch == "^" else "subscript"
            continue
        k += 1
    return None


def _skip_argument(latex: str, k: int) -> int:
    """The index just after the script argument that starts at ``k``."""
    while k < len(latex) and latex[k] == " ":
        k += 1
    if k >= len(latex):
        return k
    if latex[k] == "{":
        depth = 0
        while k < len(latex):
            if latex[k] == "\\":
                k += 2
                continue
            depth += {"{": 1, "}": -1}.get(latex[k], 0)
            k += 1
            if depth == 0:
                return k
        return k
    if latex[k] == "\\":
        m = re.match(r"\\([A-Za-z]+|.)", latex[k:])
        return k + (m.end() if m else 1)
    return k + 1


def inline_display(latex: str) -> str:
    """Display environments turned into what fits inside ``$...$``.

    ``align``/``align*``/``gather`` become ``aligned``/``gathered``; ``equation`` wrappers,
    ``\\label`` and ``\\nonumber`` go.

    Examples:
        >>> inline_display(r"\\begin{align} a &= b \\nonumber \\\\ c &= d \\end{align}")
        '\\\\begin{aligned} a &= b  \\\\\\\\ c &= d \\\\end{aligned}'
    """
    envs = r"\\(begin|end)\{(?:align|eqnarray|flalign)\*?\}"
    text = re.sub(envs, r"\\\1{aligned}", latex)
    text = re.sub(r"\\(begin|end)\{gather\*?\}", r"\\\1{gathered}", text)
    text = re.sub(r"\\(?:begin|end)\{equation\*?\}", "", text)
    return re.sub(r"\\(?:nonumber|notag)\b|\\label\{[^}]*\}", "", text).strip()
