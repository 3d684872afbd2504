"""Least-squares power laws in log D versus log rigidity, and the residuals the exporters report."""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from crtransport._validation import AccuracyWarning

if TYPE_CHECKING:  # pragma: no cover
    import xarray as xr

#: Candidate break positions tried before the bounded refinement of a broken power law.
_N_BREAK_CANDIDATES = 64


@dataclass(frozen=True, slots=True, kw_only=True)
class FitQuality:
    r"""How well an exported parameter set reproduces the model's D over the fitted rigidities.

    The residual of point i is :math:`r_i = \ln(D_{code}(\mathcal R_i) / D_{model}(\mathcal
    R_i))`, with :math:`D_{code}` the consumer's own formula evaluated with the written
    parameters (natural log: :math:`|r| \approx` the relative error when small).

    Attributes
    ----------
    rms_log_residual : float
        :math:`\sqrt{\overline{r_i^2}}`.
    max_log_residual : float
        :math:`\max_i |r_i|`.
    n_points : int
        Rigidities used (the model's non-diffusive points are left out).
    rigidity_range : (float, float)
        Smallest and largest rigidity used, GV.
    """

    rms_log_residual: float
    max_log_residual: float
    n_points: int
    rigidity_range: tuple[float, float]

    @property
    def max_relative_error(self) -> float:
        """:math:`\\max_i |D_{code}/D_{model} - 1|`, from the largest residual."""
        return math.expm1(self.max_log_residual)

    def describe(self) -> str:
        """One line, e.g. for a comment in an exported file."""
        lo, hi = self.rigidity_range
        return (
            f"{self.n_points} rigidities in [{lo:.4g}, {hi:.4g}] GV: RMS |ln(D_fit/D)| = "
            f"{self.rms_log_residual:.3g}, max |ln(D_fit/D)| = {self.max_log_residual:.3g} "
            f"(max |D_fit/D - 1| = {100 * self.max_relative_error:.3g} %)"
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe values (for attributes and ``--json``)."""
        return {
            "rms_log_residual": self.rms_log_residual,
            "max_log_residual": self.max_log_residual,
            "max_relative_error": self.max_relative_error,
            "n_points": self.n_points,
            "rigidity_range_GV": list(self.rigidity_range),
        }


def quality(
    rigidity: NDArray[np.float64], fitted: NDArray[np.float64], model: NDArray[np.float64]
) -> FitQuality:
    """The :class:`FitQuality` of ``fitted`` against ``model`` (same units) at ``rigidity``
    (GV)."""
    r = np.log(fitted / model)
    return FitQuality(
        rms_log_residual=float(np.sqrt(np.mean(r * r))),
        max_log_residual=float(np.max(np.abs(r))),
        n_points=int(r.size),
        rigidity_range=(float(np.min(rigidity)), float(np.max(rigidity))),
    )


def fit_power_law(
    x: NDArray[np.float64], y: NDArray[np.float64], x_ref: float
) -> tuple[float, float]:
    """Least squares of ``ln y = ln y_ref + slope ln(x / x_ref)``; returns ``(y_ref, slope)``."""
    t = np.log(x / x_ref)
    A = np.stack([np.ones_like(t), t], axis=1)
    (c, slope), *_ = np.linalg.lstsq(A, np.log(y), rcond=None)
    return float(math.exp(c)), float(slope)


def fit_broken_power_law(
    x: NDArray[np.float64], y: NDArray[np.float64], x_break: float | None = None
) -> tuple[float, float, float, float]:
    """Continuous broken power law in log-log, least squares.

    ``ln y = ln y_b + s1 min(t, 0) + s2 max(t, 0)`` with ``t = ln(x / x_break)``. With
    ``x_break=None`` the break is fitted too: the best of candidates between the second and the
    second-last point, refined by a bounded scalar minimisation. Returns
    ``(y_b, s1, s2, x_break)``.
    """
    from scipy.optimize import minimize_scalar

    lx, ly = np.log(x), np.log(y)

    def solve(lb: float) -> tuple[float, NDArray[np.float64]]:
        t = lx - lb
        A = np.stack([np.ones_like(t), np.minimum(t, 0.0), np.maximum(t, 0.0)], axis=1)
        coef, *_ = np.linalg.lstsq(A, ly, rcond=None)
        sse = float(np.sum((A @ coef - ly) ** 2))
        return sse, coef

    if x_break is not None:
        lb = math.log(x_break)
    else:
        order = np.sort(lx)
        lo, hi = float(order[1]), float(order[-2])
        candidates = np.linspace(lo, hi, _N_BREAK_CANDIDATES)
        sse = [solve(c)[0] for c in candidates]
        i = int(np.argmin(sse))
        left, right = candidates[max(i - 1, 0)], candidates[min(i + 1, len(candidates) - 1)]
        lb = candidates[i]
        if right > left:
            res = minimize_scalar(
                lambda c: solve(c)[0], bounds=(left, right), method="bounded",
                options={"xatol": 1e-10},
            )  # fmt: skip
            if res.fun <= sse[i]:
                lb = float(res.x)
    _, (c, s1, s2) = solve(lb)
    return float(math.exp(c)), float(s1), float(s2), float(x_break or math.exp(lb))


def diffusive_points(
    coefficients: xr.Dataset, components: tuple[str, ...], *, n_min: int, exporter: str
) -> NDArray[np.bool_]:
    """Mask of the rigidities an exporter fits: those where every needed component is flagged
    diffusive and positive; warns about the others, raises if fewer than ``n_min`` remain."""
    if "rigidity" not in coefficients.dims:
        raise ValueError(
            f"{exporter}: `coefficients` must have the dimension 'rigidity' (a Dataset from "
            f"crtransport.diffusion_coefficients); got dimensions {tuple(coefficients.dims)}."
        )
    keep = np.ones(coefficients.sizes["rigidity"], dtype=bool)
    for comp in components:
        flag = f"is_diffusive_{comp}"
        if flag in coefficients:
            keep &= np.asarray(coefficients[flag].values, dtype=bool)
        keep &= np.asarray(coefficients[f"D_{comp}"].values) > 0
    rig = np.asarray(coefficients["rigidity"].values)
    if not np.all(keep):
        warnings.warn(
            f"{exporter}: transport is not diffusive (or D = 0) at rigidities "
            f"{np.array2string(rig[~keep], precision=4, threshold=6)} GV; they are left out of "
            "the fit.",
            AccuracyWarning,
            stacklevel=3,
        )
    if int(keep.sum()) < n_min:
        raise ValueError(
            f"{exporter}: the fit needs at least {n_min} rigidities with diffusive transport; "
            f"got {int(keep.sum())} of {keep.size}. Give a finer or wider rigidity grid."
        )
    return keep
