"""split: reproducible, disjoint, analytic rows kept for training."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from crtransport.dataset import split
from crtransport.dataset._testing import assert_same_database

from .test_builder import build


@pytest.fixture(scope="module")
def ds():
    return build(None, n_samples=40, analytic_fraction=0.1)


def test_split_partitions_and_is_reproducible(ds):
    train, test = split(ds, test_fraction=0.1, seed=3)
    assert test.sizes["sample"] == 4  # round(0.1 * 36 simulated rows)
    assert train.sizes["sample"] == 36
    together = np.sort(np.concatenate([train["sample"].values, test["sample"].values]))
    np.testing.assert_array_equal(together, np.arange(40))
    again_train, again_test = split(ds, test_fraction=0.1, seed=3)
    assert_same_database(test, again_test)
    assert_same_database(train, again_train)
    _, other = split(ds, test_fraction=0.1, seed=4)
    assert not np.array_equal(other["sample"], test["sample"])


def test_analytic_rows_stay_in_train(ds):
    train, test = split(ds, test_fraction=0.5, seed=0)
    assert not test["is_analytic"].any()
    assert int(train["is_analytic"].sum()) == 4
    assert np.all(np.diff(train["sample"].values) > 0)


def test_split_without_flags_and_tiny_sets():
    plain = xr.Dataset({"y": ("sample", np.arange(3.0))}, coords={"sample": np.arange(3)})
    train, test = split(plain, test_fraction=0.9, seed=0)
    assert (train.sizes["sample"], test.sizes["sample"]) == (1, 2)
    with pytest.raises(ValueError, match="number of simulated rows"):
        split(plain.isel(sample=[0]))


@pytest.mark.parametrize("bad", [0.0, 1.0, -0.1, 2.0])
def test_bad_fraction(ds, bad):
    with pytest.raises(ValueError, match=r"`test_fraction` must be in \(0, 1\)"):
        split(ds, test_fraction=bad)


def test_needs_sample_dim():
    with pytest.raises(ValueError, match="must have a `sample` dimension"):
        split(xr.Dataset({"y": ("row", np.arange(3.0))}))
