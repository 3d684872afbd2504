"""The user-facing estimator: :class:`Surrogate` (fit, predict, evaluate, save, load)."""

from __future__ import annotations

import dataclasses
import importlib.resources
import logging
import math
import os
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, cast

import jax
import jax.numpy as jnp
import numpy as np
import optax
import xarray as xr
from numpy.typing import ArrayLike, NDArray

from crtransport._validation import (
    EXTRAPOLATE_ADVICE,
    AccuracyWarning,
    check_choice,
    check_int,
)
from crtransport.surrogate._config import SurrogateConfig
from crtransport.surrogate._data import domain_from_attrs, read_table, split_validation
from crtransport.surrogate._io import load_state, save_state
from crtransport.surrogate._mlp import MAX_UNROLLED_WEIGHTS, n_weights, predict_block_kernel
from crtransport.surrogate._state import SurrogateState, TrainingHistory
from crtransport.surrogate._train import train

__all__ = ["Surrogate", "SurrogateEvaluation"]

logger = logging.getLogger("crtransport.surrogate")

OnExtrapolate = Literal["warn", "raise", "ignore"]
_ON_EXTRAPOLATE = ("warn", "raise", "ignore")

#: Batches up to this size are evaluated with NumPy (float64): JAX's dispatch costs more.
_SMALL_BATCH = 64
#: Scaled inputs are clipped to +-this before the float32 path (tanh saturates long before).
_SCALED_LIMIT = 1e30
#: Raw inputs up to this magnitude go to the float32 kernel as they are; larger ones (beyond
#: float32's range, issue 19.6) are scaled on the host in float64 first.
_RAW_LIMIT = 1e30
#: Large batches are evaluated in blocks of this many samples (one compiled shape).
_BLOCK = 1 << 16

#: The pretrained models shipped in ``crtransport/data`` (name: file); see ``Surrogate.pretrained``.
PRETRAINED = {"paper": "surrogate_paper.npz", "improved": "surrogate_improved.npz"}


@dataclass(frozen=True, slots=True, kw_only=True)
class SurrogateEvaluation:
    """Accuracy of a surrogate on a test set (the paper's fig. 6).

    Parameters
    ----------
    prediction : ndarray of float64, shape (n,)
        Predicted values Z (ensemble mean), in the target's units.
    target : ndarray of float64, shape (n,)
        True values Y, in the target's units.
    relative_error : ndarray of float64, shape (n,)
        :math:`Z/Y - 1` (dimensionless), NaN on the rows where ``Y == 0`` (the exact
        b = 0 rows), which relative metrics exclude.
    rms_relative_error : float
        :math:`\\sqrt{\\langle (Z/Y - 1)^2 \\rangle}` over the rows with ``Y != 0``: the
        paper's accuracy figure (about 0.05 there).
    mean_relative_error : float
        :math:`\\langle Z/Y - 1 \\rangle` over the same rows (the bias).
    rms_error : float
        :math:`\\sqrt{\\langle (Z - Y)^2 \\rangle}` over all rows, in the target's units.
    n_excluded : int
        Rows with ``Y == 0`` left out of the relative metrics.
    n_outside_domain : int
        Rows with at least one input outside the training domain (predicted anyway).
    std : ndarray of float64, shape (n,), or None
        Ensemble spread (sample standard deviation over members), None for one network.
    label_noise : float or None
        :math:`\\sqrt{\\langle (\\sigma_Y/Y)^2 \\rangle}` over the rows with ``Y != 0``: the
        RMS relative statistical error of the targets themselves, when the test data carry
        it (variable ``<target>_err``, e.g. ``D_perp_err``); None otherwise. A surrogate that
        were exact would still show this RMS relative error against noisy targets.
    rms_relative_error_denoised : float or None
        :math:`\\sqrt{\\max(0, \\mathrm{rms}^2 - \\mathrm{noise}^2)}`: the RMS relative error
        against the true (noise-free) values, to leading order in the errors, assuming the
        target errors are calibrated and independent of the surrogate's. None without
        ``label_noise``.
    """

    prediction: NDArray[np.float64]
    target: NDArray[np.float64]
    relative_error: NDArray[np.float64]
    rms_relative_error: float
    mean_relative_error: float
    rms_error: float
    n_excluded: int
    n_outside_domain: int
    std: NDArray[np.float64] | None = None
    label_noise: float | None = None
    rms_relative_error_denoised: float | None = None

    def __repr__(self) -> str:
        noise = (
            ""
            if self.label_noise is None
            else f", label_noise={self.label_noise:.4g}, rms_relative_error_denoised="
            f"{self.rms_relative_error_denoised:.4g}"
        )
        return (
            f"SurrogateEvaluation(n={self.target.size}, rms_relative_error="
            f"{self.rms_relative_error:.4g}, mean_relative_error={self.mean_relative_error:.3g}"
            f"{noise}, n_excluded={self.n_excluded}, n_outside_domain={self.n_outside_domain})"
        )


def _shipped(file: str) -> Any:
    """The package resource ``crtransport/data/<file>`` (it may not exist)."""
    return importlib.resources.files("crtransport").joinpath("data", file)


def _target_error(data: Any, target: str, shape: tuple[int, ...]) -> NDArray | None:
    """The targets' standard errors ``<target>_err`` when ``data`` (Dataset, Mapping) has them."""
    name = f"{target}_err"
    if not isinstance(data, Mapping | xr.Dataset) or name not in data:
        return None  # arrays carry no errors
    values = data[name]
    sigma = np.asarray(getattr(values, "values", values), dtype=np.float64).reshape(-1)
    if sigma.shape != shape or not np.all(np.isfinite(sigma)) or np.any(sigma < 0):
        raise ValueError(
            f"`{name}` must hold finite standard errors >= 0, one per row ({shape[0]}); got "
            f"shape {sigma.shape} with min {np.nanmin(sigma) if sigma.size else 'n/a'}."
        )
    return sigma


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


def _np_activation(name: str, z: np.ndarray) -> np.ndarray:
    if name == "tanh":
        return np.tanh(z)
    if name == "square":
        return z * z
    if name == "identity":
        return z
    if name == "relu":
        return np.maximum(z, 0.0)
    if name == "sigmoid":
        return 1.0 / (1.0 + np.exp(-z))
    if name == "softplus":
        return np.logaddexp(0.0, z)
    if name == "silu":
        return z / (1.0 + np.exp(-z))
    if name == "exp":
        return np.exp(z)
    if name == "gelu":
        from scipy.special import erf

        return 0.5 * z * (1.0 + erf(z / np.sqrt(2.0)))
    raise AssertionError(name)  # pragma: no cover - names are validated by the config


def _py_sigmoid(z: float) -> float:
    return 0.5 * (1.0 + math.tanh(0.5 * z))


def _py_softplus(z: float) -> float:
    return max(z, 0.0) + math.log1p(math.exp(-abs(z)))


def _py_exp(z: float) -> float:
    try:
        return math.exp(z)
    except OverflowError:
        return math.inf


_PY_ACTIVATIONS: dict[str, Callable[[float], float]] = {
    "tanh": math.tanh,
    "square": lambda z: z * z,
    "identity": lambda z: z,
    "relu": lambda z: max(z, 0.0),
    "sigmoid": _py_sigmoid,
    "softplus": _py_softplus,
    "silu": lambda z: z * _py_sigmoid(z),
    "gelu": lambda z: 0.5 * z * (1.0 + math.erf(z / math.sqrt(2.0))),
    "exp": _py_exp,
}
_SCALAR_TYPES = (float, int, np.float64, np.float32)


class Surrogate:
    r"""Neural-network surrogate for a transport coefficient (default: the paper's D_perp).

    A feed-forward network (default 3-10-5-1, tanh hidden layers, :math:`z^2` output; Palade
    2023, section II C) from named inputs (default ``T``, ``b``, ``lambda_perp``) to one
    target (default ``D_perp``). Input and output scaling are part of the model. The network
    computes in float32 (see Notes).

    Parameters
    ----------
    config : crtransport.surrogate.SurrogateConfig, optional
        Architecture and training settings; default ``SurrogateConfig()`` (the paper's).
    optimizer : optax.GradientTransformation, optional
        Any optax optimizer; default the paper's Adam,
        ``optax.adam(1e-3, b1=0.9, b2=0.95, eps=1e-7)`` built from the configuration.
    on_extrapolate : {'warn', 'raise', 'ignore'}, default: 'warn'
        What :meth:`predict` does with inputs outside the training domain.
    **settings
        Fields of :class:`~crtransport.surrogate.SurrogateConfig` (e.g.
        ``hidden_widths=(32, 32)``), applied on top of ``config``.

    Raises
    ------
    ValueError
        If a setting is invalid (see :class:`~crtransport.surrogate.SurrogateConfig`) or
        ``on_extrapolate`` is unknown.
    TypeError
        If ``optimizer`` is not an optax ``GradientTransformation``.

    Notes
    -----
    The forward pass is

    .. math::

        \hat x_k = (t_k(x_k) - o_k) / s_k, \quad h^{(0)} = \hat x, \quad
        h^{(i)} = f(W^{(i)} h^{(i-1)} + \beta^{(i)}), \quad
        D = \Big(\prod_k x_k^{p_k}\Big) \, s_y \, g(W^{(L)} h^{(L-1)} + \beta^{(L)}),

    with :math:`p_k` the exponents of ``output_powers`` (none by default: the factor is 1),
    :math:`t_k` the identity (or ``log`` for ``log_features``), :math:`o, s` the
    affine map of the training inputs onto [-1, 1], :math:`f` the hidden activation,
    :math:`g` the output activation (:math:`z^2`), and :math:`s_y` the RMS of the
    training targets (divided by the prior). Ensembles average :math:`D` over members.

    Precision policy (one for every call): the network's parameters are float32, and a
    prediction is accurate to float32 round-off, a few 1e-6 of the output scale
    (:math:`s_y` times the prior), far below the surrogate's own accuracy. Every path first
    maps the inputs onto the network's scale (:math:`t_k`, :math:`o`, :math:`s`) and checks
    the training domain in float64; large arrays then run the network in float32 with JAX
    (fast), batches of at most 64 points and single points run it in float64 with NumPy or
    Python (no dispatch cost). So a result does not depend on how the inputs are split into
    calls beyond float32 round-off of the output scale (the relative difference is larger
    only where the prediction itself is below about 1e-6 of the scale, e.g. near ``b = 0``),
    and inputs far outside the domain (``T = 1e300`` with ``on_extrapolate='ignore'``) give
    the same value on every path. JAX's ``jax_enable_x64`` flag is never changed and does not
    affect the result.

    References
    ----------
    D. I. Palade, "Predicting the turbulent transport of cosmic rays via neural networks"
    (2023).

    Examples
    --------
    >>> import numpy as np
    >>> import crtransport as crt
    >>> rng = np.random.default_rng(0)
    >>> X = rng.uniform([0.1, 0.1, 0.2], [10.0, 1.0, 20.0], size=(200, 3))
    >>> y = X[:, 1] ** 2 * X[:, 2] ** 0.5
    >>> sur = crt.Surrogate(hidden_widths=(8,)).fit(X, y, epochs=300, key=0)
    >>> sur.history.n_epochs_run
    300
    >>> float(sur.predict(T=1.0, b=0.5, lambda_perp=4.0)) > 0
    True
    """

    def __init__(
        self,
        config: SurrogateConfig | None = None,
        *,
        optimizer: optax.GradientTransformation | None = None,
        on_extrapolate: OnExtrapolate = "warn",
        **settings: Any,
    ) -> None:
        if config is None:
            config = SurrogateConfig(**settings)
        elif not isinstance(config, SurrogateConfig):
            raise TypeError(f"`config` must be a SurrogateConfig; got {type(config).__name__}.")
        elif settings:
            config = dataclasses.replace(config, **settings)
        if optimizer is not None and not (
            callable(getattr(optimizer, "init", None))
            and callable(getattr(optimizer, "update", None))
        ):
            raise TypeError(
                "`optimizer` must be an optax.GradientTransformation (with init and update); "
                f"got {type(optimizer).__name__}."
            )
        self._config = config
        self._optimizer = optimizer
        self._on_extrapolate = check_choice("on_extrapolate", on_extrapolate, _ON_EXTRAPOLATE)
        self._state: SurrogateState | None = None
        self._device: Any = None
        self._identity: Any = None
        self._host: Any = None
        self._scalar: Any = None

    # ----------------------------------------------------------------- construction
    @classmethod
    def from_state(
        cls, state: SurrogateState, *, on_extrapolate: OnExtrapolate = "warn"
    ) -> Surrogate:
        """Wrap a fitted :class:`~crtransport.surrogate.SurrogateState` in an estimator."""
        if not isinstance(state, SurrogateState):
            raise TypeError(f"`state` must be a SurrogateState; got {type(state).__name__}.")
        sur = cls(state.config, on_extrapolate=on_extrapolate)
        sur._state = state
        return sur

    @classmethod
    def load(
        cls, path: str | os.PathLike[str], *, on_extrapolate: OnExtrapolate = "warn"
    ) -> Surrogate:
        """Read a model written by :meth:`save`.

        Parameters
        ----------
        path : str or os.PathLike
            The file.
        on_extrapolate : {'warn', 'raise', 'ignore'}, default: 'warn'
            See :class:`Surrogate`.

        Returns
        -------
        Surrogate
            A fitted estimator, bit-for-bit the one saved.

        Raises
        ------
        FileNotFoundError
            If ``path`` does not exist.
        ValueError
            If the file is not a crtransport surrogate file (foreign, truncated or corrupted
            archive; missing, extra or mis-shaped arrays; wrong dtypes; non-finite weights;
            unsupported format version).

        Notes
        -----
        No pickle is involved (``np.load(..., allow_pickle=False)``); every array's shape and
        dtype is checked against the architecture in the metadata.
        """
        return cls.from_state(load_state(path), on_extrapolate=on_extrapolate)

    @classmethod
    def pretrained(
        cls, name: str | None = None, *, on_extrapolate: OnExtrapolate = "warn"
    ) -> Surrogate:
        """Load a model trained on the reference database and shipped with crtransport.

        The models were trained on the 90 % training split of
        :func:`crtransport.datasets.paper` (``crtransport.dataset.split(ds, 0.1, seed=0)``);
        their accuracy on the 10 % test split, the training recipe and the database they saw
        are recorded in ``sur.state.provenance`` (see the surrogate guide).

        Parameters
        ----------
        name : {'paper', 'improved'}, optional
            ``'paper'``: the paper's network and optimiser (3-10-5-1, tanh, squared output,
            Adam 1e-3 / 0.9 / 0.95 / 1e-7, full batch, mean-squared loss). ``'improved'``: the
            best of a few other recipes (wider layers, log-space loss, log inputs, a
            :math:`b^2` output prior; ``sur.state.provenance["recipe"]`` says which), shipped
            only when it was clearly more accurate than the paper's on validation data; see
            :meth:`available_pretrained`. Default: the most accurate model shipped,
            ``'improved'`` when it ships, else ``'paper'``.
        on_extrapolate : {'warn', 'raise', 'ignore'}, default: 'warn'
            See :class:`Surrogate`.

        Raises
        ------
        ValueError
            If ``name`` is not one of the shipped models.
        FileNotFoundError
            If this installation lacks the model file.

        Examples
        --------
        >>> import crtransport as crt
        >>> sur = crt.Surrogate.pretrained()  # doctest: +SKIP
        >>> sur.predict(T=1.0, b=0.2, lambda_perp=5.0)  # doctest: +SKIP
        """
        if name is None:
            name = "improved" if "improved" in cls.available_pretrained() else "paper"
        name = check_choice("name", name, tuple(PRETRAINED))
        resource = _shipped(PRETRAINED[name])
        if not resource.is_file():
            raise FileNotFoundError(
                f"no pretrained surrogate {name!r} in this installation: crtransport/data/"
                f"{PRETRAINED[name]} is missing (shipped: {cls.available_pretrained()}). "
                "Train one with Surrogate().fit(...) or `crtransport train`, then load it "
                "with Surrogate.load(path)."
            )
        with importlib.resources.as_file(resource) as path:
            return cls.load(path, on_extrapolate=on_extrapolate)

    @staticmethod
    def available_pretrained() -> tuple[str, ...]:
        """Names of the pretrained models this installation ships (for :meth:`pretrained`)."""
        return tuple(name for name, file in PRETRAINED.items() if _shipped(file).is_file())

    # ----------------------------------------------------------------- properties
    @property
    def config(self) -> SurrogateConfig:
        """The configuration (of the fitted model once fitted or loaded)."""
        return self._state.config if self._state is not None else self._config

    @property
    def state(self) -> SurrogateState:
        """The fitted state; raises RuntimeError before :meth:`fit` or :meth:`load`."""
        return self._require_state()

    @property
    def history(self) -> TrainingHistory:
        """Loss curves and training bookkeeping of the fitted model."""
        return self._require_state().history

    @property
    def is_fitted(self) -> bool:
        """Whether the estimator holds a fitted model."""
        return self._state is not None

    @property
    def features(self) -> tuple[str, ...]:
        """Names of the inputs, in order."""
        return self.config.features

    @property
    def domain(self) -> dict[str, tuple[float, float]]:
        """Training domain ``{name: (low, high)}`` of every input, in its units."""
        state = self._require_state()
        return {
            name: (float(lo), float(hi))
            for name, lo, hi in zip(
                state.config.features, state.domain_low, state.domain_high, strict=True
            )
        }

    def __repr__(self) -> str:
        c = self.config
        sizes = "-".join(str(s) for s in c.layer_sizes)
        fitted = "fitted" if self._state is not None else "not fitted"
        ens = f", n_models={c.n_models}" if c.n_models > 1 else ""
        prior = f", prior={_prior_text(c)!r}" if c.output_powers else ""
        return (
            f"Surrogate({sizes}, activation={c.activation!r}, output={c.output_activation!r}"
            f"{prior}, loss={c.loss!r}{ens}, {fitted})"
        )

    def _require_state(self) -> SurrogateState:
        if self._state is None:
            raise RuntimeError(
                "this Surrogate is not fitted: call fit(), or load a model with "
                "Surrogate.load(path)."
            )
        return self._state

    # ----------------------------------------------------------------- training
    def fit(
        self,
        data: Any,
        y: ArrayLike | None = None,
        *,
        epochs: int | None = None,
        key: int | jax.Array = 0,
        validation: Any = None,
        domain: Mapping[str, tuple[float, float]] | None = None,
        progress: bool | None = False,
    ) -> Surrogate:
        """Train the network (all epochs inside one jitted ``lax.scan``); return ``self``.

        Parameters
        ----------
        data : xarray.Dataset, Mapping or ndarray
            Training data. A Dataset (the dataset builder's format: dimension ``sample``)
            or a mapping must hold the ``features`` and the ``target`` variables; rows with
            ``is_analytic`` set (exact b = 0 points) train like the others. An array gives
            the inputs in ``features`` order, with ``y`` the targets.
        y : array_like of shape (n_samples,), optional
            Targets when ``data`` is an array, in the target's units.
        epochs : int, optional
            Number of epochs (>= 0); default ``config.n_epochs`` (5000).
        key : int or jax.Array, default: 0
            Seed or PRNG key for the initial weights (and the mini-batch order).
        validation : xarray.Dataset, Mapping or tuple, optional
            Held-out data: its loss is recorded every epoch (``history.test_loss``) and
            drives early stopping.
        domain : Mapping, optional
            Training domain per input, e.g. ``{"T": (0, 10)}``, in the inputs' units.
            Default: for a crtransport database, the bounds of its free inputs (the
            ``parameter_space`` attribute, e.g. the paper's hypercube), otherwise the range
            of the training inputs; the domain always covers the training inputs.
            Prediction outside it warns or raises (``on_extrapolate``).
        progress : bool or None, default: False
            Show a tqdm progress bar of the epochs on stderr (the scan then runs in chunks of
            250 epochs, with the same numbers). None shows it only when stderr is a terminal
            (what ``crtransport train`` does).

        Returns
        -------
        Surrogate
            ``self``, fitted.

        Raises
        ------
        ValueError
            If a variable is missing, shapes disagree, data are non-finite or too few (< 2
            rows), ``epochs`` is negative, the log loss gets negative targets, a log feature
            gets non-positive values, training diverges to non-finite parameters,
            ``domain`` names an unknown input or has ``low > high``, or under an
            ``output_powers`` prior an input is out of its range (negative under a positive
            exponent, non-positive under a negative one) or a row has a zero prior but a
            non-zero target.
        TypeError
            If ``key`` is not a seed or a PRNG key, or the data have the wrong type.

        Notes
        -----
        Inputs are mapped (after the log of ``log_features``) affinely onto [-1, 1] by the
        training range; the output is divided by :math:`s_y`, the RMS of the training
        targets (after dividing them by the ``output_powers`` prior, if any; rows where the
        prior and the target are both zero are then reproduced exactly and skipped, and
        ``history.n_train`` counts the rows trained on), so the default MSE loss is the
        paper's error E over the mean squared target (its fig. 5).
        ``history.train_loss[:, i]`` is the loss after ``i`` epochs.
        """
        config = self._config
        n_epochs = config.n_epochs if epochs is None else check_int("epochs", epochs, low=0)
        if n_epochs != config.n_epochs:
            config = dataclasses.replace(config, n_epochs=n_epochs)
        jax_key, seed = _as_key(key)
        X, Y_or_none, units = read_table(data, y, features=config.features, target=config.target)
        Y = cast(np.ndarray, Y_or_none)  # read_table returns the target when one is asked for
        if X.shape[0] < 2:
            raise ValueError(f"`data` must have at least 2 rows; got {X.shape[0]}.")
        Xv = Yv = None
        if validation is not None:
            vdata, vy = split_validation(validation)
            Xv, Yv, _ = read_table(
                vdata, vy, features=config.features, target=config.target, argname="validation"
            )
            if Xv.shape[0] == 0:
                raise ValueError("`validation` must have at least 1 row; got 0.")
        X_all = X
        if config.output_powers:
            X, Y = _reduce_by_prior(config, X, Y, "data")
            if Xv is not None and Yv is not None:
                Xv, Yv = _reduce_by_prior(config, Xv, Yv, "validation")
        log_mask = np.array([f in config.log_features for f in config.features])
        for name, arr in (("data", X), ("validation", Xv)):
            if arr is None:
                continue
            bad = log_mask & np.any(arr <= 0, axis=0)
            if np.any(bad):
                feat = config.features[int(np.argmax(bad))]
                raise ValueError(
                    f"`{name}` has non-positive values of {feat!r}, which is in `log_features`."
                )
        if config.loss == "log":
            for name, arr in (("data", Y), ("validation", Yv)):
                if arr is not None and np.any(arr < 0):
                    raise ValueError(
                        f"`{name}` has {int(np.sum(arr < 0))} negative targets; the 'log' loss "
                        "needs targets >= 0."
                    )

        low = X_all.min(axis=0)
        high = X_all.max(axis=0)
        declared = domain_from_attrs(data, config.features)
        if domain is not None:
            declared.update(_check_domain(domain, config.features))
        for name, (lo, hi) in declared.items():
            k = config.features.index(name)
            low[k], high[k] = min(lo, low[k]), max(hi, high[k])
        Xt = np.where(log_mask, np.log(np.where(log_mask, X, 1.0)), X)
        t_low, t_high = Xt.min(axis=0), Xt.max(axis=0)
        offset = (0.5 * (t_low + t_high)).astype(np.float32)
        half = 0.5 * (t_high - t_low)
        scale = np.where(half > 0, half, 1.0).astype(np.float32)
        rms = float(np.sqrt(np.mean(Y * Y)))
        output_scale = np.array([rms if rms > 0 else 1.0], dtype=np.float32)

        def scaled(arr: np.ndarray) -> np.ndarray:
            t = np.where(log_mask, np.log(np.where(log_mask, arr, 1.0)), arr)
            return np.ascontiguousarray(((t - offset) / scale).T, dtype=np.float32)

        out = train(
            config,
            self._optimizer,
            jax_key,
            scaled(X),
            (Y / output_scale[0]).astype(np.float32),
            None if Xv is None else scaled(Xv),
            None if Yv is None else (Yv / output_scale[0]).astype(np.float32),
            n_epochs=n_epochs,
            progress=progress,
        )
        finite = all(np.all(np.isfinite(a)) for layer in out.params for a in layer)
        if not finite:
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
            n_train=X.shape[0],
            n_test=0 if Xv is None else Xv.shape[0],
            key=seed,
            optimizer=_optimizer_text(config, self._optimizer),
        )
        self._state = SurrogateState(
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
        self._config = config
        self._device = None
        self._identity = None
        self._host = None
        self._scalar = None
        logger.info(
            "trained %s on %d rows for %d epochs: final train loss %s",
            self,
            X.shape[0],
            out.n_epochs_run,
            np.array2string(out.train_loss[:, -1], precision=4),
        )
        return self

    # ----------------------------------------------------------------- prediction
    def predict(
        self,
        data: Any = None,
        /,
        *,
        return_std: bool = False,
        on_extrapolate: OnExtrapolate | None = None,
        **inputs: Any,
    ) -> Any:
        """Predict the target from named inputs, an input array, or a Dataset.

        Parameters
        ----------
        data : xarray.Dataset or array of shape (n, n_features), optional
            Inputs as Dataset variables (returns a DataArray) or as columns in ``features``
            order. Give either ``data`` or the named inputs.
        return_std : bool, default: False
            Also return the ensemble spread (sample standard deviation over members);
            needs ``n_models >= 2``.
        on_extrapolate : {'warn', 'raise', 'ignore'}, optional
            Inputs outside the training domain: warn (AccuracyWarning), raise ValueError, or
            ignore; default the estimator's setting.
        **inputs : float or array_like
            The inputs by name (e.g. ``T=1.0, b=0.2, lambda_perp=5.0``; units in
            :mod:`crtransport.units`), broadcast against each other. DataArrays give a
            DataArray.

        Returns
        -------
        ndarray of float64, numpy.float64, or xarray.DataArray
            The prediction in the target's units (scaled units, e.g. ``rho0^2 omega_c`` for
            D_perp), with the broadcast shape of the inputs. With ``return_std``, a pair
            ``(mean, std)``.

        Raises
        ------
        ValueError
            If an input is missing or unknown, shapes do not broadcast, an array has the
            wrong shape, ``return_std`` is asked of a single network, ``on_extrapolate`` is
            unknown, inputs lie outside the training domain with ``on_extrapolate="raise"``,
            or an input of the ``output_powers`` prior is negative (non-positive under a
            negative exponent).
        TypeError
            If inputs are not real numbers, or both ``data`` and named inputs are given.
        RuntimeError
            If the estimator is not fitted.

        Warns
        -----
        AccuracyWarning
            If inputs lie outside the training domain (``on_extrapolate="warn"``); the
            message lists how many and the domain.
        """
        state = self._require_state()
        policy = self._on_extrapolate if on_extrapolate is None else on_extrapolate
        if policy not in _ON_EXTRAPOLATE:
            check_choice("on_extrapolate", policy, _ON_EXTRAPOLATE)
        features = state.config.features
        if data is None and not return_std and len(inputs) == len(features):
            # single point from Python or NumPy scalars: pure-Python float64 forward pass
            values = [inputs.get(name) for name in features]
            if all(type(v) in _SCALAR_TYPES for v in values):
                result = self._predict_one([float(v) for v in values], policy)  # type: ignore[arg-type]
                if result is not None:
                    return result
        if return_std and state.config.n_models < 2:
            raise ValueError(
                "`return_std` needs an ensemble (n_models >= 2); this model has n_models=1."
            )
        if data is not None:
            if inputs:
                raise TypeError("give either `data` or named inputs, not both.")
            if isinstance(data, xr.Dataset):
                missing = [f for f in features if f not in data.variables]
                if missing:
                    wanted = ", ".join(repr(f) for f in features)
                    raise ValueError(
                        f"`data` has no variable {missing[0]!r}; this model's inputs are {wanted}."
                    )
                return self._predict_xarray([data[f] for f in features], policy, return_std)
            X = _as_float("data", data)
            n = len(features)
            if X.ndim == 1 and X.shape == (n,):
                X = X[None, :]
                shape: tuple[int, ...] = ()
            elif X.ndim == 2 and X.shape[1] == n:
                shape = (X.shape[0],)
            else:
                raise ValueError(
                    f"`data` must have shape (n_samples, {n}) for the inputs {features}; "
                    f"got {X.shape}."
                )
            columns = [X[:, k] for k in range(n)]
            return self._predict_columns(columns, shape, policy, return_std)

        if len(inputs) != len(features) or any(name not in inputs for name in features):
            self._check_names(inputs)
        values = [inputs[name] for name in features]
        if any(isinstance(v, xr.DataArray) for v in values):
            return self._predict_xarray(values, policy, return_std)
        arrays = [_as_float(name, v) for name, v in zip(features, values, strict=True)]
        shape = arrays[0].shape
        if any(a.shape != shape for a in arrays):
            try:
                shape = np.broadcast_shapes(*(a.shape for a in arrays))
            except ValueError:
                shapes = ", ".join(
                    f"{name}: {a.shape}" for name, a in zip(features, arrays, strict=True)
                )
                raise ValueError(f"the inputs must broadcast together; got {shapes}.") from None
            arrays = [np.broadcast_to(a, shape) for a in arrays]
        columns = [a.reshape(-1) for a in arrays]
        return self._predict_columns(columns, shape, policy, return_std)

    def _check_names(self, inputs: Mapping[str, Any]) -> None:
        features = self.config.features
        wanted = ", ".join(features)
        for name in inputs:
            if name not in features:
                raise ValueError(f"unknown input `{name}`; this model's inputs are {wanted}.")
        for name in features:
            if name not in inputs:
                raise ValueError(f"input `{name}` is missing; this model's inputs are {wanted}.")

    def _predict_xarray(self, values: list[Any], policy: str, return_std: bool) -> Any:
        state = self._require_state()
        arrays = xr.broadcast(
            *[v if isinstance(v, xr.DataArray) else xr.DataArray(v) for v in values]
        )
        template = arrays[0]
        columns = [
            _as_float(name, a.transpose(*template.dims).values).reshape(-1)
            for name, a in zip(state.config.features, arrays, strict=True)
        ]
        result = self._predict_columns(columns, template.shape, policy, return_std)
        attrs = {
            "units": state.target_units,
            "long_name": f"surrogate prediction of {state.config.target}",
        }
        coords = template.coords

        def wrap(values: np.ndarray, suffix: str = "") -> xr.DataArray:
            return xr.DataArray(
                np.asarray(values).reshape(template.shape),
                dims=template.dims,
                coords=coords,
                name=state.config.target + suffix,
                attrs=attrs,
            )

        if return_std:
            return wrap(result[0]), wrap(result[1], "_std")
        return wrap(result)

    def _predict_columns(
        self, columns: list[np.ndarray], shape: tuple[int, ...], policy: str, return_std: bool
    ) -> Any:
        n = columns[0].size
        if n == 1 and not return_std:
            value = self._predict_one([float(c[0]) for c in columns], policy)
            if value is not None:
                return np.full(shape, value)[()]
        prior = _prior_factor(self._require_state().config, columns)
        if n <= _SMALL_BATCH:
            mean, std, outside = self._predict_small(columns, return_std)
        else:
            mean, std, outside = self._predict_large(columns, return_std)
        if outside and policy != "ignore":
            self._extrapolation(columns, policy)
        if prior is not None:
            mean *= prior
            if std is not None:
                std *= prior
        if std is not None:
            return mean.reshape(shape)[()], std.reshape(shape)[()]
        return mean.reshape(shape)[()]

    def _extrapolation(self, columns: list[np.ndarray], policy: str) -> None:
        state = self._require_state()
        parts = []
        bad_any = np.zeros(columns[0].shape, dtype=bool)
        for name, c, lo, hi in zip(
            state.config.features, columns, state.domain_low, state.domain_high, strict=True
        ):
            bad = ~((c >= lo) & (c <= hi))
            if np.any(bad):
                k = int(np.sum(bad))
                worst = c[bad][np.argmax(np.maximum(lo - c[bad], c[bad] - hi))]
                parts.append(
                    f"{name} = {float(worst):.4g} is outside the trained range "
                    f"[{lo:.6g}, {hi:.6g}]" + (f" ({k} points, this the farthest)" if k > 1 else "")
                )
                bad_any |= bad
        if not parts:  # only float32 rounding at the very edge of the domain
            return
        n_bad, n = int(np.sum(bad_any)), bad_any.size
        where = "the input point lies" if n == 1 else f"{n_bad} of {n} input points lie"
        message = (
            f"{where} outside the training domain ({'; '.join(parts)}): the surrogate "
            f"extrapolates there. {EXTRAPOLATE_ADVICE}"
        )
        if policy == "raise":
            raise ValueError(message)
        warnings.warn(message, AccuracyWarning, stacklevel=4)

    def _scalar_params(self) -> Any:
        if self._scalar is None:
            state = self._require_state()
            config = state.config
            n_layers = len(state.weights)
            members = [
                [
                    (
                        [
                            (w[m, j].astype(np.float64).tolist(), float(b[m, j]))
                            for j in range(w.shape[1])
                        ],
                        i == n_layers - 1,
                    )
                    for i, (w, b) in enumerate(zip(state.weights, state.biases, strict=True))
                ]
                for m in range(config.n_models)
            ]
            inputs = [
                (float(o), float(sc), f in config.log_features, float(lo), float(hi))
                for f, o, sc, lo, hi in zip(
                    config.features,
                    state.input_offset,
                    state.input_scale,
                    state.domain_low,
                    state.domain_high,
                    strict=True,
                )
            ]
            self._scalar = (
                members,
                inputs,
                _PY_ACTIVATIONS[config.activation],
                _PY_ACTIVATIONS[config.output_activation],
                float(state.output_scale[0]),
                [(config.features.index(name), p) for name, p in config.output_powers],
            )
        return self._scalar

    def _predict_one(self, values: list[float], policy: str) -> np.float64 | None:
        """Float64 pure-Python forward pass for one point; None defers to the array path."""
        members, inputs, act, out, out_scale, powers = self._scalar_params()
        if any(v != v for v in values):  # NaN: the array path names the input
            return None
        prior = 1.0
        for k, p in powers:
            v = values[k]
            if not (v >= 0 if p > 0 else v > 0):
                return None  # the array path raises the error
            prior *= v**p
        x = []
        outside = False
        for v, (offset, scale, use_log, lo, hi) in zip(values, inputs, strict=True):
            if not lo <= v <= hi:
                outside = True
            if use_log:
                if not v > 0:
                    return None
                v = math.log(v)
            x.append((v - offset) / scale)
        if outside and policy != "ignore":
            self._extrapolation([np.array([v]) for v in values], policy)
        total = 0.0
        for layers in members:
            h = x
            for rows, is_last in layers:
                new = []
                for w, b in rows:
                    s = b
                    for wk, hk in zip(w, h, strict=True):
                        s += wk * hk
                    new.append(s if is_last else act(s))
                h = new
            total += out(h[0])
        return np.float64(prior * (out_scale * total / len(members)))

    def _host_params(self) -> Any:
        if self._host is None:
            state = self._require_state()
            self._host = (
                tuple(w.astype(np.float64) for w in state.weights),
                tuple(b.astype(np.float64)[:, :, None] for b in state.biases),
                state.input_offset.astype(np.float64)[:, None],
                state.input_scale.astype(np.float64)[:, None],
                float(state.output_scale[0]),
                np.array([f in state.config.log_features for f in state.config.features]),
            )
        return self._host

    def _predict_small(
        self, columns: list[np.ndarray], return_std: bool
    ) -> tuple[np.ndarray, np.ndarray | None, bool]:
        """Float64 NumPy forward pass for a few points (no JAX dispatch)."""
        state = self._require_state()
        weights, biases, offset, scale, out_scale, log_mask = self._host_params()
        x = np.array(columns, dtype=np.float64)  # (n_features, n)
        outside = bool(
            np.any(~((x >= state.domain_low[:, None]) & (x <= state.domain_high[:, None])))
        )
        if log_mask.any():
            with np.errstate(divide="ignore", invalid="ignore"):
                x = np.where(log_mask[:, None], np.log(np.where(log_mask[:, None], x, 1.0)), x)
        h = (x - offset) / scale  # (n_features, n), broadcast over members below
        config = state.config
        last = len(weights) - 1
        for i, (w, b) in enumerate(zip(weights, biases, strict=True)):
            h = w @ h + b  # (n_models, n_out, n)
            if i < last:
                h = _np_activation(config.activation, h)
        with np.errstate(over="ignore"):
            members = out_scale * _np_activation(config.output_activation, h[:, 0, :])
        mean = members[0] if config.n_models == 1 else members.mean(axis=0)
        std = members.std(axis=0, ddof=1) if return_std else None
        return mean, std, outside

    def _device_params(self) -> Any:
        if self._device is None:
            state = self._require_state()
            f32 = jnp.float32
            self._device = (
                tuple(
                    (jnp.asarray(w, f32), jnp.asarray(b, f32))
                    for w, b in zip(state.weights, state.biases, strict=True)
                ),
                jnp.asarray(state.input_offset, f32),
                jnp.asarray(state.input_scale, f32),
                jnp.asarray(state.output_scale[0], f32),
                jnp.asarray(state.domain_low, f32),
                jnp.asarray(state.domain_high, f32),
            )
        return self._device

    def _device_identity(self) -> Any:
        """Offset 0, scale 1 and an unbounded domain: the kernel gets inputs already scaled."""
        if self._identity is None:
            n = len(self._require_state().config.features)
            f32 = jnp.float32
            self._identity = (
                jnp.zeros(n, f32),
                jnp.ones(n, f32),
                jnp.full(n, -jnp.inf, f32),
                jnp.full(n, jnp.inf, f32),
            )
        return self._identity

    def _predict_large(
        self, columns: list[np.ndarray], return_std: bool
    ) -> tuple[np.ndarray, np.ndarray | None, bool]:
        """Float32 JAX forward pass in blocks of fixed, power-of-two sizes.

        Inputs beyond ``_RAW_LIMIT`` = 1e30 in magnitude (beyond float32's range, e.g.
        ``T = 1e300`` under ``on_extrapolate='ignore'``), or below 1e-30 for a ``log``
        feature, are first mapped onto the network's
        scale (``log`` and the affine map) in float64 on the host, exactly as the small-batch
        path does, and only then rounded to float32 (issue 19.6: the float32 cast gave inf,
        an overflow warning and another value than the other paths). Other inputs go to the
        kernel as they are (the fast path).
        """
        state = self._require_state()
        config = state.config
        params, offset, scale, out_scale, low32, high32 = self._device_params()
        use_columns = n_weights(config.layer_sizes) * config.n_models <= MAX_UNROLLED_WEIGHTS
        log_mask = tuple(f in config.log_features for f in config.features)
        columns = [np.asarray(c, dtype=np.float64) for c in columns]
        extremes = [(float(c.min()), float(c.max())) for c in columns]  # NaN propagates
        # inputs float32 represents well (the usual case): the kernel scales them itself
        is_raw = all(
            lo >= (1.0 / _RAW_LIMIT if use_log else -_RAW_LIMIT) and hi <= _RAW_LIMIT
            for (lo, hi), use_log in zip(extremes, log_mask, strict=True)
        )  # (a log feature also needs inputs that do not underflow in float32)
        is_outside = False
        kernel_args = (offset, scale, out_scale, low32, high32)
        if not is_raw:
            # scale on the host in float64, as the small-batch path does, then round
            low, high = state.domain_low, state.domain_high
            scaled_columns = []
            for k, (c, use_log) in enumerate(zip(columns, log_mask, strict=True)):
                c_min, c_max = extremes[k]
                is_outside = is_outside or not (c_min >= low[k] and c_max <= high[k])
                bounds = np.array([c_min, c_max])
                with np.errstate(divide="ignore", invalid="ignore"):
                    if use_log:
                        c = np.log(c)
                        bounds = np.log(bounds)
                off, inv = float(state.input_offset[k]), 1.0 / float(state.input_scale[k])
                z = c - off
                z *= inv
                if not np.all(np.abs((bounds - off) * inv) <= _SCALED_LIMIT):  # monotone map
                    # beyond 1e30 every tanh is saturated: clip into float32's range
                    np.clip(z, -_SCALED_LIMIT, _SCALED_LIMIT, out=z)
                scaled_columns.append(z)
            columns = scaled_columns
            identity = self._device_identity()
            kernel_args = (identity[0], identity[1], out_scale, identity[2], identity[3])
            log_mask = (False,) * len(log_mask)
        static = {
            "activation": config.activation,
            "output_activation": config.output_activation,
            "log_mask": log_mask,
            "use_columns": use_columns,
            "return_std": return_std,
        }
        n = columns[0].size
        pending = []
        for start in range(0, n, _BLOCK):
            stop = min(n, start + _BLOCK)
            m = stop - start
            if m == _BLOCK:
                block = tuple(np.asarray(c[start:stop], dtype=np.float32) for c in columns)
            else:  # pad the tail to a power of two: at most log2(_BLOCK) compiled shapes
                size = 1 << max((m - 1).bit_length(), 7)
                block = tuple(_padded(c[start:stop], size) for c in columns)
            n_split = 2 if block[0].size >= 8192 else 1
            result = predict_block_kernel(params, *kernel_args, block, n_split=n_split, **static)
            pending.append((start, stop, result))
        mean = np.empty(n, dtype=np.float64)
        std = np.empty(n, dtype=np.float64) if return_std else None
        outside = 0
        for start, stop, (block_mean, block_std, block_outside) in pending:
            m = stop - start
            mean[start:stop] = np.asarray(block_mean)[:m]
            if std is not None:
                std[start:stop] = np.asarray(block_std)[:m]
            outside += int(block_outside)  # (scaled on the host: NaN only, checked above)
        return mean, std, is_outside or outside > 0

    # ----------------------------------------------------------------- evaluation
    def evaluate(self, data: Any, y: ArrayLike | None = None) -> SurrogateEvaluation:
        """Compare predictions with true values on test data (the paper's fig. 6).

        Parameters
        ----------
        data : xarray.Dataset, Mapping or ndarray
            Test data with the inputs and the target (as for :meth:`fit`).
        y : array_like of shape (n_samples,), optional
            Targets when ``data`` is an array.

        Returns
        -------
        crtransport.surrogate.SurrogateEvaluation
            RMS relative error :math:`\\sqrt{\\langle(Z/Y - 1)^2\\rangle}`, the relative
            errors, and more. Rows with ``Y == 0`` (exact b = 0 rows) are excluded from the
            relative metrics and counted in ``n_excluded``. Inputs outside the training
            domain are predicted without warning and counted in ``n_outside_domain``.

        Raises
        ------
        ValueError
            As for :meth:`fit` (missing variables, wrong shapes, non-finite data).
        RuntimeError
            If the estimator is not fitted.
        """
        state = self._require_state()
        X, Y, _ = read_table(data, y, features=state.config.features, target=state.config.target)
        Y = cast(np.ndarray, Y)  # read_table returns the target when one is asked for
        columns = [X[:, k] for k in range(X.shape[1])]
        is_ensemble = state.config.n_models > 1
        result = self._predict_columns(columns, (X.shape[0],), "ignore", is_ensemble)
        Z, std = result if is_ensemble else (result, None)
        Z = np.asarray(Z, dtype=np.float64).reshape(-1)
        low, high = state.domain_low, state.domain_high
        n_outside = int(np.sum(np.any((low > X) | (high < X), axis=1)))
        keep = Y != 0
        rel = np.full(Y.shape, np.nan)
        rel[keep] = Z[keep] / Y[keep] - 1.0
        if np.any(keep):
            rms_rel = float(np.sqrt(np.mean(rel[keep] ** 2)))
            mean_rel = float(np.mean(rel[keep]))
        else:
            rms_rel = mean_rel = float("nan")
        noise = denoised = None
        sigma = _target_error(data, state.config.target, Y.shape)
        if sigma is not None and np.any(keep):
            noise = float(np.sqrt(np.mean((sigma[keep] / Y[keep]) ** 2)))
            denoised = float(np.sqrt(max(rms_rel**2 - noise**2, 0.0)))
        return SurrogateEvaluation(
            prediction=Z,
            target=Y,
            relative_error=rel,
            rms_relative_error=rms_rel,
            mean_relative_error=mean_rel,
            rms_error=float(np.sqrt(np.mean((Z - Y) ** 2))) if Y.size else float("nan"),
            n_excluded=int(np.sum(~keep)),
            n_outside_domain=n_outside,
            std=None if std is None else np.asarray(std, dtype=np.float64).reshape(-1),
            label_noise=noise,
            rms_relative_error_denoised=denoised,
        )

    # ----------------------------------------------------------------- persistence
    def save(
        self, path: str | os.PathLike[str], *, provenance: Mapping[str, Any] | None = None
    ) -> Path:
        """Write the fitted model to ``path`` (any extension; written atomically).

        Parameters
        ----------
        path : str or os.PathLike
            Destination; the name is used as given (no ``.npz`` is appended).
        provenance : Mapping, optional
            JSON-serialisable record stored with the model (and kept in ``state.provenance``):
            e.g. the training database and the measured test accuracy. Replaces the current one.

        Returns
        -------
        pathlib.Path
            The path written.

        Raises
        ------
        RuntimeError
            If the estimator is not fitted.

        Notes
        -----
        The file is an uncompressed NumPy ``.npz`` archive: the arrays ``layer_<i>/weight``
        (float32, shape (n_models, n_out, n_in)), ``layer_<i>/bias``, ``input/offset``,
        ``input/scale``, ``output/scale``, the training domain and the loss history, plus
        ``metadata``, UTF-8 JSON stored as a uint8 array (format version, layer sizes,
        activations, input names and units, configuration, crtransport version). The user
        guide documents it for evaluators in other languages.
        """
        state = self._require_state()
        if provenance is not None:
            state = dataclasses.replace(state, provenance=provenance)
            self._state = state
        return save_state(state, path)


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


def _as_float(name: str, value: Any) -> np.ndarray:
    """``value`` as float64; TypeError for non-numbers (None too), ValueError for NaN (issue 19.4).

    ``numpy.asarray(None, float)`` is NaN, and a NaN input gave a NaN prediction (with only an
    extrapolation warning, or none under ``on_extrapolate='ignore'``).
    """
    if isinstance(value, float | int) and not isinstance(value, bool):
        arr = np.array(value, dtype=np.float64)
    else:
        raw = np.asarray(value)
        if raw.dtype.kind not in "biuf" or raw.dtype.kind == "b":
            raise TypeError(
                f"`{name}` must be real numbers; got {type(value).__name__}"
                + (f" of dtype {raw.dtype}" if raw.dtype.kind != "O" else "")
                + "."
            )
        arr = raw.astype(np.float64)
    nan = np.isnan(arr)
    if nan.any():
        where = "" if arr.ndim == 0 else f" at {int(nan.sum())} of {arr.size} points"
        raise ValueError(f"`{name}` must not be NaN; got NaN{where}.")
    return arr


def _padded(values: np.ndarray, size: int) -> np.ndarray:
    out = np.empty(size, dtype=np.float32)
    out[: values.size] = values
    # pad with the first value (inside the domain whenever the data are)
    out[values.size :] = values[0] if values.size else 0.0
    return out


def _prior_factor(
    config: SurrogateConfig, columns: list[np.ndarray], argname: str = "input"
) -> np.ndarray | None:
    """The output prior prod_k x_k**p_k over ``columns`` (None without one), or raise.

    Inputs with a positive exponent must be >= 0, with a negative one > 0: a power of a
    negative input would silently give NaN (or a sign the network never saw).
    """
    if not config.output_powers:
        return None
    factor = np.ones(columns[0].shape, dtype=np.float64)
    for name, p in config.output_powers:
        c = columns[config.features.index(name)]
        bad = ~(c >= 0) if p > 0 else ~(c > 0)
        if np.any(bad):
            value = float(c[np.argmax(bad)])
            need = ">= 0" if p > 0 else "> 0"
            raise ValueError(
                f"`{argname}` {name!r} must be {need} for the output prior {name}**{p:g}; "
                f"got {value:g}."
            )
        factor *= np.power(c, p)
    return factor


def _reduce_by_prior(
    config: SurrogateConfig, X: np.ndarray, Y: np.ndarray, argname: str
) -> tuple[np.ndarray, np.ndarray]:
    """Rows and targets the network trains on under an output prior: ``Y / prior``.

    Rows where the prior vanishes and the target is zero (e.g. the exact b = 0 rows under
    ``{"b": 2}``) are reproduced exactly by the prior and carry nothing for the network:
    they are dropped. A non-zero target there contradicts the prior and raises.
    """
    factor = _prior_factor(config, [X[:, k] for k in range(X.shape[1])], argname)
    assert factor is not None
    zero = factor == 0
    contradicting = zero & (Y != 0)
    if np.any(contradicting):
        i = int(np.argmax(contradicting))
        point = ", ".join(f"{f}={X[i, k]:g}" for k, f in enumerate(config.features))
        raise ValueError(
            f"`{argname}` has {int(contradicting.sum())} rows where the output prior "
            f"{_prior_text(config)} is zero but {config.target} is not (e.g. {point}: "
            f"{config.target}={Y[i]:g}); the prior cannot fit them."
        )
    keep = ~zero
    need = 2 if argname == "data" else 1
    if keep.sum() < need:
        raise ValueError(
            f"`{argname}` has {int(keep.sum())} rows where the output prior "
            f"{_prior_text(config)} is non-zero; training needs at least {need}."
        )
    if not np.all(keep):
        logger.info(
            "%s: %d rows where the prior %s vanishes (reproduced exactly) are not trained on",
            argname,
            int(zero.sum()),
            _prior_text(config),
        )
    return np.ascontiguousarray(X[keep]), Y[keep] / factor[keep]


def _prior_text(config: SurrogateConfig) -> str:
    return " * ".join(f"{name}**{p:g}" for name, p in config.output_powers)
