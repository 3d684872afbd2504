"""Perpendicular diffusion: NLGC, UNLT and the classical scattering relation."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from crtransport._validation import check_real
from crtransport.theory._qlt import _nonnegative
from crtransport.theory._result import RTOL, TheoryResult, kinematics, solve_theory
from crtransport.theory._spectra import Spectrum, spectrum_of
from crtransport.turbulence import Turbulence

#: The default a^2 of NLGC and UNLT (Matthaeus et al. 2003 fit a^2 = 1/3 to simulations).
DEFAULT_A2 = 1.0 / 3.0


def _inputs(
    function: str, turbulence: Turbulence, T: float, D_par: float, a2: float
) -> tuple[Spectrum, float, float, float]:
    _, v, _ = kinematics(T, function)
    spec = spectrum_of(turbulence, function)
    D_par = check_real("D_par", D_par, low=0.0, low_open=True)
    a2 = check_real("a2", a2, low=0.0, high=10.0, low_open=True)
    return spec, v, D_par, a2


_UNIT = "rho0^2 omega_c"


def _grid(spec: Spectrum) -> tuple[NDArray, NDArray, NDArray]:
    """k_perp^2 (n, 1), k_par^2 (1, m) and <b_x^2>-weighted joint weights of the 2D part."""
    assert spec.perp is not None and spec.par is not None
    kperp2 = spec.perp.k[:, None] ** 2
    kpar2 = spec.par.k[None, :] ** 2
    weights = spec.bx2_2d * spec.perp.weights[:, None] * spec.par.weights[None, :]
    return kperp2, kpar2, weights


def nlgc_perpendicular_diffusion(
    turbulence: Turbulence,
    T: float,
    *,
    D_par: float,
    a2: float = DEFAULT_A2,
    rtol: float = RTOL,
) -> TheoryResult:
    r"""Perpendicular diffusion from nonlinear guiding-centre theory (Matthaeus et al. 2003).

    .. math:: D_\perp = \frac{a^2 v^2}{3 B_0^2}\int d^3k\,
              \frac{P_{xx}(\mathbf k)}{v/\lambda_\parallel + k_\perp^2 D_\perp
              + k_\parallel^2 D_\parallel},
              \qquad \lambda_\parallel = \frac{3 D_\parallel}{v},

    over the slab part (:math:`k_\perp = 0`) and the 2D part of the turbulence, with the
    spectra, energies and bands the simulations draw from. The implicit equation has a unique
    root (its right-hand side decreases with :math:`D_\perp`), found by bracketing and Brent's
    method; iterations and residual are reported.

    Parameters
    ----------
    turbulence : SlabTurbulence, TwoDTurbulence or CompositeTurbulence
        The turbulence.
    T : float
        Kinetic energy in m c^2, > 0.
    D_par : float
        Parallel diffusion coefficient in rho0^2 omega_c, > 0 (from a simulation, or from
        :func:`qlt_parallel_diffusion`).
    a2 : float, default: 1/3
        The constant :math:`a^2` (guiding centres follow field lines with velocity
        :math:`a\,v_\parallel b_x/B_0`), in (0, 10]. Matthaeus et al. fit 1/3.
    rtol : float, default: 1e-10
        Relative tolerance of the implicit equation.

    Returns
    -------
    TheoryResult
        ``value`` is :math:`D_\perp` in rho0^2 omega_c; ``details`` holds ``lambda_mfp``
        (rho0) and ``a2``.

    Raises
    ------
    ValueError
        For isotropic turbulence (not implemented), ``T <= 0``, ``D_par <= 0`` or ``a2``
        outside (0, 10].

    Warns
    -----
    AccuracyWarning
        If the implicit equation does not converge.

    Notes
    -----
    Assumptions: magnetostatic axisymmetric turbulence; isotropic pitch angles
    (:math:`\langle v_z^2\rangle = v^2/3`, velocity decorrelating as
    :math:`e^{-vt/\lambda_\parallel}`); Corrsin's independence hypothesis with diffusive
    (Gaussian) displacements. Validity: diffusive parallel transport, i.e. times long
    compared with :math:`\lambda_\parallel / v`; not for slab turbulence alone, where
    perpendicular transport is subdiffusive and NLGC still returns a finite value.

    References
    ----------
    W. H. Matthaeus, G. Qin, J. W. Bieber & G. P. Zank, ApJ 590, L53 (2003).

    Examples
    --------
    >>> from crtransport.turbulence import CompositeTurbulence
    >>> from crtransport.theory import nlgc_perpendicular_diffusion
    >>> turb = CompositeTurbulence(b=0.5, lambda_perp=5.0)
    >>> res = nlgc_perpendicular_diffusion(turb, T=1.0, D_par=50.0)
    >>> round(res.value, 3), res.converged, res.residual < 1e-8
    (0.185, True, True)
    """
    function = "nlgc_perpendicular_diffusion"
    spec, v, D_par, a2 = _inputs(function, turbulence, T, D_par, a2)
    lam = 3.0 * D_par / v
    nu = v / lam
    pref = a2 * v**2 / 3.0
    slab_term = 0.0
    if spec.slab is not None and spec.bx2_slab > 0:
        kpar2_s = spec.slab.k**2
        slab_term = spec.bx2_slab * float(np.sum(spec.slab.weights / (nu + kpar2_s * D_par)))
    if spec.perp is not None and spec.bx2_2d > 0:
        kperp2, kpar2, weights = _grid(spec)
        base = nu + kpar2 * D_par

        def rhs(d: float) -> float:
            return pref * (slab_term + float(np.sum(weights / (base + kperp2 * d))))
    else:

        def rhs(d: float) -> float:
            return pref * slab_term

    details = {"lambda_mfp": lam, "a2": a2}
    theory = "NLGC (Matthaeus et al. 2003)"
    return solve_theory(
        rhs, rhs(0.0), function=function, theory=theory, unit=_UNIT, rtol=rtol, details=details
    )


def unlt_perpendicular_diffusion(
    turbulence: Turbulence,
    T: float,
    *,
    D_par: float,
    a2: float = DEFAULT_A2,
    rtol: float = RTOL,
) -> TheoryResult:
    r"""Perpendicular diffusion from the unified nonlinear transport theory (Shalchi 2010).

    .. math:: D_\perp = \frac{a^2 v^2}{3 B_0^2}\int d^3k\,
              \frac{P_{xx}(\mathbf k)}{F(k_\parallel, k_\perp)
              + \tfrac43 k_\perp^2 D_\perp + v/\lambda_\parallel},
              \qquad F = \frac{v^2 k_\parallel^2}{3\,k_\perp^2 D_\perp},
              \qquad \lambda_\parallel = \frac{3 D_\parallel}{v}.

    :math:`F` comes from the parallel motion (a telegraph-type propagator with
    :math:`\langle v_z^2\rangle = v^2/3`); it removes the slab part entirely
    (:math:`k_\perp = 0`: :math:`F = \infty`), which is UNLT's statement that slab
    turbulence alone gives subdiffusion (zero :math:`D_\perp`). For pure 2D turbulence
    (:math:`k_\parallel = 0`) the equation is
    :math:`D_\perp = \frac{a^2v^2}{3}\int P_{xx}/(\tfrac43 k_\perp^2 D_\perp
    + v/\lambda_\parallel)`,
    whose limits are the field-line random walk :math:`D_\perp = \frac{a v}{2}\kappa_{2D}`
    for :math:`\lambda_\parallel \to\infty` and the quasilinear
    :math:`D_\perp = a^2 \langle b_x^2\rangle D_\parallel` for :math:`\lambda_\parallel \to 0`
    (both tested). The library's 2D model has a finite :math:`\lambda_\parallel`, so
    :math:`F > 0` for its waves and the equation is solved as written.

    The equation is solved for its largest positive root (scan down from the bound
    :math:`a^2 v \lambda_\parallel \langle b_x^2\rangle / 3`, then Brent's method; plain
    iteration :math:`D \leftarrow G(D)` from 0 returns 0 at the first step for any wave with
    :math:`k_\parallel \neq 0`, and in the 2D limit oscillates); iterations and residual are
    reported.

    Parameters
    ----------
    turbulence : SlabTurbulence, TwoDTurbulence or CompositeTurbulence
        The turbulence.
    T : float
        Kinetic energy in m c^2, > 0.
    D_par : float
        Parallel diffusion coefficient in rho0^2 omega_c, > 0.
    a2 : float, default: 1/3
        The constant :math:`a^2`, in (0, 10] (default: the NLGC value 1/3; fitted, not derived).
    rtol : float, default: 1e-10
        Relative tolerance of the implicit equation.

    Returns
    -------
    TheoryResult
        ``value`` is :math:`D_\perp` in rho0^2 omega_c; ``details`` holds ``lambda_mfp`` and
        ``a2``.

    Raises
    ------
    ValueError
        For isotropic turbulence (not implemented), ``T <= 0``, ``D_par <= 0`` or ``a2``
        outside (0, 10].

    Warns
    -----
    AccuracyWarning
        If the implicit equation does not converge.

    Notes
    -----
    Assumptions as NLGC (magnetostatic axisymmetric turbulence, isotropic pitch angles,
    Corrsin's hypothesis) with the parallel propagator of a pitch-angle diffusion process
    instead of NLGC's factorised exponential. The written form, with :math:`F` as above and
    the factor 4/3, is our reading of Shalchi (2010); the 2D form (:math:`F = 0`) agrees
    with public implementations.

    References
    ----------
    A. Shalchi, ApJ 720, L127 (2010); A. Shalchi, *Nonlinear Cosmic Ray Diffusion Theories*,
    Springer (2009).

    Examples
    --------
    >>> from crtransport.turbulence import CompositeTurbulence
    >>> from crtransport.theory import unlt_perpendicular_diffusion
    >>> turb = CompositeTurbulence(b=0.5, lambda_perp=5.0)
    >>> res = unlt_perpendicular_diffusion(turb, T=1.0, D_par=50.0)
    >>> round(res.value, 3), res.converged
    (0.098, True)
    """
    function = "unlt_perpendicular_diffusion"
    spec, v, D_par, a2 = _inputs(function, turbulence, T, D_par, a2)
    lam = 3.0 * D_par / v
    nu = v / lam
    pref = a2 * v**2 / 3.0
    details = {"lambda_mfp": lam, "a2": a2}
    theory = "UNLT (Shalchi 2010)"
    if spec.perp is None or spec.bx2_2d == 0:
        return TheoryResult(value=0.0, unit="rho0^2 omega_c", theory=theory, details=details)
    kperp2, kpar2, weights = _grid(spec)
    c = v**2 * kpar2 / 3.0

    def rhs(d: float) -> float:
        # 1 / (F + 4/3 k^2 D + nu) written as k^2 D / (c + 4/3 (k^2 D)^2 + nu k^2 D)
        w = kperp2 * d
        return pref * float(np.sum(weights * w / (c + w * ((4.0 / 3.0) * w + nu))))

    upper = pref * spec.bx2_2d / nu
    return solve_theory(
        rhs, upper, function=function, theory=theory, unit=_UNIT, rtol=rtol, details=details
    )


def _unlt_rhs_2d_limit(
    turbulence: Turbulence, T: float, D_perp: float, *, D_par: float, a2: float = DEFAULT_A2
) -> float:
    """One step D <- G(D) of UNLT's pure-2D form (F = 0), for tests of its limits."""
    spec, v, D_par, a2 = _inputs("unlt", turbulence, T, D_par, a2)
    assert spec.perp is not None
    nu = v / (3.0 * D_par / v)
    k2 = spec.perp.k**2
    return (
        a2
        * v**2
        / 3.0
        * spec.bx2_2d
        * float(np.sum(spec.perp.weights / ((4.0 / 3.0) * k2 * D_perp + nu)))
    )


def scattering_perpendicular_diffusion(D_par: Any, T: float) -> NDArray[np.float64]:
    r"""Perpendicular diffusion from the classical scattering relation.

    .. math:: D_\perp = \frac{D_\parallel}{1 + (\lambda_\parallel / r_L)^2},

    with :math:`\lambda_\parallel = 3 D_\parallel / v` and :math:`r_L = \gamma v` (in B0,
    full speed): the perpendicular diffusion of a particle that gyrates about a fixed field
    line and is scattered at random (hard-sphere / BGK collisions) with mean free path
    :math:`\lambda_\parallel`.

    Parameters
    ----------
    D_par : array_like of float
        Parallel diffusion coefficient in rho0^2 omega_c, >= 0.
    T : float
        Kinetic energy in m c^2, > 0.

    Returns
    -------
    ndarray of float64
        :math:`D_\perp` in rho0^2 omega_c.

    Raises
    ------
    ValueError
        If ``D_par`` is negative or not finite, or ``T <= 0``.

    Notes
    -----
    Assumptions: scattering by uncorrelated small-scale irregularities, no field-line
    wandering. It misses the field-line random walk that dominates perpendicular transport in
    turbulence with large-scale perpendicular structure (2D, composite), and the compound
    subdiffusion of slab turbulence; the validation page shows by how much.

    References
    ----------
    J. R. Jokipii, ApJ 146, 480 (1966); S. Chapman & T. G. Cowling (1970), the gyration
    form of the classical collisional result.

    Examples
    --------
    >>> from crtransport.theory import scattering_perpendicular_diffusion
    >>> float(scattering_perpendicular_diffusion(10.0, T=1.0))
    0.0249...
    """
    _, v, r_l = kinematics(T, "scattering_perpendicular_diffusion")
    D = _nonnegative("scattering_perpendicular_diffusion", "D_par", D_par)
    lam = 3.0 * D / v
    return D / (1.0 + (lam / r_l) ** 2)
