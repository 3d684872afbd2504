"""The database schema: the single source of names, dims, dtypes, units and long names.

The builder, :func:`~crtransport.dataset.open_dataset`, the surrogate and the tests import
every name from here. Units are the paper's scaled units (see :mod:`crtransport.units`); the
unit strings are written out in words because they are not UDUNITS units.

Files follow the CF conventions (:data:`CF_CONVENTIONS`; ``cfchecks`` passes, see
tests/dataset/test_cf_compliance.py). A scaled quantity is a pure number, the ratio of the
quantity to its reference (T / (m c^2), D / (rho0^2 omega_c)): on disk its ``units`` is
``"1"`` and the attribute :data:`SCALED_UNITS_ATTR` names the reference (``"m c^2"``);
:func:`~crtransport.dataset.open_dataset` reads it back into ``units``, so in memory every
variable's ``units`` is the scaled unit, for files of every schema version. Units UDUNITS
knows (``"s"``, ``"1"``) are stored as they are. Boolean flags and ``stop_rule`` carry
``flag_values`` and ``flag_meanings``.

A database is an :class:`xarray.Dataset` with one row per sample along the dimension
:data:`SAMPLE_DIM`. The physical inputs are coordinates on ``sample``, the outputs and flags are
data variables, and the optional running coefficients add the dimension :data:`TIME_DIM`.

Schema history
--------------
1
    First version.
2
    Optional diagnostics per row (role ``"diagnostic"``): the transport-regime exponents
    ``alpha_perp``, ``alpha_par`` with errors, the ``stop_rule`` that ended the run and its
    ``n_steps``; ``mu`` may be NaN, marking isotropic pitch angles
    (``ParameterSpace(mu="isotropic")``); ``t_max`` is the simulated time of an adaptive run.
    Version 1 files read unchanged.
3
    CF-1.10 files: scaled units stored as ``units = "1"`` plus :data:`SCALED_UNITS_ATTR`,
    ``flag_values``/``flag_meanings`` on the flags and ``stop_rule``, and the global
    attributes ``Conventions``, ``title``, ``source``, ``history`` and ``references``. The
    in-memory layout is that of version 2; versions 1 and 2 read unchanged.
4
    The input ``slab_fraction`` (the slab share of the turbulent energy of the composite
    model; 0 for the other models) and the diagnostic ``cpu_time`` (core-seconds a row cost,
    the unit of a build's compute budget). Older files read with ``slab_fraction`` filled in:
    0, or the composite model's default 0.2 for a file built with ``model = "composite"``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from crtransport._ranges import INPUT_RANGES, NON_NEGATIVE, POSITIVE, ValidRange

__all__ = [
    "INPUTS",
    "RUNNING",
    "SAMPLE_DIM",
    "SCHEMA_VERSION",
    "TIME_DIM",
    "VARIABLES",
    "VariableSpec",
]

#: Version of the on-disk layout. Bump it when a name, dim, dtype or unit changes, and teach
#: ``open_dataset`` to read the older versions it still supports.
SCHEMA_VERSION: int = 4

#: The CF conventions the files follow (schema 3 on).
CF_CONVENTIONS: str = "CF-1.10"
#: On disk, the attribute that names the reference unit of a scaled quantity (its ``units``
#: there is ``"1"``: the stored number is the ratio to that reference).
SCALED_UNITS_ATTR: str = "scaled_units"
#: Unit strings UDUNITS parses, stored as they are.
UDUNITS_UNITS: frozenset[str] = frozenset({"1", "s"})
#: The paper the database reproduces (the ``references`` global attribute).
#: (The paper's arXiv identifier is not in the text the project has; add it here when known.)
REFERENCES: str = (
    "D. I. Palade, Predicting the turbulent transport of cosmic rays via neural networks "
    "(2023); crtransport documentation, page 'The paper reproduced'"
)

#: Name of the row dimension.
SAMPLE_DIM: str = "sample"
#: Name of the dimension of the running coefficients.
TIME_DIM: str = "time"

#: The physical inputs of a sample, in the order used everywhere (design columns, CLI, docs).
INPUTS: tuple[str, ...] = ("T", "mu", "b", "lambda_perp", "lambda_par", "slab_fraction")
#: Inputs added after schema 1, with the value files of older schemas are read with
#: (:func:`~crtransport.dataset.open_dataset` fills them in; ``slab_fraction`` is 0.2 instead
#: for a file built with the composite model, that model's default then).
LATER_INPUTS: dict[str, float] = {"slab_fraction": 0.0}

#: Unit strings (scaled units of Palade 2023; see :mod:`crtransport.units`).
UNIT_ENERGY = "m c^2"
UNIT_FIELD = "B0"
UNIT_LENGTH = "rho0"
UNIT_TIME = "1/omega_c"
UNIT_DIFFUSION = "rho0^2 omega_c"
UNIT_NONE = "1"
UNIT_SECONDS = "s"

Role = Literal[
    "index", "input", "output", "flag", "meta", "diagnostic", "design", "running", "time"
]

#: What ended a row's run (the ``stop_rule`` variable holds the index): a fixed run length,
#: a plateau of the requested coefficients, the cap of an adaptive run without a plateau, an
#: exact (analytic, b = 0) row, or the ballistic stop (``RunRules.ballistic_alpha``).
STOP_RULES: tuple[str, ...] = ("fixed", "plateau", "cap", "exact", "ballistic")


@dataclass(frozen=True, slots=True, kw_only=True)
class VariableSpec:
    """Name, dims, dtype, unit and long name of one variable of the database.

    Parameters
    ----------
    name : str
        Variable name in the Dataset and in the netCDF file.
    dims : tuple of str
        Dimensions, e.g. ``("sample",)``.
    dtype : str
        NumPy dtype name of the in-memory variable (``"float64"``, ``"int64"``, ``"bool"``).
    units : str
        Unit string (the ``units`` attribute).
    long_name : str
        Human-readable description (the ``long_name`` attribute).
    role : str
        ``"index"``, ``"input"`` (coordinate), ``"output"``, ``"flag"``, ``"meta"``,
        ``"diagnostic"`` (optional, schema 2), ``"running"`` (optional, dims (sample, time))
        or ``"time"`` (optional coordinate).
    comment : str, default: ""
        Extra note stored as the ``comment`` attribute when not empty.
    flag_meanings : tuple of str, default: ()
        For a flag (boolean, or the integer ``stop_rule``): the meaning of the values 0, 1,
        ... in order, one word each (CF ``flag_meanings``; ``flag_values`` are 0, 1, ...).
    """

    name: str
    dims: tuple[str, ...]
    dtype: str
    units: str
    long_name: str
    role: Role
    comment: str = ""
    flag_meanings: tuple[str, ...] = ()

    @property
    def is_optional(self) -> bool:
        """True for the diagnostics, the design record of an active build, the running
        coefficients and their time coordinate."""
        return self.role in ("diagnostic", "design", "running", "time")

    def attrs(self) -> dict[str, Any]:
        """The in-memory attributes: ``units``, ``long_name`` (``comment``, flag attributes)."""
        out: dict[str, Any] = {"units": self.units, "long_name": self.long_name}
        if self.comment:
            out["comment"] = self.comment
        if self.flag_meanings:
            import numpy as np

            dtype = np.int8 if self.dtype == "bool" else np.dtype(self.dtype)
            out["flag_values"] = np.arange(len(self.flag_meanings), dtype=dtype)
            out["flag_meanings"] = " ".join(self.flag_meanings)
        return out

    def netcdf_attrs(self) -> dict[str, Any]:
        """The attributes on disk (schema 3): :meth:`attrs` with CF-valid ``units``."""
        out = self.attrs()
        if self.units not in UDUNITS_UNITS:
            out["units"] = "1"
            out[SCALED_UNITS_ATTR] = self.units
        return out


_S = (SAMPLE_DIM,)
_ANALYTIC_DPAR = (
    "For rows with is_analytic = 1 (b = 0) the motion along z is ballistic and has no "
    "diffusion coefficient: D_par holds the running value D_zz(t_max) = (v mu)^2 t_max / 2 "
    "(paper eq. 5 at the end of the run), D_par_err = 0 and is_converged_par = 0."
)

_SPECS = (
    VariableSpec(name=SAMPLE_DIM, dims=_S, dtype="int64", units=UNIT_NONE,
                 long_name="sample index", role="index"),
    VariableSpec(name="T", dims=_S, dtype="float64", units=UNIT_ENERGY,
                 long_name="kinetic energy", role="input"),
    VariableSpec(name="mu", dims=_S, dtype="float64", units=UNIT_NONE,
                 long_name="initial pitch-angle cosine v_par / v", role="input",
                 comment="NaN marks isotropic pitch angles: each particle's mu uniform in "
                 "[-1, 1] (pitch-angle averaged coefficients)."),
    VariableSpec(name="b", dims=_S, dtype="float64", units=UNIT_FIELD,
                 long_name="turbulence amplitude sqrt(<b^2>)", role="input"),
    VariableSpec(name="lambda_perp", dims=_S, dtype="float64", units=UNIT_LENGTH,
                 long_name="perpendicular correlation length", role="input"),
    VariableSpec(name="lambda_par", dims=_S, dtype="float64", units=UNIT_LENGTH,
                 long_name="parallel correlation length", role="input"),
    VariableSpec(name="slab_fraction", dims=_S, dtype="float64", units=UNIT_NONE,
                 long_name="slab share of the turbulent energy b_slab^2 / b^2", role="input",
                 comment="The composite model (slab + 2D); 0 for the pure models (schema 4)."),
    VariableSpec(name="D_perp", dims=_S, dtype="float64", units=UNIT_DIFFUSION,
                 long_name="perpendicular diffusion coefficient", role="output"),
    VariableSpec(name="D_perp_err", dims=_S, dtype="float64", units=UNIT_DIFFUSION,
                 long_name="statistical error of D_perp over the particle ensemble",
                 role="output"),
    VariableSpec(name="D_par", dims=_S, dtype="float64", units=UNIT_DIFFUSION,
                 long_name="parallel diffusion coefficient", role="output",
                 comment=_ANALYTIC_DPAR),
    VariableSpec(name="D_par_err", dims=_S, dtype="float64", units=UNIT_DIFFUSION,
                 long_name="statistical error of D_par over the particle ensemble",
                 role="output"),
    VariableSpec(name="is_converged_perp", dims=_S, dtype="bool", units=UNIT_NONE,
                 long_name="running D_perp reached a plateau within its error", role="flag",
                 flag_meanings=("no_plateau", "converged")),
    VariableSpec(name="is_converged_par", dims=_S, dtype="bool", units=UNIT_NONE,
                 long_name="running D_par reached a plateau within its error", role="flag",
                 flag_meanings=("no_plateau", "converged")),
    VariableSpec(name="is_analytic", dims=_S, dtype="bool", units=UNIT_NONE,
                 long_name="exact b = 0 row (not simulated): D_perp = 0", role="flag",
                 comment=_ANALYTIC_DPAR, flag_meanings=("simulated", "exact_b_zero")),
    VariableSpec(name="dt", dims=_S, dtype="float64", units=UNIT_TIME,
                 long_name="time step of the simulation", role="meta"),
    VariableSpec(name="t_max", dims=_S, dtype="float64", units=UNIT_TIME,
                 long_name="simulated time (run length)", role="meta",
                 comment="For an adaptive run, where it stopped (see stop_rule)."),
    VariableSpec(name="wall_time", dims=_S, dtype="float64", units=UNIT_SECONDS,
                 long_name="wall-clock time of the simulation (run cost)", role="meta"),
    VariableSpec(name="seed_index", dims=_S, dtype="int64", units=UNIT_NONE,
                 long_name="spawn key of the sample's seed: "
                 "numpy.random.SeedSequence(seed, spawn_key=(seed_index,))", role="meta"),
    VariableSpec(name="alpha_perp", dims=_S, dtype="float64", units=UNIT_NONE,
                 long_name="exponent alpha of <dx_perp^2> ~ t^alpha over the last decade",
                 role="diagnostic",
                 comment="1 diffusive, < 1 sub-diffusive, > 1 super-diffusive; where "
                 "is_converged_perp = 0, D_perp is the slope at the end of the run, not a "
                 "diffusion coefficient (crtransport.transport.transport_exponent)."),
    VariableSpec(name="alpha_perp_err", dims=_S, dtype="float64", units=UNIT_NONE,
                 long_name="standard error of alpha_perp", role="diagnostic",
                 comment="NaN where no error estimate exists (a jackknife group without "
                 "growth)."),
    VariableSpec(name="alpha_par", dims=_S, dtype="float64", units=UNIT_NONE,
                 long_name="exponent alpha of <dz^2> ~ t^alpha over the last decade",
                 role="diagnostic",
                 comment="As alpha_perp, for D_par and is_converged_par."),
    VariableSpec(name="alpha_par_err", dims=_S, dtype="float64", units=UNIT_NONE,
                 long_name="standard error of alpha_par", role="diagnostic"),
    VariableSpec(name="stop_rule", dims=_S, dtype="int64", units=UNIT_NONE,
                 long_name="what ended the run", role="diagnostic",
                 comment="0: fixed run length; 1: plateau of the requested coefficients; "
                 "2: cap of an adaptive run without a plateau; 3: exact b = 0 row; 4: "
                 "stopped early, a requested coefficient still ballistic (RunRules "
                 "ballistic_alpha; schema 4).",
                 flag_meanings=("fixed_length", "plateau", "cap_without_plateau",
                                "exact_b_zero", "ballistic_without_plateau")),
    VariableSpec(name="n_steps", dims=_S, dtype="int64", units=UNIT_NONE,
                 long_name="time steps simulated (cost: n_particles x n_waves x n_steps "
                 "wave evaluations)", role="diagnostic"),
    VariableSpec(name="cpu_time", dims=_S, dtype="float64", units=UNIT_SECONDS,
                 long_name="processor time of the simulation (core-seconds)",
                 role="diagnostic",
                 comment="time.process_time of the worker over the run: the cost a compute "
                 "budget counts, unlike wall_time independent of other load (schema 4)."),
    VariableSpec(name="split", dims=_S, dtype="int64", units=UNIT_NONE,
                 long_name="which set the row belongs to", role="design",
                 comment="0: training row (the acquisition chose it or the initial design "
                 "holds it); 1: held-out test row (drawn uniformly, never seen by the "
                 "acquisition). Written by crtransport.build_active_dataset (schema 4).",
                 flag_meanings=("train", "test")),
    VariableSpec(name="design_round", dims=_S, dtype="int64", units=UNIT_NONE,
                 long_name="round of the active-learning design that added the row",
                 role="design",
                 comment="0: the space-filling start; 1: the test set; 2 on: acquisition "
                 "rounds (the attribute active_learning_rounds describes each)."),
    VariableSpec(name="acquisition_score", dims=_S, dtype="float64", units=UNIT_NONE,
                 long_name="ensemble spread of ln D per unit expected cost when the row was "
                 "chosen", role="design",
                 comment="NaN for rows of the start and the test set (not chosen by score)."),
    VariableSpec(name=TIME_DIM, dims=(TIME_DIM,), dtype="float64", units=UNIT_TIME,
                 long_name="time of the running coefficients", role="time"),
    VariableSpec(name="D_perp_running", dims=(SAMPLE_DIM, TIME_DIM), dtype="float64",
                 units=UNIT_DIFFUSION,
                 long_name="running perpendicular diffusion (D_xx + D_yy) / 2", role="running",
                 comment="Linear interpolation of the run's saved values; NaN outside the run "
                 "(time > t_max or before the first saved time)."),
    VariableSpec(name="D_par_running", dims=(SAMPLE_DIM, TIME_DIM), dtype="float64",
                 units=UNIT_DIFFUSION, long_name="running parallel diffusion D_zz",
                 role="running",
                 comment="Linear interpolation of the run's saved values; NaN outside the run "
                 "(time > t_max or before the first saved time)."),
)  # fmt: skip

#: Every variable of the schema, keyed by name, in storage order.
VARIABLES: dict[str, VariableSpec] = {spec.name: spec for spec in _SPECS}

#: Names of the optional running variables.
RUNNING: tuple[str, ...] = tuple(s.name for s in _SPECS if s.role == "running")

#: Scalar fields one simulation returns (everything per sample but the inputs, the index,
#: ``seed_index`` and ``is_analytic``, which the builder sets), the diagnostics last.
RESULT_FIELDS: tuple[str, ...] = tuple(
    s.name
    for s in _SPECS
    if s.role in ("output", "flag", "meta", "diagnostic")
    and s.name not in ("seed_index", "is_analytic")
)
#: The result fields a run function may leave out (schema 1 runs): the diagnostics.
OPTIONAL_RESULT_FIELDS: tuple[str, ...] = tuple(s.name for s in _SPECS if s.role == "diagnostic")

#: Global attributes every database carries.
GLOBAL_ATTRS: tuple[str, ...] = (
    "Conventions",
    "title",
    "source",
    "history",
    "references",
    "crtransport_version",
    "schema_version",
    "seed",
    "n_samples",
    "n_analytic",
    "parameter_space",
    "simulation",
    "config_json",
)


_POSITIVE, _NON_NEGATIVE = POSITIVE, NON_NEGATIVE

#: Physical range of every variable with one (issue 19: ``open_dataset`` and resumed builds
#: refuse content no run can produce). Variables not listed may take any finite value.
VALID_RANGES: dict[str, ValidRange] = {
    SAMPLE_DIM: _NON_NEGATIVE,
    **{name: INPUT_RANGES[name] for name in INPUTS},
    "D_perp_err": _NON_NEGATIVE,
    "D_par_err": _NON_NEGATIVE,
    "dt": _POSITIVE,
    "t_max": _POSITIVE,
    "wall_time": _NON_NEGATIVE,
    "seed_index": _NON_NEGATIVE,
    "alpha_perp_err": _NON_NEGATIVE,
    "alpha_par_err": _NON_NEGATIVE,
    "stop_rule": ValidRange(0.0, float(len(STOP_RULES) - 1)),
    "n_steps": _NON_NEGATIVE,
    "cpu_time": _NON_NEGATIVE,
    "split": ValidRange(0.0, 1.0),
    "design_round": _NON_NEGATIVE,
    TIME_DIM: _NON_NEGATIVE,
}

#: Variables that may hold NaN (a run whose estimate failed is stored and reported, not
#: dropped; running coefficients are NaN outside a sample's run). All others must be finite.
#: ``mu`` is NaN for isotropic rows (schema 2), ``alpha_*_err`` where no error estimate exists.
NAN_ALLOWED: tuple[str, ...] = (
    "mu",
    "D_perp",
    "D_perp_err",
    "D_par",
    "D_par_err",
    "alpha_perp_err",
    "alpha_par_err",
    "acquisition_score",
    *RUNNING,
)
