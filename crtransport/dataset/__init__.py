"""Databases of diffusion coefficients: design, parallel resumable builds, netCDF storage.

Describe the inputs with a :class:`ParameterSpace` (the paper's by default), build with
:func:`build_dataset` (or grow one by active learning within a compute budget with
:func:`build_active_dataset`) on any :class:`concurrent.futures.Executor` (local processes, a Dask
cluster, MPI), read back with :func:`open_dataset` (a build still running with
:func:`open_partial`), and split with :func:`split`. The layout of the files (names, units,
schema version) is fixed in ``crtransport/dataset/_schema.py``.
"""

from __future__ import annotations

from crtransport.dataset._active import (
    ActiveLearning,
    Learner,
    build_active_dataset,
    read_active_build,
    reduce_test_set,
)
from crtransport.dataset._builder import build_dataset
from crtransport.dataset._io import InvalidDatasetError, open_dataset
from crtransport.dataset._journal import repair_journal
from crtransport.dataset._partial import open_partial
from crtransport.dataset._schema import INPUTS, SCHEMA_VERSION
from crtransport.dataset._space import Fixed, Free, Grid, Isotropic, ParameterSpace, Tied
from crtransport.dataset._split import split

__all__ = [
    # functions
    "build_active_dataset",
    "build_dataset",
    "open_dataset",
    "open_partial",
    "read_active_build",
    "reduce_test_set",
    "repair_journal",
    "split",
    # classes
    "ActiveLearning",
    "Fixed",
    "Free",
    "Grid",
    "Isotropic",
    "Learner",
    "ParameterSpace",
    "Tied",
    # exceptions
    "InvalidDatasetError",
    # constants
    "INPUTS",
    "SCHEMA_VERSION",
]
