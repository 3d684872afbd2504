"""Neural-network surrogate of cosmic-ray transport coefficients (Palade 2023, section II C).

:class:`Surrogate` is the estimator: ``fit`` on a database (an xarray Dataset in the dataset
builder's format, or arrays), ``predict`` from named inputs, ``evaluate`` on test data,
``save``/``load`` a portable file. :class:`SurrogateConfig` holds the architecture and training
settings (paper defaults), :class:`SurrogateState` the fitted model as one immutable value.
The network computes in float32 with JAX; training uses optax.

Names load lazily: importing this package (e.g. for the command line) does not import JAX.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from crtransport.surrogate._config import SurrogateConfig
    from crtransport.surrogate._data import dimensionless_table
    from crtransport.surrogate._ensemble import EnsembleLearner
    from crtransport.surrogate._evaluate import SurrogateEvaluation
    from crtransport.surrogate._model import Surrogate
    from crtransport.surrogate._plot import (
        plot_error_histogram,
        plot_loss,
        plot_predicted_vs_true,
    )
    from crtransport.surrogate._state import SurrogateState, TrainingHistory
    from crtransport.surrogate._transport import TransportSurrogate

__all__ = [
    # functions
    "dimensionless_table",
    "plot_error_histogram",
    "plot_loss",
    "plot_predicted_vs_true",
    # classes
    "EnsembleLearner",
    "Surrogate",
    "SurrogateConfig",
    "SurrogateEvaluation",
    "SurrogateState",
    "TrainingHistory",
    "TransportSurrogate",
]

_LAZY = {
    "TransportSurrogate": "crtransport.surrogate._transport",
    "dimensionless_table": "crtransport.surrogate._data",
    "EnsembleLearner": "crtransport.surrogate._ensemble",
    "Surrogate": "crtransport.surrogate._model",
    "SurrogateEvaluation": "crtransport.surrogate._evaluate",
    "SurrogateConfig": "crtransport.surrogate._config",
    "SurrogateState": "crtransport.surrogate._state",
    "TrainingHistory": "crtransport.surrogate._state",
    "plot_error_histogram": "crtransport.surrogate._plot",
    "plot_loss": "crtransport.surrogate._plot",
    "plot_predicted_vs_true": "crtransport.surrogate._plot",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'crtransport.surrogate' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
