"""The surrogate's configuration: a frozen, JSON-safe description of the network and its training.

Nothing here imports JAX: a configuration is built and validated without paying JAX's import.
"""

from __future__ import annotations

import dataclasses
import itertools
from dataclasses import dataclass
from typing import Any, Literal

from crtransport._validation import check_choice, check_int, check_real
from crtransport.dataset._schema import VARIABLES
from crtransport.surrogate._activations import HIDDEN, OUTPUT

__all__ = ["SurrogateConfig"]

Activation = Literal["tanh", "relu", "sigmoid", "softplus", "silu", "gelu", "identity"]
OutputActivation = Literal["square", "identity", "exp", "softplus"]
LossName = Literal["mse", "relative", "log"]
InitName = Literal["normal", "glorot"]

ACTIVATIONS: tuple[str, ...] = HIDDEN  # the one registry: _activations
OUTPUT_ACTIVATIONS: tuple[str, ...] = OUTPUT
LOSSES: tuple[str, ...] = ("mse", "relative", "log")
INITS: tuple[str, ...] = ("normal", "glorot")

#: Default inputs: the paper's three (section II D).
PAPER_FEATURES: tuple[str, ...] = ("T", "b", "lambda_perp")
#: Default target: the perpendicular diffusion coefficient.
PAPER_TARGET = "D_perp"

#: Units used when an input carries no ``units`` attribute (or comes as a bare array): the
#: database schema's, in scaled units (see :mod:`crtransport.units`).
DEFAULT_UNITS: dict[str, str] = {name: spec.units for name, spec in VARIABLES.items()}


def n_weights(layer_sizes: tuple[int, ...]) -> int:
    """Number of weights (multiply-adds per sample) of a network with these layer sizes."""
    return sum(a * b for a, b in itertools.pairwise(layer_sizes))


@dataclass(frozen=True, slots=True, kw_only=True)
class SurrogateConfig:
    """Architecture and training settings of a :class:`Surrogate` (defaults: Palade 2023).

    Parameters
    ----------
    features : tuple of str, default: ``("T", "b", "lambda_perp")``
        Names of the network inputs, in order; Dataset variables and ``predict`` keywords of
        these names are read. A general database may add ``"mu"`` and ``"lambda_par"``.
    target : str, default: ``"D_perp"``
        Name of the predicted variable.
    hidden_widths : tuple of int, default: ``(10, 5)``
        Neurons per hidden layer; the paper's network is 3-10-5-1. ``()`` gives a single
        affine layer.
    activation : {'tanh', 'relu', 'sigmoid', 'softplus', 'silu', 'gelu', 'identity'}, \
default: 'tanh'
        Activation of every hidden layer.
    output_activation : {'square', 'identity', 'exp', 'softplus'}, default: 'square'
        Map applied to the last layer's single output ``z``: the paper's ``z**2`` keeps the
        prediction non-negative.
    init : {'normal', 'glorot'}, default: 'normal'
        ``"normal"``: every weight and bias from N(0, 1), as in the paper. ``"glorot"``:
        weights from N(0, 2 / (n_in + n_out)), biases zero.
    output_powers : mapping of str to float, default: ``{}``
        A power-law prior on the output: the network learns the target over
        :math:`\\prod_k x_k^{p_k}`, and predictions are multiplied back by it. ``{"b": 2}``
        builds in the quasilinear scaling :math:`D_\\perp \\propto b^2` at small ``b``, so the
        network need not span the decades that scaling covers. Keys
        are features, exponents non-zero finite reals; inputs with a positive exponent must
        be >= 0 and with a negative one > 0. Stored as a tuple of ``(name, exponent)`` pairs
        in ``features`` order.
    log_features : tuple of str, default: ``()``
        Inputs passed through a natural logarithm before the affine input scaling (they must
        then be positive). Useful for inputs spanning decades, e.g. ``("lambda_perp",)``.
    loss : {'mse', 'relative', 'log'}, default: 'mse'
        Training loss on the scaled output :math:`\\hat Z = Z / s_y`,
        :math:`\\hat Y = Y / s_y`: ``"mse"`` is the paper's :math:`\\langle(\\hat Z -
        \\hat Y)^2\\rangle`; ``"relative"`` is :math:`\\langle((\\hat Z - \\hat Y) /
        \\max(|\\hat Y|, f))^2\\rangle`; ``"log"`` is :math:`\\langle(\\ln(\\hat Z + f) -
        \\ln(\\hat Y + f))^2\\rangle`, with :math:`f` = ``loss_floor``. The last two favour
        the relative-error metric of the paper's fig. 6.
    loss_floor : float, default: 1e-3
        The floor :math:`f` of the relative and log losses, in units of the output scale
        :math:`s_y` (the RMS of the training targets); it keeps exact zeros (b = 0 rows)
        finite. Must be in (0, inf).
    learning_rate, b1, b2, eps : float, defaults: 1e-3, 0.9, 0.95, 1e-7
        Settings of the default optimizer ``optax.adam(learning_rate, b1=b1, b2=b2, eps=eps)``
        (our reading of the paper's eqs. 9-11, see Notes). Ignored when an optimizer is passed
        to :class:`Surrogate`. ``learning_rate`` in (0, inf), ``b1`` and ``b2`` in [0, 1),
        ``eps`` in (0, inf).
    n_epochs : int, default: 5000
        Number of epochs. One epoch is one pass over the training set: one full-batch Adam
        step when ``batch_size`` is None. Must be >= 0.
    batch_size : int or None, default: None
        Mini-batch size; None trains full batch, as the paper does. With mini-batches each
        epoch reshuffles the training set and drops the last ``n_train % batch_size`` rows
        of the shuffled order.
    n_models : int, default: 1
        Ensemble size: this many networks, from independent initial weights, train at once
        (``jax.vmap``); predictions are their mean and ``return_std`` gives their spread.
    patience : int or None, default: None
        Early stopping: stop once the monitored loss (validation loss if validation data are
        given, training loss otherwise) has not improved by more than ``min_delta`` for this
        many epochs, in every member. None trains all ``n_epochs``.
    min_delta : float, default: 0.0
        Minimum decrease of the monitored loss that counts as an improvement. Must be >= 0.
    check_every : int, default: 100
        With early stopping, the epochs run per compiled chunk between two stopping checks
        (training may run up to ``check_every - 1`` epochs past the stopping point; the
        parameters kept are unaffected when ``use_best_epoch``). Must be >= 1.
    use_best_epoch : bool or None, default: None
        Keep the parameters of the epoch with the lowest monitored loss instead of the last
        ones. None means True when ``patience`` is set and False otherwise.

    Raises
    ------
    ValueError
        If a name is empty or repeated, ``target`` is one of ``features``, ``log_features``
        names an unknown input, a width, ``n_models``, ``patience`` or ``check_every`` is
        below 1, ``n_epochs`` is negative, ``batch_size`` is below 1, an option string is
        unknown, or a real setting is outside its interval.
    TypeError
        If a setting has the wrong type.

    Notes
    -----
    The paper (its eqs. 9-10) names the Adam rates :math:`\\alpha_1 = 0.9` and
    :math:`\\alpha_2 = 0.95` but attaches :math:`\\alpha_1` to the second moment. Taken
    literally, the first-moment decay 0.95 exceeds :math:`\\sqrt{0.9}`, outside the region
    where Adam is known to be stable; we read it as a slip and use ``b1 = 0.9`` (first
    moment), ``b2 = 0.95`` (second moment).

    Examples
    --------
    >>> from crtransport.surrogate import SurrogateConfig
    >>> config = SurrogateConfig()
    >>> config.layer_sizes
    (3, 10, 5, 1)
    >>> import dataclasses
    >>> dataclasses.replace(config, hidden_widths=(32, 32), loss="relative").layer_sizes
    (3, 32, 32, 1)
    """

    features: tuple[str, ...] = PAPER_FEATURES
    target: str = PAPER_TARGET
    hidden_widths: tuple[int, ...] = (10, 5)
    activation: Activation = "tanh"
    output_activation: OutputActivation = "square"
    init: InitName = "normal"
    log_features: tuple[str, ...] = ()
    output_powers: tuple[tuple[str, float], ...] = ()
    loss: LossName = "mse"
    loss_floor: float = 1e-3
    learning_rate: float = 1e-3
    b1: float = 0.9
    b2: float = 0.95
    eps: float = 1e-7
    n_epochs: int = 5000
    batch_size: int | None = None
    n_models: int = 1
    patience: int | None = None
    min_delta: float = 0.0
    check_every: int = 100
    use_best_epoch: bool | None = None

    def __post_init__(self) -> None:
        features = _names("features", self.features)
        if not features:
            raise ValueError("`features` must name at least one input; got ().")
        if not isinstance(self.target, str) or not self.target:
            raise ValueError(f"`target` must be a non-empty string; got {self.target!r}.")
        if self.target in features:
            raise ValueError(f"`target` must not be one of `features`; got {self.target!r}.")
        widths = self.hidden_widths
        if isinstance(widths, int | str) or not hasattr(widths, "__iter__"):
            raise TypeError(f"`hidden_widths` must be a sequence of integers; got {widths!r}.")
        widths = tuple(check_int("hidden_widths", w, low=1) for w in widths)
        log_features = _names("log_features", self.log_features)
        for name in log_features:
            if name not in features:
                allowed = ", ".join(repr(f) for f in features)
                raise ValueError(
                    f"`log_features` must be a subset of the features {allowed}; got {name!r}."
                )
        output_powers = _powers(self.output_powers, features)
        check_choice("activation", self.activation, ACTIVATIONS)
        check_choice("output_activation", self.output_activation, OUTPUT_ACTIVATIONS)
        check_choice("init", self.init, INITS)
        check_choice("loss", self.loss, LOSSES)
        loss_floor = check_real("loss_floor", self.loss_floor, low=0.0, low_open=True)
        learning_rate = check_real("learning_rate", self.learning_rate, low=0.0, low_open=True)
        b1 = check_real("b1", self.b1, low=0.0, high=1.0, high_open=True)
        b2 = check_real("b2", self.b2, low=0.0, high=1.0, high_open=True)
        eps = check_real("eps", self.eps, low=0.0, low_open=True)
        n_epochs = check_int("n_epochs", self.n_epochs, low=0)
        batch_size = (
            None if self.batch_size is None else check_int("batch_size", self.batch_size, low=1)
        )
        n_models = check_int("n_models", self.n_models, low=1)
        patience = None if self.patience is None else check_int("patience", self.patience, low=1)
        min_delta = check_real("min_delta", self.min_delta, low=0.0)
        check_every = check_int("check_every", self.check_every, low=1)
        if self.use_best_epoch is not None and not isinstance(self.use_best_epoch, bool):
            raise TypeError(
                f"`use_best_epoch` must be a bool or None; got {self.use_best_epoch!r}."
            )
        for name, value in (
            ("features", features),
            ("hidden_widths", widths),
            ("log_features", log_features),
            ("output_powers", output_powers),
            ("loss_floor", loss_floor),
            ("learning_rate", learning_rate),
            ("b1", b1),
            ("b2", b2),
            ("eps", eps),
            ("n_epochs", n_epochs),
            ("batch_size", batch_size),
            ("n_models", n_models),
            ("patience", patience),
            ("min_delta", min_delta),
            ("check_every", check_every),
        ):
            object.__setattr__(self, name, value)

    @property
    def layer_sizes(self) -> tuple[int, ...]:
        """Neurons per layer from input to output, ``(len(features), *hidden_widths, 1)``."""
        return (len(self.features), *self.hidden_widths, 1)

    @property
    def n_features(self) -> int:
        """Number of network inputs."""
        return len(self.features)

    @property
    def is_best_epoch_kept(self) -> bool:
        """Whether training keeps the best epoch's parameters (``use_best_epoch`` resolved)."""
        if self.use_best_epoch is None:
            return self.patience is not None
        return self.use_best_epoch

    def to_dict(self) -> dict[str, Any]:
        """Return the settings as JSON-safe values (tuples become lists).

        Examples
        --------
        >>> from crtransport.surrogate import SurrogateConfig
        >>> d = SurrogateConfig(hidden_widths=(8,)).to_dict()
        >>> d["hidden_widths"], SurrogateConfig.from_dict(d) == SurrogateConfig(hidden_widths=(8,))
        ([8], True)
        """
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.name == "output_powers":
                out[f.name] = dict(value)
            else:
                out[f.name] = list(value) if isinstance(value, tuple) else value
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SurrogateConfig:
        """Build a configuration from :meth:`to_dict` output; unknown keys raise ValueError."""
        if not isinstance(data, dict):
            raise TypeError(f"`data` must be a dict; got {type(data).__name__}.")
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown SurrogateConfig settings: {', '.join(unknown)}.")
        kwargs: dict[str, Any] = {
            k: tuple(v) if isinstance(v, list) else v for k, v in data.items()
        }
        return cls(**kwargs)


def _powers(value: Any, features: tuple[str, ...]) -> tuple[tuple[str, float], ...]:
    """``output_powers`` as ``((name, exponent), ...)`` in ``features`` order, or raise."""
    if isinstance(value, dict):
        items = list(value.items())
    else:
        try:
            items = [tuple(item) for item in value]
        except TypeError:
            raise TypeError(
                f"`output_powers` must map feature names to exponents; got {value!r}."
            ) from None
        if any(len(item) != 2 for item in items):
            raise TypeError(f"`output_powers` must map feature names to exponents; got {value!r}.")
    names = [name for name, _ in items]
    if len(set(names)) != len(names):
        raise ValueError(f"`output_powers` must not repeat a name; got {names!r}.")
    out = {}
    for name, exponent in items:
        if name not in features:
            allowed = ", ".join(repr(f) for f in features)
            raise ValueError(f"`output_powers` keys must be features ({allowed}); got {name!r}.")
        p = check_real(f"output_powers[{name!r}]", exponent)
        if p == 0:
            raise ValueError(f"`output_powers[{name!r}]` must be non-zero; got 0.")
        out[name] = p
    return tuple((f, out[f]) for f in features if f in out)


def _names(name: str, value: Any) -> tuple[str, ...]:
    """Return ``value`` as a tuple of distinct non-empty strings, or raise."""
    if isinstance(value, str):
        raise TypeError(f"`{name}` must be a sequence of names, not a string; got {value!r}.")
    try:
        names = tuple(value)
    except TypeError:
        raise TypeError(f"`{name}` must be a sequence of names; got {value!r}.") from None
    for item in names:
        if not isinstance(item, str) or not item:
            raise ValueError(f"`{name}` must contain non-empty strings; got {item!r}.")
    if len(set(names)) != len(names):
        raise ValueError(f"`{name}` must not repeat a name; got {names!r}.")
    return names
