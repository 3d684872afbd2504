"""Training as pure JAX functions: all epochs of a chunk run inside one jitted ``lax.scan``.

Code units (scaled data), no validation; see :meth:`crtransport.surrogate.Surrogate.fit`.
An ensemble trains at once: the whole scan is ``jax.vmap``-ed over the members.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax

from crtransport.surrogate._config import SurrogateConfig
from crtransport.surrogate._mlp import init_kernel, loss_kernel


@dataclass(frozen=True, slots=True)
class TrainOutput:
    """What :func:`train` returns (numpy arrays, members along axis 0)."""

    params: tuple[tuple[np.ndarray, np.ndarray], ...]
    train_loss: np.ndarray  # (n_models, n_epochs_run + 1), loss after i epochs
    test_loss: np.ndarray | None
    best_epoch: np.ndarray  # (n_models,) int64, the epoch whose parameters were kept
    n_epochs_run: int
    is_stopped_early: bool


def default_optimizer(config: SurrogateConfig) -> optax.GradientTransformation:
    """The paper's Adam, as we read it: ``optax.adam(lr, b1=0.9, b2=0.95, eps=1e-7)``."""
    return optax.adam(config.learning_rate, b1=config.b1, b2=config.b2, eps=config.eps)


def _make_chunk_runner(
    config: SurrogateConfig,
    optimizer: optax.GradientTransformation,
    *,
    n_train: int,
    chunk: int,
    has_test: bool,
) -> Any:
    """Return a jitted ``run(carry, data, epoch0, n_epochs) -> (carry, losses)`` for a chunk."""
    loss_fn = partial(
        loss_kernel,
        activation=config.activation,
        output_activation=config.output_activation,
        loss=config.loss,
        floor=config.loss_floor,
    )
    value_and_grad = jax.value_and_grad(loss_fn)
    batch_size = config.batch_size
    if batch_size is not None:
        batch_size = min(batch_size, n_train)
        n_batches = n_train // batch_size
    min_delta = jnp.float32(config.min_delta)

    def one_member(carry: Any, data: Any, epoch0: jax.Array, n_epochs: jax.Array) -> Any:
        x, y, x_test, y_test = data

        def epoch(carry: Any, i: jax.Array) -> Any:
            params, opt_state, key, best_params, best_loss, best_epoch, since = carry
            epoch_index = epoch0 + i
            if batch_size is None:
                loss, grads = value_and_grad(params, x, y)
                updates, new_state = optimizer.update(grads, opt_state, params)
                new_params = optax.apply_updates(params, updates)
                new_key = key
            else:
                loss = loss_fn(params, x, y)
                new_key, sub = jax.random.split(key)
                order = jax.random.permutation(sub, n_train)[: n_batches * batch_size]
                order = order.reshape(n_batches, batch_size)

                def step(c: Any, idx: jax.Array) -> Any:
                    p, s = c
                    _, g = value_and_grad(p, x[:, idx], y[idx])
                    u, s = optimizer.update(g, s, p)
                    return (optax.apply_updates(p, u), s), None

                (new_params, new_state), _ = jax.lax.scan(step, (params, opt_state), order)
            test_loss = loss_fn(params, x_test, y_test) if has_test else jnp.float32(jnp.nan)
            monitor = test_loss if has_test else loss
            improved = monitor < best_loss - min_delta
            best_params = jax.tree_util.tree_map(
                lambda new, old: jnp.where(improved, new, old), params, best_params
            )
            best_loss = jnp.where(improved, monitor, best_loss)
            best_epoch = jnp.where(improved, epoch_index, best_epoch)
            since = jnp.where(improved, 0, since + 1)
            # epochs past the requested total (the tail of the last chunk) change nothing
            active = epoch_index < n_epochs
            keep = partial(jnp.where, active)
            new_carry = (
                jax.tree_util.tree_map(keep, new_params, params),
                jax.tree_util.tree_map(keep, new_state, opt_state),
                jax.tree_util.tree_map(keep, new_key, key),
                best_params,
                best_loss,
                best_epoch,
                since,
            )
            return new_carry, (loss, test_loss)

        return jax.lax.scan(epoch, carry, jnp.arange(chunk))

    run = jax.vmap(one_member, in_axes=(0, None, None, None))
    return jax.jit(run)


def train(
    config: SurrogateConfig,
    optimizer: optax.GradientTransformation,
    key: jax.Array,
    x: np.ndarray,
    y: np.ndarray,
    x_test: np.ndarray | None,
    y_test: np.ndarray | None,
    *,
    n_epochs: int,
) -> TrainOutput:
    """Train ``config.n_models`` networks on scaled float32 data; see `Surrogate.fit`.

    ``x`` and ``x_test`` are feature-major, shape (n_features, n_samples).
    """
    n_models = config.n_models
    n_train = x.shape[1]
    has_test = x_test is not None
    loss_fn = partial(
        loss_kernel,
        activation=config.activation,
        output_activation=config.output_activation,
        loss=config.loss,
        floor=config.loss_floor,
    )

    @jax.jit
    def start(key: jax.Array) -> Any:
        init_key, shuffle_key = jax.random.split(key)
        init = partial(init_kernel, layer_sizes=config.layer_sizes, init=config.init)
        params = jax.vmap(init)(jax.random.split(init_key, n_models))
        opt_state = jax.vmap(optimizer.init)(params)
        inf = jnp.full((n_models,), jnp.inf, dtype=jnp.float32)
        zeros = jnp.zeros((n_models,), dtype=jnp.int32)
        keys = jax.random.split(shuffle_key, n_models)
        return (params, opt_state, keys, params, inf, zeros, zeros)

    @jax.jit
    def finish(carry: Any, data: Any) -> Any:
        params, _, _, best_params, best_loss, best_epoch, _ = carry
        members_loss = jax.vmap(loss_fn, in_axes=(0, None, None))
        final_train = members_loss(params, data[0], data[1])
        final_test = members_loss(params, data[2], data[3]) if has_test else final_train
        monitor = final_test if has_test else final_train
        if config.is_best_epoch_kept:
            final_better = monitor < best_loss - config.min_delta
        else:
            final_better = jnp.ones((n_models,), dtype=bool)
        chosen = jax.tree_util.tree_map(
            lambda new, old: jnp.where(
                final_better.reshape((-1,) + (1,) * (new.ndim - 1)), new, old
            ),
            params,
            best_params,
        )
        return chosen, final_train, final_test, final_better, best_epoch

    carry = start(key)
    xj = jnp.asarray(x, dtype=jnp.float32)
    yj = jnp.asarray(y, dtype=jnp.float32)
    if has_test:
        data = (xj, yj, jnp.asarray(x_test, jnp.float32), jnp.asarray(y_test, jnp.float32))
    else:
        data = (xj, yj, xj[:, :1], yj[:1])

    if config.patience is None:
        chunk = max(n_epochs, 1)
    else:
        chunk = max(min(config.check_every, n_epochs), 1)
    train_losses: list[np.ndarray] = []
    test_losses: list[np.ndarray] = []
    n_run = 0
    is_stopped_early = False
    if n_epochs > 0:
        run = _make_chunk_runner(config, optimizer, n_train=n_train, chunk=chunk, has_test=has_test)
        total = jnp.int32(n_epochs)
        for epoch0 in range(0, n_epochs, chunk):
            carry, (loss, test_loss) = run(carry, data, jnp.int32(epoch0), total)
            n_chunk = min(chunk, n_epochs - epoch0)
            train_losses.append(np.asarray(loss)[:, :n_chunk])
            test_losses.append(np.asarray(test_loss)[:, :n_chunk])
            n_run = epoch0 + n_chunk
            if config.patience is not None and n_run < n_epochs:
                since = np.asarray(carry[6])
                if np.all(since >= config.patience):
                    is_stopped_early = True
                    break

    chosen, final_train, final_test, final_better, best_epoch = finish(carry, data)
    train_losses.append(np.asarray(final_train)[:, None])
    test_losses.append(np.asarray(final_test)[:, None])
    train_loss = np.concatenate(train_losses, axis=1)
    test_loss = np.concatenate(test_losses, axis=1) if has_test else None
    kept_epoch = np.where(np.asarray(final_better), n_run, np.asarray(best_epoch))
    params_np = tuple(
        (np.asarray(w, dtype=np.float32), np.asarray(b, dtype=np.float32)) for w, b in chosen
    )
    return TrainOutput(
        params=params_np,
        train_loss=train_loss.astype(np.float32),
        test_loss=None if test_loss is None else test_loss.astype(np.float32),
        best_epoch=kept_epoch.astype(np.int64),
        n_epochs_run=n_run,
        is_stopped_early=is_stopped_early,
    )
