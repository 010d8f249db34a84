"""Corpus mode, measured side by side in one run: documents per second, cold and warm.

    python bench/corpus.py                      # cs231n notes + a generated corpus of 200
    python bench/corpus.py --docs 40            # a smaller generated corpus
    python bench/corpus.py --sizes 20,40        # how the cost grows with documents
    python bench/corpus.py --json bench/corpus.json

For each corpus (``../shared/corpus/cs231n/`` and a generated one: the five source documents
and the cs231n notes, repeated with a small edit so that no two files share a cache entry)
and each executor (``-j 1``, ``-j 2``, ``--executor dask`` on a 2-worker LocalCluster), the
corpus is checked cold (an empty cache directory, parse cache included) and then warm (the
same directory again). Peak memory is sampled from every process the run starts (worker
processes and their bounded sub-workers, Dask nannies and workers). Targets (issue 17) are
printed beside the figures; nothing here is a pass/fail test. On a shared machine the
figures are noisy: run it when the machine is quiet and say how quiet it was.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CS231N = Path(os.environ.get("SYMML_BENCH_CS231N", ROOT.parent / "shared" / "corpus" / "cs231n"))
SOURCES = ROOT / "formulas" / "documents"

CONFIGS = [  # label, executor, jobs
    ("-j 1", "local", 1),
    ("-j 2", "local", 2),
    ("dask, 2 workers", "dask", 2),
]


class PeakMemory:
    """Samples the resident memory of every descendant process while a run goes on."""

    def __init__(self, period: float = 0.2) -> None:
        import psutil

        self.me = psutil.Process()
        self.period = period
        self.peaks: dict[int, int] = {}
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._watch, daemon=True)

    def _watch(self) -> None:
        import psutil

        while not self.stop.is_set():
            for child in self.me.children(recursive=True):
                try:
                    rss = child.memory_info().rss
                except psutil.Error:
                    continue
                self.peaks[child.pid] = max(self.peaks.get(child.pid, 0), rss)
            self.stop.wait(self.period)

    def __enter__(self) -> PeakMemory:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop.set()
        self.thread.join()


def generated_corpus(directory: Path, count: int) -> Path:
    """``count`` documents: the five sources and the cs231n notes in turn, each edited."""
    originals = sorted(SOURCES.glob("*.txt")) + sorted(CS231N.glob("*.md"))
    directory.mkdir(parents=True)
    for k in range(count):
        original = originals[k % len(originals)]
        text = original.read_text(encoding="utf-8")
        # a small edit: a line of prose at the end, so each copy has its own bytes (and hash)
        (directory / f"{k:03d}-{original.name}").write_text(
            text + f"\n\nCopy {k} of this document, for the benchmark.\n", encoding="utf-8"
        )
    return directory


def run(corpus: Path, executor: str, jobs: int, cache: Path) -> dict:
    """Check ``corpus`` once with the cache in ``cache``: wall time, docs/s, peak memory."""
    from symml.corpus import check_corpus, discover, read_source

    os.environ["SYMML_CACHE_DIR"] = str(cache)
    with PeakMemory() as memory:
        start = time.perf_counter()  # reading the documents is part of the cost
        sources = [read_source(p) for p in discover([str(corpus)])]
        results = list(check_corpus(sources, executor=executor, jobs=jobs))
        wall = time.perf_counter() - start
    formulas = sum(len(r.entries) for r in results)
    peaks = sorted(memory.peaks.values(), reverse=True)
    return {
        "documents": len(sources),
        "formulas": formulas,
        "errors": sum(r.error is not None for r in results),
        "cached": sum(r.cached for r in results),
        "wall_s": wall,
        "docs_per_s": len(sources) / wall,
        "processes": len(peaks),
        "peak_worker_mb": peaks[0] / 2**20 if peaks else 0.0,
        "results": [[e.to_json() for e in r.entries] for r in results],
    }


def bench_corpus(label: str, corpus: Path, work: Path) -> list[dict]:
    rows = []
    for name, executor, jobs in CONFIGS:
        cache = work / f"cache-{label}-{executor}-{jobs}"
        shutil.rmtree(cache, ignore_errors=True)
        cold = run(corpus, executor, jobs, cache)
        warm = run(corpus, executor, jobs, cache)
        rows.append({"corpus": label, "config": name, "cold": cold, "warm": warm})
        print(
            f"{label:<16} {name:<16} {cold['documents']:>5} docs {cold['formulas']:>6} formulas"
            f"  cold {cold['wall_s']:8.1f} s {cold['docs_per_s']:7.3f} docs/s"
            f"  warm {warm['wall_s']:7.2f} s ({warm['cached']} cached)"
            f"  peak/worker {cold['peak_worker_mb']:6.0f} MB ({cold['processes']} processes)"
            f"  errors {cold['errors']}",
            flush=True,
        )
    same = all(r["cold"]["results"] == rows[0]["cold"]["results"] for r in rows)
    warm_same = all(r["warm"]["results"] == r["cold"]["results"] for r in rows)
    j1, j2, dask = (r["cold"]["wall_s"] for r in rows)
    warm_ratio = max(r["warm"]["wall_s"] / r["cold"]["wall_s"] for r in rows)
    print(f"{label:<16} -j 2 / -j 1 wall       {j2 / j1:6.2f}x   (target <= 0.6x)")
    print(f"{label:<16} warm / cold wall (max) {warm_ratio:6.3f}x   (target < 0.1x)")
    print(f"{label:<16} dask / -j 2 wall       {dask / j2:6.2f}x   (target <= 1.3x)")
    print(f"{label:<16} same results: executors {same}, warm = cold {warm_same}", flush=True)
    for r in rows:
        for key in ("cold", "warm"):
            r[key].pop("results")
    return rows


def code_hash_cost() -> float:
    """Seconds to hash every module of symml (paid once per process)."""
    from symml.registry import source_hash

    source_hash.cache_clear()
    start = time.perf_counter()
    source_hash()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=200, help="size of the generated corpus")
    parser.add_argument("--sizes", default="", help="extra generated sizes, e.g. 20,40")
    parser.add_argument("--skip-cs231n", action="store_true")
    parser.add_argument("--json", type=Path, default=None, help="write the figures here")
    args = parser.parse_args()

    load = os.getloadavg()
    print(f"cores {os.cpu_count()}, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print(f"hashing symml's sources for the cache key: {code_hash_cost() * 1000:.1f} ms")
    rows = []
    with tempfile.TemporaryDirectory(prefix="symml-bench-corpus-") as tmp:
        work = Path(tmp)
        if not args.skip_cs231n:
            rows += bench_corpus("cs231n", CS231N, work)
        sizes = [int(s) for s in args.sizes.split(",") if s.strip()] + [args.docs]
        for size in sizes:
            corpus = generated_corpus(work / f"generated-{size}", size)
            rows += bench_corpus(f"generated {size}", corpus, work)
    if args.json:
        args.json.write_text(json.dumps({"load": load, "rows": rows}, indent=2))


if __name__ == "__main__":
    main()
