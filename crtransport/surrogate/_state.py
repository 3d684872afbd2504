"""The fitted surrogate as one immutable value (numpy only; no JAX import)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from crtransport.surrogate._config import SurrogateConfig

__all__ = ["SurrogateState", "TrainingHistory"]


def _frozen(name: str, value: Any, dtype: type, shape: tuple[int, ...]) -> np.ndarray:
    """Return a read-only copy of ``value`` with exactly this dtype and shape, or raise."""
    if not isinstance(value, np.ndarray):
        raise TypeError(f"`{name}` must be a numpy array; got {type(value).__name__}.")
    if value.dtype != np.dtype(dtype):
        raise ValueError(f"`{name}` must have dtype {np.dtype(dtype)}; got {value.dtype}.")
    if value.shape != shape:
        raise ValueError(f"`{name}` must have shape {shape}; got {value.shape}.")
    if value.dtype.kind == "f" and not np.all(np.isfinite(value)):
        raise ValueError(
            f"`{name}` must be finite; got {int(np.sum(~np.isfinite(value)))} non-finite entries."
        )
    out: np.ndarray = np.array(value, dtype=dtype, copy=True)
    out.setflags(write=False)
    return out


@dataclass(frozen=True, slots=True, kw_only=True)
class TrainingHistory:
    """How a surrogate was trained: loss curves and bookkeeping.

    Parameters
    ----------
    train_loss : ndarray of float32, shape (n_models, n + 1)
        Training loss (dimensionless, on the scaled output; see ``SurrogateConfig.loss``)
        after ``i`` epochs, ``i = 0 .. n`` with ``n = n_epochs_run``. For the default MSE
        loss this is the paper's error E divided by the mean squared target (its fig. 5).
    test_loss : ndarray of float32, shape (n_models, n + 1), or None
        The same on the validation data, None when ``fit`` got none.
    best_epoch : ndarray of int64, shape (n_models,)
        Epoch whose parameters each member kept (``n_epochs_run`` unless the best epoch is kept).
    n_epochs_run : int
        Epochs actually run (fewer than requested after early stopping).
    is_stopped_early : bool
        Whether early stopping ended training.
    n_train, n_test : int
        Rows of training and validation data.
    key : int or None
        The integer seed of ``fit``'s ``key``, None when a JAX key array was given.
    optimizer : str
        Description of the optimizer (the default Adam's settings, or the repr of a custom one).

    Raises
    ------
    ValueError
        If an array has the wrong dtype or shape, or a count is negative.
    """

    train_loss: NDArray[np.float32]
    test_loss: NDArray[np.float32] | None
    best_epoch: NDArray[np.int64]
    n_epochs_run: int
    is_stopped_early: bool
    n_train: int
    n_test: int
    key: int | None
    optimizer: str

    def __post_init__(self) -> None:
        for name in ("n_epochs_run", "n_train", "n_test"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 0:
                raise ValueError(f"`{name}` must be a non-negative integer; got {value!r}.")
            object.__setattr__(self, name, int(value))
        if not isinstance(self.train_loss, np.ndarray) or self.train_loss.ndim != 2:
            raise ValueError("`train_loss` must be a 2-D array (n_models, n_epochs_run + 1).")
        n_models = self.train_loss.shape[0]
        shape = (n_models, self.n_epochs_run + 1)
        # losses may legitimately be inf/nan after a diverged run: check dtype and shape only
        for name in ("train_loss", "test_loss"):
            value = getattr(self, name)
            if value is None and name == "test_loss":
                continue
            if not isinstance(value, np.ndarray) or value.dtype != np.float32:
                raise ValueError(f"`{name}` must be a float32 array.")
            if value.shape != shape:
                raise ValueError(f"`{name}` must have shape {shape}; got {value.shape}.")
            frozen = value.copy()
            frozen.setflags(write=False)
            object.__setattr__(self, name, frozen)
        object.__setattr__(
            self, "best_epoch", _frozen("best_epoch", self.best_epoch, np.int64, (n_models,))
        )
        object.__setattr__(self, "is_stopped_early", bool(self.is_stopped_early))
        if self.key is not None:
            object.__setattr__(self, "key", int(self.key))
        if not isinstance(self.optimizer, str):
            raise TypeError(f"`optimizer` must be a str; got {type(self.optimizer).__name__}.")


@dataclass(frozen=True, slots=True, kw_only=True)
class SurrogateState:
    r"""A fitted surrogate: parameters, scaling, domain and history, as one immutable value.

    :meth:`Surrogate.fit` produces it, :meth:`Surrogate.save` writes it, and the forward pass
    is a pure function of it. Arrays are read-only copies.

    Parameters
    ----------
    config : SurrogateConfig
        Architecture and training settings.
    weights : tuple of ndarray of float32
        One per layer, shape (n_models, n_out, n_in).
    biases : tuple of ndarray of float32
        One per layer, shape (n_models, n_out).
    input_offset, input_scale : ndarray of float32, shape (n_features,)
        Input scaling :math:`\hat x_k = (t_k(x_k) - o_k) / s_k`, where :math:`t_k` is the
        identity or, for ``config.log_features``, the natural log; in the units of the (log
        of the) inputs.
    output_scale : ndarray of float32, shape (1,)
        Output scale :math:`s_y` (the RMS of the training targets), in the target's units.
    domain_low, domain_high : ndarray of float64, shape (n_features,)
        Training domain of each input, in its units: predictions outside warn or raise.
    feature_units : tuple of str
        Units of each input (scaled units, see :mod:`crtransport.units`).
    target_units : str
        Units of the prediction.
    history : TrainingHistory
        Loss curves and training bookkeeping.
    provenance : Mapping, default: {}
        Free JSON-serialisable record of where the model came from (training database,
        split, measured accuracy), stored in the file's metadata; the shipped models fill it.

    Raises
    ------
    ValueError
        If any array has the wrong dtype, the wrong shape for the configuration, or
        non-finite entries, or the domain or scaling is degenerate.
    TypeError
        If a field has the wrong type.
    """

    config: SurrogateConfig
    weights: tuple[NDArray[np.float32], ...]
    biases: tuple[NDArray[np.float32], ...]
    input_offset: NDArray[np.float32]
    input_scale: NDArray[np.float32]
    output_scale: NDArray[np.float32]
    domain_low: NDArray[np.float64]
    domain_high: NDArray[np.float64]
    feature_units: tuple[str, ...]
    target_units: str
    history: TrainingHistory
    provenance: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        config = self.config
        if not isinstance(config, SurrogateConfig):
            raise TypeError(f"`config` must be a SurrogateConfig; got {type(config).__name__}.")
        sizes = config.layer_sizes
        n_layers = len(sizes) - 1
        m = config.n_models
        for name in ("weights", "biases"):
            value = getattr(self, name)
            if not isinstance(value, tuple | list) or len(value) != n_layers:
                raise ValueError(f"`{name}` must hold {n_layers} arrays, one per layer.")
        weights = tuple(
            _frozen(f"layer_{i}/weight", w, np.float32, (m, sizes[i + 1], sizes[i]))
            for i, w in enumerate(self.weights)
        )
        biases = tuple(
            _frozen(f"layer_{i}/bias", b, np.float32, (m, sizes[i + 1]))
            for i, b in enumerate(self.biases)
        )
        n = config.n_features
        offset = _frozen("input/offset", self.input_offset, np.float32, (n,))
        scale = _frozen("input/scale", self.input_scale, np.float32, (n,))
        output_scale = _frozen("output/scale", self.output_scale, np.float32, (1,))
        low = _frozen("input/domain_low", self.domain_low, np.float64, (n,))
        high = _frozen("input/domain_high", self.domain_high, np.float64, (n,))
        if np.any(scale <= 0) or output_scale[0] <= 0:
            raise ValueError("`input/scale` and `output/scale` must be positive.")
        if np.any(low > high):
            raise ValueError("`input/domain_low` must not exceed `input/domain_high`.")
        units = tuple(self.feature_units)
        if len(units) != n or not all(isinstance(u, str) for u in units):
            raise ValueError(f"`feature_units` must hold {n} strings; got {units!r}.")
        if not isinstance(self.target_units, str):
            raise TypeError(f"`target_units` must be a str; got {self.target_units!r}.")
        if not isinstance(self.history, TrainingHistory):
            raise TypeError("`history` must be a TrainingHistory.")
        if self.history.train_loss.shape[0] != m:
            raise ValueError(
                f"`history` must have {m} members; got {self.history.train_loss.shape[0]}."
            )
        try:
            provenance = json.loads(json.dumps(dict(self.provenance), allow_nan=False))
        except (TypeError, ValueError):
            raise ValueError(
                "`provenance` must be a mapping of JSON values (str, finite numbers, lists, dicts)."
            ) from None
        for name, value in (
            ("provenance", provenance),
            ("weights", weights),
            ("biases", biases),
            ("input_offset", offset),
            ("input_scale", scale),
            ("output_scale", output_scale),
            ("domain_low", low),
            ("domain_high", high),
            ("feature_units", units),
        ):
            object.__setattr__(self, name, value)

    @property
    def n_models(self) -> int:
        """Ensemble size."""
        return self.config.n_models
