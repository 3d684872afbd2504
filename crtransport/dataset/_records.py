"""What a per-sample record may hold: the check applied to fresh results and journaled ones.

A record is the JSON-safe dictionary one sample produces (``_worker._execute``) and the journal
stores. The same check runs on a fresh result before it is journaled and on every record a
resumed build reads back, so a resumed build never stores what a fresh run could not produce
(issue 19: a hand-edited ``D_perp = 1e300`` reached the final file).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from typing import Any

from crtransport import units
from crtransport.dataset._schema import (
    INPUTS,
    NAN_ALLOWED,
    OPTIONAL_RESULT_FIELDS,
    RESULT_FIELDS,
    RUNNING,
    VALID_RANGES,
)

_FLAGS = ("is_converged_perp", "is_converged_par")
_OUTPUTS = ("D_perp", "D_perp_err", "D_par", "D_par_err")


class InvalidRecordError(ValueError):
    """A sample's record holds something a run could not produce (the message says what)."""


def _number(rec: Mapping[str, Any], name: str) -> float:
    value = rec[name]
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InvalidRecordError(f"`{name}` must be a number; got {value!r}")
    return float(value)


def diffusion_bound(T: float, dt: float, t_max: float) -> float:
    """Largest |D| (rho0^2 omega_c) any estimate of a run of length ``t_max`` can give.

    A displacement is at most ``v t_max`` (guiding centres: plus two Larmor radii ``2 u``) and
    the estimators take half a slope over at least one step, so ``|D| <= (v t_max + 2u)^2 / (2
    dt)``; this returns twice that.
    """
    v = float(units.speed_from_T(T))
    u = float(units.u_from_T(T))
    return (v * t_max + 2.0 * u) ** 2 / dt


def check_record(rec: Any, *, running_times: Sequence[float] | None) -> None:
    """Raise :class:`InvalidRecordError` if ``rec`` is not a record a run could produce.

    Checks: every field present with its type; inputs finite and in the schema's ranges;
    ``dt``, ``t_max`` > 0 and ``wall_time`` >= 0, all finite; outputs finite or NaN (NaN is
    stored and reported, as for a fresh run), errors >= 0, and every ``|D|`` below
    :func:`diffusion_bound`; running coefficients of the right length when the build stores them.
    """
    if not isinstance(rec, Mapping):
        raise InvalidRecordError(f"a record must be a JSON object; got {type(rec).__name__}")
    # the diagnostics (schema 2) are optional: run functions written for schema 1 omit them
    required = [f for f in RESULT_FIELDS if f not in OPTIONAL_RESULT_FIELDS]
    missing = [f for f in ("index", "params", *required) if f not in rec]
    if running_times is not None:
        missing += [f for f in RUNNING if f not in rec]
    if missing:
        raise InvalidRecordError(f"missing field(s) {', '.join(missing)}")
    index = rec["index"]
    if isinstance(index, bool) or not isinstance(index, int) or index < 0:
        raise InvalidRecordError(f"`index` must be an integer >= 0; got {index!r}")
    params = rec["params"]
    if not isinstance(params, list) or len(params) != len(INPUTS):
        raise InvalidRecordError(f"`params` must be a list of {len(INPUTS)} numbers ({INPUTS})")
    for name, value in zip(INPUTS, params, strict=True):
        _check_range(name, _number({name: value}, name))
    for name in _FLAGS:
        if not isinstance(rec[name], bool):
            raise InvalidRecordError(f"`{name}` must be true or false; got {rec[name]!r}")
    dt, t_max, wall = (_number(rec, n) for n in ("dt", "t_max", "wall_time"))
    for name, value in (("dt", dt), ("t_max", t_max), ("wall_time", wall)):
        _check_range(name, value)
    for name in OPTIONAL_RESULT_FIELDS:
        if name in rec:
            _check_range(name, _number(rec, name))
    bound = diffusion_bound(float(params[0]), dt, t_max)
    for name in _OUTPUTS:
        value = _number(rec, name)
        if math.isnan(value):
            continue
        if math.isinf(value):
            raise InvalidRecordError(f"`{name}` is {value}; a run gives finite values or NaN")
        _check_range(name, value)
        if abs(value) > bound:
            raise InvalidRecordError(
                f"`{name}` = {value:.6g} is beyond what a run of t_max = {t_max:.6g}, "
                f"dt = {dt:.6g} at T = {params[0]:.6g} can give (|D| <= {bound:.3g})"
            )
    if running_times is not None:
        for name in RUNNING:
            values = rec[name]
            if not isinstance(values, list) or len(values) != len(running_times):
                raise InvalidRecordError(
                    f"`{name}` must be a list of {len(running_times)} numbers (one per running "
                    "time)"
                )
            for value in values:
                v = _number({name: value}, name)
                if math.isinf(v):
                    raise InvalidRecordError(f"`{name}` holds {v}")


def _check_range(name: str, value: float) -> None:
    if math.isinf(value) or (math.isnan(value) and name not in NAN_ALLOWED):
        raise InvalidRecordError(f"`{name}` must be finite; got {value}")
    valid = VALID_RANGES.get(name)
    if valid is not None and not math.isnan(value) and value not in valid:
        raise InvalidRecordError(f"`{name}` = {value!r} is outside its valid range {valid}")
