"""Physical units on the command line: ``crtransport predict`` and ``crtransport simulate``.

The expected conversions are computed here from CODATA constants, independently of
``crtransport.units``: rho0 = m c / (|q| B0) = E0 / (|Z| c B0) with the rest energy E0 in eV
and B0 in T gives metres, and the diffusion unit rho0^2 omega_c = m c^2 / (|q| B0) = rho0 c
(because rho0 omega_c = c) in m^2/s.
"""

from __future__ import annotations

import argparse
import json
from types import SimpleNamespace

import numpy as np
import pytest

from crtransport import cli, units

C = 299_792_458.0  # m/s, exact
AU = 149_597_870_700.0  # m, exact (IAU 2012)
PARSEC = 3.085_677_581_491_367e16  # m
PROTON_EV = 938.272_088_16e6  # CODATA 2018 proton rest energy
ELECTRON_EV = 0.510_998_950_00e6
ALPHA_EV = 3727.379_4066e6

#: Inputs of the paper's surrogate (scaled), inside the training domain of the test model.
MODEL_ARGS = ["--b", "0.5"]


def rho0_m(B0_T: float, E0_eV: float = PROTON_EV, Z: int = 1) -> float:
    return E0_eV / (abs(Z) * C * B0_T)


def run(argv: list[str], capsys) -> tuple[int, str, str]:
    """``crtransport ARGV`` in-process: exit status (argparse's too), stdout, stderr."""
    try:
        rc = cli.main(argv)
    except SystemExit as exc:  # argparse's own errors
        rc = exc.code
    captured = capsys.readouterr()
    return rc, captured.out, captured.err


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    """A small surrogate of D = sqrt(T) b^2 lambda_perp^0.3, saved to a file."""
    from crtransport.surrogate import Surrogate

    rng = np.random.default_rng(5)
    X = rng.uniform([0.1, 0.1, 0.2], [10.0, 1.0, 20.0], size=(200, 3))
    y = np.sqrt(X[:, 0]) * X[:, 1] ** 2 * X[:, 2] ** 0.3
    domain = {"T": (0.0, 10.0), "b": (0.0, 1.0), "lambda_perp": (0.2, 20.0)}
    sur = Surrogate(hidden_widths=(6,)).fit(X, y, epochs=30, key=0, domain=domain)
    path = sur.save(tmp_path_factory.mktemp("model") / "model.npz")
    return SimpleNamespace(path=str(path), sur=Surrogate.load(path))


def predict_json(model, argv, capsys) -> dict:
    rc, out, err = run(["predict", "--surrogate", model.path, *argv, "--json"], capsys)
    assert rc == 0, err
    return json.loads(out)


# --------------------------------------------------------------------------- predict


def test_scaled_units_give_exactly_surrogate_predict(model, capsys):
    record = predict_json(model, ["--T", "1", "2.5", "--b", "0.5", "--lambda-perp", "5"], capsys)
    expected = model.sur.predict(T=np.array([1.0, 2.5]), b=0.5, lambda_perp=5.0)
    np.testing.assert_array_equal(record["D_perp"], expected)
    assert record["T"] == [1.0, 2.5]
    assert record["units"] == "rho0^2 omega_c"
    assert not any(key.startswith("D_perp_") for key in record)  # no --B0: scaled only


@pytest.mark.parametrize(
    ("species", "energy", "eV", "E0", "Z", "length", "metres"),
    [
        ("proton", "1GeV", 1e9, PROTON_EV, 1, "0.01au", 0.01 * AU),
        ("electron", "1 MeV", 1e6, ELECTRON_EV, -1, "1000km", 1e6),
        ("alpha", "4GeV", 4e9, ALPHA_EV, 2, "0.01AU", 0.01 * AU),
    ],
)
def test_physical_units_match_the_scaled_call(
    model, capsys, species, energy, eV, E0, Z, length, metres
):
    B0_T = 5e-9
    T = eV / E0
    rho0 = rho0_m(B0_T, E0, Z)
    lambda_perp = metres / rho0
    record = predict_json(
        model,
        ["--species", species, "--energy", energy, "--B0", "5nT", "--lambda-perp", length,
         *MODEL_ARGS],
        capsys,
    )  # fmt: skip
    # the scaled inputs are echoed, as converted independently here
    np.testing.assert_allclose(record["T"], [T], rtol=1e-12)
    np.testing.assert_allclose(record["lambda_perp"], [lambda_perp], rtol=1e-12)
    assert record["b"] == [0.5]
    assert record["species"] == species
    assert record["B0_T"] == pytest.approx(B0_T, rel=1e-15)
    assert record["rho0_m"] == pytest.approx(rho0, rel=1e-12)
    # the same D_perp as the scaled call at the converted inputs
    scaled = predict_json(
        model, ["--T", repr(T), "--lambda-perp", repr(lambda_perp), *MODEL_ARGS], capsys
    )
    np.testing.assert_allclose(record["D_perp"], scaled["D_perp"], rtol=1e-6)
    np.testing.assert_array_equal(
        record["D_perp"],
        model.sur.predict(T=np.array(record["T"]), b=0.5, lambda_perp=record["lambda_perp"]),
    )
    # D in m^2/s is D_scaled * rho0 * c, in cm^2/s 1e4 times that
    D_m2s = np.array(record["D_perp"]) * rho0 * C
    np.testing.assert_allclose(record["D_perp_m2/s"], D_m2s, rtol=1e-12)
    np.testing.assert_allclose(record["D_perp_cm2/s"], 1e4 * D_m2s, rtol=1e-12)
    assert record["diffusion_unit_m2/s"] == pytest.approx(rho0 * C, rel=1e-12)


def test_the_diffusion_unit_is_rho0_squared_omega_c():
    # PHYSICS.md: the unit is rho0^2 omega_c = m c^2 / (|q| B0); omega_c = |q| B0 / m
    from crtransport import units

    B0_T = 5e-9
    omega_c = C**2 * B0_T / PROTON_EV  # |q| B0 / m with m = E0 e / c^2, in rad/s
    rho0 = rho0_m(B0_T)
    assert rho0**2 * omega_c == pytest.approx(rho0 * C, rel=1e-14)
    m_c2_over_e_B0 = PROTON_EV / B0_T  # m c^2 / (e B0) in m^2/s
    assert m_c2_over_e_B0 == pytest.approx(rho0 * C, rel=1e-14)
    assert float(units.diffusion_from_scaled(1.0, B0="5nT")) == pytest.approx(rho0 * C, rel=1e-12)
    assert float(units.rho0("5nT")) == pytest.approx(rho0, rel=1e-12)


@pytest.mark.parametrize("B0", ["5nT", "5 nT", "5e-9T", "50uG", "50microgauss", "5e-5G"])
def test_every_field_unit_of_units_py(model, capsys, B0):
    record = predict_json(
        model, ["--T", "1", "--lambda-perp", "0.02au", "--B0", B0, *MODEL_ARGS], capsys
    )
    np.testing.assert_allclose(record["lambda_perp"], [0.02 * AU / rho0_m(5e-9)], rtol=1e-12)
    assert record["B0_T"] == pytest.approx(5e-9, rel=1e-12)


def test_B0_with_scaled_inputs_converts_the_output_and_values_broadcast(model, capsys):
    argv = ["--T", "1", "2", "3", "--lambda-perp", "5", "0.01au", "2e-8pc", "--B0", "5nT"]
    record = predict_json(model, [*argv, *MODEL_ARGS], capsys)
    assert record["T"] == [1.0, 2.0, 3.0]
    rho0 = rho0_m(5e-9)
    lambda_perp = [5.0, 0.01 * AU / rho0, 2e-8 * PARSEC / rho0]  # plain numbers are in rho0
    np.testing.assert_allclose(record["lambda_perp"], lambda_perp, rtol=1e-12)
    np.testing.assert_allclose(
        record["D_perp_m2/s"], np.array(record["D_perp"]) * rho0_m(5e-9) * C, rtol=1e-12
    )


def test_energy_needs_only_the_species(model, capsys):
    # T = E / (m c^2): no field needed; lengths stay in rho0 and D in scaled units
    argv = ["--species", "alpha", "--energy", "8GeV", "--lambda-perp", "5", *MODEL_ARGS]
    record = predict_json(model, argv, capsys)
    np.testing.assert_allclose(record["T"], [8e9 / 3727.3794066e6], rtol=1e-12)
    assert "D_perp_m2/s" not in record


def test_table_echoes_scaled_inputs_and_physical_columns(model, capsys):
    argv = ["predict", "--surrogate", model.path, "--energy", "1GeV", "2GeV", "--B0", "5nT",
            "--lambda-perp", "0.01au", *MODEL_ARGS]  # fmt: skip
    rc, out, err = run(argv, capsys)
    assert rc == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("# proton, B0 = 5nT (5e-09 T): rho0 = 6.25948e+08 m")
    assert lines[1].split() == ["T", "b", "lambda_perp", "D_perp", "D_perp_m2/s", "D_perp_cm2/s"]
    rows = np.array([[float(v) for v in line.split()] for line in lines[2:]])
    assert rows.shape == (2, 6)
    np.testing.assert_allclose(rows[:, 0], [1e9 / PROTON_EV, 2e9 / PROTON_EV], rtol=1e-5)
    np.testing.assert_allclose(rows[:, 4], rows[:, 3] * rho0_m(5e-9) * C, rtol=1e-5)


def test_missing_input_names_both_energy_options(model, capsys):
    argv = ["predict", "--surrogate", model.path, "--b", "0.5", "--lambda-perp", "5"]
    rc, _, err = run(argv, capsys)
    assert rc == 2
    assert "give --T, --energy or --rigidity" in err


@pytest.mark.parametrize(
    ("species", "A", "Z"),
    [("iron", 56, 26), ("56Fe", 56, 26), ("carbon", 12, 6), ("A=3,Z=2", 3, 2)],
)
def test_any_nucleus_and_rigidity_inputs(model, capsys, species, A, Z):
    # issue 17: only proton, electron and alpha were known, and no rigidity input
    E0 = units.nucleus(A, Z).rest_energy_eV
    record = predict_json(
        model, ["--species", species, "--rigidity", "10GV", "--lambda-perp", "5", *MODEL_ARGS],
        capsys,
    )  # fmt: skip
    pc = Z * 10e9  # p c = |Z| R
    np.testing.assert_allclose(record["T"], [(np.hypot(pc, E0) - E0) / E0], rtol=1e-12)
    record = predict_json(
        model, ["--species", species, "--energy", "20GeV", "--B0", "5nT", "--lambda-perp",
                "0.01au", *MODEL_ARGS], capsys,
    )  # fmt: skip
    np.testing.assert_allclose(record["T"], [20e9 / E0], rtol=1e-12)
    np.testing.assert_allclose(record["lambda_perp"], [0.01 * AU / rho0_m(5e-9, E0, Z)], rtol=1e-12)


# --------------------------------------------------------------------------- bad input

_ENERGY_UNITS = "use a number with one of eV, keV, MeV, GeV, TeV, PeV, EeV"
_FIELD_UNITS = "use a number with one of T, G, mG, uG, µG, μG, microgauss, nT"
_LENGTH_UNITS = "use a number with one of m, cm, km, au, AU, pc, kpc"

BAD = [
    # unknown unit
    (["--energy", "1 GeX", "--B0", "5nT"], f"--energy: '1 GeX' is not an energy; {_ENERGY_UNITS}"),
    (["--T", "1", "--B0", "5nG"], f"--B0: '5nG' is not a magnetic field; {_FIELD_UNITS}"),
    (["--T", "1", "--B0", "5nT", "--lambda-perp", "3 parsec"],
     f"--lambda-perp: '3 parsec' is not a length; {_LENGTH_UNITS}"),
    # wrong kind of unit
    (["--energy", "5nT", "--B0", "5nT"], "--energy: '5nT' is a magnetic field, not an energy"),
    (["--T", "1", "--B0", "1au"], "--B0: '1au' is a length, not a magnetic field"),
    (["--T", "1", "--B0", "5nT", "--lambda-perp", "1GeV"],
     "--lambda-perp: '1GeV' is an energy, not a length"),
    (["--T", "1", "--B0", "5nT", "--lambda-par", "3s"],
     "--lambda-par: '3s' is a time, not a length"),
    # no unit where one is needed
    (["--energy", "1", "--B0", "5nT"], f"--energy: '1' has no unit; {_ENERGY_UNITS}"),
    (["--T", "1", "--B0", "5"], f"--B0: '5' has no unit; {_FIELD_UNITS}"),
    # a unit without --B0
    (["--T", "1", "--lambda-perp", "0.01au"], "--lambda-perp: '0.01au' has a unit, so --B0 is"),
    # both --T and --energy
    (["--T", "1", "--energy", "1GeV", "--B0", "5nT"], "--energy: not allowed with argument --T"),
    # non-positive energy, field, length
    (["--energy", "0GeV", "--B0", "5nT"], "--energy: '0GeV' is not positive"),
    (["--energy=-1GeV", "--B0", "5nT"], "--energy: '-1GeV' is not positive"),
    (["--T", "0"], "--T: '0.0' is not positive"),
    (["--T", "1", "--B0", "0nT"], "--B0: '0nT' is not positive"),
    (["--T", "1", "--B0=-5nT"], "--B0: '-5nT' is not positive"),
    (["--T", "1", "--lambda-perp", "0"], "--lambda-perp: '0' is not positive"),
    (["--T", "1", "--B0", "5nT", "--lambda-perp=-1au"], "--lambda-perp: '-1au' is not positive"),
    (["--T", "1", "--lambda-par", "nan"], "--lambda-par: 'nan' is not finite"),
    (["--energy", "1e999GeV", "--B0", "5nT"], "--energy: '1e999GeV' is not finite"),
    # dimensionless inputs out of range
    (["--T", "1", "--b", "nan"], "--b: 'nan' is not a finite number >= 0"),
    (["--T", "1", "--b=-0.1"], "--b: '-0.1' is not a finite number >= 0"),
    (["--T", "1", "--mu", "1.5"], "--mu: '1.5' is not a finite number in [-1, 1]"),
    # unknown species
    (["--T", "1", "--species", "muon"],
     "--species: 'muon' is not a known species; use one of proton, electron, alpha, helium"),
    (["--rigidity", "10GeV"], "--rigidity: '10GeV' is an energy, not a rigidity; use a number "
     "with one of V, kV, MV, GV, TV, PV, EV"),
]  # fmt: skip


@pytest.mark.parametrize("command", ["predict", "simulate"])
@pytest.mark.parametrize(("argv", "message"), BAD, ids=[m.split(":")[0] for _, m in BAD])
def test_bad_input_exits_2_naming_option_value_and_allowed(model, capsys, command, argv, message):
    if "--lambda-perp" not in " ".join(argv):
        argv = [*argv, "--lambda-perp", "5"]
    extra = ["--surrogate", model.path] if command == "predict" else []
    if not any(a.startswith("--b") and not a.startswith("--B0") for a in argv):
        argv = [*argv, "--b", "0.5"]
    rc, out, err = run([command, *extra, *argv], capsys)
    assert rc == 2
    assert message in err
    assert "Traceback" not in err and out == ""


# --------------------------------------------------------------------------- simulate


def test_simulate_receives_the_converted_inputs_and_prints_physical_units(monkeypatch, capsys):
    import crtransport._simulate

    calls = []

    def fake_simulate(**kwargs):
        calls.append(kwargs)
        config = SimpleNamespace(
            T=kwargs["T"], b=kwargs["b"], mu=kwargs["mu"], model="2d", n_particles=10,
            n_waves=5, n_steps=100, dt=0.1, to_dict=lambda: {"T": kwargs["T"]},
            is_isotropic=False, R=0.5,
        )  # fmt: skip
        regime = SimpleNamespace(alpha=1.0, alpha_err=0.01, regime="diffusive")
        return SimpleNamespace(
            D_perp=2.0, D_perp_err=0.1, D_par=30.0, D_par_err=1.0, converged=True,
            converged_par=False, wall_time=0.5, config=config, stop_reason="plateau",
            t_end=10.0, n_steps=100, regime_perp=regime, regime_par=regime,
        )  # fmt: skip

    monkeypatch.setattr(crtransport._simulate, "simulate", fake_simulate)
    argv = ["simulate", "--species", "proton", "--energy", "1GeV", "--B0", "5nT",
            "--lambda-perp", "0.01au", "--lambda-par", "0.1au", "--b", "0.2"]  # fmt: skip
    rc, out, err = run([*argv, "--json"], capsys)
    assert rc == 0, err
    rho0 = rho0_m(5e-9)
    (kwargs,) = calls
    assert kwargs["T"] == pytest.approx(1e9 / PROTON_EV, rel=1e-12)
    assert kwargs["lambda_perp"] == pytest.approx(0.01 * AU / rho0, rel=1e-12)
    assert kwargs["lambda_par"] == pytest.approx(0.1 * AU / rho0, rel=1e-12)
    assert (kwargs["b"], kwargs["mu"]) == (0.2, 0.5)
    record = json.loads(out)
    assert record["inputs"]["lambda_perp"] == kwargs["lambda_perp"]
    assert record["D_perp_m2/s"] == pytest.approx(2.0 * rho0 * C, rel=1e-12)
    assert record["D_par_err_cm2/s"] == pytest.approx(1e4 * 1.0 * rho0 * C, rel=1e-12)
    assert record["rho0_m"] == pytest.approx(rho0, rel=1e-12)

    rc, out, err = run(argv, capsys)
    assert rc == 0, err
    assert "proton, B0 = 5nT (5e-09 T): rho0 = 6.25948e+08 m" in out
    assert f"D_perp = {2.0 * rho0 * C:.6g} ± {0.1 * rho0 * C:.2g} m2/s" in out
    # D_par has no plateau here (converged_par=False, alpha = 1.0 in the fake): no error bar
    assert "D_par ~ 30   (not converged: no plateau by t = 10/omega_c" in out
    assert f"D_par ~ {30.0 * rho0 * C:.4g} m2/s (no plateau)" in out
    assert "± 1" not in out.split("D_par", 1)[1].split("\n", 1)[0]

    # scaled inputs: no conversion, no physical lines
    rc, out, err = run(["simulate", "--T", "1", "--b", "0.2", "--lambda-perp", "5"], capsys)
    assert rc == 0, err
    assert calls[-1]["T"] == 1.0 and calls[-1]["lambda_perp"] == 5.0
    assert "lambda_par" not in calls[-1]  # the engine's default, 10 lambda_perp
    assert "m2/s" not in out


def test_simulate_with_physical_units_end_to_end(capsys):
    argv = ["simulate", "--energy", "1GeV", "--B0", "5nT", "--lambda-perp", "0.01au", "--b",
            "0.2", "--n-particles", "20", "--n-waves", "5", "--t-max", "50", "--json"]  # fmt: skip
    rc, out, err = run(argv, capsys)
    assert rc == 0, err
    record = json.loads(out)
    rho0 = rho0_m(5e-9)
    assert record["config"]["T"] == pytest.approx(1e9 / PROTON_EV, rel=1e-12)
    turbulence = record["config"]["turbulence"]
    assert turbulence["lambda_perp"] == pytest.approx(0.01 * AU / rho0, rel=1e-12)
    assert turbulence["lambda_par"] == pytest.approx(0.1 * AU / rho0, rel=1e-12)
    for name in ("D_perp", "D_perp_err", "D_par", "D_par_err"):
        assert record[f"{name}_m2/s"] == pytest.approx(record[name] * rho0 * C, rel=1e-12)
        assert record[f"{name}_cm2/s"] == pytest.approx(1e4 * record[name] * rho0 * C, rel=1e-12)


@pytest.mark.parametrize(
    ("alpha", "relation", "words"),
    [(1.4, ">=", "a lower bound: it still grows"), (0.6, "<=", "an upper bound: it still falls")],
)
def test_unconverged_coefficient_is_printed_as_a_bound_not_an_error_bar(alpha, relation, words):
    # issue 17: "170.2 +- 1.4" beside "converged: False" read as a tight diffusion coefficient
    from crtransport.cli._simulate import _coefficient_line

    regime = SimpleNamespace(alpha=alpha, alpha_err=0.02, regime="x-diffusive")
    line = _coefficient_line("D_par ", 170.2, 1.4, False, regime, 4000.0)
    assert line.startswith(f"D_par {relation} 170.2   (not converged: no plateau by t = 4000/")
    assert words in line and f"alpha = {alpha:g} ± 0.02" in line
    assert "±" not in line.split("alpha")[0]
    assert _coefficient_line("D_par ", 170.2, 1.4, True, regime, 4000.0) == (
        "D_par  = 170.2 ± 1.4   (converged)"
    )


def test_every_simulate_option_has_help():
    from crtransport.cli import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for command in ("simulate", "predict", "train", "build"):
        if command not in sub.choices:
            continue
        for action in sub.choices[command]._actions:
            if action.option_strings and action.dest != "help":
                assert action.help, f"{command} {action.option_strings[0]} has no help"
    b0 = next(a for a in sub.choices["simulate"]._actions if "--B0" in a.option_strings)
    # energies need only --species: --B0 is for lengths with a unit and the physical output
    assert "needed by any input with a unit" not in b0.help
    assert "--energy" in b0.help


def test_extrapolation_messages_speak_cli(model, capsys):
    # issue 17: the warning printed a Python source path, named the keyword on_extrapolate and
    # said "at 1"
    argv = ["predict", "--surrogate", model.path, "--T", "30", "--lambda-perp", "5", *MODEL_ARGS]
    rc, out, err = run(argv, capsys)
    assert rc == 0 and out
    lines = err.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("crtransport predict: warning: the input point lies outside the")
    assert "T = 30 is outside the trained range [0, 10]" in lines[0]
    assert "--on-extrapolate ignore" in lines[0]
    assert "on_extrapolate=" not in err and ".py" not in err and " at 1" not in err
    rc, _, err = run([*argv, "--on-extrapolate", "ignore"], capsys)
    assert rc == 0 and err == ""
    rc, _, err = run([*argv[:4], "30", "40", "1", *argv[5:], "--on-extrapolate", "raise"], capsys)
    assert rc == 2
    assert err.startswith("crtransport predict: error: 2 of 3 input points lie outside")
    assert "T = 40 is outside the trained range [0, 10] (2 points, this the farthest)" in err
    assert "on_extrapolate=" not in err
