"""open_dataset: round trip, and clear errors for foreign, damaged and future files."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from crtransport.dataset import InvalidDatasetError, open_dataset
from crtransport.dataset._io import validate, write_dataset
from crtransport.dataset._schema import SCHEMA_VERSION
from crtransport.dataset._testing import assert_same_database

from .test_builder import build


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    path = tmp_path_factory.mktemp("db") / "db.nc"
    build(path, n_samples=6, running_times=[1.0, 2.0], analytic_fraction=0.2)
    return path


def test_round_trip_is_exact(db, tmp_path):
    ds = open_dataset(db)
    again = tmp_path / "again.nc"
    write_dataset(ds, again)
    assert_same_database(open_dataset(again), ds)
    assert ds["is_analytic"].dtype == bool
    assert ds["sample"].dtype == np.int64


def test_open_accepts_str(db):
    assert open_dataset(str(db)).sizes["sample"] == 6


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such database file"):
        open_dataset(tmp_path / "nope.nc")


def test_directory(tmp_path):
    with pytest.raises(InvalidDatasetError, match="is a directory"):
        open_dataset(tmp_path)


def test_text_file(tmp_path):
    path = tmp_path / "notes.nc"
    path.write_text("hello\n")
    with pytest.raises(InvalidDatasetError, match="cannot be read as netCDF4"):
        open_dataset(path)


def test_foreign_netcdf(tmp_path):
    path = tmp_path / "foreign.nc"
    xr.Dataset({"x": ("t", np.arange(3.0))}, attrs={"title": "weather"}).to_netcdf(
        path, engine="netcdf4"
    )
    with pytest.raises(InvalidDatasetError, match=r"no `schema_version` attribute .*'title'"):
        open_dataset(path)


def test_future_schema(db, tmp_path):
    ds = open_dataset(db)
    ds.attrs["schema_version"] = SCHEMA_VERSION + 1
    ds.attrs["crtransport_version"] = "9.0"
    path = tmp_path / "future.nc"
    ds.to_netcdf(path, engine="netcdf4")
    with pytest.raises(
        InvalidDatasetError,
        match=rf"schema version {SCHEMA_VERSION + 1} \(written by crtransport 9.0\); this "
        rf"crtransport .* reads schema versions up to {SCHEMA_VERSION}. Upgrade",
    ):
        open_dataset(path)


@pytest.mark.parametrize(
    ("damage", "match"),
    [
        (lambda ds: ds.drop_vars("D_perp"), "missing variables D_perp"),
        (lambda ds: ds.drop_vars(["D_perp_running"]), "incomplete running coefficients"),
        (lambda ds: ds.assign(D_par=ds["D_par"].assign_attrs(units="m2/s")),
         r"`D_par` has units 'm2/s', expected 'rho0\^2 omega_c'"),
        (lambda ds: ds.assign(D_perp=ds["D_perp"].astype("int64").assign_attrs(
            ds["D_perp"].attrs)), "`D_perp` has dtype int64"),
        (lambda ds: ds.assign_coords(T=ds["T"].where(ds["sample"] != 1)),
         "`T` is not finite at 1 samples"),
        (lambda ds: ds.assign_attrs(schema_version="one"), "non-integer `schema_version`"),
        (lambda ds: ds.assign_attrs(schema_version=0), "invalid `schema_version` 0"),
    ],
)  # fmt: skip
def test_damaged(db, damage, match):
    ds = damage(open_dataset(db))
    with pytest.raises(InvalidDatasetError, match=match):
        validate(ds, source="db.nc")


def test_error_is_a_value_error():
    assert issubclass(InvalidDatasetError, ValueError)
