"""Benchmark of the general surrogate as a caller sees it: single queries, batches, bulk.

Run with ``python benchmarks/transport_surrogate.py`` (``--repeats N``; ``--stand-in`` times
a model of random weights with the shipped architecture even where the trained model is
installed; ``--model FILE`` times a saved model, as ``scripts/ship_general_model.py`` does).
Prints a table and ends with one JSON line (with the machine's name).

The model is ``Surrogate.pretrained("general")`` where it is installed; before it ships, a
stand-in of random weights with the same architecture (four ensembles of five 4-64-64-1
networks, :mod:`crtransport.surrogate._standin`): prediction costs the same whatever the
weights, and the JSON line says which was timed. Every figure is the best of N short runs:

* single query: ``TransportSurrogate.predict(R, b, anisotropy, slab_fraction)`` from Python
  floats (all ten outputs: both coefficients, their uncertainty, the plateau flags);
* small batches of 10, 100 and 1000 points, per call;
* bulk: 1e6 points inside the domain, end to end (float64 in and out, domain check);
* physical units: :func:`crtransport.diffusion_coefficients` on 100 rigidities (species,
  unit parsing, the Dataset with units), per call.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import numpy as np
from _machine import machine

SMALL_SIZES = (10, 100, 1000)


def points(model: Any, n: int, seed: int) -> tuple[np.ndarray, ...]:
    """``n`` points uniform (log-uniform for the positive inputs) inside the model's domain."""
    rng = np.random.default_rng(seed)
    cols = []
    for lo, hi in model.domain.values():
        if lo > 0:
            cols.append(np.exp(rng.uniform(np.log(lo), np.log(hi), n)))
        else:
            cols.append(rng.uniform(lo, hi, n))
    return tuple(cols)


def per_call(fn: Any, calls: int) -> float:
    t0 = time.perf_counter()
    for _ in range(calls):
        fn()
    return (time.perf_counter() - t0) / calls


def load(stand_in: bool, path: Path | None = None) -> tuple[Any, str]:
    from crtransport.surrogate import Surrogate, TransportSurrogate
    from crtransport.surrogate._standin import random_transport_surrogate

    if path is not None:
        return TransportSurrogate.load(path), str(path)
    if not stand_in:
        try:
            return Surrogate.pretrained("general"), "pretrained general"
        except FileNotFoundError:
            pass
    return random_transport_surrogate(), "stand-in (random weights, shipped architecture)"


def measure(repeats: int, stand_in: bool, path: Path | None = None) -> dict[str, Any]:
    import crtransport as crt

    model, which = load(stand_in, path)
    one = tuple(float(c[0]) for c in points(model, 1, seed=0))
    small = {n: points(model, n, seed=n) for n in SMALL_SIZES}
    bulk = points(model, 1_000_000, seed=1)
    rigidity = np.geomspace(1.0, 100.0, 100)
    environment = dict(species="proton", B0="5nT", lambda_perp="0.01au", b=0.5, anisotropy=10.0,
                       slab_fraction=0.2)  # fmt: skip
    t0 = time.perf_counter()
    model.predict(*bulk)  # first call (JAX compiles the bulk path here)
    first = time.perf_counter() - t0
    best: dict[str, float] = {}

    def record(what: str, seconds: float) -> None:
        best[what] = min(best.get(what, np.inf), seconds)

    for _ in range(repeats):
        record("single", per_call(lambda: model.predict(*one), 2000))
        for n, cols in small.items():
            record(f"small_{n}", per_call(lambda c=cols: model.predict(*c), max(10, 20_000 // n)))
        record("bulk", per_call(lambda: model.predict(*bulk), 1))
        record(
            "physical_100",
            per_call(
                lambda: crt.diffusion_coefficients(
                    model, rigidity=rigidity, rigidity_unit="GV", **environment
                ),
                50,
            ),
        )
    first_part = model._models["ln_d_perp"].config
    return {
        "benchmark": "transport_surrogate",
        "machine": machine(),
        "model": which,
        "architecture": f"4 parts x {first_part.n_models} x "
        + "-".join(str(s) for s in first_part.layer_sizes),
        "repeats": repeats,
        "first_call_1e6_s": round(first, 3),
        "single_us": round(1e6 * best["single"], 1),
        "small_batch_us": {n: round(1e6 * best[f"small_{n}"], 1) for n in SMALL_SIZES},
        "bulk_per_s": round(len(bulk[0]) / best["bulk"]),
        "physical_units_100_rigidities_ms": round(1e3 * best["physical_100"], 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="N of best-of-N (default 5)")
    parser.add_argument("--stand-in", action="store_true", help="time the random-weight stand-in")
    parser.add_argument("--model", type=Path, default=None, help="time this saved model file")
    args = parser.parse_args()
    rec = measure(args.repeats, args.stand_in, args.model)
    print(f"model: {rec['model']} ({rec['architecture']})")
    print(f"single query            {rec['single_us']:10.1f} us")
    for n, us in rec["small_batch_us"].items():
        print(f"batch of {n:<5d}          {us:10.1f} us per call")
    print(f"bulk (1e6 points)       {rec['bulk_per_s']:10.3g} points/s")
    print(f"100 rigidities, m^2/s   {rec['physical_units_100_rigidities_ms']:10.3f} ms per call")
    print(json.dumps(rec))


if __name__ == "__main__":
    main()
