"""Matrix-form gradients: time to derive and prove them, and their generated NumPy code.

    python bench/matrix.py            # m = 10^6, n = 10
    python bench/matrix.py --quick    # m = 10^5, a smoke run

Side by side, nothing pass/fail:

* for each registry formula with a matrix-form gradient, the seconds ``derive(name, "w")``
  takes, finite-difference proofs at two sizes included;
* the NumPy code symml generates for 2 X^T (Xw - y) and for the logistic gradient
  (1/m) X^T (sigma(Xw + b 1) - y), against hand-written NumPy, at m samples of n features
  (best of 15 runs each, run alternately). Target: generated <= 1.0x hand-written.

The generated code is ``symml.numeric.lambdify_ml`` of the derived gradient. Its printer has
no rule for an element-wise function of a matrix (``ElementwiseApplyFunction``) yet, so
such a node is compiled on its own (``lambdify_ml`` of the scalar function, applied to the
compiled argument) and bound into the rest as an array: still symml's code throughout.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import sympy as sp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

REGISTRY = ("least_squares_objective", "ridge_objective", "mse_half", "logistic_regression_cost")


def best_of_pair(a, b, repeat=15):
    """Best times of ``a`` and ``b``, run alternately (the machine's load hits both)."""
    ta, tb = [], []
    for _ in range(repeat):
        for fn, out in ((a, ta), (b, tb)):
            t0 = time.perf_counter()
            fn()
            out.append(time.perf_counter() - t0)
    return min(ta), min(tb)


def compile_matrix(G, args):
    """``lambdify_ml`` of ``G``; each element-wise node compiled separately and bound in."""
    from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction

    from symml.numeric import lambdify_ml

    nodes = sorted(G.atoms(ElementwiseApplyFunction), key=sp.default_sort_key)
    parts = []
    for n, node in enumerate(nodes):
        slot = sp.MatrixSymbol(f"E{n}", *node.shape)
        (u,) = node.function.variables
        scalar = lambdify_ml(node.function.expr, [u])
        inner_args = [a for a in args if getattr(node.expr, "has", lambda _: False)(a)]
        inner = lambdify_ml(node.expr, inner_args)
        parts.append((slot, scalar, inner, inner_args))
        G = G.xreplace({node: slot})
    outer = lambdify_ml(G, list(args) + [p[0] for p in parts])

    def call(*values):
        named = dict(zip(args, values, strict=True))
        extra = [s(inner(*[named[a] for a in ia])) for _, s, inner, ia in parts]
        return outer(*values, *extra)

    return call


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    opts = ap.parse_args(argv)
    m, n = (10**5 if opts.quick else 10**6), 10

    from symml.derivation import derive

    print("derive --wrt w (matrix form, proved by finite differences at two sizes)")
    grads = {}
    for name in REGISTRY:
        t0 = time.perf_counter()
        d = derive(name, "w", steps=False)
        dt = time.perf_counter() - t0
        grads[name] = d.gradient
        print(f"  {name:<28} {dt:7.2f} s   {d.gradient}")

    rng = np.random.default_rng(0)
    X = rng.standard_normal((m, n))
    w = rng.standard_normal((n, 1))
    y = rng.standard_normal((m, 1))
    labels = (rng.random((m, 1)) < 0.5).astype(float)
    b = 0.3

    def by_name(G):
        return {M.name: M for M in G.atoms(sp.MatrixSymbol)}

    print(f"\ngenerated NumPy against hand-written, m = {m}, n = {n} (best of 15)")
    G = grads["least_squares_objective"]
    M = by_name(G)
    gen = compile_matrix(G, [M["X"], M["w"], M["y"]])
    hand = lambda: 2 * (X.T @ (X @ w - y))  # noqa: E731  (not 2 * X.T @ ...: a copy of X)
    assert np.allclose(gen(X, w, y), hand())
    tg, th = best_of_pair(lambda: gen(X, w, y), hand)
    print(
        f"  2 X^T (Xw - y)          generated {tg * 1e3:8.2f} ms   hand {th * 1e3:8.2f} ms"
        f"   ratio {tg / th:5.2f}x   (target <= 1.0x)"
    )

    G = grads["logistic_regression_cost"]
    M = by_name(G)
    bsym = next(s for s in G.free_symbols if isinstance(s, sp.Symbol) and s.name == "b")
    gen = compile_matrix(G, [M["X"], M["w"], M["y"], bsym])

    def hand_logistic():
        z = X @ w + b
        p = np.where(z >= 0, 1 / (1 + np.exp(-z)), np.exp(z) / (1 + np.exp(z)))
        return X.T @ (p - labels) / m

    assert np.allclose(gen(X, w, labels, b), hand_logistic())
    tg, th = best_of_pair(lambda: gen(X, w, labels, b), hand_logistic)
    print(
        f"  (1/m) X^T (s(Xw+b) - y) generated {tg * 1e3:8.2f} ms   hand {th * 1e3:8.2f} ms"
        f"   ratio {tg / th:5.2f}x   (target <= 1.0x)"
    )


if __name__ == "__main__":
    main()
