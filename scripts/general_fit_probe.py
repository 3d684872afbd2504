"""Is the general surrogate's error floor set by the fit? (issue 14, a diagnostic)

    python scripts/general_fit_probe.py   # prints one JSON line per variant

The learning curve of the shipped model is flat from about 1000 training rows on, while the
labels' error bars are honest (``scripts/general_test_recheck.py --rows start``). A fixed
number of full-batch epochs gives the same number of optimiser steps at any row count, so
more rows may need more steps (or wider networks) to show their detail. This scores variants
of the shipped settings the way :meth:`TransportSurrogate.fit` scores them: 5-fold
cross-validation over **all training rows** of the shipped general database (key 0), the
intrinsic error ``sqrt(mean(r^2) - mean(e^2))`` over the rows whose run reached a plateau. No
test row is read.
"""

from __future__ import annotations

import json
import time

import numpy as np
from general_model_study import out_of_fold  # scripts/ is on sys.path when run as a script

import crtransport as crt
from crtransport.surrogate._transport import (
    DIRECTIONS,
    FEATURES,
    TransportFitSettings,
    _intrinsic,
    dimensionless_table,
    space_domain,
)

VARIANTS = {
    "32-32, 4000 epochs (shipped)": TransportFitSettings(hidden_widths=(32, 32), n_epochs=4000),
    "32-32, 16000 epochs": TransportFitSettings(hidden_widths=(32, 32), n_epochs=16000),
    "64-64, 16000 epochs": TransportFitSettings(hidden_widths=(64, 64), n_epochs=16000),
}


def main() -> None:
    ds = crt.open_dataset(crt.datasets.general())
    table = dimensionless_table(ds)
    table = table.isel(sample=np.flatnonzero(table["split"].values == 0))
    domain = space_domain(ds, table, FEATURES)
    for name, settings in VARIANTS.items():
        start = time.process_time()
        out: dict = {"variant": name}
        for d in DIRECTIONS:  # the study's 5-fold scoring, here over all training rows
            y, e, mean, _ = out_of_fold(table, domain, settings, d)
            r = mean - y
            out[f"D_{d}"] = {"rows": len(y), "rms": float(np.sqrt(np.mean(r**2))),
                             "intrinsic": _intrinsic(r, e)}  # fmt: skip
        out["core_seconds"] = time.process_time() - start
        print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
