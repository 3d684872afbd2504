"""Reference databases shipped with crtransport.

Each function returns the path of a database file installed inside the package; open it with
:func:`crtransport.dataset.open_dataset` (also ``crtransport.open_dataset``). This module
imports nothing heavy: the file is only read when you open it.
"""

from __future__ import annotations

import importlib.resources
from importlib.resources.abc import Traversable
from pathlib import Path

__all__ = ["general", "paper"]

#: File name of the paper's database in ``crtransport/data``.
PAPER_FILE = "paper.nc"

#: File name of the general database in ``crtransport/data``.
GENERAL_FILE = "general.nc"

#: The command that builds the paper's database in a checkout of the repository.
_BUILD_COMMAND = "python scripts/build_paper_database.py"

#: The pretrained surrogates shipped in ``crtransport/data`` (name: file), trained on
#: :func:`paper` by ``python scripts/ship_paper_models.py``; see
#: :meth:`crtransport.Surrogate.pretrained`.
SURROGATE_FILES: dict[str, str] = {
    "paper": "surrogate_paper.npz",
    "improved": "surrogate_improved.npz",
    # the general model (D_perp and D_par, crtransport.surrogate.TransportSurrogate): it ships
    # when the general database is complete
    "general": "surrogate_general.zip",
}


def _resource(name: str) -> Traversable:
    """The package resource ``crtransport/data/<name>`` (it may not exist)."""
    return importlib.resources.files("crtransport").joinpath("data", name)


def paper() -> Path:
    """Path of the reference database of Palade (2023), shipped as ``crtransport/data/paper.nc``.

    The database reproduces the paper's section II D with this library's engine. Its 5000
    rows (dimension ``sample``) have inputs drawn uniformly at random in the paper's cube

    * kinetic energy ``T`` in (0, 10), units of m c^2;
    * turbulence amplitude ``b`` in (0, 1), units of B0;
    * perpendicular bend-over scale ``lambda_perp`` in (0.2, 20), units of rho0;

    with the pitch cosine fixed at ``mu = 0.5`` and ``lambda_par = 10 lambda_perp``. The
    first 4750 rows are simulations with 1e4 particles and 500 waves each, at the engine's
    default time step and run length (see :func:`crtransport.resolve_config`); each gives
    ``D_perp``, ``D_par`` (units of rho0^2 omega_c), their statistical errors and
    convergence flags. The last 250 rows (5 %) are the exact ``b = 0`` points, flagged by
    ``is_analytic``: ``D_perp = 0`` there and ``D_par`` holds the ballistic running value (see
    the schema in :mod:`crtransport.dataset`). All values are in the paper's scaled units
    (:mod:`crtransport.units`).

    Returns
    -------
    pathlib.Path
        Path of the netCDF4 file inside the installed package.

    Raises
    ------
    FileNotFoundError
        If this installation does not contain ``crtransport/data/paper.nc`` (or the package
        is not installed as plain files, e.g. zipped). The message says how to build it.

    Notes
    -----
    The database is built with ``python scripts/build_paper_database.py`` in a checkout of
    the repository (resumable; it writes ``data/paper/paper.nc``; the reference build took
    15.5 core-hours, about 8 hours on a 2-core machine) and copied into ``crtransport/data/``
    by ``python scripts/ship_paper_models.py``, which also trains the pretrained surrogates
    on it. The shipped file is the complete build. A file shipped while a build still runs
    holds the samples finished so far (with the planned 5 % share of analytic rows) and says
    so in its attributes: ``build_complete = 0``, ``n_samples`` (rows held) and
    ``n_samples_planned`` (5000). The ``sample`` coordinate is each row's index in the
    complete database, so rows keep their identity as the file grows.

    Examples
    --------
    >>> import crtransport as crt
    >>> ds = crt.open_dataset(crt.datasets.paper())
    >>> int(ds.attrs["n_samples"]), int(ds["is_analytic"].sum()), "build_complete" in ds.attrs
    (5000, 250, False)
    >>> sur = crt.Surrogate().fit(ds, epochs=900, key=0)  # doctest: +SKIP
    """
    return _shipped(PAPER_FILE, _BUILD_COMMAND)


def general() -> Path:
    """Path of the general transport database, shipped as ``crtransport/data/general.nc``.

    Pitch-angle averaged D_par and D_perp of composite (slab + 2D) turbulence over the
    dimensionless space of magnetostatic similarity: ``R = r_L / lambda_perp`` in (0.05, 50],
    ``b`` in (0.05, 2], ``lambda_par / lambda_perp`` in (1, 100] (all log-uniform) and the slab
    energy share in (0, 0.5], built by active learning within a budget of 30 core-hours of
    simulation (:func:`crtransport.dataset.build_active_dataset`): 6144 training rows of 1000
    particles (a Sobol start of 1024 and five acquisition rounds of 1024) and 300 held-out
    test rows (``split == 1``; drawn uniformly, 4000 particles), 25.4 core-hours in all: 14.4
    for the rows and 10.9 outside them (two abandoned designs, the probe that chose the run
    cap, rechecks of the labels, rows lost in flight), each in the attributes
    (``core_hours_used``, ``compute_not_in_rows``, ``core_hours_total``). The documentation
    page "The general database" gives the ranges' reasons, the cost and the label noise.

    Returns
    -------
    pathlib.Path
        Path of the netCDF4 file inside the installed package.

    Raises
    ------
    FileNotFoundError
        If this installation does not contain ``crtransport/data/general.nc`` (the build is
        resumable and runs for many hours: ``python scripts/build_general_database.py`` in a
        checkout; ``--status`` tells how far it is).
    """
    return _shipped(GENERAL_FILE, "python scripts/build_general_database.py")


def _shipped(name: str, command: str) -> Path:
    resource = _resource(name)
    if not resource.is_file():
        raise FileNotFoundError(
            f"this installation has no database crtransport/data/{name}. Build it in a "
            f"checkout of the repository with `{command}` (it writes data/.../{name}), copy "
            "that file to crtransport/data/ before installing, or open your own database with "
            "crtransport.open_dataset(path)."
        )
    if not isinstance(resource, Path):
        raise FileNotFoundError(
            f"crtransport/data/{name} is not a plain file on disk ({resource!r}); install "
            "crtransport unzipped to use crtransport.datasets."
        )
    return resource


def shipped_surrogates() -> tuple[str, ...]:
    """Names of the pretrained surrogates this installation ships (see ``SURROGATE_FILES``)."""
    return tuple(name for name, file in SURROGATE_FILES.items() if _resource(file).is_file())


def surrogate_file(name: str) -> Traversable:
    """The shipped file of the pretrained surrogate ``name`` (a key of ``SURROGATE_FILES``).

    Raises
    ------
    FileNotFoundError
        If this installation lacks it; the message says what ships and how to train one.
    """
    resource = _resource(SURROGATE_FILES[name])
    if not resource.is_file():
        how = (
            "It is trained on the general database once that is complete (`python "
            "scripts/build_general_database.py --status` in a checkout says how far it is); "
            "fit your own with crtransport.surrogate.TransportSurrogate.fit(ds)."
            if name == "general"
            else "Train one with Surrogate().fit(...) or `crtransport train`, then load it "
            "with Surrogate.load(path)."
        )
        raise FileNotFoundError(
            f"no pretrained surrogate {name!r} in this installation: crtransport/data/"
            f"{SURROGATE_FILES[name]} is missing (shipped: {shipped_surrogates()}). {how}"
        )
    return resource
