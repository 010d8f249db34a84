"""Names: letters, Greek, accents and fonts, \\text{} words, and what follows a name.

A name may carry subscripts (indices, slices or a part of the name), superscripts that belong
to it (``^*``, ``^{[l]}``, ``^{(i)}``), primes and a call. A mixin of the parser
(``symml.latex._grammar``), like ``symml.latex._atoms``.
"""

from __future__ import annotations

import re

import sympy as sp

from symml.latex._base import AUTO_DIM_PREFIX, Vec, declared
from symml.latex._names import (
    ACCENTS,
    FUNCTION_COMMANDS,
    FUNCTION_LIKE,
    GREEK,
    GREEK_ALIASES,
    INDEX_LETTERS,
    INDEXED_FUNCTIONS,
    MULTI_LETTER_NAMES,
    TEXT_WORDS,
    VECTOR_ACCENTS,
)
from symml.latex._notation import bare_function, expression_subscript

_LONGEST_NAME = max(len(n) for n in MULTI_LETTER_NAMES)
# characters of an expression inside \mathit{...}/\text{...}: not part of a name
_EXPRESSION_CHARS = re.compile(r"[+*/=<>^()\[\]|\\]|\s-\s")


class NameMixin:
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
        if (
            len(word) > 1
            and word.rstrip("abcdefghijklmnopqrstuvwxyz") == ""
            and (bare := bare_function(word, self.peek(len(word))))
        ):
            return self.parse_bare_function(bare, len(word))
        if t.value == "E" and (
            self.at("[", 1) or self._subscript_then_bracket(1) or self._subscript_has_sim(1)
        ):
            self.next()
            return self.parse_expectation()
        return self.parse_name_atom(t.value, t)

    def parse_name_atom(self, name: str, tok):
        after_number = self.peek(-1).kind == "num" and self.pos > 0
        self.next()
        if name == "pi" and not self.at("_") and "pi" not in self.kinds:
            opens = self.at("(") or (self.at(r"\left") and self.at("(", 1))
            if not opens or after_number or self._arithmetic_group():
                return sp.pi  # 2\pi(1-a), \pi(1 - \rho^2): the constant times the group
        digits = self.peek()
        if (
            tok is not None
            and tok.kind == "letter"
            and digits.kind == "num"
            and not (digits.space_before or "." in digits.value)
        ):
            # r1, x2, h1 in notes are r_1, x_2, h_1 (names), not a product with a number
            self.next()
            name = f"{name}_{digits.value}"
        return self.finish_name(name, tok)

    def parse_accented(self):
        cmd = self.next().value
        if cmd == r"\mathbb":
            inner = self._raw_group_word()
            if inner == "E":
                return self.parse_expectation()
            if inner in ("R", "N", "Z", "Q", "C"):
                space = sp.Function("Space")
                if self.at("^"):
                    self.next()
                    return space(sp.Symbol(inner), self.scalar(self.parse_arg()))
                return space(sp.Symbol(inner))
            if inner == "V" and (self.at("[") or (self.at(r"\left") and self.at("[", 1))):
                return self.apply_function("Var", self.parse_bracket_args())  # the variance
            if inner == "V" and self._subscript_then_bracket(0):
                self.fail(
                    "\\mathbb{V}_{...} (a variance under a distribution) is not supported; "
                    "write \\operatorname{Var}[X]"
                )
            if inner == "1":  # \mathbb{1}(x < 0), \mathbb{1}_{y_i = k}: the indicator
                if self.at("_") or self.at_indicator_condition():
                    return self.parse_indicator()
                if self.peek().kind == "end":  # "$\mathbb{1}$ is the indicator": a mention
                    return self.finish_name(inner, None)
                self.fail(
                    "\\mathbb{1} without a condition (\\mathbb{1}(x < 0), \\mathbb{1}_{y = k})"
                )
            return self.finish_name(inner, None)
        if cmd == r"\mathcal":
            inner = self._raw_group_word()
            if inner == "N" and (self.at("(") or self.at(r"\left")):
                args = self.parse_call_args()
                return sp.Function("Normal")(*[self.scalar(a) for a in args])
            return self.finish_name(inner, None)
        if self.at("{"):
            self.next()
            base = self._accent_base("}")
            self.expect("}")
        else:
            base = self._accent_base(None)
        name, vector = base
        bold = cmd in (r"\mathbf", r"\boldsymbol", r"\bm")
        if name == "E" and bold and (self.at("[") or self._subscript_then_bracket(0)):
            return self.parse_expectation()  # \mathbf{E}[X]: the expectation, in bold
        if name == "1" and bold and self.at_indicator_condition():
            # \mathbf{1}\{y_i = k\}: the indicator; \mathbf{1} alone is the ones vector
            return self.parse_indicator()
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
        t = self.peek()
        cmd, _, body = t.value.partition("{")
        word = body[:-1].strip()
        if (
            cmd in (r"\operatorname", r"\mathrm", r"\operatorname*")
            and "\\" + word in FUNCTION_COMMANDS
            and not (self.at("(", 1) or self.at(r"\left", 1))
        ):  # \operatorname{sech}^2 x, \mathrm{log}_2 x: the function command, not a name
            return self.parse_function_command(FUNCTION_COMMANDS["\\" + word])
        self.next()
        if (
            word == "E"
            and cmd in (r"\operatorname", r"\mathrm", r"\operatorname*", r"\mathbf", r"\text")
            and (self.at("[") or self._subscript_then_bracket(0) or self._subscript_has_sim(0))
        ):
            return self.parse_expectation()  # \mathrm{E}[X], \operatorname{E}_{x \sim p}[f]
        if word in TEXT_WORDS or word.rstrip(" ,") in TEXT_WORDS:
            return sp.Function("Text")(sp.Symbol(word.replace(" ", "_") or "_"))
        if cmd == r"\mathrm" and word == "d" and self.integral_depth:
            self.fail("a differential outside the end of an integral", t)
        primes = len(word) - len(word.rstrip("'"))
        word = word.rstrip("'").rstrip()
        if cmd in (r"\mathit", r"\mathrm", r"\mathnormal") and _EXPRESSION_CHARS.search(word):
            # \mathit{x + y} is an expression in a font, not a name "x___y"
            self.fail(f"{cmd}{{{body[:-1]}}} holds an expression, not a name", t)
        clean = "".join(c if c.isalnum() else "_" for c in word).strip("_")
        if not clean:
            self.fail(f"empty name in {t.value}", t)
        if clean[0].isdigit():
            self.fail(f"a name cannot start with a digit: {t.value}", t)
        return self.finish_name(clean, t, multi=True, primes=primes)

    def finish_name(self, name, tok, vector=False, multi=False, primes=0):
        """Subscripts, superscripts, primes and calls after a name (``primes`` already read)."""
        sub_name, indices = "", ()
        star = ""
        label = None  # w^{(1)}, x^{(i)}: a label (layer, sample, step), part of the name
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
            elif self.at("^") and self._name_superscript(name):
                self.next()
                kind, value = self._name_superscript_value()
                if kind == "label":
                    if label is not None:
                        self.fail(f"two labels ^{{(...)}} on the name {name}")
                    label = value
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
        if label is not None:
            return self._labelled(name, full, label, indices, slice_, primes, vector, tok)
        if not (primes or indices) and self.at("^"):
            powered = self._powered_call(name, full, multi)
            if powered is not None:
                return powered
        if self.at_bracket_call(full, multi) and not primes:  # Var[X], D_{KL}[p || q]
            return self.apply_function(full, self.parse_bracket_args())
        is_call = self.at("(") or (self.at(r"\left") and self.at("(", 1))
        callable_ = is_call and self._is_function_name(name, full, indices, multi, tok)
        if is_call and not callable_ and not (full in self.vectors or full in self.matrices):
            # d_1 (I_1, I_2): a product with a tuple means nothing; a name before a tuple is
            # applied to it. p_{ij}(x), f_k(x): an indexed function name applied (see
            # _indexed_call), read as the component of the call.
            callable_ = self._tuple_follows() or (indices and self._indexed_call(name, tok))
        if is_call and callable_:
            args = self.parse_call_args()
            value = self.apply_function(full, args, primes)
            if indices:
                return sp.Function("Component")(self.scalar(value), *indices)
            return value
        full += "_prime" * primes
        if slice_ is not None:
            return sp.Function("Slice")(sp.Symbol(full), *slice_)
        return self.name_value(full, indices, vector)

    def _is_function_name(self, base, full, indices, multi, tok):
        if indices:
            return False
        if full in self.functions or base in self.functions or self._declared_as(full, "function"):
            return True
        if full in self.vectors or full in self.matrices:
            return False
        if multi:
            return True
        if self._group_uses_as_value(base):
            return False  # p(1-p), N(N+1), \sigma(1-\sigma): a product, not p applied to 1-p
        if self._group_is_transposed():
            return False  # \delta^{[l]}(a^{[l-1]})^T is a product with a transposed vector
        nxt = self.peek()
        if full != base:  # subscripted/starred names: p_{data}(x), \epsilon_\theta(x_t, t)
            return not nxt.space_before or base in FUNCTION_LIKE
        return base in FUNCTION_LIKE

    def _indexed_call(self, base, tok) -> bool:
        """``p_{ij}(x)``, ``f_k(x)``: an indexed name is applied to ``(...)`` on the rule of a
        subscripted name (no space before the parenthesis) when its letter names functions
        (``FUNCTION_LIKE``) and the argument does not hold the name itself: ``p_i(1 - p_i)``
        is a product, as ``w_i (x_i - y)`` and ``y_i(...)`` are. Capitals that index matrices
        or counts (``W_i``, ``N_k``, ``C_i``) are not among those letters here."""
        if tok is None or base not in INDEXED_FUNCTIONS or self.peek().space_before:
            return False
        if self._group_is_transposed():
            return False
        return not self._group_mentions(base)

    def _group_extent(self):
        """The tokens of the parenthesised group that starts here (without the parentheses)."""
        k = 1 if self.at("(") else 2
        depth, out = 1, []
        while self.peek(k).kind != "end":
            v = self.peek(k)
            if v.kind == "op" and v.value == "(":
                depth += 1
            elif v.kind == "op" and v.value == ")":
                depth -= 1
                if depth == 0:
                    break
            out.append((depth, v))
            k += 1
        return out

    def _group_mentions(self, base) -> bool:
        toks = self._group_extent()
        return any(
            (t.kind == "letter" and t.value == base)
            or (t.kind == "cmd" and t.value.lstrip("\\") == base)
            for _, t in toks
        )

    def _group_uses_as_value(self, base) -> bool:
        """Does the group that starts here use ``base`` as a value (not applied, not
        indexed, not primed)? ``p(1-p)``, ``k(k+1)``: then ``base`` is no function there;
        ``f(f(x))`` applies it, and ``p(1-p_i)`` names another object."""
        toks = [t for _, t in self._group_extent()]
        for n, t in enumerate(toks):
            if not (
                (t.kind == "letter" and t.value == base)
                or (t.kind == "cmd" and t.value.lstrip("\\") == base)
            ):
                continue
            after = toks[n + 1] if n + 1 < len(toks) else None
            if after is None or after.kind == "letter" and not after.space_before:
                # the end of the group, or part of a longer word (pp, pq)
                if after is None:
                    return True
                continue
            if after.value not in ("(", r"\left", "_", "'"):
                return True
        return False

    def _tuple_follows(self) -> bool:
        """Does the parenthesised group that starts here hold a top-level comma?"""
        return any(d == 1 and t.kind == "op" and t.value == "," for d, t in self._group_extent())

    def _declared_as(self, name: str, kind: str) -> bool:
        spec = declared(self.kinds, name)
        return spec is not None and spec.kind == kind

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
                and (full not in self.kinds or self._declared_as(full, "matrix"))
                and full not in self.bound
                and not indices
                and (len(full.split("_")[0]) == 1 or full.split("_")[0] in GREEK)
            )
        ):
            if full == "I":
                return sp.Identity(self.auto_dim(f"{AUTO_DIM_PREFIX}I_rows"))
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
        if full == "e" and "e" not in self.kinds:  # declared (or differentiated by): a name
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
        if (
            len(toks) == 3
            and toks[0].kind == "letter"
            and toks[1].value == "_"
            and toks[2].kind == "letter"
            and (toks[2].value in self.bound or toks[2].value in INDEX_LETTERS)
        ):  # s_{y_i}: s at the index y_i (a class label), not a name "s_yi"
            inner = sp.Indexed(sp.IndexedBase(toks[0].value), self._index_symbol(toks[2].value))
            return "index", (inner,)
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
        if expression_subscript(toks, self.fail):
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
        words = {"-": "_minus_", "+": "_plus_", ",": "_", "*": "star", "'": "prime"}
        return {**words, "<": "lt_", ">": "gt_"}.get(t.value, "")

    def _index_symbol(self, name):
        return self.bound.get(name) or sp.Symbol(name, integer=True)

    def _name_superscript(self, name=None):
        """^* , ^{*}, ^{[l]}, ^{(i)}, ^{(t+1)} belong to the name, not to a power."""
        a, b = self.peek(1), self.peek(2)
        if a.kind == "op" and a.value == "*":
            return True
        if a.kind == "op" and a.value == "{" and b.kind == "op" and b.value in ("*", "["):
            return True
        if a.kind == "op" and a.value == "{" and b.kind == "op" and b.value == "(":
            return self.peek(4).value == ")" or (name != "e" and self._label_offset())
        return False

    def _label_offset(self) -> bool:
        """After ``^{(``: a label with an offset, ``t+1``, ``l-1`` (names and numbers joined
        by + and -), then ``)}``? (``e^{(x+1)}`` is e to a power: not asked for e.)"""
        k = 3
        if self.peek(k).kind not in ("letter", "num"):
            return False
        while self.peek(k + 1).value in ("+", "-") and self.peek(k + 1).kind == "op":
            k += 2
            if self.peek(k).kind not in ("letter", "num"):
                return False
        return k > 3 and self.at(")", k + 1) and self.at("}", k + 2)

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
            toks = [self.next()]
            while not self.at(")"):
                toks.append(self.next())
            self.expect(")")
            self.expect("}")
            return "label", toks
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

    def _subscript_has_sim(self, k):
        """``E_{x \\sim p} f(x)``: a subscript that says what is drawn from what."""
        if not (self.at("_", k) and self.at("{", k + 1)):
            return False
        k, depth = k + 1, 0
        while self.peek(k).kind != "end":
            if self.at("{", k):
                depth += 1
            elif self.at("}", k):
                depth -= 1
                if depth == 0:
                    return False
            elif self.at(r"\sim", k):
                return True
            k += 1
        return False

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
