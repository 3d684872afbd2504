"""``crtransport build``: options map onto build_dataset; errors exit cleanly."""

from __future__ import annotations

import json

import pytest

from crtransport import cli
from crtransport.dataset import Free, ParameterSpace, _builder, _testing


@pytest.fixture
def fake_engine(monkeypatch):
    """Route ``crtransport build`` to the fake engine; record the arguments."""
    seen = {}

    def fake_build_dataset(space=None, n_samples=None, **kwargs):
        seen.update(kwargs, space=space, n_samples=n_samples)
        return _builder._build(
            space, n_samples, run_fn=_testing.fake_simulate_run,
            defaults_fn=_testing.fake_defaults, **kwargs,
        )  # fmt: skip

    monkeypatch.setattr(_builder, "build_dataset", fake_build_dataset)
    return seen


def test_build_command(tmp_path, fake_engine, capsys):
    out = tmp_path / "db.nc"
    rc = cli.main(
        ["build", "-o", str(out), "--n-samples", "5", "--seed", "3", "--n-particles", "64",
         "--set", "t_max=20", "--set", "sleep=0", "--analytic-fraction", "0.2",
         "--running-times", "1,5", "--n-workers", "1", "--no-progress"]
    )  # fmt: skip
    assert rc == 0
    assert f"wrote {out}: 5 samples (1 analytic" in capsys.readouterr().out
    assert fake_engine["simulation"] == {"n_particles": 64, "t_max": 20, "sleep": 0}
    assert fake_engine["n_workers"] == 1
    assert fake_engine["executor"] is None
    assert fake_engine["running_times"] == [1.0, 5.0]
    assert fake_engine["space"] == ParameterSpace.paper()
    assert out.exists()
    # the same command again resumes/finishes at once
    assert cli.main(["build", "-o", str(out), "--n-samples", "5", "--seed", "3",
                     "--n-particles", "64", "--set", "t_max=20", "--set", "sleep=0",
                     "--analytic-fraction", "0.2", "--running-times", "1,5", "--n-workers",
                     "1", "--no-progress"]) == 0  # fmt: skip


def test_space_from_json_file(tmp_path, fake_engine):
    space = ParameterSpace(T=Free(0.1, 10.0, log=True), sampling="lhs")
    spec = tmp_path / "space.json"
    spec.write_text(json.dumps(space.to_dict()))
    rc = cli.main(["build", "-o", str(tmp_path / "db.nc"), "--space", str(spec),
                   "--n-samples", "3", "--n-workers", "1", "--no-progress"])  # fmt: skip
    assert rc == 0
    assert fake_engine["space"] == space


@pytest.mark.parametrize(
    ("argv", "match"),
    [
        (["--n-samples", "0"], "`n_samples` must be an integer in"),
        (["--n-samples", "3", "--set", "oops"], "--set must look like KEY=VALUE"),
        (["--n-samples", "3", "--set", "n_partcles=3"], "unknown simulation settings"),
        (["--n-samples", "3", "--space", "nowhere.json"], "--space: no such file"),
        (["--n-samples", "3", "--running-times", "1,a"], "--running-times must be"),
    ],
)
def test_errors_exit_2(tmp_path, fake_engine, capsys, argv, match):
    rc = cli.main(["build", "-o", str(tmp_path / "db.nc"), "--no-progress", *argv])
    assert rc == 2
    assert match in capsys.readouterr().err


def test_sample_failure_exits_1(tmp_path, fake_engine, capsys):
    rc = cli.main(["build", "-o", str(tmp_path / "db.nc"), "--n-samples", "6",
                   "--set", "fail_above_T=0.0", "--n-workers", "1", "--no-progress"])  # fmt: skip
    assert rc == 1
    assert "failed" in capsys.readouterr().err
    assert (tmp_path / "db.nc.journal").exists()


def test_bad_space_json(tmp_path, fake_engine, capsys):
    spec = tmp_path / "space.json"
    spec.write_text("{not json")
    rc = cli.main(["build", "-o", str(tmp_path / "db.nc"), "--space", str(spec),
                   "--n-samples", "3"])  # fmt: skip
    assert rc == 2
    assert "is not valid JSON" in capsys.readouterr().err


def test_help_lists_options(capsys):
    with pytest.raises(SystemExit):
        cli.main(["build", "--help"])
    text = capsys.readouterr().out
    for opt in ("--n-samples", "--scheduler-address", "--mpi", "--n-workers", "--overwrite"):
        assert opt in text


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (["--out"], ["-o"]),
        # the same path through the alias table; slow (a build each): keep the default run short
        pytest.param(["--workers", "1"], ["--n-workers", "1"], marks=pytest.mark.slow),
    ],
)
def test_build_deprecated_spellings_still_work(tmp_path, fake_engine, capsys, old, new):
    base = ["build", "--n-samples", "2", "--set", "sleep=0", "--no-progress"]
    out = tmp_path / "db.nc"

    def argv(flags):
        if flags[0] in ("--out", "-o"):
            return [*base, *flags, str(out), "--n-workers", "1"]
        return [*base, "-o", str(out), *flags]

    assert cli.main(argv(old)) == 0
    err = capsys.readouterr().err
    assert f"crtransport build: warning: {old[0]} is deprecated; use " in err
    assert len([line for line in err.splitlines() if "deprecated" in line]) == 1
    first = dict(fake_engine)
    out.unlink()
    assert cli.main(argv(new)) == 0
    assert "deprecated" not in capsys.readouterr().err
    assert fake_engine == first  # the same build_dataset call
