"""symml.workers.run_parallel: the one pool that runs verify --all (and, later, check -j)."""

from __future__ import annotations

import math
import os
import time

import pytest

from symml.errors import SymmlTimeout, WorkerDied
from symml.workers import bounded_simplify, run_bounded, run_parallel, timeouts


def test_every_call_finishes_once_with_its_index():
    calls = [(n,) for n in range(6)]
    done = sorted(run_parallel(math.factorial, calls, jobs=2, timeout=60))
    assert [f.index for f in done] == list(range(6))
    assert [f.value for f in done] == [math.factorial(n) for n in range(6)]
    assert all(f.error is None for f in done)


def test_a_call_that_raises_is_its_error_and_the_others_still_run():
    done = sorted(run_parallel(math.factorial, [(-1,), (4,)], jobs=1, timeout=60))
    assert isinstance(done[0].error, ValueError) and done[0].value is None
    assert (done[1].value, done[1].error) == (24, None)


@pytest.mark.parametrize(
    ("fn", "args", "error", "match"),
    [
        pytest.param(time.sleep, (30,), SymmlTimeout, "did not finish within 0.5 s", id="timeout"),
        pytest.param(os._exit, (3,), WorkerDied, "died", id="worker-dies"),
    ],
)
def test_a_worker_past_its_bound_or_dead_is_an_error_for_that_call(fn, args, error, match):
    (done,) = run_parallel(fn, [args], jobs=1, timeout=0.5)
    assert isinstance(done.error, error) and match in str(done.error)
    after = list(run_parallel(math.factorial, [(4,)], jobs=1, timeout=60))
    assert after[0].value == 24  # a killed or dead worker leaves nothing behind that breaks


def test_every_timeout_is_counted_in_the_caller_the_workers_own_included():
    import sympy

    x = sympy.Symbol("x")
    before = timeouts()
    assert bounded_simplify(x, timeout=0).timed_out  # here
    assert timeouts() - before == 1
    # in a bounded worker: bounded_simplify swallows its own timeout there, and the reply
    # carries it back, so a cache in this process still knows the result depends on load
    assert run_bounded(bounded_simplify, x, 0, timeout=60).timed_out
    assert timeouts() - before == 2
    assert run_bounded(bounded_simplify, x, 60, timeout=60) == (x, False)
    (done,) = run_parallel(bounded_simplify, [(x, 0)], jobs=1, timeout=60)  # nested workers
    assert done.value.timed_out and timeouts() - before == 3
    with pytest.raises(SymmlTimeout):
        run_bounded(time.sleep, 30, timeout=0.2)
    assert timeouts() - before == 4
