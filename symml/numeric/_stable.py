"""Rewrite the textbook shapes that lose precision or overflow in floating point.

:func:`stabilize` turns ``1 - sigmoid(x)``, ``sigmoid(x)(1 - sigmoid(x))``, ``1 - tanh(x)^2``,
``log(1 + e^x)``, ``1 + erf(u)`` and their kin into equal expressions that the stable
printers evaluate without cancellation or overflow. The two helpers it may introduce,
``_dsigmoid`` and ``_sech2``, are printed by name (``_print__dsigmoid``), so no printer
imports them.
"""

from __future__ import annotations

import sympy as sp
from sympy.matrices.expressions import MatrixExpr

from symml import functions as F

__all__ = ["stabilize"]


class _dsigmoid(sp.Function):
    """sigmoid(x) * sigmoid(-x) = e/(1+e)^2 with e = exp(-|x|): no cancellation."""

    nargs = 1


class _sech2(sp.Function):
    """1 - tanh(x)^2 = 4e/(1+e)^2 with e = exp(-2|x|): no cancellation, no overflow."""

    nargs = 1


def stabilize(expr: sp.Basic) -> sp.Basic:
    """Rewrite textbook shapes that lose precision or overflow in floating point.

    The rewrites are identities: ``1/(1+e^{-u}) -> sigmoid(u)``, ``log(1+e^u) ->
    softplus(u)``, ``log(sigmoid(u)) -> log_sigmoid(u)``, ``1 - sigmoid(u) -> sigmoid(-u)``,
    ``sigmoid(u) sigmoid(-u) -> sigmoid'(u)``, ``1 - tanh(u)^2 -> sech(u)^2``.

    Examples:
        >>> x = sp.Symbol("x", real=True)
        >>> stabilize(sp.log(1 + sp.exp(x)))
        softplus(x)
        >>> stabilize(sp.diff(F.sigmoid(x), x))
        _dsigmoid(x)
    """
    if not isinstance(expr, sp.Basic) or expr.is_Atom:
        return expr
    args = [stabilize(a) for a in expr.args]
    if isinstance(expr, (sp.Sum, sp.Product, sp.Indexed, sp.IndexedBase)) or isinstance(
        expr, MatrixExpr
    ):
        new = expr.func(*args) if args != list(expr.args) else expr
        return new
    new = expr.func(*args) if args != list(expr.args) else expr
    return _stabilize_node(new)


def _stabilize_node(e: sp.Basic) -> sp.Basic:
    if e.is_Pow and e.exp.is_Integer and e.exp < 0:
        u = F.one_plus_exp(e.base)
        if u is not None:
            return F.sigmoid(-u) ** (-e.exp)
    if isinstance(e, sp.log):
        inner = e.args[0]
        u = F.one_plus_exp(inner)
        if u is not None:
            return F.softplus(u)
        if isinstance(inner, F.sigmoid):
            return F.log_sigmoid(inner.args[0])
        agg = F.sum_of_exp(inner)
        if agg is not None:
            z, _, k = agg
            return F.logsumexp(z, k)
    if e.is_Add:
        pair = _exp_pair(e)
        if pair is not None:
            return pair
        terms = list(e.args)
        erfc_form = _erf_to_erfc(terms)
        if erfc_form is not None:
            return erfc_form
        if sp.S.One in terms:
            for t in terms:
                neg = -t
                if isinstance(neg, F.sigmoid):
                    terms.remove(sp.S.One)
                    terms.remove(t)
                    return _stabilize_node(sp.Add(F.sigmoid(-neg.args[0]), *terms))
                if neg.is_Pow and isinstance(neg.base, sp.tanh) and neg.exp == 2:
                    terms.remove(sp.S.One)
                    terms.remove(t)
                    return sp.Add(_sech2(neg.base.args[0]), *terms)
    if e.is_Mul:
        return _stabilize_mul(e)
    return e


def _erf_to_erfc(terms: list[sp.Basic]) -> sp.Basic | None:
    """c + c erf(u) -> 2c Phi(sqrt2 u), c - c erf(u) -> 2c Phi(-sqrt2 u): no cancellation."""
    consts = [t for t in terms if t.is_Rational and t != 0]
    if len(consts) != 1:
        return None
    c0 = consts[0]
    for t in terms:
        c, f = t.as_coeff_Mul()
        if isinstance(f, sp.erf) and abs(c) == abs(c0):
            rest = [r for r in terms if r is not t and r is not c0]
            # c (1 + erf(u)) = 2c Phi(sqrt2 u); SymPy would turn erfc(-u) back into 2 - erfc(u)
            u = f.args[0] if c == c0 else -f.args[0]
            return sp.Add(2 * c0 * F.normal_cdf(sp.sqrt(2) * u), *rest)
    return None


def _exp_pair(e: sp.Add) -> sp.Basic | None:
    """exp(u) - exp(-u) -> 2 sinh(u) (no cancellation near 0), exp(u) + exp(-u) -> 2 cosh(u)."""
    if len(e.args) != 2:
        return None
    (ca, a), (cb, b) = (t.as_coeff_Mul() for t in e.args)
    if not (isinstance(a, sp.exp) and isinstance(b, sp.exp)) or abs(ca) != abs(cb):
        return None
    if sp.expand(a.args[0] + b.args[0]) != 0:
        return None
    u = a.args[0] if _canonical_sign(a.args[0]) else b.args[0]
    cu = ca if a.args[0] == u else cb
    if ca == cb:
        return 2 * ca * sp.cosh(u)
    return 2 * cu * sp.sinh(u)


def _stabilize_mul(e: sp.Mul) -> sp.Basic:
    powers: dict[sp.Basic, sp.Basic] = {}
    for f in e.args:
        base, ex = (f.base, f.exp) if f.is_Pow else (f, sp.S.One)
        powers[base] = powers.get(base, sp.S.Zero) + ex
    for base in list(powers):  # exp(z[i]) / Sum(exp(z[j])) -> softmax(z, i, K)
        agg = F.sum_of_exp(base)
        if agg is None or powers[base] != -1:
            continue
        z, _, k = agg
        for top in list(powers):
            arg = top.args[0] if isinstance(top, sp.exp) else None
            if (
                powers.get(top) == 1
                and isinstance(arg, sp.Indexed)
                and arg.base == z
                and len(arg.indices) == 1
            ):
                del powers[base], powers[top]
                sm = F.softmax(z, arg.indices[0], k)
                powers[sm] = powers.get(sm, sp.S.Zero) + 1
                break
    changed = True
    while changed:
        changed = False
        for base in list(powers):
            ex = powers.get(base, sp.S.Zero)
            if isinstance(base, sp.exp) and ex == 1:  # e^u * sigmoid(-u) = sigmoid(u)
                partner = F.sigmoid(-base.args[0])
                if _positive_int(powers.get(partner, sp.S.Zero)):
                    del powers[base]
                    powers[partner] -= 1
                    target = F.sigmoid(base.args[0])
                    powers[target] = powers.get(target, sp.S.Zero) + 1
                    changed = True
                    break
            if isinstance(base, F.sigmoid) and _positive_int(ex):
                partner = F.sigmoid(-base.args[0])
                pex = powers.get(partner, sp.S.Zero)
                if _positive_int(pex):
                    k = min(ex, pex)
                    powers[base] -= k
                    powers[partner] -= k
                    d = _dsigmoid(base.args[0] if _canonical_sign(base.args[0]) else -base.args[0])
                    powers[d] = powers.get(d, sp.S.Zero) + k
                    changed = True
                    break
    for base in list(powers):  # sinh(u)/cosh(u) -> tanh(u), cosh(u)^-2 -> sech(u)^2
        if isinstance(base, sp.sinh) and powers[base] == 1:
            c = sp.cosh(base.args[0])
            if powers.get(c, sp.S.Zero) == -1:
                del powers[base], powers[c]
                t = sp.tanh(base.args[0])
                powers[t] = powers.get(t, sp.S.Zero) + 1
    for base in list(powers):
        if isinstance(base, sp.cosh) and powers[base] == -2:
            del powers[base]
            powers[_sech2(base.args[0])] = sp.S.One
    return sp.Mul(*[b**x for b, x in powers.items() if x != 0])


def _positive_int(e: sp.Basic) -> bool:
    return bool(e.is_Integer and e >= 1)


def _canonical_sign(u: sp.Basic) -> bool:
    return not u.could_extract_minus_sign()
