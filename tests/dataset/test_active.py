"""The active-learning builder: rounds, budget, held-out test set, resume and reproducibility.

The fast tests run the real builder with a stand-in per-row function (a closed form with seeded
noise whose cost is deterministic) and a stand-in learner (bootstrap quadratic fits), in
threads. The real engine and the JAX learner are exercised in the slow tests.
"""

from __future__ import annotations

import itertools
import json
import math
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import xarray as xr

from crtransport import units
from crtransport.dataset import (
    ActiveLearning,
    Free,
    Grid,
    Learner,
    ParameterSpace,
    Tied,
    open_dataset,
    read_active_build,
    reduce_test_set,
)
from crtransport.dataset._active import (
    _build_active,
    _cost_scale,
    fit_cost_model,
    predict_cost,
    rounds_path,
    select_batch,
)
from crtransport.dataset._journal import journal_path

SPACE = ParameterSpace(
    R=Free(0.01, 10.0, log=True),
    b=Free(0.1, 1.0, log=True),
    lambda_perp=1.0,
    anisotropy=Free(1.0, 100.0, log=True),
    slab_fraction=Free(0.0, 0.5),
    mu="isotropic",
    sampling="sobol",
)
SIM = {"model": "composite", "n_particles": 100, "n_waves": 8}
FAIL_AT: set[int] = set()


def fake_run(params, settings, seed_seq):
    """A closed form in the similarity variables, 2 % seeded noise, cost ~ 1 / R."""
    index = seed_seq.spawn_key[0]
    if index in FAIL_AT:
        FAIL_AT.discard(index)
        raise RuntimeError(f"injected failure at row {index}")
    rng = np.random.default_rng(seed_seq)
    T, lam = params["T"], params["lambda_perp"]
    R = float(units.u_from_T(T)) / lam
    A = params["lambda_par"] / lam
    v = float(units.speed_from_T(T))
    d_perp = v * lam * 0.05 * params["b"] ** 1.5 * R**0.3 * (1 + params["slab_fraction"])
    d_par = v * lam * R ** (1 / 3) * A**0.5 / params["b"]
    d_perp *= 1.0 + 0.02 * rng.standard_normal()
    d_par *= 1.0 + 0.02 * rng.standard_normal()
    n_steps = int(200 * (1.0 + 1.0 / R))
    return {
        "D_perp": d_perp,
        "D_perp_err": 0.02 * d_perp,
        "D_par": d_par,
        "D_par_err": 0.02 * d_par,
        "is_converged_perp": True,
        "is_converged_par": R > 0.05,
        "dt": 0.1,
        "t_max": 0.1 * n_steps,
        # the particles of the run, so that tests can see which settings a row got
        "wall_time": settings["n_particles"] * 1e-6,
        "n_steps": n_steps,
        "cpu_time": n_steps * settings["n_particles"] * settings["n_waves"] * 1e-7,
        "alpha_perp": 1.0,
        "alpha_perp_err": 0.05,
        "alpha_par": 1.0 if R > 0.05 else 1.9,
        "alpha_par_err": 0.05,
        "stop_rule": 1 if R > 0.05 else 2,
    }


class QuadraticBagging:
    """Stand-in learner: bootstrap least-squares quadratics (deterministic, milliseconds)."""

    def __init__(self, n_members: int = 4) -> None:
        self.n_members = n_members
        self.seen: list[np.ndarray] = []

    def describe(self):
        return {"class": "QuadraticBagging", "n_members": self.n_members}

    def fit_predict(self, x, y, x_query, *, seed):
        self.seen.append(np.array(x))
        rng = np.random.default_rng(seed)

        def feats(z):
            cols = [np.ones(len(z)), *z.T]
            cols += [z[:, i] * z[:, j] for i in range(z.shape[1]) for j in range(i, z.shape[1])]
            return np.stack(cols, axis=1)

        out = np.empty((self.n_members, len(x_query), y.shape[1]))
        for m in range(self.n_members):
            pick = rng.integers(0, len(x), len(x))
            for j in range(y.shape[1]):
                ok = np.isfinite(y[pick, j])
                coef, *_ = np.linalg.lstsq(feats(x[pick][ok]), y[pick, j][ok], rcond=None)
                out[m, :, j] = feats(x_query) @ coef
        return out


def build(
    path, *, workers=1, budget=1.0, learner=None, max_rounds=3, cost_power=1.0, n_test=12, **kw
):
    active = ActiveLearning(
        budget=budget,
        initial_samples=32,
        batch_size=8,
        n_test=n_test,
        n_candidates=512,
        max_rounds=max_rounds,
        cost_power=cost_power,
    )
    executor = kw.pop("executor", None)
    with ThreadPoolExecutor(workers) as pool:
        return _build_active(
            SPACE,
            path=path,
            learner=learner or QuadraticBagging(),
            active=active,
            seed=11,
            simulation=SIM,
            executor=executor or pool,
            n_workers=None,
            threads_per_sample=None,
            overwrite=kw.pop("overwrite", False),
            progress=False,
            run_fn=fake_run,
        )


def _numbers(ds: xr.Dataset) -> xr.Dataset:
    return ds.drop_attrs().reset_coords()


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    path = tmp_path_factory.mktemp("ref") / "db.nc"
    learner = QuadraticBagging()
    ds = build(path, learner=learner)
    return ds, learner


def test_rounds_and_split(reference):
    ds, _ = reference
    rounds = json.loads(ds.attrs["active_learning_rounds"])
    assert [r["kind"] for r in rounds] == ["start", "test"] + ["acquisition"] * 3
    assert [r["n_rows"] for r in rounds] == [32, 12, 8, 8, 8]
    assert ds.sizes["sample"] == 68
    # one summary per round, per-row lists left to the rounds log and the variables
    assert not {"rows", "score", "spread", "expected_core_seconds"} & set().union(*rounds)
    assert all(r["expected_core_seconds_total"] > 0 for r in rounds[2:])
    assert all(r["spread_median"] > 0 and r["cost_power"] == 1.0 for r in rounds[2:])
    expected_rounds = np.repeat([0, 1, 2, 3, 4], [32, 12, 8, 8, 8])
    np.testing.assert_array_equal(ds["design_round"].values, expected_rounds)
    test = ds["split"].values == 1
    assert test.sum() == 12 and np.all(ds["design_round"].values[test] == 1)
    # acquired rows carry their score, the start and the test set none
    acquired = ds["design_round"].values >= 2
    assert np.all(np.isfinite(ds["acquisition_score"].values[acquired]))
    assert np.all(np.isnan(ds["acquisition_score"].values[~acquired]))
    used = float(ds["cpu_time"].sum()) / 3600.0
    assert ds.attrs["core_hours_used"] == pytest.approx(used)


def test_the_budget_ends_the_build_with_a_partial_batch(reference, tmp_path):
    ref, _ = reference
    rounds = ref["design_round"].values
    start_and_test = float(ref["cpu_time"].values[rounds < 2].sum())
    batch = float(ref["cpu_time"].values[rounds == 2].sum())
    budget = (start_and_test + 2.5 * batch) / 3600.0
    ds = build(tmp_path / "b.nc", budget=budget, max_rounds=None)
    sizes = [r["n_rows"] for r in json.loads(ds.attrs["active_learning_rounds"])]
    assert sizes[:2] == [32, 12] and len(sizes) >= 4
    assert all(n == 8 for n in sizes[2:-1]) and sizes[-1] < 8  # the budget paid for part
    used = ds.attrs["core_hours_used"]
    assert used <= 1.05 * budget and used > 0.8 * budget  # within the cost model's error
    assert ds.attrs["budget_core_hours"] == budget


def test_test_rows_are_held_out_and_have_four_times_the_particles(reference):
    ds, learner = reference
    test = ds["split"].values == 1
    np.testing.assert_allclose(ds["wall_time"].values[test], 400e-6)
    np.testing.assert_allclose(ds["wall_time"].values[~test], 100e-6)
    names = ("T", "lambda_perp", "lambda_par", "b", "slab_fraction")
    x_test = SPACE.to_unit({k: ds[k].values[test] for k in names})
    assert learner.seen, "the learner was never asked"
    for x in learner.seen:
        dist = np.min(np.linalg.norm(x[:, None, :] - x_test[None], axis=2))
        assert dist > 1e-9  # no test row among what the learner saw
    # the learner saw the training rows, growing by one batch per round
    sizes = [len(x) for x in learner.seen]
    assert sizes[0] == 32 and all(b - a == 8 for a, b in itertools.pairwise(sizes))


def test_inputs_follow_the_dimensionless_space(reference):
    ds, _ = reference
    R = units.u_from_T(ds["T"].values) / ds["lambda_perp"].values
    A = ds["lambda_par"].values / ds["lambda_perp"].values
    assert np.all((R > 0.01) & (R <= 10.0 * (1 + 1e-12)))
    assert np.all((A > 1.0) & (A <= 100.0 * (1 + 1e-12)))
    assert np.all(np.isnan(ds["mu"].values))
    assert np.all((ds["slab_fraction"].values > 0) & (ds["slab_fraction"].values <= 0.5))


class SpreadNear(QuadraticBagging):
    """A learner whose members disagree only near ``centre`` of the unit cube."""

    centre = np.array([0.2, 0.7, 0.5, 0.9])

    def fit_predict(self, x, y, x_query, *, seed):
        bump = np.exp(-np.sum((x_query - self.centre) ** 2, axis=1) / 0.02)
        members = np.arange(self.n_members)[:, None, None] - 1.5
        return members * bump[None, :, None] * np.ones((1, 1, y.shape[1]))


def test_acquisition_picks_where_the_ensemble_disagrees(tmp_path):
    ds = build(tmp_path / "a.nc", learner=SpreadNear(), max_rounds=1, cost_power=0.0)
    picked = ds["design_round"].values == 2
    names = ("T", "lambda_perp", "lambda_par", "b", "slab_fraction")
    u = SPACE.to_unit({k: ds[k].values[picked] for k in names})
    dist = np.linalg.norm(u - SpreadNear.centre, axis=1)
    # the best of 512 Sobol' candidates first (their typical spacing in 4D is ~0.2); the 8
    # picks, kept 0.5 * 8^(-1/4) = 0.30 apart, sit where the bump is 10 times its mean
    bump = np.exp(-(dist**2) / 0.02)
    mean_bump = np.mean(np.exp(-np.sum((np.random.default_rng(0).random((100_000, 4))
                                         - SpreadNear.centre) ** 2, axis=1) / 0.02))  # fmt: skip
    assert dist[0] < 0.25
    assert bump.mean() > 10 * mean_bump
    spread = ds["acquisition_score"].values[picked]
    assert np.all(np.diff(spread) <= 0)


def test_acquisition_divides_by_the_expected_cost(reference):
    """With cost_power 1 the picks are cheaper than the candidates' typical row."""
    ds, _ = reference
    acquired = ds["design_round"].values >= 2
    start = ds["design_round"].values == 0
    assert np.median(ds["n_steps"].values[acquired]) < np.median(ds["n_steps"].values[start])


def test_a_resumed_build_may_change_the_cost_power(reference, tmp_path):
    """The cost exponent is not part of the fingerprint: a resumed build keeps the rounds it
    recorded, later rounds use the new exponent, and every round says which it used."""
    ref, _ = reference
    path = tmp_path / "db.nc"
    FAIL_AT.add(45)  # a row of the first acquisition round (rows 44..51)
    with pytest.raises(RuntimeError):
        build(path)  # cost_power 1
    ds = build(path, cost_power=0.0)
    rounds = json.loads(ds.attrs["active_learning_rounds"])
    assert [r.get("cost_power") for r in rounds] == [None, None, 1.0, 0.0, 0.0]
    first = ds["design_round"].values <= 2  # start, test and the recorded round: as before
    xr.testing.assert_identical(_numbers(ds).isel(sample=first), _numbers(ref).isel(sample=first))
    later = ds["design_round"].values > 2  # without the cost the picks are dearer
    ref_later = ref["design_round"].values > 2
    assert np.median(ds["n_steps"].values[later]) > np.median(ref["n_steps"].values[ref_later])


def test_same_file_for_any_number_of_workers_and_after_an_interruption(reference, tmp_path):
    ref, _ = reference
    parallel = build(tmp_path / "p.nc", workers=3)
    xr.testing.assert_identical(_numbers(parallel), _numbers(ref))

    path = tmp_path / "resumed.nc"
    FAIL_AT.update({5, 40})  # one row of the start, one of the test set
    with pytest.raises(RuntimeError, match="injected failure"):
        build(path)
    partial = read_active_build(path)
    assert 0 < partial.sizes["sample"] < 44
    with pytest.raises(RuntimeError, match="injected failure"):
        build(path)  # the second failure, in the test set
    resumed = build(path, workers=2)
    xr.testing.assert_identical(_numbers(resumed), _numbers(ref))
    assert not journal_path(path).exists() and not rounds_path(path).exists()
    # a finished build is found again, not rebuilt
    again = build(path)
    xr.testing.assert_identical(_numbers(again), _numbers(ref))
    assert open_dataset(path).attrs["schema_version"] == 4


def test_a_dask_cluster_gives_the_same_file(reference, tmp_path):
    distributed = pytest.importorskip("distributed")
    ref, _ = reference
    with (
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        ds = build(tmp_path / "dask.nc", executor=client.get_executor())
    xr.testing.assert_identical(_numbers(ds), _numbers(ref))


def test_recorded_rounds_are_taken_as_they_are(tmp_path):
    """A resumed build reads its rounds back instead of recomputing them (a learner on another
    machine may differ in the last bits)."""
    path = tmp_path / "db.nc"
    FAIL_AT.add(45)  # a row of the first acquisition round
    with pytest.raises(RuntimeError):
        build(path, max_rounds=1)
    lines = rounds_path(path).read_text().splitlines()
    assert len(lines) == 4  # header, start, test, first acquisition
    rnd = json.loads(lines[3])
    ds = build(path, max_rounds=1, learner=_Unused())
    np.testing.assert_allclose(
        np.stack([ds[k].values[44:52] for k in ("T", "b", "lambda_perp", "lambda_par")], 1),
        np.asarray(rnd["rows"])[:, [0, 2, 3, 4]],
        rtol=0,
    )


def _interrupted_in_the_test_round(path):
    FAIL_AT.add(42)  # a test row (rows 32..43): 38..41 finish past a cut to 6
    with pytest.raises(RuntimeError, match="injected failure"):
        build(path)
    records = [json.loads(line) for line in journal_path(path).read_text().splitlines()[1:]]
    assert {36, 37, 38, 41} <= {rec["index"] for rec in records}
    return records


def test_a_cut_test_set_continues_as_a_build_started_with_it(tmp_path):
    """Cutting the test round to its first rows gives the file of a build started with that
    many test rows: same rows, seeds and acquisition rounds; the cut is on record."""
    fresh = build(tmp_path / "fresh.nc", n_test=6)
    path = tmp_path / "cut.nc"
    records = _interrupted_in_the_test_round(path)
    cpu_dropped = sum(rec["cpu_time"] for rec in records if rec["index"] >= 38)
    with pytest.raises(ValueError, match="other settings"):
        build(path, n_test=6)  # not without the cut
    with pytest.raises(ValueError, match=r"`n_test` must be an integer in \[1, 12\]; got 13"):
        reduce_test_set(path, 13, reason="too many")
    with pytest.raises(ValueError, match="reason"):
        reduce_test_set(path, 6, reason=" ")
    rounds_before = rounds_path(path).read_bytes()
    assert reduce_test_set(path, 12, reason="no change")["discarded_rows"] == 0
    assert rounds_path(path).read_bytes() == rounds_before  # nothing to do: nothing written
    out = reduce_test_set(path, 8, reason="test rows dearer than planned")
    assert out["rows_drawn"] == 12 and out["n_test"] == 8
    out = reduce_test_set(path, 6, reason="and dearer still")  # a second cut adds to the first
    assert out["rows_drawn"] == 12 and out["n_test"] == 6
    assert out["discarded_rows"] == len({r["index"] for r in records if r["index"] >= 38})
    assert out["discarded_core_seconds"] == pytest.approx(cpu_dropped, rel=1e-12)
    assert reduce_test_set(path, 6, reason="again") == out  # the same totals when called again
    with pytest.raises(ValueError, match="other settings"):
        build(path)  # the old setting no longer resumes
    ds = build(path, n_test=6)
    xr.testing.assert_identical(_numbers(ds), _numbers(fresh))
    cuts = json.loads(ds.attrs["active_learning_rounds"])[1]["reduced"]
    assert [(c["n_rows_before"], c["n_rows_after"]) for c in cuts] == [(12, 8), (8, 6)]
    assert [c["reason"] for c in cuts] == ["test rows dearer than planned", "and dearer still"]


def test_an_interrupted_cut_is_completed_by_calling_it_again(tmp_path, monkeypatch):
    from crtransport.dataset import _active

    fresh = build(tmp_path / "fresh.nc", n_test=6)
    path = tmp_path / "cut.nc"
    records = _interrupted_in_the_test_round(path)

    def killed(*args, **kwargs):
        raise KeyboardInterrupt  # the rounds log is written, the journal not yet

    with monkeypatch.context() as m:
        m.setattr(_active, "_cut_journal", killed)
        with pytest.raises(KeyboardInterrupt):
            reduce_test_set(path, 6, reason="cut")
    with pytest.raises(ValueError, match="other settings"):
        build(path, n_test=6)
    out = reduce_test_set(path, 6, reason="cut")  # completes the journal
    assert out["discarded_rows"] == len({r["index"] for r in records if r["index"] >= 38}) > 0
    xr.testing.assert_identical(_numbers(build(path, n_test=6)), _numbers(fresh))


def test_the_test_set_is_not_cut_after_acquisition_started(tmp_path):
    path = tmp_path / "db.nc"
    FAIL_AT.add(45)  # a row of the first acquisition round
    with pytest.raises(RuntimeError):
        build(path)
    before = rounds_path(path).read_bytes(), journal_path(path).read_bytes()
    with pytest.raises(ValueError, match="before the first acquisition round"):
        reduce_test_set(path, 6, reason="late")
    assert (rounds_path(path).read_bytes(), journal_path(path).read_bytes()) == before
    with pytest.raises(FileNotFoundError, match="no unfinished active build"):
        reduce_test_set(tmp_path / "none.nc", 6, reason="nothing there")


def test_a_build_begun_with_cost_power_in_its_fingerprint_resumes(reference, tmp_path):
    """Builds begun while cost_power was part of the fingerprint resume: the value moves into
    their acquisition rounds."""
    ref, _ = reference
    path = tmp_path / "db.nc"
    FAIL_AT.add(45)  # a row of the first acquisition round
    with pytest.raises(RuntimeError):
        build(path)
    for file in (rounds_path(path), journal_path(path)):  # as the earlier version wrote them
        lines = file.read_text().splitlines()
        header = json.loads(lines[0])
        header["fingerprint"]["active"]["cost_power"] = 1.0
        rows = [json.loads(line) for line in lines[1:]]
        for row in rows:
            row.pop("cost_power", None)
        file.write_text("\n".join(json.dumps(x) for x in [header, *rows]) + "\n")
    ds = build(path)
    xr.testing.assert_identical(_numbers(ds), _numbers(ref))
    rounds = json.loads(ds.attrs["active_learning_rounds"])
    assert [r.get("cost_power") for r in rounds] == [None, None, 1.0, 1.0, 1.0]


class _Unused(QuadraticBagging):
    def fit_predict(self, *args, **kwargs):  # pragma: no cover - must not be called
        raise AssertionError("the recorded round was recomputed")


def test_other_settings_do_not_resume(tmp_path):
    path = tmp_path / "db.nc"
    FAIL_AT.add(3)
    with pytest.raises(RuntimeError):
        build(path)
    with pytest.raises(ValueError, match="other settings"):
        build(path, learner=QuadraticBagging(n_members=3))
    ds = build(path, learner=QuadraticBagging(n_members=3), overwrite=True)
    assert json.loads(ds.attrs["learner"])["n_members"] == 3


def test_cost_scale_is_what_the_acquired_rows_took_over_what_was_expected(reference):
    rounds = [
        {"kind": "start", "first_row": 0, "rows": [[0]] * 2},
        {"kind": "acquisition", "first_row": 2, "rows": [[0]] * 2,
         "expected_core_seconds": [1.0, 2.0]},
        {"kind": "acquisition", "first_row": 4, "rows": [[0]] * 2, "cost_scale": 2.0,
         "expected_core_seconds": [4.0, 40.0]},  # 2 x the unscaled 2 and 20
    ]  # fmt: skip
    cpu = {0: 100.0, 1: 100.0, 2: 3.0, 3: 6.0, 4: 2.0}  # row 5 not finished: left out
    records = {i: {"cpu_time": c, "wall_time": c} for i, c in cpu.items()}
    assert _cost_scale(rounds, records) == pytest.approx((3 + 6 + 2) / (1 + 2 + 2))
    assert _cost_scale(rounds[:1], records) == 1.0  # no acquisition round yet
    # in a build whose cost model is exact (the stand-in's cost is deterministic), about 1
    ds, _ = reference
    later = json.loads(ds.attrs["active_learning_rounds"])[3:]
    assert all(0.5 < r["cost_scale"] < 2.0 for r in later)


def test_select_batch_keeps_the_best_apart():
    rng = np.random.default_rng(0)
    x = rng.random((400, 2))
    score = -np.linalg.norm(x - 0.8, axis=1)  # best near (0.8, 0.8)
    picks = select_batch(x, score, 5, exclusion=0.1)
    assert picks[0] == np.argmax(score)
    d = np.linalg.norm(x[picks][:, None] - x[picks][None], axis=2)
    assert np.all(d[np.triu_indices(5, 1)] >= 0.1)
    # without exclusion: simply the top five
    np.testing.assert_array_equal(select_batch(x, score, 5, 0.0), np.argsort(-score)[:5])


def test_cost_model_recovers_a_log_quadratic_cost():
    x = np.random.default_rng(1).random((200, 3))
    cost = np.exp(2.0 + 3.0 * x[:, 0] - x[:, 1] * x[:, 2] + 0.5 * x[:, 2] ** 2)
    coef = fit_cost_model(x, cost)
    q = np.random.default_rng(2).random((50, 3))
    truth = np.exp(2.0 + 3.0 * q[:, 0] - q[:, 1] * q[:, 2] + 0.5 * q[:, 2] ** 2)
    np.testing.assert_allclose(predict_cost(coef, q), truth, rtol=1e-9)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"budget": 0.0}, r"`budget` must be in \(0, inf\); got 0"),
        ({"budget": 1.0, "initial_samples": 4}, r"`initial_samples` must be an integer in \[8, "),
        (
            {"budget": 1.0, "batch_size": 64, "n_candidates": 32},
            r"`n_candidates` must be an integer in \[64",
        ),
        ({"budget": 1.0, "cost_power": 3.0}, r"`cost_power` must be in \[0, 2\]; got 3"),
        ({"budget": math.nan}, "`budget`"),
    ],
)
def test_active_learning_rejects_bad_settings(kwargs, match):
    with pytest.raises(ValueError, match=match):
        ActiveLearning(**kwargs)


def test_builder_rejects_bad_arguments(tmp_path):
    good = {"path": tmp_path / "x.nc", "learner": QuadraticBagging(),
            "active": ActiveLearning(budget=1.0)}  # fmt: skip
    from crtransport.dataset import build_active_dataset

    grid = ParameterSpace(T=Grid((1.0, 2.0)), b=0.5, lambda_perp=1.0, sampling="grid")
    with pytest.raises(ValueError, match="needs a space with Free axes"):
        build_active_dataset(grid, **good)
    with pytest.raises(TypeError, match="`learner` must have describe"):
        build_active_dataset(SPACE, **{**good, "learner": object()})
    with pytest.raises(TypeError, match="`active` must be an ActiveLearning"):
        build_active_dataset(SPACE, **{**good, "active": {"budget": 1}})
    with pytest.raises(TypeError, match="`path` is required"):
        build_active_dataset(SPACE, **{**good, "path": None})
    assert isinstance(QuadraticBagging(), Learner)
    assert not list(tmp_path.iterdir())  # nothing written


def test_space_of_dimensionless_inputs():
    pts = SPACE.sample(64, seed=3)
    R = units.u_from_T(pts["T"]) / pts["lambda_perp"]
    u = SPACE.to_unit(pts)
    assert u.shape == (64, 4) and np.all((u >= 0) & (u < 1))
    back = SPACE.from_unit(u)
    for name in ("T", "b", "lambda_perp", "lambda_par", "slab_fraction"):
        np.testing.assert_allclose(back[name], pts[name], rtol=1e-13)
    np.testing.assert_allclose(units.u_from_T(back["T"]) / back["lambda_perp"], R, rtol=1e-13)
    assert ParameterSpace.from_dict(json.loads(json.dumps(SPACE.to_dict()))) == SPACE
    with pytest.raises(ValueError, match="give `T` or `R`, not both"):
        ParameterSpace(T=1.0, R=(0.1, 1.0))
    with pytest.raises(ValueError, match="give `lambda_par` or `anisotropy`, not both"):
        ParameterSpace(lambda_par=5.0, anisotropy=(1.0, 3.0))
    with pytest.raises(ValueError, match=r"`slab_fraction` must be in \[0, 1\]; got 1.5"):
        ParameterSpace(slab_fraction=1.5)
    with pytest.raises(ValueError, match="which this space replaces"):
        ParameterSpace(R=(0.1, 1.0), lambda_perp=Tied(2.0, to="T"))


@pytest.mark.slow
def test_real_engine_and_learner_end_to_end(tmp_path):
    """The shipped pieces together: simulate rows of the composite model with isotropic pitch
    angles, the JAX ensemble, two acquisition rounds, a valid schema-4 file."""
    from crtransport.dataset import build_active_dataset
    from crtransport.surrogate import EnsembleLearner

    space = ParameterSpace(
        R=Free(0.2, 2.0, log=True), b=Free(0.3, 1.0, log=True), lambda_perp=1.0,
        anisotropy=Free(1.0, 5.0, log=True), slab_fraction=Free(0.0, 0.5), mu="isotropic",
        sampling="sobol",
    )  # fmt: skip
    active = ActiveLearning(
        budget=1.0, initial_samples=16, batch_size=4, n_test=4, n_candidates=256, max_rounds=2
    )
    path = tmp_path / "general.nc"
    ds = build_active_dataset(
        space, path=path, learner=EnsembleLearner(n_epochs=300), active=active, seed=3,
        simulation={"model": "composite", "n_particles": 64, "n_waves": 16, "converge": "both"},
        n_workers=2, progress=False,
    )  # fmt: skip
    assert ds.sizes["sample"] == 28 and int(ds["split"].sum()) == 4
    for d in ("perp", "par"):
        # a plateau is positive; without one D is the end slope of <dx^2>, which a bounded
        # (sub-diffusive, alpha < 1) orbit of 64 particles may leave at or below zero
        value, converged = ds[f"D_{d}"].values, ds[f"is_converged_{d}"].values.astype(bool)
        assert np.all(value[converged] > 0)
        assert np.all((value > 0) | (ds[f"alpha_{d}"].values < 1))
    assert np.all(ds["cpu_time"].values > 0)
    assert json.loads(ds.attrs["simulation"])["model"] == "composite"
    reopened = open_dataset(path)
    np.testing.assert_array_equal(reopened["slab_fraction"].values, ds["slab_fraction"].values)
