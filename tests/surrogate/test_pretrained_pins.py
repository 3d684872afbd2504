"""Predictions of both shipped models, pinned to the values the code gave before the
surrogate was split into modules (issue 16): every path (one point, a small batch on the
host, a large batch through JAX, inputs far outside the domain) must keep them to 1e-12.

The JAX-path values ("big", "far_big") were computed with that code on 20000 points, a batch
that takes the JAX path before and after (batches of a few thousand now run on the host,
which is faster for them; the old code gave the same float32 values for any batch size on
that path)."""

from __future__ import annotations

import numpy as np
import pytest

import crtransport as crt

#: Computed with the code of commit 2b06b80 (before the split), on the points of ``_points``.
PINS = {
    "paper": {
        "one": [0.09642024519755388, 0.31170031133881176, 0.11077233668814214],
        "small": [0.09642024519755399, 0.49185775249113706, 0.189842022056815],
        "big": [
            0.09642019122838974,
            0.4918577969074249,
            0.1898421347141266,
            1.2899214029312134,
            0.02837526611983776,
            0.06514520198106766,
        ],
        "big_sum": 8662.212359037367,
        "far_one": 10.54782622162502,
        "far_big": 10.54782772064209,
    },
    "improved": {
        "one": [0.08851529764570967, 0.32578131377548836, 0.11263315322456799],
        "small": [0.08851529764570965, 0.4897998108611027, 0.19189366456666687],
        "big": [
            0.08851530429202288,
            0.4897997148872416,
            0.19189356710672636,
            1.2753586458938924,
            0.01943089250895661,
            0.05293684643296976,
        ],
        "big_sum": 8646.482622756985,
        "far_one": 126.64607948508859,
        "far_big": 126.64617156982422,
    },
}
#: Same computation, another order of the same float64 (host) or float32 (JAX) operations.
RTOL = 1e-12


def _points() -> np.ndarray:
    rng = np.random.default_rng(2024)
    return rng.uniform([0.05, 0.02, 0.25], [9.9, 0.99, 19.5], size=(20_000, 3))


def _model(name: str) -> crt.Surrogate:
    if name not in crt.Surrogate.available_pretrained():
        pytest.skip(f"this installation does not ship {name!r}")
    return crt.Surrogate.pretrained(name)


@pytest.mark.parametrize("name", sorted(PINS))
def test_host_path_predictions_are_pinned(name):
    """Single points and small batches: NumPy, float64."""
    pins = PINS[name]
    sur = _model(name)
    X = _points()
    one = [sur.predict(T=t, b=b, lambda_perp=lam) for t, b, lam in X[:3]]
    np.testing.assert_allclose(one, pins["one"], rtol=RTOL)
    np.testing.assert_allclose(sur.predict(X[:20])[[0, 7, 19]], pins["small"], rtol=RTOL)
    far = sur.predict(T=1e300, b=0.5, lambda_perp=5.0, on_extrapolate="ignore")
    np.testing.assert_allclose(far, pins["far_one"], rtol=RTOL)
    # a batch of 20 takes the host path too: the single point's value
    far_small = sur.predict(T=np.full(20, 1e300), b=0.5, lambda_perp=5.0, on_extrapolate="ignore")
    np.testing.assert_allclose(far_small, pins["far_one"], rtol=RTOL)


@pytest.mark.parametrize(
    "name", ["paper", pytest.param("improved", marks=pytest.mark.slow)]
)  # the default network's JAX kernel takes a few seconds to compile
def test_jax_path_predictions_are_pinned(name):
    """Large batches: JAX, float32 (and inputs beyond float32's range scaled on the host)."""
    pins = PINS[name]
    sur = _model(name)
    big = sur.predict(_points())
    np.testing.assert_allclose(big[[0, 7, 19, 1234, 2999, 19999]], pins["big"], rtol=RTOL)
    np.testing.assert_allclose(big.sum(), pins["big_sum"], rtol=RTOL)
    # 20000 points take the JAX path (float32), before and after the split
    far_big = sur.predict(T=np.full(20_000, 1e300), b=0.5, lambda_perp=5.0, on_extrapolate="ignore")
    np.testing.assert_allclose(far_big, pins["far_big"], rtol=RTOL)
