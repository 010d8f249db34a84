"""The registry: formulas as data (``formulas/*.toml``), validated on load, parsed lazily.

:func:`load_registry` reads and validates a directory of registry files; :func:`default_registry`
is the shipped one, loaded once; :func:`get` and :func:`formulas` look formulas up in it.
A :class:`Formula` holds its LaTeX, symbols, sources and :class:`Claim` values.
"""

from symml.registry._cache import cache_dir, source_hash, write_entry
from symml.registry._registry import (
    Claim,
    ClaimKind,
    Formula,
    Registry,
    default_registry,
    formulas,
    formulas_dir,
    get,
    load_registry,
    substitute,
)

__all__ = [
    "Claim",
    "ClaimKind",
    "Formula",
    "Registry",
    "cache_dir",
    "default_registry",
    "formulas",
    "formulas_dir",
    "get",
    "load_registry",
    "source_hash",
    "substitute",
    "write_entry",
]
