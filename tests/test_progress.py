"""Long work shows progress: ``simulate(progress=...)``, ``Surrogate.fit(progress=...)`` and
their command lines (issue 17). A bar changes no number."""

from __future__ import annotations

import numpy as np
import pytest

import crtransport._simulate as sim
from crtransport import cli


@pytest.fixture
def bars(monkeypatch):
    """Every simulate progress bar made, and the number of stretches each run added."""
    made = []
    real = sim._progress_bar

    def spy(config, progress):
        bar = real(config, progress)
        made.append(bar)
        return bar

    monkeypatch.setattr(sim, "_progress_bar", spy)
    return made


SMALL = dict(T=1.0, b=0.2, lambda_perp=5.0, n_waves=16, seed=3)


def test_simulate_progress_counts_blocks_and_stretches(bars, capsys, monkeypatch):
    extends = []
    real_extend = sim._Ensemble.extend
    monkeypatch.setattr(
        sim._Ensemble, "extend", lambda self: (extends.append(1), real_extend(self))[1]
    )
    n = sim.BLOCK_SIZE + 8  # two blocks
    # weak turbulence, waiting for D_par too: an adaptive run that extends until its cap
    run = {**SMALL, "b": 0.1, "converge": "both", "t_cap": 2000.0, "n_particles": n, "n_waves": 4}
    res = sim.simulate(**run, progress=True)
    (bar,) = bars
    assert res.stop_reason == "cap" and len(extends) >= 2  # stretches after the first
    assert bar.total == 2 * (1 + len(extends)) and bar.n == bar.total
    assert "crtransport simulate" in capsys.readouterr().err
    quiet = sim.simulate(**run, progress=False)
    assert capsys.readouterr().err == ""
    assert (quiet.D_perp, quiet.D_par, quiet.n_steps) == (res.D_perp, res.D_par, res.n_steps)
    assert len(extends) == 2 * (bar.total // 2 - 1)  # the quiet run extended as often


def test_simulate_progress_is_off_by_default_and_off_when_not_on_a_terminal(bars, capsys):
    sim.simulate(**SMALL, n_particles=16, t_max=100.0)
    sim.simulate(**SMALL, n_particles=16, t_max=100.0, progress=None)  # stderr is no TTY here
    assert [bar.disable for bar in bars] == [True, True]
    assert capsys.readouterr().err == ""


def test_simulate_cli_bar_follows_the_terminal(bars, capsys):
    argv = ["simulate", "--T", "1", "--b", "0.2", "--lambda-perp", "5", "--n-particles", "16",
            "--n-waves", "8", "--t-max", "100"]  # fmt: skip
    assert cli.main(argv) == 0
    assert cli.main([*argv, "--no-progress"]) == 0
    assert capsys.readouterr().err == ""  # captured stderr is not a terminal: no bar
    assert [bar.disable for bar in bars] == [True, True]


@pytest.mark.slow  # two compilations of the training scan, about 2 s
def test_surrogate_fit_progress_counts_epochs_without_changing_the_weights(capsys):
    from crtransport.surrogate import Surrogate

    rng = np.random.default_rng(0)
    x = rng.uniform(0.5, 2.0, (3, 64))
    y = x[0] * x[1] ** 2
    data = {"T": x[0], "b": x[1], "lambda_perp": x[2], "D_perp": y}
    quiet = Surrogate(hidden_widths=(4,)).fit(data, epochs=1200, key=1)
    assert capsys.readouterr().err == ""
    loud = Surrogate(hidden_widths=(4,)).fit(data, epochs=1200, key=1, progress=True)
    err = capsys.readouterr().err
    assert "crtransport train" in err and "250/1200" in err  # reported between chunks
    for a, b in zip(
        quiet.state.weights + quiet.state.biases, loud.state.weights + loud.state.biases
    ):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(quiet.history.train_loss, loud.history.train_loss)
