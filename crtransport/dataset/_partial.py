"""Read a build in progress: the samples its journal holds, as a database."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

import numpy as np
import xarray as xr

from crtransport._validation import check_choice
from crtransport.dataset._builder import (
    analytic_record,
    build_attrs,
    design_inputs,
    off_design_record,
)
from crtransport.dataset._io import assemble, validate
from crtransport.dataset._journal import journal_path, parse_lines
from crtransport.dataset._schema import INPUTS
from crtransport.dataset._space import ParameterSpace


def open_partial(
    path: str | os.PathLike[str],
    *,
    analytic: Literal["proportional", "all", "none"] = "proportional",
) -> xr.Dataset:
    """The finished samples of a build that is still running or was interrupted.

    Reads ``<path>.journal`` without locking or changing it, so it is safe while the build
    runs. The rows keep their indices in the complete build (coordinate ``sample``), so they
    are the same rows, with the same values, as in the final file.

    Parameters
    ----------
    path : str or os.PathLike
        The ``path`` given to :func:`~crtransport.dataset.build_dataset`.
    analytic : {'proportional', 'all', 'none'}, default: 'proportional'
        Which of the build's exact ``b = 0`` rows to include (they cost nothing to compute):
        the first ones, as many as keep the planned share of analytic rows among the finished
        ones (``'proportional'``, so that a model trained on a partial build sees the same mix
        as on the complete one); all of them; or none.

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
        If ``analytic`` is not one of its values, the journal is not a crtransport build
        journal, is damaged, holds no finished sample, or holds a sample whose inputs do not
        match the build's design.

    Examples
    --------
    >>> import crtransport as crt
    >>> done = crt.dataset.open_partial("db.nc")  # doctest: +SKIP
    >>> done.attrs["n_samples"], done.attrs["n_samples_planned"]  # doctest: +SKIP
    (812, 5000)
    """
    mode = check_choice("analytic", analytic, ("proportional", "all", "none"))
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
    params, _ = design_inputs(space, n_sim, n_analytic, int(fp["seed"]))
    bad = off_design_record(records, np.stack([params[name] for name in INPUTS], axis=1), n_sim)
    if bad is not None:
        raise ValueError(
            f"the journal {jpath} holds sample {bad} with inputs that do not match its "
            "build's design (another NumPy/SciPy version, or a damaged journal)."
        )
    index = sorted(records)
    ordered = [records[i] for i in index]
    n_take = {
        "all": n_analytic,
        "proportional": round(n_analytic * len(index) / max(n_sim, 1)),
        "none": 0,
    }[mode]
    for i in range(n_sim, n_sim + n_take):
        row = {name: float(params[name][i]) for name in INPUTS}
        ordered.append(analytic_record(i, row, fp["simulation"], fp["running_times"]))
        index.append(i)
    rows = np.asarray(index, dtype=np.int64)
    attrs = build_attrs(fp, ordered)  # no build_host: the reader is not the builder
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
    return parse_lines(path, lines)
