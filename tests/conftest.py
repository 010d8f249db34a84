"""Shared test settings.

Hypothesis runs derandomized under CI (CI=true), so a green run is reproducible: the same
examples every time, with the failing example printed if one fails. Locally it explores.

The suite has a cache directory of its own, made fresh for the run (and removed after it):
a result or parse cached by an earlier run, or by the user's own ``symml``, can never
answer for the code under test. Tests of the cache itself set ``SYMML_CACHE_DIR`` again.
"""

import atexit
import os
import shutil
import tempfile

from hypothesis import settings

_cache = tempfile.mkdtemp(prefix="symml-test-cache-")
os.environ["SYMML_CACHE_DIR"] = _cache  # inherited by every symml subprocess of the tests
atexit.register(shutil.rmtree, _cache, ignore_errors=True)

settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
