"""Bad input at the public boundary: each message names the parameter, the range and the value."""

from __future__ import annotations

import math

import numpy as np
import pytest

import crtransport as crt
from crtransport.pusher import initial_conditions
from crtransport.turbulence import SlabTurbulence, TwoDTurbulence, make_turbulence

OK = dict(T=1.0, b=0.2, lambda_perp=5.0, n_particles=8, n_waves=4, t_max=50.0)


@pytest.mark.parametrize(
    ("override", "exc", "message"),
    [
        ({"T": 0.0}, ValueError, r"`T` must be in \(0, inf\); got 0\."),
        ({"T": -1.0}, ValueError, r"`T` must be in \(0, inf\); got -1\."),
        ({"T": math.nan}, ValueError, r"`T` must be finite and in \(0, inf\); got nan\."),
        ({"b": -0.1}, ValueError, r"`b` must be in \[0, inf\); got -0\.1\."),
        ({"b": math.inf}, ValueError, r"`b` must be finite and in \[0, inf\); got inf\."),
        ({"lambda_perp": 0.0}, ValueError, r"`lambda_perp` must be in \(0, inf\); got 0\."),
        ({"lambda_par": -2.0}, ValueError, r"`lambda_par` must be in \(0, inf\); got -2\."),
        ({"mu": 1.5}, ValueError, r"`mu` must be in \[-1, 1\]; got 1\.5\."),
        ({"mu": -1.01}, ValueError, r"`mu` must be in \[-1, 1\]; got -1\.01\."),
        (
            {"n_particles": 0},
            ValueError,
            r"`n_particles` must be an integer in \[2, inf\]; got 0\.",
        ),
        ({"n_particles": 2.5}, TypeError, r"`n_particles` must be an integer; got 2\.5\."),
        ({"n_waves": 0}, ValueError, r"`n_waves` must be an integer in \[1, inf\]; got 0\."),
        ({"dt": 0.0}, ValueError, r"`dt` must be in \(0, inf\); got 0\."),
        ({"t_max": -1.0}, ValueError, r"`t_max` must be in \(0, inf\); got -1\."),
        ({"t_max": 1.0, "dt": 0.5}, ValueError, r"`t_max` must be >= 8 dt = 4; got 1\."),
        (
            {"model": "iso"},
            ValueError,
            r"`model` must be one of '2d', 'slab', 'isotropic', 'composite'; got 'iso'\.",
        ),
        (
            {"k_perp_range": (5.0, 1.0)},
            ValueError,
            r"`k_perp_range` must satisfy 0 <= min < max <= inf; got \(5, 1\)\.",
        ),
        ({"seed": -3}, ValueError, r"`seed` must be a non-negative integer; got -3\."),
        ({"seed": "x"}, TypeError, r"`seed` must be an int, SeedSequence or Generator; got str\."),
        ({"T": "1"}, TypeError, r"`T` must be a real number; got str\."),
    ],
)
def test_simulate_rejects_bad_input(override, exc, message):
    with pytest.raises(exc, match=message):
        crt.simulate(**{**OK, **override})


def test_coarse_dt_warns_with_the_numbers():
    with pytest.warns(
        crt.AccuracyWarning, match=r"`dt` = 3 turns the velocity by 2.78 rad per step .* dt < 0.339"
    ):
        crt.simulate(**{**OK, "T": 0.1, "dt": 3.0, "t_max": 30.0})


def test_model_specific_arguments():
    with pytest.raises(ValueError, match="`lambda_par` and `k_par_range` must be None for model"):
        make_turbulence("isotropic", b=0.1, lambda_perp=1.0, lambda_par=3.0)
    with pytest.raises(ValueError, match="`k_perp_range` must be None for model 'slab'"):
        make_turbulence("slab", b=0.1, lambda_perp=1.0, k_perp_range=(0, 1))
    with pytest.raises(ValueError, match=r"`s` must be in \(1, inf\); got 0\.5\."):
        TwoDTurbulence(b=0.1, lambda_perp=1.0, s=0.5)
    with pytest.raises(ValueError, match=r"`q` must be in \(-1, inf\); got -2\."):
        SlabTurbulence(b=0.1, lambda_par=1.0, q=-2.0)


def test_initial_conditions_checks():
    with pytest.raises(ValueError, match=r"`mu` must be in \[-1, 1\]; got 2\."):
        initial_conditions(1.0, np.array([0.0, 2.0]), 2)
    with pytest.raises(
        ValueError, match=r"`positions` must have shape \(n_particles, 3\) = \(2, 3\)"
    ):
        initial_conditions(1.0, 0.5, 2, positions=np.zeros((3, 3)))
