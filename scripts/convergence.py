"""Numerical convergence study of simulate()'s defaults: time step, wave-number band, run length.

Run with ``python scripts/convergence.py [--quick]`` (or ``nox -s convergence``); prints
tables and ends with one JSON line. The full study takes about eight minutes on the 2-core VM
the project uses; ``--quick`` is a smoke run (about 15 s).

Method. At points (T, b, lambda_perp) spanning the paper's cube (mu = 0.5,
lambda_par = 10 lambda_perp) a baseline run is compared with variants that change one numerical
parameter each:

* ``replica``  -- the baseline again with another seed (null test: calibrates the z-scores);
* ``dt/2``     -- half the baseline time step, same run length;
* ``band x10`` -- k_perp in (0, 10 K/lambda_perp), k_par in (0, 10 K/lambda_par), K = 1000;
* ``t_max x2`` -- twice the baseline run length (the fitting window moves to [t_max, 2 t_max]);
* ``waves x2`` -- 1000 waves per realization instead of 500;
* ``band /10`` -- k in (0, K/(10 lambda)): a power check, showing that the test detects a change
  of the band that does matter (waves between 100/lambda and 1000/lambda).

Every run has its own seed, so baseline and variant carry independent statistical noise and

    z = (D_variant - D_baseline) / sqrt(err_variant^2 + err_baseline^2)

is a standard normal deviate when the numerical parameter does not matter. A default is
supported when |z| < 3 at every point; a systematic effect shows as same-signed z across points.
(Running the variant with the baseline's seed does not help: the trajectories are chaotic and
decorrelate long before the fitting window, so paired differences are as noisy as independent
ones, and the error of the difference would have to be estimated from the particles.)

Parts of the full study (``--parts``):

1. ``study``: the table above with simulate()'s defaults (``default_dt``, ``default_t_max``,
   band ``(0, 1000/lambda)``, 500 waves).
2. ``ladder``: D_perp against the time step at gyration-limited points, dt = f * default_dt
   with f = 1, 1/2, 1/4, 1/8; deviation and z against the finest step.
3. ``steps``: the same at 40, 80 and 160 steps per gyration in the RMS field,
   dt = 2 pi gamma / (N sqrt(1 + b^2)), with 12000 particles (the residual bias).
4. ``band``: the ladder of part 3 at the reference point with the band cut to (0, 30/lambda)
   (is the slow convergence in dt due to the small waves?) and widened to (0, 1e4/lambda).
5. ``proposed``: the table of part 1 (variants replica, dt/2, band x10, t_max x2) with the
   time-step rule ``dt = min(2 pi/10, 2 pi gamma / (N sqrt(1 + b^2)), 0.5 lambda_perp / v)``
   at N = ``--proposed-steps`` (default 40 and 80) steps per gyration; the library's rule is
   this formula at N = 10. Runs pass an explicit ``dt`` to simulate().
6. ``bandcheck``: band x10 against replica and baseline at 40 steps per gyration and three
   points, with 12000 particles.

The options ``--steps-per-gyration``, ``--crossing-fraction``, ``--decorrelation-times`` and
``--k-band`` replace the library's constants in the baseline of part 1 (runs then pass explicit
``dt``, ``t_max`` and bands), to test any other change without editing the library. The raw
results go to ``docs/_static/convergence.json`` (full study with the library's constants) or to
``--output``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np

import crtransport
from crtransport import simulate
from crtransport._run_rules import PAPER_DT, RUN_RULES
from crtransport._simulate import default_dt as _default_dt
from crtransport.turbulence import DEFAULT_K_BAND, make_turbulence

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from _machine import machine  # the benchmarks' one description of a machine

# The study tested crtransport 0.1's rules, kept as the "paper" preset: its baselines use them.
_PAPER = RUN_RULES["paper"]
STEPS_PER_GYRATION = _PAPER.steps_per_gyration
CROSSING_FRACTION = _PAPER.crossing_fraction
DECORRELATION_TIMES = _PAPER.decorrelation_times


def default_dt(T: float, b: float, lambda_perp: float) -> float:
    """The "paper" preset's step (the rule this study measured)."""
    return _default_dt(T, b, lambda_perp, rules="paper")


#: (T, b, lambda_perp): the paper's reference point first, then points spanning its cube.
POINTS = [
    (1.0, 0.2, 5.0),
    (0.1, 0.5, 1.0),
    (5.0, 0.8, 0.3),
    (10.0, 0.1, 20.0),
    (0.5, 1.0, 0.2),
    (3.0, 0.5, 10.0),
]
#: Gyration-limited points (low energy: default_dt is set by the gyration, not the crossing).
LADDER_POINTS = [(1.0, 0.2, 5.0), (0.1, 0.5, 1.0), (0.1, 0.2, 2.0), (0.1, 1.0, 2.0)]
LADDER_FACTORS = (1.0, 0.5, 0.25, 0.125)
VARIANTS = ("replica", "dt/2", "band x10", "t_max x2", "waves x2", "band /10")
#: Variants of part 'proposed' (the ones a change of dt could affect).
PROPOSED_VARIANTS = ("replica", "dt/2", "band x10", "t_max x2")
MU = 0.5
PAR_OVER_PERP = 10.0
N_WAVES = 500
DEFAULT_OUTPUT = Path(__file__).resolve().parents[1] / "docs" / "_static" / "convergence.json"


def git_commit() -> str | None:
    """The checkout's commit (the results depend on the engine's version)."""
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
            cwd=Path(__file__).resolve().parent,
        )
    except (OSError, subprocess.CalledProcessError):
        return None
    return out.stdout.strip() or None


class Rules:
    """The numerical rules of a baseline: the "paper" preset, or it with some constants replaced.

    The step and the first run length are the library's own (:class:`crtransport.RunRules`),
    so this study measures exactly the rules the engine applies.
    """

    def __init__(
        self,
        steps_per_gyration: float = STEPS_PER_GYRATION,
        crossing_fraction: float = CROSSING_FRACTION,
        decorrelation_times: float = DECORRELATION_TIMES,
        k_band: float = DEFAULT_K_BAND[1],
    ) -> None:
        self.run_rules = dataclasses.replace(
            _PAPER,
            steps_per_gyration=steps_per_gyration,
            crossing_fraction=crossing_fraction,
            decorrelation_times=decorrelation_times,
        )
        self.k_band = k_band

    @property
    def library(self) -> bool:
        return self.run_rules == _PAPER and self.k_band == DEFAULT_K_BAND[1]

    def as_dict(self) -> dict[str, float]:
        r = self.run_rules
        return {
            "steps_per_gyration": r.steps_per_gyration,
            "crossing_fraction": r.crossing_fraction,
            "decorrelation_times": r.decorrelation_times,
            "k_band": self.k_band,
            "min_gyrations": r.min_gyrations,
            "mu_floor": r.mu_floor,
        }

    def dt(self, T: float, b: float, lambda_perp: float) -> float:
        """min(2 pi/10, N gyration steps in the RMS field, crossing_fraction lambda_perp / v)."""
        return self.run_rules.dt(T, b, lambda_perp)  # lambda_perp: the smallest 2d scale here

    def t_max(self, T: float, b: float, lambda_perp: float) -> float:
        """The first run length at mu = MU (fixed for the "paper" rules)."""
        turb = make_turbulence(
            "2d", b=b, lambda_perp=lambda_perp, lambda_par=PAR_OVER_PERP * lambda_perp
        )
        return self.run_rules.first_length(T, abs(MU), turb)

    def settings(self, T: float, b: float, lam: float) -> dict:
        """Explicit simulate() keywords; only the preset for the library's own rules."""
        if self.library:
            return {"rules": "paper"}
        lam_par = PAR_OVER_PERP * lam
        return {
            "rules": "paper",
            "dt": self.dt(T, b, lam),
            "t_max": self.t_max(T, b, lam),
            "k_perp_range": (0.0, self.k_band / lam),
            "k_par_range": (0.0, self.k_band / lam_par),
        }


def steps_per_gyration(T: float, b: float, dt: float) -> float:
    """Steps per gyro-period 2 pi gamma / |B|_rms at this dt."""
    return 2.0 * math.pi * (1.0 + T) / (math.sqrt(1.0 + b * b) * dt)


def run(point, n_particles: int, seed: int, *, n_waves: int = N_WAVES, **kwargs) -> dict:
    T, b, lam = point
    kwargs.setdefault("rules", "paper")  # the rules this study measured
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", crtransport.AccuracyWarning)
        res = simulate(
            T,
            b,
            lam,
            lambda_par=PAR_OVER_PERP * lam,
            mu=MU,
            n_particles=n_particles,
            n_waves=n_waves,
            seed=seed,
            **kwargs,
        )
    accuracy = [
        str(w.message) for w in caught if issubclass(w.category, crtransport.AccuracyWarning)
    ]
    c = res.config
    return {
        "T": T,
        "b": b,
        "lambda_perp": lam,
        "seed": seed,
        "D_perp": res.D_perp,
        "D_perp_err": res.D_perp_err,
        "D_perp_previous": res.perp.previous_value,
        "converged": bool(res.converged),
        "D_par": res.D_par,
        "D_par_err": res.D_par_err,
        "converged_par": bool(res.converged_par),
        "dt": c.dt,
        "steps_per_gyration": steps_per_gyration(T, b, c.dt),
        "t_max": c.t_max,
        "n_steps": c.n_steps,
        "n_waves": c.n_waves,
        "n_particles": c.n_particles,
        "k_perp_max": c.turbulence.k_perp_range[1],
        "wall_time": res.wall_time,
        "accuracy_warning": accuracy[0] if accuracy else None,
    }


def variant_settings(variant: str, point, rules: Rules) -> dict:
    T, b, lam = point
    lam_par = PAR_OVER_PERP * lam
    kwargs = rules.settings(T, b, lam)
    if variant == "dt/2":
        kwargs["dt"] = 0.5 * rules.dt(T, b, lam)
        kwargs["t_max"] = rules.t_max(T, b, lam)
    elif variant == "band x10":
        kwargs["k_perp_range"] = (0.0, 10.0 * rules.k_band / lam)
        kwargs["k_par_range"] = (0.0, 10.0 * rules.k_band / lam_par)
    elif variant == "band /10":
        kwargs["k_perp_range"] = (0.0, 0.1 * rules.k_band / lam)
        kwargs["k_par_range"] = (0.0, 0.1 * rules.k_band / lam_par)
    elif variant == "t_max x2":
        kwargs["t_max"] = 2.0 * rules.t_max(T, b, lam)
    elif variant == "waves x2":
        kwargs["n_waves"] = 2 * N_WAVES
    return kwargs


def z_score(a: dict, base: dict, key: str = "D_perp") -> float:
    return (a[key] - base[key]) / math.hypot(a[f"{key}_err"], base[f"{key}_err"])


def rounded(row: dict) -> dict:
    return {
        k: float(f"{v:.5g}") if isinstance(v, float) and math.isfinite(v) else v
        for k, v in row.items()
    }


def cube_cost(rules: Rules, n: int = 20_000) -> float:
    """Mean n_steps over the paper's cube (uniform T, b, lambda_perp; fixed sample)."""
    rng = np.random.default_rng(0)
    T = rng.uniform(0.0, 10.0, n)
    b = rng.uniform(0.0, 1.0, n)
    lam = rng.uniform(0.2, 20.0, n)
    return float(
        np.mean([rules.t_max(t, bb, la) / rules.dt(t, bb, la) for t, bb, la in zip(T, b, lam)])
    )


def study(label: str, points, variants, rules: Rules, n_particles: int, seed0: int) -> dict:
    """Baseline and variants at every point; returns rows and a per-variant summary."""
    print(
        f"\n== {label}: baseline rules {rules.as_dict()} "
        f"({'library defaults' if rules.library else 'explicit settings'})"
    )
    print(f"   n_particles = {n_particles}, mu = {MU}, lambda_par = {PAR_OVER_PERP:g} lambda_perp")
    print(
        f"{'T':>5} {'b':>4} {'l_perp':>6} {'variant':>9} {'D_perp':>10} {'err':>9} "
        f"{'rel':>6} {'z':>6} {'conv':>5} {'dt':>7} {'n_steps':>7} {'wall[s]':>7}  warn"
    )
    rows: list[dict] = []
    for point in points:
        base = None
        for iv, variant in enumerate(("default", *variants)):
            seed = seed0 + 100 * POINTS.index(point) + iv
            kwargs = {} if variant == "default" else variant_settings(variant, point, rules)
            if variant in ("default", "replica"):
                kwargs = rules.settings(*point)
            row = {"variant": variant, **run(point, n_particles, seed, **kwargs)}
            row["z"] = None if base is None else z_score(row, base)
            row["z_par"] = None if base is None else z_score(row, base, "D_par")
            base = base or row
            rows.append(row)
            z = "" if row["z"] is None else f"{row['z']:+6.2f}"
            print(
                f"{point[0]:>5g} {point[1]:>4g} {point[2]:>6g} {variant:>9} "
                f"{row['D_perp']:>10.4g} {row['D_perp_err']:>9.2g} "
                f"{row['D_perp_err'] / row['D_perp']:>6.1%} {z:>6} "
                f"{'yes' if row['converged'] else 'NO':>5} {row['dt']:>7.4f} "
                f"{row['n_steps']:>7} {row['wall_time']:>7.2f}  "
                f"{'W' if row['accuracy_warning'] else ''}",
                flush=True,
            )
    summary = {}
    print(
        f"\n{'variant':>9} {'mean z':>7} {'rms z':>6} {'max|z|':>7} {'n|z|>3':>6}  "
        f"{'max|z_par|':>10} {'cost':>6}"
    )
    bases = [r for r in rows if r["variant"] == "default"]
    for variant in variants:
        sel = [r for r in rows if r["variant"] == variant]
        zs = np.array([r["z"] for r in sel])
        zp = np.array([r["z_par"] for r in sel])
        cost = float(np.mean([r["wall_time"] / b["wall_time"] for r, b in zip(sel, bases)]))
        s = summary[variant] = {
            "mean_z": float(zs.mean()),
            "rms_z": float(np.sqrt(np.mean(zs**2))),
            "max_abs_z": float(np.abs(zs).max()),
            "n_abs_z_gt_3": int(np.sum(np.abs(zs) > 3)),
            "max_abs_z_par": float(np.abs(zp).max()),
            "relative_cost": cost,
        }
        print(
            f"{variant:>9} {s['mean_z']:>+7.2f} {s['rms_z']:>6.2f} {s['max_abs_z']:>7.2f} "
            f"{s['n_abs_z_gt_3']:>6d}  {s['max_abs_z_par']:>10.2f} {cost:>5.2f}x"
        )
    n_warn = sum(1 for r in bases if r["accuracy_warning"])
    n_conv = sum(1 for r in bases if r["converged"])
    print(
        f"baseline runs with an AccuracyWarning: {n_warn} of {len(bases)}; "
        f"flagged converged: {n_conv} of {len(bases)}; "
        f"baseline wall time {sum(r['wall_time'] for r in bases):.1f} s"
    )
    return {
        "rules": rules.as_dict(),
        "library_defaults": rules.library,
        "n_particles": n_particles,
        "summary": summary,
        "baseline_wall_time": sum(r["wall_time"] for r in bases),
        "mean_steps_over_cube": cube_cost(rules),
        "rows": [rounded(r) for r in rows],
    }


def ladder(
    points, factors, n_particles: int, seed0: int, *, steps=None, k_band: float | None = None
) -> dict:
    """D_perp at dt = f * default_dt (or at ``steps`` steps per gyration in the RMS field);
    deviation and z against the finest step. ``k_band``: band (0, k_band/lambda) instead of
    the default."""
    what = "f x default_dt" if steps is None else "2 pi gamma / (N sqrt(1 + b^2))"
    band = "" if k_band is None else f", band (0, {k_band:g}/lambda)"
    print(f"\n== time-step ladder: dt = {what}, n_particles = {n_particles}{band}")
    print(
        f"{'T':>5} {'b':>4} {'l_perp':>6} {'f':>6} {'dt':>7} {'steps/gyr':>9} "
        f"{'D_perp':>10} {'err':>9} {'vs finest':>9} {'z':>6} {'D_par':>8} {'wall[s]':>7}"
    )
    rows: list[dict] = []
    for ip, point in enumerate(points):
        dt0 = default_dt(*point)
        if steps is not None:
            gyro = 2.0 * math.pi * (1.0 + point[0]) / math.sqrt(1.0 + point[1] ** 2)
            factors = [gyro / (n * dt0) for n in steps]
        sub = []
        for i, f in enumerate(factors):
            kwargs = (
                {}
                if k_band is None
                else {
                    "k_perp_range": (0.0, k_band / point[2]),
                    "k_par_range": (0.0, k_band / (PAR_OVER_PERP * point[2])),
                }
            )
            row = {"f": f, **run(point, n_particles, seed0 + 100 * ip + i, dt=f * dt0, **kwargs)}
            sub.append(row)
        finest = sub[-1]
        for row in sub:
            row["deviation"] = row["D_perp"] / finest["D_perp"] - 1.0
            row["z"] = None if row is finest else z_score(row, finest)
            row["par_deviation"] = row["D_par"] / finest["D_par"] - 1.0
            z = "" if row["z"] is None else f"{row['z']:+6.2f}"
            print(
                f"{point[0]:>5g} {point[1]:>4g} {point[2]:>6g} {row['f']:>6g} "
                f"{row['dt']:>7.4f} {row['steps_per_gyration']:>9.1f} {row['D_perp']:>10.4g} "
                f"{row['D_perp_err']:>9.2g} {row['deviation']:>+9.1%} {z:>6} "
                f"{row['D_par']:>8.4g} {row['wall_time']:>7.2f}",
                flush=True,
            )
        rows += sub
    return {
        "factors": None if steps is not None else list(factors),
        "steps_per_gyration": None if steps is None else list(steps),
        "n_particles": n_particles,
        "k_band": k_band,
        "rows": [rounded(r) for r in rows],
    }


def dump_json(obj, indent: int = 0) -> str:
    """JSON with one line per run (small, diff-friendly)."""
    pad = " " * indent
    if (
        isinstance(obj, dict)
        and indent < 3
        and any(isinstance(v, dict | list) and v for v in obj.values())
    ):
        items = [
            f"{pad} {json.dumps(k)}: {dump_json(v, indent + 1).lstrip()}" for k, v in obj.items()
        ]
        return pad + "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(obj, list) and obj and isinstance(obj[0], dict):
        return pad + "[\n" + ",\n".join(pad + "  " + json.dumps(x) for x in obj) + "\n" + pad + "]"
    return pad + json.dumps(obj)


PARTS = ("study", "ladder", "steps", "band", "proposed", "bandcheck")
#: Seed of part 'bandcheck' (the run cited in docs/convergence.rst).
BAND_CHECK_SEED = 10_817


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help="parts study (three points, 1500 particles) and a two-rung ladder (about 15 s)",
    )
    parser.add_argument(
        "--parts", type=str, default=",".join(PARTS), help=f"comma-separated subset of {PARTS}"
    )
    parser.add_argument(
        "--particles",
        type=int,
        default=None,
        help="particles per study run (default 4000, 1500 with --quick)",
    )
    parser.add_argument(
        "--ladder-particles",
        type=int,
        default=None,
        help="particles per ladder run (default 6000, 2000 with --quick)",
    )
    parser.add_argument(
        "--steps-particles", type=int, default=12000, help="particles per run of part 'steps'"
    )
    parser.add_argument("--seed", type=int, default=20230, help="base seed")
    parser.add_argument(
        "--points",
        type=str,
        default=None,
        help="study points by index into POINTS, e.g. '0,2' (default all)",
    )
    parser.add_argument(
        "--variants",
        type=str,
        default=",".join(VARIANTS),
        help=f"comma-separated subset of {VARIANTS}",
    )
    parser.add_argument(
        "--ladder-points",
        type=str,
        default=None,
        help="ladder points by index into LADDER_POINTS (default all)",
    )
    parser.add_argument(
        "--ladder-steps",
        type=str,
        default=None,
        help="ladder at these steps per gyration, e.g. '40,80,160', instead "
        "of the factors 1, 1/2, 1/4, 1/8 of default_dt",
    )
    parser.add_argument(
        "--ladder-k-band",
        type=float,
        default=None,
        help="ladder with the band (0, K/lambda) instead of the default",
    )
    parser.add_argument(
        "--proposed-steps",
        type=str,
        default="40,80",
        help="steps per gyration of the dt rules tested in part 'proposed'",
    )
    parser.add_argument("--steps-per-gyration", type=float, default=STEPS_PER_GYRATION)
    parser.add_argument("--crossing-fraction", type=float, default=CROSSING_FRACTION)
    parser.add_argument("--decorrelation-times", type=float, default=DECORRELATION_TIMES)
    parser.add_argument(
        "--k-band",
        type=float,
        default=DEFAULT_K_BAND[1],
        help="upper band edge in units of 1/lambda (default the library's)",
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=None,
        help="JSON file for the raw results (default "
        "docs/_static/convergence.json for the full study with the "
        "library's constants, none otherwise)",
    )
    args = parser.parse_args()

    rules = Rules(
        args.steps_per_gyration, args.crossing_fraction, args.decorrelation_times, args.k_band
    )
    parts = [p.strip() for p in args.parts.split(",") if p.strip()]
    variants = [v.strip() for v in args.variants.split(",") if v.strip()]
    if set(variants) - set(VARIANTS) or set(parts) - set(PARTS):
        parser.error(f"variants must be among {VARIANTS}; parts among {PARTS}")
    if args.quick:
        parts = [p for p in parts if p in ("study", "ladder")]
    points = POINTS[:3] if args.quick else POINTS
    if args.points:
        points = [POINTS[int(i)] for i in args.points.split(",")]
    n_particles = args.particles or (1500 if args.quick else 4000)
    n_ladder = args.ladder_particles or (2000 if args.quick else 6000)
    ladder_points = LADDER_POINTS[:1] if args.quick else LADDER_POINTS
    if args.ladder_points:
        ladder_points = [LADDER_POINTS[int(i)] for i in args.ladder_points.split(",")]
    ladder_steps = [float(n) for n in args.ladder_steps.split(",")] if args.ladder_steps else None
    factors = (1.0, 0.25) if args.quick else LADDER_FACTORS
    output = args.output
    default_run = (
        not args.quick
        and parts == list(PARTS)
        and rules.library
        and variants == list(VARIANTS)
        and not args.points
        and not args.ladder_points
        and not args.ladder_steps
        and args.ladder_k_band is None
    )
    if output is None and default_run:
        output = DEFAULT_OUTPUT

    # compile / load the Numba cache outside the timings
    simulate(1.0, 0.2, 5.0, n_particles=8, n_waves=4, t_max=20.0, seed=0)
    t_start = time.perf_counter()
    result: dict = {
        "benchmark": "convergence",
        "crtransport": crtransport.__version__,
        "git_commit": git_commit(),
        "machine": machine(),
        "command": "python scripts/convergence.py" if default_run else None,
        "mu": MU,
        "lambda_par_over_lambda_perp": PAR_OVER_PERP,
        "n_waves": N_WAVES,
        "paper_dt": PAPER_DT,
        "seed": args.seed,
    }
    if "study" in parts:
        result["study"] = study(
            "study at the baseline rules", points, variants, rules, n_particles, args.seed
        )
    if "ladder" in parts:
        result["ladder"] = ladder(
            ladder_points,
            factors,
            n_ladder,
            args.seed + 5000,
            steps=ladder_steps,
            k_band=args.ladder_k_band,
        )
    if "steps" in parts:  # the bias against steps per gyration, with more particles
        result["steps"] = ladder(
            [LADDER_POINTS[0], LADDER_POINTS[2]],
            None,
            args.steps_particles,
            args.seed + 6000,
            steps=(40, 80, 160),
        )
    if "band" in parts:  # is the slow convergence in dt due to the small waves?
        result["band_30"] = ladder(
            LADDER_POINTS[:1],
            None,
            n_ladder,
            args.seed + 7000,
            steps=(20, 40, 80, 160),
            k_band=30.0,
        )
        result["band_1e4"] = ladder(
            LADDER_POINTS[:1], None, n_ladder, args.seed + 8000, steps=(80, 160), k_band=1e4
        )
    if "proposed" in parts:
        for n in (float(x) for x in args.proposed_steps.split(",")):
            proposed = Rules(n, args.crossing_fraction, args.decorrelation_times, args.k_band)
            key = f"proposed_{n:g}"
            result[key] = study(
                f"study with {n:g} steps per gyration",
                points,
                [v for v in PROPOSED_VARIANTS if v in variants],
                proposed,
                n_particles,
                args.seed + 10000 + int(n),
            )
            if "study" in parts:
                ratio = (
                    result[key]["mean_steps_over_cube"] / result["study"]["mean_steps_over_cube"]
                )
                result[key]["cube_cost_ratio"] = ratio
                print(f"mean n_steps over the paper's cube: x{ratio:.2f} the baseline's")
    if "bandcheck" in parts:  # band x10 at 40 steps per gyration with more particles
        result["band_check_40"] = study(
            "band check at 40 steps per gyration",
            [POINTS[0], POINTS[1], POINTS[4]],
            ["replica", "band x10"],
            Rules(40.0, args.crossing_fraction, args.decorrelation_times, args.k_band),
            args.steps_particles,
            BAND_CHECK_SEED,
        )
    result["total_wall_time"] = time.perf_counter() - t_start
    print(f"\ntotal wall time: {result['total_wall_time']:.1f} s; machine: {machine()}")
    if output is not None:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(dump_json(result) + "\n")
        print(f"raw results written to {output}")
    line = {k: v for k, v in result.items() if not isinstance(v, dict)}
    for key, part in result.items():
        if isinstance(part, dict) and "summary" in part:
            line[key] = {k: part[k] for k in ("rules", "summary")}
    print(json.dumps(line))


if __name__ == "__main__":
    main()
