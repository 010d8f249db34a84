"""Linear algebra: 002's ``pca``, 000's ``svd_compress``, the dot product, covariance, distances.

Sources (documents in ``formulas/documents/``):

    pca                   002 "Linear Algebra / Matrix Decompositions" (def pca)
    pca_covariance        adapter: the covariance ``pca`` diagonalises, rebuilt from its output
    svd_compress          000 "Code Example: Matrix Operations in Python"
    svd_compress_factors  adapter: ``svd_compress(U_k Sigma_k V_k^T, k)``, a rank <= k matrix
    dot                   000 "1.1 Vector Operations"; 001 "2. Vectors / Dot Product"
    norm                  001 "2. Vectors / Vector Norm"
    covariance_matrix     001 "6. Principal Component Analysis": Sigma = (1/n) X^T X
    euclidean_distance    001 "9. Distance Metrics"
    manhattan_distance    001 "9. Distance Metrics"
    cosine_similarity     001 "9. Distance Metrics"
    minkowski_distance    001 "9. Distance Metrics"
    mahalanobis_distance  004 "1.5 Mahalanobis Distance"

Behaviour kept from 002's ``pca``: the covariance comes from ``np.cov``, i.e. divides by n - 1,
while 001 writes Sigma = (1/n) X^T X, so the eigenvalues differ by the factor n / (n - 1);
``np.linalg.eig`` (not ``eigh``) is used on a symmetric matrix; and with a single feature
``np.cov`` returns a 0-d array, on which ``np.linalg.eig`` raises LinAlgError.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from symml.handwritten._support import frozen

#: Hand-written keyword -> registry symbol, where a document uses another name.
ADAPTERS = frozen(
    {
        # 000 "1.2": A = U Sigma V^T; svd_compress(matrix, k)
        "svd_compress": {"matrix": "A"},
        # 000 "1.1" writes a . b (LaTeX); 001 writes u . v
        "dot": {"a": "u", "b": "v"},
        # pca(X, n_components): the projection Y = X P_k of 001 uses k
        "pca": {"n_components": "k"},
    }
)


def pca(
    X: ArrayLike, n_components: int
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Document 002's PCA, as written (covariance by ``np.cov``: 1/(n-1)).

    Args:
        X: data, one sample per row.
        n_components: number of components to keep.

    Returns:
        ``(X_pca, components, eigenvalues)``; all eigenvalues, in descending order.
    """
    # Center the data
    X_centered = X - X.mean(axis=0)
    # Compute covariance matrix
    cov = np.cov(X_centered.T)
    # Eigenvalue decomposition
    eigenvalues, eigenvectors = np.linalg.eig(cov)
    # Sort by eigenvalues (descending)
    idx = eigenvalues.argsort()[::-1]
    eigenvalues = eigenvalues[idx]
    eigenvectors = eigenvectors[:, idx]
    # Select top n components
    components = eigenvectors[:, :n_components]
    # Transform data
    X_pca = X_centered @ components
    return X_pca, components, eigenvalues


def pca_covariance(X: ArrayLike) -> NDArray[np.float64]:
    """Adapter: the covariance matrix that ``pca`` diagonalises, ``P diag(eigenvalues) P^T``.

    Built from ``pca``'s own output (all components), so it can be compared with 001's
    ``Sigma = (1/n) X^T X`` (for centred X).

    Args:
        X: data, one sample per row.

    Returns:
        The d x d matrix (equal to ``np.cov(X.T)``: divided by n - 1).
    """
    X = np.asarray(X, dtype=float)
    _, P, eigenvalues = pca(X, X.shape[1])
    return P @ np.diag(eigenvalues) @ P.T


def svd_compress(matrix: ArrayLike, k: int) -> NDArray[np.float64]:
    """Document 000's rank-k approximation through the thin SVD.

    Args:
        matrix: the matrix A.
        k: number of singular values kept.

    Returns:
        ``U_k @ diag(S_k) @ Vt_k``.
    """
    U, S, Vt = np.linalg.svd(matrix, full_matrices=False)
    U_k = U[:, :k]
    S_k = np.diag(S[:k])
    Vt_k = Vt[:k, :]
    return U_k @ S_k @ Vt_k


def svd_compress_factors(U_k: ArrayLike, Sigma_k: ArrayLike, V_k: ArrayLike) -> NDArray[np.float64]:
    """Adapter (not in the documents): :func:`svd_compress` of the matrix ``U_k Sigma_k V_k^T``
    with ``k`` = the size of ``Sigma_k``, so that it can be compared with ``A_k = U_k Sigma_k
    V_k^T`` at sampled factors: that matrix has rank at most k, so its rank-k compression is
    itself (a compression that keeps fewer values, or puts them back wrongly, is not).

    Args:
        U_k: an (m, k) matrix.
        Sigma_k: a (k, k) matrix.
        V_k: an (n, k) matrix.

    Returns:
        ``svd_compress(U_k @ Sigma_k @ V_k.T, k)``.
    """
    U_k, Sigma_k, V_k = (np.asarray(a, dtype=float) for a in (U_k, Sigma_k, V_k))
    return svd_compress(U_k @ Sigma_k @ V_k.T, Sigma_k.shape[0])


def dot(a: ArrayLike, b: ArrayLike) -> np.float64:
    """Dot product, ``sum_i a_i b_i`` (000 "1.1"; 001 writes it with u and v).

    Args:
        a: first vector.
        b: second vector.

    Returns:
        The sum of products.
    """
    return np.sum(np.asarray(a) * np.asarray(b))


def norm(v: ArrayLike) -> np.float64:
    """Vector norm as 001 writes it, ``sqrt(v_1^2 + ... + v_n^2)``.

    Args:
        v: the vector.

    Returns:
        The Euclidean length.
    """
    return np.sqrt(np.sum(np.asarray(v) ** 2))


def covariance_matrix(X: ArrayLike, n: int | None = None) -> NDArray[np.float64]:
    """001's PCA covariance, ``Sigma = (1/n) X^T X`` (X assumed centred; nothing centres it).

    Args:
        X: data, one sample per row.
        n: the count in ``1/n`` (default: the number of rows).

    Returns:
        The d x d matrix.
    """
    X = np.asarray(X)
    n = X.shape[0] if n is None else n
    return (1 / n) * X.T @ X


def euclidean_distance(x: ArrayLike, y: ArrayLike) -> np.float64:
    """``sqrt(sum (x_i - y_i)^2)`` (001 "9").

    Args:
        x: first point.
        y: second point.

    Returns:
        The distance.
    """
    return np.sqrt(np.sum((np.asarray(x) - np.asarray(y)) ** 2))


def manhattan_distance(x: ArrayLike, y: ArrayLike) -> np.float64:
    """``sum |x_i - y_i|`` (001 "9").

    Args:
        x: first point.
        y: second point.

    Returns:
        The distance.
    """
    return np.sum(np.abs(np.asarray(x) - np.asarray(y)))


def cosine_similarity(x: ArrayLike, y: ArrayLike) -> np.float64:
    """``(x . y) / (||x|| ||y||)`` (001 "9"; nan for a zero vector, as written).

    Args:
        x: first vector.
        y: second vector.

    Returns:
        The cosine of the angle between them.
    """
    x, y = np.asarray(x), np.asarray(y)
    return np.dot(x, y) / (np.linalg.norm(x) * np.linalg.norm(y))


def minkowski_distance(x: ArrayLike, y: ArrayLike, p: float) -> np.float64:
    """``(sum |x_i - y_i|^p)^(1/p)`` (001 "9"; p = inf is not handled, as written).

    Args:
        x: first point.
        y: second point.
        p: the order.

    Returns:
        The distance.
    """
    return np.sum(np.abs(np.asarray(x) - np.asarray(y)) ** p) ** (1 / p)


def mahalanobis_distance(x: ArrayLike, y: ArrayLike, Sigma: ArrayLike) -> np.float64:
    """``sqrt((x-y)^T Sigma^{-1} (x-y))`` (004 "1.5"), with the inverse as written.

    Args:
        x: first point.
        y: second point.
        Sigma: covariance matrix.

    Returns:
        The distance.
    """
    d = np.asarray(x) - np.asarray(y)
    return np.sqrt(d.T @ np.linalg.inv(Sigma) @ d)
