"""Why the general database starts at R = 0.05: the measurements on the first design's rows.

    python scripts/general_design_study.py                   # cost, learning curve, prior
    python scripts/general_design_study.py --replicates 12   # + label noise (a few core-minutes)

writes ``docs/_static/general_design_study.json``, the numbers quoted in the docs section "Why
R starts at 0.05" (docs/general_database.rst).

Data: the 507 training rows of the abandoned first design (R = r_L / lambda_perp from 0.005),
kept in ``data/general/v1/`` and read with :func:`crtransport.dataset.read_active_build`, in the
similarity variables of :func:`crtransport.surrogate._data.dimensionless_table`
(``ln_d = ln(D / (v lambda_perp))``, its label noise ``ln_d_err = D_err / D``).

What it measures, and why:

1. **Cost by range of R** (core-seconds, ``cpu_time``): where the first design's compute went,
   the mean row cost overall and from R = 0.05 on, and what its 300 test rows at four times the
   particles would have cost. Small R means many gyrations per correlation length: expensive.
2. **Learning curve**: a Gaussian process (:func:`gp_fit_predict`) fitted to a quarter, a half
   and all of the converged training rows outside a held-out quarter (three random subsets per
   size) and scored on that quarter. The held-out residual contains the label noise of the
   held-out rows, so the error of the fit itself is ``intrinsic = sqrt(raw^2 - noise^2)``; its
   power law in n says how many rows a target accuracy needs. The **projection** carries it to
   the training rows each design's budget pays for after its test set (first design: 29
   core-hours, R from 0.005; second: what the first left, R from 0.05).
3. **Theory prior**: the same Gaussian process on ``ln d`` and on ``ln(d / d_theory)``
   (:class:`crtransport.coefficients.TheoryModel`), on one held-out quarter: does the theory
   take part of the function off the regression's hands?
4. **Label noise** (``--replicates N``): N cheap converged training rows rerun with two new
   seeds; if the error bars are right, the pairwise z-scores of D have unit RMS and a median
   |z| of 0.674, and only more rows (or particles) average the noise down.

Every random choice is seeded (the constants below, recorded in the JSON). The numbers do not
depend on the machine beyond floating-point rounding; the replicate runs' processor times are
not recorded.
"""

from __future__ import annotations

import argparse
import itertools
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import scipy.optimize

import crtransport as crt
from crtransport.coefficients import get_model
from crtransport.dataset import read_active_build
from crtransport.dataset._schema import INPUTS
from crtransport.dataset._worker import run_arguments
from crtransport.surrogate._data import dimensionless_table

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data" / "general" / "v1" / "general.nc"
OUTPUT = ROOT / "docs" / "_static" / "general_design_study.json"

DIRECTIONS = ("perp", "par")
FEATURES = ("R", "b", "anisotropy", "slab_fraction")  # the GP takes ln of the first three

# 1. cost
R_EDGES = (0.005, 0.01, 0.02, 0.05, 0.1, 0.5, 5.0, 50.0)
R_START = 0.05  # the second design's lower edge of R
ROWS_BUDGET = 29.0  # core-hours for rows (scripts/build_general_database.py: 30 less a margin)

# 2. and 3. Gaussian process on held-out quarters
HOLDOUT_FRACTION = 0.25
CURVE_SEED = 1  # the held-out quarter, then the training subsets, one generator per direction
CURVE_FRACTIONS = (4, 2, 1)  # fit to pool // 4, pool // 2, pool rows
CURVE_SUBSETS = 3  # random subsets of each size
PRIOR_SEED = 1  # the held-out quarter of the prior comparison, per direction and target
SLAB_FLOOR = 0.01  # the theory's slab share is clipped to >= this (QLT needs a slab part)

# projection: what each design's budget buys, at the learning curve's rate
LOST_IN_FLIGHT = 0.58  # core-hours lost in flight under the first design (compute_log.jsonl)
SECOND_TEST_ROWS = 600  # the second design's test set, also at 4x the particles

# 4. replicates
REPLICATE_PICK_SEED = 5  # which rows are rerun
REPLICATE_SEEDS = (1001, 1002)  # row i's two reruns: crt.simulate(..., seed=s + 7 * i)
REPLICATE_ROW_STRIDE = 7
REPLICATE_MIN_R = 0.3  # cheap rows: R above this ...
REPLICATE_MAX_CPU = 15.0  # ... and under this many core-seconds


# -------------------------------------------------------------------------------------- data


def load() -> tuple:
    """The first design's rows and their dimensionless table."""
    ds = read_active_build(str(DATA))
    return ds, dimensionless_table(ds)


def features(table, rows: np.ndarray) -> np.ndarray:
    """GP inputs (ln R, ln b, ln anisotropy, slab_fraction) of the given rows."""
    cols = [table[name].values[rows] for name in FEATURES]
    return np.stack([np.log(cols[0]), np.log(cols[1]), np.log(cols[2]), cols[3]], axis=1)


def converged_training_rows(table, direction: str, extra: np.ndarray | None = None) -> np.ndarray:
    """Indices of the training rows whose coefficient reached a plateau (finite ln d)."""
    ok = (
        (table["split"].values == 0)
        & (table[f"diffusive_{direction}"].values == 1)
        & np.isfinite(table[f"ln_d_{direction}"].values)
    )
    if extra is not None:
        ok &= extra
    return np.flatnonzero(ok)


def heldout_quarter(rng: np.random.Generator, n: int) -> np.ndarray:
    """A seeded random mask of about HOLDOUT_FRACTION of n rows."""
    return rng.random(n) < HOLDOUT_FRACTION


# -------------------------------------------------------------------------------------- cost


def cost_summary(costs: np.ndarray) -> dict:
    return {
        "rows": int(costs.size),
        "mean_core_seconds": float(np.mean(costs)) if costs.size else None,
        "median_core_seconds": float(np.median(costs)) if costs.size else None,
    }


def cost_study(ds, table) -> dict:
    """Rows, mean and median cost and share of compute by range of R (training rows)."""
    train = table["split"].values == 0
    ratio, cost = table["R"].values[train], ds["cpu_time"].values[train]
    total = float(cost.sum())
    ranges = []
    for low, high in itertools.pairwise(R_EDGES):
        inside = (low < ratio) & (ratio <= high)
        share = float(cost[inside].sum()) / total
        ranges.append({"R_low": low, "R_high": high, **cost_summary(cost[inside]), "share": share})
    below = ratio <= R_START
    # the first design's test set (300 rows at 4x the particles, so 4x the cost of a row)
    design = json.loads(ds.attrs["active_learning"])
    n_test, factor = design["n_test"], design["test_particle_factor"]
    test_hours = n_test * factor * float(np.mean(cost)) / 3600
    return {
        "training_rows": int(train.sum()),
        "core_hours": total / 3600,
        "by_R": ranges,
        f"below_R_{R_START}": {
            **cost_summary(cost[below]),
            "row_share": float(below.mean()),
            "compute_share": float(cost[below].sum()) / total,
        },
        "all": cost_summary(cost),
        f"above_R_{R_START}": cost_summary(cost[~below]),
        "test_set": {
            "rows": n_test,
            "particle_factor": factor,
            "core_hours": test_hours,
            "of_budget_core_hours": ROWS_BUDGET,
        },
    }


# -------------------------------------------------------------------------- Gaussian process


def ard_kernel(A: np.ndarray, B: np.ndarray, lengthscales: np.ndarray, variance: float):
    """Squared-exponential kernel with one length scale per input (ARD)."""
    scaled = ((A[:, None, :] - B[None, :, :]) / lengthscales) ** 2
    return variance * np.exp(-0.5 * scaled.sum(-1))


def unpack(p: np.ndarray) -> tuple[np.ndarray, float, float, float]:
    """(length scales, signal variance, extra noise variance, constant mean) from the
    optimizer's vector (logs of the length scales and of the two standard deviations)."""
    return np.exp(p[:4]), np.exp(2 * p[4]), np.exp(2 * p[5]), p[6]


def covariance(X: np.ndarray, noise2: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Kernel plus each row's own label variance, the fitted extra noise and a 1e-8 jitter."""
    lengthscales, variance, extra2, _ = unpack(p)
    return ard_kernel(X, X, lengthscales, variance) + np.diag(noise2 + extra2 + 1e-8)


def negative_log_likelihood(p: np.ndarray, X: np.ndarray, y: np.ndarray, noise2: np.ndarray):
    """Negative log marginal likelihood (without the constant n/2 ln 2 pi)."""
    r = y - unpack(p)[3]
    try:
        L = np.linalg.cholesky(covariance(X, noise2, p))
    except np.linalg.LinAlgError:
        return 1e10
    alpha = np.linalg.solve(L.T, np.linalg.solve(L, r))
    return 0.5 * r @ alpha + np.log(np.diag(L)).sum()


def gp_fit_predict(X: np.ndarray, y: np.ndarray, noise2: np.ndarray, X_new: np.ndarray):
    """Fit the hyperparameters by L-BFGS-B on the marginal likelihood; predict the mean at
    X_new. Returns (mean, hyperparameters as a dict)."""
    p0 = np.array([0.0, 0.0, 0.0, np.log(0.3), np.log(np.std(y)), np.log(0.02), y.mean()])
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        p = scipy.optimize.minimize(
            negative_log_likelihood, p0, args=(X, y, noise2), method="L-BFGS-B"
        ).x
    lengthscales, variance, extra2, mean = unpack(p)
    weights = np.linalg.solve(covariance(X, noise2, p), y - mean)
    prediction = mean + ard_kernel(X_new, X, lengthscales, variance) @ weights
    hyper = {
        "lengthscales": lengthscales.tolist(),
        "signal_std": float(np.sqrt(variance)),
        "extra_noise_std": float(np.sqrt(extra2)),
        "mean": float(mean),
    }
    return prediction, hyper


def intrinsic(raw: float, noise: float) -> float:
    """The fit's own error: the held-out RMS less the held-out rows' label noise."""
    return float(np.sqrt(max(raw**2 - noise**2, 0.0)))


def holdout_score(X, y, err, train: np.ndarray, test: np.ndarray) -> dict:
    """Fit on the rows `train`, score on the rows `test`: raw, noise and intrinsic RMS."""
    pred, hyper = gp_fit_predict(X[train], y[train], err[train] ** 2, X[test])
    raw = float(np.sqrt(np.mean((pred - y[test]) ** 2)))
    noise = float(np.sqrt(np.mean(err[test] ** 2)))
    return {"raw": raw, "noise": noise, "intrinsic": intrinsic(raw, noise), "hyper": hyper}


# ---------------------------------------------------------------------------- learning curve


def learning_curve(table, direction: str) -> dict:
    """GP held-out error against the number of training rows, and its power law."""
    rows = converged_training_rows(table, direction)
    X, y = features(table, rows), table[f"ln_d_{direction}"].values[rows]
    err = table[f"ln_d_{direction}_err"].values[rows]
    rng = np.random.default_rng(CURVE_SEED)
    test = heldout_quarter(rng, len(rows))
    pool = np.flatnonzero(~test)
    points = []
    for fraction in CURVE_FRACTIONS:
        n = len(pool) // fraction
        scores = [
            holdout_score(X, y, err, rng.choice(pool, n, replace=False), test)
            for _ in range(CURVE_SUBSETS)
        ]
        raw = float(np.mean([s["raw"] for s in scores]))
        noise = scores[0]["noise"]
        points.append(
            {
                "n": n,
                "raw_per_subset": [s["raw"] for s in scores],
                "raw": raw,
                "noise": noise,
                "intrinsic": intrinsic(raw, noise),
            }
        )
    n = np.array([pt["n"] for pt in points], dtype=float)
    e = np.array([pt["intrinsic"] for pt in points])
    slope = float(np.polyfit(np.log(n), np.log(e), 1)[0])
    return {
        "converged_rows": len(rows),
        "heldout_rows": int(test.sum()),
        "pool_rows": len(pool),
        "points": points,
        "exponent": -slope,  # intrinsic error ~ n^-exponent
    }


# ----------------------------------------------------------------------------- theory prior


def prior_comparison(table, direction: str, ln_theory: np.ndarray) -> dict:
    """The GP on ln d and on ln(d / d_theory), on the same held-out quarter."""
    rows = converged_training_rows(table, direction, extra=np.isfinite(ln_theory))
    X, err = features(table, rows), table[f"ln_d_{direction}_err"].values[rows]
    y = table[f"ln_d_{direction}"].values[rows]
    targets = {"ln_d": y, "ln_d_over_theory": y - ln_theory[rows]}
    test = heldout_quarter(np.random.default_rng(PRIOR_SEED), len(rows))
    out = {"rows": len(rows), "heldout_rows": int(test.sum())}
    for name, target in targets.items():
        score = holdout_score(X, target, err, np.flatnonzero(~test), np.flatnonzero(test))
        out[name] = {"target_std": float(np.std(target)), **score}
    return out


def ln_theory(table) -> dict[str, np.ndarray]:
    """ln d of the theory model at every row (slab share clipped to SLAB_FLOOR)."""
    slab = np.clip(table["slab_fraction"].values, SLAB_FLOOR, None)
    args = [table[name].values for name in FEATURES[:3]]
    out = get_model("theory").predict_dimensionless(*args, slab)
    with np.errstate(divide="ignore"):
        return {d: np.log(out[f"d_{d}"]) for d in DIRECTIONS}


# ------------------------------------------------------------------------------- projection


def projection(table, cost: dict, curves: dict) -> dict:
    """Training rows each design's budget pays for after its test set, and the intrinsic error
    the learning curve's power law gives there (its full-pool point times (n / pool)^-exponent,
    n the design's converged fraction of those rows). A coarse extrapolation: the rate is
    measured over a factor of four in n, on the first design's whole range of R."""
    train = table["split"].values == 0
    ratio = table["R"].values
    factor = cost["test_set"]["particle_factor"]
    designs = {
        "first": (ROWS_BUDGET, cost["test_set"]["rows"], cost["all"], train),
        "second": (
            ROWS_BUDGET - cost["core_hours"] - LOST_IN_FLIGHT,
            SECOND_TEST_ROWS,
            cost[f"above_R_{R_START}"],
            train & (ratio > R_START),
        ),
    }
    out = {}
    for name, (budget, n_test, row_cost, rows) in designs.items():
        mean = row_cost["mean_core_seconds"]
        n_train = budget * 3600 / mean - n_test * factor
        out[name] = {"budget_core_hours": budget, "test_rows": n_test, "training_rows": n_train}
        for d, curve in curves.items():
            converged = float(np.mean(table[f"diffusive_{d}"].values[rows] == 1))
            n = converged * n_train
            full = curve["points"][-1]
            error = full["intrinsic"] * (n / full["n"]) ** -curve["exponent"]
            out[name][d] = {"converged_fraction": converged, "rows": n, "intrinsic": error}
    out["rows_ratio"] = out["second"]["training_rows"] / out["first"]["training_rows"]
    return out


# ------------------------------------------------------------------------------- replicates


def row_labels(ds, i: int) -> dict[str, tuple[float, float, bool]]:
    """(D, D_err, converged) per direction of database row i."""
    return {
        d: (
            float(ds[f"D_{d}"].values[i]),
            float(ds[f"D_{d}_err"].values[i]),
            bool(ds[f"is_converged_{d}"].values[i]),
        )
        for d in DIRECTIONS
    }


def run_labels(result) -> dict[str, tuple[float, float, bool]]:
    """(D, D_err, converged) per direction of a :class:`crtransport.SimulationResult`."""
    return {
        d: (
            float(getattr(result, f"D_{d}")),
            float(getattr(result, f"D_{d}_err")),
            bool(result.converged if d == "perp" else result.converged_par),
        )
        for d in DIRECTIONS
    }


def z_score(a: tuple, b: tuple) -> float:
    """(D_a - D_b) / sqrt(err_a^2 + err_b^2) of two (D, err, ...) labels."""
    return float((a[0] - b[0]) / np.hypot(a[1], b[1]))


def pairwise_z(original: tuple, first: tuple, second: tuple) -> list[float]:
    """rerun - rerun, first rerun - original, second rerun - original."""
    return [z_score(first, second), z_score(first, original), z_score(second, original)]


def z_stats(z: list[float]) -> dict:
    z = np.asarray(z)
    return {
        "pairs": int(z.size),
        "rms_z": float(np.sqrt(np.mean(z**2))) if z.size else None,
        "median_abs_z": float(np.median(np.abs(z))) if z.size else None,
    }


def replicate_study(ds, table, n: int) -> dict:
    """Rerun n cheap converged training rows with two new seeds each, as the build runs a row
    (:func:`crtransport.dataset._worker.run_arguments` on the build's settings). z-scores per
    direction: ``converged`` over the rows whose three runs all reached a plateau in that
    direction (a D without one is a slope, not a coefficient), ``all`` over every row (as the
    first measurement did for D_perp)."""
    sim = json.loads(ds.attrs["simulation"])
    settings = {**sim, "rules": crt.RunRules(**sim.pop("rules"))}
    cheap = np.flatnonzero(
        (ds["split"].values == 0)
        & ds["is_converged_perp"].values
        & (table["R"].values > REPLICATE_MIN_R)
        & (ds["cpu_time"].values < REPLICATE_MAX_CPU)
    )
    picked = np.random.default_rng(REPLICATE_PICK_SEED).choice(cheap, size=n, replace=False)
    rows = []
    for i in map(int, picked):
        params = {k: float(ds[k].values[i]) for k in INPUTS}
        seeds = [seed + REPLICATE_ROW_STRIDE * i for seed in REPLICATE_SEEDS]
        runs = [row_labels(ds, i)]
        runs += [run_labels(crt.simulate(**run_arguments(params, settings), seed=s)) for s in seeds]
        record = {"row": i, "R": float(table["R"].values[i]), "seeds": seeds}
        for d in DIRECTIONS:
            labels = [run[d] for run in runs]
            record[d] = {
                "original_and_reruns": labels,
                "all_converged": all(lab[2] for lab in labels),
                "z": pairwise_z(*labels),
            }
        rows.append(record)
        print(json.dumps(record), flush=True)
    stats = {
        d: {
            "converged": z_stats([z for r in rows if r[d]["all_converged"] for z in r[d]["z"]]),
            "all": z_stats([z for r in rows for z in r[d]["z"]]),
        }
        for d in DIRECTIONS
    }
    return {"candidates": int(cheap.size), "rows": rows, **stats}


# ------------------------------------------------------------------------------------- main


def git_commit() -> str:
    out = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    )
    return out.stdout.strip()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--replicates", type=int, default=0, help="rows to rerun with two new seeds (default 0)"
    )
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)

    ds, table = load()
    record = {
        "description": __doc__.splitlines()[0],
        "command": " ".join(["python", "scripts/general_design_study.py", *sys.argv[1:]]),
        "git_commit": git_commit(),
        "data": str(DATA.relative_to(ROOT)),
        "seeds": {
            "learning_curve": CURVE_SEED,
            "prior_comparison": PRIOR_SEED,
            "replicate_pick": REPLICATE_PICK_SEED,
            "replicate_runs": f"seed + {REPLICATE_ROW_STRIDE} * row for seed in "
            f"{list(REPLICATE_SEEDS)}",
        },
        "cost": cost_study(ds, table),
    }
    print(json.dumps(record["cost"], indent=1), flush=True)
    record["learning_curve"] = {}
    for d in DIRECTIONS:
        record["learning_curve"][d] = learning_curve(table, d)
        print(d, json.dumps(record["learning_curve"][d]["points"]), flush=True)
    record["projection"] = projection(table, record["cost"], record["learning_curve"])
    print(json.dumps(record["projection"]), flush=True)
    theory = ln_theory(table)
    record["prior_comparison"] = {"slab_floor": SLAB_FLOOR}
    for d in DIRECTIONS:
        record["prior_comparison"][d] = prior_comparison(table, d, theory[d])
        print(d, json.dumps(record["prior_comparison"][d]), flush=True)
    if args.replicates:
        record["replicates"] = {
            "criteria": {"R_above": REPLICATE_MIN_R, "cpu_time_below": REPLICATE_MAX_CPU},
            **replicate_study(ds, table, args.replicates),
        }
    args.output.write_text(json.dumps(record, indent=1) + "\n")
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
