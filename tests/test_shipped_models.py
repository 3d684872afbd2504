"""The pretrained surrogates shipped in the package: they load, they are the models their
metadata describes, and the accuracy recorded in them is what they score on the shipped data."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

import crtransport as crt

#: The shipped models: "paper" always; "improved" only when it was clearly better.
NAMES = crt.Surrogate.available_pretrained()


def test_the_paper_model_ships():
    assert "paper" in NAMES


@pytest.fixture(scope="module")
def database():
    return crt.open_dataset(crt.datasets.paper())


@pytest.mark.parametrize("name", NAMES)
def test_trained_on_the_shipped_database(name):
    record = crt.Surrogate.pretrained(name).state.provenance["database"]
    digest = hashlib.sha256(crt.datasets.paper().read_bytes()).hexdigest()
    assert record["sha256"] == digest
    assert record["simulation"]["n_particles"] == 10_000
    assert record["simulation"]["n_waves"] == 500


@pytest.mark.parametrize("name", NAMES)
def test_recorded_test_accuracy_is_reproduced(name, database):
    sur = crt.Surrogate.pretrained(name)
    record = sur.state.provenance
    train, test = crt.dataset.split(database, 0.1, seed=0)
    # the recorded split is this one, and the model saw the training rows only
    assert record["split"]["test_samples"] == test["sample"].values.tolist()
    assert not set(train["sample"].values) & set(test["sample"].values)
    assert train.sizes["sample"] == record["split"]["n_train"]
    # under an output prior the exact b = 0 rows are reproduced by the prior, not trained on
    skipped = int(train["is_analytic"].sum()) if sur.config.output_powers else 0
    assert sur.history.n_train == train.sizes["sample"] - skipped
    test = test.isel(sample=np.flatnonzero(~test["is_analytic"].values))
    ev = sur.evaluate(test)
    want = record["test"]
    assert ev.target.size == want["n_test"]
    # float32 network: allow for another CPU or XLA version
    np.testing.assert_allclose(ev.rms_relative_error, want["rms_relative_error"], rtol=1e-4)
    np.testing.assert_allclose(ev.label_noise, want["label_noise"], rtol=1e-12)
    hist = want["histogram_percent"]
    counts, _ = np.histogram(100 * ev.relative_error, bins=hist["edges"])
    assert counts.sum() + hist["below"] + hist["above"] == ev.target.size
    assert np.abs(counts - np.array(hist["counts"])).sum() <= 2  # a row on a bin edge may move


def test_paper_model_has_the_papers_architecture_and_optimiser():
    config = crt.Surrogate.pretrained("paper").config
    assert config.layer_sizes == (3, 10, 5, 1)
    assert (config.activation, config.output_activation, config.loss) == ("tanh", "square", "mse")
    assert (config.learning_rate, config.b1, config.b2, config.eps) == (1e-3, 0.9, 0.95, 1e-7)
    assert config.init == "normal"  # weights and biases ~ N(0, 1)
    assert config.batch_size is None  # full batch, as the paper


@pytest.mark.parametrize("name", NAMES)
def test_predictions_are_finite_over_the_domain(name):
    sur = crt.Surrogate.pretrained(name, on_extrapolate="raise")
    rng = np.random.default_rng(0)
    n = 10_000
    z = sur.predict(T=rng.uniform(0.01, 9.99, n), b=rng.uniform(0.01, 0.99, n),
                    lambda_perp=rng.uniform(0.21, 19.9, n))  # fmt: skip
    assert np.all(np.isfinite(z))
    assert np.all(z > 0)
    if sur.config.output_powers:  # D_perp = 0 without turbulence, exactly
        assert np.all(sur.predict(T=[0.5, 5.0], b=0.0, lambda_perp=[1.0, 10.0]) == 0.0)
