"""Prediction: named inputs, broadcasting, xarray, paths that agree, the training domain."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import xarray as xr

from crtransport import AccuracyWarning
from crtransport.surrogate import Surrogate

# float32 network against the float64 small-batch path: agreement to float32 round-off
RTOL = 2e-5


def test_scalar_in_numpy_float64_out(fitted):
    value = fitted.predict(T=1.0, b=0.5, lambda_perp=5.0)
    assert isinstance(value, np.float64)
    assert np.isfinite(value)
    assert value >= 0  # z**2 output


def test_broadcast_shape_and_dtype(fitted):
    T = np.linspace(1.0, 9.0, 4)[:, None]
    lam = np.array([0.5, 5.0, 15.0])
    out = fitted.predict(T=T, b=0.5, lambda_perp=lam)
    assert out.shape == (4, 3)
    assert out.dtype == np.float64
    # each entry equals the single-point prediction
    for i in range(4):
        for j in range(3):
            one = fitted.predict(T=float(T[i, 0]), b=0.5, lambda_perp=float(lam[j]))
            np.testing.assert_allclose(out[i, j], one, rtol=RTOL)


def test_scalar_small_and_large_paths_agree(fitted, synth):
    rng = np.random.default_rng(0)
    X = rng.uniform(synth.LOW, synth.HIGH, size=(70_000, 3))  # > one 65536 chunk: two calls
    large = fitted.predict(T=X[:, 0], b=X[:, 1], lambda_perp=X[:, 2])
    small = fitted.predict(T=X[:50, 0], b=X[:50, 1], lambda_perp=X[:50, 2])
    medium = fitted.predict(T=X[:200, 0], b=X[:200, 1], lambda_perp=X[:200, 2])  # on the host
    jax_medium = fitted.predict(X[:20_000])  # through JAX, in one chunk
    scalar = [fitted.predict(T=t, b=b, lambda_perp=lam) for t, b, lam in X[:5]]
    # float32 against float64: round-off of a few 1e-6 of the output scale (the documented
    # precision), relative where the prediction is not small
    atol = 1e-5 * float(fitted.state.output_scale[0])
    np.testing.assert_allclose(small, large[:50], rtol=RTOL, atol=atol)
    np.testing.assert_allclose(medium, large[:200], rtol=RTOL, atol=atol)
    np.testing.assert_allclose(scalar, small[:5], rtol=1e-12)
    np.testing.assert_allclose(medium[:50], small, rtol=1e-13)  # the same host computation
    np.testing.assert_array_equal(jax_medium, large[:20_000])  # the same float32 computation
    # the array form and the named form are the same computation
    np.testing.assert_array_equal(fitted.predict(X), large)


def test_dataset_in_dataarray_out(fitted, synth):
    ds = synth.dataset(30, seed=4)
    out = fitted.predict(ds)
    assert isinstance(out, xr.DataArray)
    assert out.name == "D_perp"
    assert out.dims == ("sample",)
    assert out.attrs["units"] == fitted.state.target_units
    np.testing.assert_array_equal(out["sample"].values, ds["sample"].values)
    expected = fitted.predict(
        T=ds["T"].values, b=ds["b"].values, lambda_perp=ds["lambda_perp"].values
    )
    np.testing.assert_array_equal(out.values, expected)


def test_dataarray_inputs_broadcast_to_a_grid(fitted):
    T = xr.DataArray(np.linspace(1, 9, 5), dims="T")
    lam = xr.DataArray(np.geomspace(0.3, 19, 4), dims="lambda_perp")
    out = fitted.predict(T=T, b=0.6, lambda_perp=lam)
    assert out.dims == ("T", "lambda_perp")
    assert out.shape == (5, 4)
    np.testing.assert_allclose(
        out.isel(T=2).values,
        fitted.predict(T=float(T[2]), b=0.6, lambda_perp=lam.values),
        rtol=RTOL,
    )


def test_ensemble_mean_and_spread(ensemble, synth):
    rng = np.random.default_rng(1)
    X = rng.uniform(synth.LOW, synth.HIGH, size=(100, 3))
    mean, std = ensemble.predict(X, return_std=True)
    assert mean.shape == std.shape == (100,)
    assert np.all(std > 0)
    grid_mean, grid_std = ensemble.predict(
        T=np.ones((2, 3)), b=0.5, lambda_perp=5.0, return_std=True
    )
    assert grid_mean.shape == grid_std.shape == (2, 3)
    # the members are the three networks: mean and sample std over them
    members = [Surrogate.from_state(_member(ensemble.state, m)).predict(X) for m in range(3)]
    np.testing.assert_allclose(mean, np.mean(members, axis=0), rtol=RTOL)
    np.testing.assert_allclose(
        std, np.std(members, axis=0, ddof=1), rtol=1e-3, atol=RTOL * np.max(mean)
    )
    big = rng.uniform(synth.LOW, synth.HIGH, size=(5000, 3))
    big_mean, big_std = ensemble.predict(big, return_std=True)
    small_mean, small_std = ensemble.predict(big[:20], return_std=True)
    np.testing.assert_allclose(big_mean[:20], small_mean, rtol=RTOL)
    np.testing.assert_allclose(big_std[:20], small_std, rtol=1e-3, atol=RTOL * np.max(big_mean))


def _member(state, m):
    import dataclasses

    config = dataclasses.replace(state.config, n_models=1)
    history = dataclasses.replace(
        state.history,
        train_loss=state.history.train_loss[m : m + 1],
        test_loss=None,
        best_epoch=state.history.best_epoch[m : m + 1],
    )
    return dataclasses.replace(
        state,
        config=config,
        weights=tuple(w[m : m + 1] for w in state.weights),
        biases=tuple(b[m : m + 1] for b in state.biases),
        history=history,
    )


def test_return_std_needs_an_ensemble(fitted):
    with pytest.raises(ValueError, match=r"`return_std` needs an ensemble \(n_models >= 2\)"):
        fitted.predict(T=1.0, b=0.5, lambda_perp=5.0, return_std=True)


@pytest.mark.parametrize("n", [1, 10, 1000])
def test_outside_the_domain_warns_raises_or_is_ignored(fitted, n):
    T = np.full(n, 5.0)
    T[0] = 12.0  # the training domain is T in [0.5, 10]
    T = T[0] if n == 1 else T
    where = "the input point lies" if n == 1 else rf"1 of {n} input points lie"
    with pytest.warns(AccuracyWarning, match=rf"{where} outside the training"):
        fitted.predict(T=T, b=0.5, lambda_perp=5.0)
    with pytest.raises(ValueError, match=r"\(T = 12 is outside the trained range \[0.5, 10\]\)"):
        fitted.predict(T=T, b=0.5, lambda_perp=5.0, on_extrapolate="raise")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fitted.predict(T=T, b=0.5, lambda_perp=5.0, on_extrapolate="ignore")


def test_nan_input_is_an_error_naming_the_input(fitted):
    # issue 19.4: NaN used to give a NaN prediction with only an extrapolation warning (none
    # at all under on_extrapolate='ignore'); None a NaN too
    for policy in ("warn", "ignore", "raise"):
        with pytest.raises(ValueError, match=r"`T` must not be NaN; got NaN at 1 of 2 points"):
            fitted.predict(T=np.array([np.nan, 1.0]), b=0.5, lambda_perp=5.0, on_extrapolate=policy)
        with pytest.raises(ValueError, match=r"`b` must not be NaN"):
            fitted.predict(T=1.0, b=float("nan"), lambda_perp=5.0, on_extrapolate=policy)
        with pytest.raises(TypeError, match=r"`T` must be real numbers; got NoneType"):
            fitted.predict(T=None, b=0.5, lambda_perp=5.0, on_extrapolate=policy)


def test_estimator_default_policy(synth):
    X, y = synth.arrays(50, seed=3)
    sur = Surrogate(hidden_widths=(2,), on_extrapolate="raise").fit(X, y, epochs=1)
    with pytest.raises(ValueError, match="outside the training domain"):
        sur.predict(T=100.0, b=0.5, lambda_perp=5.0)
    assert np.isfinite(sur.predict(T=100.0, b=0.5, lambda_perp=5.0, on_extrapolate="ignore"))


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"T": 1.0, "b": 0.5}, ValueError, r"input `lambda_perp` is missing; this model's inputs"),
        (
            {"T": 1.0, "b": 0.5, "lam": 5.0},
            ValueError,
            r"unknown input `lam`; this model's inputs are T, b, lambda_perp",
        ),
        (
            {"T": 1.0, "b": 0.5, "lambda_perp": 5.0, "mu": 0.5},
            ValueError,
            r"unknown input `mu`",
        ),
        ({"T": "hot", "b": 0.5, "lambda_perp": 5.0}, TypeError, r"`T` must be real numbers"),
        (
            {"T": np.ones(3), "b": np.ones(4), "lambda_perp": 5.0},
            ValueError,
            r"the inputs must broadcast together; got T: \(3,\), b: \(4,\)",
        ),
        (
            {"T": 1.0, "b": 0.5, "lambda_perp": 5.0, "on_extrapolate": "clip"},
            ValueError,
            r"`on_extrapolate` must be one of 'warn', 'raise', 'ignore'; got 'clip'",
        ),
    ],
)
def test_bad_named_inputs(fitted, kwargs, error, match):
    with pytest.raises(error, match=match):
        fitted.predict(**kwargs)


def test_bad_positional_inputs(fitted, synth):
    with pytest.raises(ValueError, match=r"`data` must have shape \(n_samples, 3\)"):
        fitted.predict(np.ones((4, 2)))
    with pytest.raises(TypeError, match="give either `data` or named inputs, not both"):
        fitted.predict(np.ones((4, 3)), T=1.0)
    ds = synth.dataset(5, seed=0).drop_vars("b")
    with pytest.raises(ValueError, match="`data` has no variable 'b'"):
        fitted.predict(ds)


def test_unfitted_estimator_says_so():
    sur = Surrogate()
    assert not sur.is_fitted
    with pytest.raises(RuntimeError, match=r"not fitted: call fit\(\)"):
        sur.predict(T=1.0, b=0.5, lambda_perp=5.0)
    with pytest.raises(RuntimeError, match="not fitted"):
        sur.save("never.npz")
    assert "not fitted" in repr(sur)


def test_empty_input_gives_empty_output(fitted):
    out = fitted.predict(T=np.array([]), b=0.5, lambda_perp=5.0)
    assert out.shape == (0,)
    assert out.dtype == np.float64


def test_evaluate_reports_the_papers_metric(fitted, synth):
    X, y = synth.arrays(40, seed=20)
    y[:3] = 0.0  # exact zeros are excluded from relative metrics
    ev = fitted.evaluate(X, y)
    z = fitted.predict(X)
    rel = z[3:] / y[3:] - 1
    assert ev.n_excluded == 3
    np.testing.assert_allclose(ev.rms_relative_error, np.sqrt(np.mean(rel**2)))
    np.testing.assert_allclose(ev.mean_relative_error, np.mean(rel))
    np.testing.assert_allclose(ev.rms_error, np.sqrt(np.mean((z - y) ** 2)))
    np.testing.assert_array_equal(ev.prediction, z)
    assert ev.std is None
    assert ev.n_outside_domain == 0
    assert "rms_relative_error" in repr(ev)
    assert ev.label_noise is None and ev.rms_relative_error_denoised is None


def test_evaluate_subtracts_calibrated_label_noise(fitted, synth):
    # true values 3 % (RMS) off the model, targets with a further calibrated 4 % noise: the
    # denoised RMS recovers the error against the true values within the sampling error
    n, noise = 20_000, 0.04
    data = synth.dataset(n, seed=21)
    rng = np.random.default_rng(22)
    z = fitted.predict(np.stack([data[k].values for k in ("T", "b", "lambda_perp")], axis=1))
    truth = z / (1 + 0.03 * rng.standard_normal(n))
    data["D_perp"].values[:] = truth * (1 + noise * rng.standard_normal(n))
    data["D_perp_err"] = ("sample", noise * truth)
    ev = fitted.evaluate(data)
    exact = fitted.evaluate(data.drop_vars("D_perp_err").assign(D_perp=("sample", truth)))
    np.testing.assert_allclose(ev.label_noise, noise, rtol=0.01)  # sigma / Y with Y noisy
    np.testing.assert_allclose(exact.rms_relative_error, 0.03, rtol=0.03)
    assert ev.rms_relative_error > 0.048
    assert abs(ev.rms_relative_error_denoised - exact.rms_relative_error) < 0.002
    assert "label_noise=0.04" in repr(ev)
    data["D_perp_err"].values[0] = np.nan
    with pytest.raises(ValueError, match="`D_perp_err` must hold finite standard errors"):
        fitted.evaluate(data)
