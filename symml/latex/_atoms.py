"""Atoms of the LaTeX grammar: names, groups, fractions, sums, integrals, functions.

A mixin of ``symml.latex._grammar._Parser``; it uses the parser's ``peek/next/expect/fail`` and
its value helpers (``mul``, ``scalar``, ``symbol``, ``matrix``).
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp
from sympy.matrices.expressions.matexpr import MatrixExpr

from symml.latex._limits import MAX_NESTING, binomial_too_big
from symml.latex._names import (
    ACCENTS,
    FONT_COMMANDS,
    FUNCTION_COMMANDS,
    FUNCTION_LIKE,
    GREEK,
    GREEK_ALIASES,
    INDEX_LETTERS,
    MULTI_LETTER_NAMES,
    NAMED_OPERATORS,
    TEXT_WORDS,
    VECTOR_ACCENTS,
)

AUTO_DIM_PREFIX = "dim_"
_LONGEST_NAME = max(len(n) for n in MULTI_LETTER_NAMES)
OPENERS = {
    "(": ")",
    "[": "]",
    r"\{": r"\}",
    "|": "|",
    "||": "||",
    r"\|": r"\|",
    r"\lVert": r"\rVert",
    r"\lvert": r"\rvert",
    r"\langle": r"\rangle",
    r"\lceil": r"\rceil",
    r"\lfloor": r"\rfloor",
}


class Restart(Exception):
    def __init__(self, vectors=(), matrices=(), dims=None):
        super().__init__("restart")
        self.vectors = set(vectors)
        self.matrices = set(matrices)
        self.dims = dict(dims or {})


@dataclass(frozen=True)
class Vec:
    """A vector in a scalar formula, before it is contracted or read element-wise."""

    name: str
    index: tuple = ()
    transposed: bool = False


class GradientVector(MatrixExpr):
    """\\nabla_\\theta J in a formula with matrices: a column vector of the parameter's size."""

    def __new__(cls, body, wrt, rows):
        return MatrixExpr.__new__(cls, sp.sympify(body), sp.sympify(wrt), sp.sympify(rows))

    @property
    def shape(self):
        return (self.args[2], sp.Integer(1))

    def _latex(self, printer):
        return rf"\\nabla_{{{printer._print(self.args[1])}}} {printer._print(self.args[0])}"


def _fn(name):
    return sp.Function(name)


def ml_function(name: str):
    """symml's own function class for a \\text{} name, if symml.functions._ml defines it."""
    try:
        from symml.functions import ml_functions_by_name
    except ImportError:  # functions.py is optional for parsing
        return None
    return ml_functions_by_name().get(name.lower().replace("_", ""))


class AtomMixin:
    # ------------------------------------------------------------------ atoms
    def parse_atom(self):
        """One atom; every nested group passes here, so this is where depth is bounded."""
        self.depth += 1
        try:
            if self.depth > MAX_NESTING:
                self.fail(f"nesting is too deep (more than {MAX_NESTING} levels)")
            return self._atom()
        finally:
            self.depth -= 1

    def _atom(self):  # noqa: C901  (a dispatch on the token)
        t = self.peek()
        if t.kind == "num":
            self.next()
            return sp.Rational(t.value) if "." in t.value else sp.Integer(t.value)
        if t.kind == "letter":
            return self.parse_letter()
        if t.kind == "text":
            return self.parse_text_name()
        if t.kind == "op":
            if t.value in ("(", "["):
                self.next()
                inner = self.parse_group_body(OPENERS[t.value])
                return inner
            if t.value == "{":
                self.next()
                inner = self.parse_group_body("}")
                return inner
            if t.value in ("|", "||"):
                self.next()
                return self.parse_delimited(t.value)
            self.fail(f"unexpected {t.value!r}")
        if t.kind == "end":
            self.fail("unexpected end of the formula")
        v = t.value
        name = v.lstrip("\\")
        if name in GREEK:
            return self.parse_name_atom(GREEK_ALIASES.get(name, name), t)
        if (
            v in ACCENTS
            or v in VECTOR_ACCENTS
            or v in FONT_COMMANDS
            or v in (r"\mathcal", r"\mathbb")
        ):
            return self.parse_accented()
        if v in (r"\frac", r"\dfrac", r"\tfrac", r"\cfrac"):
            return self.parse_frac()
        if v == r"\sqrt":
            self.next()
            index = None
            if self.at("["):
                self.next()
                index = self.parse_group_body("]")
            arg = self.scalar(self.parse_arg())
            return sp.sqrt(arg) if index is None else sp.root(arg, self.scalar(index))
        if v == r"\left":
            self.next()
            opener = self.next()
            if opener.value not in OPENERS:
                self.fail(f"unknown delimiter after \\left: {opener.value!r}", opener)
            if opener.value in ("(", "[", r"\{", r"\langle"):
                inner = self.parse_group_body(OPENERS[opener.value], right=True)
                return inner
            return self.parse_delimited(opener.value, right=True)
        if v in OPENERS:  # \| \lVert \lvert \{ ...
            self.next()
            if v in (r"\{", r"\langle"):
                return self.parse_group_body(OPENERS[v])
            return self.parse_delimited(v)
        if v in (r"\sum", r"\prod"):
            return self.parse_big_operator(v)
        if v in (r"\int", r"\iint", r"\oint"):
            return self.parse_integral()
        if v in FUNCTION_COMMANDS:
            return self.parse_function_command()
        if v == r"\arg":
            self.next()
            op = self.next()
            if op.value not in (r"\max", r"\min"):
                self.fail("\\arg must be followed by \\max or \\min", op)
            return self.parse_named_operator("ArgMax" if op.value == r"\max" else "ArgMin")
        if v in NAMED_OPERATORS:
            self.next()
            if v in (r"\max", r"\min") and (self.at("(") or self.at(r"\left")):
                args = self.parse_call_args()
                return (sp.Max if v == r"\max" else sp.Min)(*[self.scalar(a) for a in args])
            return self.parse_named_operator(NAMED_OPERATORS[v])
        if v == r"\infty":
            self.next()
            return sp.oo
        if v == r"\nabla":
            self.next()
            wrt = None
            if self.at("_"):
                self.next()
                wrt = self.scalar(self.parse_arg())
            body = self.scalar(self.parse_postfix(self.parse_atom()))
            if self.matrix_mode and wrt is not None:
                rows = (
                    wrt.shape[0]
                    if isinstance(wrt, MatrixExpr)
                    else self._auto_dim(f"{AUTO_DIM_PREFIX}{wrt}_rows")
                )
                return GradientVector(body, wrt, rows)
            return _fn("Grad")(body, wrt) if wrt is not None else _fn("Grad")(body)
        if v == r"\begin":
            return self.parse_environment()
        if v in (r"\binom", r"\dbinom", r"\tbinom"):
            self.next()
            n = self.scalar(self.parse_arg())
            k = self.scalar(self.parse_arg())
            if binomial_too_big(n, k):
                self.fail("a binomial coefficient too large to compute with exactly")
            return sp.binomial(n, k)
        if v == r"\partial":
            self.fail("\\partial outside a derivative \\frac{\\partial ...}{\\partial ...}")
        if v in (r"\cdots", r"\ldots", r"\dots", r"\vdots", r"\ddots"):
            self.next()
            return _fn("Ellipsis")()
        if v == r"\operatorname*":
            self.next()
        self.fail(f"unknown command {v}")

    def parse_group_body(self, closer: str, right: bool = False):
        self.closers.append(closer)
        try:
            if self.at(closer) or (right and self.at(r"\right")):
                self.fail("empty group")
            inner = self.parse_relation()
            if self.at(","):  # a tuple: (x, y)
                items = [inner]
                while self.at(","):
                    self.next()
                    items.append(self.parse_relation())
                inner = sp.Tuple(*[self.scalar(x) for x in items])
        finally:
            self.closers.pop()
        if right:
            self.expect(r"\right")
            closing = self.next()
            if closing.value not in (closer, ".", ")", "]", r"\}", "|"):
                self.fail(f"\\right{closing.value} does not close \\left", closing)
        else:
            self.expect(closer)
        return inner

    def parse_delimited(self, opener: str, right: bool = False):
        closer = OPENERS[opener]
        self.closers.append(closer)
        try:
            inner = self.parse_additive()
        finally:
            self.closers.pop()
        if right:
            self.expect(r"\right")
            self.next()
        else:
            self.expect(closer)
        if opener in ("|", r"\lvert"):
            if isinstance(inner, Vec):
                return self.norm(inner)
            if isinstance(inner, MatrixExpr) and inner.shape != (1, 1):
                return sp.Determinant(inner)
            return sp.Abs(self.scalar(inner))
        if opener in ("||", r"\|", r"\lVert"):
            if self.at("_"):  # \|x\|_1, ||x||_p
                self.next()
                p = self.scalar(self.parse_arg())
                return self.norm(inner, p)
            return self.norm(inner)
        if opener == r"\lceil":
            return sp.ceiling(self.scalar(inner))
        if opener == r"\lfloor":
            return sp.floor(self.scalar(inner))
        return inner

    def norm(self, v, p=None):
        if isinstance(v, Vec) and not v.transposed:
            j = sp.Symbol("j" if "j" not in {str(x) for x in v.index} else "k", integer=True)
            comp = sp.Indexed(sp.IndexedBase(v.name), *v.index, j)
            n = self._dim_of(v.name)
            if p is None or p == 2:
                return sp.sqrt(sp.Sum(comp**2, (j, 1, n)))
            if p == 1:
                return sp.Sum(sp.Abs(comp), (j, 1, n))
            return sp.Sum(sp.Abs(comp) ** p, (j, 1, n)) ** (1 / p)
        if isinstance(v, MatrixExpr) and v.shape[1] == 1 and (p is None or p == 2):
            return sp.sqrt((v.T * v)[0, 0])
        return _fn("Norm")(self.scalar(v)) if p is None else _fn("Norm")(self.scalar(v), p)

    def parse_arg(self):
        """One TeX argument: {group} or a single token (\\frac12, x^2, \\sqrt x)."""
        t = self.peek()
        if self.at("{"):
            self.next()
            return self.parse_group_body("}")
        if t.kind == "num":
            self.next()
            if len(t.value) > 1 and "." not in t.value:
                # "\frac12" is one half: TeX takes a single digit as the argument
                self.pos -= 1
                self.toks[self.pos] = type(t)("num", t.value[1:], t.col + 1, False)
                return sp.Integer(t.value[0])
            return sp.Rational(t.value)
        if t.kind == "letter":
            self.next()
            return self.symbol(t.value) if t.value not in self.bound else self.bound[t.value]
        return self.parse_atom()

    # ------------------------------------------------------------------ names
    def parse_letter(self):
        t = self.peek()
        # multi-letter names written plainly: KL(P||Q), Var(X)
        # Only a whole run of letters can be such a name, so the scan stops one letter past
        # the longest name: "xxx...x" (20 000 letters) must not cost a quadratic scan.
        word = t.value
        k = 1
        while (
            self.peek(k).kind == "letter"
            and not self.peek(k).space_before
            and len(word) <= _LONGEST_NAME
        ):
            word += self.peek(k).value
            k += 1
        if len(word) > 1 and word in MULTI_LETTER_NAMES:
            nxt = self.peek(len(word))
            if not (nxt.kind == "letter" and not nxt.space_before):
                for _ in range(len(word)):
                    self.next()
                return self.finish_name(word, t, multi=True)
        if t.value == "E" and (self.at("[", 1) or self._subscript_then_bracket(1)):
            self.next()
            return self.parse_expectation()
        return self.parse_name_atom(t.value, t)

    def parse_name_atom(self, name: str, tok):
        self.next()
        if name == "pi" and not self.at("(") and not self.at("_"):
            return sp.pi
        return self.finish_name(name, tok)

    def parse_accented(self):
        cmd = self.next().value
        if cmd == r"\mathbb":
            inner = self._raw_group_word()
            if inner == "E":
                return self.parse_expectation()
            if inner in ("R", "N", "Z", "Q", "C"):
                space = _fn("Space")(sp.Symbol(inner))
                if self.at("^"):
                    self.next()
                    return _fn("Space")(sp.Symbol(inner), self.scalar(self.parse_arg()))
                return space
            return self.finish_name(inner, None)
        if cmd == r"\mathcal":
            inner = self._raw_group_word()
            if inner == "N" and (self.at("(") or self.at(r"\left")):
                args = self.parse_call_args()
                return _fn("Normal")(*[self.scalar(a) for a in args])
            return self.finish_name(inner, None)
        if self.at("{"):
            self.next()
            base = self._accent_base("}")
            self.expect("}")
        else:
            base = self._accent_base(None)
        name, vector = base
        if cmd in ACCENTS:
            name = f"{name}_{ACCENTS[cmd]}"
        if cmd in VECTOR_ACCENTS:
            vector = True
        return self.finish_name(name, None, vector=vector)

    def _accent_base(self, closer):
        """The name under an accent: a letter, a Greek letter, or a nested accent."""
        t = self.next()
        if t.kind == "letter":
            name = t.value
            while closer and self.peek().kind == "letter":  # \mathbf{xy} is one name
                name += self.next().value
            return name, False
        if t.kind == "num":
            return t.value, False
        if t.kind == "cmd" and t.value.lstrip("\\") in GREEK:
            n = t.value.lstrip("\\")
            return GREEK_ALIASES.get(n, n), False
        if t.kind == "cmd" and (t.value in ACCENTS or t.value in VECTOR_ACCENTS):
            if self.at("{"):
                self.next()
                name, vec = self._accent_base("}")
                self.expect("}")
            else:
                name, vec = self._accent_base(None)
            if t.value in ACCENTS:
                name = f"{name}_{ACCENTS[t.value]}"
            return name, vec or t.value in VECTOR_ACCENTS
        self.fail(f"cannot put an accent on {t.value!r}", t)

    def _raw_group_word(self) -> str:
        if self.at("{"):
            self.next()
            word = ""
            while not self.at("}"):
                t = self.next()
                if t.kind == "end":
                    self.fail("unbalanced braces")
                word += t.value.lstrip("\\")
            self.next()
            return word
        return self.next().value.lstrip("\\")

    def parse_text_name(self):
        t = self.next()
        cmd, _, body = t.value.partition("{")
        word = body[:-1].strip()
        if word in TEXT_WORDS or word.rstrip(" ,") in TEXT_WORDS:
            return _fn("Text")(sp.Symbol(word.replace(" ", "_") or "_"))
        if cmd == r"\mathrm" and word == "d" and self.integral_depth:
            self.fail("a differential outside the end of an integral", t)
        clean = "".join(c if c.isalnum() else "_" for c in word).strip("_")
        if not clean:
            self.fail(f"empty name in {t.value}", t)
        if clean[0].isdigit():
            self.fail(f"a name cannot start with a digit: {t.value}", t)
        return self.finish_name(clean, t, multi=True)

    def finish_name(self, name, tok, vector=False, multi=False):
        """Subscripts, superscripts, primes and calls after a name."""
        sub_name, indices = "", ()
        star = ""
        primes = 0
        slice_ = None
        for _ in range(4):
            if self.at("_"):
                self.next()
                kind, value = self.parse_subscript()
                if kind == "index":
                    indices = value
                elif kind == "slice":
                    slice_ = value
                else:
                    sub_name += "_" + value
            elif self.at("^") and self._name_superscript():
                self.next()
                kind, value = self._name_superscript_value()
                if kind == "index":
                    indices = value
                else:
                    star += "_" + value
            elif self.at("'"):
                self.next()
                primes += 1
            elif self.at("^") and self.at(r"\prime", 1):
                self.next()
                self.next()
                primes += 1
            else:
                break
        full = name + sub_name + star
        is_call = self.at("(") or (self.at(r"\left") and self.at("(", 1))
        callable_ = self._is_function_name(name, full, indices, multi, tok)
        if is_call and callable_:
            args = self.parse_call_args()
            return self.apply_function(full, args, primes)
        if primes and callable_ is False and not indices:
            full += "_prime" * primes
        elif primes:
            full += "_prime" * primes
        if slice_ is not None:
            return _fn("Slice")(sp.Symbol(full), *slice_)
        return self.name_value(full, indices, vector)

    def _is_function_name(self, base, full, indices, multi, tok):
        if indices:
            return False
        if full in self.functions or base in self.functions or self.kinds.get(full) == "function":
            return True
        if full in self.vectors or full in self.matrices:
            return False
        if multi:
            return True
        if self._group_is_transposed():
            return False  # \delta^{[l]}(a^{[l-1]})^T is a product with a transposed vector
        nxt = self.peek()
        if full != base:  # subscripted/starred names: p_{data}(x), \epsilon_\theta(x_t, t)
            return not nxt.space_before or base in FUNCTION_LIKE
        return base in FUNCTION_LIKE

    def _group_is_transposed(self) -> bool:
        """Is the parenthesised group that starts here followed by ^T / ^{T} / ^\\top?"""
        if not (self.at("(") or self.at(r"\left")):
            return False  # else the scan below runs to the end: quadratic on long input
        k, depth = 0, 0
        while self.peek(k).kind != "end":
            v = self.peek(k).value
            if v == "(":
                depth += 1
            elif v == ")":
                depth -= 1
                if depth == 0:
                    break
            k += 1
        if not self.at("^", k + 1):
            return False
        a, b = self.peek(k + 2).value, self.peek(k + 3).value
        return a in ("T", r"\top") or (a == "{" and b in ("T", r"\top"))

    def name_value(self, full, indices, vector):
        if full in self.bound and not indices:
            return self.bound[full]
        capital = full[:1].isupper()
        if self.matrix_mode and (
            full in self.matrices
            or (
                capital
                and full not in self.vectors
                and self.kinds.get(full, "matrix").startswith("matrix")
                and full not in self.bound
                and not indices
                and (len(full.split("_")[0]) == 1 or full.split("_")[0] in GREEK)
            )
        ):
            if full == "I":
                return sp.Identity(self._auto_dim(f"{AUTO_DIM_PREFIX}I_rows"))
            return self.matrix(full)
        if indices and not vector and full in self.vectors:
            return sp.Indexed(sp.IndexedBase(full), *indices)  # x_i of a vector x: a component
        if vector or full in self.vectors:
            if capital and not indices:
                return self.matrix(full) if self.matrix_mode else Vec(full)
            if self.matrix_mode and not indices:
                self.vectors.add(full)
                return self.matrix(full)
            return Vec(full, tuple(indices))
        if full == "delta" and len(indices) == 2 and "delta" not in self.kinds:
            return sp.KroneckerDelta(*indices)  # \delta_{ij}: Kronecker's delta
        if indices:
            return sp.Indexed(sp.IndexedBase(full), *indices)
        if full == "e":
            return sp.E
        return self.symbol(full)

    def parse_subscript(self):
        """("index", (i, j)) | ("slice", (a, b)) | ("name", "data")."""
        if not self.at("{"):
            t = self.next()
            if t.kind == "letter" and (t.value in self.bound or t.value in INDEX_LETTERS):
                return "index", (self._index_symbol(t.value),)
            if t.kind == "end":
                self.fail("a subscript is missing", t)
            return "name", self._word(t)
        self.next()
        start = self.pos
        depth = 0
        toks = []
        while True:
            t = self.peek()
            if t.kind == "end":
                self.fail("unbalanced braces in a subscript", t)
            if self.at("{"):
                depth += 1
            if self.at("}"):
                if depth == 0:
                    break
                depth -= 1
            toks.append(self.next())
        self.next()
        letters = [t for t in toks if t.kind == "letter"]
        only_indices = toks and all(
            (t.kind == "letter" and (t.value in self.bound or t.value in INDEX_LETTERS))
            or (t.kind == "op" and t.value == ",")
            for t in toks
        )
        if only_indices:
            return "index", tuple(self._index_symbol(t.value) for t in letters)
        if any(t.kind == "op" and t.value == ":" for t in toks):
            end = self.pos
            self.pos = start
            lo = self.scalar(self.parse_additive())
            self.expect(":")
            hi = self.scalar(self.parse_additive())
            self.pos = end
            return "slice", (lo, hi)
        bound_used = any(t.kind == "letter" and t.value in self.bound for t in toks)
        if bound_used and any(t.kind == "op" and t.value in "+-" for t in toks):
            end = self.pos
            self.pos = start
            value = self.scalar(self.parse_additive())
            self.pos = end
            return "index", (value,)
        return "name", "".join(self._word(t) for t in toks if self._word(t))

    def _word(self, t):
        if t.kind in ("letter", "num"):
            return t.value
        if t.kind == "cmd":
            n = t.value.lstrip("\\")
            return GREEK_ALIASES.get(n, n) if n.isalpha() else ""
        if t.kind == "text":
            return "".join(c for c in t.value.partition("{")[2][:-1] if c.isalnum())
        return {"-": "_minus_", "+": "_plus_", ",": "_", "*": "star", "'": "prime"}.get(t.value, "")

    def _index_symbol(self, name):
        return self.bound.get(name) or sp.Symbol(name, integer=True)

    def _name_superscript(self):
        """^* , ^{*}, ^{[l]}, ^{(i)} belong to the name, not to a power."""
        a, b = self.peek(1), self.peek(2)
        if a.kind == "op" and a.value == "*":
            return True
        if a.kind == "op" and a.value == "{" and b.kind == "op" and b.value in ("*", "["):
            return True
        if a.kind == "op" and a.value == "{" and b.kind == "op" and b.value == "(":
            return self.peek(4).value == ")"
        return False

    def _name_superscript_value(self):
        if self.at("*"):
            self.next()
            return "name", "star"
        self.expect("{")
        if self.at("*"):
            self.next()
            self.expect("}")
            return "name", "star"
        if self.at("("):
            self.next()
            t = self.next()
            self.expect(")")
            self.expect("}")
            return "index", (self._index_symbol(t.value),)
        self.expect("[")
        words = []
        while not self.at("]"):
            t = self.next()
            if t.kind == "end":
                self.fail("unclosed [ in a superscript")
            words.append(self._word(t))
        self.next()
        self.expect("}")
        return "name", "".join(words)

    def _subscript_then_bracket(self, k):
        if not self.at("_", k):
            return False
        k += 1
        if self.at("{", k):
            depth = 0
            while self.peek(k).kind != "end":
                if self.at("{", k):
                    depth += 1
                elif self.at("}", k):
                    depth -= 1
                    if depth == 0:
                        break
                k += 1
        return self.at("[", k + 1) or (self.at(r"\left", k + 1) and self.at("[", k + 2))

    from symml.latex._calls import (  # noqa: E402  (calls and big operators live apart)
        end_env,
        env_name,
        apply_function,
        parse_big_operator,
        parse_call_args,
        parse_environment,
        parse_expectation,
        parse_frac,
        parse_function_command,
        parse_integral,
        parse_named_operator,
        parse_postfix,
    )
