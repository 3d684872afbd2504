"""Analytic transport theories against test-particle simulations on the same turbulence.

    NUMBA_NUM_THREADS=1 python scripts/theory_validation.py     # about 17 CPU-minutes

writes ``docs/_static/theory_validation.json`` and the figures
``docs/_static/figures/theory_{slab_qlt,composite_perp,dmumu}.png``; the docs build turns the JSON
into the table of ``docs/theory_validation.rst`` (``docs/_theory_tables.py``).

Three experiments, every particle in its own realization (the paper's method), pitch cosines
drawn uniformly in [-1, 1] (isotropic) unless stated, T and the bend-over scales chosen so that
the rigidity takes the values listed:

* **slab / QLT** (:func:`crtransport.theory.qlt_parallel_diffusion`): slab turbulence (q = 0,
  s = 5/3, default band) at b = 0.1 and 0.2, T = 1 (r_L = sqrt 3), lambda_par = r_L / R for
  R = r_L / lambda_par from 0.3 to 3 (five log-spaced values). Simulated D_par against QLT's
  kappa_par; simulated D_perp against the classical scattering relation with the simulated
  D_par (slab perpendicular transport is subdiffusive, so that comparison is expected to fail).
* **composite / NLGC, UNLT** (:func:`crtransport.theory.nlgc_perpendicular_diffusion`,
  :func:`crtransport.theory.unlt_perpendicular_diffusion`): composite turbulence (20 % slab),
  lambda_perp = 5, lambda_par = 50, b in {0.5, 0.75, 1}, r_L / lambda_perp in {0.1, 0.35, 1}.
  Theories evaluated with the simulated D_par (the usual test of a perpendicular theory), and
  also with QLT's D_par of the slab component (the theory chain alone).
* **D_mumu** (:func:`crtransport.theory.qlt_pitch_angle_diffusion`): slab, lambda_par = 2,
  T = 1, fixed initial mu in {0.2, 0.4, 0.6, 0.8}: the simulated
  (<dmu^2>(t2) - <dmu^2>(t1)) / (2 (t2 - t1)) against QLT, at b = 0.02 over [t1, t2] = [30, 90]
  (the field-line correlation along the orbit has decayed, Delta mu is still small: where QLT
  should hold) and at b = 0.05 over [60, 120] (where nonlinear effects start to show).

The simulations use the public pusher layer: ``turb.sample(n_waves, n_particles, seed=...)``,
:func:`crtransport.pusher.initial_conditions`, :func:`crtransport.pusher.propagate` and
:func:`crtransport.transport.asymptotic_diffusion` (D_perp on guiding centres, as ``simulate``).
Time step: 40 steps per gyration in the RMS field, ``2 pi gamma / (40 sqrt(1 + b^2))``. Run length:
20 QLT scattering times ``lambda_mfp / v`` (60 of the slab component's for composite, where
D_perp converges slowly), at least 200 gyrations, at most ``MAX_STEPS`` steps
(``COMPOSITE_MAX_STEPS`` for composite). Seeds: case ``i`` uses ``SeedSequence(SEED).spawn``'s
child ``i``.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
from figure_data import _git_commit  # scripts/ is the script's own folder

import crtransport as crt
from crtransport import theory
from crtransport.pusher import initial_conditions, propagate
from crtransport.transport import asymptotic_diffusion
from crtransport.turbulence import CompositeTurbulence, SlabTurbulence

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "docs" / "_static" / "theory_validation.json"
FIGURES = ROOT / "docs" / "_static" / "figures"

SEED = 1515
N_PARTICLES = 1500
N_WAVES = 512
STEPS_PER_GYRATION = 40
SCATTERING_TIMES = 20.0
MIN_GYRATIONS = 200.0
MAX_STEPS = 400_000
#: Composite runs are longer: D_perp converges slowly there (the slab part's subdiffusive
#: contribution decays like t^-1/2), so the run must show whether it has reached a plateau.
COMPOSITE_SCATTERING_TIMES = 60.0
COMPOSITE_MAX_STEPS = 1_200_000
N_SAVE = 200

SLAB_B = (0.1, 0.2)
SLAB_R = tuple(float(r) for r in np.round(np.geomspace(0.3, 3.0, 5), 4))
COMPOSITE_B = (0.5, 0.75, 1.0)
COMPOSITE_R = (0.1, 0.35, 1.0)
COMPOSITE_LAMBDA_PERP = 5.0
DMUMU_LAMBDA = 2.0
DMUMU_MU = (0.2, 0.4, 0.6, 0.8)
#: (b, t1, t2) of the two D_mumu experiments
DMUMU_SETS = ((0.02, 30.0, 90.0), (0.05, 60.0, 120.0))
DMUMU_PARTICLES = 4000
N_DMUMU = len(DMUMU_SETS) * len(DMUMU_MU)

log = logging.getLogger("theory_validation")


def run_ensemble(
    turb: Any,
    T: float,
    *,
    t_scatter: float,
    n_particles: int,
    n_waves: int,
    seed: Any,
    scattering_times: float = SCATTERING_TIMES,
    max_steps: int = MAX_STEPS,
) -> dict[str, Any]:
    """Isotropic ensemble, one realization per particle; asymptotic D_par and D_perp."""
    rng = np.random.default_rng(seed)
    gamma = 1.0 + T
    dt = 2.0 * math.pi * gamma / (STEPS_PER_GYRATION * math.sqrt(1.0 + turb.b**2))
    t_max = max(scattering_times * t_scatter, MIN_GYRATIONS * 2.0 * math.pi * gamma)
    n_steps = min(math.ceil(t_max / dt), max_steps)
    save_every = max(1, n_steps // N_SAVE)
    n_steps = save_every * (n_steps // save_every)
    start = time.perf_counter()
    modes = turb.sample(n_waves, n_particles, seed=rng)
    mu = rng.uniform(-1.0, 1.0, n_particles)
    pos, mom = initial_conditions(T, mu, n_particles, seed=rng)
    out = propagate(modes, pos, mom, dt=dt, n_steps=n_steps, save_every=save_every)
    par = asymptotic_diffusion(out.times, out.displacement, direction="par")
    perp = asymptotic_diffusion(out.times, out.gc_displacement, direction="perp")
    gc = out.gc_displacement
    msd_perp = 0.5 * np.mean(gc[:, :, 0] ** 2 + gc[:, :, 1] ** 2, axis=0)
    return {
        "T": T,
        "n_particles": n_particles,
        "n_waves": n_waves,
        "dt": dt,
        "n_steps": n_steps,
        "t_max": n_steps * dt,
        "D_par": par.value,
        "D_par_err": par.error,
        "converged_par": par.converged,
        "D_par_previous_window": par.previous_value,
        "D_perp": perp.value,
        "D_perp_err": perp.error,
        "converged_perp": perp.converged,
        "D_perp_previous_window": perp.previous_value,
        "wall_time": time.perf_counter() - start,
        # running D_perp(t) = <dx_perp^2> / (4 t) of the guiding centres, every 5th saved time
        "running_times": out.times[4::5].tolist(),
        "running_D_perp": (msd_perp / (2.0 * out.times))[4::5].tolist(),
    }


def _ratio(theory_value: float, sim: float, sim_err: float) -> dict[str, float]:
    """theory / simulation with the error propagated from the simulation's error."""
    r = theory_value / sim
    return {"ratio": r, "ratio_err": abs(r) * sim_err / abs(sim)}


def slab_cases(children: list, n_particles: int) -> list[dict[str, Any]]:
    rows = []
    T = 1.0
    r_l = float(crt.units.u_from_T(T))
    v = float(crt.units.speed_from_T(T))
    for b in SLAB_B:
        for R in SLAB_R:
            turb = SlabTurbulence(b=b, lambda_par=r_l / R)
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                qlt = theory.qlt_parallel_diffusion(turb, T)
            sim = run_ensemble(
                turb,
                T,
                t_scatter=qlt.details["lambda_mfp"] / v,
                n_particles=n_particles,
                n_waves=N_WAVES,
                seed=children.pop(0),
            )
            classical = float(theory.scattering_perpendicular_diffusion(sim["D_par"], T))
            row = {
                "b": b,
                "R": R,
                "lambda_par": turb.lambda_par,
                **sim,
                "qlt_D_par": qlt.value,
                "qlt_lambda_mfp": qlt.details["lambda_mfp"],
                "qlt_gap_mu": qlt.details["gap_mu"],
                "qlt_gap_fraction": qlt.details["gap_fraction"],
                "qlt_warnings": [str(w.message) for w in caught],
                "qlt_over_sim": _ratio(qlt.value, sim["D_par"], sim["D_par_err"]),
                "classical_D_perp": classical,
                "classical_over_sim": _ratio(classical, sim["D_perp"], sim["D_perp_err"]),
            }
            log.info(
                "slab b=%g R=%g: D_par %.4g +- %.2g (conv %s), QLT %.4g, ratio %.3f; D_perp "
                "%.3g (conv %s), classical %.3g; %.0f s",
                b, R, sim["D_par"], sim["D_par_err"], sim["converged_par"], qlt.value,
                row["qlt_over_sim"]["ratio"], sim["D_perp"], sim["converged_perp"], classical,
                sim["wall_time"],
            )  # fmt: skip
            rows.append(row)
    return rows


def composite_cases(children: list, n_particles: int) -> list[dict[str, Any]]:
    rows = []
    for b in COMPOSITE_B:
        for R in COMPOSITE_R:
            r_l = R * COMPOSITE_LAMBDA_PERP
            T = float(crt.units.T_from_u(r_l))  # r_L = gamma v = |u| in B0
            v = float(crt.units.speed_from_T(T))
            turb = CompositeTurbulence(b=b, lambda_perp=COMPOSITE_LAMBDA_PERP)
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                qlt = theory.qlt_parallel_diffusion(turb, T)
            sim = run_ensemble(
                turb,
                T,
                t_scatter=qlt.details["lambda_mfp"] / v,
                n_particles=n_particles,
                n_waves=N_WAVES,
                seed=children.pop(0),
                scattering_times=COMPOSITE_SCATTERING_TIMES,
                max_steps=COMPOSITE_MAX_STEPS,
            )
            nlgc = theory.nlgc_perpendicular_diffusion(turb, T, D_par=sim["D_par"])
            unlt = theory.unlt_perpendicular_diffusion(turb, T, D_par=sim["D_par"])
            nlgc_q = theory.nlgc_perpendicular_diffusion(turb, T, D_par=qlt.value)
            unlt_q = theory.unlt_perpendicular_diffusion(turb, T, D_par=qlt.value)
            classical = float(theory.scattering_perpendicular_diffusion(sim["D_par"], T))
            flrw = theory.flrw_diffusion(turb)
            row = {
                "b": b,
                "R_perp": R,
                "r_L": r_l,
                "lambda_perp": COMPOSITE_LAMBDA_PERP,
                "lambda_par": turb.lambda_par,
                "slab_fraction": turb.slab_fraction,
                **sim,
                "qlt_D_par": qlt.value,
                "qlt_warnings": [str(w.message) for w in caught],
                "qlt_over_sim": _ratio(qlt.value, sim["D_par"], sim["D_par_err"]),
                "nlgc_D_perp": nlgc.value,
                "nlgc_iterations": nlgc.iterations,
                "nlgc_residual": nlgc.residual,
                "unlt_D_perp": unlt.value,
                "unlt_iterations": unlt.iterations,
                "unlt_residual": unlt.residual,
                "nlgc_over_sim": _ratio(nlgc.value, sim["D_perp"], sim["D_perp_err"]),
                "unlt_over_sim": _ratio(unlt.value, sim["D_perp"], sim["D_perp_err"]),
                "nlgc_qlt_D_perp": nlgc_q.value,
                "unlt_qlt_D_perp": unlt_q.value,
                "classical_D_perp": classical,
                "classical_over_sim": _ratio(classical, sim["D_perp"], sim["D_perp_err"]),
                "kappa_fl": flrw.value,
                "flrw_limit_D_perp": 0.5 * v * flrw.value,
            }
            log.info(
                "composite b=%g R=%g: D_perp %.4g +- %.2g (conv %s), NLGC %.4g (%.3f), UNLT "
                "%.4g (%.3f); D_par %.4g (conv %s), QLT %.4g; %.0f s",
                b, R, sim["D_perp"], sim["D_perp_err"], sim["converged_perp"], nlgc.value,
                row["nlgc_over_sim"]["ratio"], unlt.value, row["unlt_over_sim"]["ratio"],
                sim["D_par"], sim["converged_par"], qlt.value, sim["wall_time"],
            )  # fmt: skip
            rows.append(row)
    return rows


def dmumu_cases(children: list, n_particles: int) -> list[dict[str, Any]]:
    rows = []
    T = 1.0
    gamma = 1.0 + T
    for (b, t1, t2), mu0 in [(cfg, mu0) for cfg in DMUMU_SETS for mu0 in DMUMU_MU]:
        turb = SlabTurbulence(b=b, lambda_par=DMUMU_LAMBDA)
        dt = 2.0 * math.pi * gamma / (STEPS_PER_GYRATION * math.sqrt(1.0 + b**2))
        n1 = round(t1 / dt)
        n2 = round(t2 / dt) - n1
        rng = np.random.default_rng(children.pop(0))
        start = time.perf_counter()
        modes = turb.sample(N_WAVES, n_particles, seed=rng)
        pos, mom = initial_conditions(T, mu0, n_particles, seed=rng)
        first = propagate(modes, pos, mom, dt=dt, n_steps=n1, save_every=n1)
        second = propagate(
            modes, first.final_positions, first.final_momenta, dt=dt, n_steps=n2, save_every=n2
        )
        u = float(crt.units.u_from_T(T))
        dmu1 = first.final_momenta[:, 2] / u - mu0
        dmu2 = second.final_momenta[:, 2] / u - mu0
        per_particle = (dmu2**2 - dmu1**2) / (2.0 * (n2 * dt))
        sim = float(per_particle.mean())
        err = float(per_particle.std(ddof=1) / math.sqrt(n_particles))
        qlt = float(theory.qlt_pitch_angle_diffusion(turb, T, mu0))
        rows.append(
            {
                "mu0": mu0,
                "b": b,
                "lambda_par": DMUMU_LAMBDA,
                "T": T,
                "t1": n1 * dt,
                "t2": (n1 + n2) * dt,
                "dt": dt,
                "n_particles": n_particles,
                "n_waves": N_WAVES,
                "D_mumu": sim,
                "D_mumu_err": err,
                "mean_dmu_t2": float(dmu2.mean()),
                "qlt_D_mumu": qlt,
                "qlt_over_sim": _ratio(qlt, sim, err),
                "wall_time": time.perf_counter() - start,
            }
        )
        log.info("D_mumu b=%g mu0=%g: sim %.4g +- %.2g, QLT %.4g", b, mu0, sim, err, qlt)
    return rows


def figures(record: dict[str, Any], folder: Path) -> list[str]:
    import matplotlib
    import matplotlib.ticker

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    folder.mkdir(parents=True, exist_ok=True)
    written = []

    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for b, color in zip(SLAB_B, ("C0", "C1")):
        rows = [r for r in record["slab"] if r["b"] == b]
        R = np.array([r["R"] for r in rows])
        lam = np.array([r["lambda_par"] for r in rows])
        sim = np.array([r["D_par"] for r in rows]) / lam
        err = np.array([r["D_par_err"] for r in rows]) / lam
        qlt = np.array([r["qlt_D_par"] for r in rows]) / lam
        axes[0].errorbar(R, sim, err, fmt="o", color=color, label=f"simulation, b = {b:g}")
        axes[0].plot(R, qlt, "-", color=color, label=f"QLT, b = {b:g}")
        ratio = np.array([r["qlt_over_sim"]["ratio"] for r in rows])
        rerr = np.array([r["qlt_over_sim"]["ratio_err"] for r in rows])
        axes[1].errorbar(R, ratio, rerr, fmt="o-", color=color, label=f"b = {b:g}")
    axes[0].set(xscale="log", yscale="log", xlabel=r"$R = r_L/\lambda_\parallel$",
                ylabel=r"$D_\parallel / \lambda_\parallel$  [$\rho_0\omega_c$]",
                title="slab turbulence, isotropic pitch angles")  # fmt: skip
    axes[1].axhline(1.0, color="k", lw=0.8)
    axes[1].set(
        xscale="log",
        xlabel=r"$R = r_L/\lambda_\parallel$",
        ylabel="QLT / simulation",
        title=r"QLT $\kappa_\parallel$ over simulated $D_\parallel$",
    )
    for ax in axes:
        ax.legend(fontsize=8)
        ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
        ax.set_xticks(SLAB_R, [f"{r:.2g}" for r in SLAB_R])
    fig.tight_layout()
    path = folder / "theory_slab_qlt.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    written.append(str(path.relative_to(ROOT)))

    fig, axes = plt.subplots(1, len(COMPOSITE_R), figsize=(12, 4), sharey=True)
    for ax, R in zip(axes, COMPOSITE_R):
        rows = [r for r in record["composite"] if r["R_perp"] == R]
        b = np.array([r["b"] for r in rows])
        ax.errorbar(b, [r["D_perp"] for r in rows], [r["D_perp_err"] for r in rows], fmt="ko",
                    label="simulation")  # fmt: skip
        ax.plot(b, [r["nlgc_D_perp"] for r in rows], "s-", label="NLGC ($a^2=1/3$)")
        ax.plot(b, [r["unlt_D_perp"] for r in rows], "^-", label="UNLT ($a^2=1/3$)")
        ax.plot(b, [r["classical_D_perp"] for r in rows], "v:", label="classical scattering")
        ax.set(
            xscale="log", yscale="log", xlabel="b", title=rf"composite, $r_L/\lambda_\perp$ = {R:g}"
        )
        ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
        ax.set_xticks(b, [f"{x:g}" for x in b])
    axes[0].set_ylabel(r"$D_\perp$  [$\rho_0^2\omega_c$]")
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    path = folder / "theory_composite_perp.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    written.append(str(path.relative_to(ROOT)))

    if "running_D_perp" in record["composite"][0]:
        fig, axes = plt.subplots(1, len(COMPOSITE_R), figsize=(12, 4), sharey=True)
        for ax, R in zip(axes, COMPOSITE_R):
            rows = [r for r in record["composite"] if r["R_perp"] == R]
            for r, color in zip(rows, ("C0", "C1", "C2")):
                t = np.array(r["running_times"])
                ax.plot(t, np.array(r["running_D_perp"]) / r["nlgc_D_perp"], color=color,
                        label=f"b = {r['b']:g}")  # fmt: skip
                ax.axhline(r["unlt_D_perp"] / r["nlgc_D_perp"], color=color, ls=":", lw=1)
            ax.axhline(1.0, color="k", lw=0.8)
            ax.set(xscale="log", yscale="log", xlabel=r"$t$  [$1/\omega_c$]",
                   title=rf"composite, $r_L/\lambda_\perp$ = {R:g}")  # fmt: skip
        axes[0].set_ylabel(r"running $\langle\Delta x_\perp^2\rangle/(4t)$ / NLGC")
        axes[0].legend(fontsize=8, title="dotted: UNLT / NLGC", title_fontsize=8)
        fig.tight_layout()
        path = folder / "theory_composite_running.png"
        fig.savefig(path, dpi=110)
        plt.close(fig)
        written.append(str(path.relative_to(ROOT)))

    fig, ax = plt.subplots(figsize=(5.5, 4))
    mu = np.linspace(0.01, 0.99, 200)
    for (b, t1, t2), color in zip(DMUMU_SETS, ("C0", "C1")):
        rows = [r for r in record["dmumu"] if r["b"] == b]
        turb = SlabTurbulence(b=b, lambda_par=DMUMU_LAMBDA)
        # D_mumu / b^2 puts both amplitudes on one QLT curve
        ax.plot(mu, theory.qlt_pitch_angle_diffusion(turb, 1.0, mu) / b**2, "-", color=color,
                label="QLT" if color == "C0" else None)  # fmt: skip
        ax.errorbar([r["mu0"] for r in rows], [r["D_mumu"] / b**2 for r in rows],
                    [r["D_mumu_err"] / b**2 for r in rows], fmt="o", color=color,
                    label=f"simulation, b = {b:g}, t in [{t1:g}, {t2:g}]")  # fmt: skip
    ax.set(xlabel=r"$\mu$", ylabel=r"$D_{\mu\mu} / b^2$  [$\omega_c$]",
           title=rf"slab, $r_L/\lambda_\parallel$ = {math.sqrt(3) / DMUMU_LAMBDA:.2f}")  # fmt: skip
    ax.legend(fontsize=8)
    fig.tight_layout()
    path = folder / "theory_dmumu.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    written.append(str(path.relative_to(ROOT)))
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-particles", type=int, default=N_PARTICLES)
    parser.add_argument("--output", type=Path, default=OUTPUT)
    parser.add_argument("--figures-only", action="store_true", help="redraw from the JSON")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    logging.getLogger("matplotlib").setLevel(logging.WARNING)
    if args.figures_only:
        record = json.loads(args.output.read_text())
        record["figures"] = figures(record, FIGURES)
        args.output.write_text(json.dumps(record, indent=1) + "\n")
        return
    children = np.random.SeedSequence(SEED).spawn(
        len(SLAB_B) * len(SLAB_R) + len(COMPOSITE_B) * len(COMPOSITE_R) + N_DMUMU
    )
    start, cpu = time.perf_counter(), time.process_time()
    record: dict[str, Any] = {
        "description": (
            "Analytic theories (crtransport.theory) against test-particle simulations on the "
            "same turbulence objects; ratios are theory / simulation"
        ),
        "command": "NUMBA_NUM_THREADS=1 python scripts/theory_validation.py",
        "crtransport_version": crt.__version__,
        **_git_commit(),
        "numba_threads": os.environ.get("NUMBA_NUM_THREADS"),
        "settings": {
            "seed": SEED,
            "n_particles": args.n_particles,
            "n_waves": N_WAVES,
            "steps_per_gyration": STEPS_PER_GYRATION,
            "scattering_times": SCATTERING_TIMES,
            "composite_scattering_times": COMPOSITE_SCATTERING_TIMES,
            "min_gyrations": MIN_GYRATIONS,
            "max_steps": MAX_STEPS,
            "a2": theory.DEFAULT_A2,
        },
        "units": {
            "D": "rho0^2 omega_c",
            "D_mumu": "omega_c",
            "lengths": "rho0",
            "T": "m c^2",
            "times": "1/omega_c",
            "wall_time": "s",
        },
    }
    record["dmumu"] = dmumu_cases(children[-N_DMUMU:], DMUMU_PARTICLES)
    record["slab"] = slab_cases(children[: len(SLAB_B) * len(SLAB_R)], args.n_particles)
    record["composite"] = composite_cases(
        children[len(SLAB_B) * len(SLAB_R) : -N_DMUMU], args.n_particles
    )
    record["wall_seconds"] = time.perf_counter() - start
    record["cpu_seconds"] = time.process_time() - cpu
    record["figures"] = figures(record, FIGURES)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.output.with_suffix(".tmp")
    tmp.write_text(json.dumps(record, indent=1) + "\n")
    tmp.replace(args.output)
    log.info("wrote %s (%.0f s wall, %.0f s CPU)", args.output, record["wall_seconds"],
             record["cpu_seconds"])  # fmt: skip


if __name__ == "__main__":
    main()
