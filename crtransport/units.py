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

Constants: the speed of light ``C_LIGHT`` is exact (SI), the astronomical unit ``AU`` exact
(IAU 2012) and the parsec ``PARSEC`` is 648000/pi au (IAU 2015). The rest energies of
``PROTON``, ``ELECTRON`` and ``ALPHA``, the electron rest energy and the atomic mass unit that
:func:`nucleus` uses are all CODATA 2018 values (not CODATA 2022: the shipped databases were
computed with these). The atomic masses of the isotopes in :func:`nucleus` are from the
Atomic Mass Evaluation, not from CODATA.

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
    "nucleus",
    "omega_c",
    "parse_quantity",
    "rho0",
    "larmor_radius_from_rigidity",
    "rigidity_from_energy",
    "rigidity_to_scaled",
    "speed_from_rigidity",
    "species_names",
    "speed_from_T",
    "T_from_u",
    "time_from_scaled",
    "u_from_T",
    "unit_names",
]

#: Speed of light in m/s (exact).
C_LIGHT = 299_792_458.0
#: Astronomical unit in m (exact, IAU 2012).
AU = 149_597_870_700.0
#: Parsec in m (648000/pi au, IAU 2015).
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
_RIGIDITY_V = {"V": 1.0, "kV": 1e3, "MV": 1e6, "GV": 1e9, "TV": 1e12, "PV": 1e15, "EV": 1e18}
_TABLES = {
    "energy": _ENERGY_EV,
    "field": _FIELD_T,
    "length": _LENGTH_M,
    "diffusion": _DIFFUSION_M2S,
    "time": _TIME_S,
    "rigidity": _RIGIDITY_V,
}


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
    mass_number : int or None, default: None
        Number of nucleons A of a nucleus (None for a lepton); energies per nucleon
        (``"GeV/n"``, :func:`rigidity_from_energy`) need it.
    """

    name: str
    rest_energy_eV: float
    charge_number: int
    mass_number: int | None = None

    def __post_init__(self) -> None:
        if not (math.isfinite(self.rest_energy_eV) and self.rest_energy_eV > 0):
            raise ValueError(f"`rest_energy_eV` must be in (0, inf); got {self.rest_energy_eV!r}.")
        if self.charge_number == 0:
            raise ValueError("`charge_number` must be non-zero; got 0.")
        if self.mass_number is not None and not self.mass_number >= 1:
            raise ValueError(f"`mass_number` must be None or >= 1; got {self.mass_number!r}.")


#: Proton, electron and alpha particle; rest energies CODATA 2018.
PROTON = Species(name="proton", rest_energy_eV=938.272_088_16e6, charge_number=1, mass_number=1)
ELECTRON = Species(name="electron", rest_energy_eV=0.510_998_950_00e6, charge_number=-1)
ALPHA = Species(name="alpha", rest_energy_eV=3727.379_4066e6, charge_number=2, mass_number=4)
_SPECIES = {s.name: s for s in (PROTON, ELECTRON, ALPHA)}

#: Atomic mass unit and the electron's rest energy in eV (both CODATA 2018).
_U_EV = 931.494_102_42e6
_ELECTRON_EV = 0.510_998_950_00e6
#: Element symbols by charge number Z = 1 .. 28 (hydrogen to nickel).
_SYMBOLS: tuple[str, ...] = (
    "H", "He", "Li", "Be", "B", "C", "N", "O", "F", "Ne", "Na", "Mg", "Al", "Si",
    "P", "S", "Cl", "Ar", "K", "Ca", "Sc", "Ti", "V", "Cr", "Mn", "Fe", "Co", "Ni",
)  # fmt: skip
#: Atomic masses in u of the isotopes cosmic-ray work names by element (the most abundant);
#: from the Atomic Mass Evaluation (not a CODATA quantity).
_ATOMIC_MASS_U = {
    (1, 1): 1.007_825_032_23,
    (2, 1): 2.014_101_778_12,
    (3, 1): 3.016_049_281_32,
    (3, 2): 3.016_029_321_97,
    (4, 2): 4.002_603_254_13,
    (6, 3): 6.015_122_887_4,
    (7, 3): 7.016_003_434,
    (7, 4): 7.016_928_717,
    (9, 4): 9.012_183_065,
    (10, 5): 10.012_936_95,
    (11, 5): 11.009_305_36,
    (12, 6): 12.0,
    (14, 7): 14.003_074_004_43,
    (16, 8): 15.994_914_619_57,
    (20, 10): 19.992_440_176_2,
    (24, 12): 23.985_041_697,
    (28, 14): 27.976_926_534_65,
    (56, 26): 55.934_936_33,
}
#: Common names of fully ionised nuclei: (mass number A, charge number Z).
_NUCLEI = {
    "helium": (4, 2),
    "carbon": (12, 6),
    "nitrogen": (14, 7),
    "oxygen": (16, 8),
    "neon": (20, 10),
    "magnesium": (24, 12),
    "silicon": (28, 14),
    "iron": (56, 26),
}
_NUCLEUS_TEXT = re.compile(
    r"^\s*(?:(?P<a1>\d+)\s*-?\s*(?P<s1>[A-Z][a-z]?)|(?P<s2>[A-Z][a-z]?)\s*-?\s*(?P<a2>\d+)|"
    r"A\s*=\s*(?P<a3>\d+)\s*,\s*Z\s*=\s*(?P<z3>\d+))\s*$"
)


def nucleus(mass_number: int, charge_number: int, *, name: str | None = None) -> Species:
    """A fully ionised nucleus as a :class:`Species`.

    Parameters
    ----------
    mass_number : int
        A, the number of nucleons (>= 1).
    charge_number : int
        Z, the number of protons, 1 <= Z <= A.
    name : str, optional
        Label; default e.g. ``"56Fe"`` (the mass number and the element symbol up to nickel,
        else ``"A=..,Z=.."``).

    Returns
    -------
    Species
        Rest energy: the atomic mass minus Z electron masses (electron binding energies, a
        few keV at most, neglected). The built-in table has the atomic masses of 1H to 11B
        and of the common cosmic-ray nuclei 12C, 14N, 16O, 20Ne, 24Mg, 28Si and 56Fe; any
        other isotope is taken as A u, which neglects its mass excess (below 0.1 % of the
        mass for A >= 12 near stability).

    Raises
    ------
    ValueError
        If A < 1, Z < 1 or Z > A.

    Examples
    --------
    >>> round(nucleus(56, 26).rest_energy_eV / 1e9, 3)      # iron-56, GeV
    52.09
    >>> nucleus(1, 1).rest_energy_eV / PROTON.rest_energy_eV  # doctest: +ELLIPSIS
    0.99999...
    """
    A, Z = int(mass_number), int(charge_number)
    if A < 1 or Z < 1 or Z > A:
        raise ValueError(
            f"a nucleus needs mass number A >= 1 and charge number 1 <= Z <= A; got A={A}, Z={Z}."
        )
    atomic = _ATOMIC_MASS_U.get((A, Z), float(A))
    if name is None:
        name = f"{A}{_SYMBOLS[Z - 1]}" if len(_SYMBOLS) >= Z else f"A={A},Z={Z}"
    return Species(
        name=name, rest_energy_eV=atomic * _U_EV - Z * _ELECTRON_EV, charge_number=Z, mass_number=A
    )


def get_species(species: str | Species) -> Species:
    """Return a :class:`Species` from a name or a Species.

    Names: ``'proton'``, ``'electron'``, ``'alpha'``, the common nuclei ``'helium'`` (the
    alpha particle), ``'carbon'``, ``'nitrogen'``, ``'oxygen'``, ``'neon'``, ``'magnesium'``,
    ``'silicon'``, ``'iron'`` (their most abundant isotopes), and any nucleus by mass number
    and element symbol (``'56Fe'``, ``'Fe-56'``, ``'3He'``) or by numbers (``'A=56,Z=26'``);
    see :func:`nucleus`. Nuclei are fully ionised.

    Raises
    ------
    ValueError
        For an unknown name, or a nucleus that :func:`nucleus` refuses (``'A=4,Z=5'``); the
        message names ``species`` and the value.
    """
    if isinstance(species, Species):
        return species
    if isinstance(species, str):
        key = species.strip()
        if key.lower() in _SPECIES:
            return _SPECIES[key.lower()]
        if key.lower() == "helium":  # the alpha particle, under its element's name
            return Species(
                name="helium", rest_energy_eV=ALPHA.rest_energy_eV, charge_number=2, mass_number=4
            )
        if key.lower() in _NUCLEI:
            return nucleus(*_NUCLEI[key.lower()], name=key.lower())
        match = _NUCLEUS_TEXT.match(key)
        if match is not None:
            try:
                if match["a3"] is not None:
                    return nucleus(int(match["a3"]), int(match["z3"]))
                symbol = match["s1"] or match["s2"]
                if symbol in _SYMBOLS:
                    return nucleus(int(match["a1"] or match["a2"]), _SYMBOLS.index(symbol) + 1)
            except ValueError as exc:  # e.g. 'A=4,Z=5': name the parameter
                raise ValueError(f"`species` = {species!r}: {exc}") from None
    allowed = ", ".join(repr(s) for s in species_names())
    raise ValueError(
        f"`species` must be one of {allowed}, a nucleus such as '56Fe' or 'A=56,Z=26', or a "
        f"Species; got {species!r}."
    )


def species_names() -> tuple[str, ...]:
    """Names :func:`get_species` knows, e.g. ``('proton', 'electron', 'alpha', 'helium', ...)``.

    Any nucleus can also be named by mass number and symbol (``'56Fe'``); see
    :func:`get_species`.
    """
    return (*_SPECIES, *_NUCLEI)


def unit_names(kind: str) -> tuple[str, ...]:
    """Unit spellings :func:`parse_quantity` accepts for ``kind``.

    Parameters
    ----------
    kind : {'energy', 'field', 'length', 'diffusion', 'time', 'rigidity'}

    Examples
    --------
    >>> unit_names("energy")
    ('eV', 'keV', 'MeV', 'GeV', 'TeV', 'PeV', 'EeV')
    """
    tables = _TABLES
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
    kind : {'energy', 'field', 'length', 'diffusion', 'time', 'rigidity'}
        What the quantity is; fixes the allowed units and the SI unit returned (eV, T, m, m^2/s,
        s, V).
    unit : str, optional
        Unit of a numeric ``value``, or of a string without one (``"5"``); not with a string
        that has its unit.

    Returns
    -------
    ndarray of float64
        The value in eV (energy), T (field), m (length), m^2/s (diffusion), s (time) or V
        (rigidity).

    Raises
    ------
    ValueError
        If the unit is unknown for ``kind``, the string cannot be parsed, or a unit is given
        both in the string and in ``unit``.
    TypeError
        If ``value`` is a bool.
    """
    tables = _TABLES
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
        if match.group(2) is not None and unit is not None:
            raise ValueError(
                f"{value!r} has a unit and `unit` = {unit!r} is given too: give the unit in the "
                "string or in `unit`, not both."
            )
        number = float(match.group(1))
        unit = match.group(2) or unit
        value = number
    elif isinstance(value, bool | np.bool_) or (
        isinstance(value, np.ndarray) and value.dtype == np.bool_
    ):
        raise TypeError(f"a {kind} must be a number or a string with a unit, not a bool.")
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


def T_from_u(u: ArrayLike) -> NDArray[np.float64]:
    """Kinetic energy :math:`T = \\sqrt{1 + u^2} - 1` (m c^2) from ``|u| = gamma v`` (c).

    Computed as :math:`u^2 / (\\sqrt{1 + u^2} + 1)`, without cancellation at small ``u``; the
    inverse of :func:`u_from_T`.
    """
    u = np.asarray(u, dtype=np.float64)
    return u * u / (np.sqrt(1.0 + u * u) + 1.0)


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


def rigidity_to_scaled(
    rigidity: Any, *, species: str | Species = "proton", unit: str | None = None
) -> NDArray[np.float64]:
    """Magnetic rigidity :math:`R = p c / (|Z| e)` (e.g. ``"10GV"``) to ``T`` in units of m c^2.

    With :math:`p c = |Z| R` (in eV for R in V), :math:`T = \\sqrt{(pc)^2 + (mc^2)^2} - mc^2`,
    computed without cancellation at small rigidity. Propagation codes state energies this way.

    Examples
    --------
    >>> round(float(rigidity_to_scaled("1GV")), 4)            # protons: T = 0.433 GeV
    0.4615
    >>> round(float(rigidity_to_scaled("10GV", species="iron") * nucleus(56, 26).rest_energy_eV
    ...             / 1e9), 2)                               # 56Fe at 10 GV: T in GeV
    213.08
    """
    sp = get_species(species)
    # p c / (m c^2) = |u|
    return T_from_u(
        abs(sp.charge_number) * parse_quantity(rigidity, "rigidity", unit) / sp.rest_energy_eV
    )


def rigidity_from_energy(
    energy: Any, *, species: str | Species = "proton", unit: str | None = None
) -> NDArray[np.float64]:
    """Kinetic energy (e.g. ``"10GeV"``, or per nucleon ``"10GeV/n"``) to rigidity in V.

    Parameters
    ----------
    energy : float, array_like or str
        The kinetic energy of the particle, or per nucleon when its unit ends in ``/n``
        (``"1GeV/n"``, or a number with ``unit="GeV/n"``), as GALPROP and DRAGON2 grid nuclei.
    species : str or Species, default: 'proton'
        Energies per nucleon need a nucleus (``species.mass_number`` set).
    unit : str, optional
        Unit of a numeric ``energy``: one of :func:`unit_names` ``('energy')``, optionally
        followed by ``/n``.

    Returns
    -------
    ndarray of float64
        Rigidity :math:`p c / (|Z| e)` in V, with :math:`(pc)^2 = T^2 + 2 T m c^2`.

    Raises
    ------
    ValueError
        For an unknown unit or species, or an energy per nucleon of a species without
        nucleons (the electron).

    Examples
    --------
    >>> round(float(rigidity_from_energy("1GeV")) / 1e9, 4)            # protons
    1.6960
    >>> round(float(rigidity_from_energy("1GeV/n", species="helium")) / 1e9, 4)
    3.3845
    """
    sp = get_species(species)
    per_nucleon = False
    if isinstance(energy, str) and energy.strip().endswith("/n"):
        energy, per_nucleon = energy.strip()[:-2], True
    if unit is not None and unit.endswith("/n"):
        unit, per_nucleon = unit[:-2], True
    T_eV = parse_quantity(energy, "energy", unit)
    if per_nucleon:
        if sp.mass_number is None:
            raise ValueError(
                f"an energy per nucleon needs a nucleus; species {sp.name!r} has no nucleons "
                "(give its kinetic energy without '/n')."
            )
        T_eV = T_eV * sp.mass_number
    # p c / (m c^2) = |u| = sqrt(T (T + 2)) with T in m c^2
    return u_from_T(T_eV / sp.rest_energy_eV) * sp.rest_energy_eV / abs(sp.charge_number)


def speed_from_rigidity(
    rigidity: Any, *, species: str | Species = "proton", unit: str | None = None
) -> NDArray[np.float64]:
    """Speed :math:`v/c = u/\\sqrt{1 + u^2}` at a rigidity, with :math:`u = |Z| R/(m c^2)`.

    Examples
    --------
    >>> round(float(speed_from_rigidity("1GV")), 5)          # protons at 1 GV
    0.72926
    """
    sp = get_species(species)
    u = abs(sp.charge_number) * parse_quantity(rigidity, "rigidity", unit) / sp.rest_energy_eV
    return u / np.sqrt(1.0 + u * u)


def larmor_radius_from_rigidity(
    rigidity: Any, *, B0: Any, unit: str | None = None, B0_unit: str | None = None
) -> NDArray[np.float64]:
    """Larmor radius :math:`r_L = R / (c B_0)` in m of a particle of rigidity ``R`` in ``B0``.

    The radius of a particle moving perpendicular to ``B0`` (pitch angle 90 degrees); it is
    the same for every species at the same rigidity.

    Examples
    --------
    >>> round(float(larmor_radius_from_rigidity("1GV", B0="5nT")) / 1e3)    # km
    667128
    """
    B0_T = _positive(parse_quantity(B0, "field", B0_unit), "B0")
    return parse_quantity(rigidity, "rigidity", unit) / (C_LIGHT * B0_T)


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
