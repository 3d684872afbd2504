"""Unit conversions against hand-computed values and round trips."""

from __future__ import annotations

import math

import numpy as np
import pytest

from crtransport import units


def test_kinematics():
    assert units.larmor_radius(1.0) == pytest.approx(math.sqrt(3))  # the paper's rho_L ~ 1.7
    assert units.speed_from_T(1.0) == pytest.approx(math.sqrt(3) / 2)
    assert units.gyro_period(1.0) == pytest.approx(4 * math.pi)


def test_proton_scales_in_5_nT():
    # rho0 = m c / (e B0) = 938.272 MeV / (c * 5 nT)
    assert units.rho0("5nT") == pytest.approx(938.27208816e6 / (299792458.0 * 5e-9))
    assert units.omega_c(5.0, unit="nT") == pytest.approx(5e-9 * 299792458.0**2 / 938.27208816e6)
    assert units.diffusion_from_scaled(1.0, B0="5nT") == pytest.approx(1.8765e17, rel=1e-4)
    assert units.diffusion_from_scaled(1.0, B0="5nT", unit="cm2/s") == pytest.approx(
        1.8765e21, rel=1e-4
    )


def test_energies_and_species():
    assert units.energy_to_scaled("1GeV") == pytest.approx(1e9 / 938.27208816e6)
    assert units.energy_to_scaled("1 GeV", species="electron") == pytest.approx(1e9 / 0.51099895e6)
    assert units.energy_to_scaled("4GeV", species="alpha") == pytest.approx(4e9 / 3727.3794066e6)
    T = np.array([0.1, 1.0, 10.0])
    np.testing.assert_allclose(
        units.energy_to_scaled(units.energy_from_scaled(T, unit="MeV"), unit="MeV"), T
    )


@pytest.mark.parametrize("B0", ["5nT", "3uG", "1e-4G"])
def test_round_trips(B0):
    x = np.array([0.2, 5.0, 20.0])
    np.testing.assert_allclose(
        units.length_to_scaled(units.length_from_scaled(x, B0=B0, unit="au"), B0=B0, unit="au"),
        x,
        rtol=1e-14,
    )
    np.testing.assert_allclose(
        units.diffusion_to_scaled(
            units.diffusion_from_scaled(x, B0=B0, unit="cm2/s"), B0=B0, unit="cm2/s"
        ),
        x,
        rtol=1e-14,
    )
    assert units.time_from_scaled(1.0, B0=B0) == pytest.approx(1 / units.omega_c(B0))


def test_bad_units():
    with pytest.raises(ValueError, match="`unit` for a field must be one of"):
        units.rho0(5.0, unit="furlong")
    with pytest.raises(ValueError, match="cannot read 'abc' as a energy"):
        units.energy_to_scaled("abc")
    with pytest.raises(ValueError, match=r"`B0` must be in \(0, inf\)"):
        units.rho0("-5nT")
    with pytest.raises(ValueError, match="`species` must be one of 'proton', 'electron', 'alpha'"):
        units.rho0("5nT", species="muon")
    muon = units.Species(name="muon", rest_energy_eV=105.66e6, charge_number=-1)
    assert units.rho0("5nT", species=muon) == pytest.approx(105.66e6 / (299792458.0 * 5e-9))


def test_unit_and_species_names_are_what_the_parser_accepts():
    for kind in ("energy", "field", "length", "diffusion", "time", "rigidity"):
        names = units.unit_names(kind)
        assert names
        for name in names:
            assert float(units.parse_quantity(f"2 {name}", kind)) > 0
    assert units.species_names()[:3] == ("proton", "electron", "alpha")
    assert {"helium", "carbon", "oxygen", "iron"} <= set(units.species_names())
    for name in units.species_names():
        assert units.get_species(name).name == name
    with pytest.raises(ValueError, match="`kind` must be one of"):
        units.unit_names("mass")


@pytest.mark.parametrize(
    ("name", "A", "Z", "rest_GeV"),
    [
        ("helium", 4, 2, 3.727379),
        ("carbon", 12, 6, 11.174863),
        ("oxygen", 16, 8, 14.895081),
        ("iron", 56, 26, 52.089777),
        ("56Fe", 56, 26, 52.089777),
        ("Fe-56", 56, 26, 52.089777),
        ("A=56,Z=26", 56, 26, 52.089777),
        ("3He", 3, 2, 2.808391),
        ("13C", 13, 6, 13.0 * 0.93149410242 - 6 * 0.00051099895),
    ],
)
def test_any_nucleus_by_name_symbol_or_numbers(name, A, Z, rest_GeV):
    # issue 17: only proton, electron and alpha were known
    sp = units.get_species(name)
    assert sp.charge_number == Z
    assert sp.rest_energy_eV / 1e9 == pytest.approx(rest_GeV, rel=2e-6)
    # rho0 = m c / (Z e B0): an iron nucleus has rho0 52.09/26 / 0.938 times a proton's
    ratio = units.rho0("5nT", species=sp) / units.rho0("5nT")
    assert ratio == pytest.approx(sp.rest_energy_eV / Z / units.PROTON.rest_energy_eV)


def test_nucleus_reproduces_the_proton_and_alpha_constants():
    assert units.nucleus(1, 1).rest_energy_eV == pytest.approx(
        units.PROTON.rest_energy_eV, rel=1e-7
    )
    assert units.nucleus(4, 2).rest_energy_eV == pytest.approx(units.ALPHA.rest_energy_eV, rel=1e-6)
    with pytest.raises(ValueError, match="charge number 1 <= Z <= A; got A=4, Z=5"):
        units.nucleus(4, 5)
    with pytest.raises(ValueError, match="a nucleus such as '56Fe'"):
        units.get_species("56Xx")


@pytest.mark.parametrize(
    ("rigidity", "species", "T_GeV"),
    [("1GV", "proton", 0.432988), ("10 GV", "iron", 213.0768), ("1MV", "proton", 5.3289e-7)],
)
def test_rigidity_to_scaled(rigidity, species, T_GeV):
    sp = units.get_species(species)
    T = units.rigidity_to_scaled(rigidity, species=species)
    assert float(T) * sp.rest_energy_eV / 1e9 == pytest.approx(T_GeV, rel=1e-4)
    # p c = |Z| R: back from T through the momentum
    pc = float(units.u_from_T(T)) * sp.rest_energy_eV
    assert pc == pytest.approx(abs(sp.charge_number) * units.parse_quantity(rigidity, "rigidity"))


def test_a_unit_in_the_string_and_in_the_argument_is_refused():
    with pytest.raises(ValueError, match=r"'5nT' has a unit and `unit` = 'G' is given too"):
        units.parse_quantity("5nT", "field", "G")
    # the per-nucleon suffix of the argument must not silently apply to a string's own unit
    with pytest.raises(ValueError, match="has a unit and `unit` = 'GeV' is given too"):
        units.rigidity_from_energy("10GeV", species="helium", unit="GeV/n")
    # a bare number in a string takes the argument
    assert float(units.parse_quantity("5", "field", "nT")) == pytest.approx(5e-9, rel=1e-15)


@pytest.mark.parametrize("value", [True, np.array([True, False])])
def test_bools_are_not_quantities(value):
    with pytest.raises(TypeError, match="a field must be a number or a string with a unit"):
        units.parse_quantity(value, "field", "nT")
