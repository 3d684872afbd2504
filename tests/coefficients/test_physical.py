"""diffusion_coefficients: the conversions to the similarity variables, the exact v lambda_perp
factor, the units and species accepted, and the messages for bad input.

Hand-computed values (CODATA constants written out here, not taken from crtransport):
proton at 1 GV in 5 nT: r_L = p/(|q| B0) = 1e9 V / (c 5e-9 T) = 6.67128190e8 m; with
lambda_perp = 0.01 au = 1.495978707e9 m, R = 0.4459475; p c = 1 GeV, E = sqrt(1 + 0.93827^2)
GeV, beta = 1/E = 0.7292562.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

import crtransport as crt
from crtransport._validation import AccuracyWarning
from crtransport.coefficients import TheoryModel, TransportModel, convert_units

C = 299_792_458.0
AU = 1.495_978_707e11
M_P = 0.938_272_088_16  # GeV
M_HE4 = 3.727_379_4066  # GeV (alpha particle)

BASE = dict(B0="5nT", lambda_perp="0.01au", b=0.5, anisotropy=10.0, slab_fraction=0.2)


def test_proton_at_1_GV_in_5_nT(fake_model):
    ds = crt.diffusion_coefficients(fake_model(), rigidity=1.0, rigidity_unit="GV", **BASE)
    r_l = 1e9 / (C * 5e-9)
    assert r_l == pytest.approx(6.671281904e8, rel=1e-9)
    assert float(ds["larmor_radius"][0]) == pytest.approx(r_l, rel=1e-13)
    assert float(ds["R"][0]) == pytest.approx(r_l / (0.01 * AU), rel=1e-13)
    assert float(ds["R"][0]) == pytest.approx(0.4459475, rel=1e-6)
    beta = 1.0 / math.sqrt(1.0 + M_P**2)
    assert float(ds["beta"][0]) == pytest.approx(beta, rel=1e-12)
    assert float(ds["kinetic_energy"][0]) == pytest.approx(math.sqrt(1 + M_P**2) - M_P, rel=1e-12)


def test_exact_v_lambda_factor(fake_model):
    model = fake_model()
    rig = np.array([0.5, 1.0, 7.0, 30.0])
    ds = crt.diffusion_coefficients(model, rigidity=rig, rigidity_unit="GV", **BASE)
    R = rig * 1e9 / (C * 5e-9) / (0.01 * AU)
    d = model.predict_dimensionless(R, 0.5, 10.0, 0.2)
    u = rig / M_P
    v = C * u / np.sqrt(1 + u * u)
    for name in ("par", "perp"):
        np.testing.assert_allclose(ds[f"D_{name}"], d[f"d_{name}"] * v * 0.01 * AU, rtol=1e-13)
        np.testing.assert_allclose(
            ds[f"D_{name}_std"], d[f"d_{name}_std"] * v * 0.01 * AU, rtol=1e-13
        )
        np.testing.assert_allclose(
            ds[f"mean_free_path_{name}"], 3 * ds[f"D_{name}"] / v, rtol=1e-13
        )
    assert ds["D_par"].attrs["units"] == "m2/s"
    assert ds["mean_free_path_par"].attrs["units"] == "m"
    for name in ds.variables:
        assert {"units", "long_name"} <= set(ds[name].attrs), name


def test_same_rigidity_same_R_velocity_ratio_for_iron(fake_model):
    """R depends on rigidity only; D on the species only through v (similarity)."""
    p = crt.diffusion_coefficients(fake_model(), rigidity="2GV", **BASE)
    fe = crt.diffusion_coefficients(fake_model(), rigidity="2GV", species="56Fe", **BASE)
    assert float(fe["R"][0]) == float(p["R"][0])
    m_fe = crt.units.nucleus(56, 26).rest_energy_eV / 1e9
    u_p, u_fe = 2.0 / M_P, 26 * 2.0 / m_fe
    ratio = (u_fe / math.sqrt(1 + u_fe**2)) / (u_p / math.sqrt(1 + u_p**2))
    assert float(fe["D_par"][0] / p["D_par"][0]) == pytest.approx(ratio, rel=1e-12)
    assert float(fe["kinetic_energy_per_nucleon"][0]) == pytest.approx(
        float(fe["kinetic_energy"][0]) / 56, rel=1e-14
    )


def test_energies_total_and_per_nucleon(fake_model):
    ds = crt.diffusion_coefficients(fake_model(), energy="1GeV", **BASE)
    assert float(ds["rigidity"][0]) == pytest.approx(math.sqrt(1 + 2 * M_P), rel=1e-12)
    he = crt.diffusion_coefficients(
        fake_model(), energy=[1.0, 2.0], energy_unit="GeV/n", species="helium", **BASE
    )
    T = np.array([4.0, 8.0])  # total kinetic energy of 4 nucleons, GeV
    np.testing.assert_allclose(he["rigidity"], np.sqrt(T**2 + 2 * T * M_HE4) / 2, rtol=1e-12)
    he_text = crt.diffusion_coefficients(
        fake_model(), energy=["1GeV/n", "2GeV/n"], species="helium", **BASE
    )
    np.testing.assert_array_equal(he_text["rigidity"], he["rigidity"])


def test_unit_spellings_agree(fake_model):
    ref = crt.diffusion_coefficients(fake_model(), rigidity="10GV", **BASE)
    other = crt.diffusion_coefficients(
        fake_model(),
        rigidity=1e4,
        rigidity_unit="MV",
        B0="50uG",  # 50 microgauss = 5 nT
        lambda_perp=0.01 * AU / 1e3,
        lambda_perp_unit="km",
        b=0.5,
    )
    np.testing.assert_allclose(other["D_par"], ref["D_par"], rtol=1e-13)
    cgs = convert_units(ref, diffusion="cm2/s", length="au")
    assert float(cgs["D_par"][0]) == pytest.approx(1e4 * float(ref["D_par"][0]), rel=1e-14)
    assert float(cgs["mean_free_path_par"][0]) == pytest.approx(
        float(ref["mean_free_path_par"][0]) / AU, rel=1e-14
    )
    assert cgs["D_perp_std"].attrs["units"] == "cm2/s"
    assert cgs["larmor_radius"].attrs["units"] == "au"


def test_theory_model_is_a_transport_model_and_similar():
    """TheoryModel(R) equals the theories evaluated at another energy with the same R."""
    from crtransport.theory import (
        nlgc_perpendicular_diffusion,
        qlt_parallel_diffusion,
        unlt_perpendicular_diffusion,
    )
    from crtransport.turbulence import CompositeTurbulence

    model = TheoryModel()
    assert isinstance(model, TransportModel)
    out = model.predict_dimensionless(R=2.0, b=0.2, anisotropy=2.0, slab_fraction=0.3)
    T = 7.0
    gamma = 1 + T
    v = math.sqrt(1 - 1 / gamma**2)
    lam = gamma * v / 2.0
    turb = CompositeTurbulence(b=0.2, lambda_perp=lam, lambda_par=2 * lam, slab_fraction=0.3)
    par = qlt_parallel_diffusion(turb, T)
    nlgc = nlgc_perpendicular_diffusion(turb, T, D_par=par.value).value
    unlt = unlt_perpendicular_diffusion(turb, T, D_par=par.value).value
    assert float(out["d_par"]) == pytest.approx(par.value / (v * lam), rel=1e-8)
    assert float(out["d_perp"]) == pytest.approx((nlgc + unlt) / 2 / (v * lam), rel=1e-6)
    assert float(out["d_perp_std"]) == pytest.approx(abs(nlgc - unlt) / 2 / (v * lam), rel=1e-5)
    assert float(out["d_par_std"]) == pytest.approx(
        par.details["gap_fraction"] * par.value / (v * lam), rel=1e-8
    )
    assert bool(out["is_diffusive_par"]) and bool(out["is_diffusive_perp"])


def test_theory_source_by_name_and_broadcast():
    ds = crt.diffusion_coefficients("theory", rigidity=["1GV", "3GV"], **{**BASE, "b": 0.2})
    assert ds.attrs["model"].startswith("TheoryModel")
    assert ds.sizes["rigidity"] == 2
    assert np.all(ds["D_par"] > ds["D_perp"])


# --------------------------------------------------------------------------- out of domain


def test_out_of_domain_rigidity_names_value_and_range(fake_model):
    with pytest.raises(ValueError, match=r"`rigidity` \[ ?200") as info:
        crt.diffusion_coefficients(fake_model(), rigidity=[10.0, 200.0], rigidity_unit="GV", **BASE)
    msg = str(info.value)
    # R = 50 at rigidity 50 c B0 lambda_perp = 112.1 GV
    assert "R in [0.05, 50]" in msg and "[0.1121, 112.1] GV" in msg
    assert "on_extrapolate='warn'" in msg


@pytest.mark.parametrize(
    ("name", "value", "domain"),
    [
        ("b", 3.0, "[0.05, 2]"),
        ("anisotropy", 200.0, "[1, 100]"),
        ("slab_fraction", 0.8, "[0, 0.5]"),
    ],
)
def test_out_of_domain_inputs(fake_model, name, value, domain):
    with pytest.raises(
        ValueError, match=rf"`{name}` = {value:g} is outside .* {re.escape(domain)}"
    ):
        crt.diffusion_coefficients(fake_model(), rigidity="1GV", **{**BASE, name: value})


def test_extrapolation_policies(fake_model):
    with pytest.warns(AccuracyWarning, match="evaluated there anyway"):
        ds = crt.diffusion_coefficients(
            fake_model(), rigidity=[1.0, 500.0], rigidity_unit="GV", on_extrapolate="warn", **BASE
        )
    assert ds["is_extrapolated"].values.tolist() == [False, True]
    ds = crt.diffusion_coefficients(
        fake_model(), rigidity="1GV", on_extrapolate="ignore", **{**BASE, "b": 3.0}
    )
    assert bool(ds["is_extrapolated"][0])


def test_extrapolation_policies_with_a_transport_surrogate():
    """The surrogate answers everywhere through the protocol; ``diffusion_coefficients`` alone
    applies the policy (an earlier version raised from inside the model under 'ignore')."""
    import warnings

    from crtransport.surrogate._standin import random_transport_surrogate

    model = random_transport_surrogate(hidden_widths=(8, 8), n_models=2, seed=0)
    rig = np.array([1.0, 500.0])  # R = 0.446 and 223 (the domain ends at R = 50)
    with pytest.raises(ValueError, match=r"\[0.1121, 112.1\] GV"):
        crt.diffusion_coefficients(model, rigidity=rig, rigidity_unit="GV", **BASE)
    ds = crt.diffusion_coefficients(
        model, rigidity=rig, rigidity_unit="GV", on_extrapolate="ignore", **BASE
    )
    assert ds["is_extrapolated"].values.tolist() == [False, True]
    own = model.predict(ds["R"].values, 0.5, 10.0, 0.2, on_extrapolate="ignore")
    v_lambda = ds["beta"].values * C * 0.01 * AU
    for d in ("par", "perp"):  # NaN where the model flags no plateau
        want = np.where(own[f"is_diffusive_{d}"], own[f"d_{d}"] * v_lambda, np.nan)
        np.testing.assert_allclose(ds[f"D_{d}"].values, want, rtol=1e-12)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        crt.diffusion_coefficients(
            model, rigidity=rig, rigidity_unit="GV", on_extrapolate="warn", **BASE
        )
    # one warning, in physical units, from the policy; none from inside the model
    assert [type(w.message) for w in caught] == [AccuracyWarning]
    assert "112.1] GV" in str(caught[0].message)


def test_no_coefficient_where_transport_is_not_diffusive(fake_model):
    """Below R = 0.3 the fake model flags both directions non-diffusive: every coefficient of
    theirs is NaN there (said in the attributes), the flags and inputs stay, the rest is
    untouched, and an exporter fits only the diffusive rigidities."""
    rig = np.array([0.2, 0.5, 1.0, 5.0, 20.0, 50.0])  # R = 0.089 ... 22.3
    model = fake_model(diffusive_below=0.3)
    ds = crt.diffusion_coefficients(model, rigidity=rig, rigidity_unit="GV", **BASE)
    ok = ds["R"].values >= 0.3
    assert ok.tolist() == [False, False, True, True, True, True]
    for d in ("par", "perp"):
        assert ds[f"is_diffusive_{d}"].values.tolist() == ok.tolist()
        for name in (f"D_{d}", f"D_{d}_std", f"mean_free_path_{d}", f"d_{d}"):
            values = ds[name].values
            assert np.all(np.isnan(values[~ok])) and np.all(np.isfinite(values[ok])), name
            assert ds[name].attrs["comment"].startswith(f"NaN where is_diffusive_{d} is False")
    full = crt.diffusion_coefficients(fake_model(), rigidity=rig, rigidity_unit="GV", **BASE)
    np.testing.assert_array_equal(ds["D_par"].values[ok], full["D_par"].values[ok])
    np.testing.assert_array_equal(ds["R"].values, full["R"].values)
    with pytest.warns(AccuracyWarning, match="not diffusive"):
        fit = crt.coefficients.export_crpropa(ds)
    assert np.isfinite(fit.scale)


def test_theory_domain_excludes_zero_slab_fraction():
    with pytest.raises(ValueError, match=r"`slab_fraction` = 0 is outside .*\[0.01, 0.5\]"):
        crt.diffusion_coefficients("theory", rigidity="1GV", **{**BASE, "slab_fraction": 0.0})


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("change", "pattern"),
    [
        ({"B0": "-5nT"}, r"`B0` must be positive and finite; got '-5nT'"),
        ({"B0": 5.0}, r"`B0` = 5 has no unit: give `B0_unit` \(one of T, G"),
        ({"B0": 5.0, "B0_unit": "gauss"}, r"`B0_unit` must be one of T, G, .*; got 'gauss'"),
        ({"B0": "5 nanotesla"}, r"`B0`: .*one of T, G, .*got 'nanotesla'"),
        ({"lambda_perp": "0.01 lightyear"}, r"`lambda_perp`: .*m, cm, km, au.*'lightyear'"),
        ({"lambda_perp": 0.0, "lambda_perp_unit": "au"}, r"`lambda_perp` must be positive .*got 0"),
        ({"species": "unobtainium"}, r"`species` must be one of 'proton', .*got 'unobtainium'"),
        ({"on_extrapolate": "clip"}, r"`on_extrapolate` must be one of 'raise', 'warn', 'ignore'"),
        ({"b": -0.1}, r"`b` must be in \(0, inf\); got -0.1"),
    ],
)
def test_bad_input_messages(fake_model, change, pattern):
    with pytest.raises(ValueError, match=pattern):
        crt.diffusion_coefficients(fake_model(), rigidity="1GV", **{**BASE, **change})


def test_bad_grid_messages(fake_model):
    with pytest.raises(ValueError, match=r"exactly one of `rigidity` .* got both"):
        crt.diffusion_coefficients(fake_model(), rigidity="1GV", energy="1GeV", **BASE)
    with pytest.raises(ValueError, match=r"exactly one of `rigidity` .* got neither"):
        crt.diffusion_coefficients(fake_model(), **BASE)
    with pytest.raises(ValueError, match=r"`rigidity` = \[1 2\] has no unit: give `rigidity_unit`"):
        crt.diffusion_coefficients(fake_model(), rigidity=[1, 2], **BASE)
    with pytest.raises(ValueError, match=r"`rigidity` must be positive and finite; got -1"):
        crt.diffusion_coefficients(fake_model(), rigidity=[1, -1], rigidity_unit="GV", **BASE)
    with pytest.raises(ValueError, match="energy per nucleon needs a nucleus; species 'electron'"):
        crt.diffusion_coefficients(fake_model(), energy="1GeV/n", species="electron", **BASE)
    with pytest.raises(ValueError, match=r"`energy_unit` must be one of eV, .*GeV/n.*; got 'GV'"):
        crt.diffusion_coefficients(fake_model(), energy=1.0, energy_unit="GV", **BASE)
    allowed = "`model` must be one of 'general', 'theory' or a TransportModel"
    with pytest.raises(ValueError, match=allowed):
        crt.diffusion_coefficients("general-ish", rigidity="1GV", **BASE)
    with pytest.raises(TypeError, match="`model` must be a model source name or implement"):
        crt.diffusion_coefficients(object(), rigidity="1GV", **BASE)


# --------------------------------------------------------------------------- units in strings


@pytest.mark.parametrize(("species", "A"), [("helium", 4), ("iron", 56)])
def test_bare_strings_take_per_nucleon_energy_unit(fake_model, species, A):
    """``energy=["10"], energy_unit="GeV/n"`` is 10 GeV per nucleon, T = 10 A GeV."""
    ref = crt.diffusion_coefficients(fake_model(), energy="10GeV/n", species=species, **BASE)
    for energy in (["10"], "10", ("10",)):
        ds = crt.diffusion_coefficients(
            fake_model(), energy=energy, energy_unit="GeV/n", species=species, **BASE
        )
        assert ds.identical(ref), energy
    assert float(ref["kinetic_energy"][0]) == pytest.approx(10.0 * A, rel=1e-13)
    assert float(ref["kinetic_energy_per_nucleon"][0]) == pytest.approx(10.0, rel=1e-13)
    numeric = crt.diffusion_coefficients(
        fake_model(), energy=10.0, energy_unit="GeV/n", species=species, **BASE
    )
    assert numeric.identical(ref)


def test_bare_strings_take_the_unit_argument(fake_model):
    he = crt.diffusion_coefficients(
        fake_model(), energy=["1", "2"], energy_unit="GeV", species="helium", **BASE
    )
    T = np.array([1.0, 2.0])  # total kinetic energy, GeV
    np.testing.assert_allclose(he["kinetic_energy"], T, rtol=1e-13)
    np.testing.assert_allclose(he["rigidity"], np.sqrt(T**2 + 2 * T * M_HE4) / 2, rtol=1e-12)
    mv = crt.diffusion_coefficients(fake_model(), rigidity=["1000"], rigidity_unit="MV", **BASE)
    gv = crt.diffusion_coefficients(fake_model(), rigidity="1GV", **BASE)
    assert mv.identical(gv)


@pytest.mark.parametrize(
    ("grid", "name", "text"),
    [
        ({"energy": ["10GeV"], "energy_unit": "GeV/n"}, "energy", "10GeV"),
        ({"energy": "10GeV/n", "energy_unit": "GeV"}, "energy", "10GeV/n"),
        ({"energy": ["10GeV/n", "20GeV/n"], "energy_unit": "GeV/n"}, "energy", "10GeV/n"),
        ({"energy": "10GeV", "energy_unit": "GeV"}, "energy", "10GeV"),
        ({"rigidity": "1GV", "rigidity_unit": "MV"}, "rigidity", "1GV"),
        ({"rigidity": ["1GV", "2GV"], "rigidity_unit": "GV"}, "rigidity", "1GV"),
    ],
)
def test_unit_in_strings_and_argument_conflict(fake_model, grid, name, text):
    pattern = (
        rf"`{name}` = '{re.escape(text)}' has a unit and `{name}_unit` = .* give the unit in "
        rf"the strings or in `{name}_unit`, not both"
    )
    with pytest.raises(ValueError, match=pattern):
        crt.diffusion_coefficients(fake_model(), species="helium", **grid, **BASE)


def test_unit_in_string_and_argument_conflict_for_scalars(fake_model):
    with pytest.raises(ValueError, match=r"`B0` = '5nT' has a unit and `B0_unit` = 'G'"):
        crt.diffusion_coefficients(fake_model(), rigidity="1GV", **{**BASE, "B0_unit": "G"})
    with pytest.raises(ValueError, match=r"in the strings or in `lambda_perp_unit`, not both"):
        crt.diffusion_coefficients(
            fake_model(), rigidity="1GV", **{**BASE, "lambda_perp_unit": "au"}
        )


def test_bare_string_without_any_unit(fake_model):
    with pytest.raises(ValueError, match=r"`energy` = '10' has no unit: give `energy_unit`"):
        crt.diffusion_coefficients(fake_model(), energy=["10"], **BASE)
    with pytest.raises(ValueError, match=r"`rigidity`: cannot read 'ten GV'"):
        crt.diffusion_coefficients(fake_model(), rigidity="ten GV", **BASE)
    with pytest.raises(ValueError, match=r"`rigidity`: the unit of '10GV/n' must be one of V, "):
        crt.diffusion_coefficients(fake_model(), rigidity="10GV/n", **BASE)


# --------------------------------------------------------------------------- edge inputs


@pytest.mark.parametrize("empty", [[], (), np.array([])])
@pytest.mark.parametrize(("name", "unit"), [("rigidity", "GV"), ("energy", "GeV")])
def test_empty_grid_is_refused(fake_model, empty, name, unit):
    with pytest.raises(ValueError, match=rf"`{name}` must hold at least one value"):
        crt.diffusion_coefficients(fake_model(), **{name: empty, f"{name}_unit": unit}, **BASE)
    with pytest.raises(ValueError, match=rf"`{name}` must hold at least one value"):
        crt.diffusion_coefficients(fake_model(), **{name: empty}, **BASE)


@pytest.mark.parametrize(
    ("change", "name"),
    [
        ({"rigidity": True, "rigidity_unit": "GV"}, "rigidity"),
        ({"rigidity": [1.0, True], "rigidity_unit": "GV"}, "rigidity"),
        ({"rigidity": np.array([True]), "rigidity_unit": "GV"}, "rigidity"),
        ({"energy": True, "energy_unit": "GeV"}, "energy"),
        ({"rigidity": "1GV", "B0": True, "B0_unit": "nT"}, "B0"),
        ({"rigidity": "1GV", "lambda_perp": np.True_, "lambda_perp_unit": "au"}, "lambda_perp"),
        ({"rigidity": "1GV", "b": True}, "b"),
        ({"rigidity": "1GV", "anisotropy": True}, "anisotropy"),
        ({"rigidity": "1GV", "slab_fraction": False}, "slab_fraction"),
    ],
)
def test_bools_are_refused(fake_model, change, name):
    with pytest.raises((TypeError, ValueError), match=rf"`{name}` must be .*bool"):
        crt.diffusion_coefficients(fake_model(), **{**BASE, **change})


# --------------------------------------------------------------------------- messages


@pytest.mark.parametrize("species", ["A=4,Z=5", "A=0,Z=0", "0He"])
def test_impossible_nucleus_names_species(fake_model, species):
    pattern = (
        rf"^`species` = '{re.escape(species)}': a nucleus needs mass number A >= 1 and charge "
        r"number 1 <= Z <= A; got A=\d+, Z=\d+"
    )
    with pytest.raises(ValueError, match=pattern):
        crt.diffusion_coefficients(fake_model(), rigidity="1GV", species=species, **BASE)
    with pytest.raises(ValueError, match=pattern):
        crt.units.get_species(species)


@pytest.mark.parametrize(
    ("grid", "shown"),
    [
        ({"energy": "1GeV/n"}, "'1GeV/n'"),
        ({"energy": ["1GeV/n", "2GeV/n"]}, r"\['1GeV/n', '2GeV/n'\]"),
        ({"energy": ["1"], "energy_unit": "GeV/n"}, r"\['1'\] with `energy_unit` = 'GeV/n'"),
        ({"energy": [1, 2], "energy_unit": "MeV/n"}, r"\[1 2\] with `energy_unit` = 'MeV/n'"),
    ],
)
def test_electron_per_nucleon_names_energy(fake_model, grid, shown):
    pattern = (
        rf"^`energy` = {shown}: an energy per nucleon needs a nucleus; species 'electron' has "
        "no nucleons"
    )
    with pytest.raises(ValueError, match=pattern):
        crt.diffusion_coefficients(fake_model(), species="electron", **grid, **BASE)
