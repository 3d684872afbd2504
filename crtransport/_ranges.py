"""The physical range of every input, stated once (no heavy imports: the CLI reads it too).

:data:`INPUT_RANGES` feeds the database schema's checks (``crtransport.dataset._schema``),
the parameter spaces (``crtransport.dataset._space``) and the command line's early checks.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

__all__ = ["INPUT_RANGES", "NON_NEGATIVE", "POSITIVE", "ValidRange"]


class ValidRange(NamedTuple):
    """Values a quantity may take: ``low`` to ``high``, each end open or closed."""

    low: float
    high: float = math.inf
    low_open: bool = False
    high_open: bool = False

    def __contains__(self, value: object) -> bool:
        v = float(value)  # type: ignore[arg-type]
        above = v > self.low if self.low_open else v >= self.low
        below = v < self.high if self.high_open else v <= self.high
        return above and below

    def contains(self, values: Any) -> Any:
        """Elementwise ``value in self`` for an array (NaN gives False)."""
        import numpy as np

        v = np.asarray(values, dtype=np.float64)
        above = v > self.low if self.low_open else v >= self.low
        below = v < self.high if self.high_open else v <= self.high
        return above & below

    def __str__(self) -> str:
        lo = "(-inf" if self.low == -math.inf else ("(" if self.low_open else "[") + f"{self.low:g}"
        close = ")" if self.high_open else "]"
        hi = "inf)" if self.high == math.inf else f"{self.high:g}{close}"
        return f"{lo}, {hi}"


POSITIVE = ValidRange(0.0, low_open=True)
NON_NEGATIVE = ValidRange(0.0)

#: Physical range of each input of a run or a database row, in its scaled unit
#: (:mod:`crtransport.units`), and of the dimensionless alternatives of a parameter space.
INPUT_RANGES: dict[str, ValidRange] = {
    "T": POSITIVE,  # kinetic energy, m c^2
    "mu": ValidRange(-1.0, 1.0),  # pitch-angle cosine
    "b": NON_NEGATIVE,  # turbulence amplitude, B0
    "lambda_perp": POSITIVE,  # rho0
    "lambda_par": POSITIVE,  # rho0
    "slab_fraction": ValidRange(0.0, 1.0),  # slab share of the turbulent energy
    "R": POSITIVE,  # r_L / lambda_perp
    "anisotropy": POSITIVE,  # lambda_par / lambda_perp
}
