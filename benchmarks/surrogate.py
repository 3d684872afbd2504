"""Benchmark of the surrogate as a caller sees it: latency, new batch sizes, bulk, training.

Run with ``python benchmarks/surrogate.py`` (``--no-train`` skips the training runs,
``--repeats N`` sets N). Prints a table and ends with one JSON line (with the machine's name).
Every figure is the best of N short runs, interleaved over the two shipped models
(``Surrogate.pretrained("paper")``, the paper's 3-10-5-1 network, and ``"improved"``, the
default 3-32-32-1 one), so that a slow spell of a shared machine hits both alike:

* first call: the first ``predict`` of a fresh process on 1e5 points (compilation included);
* new batch size: after that warm-up, the first call on sizes never seen before (1000,
  12345, 1e5 and 2e5 points, shifted by the repetition's number so that each call is a new
  size); target: each under 50 ms (no compilation per shape). The worst repetition is
  reported too: a compilation would show there;
* single point: ``predict(T=1.0, b=0.2, lambda_perp=5.0)`` from Python floats, target
  < 15 microseconds; small batches of 10, 100 and 1000 points (arrays), per call;
* bulk: ``predict(T=..., b=..., lambda_perp=...)`` on 1e6 float64 points inside the domain,
  end to end (float64 in, float64 out, domain check); targets >= 1e8 /s for the paper's
  network and >= 2e7 /s for the default one;
* training: the paper's network (3-10-5-1, Adam, full batch) for 5000 epochs on 4500
  samples, in a fresh process so that compilation is included; target < 5 s (the paper:
  about 5 s). JAX's import is not counted. The training data are the tests' smooth function
  D = sqrt(T) b^2 lambda_perp^0.3 on T in (0.5, 10), b in (0.3, 1), lambda_perp in
  (0.2, 20) (about two decades of D); the RMS relative test error of each fit (keys 0, 1,
  2: the paper's N(0, 1) initialisation makes it depend on the draw) is reported.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from typing import Any

import numpy as np
from _machine import machine

LOW = np.array([0.0, 0.0, 0.2])
HIGH = np.array([10.0, 1.0, 20.0])
# the sub-box of the tests' synthetic function (about two decades of D), for training
TRAIN_LOW = np.array([0.5, 0.3, 0.2])


def synthetic(n: int, seed: int = 0, *, low=LOW, high=HIGH) -> tuple[np.ndarray, np.ndarray]:
    """Inputs uniform in a box (default the paper's cube) and a smooth target (seeded)."""
    rng = np.random.default_rng(seed)
    X = rng.uniform(low, high, size=(n, 3))
    return X, np.sqrt(X[:, 0]) * X[:, 1] ** 2 * X[:, 2] ** 0.3


TRAIN_SNIPPET = """
import json, time, sys
import numpy as np
import jax, optax
sys.path.insert(0, {here!r})
from surrogate import TRAIN_LOW, synthetic
from crtransport.surrogate import Surrogate
X, y = synthetic(5000, low=TRAIN_LOW)
t0 = time.perf_counter()
sur = Surrogate().fit(X[:4500], y[:4500], epochs=5000, key={key})
cold = time.perf_counter() - t0
t0 = time.perf_counter()
Surrogate().fit(X[:4500], y[:4500], epochs=5000, key={key} + 100)
warm = time.perf_counter() - t0
rms = sur.evaluate(X[4500:], y[4500:]).rms_relative_error
print(json.dumps({{"cold": cold, "warm": warm, "rms": rms}}))
"""


def train_times(repeats: int) -> dict[str, Any]:
    here = os.path.dirname(os.path.abspath(__file__))
    runs = []
    for key in range(repeats):
        out = subprocess.run(
            [sys.executable, "-c", TRAIN_SNIPPET.format(here=here, key=key)],
            capture_output=True,
            text=True,
            check=True,
        )
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    return {
        "cold": min(r["cold"] for r in runs),
        "warm": min(r["warm"] for r in runs),
        "rms": [r["rms"] for r in runs],
    }


MODELS = ("paper", "improved")
#: Sizes of the "new batch size" calls (each shifted by the repetition number).
NEW_SIZES = (1000, 12_345, 100_000, 200_000)
SMALL_SIZES = (10, 100, 1000)
TARGET_BULK = {"paper": 1e8, "improved": 2e7}


def timed(sur: Any, columns: tuple[np.ndarray, ...], calls: int = 1) -> float:
    """Seconds per call of ``sur.predict(T=..., b=..., lambda_perp=...)`` on ``columns``."""
    T, b, lam = columns
    t0 = time.perf_counter()
    for _ in range(calls):
        sur.predict(T=T, b=b, lambda_perp=lam)
    return (time.perf_counter() - t0) / calls


def inputs(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``n`` points inside the pretrained models' domain (the paper's cube), as three columns."""
    rng = np.random.default_rng(seed)
    P = rng.uniform([0.01, 0.01, 0.25], [9.99, 0.99, 19.9], size=(n, 3))
    return tuple(np.ascontiguousarray(P[:, k]) for k in range(3))  # type: ignore[return-value]


def measure(repeats: int) -> dict[str, dict[str, Any]]:
    from crtransport.surrogate import Surrogate

    models = {name: Surrogate.pretrained(name) for name in MODELS}
    bulk = inputs(1_000_000, seed=1)
    warm = inputs(100_000, seed=2)
    big = inputs(max(NEW_SIZES) + repeats + 1, seed=3)
    small = {n: inputs(n, seed=4) for n in SMALL_SIZES}
    out: dict[str, dict[str, Any]] = {name: {} for name in MODELS}
    for name, sur in models.items():  # the first call of this process on each model
        out[name]["first_call_s"] = timed(sur, warm)
    best: dict[tuple[str, str], float] = {}
    worst: dict[tuple[str, str], float] = {}

    def record(name: str, what: str, seconds: float) -> None:
        best[name, what] = min(best.get((name, what), np.inf), seconds)
        worst[name, what] = max(worst.get((name, what), 0.0), seconds)

    for rep in range(1, repeats + 1):
        for name, sur in models.items():  # interleaved: every measure of both models per rep
            for n in NEW_SIZES:
                m = n + rep  # a size this process has not seen
                record(name, f"new_{n}", timed(sur, tuple(c[:m] for c in big)))
            record(name, "single", timed(sur, (1.0, 0.2, 5.0), calls=1000))  # Python floats
            for n, columns in small.items():
                record(name, f"small_{n}", timed(sur, columns, calls=max(10, 20_000 // n)))
            record(name, "bulk", timed(sur, bulk))
    for name in MODELS:
        rec = out[name]
        rec["architecture"] = "-".join(str(s) for s in models[name].config.layer_sizes)
        rec["new_size_ms"] = {n: round(1e3 * best[name, f"new_{n}"], 2) for n in NEW_SIZES}
        rec["new_size_worst_rep_ms"] = {
            n: round(1e3 * worst[name, f"new_{n}"], 2) for n in NEW_SIZES
        }
        rec["single_us"] = round(1e6 * best[name, "single"], 2)
        rec["small_batch_us"] = {n: round(1e6 * best[name, f"small_{n}"], 1) for n in SMALL_SIZES}
        rec["bulk_per_s"] = round(len(bulk[0]) / best[name, "bulk"])
        rec["first_call_s"] = round(rec["first_call_s"], 3)
        rec["meets_targets"] = bool(
            max(rec["new_size_ms"].values()) < 50.0
            and rec["single_us"] < 15.0
            and rec["bulk_per_s"] >= TARGET_BULK[name]
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="N of best-of-N (default 5)")
    parser.add_argument("--no-train", action="store_true", help="skip the training runs")
    args = parser.parse_args()
    import jax

    results = measure(args.repeats)
    train = None if args.no_train else train_times(repeats=3)

    rows = []
    for name in MODELS:
        r = results[name]
        label = f"{name} ({r['architecture']})"
        rows += [
            (f"{label}: first call, 1e5 points (compiles)", f"{r['first_call_s']:.2f} s", ""),
            *[
                (f"  first call on a new size, {n} points", f"{ms:.2f} ms", "< 50 ms")
                for n, ms in r["new_size_ms"].items()
            ],
            ("  single point, scalars", f"{r['single_us']:.2f} us", "< 15 us"),
            *[
                (f"  batch of {n} points, per call", f"{us:.1f} us", "")
                for n, us in r["small_batch_us"].items()
            ],
            (
                "  bulk predict, 1e6 float64 points, end to end",
                f"{r['bulk_per_s']:.3g} /s",
                f">= {TARGET_BULK[name]:.0e} /s",
            ),
        ]
    if train is not None:
        rows += [
            ("train 3-10-5-1, 5000 epochs x 4500, cold", f"{train['cold']:.2f} s", "< 5 s"),
            ("  same, compilation cached", f"{train['warm']:.2f} s", ""),
            (
                "  its RMS relative test error, keys 0-2",
                " / ".join(f"{100 * r:.1f}" for r in train["rms"]) + " %",
                "",
            ),
        ]
    print(f"machine: {machine()}; jax {jax.__version__}, backend {jax.default_backend()}")
    print(f"best of {args.repeats} interleaved runs")
    width = max(len(r[0]) for r in rows)
    print(f"{'measure':<{width}}  {'value':>14}  target")
    for name, value, target in rows:
        print(f"{name:<{width}}  {value:>14}  {target}")
    record: dict[str, Any] = {
        "benchmark": "surrogate",
        "machine": machine(),
        "jax": jax.__version__,
        "repeats": args.repeats,
        **{name: results[name] for name in MODELS},
    }
    if train is not None:
        record.update(
            {
                "train_paper_5000_epochs_s": round(train["cold"], 3),
                "train_paper_5000_epochs_cached_s": round(train["warm"], 3),
                "train_paper_rms_relative_error_keys_0_2": [round(r, 4) for r in train["rms"]],
            }
        )
    record["meets_targets"] = bool(
        all(results[name]["meets_targets"] for name in MODELS)
        and (train is None or train["cold"] < 5.0)
    )
    print(json.dumps(record))


if __name__ == "__main__":
    main()
