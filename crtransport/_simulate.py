"""The test-particle experiment of Palade (2023): one call from parameters to D_perp and D_par."""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Literal, cast

import numpy as np

from crtransport import units
from crtransport._run_rules import PAPER_DT, RUN_RULES, RunRules, get_run_rules
from crtransport._settings import SETTINGS_DEFAULTS as _D
from crtransport._settings import Backend, Converge, SimulationSettings, merge_settings
from crtransport._validation import check_real
from crtransport._workload import check_simulation as _check_simulation  # issue 19
from crtransport.pusher import Displacements, initial_conditions, propagate
from crtransport.transport import (
    DiffusionEstimate,
    TransportRegime,
    asymptotic_diffusion,
    plateau_reached,
    running_diffusion,
    transport_exponent,
)
from crtransport.turbulence import make_turbulence
from crtransport.turbulence._models import ModelName, Turbulence, make_turbulence_from_dict

__all__ = [
    "PAPER_DT",
    "RUN_RULES",
    "RunRules",
    "SimulationConfig",
    "SimulationResult",
    "SimulationSettings",
    "default_dt",
    "default_t_max",
    "resolve_config",
    "run",
    "simulate",
]

#: Particles per block of realizations: realizations are sampled and pushed block by block
#: (memory stays ~ 30 MB for 500 waves); every block has its own SeedSequence child, so results
#: do not depend on the thread count.
BLOCK_SIZE = 512
#: Mean |mu| of an isotropic distribution (mu uniform in [-1, 1]), used in tau_c.
ISOTROPIC_MEAN_ABS_MU = 0.5

Seed = int | np.random.SeedSequence | np.random.Generator
PitchAngle = float | Literal["isotropic"]
StopReason = Literal["fixed", "plateau", "cap", "ballistic"]


def default_dt(
    T: float, b: float, lambda_perp: float, *, rules: str | RunRules = "default"
) -> float:
    r"""Default time step in 1/omega_c (the :class:`RunRules` step rule).

    .. math:: \delta t = \min\left(\frac{2\pi\gamma}{40\sqrt{1+b^2}},\
              \frac{\lambda_\perp}{2 v}\right)

    At least ``steps_per_gyration = 40`` steps per gyration in the RMS field ``sqrt(1 + b^2)``
    and at most half a bend-over scale travelled per step; the ``"paper"`` rules also cap it at
    the paper's 2 pi / 10. The convergence study (docs, "Numerical convergence") found the
    paper's step, 10-20 steps per gyration, biases D_perp low by 13-23 %: waves much smaller
    than a step are not resolved, and the bias falls only about linearly with dt.
    """
    return get_run_rules(rules).dt(T, b, lambda_perp)


def default_t_max(
    T: float, mu: float, turbulence: Turbulence, *, rules: str | RunRules = "default"
) -> float:
    r"""First (for fixed rules: the only) run length in 1/omega_c.

    .. math:: t_1 = \max\left(n_\tau\,\tau_c,\ n_g \cdot 2\pi\gamma\right), \qquad
              \tau_c = \frac{\lambda_\parallel}{v \max(|\mu|, 0.1)}

    ``tau_c`` is the parallel decorrelation time of the paper (section III A); ``n_tau = 8``,
    ``n_g = 10`` for the default rules (which then extend the run to a plateau) and 10, 20 for
    the ``"paper"`` rules (a fixed run).
    """
    return get_run_rules(rules).first_length(T, mu, turbulence)


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
    """Every resolved setting of a :func:`simulate` run (lengths rho0, times 1/omega_c).

    ``t_max`` and ``n_steps`` are the first (for a fixed run: the only) stretch of the run;
    an adaptive run (``adaptive``) grows it by the rules' ``growth`` until a plateau or ``t_cap``
    (:attr:`SimulationResult.t_end` is where it stopped).
    """

    T: float
    mu: float | str
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
    rules: RunRules = RUN_RULES["paper"]
    adaptive: bool = False
    t_cap: float = math.inf
    converge: str = "perp"
    backend: Backend = "numba"

    @property
    def b(self) -> float:
        return float(self.turbulence.b)

    @property
    def model(self) -> str:
        return self.turbulence.model

    @property
    def is_isotropic(self) -> bool:
        """Pitch cosines drawn uniformly in [-1, 1] (``mu='isotropic'``)."""
        return isinstance(self.mu, str)

    @property
    def speed(self) -> float:
        """Particle speed v in c (by the rules' ``kinematics``)."""
        return self.rules.speed(self.T)

    @property
    def R(self) -> float:
        """``r_L / lambda_perp`` with ``r_L = gamma v`` (in B0) and ``lambda_perp`` the model's
        perpendicular scale (``lambda_par`` for slab, ``lambda_iso`` for isotropic)."""
        return self.rules.momentum(self.T) / self.turbulence.perpendicular_length

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dictionary (the turbulence and the rules as nested dicts)."""
        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        out["turbulence"] = self.turbulence.to_dict()
        out["rules"] = self.rules.to_dict()
        out["seed_spawn_key"] = list(self.seed_spawn_key)
        out["seed_entropy"] = int(self.seed_entropy)
        out["t_cap"] = None if math.isinf(self.t_cap) else self.t_cap
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SimulationConfig:
        """Inverse of :meth:`to_dict`."""
        data = dict(data)
        data["turbulence"] = make_turbulence_from_dict(data["turbulence"])
        data["seed_spawn_key"] = tuple(data["seed_spawn_key"])
        if "rules" in data:
            data["rules"] = get_run_rules(data["rules"])
        if data.get("t_cap", 0.0) is None:
            data["t_cap"] = math.inf
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
        Where ``converged`` is False it is the slope at the end of the run, not a diffusion
        coefficient: read ``regime_perp``.
    D_par, D_par_err : float
        Asymptotic parallel diffusion coefficient D_zz and its standard error (same caveat,
        with ``converged_par`` and ``regime_par``).
    converged : bool
        D_perp reached a plateau: :func:`crtransport.transport.plateau_reached` with the rules'
        tolerance (the ``"paper"`` rules keep crtransport 0.1's 3-sigma test).
    converged_par : bool
        The same for D_par.
    regime_perp, regime_par : TransportRegime
        Exponent of ``<dx^2> ~ t^alpha`` with its error and the regime it reads as
        (:func:`crtransport.transport.transport_exponent`): over the last decade of the run
        where no plateau was reached; where one was, over the last half decade that the plateau
        test used (its ``window`` says which), so that the flag and the regime agree.
    stop_reason : {'fixed', 'plateau', 'cap', 'ballistic'}
        What ended the run: a fixed length (``t_max`` given, or fixed rules), the requested
        coefficients reaching a plateau, the cap ``t_cap`` without one, or the rules' ballistic
        stop (:class:`RunRules` ``ballistic_alpha``: a requested coefficient still ballistic).
    t_end : float
        Simulated time in 1/omega_c.
    n_steps : int
        Steps taken.
    wave_evaluations : int
        Cost: particles x waves x steps.
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
    regime_perp: TransportRegime
    regime_par: TransportRegime
    stop_reason: StopReason
    t_end: float
    n_steps: int
    wave_evaluations: int

    def reduced(self) -> dict[str, float]:
        r"""The run in similarity variables: inputs and ``D / (v lambda_perp)``.

        Keys ``R`` (``r_L / lambda_perp``), ``b``, ``anisotropy`` (``lambda_par /
        lambda_perp``; absent for slab and isotropic models), ``mu`` (NaN when isotropic), and
        ``D_perp``, ``D_perp_err``, ``D_par``, ``D_par_err`` in units of ``v lambda_perp``
        (``lambda_perp`` the model's perpendicular scale, see :attr:`SimulationConfig.R`).
        Two runs with equal inputs here give equal coefficients whatever ``T`` and
        ``lambda_perp`` are (theory page, "Similarity").
        """
        c = self.config
        scale = c.turbulence.perpendicular_length
        unit = c.speed * scale
        out = {"R": c.R, "b": c.b}
        lam_par = getattr(c.turbulence, "lambda_par", None)
        if lam_par is not None and c.model in ("2d", "composite"):
            out["anisotropy"] = float(lam_par) / scale
        out["mu"] = math.nan if c.is_isotropic else float(c.mu)
        for name in ("D_perp", "D_perp_err", "D_par", "D_par_err"):
            out[name] = getattr(self, name) / unit
        return out

    def __repr__(self) -> str:
        c = self.config
        return (
            f"SimulationResult(T={c.T:g}, b={c.b:g}, model={c.model!r}, "
            f"D_perp={self.D_perp:.5g} ± {self.D_perp_err:.2g}, "
            f"D_par={self.D_par:.5g} ± {self.D_par_err:.2g}, converged={self.converged}, "
            f"converged_par={self.converged_par}, stop_reason={self.stop_reason!r}, "
            f"n_particles={c.n_particles}, n_steps={self.n_steps}, "
            f"wall_time={self.wall_time:.3g} s)"
        )


def _resolve_energy_and_scale(
    T: float | None, lambda_perp: float | None, R: float | None
) -> tuple[float | None, float | None]:
    """(T, lambda_perp) from any two of (T, lambda_perp, R), or R alone (then T = 1)."""
    if R is None:
        if T is None:
            raise TypeError("simulate() needs `T` (or `R`).")
        return check_real("T", T, low=0.0, low_open=True), lambda_perp
    R = check_real("R", R, low=0.0, low_open=True)
    if T is not None and lambda_perp is not None:
        raise ValueError(
            "give at most two of `T`, `lambda_perp` and `R` (R = r_L / lambda_perp fixes the "
            f"third); got T={T}, lambda_perp={lambda_perp}, R={R}."
        )
    if lambda_perp is not None:
        lam = check_real("lambda_perp", lambda_perp, low=0.0, low_open=True)
        return float(units.T_from_u(R * lam)), lam
    T = 1.0 if T is None else check_real("T", T, low=0.0, low_open=True)
    return T, float(units.u_from_T(T)) / R


def resolve_config(
    T: float | None = None,
    b: float | None = None,
    lambda_perp: float | None = None,
    *,
    R: float | None = None,
    anisotropy: float | None = None,
    lambda_par: float | None = None,
    turbulence: Turbulence | None = None,
    mu: PitchAngle = 0.5,
    n_particles: int = _D["n_particles"],
    n_waves: int = _D["n_waves"],
    dt: float | None = _D["dt"],
    t_max: float | None = _D["t_max"],
    t_cap: float | None = _D["t_cap"],
    k_perp_range: tuple[float, float] | None = _D["k_perp_range"],
    k_par_range: tuple[float, float] | None = _D["k_par_range"],
    model: ModelName = _D["model"],
    rules: str | RunRules = _D["rules"],
    converge: Converge = _D["converge"],
    seed: Seed = 0,
    n_save: int = _D["n_save"],
    shared_field: bool = _D["shared_field"],
    backend: Backend = _D["backend"],
    settings: SimulationSettings | None = None,
) -> SimulationConfig:
    """Validate the arguments of :func:`simulate` and resolve every default, without running.

    Takes exactly the arguments of :func:`simulate` (same meaning, units and checks; the
    numerical settings as keywords or as one :class:`SimulationSettings`) and returns the
    :class:`SimulationConfig` that ``simulate`` would run: the time step, the first run length
    rounded up to whole save intervals, the cap, the wave-number bands and the seed.

    Raises
    ------
    ValueError
        As :func:`simulate`.

    Examples
    --------
    >>> import crtransport as crt
    >>> cfg = crt.resolve_config(T=1.0, b=0.2, lambda_perp=5.0)
    >>> cfg.n_steps, round(cfg.dt, 4), cfg.adaptive
    (3010, 0.3081, True)
    >>> paper = crt.resolve_config(T=1.0, b=0.2, lambda_perp=5.0, rules="paper")
    >>> paper.n_steps, paper.adaptive
    (3762, False)
    """
    s = merge_settings(
        settings,
        n_particles=n_particles,
        n_waves=n_waves,
        dt=dt,
        t_max=t_max,
        t_cap=t_cap,
        k_perp_range=k_perp_range,
        k_par_range=k_par_range,
        model=model,
        rules=rules,
        converge=converge,
        n_save=n_save,
        shared_field=shared_field,
        backend=backend,
    )
    rules_, dt, t_max, t_cap = s.rules, s.dt, s.t_max, s.t_cap
    model = cast(ModelName, s.model)
    if turbulence is None and model == "slab":
        # slab turbulence has one scale, lambda_par: R = r_L / lambda_par
        if lambda_perp is not None or anisotropy is not None:
            raise ValueError(
                "model 'slab' has no perpendicular scale: give its bend-over scale `lambda_par` "
                f"(or `R` = r_L / lambda_par), not lambda_perp={lambda_perp} or "
                f"anisotropy={anisotropy}."
            )
        T, lambda_par = _resolve_energy_and_scale(T, lambda_par, R)
    elif turbulence is None or R is None:
        T, lambda_perp = _resolve_energy_and_scale(T, lambda_perp, R)
    if isinstance(mu, str):
        if mu != "isotropic":
            raise ValueError(f"`mu` must be a pitch cosine in [-1, 1] or 'isotropic'; got {mu!r}.")
        mean_abs_mu = ISOTROPIC_MEAN_ABS_MU
    else:
        mu = check_real("mu", mu, low=-1.0, high=1.0)
        mean_abs_mu = abs(mu)
    turb = _resolve_turbulence(
        turbulence,
        model=model,
        b=b,
        lambda_perp=lambda_perp,
        lambda_par=lambda_par,
        anisotropy=anisotropy,
        k_perp_range=s.k_perp_range,
        k_par_range=s.k_par_range,
    )
    if R is not None and turbulence is not None:
        if T is not None:
            raise ValueError(
                "with a `turbulence` object give `T` or `R` (= r_L / its perpendicular scale), "
                f"not both; got T={T}, R={R}."
            )
        T = _resolve_energy_and_scale(None, turb.perpendicular_length, R)[0]
    if T is None:
        raise TypeError("simulate() needs `T` (or `R`).")
    dt_given = dt is not None
    dt = rules_.dt(T, turb.b, turb) if dt is None else dt
    first = rules_.first_length(T, mean_abs_mu, turb)
    adaptive = rules_.adaptive and t_max is None
    gyration = 2.0 * math.pi * (1.0 + T)
    if t_max is not None:
        first = t_max
    if t_cap is None:
        cap = math.inf  # set below from the rounded first length
    else:
        cap = t_cap
        if not cap >= gyration:
            raise ValueError(
                f"`t_cap` must be at least one gyration 2 pi gamma = {gyration:.6g} (1/omega_c) "
                f"at T = {T:g}; got {cap:g}."
            )
        if not adaptive:
            raise ValueError(
                "`t_cap` bounds an adaptive run: it needs adaptive rules and no `t_max`; got "
                f"t_max={t_max}, rules={rules_.name!r} (adaptive={rules_.adaptive})."
            )
        first = min(first, cap)
    if first < 8 * dt:
        name = "t_max" if t_max is not None else "t_cap"
        raise ValueError(f"`{name}` must be >= 8 dt = {8 * dt:g}; got {first:g}.")
    # --- issue 19: estimate the work, memory and wave phases before anything is allocated
    # (an adaptive run is checked at its cap, the longest it may run)
    _check_simulation(
        T=T, turbulence=turb, n_particles=s.n_particles, n_waves=s.n_waves, dt=dt,
        t_max=(rules_.max_extension * first if t_cap is None else cap) if adaptive else first,
        n_save=s.n_save, dt_given=dt_given, t_max_given=t_max is not None,
        shared_field=s.shared_field,
        keep_waves=adaptive and not s.shared_field,  # an adaptive run continues its blocks
    )  # fmt: skip
    n_steps = math.ceil(first / dt)
    save_every = max(1, n_steps // s.n_save)
    n_steps = save_every * math.ceil(n_steps / save_every)
    if adaptive and t_cap is None:
        cap = rules_.max_extension * n_steps * dt
    ss = _seed_sequence(seed)
    return SimulationConfig(
        T=T,
        mu=mu,
        turbulence=turb,
        n_particles=s.n_particles,
        n_waves=s.n_waves,
        dt=dt,
        t_max=n_steps * dt,
        n_steps=n_steps,
        save_every=save_every,
        shared_field=s.shared_field,
        seed_entropy=int(ss.entropy),  # type: ignore[arg-type]
        seed_spawn_key=tuple(int(k) for k in ss.spawn_key),
        rules=rules_,
        adaptive=adaptive,
        t_cap=cap,
        converge=s.converge,
        backend=s.backend,
    )


def _resolve_turbulence(
    turbulence: Turbulence | None,
    *,
    model: str,
    b: float | None,
    lambda_perp: float | None,
    lambda_par: float | None,
    anisotropy: float | None,
    k_perp_range: tuple[float, float] | None,
    k_par_range: tuple[float, float] | None,
) -> Turbulence:
    """The turbulence object: given, or built from the model's parameters."""
    if turbulence is not None:
        if not isinstance(turbulence, Turbulence):
            raise TypeError(
                "`turbulence` must be a crtransport.turbulence model (TwoDTurbulence, ...); got "
                f"{type(turbulence).__name__}."
            )
        given = {
            "b": b,
            "lambda_perp": lambda_perp,
            "lambda_par": lambda_par,
            "anisotropy": anisotropy,
            "k_perp_range": k_perp_range,
            "k_par_range": k_par_range,
        }
        clash = [name for name, value in given.items() if value is not None]
        if clash:
            raise ValueError(
                f"`turbulence` fixes the field; do not also give {', '.join(clash)} "
                "(set them on the turbulence object)."
            )
        return turbulence
    if b is None:
        raise TypeError("simulate() needs `b` (or a `turbulence` object).")
    if model == "slab":
        if lambda_par is None:
            raise ValueError(
                "model 'slab' needs its bend-over scale `lambda_par` in rho0 (or `R` = r_L / "
                "lambda_par with `T`)."
            )
        return make_turbulence(
            "slab",
            b=b,
            lambda_perp=lambda_par,
            lambda_par=lambda_par,
            k_par_range=k_par_range,
            k_perp_range=k_perp_range,
        )
    if lambda_perp is None:
        raise TypeError("simulate() needs `lambda_perp` (or `R`, or a `turbulence` object).")
    if anisotropy is not None:
        if lambda_par is not None:
            raise ValueError(
                "give `lambda_par` or `anisotropy` (= lambda_par / lambda_perp), not both; got "
                f"lambda_par={lambda_par}, anisotropy={anisotropy}."
            )
        anisotropy = check_real("anisotropy", anisotropy, low=0.0, low_open=True)
        lambda_par = anisotropy * check_real("lambda_perp", lambda_perp, low=0.0, low_open=True)
    return make_turbulence(
        model,  # type: ignore[arg-type]
        b=b,
        lambda_perp=lambda_perp,
        lambda_par=lambda_par,
        k_perp_range=k_perp_range,
        k_par_range=k_par_range,
    )


def simulate(
    T: float | None = None,
    b: float | None = None,
    lambda_perp: float | None = None,
    *,
    R: float | None = None,
    anisotropy: float | None = None,
    lambda_par: float | None = None,
    turbulence: Turbulence | None = None,
    mu: PitchAngle = 0.5,
    n_particles: int = _D["n_particles"],
    n_waves: int = _D["n_waves"],
    dt: float | None = _D["dt"],
    t_max: float | None = _D["t_max"],
    t_cap: float | None = _D["t_cap"],
    k_perp_range: tuple[float, float] | None = _D["k_perp_range"],
    k_par_range: tuple[float, float] | None = _D["k_par_range"],
    model: ModelName = _D["model"],
    rules: str | RunRules = _D["rules"],
    converge: Converge = _D["converge"],
    seed: Seed = 0,
    n_save: int = _D["n_save"],
    shared_field: bool = _D["shared_field"],
    backend: Backend = _D["backend"],
    settings: SimulationSettings | None = None,
    progress: bool | None = False,
) -> SimulationResult:
    r"""Run the test-particle experiment and return diffusion coefficients.

    An ensemble of ``n_particles`` particles of kinetic energy ``T`` and pitch cosine ``mu``
    (or isotropic pitch angles) starts at the origin, each in its own realization of
    ``n_waves`` waves (the paper's method), and is pushed with the relativistic Boris scheme;
    the running D(t), the asymptotic D_perp and D_par with errors, plateau flags and
    transport-regime exponents come back. All quantities are in the paper's scaled units
    (:mod:`crtransport.units`).

    By default the run is adaptive: it starts at ``max(8 tau_c, 10 gyrations)`` and grows by half
    until the coefficient(s) named by ``converge`` reach a plateau
    (:func:`crtransport.transport.plateau_reached`) or the cap (``t_cap``, default 16 times
    the first length); ``stop_reason`` says which. Every numerical choice is made in units
    where magnetostatic transport is self-similar (:class:`RunRules`), so
    ``D / (v lambda_perp)`` depends only on ``R = r_L / lambda_perp``, ``b``, the anisotropy,
    ``mu`` and the model (:meth:`SimulationResult.reduced`). ``rules="paper"`` reproduces the
    rules of crtransport 0.1, with which the shipped paper database was built.

    Parameters
    ----------
    T : float, optional
        Kinetic energy in m c^2, > 0 (protons: 1 is 0.938 GeV). Give two of ``T``,
        ``lambda_perp`` and ``R``, or ``R`` alone (then ``T = 1``).
    b : float
        RMS turbulent field in B0, >= 0 (unless ``turbulence`` is given).
    lambda_perp : float, optional
        Perpendicular bend-over scale in rho0, > 0 (for ``model='isotropic'`` the bend-over
        scale of the isotropic spectrum).
    R : float, optional
        ``r_L / lambda_perp`` with ``r_L = gamma v`` in B0, > 0: the dimensionless rigidity.
    anisotropy : float, optional
        ``lambda_par / lambda_perp``, > 0 (alternative to ``lambda_par``).
    lambda_par : float, optional
        Parallel bend-over scale in rho0, > 0; default ``10 * lambda_perp`` (the paper) for
        '2d' and 'composite'; required (or ``anisotropy``) for 'slab'.
    turbulence : crtransport.turbulence.Turbulence, optional
        A turbulence object (any spectrum the turbulence layer can express, e.g.
        ``IsotropicTurbulence(b=1, lambda_iso=1, q=4)``) instead of ``model``, ``b``, the
        scales and the bands.
    mu : float or 'isotropic', default: 0.5
        Initial pitch cosine v_par / v in [-1, 1], or ``'isotropic'``: each particle's drawn
        uniformly in [-1, 1] (pitch-angle averaged coefficients, as propagation codes use).
    n_particles : int, default: 10_000
        Ensemble size, >= 2.
    n_waves : int, default: 500
        Waves per realization, >= 1.
    dt : float, optional
        Time step in 1/omega_c; default: the rules' step (:meth:`RunRules.dt`).
    t_max : float, optional
        Fixed run length in 1/omega_c (no adaptive extension).
    t_cap : float, optional
        Longest adaptive run in 1/omega_c, at least one gyro-period ``2 pi gamma``; default
        ``max_extension`` (16) times the first length.
    k_perp_range, k_par_range : (float, float), optional
        Wave-number bands in 1/rho0; default ``(0, 1000 / lambda)`` (``DEFAULT_K_BAND``).
    model : {'2d', 'slab', 'isotropic', 'composite'}, default: '2d'
        Turbulence model (:func:`crtransport.turbulence.make_turbulence`).
    rules : {'default', 'paper'} or RunRules, default: 'default'
        Time-step and run-length rules (:data:`RUN_RULES`).
    converge : {'perp', 'par', 'both'}, default: 'perp'
        Which coefficient(s) an adaptive run waits for. D_par in 2D turbulence at small ``b``
        needs long runs (weak pitch-angle scattering): ask for it when you need it.
    seed : int, SeedSequence or Generator, default: 0
        Randomness; the same seed gives bit-identical results for any number of threads.
    n_save : int, default: 200
        Approximate number of output times for the running coefficients, >= 8 (an adaptive
        run keeps between ``n_save`` and ``2 n_save`` by thinning as it extends).
    shared_field : bool, default: False
        All particles in one realization, starting at points spread uniformly over a box of
        100 bend-over scales in each direction (instead of one realization per particle).
    backend : {'numba', 'jax'}, default: 'numba'
        Pusher (:func:`crtransport.pusher.propagate`): the Numba kernel on the CPU, or the
        same scheme in JAX, for a GPU (:doc:`/guide/gpu`). The same seed gives the same waves
        and initial conditions on both; the trajectories agree to round-off and D within its
        statistical error; each backend reproduces its own numbers bit for bit.
    settings : SimulationSettings, optional
        The numerical settings (``n_particles`` to ``backend`` above) as one validated object,
        instead of the keywords: the same run as the keywords of the same values. With it,
        those keywords must keep their defaults.
    progress : bool or None, default: False
        Show a tqdm progress bar on stderr that counts the blocks of particles pushed, stretch
        by stretch of an adaptive run, with the time reached. None shows it only when stderr
        is a terminal (what ``crtransport simulate`` does). It changes no number.

    Returns
    -------
    SimulationResult

    Raises
    ------
    ValueError
        If ``T <= 0``, ``R <= 0``, ``b < 0``, a scale ``<= 0``, ``mu`` outside [-1, 1] or an
        unknown string, a value is not finite, ``n_particles < 2``, ``n_waves < 1``, ``dt`` or
        ``t_max <= 0``, ``t_max < 8 dt``, ``t_cap`` shorter than one gyration, a band is empty,
        ``model``, ``rules`` or ``converge`` is unknown, or the inputs over-determine the run
        (``T``, ``lambda_perp`` and ``R`` together; a ``turbulence`` object and field
        parameters; ``settings`` and setting keywords).

    Warns
    -----
    AccuracyWarning
        If ``dt`` is too coarse to resolve the gyration (the message gives the numbers).

    Examples
    --------
    >>> import crtransport as crt
    >>> res = crt.simulate(T=1.0, b=0.2, lambda_perp=5.0, n_particles=64, n_waves=32,
    ...                    t_max=200.0, seed=1)
    >>> res.running["D_perp"].dims, res.config.n_particles, res.stop_reason
    (('time',), 64, 'fixed')
    >>> iso = crt.simulate(R=0.5, b=0.5, anisotropy=10.0, mu="isotropic", n_particles=64,
    ...                    n_waves=32, t_max=200.0, seed=1)
    >>> round(iso.reduced()["R"], 12), iso.config.T
    (0.5, 1.0)
    """
    t0 = time.perf_counter()
    config = resolve_config(
        T,
        b,
        lambda_perp,
        R=R,
        anisotropy=anisotropy,
        lambda_par=lambda_par,
        turbulence=turbulence,
        mu=mu,
        n_particles=n_particles,
        n_waves=n_waves,
        dt=dt,
        t_max=t_max,
        t_cap=t_cap,
        k_perp_range=k_perp_range,
        k_par_range=k_par_range,
        model=model,
        rules=rules,
        converge=converge,
        seed=seed,
        n_save=n_save,
        shared_field=shared_field,
        backend=backend,
        settings=settings,
    )
    return run(config, _t0=t0, progress=progress)


def run(
    config: SimulationConfig, *, _t0: float | None = None, progress: bool | None = False
) -> SimulationResult:
    """Run a resolved :class:`SimulationConfig` (what :func:`simulate` does after resolving).

    ``progress`` as in :func:`simulate`.
    """
    t0 = time.perf_counter() if _t0 is None else _t0
    with _progress_bar(config, progress) as bar:
        return _run(config, t0, bar)


def _progress_bar(config: SimulationConfig, progress: bool | None) -> Any:
    """A tqdm bar over the blocks of particles (disabled unless ``progress``; None: on a TTY)."""
    from tqdm.auto import tqdm

    return tqdm(
        total=-(-config.n_particles // BLOCK_SIZE),
        unit="block",
        desc=f"crtransport simulate t={config.n_steps * config.dt:.4g}",
        disable=(not progress) if progress is not None else None,
        dynamic_ncols=True,
        leave=False,
    )


def _run(config: SimulationConfig, t0: float, bar: Any) -> SimulationResult:
    ensemble = _Ensemble(config, bar)
    while True:
        perp, par = ensemble.estimates()
        times, disp, gc = ensemble.times, ensemble.displacement, ensemble.gc_displacement
        verdicts = {
            "perp": _plateau(perp, times, gc, "perp", config),
            "par": _plateau(par, times, disp, "par", config),
        }
        flags = {k: v[0] for k, v in verdicts.items()}
        stop: StopReason
        if not config.adaptive:
            stop = "fixed"
            break
        wanted = ("perp", "par") if config.converge == "both" else (config.converge,)
        if all(flags[w] for w in wanted):
            stop = "plateau"
            break
        if not ensemble.can_extend():
            stop = "cap"
            break
        if _is_ballistic(config, ensemble, flags, wanted):
            stop = "ballistic"
            break
        ensemble.extend()
    running = running_diffusion(times, disp)
    running.attrs.update(model=config.model, T=config.T, b=config.b, mu=config.mu)
    return SimulationResult(
        D_perp=perp.value,
        D_perp_err=perp.error,
        D_par=par.value,
        D_par_err=par.error,
        converged=flags["perp"],
        converged_par=flags["par"],
        running=running,
        perp=perp,
        par=par,
        config=config,
        wall_time=time.perf_counter() - t0,
        acceptance_rate=ensemble.acceptance_rate,
        regime_perp=verdicts["perp"][1] or transport_exponent(times, gc, direction="perp"),
        regime_par=verdicts["par"][1] or transport_exponent(times, disp, direction="par"),
        stop_reason=stop,
        t_end=float(ensemble.n_steps * config.dt),
        n_steps=ensemble.n_steps,
        wave_evaluations=ensemble.n_steps * config.n_particles * config.n_waves,
    )


def _is_ballistic(
    config: SimulationConfig, ensemble: Any, flags: dict[str, bool], wanted: tuple[str, ...]
) -> bool:
    """The rules' ballistic stop (:class:`RunRules` ``ballistic_alpha``): every requested
    coefficient without a plateau still ballistic over the last decade, after
    ``ballistic_after`` first lengths."""
    rules = config.rules
    if rules.ballistic_alpha is None or ensemble.n_steps < rules.ballistic_after * config.n_steps:
        return False
    open_ = [w for w in wanted if not flags[w]]
    shown = {"perp": ensemble.gc_displacement, "par": ensemble.displacement}
    return bool(open_) and all(
        transport_exponent(ensemble.times, shown[w], direction=w).alpha  # type: ignore[arg-type]
        >= rules.ballistic_alpha
        for w in open_
    )


#: The plateau decision's exponents: over the last half decade, within max(0.1, 2 sigma) of 1
#: (catches a coefficient still rising or falling at the end) ...
DECISION_HALF_DECADE = (0.5, 0.1, 2.0)
#: ... and over the last decade, within max(0.2, 2 sigma) of 1 (catches a slow power law that
#: the noisier half-decade fit misses, such as compound sub-diffusion, alpha ~ 1/2).
DECISION_DECADE = (1.0, 0.2, 2.0)


def _plateau(
    estimate: DiffusionEstimate,
    times: np.ndarray,
    displacement: np.ndarray,
    direction: str,
    config: SimulationConfig,
) -> tuple[bool, TransportRegime | None]:
    """The convergence flag: a plateau of the running slope and a diffusive exponent.

    ``plateau_reached`` (the late window's slope agrees with the previous window's within the
    rules' tolerance plus 2 sigma), the exponent of the mean-square displacement over the last
    half decade within ``max(0.1, 2 sigma)`` of 1, and over the last decade within
    ``max(0.2, 2 sigma)`` of 1. The half decade lets a run stop once it has been diffusive for
    a factor of 3 in time and catches a coefficient still rising at the end; the decade, with
    its smaller error, catches a slow power law (compound sub-diffusion in slab turbulence reads
    ``0.71 +- 0.20`` over the half decade at 1000 particles, ``0.50 +- 0.08`` over the decade).
    Returns the flag and, where it is set, the half-decade exponent that confirmed it (reported
    as the regime, so that flag and regime never contradict); else None (the last decade is
    reported).
    """
    tolerance = config.rules.plateau_tolerance
    if tolerance is None:
        return estimate.converged, None  # crtransport 0.1's 3-sigma flag ("paper" rules)
    if not plateau_reached(estimate, tolerance):
        return False, None
    half_decade = None
    for decades, band, sigmas in (DECISION_HALF_DECADE, DECISION_DECADE):
        reg = transport_exponent(
            times,
            displacement,
            direction=direction,  # type: ignore[arg-type]
            decades=decades,
            sigmas=sigmas,
        )
        if abs(reg.alpha - 1.0) > max(band, sigmas * reg.alpha_err):
            return False, None
        if half_decade is None:
            half_decade = reg
    return True, half_decade


class _Ensemble:
    """The particles of one run, pushed block by block, extendable in time.

    Block ``i`` draws everything it needs (waves, pitch cosines, gyro-phases, starting points)
    from its own child seed ``(1, i)``, so the result does not depend on how blocks are
    scheduled. The sampling of block ``i + 1`` (NumPy, one core) runs in a background thread
    while the Numba kernel (which releases the GIL) pushes block ``i`` on all cores. A fixed run
    keeps one block's waves in memory at a time; an adaptive one keeps every block's (about
    28 MB per 1000 particles at 500 waves) to continue them.
    """

    def __init__(self, config: SimulationConfig, bar: Any = None) -> None:
        self.config = config
        self._bar = bar
        n = config.n_particles
        self._starts = list(range(0, n, BLOCK_SIZE))
        self._blocks: list[tuple[Any, Any, Any]] = []  # (modes, realization, last state)
        self.save_every = config.save_every
        self.n_steps = 0
        ss = config.seed_sequence()
        turb = config.turbulence
        sampler = config.rules.sampler
        self._shared = None
        if config.shared_field:
            self._shared = turb.sample(config.n_waves, 1, seed=_child(ss, 0), method=sampler)
        n_save = self._n_save = config.n_steps // config.save_every
        self.displacement = np.empty((n, n_save, 3))
        self.gc_displacement = np.empty((n, n_save, 3))
        acceptance = []

        def prepare(block: int):
            m = min(BLOCK_SIZE, n - self._starts[block])
            rng = np.random.default_rng(_child(ss, 1, block))
            if self._shared is None:
                modes = turb.sample(config.n_waves, m, seed=rng, method=sampler)
                positions, realization = None, None
            else:
                # shared field: starting points spread over 100 correlation lengths
                scale = 100.0 * np.array(
                    [turb.perpendicular_length] * 2 + [turb.decorrelation_length]
                )
                modes, realization = self._shared, 0
                positions = rng.uniform(0.0, 1.0, (m, 3)) * scale
            mu = rng.uniform(-1.0, 1.0, m) if config.is_isotropic else config.mu
            pos, mom = initial_conditions(
                config.T, mu, m, seed=rng, positions=positions, momentum=momentum
            )
            return modes, pos, mom, realization

        keep = config.adaptive
        momentum = config.rules.momentum(config.T)
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="crtransport-sample") as pool:
            upcoming = pool.submit(prepare, 0)
            for block, start in enumerate(self._starts):
                modes, pos, mom, realization = upcoming.result()
                if block + 1 < len(self._starts):
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
                    backend=config.backend,
                )
                stop = start + out.displacement.shape[0]
                self.displacement[start:stop] = out.displacement
                self.gc_displacement[start:stop] = out.gc_displacement
                if keep:
                    self._blocks.append((modes, realization, _last_state(out)))
                if bar is not None:
                    bar.update(1)
        self.n_steps = config.n_steps
        self.acceptance_rate = float(np.mean(acceptance))

    @property
    def times(self) -> np.ndarray:
        """The saved times, multiples of ``save_every * dt``."""
        n_save = self.displacement.shape[1]
        return np.arange(1, n_save + 1) * (self.save_every * self.config.dt)

    def estimates(self) -> tuple[DiffusionEstimate, DiffusionEstimate]:
        """Asymptotic D_perp (on the guiding centres) and D_par over the run so far."""
        # The asymptotic D_perp is estimated on the guiding centres: same limit (they differ
        # from the particles by at most two Larmor radii) without the gyration's coherent
        # oscillation of the mean-square displacement, which biases the late-time slope when b
        # is small.
        perp = asymptotic_diffusion(self.times, self.gc_displacement, direction="perp")
        par = asymptotic_diffusion(self.times, self.displacement, direction="par")
        return perp, par

    def extend(self) -> None:
        """Lengthen the run by the rules' growth factor, up to the cap.

        The new stretch is a whole number of save intervals, so the saved times stay the
        multiples of ``save_every * dt``; once more than twice the first count are saved (and
        an even number), every other one is dropped and ``save_every`` doubles.
        """
        config = self.config
        se = self.save_every
        more = se * math.ceil(self.n_steps * (config.rules.growth - 1.0) / se)
        more = min(more, se * ((self._cap_steps - self.n_steps) // se))
        if more < se:
            raise RuntimeError("extend() past the cap")  # pragma: no cover - run() checks
        bar = self._bar
        if bar is not None:  # one more stretch: every block again
            bar.total += len(self._blocks)
            bar.set_description(
                f"crtransport simulate t={(self.n_steps + more) * config.dt:.4g}", refresh=False
            )
            bar.refresh()
        parts, gc_parts = [], []
        for i, (modes, realization, state) in enumerate(self._blocks):
            out = propagate(
                modes,
                state.final_positions,
                state.final_momenta,
                dt=config.dt,
                n_steps=more,
                save_every=se,
                realization=realization,
                resume=state,
                backend=config.backend,
            )
            self._blocks[i] = (modes, realization, _last_state(out))
            if bar is not None:
                bar.update(1)
            parts.append(out.displacement)
            gc_parts.append(out.gc_displacement)
        new, new_gc = np.concatenate(parts), np.concatenate(gc_parts)
        self.n_steps += more
        before = self.displacement.shape[1]
        count = before + new.shape[1]
        if count > 2 * self._n_save and count % 2 == 0:
            # saved steps are k * se, k = 1..count: keep the even k, multiples of 2 se (the
            # new part's first index is k = before + 1); one copy, no thinned intermediate
            first = (before + 1) % 2
            self.displacement = np.concatenate(
                [self.displacement[:, 1::2], new[:, first::2]], axis=1
            )
            self.gc_displacement = np.concatenate(
                [self.gc_displacement[:, 1::2], new_gc[:, first::2]], axis=1
            )
            self.save_every = 2 * se
        else:
            self.displacement = np.concatenate([self.displacement, new], axis=1)
            self.gc_displacement = np.concatenate([self.gc_displacement, new_gc], axis=1)

    def can_extend(self) -> bool:
        """Whether at least one more save interval fits under the cap."""
        return self.n_steps + self.save_every <= self._cap_steps

    @property
    def _cap_steps(self) -> int:
        """Steps in ``t_cap`` (rounded down, allowing for its rounding to whole saves)."""
        return int(self.config.t_cap / self.config.dt * (1.0 + 1e-12))


def _last_state(out: Displacements) -> Displacements:
    """The run's final state and origins only: the saved displacements are dropped (copies of
    the last save, not views, so that the block's full arrays can be freed)."""
    return dataclasses.replace(
        out,
        times=out.times[-1:].copy(),
        displacement=out.displacement[:, -1:].copy(),
        gc_displacement=out.gc_displacement[:, -1:].copy(),
    )
