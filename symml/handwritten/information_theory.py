"""Information theory: 002's ``entropy``, ``kl_divergence`` and ``cross_entropy``, in bits.

Sources (documents in ``formulas/documents/``):

    entropy                 002 "Information Theory / Entropy and Information" (def entropy)
    entropy_adapter         adapter: ``entropy`` with the distribution passed as ``p``
    kl_divergence           002 "Information Theory / Entropy and Information"
    cross_entropy           002 "Information Theory / Entropy and Information"

Kept from 002: all three use ``np.log2``, so they return bits. That matches 000 "5.1" and 001
"10" for entropy (log_2), but not 000 "5.2", 001 "10" and 004 "1.1", which write KL and
cross-entropy with ``\\log`` (natural: nats); the two differ by the factor ln 2. The terms with
p_i = 0 are skipped (0 log 0 = 0), but ``q_i = 0`` with ``p_i > 0`` gives inf (with a
RuntimeWarning for division by zero), and ``p`` and ``q`` are not checked to be distributions
of the same length (``q`` longer is silently truncated; shorter raises IndexError).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from symml.handwritten._support import frozen

#: Hand-written keyword -> registry symbol, where a document uses another name.
ADAPTERS = frozen({"entropy": {"probabilities": "p"}})


def entropy(probabilities: Any) -> Any:
    """Document 002's Shannon entropy, ``-sum p log2 p`` over p > 0: bits.

    Args:
        probabilities: a probability vector.

    Returns:
        The entropy in bits.
    """
    return -sum(p * np.log2(p) for p in probabilities if p > 0)


def entropy_adapter(p: ArrayLike) -> Any:
    """Adapter: ``entropy`` with the distribution passed as ``p``.

    Args:
        p: a probability vector (flattened).

    Returns:
        ``entropy(p)`` in bits.
    """
    return entropy(np.asarray(p, dtype=float).ravel())


def kl_divergence(p: Any, q: Any) -> Any:
    """Document 002's KL divergence, ``sum p_i log2(p_i / q_i)`` over p_i > 0: bits.

    Args:
        p: the first distribution P.
        q: the second distribution Q.

    Returns:
        D_KL(P || Q) in bits.
    """
    return sum(p[i] * np.log2(p[i] / q[i]) for i in range(len(p)) if p[i] > 0)


def cross_entropy(p: Any, q: Any) -> Any:
    """Document 002's cross entropy, ``-sum p_i log2(q_i)`` over p_i > 0: bits.

    Args:
        p: the true distribution P.
        q: the model distribution Q.

    Returns:
        H(P, Q) in bits.
    """
    return -sum(p[i] * np.log2(q[i]) for i in range(len(p)) if p[i] > 0)
