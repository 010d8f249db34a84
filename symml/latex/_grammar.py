"""The grammar: LaTeX tokens to SymPy, with the meaning an ML reader intends.

A recursive-descent parser over ``symml.latex._lex`` tokens. It builds SymPy objects directly;
the few things SymPy cannot hold during parsing (a vector not yet contracted, a transposed
vector) are small private wrappers resolved before a value leaves the parser.

Shapes of matrices are unified by restarting: when a product or sum does not conform and one
side has a shape symml made up, the parse restarts with the two dimensions identified. The
same mechanism promotes a transposed scalar to a vector. Each restart shrinks the set of free
dimensions, so the loop ends.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp
from sympy.matrices.expressions.matexpr import MatrixExpr

from symml.errors import ParseError
from symml.latex._atoms import AUTO_DIM_PREFIX, AtomMixin, Restart, Vec
from symml.latex._lex import ROW_SPACERS, Token, tokenize
from symml.latex._limits import MAX_NESTING, number_too_big, tree_problem
from symml.latex._names import (
    ACCENTS,
    FUNCTION_COMMANDS,
    FUNCTION_LIKE,
    GREEK,
    INDEX_LETTERS,
    MULTI_LETTER_NAMES,
    NAMED_OPERATORS,
    RELATIONS,
    TEXT_WORDS,
)


@dataclass(frozen=True)
class Equation:
    """``lhs = rhs`` (or ``lhs := rhs``) as written; symml never solves it."""

    lhs: object
    rhs: object
    op: str = "="

    def __iter__(self):
        return iter((self.lhs, self.rhs))


@dataclass(frozen=True)
class Relation:
    """A chain ``a op b op c`` (``0 \\leq JS \\leq \\log 2``); ``ops`` has one entry fewer."""

    parts: tuple
    ops: tuple

    def as_sympy(self):
        """The chain as SymPy relationals (``And`` of them) where both sides are scalars."""
        rels = [_relational(a, op, b) for a, op, b in zip(self.parts, self.ops, self.parts[1:])]
        return rels[0] if len(rels) == 1 else sp.And(*rels)


@dataclass(frozen=True)
class Aligned:
    """Several equations or relations: an ``align`` block or ``a = b, \\quad c = d``."""

    items: tuple


SET_OPERATORS = {
    r"\cap": "Intersection",
    r"\cup": "Union",
    r"\setminus": "SetMinus",
    r"\land": "And",
    r"\wedge": "And",
    r"\lor": "Or",
    r"\vee": "Or",
}


def _relational(a, op, b):
    table = {
        "<": sp.StrictLessThan,
        ">": sp.StrictGreaterThan,
        r"\leq": sp.LessThan,
        r"\geq": sp.GreaterThan,
        r"\neq": sp.Ne,
        "=": sp.Eq,
    }
    if op in table:
        return table[op](a, b, evaluate=False)
    return sp.Function(RELATIONS.get(op, "Rel"))(a, b)


def parse(text: str, kinds: dict[str, str], functions: frozenset[str]):
    """Parse ``text``; ``kinds`` maps symbol names to declared kinds."""
    vectors = {n for n, k in kinds.items() if k.startswith("vector") or k == "simplex"}
    matrices = {n for n, k in kinds.items() if k.startswith("matrix")}
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


class _Parser(AtomMixin):
    def __init__(self, text, tokens, kinds, functions, vectors, matrices, dims, matrix_mode=False):
        self.text = text
        self.toks: list[Token] = tokens
        self.pos = 0
        self.kinds = kinds
        self.functions = functions
        self.vectors = vectors
        self.matrices = matrices
        self.dims = dims
        self.matrix_mode = matrix_mode or bool(matrices) or _transposes_capital(tokens)
        self.bound: dict[str, sp.Symbol] = {}
        self.closers: list[str] = []  # what ends the innermost |...|, ||...|| or call
        self.integral_depth = 0
        self.depth = 0  # atoms and signs inside one another (see texlimits.MAX_NESTING)

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
        if self.at(r"\begin") and self.env_name(peek_only=True) in (
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
        ):
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
            if t.kind == "op" and t.value in ("=", "<", ">"):
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
            if t.kind == "op" and t.value in "+-" and t.value:
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
            else:
                return self._total(terms, sp.Add)

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
        while True:
            t = self.peek()
            times = (
                t.kind == "op"
                and t.value == "*"
                or t.kind == "cmd"
                and t.value in (r"\ast", r"\cdot")
            )
            if times or self._starts_atom(t):
                if times:
                    self.next()
                right = self.parse_unary()
                if _plain(right) and _plain(factors[0]):
                    factors.append(right)
                else:
                    factors = [
                        self.mul(self._total(factors, sp.Mul), right, dot=t.value == r"\cdot")
                    ]
                continue
            left = self._total(factors, sp.Mul)
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
                right = self.parse_unary()
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
            if t.value in (r"\rVert", r"\rvert", r"\rangle", r"\}"):
                return False
            if t.value == r"\mathrm" and self.integral_depth:
                return True
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

    # ------------------------------------------------------------------ values
    def scalar(self, v):
        """A value as a scalar SymPy expression (vectors read element-wise, 1x1 matrices)."""
        if isinstance(v, Vec):
            if v.transposed:
                self.fail(f"the transpose of vector {v.name} is used where a scalar is expected")
            if v.index:
                return sp.Indexed(sp.IndexedBase(v.name), *v.index)
            return self.symbol(v.name)
        if isinstance(v, MatrixExpr) and v.shape == (1, 1):
            return v[0, 0]
        return v

    def _sized(self, value):
        """``value``, unless arithmetic made an exact number too large (2^{9000} 2^{9000})."""
        if number_too_big(value):
            self.fail("a number too large to compute with exactly")
        return value

    def neg(self, v):
        if isinstance(v, Vec):
            v = self.scalar(v)
        return -v

    def add(self, a, b):
        if isinstance(a, Vec) or isinstance(b, Vec):
            a, b = self.scalar(a), self.scalar(b)
        am, bm = isinstance(a, MatrixExpr), isinstance(b, MatrixExpr)
        if am != bm:
            self._promote(b if am else a)
        if am and bm:
            if a.shape != b.shape and a.shape[1] != 1 and b.shape[1] == 1:
                return self._row_bias(a, b)
            if a.shape != b.shape and b.shape[1] != 1 and a.shape[1] == 1:
                return self._row_bias(b, a)
            if a.shape != b.shape:
                self._unify(a.shape, b.shape)
            return sp.MatAdd(a, b).doit() if False else a + b
        if am and not bm:
            return a + self._broadcast(b, a.shape)
        if bm and not am:
            return self._broadcast(a, b.shape) + b
        return self._sized(a + b)

    def _row_bias(self, a, v):
        """X W + b with b a vector: b is added to every row (broadcasting), as in NumPy."""
        if v.shape[0] == a.shape[0]:
            return a + v * sp.OneMatrix(1, a.shape[1])
        if v.shape[0] != a.shape[1]:
            self._unify((v.shape[0],), (a.shape[1],))
        return a + sp.OneMatrix(a.shape[0], 1) * v.T

    def _promote(self, value):
        """X w, X w - y: undeclared lowercase symbols next to a matrix are column vectors."""
        if not isinstance(value, sp.Expr) or value.is_number:
            return
        names = {s.name for s in value.free_symbols if isinstance(s, sp.Symbol)}
        names = {
            n
            for n in names
            if n not in self.bound
            and n[:1].islower()
            and n not in self.kinds
            and n not in self.vectors
        }
        if (
            names
            and all(isinstance(s, sp.Symbol) for s in value.atoms(sp.Symbol))
            and not value.atoms(sp.Indexed, sp.Function)
        ):
            raise Restart(vectors=names)

    def _broadcast(self, s, shape):
        if s == 0:
            return sp.ZeroMatrix(*shape)
        return s * sp.OneMatrix(*shape)

    def mul(self, a, b, dot=False):
        if isinstance(a, Vec) and isinstance(b, Vec) and (dot or a.transposed):
            return self._dot(a, b)
        if isinstance(a, Vec) or isinstance(b, Vec):
            a, b = self.scalar(a), self.scalar(b)
        am, bm = isinstance(a, MatrixExpr), isinstance(b, MatrixExpr)
        if am and not bm and a.shape[1] != 1:
            self._promote(b)
        if am and bm and a.shape[1] == 1 and b.shape[1] == 1 and a.shape[0] != 1 \
                and b.shape[0] != 1:
            # two column vectors side by side: sigma(x)(1 - sigma(x)) is element-wise
            if a.shape != b.shape:
                self._unify(a.shape, b.shape)
            return sp.HadamardProduct(a, b)
        if am and bm:
            if a.shape[1] != b.shape[0]:
                if a.shape == (1, 1) or b.shape == (1, 1):
                    return self.scalar(a) * b if a.shape == (1, 1) else a * self.scalar(b)
                self._unify((a.shape[1],), (b.shape[0],))
            return a * b
        return self._sized(a * b)

    def div(self, a, b):
        if isinstance(b, MatrixExpr):
            if b.shape == (1, 1):
                b = b[0, 0]
            else:
                self.fail("division by a matrix; write the inverse with ^{-1}")
        a, b = self.scalar(a) if isinstance(a, Vec) else a, self.scalar(b)
        return self._sized(a / b) if not isinstance(a, MatrixExpr) else a * (1 / b)

    def _dot(self, a: Vec, b: Vec):
        used = {str(s) for s in self.bound} | set(self.bound)
        j = next(
            c
            for c in ("j", "k", "l", "r", "s", "u")
            if c not in used and all(c not in (str(x) for x in a.index + b.index) for _ in [0])
        )
        jj = sp.Symbol(j, integer=True)
        n = self._dim_of(a.name)
        return sp.Sum(
            sp.Indexed(sp.IndexedBase(a.name), *a.index, jj)
            * sp.Indexed(sp.IndexedBase(b.name), *b.index, jj),
            (jj, 1, n),
        )

    def _dim_of(self, name):
        kind = self.kinds.get(name, "")
        if "[" in kind:
            return sp.Symbol(
                kind[kind.index("[") + 1 : -1].split(",")[0].strip(), integer=True, positive=True
            )
        return sp.Symbol("n", integer=True, positive=True)

    def _unify(self, s1, s2):
        for x, y in zip(s1, s2):
            if x == y:
                continue
            xs, ys = str(x), str(y)
            if xs.startswith(AUTO_DIM_PREFIX):
                raise Restart(dims={xs: ys})
            if ys.startswith(AUTO_DIM_PREFIX):
                raise Restart(dims={ys: xs})
            self.fail(f"shapes do not conform: {x} against {y}")

    def symbol(self, name: str):
        if name in self.bound:
            return self.bound[name]
        default = "index" if name in INDEX_LETTERS else "real"
        kind = self.kinds.get(name, default).split("[")[0]
        if kind == "imaginary":
            return sp.I
        assumptions = {
            "real": {"real": True},
            "positive": {"positive": True},
            "nonnegative": {"nonnegative": True},
            "negative": {"negative": True},
            "probability": {"positive": True},
            "unit": {"nonnegative": True},
            "integer": {"integer": True},
            "natural": {"integer": True, "positive": True},
            "index": {"integer": True},
            "constant": {"positive": True},
        }.get(kind, {"real": True})
        return sp.Symbol(name, **assumptions)

    def matrix(self, name: str):
        kind = self.kinds.get(name, "")
        if "[" in kind:
            r, _, c = kind[kind.index("[") + 1 : -1].partition(",")
            rows = sp.Symbol(r.strip(), integer=True, positive=True)
            cols = sp.Symbol(c.strip(), integer=True, positive=True) if c else sp.Integer(1)
        else:
            rows = self._auto_dim(f"{AUTO_DIM_PREFIX}{name}_rows")
            cols = (
                sp.Integer(1)
                if name in self.vectors
                else self._auto_dim(f"{AUTO_DIM_PREFIX}{name}_cols")
            )
        if name in self.vectors and "[" in kind:
            cols = sp.Integer(1)
        return sp.MatrixSymbol(name, rows, cols)

    def _auto_dim(self, name):
        name = self.dims.get(name, name)
        return sp.Symbol(name, integer=True, positive=True)


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


__all__ = [
    "Aligned",
    "Equation",
    "Relation",
    "parse",
    "FUNCTION_COMMANDS",
    "FUNCTION_LIKE",
    "ACCENTS",
    "INDEX_LETTERS",
    "MULTI_LETTER_NAMES",
    "NAMED_OPERATORS",
    "TEXT_WORDS",
]
