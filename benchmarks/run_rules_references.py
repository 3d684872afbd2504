"""Long reference runs at the points where the two run-rule presets disagree.

    python benchmarks/run_rules_references.py      # after benchmarks/run_rules.py

For each point of ``benchmarks/results/run_rules.jsonl`` whose two D_perp differ by more than
2 sigma, runs a fixed reference of three times the longer of the two runs (default step, 1e4
particles, 500 waves, an independent seed) and prints, as JSON lines, the reference D_perp and the
z-score of each preset against it. Results: ``benchmarks/results/run_rules_references.jsonl``.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import crtransport as crt

ROOT = Path(__file__).resolve().parents[1]
JOURNAL = ROOT / "benchmarks" / "results" / "run_rules.jsonl"
OUT = ROOT / "benchmarks" / "results" / "run_rules_references.jsonl"


def main() -> None:
    rows = [json.loads(line) for line in JOURNAL.read_text().splitlines() if line.strip()]
    records = []
    for r in rows:
        a, b = r["paper"], r["default"]
        if abs(a["D_perp"] - b["D_perp"]) <= 2 * math.hypot(a["D_perp_err"], b["D_perp_err"]):
            continue
        p, i = r["params"], r["index"]
        t_ref = 3.0 * max(a["t_end"], b["t_end"])
        res = crt.simulate(p["T"], p["b"], p["lambda_perp"], lambda_par=p["lambda_par"],
                           mu=p["mu"], n_particles=10_000, n_waves=500, t_max=t_ref,
                           seed=3000 + i)  # fmt: skip
        rec = {
            "index": i,
            "t_ref": t_ref,
            "D_ref": res.D_perp,
            "D_ref_err": res.D_perp_err,
            "converged": res.converged,
            "alpha": res.regime_perp.alpha,
            "alpha_err": res.regime_perp.alpha_err,
        }
        for name, d in (("paper", a), ("default", b)):
            rec[f"z_{name}"] = (d["D_perp"] - res.D_perp) / math.hypot(
                d["D_perp_err"], res.D_perp_err
            )
            rec[f"t_{name}"] = d["t_end"]
        print(json.dumps(rec), flush=True)
        records.append(rec)
    OUT.write_text("".join(json.dumps(rec) + "\n" for rec in records))


if __name__ == "__main__":
    main()
