"""The slow-test guard of tests/conftest.py: an unmarked test over the limit fails the run with
its name, duration and the fix; fast, slow-marked, already failing tests and numba compilation
are left alone.

Each test runs an inner pytest session (pytester) with this project's conftest.py, a limit of
0.1 s and the machine's speed and contention factors fixed at 1 (so that the outcome does not
depend on the load of the machine running the tests); the "slow" fake test sleeps 0.15 s.
"""

from __future__ import annotations

import importlib.util
import sys
import time
from pathlib import Path

import numba
import pytest

CONFTEST = Path(__file__).with_name("conftest.py")
#: Appended to the inner conftest: a quiet reference machine, whatever this one is doing.
QUIET = "\n_speed_factor = lambda: 1.0\n_contention = lambda *args: 1.0\n"
ONLY_SLEEPY = ("-p", "no:cacheprovider", "-k", "test_sleepy and not marked and not wrong")

pytestmark = pytest.mark.skipif(
    sys.gettrace() is not None or numba.config.DISABLE_JIT,
    reason="the guard is off under a tracer (coverage, a debugger) and without numba's JIT",
)

FAKE_TESTS = """
import time

import pytest


def test_fast():
    assert sum(range(10)) == 45


def test_sleepy():
    time.sleep(0.15)


@pytest.mark.slow
def test_sleepy_but_marked():
    time.sleep(0.15)


def test_sleepy_and_wrong():
    time.sleep(0.15)
    assert 1 == 2


def test_compiling():
    from numba.core import event

    with event.trigger_event("numba:compile"):
        time.sleep(0.15)
"""


@pytest.fixture(scope="module")
def guard():
    """tests/conftest.py as a module of its own, for its helper functions."""
    spec = importlib.util.spec_from_file_location("guard_conftest", CONFTEST)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def inner(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    monkeypatch.delenv("CRTRANSPORT_SLOW_TEST_LIMIT", raising=False)
    pytester.makeconftest(CONFTEST.read_text() + QUIET)
    pytester.makeini("[pytest]\nmarkers =\n    slow: slow\nslow_test_limit = 0.1\n")
    pytester.makepyfile(test_fake=FAKE_TESTS)
    return pytester


def test_guard_fails_only_the_unmarked_slow_test(inner: pytest.Pytester):
    result = inner.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=3, failed=2)
    outcomes = {
        r.nodeid.split("::")[-1]: r.outcome
        for r in result.reprec.getreports("pytest_runtest_logreport")
        if r.when == "call"
    }
    assert outcomes == {
        "test_fast": "passed",
        "test_sleepy": "failed",
        "test_sleepy_but_marked": "passed",
        "test_sleepy_and_wrong": "failed",
        "test_compiling": "passed",  # the 0.15 s inside a numba compile event is warm-up
    }
    result.stdout.fnmatch_lines(
        [
            "*test_fake.py::test_sleepy took 0.* s (not counting 0.0 s of numba compilation), "
            "over the default run's limit of 0.1 s x machine speed 1.00 x contention 1.00 (*) "
            "= 0.1 s: mark it slow "
            "(@pytest.mark.slow) or make it faster*"
        ]
    )
    # a test that fails on its own keeps its own failure, not the guard's
    result.stdout.fnmatch_lines(["*assert 1 == 2*"])
    assert "test_sleepy_and_wrong took" not in result.stdout.str()


def test_environment_variable_overrides_the_ini_limit(
    inner: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
):
    inner.runpytest(*ONLY_SLEEPY).assert_outcomes(failed=1)
    monkeypatch.setenv("CRTRANSPORT_SLOW_TEST_LIMIT", "0")  # 0: guard off
    inner.runpytest(*ONLY_SLEEPY).assert_outcomes(passed=1)
    monkeypatch.setenv("CRTRANSPORT_SLOW_TEST_LIMIT", "60")
    inner.runpytest(*ONLY_SLEEPY).assert_outcomes(passed=1)
    monkeypatch.setenv("CRTRANSPORT_SLOW_TEST_LIMIT", "five")
    result = inner.runpytest("-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*CRTRANSPORT_SLOW_TEST_LIMIT / slow_test_limit must be a number*"]
    )


@pytest.mark.parametrize("factor", ["_speed_factor = lambda", "_contention = lambda *args"])
def test_a_slower_or_busier_machine_relaxes_the_limit(inner: pytest.Pytester, factor: str):
    """Either factor at 10 makes the limit 1 s, and the sleepy test's 0.15 s passes."""
    inner.makeconftest(CONFTEST.read_text() + QUIET + f"\n{factor}: 10.0\n")
    inner.runpytest(*ONLY_SLEEPY).assert_outcomes(passed=1)


def test_off_without_the_jit(inner: pytest.Pytester, monkeypatch: pytest.MonkeyPatch):
    """Kernels as plain Python (nox -s tests_nojit) are slow by design: no guard there."""
    monkeypatch.setattr(numba.config, "DISABLE_JIT", True)
    inner.runpytest(*ONLY_SLEEPY).assert_outcomes(passed=1)


@pytest.mark.parametrize(
    ("busy", "own", "n_cpus", "factor"),
    [
        (0.3, 0.3, 2, 1.0),  # a quiet machine
        (1.4, 1.0, 2, 1.0),  # under 3/4 of the cores busy: the test was not starved
        (2.0, 0.9, 2, 2.0),  # a JAX test that got 0.9 of two saturated cores
        (2.0, 0.5, 2, 2.0),  # a single-threaded test sharing its core
        (2.0, 0.0, 2, 2.0),  # waiting on a subprocess (its cores are not the test's)
        (2.0, 2.0, 2, 1.0),  # a parallel test alone on the machine
        (9.0, 1.0, 16, 1.0),  # a big machine with room to spare
    ],
)
def test_contention_factor(guard, busy, own, n_cpus, factor):
    assert guard._contention(busy, own, n_cpus) == pytest.approx(factor)


def test_cpu_seconds_read_this_machine_and_process(guard):
    before = guard._cpu_seconds()
    if before is None:
        pytest.skip("no /proc/stat")
    start = time.process_time()
    while time.process_time() - start < 0.05:  # 50 ms of this process's CPU time
        pass
    busy, own = (a - b for a, b in zip(guard._cpu_seconds(), before))
    assert 0.03 <= own <= 0.5  # both counters tick every 10 ms
    assert busy >= own - 0.03  # the machine's busy time includes this process's
