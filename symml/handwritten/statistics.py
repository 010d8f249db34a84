"""Statistics: 002's ``t_test`` and ``confidence_interval`` (they need SciPy).

Sources (documents in ``formulas/documents/``):

    t_test               002 "Statistics / Hypothesis Testing" (def t_test)
    confidence_interval  002 "Statistics / Hypothesis Testing" (def confidence_interval)

002 imports ``scipy.stats`` at the top of the section. SciPy is not a dependency of symml, so
the import happens at call time; without SciPy each function raises ImportError naming itself
and the fix. ``t_test`` is Student's pooled-variance test (``ttest_ind`` defaults to
``equal_var=True``), which 002 does not say; ``confidence_interval`` uses the t quantile with
n - 1 degrees of freedom and ``stats.sem`` (ddof=1).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from symml.handwritten._support import frozen, scipy_stats

#: Hand-written keyword -> registry symbol, where a document uses another name.
ADAPTERS = frozen({"confidence_interval": {"data": "x"}})


def t_test(sample1: ArrayLike, sample2: ArrayLike) -> tuple[Any, Any]:
    """Document 002's two-sample t-test (``scipy.stats.ttest_ind``, pooled variance).

    Args:
        sample1: first sample.
        sample2: second sample.

    Returns:
        ``(t_stat, p_value)``.

    Raises:
        ImportError: SciPy is not installed.
    """
    stats = scipy_stats("t_test")
    t_stat, p_value = stats.ttest_ind(sample1, sample2)
    return t_stat, p_value


def confidence_interval(data: ArrayLike, confidence: float = 0.95) -> tuple[Any, Any]:
    """Document 002's t confidence interval for the mean.

    Args:
        data: the sample.
        confidence: the coverage, e.g. 0.95.

    Returns:
        ``(mean - margin, mean + margin)`` with ``margin = sem * t.ppf((1 + c)/2, n - 1)``.

    Raises:
        ImportError: SciPy is not installed.
    """
    stats = scipy_stats("confidence_interval")
    n = len(data)  # type: ignore[arg-type]
    mean = np.mean(data)
    se = stats.sem(data)  # Standard error
    margin = se * stats.t.ppf((1 + confidence) / 2, n - 1)
    return mean - margin, mean + margin
