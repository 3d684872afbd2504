"""Physical units on the command line: the input options shared by ``simulate`` and ``predict``.

Both commands take the same options, in the paper's scaled units or in physical units:

* ``--T`` (kinetic energy in m c^2), ``--energy`` (a kinetic energy with a unit, ``1GeV``) or
  ``--rigidity`` (``10GV``), exactly one;
* ``--lambda-perp`` and ``--lambda-par``: a plain number (units of rho0) or a length with a
  unit (``0.01au``);
* ``--b`` (units of B0) and ``--mu``: dimensionless;
* ``--B0`` (the mean field with a unit, ``5nT``) and ``--species`` (default proton) fix the
  physical unit system. A length with a unit needs ``--B0`` (rho0 depends on it); an energy
  needs only the species. With ``--B0`` the commands also print the diffusion coefficients in
  m^2/s and cm^2/s.

Every conversion goes through :mod:`crtransport.units`; this module only reads the options,
checks them and reports user errors as :class:`ValueError` whose message starts with the
option, which ``crtransport.cli.main`` prints as ``crtransport COMMAND: error: ...`` with exit
status 2.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from crtransport import units
from crtransport._ranges import INPUT_RANGES

#: How the messages name each kind of quantity of :func:`crtransport.units.parse_quantity`.
_KIND_NAMES = {
    "energy": "an energy",
    "field": "a magnetic field",
    "length": "a length",
    "diffusion": "a diffusion coefficient",
    "time": "a time",
    "rigidity": "a rigidity",
}

#: The units the options name in ``--help`` and in the messages: those of crtransport.units.
_UNITS = {
    "energy": units.unit_names("energy"),
    "field": units.unit_names("field"),
    "length": units.unit_names("length"),
    "diffusion": units.unit_names("diffusion"),
    "time": units.unit_names("time"),
    "rigidity": units.unit_names("rigidity"),
}
_SPECIES_NAMES = units.species_names()

#: The diffusion units printed next to the scaled value when ``--B0`` is given.
DIFFUSION_UNITS = ("m2/s", "cm2/s")


@dataclass(frozen=True, slots=True)
class PhysicalScale:
    """The physical unit system fixed by ``--species`` and ``--B0``.

    Parameters
    ----------
    species : crtransport.units.Species
        The particle species.
    B0_text : str
        ``--B0`` as given, e.g. ``"5nT"``.
    B0_tesla : float
        The mean field in T.
    """

    species: units.Species
    B0_text: str
    B0_tesla: float

    @property
    def rho0_m(self) -> float:
        """The length unit rho0 = m c / (abs(q) B0) in m."""
        return float(units.rho0(self.B0_tesla, species=self.species, unit="T"))

    @property
    def diffusion_unit_m2s(self) -> float:
        """The diffusion unit rho0^2 omega_c in m^2/s."""
        return float(self.diffusion(1.0, "m2/s"))

    def diffusion(self, D: Any, unit: str) -> NDArray[np.float64]:
        """A diffusion coefficient in rho0^2 omega_c converted to ``unit`` (m2/s, cm2/s)."""
        return units.diffusion_from_scaled(
            D, B0=self.B0_tesla, B0_unit="T", species=self.species, unit=unit
        )

    def describe(self) -> str:
        """One line: species, B0, rho0 and the diffusion unit."""
        return (
            f"{self.species.name}, B0 = {self.B0_text} ({self.B0_tesla:.6g} T): "
            f"rho0 = {self.rho0_m:.6g} m, rho0^2 omega_c = {self.diffusion_unit_m2s:.6g} m^2/s"
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe description (species, B0 in T, rho0 in m, diffusion unit in m^2/s)."""
        return {
            "species": self.species.name,
            "B0_T": self.B0_tesla,
            "rho0_m": self.rho0_m,
            "diffusion_unit_m2/s": self.diffusion_unit_m2s,
        }


@dataclass(frozen=True, slots=True)
class ScaledInputs:
    """The inputs of a command, in scaled units, and the physical scale if ``--B0`` was given.

    Parameters
    ----------
    values : dict of str to ndarray of float64, shape (n,)
        The inputs given, by name (``T`` in m c^2, ``b`` in B0, ``lambda_perp`` and
        ``lambda_par`` in rho0, ``mu``), one value per value given on the command line.
    scale : PhysicalScale or None
        The unit system of ``--species`` and ``--B0``; None without ``--B0``.
    """

    values: dict[str, NDArray[np.float64]]
    scale: PhysicalScale | None


def add_input_arguments(
    parser: argparse.ArgumentParser,
    *,
    several: bool,
    required: bool = False,
    notes: Mapping[str, str] | None = None,
) -> None:
    """Add ``--T``/``--energy``, ``--b``, ``--lambda-perp``, ``--lambda-par``, ``--mu``,
    ``--B0`` and ``--species`` to ``parser``.

    With ``several``, each input takes one or more values (they broadcast against each other);
    otherwise exactly one. ``--B0`` and ``--species`` always take one. With ``required``,
    argparse requires ``--T`` or ``--energy``, ``--b`` and ``--lambda-perp``. ``notes`` appends a
    command's own remark (e.g. its default) to the help of an input, by name (``"mu"``). The
    values are read by :func:`resolve_inputs`.
    """
    nargs = "+" if several else None
    notes = notes or {}

    def note(name: str) -> str:
        return f" ({notes[name]})" if name in notes else ""

    energy = parser.add_mutually_exclusive_group(required=required)
    energy.add_argument(
        "--T",
        type=float,
        nargs=nargs,
        default=None,
        help=f"kinetic energy in units of m c^2{note('T')}",
    )
    energy.add_argument(
        "--energy",
        nargs=nargs,
        default=None,
        metavar="ENERGY",
        help="kinetic energy of the particle (not per nucleon) with a unit, e.g. 1GeV (one of "
        f"{', '.join(_UNITS['energy'])}; converted with the rest energy of --species); "
        "instead of --T",
    )
    energy.add_argument(
        "--rigidity",
        nargs=nargs,
        default=None,
        metavar="RIGIDITY",
        help="magnetic rigidity p c/(|Z| e) with a unit, e.g. 10GV (one of "
        f"{', '.join(_UNITS['rigidity'])}), as propagation codes state energies; converted "
        "with the mass and charge of --species; instead of --T or --energy",
    )
    parser.add_argument(
        "--b",
        type=float,
        nargs=nargs,
        default=None,
        required=required,
        help=f"RMS turbulent field in units of B0{note('b')}",
    )
    length_help = (
        "a number (units of rho0 = m c/(|q| B0)) or a length with a unit, e.g. 0.01au "
        f"(one of {', '.join(_UNITS['length'])}; needs --B0)"
    )
    parser.add_argument(
        "--lambda-perp",
        nargs=nargs,
        default=None,
        required=required,
        metavar="LENGTH",
        help=f"perpendicular bend-over scale: {length_help}{note('lambda_perp')}",
    )
    parser.add_argument(
        "--lambda-par",
        nargs=nargs,
        default=None,
        metavar="LENGTH",
        help=f"parallel bend-over scale, same forms as --lambda-perp{note('lambda_par')}",
    )
    parser.add_argument(
        "--mu",
        type=float,
        nargs=nargs,
        default=None,
        help=f"pitch-angle cosine v_par / v{note('mu')}",
    )
    parser.add_argument(
        "--B0",
        default=None,
        metavar="FIELD",
        help="mean magnetic field with a unit, e.g. 5nT (one of "
        f"{', '.join(_UNITS['field'])}): needed by lengths with a unit (they are converted "
        "to rho0, which depends on B0), not by --energy (converted with the rest energy of "
        "--species alone); with it the diffusion coefficients are also printed in m^2/s and "
        "cm^2/s",
    )
    parser.add_argument(
        "--species",
        default="proton",
        metavar="NAME",
        help=f"particle species for the conversions: {', '.join(_SPECIES_NAMES)}, or any fully "
        "ionised nucleus by mass number and symbol (3He, 56Fe, Fe-56) or as A=56,Z=26 "
        "(default: proton)",
    )


def resolve_inputs(args: argparse.Namespace) -> ScaledInputs:
    """Read the options of :func:`add_input_arguments` into scaled units.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed command line.

    Returns
    -------
    ScaledInputs
        The inputs given (each a 1-d array), in scaled units.

    Raises
    ------
    ValueError
        With a message that starts with the option: an unknown species, a value that is not a
        quantity of the right kind (unknown unit, another kind of unit, no unit where one is
        needed), a non-positive or non-finite energy, field or length, or an input with a unit
        without ``--B0``.
    """
    species = _species(args.species)
    scale = None
    if args.B0 is not None:
        tesla = _quantity("--B0", args.B0, "field")
        scale = PhysicalScale(species=species, B0_text=args.B0.strip(), B0_tesla=float(tesla))
    values: dict[str, NDArray[np.float64]] = {}
    if args.T is not None:
        values["T"] = _positive("--T", _as_list(args.T))
    if args.energy is not None:
        texts = _as_list(args.energy)
        eV = np.array([_quantity("--energy", t, "energy") for t in texts])
        values["T"] = units.energy_to_scaled(eV, species=species, unit="eV")
    if getattr(args, "rigidity", None) is not None:
        texts = _as_list(args.rigidity)
        volts = np.array([_quantity("--rigidity", t, "rigidity") for t in texts])
        values["T"] = units.rigidity_to_scaled(volts, species=species, unit="V")
    for flag, name in (("--lambda-perp", "lambda_perp"), ("--lambda-par", "lambda_par")):
        given = getattr(args, name)
        if given is not None:
            values[name] = _length(flag, _as_list(given), scale)
    for name in ("b", "mu"):
        given = getattr(args, name)
        if given is not None:
            valid = INPUT_RANGES[name]
            values[name] = _bounded(f"--{name}", _as_list(given), valid.low, valid.high)
    return ScaledInputs(values=values, scale=scale)


def _bounded(flag: str, given: list[float], low: float, high: float) -> NDArray[np.float64]:
    """Dimensionless inputs: finite and in [low, high], or a message naming the value."""
    arr = np.asarray(given, dtype=np.float64)
    for x in arr:
        if not math.isfinite(x) or not low <= x <= high:
            allowed = f">= {low:g}" if math.isinf(high) else f"in [{low:g}, {high:g}]"
            raise ValueError(f"{flag}: '{float(x)!r}' is not a finite number {allowed}.")
    return arr


# --------------------------------------------------------------------------- helpers


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else [value]


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _allowed(kind: str) -> str:
    return f"use a number with one of {', '.join(_UNITS[kind])}"


def _species(name: str) -> units.Species:
    try:
        return units.get_species(name)
    except ValueError:
        raise ValueError(
            f"--species: {name!r} is not a known species; use one of "
            f"{', '.join(_SPECIES_NAMES)}, or a nucleus such as 56Fe or A=56,Z=26."
        ) from None


def _quantity(flag: str, text: str, kind: str) -> float:
    """``text`` (number and unit) as a positive finite value in SI (eV for energies), or raise."""
    if _is_number(text):
        raise ValueError(f"{flag}: {text!r} has no unit; {_allowed(kind)}, e.g. {_example(kind)}.")
    try:
        value = float(units.parse_quantity(text, kind))
    except ValueError:
        other = next((k for k in _UNITS if k != kind and _parses(text, k)), None)
        what = f"is not {_KIND_NAMES[kind]}"
        if other is not None:
            what = f"is {_KIND_NAMES[other]}, not {_KIND_NAMES[kind]}"
        raise ValueError(f"{flag}: {text!r} {what}; {_allowed(kind)}.") from None
    if not (math.isfinite(value) and value > 0):
        raise ValueError(
            f"{flag}: {text!r} is not {_sign_problem(value)}; give {_KIND_NAMES[kind]} > 0 "
            f"({_allowed(kind)})."
        )
    return value


def _sign_problem(value: float) -> str:
    return "positive" if math.isfinite(value) else "finite"


def _parses(text: str, kind: str) -> bool:
    try:
        units.parse_quantity(text, kind)
    except ValueError:
        return False
    return True


def _example(kind: str) -> str:
    examples = {"energy": "1GeV", "field": "5nT", "length": "0.01au", "rigidity": "10GV"}
    return examples.get(kind, "1" + _UNITS[kind][0])


def _positive(flag: str, given: Sequence[Any]) -> NDArray[np.float64]:
    """``given`` (numbers or numeric strings) as an array, if every value is positive."""
    values = np.array([float(v) for v in given], dtype=np.float64)
    bad = ~(np.isfinite(values) & (values > 0))
    if np.any(bad):
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"{flag}: {str(given[i])!r} is not {_sign_problem(values[i])}; give a number > 0."
        )
    return values


def _require_scale(flag: str, text: str, scale: PhysicalScale | None) -> PhysicalScale:
    """``scale``, or the error for an input with a unit but no ``--B0``."""
    if scale is None:
        raise ValueError(
            f"{flag}: {text!r} has a unit, so --B0 is needed (the mean field that fixes the "
            "units, e.g. --B0 5nT); or give the input in scaled units"
            + (" (--T, units of m c^2)." if flag == "--energy" else " (a plain number, in rho0).")
        )
    return scale


def _length(flag: str, texts: list[str], scale: PhysicalScale | None) -> NDArray[np.float64]:
    """Lengths given as plain numbers (units of rho0) or with a unit, in units of rho0."""
    out = np.empty(len(texts))
    for i, text in enumerate(texts):
        if _is_number(text):
            out[i] = _positive(flag, [text])[0]
            continue
        metres = _quantity(flag, text, "length")
        known = _require_scale(flag, text, scale)
        out[i] = units.length_to_scaled(
            metres, B0=known.B0_tesla, B0_unit="T", species=known.species, unit="m"
        )
    return out
