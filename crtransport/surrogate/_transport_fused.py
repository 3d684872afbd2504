"""The four parts of a TransportSurrogate as one stacked float64 network, for small batches.

The four ensembles (``ln d_perp``, ``ln d_par`` and the two plateau classifiers) read the same
inputs: the similarity variables, with the same ``log`` features and the same training
domain. Each member's input scaling is folded into its first layer and its output scale into
its last, and the members of all four are stacked along one axis, so that a query runs as one
chain of batched matrix products instead of four (the per-call cost of NumPy, not the
arithmetic, is what a single query pays). The results equal the per-part host path's to
rounding (a test pins them).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from crtransport.surrogate._activations import activation, numpy_ops

__all__ = ["FusedNet", "fused_net", "forward_fused"]

#: Batches up to this size run through the stacked network; larger ones go to each part's
#: own path (JAX beyond a few hundred points). Measured on a 2-core AMD EPYC with four
#: ensembles of five 4-64-64-1 networks: the stacked pass costs 0.14 ms for 10 points
#: against 0.26 ms part by part, 2.1 ms against 4.2 ms for 300, but 33 ms against 4.4 ms
#: for 1000, where its (members, width, points) intermediates outgrow the caches.
FUSED_MAX = 256


@dataclass(frozen=True, slots=True)
class FusedNet:
    """Stacked weights ``(n_parts * n_models, n_out, n_in)`` with the scalings folded in."""

    parts: tuple[str, ...]
    n_models: int
    weights: tuple[np.ndarray, ...]
    biases: tuple[np.ndarray, ...]  # (n_parts * n_models, n_out, 1)
    is_log: np.ndarray  # (n_features, 1) bool
    any_log: bool
    low: np.ndarray  # (n_features, 1)
    high: np.ndarray
    hidden: Callable[[Any], Any]


def fused_net(models: Mapping[str, Any], parts: Sequence[str]) -> FusedNet | None:
    """Stack the parts' networks, or None where they cannot share one pass (different
    architectures, inputs, domains or activations, an output prior, a non-identity output,
    a ``log`` input whose domain reaches zero)."""
    states = [models[p].state for p in parts]
    first = states[0].config
    for s in states:
        c = s.config
        if (
            c.layer_sizes != first.layer_sizes
            or c.n_models != first.n_models
            or c.n_models < 2
            or c.features != first.features
            or c.log_features != first.log_features
            or c.activation != first.activation
            or c.output_activation != "identity"
            or c.output_powers
            or not np.array_equal(s.domain_low, states[0].domain_low)
            or not np.array_equal(s.domain_high, states[0].domain_high)
            or any(s.domain_low[c.features.index(f)] <= 0 for f in c.log_features)
        ):
            return None
    n_layers = len(states[0].weights)
    weights, biases = [], []
    for layer in range(n_layers):
        ws, bs = [], []
        for s in states:
            w = s.weights[layer].astype(np.float64)  # (n_models, n_out, n_in)
            b = s.biases[layer].astype(np.float64)  # (n_models, n_out)
            if layer == 0:
                offset = s.input_offset.astype(np.float64)
                scale = s.input_scale.astype(np.float64)
                b = b - w @ (offset / scale)
                w = w / scale
            if layer == n_layers - 1:
                out = float(s.output_scale[0])
                w, b = out * w, out * b
            ws.append(w)
            bs.append(b[..., None])
        weights.append(np.ascontiguousarray(np.concatenate(ws)))
        biases.append(np.ascontiguousarray(np.concatenate(bs)))
    is_log = np.array([f in first.log_features for f in first.features])[:, None]
    return FusedNet(
        parts=tuple(parts),
        n_models=first.n_models,
        weights=tuple(weights),
        biases=tuple(biases),
        is_log=is_log,
        any_log=bool(is_log.any()),
        low=states[0].domain_low.astype(np.float64)[:, None],
        high=states[0].domain_high.astype(np.float64)[:, None],
        hidden=activation(first.activation, numpy_ops()),
    )


def forward_fused(
    net: FusedNet, columns: Sequence[np.ndarray]
) -> tuple[np.ndarray, np.ndarray, bool]:
    """Every part's ensemble mean and spread (``ddof=1``), each of shape ``(n_parts, n)``,
    for flat float64 ``columns``; and whether any input lies outside the domain."""
    x = np.array(columns, dtype=np.float64)  # (n_features, n)
    outside = not bool(((x >= net.low) & (x <= net.high)).all())
    if net.any_log and outside:  # a zero, negative or NaN input: no warning, NaN out
        with np.errstate(divide="ignore", invalid="ignore"):
            np.log(x, out=x, where=net.is_log)
    elif net.any_log:  # inside the domain: every log input is positive
        np.log(x, out=x, where=net.is_log)
    h = net.weights[0] @ x + net.biases[0]  # (members, n_out, n)
    for w, b in zip(net.weights[1:], net.biases[1:], strict=True):
        h = w @ net.hidden(h) + b
    members = h.reshape(len(net.parts), net.n_models, -1)
    # mean and spread (ddof=1) spelled out: half the cost of .mean() and .std() at one point
    k = net.n_models
    mean = np.add.reduce(members, axis=1) * (1.0 / k)
    dev = members - mean[:, None, :]
    return mean, np.sqrt(np.add.reduce(dev * dev, axis=1) * (1.0 / (k - 1))), outside
