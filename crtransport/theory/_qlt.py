"""Quasi-linear theory of pitch-angle scattering and parallel diffusion in slab turbulence."""

from __future__ import annotations

import math
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from crtransport._validation import check_choice, warn_accuracy
from crtransport.theory._result import TheoryResult, kinematics
from crtransport.theory._spectra import Marginal, _log_nodes, spectrum_of
from crtransport.turbulence import Turbulence

#: QLT warns (AccuracyWarning) above this RMS field (B0): it is a first-order theory in b^2.
QLT_MAX_B = 0.3
#: QLT warns when more than this fraction of kappa_par comes from the resonance gap.
QLT_MAX_GAP_FRACTION = 0.25

GapPolicy = Literal["extend", "raise"]
_GAP_POLICIES = ("extend", "raise")
_MU_TINY = 1e-12


def _slab_part(turbulence: Turbulence, function: str) -> tuple[float, Marginal]:
    spec = spectrum_of(turbulence, function)
    if spec.slab is None:
        raise ValueError(
            f"{function}: QLT here is the slab (resonant, magnetostatic) theory; "
            f"{type(turbulence).__name__} has no slab component. Use SlabTurbulence or "
            "CompositeTurbulence."
        )
    if spec.bx2_slab <= 0:
        raise ValueError(
            f"{function}: the slab component has b = 0: no scattering, kappa_par is infinite "
            "(ballistic parallel motion)."
        )
    if turbulence.b > QLT_MAX_B:
        warn_accuracy(
            f"{function}: b = {turbulence.b:g} > {QLT_MAX_B:g}; QLT is first order in "
            "(b/B0)^2 and valid for b << 1 (the validation page measures its error).",
            stacklevel=4,
        )
    return spec.bx2_slab, spec.slab


def _resonant_spectrum(
    bx2: float, slab: Marginal, k: NDArray[np.float64], gap: GapPolicy
) -> NDArray[np.float64]:
    """Per-component spectrum P(k) = <b_x^2> p(k) / 2 of signed k (1/rho0 -> B0^2 rho0)."""
    density = slab.density_unbounded(k) if gap == "extend" else slab.density(k)
    return 0.5 * bx2 * density


def qlt_pitch_angle_diffusion(
    turbulence: Turbulence, T: float, mu: ArrayLike, *, gap: GapPolicy = "extend"
) -> NDArray[np.float64]:
    r"""Quasi-linear pitch-angle diffusion coefficient :math:`D_{\mu\mu}(\mu)`, slab turbulence.

    Along the unperturbed helix the only resonance of a magnetostatic slab wave is
    :math:`k_\parallel = \Omega / (v\mu)`, and (Jokipii 1966)

    .. math:: D_{\mu\mu} = \frac{\pi\,\Omega^2\,(1-\mu^2)}{v\,|\mu|}\,
              P\!\left(k_\parallel = \frac{1}{r_L |\mu|}\right),
              \qquad \Omega = \frac{1}{\gamma},\quad r_L = \gamma v,

    with :math:`P(k)` the spectrum of one transverse component over signed
    :math:`k_\parallel` (:math:`\int P\,dk = \langle b_x^2\rangle = b_{slab}^2/2`), here
    :math:`P(k) = \tfrac12\langle b_x^2\rangle\,p(|k|)` with :math:`p` the normalised
    bend-over density the sampler draws ``|k_par|`` from, truncated to ``k_par_range``.

    Parameters
    ----------
    turbulence : SlabTurbulence or CompositeTurbulence
        The turbulence (for composite, only its slab component scatters here).
    T : float
        Kinetic energy in m c^2, > 0.
    mu : array_like of float
        Pitch cosines in [-1, 1].
    gap : {'extend', 'raise'}, default: 'extend'
        Where the resonant wave number falls outside the band (:math:`|\mu| < 1/(r_L k_{max})`,
        the resonance gap around 90 degrees; also :math:`|\mu| > 1/(r_L k_{min})` if
        ``k_min > 0``): 'extend' continues the bend-over shape beyond the band (same
        normalisation), 'raise' returns the band's own value, which is 0 there.

    Returns
    -------
    ndarray of float64
        :math:`D_{\mu\mu}` in omega_c, the shape of ``mu``; 0 at :math:`\mu = 0` and
        :math:`|\mu| = 1`.

    Raises
    ------
    ValueError
        If the model has no slab component (2D or isotropic: not implemented), the slab part
        has ``b = 0``, ``T <= 0``, ``|mu| > 1`` or ``gap`` is unknown.

    Warns
    -----
    AccuracyWarning
        If ``b > QLT_MAX_B = 0.3``: QLT assumes b << 1.

    Notes
    -----
    Assumptions: magnetostatic slab turbulence, unperturbed helical orbits (first order in
    :math:`(b/B_0)^2`), :math:`D_{\mu\mu}` the time integral of the pitch-angle velocity
    correlation (so :math:`\partial_t f = \partial_\mu (D_{\mu\mu}\partial_\mu f)`).
    Validity: :math:`b \ll 1`.

    References
    ----------
    J. R. Jokipii, ApJ 146, 480 (1966); R. Schlickeiser, *Cosmic Ray Astrophysics* (2002).

    Examples
    --------
    >>> from crtransport.turbulence import SlabTurbulence
    >>> from crtransport.theory import qlt_pitch_angle_diffusion
    >>> turb = SlabTurbulence(b=0.1, lambda_par=2.0)
    >>> qlt_pitch_angle_diffusion(turb, 1.0, [0.0, 0.5, 1.0])
    array([0.      , 0.0007, 0.      ])
    """
    function = "qlt_pitch_angle_diffusion"
    check_choice("gap", gap, _GAP_POLICIES)
    gamma, v, r_l = kinematics(T, function)
    bx2, slab = _slab_part(turbulence, function)
    mu_arr = np.asarray(mu, dtype=np.float64)
    if not np.all(np.abs(mu_arr) <= 1.0):
        bad = mu_arr[~(np.abs(mu_arr) <= 1.0)].ravel()[0]
        raise ValueError(f"{function}: `mu` must be in [-1, 1]; got {bad:g}.")
    a = np.abs(mu_arr)
    out = np.zeros_like(a)
    inside = (a > 0) & (a < 1)
    k_res = 1.0 / (r_l * a[inside])
    spectrum = _resonant_spectrum(bx2, slab, k_res, gap)
    out[inside] = math.pi * (1.0 - a[inside] ** 2) * spectrum / (gamma**2 * v * a[inside])
    return out


def qlt_parallel_diffusion(
    turbulence: Turbulence, T: float, *, gap: GapPolicy = "extend"
) -> TheoryResult:
    r"""Quasi-linear parallel diffusion coefficient :math:`\kappa_\parallel` in slab turbulence.

    .. math:: \kappa_\parallel = \frac{v^2}{8}\int_{-1}^{1}
              \frac{(1-\mu^2)^2}{D_{\mu\mu}(\mu)}\,d\mu,
              \qquad \lambda_\parallel = \frac{3\kappa_\parallel}{v},

    with :math:`D_{\mu\mu}` from :func:`qlt_pitch_angle_diffusion`. It is the asymptotic
    :math:`D_\parallel` of an isotropic (in pitch angle) ensemble.

    **Resonance gap.** The simulations draw waves only in the band ``k_par_range`` (default
    ``(0, 1000 / lambda_par)``). Particles with :math:`|\mu| < \mu_{gap} = 1/(r_L k_{max})`
    find no resonant wave, so the band's own :math:`D_{\mu\mu}` vanishes there, QLT cannot
    carry particles through 90 degrees and the integral diverges: within QLT and a finite band,
    :math:`\kappa_\parallel = \infty`. ``gap='extend'`` (default) bridges the gap with the
    bend-over spectrum continued beyond the band (a power law :math:`k^{-s}`, integrable for
    :math:`s < 2`), which is what the unbounded spectrum gives and what non-resonant (nonlinear)
    effects do to simulated particles; ``details['gap_fraction']`` reports the share of
    :math:`\kappa_\parallel` coming from the gap, and an AccuracyWarning is emitted if it
    exceeds ``QLT_MAX_GAP_FRACTION = 0.25``. ``gap='raise'`` raises instead whenever a gap lies
    inside :math:`0 < |\mu| < 1`.

    Parameters
    ----------
    turbulence : SlabTurbulence or CompositeTurbulence
        The turbulence (for composite, only the slab component scatters: the 2D component's
        resonant scattering is neglected, as in the two-component model of Bieber et al. 1994).
    T : float
        Kinetic energy in m c^2, > 0.
    gap : {'extend', 'raise'}, default: 'extend'
        Resonance-gap policy, see above.

    Returns
    -------
    TheoryResult
        ``value`` is :math:`\kappa_\parallel` in rho0^2 omega_c; ``details`` holds
        ``lambda_mfp`` (rho0), ``gap_mu`` (:math:`\mu_{gap}`), ``gap_fraction`` and
        ``rigidity`` (:math:`r_L/\lambda_\parallel`, bend-over scale of the slab part).

    Raises
    ------
    ValueError
        As :func:`qlt_pitch_angle_diffusion`; if ``s >= 2`` (the integral diverges at
        :math:`\mu = 0` even without a band); if ``gap='raise'`` and a gap exists.

    Warns
    -----
    AccuracyWarning
        If ``b > 0.3`` or the gap carries more than 25 % of the result.

    Notes
    -----
    Assumptions as :func:`qlt_pitch_angle_diffusion` (magnetostatic slab, b << 1), plus
    pitch-angle diffusion fast compared with the spatial scales (diffusion approximation).
    Limits (derived and tested): for :math:`R = r_L/\lambda_\parallel \gg 1`,
    :math:`\kappa_\parallel \to v r_L^2 I / (4\pi b^2 \lambda_\parallel)`
    (:math:`\propto r_L^2`), and for :math:`R \ll 1` and q = 0,
    :math:`\kappa_\parallel \to \frac{2}{(2-s)(4-s)} v r_L^2 I R^{-s} / (\pi b^2\lambda_\parallel)`
    (:math:`\lambda_\parallel \propto r_L^{2-s}`), with
    :math:`I = \int f(x)\,dx` the band integral of the bend-over shape.

    References
    ----------
    J. R. Jokipii, ApJ 146, 480 (1966); K. Hasselmann & G. Wibberenz, Z. Geophys. 34, 353
    (1968); J. W. Bieber et al., ApJ 420, 294 (1994).

    Examples
    --------
    >>> from crtransport.turbulence import SlabTurbulence
    >>> from crtransport.theory import qlt_parallel_diffusion
    >>> res = qlt_parallel_diffusion(SlabTurbulence(b=0.1, lambda_par=2.0), T=1.0)
    >>> round(res.value, 1), round(res.details["lambda_mfp"], 1), round(res.details["gap_mu"], 5)
    (295.5, 1023.6, 0.00115)
    """
    function = "qlt_parallel_diffusion"
    check_choice("gap", gap, _GAP_POLICIES)
    gamma, v, r_l = kinematics(T, function)
    bx2, slab = _slab_part(turbulence, function)
    if slab.s >= 2.0:
        raise ValueError(
            f"{function}: s = {slab.s:g} >= 2: D_mumu falls as |mu|^(s-1) at 90 degrees and the "
            "QLT integral diverges (the 90-degree problem); QLT gives no finite kappa_par."
        )
    k_min, k_max = slab.band
    mu_gap = 1.0 / (r_l * k_max) if math.isfinite(k_max) else 0.0
    mu_top = 1.0 / (r_l * k_min) if k_min > 0 else math.inf
    if gap == "raise" and (mu_gap > 0 or mu_top < 1):
        raise ValueError(
            f"{function}: the band k_par_range = ({k_min:g}, {k_max:g}) leaves no resonant wave "
            f"for |mu| < {mu_gap:.3g}"
            + (f" and |mu| > {mu_top:.3g}" if mu_top < 1 else "")
            + "; QLT's kappa_par is infinite there (gap='extend' bridges it)."
        )
    # integrand (1 - mu^2)^2 / D_mumu = mu (1 - mu^2) gamma^2 v / (pi P(k_res)), mu in (0, 1]
    mu, w = _log_nodes(_MU_TINY, 1.0)
    spectrum = _resonant_spectrum(bx2, slab, 1.0 / (r_l * mu), "extend")
    g = mu * (1.0 - mu**2) * gamma**2 * v / (math.pi * spectrum)
    # below _MU_TINY: g ~ mu^(1 - s), whose integral from 0 is g(mu) mu / (2 - s)
    tail = g[0] * mu[0] / (2.0 - slab.s)
    in_gap = (mu < mu_gap) | (mu > mu_top)
    integral = float(np.sum(w * g) + tail)
    gap_part = float(np.sum(w * g * in_gap) + (tail if mu_gap > _MU_TINY else 0.0))
    kappa = 0.25 * v**2 * integral
    gap_fraction = gap_part / integral
    if gap_fraction > QLT_MAX_GAP_FRACTION:
        warn_accuracy(
            f"{function}: {100 * gap_fraction:.3g} % of kappa_par comes from |mu| < "
            f"{mu_gap:.3g} (the resonance gap of the band k_par_range = ({k_min:g}, "
            f"{k_max:g}) at r_L = {r_l:.4g}), bridged with the spectrum continued beyond the "
            "band; widen the band or treat the value as a model-dependent estimate.",
            stacklevel=3,
        )
    return TheoryResult(
        value=kappa,
        unit="rho0^2 omega_c",
        theory="QLT slab (Jokipii 1966), kappa_par = v^2/8 int (1-mu^2)^2 / D_mumu",
        details={
            "lambda_mfp": 3.0 * kappa / v,
            "gap_mu": mu_gap,
            "gap_fraction": gap_fraction,
            "rigidity": r_l / slab.scale,
        },
    )


def mean_free_path(D_par: Any, T: float) -> NDArray[np.float64]:
    r"""Parallel mean free path :math:`\lambda_\parallel = 3 D_\parallel / v` in rho0.

    Parameters
    ----------
    D_par : array_like of float
        Parallel diffusion coefficient in rho0^2 omega_c, >= 0.
    T : float
        Kinetic energy in m c^2, > 0.

    Returns
    -------
    ndarray of float64
        :math:`\lambda_\parallel` in rho0.

    Raises
    ------
    ValueError
        If ``D_par`` is negative or not finite, or ``T <= 0``.

    Examples
    --------
    >>> from crtransport.theory import mean_free_path
    >>> float(mean_free_path(10.0, T=1.0))   # v = sqrt(3)/2 at T = 1
    34.64...
    """
    _, v, _ = kinematics(T, "mean_free_path")
    D = _nonnegative("mean_free_path", "D_par", D_par)
    return 3.0 * D / v


def _nonnegative(function: str, name: str, value: Any) -> NDArray[np.float64]:
    arr = np.asarray(value, dtype=np.float64)
    if not np.all(np.isfinite(arr) & (arr >= 0)):
        bad = arr[~(np.isfinite(arr) & (arr >= 0))].ravel()[0]
        raise ValueError(f"{function}: `{name}` must be finite and >= 0; got {bad:g}.")
    return arr
