"""Issue 19: builds that never run twice on one path, never touch foreign files, never keep
impossible records, clean their own temporaries, and say where a journal is damaged."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor, wait

import numpy as np
import pytest
import xarray as xr

from crtransport.dataset import ParameterSpace, _builder, _journal, _testing, repair_journal
from crtransport.dataset._testing import assert_same_database

SPACE = ParameterSpace.paper()


def build(path, n_samples=6, **kwargs):
    opts = dict(
        path=path, seed=5, simulation=None, n_workers=None, analytic_fraction=0.0,
        running_times=None, threads_per_sample=None, overwrite=False, progress=False,
    )  # fmt: skip
    opts.update(kwargs)
    space = opts.pop("space", SPACE)
    with ThreadPoolExecutor(max_workers=1) as ex:
        opts.setdefault("executor", ex)
        return _builder._build(
            space, n_samples, run_fn=_testing.fake_simulate_run,
            defaults_fn=_testing.fake_defaults, **opts,
        )  # fmt: skip


class _Stop(Exception):
    pass


def interrupted_build(path, stop_after=5, **kwargs):
    """A build interrupted after ``stop_after`` journaled samples (journal left behind)."""

    class Interrupting(ThreadPoolExecutor):
        def __init__(self) -> None:
            super().__init__(max_workers=1)
            self.n = 0
            self.submitted: list = []

        def submit(self, fn, *args, **kw):
            self.n += 1
            if self.n > stop_after:
                wait(self.submitted)  # deterministic: the first `stop_after` samples finish
                raise _Stop
            fut = super().submit(fn, *args, **kw)
            self.submitted.append(fut)
            return fut

    with Interrupting() as ex, pytest.raises(_Stop):
        build(path, executor=ex, **kwargs)
    return path.with_name(path.name + ".journal")


# --------------------------------------------------------------------------- 19.1
def test_two_builders_of_one_path_never_both_run(tmp_path, monkeypatch):
    """Both builders held at a barrier just before creating the journal: one must refuse."""
    path = tmp_path / "db.nc"
    barrier = threading.Barrier(2)
    create = _journal.Journal._create

    def held(p, fingerprint):
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait(timeout=0.5)  # the old code let both builders get here
        create(p, fingerprint)

    monkeypatch.setattr(_journal.Journal, "_create", staticmethod(held))
    results: dict[int, object] = {}

    def run(seed):
        try:
            results[seed] = build(path, seed=seed)
        except BlockingIOError as exc:
            results[seed] = exc

    threads = [threading.Thread(target=run, args=(seed,)) for seed in (1, 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ok = {s: r for s, r in results.items() if isinstance(r, xr.Dataset)}
    refused = [r for r in results.values() if isinstance(r, BlockingIOError)]
    assert len(ok) == 1
    assert len(refused) == 1
    assert "another build is writing" in str(refused[0])
    (seed,) = ok
    assert xr.load_dataset(path).attrs["seed"] == seed  # the file holds the winner's build
    assert sorted(p.name for p in tmp_path.iterdir()) == ["db.nc"]  # lock file removed


def test_the_build_lock_is_released_on_failure(tmp_path):
    path = tmp_path / "db.nc"
    lock = _journal.BuildLock.acquire(path)
    with pytest.raises(BlockingIOError, match="another build is writing"):
        build(path)
    lock.release()
    build(path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["db.nc"]


# --------------------------------------------------------------------------- 19.3
@pytest.mark.parametrize("overwrite", [False, True])
def test_a_foreign_journal_file_is_never_changed(tmp_path, overwrite):
    path = tmp_path / "db.nc"
    foreign = path.with_name("db.nc.journal")
    content = b"my notes\nline two without newline"
    foreign.write_bytes(content)
    with pytest.raises(ValueError, match=r"not a crtransport build journal.*left as it is"):
        build(path, overwrite=overwrite)
    assert foreign.read_bytes() == content
    foreign.write_bytes(b"no newline at all")
    with pytest.raises(ValueError, match="not a crtransport build journal"):
        build(path, overwrite=overwrite)
    assert foreign.read_bytes() == b"no newline at all"


# --------------------------------------------------------------------------- 19.7, 15, 16
def _edit_record(journal, line, **changes):
    lines = journal.read_text().splitlines()
    rec = json.loads(lines[line - 1])
    for key, value in changes.items():
        if value is _DROP:
            del rec[key]
        else:
            rec[key] = value
    lines[line - 1] = json.dumps(rec)
    journal.write_text("\n".join(lines) + "\n")


_DROP = object()


@pytest.mark.parametrize(
    ("changes", "why"),
    [
        ({"D_perp": 1e300}, r"`D_perp` = 1e\+300 is beyond what a run"),
        ({"D_perp_err": -1.0}, r"`D_perp_err` = -1.0 is outside its valid range \[0, inf\)"),
        ({"D_par": float("inf")}, r"`D_par` is inf"),
        ({"dt": 0.0}, r"`dt` = 0.0 is outside"),
        ({"is_converged_perp": 1}, r"`is_converged_perp` must be true or false"),
        ({"D_par": _DROP}, r"missing field\(s\) D_par"),  # used to be a KeyError
        ({"params": [1.0, 7.0, 0.5, 1.0, 10.0, 0.0]}, r"`mu` = 7.0 is outside"),
    ],
)
def test_resume_rejects_records_a_run_cannot_produce(tmp_path, changes, why):
    path = tmp_path / "db.nc"
    journal = interrupted_build(path)
    _edit_record(journal, 3, **changes)
    before = journal.read_bytes()
    with pytest.raises(ValueError, match=r"damaged at line 3: " + why):
        build(path)
    assert journal.read_bytes() == before  # left in place
    assert not path.exists()


def test_damaged_journal_message_offers_to_keep_the_good_records(tmp_path, caplog):
    path = tmp_path / "db.nc"
    reference = build(None)
    journal = interrupted_build(path, stop_after=4)
    lines = journal.read_text().splitlines()
    lines.insert(2, "garbage")
    journal.write_text("\n".join(lines) + "\n")
    with pytest.raises(ValueError, match=r"damaged at line 3.*4 records are intact.*repair_j"):
        build(path)
    assert repair_journal(path) == 4
    assert journal.with_name("db.nc.journal.damaged").exists()
    ds = build(path)  # resumes from the 4 kept records
    assert_same_database(ds.drop_attrs(), reference.drop_attrs())
    np.testing.assert_array_equal(ds["D_perp"], reference["D_perp"])


def test_a_fresh_impossible_result_fails_the_sample(tmp_path, monkeypatch):
    def broken(params, settings, seed_seq):
        out = _testing.fake_simulate_run(params, settings, seed_seq)
        out["D_perp"] = 1e300
        return out

    with ThreadPoolExecutor(1) as ex, pytest.raises(RuntimeError, match=r"`D_perp` = 1e\+300"):
        _builder._build(
            SPACE, 3, path=tmp_path / "db.nc", seed=0, simulation=None, executor=ex,
            n_workers=None, analytic_fraction=0.0, running_times=None, threads_per_sample=None,
            overwrite=False, progress=False, run_fn=broken, defaults_fn=_testing.fake_defaults,
        )  # fmt: skip


# --------------------------------------------------------------------------- 19.13
def test_a_resume_removes_the_temporaries_of_a_killed_build(tmp_path):
    path = tmp_path / "db.nc"
    journal = interrupted_build(path)
    stale = [
        tmp_path / ".db.nc.4242.tmp",
        tmp_path / ".db.nc.journal.77.tmp",
        tmp_path / ".db.nc.rounds.5.tmp",
    ]
    for p in stale:
        p.write_bytes(b"\0" * 4096)  # a full-size file left by a kill in the final write
    keep = tmp_path / ".db.nc.notmine.tmp"
    keep.write_text("not ours")
    build(path)
    assert not journal.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == [".db.nc.notmine.tmp", "db.nc"]


# --------------------------------------------------------------------------- 19.8
@pytest.mark.parametrize(
    ("edit", "match"),
    [
        (lambda ds: ds.assign_coords(T=ds["T"].copy(data=[-5.0, *ds["T"].values[1:]])),
         r"`T` must be in \(0, inf\); 1 values are not \(e\.g\. -5\)"),
        (lambda ds: ds.assign_coords(mu=ds["mu"].copy(data=[7.0, *ds["mu"].values[1:]])),
         r"`mu` must be in \[-1, 1\]"),
        (lambda ds: ds.assign(D_perp_err=ds["D_perp_err"].copy(data=-np.ones(ds.sizes["sample"]))),
         r"`D_perp_err` must be in \[0, inf\) or NaN; 6 values"),
        (lambda ds: ds.assign(D_par=ds["D_par"].copy(data=np.full(ds.sizes["sample"], np.inf))),
         r"`D_par` must be finite or NaN"),
        (lambda ds: ds.assign(dt=ds["dt"].copy(data=np.full(ds.sizes["sample"], np.nan))),
         r"`dt` must be in \(0, inf\); 6 values"),
        (lambda ds: ds.assign_attrs(schema_version=1.7), r"non-integer `schema_version` 1\.7"),
    ],
)  # fmt: skip
def test_open_dataset_refuses_impossible_content(tmp_path, edit, match):
    from crtransport.dataset import InvalidDatasetError, open_dataset

    path = tmp_path / "db.nc"
    ds = build(path)
    for name, var in ds.variables.items():
        var.attrs.update(ds[name].attrs)
    bad = edit(ds)
    for name in bad.variables:
        bad[name].attrs.update(ds[name].attrs)
    bad.to_netcdf(tmp_path / "bad.nc", engine="netcdf4")
    with pytest.raises(InvalidDatasetError, match=match):
        open_dataset(tmp_path / "bad.nc")
    open_dataset(path)  # the original is fine


# --------------------------------------------------------------------------- 19.9
@pytest.mark.timeout(10)
@pytest.mark.parametrize("fraction", [1.0, 1.0 - 1e-12])
def test_grid_with_all_rows_analytic_is_refused_at_once(tmp_path, fraction):
    from crtransport.dataset import Grid

    space = ParameterSpace(T=Grid(values=(1.0, 2.0)), b=0.5, lambda_perp=1.0, sampling="grid")
    with pytest.raises(ValueError, match=r"`analytic_fraction`"):
        build(tmp_path / "db.nc", n_samples=None, space=space, analytic_fraction=fraction)


# --------------------------------------------------------------------------- 19.12
def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie has exited; it only waits for its parent to reap it
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return True


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="uses /proc")
def test_the_parent_watch_ends_a_worker_whose_parent_died():
    parent = subprocess.Popen(["sleep", "30"])
    worker = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time\n"
         "from crtransport.dataset._worker import _watch_parent\n"
         f"_watch_parent({parent.pid}, poll=0.05)\n"
         "print('watching', flush=True)\n"
         "time.sleep(30)\n"],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert worker.stdout.readline().strip() == "watching"
        parent.kill()
        parent.wait()
        assert worker.wait(timeout=10) == 1
    finally:
        for proc in (parent, worker):
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        worker.stdout.close()


def _descendants(pid):
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


_KILLED_BUILD = """
import sys
from crtransport.dataset import ParameterSpace, _builder, _testing

_builder._build(
    ParameterSpace.paper(), 400, path=sys.argv[1], seed=1, simulation={"sleep": 0.5},
    executor=None, n_workers=2, analytic_fraction=0.0, running_times=None,
    threads_per_sample=None, overwrite=False, progress=False,
    run_fn=_testing.fake_simulate_run, defaults_fn=_testing.fake_defaults,
)
"""


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="uses /proc")
def test_workers_exit_when_the_build_is_killed(tmp_path):
    path = tmp_path / "db.nc"
    proc = subprocess.Popen([sys.executable, "-c", _KILLED_BUILD, str(path)])
    journal = path.with_name("db.nc.journal")
    workers: list[int] = []
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if journal.exists() and journal.read_text().count("\n") >= 3:
                break
            time.sleep(0.05)
        workers = _descendants(proc.pid)
        assert len(workers) >= 2  # the forkserver and its workers
    finally:
        proc.kill()
        proc.wait()
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and any(_alive(p) for p in workers):
        time.sleep(0.1)
    left = [p for p in workers if _alive(p)]
    for pid in left:  # do not leave them behind even when the test fails
        os.kill(pid, signal.SIGKILL)
    assert left == []


# --------------------------------------------------------------------------- 19.15, 19.18
def test_disk_full_during_a_journal_append_names_the_journal(tmp_path, monkeypatch):
    import errno

    path = tmp_path / "db.nc"
    real_write = os.write
    calls = []

    def full(fd, data):
        calls.append(fd)
        if len(calls) > 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(fd, data)

    monkeypatch.setattr(_journal.os, "write", full)
    with pytest.raises(OSError, match=r"cannot append to the build journal .*db\.nc\.journal"):
        build(path)
    monkeypatch.undo()
    build(path)  # resumes once there is room


def test_disk_full_in_the_final_write_names_the_file(tmp_path, monkeypatch):
    path = tmp_path / "db.nc"

    def hdf_error(self, target, *args, **kwargs):
        raise RuntimeError("NetCDF: HDF error")

    monkeypatch.setattr(xr.Dataset, "to_netcdf", hdf_error)
    with pytest.raises(OSError, match=r"cannot write the database .*NetCDF: HDF error.*free"):
        build(path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["db.nc.journal"]


def test_sample_failures_have_one_period(tmp_path):
    with pytest.raises(RuntimeError) as info:
        build(tmp_path / "db.nc", simulation={"fail_above_T": 0.0})
    assert ".." not in str(info.value)


@pytest.mark.slow
def test_ctrl_c_stops_the_build_without_waiting_for_samples_in_flight(tmp_path):
    """A sample of an hour in flight used to keep the interrupted process alive (the
    interpreter's exit joined the pool); the pool's workers are now stopped at once."""
    import signal
    import subprocess
    import sys
    import textwrap
    import time

    (tmp_path / "slow_run.py").write_text(
        textwrap.dedent("""
        import time

        def run(params, settings, seed_seq):
            time.sleep(600)
    """)
    )
    (tmp_path / "main.py").write_text(
        textwrap.dedent("""
        import sys
        import crtransport as crt
        from crtransport.dataset._builder import _build, simulation_defaults
        from slow_run import run

        if __name__ == "__main__":
            print("started", flush=True)
            _build(crt.dataset.ParameterSpace.paper(), 2, path=sys.argv[1], seed=0,
                   simulation=None, executor=None, n_workers=2, analytic_fraction=0.0,
                   running_times=None, threads_per_sample=1, overwrite=False,
                   progress=False, run_fn=run, defaults_fn=simulation_defaults)
    """)
    )
    env = {**os.environ, "PYTHONPATH": f"{tmp_path}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    with subprocess.Popen(
        [sys.executable, str(tmp_path / "main.py"), str(tmp_path / "db.nc")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True,
    ) as proc:  # fmt: skip
        assert proc.stdout.readline().strip() == "started"
        time.sleep(6.0)  # the pool starts and both samples are in flight
        proc.send_signal(signal.SIGINT)
        start = time.monotonic()
        try:
            _, err = proc.communicate(timeout=30)
        finally:
            proc.kill()
        assert time.monotonic() - start < 30
    assert "KeyboardInterrupt" in err


def test_a_journal_replaced_under_a_running_build_is_written_again(tmp_path, caplog):
    """`git stash` while the general build ran replaced its committed journal: every later
    record went to the unlinked file (recovered from /proc). The journal now notices and writes
    itself again at its path from the records it holds."""
    from crtransport.dataset._journal import Journal

    path = tmp_path / "db.nc.journal"
    journal = Journal.open(path, {"seed": 1})
    rec = {"index": 0, "params": [1.0, 0.5, 0.5, 1.0, 10.0, 0.0]}
    journal.append(rec)
    stale = tmp_path / "copy"
    stale.write_text(path.read_text().splitlines()[0] + "\n")  # an older copy: header only
    os.replace(stale, path)  # what git stash / checkout does: a new file at the path
    with caplog.at_level("WARNING", logger="crtransport.dataset"):
        journal.append({**rec, "index": 1})
    assert "was replaced by another program" in caplog.text
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert lines[0]["fingerprint"] == {"seed": 1}
    assert [line["index"] for line in lines[1:]] == [0, 1]
    journal.append({**rec, "index": 2})  # and it goes on appending there
    assert len(path.read_text().splitlines()) == 4
    journal.close()
