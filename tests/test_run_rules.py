"""Run rules, presets, adaptive runs and the ways to state a run (simulate's boundary)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

import crtransport as crt
from crtransport import units
from crtransport._run_rules import PAPER_DT, RUN_RULES, RunRules
from crtransport._simulate import SimulationConfig

FAST = dict(n_particles=64, n_waves=16)


def test_paper_rules_reproduce_every_shipped_rows_step_and_length():
    """The 'paper' preset resolves the dt and t_max of all 4750 simulated rows exactly."""
    ds = crt.open_dataset(crt.datasets.paper())
    sim = ~ds["is_analytic"].values
    for T, b, lam, lam_par, mu, dt, t_max in zip(
        *(ds[n].values[sim] for n in ("T", "b", "lambda_perp", "lambda_par", "mu", "dt", "t_max"))
    ):
        cfg = crt.resolve_config(T, b, lam, lambda_par=lam_par, mu=mu, rules="paper")
        assert (cfg.dt, cfg.t_max) == (dt, t_max)


def test_presets_and_their_round_trip():
    paper, default = RUN_RULES["paper"], RUN_RULES["default"]
    assert paper.max_dt == PAPER_DT and not paper.adaptive and paper.plateau_tolerance is None
    assert default.max_dt is None and default.adaptive
    for rules in (paper, default, RunRules(steps_per_gyration=80, growth=2.0)):
        again = RunRules.from_dict(json.loads(json.dumps(rules.to_dict())))
        assert again == rules


@pytest.mark.parametrize(
    ("field", "value", "match"),
    [
        ("steps_per_gyration", 2.0, "steps_per_gyration"),
        ("crossing_fraction", 0.0, "crossing_fraction"),
        ("plateau_tolerance", 1.0, "plateau_tolerance"),
        ("plateau_tolerance", 0.0, "plateau_tolerance"),
        ("plateau_tolerance", -0.1, "plateau_tolerance"),
        ("growth", 1.0, "growth"),
        ("max_extension", 0.5, "max_extension"),
        ("max_dt", -1.0, "max_dt"),
        ("mu_floor", 0.0, "mu_floor"),
    ],
)
def test_bad_rules_name_the_parameter(field, value, match):
    with pytest.raises(ValueError, match=match):
        RunRules(**{field: value})


def test_default_step_is_similar_and_uncapped_at_high_energy():
    """At T = 10 the default takes 40 steps per gyration in the RMS field, not the paper's 110."""
    b, lam = 0.2, 1e3
    for rules, steps in (("default", 40.0), ("paper", 2 * math.pi * 11 / PAPER_DT)):
        cfg = crt.resolve_config(T=10.0, b=b, lambda_perp=lam, rules=rules)
        per_gyration = 2 * math.pi * 11 / math.sqrt(1 + b * b) / cfg.dt
        assert per_gyration == pytest.approx(
            steps / math.sqrt(1 + b * b) if rules == "paper" else steps
        )
    # ... and the run length is the same number of decorrelation times at every energy
    for T in (0.01, 1.0, 1e3):
        lam = float(units.u_from_T(T)) / 0.05  # R = 0.05: the decorrelation time sets it
        cfg = crt.resolve_config(T=T, b=0.5, lambda_perp=lam)
        tau_c = 10 * lam / (float(units.speed_from_T(T)) * 0.5)
        assert cfg.t_max == pytest.approx(8 * tau_c, rel=1e-2)


#: The convergence study's points (docs/convergence.rst): (T, b, lambda_perp) -> the default
#: step and its steps per gyration in the RMS field; the last two are set by the crossing rule.
STUDY_STEPS = {
    (1.0, 0.2, 5.0): (0.30806, 40.0),
    (0.1, 0.2, 2.0): (0.16943, 40.0),
    (0.1, 0.5, 1.0): (0.15455, 40.0),
    (3.0, 0.5, 10.0): (0.56199, 40.0),
    (10.0, 0.1, 20.0): (1.7193, 40.0),
    (5.0, 0.8, 0.3): (0.15213, 193.5),
    (0.5, 1.0, 0.2): (0.13416, 49.67),
}


def test_default_step_across_the_papers_cube():
    """The default step over T in (0, 10], b in [0, 1], lambda_perp in [0.2, 20]: at least 40
    steps per gyration in the RMS field and at most half the bend-over scale per step, with
    one of the two exactly met; so it stays a factor 2 inside the pusher's AccuracyWarning."""
    from crtransport._simulate import default_dt
    from crtransport.pusher import MAX_ROTATION_PER_STEP

    rules = RUN_RULES["default"]
    binding = {"gyration": 0, "crossing": 0}
    for T in (1e-3, 0.01, 0.1, 0.5, 1.0, 3.0, 10.0):
        gamma, v = 1.0 + T, float(units.speed_from_T(T))
        for b in (0.0, 0.2, 0.5, 1.0):
            for lam in (0.2, 1.0, 5.0, 20.0):
                dt = rules.dt(T, b, lam)
                assert dt == default_dt(T, b, lam)
                per_gyration = 2 * math.pi * gamma / (math.sqrt(1 + b * b) * dt)
                crossed = v * dt / lam  # bend-over scales travelled per step
                assert per_gyration >= 40.0 * (1 - 1e-12), (T, b, lam, per_gyration)
                assert crossed <= 0.5 * (1 + 1e-12), (T, b, lam, crossed)
                if math.isclose(per_gyration, 40.0, rel_tol=1e-12):
                    binding["gyration"] += 1
                else:  # the step is never smaller than both rules ask
                    assert crossed == pytest.approx(0.5, rel=1e-12), (T, b, lam)
                    binding["crossing"] += 1
                rotation = dt * math.sqrt(1 + b * b) / gamma
                assert rotation <= MAX_ROTATION_PER_STEP / 2 * (1 + 1e-12)
    # the crossing rule sets the step where lambda_perp < (pi / 10) u / sqrt(1 + b^2): fast
    # particles in small-scale turbulence (T >= 0.5 at 0.2, T >= 3 at 1; 23 of 112 points)
    assert binding == {"gyration": 89, "crossing": 23}
    for (T, b, lam), (dt, per_gyration) in STUDY_STEPS.items():
        assert rules.dt(T, b, lam) == pytest.approx(dt, rel=1e-4)
        got = 2 * math.pi * (1 + T) / (math.sqrt(1 + b * b) * rules.dt(T, b, lam))
        assert got == pytest.approx(per_gyration, rel=1e-3)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(mu="random"), "`mu` must be a pitch cosine in \\[-1, 1\\] or 'isotropic'"),
        (dict(mu=1.5), "`mu`"),
        (dict(R=0.0, T=None, lambda_perp=None), "`R`"),
        (dict(R=-1.0, lambda_perp=None), "`R`"),
        (dict(t_cap=1.0), "`t_cap`"),
        (dict(t_cap=1e4, t_max=100.0), "`t_cap` bounds an adaptive run"),
        (dict(rules="fast"), "`rules`"),
        (dict(converge="all"), "`converge`"),
        (dict(R=1.0), "at most two of `T`, `lambda_perp` and `R`"),
        (dict(anisotropy=3.0, lambda_par=30.0), "`lambda_par` or `anisotropy`"),
        (dict(anisotropy=0.0), "`anisotropy`"),
        (dict(model="slab"), "model 'slab' has no perpendicular scale"),
        (dict(turbulence=crt.turbulence.TwoDTurbulence(b=0.1, lambda_perp=1.0)), "do not also"),
    ],
)
def test_bad_input_is_a_clear_error(kwargs, match):
    args = dict(T=1.0, b=0.2, lambda_perp=5.0, **FAST)
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        crt.resolve_config(**args)


def test_a_cap_shorter_than_a_gyration_is_refused():
    gyration = 2 * math.pi * 2.0
    with pytest.raises(ValueError, match=f"`t_cap` must be at least one gyration.*{gyration:.6g}"):
        crt.resolve_config(T=1.0, b=0.2, lambda_perp=5.0, t_cap=0.9 * gyration)


def test_dimensionless_statements_resolve_to_the_same_run():
    u1 = float(units.u_from_T(1.0))
    a = crt.resolve_config(T=1.0, b=0.3, lambda_perp=u1 / 0.5, anisotropy=5.0)
    b = crt.resolve_config(R=0.5, b=0.3, anisotropy=5.0)  # T = 1 by default
    assert b.T == 1.0 and b.turbulence.lambda_perp == pytest.approx(a.turbulence.lambda_perp)
    assert b.turbulence.lambda_par == pytest.approx(5 * b.turbulence.lambda_perp)
    assert math.isclose(b.R, 0.5) and b.dt == pytest.approx(a.dt)
    c = crt.resolve_config(R=0.5, b=0.3, lambda_perp=2.0)  # T from R lambda_perp
    assert float(units.u_from_T(c.T)) == pytest.approx(1.0, rel=1e-12)
    tiny = crt.resolve_config(R=1e-3, b=0.3, lambda_perp=1e-3)  # u = 1e-6: T = u^2 / 2
    assert math.isclose(tiny.T, 0.5e-12, rel_tol=1e-9)
    slab = crt.resolve_config(R=2.0, b=0.3, T=3.0, model="slab")
    assert slab.turbulence.lambda_par == pytest.approx(float(units.u_from_T(3.0)) / 2.0)


def test_a_turbulence_object_expresses_any_spectrum():
    turb = crt.turbulence.IsotropicTurbulence(b=1.0, lambda_iso=2.0, q=4.0)  # CRPropa's q = 4
    cfg = crt.resolve_config(T=1.0, turbulence=turb, **FAST, t_max=50.0)
    assert cfg.turbulence is turb and cfg.model == "isotropic"
    cfg_r = crt.resolve_config(R=0.25, turbulence=turb, **FAST)
    assert math.isclose(cfg_r.R, 0.25)
    res = crt.simulate(T=1.0, turbulence=turb, seed=1, t_max=50.0, **FAST)
    assert res.config.turbulence.q == 4.0 and np.isfinite(res.D_perp)


def test_config_with_rules_round_trips_through_json():
    cfg = crt.resolve_config(T=2.0, b=0.3, lambda_perp=2.0, mu="isotropic", **FAST)
    data = json.loads(json.dumps(cfg.to_dict()))
    assert SimulationConfig.from_dict(data) == cfg
    assert data["rules"]["name"] == "default" and data["mu"] == "isotropic"


def test_isotropic_pitch_angles_at_b_zero_give_the_averaged_helix():
    """mu uniform in [-1, 1]: D_zz(t) = v^2 <mu^2> t / 2 = v^2 t / 6 (statistically)."""
    n = 4000
    res = crt.simulate(
        T=1.0, b=0.0, lambda_perp=5.0, mu="isotropic", n_particles=n, n_waves=4, t_max=60.0, seed=3
    )
    v = float(units.speed_from_T(1.0))
    t = res.running["time"].values[-1]
    # <mu^2> over n uniform draws: mean 1/3, standard deviation sqrt(4/45 / n)
    mu2 = 2.0 * float(res.running["D_par"].values[-1]) / (v * v * t)
    assert abs(mu2 - 1.0 / 3.0) < 4.0 * math.sqrt(4.0 / 45.0 / n)
    assert res.config.is_isotropic and res.reduced()["mu"] != res.reduced()["mu"]  # NaN


def test_adaptive_run_stops_on_a_plateau_and_records_why():
    res = crt.simulate(T=1.0, b=0.5, lambda_perp=2.0, n_particles=1000, n_waves=32, seed=1)
    assert res.stop_reason == "plateau" and res.converged
    assert res.t_end == pytest.approx(res.n_steps * res.config.dt)
    assert res.t_end >= res.config.t_max and res.t_end <= res.config.t_cap * (1 + 1e-12)
    assert res.wave_evaluations == res.n_steps * 1000 * 32
    assert res.running.sizes["time"] <= 2 * 200 + 1
    assert res.regime_perp.regime == "diffusive"


def test_adaptive_run_reaches_the_cap_without_a_plateau():
    """At b = 0 the motion along z stays ballistic: D_par never plateaus."""
    res = crt.simulate(
        T=1.0, b=0.0, lambda_perp=2.0, converge="par", n_particles=32, n_waves=4, seed=1
    )
    assert res.stop_reason == "cap" and not res.converged_par
    assert res.t_end == pytest.approx(res.config.t_cap, rel=0.02)
    assert res.regime_par.alpha == pytest.approx(2.0, abs=1e-3)
    assert res.regime_par.regime == "super-diffusive"


def test_fixed_runs_and_the_paper_preset_do_not_extend():
    kw = dict(T=1.0, b=0.0, lambda_perp=2.0, converge="par", n_particles=32, n_waves=4, seed=1)
    assert crt.simulate(**kw, t_max=100.0).stop_reason == "fixed"
    paper = crt.simulate(**kw, rules="paper")
    assert paper.stop_reason == "fixed" and paper.n_steps == paper.config.n_steps


def test_unknown_backend_is_refused_before_any_work():
    with pytest.raises(ValueError, match="`backend` must be one of 'numba', 'jax'"):
        crt.resolve_config(T=1.0, b=0.2, lambda_perp=5.0, backend="cuda")


@pytest.mark.slow
def test_jax_backend_through_simulate_agrees_with_numba():
    """The same seed (same waves and starts) on both pushers: D within errors, adaptive too."""
    kw = dict(T=1.0, b=0.5, lambda_perp=2.0, n_particles=512, n_waves=32, seed=1)
    a = crt.simulate(**kw)
    b = crt.simulate(**kw, backend="jax")
    assert b.config.backend == "jax" and b.stop_reason in ("plateau", "cap")
    z = (a.D_perp - b.D_perp) / math.hypot(a.D_perp_err, b.D_perp_err)
    assert abs(z) < 3.0
    again = crt.simulate(**kw, backend="jax")
    assert again.D_perp == b.D_perp  # each backend reproduces itself bit for bit


def test_paper_kinematics_refuse_energies_they_cannot_resolve():
    """crtransport 0.1's v = sqrt(1 - 1/gamma^2) is 0 at T = 1e-17: a message, not a crash."""
    with pytest.raises(ValueError, match=r"`T` = 1e-17 is below 1e-08.*'paper' rules"):
        crt.resolve_config(T=1e-17, b=0.2, lambda_perp=5.0, rules="paper")
    assert RUN_RULES["paper"].speed(1.0) == pytest.approx(float(units.speed_from_T(1.0)))


# a real build (1.7 s quiet); the isotropic adaptive build stays in the default run
@pytest.mark.slow
def test_a_database_records_its_run_rules_in_full(tmp_path):
    from crtransport.dataset import ParameterSpace, build_dataset

    rules = RunRules(name="coarse", steps_per_gyration=20.0, adaptive=False)
    space = ParameterSpace(T=(0.5, 1.0), b=0.3, lambda_perp=2.0, mu="isotropic")
    build_dataset(
        space,
        n_samples=2,
        path=tmp_path / "db.nc",
        seed=1,
        progress=False,
        n_workers=1,
        simulation=dict(n_particles=16, n_waves=8, rules=rules),
    )
    ds = crt.open_dataset(tmp_path / "db.nc")
    stored = json.loads(ds.attrs["simulation"])["rules"]
    assert RunRules.from_dict(stored) == rules
    assert np.isnan(ds["mu"].values).all()  # isotropic rows
    assert set(ds["stop_rule"].values) == {0}  # fixed runs


def test_an_isotropic_adaptive_database_with_exact_rows(tmp_path):
    """Default (adaptive) rules, isotropic rows and an exact b = 0 row: <mu^2> = 1/3 there."""
    from crtransport.dataset import ParameterSpace, build_dataset

    space = ParameterSpace(T=(0.5, 1.0), b=0.4, lambda_perp=2.0, mu="isotropic")
    build_dataset(
        space,
        n_samples=3,
        analytic_fraction=0.34,
        path=tmp_path / "db.nc",
        seed=2,
        progress=False,
        n_workers=1,
        simulation=dict(n_particles=32, n_waves=8),
    )
    ds = crt.open_dataset(tmp_path / "db.nc")
    assert ds.attrs["schema_version"] == crt.dataset.SCHEMA_VERSION
    assert int(ds["is_analytic"].sum()) == 1
    exact = ds.isel(sample=int(np.flatnonzero(ds["is_analytic"].values)[0]))
    v = float(units.speed_from_T(float(exact["T"])))
    assert float(exact["D_par"]) == pytest.approx(v * v / 3 * float(exact["t_max"]) / 2)
    assert int(exact["stop_rule"]) == 3
    sim = ds.isel(sample=~ds["is_analytic"].values)
    assert set(sim["stop_rule"].values) <= {1, 2}  # adaptive: plateau or cap
    assert np.all(sim["n_steps"].values * sim["dt"].values == pytest.approx(sim["t_max"].values))


def test_an_adaptive_run_that_cannot_keep_its_waves_is_refused(monkeypatch):
    from crtransport import _workload

    monkeypatch.setattr(_workload, "physical_memory", lambda: 3e9)  # a 3 GB machine
    # 1e5 particles x 500 waves = 2.8 GB of wave tables on top of 1.9 GB of saved displacements
    with pytest.raises(ValueError, match="adaptive run keeps every particle's waves"):
        crt.resolve_config(T=1.0, b=0.2, lambda_perp=5.0, n_particles=100_000)
    fixed = crt.resolve_config(T=1.0, b=0.2, lambda_perp=5.0, n_particles=100_000, t_max=100.0)
    assert not fixed.adaptive


def test_ballistic_stop_ends_a_run_whose_coefficient_has_not_begun_to_scatter():
    """In weak turbulence (b = 0.03) D_par is ballistic far beyond any affordable run: with the
    ballistic stop the run ends at the first extension past ``ballistic_after`` first lengths
    (growth 1.5: 1, 1.5, 2.25) instead of running to the cap of 16."""
    from crtransport.turbulence import CompositeTurbulence

    turb = CompositeTurbulence(b=0.03, lambda_perp=1.0, lambda_par=1.0, slab_fraction=0.5)
    common = dict(R=1.0, turbulence=turb, mu="isotropic", n_particles=256, n_waves=32,
                  converge="par", seed=3)  # fmt: skip
    early = crt.simulate(
        **common, rules=RunRules(max_extension=16, ballistic_alpha=1.8, ballistic_after=2)
    )
    assert early.stop_reason == "ballistic" and not early.converged_par
    assert 2.0 <= early.t_end / early.config.t_max < 3.4
    assert early.regime_par.alpha >= 1.8
    full = crt.simulate(**common, rules=RunRules(max_extension=16))
    assert full.stop_reason == "cap"
    assert full.t_end / full.config.t_max == pytest.approx(16.0, rel=0.02)
    assert full.regime_par.alpha > 1.8  # ballistic to the end: the stop lost nothing


def test_ballistic_stop_leaves_a_diffusive_run_alone():
    rules = RunRules(max_extension=16, ballistic_alpha=1.8, ballistic_after=1)
    res = crt.simulate(
        R=0.5, b=1.0, lambda_perp=1.0, anisotropy=2.0, mu="isotropic", n_particles=512,
        n_waves=32, converge="par", rules=rules, seed=4,
    )  # fmt: skip
    assert res.stop_reason == "plateau" and res.converged_par


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"ballistic_alpha": 1.0}, r"`ballistic_alpha` must be in \(1, 2\]; got 1"),
        ({"ballistic_alpha": 2.5}, r"`ballistic_alpha` must be in \(1, 2\]; got 2.5"),
        ({"ballistic_after": 0.5}, r"`ballistic_after` must be in \[1, inf\); got 0.5"),
    ],
)
def test_ballistic_settings_are_checked(kwargs, match):
    with pytest.raises(ValueError, match=match):
        RunRules(**kwargs)


def test_rules_recorded_before_the_ballistic_stop_read_the_same():
    """The fields added later are written only when set: earlier databases' recorded rules
    and running builds' fingerprints do not change."""
    assert "ballistic_alpha" not in RUN_RULES["default"].to_dict()
    rules = RunRules(ballistic_alpha=1.8)
    assert RunRules.from_dict(json.loads(json.dumps(rules.to_dict()))) == rules
    assert RunRules.from_dict(RUN_RULES["paper"].to_dict()) == RUN_RULES["paper"]
