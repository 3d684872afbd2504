"""Turbulence models: spectra, parameters and sampling of wave realizations.

Every model is a frozen configuration whose :meth:`sample` draws :class:`WaveModes`. All lengths
are in rho0 and wave numbers in 1/rho0 (see :mod:`crtransport.units`).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from crtransport._validation import (
    check_choice,
    check_int,
    check_range,
    check_real,
    check_seed,
)
from crtransport.turbulence._kernels import N_TABLE_ROWS, quantile_kernel, two_d_tables_kernel
from crtransport.turbulence._modes import WaveModes
from crtransport.turbulence._sampling import BendOverDensity, bendover_quantiles, rejection_sample

__all__ = [
    "DEFAULT_K_BAND",
    "CompositeTurbulence",
    "IsotropicTurbulence",
    "SlabTurbulence",
    "Turbulence",
    "TwoDTurbulence",
    "bendover_density",
    "make_turbulence",
]

#: Default wave-number band in units of the bend-over wave number 1/lambda: (0, 1000).
#: Waves beyond it carry about 1.5 % of the power of a k^(-5/3) spectrum; the convergence study
#: (docs, "Numerical convergence") shows D_perp does not move beyond its error when it widens.
DEFAULT_K_BAND: tuple[float, float] = (0.0, 1.0e3)

ModelName = Literal["2d", "slab", "isotropic", "composite"]
SampleMethod = Literal["rejection", "quantile"]
#: How :meth:`Turbulence.sample` can draw wave numbers.
SAMPLE_METHODS: tuple[str, ...] = ("rejection", "quantile")
Seed = int | np.random.SeedSequence | np.random.Generator


def bendover_density(x: ArrayLike, q: float, s: float) -> NDArray[np.float64]:
    r"""Bend-over spectral shape :math:`|x|^q / (1 + x^2)^{(s+q)/2}` (unnormalised).

    With ``x = k lambda``: energy range ``~ x^q``, inertial range ``~ x^-s``. See
    :class:`BendOverDensity` for the sampler-aware callable.
    """
    return BendOverDensity(q, s)(np.asarray(x, dtype=np.float64))


def _sample_bendover(
    rng: np.random.Generator,
    n: int,
    *,
    q: float,
    s: float,
    scale: Any,
    band: Any,
    symmetric: bool,
    method: str = "rejection",
) -> tuple[NDArray, float]:
    """Wave numbers (1/rho0) from the bend-over density with bend-over length ``scale``."""
    density = BendOverDensity(q, s)
    if method == "quantile":
        scaled = (band[0] * scale, band[1] * scale)
        x_at = bendover_quantiles(density, scaled)
        out = np.empty(n)
        low_power = 1.0 / (q + 1.0) if scaled[0] == 0.0 else 0.0
        quantile_kernel(rng.random(n), x_at, low_power, symmetric, out)
        out /= scale
        return out, 1.0
    res = rejection_sample(
        density,
        n,
        proposal=density.proposal(symmetric=symmetric),
        seed=rng,
        band=(band[0] * scale, band[1] * scale),
    )
    return res.values / scale, res.acceptance_rate


def _resolve_band(name: str, band: Any, scale: Any) -> tuple[float, float]:
    if band is None:
        return (DEFAULT_K_BAND[0] / scale, DEFAULT_K_BAND[1] / scale)
    return check_range(name, band)


def _check_band_mass(name: str, band: Any, scale: Any, q: float, s: float, symmetric: bool) -> None:
    """Refuse a band that holds no probability in float64 (issue 19: the sampler could not
    draw from it), naming the user's parameter instead of the sampler's internal ``band``."""
    scaled = (band[0] * scale, band[1] * scale)
    proposal = BendOverDensity(q, s).proposal(symmetric=symmetric)
    mass = proposal.band_mass(scaled) if all(not math.isnan(v) for v in scaled) else 0.0
    if not mass > 0.0:
        raise ValueError(
            f"`{name}` = ({band[0]:g}, {band[1]:g}) /rho0 holds a fraction {mass:.3g} of the "
            f"spectrum (in units of the bend-over wave number: ({scaled[0]:.3g}, "
            f"{scaled[1]:.3g})); no waves can be drawn from it. Choose a band that overlaps the "
            "spectrum, e.g. the default (0, 1000) / lambda."
        )


def _band_to_json(band: tuple[float, float]) -> list[float | None]:
    return [band[0], None if math.isinf(band[1]) else band[1]]


def _band_from_json(band: Any) -> tuple[float, float] | None:
    if band is None:
        return None
    return (float(band[0]), math.inf if band[1] is None else float(band[1]))


def _modes(
    n_real: int,
    n_waves: int,
    acceptance_rate: float,
    *,
    k: tuple[Any, Any, Any],
    phase: NDArray[np.float64],
    amplitude: tuple[Any, Any, Any],
) -> WaveModes:
    """Write flat per-wave arrays (or scalar constants) straight into the kernel layout."""
    tables = np.empty((n_real, 7, n_waves))
    # rows 0-3 hold half wave vectors and phases (see _kernels), rows 4-6 the amplitudes
    for i, (value, factor) in enumerate(
        [(v, 0.5) for v in (*k, phase)] + [(v, 1.0) for v in amplitude]
    ):
        if np.ndim(value):
            np.multiply(np.reshape(value, (n_real, n_waves)), factor, out=tables[:, i, :])
        else:
            tables[:, i, :] = factor * value
    return WaveModes.from_tables(tables, acceptance_rate)


def _unit_amplitude(b: float, n_waves: int) -> float:
    # each wave carries b sqrt(2/N): <b^2> = N * A^2 / 2 = b^2 for any set of wave vectors
    return b * math.sqrt(2.0 / n_waves)


class Turbulence:
    """Base of the turbulence models (not instantiated directly)."""

    model: ClassVar[str]
    _BANDS: ClassVar[tuple[str, ...]] = ()
    b: float

    def _check_spectrum(self, *scales: str) -> None:
        """Validate b, q, s and the named bend-over scales (frozen: set through object)."""
        checks: dict[str, dict[str, Any]] = {
            "b": {"low": 0.0},
            "q": {"low": -1.0, "low_open": True},
            "s": {"low": 1.0, "low_open": True},
        }
        checks.update({name: {"low": 0.0, "low_open": True} for name in scales})
        for name, bounds in checks.items():
            object.__setattr__(self, name, check_real(name, getattr(self, name), **bounds))

    def sample(
        self,
        n_waves: int,
        n_realizations: int = 1,
        *,
        seed: Seed = 0,
        method: SampleMethod = "rejection",
    ) -> WaveModes:
        """Draw ``n_realizations`` independent realizations of ``n_waves`` waves each.

        Parameters
        ----------
        n_waves : int
            Waves per realization, >= 1.
        n_realizations : int, default: 1
            Number of independent realizations, >= 1.
        seed : int, SeedSequence or Generator, default: 0
            Randomness; the same seed gives the same waves (for a given ``method``).
        method : {'rejection', 'quantile'}, default: 'rejection'
            How wave numbers are drawn. ``'rejection'``: exact acceptance-rejection
            (:func:`rejection_sample`), crtransport 0.1's draws. ``'quantile'``: one uniform per
            wave number through a cached quantile table of the same density
            (:func:`crtransport.turbulence._sampling.bendover_quantiles`, CDF error below
            1e-6), and for the 2D model the waves written by one fused kernel with the
            library's polynomial cosine: the same distribution, other random numbers, several
            times faster (``simulate``'s default rules use it).

        Returns
        -------
        WaveModes
        """
        n_waves = check_int("n_waves", n_waves, low=1)
        n_realizations = check_int("n_realizations", n_realizations, low=1)
        return self._sample(
            np.random.default_rng(check_seed("seed", seed)),
            n_waves,
            n_realizations,
            check_choice("method", method, SAMPLE_METHODS),
        )

    def _sample(
        self, rng: np.random.Generator, n_waves: int, n_real: int, method: str = "rejection"
    ) -> WaveModes:
        raise NotImplementedError

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dictionary of every parameter (bands resolved; inf written as None)."""
        out: dict[str, Any] = {"model": self.model}
        for f in dataclasses.fields(self):  # type: ignore[arg-type]
            value = getattr(self, f.name)
            if isinstance(value, Turbulence):
                value = value.to_dict()
            elif f.name in self._BANDS:
                value = _band_to_json(value)
            out[f.name] = value
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Turbulence:
        """Inverse of :meth:`to_dict`."""
        return make_turbulence_from_dict(data)

    @property
    def decorrelation_length(self) -> float:
        """Length along z over which the field decorrelates (rho0)."""
        raise NotImplementedError

    @property
    def perpendicular_length(self) -> float:
        """Length across z over which the field decorrelates, in rho0 (lambda_par for slab)."""
        return float(getattr(self, "lambda_perp", self.decorrelation_length))


@dataclass(frozen=True, slots=True, kw_only=True)
class TwoDTurbulence(Turbulence):
    r"""The paper's 2D model with finite parallel correlation (Palade 2023, eq. 2-6).

    :math:`\mathbf b = \hat e_z \times \nabla_\perp a_\parallel`, so ``b_z = 0`` and
    ``div b = 0``; wave vectors from

    .. math:: S(k_\perp, k_\parallel)\, d^3k \propto
              \frac{(k_\perp\lambda_\perp)^q}{(1+(k_\perp\lambda_\perp)^2)^{(s+q)/2}}
              \frac{dk_\perp\, d\phi\, dk_\parallel}{(1+(k_\parallel\lambda_\parallel)^2)^{s/2}}

    (the marginals are independent), each wave carrying field amplitude
    :math:`b\sqrt{2/N}` along :math:`\hat e_z \times \hat k_\perp`, so
    :math:`\langle b^2\rangle = b^2`. See the theory page for why eq. 4 is read as the field's
    spectrum.

    Parameters
    ----------
    b : float
        RMS turbulent field in B0, >= 0.
    lambda_perp : float
        Perpendicular bend-over scale in rho0, > 0.
    lambda_par : float, optional
        Parallel bend-over scale in rho0, > 0. Default: ``10 * lambda_perp`` (the paper).
    q : float, default: 3.0
        Energy-range index, > -1.
    s : float, default: 5/3
        Inertial-range index, > 1.
    k_perp_range, k_par_range : (float, float), optional
        Wave-number bands in 1/rho0 (``|k_par|`` for the parallel one). Default:
        ``DEFAULT_K_BAND / lambda``, i.e. ``(0, 1000 / lambda)``.

    Examples
    --------
    >>> from crtransport.turbulence import TwoDTurbulence
    >>> turb = TwoDTurbulence(b=0.2, lambda_perp=5.0)
    >>> turb.lambda_par
    50.0
    >>> modes = turb.sample(n_waves=500, n_realizations=2, seed=1)
    >>> modes.k.shape, bool(abs(modes.mean_square_field[0] - 0.04) < 1e-12)
    ((2, 500, 3), True)
    """

    model: ClassVar[str] = "2d"
    _BANDS: ClassVar[tuple[str, ...]] = ("k_perp_range", "k_par_range")

    b: float
    lambda_perp: float
    lambda_par: float | None = None
    q: float = 3.0
    s: float = 5.0 / 3.0
    k_perp_range: tuple[float, float] | None = None
    k_par_range: tuple[float, float] | None = None

    def __post_init__(self) -> None:
        if self.lambda_par is None:
            lambda_perp = check_real("lambda_perp", self.lambda_perp, low=0.0, low_open=True)
            object.__setattr__(self, "lambda_par", 10.0 * lambda_perp)
        self._check_spectrum("lambda_perp", "lambda_par")
        object.__setattr__(
            self, "k_perp_range", _resolve_band("k_perp_range", self.k_perp_range, self.lambda_perp)
        )
        object.__setattr__(
            self, "k_par_range", _resolve_band("k_par_range", self.k_par_range, self.lambda_par)
        )
        _check_band_mass("k_perp_range", self.k_perp_range, self.lambda_perp, self.q, self.s, False)
        _check_band_mass("k_par_range", self.k_par_range, self.lambda_par, 0.0, self.s, True)

    @property
    def decorrelation_length(self) -> float:
        return float(self.lambda_par)  # type: ignore[arg-type]

    def _sample(
        self, rng: np.random.Generator, n_waves: int, n_real: int, method: str = "rejection"
    ) -> WaveModes:
        n = n_waves * n_real
        k_perp, acc_perp = _sample_bendover(
            rng,
            n,
            q=self.q,
            s=self.s,
            scale=self.lambda_perp,
            band=self.k_perp_range,
            symmetric=False,
            method=method,
        )
        k_par, acc_par = _sample_bendover(
            rng,
            n,
            q=0.0,
            s=self.s,
            scale=self.lambda_par,
            band=self.k_par_range,
            symmetric=True,
            method=method,
        )
        amp = _unit_amplitude(self.b, n_waves)
        if method == "quantile":  # one fused pass: polynomial cos/sin straight into the tables
            tables = np.empty((n_real, N_TABLE_ROWS, n_waves))
            two_d_tables_kernel(k_perp, k_par, rng.random(n), rng.random(n), amp, tables)
            return WaveModes.from_tables(tables, 1.0)
        azimuth = rng.uniform(0.0, 2.0 * np.pi, n)
        phase = rng.uniform(0.0, 2.0 * np.pi, n)
        cos_a, sin_a = np.cos(azimuth), np.sin(azimuth)
        return _modes(
            n_real,
            n_waves,
            2.0 / (1.0 / acc_perp + 1.0 / acc_par),
            k=(k_perp * cos_a, k_perp * sin_a, k_par),
            phase=phase,
            amplitude=(-amp * sin_a, amp * cos_a, 0.0),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class SlabTurbulence(Turbulence):
    r"""Slab turbulence: ``b`` perpendicular to z and depending on z only.

    Wave vectors :math:`k_\parallel \hat e_z` from the bend-over density
    :math:`(k\lambda)^q / (1 + (k\lambda)^2)^{(s+q)/2}` in :math:`|k_\parallel|`, random sign,
    random linear polarisation in the x-y plane, amplitude :math:`b\sqrt{2/N}`.

    Parameters
    ----------
    b : float
        RMS turbulent field in B0, >= 0.
    lambda_par : float
        Bend-over scale along z in rho0, > 0.
    q : float, default: 0.0
        Energy-range index (0: flat at large scales, the usual slab spectrum), > -1.
    s : float, default: 5/3
        Inertial-range index, > 1.
    k_par_range : (float, float), optional
        Band of ``|k_par|`` in 1/rho0; default ``DEFAULT_K_BAND / lambda_par``.
    """

    model: ClassVar[str] = "slab"
    _BANDS: ClassVar[tuple[str, ...]] = ("k_par_range",)

    b: float
    lambda_par: float
    q: float = 0.0
    s: float = 5.0 / 3.0
    k_par_range: tuple[float, float] | None = None

    def __post_init__(self) -> None:
        self._check_spectrum("lambda_par")
        object.__setattr__(
            self, "k_par_range", _resolve_band("k_par_range", self.k_par_range, self.lambda_par)
        )
        _check_band_mass("k_par_range", self.k_par_range, self.lambda_par, self.q, self.s, True)

    @property
    def decorrelation_length(self) -> float:
        return float(self.lambda_par)

    def _sample(
        self, rng: np.random.Generator, n_waves: int, n_real: int, method: str = "rejection"
    ) -> WaveModes:
        n = n_waves * n_real
        k_par, acc = _sample_bendover(
            rng,
            n,
            q=self.q,
            s=self.s,
            scale=self.lambda_par,
            band=self.k_par_range,
            symmetric=True,
            method=method,
        )
        pol = rng.uniform(0.0, 2.0 * np.pi, n)
        phase = rng.uniform(0.0, 2.0 * np.pi, n)
        amp = _unit_amplitude(self.b, n_waves)
        return _modes(
            n_real,
            n_waves,
            acc,
            k=(0.0, 0.0, k_par),
            phase=phase,
            amplitude=(amp * np.cos(pol), amp * np.sin(pol), 0.0),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class IsotropicTurbulence(Turbulence):
    r"""Isotropic 3D turbulence (the plane-wave method of Giacalone & Jokipii 1999).

    ``|k|`` from the bend-over energy spectrum
    :math:`E(k) \propto (k l)^q / (1 + (k l)^2)^{(s+q)/2}`, directions uniform on the sphere,
    polarisation uniform in the plane perpendicular to ``k`` (so ``div b = 0``), amplitude
    :math:`b\sqrt{2/N}`.

    Parameters
    ----------
    b : float
        RMS turbulent field in B0, >= 0.
    lambda_iso : float
        Bend-over scale ``l`` in rho0, > 0.
    q : float, default: 0.0
        Energy-range index, > -1.
    s : float, default: 5/3
        Inertial-range index, > 1.
    k_range : (float, float), optional
        Band of ``|k|`` in 1/rho0; default ``DEFAULT_K_BAND / lambda_iso``.
    """

    model: ClassVar[str] = "isotropic"
    _BANDS: ClassVar[tuple[str, ...]] = ("k_range",)

    b: float
    lambda_iso: float
    q: float = 0.0
    s: float = 5.0 / 3.0
    k_range: tuple[float, float] | None = None

    def __post_init__(self) -> None:
        self._check_spectrum("lambda_iso")
        object.__setattr__(self, "k_range", _resolve_band("k_range", self.k_range, self.lambda_iso))
        _check_band_mass("k_range", self.k_range, self.lambda_iso, self.q, self.s, False)

    @property
    def decorrelation_length(self) -> float:
        return float(self.lambda_iso)

    def _sample(
        self, rng: np.random.Generator, n_waves: int, n_real: int, method: str = "rejection"
    ) -> WaveModes:
        n = n_waves * n_real
        kmag, acc = _sample_bendover(
            rng,
            n,
            q=self.q,
            s=self.s,
            scale=self.lambda_iso,
            band=self.k_range,
            symmetric=False,
            method=method,
        )
        cos_t = rng.uniform(-1.0, 1.0, n)
        phi = rng.uniform(0.0, 2.0 * np.pi, n)
        psi = rng.uniform(0.0, 2.0 * np.pi, n)
        phase = rng.uniform(0.0, 2.0 * np.pi, n)
        sin_t = np.sqrt(1.0 - cos_t**2)
        khat = np.stack([sin_t * np.cos(phi), sin_t * np.sin(phi), cos_t], axis=-1)
        # orthonormal basis (e1, e2) of the plane perpendicular to khat
        e1 = np.stack([-np.sin(phi), np.cos(phi), np.zeros(n)], axis=-1)
        e2 = np.cross(khat, e1)
        amp = _unit_amplitude(self.b, n_waves)
        amplitude = amp * (np.cos(psi)[:, None] * e1 + np.sin(psi)[:, None] * e2)
        k = kmag[:, None] * khat
        return _modes(
            n_real,
            n_waves,
            acc,
            k=(k[:, 0], k[:, 1], k[:, 2]),
            phase=phase,
            amplitude=(amplitude[:, 0], amplitude[:, 1], amplitude[:, 2]),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class CompositeTurbulence(Turbulence):
    """Composite slab + 2D turbulence (Bieber et al. 1996; 20 % slab energy by default).

    The two components are independent; their energies add:
    ``b^2 = b_slab^2 + b_2d^2`` with ``b_slab^2 = slab_fraction * b^2``. The waves of a
    realization are split evenly (the slab part gets ``n_waves // 2``).

    Parameters
    ----------
    b : float
        Total RMS turbulent field in B0, >= 0.
    lambda_perp : float
        Bend-over scale of the 2D component in rho0, > 0.
    lambda_par : float, optional
        Parallel bend-over scale (slab component and 2D parallel decorrelation), rho0.
        Default ``10 * lambda_perp``.
    slab_fraction : float, default: 0.2
        Fraction of the energy in the slab component, in [0, 1].
    q, s : float
        Spectral indices of the 2D component (defaults 3 and 5/3); the slab uses q = 0 and the
        same ``s``.
    k_perp_range, k_par_range : (float, float), optional
        Wave-number bands, as in :class:`TwoDTurbulence` (``k_par_range`` also bounds the slab).
    """

    model: ClassVar[str] = "composite"
    _BANDS: ClassVar[tuple[str, ...]] = ("k_perp_range", "k_par_range")

    b: float
    lambda_perp: float
    lambda_par: float | None = None
    slab_fraction: float = 0.2
    q: float = 3.0
    s: float = 5.0 / 3.0
    k_perp_range: tuple[float, float] | None = None
    k_par_range: tuple[float, float] | None = None

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        two_d = TwoDTurbulence(
            b=self.b,
            lambda_perp=self.lambda_perp,
            lambda_par=self.lambda_par,
            q=self.q,
            s=self.s,
            k_perp_range=self.k_perp_range,
            k_par_range=self.k_par_range,
        )
        set_(
            self,
            "slab_fraction",
            check_real("slab_fraction", self.slab_fraction, low=0.0, high=1.0),
        )
        for name in ("b", "lambda_perp", "lambda_par", "q", "s", "k_perp_range", "k_par_range"):
            set_(self, name, getattr(two_d, name))

    @property
    def decorrelation_length(self) -> float:
        return float(self.lambda_par)  # type: ignore[arg-type]

    def components(self) -> tuple[SlabTurbulence, TwoDTurbulence]:
        """The slab and 2D parts with their own amplitudes."""
        slab = SlabTurbulence(
            b=self.b * math.sqrt(self.slab_fraction),
            lambda_par=self.lambda_par,  # type: ignore[arg-type]
            s=self.s,
            k_par_range=self.k_par_range,
        )
        two_d = TwoDTurbulence(
            b=self.b * math.sqrt(1.0 - self.slab_fraction),
            lambda_perp=self.lambda_perp,
            lambda_par=self.lambda_par,
            q=self.q,
            s=self.s,
            k_perp_range=self.k_perp_range,
            k_par_range=self.k_par_range,
        )
        return slab, two_d

    def _sample(
        self, rng: np.random.Generator, n_waves: int, n_real: int, method: str = "rejection"
    ) -> WaveModes:
        if n_waves < 2:
            raise ValueError(f"`n_waves` must be >= 2 for the composite model; got {n_waves}.")
        slab, two_d = self.components()
        n_slab = n_waves // 2
        a = slab._sample(rng, n_slab, n_real, method)
        c = two_d._sample(rng, n_waves - n_slab, n_real, method)
        return WaveModes.from_tables(
            np.concatenate([a.tables, c.tables], axis=2),
            min(a.acceptance_rate, c.acceptance_rate),
        )


_MODELS: dict[str, type[Turbulence]] = {
    cls.model: cls
    for cls in (TwoDTurbulence, SlabTurbulence, IsotropicTurbulence, CompositeTurbulence)
}
#: The names :func:`make_turbulence` takes, in the order the docs list them.
MODEL_NAMES: tuple[str, ...] = tuple(_MODELS)


def make_turbulence(
    model: ModelName,
    *,
    b: float,
    lambda_perp: float,
    lambda_par: float | None = None,
    k_perp_range: tuple[float, float] | None = None,
    k_par_range: tuple[float, float] | None = None,
    **kwargs: Any,
) -> Turbulence:
    """Build a turbulence model from the parameters :func:`crtransport.simulate` takes.

    ``model`` is one of '2d', 'slab', 'isotropic', 'composite'. For 'slab' the bend-over scale
    is ``lambda_par`` (default ``10 lambda_perp``); for 'isotropic' it is ``lambda_perp`` and
    ``lambda_par``/``k_par_range`` must not be given; ``k_perp_range`` is then the band of ``|k|``.
    """
    check_choice("model", model, _MODELS)
    if model == "2d":
        return TwoDTurbulence(
            b=b,
            lambda_perp=lambda_perp,
            lambda_par=lambda_par,
            k_perp_range=k_perp_range,
            k_par_range=k_par_range,
            **kwargs,
        )
    if model == "composite":
        return CompositeTurbulence(
            b=b,
            lambda_perp=lambda_perp,
            lambda_par=lambda_par,
            k_perp_range=k_perp_range,
            k_par_range=k_par_range,
            **kwargs,
        )
    lambda_perp = check_real("lambda_perp", lambda_perp, low=0.0, low_open=True)
    if model == "slab":
        if k_perp_range is not None:
            raise ValueError("`k_perp_range` must be None for model 'slab' (k is along z).")
        lam = 10.0 * lambda_perp if lambda_par is None else lambda_par
        return SlabTurbulence(b=b, lambda_par=lam, k_par_range=k_par_range, **kwargs)
    if lambda_par is not None or k_par_range is not None:
        raise ValueError(
            "`lambda_par` and `k_par_range` must be None for model 'isotropic' (its scale is "
            f"`lambda_perp`); got lambda_par={lambda_par}, k_par_range={k_par_range}."
        )
    return IsotropicTurbulence(b=b, lambda_iso=lambda_perp, k_range=k_perp_range, **kwargs)


def make_turbulence_from_dict(data: Mapping[str, Any]) -> Turbulence:
    """Rebuild a model from :meth:`Turbulence.to_dict` output."""
    data = dict(data)
    model = check_choice("model", data.pop("model", None), _MODELS)
    cls = _MODELS[model]
    for name in cls._BANDS:
        if name in data:
            data[name] = _band_from_json(data[name])
    return cls(**data)
