"""What, besides a document's bytes, decides its check: symml, its registry, its code.

A cached result is served only under the same fingerprint, and a result computed by a
worker (a Dask worker on another machine, say) is trusted only if the worker's fingerprint
is the parent's. The code part hashes every module of the symml package, because during
development the version stays put while the checks change (about 5 ms for 150 modules).
"""

from __future__ import annotations

import functools
import hashlib
import sys

#: Bumped when the cached result format changes.
FORMAT = 1


def fingerprint() -> str:
    """``FORMAT|python|symml=V|sympy=V|registry=HASH|code=HASH`` for this process."""
    parts = [str(FORMAT), sys.version.split()[0], *_versions()]
    return "|".join([*parts, f"registry={registry_hash()}", f"code={code_hash()}"])


@functools.lru_cache(maxsize=1)
def _versions() -> tuple[str, ...]:
    from importlib import metadata

    found = []
    for dist in ("symml", "sympy", "latex2sympy2"):
        try:
            found.append(f"{dist}={metadata.version(dist)}")
        except metadata.PackageNotFoundError:
            found.append(f"{dist}=none")
    return tuple(found)


def registry_hash() -> str:
    """A hash of the registry files that ``check`` reads (``formulas_dir()/*.toml``).

    Not cached: a test (or a long-lived worker) may point ``SYMML_FORMULAS_DIR`` elsewhere
    or edit a file, and the hash must follow (reading ~10 small files costs well under 1 ms).
    """
    from symml.registry import formulas_dir

    digest = hashlib.sha256()
    root = formulas_dir()
    for path in sorted(root.glob("*.toml")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:32]


def code_hash() -> str:
    """A hash of every module of the symml package (its names and bytes)."""
    from symml.registry import source_hash

    return source_hash()[:32]
