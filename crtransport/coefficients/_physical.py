"""Diffusion coefficients in physical units: species, rigidities or energies, B0, lambda_perp."""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from numpy.typing import NDArray

from crtransport import units
from crtransport._validation import DOMAIN_ADVICE, AccuracyWarning, check_choice, check_real
from crtransport._version import __version__
from crtransport.coefficients._model import OUTPUTS, TransportModel, get_model

if TYPE_CHECKING:  # pragma: no cover
    import xarray as xr

ExtrapolatePolicy = Literal["raise", "warn", "ignore"]
_POLICIES = ("raise", "warn", "ignore")


#: Unit attribute of each kind of variable in the returned Dataset.
DIFFUSION_UNIT = "m2/s"
LENGTH_UNIT = "m"

# name -> (long_name, unit) of the variables of the returned Dataset
_VARIABLES: dict[str, tuple[str, str]] = {
    "D_par": ("parallel diffusion coefficient", DIFFUSION_UNIT),
    "D_perp": ("perpendicular diffusion coefficient", DIFFUSION_UNIT),
    "D_par_std": ("standard deviation of D_par (the model's)", DIFFUSION_UNIT),
    "D_perp_std": ("standard deviation of D_perp (the model's)", DIFFUSION_UNIT),
    "mean_free_path_par": ("parallel mean free path 3 D_par / v", LENGTH_UNIT),
    "mean_free_path_perp": ("perpendicular mean free path 3 D_perp / v", LENGTH_UNIT),
    "d_par": ("D_par / (v lambda_perp)", "1"),
    "d_perp": ("D_perp / (v lambda_perp)", "1"),
    "is_diffusive_par": ("parallel transport is diffusive (model's flag)", "1"),
    "is_diffusive_perp": ("perpendicular transport is diffusive (model's flag)", "1"),
    "is_extrapolated": ("an input is outside the model's domain", "1"),
}
#: The variables that are NaN where their direction's flag is False.
_NAN_UNLESS: dict[str, str] = {
    name: f"is_diffusive_{d}"
    for d in ("par", "perp")
    for name in (f"D_{d}", f"D_{d}_std", f"mean_free_path_{d}", f"d_{d}")
}
_COORDS: dict[str, tuple[str, str]] = {
    "rigidity": ("magnetic rigidity p c / (|Z| e)", "GV"),
    "kinetic_energy": ("kinetic energy of the particle", "GeV"),
    "kinetic_energy_per_nucleon": ("kinetic energy per nucleon", "GeV/n"),
    "beta": ("speed v / c", "1"),
    "larmor_radius": ("Larmor radius p c / (|q| B0 c) (pitch angle 90 degrees)", LENGTH_UNIT),
    "R": ("reduced rigidity r_L / lambda_perp", "1"),
}


def diffusion_coefficients(
    model: str | TransportModel,
    *,
    species: str | units.Species = "proton",
    rigidity: Any = None,
    rigidity_unit: str | None = None,
    energy: Any = None,
    energy_unit: str | None = None,
    B0: Any,
    B0_unit: str | None = None,
    lambda_perp: Any,
    lambda_perp_unit: str | None = None,
    b: float,
    anisotropy: float = 10.0,
    slab_fraction: float = 0.2,
    on_extrapolate: ExtrapolatePolicy = "raise",
) -> xr.Dataset:
    r"""Parallel and perpendicular diffusion coefficients in m^2/s over a grid of rigidities.

    The model predicts :math:`d = D/(v\lambda_\perp)` in the variables of magnetostatic
    similarity; this function converts the physical inputs to them,
    :math:`R = r_L/\lambda_\perp` with :math:`r_L = p c/(|q| B_0 c) = \mathcal{R}/(c B_0)` for
    rigidity :math:`\mathcal{R}`, and multiplies by :math:`v\lambda_\perp` exactly.

    Parameters
    ----------
    model : str or TransportModel
        A source name (``'theory'``: :class:`TheoryModel`; see :func:`get_model`) or any
        object implementing :class:`TransportModel`.
    species : str or crtransport.units.Species, default: 'proton'
        ``'proton'``, ``'electron'``, ``'helium'``, any nucleus (``'56Fe'``, ``'A=56,Z=26'``,
        :func:`crtransport.units.nucleus`); see :func:`crtransport.units.get_species`.
    rigidity : float, array_like, str or list of str
        Rigidities :math:`p c/(|Z| e)`, at least one: numbers with ``rigidity_unit`` (V, kV,
        MV, GV, TV, ...) or strings such as ``"10GV"``. Exactly one of ``rigidity`` and
        ``energy``. Bools are refused.
    rigidity_unit : str, optional
        Unit of numeric ``rigidity`` or of strings without a unit (``"10"``); with strings
        that carry their own unit it must not be given (ValueError).
    energy : float, array_like, str or list of str
        Kinetic energies of the particle (``"10GeV"``) or per nucleon (``"10GeV/n"``, or
        ``energy_unit="GeV/n"``; nuclei only), at least one, all per nucleon or none.
    energy_unit : str, optional
        Unit of numeric ``energy`` or of strings without a unit (eV ... EeV, optionally with
        ``/n``, which then applies to them too: ``energy=["10"], energy_unit="GeV/n"`` is
        ``energy="10GeV/n"``); with strings that carry their own unit it must not be given.
    B0 : float or str
        Mean magnetic field, > 0: ``"5nT"``, ``"3uG"`` (microgauss) or a number with
        ``B0_unit`` (T, G, mG, uG, nT).
    B0_unit : str, optional
        Unit of a numeric ``B0`` (not with a string that has its unit).
    lambda_perp : float or str
        Perpendicular bend-over (correlation) scale of the turbulence, > 0: ``"0.01au"``,
        ``"10pc"``, ``"1e6km"`` or a number with ``lambda_perp_unit`` (m, cm, km, au, pc, kpc).
    lambda_perp_unit : str, optional
        Unit of a numeric ``lambda_perp`` (not with a string that has its unit).
    b : float
        RMS turbulent field :math:`\delta B / B_0`.
    anisotropy : float, default: 10
        :math:`\lambda_\parallel/\lambda_\perp` (the paper's 10).
    slab_fraction : float, default: 0.2
        Slab energy share of the composite slab + 2D turbulence (Bieber et al. 1996's 20 %).
    on_extrapolate : {'raise', 'warn', 'ignore'}, default: 'raise'
        Inputs outside ``model.domain``: 'raise' a ValueError naming the input, its value and
        the domain (for ``R``, also the rigidity range it allows); 'warn' (AccuracyWarning)
        or 'ignore' evaluates the model there anyway and sets ``is_extrapolated``.

    Returns
    -------
    xarray.Dataset
        Dimension ``rigidity`` (GV), in the order given. Coordinates ``rigidity`` (GV),
        ``kinetic_energy`` (GeV), ``kinetic_energy_per_nucleon`` (GeV/n, nuclei only),
        ``beta`` (v/c), ``larmor_radius`` (m) and ``R``. Variables ``D_par``, ``D_perp``,
        ``D_par_std``, ``D_perp_std`` (m^2/s), ``mean_free_path_par``,
        ``mean_free_path_perp`` (:math:`3D/v`, m), ``d_par``, ``d_perp`` (the model's
        dimensionless output), ``is_diffusive_par``, ``is_diffusive_perp``,
        ``is_extrapolated`` (bool). Where ``is_diffusive_par`` (``_perp``) is False the run
        reaches no plateau there (a parallel mean free path beyond any affordable run, or
        sub-diffusion): no diffusion coefficient exists to quote, and that direction's
        ``D_*``, ``D_*_std``, ``mean_free_path_*`` and ``d_*`` are NaN (the exporters leave
        those rigidities out; a model's own ``predict`` gives its continuation, for
        inspection). Every variable has ``units`` and ``long_name``;
        :func:`convert_units` gives cm^2/s, au, ... . The inputs are attributes (``species``,
        ``charge_number``, ``mass_number``, ``rest_energy_eV``, ``B0_T``, ``lambda_perp_m``,
        ``b``, ``anisotropy``, ``slab_fraction``, ``model``, ``crtransport_version``).

    Raises
    ------
    ValueError
        With the parameter's name, the value and what is allowed: an unknown species or
        unit, a number without its unit, a unit given both in a string and in its ``*_unit``
        argument, both or neither of ``rigidity`` and ``energy``, an empty grid, non-positive
        or non-finite ``B0``, ``lambda_perp``, rigidity or energy, an energy per nucleon of an
        electron or a mix of energies with and without ``/n``, an unknown ``on_extrapolate``,
        an input outside the model's domain (``on_extrapolate='raise'``), or a model output
        that is missing, of the wrong shape or negative.
    TypeError
        If ``model`` is neither a source name nor a :class:`TransportModel`, or a quantity
        or ``b``, ``anisotropy``, ``slab_fraction`` is a bool or not a number.

    Warns
    -----
    AccuracyWarning
        With ``on_extrapolate='warn'``, one per input outside the domain.

    Notes
    -----
    .. math:: D = d(R, b, \lambda_\parallel/\lambda_\perp, f_{slab})\; v\,\lambda_\perp,
              \qquad v = \beta c, \qquad
              \beta = \frac{u}{\sqrt{1+u^2}},\ u = \frac{|Z| e \mathcal{R}}{m c^2},

    exact for magnetostatic turbulence (the trajectories' shape depends on :math:`R`, not on
    the speed; docs: Physics, "Similarity"). The mean free paths are :math:`3 D/v =
    3 d\,\lambda_\perp`.

    Examples
    --------
    >>> import crtransport as crt
    >>> ds = crt.diffusion_coefficients("theory", rigidity=[1, 10], rigidity_unit="GV",
    ...                                 B0="5nT", lambda_perp="0.01au", b=0.2)
    >>> ds["R"].values.round(4)
    array([0.4459, 4.4595])
    >>> ds["D_par"].attrs["units"], f"{float(ds['D_par'][0]):.3g}"
    ('m2/s', '2.48e+20')
    """
    import xarray as xr

    check_choice("on_extrapolate", on_extrapolate, _POLICIES)
    sp = units.get_species(species)
    model = get_model(model)
    B0_T = _scalar("B0", B0, "field", B0_unit, "B0_unit")
    lambda_m = _scalar("lambda_perp", lambda_perp, "length", lambda_perp_unit, "lambda_perp_unit")
    rig_V = _grid(sp, rigidity, rigidity_unit, energy, energy_unit)
    inputs = {
        "b": check_real("b", b, low=0.0, low_open=True),
        "anisotropy": check_real("anisotropy", anisotropy, low=0.0, low_open=True),
        "slab_fraction": check_real("slab_fraction", slab_fraction, low=0.0, high=1.0),
    }

    beta = units.speed_from_rigidity(rig_V, species=sp, unit="V")
    r_l = units.larmor_radius_from_rigidity(rig_V, B0=B0_T, unit="V", B0_unit="T")
    R = r_l / lambda_m
    extrapolated = _check_domain(
        model.domain, R, inputs, on_extrapolate, rig_V=rig_V, B0_T=B0_T, lambda_m=lambda_m
    )
    out = _predict(model, R, inputs)

    v_lambda = beta * units.C_LIGHT * lambda_m  # the exact similarity factor, m^2/s
    data: dict[str, NDArray[Any]] = {
        "D_par": out["d_par"] * v_lambda,
        "D_perp": out["d_perp"] * v_lambda,
        "D_par_std": out["d_par_std"] * v_lambda,
        "D_perp_std": out["d_perp_std"] * v_lambda,
        "mean_free_path_par": 3.0 * out["d_par"] * lambda_m,
        "mean_free_path_perp": 3.0 * out["d_perp"] * lambda_m,
        "d_par": out["d_par"],
        "d_perp": out["d_perp"],
        "is_diffusive_par": out["is_diffusive_par"],
        "is_diffusive_perp": out["is_diffusive_perp"],
        "is_extrapolated": extrapolated,
    }
    for name, flag in _NAN_UNLESS.items():  # no coefficient where there is no plateau
        data[name] = np.where(out[flag], data[name], np.nan)
    T_eV = units.rigidity_to_scaled(rig_V, species=sp, unit="V") * sp.rest_energy_eV
    coords: dict[str, NDArray[np.float64]] = {
        "rigidity": rig_V / 1e9,
        "kinetic_energy": T_eV / 1e9,
        "beta": beta,
        "larmor_radius": r_l,
        "R": R,
    }
    if sp.mass_number is not None:
        coords["kinetic_energy_per_nucleon"] = T_eV / 1e9 / sp.mass_number
    ds = xr.Dataset(
        {
            name: ("rigidity", value, _attrs(_VARIABLES[name], nan_unless=_NAN_UNLESS.get(name)))
            for name, value in data.items()
        },
        coords={name: ("rigidity", value, _attrs(_COORDS[name])) for name, value in coords.items()},
    )
    ds.attrs.update(
        {
            "title": "diffusion coefficients from crtransport.diffusion_coefficients",
            "species": sp.name,
            "charge_number": sp.charge_number,
            "mass_number": -1 if sp.mass_number is None else sp.mass_number,
            "rest_energy_eV": sp.rest_energy_eV,
            "B0_T": B0_T,
            "lambda_perp_m": lambda_m,
            **inputs,
            "model": repr(model),
            "on_extrapolate": on_extrapolate,
            "formula": "D = d(R, b, anisotropy, slab_fraction) * v * lambda_perp; "
            "R = r_L / lambda_perp, r_L = rigidity / (c B0)",
            "crtransport_version": __version__,
        }
    )
    return ds


def convert_units(
    coefficients: xr.Dataset, *, diffusion: str | None = None, length: str | None = None
) -> xr.Dataset:
    """A copy of ``coefficients`` with its diffusion coefficients and lengths in other units.

    Every variable or coordinate whose ``units`` attribute is a diffusion unit (m2/s, cm2/s)
    or a length unit (m, cm, km, au, pc, kpc) is converted and its attribute updated.

    Parameters
    ----------
    coefficients : xarray.Dataset
        From :func:`diffusion_coefficients`.
    diffusion : str, optional
        Target unit of ``D_*`` (``'m2/s'``, ``'cm2/s'``); None leaves them.
    length : str, optional
        Target unit of mean free paths and ``larmor_radius`` (m, cm, km, au, pc, kpc).

    Returns
    -------
    xarray.Dataset

    Raises
    ------
    ValueError
        For an unknown unit (the message lists the allowed ones).

    Examples
    --------
    >>> import crtransport as crt
    >>> ds = crt.diffusion_coefficients("theory", rigidity="1GV", B0="5nT",
    ...                                 lambda_perp="0.01au", b=0.2)
    >>> cgs = crt.coefficients.convert_units(ds, diffusion="cm2/s", length="au")
    >>> float(cgs["D_par"][0] / ds["D_par"][0]), cgs["mean_free_path_par"].attrs["units"]
    (10000.0, 'au')
    """
    targets = {"diffusion": diffusion, "length": length}
    for kind, unit in targets.items():
        if unit is not None and unit not in units.unit_names(kind):
            allowed = ", ".join(repr(u) for u in units.unit_names(kind))
            raise ValueError(f"`{kind}` must be one of {allowed}; got {unit!r}.")
    out = coefficients.copy()
    for name in list(out.variables):
        unit = out[name].attrs.get("units")
        for kind, target in targets.items():
            if target is None or unit not in units.unit_names(kind):
                continue
            factor = float(units.parse_quantity(1.0, kind, unit)) / float(
                units.parse_quantity(1.0, kind, target)
            )
            attrs = {**out[name].attrs, "units": target}
            out[name] = out[name] * factor
            out[name].attrs = attrs
    return out


def diffusion_in(coefficients: xr.Dataset, name: str) -> NDArray[np.float64]:
    """Variable ``name`` of a coefficients Dataset in m^2/s, whatever its ``units``."""
    unit = coefficients[name].attrs.get("units", DIFFUSION_UNIT)
    return np.asarray(coefficients[name].values, dtype=np.float64) * float(
        units.parse_quantity(1.0, "diffusion", unit)
    )


# --------------------------------------------------------------------------- helpers


def _attrs(spec: tuple[str, str], nan_unless: str | None = None) -> dict[str, str]:
    attrs = {"long_name": spec[0], "units": spec[1]}
    if nan_unless is not None:
        attrs["comment"] = f"NaN where {nan_unless} is False (no plateau: no coefficient)"
    return attrs


def _allowed(kind: str, per_nucleon: bool = False) -> str:
    names = list(units.unit_names(kind))
    if per_nucleon:
        names += [f"{n}/n" for n in units.unit_names(kind)]
    return ", ".join(names)


def _parse(
    name: str, value: Any, kind: str, unit: str | None, unit_name: str
) -> NDArray[np.float64]:
    """``value`` in SI (eV for energies), each positive and finite; see :func:`_quantities`."""
    return _quantities(name, value, kind, unit, unit_name)[0]


def _quantities(
    name: str, value: Any, kind: str, unit: str | None, unit_name: str
) -> tuple[NDArray[np.float64], set[bool]]:
    """``value`` (numbers with ``unit``, a string or a sequence of strings, each with its own
    unit or none, then ``unit``) in SI, each positive and finite, and the set of its per-nucleon
    flags (``'/n'``, energies only); or a ValueError/TypeError naming ``name``/``unit_name``.

    A unit in the strings and ``unit`` together are refused (one would be silently ignored).
    """
    per_nucleon_ok = kind == "energy"
    if unit is not None and _bare(unit, kind) not in units.unit_names(kind):
        raise ValueError(
            f"`{unit_name}` must be one of {_allowed(kind, per_nucleon_ok)}; got {unit!r}."
        )
    if _has_bool(value):
        raise TypeError(
            f"`{name}` must be a number, an array of numbers with `{unit_name}`, or strings "
            f"with a unit such as {_example(kind)!r}, not a bool; got {value!r}."
        )
    texts = [value] if isinstance(value, str) else None
    if isinstance(value, list | tuple) and value and all(isinstance(v, str) for v in value):
        texts = list(value)
    if texts is None:
        try:
            arr = np.asarray(value, dtype=np.float64)
        except (TypeError, ValueError):
            raise TypeError(
                f"`{name}` must be a number, an array of numbers with `{unit_name}`, or strings "
                f"with a unit such as {_example(kind)!r}; got {type(value).__name__}."
            ) from None
        if arr.size == 0:
            raise ValueError(f"`{name}` must hold at least one value; got {_show(arr)}.")
        if unit is None:
            raise ValueError(
                f"`{name}` = {_show(value)} has no unit: give `{unit_name}` (one of "
                f"{_allowed(kind, per_nucleon_ok)}) or strings such as {_example(kind)!r}."
            )
        shown = [_show(x) for x in arr.ravel()]
        si_arr = arr.ravel() * _unit_factor(kind, unit)
        flags = {per_nucleon_ok and unit.endswith("/n")}
    else:
        parsed = [_text_value(name, text, kind, unit, unit_name) for text in texts]
        shown = [repr(text) for text in texts]
        si_arr = np.array([x for x, _ in parsed], dtype=np.float64)
        flags = {per_n for _, per_n in parsed}
    for text, x in zip(shown, si_arr, strict=True):
        if not (math.isfinite(float(x)) and float(x) > 0):
            raise ValueError(f"`{name}` must be positive and finite; got {text}.")
    return si_arr, flags


def _text_value(
    name: str, text: str, kind: str, unit: str | None, unit_name: str
) -> tuple[float, bool]:
    """One string quantity in SI (eV for energies) and whether it is per nucleon: its own unit
    (``'10GeV/n'``), or ``unit`` for a bare number (``'10'``); both is a ValueError."""
    per_nucleon_ok = kind == "energy"
    match = units._QUANTITY.match(text)
    if match is None:
        raise ValueError(
            f"`{name}`: cannot read {text!r}: expected a number and a unit such as "
            f"{_example(kind)!r}."
        )
    number, own = float(match.group(1)), match.group(2)
    if own is not None and unit is not None:
        raise ValueError(
            f"`{name}` = {text!r} has a unit and `{unit_name}` = {unit!r} is given too: give the "
            f"unit in the strings or in `{unit_name}`, not both."
        )
    full = own if own is not None else unit
    if full is None:
        raise ValueError(
            f"`{name}` = {text!r} has no unit: give `{unit_name}` (one of "
            f"{_allowed(kind, per_nucleon_ok)}) or strings such as {_example(kind)!r}."
        )
    bare = _bare(full, kind)
    if bare not in units.unit_names(kind):
        raise ValueError(
            f"`{name}`: the unit of {text!r} must be one of {_allowed(kind, per_nucleon_ok)}; "
            f"got {full!r}."
        )
    value = float(units.parse_quantity(number, kind, bare))
    return value, per_nucleon_ok and full.endswith("/n")


def _bare(unit: str, kind: str) -> str:
    """``unit`` without the per-nucleon ``'/n'`` of an energy."""
    return unit[:-2].rstrip() if kind == "energy" and unit.endswith("/n") else unit


def _has_bool(value: Any) -> bool:
    """Whether ``value`` is or holds a bool (``True`` would otherwise read as 1)."""
    if isinstance(value, bool | np.bool_):
        return True
    if isinstance(value, np.ndarray):
        return value.dtype == np.bool_ or (
            value.dtype == object and any(_has_bool(v) for v in value.ravel())
        )
    if isinstance(value, list | tuple):
        return any(_has_bool(v) for v in value)
    return False


def _unit_factor(kind: str, unit: str) -> float:
    return float(units.parse_quantity(1.0, kind, _bare(unit, kind)))


def _show(value: Any) -> str:
    arr = np.asarray(value)
    if arr.ndim == 0:
        return f"{float(arr):g}"
    return np.array2string(arr, precision=4, threshold=6)


def _example(kind: str) -> str:
    return {"rigidity": "10GV", "energy": "10GeV", "field": "5nT", "length": "0.01au"}[kind]


def _scalar(name: str, value: Any, kind: str, unit: str | None, unit_name: str) -> float:
    arr = _parse(name, value, kind, unit, unit_name)
    if arr.size != 1:
        raise ValueError(f"`{name}` must be one value; got {arr.size}.")
    return float(arr[0])


def _grid(
    sp: units.Species,
    rigidity: Any,
    rigidity_unit: str | None,
    energy: Any,
    energy_unit: str | None,
) -> NDArray[np.float64]:
    """The rigidity grid in V from ``rigidity`` or ``energy``."""
    if (rigidity is None) == (energy is None):
        raise ValueError(
            "give exactly one of `rigidity` (e.g. '10GV') and `energy` (e.g. '10GeV' or "
            f"'10GeV/n'); got {'both' if rigidity is not None else 'neither'}."
        )
    if rigidity is not None:
        return _parse("rigidity", rigidity, "rigidity", rigidity_unit, "rigidity_unit")
    eV, flags = _quantities("energy", energy, "energy", energy_unit, "energy_unit")
    if len(flags) > 1:
        raise ValueError(
            "`energy`: give every energy per nucleon ('/n') or none of them; got a mix."
        )
    per_nucleon = flags.pop()
    try:
        return units.rigidity_from_energy(eV, species=sp, unit="eV/n" if per_nucleon else "eV")
    except ValueError as exc:  # an energy per nucleon of the electron: name the parameter
        texts = isinstance(energy, str) or (
            isinstance(energy, list | tuple) and all(isinstance(e, str) for e in energy)
        )
        given = repr(energy) if texts else _show(energy)
        if energy_unit is not None:
            given += f" with `energy_unit` = {energy_unit!r}"
        raise ValueError(f"`energy` = {given}: {exc}") from None


def _check_domain(
    domain: Mapping[str, tuple[float, float]],
    R: NDArray[np.float64],
    inputs: Mapping[str, float],
    policy: str,
    *,
    rig_V: NDArray[np.float64],
    B0_T: float,
    lambda_m: float,
) -> NDArray[np.bool_]:
    """Per-point flag of inputs outside ``domain``; raises or warns per ``policy``."""
    flags = np.zeros(R.shape, dtype=bool)
    messages = []
    low, high = domain["R"]
    outside = ~((low <= R) & (high >= R))
    if np.any(outside):
        flags |= outside
        gv = units.C_LIGHT * B0_T * lambda_m / 1e9  # rigidity (GV) per unit R
        bad = rig_V[outside] / 1e9
        messages.append(
            f"`rigidity` {_show(bad)} GV gives R = r_L/lambda_perp = {_show(R[outside])}, "
            f"outside the model's domain R in [{low:g}, {high:g}]; with this B0 and "
            f"lambda_perp the domain is rigidity in [{low * gv:.4g}, {high * gv:.4g}] GV."
        )
    for name, value in inputs.items():
        low, high = domain[name]
        if not low <= value <= high:
            flags |= True
            messages.append(
                f"`{name}` = {value:g} is outside the model's domain {name} in [{low:g}, {high:g}]."
            )
    if messages and policy == "raise":
        raise ValueError(" ".join(messages) + " " + DOMAIN_ADVICE)
    if messages and policy == "warn":
        for message in messages:
            warnings.warn(
                message + " The model is evaluated there anyway.", AccuracyWarning, stacklevel=3
            )
    return flags


def _predict(
    model: TransportModel, R: NDArray[np.float64], inputs: Mapping[str, float]
) -> dict[str, NDArray[Any]]:
    """The model's outputs at ``R`` (1-d) and the scalar inputs, checked."""
    out = model.predict_dimensionless(R, inputs["b"], inputs["anisotropy"], inputs["slab_fraction"])
    checked: dict[str, NDArray[Any]] = {}
    for key in OUTPUTS:
        if key not in out:
            raise ValueError(
                f"the model returned no {key!r}; a TransportModel returns {', '.join(OUTPUTS)}."
            )
        arr = np.broadcast_to(np.asarray(out[key]), R.shape)
        if key.startswith("is_"):
            checked[key] = arr.astype(bool)
            continue
        arr = arr.astype(np.float64)
        if np.any(arr < 0) or np.any(np.isnan(arr)):
            raise ValueError(f"the model returned a negative or NaN {key!r}: {_show(arr)}.")
        checked[key] = arr
    return checked
