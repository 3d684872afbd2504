"""Issue 19.19: boundary checks that used to fall through to AttributeError/IndexError/NumPy."""

from __future__ import annotations

import numpy as np
import pytest

import crtransport as crt
from crtransport.pusher import initial_conditions
from crtransport.transport import asymptotic_diffusion, running_diffusion
from crtransport.turbulence import BendOverDensity, TwoDTurbulence, field, rejection_sample

T = np.arange(1, 21) * 1.0


def test_split_needs_a_dataset():
    with pytest.raises(TypeError, match=r"`ds` must be an xarray.Dataset; got dict"):
        crt.dataset.split({"sample": [1, 2, 3]}, 0.1)


@pytest.mark.parametrize("window", [(0.5,), 0.5, "ab", (0.1, 0.5, 1.0)])
def test_asymptotic_diffusion_window_must_be_a_pair(window):
    with pytest.raises(TypeError, match=r"`window` must be a pair"):
        asymptotic_diffusion(T, np.zeros((4, 20, 3)), window=window)


@pytest.mark.parametrize("n", [0, 1])
def test_asymptotic_diffusion_needs_two_particles(n):
    # 0 particles gave NaN; 1 particle converged=True with an infinite error
    with pytest.raises(ValueError, match=rf"at least 2 particles .*got {n}"):
        asymptotic_diffusion(T, np.ones((n, 20, 3)) * T[None, :, None])
    with pytest.raises(ValueError, match=r"at least 1 particles"):
        running_diffusion(T, np.zeros((0, 20, 3)))


def test_mu_list_of_the_wrong_length():
    with pytest.raises(ValueError, match=r"`mu` must be a number or have shape \(n_particles,\)"):
        initial_conditions(1.0, [0.1, 0.2, 0.3], 5)
    _, mom = initial_conditions(1.0, [0.1, 0.2, 0.3, 0.4, 0.5], 5)
    np.testing.assert_allclose(mom[:, 2] / np.linalg.norm(mom, axis=1), [0.1, 0.2, 0.3, 0.4, 0.5])


@pytest.mark.parametrize("seed", ["x", 1.5, None, -1])
def test_bad_seeds_are_named(seed):
    exc = ValueError if seed == -1 else TypeError
    turb = TwoDTurbulence(b=0.1, lambda_perp=1.0)
    with pytest.raises(exc, match=r"`seed` must be a non-negative"):
        turb.sample(4, seed=seed)
    with pytest.raises(exc, match=r"`seed` must be a non-negative"):
        initial_conditions(1.0, 0.5, 2, seed=seed)
    density = BendOverDensity(3.0, 5.0 / 3.0)
    with pytest.raises(exc, match=r"`seed` must be a non-negative"):
        rejection_sample(density, 4, proposal=density.proposal(), seed=seed)
    with pytest.raises(exc, match=r"`seed` must be a non-negative"):
        crt.dataset.ParameterSpace.paper().sample(2, seed=seed)


def test_field_with_no_modes_or_no_positions():
    modes = TwoDTurbulence(b=0.1, lambda_perp=1.0).sample(4, seed=0)
    with pytest.raises(TypeError, match=r"`modes` must be a WaveModes; got NoneType"):
        field(None, [[0.0, 0.0, 0.0]])
    with pytest.raises(TypeError, match=r"`positions` must be an array of numbers"):
        field(modes, None)
