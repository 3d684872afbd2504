"""Database files follow the CF conventions (issue 17): ``cfchecks`` passes on what the builder
writes, scaled units have a documented encoding, flags have ``flag_values``/``flag_meanings``,
``history`` grows on resume, and every older file still reads.

The checker itself (``pip install 'crtransport[cf]'``; it needs the UDUNITS-2 C library,
``apt-get install libudunits2-dev``) is optional: its test is skipped, saying which part is
missing, where it is not installed. ``nox -s cf`` installs the Python side. The standard-name,
area-type and region tables it would download are replaced by the minimal local tables in
``cf_tables/`` (README there).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import netCDF4
import numpy as np
import pytest
import xarray as xr

from crtransport.dataset import open_dataset
from crtransport.dataset._io import write_dataset
from crtransport.dataset._schema import (
    CF_CONVENTIONS,
    SCALED_UNITS_ATTR,
    STOP_RULES,
    UDUNITS_UNITS,
    VARIABLES,
)

from .test_builder import InterruptingExecutor, _Interrupt, build

TABLES = Path(__file__).resolve().parent / "cf_tables"
SCALED = {name for name, spec in VARIABLES.items() if spec.units not in UDUNITS_UNITS}


@pytest.fixture(scope="module")
def database(tmp_path_factory):
    """A built database plus the optional diagnostics (the fake engine reports none)."""
    folder = tmp_path_factory.mktemp("cf")
    ds = build(folder / "built.nc", n_samples=12, analytic_fraction=0.2, running_times=[2.0, 9.0])
    n = ds.sizes["sample"]
    extra = {
        "alpha_perp": np.ones(n),
        "alpha_perp_err": np.full(n, 0.01),
        "alpha_par": np.full(n, 1.2),
        "alpha_par_err": np.full(n, 0.02),
        "stop_rule": np.where(ds["is_analytic"].values, 3, 1).astype(np.int64),
        "n_steps": np.full(n, 100, dtype=np.int64),
    }
    for name, values in extra.items():
        ds[name] = ("sample", values, VARIABLES[name].attrs())
    path = folder / "db.nc"
    write_dataset(ds, path)
    return path


def test_scaled_units_are_stored_as_ratios_with_their_reference(database):
    assert {"T", "b", "lambda_perp", "D_perp", "dt", "time", "D_perp_running"} <= SCALED
    with netCDF4.Dataset(database) as nc:
        assert nc.getncattr("Conventions") == CF_CONVENTIONS == "CF-1.10"
        assert "Palade, Predicting the turbulent transport" in nc.getncattr("references")
        assert "build_dataset wrote 12 samples" in nc.getncattr("history")
        for name, var in nc.variables.items():
            spec = VARIABLES[name]
            if name in SCALED:
                assert var.getncattr("units") == "1", name
                assert var.getncattr(SCALED_UNITS_ATTR) == spec.units, name
            else:
                assert var.getncattr("units") in UDUNITS_UNITS, name
        for name in ("is_converged_perp", "is_converged_par", "is_analytic"):
            var = nc.variables[name]
            np.testing.assert_array_equal(var.getncattr("flag_values"), [0, 1])
            assert var.getncattr("flag_values").dtype == var.dtype
            assert len(var.getncattr("flag_meanings").split()) == 2
        stop = nc.variables["stop_rule"]
        np.testing.assert_array_equal(stop.getncattr("flag_values"), np.arange(len(STOP_RULES)))
        assert stop.getncattr("flag_meanings").split()[:3] == [
            "fixed_length", "plateau", "cap_without_plateau"
        ]  # fmt: skip
    ds = open_dataset(database)  # in memory: the scaled unit back in `units`
    for name in SCALED & set(ds.variables):
        assert ds[name].attrs["units"] == VARIABLES[name].units
        assert SCALED_UNITS_ATTR not in ds[name].attrs
    raw = xr.load_dataset(database)
    assert raw["T"].attrs["units"] == "1" and raw["T"].attrs[SCALED_UNITS_ATTR] == "m c^2"


def test_history_records_a_resumed_build(tmp_path):
    path = tmp_path / "db.nc"
    with InterruptingExecutor(stop_at=5) as ex, pytest.raises(_Interrupt):
        build(path, n_samples=8, executor=ex)
    ds = build(path, n_samples=8)
    lines = ds.attrs["history"].splitlines()
    assert len(lines) == 2
    assert "build resumed from the journal of an interrupted build, with " in lines[0]
    assert "of 8 simulated samples done before" in lines[0]
    assert "build_dataset wrote 8 samples" in lines[1]
    fresh = build(tmp_path / "fresh.nc", n_samples=8)
    assert len(fresh.attrs["history"].splitlines()) == 1


def test_shipped_version_1_database_still_opens():
    from crtransport import datasets

    ds = open_dataset(datasets.paper())
    assert int(ds.attrs["schema_version"]) == 1
    assert ds["T"].attrs["units"] == "m c^2"
    assert ds["D_perp"].attrs["units"] == "rho0^2 omega_c"


def _checker_missing() -> str | None:
    try:
        import cfchecker.cfchecks  # noqa: F401  (loads cfunits, which loads UDUNITS-2)
    except ImportError as exc:
        return f"cfchecker not installed ({exc}): pip install 'crtransport[cf]'"
    except (OSError, FileNotFoundError, AttributeError) as exc:
        return f"cfchecker cannot load UDUNITS-2 ({exc}): apt-get install libudunits2-dev"
    return None


def test_cfchecks_passes_on_a_built_database(database, tmp_path):
    missing = _checker_missing()
    if missing and os.environ.get("CRTRANSPORT_REQUIRE_CFCHECKS"):
        pytest.fail(missing)  # nox -s cf: the check must run
    if missing:
        pytest.skip(missing)
    # cfchecker 4.1.0, the newest on PyPI, knows CF up to 1.8 and rejects a "CF-1.10" label as
    # not CF at all: the copy it checks is labelled CF-1.8, the newest rules it has.
    checked = tmp_path / "checked.nc"
    shutil.copy(database, checked)
    with netCDF4.Dataset(checked, "a") as nc:
        nc.setncattr("Conventions", "CF-1.8")
    out = subprocess.run(
        [sys.executable, "-c", "import sys; from cfchecker.cfchecks import main; sys.exit(main())",
         "-s", str(TABLES / "cf-standard-name-table.xml"),
         "-a", str(TABLES / "area-type-table.xml"),
         "-r", str(TABLES / "standardized-region-list.xml"),
         "-v", "auto", str(checked)],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )  # fmt: skip
    report = out.stdout + out.stderr
    assert "Checking variable: stop_rule" in report, report
    assert "ERRORS detected: 0" in report, report
    assert "WARNINGS given: 0" in report, report
