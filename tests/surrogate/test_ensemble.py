"""EnsembleLearner: the bagged networks the active builder asks where to look."""

from __future__ import annotations

import numpy as np
import pytest

from crtransport.dataset import Learner


def truth(x):
    return np.stack([np.sin(3.0 * x[:, 0]) + x[:, 1] ** 2, 2.0 * x[:, 0] - x[:, 1]], axis=1)


@pytest.mark.slow
def test_members_fit_the_data_and_disagree_away_from_it():
    from crtransport.surrogate import EnsembleLearner

    rng = np.random.default_rng(4)
    x = rng.random((300, 2)) * [0.5, 1.0]  # data only in x0 < 0.5
    y = truth(x) + 0.05 * rng.standard_normal((300, 2))
    y[::7, 1] = np.nan  # a missing target is left out of that output's fit
    inside = rng.random((400, 2)) * [0.5, 1.0]
    outside = rng.random((400, 2)) * [0.3, 1.0] + [0.7, 0.0]
    learner = EnsembleLearner(n_epochs=1500)
    assert isinstance(learner, Learner)
    pred = learner.fit_predict(x, y, np.concatenate([inside, outside]), seed=0)
    assert pred.shape == (5, 800, 2)
    mean, spread = pred.mean(axis=0), pred.std(axis=0)
    # inside the data the ensemble mean is within the label noise (0.05) of the truth
    rms = np.sqrt(np.mean((mean[:400] - truth(inside)) ** 2, axis=0))
    assert np.all(rms < 0.05), rms
    # away from the data the members disagree several times more than inside
    assert np.all(spread[400:].mean(axis=0) > 3.0 * spread[:400].mean(axis=0))
    # same seed, same numbers
    np.testing.assert_array_equal(
        pred, learner.fit_predict(x, y, np.concatenate([inside, outside]), seed=0)
    )


def test_bad_settings_name_the_parameter():
    from crtransport.surrogate import EnsembleLearner

    with pytest.raises(ValueError, match="`n_members` must be an integer in \\[2, "):
        EnsembleLearner(n_members=1)
    with pytest.raises(ValueError, match="`activation`"):
        EnsembleLearner(activation="cube")
    with pytest.raises(ValueError, match="shapes disagree"):
        EnsembleLearner().fit_predict(np.zeros((4, 2)), np.zeros((3, 1)), np.zeros((2, 2)), seed=0)
