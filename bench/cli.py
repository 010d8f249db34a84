"""Repeat calls of the command line, cold and warm, each against ``import sympy`` (issue 15).

    python bench/cli.py              # best of 3 for each figure (a few minutes on 2 cores)
    python bench/cli.py --repeat 5

Every figure is the wall time of a fresh process, measured in this one run, the runs of the
different figures interleaved so that the load of a shared machine falls on all of them:

- ``import sympy``: the baseline (what any symml command that computes must pay);
- cold: an empty cache directory (nothing parsed or derived before);
- parse cache only: the parses cached, the result computed (``--no-cache``);
- no cache: ``SYMML_NO_CACHE=1`` (nothing read, nothing stored);
- warm: the same call again, its result cached (for the registry parse: its parses).

Target (issue 15): warm <= 1.5x ``import sympy``. Nothing here is a pass/fail test.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CASES = {
    "derive sigmoid": ["derive", "sigmoid", "--wrt", "x"],
    "derive focal_loss": ["derive", "focal_loss", "--wrt", "p_t"],
    "verify sigmoid": ["verify", "sigmoid"],
    "show softmax": ["show", "softmax"],
}
#: Loads the registry and parses every formula and claim: where the parse cache shows.
PARSE_ALL = "parse the registry (all formulas, claims)"
PARSE_SCRIPT = """
import sys, time
import sympy
start = time.process_time()
from symml.errors import RegistryError
from symml.registry import default_registry
for f in default_registry().formulas():
    for item in (f, *f.claims):
        try:
            item.expr
        except RegistryError:
            pass
print(time.process_time() - start, file=sys.stderr)
"""


#: CPU seconds of the parse phase alone (after ``import sympy``), by cache state.
PARSE_CPU: dict[str, float] = {}


def wall(args: list[str], env: dict[str, str], cpu: str = "") -> float:
    start = time.perf_counter()
    done = subprocess.run(args, capture_output=True, env=env, cwd=tempfile.gettempdir())
    elapsed = time.perf_counter() - start
    if done.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(args)} failed ({done.returncode}): {done.stderr[-300:]!r}")
    if cpu:  # the script printed its parse phase's CPU time last on stderr
        seconds = float(done.stderr.decode().split()[-1])
        PARSE_CPU[cpu] = min(PARSE_CPU.get(cpu, float("inf")), seconds)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure (the best counts)")
    opts = parser.parse_args()
    symml = [sys.executable, "-m", "symml.cli"]
    base_env = {k: v for k, v in os.environ.items() if not k.startswith("SYMML_")}
    base_env["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])
    )
    work = Path(tempfile.mkdtemp(prefix="symml-bench-cli-"))
    best: dict[tuple[str, str], float] = {}

    def note(case: str, kind: str, seconds: float) -> None:
        best[case, kind] = min(best.get((case, kind), float("inf")), seconds)

    try:
        for k in range(opts.repeat):
            note("", "import sympy", wall([sys.executable, "-c", "import sympy"], base_env))
            note("", "python -c pass", wall([sys.executable, "-c", "pass"], base_env))
            note("", "symml --help", wall([*symml, "--help"], base_env))
            runs = {case: [*symml, *args] for case, args in CASES.items()}
            runs[PARSE_ALL] = [sys.executable, "-c", PARSE_SCRIPT]
            for case, cmd in runs.items():
                cold_dir = work / f"cold-{k}-{len(best)}"
                env = {**base_env, "SYMML_CACHE_DIR": str(cold_dir)}
                timed = case == PARSE_ALL
                note(case, "cold", wall(cmd, env, "cold" * timed))  # fills both caches
                note(case, "warm", wall(cmd, env, "warm" * timed))
                if case in CASES:  # the parses cached, the result computed
                    note(case, "parse cache only", wall([*cmd, "--no-cache"], env))
                no_cache = {**env, "SYMML_NO_CACHE": "1"}
                note(case, "no cache", wall(cmd, no_cache, "no cache" * timed))
                shutil.rmtree(cold_dir, ignore_errors=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    sympy_s = best["", "import sympy"]
    print(
        f"best of {opts.repeat} runs each, wall seconds of a fresh process; ratio to import sympy"
    )
    print(f"  {'import sympy':42s} {sympy_s:7.2f} s")
    for what in ("python -c pass", "symml --help"):
        print(f"  {what:42s} {best['', what]:7.2f} s {best['', what] / sympy_s:6.2f}x")
    print(f"  {'':42s} {'cold':>9s} {'no cache':>15s} {'parse cache':>15s} {'warm':>15s}  target")
    for case in (*CASES, PARSE_ALL):
        cells = []
        for kind in ("cold", "no cache", "parse cache only", "warm"):
            s = best.get((case, kind))
            cells.append(f"{s:6.2f} s {s / sympy_s:5.2f}x" if s else f"{'-':>15s}")
        target = "warm <= 1.50x" if case in CASES else "warm: the parse cache alone"
        print(f"  {case:42s} {'  '.join(cells)}  {target}")
    cpu = "  ".join(f"{kind} {PARSE_CPU[kind]:.3f} s" for kind in ("cold", "no cache", "warm"))
    print(f"  parse phase alone, CPU after import sympy: {cpu}")


if __name__ == "__main__":
    main()
