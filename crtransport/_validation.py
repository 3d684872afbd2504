"""Boundary checks shared by every public function.

Every message has one format: the parameter name in backticks, the allowed range, and the value
received, e.g. "`mu` must be in [-1, 1]; got 1.5." Kernels never validate; public functions and
configuration ``__post_init__`` methods do, through these helpers.
"""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Iterable
from typing import Any

import numpy as np

__all__ = ["AccuracyWarning"]


#: The Python advice that ends an extrapolation warning or error, and how the command line says
#: it (``crtransport.cli`` swaps them: CLI messages name flags, not keywords).
EXTRAPOLATE_ADVICE = "Pass on_extrapolate='ignore' to accept this or 'raise' to make it an error."
EXTRAPOLATE_ADVICE_CLI = (
    "(--on-extrapolate ignore accepts such inputs; --on-extrapolate raise makes them an error.)"
)

#: The same for inputs outside a transport model's domain (``diffusion_coefficients``, whose
#: default is to raise).
DOMAIN_ADVICE = "Pass on_extrapolate='warn' or 'ignore' to evaluate the model there anyway."
DOMAIN_ADVICE_CLI = "(--on-extrapolate warn or ignore evaluates the model there anyway.)"


class AccuracyWarning(UserWarning):
    """A setting is legal but may compromise accuracy (the message gives the numbers)."""


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return repr(value) if isinstance(value, str) else str(value)


def check_real(
    name: str,
    value: Any,
    *,
    low: float = -math.inf,
    high: float = math.inf,
    low_open: bool = False,
    high_open: bool = False,
) -> float:
    """Return ``value`` as a finite float inside the given interval, or raise."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real | np.floating | np.integer):
        if isinstance(value, np.ndarray) and value.ndim == 0:
            value = value.item()
        else:
            raise TypeError(f"`{name}` must be a real number; got {type(value).__name__}.")
    value = float(value)
    interval = _interval(low, high, low_open, high_open)
    if not math.isfinite(value):
        raise ValueError(f"`{name}` must be finite and in {interval}; got {_fmt(value)}.")
    too_low = value <= low if low_open else value < low
    too_high = value >= high if high_open else value > high
    if too_low or too_high:
        raise ValueError(f"`{name}` must be in {interval}; got {_fmt(value)}.")
    return value


def check_int(name: str, value: Any, *, low: int | None = None, high: int | None = None) -> int:
    """Return ``value`` as an int within ``[low, high]``, or raise."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral | np.integer):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        else:
            raise TypeError(f"`{name}` must be an integer; got {_fmt(value)}.")
    value = int(value)
    if (low is not None and value < low) or (high is not None and value > high):
        lo = "-inf" if low is None else str(low)
        hi = "inf" if high is None else str(high)
        raise ValueError(f"`{name}` must be an integer in [{lo}, {hi}]; got {value}.")
    return value


def check_choice(name: str, value: Any, choices: Iterable[str]) -> str:
    """Return ``value`` if it is one of ``choices``, or raise listing them."""
    choices = tuple(choices)
    if value not in choices:
        allowed = ", ".join(repr(c) for c in choices)
        raise ValueError(f"`{name}` must be one of {allowed}; got {_fmt(value)}.")
    return value


def check_range(
    name: str, value: Any, *, low: float = 0.0, allow_zero_low: bool = True
) -> tuple[float, float]:
    """Return a wave-number band ``(k_min, k_max)`` with ``low <= k_min < k_max <= inf``."""
    try:
        k_min, k_max = (float(v) for v in value)
    except (TypeError, ValueError):
        raise TypeError(f"`{name}` must be a pair (min, max); got {_fmt(value)}.") from None
    if math.isnan(k_min) or math.isnan(k_max):
        raise ValueError(f"`{name}` must not contain NaN; got ({k_min:g}, {k_max:g}).")
    if k_min < low or (k_min == low and not allow_zero_low) or not k_min < k_max:
        raise ValueError(
            f"`{name}` must satisfy {low:g} <= min < max <= inf; got ({k_min:g}, {k_max:g})."
        )
    return k_min, k_max


def check_array(
    name: str, value: Any, *, shape: tuple[int | None, ...], shape_text: str
) -> np.ndarray:
    """Return a C-contiguous float64 copy of ``value`` with the given shape, or raise."""
    try:
        if np.asarray(value).dtype.kind not in "biuf":  # None, strings, objects
            raise TypeError
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(
            f"`{name}` must be an array of real numbers with shape {shape_text}; got "
            f"{type(value).__name__}."
        ) from None
    ok = arr.ndim == len(shape) and all(s is None or s == a for s, a in zip(shape, arr.shape))
    if not ok:
        raise ValueError(f"`{name}` must have shape {shape_text}; got {arr.shape}.")
    if not np.all(np.isfinite(arr)):
        raise ValueError(
            f"`{name}` must be finite; got {int(np.sum(~np.isfinite(arr)))} non-finite entries."
        )
    return np.ascontiguousarray(arr)


def check_seed(name: str, value: Any) -> Any:
    """Return ``value`` if it can seed ``numpy.random.default_rng``, or raise.

    Accepted: a non-negative int, a ``numpy.random.SeedSequence`` or a ``Generator``
    (issue 19: ``seed='x'`` used to fail inside NumPy with a message about entropy).
    """
    if isinstance(value, np.random.SeedSequence | np.random.Generator):
        return value
    if isinstance(value, bool) or not isinstance(value, numbers.Integral | np.integer):
        raise TypeError(
            f"`{name}` must be a non-negative int, numpy.random.SeedSequence or Generator; got "
            f"{type(value).__name__}."
        )
    if value < 0:
        raise ValueError(f"`{name}` must be a non-negative integer; got {value}.")
    return value


def warn_accuracy(message: str, *, stacklevel: int = 3) -> None:
    warnings.warn(message, AccuracyWarning, stacklevel=stacklevel)


def _interval(low: float, high: float, low_open: bool, high_open: bool) -> str:
    lo = "(-inf" if low == -math.inf else ("(" if low_open else "[") + _fmt(float(low))
    hi = "inf)" if high == math.inf else _fmt(float(high)) + (")" if high_open else "]")
    return f"{lo}, {hi}"
