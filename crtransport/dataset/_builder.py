"""``build_dataset``: many simulations in parallel, journaled, into one netCDF database."""

from __future__ import annotations

import datetime
import json
import logging
import math
import multiprocessing
import os
import platform
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, wait
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr
from numpy.typing import ArrayLike, NDArray

from crtransport._run_rules import get_run_rules
from crtransport._settings import SETTINGS_DEFAULTS
from crtransport._validation import check_int, check_real
from crtransport._version import __version__
from crtransport.dataset._io import (
    InvalidDatasetError,
    assemble,
    open_dataset,
    stored_config,
    write_dataset,
)
from crtransport.dataset._journal import (
    BuildLock,
    Journal,
    describe_differences,
    journal_path,
    remove_stale_temporaries,
)
from crtransport.dataset._schema import (
    CF_CONVENTIONS,
    INPUTS,
    REFERENCES,
    SCHEMA_VERSION,
    STOP_RULES,
)
from crtransport.dataset._space import ParameterSpace
from crtransport.dataset._worker import (
    RunFn,
    _execute,
    _init_worker,
    _simulate_run,
    run_arguments,
)

__all__ = ["build_dataset"]

logger = logging.getLogger("crtransport.dataset")


# --------------------------------------------------------------------------- settings
def simulation_defaults() -> dict[str, Any]:
    """The engine's simulation settings and their defaults (:class:`SimulationSettings`).

    What ``build_dataset(simulation=...)`` may set; every one of them is recorded in the file.
    """
    return dict(SETTINGS_DEFAULTS)


def _json_safe(value: Any, name: str) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, tuple | list):
        return [_json_safe(v, name) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _json_safe(v, f"{name}.{k}") for k, v in value.items()}
    if value is None or isinstance(value, bool | int | float | str):
        return value
    raise TypeError(
        f"simulation setting `{name}` must be a number, string, None or a list of those; "
        f"got {type(value).__name__}."
    )


def _resolve_settings(
    simulation: Mapping[str, Any] | None, defaults: Mapping[str, Any]
) -> dict[str, Any]:
    given = dict(simulation or {})
    per_sample = [k for k in given if k in (*INPUTS, "seed")]
    if per_sample:
        raise ValueError(
            f"`simulation` must not set {', '.join(per_sample)}: the parameter space sets the "
            "inputs and `seed` seeds every sample."
        )
    unknown = sorted(set(given) - set(defaults))
    if unknown:
        raise ValueError(
            f"unknown simulation settings {', '.join(map(repr, unknown))}; valid settings are "
            f"{', '.join(map(repr, sorted(defaults)))}."
        )
    merged = {**defaults, **given}
    if "rules" in merged:
        # record the rules themselves, not only a preset's name: the file stays self-describing
        # if a preset changes, and a RunRules object (not JSON) can be given
        merged["rules"] = get_run_rules(merged["rules"]).to_dict()
    return {k: _json_safe(merged[k], k) for k in sorted(merged)}


def _check_running_times(running_times: ArrayLike | None) -> list[float] | None:
    if running_times is None:
        return None
    t = np.asarray(running_times, dtype=np.float64)
    if t.ndim != 1 or t.size == 0:
        raise ValueError(f"`running_times` must be a non-empty 1-D array; got shape {t.shape}.")
    if not np.all(np.isfinite(t)) or np.any(t < 0):
        raise ValueError("`running_times` must be finite and >= 0 (in 1/omega_c).")
    if np.any(np.diff(t) <= 0):
        raise ValueError("`running_times` must be strictly increasing.")
    return [float(v) for v in t]


def _counts(
    space: ParameterSpace, n_samples: int | None, analytic_fraction: float
) -> tuple[int, int]:
    """Total rows and analytic rows; the simulated rows are the first ``n - n_analytic``."""
    grid = space.grid_size
    if n_samples is None:
        if grid is None:
            raise TypeError("`n_samples` is required unless the space has sampling 'grid'.")
        n = _grid_rows(grid, analytic_fraction)
    else:
        n = check_int("n_samples", n_samples, low=1)
    n_analytic = round(analytic_fraction * n)
    if grid is not None and n - n_analytic != grid:
        raise ValueError(
            f"with sampling 'grid' the simulated rows (n_samples - analytic rows = "
            f"{n} - {n_analytic}) must equal the grid size {grid}; pass n_samples=None."
        )
    return n, n_analytic


#: Most rows a build may plan (issue 19: a grid with analytic_fraction near 1 asked for ever more)
MAX_ROWS = 10**9


def _grid_rows(grid: int, analytic_fraction: float) -> int:
    """Smallest ``n`` whose simulated part ``n - round(f n)`` is the whole grid.

    Checked before searching (issue 19.9: the check used to come after a loop that never ended
    at ``f = 1``); ``n - round(f n)`` does not decrease with ``n``, so a bisection finds it.
    """
    if analytic_fraction >= 1.0:
        raise ValueError(
            f"`analytic_fraction` must be < 1 with sampling 'grid'; got {analytic_fraction:g}."
        )

    def simulated(n: int) -> int:
        return n - round(analytic_fraction * n)

    lo = max(grid, int((grid - 0.5) / (1.0 - analytic_fraction)))  # simulated(n) < grid below
    if lo > MAX_ROWS:
        raise ValueError(
            f"`analytic_fraction` = {analytic_fraction:.15g} with a grid of {grid} points needs "
            f"about {grid / (1.0 - analytic_fraction):.3g} rows, above the limit of "
            f"{MAX_ROWS:.0e}; lower it."
        )
    hi = lo + int(2.0 / (1.0 - analytic_fraction)) + 2
    while simulated(hi) < grid:  # pragma: no cover - the bound above always holds
        hi *= 2
    while lo < hi:
        mid = (lo + hi) // 2
        if simulated(mid) >= grid:
            hi = mid
        else:
            lo = mid + 1
    return lo


# --------------------------------------------------------------------------- design
def design_inputs(
    space: ParameterSpace, n_sim: int, n_analytic: int, seed: int
) -> tuple[dict[str, NDArray], NDArray]:
    """Inputs of every row and the analytic mask.

    The design generator is ``default_rng(SeedSequence(seed))``; the samples' own seeds are
    its children ``SeedSequence(seed, spawn_key=(i,))``, so the streams never overlap.
    """
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    parts = []
    if n_sim:
        parts.append(space.sample(n_sim, seed=rng))
    if n_analytic:
        extra = space._draw(n_analytic, rng, "uniform")
        extra["b"] = np.zeros(n_analytic)
        parts.append(extra)
    params = {name: np.concatenate([p[name] for p in parts]) for name in INPUTS}
    is_analytic = np.zeros(n_sim + n_analytic, dtype=bool)
    is_analytic[n_sim:] = True
    return params, is_analytic


def off_design_record(
    records: Mapping[int, Mapping[str, Any]], rows: NDArray, n_sim: int
) -> int | None:
    """Index of the first journaled sample whose inputs are not the design's ``rows``, if any.

    Journals hold simulated samples only (indices below ``n_sim``).
    """
    for index, rec in records.items():
        if not 0 <= index < n_sim:
            return index
        stored = rec.get("params")
        if not isinstance(stored, list) or not np.array_equal(
            np.asarray(stored, dtype=np.float64),
            rows[index],
            equal_nan=True,  # NaN: isotropic
        ):
            return index
    return None


def _check_rows(rows: NDArray, settings: Mapping[str, Any]) -> None:
    """Resolve every sample's configuration before any runs (issue 19.18, 19.10).

    A bad simulation setting (``--set`` on the command line) used to be reported by the workers
    after the pool had started, and a sample whose run would need days was only found when it
    ran; :func:`crtransport.resolve_config` checks both without running anything.
    """
    from crtransport._simulate import resolve_config

    for index, row in enumerate(rows):
        named = dict(zip(INPUTS, (float(v) for v in row), strict=True))
        try:
            resolve_config(**run_arguments(named, settings))
        except (TypeError, ValueError) as exc:
            inputs = ", ".join(f"{k}={v:.6g}" for k, v in named.items())
            raise type(exc)(f"sample {index} ({inputs}): {exc}") from None


def _analytic_run_length(params: Mapping[str, float], settings: Mapping[str, Any]) -> tuple:
    """``(dt, t_max)`` in 1/omega_c that :func:`crtransport.simulate` would use at ``b = 0``.

    Asks the engine (:func:`crtransport.resolve_config`), so an analytic row carries exactly the
    run length of the simulation it replaces.
    """
    from crtransport._simulate import resolve_config

    keys = ("dt", "t_max", "k_perp_range", "k_par_range", "model", "n_save", "rules")
    shared = {k: settings[k] for k in keys if settings.get(k) is not None}
    config = resolve_config(**run_arguments({**params, "b": 0.0}, shared))
    return float(config.dt), float(config.t_max)


def analytic_record(
    index: int,
    params: Mapping[str, float],
    settings: Mapping[str, Any],
    running_times: list[float] | None,
) -> dict[str, Any]:
    """The exact ``b = 0`` row: a helix, so D_perp = 0 and D_zz(t) = (v mu)^2 t / 2.

    Isotropic rows (``mu`` NaN) average over mu uniform in [-1, 1]: <mu^2> = 1/3.
    """
    gamma = 1.0 + params["T"]
    # the run rules' formula for v (the "paper" rules keep crtransport 0.1's, bit for bit)
    v = get_run_rules(settings.get("rules") or "default").speed(params["T"])
    isotropic = math.isnan(params["mu"])
    mu2 = 1.0 / 3.0 if isotropic else params["mu"] ** 2
    vz2 = v * v / 3.0 if isotropic else (v * params["mu"]) ** 2
    dt, t_max = _analytic_run_length(params, settings)
    rec: dict[str, Any] = {
        "index": index,
        "params": [float(params[n]) for n in INPUTS],
        "D_perp": 0.0,
        "D_perp_err": 0.0,
        "D_par": vz2 * t_max / 2.0,
        "D_par_err": 0.0,
        "is_converged_perp": True,
        "is_converged_par": False,
        "dt": dt,
        "t_max": t_max,
        "wall_time": 0.0,
        # a helix: the guiding centre stays put (alpha_perp = 0), z is ballistic (2)
        "alpha_perp": 0.0,
        "alpha_perp_err": 0.0,
        "alpha_par": 2.0,
        "alpha_par_err": 0.0,
        "stop_rule": STOP_RULES.index("exact"),
        "n_steps": round(t_max / dt),
    }
    if running_times is not None:
        # exact running values of the helix (continuous time, gyro-frequency 1/gamma):
        # D_perp(t) = rho^2 (1 - cos(t / gamma)) / (2 t) -> 0, D_zz(t) = (v mu)^2 t / 2
        t = np.asarray(running_times, dtype=np.float64)
        rho2 = (gamma * v) ** 2 * (1.0 - mu2)
        with np.errstate(divide="ignore", invalid="ignore"):
            d_perp = np.where(t > 0, rho2 * (1.0 - np.cos(t / gamma)) / (2.0 * t), 0.0)
        rec["D_perp_running"] = [float(x) for x in d_perp]
        rec["D_par_running"] = [float(x) for x in vz2 * t / 2.0]
    return json.loads(json.dumps(rec))


# --------------------------------------------------------------------------- execution
def _default_workers() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - macOS, Windows
        return os.cpu_count() or 1


def pool_context() -> multiprocessing.context.BaseContext:
    """The start method of the builder's process pools: ``forkserver``, else ``spawn``.

    Never ``fork``: Numba's and OpenMP's threads do not survive it. Scripts that run samples
    in their own pool (``scripts/recheck_test_split.py``) use it too.
    """
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")


def _run_all(
    executor: Executor,
    todo: list[int],
    submit: Callable[[int], Future],
    on_result: Callable[[dict[str, Any]], None],
    window: int,
) -> None:
    """Keep at most ``window`` samples in flight; journal each as it finishes.

    On a failure nothing new is submitted, the samples in flight finish and are journaled,
    then the first failure is raised.
    """
    pending: dict[Future, int] = {}
    queue: Iterator[int] = iter(todo)
    failures: list[tuple[int, BaseException]] = []

    def refill() -> None:
        while len(pending) < window and not failures:
            index = next(queue, None)
            if index is None:
                return
            pending[submit(index)] = index

    refill()
    try:
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for fut in done:
                index = pending.pop(fut)
                exc = fut.exception()
                if exc is not None:
                    failures.append((index, exc))
                    logger.error("sample %d failed: %s", index, exc)
                else:
                    on_result(fut.result())
            refill()
    except BaseException:
        # interrupted (Ctrl-C, ...): keep what already finished, cancel the rest
        for fut in pending:
            if not fut.cancel() and fut.done() and fut.exception() is None:
                on_result(fut.result())
        raise
    if failures:
        index, exc = failures[0]
        more = f" ({len(failures) - 1} more failed)" if len(failures) > 1 else ""
        why = str(exc).rstrip(". ") or type(exc).__name__
        raise RuntimeError(
            f"sample {index} failed{more}: {why}. The finished samples are kept in the journal; "
            "fix the cause and rerun with the same arguments to resume."
        ) from exc


# --------------------------------------------------------------------------- public API
def build_dataset(
    space: ParameterSpace | None = None,
    n_samples: int | None = None,
    *,
    path: str | os.PathLike[str] | None = None,
    seed: int = 0,
    simulation: Mapping[str, Any] | None = None,
    executor: Executor | None = None,
    n_workers: int | None = None,
    analytic_fraction: float = 0.0,
    running_times: ArrayLike | None = None,
    threads_per_sample: int | None = 1,
    overwrite: bool = False,
    progress: bool = True,
) -> xr.Dataset:
    """Build a database of diffusion coefficients: one simulation per sample, in parallel.

    Each finished sample is appended at once to a journal next to ``path``
    (``<path>.journal``); when all are done the database is written to a temporary file and
    renamed to ``path``, and the journal is deleted. A build that is interrupted at any point
    (Ctrl-C, SIGKILL, a node failure) and called again with the same arguments resumes: the
    finished samples are kept, none is run twice, and the file equals that of an
    uninterrupted build.

    Parameters
    ----------
    space : ParameterSpace, optional
        The inputs to sample; default :meth:`ParameterSpace.paper`.
    n_samples : int, optional
        Number of rows, analytic rows included (paper: 5000). Required unless
        ``space.sampling == "grid"``, where the default is the grid plus the analytic rows.
    path : str or os.PathLike, optional
        The netCDF4 file to write. None builds in memory only (no journal, no resume).
    seed : int, default: 0
        Seed of the design and of every sample: sample ``i`` runs with
        ``numpy.random.SeedSequence(seed).spawn(n_samples)[i]``, so the result is identical
        for any executor, worker count and completion order. Stored in the file.
    simulation : dict, optional
        Keyword arguments of :func:`crtransport.simulate` shared by all samples, e.g.
        ``dict(n_particles=10_000, n_waves=500)``; not the inputs or ``seed``. Unset ones
        take the engine's defaults; all of them are stored in the file.
    executor : concurrent.futures.Executor, optional
        Where samples run: any Executor, e.g. ``dask.distributed.Client(...).get_executor()``
        or ``mpi4py.futures.MPIPoolExecutor()``. It is not shut down. None: a local process
        pool (``forkserver`` or ``spawn``, never ``fork``) over ``n_workers`` processes with
        Numba pinned to one thread each.
    n_workers : int, optional
        Size of the default process pool; default: the number of usable cores. Only with
        ``executor=None``.
    analytic_fraction : float, default: 0.0
        Fraction of the rows that are the exact ``b = 0`` points (paper: 0.05-0.1), in
        [0, 1]. They are the last ``round(analytic_fraction * n_samples)`` rows, with T, mu
        and the lengths drawn uniformly from the space, ``D_perp = 0`` and
        ``is_analytic = True``. Transport along z is ballistic there: ``D_par`` holds the
        running value ``(v mu)^2 t_max / 2`` and ``is_converged_par`` is False.
    running_times : array_like of float, optional
        A common time grid (1/omega_c, increasing) on which to store the running
        ``D_perp(t)`` and ``D_par(t)`` of every sample (linear interpolation; NaN beyond a
        sample's run). None stores none.
    threads_per_sample : int or None, default: 1
        Numba threads each sample may use (set in the worker before each run). None leaves
        the worker's setting alone.
    overwrite : bool, default: False
        Replace an existing file at ``path`` built with other settings, and discard a journal
        of a build with other settings. The old file is replaced only when the new one is
        complete.
    progress : bool, default: True
        Show a tqdm progress bar (rate and ETA) on stderr. Messages go to the
        ``crtransport.dataset`` logger.

    Returns
    -------
    xarray.Dataset
        The database, in sample order (see :func:`~crtransport.dataset.open_dataset` for its
        layout); read back from ``path`` when one is given.

    Raises
    ------
    ValueError
        If ``n_samples < 1``, ``analytic_fraction`` is not in [0, 1], ``seed`` is negative,
        a simulation setting is unknown or sets a per-sample input, ``running_times`` is not
        an increasing grid of times >= 0, ``path`` is a directory, ``n_workers`` is given
        with an executor, a journal of a build with other settings exists (the message names
        the differences), or the journal is damaged.
    TypeError
        If ``space`` is not a ParameterSpace or ``n_samples`` is missing for a random design.
    FileExistsError
        If ``path`` holds a file that is not this build's result and ``overwrite`` is False.
    FileNotFoundError, PermissionError
        If the folder of ``path`` does not exist or cannot be written.
    RuntimeError
        If a sample fails; the samples finished before are kept in the journal.

    Notes
    -----
    Only the calling process writes: workers return small records, the parent appends each
    to the journal with one ``write`` followed by ``fsync``. Write ``build_dataset`` calls in
    scripts under ``if __name__ == "__main__":``, as for any process pool that spawns.

    Examples
    --------
    >>> import crtransport as crt
    >>> space = crt.dataset.ParameterSpace.paper()
    >>> ds = crt.build_dataset(space, n_samples=5000, path="db.nc", seed=7,
    ...                        simulation=dict(n_particles=10_000, n_waves=500))  # doctest: +SKIP
    """
    return _build(
        space,
        n_samples,
        path=path,
        seed=seed,
        simulation=simulation,
        executor=executor,
        n_workers=n_workers,
        analytic_fraction=analytic_fraction,
        running_times=running_times,
        threads_per_sample=threads_per_sample,
        overwrite=overwrite,
        progress=progress,
        run_fn=_simulate_run,
        defaults_fn=simulation_defaults,
    )


def check_pool(
    executor: Executor | None, n_workers: int | None, threads_per_sample: int | None
) -> tuple[int | None, int | None]:
    """Validate where samples run; return ``(n_workers, threads_per_sample)``."""
    if threads_per_sample is not None:
        threads_per_sample = check_int("threads_per_sample", threads_per_sample, low=1)
    if executor is not None and n_workers is not None:
        raise ValueError("`n_workers` sizes the default pool; it cannot be used with `executor`.")
    if n_workers is not None:
        n_workers = check_int("n_workers", n_workers, low=1)
    if executor is not None and not isinstance(executor, Executor):
        raise TypeError(
            f"`executor` must be a concurrent.futures.Executor; got {type(executor).__name__}."
        )
    return n_workers, threads_per_sample


def _check_path(path: str | os.PathLike[str] | None) -> Path | None:
    if path is None:
        return None
    path = Path(path)
    if path.is_dir():
        raise ValueError(f"`path` must be a file path; {path} is a directory.")
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise FileNotFoundError(f"cannot write {path}: the folder {parent} does not exist.")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise PermissionError(f"cannot write {path}: no write permission in {parent}.")
    return path


def _existing_result(path: Path, fingerprint: Mapping[str, Any], overwrite: bool) -> bool:
    """True if ``path`` already holds this build's result; raise if it holds something else."""
    if not path.exists():
        return False
    try:
        ds = open_dataset(path)
    except InvalidDatasetError as exc:
        if overwrite:
            return False
        raise FileExistsError(
            f"{path} exists and is not a crtransport database ({exc}); not overwriting it. "
            "Choose another path or pass overwrite=True."
        ) from None
    stored = stored_config(ds)
    if stored == fingerprint:
        return True
    if overwrite:
        return False
    diffs = describe_differences(stored or {}, fingerprint)
    raise FileExistsError(
        f"{path} exists and was built with other settings ({'; '.join(diffs)}). Choose another "
        "path or pass overwrite=True (it is replaced only when the new build is complete)."
    )


def _build(
    space: ParameterSpace | None,
    n_samples: int | None,
    *,
    path: str | os.PathLike[str] | None,
    seed: int,
    simulation: Mapping[str, Any] | None,
    executor: Executor | None,
    n_workers: int | None,
    analytic_fraction: float,
    running_times: ArrayLike | None,
    threads_per_sample: int | None,
    overwrite: bool,
    progress: bool,
    run_fn: RunFn,
    defaults_fn: Callable[[], dict[str, Any]],
) -> xr.Dataset:
    """``build_dataset`` with an injectable per-sample function (tests, benchmarks)."""
    # ---- validate everything before any work
    if space is None:
        space = ParameterSpace.paper()
    if not isinstance(space, ParameterSpace):
        raise TypeError(f"`space` must be a ParameterSpace; got {type(space).__name__}.")
    seed = check_int("seed", seed, low=0, high=2**63 - 1)
    analytic_fraction = check_real("analytic_fraction", analytic_fraction, low=0.0, high=1.0)
    n, n_analytic = _counts(space, n_samples, analytic_fraction)
    times = _check_running_times(running_times)
    n_workers, threads_per_sample = check_pool(executor, n_workers, threads_per_sample)
    settings = _resolve_settings(simulation, defaults_fn())
    out_path = _check_path(path)

    fingerprint: dict[str, Any] = {
        "crtransport_version": __version__,
        "schema_version": SCHEMA_VERSION,
        "seed": seed,
        "n_samples": n,
        "n_analytic": n_analytic,
        "analytic_fraction": analytic_fraction,
        "space": space.to_dict(),
        "simulation": settings,
        "running_times": times,
        "runner": f"{run_fn.__module__}.{run_fn.__qualname__}",
    }
    fingerprint = json.loads(json.dumps(fingerprint))

    # issue 19.1: lock the build before anything on disk is looked at (a lock file that is
    # never replaced), and clean up what a killed build of this path left (19.13)
    lock = None
    if out_path is not None:
        lock = BuildLock.acquire(out_path)
        remove_stale_temporaries(out_path)
    try:
        return _build_locked(
            out_path, fingerprint, space, n, n_analytic, seed, settings, times,
            threads_per_sample, run_fn, executor=executor, n_workers=n_workers,
            overwrite=overwrite, progress=progress,
        )  # fmt: skip
    finally:
        if lock is not None:
            lock.release()


def _build_locked(
    out_path: Path | None,
    fingerprint: dict[str, Any],
    space: ParameterSpace,
    n: int,
    n_analytic: int,
    seed: int,
    settings: dict[str, Any],
    times: list[float] | None,
    threads_per_sample: int | None,
    run_fn: RunFn,
    *,
    executor: Executor | None,
    n_workers: int | None,
    overwrite: bool,
    progress: bool,
) -> xr.Dataset:
    """The rest of :func:`_build`, with the build lock held (when there is a path)."""
    n_sim = n - n_analytic
    if out_path is not None and _existing_result(out_path, fingerprint, overwrite):
        logger.info("%s already holds this build; nothing to do", out_path)
        stale = journal_path(out_path)
        if stale.exists():
            Journal.open(stale, fingerprint, discard_mismatch=True).remove()
        return open_dataset(out_path)

    params, is_analytic = design_inputs(space, n_sim, n_analytic, seed)
    rows = np.stack([params[name] for name in INPUTS], axis=1)
    if run_fn is _simulate_run:
        _check_rows(rows[:n_sim], settings)

    journal: Journal | None = None
    records: dict[int, dict[str, Any]] = {}
    if out_path is not None:
        journal = Journal.open(journal_path(out_path), fingerprint, discard_mismatch=overwrite)
        records = journal.records
        index = off_design_record(records, rows, n_sim)
        if index is not None:
            journal.close()
            raise ValueError(
                f"the journal {journal.path} holds sample {index} with inputs that do not "
                "match this build's design (another NumPy/SciPy version?); it was left in "
                "place. Move it away or pass overwrite=True to start over."
            )
    try:
        todo = [i for i in range(n_sim) if i not in records]
        n_resumed = n_sim - len(todo)  # done by an earlier, interrupted session
        if todo:
            _run_samples(
                todo, rows, settings, seed, times, threads_per_sample, run_fn,
                executor=executor, n_workers=n_workers, journal=journal, records=records,
                n_done=n_sim - len(todo), n_sim=n_sim, progress=progress,
            )  # fmt: skip
        ordered = [records[i] for i in range(n_sim)]
        for i in range(n_sim, n):
            ordered.append(
                analytic_record(i, dict(zip(INPUTS, rows[i], strict=True)), settings, times)
            )
        host = f"{platform.platform()}, {os.cpu_count()} cpus"
        attrs = build_attrs(fingerprint, ordered, host=host, n_resumed=n_resumed)
        ds = assemble(params, ordered, is_analytic=is_analytic, running_times=times, attrs=attrs)
        _report_quality(ds)
        if out_path is None:
            return ds
        write_dataset(ds, out_path)
        logger.info("wrote %s (%d samples, %d analytic)", out_path, n, n_analytic)
    except BaseException:
        if journal is not None:
            journal.close()
        raise
    assert journal is not None
    journal.remove()
    return open_dataset(out_path)


def build_attrs(
    fingerprint: Mapping[str, Any],
    records: Sequence[Mapping[str, Any]],
    *,
    host: str | None = None,
    n_resumed: int = 0,
) -> dict:
    """The database's global attributes: provenance, every setting, and what the build cost.

    The CF attributes (``Conventions``, ``title``, ``source``, ``references``, ``history``)
    come first. ``history`` has one line per build session, oldest first: with
    ``n_resumed > 0`` (samples read back from the journal of an interrupted build) a line says
    that the build was resumed and how much of it the earlier session(s) had done.

    The cost is the sum over samples of the wall time of each run (``cost_sample_seconds``;
    core-seconds when each sample runs on one thread) and of the number of wave evaluations
    ``n_particles * n_waves * n_steps`` (``cost_wave_evaluations``), which does not depend on
    the machine. ``host``, the machine that ran the build, is stored as ``build_host`` when
    given. The version is the one that ran the build (from ``fingerprint``).
    """
    settings = fingerprint["simulation"]
    version = fingerprint["crtransport_version"]
    n_wave_evals = 0.0
    for rec in records:
        if rec["wall_time"] > 0:  # analytic rows cost nothing
            n_steps = round(rec["t_max"] / rec["dt"])
            n_wave_evals += float(settings["n_particles"]) * settings["n_waves"] * n_steps
    n, n_analytic = fingerprint["n_samples"], fingerprint["n_analytic"]
    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    history = []
    if n_resumed:
        history.append(
            f"{now} crtransport {version}: build resumed from the journal of an interrupted "
            f"build, with {n_resumed} of {n - n_analytic} simulated samples done before"
        )
    history.append(
        f"{now} crtransport {version}: build_dataset wrote {n} samples ({n_analytic} exact "
        f"b = 0 rows), seed {fingerprint['seed']}"
    )
    attrs = {
        "Conventions": CF_CONVENTIONS,
        "title": "crtransport database of cosmic-ray diffusion coefficients",
        "source": f"crtransport {version} test-particle simulations",
        "history": "\n".join(history),
        "references": REFERENCES,
        "crtransport_version": version,
        "schema_version": np.int32(SCHEMA_VERSION),
        "seed": np.int64(fingerprint["seed"]),
        "n_samples": np.int64(fingerprint["n_samples"]),
        "n_analytic": np.int64(fingerprint["n_analytic"]),
        "parameter_space": json.dumps(fingerprint["space"]),
        "simulation": json.dumps(settings),
        "config_json": json.dumps(fingerprint),
        "cost_sample_seconds": float(sum(rec["wall_time"] for rec in records)),
        "cost_wave_evaluations": n_wave_evals,
    }
    if host is not None:
        attrs["build_host"] = host
    return attrs


def _report_quality(ds: xr.Dataset) -> None:
    """Log non-finite outputs and unconverged runs: stored as they are, never silently."""
    for name in ("D_perp", "D_perp_err", "D_par", "D_par_err"):
        bad = np.flatnonzero(~np.isfinite(ds[name].values))
        if bad.size:
            logger.warning("%s is not finite for %d samples: %s", name, bad.size, bad[:20].tolist())
    simulated = ~ds["is_analytic"].values
    n_bad = int((~ds["is_converged_perp"].values & simulated).sum())
    if n_bad:
        logger.warning(
            "%d of %d simulated samples did not reach a D_perp plateau (is_converged_perp = "
            "False); filter on it or raise t_max",
            n_bad,
            int(simulated.sum()),
        )


def _stop_pool(executor: Executor) -> None:
    """Stop an interrupted build's own pool now: its samples in flight are lost (a resumed
    build reruns them). ``shutdown(wait=False)`` alone let the interpreter's exit wait for
    them, which after Ctrl-C could take as long as the slowest sample in flight."""
    terminate = getattr(executor, "terminate_workers", None)  # Python >= 3.14
    if terminate is not None:
        terminate()
    else:
        for proc in list((getattr(executor, "_processes", None) or {}).values()):
            proc.terminate()
    executor.shutdown(wait=False, cancel_futures=True)


def _run_samples(
    todo: list[int],
    rows: NDArray,
    settings: Mapping[str, Any] | Callable[[int], Mapping[str, Any]],
    seed: int,
    times: list[float] | None,
    threads: int | None,
    run_fn: RunFn,
    *,
    executor: Executor | None,
    n_workers: int | None,
    journal: Journal | None,
    records: dict[int, dict[str, Any]],
    n_done: int,
    n_sim: int,
    progress: bool,
) -> None:
    from tqdm.auto import tqdm

    own = executor is None
    if own:
        n_workers = n_workers or _default_workers()
        executor = ProcessPoolExecutor(
            max_workers=n_workers,
            mp_context=pool_context(),
            initializer=_init_worker,
            initargs=(threads or 1, os.getpid()),  # workers exit when this process dies
        )
        window = 4 * n_workers
    else:
        window = 4 * int(getattr(executor, "_max_workers", 0) or 256)
    assert executor is not None
    logger.info(
        "running %d samples (%d already done) on %s",
        len(todo),
        n_done,
        f"{n_workers} local processes" if own else type(executor).__name__,
    )
    bar = tqdm(
        total=n_sim,
        initial=n_done,
        unit="sample",
        desc="crtransport build",
        disable=not progress,
        smoothing=0.05,
        dynamic_ncols=True,
    )
    start = time.perf_counter()

    # one mapping for every sample, or a function of the sample's index (an active build runs
    # rounds with different particle counts in one pool)
    settings_of = settings if callable(settings) else (lambda _: settings)

    def submit(index: int) -> Future:
        return executor.submit(
            _execute, run_fn, index, rows[index].tolist(), settings_of(index), seed, times,
            threads,
        )  # fmt: skip

    def on_result(record: dict[str, Any]) -> None:
        # what is kept is what a resume would read back, so both paths give the same file
        record = journal.append(record) if journal else json.loads(json.dumps(record))
        records[int(record["index"])] = record
        bar.update(1)

    ok = False
    try:
        _run_all(executor, todo, submit, on_result, window)
        ok = True
    finally:
        bar.close()
        if own and ok:
            executor.shutdown(wait=True)
        elif own:
            _stop_pool(executor)
    logger.info(
        "%d samples in %.1f s (%.3g samples/s)",
        len(todo),
        time.perf_counter() - start,
        len(todo) / max(time.perf_counter() - start, 1e-12),
    )
