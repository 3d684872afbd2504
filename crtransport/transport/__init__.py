"""Diffusion coefficients from ensemble displacements.

:func:`running_diffusion` gives D(t) (Palade 2023, eq. 5) and its differential form d(t);
:func:`asymptotic_diffusion` gives the asymptotic value with its statistical error and a
convergence flag; :func:`plateau_reached` is the stricter plateau test adaptive runs stop on,
and :func:`transport_exponent` the exponent of ``<dx^2> ~ t^alpha`` that says whether a
diffusion coefficient exists at all.
"""

from crtransport.transport._diffusion import (
    CONVERGENCE_SIGMAS,
    DiffusionEstimate,
    asymptotic_diffusion,
    running_diffusion,
)
from crtransport.transport._regime import TransportRegime, plateau_reached, transport_exponent

__all__ = [
    # functions
    "asymptotic_diffusion",
    "plateau_reached",
    "running_diffusion",
    "transport_exponent",
    # classes
    "DiffusionEstimate",
    "TransportRegime",
    # constants
    "CONVERGENCE_SIGMAS",
]
