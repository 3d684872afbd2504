"""``crtransport.datasets``: the reference databases shipped inside the package."""

from __future__ import annotations

import json
import pathlib
import subprocess
import sys

import numpy as np
import pytest

import crtransport
from crtransport import datasets

PACKAGE_DATA = pathlib.Path(crtransport.__file__).resolve().parent / "data"


def test_reachable_lazily_from_the_top_level():
    assert crtransport.datasets is datasets
    assert "datasets" in crtransport.__all__
    code = "import sys, crtransport; print('crtransport.datasets' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False"]


def test_paper_is_looked_up_in_the_package_data():
    resource = datasets._resource(datasets.PAPER_FILE)
    assert pathlib.Path(str(resource)).resolve() == PACKAGE_DATA / "paper.nc"


def test_paper_returns_the_path_when_the_file_is_there(monkeypatch, tmp_path):
    path = tmp_path / "paper.nc"
    path.write_bytes(b"")
    monkeypatch.setattr(datasets, "_resource", lambda name: tmp_path / name)
    assert datasets.paper() == path
    assert isinstance(datasets.paper(), pathlib.Path)


def test_paper_missing_says_what_and_how_to_build(monkeypatch, tmp_path):
    monkeypatch.setattr(datasets, "_resource", lambda name: tmp_path / name)
    with pytest.raises(FileNotFoundError, match=r"no database crtransport/data/paper\.nc") as info:
        datasets.paper()
    assert "python scripts/build_paper_database.py" in str(info.value)


def test_the_shipped_paper_database_has_the_documented_layout():
    ds = crtransport.open_dataset(crtransport.datasets.paper())
    n, n_analytic = 5000, 250
    # while the reference build runs, the shipped file holds its finished samples and the
    # planned share (5 %) of the analytic rows
    complete = int(ds.attrs.get("build_complete", 1)) == 1
    assert ds.attrs.get("n_samples_planned", n) == n
    assert ds.attrs["n_samples"] == ds.sizes["sample"]
    index = ds["sample"].values
    analytic = ds["is_analytic"].values.astype(bool)
    np.testing.assert_array_equal(analytic, index >= n - n_analytic)  # the last 250 rows
    n_done = int((~analytic).sum())
    if complete:
        assert ds.sizes["sample"] == n and n_done == n - n_analytic
    else:
        assert 0 < n_done < n - n_analytic
        assert analytic.sum() == round(n_analytic * n_done / (n - n_analytic))
        np.testing.assert_array_equal(index[analytic], np.arange(analytic.sum()) + n - n_analytic)
    simulated = ~analytic
    T, b, mu = ds["T"].values, ds["b"].values, ds["mu"].values
    lambda_perp, lambda_par = ds["lambda_perp"].values, ds["lambda_par"].values
    assert np.all(mu == 0.5)
    np.testing.assert_allclose(lambda_par, 10.0 * lambda_perp, rtol=1e-12)
    assert np.all((T > 0) & (T < 10))
    assert np.all((lambda_perp > 0.2) & (lambda_perp < 20))
    assert np.all((b[simulated] > 0) & (b[simulated] < 1))
    assert np.all(b[analytic] == 0)
    D_perp = ds["D_perp"].values
    assert np.all(D_perp[simulated] > 0)
    assert np.all(D_perp[analytic] == 0)
    settings = json.loads(ds.attrs["simulation"])
    assert (settings["n_particles"], settings["n_waves"]) == (10_000, 500)
    assert settings.get("dt") is None and settings.get("t_max") is None  # engine defaults


def test_general_database_missing_says_how_to_build_it(tmp_path, monkeypatch):
    monkeypatch.setattr(datasets, "_resource", lambda name: tmp_path / name)
    with pytest.raises(FileNotFoundError, match=r"scripts/build_general_database\.py"):
        datasets.general()
    path = tmp_path / datasets.GENERAL_FILE
    path.write_bytes(b"")
    assert datasets.general() == path


def test_general_model_not_shipped_says_why(tmp_path, monkeypatch):
    from crtransport.coefficients import get_model

    monkeypatch.setattr(datasets, "_resource", lambda name: tmp_path / name)
    for call in (lambda: crtransport.Surrogate.pretrained("general"),
                 lambda: get_model("general")):  # fmt: skip
        with pytest.raises(FileNotFoundError, match="trained on the general database once"):
            call()
