"""The exporters: each written file is parsed back here and the consumer's own formula, written
out below from its source, is evaluated with the parsed parameters and compared with the model.

* GALPROP ``source/D_xx.cc`` (v56/v57): D0 rescaled from D_rigid_ref to D_rigid_br with D_g_1
  (ref < br) or D_g_2 (ref > br); D = beta^D_eta D0 (rho/D_rigid_br)^(D_g_1 if rho < br else
  D_g_2); rigidities in MV, D in cm^2/s.
* DRAGON2 (cosmicrays/DRAGON2-Beta_version ``input.cc``, ``diffusion.cc``):
  D = D0_1e28 1e28 cm^2/s beta^etaT (R/DiffRefRig)^Delta, R in GV; the anisotropic parts the
  same with DPar_1e28/etaTPar/DeltaPar and DPerp_1e28/etaTPerp/DeltaPerp.
* CRPropa 3 ``DiffusionSDE.cpp``: D_par = scale 6.1e24 m^2/s (|E/q| / 4e9 V)^alpha with E the
  total energy; D_perp = epsilon D_par.
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest
import xarray as xr

import crtransport as crt
from crtransport._validation import AccuracyWarning
from crtransport.coefficients import export_crpropa, export_dragon2, export_galprop, export_table

C = 299_792_458.0
AU = 1.495_978_707e11
M_P = 0.938_272_088_16  # GeV
BASE = dict(B0="5nT", lambda_perp="0.01au", b=0.5, anisotropy=10.0, slab_fraction=0.2)
GV_PER_R = C * 5e-9 * 0.01 * AU / 1e9  # rigidity (GV) at R = 1 with BASE: 2.242 GV


def galprop_formula(rho_MV, beta, p):
    D0 = p["D0_xx"]
    ref, br = p["D_rigid_ref"], p["D_rigid_br"]
    if ref != br:
        D0 *= (br / ref) ** (p["D_g_1"] if ref < br else p["D_g_2"])
    D = beta ** p["D_eta"] * D0
    return D * (rho_MV / br) ** np.where(rho_MV < br, p["D_g_1"], p["D_g_2"])


def dragon2_formula(R_GV, beta, D0_1e28, ref, delta, eta):
    return D0_1e28 * 1e28 * beta**eta * (R_GV / ref) ** delta


def crpropa_formula(e_over_q_V, scale, alpha):
    return scale * 6.1e24 * (np.abs(e_over_q_V) / 4.0e9) ** alpha


def parse_galdef(text):
    values = {}
    for line in text.splitlines():
        m = re.match(r"^(\w+)\s*=\s*(\S+)", line)
        if m:
            values[m.group(1)] = float(m.group(2))
    return values


def parse_dragon2(text):
    root = ET.fromstring(text)
    assert root.tag == "Diffusion" and root.get("type") == "Constant"
    return {el.tag: float(el.get("value")) for el in root.iter() if el.get("value") is not None}


def max_log_error(a, b):
    return float(np.max(np.abs(np.log(a / b))))


# --------------------------------------------------------------------------- GALPROP


def test_galprop_recovers_an_exact_broken_power_law(fake_model, tmp_path):
    """D/beta is exactly a broken power law in rigidity: the fit finds the break and slopes."""
    model = fake_model(c_par=50.0, s1=0.3, s2=0.9, R_b=2.0)
    rig = np.geomspace(0.12, 100, 25)
    ds = crt.diffusion_coefficients(model, rigidity=rig, rigidity_unit="GV", **BASE)
    path = tmp_path / "galdef_diffusion"
    p = export_galprop(ds, path, component="par", reference_rigidity="4GV")
    assert p.D_g_1 == pytest.approx(0.3, abs=1e-8)
    assert p.D_g_2 == pytest.approx(0.9, abs=1e-8)
    assert p.D_rigid_br == pytest.approx(2.0 * GV_PER_R * 1e3, rel=1e-6)  # MV
    assert p.D_rigid_ref == 4000.0
    assert p.fit.max_log_residual < 1e-8
    parsed = parse_galdef(path.read_text())
    assert set(parsed) == {"D0_xx", "D_rigid_ref", "D_rigid_br", "D_g_1", "D_g_2", "D_eta"}
    D_model = ds["D_par"].values * 1e4  # cm^2/s
    D_galprop = galprop_formula(rig * 1e3, ds["beta"].values, parsed)
    assert max_log_error(D_galprop, D_model) < 1e-6  # 7 significant digits written


def test_galprop_formula_reproduces_theory_to_the_reported_residual(tmp_path):
    rig = np.geomspace(1, 100, 8)
    ds = crt.diffusion_coefficients("theory", rigidity=rig, rigidity_unit="GV", **BASE)
    for kwargs in (
        {},
        {"break_rigidity": None},
        {"break_rigidity": "10GV", "reference_rigidity": 4},
    ):
        p = export_galprop(ds, tmp_path / "g", **kwargs)
        parsed = parse_galdef((tmp_path / "g").read_text())
        D_model = (ds["D_par"].values + 2 * ds["D_perp"].values) / 3 * 1e4
        err = np.abs(np.log(galprop_formula(rig * 1e3, ds["beta"].values, parsed) / D_model))
        assert float(err.max()) == pytest.approx(p.fit.max_log_residual, abs=1e-5)
        assert float(np.sqrt(np.mean(err**2))) == pytest.approx(p.fit.rms_log_residual, abs=1e-5)
        text = (tmp_path / "g").read_text()
        assert f"max |ln(D_fit/D)| = {p.fit.max_log_residual:.3g}" in text
    assert p.D_rigid_br == 10000.0 and p.D_rigid_ref == 4000.0


@pytest.mark.parametrize(("ref_GV", "eta"), [(30.0, 1.0), (1.5, -0.5), (30.0, 2.0)])
def test_galprop_reference_on_either_side_of_the_break_and_any_eta(
    fake_model, tmp_path, ref_GV, eta
):
    """GALPROP rescales D0_xx from D_rigid_ref to the break with D_g_2 when the reference
    lies above the break (D_g_1 below); with D_eta != 1 the fit is of D / beta^D_eta,
    which the model's D (proportional to beta) makes a broken power law times beta^(1-eta):
    low rigidities (beta < 1) are where the two differ."""
    model = fake_model(c_par=50.0, s1=0.3, s2=0.9, R_b=2.0)
    rig = np.geomspace(0.12, 100, 30)
    ds = crt.diffusion_coefficients(model, rigidity=rig, rigidity_unit="GV", **BASE)
    p = export_galprop(
        ds, tmp_path / "g", component="par", break_rigidity=2.0 * GV_PER_R,
        reference_rigidity=ref_GV, eta=eta,
    )  # fmt: skip
    parsed = parse_galdef((tmp_path / "g").read_text())
    assert parsed["D_eta"] == eta and parsed["D_rigid_ref"] == ref_GV * 1e3
    D_model = ds["D_par"].values * 1e4
    D_galprop = galprop_formula(rig * 1e3, ds["beta"].values, parsed)
    err = np.abs(np.log(D_galprop / D_model))
    assert float(err.max()) == pytest.approx(p.fit.max_log_residual, abs=1e-5)  # 7 digits
    if eta == 1.0:
        assert p.fit.max_log_residual < 1e-6  # exact: D / beta is the broken power law
    else:
        assert p.fit.max_log_residual > 1e-3  # beta^(1 - eta) is not a power law of rigidity


def test_galprop_skips_non_diffusive_points(fake_model):
    model = fake_model(s1=0.5, s2=0.5, diffusive_below=0.5)  # R < 0.5: rigidity < 1.12 GV
    ds = crt.diffusion_coefficients(model, rigidity=[0.5, 2, 4, 8], rigidity_unit="GV", **BASE)
    with pytest.warns(AccuracyWarning, match=r"not diffusive .* rigidities \[0.5\] GV"):
        p = export_galprop(ds, break_rigidity=None)
    assert p.fit.n_points == 3 and p.D_g_1 == pytest.approx(0.5, abs=1e-12)
    with (
        pytest.raises(ValueError, match="needs at least 4 rigidities with diffusive transport"),
        pytest.warns(AccuracyWarning),
    ):
        export_galprop(ds)


# --------------------------------------------------------------------------- DRAGON2


def test_dragon2_exact_power_law_and_round_trip(fake_model, tmp_path):
    model = fake_model(c_par=30.0, s1=0.45, s2=0.45, ratio=0.02)
    rig = np.geomspace(0.2, 100, 9)
    ds = crt.diffusion_coefficients(model, rigidity=rig, rigidity_unit="GV", **BASE)
    p = export_dragon2(ds, tmp_path / "d.xml", reference_rigidity="4GV", is_anisotropic=True)
    tags = parse_dragon2((tmp_path / "d.xml").read_text())
    assert tags["DiffRefRig"] == 4.0 and tags["etaT"] == 1.0
    beta = ds["beta"].values
    for prefix, var in (("DPar", "D_par"), ("DPerp", "D_perp")):
        assert tags[f"Delta{prefix[1:]}"] == pytest.approx(0.45, abs=1e-5)
        D = dragon2_formula(
            rig, beta, tags[f"{prefix}_1e28"], tags["DiffRefRig"], tags[f"Delta{prefix[1:]}"],
            tags[f"etaT{prefix[1:]}"],
        )  # fmt: skip
        assert max_log_error(D, ds[var].values * 1e4) < 1e-5  # 6 digits written
    iso = dragon2_formula(rig, beta, tags["D0_1e28"], 4.0, tags["Delta"], tags["etaT"])
    trace = (ds["D_par"].values + 2 * ds["D_perp"].values) / 3 * 1e4
    assert max_log_error(iso, trace) < 1e-5
    assert p.fit.max_log_residual < 1e-10


def test_dragon2_theory_residuals_and_isotropic_only(tmp_path):
    rig = np.geomspace(1, 50, 6)
    ds = crt.diffusion_coefficients("theory", rigidity=rig, rigidity_unit="GV", **BASE)
    # the stand-in's D_perp / beta falls slightly with rigidity here: DRAGON2's 2D grid
    # would not take that Delta, and the writer says so
    with pytest.warns(AccuracyWarning, match="Delta = -0.00"):
        p = export_dragon2(ds, tmp_path / "d.xml", component="perp")
    tags = parse_dragon2((tmp_path / "d.xml").read_text())
    assert "DPar_1e28" not in tags
    D = dragon2_formula(rig, ds["beta"].values, tags["D0_1e28"], 4.0, tags["Delta"], 1.0)
    err = max_log_error(D, ds["D_perp"].values * 1e4)
    assert err == pytest.approx(p.fit.max_log_residual, abs=1e-4)
    assert f"{p.fit.max_log_residual:.3g}" in (tmp_path / "d.xml").read_text()


def test_dragon2_default_is_isotropic_and_warns_on_a_flat_or_falling_delta(fake_model, tmp_path):
    """The anisotropic block is opt-in (3D grids only), and a fitted Delta <= 0, which
    DRAGON2's 2D coefficient would replace by its built-in fit, is flagged."""
    rig = np.geomspace(1, 50, 6)
    ds = crt.diffusion_coefficients(
        fake_model(s1=0.3, s2=0.3), rigidity=rig, rigidity_unit="GV", **BASE
    )
    text = export_dragon2(ds).to_xml()
    assert "AnisotropicDiffusion" not in text and "DPar_1e28" not in parse_dragon2(text)
    # D/beta falling with rigidity: Delta = -0.2 exactly
    ds = crt.diffusion_coefficients(
        fake_model(s1=-0.2, s2=-0.2), rigidity=rig, rigidity_unit="GV", **BASE
    )
    with pytest.warns(AccuracyWarning, match=r"isotropic Delta = -0.2 is not positive"):
        p = export_dragon2(ds, tmp_path / "d.xml")
    assert p.Delta == pytest.approx(-0.2, abs=1e-10)


# --------------------------------------------------------------------------- CRPropa


def read_crpropa(path):
    namespace = {}
    exec(path.read_text(), namespace)  # the snippet is plain assignments and comments
    return namespace["scale"], namespace["alpha"], namespace["epsilon"]


def test_crpropa_ultrarelativistic_power_law(fake_model, tmp_path):
    """Where E = pc (beta = 1), D_par proportional to rigidity^(1/3) is CRPropa's law exactly."""
    base = {**BASE, "lambda_perp": "1au"}  # R in [0.05, 50] is 11 to 11200 GV
    model = fake_model(c_par=3.0, s1=1 / 3, s2=1 / 3, ratio=0.05)
    rig = np.geomspace(1e3, 1e4, 5)
    ds = crt.diffusion_coefficients(model, rigidity=rig, rigidity_unit="GV", **base)
    p = export_crpropa(ds, tmp_path / "crpropa_params.py")
    scale, alpha, epsilon = read_crpropa(tmp_path / "crpropa_params.py")
    assert (scale, alpha, epsilon) == (p.scale, p.alpha, p.epsilon)
    assert alpha == pytest.approx(1 / 3, abs=1e-6)
    assert epsilon == pytest.approx(0.05, rel=1e-12)
    e_over_q = np.sqrt((rig * 1e9) ** 2 + (M_P * 1e9) ** 2)  # total energy / e, protons
    D_par = crpropa_formula(e_over_q, scale, alpha)
    assert max_log_error(D_par, ds["D_par"].values) < 1e-6
    assert max_log_error(epsilon * D_par, ds["D_perp"].values) < 1e-6


def test_crpropa_theory_residuals_use_total_energy(tmp_path):
    rig = np.geomspace(1, 50, 6)
    ds = crt.diffusion_coefficients("theory", rigidity=rig, rigidity_unit="GV", **BASE)
    p = export_crpropa(ds, tmp_path / "c.py")
    scale, alpha, epsilon = read_crpropa(tmp_path / "c.py")
    e_over_q = np.sqrt((rig * 1e9) ** 2 + (M_P * 1e9) ** 2)
    D_par = crpropa_formula(e_over_q, scale, alpha)
    assert max_log_error(D_par, ds["D_par"].values) == pytest.approx(
        p.fit_par.max_log_residual, abs=1e-12
    )
    assert max_log_error(epsilon * D_par, ds["D_perp"].values) == pytest.approx(
        p.fit_perp.max_log_residual, abs=1e-12
    )


def test_crpropa_helium_uses_total_energy_over_charge(fake_model, tmp_path):
    """CRPropa's 'rigidity' is E/q with E the total energy: for helium-4 (Z = 2) that is
    sqrt(R^2 + (M/Z)^2) with M the alpha-particle mass, not the rigidity R."""
    base = {**BASE, "lambda_perp": "0.1au", "species": "helium"}  # 1.1 to 1121 GV
    model = fake_model(c_par=3.0, s1=0.5, s2=0.5, ratio=0.1)
    rig = np.geomspace(2.0, 20.0, 6)  # where E/q and R differ by up to 40 %
    ds = crt.diffusion_coefficients(model, rigidity=rig, rigidity_unit="GV", **base)
    p = export_crpropa(ds, tmp_path / "c.py")
    scale, alpha, epsilon = read_crpropa(tmp_path / "c.py")
    M_ALPHA = 3.727_379_4066  # GeV, CODATA 2018
    e_over_q = np.sqrt((rig * 1e9) ** 2 + (M_ALPHA / 2 * 1e9) ** 2)
    D_par = crpropa_formula(e_over_q, scale, alpha)
    err = max_log_error(D_par, ds["D_par"].values)
    assert err == pytest.approx(p.fit_par.max_log_residual, abs=1e-9)
    assert epsilon == pytest.approx(0.1, rel=1e-9)
    # fitted in R instead of E/q the law would be exact: the residual shows it is not
    assert p.fit_par.max_log_residual > 0.01


def test_crpropa_refuses_values_it_cannot_take(fake_model):
    model = fake_model(s1=3.0, s2=3.0)
    ds = crt.diffusion_coefficients(model, rigidity=[1, 2, 4], rigidity_unit="GV", **BASE)
    with pytest.raises(ValueError, match=r"alpha = 4\.0\d* is outside DiffusionSDE's \[0, 2\]"):
        export_crpropa(ds)
    ds = crt.diffusion_coefficients(
        fake_model(ratio=2.0), rigidity=[1, 2], rigidity_unit="GV", **BASE
    )
    with pytest.raises(ValueError, match=r"epsilon = D_perp/D_par = 2 is outside .*\[0, 1\]"):
        export_crpropa(ds)


# --------------------------------------------------------------------------- table


def test_table_csv_and_netcdf_round_trip(fake_model, tmp_path):
    rig = np.array([1.0, 3.0, 10.0])
    ds = crt.diffusion_coefficients(fake_model(), rigidity=rig, rigidity_unit="GV", **BASE)
    export_table(ds, tmp_path / "t.csv", diffusion_unit="cm2/s")
    lines = (tmp_path / "t.csv").read_text().splitlines()
    assert any(line.startswith("# D_par:") and "(cm2/s)" in line for line in lines)
    rows = [line for line in lines if not line.startswith("#")]
    header = rows[0].split(",")
    assert header[:4] == ["rigidity_GV", "kinetic_energy_GeV", "beta_1", "D_par_cm2/s"]
    table = np.array([[float(x) for x in row.split(",")] for row in rows[1:]])
    np.testing.assert_array_equal(table[:, 0], rig)
    np.testing.assert_array_equal(table[:, 3], ds["D_par"].values * 1e4)
    np.testing.assert_array_equal(
        table[:, header.index("D_perp_std_cm2/s")], ds["D_perp_std"] * 1e4
    )
    export_table(ds, tmp_path / "t.nc")
    with xr.open_dataset(tmp_path / "t.nc") as back:
        np.testing.assert_array_equal(back["D_perp"], ds["D_perp"])
        assert back["D_perp"].attrs["units"] == "m2/s"
        assert back.attrs["species"] == "proton"
    with pytest.raises(ValueError, match=r"`path` must end in '.nc' or '.csv'; got 't.txt'"):
        export_table(ds, tmp_path / "t.txt")


def test_exporters_check_their_options(fake_model):
    ds = crt.diffusion_coefficients(fake_model(), rigidity=[1, 2, 4, 8], rigidity_unit="GV", **BASE)
    with pytest.raises(ValueError, match="`component` must be one of 'trace', 'par', 'perp'"):
        export_galprop(ds, component="xx")
    with pytest.raises(ValueError, match=r"`reference_rigidity`: .*got 'GeV'"):
        export_dragon2(ds, reference_rigidity="4GeV")
    with pytest.raises(ValueError, match="must have the dimension 'rigidity'"):
        export_crpropa(ds.rename({"rigidity": "R_dim"}))
    assert math.isfinite(export_galprop(ds).fit.rms_log_residual)
