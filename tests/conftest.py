"""Shared fixtures: seeded generators; every random test states its seed and tolerance."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20231113)
