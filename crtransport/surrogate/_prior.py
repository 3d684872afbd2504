"""The output prior ``prod_k x_k**p_k`` of ``SurrogateConfig.output_powers`` (numpy only)."""

from __future__ import annotations

import logging

import numpy as np

from crtransport.surrogate._config import SurrogateConfig

__all__ = ["point_prior", "prior_factor", "prior_text", "reduce_by_prior"]

logger = logging.getLogger("crtransport.surrogate")


def prior_text(config: SurrogateConfig) -> str:
    """The prior as text, e.g. ``'b**2 * T**0.5'``."""
    return " * ".join(f"{name}**{p:g}" for name, p in config.output_powers)


def prior_factor(
    config: SurrogateConfig, columns: list[np.ndarray], argname: str = "input"
) -> np.ndarray | None:
    """The output prior prod_k x_k**p_k over ``columns`` (None without one), or raise.

    Inputs with a positive exponent must be >= 0, with a negative one > 0: a power of a
    negative input would silently give NaN (or a sign the network never saw).
    """
    if not config.output_powers:
        return None
    factor = np.ones(columns[0].shape, dtype=np.float64)
    for name, p in config.output_powers:
        c = columns[config.features.index(name)]
        lowest = c.min() if c.size else 1.0  # (one pass; NaN fails both tests)
        if not (lowest >= 0 if p > 0 else lowest > 0):
            bad = ~(c >= 0) if p > 0 else ~(c > 0)
            value = float(c[np.argmax(bad)])
            need = ">= 0" if p > 0 else "> 0"
            raise ValueError(
                f"`{argname}` {name!r} must be {need} for the output prior {name}**{p:g}; "
                f"got {value:g}."
            )
        factor *= np.power(c, p)
    return factor


def point_prior(config: SurrogateConfig, values: list[float]) -> float | None:
    """The prior at one point of Python floats; None when an input is out of its range (the
    array path, :func:`prior_factor`, raises the error)."""
    prior = 1.0
    for name, p in config.output_powers:
        v = values[config.features.index(name)]
        if not (v >= 0 if p > 0 else v > 0):
            return None
        prior *= v**p
    return prior


def reduce_by_prior(
    config: SurrogateConfig, X: np.ndarray, Y: np.ndarray, argname: str
) -> tuple[np.ndarray, np.ndarray]:
    """Rows and targets the network trains on under an output prior: ``Y / prior``.

    Rows where the prior vanishes and the target is zero (e.g. the exact b = 0 rows under
    ``{"b": 2}``) are reproduced exactly by the prior and carry nothing for the network:
    they are dropped. A non-zero target there contradicts the prior and raises.
    """
    factor = prior_factor(config, [X[:, k] for k in range(X.shape[1])], argname)
    if factor is None:
        return X, Y
    zero = factor == 0
    contradicting = zero & (Y != 0)
    if np.any(contradicting):
        i = int(np.argmax(contradicting))
        point = ", ".join(f"{f}={X[i, k]:g}" for k, f in enumerate(config.features))
        raise ValueError(
            f"`{argname}` has {int(contradicting.sum())} rows where the output prior "
            f"{prior_text(config)} is zero but {config.target} is not (e.g. {point}: "
            f"{config.target}={Y[i]:g}); the prior cannot fit them."
        )
    keep = ~zero
    need = 2 if argname == "data" else 1
    if keep.sum() < need:
        raise ValueError(
            f"`{argname}` has {int(keep.sum())} rows where the output prior "
            f"{prior_text(config)} is non-zero; training needs at least {need}."
        )
    if not np.all(keep):
        logger.info(
            "%s: %d rows where the prior %s vanishes (reproduced exactly) are not trained on",
            argname,
            int(zero.sum()),
            prior_text(config),
        )
    return np.ascontiguousarray(X[keep]), Y[keep] / factor[keep]
