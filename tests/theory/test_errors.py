"""Bad input: every error and warning names the function, the input and the reason."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from crtransport import AccuracyWarning
from crtransport.theory import (
    flrw_diffusion,
    mean_free_path,
    nlgc_perpendicular_diffusion,
    qlt_parallel_diffusion,
    qlt_pitch_angle_diffusion,
    scattering_perpendicular_diffusion,
    unlt_perpendicular_diffusion,
)
from crtransport.theory._result import solve_largest_root
from crtransport.turbulence import (
    CompositeTurbulence,
    IsotropicTurbulence,
    SlabTurbulence,
    TwoDTurbulence,
)

SLAB = SlabTurbulence(b=0.1, lambda_par=2.0)
COMPOSITE = CompositeTurbulence(b=0.5, lambda_perp=5.0)
ISO = IsotropicTurbulence(b=0.2, lambda_iso=3.0)


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: qlt_parallel_diffusion(ISO, 1.0), "qlt_parallel_diffusion"),
        (lambda: qlt_pitch_angle_diffusion(ISO, 1.0, 0.5), "qlt_pitch_angle_diffusion"),
        (lambda: flrw_diffusion(ISO), "flrw_diffusion"),
        (lambda: nlgc_perpendicular_diffusion(ISO, 1.0, D_par=1.0), "nlgc_perpendicular"),
        (lambda: unlt_perpendicular_diffusion(ISO, 1.0, D_par=1.0), "unlt_perpendicular"),
    ],
)
def test_isotropic_turbulence_is_refused_by_name(call, name):
    with pytest.raises(ValueError, match=rf"{name}.*'isotropic' model .*does\s+not implement"):
        call()


def test_not_a_turbulence_object():
    with pytest.raises(TypeError, match="flrw_diffusion: `turbulence` must be a crtransport"):
        flrw_diffusion({"b": 0.1})


def test_qlt_needs_a_slab_component():
    with pytest.raises(ValueError, match=r"qlt_parallel_diffusion: .*TwoDTurbulence has no slab"):
        qlt_parallel_diffusion(TwoDTurbulence(b=0.1, lambda_perp=2.0), 1.0)


def test_qlt_b_zero_and_large_b():
    with pytest.raises(ValueError, match=r"qlt_parallel_diffusion: .*b = 0: no scattering"):
        qlt_parallel_diffusion(SlabTurbulence(b=0.0, lambda_par=2.0), 1.0)
    with pytest.warns(AccuracyWarning, match=r"qlt_parallel_diffusion: b = 0.5 > 0.3; QLT"):
        res = qlt_parallel_diffusion(SlabTurbulence(b=0.5, lambda_par=2.0), 1.0)
    assert math.isfinite(res.value)


def test_qlt_steep_spectrum_and_gap_policy():
    with pytest.raises(ValueError, match=r"qlt_parallel_diffusion: s = 2.5 >= 2: .*diverges"):
        qlt_parallel_diffusion(SlabTurbulence(b=0.1, lambda_par=2.0, s=2.5), 1.0)
    with pytest.raises(ValueError, match=r"no resonant wave for \|mu\| < 0.00115"):
        qlt_parallel_diffusion(SLAB, 1.0, gap="raise")
    with pytest.raises(ValueError, match=r"and \|mu\| > "):
        qlt_parallel_diffusion(SlabTurbulence(b=0.1, lambda_par=2.0, k_par_range=(1.0, 1e9)),
                               1.0, gap="raise")  # fmt: skip
    with pytest.raises(ValueError, match="`gap` must be one of 'extend', 'raise'; got 'none'"):
        qlt_parallel_diffusion(SLAB, 1.0, gap="none")
    # a narrow band: most of kappa comes from the bridged gap, and the warning says so
    narrow = SlabTurbulence(b=0.1, lambda_par=2.0, k_par_range=(0.0, 1.0))
    with pytest.warns(AccuracyWarning, match=r"qlt_parallel_diffusion: .* % of kappa_par comes"):
        qlt_parallel_diffusion(narrow, 1.0)
    # with gap='raise' the band's own D_mumu is 0 inside the gap
    d = qlt_pitch_angle_diffusion(narrow, 1.0, [0.01, 0.9], gap="raise")
    assert d[0] == 0.0 and d[1] > 0


def test_bad_scalars():
    with pytest.raises(ValueError, match=r"`T` must be in \(0, inf\); got 0"):
        qlt_parallel_diffusion(SLAB, 0.0)
    with pytest.raises(ValueError, match=r"qlt_pitch_angle_diffusion: `mu` must be in \[-1, 1\]"):
        qlt_pitch_angle_diffusion(SLAB, 1.0, [0.5, 1.5])
    with pytest.raises(ValueError, match=r"`D_par` must be in \(0, inf\); got -1"):
        nlgc_perpendicular_diffusion(COMPOSITE, 1.0, D_par=-1.0)
    with pytest.raises(ValueError, match=r"`a2` must be in \(0, 10\]; got 0"):
        unlt_perpendicular_diffusion(COMPOSITE, 1.0, D_par=1.0, a2=0.0)
    with pytest.raises(ValueError, match=r"mean_free_path: `D_par` must be finite and >= 0"):
        mean_free_path(np.array([1.0, np.nan]), 1.0)
    with pytest.raises(ValueError, match=r"scattering_perpendicular_diffusion: `D_par` must be"):
        scattering_perpendicular_diffusion(-2.0, 1.0)


def test_non_convergence_warns_by_name():
    with pytest.warns(AccuracyWarning, match=r"my_theory: the implicit equation did not converge"):
        value, _calls, residual, converged = solve_largest_root(
            lambda d: 2.0 / d, 10.0, function="my_theory", rtol=1e-14, max_iter=2
        )
    assert not converged and residual > 0 and math.isfinite(value)


def test_converged_results_never_nan_and_silent():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for res in (
            flrw_diffusion(COMPOSITE),
            nlgc_perpendicular_diffusion(COMPOSITE, 1.0, D_par=30.0),
            unlt_perpendicular_diffusion(COMPOSITE, 1.0, D_par=30.0),
        ):
            assert res.converged and math.isfinite(res.value) and res.value > 0
            assert float(res) == res.value
