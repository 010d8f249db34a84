"""Bounded-time execution of SymPy calls, safe in any thread.

SymPy's ``simplify``, ``solve`` and ``integrate`` can run for minutes on innocent-looking
input. symml bounds them with :func:`run_bounded`, which runs the call in a worker
*process* and kills it when the deadline passes. ``signal.alarm`` is not used: it only
works in the main thread (the mistake huggingface/Math-Verify made).

Why a process and not a thread: a thread cannot be stopped, so a runaway ``simplify``
would keep the GIL busy for the rest of the program. A killed process frees everything.
Workers are ``python -c`` subprocesses talking pickle over pipes (not multiprocessing,
which would re-import the caller's ``__main__``). They are kept alive between calls
(starting one and importing SymPy costs ~0.5 s), one per concurrent caller; a worker that
hit a deadline is killed and replaced on the next call.

:func:`run_parallel` runs many calls of one task function on a few such workers (``verify
--all``): each call has its own bound, and a worker may start workers of its own.

Calls whose function or arguments cannot be pickled (lambdas, closures), and calls made
from inside a worker (daemonic processes cannot have children), fall back to a daemon
thread with a result deadline: the caller still gets its answer or SymmlTimeout in time,
but the abandoned computation runs on in the background.

Examples:
    >>> import sympy
    >>> from symml.workers import bounded_simplify
    >>> x = sympy.Symbol("x")
    >>> bounded_simplify(sympy.sin(x)**2 + sympy.cos(x)**2, timeout=30).value
    1
"""

from __future__ import annotations

import atexit
import logging
import multiprocessing
import os
import pickle
import queue
import struct
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any, NamedTuple, TypeVar

from symml.errors import SymmlError, SymmlTimeout, WorkerDied

log = logging.getLogger("symml.workers")  # a timeout is logged: a cache must not keep its result

__all__ = [
    "SIMPLIFY_TIMEOUT",
    "SOLVE_TIMEOUT",
    "BoundedResult",
    "Finished",
    "bounded_simplify",
    "run_bounded",
    "run_parallel",
    "shutdown",
    "timeouts",
]

#: Default bounds in seconds; every caller may pass its own.
SIMPLIFY_TIMEOUT = 5.0
SOLVE_TIMEOUT = 10.0

#: Set in the environment of worker processes.
_WORKER_FLAG = "SYMML_BOUNDED_WORKER"

#: Time allowed for a fresh worker to start and import SymPy (not part of the caller's bound).
_STARTUP_TIMEOUT = 120.0

T = TypeVar("T")


class BoundedResult(NamedTuple):
    """What :func:`bounded_simplify` returns: the value and whether the bound was hit."""

    value: Any
    timed_out: bool


def run_bounded(fn: Callable[..., T], *args: Any, timeout: float | None, **kwargs: Any) -> T:
    """Run ``fn(*args, **kwargs)`` and return its result, or raise after ``timeout`` seconds.

    Args:
        fn: a picklable callable (a module-level function such as ``sympy.simplify``);
            others run in a thread (see the module docstring).
        *args: positional arguments for ``fn`` (SymPy expressions pickle fine).
        timeout: seconds; ``None`` runs ``fn`` directly, without a bound.
        **kwargs: keyword arguments for ``fn``.

    Returns:
        Whatever ``fn`` returns.

    Raises:
        SymmlTimeout: ``fn`` did not finish within ``timeout`` seconds.
        Exception: whatever ``fn`` raised, re-raised in the caller.

    Examples:
        >>> import math
        >>> run_bounded(math.factorial, 5, timeout=30)
        120
    """
    if timeout is None:
        return fn(*args, **kwargs)
    if timeout <= 0:
        raise _timed_out(f"{_name(fn)} was given no time (timeout={timeout!r} s)")
    if os.environ.get(_WORKER_FLAG) or multiprocessing.current_process().daemon:
        # Inside a worker (ours, or a daemonic multiprocessing one) no new process is started.
        return _run_in_thread(fn, args, kwargs, timeout)
    try:
        payload = pickle.dumps((fn, args, kwargs), protocol=pickle.HIGHEST_PROTOCOL)
    except (pickle.PicklingError, AttributeError, TypeError):
        return _run_in_thread(fn, args, kwargs, timeout)
    return _POOL.run(payload, _name(fn), timeout)


def bounded_simplify(
    expr: Any, timeout: float | None = SIMPLIFY_TIMEOUT, **kwargs: Any
) -> BoundedResult:
    """``sympy.simplify(expr)`` within ``timeout`` seconds, else ``expr`` unchanged.

    Never raises SymmlTimeout: the caller gets ``BoundedResult(expr, timed_out=True)``
    and decides what to tell the user.

    Examples:
        >>> import sympy
        >>> x = sympy.Symbol("x")
        >>> bounded_simplify(x + x, timeout=30)
        BoundedResult(value=2*x, timed_out=False)
    """
    import sympy

    try:
        return BoundedResult(run_bounded(sympy.simplify, expr, timeout=timeout, **kwargs), False)
    except SymmlTimeout:
        return BoundedResult(expr, True)


class Finished(NamedTuple):
    """One call of :func:`run_parallel`: its position, and its value or what it raised."""

    index: int
    value: Any
    error: BaseException | None


def run_parallel(
    fn: Callable[..., Any], calls: Sequence[tuple], *, jobs: int, timeout: float | None
) -> Iterator[Finished]:
    """``fn(*args)`` for every ``args`` of ``calls`` on ``jobs`` worker processes.

    Calls start in the order given; each is bounded by ``timeout`` seconds from the moment
    its worker receives it (a worker past it is killed and replaced). Unlike
    :func:`run_bounded`'s workers, these may start bounded workers of their own.

    Args:
        fn: a module-level function (it is pickled by reference).
        calls: the positional arguments of each call.
        jobs: how many calls run at once.
        timeout: seconds per call; ``None`` for no bound.

    Yields:
        A Finished per call, as each finishes: ``error`` is SymmlTimeout for a call past its
        bound, SymmlError for a worker that died, or whatever ``fn`` raised.

    Examples:
        >>> import math
        >>> sorted(f.value for f in run_parallel(math.factorial, [(3,), (4,)], jobs=2,
        ...                                       timeout=30))
        [6, 24]
    """
    from concurrent.futures import ThreadPoolExecutor, as_completed

    pool = _Pool(nested=True)

    def one(k: int) -> Finished:
        payload = pickle.dumps((fn, calls[k], {}), protocol=pickle.HIGHEST_PROTOCOL)
        try:
            return Finished(k, pool.run(payload, _name(fn), timeout), None)
        except Exception as exc:  # handed to the caller, who decides what it means
            return Finished(k, None, exc)

    # threads only wait on worker processes; the executor hands out calls in order
    executor = ThreadPoolExecutor(max(1, min(jobs, len(calls))), "symml-parallel")
    try:
        for future in as_completed([executor.submit(one, k) for k in range(len(calls))]):
            yield future.result()
    finally:
        executor.shutdown(wait=False, cancel_futures=True)
        pool.shutdown()


def timeouts() -> int:
    """How many bounded computations have run out of time in this process so far.

    The worker processes' own count too: a worker's reply carries the timeouts of its call.
    A result computed while the count grew depends on the machine's load as well as on its
    input, so the caches keep no such result. The count is per process, not per thread: a
    thread that reads it around its own work also sees other threads' timeouts (erring on
    the side of not caching).

    Examples:
        >>> import time
        >>> before = timeouts()
        >>> try:
        ...     run_bounded(time.sleep, 5, timeout=0.1)
        ... except SymmlTimeout:
        ...     pass
        >>> timeouts() - before
        1
    """
    return _TIMEOUTS[0]


def _count_timeouts(n: int) -> None:
    if n:
        with _TIMEOUTS_LOCK:
            _TIMEOUTS[0] += n


def _timed_out(message: str) -> SymmlTimeout:
    """The exception for a computation past its bound, logged and counted (see timeouts)."""
    log.info(message)
    _count_timeouts(1)
    return SymmlTimeout(message)


def shutdown() -> None:
    """Stop the idle worker processes (they are daemonic, so exit stops them anyway)."""
    _POOL.shutdown()


# --- implementation -----------------------------------------------------------------


def _name(fn: Callable[..., Any]) -> str:
    module = getattr(fn, "__module__", None) or ""
    qual = getattr(fn, "__qualname__", None) or repr(fn)
    return f"{module}.{qual}" if module else qual


def _run_in_thread(fn: Callable[..., T], args: tuple, kwargs: dict, timeout: float) -> T:
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = fn(*args, **kwargs)
        except BaseException as exc:  # handed to the caller below, never swallowed
            box["error"] = exc

    thread = threading.Thread(target=target, name=f"symml-bounded-{_name(fn)}", daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        raise _timed_out(f"{_name(fn)} did not finish within {timeout:g} s (thread abandoned)")
    if "error" in box:
        raise box["error"]
    return box["value"]


_HEADER = struct.Struct("!Q")

#: Bounded computations that ran out of time in this process (see :func:`timeouts`).
_TIMEOUTS = [0]
_TIMEOUTS_LOCK = threading.Lock()


def write_frame(stream: Any, data: bytes) -> None:
    stream.write(_HEADER.pack(len(data)))
    stream.write(data)
    stream.flush()


def read_frame(stream: Any) -> bytes | None:
    header = stream.read(_HEADER.size)
    if len(header) < _HEADER.size:
        return None
    (size,) = _HEADER.unpack(header)
    data = stream.read(size)
    return data if len(data) == size else None


def _exit_with_parent(period: float = 1.0) -> None:
    """A worker busy in a runaway computation never reads its closed stdin: a daemon thread
    notices that the parent is gone (re-parented) and ends the process."""
    import threading
    import time

    parent = os.getppid()

    def watch() -> None:
        while True:
            time.sleep(period)
            if os.getppid() != parent:
                os._exit(0)

    threading.Thread(target=watch, name="symml-parent-watch", daemon=True).start()


def _serve_stdio() -> None:
    """Worker loop: read pickled (fn, args, kwargs) frames, write ("ok"|"err", value) frames.

    Runs in ``python -c`` (not multiprocessing), so the caller's ``__main__`` is never
    re-imported: scripts without an ``if __name__ == "__main__"`` guard stay safe.
    """
    channel = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    sys.stdout = sys.stderr  # stray prints must not corrupt the frames
    _exit_with_parent()
    requests = sys.stdin.buffer
    import sympy  # noqa: F401  (pay the import before the first deadline starts)

    try:
        import symml.functions  # noqa: F401
    except ImportError:
        pass
    write_frame(channel, pickle.dumps(("ready", None)))
    while True:
        payload = read_frame(requests)
        if payload is None:
            return
        before = timeouts()
        try:
            fn, args, kwargs = pickle.loads(payload)
            status, value = "ok", fn(*args, **kwargs)
        except Exception as exc:
            import traceback

            # the caller gets the exception; the worker's traceback travels as a note
            exc._symml_remote_traceback = traceback.format_exc()  # type: ignore[attr-defined]
            status, value = "err", exc
        spent = timeouts() - before  # this call's own bounded computations that timed out
        try:
            data = pickle.dumps((status, value, spent), protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as exc:  # an unpicklable result or exception: say what it was
            error = SymmlError(f"the worker's reply could not be pickled: {exc!r}")
            data = pickle.dumps(("err", error, spent))
        write_frame(channel, data)


class _Worker:
    """One ``python -c`` worker process; ``nested`` ones may start workers of their own."""

    def __init__(self, nested: bool = False) -> None:
        package_root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (package_root, env.get("PYTHONPATH", "")) if p
        )
        if not nested:
            env[_WORKER_FLAG] = "1"
        self.process = subprocess.Popen(
            [sys.executable, "-c", "from symml.workers import _serve_stdio; _serve_stdio()"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
        )
        # A reader thread turns the blocking pipe into a queue with a timeout (portable,
        # unlike select() on pipes).
        self.replies: queue.Queue[bytes | None] = queue.Queue()
        self.reader = threading.Thread(target=self._read, daemon=True, name="symml-worker-reader")
        self.reader.start()
        try:
            ready = self.replies.get(timeout=_STARTUP_TIMEOUT)
        except queue.Empty:
            ready = None
        if ready is None:
            self.kill()
            raise SymmlError(
                f"a symml worker process ({sys.executable}) did not start within "
                f"{_STARTUP_TIMEOUT:g} s"
            )

    def _read(self) -> None:
        stdout = self.process.stdout
        while True:
            try:
                frame = read_frame(stdout)
            except (OSError, ValueError):  # the pipe was closed under us: the worker is gone
                frame = None
            self.replies.put(frame)
            if frame is None:
                return

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        self.process.kill()
        self.process.wait()
        self.reader.join(timeout=5)  # EOF after the kill ends it; then the pipes can close
        for stream in (self.process.stdin, self.process.stdout):
            try:
                stream.close()
            except OSError:
                pass


class _Pool:
    """Idle workers, one taken per concurrent call; a worker past its deadline is killed.

    The module-level pool is, with the count of :func:`timeouts`, the module's only mutable
    state: a cache of processes, guarded by a lock. :func:`run_parallel` makes its own
    (``nested``) pool and shuts it down.
    """

    def __init__(self, nested: bool = False) -> None:
        self._lock = threading.Lock()
        self._idle: list[_Worker] = []
        self._busy: set[_Worker] = set()
        self._nested = nested
        self.closed = False

    def _take(self) -> _Worker:
        with self._lock:
            while self._idle:
                worker = self._idle.pop()
                if worker.alive():
                    self._busy.add(worker)
                    return worker
                worker.kill()
        worker = _Worker(self._nested)
        with self._lock:
            self._busy.add(worker)
        return worker

    def _give_back(self, worker: _Worker) -> None:
        with self._lock:
            self._busy.discard(worker)
            if not self.closed:
                self._idle.append(worker)
                return
        worker.kill()

    def _drop(self, worker: _Worker) -> None:
        with self._lock:
            self._busy.discard(worker)
        worker.kill()

    def run(self, payload: bytes, name: str, timeout: float | None) -> Any:
        worker = self._take()
        try:
            write_frame(worker.process.stdin, payload)
            frame = worker.replies.get(timeout=timeout)
        except queue.Empty:
            self._drop(worker)
            raise _timed_out(f"{name} did not finish within {timeout:g} s") from None
        except OSError as exc:
            self._drop(worker)
            raise SymmlError(f"the symml worker running {name} failed: {exc!r}") from exc
        if frame is None:
            self._drop(worker)
            raise WorkerDied(f"the symml worker running {name} died (see stderr)")
        self._give_back(worker)
        try:
            status, value, spent = pickle.loads(frame)
        except Exception as exc:  # the reply arrived but does not unpickle here
            raise SymmlError(f"the reply of {name} could not be unpickled: {exc!r}") from exc
        _count_timeouts(spent)
        if status == "err":
            remote = getattr(value, "_symml_remote_traceback", None)
            if remote and hasattr(value, "add_note"):  # Python 3.11+
                value.add_note(f"in the symml worker process:\n{remote}")
            raise value
        return value

    def shutdown(self) -> None:
        """Kill the idle workers; a ``run_parallel`` pool is closed and kills its busy ones."""
        with self._lock:
            idle, self._idle = self._idle, []
            busy = list(self._busy) if self._nested else []
            self.closed = self._nested
        for worker in idle + busy:
            worker.kill()

    def forget_after_fork(self) -> None:
        """In a forked child: the workers belong to the parent. Keep them referenced (so
        no Popen is collected as "still running") but never use, kill or wait for them."""
        self._lock = threading.Lock()
        self._foreign = [*getattr(self, "_foreign", []), *self._idle, *self._busy]
        self._idle, self._busy = [], set()


_POOL = _Pool()
atexit.register(_POOL.shutdown)
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_POOL.forget_after_fork)
