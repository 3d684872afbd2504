"""Relativistic Boris integration of particle ensembles through wave realizations (Numba).

:func:`initial_conditions` sets up an ensemble of one energy and pitch cosine with random
gyro-phases; :func:`propagate` pushes it (parallel over particles, float64) and records
displacements at output times without storing whole trajectories.
"""

from crtransport.pusher._propagate import (
    MAX_ROTATION_PER_STEP,
    Displacements,
    initial_conditions,
    propagate,
)

__all__ = [
    # functions
    "initial_conditions",
    "propagate",
    # classes
    "Displacements",
    # constants
    "MAX_ROTATION_PER_STEP",
]
