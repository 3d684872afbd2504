"""Training as pure JAX functions: all epochs of a chunk run inside one jitted ``lax.scan``.

Code units (scaled data), no validation; see :meth:`crtransport.surrogate.Surrogate.fit`.
An ensemble trains at once: the whole scan is ``jax.vmap``-ed over the members.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
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


class _ByIdentity:
    """A custom optimizer as a static jit argument: hashed and compared by identity.

    Fitting twice with the same optimizer object reuses the compilation; any optimizer works,
    hashable or not.
    """

    __slots__ = ("optimizer",)

    def __init__(self, optimizer: optax.GradientTransformation) -> None:
        self.optimizer = optimizer

    def __hash__(self) -> int:
        return id(self.optimizer)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _ByIdentity) and other.optimizer is self.optimizer


def _resolve(
    config: SurrogateConfig, optimizer: _ByIdentity | None
) -> optax.GradientTransformation:
    return default_optimizer(config) if optimizer is None else optimizer.optimizer


def default_optimizer(config: SurrogateConfig) -> optax.GradientTransformation:
    """The paper's Adam, as we read it: ``optax.adam(lr, b1=0.9, b2=0.95, eps=1e-7)``."""
    return optax.adam(config.learning_rate, b1=config.b1, b2=config.b2, eps=config.eps)


def _loss_fn(config: SurrogateConfig) -> Any:
    return partial(
        loss_kernel,
        activation=config.activation,
        output_activation=config.output_activation,
        loss=config.loss,
        floor=config.loss_floor,
    )


def compiled_config(config: SurrogateConfig) -> SurrogateConfig:
    """``config`` with the settings that do not change the compiled code normalised.

    The jitted functions below take the configuration as a static argument; normalising
    ``n_epochs``, ``patience`` and ``check_every`` lets repeated fits reuse the compilation.
    """
    return replace(
        config,
        n_epochs=0,
        patience=None,
        check_every=1,
        use_best_epoch=config.is_best_epoch_kept,
    )


@partial(jax.jit, static_argnames=("config", "optimizer"))
def start_kernel(key: jax.Array, *, config: SurrogateConfig, optimizer: _ByIdentity | None) -> Any:
    """Initial training carry of every member; code units, see `Surrogate.fit`."""
    opt = _resolve(config, optimizer)
    n_models = config.n_models
    # one split (each threefry instance costs compile time): init keys, then shuffle keys
    keys = jax.random.split(key, 2 * n_models)
    init = partial(init_kernel, layer_sizes=config.layer_sizes, init=config.init)
    params = jax.vmap(init)(keys[:n_models])
    opt_state = jax.vmap(opt.init)(params)
    inf = jnp.full((n_models,), jnp.inf, dtype=jnp.float32)
    zeros = jnp.zeros((n_models,), dtype=jnp.int32)
    return (params, opt_state, keys[n_models:], params, inf, zeros, zeros)


@partial(jax.jit, static_argnames=("config", "optimizer", "chunk", "has_test"))
def run_chunk_kernel(
    carry: Any,
    data: Any,
    epoch0: jax.Array,
    n_epochs: jax.Array,
    *,
    config: SurrogateConfig,
    optimizer: _ByIdentity | None,
    chunk: int,
    has_test: bool,
) -> Any:
    """Run ``chunk`` epochs of every member in one ``lax.scan``; see `Surrogate.fit`.

    Code units, no validation. Returns the new carry and the per-epoch (train, test) losses
    of the parameters entering each epoch, shape (n_models, chunk). Epochs with index
    ``>= n_epochs`` (the tail of the last chunk) leave the parameters unchanged.
    """
    opt = _resolve(config, optimizer)
    loss_fn = _loss_fn(config)
    value_and_grad = jax.value_and_grad(loss_fn)
    n_train = data[0].shape[1]
    batch_size = config.batch_size
    if batch_size is not None:
        batch_size = min(batch_size, n_train)
        n_batches = n_train // batch_size
    min_delta = jnp.float32(config.min_delta)

    def one_member(carry: Any) -> Any:
        x, y, x_test, y_test = data

        def epoch(carry: Any, i: jax.Array) -> Any:
            params, opt_state, key, best_params, best_loss, best_epoch, since = carry
            epoch_index = epoch0 + i
            if batch_size is None:
                loss, grads = value_and_grad(params, x, y)
                updates, new_state = opt.update(grads, opt_state, params)
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
                    u, s = opt.update(g, s, p)
                    return (optax.apply_updates(p, u), s), None

                (new_params, new_state), _ = jax.lax.scan(step, (params, opt_state), order)
            test_loss = loss_fn(params, x_test, y_test) if has_test else jnp.float32(jnp.nan)
            monitor = test_loss if has_test else loss
            # the parameters entering epoch i are those after i epochs: track the best
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

        return jax.lax.scan(epoch, carry, jnp.arange(chunk, dtype=jnp.int32))

    return jax.vmap(one_member)(carry)


@partial(jax.jit, static_argnames=("config", "has_test"))
def finish_kernel(carry: Any, data: Any, *, config: SurrogateConfig, has_test: bool) -> Any:
    """Final losses and the kept parameters of every member; see `Surrogate.fit`."""
    loss_fn = _loss_fn(config)
    params, _, _, best_params, best_loss, best_epoch, _ = carry
    members_loss = jax.vmap(loss_fn, in_axes=(0, None, None))
    final_train = members_loss(params, data[0], data[1])
    final_test = members_loss(params, data[2], data[3]) if has_test else final_train
    monitor = final_test if has_test else final_train
    if config.is_best_epoch_kept:
        final_better = monitor < best_loss - config.min_delta
    else:
        final_better = jnp.ones((config.n_models,), dtype=bool)
    chosen = jax.tree_util.tree_map(
        lambda new, old: jnp.where(final_better.reshape((-1,) + (1,) * (new.ndim - 1)), new, old),
        params,
        best_params,
    )
    return chosen, final_train, final_test, final_better, best_epoch


def train(
    config: SurrogateConfig,
    optimizer: optax.GradientTransformation | None,
    key: jax.Array,
    x: np.ndarray,
    y: np.ndarray,
    x_test: np.ndarray | None,
    y_test: np.ndarray | None,
    *,
    n_epochs: int,
    progress: bool | None = False,
) -> TrainOutput:
    """Train ``config.n_models`` networks on scaled float32 data; see `Surrogate.fit`.

    ``x`` and ``x_test`` are feature-major, shape (n_features, n_samples). ``optimizer``
    None is the configuration's Adam (built inside the compiled functions, so that repeated
    fits with one configuration reuse the compilation).
    """
    # optax's bias correction mixes int32 step counts with Python floats: trace it under
    # standard promotion even if the caller runs JAX with strict promotion
    with jax.numpy_dtype_promotion("standard"):
        return _train(
            config, optimizer, key, x, y, x_test, y_test, n_epochs=n_epochs, progress=progress
        )


#: Epochs per compiled scan when a progress bar is shown (and no early stopping sets them).
PROGRESS_CHUNK = 250


def _train(
    config: SurrogateConfig,
    optimizer: optax.GradientTransformation | None,
    key: jax.Array,
    x: np.ndarray,
    y: np.ndarray,
    x_test: np.ndarray | None,
    y_test: np.ndarray | None,
    *,
    n_epochs: int,
    progress: bool | None = False,
) -> TrainOutput:
    from tqdm.auto import tqdm

    has_test = x_test is not None
    static = compiled_config(config)
    custom = None if optimizer is None else _ByIdentity(optimizer)
    carry = start_kernel(key, config=static, optimizer=custom)
    x = np.asarray(x, dtype=np.float32)
    y = np.asarray(y, dtype=np.float32)
    if has_test:
        x_test = np.asarray(x_test, dtype=np.float32)
        y_test = np.asarray(y_test, dtype=np.float32)
    else:  # placeholders of fixed shape, never used
        x_test, y_test = x[:, :1], y[:1]
    data = tuple(jax.device_put(a) for a in (x, y, x_test, y_test))

    bar = tqdm(
        total=n_epochs,
        unit="epoch",
        desc="crtransport train",
        disable=(not progress) if progress is not None else None,
        dynamic_ncols=True,
        leave=False,
    )
    if config.patience is not None:
        chunk = max(min(config.check_every, n_epochs), 1)
    elif not bar.disable:
        # the scan in chunks, to report between them: the same epochs in the same order give
        # the same numbers (tests/test_progress.py)
        chunk = max(min(PROGRESS_CHUNK, n_epochs), 1)
    else:
        chunk = max(n_epochs, 1)
    train_losses: list[np.ndarray] = []
    test_losses: list[np.ndarray] = []
    n_run = 0
    is_stopped_early = False
    if n_epochs > 0:
        total = jnp.int32(n_epochs)
        for epoch0 in range(0, n_epochs, chunk):
            carry, (loss, test_loss) = run_chunk_kernel(
                carry,
                data,
                jnp.int32(epoch0),
                total,
                config=static,
                optimizer=custom,
                chunk=chunk,
                has_test=has_test,
            )
            n_chunk = min(chunk, n_epochs - epoch0)
            train_losses.append(np.asarray(loss)[:, :n_chunk])
            test_losses.append(np.asarray(test_loss)[:, :n_chunk])
            n_run = epoch0 + n_chunk
            bar.update(n_chunk)
            if config.patience is not None and n_run < n_epochs:
                since = np.asarray(carry[6])
                if np.all(since >= config.patience):
                    is_stopped_early = True
                    bar.set_postfix_str("stopped early", refresh=True)
                    break
    bar.close()

    chosen, final_train, final_test, final_better, best_epoch = finish_kernel(
        carry, data, config=static, has_test=has_test
    )
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
