"""Hand-written versions: the documents' NumPy code and formulas, as the documents give them.

Nothing here is "fixed". Where a document's code is wrong or cannot run, the port keeps that
behaviour so that ``symml verify`` can report it as an erratum (see each module's docstring for
the bugs that are kept on purpose).

Calling convention: the verifier calls a function with keyword arguments named after
the formula's free symbols (``sigmoid_prime(x=...)``, ``mse(y=..., y_hat=...)``). Where a
document's own code uses other names (``mle_normal(data)``), the faithful function is kept and
an adapter sits next to it in the same module (``mle_normal_adapter(x)``). Each module also has
a read-only ``ADAPTERS`` mapping ``{function: {keyword: registry symbol}}`` (the direction of
the registry's ``adapter`` field: hand-written keyword -> symbol) that records every such
renaming, including ``lambda_`` for the symbol ``lambda`` (a Python keyword).

Modules, one per topic:

    activations         sigmoid, tanh, ReLU, leaky ReLU, softplus, softmax and their derivatives
    optimization        gradient descent (002, 000 Python, 000 Rust), Adam, losses, L1/L2 terms
    linear_algebra      pca, svd_compress, dot product, distances, covariance
    probability         bayesian_update, mle_normal, normal pdf
    statistics          t_test, confidence_interval (need SciPy, imported at call time)
    regression          linear/ridge/lasso regression, regression and logistic gradients
    information_theory  entropy, kl_divergence, cross_entropy (base 2, as 002 writes them)
    neural_networks     LinearLayer, ReLU layer, neuron, layer norm, attention

Only NumPy is imported by these modules at import time; importing this package imports none of
them.
"""

from __future__ import annotations

__all__ = [
    "activations",
    "information_theory",
    "linear_algebra",
    "neural_networks",
    "optimization",
    "probability",
    "regression",
    "statistics",
]
