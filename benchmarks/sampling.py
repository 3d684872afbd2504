"""Wave-vector sampling: the exact rejection sampler against the quantile sampler.

Run with ``python benchmarks/sampling.py``; prints a table and one JSON line. Each variant
draws the waves of 1e4 particles x 500 waves of the paper's 2D model (in the engine's blocks of
500 realizations), best of N interleaved rounds, all cores (the quantile path's kernels are
parallel; the rejection path is NumPy on one core).
"""

from __future__ import annotations

import argparse
import json
import time

import numba
import numpy as np
from _machine import machine

from crtransport.turbulence import TwoDTurbulence


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    turb = TwoDTurbulence(b=0.2, lambda_perp=5.0)
    times: dict[str, list[float]] = {"rejection": [], "quantile": []}
    for method in times:  # compile and build the cached tables
        turb.sample(500, 8, seed=0, method=method)
    for _ in range(args.rounds):
        for method, out in times.items():
            t0 = time.perf_counter()
            for block in range(20):
                turb.sample(500, 500, seed=block, method=method)
            out.append(time.perf_counter() - t0)
    best = {m: min(v) for m, v in times.items()}
    for m, v in times.items():
        print(f"{m:10s} best {best[m]:.3f} s  (rounds: {', '.join(f'{x:.3f}' for x in v)})")
    record = {
        "benchmark": "sampling",
        "machine": machine(),
        "numba_threads": numba.get_num_threads(),
        "waves": 10_000 * 500,
        "rejection_s": round(best["rejection"], 4),
        "quantile_s": round(best["quantile"], 4),
        "speedup": round(best["rejection"] / best["quantile"], 2),
        "median_speedup": round(
            float(np.median(times["rejection"]) / np.median(times["quantile"])), 2
        ),
    }
    print(json.dumps(record))


if __name__ == "__main__":
    main()
