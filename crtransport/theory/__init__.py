"""Analytic transport theories evaluated on the library's own turbulence models.

Each function takes a turbulence object of :mod:`crtransport.turbulence` (the same spectra,
energies and wave-number bands the simulations draw from) and returns a coefficient in the
library's scaled units (:mod:`crtransport.units`: D in rho0^2 omega_c, lengths in rho0, the
particle given by its kinetic energy T in m c^2, so gamma = 1 + T and r_L = gamma v in B0).

* :func:`qlt_pitch_angle_diffusion`, :func:`qlt_parallel_diffusion`: quasi-linear theory of
  slab turbulence (Jokipii 1966).
* :func:`flrw_diffusion`, :func:`ultrascale`: field-line random walk (Matthaeus et al. 1995).
* :func:`nlgc_perpendicular_diffusion` (Matthaeus et al. 2003),
  :func:`unlt_perpendicular_diffusion` (Shalchi 2010): nonlinear perpendicular diffusion.
* :func:`scattering_perpendicular_diffusion`: the classical scattering relation;
  :func:`mean_free_path`: :math:`\\lambda_\\parallel = 3 D_\\parallel / v`.

The validation page of the documentation compares them with simulations.
"""

from crtransport.theory._fieldlines import flrw_diffusion, ultrascale
from crtransport.theory._perpendicular import (
    DEFAULT_A2,
    nlgc_perpendicular_diffusion,
    scattering_perpendicular_diffusion,
    unlt_perpendicular_diffusion,
)
from crtransport.theory._qlt import (
    QLT_MAX_B,
    QLT_MAX_GAP_FRACTION,
    mean_free_path,
    qlt_parallel_diffusion,
    qlt_pitch_angle_diffusion,
)
from crtransport.theory._result import TheoryResult

__all__ = [
    # functions
    "flrw_diffusion",
    "mean_free_path",
    "nlgc_perpendicular_diffusion",
    "qlt_parallel_diffusion",
    "qlt_pitch_angle_diffusion",
    "scattering_perpendicular_diffusion",
    "ultrascale",
    "unlt_perpendicular_diffusion",
    # classes
    "TheoryResult",
    # constants
    "DEFAULT_A2",
    "QLT_MAX_B",
    "QLT_MAX_GAP_FRACTION",
]
