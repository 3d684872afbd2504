"""The result type of the theories and the shared implicit-equation solver (private)."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from scipy.optimize import brentq

from crtransport import units
from crtransport._validation import check_real, warn_accuracy

#: Relative tolerance of the implicit-equation solutions (NLGC, UNLT, nonlinear FLRW).
RTOL = 1e-10


@dataclass(frozen=True, slots=True, kw_only=True)
class TheoryResult:
    """A transport coefficient from an analytic theory, with how it was obtained.

    Attributes
    ----------
    value : float
        The coefficient, in ``unit``.
    unit : str
        ``'rho0^2 omega_c'`` for diffusion coefficients, ``'rho0'`` for the field-line
        diffusion coefficient (``<dx^2> = 2 kappa_FL |dz|``).
    theory : str
        Which theory and which reading of it, e.g. ``'NLGC (Matthaeus et al. 2003)'``.
    iterations : int
        Evaluations of the implicit equation's right-hand side used to solve it (0 for an
        explicit formula).
    residual : float
        ``|D - G(D)| / D`` at the returned value for an implicit equation ``D = G(D)``
        (0 for an explicit formula).
    converged : bool
        The implicit equation was solved to the tolerance (always True for explicit formulas).
    details : dict
        Theory-specific numbers, e.g. the QLT resonance gap; documented by each function.
    """

    value: float
    unit: str
    theory: str
    iterations: int = 0
    residual: float = 0.0
    converged: bool = True
    details: Mapping[str, Any] = field(default_factory=dict)

    def __float__(self) -> float:
        return self.value


def kinematics(T: Any, function: str) -> tuple[float, float, float]:
    """``(gamma, v, r_L)`` for kinetic energy ``T`` (m c^2); ``r_L = gamma v`` in B0."""
    T = check_real("T", T, low=0.0, low_open=True)
    gamma = 1.0 + T
    v = float(units.speed_from_T(T))
    if not v > 0:  # pragma: no cover - T > 0 always gives v > 0 unless T underflows
        raise ValueError(f"{function}: `T` = {T:g} gives zero speed.")
    return gamma, v, gamma * v


def solve_largest_root(
    rhs: Callable[[float], float],
    upper: float,
    *,
    function: str,
    rtol: float = RTOL,
    max_iter: int = 200,
) -> tuple[float, int, float, bool]:
    """Largest root of ``D = rhs(D)`` in ``[0, upper]``, given ``rhs(upper) <= upper``.

    Scans down from ``upper`` by factors of 10 to the first ``D`` with ``rhs(D) > D``, then
    brackets the root with Brent's method (bisection-safeguarded, so it converges where plain
    fixed-point iteration ``D <- rhs(D)`` oscillates, e.g. ``D = c / D``). Returns
    ``(root, evaluations, relative residual, converged)``; the root is 0 when ``rhs(D) <= D``
    down to ``1e-30 upper`` (no positive root). Warns (AccuracyWarning, naming ``function``) if
    Brent's method stops before the tolerance.
    """
    calls = 0

    def h(d: float) -> float:
        nonlocal calls
        calls += 1
        return d - rhs(d)

    if not (upper > 0 and math.isfinite(upper)):
        return 0.0, calls, 0.0, True
    hi, h_hi = upper, h(upper)
    if h_hi == 0:
        return hi, calls, 0.0, True
    if h_hi < 0:  # pragma: no cover - the callers' bounds guarantee rhs(upper) <= upper
        raise ValueError(f"{function}: no root below the bound {upper:g} (internal error).")
    lo = hi
    while True:
        lo = lo / 10.0
        h_lo = h(lo)
        if h_lo < 0:
            break
        if h_lo == 0:
            return lo, calls, 0.0, True
        hi = lo
        if lo < 1e-30 * upper:
            return 0.0, calls, 0.0, True
    root, info = brentq(
        h,
        lo,
        hi,
        xtol=1e-300,
        rtol=max(rtol, 4.5e-16),
        maxiter=max_iter,
        full_output=True,
        disp=False,
    )
    residual = abs(h(root)) / root
    converged = bool(info.converged) and residual <= max(1e3 * rtol, 1e-9)
    if not converged:
        warn_accuracy(
            f"{function}: the implicit equation did not converge after {info.iterations} "
            f"iterations (relative residual {residual:.3g}, tolerance {rtol:.3g}); the value "
            f"{root:.6g} is approximate.",
            stacklevel=4,
        )
    return float(root), calls, float(residual), converged


def solve_theory(
    rhs: Callable[[float], float],
    upper: float,
    *,
    function: str,
    theory: str,
    unit: str,
    rtol: float,
    details: dict[str, Any],
) -> TheoryResult:
    """:func:`solve_largest_root` of ``D = rhs(D)`` below ``upper``, as a :class:`TheoryResult`."""
    value, calls, residual, converged = solve_largest_root(
        rhs, upper * (1.0 + 1e-12), function=function, rtol=rtol
    )
    return TheoryResult(
        value=value,
        unit=unit,
        theory=theory,
        iterations=calls,
        residual=residual,
        converged=converged,
        details=details,
    )
