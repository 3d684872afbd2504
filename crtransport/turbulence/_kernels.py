"""Jitted field kernels (code units, no validation; see :func:`crtransport.turbulence.field`).

Wave tables are C-contiguous float64 arrays ``table[field, wave]`` with rows

    0..2  half wave vector  k / 2            (1/rho0)
    3     half phase        alpha / 2        (rad)
    4..6  field amplitude   A (x, y, z)      (B0)

so that b(r) = sum_j A_j cos(k_j . r + alpha_j) = sum_j A_j cos2(k_j/2 . r + alpha_j/2).
Storing half values lets the cosine skip one multiplication (see ``_numerics.cos2_kernel``).
"""

from __future__ import annotations

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
