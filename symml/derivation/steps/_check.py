"""The referee of step-by-step derivations: ``sympy.diff``, numerically then symbolically.

:func:`check_derivative` compares a rule tree's result with ``sympy.diff`` at seeded random
points (25-digit evaluation), falling back to a bounded ``simplify`` when no point can be
evaluated; :func:`check_step` does the same for a closing step added by
:func:`symml.derivation.steps._rules.append_step`. A disagreement raises
:class:`~symml.errors.DerivationError` naming the point, both values and the tolerance.
"""

from __future__ import annotations

import sympy as sp

from symml import functions as mlf
from symml.equality import Proof, Purpose, prove_numeric
from symml.errors import DerivationError
from symml.workers import bounded_simplify

__all__ = ["check_derivative", "check_step"]


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


def _sum_bounds(expr: sp.Basic) -> set:
    bounds = set()
    for s in expr.atoms(sp.Sum):
        for _, lo, hi in s.limits:
            bounds |= lo.free_symbols | hi.free_symbols
    return bounds


def _numeric_compare(ours, expected, seed: int, points: int) -> Proof | None:
    """:func:`symml.equality.prove_numeric` at points the steps can be evaluated at, or None
    when the comparison must be symbolic (integrals: quadrature here could take minutes)."""
    both = mlf.to_elementary(sp.Tuple(ours, expected))
    if both.has(sp.Integral):
        return None
    # Integer symbols: sum bounds become 3, free indices 1 or 2 (inside every sum's range).
    ints = sorted((s for s in both.free_symbols if s.is_integer), key=str)
    bounds = _sum_bounds(both)
    small = iter([1, 2] * (len(ints) + 1))
    values = {s: (3 if s in bounds else next(small)) for s in ints}
    both = _concrete_functions(both.xreplace(values).doit())
    unknown = sorted(both.atoms(sp.Indexed) | (both.free_symbols - set(values)), key=str)

    def sample(_difference: sp.Basic, rng) -> dict:
        point = {}
        for s in unknown:
            lo, hi = (0.2, 2.0) if (s.is_positive or s.is_nonnegative) else (-2.0, 2.0)
            v = float(rng.uniform(lo, hi))
            point[s] = sp.Float(-v if s.is_negative else v, 30)
        return point

    proof = prove_numeric(
        *both.args,
        purpose=Purpose.STEPS,
        seed=seed,
        points=points,
        attempts=points,
        minimum=2,
        sample=sample,
        evaluate=_at,
    )
    if proof.ok is False:
        fixed = ", ".join(f"{k}={float(v):.6g}" for k, v in values.items())
        drawn = ", ".join(f"{k}={float(v):.6g}" for k, v in proof.point)
        raise _Mismatch(", ".join(p for p in (fixed, drawn) if p), proof)
    return proof


def _at(expr: sp.Basic, point: dict) -> complex:
    """25 digits are plenty for a 1e-9 comparison; a non-number raises (the point is skipped)."""
    return complex(sp.N(expr.xreplace(point), 25))


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

    def __init__(self, where: str, proof: Proof):
        super().__init__(where)
        self.where, self.proof = where, proof

    def describe(self, got_name: str, got, expected_name: str, expected) -> str:
        return (
            f"at {self.where} (relative tolerance {self.proof.tolerance.rtol:g}):\n"
            f"  {got_name}: {got} = {_short(self.proof.got)}\n"
            f"  {expected_name}: {expected} = {_short(self.proof.expected)}"
        )


def _short(v: complex) -> str:
    return f"{v.real:.15g}" if v.imag == 0 else f"{v:.15g}"


def check_derivative(
    expr: sp.Expr, var: sp.Symbol, result: sp.Expr, seed: int, points: int = 5
) -> str:
    """How ``result`` was found equal to ``sympy.diff(expr, var)``; DerivationError if not."""
    real = _realify(sp.Tuple(expr, var))
    expr_r, var_r, ours = (e.xreplace(real) for e in (expr, var, result))
    try:
        expected = sp.diff(expr_r, var_r)
    except (AttributeError, TypeError, ValueError) as e:
        raise DerivationError(
            f"cannot check the steps for {expr} with respect to {var}: sympy.diff fails ({e})"
        ) from e
    try:
        proof = _numeric_compare(ours, expected, seed, points)
    except _Mismatch as e:
        raise DerivationError(
            f"the step-by-step derivative of {expr} with respect to {var} disagrees with "
            f"sympy.diff (seed {seed}) " + e.describe("steps", result, "sympy.diff", expected)
        ) from None
    if proof is not None and proof.ok:
        return f"numeric: agrees with sympy.diff at {proof.points} random points (seed {seed})"
    difference = ours - expected
    if not difference.has(sp.Integral):  # doit() would try to integrate
        difference = difference.doit()
    if difference == 0 or sp.expand(difference) == 0:
        return "symbolic: equal to sympy.diff after expansion"
    simplified = bounded_simplify(difference, timeout=20)
    if not simplified.timed_out and simplified.value == 0:
        return "symbolic: equal to sympy.diff after simplify"
    raise DerivationError(
        f"could not confirm the step-by-step derivative of {expr} with respect to {var}:\n"
        f"  steps: {result}\n  sympy: {expected}\n"
        f"  no evaluable point among {points} (seed {seed}) and simplify did not reach 0"
    )


def check_step(result: sp.Expr, expr: sp.Expr, var: sp.Symbol, rule: str, seed: int = 0) -> None:
    """Raise DerivationError unless the closing step ``expr`` equals the derivative ``result``."""
    real = _realify(sp.Tuple(result, expr, var))
    a, b = (mlf.to_elementary(e.xreplace(real)) for e in (expr, result))
    try:
        proof = _numeric_compare(a, b, seed, 5)
    except _Mismatch as e:
        raise DerivationError(
            f"the step {rule!r} is not equal to the derivative "
            + e.describe("step", expr, "derivative", result)
        ) from None
    if proof is None or not proof.ok:
        difference = sp.simplify((a - b).doit())
        if difference != 0:
            raise DerivationError(
                f"the step {rule!r} ({expr}) is not equal to the derivative {result}"
            )
