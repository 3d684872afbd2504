"""Parameter spaces: which (T, mu, b, lambda_perp, lambda_par, slab_fraction) a database
samples, and how.

Each input is one of

* :class:`Free` -- free within bounds, drawn linearly or log-uniformly (shorthand: a
  ``(low, high)`` tuple);
* :class:`Fixed` -- one value for every sample (shorthand: a number);
* :class:`Tied` -- a fixed multiple of another input with the same unit
  (``lambda_par = 10 lambda_perp`` in the paper);
* :class:`Grid` -- explicit values, combined as a Cartesian product when ``sampling="grid"``.

Two inputs have dimensionless alternatives, the variables in which magnetostatic transport is
self-similar (``D = v lambda_perp f(R, b, lambda_par / lambda_perp, ...)``, theory page,
"Similarity"): ``R = r_L / lambda_perp`` instead of ``T`` (``T`` then follows from ``R`` and
``lambda_perp``) and ``anisotropy = lambda_par / lambda_perp`` instead of ``lambda_par``.

The free axes are sampled together, in the order of :data:`DESIGN_AXES`, as points of the
unit cube (uniform at random as in
the paper, Latin hypercube or scrambled Sobol' from :mod:`scipy.stats.qmc`), then mapped to
their bounds.
"""

from __future__ import annotations

import inspect
import itertools
import json
import logging
import math
import numbers
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, TypeAlias

import numpy as np
from numpy.typing import ArrayLike, NDArray

from crtransport import units
from crtransport._ranges import INPUT_RANGES
from crtransport._validation import check_choice, check_int, check_real, check_seed
from crtransport.dataset._schema import INPUTS, UNIT_ENERGY, UNIT_FIELD, UNIT_LENGTH, UNIT_NONE

__all__ = [
    "ALTERNATIVES",
    "DESIGN_AXES",
    "Fixed",
    "Free",
    "Grid",
    "Isotropic",
    "ParameterSpace",
    "Tied",
]

logger = logging.getLogger("crtransport.dataset")

Sampling: TypeAlias = Literal["uniform", "lhs", "sobol", "grid"]
SAMPLINGS: tuple[str, ...] = ("uniform", "lhs", "sobol", "grid")

#: The dimensionless alternatives and the input each replaces.
ALTERNATIVES: dict[str, str] = {"R": "T", "anisotropy": "lambda_par"}
#: Every axis a space can have, in the order the free ones take the unit cube's columns (the
#: paper's space keeps its order T, b, lambda_perp, so its designs are those of crtransport 0.1).
DESIGN_AXES: tuple[str, ...] = (
    "T", "R", "mu", "b", "lambda_perp", "lambda_par", "anisotropy", "slab_fraction",
)  # fmt: skip

# physical range of each axis (crtransport._ranges): (low, high, low_open); every high is
# closed or infinite
_PHYSICAL: dict[str, tuple[float, float, bool]] = {
    name: (INPUT_RANGES[name].low, INPUT_RANGES[name].high, INPUT_RANGES[name].low_open)
    for name in DESIGN_AXES
}
_UNITS: dict[str, str] = {
    "T": UNIT_ENERGY,
    "R": UNIT_NONE,
    "mu": UNIT_NONE,
    "b": UNIT_FIELD,
    "lambda_perp": UNIT_LENGTH,
    "lambda_par": UNIT_LENGTH,
    "anisotropy": UNIT_NONE,
    "slab_fraction": UNIT_NONE,
}


def _check_physical(name: str, value: Any) -> float:
    low, high, low_open = _PHYSICAL[name]
    return check_real(name, value, low=low, high=high, low_open=low_open)


@dataclass(frozen=True, slots=True)
class Free:
    """An input free within ``(low, high]``.

    Parameters
    ----------
    low, high : float
        Bounds, in the input's unit (T in m c^2, b in B0, lengths in rho0). Samples lie in
        ``(low, high]``: the lower bound is never drawn, so ``Free(0, 10)`` for ``T`` is the
        paper's ``T in (0, 10)``.
    log : bool, default: False
        Draw ``log(value)`` uniformly instead of ``value`` (needs ``low > 0``).
    """

    low: float
    high: float
    log: bool = False

    def __post_init__(self) -> None:
        low = check_real("low", self.low)
        high = check_real("high", self.high)
        if not isinstance(self.log, bool | np.bool_):
            raise TypeError(f"`log` must be a bool; got {type(self.log).__name__}.")
        object.__setattr__(self, "low", low)
        object.__setattr__(self, "high", high)
        object.__setattr__(self, "log", bool(self.log))

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe description."""
        return {"kind": "free", "low": self.low, "high": self.high, "log": self.log}


@dataclass(frozen=True, slots=True)
class Fixed:
    """An input with one value for every sample.

    Parameters
    ----------
    value : float
        The value, in the input's unit.
    """

    value: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "value", check_real("value", self.value))

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe description."""
        return {"kind": "fixed", "value": self.value}


@dataclass(frozen=True, slots=True)
class Tied:
    """An input equal to ``ratio`` times another input with the same unit.

    Parameters
    ----------
    ratio : float
        Positive factor (dimensionless).
    to : str, default: 'lambda_perp'
        Name of the input it follows; it must not be tied itself.
    """

    ratio: float
    to: str = "lambda_perp"

    def __post_init__(self) -> None:
        ratio = check_real("ratio", self.ratio, low=0.0, low_open=True)
        check_choice("to", self.to, INPUTS)
        object.__setattr__(self, "ratio", ratio)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe description."""
        return {"kind": "tied", "ratio": self.ratio, "to": self.to}


@dataclass(frozen=True, slots=True)
class Grid:
    """Explicit values of an input, for ``sampling="grid"``.

    Parameters
    ----------
    values : Sequence of float
        Distinct values, in the input's unit; stored sorted.
    """

    values: tuple[float, ...]

    def __post_init__(self) -> None:
        raw = self.values
        if isinstance(raw, str | bytes) or not isinstance(raw, Sequence | np.ndarray):
            raise TypeError(f"`values` must be a sequence of numbers; got {type(raw).__name__}.")
        vals = tuple(sorted(check_real("values", v) for v in raw))
        if not vals:
            raise ValueError("`values` must not be empty; got ().")
        if len(set(vals)) != len(vals):
            raise ValueError(f"`values` must be distinct; got {vals}.")
        object.__setattr__(self, "values", vals)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe description."""
        return {"kind": "grid", "values": list(self.values)}


@dataclass(frozen=True, slots=True)
class Isotropic:
    """Isotropic pitch angles (``mu`` only): each particle's ``mu`` uniform in [-1, 1].

    The rows then hold pitch-angle averaged coefficients (``simulate(mu='isotropic')``); the
    database stores ``mu`` as NaN for them. Shorthand: ``mu="isotropic"``.
    """

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe description."""
        return {"kind": "isotropic"}


Axis: TypeAlias = Free | Fixed | Tied | Grid | Isotropic
AxisLike: TypeAlias = Axis | float | tuple[float, float]

_KINDS: dict[str, type] = {
    "free": Free,
    "fixed": Fixed,
    "tied": Tied,
    "grid": Grid,
    "isotropic": Isotropic,
}


def _as_axis(name: str, value: Any) -> Axis:
    if isinstance(value, str) and value == "isotropic":
        value = Isotropic()
    if isinstance(value, Isotropic):
        if name != "mu":
            raise ValueError(f"only `mu` can be 'isotropic'; got {name}='isotropic'.")
        return value
    if isinstance(value, Free | Fixed | Tied | Grid):
        return value
    if isinstance(value, bool):
        raise TypeError(
            f"`{name}` must be a number, a (low, high) tuple, Free, Fixed, Tied or Grid; got bool."
        )
    if isinstance(value, numbers.Real | np.floating | np.integer):
        return Fixed(float(value))
    if isinstance(value, tuple):
        if len(value) != 2:
            raise ValueError(f"`{name}` as a tuple must be (low, high); got {value}.")
        return Free(check_real(f"{name}.low", value[0]), check_real(f"{name}.high", value[1]))
    raise TypeError(
        f"`{name}` must be a number, a (low, high) tuple, Free, Fixed, Tied or Grid; "
        f"got {type(value).__name__}."
    )


def _qmc(kind: str, d: int, rng: np.random.Generator) -> Any:
    from scipy.stats import qmc

    cls = qmc.Sobol if kind == "sobol" else qmc.LatinHypercube
    key = "rng" if "rng" in inspect.signature(cls).parameters else "seed"
    return cls(d, scramble=True, **{key: rng})


def _paper_default(name: str) -> Any:
    return {
        "T": Free(0.0, 10.0),
        "mu": Fixed(0.5),
        "b": Free(0.0, 1.0),
        "lambda_perp": Free(0.2, 20.0),
        "lambda_par": Tied(10.0, to="lambda_perp"),
    }[name]


@dataclass(frozen=True, slots=True, kw_only=True)
class ParameterSpace:
    """The inputs a database samples and the sampling design.

    The defaults are the paper's database (Palade 2023, section II D):
    ``T in (0, 10)``, ``b in (0, 1)``, ``lambda_perp in (0.2, 20)``, ``mu = 0.5``,
    ``lambda_par = 10 lambda_perp``, uniform at random; override any input to change it.

    Parameters
    ----------
    T : Free, Fixed, Tied, Grid, float or (float, float), default: Free(0, 10)
        Kinetic energy in m c^2; physical range ``T > 0``.
    mu : Free, Fixed, Tied, Grid, Isotropic, float, (float, float) or str, default: Fixed(0.5)
        Initial pitch-angle cosine (dimensionless); physical range ``-1 <= mu <= 1``;
        ``'isotropic'`` for pitch-angle averaged rows (stored as NaN).
    b : Free, Fixed, Tied, Grid, float or (float, float), default: Free(0, 1)
        Turbulence amplitude in B0; physical range ``b >= 0``.
    lambda_perp : Free, Fixed, Tied, Grid, float or (float, float), default: Free(0.2, 20)
        Perpendicular correlation length in rho0; physical range ``> 0``.
    lambda_par : Free, Fixed, Tied, Grid, float or (float, float), default: Tied(10, 'lambda_perp')
        Parallel correlation length in rho0; physical range ``> 0``.
    R : Free, Fixed, Grid, float or (float, float), optional
        Instead of ``T``: the dimensionless rigidity ``R = r_L / lambda_perp`` with
        ``r_L = gamma v`` (rho0); physical range ``R > 0``. Each row's ``T`` follows from
        ``R lambda_perp`` exactly (:func:`crtransport.units.T_from_u`).
    anisotropy : Free, Fixed, Grid, float or (float, float), optional
        Instead of ``lambda_par``: ``lambda_par / lambda_perp``; physical range ``> 0``.
    slab_fraction : Free, Fixed, Grid, float or (float, float), default: 0
        Slab share of the turbulent energy (the composite model; build with
        ``simulation=dict(model="composite")``), in [0, 1].
    sampling : {'uniform', 'lhs', 'sobol', 'grid'}, default: 'uniform'
        How the free inputs are drawn: independently uniform at random (the paper), Latin
        hypercube, scrambled Sobol' (both :mod:`scipy.stats.qmc`), or the Cartesian product of
        the :class:`Grid` inputs. Samples of a :class:`Free` input lie in ``(low, high]``.

    Raises
    ------
    ValueError
        If bounds are empty or reversed (``low >= high``), a bound, value or implied range is
        outside the physical range, a log axis has ``low <= 0``, a :class:`Tied` input follows
        a tied input, itself, or an input with another unit, ``sampling="grid"`` is used with
        a :class:`Free` input or another sampling with a :class:`Grid` input, or ``sampling``
        is unknown.
    TypeError
        If an input is not one of the accepted types.

    Notes
    -----
    A number is shorthand for :class:`Fixed`, a ``(low, high)`` tuple for :class:`Free`.
    A free input with bounds ``(low, high]`` is the image of a unit-cube coordinate
    :math:`u \\in [0, 1)` under :math:`x = h - (h - l) u` (or the same in :math:`\\log x`),
    so a lower bound at the edge of the physical range (``T = 0``) is never drawn.

    Examples
    --------
    >>> from crtransport.dataset import Free, ParameterSpace
    >>> space = ParameterSpace.paper()
    >>> space.free_inputs
    ('T', 'b', 'lambda_perp')
    >>> pts = space.sample(4, seed=0)
    >>> bool(np.all(pts["lambda_par"] == 10 * pts["lambda_perp"]))
    True
    >>> ParameterSpace(T=Free(0.1, 100, log=True), sampling="sobol").free_inputs
    ('T', 'b', 'lambda_perp')
    """

    T: AxisLike | None = None
    mu: AxisLike = field(default_factory=lambda: _paper_default("mu"))
    b: AxisLike = field(default_factory=lambda: _paper_default("b"))
    lambda_perp: AxisLike = field(default_factory=lambda: _paper_default("lambda_perp"))
    lambda_par: AxisLike | None = None
    R: AxisLike | None = None
    anisotropy: AxisLike | None = None
    slab_fraction: AxisLike = 0.0
    sampling: Sampling = "uniform"

    def __post_init__(self) -> None:
        check_choice("sampling", self.sampling, SAMPLINGS)
        for alternative, replaced in ALTERNATIVES.items():
            if getattr(self, alternative) is None:
                if getattr(self, replaced) is None:
                    object.__setattr__(self, replaced, _paper_default(replaced))
            elif getattr(self, replaced) is not None:
                raise ValueError(
                    f"give `{replaced}` or `{alternative}`, not both; got {replaced}="
                    f"{getattr(self, replaced)!r}, {alternative}={getattr(self, alternative)!r}."
                )
        axes = {
            name: _as_axis(name, getattr(self, name))
            for name in DESIGN_AXES
            if getattr(self, name) is not None
        }
        for name, axis in axes.items():
            object.__setattr__(self, name, axis)
            self._check_axis(name, axis, axes)
        for name in ALTERNATIVES:
            if isinstance(axes.get(name), Tied):
                raise ValueError(f"`{name}` cannot be Tied; give Free, Fixed or Grid.")
        if self.sampling == "grid":
            free = [n for n, a in axes.items() if isinstance(a, Free)]
            if free:
                raise ValueError(
                    f"`sampling` 'grid' needs Grid or Fixed inputs; {', '.join(free)} "
                    "is Free (give Grid(values) or use sampling 'uniform', 'lhs' or 'sobol')."
                )
        else:
            grids = [n for n, a in axes.items() if isinstance(a, Grid)]
            if grids:
                raise ValueError(
                    f"Grid inputs ({', '.join(grids)}) need `sampling` 'grid'; "
                    f"got {self.sampling!r}."
                )
        # a tie joins inputs with the same unit and physical range, and ratio > 0, so the
        # implied range of a tied input is physical whenever its target's is.

    @staticmethod
    def _check_axis(name: str, axis: Axis, axes: Mapping[str, Axis]) -> None:
        low, high, low_open = _PHYSICAL[name]
        if isinstance(axis, Fixed):
            _check_physical(name, axis.value)
        elif isinstance(axis, Grid):
            for v in axis.values:
                _check_physical(name, v)
        elif isinstance(axis, Free):
            if not axis.low < axis.high:
                what = "empty" if axis.low == axis.high else "reversed"
                raise ValueError(
                    f"`{name}` bounds must satisfy low < high; got ({axis.low:g}, "
                    f"{axis.high:g}) ({what})."
                )
            # the lower bound itself is never drawn, so it may sit on an open physical edge
            check_real(f"{name}.low", axis.low, low=low, high=high)
            check_real(f"{name}.high", axis.high, low=low, high=high, low_open=low_open)
            if axis.log and axis.low <= 0:
                raise ValueError(
                    f"`{name}` lower bound must be > 0 for a log-uniform axis; got {axis.low:g}."
                )
        elif isinstance(axis, Tied):
            if axis.to == name:
                raise ValueError(f"`{name}` cannot be tied to itself.")
            if axis.to not in axes:
                raise ValueError(
                    f"`{name}` is tied to {axis.to!r}, which this space replaces by "
                    f"{next(a for a, r in ALTERNATIVES.items() if r == axis.to)!r}; tie it to "
                    "another input."
                )
            if _UNITS[axis.to] != _UNITS[name]:
                same = [n for n in INPUTS if n != name and _UNITS[n] == _UNITS[name]]
                allowed = ", ".join(same) if same else "none"
                raise ValueError(
                    f"`{name}` may only be tied to an input with the same unit ({allowed}); "
                    f"got {axis.to!r}."
                )
            if isinstance(axes[axis.to], Tied):
                raise ValueError(
                    f"`{name}` is tied to {axis.to!r}, which is tied itself; tie both to a "
                    "free or fixed input."
                )

    # ------------------------------------------------------------------ constructors
    @classmethod
    def paper(cls) -> ParameterSpace:
        """The paper's space: ``T in (0, 10)``, ``b in (0, 1)``, ``lambda_perp in (0.2, 20)``,
        ``mu = 0.5``, ``lambda_par = 10 lambda_perp``, uniform at random.

        Returns
        -------
        ParameterSpace
        """
        return cls()

    # ------------------------------------------------------------------ properties
    @property
    def axes(self) -> dict[str, Axis]:
        """The space's axes in the order of ``DESIGN_AXES`` (``R`` in place of ``T`` and
        ``anisotropy`` in place of ``lambda_par`` where given)."""
        return {n: getattr(self, n) for n in DESIGN_AXES if getattr(self, n) is not None}

    @property
    def free_inputs(self) -> tuple[str, ...]:
        """Names of the axes that vary (Free or Grid), in the order of ``DESIGN_AXES``."""
        return tuple(n for n, a in self.axes.items() if isinstance(a, Free | Grid))

    @property
    def grid_size(self) -> int | None:
        """Number of points of the Cartesian grid (``sampling="grid"``), else None."""
        if self.sampling != "grid":
            return None
        return math.prod(len(a.values) for a in self.axes.values() if isinstance(a, Grid))

    # ------------------------------------------------------------------ sampling
    def sample(self, n_samples: int, *, seed: int | np.random.Generator = 0) -> dict[str, NDArray]:
        """Draw the design: ``n_samples`` points of the space.

        Parameters
        ----------
        n_samples : int
            Number of points (for ``sampling="grid"``: the grid size).
        seed : int or numpy.random.Generator, default: 0
            Seed of the design (ignored for ``sampling="grid"``).

        Returns
        -------
        dict of str to ndarray of float64, shape (n_samples,)
            One array per input, in the input's unit, keyed by the names in :data:`INPUTS`.

        Raises
        ------
        ValueError
            If ``n_samples < 1``, or it differs from :attr:`grid_size` for a grid.

        Examples
        --------
        >>> pts = ParameterSpace.paper().sample(3, seed=1)
        >>> sorted(pts)
        ['T', 'b', 'lambda_par', 'lambda_perp', 'mu', 'slab_fraction']
        >>> pts["mu"]
        array([0.5, 0.5, 0.5])
        """
        n = check_int("n_samples", n_samples, low=1)
        rng = np.random.default_rng(check_seed("seed", seed))
        if self.sampling == "grid":
            if n != self.grid_size:
                raise ValueError(
                    f"`n_samples` must equal the grid size {self.grid_size} for sampling "
                    f"'grid'; got {n}."
                )
            return self._grid_points()
        return self._draw(n, rng, self.sampling)

    def _grid_points(self) -> dict[str, NDArray]:
        grids = {n: a for n, a in self.axes.items() if isinstance(a, Grid)}
        names = list(grids)
        combos = np.array(
            list(itertools.product(*(g.values for g in grids.values()))), dtype=np.float64
        ).reshape(-1, len(names))
        return self._assemble({n: combos[:, j] for j, n in enumerate(names)}, len(combos))

    def _draw(self, n: int, rng: np.random.Generator, sampling: str) -> dict[str, NDArray]:
        """``n`` points; ``sampling`` is 'uniform', 'lhs' or 'sobol' (grids: random choice)."""
        axes = self.axes
        free = [name for name, a in axes.items() if isinstance(a, Free)]
        grid = [name for name, a in axes.items() if isinstance(a, Grid)]
        d = len(free)
        if d == 0:
            u = np.empty((n, 0))
        elif sampling == "uniform":
            u = rng.random((n, d))
        elif sampling == "sobol":
            if n & (n - 1):
                logger.warning(
                    "Sobol' sampling with n = %d, not a power of 2: the balance properties "
                    "of the sequence hold only for powers of 2.",
                    n,
                )
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message=".*balance properties.*")
                u = _qmc("sobol", d, rng).random(n)
        else:
            u = _qmc("lhs", d, rng).random(n)
        values = self._free_values(u)
        for name in grid:
            ax = axes[name]
            assert isinstance(ax, Grid)
            values[name] = rng.choice(np.asarray(ax.values), size=n)
        return self._assemble(values, n)

    def _free_values(self, u: NDArray) -> dict[str, NDArray]:
        values: dict[str, NDArray] = {}
        free = [(name, a) for name, a in self.axes.items() if isinstance(a, Free)]
        for j, (name, ax) in enumerate(free):
            if ax.log:
                lo, hi = math.log(ax.low), math.log(ax.high)
                values[name] = np.exp(hi - (hi - lo) * u[:, j])
            else:
                values[name] = ax.high - (ax.high - ax.low) * u[:, j]
        return values

    @property
    def continuous_axes(self) -> tuple[str, ...]:
        """Names of the :class:`Free` axes: the columns of :meth:`from_unit`'s cube."""
        return tuple(n for n, a in self.axes.items() if isinstance(a, Free))

    def from_unit(self, u: ArrayLike) -> dict[str, NDArray]:
        """The inputs at points of the unit cube of the :class:`Free` axes.

        Parameters
        ----------
        u : array_like
            Shape ``(n, d)``: coordinates in [0, 1), one column per name in :attr:`continuous_axes`;
            ``value = high - (high - low) u`` (or the same in ``log value``).

        Returns
        -------
        dict of str to ndarray
            One array per input of :data:`INPUTS`, as :meth:`sample` gives.

        Raises
        ------
        ValueError
            If the space has :class:`Grid` axes, or ``u`` is not (n, d) in [0, 1].
        """
        if any(isinstance(a, Grid) for a in self.axes.values()):
            raise ValueError("from_unit needs a space without Grid axes.")
        d = len(self.continuous_axes)
        arr = np.asarray(u, dtype=np.float64)
        if arr.ndim != 2 or arr.shape[1] != d:
            raise ValueError(f"`u` must have shape (n, {d}); got {arr.shape}.")
        if not np.all((arr >= 0.0) & (arr <= 1.0)):
            raise ValueError("`u` must lie in [0, 1].")
        return self._assemble(self._free_values(arr), len(arr))

    def to_unit(self, params: Mapping[str, ArrayLike]) -> NDArray[np.float64]:
        """Inverse of :meth:`from_unit`: unit-cube coordinates of rows given by their inputs.

        ``R`` and ``anisotropy`` are computed from ``T``, ``lambda_perp`` and ``lambda_par``
        where the space uses them. Points outside the bounds map outside [0, 1].
        """
        cols = []
        for name in self.continuous_axes:
            ax = self.axes[name]
            assert isinstance(ax, Free)
            if name == "R":
                x = units.u_from_T(np.asarray(params["T"], dtype=np.float64)) / np.asarray(
                    params["lambda_perp"], dtype=np.float64
                )
            elif name == "anisotropy":
                x = np.asarray(params["lambda_par"], dtype=np.float64) / np.asarray(
                    params["lambda_perp"], dtype=np.float64
                )
            else:
                x = np.asarray(params[name], dtype=np.float64)
            if ax.log:
                lo, hi = math.log(ax.low), math.log(ax.high)
                cols.append((hi - np.log(x)) / (hi - lo))
            else:
                cols.append((ax.high - x) / (ax.high - ax.low))
        if cols:
            return np.stack(cols, axis=1)
        return np.empty((np.asarray(next(iter(params.values()))).size, 0))

    def _assemble(self, values: dict[str, NDArray], n: int) -> dict[str, NDArray]:
        out: dict[str, NDArray] = {}
        for name, ax in self.axes.items():
            if isinstance(ax, Fixed):
                out[name] = np.full(n, ax.value)
            elif isinstance(ax, Isotropic):
                out[name] = np.full(n, np.nan)  # the database's mark of isotropic rows
            elif not isinstance(ax, Tied):
                out[name] = np.ascontiguousarray(values[name], dtype=np.float64)
        for name, ax in self.axes.items():
            if isinstance(ax, Tied):
                out[name] = ax.ratio * out[ax.to]
        if "R" in out:  # r_L = R lambda_perp = |u| (rho0), exactly
            out["T"] = np.asarray(units.T_from_u(out.pop("R") * out["lambda_perp"]), dtype=float)
        if "anisotropy" in out:
            out["lambda_par"] = out.pop("anisotropy") * out["lambda_perp"]
        return {name: out[name] for name in INPUTS}

    # ------------------------------------------------------------------ serialisation
    def to_dict(self) -> dict[str, Any]:
        """JSON-safe description; :meth:`from_dict` inverts it.

        Examples
        --------
        >>> space = ParameterSpace.paper()
        >>> ParameterSpace.from_dict(space.to_dict()) == space
        True
        """
        out: dict[str, Any] = {
            name: ax.to_dict()
            for name, ax in self.axes.items()
            if not (name == "slab_fraction" and ax == Fixed(0.0))  # the default: pure models
        }
        out["sampling"] = self.sampling
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ParameterSpace:
        """Rebuild a space from :meth:`to_dict` output (or its JSON).

        Parameters
        ----------
        data : Mapping or str
            ``{"T": {"kind": "free", "low": 0, "high": 10, "log": false}, ..., "sampling":
            "uniform"}``; missing inputs take the paper's defaults (``slab_fraction``: 0).

        Returns
        -------
        ParameterSpace

        Raises
        ------
        ValueError
            If a key or an axis kind is unknown, or the space is invalid.
        """
        if isinstance(data, str):
            data = json.loads(data)
        if not isinstance(data, Mapping):
            raise TypeError(
                f"a parameter space must be a mapping of inputs to axis descriptions; got "
                f"{type(data).__name__}."
            )
        unknown = set(data) - {*DESIGN_AXES, "sampling"}
        if unknown:
            raise ValueError(
                f"unknown parameter-space keys {sorted(unknown)}; expected {list(DESIGN_AXES)} "
                "and 'sampling'."
            )
        kwargs: dict[str, Any] = {}
        for name in DESIGN_AXES:
            if name not in data:
                continue
            if not isinstance(data[name], Mapping):
                raise ValueError(
                    f"the description of `{name}` must be an object such as "
                    f'{{"kind": "free", "low": 0, "high": 10}}; got {data[name]!r}.'
                )
            spec = dict(data[name])
            kind = spec.pop("kind", None)
            check_choice(f"{name}.kind", kind, tuple(_KINDS))
            try:
                if kind == "grid":
                    spec["values"] = tuple(spec["values"])
                kwargs[name] = _KINDS[kind](**spec)
            except (TypeError, KeyError) as exc:
                raise ValueError(f"invalid description of `{name}`: {exc}") from None
        if "sampling" in data:
            kwargs["sampling"] = data["sampling"]
        return cls(**kwargs)

    def describe(self) -> str:
        """One line per input, e.g. ``T: free in (0, 10] m c^2``.

        Examples
        --------
        >>> print(ParameterSpace.paper().describe())
        T: free in (0, 10] m c^2
        mu: fixed at 0.5
        b: free in (0, 1] B0
        lambda_perp: free in (0.2, 20] rho0
        lambda_par: 10 * lambda_perp
        slab_fraction: fixed at 0
        sampling: uniform
        """
        lines = []
        for name, ax in self.axes.items():
            unit = "" if _UNITS[name] == UNIT_NONE else f" {_UNITS[name]}"
            if isinstance(ax, Free):
                scale = " (log-uniform)" if ax.log else ""
                lines.append(f"{name}: free in ({ax.low:g}, {ax.high:g}]{unit}{scale}")
            elif isinstance(ax, Fixed):
                lines.append(f"{name}: fixed at {ax.value:g}{unit}")
            elif isinstance(ax, Tied):
                lines.append(f"{name}: {ax.ratio:g} * {ax.to}")
            elif isinstance(ax, Isotropic):
                lines.append(f"{name}: isotropic (uniform in [-1, 1] per particle)")
            else:
                lines.append(f"{name}: grid of {len(ax.values)} values{unit}")
        lines.append(f"sampling: {self.sampling}")
        return "\n".join(lines)
