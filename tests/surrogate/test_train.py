"""Training: the loss falls, accuracy on a smooth function, early stopping, ensembles, inputs."""

from __future__ import annotations

import jax
import numpy as np
import optax
import pytest

from crtransport.surrogate import Surrogate


def test_loss_decreases_and_history_shapes(fitted):
    h = fitted.history
    assert h.train_loss.shape == (1, 201)  # after 0..200 epochs
    assert h.test_loss.shape == (1, 201)
    assert h.train_loss.dtype == np.float32
    assert h.n_epochs_run == 200
    assert h.n_train == 300
    assert h.n_test == 50
    assert h.key == 0
    assert h.optimizer.startswith("optax.adam(learning_rate=0.001, b1=0.9, b2=0.95, eps=1e-07")
    # N(0, 1) weights start far off; 200 full-batch Adam steps cut the loss by > 10x
    assert h.train_loss[0, -1] < 0.1 * h.train_loss[0, 0]
    assert h.test_loss[0, -1] < 0.1 * h.test_loss[0, 0]
    assert not h.is_stopped_early
    assert h.best_epoch.tolist() == [200]


def test_history_matches_the_final_parameters(fitted, synth):
    # train_loss[-1] is the MSE loss of the kept parameters on the scaled output
    X, y = synth.arrays(300, seed=1)
    s_y = float(fitted.state.output_scale[0])
    z = fitted.predict(X, on_extrapolate="ignore")
    mse = np.mean((z / s_y - y / s_y) ** 2)
    np.testing.assert_allclose(fitted.history.train_loss[0, -1], mse, rtol=1e-4)


@pytest.mark.slow
def test_two_percent_on_a_smooth_two_decade_function(synth):
    # D = sqrt(T) b^2 lambda^0.3 spans 2.1 decades over the cube; 4500 rows train, 500 test.
    # A recipe robust to the initial draw (0.7-1.1 % over keys 0-3): relative loss,
    # log(lambda_perp) input, Glorot initialisation, two hidden layers of 16.
    X, y = synth.arrays(5000, seed=0)
    assert np.log10(y.max() / y.min()) > 2.0
    sur = Surrogate(
        hidden_widths=(16, 16),
        init="glorot",
        loss="relative",
        learning_rate=3e-3,
        log_features=("lambda_perp",),
    )
    sur.fit(X[:4500], y[:4500], epochs=5000, key=0)
    ev = sur.evaluate(X[4500:], y[4500:])
    assert ev.rms_relative_error < 0.02, ev
    assert ev.n_excluded == 0
    assert abs(ev.mean_relative_error) < 0.01


@pytest.mark.slow
def test_paper_recipe_reaches_a_few_percent(synth):
    # The paper's own recipe (3-10-5-1, N(0, 1) init, MSE, Adam 1e-3, 5000 full-batch epochs)
    # on the same function. As the paper notes, the outcome depends on the initial draw:
    # over keys 0-3 we get 1.2-9 %, so check the median and the best.
    X, y = synth.arrays(5000, seed=0)
    errors = [
        Surrogate().fit(X[:4500], y[:4500], key=key).evaluate(X[4500:], y[4500:])
        for key in range(4)
    ]
    rms = sorted(ev.rms_relative_error for ev in errors)
    assert np.median(rms) < 0.03, rms
    assert rms[0] < 0.02, rms


@pytest.mark.slow
def test_same_key_same_model_and_different_key_differs(synth):
    X, y = synth.arrays(100, seed=5)
    a = Surrogate(hidden_widths=(4,)).fit(X, y, epochs=20, key=7)
    b = Surrogate(hidden_widths=(4,)).fit(X, y, epochs=20, key=7)
    c = Surrogate(hidden_widths=(4,)).fit(X, y, epochs=20, key=jax.random.key(8))
    for wa, wb in zip(a.state.weights, b.state.weights, strict=True):
        np.testing.assert_array_equal(wa, wb)
    assert not np.array_equal(a.state.weights[0], c.state.weights[0])
    assert c.history.key is None


@pytest.mark.slow
def test_scaling_is_part_of_the_model(synth):
    X, y = synth.arrays(200, seed=6)
    sur = Surrogate(hidden_widths=(4,), log_features=("b",)).fit(X, y, epochs=1, key=0)
    st = sur.state
    t = X.copy()
    t[:, 1] = np.log(t[:, 1])
    np.testing.assert_allclose(st.input_offset, (t.min(0) + t.max(0)) / 2, rtol=1e-6)
    np.testing.assert_allclose(st.input_scale, (t.max(0) - t.min(0)) / 2, rtol=1e-6)
    np.testing.assert_allclose(st.output_scale[0], np.sqrt(np.mean(y**2)), rtol=1e-6)
    np.testing.assert_array_equal(st.domain_low, X.min(0))
    np.testing.assert_array_equal(st.domain_high, X.max(0))


@pytest.mark.slow
def test_early_stopping_keeps_the_best_epoch(synth):
    # targets unrelated to the inputs in validation: its loss stops improving early
    X, y = synth.arrays(200, seed=7)
    Xv, _ = synth.arrays(50, seed=8)
    yv = np.random.default_rng(9).uniform(0, 1, 50)
    sur = Surrogate(hidden_widths=(6,), patience=20, check_every=25, learning_rate=1e-2)
    sur.fit(X, y, epochs=3000, key=0, validation=(Xv, yv))
    h = sur.history
    assert h.is_stopped_early
    assert h.n_epochs_run < 3000
    assert h.n_epochs_run % 25 == 0
    best = int(h.best_epoch[0])
    assert best == int(np.argmin(h.test_loss[0]))
    # the kept parameters are those of the best epoch: their validation loss is the minimum
    s_y = float(sur.state.output_scale[0])
    z = sur.predict(Xv, on_extrapolate="ignore")
    np.testing.assert_allclose(np.mean((z / s_y - yv / s_y) ** 2), h.test_loss[0, best], rtol=1e-4)


def test_ensemble_trains_members_independently(ensemble):
    h = ensemble.history
    assert h.train_loss.shape == (3, 101)
    assert all(w.shape[0] == 3 for w in ensemble.state.weights)
    # different initial weights per member
    w0 = ensemble.state.weights[0]
    assert not np.array_equal(w0[0], w0[1])
    assert np.all(h.train_loss[:, -1] < h.train_loss[:, 0])


@pytest.mark.slow
def test_mini_batches_and_a_custom_optimizer(synth):
    X, y = synth.arrays(256, seed=10)
    sur = Surrogate(hidden_widths=(6,), batch_size=64, optimizer=optax.sgd(1e-2))
    sur.fit(X, y, epochs=30, key=0)
    h = sur.history
    assert h.optimizer.startswith("custom: ")
    assert h.train_loss[0, -1] < h.train_loss[0, 0]


def test_zero_epochs_gives_the_initial_network(synth):
    X, y = synth.arrays(50, seed=11)
    sur = Surrogate(hidden_widths=(3,)).fit(X, y, epochs=0, key=0)
    assert sur.history.train_loss.shape == (1, 1)
    assert sur.history.n_epochs_run == 0


def test_dataset_input_with_analytic_rows(synth):
    ds = synth.dataset(200, seed=12, n_analytic=15)
    sur = Surrogate(hidden_widths=(6,)).fit(ds, epochs=50, key=0)
    assert sur.state.feature_units == ("m c^2", "B0", "rho0")
    assert sur.state.target_units == "rho0^2 omega_c"
    assert sur.domain["b"][0] == 0.0  # the b = 0 rows are part of the training domain
    ev = sur.evaluate(ds)
    assert ev.n_excluded == 15
    assert np.all(np.isnan(ev.relative_error[-15:]))
    assert np.all(np.isfinite(ev.relative_error[:-15]))
    rel = ev.relative_error[:-15]
    np.testing.assert_allclose(ev.rms_relative_error, np.sqrt(np.mean(rel**2)))


def test_domain_from_the_database_parameter_space(synth):
    ds = synth.dataset(100, seed=13)
    ds.attrs["parameter_space"] = (
        '{"T": {"kind": "free", "low": 0.0, "high": 10.0, "log": false}, '
        '"mu": {"kind": "fixed", "value": 0.5}, '
        '"b": {"kind": "free", "low": 0.0, "high": 1.0, "log": false}}'
    )
    sur = Surrogate(hidden_widths=(3,)).fit(ds, epochs=1, key=0)
    assert sur.domain["T"] == (0.0, 10.0)
    assert sur.domain["b"] == (0.0, 1.0)
    lam = ds["lambda_perp"].values
    assert sur.domain["lambda_perp"] == (lam.min(), lam.max())
    explicit = Surrogate(hidden_widths=(3,)).fit(ds, epochs=1, key=0, domain={"T": (0.1, 20)})
    assert explicit.domain["T"] == (0.1, 20.0)


@pytest.mark.slow
def test_optional_inputs_mu_and_lambda_par(synth):
    X, y = synth.arrays(100, seed=14)
    data = {
        "T": X[:, 0],
        "mu": np.full(100, 0.5),
        "b": X[:, 1],
        "lambda_perp": X[:, 2],
        "lambda_par": 10 * X[:, 2],
        "D_perp": y,
    }
    features = ("T", "mu", "b", "lambda_perp", "lambda_par")
    sur = Surrogate(features=features, hidden_widths=(4,)).fit(data, epochs=10, key=0)
    assert sur.state.input_scale[1] == 1.0  # a constant input keeps a unit scale
    value = sur.predict(T=1.0, mu=0.5, b=0.5, lambda_perp=2.0, lambda_par=20.0)
    assert np.isfinite(value)


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda s, X, y: s.fit(X[:, :2], y), ValueError, r"`X` must have shape \(n_samples, 3\)"),
        (lambda s, X, y: s.fit(X, y[:-1]), ValueError, r"`y` must have shape \(40,\); got \(39,\)"),
        (lambda s, X, y: s.fit(X), TypeError, r"`y` is required"),
        (lambda s, X, y: s.fit(X, y, epochs=-5), ValueError, r"`epochs` must be an integer in"),
        (lambda s, X, y: s.fit(X, y, key="0"), TypeError, r"`key` must be an integer seed"),
        (lambda s, X, y: s.fit(X[:1], y[:1]), ValueError, r"at least 2 rows; got 1"),
        (
            lambda s, X, y: s.fit(X, np.where(np.arange(40) == 3, np.nan, y)),
            ValueError,
            r"1 non-finite values of 'D_perp'",
        ),
        (
            lambda s, X, y: s.fit({"T": X[:, 0], "b": X[:, 1], "D_perp": y}),
            ValueError,
            r"`data` has no variable 'lambda_perp'",
        ),
        (
            lambda s, X, y: s.fit(X, y, domain={"mu": (0, 1)}),
            ValueError,
            r"`domain` must name inputs among 'T', 'b', 'lambda_perp'; got 'mu'",
        ),
        (
            lambda s, X, y: s.fit(X, y, validation=(X[:, :2], y)),
            ValueError,
            r"`validation\[0\]` must have shape",
        ),
    ],
)
def test_bad_fit_inputs(synth, call, error, match):
    X, y = synth.arrays(40, seed=15)
    with pytest.raises(error, match=match):
        call(Surrogate(hidden_widths=(2,)), X, y)


def test_log_loss_and_log_features_need_valid_values(synth):
    X, y = synth.arrays(40, seed=16)
    with pytest.raises(ValueError, match="1 negative targets; the 'log' loss"):
        Surrogate(loss="log").fit(X, np.where(np.arange(40) == 0, -1.0, y), epochs=1)
    X[0, 1] = 0.0
    with pytest.raises(ValueError, match="non-positive values of 'b', which is in `log_features`"):
        Surrogate(log_features=("b",)).fit(X, y, epochs=1)


def test_bad_constructor_arguments():
    with pytest.raises(TypeError, match=r"`optimizer` must be an optax\.GradientTransformation"):
        Surrogate(optimizer="adam")
    with pytest.raises(ValueError, match="`on_extrapolate` must be one of 'warn', 'raise'"):
        Surrogate(on_extrapolate="clip")
    with pytest.raises(ValueError, match="`activation` must be one of"):
        Surrogate(activation="swish")
