"""The grammar: LaTeX tokens to SymPy, with the meaning an ML reader intends.

A recursive-descent parser over ``symml.latex._lex`` tokens. It builds SymPy objects directly;
the few things SymPy cannot hold during parsing (a vector not yet contracted, a transposed
vector) are small private wrappers resolved before a value leaves the parser.

Shapes of matrices are unified by restarting: when a product or sum does not conform and one
side has a shape symml made up, the parse restarts with the two dimensions identified. The
same mechanism promotes a transposed scalar to a vector. Each restart shrinks the set of free
dimensions, so the loop ends.

This module holds the top level (rows, relations, sums, products, signs); the parser class
joins it with one mixin per kind of atom (``_atoms``, ``_identifiers``, ``_calls``,
``_calculus``, ``_operators``, ``_environments``) and the arithmetic of values (``_values``).
"""

from __future__ import annotations

from typing import Any

import sympy as sp
from sympy.matrices.expressions.matexpr import MatrixExpr

from symml.errors import ParseError
from symml.latex._atoms import AtomMixin
from symml.latex._base import Restart, Vec, declared
from symml.latex._calculus import CalculusMixin
from symml.latex._calls import CallMixin
from symml.latex._environments import EnvironmentMixin
from symml.latex._identifiers import NameMixin
from symml.latex._lex import ROW_SPACERS, Token, conjunction, tokenize
from symml.latex._limits import MAX_NESTING, tree_problem
from symml.latex._names import GREEK, RELATIONS
from symml.latex._notation import NotationMixin
from symml.latex._operators import OperatorMixin
from symml.latex._relations import Aligned, Equation, Relation
from symml.latex._shapes import multiplies_vector
from symml.latex._values import ValueMixin

SET_OPERATORS = {
    r"\cap": "Intersection",
    r"\cup": "Union",
    r"\setminus": "SetMinus",
    r"\land": "And",
    r"\wedge": "And",
    r"\lor": "Or",
    r"\vee": "Or",
}
# environments that hold rows of equations rather than one value
ROW_ENVIRONMENTS = frozenset(
    {
        "align",
        "align*",
        "aligned",
        "gather",
        "gather*",
        "split",
        "equation",
        "equation*",
        "eqnarray",
        "eqnarray*",
    }
)


def parse(text: str, kinds: dict[str, str], functions: frozenset[str]) -> Any:
    """Parse ``text``; ``kinds`` maps symbol names to declared kinds."""
    specs = [s for s in (declared(kinds, n) for n in kinds) if s is not None]
    vectors = {s.name for s in specs if s.is_vector}
    matrices = {s.name for s in specs if s.is_matrix}
    column_vectors: set[str] = set()  # vectors found by a transpose or a matrix product
    dims: dict[str, str] = {}
    tokens = tokenize(text)
    for _ in range(25):
        p = _Parser(
            text,
            tokens,
            kinds,
            functions,
            vectors | column_vectors,
            matrices,
            dims,
            bool(column_vectors),
        )
        try:
            value = p.parse_top()
        except (
            TypeError,
            ValueError,
            AttributeError,
            NotImplementedError,
            IndexError,
            KeyError,
            ZeroDivisionError,
            OverflowError,
            sp.ShapeError,
        ) as e:
            if isinstance(e, ParseError):
                raise
            # SymPy refused a combination the grammar allowed: say where, never a traceback
            raise ParseError(
                f"cannot represent this ({type(e).__name__}: {e})", text, p.peek().col
            ) from e
        except Restart as r:
            if not (r.vectors - column_vectors or r.matrices - matrices or r.dims):
                raise ParseError("cannot give this formula consistent shapes", text) from None
            column_vectors |= r.vectors
            matrices |= r.matrices
            for a, b in r.dims.items():
                dims[a] = b
                for k, v in list(dims.items()):
                    if v == a:
                        dims[k] = b
        except RecursionError:
            raise ParseError("nesting is too deep (the parser ran out of stack)", text) from None
        except MemoryError:
            raise ParseError("the formula needs too much memory", text) from None
        else:
            problem = tree_problem(value)
            if problem is not None:
                raise ParseError(problem, text)
            return value
    raise ParseError("cannot give this formula consistent shapes", text)


class _Parser(
    AtomMixin,
    NameMixin,
    CallMixin,
    CalculusMixin,
    OperatorMixin,
    EnvironmentMixin,
    ValueMixin,
    NotationMixin,
):
    """One parse of one formula; ``parse`` makes a new one for each restart."""

    def __init__(self, text, tokens, kinds, functions, vectors, matrices, dims, matrix_mode=False):
        self.text = text
        self.toks: list[Token] = tokens
        self.pos = 0
        self.kinds = kinds
        self.functions = functions
        self.vectors = vectors
        self.matrices = matrices
        self.dims = dims
        self.matrix_mode = (
            matrix_mode
            or bool(matrices)
            or _transposes_capital(tokens)
            or multiplies_vector(tokens)
        )
        self.bound: dict[str, sp.Symbol] = {}
        self.closers: list[str] = []  # what ends the innermost |...|, ||...|| or call
        self.integral_depth = 0
        self.depth = 0  # atoms and signs inside one another (see _limits.MAX_NESTING)

    # ------------------------------------------------------------------ helpers
    def peek(self, k: int = 0) -> Token:
        return self.toks[min(self.pos + k, len(self.toks) - 1)]

    def next(self) -> Token:
        t = self.toks[self.pos]
        if t.kind != "end":
            self.pos += 1
        return t

    def at(self, value: str, k: int = 0) -> bool:
        t = self.peek(k)
        return t.kind in ("op", "cmd") and t.value == value

    def expect(self, value: str) -> Token:
        t = self.peek()
        if not self.at(value):
            found = "the end of the input" if t.kind == "end" else repr(t.value)
            self.fail(f"expected {value!r}, found {found}", t)
        return self.next()

    def fail(self, message: str, tok: Token | None = None):
        tok = tok or self.peek()
        raise ParseError(message, self.text, tok.col)

    # ------------------------------------------------------------------ top level
    def parse_top(self):
        if self.at(r"\begin") and self.env_name(peek_only=True) in ROW_ENVIRONMENTS:
            env = self.env_name()
            items = self.parse_rows(env)
            self.end_env(env)
        else:
            items = self.parse_rows(None)
        if self.peek().kind != "end":
            self.fail(f"unexpected {self.peek().value!r}")
        items = [self._finish(x) for x in items]
        if len(items) == 1:
            return items[0]
        return Aligned(tuple(items))

    def parse_rows(self, env):
        items = []
        while True:
            while self.at("&") or self.at(r"\\"):
                self.next()
            if self.peek().kind == "end" or self.at(r"\end"):
                break
            items.append(self.parse_relation())
            while True:
                if (
                    self.at(",")
                    and self.peek(1).kind == "cmd"
                    and self.peek(1).value in ROW_SPACERS
                ):
                    self.next()
                if self.peek().kind == "cmd" and self.peek().value in ROW_SPACERS:
                    self.next()
                    continue
                if self.at(",") and self.peek(1).kind == "end":
                    self.next()
                    continue
                if self.at(".") and self.peek(1).kind == "end":
                    self.next()
                    continue
                joined = isinstance(items[-1], (Equation, Relation))
                if joined and conjunction(self.peek()) == "and":
                    self.next()
                    continue
                break
            if self.at("&") or self.at(r"\\") or self.peek().kind == "end" or self.at(r"\end"):
                continue
            if env is None and not items:
                break
            if self.peek().kind != "end" and not self.at(r"\end"):
                # "a = b \quad c = d" already handled; anything else is an error
                if self._starts_atom(self.peek()):
                    continue
                break
        if not items:
            self.fail("empty formula")
        return items

    def _finish(self, value):
        if isinstance(value, (Equation, Relation)):
            return value
        return self.scalar(value)

    def parse_relation(self):
        parts = [self.parse_additive()]
        ops = []
        while True:
            if self.at("&"):  # alignment marks: "L &= ..." is "L = ..."
                self.next()
            t = self.peek()
            op = None
            if t.kind == "op" and t.value in ("<", ">") and self.at("=", 1):
                if self.peek(1).space_before:
                    self.fail(f"'{t.value} =' with a space between (write {t.value}=)")
                self.next()  # x >= 0, x <= 1: the ASCII spellings of \geq and \leq
                op = r"\geq" if t.value == ">" else r"\leq"
            elif t.kind == "op" and t.value in ("=", "<", ">"):
                op = t.value
            elif t.kind == "op" and t.value == ":" and self.at("=", 1):
                self.next()
                op = ":="
            elif t.kind == "cmd" and t.value in RELATIONS:
                op = {
                    r"\ge": r"\geq",
                    r"\le": r"\leq",
                    r"\ne": r"\neq",
                    r"\geqslant": r"\geq",
                    r"\leqslant": r"\leq",
                    r"\coloneqq": ":=",
                    r"\gets": r"\leftarrow",
                }.get(t.value, t.value)
            if op is None:
                break
            self.next()
            ops.append(op)
            parts.append(self.parse_additive())
        if not ops:
            return parts[0]
        parts = [self._finish(p) for p in parts]
        if len(ops) == 1 and ops[0] in ("=", ":="):
            return Equation(parts[0], parts[1], ops[0])
        return Relation(tuple(parts), tuple(ops))

    # ------------------------------------------------------------------ arithmetic
    def parse_additive(self):
        sign = 1
        if self.at("-"):
            self.next()
            sign = -1
        elif self.at("+"):
            self.next()
        left = self.parse_term()
        if sign == -1:
            left = self.neg(left)
        # Scalar terms are collected and added once: adding them one by one is quadratic.
        terms = [left]
        while True:
            t = self.peek()
            if t.kind == "op" and t.value in ("+", "-"):
                self.next()
                right = self.parse_term()
                if _plain(right) and _plain(terms[0]) or _same_shape(right, terms[0]):
                    terms.append(right if t.value == "+" else -right)
                    continue
                left = self.add(
                    self._total(terms, sp.Add), right if t.value == "+" else self.neg(right)
                )
                terms = [left]
            elif t.kind == "cmd" and t.value in (r"\pm", r"\mp"):
                self.next()
                right = self.parse_term()
                left = sp.Function("PlusMinus")(
                    self.scalar(self._total(terms, sp.Add)), self.scalar(right)
                )
                terms = [left]
            elif self._at_evaluation_bar():
                terms = [self._evaluated(self._total(terms, sp.Add))]
            else:
                return self._total(terms, sp.Add)

    def _at_evaluation_bar(self) -> bool:
        """``\\right|_{x=a}`` after ``\\left.``, or a bare ``|_{x=a}`` (``\\Big|``) that closes
        no ``|`` of its own: the expression before it, evaluated at ``x = a``."""
        if self.at(r"\right") and self.at("|", 1) and self.at("_", 2):
            return True
        return self.at("|") and self.at("_", 1) and "|" not in self.closers

    def _evaluated(self, expr):
        if self.at(r"\right"):
            self.next()
        bar = self.next()
        self.next()  # _
        self.expect("{")
        var = self.parse_atom()
        if not isinstance(var, sp.Symbol):
            self.fail("an evaluation bar |_{x=a} needs a variable before its =", bar)
        self.expect("=")
        at = self.scalar(self.parse_additive())
        self.expect("}")
        if isinstance(expr, MatrixExpr) or isinstance(expr, Vec):
            self.fail("an evaluation bar after a vector or matrix is not supported", bar)
        return sp.Subs(expr, var, at)

    def _total(self, values, op):
        """One Add or Mul of collected plain scalars (the first may be anything when alone)."""
        if len(values) == 1:
            return values[0]
        if op is sp.Add and isinstance(values[0], MatrixExpr):
            return sp.MatAdd(*values).doit()
        return self._sized(op(*values))

    def parse_term(self):
        # Scalar factors are collected and multiplied once (x x x ... x is not quadratic);
        # anything else (vectors, matrices, \times, /) multiplies what was collected so far.
        factors = [self.parse_unary()]
        coefficient = None  # 2 in 2 a^T b, lambda in lambda w^T w: it waits for the dot
        while True:
            t = self.peek()
            times = (
                t.kind == "op"
                and t.value == "*"
                or t.kind == "cmd"
                and t.value in (r"\ast", r"\cdot")
            )
            if times or (self._starts_atom(t) and not self._at_evaluation_bar()):
                if times:
                    self.next()
                right = self.parse_unary()
                if (
                    isinstance(right, Vec)
                    and right.transposed
                    and coefficient is None
                    and all(_plain(f) for f in factors)
                ):
                    coefficient, factors = self._total(factors, sp.Mul), [right]
                    continue
                if _plain(right) and _plain(factors[0]):
                    factors.append(right)
                else:
                    factors = [
                        self.mul(self._total(factors, sp.Mul), right, dot=t.value == r"\cdot")
                    ]
                continue
            left = self._total(factors, sp.Mul)
            if coefficient is not None:
                left, coefficient = self.mul(coefficient, left), None
            if t.kind == "cmd" and t.value == r"\times":
                self.next()
                right = self.parse_unary()
                if isinstance(left, Vec) or isinstance(right, Vec):
                    left = sp.Function("Cross")(self.scalar(left), self.scalar(right))
                else:
                    left = self.mul(left, right)
            elif t.kind == "cmd" and t.value in SET_OPERATORS:
                self.next()
                right = self.parse_unary()
                left = sp.Function(SET_OPERATORS[t.value])(self.scalar(left), self.scalar(right))
            elif t.kind == "cmd" and t.value == r"\odot":
                self.next()
                right = self.parse_unary()
                if isinstance(left, MatrixExpr) and isinstance(right, MatrixExpr):
                    left = sp.HadamardProduct(left, right)
                else:
                    left = self.mul(left, right)
            elif t.kind == "op" and t.value == "/":
                self.next()
                right = self.slash_operand(t)
                left = self.div(left, right)
            else:
                return left
            factors = [left]

    def parse_unary(self):
        # a loop, not recursion: "- - - ... x" must not reach the stack limit
        signs = []
        while True:
            if self.at(r"\neg") or self.at(r"\lnot"):
                signs.append("not")
            elif self.at("-"):
                signs.append("-")
            elif not self.at("+"):
                break
            self.next()
            if len(signs) > MAX_NESTING:
                self.fail(f"more than {MAX_NESTING} signs in a row")
        value = self.parse_postfix(self.parse_atom())
        for sign in reversed(signs):
            value = self.neg(value) if sign == "-" else sp.Function("Not")(self.scalar(value))
        return value

    def _starts_atom(self, t: Token) -> bool:
        if conjunction(t):  # "a = 1 \text{ and } b = 2" is two equations, not a product
            return False
        if t.kind in ("letter", "num", "text"):
            if (
                t.kind == "letter"
                and t.value == "d"
                and self.integral_depth
                and self._is_differential()
            ):
                return False
            return True
        if t.kind == "cmd":
            if t.value in SET_OPERATORS:
                return False
            if (
                t.value
                in (
                    r"\right",
                    r"\end",
                    r"\\",
                    r"\cdot",
                    r"\times",
                    r"\odot",
                    r"\pm",
                    r"\mp",
                    r"\mid",
                    r"\ast",
                )
                or t.value in RELATIONS
                or t.value in ROW_SPACERS
            ):
                return False
            if t.value == r"\|":
                return not self.closers or self.closers[-1] not in ("\\|", "arg")
            if t.value in (r"\rVert", r"\rvert", r"\rangle", r"\}", r"\rfloor", r"\rceil"):
                return False
            return True
        if t.kind == "op":
            if t.value in ("(", "{", "["):
                return True
            if t.value == "|":
                return not self.closers or self.closers[-1] not in ("|", "arg")
            if t.value == "||":
                return not self.closers or self.closers[-1] not in ("||", "arg", "|")
        return False

    def _is_differential(self) -> bool:
        nxt = self.peek(1)
        return not nxt.space_before and (
            nxt.kind == "letter" or (nxt.kind == "cmd" and nxt.value.lstrip("\\") in GREEK)
        )


def _plain(value) -> bool:
    """A scalar SymPy expression: sums and products of these need no shape logic."""
    return isinstance(value, sp.Expr) and not isinstance(value, MatrixExpr)


def _same_shape(a, b) -> bool:
    """Two matrix expressions that add without broadcasting or unifying dimensions."""
    return isinstance(a, MatrixExpr) and isinstance(b, MatrixExpr) and a.shape == b.shape


def _transposes_capital(tokens) -> bool:
    """True when a capital letter (X^T, \\Sigma^{-1}) is transposed or inverted."""
    for k in range(1, len(tokens) - 1):
        if tokens[k].kind == "op" and tokens[k].value == "^":
            prev = tokens[k - 1]
            capital = (prev.kind == "letter" and prev.value.isupper()) or (
                prev.kind == "cmd"
                and prev.value.lstrip("\\")[:1].isupper()
                and prev.value.lstrip("\\") in GREEK
            )
            if not capital:
                continue
            nxt = tokens[k + 1]
            if (
                nxt.kind == "letter"
                and nxt.value == "T"
                or nxt.kind == "cmd"
                and nxt.value in (r"\top", r"\intercal")
            ):
                return True
            if nxt.kind == "op" and nxt.value == "{" and k + 3 < len(tokens):
                inner = tokens[k + 2]
                if inner.value in ("T", r"\top", r"\intercal") and tokens[k + 3].value == "}":
                    return True
                if inner.value == "-" and tokens[k + 3].value == "1":
                    return True
    return False
