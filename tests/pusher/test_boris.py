"""The Boris pusher against exact results: one step, the helix, conservation, convergence."""

from __future__ import annotations

import math

import numba
import numpy as np
import pytest

from crtransport import AccuracyWarning, units
from crtransport.pusher import initial_conditions, propagate
from crtransport.turbulence import IsotropicTurbulence, TwoDTurbulence


def no_field(n_realizations=1):
    return TwoDTurbulence(b=0.0, lambda_perp=1.0).sample(
        n_waves=4, n_realizations=n_realizations, seed=0
    )


def test_one_step_against_hand_computed_rotation():
    T, dt = 1.0, 0.3
    gamma = 1.0 + T
    u0 = math.sqrt(gamma**2 - 1)
    out = propagate(
        no_field(), [[0.0, 0.0, 0.0]], [[u0, 0.0, 0.0]], dt=dt, n_steps=1, realization=0
    )
    theta = 2.0 * math.atan(dt / (2.0 * gamma))  # clockwise about +z for positive charge
    u1 = u0 * np.array([math.cos(theta), -math.sin(theta), 0.0])
    np.testing.assert_allclose(out.final_momenta[0], u1, rtol=0, atol=1e-15)
    x1 = 0.5 * dt * (np.array([u0, 0.0, 0.0]) + u1) / gamma  # drift-kick-drift
    np.testing.assert_allclose(out.final_positions[0], x1, rtol=0, atol=1e-15)


PAPER_STEP = pytest.mark.filterwarnings("ignore::crtransport.AccuracyWarning")


@PAPER_STEP  # the paper's dt on purpose: the orbit is exact at any step
@pytest.mark.parametrize("T", [0.1, 1.0, 10.0])
def test_discrete_helix_is_exact(T):
    """b = 0: x^2 + y^2 = 2 rho^2 (1 - cos(Omega_eff t)) with radius exactly rho (this scheme)."""
    dt, mu, n = 2 * math.pi / 10, 0.5, 64
    pos, mom = initial_conditions(T, mu, n, seed=1)
    out = propagate(no_field(), pos, mom, dt=dt, n_steps=2000, save_every=7, realization=0)
    gamma = 1.0 + T
    rho = math.sqrt(gamma**2 - 1) * math.sqrt(1 - mu**2)
    omega_eff = 2.0 / dt * math.atan(dt / (2.0 * gamma))
    r2 = np.sum(out.displacement[..., :2] ** 2, axis=-1)
    expected = 2 * rho**2 * (1 - np.cos(omega_eff * out.times))
    np.testing.assert_allclose(r2, np.broadcast_to(expected, r2.shape), rtol=0, atol=1e-9 * rho**2)
    v = float(units.speed_from_T(T))
    np.testing.assert_allclose(
        out.displacement[..., 2], np.broadcast_to(v * mu * out.times, r2.shape), rtol=1e-12
    )


@PAPER_STEP
def test_effective_gyrofrequency_at_the_papers_step():
    """Omega_eff / Omega = 0.96892 at dt = 2 pi / 10, gamma = 1 (PHYSICS.md), measured."""
    dt, T = 2 * math.pi / 10, 1e-6
    pos, mom = initial_conditions(T, 0.0, 1, seed=0)
    out = propagate(no_field(), pos, mom, dt=dt, n_steps=1, realization=0)
    turned = math.atan2(-out.final_momenta[0, 1], out.final_momenta[0, 0]) - math.atan2(
        -mom[0, 1], mom[0, 0]
    )
    omega = 1.0 / (1.0 + T)
    assert math.remainder(turned, 2 * math.pi) / (dt * omega) == pytest.approx(0.96892, abs=1e-5)


def test_phase_error_shrinks_as_dt_squared():
    T, t_end = 1.0, 200.0
    gamma = 1.0 + T
    errors = []
    for dt in (0.4, 0.2, 0.1):
        n_steps = round(t_end / dt)
        pos, mom = initial_conditions(T, 0.0, 1, seed=0)
        out = propagate(no_field(), pos, mom, dt=dt, n_steps=n_steps, realization=0)
        phase0 = math.atan2(mom[0, 1], mom[0, 0])
        phase = math.atan2(out.final_momenta[0, 1], out.final_momenta[0, 0])
        exact = phase0 - n_steps * dt / gamma
        errors.append(abs(math.remainder(phase - exact, 2 * math.pi)))
    assert errors[0] / errors[1] == pytest.approx(4.0, rel=0.01)
    assert errors[1] / errors[2] == pytest.approx(4.0, rel=0.01)


def test_speed_conserved_to_round_off_over_1e5_steps():
    T = 2.0
    turb = IsotropicTurbulence(b=1.0, lambda_iso=1.0)  # strong 3D turbulence, b_z != 0
    modes = turb.sample(n_waves=64, n_realizations=16, seed=3)
    pos, mom = initial_conditions(T, 0.3, 16, seed=4)
    out = propagate(modes, pos, mom, dt=0.2, n_steps=100_000, save_every=100_000)
    u = math.sqrt((1 + T) ** 2 - 1)
    rel = np.abs(np.linalg.norm(out.final_momenta, axis=1) / u - 1)
    assert rel.max() < 1e-12
    assert np.all(np.abs(out.final_positions) > 0)  # it did move


def test_bit_identical_for_one_and_two_threads():
    modes = TwoDTurbulence(b=0.5, lambda_perp=1.0).sample(n_waves=64, n_realizations=40, seed=2)
    pos, mom = initial_conditions(1.0, 0.5, 40, seed=3)
    before = numba.get_num_threads()
    try:
        results = []
        for n_threads in (1, min(2, numba.config.NUMBA_NUM_THREADS)):
            numba.set_num_threads(n_threads)
            results.append(propagate(modes, pos, mom, dt=0.3, n_steps=500, save_every=50))
    finally:
        numba.set_num_threads(before)
    np.testing.assert_array_equal(results[0].displacement, results[1].displacement)
    np.testing.assert_array_equal(results[0].final_momenta, results[1].final_momenta)


def test_initial_conditions_have_the_right_pitch_and_speed():
    pos, mom = initial_conditions(3.0, -0.25, 1000, seed=5)
    u = math.sqrt(4.0**2 - 1)
    np.testing.assert_allclose(np.linalg.norm(mom, axis=1), u, rtol=1e-14)
    np.testing.assert_allclose(mom[:, 2] / u, -0.25, rtol=1e-14)
    phase = np.arctan2(mom[:, 1], mom[:, 0])
    # gyro-phases uniform: mean resultant length ~ 1/sqrt(N)
    assert abs(np.mean(np.exp(1j * phase))) < 4 / math.sqrt(1000)
    assert np.all(pos == 0)


def test_coarse_dt_warns_with_numbers():
    pos, mom = initial_conditions(0.01, 0.5, 2, seed=0)
    with pytest.warns(
        AccuracyWarning,
        match=r"`dt` = 2.9 turns the velocity by 2.87 rad per step .* dt < 0.317",
    ):
        propagate(no_field(2), pos, mom, dt=2.9, n_steps=2)


def test_realization_checks():
    pos, mom = initial_conditions(1.0, 0.5, 3, seed=0)
    with pytest.raises(ValueError, match="one realization per particle"):
        propagate(no_field(2), pos, mom, dt=0.1, n_steps=2)
    with pytest.raises(ValueError, match=r"same \|u\|"):
        propagate(no_field(3), pos, mom * np.array([[1.0], [1.0], [2.0]]), dt=0.1, n_steps=2)
