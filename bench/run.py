"""symml's benchmark: every figure measured side by side in one run, as a ratio to its baseline.

    python bench/run.py            # the full run (a few minutes on 2 cores)
    python bench/run.py --quick    # smaller sizes, for a smoke test
    python bench/run.py --json bench/results.json

Targets (issue 8) are printed beside each figure; nothing here is a pass/fail test.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import sympy as sp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ROWS: list[dict] = []


def row(section, what, value, unit, baseline=None, base_unit=None, target="", note=""):
    ratio = None
    if baseline not in (None, 0) and value is not None:
        ratio = value / baseline
    ROWS.append(
        {
            "section": section,
            "what": what,
            "value": value,
            "unit": unit,
            "baseline": baseline,
            "baseline_unit": base_unit or unit,
            "ratio": ratio,
            "target": target,
            "note": note,
        }
    )
    shown = "-" if value is None else f"{value:.4g} {unit}"
    base = "" if baseline is None else f"{baseline:.4g} {base_unit or unit}"
    r = "" if ratio is None else f"{ratio:.3g}x"
    print(f"  {what:58s} {shown:>16s} {base:>16s} {r:>9s}  {target}", flush=True)


def best_of(fn, repeat=5):
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def wall(cmd, env=None, repeat=3):
    def go():
        subprocess.run(cmd, check=False, capture_output=True, env=env, cwd=tempfile.gettempdir())

    return best_of(go, repeat)


def symml_cmd(*args):
    return [sys.executable, "-m", "symml.cli", *args]


# ----------------------------------------------------------------------------- 1. start-up
def bench_startup(quick):
    print("1. Start-up and registry load")
    env = dict(os.environ)
    cache = tempfile.mkdtemp(prefix="symml-bench-cache-")
    env["SYMML_CACHE_DIR"] = cache
    subprocess.run(symml_cmd("list"), capture_output=True, env=env, check=False)
    help_t = wall(symml_cmd("--help"), env)
    row("startup", "symml --help (wall)", help_t, "s", target="< 0.3 s")
    list_t = wall(symml_cmd("list"), env)
    row("startup", "symml list, warm cache (wall)", list_t, "s", target="< 0.5 s")

    code = (
        "import time,sys; t=time.perf_counter(); from symml.registry import load_registry;"
        "r=load_registry(); [f.expr for f in r.formulas()]; print(time.perf_counter()-t)"
    )
    cold_env = dict(env, SYMML_NO_CACHE="1")
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=cold_env, check=False
    )
    cold = float(out.stdout.strip() or "nan")
    subprocess.run([sys.executable, "-c", code], capture_output=True, env=env, check=False)
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False
    )
    warm = float(out.stdout.strip() or "nan")
    row("startup", "registry load + parse all, cold (no cache)", cold, "s")
    row("startup", "registry load + parse all, warm / cold", warm, "s", cold, target="<= 10%")

    from symml.latex import latex2sympy_isolated, parse_latex
    from symml.registry import load_registry

    formulas = load_registry().formulas()
    chosen = formulas[: (20 if quick else None)]
    texts = [f.latex for f in chosen]
    t = time.perf_counter()
    for f in chosen:  # with the formula's declarations, as the registry parses it
        parse_latex(f.latex, symbols=dict(f.symbols), functions=list(f.functions) or None)
    ours = (time.perf_counter() - t) / len(texts)
    ok = 0
    t = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for s in texts:
            try:
                latex2sympy_isolated(s)
                ok += 1
            except Exception:  # noqa: BLE001  (the baseline fails on many formulas)
                pass
    base = (time.perf_counter() - t) / len(texts)
    row(
        "startup",
        f"parse per formula, symml ({len(texts)} formulas)",
        ours * 1e3,
        "ms",
        base * 1e3,
        note=f"latex2sympy2 parsed {ok}/{len(texts)}",
        target="baseline: raw latex2sympy2",
    )


# ----------------------------------------------------------------------------- 2. verify --all
def bench_verify_all(quick):
    print("2. Whole registry")
    if quick:
        print("  (skipped in --quick)")
        return
    t = time.perf_counter()
    proc = subprocess.run(
        symml_cmd("verify", "--all", "--json"),
        capture_output=True,
        text=True,
        check=False,
        cwd=tempfile.gettempdir(),
    )
    elapsed = time.perf_counter() - t
    note = f"exit {proc.returncode}"
    try:
        data = json.loads(proc.stdout)
        checks = [c for f in data["formulas"] for c in f["checks"]]
        note += f", {len(data['formulas'])} formulas, {len(checks)} checks"
    except (ValueError, KeyError):
        note += ", no JSON"
    row("verify", "symml verify --all (wall)", elapsed, "s", target="< 20 s", note=note)


# ----------------------------------------------------------------------------- 3. generated code
def bench_generated(quick):
    print("3. Generated code against hand-written NumPy (time; ratio to hand-written)")
    from symml.functions import sigmoid, softplus
    from symml.handwritten import activations as hw
    from symml.numeric import lambdify_ml

    n = 10**5 if quick else 10**6
    rng = np.random.default_rng(0)
    xs = rng.normal(0, 5, n)
    x = sp.Symbol("x", real=True)
    cases = [
        ("sigmoid'", sp.diff(sigmoid(x), x), hw.sigmoid_prime, sp.diff(1 / (1 + sp.exp(-x)), x)),
        ("tanh'", sp.diff(sp.tanh(x), x), hw.tanh_prime, sp.diff(sp.tanh(x), x)),
        ("softplus'", sp.diff(softplus(x), x), hw.sigmoid, sp.diff(sp.log(1 + sp.exp(x)), x)),
    ]
    with np.errstate(all="ignore"):
        for name, expr, hand, elementary in cases:
            ours = lambdify_ml(expr, [x])
            naive = sp.lambdify([x], elementary, modules="numpy")
            t_ours = best_of(lambda ours=ours: ours(xs))
            t_hand = best_of(lambda hand=hand: hand(x=xs))
            t_naive = best_of(lambda naive=naive: naive(xs))
            row(
                "generated",
                f"{name} n={n}: symml",
                t_ours * 1e3,
                "ms",
                t_hand * 1e3,
                target="<= 1.1x hand-written",
            )
            row(
                "generated",
                f"{name} n={n}: SymPy lambdify (no CSE)",
                t_naive * 1e3,
                "ms",
                t_hand * 1e3,
            )

    # softmax Jacobian-vector product, textbook form s_i (v_i - sum_j s_j v_j), batched rows
    K = 10
    rows = n // K
    z = rng.normal(0, 3, (rows, K))
    v = rng.normal(0, 1, (rows, K))
    zb, vb = sp.IndexedBase("z"), sp.IndexedBase("v")
    i, j = sp.symbols("i j", integer=True)
    Ks = sp.Symbol("K", integer=True, positive=True)
    s = lambda idx: sp.exp(zb[idx]) / sp.Sum(sp.exp(zb[j]), (j, 1, Ks))  # noqa: E731
    jvp_i = s(1) * (vb[1] - sp.Sum(s(j) * vb[j], (j, 1, Ks)))
    ours = lambdify_ml(jvp_i, [zb, vb])

    def hand_jvp():
        e = np.exp(z - z.max(axis=1, keepdims=True))
        sm = e / e.sum(axis=1, keepdims=True)
        return sm * (v - (sm * v).sum(axis=1, keepdims=True))

    t_ours = best_of(lambda: ours(z=z, v=v))
    t_hand = best_of(hand_jvp)
    row(
        "generated",
        f"softmax JVP component, {rows}x{K}: symml",
        t_ours * 1e3,
        "ms",
        t_hand * 1e3,
        target="<= 1.1x",
        note="symml computes one component, hand-written all K",
    )
    return lambdify_ml


# ----------------------------------------------------------------------------- 4. sums
def _logistic_gradient_expr():
    from symml.functions import sigmoid

    w, X, y = sp.IndexedBase("w"), sp.IndexedBase("X"), sp.IndexedBase("y")
    i, j = sp.symbols("i j", integer=True)
    m, n = sp.symbols("m n", integer=True, positive=True)
    k = sp.Integer(1)
    z = sp.Sum(w[j] * X[i, j], (j, 1, n))
    return (sp.Sum((sigmoid(z) - y[i]) * X[i, k], (i, 1, m)) / m, (w, X, y), (m, n))


def bench_sums(quick):
    print("4. Sums over samples: logistic-regression gradient, component w_1, n = 10")
    from symml.numeric import lambdify_ml

    expr, (w, X, y), (m, n) = _logistic_gradient_expr()
    rng = np.random.default_rng(1)
    M = 10**5 if quick else 10**6
    Xs = rng.normal(size=(M, 10))
    ys = (rng.random(M) < 0.5).astype(float)
    ws = rng.normal(size=10)
    ours = lambdify_ml(expr, [w, X, y])
    t_ours = best_of(lambda: ours(w=ws, X=Xs, y=ys), 3)

    def hand():
        h = 1 / (1 + np.exp(-(Xs @ ws)))
        return (h - ys) @ Xs[:, 0] / M

    t_hand = best_of(hand, 3)
    got, want = ours(w=ws, X=Xs, y=ys), hand()
    row(
        "sums",
        f"symml vectorised, m={M}",
        t_ours * 1e3,
        "ms",
        t_hand * 1e3,
        target="<= 1.5x hand-written",
        note=f"|diff| = {abs(got - want):.1e}",
    )

    # SymPy's default lambdify of a Sum is a Python loop: measure it on fewer samples
    small = 2000 if quick else 20000
    from symml.functions import to_elementary

    loop_fn = sp.lambdify([w, X, y, m, n], to_elementary(expr), modules="numpy")
    Xsm, ysm = Xs[:small], ys[:small]
    ours_small = best_of(lambda: ours(w=ws, X=Xsm, y=ysm), 3)

    class OneBased:  # SymPy's loop indexes 1..m literally; shift to NumPy's 0-based arrays
        def __init__(self, a):
            self.a = a

        def __getitem__(self, idx):
            if isinstance(idx, tuple):
                return self.a[tuple(k - 1 for k in idx)]
            return self.a[idx - 1]

    t_loop = best_of(lambda: loop_fn(OneBased(ws), OneBased(Xsm), OneBased(ysm), small, 10), 1)
    row(
        "sums",
        f"SymPy default lambdify (loops) vs symml, m={small}",
        t_loop * 1e3,
        "ms",
        ours_small * 1e3,
        target="symml >= 100x faster",
    )


# ----------------------------------------------------------------------------- 5. accuracy
def bench_accuracy(quick):
    print("5. Accuracy: max error in ULP vs 50-digit mpmath, grid over [-1000, 1000]")
    from symml.functions import log_sigmoid, sigmoid, softplus
    from symml.handwritten import activations as hw
    from symml.numeric import lambdify_ml, mp_reference_many, ulp_error

    x = sp.Symbol("x", real=True)
    grid = np.concatenate(
        [
            np.linspace(-1000, 1000, 201 if quick else 2001),
            np.array([-1e-8, 1e-12, 1e-300, -30.5, 36.7, 709.5, -745.0]),
        ]
    )
    cases = [
        ("sigma", sigmoid(x), hw.sigmoid),
        ("sigma'", sp.diff(sigmoid(x), x), hw.sigmoid_prime),
        ("softplus", softplus(x), hw.softplus),
        ("log-sigmoid", log_sigmoid(x), lambda x: np.log(hw.sigmoid(x=x))),
        ("tanh'", sp.diff(sp.tanh(x), x), hw.tanh_prime),
    ]
    for name, expr, hand in cases:
        ref = np.array(
            [float(v) for v in mp_reference_many(expr, [{"x": g} for g in grid])], dtype=float
        )
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            with np.errstate(all="warn"):
                got = lambdify_ml(expr, [x])(grid)
        ours = float(np.nanmax(ulp_error(got, ref)))
        warned = any("overflow" in str(w.message) for w in caught)
        with warnings.catch_warnings(record=True) as caught_h:
            warnings.simplefilter("always")
            with np.errstate(all="warn"):
                hgot = np.asarray(hand(x=grid), dtype=float)
        errs = ulp_error(hgot, ref)
        bad = int(np.sum(~np.isfinite(hgot)))
        hand_ulp = float(np.nanmax(np.where(np.isfinite(errs), errs, np.nan)))
        row(
            "accuracy",
            f"{name}: symml max ULP",
            ours,
            "ulp",
            hand_ulp,
            "ulp (hand-written)",
            target="<= 4 ULP, no overflow warning",
            note=("OVERFLOW WARNING" if warned else "no warning")
            + f"; hand-written: {bad} non-finite, "
            f"{sum('overflow' in str(w.message) for w in caught_h)} overflow warnings",
        )


# ----------------------------------------------------------------------------- 6. growth
def bench_growth(quick):
    print("6. Growth: softmax Jacobian derive + check, indexed vs expanded K x K")
    from symml.functions import softmax

    Ks = [2, 4, 8] if quick else [2, 4, 8, 16, 32, 64]
    zb = sp.IndexedBase("z")
    i, j = sp.symbols("i j", integer=True)
    Ksym = sp.Symbol("K", integer=True, positive=True)
    rng = np.random.default_rng(2)
    for K in Ks:
        zv = rng.normal(size=K)

        def indexed():
            d = sp.diff(softmax(zb, i, Ksym), zb[j])
            f = sp.lambdify(
                [zb, i, j, Ksym],
                d.rewrite(sp.exp).replace(
                    sp.KroneckerDelta, lambda a, b: sp.Piecewise((1, sp.Eq(a, b)), (0, True))
                ),
                modules="numpy",
            )
            return d, f

        def expanded(K=K, zv=zv):  # bound now: it is called in this iteration
            zs = sp.symbols(f"z1:{K + 1}", real=True)
            den = sum(sp.exp(t) for t in zs)
            s = [sp.exp(t) / den for t in zs]
            J = sp.Matrix(K, K, lambda a, b: sp.diff(s[a], zs[b]))
            f = sp.lambdify([zs], J, modules="numpy")
            return f(zv)

        t_idx = best_of(indexed, 1)
        t_exp = best_of(expanded, 1)
        row(
            "growth",
            f"K={K}: indexed form",
            t_idx * 1e3,
            "ms",
            t_exp * 1e3,
            "ms (expanded K x K)",
            target="indexed stays flat",
        )


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smaller sizes, skip verify --all")
    ap.add_argument(
        "--json",
        default=str(ROOT / "bench" / "results.json"),
        help="where to write the figures as JSON",
    )
    ap.add_argument(
        "--only", nargs="*", help="sections to run: startup verify generated sums accuracy growth"
    )
    args = ap.parse_args(argv)
    sections = {
        "startup": bench_startup,
        "verify": bench_verify_all,
        "generated": bench_generated,
        "sums": bench_sums,
        "accuracy": bench_accuracy,
        "growth": bench_growth,
        "parsers": lambda quick: __import__("parsers").main([]),
    }  # bench/parsers.py
    print(f"  {'figure':58s} {'value':>16s} {'baseline':>16s} {'ratio':>9s}  target")
    t0 = time.perf_counter()
    for name, fn in sections.items():
        if args.only and name not in args.only:
            continue
        try:
            fn(args.quick)
        except Exception as e:  # noqa: BLE001  (one failed section must not hide the rest)
            print(f"  {name}: FAILED: {type(e).__name__}: {e}")
            ROWS.append({"section": name, "error": f"{type(e).__name__}: {e}"})
    total = time.perf_counter() - t0
    print(f"total {total:.1f} s")
    Path(args.json).write_text(
        json.dumps({"rows": ROWS, "total_s": total, "quick": args.quick}, indent=1)
    )
    print(f"figures written to {args.json}")


if __name__ == "__main__":
    main()
