"""The output prior (``output_powers``): D = prod x_k^p_k * network, in training and prediction."""

from __future__ import annotations

import json

import numpy as np
import pytest

from crtransport.surrogate import Surrogate, SurrogateConfig

LOW = np.array([0.5, 0.01, 0.2])
HIGH = np.array([10.0, 1.0, 20.0])  # b over two decades: D spans four
DOMAIN = {"T": (0.5, 10.0), "b": (0.0, 1.0), "lambda_perp": (0.2, 20.0)}


def target(X):
    return np.sqrt(X[:, 0]) * X[:, 1] ** 2 * X[:, 2] ** 0.3


def _data(n, seed):
    X = np.random.default_rng(seed).uniform(LOW, HIGH, size=(n, 3))
    return X, target(X)


def _model(**kw):
    settings = dict(
        hidden_widths=(8,), init="glorot", loss="log", output_activation="exp", learning_rate=1e-2
    )
    settings.update(kw)
    return Surrogate(**settings)


@pytest.fixture(scope="module")
def prior_model():
    X, y = _data(300, seed=0)
    return _model(output_powers={"b": 2}).fit(X, y, epochs=1000, key=0, domain=DOMAIN)


def _rms(model, X):
    return float(np.sqrt(np.mean((model.predict(X) / target(X) - 1) ** 2)))


@pytest.mark.slow
def test_prior_learns_the_scaling_the_network_alone_misses(prior_model):
    # Same network, data, key and epochs; the network alone must spread its capacity over four
    # decades, the prior leaves it sqrt(T) lambda^0.3 (one decade). Measured: 2.1 % vs 12.9 %.
    X, y = _data(300, seed=0)
    plain = _model().fit(X, y, epochs=1000, key=0, domain=DOMAIN)
    Xt, _ = _data(2000, seed=1)
    with_prior = _rms(prior_model, Xt)
    assert with_prior < 0.03
    assert _rms(plain, Xt) > 3 * with_prior


def test_prior_is_applied_on_every_prediction_path(prior_model):
    Xt, _ = _data(200, seed=2)
    big = prior_model.predict(Xt)  # JAX float32 path
    small = prior_model.predict(Xt[:20])  # NumPy float64 path
    one = np.array([prior_model.predict(T=x[0], b=x[1], lambda_perp=x[2]) for x in Xt[:20]])
    np.testing.assert_allclose(small, one, rtol=1e-12)
    np.testing.assert_allclose(big[:20], small, rtol=2e-5)
    # where the prior vanishes the prediction is exactly zero, on both paths
    assert prior_model.predict(T=2.0, b=0.0, lambda_perp=3.0) == 0.0
    assert np.all(prior_model.predict(np.column_stack([Xt[:, 0], 0 * Xt[:, 1], Xt[:, 2]])) == 0)


@pytest.mark.slow
def test_ensemble_spread_carries_the_prior(tmp_path):
    X, y = _data(200, seed=3)
    ens = _model(n_models=2, output_powers={"b": 2}).fit(X, y, epochs=200, key=1, domain=DOMAIN)
    x = np.array([[2.0, 0.5, 4.0], [2.0, 0.25, 4.0]] * 40)  # 80 rows: the JAX path
    mean, std = ens.predict(x, return_std=True)
    m_small, s_small = ens.predict(x[:2], return_std=True)
    np.testing.assert_allclose(mean[:2], m_small, rtol=2e-5)
    np.testing.assert_allclose(std[:2], s_small, rtol=1e-3)
    assert np.all(std > 0)


@pytest.mark.slow
def test_rows_where_the_prior_vanishes(synth):
    ds = synth.dataset(200, seed=4, n_analytic=20)  # 20 exact b = 0, D = 0 rows
    model = _model(output_powers={"b": 2}).fit(ds, epochs=50, key=0, domain=DOMAIN)
    assert model.history.n_train == 180  # reproduced exactly by the prior: not trained on
    assert model.state.domain_low[1] == 0.0  # but they are inside the domain
    X, y = _data(50, seed=5)
    X[3, 1] = 0.0  # b = 0 with D != 0 contradicts the prior
    with pytest.raises(
        ValueError, match=r"`data` has 1 rows where the output prior b\*\*2 is zero"
    ):
        _model(output_powers={"b": 2}).fit(X, y, epochs=1, domain=DOMAIN)
    Xv, yv = _data(10, seed=6)
    Xv[0, 1] = 0.0
    yv[0] = 0.0
    fitted = _model(output_powers={"b": 2}).fit(
        *_data(50, seed=5), epochs=5, validation=(Xv, yv), domain=DOMAIN
    )
    assert fitted.history.n_test == 9


def test_negative_inputs_under_a_prior_raise(prior_model):
    with pytest.raises(ValueError, match=r"`input` 'b' must be >= 0 for the output prior b\*\*2"):
        prior_model.predict(T=1.0, b=-0.1, lambda_perp=2.0, on_extrapolate="ignore")
    X = np.tile([1.0, 0.5, 2.0], (100, 1))
    X[7, 1] = -0.5
    for rows in (X[:10], X):
        with pytest.raises(ValueError, match=r"'b' must be >= 0 .*got -0\.5"):
            prior_model.predict(rows, on_extrapolate="ignore")
    X, y = _data(20, seed=7)
    X[0, 1] = -0.2
    with pytest.raises(ValueError, match=r"`data` 'b' must be >= 0"):
        _model(output_powers={"b": 2}).fit(X, y, epochs=1, domain=DOMAIN)
    X, y = _data(20, seed=7)
    X[0, 2] = 0.0
    with pytest.raises(ValueError, match=r"'lambda_perp' must be > 0 for the output prior"):
        _model(output_powers={"lambda_perp": -1}).fit(X, y, epochs=1, domain=DOMAIN)


@pytest.mark.parametrize(
    ("powers", "error", "match"),
    [
        ({"mu": 2}, ValueError, r"`output_powers` keys must be features .*got 'mu'"),
        ({"b": 0}, ValueError, r"`output_powers\['b'\]` must be non-zero"),
        ({"b": float("inf")}, ValueError, r"`output_powers\['b'\]` must be finite"),
        ({"b": "2"}, TypeError, r"`output_powers\['b'\]` must be a real number"),
        ([("b", 2), ("b", 1)], ValueError, r"must not repeat a name"),
        (3, TypeError, r"`output_powers` must map feature names to exponents"),
        ([("b",)], TypeError, r"`output_powers` must map feature names to exponents"),
    ],
)
def test_bad_powers(powers, error, match):
    with pytest.raises(error, match=match):
        SurrogateConfig(output_powers=powers)


def test_config_normalises_and_round_trips():
    c = SurrogateConfig(output_powers={"lambda_perp": 0.5, "b": 2})
    assert c.output_powers == (("b", 2.0), ("lambda_perp", 0.5))  # features order
    d = c.to_dict()
    assert d["output_powers"] == {"b": 2.0, "lambda_perp": 0.5}
    assert SurrogateConfig.from_dict(json.loads(json.dumps(d))) == c
    assert hash(c) == hash(SurrogateConfig.from_dict(d))  # a static jit argument
    assert SurrogateConfig().output_powers == ()


def test_repr_names_the_prior(prior_model):
    assert "prior='b**2'" in repr(prior_model)
    assert "prior" not in repr(Surrogate())


def test_file_round_trip_and_version(prior_model, tmp_path):
    path = prior_model.save(tmp_path / "prior.npz")
    with np.load(path, allow_pickle=False) as z:
        meta = json.loads(z["metadata"].tobytes().decode())
    assert meta["format_version"] == 2  # the formula changed: version-1 readers must refuse
    assert meta["output"]["powers"] == {"b": 2.0}
    loaded = Surrogate.load(path)
    assert loaded.config == prior_model.config
    Xt, _ = _data(500, seed=8)
    assert loaded.predict(Xt).tobytes() == prior_model.predict(Xt).tobytes()
    assert loaded.predict(T=1.0, b=0.3, lambda_perp=2.0) == prior_model.predict(
        T=1.0, b=0.3, lambda_perp=2.0
    )
