"""How should the general surrogate's uncertainty be scaled? A measurement (issue 14).

    python scripts/general_calibration_study.py  # docs/_static/general_calibration_study.json

On the general database's 1024 start rows (``design_round == 0``: uniform Sobol rows, the
same in every checkout of the build), the shipped fit's 5-fold cross-validation (32-32
networks, five per ensemble, key 0) predicts every row from models fitted without it. Per
direction, over the rows whose run reached a plateau, it reports the distribution of
``z = (y - mean) / sqrt(s^2 + e^2)`` (``s`` the ensemble spread, ``e`` the label noise) and the
68 % and 95 % coverage of ``mean +- z sqrt((c s)^2 + e^2)`` for two rules for ``c``: the one
that gives z unit RMS (the rule before this study) and the one that brings both coverages
nearest their levels (:func:`crtransport.surrogate._transport._calibration_factor`, the rule
since). Training rows only: no test row is read.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from crtransport.dataset import read_active_build
from crtransport.surrogate._model import Surrogate
from crtransport.surrogate._transport import (
    _Z68,
    _Z95,
    DIRECTIONS,
    FEATURES,
    TransportFitSettings,
    _calibration_factor,
    _config,
    _predict_ln,
    dimensionless_table,
    space_domain,
)

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "docs" / "_static" / "general_calibration_study.json"
FOLDS = 5


def unit_rms_factor(r: np.ndarray, s: np.ndarray, e: np.ndarray) -> float:
    """The ``c >= 1`` with mean(r^2 / (c^2 s^2 + e^2)) = 1 (bisection)."""

    def rms2(c: float) -> float:
        return float(np.mean(r**2 / (c**2 * s**2 + e**2)))

    if rms2(1.0) <= 1.0:
        return 1.0
    lo, hi = 1.0, 2.0
    while rms2(hi) > 1.0:
        lo, hi = hi, 2.0 * hi
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if rms2(mid) > 1.0 else (lo, mid)
    return 0.5 * (lo + hi)


def coverage(r: np.ndarray, s: np.ndarray, e: np.ndarray, c: float) -> list[float]:
    width = np.sqrt((c * s) ** 2 + e**2)
    return [float(np.mean(np.abs(r) <= z * width)) for z in (_Z68, _Z95)]


def main() -> None:
    data = read_active_build(ROOT / "data" / "general" / "general.nc")
    table = dimensionless_table(data)
    start = np.flatnonzero((table["split"].values == 0) & (table["design_round"].values == 0))
    table = table.isel(sample=start)
    domain = space_domain(data, table, FEATURES)
    n = table.sizes["sample"]
    settings = TransportFitSettings(hidden_widths=(32, 32))
    fold = np.random.default_rng(0).permutation(n) % FOLDS
    report: dict = {"n_start_rows": int(n), "settings": settings.to_dict()}
    for d in DIRECTIONS:
        y, e = table[f"ln_d_{d}"].values, table[f"ln_d_{d}_err"].values
        good = (table[f"diffusive_{d}"].values == 1.0) & np.isfinite(y) & np.isfinite(e)
        config = _config(settings, f"ln_d_{d}", "identity")
        mean, spread = np.full(n, np.nan), np.full(n, np.nan)
        for k in range(FOLDS):
            probe = Surrogate(config).fit(
                table.isel(sample=np.flatnonzero(good & (fold != k))), key=0, domain=domain
            )
            rows = np.flatnonzero(good & (fold == k))
            mean[rows], spread[rows] = _predict_ln(probe, table.isel(sample=rows))
        r, s, e = (y - mean)[good], spread[good], e[good]
        z = r / np.sqrt(s**2 + e**2)
        rules = {"unit_rms": unit_rms_factor(r, s, e),
                 "coverage": _calibration_factor(y[good], mean[good], s, e)}  # fmt: skip
        report[d] = {
            "n_rows": int(good.sum()),
            "abs_z_percentiles_50_90_99": np.percentile(np.abs(z), [50, 90, 99]).tolist(),
            "gaussian_abs_z_percentiles_50_90_99": [0.674, 1.645, 2.576],
            "rules": {
                name: {"c": c, "coverage_68_95": coverage(r, s, e, c)} for name, c in rules.items()
            },
        }
        print(d, json.dumps(report[d]))
    OUTPUT.write_text(json.dumps(report, indent=1) + "\n")
    print(f"wrote {OUTPUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
