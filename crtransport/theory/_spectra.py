"""The spectra the simulations draw from, as quadrature rules (private).

Every turbulence model of :mod:`crtransport.turbulence` draws its wave numbers from bend-over
marginals :math:`f(x) = x^q / (1 + x^2)^{(s+q)/2}`, ``x = k lambda``, truncated to a band (the
sampler's :class:`~crtransport.turbulence.BendOverDensity` and ``k_*_range``). The theories need
expectations over those same normalised marginals; :class:`Marginal` turns one into nodes and
weights on a log grid (Gauss-Legendre panels, one per half decade), so that
``sum(w * h(k)) = E[h(k)]`` for smooth ``h``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from crtransport.turbulence import (
    CompositeTurbulence,
    SlabTurbulence,
    Turbulence,
    TwoDTurbulence,
)

#: Gauss-Legendre nodes per panel and panels per decade of the log grid.
_NODES_PER_PANEL = 12
_PANELS_PER_DECADE = 2
#: Grid ends where the band is open: far enough that the missing mass is < 1e-8.
_X_HUGE = 1.0e14
_X_TINY = 1.0e-10
_GL_X, _GL_W = np.polynomial.legendre.leggauss(_NODES_PER_PANEL)


def bendover(x: NDArray[np.float64], q: float, s: float) -> NDArray[np.float64]:
    """Unnormalised bend-over shape ``x^q / (1 + x^2)^((s+q)/2)`` for ``x > 0``."""
    x = np.asarray(x, dtype=np.float64)
    return np.exp(q * np.log(x) - 0.5 * (s + q) * np.log1p(x * x))


def _log_nodes(lo: float, hi: float) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Nodes x and weights for the integral of g(x) dx = g(x) x d(ln x) over [lo, hi]."""
    a, b = math.log(lo), math.log(hi)
    n_panels = max(2, math.ceil((b - a) / math.log(10.0) * _PANELS_PER_DECADE))
    edges = np.linspace(a, b, n_panels + 1)
    half = 0.5 * np.diff(edges)
    mid = 0.5 * (edges[1:] + edges[:-1])
    u = (mid[:, None] + half[:, None] * _GL_X[None, :]).ravel()
    w = (half[:, None] * _GL_W[None, :]).ravel()
    x = np.exp(u)
    return x, w * x


@dataclass(frozen=True)
class Marginal:
    """One bend-over marginal of ``|k|`` on a band, normalised to 1 over the band.

    Attributes
    ----------
    scale : float
        Bend-over length lambda in rho0.
    q, s : float
        Energy- and inertial-range indices.
    band : (float, float)
        Band of ``|k|`` in 1/rho0 (as the turbulence object resolved it).
    """

    scale: float
    q: float
    s: float
    band: tuple[float, float]
    k: NDArray[np.float64] = field(init=False, repr=False)
    weights: NDArray[np.float64] = field(init=False, repr=False)
    norm: float = field(init=False)

    def __post_init__(self) -> None:
        x_min, x_max = self.band[0] * self.scale, self.band[1] * self.scale
        # below x_lo the density ~ x^q holds a mass ~ x_lo^(q+1), added to the norm below
        x_lo = max(x_min, _X_TINY)
        x_hi = min(x_max, _X_HUGE)
        x, w = _log_nodes(x_lo, x_hi)
        f = bendover(x, self.q, self.s)
        norm = float(np.sum(w * f))
        # analytic end pieces of the normalisation: f ~ x^q below x_lo, ~ x^-s above x_hi
        if x_min < x_lo:
            norm += (x_lo ** (self.q + 1.0) - x_min ** (self.q + 1.0)) / (self.q + 1.0)
        if x_max > x_hi:
            norm += x_hi ** (1.0 - self.s) / (self.s - 1.0)
        object.__setattr__(self, "k", x / self.scale)
        object.__setattr__(self, "weights", w * f / norm)
        object.__setattr__(self, "norm", norm)

    @property
    def x_band(self) -> tuple[float, float]:
        """The band in units of the bend-over wave number, ``(k_min lambda, k_max lambda)``."""
        return self.band[0] * self.scale, self.band[1] * self.scale

    def density(self, k: NDArray[np.float64]) -> NDArray[np.float64]:
        """Normalised density of ``|k|`` (1/rho0 -> rho0), zero outside the band.

        For the symmetric parallel marginals the density of signed ``k`` is half of this.
        """
        k = np.asarray(k, dtype=np.float64)
        inside = (k >= self.band[0]) & (k < self.band[1])
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            value = self.scale * bendover(np.abs(k) * self.scale, self.q, self.s) / self.norm
        return np.where(inside, value, 0.0)

    def density_unbounded(self, k: NDArray[np.float64]) -> NDArray[np.float64]:
        """The same shape and normalisation continued outside the band (used in QLT gaps)."""
        k = np.asarray(k, dtype=np.float64)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            return self.scale * bendover(np.abs(k) * self.scale, self.q, self.s) / self.norm

    def density_at_zero(self) -> float:
        """Normalised density of ``|k|`` at ``k = 0`` (inf for q < 0, 0 for q > 0 or a gap)."""
        if self.band[0] > 0 or self.q > 0:
            return 0.0
        if self.q < 0:
            return math.inf
        return self.scale / self.norm


@dataclass(frozen=True)
class Spectrum:
    """Slab and 2D parts of a turbulence model, with ``<b_x^2>`` of each.

    ``slab`` is the marginal of ``|k_par|`` of the slab part (``k_perp = 0``); ``perp`` and
    ``par`` the independent marginals of ``k_perp`` and ``|k_par|`` of the 2D part.
    """

    bx2_slab: float
    bx2_2d: float
    slab: Marginal | None
    perp: Marginal | None
    par: Marginal | None


def spectrum_of(turbulence: Turbulence, function: str) -> Spectrum:
    """Split a turbulence object into its slab and 2D parts, or raise naming ``function``."""
    if isinstance(turbulence, SlabTurbulence):
        return Spectrum(0.5 * turbulence.b**2, 0.0, _slab_marginal(turbulence), None, None)
    if isinstance(turbulence, TwoDTurbulence):
        perp, par = _two_d_marginals(turbulence)
        return Spectrum(0.0, 0.5 * turbulence.b**2, None, perp, par)
    if isinstance(turbulence, CompositeTurbulence):
        slab, two_d = turbulence.components()
        perp, par = _two_d_marginals(two_d)
        return Spectrum(0.5 * slab.b**2, 0.5 * two_d.b**2, _slab_marginal(slab), perp, par)
    if isinstance(turbulence, Turbulence):
        raise ValueError(
            f"{function}: `turbulence` must be slab, 2D or composite turbulence; got the "
            f"{turbulence.model!r} model ({type(turbulence).__name__}), which this theory does "
            "not implement."
        )
    raise TypeError(
        f"{function}: `turbulence` must be a crtransport.turbulence model; got "
        f"{type(turbulence).__name__}."
    )


def _slab_marginal(t: SlabTurbulence) -> Marginal:
    return Marginal(float(t.lambda_par), float(t.q), float(t.s), t.k_par_range)  # type: ignore[arg-type]


def _two_d_marginals(t: TwoDTurbulence) -> tuple[Marginal, Marginal]:
    perp = Marginal(float(t.lambda_perp), float(t.q), float(t.s), t.k_perp_range)  # type: ignore[arg-type]
    par = Marginal(float(t.lambda_par), 0.0, float(t.s), t.k_par_range)  # type: ignore[arg-type,arg-type]
    return perp, par
