"""How much work and memory a run needs, estimated before it starts, and the limits on both.

Every public entry point that starts a long computation (``simulate``, ``resolve_config``,
``propagate``, ``rejection_sample``) calls :func:`check_workload` (or
:func:`check_candidates`) with its own parameters first, so a run that would take days or
allocate more memory than the machine has is refused at once with a message that gives the
estimate, instead of hanging or failing deep inside with an OverflowError or MemoryError.

Limits (documented in the guide and in :func:`crtransport.simulate`):

* ``MAX_STEPS`` = 1e8 time steps per particle (a default run takes 1e3-1e6);
* ``MAX_WAVE_EVALUATIONS`` = 1e15 evaluations of one wave (particles x waves x steps;
  a paper sample is about 2e10, the paper's whole database about 1e14);
* ``MAX_CANDIDATES`` = 1e10 candidates of the acceptance-rejection sampler;
* memory: the arrays a run allocates must fit in the machine's physical memory.

The work limits (not the memory limit, nor the hard limits of float64 and int64) can be lifted
explicitly by setting the environment variable ``CRTRANSPORT_ALLOW_LARGE_RUNS=1`` (it reaches
the worker processes of a build as well).
"""

from __future__ import annotations

import math
import os
from typing import Any

__all__: list[str] = []

#: Most time steps per particle one run may take.
MAX_STEPS = 1e8
#: Most single-wave field evaluations (particles x waves x steps) one run may take.
MAX_WAVE_EVALUATIONS = 1e15
#: Most candidates the acceptance-rejection sampler may draw for one call.
MAX_CANDIDATES = 1e10
#: Largest step count that fits the int64 indices of the kernels.
HARD_MAX_STEPS = 2**62
#: Environment variable that lifts the work limits (not the memory or representation limits).
OVERRIDE_ENV = "CRTRANSPORT_ALLOW_LARGE_RUNS"


def large_runs_allowed() -> bool:
    """True if ``CRTRANSPORT_ALLOW_LARGE_RUNS`` is set to 1, true or yes."""
    return os.environ.get(OVERRIDE_ENV, "").strip().lower() in ("1", "true", "yes")


def physical_memory() -> float:
    """Bytes of physical memory of this machine (inf where it cannot be read)."""
    try:
        return float(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, OSError, ValueError):  # pragma: no cover - non-POSIX
        return math.inf


def _override_hint() -> str:
    return f" To run it anyway, set the environment variable {OVERRIDE_ENV}=1."


def _fmt_bytes(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"):
        if n < 1024 or unit == "EiB":
            return f"{n:.3g} {unit}"
        n /= 1024
    return f"{n:.3g} B"  # pragma: no cover


#: Bytes of one wave in the kernels' tables (seven float64 rows).
WAVE_BYTES = 56


def estimate(
    *,
    n_particles: float,
    n_waves: float,
    n_steps: float,
    n_save: float,
    keep_waves: bool = False,
) -> dict[str, float]:
    """Work and memory of one run: ``wave_evaluations`` and ``bytes`` (float, may be inf).

    ``keep_waves``: every particle's waves stay in memory for the whole run (an adaptive run
    continues its blocks), ``WAVE_BYTES`` per particle and wave.
    """
    evals = float(n_particles) * float(n_waves) * float(n_steps)
    # displacement + guiding-centre displacement (n, n_save, 3) float64, the running
    # diffusion's temporaries (about as much again), positions and momenta
    memory = float(n_particles) * (4.0 * float(n_save) * 3 * 8 + 4 * 3 * 8)
    if keep_waves:
        memory += WAVE_BYTES * float(n_particles) * float(n_waves)
    return {"wave_evaluations": evals, "bytes": memory}


def check_workload(
    *,
    n_particles: float,
    n_waves: float,
    n_steps: float,
    n_save: float,
    steps_from: str,
    particles_name: str = "n_particles",
    keep_waves: bool = False,
) -> None:
    """Refuse a run whose estimated work or memory is above the documented limits.

    ``steps_from`` says, in the user's parameters, where ``n_steps`` comes from (e.g.
    ``"t_max / dt = 100 / 3.1e-7"``) so the message names what to change.

    Raises
    ------
    ValueError
        If the number of steps is above ``MAX_STEPS`` (or does not fit int64), the number of
        wave evaluations above ``MAX_WAVE_EVALUATIONS``, or the memory above the machine's.
    """
    allowed = large_runs_allowed()
    if not n_steps <= HARD_MAX_STEPS:  # also catches NaN
        raise ValueError(
            f"the run needs {n_steps:.3g} time steps ({steps_from}); at most {HARD_MAX_STEPS:.3g} "
            "(2^62) can be counted."
        )
    if n_steps > MAX_STEPS and not allowed:
        raise ValueError(
            f"the run needs {n_steps:.3g} time steps per particle ({steps_from}), above the "
            f"limit of {MAX_STEPS:.3g}; change the parameters so fewer steps are needed."
            + _override_hint()
        )
    est = estimate(
        n_particles=n_particles,
        n_waves=n_waves,
        n_steps=n_steps,
        n_save=n_save,
        keep_waves=keep_waves,
    )
    _check_memory(est["bytes"], n_particles, n_save, particles_name, keep_waves)
    if est["wave_evaluations"] > MAX_WAVE_EVALUATIONS and not allowed:
        raise ValueError(
            f"the run needs {est['wave_evaluations']:.3g} wave evaluations (`{particles_name}` "
            f"{n_particles:.3g} x `n_waves` {n_waves:.3g} x {n_steps:.3g} steps, {steps_from}), "
            f"above the limit of {MAX_WAVE_EVALUATIONS:.3g} (days of CPU time)." + _override_hint()
        )


def _check_memory(
    need: float, n_particles: float, n_save: float, particles_name: str, keep_waves: bool = False
) -> None:
    memory = physical_memory()
    if need > memory:
        kept = (
            " (an adaptive run keeps every particle's waves; give `t_max` for a fixed run)"
            if keep_waves
            else ""
        )
        raise ValueError(
            f"the run needs about {_fmt_bytes(need)} of memory for `{particles_name}` = "
            f"{n_particles:.3g} particles and {n_save:.3g} saved times{kept}, more than this "
            f"machine's {_fmt_bytes(memory)}; use fewer particles or save fewer times."
        )


def check_candidates(expected: float, n: int) -> None:
    """Refuse an acceptance-rejection run expected to draw more than ``MAX_CANDIDATES``."""
    if not expected <= MAX_CANDIDATES and not large_runs_allowed():
        raise ValueError(
            f"drawing {n} samples needs about {expected:.3g} candidates (expected acceptance "
            f"{n / expected:.3g}; the envelope `bound` is too loose), above the limit of "
            f"{MAX_CANDIDATES:.3g}. Give a tighter `bound` or leave it to the default."
            + _override_hint()
        )


def _band_text(turbulence: object) -> tuple[float, str]:
    """Upper bound of ``|k|`` (1/rho0) from a model's bands, and the parameters that set it."""
    bands = [(name, getattr(turbulence, name)) for name in getattr(turbulence, "_BANDS", ())]
    k_max = math.sqrt(sum(float(band[1]) ** 2 for _, band in bands))
    text = ", ".join(f"`{name}` up to {float(band[1]):.3g}" for name, band in bands)
    return k_max, text


def check_simulation(
    *,
    T: float,
    turbulence: Any,
    n_particles: int,
    n_waves: int,
    dt: float,
    t_max: float,
    n_save: int,
    dt_given: bool,
    t_max_given: bool,
    shared_field: bool,
    keep_waves: bool = False,
) -> None:
    """The checks of :func:`check_workload` and the phase limit for one ``simulate`` run.

    Called by :func:`crtransport.resolve_config` once ``dt`` and ``t_max`` are known and before
    anything is allocated; the messages name the user's parameters that set the numbers.
    """
    from crtransport import units
    from crtransport._numerics import MAX_PHASE

    speed = float(units.speed_from_T(T))
    # shared field: starting points within 100 bend-over scales of the origin (``simulate``)
    start_extent = 0.0
    if shared_field:
        perp, par = turbulence.perpendicular_length, turbulence.decorrelation_length
        start_extent = 100.0 * math.sqrt(2.0 * perp**2 + par**2)

    dt_src = "`dt`" if dt_given else "the default dt (from `T`, `b`, `lambda_perp`)"
    t_src = "`t_max`" if t_max_given else "the default t_max (from `T`, `mu`, `lambda_par`)"
    steps_from = (
        f"{t_src} / {dt_src} = {t_max:.3g} / {dt:.3g}, with T = {T:.3g} m c^2, "
        f"speed v = {speed:.3g} c"
    )
    check_workload(
        n_particles=n_particles,
        n_waves=n_waves,
        n_steps=t_max / dt,
        n_save=n_save,
        steps_from=steps_from,
        keep_waves=keep_waves,
    )
    k_max, bands = _band_text(turbulence)
    reach = speed * t_max + start_extent
    phase = k_max * reach + 2.0 * math.pi
    # an open band (k_max = inf) is checked on the sampled waves, in ``propagate``
    if math.isfinite(k_max) and not phase <= MAX_PHASE:
        raise ValueError(
            f"the wave phases |k| |r| would reach {phase:.3g} rad (wave numbers {bands} /rho0; "
            f"particles travel up to v t_max = {speed:.3g} x {t_max:.3g} = {speed * t_max:.3g} "
            f"rho0 with {t_src}); the field is exact only for phases up to {MAX_PHASE:.3g} rad. "
            "Lower the upper ends of the wave-number bands or shorten the run."
        )
