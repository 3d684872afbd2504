"""Simulations behind the paper's figure 8: D_perp along three one-parameter cuts.

    python scripts/figure_data.py        # writes docs/_static/figures/fig8_cuts.json

``nox -s figures -- --simulate`` runs this before drawing the figures. Each cut varies one input
and holds the other two at the paper's values (Palade 2023, fig. 8):

* (a) ``T`` from 0.1 to 10 m c^2 (log-spaced) at b = 0.2, lambda_perp = 5;
* (b) ``b`` from 0.125 to 1 B0 at T = 1, lambda_perp = 5;
* (c) ``lambda_perp`` from 0.2 to 20 rho0 (log-spaced) at T = 1, b = 0.2.

Every run is one call of :func:`crtransport.simulate` with its defaults (mu = 0.5,
lambda_par = 10 lambda_perp, 500 waves, the default time step and run length) and
``N_PARTICLES`` particles; run ``i`` (0 to 23, cut by cut) has seed ``SEED + i``. The JSON file
keeps, per run, the inputs, D_perp and its standard error, the convergence flag, the seed, the
resolved time step and run length, plus the crtransport version, the git commit and the
package files with uncommitted changes when it ran. The 24 runs take about two minutes on two
cores.
"""

from __future__ import annotations

import argparse
import json
import logging
import subprocess
import time
from pathlib import Path

import numpy as np

import crtransport as crt

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "docs" / "_static" / "figures" / "fig8_cuts.json"

#: The paper's reference point: every cut passes through it.
REFERENCE = {"T": 1.0, "b": 0.2, "lambda_perp": 5.0}
#: The varied input of each panel and its values (rounded, so the file reads cleanly).
CUTS = {
    "T": np.round(np.geomspace(0.1, 10.0, 8), 4),
    "b": np.linspace(0.125, 1.0, 8),
    "lambda_perp": np.round(np.geomspace(0.2, 20.0, 8), 4),
}
N_PARTICLES = 4000
SEED = 800

log = logging.getLogger("figure_data")


def _git_commit() -> dict[str, object]:
    """HEAD and the package's files with uncommitted changes (None outside git)."""

    def git(*args: str) -> str | None:
        try:
            out = subprocess.run(
                ["git", *args], cwd=ROOT, capture_output=True, text=True, check=True
            )
        except (OSError, subprocess.CalledProcessError):
            return None
        return out.stdout

    status = git("status", "--porcelain", "--", "crtransport")
    head = git("rev-parse", "HEAD")
    return {
        "git_commit": None if head is None else head.strip(),
        "uncommitted": None if status is None else [line[3:] for line in status.splitlines()],
    }


def run_cuts(n_particles: int = N_PARTICLES, seed: int = SEED) -> dict[str, object]:
    """Run every cut and return the JSON-ready record."""
    cuts: dict[str, object] = {}
    index = 0
    start = time.perf_counter()
    for name, values in CUTS.items():
        fixed = {k: v for k, v in REFERENCE.items() if k != name}
        runs = []
        for value in values:
            inputs = {k: float(value) if k == name else v for k, v in REFERENCE.items()}
            # the rules the shipped figure data were made with (crtransport 0.1's)
            res = crt.simulate(**inputs, n_particles=n_particles, seed=seed + index, rules="paper")
            c = res.config
            runs.append(
                {
                    **inputs,
                    "mu": c.mu,
                    "lambda_par": c.turbulence.lambda_par,
                    "D_perp": res.D_perp,
                    "D_perp_err": res.D_perp_err,
                    "is_converged_perp": res.converged,
                    "n_particles": c.n_particles,
                    "n_waves": c.n_waves,
                    "dt": c.dt,
                    "t_max": c.t_max,
                    "seed": seed + index,
                    "wall_time": res.wall_time,
                }
            )
            log.info("run %2d  %s = %-8g %r", index, name, value, res)
            index += 1
        cuts[name] = {"fixed": fixed, "runs": runs}
    return {
        "description": (
            "D_perp along the three one-parameter cuts of Palade (2023), fig. 8; one "
            "crtransport.simulate() call per run with its defaults, rules='paper' and the "
            "seed given"
        ),
        "command": "python scripts/figure_data.py",
        "crtransport_version": crt.__version__,
        **_git_commit(),
        "units": {
            "T": "m c^2",
            "b": "B0",
            "lambda_perp": "rho0",
            "lambda_par": "rho0",
            "D_perp": "rho0^2 omega_c",
            "dt": "1/omega_c",
            "t_max": "1/omega_c",
            "wall_time": "s",
        },
        "total_wall_time": time.perf_counter() - start,
        "cuts": cuts,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-particles", type=int, default=N_PARTICLES)
    parser.add_argument("--seed", type=int, default=SEED, help="seed of the first run")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    record = run_cuts(args.n_particles, args.seed)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.output.with_suffix(".tmp")
    tmp.write_text(json.dumps(record, indent=1) + "\n")
    tmp.replace(args.output)
    log.info("wrote %s (%.0f s)", args.output, record["total_wall_time"])


if __name__ == "__main__":
    main()
