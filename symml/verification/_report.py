"""What :func:`symml.verification.verify` returns: a Status per check, frozen results, a Report.

Examples:
    >>> r = CheckResult("sigmoid", "definition", Status.VERIFIED, "ok")
    >>> Report((FormulaReport("sigmoid", (r,)),), seed=0).ok
    True
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from symml.registry import ClaimKind
from symml.serialize import jsonable

__all__ = [
    "Status",
    "Counterexample",
    "CheckResult",
    "FormulaReport",
    "Report",
    "PASSING",
    "claim_text",
]


class Status(str, Enum):
    """The outcome of one check."""

    VERIFIED = "verified"  # proved symbolically and checked numerically
    VERIFIED_NUMERICALLY = "verified_numerically"  # checked numerically, no symbolic proof
    REFUTED = "refuted"  # a counterexample: point, got, expected, tolerance
    FAILED = "failed"  # the code raised (or an erratum stopped reproducing)
    UNSTABLE = "unstable"  # overflow/NaN/inf where the true value is finite
    SKIPPED = "skipped"  # could not be checked; the reason is in the message
    TIMEOUT = "timeout"  # the time budget ran out
    ERRATUM = "erratum"  # a registry erratum, confirmed: the documents are wrong here


#: Statuses that do not fail a run. A skipped check is listed with its reason.
PASSING = frozenset({Status.VERIFIED, Status.VERIFIED_NUMERICALLY, Status.ERRATUM, Status.SKIPPED})


@dataclass(frozen=True)
class Counterexample:
    """Where a check failed: the inputs, the value got, the value expected, the tolerance."""

    point: Mapping[str, Any]
    got: Any
    expected: Any
    tolerance: str

    def to_json(self) -> dict[str, Any]:
        return {
            "point": {k: jsonable(v) for k, v in self.point.items()},
            "got": jsonable(self.got),
            "expected": jsonable(self.expected),
            "tolerance": self.tolerance,
        }


@dataclass(frozen=True)
class CheckResult:
    """One check of one formula.

    Attributes:
        formula: the registry name (or ``"<latex>"`` for ad-hoc checks).
        claim: what was checked, as text (``"derivative wrt x (#1): ..."``, ``"handwritten ..."``);
            the fields below say the same as values.
        status: a Status.
        message: why it passed or failed, with the point, values and tolerance.
        counterexample: for refuted/unstable checks.
        ulp: worst ULP errors measured against the mpmath reference, by what was measured.
        erratum: the registry's explanation, for erratum claims.
        seed: the seed of the sampled points.
        points: how many points were evaluated.
        kind: the kind of the claim checked; None for the formula itself (its definition's
            code, or a status of the whole formula).
        index: the claim's position in its formula (0-based); None when not a registry claim.
        wrt: the variable of a derivative or stationary point.
        handwritten: the reference (``module:function``) of the hand-written code checked,
            None when the check is of a claim itself.
    """

    formula: str
    claim: str
    status: Status
    message: str
    counterexample: Counterexample | None = None
    ulp: Mapping[str, float] = field(default_factory=dict)
    erratum: str | None = None
    seed: int | None = None
    points: int = 0
    kind: ClaimKind | None = None
    index: int | None = None
    wrt: str | None = None
    handwritten: str | None = None

    @property
    def ok(self) -> bool:
        return self.status in PASSING

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "claim": self.claim,
            "status": self.status.value,
            "message": self.message,
        }
        if self.counterexample is not None:
            out["counterexample"] = self.counterexample.to_json()
        if self.ulp:
            out["ulp"] = {k: jsonable(v) for k, v in self.ulp.items()}
        if self.erratum:
            out["erratum"] = self.erratum
        if self.seed is not None:
            out["seed"] = self.seed
        out["points"] = self.points
        out["kind"] = self.kind.value if self.kind is not None else None
        out["index"] = self.index
        out["wrt"] = self.wrt
        out["handwritten"] = self.handwritten
        return out


#: The claim text of :func:`claim_text`: ``kind[ wrt v] (#n): latex[: handwritten ref]``.
def claim_text(
    kind: ClaimKind | None,
    index: int | None = None,
    latex: str = "",
    *,
    wrt: str | None = None,
    handwritten: str | None = None,
) -> str:
    """The ``claim`` text of a check: ``"derivative wrt x (#1): latex"``, then
    ``": handwritten module:function"`` for the claim's code; ``"handwritten ..."`` alone
    for the definition's code; ``"value"`` or ``"derivative wrt x"`` for a user's function.

    Examples:
        >>> claim_text(ClaimKind.DERIVATIVE, 0, r"\\sigma(x)", wrt="x")
        'derivative wrt x (#1): \\\\sigma(x)'
    """
    if kind is None:
        return f"handwritten {handwritten}" if handwritten else "formula"
    text = kind.value + (f" wrt {wrt}" if wrt else "")
    if index is not None:
        text += f" (#{index + 1}): {latex}"
    return f"{text}: handwritten {handwritten}" if handwritten else text


@dataclass(frozen=True)
class FormulaReport:
    """The checks of one formula, in the order they ran."""

    name: str
    checks: tuple[CheckResult, ...]

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)


@dataclass(frozen=True)
class Report:
    """Everything :func:`symml.verification.verify` did. ``ok`` fails on any non-passing check."""

    formulas: tuple[FormulaReport, ...]
    seed: int = 0

    @property
    def checks(self) -> tuple[CheckResult, ...]:
        return tuple(c for f in self.formulas for c in f.checks)

    @property
    def ok(self) -> bool:
        return all(f.ok for f in self.formulas)

    @property
    def errata(self) -> tuple[CheckResult, ...]:
        """The confirmed errata."""
        return tuple(c for c in self.checks if c.status is Status.ERRATUM)

    def counts(self) -> dict[str, int]:
        """Status value -> number of checks."""
        return dict(Counter(c.status.value for c in self.checks))

    @property
    def not_checked(self) -> int:
        """Checks that could not be run (skipped, each with its reason)."""
        return sum(c.status is Status.SKIPPED for c in self.checks)

    def exit_code(self, strict: bool = False) -> int:
        """0 when nothing failed (checks that could not run are counted, not failed), else 1;
        ``strict``: a check that could not run fails the run too.

        Examples:
            >>> skip = CheckResult("f", "formula", Status.SKIPPED, "nothing to sample")
            >>> r = Report((FormulaReport("f", (skip,)),))
            >>> r.exit_code(), r.exit_code(strict=True)
            (0, 1)
        """
        return 0 if self.ok and not (strict and self.not_checked) else 1

    def to_json(self) -> dict[str, Any]:
        """The ``verify --json`` object: ``{"ok", "formulas": [{"name", "checks"}], "errata"}``."""
        return {
            "ok": self.ok,
            "seed": self.seed,
            "counts": self.counts(),
            "not_checked": self.not_checked,
            "formulas": [
                {"name": f.name, "checks": [c.to_json() for c in f.checks]} for f in self.formulas
            ],
            "errata": [
                {"formula": c.formula, "claim": c.claim, "erratum": c.erratum, "message": c.message}
                for c in self.errata
            ],
        }
