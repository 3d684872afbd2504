"""Issue 19.15/19.18: one message policy for the command line.

User errors exit 2, failures exit 1, and neither ever prints a Python traceback.
"""

from __future__ import annotations

import json
import os
import re
import stat

import pytest

from crtransport import cli


def run(argv, capsys):
    rc = cli.main(argv)
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return rc, err


@pytest.mark.parametrize(
    ("extra", "match"),
    [
        (["--T", "1e-17", "--dt", "0.1"], "time steps per particle"),  # ZeroDivisionError
        (["--T", "1", "--lambda-perp", "1e-300"], r"2\^62"),  # OverflowError
        (["--T", "1", "--n-particles", str(10**12)], "memory for `n_particles`"),  # MemoryError
        (["--T", "1e300"], "T = 1e"),  # "`momenta` must be finite"
    ],
)
def test_simulate_refusals_are_messages(extra, match, capsys):
    argv = ["simulate", "--b", "0.2", "--lambda-perp", "5", *extra]
    if "--lambda-perp" in extra:
        argv = ["simulate", "--b", "0.2", *extra]
    rc, err = run(argv, capsys)
    assert rc == 2
    assert err.startswith("crtransport simulate: error: ")
    assert re.search(match, err)


def test_values_starting_with_a_minus_are_values(capsys):
    rc, err = run(["simulate", "--T", "1", "--b", "0.2", "--lambda-perp", "5", "--B0", "-5nT"],
                  capsys)  # fmt: skip
    assert rc == 2
    assert "--B0: '-5nT' is not positive" in err  # not "expected one argument"
    rc, err = run(["simulate", "--T", "-1", "--b", "0.2", "--lambda-perp", "5"], capsys)
    assert rc == 2
    assert "--T: '-1.0' is not positive" in err


@pytest.mark.parametrize(
    ("space", "match"),
    [
        ({"T": 5}, r"the description of `T` must be an object"),
        ([1, 2], r"must be a mapping"),
        ({"T": {"kind": "grid"}}, r"invalid description of `T`"),
    ],
)
def test_build_space_errors_are_messages(tmp_path, capsys, space, match):
    spec = tmp_path / "space.json"
    spec.write_text(json.dumps(space))
    rc, err = run(["build", "-o", str(tmp_path / "db.nc"), "--space", str(spec),
                   "--n-samples", "2", "--no-progress"], capsys)  # fmt: skip
    assert rc == 2
    assert re.search(match, err)
    assert ".." not in err


def test_bad_set_value_is_reported_before_any_work(tmp_path, capsys):
    rc, err = run(["build", "-o", str(tmp_path / "db.nc"), "--n-samples", "2",
                   "--set", "n_waves=-3", "--no-progress"], capsys)  # fmt: skip
    assert rc == 2
    assert "sample 0 (T=" in err
    assert "`n_waves` must be an integer in [1, inf]; got -3." in err
    assert ".." not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # nothing started


@pytest.mark.slow  # the client tries for 10 s
def test_unreachable_scheduler_is_a_failure_message(tmp_path, capsys):
    pytest.importorskip("dask.distributed")
    address = "tcp://127.0.0.1:1"
    rc, err = run(["build", "-o", str(tmp_path / "db.nc"), "--n-samples", "2",
                   "--scheduler-address", address, "--no-progress"], capsys)  # fmt: skip
    assert rc == 1
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:1" in err


@pytest.mark.parametrize("where", ["directory", "missing", "readonly"])
def test_train_output_is_checked_before_training(tmp_path, capsys, where, monkeypatch):
    from crtransport.surrogate import _model

    def no_training(*args, **kwargs):  # pragma: no cover - must not be reached
        raise AssertionError("trained before checking the output path")

    monkeypatch.setattr(_model.Surrogate, "fit", no_training)
    if where == "directory":
        out = tmp_path
    elif where == "missing":
        out = tmp_path / "nowhere" / "m.npz"
    else:
        folder = tmp_path / "ro"
        folder.mkdir()
        folder.chmod(stat.S_IRUSR | stat.S_IXUSR)
        out = folder / "m.npz"
        if os.access(folder, os.W_OK):  # root ignores permissions
            pytest.skip("running as root: permissions are not enforced")
    rc, err = run(["train", str(tmp_path / "db.nc"), "-o", str(out)], capsys)
    assert rc == 2
    assert "-o/--output" in err


def test_unexpected_failures_are_one_line_exit_1(monkeypatch, capsys):
    from crtransport import _simulate

    def boom(*args, **kwargs):
        raise KeyError("D_perp")

    monkeypatch.setattr(_simulate, "simulate", boom)
    rc, err = run(["simulate", "--T", "1", "--b", "0.2", "--lambda-perp", "5"], capsys)
    assert rc == 1
    assert err.strip() == "crtransport simulate: error: KeyError: 'D_perp'"


def test_repair_journal_command(tmp_path, capsys):
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "rel", os.path.join(os.path.dirname(__file__), "dataset", "test_reliability.py")
    )
    rel = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(rel)
    path = tmp_path / "db.nc"
    journal = rel.interrupted_build(path, stop_after=4)
    lines = journal.read_text().splitlines()
    lines.insert(2, "garbage")
    journal.write_text("\n".join(lines) + "\n")
    rc, _ = run(["repair-journal", str(path)], capsys)
    assert rc == 0
    assert len(journal.read_text().splitlines()) == 5
    rc, err = run(["repair-journal", str(tmp_path / "other.nc")], capsys)
    assert rc == 2
    assert "no build journal" in err
