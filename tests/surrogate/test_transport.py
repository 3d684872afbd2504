"""TransportSurrogate on a synthetic database of known coefficients (a closed form with
label noise and a region where D_par has no plateau)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import xarray as xr

from crtransport import units


def closed_form(R, b, A, f):
    return 0.05 * b**1.5 * R**0.3 * (1 + f), R ** (1 / 3) * A**0.5 / b**2


def synthetic(n, noise, split, rng):
    R = np.exp(rng.uniform(np.log(0.005), np.log(50), n))
    b = np.exp(rng.uniform(np.log(0.05), np.log(2), n))
    A = np.exp(rng.uniform(0, np.log(100), n))
    f = rng.uniform(0, 0.5, n)
    lam = np.full(n, 2.0)  # lambda_perp != 1: the factor v lambda_perp must be applied
    T = units.T_from_u(R * lam)
    v = units.speed_from_T(T)
    d_perp, d_par = closed_form(R, b, A, f)
    D_perp = v * lam * d_perp * (1 + noise * rng.standard_normal(n))
    D_par = v * lam * d_par * (1 + noise * rng.standard_normal(n))
    return {
        "T": T, "lambda_perp": lam, "lambda_par": A * lam, "b": b, "slab_fraction": f,
        "D_perp": D_perp, "D_perp_err": noise * D_perp, "D_par": D_par,
        "D_par_err": noise * D_par, "is_converged_perp": np.ones(n, bool),
        "is_converged_par": d_par < 50, "split": np.full(n, split),
    }  # fmt: skip


@pytest.fixture(scope="module")
def fitted():
    from crtransport.surrogate._transport import TransportFitSettings, TransportSurrogate

    rng = np.random.default_rng(0)
    train, test = synthetic(1200, 0.08, 0, rng), synthetic(300, 0.04, 1, rng)
    ds = xr.Dataset({k: ("sample", np.concatenate([train[k], test[k]])) for k in train})
    # an active-learning build's rounds: 600 start rows, 600 acquired, the test round
    ds["design_round"] = ("sample", np.repeat([0, 2, 1], [600, 600, 300]))
    ds.attrs["parameter_space"] = json.dumps(
        {"R": {"kind": "free", "low": 0.005, "high": 50.0, "log": True}}
    )
    model = TransportSurrogate.fit(ds, settings=TransportFitSettings(n_epochs=2500))
    return model, ds


@pytest.mark.slow
def test_accuracy_calibration_and_flags_on_held_out_rows(fitted):
    model, ds = fitted
    rep = model.evaluate(ds)
    assert rep["n_rows"] == 300
    for name, target in (("D_perp", 0.03), ("D_par", 0.04)):
        r = rep[name]
        # the label noise (8 % on 1200 rows) averages out: intrinsic error well below it
        assert r["rms_intrinsic_error"] < target, r
        assert r["rms_label_noise"] == pytest.approx(0.04, rel=0.01)
        assert 0.6 < r["coverage_68"] < 0.85 and 0.9 < r["coverage_95"] <= 1.0, r
    # the plateau flag of D_par follows the region d_par < 50
    assert rep["D_par"]["flag_accuracy"] > 0.93
    # 5-fold cross-validation on the training rows: every converged row predicted once, its
    # label noise the training rows' 8 %, and the calibration factor inside its own interval
    cv = model.metadata["cross_validation"]
    assert cv["perp"]["n_rows"] == 1200
    for d in ("perp", "par"):
        assert cv[d]["rms_label_noise"] == pytest.approx(0.08, rel=0.01)
        lo, hi = cv[d]["calibration_ci68"]
        assert 1.0 <= lo <= model.calibration[d] <= hi
        assert cv[d]["rms_intrinsic_error"] < 0.05
        # the factor from the start rows alone (here drawn like the others: close to it)
        assert cv[d]["calibration_start_rows"] >= 1.0
        assert cv[d]["calibration_start_rows"] == pytest.approx(model.calibration[d], rel=0.5)
    assert cv["perp"]["n_start_rows"] == 600


@pytest.mark.slow
def test_prediction_is_in_similarity_units_and_round_trips(fitted, tmp_path):
    from crtransport.surrogate._transport import TransportSurrogate

    model, _ = fitted
    pred = model.predict(0.3, 0.5, 10.0, 0.2)
    d_perp, d_par = closed_form(0.3, 0.5, 10.0, 0.2)
    assert pred["d_perp"] == pytest.approx(d_perp, rel=0.05)
    assert pred["d_par"] == pytest.approx(d_par, rel=0.08)
    assert pred["is_diffusive_par"] and 0 < pred["ln_d_perp_std"] < 0.1
    # where d_par > 50 (no plateau in the data) the model says so
    assert not model.predict(20.0, 0.06, 50.0, 0.2)["is_diffusive_par"]
    path = model.save(tmp_path / "general.zip")
    again = TransportSurrogate.load(path)
    for key, value in pred.items():
        np.testing.assert_array_equal(again.predict(0.3, 0.5, 10.0, 0.2)[key], value)
    with pytest.raises(ValueError, match=r"R = 100 is outside the trained range \[0.005, 50\]"):
        model.predict(100.0, 0.5, 10.0, 0.2)
    (tmp_path / "bad.zip").write_bytes(b"not a zip")
    with pytest.raises(ValueError, match="not a crtransport transport-surrogate file"):
        TransportSurrogate.load(tmp_path / "bad.zip")


def random_transport(seed=0, n_models=5, widths=(64, 64)):
    from crtransport.surrogate._standin import random_transport_surrogate

    return random_transport_surrogate(hidden_widths=widths, n_models=n_models, seed=seed)


def test_stacked_pass_equals_each_parts_own_path():
    from crtransport.surrogate._transport import _PARTS

    model = random_transport()
    rng = np.random.default_rng(1)
    n = 40
    x = {"R": np.exp(rng.uniform(np.log(0.05), np.log(50), n)), "b": rng.uniform(0.05, 2, n),
         "anisotropy": rng.uniform(1, 100, n), "slab_fraction": rng.uniform(0, 0.5, n)}  # fmt: skip
    pred = model.predict(*x.values())
    own = {p: model._models[p].predict(**x, return_std=True) for p in _PARTS}  # float64 host
    for d, c in (("perp", 1.3), ("par", 0.8)):
        mean, std = own[f"ln_d_{d}"]
        np.testing.assert_allclose(pred[f"d_{d}"], np.exp(mean), rtol=1e-12)
        np.testing.assert_allclose(pred[f"ln_d_{d}_std"], c * std, rtol=1e-10)
        np.testing.assert_allclose(pred[f"d_{d}_std"], np.exp(mean) * c * std, rtol=1e-10)
        p = np.clip(own[f"diffusive_{d}"][0], 0, 1)
        np.testing.assert_allclose(pred[f"p_diffusive_{d}"], p, rtol=1e-12, atol=1e-15)
        np.testing.assert_array_equal(pred[f"is_diffusive_{d}"], p >= 0.5)
    # return_std=False leaves the four uncertainties out and nothing else changes
    bare = model.predict(*x.values(), return_std=False)
    assert set(pred) - set(bare) == {"ln_d_perp_std", "d_perp_std", "ln_d_par_std", "d_par_std"}
    for key, value in bare.items():
        np.testing.assert_array_equal(value, pred[key])
    # a scalar query gives 0-d arrays equal to the batch's first entry
    one = model.predict(*(v[0] for v in x.values()))
    assert set(model.predict(*(v[0] for v in x.values()), return_std=False)) == set(bare)
    assert one["d_perp"].shape == () and one["d_perp"] == pytest.approx(pred["d_perp"][0], 1e-13)
    # shapes broadcast; the policy names the input, the value and the range
    grid = model.predict(x["R"][:5, None], 0.5, np.array([2.0, 3.0, 4.0]), 0.1)
    assert grid["d_par"].shape == (5, 3) and grid["is_diffusive_perp"].shape == (5, 3)
    with pytest.raises(ValueError, match=r"b = 3 is outside the trained range \[0.05, 2\]"):
        model.predict(1.0, 3.0, 10.0, 0.1)
    with pytest.warns(UserWarning, match=r"anisotropy = 0.5 is outside"):
        model.predict(1.0, 0.5, 0.5, 0.1, on_extrapolate="warn")


def test_large_batches_take_each_parts_path_with_the_same_numbers():
    from crtransport.surrogate._transport_fused import FUSED_MAX

    model = random_transport(seed=2, n_models=3, widths=(16, 16))
    rng = np.random.default_rng(3)
    n = FUSED_MAX + 500
    R, b = np.exp(rng.uniform(np.log(0.05), np.log(50), n)), rng.uniform(0.05, 2, n)
    big = model.predict(R, b, 10.0, 0.2)
    small = model.predict(R[:FUSED_MAX], b[:FUSED_MAX], 10.0, 0.2)
    # the large batch may run in float32 (JAX): agreement to float32 rounding
    for key in ("d_perp", "d_par", "d_perp_std", "p_diffusive_par"):
        np.testing.assert_allclose(big[key][:FUSED_MAX], small[key], rtol=2e-4, atol=1e-5)


def labels_off_by_exp_minus_tenth(model, n, rng):
    """Test rows (``split == 1``) uniform over the domain whose labels are the model's own
    ``d`` times exp(-0.1), with 5 % error bars, all converged: ``(model's prediction, data)``."""
    R = np.exp(rng.uniform(np.log(0.05), np.log(50), n))
    b, A, f = rng.uniform(0.05, 2, n), rng.uniform(1, 100, n), rng.uniform(0, 0.5, n)
    pred = model.predict(R, b, A, f)
    lam = np.full(n, 2.0)
    T = units.T_from_u(R * lam)
    v = units.speed_from_T(T)
    data = {"T": T, "lambda_perp": lam, "lambda_par": A * lam, "b": b, "slab_fraction": f,
            "split": np.ones(n, int)}  # fmt: skip
    for d in ("perp", "par"):
        D = v * lam * pred[f"d_{d}"] * np.exp(-0.1)
        data |= {f"D_{d}": D, f"D_{d}_err": 0.05 * D, f"is_converged_{d}": np.ones(n, bool)}
    return pred, data


def test_evaluate_reports_error_bias_noise_and_coverage_exactly():
    """Labels that are the model's own d times exp(-0.1), with 5 % error bars: every number
    of the report follows by hand."""
    model = random_transport(seed=4, n_models=3, widths=(8, 8))
    n = 200
    pred, data = labels_off_by_exp_minus_tenth(model, n, np.random.default_rng(5))
    data["is_converged_par"][:50] = False  # left out of D_par's numbers
    ds = xr.Dataset({k: ("sample", v) for k, v in data.items()})
    rep = model.evaluate(ds)
    assert rep["n_rows"] == n
    for d, rows in (("D_perp", n), ("D_par", n - 50)):
        r = rep[d]
        assert r["n_rows"] == rows
        assert r["mean_relative_error"] == pytest.approx(0.1, abs=1e-12)
        assert r["rms_relative_error"] == pytest.approx(0.1, abs=1e-12)
        assert r["rms_label_noise"] == pytest.approx(0.05, rel=1e-9)
        assert r["rms_intrinsic_error"] == pytest.approx(np.sqrt(0.1**2 - 0.05**2), rel=1e-9)
        # z = 0.1 / sqrt(s^2 + 0.05^2): inside the 68 % interval exactly where s > 0.0862
        s = pred[f"ln_d_{d.split('_')[1]}_std"][-rows:]
        inside = 0.1 / np.sqrt(s**2 + 0.05**2) <= 0.9944578832097535
        assert r["coverage_68"] == pytest.approx(inside.mean(), abs=1e-12)
        # by decade of R: [0.05, 0.1), [0.1, 1), [1, 10), [10, 50], every row in one of them
        assert [x["R"] for x in r["by_R"]] == [[0.05, 0.1], [0.1, 1.0], [1.0, 10.0], [10.0, 50.0]]
        assert sum(x["n_rows"] for x in r["by_R"]) == rows
        for x in r["by_R"]:
            assert x["rms_relative_error"] == pytest.approx(0.1, abs=1e-12)
    truth = data["is_converged_par"]
    assert rep["D_par"]["flag_accuracy"] == pytest.approx(
        np.mean(pred["is_diffusive_par"] == truth), abs=1e-12
    )
    for d, rows in (("perp", n), ("par", n - 50)):
        r = rep[f"D_{d}"]
        # every row has the same error: each resample too, so the interval is the point
        lo, hi = r["rms_intrinsic_error_ci95"]
        assert lo == pytest.approx(r["rms_intrinsic_error"], rel=1e-9) == hi
        lo, hi = r["coverage_68_ci95"]
        assert lo <= r["coverage_68"] <= hi
        # the rows a user is given a number for: the label converged and the model's flag
        given = pred[f"is_diffusive_{d}"][-rows:] if d == "par" else pred[f"is_diffusive_{d}"]
        assert r["given"]["n_rows"] == int(given.sum())
        if given.any():
            assert r["given"]["rms_relative_error"] == pytest.approx(0.1, abs=1e-12)


def test_rows_without_a_finite_error_bar_leave_calibration_and_evaluation_finite():
    """One NaN error bar made the calibration factor ~0 (zero reported uncertainty) and the
    report's label noise, intrinsic error and coverage NaN or low; such rows are left out."""
    from crtransport.surrogate._transport import _calibration_factor, _cross_validation

    rng = np.random.default_rng(6)
    n = 400
    s, e = np.full(n, 0.02), np.full(n, 0.04)
    r = 2.0 * s * rng.standard_normal(n) + e * rng.standard_normal(n)
    c = _calibration_factor(r, np.zeros(n), s, e)
    e_nan = e.copy()
    e_nan[0] = np.nan
    assert _calibration_factor(r[1:], np.zeros(n - 1), s[1:], e[1:]) == pytest.approx(
        _calibration_factor(r, np.zeros(n), s, e_nan), rel=1e-12
    )
    assert 1.0 < c < 3.0
    cv = _cross_validation(r, np.zeros(n), s, e_nan, key=0)
    assert cv["n_rows"] == n - 1 and cv["rms_label_noise"] == pytest.approx(0.04, rel=1e-12)
    assert np.isfinite(cv["intrinsic_mse"]) and cv["calibration_ci68"][0] >= 1.0
    model = random_transport(seed=4, n_models=3, widths=(8, 8))
    pred, data = labels_off_by_exp_minus_tenth(model, n, rng)
    data["D_perp_err"][:3] = np.nan
    rep = model.evaluate(xr.Dataset({k: ("sample", v) for k, v in data.items()}))
    r = rep["D_perp"]
    assert r["n_rows"] == n - 3
    assert r["rms_label_noise"] == pytest.approx(0.05, rel=1e-9)
    assert r["rms_intrinsic_error"] == pytest.approx(np.sqrt(0.1**2 - 0.05**2), rel=1e-9)
    s_perp = pred["ln_d_perp_std"][3:]
    inside = 0.1 / np.sqrt(s_perp**2 + 0.05**2) <= 0.9944578832097535
    assert r["coverage_68"] == pytest.approx(inside.mean(), abs=1e-12)


def test_calibration_factor_hits_both_coverages_and_is_never_below_one():
    """Gaussian residuals of known scale: ``c`` is the true factor (both coverages exact);
    heavy-tailed ones (Student t, 3 degrees of freedom): both coverages inside the issue's
    tolerances, 68 +- 5 % and 95 +- 3 %, where a factor making the RMS of z equal to 1 puts
    the 68 % coverage above 73 %; residuals the label noise explains: 1."""
    from scipy import stats

    from crtransport.surrogate._transport import _Z68, _Z95, _calibration_factor

    n = 2000
    s, e = np.full(n, 0.02), np.full(n, 0.04)
    q = stats.norm.ppf((np.arange(n) + 0.5) / n)  # an exactly Gaussian sample

    def coverage(r, c):
        width = np.sqrt((c * s) ** 2 + e**2)
        return np.mean(np.abs(r) <= _Z68 * width), np.mean(np.abs(r) <= _Z95 * width)

    for c_true in (1.5, 3.0):
        r = np.sqrt(c_true**2 * s**2 + e**2) * q
        assert _calibration_factor(r, np.zeros(n), s, e) == pytest.approx(c_true, rel=1e-4)
    r = 2.0 * s * stats.t.rvs(3, size=n, random_state=np.random.default_rng(0))
    r = r + e * np.random.default_rng(1).standard_normal(n)
    cov68, cov95 = coverage(r, _calibration_factor(r, np.zeros(n), s, e))
    assert abs(cov68 - 0.68) <= 0.05 and abs(cov95 - 0.95) <= 0.03
    c_rms = np.sqrt(max(np.mean(r**2) - np.mean(e**2), 0.0) / np.mean(s**2))
    assert coverage(r, c_rms)[0] > 0.73
    # at and below what c = 1 explains: 1
    assert _calibration_factor(0.5 * np.sqrt(s**2 + e**2) * q, np.zeros(n), s, e) == 1.0
    assert _calibration_factor(np.sqrt(s**2 + e**2) * q, np.zeros(n), s, e) == 1.0


def test_file_round_trip_reads_in_memory_and_names_a_damaged_part(tmp_path, monkeypatch):
    """A shipped model lives in the installed package, often read-only: loading it must write
    nothing (parts are read from the zip in memory). Any attempt to open a file for writing
    fails here, as on a read-only installation."""
    import builtins
    import io
    import os
    import zipfile

    from crtransport.surrogate._transport import TransportSurrogate

    model = random_transport(seed=3, n_models=2, widths=(8,))
    path = model.save(tmp_path / "model.zip")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.zip"]  # no temporaries left
    x = (np.array([0.1, 3.0]), 0.5, 10.0, 0.2)
    want = model.predict(*x)

    real_open, real_os_open = io.open, os.open

    def read_only(file, mode="r", *args, **kwargs):
        if any(c in mode for c in "wax+"):
            raise PermissionError(f"read-only installation: {file}")
        return real_open(file, mode, *args, **kwargs)

    def read_only_os(file, flags, *args, **kwargs):
        if flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT):
            raise PermissionError(f"read-only installation: {file}")
        return real_os_open(file, flags, *args, **kwargs)

    with monkeypatch.context() as m:
        m.setattr(io, "open", read_only)
        m.setattr(builtins, "open", read_only)
        m.setattr(os, "open", read_only_os)
        again = TransportSurrogate.load(path)
    for key, value in want.items():
        np.testing.assert_array_equal(again.predict(*x)[key], value)
    assert again.calibration == model.calibration and again.domain == model.domain
    # a part whose bytes are damaged is named in the error
    with zipfile.ZipFile(path) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    members["ln_d_par.npz"] = members["ln_d_par.npz"][:100]
    with zipfile.ZipFile(tmp_path / "damaged.zip", "w") as zf:
        for name, blob in members.items():
            zf.writestr(name, blob)
    with pytest.raises(ValueError, match=r"damaged\.zip: part 'ln_d_par' is damaged"):
        TransportSurrogate.load(tmp_path / "damaged.zip")
