"""Step-by-step differentiation: a rule tree that computes its own result.

:func:`differentiate_steps` walks the expression and applies one textbook rule per node
(sum, constant multiple, power, product, quotient, chain, exp, log, trig, ...). Each
node's result is built from its children's results, never taken from ``sympy.diff``;
``sympy.diff`` is only the referee: the finished tree is compared with it (numerically
at seeded random points, symbolically when no point can be evaluated) and a mismatch
raises :class:`~symml.errors.DerivationError`.

The renderers turn a tree into an ``align*`` block (:func:`to_latex`), plain text
(:func:`to_text`) or a JSON-ready list of ``{"rule", "latex"}`` (:func:`to_list`).
Other modules add closing steps (a textbook form such as ``\\sigma(x)(1 - \\sigma(x))``)
with :func:`append_step`, which checks that the new form is equal to the result.

Conventions: ``d|g|/dx = sign(g) g'`` (real arguments), ``d relu(g)/dx = Heaviside(g, 0) g'``,
and ``d/dw_k sum_j f(w_j) = f'(w_k)``: a Kronecker delta against the summation index is
collapsed assuming ``k`` lies in the summation range.

Examples:
    >>> import sympy as sp
    >>> x = sp.Symbol("x")
    >>> tree = differentiate_steps(1 / (1 + sp.exp(-x)), x)
    >>> tree.result
    exp(-x)/(1 + exp(-x))**2
    >>> [step["rule"] for step in to_list(tree)][:2]
    ['quotient rule', 'let u be the numerator']
"""

from __future__ import annotations

import cmath
import random
from dataclasses import dataclass
from enum import Enum

import sympy as sp

from symml import functions as mlf
from symml.errors import DerivationError, SymmlTimeout

__all__ = [
    "Rule",
    "StepNode",
    "StepTree",
    "Line",
    "differentiate_steps",
    "append_step",
    "lines",
    "to_latex",
    "to_text",
    "to_list",
]


class Rule(str, Enum):
    """The rule applied at a node (its value is the name used in JSON)."""

    CONSTANT = "constant"
    VARIABLE = "variable"
    INDEXED = "indexed"
    SUM = "sum"
    CONSTANT_MULTIPLE = "constant multiple"
    POWER = "power"
    EXPONENTIAL = "exponential"
    GENERAL_POWER = "general power"
    PRODUCT = "product"
    QUOTIENT = "quotient"
    CHAIN = "chain"
    EXP = "exp"
    LOG = "log"
    TRIG = "trig"
    HYPERBOLIC = "hyperbolic"
    ABS = "abs"
    MAX = "max"
    MIN = "min"
    HEAVISIDE = "heaviside"
    SIGN = "sign"
    INTEGRAL = "integral"
    PIECEWISE = "piecewise"
    SUM_OVER_INDEX = "sum over index"
    SIGMOID = "sigmoid"
    SOFTPLUS = "softplus"
    LOG_SIGMOID = "log_sigmoid"
    RELU = "relu"
    LEAKY_RELU = "leaky_relu"
    LOGSUMEXP = "logsumexp"
    SOFTMAX = "softmax"
    FUNCTION = "function"
    SYMPY = "sympy"


@dataclass(frozen=True)
class StepNode:
    """One rule application: ``d expr / d var = result``, built from ``children``.

    ``parts`` names the pieces the rule used (``u``, ``v`` for the quotient rule, the
    constant ``c``, the ``outer`` derivative of a chain, the ``raw`` sum before a Kronecker
    delta was collapsed); ``outer_rule`` is the rule of the outer function of a chain.
    """

    rule: Rule
    expr: sp.Expr
    var: sp.Expr
    result: sp.Expr
    children: tuple[StepNode, ...] = ()
    parts: tuple[tuple[str, sp.Expr], ...] = ()
    outer_rule: Rule | None = None
    note: str = ""

    def part(self, name: str) -> sp.Expr:
        return dict(self.parts)[name]


@dataclass(frozen=True)
class StepTree:
    """A derivation: the rule tree, and closing steps added by :func:`append_step`.

    ``checked`` says how the result was compared with ``sympy.diff``.
    """

    root: StepNode
    var: sp.Expr
    extra: tuple[tuple[str, sp.Expr], ...] = ()
    checked: str = ""

    @property
    def expr(self) -> sp.Expr:
        return self.root.expr

    @property
    def result(self) -> sp.Expr:
        """The derivative as the rules produced it."""
        return self.root.result

    @property
    def final(self) -> sp.Expr:
        """The last form: the result, or the last appended step."""
        return self.extra[-1][1] if self.extra else self.root.result


# ------------------------------------------------------------------------- the rules

_FUNCTION_RULES: tuple[tuple[tuple[type, ...], Rule], ...] = (
    ((sp.exp,), Rule.EXP),
    ((sp.log,), Rule.LOG),
    ((sp.functions.elementary.trigonometric.TrigonometricFunction,), Rule.TRIG),
    ((sp.functions.elementary.trigonometric.InverseTrigonometricFunction,), Rule.TRIG),
    ((sp.functions.elementary.hyperbolic.HyperbolicFunction,), Rule.HYPERBOLIC),
    ((sp.Abs,), Rule.ABS),
    ((sp.Max,), Rule.MAX),
    ((sp.Min,), Rule.MIN),
    ((sp.Heaviside,), Rule.HEAVISIDE),
    ((sp.sign,), Rule.SIGN),
    ((mlf.sigmoid,), Rule.SIGMOID),
    ((mlf.softplus,), Rule.SOFTPLUS),
    ((mlf.log_sigmoid,), Rule.LOG_SIGMOID),
    ((mlf.relu,), Rule.RELU),
    ((mlf.leaky_relu,), Rule.LEAKY_RELU),
    ((mlf.logsumexp,), Rule.LOGSUMEXP),
    ((mlf.softmax,), Rule.SOFTMAX),
)


def _function_rule(expr: sp.Basic) -> Rule:
    for classes, rule in _FUNCTION_RULES:
        if isinstance(expr, classes):
            return rule
    return Rule.FUNCTION


def _depends(expr: sp.Basic, var: sp.Expr) -> bool:
    free = expr.free_symbols
    if isinstance(var, sp.Indexed):
        return var.base in free or var.base.label in free
    if var not in free:
        return False
    labels = {b.label for b in expr.atoms(sp.IndexedBase)}
    if var not in labels:
        return True
    # ``v`` is also the label of ``v[j]``: only a bare ``v`` counts (as for sympy.diff).
    bare = expr.replace(lambda e: isinstance(e, (sp.Indexed, sp.IndexedBase)), lambda e: sp.S.One)
    return var in bare.free_symbols


def _node(rule, expr, var, result, children=(), parts=(), outer_rule=None, note=""):
    return StepNode(rule, expr, var, result, tuple(children), tuple(parts), outer_rule, note)


def _diff(expr: sp.Expr, var: sp.Expr) -> StepNode:
    if getattr(expr, "is_Matrix", False):
        raise DerivationError(
            f"no step-by-step rule for the matrix expression {expr}; "
            "write it with indexed sums (w[j], x[i, j]) to get steps"
        )
    if not _depends(expr, var):
        return _node(Rule.CONSTANT, expr, var, sp.S.Zero)
    if expr == var:
        return _node(Rule.VARIABLE, expr, var, sp.S.One)
    if isinstance(expr, sp.Indexed) and isinstance(var, sp.Indexed):
        return _indexed(expr, var)
    if expr.is_Add:
        children = [_diff(t, var) for t in expr.args if _depends(t, var)]
        return _node(Rule.SUM, expr, var, sp.Add(*[c.result for c in children]), children)
    if expr.is_Mul:
        return _mul(expr, var)
    if expr.is_Pow:
        return _pow(expr, var)
    if isinstance(expr, sp.Sum):
        return _sum(expr, var)
    if isinstance(expr, sp.Piecewise):
        children = [_diff(e, var) for e, _ in expr.args]
        result = sp.Piecewise(
            *[(c.result, cond) for c, (_, cond) in zip(children, expr.args, strict=True)]
        )
        return _node(Rule.PIECEWISE, expr, var, result, children)
    if isinstance(expr, (mlf.softmax, mlf.logsumexp)) and (
        isinstance(expr, mlf.softmax) or expr.is_indexed
    ):
        return _node(_function_rule(expr), expr, var, expr._eval_derivative(var))
    if isinstance(expr, (sp.Function, sp.Max, sp.Min)):
        return _function(expr, var)
    if isinstance(expr, sp.Integral) and not any(
        _depends(sp.Tuple(*lim[1:]), var) for lim in expr.limits
    ):
        child = _diff(expr.function, var)
        result = sp.Integral(child.result, *expr.limits) if child.result != 0 else sp.S.Zero
        return _node(Rule.INTEGRAL, expr, var, result, [child])
    # An operator with no textbook rule here (Derivative, ...): say so in the rule.
    try:
        result = sp.diff(expr, var)
    except (AttributeError, TypeError, ValueError) as e:
        raise DerivationError(f"cannot differentiate {expr} with respect to {var}: {e}") from e
    return _node(Rule.SYMPY, expr, var, result, note=type(expr).__name__)


def _indexed(expr: sp.Indexed, var: sp.Indexed) -> StepNode:
    if len(expr.indices) != len(var.indices):
        raise DerivationError(f"{expr} and {var} have different numbers of indices")
    deltas = [sp.KroneckerDelta(a, b) for a, b in zip(expr.indices, var.indices, strict=True)]
    return _node(Rule.INDEXED, expr, var, sp.Mul(*deltas))


def _mul(expr: sp.Mul, var: sp.Expr) -> StepNode:
    const = [f for f in expr.args if not _depends(f, var)]
    dep = [f for f in expr.args if _depends(f, var)]
    if const:
        c, rest = sp.Mul(*const), sp.Mul(*dep)
        child = _diff(rest, var)
        return _node(Rule.CONSTANT_MULTIPLE, expr, var, c * child.result, [child], [("c", c)])
    den = [f.base**-f.exp for f in dep if f.is_Pow and f.exp.is_Number and f.exp < 0]
    if den:
        num = [f for f in dep if not (f.is_Pow and f.exp.is_Number and f.exp < 0)]
        return _quotient(expr, sp.Mul(*num), sp.Mul(*den), var)
    u, v = dep[0], sp.Mul(*dep[1:])
    du, dv = _diff(u, var), _diff(v, var)
    result = du.result * v + u * dv.result
    return _node(Rule.PRODUCT, expr, var, result, [du, dv], [("u", u), ("v", v)])


def _quotient(expr, u, v, var) -> StepNode:
    du, dv = _diff(u, var), _diff(v, var)
    result = (du.result * v - u * dv.result) / v**2
    return _node(Rule.QUOTIENT, expr, var, result, [du, dv], [("u", u), ("v", v)])


def _pow(expr: sp.Pow, var: sp.Expr) -> StepNode:
    base, e = expr.args
    if not _depends(e, var):
        if e == -1 and base.is_Add:
            return _quotient(expr, sp.S.One, base, var)
        outer = e * base ** (e - 1)
        if base == var:
            return _node(Rule.POWER, expr, var, outer, parts=[("n", e)])
        return _chain(expr, base, outer, Rule.POWER, var)
    if not _depends(base, var):
        outer = expr * sp.log(base)
        if e == var:
            return _node(Rule.EXPONENTIAL, expr, var, outer)
        return _chain(expr, e, outer, Rule.EXPONENTIAL, var)
    # f**g with both depending: d(f**g) = f**g (g' log f + g f'/f).
    df, dg = _diff(base, var), _diff(e, var)
    result = expr * (dg.result * sp.log(base) + e * df.result / base)
    return _node(Rule.GENERAL_POWER, expr, var, result, [df, dg], [("u", base), ("v", e)])


def _chain(expr, inner, outer, outer_rule, var) -> StepNode:
    child = _diff(inner, var)
    return _node(
        Rule.CHAIN,
        expr,
        var,
        outer * child.result,
        [child],
        [("outer", outer), ("inner", inner)],
        outer_rule,
    )


def _outer(expr, k: int) -> sp.Expr:
    """The partial derivative of the function ``expr`` in its ``k``-th argument."""
    if isinstance(expr, sp.sign):
        # sign is flat except at 0; SymPy writes its derivative as 2 DiracDelta (real argument).
        return 2 * sp.DiracDelta(expr.args[0])
    try:
        return expr.fdiff(k)
    except RecursionError as e:
        raise DerivationError(f"no derivative rule for {type(expr).__name__} in {expr}") from e


def _function(expr, var) -> StepNode:
    rule = _function_rule(expr)
    dep = [(k, a) for k, a in enumerate(expr.args, 1) if _depends(a, var)]
    for _, arg in dep:
        if not isinstance(arg, sp.Expr):
            raise DerivationError(
                f"cannot differentiate {expr} with respect to {var}: its argument {arg} "
                f"is a {type(arg).__name__}, not an expression"
            )
    if len(dep) == 1:
        k, arg = dep[0]
        outer = _outer(expr, k)
        if arg == var:
            return _node(rule, expr, var, outer, parts=[("outer", outer)])
        return _chain(expr, arg, outer, rule, var)
    children, outers = [], []
    for k, arg in dep:
        children.append(_diff(arg, var))
        outers.append(_outer(expr, k))
    result = sp.Add(*[o * c.result for o, c in zip(outers, children, strict=True)])
    parts = [(f"outer{k}", o) for (k, _), o in zip(dep, outers, strict=True)]
    return _node(rule, expr, var, result, children, parts)


def _sum(expr: sp.Sum, var: sp.Expr) -> StepNode:
    # The last limit is the outermost sum; the rest stay as the inner summand.
    (index, lo, hi) = expr.limits[-1]
    inner = sp.Sum(expr.function, *expr.limits[:-1]) if len(expr.limits) > 1 else expr.function
    if _depends(sp.Tuple(lo, hi), var):
        raise DerivationError(f"the bounds of {expr} depend on {var}")
    child = _diff(inner, var)
    raw = sp.Sum(child.result, (index, lo, hi)) if child.result != 0 else sp.S.Zero
    collapsed = _collapse_deltas(child.result, index, lo, hi)
    note = "" if collapsed == raw else f"the index lies in {index} = {lo}..{hi}"
    parts = [("raw", raw), ("index", index), ("lo", lo), ("hi", hi)]
    return _node(Rule.SUM_OVER_INDEX, expr, var, collapsed, [child], parts, note=note)


def _collapse_deltas(summand: sp.Expr, index, lo, hi) -> sp.Expr:
    """``Sum(summand, (index, lo, hi))`` with ``KroneckerDelta(index, k)`` terms summed out.

    The summand is expanded only when a delta against ``index`` is found in some term
    (otherwise the Sum is returned as the rules built it).
    """
    raw = sp.Sum(summand, (index, lo, hi))
    terms = sp.Add.make_args(summand)
    if not any(_delta_partner(t, index) for t in terms):
        terms = sp.Add.make_args(sp.expand(summand, deep=False, multinomial=False))
        if not any(_delta_partner(t, index) for t in terms):
            return raw
    kept, out = [], []
    for term in terms:
        partner = _delta_partner(term, index)
        if partner is None:
            kept.append(term)
        else:
            delta, k = partner
            out.append((term / delta).xreplace({index: k}))
    rest = sp.Sum(sp.Add(*kept), (index, lo, hi)) if kept else sp.S.Zero
    return sp.Add(*out) + rest


def _delta_partner(term: sp.Expr, index):
    for factor in sp.Mul.make_args(term):
        if isinstance(factor, sp.KroneckerDelta):
            a, b = factor.args
            if a == index and index not in b.free_symbols:
                return factor, b
            if b == index and index not in a.free_symbols:
                return factor, a
    return None


# ---------------------------------------------------------------------- the referee


def _realify(expr: sp.Basic) -> dict:
    """Real stand-ins for symbols without assumptions (so |x|' = sign(x) is comparable).

    A stand-in never coincides with another symbol of ``expr`` (a real ``v`` next to the
    label ``v`` of ``v[j]`` stays distinct): such collisions get a Dummy.
    """
    mapping: dict = {}
    taken = set(expr.free_symbols) | {b.label for b in expr.atoms(sp.IndexedBase)}

    def real(name: str) -> sp.Symbol:
        candidate = sp.Symbol(name, real=True)
        return sp.Dummy(name, real=True) if candidate in taken else candidate

    for b in expr.atoms(sp.IndexedBase):
        if b.is_real is None and b.label.is_real is None:
            mapping[b] = sp.IndexedBase(real(b.label.name), real=True)
    labels = {b.label for b in expr.atoms(sp.IndexedBase)}
    for s in expr.atoms(sp.Symbol):
        if s.is_real is None and not s.is_integer and s not in labels:
            mapping[s] = real(s.name)
    return mapping


#: Relative tolerance of the numeric comparison with sympy.diff (25-digit evaluation).
_RTOL = 1e-9


def _sum_bounds(expr: sp.Basic) -> set:
    bounds = set()
    for s in expr.atoms(sp.Sum):
        for _, lo, hi in s.limits:
            bounds |= lo.free_symbols | hi.free_symbols
    return bounds


def _numeric_compare(ours, expected, rng: random.Random, points: int):
    """Count the points where both are finite numbers and agree; raise on disagreement."""
    both = mlf.to_elementary(sp.Tuple(ours, expected))
    if both.has(sp.Integral):
        return 0  # numeric quadrature here could take minutes: compare symbolically
    # Integer symbols: sum bounds become 3, free indices 1 or 2 (inside every sum's range).
    ints = sorted((s for s in both.free_symbols if s.is_integer), key=str)
    bounds = _sum_bounds(both)
    small = iter([1, 2] * (len(ints) + 1))
    values = {s: (3 if s in bounds else next(small)) for s in ints}
    both = _concrete_functions(both.xreplace(values).doit())
    unknown = sorted(both.atoms(sp.Indexed) | (both.free_symbols - set(values)), key=str)
    agreed = 0
    for _ in range(points):
        point = {}
        for s in unknown:
            lo, hi = (0.2, 2.0) if (s.is_positive or s.is_nonnegative) else (-2.0, 2.0)
            v = rng.uniform(lo, hi)
            point[s] = sp.Float(-v if s.is_negative else v, 30)
        try:
            a, b = (complex(sp.N(e.xreplace(point), 25)) for e in both.args)
        except (TypeError, ValueError, ZeroDivisionError):
            continue  # not a number here (an unknown function, a pole): try another point
        if not all(cmath.isfinite(v) for v in (a, b)):
            continue
        if abs(a - b) > _RTOL * max(1.0, abs(b)):
            where = ", ".join(f"{k}={float(v):.6g}" for k, v in {**values, **point}.items())
            raise _Mismatch(where, a, b)
        agreed += 1
    return agreed


def _concrete_functions(expr: sp.Basic) -> sp.Basic:
    """Undefined functions (``P(x)``, ``J(theta)``) replaced by smooth positive stand-ins.

    Both sides get the same stand-ins, so the comparison stays fair, and the Derivative
    and Subs objects SymPy leaves for them can then be evaluated. Outer functions are
    replaced first (``Derivative(P(G(x)), G(x))`` needs ``G(x)`` to stay a function).
    Returns ``expr`` unchanged when SymPy cannot evaluate the result.
    """
    from sympy.core.function import AppliedUndef

    depth: dict[type, int] = {}

    def walk(e: sp.Basic, d: int) -> None:
        if isinstance(e, AppliedUndef):
            depth[type(e)] = max(depth.get(type(e), d), d)
            d += 1
        for arg in e.args:
            walk(arg, d)

    walk(expr, 0)
    if not depth:
        return expr
    names = sorted(depth, key=lambda c: c.__name__)
    out = expr
    try:
        for cls in sorted(depth, key=lambda c: (depth[c], c.__name__)):
            q = names.index(cls) + 1

            def stand_in(*args, q=q):
                weighted = sp.Add(*[sp.Rational(k + q + 1, 3) * a for k, a in enumerate(args)])
                return sp.sin(weighted + q) + 2

            out = out.replace(cls, stand_in)
            # Evaluate only the derivatives: doit() on an Integral could run for minutes.
            out = out.replace(
                lambda e: isinstance(e, (sp.Derivative, sp.Subs)), lambda e: e.doit(deep=False)
            )
    except (ValueError, TypeError, AttributeError):
        return expr  # arguments a stand-in cannot take (a Tuple, ...): compare symbolically
    return out


class _Mismatch(Exception):
    """Two expressions differ at a point (turned into a DerivationError by the caller)."""

    def __init__(self, where: str, got: complex, expected: complex):
        super().__init__(where)
        self.where, self.got, self.expected = where, got, expected

    def describe(self, got_name: str, got, expected_name: str, expected) -> str:
        return (
            f"at {self.where} (relative tolerance {_RTOL:g}):\n"
            f"  {got_name}: {got} = {_short(self.got)}\n"
            f"  {expected_name}: {expected} = {_short(self.expected)}"
        )


def _short(v: complex) -> str:
    return f"{v.real:.15g}" if v.imag == 0 else f"{v:.15g}"


def _check(expr, var, result, seed: int, points: int = 5) -> str:
    real = _realify(sp.Tuple(expr, var))
    expr_r, var_r, ours = (e.xreplace(real) for e in (expr, var, result))
    try:
        expected = sp.diff(expr_r, var_r)
    except (AttributeError, TypeError, ValueError) as e:
        raise DerivationError(
            f"cannot check the steps for {expr} with respect to {var}: sympy.diff fails ({e})"
        ) from e
    try:
        agreed = _numeric_compare(ours, expected, random.Random(seed), points)
    except _Mismatch as e:
        raise DerivationError(
            f"the step-by-step derivative of {expr} with respect to {var} disagrees with "
            f"sympy.diff (seed {seed}) " + e.describe("steps", result, "sympy.diff", expected)
        ) from None
    if agreed >= 2:
        return f"numeric: agrees with sympy.diff at {agreed} random points (seed {seed})"
    difference = ours - expected
    if not difference.has(sp.Integral):  # doit() would try to integrate
        difference = difference.doit()
    if difference == 0 or sp.expand(difference) == 0:
        return "symbolic: equal to sympy.diff after expansion"
    from symml.timeouts import bounded_simplify

    try:
        simplified = bounded_simplify(difference, timeout=20)
    except SymmlTimeout:  # pragma: no cover - bounded_simplify reports, never raises
        simplified = None
    if simplified is not None and not simplified.timed_out and simplified.value == 0:
        return "symbolic: equal to sympy.diff after simplify"
    raise DerivationError(
        f"could not confirm the step-by-step derivative of {expr} with respect to {var}:\n"
        f"  steps: {result}\n  sympy: {expected}\n"
        f"  no evaluable point among {points} (seed {seed}) and simplify did not reach 0"
    )


def differentiate_steps(expr, var, *, check: bool = True, seed: int = 0) -> StepTree:
    """The rule tree of ``d expr / d var``, checked against ``sympy.diff``.

    Args:
        expr: a SymPy scalar expression (symml functions, Sums over indices allowed).
        var: a Symbol, or an Indexed such as ``w[k]``.
        check: compare the result with ``sympy.diff`` (numeric, then symbolic).
        seed: the seed of the random comparison points.

    Raises:
        DerivationError: no rule applies (matrix expressions), or the check failed.

    Examples:
        >>> import sympy as sp
        >>> x = sp.Symbol("x")
        >>> differentiate_steps(x * sp.sin(x), x).result
        x*cos(x) + sin(x)
    """
    expr, var = sp.sympify(expr), sp.sympify(var)
    if not isinstance(expr, sp.Expr) or getattr(expr, "is_Matrix", False):
        raise DerivationError(
            f"step-by-step differentiation needs a scalar expression, not {type(expr).__name__} "
            f"{expr}; write matrix formulas with indexed sums (w[j], x[i, j]) to get steps"
        )
    if not isinstance(var, (sp.Symbol, sp.Indexed)):
        raise DerivationError(f"can only differentiate with respect to a symbol, not {var!r}")
    root = _diff(expr, var)
    checked = _check(expr, var, root.result, seed) if check else "not checked"
    return StepTree(root, var, (), checked)


def append_step(tree: StepTree, rule: str, expr, *, check: bool = True, seed: int = 0) -> StepTree:
    """A new tree with one more closing step ``= expr`` justified by ``rule``.

    The step must be equal to the tree's result (checked like the result itself).

    Examples:
        >>> import sympy as sp
        >>> from symml.functions import sigmoid
        >>> x = sp.Symbol("x")
        >>> tree = differentiate_steps(1 / (1 + sp.exp(-x)), x)
        >>> tree = append_step(tree, "in terms of sigma", sigmoid(x) * (1 - sigmoid(x)))
        >>> to_list(tree)[-1]["latex"]  # doctest: +ELLIPSIS
        '... = \\\\left(1 - \\\\sigma\\\\left(x\\\\right)\\\\right) \\\\sigma\\\\left(x\\\\right)'
    """
    expr = sp.sympify(expr)
    if check:
        real = _realify(sp.Tuple(tree.result, expr, tree.var))
        a, b = (mlf.to_elementary(e.xreplace(real)) for e in (expr, tree.result))
        try:
            agreed = _numeric_compare(a, b, random.Random(seed), 5)
        except _Mismatch as e:
            raise DerivationError(
                f"the step {rule!r} is not equal to the derivative "
                + e.describe("step", expr, "derivative", tree.result)
            ) from None
        if agreed < 2:
            difference = sp.simplify((a - b).doit())
            if difference != 0:
                raise DerivationError(
                    f"the step {rule!r} ({expr}) is not equal to the derivative {tree.result}"
                )
    return StepTree(tree.root, tree.var, (*tree.extra, (rule, expr)), tree.checked)


# ------------------------------------------------------------------------- rendering


@dataclass(frozen=True)
class Line:
    """One rendered step: ``lhs = rhs`` justified by ``rule`` (LaTeX and plain text)."""

    lhs: str
    lhs_text: str
    rhs: str
    rhs_text: str
    rule: str


_Tex = tuple[str, str]  # (LaTeX, plain text)


def _tex(e) -> _Tex:
    return sp.latex(e), sp.sstr(e)


def _paren(e) -> _Tex:
    latex, text = _tex(e)
    if e.is_Add or (e.is_Mul and e.could_extract_minus_sign()) or (e.is_Number and e < 0):
        return rf"\left({latex}\right)", f"({text})"
    return latex, text


def _d(node_var, e) -> _Tex:
    """``d/dx [e]`` (a partial when other symbols are free, or for an Indexed variable)."""
    others = {s for s in e.free_symbols if not s.is_integer} - {node_var}
    if isinstance(node_var, sp.Indexed):
        others -= {node_var.base.label}
    v_latex, v_text = _tex(node_var)
    partial = isinstance(node_var, sp.Indexed) or bool(others)
    op = rf"\frac{{\partial}}{{\partial {v_latex}}}" if partial else rf"\frac{{d}}{{d{v_latex}}}"
    op_text = f"d/d{v_text}"
    latex, text = _tex(e)
    if e.is_Atom or isinstance(e, sp.Indexed):
        return rf"{op} {latex}", f"{op_text} {text}"
    return rf"{op}\left[{latex}\right]", f"{op_text}[{text}]"


_RULE_TEXT = {
    Rule.CONSTANT: "constant",
    Rule.VARIABLE: "variable",
    Rule.INDEXED: "indexed variable: Kronecker delta",
    Rule.SUM: "sum rule",
    Rule.CONSTANT_MULTIPLE: "constant multiple rule",
    Rule.POWER: "power rule",
    Rule.EXPONENTIAL: "exponential rule: (a^x)' = a^x ln a",
    Rule.GENERAL_POWER: "general power rule: (u^v)' = u^v (v' ln u + v u'/u)",
    Rule.PRODUCT: "product rule",
    Rule.QUOTIENT: "quotient rule",
    Rule.EXP: "exponential: (e^x)' = e^x",
    Rule.LOG: "logarithm: (ln x)' = 1/x",
    Rule.TRIG: "trigonometric derivative",
    Rule.HYPERBOLIC: "hyperbolic derivative",
    Rule.ABS: "absolute value: |x|' = sign(x)",
    Rule.MAX: "max: derivative of the larger argument (Heaviside)",
    Rule.MIN: "min: derivative of the smaller argument (Heaviside)",
    Rule.HEAVISIDE: "Heaviside: H' = delta",
    Rule.SIGN: "sign: 0 away from 0, sign' = 2 delta",
    Rule.INTEGRAL: "differentiate under the integral sign (fixed limits)",
    Rule.PIECEWISE: "piecewise: differentiate each piece",
    Rule.SUM_OVER_INDEX: "sum over an index: differentiate each term",
    Rule.SIGMOID: "sigmoid: sigma' = sigma (1 - sigma)",
    Rule.SOFTPLUS: "softplus: softplus' = sigma",
    Rule.LOG_SIGMOID: "log-sigmoid: (log sigma)' = sigma(-x)",
    Rule.RELU: "ReLU: ReLU' = Heaviside(x, 0), 0 at x = 0",
    Rule.LEAKY_RELU: "leaky ReLU: alpha + (1 - alpha) Heaviside(x, 0)",
    Rule.LOGSUMEXP: "logsumexp: its gradient is the softmax",
    Rule.SOFTMAX: "softmax: s_i (delta_ij - s_j)",
    Rule.FUNCTION: "derivative of the function",
    Rule.SYMPY: "derivative computed by SymPy (no textbook rule)",
}


def _rule_text(node: StepNode) -> str:
    if node.rule is Rule.CHAIN:
        return f"chain rule ({_RULE_TEXT[node.outer_rule]})"
    text = _RULE_TEXT[node.rule]
    return f"{text} ({node.note})" if node.note and node.rule is Rule.SYMPY else text


def _is_simple(node: StepNode) -> bool:
    if not node.children:
        return True
    if node.rule in (Rule.CONSTANT_MULTIPLE, Rule.SUM):
        return all(not c.children for c in node.children)
    return False


class _Names:
    """Hands out u/v, u_1/v_1, ... to nested product and quotient rules of one rendering."""

    def __init__(self) -> None:
        self.count = 0

    def pair(self) -> tuple[str, str]:
        self.count += 1
        if self.count == 1:
            return "u", "v"
        return f"u_{{{self.count - 1}}}", f"v_{{{self.count - 1}}}"


def _line(owner: _Tex, rhs: _Tex, rule: str) -> Line:
    return Line(owner[0], owner[1], rhs[0], rhs[1], rule)


def _wrap(block: list[Line], child_owner: _Tex, owner: _Tex, fn) -> list[Line]:
    """The child's own lines rewritten as steps of the parent (``fn`` wraps the rhs)."""
    if (
        block
        and block[-1].rule == "simplify"
        and (block[-1].lhs, block[-1].lhs_text) == child_owner
    ):
        block = block[:-1]  # the parent closes with the simplified whole
    out = []
    for ln in block:
        if (ln.lhs, ln.lhs_text) == child_owner:
            out.append(_line(owner, fn((ln.rhs, ln.rhs_text)), ln.rule))
        else:
            out.append(ln)
    return out


def _closing(block: list[Line], owner: _Tex, result, rule: str = "simplify") -> list[Line]:
    final = _tex(result)
    if block and (block[-1].lhs, block[-1].rhs) == (owner[0], final[0]):
        return block
    return [*block, _line(owner, final, rule)]


def _render(node: StepNode, owner: _Tex, names: _Names) -> list[Line]:
    if _is_simple(node):
        return [_line(owner, _tex(node.result), _rule_text(node))]
    var = node.var
    rule = node.rule
    if rule is Rule.SUM:
        terms = [_d(var, c.expr) for c in node.children]
        first = _line(
            owner,
            (" + ".join(t[0] for t in terms), " + ".join(t[1] for t in terms)),
            "sum rule" if len(terms) > 1 else "sum rule (constant terms vanish)",
        )
        if len(terms) == 1:
            child_block = _render(node.children[0], terms[0], names)
            return _closing(
                [first, *_wrap(child_block, terms[0], owner, lambda r: r)], owner, node.result
            )
        block = [first]
        for c, t in zip(node.children, terms, strict=True):
            block += _render(c, t, names)
        return _closing(block, owner, node.result, "add the terms")
    if rule in (Rule.CONSTANT_MULTIPLE, Rule.CHAIN, Rule.SUM_OVER_INDEX):
        (child,) = node.children
        if rule is Rule.CONSTANT_MULTIPLE:
            c = _paren(node.part("c"))
            prefix = (c[0] + r" \cdot ", c[1] + "*")
            wrap = lambda r: (prefix[0] + r[0], prefix[1] + r[1])  # noqa: E731
            before = prefix
        elif rule is Rule.CHAIN:
            outer = _paren(node.part("outer"))
            prefix = (outer[0] + r" \cdot ", outer[1] + "*")
            before = prefix
            wrap = lambda r: (prefix[0] + rf"\left({r[0]}\right)", prefix[1] + f"({r[1]})")  # noqa: E731
        else:
            idx, lo, hi = (_tex(node.part(k)) for k in ("index", "lo", "hi"))
            before = (
                rf"\sum_{{{idx[0]}={lo[0]}}}^{{{hi[0]}}} ",
                f"Sum over {idx[1]}={lo[1]}..{hi[1]} of ",
            )
            wrap = lambda r: (before[0] + rf"\left({r[0]}\right)", before[1] + f"({r[1]})")  # noqa: E731
        child_owner = _d(var, child.expr)
        if _is_simple(child):
            block = [_line(owner, wrap(_tex(child.result)), _rule_text(node))]
        else:
            first = _line(
                owner, (before[0] + child_owner[0], before[1] + child_owner[1]), _rule_text(node)
            )
            block = [first, *_wrap(_render(child, child_owner, names), child_owner, owner, wrap)]
        if rule is Rule.SUM_OVER_INDEX:
            raw = node.part("raw")
            block = _closing(block, owner, raw)
            return _closing(
                block,
                owner,
                node.result,
                f"Kronecker delta: one term of the sum survives ({node.note})",
            )
        return _closing(block, owner, node.result)
    if rule in (Rule.PRODUCT, Rule.QUOTIENT, Rule.GENERAL_POWER):
        return _render_pair(node, owner, names)
    # A function of several arguments, or a piecewise: one block per argument (piece).
    block = []
    if node.rule not in (Rule.PIECEWISE, Rule.INTEGRAL):
        outers = [_paren(e) for name, e in node.parts if name.startswith("outer")]
        terms = [_d(var, c.expr) for c in node.children]
        rhs = (
            " + ".join(rf"{o[0]} \cdot {t[0]}" for o, t in zip(outers, terms, strict=True)),
            " + ".join(f"{o[1]}*{t[1]}" for o, t in zip(outers, terms, strict=True)),
        )
        block.append(_line(owner, rhs, f"multivariable chain rule ({_rule_text(node)})"))
    for c in node.children:
        block += _render(c, _d(var, c.expr), names)
    return _closing(block, owner, node.result, _rule_text(node))


def _render_pair(node: StepNode, owner: _Tex, names: _Names) -> list[Line]:
    u_name, v_name = names.pair()
    u, v = node.part("u"), node.part("v")
    du, dv = node.children
    formulas = {
        Rule.PRODUCT: (
            rf"{u_name}' {v_name} + {u_name} {v_name}'",
            f"{u_name}'{v_name} + {u_name}{v_name}'",
        ),
        Rule.QUOTIENT: (
            rf"\frac{{{u_name}' {v_name} - {u_name} {v_name}'}}{{{v_name}^{{2}}}}",
            f"({u_name}'{v_name} - {u_name}{v_name}')/{v_name}^2",
        ),
        Rule.GENERAL_POWER: (
            rf"{u_name}^{{{v_name}}} \left({v_name}' \ln {u_name} + "
            rf"\frac{{{v_name} {u_name}'}}{{{u_name}}}\right)",
            f"{u_name}^{v_name} ({v_name}' ln {u_name} + {v_name} {u_name}'/{u_name})",
        ),
    }[node.rule]
    roles = {
        Rule.PRODUCT: ("first factor", "second factor"),
        Rule.QUOTIENT: ("numerator", "denominator"),
        Rule.GENERAL_POWER: ("base", "exponent"),
    }[node.rule]
    block = [
        _line(owner, formulas, _rule_text(node)),
        _line((u_name, u_name), _tex(u), f"let {u_name} be the {roles[0]}"),
        _line((v_name, v_name), _tex(v), f"let {v_name} be the {roles[1]}"),
    ]
    block += _render(du, (f"{u_name}'", f"{u_name}'"), names)
    block += _render(dv, (f"{v_name}'", f"{v_name}'"), names)
    pu, pv, pdu, pdv = (_paren(e) for e in (u, v, du.result, dv.result))
    if node.rule is Rule.PRODUCT:
        sub = (
            rf"{pdu[0]} \cdot {pv[0]} + {pu[0]} \cdot {pdv[0]}",
            f"{pdu[1]}*{pv[1]} + {pu[1]}*{pdv[1]}",
        )
    elif node.rule is Rule.QUOTIENT:
        sub = (
            rf"\frac{{{pdu[0]} \cdot {pv[0]} - {pu[0]} \cdot {pdv[0]}}}{{{pv[0]}^{{2}}}}",
            f"({pdu[1]}*{pv[1]} - {pu[1]}*{pdv[1]})/{pv[1]}^2",
        )
    else:
        sub = _tex(node.result)
    block.append(_line(owner, sub, f"substitute {u_name}, {v_name}, {u_name}', {v_name}'"))
    return _closing(block, owner, node.result)


def lines(tree: StepTree) -> list[Line]:
    """The steps of ``tree`` in reading order (what the three renderers print)."""
    owner = _d(tree.var, tree.expr)
    block = _render(tree.root, owner, _Names())
    for rule, expr in tree.extra:
        block.append(_line(owner, _tex(expr), rule))
    return block


def _text_rule(rule: str) -> str:
    return rule.replace("\\", r"\textbackslash{}").replace("_", r"\_").replace("^", r"\^{}")


def to_latex(tree: StepTree) -> str:
    r"""An ``align*`` block, one justified step per line (``&= ... && \text{rule}``)."""
    rows, previous = [], None
    for ln in lines(tree):
        lhs = "" if ln.lhs == previous else ln.lhs
        previous = ln.lhs
        rows.append(rf"{lhs} &= {ln.rhs} && \text{{{_text_rule(ln.rule)}}}")
    return "\\begin{align*}\n" + " \\\\\n".join(rows) + "\n\\end{align*}"


def to_text(tree: StepTree) -> str:
    """Plain text, one step per line: ``lhs = rhs    [rule]``."""
    out, previous = [], None
    steps = lines(tree)
    width = max((len(ln.lhs_text) for ln in steps), default=0)
    for ln in steps:
        lhs = "" if ln.lhs_text == previous else ln.lhs_text
        previous = ln.lhs_text
        out.append(f"{lhs:>{width}} = {ln.rhs_text}    [{ln.rule}]")
    return "\n".join(out)


def to_list(tree: StepTree) -> list[dict[str, str]]:
    """``[{"rule": str, "latex": "lhs = rhs"}, ...]`` for JSON."""
    return [{"rule": ln.rule, "latex": f"{ln.lhs} = {ln.rhs}"} for ln in lines(tree)]
