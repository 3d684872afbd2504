"""simulate(): limits, reproducibility and settings."""

from __future__ import annotations

import json
import math

import numba
import numpy as np
import pytest

import crtransport as crt
from crtransport import units
from crtransport._simulate import SimulationConfig, default_dt, default_t_max

SMALL = dict(n_particles=96, n_waves=32, t_max=150.0)


def test_b_zero_gives_the_exact_helix_limits():
    T, mu = 1.0, 0.5
    res = crt.simulate(T=T, b=0.0, lambda_perp=5.0, mu=mu, n_particles=64, n_waves=8, seed=0)
    gamma, v = 1 + T, float(units.speed_from_T(T))
    rho = gamma * v * math.sqrt(1 - mu**2)
    dt = res.config.dt
    omega_eff = 2 / dt * math.atan(dt / (2 * gamma))
    t = res.running["time"].values
    np.testing.assert_allclose(
        res.running["D_perp"], rho**2 * (1 - np.cos(omega_eff * t)) / (2 * t), rtol=0, atol=1e-10
    )
    np.testing.assert_allclose(res.running["D_par"], (v * mu) ** 2 * t / 2, rtol=1e-11)
    # D_perp -> 0 like 1/t: the asymptotic estimate is bounded by rho^2 / t_window
    assert abs(res.D_perp) < rho**2 / res.perp.window[0]
    assert res.D_par > 0  # ballistic, not zero


def test_same_seed_same_numbers_any_thread_count():
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        a = crt.simulate(
            T=1.0, b=0.5, lambda_perp=1.0, seed=3, n_particles=600, n_waves=16, t_max=60.0
        )
        numba.set_num_threads(min(2, numba.config.NUMBA_NUM_THREADS))
        b = crt.simulate(
            T=1.0, b=0.5, lambda_perp=1.0, seed=3, n_particles=600, n_waves=16, t_max=60.0
        )
    finally:
        numba.set_num_threads(before)
    assert (a.D_perp, a.D_par, a.D_perp_err) == (b.D_perp, b.D_par, b.D_perp_err)
    np.testing.assert_array_equal(a.running["D_xx"], b.running["D_xx"])
    c = crt.simulate(T=1.0, b=0.5, lambda_perp=1.0, seed=4, n_particles=600, n_waves=16, t_max=60.0)
    assert c.D_perp != a.D_perp


def test_seed_sequence_and_generator_are_accepted_and_recorded():
    ss = np.random.SeedSequence(5, spawn_key=(7,))
    res = crt.simulate(T=1.0, b=0.3, lambda_perp=2.0, seed=ss, **SMALL)
    assert res.config.seed_entropy == 5 and res.config.seed_spawn_key == (7,)
    again = crt.simulate(T=1.0, b=0.3, lambda_perp=2.0, seed=res.config.seed_sequence(), **SMALL)
    assert again.D_perp == res.D_perp
    crt.simulate(T=1.0, b=0.3, lambda_perp=2.0, seed=np.random.default_rng(1), **SMALL)


def test_config_round_trips_through_json():
    res = crt.simulate(T=2.0, b=0.3, lambda_perp=2.0, model="composite", seed=1, **SMALL)
    data = json.loads(json.dumps(res.config.to_dict()))
    assert SimulationConfig.from_dict(data) == res.config
    assert data["turbulence"]["lambda_par"] == 20.0
    assert data["n_steps"] * data["dt"] == pytest.approx(data["t_max"])


@pytest.mark.parametrize("model", ["2d", "slab", "isotropic", "composite"])
def test_every_model_runs_and_returns_finite_coefficients(model):
    scales = {"lambda_par": 20.0} if model == "slab" else {"lambda_perp": 2.0}
    res = crt.simulate(T=1.0, b=0.5, model=model, seed=2, **scales, **SMALL)
    assert np.isfinite([res.D_perp, res.D_par, res.D_perp_err, res.D_par_err]).all()
    assert res.running.sizes["time"] >= 8
    assert res.config.model == model


def test_default_rules():
    turb = crt.turbulence.TwoDTurbulence(b=0.2, lambda_perp=5.0)
    # forty steps per gyration in the RMS field, at most half a bend-over scale per step; the
    # paper rules also cap the step at the paper's 2 pi / 10
    gyro = 2 * math.pi * 2.0 / (40 * math.sqrt(1.04))
    assert default_dt(1.0, 0.2, 5.0) == pytest.approx(gyro)
    assert default_dt(1.0, 0.2, 0.2) == pytest.approx(0.5 * 0.2 / float(units.speed_from_T(1.0)))
    assert default_dt(100.0, 0.0, 1e3) == pytest.approx(2 * math.pi * 101 / 40)
    assert default_dt(100.0, 0.0, 1e3, rules="paper") == pytest.approx(2 * math.pi / 10)
    v = float(units.speed_from_T(1.0))
    # first length: max(8 tau_c, 10 gyrations); the paper's fixed run max(10 tau_c, 20 gyr.)
    assert default_t_max(1.0, 0.5, turb) == pytest.approx(8 * 50.0 / (0.5 * v))
    assert default_t_max(1.0, 0.5, turb, rules="paper") == pytest.approx(10 * 50.0 / (0.5 * v))
    res = crt.simulate(T=1.0, b=0.2, lambda_perp=5.0, n_particles=8, n_waves=4, t_max=100.0)
    assert res.config.dt == pytest.approx(gyro)
    assert res.config.t_max >= 100.0


def test_shared_field_puts_every_particle_in_one_realization():
    kw = dict(T=1.0, b=0.3, lambda_perp=1.0, n_particles=600, n_waves=32, t_max=100.0, seed=6)
    shared = crt.simulate(**kw, shared_field=True)
    again = crt.simulate(**kw, shared_field=True)
    own = crt.simulate(**kw)
    assert shared.config.shared_field
    assert shared.D_perp == again.D_perp
    assert shared.D_perp != own.D_perp
    assert np.isfinite([shared.D_perp, shared.D_par]).all()
