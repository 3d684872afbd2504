"""The forward pass of a fitted state, on the host (NumPy, float64) and on JAX (float32).

Both paths read the activations from the one registry in ``_activations``. The host path
evaluates single points and small batches (no dispatch cost); the JAX path evaluates larger
batches in chunks of one fixed shape (``_mlp.CHUNK``), so no batch size compiles again after
the first call. :func:`use_host` picks the faster of the two for a batch size and a network.
Functions here take and return plain arrays; the training domain is checked, but policy
(warn or raise) and the output prior are the caller's (``_predict``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from crtransport.surrogate._activations import activation, numpy_ops
from crtransport.surrogate._config import n_weights
from crtransport.surrogate._state import SurrogateState

__all__ = ["Networks", "forward_host", "forward_point", "use_host"]

#: Raw inputs beyond this magnitude (or below its inverse for a ``log`` input) are first
#: mapped onto the network's scale in float64 on the host (float32 cannot hold them).
_RAW_LIMIT = 1e30
#: Inputs of the float32 path are clipped to +-this once scaled (tanh saturates long before).
_SCALED_LIMIT = 1e30
#: Per-call overhead of the JAX path (dispatch, the fixed-size chunk's buffers), and the
#: host and JAX costs of one sample, in nanoseconds: ``a + b * multiply_adds`` (measured on a
#: 2-core AMD EPYC with the shipped 3-10-5-1 and 3-32-32-1 networks: the host is faster up to
#: about 8000 and 2500 points).
_JAX_CALL_NS = 150_000.0
_HOST_NS = (19.0, 0.070)
_JAX_NS = (4.3, 0.034)


def use_host(config: Any, n: int) -> bool:
    """Whether a batch of ``n`` samples runs faster on the host than through JAX."""
    if n <= 64:
        return True
    macs = config.n_models * n_weights(config.layer_sizes)
    gain = (_HOST_NS[0] - _JAX_NS[0]) + (_HOST_NS[1] - _JAX_NS[1]) * macs
    return n * gain <= _JAX_CALL_NS


@dataclass(frozen=True, slots=True)
class HostNet:
    """A state's network in float64 for NumPy (weights 2-D for one member, else stacked)."""

    weights: tuple[np.ndarray, ...]
    biases: tuple[np.ndarray, ...]
    offset: tuple[float, ...]
    scale: tuple[float, ...]
    is_log: tuple[bool, ...]
    low: tuple[float, ...]
    high: tuple[float, ...]
    output_scale: float
    hidden: Callable[[Any], Any]
    output: Callable[[Any], Any]
    n_models: int


def host_net(state: SurrogateState) -> HostNet:
    config = state.config
    one = config.n_models == 1
    return HostNet(
        weights=tuple(w[0] if one else w for w in (w.astype(np.float64) for w in state.weights)),
        biases=tuple(
            (b[0] if one else b)[..., None] for b in (b.astype(np.float64) for b in state.biases)
        ),
        offset=tuple(float(v) for v in state.input_offset),
        scale=tuple(float(v) for v in state.input_scale),
        is_log=tuple(f in config.log_features for f in config.features),
        low=tuple(float(v) for v in state.domain_low),
        high=tuple(float(v) for v in state.domain_high),
        output_scale=float(state.output_scale[0]),
        hidden=activation(config.activation, numpy_ops()),
        output=activation(config.output_activation, numpy_ops()),
        n_models=config.n_models,
    )


def _members(net: HostNet, h: np.ndarray) -> np.ndarray:
    """Member outputs, shape (n_models, n), for scaled inputs ``h`` of shape (n_features, n)."""
    last = len(net.weights) - 1
    for i, (w, b) in enumerate(zip(net.weights, net.biases, strict=True)):
        h = w @ h + b  # (n_out, n), or (n_models, n_out, n) for an ensemble
        if i < last:
            h = net.hidden(h)
    z = h if net.n_models == 1 else h[:, 0, :]
    return net.output_scale * net.output(z)


def forward_host(
    net: HostNet, columns: list[np.ndarray], return_std: bool
) -> tuple[np.ndarray, np.ndarray | None, bool]:
    """Float64 NumPy forward pass: ``(mean, std or None, is_any_outside_the_domain)``."""
    x = np.array(columns, dtype=np.float64)  # (n_features, n)
    low, high = np.array(net.low)[:, None], np.array(net.high)[:, None]
    outside = bool(np.any(~((x >= low) & (x <= high))))
    if any(net.is_log):
        is_log = np.array(net.is_log)[:, None]
        with np.errstate(divide="ignore", invalid="ignore"):
            x = np.where(is_log, np.log(np.where(is_log, x, 1.0)), x)
    h = (x - np.array(net.offset)[:, None]) / np.array(net.scale)[:, None]
    members = _members(net, h)
    if net.n_models == 1:
        return members[0], None, outside
    std = members.std(axis=0, ddof=1) if return_std else None
    return members.mean(axis=0), std, outside


def forward_point(net: HostNet, values: list[float]) -> tuple[float, bool] | None:
    """One point from Python floats: ``(prediction, is_outside)``; None for a NaN or a
    non-positive ``log`` input (the array path reports those)."""
    x = []
    outside = False
    for v, offset, scale, is_log, lo, hi in zip(
        values, net.offset, net.scale, net.is_log, net.low, net.high, strict=True
    ):
        if not lo <= v <= hi:
            if v != v:
                return None
            outside = True
        if is_log:
            if not v > 0:
                return None
            v = math.log(v)
        x.append((v - offset) / scale)
    members = _members(net, np.array(x)[:, None])
    return float(members.mean()), outside


@dataclass(frozen=True, slots=True)
class DeviceNet:
    """A state's network as float32 JAX arrays, with the static settings of the kernel."""

    params: Any
    scaling: tuple[Any, ...]  # input offset and scale, output scale
    identity: tuple[Any, ...]  # the same for inputs already scaled on the host
    low: np.ndarray  # the domain in float32 (what the kernel's inputs are compared with)
    high: np.ndarray
    raw_low: np.ndarray  # inputs below this (or above _RAW_LIMIT) are scaled on the host
    static: dict[str, Any]


def device_net(state: SurrogateState) -> DeviceNet:
    import jax.numpy as jnp

    from crtransport.surrogate._mlp import MAX_UNROLLED_WEIGHTS

    config = state.config
    f32 = jnp.float32
    n = config.n_features
    out_scale = jnp.asarray(state.output_scale[0], f32)
    return DeviceNet(
        params=tuple(
            (jnp.asarray(w, f32), jnp.asarray(b, f32))
            for w, b in zip(state.weights, state.biases, strict=True)
        ),
        scaling=(
            jnp.asarray(state.input_offset, f32),
            jnp.asarray(state.input_scale, f32),
            out_scale,
        ),
        identity=(jnp.zeros(n, f32), jnp.ones(n, f32), out_scale),
        low=state.domain_low.astype(np.float32),
        high=state.domain_high.astype(np.float32),
        raw_low=np.array(
            [1.0 / _RAW_LIMIT if f in config.log_features else -_RAW_LIMIT for f in config.features]
        ),
        static={
            "activation": config.activation,
            "output_activation": config.output_activation,
            "log_mask": tuple(f in config.log_features for f in config.features),
            "use_columns": n_weights(config.layer_sizes) * config.n_models <= MAX_UNROLLED_WEIGHTS,
        },
    )


def _run_chunks(
    net: DeviceNet, columns: list[np.ndarray], return_std: bool, *, is_scaled: bool
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray, np.ndarray]:
    """Run the kernel over ``columns`` chunk by chunk: mean, std, and each input's range."""
    from crtransport.surrogate._mlp import BLOCK, CHUNK, predict_chunk_kernel

    scaling = net.identity if is_scaled else net.scaling
    static = dict(net.static, return_std=return_std)
    if is_scaled:
        static["log_mask"] = (False,) * len(columns)
    n = columns[0].size
    pending = []
    for start in range(0, n, CHUNK):
        m = min(n, start + CHUNK) - start
        x = tuple(np.empty(CHUNK, dtype=np.float32) for _ in columns)
        tail = slice(m, -(-m // BLOCK) * BLOCK)  # the rest of the last block
        for column, c in zip(x, columns, strict=True):
            with np.errstate(over="ignore"):  # beyond float32's range: inf (scaled on the host)
                column[:m] = c[start : start + m]
            column[tail] = column[0]  # a valid value: the range is that of the inputs
        kernel = predict_chunk_kernel(
            net.params, *scaling, x, m, **static, is_full=m == CHUNK
        )  # two compiled programs in all: a full chunk, and the loop for the last one
        pending.append((start, m, kernel))
    mean = np.empty(n, dtype=np.float64)
    std = np.empty(n, dtype=np.float64) if return_std else None
    low = np.full(len(columns), np.inf, dtype=np.float32)
    high = np.full(len(columns), -np.inf, dtype=np.float32)
    for start, m, (chunk_mean, chunk_std, chunk_low, chunk_high) in pending:
        mean[start : start + m] = np.asarray(chunk_mean)[:m]
        if std is not None:
            std[start : start + m] = np.asarray(chunk_std)[:m]
        low = np.minimum(low, chunk_low)
        high = np.maximum(high, chunk_high)
    return mean, std, low, high


def forward_device(
    net: DeviceNet, host: HostNet, columns: list[np.ndarray], return_std: bool
) -> tuple[np.ndarray, np.ndarray | None, bool]:
    """Float32 JAX forward pass: ``(mean, std or None, is_any_outside_the_domain)``.

    Inputs float32 represents well go to the kernel as they are (the fast path). When any
    lies beyond ``_RAW_LIMIT`` = 1e30 in magnitude (e.g. ``T = 1e300`` under
    ``on_extrapolate='ignore'``), or below 1e-30 for a ``log`` input, all are first mapped
    onto the network's scale in float64 on the host, exactly as the host path does, and
    only then rounded to float32 (issue 19.6: the same value on every path, no overflow).
    """
    mean, std, low, high = _run_chunks(net, columns, return_std, is_scaled=False)
    if np.all(high <= _RAW_LIMIT) and np.all(low >= net.raw_low):
        return mean, std, bool(np.any(low < net.low) or np.any(high > net.high))
    scaled = []
    outside = False
    for k, c in enumerate(columns):
        outside = outside or not (c.min() >= host.low[k] and c.max() <= host.high[k])
        with np.errstate(divide="ignore", invalid="ignore"):
            t = np.log(c) if host.is_log[k] else np.asarray(c, dtype=np.float64)
            z = (t - host.offset[k]) * (1.0 / host.scale[k])
        scaled.append(np.clip(z, -_SCALED_LIMIT, _SCALED_LIMIT))  # saturated far before
    mean, std, _, _ = _run_chunks(net, scaled, return_std, is_scaled=True)
    return mean, std, outside


class Networks:
    """The host and JAX forms of one state's network, each built on first use.

    A private memo of the estimator, tied to one immutable state (never changed in place).
    """

    __slots__ = ("_device", "_host", "state")

    def __init__(self, state: SurrogateState) -> None:
        self.state = state
        self._host: HostNet | None = None
        self._device: DeviceNet | None = None

    @property
    def host(self) -> HostNet:
        if self._host is None:
            self._host = host_net(self.state)
        return self._host

    @property
    def device(self) -> DeviceNet:
        if self._device is None:
            self._device = device_net(self.state)
        return self._device
