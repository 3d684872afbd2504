"""Acceptance-rejection sampling against the spectra's CDFs (computed by quadrature)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate, stats

from crtransport.turbulence import (
    BendOverDensity,
    BurrProposal,
    TwoDTurbulence,
    bendover_density,
    rejection_sample,
)


def quad_cdf(density, lo, hi):
    """CDF on [lo, hi] by adaptive quadrature (log-substitution for the heavy tail)."""
    norm = integrate.quad(density, lo, hi, limit=400, points=[1.0, 10.0])[0]

    def cdf(x):
        x = np.atleast_1d(x)
        out = np.array([integrate.quad(density, lo, min(v, hi), limit=400)[0] for v in x])
        return np.clip(out / norm, 0.0, 1.0)

    return cdf


@pytest.mark.parametrize(("q", "s"), [(3.0, 5.0 / 3.0), (0.0, 5.0 / 3.0), (1.0, 2.5)])
def test_bendover_samples_pass_ks_against_quadrature_cdf(q, s):
    band = (0.0, 200.0)
    res = rejection_sample(
        lambda x: bendover_density(x, q, s),
        4000,
        proposal=BurrProposal.for_exponents(q, s),
        seed=11,
        band=band,
    )
    assert res.values.min() >= band[0] and res.values.max() < band[1]
    cdf = quad_cdf(lambda x: float(bendover_density(x, q, s)), *band)
    # sort + subsample keeps the quadrature cheap; KS at the 1 % level with a fixed seed
    sample = np.sort(res.values)[::4]
    assert stats.kstest(sample, cdf).pvalue > 0.01
    assert 0.4 < res.acceptance_rate <= 1.0


def test_ks_detects_a_wrong_spectral_index():
    """The same check rejects samples drawn for another inertial index (the test can fail)."""
    band = (0.0, 200.0)
    res = rejection_sample(
        lambda x: bendover_density(x, 3.0, 2.5),
        4000,
        proposal=BurrProposal.for_exponents(3.0, 2.5),
        seed=11,
        band=band,
    )
    cdf = quad_cdf(lambda x: float(bendover_density(x, 3.0, 5.0 / 3.0)), *band)
    assert stats.kstest(np.sort(res.values)[::4], cdf).pvalue < 1e-6


def test_symmetric_parallel_density_and_its_tail_fraction():
    s = 5.0 / 3.0
    band = (0.0, 1e3)
    res = rejection_sample(
        lambda x: bendover_density(x, 0.0, s),
        40_000,
        proposal=BurrProposal.for_exponents(0.0, s, symmetric=True),
        seed=3,
        band=band,
    )
    x = res.values
    assert abs(np.mean(x > 0) - 0.5) < 4 * 0.5 / math.sqrt(x.size)
    # probability of |k lambda| > 10 from quadrature
    f = lambda v: (1 + v * v) ** (-s / 2)  # noqa: E731
    norm = integrate.quad(f, 0, 1e3, limit=400, points=[1, 10, 100])[0]
    p_tail = integrate.quad(f, 10, 1e3, limit=400, points=[100])[0] / norm
    se = math.sqrt(p_tail * (1 - p_tail) / x.size)
    assert abs(np.mean(np.abs(x) > 10) - p_tail) < 4 * se


def test_user_density_and_reported_acceptance_rate():
    # a user-supplied Lorentzian-like density on (0, inf) with a k^-2 tail
    dens = lambda x: 1.0 / (1.0 + x * x)  # noqa: E731
    res = rejection_sample(dens, 20_000, proposal=BurrProposal.for_exponents(0.0, 1.5), seed=5)
    # exact: half-Cauchy, median 1
    assert abs(np.median(res.values) - 1.0) < 0.05
    assert res.acceptance_rate == pytest.approx(res.values.size / res.n_proposed)
    assert 0.2 < res.acceptance_rate < 1.0


def test_density_with_heavier_tail_than_proposal_is_refused():
    with pytest.raises(ValueError, match="heavier tails than the proposal"):
        rejection_sample(
            lambda x: (1 + x * x) ** -0.6,
            100,
            proposal=BurrProposal.for_exponents(0.0, 3.0),
            seed=0,
        )


def test_too_small_bound_is_detected():
    with pytest.raises(ValueError, match="below sup f/g"):
        rejection_sample(
            lambda x: bendover_density(x, 3.0, 5 / 3),
            1000,
            proposal=BurrProposal.for_exponents(3.0, 5 / 3),
            seed=0,
            bound=1e-3,
        )


def test_same_seed_same_samples_and_band_respected():
    turb = TwoDTurbulence(b=0.3, lambda_perp=2.0, k_perp_range=(0.1, 5.0), k_par_range=(0, 1.0))
    a = turb.sample(n_waves=200, n_realizations=3, seed=9)
    b = turb.sample(n_waves=200, n_realizations=3, seed=9)
    c = turb.sample(n_waves=200, n_realizations=3, seed=10)
    np.testing.assert_array_equal(a.k, b.k)
    np.testing.assert_array_equal(a.phase, b.phase)
    assert not np.array_equal(a.k, c.k)
    k_perp = np.hypot(a.k[..., 0], a.k[..., 1])
    assert k_perp.min() >= 0.1 and k_perp.max() < 5.0
    assert np.abs(a.k[..., 2]).max() < 1.0


@pytest.mark.parametrize(("q", "symmetric"), [(3.0, False), (0.0, True), (1.5, False)])
def test_fused_bendover_path_equals_the_generic_algorithm(q, symmetric):
    """BendOverDensity takes a fused path; any other callable the generic one: same draws."""
    density = BendOverDensity(q, 5.0 / 3.0)
    kw = dict(proposal=density.proposal(symmetric=symmetric), seed=21, band=(0.0, 1e3))
    fused = rejection_sample(density, 5000, **kw)
    generic = rejection_sample(lambda x: density(x), 5000, **kw)
    np.testing.assert_allclose(fused.values, generic.values, rtol=1e-10)
    assert fused.n_proposed == generic.n_proposed
    assert fused.acceptance_rate > 0.6
