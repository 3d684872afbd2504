"""Accuracy of a fitted state on test data: :class:`SurrogateEvaluation` (the paper's fig. 6)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import xarray as xr
from numpy.typing import ArrayLike, NDArray

from crtransport.surrogate._data import read_table
from crtransport.surrogate._forward import Networks
from crtransport.surrogate._predict import predict_columns

__all__ = ["SurrogateEvaluation", "evaluate_state"]


@dataclass(frozen=True, slots=True, kw_only=True)
class SurrogateEvaluation:
    """Accuracy of a surrogate on a test set (the paper's fig. 6).

    Parameters
    ----------
    prediction : ndarray of float64, shape (n,)
        Predicted values Z (ensemble mean), in the target's units.
    target : ndarray of float64, shape (n,)
        True values Y, in the target's units.
    relative_error : ndarray of float64, shape (n,)
        :math:`Z/Y - 1` (dimensionless), NaN on the rows where ``Y == 0`` (the exact
        b = 0 rows), which relative metrics exclude.
    rms_relative_error : float
        :math:`\\sqrt{\\langle (Z/Y - 1)^2 \\rangle}` over the rows with ``Y != 0``: the
        paper's accuracy figure (about 0.05 there).
    mean_relative_error : float
        :math:`\\langle Z/Y - 1 \\rangle` over the same rows (the bias).
    rms_error : float
        :math:`\\sqrt{\\langle (Z - Y)^2 \\rangle}` over all rows, in the target's units.
    n_excluded : int
        Rows with ``Y == 0`` left out of the relative metrics.
    n_outside_domain : int
        Rows with at least one input outside the training domain (predicted anyway).
    std : ndarray of float64, shape (n,), or None
        Ensemble spread (sample standard deviation over members), None for one network.
    label_noise : float or None
        :math:`\\sqrt{\\langle (\\sigma_Y/Y)^2 \\rangle}` over the rows with ``Y != 0``: the
        RMS relative statistical error of the targets themselves, when the test data carry
        it (variable ``<target>_err``, e.g. ``D_perp_err``); None otherwise. A surrogate that
        were exact would still show this RMS relative error against noisy targets.
    rms_relative_error_denoised : float or None
        :math:`\\sqrt{\\max(0, \\mathrm{rms}^2 - \\mathrm{noise}^2)}`: the RMS relative error
        against the true (noise-free) values, to leading order in the errors, assuming the
        target errors are calibrated and independent of the surrogate's. None without
        ``label_noise``.
    """

    prediction: NDArray[np.float64]
    target: NDArray[np.float64]
    relative_error: NDArray[np.float64]
    rms_relative_error: float
    mean_relative_error: float
    rms_error: float
    n_excluded: int
    n_outside_domain: int
    std: NDArray[np.float64] | None = None
    label_noise: float | None = None
    rms_relative_error_denoised: float | None = None

    def __repr__(self) -> str:
        noise = (
            ""
            if self.label_noise is None
            else f", label_noise={self.label_noise:.4g}, rms_relative_error_denoised="
            f"{self.rms_relative_error_denoised:.4g}"
        )
        return (
            f"SurrogateEvaluation(n={self.target.size}, rms_relative_error="
            f"{self.rms_relative_error:.4g}, mean_relative_error={self.mean_relative_error:.3g}"
            f"{noise}, n_excluded={self.n_excluded}, n_outside_domain={self.n_outside_domain})"
        )


def target_error(data: Any, target: str, shape: tuple[int, ...]) -> NDArray | None:
    """The targets' standard errors ``<target>_err`` when ``data`` (Dataset, Mapping) has them."""
    name = f"{target}_err"
    if not isinstance(data, Mapping | xr.Dataset) or name not in data:
        return None  # arrays carry no errors
    values = data[name]
    sigma = np.asarray(getattr(values, "values", values), dtype=np.float64).reshape(-1)
    if sigma.shape != shape or not np.all(np.isfinite(sigma)) or np.any(sigma < 0):
        raise ValueError(
            f"`{name}` must hold finite standard errors >= 0, one per row ({shape[0]}); got "
            f"shape {sigma.shape} with min {np.nanmin(sigma) if sigma.size else 'n/a'}."
        )
    return sigma


def evaluate_state(nets: Networks, data: Any, y: ArrayLike | None = None) -> SurrogateEvaluation:
    """Compare the predictions of ``nets.state`` with true values; see ``Surrogate.evaluate``."""
    state = nets.state
    X, Y, _ = read_table(data, y, features=state.config.features, target=state.config.target)
    Y = cast(np.ndarray, Y)  # read_table returns the target when one is asked for
    columns = [X[:, k] for k in range(X.shape[1])]
    is_ensemble = state.config.n_models > 1
    result = predict_columns(nets, columns, (X.shape[0],), "ignore", is_ensemble, 2)
    Z, std = result if is_ensemble else (result, None)
    Z = np.asarray(Z, dtype=np.float64).reshape(-1)
    low, high = state.domain_low, state.domain_high
    n_outside = int(np.sum(np.any((low > X) | (high < X), axis=1)))
    keep = Y != 0
    rel = np.full(Y.shape, np.nan)
    rel[keep] = Z[keep] / Y[keep] - 1.0
    if np.any(keep):
        rms_rel = float(np.sqrt(np.mean(rel[keep] ** 2)))
        mean_rel = float(np.mean(rel[keep]))
    else:
        rms_rel = mean_rel = float("nan")
    noise = denoised = None
    sigma = target_error(data, state.config.target, Y.shape)
    if sigma is not None and np.any(keep):
        noise = float(np.sqrt(np.mean((sigma[keep] / Y[keep]) ** 2)))
        denoised = float(np.sqrt(max(rms_rel**2 - noise**2, 0.0)))
    return SurrogateEvaluation(
        prediction=Z,
        target=Y,
        relative_error=rel,
        rms_relative_error=rms_rel,
        mean_relative_error=mean_rel,
        rms_error=float(np.sqrt(np.mean((Z - Y) ** 2))) if Y.size else float("nan"),
        n_excluded=int(np.sum(~keep)),
        n_outside_domain=n_outside,
        std=None if std is None else np.asarray(std, dtype=np.float64).reshape(-1),
        label_noise=noise,
        rms_relative_error_denoised=denoised,
    )
