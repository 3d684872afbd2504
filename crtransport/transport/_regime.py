"""Is there a diffusion coefficient at all? Plateau test and transport-regime exponent."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from crtransport._validation import check_choice, check_real
from crtransport.transport._diffusion import (
    _COMPONENTS,
    DiffusionEstimate,
    Direction,
    _msd,
    _validate,
)

__all__ = ["TransportRegime", "plateau_reached", "transport_exponent"]

Regime = Literal["diffusive", "sub-diffusive", "super-diffusive"]

#: Groups of particles for the jackknife error of the exponent.
N_BATCHES = 16
#: An exponent within this distance of 1 (or within 3 standard errors) reads as diffusive.
DIFFUSIVE_BAND = 0.1


@dataclass(frozen=True, slots=True)
class TransportRegime:
    r"""Power-law exponent of the mean-square displacement, :math:`\langle\Delta x^2\rangle
    \propto t^\alpha`, fitted over the last decade of a run.

    Attributes
    ----------
    alpha : float
        Exponent: 1 diffusive, < 1 sub-diffusive, > 1 super-diffusive (2 ballistic).
    alpha_err : float
        Standard error (delete-one-group jackknife over 16 groups of particles).
    regime : {'diffusive', 'sub-diffusive', 'super-diffusive'}
        ``'diffusive'`` when ``|alpha - 1| <= max(DIFFUSIVE_BAND, sigmas * alpha_err)``
        (``DIFFUSIVE_BAND = 0.1``, ``sigmas = 3`` unless asked otherwise).
    window : (float, float)
        Fitting window in 1/omega_c.
    """

    alpha: float
    alpha_err: float
    regime: Regime
    window: tuple[float, float]


def transport_exponent(
    times: ArrayLike,
    displacement: ArrayLike,
    *,
    direction: Direction = "perp",
    decades: float = 1.0,
    sigmas: float = 3.0,
) -> TransportRegime:
    r"""Exponent of :math:`\langle \Delta x^2\rangle \propto t^\alpha` over the last ``decades``.

    Least squares of ``log I(t)`` against ``log t`` over ``[t_end 10^-decades, t_end]``, with
    the increment :math:`I(t) = \langle\Delta x^2\rangle(t) - \langle\Delta x^2\rangle(t/2)`
    (linear interpolation at ``t/2``). For a power law ``I ~ t^alpha`` exactly as the
    mean-square displacement itself, but a constant offset left by an early transient (the
    ballistic start of a diffusive run) cancels, so a run on its plateau reads ``alpha = 1``
    and not the ``1 + offset / (2 D t)`` of a plain fit. The error is the spread of the same
    fit with each of ``N_BATCHES = 16`` groups of particles left out (jackknife).
    Report this where no plateau is reached: a diffusion coefficient exists only for
    ``alpha = 1``.

    Parameters
    ----------
    times : array_like of float64, shape (n_save,)
        Output times in 1/omega_c.
    displacement : array_like of float64, shape (n_particles, n_save, 3)
        Displacements in rho0 (>= 2 particles; the batch error wants >= 16).
    direction : {'perp', 'par', 'xx', 'yy', 'zz'}, default: 'perp'
    decades : float, default: 1.0
        Width of the fitting window in decades of time, in (0, 3].
    sigmas : float, default: 3.0
        The regime reads ``'diffusive'`` when ``|alpha - 1| <= max(DIFFUSIVE_BAND, sigmas *
        alpha_err)``, > 0.

    Returns
    -------
    TransportRegime

    Raises
    ------
    ValueError
        On bad shapes or direction, ``decades`` out of range, or fewer than 3 saved times in
        the window (or its half-times before the first saved time).

    Notes
    -----
    Where the mean-square displacement does not grow over the window (bounded motion, such as
    the helix at ``b = 0`` seen by the guiding centre) the result is ``alpha = 0``,
    ``alpha_err = 0``, ``'sub-diffusive'``. Where leaving out one group of particles stops it
    growing, ``alpha_err`` is infinite and the regime is read with ``DIFFUSIVE_BAND`` alone.

    Examples
    --------
    >>> import numpy as np
    >>> from crtransport.transport import transport_exponent
    >>> rng = np.random.default_rng(0)                        # Brownian motion: alpha = 1
    >>> t = np.arange(1, 401) * 0.1
    >>> walk = np.cumsum(rng.normal(scale=np.sqrt(0.1), size=(2000, 400, 3)), axis=1)
    >>> reg = transport_exponent(t, walk, direction="par")
    >>> reg.regime, bool(abs(reg.alpha - 1) < 4 * reg.alpha_err + 0.02)
    ('diffusive', True)
    """
    t, d = _validate(times, displacement)
    check_choice("direction", direction, _COMPONENTS)
    decades = check_real("decades", decades, low=0.0, high=3.0, low_open=True)
    sigmas = check_real("sigmas", sigmas, low=0.0, low_open=True)
    sel = (t >= t[-1] * 10.0**-decades) & (0.5 * t >= t[0])
    if sel.sum() < 3:
        raise ValueError(
            f"the last {decades:g} decade(s) of the run hold {int(sel.sum())} usable saved "
            "times; need >= 3 (save more often or fit more decades)."
        )
    y = _msd(d, direction)
    logt = np.log(t[sel])
    logt = logt - logt.mean()

    def fit(rows: NDArray[np.float64]) -> float:
        m = rows.mean(axis=0)
        inc = m[sel] - np.interp(0.5 * t[sel], t, m)
        if np.any(inc <= 0):
            raise _NoGrowth
        ly = np.log(inc)
        return float((ly - ly.mean()) @ logt / (logt @ logt))

    window = (float(t[sel][0]), float(t[-1]))
    try:
        alpha = fit(y)
    except _NoGrowth:
        # bounded motion (a helix at b = 0, a trapped orbit): <dx^2> stops growing, alpha = 0
        return TransportRegime(alpha=0.0, alpha_err=0.0, regime="sub-diffusive", window=window)
    n = y.shape[0]
    n_groups = min(N_BATCHES, n)
    alpha_err = float("inf")
    if n_groups >= 2:
        # delete-one-group jackknife: each estimate keeps (g - 1) / g of the particles, so its
        # increments stay positive where a small batch's could not
        groups = np.array_split(np.arange(n), n_groups)
        total = y.sum(axis=0)
        try:
            values = np.array([fit((total - y[g].sum(axis=0))[None, :]) for g in groups])
        except _NoGrowth:
            pass  # a group dominates the growth: no error estimate (inf)
        else:
            spread = np.sum((values - values.mean()) ** 2)
            alpha_err = float(np.sqrt((n_groups - 1) / n_groups * spread))
    band = DIFFUSIVE_BAND
    if np.isfinite(alpha_err):
        band = max(band, sigmas * alpha_err)
    regime: Regime
    if abs(alpha - 1.0) <= band:
        regime = "diffusive"
    elif alpha < 1.0:
        regime = "sub-diffusive"
    else:
        regime = "super-diffusive"
    return TransportRegime(alpha=alpha, alpha_err=alpha_err, regime=regime, window=window)


class _NoGrowth(Exception):
    """The mean-square displacement does not grow over the fitting window."""


def plateau_reached(estimate: DiffusionEstimate, tolerance: float = 0.05) -> bool:
    r"""Whether an asymptotic estimate sits on a plateau of the running coefficient.

    The late window's slope ``D`` and the previous window's ``D'`` (a factor 2 earlier in
    time; :func:`asymptotic_diffusion`) must agree within the relative tolerance once their
    statistical difference is allowed for:

    .. math:: |D - D'| \le \epsilon\,|D| + 2\sigma_{D-D'}

    where :math:`\sigma_{D-D'}` is the standard error of the paired difference. This is
    stricter than the estimate's own ``converged`` flag (:math:`3\sigma`, no tolerance): a
    running coefficient falling as :math:`t^{-0.45}` (compound sub-diffusion) drops by 27 %
    between the windows and fails it even at 10 % statistical error, where the
    :math:`3\sigma` test alone can pass.

    Parameters
    ----------
    estimate : DiffusionEstimate
        From :func:`crtransport.transport.asymptotic_diffusion`.
    tolerance : float, default: 0.05
        Relative tolerance, in (0, 1).

    Returns
    -------
    bool
    """
    tolerance = check_real("tolerance", tolerance, low=0.0, high=1.0, low_open=True, high_open=True)
    diff = abs(estimate.value - estimate.previous_value)
    return bool(
        estimate.converged and diff <= tolerance * abs(estimate.value) + 2.0 * estimate.diff_error
    )
