"""Values and their arithmetic: scalars, vectors in scalar formulas, matrices and shapes.

Sums and products of matrices check shapes; a dimension symml made up (``dim_X_rows``) that
does not conform restarts the parse with the two dimensions identified, and undeclared
lowercase symbols next to a matrix restart it as column vectors. A mixin of the parser
(``symml.latex._grammar``).
"""

from __future__ import annotations

import sympy as sp
from sympy.matrices.expressions.matexpr import MatrixExpr

from symml.latex._base import AUTO_DIM_PREFIX, Restart, Vec, declared
from symml.latex._limits import number_too_big
from symml.latex._names import INDEX_LETTERS


class ValueMixin:
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
        # w^T x + b: a 1 x 1 product is a number; what is added to it is a scalar too
        if isinstance(a, MatrixExpr) and a.shape == (1, 1) and not isinstance(b, MatrixExpr):
            a = a[0, 0]
        if isinstance(b, MatrixExpr) and b.shape == (1, 1) and not isinstance(a, MatrixExpr):
            b = b[0, 0]
        _no_tuple(self, a, b)
        am, bm = isinstance(a, MatrixExpr), isinstance(b, MatrixExpr)
        if am != bm:
            self._promote(b if am else a)
            self._no_matrix_plus_function(a, b) if am else self._no_matrix_plus_function(b, a)
        if am and bm:
            if a.shape != b.shape and a.shape[1] != 1 and b.shape[1] == 1:
                return self._row_bias(a, b)
            if a.shape != b.shape and b.shape[1] != 1 and a.shape[1] == 1:
                return self._row_bias(b, a)
            if a.shape != b.shape:
                self._unify(a.shape, b.shape)
            return a + b
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
        _no_tuple(self, a, b)
        if _is_condition(b):
            if a == 1:  # 1(x > 0): the indicator, as \mathbb{1}(x > 0)
                return sp.Piecewise((sp.Integer(1), self.condition(b)), (sp.Integer(0), True))
            self._refuse_condition(b)
        if _is_condition(a):
            self._refuse_condition(a)
        if isinstance(a, Vec) and a.transposed and isinstance(b, sp.Indexed):
            # w_j^T x_i: the dot product of the j-th weight vector and the i-th sample
            return self._dot(a, Vec(str(b.base.label), tuple(b.indices)))
        if isinstance(a, Vec) and isinstance(b, Vec) and (dot or a.transposed):
            return self._dot(a, b)
        if isinstance(a, Vec) or isinstance(b, Vec):
            a, b = self.scalar(a), self.scalar(b)
        am, bm = isinstance(a, MatrixExpr), isinstance(b, MatrixExpr)
        if am and not bm and a.shape[0] == 1 and a.shape[1] != 1 and _has_entry(b):
            if isinstance(b, sp.Indexed) and not self._declared_scalar(str(b.base.label)):
                # w^T x_i: the dot product with the i-th sample, x_i's k-th feature x[i, k]
                kk = sp.Dummy("k", integer=True)
                # a's element kk is 0-based, an Indexed entry 1-based: x[i, 1] is the first
                # feature (read as x[i, kk], d/dw_j printed x_{i,j-1}, and beside a sum over
                # i, the entries of different samples ran together)
                entry = sp.Indexed(b.base, *b.indices, kk + 1)
                return sp.Sum(a[0, kk] * entry, (kk, 0, a.shape[1] - 1))
            # y_i x_i after w^T: an entry (a number) in a product, so this is no dot product
            self.fail(
                f"a row vector {a} times {b}, which reads as an entry of a vector (a number), "
                "not as a sample vector: w^T x_i is not a dot product here"
            )
        if am and not bm and a.shape[1] != 1:
            self._promote(b)
        if (
            am
            and bm
            and a.shape[1] == 1
            and b.shape[1] == 1
            and a.shape[0] != 1
            and b.shape[0] != 1
        ):
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
        taken = set(self.bound) | {str(x) for x in a.index + b.index}
        # and every letter of the formula: a free j elsewhere (w_j) must not be the sum's index
        taken |= {t.value for t in self.toks if t.kind == "letter"}
        j = next((c for c in ("j", "k", "l", "r", "s", "u", "q", "v") if c not in taken), "k_dot")
        jj = sp.Symbol(j, integer=True)
        n = self.dim_of(a.name)
        return sp.Sum(
            sp.Indexed(sp.IndexedBase(a.name), *a.index, jj)
            * sp.Indexed(sp.IndexedBase(b.name), *b.index, jj),
            (jj, 1, n),
        )

    def dim_of(self, name):
        """The length of vector ``name``: its declared dimension, else ``n``."""
        shape = self._declared_shape(name)
        return _dimension(shape[0] if shape else "n")

    def _unify(self, s1, s2):
        for x, y in zip(s1, s2, strict=False):
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
        spec = declared(self.kinds, name)
        if spec is not None and spec.kind == "imaginary":
            return sp.I
        if spec is not None and spec.is_scalar:
            assumptions = spec.assumptions()
        elif name in INDEX_LETTERS and name not in self.kinds:
            assumptions = {"integer": True}
        else:  # vectors and matrices read element-wise, functions, undeclared names
            assumptions = {"real": True}
        return sp.Symbol(name, **assumptions)

    def matrix(self, name: str):
        shape = self._declared_shape(name)
        if shape:
            rows = _dimension(shape[0])
            cols = _dimension(shape[1]) if len(shape) == 2 else sp.Integer(1)
        else:
            rows = self.auto_dim(f"{AUTO_DIM_PREFIX}{name}_rows")
            cols = self.auto_dim(f"{AUTO_DIM_PREFIX}{name}_cols")
        if name in self.vectors:
            cols = sp.Integer(1)
        return sp.MatrixSymbol(name, rows, cols)

    def _refuse_condition(self, value):
        shown = f"{value.lhs} = {value.rhs}" if hasattr(value, "lhs") else value
        if hasattr(value, "as_sympy"):
            shown = value.as_sympy()
        self.fail(
            f"a product with a condition ({shown}): write \\mathbb{{1}}(...) for the indicator"
        )

    def _no_matrix_plus_function(self, matrix, number):
        """C max(...) + R(W): a function of a matrix is a number; what it is added to was read
        as a matrix because of a capital letter (C) that is more likely a constant."""
        if not isinstance(number, sp.Expr) or number.is_commutative is not False:
            return
        made_up = sorted(
            m.name
            for m in matrix.atoms(sp.MatrixSymbol)
            if m.name[:1].isupper() and declared(self.kinds, m.name) is None
        )
        hint = f"; declare {', '.join(made_up)} a scalar if it is one" if made_up else ""
        self.fail(f"{number} (a number) added to {matrix}, read as a matrix{hint}")

    def _declared_scalar(self, name) -> bool:
        spec = declared(self.kinds, name)
        return spec is not None and spec.is_scalar

    def auto_dim(self, name):
        name = self.dims.get(name, name)
        if name.isdigit():  # a made-up dimension identified with a fixed one (1 x 1)
            return sp.Integer(name)
        return sp.Symbol(name, integer=True, positive=True)

    def _declared_shape(self, name) -> tuple | None:
        """The dimensions declared for ``name`` (``vector[n]``, ``matrix[m,n]``), or None."""
        spec = declared(self.kinds, name)
        if spec is None or not spec.shape or None in spec.shape:
            return None
        return spec.shape


def _is_condition(value) -> bool:
    from symml.latex._relations import Equation, Relation

    return isinstance(value, (Equation, Relation, sp.core.relational.Relational))


def _has_entry(value) -> bool:
    return isinstance(value, sp.Expr) and bool(value.atoms(sp.Indexed))


def _no_tuple(parser, a, b) -> None:
    """A tuple (a, b) added to or multiplied with something has no meaning: refuse it by name
    (SymPy raises TypeError: can't multiply sequence)."""
    for v in (a, b):
        if isinstance(v, sp.Tuple):
            parser.fail(f"a tuple ({', '.join(map(str, v))}) used as a factor or a term")


def _dimension(size) -> sp.Symbol:
    # a declared size is a symbol even when it is a number (matrix[m,3]), as parsing always did
    return sp.Symbol(str(size), integer=True, positive=True)
