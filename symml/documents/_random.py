"""Expectation and variance claims over abstract random variables, checked on random instances.

``\\operatorname{Var}(X) = \\mathbb{E}[X^2] - \\mathbb{E}[X]^2`` holds for every distribution
of X; :func:`compare_random` checks it on random discrete distributions (a few outcomes,
random values, Dirichlet probabilities, seeded). Random variables are the capital letters
inside ``E``, ``Var`` and ``Cov``; other symbols are constants, sampled too. With several
random variables the claim is tried with them independent and dependent: a claim that
holds only for independent ones (``E[XY] = E[X]E[Y]``) is not verified, and not refuted.

Lowercase names are random when an operator takes them alone (``Var(x_i)``, ``E[w]``),
else every name inside the operators is; sums are written out at length 3, so that
``Var(sum_i w_i x_i) = sum_i w_i^2 Var(x_i)`` is tried on x_1, x_2, x_3. The text did not
call them random variables and usually assumes more than it writes (zero means, identical
laws): a claim on them is verified or left unchecked, never refuted.
"""

from __future__ import annotations

from typing import Any

__all__ = ["OPERATORS", "compare_random", "has_random"]

#: Names of the operators on random variables (as the LaTeX parser names them).
OPERATORS = {"Expectation", "Var", "Cov", "Variance", "Covariance"}
_OUTCOMES = 4
_TRIALS = 6
#: Random variables at most; past 3, independent ones take 2 values each (64 outcomes).
_MOST = 6


def has_random(value: Any) -> bool:
    """Does ``value`` hold an expectation, a variance or a covariance?"""
    import sympy as sp
    from sympy.core.function import AppliedUndef

    if not isinstance(value, sp.Basic):
        return False
    return any(f.func.__name__ in OPERATORS for f in value.atoms(AppliedUndef))


def _random_variables(values: list) -> list:
    import sympy as sp
    from sympy.core.function import AppliedUndef

    out = set()
    for value in values:
        for f in value.atoms(AppliedUndef):
            if f.func.__name__ in OPERATORS:
                for arg in f.args:
                    out |= {
                        s
                        for s in arg.free_symbols
                        if isinstance(s, sp.Symbol) and s.name[:1].isupper()
                    }
    return sorted(out, key=str)


def _lowercase_variables(values: list) -> list:
    """Entries and symbols an operator takes alone (``Var(x_i)``), else all inside one."""
    import sympy as sp
    from sympy.core.function import AppliedUndef

    alone, inside = set(), set()
    for value in values:
        for f in value.atoms(AppliedUndef):
            if f.func.__name__ not in OPERATORS:
                continue
            for arg in f.args:
                if isinstance(arg, (sp.Symbol, sp.Indexed)):
                    alone.add(_name(arg))
                inside |= {_name(a) for a in _unknowns(arg)}
    names = alone or inside
    found = set()
    for value in values:
        found |= {a for a in _unknowns(value) if _name(a) in names}
    return sorted(found, key=str)


def _unknowns(value) -> set:
    """Indexed entries and the symbols that are not their labels."""
    import sympy as sp

    entries = value.atoms(sp.Indexed)
    labels = {ix.base.label for ix in entries}
    indices = set().union(*(i.free_symbols for ix in entries for i in ix.indices))
    symbols = {
        s
        for s in value.free_symbols
        if isinstance(s, sp.Symbol) and s not in labels and s not in indices
    }
    return entries | symbols


def _name(unknown) -> str:
    import sympy as sp

    return str(unknown.base.label) if isinstance(unknown, sp.Indexed) else str(unknown)


def _written_out(value):
    """Sums and products of ``value`` written out at length 3."""
    import sympy as sp

    bounds = set()
    for s in value.atoms(sp.Sum, sp.Product):
        for limit in s.limits:
            for bound in limit[1:]:
                bounds |= bound.free_symbols
    return value.xreplace({b: sp.Integer(3) for b in bounds}).doit()


def _plain_e(value):
    """``E(w_i)`` beside a ``Var``, ``Cov`` or ``E`` is the expectation (CS231n writes it so).

    ``Var`` is often written out already (the registry defines it by ``E``).
    """
    import sympy as sp
    from sympy.core.function import AppliedUndef

    names = {f.func.__name__ for f in value.atoms(AppliedUndef)}
    if not names & OPERATORS:
        return value
    expectation = sp.Function("Expectation")
    return value.replace(
        lambda e: isinstance(e, AppliedUndef) and e.func.__name__ == "E" and len(e.args) == 1,
        lambda e: expectation(*e.args),
    )


def _shown(rvs: list) -> str:
    import sympy as sp

    names = []
    for rv in rvs:
        name = f"the {rv.base.label}_i" if isinstance(rv, sp.Indexed) else str(rv)
        if name not in names:
            names.append(name)
    return ", ".join(names)


def compare_random(a: Any, b: Any, seed: int = 0) -> tuple[bool | None, str]:
    """Are ``a`` and ``b`` equal for every distribution? (True | False | None, how or why)."""
    import numpy as np
    import sympy as sp

    if any(isinstance(v, sp.Basic) and v.has(sp.Integral, sp.Derivative) for v in (a, b)):
        return None, "an integral or derivative beside the expectation: not sampled"
    a, b = _plain_e(a), _plain_e(b)
    rvs = _random_variables([a, b])
    lowercase = not rvs
    if lowercase:
        try:
            a, b = _written_out(a), _written_out(b)
        except (TypeError, ValueError, NotImplementedError, AttributeError) as e:
            return None, f"could not write the sums out ({e})"
        rvs = _lowercase_variables([a, b])
    if not rvs:
        return None, "an expectation of no random variable here"
    if len(rvs) > _MOST:
        return None, f"{len(rvs)} random variables: too many to sample their joint laws"
    for value in (a, b):
        for f in value.atoms(sp.Function):
            if f.func.__name__ == "Expectation" and len(f.args) != 1:
                return None, "an expectation over a named distribution: not sampled"
    constants = sorted((_unknowns(a) | _unknowns(b)) - set(rvs), key=str)
    rng = np.random.default_rng(seed)
    independent_only = False
    for trial in range(_TRIALS):
        fixed = {c: sp.Float(float(rng.uniform(-2, 2))) for c in constants}
        for joint in ("independent", "dependent") if len(rvs) > 1 else ("one",):
            outcomes = _outcomes(rvs, joint, rng)
            try:
                va, vb = (_value(v.xreplace(fixed), outcomes, rvs) for v in (a, b))
            except _NotRandom as e:
                return None, str(e)
            except (TypeError, ValueError, ZeroDivisionError) as e:
                return None, f"could not be evaluated on a random distribution ({e})"
            if va is None or vb is None:
                return None, "could not be evaluated on a random distribution"
            if abs(va - vb) > 1e-6 * (1 + abs(va) + abs(vb)):
                if joint == "dependent":
                    independent_only = True
                    continue
                shown = ", ".join(f"{c} = {float(v):.4g}" for c, v in fixed.items())
                where = f" with {shown}" if shown else ""
                if lowercase:
                    return None, (
                        f"does not hold for every law of {_shown(rvs)} (the text may assume "
                        f"more, such as zero means: not refuted; seed {seed}, trial "
                        f"{trial + 1}: {va:.6g} != {vb:.6g})"
                    )
                return False, (
                    f"on a random discrete distribution of {', '.join(map(str, rvs))}{where} "
                    f"(seed {seed}, trial {trial + 1}): {va:.6g} != {vb:.6g}"
                )
    if independent_only:
        if lowercase:
            return None, f"holds if {_shown(rvs)} are independent"
        return None, f"holds only when {', '.join(map(str, rvs))} are independent"
    return True, f"on {_TRIALS} random discrete distributions (seed {seed})"


class _NotRandom(Exception):
    """A random variable outside every expectation: the claim is not about a distribution."""


def _outcomes(rvs: list, joint: str, rng) -> list[tuple[float, dict]]:
    """(probability, values of the random variables) for each outcome of a random law."""
    import itertools

    if joint == "independent":
        k = _OUTCOMES if len(rvs) <= 3 else 2
        laws = [(rng.dirichlet([1.0] * k), rng.normal(0, 1.5, k)) for _ in rvs]
        out = []
        for combo in itertools.product(range(k), repeat=len(rvs)):
            p = 1.0
            values = {}
            for rv, k, (probs, vals) in zip(rvs, combo, laws, strict=True):
                p *= float(probs[k])
                values[rv] = float(vals[k])
            out.append((p, values))
        return out
    probs = rng.dirichlet([1.0] * _OUTCOMES)
    return [
        (float(probs[k]), {rv: float(rng.normal(0, 1.5)) for rv in rvs}) for k in range(_OUTCOMES)
    ]


def _value(expr, outcomes, rvs: list = ()) -> float | None:
    """``expr`` with E, Var and Cov computed over ``outcomes``."""
    import sympy as sp
    from sympy.core.function import AppliedUndef

    def mean(arg):
        return sp.Add(*[sp.Float(p) * arg.xreplace(_floats(v)) for p, v in outcomes])

    def apply(f):
        name = f.func.__name__
        if name == "Expectation":
            return mean(f.args[0])
        if name in ("Var", "Variance") and len(f.args) == 1:
            m = mean(f.args[0])
            return mean((f.args[0] - m) ** 2)
        if name in ("Cov", "Covariance") and len(f.args) == 2:
            x, y = f.args
            return mean((x - mean(x)) * (y - mean(y)))
        return f

    value = expr.replace(
        lambda e: isinstance(e, AppliedUndef) and e.func.__name__ in OPERATORS, apply
    )
    left = _unknowns(value)
    if set(rvs) & left or any(isinstance(s, sp.Symbol) and s.name[:1].isupper() for s in left):
        raise _NotRandom("a random variable outside an expectation: not a claim on its law")
    try:
        number = complex(sp.N(value))
    except (TypeError, ValueError):
        return None
    return number.real if abs(number.imag) < 1e-9 else None


def _floats(values: dict) -> dict:
    import sympy as sp

    return {k: sp.Float(v) for k, v in values.items()}
