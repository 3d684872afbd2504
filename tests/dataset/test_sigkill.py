"""A build killed with SIGKILL resumes: finished samples kept, none rerun, same final file."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import xarray as xr

from crtransport.dataset import ParameterSpace, _builder, _testing
from crtransport.dataset._testing import assert_same_database

SCRIPT = """
import sys
from crtransport.dataset import ParameterSpace, _builder, _testing

_builder._build(
    ParameterSpace.paper(), 40, path=sys.argv[1], seed=1,
    simulation={"sleep": 0.05, "call_log": sys.argv[2]}, executor=None, n_workers=2,
    analytic_fraction=0.1, running_times=[1.0, 10.0], threads_per_sample=None,
    overwrite=False, progress=False, run_fn=_testing.fake_simulate_run,
    defaults_fn=_testing.fake_defaults,
)
"""


def _kwargs(path, log):
    return {
        "path": path,
        "seed": 1,
        "simulation": {"sleep": 0.05, "call_log": str(log)},
        "executor": None,
        "n_workers": 2,
        "analytic_fraction": 0.1,
        "running_times": [1.0, 10.0],
        "threads_per_sample": None,
        "overwrite": False,
        "progress": False,
        "run_fn": _testing.fake_simulate_run,
        "defaults_fn": _testing.fake_defaults,
    }


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(os, "killpg"), reason="POSIX process groups")
def test_sigkill_then_resume(tmp_path):
    path = tmp_path / "db.nc"
    log = tmp_path / "calls.log"
    journal = tmp_path / "db.nc.journal"
    proc = subprocess.Popen(
        [sys.executable, "-c", SCRIPT, str(path), str(log)], start_new_session=True
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if journal.exists() and journal.read_text().count("\n") >= 8:
                break
            if proc.poll() is not None:
                pytest.fail(f"the build ended before it could be killed (rc {proc.returncode})")
            time.sleep(0.02)
        else:
            pytest.fail("the build journaled nothing within 60 s")
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    assert not path.exists()
    lines = journal.read_text().split("\n")
    done = {json.loads(x)["index"] for x in lines[1:] if x.endswith("}")}
    assert 7 <= len(done) < 36
    done_T = {json.loads(x)["params"][0] for x in lines[1:] if x.endswith("}")}
    n_calls_before = len(log.read_text().splitlines())

    ds = _builder._build(ParameterSpace.paper(), 40, **_kwargs(path, log))
    rerun = [float(t) for t in log.read_text().splitlines()[n_calls_before:]]
    assert not done_T & set(rerun)  # no journaled sample ran again
    assert len(rerun) == 36 - len(done)
    assert not journal.exists()

    with ThreadPoolExecutor(max_workers=8) as ex:  # uninterrupted, another executor
        kwargs = {**_kwargs(None, log), "executor": ex, "n_workers": None}
        reference = _builder._build(ParameterSpace.paper(), 40, **kwargs)
    assert_same_database(ds, reference)
    assert_same_database(xr.load_dataset(path), reference)
