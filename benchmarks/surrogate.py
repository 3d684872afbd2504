"""Benchmark of the surrogate: bulk and single-point prediction, training time.

Run with ``python benchmarks/surrogate.py``. Prints a table and ends with one JSON line.
Every figure is the best of several short runs (these machines throttle long ones):

* bulk prediction: ``Surrogate.predict(T=..., b=..., lambda_perp=...)`` on 1e6 float64
  points inside the training domain, end to end (float64 in, float64 out, domain check);
  target >= 1e8 predictions/s (ten times the paper's 1e-7 s each);
* the compiled forward pass alone on float32 device arrays, for reference;
* single point: ``predict(T=1.0, b=0.2, lambda_perp=5.0)``, target < 20 microseconds;
* training: the paper's network (3-10-5-1, Adam, full batch) for 5000 epochs on 4500
  samples, in a fresh process so that compilation is included; target < 5 s (the paper:
  about 5 s). JAX's import is not counted. The training data are the tests' smooth function
  D = sqrt(T) b^2 lambda_perp^0.3 on T in (0.5, 10), b in (0.3, 1), lambda_perp in
  (0.2, 20) (about two decades of D); the RMS relative test error of each fit (keys 0, 1,
  2: the paper's N(0, 1) initialisation makes it depend on the draw) is reported.
"""

from __future__ import annotations

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
DOMAIN = {"T": (0.0, 10.0), "b": (0.0, 1.0), "lambda_perp": (0.2, 20.0)}


def synthetic(n: int, seed: int = 0, *, low=LOW, high=HIGH) -> tuple[np.ndarray, np.ndarray]:
    """Inputs uniform in a box (default the paper's cube) and a smooth target (seeded)."""
    rng = np.random.default_rng(seed)
    X = rng.uniform(low, high, size=(n, 3))
    return X, np.sqrt(X[:, 0]) * X[:, 1] ** 2 * X[:, 2] ** 0.3


def best_of(fn, repeats: int) -> float:
    fn()  # warm-up (compilation)
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


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


def main() -> None:
    import jax
    import jax.numpy as jnp

    from crtransport.surrogate import Surrogate
    from crtransport.surrogate._mlp import predict_block_kernel

    X, y = synthetic(4500)
    sur = Surrogate().fit(X, y, epochs=200, key=0, domain=DOMAIN)

    n = 1_000_000
    P, _ = synthetic(n, seed=1)
    T, b, lam = (np.ascontiguousarray(P[:, k]) for k in range(3))
    t_bulk = best_of(lambda: sur.predict(T=T, b=b, lambda_perp=lam), repeats=15)

    # the compiled forward pass alone, float32 device arrays in one call
    params, offset, scale, out_scale, low, high = sur._device_params()
    cols = tuple(jnp.asarray(c, dtype=jnp.float32) for c in (T, b, lam))
    static = {
        "activation": "tanh",
        "output_activation": "square",
        "log_mask": (False, False, False),
        "use_columns": True,
        "return_std": False,
        "n_split": 2,
    }

    def kernel() -> None:
        out = predict_block_kernel(params, offset, scale, out_scale, low, high, cols, **static)
        out[0].block_until_ready()

    t_kernel = best_of(kernel, repeats=15)

    def single() -> None:
        for _ in range(1000):
            sur.predict(T=1.0, b=0.2, lambda_perp=5.0)

    t_single = best_of(single, repeats=5) / 1000

    def single_array() -> None:
        one = np.array([1.0])
        for _ in range(1000):
            sur.predict(T=one, b=0.2, lambda_perp=5.0)

    t_single_array = best_of(single_array, repeats=5) / 1000

    train = train_times(repeats=3)

    rows = [
        ("bulk predict, 1e6 float64 points, end to end", f"{n / t_bulk:.3g} /s", ">= 1e8 /s"),
        ("  compiled forward pass alone (float32)", f"{n / t_kernel:.3g} /s", ""),
        ("single point, scalars", f"{1e6 * t_single:.2f} us", "< 20 us"),
        ("single point, 1-element arrays", f"{1e6 * t_single_array:.2f} us", ""),
        ("train 3-10-5-1, 5000 epochs x 4500, cold", f"{train['cold']:.2f} s", "< 5 s"),
        ("  same, compilation cached", f"{train['warm']:.2f} s", ""),
        (
            "  its RMS relative test error, keys 0-2",
            " / ".join(f"{100 * r:.1f}" for r in train["rms"]) + " %",
            "",
        ),
    ]
    print(f"machine: {machine()}; jax {jax.__version__}, backend {jax.default_backend()}")
    width = max(len(r[0]) for r in rows)
    print(f"{'measure':<{width}}  {'value':>14}  target")
    for name, value, target in rows:
        print(f"{name:<{width}}  {value:>14}  {target}")
    record = {
        "benchmark": "surrogate",
        "machine": machine(),
        "jax": jax.__version__,
        "predict_bulk_per_s": round(n / t_bulk),
        "predict_kernel_per_s": round(n / t_kernel),
        "predict_single_us": round(1e6 * t_single, 2),
        "predict_single_array_us": round(1e6 * t_single_array, 2),
        "train_paper_5000_epochs_s": round(train["cold"], 3),
        "train_paper_5000_epochs_cached_s": round(train["warm"], 3),
        "train_paper_rms_relative_error_keys_0_2": [round(r, 4) for r in train["rms"]],
        "meets_targets": bool(n / t_bulk >= 1e8 and t_single < 20e-6 and train["cold"] < 5.0),
    }
    print(json.dumps(record))


if __name__ == "__main__":
    main()
