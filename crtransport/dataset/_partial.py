"""Read a build in progress: the samples its journal holds, as a database."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from crtransport.dataset._builder import _analytic_record, _design, build_attrs
from crtransport.dataset._io import assemble, validate
from crtransport.dataset._journal import JOURNAL_FORMAT, JOURNAL_VERSION, journal_path
from crtransport.dataset._schema import INPUTS
from crtransport.dataset._space import ParameterSpace


def open_partial(path: str | os.PathLike[str], *, analytic: bool = True) -> xr.Dataset:
    """The finished samples of a build that is still running or was interrupted.

    Reads ``<path>.journal`` without locking or changing it, so it is safe while the build
    runs. The rows keep their indices in the complete build (coordinate ``sample``), so they
    are the same rows, with the same values, as in the final file.

    Parameters
    ----------
    path : str or os.PathLike
        The ``path`` given to :func:`~crtransport.dataset.build_dataset`.
    analytic : bool, default: True
        Include the build's exact ``b = 0`` rows (they cost nothing to compute).

    Returns
    -------
    xarray.Dataset
        The layout of :func:`~crtransport.dataset.open_dataset`, with attributes
        ``build_complete = 0``, ``n_samples`` (the rows it holds) and
        ``n_samples_planned`` (the rows the complete build will hold).

    Raises
    ------
    FileNotFoundError
        If there is no journal next to ``path``.
    ValueError
        If the journal is not a crtransport build journal or holds no finished sample.

    Examples
    --------
    >>> import crtransport as crt
    >>> done = crt.dataset.open_partial("db.nc")  # doctest: +SKIP
    >>> done.attrs["n_samples"], done.attrs["n_samples_planned"]  # doctest: +SKIP
    (812, 5000)
    """
    jpath = journal_path(Path(path))
    if not jpath.is_file():
        raise FileNotFoundError(f"no build journal at {jpath}: is a build of {path} running?")
    header, records = _read_snapshot(jpath)
    fp = header["fingerprint"]
    if not records:
        raise ValueError(f"the build journal {jpath} holds no finished sample yet.")
    space = ParameterSpace.from_dict(fp["space"])
    n, n_analytic = int(fp["n_samples"]), int(fp["n_analytic"])
    n_sim = n - n_analytic
    params, _ = _design(space, n_sim, n_analytic, int(fp["seed"]))
    index = sorted(i for i in records if 0 <= i < n_sim)
    ordered = [records[i] for i in index]
    if analytic:
        for i in range(n_sim, n):
            row = {name: float(params[name][i]) for name in INPUTS}
            ordered.append(_analytic_record(i, row, fp["simulation"], fp["running_times"]))
        index += list(range(n_sim, n))
    rows = np.asarray(index, dtype=np.int64)
    attrs = build_attrs(fp, ordered)
    attrs.update(build_complete=np.int32(0), n_samples_planned=np.int64(n))
    attrs["n_samples"] = np.int64(rows.size)
    attrs["n_analytic"] = np.int64(np.sum(rows >= n_sim))
    ds = assemble(
        {name: params[name][rows] for name in INPUTS},
        ordered,
        is_analytic=rows >= n_sim,
        running_times=fp["running_times"],
        attrs=attrs,
    )
    ds = ds.assign_coords(sample=("sample", rows, ds["sample"].attrs))
    ds["seed_index"].values[:] = rows
    validate(ds, source=str(jpath))
    return ds


def _read_snapshot(path: Path) -> tuple[dict[str, Any], dict[int, dict[str, Any]]]:
    """Header and complete records; a partly written last line is skipped, not cut off."""
    lines = path.read_bytes().split(b"\n")
    lines.pop()  # b"" after the last newline, or a record still being written
    try:
        header = json.loads(lines[0]) if lines else None
    except json.JSONDecodeError:
        header = None
    if not isinstance(header, Mapping) or header.get("format") != JOURNAL_FORMAT:
        raise ValueError(f"{path} is not a crtransport build journal (bad header line).")
    if header.get("version") != JOURNAL_VERSION:
        raise ValueError(
            f"the journal {path} has version {header.get('version')}; this crtransport reads "
            f"version {JOURNAL_VERSION}."
        )
    records: dict[int, dict[str, Any]] = {}
    for lineno, line in enumerate(lines[1:], start=2):
        try:
            rec = json.loads(line)
            records.setdefault(int(rec["index"]), rec)
        except (json.JSONDecodeError, KeyError, TypeError, ValueError):
            raise ValueError(f"the journal {path} is damaged at line {lineno}.") from None
    return dict(header), records
