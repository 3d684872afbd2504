"""Diffusion estimators on processes with known answers."""

from __future__ import annotations

import math

import numpy as np
import pytest

from crtransport.transport import asymptotic_diffusion, running_diffusion


def brownian(rng, n, n_t, dt, D):
    steps = rng.normal(scale=math.sqrt(2 * D * dt), size=(n, n_t, 3))
    return np.arange(1, n_t + 1) * dt, np.cumsum(steps, axis=1)


def test_running_coefficients_of_ballistic_motion_are_exact():
    t = np.linspace(0.5, 10, 40)
    v = np.array([[0.3, -0.2, 0.7], [-0.3, 0.2, -0.7]])
    disp = v[:, None, :] * t[None, :, None]
    ds = running_diffusion(t, disp)
    np.testing.assert_allclose(ds["D_zz"], 0.49 * t / 2, rtol=1e-14)
    np.testing.assert_allclose(ds["d_zz"], 0.49 * t, rtol=1e-12)
    np.testing.assert_allclose(ds["D_perp"], (0.09 + 0.04) * t / 4, rtol=1e-14)
    assert ds["D_perp"].attrs["units"] == "rho0^2 omega_c"
    assert ds["time"].attrs["units"] == "1/omega_c"


def test_brownian_estimate_within_its_error(rng):
    D = 0.37
    t, disp = brownian(rng, 3000, 300, 0.5, D)
    for direction in ("perp", "par", "xx"):
        est = asymptotic_diffusion(t, disp, direction=direction)
        assert abs(est.value - D) < 4 * est.error
        assert est.converged
        assert 0.005 < est.error / D < 0.1


def test_error_bar_is_calibrated(rng):
    """Over 40 independent ensembles the spread of estimates matches the quoted error (±30 %)."""
    D = 1.0
    values, errors = [], []
    for _ in range(40):
        t, disp = brownian(rng, 400, 60, 1.0, D)
        est = asymptotic_diffusion(t, disp, direction="par")
        values.append(est.value)
        errors.append(est.error)
    assert np.std(values, ddof=1) / np.mean(errors) == pytest.approx(1.0, abs=0.3)


def test_subdiffusion_is_flagged_not_converged(rng):
    # <x^2> ~ t^0.5 (e.g. compound subdiffusion): the running slope keeps falling
    t = np.linspace(1, 1e4, 400)
    amp = rng.normal(size=(20_000, 1, 3))
    disp = amp * t[None, :, None] ** 0.25
    est = asymptotic_diffusion(t, disp, direction="perp")
    assert not est.converged
    assert est.previous_value > est.value


def test_bad_inputs():
    t = np.arange(1.0, 11.0)
    with pytest.raises(
        ValueError, match=r"`displacement` must have shape \(n_particles, n_save, 3\)"
    ):
        running_diffusion(t, np.zeros((4, 9, 3)))
    with pytest.raises(ValueError, match="`times` must be finite, positive and increasing"):
        running_diffusion(t[::-1], np.zeros((4, 10, 3)))
    with pytest.raises(ValueError, match="`direction` must be one of 'perp', 'par'"):
        asymptotic_diffusion(t, np.zeros((4, 10, 3)), direction="x")
    with pytest.raises(ValueError, match="holds 1 saved times"):
        asymptotic_diffusion(t, np.ones((4, 10, 3)), window=(0.95, 1.0))
