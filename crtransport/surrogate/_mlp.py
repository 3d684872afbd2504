"""The network as pure JAX functions: initialisation, forward passes and losses.

Code units, no validation; see :class:`crtransport.surrogate.Surrogate`. Everything here computes
in float32. Parameters are a tuple of ``(weight, bias)`` pairs, one per layer, with ``weight`` of
shape ``(n_out, n_in)`` and ``bias`` of shape ``(n_out,)`` (the paper's :math:`W_{i,j,k}` and
:math:`\\beta_{i,j}`); an ensemble stacks them along a leading ``n_models`` axis.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from functools import partial

import jax
import jax.numpy as jnp

from crtransport.surrogate._activations import activation as _activation
from crtransport.surrogate._activations import jax_ops

Params = tuple[tuple[jax.Array, jax.Array], ...]

#: Unrolled (one fused loop over the batch) forward pass up to this many weights times members.
MAX_UNROLLED_WEIGHTS = 2048


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
    act = _activation(activation, jax_ops())
    h = x
    for w, b in params[:-1]:
        h = act(w @ h + b[:, None])
    w, b = params[-1]
    z = (w @ h + b[:, None])[0]
    return _activation(output_activation, jax_ops())(z)


def columns_kernel(
    params: Params, columns: Sequence[jax.Array], activation: str, output_activation: str
) -> jax.Array:
    """Scaled output of one network for scaled inputs given as one array per input.

    Code units, no validation, see `Surrogate.predict`. Every neuron is an explicit
    multiply-add over the batch, so XLA fuses the whole network into one elementwise loop
    (instead of many tiny matrix products); meant for small networks.
    """
    act = _activation(activation, jax_ops())
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
    return _activation(output_activation, jax_ops())(h[0])


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


#: Samples per compiled call: every call of :func:`predict_chunk_kernel` has this shape, so a
#: new batch size never compiles again.
CHUNK = 1 << 16
#: Samples per step of the loop inside a call: only ``ceil(n_valid / BLOCK)`` steps run, so a
#: short batch costs its own size (rounded up to 1024), not the chunk's.
BLOCK = 1 << 10


@partial(
    jax.jit,
    static_argnames=(
        "activation",
        "output_activation",
        "log_mask",
        "use_columns",
        "return_std",
        "is_full",
    ),
)
def predict_chunk_kernel(
    params: Params,
    offset: jax.Array,
    scale: jax.Array,
    output_scale: jax.Array,
    x: tuple[jax.Array, ...],
    n_valid: jax.Array,
    *,
    activation: str,
    output_activation: str,
    log_mask: tuple[bool, ...],
    use_columns: bool,
    return_std: bool,
    is_full: bool = False,
) -> tuple[jax.Array, jax.Array | None, jax.Array, jax.Array]:
    """Ensemble-mean prediction for the first ``n_valid`` raw float32 inputs of ``x``.

    Code units, no validation, see `Surrogate.predict`. ``x`` holds one array of shape
    (CHUNK,) per input, whose last valid block is filled up with valid values; ``params``
    are stacked over members. A loop runs over blocks of ``BLOCK`` samples and stops after
    the last valid one. Returns ``(mean, std or None, low, high)``: the first two of shape
    (CHUNK,) (valid up to ``n_valid``), then the smallest and largest value of each input
    (for the caller's domain check).
    """
    n_models = params[0][0].shape[0]
    size = x[0].shape[0]

    def members(columns: list[jax.Array]) -> jax.Array:
        scaled = [
            ((jnp.log(c) if use_log else c) - offset[i]) / scale[i]
            for i, (c, use_log) in enumerate(zip(columns, log_mask, strict=True))
        ]
        if use_columns:
            outs = [
                columns_kernel(
                    jax.tree_util.tree_map(lambda a, m=m: a[m], params),
                    scaled,
                    activation,
                    output_activation,
                )
                for m in range(n_models)
            ]
            return jnp.stack(outs) if n_models > 1 else outs[0][None]
        return jax.vmap(mlp_kernel, in_axes=(0, None, None, None))(
            params, jnp.stack(scaled), activation, output_activation
        )

    def block(columns: list[jax.Array]) -> tuple:
        outputs = output_scale * members(columns)
        mean = outputs[0] if n_models == 1 else jnp.mean(outputs, axis=0)
        std = jnp.std(outputs, axis=0, ddof=1) if return_std else None
        low = jnp.stack([c.min() for c in columns])
        high = jnp.stack([c.max() for c in columns])
        return mean, std, low, high

    if is_full:  # a whole chunk of valid inputs: one fused pass, which XLA spreads over cores
        return block(list(x))

    def step(i: jax.Array, carry: tuple) -> tuple:
        mean, std, low, high = carry
        start = i * BLOCK
        columns = [jax.lax.dynamic_slice(c, (start,), (BLOCK,)) for c in x]
        b_mean, b_std, b_low, b_high = block(columns)
        mean = jax.lax.dynamic_update_slice(mean, b_mean, (start,))
        if return_std:
            std = jax.lax.dynamic_update_slice(std, b_std, (start,))
        return mean, std, jnp.minimum(low, b_low), jnp.maximum(high, b_high)

    n_features = len(x)
    empty = jnp.zeros(size, jnp.float32)
    carry = (
        empty,
        empty if return_std else None,
        jnp.full(n_features, jnp.inf, jnp.float32),
        jnp.full(n_features, -jnp.inf, jnp.float32),
    )
    n_blocks = (n_valid + BLOCK - 1) // BLOCK
    return jax.lax.fori_loop(0, n_blocks, step, carry)
