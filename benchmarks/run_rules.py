"""Cost of the run rules: 40 points of the paper's cube under the "paper" and "default" rules.

    python benchmarks/run_rules.py                 # runs (or resumes) the 40 points, then reports
    python benchmarks/run_rules.py --report        # the table and JSON from the journal only

Forty points drawn uniformly over the paper's cube (``ParameterSpace.paper()``, seed 40) run at
the paper's settings (10^4 particles, 500 waves, mu = 0.5, lambda_par = 10 lambda_perp) twice:
with ``rules="paper"`` (crtransport 0.1's fixed run: dt capped at 2 pi / 10, ten decorrelation
times) and with the default rules (no absolute cap, adaptive run length waiting for D_perp). The
two runs of a point use independent seeds, so their D_perp may be compared by a z-score.

The cost is counted in wave evaluations (particles x waves x steps: exact, machine-independent)
and in seconds (this machine, both cores; the two variants of a point run back to back so they
see the same machine state). Every finished point is appended to a journal
(``benchmarks/results/run_rules.jsonl``), so an interrupted run resumes. The report writes
``docs/_static/run_rules_cost.json``, which the docs render as a table.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import numpy as np
from _machine import machine

import crtransport as crt

ROOT = Path(__file__).resolve().parents[1]
JOURNAL = ROOT / "benchmarks" / "results" / "run_rules.jsonl"
REPORT = ROOT / "docs" / "_static" / "run_rules_cost.json"
N_POINTS = 40
DESIGN_SEED = 40
SETTINGS = dict(n_particles=10_000, n_waves=500)


def design() -> list[dict[str, float]]:
    """The 40 points (T, b, lambda_perp, lambda_par, mu), uniform over the paper's cube."""
    params = crt.dataset.ParameterSpace.paper().sample(N_POINTS, seed=DESIGN_SEED)
    return [{k: float(v[i]) for k, v in params.items()} for i in range(N_POINTS)]


def run_point(index: int, p: dict[str, float]) -> dict:
    out: dict = {"index": index, "params": p}
    for rules, seed in (("paper", 1000 + index), ("default", 2000 + index)):
        res = crt.simulate(
            p["T"],
            p["b"],
            p["lambda_perp"],
            lambda_par=p["lambda_par"],
            mu=p["mu"],
            rules=rules,
            seed=seed,
            **SETTINGS,
        )
        out[rules] = {
            "D_perp": res.D_perp,
            "D_perp_err": res.D_perp_err,
            "converged": res.converged,
            "stop_reason": res.stop_reason,
            "dt": res.config.dt,
            "t_end": res.t_end,
            "n_steps": res.n_steps,
            "wave_evaluations": res.wave_evaluations,
            "seconds": res.wall_time,
            "alpha_perp": res.regime_perp.alpha,
            "alpha_perp_err": res.regime_perp.alpha_err,
        }
    return out


def load() -> dict[int, dict]:
    if not JOURNAL.exists():
        return {}
    rows = {}
    for line in JOURNAL.read_text().splitlines():
        if line.strip():
            rec = json.loads(line)
            rows[rec["index"]] = rec
    return rows


def report(rows: dict[int, dict]) -> dict:
    done = [rows[i] for i in sorted(rows)]
    old_w = sum(r["paper"]["wave_evaluations"] for r in done)
    new_w = sum(r["default"]["wave_evaluations"] for r in done)
    old_s = sum(r["paper"]["seconds"] for r in done)
    new_s = sum(r["default"]["seconds"] for r in done)
    z = []
    for r in done:
        a, b = r["paper"], r["default"]
        z.append((b["D_perp"] - a["D_perp"]) / math.hypot(a["D_perp_err"], b["D_perp_err"]))
    z_arr = np.array(z)
    rel_err_old = np.median([r["paper"]["D_perp_err"] / abs(r["paper"]["D_perp"]) for r in done])
    rel_err_new = np.median(
        [r["default"]["D_perp_err"] / abs(r["default"]["D_perp"]) for r in done]
    )
    summary = {
        "benchmark": "run_rules",
        "machine": machine(),
        "n_points": len(done),
        "settings": SETTINGS,
        "design_seed": DESIGN_SEED,
        "wave_evaluations": {"paper": old_w, "default": new_w, "ratio": old_w / new_w},
        "seconds": {"paper": old_s, "default": new_s, "ratio": old_s / new_s},
        "within_2_sigma": int(np.sum(np.abs(z_arr) <= 2.0)),
        "max_abs_z": float(np.max(np.abs(z_arr))),
        "mean_z": float(np.mean(z_arr)),
        "median_rel_err": {"paper": float(rel_err_old), "default": float(rel_err_new)},
        "converged": {
            "paper": int(sum(r["paper"]["converged"] for r in done)),
            "default": int(sum(r["default"]["converged"] for r in done)),
        },
        "stop_reasons": {
            s: int(sum(r["default"]["stop_reason"] == s for r in done)) for s in ("plateau", "cap")
        },
        "points": [
            {
                "index": r["index"],
                "T": r["params"]["T"],
                "b": r["params"]["b"],
                "lambda_perp": r["params"]["lambda_perp"],
                "z": zi,
                **{
                    f"{k}_{rules}": r[rules][k]
                    for rules in ("paper", "default")
                    for k in ("D_perp", "D_perp_err", "wave_evaluations", "seconds", "stop_reason")
                },
            }
            for r, zi in zip(done, z)
        ],
    }
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--report", action="store_true", help="only report from the journal")
    args = parser.parse_args()
    rows = load()
    if not args.report:
        JOURNAL.parent.mkdir(parents=True, exist_ok=True)
        for i, p in enumerate(design()):
            if i in rows:
                continue
            rec = run_point(i, p)
            with JOURNAL.open("a") as fh:
                fh.write(json.dumps(rec) + "\n")
            rows[i] = rec
            a, b = rec["paper"], rec["default"]
            print(
                f"{i:2d} T={p['T']:.3g} b={p['b']:.3g} lam={p['lambda_perp']:.3g}: "
                f"paper {a['D_perp']:.4g}+-{a['D_perp_err']:.2g} ({a['seconds']:.1f} s), "
                f"default {b['D_perp']:.4g}+-{b['D_perp_err']:.2g} ({b['seconds']:.1f} s, "
                f"{b['stop_reason']}), cost ratio "
                f"{a['wave_evaluations'] / b['wave_evaluations']:.2f}",
                flush=True,
            )
    if not rows:
        sys.exit("no points in the journal yet")
    summary = report(rows)
    REPORT.write_text(json.dumps(summary, indent=1) + "\n")
    print(
        f"{summary['n_points']} points: wave evaluations paper/default = "
        f"{summary['wave_evaluations']['ratio']:.2f}, seconds {summary['seconds']['ratio']:.2f}; "
        f"{summary['within_2_sigma']} within 2 sigma; median relative error "
        f"{summary['median_rel_err']['paper']:.3%} / {summary['median_rel_err']['default']:.3%}"
    )
    print(json.dumps({k: v for k, v in summary.items() if k != "points"}))


if __name__ == "__main__":
    main()
