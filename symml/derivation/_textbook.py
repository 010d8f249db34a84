"""Textbook forms: a derivative written in terms of the function it came from.

Two passes, both algorithms (no table keyed by formula name):

* :func:`recognize` rewrites known ML forms inside any expression into symml's functions:
  ``1/(1 + e^{-u})`` -> ``sigmoid(u)``, ``e^{u}/(1 + e^{u})`` -> ``sigmoid(u)``,
  ``log(1 + e^{u})`` -> ``softplus(u)``, ``e^{z_i}/\\sum_j e^{z_j}`` -> ``softmax(z, i, K)``,
  ``log \\sum_j e^{z_j}`` -> ``logsumexp(z, K)``, ``Max(0, u)`` -> ``relu(u)``.
* :func:`eliminate` expresses a derivative ``D(x)`` of ``f(x) = E(x)`` through ``s = f(x)``:
  it picks a building block ``b`` of ``E`` (an exponential, or ``x`` itself), writes ``E``
  and ``D`` as functions of ``t = b`` (sums over an index become opaque symbols), solves
  ``s = E(t)`` for ``t``, substitutes, simplifies, and keeps the result if it no longer
  mentions ``x``. For ``sigma = 1/(1+e^{-x})`` this finds ``s(1 - s)``; for
  ``(1 - e^{-2x})/(1 + e^{-2x})`` it finds ``1 - s^2``; for softmax ``s_i(delta_ij - s_j)``.

:func:`textbook_form` runs both and keeps the shortest candidate (elimination wins ties,
since it speaks of the formula's own function). Every candidate returned here is checked
numerically against ``D``; ``symml.derivation._derive`` checks the final choice again.

Examples:
    >>> import sympy
    >>> from symml.derivation._textbook import textbook_form
    >>> x = sympy.Symbol("x", real=True)
    >>> f = sympy.Function("f")(x)
    >>> E = (1 - sympy.exp(-2*x)) / (1 + sympy.exp(-2*x))
    >>> textbook_form(sympy.diff(E, x), E, f, x)
    1 - f(x)**2
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import sympy as sp

from symml.equality import prove_numeric
from symml.errors import SymmlTimeout
from symml.functions import (
    logsumexp,
    one_plus_exp,
    relu,
    sigmoid,
    softmax,
    softplus,
    sum_of_exp,
    to_elementary,
)
from symml.workers import SOLVE_TIMEOUT, run_bounded

__all__ = ["arrange", "eliminate", "prettify", "recognize", "textbook_form"]


# --- recognition -----------------------------------------------------------------------


def _recognize_node(e: sp.Basic) -> sp.Basic:
    if isinstance(e, sp.Pow) and e.exp.is_negative:
        a = one_plus_exp(e.base)
        if a is not None:
            return sigmoid(-a) ** (-e.exp)
        agg = sum_of_exp(e.base)
        if agg is not None:
            return e  # handled at the Mul level (softmax needs the numerator)
    if isinstance(e, sp.log):
        a = one_plus_exp(e.args[0])
        if a is not None:
            return softplus(a)
        agg = sum_of_exp(e.args[0])
        if agg is not None:
            z, _, hi = agg
            return logsumexp(z, hi)
    if isinstance(e, sp.Max) and len(e.args) == 2 and sp.S.Zero in e.args:
        other = e.args[0] if e.args[1] == 0 else e.args[1]
        return relu(other)
    if isinstance(e, sp.Mul):
        return _recognize_mul(e)
    return e


def _recognize_mul(e: sp.Mul) -> sp.Expr:
    factors = list(e.args)
    changed = True
    while changed:
        changed = False
        # exp(a) * sigmoid(-a)**k -> sigmoid(a) * sigmoid(-a)**(k-1)
        for n, f in enumerate(factors):
            if not isinstance(f, sp.exp):
                continue
            a = f.args[0]
            for m, g in enumerate(factors):
                base, k = g.as_base_exp()
                if isinstance(base, sigmoid) and base.args[0] == -a and k.is_positive:
                    factors[n] = sigmoid(a)
                    factors[m] = base ** (k - 1)
                    changed = True
                    break
            if changed:
                break
            # exp(z[i]) / Sum(exp(z[j]), (j, 1, K)) -> softmax(z, i, K)
            if isinstance(a, sp.Indexed) and len(a.indices) == 1:
                for m, g in enumerate(factors):
                    base, k = g.as_base_exp()
                    agg = sum_of_exp(base)
                    if agg and agg[0] == a.base and k.is_negative:
                        factors[n] = softmax(a.base, a.indices[0], agg[2])
                        factors[m] = base ** (k + 1)
                        changed = True
                        break
            if changed:
                break
    result = sp.Mul(*factors)
    # sigmoid(-a) next to sigmoid(a) reads as 1 - sigmoid(a)
    args = {s.args[0] for s in result.atoms(sigmoid)}
    flips = {sigmoid(a): 1 - sigmoid(-a) for a in args if -a in args and _is_negated(a)}
    return result.xreplace(flips) if flips else result


def _is_negated(a: sp.Expr) -> bool:
    return a.could_extract_minus_sign()


def recognize(expr: sp.Expr) -> sp.Expr:
    """Rewrite known ML forms into symml functions (``1/(1+e^{-u})`` -> ``sigmoid(u)``, ...).

    Examples:
        >>> import sympy
        >>> x = sympy.Symbol("x")
        >>> recognize(sympy.exp(-x) / (1 + sympy.exp(-x))**2)
        (1 - sigmoid(x))*sigmoid(x)
        >>> recognize(sympy.log(1 + sympy.exp(x)))
        softplus(x)
    """
    out = sp.sympify(expr)
    for _ in range(3):  # a rewrite may expose another (sigmoid**2 * exp -> sigmoid*(1-sigmoid))
        new = out.replace(
            lambda e: isinstance(e, (sp.Pow, sp.log, sp.Max, sp.Mul)), _recognize_node
        )
        if new == out:
            break
        out = new
    return out


# --- elimination -----------------------------------------------------------------------


def _aggregates(expr: sp.Expr, var: sp.Basic) -> list[sp.Expr]:
    """Sums over an index that mention ``var``'s base: held fixed as opaque symbols."""
    base = var.base if isinstance(var, sp.Indexed) else None
    if base is None:
        return []
    return sorted((s for s in expr.atoms(sp.Sum) if s.has(base)), key=sp.default_sort_key)


def _blocks(definition: sp.Expr, var: sp.Basic) -> list[sp.Expr]:
    """Building blocks to solve for: exponentials of ``var``, then ``var`` itself."""
    base = var.base if isinstance(var, sp.Indexed) else var
    exps = [
        e
        for e in definition.atoms(sp.exp)
        if e.has(base) and not any(isinstance(a, sp.Sum) for a in sp.preorder_traversal(e))
    ]
    exps.sort(key=lambda e: (sp.count_ops(e), sp.default_sort_key(e)))
    return [*exps, var] if not isinstance(var, sp.Indexed) else exps


def _index_copies(block: sp.Expr, derivative: sp.Expr, var: sp.Basic) -> list[dict]:
    """For an indexed block like exp(z[i]), the index renamings that occur in ``derivative``."""
    if not isinstance(var, sp.Indexed):
        return [{}]
    own = [a for a in block.atoms(sp.Indexed) if a.base == var.base]
    if len(own) != 1 or len(own[0].indices) != 1:
        return []
    idx = own[0].indices[0]
    seen = {a.indices[0] for a in derivative.atoms(sp.Indexed) if a.base == var.base}
    return [{idx: other} for other in sorted(seen, key=sp.default_sort_key)]


def eliminate(
    derivative: sp.Expr,
    definition: sp.Expr,
    var: sp.Basic,
    *,
    timeout: float = SOLVE_TIMEOUT,
) -> list[tuple[sp.Expr, sp.Symbol]]:
    """Candidate forms of ``derivative`` in ``s = definition``, free of ``var``.

    Returns a list of ``(form, s)``: ``form`` uses the Dummy ``s``; for an indexed family
    it uses ``_s_<n>(idx)``, ``s`` at the index ``idx`` (see ``textbook_form``).
    Every candidate has passed a numeric check against ``derivative``.
    """
    E = to_elementary(definition)
    base = var.base if isinstance(var, sp.Indexed) else var
    s = sp.Dummy("s")
    t = sp.Dummy("t")
    aggs = _aggregates(E, var)
    agg_syms = {a: sp.Dummy(f"A{n}") for n, a in enumerate(aggs)}
    E_a = E.xreplace(agg_syms)
    D = to_elementary(derivative)
    variants = [D]
    if D.has(*_HYPERBOLIC):  # hyperbolic/trig forms hide the exponentials E is built from
        variants.append(D.rewrite(sp.exp))
    found: list[tuple[sp.Expr, sp.Symbol]] = []
    for block in _blocks(E_a, var):
        E_t = E_a.subs(block, t)
        if E_t.has(base):
            continue
        try:
            # check=False: SymPy's own check of each root cost up to 40x the solve itself,
            # and every candidate is checked numerically against D below anyway.
            sols = run_bounded(sp.solve, sp.Eq(s, E_t), t, check=False, timeout=timeout)
        except (SymmlTimeout, NotImplementedError, ValueError):
            continue
        sols = [r for r in sols if not r.has(sp.zoo, sp.oo, -sp.oo, sp.nan)]
        for D_v in variants:
            form = _solution_form(D_v.xreplace(agg_syms), block, t, s, sols, var, E, D, timeout)
            if form is not None and not form.has(base, *agg_syms.values()):
                found.append((form, s))
    return found


_HYPERBOLIC = (sp.sinh, sp.cosh, sp.tanh, sp.sech, sp.csch, sp.coth)


def _solution_form(D_a, block, t, s, sols, var, E, D, timeout) -> sp.Expr | None:
    """``D`` with ``block`` replaced by the first solution ``t(s)`` that checks out."""
    for sol in sols:
        if isinstance(var, sp.Indexed):
            subs = {
                block.xreplace(ren): sol.xreplace({s: _s_at(s, ren)})
                for ren in _index_copies(block, D_a, var)
            }
            form = D_a.subs(subs)
        else:
            form = D_a.subs(block, t).subs(t, sol)
        form = _simplify(form, timeout)
        if form is None or form.has(t):
            continue
        if _numerically_equal(form, s, E, D, var):
            return form
    return None


def _s_at(s: sp.Symbol, ren: dict) -> sp.Expr:
    """``s`` at another index: a Function of the index so that renamings stay symbolic."""
    if not ren:
        return s
    (idx,) = ren.values()
    return sp.Function(f"_s_{s.dummy_index}")(idx)


def _simplify(expr: sp.Expr, timeout: float) -> sp.Expr | None:
    try:
        out = run_bounded(sp.simplify, expr, timeout=timeout)
        return run_bounded(sp.factor, out, timeout=timeout)
    except SymmlTimeout:
        return None


def _numerically_equal(form, s, E, D, var) -> bool:
    """Spot-check ``form(s = E) == D`` (the branch ``solve`` chose); not the final proof."""
    back = form.subs(s, E)
    if isinstance(var, sp.Indexed):
        back = back.replace(
            lambda e: (
                isinstance(e, sp.core.function.AppliedUndef)
                and e.func.__name__ == f"_s_{s.dummy_index}"
            ),
            lambda e: E.xreplace({_family_index(E, var): e.args[0]}),
        )
    return prove_numeric(to_elementary(back), to_elementary(D)).ok is True


def prettify(expr: sp.Expr) -> sp.Expr:
    """The shorter of the factored and expanded forms; a leading minus moves into a
    difference (``-s(s-1)`` -> ``s(1-s)``).

    Examples:
        >>> import sympy
        >>> s = sympy.Symbol("s")
        >>> prettify(s - s**2)
        s*(1 - s)
        >>> prettify(-(s - 1)*(s + 1))
        1 - s**2
    """
    factored = sp.factor(expr)
    expanded = sp.expand(expr)
    coeff, factors = factored.as_coeff_mul()
    adds = [f for f in factors if isinstance(f, sp.Add)]
    # differences that read better flipped (s - 1 -> 1 - s): flip them in pairs, and an
    # odd one out together with a negative coefficient, so the sign is unchanged
    flip = [f for f in adds if f.as_coeff_Add()[0].is_negative]
    if len(flip) % 2 and not coeff.is_negative:
        flip = flip[:-1]
    if len(flip) % 2:
        coeff = -coeff
    if flip:
        factored = sp.Mul(coeff, *[(-f if f in flip else f) for f in factors])
    return expanded if _size(expanded) < _size(factored) else factored


def arrange(expr: sp.Expr) -> sp.Expr:
    """For printing only: plain factors before parenthesised ones, ``s(1 - s)`` not
    ``(1 - s)s``. The product is unevaluated; print it with ``latex(..., order="none")``.
    """

    def order(e: sp.Mul) -> sp.Expr:
        def paren(f: sp.Expr) -> bool:
            return isinstance(f.as_base_exp()[0], sp.Add) and not f.as_base_exp()[1].is_negative

        factors = list(e.args)
        lead = [f for f in factors if f.is_Number]
        plain = [f for f in factors if not f.is_Number and not paren(f)]
        parens = [f for f in factors if paren(f)]
        if not parens or not plain:
            return e
        return sp.Mul(*lead, *plain, *parens, evaluate=False)

    return expr.replace(lambda e: isinstance(e, sp.Mul), order)


# --- levels of sums ---------------------------------------------------------------------


def map_levels(expr: sp.Expr, fn: Callable[[sp.Expr], sp.Expr]) -> sp.Expr:
    """Apply ``fn`` to every level of ``expr`` separately, sums at each level as atoms.

    A gradient over samples nests sums (``Sum_i g(Sum_k w_k x_ik) x_ij``); rewriting it as
    one expression drowns SymPy. Here ``fn`` sees each summand with its inner sums
    replaced by symbols, factors free of the summation index leave the sum, and a
    summand that reads better negated takes the minus outside.
    """
    if isinstance(expr, sp.Sum):
        expr = _plain_bound_names(expr)
        idx = [lim[0] for lim in expr.limits]
        body = map_levels(expr.function, fn)
        outside, inside = body.as_independent(*idx, as_Add=False)
        if inside == 1:
            return body * sp.Mul(*[(hi - lo + 1) for _, lo, hi in expr.limits])
        if inside.could_extract_minus_sign():
            outside, inside = -outside, -inside
        return outside * sp.Sum(inside, *expr.limits)
    outer = _outer_sums(expr)
    if not outer:
        return fn(expr)
    done = {s: map_levels(s, fn) for s in outer}
    atoms = {s: sp.Dummy("S", real=True) for s in outer}
    out = fn(expr.xreplace(atoms))
    return out.xreplace({atoms[s]: done[s] for s in outer})


def _plain_bound_names(s: sp.Sum) -> sp.Sum:
    """Machine-made summation indices (``_i_2``) get a plain name (``k``), the same one in
    every sum where it is free to use, so that equal inner sums compare equal."""
    taken = {a.name for a in s.atoms(sp.Symbol)}
    renames = {}
    for var, _, _ in s.limits:
        if not (isinstance(var, sp.Dummy) or var.name.startswith("_")):
            continue
        for name in ("k", "l", "p", "q", "r", "u", "v", "a", "c"):
            if name not in taken:
                taken.add(name)
                renames[var] = sp.Symbol(name, integer=True)
                break
    return s.xreplace(renames) if renames else s


def _outer_sums(expr: sp.Basic) -> list[sp.Sum]:
    if isinstance(expr, sp.Sum):
        return [expr]
    found: list[sp.Sum] = []
    for a in expr.args:
        for s in _outer_sums(a):
            if s not in found:
                found.append(s)
    return found


def recognize_deep(expr: sp.Expr) -> sp.Expr:
    """:func:`recognize` at every level of sums, after splitting fractions in ``e^u``.

    ``((y-1)e^t + y)/(e^t + 1)`` becomes ``y - sigmoid(t)``: the summand is written as a
    polynomial plus partial fractions in ``e^{t}`` (and in ``e^{-t}``), each candidate is
    recognised, and the shortest wins.

    Examples:
        >>> import sympy
        >>> t, y = sympy.symbols("t y")
        >>> recognize_deep(((y - 1)*sympy.exp(t) + y) / (sympy.exp(t) + 1))
        y - sigmoid(t)
    """
    return _push_sign(map_levels(expr, _best_local))


def _push_sign(expr: sp.Expr) -> sp.Expr:
    """``-c Sum((y - s) x)`` -> ``c Sum((s - y) x)``: a minus moves into the one difference."""
    if isinstance(expr, sp.Add):
        return sp.Add(*[_push_sign(a) for a in expr.args])
    if not isinstance(expr, sp.Mul):
        return expr
    coeff, factors = expr.as_coeff_mul()
    if not coeff.is_negative:
        return expr
    for n, f in enumerate(factors):
        flipped = _negate_inside(f)
        if flipped is not None:
            rest = list(factors)
            rest[n] = flipped
            return sp.Mul(-coeff, *rest)
    return expr


def _negate_inside(f: sp.Expr) -> sp.Expr | None:
    """``-f`` written without a leading minus, if ``f`` has one difference to flip."""
    if isinstance(f, sp.Add):
        return -f
    if isinstance(f, sp.Sum):
        inner = _negate_inside(f.function)
        return sp.Sum(inner, *f.limits) if inner is not None else None
    if isinstance(f, sp.Mul):
        adds = [g for g in f.args if isinstance(g, (sp.Add, sp.Sum))]
        if len(adds) == 1:
            inner = _negate_inside(adds[0])
            if inner is not None:
                return sp.Mul(*[inner if g is adds[0] else g for g in f.args])
    return None


def _best_local(expr: sp.Expr) -> sp.Expr:
    candidates = [expr]
    for e in sorted(expr.atoms(sp.exp), key=sp.default_sort_key)[:4]:
        u = sp.Dummy("u", positive=True)
        for block in (e, sp.exp(-e.args[0])):
            form = expr.subs(block, u)
            if form.has(e.args[0]) and not form.free_symbols.isdisjoint(e.args[0].free_symbols):
                continue
            if not form.is_rational_function(u):
                continue
            try:
                split = sp.apart(sp.together(form), u)
            except (sp.PolynomialError, NotImplementedError):
                continue
            candidates.append(split.subs(u, block))
    return min((_pretty_or_same(recognize(c)) for c in candidates), key=_size)


# --- choice ----------------------------------------------------------------------------


def _size(expr: sp.Expr) -> int:
    return int(sp.count_ops(expr, visual=False)) + len(list(sp.preorder_traversal(expr))) // 100


def textbook_form(
    derivative: sp.Expr,
    definition: sp.Expr | None,
    value: sp.Expr | None,
    var: sp.Basic,
    *,
    alternatives: Iterable[sp.Expr] = (),
    solve_timeout: float = SOLVE_TIMEOUT,
) -> sp.Expr:
    """The shortest of: ``derivative`` with ML forms recognised, and its eliminations.

    Args:
        derivative: the derivative, any form.
        definition: ``E`` in ``f(x) = E``, or None when the input defines no function.
        value: what ``f(x)`` should print as (``sigma(x)``, ``f(x)``, ``softmax(z, i, K)``);
            for indexed families, ``value`` carries the family's free index.
        var: the variable (a Symbol or an Indexed component).
        alternatives: other forms of the same derivative to start from (the unsimplified
            one keeps the exponentials that the definition is built from).
        solve_timeout: the bound for each solve/simplify.

    Returns:
        An expression equal to ``derivative`` (spot-checked here, proved by the caller).
    """
    starts = [derivative, *alternatives]
    best = min((recognize_deep(d) for d in starts), key=_size)
    if definition is None or value is None:
        return best
    base = var.base if isinstance(var, sp.Indexed) else var
    if not value.has(base):
        return best  # f(x) differentiated in a parameter: not a function of the variable
    for start in starts:
        for form, s in eliminate(start, definition, var, timeout=solve_timeout):
            candidate = _apply_value(form, s, value, definition, var)
            if candidate is None:
                continue
            candidate = _pretty_or_same(candidate)
            if _size(candidate) <= _size(best):
                best = candidate
    return best


def _pretty_or_same(expr: sp.Expr) -> sp.Expr:
    if _size(expr) > 80:  # textbook forms are short; factoring a large one is slow
        return expr
    pretty = prettify(expr)
    return pretty if _size(pretty) <= _size(expr) else expr


def _apply_value(form, s, value, definition, var) -> sp.Expr | None:
    """Replace ``s`` (and ``s`` at other indices) by ``value`` at those indices."""
    out = form.subs(s, value)
    indexed = [f for f in out.atoms(sp.Function) if f.func.__name__ == f"_s_{s.dummy_index}"]
    if indexed:
        own = _family_index(definition, var)
        if own is None:
            return None
        out = out.xreplace({f: value.xreplace({own: f.args[0]}) for f in indexed})
    return out


def _family_index(definition: sp.Expr, var: sp.Basic) -> sp.Symbol | None:
    """The free index ``i`` of an indexed family like ``exp(z[i]) / sum_j exp(z[j])``."""
    if not isinstance(var, sp.Indexed):
        return None
    free = {
        a.indices[0]
        for a in definition.atoms(sp.Indexed)
        if a.base == var.base and len(a.indices) == 1 and a.indices[0] in definition.free_symbols
    }
    return free.pop() if len(free) == 1 else None


def free_of(expr: sp.Expr, names: Iterable[sp.Basic]) -> bool:
    """True if ``expr`` mentions none of ``names`` (used by tests)."""
    return not any(expr.has(n) for n in names)
