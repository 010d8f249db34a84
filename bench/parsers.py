"""Parser breadth (issue 13): symml against public LaTeX-parser suites, side by side.

    python bench/parsers.py            # every suite, timings, second-reader share
    python bench/parsers.py --list-differences

Suites: SymPy's LaTeX parser tests (read from the installed SymPy: test_latex.py's GOOD_PAIRS and
BAD_STRINGS, test_latex_lark.py's *_PAIRS), latex2sympy2_extended's GOOD_PAIRS and latex2sympy2's
BAD_STRINGS (tests/data/parser_suites.py). One scorer for every reader: a good pair agrees when
the two values are equal (symbols compared by name without assumptions, then by
simplification); a bad string scores when it is refused. A disagreement symml has on purpose is
counted apart, by kind: natural ``\\log`` (the suite's is base 10), ``i``/``I`` not the imaginary
unit, symml's names (``x_bar`` for ``bar{x}``). Nothing here is a pass/fail test.
"""

from __future__ import annotations

import argparse
import collections
import importlib
import json
import re
import runpy
import signal
import sys
import time
import warnings
from pathlib import Path

import sympy as sp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TIME_LIMIT = 3  # seconds per comparison (SymPy's simplify can run long)


def sympy_suite():
    good, bad, seen = [], [], set()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name in ("sympy.parsing.tests.test_latex", "sympy.parsing.tests.test_latex_lark"):
            mod = importlib.import_module(name)
            for key, value in vars(mod).items():
                if not isinstance(value, list) or not value:
                    continue
                if key.endswith("PAIRS") and isinstance(value[0], tuple):
                    for latex, expected in value:
                        if latex not in seen:
                            seen.add(latex)
                            good.append((latex, expected))
                elif key == "BAD_STRINGS":
                    bad.extend(value)
    return good, bad


def data_suites():
    ns = runpy.run_path(str(ROOT / "tests" / "data" / "parser_suites.py"))
    return {
        "latex2sympy2_extended (GOOD_PAIRS)": (ns["GOOD_PAIRS"], []),
        "latex2sympy2 (BAD_STRINGS)": ([], ns["BAD_STRINGS"]),
    }


# ----------------------------------------------------------------------------- readers
def reader_symml(text):
    from symml.latex import parse_with_reader

    r = parse_with_reader(text)
    return _as_sympy(r.value), r.reader


def reader_latex2sympy2(text):
    from symml.latex import latex2sympy_isolated

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return latex2sympy_isolated(text), "latex2sympy2"


def _as_sympy(value):
    from symml.latex import Aligned, Equation, Relation

    if isinstance(value, Equation):
        return sp.Eq(value.lhs, value.rhs, evaluate=False)
    if isinstance(value, Relation):
        return value.as_sympy()
    if isinstance(value, Aligned):
        return sp.Tuple(*[_as_sympy(v) for v in value.items])
    return value


# ----------------------------------------------------------------------------- scorer
class _Timeout(Exception):
    pass


def _alarm(signum, frame):
    raise _Timeout


def _plain_names(e, key=lambda n: n):
    if not isinstance(e, sp.Basic):
        return e
    e = e.replace(lambda x: isinstance(x, sp.UnevaluatedExpr), lambda x: x.args[0])
    e = e.xreplace({s: sp.Symbol(key(s.name)) for s in e.atoms(sp.Symbol)})
    undef = sp.core.function.AppliedUndef
    return e.replace(
        lambda x: isinstance(x, undef), lambda x: sp.Function(key(x.func.__name__))(*x.args)
    )


def _name_key(name):
    """A name up to spelling: its words and primes in any order (x_bar and bar{x}, a'' and
    a_prime_prime)."""
    name = name.replace("'", " prime ").replace("prime", " prime ")
    return "_".join(sorted(re.findall(r"[A-Za-z0-9]+", name)))


def _equal(a, b):
    if a == b or (isinstance(a, sp.Basic) and str(a) == str(b)):
        return True
    try:
        a, b = sp.sympify(a), sp.sympify(b)
    except (sp.SympifyError, TypeError):
        return False
    if isinstance(a, sp.MatrixBase) or isinstance(b, sp.MatrixBase):
        try:
            return a.shape == b.shape and sp.simplify(a - b).is_zero_matrix
        except (AttributeError, TypeError, ValueError):
            return False
    if isinstance(a, sp.Rel) and isinstance(b, sp.Rel):
        return type(a) is type(b) and _equal(a.lhs - a.rhs, b.lhs - b.rhs)
    if isinstance(a, sp.Rel) or isinstance(b, sp.Rel) or not isinstance(a, sp.Expr):
        return a == b
    if not isinstance(b, sp.Expr):
        return False
    for x, y in ((a, b), (a.doit(), b.doit())):
        if x == y:
            return True
        d = sp.simplify(x - y)
        if d == 0 or (d.is_number and abs(complex(d)) < 1e-12):
            return True
    return False


def score(got, expected):
    """'agree' | ('purpose', kind) | 'differ'."""
    signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(TIME_LIMIT)
    try:
        if _equal(_plain_names(got), _plain_names(expected)):
            return "agree"
        g, e = _plain_names(got, _name_key), _plain_names(expected, _name_key)
        if _equal(g, e):
            return ("purpose", "symml's names (x_bar, h_theta, x_0)")
        if isinstance(e, sp.Basic) and e.has(sp.log):
            e10 = e.replace(
                lambda x: isinstance(x, sp.log) and len(x.args) == 1 and x.args[0] == 10,
                lambda x: sp.Integer(1),
            )
            if _equal(g, e10):
                return ("purpose", "\\log is natural (the suite's is base 10)")
        if isinstance(g, sp.Basic) and g.has(sp.Limit):  # symml's limits are two-sided
            one = g.replace(
                lambda x: isinstance(x, sp.Limit) and str(x.args[3]) == "+-",
                lambda x: sp.Limit(*x.args[:3], dir="+"),
            )
            if _equal(one, e):
                return ("purpose", "\\lim without a side is two-sided")
        if isinstance(g, sp.Basic) and g.has(sp.Function("Norm")):
            return ("purpose", "||x|| is a norm")
        if isinstance(e, sp.Basic) and e.has(sp.conjugate) and not g.has(sp.conjugate):
            return ("purpose", "\\overline{x} is the name x_bar, not the conjugate")
        if isinstance(g, sp.Basic) and g.has(sp.Derivative, sp.Subs) and not e.has(sp.Derivative):
            return ("purpose", "f'(x) is a derivative")
        if isinstance(g, sp.Tuple) and not isinstance(e, sp.Tuple):
            return ("purpose", "\\quad separates formulas")
        if isinstance(g, sp.Basic) and {str(x) for x in g.atoms(sp.Symbol)} & {"I", "i"}:
            unit = g.xreplace({x: sp.I for x in g.atoms(sp.Symbol) if str(x) in ("I", "i")})
            if _equal(unit, e):
                return ("purpose", "i, j and I are symbols, not the imaginary unit")
        if isinstance(e, sp.Basic) and e.has(sp.I):
            for name in ("i", "I", "j"):
                if _equal(g, e.xreplace({sp.I: sp.Symbol(name)})):
                    return ("purpose", "i, j and I are symbols, not the imaginary unit")
        return "differ"
    except _Timeout:
        return "differ"
    except Exception:  # noqa: BLE001  (a comparison SymPy cannot make is a difference)
        return "differ"
    finally:
        signal.alarm(0)


ON_PURPOSE_REFUSAL = re.compile(r"polynomial (gcd|lcm)")


def run_suite(name, good, bad, reader, details, refused):
    from symml.errors import ParseError

    counts = collections.Counter()
    purposes = collections.Counter()
    second = 0
    times = collections.defaultdict(list)
    for latex, expected in good:
        t = time.perf_counter()
        try:
            got, which = reader(latex)
        except ParseError as e:
            if ON_PURPOSE_REFUSAL.search(e.reason or ""):
                counts["purpose"] += 1
                purposes["refused on purpose: gcd/lcm of symbols (SymPy's is polynomial)"] += 1
            else:
                counts["refused"] += 1
                refused.append((name, latex, e.reason[:100]))
            continue
        except Exception as e:  # noqa: BLE001  (a crash is what we count)
            counts["crash"] += 1
            details.append((name, latex, f"crash {type(e).__name__}: {e}"[:200]))
            continue
        times[which].append(time.perf_counter() - t)
        second += which == "latex2sympy2" and reader is reader_symml
        s = score(got, expected)
        if s == "agree":
            counts["agree"] += 1
        elif s == "differ":
            counts["differ"] += 1
            details.append((name, latex, f"got {got}, suite expects {expected}"[:200]))
        else:
            counts["purpose"] += 1
            purposes[s[1]] += 1
    for latex in bad:
        try:
            reader(latex)
            counts["bad accepted"] += 1
            details.append((name, latex, "a bad string was accepted"))
        except ParseError:
            counts["bad refused"] += 1
        except Exception as e:  # noqa: BLE001
            counts["crash"] += 1
            details.append((name, latex, f"crash {type(e).__name__}"))
    return counts, purposes, second, times


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--list-differences", action="store_true")
    ap.add_argument("--json", default=None)
    args = ap.parse_args(argv)
    suites = {"SymPy LaTeX parser tests": sympy_suite(), **data_suites()}
    out, details, refused = {}, [], []
    print(
        f"{'suite':38s} {'reader':13s} {'n':>5s} {'agree':>7s} {'on purpose':>10s} "
        f"{'differ':>7s} {'refused':>8s} {'crash':>5s} {'bad refused':>11s}"
    )
    for name, (good, bad) in suites.items():
        for rname, reader in (("symml", reader_symml), ("latex2sympy2", reader_latex2sympy2)):
            c, purposes, second, times = run_suite(
                name,
                good,
                bad,
                reader,
                details if rname == "symml" else [],
                refused if rname == "symml" else [],
            )
            n = len(good)

            def pct(k, c=c, n=n):
                return f"{100 * c[k] / n:6.1f}%" if n else "     -"

            badr = f"{c['bad refused']}/{len(bad)}" if bad else "-"
            print(
                f"{name:38s} {rname:13s} {n:5d} {pct('agree'):>7s} {pct('purpose'):>10s} "
                f"{pct('differ'):>7s} {pct('refused'):>8s} {c['crash']:5d} {badr:>11s}"
            )
            out[f"{name} / {rname}"] = {
                "n": n,
                **c,
                "purposes": dict(purposes),
                "second_reader": second,
                "ms": {k: 1e3 * sum(v) / len(v) for k, v in times.items()},
            }
            if rname == "symml":
                for kind, k in purposes.most_common():
                    print(f"{'':52s} on purpose: {k:4d}  {kind}")
    print()
    mixed_corpus(out)
    if args.list_differences:
        for suite, latex, what in details:
            print(f"[{suite}] {latex!r}: {what}")
        for suite, latex, what in refused:
            print(f"[{suite}] refused {latex!r}: {what}")
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1, default=str))


def mixed_corpus(out):
    """Time per formula by reader, and the share that reaches the second reader."""
    from symml.errors import ParseError
    from symml.latex import latex2sympy_isolated, parse_with_reader
    from symml.registry import load_registry

    docs = json.loads((ROOT / "tests" / "data" / "latex_corpus_000_004.json").read_text())
    texts = [t for _, t in docs] + [f.latex for f in load_registry().formulas()]
    suite_texts = [t for t, _ in sympy_suite()[0]]
    ns = runpy.run_path(str(ROOT / "tests" / "data" / "parser_suites.py"))
    suite_texts += [t for t, _ in ns["GOOD_PAIRS"]]
    for label, corpus in (
        ("documents + registry", texts),
        ("documents + registry + suites", texts + suite_texts),
    ):
        by = collections.defaultdict(list)
        raw = []
        for t in corpus:
            s = time.perf_counter()
            try:
                which = parse_with_reader(t).reader
            except ParseError:
                which = "refused"
            by[which].append(time.perf_counter() - s)
            s = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                try:
                    latex2sympy_isolated(t)
                except ParseError:
                    pass
            raw.append(time.perf_counter() - s)
        n = len(corpus)
        print(f"mixed corpus: {label} ({n} formulas)")

        def ms(v):
            return f"{1e3 * sum(v) / len(v):8.2f} ms" if v else "       -"

        print(f"  parse per formula, ML grammar            {ms(by['symml'])}  ({len(by['symml'])})")
        print(
            f"  parse per formula, second reader         {ms(by['latex2sympy2'])}  "
            f"({len(by['latex2sympy2'])})"
        )
        print(
            f"  parse per formula, refused               {ms(by['refused'])}  "
            f"({len(by['refused'])})"
        )
        print(f"  parse per formula, raw latex2sympy2      {ms(raw)}  ({n})")
        print(
            f"  share reaching the second reader         {100 * len(by['latex2sympy2']) / n:7.1f} %"
        )
        out[f"mixed: {label}"] = {k: len(v) for k, v in by.items()}


if __name__ == "__main__":
    main()
