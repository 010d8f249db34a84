"""The normal density by meaning: ``\\mathcal{N}(x; \\mu, \\sigma^2) = ...`` restates it.

A formula whose first side is the normal density written with a semicolon or a bar
(``\\mathcal{N}(x; \\mu, \\sigma^2)``, ``\\mathcal{N}(x \\mid \\mu, \\sigma^2)``) and whose
next sides write it out is compared with the registry's ``normal_pdf`` (the third argument
read as the variance, or else as the standard deviation: a form that fits either is not
refuted). ``\\mathcal{N}(\\mu, \\sigma^2)`` (a law, not a density), a multivariate
``\\mathcal{N}(x; \\mu, \\Sigma)`` and ``p(x) = \\mathcal{N}(...)`` are left to the other checks.
"""

from __future__ import annotations

import re
from typing import Any

from symml.documents._context import Context, compare_bounded
from symml.documents._model import Statement, Status

__all__ = ["REGISTRY_ENTRY", "normal_density"]

REGISTRY_ENTRY = "normal_pdf"

# \mathcal{N}(x; ...) or \mathcal{N}(x \mid ...) / (x | ...) at the start of the formula
# p(x), p_\theta(x \mid z), q(z): the name of a density before it
_DENSITY_NAME = re.compile(r"^\s*[pq](_\{?[^=(]*\}?)?\s*(\\left)?\(")
_WRITTEN = re.compile(r"^\s*\\mathcal\s*\{?\s*N\s*\}?\s*(\\left)?\s*\(\s*[^;|()]*?(;|\\mid\b|\|)")


def normal_density(sides: list, texts: list[str], ctx: Context) -> tuple | None:
    """(Status, message, registry, Statement, correction) for a restated normal density."""
    import sympy as sp

    from symml.documents._compare import free_names

    if len(sides) < 2 or len(texts) != len(sides):
        return None
    if not all(isinstance(s, sp.Basic) for s in sides):
        return None  # a relation inside (= ... \approx 0.4): left to the other checks
    # the density first, or after the name of a density (p(x) = N(x; mu, sigma^2) = ...)
    at = 0 if _WRITTEN.match(texts[0]) else 1
    if at == 1 and not (len(sides) > 2 and _DENSITY_NAME.match(texts[0])):
        return None
    if not _WRITTEN.match(texts[at]):
        return None
    args = _arguments(sides[at])
    if args is None:
        return None
    sides = sides[at:]
    forms = _forms(args, ctx)
    if not forms:
        return None
    known = set().union(*(free_names(a) for a in args))
    undecided = None
    for k, side in enumerate(sides[1:], start=1):
        side = _expanded(side, ctx)
        new = free_names(side) - known
        if new:  # 1/Z exp(...): a constant of the text's own, not a form to refute
            names = ", ".join(sorted(new))
            why = (
                f"the normal density; not compared with the registry: side {k + 1 + at} "
                f"names {names}"
            )
            return Status.UNCHECKED, why, REGISTRY_ENTRY, Statement.DEFINITION, None
        refuted, holds = [], False
        for _how, density in forms:
            verdict, detail = compare_bounded(side, density, ctx)
            if verdict is True:
                holds = True
                break
            if verdict is False:
                refuted.append(detail)
            elif undecided is None:
                undecided = detail
        if holds or len(refuted) < len(forms):
            continue  # a reading not decided: neither verified nor refuted
        from symml.registry import get

        correction = get(REGISTRY_ENTRY).latex
        where = f"side {k + 1 + at}" if len(sides) > 2 or at else "the right side"
        message = (
            f"the normal density differs from registry: {REGISTRY_ENTRY}: {where}, "
            f"{refuted[0]}; the registry has {correction}"
        )
        return Status.REFUTED, message, REGISTRY_ENTRY, Statement.DEFINITION, correction
    if undecided is not None:
        why = f"the normal density; not compared with the registry: {undecided}"
        return Status.UNCHECKED, why, REGISTRY_ENTRY, Statement.DEFINITION, None
    message = f"the normal density, same as registry: {REGISTRY_ENTRY}"
    return Status.VERIFIED, message, REGISTRY_ENTRY, Statement.DEFINITION, None


def _arguments(side: Any) -> tuple | None:
    """(x, mean, third) of ``Normal(x, mu, s)`` or ``Normal(Given(x, mu, s))``; scalars only."""
    import sympy as sp
    from sympy.core.function import AppliedUndef

    if not (isinstance(side, AppliedUndef) and side.func.__name__ == "Normal"):
        return None
    args = side.args
    if len(args) == 1 and type(args[0]).__name__ == "Given":
        args = args[0].args
    if len(args) != 3:
        return None
    for a in args:
        if not isinstance(a, sp.Expr) or a.atoms(sp.MatrixSymbol) or a.atoms(AppliedUndef):
            return None
        if getattr(a, "is_Matrix", False):
            return None
    if not isinstance(args[0], (sp.Symbol, sp.Indexed)):
        return None  # N(Wx + b; ...): not read as the density of one variable
    if any(s.name[:1].isupper() for s in args[2].free_symbols if isinstance(s, sp.Symbol)):
        return None  # N(x; mu, Sigma), N(x; mu, sigma^2 I): a multivariate density
    return tuple(args)


def _forms(args: tuple, ctx: Context) -> list:
    """The registry's density at these arguments: (reading, expression), variance first."""
    import sympy as sp

    entry = next((e for e in ctx.registry() if e[0] == REGISTRY_ENTRY), None)
    if entry is None:
        return []
    _name, _title, _head, params, body = entry
    if len(params) != 1 or not isinstance(body, sp.Basic):
        return []
    by_name = {str(s): s for s in body.free_symbols}
    if set(by_name) != {str(params[0]), "mu", "sigma"}:
        return []
    x, mean, third = args
    out = []
    for how, sigma in (("variance", sp.sqrt(third)), ("standard deviation", third)):
        mapping = {params[0]: x, by_name["mu"]: mean, by_name["sigma"]: sigma}
        out.append((how, body.xreplace(mapping)))
    if third.is_Pow and third.exp == 2 or third.is_number:
        out = out[:1]  # sigma^2, 1: the variance, as everyone writes it
    return out


def _expanded(side: Any, ctx: Context) -> Any:
    """``side`` with the normal densities in it written out (by the variance)."""
    from sympy.core.function import AppliedUndef

    def write_out(app):
        args = _arguments(app)
        forms = _forms(args, ctx) if args is not None else []
        return forms[0][1] if forms else app

    return side.replace(
        lambda e: isinstance(e, AppliedUndef) and e.func.__name__ == "Normal", write_out
    )
