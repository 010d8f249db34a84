"""Coverage of the five source documents by the registry (``formulas/*.toml``).

For each document a table maps the heading a formula sits under to the registry entry that
holds it, so a formula that disappears from the registry (or loses its source) fails a test
named after the document, the heading and the entry. The tables are the registry's promise,
written out by hand; ``EXPECTED_COUNTS`` pins how many entries each document contributes.

The document text is the project's own copy, ``formulas/documents/``: the headings and the
verbatim LaTeX are compared with it, so no test here depends on anything outside the checkout.
"""

from __future__ import annotations

import importlib
import sys
from collections import Counter
from pathlib import Path

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
FORMULAS = ROOT / "formulas"
DOCUMENTS_DIR = Path(__file__).resolve().parents[1] / "formulas" / "documents"  # the project's copy

DOCUMENTS = {
    "000": "000_08f917a620eb933c.txt",
    "001": "001_ccc9e13ff71ddb5d.txt",
    "002": "002_f90a9e403469b821.txt",
    "003": "003_d5c0775089c004cc.txt",
    "004": "004_39f3c682382fade2.txt",
}

# ------------------------------------------------------------------ the registry, two ways


def _raw_tables() -> list[tuple[str, str, dict]]:
    """(file name, table name, table) for every table of every TOML file, duplicates kept."""
    rows = []
    for path in sorted(FORMULAS.glob("*.toml")):
        with path.open("rb") as fh:
            for name, table in tomllib.load(fh).items():
                rows.append((path.name, name, table))
    return rows


def _registry() -> dict[str, dict]:
    """name -> {"sources", "latex", "claims", "handwritten"} through symml.registry."""
    from symml.registry import load_registry

    return {
        f.name: {
            "sources": tuple(f.sources),
            "latex": f.latex,
            "claims": tuple(f.claims),
            "handwritten": f.handwritten,
        }
        for f in load_registry(FORMULAS)
    }


REGISTRY = _registry()


def _sources_in(prefix: str) -> set[str]:
    name = DOCUMENTS[prefix]
    return {n for n, e in REGISTRY.items() if any(s.startswith(name + ": ") for s in e["sources"])}


# ------------------------------------------------------------------ the tables, per document
# (heading in the document, registry name); in document order.

COVERAGE_000 = [
    ("1.1 Vector Operations", "dot_product"),
    ("1.1 Vector Operations", "cross_product"),
    ("1.2 Matrix Decomposition", "eigenvalue_equation"),
    ("1.2 Matrix Decomposition", "svd"),
    ("2.1 Gradient Descent", "gradient_descent"),
    ("2.2 Chain Rule for Backpropagation", "backprop_chain_rule"),
    ("2.3 Integration", "gaussian_integral"),
    ("2.3 Integration", "expected_value_continuous"),
    ("3.1 Bayes' Theorem", "bayes_theorem"),
    ("3.2 Normal Distribution", "normal_pdf"),
    ("3.3 Maximum Likelihood Estimation", "log_likelihood"),
    ("3.3 Maximum Likelihood Estimation", "mle_estimator"),
    ("3.3 Maximum Likelihood Estimation", "normal_log_likelihood"),
    ("4.1 Forward Pass", "sigmoid"),
    ("4.1 Forward Pass", "tanh"),
    ("4.1 Forward Pass", "relu"),
    ("4.1 Forward Pass", "softmax"),
    ("4.1 Forward Pass", "neuron_preactivation"),
    ("4.1 Forward Pass", "neuron_activation"),
    ("4.2 Loss Functions", "cross_entropy"),
    ("4.2 Loss Functions", "mse"),
    ("4.3 Regularization", "l2_regularization"),
    ("4.3 Regularization", "l1_regularization"),
    ("5.1 Entropy", "entropy"),
    ("5.2 KL Divergence", "kl_divergence"),
    ("5.3 Mutual Information", "mutual_information"),
    ("6.1 Attention Mechanism (Transformers)", "scaled_dot_product_attention"),
    ("6.2 Variational Inference (ELBO)", "elbo_bound"),
    ("6.3 Fourier Transform", "fourier_transform"),
    ("Code Example: Gradient Descent in Rust", "gradient_descent"),
    ("Code Example: Matrix Operations in Python", "svd_rank_k"),
    ("Code Example: Matrix Operations in Python", "gradient_descent"),
    ("Summary Table", "scaled_dot_product_attention"),
    ("Summary Table", "fourier_transform"),
    ("Summary Table", "kl_divergence"),
    ("Summary Table", "cross_entropy"),
    ("Summary Table", "backprop_chain_rule"),
    ("Summary Table", "gradient_descent"),
    ("Summary Table", "bayes_theorem"),
]

COVERAGE_001 = [
    ("Vectors", "dot_product"),
    ("Vectors", "vector_norm"),
    ("Vectors", "vector_addition"),
    ("Vectors", "scalar_multiplication"),
    ("Matrices", "matrix_addition"),
    ("Matrices", "matrix_multiplication"),
    ("Matrices", "matrix_transpose"),
    ("Matrices", "matrix_inverse"),
    ("Matrices", "linear_model"),
    ("Eigenvalues and Eigenvectors", "eigenvalue_equation"),
    ("Derivatives", "derivative_definition"),
    ("Derivatives", "power_rule"),
    ("Derivatives", "exponential_derivative"),
    ("Derivatives", "exponential_base_a_derivative"),
    ("Derivatives", "ln_derivative"),
    ("Derivatives", "log_base_a_derivative"),
    ("Derivatives", "sin_derivative"),
    ("Derivatives", "cos_derivative"),
    ("Derivatives", "chain_rule"),
    ("Derivatives", "product_rule"),
    ("Derivatives", "quotient_rule"),
    ("Partial Derivatives", "partial_derivative_example"),
    ("Gradient", "gradient_vector"),
    ("Gradient Descent", "gradient_descent"),
    ("Probability Basics", "classical_probability"),
    ("Probability Basics", "conditional_probability"),
    ("Probability Basics", "bayes_theorem"),
    ("Probability Basics", "independence"),
    ("Expected Value", "expected_value_discrete"),
    ("Expected Value", "expected_value_continuous"),
    ("Expected Value", "expectation_linearity"),
    ("Expected Value", "expectation_additivity"),
    ("Variance and Standard Deviation", "variance"),
    ("Variance and Standard Deviation", "variance_affine"),
    ("Variance and Standard Deviation", "variance_of_sum"),
    ("Variance and Standard Deviation", "standard_deviation"),
    ("Covariance and Correlation", "covariance"),
    ("Covariance and Correlation", "correlation"),
    ("Cost Functions", "binary_cross_entropy_sum"),
    ("Cost Functions", "mse"),
    ("Cost Functions", "mae"),
    ("Cost Functions", "hinge_loss"),
    ("Gradient Descent Variants", "sgd"),
    ("Gradient Descent Variants", "batch_gradient_descent"),
    ("Gradient Descent Variants", "minibatch_gradient_descent"),
    ("Learning Rate", "adam_no_bias_correction"),
    ("Linear Regression", "mse_half"),
    ("Linear Regression", "linear_hypothesis"),
    ("Logistic Regression", "sigmoid"),
    ("Logistic Regression", "logistic_hypothesis"),
    ("Logistic Regression", "logistic_regression_cost"),
    ("Neural Networks", "layer_preactivation"),
    ("Neural Networks", "layer_activation"),
    ("Neural Networks", "backprop_output_delta"),
    ("Neural Networks", "backprop_hidden_delta"),
    ("Neural Networks", "backprop_weight_gradient"),
    ("Neural Networks", "backprop_bias_gradient"),
    ("Support Vector Machine (SVM)", "svm_objective"),
    ("Support Vector Machine (SVM)", "svm_constraint"),
    ("Support Vector Machine (SVM)", "svm_decision_function"),
    ("Principal Component Analysis (PCA)", "pca_covariance"),
    ("Principal Component Analysis (PCA)", "pca_eigendecomposition"),
    ("Principal Component Analysis (PCA)", "pca_projection"),
    ("Sigmoid", "sigmoid"),
    ("Tanh", "tanh"),
    ("ReLU (Rectified Linear Unit)", "relu"),
    ("Leaky ReLU", "leaky_relu"),
    ("Softmax (for multi-class classification)", "softmax"),
    ("L1 Regularization (Lasso)", "l1_regularization_mse"),
    ("L2 Regularization (Ridge)", "l2_regularization_mse"),
    ("Elastic Net", "elastic_net"),
    ("Euclidean Distance", "euclidean_distance"),
    ("Manhattan Distance (L1)", "manhattan_distance"),
    ("Cosine Similarity", "cosine_similarity"),
    ("Minkowski Distance", "minkowski_distance"),
    ("Minkowski Distance", "chebyshev_distance"),
    ("Entropy", "entropy"),
    ("Cross-Entropy", "cross_entropy_distributions"),
    ("Kullback-Leibler Divergence", "kl_divergence"),
    ("Mutual Information", "mutual_information"),
    ("Singular Value Decomposition (SVD)", "svd"),
    ("QR Decomposition", "qr_decomposition"),
]

COVERAGE_002 = [
    ("Vectors and Matrices", "dot_product"),
    ("Vectors and Matrices", "cross_product"),
    ("Vectors and Matrices", "vector_norm"),
    ("Vectors and Matrices", "matrix_multiplication"),
    ("Vectors and Matrices", "matrix_inverse"),
    ("Vectors and Matrices", "determinant_2x2"),
    ("Matrix Decompositions", "eigenvalue_equation"),
    ("Matrix Decompositions", "svd"),
    ("Matrix Decompositions", "pca_covariance_unbiased"),
    ("Matrix Decompositions", "pca_eigendecomposition"),
    ("Matrix Decompositions", "pca_projection"),
    ("Applications in ML", "information_gain"),
    ("Derivatives and Gradients", "gradient_descent"),
    ("Derivatives and Gradients", "gd_quadratic_example"),
    ("Chain Rule and Backpropagation", "relu"),
    ("Chain Rule and Backpropagation", "linear_layer_forward"),
    ("Chain Rule and Backpropagation", "linear_layer_grad_weights"),
    ("Chain Rule and Backpropagation", "linear_layer_grad_bias"),
    ("Chain Rule and Backpropagation", "linear_layer_grad_input"),
    ("Chain Rule and Backpropagation", "relu_backward"),
    ("Optimization Concepts", "adam"),
    ("Optimization Concepts", "momentum"),
    ("Optimization Concepts", "rmsprop"),
    ("Optimization Concepts", "newton_method"),
    ("Probability Distributions", "normal_pdf"),
    ("Probability Distributions", "standard_normal_cdf"),
    ("Probability Distributions", "bernoulli_pmf"),
    ("Probability Distributions", "poisson_pmf"),
    ("Probability Distributions", "exponential_pdf"),
    ("Probability Distributions", "lognormal_pdf"),
    ("Bayesian Inference", "bayes_theorem"),
    ("Bayesian Inference", "law_of_total_probability"),
    ("Maximum Likelihood Estimation", "normal_log_likelihood"),
    ("Maximum Likelihood Estimation", "mle_normal_variance"),
    ("Maximum Likelihood Estimation", "sample_mean"),
    ("Hypothesis Testing", "sample_mean"),
    ("Hypothesis Testing", "sample_variance"),
    ("Hypothesis Testing", "standard_error"),
    ("Hypothesis Testing", "confidence_interval_margin"),
    ("Hypothesis Testing", "confidence_interval"),
    ("Hypothesis Testing", "t_statistic"),
    ("Hypothesis Testing", "pooled_variance"),
    ("Regression Analysis", "least_squares_objective"),
    ("Regression Analysis", "normal_equation"),
    ("Regularization", "ridge_objective"),
    ("Regularization", "ridge_closed_form"),
    ("Regularization", "lasso_objective"),
    ("Regularization", "lasso_rho"),
    ("Regularization", "lasso_soft_threshold"),
    ("Entropy and Information", "entropy"),
    ("Entropy and Information", "cross_entropy_bits"),
    ("Entropy and Information", "kl_divergence_bits"),
]

COVERAGE_003 = [
    ("1.1 Vectors", "euclidean_distance"),
    ("1.1 Vectors", "manhattan_distance"),
    ("1.1 Vectors", "cosine_similarity"),
    ("1.1 Vectors", "dot_product"),
    ("1.1 Vectors", "vector_norm"),
    ("1.1 Vectors", "l1_norm"),
    ("1.1 Vectors", "unit_vector"),
    ("1.2 Matrices", "matrix_multiplication"),
    ("1.2 Matrices", "matrix_inverse"),
    ("1.2 Matrices", "determinant_2x2"),
    ("1.2 Matrices", "eigenvalue_equation"),
    ("1.2 Matrices", "svd"),
    ("1.2 Matrices", "positive_definite"),
    ("1.2 Matrices", "normal_equation"),
    ("1.3 Algorithms vs Linear Algebra", "linear_model"),
    ("1.3 Algorithms vs Linear Algebra", "svm_objective"),
    ("2.1 Differential Calculus", "power_rule"),
    ("2.1 Differential Calculus", "chain_rule"),
    ("2.1 Differential Calculus", "product_rule"),
    ("2.1 Differential Calculus", "gradient_vector"),
    ("2.1 Differential Calculus", "jacobian_matrix"),
    ("2.1 Differential Calculus", "hessian_matrix"),
    ("2.1 Differential Calculus", "newton_method"),
    ("Gradient Descent Example", "gradient_descent"),
    ("Gradient Descent Example", "linear_regression_mse"),
    ("2.2 Chain Rule (Critical for Deep Learning)", "backprop_chain_rule_deep"),
    ("3.1 Probability Basics", "conditional_probability"),
    ("3.1 Probability Basics", "bayes_theorem"),
    ("3.1 Probability Basics", "independence"),
    ("3.2 Distributions", "normal_pdf"),
    ("3.2 Distributions", "bernoulli_pmf"),
    ("3.2 Distributions", "binomial_pmf"),
    ("3.2 Distributions", "poisson_pmf"),
    ("3.2 Distributions", "uniform_pdf"),
    ("3.2 Distributions", "multinomial_pmf"),
    ("3.2 Distributions", "multivariate_normal_pdf"),
    ("Descriptive", "variance"),
    ("Descriptive", "standard_deviation"),
    ("Descriptive", "covariance"),
    ("Descriptive", "correlation"),
    ("Descriptive", "sample_mean"),
    ("Descriptive", "sample_variance"),
    ("Inferential", "confidence_interval_margin"),
    ("Inferential", "confidence_interval"),
    ("Inferential", "t_statistic"),
    ("Inferential", "chi_square_statistic"),
    ("Estimation & Information Theory", "entropy"),
    ("Estimation & Information Theory", "entropy_nats"),
    ("Estimation & Information Theory", "cross_entropy_distributions"),
    ("Estimation & Information Theory", "kl_divergence"),
    ("Estimation & Information Theory", "information_gain"),
    ("Estimation & Information Theory", "log_likelihood"),
    ("Estimation & Information Theory", "mle_estimator"),
    ("Estimation & Information Theory", "map_estimator"),
    ("Binary Cross-Entropy", "binary_cross_entropy"),
    ("Core Concepts", "cross_entropy"),
    ("Core Concepts", "mse"),
    ("Core Concepts", "hinge_loss"),
    ("Core Concepts", "huber_loss"),
    ("Core Concepts", "l2_regularization_mse"),
    ("Core Concepts", "l1_regularization_mse"),
    ("Core Concepts", "elastic_net"),
    ("Core Concepts", "sgd"),
    ("Core Concepts", "batch_gradient_descent"),
    ("Core Concepts", "minibatch_gradient_descent"),
    ("Core Concepts", "adam"),
    ("Core Concepts", "momentum"),
    ("Core Concepts", "rmsprop"),
    ("Core Concepts", "adagrad"),
    ("Core Concepts", "lagrangian"),
    ("5. Attention Mechanism (Transformers)", "scaled_dot_product_attention"),
]

COVERAGE_004 = [
    ("1.1 Kullback-Leibler Divergence (KL-Divergence)", "kl_divergence"),
    ("1.1 Kullback-Leibler Divergence (KL-Divergence)", "kl_divergence_continuous"),
    ("1.2 Jensen-Shannon Divergence (JS-Divergence)", "js_divergence"),
    ("1.3 Wasserstein Distance (Optimal Transport)", "wasserstein_distance"),
    ("1.3 Wasserstein Distance (Optimal Transport)", "wasserstein_1"),
    ("1.4 Maximum Mean Discrepancy (MMD)", "mmd"),
    ("1.4 Maximum Mean Discrepancy (MMD)", "mmd_squared"),
    ("1.5 Mahalanobis Distance", "mahalanobis_distance"),
    ("2.1 Generative Adversarial Networks (GAN)", "gan_minimax"),
    ("2.1 Generative Adversarial Networks (GAN)", "gan_pointwise_value"),
    ("2.1 Generative Adversarial Networks (GAN)", "gan_optimal_discriminator"),
    ("2.1 Generative Adversarial Networks (GAN)", "gan_generator_loss"),
    ("Evidence Lower Bound (ELBO)", "elbo"),
    ("Evidence Lower Bound (ELBO)", "elbo_bound"),
    ("Reparameterization Trick", "vae_reparameterization"),
    ("Forward Process", "ddpm_forward_step"),
    ("Forward Process", "ddpm_forward_joint"),
    ("Reparameterization", "ddpm_closed_form"),
    ("Reparameterization", "ddpm_alpha"),
    ("Reparameterization", "ddpm_alpha_bar"),
    ("Reverse Process", "ddpm_reverse_joint"),
    ("Reverse Process", "ddpm_reverse_step"),
    ("Training Objective", "ddpm_simple_loss"),
    ("3.1 Cross-Entropy Loss", "cross_entropy"),
    ("3.1 Cross-Entropy Loss", "binary_cross_entropy"),
    ("3.2 Mean Squared Error", "mse"),
    ("3.3 Focal Loss", "focal_loss"),
    ("4.1 Gradient Descent", "gradient_descent"),
    ("4.2 Adam Optimizer", "adam"),
    ("5.1 Softmax Function", "softmax"),
    ("5.2 Attention Mechanism", "scaled_dot_product_attention"),
    ("5.3 Layer Normalization", "layer_norm"),
    ("5.3 Layer Normalization", "layer_norm_mean"),
    ("5.3 Layer Normalization", "layer_norm_variance"),
]


COVERAGE = {
    "000": COVERAGE_000,
    "001": COVERAGE_001,
    "002": COVERAGE_002,
    "003": COVERAGE_003,
    "004": COVERAGE_004,
}

#: How many registry entries name each document among their sources.
EXPECTED_COUNTS = {"000": 30, "001": 81, "002": 51, "003": 71, "004": 34}

#: Entries whose ``latex`` is the document's LaTeX verbatim (000 and 004 only).
VERBATIM = {
    "000": [
        "dot_product",
        "cross_product",
        "svd",
        "eigenvalue_equation",
        "gradient_descent",
        "backprop_chain_rule",
        "expected_value_continuous",
        "gaussian_integral",
        "normal_pdf",
        "log_likelihood",
        "mle_estimator",
        "neuron_preactivation",
        "neuron_activation",
        "cross_entropy",
        "mse",
        "l2_regularization",
        "l1_regularization",
        "entropy",
        "scaled_dot_product_attention",
        "elbo_bound",
        "fourier_transform",
    ],
    "004": [
        "kl_divergence",
        "kl_divergence_continuous",
        "js_divergence",
        "wasserstein_distance",
        "wasserstein_1",
        "mmd",
        "mmd_squared",
        "mahalanobis_distance",
        "gan_minimax",
        "gan_optimal_discriminator",
        "gan_generator_loss",
        "elbo",
        "vae_reparameterization",
        "ddpm_forward_step",
        "ddpm_forward_joint",
        "ddpm_closed_form",
        "ddpm_alpha",
        "ddpm_alpha_bar",
        "ddpm_reverse_joint",
        "ddpm_reverse_step",
        "ddpm_simple_loss",
        "binary_cross_entropy",
        "focal_loss",
        "adam",
        "softmax",
        "layer_norm",
        "layer_norm_mean",
        "layer_norm_variance",
    ],
}

#: Where the documents are wrong: (entry, document) of every claim marked ``erratum``.
ERRATA = {
    ("relu", "001"),
    ("cross_entropy_bits", "002"),
    ("kl_divergence_bits", "002"),
}

#: Where the documents' code is wrong: (entry, hand-written reference) of every formula or
#: claim marked ``handwritten_erratum`` (the formula is right, computing it that way is not).
HANDWRITTEN_ERRATA = {
    ("tanh", "symml.handwritten.activations:tanh"),  # e^x overflows: inf / inf
    ("softmax", "symml.handwritten.activations:softmax"),  # e^z overflows: inf / inf
    ("scaled_dot_product_attention", "symml.handwritten.neural_networks:attention"),
    ("minkowski_distance", "symml.handwritten.linear_algebra:minkowski_distance"),  # |d|^p
    ("logistic_regression_cost", "symml.handwritten.regression:logistic_regression_cost"),
    ("lasso_objective", "symml.handwritten.regression:lasso_regression_adapter"),  # X_b
}

#: Broken ``$$`` blocks of 000: the heading has no formula; the entry comes from elsewhere.
BROKEN_BLOCKS = {
    "3.1 Bayes' Theorem": "bayes_theorem",
    "5.3 Mutual Information": "mutual_information",
}


def _cases():
    for prefix, rows in COVERAGE.items():
        for heading, name in rows:
            yield pytest.param(prefix, heading, name, id=f"{prefix}:{heading}->{name}")


# ------------------------------------------------------------------ tests


@pytest.mark.parametrize(("prefix", "heading", "name"), list(_cases()))
def test_document_formula_is_in_the_registry(prefix: str, heading: str, name: str) -> None:
    assert name in REGISTRY, f"{DOCUMENTS[prefix]}: {heading}: no registry entry {name!r}"
    source = f"{DOCUMENTS[prefix]}: {heading}"
    assert source in REGISTRY[name]["sources"], (
        f"{name}: sources {list(REGISTRY[name]['sources'])} lack {source!r}"
    )


@pytest.mark.parametrize("prefix", sorted(DOCUMENTS))
def test_each_document_contributes_the_expected_count(prefix: str) -> None:
    found = _sources_in(prefix)
    tabled = {name for _, name in COVERAGE[prefix]}
    assert found == tabled, (
        f"{DOCUMENTS[prefix]}: in the registry, not in the table: {sorted(found - tabled)}; "
        f"in the table, not in the registry: {sorted(tabled - found)}"
    )
    assert len(found) == EXPECTED_COUNTS[prefix]


def test_registry_is_large() -> None:
    assert len(REGISTRY) > 100


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_every_entry_names_an_existing_document(name: str) -> None:
    sources = REGISTRY[name]["sources"]
    assert sources, f"{name}: no sources"
    for source in sources:
        file_name, sep, heading = source.partition(": ")
        assert sep and heading, f"{name}: source {source!r} is not '<file>: <heading>'"
        assert file_name in DOCUMENTS.values(), f"{name}: unknown document {file_name!r}"


def test_names_are_unique_across_files() -> None:
    counts = Counter(name for _, name, _ in _raw_tables())
    where = {}
    for file_name, name, _ in _raw_tables():
        where.setdefault(name, []).append(file_name)
    assert not [n for n, c in counts.items() if c > 1], {
        n: where[n] for n, c in counts.items() if c > 1
    }
    assert all(name.isidentifier() and name == name.lower() for name in counts)


def test_claim_sources_name_a_source_of_the_entry_document() -> None:
    bad = []
    for name, entry in REGISTRY.items():
        for claim in entry["claims"]:
            if claim.source is None:
                bad.append((name, "no source"))
            elif claim.source.partition(": ")[0] not in DOCUMENTS.values():
                bad.append((name, claim.source))
    assert not bad


def test_errata_are_the_known_ones() -> None:
    found = set()
    for name, entry in REGISTRY.items():
        for claim in entry["claims"]:
            if claim.erratum:
                prefix = claim.source.partition(": ")[0][:3]
                found.add((name, prefix))
    assert found == ERRATA


def test_handwritten_errata_are_the_known_ones() -> None:
    from symml.registry import load_registry

    found = set()
    for formula in load_registry(FORMULAS):
        if formula.handwritten_erratum:
            found.add((formula.name, formula.handwritten))
        for claim in formula.claims:
            if claim.handwritten_erratum:
                found.add((formula.name, claim.handwritten))
    assert found == HANDWRITTEN_ERRATA


@pytest.mark.parametrize("heading", sorted(BROKEN_BLOCKS))
def test_broken_blocks_are_covered_and_noted(heading: str) -> None:
    entry = BROKEN_BLOCKS[heading]
    assert f"{DOCUMENTS['000']}: {heading}" in REGISTRY[entry]["sources"]
    from symml.registry import load_registry

    assert "broken block" in (load_registry(FORMULAS).get(entry).notes or "")


def _handwritten_refs():
    for name, entry in sorted(REGISTRY.items()):
        refs = [entry["handwritten"], *(c.handwritten for c in entry["claims"])]
        for ref in dict.fromkeys(r for r in refs if r):
            yield pytest.param(name, ref, id=f"{name}->{ref}")


@pytest.mark.parametrize(("name", "ref"), list(_handwritten_refs()))
def test_handwritten_reference_exists(name: str, ref: str) -> None:
    module, _, func = ref.partition(":")
    assert hasattr(importlib.import_module(module), func), f"{name}: {ref} not found"


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_source_headings_exist_in_the_documents(name: str) -> None:
    for source in REGISTRY[name]["sources"]:
        file_name, _, heading = source.partition(": ")
        lines = (DOCUMENTS_DIR / file_name).read_text(encoding="utf-8").splitlines()
        assert heading in {line.lstrip("#").strip() for line in lines}, (
            f"{name}: heading {heading!r} is not a line of {file_name}"
        )


@pytest.mark.parametrize(
    ("prefix", "name"),
    [pytest.param(p, n, id=f"{p}:{n}") for p, names in VERBATIM.items() for n in names],
)
def test_latex_of_000_and_004_is_verbatim(prefix: str, name: str) -> None:
    text = (DOCUMENTS_DIR / DOCUMENTS[prefix]).read_text(encoding="utf-8")
    assert REGISTRY[name]["latex"].strip() in text
