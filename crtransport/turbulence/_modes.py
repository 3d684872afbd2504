"""Wave-mode realizations and field evaluation."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray

from crtransport._validation import check_array
from crtransport.turbulence._kernels import field_many_kernel, pack_tables

__all__ = ["WaveModes", "field"]


@dataclass(frozen=True, slots=True, kw_only=True)
class WaveModes:
    r"""Independent realizations of a turbulent field as sums of plane waves.

    .. math:: \mathbf b(\mathbf r) = \sum_{j=1}^{N} \mathbf A_j
              \cos(\mathbf k_j \cdot \mathbf r + \alpha_j),
              \qquad \mathbf A_j \cdot \mathbf k_j = 0,

    so ``div b = 0`` exactly for every realization.

    Attributes
    ----------
    k : ndarray of float64, shape (n_realizations, n_waves, 3)
        Wave vectors in 1/rho0.
    phase : ndarray of float64, shape (n_realizations, n_waves)
        Phases alpha in [0, 2 pi), rad.
    amplitude : ndarray of float64, shape (n_realizations, n_waves, 3)
        Field amplitude vectors A in B0.
    acceptance_rate : float
        Acceptance rate of the wave-number sampler (accepted / proposed), or 1.0.
    """

    k: NDArray[np.float64]
    phase: NDArray[np.float64]
    amplitude: NDArray[np.float64]
    acceptance_rate: float = 1.0
    _tables: NDArray[np.float64] = field(init=False, repr=False, compare=False)
    _has_bz: bool = field(init=False, repr=False, compare=False)
    _mean_square: NDArray[np.float64] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        k = np.ascontiguousarray(self.k, dtype=np.float64)
        phase = np.ascontiguousarray(self.phase, dtype=np.float64)
        amplitude = np.ascontiguousarray(self.amplitude, dtype=np.float64)
        if phase.ndim != 2:
            raise ValueError(
                f"`phase` must have shape (n_realizations, n_waves); got {phase.shape}."
            )
        expected = (*phase.shape, 3)
        for name, arr in (("k", k), ("amplitude", amplitude)):
            if arr.shape != expected:
                raise ValueError(
                    f"`{name}` must have shape (n_realizations, n_waves, 3) = {expected}; "
                    f"got {arr.shape}."
                )
        for name, arr in (("k", k), ("phase", phase), ("amplitude", amplitude)):
            if not np.all(np.isfinite(arr)):
                raise ValueError(f"`{name}` must be finite.")
        for name, arr in (("k", k), ("phase", phase), ("amplitude", amplitude)):
            arr.setflags(write=False)
            object.__setattr__(self, name, arr)
        object.__setattr__(self, "_tables", pack_tables(k, phase, amplitude))
        object.__setattr__(self, "_has_bz", bool(np.any(amplitude[..., 2] != 0.0)))
        mean_square = 0.5 * np.einsum("rwc,rwc->r", amplitude, amplitude)
        mean_square.setflags(write=False)
        object.__setattr__(self, "_mean_square", mean_square)

    @property
    def n_realizations(self) -> int:
        """Number of independent realizations."""
        return int(self.phase.shape[0])

    @property
    def n_waves(self) -> int:
        """Number of waves per realization."""
        return int(self.phase.shape[1])

    @property
    def has_bz(self) -> bool:
        """Whether any wave has a parallel field component (False for slab and 2D models)."""
        return self._has_bz

    @property
    def mean_square_field(self) -> NDArray[np.float64]:
        """Phase-averaged :math:`\\langle b^2 \\rangle = \\sum_j |A_j|^2 / 2` per realization."""
        return self._mean_square

    def select(self, realizations: slice | ArrayLike) -> WaveModes:
        """A new WaveModes with a subset of the realizations."""
        idx = realizations if isinstance(realizations, slice) else np.asarray(realizations)
        return WaveModes(k=self.k[idx], phase=self.phase[idx], amplitude=self.amplitude[idx],
                         acceptance_rate=self.acceptance_rate)

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
        If ``positions`` has the wrong shape or non-finite entries, or a realization index is out
        of range.

    Examples
    --------
    >>> from crtransport.turbulence import TwoDTurbulence
    >>> modes = TwoDTurbulence(b=0.5, lambda_perp=1.0).sample(n_waves=64, seed=0)
    >>> modes.field([[0.0, 0.0, 0.0], [1.0, 2.0, 3.0]]).shape
    (2, 3)
    """
    pos = np.asarray(positions, dtype=np.float64)
    single = pos.ndim == 1
    pos = check_array("positions", pos.reshape(1, -1) if single else pos,
                      shape=(None, 3), shape_text="(n_points, 3)")
    real = np.broadcast_to(np.asarray(realization), (pos.shape[0],))
    if not np.issubdtype(real.dtype, np.integer):
        raise TypeError(f"`realization` must be integers; got dtype {real.dtype}.")
    if real.size and (real.min() < 0 or real.max() >= modes.n_realizations):
        raise ValueError(
            f"`realization` must be in [0, {modes.n_realizations - 1}]; got "
            f"{int(real.min())}..{int(real.max())}."
        )
    out = np.empty_like(pos)
    field_many_kernel(modes._tables, modes.has_bz, np.ascontiguousarray(real, dtype=np.int64),
                      pos, out)
    return out[0] if single else out
