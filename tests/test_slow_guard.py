"""The slow-test guard of tests/conftest.py: an unmarked test over the limit fails the run with
its name, duration and the fix; fast, slow-marked, already failing tests and numba compilation
are left alone.

Each test runs an inner pytest session (pytester) with this project's conftest.py and a limit
of 0.01 s; the "slow" fake test sleeps 0.25 s, so it is flagged unless the machine is 25 times
slower than the quiet reference (the guard's speed and contention factors).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numba
import pytest

CONFTEST = Path(__file__).with_name("conftest.py")

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
    time.sleep(0.25)


@pytest.mark.slow
def test_sleepy_but_marked():
    time.sleep(0.25)


def test_sleepy_and_wrong():
    time.sleep(0.25)
    assert 1 == 2


def test_compiling():
    from numba.core import event

    with event.trigger_event("numba:compile"):
        time.sleep(0.25)
"""


@pytest.fixture
def inner(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    monkeypatch.delenv("CRTRANSPORT_SLOW_TEST_LIMIT", raising=False)
    pytester.makeconftest(CONFTEST.read_text())
    pytester.makeini("[pytest]\nmarkers =\n    slow: slow\nslow_test_limit = 0.01\n")
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
        "test_compiling": "passed",  # the 0.25 s inside a numba compile event is warm-up
    }
    result.stdout.fnmatch_lines(
        [
            "*test_fake.py::test_sleepy took 0.* s (not counting 0.0 s of numba compilation), "
            "over the default run's limit of 0.01 s x machine speed * x contention * = * s: "
            "mark it slow "
            "(@pytest.mark.slow) or make it faster*"
        ]
    )
    # a test that fails on its own keeps its own failure, not the guard's
    result.stdout.fnmatch_lines(["*assert 1 == 2*"])
    assert "test_sleepy_and_wrong took" not in result.stdout.str()


def test_environment_variable_overrides_the_ini_limit(
    inner: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
):
    only_sleepy = ("-p", "no:cacheprovider", "-k", "test_sleepy and not marked and not wrong")
    inner.runpytest(*only_sleepy).assert_outcomes(failed=1)
    monkeypatch.setenv("CRTRANSPORT_SLOW_TEST_LIMIT", "0")  # 0: guard off
    inner.runpytest(*only_sleepy).assert_outcomes(passed=1)
    monkeypatch.setenv("CRTRANSPORT_SLOW_TEST_LIMIT", "60")
    inner.runpytest(*only_sleepy).assert_outcomes(passed=1)
    monkeypatch.setenv("CRTRANSPORT_SLOW_TEST_LIMIT", "five")
    result = inner.runpytest("-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*CRTRANSPORT_SLOW_TEST_LIMIT / slow_test_limit must be a number*"]
    )


def test_a_slower_machine_relaxes_the_limit(inner: pytest.Pytester):
    """The load factor scales the limit: with a reference calibration time 1000 times shorter
    than this machine's, the sleepy test's 0.25 s is within 0.01 s x load."""
    source = CONFTEST.read_text()
    assert "\nREFERENCE_CALIBRATION_S = " in source
    inner.makeconftest(
        source.replace("\nREFERENCE_CALIBRATION_S = ", "\nREFERENCE_CALIBRATION_S = 1e-3 * ")
    )
    result = inner.runpytest("-p", "no:cacheprovider", "-k", "test_sleepy and not marked")
    result.assert_outcomes(passed=1, failed=1)  # the failure is test_sleepy_and_wrong's own
    assert "test_sleepy took" not in result.stdout.str()


def test_off_without_the_jit(inner: pytest.Pytester, monkeypatch: pytest.MonkeyPatch):
    """Kernels as plain Python (nox -s tests_nojit) are slow by design: no guard there."""
    monkeypatch.setattr(numba.config, "DISABLE_JIT", True)
    result = inner.runpytest("-p", "no:cacheprovider", "-k", "test_sleepy and not marked")
    result.assert_outcomes(passed=1, failed=1)  # the failure is test_sleepy_and_wrong's own
    assert "test_sleepy took" not in result.stdout.str()


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
def test_contention_factor(busy, own, n_cpus, factor):
    spec = importlib.util.spec_from_file_location("guard_conftest", CONFTEST)
    guard = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(guard)
    assert guard._contention(busy, own, n_cpus) == pytest.approx(factor)
