"""Calling hand-written code: load ``module:function``, map its arguments, call it per batch.

The documents' functions take their own argument names (``theta`` for the formula's ``w``);
an adapter maps keyword -> symbol, from the registry entry over the module's ``ADAPTERS``.
A function is called on the whole batch of points when its inputs are scalars, else point
by point; a column vector ``(n, 1)`` reaches it as the 1-D array the code expects.
"""

from __future__ import annotations

import importlib
import inspect
import warnings
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np

from symml.errors import SymmlError
from symml.numeric import Samples
from symml.symbols import parse_kind
from symml.verification._evaluate import Skip


def registry_code(ref: str, adapter: Mapping[str, str] | None) -> tuple[Callable, dict[str, str]]:
    """The registry's hand-written function and its adapter (see the module docstring)."""
    return load_code(ref), _adapter_for(ref, adapter)


def _adapter_for(ref: str, adapter: Mapping[str, str] | None) -> dict[str, str]:
    """The registry's adapter over the module's ``ADAPTERS[function]`` (keyword -> symbol)."""
    module, _, attr = ref.partition(":")
    try:
        table = getattr(importlib.import_module(module), "ADAPTERS", {}) or {}
    except ImportError:
        table = {}
    return {**dict(table.get(attr, {})), **dict(adapter or {})}


def load_code(ref: str) -> Callable:
    """The function ``module:function`` names; a SymmlError says why it cannot be had."""
    module, _, attr = ref.partition(":")
    if not module or not attr:
        raise SymmlError(f"expected MODULE:FUNCTION, got {ref!r}")
    try:
        return getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError) as exc:
        raise SymmlError(f"cannot import {ref}: {exc}") from exc


#: Parameter names that may receive the formula's free index under another name.
_INDEX_NAMES = frozenset({"i", "j", "k", "l", "c", "idx", "index"})


def _kwargs_plan(
    func: Callable,
    available: Iterable[str],
    adapter: Mapping[str, str],
    indices: Iterable[str] = (),
) -> dict:
    """Keyword -> sampled name, from the signature and the adapter (kwarg -> symbol).

    A parameter named like an index (``j``, ``k``, ``idx``) that names no symbol takes the
    one free index, if there is exactly one (``grad(w, x, y, j)`` for the component
    ``d/dw_k``: the code's ``j`` is the formula's k).
    """
    available = set(available)
    spare = [i for i in indices if i in available]
    try:
        params = inspect.signature(func).parameters
    except (TypeError, ValueError):
        return {a: a for a in available}
    plan: dict[str, str] = {}
    for name, p in params.items():
        if p.kind is p.VAR_KEYWORD:
            for a in available:
                plan.setdefault(a, a)
            continue
        if p.kind is p.VAR_POSITIONAL:
            continue
        symbol = adapter.get(name, name)
        if symbol not in available and name in available:  # a module-wide renaming
            symbol = name  # that does not apply to this formula
        if symbol in available:
            plan[name] = symbol
        elif p.default is p.empty and len(spare) == 1 and name in _INDEX_NAMES:
            plan[name] = spare[0]
        elif p.default is p.empty:
            raise Skip(
                f"{getattr(func, '__name__', func)} needs argument {name!r}, which is not a "
                f"symbol of the formula (symbols: {', '.join(sorted(available))}); "
                f"say which symbol it is: --arg {name}=SYMBOL (Python: args={{{name!r}: ...}})"
            )
    return plan


def call(
    func: Callable,
    samples: Samples,
    adapter: Mapping[str, str],
    names: list[str],
    pick: int | None = None,
) -> tuple[np.ndarray, list[str]]:
    """The code's values at every point, and the warnings it raised (overflow, ...).

    ``pick`` chooses one value of code that returns a tuple (one per claim).
    """
    available = [n for n in names if n in samples.values or n in samples.sizes]
    indices = [n for n in available if samples.kinds.get(n) == "index"]
    plan = _kwargs_plan(func, available, adapter, indices)
    batch = samples.batch()
    for name, kind in samples.kinds.items():  # a column vector (n, 1) is a 1-D array to code
        if (
            parse_kind(name, kind).is_vector
            and np.ndim(batch.get(name)) == 3
            and np.shape(batch[name])[-1] == 1
        ):
            batch[name] = batch[name][..., 0]
    notes: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with np.errstate(all="warn", under="ignore"):
            out = None
            scalar_only = all(np.ndim(batch[s]) <= 1 for s in plan.values())
            if scalar_only and plan:
                try:
                    res = _select(func(**{k: batch[s] for k, s in plan.items()}), pick)
                    arr = np.asarray(res, dtype=float)
                    if arr.shape == (samples.n,):
                        out = arr
                except Exception:  # noqa: BLE001 - retried point by point, where it is reported
                    out = None
            if out is None:
                rows = []
                for k in range(samples.n):
                    p = {a: batch[a][k] if a in samples.values else batch[a] for a in batch}
                    rows.append(
                        np.asarray(
                            _select(func(**{a: p[s] for a, s in plan.items()}), pick), dtype=float
                        )
                    )
                out = np.stack(rows)
    for w in caught:
        text = f"{w.category.__name__}: {w.message}"
        if text not in notes:
            notes.append(text)
    return out, notes


def _select(result: Any, pick: int | None) -> Any:
    if isinstance(result, tuple):
        if pick is None:
            raise Skip(
                f"the code returns a tuple of {len(result)} values; the formula is one value"
            )
        return result[pick]
    return result


def component(
    got: np.ndarray, expected: np.ndarray, samples: Samples, names: list[str]
) -> np.ndarray:
    """Code that returns the whole vector (softmax(z)) for a formula of one component
    (softmax(z)_i): take component i at each point."""
    free = [
        n
        for n in names
        if n in samples.values
        and n in samples.kinds
        and parse_kind(n, samples.kinds[n]).kind == "index"
    ]
    if len(free) != 1 or got.ndim != expected.ndim + 1:
        return got
    idx = np.asarray(samples.values[free[0]], dtype=int) - 1
    if idx.min() < 0 or idx.max() >= got.shape[-1]:
        return got
    return np.take_along_axis(got, idx.reshape((-1,) + (1,) * (got.ndim - 1)), -1)[..., 0]
