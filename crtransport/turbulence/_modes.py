"""Wave-mode realizations and field evaluation."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray

from crtransport._numerics import MAX_PHASE
from crtransport._validation import check_array
from crtransport.turbulence._kernels import N_TABLE_ROWS, field_many_kernel, pack_tables

__all__ = ["WaveModes", "field"]


class WaveModes:
    r"""Independent realizations of a turbulent field as sums of plane waves.

    .. math:: \mathbf b(\mathbf r) = \sum_{j=1}^{N} \mathbf A_j
              \cos(\mathbf k_j \cdot \mathbf r + \alpha_j),
              \qquad \mathbf A_j \cdot \mathbf k_j = 0,

    so ``div b = 0`` exactly for every realization. Immutable. The models of
    :mod:`crtransport.turbulence` create it with their ``sample`` method; users may also build one
    from their own arrays.

    Parameters
    ----------
    k : array_like of float64, shape (n_realizations, n_waves, 3)
        Wave vectors in 1/rho0.
    phase : array_like of float64, shape (n_realizations, n_waves)
        Phases alpha in rad.
    amplitude : array_like of float64, shape (n_realizations, n_waves, 3)
        Field amplitude vectors A in B0.
    acceptance_rate : float, default: 1.0
        Acceptance rate of the wave-number sampler that produced the waves.

    Raises
    ------
    ValueError
        On inconsistent shapes or non-finite values, or phases above ``MAX_PHASE`` = 1e14 rad
        in magnitude (reduce them modulo 2 pi).

    Notes
    -----
    The waves are stored once, in the layout the kernels read (one contiguous
    ``(7, n_waves)`` table per realization); ``k``, ``phase`` and ``amplitude`` are read-only
    arrays rebuilt from it on access.
    """

    __slots__ = ("_alpha_max", "_has_bz", "_k_max", "_mean_square", "_tables", "acceptance_rate")
    _tables: NDArray[np.float64]
    _has_bz: bool
    _mean_square: NDArray[np.float64]
    _k_max: float
    _alpha_max: float
    acceptance_rate: float

    def __init__(
        self, *, k: ArrayLike, phase: ArrayLike, amplitude: ArrayLike, acceptance_rate: float = 1.0
    ) -> None:
        phase = np.asarray(phase, dtype=np.float64)
        if phase.ndim != 2:
            raise ValueError(
                f"`phase` must have shape (n_realizations, n_waves); got {phase.shape}."
            )
        expected = (*phase.shape, 3)
        arrays = {
            "k": np.asarray(k, dtype=np.float64),
            "phase": phase,
            "amplitude": np.asarray(amplitude, dtype=np.float64),
        }
        for name in ("k", "amplitude"):
            if arrays[name].shape != expected:
                raise ValueError(
                    f"`{name}` must have shape (n_realizations, n_waves, 3) = {expected}; "
                    f"got {arrays[name].shape}."
                )
        for name, arr in arrays.items():
            if not np.all(np.isfinite(arr)):
                raise ValueError(f"`{name}` must be finite.")
        if phase.size and np.abs(phase).max() > MAX_PHASE:
            raise ValueError(
                f"`phase` must be in [-{MAX_PHASE:g}, {MAX_PHASE:g}] rad (the field's cosine is "
                f"exact only there; reduce it modulo 2 pi); got {np.abs(phase).max():g}."
            )
        self._init(pack_tables(arrays["k"], phase, arrays["amplitude"]), acceptance_rate)

    def _init(self, tables: NDArray[np.float64], acceptance_rate: float) -> None:
        tables.setflags(write=False)
        amp = tables[:, 4:7, :]
        set_ = object.__setattr__
        set_(self, "acceptance_rate", float(acceptance_rate))
        set_(self, "_has_bz", bool(np.any(tables[:, 6, :] != 0.0)))
        set_(self, "_mean_square", 0.5 * np.einsum("rcw,rcw->r", amp, amp))
        half_k = tables[:, 0:3, :]
        k_max = 2.0 * math.sqrt(float(np.einsum("rcw,rcw->rw", half_k, half_k).max(initial=0.0)))
        set_(self, "_k_max", k_max)
        set_(self, "_alpha_max", 2.0 * float(np.abs(tables[:, 3, :]).max(initial=0.0)))
        set_(self, "_tables", tables)

    @classmethod
    def from_tables(cls, tables: NDArray[np.float64], acceptance_rate: float = 1.0) -> WaveModes:
        """Wrap kernel-layout tables (see :attr:`tables`) without copying (they become
        read-only)."""
        if tables.ndim != 3 or tables.shape[1] != N_TABLE_ROWS:
            raise ValueError(f"tables must have shape (n, {N_TABLE_ROWS}, n_waves).")
        self = cls.__new__(cls)
        self._init(np.ascontiguousarray(tables), acceptance_rate)
        return self

    def __setattr__(self, name: str, value: object) -> None:
        if hasattr(self, "_tables"):
            raise AttributeError("WaveModes is immutable")
        object.__setattr__(self, name, value)

    def __repr__(self) -> str:
        return (
            f"WaveModes(n_realizations={self.n_realizations}, n_waves={self.n_waves}, "
            f"acceptance_rate={self.acceptance_rate:.3f})"
        )

    @staticmethod
    def _readonly(arr: NDArray[np.float64]) -> NDArray[np.float64]:
        arr.setflags(write=False)
        return arr

    @property
    def tables(self) -> NDArray[np.float64]:
        """The waves in the layout the field kernels read (read-only), shape
        (n_realizations, 7, n_waves): rows 0-2 hold k / 2 in 1/rho0, row 3 the phase / 2 in
        rad, rows 4-6 the amplitude vector in B0 (``pack_tables``)."""
        return self._tables

    @property
    def k(self) -> NDArray[np.float64]:
        """Wave vectors, shape (n_realizations, n_waves, 3), in 1/rho0."""
        return self._readonly(2.0 * np.moveaxis(self._tables[:, 0:3, :], 1, 2))

    @property
    def phase(self) -> NDArray[np.float64]:
        """Phases, shape (n_realizations, n_waves), in rad."""
        return self._readonly(2.0 * self._tables[:, 3, :])

    @property
    def amplitude(self) -> NDArray[np.float64]:
        """Field amplitude vectors, shape (n_realizations, n_waves, 3), in B0."""
        return self._readonly(np.moveaxis(self._tables[:, 4:7, :], 1, 2).copy())

    @property
    def n_realizations(self) -> int:
        """Number of independent realizations."""
        return int(self._tables.shape[0])

    @property
    def n_waves(self) -> int:
        """Number of waves per realization."""
        return int(self._tables.shape[2])

    @property
    def has_bz(self) -> bool:
        """Whether any wave has a parallel field component (False for slab and 2D models)."""
        return self._has_bz

    @property
    def mean_square_field(self) -> NDArray[np.float64]:
        """Phase-averaged :math:`\\langle b^2 \\rangle = \\sum_j |A_j|^2 / 2` per realization."""
        return self._readonly(self._mean_square.copy())

    @property
    def max_wave_number(self) -> float:
        """Largest ``|k|`` over all waves and realizations, in 1/rho0."""
        return self._k_max

    def _check_reach(self, reach: float, *, what: str, fix: str) -> None:
        """Refuse positions up to ``reach`` (rho0) whose wave phases exceed ``MAX_PHASE``.

        ``what`` names the user's parameters that set ``reach``; ``fix`` says what to change.
        """
        phase = self._k_max * reach + self._alpha_max
        if not phase <= MAX_PHASE:  # also NaN and inf
            raise ValueError(
                f"{what} reach |r| = {reach:.3g} rho0, where the waves (|k| up to "
                f"{self._k_max:.3g} /rho0) have phases up to {phase:.3g} rad; the field is "
                f"exact only for phases up to {MAX_PHASE:.3g} rad: {fix}."
            )

    def field(self, positions: ArrayLike, *, realization: int | ArrayLike = 0) -> NDArray:
        """The turbulent field b at ``positions``; see :func:`field`."""
        return field(self, positions, realization=realization)


def field(
    modes: WaveModes, positions: ArrayLike, *, realization: int | ArrayLike = 0
) -> NDArray[np.float64]:
    """Evaluate the turbulent field of a realization at many points.

    Parameters
    ----------
    modes : WaveModes
        The wave realizations.
    positions : array_like of float64, shape (n_points, 3) or (3,)
        Points in rho0.
    realization : int or array_like of int, shape (n_points,), default: 0
        Realization index of every point (one index broadcasts to all points).

    Returns
    -------
    ndarray of float64, shape (n_points, 3) or (3,)
        b in units of B0 (the mean field e_z is not included).

    Raises
    ------
    ValueError
        If ``positions`` has the wrong shape or non-finite entries, a realization index is out
        of range, or a point lies so far out that the wave phases ``|k| |r| + |alpha|`` exceed
        ``MAX_PHASE`` = 1e14 rad (the field's cosine is not exact there).
    TypeError
        If ``modes`` is not a :class:`WaveModes` or ``realization`` is not integer.

    Examples
    --------
    >>> from crtransport.turbulence import TwoDTurbulence
    >>> modes = TwoDTurbulence(b=0.5, lambda_perp=1.0).sample(n_waves=64, seed=0)
    >>> modes.field([[0.0, 0.0, 0.0], [1.0, 2.0, 3.0]]).shape
    (2, 3)
    """
    if not isinstance(modes, WaveModes):
        raise TypeError(f"`modes` must be a WaveModes; got {type(modes).__name__}.")
    try:
        if np.asarray(positions).dtype.kind not in "iuf":  # None, strings, objects
            raise TypeError
        pos = np.asarray(positions, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(
            f"`positions` must be an array of numbers, shape (n_points, 3); got "
            f"{type(positions).__name__}."
        ) from None
    single = pos.ndim == 1
    pos = check_array(
        "positions",
        pos.reshape(1, -1) if single else pos,
        shape=(None, 3),
        shape_text="(n_points, 3)",
    )
    real = np.broadcast_to(np.asarray(realization), (pos.shape[0],))
    if not np.issubdtype(real.dtype, np.integer):
        raise TypeError(f"`realization` must be integers; got dtype {real.dtype}.")
    if real.size and (real.min() < 0 or real.max() >= modes.n_realizations):
        raise ValueError(
            f"`realization` must be in [0, {modes.n_realizations - 1}]; got "
            f"{int(real.min())}..{int(real.max())}."
        )
    if pos.size:
        reach = float(np.sqrt(np.einsum("pi,pi->p", pos, pos).max()))
        limit = max(MAX_PHASE - modes._alpha_max, 0.0) / max(modes._k_max, 1e-300)
        modes._check_reach(reach, what="`positions`", fix=f"keep |r| below {limit:.3g} rho0")
    out = np.empty_like(pos)
    field_many_kernel(
        modes._tables, modes.has_bz, np.ascontiguousarray(real, dtype=np.int64), pos, out
    )
    return out[0] if single else out
