"""A bagged ensemble of small networks: the learner an active database build asks where to look.

:class:`EnsembleLearner` fits ``n_members`` networks, each to a bootstrap resample of the rows,
and returns every member's prediction; their spread is the acquisition's measure of what the
data do not yet pin down (:func:`crtransport.dataset.build_active_dataset`). It reuses the
surrogate's network kernels (:mod:`crtransport.surrogate._mlp`) and trains full-batch with
optax's Adam in one compiled scan per output.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from functools import lru_cache, partial
from typing import Any

import numpy as np
from numpy.typing import NDArray

from crtransport._validation import check_choice, check_int, check_real

__all__ = ["EnsembleLearner"]


@dataclass(frozen=True, slots=True, kw_only=True)
class EnsembleLearner:
    """Bootstrap ensemble of MLPs for active learning (a :class:`crtransport.dataset.Learner`).

    Each output (a column of ``y``) gets its own ensemble; inputs are the unit-cube coordinates
    of the build's free axes, outputs are standardised before training.

    Parameters
    ----------
    n_members : int, default: 5
        Networks per output, >= 2.
    hidden_widths : tuple of int, default: (32, 32)
        Hidden layer widths, each >= 1.
    activation : str, default: 'tanh'
        Hidden activation (one of the surrogate's).
    n_epochs : int, default: 3000
        Full-batch Adam steps, >= 1.
    learning_rate : float, default: 0.003
        Adam step size, > 0.
    bootstrap : bool, default: True
        Train each member on a bootstrap resample (else only the initialisation differs).

    Examples
    --------
    >>> import numpy as np
    >>> from crtransport.surrogate import EnsembleLearner
    >>> x = np.random.default_rng(0).random((64, 2))
    >>> y = np.sin(3 * x[:, :1]) + x[:, 1:]
    >>> pred = EnsembleLearner(n_epochs=200).fit_predict(x, y, x[:4], seed=0)  # doctest: +SKIP
    >>> pred.shape  # doctest: +SKIP
    (5, 4, 1)
    """

    n_members: int = 5
    hidden_widths: tuple[int, ...] = (32, 32)
    activation: str = "tanh"
    n_epochs: int = 3000
    learning_rate: float = 3e-3
    bootstrap: bool = True

    def __post_init__(self) -> None:
        from crtransport.surrogate._activations import HIDDEN

        set_ = object.__setattr__
        set_(self, "n_members", check_int("n_members", self.n_members, low=2))
        widths = tuple(check_int("hidden_widths", w, low=1) for w in self.hidden_widths)
        if not widths:
            raise ValueError("`hidden_widths` must name at least one layer; got ().")
        set_(self, "hidden_widths", widths)
        check_choice("activation", self.activation, HIDDEN)
        set_(self, "n_epochs", check_int("n_epochs", self.n_epochs, low=1))
        set_(
            self,
            "learning_rate",
            check_real("learning_rate", self.learning_rate, low=0.0, low_open=True),
        )
        if not isinstance(self.bootstrap, bool):
            raise TypeError(f"`bootstrap` must be a bool; got {type(self.bootstrap).__name__}.")

    def describe(self) -> dict[str, Any]:
        """JSON-safe settings (recorded by the build)."""
        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        out["hidden_widths"] = list(self.hidden_widths)
        return {"class": "crtransport.surrogate.EnsembleLearner", **out}

    def fit_predict(self, x: NDArray, y: NDArray, x_query: NDArray, *, seed: int) -> NDArray:
        """Fit the members and predict at ``x_query``.

        Parameters
        ----------
        x : ndarray
            Inputs, shape ``(n, d)`` (the unit cube of the build's free axes).
        y : ndarray
            Targets, shape ``(n, k)``; NaN where a row has no value for an output (it is left
            out of that output's fit).
        x_query : ndarray
            Where to predict, shape ``(m, d)``.
        seed : int
            Seed of the bootstrap resamples and the initialisations.

        Returns
        -------
        ndarray
            Every member's prediction, shape ``(n_members, m, k)``, in the units of ``y``.

        Raises
        ------
        ValueError
            If the shapes disagree or an output has fewer than 2 values.
        """
        x = np.asarray(x, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64)
        x_query = np.asarray(x_query, dtype=np.float64)
        if y.ndim == 1:
            y = y[:, None]
        if x.ndim != 2 or x_query.ndim != 2 or len(x) != len(y) or x.shape[1] != x_query.shape[1]:
            raise ValueError(
                f"shapes disagree: x {x.shape}, y {y.shape}, x_query {x_query.shape}; expected "
                "(n, d), (n, k), (m, d)."
            )
        rng = np.random.default_rng(seed)
        out = np.empty((self.n_members, len(x_query), y.shape[1]))
        for j in range(y.shape[1]):
            seen = np.isfinite(y[:, j])
            if seen.sum() < 2:
                raise ValueError(f"output {j} has {int(seen.sum())} values; at least 2 needed.")
            xs, ys = x[seen], y[seen, j]
            mean, std = float(ys.mean()), float(ys.std()) or 1.0
            n = len(xs)
            if self.bootstrap:
                weights = np.stack(
                    [np.bincount(rng.integers(0, n, n), minlength=n) for _ in range(self.n_members)]
                ).astype(np.float32)
            else:
                weights = np.ones((self.n_members, n), dtype=np.float32)
            key = int(rng.integers(2**31))
            pred = _fit_predict_kernel(
                xs.T.astype(np.float32),
                ((ys - mean) / std).astype(np.float32),
                weights,
                x_query.T.astype(np.float32),
                key,
                widths=(x.shape[1], *self.hidden_widths, 1),
                activation=self.activation,
                n_epochs=self.n_epochs,
                learning_rate=self.learning_rate,
            )
            out[:, :, j] = np.asarray(pred, dtype=np.float64) * std + mean
        return out


def _fit_predict_kernel(
    x: NDArray,
    y: NDArray,
    weights: NDArray,
    x_query: NDArray,
    key: int,
    *,
    widths: tuple[int, ...],
    activation: str,
    n_epochs: int,
    learning_rate: float,
) -> Any:
    """Train one network per row of ``weights`` (vmapped) and predict at ``x_query``."""
    import jax

    return _compiled(widths, activation, n_epochs, learning_rate)(
        jax.random.PRNGKey(key), x, y, weights, x_query
    )


@lru_cache(maxsize=8)
def _compiled(widths: tuple[int, ...], activation: str, n_epochs: int, learning_rate: float) -> Any:
    import jax
    import jax.numpy as jnp
    import optax

    from crtransport.surrogate._mlp import init_kernel, mlp_kernel

    forward = partial(mlp_kernel, activation=activation, output_activation="identity")
    optimizer = optax.adam(learning_rate)

    def one(key: Any, x: Any, y: Any, w: Any, xq: Any) -> Any:
        params = init_kernel(key, widths, "glorot")

        def loss(p: Any) -> Any:
            r = forward(p, x) - y
            return jnp.sum(w * r * r) / jnp.sum(w)

        def step(carry: Any, _: Any) -> Any:
            p, state = carry
            grads = jax.grad(loss)(p)
            updates, state = optimizer.update(grads, state, p)
            return (optax.apply_updates(p, updates), state), None

        (params, _), _ = jax.lax.scan(step, (params, optimizer.init(params)), None, n_epochs)
        return forward(params, xq)

    def run(key: Any, x: Any, y: Any, weights: Any, xq: Any) -> Any:
        keys = jax.random.split(key, weights.shape[0])
        return jax.vmap(one, in_axes=(0, None, None, 0, None))(keys, x, y, weights, xq)

    return jax.jit(run)
