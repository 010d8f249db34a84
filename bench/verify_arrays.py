"""Verify time of a whole-array gradient against the per-component path, side by side.

The least-squares gradient over m samples, d/dw (1/m) sum_i (w^T x_i - y_i)^2, written two
ways: the whole gradient as NumPy returns it (``2/m x.T @ (x @ w - y)``, shape (n,)), and
one component for the index j (counted from 1). Each is verified by
``symml.verification.verify_function`` at n = 10 and n = 1000 (m = 50 samples); the table
prints wall time, the points compared and how many gradient entries that judged.

    python bench/verify_arrays.py            # n = 10 and n = 1000
    python bench/verify_arrays.py --quick    # n = 10 and n = 100, 1 repeat
"""

from __future__ import annotations

import argparse
import time

from symml.verification import verify_function

LATEX = r"\frac{1}{m}\sum_{i=1}^{m} (\mathbf{w}^\top \mathbf{x}_i - y_i)^2"
M = 50


def whole(w, x, y):
    return 2 / len(y) * x.T @ (x @ w - y)


def component(w, x, y, j):
    return 2 / len(y) * (x @ w - y) @ x[:, j - 1]


def run(code, n: int, repeats: int) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = verify_function(code, LATEX, "w", sizes={"n": n, "m": M}, points=1000)
        best = min(best, time.perf_counter() - t0)
    return best, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    opts = parser.parse_args()
    sizes, repeats = ((10, 100), 1) if opts.quick else ((10, 1000), 1)
    run(whole, 3, 1)  # warm up: imports, the parse and the derivation's first call
    from symml.derivation import derive
    from symml.errors import DerivationError
    from symml.latex import parse_latex

    t0 = time.perf_counter()
    try:
        derive(parse_latex(LATEX), "w", steps=False)
        how = "derived"
    except DerivationError:
        how = "refused: SymPy's derivative is the reference"
    print(f"derive alone (part of every row below): {time.perf_counter() - t0:.2f} s ({how})")
    print(f"{'n':>6} {'path':<15} {'seconds':>8} {'points':>7} {'entries judged':>15}  verdict")
    for n in sizes:
        rows = []
        for label, code in (("whole array", whole), ("per component", component)):
            seconds, result = run(code, n, repeats)
            entries = result.points * (n if label == "whole array" else 1)
            rows.append((label, seconds, result.points, entries, result.status.value))
        for label, seconds, points, entries, verdict in rows:
            print(f"{n:>6} {label:<15} {seconds:>8.2f} {points:>7} {entries:>15}  {verdict}")
        ratio = rows[0][1] / rows[1][1]
        per_entry = (rows[0][1] / rows[0][3]) / (rows[1][1] / rows[1][3])
        print(f"{n:>6} whole/component time {ratio:.2f}x; time per judged entry {per_entry:.3f}x")


if __name__ == "__main__":
    main()
