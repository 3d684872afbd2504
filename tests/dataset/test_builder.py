"""Builder mechanics with the fake engine: layout, seeding, ordering, resume, refusal, atomicity.

The fake engine (``crtransport.dataset._testing``) is a deterministic function of the inputs
and the sample's seed, so every test here runs in milliseconds per sample.
"""

from __future__ import annotations

import json
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from crtransport.dataset import ParameterSpace, _builder, _journal, _testing
from crtransport.dataset._schema import INPUTS, SCHEMA_VERSION, VARIABLES
from crtransport.dataset._testing import assert_same_database

SPACE = ParameterSpace.paper()


def build(path, n_samples=12, **kwargs):
    """``build_dataset`` with the fake engine; serial thread executor unless told otherwise."""
    opts = {
        "path": path,
        "seed": 5,
        "simulation": None,
        "executor": None,
        "n_workers": None,
        "analytic_fraction": 0.0,
        "running_times": None,
        "threads_per_sample": None,
        "overwrite": False,
        "progress": False,
    }
    opts.update(kwargs)
    space = opts.pop("space", SPACE)
    if opts["executor"] is None and opts["n_workers"] is None:
        with ThreadPoolExecutor(max_workers=1) as ex:
            opts["executor"] = ex
            return _builder._build(
                space,
                n_samples,
                run_fn=_testing.fake_simulate_run,
                defaults_fn=_testing.fake_defaults,
                **opts,
            )
    return _builder._build(
        space,
        n_samples,
        run_fn=_testing.fake_simulate_run,
        defaults_fn=_testing.fake_defaults,
        **opts,
    )


@pytest.fixture
def counter(monkeypatch):
    """Count the samples actually run (thread executors only: same process)."""
    calls: list[int] = []
    original = _builder._execute

    def counting(run_fn, index, *args):
        calls.append(index)
        return original(run_fn, index, *args)

    monkeypatch.setattr(_builder, "_execute", counting)
    return calls


# --------------------------------------------------------------------------- layout
def test_layout_units_and_attrs(tmp_path):
    ds = build(tmp_path / "db.nc", running_times=[1.0, 10.0, 100.0], analytic_fraction=0.25)
    assert ds.sizes == {"sample": 12, "time": 3}
    for name in INPUTS:
        assert name in ds.coords
    for name, var in ds.variables.items():
        spec = VARIABLES[str(name)]
        assert var.dims == spec.dims
        assert var.attrs["units"] == spec.units
        assert var.attrs["long_name"] == spec.long_name
    assert ds["is_converged_perp"].dtype == bool
    assert ds.attrs["schema_version"] == SCHEMA_VERSION
    assert ds.attrs["seed"] == 5
    settings = json.loads(ds.attrs["simulation"])
    assert settings == _testing.fake_defaults()
    assert ParameterSpace.from_dict(json.loads(ds.attrs["parameter_space"])) == SPACE
    np.testing.assert_array_equal(ds["seed_index"], np.arange(12))
    # running D beyond a sample's run (t_max = 50) is NaN for simulated rows only
    sim = ~ds["is_analytic"].values
    assert np.isnan(ds["D_perp_running"].values[sim, 2]).all()
    assert np.isfinite(ds["D_perp_running"].values[~sim]).all()
    assert not (tmp_path / "db.nc.journal").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["db.nc"]


def test_analytic_rows(tmp_path):
    ds = build(tmp_path / "db.nc", n_samples=20, analytic_fraction=0.1)
    assert ds.attrs["n_analytic"] == 2
    analytic = ds["is_analytic"].values
    np.testing.assert_array_equal(analytic, [False] * 18 + [True] * 2)
    rows = ds.isel(sample=analytic)
    np.testing.assert_array_equal(rows["b"], 0.0)
    np.testing.assert_array_equal(rows["D_perp"], 0.0)
    assert rows["is_converged_perp"].all()
    assert not rows["is_converged_par"].any()
    gamma = 1 + rows["T"]
    v2 = 1 - 1 / gamma**2
    np.testing.assert_allclose(rows["D_par"], v2 * rows["mu"] ** 2 * rows["t_max"] / 2)
    assert np.all(ds["b"].values[~analytic] > 0)
    assert np.all(np.isfinite(ds["D_par"].values))


def test_all_rows_analytic_runs_nothing(tmp_path, counter):
    ds = build(tmp_path / "db.nc", n_samples=4, analytic_fraction=1.0)
    assert ds["is_analytic"].all()
    assert counter == []


def test_grid_build_with_analytic_rows(tmp_path):
    space = ParameterSpace(
        T=Grid_values(1.0, 2.0), b=Grid_values(0.3, 0.6), lambda_perp=1.0, sampling="grid"
    )
    ds = build(tmp_path / "db.nc", n_samples=None, space=space, analytic_fraction=0.2)
    assert int((~ds["is_analytic"]).sum()) == 4
    assert ds.sizes["sample"] == 5


def Grid_values(*values):
    from crtransport.dataset import Grid

    return Grid(values)


# --------------------------------------------------------------------------- seeding
def test_sample_seed_is_spawned_child():
    children = np.random.SeedSequence(5).spawn(4)
    for i, child in enumerate(children):
        direct = np.random.SeedSequence(5, spawn_key=(i,))
        np.testing.assert_array_equal(child.generate_state(4), direct.generate_state(4))


def test_identical_for_any_executor_and_order(tmp_path):
    serial = build(None, n_samples=10)
    with ThreadPoolExecutor(max_workers=3) as ex:
        threads = build(None, n_samples=10, executor=ex)
    assert_same_database(serial, threads)
    on_disk = build(tmp_path / "db.nc", n_samples=10)
    assert_same_database(serial, on_disk)
    other_seed = build(None, n_samples=10, seed=6)
    assert not np.array_equal(serial["T"], other_seed["T"])


def test_process_pool_one_and_two_workers_match_serial():
    serial = build(None, n_samples=8)
    one = build(None, n_samples=8, n_workers=1)
    two = build(None, n_samples=8, n_workers=2)
    assert_same_database(serial, one)
    assert_same_database(serial, two)


def test_records_are_in_sample_order_whatever_the_completion_order():
    class Reversed(ThreadPoolExecutor):
        """Completes futures in reverse submission order."""

        def __init__(self):
            super().__init__(max_workers=1)
            self._held = []

        def submit(self, fn, *args, **kwargs):
            from concurrent.futures import Future

            fut = Future()
            self._held.append((fut, fn, args, kwargs))
            if len(self._held) == 4:  # the builder's window for _max_workers = 1
                for f, g, a, k in reversed(self._held):
                    f.set_result(g(*a, **k))
                self._held.clear()
            return fut

    ref = build(None, n_samples=8)
    with Reversed() as ex:
        out = build(None, n_samples=8, executor=ex)
    assert_same_database(ref, out)


# --------------------------------------------------------------------------- resume
class _Interrupt(BaseException):
    pass


class InterruptingExecutor(ThreadPoolExecutor):
    """Raises (like Ctrl-C) at the ``stop_at``-th submission."""

    def __init__(self, stop_at):
        super().__init__(max_workers=1)
        self.stop_at = stop_at
        self.n = 0

    def submit(self, fn, *args, **kwargs):
        self.n += 1
        if self.n == self.stop_at:
            raise _Interrupt
        return super().submit(fn, *args, **kwargs)


def test_resume_after_interrupt_runs_each_sample_once(tmp_path, counter):
    path = tmp_path / "db.nc"
    reference = build(None, n_samples=12, analytic_fraction=0.1, running_times=[5.0, 20.0])
    counter.clear()
    with InterruptingExecutor(stop_at=7) as ex, pytest.raises(_Interrupt):
        build(path, n_samples=12, executor=ex, analytic_fraction=0.1, running_times=[5.0, 20.0])
    assert not path.exists()
    journal = path.with_name("db.nc.journal")
    lines = journal.read_text().splitlines()
    done = len(lines) - 1
    assert 2 <= done < 11
    journaled = {json.loads(x)["index"] for x in lines[1:]}
    counter.clear()
    # a kill while writing leaves a truncated last record: it is dropped and rerun
    with open(journal, "a") as fh:
        fh.write('{"index": 10, "params": [1.0, 0.5')
    ds = build(path, n_samples=12, analytic_fraction=0.1, running_times=[5.0, 20.0])
    assert_same_database(ds, reference)
    assert sorted(journaled | set(counter)) == list(range(11))  # 11 simulated, 1 analytic
    assert len(counter) == 11 - done  # no finished sample ran twice
    assert not journal.exists()


def test_resume_with_other_settings_is_refused(tmp_path):
    path = tmp_path / "db.nc"
    with InterruptingExecutor(stop_at=6) as ex, pytest.raises(_Interrupt):
        build(path, executor=ex, simulation={"n_particles": 64})
    before = (tmp_path / "db.nc.journal").read_bytes()
    with pytest.raises(ValueError, match=r"simulation.n_particles: 64 \(before\) != 128 \(now\)"):
        build(path, simulation={"n_particles": 128})
    with pytest.raises(ValueError, match=r"n_samples: 12 \(before\) != 13 \(now\)"):
        build(path, n_samples=13, simulation={"n_particles": 64})
    with pytest.raises(ValueError, match=r"seed: 5 \(before\) != 6 \(now\)"):
        build(path, seed=6, simulation={"n_particles": 64})
    assert (tmp_path / "db.nc.journal").read_bytes() == before  # nothing lost
    ds = build(path, simulation={"n_particles": 128}, overwrite=True)
    assert json.loads(ds.attrs["simulation"])["n_particles"] == 128


def test_rerun_of_finished_build_does_nothing(tmp_path, counter):
    path = tmp_path / "db.nc"
    first = build(path)
    n = len(counter)
    second = build(path)
    assert len(counter) == n
    assert_same_database(first, second)


def test_existing_file_from_other_build_is_kept(tmp_path):
    path = tmp_path / "db.nc"
    first = build(path)
    with pytest.raises(FileExistsError, match=r"built with other settings \(n_samples: 12"):
        build(path, n_samples=6)
    assert_same_database(xr.load_dataset(path), first)
    replaced = build(path, n_samples=6, overwrite=True)
    assert replaced.sizes["sample"] == 6


def test_foreign_file_is_not_overwritten(tmp_path):
    path = tmp_path / "notes.nc"
    path.write_text("my thesis\n")
    with pytest.raises(FileExistsError, match="is not a crtransport database"):
        build(path)
    assert path.read_text() == "my thesis\n"


def test_failed_write_keeps_journal_and_old_file(tmp_path, monkeypatch):
    path = tmp_path / "db.nc"
    old = build(path, n_samples=4)

    def broken(self, *args, **kwargs):
        Path(args[0]).write_bytes(b"half")
        raise OSError("disk full")

    monkeypatch.setattr(xr.Dataset, "to_netcdf", broken)
    with pytest.raises(OSError, match="disk full"):
        build(path, n_samples=6, overwrite=True)
    monkeypatch.undo()
    assert_same_database(xr.load_dataset(path), old)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["db.nc", "db.nc.journal"]
    journal = (tmp_path / "db.nc.journal").read_text().splitlines()
    assert len(journal) == 7  # header + 6 samples, ready for the rerun


def test_sample_failure_keeps_finished_samples(tmp_path):
    path = tmp_path / "db.nc"
    with pytest.raises(RuntimeError, match=r"sample \d+ failed.*fake engine failure"):
        build(path, n_samples=12, simulation={"fail_above_T": 5.0})
    records = (tmp_path / "db.nc.journal").read_text().splitlines()[1:]
    assert records
    assert all(json.loads(r)["params"][0] <= 5.0 for r in records)


def test_journal_lock_blocks_a_second_build(tmp_path):
    path = tmp_path / "db.nc"
    fingerprint = {"x": 1}
    held = _journal.Journal.open(_journal.journal_path(path), fingerprint)
    try:
        with pytest.raises(BlockingIOError, match="another build is writing"):
            _journal.Journal.open(_journal.journal_path(path), fingerprint)
    finally:
        held.close()


def test_damaged_journal_is_reported_and_kept(tmp_path):
    path = tmp_path / "db.nc"
    journal = tmp_path / "db.nc.journal"
    with InterruptingExecutor(stop_at=6) as ex, pytest.raises(_Interrupt):
        build(path, executor=ex)
    lines = journal.read_text().splitlines()
    lines.insert(2, "garbage")
    journal.write_text("\n".join(lines) + "\n")
    with pytest.raises(ValueError, match="damaged at line 3"):
        build(path)
    assert journal.exists()
    journal.write_text("not json\n")
    with pytest.raises(ValueError, match="not a crtransport build journal"):
        build(path)


# --------------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    ("kwargs", "exc", "match"),
    [
        ({"n_samples": 0}, ValueError, r"`n_samples` must be an integer in \[1, inf\]; got 0"),
        ({"n_samples": None}, TypeError, "`n_samples` is required"),
        ({"analytic_fraction": 1.5}, ValueError, r"`analytic_fraction` must be in \[0, 1\]"),
        ({"seed": -1}, ValueError, r"`seed` must be an integer in \[0, "),
        ({"simulation": {"n_partciles": 5}}, ValueError, "unknown simulation settings 'n_partc"),
        ({"simulation": {"T": 1.0}}, ValueError, "`simulation` must not set T"),
        ({"simulation": {"t_max": object()}}, TypeError, "setting `t_max` must be a number"),
        ({"running_times": [2.0, 1.0]}, ValueError, "strictly increasing"),
        ({"running_times": [[1.0]]}, ValueError, "non-empty 1-D"),
        ({"running_times": [-1.0]}, ValueError, ">= 0"),
        ({"threads_per_sample": 0}, ValueError, "`threads_per_sample`"),
        ({"space": "paper"}, TypeError, "`space` must be a ParameterSpace"),
        ({"executor": "dask"}, TypeError, "`executor` must be a concurrent.futures.Executor"),
    ],
)
def test_bad_arguments(tmp_path, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        build(tmp_path / "db.nc", **kwargs)
    assert list(tmp_path.iterdir()) == []


def test_n_workers_with_executor_is_refused(tmp_path):
    with ThreadPoolExecutor(1) as ex, pytest.raises(ValueError, match="`n_workers` sizes"):
        _builder._build(
            SPACE, 4, path=None, seed=0, simulation=None, executor=ex, n_workers=2,
            analytic_fraction=0.0, running_times=None, threads_per_sample=None,
            overwrite=False, progress=False, run_fn=_testing.fake_simulate_run,
            defaults_fn=_testing.fake_defaults,
        )  # fmt: skip


def test_bad_paths(tmp_path, monkeypatch):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        build(tmp_path / "missing" / "db.nc")
    with pytest.raises(ValueError, match="is a directory"):
        build(tmp_path)
    monkeypatch.setattr(os, "access", lambda *a: False)
    with pytest.raises(PermissionError, match="no write permission"):
        build(tmp_path / "db.nc")


def test_grid_size_mismatch(tmp_path):
    space = ParameterSpace(T=Grid_values(1.0, 2.0), b=0.5, lambda_perp=1.0, sampling="grid")
    with pytest.raises(ValueError, match="must equal the grid size 2"):
        build(tmp_path / "db.nc", n_samples=3, space=space)


def test_progress_bar_and_logging(tmp_path, capsys, caplog):
    import logging

    caplog.set_level(logging.INFO, logger="crtransport.dataset")
    build(tmp_path / "db.nc", n_samples=3, progress=True)
    err = capsys.readouterr().err
    assert "crtransport build" in err
    assert "sample/s" in err
    assert "wrote" in caplog.text
    caplog.clear()
    build(tmp_path / "db2.nc", n_samples=3, progress=False)
    assert capsys.readouterr().err == ""


def test_open_partial_reads_a_build_in_progress(tmp_path, counter):
    from crtransport.dataset import open_partial

    path = tmp_path / "db.nc"
    kwargs = dict(n_samples=12, analytic_fraction=0.25, running_times=[5.0, 20.0])
    reference = build(None, **kwargs)
    with InterruptingExecutor(stop_at=6) as ex, pytest.raises(_Interrupt):
        build(path, executor=ex, **kwargs)
    journal = path.with_name("db.nc.journal")
    before = journal.read_bytes()
    with open(journal, "a") as fh:  # a record being written right now is skipped
        fh.write('{"index": 8, "params": [1.0')
    part = open_partial(path, analytic="all")
    done = sorted(json.loads(x)["index"] for x in before.decode().splitlines()[1:])
    assert 2 <= len(done) < 9
    # the finished rows and the 3 analytic rows, with their final indices and values
    assert part["sample"].values.tolist() == [*done, 9, 10, 11]
    want = reference.isel(sample=part["sample"].values)
    assert set(part.variables) == set(want.variables)
    for name in part.variables:
        assert_same_database(part[name], want[name])
    assert part.attrs["build_complete"] == 0
    assert part.attrs["n_samples"] == len(done) + 3
    assert part.attrs["n_samples_planned"] == 12
    assert part.attrs["cost_sample_seconds"] == pytest.approx(
        float(reference["wall_time"].values[done].sum())
    )
    assert "build_host" not in part.attrs  # the reader is not the builder
    assert journal.read_bytes().startswith(before)  # read, never changed
    assert len(open_partial(path, analytic="none")["sample"]) == len(done)
    # by default as many analytic rows as keep the planned 3 : 9 mix
    proportional = open_partial(path)
    assert proportional["is_analytic"].values.sum() == round(3 * len(done) / 9)


def test_open_partial_refuses_a_journal_that_does_not_match_its_design(tmp_path, counter):
    from crtransport.dataset import open_partial

    path = tmp_path / "db.nc"
    with InterruptingExecutor(stop_at=5) as ex, pytest.raises(_Interrupt):
        build(path, executor=ex)
    journal = path.with_name("db.nc.journal")
    lines = journal.read_text().splitlines()
    record = json.loads(lines[1])
    record["params"][0] += 1.0
    journal.write_text("\n".join([lines[0], json.dumps(record), *lines[2:]]) + "\n")
    with pytest.raises(ValueError, match=r"inputs that do not match its build's design"):
        open_partial(path)
    journal.write_bytes(b"\x89HDF\r\n\x1a\n\xff\xfe\n")
    with pytest.raises(ValueError, match="is not a crtransport build journal"):
        open_partial(path)
    journal.write_text(json.dumps({"format": _journal.JOURNAL_FORMAT, "version": 1}) + "\n")
    with pytest.raises(ValueError, match="is not a crtransport build journal"):
        open_partial(path)
    with pytest.raises(ValueError, match="`analytic` must be one of"):
        open_partial(path, analytic=True)


def test_open_partial_without_a_journal_says_so(tmp_path):
    from crtransport.dataset import open_partial

    with pytest.raises(FileNotFoundError, match=r"no build journal at .*db\.nc\.journal"):
        open_partial(tmp_path / "db.nc")


def test_the_file_records_the_build_cost(tmp_path):
    ds = build(tmp_path / "db.nc", n_samples=6, analytic_fraction=0.5)
    simulated = ~ds["is_analytic"].values
    assert ds.attrs["cost_sample_seconds"] == pytest.approx(float(ds["wall_time"].sum()))
    settings = json.loads(ds.attrs["simulation"])
    steps = np.rint(ds["t_max"].values / ds["dt"].values)[simulated]
    want = settings["n_particles"] * settings["n_waves"] * steps.sum()
    assert ds.attrs["cost_wave_evaluations"] == pytest.approx(want)
    assert "cpus" in ds.attrs["build_host"]
