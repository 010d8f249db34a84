"""Which declaration would make a refuted claim hold: "holds if y sums to 1".

A gradient that is right only under an assumption the formula does not state (softmax
cross-entropy's ``p - y`` needs the labels ``y`` on the simplex) is refuted, as it should
be: the formula as written says otherwise. The refutation then says which declaration would
make it hold, found by re-running the same seeded check with one undeclared symbol
declared ``symmetric`` (a matrix), ``simplex`` (a vector), ``positive`` or ``probability``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace

import sympy as sp

from symml.verification._report import CheckResult, Status

#: Re-runs at most, per refutation.
MAX_TRIES = 6

_HINTS = {
    "simplex": "holds if {0} sums to 1 (a probability vector): declare -s {0}=simplex",
    "symmetric": "holds if {0} is symmetric: declare -s {0}=symmetric",
    "positive": "holds if {0} > 0: declare -s {0}=positive",
    "probability": "holds if 0 < {0} < 1: declare -s {0}=probability",
}


def candidates(
    exprs: list[sp.Basic], kinds: Mapping[str, str], wrt: sp.Basic | None
) -> list[tuple[str, str]]:
    """(symbol, kind) pairs worth trying: undeclared matrices symmetric, vectors as
    simplices, scalars positive."""
    skip = set(kinds)
    if wrt is not None:
        skip.add(str(wrt.base.label) if isinstance(wrt, sp.Indexed) else str(wrt))
    bound = {lim[0] for e in exprs for s in e.atoms(sp.Sum, sp.Product) for lim in s.limits}
    sizes = {
        str(d)
        for e in exprs
        for s in e.atoms(sp.Sum, sp.Product)
        for lim in s.limits
        for d in lim[1:]
        if isinstance(d, sp.Symbol)
    }
    arrays = sorted({str(b.label) for e in exprs for b in e.atoms(sp.IndexedBase)} - skip)
    labels = {str(b.label) for e in exprs for b in e.atoms(sp.IndexedBase)}
    scalars = sorted(
        {
            str(s)
            for e in exprs
            for s in e.free_symbols
            if type(s) is sp.Symbol and s not in bound and not s.is_integer
        }
        - skip
        - sizes
        - labels
    )
    ranks = {str(i.base.label): len(i.indices) for e in exprs for i in e.atoms(sp.Indexed)}
    square = {
        str(M.name) for e in exprs for M in e.atoms(sp.MatrixSymbol) if M.shape[0] == M.shape[1]
    }
    matrices = sorted({a for a in arrays if ranks.get(a) == 2} | (square - skip))
    out = [(a, "symmetric") for a in matrices]
    out += [(a, "simplex") for a in arrays if a not in matrices]
    out += [(s, k) for s in scalars for k in ("positive", "probability")]
    return out[:MAX_TRIES]


def with_declaration_hint(
    result: CheckResult,
    rerun: Callable[[dict[str, str]], CheckResult],
    kinds: Mapping[str, str],
    exprs: list[sp.Basic],
    wrt: sp.Basic | None,
) -> CheckResult:
    """``result`` (refuted), its message extended by the declaration that makes it hold."""
    if result.status is not Status.REFUTED:
        return result
    for name, kind in candidates(exprs, kinds, wrt):
        again = rerun({**dict(kinds), name: kind})
        if again.status in (Status.VERIFIED, Status.VERIFIED_NUMERICALLY):
            return replace(result, message=f"{result.message}; {_HINTS[kind].format(name)}")
    return result
