"""Are two sides of a document's formula equal? Symbolically when cheap, else by sampling.

:func:`compare` answers True, False (always with a numeric counterexample: the point,
both values, the seed) or None with the reason it cannot decide (undefined functions,
matrices, unevaluated calculus). Sums are written out at two lengths so that an identity
true for one length only is not passed. Also the evaluation helpers the property and
range checks of :mod:`symml.documents._claims` sample with.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from symml.equality import Purpose, prove_numeric

__all__ = ["SAMPLES", "SEED", "SIMPLIFY_OPS", "compare"]


#: Points sampled for a numeric comparison (half at each length of the sums).
SAMPLES = 12
SEED = 0
#: Differences larger than this (in SymPy operations) are compared numerically only.
SIMPLIFY_OPS = 40
#: Draws of a point until the formula is real there (its logs, roots and arcsines).
REDRAWS = 20


def short(expr: Any, limit: int = 80) -> str:
    import sympy as sp

    text = sp.sstr(expr)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def free_names(value: Any) -> set[str]:
    """Names of the unknowns: symbols, and the bases of indexed entries (``x`` of ``x[i]``)."""
    import sympy as sp

    if not isinstance(value, sp.Basic):
        return set()
    names = {str(s) for s in value.free_symbols if isinstance(s, sp.Symbol)}
    bound = set()
    for node in value.atoms(sp.Sum, sp.Product, sp.Integral):
        bound |= {str(limit[0]) for limit in node.limits}
    names |= {str(ix.base.label) for ix in value.atoms(sp.Indexed)}
    return names - bound


def compare(
    a: Any, b: Any, seed: int = SEED, simplex: frozenset = frozenset()
) -> tuple[bool | None, str]:
    """Are ``a`` and ``b`` equal? See :func:`_compare`; SymPy's refusals become a reason.

    ``simplex`` names the vectors the document declares distributions (``p`` of ``p_i``):
    their entries are sampled positive and summing to 1.
    """
    import sympy as sp

    try:
        verdict, detail = _compare(a, b, seed, simplex)
        if verdict is False:
            # softmax cross-entropy's gradient p - y needs sum(y) = 1 (a one-hot target):
            # a claim that holds once a vector is a distribution is not refuted
            for name in _vectors_of(a, b) - simplex:
                if _compare(a, b, seed, simplex | {name})[0] is True:
                    return None, (
                        f"holds if {name} sums to 1 (a distribution, a one-hot vector); not "
                        f"refuted ({detail}); -s {name}=simplex declares it"
                    )
        return verdict, detail
    except (
        TypeError,
        ValueError,
        AttributeError,
        NotImplementedError,
        KeyError,
        IndexError,
        RecursionError,
        ZeroDivisionError,
        sp.ShapeError,
    ) as e:
        return None, f"SymPy cannot compare the sides ({type(e).__name__}: {e})"


def _vectors_of(a: Any, b: Any) -> frozenset:
    import sympy as sp

    return frozenset(
        str(ix.base.label) for e in (a, b) if isinstance(e, sp.Basic) for ix in e.atoms(sp.Indexed)
    )


def _compare(a, b, seed: int = SEED, simplex: frozenset = frozenset()) -> tuple[bool | None, str]:
    """Are ``a`` and ``b`` equal? (True | False | None, how or why not).

    True when their difference simplifies to 0 or when they agree at every sampled point;
    False only with a numeric counterexample; None when neither can be decided (undefined
    functions, matrices, expectations).
    """
    import numpy as np
    import sympy as sp
    from sympy.core.function import AppliedUndef

    a, b = _evaluate(a), _evaluate(b)
    diff = a - b
    undefined_here = bool(diff.atoms(AppliedUndef))
    # simplify is the slow part: only for small differences, or where sampling cannot help
    ops = sp.count_ops(diff)
    small = ops <= SIMPLIFY_OPS and not diff.has(sp.Sum, sp.Product)
    # with undefined functions only simplify can decide; a large one is left undecided
    # rather than simplified for the whole time bound (ELBO derivations)
    if small or (undefined_here and ops <= 2 * SIMPLIFY_OPS):
        try:
            if sp.simplify(diff) == 0:
                return True, "symbolically"
        except (TypeError, ValueError, NotImplementedError, AttributeError, StopIteration):
            # not decided symbolically (sum_simplify can raise StopIteration): the
            # numeric comparison below decides
            pass
    undefined = sorted({f.func.__name__ for f in diff.atoms(AppliedUndef)})
    if undefined:
        return None, f"{', '.join(undefined)} not defined (in the document or the registry)"
    if diff.atoms(sp.MatrixSymbol) or diff.has(sp.Derivative) or diff.has(sp.Integral):
        return None, "matrix or unevaluated calculus: no numeric comparison"
    rng = np.random.default_rng(seed)
    integers = [k for k, v in sample_point(diff, rng).items() if isinstance(v, int)]
    # integers (sum bounds, indices) take two sizes, so that an identity true for one
    # length only is not passed; each size expands the sums once
    agree, how = 0, []
    for size in (3, 4) if integers else (None,):
        fixed = {k: sp.Integer(size) for k in integers}
        verdict, detail, count = _sample_equal(a, b, fixed, rng, seed, simplex)
        if verdict is not True:
            return verdict, detail
        agree += count
        how.append(detail)
    if all(h == "written out" for h in how):
        return True, "symbolically, once the sums are written out (lengths 3 and 4)"
    fixed = {k: sp.Integer(3) for k in integers}
    verdict, detail, _ = _sample_equal(
        a, b, fixed, np.random.default_rng(seed + 1), seed + 1, simplex, wide=True
    )
    if verdict is False:
        # max(0, x) = x, d/dx |x| = 1: true in (0.1, 0.9), where texts' unknowns were drawn
        # (probabilities, rates), false for negative values; not verified, not refuted
        return None, (
            f"holds for values in (0.1, 0.9) but not {detail}: true only for some values "
            "(it holds where the text restricts them, as x > 0, if it does)"
        )
    return True, f"numerically at {agree} points (seed {seed})"


def _sample_equal(
    a, b, fixed: dict, rng, seed: int, simplex: frozenset = frozenset(), wide: bool = False
) -> tuple[bool | None, str, int]:
    """Compare at random points once the integers are ``fixed``: (verdict, detail, points).

    The unknowns are drawn in (0.1, 0.9); with ``wide``, those named by a Latin letter in
    (-4, 4), both signs.
    """
    import sympy as sp

    try:
        a, b = a.xreplace(fixed).doit(), b.xreplace(fixed).doit()
    except (TypeError, ValueError, NotImplementedError, AttributeError, ZeroDivisionError):
        return None, "could not expand the sums for a numeric comparison", 0
    if a == b:
        return True, "written out", 0
    entries = a.atoms(sp.Indexed) | b.atoms(sp.Indexed)
    labels = {ix.base.label for ix in entries}
    free = a.free_symbols | b.free_symbols
    scalars = {s for s in free if isinstance(s, sp.Symbol) and s not in labels}
    unknowns = sorted(entries | scalars, key=str)

    constraints = domain(a) + domain(b)

    # wide: the Latin variables take both signs; Greek parameters (alpha, lambda, sigma)
    # stay in (0.1, 0.9), the rates, slopes and scales texts take positive and below 1
    widened = {u for u in unknowns if wide and _latin(u)}

    def draw() -> dict:
        point = {
            u: sp.Float(float(rng.uniform(-4.0, 4.0) if u in widened else rng.uniform(0.1, 0.9)))
            for u in unknowns
        }
        for name in simplex:  # a declared distribution: its entries on the simplex
            entries = [u for u in unknowns if isinstance(u, sp.Indexed) and str(u.base) == name]
            exact = {u: sp.Rational(point[u]) for u in entries}
            total = sum(exact.values())
            for u in entries:  # summing to 1 exactly (the 50-digit check of exact_gap)
                point[u] = exact[u] / total
        return point

    drawn = []

    def sample(_difference, rng) -> dict:
        # a point where a log, sqrt or arcsin of the formula is not real is drawn again,
        # not compared. Unknowns stay in (0.1, 0.9): probabilities, and the slopes and
        # rates that texts take below 1 unsaid (max(alpha x, x) of a leaky ReLU)
        for _ in range(REDRAWS):
            point = draw()
            if in_domain(constraints, point):
                break
        drawn.append(point)
        return point

    def value(expr, point) -> complex:
        v = _number(expr, point)
        return complex("nan") if v is None else complex(v)  # nan: skip this point

    proof = prove_numeric(
        a,
        b,
        purpose=Purpose.DOCUMENTS,
        seed=seed,
        points=SAMPLES // 2,
        attempts=SAMPLES // 2,
        minimum=3,
        sample=sample,
        evaluate=value,
        rng=rng,
    )
    if proof.ok is False:
        at = {**{str(k): v for k, v in fixed.items()}, **dict(proof.point)}
        shown = ", ".join(f"{k} = {float(v):.4g}" for k, v in at.items())
        got, expected = proof.got.real, proof.expected.real
        if not shown:  # no variable left: two numbers
            return False, f"{got:.6g} != {expected:.6g}", proof.points
        return False, f"at {shown} (seed {seed}): {got:.6g} != {expected:.6g}", proof.points
    if proof.ok is None:
        return None, "could not be evaluated at sampled points", proof.points
    gap = exact_gap(a, b, drawn)
    if gap is not None:  # m/(sqrt(v) + 10^-8) = m/sqrt(v): equal to 8 digits, not exactly
        at = {**{str(k): v for k, v in fixed.items()}, **{str(k): v for k, v in gap[0].items()}}
        shown = ", ".join(f"{k} = {float(v):.4g}" for k, v in at.items())
        where = f"at {shown}, " if shown else ""
        why = f"the sides differ by a small amount: {where}by {gap[1]:.3g} (at 50 digits)"
        return None, why, proof.points
    return True, "sampled", proof.points


def exact_gap(a: Any, b: Any, points: list, tries: int = 4) -> tuple[dict, float] | None:
    """The first of ``points`` where ``a`` and ``b`` differ at 50 digits: (point, difference).

    Decimals are read as written (``0.1`` is 1/10, not its float): ``0.99999999 x`` is not
    ``x``, and ``0.5 x`` is ``x/2``. Differences below 1e-20 of the values are noise.
    """
    import sympy as sp

    exact = {f: sp.Rational(str(f)) for f in a.atoms(sp.Float) | b.atoms(sp.Float)}
    a, b = a.xreplace(exact), b.xreplace(exact)
    for point in points[:tries]:
        at = {
            k: v if isinstance(v, sp.Rational) else sp.Rational(float(v)) for k, v in point.items()
        }
        try:
            gap = sp.N((a - b).xreplace(at), 50)
            size = sp.N(abs(b.xreplace(at)), 50) + sp.N(abs(a.xreplace(at)), 50)
            if not (gap.is_number and size.is_number):
                continue
            gap, size = abs(complex(gap)), abs(complex(size))
        except (TypeError, ValueError, AttributeError, ZeroDivisionError, OverflowError):
            continue
        if gap == gap and size == size and gap > 1e-20 * size + 1e-40:
            return point, gap
    return None


def domain(expr: Any) -> list:
    """(argument, low, high): where the logs, roots and inverse sines of ``expr`` are real."""
    import sympy as sp

    if not isinstance(expr, sp.Basic):
        return []
    out = [(f.args[0], 0, None) for f in expr.atoms(sp.log)]
    for power in expr.atoms(sp.Pow):
        exponent = power.exp
        if exponent.is_Rational and not exponent.is_Integer and exponent.q % 2 == 0:
            out.append((power.base, 0, None))  # sqrt, x^{3/2}: a non-negative base
    for f in expr.atoms(sp.asin, sp.acos, sp.atanh):
        out.append((f.args[0], -1, 1))
    return out


def in_domain(constraints: list, point: Mapping[Any, Any]) -> bool:
    """Are all the ``constraints`` met at ``point``? (one that cannot be evaluated is)"""
    for arg, low, high in constraints:
        v = _number(arg, point)
        if v is None:
            continue  # a bound variable, a sum not written out: the comparison decides
        if (low is not None and v < low) or (high is not None and v > high):
            return False
    return True


def _latin(unknown: Any) -> bool:
    """``x``, ``w_1``, ``x[2]``: a variable named by a Latin letter (not alpha or sigma_t)."""
    from symml.latex import GREEK

    name = str(getattr(unknown, "base", unknown))
    return name[:1].isascii() and name[:1].isalpha() and name.split("_")[0] not in GREEK


def _number(expr, point) -> float | None:
    """A real number, or None where ``expr`` is undefined, infinite or complex at ``point``."""
    import sympy as sp

    try:
        v = complex(sp.N(expr.xreplace(point)))
    except (TypeError, ValueError, AttributeError, ZeroDivisionError, OverflowError):
        return None
    if v != v or abs(v) == float("inf") or abs(v.imag) > 1e-9 * (1 + abs(v.real)):
        return None
    return v.real


def _evaluate(value):
    """Turn derivative notation into derivatives: ``dL/dw`` of an undefined L is L(w)'."""
    import sympy as sp

    def fix(d):
        expr = d.expr
        if isinstance(expr, (sp.Symbol, sp.Indexed)) and expr not in d.variables:
            name = (
                str(expr)
                if isinstance(expr, sp.Symbol)
                else "_".join(map(str, (expr.base.label, *expr.indices)))
            )
            expr = sp.Function(name)(*d.variables)
        return sp.Derivative(expr, *d.variable_count)

    # bound indices renamed first: d/dw_j of a sum over j must not capture the j
    value = canonical(value).replace(lambda e: isinstance(e, sp.Derivative), fix)
    try:
        return value.doit()
    except (TypeError, ValueError, NotImplementedError, AttributeError):
        return value


def sample_point(expr: Any, rng: Any) -> dict:
    """Values for the symbols and indexed entries of ``expr`` (sums cut to 3 terms)."""
    import sympy as sp

    point = {}
    bounds = set()
    for s in expr.atoms(sp.Sum, sp.Product):
        for _var, lo, hi in s.limits:
            bounds |= lo.free_symbols | hi.free_symbols
    labels = {ix.base.label for ix in expr.atoms(sp.Indexed)}
    for sym in sorted(expr.free_symbols, key=str):
        if isinstance(sym, sp.Symbol) and sym not in labels:
            point[sym] = 3 if (sym in bounds or sym.is_integer) else float(rng.uniform(0.1, 0.9))
    return point


def numeric_value(expr: Any, point: Mapping[Any, Any], rng: Any = None) -> float | None:
    """``expr`` at ``point``; indexed entries (``x[1]``) get values from ``rng`` or their name."""
    import sympy as sp

    try:
        e = expr.xreplace(
            {k: sp.Integer(v) if isinstance(v, int) else sp.Float(v) for k, v in point.items()}
        )
        e = e.doit()
        entries = {}
        for idx in sorted(e.atoms(sp.Indexed), key=str):
            if rng is not None:
                entries[idx] = sp.Float(float(rng.uniform(0.1, 0.9)))
            else:  # the same value for the same entry on both sides of a comparison
                seed = sum(ord(c) * (k + 1) for k, c in enumerate(str(idx)))
                entries[idx] = sp.Float(0.1 + (seed * 0.6180339887) % 0.8)
    except (TypeError, ValueError, AttributeError, ZeroDivisionError, OverflowError):
        return None
    return _number(e, entries)


def canonical(expr: Any) -> Any:
    """``expr`` with the bound variables of sums and integrals renamed in order of appearance."""
    import sympy as sp

    counter = iter(range(10_000))

    def rename(node):
        mapping = {}
        for limit in node.limits:
            var = limit[0]
            mapping[var] = sp.Symbol(f"_bound{next(counter)}", **var.assumptions0)
        return node.xreplace(mapping)

    try:
        return expr.replace(lambda n: isinstance(n, (sp.Sum, sp.Product, sp.Integral)), rename)
    except (TypeError, AttributeError):
        return expr
