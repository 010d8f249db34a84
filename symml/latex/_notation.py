"""Notation of course notes: indicators, inline partial ratios, bracketed operators, braces.

``\\mathbb{1}(x < 0)``, ``\\mathbb{1}_{y_i = k}`` and ``\\mathbf{1}\\{y_i = k\\}`` are the
indicator of the condition (``Piecewise((1, cond), (0, True))``); ``\\partial{L_i} /
\\partial{f_j}`` is the derivative of ``L_i`` by ``f_j``; ``\\mathrm{Var}[X]`` and
``D_{KL}[p || q]`` are the operator applied to what the brackets hold (as with parentheses);
``\\underbrace{body}_{label}`` is its body. Quantifiers (``\\forall``, ``\\exists``) are refused by
name. Function words without a backslash (``log(1)``, ``max(0, x)``, ``tanh'(z)``) are the
functions before ``(`` and refused elsewhere (never ``l*o*g``); a subscript holding an expression
or a relation (``\\sigma_{aX+b}``, ``p_{x \\sim q}``) is refused rather than glued into a name.
A label superscript (``w^{(1)}``, ``x^{(i)}``) is part of the name; a function name with a power
before its call (``\\sigma^2(x)``) is the power of the call, and an inverse function symml does
not know (``f^{-1}(x)``) is refused. A mixin of the parser (``symml.latex._grammar``).
"""

from __future__ import annotations

import sympy as sp

from symml.latex._base import Vec, ml_function
from symml.latex._names import (
    FUNCTION_LETTERS,
    GREEK,
    INDEXED_FUNCTIONS,
    POWERED_FUNCTIONS,
    RELATIONS,
)

# Names that take their argument in brackets as well as in parentheses: Var[X], KL[p || q].
BRACKET_OPERATORS = frozenset({"Var", "Cov", "Corr", "Cor", "KL", "D_KL", "JS", "D_JS", "H"})
# Function names written without a backslash; before "(" they are the function (SymPy's parser
# reads log(1) the same way), elsewhere refused: never the product l*o*g.
BARE_FUNCTIONS = frozenset(
    "log ln exp sin cos tan sinh cosh tanh sqrt max min arcsin arccos arctan".split()
)


def expression_subscript(toks, fail) -> bool:
    """Refuse a subscript that holds an expression (``\\sigma_{aX+b}``): gluing it into a name
    (sigma_aX_plus_b) would hide what it says. An offset of one name by a number or a name
    (``h_{t-1}``, ``x_{n+k}``) stays a name as before (False), and so do ``w_{ij}`` and
    ``p_{data}``; ``w_{d/2}``, ``x_{2*k}`` (single letters and numbers joined by ``*`` or ``/``)
    are an index expression (True)."""
    ops = [t for t in toks if t.kind == "op" and t.value in ("+", "-", "*", "/", "=", "<", ">")]
    relation = next((t for t in toks if t.kind == "cmd" and t.value in RELATIONS), None)
    if relation is not None:  # p_{x \sim q}, x_{a \in B}: a statement, not part of a name
        text = "".join(t.value if t.kind != "cmd" else t.value + " " for t in toks).strip()
        fail(f"a subscript holding a relation ({text}) is not a name", relation)
    if not ops:
        return False
    if len(toks) == 2 and toks[0] is ops[0] and toks[0].value in "<>" and toks[1].kind == "letter":
        return False  # x_{<i}: the entries before i, the name x_lt_i
    terms, run = [], []
    for t in toks:
        if t.kind == "op" and t.value in ("+", "-", "*", "/"):
            terms.append(run)
            run = []
        else:
            run.append(t)
    terms.append(run)
    single = all(len(r) <= 1 for r in terms) and not any(t.value in "=<>" for t in ops)
    if single and all(t.value in ("+", "-") for t in ops):
        return False
    if single and all(r and (r[0].kind == "num" or r[0].value.islower()) for r in terms):
        return True
    text = "".join(t.value if t.kind != "cmd" else t.value + " " for t in toks).strip()
    fail(f"a subscript holding an expression ({text}) is not a name; name it first", toks[0])


def bare_function(word: str, after) -> str | None:
    """The bare function name ``word`` is (when ``after`` continues no longer word), else None."""
    if word not in BARE_FUNCTIONS or (after.kind == "letter" and not after.space_before):
        return None
    return word


QUANTIFIERS = {r"\forall": "for all", r"\exists": "there exists", r"\nexists": "there is no"}


class NotationMixin:
    # ------------------------------------------------------------------ labels, powered calls
    def _labelled(self, base, full, label, indices, slice_, primes, vector, tok):
        """``w^{(1)}_{ij}``, ``x^{(i)}``, ``W^{(l)}``: the label is part of the name, so that
        ``w^{(1)}`` and ``w^{(2)}`` are two objects and ``x^{(i)}`` is neither ``x`` nor ``x_i``.
        A label that a sum binds (``\\sum_i x^{(i)}``) stays an index, on a base of its own
        (``x^{(\\cdot)}``), so that the sum still runs over it."""
        first, word = label[0], "".join(t.value for t in label)
        # the name is its LaTeX (\\theta^{(t)}, \\hat{x}^{(i)}), which SymPy prints back as is
        shown = sp.latex(sp.Symbol(full))
        text = f"{shown}^{{({word})}}"
        if primes or slice_ is not None:
            self.fail(f"a prime or a slice on the labelled name {text}", first)
        if self.at("(") or (self.at(r"\left") and self.at("(", 1)):
            if base in INDEXED_FUNCTIONS and self._labelled_call(base) and not indices:
                self.fail(
                    f"{text}(...) is ambiguous (a derivative of order {word} or a "
                    f"function labelled {word}); write {full}'(x), {full}''(x) or "
                    f"\\frac{{d^n}}{{dx^n}} {full}(x) for a derivative, {full}_{{{word}}}(x) "
                    "for a labelled function",
                    first,
                )
        if any(t.kind not in ("letter", "num", "op") or "." in t.value for t in label):
            self.fail(f"a label ^{{({word})}} that is not a number or a letter", first)
        if any(t.kind == "letter" and t.value in self.bound for t in label):
            value, sign = sp.Integer(0), 1
            for t in label:
                if t.kind == "op":
                    sign = 1 if t.value == "+" else -1
                else:
                    term = sp.Integer(t.value) if t.kind == "num" else self._index_symbol(t.value)
                    value += sign * term
            return sp.Indexed(sp.IndexedBase(f"{shown}^{{(\\cdot)}}"), value, *indices)
        return self.name_value(text, indices, vector or full in self.vectors)

    def _labelled_call(self, base) -> bool:
        """Would ``base`` before this ``(`` be applied (the rule of a subscripted name)?"""
        return not self.peek().space_before and not self._group_mentions(base)

    def _powered_call(self, base, full, multi):
        """``\\sigma^2(x)``, ``\\operatorname{ReLU}^2(x)``: a function name with a power before
        its call is the power of the call (as ``\\sin^2 x``); ``f^{-1}(x)`` (an inverse
        function symml does not know) and ``f^2(x)`` (a power or a composition) are refused.
        None when the name is no function there (``a^2(x+1)``, ``p^2(1-p)``): a power."""
        k = self._superscript_end()
        if not (self.at("(", k) or (self.at(r"\left", k) and self.at("(", k + 1))):
            return None
        if full in self.vectors or full in self.matrices:
            return None
        marks = ("T", r"\top", r"\intercal")
        if (k == 2 and self.peek(1).value in marks) or (k == 4 and self.peek(2).value in marks):
            return None  # h^T(x - y): a transposed vector times a group
        own = full in self.functions or self._declared_as(full, "function")
        known = own or multi or base in POWERED_FUNCTIONS or ml_function(full) is not None
        if not (known or base in FUNCTION_LETTERS):
            return None
        start = self.pos
        self.pos += k
        try:
            uses, arithmetic = self._group_uses_as_value(base), self._arithmetic_group()
        finally:
            self.pos = start
        if uses and not own:
            return None  # p^2(1-p), \sigma^2(1-\sigma): a power times a group
        sup = self.peek(1)
        full_tex = "\\" + full if base in GREEK else full
        inverse = k == 5 and self.at("-", 2) and self.peek(3).value == "1"
        if inverse:
            self.fail(
                f"the inverse function {full_tex}^{{-1}}(x) is not supported; write "
                f"1/{full_tex}(x) for the reciprocal, or name the inverse function",
                sup,
            )
        if not known:
            self.fail(
                f"{full}^k(...) is ambiguous (a power of the call, a composition, or a power "
                f"times a group): write {full}(x)^2, ({full} \\circ {full})(x) or "
                f"{full}^2 \\cdot (...)",
                sup,
            )
        if base == "sigma" and arithmetic and not own:
            self.fail(
                "\\sigma^k(...) of a sum is ambiguous (a power of the sigmoid, or a variance "
                "times a group): write \\sigma(x)^2 or \\sigma^2 \\cdot (...)",
                sup,
            )
        self.next()  # ^
        exponent = self.scalar(self.parse_arg())
        value = self.apply_function(full, self.parse_call_args())
        return sp.Pow(self.scalar(value), exponent)

    def _superscript_end(self) -> int:
        """The offset of the token after the superscript that starts here (at ``^``)."""
        if not self.at("{", 1):
            return 2
        k, depth = 1, 0
        while self.peek(k).kind != "end":
            if self.at("{", k):
                depth += 1
            elif self.at("}", k):
                depth -= 1
                if depth == 0:
                    return k + 1
            k += 1
        return k

    def _arithmetic_group(self) -> bool:
        """Does the group that starts here hold a sum or difference at its top level, or
        start with a number (``(1-a)``, ``(2s)``)? Then it is no argument list of a policy
        ``\\pi(a \\mid s)`` but a factor."""
        toks = self._group_extent()
        if toks and toks[0][1].kind == "num":
            return True
        nest, arithmetic = 0, False
        for n, (depth, t) in enumerate(toks):
            if t.kind == "op" and t.value in ("{", "["):
                nest += 1
            elif t.kind == "op" and t.value in ("}", "]"):
                nest -= 1
            elif depth > 1 or nest:
                continue
            elif t.value in ("|", r"\mid", ",", ";"):
                return False  # \pi(a \mid s + 1), \pi(s, a + 1): the arguments of a policy
            elif n > 0 and t.kind == "op" and t.value in ("+", "-"):
                arithmetic = True
        return arithmetic

    # ------------------------------------------------------------------ indicators
    def at_indicator_condition(self) -> bool:
        """After ``\\mathbb{1}`` / ``\\mathbf{1}``: does a condition follow (``(``, ``[`` or
        ``\\{``)?"""
        if self.at(r"\left"):
            return self.peek(1).value in ("(", "[", r"\{")
        return self.at("(") or self.at("[") or self.at(r"\{")

    def parse_indicator(self, tok=None):
        """The indicator of the condition after ``\\mathbb{1}``: 1 where it holds, else 0."""
        if self.at("_"):
            self.next()
            cond = self.condition(self._indicator_group())
        else:
            right = self.at(r"\left")
            if right:
                self.next()
            opener = self.next().value
            closer = {"(": ")", "[": "]"}.get(opener, r"\}")
            self.closers.append(closer)
            try:
                cond = self.condition(self.parse_relation())
            finally:
                self.closers.pop()
            if right:
                self.expect(r"\right")
            self.expect(closer)
        return sp.Piecewise((sp.Integer(1), cond), (sp.Integer(0), True))

    def _indicator_group(self):
        if self.at("{"):
            self.next()
            value = self.parse_relation()
            self.expect("}")
            return value
        return self.parse_arg()

    def condition(self, value):
        """A parsed relation as a SymPy boolean (``y_i = k`` is ``Eq(y_i, k)``), else refused."""
        from symml.latex._relations import Equation, Relation

        if isinstance(value, Equation):
            return sp.Eq(self.scalar(value.lhs), self.scalar(value.rhs), evaluate=False)
        if isinstance(value, Relation):
            rel = value.as_sympy()
            if isinstance(rel, (sp.core.relational.Relational, sp.And)):
                return rel
        if isinstance(value, (sp.core.relational.Relational, sp.logic.boolalg.Boolean)):
            return value
        self.fail("an indicator \\mathbb{1}(...) needs a condition (x < 0, y_i = k)")

    # ------------------------------------------------------------------ inline derivatives
    def parse_inline_partial(self):
        """``\\partial{L_i} / \\partial{f_j}``, ``\\partial L / \\partial w``, ``\\partial_x f``: a
        derivative."""
        start = self.pos
        tok = self.next()  # \partial
        if self.at("_"):  # \partial_x f: the operand is what follows, as for \frac{d}{dx}
            self.next()
            var = self.scalar(self.parse_arg())
            if not isinstance(var, (sp.Symbol, sp.Indexed)):
                self.fail(f"the variable of \\partial_{{{var}}} is not a name", tok)
            body = self.scalar(self.derivative_operand(start, f"\\partial_{{{var}}}"))
            return sp.Derivative(body, var)
        if self.at("/") or self.peek().kind == "end":
            self.fail("\\partial outside a derivative \\frac{\\partial ...}{\\partial ...}", tok)
        body = self.scalar(self.parse_postfix(self.parse_atom()))
        if not (self.at("/") and self.at(r"\partial", 1)):
            self.fail("\\partial outside a derivative \\frac{\\partial ...}{\\partial ...}", tok)
        self.next()
        self.next()
        var = self.scalar(self.parse_postfix(self.parse_atom()))
        if not isinstance(var, (sp.Symbol, sp.Indexed, sp.MatrixSymbol)):
            self.fail(f"the variable of \\partial .../\\partial {var} is not a name", tok)
        return sp.Derivative(body, var)

    def parse_bare_function(self, name: str, length: int):
        """``log(1)``, ``exp(x)``, ``max(a, b)`` without a backslash: the function."""
        tok = self.peek()
        for _ in range(length):
            self.next()
        if name in ("max", "min") and self.at("_"):  # min_{\\theta} J: the operator \\min
            return self.parse_named_operator("MaxOver" if name == "max" else "MinOver")
        primes = self._bare_primes()
        if self.peek().kind == "end" and not primes and self.pos == length:
            return self.symbol(name)  # "tanh" alone: a mention of the function's name
        if not (self.at("(") or (self.at(r"\left") and self.at("(", 1))):
            self.fail(f"the word {name} without a backslash (write \\{name} or {name}(...))", tok)
        args = [self.scalar(self._arg(a)) for a in self.parse_call_args()]
        if name in ("max", "min"):
            return (sp.Max if name == "max" else sp.Min)(*args)
        if len(args) != 1:
            self.fail(f"{name} takes one argument here, got {len(args)}")
        aliases = {"ln": "log", "arcsin": "asin", "arccos": "acos", "arctan": "atan"}
        fn = getattr(sp, aliases.get(name, name))
        if primes:  # tanh'(z), tanh^{'}(z): the derivative at the argument
            u = sp.Dummy("u")
            return sp.diff(fn(u), u, primes).subs(u, args[0])
        return fn(*args)

    def _bare_primes(self) -> int:
        """``'``, ``''``, ``^{'}``, ``^\\prime``, ``^{\\prime}`` after a function word."""
        primes = 0
        while True:
            if self.at("'"):
                self.next()
                primes += 1
            elif self.at("^") and self.at(r"\prime", 1):
                self.next(), self.next()
                primes += 1
            elif self.at("^") and self.at("{", 1) and self.peek(2).value in ("'", r"\prime"):
                k = 2
                while self.peek(k).value in ("'", r"\prime"):
                    k += 1
                if not self.at("}", k):
                    return primes
                primes += k - 2
                for _ in range(k + 1):
                    self.next()
            else:
                return primes

    # ------------------------------------------------------------------ brackets
    def at_bracket_call(self, full: str, multi: bool) -> bool:
        return (
            (multi or "_" in full)
            and full in BRACKET_OPERATORS
            and (self.at("[") or (self.at(r"\left") and self.at("[", 1)))
        )

    def parse_bracket_args(self):
        """``[X]``, ``[p || q]``, ``[X, Y]`` after an operator name -> the list of arguments."""
        right = self.at(r"\left")
        if right:
            self.next()
        self.expect("[")
        self.closers.append("arg")
        args = []
        try:
            while True:
                if self.at("]"):
                    self.fail("an empty argument")
                value = self.parse_relation()
                if self.at("|") or self.at(r"\mid"):
                    self.next()
                    given = self.parse_relation()
                    value = sp.Function("Given")(self._arg(value), self._arg(given))
                args.append(value)
                if self.at(",") or self.at(";") or self.at("||") or self.at(r"\|"):
                    self.next()
                    continue
                break
        finally:
            self.closers.pop()
        if right:
            self.expect(r"\right")
        self.expect("]")
        return args

    # ------------------------------------------------------------------ braces, quantifiers
    def parse_brace_label(self):
        """``\\underbrace{body}_{label}`` / ``\\overbrace{body}^{label}``: the body alone."""
        tok = self.next()
        if not self.at("{"):
            self.fail(f"{tok.value} without a braced body", tok)
        self.next()
        body = self.parse_relation()
        self.expect("}")
        mark = "_" if tok.value == r"\underbrace" else "^"
        if not self.at(mark):  # a brace with nothing under it is layout symml does not guess at
            self.fail(f"{tok.value}{{...}} without its label {mark}{{...}}", tok)
        self.next()
        self._skip_label(tok)
        return self.scalar(body) if isinstance(body, Vec) else body

    def _skip_label(self, tok):
        t = self.next()
        if t.kind == "end":
            self.fail(f"{tok.value} with an empty label", tok)
        if t.kind == "op" and t.value == "{":
            depth = 1
            while depth:
                t = self.next()
                if t.kind == "end":
                    self.fail(f"unbalanced braces in the label of {tok.value}", tok)
                if t.kind == "op" and t.value == "{":
                    depth += 1
                elif t.kind == "op" and t.value == "}":
                    depth -= 1

    def refuse_quantifier(self):
        t = self.peek()
        self.fail(
            f"a quantifier {t.value} ({QUANTIFIERS[t.value]} ...) is a statement about a set, "
            "not a formula symml can read",
            t,
        )
