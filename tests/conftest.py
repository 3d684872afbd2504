"""Shared fixtures (seeded generators: every random test states its seed and tolerance) and the
guard that keeps the default test run fast.

The slow-test guard
-------------------
The default run (``pytest -m "not slow"``, the README's and CI's command) must stay under a
minute on a quiet two-core machine. A test without the ``slow`` marker whose *call* phase
takes longer than ``limit x speed x contention`` fails with its name, its duration and the
fix, "mark it slow" (``@pytest.mark.slow``; ``nox -s tests_slow`` runs the slow tests).

``limit``
    Seconds on a quiet machine: the ini option ``slow_test_limit`` (default 5 s), overridden by
    the environment variable ``CRTRANSPORT_SLOW_TEST_LIMIT``; 0 switches the guard off. The
    ``slow`` marker's rule of thumb is 2 s; the guard fails only at 5 s, 2.5-4 times the
    slowest unmarked tests (1.2-2 s with a free core), so it catches a clearly slow test and
    not an unlucky one (a flaky guard is worse than none).
``speed`` and ``contention``
    How much slower this machine is than the quiet reference, each at least 1, so that a slower
    or busier machine (a shared VM, a CI runner) relaxes the limit and a faster one never
    tightens it. ``speed``: a fixed small single-threaded workload
    (:func:`_calibration_seconds`, about 30 ms quietly) timed at session start. ``contention``:
    from ``/proc/stat`` over the test's own call, the busy cores of the whole machine per core
    the test got, when 3/4 of the cores or more were busy (:func:`_contention`); without
    ``/proc/stat``, the workload timed again after the test. Both err towards leniency: on a
    loaded machine only a test far over the limit fails.

The guard is off where durations say nothing about the default run: without numba's JIT
(``NUMBA_DISABLE_JIT=1``, ``nox -s tests_nojit``) and under a tracer (coverage, a debugger).
Numba compilation during the call is not counted: the kernels are compiled (or loaded from
numba's disk cache) once per process, by whichever test calls them first, so that time is
warm-up and not the test's cost. JAX compilation is counted: each test traces and compiles its
own functions, and that is what makes JAX tests slow. Fixture setup is not counted (the call
phase only).
"""

from __future__ import annotations

import os
import sys
import time

import numpy as np
import pytest

pytest_plugins = ["pytester"]

LIMIT_ENV = "CRTRANSPORT_SLOW_TEST_LIMIT"
LIMIT_INI = "slow_test_limit"
DEFAULT_LIMIT_S = 5.0
#: _calibration_seconds() on a quiet machine (2-core AMD EPYC VM, a free core; a faster machine
#: reads load 1, a slower or busier one a proportionally larger factor).
REFERENCE_CALIBRATION_S = 0.027

_compile_seconds = pytest.StashKey[float]()
_cores = pytest.StashKey[tuple[float, float]]()


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20231113)


# ---------------------------------------------------------------------------- slow-test guard
def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(
        LIMIT_INI,
        "Seconds (on a quiet machine) an unmarked test's call may take before the run fails "
        f"with 'mark it slow'; scaled by the machine's load; 0 disables; env {LIMIT_ENV} "
        "overrides.",
        default=str(DEFAULT_LIMIT_S),
    )


def _calibration_seconds(repeats: int = 5) -> float:
    """Median wall time of a fixed workload (numpy and interpreted Python), ``repeats`` runs.

    The median, not the best run: on a machine whose load comes and goes the best run reads
    quiet, and a factor too small would fail a test for the machine's slowness.
    """
    x = np.linspace(0.0, 1.0, 20_000)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        acc = 0.0
        for i in range(100):
            acc += float(np.sin(x * i).sum())
        for i in range(100_000):
            acc += i * 0.5
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def _speed_factor() -> float:
    """How much slower than the quiet reference this machine runs the calibration now, >= 1."""
    return max(1.0, _calibration_seconds() / REFERENCE_CALIBRATION_S)


def _cpu_seconds() -> tuple[float, float] | None:
    """CPU seconds used so far by the whole machine (all cores, steal included) and by this
    process (all threads) with its waited-for children; None without /proc/stat."""
    try:
        with open("/proc/stat") as f:
            fields = f.readline().split()
        ticks = [int(v) for v in fields[1:9]]  # user nice system idle iowait irq softirq steal
    except (OSError, ValueError):
        return None
    busy = (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")
    t = os.times()
    return busy, t.user + t.system + t.children_user + t.children_system


def _contention(busy_cores: float, own_cores: float, n_cpus: int) -> float:
    """Slow-down of a test by other work: 1 unless the machine was busy (3/4 of its cores or
    more); then the busy cores per core the test got (counted as at least one). Lenient on
    purpose: a test that could not have used the cores the others took reads as slowed too."""
    if busy_cores < 0.75 * n_cpus:
        return 1.0
    return max(1.0, busy_cores / max(own_cores, 1.0))


class _SlowGuard:
    def __init__(self, limit: float) -> None:
        self.limit = limit
        self.speed = _speed_factor()

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_call(self, item: pytest.Item):
        from numba.core import event

        listener = event.TimingListener()
        before, start = _cpu_seconds(), time.perf_counter()
        with event.install_listener("numba:compile", listener):
            yield
        after, wall = _cpu_seconds(), time.perf_counter() - start
        item.stash[_compile_seconds] = listener.duration if listener.done else 0.0
        if before is not None and after is not None and wall > 0:
            busy, own = ((a - b) / wall for a, b in zip(after, before))
            item.stash[_cores] = (busy, own)

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo):
        outcome = yield
        report = outcome.get_result()
        if call.when != "call" or not report.passed or item.get_closest_marker("slow"):
            return
        compile_s = item.stash.get(_compile_seconds, 0.0)
        seconds = call.duration - compile_s
        if seconds <= self.limit or sys.gettrace() is not None:
            return
        cores = item.stash.get(_cores, None)
        if cores is None:  # no /proc/stat: time the calibration again, now
            contention = max(1.0, _speed_factor() / self.speed)
            why = "calibration now"
        else:
            contention = _contention(*cores, os.cpu_count() or 1)
            why = f"{cores[0]:.1f} of {os.cpu_count()} cores busy, {cores[1]:.1f} the test's"
        limit = self.limit * self.speed * contention
        if seconds <= limit:
            return
        report.outcome = "failed"
        report.longrepr = (
            f"{item.nodeid} took {seconds:.1f} s (not counting {compile_s:.1f} s of numba "
            f"compilation), over the default run's limit of {self.limit:g} s x machine speed "
            f"{self.speed:.2f} x contention {contention:.2f} ({why}) = {limit:.3g} s: mark it "
            f"slow (@pytest.mark.slow) or make it faster (limit: ini option {LIMIT_INI} or env "
            f"{LIMIT_ENV})."
        )


def pytest_configure(config: pytest.Config) -> None:
    raw = os.environ.get(LIMIT_ENV) or config.getini(LIMIT_INI)
    try:
        limit = float(raw)
    except ValueError:
        raise pytest.UsageError(
            f"{LIMIT_ENV} / {LIMIT_INI} must be a number of seconds; got {raw!r}."
        ) from None
    import numba

    if limit > 0 and not numba.config.DISABLE_JIT:
        config.pluginmanager.register(_SlowGuard(limit), "crtransport-slow-guard")
