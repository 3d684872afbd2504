"""Fitting: user data in, a :class:`SurrogateState` out (a pure function of its arguments)."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping
from typing import Any, cast

import jax
import jax.numpy as jnp
import numpy as np

from crtransport._validation import check_int
from crtransport.surrogate._config import SurrogateConfig
from crtransport.surrogate._data import domain_from_attrs, read_table, split_validation
from crtransport.surrogate._prior import reduce_by_prior
from crtransport.surrogate._state import SurrogateState, TrainingHistory
from crtransport.surrogate._train import train

__all__ = ["fit_state"]

logger = logging.getLogger("crtransport.surrogate")


def _as_key(key: Any) -> tuple[jax.Array, int | None]:
    """Return a typed JAX key and the integer seed it came from (None for a key array)."""
    if isinstance(key, int | np.integer) and not isinstance(key, bool):
        return jax.random.key(int(key)), int(key)
    if isinstance(key, jax.Array):
        if jnp.issubdtype(key.dtype, jax.dtypes.prng_key) and key.shape == ():
            return key, None
        if key.dtype == jnp.uint32 and key.shape == (2,):
            return jax.random.wrap_key_data(key), None
    raise TypeError(
        f"`key` must be an integer seed or a scalar JAX PRNG key; got {type(key).__name__}."
    )


def _optimizer_text(config: SurrogateConfig, optimizer: Any) -> str:
    if optimizer is None:
        return (
            f"optax.adam(learning_rate={config.learning_rate:g}, b1={config.b1:g}, "
            f"b2={config.b2:g}, eps={config.eps:g})"
        )
    return f"custom: {optimizer!r}"[:500]


def _check_domain(
    domain: Mapping[str, Any], features: tuple[str, ...]
) -> dict[str, tuple[float, float]]:
    if not isinstance(domain, Mapping):
        raise TypeError(f"`domain` must be a mapping {{name: (low, high)}}; got {domain!r}.")
    out = {}
    for name, bounds in domain.items():
        if name not in features:
            allowed = ", ".join(repr(f) for f in features)
            raise ValueError(f"`domain` must name inputs among {allowed}; got {name!r}.")
        try:
            lo, hi = (float(v) for v in bounds)
        except (TypeError, ValueError):
            raise TypeError(
                f"`domain[{name!r}]` must be a pair (low, high); got {bounds!r}."
            ) from None
        if not lo <= hi:
            raise ValueError(f"`domain[{name!r}]` must have low <= high; got {bounds!r}.")
        out[name] = (lo, hi)
    return out


def _check_values(config: SurrogateConfig, sets: dict[str, tuple[Any, Any]]) -> None:
    """``log_features`` need positive inputs and the log loss targets >= 0."""
    log_mask = np.array([f in config.log_features for f in config.features])
    for name, (X, _) in sets.items():
        bad = log_mask & np.any(X <= 0, axis=0)
        if np.any(bad):
            feat = config.features[int(np.argmax(bad))]
            raise ValueError(
                f"`{name}` has non-positive values of {feat!r}, which is in `log_features`."
            )
    if config.loss == "log":
        for name, (_, Y) in sets.items():
            if np.any(Y < 0):
                raise ValueError(
                    f"`{name}` has {int(np.sum(Y < 0))} negative targets; the 'log' loss "
                    "needs targets >= 0."
                )


def fit_state(
    config: SurrogateConfig,
    optimizer: Any,
    data: Any,
    y: Any = None,
    *,
    epochs: int | None = None,
    key: Any = 0,
    validation: Any = None,
    domain: Mapping[str, tuple[float, float]] | None = None,
    progress: bool | None = False,
) -> SurrogateState:
    """Train a network on ``data``; see :meth:`Surrogate.fit` (the arguments are its)."""
    n_epochs = config.n_epochs if epochs is None else check_int("epochs", epochs, low=0)
    if n_epochs != config.n_epochs:
        config = dataclasses.replace(config, n_epochs=n_epochs)
    jax_key, seed = _as_key(key)
    X, Y_or_none, units = read_table(data, y, features=config.features, target=config.target)
    Y = cast(np.ndarray, Y_or_none)  # read_table returns the target when one is asked for
    if X.shape[0] < 2:
        raise ValueError(f"`data` must have at least 2 rows; got {X.shape[0]}.")
    sets = {"data": (X, Y)}
    if validation is not None:
        vdata, vy = split_validation(validation)
        Xv, Yv, _ = read_table(
            vdata, vy, features=config.features, target=config.target, argname="validation"
        )
        if Xv.shape[0] == 0:
            raise ValueError("`validation` must have at least 1 row; got 0.")
        sets["validation"] = (Xv, cast(np.ndarray, Yv))
    if config.output_powers:
        sets = {name: reduce_by_prior(config, *xy, name) for name, xy in sets.items()}
    _check_values(config, sets)

    # the domain covers the training inputs (all rows, also those the prior reproduces)
    low, high = X.min(axis=0), X.max(axis=0)
    declared = domain_from_attrs(data, config.features)
    if domain is not None:
        declared.update(_check_domain(domain, config.features))
    for name, (lo, hi) in declared.items():
        k = config.features.index(name)
        low[k], high[k] = min(lo, low[k]), max(hi, high[k])
    # scaling: inputs (after log) affinely onto [-1, 1], output by the RMS target
    Xr, Yr = sets["data"]
    log_mask = np.array([f in config.log_features for f in config.features])
    Xt = np.where(log_mask, np.log(np.where(log_mask, Xr, 1.0)), Xr)
    t_low, t_high = Xt.min(axis=0), Xt.max(axis=0)
    offset = (0.5 * (t_low + t_high)).astype(np.float32)
    half = 0.5 * (t_high - t_low)
    scale = np.where(half > 0, half, 1.0).astype(np.float32)
    rms = float(np.sqrt(np.mean(Yr * Yr)))
    output_scale = np.array([rms if rms > 0 else 1.0], dtype=np.float32)

    def scaled(arr: np.ndarray) -> np.ndarray:
        t = np.where(log_mask, np.log(np.where(log_mask, arr, 1.0)), arr)
        return np.ascontiguousarray(((t - offset) / scale).T, dtype=np.float32)

    Xv_, Yv_ = sets.get("validation", (None, None))
    out = train(
        config,
        optimizer,
        jax_key,
        scaled(Xr),
        (Yr / output_scale[0]).astype(np.float32),
        None if Xv_ is None else scaled(Xv_),
        None if Yv_ is None else (Yv_ / output_scale[0]).astype(np.float32),
        n_epochs=n_epochs,
        progress=progress,
    )
    if not all(np.all(np.isfinite(a)) for layer in out.params for a in layer):
        losses = out.train_loss[0]
        first = int(np.argmax(~np.isfinite(losses))) if np.any(~np.isfinite(losses)) else -1
        raise ValueError(
            f"training diverged: the parameters became non-finite (loss non-finite from "
            f"epoch {first}); lower `learning_rate` or use init='glorot'."
        )
    history = TrainingHistory(
        train_loss=out.train_loss,
        test_loss=out.test_loss,
        best_epoch=out.best_epoch,
        n_epochs_run=out.n_epochs_run,
        is_stopped_early=out.is_stopped_early,
        n_train=Xr.shape[0],
        n_test=0 if Xv_ is None else Xv_.shape[0],
        key=seed,
        optimizer=_optimizer_text(config, optimizer),
    )
    logger.info(
        "trained on %d rows for %d epochs: final train loss %s",
        Xr.shape[0],
        out.n_epochs_run,
        np.array2string(out.train_loss[:, -1], precision=4),
    )
    return SurrogateState(
        config=config,
        weights=tuple(w for w, _ in out.params),
        biases=tuple(b for _, b in out.params),
        input_offset=offset,
        input_scale=scale,
        output_scale=output_scale,
        domain_low=low.astype(np.float64),
        domain_high=high.astype(np.float64),
        feature_units=tuple(units[f] for f in config.features),
        target_units=units[config.target],
        history=history,
    )
