"""The field: solenoidal, the right components and amplitude, and the kernel's accuracy."""

from __future__ import annotations

import dataclasses
import math

import numba
import numpy as np
import pytest

from crtransport._numerics import FASTMATH, cos2_kernel
from crtransport.turbulence import (
    CompositeTurbulence,
    IsotropicTurbulence,
    SlabTurbulence,
    TwoDTurbulence,
    WaveModes,
    field,
)

MODELS = [
    TwoDTurbulence(b=0.7, lambda_perp=1.5),
    SlabTurbulence(b=0.7, lambda_par=3.0),
    IsotropicTurbulence(b=0.7, lambda_iso=2.0),
    CompositeTurbulence(b=0.7, lambda_perp=1.5),
]


def direct_field(modes: WaveModes, positions, r=0):
    phase = positions @ modes.k[r].T + modes.phase[r]
    return np.cos(phase) @ modes.amplitude[r]


@numba.njit(fastmath=FASTMATH)
def _cos_many(x):
    out = np.empty_like(x)
    for i in range(x.size):
        out[i] = cos2_kernel(0.5 * x[i])
    return out


def test_polynomial_cosine_matches_numpy_to_1e_12(rng):
    for scale in (1.0, 1e2, 1e4):
        x = rng.uniform(-scale, scale, 200_000)
        assert np.max(np.abs(_cos_many(x) - np.cos(x))) < 1e-12


@pytest.mark.parametrize("turb", MODELS, ids=lambda t: t.model)
def test_field_kernel_matches_direct_sum(turb, rng):
    modes = turb.sample(n_waves=300, n_realizations=2, seed=4)
    pos = rng.uniform(-50, 50, (500, 3))
    for r in range(2):
        np.testing.assert_allclose(
            field(modes, pos, realization=r), direct_field(modes, pos, r), rtol=0, atol=1e-12
        )


@pytest.mark.parametrize("turb", MODELS, ids=lambda t: t.model)
def test_divergence_free(turb, rng):
    modes = turb.sample(n_waves=300, n_realizations=1, seed=2)
    # exactly: every wave has A . k = 0
    assert np.max(np.abs(np.sum(modes.amplitude * modes.k, axis=-1))) < 1e-15 * max(
        1.0, float(np.abs(modes.k).max())
    )
    # numerically: central differences of the evaluated field. Their truncation error grows like
    # h^2 k^3, so this part uses the same model restricted to k < 20 / lambda.
    narrow = {
        f: (
            0.0,
            20.0
            / getattr(
                turb,
                f.replace("k_", "lambda_").replace("_range", ""),
                getattr(turb, "lambda_iso", 1.0),
            ),
        )
        for f in turb._BANDS
    }
    if "k_range" in narrow:
        narrow["k_range"] = (0.0, 20.0 / turb.lambda_iso)
    modes = dataclasses.replace(turb, **narrow).sample(n_waves=300, n_realizations=1, seed=2)
    h = 1e-5
    pos = rng.uniform(-10, 10, (50, 3))
    div = np.zeros(50)
    for i in range(3):
        e = np.zeros(3)
        e[i] = h
        div += (field(modes, pos + e)[:, i] - field(modes, pos - e)[:, i]) / (2 * h)
    grad_scale = np.sqrt(np.sum(modes.amplitude**2 * np.sum(modes.k**2, -1)[..., None]))
    assert np.max(np.abs(div)) < 1e-6 * grad_scale


@pytest.mark.parametrize("turb", MODELS[:2], ids=lambda t: t.model)
def test_bz_vanishes_for_2d_and_slab(turb, rng):
    modes = turb.sample(n_waves=100, n_realizations=1, seed=1)
    assert not modes.has_bz
    assert np.all(field(modes, rng.uniform(-5, 5, (100, 3)))[:, 2] == 0.0)


def test_slab_field_depends_on_z_only(rng):
    modes = SlabTurbulence(b=1.0, lambda_par=2.0).sample(n_waves=100, seed=3)
    p = rng.uniform(-5, 5, (20, 3))
    q = p.copy()
    q[:, :2] = rng.uniform(-50, 50, (20, 2))
    np.testing.assert_allclose(field(modes, p), field(modes, q), atol=1e-13)


@pytest.mark.parametrize("turb", MODELS, ids=lambda t: t.model)
def test_mean_square_field_is_b_squared(turb, rng):
    """<b^2> = b^2 exactly per realization (phase average) and statistically over space."""
    n_real, n_pts = 100, 100
    modes = turb.sample(n_waves=200, n_realizations=n_real, seed=8)
    np.testing.assert_allclose(modes.mean_square_field, turb.b**2, rtol=1e-12)
    pos = rng.uniform(-1e3, 1e3, (n_real * n_pts, 3))
    b2 = np.sum(field(modes, pos, realization=np.repeat(np.arange(n_real), n_pts)) ** 2, axis=1)
    # per-point |b|^2 has standard deviation ~ b^2 (Gaussian field): 4 sigma of the mean
    assert abs(b2.mean() - turb.b**2) < 4 * b2.std() / math.sqrt(b2.size)


def test_composite_energy_split():
    turb = CompositeTurbulence(b=1.0, lambda_perp=1.0, slab_fraction=0.2)
    modes = turb.sample(n_waves=100, seed=0)
    slab = modes.amplitude[0, :50]
    two_d = modes.amplitude[0, 50:]
    assert 0.5 * np.sum(slab**2) == pytest.approx(0.2)
    assert 0.5 * np.sum(two_d**2) == pytest.approx(0.8)
    assert np.all(modes.k[0, :50, :2] == 0.0)


def test_wave_modes_validates_shapes():
    with pytest.raises(ValueError, match=r"`k` must have shape \(n_realizations, n_waves, 3\)"):
        WaveModes(k=np.zeros((1, 4, 2)), phase=np.zeros((1, 4)), amplitude=np.zeros((1, 4, 3)))
    modes = TwoDTurbulence(b=1.0, lambda_perp=1.0).sample(n_waves=4, seed=0)
    with pytest.raises(ValueError, match=r"`realization` must be in \[0, 0\]"):
        field(modes, np.zeros((2, 3)), realization=1)
    with pytest.raises(ValueError, match=r"`positions` must have shape \(n_points, 3\)"):
        field(modes, np.zeros((2, 2)))
    assert field(modes, [0.0, 0.0, 0.0]).shape == (3,)
