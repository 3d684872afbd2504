"""A cheap stand-in for the engine, for tests and the overhead benchmark (private).

:func:`fake_simulate_run` has the signature of ``_worker._simulate_run`` and returns a
deterministic function of the inputs and the seed, so the builder's mechanics (ordering,
resume, seeding, parallel identity) can be tested in milliseconds. It lives in the package,
not in the tests, so that process-pool workers can unpickle it by reference.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import numpy as np

FAKE_DEFAULTS: dict[str, Any] = {
    "n_particles": 100,
    "n_waves": 10,
    "dt": None,
    "t_max": 50.0,
    "n_save": 11,
    "sleep": 0.0,
    "fail_above_T": None,
    "call_log": None,
}


def fake_defaults() -> dict[str, Any]:
    """Keyword defaults of the fake engine (``sleep`` in s, ``fail_above_T`` in m c^2)."""
    return dict(FAKE_DEFAULTS)


def fake_simulate_run(
    params: Mapping[str, float], settings: Mapping[str, Any], seed_seq: np.random.SeedSequence
) -> dict[str, Any]:
    """Deterministic fake result.

    Sleeps ``settings['sleep']`` s, fails above ``fail_above_T`` and, when ``call_log`` is a
    path, appends ``repr(T)`` to it (to count runs across processes).
    """
    limit = settings.get("fail_above_T")
    if limit is not None and params["T"] > limit:
        raise RuntimeError(f"fake engine failure at T = {params['T']:g}")
    if settings.get("call_log"):
        with open(settings["call_log"], "a", encoding="utf-8") as fh:
            fh.write(f"{params['T']!r}\n")
    if settings.get("sleep"):
        time.sleep(settings["sleep"])
    rng = np.random.default_rng(seed_seq)
    noise = rng.standard_normal(2) / np.sqrt(settings["n_particles"])
    t_max = float(settings["t_max"])
    # physically possible values (the builder checks them): D ~ v lambda, at most ballistic
    T = params["T"]
    v = np.sqrt(T) * np.sqrt(T + 2.0) / (1.0 + T)
    reach = v * t_max
    d_perp = params["b"] ** 2 * v * min(params["lambda_perp"], reach) * (1.0 + 0.1 * noise[0])
    d_par = v * min(params["lambda_par"], reach) * (1.0 + T) ** 0.1 * (1.0 + 0.1 * noise[1])
    time_grid = np.linspace(0.0, t_max, settings["n_save"])
    with np.errstate(divide="ignore", invalid="ignore"):
        relax = 1.0 - np.exp(-time_grid / 5.0)
    return {
        "D_perp": d_perp,
        "D_perp_err": abs(d_perp) * 0.01,
        "D_par": d_par,
        "D_par_err": abs(d_par) * 0.01,
        "is_converged_perp": bool(noise[0] < 1.0),
        "is_converged_par": True,
        "dt": settings["dt"] if settings["dt"] is not None else 2 * np.pi / 10,
        "t_max": t_max,
        "wall_time": 1e-3 * settings["n_particles"] / 100,
        "running": {"time": time_grid, "D_perp": d_perp * relax, "D_par": d_par * relax},
    }


def assert_same_database(a: Any, b: Any) -> None:
    """``xarray.testing.assert_identical`` up to the ``history`` attribute and the on-disk
    unit encoding: two builds of one database differ only in when they ran (``history``),
    and a file read with plain ``xarray.load_dataset`` has its CF-encoded units."""
    import xarray as xr

    from crtransport.dataset._io import cf_decode

    def plain(obj: Any) -> Any:
        obj = obj.copy(deep=False)
        if isinstance(obj, xr.Dataset):
            for var in obj.variables.values():
                var.attrs = dict(var.attrs)
            obj = cf_decode(obj)
        obj.attrs = {k: v for k, v in obj.attrs.items() if k != "history"}
        return obj

    xr.testing.assert_identical(plain(a), plain(b))
