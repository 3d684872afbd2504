"""Prediction from a fitted state: input reading, path choice, extrapolation policy, prior.

The estimator's ``predict`` calls :func:`predict`; ``evaluate`` calls :func:`predict_columns`.
The network itself runs in ``_forward``; the warnings point at the caller's line through an
explicit ``stacklevel`` (frames from the function that receives it up to the user's code).
"""

from __future__ import annotations

import warnings
from typing import Any, Literal

import numpy as np
import xarray as xr

from crtransport._validation import EXTRAPOLATE_ADVICE, AccuracyWarning, check_choice
from crtransport.surrogate._data import (
    array_columns,
    check_names,
    dataarray_columns,
    named_columns,
)
from crtransport.surrogate._forward import (
    Networks,
    forward_device,
    forward_host,
    forward_point,
    use_host,
)
from crtransport.surrogate._prior import point_prior, prior_factor
from crtransport.surrogate._state import SurrogateState

__all__ = ["ON_EXTRAPOLATE", "OnExtrapolate", "predict", "predict_columns"]

OnExtrapolate = Literal["warn", "raise", "ignore"]
ON_EXTRAPOLATE = ("warn", "raise", "ignore")
_SCALAR_TYPES = (float, int, np.float64, np.float32)


def predict(
    nets: Networks,
    data: Any,
    inputs: dict[str, Any],
    *,
    return_std: bool,
    policy: str,
    stacklevel: int,
) -> Any:
    """``Surrogate.predict``'s work: see its docstring."""
    state = nets.state
    if policy not in ON_EXTRAPOLATE:
        check_choice("on_extrapolate", policy, ON_EXTRAPOLATE)
    features = state.config.features
    if data is None and not return_std and len(inputs) == len(features):
        # one point from Python or NumPy scalars: no arrays to read
        values = [inputs.get(name) for name in features]
        if all(type(v) in _SCALAR_TYPES for v in values):
            result = predict_point(nets, [float(v) for v in values], policy, stacklevel + 1)  # type: ignore[arg-type]
            if result is not None:
                return result
    if return_std and state.config.n_models < 2:
        raise ValueError(
            "`return_std` needs an ensemble (n_models >= 2); this model has n_models=1."
        )
    if data is not None:
        if inputs:
            raise TypeError("give either `data` or named inputs, not both.")
        if isinstance(data, xr.Dataset):
            missing = [f for f in features if f not in data.variables]
            if missing:
                wanted = ", ".join(repr(f) for f in features)
                raise ValueError(
                    f"`data` has no variable {missing[0]!r}; this model's inputs are {wanted}."
                )
            values = [data[f] for f in features]
        else:
            columns, shape = array_columns(data, features)
            return predict_columns(nets, columns, shape, policy, return_std, stacklevel + 1)
    else:
        if len(inputs) != len(features) or any(name not in inputs for name in features):
            check_names(inputs, features)
        values = [inputs[name] for name in features]
    if any(isinstance(v, xr.DataArray) for v in values):
        columns, template = dataarray_columns(values, features)
        result = predict_columns(nets, columns, template.shape, policy, return_std, stacklevel + 1)
        return _as_dataarrays(state, result, template, return_std)
    columns, shape = named_columns(values, features)
    return predict_columns(nets, columns, shape, policy, return_std, stacklevel + 1)


def _as_dataarrays(
    state: SurrogateState, result: Any, template: xr.DataArray, return_std: bool
) -> Any:
    attrs = {
        "units": state.target_units,
        "long_name": f"surrogate prediction of {state.config.target}",
    }

    def wrap(values: np.ndarray, suffix: str = "") -> xr.DataArray:
        return xr.DataArray(
            np.asarray(values).reshape(template.shape),
            dims=template.dims,
            coords=template.coords,
            name=state.config.target + suffix,
            attrs=attrs,
        )

    if return_std:
        return wrap(result[0]), wrap(result[1], "_std")
    return wrap(result)


def predict_point(
    nets: Networks, values: list[float], policy: str, stacklevel: int
) -> np.float64 | None:
    """One point from Python floats on the host; None defers to the array path (which
    reports NaN, a non-positive ``log`` input or an input out of the prior's range)."""
    config = nets.state.config
    prior = point_prior(config, values) if config.output_powers else 1.0
    if prior is None:
        return None
    result = forward_point(nets.host, values)
    if result is None:
        return None
    value, outside = result
    if outside and policy != "ignore":
        check_extrapolation(nets.state, [np.array([v]) for v in values], policy, stacklevel + 1)
    return np.float64(prior * value)


def predict_columns(
    nets: Networks,
    columns: list[np.ndarray],
    shape: tuple[int, ...],
    policy: str,
    return_std: bool,
    stacklevel: int,
) -> Any:
    """Prediction (and spread) for flat float64 ``columns``, reshaped to ``shape``."""
    n = columns[0].size
    if n == 1 and not return_std:
        value = predict_point(nets, [float(c[0]) for c in columns], policy, stacklevel + 1)
        if value is not None:
            return np.full(shape, value)[()]
    prior = prior_factor(nets.state.config, columns)
    if use_host(nets.state.config, n):
        mean, std, outside = forward_host(nets.host, columns, return_std)
    else:
        mean, std, outside = forward_device(nets.device, nets.host, columns, return_std)
    if outside and policy != "ignore":
        check_extrapolation(nets.state, columns, policy, stacklevel + 1)
    if prior is not None:
        mean *= prior
        if std is not None:
            std *= prior
    if std is not None:
        return mean.reshape(shape)[()], std.reshape(shape)[()]
    return mean.reshape(shape)[()]


def check_extrapolation(
    state: SurrogateState, columns: list[np.ndarray], policy: str, stacklevel: int
) -> None:
    """Warn (AccuracyWarning) or raise for inputs outside the training domain."""
    parts = []
    bad_any = np.zeros(columns[0].shape, dtype=bool)
    for name, c, lo, hi in zip(
        state.config.features, columns, state.domain_low, state.domain_high, strict=True
    ):
        bad = ~((c >= lo) & (c <= hi))
        if np.any(bad):
            k = int(np.sum(bad))
            worst = c[bad][np.argmax(np.maximum(lo - c[bad], c[bad] - hi))]
            parts.append(
                f"{name} = {float(worst):.4g} is outside the trained range "
                f"[{lo:.6g}, {hi:.6g}]" + (f" ({k} points, this the farthest)" if k > 1 else "")
            )
            bad_any |= bad
    if not parts:  # only float32 rounding at the very edge of the domain
        return
    n_bad, n = int(np.sum(bad_any)), bad_any.size
    where = "the input point lies" if n == 1 else f"{n_bad} of {n} input points lie"
    message = (
        f"{where} outside the training domain ({'; '.join(parts)}): the surrogate "
        f"extrapolates there. {EXTRAPOLATE_ADVICE}"
    )
    if policy == "raise":
        raise ValueError(message)
    warnings.warn(message, AccuracyWarning, stacklevel=stacklevel)
