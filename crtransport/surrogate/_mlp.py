"""The network as pure JAX functions: initialisation, forward passes and losses.

Code units, no validation; see :class:`crtransport.surrogate.Surrogate`. Everything here computes
in float32. Parameters are a tuple of ``(weight, bias)`` pairs, one per layer, with ``weight`` of
shape ``(n_out, n_in)`` and ``bias`` of shape ``(n_out,)`` (the paper's :math:`W_{i,j,k}` and
:math:`\\beta_{i,j}`); an ensemble stacks them along a leading ``n_models`` axis.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from functools import partial

import jax
import jax.numpy as jnp

Params = tuple[tuple[jax.Array, jax.Array], ...]

#: Unrolled (one fused loop over the batch) forward pass up to this many weights times members.
MAX_UNROLLED_WEIGHTS = 2048


def _identity(z: jax.Array) -> jax.Array:
    return z


def _square(z: jax.Array) -> jax.Array:
    return z * z


HIDDEN_ACTIVATIONS: dict[str, Callable[[jax.Array], jax.Array]] = {
    "tanh": jnp.tanh,
    "relu": jax.nn.relu,
    "sigmoid": jax.nn.sigmoid,
    "softplus": jax.nn.softplus,
    "silu": jax.nn.silu,
    "gelu": partial(jax.nn.gelu, approximate=False),
    "identity": _identity,
}

OUTPUT_ACTIVATIONS: dict[str, Callable[[jax.Array], jax.Array]] = {
    "square": _square,
    "identity": _identity,
    "exp": jnp.exp,
    "softplus": jax.nn.softplus,
}


def init_kernel(key: jax.Array, layer_sizes: Sequence[int], init: str) -> Params:
    """Draw one network's parameters; code units, no validation, see `Surrogate.fit`.

    All weights and biases come from one standard-normal draw (one random-bit generator in
    the compiled program, which keeps compilation fast), in the order layer 0 weight
    (row-major), layer 0 bias, layer 1 weight, ...
    """
    shapes = []
    for n_in, n_out in itertools.pairwise(layer_sizes):
        shapes += [(n_out, n_in), (n_out,)]
    total = sum(math.prod(shape) for shape in shapes)
    draws = jax.random.normal(key, (total,), dtype=jnp.float32)
    arrays = []
    start = 0
    for shape in shapes:
        size = math.prod(shape)
        arrays.append(draws[start : start + size].reshape(shape))
        start += size
    params = []
    for (n_out, n_in), w, b in zip(shapes[::2], arrays[::2], arrays[1::2], strict=True):
        if init == "glorot":
            w = w * jnp.float32(math.sqrt(2.0 / (n_in + n_out)))
            b = jnp.zeros_like(b)
        params.append((w, b))
    return tuple(params)


def mlp_kernel(params: Params, x: jax.Array, activation: str, output_activation: str) -> jax.Array:
    """Scaled output of one network for scaled inputs ``x`` of shape (n_in, batch).

    Code units, no validation, see `Surrogate.predict`. Feature-major: each layer is
    ``weight @ h + bias[:, None]`` (on CPU this is several times faster than batch-major for
    narrow layers). Returns shape (batch,).
    """
    act = HIDDEN_ACTIVATIONS[activation]
    h = x
    for w, b in params[:-1]:
        h = act(w @ h + b[:, None])
    w, b = params[-1]
    z = (w @ h + b[:, None])[0]
    return OUTPUT_ACTIVATIONS[output_activation](z)


def columns_kernel(
    params: Params, columns: Sequence[jax.Array], activation: str, output_activation: str
) -> jax.Array:
    """Scaled output of one network for scaled inputs given as one array per input.

    Code units, no validation, see `Surrogate.predict`. Every neuron is an explicit
    multiply-add over the batch, so XLA fuses the whole network into one elementwise loop
    (instead of many tiny matrix products); meant for small networks.
    """
    act = HIDDEN_ACTIVATIONS[activation]
    h = list(columns)
    n_layers = len(params)
    for layer, (w, b) in enumerate(params):
        new = []
        for j in range(w.shape[0]):
            s = h[0] * w[j, 0] + b[j]
            for k in range(1, w.shape[1]):
                s = s + h[k] * w[j, k]
            new.append(act(s) if layer < n_layers - 1 else s)
        h = new
    return OUTPUT_ACTIVATIONS[output_activation](h[0])


def loss_kernel(
    params: Params,
    x: jax.Array,
    y: jax.Array,
    *,
    activation: str,
    output_activation: str,
    loss: str,
    floor: float,
) -> jax.Array:
    """Mean training loss of one network on scaled data, ``x`` of shape (n_in, batch).

    Code units, no validation, see `SurrogateConfig`.
    """
    z = mlp_kernel(params, x, activation, output_activation)
    if loss == "mse":
        r = z - y
    elif loss == "relative":
        r = (z - y) / jnp.maximum(jnp.abs(y), floor)
    else:  # log
        r = jnp.log(jnp.maximum(z, 0.0) + floor) - jnp.log(y + floor)
    return jnp.mean(r * r)


def n_weights(layer_sizes: Sequence[int]) -> int:
    """Number of weights (multiply-adds per sample) of a network with these layer sizes."""
    return sum(a * b for a, b in itertools.pairwise(layer_sizes))


@partial(
    jax.jit,
    static_argnames=(
        "activation",
        "output_activation",
        "log_mask",
        "use_columns",
        "n_split",
        "return_std",
    ),
)
def predict_block_kernel(
    params: Params,
    offset: jax.Array,
    scale: jax.Array,
    output_scale: jax.Array,
    low: jax.Array,
    high: jax.Array,
    columns: tuple[jax.Array, ...],
    *,
    activation: str,
    output_activation: str,
    log_mask: tuple[bool, ...],
    use_columns: bool,
    n_split: int,
    return_std: bool,
) -> tuple[jax.Array, jax.Array | None, jax.Array]:
    """Ensemble-mean prediction for raw float32 inputs, one 1-D array per input.

    Code units, no validation, see `Surrogate.predict`. ``params`` are stacked over members.
    Returns ``(mean, std or None, n_outside)`` where ``n_outside`` counts the input values
    outside ``[low, high]`` (NaN counts as outside). ``n_split > 1`` reshapes the batch to
    ``(n_split, -1)``, which lets XLA's CPU backend spread the fused loop over threads.
    """
    n_outside = jnp.zeros((), jnp.int32)
    for i, c in enumerate(columns):
        inside = (c >= low[i]) & (c <= high[i])
        n_outside = n_outside + jnp.sum(~inside, dtype=jnp.int32)
    n = columns[0].shape[0]
    if n_split > 1 and n % n_split == 0:
        columns = tuple(c.reshape(n_split, -1) for c in columns)
    scaled = [
        ((jnp.log(c) if use_log else c) - offset[i]) / scale[i]
        for i, (c, use_log) in enumerate(zip(columns, log_mask, strict=True))
    ]
    n_models = params[0][0].shape[0]
    if use_columns:
        members = [
            columns_kernel(
                jax.tree_util.tree_map(lambda a, m=m: a[m], params),
                scaled,
                activation,
                output_activation,
            )
            for m in range(n_models)
        ]
        outputs = jnp.stack(members) if n_models > 1 else members[0][None]
    else:
        x = jnp.stack([s.reshape(-1) for s in scaled])
        outputs = jax.vmap(mlp_kernel, in_axes=(0, None, None, None))(
            params, x, activation, output_activation
        )
    outputs = output_scale * outputs.reshape(n_models, n)
    mean = outputs[0] if n_models == 1 else jnp.mean(outputs, axis=0)
    std = None
    if return_std:
        std = jnp.std(outputs, axis=0, ddof=1)
    return mean, std, n_outside
