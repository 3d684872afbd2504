"""Diffusion coefficients from ensemble displacements.

:func:`running_diffusion` gives D(t) (Palade 2023, eq. 5) and its differential form d(t);
:func:`asymptotic_diffusion` gives the asymptotic value with its statistical error and a
convergence flag.
"""

from crtransport.transport._diffusion import (
    CONVERGENCE_SIGMAS,
    DiffusionEstimate,
    asymptotic_diffusion,
    running_diffusion,
)

__all__ = [
    # functions
    "asymptotic_diffusion",
    "running_diffusion",
    # classes
    "DiffusionEstimate",
    # constants
    "CONVERGENCE_SIGMAS",
]
