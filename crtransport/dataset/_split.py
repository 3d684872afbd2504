"""Reproducible train/test splits of a database."""

from __future__ import annotations

import numpy as np
import xarray as xr

from crtransport._validation import check_int, check_real, check_seed
from crtransport.dataset._schema import SAMPLE_DIM

__all__ = ["split"]


def split(
    ds: xr.Dataset, test_fraction: float = 0.1, *, seed: int | np.random.Generator = 0
) -> tuple[xr.Dataset, xr.Dataset]:
    """Split a database into a training and a test set, reproducibly.

    The test rows are drawn without replacement among the simulated rows only: the exact
    ``b = 0`` rows (``is_analytic``) always go to the training set, because they are an
    augmentation and a relative error against ``D_perp = 0`` is undefined. Both parts keep
    sample order and the original ``sample`` coordinate.

    Parameters
    ----------
    ds : xarray.Dataset
        A database (dimension ``sample``), e.g. from :func:`~crtransport.dataset.open_dataset`.
    test_fraction : float, default: 0.1
        Fraction of the simulated rows in the test set, in (0, 1) (paper: 10 %). The test
        set holds ``round(test_fraction * n_simulated)`` rows, at least 1 and leaving at least
        one simulated row for training.
    seed : int or numpy.random.Generator, default: 0
        Seed of the random permutation.

    Returns
    -------
    train, test : xarray.Dataset
        Views of ``ds`` along ``sample``.

    Raises
    ------
    ValueError
        If ``test_fraction`` is not in (0, 1), ``ds`` has no ``sample`` dimension, or it has
        fewer than 2 simulated rows.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> ds = xr.Dataset({"D_perp": ("sample", np.arange(10.0))},
    ...                 coords={"sample": np.arange(10)})
    >>> train, test = split(ds, test_fraction=0.2, seed=0)
    >>> train.sizes["sample"], test.sizes["sample"]
    (8, 2)
    """
    if not isinstance(ds, xr.Dataset):
        raise TypeError(f"`ds` must be an xarray.Dataset; got {type(ds).__name__}.")
    f = check_real("test_fraction", test_fraction, low=0.0, high=1.0, low_open=True, high_open=True)
    if SAMPLE_DIM not in ds.dims:
        raise ValueError(f"`ds` must have a `{SAMPLE_DIM}` dimension; got dims {tuple(ds.dims)}.")
    n = ds.sizes[SAMPLE_DIM]
    if "is_analytic" in ds:
        simulated = np.flatnonzero(~ds["is_analytic"].values.astype(bool))
    else:
        simulated = np.arange(n)
    n_sim = check_int("number of simulated rows", simulated.size, low=2)
    n_test = min(max(1, round(f * n_sim)), n_sim - 1)
    rng = np.random.default_rng(check_seed("seed", seed))
    test_idx = np.sort(rng.permutation(simulated)[:n_test])
    mask = np.ones(n, dtype=bool)
    mask[test_idx] = False
    return ds.isel({SAMPLE_DIM: np.flatnonzero(mask)}), ds.isel({SAMPLE_DIM: test_idx})
