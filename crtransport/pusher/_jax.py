"""The Boris pusher in JAX (code units, no validation; see :func:`crtransport.pusher.propagate`).

``propagate(..., backend="jax")`` calls :func:`boris_push_jax`, which has the signature and the
output contract of the Numba ``boris_push_kernel`` (same arguments, writes into the same ``out``
arrays), so the two backends are interchangeable behind one validated front end. Importing this
module imports JAX; ``import crtransport`` never does.

Design, for a GPU (it also runs, slowly, on JAX's CPU backend):

* **float64 throughout**, inside a scoped ``jax.enable_x64(True)`` context: the library never
  flips the global ``jax_enable_x64`` flag (the surrogate computes in float32).
* **Particles vectorised, waves vectorised.** One step evaluates the phases of all
  ``(particle, wave)`` pairs, their cosines and the two or three wave sums; XLA fuses them
  without storing the phases or cosines in memory.
* **The Numba pusher's cosine.** The default ``cosine="poly"`` is the branch-free polynomial of
  ``crtransport._numerics.cos2_kernel`` with the same constants (absolute error < 2.5e-13 for
  ``|x| <= 1e4``): the two backends then differ only by the order of floating-point operations,
  and on JAX's CPU backend it is about four times faster than ``jnp.cos`` in float64, which
  ``cosine="jnp"`` selects.
* **Only the output times leave the loop.** An outer loop over output times runs the steps up
  to the next output time and writes one row of displacements into a preallocated buffer; no
  trajectory is stored.
* **No recompiles for new step counts.** ``dt``, ``gamma``, the step counts and the gaps between
  output times are traced values (loops with dynamic trip counts). The compiled function depends
  only on the padded particle count, the number of waves, the padded number of output times,
  whether particles share one realization, ``has_bz``, the cosine and the unrolling. Particle
  counts are padded up to a coarse grid (at most 1/8 extra; output-time counts to multiples of
  at least 32), so the blocks of a run and the samples of a database reuse a few compiled
  functions.
* **Batches bounded by device memory.** Particles are pushed in batches whose tables, state and
  output buffer take at most :data:`DEVICE_MEMORY_FRACTION` of the device memory JAX reports
  (:data:`CPU_BATCH_BYTES` on CPU, which reports none). All batches have the compiled size; the
  last one overlaps the one before it rather than being padded, so contiguous realizations are
  sent to the device without a host-side copy. Each particle's arithmetic does not depend on the
  batch it is in (bit for bit on CPU, tested).
"""

from __future__ import annotations

import functools
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax
from numpy.typing import NDArray

from crtransport._numerics import _INV_PI, _PI_HI, _PI_LO, _S0, _S1, _S2, _S3, _S4, _S5
from crtransport.pusher._kernels import boris_rotate_kernel

#: The Boris rotation of the Numba pusher as a Python function (its ``py_func``; the function
#: itself where Numba's JIT is disabled), traceable by JAX.
boris_rotate = getattr(boris_rotate_kernel, "py_func", boris_rotate_kernel)

__all__: list[str] = []

#: Fraction of the device memory (``bytes_limit`` from ``Device.memory_stats()``) that one batch
#: may take: its wave tables (counted twice: a host-side gather when realizations are not
#: contiguous, and the device copy), state and output buffer.
DEVICE_MEMORY_FRACTION = 0.4
#: Bytes per batch on devices that report no memory limit (JAX's CPU backend).
CPU_BATCH_BYTES = 256 * 2**20
#: Steps per iteration of the inner loop on accelerators (fewer loop-condition round trips; the
#: arithmetic is the same for any value). On CPU: 1.
GPU_UNROLL = 4


def x64() -> Any:
    """Context manager enabling float64 in JAX for the enclosed code only."""
    enable = getattr(jax, "enable_x64", None)
    if enable is None:  # pragma: no cover - JAX < 0.5
        from jax.experimental import enable_x64  # type: ignore[attr-defined]

        return enable_x64(True)
    return enable(True)


def _padded(n: int, minimum: int = 8) -> int:
    """``n`` rounded up to a multiple of ``max(minimum, 2**(floor(log2 n) - 3))``."""
    q = max(minimum, 2 ** max(0, int(n).bit_length() - 4))
    return -(-n // q) * q


def _cos2(h, rint=jnp.rint):  # pragma: no cover - traced
    """cos(2 h): the polynomial of ``crtransport._numerics.cos2_kernel`` (same constants).

    ``rint``: round to nearest (Triton kernels pass ``floor(x + 0.5)``, which they support).
    """
    n = rint(h * _INV_PI)
    h = h - n * _PI_HI
    h = h - n * _PI_LO
    u = h * h
    p = _S0 + u * (_S1 + u * (_S2 + u * (_S3 + u * (_S4 + u * _S5))))
    s = h + (h * u) * p
    return 1.0 - 2.0 * (s * s)


COSINES = {"poly": _cos2, "jnp": lambda h: jnp.cos(h + h)}


def _add_tuples(a, b):  # pragma: no cover - traced
    return tuple(x + y for x, y in zip(a, b, strict=True))


def _step(carry, waves, half, has_bz, cosine):  # pragma: no cover - traced
    """One drift-kick-drift Boris step for all particles; code units.

    ``waves`` rows: k/2 (3), alpha/2, A (3), each (n_particles or 1, n_waves); b at r is
    sum_j A_j cos(2 (k_j/2 . r + alpha_j/2)), as ``crtransport.turbulence._kernels``.
    """
    x, y, z, ux, uy, uz = carry
    x = x + half * ux
    y = y + half * uy
    z = z + half * uz
    h = waves[0] * x[:, None] + waves[1] * y[:, None] + waves[2] * z[:, None] + waves[3]
    c = COSINES[cosine](h)
    # one variadic reduction for the two or three sums: the cosines are computed once (with
    # separate jnp.sum calls XLA's CPU backend evaluated them once per sum: 2x slower)
    terms = tuple(waves[4 + i] * c for i in range(3 if has_bz else 2))
    zero = jnp.zeros((), c.dtype)
    sums = lax.reduce(terms, (zero,) * len(terms), _add_tuples, (1,))
    bx, by = sums[0], sums[1]
    bz = sums[2] if has_bz else 0.0
    # Boris rotation about t = B dt / (2 gamma), B = e_z + b: the Numba pusher's own
    # arithmetic (plain + - * /, so JAX traces it as it is)
    ux, uy, uz = boris_rotate(ux, uy, uz, half * bx, half * by, half * (1.0 + bz))
    x = x + half * ux
    y = y + half * uy
    z = z + half * uz
    return x, y, z, ux, uy, uz


@functools.partial(jax.jit, static_argnames=("has_bz", "unroll", "cosine"))
def push_batch_kernel(
    tables, state, origins, half, gaps, n_save, tail, *, has_bz, unroll, cosine
):  # pragma: no cover - traced
    """Push one padded batch; code units, no validation, see ``propagate``.

    tables (n_particles or 1, 7, n_waves): each particle's wave table, or one shared by all;
    state (6, n_particles): x, y, z, ux, uy, uz; origins (5, n_particles): r(0) and R_perp(0);
    half = dt / (2 gamma); gaps (n_save_cap,) int: steps before each output time (only the first
    ``n_save`` are used); tail: steps after the last output time. Returns the output buffer
    (n_save_cap, 6, n_particles) of particle and guiding-centre displacements, and the final state.
    """
    waves = [tables[:, i, :] for i in range(7)]  # each (n or 1, n_waves)
    n = state.shape[1]

    def steps(carry, count):
        if unroll > 1:

            def body_unrolled(_, c):
                for _ in range(unroll):
                    c = _step(c, waves, half, has_bz, cosine)
                return c

            carry = lax.fori_loop(0, count // unroll, body_unrolled, carry)
            count = count % unroll
        return lax.fori_loop(0, count, lambda _, c: _step(c, waves, half, has_bz, cosine), carry)

    def save(k, loop):
        carry, out = loop
        carry = steps(carry, gaps[k])
        x, y, z, ux, uy, _ = carry
        row = jnp.stack(
            [
                x - origins[0],
                y - origins[1],
                z - origins[2],
                (x + uy) - origins[3],  # guiding centre R_perp = r_perp + u x e_z
                (y - ux) - origins[4],
                z - origins[2],
            ]
        )
        return carry, lax.dynamic_update_index_in_dim(out, row, k, axis=0)

    carry = tuple(state[i] for i in range(6))
    out = jnp.zeros((gaps.shape[0], 6, n), dtype=state.dtype)
    carry, out = lax.fori_loop(0, n_save, save, (carry, out))
    carry = steps(carry, tail)
    return out, jnp.stack(carry)


def _batch_size(n_waves: int, n_save_cap: int, shared: bool, device: Any) -> int:
    """Particles per batch so that one batch fits the memory budget (at least 8)."""
    per_particle = 8 * (6 * n_save_cap + 32)  # output buffer, state, origins
    if not shared:
        per_particle += 2 * 8 * 7 * n_waves  # tables (host gather and device copy)
    stats = None
    try:
        stats = device.memory_stats()
    except Exception:  # pragma: no cover - backends without memory statistics
        stats = None
    limit = (stats or {}).get("bytes_limit")
    budget = DEVICE_MEMORY_FRACTION * limit if limit else CPU_BATCH_BYTES
    return max(8, int(budget // per_particle))


def boris_push_jax(
    tables: NDArray[np.float64],
    has_bz: bool,
    realization: NDArray[np.int64],
    origin: NDArray[np.float64],
    gc_origin: NDArray[np.float64],
    pos0: NDArray[np.float64],
    u0: NDArray[np.float64],
    gamma: float,
    dt: float,
    n_steps: int,
    save_steps: NDArray[np.int64],
    out_disp: NDArray[np.float64],
    out_gc: NDArray[np.float64],
    out_pos: NDArray[np.float64],
    out_u: NDArray[np.float64],
    *,
    max_batch: int | None = None,
    unroll: int | None = None,
    cosine: str = "poly",
    device: Any = None,
) -> None:
    """The Numba ``boris_push_kernel`` contract on JAX; code units, see ``propagate``.

    ``max_batch`` caps the particles per device call (default: from the device memory),
    ``unroll`` sets the steps per inner-loop iteration (default :data:`GPU_UNROLL` on
    accelerators, 1 on CPU), ``device`` the JAX device (default ``jax.devices()[0]``).
    """
    n = pos0.shape[0]
    n_waves = tables.shape[2]
    n_save = save_steps.shape[0]
    n_save_cap = _padded(max(n_save, 1), minimum=32)
    gaps = np.zeros(n_save_cap, dtype=np.int64)
    gaps[:n_save] = np.diff(save_steps, prepend=0)
    tail = n_steps - (int(save_steps[-1]) if n_save else 0)
    shared = bool(np.all(realization == realization[0]))
    with x64():
        device = jax.devices()[0] if device is None else device
        if unroll is None:
            unroll = 1 if device.platform == "cpu" else GPU_UNROLL
        batch = _batch_size(n_waves, n_save_cap, shared, device)
        if max_batch is not None:
            batch = min(batch, max_batch)
        n_batches = -(-n // batch)
        n_pad = _padded(-(-n // n_batches))  # balanced batches, on the grid of compiled sizes
        put = functools.partial(jax.device_put, device=device)
        half = put(np.float64(0.5 * dt / gamma))
        gaps_d = put(gaps)
        n_save_d = put(np.int64(n_save))
        tail_d = put(np.int64(tail))
        shared_tables = put(tables[realization[:1]]) if shared else None
        for i in range(n_batches):
            if i * n_pad >= n:  # n_pad rounds up: fewer batches may do
                break
            # batches of exactly n_pad particles; the last one overlaps the one before it
            # (its particles are recomputed bit for bit, not written twice) and only a run
            # smaller than n_pad is padded, with copies of its first particle
            start = min(i * n_pad, max(n - n_pad, 0))
            stop = min((i + 1) * n_pad, n)
            idx = np.minimum(np.arange(start, start + n_pad), n - 1)
            idx[n - start :] = start
            state = np.concatenate([pos0[idx].T, u0[idx].T])
            origins = np.concatenate([origin[idx].T, gc_origin[idx, :2].T])
            if shared:
                batch_tables = shared_tables
            else:
                real = realization[idx]
                first = int(real[0])
                if np.array_equal(real, np.arange(first, first + n_pad)):
                    batch_tables = put(tables[first : first + n_pad])  # a view: no host copy
                else:
                    batch_tables = put(tables[real])
            out, final = push_batch_kernel(
                batch_tables,
                put(state),
                put(origins),
                half,
                gaps_d,
                n_save_d,
                tail_d,
                has_bz=bool(has_bz),
                unroll=int(unroll),
                cosine=cosine,
            )
            new = slice(i * n_pad - start, stop - start)  # the particles not written yet
            out = np.asarray(out)[:n_save, :, new]
            final = np.asarray(final)[:, new]
            out_disp[i * n_pad : stop] = out[:, 0:3].transpose(2, 0, 1)
            out_gc[i * n_pad : stop] = out[:, 3:6].transpose(2, 0, 1)
            out_pos[i * n_pad : stop] = final[0:3].T
            out_u[i * n_pad : stop] = final[3:6].T


def jax_device_summary() -> str:
    """The device JAX uses by default, e.g. ``'gpu: NVIDIA H200 (jax 0.6.2)'``."""
    dev = jax.devices()[0]
    return f"{dev.platform}: {getattr(dev, 'device_kind', dev)} (jax {jax.__version__})"
