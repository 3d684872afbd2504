"""Fake transport models with exactly known d(R), for exact tests of the unit handling and of
the exporters' formulas (the theory stand-in is tested on its own)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from crtransport.coefficients import GENERAL_DOMAIN


@dataclass(frozen=True)
class BrokenPowerLawModel:
    """d_par = c_par (R/R_b)^(s1 below R_b, s2 above); d_perp = ratio * d_par; std 10 %."""

    c_par: float = 100.0
    s1: float = 1.0 / 3.0
    s2: float = 1.0 / 3.0
    R_b: float = 1.0
    ratio: float = 0.01
    diffusive_below: float = 0.0  # R below this: flagged non-diffusive

    @property
    def domain(self):
        return GENERAL_DOMAIN

    def predict_dimensionless(self, R, b, anisotropy, slab_fraction):
        R, b, anisotropy, slab_fraction = np.broadcast_arrays(R, b, anisotropy, slab_fraction)
        x = np.asarray(R, dtype=float) / self.R_b
        d_par = self.c_par * np.where(x < 1, x**self.s1, x**self.s2)
        d_perp = self.ratio * d_par
        ok = np.asarray(R) >= self.diffusive_below
        return {
            "d_par": d_par,
            "d_par_std": 0.1 * d_par,
            "d_perp": d_perp,
            "d_perp_std": 0.1 * d_perp,
            "is_diffusive_par": ok,
            "is_diffusive_perp": ok,
        }


@pytest.fixture
def fake_model():
    return BrokenPowerLawModel
