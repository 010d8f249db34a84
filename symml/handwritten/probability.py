"""Probability: 002's ``bayesian_update`` and ``mle_normal``, 000's normal density.

Sources (documents in ``formulas/documents/``):

    bayesian_update     002 "Probability / Bayesian Inference" (def bayesian_update)
    mle_normal          002 "Probability / Maximum Likelihood Estimation" (def mle_normal)
    mle_normal_adapter  adapter: ``mle_normal`` called with the sample as ``x``
    mle_normal_mu       adapter: the first value (mu_hat) of ``mle_normal(data)``
    normal_pdf          000 "3.2 Normal Distribution"

Behaviour kept from 002: ``mle_normal`` divides by n (the MLE, biased for the variance, not
the 1/(n-1) sample variance), sums with Python's ``sum`` in a generator, and returns the
standard deviation, not the variance; ``bayesian_update`` divides by whatever ``data`` is
(002 names the evidence P(D) "data") and does not check that the result is a probability.
Bayes' theorem (001 "4", 000 "Summary Table") has no free symbols, only P(.) applications, so
``bayesian_update``'s keywords (prior, likelihood, data) are mapped by the registry entry.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from symml.handwritten._support import frozen

#: Hand-written keyword -> registry symbol, where a document uses another name.
ADAPTERS = frozen(
    {
        "mle_normal": {"data": "x"},
    }
)


def bayesian_update(prior: Any, likelihood: Any, data: Any) -> Any:
    """Document 002's Bayesian update: ``(likelihood * prior) / data``.

    Args:
        prior: P(H).
        likelihood: P(D|H).
        data: P(D), the evidence (not the data).

    Returns:
        The posterior P(H|D).
    """
    posterior = (likelihood * prior) / data
    return posterior


def mle_normal(data: Any) -> tuple[Any, Any]:
    """Document 002's MLE for the normal distribution (variance divided by n).

    Args:
        data: the sample (a sequence or 1-D array).

    Returns:
        ``(mu_hat, sigma_hat)`` with ``sigma_hat = sqrt(sum (x - mu_hat)^2 / n)``.
    """
    n = len(data)
    mu_hat = sum(data) / n
    sigma2_hat = sum((x - mu_hat) ** 2 for x in data) / n
    return mu_hat, np.sqrt(sigma2_hat)


def mle_normal_adapter(x: ArrayLike, n: int | None = None) -> tuple[Any, Any]:
    """Adapter: ``mle_normal`` with the sample passed as ``x`` (the formula's x_i).

    Args:
        x: the sample.
        n: the sample size, if the formula names it (must equal ``len(x)``).

    Returns:
        ``mle_normal(x)``: ``(mu_hat, sigma_hat)``.

    Raises:
        ValueError: ``n`` is given and differs from the number of samples.
    """
    x = np.asarray(x, dtype=float).ravel()
    if n is not None and n != len(x):
        raise ValueError(f"mle_normal_adapter: n={n} but x has {len(x)} samples")
    return mle_normal(x)


def mle_normal_mu(data: Any) -> Any:
    """Adapter: ``mu_hat``, the first value 002's ``mle_normal(data)`` returns.

    Args:
        data: the sample.

    Returns:
        ``mle_normal(data)[0]``.
    """
    return mle_normal(data)[0]


def normal_pdf(x: ArrayLike, mu: ArrayLike, sigma: ArrayLike) -> NDArray[np.float64]:
    """000's normal density, ``1/(sigma sqrt(2 pi)) exp(-(x - mu)^2 / (2 sigma^2))``.

    Args:
        x: where to evaluate.
        mu: mean.
        sigma: standard deviation (> 0).

    Returns:
        The density, elementwise.
    """
    x, mu, sigma = np.asarray(x), np.asarray(mu), np.asarray(sigma)
    return 1 / (sigma * np.sqrt(2 * np.pi)) * np.exp(-((x - mu) ** 2) / (2 * sigma**2))
