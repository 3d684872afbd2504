"""Shared fixtures of the surrogate tests: synthetic data and small fitted models.

The synthetic target D = sqrt(T) b^2 lambda_perp^0.3 is smooth and spans about two decades
over T in (0.5, 10), b in (0.3, 1), lambda_perp in (0.2, 20) (inside the paper's cube).
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
import xarray as xr

LOW = np.array([0.5, 0.3, 0.2])
HIGH = np.array([10.0, 1.0, 20.0])


def target(T, b, lambda_perp):
    return np.sqrt(T) * b**2 * lambda_perp**0.3


def synthetic_arrays(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.uniform(LOW, HIGH, size=(n, 3))
    return X, target(*X.T)


def synthetic_dataset(n: int, seed: int, *, n_analytic: int = 0) -> xr.Dataset:
    """A Dataset in the database layout (inputs as coordinates on ``sample``)."""
    X, y = synthetic_arrays(n, seed)
    X[n - n_analytic :, 1] = 0.0
    y[n - n_analytic :] = 0.0
    is_analytic = np.zeros(n, dtype=bool)
    is_analytic[n - n_analytic :] = True
    return xr.Dataset(
        {
            "D_perp": ("sample", y, {"units": "rho0^2 omega_c"}),
            "is_analytic": ("sample", is_analytic),
        },
        coords={
            "sample": np.arange(n),
            "T": ("sample", X[:, 0], {"units": "m c^2"}),
            "b": ("sample", X[:, 1], {"units": "B0"}),
            "lambda_perp": ("sample", X[:, 2], {"units": "rho0"}),
        },
    )


@pytest.fixture(scope="package")
def synth() -> SimpleNamespace:
    """The synthetic-data helpers (test modules cannot import conftest directly)."""
    return SimpleNamespace(
        LOW=LOW,
        HIGH=HIGH,
        target=target,
        arrays=synthetic_arrays,
        dataset=synthetic_dataset,
    )


@pytest.fixture(scope="package")
def fitted():
    """A small paper-architecture model (200 epochs on 300 rows), with validation data."""
    from crtransport.surrogate import Surrogate

    X, y = synthetic_arrays(300, seed=1)
    Xv, yv = synthetic_arrays(50, seed=2)
    domain = {"T": (0.5, 10.0), "b": (0.3, 1.0), "lambda_perp": (0.2, 20.0)}
    return Surrogate().fit(X, y, epochs=200, key=0, validation=(Xv, yv), domain=domain)


@pytest.fixture(scope="package")
def ensemble():
    """A small ensemble of three networks."""
    from crtransport.surrogate import Surrogate

    X, y = synthetic_arrays(300, seed=3)
    domain = {"T": (0.5, 10.0), "b": (0.3, 1.0), "lambda_perp": (0.2, 20.0)}
    return Surrogate(n_models=3, hidden_widths=(6,)).fit(X, y, epochs=100, key=1, domain=domain)
