"""The quantile sampler: the same spectra as the exact rejection sampler, drawn faster."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate, stats

from crtransport.turbulence import (
    BendOverDensity,
    CompositeTurbulence,
    IsotropicTurbulence,
    SlabTurbulence,
    TwoDTurbulence,
)
from crtransport.turbulence._kernels import quantile_kernel
from crtransport.turbulence._sampling import bendover_quantiles


def _exact_cdf(q: float, s: float, band: tuple[float, float]):
    lo = max(band[0], 1e-14)

    def integral(x: float) -> float:
        f = lambda y: math.exp(y) ** (q + 1) / (1 + math.exp(2 * y)) ** ((s + q) / 2)  # noqa: E731
        return integrate.quad(f, math.log(lo), math.log(x), limit=1000, epsabs=0, epsrel=1e-13)[0]

    total = integral(band[1])
    return lambda x: integral(x) / total


@pytest.mark.parametrize(
    ("q", "band"),
    [(3.0, (0.0, 1000.0)), (0.0, (0.0, 1000.0)), (3.0, (0.1, 50.0)), (4.0, (0.0, 1000.0))],
)
def test_drawn_values_sit_at_their_probability_of_the_exact_cdf(q, band):
    """F(x(u)) = u to 1e-6 for the exact CDF (quadrature), across the range and both ends."""
    x_at = bendover_quantiles(BendOverDensity(q, 5 / 3), band)
    u = np.concatenate([[1e-7, 1e-6, 1e-5, 1e-4], np.random.default_rng(1).random(25), [1 - 1e-5]])
    x = np.empty_like(u)
    quantile_kernel(u, x_at, 1 / (q + 1) if band[0] == 0 else 0.0, False, x)
    cdf = _exact_cdf(q, 5 / 3, band)
    assert max(abs(cdf(xi) - ui) for ui, xi in zip(u, x)) < 1e-6
    assert band[0] <= x.min() and x.max() <= band[1]


def test_symmetric_draws_split_the_uniform_into_sign_and_magnitude():
    x_at = bendover_quantiles(BendOverDensity(0.0, 5 / 3), (0.0, 1000.0))
    u = np.random.default_rng(2).random(10_000)
    sym, one = np.empty_like(u), np.empty_like(u)
    quantile_kernel(u, x_at, 1.0, True, sym)
    quantile_kernel(np.where(u < 0.5, 2 * u, 2 * u - 1), x_at, 1.0, False, one)
    np.testing.assert_allclose(np.abs(sym), one, rtol=1e-12)
    assert np.array_equal(sym < 0, u < 0.5)


@pytest.mark.parametrize(
    "turb",
    [
        TwoDTurbulence(b=0.3, lambda_perp=2.0),
        SlabTurbulence(b=0.3, lambda_par=2.0),
        IsotropicTurbulence(b=0.3, lambda_iso=2.0),
        CompositeTurbulence(b=0.3, lambda_perp=2.0),
    ],
    ids=lambda t: t.model,
)
def test_quantile_and_rejection_draw_the_same_waves_statistically(turb):
    """Two-sample KS on every wave-vector component and the phases (independent seeds), and the
    exact properties: <b^2> = b^2 in every realization, b_z = 0 where the model has none."""
    a = turb.sample(64, 400, seed=1, method="rejection")
    c = turb.sample(64, 400, seed=2, method="quantile")
    for i in range(3):
        ka, kc = np.abs(a.k[..., i]).ravel(), np.abs(c.k[..., i]).ravel()
        if ka.max() > 0:
            assert stats.ks_2samp(ka, kc).pvalue > 1e-3, i
    pa = np.mod(a.phase, 2 * np.pi).ravel()
    assert stats.ks_2samp(pa, np.mod(c.phase, 2 * np.pi).ravel()).pvalue > 1e-3
    np.testing.assert_allclose(c.mean_square_field, 0.09, rtol=1e-12)
    assert c.has_bz == a.has_bz
    if turb.model == "2d":  # div b = 0: each amplitude is perpendicular to its k
        dots = np.einsum("rwi,rwi->rw", c.k, c.amplitude)
        assert np.abs(dots).max() < 1e-12 * np.abs(c.k).max()


def test_unknown_method_is_refused():
    with pytest.raises(ValueError, match="`method` must be one of 'rejection', 'quantile'"):
        TwoDTurbulence(b=0.3, lambda_perp=2.0).sample(8, seed=0, method="fast")
