"""How long and how finely a run is integrated: the time-step and run-length rules.

A :class:`RunRules` states every numerical choice of :func:`crtransport.simulate` that is not a
physical input, in the units in which the similarity of magnetostatic transport holds
(steps per gyration, fractions of a bend-over scale, parallel decorrelation times,
gyro-periods), so that two runs with the same ``R = r_L / lambda_perp``, ``b``, anisotropy,
``mu`` and model give the same ``D / (v lambda_perp)`` whatever ``T`` and ``lambda_perp`` are
(see the theory page, "Similarity").

Two presets ship (:data:`RUN_RULES`):

``"default"``
    Similarity-respecting and adaptive: at least 40 steps per gyration in the RMS field and at
    most half the smallest bend-over scale travelled per step; the run starts at
    ``max(8 tau_c, 10 gyrations)`` and grows by half until the requested coefficients reach a
    plateau or the cap (16 times the first length).
``"paper"``
    The rules the shipped paper database was built with (crtransport 0.1): the same step
    rules, capped at the paper's absolute ``2 pi / 10``, and a fixed run of
    ``max(10 tau_c, 20 gyrations)``. The cap breaks similarity at high energy (at ``T = 10``
    it takes 110 steps per gyration where 40 suffice); it is kept so that the paper database
    rebuilds bit for bit.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from crtransport import units
from crtransport._validation import check_choice, check_real
from crtransport.turbulence._models import SAMPLE_METHODS, SampleMethod, Turbulence

__all__ = ["PAPER_DT", "RUN_RULES", "RunRules", "get_run_rules"]

#: Smallest T the crtransport 0.1 kinematics (``kinematics='0.1'``) accept.
LEGACY_MIN_T = 1e-8
#: The paper's time step 2 pi / 10 (ten steps per non-relativistic gyro-period).
PAPER_DT = 2.0 * math.pi / 10.0


#: Fields added after crtransport 0.2.0, with their defaults (see :meth:`RunRules.to_dict`).
_LATER_FIELDS: dict[str, Any] = {"ballistic_alpha": None, "ballistic_after": 4.0}


@dataclass(frozen=True, slots=True, kw_only=True)
class RunRules:
    r"""Time-step and run-length rules of a simulation, in similarity units.

    Time step:

    .. math:: \delta t = \min\left(\frac{2\pi\gamma}{N_g\sqrt{1+b^2}},\
              f_c\,\frac{\lambda_{min}}{v},\ \delta t_{max}\right)

    (``N_g = steps_per_gyration`` in the RMS field, ``f_c = crossing_fraction`` of the smallest
    bend-over scale ``lambda_min`` of the model, ``dt_max = max_dt`` if set). Run length, with
    :math:`\tau_c = \lambda_\parallel / (v \max(\langle|\mu|\rangle, \mu_{floor}))` the parallel
    decorrelation time and :math:`2\pi\gamma` the gyro-period in B0:

    .. math:: t_1 = \max(n_\tau \tau_c,\ n_g\, 2\pi\gamma)

    A fixed run stops at ``t_1``; an adaptive one grows by ``growth`` until the requested
    coefficients reach a plateau or the length reaches ``max_extension * t_1``.

    Parameters
    ----------
    name : str
        Name recorded with every result and database built with these rules.
    steps_per_gyration : float, default: 40
        Minimum steps per gyration in the RMS field ``sqrt(1 + b^2)``, >= 4.
    crossing_fraction : float, default: 0.5
        Maximum path per step in units of the smallest bend-over scale, in (0, 10].
    max_dt : float or None, default: None
        Absolute cap on the step in 1/omega_c (the paper preset's 2 pi / 10). Not
        similarity-respecting: leave it None for new work.
    decorrelation_times : float, default: 8
        ``n_tau``: the first run length in parallel decorrelation times, > 0. Four were tried
        and rejected: over 26 points of the paper's cube they cost 2.1 times less than the
        paper's fixed ten, but D_perp came out systematically high (mean z +0.86, 6 points
        beyond 2 sigma): the running coefficient still falls after its overshoot by more
        than the plateau test can see at 10^4 particles (``benchmarks/results/``).
    min_gyrations : float, default: 10
        ``n_g``: the first run length is at least this many gyro-periods in B0, > 0.
    mu_floor : float, default: 0.1
        Floor on ``|mu|`` in ``tau_c`` (particles near 90 degrees still decorrelate by
        scattering), in (0, 1].
    adaptive : bool, default: True
        Extend the run until a plateau (else a fixed run of ``t_1``).
    growth : float, default: 1.5
        Factor by which an adaptive run lengthens at each extension, in (1, 4].
    max_extension : float, default: 16
        Cap of an adaptive run as a multiple of ``t_1``, >= 1.
    sampler : {'quantile', 'rejection'}, default: 'quantile'
        How wave numbers are drawn (:meth:`crtransport.turbulence.Turbulence.sample`'s
        ``method``): ``'quantile'``, one uniform per wave number through a cached quantile
        table and fused kernels (5x faster on 2 cores for 1e4 x 500 waves), or
        ``'rejection'``, crtransport 0.1's exact acceptance-rejection draws (the ``"paper"``
        preset keeps them, for its bit-for-bit rebuilds).
    kinematics : {'exact', '0.1'}, default: 'exact'
        How ``v`` and ``|u|`` follow from ``T``: ``'exact'`` as ``sqrt(T) sqrt(T + 2)`` (over
        ``1 + T`` for ``v``), without cancellation at any ``T``; ``'0.1'`` as crtransport 0.1
        did, ``sqrt(1 - 1/gamma^2)`` and ``sqrt(gamma^2 - 1)``, which differ from the exact
        values in the last bits (and lose all accuracy below ``T ~ 1e-8``). The ``"paper"``
        preset keeps ``'0.1'`` so that its database rebuilds bit for bit.
    plateau_tolerance : float or None, default: 0.05
        Relative tolerance of the plateau criterion, in (0, 1)
        (:func:`crtransport.transport.plateau_reached`). None keeps crtransport 0.1's flag
        (3 sigma, no tolerance; the ``"paper"`` preset), which can call a slowly falling
        running coefficient converged.
    ballistic_alpha : float or None, default: None
        Stop an adaptive run early (``stop_reason="ballistic"``) when every requested
        coefficient without a plateau still grows as :math:`\langle\Delta x^2\rangle \propto
        t^\alpha` with ``alpha >= ballistic_alpha`` over the last decade, once the run is
        ``ballistic_after`` times its first length; in (1, 2], or None (never). Such a
        coefficient has not begun to scatter: its mean free path lies beyond the run, and
        growing the run by half at a time up to the cap rarely reaches it (on the general
        database's first rows, none of three runs at alpha >= 1.67 after four first lengths
        reached a D_par plateau by sixteen, while five of five below 1.6 did).
    ballistic_after : float, default: 4
        When the ballistic stop may act, in first lengths, >= 1.
    """

    name: str = "custom"
    steps_per_gyration: float = 40.0
    crossing_fraction: float = 0.5
    max_dt: float | None = None
    decorrelation_times: float = 8.0
    min_gyrations: float = 10.0
    mu_floor: float = 0.1
    adaptive: bool = True
    growth: float = 1.5
    max_extension: float = 16.0
    sampler: SampleMethod = "quantile"
    kinematics: str = "exact"
    plateau_tolerance: float | None = 0.05
    ballistic_alpha: float | None = None
    ballistic_after: float = 4.0

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        if not isinstance(self.name, str) or not self.name:
            raise TypeError(f"`name` must be a non-empty string; got {self.name!r}.")
        checks: dict[str, dict[str, Any]] = {
            "steps_per_gyration": {"low": 4.0},
            "crossing_fraction": {"low": 0.0, "high": 10.0, "low_open": True},
            "decorrelation_times": {"low": 0.0, "low_open": True},
            "min_gyrations": {"low": 0.0, "low_open": True},
            "mu_floor": {"low": 0.0, "high": 1.0, "low_open": True},
            "growth": {"low": 1.0, "high": 4.0, "low_open": True},
            "max_extension": {"low": 1.0},
            "ballistic_after": {"low": 1.0},
        }
        for name, bounds in checks.items():
            set_(self, name, check_real(name, getattr(self, name), **bounds))
        if self.plateau_tolerance is not None:
            set_(
                self,
                "plateau_tolerance",
                check_real(
                    "plateau_tolerance",
                    self.plateau_tolerance,
                    low=0.0,
                    high=1.0,
                    low_open=True,
                    high_open=True,
                ),
            )
        if self.ballistic_alpha is not None:
            set_(
                self,
                "ballistic_alpha",
                check_real(
                    "ballistic_alpha", self.ballistic_alpha, low=1.0, high=2.0, low_open=True
                ),
            )
        if self.max_dt is not None:
            set_(self, "max_dt", check_real("max_dt", self.max_dt, low=0.0, low_open=True))
        check_choice("kinematics", self.kinematics, ("exact", "0.1"))
        check_choice("sampler", self.sampler, SAMPLE_METHODS)
        if not isinstance(self.adaptive, bool):
            raise TypeError(f"`adaptive` must be a bool; got {type(self.adaptive).__name__}.")

    # ------------------------------------------------------------------ the rules
    def speed(self, T: float) -> float:
        """Particle speed ``v`` in c for kinetic energy ``T`` (see ``kinematics``)."""
        if self.kinematics == "0.1":
            gamma = 1.0 + self._legacy_energy(T)
            return math.sqrt(1.0 - 1.0 / gamma**2)
        return float(units.speed_from_T(T))

    def momentum(self, T: float) -> float:
        """``|u| = gamma v`` in c for kinetic energy ``T`` (see ``kinematics``)."""
        if self.kinematics == "0.1":
            gamma = 1.0 + self._legacy_energy(T)
            return math.sqrt(gamma**2 - 1.0)
        return float(units.u_from_T(T))

    def _legacy_energy(self, T: float) -> float:
        # 1 - 1/gamma^2 keeps about 1e-8 relative accuracy down to T = 1e-8 and none below
        if not T >= LEGACY_MIN_T:
            raise ValueError(
                f"`T` = {T:g} is below {LEGACY_MIN_T:g}, where the {self.name!r} rules' "
                "kinematics ('0.1': v = sqrt(1 - 1/gamma^2)) lose their accuracy; use the "
                "default rules (exact at any T)."
            )
        return T

    def dt(self, T: float, b: float, turbulence: Turbulence | float) -> float:
        """Time step in 1/omega_c for kinetic energy ``T`` and RMS field ``b``.

        ``turbulence`` gives the smallest bend-over scale (a number is taken as that scale).
        """
        gamma = 1.0 + T
        v = self.speed(T)
        scale = (
            float(turbulence) if isinstance(turbulence, int | float) else smallest_scale(turbulence)
        )
        gyro = 2.0 * math.pi * gamma / (self.steps_per_gyration * math.sqrt(1.0 + b * b))
        dt = min(gyro, self.crossing_fraction * scale / v)
        return dt if self.max_dt is None else min(self.max_dt, dt)

    def first_length(self, T: float, mean_abs_mu: float, turbulence: Turbulence) -> float:
        """The first (for fixed rules: the only) run length ``t_1`` in 1/omega_c."""
        gamma = 1.0 + T
        v = self.speed(T)
        tau_c = turbulence.decorrelation_length / (v * max(abs(mean_abs_mu), self.mu_floor))
        return max(self.decorrelation_times * tau_c, self.min_gyrations * 2.0 * math.pi * gamma)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dictionary (feeds result metadata and database attributes).

        Fields added after crtransport 0.2.0 appear only when they differ from their
        defaults, so the rules recorded by earlier builds (and their resume fingerprints)
        read the same.
        """
        return {
            f.name: getattr(self, f.name)
            for f in dataclasses.fields(self)
            if f.name not in _LATER_FIELDS or getattr(self, f.name) != _LATER_FIELDS[f.name]
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RunRules:
        """Inverse of :meth:`to_dict`."""
        return cls(**dict(data))


def smallest_scale(turbulence: Turbulence) -> float:
    """The smallest bend-over scale of a model, in rho0 (the crossing rule's length)."""
    scales = [
        getattr(turbulence, name)
        for name in ("lambda_perp", "lambda_par", "lambda_iso")
        if getattr(turbulence, name, None) is not None
    ]
    return float(min(scales))


#: The shipped presets, by name.
RUN_RULES: dict[str, RunRules] = {
    "default": RunRules(name="default"),
    "paper": RunRules(
        name="paper",
        max_dt=PAPER_DT,
        decorrelation_times=10.0,
        min_gyrations=20.0,
        adaptive=False,
        sampler="rejection",
        kinematics="0.1",
        plateau_tolerance=None,
    ),
}


def get_run_rules(rules: str | RunRules | Mapping[str, Any]) -> RunRules:
    """A :class:`RunRules` from a preset name, an instance or its :meth:`~RunRules.to_dict`."""
    if isinstance(rules, RunRules):
        return rules
    if isinstance(rules, Mapping):
        return RunRules.from_dict(rules)
    return RUN_RULES[check_choice("rules", rules, RUN_RULES)]
