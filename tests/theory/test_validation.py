"""Theory against simulation where the theory is expected to hold (slow, physics).

Two kinds of check: the committed record of ``scripts/theory_validation.py``
(``docs/_static/theory_validation.json``) must show the agreement the docs claim, and a few cheap
points are re-simulated here with fresh seeds, so that a change to the engine, the sampler or the
theory that breaks the agreement fails this file.

Tolerances, stated once:

* QLT's D_mumu at b = 0.02 (unperturbed orbits, Delta mu small): within 10 % in the record; a
  re-run point within 10 % plus 3 standard errors.
* QLT's kappa_par at R = r_L / lambda_par > 1.5, b <= 0.2: QLT / simulation in [0.95, 1.35]
  (QLT is expected to hold there to tens of per cent, and to err high: the 90-degree problem).
  At R < 1 QLT must still err high (ratio > 1 by 2 standard errors): the documented failure.
* NLGC (a^2 = 1/3, simulated D_par) on composite turbulence, b = 0.5-1: within a factor
  [0.8, 1.5] of the simulated D_perp; UNLT (a^2 = 1/3) within [0.4, 1.0]; the classical
  scattering relation below 0.25 (it must fail there).
"""

from __future__ import annotations

import json
import math
import pathlib

import numpy as np
import pytest

from crtransport import theory, units
from crtransport.pusher import initial_conditions, propagate
from crtransport.transport import asymptotic_diffusion
from crtransport.turbulence import SlabTurbulence

pytestmark = [pytest.mark.slow, pytest.mark.physics]

RECORD = pathlib.Path(__file__).resolve().parents[2] / "docs" / "_static" / "theory_validation.json"


@pytest.fixture(scope="module")
def record():
    return json.loads(RECORD.read_text())


def test_record_dmumu_agrees_at_small_b(record):
    rows = [r for r in record["dmumu"] if r["b"] == 0.02]
    assert len(rows) == 4
    for r in rows:
        assert abs(r["qlt_over_sim"]["ratio"] - 1) < 0.10, r


def test_record_qlt_parallel(record):
    for r in record["slab"]:
        assert r["converged_par"], r
        ratio, err = r["qlt_over_sim"]["ratio"], r["qlt_over_sim"]["ratio_err"]
        if r["R"] > 1.5:
            assert 0.95 < ratio < 1.35, r
        if r["R"] < 1.0:
            assert ratio - 2 * err > 1.0, r


def test_record_perpendicular_theories_on_composite(record):
    for r in record["composite"]:
        assert r["converged_perp"] and r["converged_par"], r
        assert 0.8 < r["nlgc_over_sim"]["ratio"] < 1.5, r
        assert 0.4 < r["unlt_over_sim"]["ratio"] < 1.0, r
        assert r["classical_over_sim"]["ratio"] < 0.25, r
        assert r["nlgc_iterations"] > 0 and r["nlgc_residual"] < 1e-8


def test_rerun_dmumu_point():
    # b = 0.02, mu0 = 0.6, slab lambda_par = 2, T = 1, 2000 particles, window [30, 90]
    b, lam, T, mu0, n = 0.02, 2.0, 1.0, 0.6, 2000
    turb = SlabTurbulence(b=b, lambda_par=lam)
    rng = np.random.default_rng(97)
    dt = 2 * math.pi * (1 + T) / (40 * math.sqrt(1 + b * b))
    n1, n2 = round(30 / dt), round(90 / dt) - round(30 / dt)
    modes = turb.sample(512, n, seed=rng)
    pos, mom = initial_conditions(T, mu0, n, seed=rng)
    first = propagate(modes, pos, mom, dt=dt, n_steps=n1, save_every=n1)
    second = propagate(modes, first.final_positions, first.final_momenta, dt=dt, n_steps=n2,
                       save_every=n2)  # fmt: skip
    u = float(units.u_from_T(T))
    per = ((second.final_momenta[:, 2] / u - mu0) ** 2
           - (first.final_momenta[:, 2] / u - mu0) ** 2) / (2 * n2 * dt)  # fmt: skip
    sim, err = per.mean(), per.std(ddof=1) / math.sqrt(n)
    qlt = float(theory.qlt_pitch_angle_diffusion(turb, T, mu0))
    assert abs(qlt - sim) < 0.10 * sim + 3 * err


def test_rerun_qlt_parallel_point(record):
    # slab b = 0.2, R = 3 (the cheapest point: 20 QLT scattering times = 3700 / omega_c),
    # 600 particles: QLT / simulation in [0.95, 1.35] and consistent with the record
    b, T, R, n = 0.2, 1.0, 3.0, 600
    r_l = float(units.u_from_T(T))
    v = float(units.speed_from_T(T))
    turb = SlabTurbulence(b=b, lambda_par=r_l / R)
    qlt = theory.qlt_parallel_diffusion(turb, T)
    rng = np.random.default_rng(2024)
    dt = 2 * math.pi * (1 + T) / (40 * math.sqrt(1 + b * b))
    n_steps = 200 * math.ceil(20 * qlt.details["lambda_mfp"] / v / dt / 200)
    modes = turb.sample(512, n, seed=rng)
    pos, mom = initial_conditions(T, rng.uniform(-1, 1, n), n, seed=rng)
    out = propagate(modes, pos, mom, dt=dt, n_steps=n_steps, save_every=n_steps // 200)
    est = asymptotic_diffusion(out.times, out.displacement, direction="par")
    ratio = qlt.value / est.value
    assert 0.95 < ratio < 1.35, (ratio, est)
    stored = next(r for r in record["slab"] if r["b"] == b and r["R"] == R)
    assert abs(est.value - stored["D_par"]) < 4 * math.hypot(est.error, stored["D_par_err"])
