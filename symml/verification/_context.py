"""What the checks of one formula share: the Context (options, kinds, expressions), the
Subject of each check (which claim, which code), and :func:`guard`, which turns a check
that cannot run into its status.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

import sympy as sp

from symml.equality import Tolerance
from symml.errors import SymmlError, SymmlTimeout
from symml.numeric import Samples, sample_inputs
from symml.registry import Claim, ClaimKind, Formula
from symml.verification._evaluate import Skip
from symml.verification._report import CheckResult, Counterexample, Status, claim_text

#: Seconds for each symbolic proof or limit (SymPy in a bounded worker process).
PROOF_TIMEOUT = 5.0


@dataclass(frozen=True)
class Subject:
    """What one check is about: a claim (kind, index, wrt) and/or hand-written code."""

    kind: ClaimKind | None = None
    index: int | None = None
    wrt: str | None = None
    handwritten: str | None = None
    latex: str = ""

    @classmethod
    def of_claim(cls, claim: Claim) -> Subject:
        return cls(ClaimKind(claim.kind), claim.index, claim.wrt or None, None, claim.latex)

    def code(self, ref: str) -> Subject:
        """The check of hand-written code ``ref`` for this subject."""
        return replace(self, handwritten=ref)

    @property
    def claim(self) -> str:
        """The ``claim`` text of the CheckResult."""
        return claim_text(
            self.kind, self.index, self.latex, wrt=self.wrt, handwritten=self.handwritten
        )


#: The status of the whole formula (a timeout, a formula that cannot be read).
WHOLE_FORMULA = Subject()


class Context:
    """What every check of one formula shares: options, kinds, the formula's expressions.

    Args:
        formula: the registry formula; None for a user's function.
        seed: seed of the sampled points.
        points: sampled points per check.
        tol: the tolerance of every comparison.
        name: the name in the results (default: the formula's).
        definition: the expression checked (default: the formula's definition).
        kinds: symbol declarations (default: the formula's).
        sizes: fixed values of size symbols (``{"n": 1000}``); others are drawn.
    """

    def __init__(
        self,
        formula: Formula | None,
        seed: int,
        points: int,
        tol: Tolerance,
        *,
        name: str | None = None,
        definition: sp.Basic | None = None,
        kinds: Mapping[str, str] | None = None,
        sizes: Mapping[str, int] | None = None,
    ):
        self.formula = formula
        self.sizes = dict(sizes or {})
        self.name = name or formula.name
        self.seed = seed
        self.points = points
        self.tol = tol
        self.kinds = dict(kinds if kinds is not None else formula.symbols)
        self._definition = definition
        self._derivations: dict[str, Any] = {}

    def derive(self, wrt: Any) -> Any:
        """The formula's Derivation, once per variable (the textbook search is slow)."""
        from symml.derivation import derive

        key = str(wrt)
        if key not in self._derivations:
            self._derivations[key] = derive(self.formula, wrt, steps=False, seed=self.seed)
        return self._derivations[key]

    def resolve(self, value: Any) -> Any:
        """Registry functions substituted, the formula's own function expanded, doit()."""
        from symml.derivation import expand_function
        from symml.latex import Aligned, Equation, Relation
        from symml.registry import substitute

        if isinstance(value, Equation):
            return Equation(self.resolve(value.lhs), self.resolve(value.rhs), value.op)
        if isinstance(value, Relation):
            return Relation(tuple(self.resolve(p) for p in value.parts), value.ops)
        if isinstance(value, Aligned):
            return Aligned(tuple(self.resolve(i) for i in value.items))
        if not isinstance(value, sp.Basic) or self.formula is None:
            return value
        for name in self.formula.definitions:
            value = substitute(value, self.formula.lookup(name))
        lhs = self.formula.lhs
        if lhs is not None and self.formula.rhs is not None:
            value = expand_function(value, lhs, self.definition)
            if isinstance(lhs, sp.Symbol) and lhs in value.free_symbols:
                value = value.xreplace({lhs: self.definition})
        value = component_reading(value, self.definition)
        if value.atoms(sp.Derivative):
            differentiable_or_refute(value)
            value = value.doit()
        return value

    def concrete(self, expr: Any) -> Any:
        """``expr`` as it is evaluated: itself (a random instance puts in its functions)."""
        return expr

    @property
    def definition(self) -> sp.Basic:
        """The expression checked: the formula's right side, definitions substituted."""
        if self._definition is None:
            self._definition = self.formula.definition()
        return self._definition

    def sample(self, exprs: list, exclude: Iterable[str] = ()) -> Samples:
        """Seeded points for the symbols of ``exprs``; a Skip when they cannot be drawn."""
        try:
            return sample_inputs(
                exprs,
                self.kinds,
                n=self.points,
                seed=self.seed,
                exclude=exclude,
                sizes=self.sizes or None,
            )
        except SymmlError as exc:
            raise Skip(str(exc)) from exc

    def result(
        self,
        subject: Subject,
        status: Status,
        message: str,
        cx: Counterexample | None = None,
        ulp: Mapping[str, float] | None = None,
        points: int = 0,
    ) -> CheckResult:
        """The CheckResult of one check of this formula."""
        return CheckResult(
            self.name,
            subject.claim,
            status,
            message,
            cx,
            dict(ulp or {}),
            None,
            self.seed,
            points,
            subject.kind,
            subject.index,
            subject.wrt,
            subject.handwritten,
        )


def guard(ctx: Context, subject: Subject, run: Callable[[], Any]) -> Any:
    """Run a check; a Skip, timeout or error becomes its status instead of escaping."""
    try:
        return run()
    except Skip as exc:
        return ctx.result(subject, Status.SKIPPED, str(exc))
    except SymmlTimeout as exc:
        return ctx.result(subject, Status.TIMEOUT, str(exc))
    except SymmlError as exc:
        return ctx.result(subject, Status.SKIPPED, plain_reason(exc))
    except Exception as exc:  # noqa: BLE001 - a check symml could not run is a failure, shown
        return ctx.result(
            subject,
            Status.FAILED,
            f"symml raised {type(exc).__name__} while checking: {exc}",
        )


def component_reading(value: sp.Basic, definition: Any) -> sp.Basic:
    """``softmax(z_i)`` as component i of the softmax over the definition's ``z`` (1..K),
    and ``delta_ik`` as the Kronecker delta of the indices i and k, as a textbook means them."""
    from sympy.core.function import AppliedUndef

    from symml.functions import softmax, sum_of_exp

    if not isinstance(definition, sp.Basic):
        return value
    bounds = {}
    for s in definition.atoms(sp.Sum):
        found = sum_of_exp(s)
        if found is not None:
            bounds[found[0]] = found[2]
    if not bounds:
        return value
    by_label = {str(b.label): b for b in bounds}

    def component(e: sp.Basic) -> sp.Basic:
        (arg,) = e.args
        if isinstance(arg, sp.Indexed) and arg.base in bounds and len(arg.indices) == 1:
            return softmax(arg.base, arg.indices[0], bounds[arg.base])
        head, _, idx = str(arg).partition("_")
        if isinstance(arg, sp.Symbol) and head in by_label and len(idx) == 1:  # z_k
            base = by_label[head]
            return softmax(base, sp.Symbol(idx, integer=True), bounds[base])
        return e

    value = value.replace(
        lambda e: (
            isinstance(e, AppliedUndef) and type(e).__name__ == "softmax" and len(e.args) == 1
        ),
        component,
    )
    indices = {str(s): s for s in value.free_symbols | definition.free_symbols if s.is_integer}
    deltas = {}
    for s in value.free_symbols:
        name = str(s)
        if name.startswith("delta_") and len(name) == 8:
            a, b = name[6], name[7]
            if a in indices and b in indices:
                deltas[s] = sp.KroneckerDelta(indices[a], indices[b])
    return value.xreplace(deltas) if deltas else value


_DIFFERENTIATE = re.compile(r"cannot differentiate .* with respect to (\S+?):? (.*)$", re.S)


def plain_reason(exc: SymmlError) -> str:
    """Why a check could not run, in words: no SymPy expression dumped into the message."""
    text = str(exc)
    found = _DIFFERENTIATE.search(text)
    if found:
        return f"cannot differentiate the formula with respect to {found[1]}: {found[2]}"
    if "is a relation or an aligned block" in text:
        return (
            "the formula is a chain of relations or an aligned block (several equations), "
            "so there is no single value to compare the code with"
        )
    return f"{type(exc).__name__}: {text}"


class NotDifferentiable(Exception):
    """A derivative evaluated where it does not exist (one-sided derivatives differ)."""


def differentiable_or_refute(value: sp.Basic) -> None:
    """``f'(a)`` written where f has a kink: raise with both one-sided derivatives."""
    from symml.functions import to_elementary
    from symml.workers import run_bounded

    for s in value.atoms(sp.Subs):
        inner, (u,), (a,) = s.args
        if not isinstance(inner, sp.Derivative) or inner.variables != (u,):
            continue
        g = to_elementary(inner.expr)
        h = sp.Dummy("h", positive=True)
        q = (g.xreplace({u: a + h}) - g.xreplace({u: a})) / h
        q_left = (g.xreplace({u: a}) - g.xreplace({u: a - h})) / h
        try:
            right = run_bounded(sp.limit, q, h, 0, "+", timeout=PROOF_TIMEOUT)
            left = run_bounded(sp.limit, q_left, h, 0, "+", timeout=PROOF_TIMEOUT)
        except SymmlTimeout:
            continue
        if right.is_finite and left.is_finite and sp.simplify(right - left) != 0:
            raise NotDifferentiable(
                f"{inner.expr} is not differentiable at {u} = {a}: the derivative from the "
                f"right is {right} and from the left {left}, so {sp.sstr(s)} does not exist"
            )
