"""One-shot check of the JAX pusher on an accelerator: rate, the paper's run, the database time.

Run on a machine with a GPU and JAX installed with CUDA support (``pip install "jax[cuda12]"``)::

    python benchmarks/gpu_check.py              # full sizes (a few minutes on one GPU: not
                                                # measured yet, compile times unknown)
    python benchmarks/gpu_check.py --small      # small sizes, runs on CPU in about a minute
    python benchmarks/gpu_check.py --no-pallas  # skip the experimental Pallas kernel

On the project's H200 device machine (its image has JAX with CUDA 13, Numba, NumPy, SciPy and
xarray; crtransport needs no install there, netCDF4 is not needed), from the repository root::

    PYTHONUNBUFFERED=1 PYTHONPATH=$PWD python3 benchmarks/gpu_check.py 2>&1 | tee $OUT/gpu_check.log

It measures, on the first device JAX finds, in float64:

1. agreement with the Numba pusher on this machine's CPU (32 particles, 300 steps at the
   paper-like point): the largest displacement difference, which should be round-off (< 1e-6),
   and whether the device reproduces its own result bit for bit on a repeat and in batches;
2. wave evaluations per second of ``propagate(..., backend="jax")`` at 1e4 particles x 500
   waves (best of a few short runs, compilation excluded), for each cosine (``poly``, the Numba
   pusher's polynomial, and ``jnp``) and a few loop unrollings, plus the Numba pusher's rate on
   this machine's CPU cores;
3. the paper's run end to end (T = 1, b = 0.2, lambda_perp = 5, 1e4 particles, 500 waves, ``dt``
   and ``n_steps`` from ``crtransport.resolve_config``): sampling (NumPy, with the engine's
   per-block seeds), one push of all particles, and the asymptotic D_perp (the total excludes
   the one-time compilation, reported separately);
4. the projected time for the paper database, 1.3e14 wave evaluations, at the measured rates;
5. **experimental**: the same push as a Pallas kernel (Triton backend) in which each GPU program
   keeps its particles' waves in registers for the whole run, instead of reading them from device
   memory at every step as the XLA loop of ``crtransport.pusher._jax`` does (48 bytes per wave
   evaluation: at 1e11 evaluations per second that is the whole bandwidth of an H200). Its
   agreement with Numba and its rate for a few block sizes are reported; a variant that fails to
   compile is reported with its error. On CPU (``--small``) only the agreement is checked, in
   Pallas's interpret mode. If it is much faster, it is the candidate for the library's GPU path
   (it lowers to Triton IR without a GPU, but has not been compiled or run on one).

It prints a readable summary and ends with one JSON line.
"""

from __future__ import annotations

import argparse
import functools
import json
import math
import sys
import time
import warnings

import jax
import jax.numpy as jnp
import numba
import numpy as np
from _machine import machine
from jax import lax

import crtransport
from crtransport.pusher import _jax, initial_conditions, propagate
from crtransport.pusher._propagate import _guiding_centre
from crtransport.transport import asymptotic_diffusion
from crtransport.turbulence import TwoDTurbulence, WaveModes

PAPER_DATABASE_WAVE_EVALS = 1.3e14
T_START = time.perf_counter()


def log(message: str) -> None:
    """Progress on stderr (so a run stopped by a time limit still says how far it got)."""
    print(f"[{time.perf_counter() - T_START:7.1f} s] {message}", file=sys.stderr, flush=True)


BLOCK_SIZE = 512  # the engine's block of realizations (crtransport._simulate.BLOCK_SIZE)


def agreement(n_steps: int = 300) -> tuple[float, bool, bool]:
    """Largest |r_jax - r_numba| (rho0) over ``n_steps`` steps at the paper-like point, and
    whether a repeat and a run in batches of 8 particles reproduce the JAX result bit for bit."""
    modes = TwoDTurbulence(b=0.2, lambda_perp=5.0).sample(n_waves=32, n_realizations=32, seed=2)
    pos, mom = initial_conditions(1.0, 0.5, 32, seed=3)
    kw = dict(dt=0.3, n_steps=n_steps, save_every=10)
    a = propagate(modes, pos, mom, **kw, backend="numba")
    b = propagate(modes, pos, mom, **kw, backend="jax")
    assert b.displacement.dtype == np.float64
    repeat = propagate(modes, pos, mom, **kw, backend="jax")
    batched = [np.empty_like(b.displacement), np.empty_like(b.gc_displacement)]
    batched += [np.empty((32, 3)), np.empty((32, 3))]
    save = np.arange(10, n_steps + 1, 10, dtype=np.int64)
    _jax.boris_push_jax(
        modes.tables, modes.has_bz, np.arange(32), pos, b.gc_origin, pos, mom, b.gamma, 0.3,
        n_steps, save, *batched, max_batch=8,
    )  # fmt: skip
    return (
        float(np.abs(a.displacement - b.displacement).max()),
        bool(np.array_equal(repeat.displacement, b.displacement)),
        bool(np.array_equal(batched[0], b.displacement)),
    )


def push_rates(n_particles: int, n_waves: int, n_steps: int, repeats: int, variants) -> dict:
    """Wave evaluations per second for each (cosine, unroll) variant, and Numba's."""
    modes = TwoDTurbulence(b=0.2, lambda_perp=5.0).sample(
        n_waves=n_waves, n_realizations=n_particles, seed=1
    )
    pos, mom = initial_conditions(1.0, 0.5, n_particles, seed=2)
    gamma = math.sqrt(1.0 + float(np.sum(mom[0] ** 2)))
    real = np.arange(n_particles, dtype=np.int64)
    gc = _guiding_centre(pos, mom)

    def run_jax(cosine, unroll, steps):
        save = np.arange(10, steps + 1, 10, dtype=np.int64)
        out = [np.empty((n_particles, save.size, 3)) for _ in range(2)]
        out += [np.empty((n_particles, 3)) for _ in range(2)]
        _jax.boris_push_jax(
            modes.tables, modes.has_bz, real, pos, gc, pos, mom, gamma, 0.3, steps, save, *out,
            cosine=cosine, unroll=unroll,
        )  # fmt: skip

    def run_numba(steps):
        propagate(modes, pos, mom, dt=0.3, n_steps=steps, save_every=10)

    compile_s = {}
    for cosine, unroll in variants:
        t = time.perf_counter()
        run_jax(cosine, unroll, 10)
        compile_s[f"{cosine}/unroll{unroll}"] = time.perf_counter() - t
        log(f"compiled {cosine}/unroll{unroll} in {compile_s[f'{cosine}/unroll{unroll}']:.1f} s")
    run_numba(10)
    best = {key: math.inf for key in [*compile_s, "numba"]}
    for _ in range(repeats):
        for (cosine, unroll), key in zip(variants, compile_s, strict=True):
            t = time.perf_counter()
            run_jax(cosine, unroll, n_steps)
            best[key] = min(best[key], time.perf_counter() - t)
        t = time.perf_counter()
        run_numba(n_steps)
        best["numba"] = min(best["numba"], time.perf_counter() - t)
    work = n_particles * n_waves * n_steps
    log("rates: " + ", ".join(f"{k} {work / s:.3e}" for k, s in best.items()))
    return {
        "rates": {key: work / s for key, s in best.items()},
        "first_call_s": compile_s,
        "n_particles": n_particles,
        "n_waves": n_waves,
        "n_steps": n_steps,
    }


def paper_run(n_particles: int, n_waves: int, cosine: str, unroll: int | None) -> dict:
    """The paper's reference run, end to end, with all particles in one ``propagate`` call."""
    config = crtransport.resolve_config(
        T=1.0, b=0.2, lambda_perp=5.0, n_particles=n_particles, n_waves=n_waves, seed=0
    )
    ss = config.seed_sequence()
    turb = config.turbulence
    t0 = time.perf_counter()
    tables, positions, momenta = [], [], []
    for block, start in enumerate(range(0, n_particles, BLOCK_SIZE)):
        m = min(BLOCK_SIZE, n_particles - start)
        child = np.random.SeedSequence(entropy=ss.entropy, spawn_key=(*ss.spawn_key, 1, block))
        rng = np.random.default_rng(child)
        modes = turb.sample(config.n_waves, m, seed=rng)
        pos, mom = initial_conditions(config.T, config.mu, m, seed=rng)
        tables.append(modes.tables)
        positions.append(pos)
        momenta.append(mom)
    modes = WaveModes.from_tables(np.concatenate(tables), 1.0)
    pos, mom = np.concatenate(positions), np.concatenate(momenta)
    t1 = time.perf_counter()
    log(f"paper run: sampled {n_particles} x {n_waves} waves in {t1 - t0:.1f} s")
    n = n_particles
    save = np.arange(config.save_every, config.n_steps + 1, config.save_every, dtype=np.int64)
    disp, gcd = np.empty((n, save.size, 3)), np.empty((n, save.size, 3))
    fpos, fmom = np.empty((n, 3)), np.empty((n, 3))
    gamma = 1.0 + config.T
    real = np.arange(n, dtype=np.int64)
    gc = _guiding_centre(pos, mom)

    def push(n_steps, save_steps):
        _jax.boris_push_jax(
            modes.tables, modes.has_bz, real, pos, gc, pos, mom, gamma, config.dt, n_steps,
            save_steps, disp, gcd, fpos, fmom, cosine=cosine, unroll=unroll,
        )  # fmt: skip

    # compile first (same shapes: as many output times, one step each), then the timed run
    push(save.size, np.arange(1, save.size + 1, dtype=np.int64))
    t_compiled = time.perf_counter()
    push(config.n_steps, save)
    t2 = time.perf_counter()
    times = save * config.dt
    perp = asymptotic_diffusion(times, gcd, direction="perp")
    t3 = time.perf_counter()
    log(f"paper run: push {t2 - t_compiled:.2f} s after {t_compiled - t1:.1f} s of compilation")
    speed = np.linalg.norm(fmom, axis=1) / math.sqrt(gamma**2 - 1)
    work = n * n_waves * config.n_steps
    return {
        "n_particles": n,
        "n_waves": n_waves,
        "n_steps": config.n_steps,
        "dt": config.dt,
        "sampling_s": t1 - t0,
        "first_call_s": t_compiled - t1,
        "push_s": t2 - t_compiled,
        "analysis_s": t3 - t2,
        "total_s": (t1 - t0) + (t3 - t_compiled),
        "total_with_compile_s": t3 - t0,
        "push_wave_evals_per_s": work / (t2 - t_compiled),
        "D_perp": perp.value,
        "D_perp_err": perp.error,
        "converged": bool(perp.converged),
        "max_speed_error": float(np.abs(speed - 1).max()),
    }


#: The pusher's polynomial cosine with rint as floor(. + 0.5), which Triton lowers.
_cos2 = functools.partial(_jax._cos2, rint=lambda x: jnp.floor(x + 0.5))


def _pallas_kernel(par_ref, tab_ref, st_ref, out_ref, fin_ref, *, has_bz):
    """One program: ``block`` particles through all steps, their waves held in registers.

    par: half = dt / (2 gamma), save_every, n_save, tail (as float64); tab (block, 8, n_waves):
    rows k/2, alpha/2, A, 0; st (16, block): r, u, r(0), R_perp(0); out (cap, 8, block):
    displacement and guiding-centre displacement at the output times; fin (8, block): r, u.
    """
    half = par_ref[0]
    save_every = par_ref[1].astype(jnp.int32)
    n_save = par_ref[2].astype(jnp.int32)
    tail = par_ref[3].astype(jnp.int32)
    kx, ky, kz, al = tab_ref[:, 0, :], tab_ref[:, 1, :], tab_ref[:, 2, :], tab_ref[:, 3, :]
    ax, ay = tab_ref[:, 4, :], tab_ref[:, 5, :]
    az = tab_ref[:, 6, :] if has_bz else None
    x0, y0, z0, gx0, gy0 = (st_ref[i, :] for i in range(6, 11))

    def step(_, c):
        x, y, z, ux, uy, uz = c
        x = x + half * ux
        y = y + half * uy
        z = z + half * uz
        cs = _cos2(kx * x[:, None] + ky * y[:, None] + kz * z[:, None] + al)
        bx = jnp.sum(ax * cs, axis=1)
        by = jnp.sum(ay * cs, axis=1)
        bz = jnp.sum(az * cs, axis=1) if has_bz else 0.0
        ux, uy, uz = _jax.boris_rotate(ux, uy, uz, half * bx, half * by, half * (1.0 + bz))
        return x + half * ux, y + half * uy, z + half * uz, ux, uy, uz

    def save(k, c):
        c = lax.fori_loop(0, save_every, step, c)
        x, y, z, ux, uy, _ = c
        out_ref[k, 0, :] = x - x0
        out_ref[k, 1, :] = y - y0
        out_ref[k, 2, :] = z - z0
        out_ref[k, 3, :] = (x + uy) - gx0
        out_ref[k, 4, :] = (y - ux) - gy0
        return c

    c = tuple(st_ref[i, :] for i in range(6))
    c = lax.fori_loop(0, n_save, save, c)
    c = lax.fori_loop(0, tail, step, c)
    for i in range(6):
        fin_ref[i, :] = c[i]


@functools.cache
def _pallas_call(n_pad, n_waves_pad, cap, has_bz, block, num_warps, interpret):
    from jax.experimental import pallas as pl

    params = {}
    if not interpret:
        from jax.experimental.pallas import triton as plt

        params["compiler_params"] = plt.CompilerParams(num_warps=num_warps, num_stages=1)
    call = pl.pallas_call(
        functools.partial(_pallas_kernel, has_bz=has_bz),
        grid=(n_pad // block,),
        in_specs=[
            pl.BlockSpec((8,), lambda i: (0,)),
            pl.BlockSpec((block, 8, n_waves_pad), lambda i: (i, 0, 0)),
            pl.BlockSpec((16, block), lambda i: (0, i)),
        ],
        out_specs=[
            pl.BlockSpec((cap, 8, block), lambda i: (0, 0, i)),
            pl.BlockSpec((8, block), lambda i: (0, i)),
        ],
        out_shape=[
            jax.ShapeDtypeStruct((cap, 8, n_pad), jnp.float64),
            jax.ShapeDtypeStruct((8, n_pad), jnp.float64),
        ],
        interpret=interpret,
        **params,
    )
    return jax.jit(call)


def pallas_push(modes, pos, mom, dt, n_steps, save_every, *, block, num_warps, interpret):
    """Displacements (n, n_save, 3) and final momenta (n, 3); fresh run, uniform output times."""
    tables = modes.tables
    n, _, w = tables.shape
    w_pad = 1 << (w - 1).bit_length()  # Triton blocks are powers of two: pad with A = 0
    n_pad = -(-n // block) * block
    n_save = n_steps // save_every
    cap = 1 << max(n_save - 1, 0).bit_length()
    gamma = math.sqrt(1.0 + float(np.sum(mom[0] ** 2)))
    tab = np.zeros((n_pad, 8, w_pad))
    tab[:n, :7, :w] = tables
    st = np.zeros((16, n_pad))
    st[0:3, :n] = pos.T
    st[3:6, :n] = mom.T
    st[6:9, :n] = pos.T
    st[9:11, :n] = _guiding_centre(pos, mom)[:, :2].T
    par = np.zeros(8)
    par[:4] = 0.5 * dt / gamma, save_every, n_save, n_steps - n_save * save_every
    call = _pallas_call(n_pad, w_pad, cap, modes.has_bz, block, num_warps, interpret)
    with _jax.x64():
        out, fin = call(par, tab, st)
        out, fin = np.asarray(out), np.asarray(fin)
    return out[:n_save, 0:3, :n].transpose(2, 0, 1), fin[3:6, :n].T


def pallas_check(on_cpu: bool, n_particles: int, n_waves: int, n_steps: int, repeats: int):
    """Agreement with Numba and rates of the experimental Pallas kernel (errors recorded)."""
    result: dict = {"agreement": None, "rates": {}, "errors": {}}
    modes = TwoDTurbulence(b=0.2, lambda_perp=5.0).sample(n_waves=32, n_realizations=8, seed=2)
    pos, mom = initial_conditions(1.0, 0.5, 8, seed=3)
    n_check = 100 if on_cpu else 300  # interpret mode is slow
    ref = propagate(modes, pos, mom, dt=0.3, n_steps=n_check, save_every=10)
    try:
        disp, fin = pallas_push(
            modes, pos, mom, 0.3, n_check, 10, block=1, num_warps=4, interpret=on_cpu
        )
        result["agreement"] = {
            "n_steps": n_check,
            "max_diff": float(np.abs(disp - ref.displacement).max()),
            "max_momentum_diff": float(np.abs(fin - ref.final_momenta).max()),
        }
    except Exception as exc:  # experimental: report, do not stop the check
        result["errors"]["agreement"] = f"{type(exc).__name__}: {exc}"[:2000]
    if on_cpu:
        return result
    modes = TwoDTurbulence(b=0.2, lambda_perp=5.0).sample(
        n_waves=n_waves, n_realizations=n_particles, seed=1
    )
    pos, mom = initial_conditions(1.0, 0.5, n_particles, seed=2)
    for block, num_warps in ((1, 4), (1, 2), (1, 8), (2, 4), (4, 8)):
        key = f"block{block}/warps{num_warps}"
        kw = dict(block=block, num_warps=num_warps, interpret=False)
        try:
            pallas_push(modes, pos, mom, 0.3, 10, 10, **kw)  # compile
            best = math.inf
            for _ in range(repeats):
                t = time.perf_counter()
                pallas_push(modes, pos, mom, 0.3, n_steps, 10, **kw)
                best = min(best, time.perf_counter() - t)
            result["rates"][key] = n_particles * n_waves * n_steps / best
            log(f"pallas {key}: {result['rates'][key]:.3e} wave evals/s")
        except Exception as exc:  # experimental: report, do not stop the check
            result["errors"][key] = f"{type(exc).__name__}: {exc}"[:2000]
            log(f"pallas {key}: failed ({type(exc).__name__})")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="CPU-sized run (smoke test)")
    parser.add_argument("--no-pallas", action="store_true", help="skip the Pallas kernel")
    args = parser.parse_args()
    from crtransport.pusher._jax import jax_device_summary

    device = jax_device_summary()
    on_cpu = device.startswith("cpu")
    if args.small:
        bench = dict(n_particles=2000, n_waves=500, n_steps=20, repeats=3)
        paper = dict(n_particles=1024, n_waves=64)
        variants = [("poly", 1), ("jnp", 1)]
    else:
        bench = dict(n_particles=10_000, n_waves=500, n_steps=200, repeats=5)
        paper = dict(n_particles=10_000, n_waves=500)
        variants = [("poly", 1), ("poly", 4), ("poly", 16), ("jnp", 1), ("jnp", 4)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        log(f"device {device}")
        max_diff, same_repeat, same_batched = agreement()
        log(f"agreement with Numba: {max_diff:.2e}; bit-identical {same_repeat}, {same_batched}")
        rates = push_rates(**bench, variants=variants)
        jax_rates = {k: v for k, v in rates["rates"].items() if k != "numba"}
        best_variant = max(jax_rates, key=jax_rates.get)
        cosine, unroll = best_variant.split("/unroll")
        run = paper_run(**paper, cosine=cosine, unroll=int(unroll))
        pallas = {"agreement": None, "rates": {}, "errors": {"skipped": "--no-pallas"}}
        if not args.no_pallas:
            sizes = {k: bench[k] for k in ("n_particles", "n_waves", "n_steps")}
            pallas = pallas_check(on_cpu, **sizes, repeats=3)
    best_rate = jax_rates[best_variant]
    pallas_best = max(pallas["rates"].values(), default=None)
    report = {
        "benchmark": "gpu_check",
        "device": device,
        "float64": True,
        "small": bool(args.small),
        "max_diff_vs_numba_300_steps": max_diff,
        "bit_identical_on_repeat": same_repeat,
        "bit_identical_in_batches_of_8": same_batched,
        "wave_evals_per_s": best_rate,
        "best_variant": best_variant,
        "variants_wave_evals_per_s": jax_rates,
        "first_call_s": rates["first_call_s"],
        "numba_wave_evals_per_s": rates["rates"]["numba"],
        "numba_threads": numba.config.NUMBA_NUM_THREADS,
        "jax_over_numba": best_rate / rates["rates"]["numba"],
        "rate_sizes": {k: rates[k] for k in ("n_particles", "n_waves", "n_steps")},
        "paper_run": run,
        "paper_database_wave_evals": PAPER_DATABASE_WAVE_EVALS,
        "paper_database_projected_s": PAPER_DATABASE_WAVE_EVALS / best_rate,
        "paper_database_projected_s_from_paper_run": (
            PAPER_DATABASE_WAVE_EVALS / run["push_wave_evals_per_s"]
        ),
        "goal_1e11_met": best_rate > 1e11,
        "experimental_pallas": pallas,
        "experimental_pallas_best_wave_evals_per_s": pallas_best,  # None on CPU
        "experimental_pallas_database_projected_s": (
            PAPER_DATABASE_WAVE_EVALS / pallas_best if pallas["rates"] else None
        ),
        "machine": machine(),
    }
    print(f"device: {device}{' (CPU: expect a slow run)' if on_cpu else ''}; {machine()}")
    print(f"agreement with Numba over 300 steps: max |dr| = {max_diff:.2e} rho0")
    for key, rate in jax_rates.items():
        print(f"  jax {key:<16} {rate:10.3e} wave evals/s")
    print(f"  numba ({report['numba_threads']} threads) {rates['rates']['numba']:10.3e}")
    print(
        f"paper run ({run['n_particles']} x {run['n_waves']} x {run['n_steps']} steps): "
        f"total {run['total_s']:.2f} s (sampling {run['sampling_s']:.2f}, push "
        f"{run['push_s']:.2f}, analysis {run['analysis_s']:.2f}); D_perp = {run['D_perp']:.4g}"
        f" +- {run['D_perp_err']:.2g}"
    )
    print(
        f"paper database (1.3e14 wave evals) projected: "
        f"{report['paper_database_projected_s'] / 60:.1f} min at the best rate"
    )
    print(
        f"experimental Pallas kernel: agreement {pallas['agreement']}, rates "
        f"{ {k: f'{v:.3e}' for k, v in pallas['rates'].items()} }, errors "
        f"{list(pallas['errors'])}"
    )
    print(json.dumps(report))


if __name__ == "__main__":
    main()
