"""One CLI package (issue 16.4): fast help, one vocabulary, deprecated spellings, one policy."""

from __future__ import annotations

import argparse
import dataclasses
import os
import subprocess
import sys
from pathlib import Path

import pytest

import crtransport as crt
from crtransport import cli
from crtransport._settings import SETTINGS_DEFAULTS
from crtransport.cli import _options

ROOT = Path(__file__).resolve().parents[1]


def _subparsers() -> dict[str, argparse.ArgumentParser]:
    parser = cli.build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(sub.choices)


def _options_of(parser: argparse.ArgumentParser) -> set[str]:
    return {s for a in parser._actions if a.help != argparse.SUPPRESS for s in a.option_strings}


def test_help_imports_neither_jax_nor_xarray():
    # what `crtransport --help` and `python -m crtransport --help` run
    code = (
        "import runpy, sys\n"
        "sys.argv = ['crtransport', '--help']\n"
        "try:\n"
        "    runpy.run_module('crtransport', run_name='__main__')\n"
        "except SystemExit as exc:\n"
        "    assert exc.code == 0, exc.code\n"
        "heavy = sorted({'jax', 'xarray', 'numba'} & set(sys.modules))\n"
        "print('HEAVY', *heavy)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    assert "usage: crtransport" in out.stdout
    assert out.stdout.strip().splitlines()[-1] == "HEAVY"  # none of them


def test_console_script_points_at_the_cli_package():
    text = (ROOT / "pyproject.toml").read_text()
    assert 'crtransport = "crtransport.cli:main"' in text
    assert cli.main.__module__ == "crtransport.cli._main"


def test_one_vocabulary_across_commands():
    commands = _subparsers()
    # files a command writes: -o/--output; seeds: --seed; bars: --no-progress
    for name in ("build", "train"):
        assert {"-o", "--output"} <= _options_of(commands[name]), name
    for name in ("simulate", "build", "train"):
        assert "--seed" in _options_of(commands[name]), name
        assert "--no-progress" in _options_of(commands[name]), name
    # --model is the turbulence model wherever it appears; a surrogate file is --surrogate
    assert "--model" in _options_of(commands["simulate"])
    assert "--model" in _options_of(commands["build"])
    assert "--model" not in _options_of(commands["predict"])  # only as a hidden alias
    assert "--surrogate" in _options_of(commands["predict"])
    # the old spellings are hidden from --help
    for name, old in (("build", "--out"), ("build", "--workers"), ("train", "--key")):
        assert old not in _options_of(commands[name])


def test_simulate_and_build_share_every_simulation_setting():
    commands = _subparsers()
    flags = {_options.flag(name) for name in SETTINGS_DEFAULTS}
    assert flags == {_options.flag(f.name) for f in dataclasses.fields(crt.SimulationSettings)}
    assert set(_options.SETTING_HELP) == set(SETTINGS_DEFAULTS)
    for name in ("simulate", "build"):
        assert flags <= _options_of(commands[name]), name


def test_setting_help_names_every_model_and_preset():
    from crtransport.turbulence._models import MODEL_NAMES

    for model in MODEL_NAMES:
        assert model in _options.SETTING_HELP["model"]
    for preset in crt.RUN_RULES:
        assert f"'{preset}'" in _options.SETTING_HELP["rules"]


def test_predict_model_is_a_deprecated_spelling_of_surrogate(monkeypatch, capsys, tmp_path):
    from crtransport.surrogate import Surrogate

    loaded = []

    def fake_load(path, **kwargs):
        loaded.append(Path(path))
        raise FileNotFoundError(f"no model file {path}")

    monkeypatch.setattr(Surrogate, "load", staticmethod(fake_load))
    args = ["--T", "1", "--b", "0.5", "--lambda-perp", "5"]
    assert cli.main(["predict", "--model", str(tmp_path / "m.npz"), *args]) == 2
    err = capsys.readouterr().err
    assert "crtransport predict: warning: --model is deprecated; use --surrogate" in err
    assert cli.main(["predict", "--surrogate", str(tmp_path / "m.npz"), *args]) == 2
    assert "deprecated" not in capsys.readouterr().err
    assert loaded == [tmp_path / "m.npz"] * 2


def test_train_key_is_a_deprecated_spelling_of_seed():
    commands = _subparsers()
    parse = commands["train"].parse_args
    assert parse(["db.nc", "-o", "m.npz", "--key", "7"]).seed == 7
    assert parse(["db.nc", "-o", "m.npz", "--seed", "7"]).seed == 7
    assert parse(["db.nc", "-o", "m.npz"]).seed == 0


def test_simulate_settings_flags_reach_simulate(monkeypatch, capsys):
    from crtransport import _simulate

    seen = {}

    def fake(**kwargs):
        seen.update(kwargs)
        raise RuntimeError("stop here")

    monkeypatch.setattr(_simulate, "simulate", fake)
    rc = cli.main(["simulate", "--T", "1", "--b", "0.2", "--lambda-perp", "5", "--n-save", "16",
                   "--k-perp-range", "0", "50", "--backend", "numba", "--shared-field",
                   "--rules", "paper", "--seed", "4"])  # fmt: skip
    assert rc == 1  # a failure while running, not a usage error
    assert capsys.readouterr().err.strip() == "crtransport simulate: error: stop here"
    assert seen["settings"] == crt.SimulationSettings(
        n_save=16, k_perp_range=(0.0, 50.0), shared_field=True, rules="paper"
    )
    assert seen["seed"] == 4


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--n-particles", "1"], "`n_particles` must be an integer in [2, inf]; got 1."),
        (["--model", "iso"], "`model` must be one of '2d', 'slab', 'isotropic', 'composite'; got"),
        (["--rules", "fast"], "`rules` must be one of 'default', 'paper'; got 'fast'."),
        (["--k-par-range", "3", "1"], "`k_par_range` must satisfy 0 <= min < max <= inf"),
    ],
)
def test_bad_settings_exit_2_naming_setting_value_and_range(capsys, argv, message):
    rc = cli.main(["simulate", "--T", "1", "--b", "0.2", "--lambda-perp", "5", *argv])
    err = capsys.readouterr().err
    assert rc == 2
    assert err.startswith(f"crtransport simulate: error: {message}")
    assert "Traceback" not in err


def test_argparse_usage_errors_exit_2(capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["simulate", "--T", "1", "--b", "0.2", "--lambda-perp", "5", "--converge", "x"])
    assert exc.value.code == 2
    assert "invalid choice: 'x'" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        cli.main(["train", "db.nc"])  # no output
    assert exc.value.code == 2
    assert "-o/--output" in capsys.readouterr().err


def test_import_errors_are_one_line_failures(monkeypatch, capsys):
    from crtransport import _simulate

    def missing(**kwargs):
        raise ImportError("--backend jax needs jax")

    monkeypatch.setattr(_simulate, "simulate", missing)
    rc = cli.main(["simulate", "--T", "1", "--b", "0.2", "--lambda-perp", "5"])
    assert rc == 1
    assert capsys.readouterr().err.strip() == "crtransport simulate: error: --backend jax needs jax"
