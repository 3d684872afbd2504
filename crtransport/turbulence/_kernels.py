"""Jitted field kernels (code units, no validation; see :func:`crtransport.turbulence.field`).

Wave tables are C-contiguous float64 arrays ``table[field, wave]`` with rows

    0..2  half wave vector  k / 2            (1/rho0)
    3     half phase        alpha / 2        (rad)
    4..6  field amplitude   A (x, y, z)      (B0)

so that b(r) = sum_j A_j cos(k_j . r + alpha_j) = sum_j A_j cos2(k_j/2 . r + alpha_j/2).
Storing half values lets the cosine skip one multiplication (see ``_numerics.cos2_kernel``).
"""

from __future__ import annotations

import math

import numba
import numpy as np

from crtransport._numerics import FASTMATH, cos2_kernel

N_TABLE_ROWS = 7


@numba.njit(fastmath=FASTMATH, cache=True)
def field_xy_kernel(table, x, y, z):  # pragma: no cover - compiled
    """(b_x, b_y) at one point for waves with A_z = 0; code units, no validation."""
    # index the 2-D table directly: slicing rows into views would cost reference-count calls
    # on every evaluation
    bx = 0.0
    by = 0.0
    for j in range(table.shape[1]):
        c = cos2_kernel(table[0, j] * x + table[1, j] * y + table[2, j] * z + table[3, j])
        bx += table[4, j] * c
        by += table[5, j] * c
    return bx, by


@numba.njit(fastmath=FASTMATH, cache=True)
def field_xyz_kernel(table, x, y, z):  # pragma: no cover - compiled
    """(b_x, b_y, b_z) at one point; code units, no validation."""
    bx = 0.0
    by = 0.0
    bz = 0.0
    for j in range(table.shape[1]):
        c = cos2_kernel(table[0, j] * x + table[1, j] * y + table[2, j] * z + table[3, j])
        bx += table[4, j] * c
        by += table[5, j] * c
        bz += table[6, j] * c
    return bx, by, bz


@numba.njit(fastmath=FASTMATH, cache=True)
def field_kernel(table, has_bz, x, y, z):  # pragma: no cover - compiled
    """b at one point, dispatching on whether any wave has A_z != 0; code units."""
    if has_bz:
        return field_xyz_kernel(table, x, y, z)
    bx, by = field_xy_kernel(table, x, y, z)
    return bx, by, 0.0


@numba.njit(parallel=True, fastmath=FASTMATH, cache=True)
def field_many_kernel(tables, has_bz, realization, positions, out):  # pragma: no cover
    """b at many points, point i in realization ``realization[i]``; code units, no validation."""
    for i in numba.prange(positions.shape[0]):
        bx, by, bz = field_kernel(
            tables[realization[i]], has_bz, positions[i, 0], positions[i, 1], positions[i, 2]
        )
        out[i, 0] = bx
        out[i, 1] = by
        out[i, 2] = bz


def pack_tables(k: np.ndarray, phase: np.ndarray, amplitude: np.ndarray) -> np.ndarray:
    """Kernel layout ``(n_realizations, 7, n_waves)`` from user-facing wave arrays."""
    n_real, n_waves = phase.shape
    tables = np.empty((n_real, N_TABLE_ROWS, n_waves))
    tables[:, 0:3, :] = 0.5 * np.moveaxis(k, -1, 1)
    tables[:, 3, :] = 0.5 * phase
    tables[:, 4:7, :] = np.moveaxis(amplitude, -1, 1)
    return tables


@numba.njit(parallel=True, cache=True)
def quantile_kernel(u, x_at, low_power, symmetric, out):  # pragma: no cover - compiled
    """x = F^-1(u) from a table of x at F = i / n; code units, no validation.

    Linear in x inside a cell (each holds probability 1/n, 1.5e-5 for the library's tables);
    in the first cell, when the band starts at 0 and ``low_power > 0``, the power law
    ``x = x_1 t^low_power`` of the density's low end. ``symmetric``: the sign from
    ``u < 1/2`` and the magnitude from ``2 u mod 1`` (one uniform per value).
    """
    n = x_at.shape[0] - 1
    scale = 2.0 * n if symmetric else 1.0 * n
    # the hot loop is branch-free arithmetic that LLVM vectorises; the rare first-cell values
    # (probability 1/n) are redone below, so no pow() sits in it
    for i in numba.prange(u.shape[0]):
        t = u[i] * scale
        sign = 1.0
        if symmetric and t < n:
            sign = -1.0
        if t >= n:
            t -= n
        j = min(int(t), n - 1)
        f = t - j
        out[i] = sign * (x_at[j] + f * (x_at[j + 1] - x_at[j]))
    if low_power > 0.0 and low_power != 1.0:  # a power of 1 is the linear formula already
        for i in range(u.shape[0]):  # serial on purpose: a prange is if-converted to pow()s
            t = u[i] * scale
            if t >= n:
                t -= n
            if t < 1.0:
                x = x_at[1] * t**low_power
                if symmetric and u[i] < 0.5:
                    x = -x
                out[i] = x


@numba.njit(parallel=True, cache=True)
def two_d_tables_kernel(k_perp, k_par, u_azimuth, u_phase, amplitude, tables):  # pragma: no cover
    """Wave tables of the 2D model from wave numbers and uniforms; code units, no validation.

    Azimuth ``2 pi u_azimuth``, phase ``2 pi u_phase``; each wave carries ``amplitude`` along
    ``e_z x k_perp / k_perp``. Fills ``tables (n_real, 7, n_waves)`` in the layout above.
    """
    n_real = tables.shape[0]
    n_waves = tables.shape[2]
    for r in numba.prange(n_real):
        for j in range(n_waves):
            i = r * n_waves + j
            half = math.pi * u_azimuth[i]  # half the azimuth
            c = cos2_kernel(half)
            s = cos2_kernel(half - 0.25 * math.pi)  # sin(2 h) = cos(2 h - pi / 2)
            tables[r, 0, j] = 0.5 * k_perp[i] * c
            tables[r, 1, j] = 0.5 * k_perp[i] * s
            tables[r, 2, j] = 0.5 * k_par[i]
            tables[r, 3, j] = math.pi * u_phase[i]
            tables[r, 4, j] = -amplitude * s
            tables[r, 5, j] = amplitude * c
            tables[r, 6, j] = 0.0
