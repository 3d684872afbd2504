r"""The unit system of crtransport, stated once, and conversions to physical units.

Everything crtransport computes, stores and predicts is in the scaled units of Palade (2023),
section II A. With a particle of rest mass :math:`m` and charge :math:`q` in a mean field
:math:`B_0 \hat e_z`:

=======================  =========================================================
quantity                 unit
=======================  =========================================================
magnetic field           :math:`B_0`
time                     :math:`1/\omega_c`, :math:`\omega_c = |q| B_0 / m`
velocity                 :math:`c`
kinetic energy ``T``     :math:`m c^2` (protons: ``T = 1`` is 0.938 GeV)
length, ``lambda_*``     :math:`\rho_0 = m c / (|q| B_0)`
wave number              :math:`1/\rho_0`
diffusion coefficient    :math:`\rho_0^2 \omega_c = m c^2 / (|q| B_0)`
=======================  =========================================================

With :math:`u = \gamma v` (momentum per unit mass, in units of :math:`c`):
:math:`\gamma = 1 + T`, :math:`|v| = \sqrt{1 - 1/\gamma^2}`, :math:`|u| = \sqrt{\gamma^2 - 1}`.
The Larmor radius is :math:`\rho_L = |u_\perp| / |B|` and the gyro-period :math:`2\pi\gamma/|B|`.

Conversions to and from physical units (any species; energies in eV to PeV; fields in tesla,
gauss, nT or microgauss; lengths in m, cm, km, au, pc; diffusion in m^2/s or cm^2/s) live only
in this module. Quantities may be given as numbers with a separate unit string or as strings
such as ``"5nT"``, ``"1 GeV"`` or ``"0.01au"``.

Examples
--------
>>> from crtransport import units
>>> round(float(units.energy_to_scaled("1GeV")), 4)          # protons by default
1.0658
>>> round(float(units.length_from_scaled(1.0, B0="5nT", unit="au")), 5)   # rho0 in au
0.00418
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "ALPHA",
    "ELECTRON",
    "PROTON",
    "Species",
    "diffusion_from_scaled",
    "diffusion_to_scaled",
    "energy_from_scaled",
    "energy_to_scaled",
    "gamma_from_T",
    "get_species",
    "gyro_period",
    "larmor_radius",
    "length_from_scaled",
    "length_to_scaled",
    "omega_c",
    "parse_quantity",
    "rho0",
    "species_names",
    "speed_from_T",
    "time_from_scaled",
    "u_from_T",
    "unit_names",
]

#: Speed of light in m/s (exact).
C_LIGHT = 299_792_458.0
#: Astronomical unit in m (exact, IAU 2012).
AU = 149_597_870_700.0
#: Parsec in m.
PARSEC = 3.085_677_581_491_367e16

_ENERGY_EV = {"eV": 1.0, "keV": 1e3, "MeV": 1e6, "GeV": 1e9, "TeV": 1e12, "PeV": 1e15, "EeV": 1e18}
_FIELD_T = {
    "T": 1.0,
    "G": 1e-4,
    "mG": 1e-7,
    "uG": 1e-10,
    "µG": 1e-10,
    "μG": 1e-10,
    "microgauss": 1e-10,
    "nT": 1e-9,
}
_LENGTH_M = {"m": 1.0, "cm": 1e-2, "km": 1e3, "au": AU, "AU": AU, "pc": PARSEC, "kpc": 1e3 * PARSEC}
_DIFFUSION_M2S = {"m2/s": 1.0, "m^2/s": 1.0, "cm2/s": 1e-4, "cm^2/s": 1e-4}
_TIME_S = {"s": 1.0, "min": 60.0, "h": 3600.0, "day": 86400.0, "yr": 365.25 * 86400.0}


@dataclass(frozen=True, slots=True, kw_only=True)
class Species:
    """A charged particle species.

    Parameters
    ----------
    name : str
        Label used in metadata.
    rest_energy_eV : float
        Rest energy :math:`m c^2` in eV.
    charge_number : int
        Charge in units of the elementary charge (its sign is the charge sign).
    """

    name: str
    rest_energy_eV: float
    charge_number: int

    def __post_init__(self) -> None:
        if not (math.isfinite(self.rest_energy_eV) and self.rest_energy_eV > 0):
            raise ValueError(f"`rest_energy_eV` must be in (0, inf); got {self.rest_energy_eV!r}.")
        if self.charge_number == 0:
            raise ValueError("`charge_number` must be non-zero; got 0.")


PROTON = Species(name="proton", rest_energy_eV=938.272_088_16e6, charge_number=1)
ELECTRON = Species(name="electron", rest_energy_eV=0.510_998_950_00e6, charge_number=-1)
ALPHA = Species(name="alpha", rest_energy_eV=3727.379_4066e6, charge_number=2)
_SPECIES = {s.name: s for s in (PROTON, ELECTRON, ALPHA)}


def get_species(species: str | Species) -> Species:
    """Return a :class:`Species` from a name ('proton', 'electron', 'alpha') or a Species."""
    if isinstance(species, Species):
        return species
    if species not in _SPECIES:
        allowed = ", ".join(repr(s) for s in _SPECIES)
        raise ValueError(f"`species` must be one of {allowed} or a Species; got {species!r}.")
    return _SPECIES[species]


def species_names() -> tuple[str, ...]:
    """Names :func:`get_species` knows, e.g. ``('proton', 'electron', 'alpha')``."""
    return tuple(_SPECIES)


def unit_names(kind: str) -> tuple[str, ...]:
    """Unit spellings :func:`parse_quantity` accepts for ``kind``.

    Parameters
    ----------
    kind : {'energy', 'field', 'length', 'diffusion', 'time'}

    Examples
    --------
    >>> unit_names("energy")
    ('eV', 'keV', 'MeV', 'GeV', 'TeV', 'PeV', 'EeV')
    """
    tables = {
        "energy": _ENERGY_EV,
        "field": _FIELD_T,
        "length": _LENGTH_M,
        "diffusion": _DIFFUSION_M2S,
        "time": _TIME_S,
    }
    if kind not in tables:
        raise ValueError(f"`kind` must be one of {', '.join(map(repr, tables))}; got {kind!r}.")
    return tuple(tables[kind])


_QUANTITY = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*([^\s\d].*?)?\s*$")


def parse_quantity(value: Any, kind: str, unit: str | None = None) -> NDArray[np.float64]:
    """Convert ``value`` to SI (eV for energies) given a unit string or a string like ``"5nT"``.

    Parameters
    ----------
    value : float, array_like or str
        A number or array (then ``unit`` names its unit) or a string with number and unit.
    kind : {'energy', 'field', 'length', 'diffusion', 'time'}
        What the quantity is; fixes the allowed units and the SI unit returned (eV, T, m, m^2/s, s).
    unit : str, optional
        Unit of a numeric ``value``.

    Returns
    -------
    ndarray of float64
        The value in eV (energy), T (field), m (length), m^2/s (diffusion) or s (time).

    Raises
    ------
    ValueError
        If the unit is unknown for ``kind`` or the string cannot be parsed.
    """
    tables = {
        "energy": _ENERGY_EV,
        "field": _FIELD_T,
        "length": _LENGTH_M,
        "diffusion": _DIFFUSION_M2S,
        "time": _TIME_S,
    }
    if kind not in tables:
        raise ValueError(f"`kind` must be one of {', '.join(map(repr, tables))}; got {kind!r}.")
    table = tables[kind]
    if isinstance(value, str):
        match = _QUANTITY.match(value)
        if match is None or (match.group(2) is None and unit is None):
            raise ValueError(
                f"cannot read {value!r} as a {kind}: expected a number and a unit, e.g. "
                f"'1.5{next(iter(table))}'."
            )
        number = float(match.group(1))
        unit = match.group(2) or unit
        value = number
    if unit is None:
        raise ValueError(f"a numeric {kind} needs a `unit`; one of {', '.join(table)}.")
    if unit not in table:
        raise ValueError(f"`unit` for a {kind} must be one of {', '.join(table)}; got {unit!r}.")
    return np.asarray(value, dtype=np.float64) * table[unit]


# --------------------------------------------------------------------------- scaled kinematics


def gamma_from_T(T: ArrayLike) -> NDArray[np.float64]:
    """Lorentz factor :math:`\\gamma = 1 + T` for kinetic energy ``T`` in units of m c^2."""
    return 1.0 + np.asarray(T, dtype=np.float64)


def speed_from_T(T: ArrayLike) -> NDArray[np.float64]:
    """Speed :math:`|v|/c = \\sqrt{1 - 1/\\gamma^2}` for kinetic energy ``T`` in m c^2.

    Computed as :math:`\\sqrt{T}\\sqrt{T + 2}/(1 + T)`, which equals the formula above but
    has no cancellation: it keeps full float64 accuracy for ``T`` down to the smallest
    positive float (``1 - 1/gamma^2`` rounds to 0 below ``T ~ 1e-16``) and does not
    overflow up to ``T ~ 1e308``.
    """
    T = np.asarray(T, dtype=np.float64)
    return u_from_T(T) / (1.0 + T)


def u_from_T(T: ArrayLike) -> NDArray[np.float64]:
    """Momentum per unit mass :math:`|u| = \\gamma |v| = \\sqrt{\\gamma^2 - 1}` (units of c).

    Computed as :math:`\\sqrt{T}\\sqrt{T + 2}`, without the cancellation of
    ``gamma**2 - 1`` at small ``T`` and without overflow at large ``T``.
    """
    T = np.asarray(T, dtype=np.float64)
    return np.sqrt(T) * np.sqrt(T + 2.0)


def larmor_radius(T: ArrayLike, mu: ArrayLike = 0.0, B: ArrayLike = 1.0) -> NDArray[np.float64]:
    """Larmor radius :math:`\\rho_L = |u| \\sqrt{1-\\mu^2} / |B|` in units of rho0.

    ``B`` is in units of B0. At ``T = 1``, ``mu = 0`` this is :math:`\\sqrt 3 \\approx 1.73`,
    the paper's "rho_L ~ 1.7".
    """
    mu = np.asarray(mu, dtype=np.float64)
    return u_from_T(T) * np.sqrt(1.0 - mu**2) / np.asarray(B, dtype=np.float64)


def gyro_period(T: ArrayLike, B: ArrayLike = 1.0) -> NDArray[np.float64]:
    """Gyro-period :math:`2\\pi\\gamma/|B|` in units of 1/omega_c."""
    return 2.0 * np.pi * gamma_from_T(T) / np.asarray(B, dtype=np.float64)


# --------------------------------------------------------------------------- physical scales


def rho0(B0: Any, *, species: str | Species = "proton", unit: str | None = None) -> NDArray:
    """The length unit :math:`\\rho_0 = m c/(|q| B_0)` in metres.

    Parameters
    ----------
    B0 : float, array_like or str
        Mean field, e.g. ``"5nT"`` or ``5.0`` with ``unit="nT"``.
    species : str or Species, default: 'proton'
    unit : str, optional
        Unit of a numeric ``B0`` (T, G, mG, uG, nT).
    """
    sp = get_species(species)
    B0_T = _positive(parse_quantity(B0, "field", unit), "B0")
    return sp.rest_energy_eV / (abs(sp.charge_number) * C_LIGHT * B0_T)


def omega_c(B0: Any, *, species: str | Species = "proton", unit: str | None = None) -> NDArray:
    """The inverse time unit :math:`\\omega_c = |q| B_0 / m` in rad/s."""
    sp = get_species(species)
    B0_T = _positive(parse_quantity(B0, "field", unit), "B0")
    return abs(sp.charge_number) * C_LIGHT**2 * B0_T / sp.rest_energy_eV


def energy_to_scaled(
    energy: Any, *, species: str | Species = "proton", unit: str | None = None
) -> NDArray[np.float64]:
    """Kinetic energy (e.g. ``"1GeV"``) to ``T`` in units of m c^2."""
    sp = get_species(species)
    return parse_quantity(energy, "energy", unit) / sp.rest_energy_eV


def energy_from_scaled(
    T: ArrayLike, *, species: str | Species = "proton", unit: str = "GeV"
) -> NDArray[np.float64]:
    """``T`` in units of m c^2 to a kinetic energy in ``unit`` (default GeV)."""
    sp = get_species(species)
    return np.asarray(T, dtype=np.float64) * sp.rest_energy_eV / parse_quantity(1.0, "energy", unit)


def length_to_scaled(
    length: Any,
    *,
    B0: Any,
    species: str | Species = "proton",
    unit: str | None = None,
    B0_unit: str | None = None,
) -> NDArray[np.float64]:
    """A physical length (e.g. ``"0.01au"``) to units of rho0."""
    return parse_quantity(length, "length", unit) / rho0(B0, species=species, unit=B0_unit)


def length_from_scaled(
    length: ArrayLike,
    *,
    B0: Any,
    species: str | Species = "proton",
    unit: str = "m",
    B0_unit: str | None = None,
) -> NDArray[np.float64]:
    """A length in units of rho0 to ``unit`` (m, cm, km, au, pc, kpc)."""
    metres = np.asarray(length, dtype=np.float64) * rho0(B0, species=species, unit=B0_unit)
    return metres / parse_quantity(1.0, "length", unit)


def time_from_scaled(
    t: ArrayLike,
    *,
    B0: Any,
    species: str | Species = "proton",
    unit: str = "s",
    B0_unit: str | None = None,
) -> NDArray[np.float64]:
    """A time in units of 1/omega_c to ``unit`` (s, min, h, day, yr)."""
    seconds = np.asarray(t, dtype=np.float64) / omega_c(B0, species=species, unit=B0_unit)
    return seconds / parse_quantity(1.0, "time", unit)


def diffusion_from_scaled(
    D: ArrayLike,
    *,
    B0: Any,
    species: str | Species = "proton",
    unit: str = "m2/s",
    B0_unit: str | None = None,
) -> NDArray[np.float64]:
    """A diffusion coefficient in units of ``m c^2/(|q| B0)`` to ``unit`` (m2/s or cm2/s).

    The unit is :math:`\\rho_0^2\\omega_c = m c^2/(|q| B_0)`; for protons in 5 nT it is
    1.88e17 m^2/s.

    Examples
    --------
    >>> from crtransport import units
    >>> float(units.diffusion_from_scaled(1.0, B0="5nT"))
    1.876...e+17
    """
    m2s = np.asarray(D, dtype=np.float64) * _diffusion_unit(B0, species, B0_unit)
    return m2s / parse_quantity(1.0, "diffusion", unit)


def diffusion_to_scaled(
    D: Any,
    *,
    B0: Any,
    species: str | Species = "proton",
    unit: str | None = None,
    B0_unit: str | None = None,
) -> NDArray[np.float64]:
    """A physical diffusion coefficient (e.g. ``"1e22cm2/s"``) to units of ``m c^2/(|q| B0)``."""
    return parse_quantity(D, "diffusion", unit) / _diffusion_unit(B0, species, B0_unit)


def _diffusion_unit(B0: Any, species: str | Species, B0_unit: str | None) -> NDArray:
    """The diffusion unit rho0^2 omega_c = m c^2 / (|q| B0) in m^2/s."""
    return rho0(B0, species=species, unit=B0_unit) ** 2 * omega_c(B0, species=species, unit=B0_unit)


def _positive(value: NDArray[np.float64], name: str) -> NDArray[np.float64]:
    if not np.all(np.isfinite(value) & (value > 0)):
        raise ValueError(f"`{name}` must be in (0, inf); got {value}.")
    return value
