"""Reading, validating and atomically writing database files (netCDF4)."""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
import xarray as xr
from numpy.typing import NDArray

from crtransport._version import __version__
from crtransport.dataset._journal import fsync_dir
from crtransport.dataset._schema import (
    INPUTS,
    LATER_INPUTS,
    NAN_ALLOWED,
    RESULT_FIELDS,
    RUNNING,
    SAMPLE_DIM,
    SCALED_UNITS_ATTR,
    SCHEMA_VERSION,
    TIME_DIM,
    VALID_RANGES,
    VARIABLES,
)

__all__ = ["InvalidDatasetError", "open_dataset"]

_ENGINE: Literal["netcdf4"] = "netcdf4"
_DTYPE_KIND = {"float64": "f", "int64": "iu", "bool": "b"}


class InvalidDatasetError(ValueError):
    """A file is not a crtransport database, is damaged, or has an unsupported schema."""


def assemble(
    params: Mapping[str, NDArray],
    records: Sequence[Mapping[str, Any]],
    *,
    is_analytic: NDArray,
    running_times: Sequence[float] | None,
    attrs: Mapping[str, Any],
    design: Mapping[str, NDArray] | None = None,
) -> xr.Dataset:
    """Build the database Dataset from the inputs and per-sample records (in sample order).

    ``design`` holds the per-row design variables of an active build (role ``"design"``).
    """
    n = len(records)
    coords: dict[str, Any] = {SAMPLE_DIM: np.arange(n, dtype=np.int64)}
    for name in INPUTS:
        coords[name] = (SAMPLE_DIM, np.asarray(params[name], dtype=np.float64))
    data: dict[str, Any] = {}
    for name in RESULT_FIELDS:
        if VARIABLES[name].is_optional and not all(name in r for r in records):
            continue  # a diagnostic some runs did not report (schema 1 run functions)
        dtype = VARIABLES[name].dtype
        data[name] = (SAMPLE_DIM, np.array([r[name] for r in records], dtype=dtype))
    data["is_analytic"] = (SAMPLE_DIM, np.asarray(is_analytic, dtype=bool))
    data["seed_index"] = (SAMPLE_DIM, np.arange(n, dtype=np.int64))
    for name, values in (design or {}).items():
        data[name] = (SAMPLE_DIM, np.asarray(values, dtype=VARIABLES[name].dtype))
    if running_times is not None:
        coords[TIME_DIM] = np.asarray(running_times, dtype=np.float64)
        for name in RUNNING:
            arr = np.array([r[name] for r in records], dtype=np.float64)
            data[name] = ((SAMPLE_DIM, TIME_DIM), arr.reshape(n, len(running_times)))
    ds = xr.Dataset(data, coords=coords, attrs=dict(attrs))
    ordered = [v for v in VARIABLES if v in ds.data_vars]
    ds = ds[ordered]
    for key, var in ds.variables.items():
        var.attrs.update(VARIABLES[str(key)].attrs())
    return ds


def _encoding(ds: xr.Dataset) -> dict[str, dict[str, Any]]:
    enc: dict[str, dict[str, Any]] = {}
    for name, var in ds.variables.items():
        enc[str(name)] = {"zlib": True, "complevel": 4, "_FillValue": None}
        if var.dtype == bool:
            enc[str(name)].pop("_FillValue")
    return enc


def cf_encode(ds: xr.Dataset) -> xr.Dataset:
    """``ds`` as stored (schema 3): scaled units as ``units = "1"`` plus ``scaled_units``.

    A scaled quantity is the ratio to its reference unit, a pure number, so ``"1"`` is its
    UDUNITS unit; the reference (``"m c^2"``) moves to :data:`SCALED_UNITS_ATTR`.
    :func:`cf_decode` undoes it. Variables outside the schema are left alone.
    """
    out = ds.copy(deep=False)
    for name, var in out.variables.items():
        spec = VARIABLES.get(str(name))
        if spec is not None and var.attrs.get("units") == spec.units:
            var.attrs = {**var.attrs, **spec.netcdf_attrs()}
    return out


def cf_decode(ds: xr.Dataset) -> xr.Dataset:
    """The in-memory form of a stored database: ``units`` is the scaled unit again (all
    schema versions; files of versions 1 and 2 have no ``scaled_units`` and pass unchanged)."""
    for var in ds.variables.values():
        scaled = var.attrs.pop(SCALED_UNITS_ATTR, None)
        if scaled is not None and var.attrs.get("units") == "1":
            var.attrs["units"] = scaled
    return ds


def write_dataset(ds: xr.Dataset, path: Path) -> None:
    """Write ``ds`` to ``path`` atomically: a temporary file in the same folder, fsync, rename.

    The file is CF-encoded (:func:`cf_encode`).
    """
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    ds = cf_encode(ds)
    try:
        ds.to_netcdf(tmp, engine=_ENGINE, format="NETCDF4", encoding=_encoding(ds))
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        if isinstance(exc, RuntimeError) or (isinstance(exc, OSError) and not exc.filename):
            # e.g. "NetCDF: HDF error" on a full disk: say which file and how much room is left
            try:
                free = shutil.disk_usage(path.parent).free
                room = f"; {free / 2**20:.1f} MiB free in {path.parent}"
            except OSError:  # pragma: no cover
                room = ""
            raise OSError(
                getattr(exc, "errno", None) or errno.EIO,
                f"cannot write the database {path} ({type(exc).__name__}: {exc}){room}; the "
                "journal is kept, rerun the build to write it once this is fixed",
                str(path),
            ) from exc
        raise
    fsync_dir(path.parent)


def open_dataset(path: str | os.PathLike[str]) -> xr.Dataset:
    """Open and validate a crtransport database.

    The file is read into memory and closed, so nothing keeps it open afterwards.

    Parameters
    ----------
    path : str or os.PathLike
        A netCDF4 file written by :func:`~crtransport.dataset.build_dataset`.

    Returns
    -------
    xarray.Dataset
        The database: dimension ``sample``; inputs ``T``, ``mu``, ``b``, ``lambda_perp``,
        ``lambda_par`` as coordinates; ``D_perp``, ``D_perp_err``, ``D_par``, ``D_par_err``,
        flags and run metadata as data variables (see the schema table in the guide).

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    InvalidDatasetError
        (a ValueError) If the file cannot be read as netCDF4, is not a crtransport database,
        was written with a newer schema than this crtransport reads, or is damaged (missing
        variables, wrong dims, dtypes or units, non-finite inputs, repeated sample indices,
        values outside the physical ranges of the schema such as ``T <= 0``, ``|mu| > 1`` or a
        negative error, or a non-integer ``schema_version``).
        The message names the problem.

    Examples
    --------
    >>> import crtransport as crt
    >>> ds = crt.open_dataset("db.nc")  # doctest: +SKIP
    >>> ds["D_perp"].attrs["units"]  # doctest: +SKIP
    'rho0^2 omega_c'
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no such database file: {path}")
    if path.is_dir():
        raise InvalidDatasetError(f"{path} is a directory, not a crtransport database file.")
    try:
        ds = xr.load_dataset(path, engine=_ENGINE)
    except (OSError, ValueError, RuntimeError, KeyError, TypeError) as exc:
        raise InvalidDatasetError(
            f"{path} is not a crtransport database: it cannot be read as netCDF4 ({exc})."
        ) from None
    validate(cf_decode(ds), source=str(path))
    return _fill_later_inputs(ds)


def _fill_later_inputs(ds: xr.Dataset) -> xr.Dataset:
    """A file of an older schema with the inputs added since (:data:`LATER_INPUTS`) filled in.

    A file built with the composite model before schema 4 used its default slab share 0.2.
    """
    for name, value in LATER_INPUTS.items():
        if name in ds.coords:
            continue
        if name == "slab_fraction" and _built_with_model(ds) == "composite":
            value = 0.2
        ds = ds.assign_coords({name: (SAMPLE_DIM, np.full(ds.sizes[SAMPLE_DIM], value))})
        ds[name].attrs.update(VARIABLES[name].attrs())
    return ds


def _built_with_model(ds: xr.Dataset) -> str | None:
    try:
        return json.loads(ds.attrs["simulation"]).get("model")
    except (KeyError, TypeError, ValueError, AttributeError):
        return None


def validate(ds: xr.Dataset, *, source: str = "the dataset") -> None:
    """Raise :class:`InvalidDatasetError` naming what is wrong with ``ds``, if anything."""
    if "schema_version" not in ds.attrs:
        raise InvalidDatasetError(
            f"{source} is not a crtransport database: it has no `schema_version` attribute "
            f"(global attributes found: {sorted(ds.attrs) or 'none'})."
        )
    version = ds.attrs["schema_version"]
    try:
        as_float = float(np.asarray(version).item())
        if isinstance(version, bool | str) or not as_float.is_integer():
            raise ValueError
        version = int(as_float)
    except (TypeError, ValueError, OverflowError):
        shown = version.item() if isinstance(version, np.generic) else version
        raise InvalidDatasetError(
            f"{source} has a non-integer `schema_version` {shown!r}; the file is damaged."
        ) from None
    writer = ds.attrs.get("crtransport_version", "unknown")
    if version > SCHEMA_VERSION:
        raise InvalidDatasetError(
            f"{source} uses database schema version {version} (written by crtransport "
            f"{writer}); this crtransport ({__version__}) reads schema versions up to "
            f"{SCHEMA_VERSION}. Upgrade crtransport to read it."
        )
    if version < 1:
        raise InvalidDatasetError(f"{source} has an invalid `schema_version` {version}.")
    problems: list[str] = []
    if SAMPLE_DIM not in ds.dims:
        problems.append(f"no `{SAMPLE_DIM}` dimension")
    missing = [
        name
        for name, spec in VARIABLES.items()
        if not spec.is_optional
        and name not in ds
        and not (version < 4 and name in LATER_INPUTS)  # filled in by open_dataset
    ]
    if missing:
        problems.append(f"missing variables {', '.join(missing)}")
    running = [name for name in RUNNING if name in ds]
    if running and (len(running) != len(RUNNING) or TIME_DIM not in ds.coords):
        problems.append(
            f"incomplete running coefficients (found {', '.join(running)}; need "
            f"{', '.join(RUNNING)} and the `{TIME_DIM}` coordinate)"
        )
    for name, spec in VARIABLES.items():
        if name not in ds:
            continue
        var = ds[name]
        if var.dims != spec.dims:
            problems.append(f"`{name}` has dims {var.dims}, expected {spec.dims}")
        if var.dtype.kind not in _DTYPE_KIND[spec.dtype]:
            problems.append(f"`{name}` has dtype {var.dtype}, expected {spec.dtype}")
        units = var.attrs.get("units")
        if units != spec.units:
            problems.append(f"`{name}` has units {units!r}, expected {spec.units!r}")
    if not problems:
        for name in INPUTS:
            if name not in ds:
                continue  # a later input of an older file
            values = ds[name].values
            # NaN mu marks isotropic pitch angles (schema 2)
            bad = np.isinf(values) if name == "mu" and version >= 2 else ~np.isfinite(values)
            if bad.any():
                problems.append(f"`{name}` is not finite at {int(bad.sum())} samples")
        if np.unique(ds[SAMPLE_DIM].values).size != ds.sizes[SAMPLE_DIM]:
            problems.append(f"repeated `{SAMPLE_DIM}` indices")
        problems += _out_of_range(ds)
    if problems:
        raise InvalidDatasetError(
            f"{source} is damaged or not a crtransport database: {'; '.join(problems)}."
        )


def _out_of_range(ds: xr.Dataset) -> list[str]:
    """Values no run can produce: outside the schema's ranges, infinite, or NaN where not allowed.

    Issue 19: ``T = -5``, ``mu = 7`` or ``D_perp_err = -1`` used to load without a word.
    """
    problems = []
    for name in VARIABLES:
        if name not in ds.variables or ds[name].dtype.kind == "b":
            continue
        values = np.asarray(ds[name].values, dtype=np.float64)
        nan = np.isnan(values)
        bad = np.isinf(values)
        if name not in NAN_ALLOWED:
            bad |= nan
        valid = VALID_RANGES.get(name)
        if valid is not None:
            bad |= ~nan & ~valid.contains(values)
        n_bad = int(bad.sum())
        if n_bad:
            example = values[bad][0]
            allowed = f"in {valid}" if valid is not None else "finite"
            nan_note = " or NaN" if name in NAN_ALLOWED else ""
            problems.append(
                f"`{name}` must be {allowed}{nan_note}; {n_bad} values are not (e.g. {example:g})"
            )
    return problems


def stored_config(ds: xr.Dataset) -> dict[str, Any] | None:
    """The build fingerprint stored in ``config_json``, or None if absent or unreadable."""
    try:
        return json.loads(ds.attrs["config_json"])
    except (KeyError, TypeError, ValueError):
        return None
