"""SymPy to NumPy that a verifier can trust: stable, vectorised, measured against mpmath.

:func:`lambdify_ml` prints an expression to NumPy code with stable forms of the ML
functions and vectorised sums; :func:`sample_inputs` draws seeded inputs per declared
symbol kind; :func:`mp_reference` and :func:`ulp_error` measure against 50-digit mpmath.
"""

from symml.numeric._numeric import (
    MP_DPS,
    TOLERANCES,
    Tolerance,
    close,
    lambdify_ml,
    mp_reference,
    mp_reference_many,
    stabilize,
    tolerance_for,
    ulp_error,
)
from symml.numeric._sampling import DEFAULT_POINTS, REAL_SPECIALS, Samples, sample_inputs

__all__ = [
    "DEFAULT_POINTS",
    "MP_DPS",
    "REAL_SPECIALS",
    "TOLERANCES",
    "Samples",
    "Tolerance",
    "close",
    "lambdify_ml",
    "mp_reference",
    "mp_reference_many",
    "sample_inputs",
    "stabilize",
    "tolerance_for",
    "ulp_error",
]
