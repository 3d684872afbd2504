"""The general surrogate: D_perp and D_par in similarity variables, with uncertainty and flags.

:class:`TransportSurrogate` composes four :class:`~crtransport.surrogate.Surrogate` ensembles
trained on a database in the dimensionless variables of magnetostatic similarity
(``R = r_L / lambda_perp``, ``b``, ``anisotropy = lambda_par / lambda_perp``,
``slab_fraction``):

* ``ln d_perp`` and ``ln d_par`` with ``d = D / (v lambda_perp)``, fitted to the rows whose
  running coefficient reached a plateau; the ensemble's spread, scaled by a factor calibrated
  on out-of-fold predictions of the training rows, is the uncertainty of a prediction;
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

from crtransport._validation import check_choice, check_int
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
_STD_KEYS = tuple(key for keys in _OUTPUT_KEYS for key in keys if key.endswith("_std"))
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
    #: Folds of the cross-validation that calibrates the uncertainty (every training row is
    #: predicted once by models fitted without it).
    calibration_folds: int = 5

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "n_models", check_int("n_models", self.n_models, low=2))
        set_(self, "n_epochs", check_int("n_epochs", self.n_epochs, low=1))
        set_(
            self,
            "calibration_folds",
            check_int("calibration_folds", self.calibration_folds, low=2, high=20),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "hidden_widths": list(self.hidden_widths),
            "activation": self.activation,
            "n_models": self.n_models,
            "n_epochs": self.n_epochs,
            "learning_rate": self.learning_rate,
            "calibration_folds": self.calibration_folds,
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

        The uncertainty is calibrated by ``settings.calibration_folds``-fold cross-validation
        (folds seeded by ``key``): every training row is predicted by models fitted without
        it, and per direction the factor ``c`` is the one whose 68 % and 95 % intervals
        ``mean +- z sqrt((c s)^2 + e^2)`` (``s`` the ensemble spread, ``e`` the label noise)
        cover the rows most nearly 68 % and 95 % of the time, never below 1 (the data cannot
        tell a smaller model error from none where the label noise explains the residuals).
        The models are then fitted on all training rows. The out-of-fold errors, with the label
        noise subtracted, are in ``metadata["cross_validation"]``: a score for choosing
        settings that never sees the test rows.
        """
        from crtransport.surrogate._model import Surrogate

        settings = settings or TransportFitSettings()
        key = check_int("key", key, low=0)
        table = dimensionless_table(data)
        if "split" in table:
            table = table.isel(sample=np.flatnonzero(table["split"].values == 0))
        domain = space_domain(data, table, FEATURES)
        n = table.sizes["sample"]
        fold = np.random.default_rng(key).permutation(n) % settings.calibration_folds
        models: dict[str, Any] = {}
        calibration: dict[str, float] = {}
        cross_validation: dict[str, dict[str, Any]] = {}
        for d in DIRECTIONS:
            target = f"ln_d_{d}"
            y, e = table[target].values, table[f"{target}_err"].values
            good = (table[f"diffusive_{d}"].values == 1.0) & np.isfinite(y)
            config = _config(settings, target, "identity")
            mean, spread = _out_of_fold(table, config, good, fold, key=key, domain=domain,
                                        progress=progress)  # fmt: skip
            calibration[d] = _calibration_factor(y[good], mean[good], spread[good], e[good])
            cross_validation[d] = _cross_validation(
                y[good], mean[good], spread[good], e[good], key=key
            )
            if "design_round" in table:  # the uniform start rows alone, as the test rows lie
                start = good & (table["design_round"].values == 0)
                cross_validation[d]["n_start_rows"] = int(start.sum())
                cross_validation[d]["calibration_start_rows"] = _calibration_factor(
                    y[start], mean[start], spread[start], e[start]
                )
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
            # out-of-fold errors of ln d (raw, label noise, intrinsic) and the calibration
            # factor's bootstrap interval, per direction; with an active-learning database
            # also the factor from its uniform start rows alone (distributed as the test rows,
            # where the acquisition rows are not): a check, not used
            "cross_validation": cross_validation,
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
        return_std: bool = True,
        on_extrapolate: str = "raise",
    ) -> dict[str, NDArray]:
        """Dimensionless coefficients ``d = D / (v lambda_perp)`` with their uncertainty.

        Parameters
        ----------
        R, b, anisotropy, slab_fraction : float or array_like
            The similarity variables (broadcast together).
        return_std : bool, default: True
            Include the uncertainties (``ln_d_*_std`` and ``d_*_std``); False leaves them out.
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
            out = {
                key: value[i, 0]
                for i, keys in enumerate(_OUTPUT_KEYS)
                for key, value in zip(keys, values, strict=True)
            }
        else:
            out = {
                key: value[i].reshape(shape)
                for i, keys in enumerate(_OUTPUT_KEYS)
                for key, value in zip(keys, values, strict=True)
            }
        if not return_std:
            for key in _STD_KEYS:
                del out[key]
        return out

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
        inside the 68 % and 95 % intervals (model uncertainty and label noise combined), each
        with a 95 % bootstrap interval over the rows (``*_ci95``; the intrinsic error of a few
        hundred rows whose label noise is twice it is known to about a third); the five worst
        rows; the errors by decade of ``R``; the same errors over the rows a user is given a
        coefficient for (``given``: the label reached a plateau and the model flags the
        transport diffusive); and the classifier's accuracy on the plateau flags over all rows.
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
            intrinsic = _intrinsic(err, noise)
            order = np.argsort(-np.abs(z))[:5]
            rows = np.flatnonzero(good)[order]
            given = pred[f"is_diffusive_{d}"][good]
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
                **_bootstrap_ci95(err, noise, z),
                "given": {
                    "n_rows": int(given.sum()),
                    "rms_relative_error": float(np.sqrt(np.mean(err[given] ** 2)))
                    if given.any()
                    else math.nan,
                    "rms_intrinsic_error": _intrinsic(err[given], noise[given]),
                },
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


def _intrinsic(err: NDArray, noise: NDArray) -> float:
    """RMS of ``err`` with the noise's mean square subtracted (0 if the noise explains it)."""
    if len(err) == 0:
        return math.nan
    return math.sqrt(max(float(np.mean(err**2) - np.mean(noise**2)), 0.0))


def _bootstrap_ci95(err: NDArray, noise: NDArray, z: NDArray) -> dict[str, list[float]]:
    """95 % bootstrap intervals (rows resampled, seeded) of the intrinsic error and of the
    68 % and 95 % coverage."""
    if len(err) < 2:
        return {k: [math.nan, math.nan] for k in ("rms_intrinsic_error_ci95", "coverage_68_ci95",
                                                  "coverage_95_ci95")}  # fmt: skip
    idx = np.random.default_rng(2).integers(0, len(err), (_N_BOOT, len(err)))
    intrinsic = np.sqrt(np.maximum(np.mean(err[idx] ** 2 - noise[idx] ** 2, axis=1), 0.0))
    inside = np.abs(z[idx])
    out = {}
    for name, values in (
        ("rms_intrinsic_error_ci95", intrinsic),
        ("coverage_68_ci95", np.mean(inside <= _Z68, axis=1)),
        ("coverage_95_ci95", np.mean(inside <= _Z95, axis=1)),
    ):
        out[name] = [float(np.quantile(values, 0.025)), float(np.quantile(values, 0.975))]
    return out


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
        out.append({
            "R": [a, b], "n_rows": int(m.sum()),
            "rms_relative_error": float(np.sqrt(np.mean(err[m] ** 2))) if m.any() else math.nan,
            "rms_intrinsic_error": _intrinsic(err[m], noise[m]),
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


def _out_of_fold(
    table: xr.Dataset,
    config: SurrogateConfig,
    good: NDArray,
    fold: NDArray,
    *,
    key: int,
    domain: Mapping[str, tuple[float, float]],
    progress: bool | None = False,
) -> tuple[NDArray, NDArray]:
    """Mean and spread of ``config.target`` at every ``good`` row, from models fitted on the
    ``good`` rows of the other folds (NaN elsewhere): the cross-validation of :meth:`fit`.
    Rows whose fold is negative train every fold's model and are not predicted."""
    from crtransport.surrogate._model import Surrogate

    n = table.sizes["sample"]
    mean, spread = np.full(n, np.nan), np.full(n, np.nan)
    for k in np.unique(fold[fold >= 0]):
        probe = Surrogate(config).fit(
            table.isel(sample=np.flatnonzero(good & (fold != k))), key=key, domain=domain,
            progress=progress,
        )  # fmt: skip
        rows = np.flatnonzero(good & (fold == k))
        mean[rows], spread[rows] = _predict_ln(probe, table.isel(sample=rows))
    return mean, spread


def _predict_ln(model: Any, table: xr.Dataset) -> tuple[NDArray, NDArray]:
    inputs = {f: table[f].values for f in FEATURES}
    mean, std = model.predict(return_std=True, on_extrapolate="ignore", **inputs)
    return np.asarray(mean, dtype=np.float64), np.asarray(std, dtype=np.float64)


def _finite_rows(*columns: NDArray) -> list[NDArray]:
    """The columns restricted to the rows where every one of them is finite."""
    ok = np.logical_and.reduce([np.isfinite(c) for c in columns])
    return [c[ok] for c in columns]


def _calibration_factor(y: NDArray, mean: NDArray, spread: NDArray, noise: NDArray) -> float:
    """The ``c >= 1`` whose 68 % and 95 % intervals ``mean +- z sqrt((c spread)^2 + noise^2)``
    cover ``y`` most nearly 68 % and 95 % of the time, over the rows where all four are finite
    (one NaN error bar would otherwise drive ``c`` to 0).

    ``c`` minimises ``((cov68 - 0.68) / 0.05)^2 + ((cov95 - 0.95) / 0.03)^2``, the misses
    in units of the tolerances the general surrogate's calibration is held to. A single scale
    that makes the residuals' RMS 1 would be the same for Gaussian residuals; the out-of-fold
    residuals of the general database are heavier-tailed (on its 1024 start rows the 99th
    percentile of ``|z|`` is 2.9 to 3.8, against 2.58), and unit RMS there covers 74 % of the
    D_par rows with the 68 % interval, this rule 69 % (``scripts/general_model_study.py``).
    Each row is covered from its own threshold
    ``c_i = sqrt(r^2 / z^2 - noise^2) / spread`` on, so the coverages are step functions of
    ``c``; the minimising step's geometric middle is returned.

    Where ``c = 1`` already covers best (the label noise explains the residuals) the raw
    spread is kept: the data cannot tell a smaller model error from none, and an interval
    narrower than the ensemble's own disagreement would claim more than the ensemble knows.
    """
    y, mean, spread, noise = _finite_rows(y, mean, spread, noise)
    if len(y) == 0:
        return 1.0
    r2, s2, e2 = (y - mean) ** 2, spread**2, noise**2
    with np.errstate(divide="ignore", invalid="ignore"):
        # c_i(z): covered at level z iff c >= c_i (inf where spread = 0 cannot cover)
        thresholds = [
            np.sort(np.where(r2 <= z**2 * e2, 0.0, np.sqrt(np.maximum(r2 / z**2 - e2, 0.0) / s2)))
            for z in (_Z68, _Z95)
        ]
    steps = np.unique(np.concatenate([[1.0], *(t[(t > 1.0) & np.isfinite(t)] for t in thresholds)]))
    n = len(y)
    cov68, cov95 = (np.searchsorted(t, steps, side="right") / n for t in thresholds)
    miss = ((cov68 - 0.68) / 0.05) ** 2 + ((cov95 - 0.95) / 0.03) ** 2
    k = int(np.argmin(miss))
    if k == 0:
        return 1.0
    return float(np.sqrt(steps[k] * steps[k + 1])) if k + 1 < len(steps) else float(steps[k])


#: Bootstrap resamples for the intervals of the calibration factor and of the test numbers.
_N_BOOT = 400


def _cross_validation(
    y: NDArray, mean: NDArray, spread: NDArray, noise: NDArray, *, key: int
) -> dict[str, Any]:
    """Out-of-fold errors of ``ln d`` and the calibration factor's 68 % bootstrap interval,
    over the rows where all four are finite."""
    y, mean, spread, noise = _finite_rows(y, mean, spread, noise)
    err = mean - y
    mse, e2 = float(np.mean(err**2)), float(np.mean(noise**2))
    rng = np.random.default_rng([key, 1])
    boot = [
        _calibration_factor(y[i], mean[i], spread[i], noise[i])
        for i in rng.integers(0, len(y), (_N_BOOT, len(y)))
    ]
    return {
        "n_rows": len(y),
        "rms_ln_error": math.sqrt(mse),
        "rms_label_noise": math.sqrt(e2),
        # mean squared error less the label noise's: may be negative by chance (noise-limited)
        "intrinsic_mse": mse - e2,
        "rms_intrinsic_error": _intrinsic(err, noise),
        "calibration_ci68": [float(np.quantile(boot, 0.16)), float(np.quantile(boot, 0.84))],
    }
