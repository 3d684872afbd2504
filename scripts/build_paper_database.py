"""Build the reference database of the seed paper (Palade 2023), resumably.

    python scripts/build_paper_database.py            # builds or resumes data/paper/paper.nc

The settings are the paper's (PHYSICS.md, "The database") with the run rules the database was
built with, the ``"paper"`` preset (40 steps per gyration capped at 2 pi / 10, ten parallel
decorrelation times; see docs/convergence.rst), so that it rebuilds bit for bit. The build
journals every finished sample to ``data/paper/paper.nc.journal``; the journal is committed
while the build runs, so a build cut off at any point (this one spans several sessions on a
2-core machine) resumes where it stopped.
``scripts/ship_paper_models.py`` copies the database (or, while the build runs, its finished
samples) into the package and trains the pretrained surrogates on it.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

import numpy as np

import crtransport as crt

ROOT = Path(__file__).resolve().parents[1]
PATH = ROOT / "data" / "paper" / "paper.nc"
#: What the engine computed for a small fixed problem when the build started (see below).
SIGNATURE = PATH.with_name("engine_signature.json")

#: Everything that fixes the result. Changing any of it starts a new build.
SETTINGS = dict(
    n_samples=5000,
    analytic_fraction=0.05,  # 250 exact b = 0 rows, the last ones (PHYSICS.md: 5-10 %)
    seed=2023,
    # the rules the database was built with (crtransport 0.1's; RUN_RULES["paper"])
    simulation=dict(n_particles=10_000, n_waves=500, rules="paper"),
)


def engine_signature() -> dict[str, float]:
    """D_perp, D_par and their errors of a small fixed run (about a second).

    The journal's fingerprint covers the build's settings, not the engine's code, and a build
    spans sessions in which the code may change. Resuming with an engine that computes
    different numbers would silently mix two engines in one database, so the build refuses
    to resume when this signature moved (beyond the last-bits noise of another CPU).
    """
    res = crt.simulate(
        T=1.0,
        b=0.5,
        lambda_perp=2.0,
        n_particles=64,
        n_waves=16,
        t_max=100.0,
        seed=1,
        rules="paper",
    )
    return {k: float(getattr(res, k)) for k in ("D_perp", "D_perp_err", "D_par", "D_par_err")}


def check_engine() -> None:
    now = engine_signature()
    if not SIGNATURE.exists():
        SIGNATURE.write_text(json.dumps(now, indent=1) + "\n")
        return
    then = json.loads(SIGNATURE.read_text())
    if not all(np.isclose(now[k], then[k], rtol=1e-6, atol=0) for k in then):
        sys.exit(
            f"the engine now computes {now} for the signature run, the build started with "
            f"{then} ({SIGNATURE}): resuming would mix two engines in one database. Restore "
            "the engine, or start over (delete the journal and the signature)."
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=None, help="processes (default: all cores)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    PATH.parent.mkdir(parents=True, exist_ok=True)
    check_engine()
    crt.build_dataset(
        crt.dataset.ParameterSpace.paper(),
        path=PATH,
        n_workers=args.workers,
        progress=False,
        **SETTINGS,
    )


if __name__ == "__main__":
    main()
