"""The common ML functions beyond the sigmoid family, as first-class SymPy functions.

The normal distribution (``normal_cdf`` = Phi, ``normal_pdf`` = phi, ``normal_logpdf``),
GELU (exact and its tanh approximation), SiLU/swish, Mish, softsign, hard-sigmoid,
hard-tanh, ELU, SELU and the log-softmax of an indexed vector. Each differentiates in
textbook form (``GELU'(x) = Phi(x) + x phi(x)``), rewrites to elementary functions and erf
(:func:`symml.functions.to_elementary`) and evaluates through mpmath. The stable NumPy and
mpmath printers are in :mod:`symml.functions._printing`.

Conventions:
    * ``hard_sigmoid(x) = clip(x/6 + 1/2, 0, 1)`` (PyTorch's ``Hardsigmoid``); at a kink the
      derivative is 0, as for ReLU.
    * ``elu(x)`` means ``alpha = 1``; ``selu`` uses the constants of Klambauer et al. (2017).
    * ``log_softmax(z, i, K) = z[i] - logsumexp(z, K)`` with ``z`` an IndexedBase, 1..K.

Examples:
    >>> from sympy import Symbol, diff
    >>> x = Symbol("x", real=True)
    >>> diff(gelu(x), x)
    x*normal_pdf(x) + normal_cdf(x)
    >>> diff(silu(x), x)
    (x*(1 - sigmoid(x)) + 1)*sigmoid(x)
"""

from __future__ import annotations

import sympy as sp
from sympy.core.function import ArgumentIndexError

from symml.functions._ml import (
    MLFunction,
    entry_of_vector,
    fresh_index,
    logsumexp,
    sigmoid,
    softmax,
    softplus,
)

__all__ = [
    "GELU_TANH_A",
    "SELU_ALPHA",
    "SELU_SCALE",
    "elu",
    "gelu",
    "gelu_tanh",
    "hard_sigmoid",
    "hard_tanh",
    "log_softmax",
    "mish",
    "normal_cdf",
    "normal_logpdf",
    "normal_pdf",
    "selu",
    "silu",
    "softsign",
]

#: The cubic coefficient of GELU's tanh approximation (Hendrycks and Gimpel, 2016).
GELU_TANH_A = sp.Rational(44715, 10**6)
#: SELU's constants (Klambauer et al., 2017), to 35 digits.
SELU_ALPHA = sp.Float("1.6732632423543772848170429916717", 35)
SELU_SCALE = sp.Float("1.0507009873554804934193349852946", 35)


def _one_arg(fn: MLFunction, argindex: int) -> sp.Expr:
    if argindex != 1:
        raise ArgumentIndexError(fn, argindex)
    return fn.args[0]


class normal_cdf(MLFunction):
    """The standard normal CDF ``Phi(x) = erfc(-x / sqrt 2) / 2``; ``Phi' = phi``.

    Examples:
        >>> normal_cdf(0)
        1/2
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
        return normal_pdf(_one_arg(self, argindex))

    def _elementary(self):
        return (1 + sp.erf(self.args[0] / sp.sqrt(2))) / 2

    def _eval_is_positive(self):
        return True if self.args[0].is_real else None

    def _mpmath(self, ctx, x):
        return ctx.erfc(-x / ctx.sqrt(2)) / 2

    def _latex_name(self):
        return r"\Phi"


class normal_pdf(MLFunction):
    """The standard normal density ``phi(x) = exp(-x^2/2) / sqrt(2 pi)``; ``phi' = -x phi``."""

    nargs = 1

    def fdiff(self, argindex=1):
        x = _one_arg(self, argindex)
        return -x * normal_pdf(x)

    def _elementary(self):
        return sp.exp(-(self.args[0] ** 2) / 2) / sp.sqrt(2 * sp.pi)

    def _eval_is_positive(self):
        return True if self.args[0].is_real else None

    def _mpmath(self, ctx, x):
        return ctx.exp(-x * x / 2) / ctx.sqrt(2 * ctx.pi)

    def _latex_name(self):
        return r"\varphi"


class normal_logpdf(MLFunction):
    """``log N(x; mu, sigma^2) = -(x - mu)^2 / (2 sigma^2) - log sigma - log(2 pi) / 2``."""

    nargs = 3

    def fdiff(self, argindex=1):
        x, mu, s = self.args
        if argindex == 1:
            return -(x - mu) / s**2
        if argindex == 2:
            return (x - mu) / s**2
        if argindex == 3:
            return (x - mu) ** 2 / s**3 - 1 / s
        raise ArgumentIndexError(self, argindex)

    def _elementary(self):
        x, mu, s = self.args
        return -((x - mu) ** 2) / (2 * s**2) - sp.log(s) - sp.log(2 * sp.pi) / 2

    def _mpmath(self, ctx, x, mu, s):
        return -((x - mu) ** 2) / (2 * s * s) - ctx.log(s) - ctx.log(2 * ctx.pi) / 2

    def _latex(self, printer, exp=None):
        x, mu, s = (printer._print(a) for a in self.args)
        body = rf"\log \mathcal{{N}}\left({x}; {mu}, {s}^{{2}}\right)"
        return rf"\left({body}\right)^{{{exp}}}" if exp is not None else body


class gelu(MLFunction):
    """GELU, exactly: ``x Phi(x)``; ``GELU'(x) = Phi(x) + x phi(x)``."""

    nargs = 1

    @classmethod
    def eval(cls, x):
        return sp.S.Zero if x is sp.S.Zero else None

    def fdiff(self, argindex=1):
        x = _one_arg(self, argindex)
        return normal_cdf(x) + x * normal_pdf(x)

    def _elementary(self):
        x = self.args[0]
        return x * (1 + sp.erf(x / sp.sqrt(2))) / 2

    def _mpmath(self, ctx, x):
        return x * ctx.erfc(-x / ctx.sqrt(2)) / 2

    def _latex_name(self):
        return r"\operatorname{GELU}"


def gelu_u(x: sp.Expr) -> sp.Expr:
    return sp.sqrt(2 / sp.pi) * (x + GELU_TANH_A * x**3)


class gelu_tanh(MLFunction):
    """GELU's tanh approximation ``x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))``."""

    nargs = 1

    @classmethod
    def eval(cls, x):
        return sp.S.Zero if x is sp.S.Zero else None

    def fdiff(self, argindex=1):
        x = _one_arg(self, argindex)
        t = sp.tanh(gelu_u(x))
        du = sp.sqrt(2 / sp.pi) * (1 + 3 * GELU_TANH_A * x**2)
        return (1 + t) / 2 + x * (1 - t**2) * du / 2

    def _elementary(self):
        x = self.args[0]
        return x * (1 + sp.tanh(gelu_u(x))) / 2

    def _mpmath(self, ctx, x):
        u = ctx.sqrt(2 / ctx.pi) * (x + ctx.mpf(44715) / 10**6 * x**3)
        return x / (1 + ctx.exp(-2 * u))  # x (1 + tanh u) / 2 without cancellation

    def _latex_name(self):
        return r"\operatorname{GELU}_{\tanh}"


class silu(MLFunction):
    """SiLU (swish): ``x sigmoid(x)``; derivative ``sigmoid(x) (1 + x (1 - sigmoid(x)))``."""

    nargs = 1

    @classmethod
    def eval(cls, x):
        return sp.S.Zero if x is sp.S.Zero else None

    def fdiff(self, argindex=1):
        x = _one_arg(self, argindex)
        return sigmoid(x) * (1 + x * (1 - sigmoid(x)))

    def _elementary(self):
        x = self.args[0]
        return x / (1 + sp.exp(-x))

    def _mpmath(self, ctx, x):
        return x / (1 + ctx.exp(-x))

    def _latex_name(self):
        return r"\operatorname{SiLU}"


class mish(MLFunction):
    """Mish: ``x tanh(softplus(x))``."""

    nargs = 1

    @classmethod
    def eval(cls, x):
        return sp.S.Zero if x is sp.S.Zero else None

    def fdiff(self, argindex=1):
        x = _one_arg(self, argindex)
        t = sp.tanh(softplus(x))
        return t + x * sigmoid(x) * (1 - t**2)

    def _elementary(self):
        x = self.args[0]
        return x * sp.tanh(sp.log(1 + sp.exp(x)))

    def _mpmath(self, ctx, x):
        return x * ctx.tanh(ctx.log1p(ctx.exp(x)))

    def _latex_name(self):
        return r"\operatorname{Mish}"


class softsign(MLFunction):
    """``x / (1 + |x|)``; derivative ``1 / (1 + |x|)^2``."""

    nargs = 1

    def fdiff(self, argindex=1):
        x = _one_arg(self, argindex)
        return 1 / (1 + sp.Abs(x)) ** 2

    def _elementary(self):
        x = self.args[0]
        return x / (1 + sp.Abs(x))

    def _mpmath(self, ctx, x):
        return x / (1 + abs(x))

    def _latex_name(self):
        return r"\operatorname{softsign}"


def _inside(x: sp.Expr, lo: sp.Expr, hi: sp.Expr) -> sp.Expr:
    return sp.Heaviside(x - lo, 0) * sp.Heaviside(hi - x, 0)


class hard_sigmoid(MLFunction):
    """``clip(x/6 + 1/2, 0, 1)`` (PyTorch); derivative 1/6 on (-3, 3), else 0."""

    nargs = 1

    def fdiff(self, argindex=1):
        x = _one_arg(self, argindex)
        return _inside(x, -3, 3) / 6

    def _elementary(self):
        x = self.args[0]
        return sp.Min(1, sp.Max(0, x / 6 + sp.S.Half))

    def _mpmath(self, ctx, x):
        return min(ctx.mpf(1), max(ctx.mpf(0), x / 6 + ctx.mpf(1) / 2))

    def _latex_name(self):
        return r"\operatorname{hardsigmoid}"


class hard_tanh(MLFunction):
    """``clip(x, -1, 1)``; derivative 1 on (-1, 1), else 0."""

    nargs = 1

    def fdiff(self, argindex=1):
        x = _one_arg(self, argindex)
        return _inside(x, -1, 1)

    def _elementary(self):
        return sp.Min(1, sp.Max(-1, self.args[0]))

    def _mpmath(self, ctx, x):
        return min(ctx.mpf(1), max(ctx.mpf(-1), ctx.mpf(x)))

    def _latex_name(self):
        return r"\operatorname{hardtanh}"


class elu(MLFunction):
    """ELU: ``x`` for x > 0, ``alpha (e^x - 1)`` otherwise; ``elu(x)`` means alpha = 1."""

    nargs = (1, 2)

    @classmethod
    def eval(cls, x, alpha=None):
        if alpha is None:
            return cls(x, sp.S.One)
        if x.is_nonnegative:
            return x
        return None

    def fdiff(self, argindex=1):
        x, alpha = self.args
        h = sp.Heaviside(x, 0)
        if argindex == 1:
            return h + (1 - h) * alpha * sp.exp(x)
        if argindex == 2:
            return (1 - h) * (sp.exp(x) - 1)
        raise ArgumentIndexError(self, argindex)

    def _elementary(self):
        x, alpha = self.args
        h = sp.Heaviside(x, 0)
        return h * x + (1 - h) * alpha * (sp.exp(x) - 1)

    def _mpmath(self, ctx, x, alpha):
        return ctx.mpf(x) if x > 0 else alpha * ctx.expm1(x)

    def _latex_name(self):
        return r"\operatorname{ELU}"


class selu(MLFunction):
    """SELU: ``scale * elu(x, alpha)`` with Klambauer et al.'s constants."""

    nargs = 1

    def fdiff(self, argindex=1):
        x = _one_arg(self, argindex)
        h = sp.Heaviside(x, 0)
        return SELU_SCALE * (h + (1 - h) * SELU_ALPHA * sp.exp(x))

    def _elementary(self):
        x = self.args[0]
        h = sp.Heaviside(x, 0)
        return SELU_SCALE * (h * x + (1 - h) * SELU_ALPHA * (sp.exp(x) - 1))

    def _mpmath(self, ctx, x):
        scale, alpha = ctx.mpf(str(SELU_SCALE)), ctx.mpf(str(SELU_ALPHA))
        return scale * (ctx.mpf(x) if x > 0 else alpha * ctx.expm1(x))

    def _latex_name(self):
        return r"\operatorname{SELU}"


class log_softmax(MLFunction):
    """``log_softmax(z, i, K) = z[i] - logsumexp(z, K)``; derivative ``delta_ij - softmax_j``.

    Examples:
        >>> from sympy import IndexedBase, symbols, diff
        >>> z = IndexedBase("z")
        >>> i, j, K = symbols("i j K", integer=True, positive=True)
        >>> diff(log_softmax(z, i, K), z[j])
        KroneckerDelta(i, j) - softmax(z, j, K)
    """

    nargs = (2, 3)

    @classmethod
    def eval(cls, z, i, n=None):
        return entry_of_vector(cls, z, i, n)

    def _eval_derivative(self, s):
        z, i, n = self.args
        if isinstance(s, sp.Indexed) and s.base == z:
            return sp.KroneckerDelta(i, s.indices[0]) - softmax(z, s.indices[0], n)
        if s in (i.free_symbols | n.free_symbols):
            raise ValueError(f"cannot differentiate {self} with respect to its index {s}")
        return sp.S.Zero

    def fdiff(self, argindex=1):
        raise ArgumentIndexError(self, argindex)

    def _eval_is_real(self):
        return True

    def _elementary(self):
        z, i, n = self.args
        j = fresh_index(self)
        return z[i] - sp.log(sp.Sum(sp.exp(z[j]), (j, 1, n)))

    def stable_form(self) -> sp.Expr:
        """``z[i] - logsumexp(z, K)``, which the stable printers evaluate without overflow."""
        z, i, n = self.args
        return z[i] - logsumexp(z, n)

    def _eval_evalf(self, prec):
        return None

    def _latex(self, printer, exp=None):
        z, i, _ = self.args
        zs, i_ = printer._print(z), printer._print(i)
        body = rf"\log \operatorname{{softmax}}\left({zs}\right)_{{{i_}}}"
        return rf"\left({body}\right)^{{{exp}}}" if exp is not None else body
