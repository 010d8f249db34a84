"""Step-by-step differentiation: a rule tree that computes its own result.

:func:`differentiate_steps` walks the expression and applies one textbook rule per node
(sum, constant multiple, power, product, quotient, chain, exp, log, trig, ...). Each
node's result is built from its children's results, never taken from ``sympy.diff``;
``sympy.diff`` is only the referee: the finished tree is compared with it (numerically
at seeded random points, symbolically when no point can be evaluated) and a mismatch
raises :class:`~symml.errors.DerivationError`.

The tree's values live in :mod:`~symml.derivation.steps._model`, the referee in
:mod:`~symml.derivation.steps._check`, the renderers (``align*``, plain text, a JSON-ready
list) in :mod:`~symml.derivation.steps._render`.
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
    >>> from symml.derivation.steps import to_list
    >>> [step["rule"] for step in to_list(tree)][:2]
    ['quotient rule', 'let u be the numerator']
"""

from __future__ import annotations

import sympy as sp

from symml import functions as mlf
from symml.derivation.steps._check import check_derivative, check_step
from symml.derivation.steps._model import Rule, StepNode, StepTree
from symml.errors import DerivationError

__all__ = ["append_step", "differentiate_steps"]


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


def differentiate_steps(
    expr: sp.Expr, var: sp.Symbol, *, check: bool = True, seed: int = 0
) -> StepTree:
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
    checked = check_derivative(expr, var, root.result, seed) if check else "not checked"
    return StepTree(root, var, (), checked)


def append_step(
    tree: StepTree, rule: str, expr: sp.Expr, *, check: bool = True, seed: int = 0
) -> StepTree:
    """A new tree with one more closing step ``= expr`` justified by ``rule``.

    The step must be equal to the tree's result (checked like the result itself).

    Examples:
        >>> import sympy as sp
        >>> from symml.derivation.steps import to_list
        >>> from symml.functions import sigmoid
        >>> x = sp.Symbol("x")
        >>> tree = differentiate_steps(1 / (1 + sp.exp(-x)), x)
        >>> tree = append_step(tree, "in terms of sigma", sigmoid(x) * (1 - sigmoid(x)))
        >>> to_list(tree)[-1]["latex"]  # doctest: +ELLIPSIS
        '... = \\\\left(1 - \\\\sigma\\\\left(x\\\\right)\\\\right) \\\\sigma\\\\left(x\\\\right)'
    """
    expr = sp.sympify(expr)
    if check:
        check_step(tree.result, expr, tree.var, rule, seed)
    return StepTree(tree.root, tree.var, (*tree.extra, (rule, expr)), tree.checked)
