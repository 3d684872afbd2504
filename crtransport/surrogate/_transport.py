"""The general surrogate: D_perp and D_par in similarity variables, with uncertainty and flags.

:class:`TransportSurrogate` composes four :class:`~crtransport.surrogate.Surrogate` ensembles
trained on a database in the dimensionless variables of magnetostatic similarity
(``R = r_L / lambda_perp``, ``b``, ``anisotropy = lambda_par / lambda_perp``,
``slab_fraction``):

* ``ln d_perp`` and ``ln d_par`` with ``d = D / (v lambda_perp)``, fitted to the rows whose
  running coefficient reached a plateau; the ensemble's spread, scaled by a factor calibrated
  on held-out training rows, is the uncertainty of a prediction;
* the probability that a run reaches a plateau, per direction (a least-squares classifier on
  the ``is_converged_*`` flags): where it is below 1/2 the model reports that transport is not
  diffusive within the simulated length (sub-diffusive, or a parallel mean free path beyond
  the run) instead of a coefficient.

Everything here is NumPy and the surrogate's own files; JAX loads only to fit or to predict
large batches.
"""

from __future__ import annotations

import itertools
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr
from numpy.typing import ArrayLike, NDArray

from crtransport._validation import check_choice, check_int, check_real
from crtransport.surrogate._config import SurrogateConfig
from crtransport.surrogate._data import DIRECTIONS, FEATURES, dimensionless_table, space_domain
from crtransport.surrogate._predict import ON_EXTRAPOLATE, check_extrapolation, predict_columns
from crtransport.surrogate._transport_fused import (
    FUSED_MAX,
    FusedNet,
    forward_fused,
    fused_net,
)

__all__ = ["TransportSurrogate", "TransportFitSettings"]

#: The four parts, in the order of the stacked network.
_PARTS = tuple(f"ln_d_{d}" for d in DIRECTIONS) + tuple(f"diffusive_{d}" for d in DIRECTIONS)
_SCALARS = (float, int, np.float64, np.float32)
#: ``predict``'s keys per direction, in the order of its values (d, s, d s, p, p >= 1/2).
_OUTPUT_KEYS = tuple(
    (f"d_{d}", f"ln_d_{d}_std", f"d_{d}_std", f"p_diffusive_{d}", f"is_diffusive_{d}")
    for d in DIRECTIONS
)
#: Two-sided normal quantiles of the 68 % and 95 % intervals.
_Z68, _Z95 = 0.9944578832097535, 1.959963984540054


@dataclass(frozen=True, slots=True, kw_only=True)
class TransportFitSettings:
    """How :meth:`TransportSurrogate.fit` trains (recorded in the file)."""

    hidden_widths: tuple[int, ...] = (64, 64)
    activation: str = "tanh"
    n_models: int = 5
    n_epochs: int = 4000
    learning_rate: float = 3e-3
    calibration_fraction: float = 0.15

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "n_models", check_int("n_models", self.n_models, low=2))
        set_(self, "n_epochs", check_int("n_epochs", self.n_epochs, low=1))
        set_(
            self,
            "calibration_fraction",
            check_real(
                "calibration_fraction", self.calibration_fraction, low=0.0, high=0.5,
                low_open=True,
            ),
        )  # fmt: skip

    def to_dict(self) -> dict[str, Any]:
        return {
            "hidden_widths": list(self.hidden_widths),
            "activation": self.activation,
            "n_models": self.n_models,
            "n_epochs": self.n_epochs,
            "learning_rate": self.learning_rate,
            "calibration_fraction": self.calibration_fraction,
        }


class TransportSurrogate:
    """D_perp and D_par of magnetostatic turbulence in similarity variables.

    Fit with :meth:`fit` on a database (e.g. ``crtransport.datasets.general()``), predict with
    :meth:`predict` (dimensionless) or through :func:`crtransport.diffusion_coefficients` (in
    physical units), measure with :meth:`evaluate` on held-out rows, keep with :meth:`save`
    and :meth:`load` (a zip of the four ensembles' ``.npz`` files and a JSON manifest; no
    pickle).
    """

    def __init__(
        self,
        models: Mapping[str, Any],
        *,
        calibration: Mapping[str, float],
        domain: Mapping[str, tuple[float, float]],
        metadata: Mapping[str, Any] | None = None,
    ) -> None:
        expected = {f"ln_d_{d}" for d in DIRECTIONS} | {f"diffusive_{d}" for d in DIRECTIONS}
        if set(models) != expected:
            raise ValueError(f"`models` must hold {sorted(expected)}; got {sorted(models)}.")
        self._models = dict(models)
        self.calibration = {k: float(v) for k, v in calibration.items()}
        self.domain = {k: (float(lo), float(hi)) for k, (lo, hi) in domain.items()}
        self.metadata = dict(metadata or {})
        # the four parts as one stacked network for small batches (None if they differ)
        self._fused: FusedNet | None = fused_net(self._models, _PARTS)
        self._calibration_column = np.array([[self.calibration[d]] for d in DIRECTIONS])

    # ------------------------------------------------------------------ training
    @classmethod
    def fit(
        cls,
        data: xr.Dataset,
        *,
        settings: TransportFitSettings | None = None,
        key: int = 0,
        progress: bool | None = False,
    ) -> TransportSurrogate:
        """Train on the training rows of a database (``split == 0`` where it has a split).

        A fraction ``settings.calibration_fraction`` of them (seeded by ``key``) is held back
        to calibrate the uncertainty: the factor ``c`` per direction that makes
        ``(y - mean) / sqrt((c s)^2 + e^2)`` have unit RMS there (``s`` the ensemble spread,
        ``e`` the label noise); the models are then refitted on all training rows.
        """
        from crtransport.surrogate._model import Surrogate

        settings = settings or TransportFitSettings()
        key = check_int("key", key, low=0)
        table = dimensionless_table(data)
        if "split" in table:
            table = table.isel(sample=np.flatnonzero(table["split"].values == 0))
        domain = space_domain(data, table, FEATURES)
        rng = np.random.default_rng(key)
        n = table.sizes["sample"]
        held = rng.random(n) < settings.calibration_fraction
        models: dict[str, Any] = {}
        calibration: dict[str, float] = {}
        held_rms: dict[str, float] = {}
        for d in DIRECTIONS:
            target = f"ln_d_{d}"
            good = (table[f"diffusive_{d}"].values == 1.0) & np.isfinite(table[target].values)
            config = _config(settings, target, "identity")
            probe = Surrogate(config).fit(
                table.isel(sample=np.flatnonzero(good & ~held)), key=key, domain=domain,
                progress=progress,
            )  # fmt: skip
            cal = table.isel(sample=np.flatnonzero(good & held))
            mean, spread = _predict_ln(probe, cal)
            calibration[d] = _calibration_factor(
                cal[target].values, mean, spread, cal[f"{target}_err"].values
            )
            held_rms[d] = float(np.sqrt(np.mean((cal[target].values - mean) ** 2)))
            models[target] = Surrogate(config).fit(
                table.isel(sample=np.flatnonzero(good)), key=key, domain=domain,
                progress=progress,
            )  # fmt: skip
            flag = f"diffusive_{d}"
            models[flag] = Surrogate(_config(settings, flag, "identity")).fit(
                table, key=key, domain=domain, progress=progress
            )
        metadata = {
            "settings": settings.to_dict(),
            "n_training_rows": int(n),
            "n_calibration_rows": int(held.sum()),
            # RMS error of ln d on the held-back rows, by the models fitted without them: a
            # test-set-blind score for choosing settings (label noise included)
            "held_back_rms_ln_error": held_rms,
            "key": key,
            "database": {k: data.attrs.get(k) for k in ("title", "crtransport_version")},
        }
        return cls(models, calibration=calibration, domain=domain, metadata=metadata)

    # ------------------------------------------------------------------ prediction
    def predict(
        self,
        R: ArrayLike,
        b: ArrayLike,
        anisotropy: ArrayLike,
        slab_fraction: ArrayLike = 0.0,
        *,
        on_extrapolate: str = "raise",
    ) -> dict[str, NDArray]:
        """Dimensionless coefficients ``d = D / (v lambda_perp)`` with their uncertainty.

        Parameters
        ----------
        R, b, anisotropy, slab_fraction : float or array_like
            The similarity variables (broadcast together).
        on_extrapolate : {'raise', 'warn', 'ignore'}, default: 'raise'
            What an input outside the training domain gets (the message names the input, the
            value and the range).

        Returns
        -------
        dict of str to ndarray
            Arrays of the inputs' broadcast shape (NumPy scalars when every input is a Python
            or NumPy scalar): ``d_perp``, ``d_par``; ``d_perp_std``, ``d_par_std`` (one
            standard deviation of the model, calibrated; log-normal: ``d * exp(+-z s)``
            bounds an interval, and ``d_*_std`` is its linear size ``d * s``); ``ln_d_*_std``
            (``s``);
            ``p_diffusive_perp``, ``p_diffusive_par`` (probability that a run reaches a
            plateau); ``is_diffusive_perp``, ``is_diffusive_par`` (that probability >= 1/2).
        """
        if on_extrapolate not in ON_EXTRAPOLATE:
            check_choice("on_extrapolate", on_extrapolate, ON_EXTRAPOLATE)
        inputs = (R, b, anisotropy, slab_fraction)
        if all(type(v) in _SCALARS for v in inputs):
            columns, shape = [np.array([v], dtype=np.float64) for v in inputs], ()
        else:
            arrays = np.broadcast_arrays(*(np.asarray(a, dtype=np.float64) for a in inputs))
            columns = [np.ascontiguousarray(a.ravel()) for a in arrays]
            shape = arrays[0].shape
        fused = self._fused if columns[0].size <= FUSED_MAX else None
        if fused is not None:
            # small batches: the four parts in one stacked pass
            mean, spread, outside = forward_fused(fused, columns)
            if outside and on_extrapolate != "ignore":
                check_extrapolation(self._models[fused.parts[0]].state, columns,
                                    on_extrapolate, stacklevel=3)  # fmt: skip
        else:
            # the four share the features and the domain: the first checks the inputs (and
            # applies the policy), the others run straight on the columns
            results, policy = [], on_extrapolate
            for name in _PARTS:
                nets = self._models[name]._networks()
                results.append(predict_columns(nets, columns, (-1,), policy, True, stacklevel=3))
                policy = "ignore"
            mean = np.array([m for m, _ in results], dtype=np.float64)
            spread = np.array([s for _, s in results], dtype=np.float64)
        # rows of mean and spread: ln d_perp, ln d_par, then the two plateau classifiers
        d = np.exp(mean[:2])
        s = spread[:2] * self._calibration_column
        p = np.minimum(np.maximum(mean[2:], 0.0), 1.0)  # (np.clip costs more per call)
        values = (d, s, d * s, p, p >= 0.5)
        if shape == ():  # one point: NumPy scalars (shape ()), cheaper than 0-d arrays
            return {
                key: value[i, 0]
                for i, keys in enumerate(_OUTPUT_KEYS)
                for key, value in zip(keys, values, strict=True)
            }
        return {
            key: value[i].reshape(shape)
            for i, keys in enumerate(_OUTPUT_KEYS)
            for key, value in zip(keys, values, strict=True)
        }

    def predict_dimensionless(
        self, R: ArrayLike, b: ArrayLike, anisotropy: ArrayLike, slab_fraction: ArrayLike
    ) -> dict[str, NDArray]:
        """The :class:`crtransport.TransportModel` protocol: :meth:`predict` evaluated
        everywhere. The caller applies the domain policy: :func:`crtransport.diffusion_coefficients`
        and the exporters check ``domain`` with their ``on_extrapolate`` (in physical
        units) before they call this."""
        return self.predict(R, b, anisotropy, slab_fraction, on_extrapolate="ignore")

    # ------------------------------------------------------------------ evaluation
    def evaluate(self, data: xr.Dataset) -> dict[str, Any]:
        """Accuracy and calibration on held-out rows (``split == 1`` where there is a split).

        Per direction, over the rows whose run reached a plateau: the RMS error of
        ``ln d`` (about the relative error) and its mean (a bias), the same with the labels'
        own noise subtracted in quadrature (the model's intrinsic error), the share of rows
        inside the 68 % and 95 % intervals (model uncertainty and label noise combined), and
        the five worst rows, and the errors by decade of ``R``; plus the classifier's accuracy
        on the plateau flags over all rows.
        """
        table = dimensionless_table(data)
        if "split" in table:
            table = table.isel(sample=np.flatnonzero(table["split"].values == 1))
        pred = self.predict(*(table[f].values for f in FEATURES), on_extrapolate="ignore")
        report: dict[str, Any] = {"n_rows": int(table.sizes["sample"])}
        for d in DIRECTIONS:
            y = table[f"ln_d_{d}"].values
            label_err = table[f"ln_d_{d}_err"].values
            # a row without a finite error bar would make the noise, the intrinsic error and
            # the coverage NaN (and count as outside every interval): left out of all of them
            good = (table[f"diffusive_{d}"].values == 1.0) & np.isfinite(y) & np.isfinite(label_err)
            err = np.log(pred[f"d_{d}"][good]) - y[good]
            noise = label_err[good]
            s = pred[f"ln_d_{d}_std"][good]
            z = err / np.sqrt(s**2 + noise**2)
            raw = float(np.sqrt(np.mean(err**2)))
            intrinsic = math.sqrt(max(raw**2 - float(np.mean(noise**2)), 0.0))
            order = np.argsort(-np.abs(z))[:5]
            rows = np.flatnonzero(good)[order]
            report[f"D_{d}"] = {
                "n_rows": int(good.sum()),
                "rms_relative_error": raw,
                # the mean of ln(model / label): a bias between the training and the test
                # labels (e.g. run lengths that differ with the particle count) shows here
                "mean_relative_error": float(np.mean(err)) if len(err) else math.nan,
                "rms_label_noise": float(np.sqrt(np.mean(noise**2))),
                "rms_intrinsic_error": intrinsic,
                "coverage_68": float(np.mean(np.abs(z) <= _Z68)),
                "coverage_95": float(np.mean(np.abs(z) <= _Z95)),
                "worst": [
                    {
                        **{f: float(table[f].values[r]) for f in FEATURES},
                        "relative_error": float(err[i]),
                        "z": float(z[i]),
                    }
                    for r, i in zip(rows, order, strict=True)
                ],
                "by_R": _by_decade(table["R"].values[good], err, noise, self.domain["R"]),
            }
            truth = table[f"diffusive_{d}"].values == 1.0
            report[f"D_{d}"]["flag_accuracy"] = float(np.mean(pred[f"is_diffusive_{d}"] == truth))
        return report

    # ------------------------------------------------------------------ files
    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the model: a zip of ``manifest.json`` and one surrogate ``.npz`` per part
        (no pickle; :mod:`crtransport.surrogate._transport_io`)."""
        from crtransport.surrogate._transport_io import save_transport

        return save_transport(self, Path(path))

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> TransportSurrogate:
        """Read a file written by :meth:`save`, validating every part.

        Raises
        ------
        FileNotFoundError
            If ``path`` does not exist.
        ValueError
            If it is not a transport-surrogate file of a version this crtransport reads, or a
            part is damaged (the message names it).
        """
        from crtransport.surrogate._transport_io import load_transport

        parts = load_transport(Path(path))
        return cls(
            parts["models"],
            calibration=parts["calibration"],
            domain=parts["domain"],
            metadata=parts["metadata"],
        )

    def __repr__(self) -> str:
        ranges = ", ".join(f"{k} in [{lo:g}, {hi:g}]" for k, (lo, hi) in self.domain.items())
        return f"TransportSurrogate({ranges})"


def _by_decade(
    r: NDArray, err: NDArray, noise: NDArray, domain: tuple[float, float]
) -> list[dict[str, Any]]:
    """RMS and intrinsic error of ``ln d`` over the decades of ``R`` (values ``r``) that the
    domain spans (edges at its ends and at the powers of ten between them)."""
    lo, hi = domain
    inner = [10.0**k for k in range(math.ceil(math.log10(lo)), math.floor(math.log10(hi)) + 1)]
    edges = sorted({lo, hi, *(e for e in inner if lo < e < hi)})
    out = []
    for a, b in itertools.pairwise(edges):
        m = (r >= a) & ((r < b) if b < hi else (r <= b))
        raw = float(np.sqrt(np.mean(err[m] ** 2))) if m.any() else math.nan
        e2 = float(np.mean(noise[m] ** 2)) if m.any() else math.nan
        out.append({
            "R": [a, b], "n_rows": int(m.sum()), "rms_relative_error": raw,
            "rms_intrinsic_error": math.sqrt(max(raw**2 - e2, 0.0)) if m.any() else math.nan,
        })  # fmt: skip
    return out


def _config(settings: TransportFitSettings, target: str, output: str) -> SurrogateConfig:
    return SurrogateConfig(
        features=FEATURES,
        target=target,
        hidden_widths=settings.hidden_widths,
        activation=settings.activation,  # type: ignore[arg-type]
        output_activation=output,  # type: ignore[arg-type]
        init="glorot",
        log_features=("R", "b", "anisotropy"),
        loss="mse",
        learning_rate=settings.learning_rate,
        n_epochs=settings.n_epochs,
        n_models=settings.n_models,
    )


def _predict_ln(model: Any, table: xr.Dataset) -> tuple[NDArray, NDArray]:
    inputs = {f: table[f].values for f in FEATURES}
    mean, std = model.predict(return_std=True, on_extrapolate="ignore", **inputs)
    return np.asarray(mean, dtype=np.float64), np.asarray(std, dtype=np.float64)


def _calibration_factor(y: NDArray, mean: NDArray, spread: NDArray, noise: NDArray) -> float:
    """The ``c`` with RMS of ``(y - mean) / sqrt((c spread)^2 + noise^2)`` equal to 1, over
    the rows where all four are finite (one NaN error bar would otherwise drive ``c`` to 0)."""
    ok = np.isfinite(y) & np.isfinite(mean) & np.isfinite(spread) & np.isfinite(noise)
    y, mean, spread, noise = y[ok], mean[ok], spread[ok], noise[ok]
    r2, s2, e2 = (y - mean) ** 2, spread**2, noise**2
    if len(y) == 0 or np.mean(r2 / np.maximum(e2, 1e-300)) <= 1.0:
        return 1.0  # the label noise alone explains the residuals: keep the raw spread
    lo, hi = 0.0, 1.0
    while np.mean(r2 / (hi**2 * s2 + e2)) > 1.0 and hi < 1e6:
        hi *= 2.0
    for _ in range(60):
        c = 0.5 * (lo + hi)
        lo, hi = (c, hi) if np.mean(r2 / (c**2 * s2 + e2)) > 1.0 else (lo, c)
    return 0.5 * (lo + hi)
