"""``crtransport coefficients``: the same numbers as the Python API, the table, the files, the
exports and the message policy (exit 2, the option named)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import xarray as xr

import crtransport as crt
from crtransport import cli

ARGS = ["--B0", "5nT", "--lambda-perp", "0.01au", "--b", "1"]


def run(argv, capsys):
    try:
        rc = cli.main(["coefficients", *argv])
    except SystemExit as exc:
        rc = exc.code
    captured = capsys.readouterr()
    return rc, captured.out, captured.err


def test_json_matches_the_python_api(capsys):
    rc, out, err = run(["--rigidity", "1GV", "10GV", *ARGS, "--json"], capsys)
    assert rc == 0, err
    record = json.loads(out)
    ds = crt.diffusion_coefficients(
        "general", rigidity=[1, 10], rigidity_unit="GV", B0="5nT", lambda_perp="0.01au", b=1.0
    )

    def floats(values):  # null (no plateau: no coefficient) where the Dataset has NaN
        return np.array([np.nan if v is None else v for v in values])

    np.testing.assert_allclose(floats(record["D_par"]), ds["D_par"].values, rtol=1e-12)
    np.testing.assert_allclose(floats(record["D_perp"]), ds["D_perp"].values, rtol=1e-12)
    np.testing.assert_allclose(
        floats(record["mfp_par_au"]), ds["mean_free_path_par"].values / 1.495978707e11,
        rtol=1e-12,
    )  # fmt: skip
    assert record["unit"] == "m2/s" and record["attrs"]["species"] == "proton"


def test_table_grid_and_units(capsys):
    rc, out, _ = run(
        [
            "--energy",
            "1GeV/n",
            "4GeV/n",
            "--n-points",
            "3",
            "--species",
            "helium",
            *ARGS,
            "--unit",
            "cm2/s",
        ],
        capsys,
    )
    assert rc == 0
    lines = out.splitlines()
    assert lines[0].startswith("# helium, B0 = 5nT") and "D in cm2/s" in lines[1]
    rows = [line.split() for line in lines[3:]]
    assert len(rows) == 3
    T = np.array([float(r[1]) for r in rows])  # total kinetic energy, GeV: 4 nucleons
    np.testing.assert_allclose(T, [4.0, 8.0, 16.0], rtol=1e-4)


def test_writes_tables_and_exports(tmp_path, capsys):
    rc, out, _ = run(
        ["--rigidity", "1GV", "3GV", "10GV", *ARGS, "-o", str(tmp_path / "t.nc")], capsys
    )
    assert rc == 0 and "written" in out
    with xr.open_dataset(tmp_path / "t.nc") as ds:
        assert ds.sizes["rigidity"] == 3 and ds["D_par"].attrs["units"] == "m2/s"
    rc, out, _ = run(
        ["--rigidity", "1GV", "100GV", "--n-points", "6", *ARGS, "--export", "galprop"], capsys
    )
    assert rc == 0 and "D_g_1" in out and "D0_xx" in out
    rc, _, _ = run(
        [
            "--rigidity",
            "1GV",
            "100GV",
            "--n-points",
            "4",
            *ARGS,
            "--export",
            "dragon2",
            "-o",
            str(tmp_path / "d.xml"),
        ],
        capsys,
    )
    assert rc == 0 and "<AnisotropicDiffusion>" not in (tmp_path / "d.xml").read_text()
    argv = ["--rigidity", "1GV", "100GV", "--n-points", "4", *ARGS, "--export", "dragon2"]
    rc, out, _ = run([*argv, "--anisotropic"], capsys)
    assert rc == 0 and "<AnisotropicDiffusion>" in out and "3D grids only" in out
    argv = ["--rigidity", "1GV", "100GV", "--n-points", "4", *ARGS, "--export", "crpropa"]
    rc, text, _ = run(argv, capsys)
    rc_json, out, _ = run([*argv, "--json"], capsys)
    assert rc == rc_json == 0
    record, namespace = json.loads(out), {}
    exec(text, namespace)  # the snippet: comments and three assignments
    assert [record[k] for k in ("scale", "alpha", "epsilon")] == [
        namespace[k] for k in ("scale", "alpha", "epsilon")
    ]
    # fitted over the rigidities where both directions are diffusive (the model's flags)
    grid = crt.diffusion_coefficients(
        "general", rigidity=np.geomspace(1, 100, 4), rigidity_unit="GV", B0="5nT",
        lambda_perp="0.01au", b=1.0,
    )  # fmt: skip
    both = grid["is_diffusive_par"].values & grid["is_diffusive_perp"].values
    assert record["fit_par"]["n_points"] == both.sum() >= 2


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--rigidity", "1GV", "--B0", "-5nT", "--lambda-perp", "0.01au", "--b", "0.5"],
         "--B0: '-5nT' is not positive"),
        (["--rigidity", "1", *ARGS], "--rigidity: '1' has no unit"),
        (["--rigidity", "1GV", *ARGS, "--species", "kryptonite"], "--species: 'kryptonite'"),
        (["--rigidity", "1GV", "1000GV", *ARGS],
         "domain is rigidity in [0.1121, 112.1] GV. (--on-extrapolate warn or ignore"),
        (["--rigidity", "1GV", *ARGS, "-o", "out.txt"], "-o/--output: out.txt must end in .nc"),
        (["--rigidity", "1GV", "2GV", "3GV", "--n-points", "4", *ARGS],
         "--n-points: needs exactly two values"),
        (["--rigidity", "1GV", "2GV", *ARGS, "--export", "galprop", "--anisotropic"],
         "--anisotropic goes with --export dragon2; got --export galprop"),
    ],
)  # fmt: skip
def test_usage_errors_exit_2_and_name_the_option(capsys, argv, message):
    rc, _, err = run(argv, capsys)
    assert rc == 2
    assert err.startswith("crtransport coefficients: error: ")
    assert message in err
    assert "Traceback" not in err


class _HalfDiffusive:
    """d = 1 everywhere; parallel transport flagged non-diffusive below R = 1."""

    domain = crt.coefficients.GENERAL_DOMAIN

    def predict_dimensionless(self, R, b, anisotropy, slab_fraction):
        R = np.broadcast_arrays(R, b, anisotropy, slab_fraction)[0].astype(float)
        one = np.ones_like(R)
        flags = {"is_diffusive_par": R >= 1.0, "is_diffusive_perp": np.ones(R.shape, bool)}
        return {"d_par": one, "d_par_std": 0.1 * one, "d_perp": one, "d_perp_std": 0.1 * one,
                **flags}  # fmt: skip


def test_json_has_null_where_no_coefficient_exists(capsys, monkeypatch):
    """Strict JSON (no NaN token): a coefficient that does not exist is null, its flag false."""
    from crtransport.coefficients import _model

    monkeypatch.setitem(_model._SOURCES, "general", _HalfDiffusive)
    rc, out, err = run(["--rigidity", "1GV", "10GV", *ARGS, "--json"], capsys)  # R = 0.45, 4.5
    assert rc == 0, err
    record = json.loads(out, parse_constant=lambda c: pytest.fail(f"non-JSON constant {c}"))
    assert record["is_diffusive_par"] == [False, True]
    assert record["D_par"][0] is None and record["D_par"][1] > 0
    assert record["mfp_par_au"][0] is None and all(x > 0 for x in record["D_perp"])
    rc, out, err = run(["--rigidity", "1GV", "10GV", *ARGS], capsys)
    assert rc == 0, err
    first, second = out.strip().splitlines()[-2:]
    assert "nan" in first and "nondiff-par" in first and "nan" not in second
