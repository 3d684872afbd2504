"""Parameter spaces: which (T, mu, b, lambda_perp, lambda_par) a database samples, and how.

Each of the five inputs is one of

* :class:`Free` -- free within bounds, drawn linearly or log-uniformly (shorthand: a
  ``(low, high)`` tuple);
* :class:`Fixed` -- one value for every sample (shorthand: a number);
* :class:`Tied` -- a fixed multiple of another input with the same unit
  (``lambda_par = 10 lambda_perp`` in the paper);
* :class:`Grid` -- explicit values, combined as a Cartesian product when ``sampling="grid"``.

The free axes are sampled together, in the order of
:data:`crtransport.dataset._schema.INPUTS`, as points of the unit cube (uniform at random as in
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
from numpy.typing import NDArray

from crtransport._validation import check_choice, check_int, check_real
from crtransport.dataset._schema import INPUTS, UNIT_ENERGY, UNIT_FIELD, UNIT_LENGTH, UNIT_NONE

__all__ = ["Fixed", "Free", "Grid", "Isotropic", "ParameterSpace", "Tied"]

logger = logging.getLogger("crtransport.dataset")

Sampling: TypeAlias = Literal["uniform", "lhs", "sobol", "grid"]
SAMPLINGS: tuple[str, ...] = ("uniform", "lhs", "sobol", "grid")

# physical range of each input: (low, high, low_open); every high is closed or infinite
_PHYSICAL: dict[str, tuple[float, float, bool]] = {
    "T": (0.0, math.inf, True),
    "mu": (-1.0, 1.0, False),
    "b": (0.0, math.inf, False),
    "lambda_perp": (0.0, math.inf, True),
    "lambda_par": (0.0, math.inf, True),
}
_UNITS: dict[str, str] = {
    "T": UNIT_ENERGY,
    "mu": UNIT_NONE,
    "b": UNIT_FIELD,
    "lambda_perp": UNIT_LENGTH,
    "lambda_par": UNIT_LENGTH,
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

    T: AxisLike = field(default_factory=lambda: _paper_default("T"))
    mu: AxisLike = field(default_factory=lambda: _paper_default("mu"))
    b: AxisLike = field(default_factory=lambda: _paper_default("b"))
    lambda_perp: AxisLike = field(default_factory=lambda: _paper_default("lambda_perp"))
    lambda_par: AxisLike = field(default_factory=lambda: _paper_default("lambda_par"))
    sampling: Sampling = "uniform"

    def __post_init__(self) -> None:
        check_choice("sampling", self.sampling, SAMPLINGS)
        axes = {name: _as_axis(name, getattr(self, name)) for name in INPUTS}
        for name, axis in axes.items():
            object.__setattr__(self, name, axis)
            self._check_axis(name, axis, axes)
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
        """The five inputs as canonical axis objects, in :data:`INPUTS` order."""
        return {name: getattr(self, name) for name in INPUTS}

    @property
    def free_inputs(self) -> tuple[str, ...]:
        """Names of the inputs that vary (Free or Grid), in :data:`INPUTS` order."""
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
        ['T', 'b', 'lambda_par', 'lambda_perp', 'mu']
        >>> pts["mu"]
        array([0.5, 0.5, 0.5])
        """
        n = check_int("n_samples", n_samples, low=1)
        rng = np.random.default_rng(seed)
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
        values: dict[str, NDArray] = {}
        for j, name in enumerate(free):
            ax = axes[name]
            assert isinstance(ax, Free)
            if ax.log:
                lo, hi = math.log(ax.low), math.log(ax.high)
                values[name] = np.exp(hi - (hi - lo) * u[:, j])
            else:
                values[name] = ax.high - (ax.high - ax.low) * u[:, j]
        for name in grid:
            ax = axes[name]
            assert isinstance(ax, Grid)
            values[name] = rng.choice(np.asarray(ax.values), size=n)
        return self._assemble(values, n)

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
        out: dict[str, Any] = {name: ax.to_dict() for name, ax in self.axes.items()}
        out["sampling"] = self.sampling
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ParameterSpace:
        """Rebuild a space from :meth:`to_dict` output (or its JSON).

        Parameters
        ----------
        data : Mapping or str
            ``{"T": {"kind": "free", "low": 0, "high": 10, "log": false}, ..., "sampling":
            "uniform"}``; missing inputs take the paper's defaults.

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
        unknown = set(data) - {*INPUTS, "sampling"}
        if unknown:
            raise ValueError(
                f"unknown parameter-space keys {sorted(unknown)}; expected {list(INPUTS)} "
                "and 'sampling'."
            )
        kwargs: dict[str, Any] = {}
        for name in INPUTS:
            if name not in data:
                continue
            spec = dict(data[name])
            kind = spec.pop("kind", None)
            check_choice(f"{name}.kind", kind, tuple(_KINDS))
            if kind == "grid":
                spec["values"] = tuple(spec["values"])
            try:
                kwargs[name] = _KINDS[kind](**spec)
            except TypeError as exc:
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
