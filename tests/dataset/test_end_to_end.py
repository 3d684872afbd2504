"""The builder on the real engine, with tiny settings (well under a second per sample)."""

from __future__ import annotations

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import crtransport as crt
from crtransport.dataset._builder import _analytic_run_length
from crtransport.dataset._testing import assert_same_database

TINY = {"n_particles": 64, "n_waves": 16, "t_max": 100.0, "n_save": 20}

pytestmark = pytest.mark.filterwarnings("ignore::crtransport.AccuracyWarning")


# two spawned workers, each importing the package and loading the kernels: 1.3-2.5 s alone,
# 9 s on a loaded 2-core machine; the fast run keeps the pool (test_builder.py, fake engine)
# and a real-engine sample against simulate() (below)
@pytest.mark.slow
def test_pool_of_two_matches_serial(tmp_path):
    with ThreadPoolExecutor(1) as ex:
        serial = crt.build_dataset(
            None, 5, path=None, seed=1, simulation=TINY, executor=ex, progress=False,
            analytic_fraction=0.2, running_times=[10.0, 50.0, 100.0],
        )  # fmt: skip
    pooled = crt.build_dataset(
        None, 5, path=tmp_path / "db.nc", seed=1, simulation=TINY, n_workers=2,
        progress=False, analytic_fraction=0.2, running_times=[10.0, 50.0, 100.0],
    )  # fmt: skip
    # everything but the measured run cost is bit-identical
    for ds in (serial, pooled):
        assert ds.attrs.pop("cost_sample_seconds") > 0
    assert_same_database(serial.drop_vars("wall_time"), pooled.drop_vars("wall_time"))
    sim = ~pooled["is_analytic"].values
    assert np.all(pooled["wall_time"].values[sim] > 0)
    assert np.all(np.isfinite(pooled["D_perp"].values))
    # the requested t_max, rounded up to whole save intervals of each sample's own dt
    t_max = pooled["t_max"].values[sim]
    assert np.all(t_max >= 100.0)
    assert np.all(t_max <= 100.0 * (1 + 1 / TINY["n_save"]) + pooled["dt"].values[sim])
    settings = crt.dataset.open_dataset(tmp_path / "db.nc").attrs["simulation"]
    for key in ("n_particles", "n_waves", "dt", "t_max", "model", "k_perp_range", "shared_field"):
        assert f'"{key}"' in settings


def test_sample_matches_a_direct_simulate_call():
    with ThreadPoolExecutor(1) as ex:
        ds = crt.build_dataset(None, 2, seed=4, simulation=TINY, executor=ex, progress=False)
    row = ds.isel(sample=1)
    res = crt.simulate(
        float(row["T"]), float(row["b"]), float(row["lambda_perp"]),
        lambda_par=float(row["lambda_par"]), mu=float(row["mu"]),
        seed=np.random.SeedSequence(4).spawn(2)[1], **TINY,
    )  # fmt: skip
    assert float(row["D_perp"]) == res.D_perp
    assert float(row["D_par_err"]) == res.D_par_err
    assert bool(row["is_converged_perp"]) == res.converged


@pytest.mark.parametrize("t_max", [None, 60.0])
def test_analytic_run_length_is_the_engines(t_max):
    params = {"T": 2.0, "mu": 0.4, "b": 0.0, "lambda_perp": 1.5, "lambda_par": 15.0}
    settings = {"n_save": 50, "t_max": t_max}
    res = crt.simulate(2.0, 0.0, 1.5, lambda_par=15.0, mu=0.4, n_particles=2, n_waves=1,
                       n_save=50, t_max=t_max)  # fmt: skip
    assert _analytic_run_length(params, settings) == (res.config.dt, res.config.t_max)


@pytest.mark.slow
def test_cli_build_and_rerun(tmp_path):
    out = tmp_path / "db.nc"
    cmd = [sys.executable, "-m", "crtransport", "build", "-o", str(out), "--n-samples", "4",
           "--n-particles", "64", "--n-waves", "16", "--t-max", "50", "--n-workers", "2",
           "--analytic-fraction", "0.25", "--no-progress"]  # fmt: skip
    first = subprocess.run(cmd, capture_output=True, text=True, check=False)
    assert first.returncode == 0, first.stderr
    assert "4 samples (1 analytic" in first.stdout
    verbose = [*cmd[:3], "-v", *cmd[3:]]
    again = subprocess.run(verbose, capture_output=True, text=True, check=False)
    assert again.returncode == 0, again.stderr
    assert "already holds this build; nothing to do" in again.stderr
    changed = subprocess.run(
        [*cmd[:-1], "--n-particles", "32", "--no-progress"], capture_output=True, text=True,
        check=False,
    )  # fmt: skip
    assert changed.returncode == 2
    assert "simulation.n_particles: 64 (before) != 32 (now)" in changed.stderr
