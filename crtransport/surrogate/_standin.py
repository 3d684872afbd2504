"""A TransportSurrogate of random networks: for timing and for tests of prediction mechanics.

Its numbers mean nothing; it has the architecture, the inputs and the domain of a trained
model, and different input and output scalings per part (as fitted parts have), so that the
prediction paths can be compared with each other and timed before a trained model exists.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from crtransport.surrogate._data import FEATURES

__all__ = ["random_transport_surrogate"]


def random_transport_surrogate(
    *,
    hidden_widths: tuple[int, ...] = (64, 64),
    n_models: int = 5,
    calibration: tuple[float, float] = (1.3, 0.8),
    seed: int = 0,
) -> Any:
    """A :class:`~crtransport.surrogate.TransportSurrogate` with random weights (seeded) over
    the general database's domain; ``calibration`` is (perp, par)."""
    from crtransport.coefficients._model import GENERAL_DOMAIN
    from crtransport.surrogate._model import Surrogate
    from crtransport.surrogate._state import SurrogateState, TrainingHistory
    from crtransport.surrogate._transport import (
        _PARTS,
        TransportFitSettings,
        TransportSurrogate,
        _config,
    )

    rng = np.random.default_rng(seed)
    settings = TransportFitSettings(hidden_widths=hidden_widths, n_models=n_models)
    domain = {f: GENERAL_DOMAIN[f] for f in FEATURES}
    low = np.array([lo for lo, _ in domain.values()])
    high = np.array([hi for _, hi in domain.values()])
    n = len(FEATURES)
    models = {}
    for part in _PARTS:
        config = _config(settings, part, "identity")
        sizes = config.layer_sizes
        shapes = [(sizes[i + 1], sizes[i]) for i in range(len(sizes) - 1)]
        history = TrainingHistory(
            train_loss=np.zeros((n_models, 1), np.float32), test_loss=None,
            best_epoch=np.zeros(n_models, np.int64), n_epochs_run=0, is_stopped_early=False,
            n_train=1, n_test=0, key=seed, optimizer="none (random weights)",
        )  # fmt: skip
        state = SurrogateState(
            config=config,
            weights=tuple(
                rng.normal(0.0, 1.0 / np.sqrt(m), (n_models, k, m)).astype(np.float32)
                for k, m in shapes
            ),
            biases=tuple(rng.normal(0.0, 0.1, (n_models, k)).astype(np.float32) for k, _ in shapes),
            input_offset=rng.normal(0.0, 1.0, n).astype(np.float32),
            input_scale=rng.uniform(0.5, 2.0, n).astype(np.float32),
            output_scale=np.array([rng.uniform(0.5, 3.0)], np.float32),
            domain_low=low,
            domain_high=high,
            feature_units=("1",) * n,
            target_units="1",
            history=history,
        )
        models[part] = Surrogate.from_state(state)
    perp, par = calibration
    return TransportSurrogate(models, calibration={"perp": perp, "par": par}, domain=domain)
