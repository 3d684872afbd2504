"""Synthetic magnetic turbulence: spectra, acceptance-rejection sampling, wave realizations.

The paper's model is :class:`TwoDTurbulence`; :class:`SlabTurbulence`,
:class:`IsotropicTurbulence` and :class:`CompositeTurbulence` use the same machinery. Each model
samples :class:`WaveModes` (wave vectors, phases, amplitudes for many independent realizations),
and :func:`field` evaluates ``b(r)``. :func:`rejection_sample` draws from any non-negative
spectral density a user supplies.
"""

from crtransport.turbulence._models import (
    DEFAULT_K_BAND,
    CompositeTurbulence,
    IsotropicTurbulence,
    SlabTurbulence,
    Turbulence,
    TwoDTurbulence,
    bendover_density,
    make_turbulence,
)
from crtransport.turbulence._modes import WaveModes, field
from crtransport.turbulence._sampling import (
    BendOverDensity,
    BurrProposal,
    RejectionSample,
    rejection_sample,
)

__all__ = [
    # functions
    "bendover_density",
    "field",
    "make_turbulence",
    "rejection_sample",
    # classes
    "BendOverDensity",
    "BurrProposal",
    "CompositeTurbulence",
    "IsotropicTurbulence",
    "RejectionSample",
    "SlabTurbulence",
    "Turbulence",
    "TwoDTurbulence",
    "WaveModes",
    # constants
    "DEFAULT_K_BAND",
]
