"""Check many documents: the cache first, then an executor for the rest, results in order.

No scheduler of our own. The local executor is :func:`symml.workers.run_parallel` (the pool
``verify --all`` uses: concurrent.futures handing calls to reusable worker processes, each
call bounded, a dead worker replaced); the Dask executor submits the same per-document
function to ``dask.distributed`` and takes results from its ``as_completed`` (Dask
reschedules the work of a worker that dies and gives up after its ``allowed-failures``).
Either way a document that times out or loses its worker becomes one ``error`` entry for
that document and the run goes on.

Results come out in the order of the sources, whatever the number of workers, each as soon
as it and every document before it are done; ``on_done`` hears of each document as it
finishes (in any order), for a progress bar.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence

from symml.corpus._cache import ResultCache
from symml.corpus._document import FORMULA_TIMEOUT, check_source
from symml.corpus._fingerprint import fingerprint
from symml.corpus._model import DocumentResult, Source, document_error
from symml.errors import SymmlError, SymmlTimeout, WorkerDied

#: Seconds allowed for one document (its formulas are bounded on their own as well).
DOCUMENT_TIMEOUT = 600.0

#: Seconds to wait for a Dask scheduler named by ``--scheduler``.
CONNECT_TIMEOUT = 30.0

EXECUTORS = ("local", "dask")

Check = Callable[[Source, "float | None"], DocumentResult]


def check_corpus(
    sources: Sequence[Source],
    *,
    jobs: int | None = None,
    executor: str = "local",
    scheduler: str | None = None,
    cache: bool = True,
    timeout: float | None = DOCUMENT_TIMEOUT,
    formula_timeout: float | None = FORMULA_TIMEOUT,
    check: Check = check_source,
    on_done: Callable[[DocumentResult], None] | None = None,
) -> Iterator[DocumentResult]:
    """Check every document of ``sources``; yield one result per document, in their order.

    Args:
        sources: the documents (see :func:`read_source`).
        jobs: worker processes (local) or LocalCluster workers (dask); default: the cores.
        executor: ``local`` (symml's worker pool) or ``dask`` (``dask.distributed``).
        scheduler: for ``dask``, the address of a running scheduler; else a LocalCluster
            of ``jobs`` worker processes is started for the run and closed after it.
        cache: read and store results in the cache (``registry.cache_dir()/check``).
        timeout: seconds per document; past it the document is an ``error``.
        formula_timeout: seconds for the checks of one formula.
        check: the per-document function (a module-level function, so it pickles).
        on_done: called with each result as its document finishes, in any order.

    Raises:
        SymmlError: an unknown executor, ``jobs`` below 1, Dask missing or unreachable.

    Examples:
        >>> [r.entries[0].status for r in check_corpus([Source("a.md", "markdown", b"$$\\n$$")],
        ...                                             cache=False)]
        ['broken']
    """
    if executor not in EXECUTORS:
        raise SymmlError(f"unknown executor {executor!r}; choose one of: {', '.join(EXECUTORS)}")
    jobs = default_jobs() if jobs is None else jobs
    if jobs < 1:
        raise SymmlError(f"-j/--jobs must be at least 1, not {jobs}")
    if scheduler is not None and executor != "dask":
        raise SymmlError("--scheduler needs --executor dask")
    return _run(sources, jobs, executor, scheduler, cache, timeout, formula_timeout, check, on_done)


def default_jobs() -> int:
    """The cores this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


def _run(
    sources: Sequence[Source],
    jobs: int,
    executor: str,
    scheduler: str | None,
    cache: bool,
    timeout: float | None,
    formula_timeout: float | None,
    check: Check,
    on_done: Callable[[DocumentResult], None] | None,
) -> Iterator[DocumentResult]:
    from symml.registry import cache_dir

    mine = fingerprint()
    store = ResultCache(cache_dir() if cache else None, mine, formula_timeout)
    done: dict[int, DocumentResult] = {}
    misses: list[tuple[int, Source]] = []
    for k, source in enumerate(sources):
        hit = store.get(source)
        if hit is None:
            misses.append((k, source))
        else:
            done[k] = hit
            if on_done is not None:
                on_done(hit)
    if executor == "dask":
        finished = _dask(misses, jobs, scheduler, timeout, formula_timeout, check)
    else:
        finished = _local(misses, jobs, timeout, formula_timeout, check)
    following = 0
    for k, result in finished:
        result = _trusted(result, mine)
        store.put(sources[k], result)
        done[k] = result
        if on_done is not None:
            on_done(result)
        while following in done:
            yield done.pop(following)
            following += 1
    while following in done:  # the cache hits after the last computed document
        yield done.pop(following)
        following += 1


def _trusted(result: DocumentResult, mine: str) -> DocumentResult:
    if result.fingerprint == mine or result.error is not None:
        return result
    return document_error(
        result.document,
        f"{result.document}: checked by a worker running another symml, registry or code "
        f"({result.fingerprint or 'unknown'}; here: {mine}); its result is not used",
    )


def _failure(source: Source, error: BaseException, timeout: float | None) -> DocumentResult:
    """A document whose check did not return: out of time, lost worker, or symml failed."""
    if isinstance(error, SymmlTimeout):
        message = f"{source.name}: the check did not finish within {timeout:g} s"
    elif type(error).__name__ == "KilledWorker":
        message = f"{source.name}: every Dask worker that tried this document died ({error})"
    elif isinstance(error, WorkerDied):
        message = f"{source.name}: the worker checking this document died"
    else:
        message = f"{source.name}: symml failed on this document: {type(error).__name__}: {error}"
    return document_error(source.name, message)


def _local(
    misses: list[tuple[int, Source]],
    jobs: int,
    timeout: float | None,
    formula_timeout: float | None,
    check: Check,
) -> Iterator[tuple[int, DocumentResult]]:
    if not misses:
        return
    if len(misses) == 1:
        # One document: check it here rather than start a pool for it (its formulas are
        # still bounded; the document bound needs a worker to kill, so it does not apply).
        k, source = misses[0]
        try:
            yield k, check(source, formula_timeout)
        except Exception as e:  # noqa: BLE001  (reported as this document's error entry)
            yield k, _failure(source, e, timeout)
        return
    from symml.workers import run_parallel

    # the largest documents first, so that no big one starts last and runs alone at the
    # end (their size stands for their cost); results still come out in document order.
    # (Dask places its tasks itself: its order is left as submitted.)
    misses = sorted(misses, key=lambda miss: -len(miss[1].data))
    calls = [(source, formula_timeout) for _, source in misses]
    for finished in run_parallel(check, calls, jobs=jobs, timeout=timeout):
        k, source = misses[finished.index]
        if finished.error is None:
            yield k, finished.value
        else:
            yield k, _failure(source, finished.error, timeout)


def dask_task(
    check: Check, source: Source, formula_timeout: float | None, timeout: float | None
) -> DocumentResult:
    """What a Dask worker runs for one document: ``check`` within ``timeout`` seconds.

    A Dask worker process is daemonic, so the bound is a thread with a deadline (see
    :func:`symml.workers.run_bounded`): the document is reported on time, but a runaway
    computation goes on in the background of that worker.
    """
    from symml.workers import run_bounded

    try:
        return run_bounded(check, source, formula_timeout, timeout=timeout)
    except SymmlTimeout as e:
        return _failure(source, e, timeout)


def _dask(
    misses: list[tuple[int, Source]],
    jobs: int,
    scheduler: str | None,
    timeout: float | None,
    formula_timeout: float | None,
    check: Check,
) -> Iterator[tuple[int, DocumentResult]]:
    if not misses:
        return
    try:
        from distributed import Client, LocalCluster, as_completed
    except ImportError as e:
        raise SymmlError("--executor dask needs dask.distributed: pip install 'symml[dask]'") from e
    import contextlib
    import logging

    with contextlib.ExitStack() as stack:
        if scheduler is None:
            cluster = stack.enter_context(
                LocalCluster(
                    n_workers=jobs,
                    threads_per_worker=1,
                    processes=True,
                    # no dashboard, and its HTTP server on a free port: the default 8787
                    # may be taken, and Dask then warns on stderr
                    dashboard_address=":0",
                    scheduler_kwargs={"dashboard": False},
                    silence_logs=logging.ERROR,
                )
            )
            client = stack.enter_context(Client(cluster))
        else:
            try:
                client = stack.enter_context(Client(scheduler, timeout=CONNECT_TIMEOUT))
            except (OSError, TimeoutError, ValueError) as e:
                raise SymmlError(f"cannot reach the Dask scheduler at {scheduler}: {e}") from e
        futures = [
            client.submit(dask_task, check, source, formula_timeout, timeout, pure=False)
            for _, source in misses
        ]
        position = {future.key: i for i, future in enumerate(futures)}
        for future in as_completed(futures):
            k, source = misses[position[future.key]]
            try:
                result = future.result()
            except Exception as e:  # noqa: BLE001  (KilledWorker and the like: this document's error)
                result = _failure(source, e, timeout)
            future.release()
            yield k, result
