"""Stable printers for symml's functions: NumPy code that neither overflows nor cancels,
and mpmath code for high-precision references.

The NumPy printer emits code that names ``numpy``; the caller's ``lambdify`` supplies it,
so importing this module imports no NumPy.

Examples:
    >>> from sympy import Symbol
    >>> from symml.functions._ml import sigmoid
    >>> StableMpmathPrinter.for_lambdify().doprint(sigmoid(Symbol("x")))
    '(1/(1 + exp(-(x))))'
"""

from __future__ import annotations

from sympy.printing.numpy import NumPyPrinter
from sympy.printing.pycode import MpmathPrinter

from symml.functions._activations import SELU_ALPHA, SELU_SCALE, gelu_u
from symml.functions._ml import fresh_index, sigmoid

__all__ = ["LAMBDIFY_SETTINGS", "StableMpmathPrinter", "StableNumPyPrinter"]

#: The settings ``lambdify`` gives the printers it builds itself.
LAMBDIFY_SETTINGS = {
    "fully_qualified_modules": False,
    "inline": True,
    "allow_unknown_functions": True,
}


def _stable_lse_code(printer, terms: list[str]) -> str:
    """Code for log(sum(exp(t))) over code strings, shifted by the (finite) maximum."""
    exp_, log_, where, finite, maximum = (
        printer._np(n) for n in ("exp", "log", "where", "isfinite", "maximum")
    )
    names = [f"_a{n}" for n in range(len(terms))]
    peak = names[0]
    for name in names[1:]:
        peak = f"{maximum}({peak}, {name})"
    shifted = " + ".join(f"{exp_}({name} - _m)" for name in names)
    return (
        f"(lambda {', '.join(names)}: (lambda _m: _m + {log_}({shifted}))"
        f"({where}({finite}({peak}), {peak}, 0)))({', '.join(terms)})"
    )


class StableNumPyPrinter(NumPyPrinter):
    """NumPy printer whose code for symml functions neither overflows nor cancels.

    Use with ``sympy.lambdify(args, expr, modules="numpy", printer=StableNumPyPrinter)``.
    Sigmoid is ``where(x >= 0, 1/(1+e), e/(1+e))`` with ``e = exp(-|x|)``; softplus and
    log-sigmoid use ``logaddexp``; logsumexp and softmax shift by the maximum. Indexed
    sums run over ``range(1, K+1)`` exactly as SymPy prints ``Sum(z[j], (j, 1, K))``.

    Examples:
        >>> from sympy import Symbol
        >>> from symml.functions._ml import softplus
        >>> StableNumPyPrinter().doprint(softplus(Symbol("x")))
        'numpy.logaddexp(0, x)'
    """

    @classmethod
    def for_lambdify(cls) -> StableNumPyPrinter:
        """An instance with the settings ``lambdify`` gives the printers it builds itself."""
        return cls(dict(LAMBDIFY_SETTINGS))

    def _np(self, name: str) -> str:
        return self._module_format(f"{self._module}.{name}")

    def _print_sigmoid(self, expr):
        where, exp_, abs_ = self._np("where"), self._np("exp"), self._np("abs")
        return (
            f"(lambda _t: (lambda _e: {where}(_t >= 0, 1/(1 + _e), _e/(1 + _e)))"
            f"({exp_}(-{abs_}(_t))))({self._print(expr.args[0])})"
        )

    def _print_softplus(self, expr):
        return f"{self._np('logaddexp')}(0, {self._print(expr.args[0])})"

    def _print_log_sigmoid(self, expr):
        return f"(-{self._np('logaddexp')}(0, -({self._print(expr.args[0])})))"

    def _print_relu(self, expr):
        return f"{self._np('maximum')}({self._print(expr.args[0])}, 0)"

    def _print_leaky_relu(self, expr):
        x, alpha = (self._print(a) for a in expr.args)
        return (
            f"(lambda _t: {self._np('maximum')}(_t, 0) + ({alpha})*{self._np('minimum')}(_t, 0))"
            f"({x})"
        )

    def _indexed_code(self, z, n, j) -> str:
        """A list display of z[1..n] and a stable shift: (values, max-reduce, exp, sum)."""
        items = f"[{self._print(z[j])} for {self._print(j)} in range(1, {self._print(n)}+1)]"
        return items

    def _print_logsumexp(self, expr):
        if not expr.is_indexed:
            return _stable_lse_code(self, [self._print(a) for a in expr.args])
        z, n = expr.args
        items = self._indexed_code(z, n, fresh_index(expr))
        exp_, log_, maximum = self._np("exp"), self._np("log"), self._np("maximum")
        sum_ = "builtins.sum"  # lambdify always binds builtins; a bare sum may be numpy's
        return (
            f"(lambda _v: (lambda _m: _m + {log_}({sum_}({exp_}(_u - _m) for _u in _v)))"
            f"({maximum}.reduce(_v)))({items})"
        )

    def _print_softmax(self, expr):
        z, i, n = expr.args
        items = self._indexed_code(z, n, fresh_index(expr))
        exp_, maximum = self._np("exp"), self._np("maximum")
        sum_ = "builtins.sum"  # lambdify always binds builtins; a bare sum may be numpy's
        return (
            f"(lambda _v, _zi: (lambda _m: {exp_}(_zi - _m) / {sum_}({exp_}(_u - _m)"
            f" for _u in _v))({maximum}.reduce(_v)))({items}, {self._print(z[i])})"
        )

    # ---- erf and the functions built on it (NumPy has no erf: math's, element by element)

    def _erf_code(self, fn: str, arg: str) -> str:
        return (
            f"{self._np('asarray')}({self._np('frompyfunc')}({self._module_format('math.' + fn)},"
            f" 1, 1)({arg}), dtype=float)"
        )

    def _print_erf(self, expr):
        return self._erf_code("erf", self._print(expr.args[0]))

    def _print_erfc(self, expr):
        return self._erf_code("erfc", self._print(expr.args[0]))

    def _print_normal_cdf(self, expr):
        # erfc(-x/sqrt 2)/2 keeps full relative precision in the lower tail
        return f"(0.5*{self._erf_code('erfc', f'-({self._print(expr.args[0])})/{2**0.5!r}')})"

    def _print_normal_pdf(self, expr):
        x = self._print(expr.args[0])
        return f"({self._np('exp')}(-({x})**2/2)/{(2 * 3.141592653589793) ** 0.5!r})"

    def _print_gelu(self, expr):
        x = self._print(expr.args[0])
        return f"(lambda _t: _t*0.5*{self._erf_code('erfc', f'-_t/{2**0.5!r}')})({x})"

    def _print_gelu_tanh(self, expr):
        # x (1 + tanh u)/2 = x sigmoid(2u): no cancellation where tanh u -> -1
        x = expr.args[0]
        return self._print(x * sigmoid(2 * gelu_u(x)))

    def _print_silu(self, expr):
        return self._print(expr.args[0] * sigmoid(expr.args[0]))

    def _print_mish(self, expr):
        x = self._print(expr.args[0])
        return f"(lambda _t: _t*{self._np('tanh')}({self._np('logaddexp')}(0, _t)))({x})"

    def _print_softsign(self, expr):
        x = self._print(expr.args[0])
        return f"(lambda _t: _t/(1 + {self._np('abs')}(_t)))({x})"

    def _print_hard_sigmoid(self, expr):
        return f"{self._np('clip')}(({self._print(expr.args[0])})/6 + 0.5, 0, 1)"

    def _print_hard_tanh(self, expr):
        return f"{self._np('clip')}({self._print(expr.args[0])}, -1, 1)"

    def _elu_code(self, x: str, alpha: str) -> str:
        where, expm1, minimum = self._np("where"), self._np("expm1"), self._np("minimum")
        return f"(lambda _t: {where}(_t > 0, _t, ({alpha})*{expm1}({minimum}(_t, 0))))({x})"

    def _print_elu(self, expr):
        return self._elu_code(*(self._print(a) for a in expr.args))

    def _print_selu(self, expr):
        code = self._elu_code(self._print(expr.args[0]), repr(float(SELU_ALPHA)))
        return f"({float(SELU_SCALE)!r}*{code})"

    def _print_normal_logpdf(self, expr):
        x, mu, s = (self._print(a) for a in expr.args)
        log_ = self._np("log")
        return f"(-(({x}) - ({mu}))**2/(2*({s})**2) - {log_}({s}) - {0.5 * 1.8378770664093453!r})"

    def _print_log_softmax(self, expr):
        return self._print(expr.stable_form())

    def _print_row_softmax(self, expr):
        exp_, asarray = self._np("exp"), self._np("asarray")
        return (
            f"(lambda _a: (lambda _e: _e / _e.sum(axis=-1, keepdims=True))"
            f"({exp_}(_a - _a.max(axis=-1, keepdims=True))))"
            f"({asarray}({self._print(expr.arg)}, dtype=float))"
        )


class StableMpmathPrinter(MpmathPrinter):
    """mpmath printer for high-precision references: log1p where log(1 + .) would cancel.

    Use an instance with lambdify's settings (a class would print ``mpmath.exp``, a name
    that lambdify's mpmath namespace does not define):
    ``sympy.lambdify(args, expr, modules="mpmath", printer=StableMpmathPrinter.for_lambdify())``.
    """

    @classmethod
    def for_lambdify(cls) -> StableMpmathPrinter:
        """An instance with the settings ``lambdify`` gives the printers it builds itself."""
        return cls(dict(LAMBDIFY_SETTINGS))

    def _mp(self, name: str) -> str:
        return self._module_format(f"mpmath.{name}")

    def _print_sigmoid(self, expr):
        return f"(1/(1 + {self._mp('exp')}(-({self._print(expr.args[0])}))))"

    def _print_softplus(self, expr):
        return f"{self._mp('log1p')}({self._mp('exp')}({self._print(expr.args[0])}))"

    def _print_log_sigmoid(self, expr):
        return f"(-{self._mp('log1p')}({self._mp('exp')}(-({self._print(expr.args[0])}))))"

    def _print_relu(self, expr):
        return self._print(expr._elementary())

    def _print_leaky_relu(self, expr):
        return self._print(expr._elementary())

    def _print_logsumexp(self, expr):
        return self._print(expr._elementary())

    def _print_softmax(self, expr):
        return self._print(expr._elementary())

    def _print_MLFunction(self, expr):
        # the newer functions (GELU, ELU, ...) through their elementary form and erf
        if hasattr(expr, "stable_form"):
            return self._print(expr.stable_form())
        return self._print(expr._elementary())

    def _print_normal_cdf(self, expr):
        return f"({self._mp('erfc')}(-({self._print(expr.args[0])})/{self._mp('sqrt')}(2))/2)"

    def _print_gelu(self, expr):
        x = self._print(expr.args[0])
        return f"(({x})*{self._mp('erfc')}(-({x})/{self._mp('sqrt')}(2))/2)"
