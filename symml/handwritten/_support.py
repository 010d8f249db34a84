"""Small helpers shared by the hand-written modules (not part of any document)."""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable, Mapping
from types import MappingProxyType, ModuleType
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


def accepts_lambda(func: F) -> F:
    """Let ``func(lambda_=...)`` also be called as ``func(**{"lambda": ...})``.

    ``\\lambda`` parses to the symbol ``lambda``, which is a Python keyword and cannot be a
    parameter name; the verifier passes it through ``**kwargs``.
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if "lambda" in kwargs:
            if "lambda_" in kwargs:
                raise TypeError(f"{func.__name__}() got both 'lambda' and 'lambda_'")
            kwargs["lambda_"] = kwargs.pop("lambda")
        return func(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def scipy_stats(caller: str) -> ModuleType:
    """Import ``scipy.stats`` at call time, or say clearly why it cannot run.

    Document 002 imports SciPy at the top of its statistics code; SciPy is not a dependency of
    symml, so the import is deferred to the call and its absence is an ImportError that names
    the function and the fix.
    """
    try:
        return importlib.import_module("scipy.stats")
    except ImportError as e:
        raise ImportError(
            f"{caller}() is document 002's code and calls scipy.stats, but SciPy is not "
            "installed (it is not a dependency of symml).\n"
            "Install it to run this hand-written version: pip install scipy"
        ) from e


def frozen(table: Mapping[str, Mapping[str, str]]) -> Mapping[str, Mapping[str, str]]:
    """A read-only copy of an adapter table (no module-level mutable state)."""
    return MappingProxyType({k: MappingProxyType(dict(v)) for k, v in table.items()})
