"""Pusher benchmark: wave evaluations per second (particles x waves x steps / wall time).

Run with ``python benchmarks/pusher.py [--quick] [--no-jax]``; prints a table and ends with one
JSON line. Timings are best-of-N short runs (about 0.1-0.3 s each): the shared VMs this project
runs on throttle runs longer than about a second to 35-50 % of their burst speed, and the 1- and
all-thread Numba variants and the JAX backend are interleaved so all see the same machine state.
Compilation is excluded (one warm-up call) except in ``first_call_s`` and ``jax_first_call_s``.

The JAX backend (``propagate(..., backend="jax")``) runs on whatever device JAX finds first (a
GPU if JAX has CUDA support, else its CPU backend); its timing is the whole ``propagate`` call,
like Numba's (host-side gather of the wave tables, transfers and the push).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import time
import warnings

import numba
import numpy as np
from _machine import machine as describe_machine

from crtransport import AccuracyWarning, simulate
from crtransport.pusher import initial_conditions, propagate
from crtransport.turbulence import TwoDTurbulence


def machine() -> str:
    return f"{describe_machine()}, numba {numba.__version__}, {numba.threading_layer()}"


@numba.njit(parallel=True, cache=True)
def _naive_push(kx, ky, kz, alpha, ax, ay, pos, u, gamma, dt, n_steps):  # pragma: no cover
    """Reference: the straightforward loop with math.cos (no vectorisation without SVML)."""
    for p in numba.prange(pos.shape[0]):
        x, y, z = pos[p, 0], pos[p, 1], pos[p, 2]
        ux, uy, uz = u[p, 0], u[p, 1], u[p, 2]
        h = 0.5 * dt / gamma
        for _ in range(n_steps):
            x += h * ux
            y += h * uy
            z += h * uz
            bx = 0.0
            by = 0.0
            for j in range(kx.shape[1]):
                c = math.cos(kx[p, j] * x + ky[p, j] * y + kz[p, j] * z + alpha[p, j])
                bx += ax[p, j] * c
                by += ay[p, j] * c
            tx, ty, tz = h * bx, h * by, h
            wx = ux + uy * tz - uz * ty
            wy = uy + uz * tx - ux * tz
            wz = uz + ux * ty - uy * tx
            f = 2.0 / (1.0 + tx * tx + ty * ty + tz * tz)
            ux += f * (wy * tz - wz * ty)
            uy += f * (wz * tx - wx * tz)
            uz += f * (wx * ty - wy * tx)
            x += h * ux
            y += h * uy
            z += h * uz
        pos[p, 0], pos[p, 1], pos[p, 2] = x, y, z


def naive_rate(modes, pos, mom, repeats: int) -> float:
    """Wave evaluations per second of the math.cos reference on 1 thread (200 particles)."""
    n = 200
    k, phase, amp = modes.k[:n], modes.phase[:n], modes.amplitude[:n]
    args = [
        np.ascontiguousarray(a)
        for a in (k[..., 0], k[..., 1], k[..., 2], phase, amp[..., 0], amp[..., 1])
    ]
    numba.set_num_threads(1)
    _naive_push(*args, pos[:n].copy(), mom[:n].copy(), 2.0, 0.6, 2)
    best = math.inf
    for _ in range(repeats):
        t = time.perf_counter()
        _naive_push(*args, pos[:n].copy(), mom[:n].copy(), 2.0, 0.6, 20)
        best = min(best, time.perf_counter() - t)
    numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
    return n * modes.n_waves * 20 / best


def first_call_seconds() -> float:
    """Compile time of the pusher in a fresh process with an empty Numba cache."""
    code = (
        "import time, tempfile, os; os.environ['NUMBA_CACHE_DIR'] = tempfile.mkdtemp();"
        "from crtransport.pusher import initial_conditions, propagate;"
        "from crtransport.turbulence import TwoDTurbulence;"
        "m = TwoDTurbulence(b=0.2, lambda_perp=5.0).sample(n_waves=8, n_realizations=2, seed=0);"
        "p, u = initial_conditions(1.0, 0.5, 2, seed=0); t = time.perf_counter();"
        "propagate(m, p, u, dt=0.6, n_steps=2); print(time.perf_counter() - t)"
    )
    env = dict(os.environ)
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    return float(out.stdout.split()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats (smoke run)")
    parser.add_argument("--no-jax", action="store_true", help="skip the JAX backend")
    args = parser.parse_args()
    repeats = 3 if args.quick else 9
    n_particles, n_waves, n_steps = 10_000, 500, 50
    turb = TwoDTurbulence(b=0.2, lambda_perp=5.0)
    modes = turb.sample(n_waves=n_waves, n_realizations=n_particles, seed=1)
    # sampling as simulate() does it: blocks of 512 realizations, best of a few, scaled to 1e4
    block = 512
    block_best = math.inf
    for i in range(repeats):
        t = time.perf_counter()
        turb.sample(n_waves=n_waves, n_realizations=block, seed=10 + i)
        block_best = min(block_best, time.perf_counter() - t)
    sample_s = block_best * n_particles / block
    pos, mom = initial_conditions(1.0, 0.5, n_particles, seed=2)
    propagate(modes, pos, mom, dt=2 * math.pi / 10, n_steps=2)  # compile / load cache
    use_jax = not args.no_jax
    jax_device = None
    jax_first = None
    if use_jax:
        from crtransport.pusher._jax import jax_device_summary

        jax_device = jax_device_summary()
        t = time.perf_counter()  # compile (shapes as below; step counts are traced)
        propagate(modes, pos, mom, dt=2 * math.pi / 10, n_steps=2, backend="jax")
        jax_first = time.perf_counter() - t

    max_threads = numba.config.NUMBA_NUM_THREADS
    thread_counts = sorted({1, max_threads})
    variants = [*thread_counts, "jax"] if use_jax else list(thread_counts)
    best = {v: math.inf for v in variants}
    for _ in range(repeats):
        for variant in variants:  # interleaved
            backend = "jax" if variant == "jax" else "numba"
            if backend == "numba":
                numba.set_num_threads(variant)
            t = time.perf_counter()
            propagate(
                modes,
                pos,
                mom,
                dt=2 * math.pi / 10,
                n_steps=n_steps,
                save_every=10,
                backend=backend,
            )
            best[variant] = min(best[variant], time.perf_counter() - t)
    numba.set_num_threads(max_threads)
    work = n_particles * n_waves * n_steps
    rates = {v: work / s for v, s in best.items()}
    jax_rate = rates.get("jax")

    # the paper's run: 1e4 particles, 500 waves, 1000 steps, through simulate() (sampling,
    # push and analysis); best of a few
    paper_best = math.inf
    with warnings.catch_warnings():
        # the paper's step on purpose (it is below the library's default resolution)
        warnings.simplefilter("ignore", AccuracyWarning)
        for _ in range(2 if args.quick else 3):
            t = time.perf_counter()
            simulate(
                T=1.0,
                b=0.2,
                lambda_perp=5.0,
                dt=2 * math.pi / 10,
                t_max=1000 * 2 * math.pi / 10,
                seed=3,
            )
            paper_best = min(paper_best, time.perf_counter() - t)
    first = first_call_seconds()
    naive = naive_rate(modes, pos, mom, repeats)

    print(f"machine: {machine()}")
    print(f"{'threads':>8} {'best time [s]':>14} {'wave evals/s':>14}")
    for n in thread_counts:
        print(f"{n:>8} {best[n]:>14.4f} {rates[n]:>14.3e}")
    if use_jax:
        print(
            f"JAX backend on {jax_device}: {best['jax']:.4f} s, {jax_rate:.3e} wave evals/s "
            f"({jax_rate / rates[max_threads]:.3g}x Numba on {max_threads} threads); "
            f"first call (compile) {jax_first:.2f} s"
        )
    print(f"sampling 1e4 x 500 waves (blocks of 512, one core): {sample_s:.3f} s")
    print(f"paper run via simulate() (1e4 particles, 500 waves, 1000 steps): {paper_best:.3f} s")
    print(f"first call (compile, empty cache): {first:.2f} s")
    print(
        f"reference loop with math.cos, 1 thread: {naive:.3e} wave evals/s "
        f"(crtransport 1 thread: {rates[1] / naive:.0f}x)"
    )
    print(
        json.dumps(
            {
                "benchmark": "pusher",
                "wave_evals_per_s": rates[max_threads],
                "wave_evals_per_s_1thread": rates[1],
                "threads": max_threads,
                "n_particles": n_particles,
                "n_waves": n_waves,
                "n_steps": n_steps,
                "sampling_s": sample_s,
                "paper_run_s": paper_best,
                "first_call_s": first,
                "naive_math_cos_1thread": naive,
                "jax_device": jax_device,
                "jax_wave_evals_per_s": jax_rate,
                "jax_over_numba": jax_rate / rates[max_threads] if use_jax else None,
                "jax_first_call_s": jax_first,
                "machine": machine(),
            }
        )
    )


if __name__ == "__main__":
    main()
