"""Postfixes and calls: powers, transposes and inverses, factorials, components, f(x, y).

Also the LaTeX function commands (``\\log_2 x``, ``\\sin^2 x``, ``\\log'``) and how a
function applies to a vector or a matrix. A mixin of the parser (``symml.latex._grammar``).
"""

from __future__ import annotations

import sympy as sp
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction
from sympy.matrices.expressions.matexpr import MatrixExpr

from symml.latex._base import Restart, Vec, ml_function
from symml.latex._limits import (
    MAX_FACTORIAL,
    MAX_INVERT_SIZE,
    MAX_MATRIX_POWER,
    MAX_POSTFIX,
    factorial_too_big,
    power_too_big,
)
from symml.latex._names import (
    ARGUMENT_ENDS,
    EXTRA_FUNCTIONS,
    FUNCTION_COMMANDS,
    INVERSES,
    NAMED_OPERATORS,
    SYMPY_NAMED,
)

MAX_EXPONENT_DIGITS = 6  # x^{10^{7}}: SymPy must not expand it
# Activations applied to a vector or matrix act element-wise (sigma(Xw), g'(z)); other
# functions of a vector (J(theta), f(x), P(x)) are functions of the whole vector.
ELEMENTWISE = frozenset({"sigma", "g", "phi", "h", "tanh", "exp", "log", "act"})


class CallMixin:
    def parse_postfix(self, base):
        for _ in range(MAX_POSTFIX + 1):
            if self.at("^"):
                base = self._power(base)
            elif self.at("!"):
                self.next()
                base = self.scalar(base)
                if factorial_too_big(base):
                    self.fail(
                        f"{base}! is too large to compute with exactly "
                        f"(factorials up to {MAX_FACTORIAL}!)"
                    )
                base = sp.factorial(base, evaluate=False)
            elif self.at(r"\%"):  # 95\% is 0.95
                self.next()
                base = self.scalar(base) / 100
            elif self.at("'") and isinstance(base, (MatrixExpr, sp.MatrixBase)):
                self.next()  # (A + B)': the transpose of a matrix
                base = base.T
            elif self.at("'") and self.peek(-1).value == ")" and isinstance(base, sp.Expr):
                base = self._prime_of_group(base)  # (x^3)' = 3x^2
            elif self.at("'") and isinstance(base, sp.Symbol):
                self.next()
                base = self.symbol(f"{base.name}_prime")
            elif self.at("_") and not isinstance(base, sp.Symbol):
                base = self._component(base)
            elif self.at("_") and self.peek(-1).value == "}":
                base = self._group_index(base)
            else:
                return base
        self.fail(f"more than {MAX_POSTFIX} powers, factorials or primes in a row")

    def _prime_of_group(self, base):
        """``(e^x)'``: the derivative of a parenthesised expression in one variable."""
        tok, order = self.peek(), 0
        while self.at("'"):
            self.next()
            order += 1
        bound = {lim[0] for s in base.atoms(sp.Sum, sp.Product) for lim in s.limits}
        free = sorted((s for s in base.free_symbols - bound if isinstance(s, sp.Symbol)), key=str)
        if len(free) != 1:
            names = ", ".join(map(str, free)) or "no variable"
            self.fail(
                f"(...)' of an expression in {names}: for a derivative say by which variable "
                "(\\frac{d}{dx}); for a transpose declare the matrices (-s A=matrix)",
                tok,
            )
        return sp.Derivative(base, (free[0], order))

    def _power(self, base):
        tok = self.next()  # ^
        if isinstance(base, (MatrixExpr, sp.MatrixBase)):
            marks = self._matrix_marks()
            if marks is not None:  # A^H, A^*, A^\ast (conjugate transpose), A' (transpose)
                return _apply_marks(base, marks)
        t = self.peek()
        # transpose and inverse keep their meaning; they are never dropped
        special = None
        if (
            t.kind == "letter"
            and t.value == "T"
            or t.kind == "cmd"
            and t.value in (r"\top", r"\intercal")
        ):
            special, skip = "T", 1
        elif (
            self.at("{") and self.at("}", 2) and self.peek(1).value in ("T", r"\top", r"\intercal")
        ):
            special, skip = "T", 3
        elif self.at("{") and self.at("-", 1) and self.peek(2).value == "1" and self.at("}", 3):
            special, skip = "I", 4
        if special == "T":
            for _ in range(skip):
                self.next()
            return self._transpose(base, tok)
        if special == "I" and isinstance(base, (MatrixExpr, sp.MatrixBase)):
            for _ in range(skip):
                self.next()
            if isinstance(base, MatrixExpr):
                return base.I
            if max(base.shape) > MAX_INVERT_SIZE:
                return sp.Inverse(base)  # SymPy's symbolic inverse grows factorially
            return base.inv()
        exponent = self.scalar(self.parse_arg())
        if isinstance(base, Vec):
            base = self.scalar(base)
        if isinstance(base, sp.MatrixBase):
            if not (exponent.is_Integer and 0 <= exponent <= MAX_MATRIX_POWER):
                self.fail(f"an explicit matrix to a power other than 0..{MAX_MATRIX_POWER}", tok)
            return base**exponent
        if isinstance(base, MatrixExpr):
            if base.shape == (1, 1):
                return base[0, 0] ** exponent
            return sp.MatPow(base, exponent)
        if isinstance(base, (sp.Set, sp.Tuple)) or isinstance(exponent, (sp.Set, sp.Tuple)):
            # [0, 1]^n, \mathbb{R}^{n}: a product of sets, notation (no SymPy power of a set)
            return sp.Function("SetPower")(base, exponent)
        if power_too_big(base, exponent):
            self.fail("a power too large to compute with exactly", tok)
        if exponent.is_Integer and abs(exponent) > 10**MAX_EXPONENT_DIGITS:
            return sp.Pow(base, exponent, evaluate=False)
        if base.is_Number and exponent.is_Number and (abs(exponent) > 4096):
            return sp.Pow(base, exponent, evaluate=False)
        if (
            isinstance(base, sp.Pow)
            and base.exp.is_Number
            and not base.exp.is_Integer
            and exponent.is_Number
        ):
            return sp.Pow(base, exponent, evaluate=False)
        return sp.Pow(base, exponent)

    def _matrix_marks(self):
        """The marks of ``^H``, ``^*``, ``^{\\ast\\ast}``, ``^\\prime``, ``^{''}``, ``^\\mathit{T}``
        after a matrix, consumed; None (nothing consumed) when the superscript is not one."""
        marks = {
            "H": "H",
            "*": "*",
            r"\ast": "*",
            r"\prime": "'",
            "'": "'",
            r"\mathit{T}": "T",
            r"\mathrm{T}": "T",
        }
        t = self.peek()
        if t.value in marks and not (t.kind == "letter" and t.value != "H"):
            self.next()
            return [marks[t.value]]
        if not self.at("{"):
            return None
        k, found = 1, []
        while self.peek(k).value in marks and self.peek(k).kind != "letter":
            found.append(marks[self.peek(k).value])
            k += 1
        if self.peek(k).value == "H" and self.peek(k).kind == "letter" and not found:
            found, k = ["H"], k + 1
        if not found or not self.at("}", k):
            return None
        for _ in range(k + 1):
            self.next()
        return found

    def _component(self, base):
        """(A + B)_{ij}, (c v)_i, (A^T)_{ij}: an element of a vector or matrix expression."""
        tok = self.next()  # _
        if isinstance(base, sp.Pow) and base.exp in self.bound.values():
            self.fail(
                f"{base.base}^{base.exp} with a subscript after it, where {base.exp} is the "
                f"index of a sum: a power or an index ({base.base}^{base.exp}_1)? "
                "write the index in the subscript",
                tok,
            )
        if isinstance(base, sp.Abs) and self.peek(-2).value == "|":
            self.fail(
                "a subscript after |...| (|x|_1): write \\|x\\|_1 for a norm, (|x|)_i for a "
                "component",
                tok,
            )
        if isinstance(base, sp.exp) and self.peek(-2).value != ")":
            self.fail(
                "a subscript after e^{...} (e^{x}_i): write (e^{x})_i or e^{x_i}",
                tok,
            )
        kind, value = self.parse_subscript()
        if kind != "index":
            if kind == "name" and value.isdigit():  # \|x\|_1 after a norm is handled there
                value = (sp.Integer(value),)
            else:
                self.fail(
                    "a subscript on an expression must be an index (i, j or a bound one)", tok
                )
        if isinstance(base, Vec):
            return sp.Indexed(sp.IndexedBase(base.name), *base.index, *value)
        if isinstance(base, MatrixExpr):
            if len(value) == 1 and base.shape[1] == 1:
                value = (value[0], 0)
            if len(value) != 2:
                self.fail("a matrix element needs two indices", tok)
            return base[value[0], value[1]]
        return sp.Function("Component")(self.scalar(base), *value)

    def _group_index(self, base):
        """``{w^{(1)}}_{i,j}`` (how SymPy prints an indexed labelled name): the name at the
        indices; any other subscript on a braced name is refused."""
        tok = self.next()  # _
        kind, value = self.parse_subscript()
        if kind != "index" or base.name in self.bound:
            self.fail("a subscript on a braced name must be an index (i, j or a bound one)", tok)
        return self.name_value(base.name, value, False)

    def _transpose(self, base, tok):
        if isinstance(base, (MatrixExpr, sp.MatrixBase)):
            return base.T
        if isinstance(base, Vec):
            return Vec(base.name, base.index, not base.transposed)
        if isinstance(base, sp.Indexed) and not self._declared_scalar(str(base.base.label)):
            # w_j^T x_i, w_{y_i}^T x_i: the j-th weight vector (row j of W), transposed
            return Vec(str(base.base.label), tuple(base.indices), True)
        free = [s for s in getattr(base, "free_symbols", ()) if isinstance(s, sp.Symbol)]
        names = {s.name for s in free} - set(self.bound)
        if names and not (names & self.vectors):
            # a transposed scalar expression: its symbols are vectors (x - y)^T
            raise Restart(vectors=names)
        self.fail("a transpose of something that is not a vector or a matrix", tok)

    def parse_call_args(self):
        """(a, b), (x | theta), (P || Q), (x; mu, Sigma) -> list of values."""
        right = False
        if self.at(r"\left"):
            self.next()
            right = True
        self.expect("(")
        self.closers.append("arg")
        args = []
        try:
            while True:
                if self.at(")") or (right and self.at(r"\right")):
                    self.fail("an empty argument")
                value = self.parse_relation()
                if self.at("|") or self.at(r"\mid"):
                    self.next()
                    given = self.parse_relation()
                    extra = []
                    while self.at(","):
                        self.next()
                        extra.append(self.scalar(self.parse_relation()))
                    value = sp.Function("Given")(self._arg(value), self._arg(given), *extra)
                args.append(value)
                if self.at(",") or self.at(";") or self.at("||") or self.at(r"\|"):
                    self.next()
                    continue
                break
        finally:
            self.closers.pop()
        if right:
            self.expect(r"\right")
        self.expect(")")
        return args

    def _arg(self, v):
        if isinstance(v, Vec):
            if v.transposed:
                self.fail("a transposed vector as argument")
            return self.scalar(v)
        if hasattr(v, "lhs") and hasattr(v, "rhs") and not isinstance(v, sp.Basic):
            return sp.Function("Rel")(self._arg(v.lhs), self._arg(v.rhs))
        if hasattr(v, "as_sympy"):
            return v.as_sympy()
        return v

    def apply_function(self, name, args, primes=0):
        args = [self._arg(a) for a in args]
        if primes:
            return self._derivative_call(name, args, primes)
        lname = name.lower()
        if name in SYMPY_NAMED or lname in ("sign", "sgn"):
            target = SYMPY_NAMED.get(name, "sign")
            fn = {
                "sign": sp.sign,
                "exp": sp.exp,
                "log": sp.log,
                "tanh": sp.tanh,
                "Max": sp.Max,
                "Min": sp.Min,
                "Abs": sp.Abs,
                "sqrt": sp.sqrt,
                "det": sp.det,
                "trace": sp.trace,
            }.get(target) or getattr(sp, target)
            if target in ("gcd", "lcm"):
                return self._integer_function(target, args, self.peek())
            value = fn(*args)
        elif lname == "softmax" and len(args) == 1 and isinstance(args[0], MatrixExpr):
            from symml.functions import row_softmax

            value = row_softmax(args[0])
        elif (
            # one function table for every command, unless the caller defines the name
            (ml := None if self._own_function(name) else ml_function(name)) is not None
            and lname not in ("softmax", "logsumexp")
            and not any(isinstance(a, MatrixExpr) and a.shape != (1, 1) for a in args)
        ):
            try:
                value = ml(*args)
            except (TypeError, ValueError):
                value = sp.Function(name)(*args)
        elif (
            len(args) == 1
            and isinstance(args[0], MatrixExpr)
            and args[0].shape != (1, 1)
            and (name in ELEMENTWISE or ml is not None)
        ):
            # \sigma(Xw): a scalar function of a matrix applies element-wise
            u = sp.Dummy("u")
            f = ml if ml is not None else sp.Function(name)
            value = ElementwiseApplyFunction(sp.Lambda(u, f(u)), args[0])
        else:
            value = sp.Function(name)(
                *[
                    self.scalar(a) if isinstance(a, MatrixExpr) and a.shape == (1, 1) else a
                    for a in args
                ]
            )
        return value

    def _own_function(self, name):
        """Did the caller define ``name`` as its own function (``-f sigma``, sigma=function)?"""
        return name in self.functions or self._declared_as(name, "function")

    def _derivative_call(self, name, args, primes):
        """f'(x), \\sigma'(z), ReLU'(0), g'(\\mathbf{z}): the derivative of the named function."""
        first, rest = args[0], args[1:]
        u = sp.Dummy("u", real=True)
        inner = self.apply_function(name, [u, *rest])
        if not inner.has(u):
            self.fail(f"a prime on {name}, which does not depend on its argument")
        d = sp.Derivative(inner, (u, primes))
        if isinstance(first, MatrixExpr) and first.shape != (1, 1):
            return ElementwiseApplyFunction(sp.Lambda(u, d), first)
        if isinstance(first, sp.Symbol) and not rest:
            return sp.Derivative(self.apply_function(name, [first]), (first, primes))
        return sp.Subs(d, u, self.scalar(first))

    def parse_function_command(self, name=None):
        """``\\log_2 x``, ``\\sin^2 x``, ``\\tanh(x)``; ``name`` for one written in a font
        (``\\operatorname{sech}^2 x``)."""
        tok = self.next()
        name = name or FUNCTION_COMMANDS[tok.value]
        base = None
        power = None
        primes = 0
        for _ in range(3):
            if self.at("_") and name in ("log", "lg"):
                self.next()
                base = self.scalar(self.parse_arg())
                if isinstance(base, sp.Symbol) and base.name == "e" and "e" not in self.kinds:
                    base = sp.E  # \log_e x: Euler's e, so the natural logarithm
            elif self.at("^") and not self.at(r"\prime", 1):
                self.next()
                power = self.scalar(self.parse_arg())
            elif self.at("'"):
                self.next()
                primes += 1
            else:
                break
        if self.at("(") or (self.at(r"\left") and self.at("(", 1)):
            args = [self.scalar(self._arg(a)) for a in self.parse_call_args()]
        elif self.at("{"):
            # SymPy prints log(u)**2 as \log{\left(u \right)}^{2}: braces hold the argument and a
            # power after them applies to the value (unlike \log x^2, which is log(x^2))
            self.next()
            args = [self.scalar(self.parse_group_body("}"))]
        else:  # \log x^2, \log P(x|z), \log \frac{a}{b}, \log 2x (the product)
            args = [self.scalar(self._function_argument())]
        fn = {
            "log": sp.log,
            "ln": sp.log,
            "exp": sp.exp,
            "sin": sp.sin,
            "cos": sp.cos,
            "tan": sp.tan,
            "cot": sp.cot,
            "sec": sp.sec,
            "csc": sp.csc,
            "asin": sp.asin,
            "acos": sp.acos,
            "atan": sp.atan,
            "sinh": sp.sinh,
            "cosh": sp.cosh,
            "tanh": sp.tanh,
            "coth": sp.coth,
            "lg": lambda x: sp.log(x, 10),
            "sign": sp.sign,
            "erf": sp.erf,
            "erfc": sp.erfc,
            **{f: getattr(sp, f) for f in EXTRA_FUNCTIONS},
        }.get(name)
        if power == -1 and name in INVERSES:  # \sin^{-1} x, \sinh^{-1} x: the inverse
            power, name = None, INVERSES[name]
            fn = getattr(sp, name)
        elif power == -1:
            self.fail(
                f"{tok.value}^{{-1}} is ambiguous (inverse function or reciprocal); "
                f"write 1/{tok.value} or the inverse function's name",
                tok,
            )
        if name in ("gcd", "lcm"):
            return self._integer_function(name, args, tok)
        if name == "adjugate":
            if not isinstance(args[0], sp.MatrixBase):
                self.fail("\\adjugate of something that is not an explicit matrix", tok)
            return args[0].adjugate()
        if name == "det":
            value = sp.Determinant(args[0]) if isinstance(args[0], MatrixExpr) else sp.det(args[0])
        elif name == "trace":
            value = sp.Trace(args[0])
        elif name == "Pr":
            value = sp.Function("P")(*args)
        elif name == "log" and base is not None:
            value = sp.log(args[0], base)  # log(x)/log(b): \log_2 keeps its base
        else:
            value = fn(*args)
        if primes:
            x = sp.Dummy("u")
            d = sp.diff(fn(x), x)
            value = d.subs(x, args[0])
        if power is not None:
            value = value**power
        return value

    def _function_argument(self):
        """The argument of ``\\log`` without parentheses: the implicit product after it.

        ``\\log 2x`` is log(2x) and ``\\ln xy`` is log(xy), as SymPy's parser and most
        textbooks read them; the product ends at an explicit operator (``+``, ``\\cdot``,
        ``/``), at the next function command (``\\sin x \\cos x``), at a big operator or at a
        space the author typed (``\\tanh x\\,(1 - \\tanh^2 x)``: tanh(x) times the bracket).
        """
        value = self.parse_postfix(self.parse_atom())
        while self._starts_atom(self.peek()) and not self._ends_argument(self.peek()):
            value = self.mul(value, self.parse_postfix(self.parse_atom()))
        return value

    def _ends_argument(self, t):
        return (
            t.spaced
            or t.kind == "cmd"
            and (
                t.value in FUNCTION_COMMANDS
                or t.value in ARGUMENT_ENDS
                or t.value in NAMED_OPERATORS
            )
        )

    def _integer_function(self, name, args, tok):
        """gcd and lcm of integers; SymPy's gcd of symbols is the polynomial gcd (1), so no."""
        if len(args) < 2 or not all(getattr(a, "is_Integer", False) for a in args):
            self.fail(
                f"{tok.value} of something other than integer numbers "
                f"(SymPy's {name} of symbols is a polynomial {name}, not the integer one)",
                tok,
            )
        value = args[0]
        for a in args[1:]:
            value = getattr(sp, name)(value, a)
        return value


def _apply_marks(base, marks):
    """``*`` and ``H``: the conjugate transpose; ``'`` and ``T``: the transpose (each twice is
    nothing)."""
    for mark in marks:
        base = base.adjoint() if mark in ("*", "H") else base.T
    return base
