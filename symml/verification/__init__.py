"""Claims proved symbolically and checked numerically; hand-written code compared.

:func:`verify` checks registry formulas and returns a :class:`Report`; :func:`verify_function`
checks a user's function against a formula and returns its :class:`CheckResult`;
:func:`check_function` and :func:`check_gradient` raise :class:`~symml.errors.VerificationError`
instead; :func:`equiv` decides whether two formulas are equal.
"""

from symml.verification._gradcheck import EPS
from symml.verification._report import (
    PASSING,
    CheckResult,
    Counterexample,
    FormulaReport,
    Report,
    Status,
)
from symml.verification._run import verify, verify_formula
from symml.verification._user import check_function, check_gradient, equiv, verify_function

__all__ = [
    "EPS",
    "PASSING",
    "CheckResult",
    "Counterexample",
    "FormulaReport",
    "Report",
    "Status",
    "check_function",
    "check_gradient",
    "equiv",
    "verify",
    "verify_formula",
    "verify_function",
]
