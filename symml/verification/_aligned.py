"""Code for an aligned block of definitions (Adam's ``m_t = ...``, ``v_t = ...``,
``theta_{t+1} = ...``): each row is evaluated in order (earlier left sides substituted into
later rows), and each value the code returns is checked against the row it is declared to be.

Which returned value is which row is the hand-written module's declaration,
``OUTPUTS = {function: (symbol, ...)}`` (one left-hand side per returned value), never a
guess: a value compared with the wrong row would be refuted, not matched elsewhere.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping

import sympy as sp

from symml.latex import Aligned, Equation
from symml.verification._context import Context, Subject
from symml.verification._evaluate import Skip
from symml.verification._pipeline import CodeCheck, check_code
from symml.verification._report import CheckResult, Status


def declared_outputs(ref: str) -> tuple[str, ...] | None:
    """The module's ``OUTPUTS[function]``: the left side each returned value is, or None.

    The module is the one :func:`~symml.verification._code.load_code` imported for ``ref``.
    """
    module, _, attr = ref.partition(":")
    table = getattr(sys.modules.get(module), "OUTPUTS", {}) or {}
    out = table.get(attr)
    return tuple(out) if out else None


def block_rows(block: Aligned) -> dict[str, sp.Basic]:
    """Left side -> its right side with every earlier row substituted (in order)."""
    rows: dict[str, sp.Basic] = {}
    subs: dict[sp.Basic, sp.Basic] = {}
    for item in block.items:
        if not isinstance(item, Equation) or not isinstance(item.lhs, sp.Symbol):
            raise Skip("a row of the block is not a definition 'symbol = expression'")
        rhs = item.rhs.xreplace(subs) if subs else item.rhs
        rows[str(item.lhs)] = rhs
        subs[item.lhs] = rhs
    return rows


def check_aligned_code(
    ctx: Context,
    subject: Subject,
    func,
    ref: str,
    adapter: Mapping[str, str],
    block: Aligned,
    outputs: tuple[str, ...],
) -> CheckResult:
    """Each returned value against its row; the first that is not verified is the result."""
    rows = block_rows(block)
    unknown = [o for o in outputs if o not in rows]
    if unknown:
        raise Skip(
            f"{ref} is declared to return {', '.join(unknown)}, which no row of the block defines"
        )
    every = sp.Add(*rows.values())
    results = []
    for k, name in enumerate(outputs):
        noun = f"{ref.rpartition(':')[2]}[{k}] ({name})"
        # every input of the block is sampled (the code takes them all), not just this row's
        code = CodeCheck(func, ref, noun, rows[name], every, adapter=adapter, pick=k)
        row = Context(
            ctx.formula,
            ctx.seed,
            ctx.points,
            ctx.tol,
            name=ctx.name,
            definition=rows[name],  # this row, in closed form, is what the value must be
            kinds=ctx.kinds,
            sizes=ctx.sizes,
        )
        results.append((name, check_code(row, subject, code)))
    for _name, r in results:
        if r.status not in (Status.VERIFIED, Status.VERIFIED_NUMERICALLY):
            return r
    first = results[0][1]
    joined = "; ".join(f"{n}: {r.message}" for n, r in results)
    return ctx.result(
        subject,
        Status.VERIFIED_NUMERICALLY,
        f"each returned value agrees with its row of the block, evaluated in order ({joined})",
        ulp=first.ulp,
        points=min(r.points for _, r in results),
    )
