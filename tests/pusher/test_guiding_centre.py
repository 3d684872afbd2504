"""Guiding-centre displacements: exact at b = 0, within a Larmor radius of the particle, and
giving the same diffusion coefficient as the particles without the gyration's oscillation."""

from __future__ import annotations

import math

import numpy as np
import pytest

import crtransport as crt
from crtransport.pusher import initial_conditions, propagate
from crtransport.transport import asymptotic_diffusion
from crtransport.turbulence import TwoDTurbulence


@pytest.mark.filterwarnings("ignore::crtransport.AccuracyWarning")  # exact at any step
@pytest.mark.parametrize("dt", [2 * math.pi / 40, 2 * math.pi / 10, 1.5])
def test_guiding_centre_is_constant_without_turbulence(dt):
    T, n = 3.0, 16
    modes = TwoDTurbulence(b=0.0, lambda_perp=1.0).sample(n_waves=4, n_realizations=n, seed=0)
    pos, mom = initial_conditions(T=T, mu=0.3, n_particles=n, seed=1)
    out = propagate(modes, pos, mom, dt=dt, n_steps=20_000, save_every=100)
    rho = math.sqrt((1 + T) ** 2 - 1) * math.sqrt(1 - 0.3**2)
    # the particles gyrate with radius rho, the guiding centres do not move across B0 ...
    assert np.abs(out.displacement[..., :2]).max() > rho
    assert np.abs(out.gc_displacement[..., :2]).max() < 1e-10 * rho
    # ... and move along it with the particles
    np.testing.assert_array_equal(out.gc_displacement[..., 2], out.displacement[..., 2])


def test_guiding_centre_stays_within_a_gyration_of_the_particle():
    T, b, n = 1.0, 0.5, 64
    modes = TwoDTurbulence(b=b, lambda_perp=5.0).sample(n_waves=64, n_realizations=n, seed=2)
    pos, mom = initial_conditions(T=T, mu=0.5, n_particles=n, seed=3)
    out = propagate(modes, pos, mom, dt=0.1, n_steps=5000, save_every=50)
    u = math.sqrt((1 + T) ** 2 - 1)
    offset = np.linalg.norm(out.gc_displacement[..., :2] - out.displacement[..., :2], axis=-1)
    # R - r = u x e_z changes by at most 2 |u|, while the particles wander much further
    assert offset.max() <= 2 * u * (1 + 1e-12)
    assert np.linalg.norm(out.displacement[..., :2], axis=-1).max() > 10 * u


def test_guiding_centre_and_particle_estimates_agree_at_the_reference_point():
    T, b, lam, n = 1.0, 0.2, 5.0, 512
    config = crt.resolve_config(T=T, b=b, lambda_perp=lam, n_particles=n)
    modes = config.turbulence.sample(n_waves=200, n_realizations=n, seed=4)
    pos, mom = initial_conditions(T=T, mu=0.5, n_particles=n, seed=5)
    out = propagate(modes, pos, mom, dt=config.dt, n_steps=config.n_steps, save_every=20)
    particle = asymptotic_diffusion(out.times, out.displacement, direction="perp")
    centre = asymptotic_diffusion(out.times, out.gc_displacement, direction="perp")
    # same ensemble, same limit: they differ by far less than the statistical error
    assert abs(centre.value - particle.value) < 0.3 * particle.error
    assert abs(centre.value - particle.value) < 0.3 * centre.error


def test_simulate_small_b_is_positive_and_converged():
    # T = 8, b = 0.05: the gyration (rho^2 ~ 60) dwarfs the diffusive growth of <dx^2> over the
    # run, and the slope of the particles' MSD came out negative; the guiding centres' does not.
    res = crt.simulate(T=7.93, b=0.05, lambda_perp=4.62, n_particles=1024, n_waves=200, seed=6)
    assert res.D_perp > 5 * res.D_perp_err
    assert res.converged


def test_simulate_without_turbulence_has_zero_perpendicular_diffusion():
    res = crt.simulate(T=2.0, b=0.0, lambda_perp=3.0, n_particles=64, n_waves=8, seed=7)
    assert abs(res.D_perp) < 1e-12
    # the particles' running coefficient is the helix's, falling like 1/t
    d = res.running["D_perp"].values
    assert d.max() > 0.5 and d[-1] < d.max() / 10
