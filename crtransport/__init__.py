"""crtransport: cosmic-ray transport in synthetic magnetic turbulence.

Test-particle simulations of relativistic cosmic rays in synthetic turbulence
(:func:`simulate`), databases of diffusion coefficients built from them
(:func:`crtransport.dataset.build_dataset`, :func:`crtransport.dataset.open_dataset`), and a
neural surrogate that predicts the perpendicular diffusion coefficient
(:class:`crtransport.surrogate.Surrogate`), after Palade (2023), and the analytic transport
theories (QLT, FLRW, NLGC, UNLT) evaluated on the same turbulence (:mod:`crtransport.theory`).
Diffusion coefficients in physical units, and their export to GALPROP, DRAGON2 and CRPropa:
:func:`crtransport.coefficients.diffusion_coefficients` (re-exported at the top level).

All quantities are in the paper's scaled units; see :mod:`crtransport.units`.

Subpackages load lazily: ``import crtransport`` imports neither JAX nor xarray.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from crtransport._validation import AccuracyWarning
from crtransport._version import __version__

if TYPE_CHECKING:  # pragma: no cover
    from crtransport import (
        coefficients,
        dataset,
        datasets,
        pusher,
        surrogate,
        theory,
        transport,
        turbulence,
        units,
    )
    from crtransport._run_rules import RUN_RULES, RunRules
    from crtransport._settings import SimulationSettings
    from crtransport._simulate import (
        SimulationConfig,
        SimulationResult,
        resolve_config,
        run,
        simulate,
    )
    from crtransport.coefficients import TransportModel, diffusion_coefficients
    from crtransport.dataset import build_dataset, open_dataset
    from crtransport.surrogate import Surrogate

__all__ = [
    # subpackages
    "coefficients",
    "dataset",
    "datasets",
    "pusher",
    "surrogate",
    "theory",
    "transport",
    "turbulence",
    "units",
    # functions
    "build_dataset",
    "diffusion_coefficients",
    "open_dataset",
    "resolve_config",
    "run",
    "simulate",
    # classes
    "SimulationConfig",
    "RunRules",
    "SimulationResult",
    "SimulationSettings",
    "Surrogate",
    "TransportModel",
    # warnings
    "AccuracyWarning",
    # constants
    "RUN_RULES",
    "__version__",
]

_SUBPACKAGES = {
    "coefficients",
    "dataset",
    "datasets",
    "pusher",
    "surrogate",
    "theory",
    "transport",
    "turbulence",
    "units",
}
_LAZY = {
    "simulate": "crtransport._simulate",
    "resolve_config": "crtransport._simulate",
    "SimulationResult": "crtransport._simulate",
    "SimulationConfig": "crtransport._simulate",
    "run": "crtransport._simulate",
    "RunRules": "crtransport._run_rules",
    "RUN_RULES": "crtransport._run_rules",
    "SimulationSettings": "crtransport._settings",
    "build_dataset": "crtransport.dataset",
    "diffusion_coefficients": "crtransport.coefficients",
    "TransportModel": "crtransport.coefficients",
    "open_dataset": "crtransport.dataset",
    "Surrogate": "crtransport.surrogate",
}


def __getattr__(name: str) -> Any:
    if name in _SUBPACKAGES:
        return importlib.import_module(f"crtransport.{name}")
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'crtransport' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
