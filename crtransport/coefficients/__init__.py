"""Diffusion coefficients in physical units, and their export to propagation codes.

A transport model (:class:`TransportModel`) predicts :math:`d = D/(v\\lambda_\\perp)` in the
dimensionless variables of magnetostatic similarity; :func:`diffusion_coefficients` turns a
species, rigidities or energies, ``B0`` and ``lambda_perp`` into those variables and returns
:math:`D_\\parallel` and :math:`D_\\perp` in m^2/s. The exporters fit the consumer's own
formula to them and write what it reads: :func:`export_galprop` (galdef lines),
:func:`export_dragon2` (the XML ``<Diffusion>`` block), :func:`export_crpropa` (DiffusionSDE's
scale, alpha and epsilon), :func:`export_table` (netCDF or CSV for any other code).

Until the general surrogate ships, :class:`TheoryModel` (QLT and NLGC/UNLT) stands in for it.
This package sits above :mod:`crtransport.surrogate` in the layering; xarray loads when a
function runs, not on import.
"""

from crtransport.coefficients._exports import (
    CRPROPA_D0,
    CRPROPA_REFERENCE_V,
    CRPropaParameters,
    Dragon2Parameters,
    GalpropParameters,
    export_crpropa,
    export_dragon2,
    export_galprop,
    export_table,
)
from crtransport.coefficients._fit import FitQuality
from crtransport.coefficients._model import (
    GENERAL_DOMAIN,
    TheoryModel,
    TransportModel,
    get_model,
    model_sources,
)
from crtransport.coefficients._physical import convert_units, diffusion_coefficients

__all__ = [
    # functions
    "convert_units",
    "diffusion_coefficients",
    "export_crpropa",
    "export_dragon2",
    "export_galprop",
    "export_table",
    "get_model",
    "model_sources",
    # classes
    "CRPropaParameters",
    "Dragon2Parameters",
    "FitQuality",
    "GalpropParameters",
    "TheoryModel",
    "TransportModel",
    # constants
    "CRPROPA_D0",
    "CRPROPA_REFERENCE_V",
    "GENERAL_DOMAIN",
]
