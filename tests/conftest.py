"""Shared fixtures (seeded generators: every random test states its seed and tolerance) and the
guard that keeps the default test run fast.

The slow-test guard
-------------------
The default run (``pytest -m "not slow"``, the README's and CI's command) must stay under a
minute on a quiet two-core machine. A test without the ``slow`` marker whose *call* phase
takes longer than ``limit x load`` fails with its name, its duration and the fix, "mark it
slow" (``@pytest.mark.slow``; ``nox -s tests_all`` runs the slow tests).

``limit``
    Seconds on a quiet machine: the ini option ``slow_test_limit`` (default 5 s), overridden by
    the environment variable ``CRTRANSPORT_SLOW_TEST_LIMIT``; 0 switches the guard off. The
    ``slow`` marker's rule of thumb is 2 s; the guard fails only at 5 s, 2.5-4 times the
    slowest unmarked tests (1.2-2 s with a free core), so it catches a clearly slow test and
    not an unlucky one (a flaky guard is worse than none).
``load``
    How much slower this machine is now than the quiet reference machine, at least 1: a fixed
    small single-threaded workload (:func:`_calibration_seconds`, about 30 ms quietly) is timed
    at session start and again right after a test exceeds ``limit``, and the larger of the two
    factors is used, so a loaded or slower machine (a shared VM, a CI runner) relaxes the limit
    and a faster one never tightens it.

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


def _load_factor() -> float:
    return max(1.0, _calibration_seconds() / REFERENCE_CALIBRATION_S)


class _SlowGuard:
    def __init__(self, limit: float) -> None:
        self.limit = limit
        self.start_load = _load_factor()

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_call(self, item: pytest.Item):
        from numba.core import event

        listener = event.TimingListener()
        with event.install_listener("numba:compile", listener):
            yield
        item.stash[_compile_seconds] = listener.duration if listener.done else 0.0

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
        load = max(self.start_load, _load_factor())
        if seconds <= self.limit * load:
            return
        report.outcome = "failed"
        report.longrepr = (
            f"{item.nodeid} took {seconds:.1f} s (not counting {compile_s:.1f} s of numba "
            f"compilation), over the default run's limit of {self.limit:g} s x machine load "
            f"{load:.2f} = {self.limit * load:.3g} s: mark it slow (@pytest.mark.slow) or make "
            f"it faster (limit: ini option {LIMIT_INI} or env {LIMIT_ENV})."
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
