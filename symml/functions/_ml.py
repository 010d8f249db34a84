"""ML functions as first-class SymPy functions.

Each class differentiates in terms of itself where that is the textbook form
(``sigmoid' = sigmoid (1 - sigmoid)``, ``softplus' = sigmoid``), rewrites to elementary
functions (:func:`to_elementary`, used for the JSON ``"sympy"`` string that
``sympy.parse_expr`` reads back), prints as LaTeX (``\\sigma\\left(x\\right)``) and
evaluates to any precision through mpmath without cancellation. Their stable NumPy and
mpmath printers live in :mod:`symml.functions._printing`.

Conventions:
    * ``relu'(x) = Heaviside(x, 0)``: the derivative at 0 is 0, as in document 001
      ("1 if x > 0, 0 if x <= 0") and in ``dY * (X > 0)``. ``leaky_relu'(0) = alpha``
      for the same reason (the left slope).
    * ``leaky_relu(x)`` with one argument means ``alpha = 1/100`` (PyTorch's default);
      ``leaky_relu(x, alpha) = Max(0, x) + alpha*Min(0, x)``, which equals
      ``max(alpha x, x)`` for ``alpha <= 1`` and is defined for every alpha.
    * ``softmax(z, i, K) = exp(z[i]) / Sum(exp(z[j]), (j, 1, K))`` with ``z`` an
      ``IndexedBase`` and the classes numbered 1..K (``K`` defaults to the symbol ``K``).
    * ``logsumexp`` has two forms: ``logsumexp(z, K)`` with ``z`` an ``IndexedBase`` is
      ``log(Sum(exp(z[j]), (j, 1, K)))``; with any other first argument,
      ``logsumexp(a, b, ...)`` is ``log(exp(a) + exp(b) + ...)`` over its arguments.
    * ``row_softmax(M)`` is the row-wise softmax of a matrix (attention), a ``MatrixExpr``
      with the shape of ``M``. It is representable, printable and evaluable through
      :class:`StableNumPyPrinter`; it is not differentiated.

Importing this module imports SymPy only; NumPy is never imported here.

Examples:
    >>> from sympy import Symbol, diff, Rational
    >>> from symml.functions._ml import sigmoid, softplus, to_elementary
    >>> x = Symbol("x", real=True)
    >>> diff(sigmoid(x), x)
    (1 - sigmoid(x))*sigmoid(x)
    >>> diff(softplus(x), x)
    sigmoid(x)
    >>> sigmoid(0)
    1/2
    >>> to_elementary(sigmoid(x))
    1/(1 + exp(-x))
"""

from __future__ import annotations

import sympy as sp
from sympy.core.function import ArgumentIndexError
from sympy.matrices.expressions import MatrixExpr

__all__ = [
    "MLFunction",
    "sigmoid",
    "softplus",
    "relu",
    "leaky_relu",
    "log_sigmoid",
    "logsumexp",
    "softmax",
    "row_softmax",
    "to_elementary",
]

#: Extra binary digits used by the mpmath evaluations, so the final rounding dominates.
_GUARD_BITS = 30


def fresh_index(avoid: sp.Basic, *names: str) -> sp.Symbol:
    """An integer summation index whose name is not among ``avoid``'s free symbols."""
    taken = {str(s) for s in avoid.free_symbols}
    for name in names or ("j", "k", "l", "m", "n", "p", "q", "r"):
        if name not in taken:
            return sp.Symbol(name, integer=True)
    n = 1
    while f"j{n}" in taken:
        n += 1
    return sp.Symbol(f"j{n}", integer=True)


class MLFunction(sp.Function):
    """Base class: the protocol shared by symml's scalar ML functions.

    Subclasses define ``_elementary()`` (an equal expression in exp/log/Max/Min/
    Heaviside/Piecewise) and, for mpmath evaluation, ``_mpmath(ctx, *args)``.
    """

    def _elementary(self) -> sp.Expr:
        raise NotImplementedError

    def _eval_rewrite_as_exp(self, *args, **hints):
        return self.func(*args)._elementary()

    def _eval_is_real(self):
        if all(a.is_real for a in self.args if not isinstance(a, sp.IndexedBase)):
            return True
        return None

    def _eval_evalf(self, prec):
        import mpmath

        vals = []
        with mpmath.workprec(prec + _GUARD_BITS):
            for a in self.args:
                v = a.evalf(sp.core.evalf.prec_to_dps(prec + _GUARD_BITS))
                if not v.is_number or not v.is_real or v.has(sp.zoo, sp.nan):
                    return None
                vals.append(v._to_mpmath(prec + _GUARD_BITS))
            result = self._mpmath(mpmath.mp, *vals)
        return sp.Expr._from_mpmath(result, prec)

    def _mpmath(self, ctx, *args):
        raise NotImplementedError

    def _latex_name(self) -> str:
        raise NotImplementedError

    def _latex(self, printer, exp=None):
        name = self._latex_name()
        if exp is not None:
            name = f"{name}^{{{exp}}}"
        args = ", ".join(printer._print(a) for a in self.args)
        return rf"{name}\left({args}\right)"


class sigmoid(MLFunction):
    """The logistic sigmoid ``1 / (1 + exp(-x))``.

    Examples:
        >>> from sympy import Symbol, latex, oo
        >>> x = Symbol("x")
        >>> latex(sigmoid(x))
        '\\\\sigma\\\\left(x\\\\right)'
        >>> sigmoid(oo), sigmoid(-oo)
        (1, 0)
    """

    nargs = 1

    @classmethod
    def eval(cls, x):
        if x is sp.S.Zero:
            return sp.S.Half
        if x is sp.S.Infinity:
            return sp.S.One
        if x is sp.S.NegativeInfinity:
            return sp.S.Zero
        return None

    def fdiff(self, argindex=1):
        if argindex != 1:
            raise ArgumentIndexError(self, argindex)
        return self * (1 - self)

    def _elementary(self):
        return 1 / (1 + sp.exp(-self.args[0]))

    def _eval_rewrite_as_tanh(self, x, **hints):
        return (1 + sp.tanh(x / 2)) / 2

    def _eval_is_positive(self):
        return True if self.args[0].is_real else None

    def _mpmath(self, ctx, x):
        return 1 / (1 + ctx.exp(-x))

    def _latex_name(self):
        return r"\sigma"


class softplus(MLFunction):
    """``log(1 + exp(x))``, a smooth ReLU; its derivative is the sigmoid.

    Examples:
        >>> from sympy import Symbol, log
        >>> softplus(0) == log(2)
        True
    """

    nargs = 1

    @classmethod
    def eval(cls, x):
        if x is sp.S.Zero:
            return sp.log(2)
        if x is sp.S.Infinity:
            return sp.S.Infinity
        if x is sp.S.NegativeInfinity:
            return sp.S.Zero
        return None

    def fdiff(self, argindex=1):
        if argindex != 1:
            raise ArgumentIndexError(self, argindex)
        return sigmoid(self.args[0])

    def _elementary(self):
        return sp.log(1 + sp.exp(self.args[0]))

    def _eval_is_positive(self):
        return True if self.args[0].is_real else None

    def _mpmath(self, ctx, x):
        # log1p(exp(x)) keeps full relative precision for very negative x.
        return ctx.log1p(ctx.exp(x))

    def _latex_name(self):
        return r"\operatorname{softplus}"


class log_sigmoid(MLFunction):
    """``log(sigmoid(x)) = -softplus(-x)``; its derivative is ``sigmoid(-x) = 1 - sigmoid(x)``."""

    nargs = 1

    @classmethod
    def eval(cls, x):
        if x is sp.S.Zero:
            return -sp.log(2)
        if x is sp.S.Infinity:
            return sp.S.Zero
        if x is sp.S.NegativeInfinity:
            return sp.S.NegativeInfinity
        return None

    def fdiff(self, argindex=1):
        if argindex != 1:
            raise ArgumentIndexError(self, argindex)
        return sigmoid(-self.args[0])

    def _elementary(self):
        return -sp.log(1 + sp.exp(-self.args[0]))

    def _eval_is_negative(self):
        return True if self.args[0].is_real else None

    def _mpmath(self, ctx, x):
        return -ctx.log1p(ctx.exp(-x))

    def _latex_name(self):
        return r"\log\sigma"


class relu(MLFunction):
    """``max(0, x)``. Derivative ``Heaviside(x, 0)``: 0 at x = 0 (document 001's convention).

    Examples:
        >>> from sympy import Symbol, diff
        >>> x = Symbol("x")
        >>> relu(3), relu(-2), relu(Symbol("p", positive=True))
        (3, 0, p)
        >>> diff(relu(x), x)
        Heaviside(x, 0)
    """

    nargs = 1

    @classmethod
    def eval(cls, x):
        if x.is_nonnegative:
            return x
        if x.is_nonpositive:
            return sp.S.Zero
        return None

    def fdiff(self, argindex=1):
        if argindex != 1:
            raise ArgumentIndexError(self, argindex)
        return sp.Heaviside(self.args[0], 0)

    def _elementary(self):
        return sp.Max(0, self.args[0])

    def _eval_rewrite_as_Max(self, x, **hints):
        return sp.Max(0, x)

    def _eval_rewrite_as_Piecewise(self, x, **hints):
        return sp.Piecewise((x, x > 0), (0, True))

    def _eval_rewrite_as_exp(self, x, **hints):
        return sp.Max(0, x)

    def _eval_is_nonnegative(self):
        return True if self.args[0].is_real else None

    def _mpmath(self, ctx, x):
        return ctx.mpf(x) if x > 0 else ctx.mpf(0)

    def _latex_name(self):
        return r"\operatorname{ReLU}"


class leaky_relu(MLFunction):
    """``Max(0, x) + alpha*Min(0, x)`` (= ``max(alpha x, x)`` for alpha <= 1).

    ``leaky_relu(x)`` means ``alpha = 1/100``. Derivative in x:
    ``alpha + (1 - alpha) Heaviside(x, 0)`` (alpha at 0); in alpha: ``Min(0, x)``.

    Examples:
        >>> from sympy import Symbol, Rational
        >>> leaky_relu(Symbol("x")).args[1]
        1/100
        >>> leaky_relu(-2, Rational(1, 10))
        -1/5
    """

    nargs = (1, 2)

    @classmethod
    def eval(cls, x, alpha=None):
        if alpha is None:
            return cls(x, sp.Rational(1, 100))
        if x.is_nonnegative:
            return x
        if x.is_nonpositive:
            return alpha * x
        return None

    def fdiff(self, argindex=1):
        x, alpha = self.args
        if argindex == 1:
            return alpha + (1 - alpha) * sp.Heaviside(x, 0)
        if argindex == 2:
            return sp.Min(0, x)
        raise ArgumentIndexError(self, argindex)

    def _elementary(self):
        x, alpha = self.args
        return sp.Max(0, x) + alpha * sp.Min(0, x)

    def _eval_rewrite_as_Piecewise(self, x, alpha, **hints):
        return sp.Piecewise((x, x > 0), (alpha * x, True))

    def _mpmath(self, ctx, x, alpha):
        return ctx.mpf(x) if x > 0 else alpha * x

    def _latex_name(self):
        return r"\operatorname{LeakyReLU}"


class logsumexp(MLFunction):
    """``log(sum(exp(...)))`` over an indexed vector or over explicit arguments.

    ``logsumexp(z, K)`` with ``z`` an IndexedBase is ``log(Sum(exp(z[j]), (j, 1, K)))``
    and its derivative in ``z[k]`` is ``softmax(z, k, K)``. ``logsumexp(a, b, ...)``
    is ``log(exp(a) + exp(b) + ...)``, with partial derivatives ``exp(a - logsumexp(...))``.

    Examples:
        >>> from sympy import IndexedBase, Symbol, diff
        >>> z, k = IndexedBase("z"), Symbol("k", integer=True)
        >>> diff(logsumexp(z, 3), z[k])
        softmax(z, k, 3)
    """

    @classmethod
    def eval(cls, *args):
        if not args:
            raise TypeError("logsumexp needs at least one argument")
        if isinstance(args[0], sp.IndexedBase):
            if len(args) != 2:
                raise TypeError("logsumexp(z, K): an IndexedBase z and the number of terms K")
            return None
        if len(args) == 1:
            return args[0]
        return None

    @property
    def is_indexed(self) -> bool:
        return isinstance(self.args[0], sp.IndexedBase)

    def _eval_derivative(self, s):
        if self.is_indexed:
            z, n = self.args
            if isinstance(s, sp.Indexed) and s.base == z:
                return softmax(z, s.indices[0], n)
            if s in n.free_symbols:
                raise ValueError(f"cannot differentiate {self} with respect to its bound {s}")
            return sp.S.Zero
        return super()._eval_derivative(s)

    def fdiff(self, argindex=1):
        if self.is_indexed or not 1 <= argindex <= len(self.args):
            raise ArgumentIndexError(self, argindex)
        return sp.exp(self.args[argindex - 1] - self)

    def _elementary(self):
        if self.is_indexed:
            z, n = self.args
            j = fresh_index(self)
            return sp.log(sp.Sum(sp.exp(z[j]), (j, 1, n)))
        return sp.log(sp.Add(*[sp.exp(a) for a in self.args]))

    def _eval_evalf(self, prec):
        if self.is_indexed:
            return None
        return super()._eval_evalf(prec)

    def _mpmath(self, ctx, *args):
        m = max(args)
        if ctx.isinf(m):
            return m
        return m + ctx.log(ctx.fsum(ctx.exp(a - m) for a in args))

    def _latex(self, printer, exp=None):
        if self.is_indexed:
            z, n = self.args
            j = fresh_index(self)
            j_, n_, zj = (printer._print(e) for e in (j, n, z[j]))
            body = rf"\log \sum_{{{j_}=1}}^{{{n_}}} e^{{{zj}}}"
            return rf"\left({body}\right)^{{{exp}}}" if exp is not None else body
        return super()._latex(printer, exp)

    def _latex_name(self):
        return r"\operatorname{logsumexp}"


class softmax(MLFunction):
    """``softmax(z, i, K) = exp(z[i]) / Sum(exp(z[j]), (j, 1, K))``, ``z`` an IndexedBase.

    Its derivative in ``z[j]`` is ``softmax(z, i, K)*(KroneckerDelta(i, j) -
    softmax(z, j, K))`` (indices are assumed to lie in 1..K).

    Examples:
        >>> from sympy import IndexedBase, symbols, diff, latex
        >>> z = IndexedBase("z")
        >>> i, j, K = symbols("i j K", integer=True, positive=True)
        >>> diff(softmax(z, i, K), z[j])
        (KroneckerDelta(i, j) - softmax(z, j, K))*softmax(z, i, K)
        >>> latex(softmax(z, i, K))
        '\\\\operatorname{softmax}\\\\left(z\\\\right)_{i}'
    """

    nargs = (2, 3)

    @classmethod
    def eval(cls, z, i, n=None):
        return entry_of_vector(cls, z, i, n)

    def _eval_derivative(self, s):
        z, i, n = self.args
        if isinstance(s, sp.Indexed) and s.base == z:
            j = s.indices[0]
            return self * (sp.KroneckerDelta(i, j) - softmax(z, j, n))
        if s in (i.free_symbols | n.free_symbols):
            raise ValueError(f"cannot differentiate {self} with respect to its index {s}")
        return sp.S.Zero

    def fdiff(self, argindex=1):
        raise ArgumentIndexError(self, argindex)

    def _eval_is_real(self):
        return True

    def _eval_is_positive(self):
        return True

    def _elementary(self):
        z, i, n = self.args
        j = fresh_index(self)
        return sp.exp(z[i]) / sp.Sum(sp.exp(z[j]), (j, 1, n))

    def _eval_evalf(self, prec):
        return None

    def _latex(self, printer, exp=None):
        z, i, _ = self.args
        body = rf"\operatorname{{softmax}}\left({printer._print(z)}\right)_{{{printer._print(i)}}}"
        return rf"{body}^{{{exp}}}" if exp is not None else body


def entry_of_vector(cls: type, z: object, i: object, n: object = None) -> object:
    """``eval`` of an entry ``f(z, i, K)`` of a function of a whole vector (softmax,
    log-softmax): a Symbol z becomes an IndexedBase, a missing K the default length."""
    if isinstance(z, sp.Symbol):
        return cls(sp.IndexedBase(z), i, n if n is not None else default_k())
    if not isinstance(z, sp.IndexedBase):
        raise TypeError(f"{cls.__name__}(z, i, K) needs an IndexedBase z, got {z!r}")
    if n is None:
        return cls(z, i, default_k())
    return None


def default_k() -> sp.Symbol:
    return sp.Symbol("K", integer=True, positive=True)


class row_softmax(MatrixExpr):
    """Row-wise softmax of a matrix, as in attention ``softmax(Q K^T / sqrt(d)) V``.

    Examples:
        >>> from sympy import MatrixSymbol, Symbol, sqrt, latex
        >>> n, d = Symbol("n", integer=True), Symbol("d", positive=True)
        >>> Q, K = MatrixSymbol("Q", n, n), MatrixSymbol("K", n, n)
        >>> row_softmax(Q * K.T / sqrt(d)).shape == (n, n)
        True
    """

    def __new__(cls, arg):
        arg = sp.sympify(arg)
        if not getattr(arg, "is_Matrix", False):
            raise TypeError(f"row_softmax needs a matrix expression, got {arg!r}")
        return sp.Basic.__new__(cls, arg)

    @property
    def arg(self) -> sp.Basic:
        return self.args[0]

    @property
    def shape(self) -> tuple:
        return self.arg.shape

    def _entry(self, i, j, **kwargs):
        k = fresh_index(sp.Tuple(self.arg, sp.sympify(i), sp.sympify(j)), "k", "l", "m")
        m = self.arg
        return sp.exp(m[i, j]) / sp.Sum(sp.exp(m[i, k]), (k, 0, m.shape[1] - 1))

    def _eval_transpose(self):
        return None

    def _elementary(self):
        """An explicit Matrix when the shape is a pair of integers, otherwise ``self``."""
        rows, cols = self.shape
        if not (sp.sympify(rows).is_Integer and sp.sympify(cols).is_Integer):
            return self
        m = self.arg.as_explicit()
        out = sp.zeros(rows, cols)
        for r in range(rows):
            denom = sp.Add(*[sp.exp(m[r, c]) for c in range(cols)])
            for c in range(cols):
                out[r, c] = sp.exp(m[r, c]) / denom
        return sp.ImmutableMatrix(out)

    def _latex(self, printer, exp=None):
        body = rf"\operatorname{{softmax}}\left({printer._print(self.arg)}\right)"
        return rf"{body}^{{{exp}}}" if exp is not None else body

    def _sympystr(self, printer):
        return f"row_softmax({printer._print(self.arg)})"


def to_elementary(expr: sp.Basic) -> sp.Basic:
    """Rewrite every symml function in ``expr`` into exp/log/Max/Min/Heaviside/Sum.

    The result contains only SymPy built-ins, so ``str()`` of it is read back by
    ``sympy.parse_expr`` (given ``IndexedBase`` names in ``local_dict`` where the
    expression is indexed). A ``row_softmax`` of symbolic shape stays as it is.

    Examples:
        >>> from sympy import Symbol
        >>> x = Symbol("x")
        >>> to_elementary(softplus(relu(x)))
        log(exp(Max(0, x)) + 1)
    """
    expr = sp.sympify(expr)
    return expr.replace(
        lambda e: isinstance(e, (MLFunction, row_softmax)),
        lambda e: e._elementary(),
    )
