"""Expectation and variance claims over abstract random variables, checked on random instances.

``\\operatorname{Var}(X) = \\mathbb{E}[X^2] - \\mathbb{E}[X]^2`` holds for every distribution
of X; :func:`compare_random` checks it on random discrete distributions (a few outcomes,
random values, Dirichlet probabilities, seeded). Random variables are the capital letters
inside ``E``, ``Var`` and ``Cov``; other symbols are constants, sampled too. With several
random variables the claim is tried with them independent and dependent: a claim that
holds only for independent ones (``E[XY] = E[X]E[Y]``) is not verified, and not refuted.
"""

from __future__ import annotations

from typing import Any

__all__ = ["OPERATORS", "compare_random", "has_random"]

#: Names of the operators on random variables (as the LaTeX parser names them).
OPERATORS = {"Expectation", "Var", "Cov", "Variance", "Covariance"}
_OUTCOMES = 4
_TRIALS = 6


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
                        s for s in arg.free_symbols
                        if isinstance(s, sp.Symbol) and s.name[:1].isupper()
                    }
    return sorted(out, key=str)


def compare_random(a: Any, b: Any, seed: int = 0) -> tuple[bool | None, str]:
    """Are ``a`` and ``b`` equal for every distribution? (True | False | None, how or why)."""
    import numpy as np
    import sympy as sp

    if any(isinstance(v, sp.Basic) and v.has(sp.Integral, sp.Derivative) for v in (a, b)):
        return None, "an integral or derivative beside the expectation: not sampled"
    rvs = _random_variables([a, b])
    if not rvs:
        return None, "an expectation of no random variable (capital letter) here"
    for value in (a, b):
        for f in value.atoms(sp.Function):
            if f.func.__name__ == "Expectation" and len(f.args) != 1:
                return None, "an expectation over a named distribution: not sampled"
    constants = sorted(
        (s for s in (a.free_symbols | b.free_symbols) if s not in rvs), key=str
    )
    rng = np.random.default_rng(seed)
    independent_only = False
    for trial in range(_TRIALS):
        fixed = {c: sp.Float(float(rng.uniform(-2, 2))) for c in constants}
        for joint in ("independent", "dependent") if len(rvs) > 1 else ("one",):
            outcomes = _outcomes(rvs, joint, rng)
            try:
                va, vb = (_value(v.xreplace(fixed), outcomes) for v in (a, b))
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
                return False, (
                    f"on a random discrete distribution of {', '.join(map(str, rvs))}{where} "
                    f"(seed {seed}, trial {trial + 1}): {va:.6g} != {vb:.6g}"
                )
    if independent_only:
        return None, f"holds only when {', '.join(map(str, rvs))} are independent"
    return True, f"on {_TRIALS} random discrete distributions (seed {seed})"


class _NotRandom(Exception):
    """A random variable outside every expectation: the claim is not about a distribution."""


def _outcomes(rvs: list, joint: str, rng) -> list[tuple[float, dict]]:
    """(probability, values of the random variables) for each outcome of a random law."""
    import itertools

    if joint == "independent":
        laws = [
            (rng.dirichlet([1.0] * _OUTCOMES), rng.normal(0, 1.5, _OUTCOMES)) for _ in rvs
        ]
        out = []
        for combo in itertools.product(range(_OUTCOMES), repeat=len(rvs)):
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


def _value(expr, outcomes) -> float | None:
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

    value = expr.replace(lambda e: isinstance(e, AppliedUndef) and e.func.__name__ in OPERATORS,
                         apply)
    if any(isinstance(s, sp.Symbol) and s.name[:1].isupper() for s in value.free_symbols):
        raise _NotRandom("a random variable outside an expectation: not a claim on its law")
    try:
        number = complex(sp.N(value))
    except (TypeError, ValueError):
        return None
    return number.real if abs(number.imag) < 1e-9 else None


def _floats(values: dict) -> dict:
    import sympy as sp

    return {k: sp.Float(v) for k, v in values.items()}
