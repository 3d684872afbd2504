"""Running and asymptotic diffusion coefficients from ensemble displacements."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from crtransport._validation import check_choice, check_real

__all__ = ["DiffusionEstimate", "asymptotic_diffusion", "running_diffusion"]

Direction = Literal["perp", "par", "xx", "yy", "zz"]
_COMPONENTS = {"perp": (0, 1), "par": (2,), "xx": (0,), "yy": (1,), "zz": (2,)}

#: Convergence criterion: the late-window and mid-window estimates agree within this many
#: standard errors of their (paired) difference.
CONVERGENCE_SIGMAS = 3.0


@dataclass(frozen=True, slots=True)
class DiffusionEstimate:
    """An asymptotic diffusion coefficient with its error and convergence flag.

    Attributes
    ----------
    value : float
        Estimate in rho0^2 omega_c (``D = slope of <dx^2> / 2`` over the late window).
    error : float
        Standard error over the ensemble (one standard deviation).
    converged : bool
        Whether the estimate over the late window agrees with the one over the window before it
        within ``CONVERGENCE_SIGMAS`` standard errors of their difference (a plateau).
    previous_value : float
        The estimate over the earlier window.
    window : tuple of float
        The late fitting window (t_start, t_end) in 1/omega_c.
    estimator : str
        Description of the estimator.
    diff_error : float
        Standard error of the paired difference ``value - previous_value``.
    """

    value: float
    error: float
    converged: bool
    previous_value: float
    window: tuple[float, float]
    estimator: str
    diff_error: float = float("nan")


def _validate(
    times: ArrayLike, displacement: ArrayLike, *, min_particles: int = 1
) -> tuple[NDArray, NDArray]:
    try:
        t = np.asarray(times, dtype=np.float64)
        d = np.asarray(displacement, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError("`times` and `displacement` must be arrays of real numbers.") from None
    if t.ndim != 1 or t.size < 2:
        raise ValueError(f"`times` must have shape (n_save,) with n_save >= 2; got {t.shape}.")
    if d.ndim != 3 or d.shape[1:] != (t.size, 3):
        raise ValueError(
            f"`displacement` must have shape (n_particles, n_save, 3) = (n, {t.size}, 3); "
            f"got {d.shape}."
        )
    if not (np.all(np.isfinite(t)) and np.all(np.diff(t) > 0) and t[0] > 0):
        raise ValueError("`times` must be finite, positive and increasing.")
    if not np.all(np.isfinite(d)):
        raise ValueError("`displacement` must be finite.")
    if d.shape[0] < min_particles:
        why = "" if min_particles < 2 else " (the error is their spread)"
        raise ValueError(
            f"`displacement` must hold at least {min_particles} particles{why}; got {d.shape[0]}."
        )
    return t, d


def running_diffusion(times: ArrayLike, displacement: ArrayLike):  # -> xr.Dataset
    r"""Running diffusion coefficients over time (Palade 2023, eq. 5).

    .. math:: D_{ii}(t) = \frac{\langle (x_i(t) - x_i(0))^2\rangle}{2t}, \qquad
              d_{ii}(t) = \frac12 \frac{d}{dt}\langle (x_i(t) - x_i(0))^2\rangle

    with :math:`D_\perp = (D_{xx} + D_{yy})/2`, :math:`D_\parallel = D_{zz}` (same for ``d``);
    ``d`` uses second-order finite differences (``numpy.gradient``).

    Parameters
    ----------
    times : array_like of float64, shape (n_save,)
        Output times in 1/omega_c, positive and increasing.
    displacement : array_like of float64, shape (n_particles, n_save, 3)
        Displacements r(t) - r(0) in rho0.

    Returns
    -------
    xarray.Dataset
        Dimension ``time``; variables ``D_xx, D_yy, D_zz, D_perp, D_par, d_xx, d_yy, d_zz,
        d_perp, d_par`` in rho0^2 omega_c.

    Raises
    ------
    ValueError
        On inconsistent shapes, non-finite values or non-increasing times.
    """
    import xarray as xr

    t, d = _validate(times, displacement)
    msd = np.einsum("pti,pti->ti", d, d) / d.shape[0]  # (n_save, 3), no temporary copy
    D = msd / (2.0 * t[:, None])
    dd = (
        0.5 * np.gradient(msd, t, axis=0, edge_order=2)
        if t.size > 2
        else 0.5 * np.gradient(msd, t, axis=0)
    )
    unit = "rho0^2 omega_c"
    data = {}
    for i, c in enumerate("xyz"):
        data[f"D_{c}{c}"] = (
            "time",
            D[:, i],
            {"units": unit, "long_name": f"running diffusion D_{c}{c}(t)"},
        )
        data[f"d_{c}{c}"] = (
            "time",
            dd[:, i],
            {"units": unit, "long_name": f"differential diffusion d_{c}{c}(t)"},
        )
    data["D_perp"] = (
        "time",
        0.5 * (D[:, 0] + D[:, 1]),
        {"units": unit, "long_name": "running perpendicular diffusion"},
    )
    data["D_par"] = ("time", D[:, 2], {"units": unit, "long_name": "running parallel diffusion"})
    data["d_perp"] = (
        "time",
        0.5 * (dd[:, 0] + dd[:, 1]),
        {"units": unit, "long_name": "differential perpendicular diffusion"},
    )
    data["d_par"] = (
        "time",
        dd[:, 2],
        {"units": unit, "long_name": "differential parallel diffusion"},
    )
    ds = xr.Dataset(data, coords={"time": ("time", t, {"units": "1/omega_c", "long_name": "time"})})
    ds.attrs["n_particles"] = int(d.shape[0])
    return ds


def _msd(d: NDArray, direction: str) -> NDArray:
    """Per-particle mean of dx_i^2 over the direction's components, shape (n, n_save)."""
    comps = _COMPONENTS[direction]
    y = d[:, :, comps[0]] ** 2
    for c in comps[1:]:
        y += d[:, :, c] ** 2
    y /= len(comps)
    return y


def _window_slopes(t: NDArray, y: NDArray, lo: float, hi: float) -> NDArray:
    """Least-squares slope of y_p(t) for every particle over lo <= t <= hi."""
    sel = (t >= lo) & (t <= hi)
    if sel.sum() < 2:
        raise ValueError(
            f"the window [{lo:g}, {hi:g}] holds {int(sel.sum())} saved times; need >= 2 "
            "(save more often or widen the window)."
        )
    tw = t[sel] - t[sel].mean()
    return (y[:, sel] @ tw) / (tw @ tw)


def asymptotic_diffusion(
    times: ArrayLike,
    displacement: ArrayLike,
    *,
    direction: Direction = "perp",
    window: tuple[float, float] = (0.5, 1.0),
) -> DiffusionEstimate:
    r"""Asymptotic diffusion coefficient with error and convergence flag.

    Estimator: half the least-squares slope of the mean-square displacement over the late window
    ``window * t_end`` (default the second half of the run). The slope converges exponentially
    once the velocity decorrelates, where ``<dx^2>/(2t)`` converges only like ``1/t``. The slope
    is linear in the ensemble mean, so it is the mean of the particles' own slopes, and its
    standard error is their standard deviation over ``sqrt(n_particles)``: exact when every
    particle moves in its own realization (the paper's method), an underestimate when particles
    share one.

    Convergence: the same estimator over the previous window (``window`` shifted down by its
    length on a log scale, default ``[t/4, t/2]``) must agree within
    ``CONVERGENCE_SIGMAS = 3`` standard errors of the paired difference.

    Parameters
    ----------
    times : array_like of float64, shape (n_save,)
        Output times in 1/omega_c.
    displacement : array_like of float64, shape (n_particles, n_save, 3)
        Displacements in rho0.
    direction : {'perp', 'par', 'xx', 'yy', 'zz'}, default: 'perp'
        'perp' is (D_xx + D_yy) / 2, 'par' is D_zz.
    window : (float, float), default: (0.5, 1.0)
        Fitting window as fractions of the last saved time, ``0 < lo < hi <= 1``.

    Returns
    -------
    DiffusionEstimate

    Raises
    ------
    ValueError
        On bad shapes, an unknown direction, a bad window, fewer than two saved times in a
        window, or fewer than two particles (no error can be estimated from one).
    TypeError
        If ``window`` is not a pair.

    Examples
    --------
    >>> import numpy as np
    >>> from crtransport.transport import asymptotic_diffusion
    >>> rng = np.random.default_rng(0)                        # Brownian motion with D = 0.5
    >>> t = np.arange(1, 401) * 0.1
    >>> steps = rng.normal(scale=np.sqrt(0.1), size=(4000, 400, 3))
    >>> est = asymptotic_diffusion(t, np.cumsum(steps, axis=1), direction="par")
    >>> bool(abs(est.value - 0.5) < 4 * est.error), est.converged
    (True, True)
    """
    t, d = _validate(times, displacement, min_particles=2)
    check_choice("direction", direction, _COMPONENTS)
    if isinstance(window, str | bytes) or not hasattr(window, "__len__") or len(window) != 2:
        raise TypeError(f"`window` must be a pair (lo, hi) of fractions of t_end; got {window!r}.")
    lo = check_real("window[0]", window[0], low=0.0, high=1.0, low_open=True, high_open=True)
    hi = check_real("window[1]", window[1], low=lo, high=1.0, low_open=True)
    y = _msd(d, direction)
    t_end = t[-1]
    late = 0.5 * _window_slopes(t, y, lo * t_end, hi * t_end)
    shrink = lo / hi
    early = 0.5 * _window_slopes(t, y, lo * shrink * t_end, lo * t_end)
    n = y.shape[0]  # >= 2 (checked above)
    value = float(late.mean())
    error = float(late.std(ddof=1) / np.sqrt(n))
    diff_err = float((late - early).std(ddof=1) / np.sqrt(n))
    previous = float(early.mean())
    converged = bool(abs(value - previous) <= CONVERGENCE_SIGMAS * diff_err)
    return DiffusionEstimate(
        value=value,
        error=error,
        converged=converged,
        previous_value=previous,
        window=(float(lo * t_end), float(hi * t_end)),
        estimator=(
            f"half the least-squares slope of <d{direction}^2>(t) over "
            f"[{lo:g}, {hi:g}] x t_end; error: std of per-particle slopes / sqrt(N)"
        ),
        diff_error=diff_err,
    )
