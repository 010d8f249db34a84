"""Shared test settings.

Hypothesis runs derandomized under CI (CI=true), so a green run is reproducible: the same
examples every time, with the failing example printed if one fails. Locally it explores.
"""

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
