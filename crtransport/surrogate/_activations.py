"""The one activation registry of the surrogate, shared by every forward pass and by training.

Each activation is written once, over a small table of primitives (:class:`Ops`) that each
array library supplies: NumPy in float64 on the host (single points and small batches) and
JAX in float32 (large batches and training). Adding an activation is one entry in
:data:`ACTIVATIONS` (plus its name in :data:`HIDDEN` or :data:`OUTPUT`, which the
configuration validates against, and in the ``Literal`` types of ``_config``). Nothing here
imports JAX until :func:`jax_ops` is called.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

__all__ = ["ACTIVATIONS", "HIDDEN", "OUTPUT", "Ops", "activation", "jax_ops", "numpy_ops"]


class Ops(NamedTuple):
    """The primitives an activation may use, from one array library."""

    tanh: Callable[[Any], Any]
    exp: Callable[[Any], Any]
    relu: Callable[[Any], Any]
    sigmoid: Callable[[Any], Any]
    softplus: Callable[[Any], Any]
    erfc: Callable[[Any], Any]


_SQRT_HALF = math.sqrt(0.5)

#: name -> f(ops, z): every activation, hidden or output, written once.
ACTIVATIONS: dict[str, Callable[[Ops, Any], Any]] = {
    "tanh": lambda ops, z: ops.tanh(z),
    "relu": lambda ops, z: ops.relu(z),
    "sigmoid": lambda ops, z: ops.sigmoid(z),
    "softplus": lambda ops, z: ops.softplus(z),
    "silu": lambda ops, z: z * ops.sigmoid(z),
    "gelu": lambda ops, z: 0.5 * z * ops.erfc(-z * _SQRT_HALF),
    "identity": lambda ops, z: z,
    "square": lambda ops, z: z * z,
    "exp": lambda ops, z: ops.exp(z),
}
#: Names allowed for the hidden layers and for the output (``SurrogateConfig`` checks them).
HIDDEN: tuple[str, ...] = ("tanh", "relu", "sigmoid", "softplus", "silu", "gelu", "identity")
OUTPUT: tuple[str, ...] = ("square", "identity", "exp", "softplus")


def _np_exp(z: Any) -> Any:
    with np.errstate(over="ignore"):  # exp of a large output overflows to inf, silently
        return np.exp(z)


def _np_sigmoid(z: Any) -> Any:
    return 0.5 * (1.0 + np.tanh(0.5 * z))  # no overflow for large |z|


def _np_erfc(z: Any) -> Any:
    from scipy.special import erfc

    return erfc(z)


@functools.cache
def numpy_ops() -> Ops:
    """The primitives in NumPy (float64 host path)."""
    return Ops(
        tanh=np.tanh,
        exp=_np_exp,
        relu=lambda z: np.maximum(z, 0.0),
        sigmoid=_np_sigmoid,
        softplus=lambda z: np.logaddexp(z, 0.0),
        erfc=_np_erfc,
    )


@functools.cache
def jax_ops() -> Ops:
    """The primitives in JAX (float32 device path and training); imports JAX."""
    import jax
    import jax.numpy as jnp

    return Ops(
        tanh=jnp.tanh,
        exp=jnp.exp,
        relu=jax.nn.relu,
        sigmoid=jax.nn.sigmoid,
        softplus=jax.nn.softplus,
        erfc=jax.scipy.special.erfc,
    )


def activation(name: str, ops: Ops) -> Callable[[Any], Any]:
    """Activation ``name`` as a one-argument function over ``ops``' arrays."""
    f = ACTIVATIONS[name]
    return lambda z: f(ops, z)
