"""The numerical settings of a simulation: one declaration, read by every layer above.

:class:`SimulationSettings` lists the settings of :func:`crtransport.simulate` that are not the
physical inputs (energy, field, scales, pitch cosine) or the seed: ensemble size, waves, time
step and run length, wave-number bands, turbulence model, run rules, convergence target, output
times, field sharing and pusher backend. Each setting's default and allowed range are stated
here once; :func:`crtransport.simulate` and :func:`crtransport.resolve_config` take the same
names as keywords (with these defaults), the database builder records them
(:data:`SETTINGS_DEFAULTS`) and the command line builds its options from the fields.

This module imports nothing heavy (no Numba, xarray or JAX), so the command line can read it
for ``--help``; the checks that need the engine's tables (model names, run-rule presets)
import them when a settings object is made.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal

from crtransport._validation import check_choice, check_int, check_range, check_real

if TYPE_CHECKING:  # pragma: no cover
    from crtransport._run_rules import RunRules

__all__ = [
    "BACKENDS",
    "CONVERGE",
    "SETTINGS_DEFAULTS",
    "SimulationSettings",
    "merge_settings",
]

Converge = Literal["perp", "par", "both"]
Backend = Literal["numba", "jax"]
#: Which coefficient(s) an adaptive run waits for.
CONVERGE: tuple[str, ...] = ("perp", "par", "both")
#: The pushers of :func:`crtransport.pusher.propagate`.
BACKENDS: tuple[str, ...] = ("numba", "jax")


@dataclass(frozen=True, slots=True, kw_only=True)
class SimulationSettings:
    """The numerical settings of :func:`crtransport.simulate`, validated on construction.

    Everything a run needs besides its physical inputs (``T``, ``b``, the scales, ``mu``) and
    its ``seed``. Pass one to :func:`crtransport.simulate` or
    :func:`crtransport.resolve_config` as ``settings=`` instead of the keywords of the same
    names; make variants with ``dataclasses.replace``.

    Parameters
    ----------
    n_particles : int, default: 10_000
        Ensemble size, >= 2.
    n_waves : int, default: 500
        Waves per realization, >= 1.
    dt : float or None, default: None
        Time step in 1/omega_c, > 0; None: the rules' step (:meth:`RunRules.dt`).
    t_max : float or None, default: None
        Fixed run length in 1/omega_c, > 0 (no adaptive extension); None: the rules' length.
    t_cap : float or None, default: None
        Longest adaptive run in 1/omega_c (at least one gyro-period ``2 pi gamma``, checked
        against ``T`` when the run is resolved); None: ``max_extension`` times the first length.
    k_perp_range, k_par_range : (float, float) or None, default: None
        Wave-number bands in 1/rho0, ``0 <= min < max``; None: ``(0, 1000 / lambda)``.
    model : {'2d', 'slab', 'isotropic', 'composite'}, default: '2d'
        Turbulence model (:func:`crtransport.turbulence.make_turbulence`).
    rules : str, RunRules or dict, default: 'default'
        Time-step and run-length rules: a preset name (:data:`crtransport.RUN_RULES`), a
        :class:`~crtransport.RunRules` or its ``to_dict()``; stored as a RunRules.
    converge : {'perp', 'par', 'both'}, default: 'perp'
        Which coefficient(s) an adaptive run waits for.
    n_save : int, default: 200
        Approximate number of output times of the running coefficients, >= 8.
    shared_field : bool, default: False
        All particles in one realization (instead of one realization per particle).
    backend : {'numba', 'jax'}, default: 'numba'
        Pusher (:func:`crtransport.pusher.propagate`).

    Raises
    ------
    ValueError
        If a count or length is out of its range, a band is empty or negative, or ``model``,
        ``rules``, ``converge`` or ``backend`` is unknown (the message names the setting, the
        value and what is allowed).
    TypeError
        If a count is not an integer, a length not a real number or a band not a pair.

    Examples
    --------
    >>> import crtransport as crt
    >>> s = crt.SimulationSettings(n_particles=64, n_waves=32, t_max=200.0)
    >>> s.n_particles, s.rules.name
    (64, 'default')
    >>> crt.SimulationSettings(n_particles=1)
    Traceback (most recent call last):
    ...
    ValueError: `n_particles` must be an integer in [2, inf]; got 1.
    """

    n_particles: int = 10_000
    n_waves: int = 500
    dt: float | None = None
    t_max: float | None = None
    t_cap: float | None = None
    k_perp_range: tuple[float, float] | None = None
    k_par_range: tuple[float, float] | None = None
    model: str = "2d"
    rules: RunRules = "default"  # type: ignore[assignment]  # a preset, resolved on construction
    converge: Converge = "perp"
    n_save: int = 200
    shared_field: bool = False
    backend: Backend = "numba"

    def __post_init__(self) -> None:
        from crtransport._run_rules import get_run_rules
        from crtransport.turbulence._models import MODEL_NAMES

        set_ = object.__setattr__
        set_(self, "n_particles", check_int("n_particles", self.n_particles, low=2))
        set_(self, "n_waves", check_int("n_waves", self.n_waves, low=1))
        set_(self, "n_save", check_int("n_save", self.n_save, low=8))
        for name in ("dt", "t_max"):
            value = getattr(self, name)
            if value is not None:
                set_(self, name, check_real(name, value, low=0.0, low_open=True))
        if self.t_cap is not None:
            set_(self, "t_cap", check_real("t_cap", self.t_cap))
        for name in ("k_perp_range", "k_par_range"):
            value = getattr(self, name)
            if value is not None:
                set_(self, name, check_range(name, value))
        check_choice("model", self.model, MODEL_NAMES)
        set_(self, "rules", get_run_rules(self.rules))
        check_choice("converge", self.converge, CONVERGE)
        check_choice("backend", self.backend, BACKENDS)
        set_(self, "shared_field", bool(self.shared_field))

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dictionary (bands as lists, the rules as :meth:`RunRules.to_dict`)."""
        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        out["rules"] = self.rules.to_dict()
        for name in ("k_perp_range", "k_par_range"):
            if out[name] is not None:
                out[name] = list(out[name])
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SimulationSettings:
        """Inverse of :meth:`to_dict` (any subset of the fields; the rest take defaults)."""
        return cls(**dict(data))


#: Every setting's default, by name (the field defaults of :class:`SimulationSettings`).
SETTINGS_DEFAULTS: Mapping[str, Any] = MappingProxyType(
    {f.name: f.default for f in dataclasses.fields(SimulationSettings)}
)


def _is_default(name: str, value: Any) -> bool:
    default = SETTINGS_DEFAULTS[name]
    if value is default:
        return True
    try:
        return bool(value == default)
    except (TypeError, ValueError):  # arrays
        return False


def merge_settings(settings: SimulationSettings | None, **keywords: Any) -> SimulationSettings:
    """The settings of a call that takes both ``settings=`` and the keywords of its fields.

    Without ``settings`` the keywords make one (and are validated); with it, every keyword
    must keep its default: the settings of a run are stated one way.

    Raises
    ------
    TypeError
        If ``settings`` is not a :class:`SimulationSettings`.
    ValueError
        If ``settings`` is given together with keywords that differ from their defaults.
    """
    if settings is None:
        return SimulationSettings(**keywords)
    if not isinstance(settings, SimulationSettings):
        raise TypeError(
            f"`settings` must be a crtransport.SimulationSettings; got {type(settings).__name__}."
        )
    clash = [
        f"{name}={value!r}" for name, value in keywords.items() if not _is_default(name, value)
    ]
    if clash:
        raise ValueError(
            "give the simulation settings as `settings` or as keywords, not both; got `settings` "
            f"and {', '.join(clash)} (use dataclasses.replace(settings, ...) for a variant)."
        )
    return settings
