"""Would a longer run cap buy the general database D_par where it has none? (issue 13)

    python scripts/general_cap_probe.py             # rerun 48 start rows to 16 first lengths
    python scripts/general_cap_probe.py --summary   # the table the docs quote, from the file

The second design of the general build (``data/general/v2``) capped an adaptive run at 4 first
lengths. This reruns 48 of its start rows
(drawn with a fixed seed) with the same settings and seeds but a cap of 16 (no ballistic stop)
and writes each pair to ``data/general/cap_probe.jsonl``. Up to 4 first lengths the two runs are
the same trajectory, so the engine's optional ballistic stop (``RunRules(ballistic_alpha=...,
ballistic_after=4)``) is evaluated afterwards from each row's own exponents at 4 first lengths
(approximately: the engine checks at the first extension past 4 first lengths). The compute is
logged in ``data/general/compute_log.jsonl`` against the database's 30 core-hours.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

import crtransport as crt
from crtransport import units
from crtransport.dataset._worker import INPUTS, _simulate_run

ROOT = Path(__file__).resolve().parents[1]
JOURNAL = ROOT / "data" / "general" / "v2" / "general.nc.journal"  # the cap-4 design
OUT = ROOT / "data" / "general" / "cap_probe.jsonl"
KEYS = (
    "D_perp",
    "D_par",
    "D_perp_err",
    "D_par_err",
    "is_converged_perp",
    "is_converged_par",
    "alpha_perp",
    "alpha_par",
    "stop_rule",
    "cpu_time",
    "t_max",
)
N_ROWS, N_START, SEED = 48, 1024, 2026


def run() -> None:
    lines = JOURNAL.read_text().splitlines()
    sim = dict(json.loads(lines[0])["fingerprint"]["simulation"])
    records = {r["index"]: r for r in map(json.loads, lines[1:]) if r["index"] < N_START}
    done = set()
    if OUT.exists():
        done = {json.loads(line)["index"] for line in OUT.read_text().splitlines()}
    chosen = np.random.default_rng(7).choice(sorted(records), N_ROWS, replace=False)
    sim["rules"] = crt.RunRules(**{**sim["rules"], "name": "probe-cap16", "max_extension": 16.0})
    with OUT.open("a") as out:
        for i in (int(i) for i in chosen if int(i) not in done):
            rec = records[i]
            res = _simulate_run(
                dict(zip(INPUTS, rec["params"], strict=True)),
                sim,
                np.random.SeedSequence(SEED, spawn_key=(i,)),
            )
            row = {
                "index": i,
                "params": rec["params"],
                "cap4": {k: rec[k] for k in KEYS},
                "cap16": {k: res[k] for k in KEYS},
            }
            out.write(json.dumps(row) + "\n")
            out.flush()


def summary() -> None:
    rows = [json.loads(line) for line in OUT.read_text().splitlines()]
    cap4 = sum(r["cap4"]["cpu_time"] for r in rows)
    b = np.array([r["params"][INPUTS.index("b")] for r in rows])
    R = np.array(
        [units.u_from_T(r["params"][0]) / r["params"][INPUTS.index("lambda_perp")] for r in rows]
    )
    print(
        f"{len(rows)} rows, R {R.min():.3g}-{R.max():.3g}; cap-16 reruns cost "
        f"{sum(r['cap16']['cpu_time'] for r in rows) / 3600:.3f} core-hours"
    )
    print("| rule | cost / cap 4 | D_par plateaus | D_perp plateaus |\n|---|---|---|---|")
    n = {d: sum(r["cap4"][f"is_converged_{d}"] for r in rows) for d in ("par", "perp")}
    print(f"| cap 4 (the build) | 1.00 | {n['par']} | {n['perp']} |")
    n = {d: sum(r["cap16"][f"is_converged_{d}"] for r in rows) for d in ("par", "perp")}
    cost16 = sum(r["cap16"]["cpu_time"] for r in rows)
    print(f"| cap 16 | {cost16 / cap4:.2f} | {n['par']} | {n['perp']} |")
    for thr in (1.7, 1.8, 1.9):
        cost, conv = 0.0, {"par": 0, "perp": 0}
        for r in rows:
            open_ = [d for d in ("perp", "par") if not r["cap4"][f"is_converged_{d}"]]
            stops = bool(open_) and all(r["cap4"][f"alpha_{d}"] >= thr for d in open_)
            src = r["cap4"] if stops else r["cap16"]
            cost += src["cpu_time"]
            for d in conv:
                conv[d] += src[f"is_converged_{d}"]
        print(
            f"| cap 16, ballistic stop at alpha >= {thr} | {cost / cap4:.2f} | {conv['par']} | "
            f"{conv['perp']} |"
        )
    print("\nD_par plateaus by b (cap 4 -> cap 16):")
    for lo, hi in ((0.05, 0.15), (0.15, 0.4), (0.4, 1.0), (1.0, 2.0)):
        m = (b >= lo) & (b <= hi)
        sel = [r for r, k in zip(rows, m, strict=True) if k]
        print(
            f"  b in [{lo}, {hi}]: {len(sel)} rows, "
            f"{sum(r['cap4']['is_converged_par'] for r in sel)} -> "
            f"{sum(r['cap16']['is_converged_par'] for r in sel)}"
        )
    for d in ("perp", "par"):
        both = [
            r for r in rows if r["cap4"][f"is_converged_{d}"] and r["cap16"][f"is_converged_{d}"]
        ]
        z = [
            (r["cap16"][f"D_{d}"] - r["cap4"][f"D_{d}"])
            / np.hypot(r["cap16"][f"D_{d}_err"], r["cap4"][f"D_{d}_err"])
            for r in both
        ]
        print(
            f"D_{d} where both reached a plateau: {len(z)} rows, z = (cap 16 - cap 4) / sigma: "
            f"mean {np.mean(z):+.2f}, RMS {np.sqrt(np.mean(np.square(z))):.2f}"
        )
    print(
        "(the two runs of a row share their first 4 first lengths: the z-scores are smaller "
        "than those of independent runs, and a mean away from 0 is a drift of the running "
        "coefficient after 4 first lengths)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--summary", action="store_true", help="print the table from the file")
    if parser.parse_args().summary:
        summary()
    else:
        run()
        summary()


if __name__ == "__main__":
    main()
