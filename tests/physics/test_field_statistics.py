"""Realization-averaged field statistics against the spectrum's Fourier transforms.

For the 2D model, b_x = -A sin(phi) cos(k.r + alpha), so the two-point correlation of b_x is

    <b_x(r) b_x(r + dz e_z)> / <b_x^2> = int p(k_par) cos(k_par dz) dk_par
    <b_x(r) b_x(r + dx e_x)> / <b_x^2> = int p(k_perp) [J0(k_perp dx) + J2(k_perp dx)] dk_perp

(the phi average of 2 sin^2(phi) cos(z cos phi) is J0(z) + J2(z)). The right-hand sides are
computed by quadrature from the spectrum alone; the left-hand sides are measured on sampled
fields. They decay on lambda_par along z and on lambda_perp across.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate, special

from crtransport.turbulence import TwoDTurbulence, bendover_density, field

pytestmark = pytest.mark.physics

S = 5.0 / 3.0


def expected_parallel(dz, lam):
    norm = integrate.quad(lambda k: float(bendover_density(k * lam, 0.0, S)), 0, np.inf)[0]
    num = integrate.quad(
        lambda k: float(bendover_density(k * lam, 0.0, S)), 0, np.inf, weight="cos", wvar=dz
    )[0]
    return num / norm


def expected_perpendicular(dx, lam):
    p = lambda k: float(bendover_density(k * lam, 3.0, S))  # noqa: E731
    norm = integrate.quad(p, 0, np.inf, limit=400)[0]
    num = integrate.quad(
        lambda k: p(k) * (special.jv(0, k * dx) + special.jv(2, k * dx)), 0, 200 / lam, limit=2000
    )[0]
    return num / norm


def measured(modes, offset, rng, n_points=40):
    n_real = modes.n_realizations
    real = np.repeat(np.arange(n_real), n_points)
    r = rng.uniform(-1e4, 1e4, (real.size, 3))
    bx0 = field(modes, r, realization=real)[:, 0]
    bx1 = field(modes, r + offset, realization=real)[:, 0]
    prod = bx0 * bx1
    norm = np.mean(bx0**2)
    return prod.mean() / norm, prod.std() / math.sqrt(prod.size) / norm


@pytest.fixture(scope="module")
def modes():
    turb = TwoDTurbulence(
        b=1.0, lambda_perp=2.0, lambda_par=20.0, k_perp_range=(0, np.inf), k_par_range=(0, np.inf)
    )
    return turb.sample(n_waves=256, n_realizations=400, seed=12)


@pytest.mark.parametrize("dz_over_lambda", [0.1, 0.5, 1.0, 3.0])
def test_parallel_correlation_matches_the_spectrum(modes, rng, dz_over_lambda):
    dz = dz_over_lambda * 20.0
    got, err = measured(modes, np.array([0.0, 0.0, dz]), rng)
    want = expected_parallel(dz, 20.0)
    assert abs(got - want) < 4 * err + 0.002, (got, want, err)


@pytest.mark.parametrize("dx_over_lambda", [0.1, 0.5, 1.0, 3.0])
def test_perpendicular_correlation_matches_the_spectrum(modes, rng, dx_over_lambda):
    dx = dx_over_lambda * 2.0
    got, err = measured(modes, np.array([dx, 0.0, 0.0]), rng)
    want = expected_perpendicular(dx, 2.0)
    assert abs(got - want) < 4 * err + 0.002, (got, want, err)


def test_correlation_lengths_are_the_bendover_scales():
    # the analytic curves themselves: half-decay within a factor of a few of lambda
    assert expected_parallel(0.2 * 20.0, 20.0) > 0.5 > expected_parallel(2.0 * 20.0, 20.0)
    assert expected_perpendicular(0.2 * 2.0, 2.0) > 0.5 > expected_perpendicular(2.0 * 2.0, 2.0)
