"""Plots users expect from the paper: loss curve (fig. 5), relative-error histogram (fig. 6),
predicted against true. Matplotlib is optional (``pip install 'crtransport[plot]'``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

    from crtransport.surrogate._model import Surrogate, SurrogateEvaluation
    from crtransport.surrogate._state import TrainingHistory

__all__ = ["plot_error_histogram", "plot_loss", "plot_predicted_vs_true"]


def _axes(ax: Any) -> Axes:
    try:
        import matplotlib.pyplot as plt
    except ImportError:  # pragma: no cover - depends on the environment
        raise ImportError(
            "plotting needs matplotlib: install it with pip install 'crtransport[plot]'."
        ) from None
    if ax is None:
        _, ax = plt.subplots()
    return ax


def _history(source: Any) -> TrainingHistory:
    from crtransport.surrogate._state import TrainingHistory

    if isinstance(source, TrainingHistory):
        return source
    history = getattr(source, "history", None)
    if isinstance(history, TrainingHistory):
        return history
    raise TypeError(
        f"`history` must be a TrainingHistory or a fitted Surrogate; got {type(source).__name__}."
    )


def plot_loss(history: TrainingHistory | Surrogate, *, ax: Axes | None = None) -> Axes:
    """Plot the training (and validation) loss against the epoch, log scale (paper fig. 5).

    Parameters
    ----------
    history : TrainingHistory or Surrogate
        A fitted surrogate or its ``history``.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; default a new figure.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on.

    Raises
    ------
    TypeError
        If ``history`` is neither a TrainingHistory nor a fitted Surrogate.
    ImportError
        If matplotlib is not installed.

    Notes
    -----
    The loss is on the scaled output: for the default MSE loss it is the paper's error E
    divided by the mean squared training target. One line per ensemble member.
    """
    h = _history(history)
    ax = _axes(ax)
    epochs = np.arange(h.train_loss.shape[1])
    n_models = h.train_loss.shape[0]
    for m in range(n_models):
        ax.plot(epochs, h.train_loss[m], color="C0", lw=1, label="train" if m == 0 else None)
        if h.test_loss is not None:
            ax.plot(epochs, h.test_loss[m], color="C1", lw=1, label="test" if m == 0 else None)
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss (scaled output)")
    ax.legend()
    return ax


def plot_error_histogram(
    evaluation: SurrogateEvaluation, *, ax: Axes | None = None, bins: int = 50
) -> Axes:
    """Histogram of the relative errors 100 (Z/Y - 1), in percent (paper fig. 6).

    Parameters
    ----------
    evaluation : SurrogateEvaluation
        Result of :meth:`Surrogate.evaluate`; rows with Y == 0 are left out.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; default a new figure.
    bins : int, default: 50
        Number of bins.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on; the title gives the RMS relative error.

    Raises
    ------
    ImportError
        If matplotlib is not installed.
    """
    ax = _axes(ax)
    rel = evaluation.relative_error
    rel = 100.0 * rel[np.isfinite(rel)]
    ax.hist(rel, bins=bins, color="C0", alpha=0.8)
    ax.set_xlabel("relative error 100 (Z/Y - 1) [%]")
    ax.set_ylabel("count")
    title = f"RMS relative error {100 * evaluation.rms_relative_error:.2f} %"
    if evaluation.n_excluded:
        title += f" ({evaluation.n_excluded} rows with Y = 0 excluded)"
    ax.set_title(title)
    return ax


def plot_predicted_vs_true(
    evaluation: SurrogateEvaluation, *, ax: Axes | None = None, log: bool = False
) -> Axes:
    """Scatter the predictions Z against the true values Y, with the diagonal.

    Parameters
    ----------
    evaluation : SurrogateEvaluation
        Result of :meth:`Surrogate.evaluate`.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; default a new figure.
    log : bool, default: False
        Logarithmic axes (rows with Y <= 0 or Z <= 0 are then not shown).

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on.

    Raises
    ------
    ImportError
        If matplotlib is not installed.
    """
    ax = _axes(ax)
    y, z = evaluation.target, evaluation.prediction
    if evaluation.std is not None:
        ax.errorbar(y, z, yerr=evaluation.std, fmt="none", ecolor="0.7", lw=0.5)
    ax.plot(y, z, ".", ms=3, color="C0")
    lo, hi = float(np.min([y.min(), z.min()])), float(np.max([y.max(), z.max()]))
    if log:
        positive = np.concatenate([y[y > 0], z[z > 0]])
        lo = float(positive.min()) if positive.size else 1e-3
        ax.set_xscale("log")
        ax.set_yscale("log")
    ax.plot([lo, hi], [lo, hi], "k--", lw=1)
    ax.set_xlabel("true value Y")
    ax.set_ylabel("prediction Z")
    ax.set_aspect("equal", adjustable="datalim")
    return ax
