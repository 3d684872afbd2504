"""The test-particle experiment of Palade (2023): one call from parameters to D_perp."""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np

from crtransport import units
from crtransport._validation import check_int, check_real
from crtransport._workload import check_simulation as _check_simulation  # issue 19
from crtransport.pusher import initial_conditions, propagate
from crtransport.transport import DiffusionEstimate, asymptotic_diffusion, running_diffusion
from crtransport.turbulence import make_turbulence
from crtransport.turbulence._models import ModelName, Turbulence, make_turbulence_from_dict

__all__ = [
    "PAPER_DT",
    "SimulationConfig",
    "SimulationResult",
    "default_dt",
    "default_t_max",
    "resolve_config",
    "simulate",
]

#: The paper's time step 2 pi / 10 (ten steps per non-relativistic gyro-period).
PAPER_DT = 2.0 * math.pi / 10.0
#: Default time-step rule: at least this many steps per gyro-period in the RMS field ...
#: (the convergence study: 10-20 steps, the paper's dt, bias D_perp by -13 % to -23 %; 40 steps
#: leave it within 1.4 % of the dt -> 0 value).
STEPS_PER_GYRATION = 40
#: ... and at most this fraction of lambda_perp travelled per step.
CROSSING_FRACTION = 0.5
#: Default run length: this many parallel decorrelation times lambda_par / (v |mu|) ...
DECORRELATION_TIMES = 10.0
#: ... and at least this many gyro-periods.
MIN_GYRATIONS = 20.0
#: Floor on |mu| in the decorrelation time (particles with mu ~ 0 still decorrelate by
#: scattering; without a floor the run would be infinite).
MU_FLOOR = 0.1
#: Particles per block of realizations: realizations are sampled and pushed block by block
#: (memory stays ~ 30 MB for 500 waves); every block has its own SeedSequence child, so results
#: do not depend on the thread count.
BLOCK_SIZE = 512

Seed = int | np.random.SeedSequence | np.random.Generator


def default_dt(T: float, b: float, lambda_perp: float) -> float:
    r"""Default time step in 1/omega_c.

    .. math:: \delta t = \min\left(\frac{2\pi}{10},\
              \frac{2\pi\gamma}{40\sqrt{1+b^2}},\ \frac{\lambda_\perp}{2 v}\right)

    The paper's 2 pi / 10 at most; at least ``STEPS_PER_GYRATION = 40`` steps per gyration in
    the RMS field ``sqrt(1 + b^2)``; and at most half a perpendicular bend-over scale travelled
    per step (``CROSSING_FRACTION``), which matters for small ``lambda_perp`` and high energies.
    The convergence study (docs, "Numerical convergence") found the paper's step, 10-20 steps per
    gyration, biases D_perp low by 13-23 %: waves much smaller than a step are not resolved, and
    the bias falls only about linearly with dt.
    """
    gamma = 1.0 + T
    v = float(units.speed_from_T(T))
    gyro = 2.0 * math.pi * gamma / (STEPS_PER_GYRATION * math.sqrt(1.0 + b * b))
    return min(PAPER_DT, gyro, CROSSING_FRACTION * lambda_perp / v)


def default_t_max(T: float, mu: float, turbulence: Turbulence) -> float:
    r"""Default run length in 1/omega_c.

    .. math:: t_{max} = \max\left(10\,\tau_c,\ 20 \cdot 2\pi\gamma\right), \qquad
              \tau_c = \frac{\lambda_\parallel}{v \max(|\mu|, 0.1)}

    ``tau_c`` is the parallel decorrelation time of the paper (section III A); the asymptotic
    estimator fits the second half of the run, ``[5, 10] tau_c``.
    """
    gamma = 1.0 + T
    v = float(units.speed_from_T(T))
    tau_c = turbulence.decorrelation_length / (v * max(abs(mu), MU_FLOOR))
    return max(DECORRELATION_TIMES * tau_c, MIN_GYRATIONS * 2.0 * math.pi * gamma)


def _seed_sequence(seed: Seed) -> np.random.SeedSequence:
    if isinstance(seed, np.random.SeedSequence):
        return seed
    if isinstance(seed, np.random.Generator):
        return np.random.SeedSequence(int(seed.integers(2**63)))
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        raise TypeError(
            f"`seed` must be an int, SeedSequence or Generator; got {type(seed).__name__}."
        )
    if seed < 0:
        raise ValueError(f"`seed` must be a non-negative integer; got {seed}.")
    return np.random.SeedSequence(int(seed))


def _child(ss: np.random.SeedSequence, *key: int) -> np.random.SeedSequence:
    return np.random.SeedSequence(entropy=ss.entropy, spawn_key=(*ss.spawn_key, *key))


@dataclass(frozen=True, slots=True, kw_only=True)
class SimulationConfig:
    """Every resolved setting of a :func:`simulate` run (lengths rho0, times 1/omega_c)."""

    T: float
    mu: float
    turbulence: Turbulence
    n_particles: int
    n_waves: int
    dt: float
    t_max: float
    n_steps: int
    save_every: int
    shared_field: bool
    seed_entropy: int
    seed_spawn_key: tuple[int, ...]

    @property
    def b(self) -> float:
        return float(self.turbulence.b)

    @property
    def model(self) -> str:
        return self.turbulence.model

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dictionary (the turbulence as a nested dict)."""
        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        out["turbulence"] = self.turbulence.to_dict()
        out["seed_spawn_key"] = list(self.seed_spawn_key)
        out["seed_entropy"] = int(self.seed_entropy)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SimulationConfig:
        """Inverse of :meth:`to_dict`."""
        data = dict(data)
        data["turbulence"] = make_turbulence_from_dict(data["turbulence"])
        data["seed_spawn_key"] = tuple(data["seed_spawn_key"])
        return cls(**data)

    def seed_sequence(self) -> np.random.SeedSequence:
        """The SeedSequence that reproduces this run."""
        return np.random.SeedSequence(entropy=self.seed_entropy, spawn_key=self.seed_spawn_key)


@dataclass(frozen=True, slots=True, kw_only=True)
class SimulationResult:
    """Outcome of :func:`simulate`.

    Attributes
    ----------
    D_perp, D_perp_err : float
        Asymptotic perpendicular diffusion coefficient (D_xx + D_yy) / 2 and its standard error,
        in rho0^2 omega_c, estimated on the guiding centres (``r + u x e_z``): the same limit
        as the particles', without the gyration's oscillation of the mean-square displacement.
    D_par, D_par_err : float
        Asymptotic parallel diffusion coefficient D_zz and its standard error.
    converged : bool
        D_perp reached a plateau within its error (see
        :func:`crtransport.transport.asymptotic_diffusion`).
    converged_par : bool
        The same for D_par.
    running : xarray.Dataset
        Running D(t) and d(t) of the particles (the paper's eq. 5) over ``time``.
    perp, par : DiffusionEstimate
        The full estimates (windows, estimator, earlier-window values).
    config : crtransport.SimulationConfig
        Every resolved setting.
    wall_time : float
        Seconds spent (sampling, pushing, analysis).
    acceptance_rate : float
        Acceptance rate of the wave-number sampler.
    """

    D_perp: float
    D_perp_err: float
    D_par: float
    D_par_err: float
    converged: bool
    converged_par: bool
    running: Any
    perp: DiffusionEstimate
    par: DiffusionEstimate
    config: SimulationConfig
    wall_time: float
    acceptance_rate: float

    def __repr__(self) -> str:
        c = self.config
        return (
            f"SimulationResult(T={c.T:g}, b={c.b:g}, model={c.model!r}, "
            f"D_perp={self.D_perp:.5g} ± {self.D_perp_err:.2g}, "
            f"D_par={self.D_par:.5g} ± {self.D_par_err:.2g}, converged={self.converged}, "
            f"n_particles={c.n_particles}, n_steps={c.n_steps}, wall_time={self.wall_time:.3g} s)"
        )


def resolve_config(
    T: float,
    b: float,
    lambda_perp: float,
    *,
    lambda_par: float | None = None,
    mu: float = 0.5,
    n_particles: int = 10_000,
    n_waves: int = 500,
    dt: float | None = None,
    t_max: float | None = None,
    k_perp_range: tuple[float, float] | None = None,
    k_par_range: tuple[float, float] | None = None,
    model: ModelName = "2d",
    seed: Seed = 0,
    n_save: int = 200,
    shared_field: bool = False,
) -> SimulationConfig:
    """Validate the arguments of :func:`simulate` and resolve every default, without running.

    Takes exactly the arguments of :func:`simulate` (same meaning, units and checks) and returns
    the :class:`SimulationConfig` that ``simulate`` would run: the time step, the run length
    rounded up to whole save intervals, the wave-number bands and the seed.

    Raises
    ------
    ValueError
        As :func:`simulate`.

    Examples
    --------
    >>> import crtransport as crt
    >>> cfg = crt.resolve_config(T=1.0, b=0.2, lambda_perp=5.0)
    >>> cfg.n_steps, round(cfg.dt, 4)
    (3762, 0.3081)
    """
    T = check_real("T", T, low=0.0, low_open=True)
    b = check_real("b", b, low=0.0)
    mu = check_real("mu", mu, low=-1.0, high=1.0)
    n_particles = check_int("n_particles", n_particles, low=2)
    n_waves = check_int("n_waves", n_waves, low=1)
    n_save = check_int("n_save", n_save, low=8)
    turb = make_turbulence(
        model,
        b=b,
        lambda_perp=lambda_perp,
        lambda_par=lambda_par,
        k_perp_range=k_perp_range,
        k_par_range=k_par_range,
    )
    lam_perp = float(lambda_perp)
    dt_arg, t_max_arg = dt, t_max  # issue 19: kept for the work check's message
    dt = default_dt(T, b, lam_perp) if dt is None else check_real("dt", dt, low=0.0, low_open=True)
    t_max = (
        default_t_max(T, mu, turb)
        if t_max is None
        else check_real("t_max", t_max, low=0.0, low_open=True)
    )
    if t_max < 8 * dt:
        raise ValueError(f"`t_max` must be >= 8 dt = {8 * dt:g}; got {t_max:g}.")
    # --- issue 19: estimate the work, memory and wave phases before anything is allocated
    _check_simulation(
        T=T, turbulence=turb, n_particles=n_particles, n_waves=n_waves, dt=dt, t_max=t_max,
        n_save=n_save, dt_given=dt_arg is not None, t_max_given=t_max_arg is not None,
        shared_field=bool(shared_field),
    )  # fmt: skip
    n_steps = math.ceil(t_max / dt)
    save_every = max(1, n_steps // n_save)
    n_steps = save_every * math.ceil(n_steps / save_every)
    ss = _seed_sequence(seed)
    return SimulationConfig(
        T=T,
        mu=mu,
        turbulence=turb,
        n_particles=n_particles,
        n_waves=n_waves,
        dt=dt,
        t_max=n_steps * dt,
        n_steps=n_steps,
        save_every=save_every,
        shared_field=bool(shared_field),
        seed_entropy=int(ss.entropy),  # type: ignore[arg-type]
        seed_spawn_key=tuple(int(k) for k in ss.spawn_key),
    )


def simulate(
    T: float,
    b: float,
    lambda_perp: float,
    *,
    lambda_par: float | None = None,
    mu: float = 0.5,
    n_particles: int = 10_000,
    n_waves: int = 500,
    dt: float | None = None,
    t_max: float | None = None,
    k_perp_range: tuple[float, float] | None = None,
    k_par_range: tuple[float, float] | None = None,
    model: ModelName = "2d",
    seed: Seed = 0,
    n_save: int = 200,
    shared_field: bool = False,
) -> SimulationResult:
    r"""Run the test-particle experiment and return diffusion coefficients.

    An ensemble of ``n_particles`` particles of kinetic energy ``T`` and pitch cosine ``mu``
    starts at the origin, each in its own realization of ``n_waves`` waves (the paper's method),
    and is pushed with the relativistic Boris scheme for ``t_max``; the running D(t) and the
    asymptotic D_perp, D_par with errors and convergence flags come back. All quantities are in
    the paper's scaled units (:mod:`crtransport.units`).

    Parameters
    ----------
    T : float
        Kinetic energy in m c^2, > 0 (protons: 1 is 0.938 GeV).
    b : float
        RMS turbulent field in B0, >= 0.
    lambda_perp : float
        Perpendicular bend-over scale in rho0, > 0.
    lambda_par : float, optional
        Parallel bend-over scale in rho0, > 0; default ``10 * lambda_perp`` (the paper).
    mu : float, default: 0.5
        Initial pitch cosine v_par / v, in [-1, 1].
    n_particles : int, default: 10_000
        Ensemble size, >= 2.
    n_waves : int, default: 500
        Waves per realization, >= 1.
    dt : float, optional
        Time step in 1/omega_c; default: the rule ``crtransport._simulate.default_dt``
        (the paper's 2 pi / 10, shortened for strong fields and small ``lambda_perp``).
    t_max : float, optional
        Run length in 1/omega_c; default: the rule ``crtransport._simulate.default_t_max``
        (ten parallel decorrelation times, at least twenty gyro-periods).
    k_perp_range, k_par_range : (float, float), optional
        Wave-number bands in 1/rho0; default ``(0, 1000 / lambda)`` (``DEFAULT_K_BAND``).
    model : {'2d', 'slab', 'isotropic', 'composite'}, default: '2d'
        Turbulence model (:func:`crtransport.turbulence.make_turbulence`).
    seed : int, SeedSequence or Generator, default: 0
        Randomness; the same seed gives bit-identical results for any number of threads.
    n_save : int, default: 200
        Approximate number of output times for the running coefficients, >= 8.
    shared_field : bool, default: False
        All particles in one realization, starting at points spread uniformly over a box of
        100 bend-over scales in each direction (instead of one realization per particle).

    Returns
    -------
    SimulationResult

    Raises
    ------
    ValueError
        If ``T <= 0``, ``b < 0``, a scale ``<= 0``, ``|mu| > 1``, a value is not finite,
        ``n_particles < 2``, ``n_waves < 1``, ``dt`` or ``t_max <= 0``, ``t_max < 8 dt``, a band
        is empty, or ``model`` is unknown.

    Warns
    -----
    AccuracyWarning
        If ``dt`` is too coarse to resolve the gyration (the message gives the numbers).

    Examples
    --------
    >>> import crtransport as crt
    >>> res = crt.simulate(T=1.0, b=0.2, lambda_perp=5.0, n_particles=64, n_waves=32,
    ...                    t_max=200.0, seed=1)
    >>> res.running["D_perp"].dims, res.config.n_particles
    (('time',), 64)
    """
    t0 = time.perf_counter()
    config = resolve_config(
        T,
        b,
        lambda_perp,
        lambda_par=lambda_par,
        mu=mu,
        n_particles=n_particles,
        n_waves=n_waves,
        dt=dt,
        t_max=t_max,
        k_perp_range=k_perp_range,
        k_par_range=k_par_range,
        model=model,
        seed=seed,
        n_save=n_save,
        shared_field=shared_field,
    )
    T, b, mu, turb = config.T, config.b, config.mu, config.turbulence
    save_every, dt = config.save_every, config.dt
    displacement, gc_displacement, acceptance = _run_ensemble(config)
    times = np.arange(1, displacement.shape[1] + 1) * (save_every * dt)
    # The asymptotic D_perp is estimated on the guiding centres: same limit (they differ from
    # the particles by at most two Larmor radii) without the gyration's coherent oscillation of
    # the mean-square displacement, which biases the late-time slope when b is small.
    perp = asymptotic_diffusion(times, gc_displacement, direction="perp")
    par = asymptotic_diffusion(times, displacement, direction="par")
    running = running_diffusion(times, displacement)
    running.attrs.update(model=turb.model, T=T, b=b, mu=mu)
    return SimulationResult(
        D_perp=perp.value,
        D_perp_err=perp.error,
        D_par=par.value,
        D_par_err=par.error,
        converged=perp.converged,
        converged_par=par.converged,
        running=running,
        perp=perp,
        par=par,
        config=config,
        wall_time=time.perf_counter() - t0,
        acceptance_rate=acceptance,
    )


def _run_ensemble(config: SimulationConfig) -> tuple[np.ndarray, np.ndarray, float]:
    """Particle and guiding-centre displacements (n_particles, n_save, 3), block by block.

    Block ``i`` draws everything it needs (waves, gyro-phases, starting points) from its own
    child seed ``(1, i)``, so the result does not depend on how blocks are scheduled. The
    sampling of block ``i + 1`` (NumPy, one core) runs in a background thread while the Numba
    kernel (which releases the GIL) pushes block ``i`` on all cores.
    """
    ss = config.seed_sequence()
    n = config.n_particles
    turb = config.turbulence
    n_save = config.n_steps // config.save_every
    displacement = np.empty((n, n_save, 3))
    gc_displacement = np.empty((n, n_save, 3))
    shared = None
    if config.shared_field:
        shared = turb.sample(config.n_waves, 1, seed=_child(ss, 0))
    # shared field: starting points spread over 100 correlation lengths in each direction
    scale = 100.0 * np.array([turb.perpendicular_length] * 2 + [turb.decorrelation_length])
    starts = list(range(0, n, BLOCK_SIZE))

    def prepare(block: int):
        m = min(BLOCK_SIZE, n - starts[block])
        rng = np.random.default_rng(_child(ss, 1, block))
        if shared is None:
            modes, positions, realization = turb.sample(config.n_waves, m, seed=rng), None, None
        else:
            modes, realization = shared, 0
            positions = rng.uniform(0.0, 1.0, (m, 3)) * scale
        pos, mom = initial_conditions(config.T, config.mu, m, seed=rng, positions=positions)
        return modes, pos, mom, realization

    acceptance = []
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="crtransport-sample") as pool:
        upcoming = pool.submit(prepare, 0)
        for block, start in enumerate(starts):
            modes, pos, mom, realization = upcoming.result()
            if block + 1 < len(starts):
                upcoming = pool.submit(prepare, block + 1)
            acceptance.append(modes.acceptance_rate)
            out = propagate(
                modes,
                pos,
                mom,
                dt=config.dt,
                n_steps=config.n_steps,
                save_every=config.save_every,
                realization=realization,
            )
            stop = start + out.displacement.shape[0]
            displacement[start:stop] = out.displacement
            gc_displacement[start:stop] = out.gc_displacement
    return displacement, gc_displacement, float(np.mean(acceptance))
