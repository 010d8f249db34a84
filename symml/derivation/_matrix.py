"""Gradients over samples in matrix form, Hessians, and stationary points.

Component gradients (``dJ/dw_j`` of a cost summed over samples) come from
:func:`~symml.derivation._derive.derive` with ``wrt="w"``. This module turns them into the matrix
forms the documents print, and proves the two equal:

* :func:`vectorize` reads ``c * Sum_i g_i x_ij`` as ``c X^T G`` where ``G_i = g_i``, the
  inner sums ``Sum_k w_k x_ik`` becoming ``(Xw)_i`` (elementwise functions become
  ``ElementwiseApplyFunction``), and second derivatives ``c Sum_i g_i x_ij x_ik`` as
  ``c X^T diag(G) X``;
* :func:`prove_matrix_form` checks every component at random concrete sizes and values;
* :func:`hessian` gives second derivatives (a matrix over scalar variables, or the
  ``(j, k)`` component over a vector's entries);
* :func:`stationary_points` solves the score equations (sums split by linearity,
  sequentially, as a textbook does) and classifies each point by its Hessian;
* :func:`normal_equations` derives ``X^T X w = X^T y`` from a matrix cost.

Examples:
    >>> import sympy
    >>> mu, s = sympy.Symbol("mu", real=True), sympy.Symbol("s", positive=True)
    >>> stationary_points(-(mu - 3)**2 - s**2 + 2*s, ["mu", "s"]).points
    ({mu: 3, s: 1},)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sympy as sp
from sympy.core.function import AppliedUndef

from symml.derivation._derive import derive
from symml.derivation._samples import vectorize
from symml.derivation._simplify import collapse_deltas, prove_equal, simplify_deep
from symml.derivation._subject import resolve_variable, subject_of
from symml.equality import Method, Proof, draw, evaluate_point, expand_sums
from symml.errors import DerivationError, SymmlTimeout
from symml.functions import to_elementary
from symml.workers import SIMPLIFY_TIMEOUT, SOLVE_TIMEOUT, run_bounded

__all__ = [
    "Hessian",
    "MatrixForm",
    "Stationary",
    "hessian",
    "matrix_gradient",
    "normal_equations",
    "prove_matrix_form",
    "stationary_points",
    "vectorize",
]


@dataclass(frozen=True)
class MatrixForm:
    """A component expression, its matrix form, and the proof that they agree."""

    component: sp.Expr
    indices: tuple[sp.Symbol, ...]
    matrix: sp.MatrixExpr
    proof: Proof


@dataclass(frozen=True)
class Hessian:
    """Second derivatives: ``matrix`` over scalar variables, or the ``(j, k)`` component."""

    wrt: tuple[sp.Basic, ...]
    matrix: sp.Matrix | None
    component: sp.Expr | None
    proofs: tuple[Proof, ...]
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Stationary:
    """Solutions of the score equations and what kind of point each one is.

    Attributes:
        points: one mapping variable -> value per solution.
        kinds: ``"maximum"``, ``"minimum"``, ``"saddle"`` or ``"unknown"`` per solution.
        equations: the score equations (first derivatives) that were solved.
        notes: how the kind was decided (symbolically, or numerically with the seed).
    """

    points: tuple[dict, ...]
    kinds: tuple[str, ...]
    equations: tuple[sp.Expr, ...]
    notes: tuple[str, ...] = field(default=())


# --- matrix forms ----------------------------------------------------------------------


def matrix_gradient(cost: sp.MatrixExpr, wrt: sp.MatrixSymbol) -> sp.MatrixExpr:
    """SymPy's matrix calculus: ``d/dw (Xw - y)^T (Xw - y)/n`` -> ``(2/n) X^T (Xw - y)``.

    Examples:
        >>> import sympy
        >>> m, n = sympy.symbols("m n", integer=True, positive=True)
        >>> X, w, y = (sympy.MatrixSymbol(a, *s) for a, s in
        ...            [("X", (m, n)), ("w", (n, 1)), ("y", (m, 1))])
        >>> matrix_gradient((X*w - y).T*(X*w - y)/m, w)
        (2/m)*X.T*(X*w - y)
    """
    try:
        return sp.diff(cost, wrt)
    except (ValueError, TypeError, IndexError, NotImplementedError) as exc:
        raise DerivationError(
            f"SymPy cannot differentiate {cost} with respect to {wrt}: {exc}"
        ) from exc


def prove_matrix_form(
    component: sp.Expr,
    indices: Sequence[sp.Symbol],
    matrix: sp.MatrixExpr,
    bindings: Mapping[sp.IndexedBase, sp.MatrixSymbol],
    *,
    seed: int = 0,
    trials: int = 3,
) -> Proof:
    """Check every entry of ``matrix`` against ``component`` at random sizes and values.

    Indexed entries are 1-based (``x[i, j]`` is ``X[i-1, j-1]``), as the sums are written.
    Sizes are drawn from 2..4 with ``m != n`` where the shapes allow, values are random
    rationals, so each trial is an exact comparison.
    """
    rng = np.random.default_rng(seed)
    sizes = sorted(
        {s for M in bindings.values() for d in M.shape for s in d.free_symbols},
        key=sp.default_sort_key,
    )
    for trial in range(trials):
        dims = {s: sp.Integer(2 + (n + trial) % 3) for n, s in enumerate(sizes)}
        values = {
            M: sp.Matrix(
                *[int(d.xreplace(dims)) for d in M.shape],
                lambda *_: _rational(rng),
            )
            for M in bindings.values()
        }
        scalars = {
            s: _rational(rng)
            for s in (component.free_symbols | matrix.free_symbols)
            if isinstance(s, sp.Symbol)
            and s not in dims
            and s not in indices
            and not any(s == b.label for b in bindings)
            and not s.is_integer
        }
        explicit = _explicit(matrix.xreplace(scalars), values, dims)
        entries = {}
        for base, M in bindings.items():
            for pos in _positions(values[M]):
                r, c = pos
                key = base[r + 1, c + 1] if M.shape[1] != 1 else base[r + 1]
                entries[key] = values[M][r, c]
        for pos in _positions(explicit):
            at = dict(zip(indices, [sp.Integer(p + 1) for p in pos[: len(indices)]], strict=False))
            want = expand_sums(component.xreplace({**dims, **scalars, **at})).xreplace(entries)
            got = explicit[pos]
            diff = to_elementary(sp.sympify(want) - got)
            value = sp.N(diff, 40)  # exact rationals, or exp() of them: 40 digits decide
            if not value.is_number:
                value = sp.N(sp.simplify(diff), 40)
            if not value.is_number or abs(complex(value)) > 1e-25:
                return Proof(
                    False,
                    Method.NUMERIC,
                    f"seed {seed}, sizes {dims}: entry {pos} is {got}, the component gives {want}",
                    seed=seed,
                )
    return Proof(
        True, Method.NUMERIC, f"{trials} exact trials, seed {seed}, all entries", seed=seed
    )


def _rational(rng: np.random.Generator) -> sp.Rational:
    """A small random rational: exact arithmetic, and entries of either sign."""
    return sp.Rational(int(rng.integers(-9, 10)), int(rng.integers(1, 6)))


def _explicit(expr: Any, values: Mapping, dims: Mapping) -> Any:
    """Evaluate a matrix expression on explicit matrices, node by node (``as_explicit``
    on the whole expression goes through symbolic sums and is far slower)."""
    if isinstance(expr, sp.MatrixSymbol):
        return values[expr]
    if not getattr(expr, "is_Matrix", False):
        return sp.sympify(expr).xreplace(dims)
    if isinstance(expr, sp.ImmutableMatrix | sp.Matrix):
        return sp.Matrix(expr)
    args = [_explicit(a, values, dims) for a in expr.args]
    if isinstance(expr, sp.MatMul):
        out = sp.S.One
        for a in args:
            out = out * a
        return out
    if isinstance(expr, sp.MatAdd):
        out = args[0]
        for a in args[1:]:
            out = out + a
        return out
    if isinstance(expr, sp.Transpose):
        return args[0].T
    if isinstance(expr, sp.Inverse):
        return args[0].inv()
    if isinstance(expr, sp.HadamardProduct):
        out = args[0]
        for a in args[1:]:
            out = out.multiply_elementwise(a)
        return out
    if isinstance(expr, sp.DiagMatrix):
        return sp.diag(*list(args[0]))
    if isinstance(expr, sp.OneMatrix | sp.ZeroMatrix | sp.Identity):
        return sp.Matrix(expr.xreplace(dims).as_explicit())
    from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction

    if isinstance(expr, ElementwiseApplyFunction):
        return _explicit(expr.expr, values, dims).applyfunc(expr.function)
    return sp.Matrix(expr.subs(values).xreplace(dims).doit())


def _positions(M: sp.Matrix):
    return [(r, c) for r in range(M.rows) for c in range(M.cols)]


# --- Hessians --------------------------------------------------------------------------


def hessian(
    formula_or_expr: Any,
    wrt: str | Sequence[str | sp.Basic],
    *,
    timeout: float = SIMPLIFY_TIMEOUT,
) -> Hessian:
    """Second derivatives, each proved equal to ``sympy.diff`` of the unsimplified input.

    ``wrt`` a list of scalar names gives the full matrix; a vector's name (``"w"``) gives
    the component ``d^2 J / dw_j dw_k``.

    Examples:
        >>> import sympy
        >>> x, y = sympy.symbols("x y", real=True)
        >>> hessian(x**2 * y, ["x", "y"]).matrix
        Matrix([
        [2*y, 2*x],
        [2*x,   0]])
    """
    subject = subject_of(formula_or_expr)
    expr = subject.expr
    if isinstance(wrt, str) and any(str(b) == wrt for b in expr.atoms(sp.IndexedBase)):
        first = derive(expr, wrt, steps=False, timeout=timeout)
        k = next(
            sp.Symbol(n, integer=True)
            for n in ("k", "l", "p", "q")
            if n not in {s.name for s in first.raw.atoms(sp.Symbol)}
        )
        # the textbook form is proved equal to sympy.diff and is the shortest start
        second = derive(first.textbook, first.wrt.base[k], steps=False, timeout=timeout)
        proof = prove_equal(second.simplified, _diff2(expr, first.wrt, second.wrt), timeout=timeout)
        return Hessian((first.wrt, second.wrt), None, second.textbook, (proof,), second.notes)
    names = [wrt] if isinstance(wrt, (str, sp.Basic)) else list(wrt)
    variables = [resolve_variable(expr, n) for n in names]
    rows, proofs = [], []
    for a in variables:
        row = []
        for b in variables:
            ref = _diff2(expr, a, b)
            try:
                entry = run_bounded(simplify_deep, ref, timeout=timeout)
            except SymmlTimeout:
                entry = ref
            proofs.append(prove_equal(entry, ref, timeout=timeout))
            row.append(entry)
        rows.append(row)
    return Hessian(tuple(variables), sp.Matrix(rows), None, tuple(proofs))


def _diff2(expr, a, b):
    return collapse_deltas(sp.diff(collapse_deltas(sp.diff(to_elementary(expr), a)), b))


# --- stationary points -----------------------------------------------------------------


def stationary_points(
    formula_or_expr: Any,
    wrt: str | Sequence[str],
    *,
    timeout: float = SOLVE_TIMEOUT,
    seed: int = 0,
) -> Stationary:
    """Solve the score equations ``d/dv expr = 0`` one variable at a time, then classify.

    A name in ``wrt`` that is an undefined function of the input (``D`` in
    ``p_data(x) log D(x) + p_g(x) log(1 - D(x))``) is maximised pointwise: every function
    application becomes a positive symbol, and the answer is mapped back.

    Examples:
        >>> import sympy
        >>> p, q, D = sympy.symbols("p_data p_g D", positive=True)
        >>> stationary_points(p*sympy.log(D) + q*sympy.log(1 - D), "D").points
        ({D: p_data/(p_data + p_g)},)
    """
    subject = subject_of(formula_or_expr)
    names = [wrt] if isinstance(wrt, str) else list(wrt)
    expr, back = _pointwise(subject.expr, names)
    variables = [resolve_variable(expr, n) for n in names]
    solution: dict = {}
    equations = []
    for v in variables:
        # earlier unknowns stay symbols while solving, and are substituted afterwards with
        # xreplace, which keeps sums unexpanded: sigma^2 = (1/n) Sum (x_i - mu_hat)^2
        score = simplify_deep(collapse_deltas(sp.diff(expr, v)))
        equations.append(score)
        solution[v] = _solve_one(score, v, timeout).xreplace(solution)
    kind, note = _classify(expr, variables, solution, seed, timeout)
    point = {back.get(k, k): val.xreplace(back) for k, val in solution.items()}
    return Stationary((point,), (kind,), tuple(equations), (note,))


def _pointwise(expr: sp.Expr, names: Sequence[str]) -> tuple[sp.Expr, dict]:
    apps = sorted(expr.atoms(AppliedUndef), key=sp.default_sort_key)
    if not any(a.func.__name__ in names for a in apps):
        return expr, {}
    symbols = {a: sp.Symbol(a.func.__name__, positive=True) for a in apps}
    return expr.xreplace(symbols), {s: a for a, s in symbols.items()}


def _split_sums(expr: sp.Expr, v: sp.Symbol) -> sp.Expr:
    """``Sum(a_i - v)`` -> ``Sum(a_i) - n v``: linearity, so ``v`` leaves every sum."""

    def split(s: sp.Sum) -> sp.Expr:
        if not s.function.has(v) or len(s.limits) != 1:
            return s
        (i, lo, hi) = s.limits[0]
        out = []
        body = sp.expand(
            s.function, multinomial=False, power_base=False, power_exp=False, log=False
        )
        for term in sp.Add.make_args(body):
            outside, inside = term.as_independent(i, as_Add=False)
            if inside == 1:
                out.append(outside * (hi - lo + 1))
            else:
                out.append(outside * sp.Sum(inside, (i, lo, hi)))
        return sp.Add(*out)

    return expr.replace(lambda e: isinstance(e, sp.Sum), split)


def _solve_one(score: sp.Expr, v: sp.Symbol, timeout: float) -> sp.Expr:
    eq = _split_sums(score, v)
    sums = {s: sp.Dummy("S", real=True) for s in eq.atoms(sp.Sum) if not s.has(v)}
    try:
        sols = run_bounded(sp.solve, eq.xreplace(sums), v, timeout=timeout)
    except SymmlTimeout as exc:
        raise DerivationError(f"solving {score} = 0 for {v} ran out of time") from exc
    sols = [s.xreplace({d: s_ for s_, d in sums.items()}) for s in sols]
    sols = [s for s in sols if not (v.is_positive and s.could_extract_minus_sign())]
    if not sols:
        raise DerivationError(f"the score equation {score} = 0 has no solution for {v}")
    return sp.factor_terms(sols[0])


def _classify(expr, variables, solution, seed, timeout) -> tuple[str, str]:
    H = sp.Matrix(
        [
            [_split_sums(collapse_deltas(sp.diff(expr, a, b)), a) for b in variables]
            for a in variables
        ]
    ).xreplace(solution)
    minors = [
        sp.simplify(_split_sums(H[:k, :k].det(), variables[0]))
        for k in range(1, len(variables) + 1)
    ]
    if all((m * (-1) ** (k + 1)).is_positive for k, m in enumerate(minors)):
        return "maximum", "second-order check: the Hessian is negative definite (symbolic)"
    if all(m.is_positive for m in minors):
        return "minimum", "second-order check: the Hessian is positive definite (symbolic)"
    return _classify_numeric(H, seed)


def _classify_numeric(H: sp.Matrix, seed: int) -> tuple[str, str]:
    rng = np.random.default_rng(seed)
    kinds = set()
    for _ in range(5):
        vals = draw(sp.Add(*H), rng)
        try:
            numeric = sp.Matrix(H.shape[0], H.shape[1], [evaluate_point(e, vals).real for e in H])
        except (TypeError, ValueError, AttributeError):
            return "unknown", "second-order check: the Hessian did not evaluate"
        eig = [complex(e).real for e in numeric.evalf().eigenvals(multiple=True)]
        kinds.add("maximum" if max(eig) < 0 else "minimum" if min(eig) > 0 else "saddle")
    if len(kinds) == 1:
        kind = kinds.pop()
        return kind, f"second-order check: numeric at 5 random data sets (seed {seed})"
    return "unknown", f"second-order check: inconclusive ({sorted(kinds)}, seed {seed})"


# --- least squares ---------------------------------------------------------------------


def normal_equations(cost: sp.MatrixExpr, w: sp.MatrixSymbol) -> tuple[sp.Eq, sp.MatrixExpr]:
    """``(A w = c, A^{-1} c)`` from the gradient of a quadratic cost (assumes A invertible).

    Examples:
        >>> import sympy
        >>> m, n = sympy.symbols("m n", integer=True, positive=True)
        >>> X, w, y = (sympy.MatrixSymbol(a, *s) for a, s in
        ...            [("X", (m, n)), ("w", (n, 1)), ("y", (m, 1))])
        >>> normal_equations((X*w - y).T*(X*w - y), w)[1]
        (X.T*X)**(-1)*X.T*y
    """
    g = matrix_gradient(cost, w)
    g0 = g.subs(w, sp.ZeroMatrix(*w.shape)).doit()
    linear = sp.expand((g - g0).doit())
    scalar, mat = _split_scalar(linear)
    if not (isinstance(mat, sp.MatMul) and mat.args[-1] == w):
        raise DerivationError(f"the gradient {g} is not affine in {w}")
    A = sp.MatMul(*mat.args[:-1]).doit()
    c0, cmat = _split_scalar(sp.expand(-g0))
    rhs = (c0 / scalar) * cmat
    return sp.Eq(A * w, rhs), (A.I * rhs).doit()


def _split_scalar(expr: sp.MatrixExpr) -> tuple[sp.Expr, sp.MatrixExpr]:
    if isinstance(expr, sp.MatMul):
        scalars = [a for a in expr.args if not getattr(a, "is_Matrix", False)]
        mats = [a for a in expr.args if getattr(a, "is_Matrix", False)]
        return sp.Mul(*scalars), sp.MatMul(*mats)
    if isinstance(expr, sp.MatMul) or getattr(expr, "is_Matrix", False):
        return sp.S.One, expr
    raise DerivationError(f"cannot split {expr}")
