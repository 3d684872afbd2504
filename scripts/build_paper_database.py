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
import logging
from pathlib import Path

from _engine_signature import check_engine

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


#: The small fixed run whose result must not move while the build resumes across sessions.
SIGNATURE_RUN = dict(
    T=1.0, b=0.5, lambda_perp=2.0, n_particles=64, n_waves=16, t_max=100.0, seed=1, rules="paper"
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=None, help="processes (default: all cores)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    PATH.parent.mkdir(parents=True, exist_ok=True)
    check_engine(SIGNATURE, SIGNATURE_RUN)
    crt.build_dataset(
        crt.dataset.ParameterSpace.paper(),
        path=PATH,
        n_workers=args.workers,
        progress=False,
        **SETTINGS,
    )


if __name__ == "__main__":
    main()
