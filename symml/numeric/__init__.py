"""SymPy to NumPy that a verifier can trust: stable, vectorised, measured against mpmath.

:func:`lambdify_ml` prints an expression to NumPy code with stable forms of the ML
functions (after :func:`stabilize`) and vectorised sums; :func:`sample_inputs` draws seeded
inputs per declared symbol kind; :func:`mp_reference` and :func:`ulp_error` measure against
50-digit mpmath. The tolerances the results are judged by are :mod:`symml.equality`'s table.
"""

from symml.numeric._lambdify import lambdify_ml
from symml.numeric._reference import MP_DPS, mp_reference, mp_reference_many, ulp_error
from symml.numeric._sampling import DEFAULT_POINTS, REAL_SPECIALS, Samples, sample_inputs
from symml.numeric._stable import stabilize

__all__ = [
    "DEFAULT_POINTS",
    "MP_DPS",
    "REAL_SPECIALS",
    "Samples",
    "lambdify_ml",
    "mp_reference",
    "mp_reference_many",
    "sample_inputs",
    "stabilize",
    "ulp_error",
]
