"""Plots: loss curve, relative-error histogram, predicted against true (matplotlib, Agg)."""

from __future__ import annotations

import numpy as np
import pytest

from crtransport.surrogate import plot_error_histogram, plot_loss, plot_predicted_vs_true

mpl = pytest.importorskip("matplotlib")
mpl.use("Agg")
plt = pytest.importorskip("matplotlib.pyplot")


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_loss_curve(fitted):
    ax = plot_loss(fitted)
    lines = ax.get_lines()
    assert len(lines) == 2  # train and test
    np.testing.assert_array_equal(lines[0].get_ydata(), fitted.history.train_loss[0])
    assert ax.get_yscale() == "log"
    ax2 = plot_loss(fitted.history, ax=plt.subplots()[1])
    assert len(ax2.get_lines()) == 2


def test_loss_curve_of_an_ensemble(ensemble):
    assert len(plot_loss(ensemble).get_lines()) == 3  # one per member, no validation


def test_loss_curve_needs_a_history():
    with pytest.raises(TypeError, match="`history` must be a TrainingHistory or a fitted"):
        plot_loss(np.ones(3))


def test_error_histogram_and_scatter(fitted, synth):
    X, y = synth.arrays(60, seed=40)
    y[0] = 0.0
    ev = fitted.evaluate(X, y)
    ax = plot_error_histogram(ev, bins=10)
    assert sum(p.get_height() for p in ax.patches) == 59  # the Y = 0 row is left out
    assert "RMS relative error" in ax.get_title()
    assert "1 rows with Y = 0 excluded" in ax.get_title()
    ax = plot_predicted_vs_true(ev)
    np.testing.assert_array_equal(ax.get_lines()[0].get_xdata(), y)
    plot_predicted_vs_true(ev, log=True)


def test_scatter_shows_the_ensemble_spread(ensemble, synth):
    X, y = synth.arrays(30, seed=41)
    ev = ensemble.evaluate(X, y)
    assert ev.std is not None
    ax = plot_predicted_vs_true(ev)
    assert len(ax.collections) == 1  # the error bars
