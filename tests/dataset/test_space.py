"""ParameterSpace: defaults, validation, sampling designs, serialisation."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from crtransport.dataset import INPUTS, Fixed, Free, Grid, ParameterSpace, Tied


def test_paper_space_matches_section_2d():
    space = ParameterSpace.paper()
    assert space == ParameterSpace()
    assert space.axes["T"] == Free(0.0, 10.0)
    assert space.b == Free(0.0, 1.0)
    assert space.lambda_perp == Free(0.2, 20.0)
    assert space.mu == Fixed(0.5)
    assert space.lambda_par == Tied(10.0, to="lambda_perp")
    assert space.sampling == "uniform"
    assert space.free_inputs == ("T", "b", "lambda_perp")


@pytest.mark.parametrize("sampling", ["uniform", "lhs", "sobol"])
def test_samples_inside_bounds_and_tied(sampling):
    space = ParameterSpace(sampling=sampling)
    pts = space.sample(64, seed=1)
    assert list(pts) == list(INPUTS)
    assert all(p.shape == (64,) and p.dtype == np.float64 for p in pts.values())
    assert np.all((pts["T"] > 0) & (pts["T"] <= 10))
    assert np.all((pts["b"] > 0) & (pts["b"] <= 1))
    assert np.all((pts["lambda_perp"] > 0.2) & (pts["lambda_perp"] <= 20))
    np.testing.assert_array_equal(pts["lambda_par"], 10 * pts["lambda_perp"])
    np.testing.assert_array_equal(pts["mu"], 0.5)


@pytest.mark.parametrize("sampling", ["uniform", "lhs", "sobol"])
def test_sampling_is_seeded(sampling):
    space = ParameterSpace(sampling=sampling)
    a, b, c = (space.sample(16, seed=s) for s in (3, 3, 4))
    np.testing.assert_array_equal(a["T"], b["T"])
    assert not np.array_equal(a["T"], c["T"])


def test_lhs_stratifies_each_axis():
    n = 20
    pts = ParameterSpace(sampling="lhs").sample(n, seed=0)
    # one point in each of the n strata of every free axis
    for name, (lo, hi) in {"T": (0, 10), "b": (0, 1)}.items():
        strata = np.floor((hi - pts[name]) / (hi - lo) * n).astype(int)
        assert sorted(strata) == list(range(n))


def test_sobol_non_power_of_two_logs(caplog):
    ParameterSpace(sampling="sobol").sample(10, seed=0)
    assert "power of 2" in caplog.text


def test_log_uniform_axis():
    space = ParameterSpace(T=Free(0.01, 100.0, log=True))
    t = space.sample(4000, seed=0)["T"]
    assert t.min() > 0.01
    assert t.max() <= 100
    # log10 T is uniform on (-2, 2]: each decade holds about a quarter of the points
    counts = np.histogram(np.log10(t), bins=4, range=(-2, 2))[0]
    assert np.all(np.abs(counts - 1000) < 4 * math.sqrt(1000))


def test_grid_is_cartesian_product():
    space = ParameterSpace(
        T=Grid([1.0, 2.0]), b=Grid([0.1, 0.2, 0.3]), lambda_perp=5.0, sampling="grid"
    )
    assert space.grid_size == 6
    pts = space.sample(6)
    assert sorted(zip(pts["T"], pts["b"], strict=True)) == [
        (t, b) for t in (1.0, 2.0) for b in (0.1, 0.2, 0.3)
    ]
    np.testing.assert_array_equal(pts["lambda_par"], 50.0)
    with pytest.raises(ValueError, match="must equal the grid size 6"):
        space.sample(5)


def test_shorthands():
    space = ParameterSpace(T=(1, 2), mu=0.3, lambda_par=4.0)
    assert space.axes["T"] == Free(1.0, 2.0)
    assert space.mu == Fixed(0.3)
    assert space.lambda_par == Fixed(4.0)


def test_free_mu_and_tie_the_other_way():
    space = ParameterSpace(
        mu=(-1.0, 1.0), lambda_par=(1.0, 10.0), lambda_perp=Tied(0.1, to="lambda_par")
    )
    pts = space.sample(50, seed=2)
    assert np.all(np.abs(pts["mu"]) <= 1)
    np.testing.assert_array_equal(pts["lambda_perp"], 0.1 * pts["lambda_par"])


@pytest.mark.parametrize(
    "space",
    [
        ParameterSpace.paper(),
        ParameterSpace(T=Free(0.1, 10, log=True), sampling="sobol"),
        ParameterSpace(T=Grid([1.0, 3.0]), b=Grid([0.5]), lambda_perp=2.0, sampling="grid"),
        ParameterSpace(mu=(-0.5, 0.9), lambda_perp=Tied(0.2, to="lambda_par"), lambda_par=(1, 5)),
    ],
)
def test_to_dict_round_trip_through_json(space):
    data = json.loads(json.dumps(space.to_dict()))
    assert ParameterSpace.from_dict(data) == space
    assert ParameterSpace.from_dict(json.dumps(space.to_dict())) == space


def test_describe_mentions_every_input():
    text = ParameterSpace.paper().describe()
    for name in INPUTS:
        assert name in text


@pytest.mark.parametrize(
    ("kwargs", "exc", "match"),
    [
        (
            {"T": (5.0, 5.0)},
            ValueError,
            r"`T` bounds must satisfy low < high; got \(5, 5\) \(empty\)",
        ),
        ({"b": (1.0, 0.5)}, ValueError, r"`b` bounds .* \(reversed\)"),
        ({"T": (-1.0, 5.0)}, ValueError, r"`T.low` must be in \[0, inf\); got -1"),
        ({"mu": (0.0, 1.5)}, ValueError, r"`mu.high` must be in \[-1, 1\]; got 1.5"),
        ({"mu": 1.5}, ValueError, r"`mu` must be in \[-1, 1\]; got 1.5"),
        ({"b": -0.1}, ValueError, r"`b` must be in \[0, inf\); got -0.1"),
        ({"T": 0.0}, ValueError, r"`T` must be in \(0, inf\); got 0"),
        ({"lambda_perp": 0.0}, ValueError, r"`lambda_perp` must be in \(0, inf\); got 0"),
        ({"T": (0.0, math.inf)}, ValueError, r"`T.high` must be finite"),
        ({"T": (1.0, math.nan)}, ValueError, r"`T.high` must be finite"),
        ({"T": Free(0.0, 10.0, log=True)}, ValueError, r"`T` lower bound must be > 0 for a log"),
        ({"lambda_par": Tied(2.0, to="T")}, ValueError, r"same unit \(lambda_perp\); got 'T'"),
        ({"lambda_par": Tied(2.0, to="lambda_par")}, ValueError, "tied to itself"),
        (
            {"lambda_perp": Tied(0.1, to="lambda_par")},
            ValueError,
            "which is tied itself",
        ),
        ({"T": Grid([1.0])}, ValueError, r"Grid inputs \(T\) need `sampling` 'grid'"),
        ({"sampling": "grid"}, ValueError, "T, b, lambda_perp is Free"),
        ({"sampling": "halton"}, ValueError, r"`sampling` must be one of 'uniform', 'lhs'"),
        ({"T": "hot"}, TypeError, r"`T` must be a number, a \(low, high\) tuple"),
        ({"T": (1.0, 2.0, 3.0)}, ValueError, r"`T` as a tuple must be \(low, high\)"),
        ({"T": True}, TypeError, "got bool"),
    ],
)
def test_invalid_spaces(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        ParameterSpace(**kwargs)


@pytest.mark.parametrize(
    ("factory", "exc", "match"),
    [
        (lambda: Tied(0.0), ValueError, r"`ratio` must be in \(0, inf\)"),
        (lambda: Tied(1.0, to="x"), ValueError, "`to` must be one of 'T', 'mu'"),
        (lambda: Grid([]), ValueError, "must not be empty"),
        (lambda: Grid([1.0, 1.0]), ValueError, "must be distinct"),
        (lambda: Grid(3.0), TypeError, "must be a sequence"),
        (lambda: Free(0.0, 1.0, log=1), TypeError, "`log` must be a bool"),
    ],
)
def test_invalid_axes(factory, exc, match):
    with pytest.raises(exc, match=match):
        factory()


def test_from_dict_rejects_unknown_keys_and_kinds():
    with pytest.raises(ValueError, match="unknown parameter-space keys"):
        ParameterSpace.from_dict({"energy": {"kind": "fixed", "value": 1.0}})
    with pytest.raises(ValueError, match=r"`T\.kind` must be one of"):
        ParameterSpace.from_dict({"T": {"kind": "wide", "value": 1.0}})
    with pytest.raises(ValueError, match="invalid description of `T`"):
        ParameterSpace.from_dict({"T": {"kind": "fixed", "val": 1.0}})


def test_n_samples_must_be_positive():
    with pytest.raises(ValueError, match=r"`n_samples` must be an integer in \[1, inf\]; got 0"):
        ParameterSpace.paper().sample(0)


def test_frozen():
    space = ParameterSpace.paper()
    with pytest.raises(AttributeError):
        space.T = Free(0.0, 1.0)  # type: ignore[misc]
