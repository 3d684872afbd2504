"""Jitted Boris kernels (code units, no validation; see :func:`crtransport.pusher.propagate`).

Equation of motion in scaled units: du/dt = (u / gamma) x B, B = e_z + b(r), u = gamma v.
"""

from __future__ import annotations

import numba

from crtransport._numerics import FASTMATH
from crtransport.turbulence._kernels import field_kernel


@numba.njit(fastmath=FASTMATH, cache=True)
def boris_rotate_kernel(ux, uy, uz, tx, ty, tz):  # pragma: no cover - compiled
    """Boris rotation of u about t = B dt / (2 gamma); code units, see ``propagate``.

    u' = u + u x t;  u+ = u + s (u' x t) with s = 2 / (1 + t^2). |u| is conserved exactly in
    exact arithmetic; the rotation angle is 2 arctan|t|.
    """
    wx = ux + (uy * tz - uz * ty)
    wy = uy + (uz * tx - ux * tz)
    wz = uz + (ux * ty - uy * tx)
    s = 2.0 / (1.0 + (tx * tx + ty * ty + tz * tz))
    return (
        ux + s * (wy * tz - wz * ty),
        uy + s * (wz * tx - wx * tz),
        uz + s * (wx * ty - wy * tx),
    )


@numba.njit(parallel=True, fastmath=FASTMATH, cache=True, nogil=True)
def boris_push_kernel(
    tables,
    has_bz,
    realization,
    origin,
    gc_origin,
    pos0,
    u0,
    gamma,
    dt,
    n_steps,
    save_steps,
    out_disp,
    out_gc,
    out_pos,
    out_u,
):  # pragma: no cover - compiled
    """Push an ensemble with drift-kick-drift Boris steps; code units, see ``propagate``.

    Particle p moves in realization ``realization[p]`` from ``(pos0[p], u0[p])``. After step
    n == save_steps[k] the displacement r - origin is written to ``out_disp[p, k]`` and that of
    the guiding centre R = r + u x e_z, R - gc_origin, to ``out_gc[p, k]``; final state to
    ``out_pos``, ``out_u``. A fresh run passes ``origin = pos0`` and ``gc_origin = R(pos0, u0)``;
    a continued run passes the first run's origins and final state, and then computes what one
    longer run would to round-off.
    """
    half = 0.5 * dt / gamma  # half drift x += (dt/2) u/gamma, and rotation t = B dt/(2 gamma)
    n_save = save_steps.shape[0]
    for p in numba.prange(pos0.shape[0]):
        table = tables[realization[p]]
        x0 = origin[p, 0]
        y0 = origin[p, 1]
        z0 = origin[p, 2]
        gx0 = gc_origin[p, 0]  # guiding centre about the mean field, R_perp = r_perp + u x e_z
        gy0 = gc_origin[p, 1]
        x = pos0[p, 0]
        y = pos0[p, 1]
        z = pos0[p, 2]
        ux = u0[p, 0]
        uy = u0[p, 1]
        uz = u0[p, 2]
        k = 0
        for n in range(1, n_steps + 1):
            x += half * ux
            y += half * uy
            z += half * uz
            bx, by, bz = field_kernel(table, has_bz, x, y, z)
            ux, uy, uz = boris_rotate_kernel(ux, uy, uz, half * bx, half * by, half * (1.0 + bz))
            x += half * ux
            y += half * uy
            z += half * uz
            if k < n_save and n == save_steps[k]:
                out_disp[p, k, 0] = x - x0
                out_disp[p, k, 1] = y - y0
                out_disp[p, k, 2] = z - z0
                # R_perp is exactly constant under these Boris steps when b = 0
                out_gc[p, k, 0] = (x + uy) - gx0
                out_gc[p, k, 1] = (y - ux) - gy0
                out_gc[p, k, 2] = z - z0
                k += 1
        out_pos[p, 0] = x
        out_pos[p, 1] = y
        out_pos[p, 2] = z
        out_u[p, 0] = ux
        out_u[p, 1] = uy
        out_u[p, 2] = uz
