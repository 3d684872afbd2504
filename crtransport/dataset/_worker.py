"""What runs in a worker: one sample, from inputs and a seed to a JSON-safe record.

This module stays light (NumPy only at import) because every worker process imports it to
unpickle its task. The engine is imported inside :func:`_simulate_run`.
"""

from __future__ import annotations

import math
import os
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from crtransport.dataset._schema import (
    INPUTS,
    OPTIONAL_RESULT_FIELDS,
    RESULT_FIELDS,
    RUNNING,
    STOP_RULES,
)

# ``run_fn(params, settings, seed_sequence) -> dict``: the per-sample simulation
RunFn = Callable[[Mapping[str, float], Mapping[str, Any], np.random.SeedSequence], dict]

_FLAGS = ("is_converged_perp", "is_converged_par")


def _simulate_run(
    params: Mapping[str, float], settings: Mapping[str, Any], seed_seq: np.random.SeedSequence
) -> dict[str, Any]:
    """Run :func:`crtransport.simulate` for one sample.

    Parameters
    ----------
    params : mapping
        ``T`` (m c^2), ``mu``, ``b`` (B0), ``lambda_perp`` and ``lambda_par`` (rho0).
    settings : mapping
        The remaining keyword arguments of :func:`crtransport.simulate`.
    seed_seq : numpy.random.SeedSequence
        The sample's seed.

    Returns
    -------
    dict
        The fields of :data:`~crtransport.dataset._schema.RESULT_FIELDS` plus ``running``:
        a mapping with arrays ``time`` (1/omega_c), ``D_perp`` and ``D_par``
        (rho0^2 omega_c).
    """
    from crtransport._simulate import simulate

    start = time.process_time()
    res = simulate(**run_arguments(params, settings), seed=seed_seq)
    cpu_time = time.process_time() - start
    running = res.running
    return {
        "D_perp": res.D_perp,
        "D_perp_err": res.D_perp_err,
        "D_par": res.D_par,
        "D_par_err": res.D_par_err,
        "is_converged_perp": res.converged,
        "is_converged_par": res.converged_par,
        "dt": res.config.dt,
        "t_max": res.t_end,
        "wall_time": res.wall_time,
        "alpha_perp": res.regime_perp.alpha,
        "alpha_perp_err": _finite_or_nan(res.regime_perp.alpha_err),
        "alpha_par": res.regime_par.alpha,
        "alpha_par_err": _finite_or_nan(res.regime_par.alpha_err),
        "stop_rule": STOP_RULES.index(res.stop_reason),
        "n_steps": res.n_steps,
        "cpu_time": cpu_time,
        "running": {
            "time": running["time"].values,
            "D_perp": running["D_perp"].values,
            "D_par": running["D_par"].values,
        },
    }


def _watch_parent(parent_pid: int, *, poll: float = 1.0) -> None:
    """Exit this process as soon as ``parent_pid`` is gone (issue 19.12).

    A pool worker blocked on its task pipe is not told when the builder dies (the forkserver
    and the other workers keep the pipe open), so without this it lived on for good. On Linux a
    pidfd is waited on (no polling, no PID reuse); elsewhere the parent is polled every ``poll``
    seconds. Runs in a daemon thread started by :func:`_init_worker`.
    """
    import select
    import threading

    def alive() -> bool:
        try:
            os.kill(parent_pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:  # pragma: no cover - exists, owned by someone else
            return True
        return True

    pidfd = -1
    if hasattr(os, "pidfd_open"):
        try:
            pidfd = os.pidfd_open(parent_pid)
        except ProcessLookupError:
            os._exit(1)
        except OSError:  # pragma: no cover - old kernels
            pidfd = -1

    def watch() -> None:
        if pidfd >= 0:
            select.select([pidfd], [], [])
        else:  # pragma: no cover - non-Linux
            while alive():
                time.sleep(poll)
        os._exit(1)  # the builder is gone: nothing will read our result

    threading.Thread(target=watch, name="crtransport-parent-watch", daemon=True).start()


def pitch_argument(mu: float) -> Any:
    """``simulate``'s ``mu`` for a database row: NaN marks isotropic pitch angles."""
    return "isotropic" if math.isnan(mu) else mu


def run_arguments(params: Mapping[str, float], settings: Mapping[str, Any]) -> dict[str, Any]:
    """Keyword arguments of :func:`crtransport.simulate` (and ``resolve_config``) for a row.

    ``params`` are the row's inputs (:data:`INPUTS`), ``settings`` the build's shared keyword
    arguments. A row of the composite model gets its own
    :class:`~crtransport.turbulence.CompositeTurbulence` with the row's ``slab_fraction``;
    the other models take no slab part.
    """
    slab = params.get("slab_fraction", 0.0)
    common = {"T": params["T"], "mu": pitch_argument(params["mu"])}
    if settings.get("model") == "composite":
        from crtransport.turbulence import CompositeTurbulence

        spectral = ("model", "k_perp_range", "k_par_range")
        turbulence = CompositeTurbulence(
            b=params["b"],
            lambda_perp=params["lambda_perp"],
            lambda_par=params["lambda_par"],
            slab_fraction=slab,
            k_perp_range=settings.get("k_perp_range"),
            k_par_range=settings.get("k_par_range"),
        )
        rest = {k: v for k, v in settings.items() if k not in spectral}
        return {**common, "turbulence": turbulence, **rest}
    if slab != 0.0:
        raise ValueError(
            f"`slab_fraction` = {slab:g} needs the composite model (simulation setting "
            f"model='composite'); model {settings.get('model', '2d')!r} has no slab part."
        )
    return {
        **common,
        "b": params["b"],
        "lambda_perp": params["lambda_perp"],
        "lambda_par": params["lambda_par"],
        **settings,
    }


def _finite_or_nan(value: float) -> float:
    """An infinite error (no estimate) is stored as NaN, which the schema allows there."""
    return value if math.isfinite(value) else math.nan


def _init_worker(n_threads: int = 1, parent_pid: int | None = None) -> None:
    """Executor initializer: pin Numba to ``n_threads`` threads; exit when the builder dies."""
    if parent_pid is not None:
        _watch_parent(parent_pid)
    if "numba" in sys.modules:
        import numba

        numba.set_num_threads(min(n_threads, numba.config.NUMBA_NUM_THREADS))  # type: ignore[attr-defined]
    else:  # sizes Numba's thread pool when it is first imported
        os.environ["NUMBA_NUM_THREADS"] = str(n_threads)


def _pin_threads(n_threads: int | None) -> None:
    if n_threads is None:
        return
    import numba

    limit = numba.config.NUMBA_NUM_THREADS  # type: ignore[attr-defined]
    numba.set_num_threads(max(1, min(n_threads, limit)))


def _execute(
    run_fn: RunFn,
    index: int,
    params: Sequence[float],
    settings: Mapping[str, Any],
    seed: int,
    running_times: Sequence[float] | None,
    n_threads: int | None,
) -> dict[str, Any]:
    """Run sample ``index`` and return its JSON-safe journal record.

    ``params`` are the inputs in :data:`INPUTS` order. The sample's seed is
    ``SeedSequence(seed, spawn_key=(index,))``, i.e. ``SeedSequence(seed).spawn(n)[index]``,
    so the record depends on nothing but the arguments.
    """
    _pin_threads(n_threads)
    named = dict(zip(INPUTS, (float(p) for p in params), strict=True))
    seed_seq = np.random.SeedSequence(seed, spawn_key=(index,))
    out = run_fn(named, settings, seed_seq)
    missing = [f for f in RESULT_FIELDS if f not in out and f not in OPTIONAL_RESULT_FIELDS]
    if missing:
        raise TypeError(f"the simulation returned no {', '.join(missing)} for sample {index}.")
    record: dict[str, Any] = {"index": int(index), "params": [float(p) for p in params]}
    for name in RESULT_FIELDS:
        if name not in out and name in OPTIONAL_RESULT_FIELDS:
            continue  # a run function written for schema 1
        value = out[name]
        record[name] = bool(value) if name in _FLAGS else float(value)
    if running_times is not None:
        run = out.get("running")
        if run is None:
            raise TypeError(f"the simulation returned no running coefficients for {index}.")
        record.update(_interpolate_running(run, running_times))
    # the check a resumed build applies to journaled records (issue 19.7): both paths agree
    from crtransport.dataset._records import check_record

    check_record(record, running_times=running_times)
    return record


def _interpolate_running(run: Mapping[str, Any], times: Sequence[float]) -> dict[str, list]:
    """Running D on the common grid ``times``: linear in t, NaN outside the saved range."""
    t = np.asarray(run["time"], dtype=np.float64)
    grid = np.asarray(times, dtype=np.float64)
    out = {}
    for name, key in zip(RUNNING, ("D_perp", "D_par"), strict=True):
        y = np.asarray(run[key], dtype=np.float64)
        vals = np.interp(grid, t, y, left=math.nan, right=math.nan)
        out[name] = [float(v) for v in vals]
    return out
