"""Turning user data (xarray Datasets, mappings, arrays) into float64 tables; numpy only."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import xarray as xr

from crtransport import units
from crtransport.surrogate._config import DEFAULT_UNITS


def _column(name: str, value: Any) -> np.ndarray:
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"`{name}` must be real numbers; got {type(value).__name__}.") from None
    return arr


def _units(source: Any, names: Sequence[str]) -> dict[str, str]:
    out = {}
    for name in names:
        attrs = getattr(source[name], "attrs", None) if hasattr(source, "__getitem__") else None
        units = attrs.get("units") if isinstance(attrs, Mapping) else None
        out[name] = str(units) if units is not None else DEFAULT_UNITS.get(name, "unknown")
    return out


def _missing(argname: str, name: str, features: Sequence[str], target: str | None) -> ValueError:
    wanted = ", ".join(repr(f) for f in features)
    extra = f" and the target {target!r}" if target is not None else ""
    return ValueError(
        f"`{argname}` has no variable {name!r}; the surrogate reads the inputs {wanted}{extra} "
        "(set `features=` / `target=` in the configuration to use other names)."
    )


def read_table(
    data: Any,
    y: Any,
    *,
    features: Sequence[str],
    target: str | None,
    argname: str = "data",
) -> tuple[np.ndarray, np.ndarray | None, dict[str, str]]:
    """Return ``(X (n, n_features), Y (n,) or None, units)`` as finite float64 arrays.

    ``data`` is an xarray Dataset or a mapping of names to arrays (with ``y`` None), or an array
    ``X`` of shape (n, n_features) with ``y`` of shape (n,). ``target=None`` reads inputs only.
    """
    names = list(features) + ([target] if target is not None else [])
    n_features = len(features)
    if isinstance(data, xr.Dataset) or (
        hasattr(data, "keys") and hasattr(data, "__getitem__") and not isinstance(data, np.ndarray)
    ):
        if y is not None:
            raise TypeError(f"`y` must be None when `{argname}` holds named variables.")
        keys = set(data.variables) if isinstance(data, xr.Dataset) else set(data.keys())
        for name in names:
            if name not in keys:
                raise _missing(argname, name, features, target)
        units = _units(data, names)
        if isinstance(data, xr.Dataset):
            arrays = xr.broadcast(*[data[name] for name in names])
            columns = [np.asarray(a.values, dtype=np.float64).ravel() for a in arrays]
        else:
            raw = [_column(name, data[name]) for name in names]
            try:
                columns = [a.ravel() for a in np.broadcast_arrays(*raw)]
            except ValueError:
                shapes = ", ".join(f"{n}: {a.shape}" for n, a in zip(names, raw, strict=True))
                raise ValueError(
                    f"the variables of `{argname}` must have broadcastable shapes; got {shapes}."
                ) from None
        X = np.stack(columns[:n_features], axis=1) if columns else np.empty((0, n_features))
        Y = columns[n_features] if target is not None else None
    else:
        X = _column("X" if argname == "data" else argname, data)
        xname = "X" if argname == "data" else f"{argname}[0]"
        if X.ndim != 2 or X.shape[1] != n_features:
            raise ValueError(
                f"`{xname}` must have shape (n_samples, {n_features}) for the inputs "
                f"{tuple(features)}; got {X.shape}."
            )
        Y = None
        if target is not None:
            yname = "y" if argname == "data" else f"{argname}[1]"
            if y is None:
                raise TypeError(f"`{yname}` is required when `{argname}` is an array.")
            Y = _column(yname, y)
            if Y.shape != (X.shape[0],):
                raise ValueError(f"`{yname}` must have shape ({X.shape[0]},); got {Y.shape}.")
        units = {name: DEFAULT_UNITS.get(name, "unknown") for name in names}
    for k, name in enumerate(features):
        bad = int(np.sum(~np.isfinite(X[:, k])))
        if bad:
            raise ValueError(
                f"`{argname}` has {bad} non-finite values of {name!r}; drop those rows first "
                "(for a Dataset: data.dropna('sample'))."
            )
    if Y is not None:
        bad = int(np.sum(~np.isfinite(Y)))
        if bad:
            raise ValueError(
                f"`{argname}` has {bad} non-finite values of {target!r}; drop those rows first "
                "(for a Dataset: data.dropna('sample'))."
            )
    return np.ascontiguousarray(X), Y, units


def domain_from_attrs(data: Any, features: Sequence[str]) -> dict[str, tuple[float, float]]:
    """The declared bounds of the free inputs of a crtransport database, ``{}`` if none.

    Reads the ``parameter_space`` attribute that :func:`crtransport.build_dataset` writes;
    anything unreadable gives ``{}`` (the training range is then used).
    """
    if not isinstance(data, xr.Dataset) or "parameter_space" not in data.attrs:
        return {}
    try:
        space = json.loads(data.attrs["parameter_space"])
        out = {}
        for name in features:
            axis = space.get(name)
            if isinstance(axis, Mapping) and axis.get("kind") == "free":
                low, high = float(axis["low"]), float(axis["high"])
                if np.isfinite(low) and np.isfinite(high) and low <= high:
                    out[name] = (low, high)
        return out
    except (TypeError, ValueError, KeyError, AttributeError):
        return {}


def split_validation(value: Any) -> tuple[Any, Any]:
    """``validation`` is a Dataset/mapping, or a pair ``(X, y)``: return ``(data, y)``."""
    if isinstance(value, tuple | list) and len(value) == 2:
        return value[0], value[1]
    return value, None


def as_float(name: str, value: Any) -> np.ndarray:
    """``value`` as float64; TypeError for non-numbers (None too), ValueError for NaN (issue 19.4).

    ``numpy.asarray(None, float)`` is NaN, and a NaN input gave a NaN prediction (with only an
    extrapolation warning, or none under ``on_extrapolate='ignore'``).
    """
    if isinstance(value, float | int) and not isinstance(value, bool):
        arr = np.array(value, dtype=np.float64)
    else:
        raw = np.asarray(value)
        if raw.dtype.kind not in "biuf" or raw.dtype.kind == "b":
            raise TypeError(
                f"`{name}` must be real numbers; got {type(value).__name__}"
                + (f" of dtype {raw.dtype}" if raw.dtype.kind != "O" else "")
                + "."
            )
        arr = raw.astype(np.float64, copy=False)
    if arr.size and np.isnan(arr.min()):  # min propagates NaN: one pass, no mask
        nan = np.isnan(arr)
        where = "" if arr.ndim == 0 else f" at {int(nan.sum())} of {arr.size} points"
        raise ValueError(f"`{name}` must not be NaN; got NaN{where}.")
    return arr


def check_names(inputs: Mapping[str, Any], features: Sequence[str]) -> None:
    """Raise for a named input that the model does not have, or one it lacks."""
    wanted = ", ".join(features)
    for name in inputs:
        if name not in features:
            raise ValueError(f"unknown input `{name}`; this model's inputs are {wanted}.")
    for name in features:
        if name not in inputs:
            raise ValueError(f"input `{name}` is missing; this model's inputs are {wanted}.")


def array_columns(data: Any, features: Sequence[str]) -> tuple[list[np.ndarray], tuple[int, ...]]:
    """Columns and result shape of ``predict(data)`` for an array of shape (n, n_features)."""
    X = as_float("data", data)
    n = len(features)
    if X.ndim == 1 and X.shape == (n,):
        X = X[None, :]
        shape: tuple[int, ...] = ()
    elif X.ndim == 2 and X.shape[1] == n:
        shape = (X.shape[0],)
    else:
        raise ValueError(
            f"`data` must have shape (n_samples, {n}) for the inputs {tuple(features)}; "
            f"got {X.shape}."
        )
    return [X[:, k] for k in range(n)], shape


def named_columns(
    values: Sequence[Any], features: Sequence[str]
) -> tuple[list[np.ndarray], tuple[int, ...]]:
    """Flat columns and the broadcast shape of named inputs (in ``features`` order)."""
    arrays = [as_float(name, v) for name, v in zip(features, values, strict=True)]
    shape = arrays[0].shape
    if any(a.shape != shape for a in arrays):
        try:
            shape = np.broadcast_shapes(*(a.shape for a in arrays))
        except ValueError:
            shapes = ", ".join(
                f"{name}: {a.shape}" for name, a in zip(features, arrays, strict=True)
            )
            raise ValueError(f"the inputs must broadcast together; got {shapes}.") from None
        arrays = [np.broadcast_to(a, shape) for a in arrays]
    return [a.reshape(-1) for a in arrays], shape


def dataarray_columns(
    values: Sequence[Any], features: Sequence[str]
) -> tuple[list[np.ndarray], xr.DataArray]:
    """Flat columns of inputs among which some are DataArrays, and the broadcast template."""
    arrays = xr.broadcast(*[v if isinstance(v, xr.DataArray) else xr.DataArray(v) for v in values])
    template = arrays[0]
    columns = [
        as_float(name, a.transpose(*template.dims).values).reshape(-1)
        for name, a in zip(features, arrays, strict=True)
    ]
    return columns, template


# ------------------------------------------------------------------ the general surrogate's data
#: Inputs of the general surrogate (:class:`~crtransport.surrogate.TransportSurrogate`).
FEATURES: tuple[str, ...] = ("R", "b", "anisotropy", "slab_fraction")
#: The two directions of its outputs.
DIRECTIONS: tuple[str, ...] = ("perp", "par")


def dimensionless_table(ds: xr.Dataset) -> xr.Dataset:
    """A database's rows in the similarity variables, ready for :class:`TransportSurrogate`.

    Returns the inputs ``R``, ``b``, ``anisotropy``, ``slab_fraction`` and, per direction,
    ``ln_d_<dir>`` (``ln(D / (v lambda_perp))``, NaN where D <= 0), ``ln_d_<dir>_err`` (the
    label noise: relative error of D), and ``diffusive_<dir>`` (1.0 where the run reached a
    plateau, else 0.0), plus ``split`` and ``design_round`` when the database has them.
    """
    T = ds["T"].values
    lam = ds["lambda_perp"].values
    v_lam = units.speed_from_T(T) * lam
    data: dict[str, Any] = {
        "R": units.u_from_T(T) / lam,
        "b": ds["b"].values,
        "anisotropy": ds["lambda_par"].values / lam,
        "slab_fraction": ds["slab_fraction"].values,
    }
    for d in DIRECTIONS:
        D = ds[f"D_{d}"].values
        with np.errstate(divide="ignore", invalid="ignore"):
            data[f"ln_d_{d}"] = np.where(D > 0, np.log(D / v_lam), np.nan)
            data[f"ln_d_{d}_err"] = ds[f"D_{d}_err"].values / np.abs(D)
        data[f"diffusive_{d}"] = ds[f"is_converged_{d}"].values.astype(np.float64)
    for name in ("split", "design_round"):
        if name in ds:
            data[name] = ds[name].values
    return xr.Dataset({k: ("sample", np.asarray(v)) for k, v in data.items()})


def space_domain(
    data: xr.Dataset, table: xr.Dataset, features: tuple[str, ...]
) -> dict[str, tuple[float, float]]:
    """The training domain: the database's parameter space where it states the input, else
    the range of the training inputs."""
    out = {f: (float(np.min(table[f].values)), float(np.max(table[f].values))) for f in features}
    try:
        space = json.loads(data.attrs["parameter_space"])
    except (KeyError, TypeError, ValueError):
        return out
    for name in features:
        axis = space.get(name)
        if isinstance(axis, Mapping) and axis.get("kind") == "free":
            low, high = float(axis["low"]), float(axis["high"])
            out[name] = (min(low, out[name][0]), max(high, out[name][1]))
    return out
